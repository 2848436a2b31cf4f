# Import of a form in both dialects, idempotent re-import, replacement by key, undo.
registry t.db
printf 'year,school_id,grade,subject,participants,m2,m3,m4,m5,mean_score\n2023,344,5,Математика,25,2,8,10,5,12.5\n2023,329,5,Математика,20,1,8,10,1,11.0\n' > vpr.csv
run 0 --db t.db import vpr vpr.csv
has out "imported 2 rows"
[ "$(q t.db 'select sum(participants) from vpr')" = 45 ] || fail "participants not stored"

# the same file again changes nothing
dump t.db > before
run 0 --db t.db import vpr vpr.csv
has out "unchanged"
dump t.db > after
cmp -s before after || fail "re-import changed the store"

# cp1251, ';', decimal comma, Russian headers, academic year: replaces school 344's row
printf 'год;код ОО;класс;предмет;участников;отметка «2»;отметка «3»;отметка «4»;отметка «5»;средний первичный балл\r\n2022/2023;344;5;Математика;26;3;8;10;5;12,25\r\n' | iconv -f utf-8 -t cp1251 > vpr_ru.csv
run 0 --db t.db import vpr vpr_ru.csv
has out "Windows-1251"
[ "$(q t.db "select participants || ' ' || mean_score from vpr where school_id='344'")" = "26 12.25" ] || fail "row not replaced"
id=$(q t.db "select max(id) from imports")

# undo brings the replaced row back, exactly
run 0 --db t.db undo "$id"
dump t.db > undone
cmp -s before undone || { diff before undone; fail "undo did not restore the state"; }
run 2 --db t.db undo "$id"
has err "already undone"
