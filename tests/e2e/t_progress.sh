# Progress on a terminal: a long import shows a bar on stderr — the phase (reading,
# checking, saving), done/total bytes, rows, the rate and the time left — and erases
# it before the summary; nothing of it when stderr is not a terminal, with --quiet,
# or with TERM=dumb; no colour with NO_COLOR.
command -v script >/dev/null 2>&1 || skip "script (util-linux) is not installed"
[ -n "${SOKO_GEN:-}" ] || skip "SOKO_GEN is not set"
[ "${SOKO_VALGRIND:-}" = 1 ] && skip "timing-based; not under valgrind"
"$SOKO_GEN" --schools 300 --years 2 --student-schools 0 --seed 3 --out a >/dev/null || fail "soko-gen"
# the bar shows after half a second; SOKO_PROGRESS_AFTER=0 draws every phase at once,
# so that what is checked below does not hang on how fast the machine reads (a CI
# machine read the 200,000 rows of an earlier version of this test in under 0.5 s)
"$SOKO_GEN" --form vpr_students --rows 60000 --schools 300 --seed 5 --out st.csv >/dev/null || fail "soko-gen"
export SOKO_PROGRESS_AFTER=0
run 0 --db base.db import schools a/schools.csv
# tty ARGS...: runs soko with stdout and stderr on a pseudo-terminal, into ./tty.out
# (the arguments here hold no spaces or quotes)
tty() {
  script -qfec "$SOKO $*" /dev/null > tty.out 2>&1 < /dev/null
}
cp base.db t.db
tty --db t.db import vpr_students st.csv --keep-students || { cat tty.out; fail "import on a terminal failed"; }
tr '\r' '\n' < tty.out > bar.txt
has bar.txt "st.csv  reading  ["
grep -q '%  [0-9.]* [kMG]B / [0-9.]* MB  [0-9.]* [kMG]B/s  [0-9]* rows  [0-9]*:[0-9][0-9] left' bar.txt ||
  { cat -v bar.txt | head; fail "the bar lacks done/total, rate, rows or time left"; }
has bar.txt "st.csv  saving"
has bar.txt "st.csv: imported"
grep -q "$(printf '\033')\[7m" tty.out || fail "no colour on a terminal"
# the bar is erased (CR, erase to end of line) before the summary, which is clean
grep -q "^$(printf '\033')\[Kst.csv: imported" bar.txt || fail "the bar was not erased before the summary"
grep "st.csv: imported" bar.txt | sed "s/^$(printf '\033')\[K//" | grep -q "$(printf '\033')" &&
  fail "the summary carries terminal codes"
# NO_COLOR: the bar without colour
cp base.db t.db
NO_COLOR=1 tty --db t.db import vpr_students st.csv --keep-students || fail "NO_COLOR import failed"
tr '\r' '\n' < tty.out > bar.txt
has bar.txt "st.csv  reading  [#"
grep -q "$(printf '\033')\[7m" tty.out && fail "colour despite NO_COLOR"
# the delay: nothing is drawn before it has passed (an hour here), and a bad value is
# said and the half second kept
cp base.db t.db
SOKO_PROGRESS_AFTER=3600 tty --db t.db import vpr_students st.csv --keep-students || fail "import with a delay failed"
tr '\r' '\n' < tty.out > bar.txt
hasnt bar.txt "reading"
hasnt bar.txt "saving"
has bar.txt "st.csv: imported"
cp base.db t.db
SOKO_PROGRESS_AFTER=soon tty --db t.db import vpr_students st.csv --keep-students || fail "import with a bad delay failed"
has tty.out "SOKO_PROGRESS_AFTER=soon: expected a number of seconds from 0 to 3600"
has tty.out "st.csv: imported"
# ... once for the command, however many files it imports
cp base.db t.db
head -n 3 a/oge.csv > o1.csv
{ head -n 1 a/oge.csv; sed -n 4,5p a/oge.csv; } > o2.csv
SOKO_PROGRESS_AFTER=soon tty --db t.db import oge o1.csv o2.csv || { cat tty.out; fail "a two-file import with a bad delay failed"; }
[ "$(grep -c 'SOKO_PROGRESS_AFTER=soon' tty.out)" = 1 ] || { cat tty.out; fail "the bad delay was not said once"; }
has tty.out "o2.csv: imported"
# quiet: no bar on a terminal with --quiet or TERM=dumb, none when stderr is a file
cp base.db t.db
tty --db t.db import vpr_students st.csv --keep-students --quiet || fail "quiet import failed"
[ ! -s tty.out ] || { cat -v tty.out | head -3; fail "--quiet printed on a terminal"; }
cp base.db t.db
TERM=dumb tty --db t.db import vpr_students st.csv --keep-students || fail "TERM=dumb import failed"
hasnt tty.out "reading"
cp base.db t.db
run 0 --db t.db import vpr_students st.csv --keep-students
hasnt err "reading"
[ ! -s err ] || fail "stderr not a terminal, yet: $(cat -v err | head -2)"
# in Russian: the phases, units, rows and time left in the user's words
cp base.db t.db
tty --lang ru --db t.db import vpr_students st.csv --keep-students || { cat tty.out; fail "Russian import on a terminal failed"; }
tr '\r' '\n' < tty.out > bar.txt
has bar.txt "st.csv  чтение  ["
grep -q '%  [0-9.]* [кМГ]Б / [0-9.]* МБ  [0-9.]* [кМГ]Б/с  [0-9]* строк[аи]*  осталось [0-9]*:[0-9][0-9]' bar.txt ||
  { cat -v bar.txt | head; fail "the Russian bar lacks done/total, rate, rows or time left"; }
has bar.txt "st.csv  сохранение"
has bar.txt "st.csv: импортировано: "
