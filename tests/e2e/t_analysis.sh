# soko trends / compare / context on the shipped district (samples/README.md lists the
# planted patterns): the improving schools 498, 23, 207 show improving ВПР trends and no
# worsening one; the resilient schools 57, 62 beat the odds on the state exams and no
# other school does; the outputs are deterministic, CSV/JSON well formed; usage errors.
forms="schools clusters context vpr vpr_students oge ege rdr olympiad admissions"
for f in $forms; do run 0 --db s.db import "$f" "$SAMPLES/$f.csv"; done
IND="$TOP/defs/indicators"

# count LABEL FILE: school-level CSV lines of FILE with that trend label
count() { awk -F, -v l="$1" 'NR > 1 && $2 == "school" && $0 ~ ("," l ",") { n++ } END { print n + 0 }' "$2"; }

for s in 498 23 207; do
  for ind in vpr_quality vpr_sou; do
    run 0 --db s.db --indicators "$IND" trends --school "$s" --indicator "$ind" --format csv
    imp=$(count improving out); wor=$(count worsening out)
    [ "$imp" -ge 5 ] || { cat out; fail "school $s: $imp improving $ind series, expected at least 5"; }
    [ "$wor" = 0 ] || fail "school $s: $wor worsening $ind series"
  done
done
# a school with a steady level (448) is not improving across the board
run 0 --db s.db --indicators "$IND" trends --school 448 --indicator vpr_quality --format csv
[ "$(count improving out)" -le 2 ] || fail "school 448 (steady) shows improving trends"
head -1 out | grep -q '^indicator,level,year,school_id,cluster_id,subject,grade,stage,breakdown,value,numerator,denominator,n,ci_low,ci_high,year_from' ||
  fail "trends CSV header changed: $(head -1 out)"

# --school: each school series is followed by its cluster's and the district's
run 0 --db s.db --indicators "$IND" trends --school 498 --indicator vpr_quality --format csv
awk -F, 'NR > 1 { l[NR] = $2; u[NR] = $4 $5; b[NR] = $9 } END {
  for (i = 2; i <= NR; i++) if (l[i] == "school" && !(l[i+1] == "cluster" && u[i+1] == "nevsky_stem" && b[i+1] == b[i] && l[i+2] == "district" && b[i+2] == b[i])) exit 1 }' out \
  || { cat out; fail "trends --school: a school series without its cluster and district next to it"; }
# counts: the Poisson score test (98, 90, 83 municipal winners is no significant fall)
run 0 --db s.db --indicators "$IND" trends --indicator olymp_winners --format csv
awk -F, 'NR > 1 && $25 != "poisson_score" && !($25 == "" && ($29 == "not_enough_data" || $29 == "no_change")) { bad = 1 } END { exit bad }' out \
  || fail "olymp_winners trends do not use the Poisson test"
# unknown units say so
run 2 --db s.db --indicators "$IND" trends --school 99999
has err "no school '99999'"
run 2 --db s.db --indicators "$IND" trends --school 498 --cluster support
has err "not in cluster 'support'"
run 2 --db s.db --indicators "$IND" context --school 99999
has err "no school '99999'"
run 2 --db s.db --indicators "$IND" compare --cluster support --school 99999
has err "no school '99999'"

# table: Russian labels, aligned
run 0 --db s.db --indicators "$IND" trends --school 498 --indicator vpr_fail
has out "Показатель"
has out "улучшение"

# context: on ОГЭ and ЕГЭ exactly 57 and 62 beat the odds, in every year of the window
for m in oge_mark_ctx ege_mean_ctx; do
  run 0 --db s.db --indicators "$IND" context --indicator "$m" --format csv
  got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i } NR > 1 && $2 == "school" && $(h["odds"]) == "beating" { print $4 }' out | sort -u | tr '\n' ' ')
  [ "$got" = "57 62 " ] || fail "$m: beating the odds: '$got', expected '57 62 '"
done

# two models on one indicator: the second pools the same rows, not them twice
mkdir dup && cp "$TOP"/defs/context.ini dup/
printf '\n[oge_mark_ctx2]\nindicator = oge_mean_mark\npool = subject\nfactors = share_low_income, share_non_native\nbound = 2.0\n' >> dup/context.ini
run 0 --db s.db --indicators "$IND" --context dup/context.ini context --format csv
awk -F, 'NR > 1 && $2 == "school" { k = $3 "," $4; if ($16 == "oge_mark_ctx") a[k] = $13; if ($16 == "oge_mark_ctx2") b[k] = $13 }
  END { for (k in a) if (a[k] != b[k]) exit 1; exit !length(b) }' out || fail "a second model on one indicator changed n"

# compare: the stem cluster; 344 (stably high) above the district's funnel somewhere
run 0 --db s.db --indicators "$IND" compare --cluster nevsky_stem --indicator vpr_quality --format csv
head -1 out | grep -q '^indicator,level,year,school_id,cluster_id,.*,ci_high,cluster_value' || fail "compare CSV header"
awk -F, 'NR > 1 && $4 == "344" && $0 ~ /above_(95|998)/' out | grep -q . || fail "344 never above the funnel"
awk -F, 'NR > 1 && $2 == "cluster"' out | grep -q . || fail "no cluster lines"
hasnt out "nan"

# deterministic, and JSON parses
run 0 --db s.db --indicators "$IND" compare --cluster support --format json
cp out a.json
run 0 --db s.db --indicators "$IND" compare --cluster support --format json
cmp -s out a.json || fail "compare output differs between two runs"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d = json.load(open("a.json")); assert d and "school_id" in d[0]' ||
    fail "compare JSON does not parse"
fi

# usage errors
run 2 --db s.db --indicators "$IND" compare
has err "needs --cluster"
run 2 --db s.db --indicators "$IND" compare --cluster nowhere
has err "no cluster 'nowhere'"
run 2 --db s.db --indicators "$IND" trends --years 2026-2024
has err "--years"
run 2 --db s.db --indicators "$IND" trends --indicator no_such
has err "no indicator 'no_such'"
# a bad context model is refused with file:line
mkdir bad
printf '[m]\nindicator = vpr_sou\nfactors = share_low_income\nbound = high\n' > bad/context.ini
run 3 --db s.db --indicators "$IND" --context bad/context.ini context
has err "context.ini:4: [m]: bound: got 'high'; expected a positive number"

# ЕГЭ with a spread: the sample's ege.csv gives each row's sd, so ЕГЭ means carry an
# interval and are tested against the district (a z, not "≈" by construction)
run 0 --db s.db --indicators "$IND" indicators --indicator ege_mean --school 344 --format csv
awk -F, 'NR > 1 && $2 == "school" && $14 != "" { n++ } END { exit !(n > 0) }' out ||
  fail "ege_mean has no interval with the form's sd"
run 0 --db s.db --indicators "$IND" compare --cluster nevsky_stem --indicator ege_mean --format csv
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i } NR > 1 && $2 == "school" && $(h["z_district"]) != "" { n++ }
  END { exit !(n > 0) }' out || fail "ЕГЭ comparisons have no z"
# a participants' file: one ege row per school and subject, its sd, no participant kept
printf 'school_id,name\n1,Школа 1\n2,Школа 2\n' > es_schools.csv
run 0 --db e.db import schools es_schools.csv
printf 'year,school_id,subject,student,test_score,min_score\n2026,1,Физика,a,71,36\n2026,1,Физика,b,88,36\n2026,1,Физика,c,34,36\n2026,1,Физика,d,100,36\n2026,2,Физика,e,50,36\n' > es.csv
run 0 --db e.db import ege_students es.csv
[ "$(q e.db "SELECT participants, mean_score, below_min, high_scorers, score_100, round(sd, 6) FROM ege WHERE school_id = '1'")" = "4|73.25|1|2|1|28.744565" ] ||
  fail "ege_students: $(q e.db 'SELECT * FROM ege')"
[ "$(q e.db "SELECT sd IS NULL FROM ege WHERE school_id = '2'")" = 1 ] || fail "one participant has no sd"
[ "$(q e.db 'SELECT count(*) FROM ege_students')" = 0 ] || fail "participants' rows were stored"
printf 'year,school_id,subject,student,test_score,min_score\n2026,1,Физика,a,71,36\n2026,1,Физика,b,88,39\n' > es2.csv
run 1 --db e.db import ege_students es2.csv
has err "es2.csv:3:F: the minimum score is 39 here and 36 at line 2"

# the year's regression: its terms, coefficients, standard errors and p-values
run 0 --db s.db --indicators "$IND" context --indicator oge_mark_ctx --format csv
head -1 out | grep -q ',odds,odds_ru,terms,coef,coef_se,coef_p$' || fail "context CSV: no coefficient columns"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i } NR > 1 && $(h["terms"]) == "(intercept);share_low_income;share_non_native" {
    n = split($(h["coef_p"]), p, ";"); if (n == 3 && p[2] + 0 < 0.05) ok = 1 } END { exit !ok }' out ||
  fail "context: the low-income coefficient and its p are not shown"

# a context factor is a census figure: its trend is shown, never tested
run 0 --db s.db --indicators "$IND" trends --indicator ctx_low_income --format csv
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i } NR > 1 && ($(h["label"]) == "improving" || $(h["label"]) == "worsening") { bad = 1 }
  END { exit bad }' out || fail "a context factor's trend was called significant"
