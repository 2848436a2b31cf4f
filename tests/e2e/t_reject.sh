# A corpus of bad files (tests/fixtures/bad/FORM__CASE.csv), each refused with the
# message in FORM__CASE.expect (file:row:column: the column by its header, what was
# found, what was expected) as the first line on stderr, exit status 1, and the store
# unchanged (compared as a dump); in Russian (--lang ru) with FORM__CASE.expect.ru.
# The store holds the samples, so that a refusal has something to lose.
for f in schools clusters vpr oge ege; do run 0 --db r.db import "$f" "$SAMPLES/$f.csv"; done
dump r.db > before
n=0
for csv in "$TOP"/tests/fixtures/bad/*.csv; do
  b=$(basename "$csv" .csv); form=${b%%__*}
  cp "$csv" "$b.csv"
  run 1 --db r.db import "$form" "$b.csv"
  head -n 1 err > got
  cmp -s got "$TOP/tests/fixtures/bad/$b.expect" || {
    echo "expected: $(cat "$TOP/tests/fixtures/bad/$b.expect")"; echo "got:      $(cat got)"; fail "$b"; }
  has err "$b.csv: refused; nothing was stored from this file"
  [ -s "$TOP/tests/fixtures/bad/$b.expect.ru" ] || fail "$b: no Russian expected message ($b.expect.ru)"
  run 1 --lang ru --db r.db import "$form" "$b.csv"
  head -n 1 err > got
  cmp -s got "$TOP/tests/fixtures/bad/$b.expect.ru" || {
    echo "expected: $(cat "$TOP/tests/fixtures/bad/$b.expect.ru")"; echo "got:      $(cat got)"; fail "$b (ru)"; }
  has err "$b.csv: отклонен; из этого файла ничего не сохранено"
  run 1 --db r.db check "$form" "$b.csv"
  dump r.db > after
  cmp -s before after || fail "$b: the store changed after a refused import"
  n=$((n + 1))
done
[ "$n" -ge 41 ] || fail "expected at least 41 bad files, found $n"

# messages name the user's own headers (Russian here), and never quote a pupil's code
has_first() { head -n 1 err | grep -qF -- "$1" || { cat err; fail "first message lacks: $1"; }; }
run 1 --db r.db import vpr vpr__ru_sum.csv
has_first "vpr__ru_sum.csv:2:E: column E «Кол-во участников»: the marks add up to 49"
run 1 --db r.db import vpr_students vpr_students__names.csv --keep-students
hasnt err "Иванов"
hasnt err "Петрова"
run 1 --db r.db import vpr_students vpr_students__twice.csv
hasnt err "A1"

# many errors: all counted, the first ones shown, then "... and N more"
{ echo 'year,school_id,grade,subject,participants,m2,m3,m4,m5'
  i=0; while [ $i -lt 300 ]; do echo "2025,344,$((i % 11 + 1)),П$i,25,2,8,10,4"; i=$((i + 1)); done; } > many.csv
run 1 --db r.db import vpr many.csv --max-errors 10
[ "$(grep -c '^many.csv:' err)" = 11 ] || fail "expected 10 messages and the refusal line"
has err "... and 290 more errors"
