# tests/e2e/lib.sh — helpers for end-to-end tests (sourced; the test runs in a fresh
# temporary directory). A test fails by calling `fail MESSAGE` or by any helper below.

SAMPLES="$TOP/samples/district"

# Messages are English unless a test asks for Russian (--lang ru, SOKO_LANG, LANG=ru_*),
# whatever the locale of the machine that runs the tests.
unset SOKO_LANG LANGUAGE LC_ALL LC_MESSAGES
LANG=C.UTF-8
export LANG

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*"; exit 77; }

# soko ARGS: runs the binary (under valgrind when SOKO_VALGRIND=1).
soko() {
  if [ "${SOKO_VALGRIND:-}" = 1 ]; then
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$SOKO" "$@"
  else
    "$SOKO" "$@"
  fi
}

# run EXPECTED_STATUS ARGS...: runs soko, keeps stdout in ./out and stderr in ./err,
# and fails unless the exit status is EXPECTED_STATUS.
run() {
  want=$1; shift
  soko "$@" >out 2>err
  got=$?
  if [ "$got" != "$want" ]; then
    echo "--- stdout"; cat out; echo "--- stderr"; cat err
    fail "soko $* exited $got, expected $want"
  fi
}

# has FILE TEXT: FILE contains TEXT (fixed string).
has() { grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$1 lacks: $2"; }; }
hasnt() { ! grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$1 has: $2"; }; }

# dump DB: a canonical text dump of the data tables (not the imports log, nor the record of
# when each defined form was created: form_defs).
dump() { sqlite3 "$1" .dump | grep -v -e '^INSERT INTO imports' -e '^INSERT INTO form_defs' | LC_ALL=C sort; }

# q DB SQL: one value.
q() { sqlite3 "$1" "$2"; }

# registry DB: imports a small schools registry used by many tests.
registry() {
  printf 'school_id,name\n344,Лицей № 344\n329,Школа № 329\n512,Школа № 512\n' > schools.csv
  run 0 --db "$1" import schools schools.csv
}
