# A command whose standard output cannot be written tells the truth
# (docs/guarantees.md, "Output that cannot be written"): a change that was stored
# (import, undo, migrate) keeps its exit status 0 and its summary goes to stderr,
# saying that stdout failed; a command whose product is its output (status, schools,
# indicators, flags) exits 4.
[ -w /dev/full ] || skip "no /dev/full here"
registry t.db
printf 'school_id,name\n777,Школа 777\n' > more.csv
soko --db t.db import schools more.csv > /dev/full 2> err; got=$?
[ $got = 0 ] || { cat err; fail "import > /dev/full exited $got; the import is stored, expected 0"; }
has err "the standard output cannot be written"
has err "more.csv: imported 1 row from 1 record as import #2"
[ "$(q t.db "SELECT count(*) FROM schools WHERE school_id = '777'")" = 1 ] || fail "the import was not stored"
[ "$(q t.db "SELECT count(*) FROM imports")" = 2 ] || fail "imports: $(q t.db 'SELECT count(*) FROM imports')"
soko --db t.db undo 2 > /dev/full 2> err; got=$?
[ $got = 0 ] || { cat err; fail "undo > /dev/full exited $got; the undo is stored, expected 0"; }
has err "import #2 undone"
[ "$(q t.db "SELECT status FROM imports WHERE id = 2")" = undone ] || fail "the undo was not stored"
# a failed change still says so, and nothing is claimed
printf 'school_id,name\n778,\n' > bad.csv
soko --db t.db import schools bad.csv > /dev/full 2> err; got=$?
[ $got = 1 ] || { cat err; fail "a refused import > /dev/full exited $got, expected 1"; }
hasnt err "imported"
# the output is the product: exit 4
for cmd in status imports schools "clusters" "forms" "template vpr" "help import"; do
  # shellcheck disable=SC2086
  soko --db t.db $cmd > /dev/full 2> err; got=$?
  [ $got = 4 ] || { cat err; fail "$cmd > /dev/full exited $got, expected 4"; }
done
soko --db t.db import --help > /dev/full 2> err; got=$?
[ $got = 4 ] || fail "import --help > /dev/full exited $got, expected 4"
