# The shipped samples import cleanly, form by form; their Excel-style copies (cp1251,
# ';', CRLF, decimal comma, Russian headers) import too and store the same values; the
# generator is deterministic (same seed, same bytes) and its district output is what is
# committed; a generated region imports cleanly.
: "${SOKO_GEN:?set SOKO_GEN to the generator}"
forms="schools clusters context vpr vpr_students oge ege rdr olympiad admissions"
# the district's own monitorings (defs/forms/): samples/district only
own="career contests directors gifted niko recheck survey_500 context_class training_exam znak"
quiet_err() { [ ! -s err ] || { cat err; fail "$1: the import said more than it imported"; }; }
for f in $forms; do
  run 0 --db s.db import "$f" "$SAMPLES/$f.csv"
  has out "as import #"
  quiet_err "$f"      # no note: nothing skipped, no year in the future, no look-alike
done
for f in $own; do
  run 0 --db s.db import "$f" "$SAMPLES/$f.csv"
  quiet_err "$f"
done
# every form holds rows, the per-student works among them
for t in schools clusters context vpr oge ege rdr olympiad admissions vpr_dist $own; do
  [ "$(q s.db "select count(*) from $t")" -gt 0 ] || fail "no rows in $t after importing the samples"
done
[ "$(q s.db "select count(*) from schools")" = 40 ] || fail "expected 40 schools"
# the task forms (no Excel copies): the plan first, then the results and Russia / region
tforms="vpr_plan vpr_tasks vpr_reference_tasks vpr_reference"
for f in $tforms; do
  run 0 --db s.db import "$f" "$SAMPLES/$f.csv"
  quiet_err "$f"
  [ "$(q s.db "select count(*) from $f")" -gt 0 ] || fail "no rows in $f after importing the samples"
done
[ "$(q s.db "select count(distinct year) from vpr_plan")" = 3 ] || fail "expected plans of 3 years"
[ "$(q s.db "select count(distinct year) from vpr")" = 3 ] || fail "expected 3 years of ВПР"
[ "$(q s.db "select count(*) from vpr where from_students = 1")" = "$(q s.db "select count(*) from vpr_dist")" ] ||
  fail "each per-student work must give one vpr row and one distribution"

# the Excel copies: same values, so the data tables do not change (but for import ids)
values() {
  for t in schools clusters context vpr vpr_dist oge ege rdr olympiad admissions $own; do
    cols=$(q "$1" "select group_concat(name) from pragma_table_info('$t') where name <> 'import_id'")
    echo "== $t"; q "$1" "select $cols from $t order by $cols"
  done
}
values s.db > before
for f in $forms $own; do
  run 0 --db s.db import "$f" "$SAMPLES/excel/$f.csv"
  has out "Windows-1251"
  quiet_err "excel/$f"
done
values s.db > after
cmp -s before after || { diff before after | head; fail "the Excel copies changed stored values"; }

# the committed district is the generator's output for seed 1
"$SOKO_GEN" --preset district --seed 1 --out gen1 || fail "generator failed"
diff -r "$SAMPLES" gen1 >/dev/null || fail "samples/district differs from 'soko-gen --preset district --seed 1'"

# same seed, same bytes; another seed, other data
"$SOKO_GEN" --schools 120 --years 3 --seed 7 --out r1 || fail "generator failed"
"$SOKO_GEN" --schools 120 --years 3 --seed 7 --out r2 || fail "generator failed"
"$SOKO_GEN" --schools 120 --years 3 --seed 8 --out r3 || fail "generator failed"
diff -r r1 r2 >/dev/null || fail "the generator is not deterministic for a seed"
cmp -s r1/vpr.csv r3/vpr.csv && fail "seeds 7 and 8 gave the same vpr.csv"
for f in $forms $tforms; do
  [ -s "r1/$f.csv" ] || fail "generator wrote no $f.csv"
  run 0 --db r.db import "$f" "r1/$f.csv"
  quiet_err "r1/$f"
done
[ "$(q r.db "select count(*) from schools")" = 120 ] || fail "expected 120 generated schools"
