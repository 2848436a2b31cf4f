# A note the committee can use as it is: written from any subset of forms (each form
# alone, the registry alone); Russian through and through (no codes, SQL, commands,
# English values); Russian typography; no contradictions between the findings and the
# recommendations; conclusions and questions at the end; the card compares with the
# school's thematic cluster (--cluster chooses, the all-schools cluster never counts);
# subject names mapped (ЕГЭ «Математика (профильный уровень)»); CSV copies as Russian
# Excel opens them, tables.xlsx with real formats (openpyxl); DOCX in the official
# layout; output files never follow planted links; cluster directories transliterated
# and unique; --out and --date errors that say why.
command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed"
I="--indicators $TOP/defs/indicators"
NB=$(printf '\302\240')   # no-break space
D="--date 2026-12-02"

base() {  # base DB: the registry and the clusters
  rm -f "$1" "$1-wal" "$1-shm"
  run 0 --db "$1" import --quiet schools "$SAMPLES/schools.csv"
  run 0 --db "$1" import --quiet clusters "$SAMPLES/clusters.csv"
}

# ---- 1. always a note: every form alone, and the registry alone
for f in none vpr oge ege rdr olympiad admissions context; do
  base one.db
  [ "$f" = none ] || run 0 --db one.db import --quiet "$f" "$SAMPLES/$f.csv"
  rm -rf "o_$f"
  run 0 --db one.db note $I --cluster nevsky_stem --out "o_$f" $D
  [ -s "o_$f/note.md" ] && [ -s "o_$f/note.html" ] || fail "$f alone: no note"
  sed 's/\\//g' "o_$f/note.md" > "p_$f"
  has "p_$f" "## 12. Выводы и предложения"
  [ "$f" = vpr ] || has "p_$f" "Нет данных."
  run 0 --db one.db card $I --school 344 --out "c_$f" $D
  run 0 --db one.db report $I --out "r_$f" $D
done
has p_none "нет данных форм"
# an empty chart is a frame that says so
grep -q "нет данных" o_none/heatmap.svg || fail "empty heat map without «нет данных»"
hasnt o_none/charts.gp "plot NaN"

# ---- the full district
base d.db
for f in context vpr oge ege rdr olympiad admissions; do
  run 0 --db d.db import --quiet "$f" "$SAMPLES/$f.csv"
done
run 0 --db d.db note $I --cluster nevsky_stem --out n $D --docx
M=n/note.md
sed 's/\\//g' $M > plain.md
# the reader's text: without the chart file references and the files' own names
grep -v '^!\[' plain.md | grep -vE '\.(ini|csv)( |$)' > prose.md

# ---- 2. Russian all the way: no stored codes, SQL, rule ids or commands in the text
for bad in math-science universal humanities linguistic "IS NOT NULL" "stage IN" "soko flags" \
           "seed:" "(худшая сторона)" "threshold" "funnel" "municipal" "stably_high" "p = <" \
           "г.." "2026-12-02" " -1" "окно 3 г." "2024–2026${NB}г." "2024–2026 г." "0.0"; do
  hasnt prose.md "$bad"
done
has plain.md "составлена 2 декабря 2026 г."
has plain.md "2024–2026${NB}гг."
has plain.md "физико-математический и естественнонаучный"
has plain.md "заключительный"
# every stored profile, role and stage of the samples has a display name
for v in $(cut -d, -f5 "$SAMPLES/schools.csv" | tail -n +2 | sort -u | grep -v ' '); do
  grep -q "^$v = " "$TOP/defs/names.ini" || fail "names.ini: no display name for profile $v"
done
# typography: p-values, the minus sign, non-breaking space before %
has plain.md "p < 0,001"
grep -q "[0-9] %" plain.md && fail "a plain space before % (expected a non-breaking one)"
grep -q "[0-9],[0-9]*${NB}%" plain.md || fail "no number with a non-breaking space before %"

# ---- 3. no contradictions: a school with a problem or a worsening is never told to keep
# its level; the labels say position and meaning
awk '/^## 11\./{on=1;next} /^## 12\./{on=0} on' plain.md > rec.md
awk '/^#### /{if (blk!="") print blk; blk=$0; next} {blk=blk" "$0} END{print blk}' rec.md > blocks
grep -E "Отставание от района|Ухудшение|Низкие результаты|Стабильно низкие" blocks | \
  grep -q "сохранить достигнутый уровень" && fail "a school with a problem is told to keep its level"
grep -q "сохранить достигнутый уровень" blocks || fail "no school is told to keep its level"
# (which schools stand beyond a limit depends on the calibrated verdicts: the labels
# must say the position and the meaning, whichever they are)
grep -qE "▼ ниже — (лучше|хуже)" plain.md || fail "no «▼ ниже — …» label"
has plain.md "▲▲ выше — лучше"

# ---- 6. conclusions and the numbered questions, tied to tables
awk '/^### Что обсудить/{on=1;next} /^## /{on=0} on' plain.md > q.md
grep -q '^- \*\*1\.\*\*' q.md || fail "no numbered questions for the session"
grep -q 'табл\. [0-9]' q.md || fail "questions not tied to the evidence"
prose=$(grep -v '^|' plain.md | wc -w)
echo "note length: $(wc -w < plain.md) words, $prose words outside tables"
[ "$prose" -le 3600 ] || fail "the note's prose is $prose words (expected a 15-minute read, ≤ 3,600)"

# ---- 4. the card: the school's thematic cluster, --cluster among several, never «all»
{ echo 'cluster_id,school_id,cluster_name,role'
  tail -n +2 "$SAMPLES/schools.csv" | cut -d, -f1 | sed 's/^/aaa_all,/; s/$/,Все ОО района,member/'
} > all.csv
run 0 --db d.db import --quiet clusters all.csv
run 0 --db d.db card $I --school 512 --out k1 $D
has k1/card.md "Кластер: «Кластер точных и естественнонаучных дисциплин», роль ОО — ОО-активист"
has k1/card.md "ОО-куратор"
hasnt k1/card.md "Кластер: «Все ОО района»"
run 0 --db d.db card $I --school 512 --cluster support --out k2 $D
has k2/card.md "роль ОО — ОО-куратор"
run 2 --db d.db card $I --school 512 --cluster humanities --out k3 $D
has err "expected one of: nevsky_stem, support"
run 0 --db d.db card $I --school 13 --out k4 $D
has k4/card.md "базовая (флагманская) ОО"
run 0 --db d.db report $I --out ra $D
hasnt ra/index.md "| Все ОО района |"

# ---- 5. subject names mapped where the note reads results
sed 's/,Математика,/,Математика (профильный уровень),/' "$SAMPLES/ege.csv" > ege2.csv
base e.db
run 0 --db e.db import --quiet ege ege2.csv
run 0 --db e.db note $I --cluster nevsky_stem --out e $D
sed 's/\\//g' e/note.md | awk '/Таблица [0-9]+\. Средний тестовый балл \(ЕГЭ\): Математика профильная/{on=1} on&&/^\| ГБОУ/{print; n++} n==3{exit}' > math
[ -s math ] || fail "no ЕГЭ mathematics table after mapping the subject"
grep -q '| — |' math && fail "ЕГЭ mathematics table has dashes: subject not mapped"

# ---- 8. tables for Russian Excel
csv=$(ls n/tables/*_vpr_sou_all.csv | head -1)
/usr/bin/python3 - "$csv" n/tables.xlsx <<'EOF' || fail "CSV/XLSX for Excel"
import csv, sys, openpyxl
raw = open(sys.argv[1], 'rb').read()
assert raw.startswith(b'\xef\xbb\xbf'), 'no BOM'
rows = list(csv.reader(raw.decode('utf-8-sig').splitlines(), delimiter=';'))
head = rows[0]
assert '95% интервал: нижняя граница' in head and '95% интервал: верхняя граница' in head, head
v = rows[1][head.index('Значение')]
assert ',' in v and '.' not in v, v            # decimal comma
float(v.replace(',', '.'))
wb = openpyxl.load_workbook(sys.argv[2])
names = wb.sheetnames
assert all(len(n) <= 31 for n in names) and len(set(n.lower() for n in names)) == len(names)
assert any(n.startswith('3. СОУ по всем работам ВПР') for n in names), names
ws = wb[[n for n in names if n.startswith('3. СОУ')][0]]
hdr = [c.value for c in ws[3]]
col = {h: i + 1 for i, h in enumerate(hdr)}
val = ws.cell(row=4, column=col['Значение'])
n = ws.cell(row=4, column=col['n'])
lo = ws.cell(row=4, column=col['95% интервал: нижняя граница'])
assert isinstance(val.value, float) and isinstance(n.value, (int, float)) and isinstance(lo.value, float)
assert n.number_format == '0', n.number_format
assert ws.auto_filter.ref, 'no autofilter'
assert ws.freeze_panes == 'B4', ws.freeze_panes
assert ws.column_dimensions['A'].width >= 30, ws.column_dimensions['A'].width
pct = [s for s in names if s.startswith('4. Качество знаний')][0]
c = wb[pct].cell(row=4, column=2)
assert c.number_format == '0.0%' and 0 < c.value < 1, (c.number_format, c.value)
EOF

# ---- 7. DOCX: A4, margins, Times New Roman 14/12, headers repeat, numbered captions
[ -s n/note.docx ] || fail "no note.docx"
/usr/bin/python3 - n/note.docx <<'EOF' || fail "DOCX layout"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
doc = z.read('word/document.xml').decode()
sty = z.read('word/styles.xml').decode()
assert '<w:pgSz w:w="11906" w:h="16838"/>' in doc
assert 'w:left="1701"' in doc and 'w:right="850"' in doc
assert 'Times New Roman' in sty and '<w:sz w:val="28"/>' in sty and '<w:sz w:val="24"/>' in sty
assert doc.count('<w:tblHeader/>') >= 20
assert 'Таблица 1. Состав кластера' in doc and 'Рис. 1.' in doc
assert len([n for n in z.namelist() if n.startswith('word/media/')]) >= 5
EOF
run 0 --db d.db note $I --cluster nevsky_stem --out n3 $D --docx
run 0 --db d.db note $I --cluster nevsky_stem --out n4 $D --docx
cmp -s n3/note.docx n4/note.docx || fail "note.docx differs between two runs"

# ---- hardening: planted links are replaced, never followed
mkdir sl && echo keep > victim.txt
ln -s ../victim.txt sl/note.html
ln -s ../victim2.txt sl/charts.log
ln -s ../victim3.txt sl/tables.xlsx
run 0 --db d.db note $I --cluster nevsky_stem --out sl $D
[ "$(cat victim.txt)" = keep ] || fail "note.html followed a planted link"
[ ! -e victim2.txt ] && [ ! -e victim3.txt ] || fail "an output file was created through a link"
[ -f sl/note.html ] && [ ! -L sl/note.html ] || fail "sl/note.html is not a regular file"
ls -a sl | grep -q '^\.soko-' && fail "a temporary directory was left in --out"
ls -a sl | grep -q '\.tmp$' && fail "a temporary file was left in --out"
ln -s sl linked
run 4 --db d.db note $I --cluster nevsky_stem --out linked $D
has err "symbolic link"
# a failing gnuplot leaves no partial charts and no note
SOKO_GNUPLOT=false run 4 --db d.db note $I --cluster nevsky_stem --out g $D
[ -z "$(ls g 2>/dev/null | grep -v '^tables$')" ] || fail "a failing chart run left files: $(ls g)"

# ---- --out and --date errors say why
echo x > afile
run 4 --db d.db note $I --cluster nevsky_stem --out afile $D
has err "afile"
grep -Eq "Not a directory|File exists|a file of that name exists" err || fail "no reason: $(cat err)"
run 4 --db d.db note $I --cluster nevsky_stem --out nodir/sub $D
has err "No such file or directory"
run 2 --db d.db note $I --cluster nevsky_stem --out x --date 2024-02-30
has err "2024-02-30"
run 0 --db d.db note $I --cluster nevsky_stem --out leap --date 2024-02-29

# ---- report: cluster directories transliterated and unique
printf 'cluster_id,school_id,cluster_name,role\nЕН,344,Естественные науки,activist\nГУ,13,Гуманитарные,flagship\nEN,329,Другой,member\n' > cl.csv
base t.db
run 0 --db t.db import --quiet clusters cl.csv
run 0 --db t.db import --quiet vpr "$SAMPLES/vpr.csv"
run 0 --db t.db report $I --out tr $D
for dir in EN GU EN_2; do
  [ -s "tr/$dir/note.html" ] || fail "report: no tr/$dir/note.html ($(ls tr))"
  has tr/index.html "href=\"$dir/note.html\""
done

# ---- docs/reports.md: its example files work as documented
awk '/^<!-- example: / {name=$3; next}
     name && /^```ini$/ {inb=1; next}
     inb && /^```$/ {inb=0; name=""; next}
     inb {print > ("doc_" name)}' "$TOP/docs/reports.md"
for f in note.ini names.ini subjects.ini; do [ -s "doc_$f" ] || fail "docs/reports.md: no example $f"; done
# the example [note] with the shipped note.ini's indicators
awk '/^\[/{on = ($0 != "[note]")} on' "$TOP/defs/note.ini" >> doc_note.ini
run 0 --db e.db import --quiet rdr "$SAMPLES/rdr.csv"
SOKO_NOTE_INI=$PWD/doc_note.ini SOKO_NAMES_INI=$PWD/doc_names.ini SOKO_SUBJECTS_INI=$PWD/doc_subjects.ini \
  run 0 --db e.db note $I --cluster nevsky_stem --out docex $D
sed 's/\\//g' docex/note.md > docex.md
has docex.md "физико-математический и естественнонаучный"
has docex.md "Средний тестовый балл (ЕГЭ): Математика профильная"
has docex.md "Доля достигших базового уровня (РДР) по предмету, все классы, 2026"
# e.db has no training exams: the listed procedure says so instead of an empty table
has docex.md "Качество знаний (тренировочные экзамены) по предмету, все классы: результатов за 2026"
hasnt docex.md "ПК «Знак»"
# assessments is optional; an item must be broken down by subject alone
grep -v '^assessments = ' doc_note.ini > noas_note.ini
SOKO_NOTE_INI=$PWD/noas_note.ini run 0 --db e.db note $I --cluster nevsky_stem --out noas $D
has noas/note.md "Перечень процедур раздела (assessments в note.ini) не задан"
sed 's/^assessments = .*/assessments = vpr_sou_all, ege_mean[Математика профильная]/' doc_note.ini > bad_as.ini
SOKO_NOTE_INI=$PWD/bad_as.ini run 3 --db e.db note $I --cluster nevsky_stem --out bad $D
has err "bad_as.ini:11: [note]: assessments: 'vpr_sou_all': expected an indicator broken down by one column alone (dims = subject, or study for НИКО), without [SUBJECT]"
has err "bad_as.ini:11: [note]: assessments: 'ege_mean[Математика профильная]': expected an indicator"
# a list naming an unknown indicator is refused at load, with its line
sed 's/^key = vpr_sou_all,/key = vpr_sou_al,/' doc_note.ini > bad_note.ini
SOKO_NOTE_INI=$PWD/bad_note.ini run 3 --db e.db note $I --cluster nevsky_stem --out bad $D
has err "bad_note.ini:2: [note]: key: unknown indicator 'vpr_sou_al'"
