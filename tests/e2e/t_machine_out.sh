# Machine output round-trips (docs/guarantees.md, "Numbers in CSV and JSON"): the CSV
# and JSON of indicators, trends, compare, context and flags carry every number at full
# precision — a share parses back to exactly the double sqlite3 computes for the same
# rows —, small values are not rounded to 0, and JSON is strict: no NaN or Infinity.
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
for f in schools clusters context vpr oge; do run 0 --db d.db import "$f" "$SAMPLES/$f.csv"; done
I="--indicators $TOP/defs/indicators"

# --- a share against sqlite3: 100 · sum(m2) / sum(participants), as the definition
# says; sqlite3 gives the exact sums (its printf stops at 15 digits), the division is
# the same IEEE double operation in Python as in soko
run 0 --db d.db indicators $I --indicator vpr_fail --format csv
cp out ind.csv
sqlite3 -csv d.db "SELECT year, school_id, subject, grade, sum(m2), sum(participants)
                   FROM vpr GROUP BY year, school_id, subject, grade" > ref.csv
python3 - ind.csv ref.csv <<'PY' || fail "indicators --format csv: values differ from sqlite3's"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
ref = {(r[0], r[1], r[2], r[3]): 100.0 * float(int(r[4])) / float(int(r[5]))
       for r in csv.reader(open(sys.argv[2], encoding="utf-8"))}
n = 0
for r in rows:
    if r["level"] != "school" or r["suppressed"] == "1":
        continue
    key = (r["year"], r["school_id"], r["subject"], r["grade"])
    got = float(r["value"])
    if got != ref[key]:
        print("differs:", key, r["value"], repr(ref[key])); sys.exit(1)
    n += 1
assert n > 1000, n
print("values equal to sqlite3's:", n)
PY

# --- full precision where the old output rounded: z-scores and EB bounds
run 0 --db d.db compare $I --cluster nevsky_stem --format csv
cp out cmp.csv
python3 - cmp.csv <<'PY' || fail "compare --format csv is rounded"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
def digits(s): return len(s.split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
for col in ("z_district", "eb_low", "diff_district"):
    vals = [r[col] for r in rows if r[col] != ""]
    assert vals, col
    long_ = sum(digits(v) >= 12 for v in vals)
    zeros = sum(float(v) == 0 for v in vals)
    # a double computed from counts has 15-17 significant digits nearly always
    assert long_ >= len(vals) * 0.9, (col, long_, len(vals))
    assert zeros <= len(vals) // 100, (col, zeros, len(vals))
    for v in vals:
        assert float(v) == float(repr(float(v))) and digits(v) <= 17, v
PY

# --- JSON: strict for every command, numbers equal to the CSV's
cat > strict.py <<'PY'
import json, sys
def no_const(c): raise ValueError("non-standard JSON constant " + c)
data = json.load(open(sys.argv[1], encoding="utf-8"), parse_constant=no_const)
assert isinstance(data, list) and len(data) > 0, "empty"
print(len(data), "records")
PY
for cmd in "indicators --indicator vpr_fail" "trends --indicator vpr_fail" \
           "compare --cluster nevsky_stem --indicator vpr_fail" "context" "flags"; do
  # shellcheck disable=SC2086
  run 0 --db d.db $cmd $I --format json
  python3 strict.py out > /dev/null || { head -c 600 out; fail "$cmd --format json is not strict JSON"; }
  grep -qiw -e nan -e inf -e infinity out && fail "$cmd --format json: nan or inf"
  # shellcheck disable=SC2086
  run 0 --db d.db $cmd $I --format csv
  grep -qiw -e nan -e inf -e infinity out && fail "$cmd --format csv: nan or inf"
done
run 0 --db d.db indicators $I --indicator vpr_fail --format json
python3 - out ind.csv <<'PY' || fail "indicators: JSON and CSV numbers differ"
import csv, json, sys
js = json.load(open(sys.argv[1], encoding="utf-8"))
cs = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
assert len(js) == len(cs)
for j, c in zip(js, cs):
    for k in ("value", "numerator", "denominator", "n", "ci_low", "ci_high"):
        if c[k] == "":
            assert j[k] is None, (k, j[k])
        else:
            assert float(c[k]) == j[k], (k, c[k], j[k])
PY
# the table for people still rounds
run 0 --db d.db indicators $I --indicator vpr_fail --school 344
grep -q '[0-9]\.[0-9][0-9]' out && fail "the table shows more than one decimal"
true
