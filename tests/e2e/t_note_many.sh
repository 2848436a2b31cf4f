# A cluster of more than CHART_MAX_ROWS (300) schools — a municipality treated as one
# cluster — gets its one-row-per-school charts (heat map, dot plot, marks) split into
# parts with captions that say which schools each part shows, and every part renders
# (a single heat map of 3,000 rows was refused by cairo in the country-scale run).
command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed"
[ -n "${SOKO_GEN:-}" ] || skip "SOKO_GEN (build/soko-gen) is not set"
"$SOKO_GEN" --schools 320 --years 1 --seed 3 --out gen > /dev/null || fail "soko-gen"
awk -F, 'NR == 1 { print "cluster_id,school_id,cluster_name,role"; next }
         { print "all," $1 ",Все ОО муниципалитета,member" }' gen/schools.csv > one.csv
run 0 --db d.db import --quiet schools gen/schools.csv
run 0 --db d.db import --quiet clusters one.csv
for f in vpr oge ege; do run 0 --db d.db import --quiet "$f" "gen/$f.csv"; done
run 0 --db d.db note --cluster all --out n --date 2026-09-01 --quiet
for c in heatmap dots marks; do
  for p in "$c" "${c}_2"; do
    [ -s "n/$p.svg" ] && [ -s "n/$p.png" ] || fail "note: no chart n/$p.svg / .png"
  done
  [ ! -e "n/${c}_3.svg" ] || fail "note: 320 schools make 2 parts of $c, not 3"
done
has n/note.md "(часть 1 из 2: ОО 1–300 из 320)"
has n/note.md "(часть 2 из 2: ОО 301–320 из 320)"
has n/note.md "](heatmap_2.png)"
# the second part of the marks chart still ends with the cluster and the district bars
awk '/^set output/ { on = ($3 == "\x27marks_2.svg\x27") } on && /Кластер/ { c = 1 } on && /Район/ { r = 1 }
     END { exit !(c && r) }' n/charts.gp || fail "charts.gp: marks_2 lacks the cluster or district bar"
n=$(grep -c "set output 'marks_2.svg'" n/charts.gp)
[ "$n" = 1 ] || fail "charts.gp: marks_2.svg set $n times"
# a part is never taller than cairo allows
awk '/set terminal (svg|pngcairo) size/ { split($5, a, ","); if (a[2] + 0 > 32000) bad = 1 }
     END { exit bad }' n/charts.gp || fail "charts.gp: a chart taller than 32000 px"
