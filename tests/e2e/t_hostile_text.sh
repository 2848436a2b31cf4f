# Hostile text in the data reaches no output unescaped (docs/guarantees.md, "Hostile
# text in data"): a school named
#   =HYPERLINK("http://evil","x")<script>…</script>⏎# Injected heading⏎[click](javascript:…)
# with terminal escapes (OSC set-title, CSI clear-screen, a C1 CSI) and a bidi override,
# imported from a file whose very name holds an escape, is printed by every command:
# tables and messages carry no control character or bidi override, `recommend`'s
# Markdown opens no heading or link, CSV fields cannot run as spreadsheet formulas,
# JSON is strict and gives the name back exactly.
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
ESC=$(printf '\033')
NAME="=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")<script>alert(1)</script>
# Injected heading
[click](javascript:alert(1)) ${ESC}]0;pwned$(printf '\007')${ESC}[2J$(printf '\302\233')2J $(printf '\342\200\256')cba"
# school 14 is flagged by low_results in the samples: it gets the name
awk -v name="\"$NAME\"" 'BEGIN { FS = OFS = "," } NR > 1 && $1 == 14 { print $1, name, $3, $4, $5; next } { print }' \
  "$SAMPLES/schools.csv" > schools.csv
BAD="bad$(printf '\033')]0;x$(printf '\007')name.csv"
cp "$SAMPLES/clusters.csv" "$BAD"
run 0 --db d.db import schools schools.csv
[ "$(q d.db "SELECT instr(name, 'Injected') > 0 FROM schools WHERE school_id = '14'")" = 1 ] || fail "the hostile name was not stored"
run 0 --db d.db import clusters "$BAD"
for f in context vpr oge; do run 0 --db d.db import "$f" "$SAMPLES/$f.csv"; done
cluster=$(q d.db "SELECT cluster_id FROM clusters WHERE school_id = '14' LIMIT 1")

# clean FILE WHAT: no C0 control but newline, no DEL, no C1, no bidi override or isolate
clean() {
  if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1"; then
    od -c "$1" | grep -m 3 '033\|007'; fail "$2: a control character reached the terminal"
  fi
  if LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1"; then fail "$2: a C1 control reached the terminal"; fi
  if LC_ALL=C grep -q "$(printf '\342\200[\252-\256]')" "$1" || LC_ALL=C grep -q "$(printf '\342\201[\246-\251]')" "$1"; then
    fail "$2: a bidi override reached the terminal"
  fi
}
I="--indicators $TOP/defs/indicators"
for cmd in "schools" "clusters" "clusters --cluster $cluster" "imports" "status" \
           "indicators $I --school 14 --indicator vpr_fail" "trends $I --school 14" \
           "compare $I --cluster $cluster --indicator vpr_fail" "flags $I" "recommend $I --school 14"; do
  # shellcheck disable=SC2086
  run 0 --db d.db $cmd
  clean out "$cmd"
  clean err "$cmd (stderr)"
done
run 0 --db d.db schools
has out "Injected heading"
run 0 --db d.db imports
has out "bad�]0;x�name.csv"
# messages quote the culprit safely too
run 2 --db d.db indicators $I --school "x${ESC}[2Jy"
clean err "an unknown --school"
run 2 --db d.db nosuch "${ESC}]0;t"
clean err "an unknown command"

# recommend: Markdown with the name escaped — no heading, link or HTML of its own
run 0 --db d.db recommend $I --school 14
grep -q '^# Injected' out && fail "recommend: the name opened a heading"
grep -q '^#[^#]' out && [ "$(grep -c '^# ' out)" = 1 ] || fail "recommend: a heading other than its own: $(grep '^#' out)"
grep -q '^\[click\]' out && fail "recommend: the name opened a link"
has out '\<script\>alert(1)\</script\>'
has out '\[click\](javascript:alert(1))'
has out '# Адресные рекомендации: \=HYPERLINK'

# CSV: the name is one field, guarded against formulas; every command's CSV
cat > csvcheck.py <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
head, body = rows[0], rows[1:]
bad = []
for r in body:
    assert len(r) == len(head), (len(r), len(head), r[:3])
    for v in r:
        if v[:1] in ("=", "+", "@", "\t", "\r") or (v[:1] == "-" and not v.lstrip("-").replace(".", "", 1).replace("e", "", 1).replace("-", "").isdigit()):
            bad.append(v[:40])
if bad:
    print("formula-like fields:", bad[:5]); sys.exit(1)
names = [r[head.index(sys.argv[2])] for r in body] if len(sys.argv) > 2 else []
if names and not any(n.startswith("'=HYPERLINK") and "Injected heading" in n for n in names):
    print("the name is not in column", sys.argv[2]); sys.exit(1)
EOF
run 0 --db d.db flags $I --format csv
python3 csvcheck.py out school_name || fail "flags --format csv"
run 0 --db d.db schools --format csv
python3 csvcheck.py out name || fail "schools --format csv"
run 0 --db d.db clusters --format csv
python3 csvcheck.py out school_name || fail "clusters --format csv"
for cmd in "indicators $I --indicator vpr_fail" "compare $I --cluster $cluster --indicator vpr_fail" "trends $I --indicator vpr_fail"; do
  # shellcheck disable=SC2086
  run 0 --db d.db $cmd --format csv
  python3 csvcheck.py out || fail "$cmd --format csv"
done

# JSON: strict, and the name comes back exactly as stored
hexname=$(q d.db "SELECT hex(name) FROM schools WHERE school_id = '14'")
cat > jsoncheck.py <<'EOF'
import json, sys
def no_const(c): raise ValueError("non-standard JSON constant " + c)
data = json.load(open(sys.argv[1], encoding="utf-8"), parse_constant=no_const)
names = [d.get(sys.argv[2]) for d in data if d.get("school_id") == "14"]
if not names or names[0].encode("utf-8").hex().upper() != sys.argv[3]:
    print("name not given back exactly:", names[:1]); sys.exit(1)
EOF
run 0 --db d.db flags $I --format json
python3 jsoncheck.py out school_name "$hexname" || fail "flags --format json"
run 0 --db d.db schools --format json
python3 jsoncheck.py out name "$hexname" || fail "schools --format json"
