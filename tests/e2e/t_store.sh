# The store tells the truth about itself (docs/guarantees.md, "The store"):
# 1. a full disk and a damaged file are store failures (exit 4 and 5) that name the
#    store, not a line of the input, and change nothing;
# 2. a file that is no store says what it is (not SQLite, text, empty, a device, a
#    folder, another program's database, a newer schema, damaged) — never "schema
#    version 0" —, and a store at a read-only place is still read, leaving nothing;
# 3. --db is a file name: an SQLite URI or ":memory:" is refused;
# 4. a new store and its -wal/-shm are owner-only whatever the umask;
# 5. a failed command creates no store; a missing folder or file gets one sentence;
# 6. undo parses its id strictly.
registry t.db
printf 'school_id,name\n9001,Школа 9001\n' > one.csv

# --- 1. a full disk: a 2 MB tmpfs (mounted in a private mount namespace when we may)
if [ -n "${SOKO_GEN:-}" ]; then
  "$SOKO_GEN" --schools 300 --years 2 --student-schools 0 --seed 3 --out a >/dev/null || fail "soko-gen"
  "$SOKO_GEN" --form vpr_students --rows 60000 --schools 300 --seed 5 --out st.csv >/dev/null || fail "soko-gen"
  mkdir full
  cat > full.sh <<EOF
set -u
mount -t tmpfs -o size=2m tmpfs full || exit 77
cd full
"$SOKO" --db t.db import schools ../a/schools.csv > ../full.out1 2>&1 || exit 90
"$SOKO" --db t.db import vpr_students ../st.csv --keep-students > ../full.out 2> ../full.err
echo \$? > ../full.rc
sqlite3 t.db 'PRAGMA integrity_check' > ../full.ic
sqlite3 t.db 'SELECT count(*) FROM vpr_students; SELECT count(*) FROM imports' > ../full.n
"$SOKO" --db t.db import schools ../one.csv > ../full.again 2>&1; echo \$? >> ../full.again
EOF
  got=77
  if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
    unshare -m sh full.sh; got=$?
  fi
  if [ $got = 77 ] && command -v unshare >/dev/null 2>&1; then
    unshare -rm sh full.sh; got=$?
  fi
  if [ $got = 77 ]; then
    echo "note: cannot mount a small tmpfs here; the full-disk case is skipped"
  else
    [ $got = 0 ] || { cat full.out1; fail "full-disk script: exit $got"; }
    [ "$(cat full.rc)" = 4 ] || { cat full.out full.err; fail "import onto a full disk: exit $(cat full.rc), expected 4"; }
    has full.err "store t.db: the disk is full"
    has full.err "st.csv: i/o error; nothing was stored from this file"
    # the store is blamed, not a line of the file
    grep -q 'st.csv:[0-9]' full.err && { cat full.err; fail "a full disk is blamed on a line of the input"; }
    hasnt full.err "the store refused the row"
    [ "$(cat full.ic)" = ok ] || fail "after a full disk: integrity_check $(cat full.ic)"
    [ "$(tr '\n' ' ' < full.n)" = "0 1 " ] || fail "after a full disk the store holds $(cat full.n)"
  fi
fi

# --- 1b. damaged pages: the page of the registry overwritten
cp t.db cor.db
page=$(q cor.db "SELECT rootpage FROM sqlite_master WHERE name = 'schools'")
head -c 300 /dev/zero | tr '\0' '\377' | dd of=cor.db bs=1 seek=$(( (page - 1) * 4096 )) conv=notrunc 2>/dev/null
run 5 --db cor.db import schools one.csv
has err "store cor.db is damaged (database disk image is malformed)"
has err "integrity_check: *** in database main *** Page $page"
has err "one.csv: store error; nothing was stored from this file"
hasnt err "one.csv:2"
hasnt err "the store refused the row"
run 5 --db cor.db schools
has err "store cor.db is damaged"

# --- 2. files that are no store, each named for what it is
head -c 8192 t.db > trunc.db
run 5 --db trunc.db status
has err "store trunc.db is damaged"
head -c 65536 /dev/urandom > rand.db
run 5 --db rand.db status
has err "rand.db is not a soko store: it is not an SQLite database"
cp schools.csv csv.db
run 5 --db csv.db status
has err "csv.db is not a soko store: it is a text file"
run 5 --db /dev/null status
has err "/dev/null is not a soko store: it is a device or other special file"
run 5 --db /dev/null import schools one.csv
has err "/dev/null is not a soko store"
mkdir dir.db
run 5 --db dir.db status
has err "dir.db is not a soko store: it is a folder"
: > empty.db
run 5 --db empty.db imports
has err "empty.db is empty: no soko store in it"
sqlite3 foreign.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
run 5 --db foreign.db status
has err "foreign.db is an SQLite database of another program"
run 5 --db foreign.db import schools one.csv
has err "foreign.db is an SQLite database of another program"
[ "$(q foreign.db "SELECT count(*) FROM sqlite_master")" = 1 ] || fail "soko wrote its schema into another program's database"
cp t.db future.db
sqlite3 future.db 'PRAGMA user_version = 99'
run 5 --db future.db status
has err "store future.db has schema version 99, newer than this soko reads"
for f in trunc rand csv empty foreign future; do
  soko --db $f.db status 2>&1 | grep -q "schema version 0" && fail "$f.db: called schema version 0"
  [ ! -e $f.db-wal ] && [ ! -e $f.db-shm ] || fail "reading $f.db left a -wal or -shm behind"
done

# a reader leaves no -wal/-shm behind, and a store nobody may write is still read
run 0 --db t.db status
[ ! -e t.db-wal ] && [ ! -e t.db-shm ] || fail "soko status left t.db-wal/-shm behind"
cp t.db ro.db
chmod 444 ro.db
run 0 --db ro.db status
has out "schools"
run 0 --db ro.db imports
[ ! -e ro.db-wal ] && [ ! -e ro.db-shm ] || fail "reading a read-only store left -wal/-shm behind"
chmod 644 ro.db
# a valid store in a read-only folder: read as a snapshot
mkdir rodir
cp t.db rodir/t.db
ro_ok=0
if [ "$(id -u)" = 0 ]; then
  if mount -t tmpfs -o size=4m tmpfs rodir 2>/dev/null; then
    cp t.db rodir/t.db && mount -o remount,ro rodir && ro_ok=1
  fi
else
  chmod 555 rodir && ro_ok=1
fi
if [ $ro_ok = 1 ]; then
  run 0 --db rodir/t.db status
  has out "schools"
  run 0 --db rodir/t.db schools --format csv
  has out "344,Лицей № 344"
  [ ! -e rodir/t.db-wal ] && [ ! -e rodir/t.db-shm ] || fail "a read-only folder got -wal/-shm"
  run 4 --db rodir/t.db import schools one.csv
  has err "store rodir/t.db cannot be written"
  if [ "$(id -u)" = 0 ]; then umount rodir; else chmod 755 rodir; fi
else
  echo "note: cannot make a read-only folder here; that case is skipped"
fi

# --- 3. --db is a file name
run 2 --db 'file:u.db?mode=memory' import schools one.csv
has err "this is an SQLite URI or a memory database, which soko does not open"
run 2 --db ':memory:' status
[ -z "$(ls | grep -e '^file:' -e '^u.db' -e '^:memory:')" ] || fail "a URI --db made a file: $(ls)"

# --- 4. owner-only permissions, whatever the umask
for m in 000 022 077; do
  rm -f p$m.db
  (umask $m && soko --db p$m.db import schools schools.csv) >/dev/null || fail "umask $m: import failed"
  [ "$(stat -c %a p$m.db)" = 600 ] || fail "umask $m: the store is $(stat -c %a p$m.db), expected 600"
done
# the -wal and -shm while an import writes (the importer stopped half-way)
if [ -n "${SOKO_GEN:-}" ]; then
  (umask 000 && soko --db w.db import schools a/schools.csv) >/dev/null || fail "registry of a"
  (umask 000 && exec "$SOKO" --db w.db import vpr_students st.csv --keep-students) >/dev/null 2>&1 &
  pid=$!
  i=0
  while ! [ -e w.db-wal ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  kill -STOP $pid 2>/dev/null
  modes="$(stat -c %a w.db-wal 2>/dev/null) $(stat -c %a w.db-shm 2>/dev/null)"
  kill -CONT $pid 2>/dev/null
  wait $pid
  [ "$modes" = "600 600" ] || fail "the -wal and -shm of an import are '$modes', expected 600 600"
fi

# --- 5. a failed command creates nothing; one sentence for a missing folder or file
run 4 --db /no/such/dir/x.db import schools one.csv
has err "store /no/such/dir/x.db: the folder /no/such/dir does not exist"
hasnt err "unable to open database file"
run 4 --db new.db import schools no-such-file.csv
has err "soko: no-such-file.csv: no such file; expected the path of a file of form schools of your own"
[ "$(wc -l < err)" = 1 ] || fail "a missing file takes $(wc -l < err) lines"
printf 'school_id,name\n1,\n' > bad.csv
run 1 --db new.db import schools bad.csv
run 1 --db new.db import vpr one.csv
has err "the schools registry is empty: import form schools first"
run 5 --db new.db undo 1
ls new.db* >/dev/null 2>&1 && fail "a failed command created $(ls new.db*)"
run 0 --db new.db import schools one.csv
[ -s new.db ] || fail "a good import did not create the store"

# --- 6. undo parses its id strictly
run 2 --db t.db undo 99999999999999999999
has err "undo: 99999999999999999999 is out of range; expected an import id from 1 to 9223372036854775807"
run 2 --db t.db undo 0
has err "is out of range"
run 2 --db t.db undo 1x
has err "usage: soko undo ID"
run 2 --db t.db undo -- -1
run 2 --db t.db undo 7
has err "there is no import #7; expected an id from 1 to 1"
run 5 --db nothing.db undo 1
has err "nothing.db: no store here yet"
[ ! -e nothing.db ] || fail "undo created a store"
