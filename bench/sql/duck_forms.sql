-- bench/sql/duck_forms.sql — DuckDB: every form of the data set {{dir}} but the
-- per-student one (duck_s1.sql aggregates that) into a table of the database file:
-- vpr and clusters with the types of forms.md (shares.sql reads them), the others as
-- read_csv detects them.
CREATE OR REPLACE TABLE vpr AS SELECT * FROM read_csv('{{dir}}/vpr.csv', header = true, columns = {
  'year': 'INTEGER', 'school_id': 'VARCHAR', 'grade': 'INTEGER', 'subject': 'VARCHAR',
  'participants': 'INTEGER', 'm2': 'INTEGER', 'm3': 'INTEGER', 'm4': 'INTEGER', 'm5': 'INTEGER',
  'mean_score': 'DOUBLE', 'max_score': 'INTEGER',
  'lowered': 'INTEGER', 'confirmed': 'INTEGER', 'raised': 'INTEGER'});
CREATE OR REPLACE TABLE clusters AS SELECT * FROM read_csv('{{dir}}/clusters.csv', header = true, columns = {
  'cluster_id': 'VARCHAR', 'school_id': 'VARCHAR', 'cluster_name': 'VARCHAR', 'role': 'VARCHAR'});
CREATE OR REPLACE TABLE schools AS SELECT * FROM read_csv('{{dir}}/schools.csv', header = true);
CREATE OR REPLACE TABLE context AS SELECT * FROM read_csv('{{dir}}/context.csv', header = true);
CREATE OR REPLACE TABLE oge AS SELECT * FROM read_csv('{{dir}}/oge.csv', header = true);
CREATE OR REPLACE TABLE ege AS SELECT * FROM read_csv('{{dir}}/ege.csv', header = true);
CREATE OR REPLACE TABLE rdr AS SELECT * FROM read_csv('{{dir}}/rdr.csv', header = true);
CREATE OR REPLACE TABLE olympiad AS SELECT * FROM read_csv('{{dir}}/olympiad.csv', header = true);
CREATE OR REPLACE TABLE admissions AS SELECT * FROM read_csv('{{dir}}/admissions.csv', header = true);
