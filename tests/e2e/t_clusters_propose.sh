# soko clusters propose: schools grouped by context factors recover three planted
# groups (k chosen by the silhouette, and given); the same store gives the same bytes;
# the CSV imports as form clusters; the note names the factors, the method, the
# profiles, the silhouette and the schools at a boundary; bad factors are refused.
awk 'BEGIN {
  print "school_id,name" > "schools.csv"
  print "year,school_id,factor,value" > "context.csv"
  seed = 12345
  for (i = 1; i <= 30; i++) {
    g = (i - 1) % 3
    print "s" i ",Школа " i > "schools.csv"
    # a small deterministic jitter (linear congruential), groups far apart
    seed = (seed * 1103515245 + 12345) % 2147483648; j1 = (seed / 2147483648 - 0.5) * 4
    seed = (seed * 1103515245 + 12345) % 2147483648; j2 = (seed / 2147483648 - 0.5) * 4
    li = (g == 0 ? 5 : g == 1 ? 20 : 40) + j1
    nn = (g == 0 ? 2 : g == 1 ? 25 : 8) + j2
    printf "2025,s%d,share_low_income,%.2f\n", i, li > "context.csv"
    printf "2025,s%d,share_non_native,%.2f\n", i, nn > "context.csv"
    printf "2025,s%d,students,500\n", i > "context.csv"
    print "s" i "," g > "planted.csv"
  }
}'
run 0 --db d.db import schools schools.csv
run 0 --db d.db import context context.csv
run 0 --db d.db clusters propose --factors share_low_income,share_non_native --out prop.csv
has out "30 schools in 3 clusters"
[ -s prop.md ] || fail "no note"
head -n 1 prop.csv | grep -qx 'cluster_id,school_id,cluster_name,role' || fail "header: $(head -n 1 prop.csv)"
[ "$(wc -l < prop.csv)" = 31 ] || fail "expected 30 schools"
# every planted group lies in one cluster, and different groups in different ones
pairs=$(awk -F, 'NR == FNR { g[$1] = $2; next } FNR > 1 { print g[$2] "-" $1 }' planted.csv prop.csv | sort -u)
[ "$(echo "$pairs" | wc -l)" = 3 ] || fail "planted groups not recovered: $pairs"
[ "$(echo "$pairs" | cut -d- -f1 | sort -u | wc -l)" = 3 ] || fail "groups merged: $pairs"
[ "$(echo "$pairs" | cut -d- -f2 | sort -u | wc -l)" = 3 ] || fail "clusters merged: $pairs"
# the note
has prop.md "# Предложение кластеров ОО по особенностям контингента, 2025 г."
has prop.md "## Факторы"
has prop.md "share\_low\_income"
has prop.md "k-means++, 50 стартов"
has prop.md "по наибольшему среднему силуэту среди k от 2 до 8: k = 3"
has prop.md "скорректированным индексом Рэнда 1,000"
has prop.md "## Профили кластеров"
has prop.md "## ОО на границе кластеров"
has prop.md "## Состав кластеров"
# same input, same bytes; a given k
run 0 --db d.db clusters propose --factors share_low_income,share_non_native --out again.csv
cmp -s prop.csv again.csv || fail "not deterministic (csv)"
sed 's/again.csv/prop.csv/' again.md | cmp -s prop.md - || fail "not deterministic (note)"
run 0 --db d.db clusters propose --factors share_low_income,share_non_native --k 2 --year 2025 --out k2.csv
has out "30 schools in 2 clusters"
# a school between the groups is named at the boundary
printf 'school_id,name\ns31,Школа 31\n' > more.csv
run 0 --db d.db import schools more.csv
printf 'year,school_id,factor,value\n2025,s31,share_low_income,12.5\n2025,s31,share_non_native,13.5\n' > more_ctx.csv
run 0 --db d.db import context more_ctx.csv
run 0 --db d.db clusters propose --factors share_low_income,share_non_native --k 3 --out b.csv
grep -A8 "## ОО на границе" b.md | grep -q "| Школа 31 | s31 |" || { cat b.md; fail "s31 not at a boundary"; }
# the proposal imports as the clusters form
run 0 --db d.db import clusters prop.csv
run 0 --db d.db clusters --format csv
has out "ctx_1,Контекстный кластер 1,"
# refusals
run 2 --db d.db clusters propose --factors nosuch --out x.csv
has err "nosuch is neither an indicator"
run 1 --db d.db clusters propose --factors students,share_low_income --out x.csv
has err "students has the same value for every school"
run 2 --db d.db clusters propose --factors share_low_income --out x.csv --k 1
run 2 --db d.db clusters propose --out x.csv
run 2 --db d.db clusters nonsense
