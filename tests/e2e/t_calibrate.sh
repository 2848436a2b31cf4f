# soko calibrate and the objectivity lists on a district with exactly one manipulated
# school among honest ones (soko-gen --preset one_manipulated: 30 schools, school 12's
# ВПР marks raised against the journal and its scores pushed onto the boundaries of «3»
# and «4», every school's per-student ВПР file): the lists name that school and no
# other; on null districts drawn from it, every calibrated rule flags an honest school
# no more often than its level (a tolerance of three binomial standard errors over the
# runs; tests/unit/test_rules.c test_null_rates is the finer check).
"$SOKO_GEN" --preset one_manipulated --seed 1 --out om > gen.log 2>&1 || { cat gen.log; fail "soko-gen failed"; }
for f in schools clusters context vpr vpr_students oge ege rdr olympiad admissions; do
  run 0 --db o.db import "$f" "om/$f.csv" --quiet
done
run 0 --db o.db flags --format csv
cp out flags.csv
list() { awk -F, -v r="$1" 'NR > 1 && $1 == r { print $4 }' flags.csv | sort -n | tr '\n' ' ' | sed 's/ $//'; }
for r in objectivity_raised objectivity_spike objectivity_unconfirmed; do
  [ "$(list $r)" = 12 ] || fail "$r lists '$(list $r)', expected the manipulated school 12 alone"
done
for r in objectivity_jump stably_high; do
  [ -z "$(list $r)" ] || fail "$r lists honest schools: $(list $r)"
done
# the raised marks every year of the window, from the pooled share of the school
grep -q '^objectivity_raised,.*,"2024, 2025, 2026",' flags.csv || fail "objectivity_raised: not every year named"

RUNS=${SOKO_CALIBRATE_RUNS:-60}
run 0 --db o.db calibrate "$RUNS" 1 --format csv
cp out cal.csv
head -1 cal.csv | grep -qx 'rule,kind,control,level,observed,mean_false,any_false,max_false,runs,seed' ||
  fail "calibrate CSV header: $(head -1 cal.csv)"
awk -F, -v runs="$RUNS" 'NR > 1 && $3 != "none" {
    tol = 3 * sqrt($4 * (1 - $4) / runs)
    if ($7 > $4 + tol) { print "  " $1 ": P(any false flag) " $7 " > " $4 " + " tol; bad = 1 }
    n++ }
  END { exit bad || n < 6 }' cal.csv || { cat cal.csv; fail "a calibrated rule flags honest schools more often than its level"; }
awk -F, 'NR > 1 && $1 == "objectivity_raised" && $5 == 1 { ok = 1 } END { exit !ok }' cal.csv ||
  fail "calibrate: the observed flags of objectivity_raised are not 1"
# the same seed gives the same numbers; the table speaks Russian
run 0 --db o.db calibrate 3 5 --format csv
cp out a.csv
run 0 --db o.db calibrate 3 5 --format csv
cmp -s out a.csv || fail "calibrate is not deterministic for a seed"
run 0 --db o.db calibrate 2
has out "Ложных в среднем"
has out "objectivity_spike"
run 0 --db o.db calibrate 2 --format json
python3 -c 'import json,sys; d = json.load(open("out")); assert d["runs"] == 2 and len(d["rules"]) >= 10' ||
  fail "calibrate JSON"
# usage
run 2 --db o.db calibrate 0
has err "RUNS a whole number from 1 to 100000"
run 2 --db o.db calibrate 10 x
run 2 --db o.db calibrate 1 2 3
