# Import layouts: a ФИС ОКО-style percentage layout (apportioned counts, refusal with
# the line when the percentages do not add up, skipped totals, suppressed markers), and
# the real NYC file (../shared/realdata) through its three layouts, checked against the
# raw CSV by this test itself.
P="$TOP/defs/layouts"

# ------------------------------------------------------------------ ФИС ОКО layout
printf 'school_id,name\n344,Лицей № 344\n329,Школа № 329\n512,Школа № 512\n' > schools.csv
run 0 --db f.db import schools schools.csv
cat > fis.csv <<'EOF'
Год;Код ОО;Класс;Предмет;Кол-во участников;«2»;«3»;«4»;«5»
2025;344;5;Математика;25;12,0;40,0;36,0;12,0
2025;329;5;Математика;27;11,1;33,3;33,3;22,2
2025;512;5;Математика;н/д;-;-;-;-
2025;Итого;5;Математика;52;11,5;36,5;34,6;17,3
EOF
run 0 --db f.db import vpr fis.csv --layout "$P/fisoko_marks.ini"
has out "imported 2 rows"
has out "1 record skipped by the layout's skip rules"
has out "1 record with suppressed values not stored (lines 4)"
[ "$(q f.db "select m2||' '||m3||' '||m4||' '||m5 from vpr where school_id='344'")" = "3 10 9 3" ] ||
  fail "344: counts not derived from the percentages"
# 27 · (11.1, 33.3, 33.3, 22.2)% = 2.997, 8.991, 8.991, 5.994: largest remainders give 3 9 9 6
[ "$(q f.db "select m2||' '||m3||' '||m4||' '||m5 from vpr where school_id='329'")" = "3 9 9 6" ] ||
  fail "329: counts do not add up to the participants"
[ "$(q f.db "select count(*) from vpr where school_id='512'")" = 0 ] || fail "a suppressed row was stored"
[ "$(q f.db "select layout from imports where form='vpr'")" = fisoko_marks ] || fail "layout not recorded"
[ "$(q f.db "select length(layout_sha256) from imports where form='vpr'")" = 64 ] || fail "layout hash not recorded"
# by name, the same file through the same layout: unchanged
run 0 --db f.db import vpr fis.csv --profile fisoko_marks   # --profile: the old name of --layout, kept for a release
has out "unchanged"

# percentages that do not add up are refused with the line; nothing is stored
sed 's/^2025;344;5;Математика;25;12,0;40,0;36,0;12,0$/2025;344;6;Математика;25;12,0;40,0;36,0;20,0/' fis.csv > bad.csv
before=$(q f.db "select count(*) from vpr")
run 1 --db f.db import vpr bad.csv --layout fisoko_marks
has err "bad.csv:2:F: the percentages of Кол-во участников add up to 108.00"
has err "nothing was stored"
[ "$(q f.db "select count(*) from vpr")" = "$before" ] || fail "a refused file wrote rows"
run 1 --db f.db check vpr bad.csv --layout fisoko_marks
has err "bad.csv:2:F:"

# wrong form, unknown layout, a source column the file lacks
run 2 --db f.db import schools fis.csv --layout fisoko_marks
has err "layout fisoko_marks is for form vpr"
run 3 --db f.db import vpr fis.csv --layout no_such_layout
has err "no layout named 'no_such_layout'"
sed '1s/Кол-во участников/Участники/' fis.csv > nocol.csv
run 1 --db f.db import vpr nocol.csv --layout fisoko_marks
has err "no column 'Кол-во участников'"

# ------------------------------------------------------------------ NYC, real data
NYC="$TOP/../shared/realdata/nyc_school_math_2013_2017.csv"
[ -f "$NYC" ] || skip "skipped: $NYC is absent (the NYC part of this test needs ../shared/realdata)"

run 0 --db n.db import schools "$NYC" --layout nyc_schools
has out "imported 1138 rows"
run 0 --db n.db import clusters "$NYC" --layout nyc_clusters
run 0 --db n.db import vpr "$NYC" --layout nyc_math
# every record is accounted for: stored + skipped + suppressed = records
tr -d '\r' < "$NYC" | sed '1s/^\xef\xbb\xbf//' > raw.csv
recs=$(($(wc -l < raw.csv) - 1))
totals=$(awk -F, 'NR>1 && $3=="All Grades"' raw.csv | wc -l)
supp=$(awk -F, 'NR>1 && $3!="All Grades" && /(^|,)s(,|$)/' raw.csv | wc -l)
stored=$(q n.db "select count(*) from vpr")
has out "$totals records skipped by the layout's skip rules"
has out "$supp records with suppressed values not stored"
[ $((stored + totals + supp)) = "$recs" ] || fail "stored $stored + skipped $totals + suppressed $supp != $recs records"
[ "$(q n.db "select count(distinct cluster_id) from clusters")" = 32 ] || fail "expected the 32 community school districts"
[ "$(q n.db "select count(distinct school_id) from schools")" = "$(awk -F, 'NR>1{print $1}' raw.csv | sort -u | wc -l)" ] ||
  fail "schools registry differs from the file's DBNs"

# a handful of schools, chosen by line number, compared cell by cell with the raw file
for n in 2 500 4321 9999 17000 23000; do
  line=$(awk -F, -v n="$n" 'NR>=n && $3!="All Grades" && !/(^|,)s(,|$)/ {print; exit}' raw.csv)
  dbn=$(echo "$line" | cut -d, -f1); grade=$(echo "$line" | cut -d, -f3); year=$(echo "$line" | cut -d, -f4)
  want=$(echo "$line" | awk -F, '{print $6" "$8" "$10" "$12" "$14}')
  got=$(q n.db "select participants||' '||m2||' '||m3||' '||m4||' '||m5 from vpr where school_id='$dbn' and grade=$grade and year=$year")
  [ "$got" = "$want" ] || fail "$dbn grade $grade $year: stored '$got', file '$want'"
  [ "$(q n.db "select cluster_id from clusters where school_id='$dbn'")" = "$(echo "$dbn" | cut -c1-2)" ] ||
    fail "$dbn: cluster is not the first two characters of the DBN"
done

# pooled share of Level 1 («2») for the whole city per year, from the store and from the
# raw file, to 4 decimals
awk -F, 'NR>1 && $3!="All Grades" && !/(^|,)s(,|$)/ {k[$4]+=$8; n[$4]+=$6}
         END {for (y in k) printf "%s %.4f\n", y, 100*k[y]/n[y]}' raw.csv | sort > want_pool
q n.db "select year||' '||printf('%.4f', 100.0*sum(m2)/sum(participants)) from vpr group by year order by year" > got_pool
cmp -s want_pool got_pool || { diff want_pool got_pool; fail "pooled city shares differ from the raw file"; }
[ "$(wc -l < got_pool)" = 5 ] || fail "expected 5 years 2013-2017"

# importing again through the same layout changes nothing
run 0 --db n.db import vpr "$NYC" --layout nyc_math
has out "unchanged"

# the same through soko's own indicators: the city's pooled «2» (Level 1) share per year
# and grade — numerator, denominator and value — equal the raw file's sums
awk -F, 'NR>1 && $3!="All Grades" && !/(^|,)s(,|$)/ {k[$4" "$3]+=$8; n[$4" "$3]+=$6}
         END {for (y in k) printf "%s %d %d %.4f\n", y, k[y], n[y], 100*k[y]/n[y]}' raw.csv | sort > want_city
run 0 --db n.db indicators --indicators "$TOP/defs/indicators" --indicator vpr_fail --format csv
awk -F, '$2 == "district" {printf "%s %s %d %d %.4f\n", $3, $7, $10, $11, $9}' out | sort > got_city
[ "$(wc -l < got_city)" = 30 ] || fail "expected 5 years x 6 grades of city figures"
cmp -s want_city got_city || { diff want_city got_city | head; fail "soko's pooled city figures differ from the raw file"; }
# and a community school district (cluster 02) in 2017, grade 8
want=$(awk -F, 'NR>1 && $4==2017 && $3=="8" && substr($1,1,2)=="02" && !/(^|,)s(,|$)/ {k+=$8; n+=$6} END {print k, n}' raw.csv)
got=$(awk -F, '$2 == "cluster" && $5 == "02" && $3 == 2017 && $7 == 8 {print $10, $11}' out)
[ "$got" = "$want" ] || fail "cluster 02, 2017, grade 8: soko '$got', raw file '$want'"
# trends run on it like on a district's own data
run 0 --db n.db trends --indicators "$TOP/defs/indicators" --indicator vpr_fail --years 2015-2017 --format csv
has out "vpr_fail"
[ "$(grep -c ',district,' out)" -ge 6 ] || fail "no district trends for the NYC data"
