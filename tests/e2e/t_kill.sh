# Crash safety: `soko import` and `soko undo` killed with SIGKILL at many moments.
# After every kill the store passes PRAGMA integrity_check and foreign_key_check, and it
# holds either the state before the command or the state after it — never a part of
# an import (rows, history and the imports log move together). After some kills the
# same command is run again to the end: a killed import leaves nothing in the way.
# The kill moments are spread over the measured run time of the command, so the test
# adapts to slow machines (and to the ASan build); under valgrind it is skipped.
[ "${SOKO_VALGRIND:-}" = 1 ] && skip "timing-based; not under valgrind"
[ -n "${SOKO_GEN:-}" ] || skip "SOKO_GEN is not set"

"$SOKO_GEN" --schools 200 --years 2 --student-schools 0 --seed 3 --out a >/dev/null || fail "soko-gen"
"$SOKO_GEN" --schools 200 --years 2 --student-schools 0 --seed 4 --out b >/dev/null || fail "soko-gen"
cmp -s a/vpr.csv b/vpr.csv && fail "the two generated files are the same"

now_ms() { date +%s%N | cut -c1-13; }
# at I N MS: I/N of MS milliseconds, in seconds for sleep
at() { awk -v i="$1" -v n="$2" -v t="$3" 'BEGIN { printf "%.3f", i / n * t / 1000 }'; }
# fp DB: what an import or undo changes — the rows of vpr, its history, the imports log
fp() {
  q "$1" "SELECT (SELECT count(*) || ' ' || total(participants) || ' ' || total(m2 + 3 * m3 + 7 * m4 + 11 * m5)
                  || ' ' || total(mean_score) || ' ' || total(import_id) FROM vpr)
          || ' | ' || (SELECT count(*) || ' ' || total(replaced_by) || ' ' || total(participants) FROM hist_vpr)
          || ' | ' || (SELECT group_concat(id || ':' || status || ':' || ifnull(rows, '-'), ',') FROM imports)"
}
# sound DB: the store is a valid database with every reference intact
sound() {
  [ "$(q "$1" 'PRAGMA integrity_check')" = ok ] || fail "$2: integrity_check: $(q "$1" 'PRAGMA integrity_check' | head -n 3)"
  [ -z "$(q "$1" 'PRAGMA foreign_key_check')" ] || fail "$2: foreign_key_check: $(q "$1" 'PRAGMA foreign_key_check' | head -n 3)"
}
fresh() { rm -f "$2" "$2-wal" "$2-shm"; cp "$1" "$2"; }

# the state before: the registry and an import of a; the import of b replaces its rows
run 0 --db base.db import schools a/schools.csv
run 0 --db base.db import vpr a/vpr.csv
[ ! -e base.db-wal ] || fail "soko left a WAL behind after a clean exit"
before=$(fp base.db)
fresh base.db done.db
t0=$(now_ms)
run 0 --db done.db import vpr b/vpr.csv
t_import=$(( $(now_ms) - t0 ))
has out "as import #3"
after=$(fp done.db)
[ "$before" != "$after" ] || fail "the import changed nothing"
echo "import of $(wc -l < b/vpr.csv) lines takes $t_import ms"

# --- import: 24 kills spread over 1.3 times its clean run time
n=0; nbefore=0; nafter=0
for i in $(seq 0 23); do
  fresh base.db k.db
  "$SOKO" --db k.db import vpr b/vpr.csv >/dev/null 2>&1 &
  pid=$!
  sleep "$(at "$i" 18 "$t_import")"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  n=$((n + 1))
  sound k.db "import killed at $i/18"
  got=$(fp k.db)
  if [ "$got" = "$before" ]; then nbefore=$((nbefore + 1))
  elif [ "$got" = "$after" ]; then nafter=$((nafter + 1))
  else fail "import killed at $i/18 of $t_import ms left a half state:
  before: $before
  after:  $after
  got:    $got"
  fi
  # every eighth time: the import done again after the crash gives the clean result
  if [ $((i % 8)) = 2 ] && [ "$got" = "$before" ]; then
    run 0 --db k.db import vpr b/vpr.csv
    sound k.db "import after a kill"
    [ "$(fp k.db)" = "$after" ] || fail "the import after a kill differs: $(fp k.db)"
  fi
done
echo "import: $n kills, $nbefore left the state before, $nafter the state after"
[ "$nbefore" -ge 3 ] || fail "only $nbefore of $n kills landed inside the import (a loaded machine?)"

# --- undo: 20 kills the same way, from the state after
fresh done.db u.db
t0=$(now_ms)
run 0 --db u.db undo 3
t_undo=$(( $(now_ms) - t0 ))
undone=$(fp u.db)
dump base.db > d.before; dump u.db > d.undone
cmp -s d.before d.undone || fail "undo did not restore the rows before the import"
echo "undo takes $t_undo ms"
n=0; nbefore=0; nafter=0
for i in $(seq 0 19); do
  fresh done.db k.db
  "$SOKO" --db k.db undo 3 >/dev/null 2>&1 &
  pid=$!
  sleep "$(at "$i" 16 "$t_undo")"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  n=$((n + 1))
  sound k.db "undo killed at $i/16"
  got=$(fp k.db)
  if [ "$got" = "$after" ]; then nbefore=$((nbefore + 1))
  elif [ "$got" = "$undone" ]; then nafter=$((nafter + 1))
  else fail "undo killed at $i/16 of $t_undo ms left a half state:
  before: $after
  after:  $undone
  got:    $got"
  fi
  if [ $((i % 8)) = 2 ] && [ "$got" = "$after" ]; then
    run 0 --db k.db undo 3
    [ "$(fp k.db)" = "$undone" ] || fail "the undo after a kill differs: $(fp k.db)"
  fi
done
echo "undo: $n kills, $nbefore left the state before, $nafter the state after"
[ "$nbefore" -ge 2 ] || fail "only $nbefore of $n kills landed inside the undo (a loaded machine?)"

# --- the very first import, which creates the store: killed early, the store is
# either absent, empty, or whole; the next import works
for i in 0 1 2 3 4 5; do
  rm -f new.db new.db-wal new.db-shm
  "$SOKO" --db new.db import schools a/schools.csv >/dev/null 2>&1 &
  pid=$!
  sleep "0.00$i"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  if [ -s new.db ]; then sound new.db "store creation killed at ${i} ms"; fi
  run 0 --db new.db import schools a/schools.csv
  [ "$(q new.db 'SELECT count(*) FROM schools')" = 200 ] || fail "registry incomplete after a killed creation"
  sound new.db "store created after a kill"
done
