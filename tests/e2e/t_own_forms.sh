# A form defined by an INI file, with no rebuild (docs/own-forms.md): listed, templated
# and documented like a built-in one; imported (its checks and enum spellings), counted,
# undone; an indicator on it; the store records its definition, migrates a compatible
# change and refuses one that would lose data; a bad definition stops every command
# with its file:line; a reader of a store that does not hold the form sees it empty.
mkdir forms
cat > forms/contests.ini <<'EOF'
; Конкурсы, кроме ВсОШ
[form]
title = Конкурсы (кроме ВсОШ)
doc = participation in contests beyond ВсОШ, by level
example = year,school_id,stage,participants,winners
example = 2024,344,district,12,3

[column year]
type = year
key = yes

[column school_id]
type = school

[column stage]
header = уровень
type = enum
key = yes
value = district | районный
value = regional | региональный

[column participants]
header = участников | количество участников
type = count
required = yes

[column winners]
header = победителей и призёров
type = count

[check winners]
kind = sum_at_most
columns = winners, participants
EOF
cat > ind.ini <<'EOF'
[contest_win]
title = Результативность участия в конкурсах
form = contests
kind = share
numerator = sum(winners)
denominator = sum(participants)
dims = stage
min_n = 0
EOF
registry d.db
export SOKO_FORMS="$PWD/forms"

run 0 forms
has out "contests"
has out "Конкурсы (кроме ВсОШ)"
run 0 template contests --ru
has out "год;код ОО;уровень;участников;победителей и призёров"
run 0 docs forms
has out '## `contests` — Конкурсы (кроме ВсОШ)'
has out 'Defined in `forms/contests.ini`'
has out '| `stage` | уровень | one of `district`, `regional` | **key** |'
has out '* sum at most: winners <= participants'

# a store made before the form was defined; a reader of a store that does not hold the form yet sees it empty
run 0 --db d.db status
has out "contests             0 rows"
[ "$(q d.db "select count(*) from sqlite_master where name = 'contests'")" = 0 ] \
  || fail "a reader created the table"

printf 'год,код ОО,уровень,участников,победителей и призёров\n2024,344,районный,12,3\n2024,329,regional,10,1\n2025,344,district,20,5\n' > c.csv
run 0 --db d.db import contests c.csv
has out "imported 3 rows"
[ "$(q d.db "select stage from contests where school_id = '344' and year = 2024")" = district ] \
  || fail "enum spelling not stored by its name"
[ "$(q d.db "select name || ' ' || columns || ' ' || file from form_defs")" = \
  "contests year INTEGER key, school_id TEXT key, stage TEXT key, participants INTEGER required, winners INTEGER contests.ini" ] \
  || fail "definition record: $(q d.db 'select * from form_defs')"
[ "$(q d.db "select length(sha256) from form_defs")" = 64 ] || fail "no SHA-256 recorded"
run 0 --db d.db status
has out "contests             3 rows  Конкурсы (кроме ВсОШ)"

# the form's check and its key columns
printf 'year,school_id,stage,participants,winners\n2024,512,district,4,9\n' > bad.csv
run 1 --db d.db import contests bad.csv
has err "bad.csv:2:"
has err "expected «winners» ≤ «participants»"
printf 'year,school_id,stage,participants\n2024,512,federal,4\n' > bad2.csv
run 1 --db d.db import contests bad2.csv
has err "bad2.csv:2:C"
has err "district"

# an indicator on it: pooled over the district's rows
run 0 --db d.db indicators --indicators ind.ini --format csv
grep -q '^contest_win,district,2024,,,,,district,25,3,12,' out || { cat out; fail "district 2024"; }
grep -q '^contest_win,district,2024,,,,,regional,10,1,10,' out || { cat out; fail "regional 2024"; }
grep -q '^contest_win,school,2025,344,,,,district,25,5,20,' out || { cat out; fail "344 2025: 5 of 20"; }

# a replacing import and its undo
printf 'year,school_id,stage,participants,winners\n2025,344,district,25,6\n' > c2.csv
run 0 --db d.db import contests c2.csv
[ "$(q d.db "select participants from contests where year = 2025")" = 25 ] || fail "not replaced"
run 0 --db d.db undo 3
[ "$(q d.db "select participants from contests where year = 2025")" = 20 ] || fail "undo"

# a compatible change (a new optional column) is migrated, the rows kept
cp forms/contests.ini contests.v1
printf '\n[column note]\nheader = примечание\ntype = text\n' >> forms/contests.ini
run 5 --db d.db status
has err "its definition (contests.ini) has changed since"
has err "soko --db d.db migrate"
run 0 --db d.db migrate
[ "$(q d.db "select count(*) from contests")" = 3 ] || fail "rows lost in the migration"
q d.db "select columns from form_defs" | grep -q ", note TEXT$" || fail "new column not recorded"
run 0 --db d.db status
has out "contests             3 rows"

# a change that would lose data is refused, and nothing changes
sed -i 's/^\[column winners\]/[column won]/; s/^columns = winners, participants/columns = won, participants/; s/participants,winners$/participants,won/' forms/contests.ini
before=$(dump d.db)
run 5 --db d.db migrate
has err "contests.ini: the form contests no longer has the column winners, but store d.db holds 3 values in it"
[ "$(dump d.db)" = "$before" ] || fail "a refused migration changed the store"
# a new required column while rows are stored
cp contests.v1 forms/contests.ini
printf '\n[column teachers]\ntype = count\nrequired = yes\n' >> forms/contests.ini
run 5 --db d.db migrate
has err "has a new required column teachers, but store d.db holds 3 rows without it"
# with a default it is filled in
printf 'default = 0\n' >> forms/contests.ini
run 0 --db d.db migrate
[ "$(q d.db "select group_concat(teachers) from contests")" = "0,0,0" ] || fail "default not filled"
# a range the stored rows break
sed -i 's/^\[column participants\]/[column participants]\nmax = 15/' forms/contests.ini
run 5 --db d.db migrate
has err "do not meet its new definition"
[ "$(q d.db "select count(*) from contests")" = 3 ] || fail "rows lost"

# the undo of an import of a form not defined any more names it
unset SOKO_FORMS
run 2 --db d.db undo 2
export SOKO_FORMS="$PWD/forms"
has err "import #2 is of the form contests, which is not defined here"

# a bad definition stops every command with its file:line
printf '[form]\ntitle = T\n[column year]\ntype = yaer\nkey = yes\n' > forms/broken.ini
run 3 forms
has err "forms/broken.ini:4: [column year]: type: got 'yaer'; expected one of"
run 3 --db d.db status
rm forms/broken.ini
run 0 forms
