# soko report with the clusters' notes written by several workers (SOKO_JOBS): the
# trees are identical, file for file and byte for byte, to a serial run's, on the
# sample district and on a generated one with more clusters than workers; a note that
# cannot be written stops the report with the same message and status as serially.
command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed"
for f in schools clusters context vpr vpr_students oge ege rdr olympiad admissions; do
  run 0 --db d.db import --quiet "$f" "$SAMPLES/$f.csv"
done
I="--indicators $TOP/defs/indicators"
SOKO_JOBS=1 run 0 --db d.db report $I --out r1 --date 2026-09-01
for j in 2 3; do
  SOKO_JOBS=$j run 0 --db d.db report $I --out r$j --date 2026-09-01
  diff -r r1 r$j > jobs.diff || { head -20 jobs.diff; fail "report: SOKO_JOBS=$j differs from a serial run"; }
done
[ "$(find r1 -name note.md | wc -l)" -ge 2 ] || fail "report: expected notes of several clusters"

# a generated district: 12 clusters over 2 and 5 workers
if [ -n "${SOKO_GEN:-}" ]; then
  "$SOKO_GEN" --schools 120 --student-schools 4 --years 3 --seed 5 --out gen > /dev/null || fail "soko-gen"
  for f in schools clusters context vpr vpr_students oge ege rdr olympiad admissions; do
    run 0 --db g.db import --quiet "$f" "gen/$f.csv"
  done
  SOKO_JOBS=1 run 0 --db g.db report $I --out g1 --date 2026-09-01 --quiet
  n=$(find g1 -name note.md | wc -l)
  [ "$n" -ge 6 ] || fail "generated report: $n notes, expected more"
  for j in 2 5; do
    SOKO_JOBS=$j run 0 --db g.db report $I --out g$j --date 2026-09-01 --quiet
    diff -r g1 g$j > jobs.diff || { head -20 jobs.diff; fail "generated report: SOKO_JOBS=$j differs"; }
  done
fi

# a cluster's directory that cannot be made (a file in its place): the same failure
c=$(ls r1 | grep -v '\.' | grep -v '^tables$' | sed -n 2p)
[ -n "$c" ] || fail "no cluster directory in r1"
for j in 1 3; do
  mkdir -p f$j && : > "f$j/$c"
  SOKO_JOBS=$j soko --db d.db report $I --out f$j --date 2026-09-01 > out 2> err$j; got=$?
  [ $got != 0 ] || fail "SOKO_JOBS=$j: a note that cannot be written, exit 0"
  echo $got > st$j
  sed "s|f$j/|F/|g" err$j > e$j
done
cmp -s st1 st3 || fail "a failing note: exit $(cat st1) serially, $(cat st3) with 3 workers"
diff e1 e3 || fail "a failing note: the messages differ"
grep -qF "$c" e1 || { cat e1; fail "the message does not name the cluster's directory"; }
