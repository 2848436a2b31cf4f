# docs/forms.md is what `soko docs forms` writes, and every example in it imports.
soko docs forms > forms.md
cmp -s forms.md "$TOP/docs/forms.md" || { diff "$TOP/docs/forms.md" forms.md | head -20; fail "docs/forms.md is stale: run 'soko docs forms > docs/forms.md'"; }
# split the examples: the heading "## `FORM`" names the form of the next ```csv block
awk '/^## `/ { split($0, a, "`"); form = a[2] }
     /^```csv/ { f = form ".csv"; inb = 1; next }
     /^```/ { inb = 0; next }
     inb { print > f }' forms.md
n=0
for form in schools clusters context vpr vpr_students oge ege ege_students rdr olympiad admissions \
    vpr_scales vpr_plan vpr_tasks vpr_reference vpr_reference_tasks; do
  [ -s "$form.csv" ] || fail "no example for form $form in docs/forms.md"
  run 0 --db d.db import "$form" "$form.csv"
  n=$((n + 1))
done
[ $n -eq 16 ] || fail "expected 16 examples, imported $n"
# the template of every form re-imports once a row is added (here: the header alone)
for form in schools vpr ege; do
  run 0 template "$form" --ru
  cp out "t_$form.csv"
  run 0 --db d.db check "$form" "t_$form.csv"
done

# docs/layouts.md: every example layout is checked against the CSV that follows it
awk '/^<!-- example: / {name=$3; want="ini"; next}
     name && /^```/ && !inblk { if ($0 == "```" want) {inblk=1; f=name "." want} ; next }
     inblk && /^```$/ { inblk=0; if (want == "ini") want="csv"; else name=""; next }
     inblk { print > f }' "$TOP/docs/layouts.md"
n=0
for p in *.ini; do
  [ -f "${p%.ini}.csv" ] || fail "docs/layouts.md: example ${p%.ini} has no CSV"
  form=$(sed -n 's/^form = //p' "$p" | head -1)
  run 0 check "$form" "${p%.ini}.csv" --layout "./$p"
  has out "${p%.ini}.csv: ok"
  n=$((n + 1))
done
[ "$n" = 11 ] || fail "expected the 11 examples of docs/layouts.md, found $n"
has_olymp=$(soko check olympiad olympiad_region.csv --layout ./olympiad_region.ini)
echo "$has_olymp" | grep -qF "1 record skipped" || fail "olympiad example: totals row not skipped"
echo "$has_olymp" | grep -qF "1 record with suppressed values not stored (lines 4)" || fail "olympiad example: suppressed row"
soko check schools registry_first.csv --layout ./registry_first.ini | grep -qF "1 record repeats a key" ||
  fail "registry example: repeated key not reported"
soko check vpr report_two_rows.csv --layout ./report_two_rows.ini | grep -qF "1 row is not a school's and was not stored («Вся выборка»; lines 5)" ||
  fail "two-row example: the country's row not reported"
soko check vpr report_reference.csv --layout ./report_reference.ini | grep -qF "3 rows of reference figures (the country, the region, the municipality) read into vpr_reference: «Вся выборка» (russia), «Алтайский край» (region), «reg22_m019 | г. Барнаул» (district); lines 5, 6, 7" ||
  fail "reference example: the reference rows not read"
printf 'school_id,name,login\nedu220001,СОШ № 1,edu220001\n' > reg2.csv
run 0 --db d2.db import schools reg2.csv
run 0 --db d2.db import vpr report_reference.csv --layout ./report_reference.ini
[ "$(sqlite3 d2.db "select group_concat(level||':'||p5, ' ') from (select * from vpr_reference order by level)")" = "district:17.3 region:15.2 russia:16.22" ] ||
  fail "reference example: not stored"
out=$(soko check vpr_tasks task_columns.csv --layout ./task_columns.ini)
echo "$out" | grep -qF "1 task cell without a value (empty or a marker) gave no row" &&
  echo "$out" | grep -qF "4 records" &&
  echo "$out" | grep -qF "3 rows of reference figures (the country, the region, the municipality) read into vpr_reference_tasks: «Вся выборка» (russia); lines 5" ||
  fail "task columns example: $out"
printf 'year,grade,subject,task,max_score,level,skill\n2023,5,Математика,1,1,Б,Счёт\n2023,5,Математика,2,2,Б,Дроби\n2023,5,Математика,3.1,1,П,Задачи\n' > tplan.csv
run 0 --db d2.db import vpr_plan tplan.csv
printf 'school_id,name,login\nedu220001,СОШ № 1,edu220001\nedu220002,Лицей № 2,edu220002\n' > reg2.csv
run 0 --db d2.db import schools reg2.csv
run 0 --db d2.db import vpr_tasks task_columns.csv --layout ./task_columns.ini
[ "$(sqlite3 d2.db "select group_concat(school_id||':'||task||':'||points, ' ') from (select * from vpr_tasks order by school_id, task)")" = "edu220001:1:42.0 edu220001:2:65.0 edu220001:3.1:25.0 edu220002:1:3.0 edu220002:3.1:2.0" ] ||
  fail "task columns example: not stored as expected"
run 0 --db d2.db import vpr_dist score_columns.csv --layout ./score_columns.ini
[ "$(sqlite3 d2.db "select scores from vpr_dist where school_id = 'edu220001'")" = "[1,2,3,1]" ] ||
  fail "score columns example: not stored as expected"
soko check vpr_journal journal_blocks.csv --layout ./journal_blocks.ini | grep -qF "1 row is not a school's and was not stored («Вся выборка»; lines 4)" ||
  fail "blocks example: the country's block"
printf 'year,school_id,grade,subject,participants,m2,m3,m4,m5\n2023,edu220001,5,Математика,50,2,14,22,12\n' > jv.csv
run 0 --db d2.db import vpr jv.csv
run 0 --db d2.db import vpr_journal journal_blocks.csv --layout ./journal_blocks.ini
[ "$(sqlite3 d2.db "select lowered||' '||confirmed||' '||raised from vpr where school_id = 'edu220001'")" = "6 40 4" ] ||
  fail "blocks example: the comparison not stored"
soko check ege ege_wide.csv --layout ./ege_wide.ini | grep -qF "1 group of empty cells (a subject nobody took) gave no row" ||
  fail "wide example: the subject nobody took"
soko check vpr_students pupils_class.csv --layout ./pupils_class.ini | grep -qF "1 pupil marked absent is not a participant" ||
  fail "pupils example: the absent pupil"
