# A form defined by an INI file, with no rebuild (docs/own-forms.md): listed, templated
# and documented like a built-in one; imported (its checks and enum spellings), counted,
# undone; an indicator on it; the store records its definition, migrates a compatible
# change and refuses one that would lose data; a bad definition stops every command
# with its file:line; a reader of a store that does not hold the form sees it empty.
mkdir forms
cat > forms/awards.ini <<'EOF'
; Конкурсы, кроме ВсОШ
[form]
title = Конкурсы (кроме ВсОШ)
doc = participation in awards beyond ВсОШ, by level
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
form = awards
kind = share
numerator = sum(winners)
denominator = sum(participants)
dims = stage
min_n = 0
EOF
registry d.db
export SOKO_FORMS="$PWD/forms"

run 0 forms
has out "awards"
has out "Конкурсы (кроме ВсОШ)"
run 0 template awards --ru
has out "год;код ОО;уровень;участников;победителей и призёров"
run 0 docs forms
has out '## `awards` — Конкурсы (кроме ВсОШ)'
has out 'Defined in `forms/awards.ini`'
has out '| `stage` | уровень | one of `district`, `regional` | **key** |'
has out '* sum at most: winners <= participants'

# a store made before the form was defined; a reader of a store that does not hold the form yet sees it empty
run 0 --db d.db status
grep -qE '^  awards +0 rows' out || { cat out; fail "awards: 0 rows"; }
[ "$(q d.db "select count(*) from sqlite_master where name = 'awards'")" = 0 ] \
  || fail "a reader created the table"
# ... and evaluates indicators and flags over it (the stand-in is a temporary table: the
# reader's temporary storage was once switched to memory after it, which SQLite refuses)
run 0 --db d.db indicators --format csv
has out "indicator,level,year,school_id,cluster_id"
run 0 --db d.db flags --format csv

printf 'год,код ОО,уровень,участников,победителей и призёров\n2024,344,районный,12,3\n2024,329,regional,10,1\n2025,344,district,20,5\n' > c.csv
run 0 --db d.db import awards c.csv
has out "imported 3 rows"
[ "$(q d.db "select stage from awards where school_id = '344' and year = 2024")" = district ] \
  || fail "enum spelling not stored by its name"
[ "$(q d.db "select name || ' ' || columns || ' ' || file from form_defs where name = 'awards'")" = \
  "awards year INTEGER key, school_id TEXT key, stage TEXT key, participants INTEGER required, winners INTEGER awards.ini" ] \
  || fail "definition record: $(q d.db 'select * from form_defs')"
[ "$(q d.db "select length(sha256) from form_defs where name = 'awards'")" = 64 ] || fail "no SHA-256 recorded"

# a file of a defined form is recognised by its header, with no form named
run 0 --db d.db check c.csv
has out "c.csv: form awards (its own header)"
run 0 --db d.db status
grep -qE '^  awards +3 rows  Конкурсы \(кроме ВсОШ\)' out || { cat out; fail "awards: 3 rows"; }

# the form's check and its key columns
printf 'year,school_id,stage,participants,winners\n2024,512,district,4,9\n' > bad.csv
run 1 --db d.db import awards bad.csv
has err "bad.csv:2:"
has err "expected «winners» ≤ «participants»"
printf 'year,school_id,stage,participants\n2024,512,federal,4\n' > bad2.csv
run 1 --db d.db import awards bad2.csv
has err "bad2.csv:2:C"
has err "district"

# an indicator on it: pooled over the district's rows
run 0 --db d.db indicators --indicators ind.ini --format csv
grep -q '^contest_win,district,2024,,,,,district,25,3,12,' out || { cat out; fail "district 2024"; }
grep -q '^contest_win,district,2024,,,,,regional,10,1,10,' out || { cat out; fail "regional 2024"; }
grep -q '^contest_win,school,2025,344,,,,district,25,5,20,' out || { cat out; fail "344 2025: 5 of 20"; }

# a replacing import and its undo
printf 'year,school_id,stage,participants,winners\n2025,344,district,25,6\n' > c2.csv
run 0 --db d.db import awards c2.csv
[ "$(q d.db "select participants from awards where year = 2025")" = 25 ] || fail "not replaced"
run 0 --db d.db undo 3
[ "$(q d.db "select participants from awards where year = 2025")" = 20 ] || fail "undo"

# a compatible change (a new optional column) is migrated, the rows kept
cp forms/awards.ini awards.v1
printf '\n[column note]\nheader = примечание\ntype = text\n' >> forms/awards.ini
run 5 --db d.db status
has err "its definition (awards.ini) has changed since"
has err "soko --db d.db migrate"
run 0 --db d.db migrate
[ "$(q d.db "select count(*) from awards")" = 3 ] || fail "rows lost in the migration"
q d.db "select columns from form_defs where name = 'awards'" | grep -q ", note TEXT$" || fail "new column not recorded"
run 0 --db d.db status
grep -qE '^  awards +3 rows' out || { cat out; fail "awards: 3 rows after the migration"; }

# a change that would lose data is refused, and nothing changes
sed -i 's/^\[column winners\]/[column won]/; s/^columns = winners, participants/columns = won, participants/; s/participants,winners$/participants,won/' forms/awards.ini
before=$(dump d.db)
run 5 --db d.db migrate
has err "awards.ini: the form awards no longer has the column winners, but store d.db holds 3 values in it"
[ "$(dump d.db)" = "$before" ] || fail "a refused migration changed the store"
# a new required column while rows are stored
cp awards.v1 forms/awards.ini
printf '\n[column teachers]\ntype = count\nrequired = yes\n' >> forms/awards.ini
run 5 --db d.db migrate
has err "has a new required column teachers, but store d.db holds 3 rows without it"
# with a default it is filled in
printf 'default = 0\n' >> forms/awards.ini
run 0 --db d.db migrate
[ "$(q d.db "select group_concat(teachers) from awards")" = "0,0,0" ] || fail "default not filled"
# a range the stored rows break
sed -i 's/^\[column participants\]/[column participants]\nmax = 15/' forms/awards.ini
run 5 --db d.db migrate
has err "do not meet its new definition"
[ "$(q d.db "select count(*) from awards")" = 3 ] || fail "rows lost"

# the undo of an import of a form not defined any more names it
unset SOKO_FORMS
run 2 --db d.db undo 2
export SOKO_FORMS="$PWD/forms"
has err "import #2 is of the form awards, which is not defined here"

# a bad definition stops every command with its file:line
printf '[form]\ntitle = T\n[column year]\ntype = yaer\nkey = yes\n' > forms/broken.ini
run 3 forms
has err "forms/broken.ini:4: [column year]: type: got 'yaer'; expected one of"
run 3 --db d.db status
rm forms/broken.ini
run 0 forms

# docs/own-forms.md: its complete example, run from the file
unset SOKO_FORMS
DOC="$TOP/docs/own-forms.md"
mkdir ex && cd ex || fail "no ex"
cp -r "$TOP/defs" mydefs
printf 'school_id,name\n344,Лицей № 344\n329,Школа № 329\n512,Школа № 512\n' > schools.csv
# each block under "File `PATH`:" is written to PATH; "Added at the end of `PATH`" appends
awk '/^(File|Added at the end of) `[^`]*`/ { split($0, a, "`"); path = a[2]; add = ($1 == "Added"); next }
     path && /^```/ && !on { on = 1; if (!add) printf "" > path; next }
     on && /^```/ { on = 0; close(path); path = ""; next }
     on { print >> path }' "$DOC"
[ -s mydefs/forms/reading.ini ] && [ -s mydefs/indicators/reading.ini ] && [ -s reading.csv ] \
  || fail "the example's files were not found in $DOC"
grep -q '^\[reading_low_share\]' mydefs/rules.ini || fail "the rule was not appended"
awk '/^And the district imports them/ { want = 1 } want && /^```sh/ { on = 1; next }
     on && /^```/ { exit } on { print }' "$DOC" > cmds
[ "$(wc -l < cmds)" = 6 ] || fail "the example's commands: $(wc -l < cmds)"
i=0
while read -r line; do
  i=$((i + 1))
  eval "\"$SOKO\"${line#soko}" > "out.$i" 2> "err.$i" < /dev/null || { cat "err.$i"; fail "$line"; }
done < cmds
has out.1 "reading"
has out.1 "Диагностика читательской грамотности"
has out.3 "imported 3 rows"
has out.4 "reading_low"
has out.5 "reading_low_share"
grep -A1 reading_low_share out.5 | grep -q "329" || { cat out.5; fail "329 not flagged"; }
hasnt out.5 "344  "
has report/index.md "## Мониторинги района"
has report/index.md "### Диагностика читательской грамотности"
has report/index.md "| Доля ниже базового уровня (читательская грамотность), % | 6 | — | — | 22,2 |"
run 0 --defs mydefs --db district.db recommend --school 329
has out "Рекомендуется включить в план"
cd ..
