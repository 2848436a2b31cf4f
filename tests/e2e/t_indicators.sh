# soko indicators on the sample district: every shipped indicator evaluates; figures
# match sqlite3 computed directly from the store; pooling, suppression, filters,
# formats, determinism, refusals; the INI examples of docs/indicators.md load.
for f in schools clusters context vpr vpr_students oge ege rdr olympiad admissions \
    vpr_plan vpr_tasks vpr_reference_tasks vpr_reference \
    career contests directors gifted niko recheck survey_500 context_class training_exam znak; do
  run 0 --db s.db import $f "$SAMPLES/$f.csv"
done
IND="$TOP/defs/indicators"

run 0 --db s.db indicators --indicators "$IND" --format csv
mv out all.csv
head -n 1 all.csv | grep -qx 'indicator,level,year,school_id,cluster_id,subject,grade,stage,factor,task,value,numerator,denominator,n,ci_low,ci_high,suppressed' \
  || fail "csv header: $(head -n 1 all.csv)"
# every shipped indicator gave rows
for ini in "$IND"/*.ini; do
  case "$ini" in */context.ini|*/rules.ini) continue ;; esac
  grep -ho '^\[[a-z0-9_]*\]' "$ini"
done | tr -d '[]' > ids
[ "$(wc -l < ids)" -ge 30 ] || fail "only $(wc -l < ids) shipped indicators"
for id in $(cat ids); do
  grep -q "^$id,district," all.csv || fail "no district rows for $id"
done

# field N of the csv row whose first fields match PREFIX
field() { grep -F -- "$1" all.csv | head -n 1 | cut -d, -f"$2"; }
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-4 * (b < 0 ? -b : b) + 1e-9) }' \
  || fail "$3: $1, expected $2"; }

# a school's share of «2» in ВПР: numerator, denominator exactly, value to 6 digits
row="vpr_fail,school,2024,344,nevsky_stem,Математика,4,"
[ "$(field "$row" 12),$(field "$row" 13)" = "$(q s.db "select m2 || ',' || participants from vpr where year=2024 and school_id='344' and grade=4 and subject='Математика'")" ] \
  || fail "vpr_fail 344: $(field "$row" 12),$(field "$row" 13)"
near "$(field "$row" 11)" "$(q s.db "select 100.0*m2/participants from vpr where year=2024 and school_id='344' and grade=4 and subject='Математика'")" "vpr_fail 344 value"

# a cluster's share is pooled over its schools' rows (never a mean of shares)
row="vpr_fail,cluster,2025,,nevsky_stem,Математика,5,"
want=$(q s.db "select sum(m2) || ',' || sum(participants) from vpr join clusters using (school_id) where cluster_id='nevsky_stem' and year=2025 and grade=5 and subject='Математика'")
[ "$(field "$row" 12),$(field "$row" 13)" = "$want" ] || fail "pooled nevsky_stem: $(field "$row" 12),$(field "$row" 13) != $want"
meanshare=$(q s.db "select avg(100.0*m2/participants) from vpr join clusters using (school_id) where cluster_id='nevsky_stem' and year=2025 and grade=5 and subject='Математика'")
pooled=$(q s.db "select 100.0*sum(m2)/sum(participants) from vpr join clusters using (school_id) where cluster_id='nevsky_stem' and year=2025 and grade=5 and subject='Математика'")
near "$(field "$row" 11)" "$pooled" "pooled share"

# the district's ЕГЭ mean is weighted by participants
row="ege_mean,district,2026,,,Физика,"
near "$(field "$row" 11)" "$(q s.db "select sum(participants*mean_score)/sum(participants) from ege where year=2026 and subject='Физика'")" "ege_mean district"

# СОУ of a school against the formula of the brief
row="vpr_sou,school,2026,14"
near "$(field "$row,support,Русский язык,4," 11)" "$(q s.db "select (100.0*m5+64*m4+36*m3+16*m2)/participants from vpr where year=2026 and school_id='14' and grade=4 and subject='Русский язык'")" "vpr_sou 14"

# olympiad participations per 100 students: schools that reported the form that year
row="olymp_participation,district,2024,,,,,school,"
near "$(field "$row" 12)" "$(q s.db "select sum(o.participants) from olympiad o where o.year=2024 and o.stage='school' and o.olympiad='ВсОШ' and exists (select 1 from context c where c.school_id=o.school_id and c.year=2024 and c.factor='students')")" "olympiad count"
near "$(field "$row" 13)" "$(q s.db "select sum(value) from context where year=2024 and factor='students' and school_id in (select school_id from olympiad where year=2024)")" "olympiad base"

# suppressed rows show no number
awk -F, 'NR > 1 && $17 == 1 && ($11 != "" || $12 != "" || $14 != "") { bad = 1 } END { exit bad }' all.csv \
  || fail "a suppressed row shows a number"
nsup=$(awk -F, 'NR > 1 && $17 == 1' all.csv | wc -l)
[ "$nsup" -gt 0 ] || fail "expected some suppressed rows in the samples"

# deterministic
run 0 --db s.db indicators --indicators "$IND" --format csv
cmp -s out all.csv || fail "two runs differ"

# json: the same rows
run 0 --db s.db indicators --indicators "$IND" --format json
if command -v python3 >/dev/null; then
  n=$(python3 -c 'import json,sys; print(len(json.load(open("out"))))') || fail "json does not parse"
  [ "$n" = "$(($(wc -l < all.csv) - 1))" ] || fail "json has $n rows"
fi

# table: Russian titles, "n < 5"
run 0 --db s.db indicators --indicators "$IND" --indicator olymp_winners --school 570
has out "Победители ВсОШ (olymp_winners, чел.)"
run 0 --db s.db indicators --indicators "$IND"
has out "Доля отметок «2» (ВПР)"
has out "n < 5"

# filters
# --school: the school's series, each followed by the same breakdown of its cluster
# (344 is in nevsky_stem only) and of the district — nothing else
run 0 --db s.db indicators --indicators "$IND" --format csv --school 344 --years 2025 --indicator vpr_quality
awk -F, 'NR > 1 && ($3 != 2025 || $1 != "vpr_quality" ||
  !(($2 == "school" && $4 == "344") || ($2 == "cluster" && $5 == "nevsky_stem") || ($2 == "district" && $4 == "" && $5 == ""))) { bad = 1 } END { exit bad }' out \
  || fail "--school/--years/--indicator kept other rows"
[ "$(grep -c '^vpr_quality,school,' out)" -gt 5 ] || fail "--school 344 gave no rows"
# every school line is followed by its cluster's and the district's line of the same breakdown
awk -F, 'NR > 1 { l[NR] = $2; b[NR] = $6 "|" $7 } END {
  for (i = 2; i <= NR; i++) if (l[i] == "school" && !(l[i+1] == "cluster" && b[i+1] == b[i] && l[i+2] == "district" && b[i+2] == b[i])) exit 1 }' out \
  || fail "--school: a school line without its cluster and district lines next to it"
grep -q '^vpr_quality,school,2025,344,nevsky_stem,Математика,5,' out || fail "--school 344: no school line"
# --school with --cluster: the school must be in it; an unknown school says so
run 2 --db s.db indicators --indicators "$IND" --school 344 --cluster humanities
has err "school '344' is not in cluster 'humanities'"
run 2 --db s.db indicators --indicators "$IND" --school 99999
has err "no school '99999'"
run 0 --db s.db indicators --indicators "$IND" --format csv --cluster humanities --indicator adm_university
awk -F, 'NR > 1 && $5 != "humanities" { bad = 1 } END { exit bad }' out || fail "--cluster kept other rows"
has out "adm_university,cluster,2024,,humanities"
has out "adm_university,school,2024,13,humanities"

# usage and refusals
run 2 --db s.db indicators --indicators "$IND" --indicator nope
has err "no indicator 'nope'"
run 2 --db s.db indicators --indicators "$IND" --years 2026-2024
run 2 --db s.db indicators --indicators "$IND" --format xml
run 2 --db s.db indicators --indicators "$IND" --cluster nope
printf '[x]\ntitle = x\nform = vpr\nkind = share\nnumerator = sum(m2)\ndenominator = (SELECT count(*) FROM imports)\n\n[y]\ntitle = y\nform = vpr\nkind = mean\nvalue = mean_score\n' > bad.ini
run 3 --db s.db indicators --indicators bad.ini
has err "bad.ini:6: [x]: denominator: reads table 'imports'"
has err "bad.ini:8: [y]: weight: missing; kind mean needs it"
run 5 --db nowhere.db indicators --indicators "$IND"

# the examples of docs/indicators.md load and evaluate
awk '/^```ini$/ { n++; f = sprintf("doc%02d.ini", n); next } /^```/ { f = ""; next } f { print > f }' "$TOP/docs/indicators.md"
ls doc*.ini >/dev/null 2>&1 || fail "no ini examples in docs/indicators.md"
for f in doc*.ini; do
  run 0 --db s.db indicators --indicators "$f" --format csv
  [ "$(wc -l < out)" -gt 1 ] || fail "$f gave no rows"
done
