# Counts that agree: for a per-student file, import, status and imports all speak of
# works and participants (the numbers the store holds: vpr rows made from student
# rows, and their participants), for the other forms of rows; plurals are right
# ("1 row", "1 work"); a store of schema 3 gets the counts of its old per-student
# imports when migrated.
registry t.db
# a small per-student file: 3 works (two schools, two subjects), 7 students
cat > st.csv <<'CSV'
year,school_id,grade,subject,student,class,primary_score,mark,journal_mark
2024,344,6,Математика,A-001,а,6,2,3
2024,344,6,Математика,A-002,а,11,3,3
2024,344,6,Математика,A-003,б,15,4,4
2024,344,6,Русский язык,A-001,а,20,4,4
2024,329,6,Математика,B-001,а,9,3,3
2024,329,6,Математика,B-002,а,12,3,3
2024,329,6,Математика,B-003,а,19,5,5
CSV
run 0 --db t.db import vpr_students st.csv
has out "st.csv: imported 3 works, 7 participants from 7 records as import #2"
# the student codes are nowhere in the store (personal data), unless asked for below
[ "$(q t.db 'SELECT count(*) FROM vpr_students')" = 0 ] || fail "student rows stored without --keep-students"
sqlite3 t.db .dump | grep -q -e A-001 -e B-002 && fail "a student code is in the store"
works=$(q t.db "SELECT count(*) FROM vpr WHERE from_students = 1")
parts=$(q t.db "SELECT sum(participants) FROM vpr WHERE from_students = 1")
[ "$works $parts" = "3 7" ] || fail "the store holds $works works, $parts participants"
run 0 --db t.db status
has out "vpr_students         3 works, 7 participants"
has out "vpr                  3 rows (3 of them from per-student files)"
has out "ege_students         0 works, 0 participants"   # each per-student form its own counts
run 0 --db t.db imports
grep -q "^ *2  vpr_students  active  3 works, 7 participants " out || { cat out; fail "imports does not show 3 works, 7 participants"; }
hasnt out "6 rows"
# with the student rows kept, status says so too
run 0 --db k.db import schools schools.csv
run 0 --db k.db import vpr_students st.csv --keep-students
has out "imported 3 works, 7 participants from 7 records"
run 0 --db k.db status
has out "vpr_students         3 works, 7 participants; 7 student rows kept"
sqlite3 k.db .dump | grep -q A-001 || fail "--keep-students did not keep the student codes"
# the same file again: unchanged, and the counts stay
run 0 --db t.db import vpr_students st.csv
has out "unchanged: the same file is stored as import #2"
run 0 --db t.db status
has out "vpr_students         3 works, 7 participants"

# plurals: one row, one work, one participant
printf 'school_id,name\n345,Школа 345\n' > one.csv
run 0 --db t.db import schools one.csv
has out "imported 1 row from 1 record as import #3"
printf 'year,school_id,grade,subject,student,class,primary_score,mark,journal_mark\n2025,345,5,Физика,C-001,а,10,3,3\n' > st1.csv
run 0 --db t.db import vpr_students st1.csv
has out "imported 1 work, 1 participant from 1 record"
run 0 --db t.db imports
has out "1 work, 1 participant"
has out "1 row "

# a store of schema 3 (before the counts were kept): migrated, its per-student import
# gets its works and participants from the rows it stored
cp t.db old.db
q old.db 'ALTER TABLE imports DROP COLUMN works'
q old.db 'ALTER TABLE imports DROP COLUMN participants'
q old.db 'PRAGMA user_version = 3'
run 0 --db old.db migrate
has out "brought from schema version 3 to 10"
[ "$(q old.db "SELECT works || ' ' || participants FROM imports WHERE id = 2")" = "3 7" ] || fail "migration: $(q old.db 'SELECT * FROM imports WHERE id = 2')"
[ "$(q old.db "SELECT works IS NULL FROM imports WHERE id = 1")" = 1 ] || fail "migration gave a registry import works"
run 0 --db old.db imports
grep -q "^ *2  vpr_students  active  3 works, 7 participants " out || { cat out; fail "after migration imports does not show 3 works, 7 participants"; }

# a store of schema 8 (an index on import_id in every form's table): migrated, the
# indexes are gone and nothing else; status, undo and the imports list still agree
cp t.db v8.db
for f in schools clusters vpr vpr_dist oge; do q v8.db "CREATE INDEX ${f}_import ON $f(import_id)"; done
q v8.db 'PRAGMA user_version = 8'
run 0 --db t.db status; cp out status.before
run 5 --db v8.db status
has err "has schema version 8, older than this soko's 10"
run 0 --db v8.db migrate
has out "brought from schema version 8 to 10"
# (a form defined in defs/forms keeps its index: its table's text is its fingerprint)
left=$(q v8.db "SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND name IN
  ('schools_import', 'clusters_import', 'vpr_import', 'vpr_dist_import', 'oge_import')")
[ -z "$left" ] || fail "after migration the indexes $left are left"
[ "$(q v8.db "SELECT count(*) FROM sqlite_master WHERE name = 'hist_vpr_import'")" = 1 ] ||
  fail "the migration dropped the index of the history"
[ "$(q v8.db 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after migration"
run 0 --db v8.db status
sed "s/v8\.db/t.db/g" out | cmp -s - status.before || { diff status.before out; fail "status changed by the migration"; }
last=$(q v8.db "SELECT max(id) FROM imports WHERE form = 'vpr_students'")
first=$(q v8.db "SELECT min(id) FROM imports WHERE form = 'vpr_students'")
[ "$(q v8.db "SELECT count(*) FROM vpr WHERE import_id = $last")" = 1 ] || fail "import $last: not its one work"
run 0 --db v8.db undo "$last"
run 0 --db v8.db imports
grep -q "^ *$last  vpr_students  undone" out || { cat out; fail "undo after the migration"; }
[ "$(q v8.db "SELECT count(*) FROM vpr WHERE import_id = $last")" = 0 ] || fail "undo left the rows of import $last"
[ "$(q v8.db "SELECT count(*) FROM vpr WHERE import_id = $first")" = 3 ] || fail "undo took rows of import $first"

# a store of schema 9 (every form's table with a rowid and a UNIQUE key beside it):
# migrated, each built-in form's table is keyed by its key (WITHOUT ROWID), with the
# very text a new store has, the same rows, its references to the registry, and the
# key still refusing a repeated row
cp t.db v9.db
unkey=""
for f in $(q v9.db "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%' ORDER BY name"); do
  ddl=$(q v9.db "SELECT sql FROM sqlite_master WHERE name = '$f'" |
        sed 's/^  PRIMARY KEY (/  UNIQUE (/; s/^) WITHOUT ROWID$/)/')
  unkey="$unkey ALTER TABLE $f RENAME TO old_$f; $ddl; INSERT INTO $f SELECT * FROM old_$f; DROP TABLE old_$f;"
done
[ -n "$unkey" ] || fail "a new store has no table WITHOUT ROWID"
q v9.db "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON; BEGIN; $unkey COMMIT; PRAGMA user_version = 9"
[ "$(q v9.db "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%WITHOUT ROWID%'")" = 0 ] || fail "the schema-9 store is still keyed"
run 0 --db v9.db migrate
has out "brought from schema version 9 to 10"
q t.db "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name" > schema.new
q v9.db "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name" > schema.mig
cmp -s schema.new schema.mig || { diff schema.new schema.mig; fail "the migrated schema differs from a new store's"; }
for f in $(q t.db "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
  sqlite3 t.db ".dump $f" > dump.new; sqlite3 v9.db ".dump $f" > dump.mig
  cmp -s dump.new dump.mig || { diff dump.new dump.mig | head; fail "table $f changed by the migration"; }
done
[ "$(q v9.db 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after migration to 10"
[ -z "$(q v9.db 'PRAGMA foreign_key_check')" ] || fail "foreign keys broken by the migration: $(q v9.db 'PRAGMA foreign_key_check')"
[ "$(q v9.db "SELECT \"table\" FROM pragma_foreign_key_list('vpr') WHERE \"from\" = 'school_id'")" = schools ] ||
  fail "vpr no longer refers to the registry"
run 0 --db v9.db status
sed "s/v9\.db/t.db/g" out | cmp -s - status.before || { diff status.before out; fail "status changed by the migration to 10"; }
# the key refuses a repeated row, and a school the registry lacks is refused
printf 'year,school_id,grade,subject,participants,m2,m3,m4,m5\n2024,344,4,Математика,10,1,2,3,4\n2024,344,4,Математика,10,1,2,3,4\n' > rep.csv
run 1 --db v9.db import vpr rep.csv
has err "rep.csv:3"
q v9.db "PRAGMA foreign_keys = ON; INSERT INTO vpr (year, school_id, grade, subject, participants, m2, m3, m4, m5, import_id) VALUES (2024, 'nowhere', 4, 'x', 0, 0, 0, 0, 0, 1)" 2>/dev/null &&
  fail "a row of a school not in the registry was stored after the migration"
[ "$(q v9.db "SELECT count(*) FROM vpr WHERE school_id = 'nowhere'")" = 0 ] || fail "the row of no school is there"
