# A new user's first steps (README, quick start): each first mistake gets one clear
# sentence; soko schools / soko clusters show what is stored; every command has its
# help; an unknown school or cluster id lists the nearest known ones, in every command
# that takes one; tables align by display width; import times are local; options are
# accepted anywhere on the line.
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"

# --- results before the registry: one sentence, before the file is read, no store
run 1 --db d.db import vpr "$SAMPLES/vpr.csv"
has err "the schools registry is empty: import form schools first"
[ "$(wc -l < err)" = 1 ] || { cat err; fail "results before the registry: $(wc -l < err) lines"; }
hasnt err "is not in the schools registry"
[ ! -e d.db ] || fail "the refused import created the store"
# the same with a store whose registry is empty (here: only an empty import)
printf 'school_id,name\n' > empty_registry.csv
run 0 --db d.db import schools empty_registry.csv
run 1 --db d.db import clusters "$SAMPLES/clusters.csv"
has err "the schools registry is empty: import form schools first"
[ "$(wc -l < err)" = 1 ] || fail "results before the registry (store there): $(wc -l < err) lines"
run 1 --db d.db check vpr "$SAMPLES/vpr.csv"
has err "the schools registry is empty"
rm -f d.db

# --- the README's names stand for the user's own files: one sentence
run 4 --db d.db import schools schools.csv
has err "soko: schools.csv: no such file; expected the path of a file of form schools of your own ('soko template schools --ru > schools.csv' writes an empty one for Excel)"
[ "$(wc -l < err)" = 1 ] || fail "a missing file: $(wc -l < err) lines"
[ ! -e d.db ] || fail "a missing file created the store"
run 4 --db no/such/folder/d.db import schools "$SAMPLES/schools.csv"
has err "the folder no/such/folder does not exist"
# the README's commands for one's own files, run verbatim in an empty folder: each that
# cannot run says in one sentence that its file stands for the user's own
mkdir readme && (
  cd readme || exit 1
  awk '/^Then, with your own files/ { want = 1 } want && /^```sh/ { on = 1; next } on && /^```/ { exit }
       on && /^build\/soko/ { print }' "$TOP/README.md" | sed 's/  *#.*//' > cmds
  [ "$(wc -l < cmds)" -ge 8 ] || { echo "README: $(wc -l < cmds) commands found"; exit 1; }
  while read -r line; do
    eval "\"$SOKO\"${line#build/soko}" >> all.out 2>> all.err < /dev/null
  done < cmds
  # every complaint is about a file that is not there, or the empty registry it left
  grep -v -e "no such file; expected the path of a file of form [a-z_]* of your own" \
          -e "no such file; expected the path of an export or of a form's file of your own" \
          -e "the schools registry is empty: import form schools first" \
          -e "there is no import #3: the store has no imports yet" \
          -e "expected an id from 1 to 1 (see 'soko imports')" all.err > other.err
  [ ! -s other.err ] || { cat other.err; exit 1; }
) || fail "the README's commands, run verbatim, say something unclear"
# and the samples line runs as it is from the top of the source
(cd "$TOP" && "$SOKO" --db "$OLDPWD/demo.db" import schools samples/district/schools.csv) > out 2> err ||
  { cat err; fail "the README's samples command"; }

for f in schools clusters vpr; do run 0 --db d.db import "$f" "$SAMPLES/$f.csv"; done

# --- soko schools and soko clusters, in three formats
run 0 --db d.db schools
has out "Наименование"
has out "ГБОУ «Лицей № 344»"
[ "$(grep -c '' out)" = 41 ] || fail "schools: $(grep -c '' out) lines for 40 schools"
run 0 --db d.db schools --format csv
[ "$(head -n 1 out)" = "school_id,name,district,kind,profile,clusters" ] || fail "schools csv header: $(head -n 1 out)"
has out '344,ГБОУ «Лицей № 344»,Условный район,лицей,math-science,nevsky_stem'
run 0 --db d.db schools --format json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d) == 40; s=[x for x in d if x["school_id"] == "344"][0]; assert s["clusters"] == ["nevsky_stem"], s' < out ||
  fail "schools json"
run 0 --db d.db clusters
has out "nevsky_stem — Кластер точных и естественнонаучных дисциплин"
has out "активист"
run 0 --db d.db clusters --cluster nevsky_stem --format csv
[ "$(grep -c '' out)" = "$(( $(q d.db "SELECT count(*) FROM clusters WHERE cluster_id = 'nevsky_stem'") + 1 ))" ] || fail "clusters --cluster csv: $(cat out)"
has out "nevsky_stem,Кластер точных и естественнонаучных дисциплин,344,ГБОУ «Лицей № 344»,activist"
run 0 --db d.db clusters --format json
python3 -c 'import json,sys; d=json.load(sys.stdin); c=[x for x in d if x["cluster_id"] == "nevsky_stem"][0]; assert len(c["members"]) == 7 and c["members"][0]["role"], c' < out ||
  fail "clusters json"
run 2 --db d.db schools --format xml
has err "expected table, csv or json"

# --- help: soko help COMMAND and COMMAND --help, for every command
run 0 help
cmds=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' out)
[ "$(echo "$cmds" | wc -l)" -ge 20 ] || fail "help lists $(echo "$cmds" | wc -l) commands"
for c in $cmds; do
  run 0 help "$c"
  has out "usage: soko [--db PATH] $c"
  has out "options:"
  [ "$c" = help ] || has out "example:"
  cp out help.$c
  run 0 "$c" --help
  cmp -s out help.$c || fail "soko $c --help differs from soko help $c"
done
run 0 import --help
has out "--keep-students"
has out "soko --db district.db import schools schools.csv"
hasnt out "commands:"
run 2 help nosuch
has err "help: no command 'nosuch'"

# --- an unknown id: the nearest known ones, in every command that takes one
I="--indicators $TOP/defs/indicators"
for cmd in "note --out n" "trends" "compare" "indicators" "clusters" "context"; do
  # shellcheck disable=SC2086
  run 2 --db d.db $cmd $I --cluster КОД
  has err "no cluster 'КОД' in the store; the known ones are humanities, nevsky_stem, other, support"
done
run 2 --db d.db compare $I --cluster nevsky_ste
has err "no cluster 'nevsky_ste' in the store"
has err "nevsky_stem"
for cmd in "card --out c" "recommend" "trends" "indicators" "flags" "compare --cluster nevsky_stem"; do
  # shellcheck disable=SC2086
  run 2 --db d.db $cmd $I --school 3444
  has err "no school '3444' in the store; the nearest: 344"
done
run 2 --db d.db indicators $I --indicator vpr_fial
has err "no indicator 'vpr_fial'"
has err "vpr_fail"

# --- tables align by display width (Cyrillic titles, combining marks, wide characters)
run 0 forms
python3 - out <<'EOF' || fail "soko forms: columns do not line up"
import sys, unicodedata
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
def width(s): return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
# the third column (the English description) starts at the same display column
starts = set()
for l in lines:
    name, rest = l.split(" ", 1)
    title_and_doc = l[len(name):].lstrip(" ")
    cut = l.index(title_and_doc) + len(title_and_doc.split("  ")[0])
    doc = l[cut:].lstrip(" ")
    starts.add(width(l[: len(l) - len(doc)]))
assert len(starts) == 1, starts
EOF
printf 'school_id,name,kind\n901,Школа\314\201 один,ОО\n902,\344\270\255\346\226\207 школа,ОО\n903,Простая школа,ОО\n' > wide.csv
run 0 --db w.db import schools wide.csv
run 0 --db w.db schools
python3 - out <<'EOF' || fail "soko schools: columns do not line up with combining and wide characters"
import sys, unicodedata
def width(s): return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
cols = set(width(l[: l.index("ОО")]) for l in lines[1:])
assert len(cols) == 1, (cols, lines)
EOF

# --- import times: stored in UTC, shown in local time with the offset
run 0 --db d.db imports
has out "time (local)"
stored=$(q d.db "SELECT started FROM imports WHERE id = 1")
TZ=UTC-3 soko --db d.db imports > out 2> err || fail "imports with TZ=UTC-3"
want=$(TZ=UTC-3 date -d "$stored" '+%Y-%m-%d %H:%M:%S +0300')
has out "$want"
TZ=UTC soko --db d.db imports > out 2> err || fail "imports with TZ=UTC"
has out "$(TZ=UTC date -d "$stored" '+%Y-%m-%d %H:%M:%S +0000')"

# --- options anywhere: before the command, after it, between the arguments
run 0 --quiet --db d.db import schools "$SAMPLES/schools.csv"
run 0 import --db d.db schools "$SAMPLES/schools.csv" --quiet
[ ! -s out ] || fail "--quiet after the arguments printed: $(cat out)"
run 0 import schools --db=d.db -q "$SAMPLES/schools.csv"
run 0 status --db d.db
has out "d.db:"
run 0 schools --format=csv --db d.db
has out "school_id,name"
run 0 --format csv clusters --db d.db --cluster nevsky_stem
has out "nevsky_stem,"
run 0 indicators --db d.db --indicator vpr_fail $I --format csv --school 344
has out "vpr_fail,school,"
run 0 --db d.db -V
has out "soko 0.1.0"
