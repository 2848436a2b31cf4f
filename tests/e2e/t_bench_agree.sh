# t_bench_agree — the correctness check behind the benchmarks (bench/run): what soko
# computes equals the same computation done independently by a peer on the same
# generated data set, so that a benchmark ratio compares equal work.
#   1. the per-work aggregates soko stores from a per-student file (vpr rows with
#      from_students = 1) equal a GROUP BY of the raw CSV in the sqlite3 shell
#      (bench/sql/works.sql), and its score histograms (vpr_dist) equal the counts of
#      each primary score;
#   2. `soko indicators --format csv` for the 6 ВПР shares (numerator, denominator, n,
#      value, Wilson interval, suppression, per school, cluster and district) equals
#      bench/sql/shares.sql evaluated by sqlite3 over the raw vpr.csv and clusters.csv;
#   3. a work where one student has no journal mark (soko leaves the comparison empty,
#      as the SQL does) and a work of 3 students (its shares are suppressed, n < 5):
#      the works and the shares again;
#   4. when DuckDB is installed (scripts/deps bench), the same for DuckDB's versions of
#      1 and 2 (bench/sql/duck_*.sql): the figures bench/run puts next to soko's;
#   5. bench/keyed (S2 keyed) writes soko's tables with their constraints and without
#      soko's bookkeeping, and they refuse what soko refuses (a repeated key, a value
#      out of range) in the sqlite3 shell; with DuckDB, the script loads the data set
#      into as many rows as soko's store holds, and fails on a repeated key.
# No network: the data come from soko-gen.
[ -n "${SOKO_GEN:-}" ] || skip "SOKO_GEN is not set"
command -v sqlite3 >/dev/null || skip "no sqlite3 shell"
SQL=$TOP/bench/sql
AGREE=$TOP/bench/agree

"$SOKO_GEN" --schools 80 --student-schools 6 --seed 11 --out data || fail "soko-gen"
for f in schools clusters vpr vpr_students; do
  run 0 --db s.db --quiet import "$f" "data/$f.csv"
done

# the raw CSVs in the sqlite3 shell, typed as forms.md says, empty cells NULL
sqlite3 raw.db <<EOF || fail "sqlite3 .import of the raw CSVs"
CREATE TABLE vpr_students (year INTEGER, school_id TEXT, grade INTEGER, subject TEXT,
  student TEXT, class TEXT, primary_score INTEGER, mark INTEGER, journal_mark INTEGER);
CREATE TABLE vpr (year INTEGER, school_id TEXT, grade INTEGER, subject TEXT,
  participants INTEGER, m2 INTEGER, m3 INTEGER, m4 INTEGER, m5 INTEGER, mean_score REAL,
  max_score INTEGER, lowered INTEGER, confirmed INTEGER, raised INTEGER);
CREATE TABLE clusters (cluster_id TEXT, school_id TEXT, cluster_name TEXT, role TEXT);
.import --csv --skip 1 data/vpr_students.csv vpr_students
.import --csv --skip 1 data/vpr.csv vpr
.import --csv --skip 1 data/clusters.csv clusters
UPDATE vpr_students SET journal_mark = NULL WHERE journal_mark = '';
UPDATE vpr SET lowered = NULLIF(lowered, ''), confirmed = NULLIF(confirmed, ''),
  raised = NULLIF(raised, ''), mean_score = NULLIF(mean_score, ''), max_score = NULLIF(max_score, '');
EOF

soko_works() {
  sqlite3 -csv -header s.db "SELECT year, school_id, grade, subject, participants, m2, m3, m4, m5,
    mean_score, lowered, confirmed, raised FROM vpr WHERE from_students = 1" > "$1" ||
    fail "reading the store"
}
sql_works() {
  printf '.read %s\n.headers on\n.mode csv\nSELECT * FROM works;\n' "$SQL/works.sql" |
    sqlite3 raw.db > "$1" || fail "sqlite3: works.sql"
}

# --- 1. per-work aggregates and histograms
soko_works soko_works.csv
sql_works sql_works.csv
[ "$(wc -l < soko_works.csv)" -gt 100 ] || fail "too few works: $(wc -l < soko_works.csv)"
"$AGREE" works soko_works.csv sql_works.csv || fail "soko's works differ from the SQL GROUP BY"
hist=$(sqlite3 raw.db "ATTACH 's.db' AS s;
  WITH soko AS (SELECT d.year, d.school_id, d.grade, d.subject, CAST(j.key AS INTEGER) AS score,
                       j.value AS n FROM s.vpr_dist AS d, json_each(d.scores) AS j WHERE j.value > 0),
       raw AS (SELECT year, school_id, grade, subject, primary_score AS score, count(*) AS n
               FROM vpr_students GROUP BY 1, 2, 3, 4, 5)
  SELECT (SELECT count(*) FROM (SELECT * FROM soko EXCEPT SELECT * FROM raw))
       + (SELECT count(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM soko)),
         (SELECT count(*) FROM raw)") || fail "comparing the histograms"
[ "${hist%%|*}" = 0 ] && [ "${hist#*|}" -gt 1000 ] ||
  fail "vpr_dist and the counts of primary scores differ in ${hist%%|*} of ${hist#*|} cells"

# --- 2. the 6 ВПР shares
awk -f "$SQL/shares_ini.awk" "$TOP/defs/indicators/vpr.ini" > shares.ini
[ "$(grep -c '^\[' shares.ini)" = 6 ] && [ "$(grep -c '^kind = share' shares.ini)" = 6 ] ||
  fail "defs/indicators/vpr.ini: expected the 6 share sections shares_ini.awk names"
run 0 --db s.db indicators --indicators shares.ini --format csv
mv out soko_shares.csv
printf '.read %s\n.headers on\n.mode csv\nSELECT * FROM shares;\n' "$SQL/shares.sql" |
  sqlite3 raw.db > sql_shares.csv || fail "sqlite3: shares.sql"
for level in district cluster school; do
  grep -q "^vpr_raised,$level," soko_shares.csv || fail "no $level rows of vpr_raised"
done
"$AGREE" shares soko_shares.csv sql_shares.csv || fail "soko's shares differ from the SQL"

# --- 3. a work with a missing journal mark: counts, but no comparison
cat > extra.csv <<'EOF'
year,school_id,grade,subject,student,class,primary_score,mark,journal_mark
2026,1,5,Музыка,X-1,А,3,2,3
2026,1,5,Музыка,X-2,А,5,2,2
2026,1,5,Музыка,X-3,Б,8,3,3
2026,1,5,Музыка,X-4,Б,10,3,
2026,1,5,Музыка,X-5,Б,12,4,5
2026,1,5,Музыка,X-6,А,15,5,5
2026,1,6,Музыка,Y-1,А,4,2,2
2026,1,6,Музыка,Y-2,А,9,3,4
2026,1,6,Музыка,Y-3,А,14,5,4
EOF
run 0 --db s.db --quiet import vpr_students extra.csv
sqlite3 raw.db ".import --csv --skip 1 extra.csv vpr_students" \
  "UPDATE vpr_students SET journal_mark = NULL WHERE journal_mark = ''" || fail "sqlite3 .import extra.csv"
soko_works soko_works2.csv
sql_works sql_works2.csv
"$AGREE" works soko_works2.csv sql_works2.csv || fail "with a missing journal mark, the works differ"
grep -Eq '^2026,1,5,"?Музыка"?,6,2,2,1,1,8\.8333[0-9]*,,,$' soko_works2.csv ||
  fail "the work with a missing journal mark: $(grep Музыка soko_works2.csv)"
# the new works are in soko's vpr table now: in the raw one too, from the SQL GROUP BY
sqlite3 raw.db ".read $SQL/works.sql" "INSERT INTO vpr SELECT year, school_id, grade, subject,
  participants, m2, m3, m4, m5, mean_score, NULL, lowered, confirmed, raised FROM works
  WHERE subject = 'Музыка'" || fail "sqlite3: adding the new works"
run 0 --db s.db indicators --indicators shares.ini --format csv
mv out soko_shares2.csv
printf '.read %s\n.headers on\n.mode csv\nSELECT * FROM shares;\n' "$SQL/shares.sql" |
  sqlite3 raw.db > sql_shares2.csv || fail "sqlite3: shares.sql"
[ "$(grep -c ',Музыка,6,.*,1$' soko_shares2.csv)" = 18 ] ||
  fail "expected the 3-student work suppressed in 6 shares at 3 levels: $(grep Музыка soko_shares2.csv)"
! grep -q '^vpr_lowered,.*,Музыка,5,' soko_shares2.csv ||
  fail "a work without the comparison has a vpr_lowered row: $(grep Музыка soko_shares2.csv)"
"$AGREE" shares soko_shares2.csv sql_shares2.csv || fail "with the new works, the shares differ"

# --- 4. DuckDB, when installed
if [ -d "$TOP/bench/node/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; then
  duck() { node "$TOP/bench/node/duck.mjs" "$@" 2>duck.err || { cat duck.err; fail "duckdb: $*"; }; }
  duck duck.db "$SQL/duck_s1.sql" students="$PWD/data/vpr_students.csv"
  duck duck.db "$SQL/duck_works_out.sql" out="$PWD/duck_works.csv"
  "$AGREE" works soko_works.csv duck_works.csv || fail "DuckDB's works differ from soko's"
  duck :memory: "$SQL/duck_csv.sql" "$SQL/shares.sql" "$SQL/duck_s3.sql" dir="$PWD/data" \
    out="$PWD/duck_shares.csv"
  "$AGREE" shares soko_shares.csv duck_shares.csv || fail "DuckDB's shares differ from soko's"
  echo "DuckDB agrees"
else
  echo "DuckDB not installed (scripts/deps bench): its check is skipped"
fi

# --- 5. bench/keyed: soko's tables, with their constraints, for DuckDB
for f in schools clusters context vpr vpr_students oge ege rdr olympiad admissions; do
  run 0 --db k.db --quiet import "$f" "data/$f.csv"
done
"$TOP/bench/keyed" k.db > keyed.sql || fail "bench/keyed"
grep -v '^--' keyed.sql > keyed.code
grep -q 'import_id\|from_students\|DEFERRABLE\|CREATE INDEX' keyed.code &&
  fail "bench/keyed left soko's bookkeeping in: $(grep -m1 'import_id\|from_students\|DEFERRABLE\|CREATE INDEX' keyed.code)"
grep -q '^  UNIQUE (year, school_id, grade, subject)$' keyed.sql || fail "keyed.sql: no key for vpr"
[ "$(grep -c "^INSERT INTO [a-z]* BY NAME SELECT \* FROM read_csv" keyed.sql)" = 9 ] ||
  fail "keyed.sql: expected an INSERT from read_csv for each of the 9 forms"
grep -q '^INSERT INTO works BY NAME$' keyed.sql || fail "keyed.sql: the per-student works are not inserted into the keyed table"
# the forms' tables (works has a DuckDB type) in the sqlite3 shell: the constraints hold
awk '/^CREATE TABLE works/ { skip = 1 } /^CREATE TABLE/ && !skip { on = 1 } on { print } /^\);$/ { on = 0; skip = 0 }' \
  keyed.sql > ddl.sql
[ "$(grep -c '^CREATE TABLE' ddl.sql)" = 9 ] || fail "ddl.sql: expected the 9 forms' tables"
sqlite3 ddl.db < ddl.sql || fail "the tables of bench/keyed do not load in sqlite3"
sqlite3 ddl.db "INSERT INTO schools (school_id, name) VALUES ('1', 'a');
  INSERT INTO context (year, school_id, factor, value) VALUES (2024, '1', 'students', 5)" ||
  fail "a good row was refused by the keyed tables"
sqlite3 ddl.db "INSERT INTO context (year, school_id, factor, value) VALUES (2024, '1', 'students', 6)" 2>/dev/null &&
  fail "the keyed context table took a repeated key"
sqlite3 ddl.db "INSERT INTO context (year, school_id, factor, value) VALUES (1900, '1', 'staff', 6)" 2>/dev/null &&
  fail "the keyed context table took the year 1900"
# the rows soko's store holds, as bench/run compares them with DuckDB's
"$TOP/bench/keyed" --counts k.db > soko_counts.csv || fail "bench/keyed --counts"
[ "$(wc -l < soko_counts.csv)" = 10 ] || fail "bench/keyed --counts: $(cat soko_counts.csv)"
grep -q "^works,$(q k.db "SELECT count(*) FROM vpr_dist")\$" soko_counts.csv ||
  fail "bench/keyed --counts: the works are not the store's: $(cat soko_counts.csv)"
if [ -d "$TOP/bench/node/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; then
  duck keyed.duckdb keyed.sql dir="$PWD/data" students="$PWD/data/vpr_students.csv" counts="$PWD/duck_counts.csv"
  cmp -s soko_counts.csv duck_counts.csv || { diff soko_counts.csv duck_counts.csv; fail "the keyed DuckDB tables hold other rows than soko's store"; }
  # a repeated row of oge: soko refuses the file, and so does the keyed script
  mkdir dup; cp data/*.csv dup/; sed -n 2p data/oge.csv >> dup/oge.csv
  run 1 --db dup.db --quiet import oge dup/oge.csv
  node "$TOP/bench/node/duck.mjs" dup.duckdb keyed.sql dir="$PWD/dup" students="$PWD/dup/vpr_students.csv" \
    counts="$PWD/dup_counts.csv" 2> duck.err && fail "the keyed DuckDB script took a repeated oge key"
  grep -qi 'constraint\|duplicate' duck.err || { cat duck.err; fail "the keyed DuckDB script failed, but not on the key"; }
  echo "DuckDB's keyed tables hold soko's rows"
fi
