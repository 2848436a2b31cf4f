# No definition file makes soko run unbounded (docs/guarantees.md, "Hostile
# definitions"; docs/indicators.md, "Limits"): a formula that would run for ever (a
# four-way self cross join) is stopped after SOKO_EVAL_SECONDS, one that builds
# temporary results without end (count(DISTINCT) over a cross join) after
# SOKO_EVAL_MEMORY_MB, each refused with its file:line and the limit — in
# `indicators`, `flags` and `note` alike; no temporary file grows meanwhile.
for f in schools clusters vpr; do run 0 --db d.db import "$f" "$SAMPLES/$f.csv"; done
now_ms() { date +%s%N | cut -c1-13; }
mkdir slow mem tmp
cat > slow/slow.ini <<'INI'
[slow]
title = Бесконечный
form = vpr
kind = share
numerator = sum(m2) + (SELECT count(*) FROM vpr a, vpr b, vpr c, vpr d)
denominator = sum(participants)
INI
cat > mem/mem.ini <<'INI'
[mem]
title = Прожорливый
form = vpr
kind = share
numerator = sum(m2)
denominator = sum(participants) + (SELECT count(DISTINCT a.year || a.school_id || a.subject || a.grade || '-' || b.year || b.school_id || b.subject || b.grade || '-' || c.year || c.school_id || c.subject || c.grade) FROM vpr a, vpr b, vpr c)
INI
export SQLITE_TMPDIR="$PWD/tmp" TMPDIR="$PWD/tmp"
for cmd in indicators flags note; do
  extra=""
  [ $cmd = note ] && extra="--cluster nevsky_stem --out n"
  t0=$(now_ms)
  # shellcheck disable=SC2086
  SOKO_EVAL_SECONDS=1 soko --db d.db $cmd --indicators slow $extra > out 2> err; got=$?
  ms=$(( $(now_ms) - t0 ))
  [ $got = 3 ] || { cat out err; fail "$cmd with a formula that never ends: exit $got, expected 3"; }
  has err "slow/slow.ini:5: [slow]: numerator: evaluating took longer than 1 s, the limit (SOKO_EVAL_SECONDS)"
  echo "$cmd: refused the endless formula in $ms ms"
  [ "$ms" -lt 20000 ] || fail "$cmd took $ms ms to refuse it"
  t0=$(now_ms)
  # shellcheck disable=SC2086
  SOKO_EVAL_SECONDS=120 SOKO_EVAL_MEMORY_MB=16 soko --db d.db $cmd --indicators mem $extra > out 2> err; got=$?
  ms=$(( $(now_ms) - t0 ))
  [ $got = 3 ] || { cat out err; fail "$cmd with a formula that grows without end: exit $got, expected 3"; }
  has err "mem/mem.ini:6: [mem]: denominator: evaluating needed more than 16 MB of memory for temporary results, the limit (SOKO_EVAL_MEMORY_MB)"
  echo "$cmd: refused the growing formula in $ms ms"
  [ "$ms" -lt 60000 ] || fail "$cmd took $ms ms to refuse it"
  [ -z "$(ls -A tmp)" ] || fail "$cmd left temporary files: $(ls -A tmp)"
done
# the same formulas when they are only slow, not endless: a generous limit lets them be
cat > slow/slow.ini <<'INI'
[slow]
title = Медленный, но конечный
form = vpr
kind = share
numerator = sum(m2) + 0 * (SELECT count(*) FROM vpr a, vpr b WHERE a.school_id = '344' AND b.school_id = '344')
denominator = sum(participants)
INI
SOKO_EVAL_SECONDS=30 soko --db d.db indicators --indicators slow --format csv > out 2> err || { cat err; fail "a finite formula was refused"; }
has out "slow,district,"
# the limits must be numbers
SOKO_EVAL_SECONDS=soon soko --db d.db indicators > out 2> err; got=$?
[ $got = 2 ] || fail "SOKO_EVAL_SECONDS=soon: exit $got"
has err "SOKO_EVAL_SECONDS=soon: expected a number of seconds above 0"
SOKO_EVAL_MEMORY_MB=0 soko --db d.db indicators > out 2> err; got=$?
[ $got = 2 ] || fail "SOKO_EVAL_MEMORY_MB=0: exit $got"
has err "SOKO_EVAL_MEMORY_MB=0: expected a whole number of megabytes, 1 or more"
