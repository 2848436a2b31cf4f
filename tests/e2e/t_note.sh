# soko note / card / report on samples/district (imported as `make demo` does: every form):
# every file is written; the note has its sections in Russian; the same data and --date
# give the same bytes (md, html, csv, svg); note.md and the card match the golden
# files in tests/golden (hashes of files masked, so that editing a definition file
# does not break them; SOKO_GOLDEN_UPDATE=1 rewrites them); a hostile school name comes
# out escaped in HTML, Markdown, CSV and the gnuplot script; usage errors.
command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed"
GOLDEN="$TOP/tests/golden"
for f in schools clusters context vpr vpr_students oge ege rdr olympiad admissions \
    vpr_plan vpr_tasks vpr_reference_tasks vpr_reference \
    career contests directors gifted niko recheck survey_500 context_class training_exam znak; do
  run 0 --db d.db import --quiet "$f" "$SAMPLES/$f.csv"
done
I="--indicators $TOP/defs/indicators"

run 0 --db d.db note $I --cluster nevsky_stem --out n1 --date 2026-09-01
has out "n1/note.html"
for f in note.md note.html tables.xlsx charts.gp heatmap.svg heatmap.png dots.svg \
         dyn_vpr_sou_all.svg marks.svg funnel.svg funnel.png; do
  [ -s "n1/$f" ] || fail "note: no n1/$f"
done
ls n1/tables/*.csv >/dev/null 2>&1 || fail "note: no CSV tables"
[ "$(ls n1/tables/*.csv | wc -l)" -ge 15 ] || fail "note: expected a CSV for every table"
for s in "## 1. Состав кластера и роли ОО" "## 2. Полнота данных" "## 3. Ключевые показатели" \
         "## 4. Общие положительные результаты и общие проблемы кластера" \
         "## 5. Частные сильные стороны и проблемы ОО" "## 6. Динамика за 2024–2026" \
         "## 7. ОО, отмеченные правилами района" "## 8. Соответствие профиля ОО выбору выпускников" \
         "## 9. Олимпиады по этапам" "## 10. Региональные, муниципальные и тренировочные оценочные процедуры по предметам" \
         "## 11. Достижение планируемых результатов" "## 12. Адресные рекомендации" \
         "## 13. Выводы и предложения" "### Что обсудить на сессии кластера" \
         "## Приложение. Методика и источники данных" \
         "составлена 1 сентября 2026 г." "ГБОУ «Лицей № 344»" "статистически не значимо" "SHA-256"; do
  sed 's/\\//g' n1/note.md | grep -qF -- "$s" || fail "note.md lacks: $s"
done
# the imports are listed with the samples' hashes
has n1/note.md "$(sha256sum "$SAMPLES/vpr.csv" | cut -c1-64)"
# section 10: the training-exam and ПК «Знак» figures, computed here from the sample files
# (cluster and district pooled: the sum of the numerator over the sum of the participants)
pooled() {  # pooled FORM SUBJECT NUMERATOR-COLUMNS... → "| SUBJECT | cluster | district |"
  form=$1; subj=$2; shift 2
  awk -F, -v subj="$subj" -v cols="$*" '
    function f(v) { v = v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)
                    sub(/\./, ",", v); return v }
    FNR == 1 { next }
    FILENAME ~ /clusters/ { if ($1 == "nevsky_stem") c[$2] = 1; next }
    $1 == 2026 && $4 == subj {
      k = 0; nc = split(cols, cs, " "); for (i = 1; i <= nc; i++) k += $cs[i]
      dn += $5; dk += k; if ($2 in c) { cn += $5; ck += k }
    }
    END { printf "| %s | %s | %s |", subj, f(100 * ck / cn), f(100 * dk / dn) }' \
    "$SAMPLES/clusters.csv" "$SAMPLES/$form.csv"
}
for want in "$(pooled training_exam Математика 8 9)" "$(pooled training_exam 'Русский язык' 8 9)" \
            "$(pooled znak Математика 7 8)" "$(pooled znak 'Русский язык' 7 8)"; do
  case "$want" in *", "*|*"| |"*) fail "pooled: no figure computed ($want)";; esac
  has n1/note.md "$want"
done
# НИКО by study: participants over the sampled, the cluster and the district pooled
want=$(awk -F, 'FNR == 1 { next }
  FILENAME ~ /clusters/ { if ($1 == "nevsky_stem") c[$2] = 1; next }
  $1 == 2026 && $3 == "НИКО по литературе" { ds += $5; dp += $6; if ($2 in c) { cs += $5; cp += $6 } }
  END { if (cs) { v = sprintf("%.1f|%.1f", 100 * cp / cs, 100 * dp / ds); gsub(/\./, ",", v); split(v, a, "|")
        printf "| НИКО по литературе | %s | %s |", a[1], a[2] } }' "$SAMPLES/clusters.csv" "$SAMPLES/niko.csv")
[ -n "$want" ] || fail "niko: no figure computed"
has n1/note.md "| Исследование | Кластер | Район | Лучше района | Хуже района |"
has n1/note.md "$want"
# html: one file, charts inline, print CSS, no external reference
[ "$(grep -o '<svg' n1/note.html | wc -l)" -ge 6 ] || fail "note.html: expected the charts inline"
has n1/note.html "@page { size: A4"
hasnt n1/note.html 'src="'
hasnt n1/note.html '<link'

# determinism: the same data and date give the same bytes
run 0 --db d.db note $I --cluster nevsky_stem --out n2 --date 2026-09-01
for f in note.md note.html charts.gp heatmap.svg dyn_vpr_sou_all.svg tables.xlsx; do
  cmp -s "n1/$f" "n2/$f" || fail "note: $f differs between two runs"
done
diff -r n1/tables n2/tables >/dev/null || fail "note: CSV tables differ between two runs"

# golden files (hashes masked)
mask() { sed -E 's/[0-9a-f]{64}/<sha256>/g; s/soko [0-9]+\.[0-9]+\.[0-9]+/soko <version>/g' "$1"; }
run 0 --db d.db card $I --school 344 --out p1 --date 2026-09-01
[ -s p1/card.html ] && [ -s p1/card.md ] || fail "card: files missing"
for g in "n1/note.md:note_nevsky_stem.md" "p1/card.md:card_344.md" \
         "n1/tables/03_vpr_sou_all.csv:note_nevsky_stem_03_vpr_sou_all.csv"; do
  got=${g%%:*}; want="$GOLDEN/${g#*:}"
  mask "$got" > masked
  if [ "${SOKO_GOLDEN_UPDATE:-}" = 1 ]; then cp masked "$want"; continue; fi
  [ -f "$want" ] || fail "no golden file $want (run with SOKO_GOLDEN_UPDATE=1)"
  diff -u "$want" masked > golden.diff || { head -40 golden.diff; fail "$got differs from $want"; }
done

# the district report: index with a link to every cluster's note
run 0 --db d.db report $I --out r --date 2026-09-01
has out "r/index.html"
for c in $(q d.db "select distinct cluster_id from clusters order by 1"); do
  [ -s "r/$c/note.html" ] || fail "report: no note for cluster $c"
  has r/index.html "href=\"$c/note.html\""
done
# the report's Кластер column names thematic clusters
has r/index.md "Кластер точных и естественнонаучных дисциплин"
has r/index.md "Низкие результаты оценочных процедур"
[ -s r/overview.svg ] || fail "report: no overview chart"

# a hostile school name, escaped everywhere
hostile='ГБОУ "Лицей" <script>…</script> № '"'"'x'"'"'; $(rm -rf ~)'
{ echo 'school_id,name,district,kind,profile'
  printf '344,"%s",Условный район,лицей,math-science\n' "$(printf '%s' "$hostile" | sed 's/"/""/g')"
} > hostile.csv
run 0 --db d.db import --quiet schools hostile.csv
run 0 --db d.db note $I --cluster nevsky_stem --out h --date 2026-09-01 --docx
hasnt h/note.html "<script>"
unzip -p h/note.docx word/document.xml > doc.xml
has doc.xml 'ГБОУ &quot;Лицей&quot; &lt;script&gt;…&lt;/script&gt; № &#39;x&#39;; $(rm -rf ~)'
hasnt doc.xml '<script'
/usr/bin/python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" doc.xml || fail "document.xml is not well-formed XML"
has h/note.html 'ГБОУ &quot;Лицей&quot; &lt;script&gt;…&lt;/script&gt; № &#39;x&#39;; $(rm -rf ~)'
has h/note.md 'ГБОУ "Лицей" \<script\>…\</script\> № '"'"'x'"'"'; \$(rm -rf \~)'
# chart axes carry names cut to 34 characters (the full name's quoting: test_chart)
has h/charts.gp "'ГБОУ \"Лицей\" <script>…</script> № …'"
grep -l 'Лицей' h/tables/*.csv | head -1 > f
[ -s f ] || fail "no CSV table with the school's name"
has "$(cat f)" 'ГБОУ ""Лицей"" <script>…</script> № '"'"'x'"'"'; $(rm -rf ~)'
has h/heatmap.svg '&lt;script>'
hasnt h/heatmap.svg '<script'
[ ! -e "$HOME/.soko-injected" ] || fail "something ran"

# usage
run 2 --db d.db note --out x
has err "--cluster ID is required"
run 2 --db d.db note $I --cluster nope --out x --date 2026-09-01
has err "no cluster 'nope'"
run 2 --db d.db note $I --cluster nevsky_stem --out x --date 01.09.2026
has err "YYYY-MM-DD"
run 2 --db d.db card $I --school 999999 --out x --date 2026-09-01
has err "no school '999999'"
