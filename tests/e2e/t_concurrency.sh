# Concurrent use of one store.
# 1. Readers (status, imports, indicators) running while an import writes (a file
#    large enough that several start before it commits) each see
#    the state before it or the state after it: never an error, never a half state
#    (vpr rows without their vpr_dist rows, an import listed without its rows).
# 2. Two imports at once serialise: the second waits for the first, both are stored.
# 3. With a short SOKO_BUSY_TIMEOUT the waiting import (or undo) gives up with a clear
#    message and exit status 5, and stores nothing.
# 4. Two sokos creating the same new store at once both succeed.
[ "${SOKO_VALGRIND:-}" = 1 ] && skip "timing-based; not under valgrind"
[ -n "${SOKO_GEN:-}" ] || skip "SOKO_GEN is not set"

"$SOKO_GEN" --schools 300 --years 2 --student-schools 0 --seed 3 --out a >/dev/null || fail "soko-gen"
"$SOKO_GEN" --form vpr_students --rows 200000 --schools 300 --seed 5 --out st.csv >/dev/null || fail "soko-gen"
IND="$TOP/defs/indicators"

# counts FILE: "vpr vpr_dist vpr_students" from the output of soko status
counts() { awk '$1 == "vpr" || $1 == "vpr_dist" || $1 == "vpr_students" { n[$1] = $2 }
                END { print n["vpr"] + 0, n["vpr_dist"] + 0, n["vpr_students"] + 0 }' "$1"; }
sound() { [ "$(q "$1" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check of $1"; }

run 0 --db base.db import schools a/schools.csv
run 0 --db base.db import oge a/oge.csv
run 0 --db base.db status; counts out > c.before
run 0 --db base.db indicators --indicators "$IND" --format csv; cp out ind.before
cp base.db done.db
run 0 --db done.db import vpr_students st.csv --keep-students
run 0 --db done.db status; counts out > c.after
run 0 --db done.db indicators --indicators "$IND" --format csv; cp out ind.after
cmp -s c.before c.after && fail "the import changed no counts"
cmp -s ind.before ind.after && fail "the import changed no indicator"
echo "counts before: $(cat c.before); after: $(cat c.after)"

# --- 1. readers during the import
cp base.db t.db
"$SOKO" --db t.db import vpr_students st.csv --keep-students > w.out 2> w.err &
pid=$!
n=0; nmid=0; k=0
while kill -0 "$pid" 2>/dev/null; do
  k=$((k + 1))
  case $((k % 3)) in
    0) run 0 --db t.db status
       counts out > c.now
       if cmp -s c.now c.before; then :
       elif cmp -s c.now c.after; then :
       else fail "status during the import shows a half state: $(cat c.now)"; fi
       if kill -0 "$pid" 2>/dev/null && cmp -s c.now c.before; then nmid=$((nmid + 1)); fi ;;
    1) run 0 --db t.db imports
       lines=$(wc -l < out)
       [ "$lines" = 3 ] || [ "$lines" = 4 ] || fail "imports during the import: $(cat out)" ;;
    2) run 0 --db t.db indicators --indicators "$IND" --format csv
       cmp -s out ind.before || cmp -s out ind.after || fail "indicators during the import are neither before nor after" ;;
  esac
  [ -s err ] && { cat err; fail "a reader wrote to stderr during the import"; }
  n=$((n + 1))
done
wait "$pid" || { cat w.err; fail "the import failed while readers ran"; }
sound t.db
run 0 --db t.db status; counts out > c.now
cmp -s c.now c.after || fail "after the import: $(cat c.now)"
echo "readers: $n ran during the import, $nmid saw it not yet committed"
[ "$nmid" -ge 1 ] || fail "no reader ran while the import was under way"

# --- 2. two imports at once serialise (the default busy timeout is 10 s)
cp base.db t2.db
"$SOKO" --db t2.db import vpr_students st.csv --keep-students > w.out 2> w.err &
pid=$!
sleep 0.2
run 0 --db t2.db import ege a/ege.csv
wait "$pid" || { cat w.err; fail "the first of two imports failed"; }
sound t2.db
[ "$(q t2.db "SELECT group_concat(form, ' ') FROM (SELECT form FROM imports WHERE status = 'active' ORDER BY form)")" = "ege oge schools vpr_students" ] ||
  fail "two imports at once: $(q t2.db 'SELECT id, form, status FROM imports')"
[ "$(q t2.db 'SELECT count(*) FROM ege')" -gt 0 ] || fail "the second import stored nothing"

# --- 3. a short busy timeout: the waiting writer gives up clearly
cp base.db t3.db
"$SOKO" --db t3.db import vpr_students st.csv --keep-students > w.out 2> w.err &
pid=$!
# wait until the import holds the write lock (sqlite3 cannot take it then)
i=0
while sqlite3 t3.db 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 500 ] || fail "the import never took the write lock"
  kill -0 "$pid" 2>/dev/null || fail "the import ended before the busy test could start"
  sleep 0.01
done
SOKO_BUSY_TIMEOUT=50 soko --db t3.db import ege a/ege.csv > out 2> err; got=$?
still=0; kill -0 "$pid" 2>/dev/null && still=1
[ $got = 5 ] || { cat out err; fail "import while another writes: exit $got, expected 5"; }
has err "is being written by another soko"
has err "did not finish within 50 ms"
has err "SOKO_BUSY_TIMEOUT"
has err "nothing was stored from this file"
hasnt err "database is locked"
# undo waits for the write lock before it looks the import up (999 does not exist)
SOKO_BUSY_TIMEOUT=50 soko --db t3.db undo 999 > out 2> err; got=$?
if kill -0 "$pid" 2>/dev/null; then
  [ $got = 5 ] || { cat out err; fail "undo while another writes: exit $got, expected 5"; }
  has err "is being written by another soko"
fi
wait "$pid" || { cat w.err; fail "the import that held the lock failed"; }
[ $still = 1 ] || echo "note: the import ended before the busy check finished"
sound t3.db
[ "$(q t3.db 'SELECT count(*) FROM ege')" = 0 ] || fail "the refused import stored rows"
[ "$(q t3.db "SELECT count(*) FROM imports WHERE form = 'ege'")" = 0 ] || fail "the refused import is in the log"

# --- 4. two sokos creating one store at once
for i in 1 2 3 4 5 6 7 8; do
  rm -f new.db new.db-wal new.db-shm
  "$SOKO" --db new.db import schools a/schools.csv > w.out 2> w.err &
  pid=$!
  soko --db new.db import oge a/oge.csv > out 2> err; got=$?
  wait "$pid"; got1=$?
  # the oge file needs the registry: it is refused (1) when it came first, never 5
  [ $got1 = 0 ] || { cat w.err; fail "creating the store alongside another soko: exit $got1"; }
  [ $got = 0 ] || [ $got = 1 ] || { cat err; fail "the second creator exited $got"; }
  hasnt err "already exists"
  sound new.db
done
