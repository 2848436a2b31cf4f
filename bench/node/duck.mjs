// bench/node/duck.mjs — runs one SQL script in DuckDB, for bench/run and the
// agreement check (tests/e2e/t_bench_agree.sh).
//
//   node bench/node/duck.mjs DB SCRIPT.sql... [NAME=VALUE]...
//
// DB is a DuckDB file (created when missing) or :memory:. The scripts run in order, as
// one. Every {{NAME}} in them is replaced by VALUE (file names; a value is pasted as it is, so quote it in the SQL).
// The script runs with SET threads = 2 (the machine has two cores; bench/README.md).
// Output goes where the script COPYs it; on success nothing is printed but, on stderr,
// "duckdb VERSION: S s in SQL" (the time inside DuckDB, without starting node).
// Exit status: 0 ok, 1 the SQL failed, 2 usage.
import { readFileSync } from 'node:fs';
import duckdb, { DuckDBInstance } from '@duckdb/node-api';

const [db, ...rest] = process.argv.slice(2);
const isVar = (a) => /^[A-Za-z_]+=/.test(a);
const scripts = rest.filter((a) => !isVar(a));
const vars = rest.filter(isVar);
if (!db || scripts.length === 0) {
  console.error('usage: node duck.mjs DB SCRIPT.sql... [NAME=VALUE]...');
  process.exit(2);
}
const script = scripts.join(' ');
let sql = scripts.map((f) => readFileSync(f, 'utf8')).join('\n');
for (const v of vars) {
  const i = v.indexOf('=');
  sql = sql.split(`{{${v.slice(0, i)}}}`).join(v.slice(i + 1));
}
const left = sql.match(/\{\{[A-Za-z_]+\}\}/);
if (left) {
  console.error(`duck.mjs: ${script}: ${left[0]} has no value; expected NAME=VALUE for it`);
  process.exit(2);
}
try {
  const t0 = process.hrtime.bigint();
  const instance = await DuckDBInstance.create(db);
  const con = await instance.connect();
  await con.run('SET threads = 2');
  await con.run(sql);
  con.closeSync();
  instance.closeSync();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.error(`duckdb ${duckdb.version()}: ${secs.toFixed(3)} s in SQL`);
} catch (e) {
  console.error(`duck.mjs: ${script}: ${e.message}`);
  process.exit(1);
}
