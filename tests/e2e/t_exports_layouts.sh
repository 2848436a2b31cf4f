# The shipped layouts of real exports (defs/layouts), each on a fixture of its own
# making (tests/fixtures/gen_exports.c): title rows giving year, grade and subject,
# headers over two rows joined (merged in .xlsx, first-cell-only in Excel's CSV),
# schools named by their ФИС ОКО login and mapped through the registry, rows of the
# country, region and municipality read as reference figures (vpr_reference), class names as grades,
# no-value markers, absent pupils.
GEN_EXPORTS=$(dirname "$SOKO")/tests/gen_exports
[ -x "$GEN_EXPORTS" ] || fail "$GEN_EXPORTS is not built (make $(dirname "$SOKO")/tests/gen_exports)"
mkdir -p x && "$GEN_EXPORTS" x || fail "gen_exports failed"
export SOKO_LAYOUTS="$TOP/defs/layouts"

printf 'school_id,name,login\n1,МБОУ СОШ № 1,edu220001\n2,МБОУ Лицей № 2,EDU220002\n3,МБОУ СОШ № 3,edu220003\n' > schools.csv
reg() { run 0 --db "$1" import schools schools.csv; }

# --- the login column of the registry
reg r.db
[ "$(q r.db "select login from schools where school_id = '2'")" = EDU220002 ] || fail "login not stored"

# --- ФИС ОКО «Статистика по отметкам», .xlsx as downloaded
reg s.db
run 0 --db s.db import vpr x/fisoko_stats.xlsx --layout fisoko_marks_report
has out "fisoko_stats.xlsx: imported 2 rows from 6 records"
has out "fisoko_stats.xlsx: 3 rows of reference figures (the country, the region, the municipality) read into vpr_reference: «Вся выборка» (russia), «Алтайский край» (region), «reg22_m019 | г. Барнаул» (district); lines 8, 9, 10"
[ "$(q s.db "select group_concat(level||' '||name||' '||participants||' '||p2||' '||p5, '; ') from (select * from vpr_reference where year = 2023 and grade = 5 and subject = 'Математика' order by level)")" = "district г. Барнаул 5120 8.4 17.3; region Алтайский край 20345 9.8 15.2; russia Вся выборка 1398560 10.51 16.22" ] ||
  fail "the reference rows not stored from the report: $(q s.db "select * from vpr_reference")"
# they belong to the import: undone with it
has out "fisoko_stats.xlsx: 1 record with suppressed values not stored (lines 13)"
has err "4 rows above the header read as the title, the first «Статистика по отметкам»"
reg s2.db
run 0 --db s2.db import vpr x/fisoko_stats.xlsx --layout fisoko_marks_report
run 0 --db s2.db undo 2
[ "$(q s2.db "select count(*) from vpr_reference")" = 0 ] || fail "reference rows left after the undo"
[ "$(q s.db "select year||' '||grade||' '||subject from vpr group by 1")" = "2023 5 Математика" ] ||
  fail "year, grade and subject not taken from the title"
[ "$(q s.db "select participants||' '||m2||' '||m3||' '||m4||' '||m5 from vpr where school_id = '1'")" = "50 2 14 22 12" ] ||
  fail "school 1: counts from the percentages"
# 27 · (11.11, 33.33, 33.33, 22.23)%: largest remainders give 3 9 9 6
[ "$(q s.db "select m2||' '||m3||' '||m4||' '||m5 from vpr where school_id = '2'")" = "3 9 9 6" ] ||
  fail "school 2 (login in capitals in the registry): counts"

# --- the same report saved by Excel as CSV: Windows-1251, ';', merged texts in their
# first cell only (the super-header over «2»…«5», the vertical header cells)
reg c.db
{ printf 'Статистика по отметкам;;;;;;\r\nВПР 2023. 5 класс;;;;;;\r\nПредмет: Математика;;;;;;\r\n'
  printf 'Дата: 18.04.2023;;;;;;\r\n;;;;;;\r\n'
  printf 'Группы участников;Кол-во ОО;Кол-во участников;Распределение отметок в %%;;;\r\n'
  printf ';;;2;3;4;5\r\n'
  printf 'Вся выборка;35012;1398560;10,51;35,2;38,07;16,22\r\n'
  printf 'Алтайский край;1012;20345;9,8;36,1;38,9;15,2\r\n'
  printf 'reg22_m019 | г. Барнаул;41;5120;8,4;34,2;40,1;17,3\r\n'
  printf '(edu220001) МБОУ «СОШ № 1»;1;50;4;28;44;24\r\n'
  printf '(edu220002) МБОУ «Лицей № 2»;1;27;11,11;33,33;33,33;22,23\r\n'
  printf '(edu220003) МБОУ «СОШ № 3»;1;-;-;-;-;-\r\n'; } | iconv -f UTF-8 -t CP1251 > stats.csv
run 0 --db c.db import vpr stats.csv --layout fisoko_marks_report
has out "stats.csv: imported 2 rows from 6 records"
has out "stats.csv: 3 rows of reference figures"
[ "$(dump s.db | grep -v schools)" = "$(dump c.db | grep -v schools)" ] ||
  fail "the report as .xlsx and as Excel's CSV give different stores"

# an unknown login is named, with its rows; nothing stored
printf 'school_id,name,login\n1,МБОУ СОШ № 1,edu220001\n' > one.csv
run 0 --db u.db import schools one.csv
run 1 --db u.db import vpr x/fisoko_stats.xlsx --layout fisoko_marks_report
has err "fisoko_stats.xlsx[Статистика по отметкам]:12:A: column A «Группы участников»: no school of the registry has the login «edu220002» (row 12); expected the login in column login of form schools"
[ "$(q u.db "select count(*) from vpr")" = 0 ] || fail "rows stored from a refused file"

# a total row after the municipality is no level: counted, not stored; a reference
# row's shares that do not add up to 100 refuse the file with its line
{ printf 'ВПР 2023. 5 класс;;;;;;\r\nПредмет: Математика;;;;;;\r\n'
  printf 'Группы участников;Кол-во ОО;Кол-во участников;Распределение отметок в %%;;;\r\n'
  printf ';;;2;3;4;5\r\nВся выборка;35012;1398560;10,51;35,2;38,07;16,22\r\n'
  printf 'reg22_m019 | г. Барнаул;41;5120;8,4;34,2;40,1;17,3\r\nИтого;1;50;4;28;44;24\r\n'
  printf '(edu220001) МБОУ «СОШ № 1»;1;50;4;28;44;24\r\n'; } > total.csv
run 0 --db u.db import vpr total.csv --layout fisoko_marks_report
has out "total.csv: 2 rows of reference figures (the country, the region, the municipality) read into vpr_reference: «Вся выборка» (russia), «reg22_m019 | г. Барнаул» (district); lines 5, 6"
has out "total.csv: 1 row is not a school's and was not stored («Итого»; lines 7)"
sed 's/^Вся выборка;35012;1398560;10,51/Вся выборка;35012;1398560;20,51/' total.csv > badref.csv
run 1 --db u.db import vpr badref.csv --layout fisoko_marks_report
has err "badref.csv:5:D: the shares of the marks add up to 110.0 %; expected 100 % (within ±1 for the rounding)"
sed 's/^Вся выборка;35012;1398560;10,51/Вся выборка;35012;1398560;много/' total.csv > badref.csv
run 1 --db u.db import vpr badref.csv --layout fisoko_marks_report
has err "badref.csv:5:D: column D «Распределение отметок в % 2» (a reference row, p2): found «много»; expected"
[ "$(q u.db "select count(*) from vpr_reference where level = 'russia'")" = 1 ] || fail "the refused file changed the reference rows"

# a title without the year: the pattern and the rows seen are named
{ printf 'Статистика по отметкам;;;;;;\r\nПредмет: Математика;;;;;;\r\n'
  printf 'Группы участников;Кол-во ОО;Кол-во участников;Распределение отметок в %%;;;\r\n'
  printf ';;;2;3;4;5\r\n(edu220001) МБОУ «СОШ № 1»;1;50;4;28;44;24\r\n'; } > notitle.csv
run 1 --db u.db check vpr notitle.csv --layout fisoko_marks_report
has err "notitle.csv: no title row holds the year (layout fisoko_marks_report, [title] year = (впр|проверочные работы)[^0-9]*([0-9]{4})); the rows above the header, then the sheet's and the file's names, are: «Статистика по отметкам», «Предмет: Математика», «notitle»"

# --- ФИС ОКО «Индивидуальные результаты»: per participant, aggregated per work
reg i.db
run 0 --db i.db import vpr_students x/fisoko_individual.xlsx --layout fisoko_individual
has out "fisoko_individual.xlsx: imported 1 work, 5 participants from 5 records"
has out "fisoko_individual.xlsx: 4 task columns read and checked (points from 0 to the task's maximum; X not attempted)"
has err "6 rows above the header read as the title, the first «ВПР 2023 Математика 5 класс»"
[ "$(q i.db "select year||' '||school_id||' '||grade||' '||subject||' '||participants||' '||m2||m3||m4||m5 from vpr")" = "2023 1 5 Математика 5 1121" ] ||
  fail "the work not aggregated from the participants"
[ "$(q i.db "select scores from vpr_dist")" = "[0,0,1,0,1,1,1,0,1]" ] || fail "the primary-score histogram"
has err "column M «Отметка по журналу»: given for 4 of the 5 pupils of the work"
[ "$(q i.db "select count(*) from vpr_students")" = 0 ] || fail "pupils' rows stored without --keep-students"
# the task totals go to vpr_tasks where the work's plan is stored, and are said to be left
# out where it is not
has out "fisoko_individual.xlsx: 4 task totals not stored: the store holds no plan of their works"
[ "$(q i.db "select count(*) from vpr_tasks")" = 0 ] || fail "task rows stored without a plan"
printf 'year,grade,subject,task,max_score,level,skill\n2023,5,Математика,1,1,Б,Счёт\n2023,5,Математика,2,2,Б,Дроби\n2023,5,Математика,3,2,П,Задачи\n2023,5,Математика,4,3,П,Геометрия\n' > plan.csv
run 0 --db i.db import vpr_plan plan.csv
run 0 --db i.db import vpr_students x/fisoko_individual.xlsx --layout fisoko_individual
has out "fisoko_individual.xlsx: 4 task totals stored for the task analysis (vpr_tasks)"
[ "$(q i.db "select group_concat(task || ':' || participants || ':' || points || ':' || max_score, ' ') from (select * from vpr_tasks where year = 2023 and school_id = '1' order by task)")" = "1:5:4.0:1 2:5:8.0:2 3:5:5.0:2 4:5:8.0:3" ] ||
  fail "task totals: $(q i.db 'select * from vpr_tasks')"
[ "$(q i.db "select count(*) from vpr_students")" = 0 ] || fail "pupils' rows stored (task totals)"
last=$(q i.db "select max(id) from imports")
run 0 --db i.db undo "$last"
[ "$(q i.db "select count(*) from vpr_tasks")" = 0 ] || fail "undo left the task totals"
reg k.db
run 0 --db k.db import vpr_students x/fisoko_individual.xlsx --layout fisoko_individual --keep-students
[ "$(q k.db "select group_concat(class || ':' || grade, ' ') from (select * from vpr_students order by student)")" = "5А:5 5А:5 5Б:5 5Б:5 5Б:5" ] ||
  fail "the class name and the grade from it"

# --- ФИС ОКО «Выполнение заданий»: a column per task, each school's cell a row of
# vpr_tasks (completion in %), the reference rows into vpr_reference_tasks
reg t.db
printf 'year,grade,subject,task,max_score,level,skill\n2023,5,Математика,1,1,Б,Счёт\n2023,5,Математика,2,2,Б,Дроби\n' > plan2.csv
run 0 --db t.db import vpr_plan plan2.csv
run 1 --db t.db import vpr_tasks x/fisoko_tasks.xlsx --layout fisoko_tasks
has err "fisoko_tasks.xlsx[Выполнение заданий]:7:F: task 3.1 is not a task of the work's plan (ВПР 2023, grade 5, Математика: tasks 1, 2); expected a task of the plan"
[ "$(q t.db "select count(*) from vpr_tasks") $(q t.db "select count(*) from vpr_reference_tasks")" = "0 0" ] ||
  fail "rows stored from a file refused for a task the plan lacks"
printf 'year,grade,subject,task,max_score,level,skill\n2023,5,Математика,1,1,Б,Счёт\n2023,5,Математика,2,2,Б,Дроби\n2023,5,Математика,3(1),1,П,Задачи\n2023,5,Математика,3(2),2,В,Задачи в два действия\n' > plan.csv
run 0 --db t.db import vpr_plan plan.csv
run 0 --db t.db import x/fisoko_tasks.xlsx
has out "fisoko_tasks.xlsx: ФИС ОКО «Выполнение заданий» (completion in % per task, a column per task), 2023, 5, Математика → vpr_tasks (layout fisoko_tasks)"
has out "fisoko_tasks.xlsx: imported 7 rows from 6 records"
has out "fisoko_tasks.xlsx: 1 task cell without a value (empty or a marker) gave no row"
has out "fisoko_tasks.xlsx: 1 row is not a school's and was not stored («Макс балл»; lines 6)"
has out "fisoko_tasks.xlsx: 12 rows of reference figures (the country, the region, the municipality) read into vpr_reference_tasks: «Вся выборка» (russia), «Алтайский край» (region), «reg22_m019 | г. Барнаул» (district); lines 7, 8, 9"
# school 1: 50 participants; points = completion × max × participants / 100
[ "$(q t.db "select group_concat(task||':'||participants||':'||completion||':'||points, ' ') from (select * from vpr_tasks where school_id = '1' order by task)")" = "1:50:84.0:42.0 2:50:65.0:65.0 3.1:50:50.0:25.0 3.2:50:31.0:31.0" ] ||
  fail "vpr_tasks from the report: $(q t.db 'select * from vpr_tasks')"
[ "$(q t.db "select group_concat(task, ' ') from (select task from vpr_tasks where school_id = '2' order by task)")" = "1 3.1 3.2" ] ||
  fail "the task marked «-» was stored"
[ "$(q t.db "select group_concat(level||':'||task||':'||completion, ' ') from (select * from vpr_reference_tasks where task = '3.2' order by level)")" = "district:3.2:31.5 region:3.2:28.9 russia:3.2:30.4" ] ||
  fail "vpr_reference_tasks from the report: $(q t.db 'select * from vpr_reference_tasks')"
last=$(q t.db "select max(id) from imports")
run 0 --db t.db undo "$last"
[ "$(q t.db "select count(*) from vpr_tasks") $(q t.db "select count(*) from vpr_reference_tasks")" = "0 0" ] ||
  fail "undo left rows of the task report"
# the row of the tasks' maxima is checked against the plan
printf 'year,grade,subject,task,max_score,level,skill\n2023,5,Математика,1,1,Б,Счёт\n2023,5,Математика,2,1,Б,Дроби\n2023,5,Математика,3(1),2,П,Задачи\n2023,5,Математика,3(2),1,В,Задачи в два действия\n' > plan3.csv
reg t3.db
run 0 --db t3.db import vpr_plan plan3.csv
run 1 --db t3.db import vpr_tasks x/fisoko_tasks.xlsx --layout fisoko_tasks
has err "fisoko_tasks.xlsx[Выполнение заданий]:10:E: task 2: maximum score 2 here, but 1 in the work's plan"

# --- ФИС ОКО «Распределение первичных баллов»: each school's row its work's histogram
# (vpr_dist), counts back from the shares; the marks' lowest scores from the scale
reg h.db
run 0 --db h.db import vpr_dist x/fisoko_scores.xlsx --layout fisoko_scores
has out "fisoko_scores.xlsx: imported 2 rows from 3 records"
has out "fisoko_scores.xlsx: 2 histograms stored without the marks' lowest scores: the store holds no conversion scale of their works (the first: 2023, 5, Математика; form vpr_scales), so the objectivity rules cannot test them; import the scales, then this file again"
has out "fisoko_scores.xlsx: 1 row is not a school's and was not stored («Вся выборка»; lines 7)"
[ "$(q h.db "select group_concat(school_id||':'||n||':'||scores||':'||mark_min, ' ') from (select * from vpr_dist order by school_id)")" = '1:7:[1,2,0,1,1,1,0,0,1]:{} 2:3:[0,0,0,1,0,1,0,1,0]:{}' ] ||
  fail "histograms from the report: $(q h.db 'select * from vpr_dist')"
printf 'year,grade,subject,max_score,min3,min4,min5\n2023,5,Математика,8,2,4,7\n' > scale.csv
run 0 --db h.db import vpr_scales scale.csv
# the same file again: the scale now gives the boundaries, so it is not «unchanged»
run 0 --db h.db import x/fisoko_scores.xlsx
has out "fisoko_scores.xlsx: ФИС ОКО «Распределение первичных баллов» (% of the participants per primary score), 2023, 5, Математика → vpr_dist (layout fisoko_scores)"
grep -qF "without the marks' lowest scores" out && fail "the scale was not used"
[ "$(q h.db "select group_concat(distinct mark_min) from vpr_dist")" = '{"3":2,"4":4,"5":7}' ] ||
  fail "the marks' lowest scores not taken from the scale: $(q h.db 'select * from vpr_dist')"
run 0 --db h.db import x/fisoko_scores.xlsx
has out "fisoko_scores.xlsx: unchanged: the same file is stored as import"
# vpr_dist is soko's own otherwise; shares that do not add up refuse the file
run 2 --db h.db import vpr_dist x/vpr_plain.xlsx
has err "unknown form 'vpr_dist'"
{ printf 'ВПР 2023. 5 класс;;;;\r\nПредмет: Математика;;;;\r\n'
  printf 'Группы участников;Кол-во участников;Распределение первичных баллов;;\r\n;;0;1;2\r\n'
  printf '(edu220001) МБОУ «СОШ № 1»;10;10;20;50\r\n'; } > badscores.csv
run 1 --db h.db import vpr_dist badscores.csv --layout fisoko_scores
has err "badscores.csv:5:C: the shares of the primary scores add up to 80.00; expected 100 within rounding (±0.15), so that the counts add up to Кол-во участников = 10"
sed 's/;10;10;20;50/;10;10;20;много/' badscores.csv > badscores2.csv
run 1 --db h.db import vpr_dist badscores2.csv --layout fisoko_scores
has err "badscores2.csv:5:E: the share of primary score 2: 'много' is not a percentage; expected a number 0..100"

# --- ФИС ОКО «Сравнение отметок с отметками по журналу»: a block per school, its
# comparison put into the work's stored results (vpr), undone with the import
reg jr.db
run 1 --db jr.db import vpr_journal x/fisoko_journal.xlsx --layout fisoko_journal
has err "fisoko_journal.xlsx[Сравнение отметок]:11:A: no ВПР results of school 1 are stored for the work (ВПР 2023, grade 5, Математика); expected the work's marks (form vpr: «Статистика по отметкам») imported first, or before this file in the same command"
# in one command: the marks first, whatever the order given
run 0 --db jr.db import x/fisoko_journal.xlsx x/fisoko_stats.xlsx
has out "fisoko_journal.xlsx: ФИС ОКО «Сравнение отметок с отметками по журналу» (a block per school), 2023, 5, Математика → vpr_journal (layout fisoko_journal)"
has out "fisoko_journal.xlsx: imported 2 rows from 15 records"
has out "fisoko_journal.xlsx: 1 row is not a school's and was not stored («Вся выборка»; lines 6)"
[ "$(q jr.db "select group_concat(school_id||':'||participants||':'||m2||m3||m4||m5||':'||lowered||' '||confirmed||' '||raised, '; ') from (select * from vpr order by school_id)")" = "1:50:2142212:6 40 4; 2:27:3996:1 20 6" ] ||
  fail "the comparison not put into the stored results: $(q jr.db 'select * from vpr')"
last=$(q jr.db "select max(id) from imports")
# the marks imported again (a new download) keep the comparison of the same participants
run 0 --db jr.db import vpr stats.csv --layout fisoko_marks_report
[ "$(q jr.db "select group_concat(lowered||' '||confirmed||' '||raised, '; ') from (select * from vpr order by school_id)")" = "6 40 4; 1 20 6" ] ||
  fail "the marks imported again lost the journal comparison: $(q jr.db 'select * from vpr')"
run 0 --db jr.db undo "$(q jr.db "select max(id) from imports")"
run 0 --db jr.db undo "$last"
[ "$(q jr.db "select count(*) from vpr where lowered is not null") $(q jr.db "select count(*) from vpr")" = "0 2" ] ||
  fail "undo did not give the results back as they were"
# the blocks as Excel saves them, with the faults a file may have: each named with its line
{ printf 'ВПР 2023. 5 класс;;\r\nПредмет: Математика;;\r\nГруппы участников;Кол-во участников;%%\r\n'
  printf '(edu220001) МБОУ «СОШ № 1»;;\r\nПонизили (Отметка < Отметка по журналу);6;12\r\n'
  printf 'Подтвердили (Отметка = Отметка по журналу);40;80\r\nПовысили (Отметка > Отметка по журналу);4;8\r\n'
  printf 'Всего;51;100\r\n'; } > journal.csv
run 1 --db jr.db import vpr_journal journal.csv --layout fisoko_journal
has err "journal.csv:4:B: column B «Кол-во участников»: the comparison with journal marks adds up to 50, but the participants are 51; expected «Понизили» + «Подтвердили» + «Повысили» = «Всего»"
sed 's/^Всего;51;100/Всего;50;100/' journal.csv > j1.csv
run 0 --db jr.db import vpr_journal j1.csv --layout fisoko_journal
[ "$(q jr.db "select lowered||' '||confirmed||' '||raised from vpr where school_id = '1'")" = "6 40 4" ] || fail "journal.csv"
sed '/^Подтвердили/d' j1.csv > j2.csv
run 1 --db jr.db check vpr_journal j2.csv --layout fisoko_journal
has err "j2.csv:4:A: the block «(edu220001) МБОУ «СОШ № 1»» has no row «Подтвердили» (layout fisoko_journal, confirmed); expected it among the block's rows"
sed 's/^Повысили (Отметка > Отметка по журналу)/Прочие/' j1.csv > j3.csv
run 1 --db jr.db check vpr_journal j3.csv --layout fisoko_journal
has err "j3.csv:7:A: «Прочие» in the block «(edu220001) МБОУ «СОШ № 1»» (line 4) is none of the layout's rows («Всего», «Понизили», «Подтвердили», «Повысили»); expected one of them, or a new block's label alone in its row"
sed '4d' j1.csv > j4.csv
run 1 --db jr.db check vpr_journal j4.csv --layout fisoko_journal
has err "j4.csv:4:A: a row of figures («Понизили (Отметка < Отметка по журналу)») before the first block's label (layout fisoko_journal, blocks = Группы участников)"
sed 's/^Понизили (Отметка < Отметка по журналу);6;12/Понизили;шесть;12/' j1.csv > j5.csv
run 1 --db jr.db check vpr_journal j5.csv --layout fisoko_journal
has err "j5.csv:5:B: column B «Кол-во участников»: found «шесть»; expected"

# --- ФИС ОКО «Протокол»: per participant, no marks (from the conversion scale), the
# subject in the file's name, the year of the upload date, the absent pupil not counted
P="x/Протокол_ВПР_2023_Математика_4_класс.xlsx"
reg pr.db
run 1 --db pr.db import "$P"
has out "Протокол_ВПР_2023_Математика_4_класс.xlsx: ФИС ОКО «Протокол» (the upload form: per participant, tasks, no marks), Математика → vpr_students (layout fisoko_protocol)"
has err "Протокол_ВПР_2023_Математика_4_класс.xlsx[Протокол]:2: «отметка»: no mark, and no conversion scale of the work (2023, grade 4, Математика) in the store (rows 2, 3 and 5); expected the marks, or the scale imported first with form vpr_scales"
printf 'year,grade,subject,max_score,min3,min4,min5\n2023,4,Математика,5,2,3,4\n' > scale4.csv
run 0 --db pr.db import vpr_scales scale4.csv
run 0 --db pr.db import "$P"
has out "Протокол_ВПР_2023_Математика_4_класс.xlsx: imported 1 work, 3 participants from 4 records"
has out "1 pupil marked absent is not a participant (not stored)"
# scores 4, 3, 0 → marks 5, 4, 2 by the scale; journal 5, 4, 3: confirmed 2, lowered 1
[ "$(q pr.db "select year||' '||school_id||' '||grade||' '||subject||' '||participants||' '||m2||m3||m4||m5||' '||lowered||confirmed||raised from vpr")" = "2023 1 4 Математика 3 1011 120" ] ||
  fail "the protocol's work: $(q pr.db 'select * from vpr')"
[ "$(q pr.db "select scores from vpr_dist")" = "[1,0,0,1,1]" ] || fail "the protocol's histogram"
# the total must be the tasks' points added up; a file named otherwise has no subject
mkdir -p pr && cp "$P" pr/protocol.xlsx
run 1 --db pr.db import vpr_students pr/protocol.xlsx --layout fisoko_protocol
has err "protocol.xlsx[Протокол]: no title row holds the subject (layout fisoko_protocol, [title] subject = впр[[:space:]]+[0-9]{4}[[:space:]]+(.+)[[:space:]]+[0-9]{1,2}[[:space:]]*класс); the rows above the header, then the sheet's and the file's names, are: «Протокол», «protocol»"
{ printf 'Пользователь;Школа;Дата загрузки;Код;Вариант;1 (1б);2 (2б);Наименование класса;Отметка за предыдущий триместр/четверть/полугодие;Итого баллов\r\n'
  printf 'edu220001;edu220001 | МБОУ СОШ № 1;18.04.2023;40001;1;1;2;4А;5;3\r\n'
  printf 'edu220001;edu220001 | МБОУ СОШ № 1;18.04.2023;40002;1;1;X;4А;4;2\r\n'; } > ВПР_2023_Математика_4_класс.csv
run 1 --db pr.db check vpr_students ВПР_2023_Математика_4_класс.csv --layout fisoko_protocol
has err "ВПР_2023_Математика_4_класс.csv:3:J: column J «Итого баллов»: 2, but the points of the 2 task columns add up to 1; expected the primary score to be their sum"

# --- РЦОИ: ЕГЭ per school, one group of columns per subject (wide)
reg w.db
run 0 --db w.db import ege x/rcoi_ege.xlsx --layout rcoi_ege_wide
has out "rcoi_ege.xlsx: imported 5 rows from 3 records"
has out "rcoi_ege.xlsx: 1 record skipped by the layout's skip rules (totals rows)"
has out "rcoi_ege.xlsx: 1 group of empty cells (a subject nobody took) gave no row"
[ "$(q w.db "select count(*) from ege where school_id = '1' and subject = 'Физика'")" = 0 ] ||
  fail "a subject nobody took was stored"
[ "$(q w.db "select participants||' '||mean_score||' '||below_min||' '||high_scorers||' '||score_100 from ege where school_id = '2' and subject = 'Математика (профильный уровень)'")" = "35 70.3 0 12 1" ] ||
  fail "school 2, mathematics: the group's measures"
[ "$(q w.db "select group_concat(distinct year) from ege")" = 2024 ] || fail "the year from the title"
# the same table as Excel's CSV: each subject in its group's first cell only
reg wc.db
m='Количество участников;Средний тестовый балл;Не преодолели минимального порогового значения;от 81 до 100 баллов;Количество 100-балльников'
{ printf 'Результаты ЕГЭ 2024 года по общеобразовательным организациям района\n\n'
  printf 'Код ОУ;Наименование ОУ;Русский язык;;;;;Математика (профильный уровень);;;;;Физика;;;;\n'
  printf ';;%s;%s;%s\n' "$m" "$m" "$m"
  printf '1;МБОУ СОШ № 1;50;72,4;0;15;1;30;65,1;1;5;0;-;-;-;-;-\n'
  printf '2;МБОУ Лицей № 2;40;80,2;0;20;2;35;70,3;0;12;1;12;66,5;0;3;0\n'
  printf ';Итого по району;90;75,9;0;35;3;65;67,5;1;17;1;12;66,5;0;3;0\n'; } > ege.csv
run 0 --db wc.db import ege ege.csv --layout rcoi_ege_wide
[ "$(dump w.db | grep -v schools)" = "$(dump wc.db | grep -v schools)" ] ||
  fail "the wide table as .xlsx and as CSV give different stores"

# --- ВсОШ rating: one sheet per subject, statuses counted per school, subject, stage
reg o.db
run 0 --db o.db import olympiad x/vsosh_rating.xlsx --layout vsosh_rating
has out "vsosh_rating.xlsx: imported 4 rows from 8 records as import #2 (xlsx, 2 sheets: «Математика», «Физика»"
[ "$(q o.db "select group_concat(school_id||' '||subject||' '||stage||' '||year||' '||participants||' '||winners||' '||prizewinners||' '||olympiad, '; ') from (select * from olympiad order by school_id, subject)")" = \
  "1 Математика municipal 2023 3 1 1 ВсОШ; 1 Физика municipal 2023 1 0 0 ВсОШ; 2 Математика municipal 2023 2 0 1 ВсОШ; 2 Физика municipal 2023 2 1 0 ВсОШ" ] ||
  fail "the rating's counts per school, subject and stage"
sqlite3 o.db .dump | grep -q 'М-07-001' && fail "a participant's code was stored"
# --sheet reads one subject's sheet only
reg o1.db
run 0 --db o1.db import olympiad x/vsosh_rating.xlsx --layout vsosh_rating --sheet Физика
[ "$(q o1.db "select count(*) from olympiad")" = 2 ] || fail "--sheet: one sheet"

# --- soko import FILE... without a form: each file recognised, the registry first,
# each file all or nothing
mkdir -p exports
cp x/fisoko_stats.xlsx x/rcoi_ege.xlsx x/vsosh_rating.xlsx schools.csv exports/
run 0 --db auto.db import exports/*.xlsx exports/schools.csv
has out "schools.csv: form schools (its own header)"
has out "fisoko_stats.xlsx: ФИС ОКО «Статистика по отметкам» (the downloaded report: title, two-row header, logins), 2023, 5, Математика → vpr (layout fisoko_marks_report)"
has out "rcoi_ege.xlsx: РЦОИ: ЕГЭ per school, one group of columns per subject, 2024 → ege (layout rcoi_ege_wide)"
has out "vsosh_rating.xlsx: ВсОШ stage rating, one sheet per subject (statuses counted per school), 2022/2023, Математика, municipal → olympiad (layout vsosh_rating)"
[ "$(q auto.db "select group_concat(form, ' ') from (select form from imports order by id)")" = "schools vpr ege olympiad" ] ||
  fail "the registry was not imported first"
[ "$(dump auto.db | grep -c 'INSERT INTO vpr ')" = 2 ] || fail "the ФИС ОКО rows"
# the plan and the scale before the task and score reports they are checked against
mkdir -p exports2
cp x/fisoko_tasks.xlsx x/fisoko_scores.xlsx plan.csv scale.csv schools.csv exports2/
run 0 --db auto3.db import exports2/fisoko_tasks.xlsx exports2/fisoko_scores.xlsx exports2/plan.csv exports2/scale.csv exports2/schools.csv
[ "$(q auto3.db "select group_concat(form, ' ') from (select form from imports order by id)")" = "schools vpr_plan vpr_scales vpr_dist vpr_tasks" ] ||
  fail "the plan and the scale were not imported first: $(q auto3.db 'select form from imports order by id')"
[ "$(q auto3.db "select count(*) from vpr_tasks") $(q auto3.db "select count(*) from vpr_reference_tasks") $(q auto3.db "select count(distinct mark_min) from vpr_dist")" = "7 12 1" ] ||
  fail "the task and score reports from the folder"
# a folder imports the same way (its files by name); the same bytes: unchanged
run 0 --db auto.db import exports
has out "fisoko_stats.xlsx: unchanged: the same file is stored as import #2"
# an unknown file is refused with what was tried, the others still import
printf 'foo,bar\n1,2\n' > odd.csv
run 1 --db auto2.db import odd.csv exports/schools.csv
has err "odd.csv: not recognised: its header is that of no form and no layout (tried schools, clusters"
has err "layout fisoko_marks_report"
has err "odd.csv: refused; nothing was stored from this file"
has out "schools.csv: imported 3 rows"
# two layouts that fit the same file: ambiguous, both named
mkdir -p two && cp "$TOP/defs/layouts/fisoko_marks_report.ini" two/a.ini &&
  cp "$TOP/defs/layouts/fisoko_marks_report.ini" two/b.ini
SOKO_LAYOUTS=$PWD/two run 1 --db auto2.db import x/fisoko_stats.xlsx
has err "fisoko_stats.xlsx: ambiguous: it fits layout a (form vpr), layout b (form vpr); expected 'soko import FORM FILE' or --layout NAME to choose"
export SOKO_LAYOUTS="$TOP/defs/layouts"
# check recognises the same way, and stores nothing
run 0 check x/fisoko_stats.xlsx x/rcoi_ege.xlsx
has out "fisoko_stats.xlsx: ФИС ОКО «Статистика по отметкам»"
has out "fisoko_stats.xlsx: ok, 6 records (xlsx, sheet «Статистика по отметкам»); schools not checked: no store"
has out "rcoi_ege.xlsx: ok, 3 records"
[ ! -e soko.db ] || fail "check created a store"
# a form named, or --layout alone, still forces the choice
run 0 --db auto2.db import x/fisoko_stats.xlsx --layout fisoko_marks_report
has out "fisoko_stats.xlsx: imported 2 rows"

# --- conversion scales: marks for a file without them, a contradicting mark noted
reg sc.db
printf 'year,school_id,grade,subject,student,primary_score\n2024,1,5,Математика,A1,5\n2024,1,5,Математика,A2,12\n2024,1,5,Математика,A3,18\n' > nomark.csv
run 1 --db sc.db import vpr_students nomark.csv
has err "nomark.csv:2: «отметка»: no mark, and no conversion scale of the work (2024, grade 5, Математика) in the store (rows 2, 3 and 4); expected the marks, or the scale imported first with form vpr_scales"
printf 'год;класс;предмет;максимальный балл;«3» от;«4» от;«5» от\n2024;5;Математика;20;7;12;17\n' > scales.csv
run 0 --db sc.db import vpr_scales scales.csv
run 0 --db sc.db import vpr_students nomark.csv
[ "$(q sc.db "select m2||m3||m4||m5 from vpr where school_id = '1'")" = 1011 ] || fail "marks from the scale"
printf 'year,school_id,grade,subject,student,primary_score,mark\n2024,2,5,Математика,B1,5,3\n2024,2,5,Математика,B2,12,4\n' > withmark.csv
run 0 --db sc.db import vpr_students withmark.csv
has err "withmark.csv:2:G: column G «mark»: 1 mark differs from the conversion scale of the work (2024, grade 5, Математика: «3» from 7, «4» from 12, «5» from 17 of 20) (row 2); the marks were imported as given: please check them"
printf 'year,grade,subject,max_score,min3,min4,min5\n2024,6,Математика,20,12,7,17\n' > badscale.csv
run 1 --db sc.db import vpr_scales badscale.csv
has err "badscale.csv:2:E: column E «min3»: found 12, more than «min4» (7); expected «min3» ≤ «min4» ≤ «min5» ≤ «max_score»"
# the scales import before the per-student files when the files are recognised
reg sa.db
run 0 --db sa.db import nomark.csv scales.csv
[ "$(q sa.db "select group_concat(form, ' ') from (select form from imports order by id)")" = "schools vpr_scales vpr_students" ] ||
  fail "the scales were not imported before the pupils"
