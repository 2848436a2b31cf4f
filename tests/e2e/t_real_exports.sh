# What real exports hold is read, or refused in the reader's words: Russian headers in
# their usual spellings, Excel's leftovers (empty rows and columns, cells of spaces)
# skipped and counted, thousands with narrow no-break spaces, invisible characters and
# decomposed letters normalised, a year in the future noted; look-alike school codes
# refused against the registry, unknown schools named once each, pupils' names in the
# code column refused without being echoed. Every refusal: exit 1, the store unchanged.
registry r.db

# --- a ФИС ОКО-like export, saved by Excel: ';', CRLF, an empty row above
# the header, two columns without a header, cleared rows, a cell of no-break spaces,
# «Кол-во участников» and «Отметка «2»», the subject once with a zero-width space and
# once with a stress mark
{ printf ';;;;;;;;;;\r\n'
  printf 'Учебный год;Код ОО;Параллель;Предмет;Кол-во участников;Отметка «2»;Отметка «3»;Отметка «4»;Отметка «5»;Средний балл;;\r\n'
  printf '2024/2025;344;5;Математика;1\342\200\257020;20;300;500;200;\302\240;;\r\n'
  printf ';;;;;;;;;;;\r\n'
  printf '2024/2025;344;6;Мате\342\200\213матика;25;2;8;10;5;12,5;;\r\n'
  printf '2024/2025;329;5;Матема\314\201тика;20;1;8;10;1;;;\r\n'
  printf ';;;;;;;;;;;\r\n'; } > excel.csv
run 0 --db r.db import vpr excel.csv
has out "imported 3 rows from 3 records"
has err "note: excel.csv: 3 empty rows skipped"
has err "note: excel.csv: 1 cell held only spaces and was read as empty"
has err "note: excel.csv:1: 2 columns without a header and without data ignored"
[ "$(q r.db "select count(distinct subject) from vpr")" = 1 ] || fail "one subject, however spelled"
[ "$(q r.db "select subject from vpr limit 1")" = "Математика" ] || fail "the subject normalised"
[ "$(q r.db "select participants from vpr where grade = 5 and school_id = '344'")" = 1020 ] ||
  fail "1 020 with a narrow no-break space is 1020"
[ "$(q r.db "select count(*) from vpr where mean_score is null")" = 2 ] || fail "blank cells are empty"

# --- a year after next year: imported, with a note that names the column and the rows
printf 'год,код ОО,предмет,участников,отметка 2,отметка 3,отметка 4,отметка 5\n2031/2032,344,Химия,4,1,1,1,1\n' > future.csv
run 0 --db r.db import oge future.csv
has err "future.csv:2:A: column A «год»: the year 2032 is later than next year"
has err "the row was imported: please check the year"
[ "$(q r.db "select count(*) from oge where year = 2032")" = 1 ] || fail "the future row not stored"

dump r.db > before
refused() {   # refused FORM FILE: exit 1, said so, the store unchanged
  run 1 --db r.db import "$1" "$2"
  has err "$2: refused; nothing was stored from this file"
  dump r.db > after
  cmp -s before after || fail "$2: the store changed after a refused import"
}

# --- a header typo: one message, with the header meant
printf 'год;код ОО;класс;предмет;участников;отметка 2;отметка 3;отмтка 4;отметка 5\n2025;344;7;Физика;4;1;1;1;1\n' > typo.csv
refused vpr typo.csv
has err "typo.csv:1:H: column H «отмтка 4» is not a column of form vpr (did you mean «отметка 4»?)"
[ "$(grep -c '^typo.csv:' err)" = 2 ] || fail "a typo: one message and the refusal"

# --- look-alike school codes: A01 (Latin) registered, А01 (Cyrillic) refused
printf 'school_id,name\nA01,Школа A01\n' > a01.csv
run 0 --db r.db import schools a01.csv
dump r.db > before
printf 'school_id,name\n\320\22001,Школа А01\n' > a01cyr.csv
refused schools a01cyr.csv
has err "a01cyr.csv:2:A: column A «school_id»: «А01» looks the same as «A01», already stored"
printf 'year,school_id,subject,participants,m2,m3,m4,m5\n2025,\320\22001,Химия,4,1,1,1,1\n' > res.csv
refused oge res.csv
has err "school «А01» is not in the schools registry (row 2); expected a school code imported with form schools — did you mean «A01»?"
printf 'year,school_id,subject,participants,m2,m3,m4,m5\n2025,344,Физикa,4,1,1,1,1\n' > mixed.csv
refused oge mixed.csv
has err "mixed.csv:2:C: column C «subject»: «Физикa» has the Latin letter «a» (letter 6 of its word) among Cyrillic ones; expected the letters of one alphabet in a word: «Физика»"

# --- results before the registry: each school once, with its rows
{ echo 'year,school_id,grade,subject,participants,m2,m3,m4,m5'
  i=0; while [ $i -lt 60 ]; do echo "2025,$((900 + i % 2)),$((i % 11 + 1)),П$i,4,1,1,1,1"; i=$((i + 1)); done; } > early.csv
refused vpr early.csv
has err "early.csv:2:B: column B «school_id»: school «900» is not in the schools registry (rows 2, 4, 6 and 27 more)"
has err "early.csv:3:B: column B «school_id»: school «901» is not in the schools registry (rows 3, 5, 7 and 27 more)"
[ "$(grep -c '^early.csv:' err)" = 3 ] || fail "two unknown schools: two messages and the refusal"

# --- pupils' names in the code column: refused, with --keep-students or without, never echoed
printf 'year,school_id,grade,subject,student,primary_score,mark\n2025,344,5,Математика,Иванов Иван Петрович,10,3\n2025,344,5,Математика,A-002,12,4\n' > names.csv
refused vpr_students names.csv
has err "names.csv:2:E: column E «student» holds what looks like a person's name (row 2)"
hasnt err "Иванов"
run 1 --db r.db import vpr_students names.csv --keep-students
hasnt err "Иванов"
