-- bench/sql/duck_csv.sql — DuckDB: forms vpr and clusters as views over the CSV files
-- of {{dir}}, for shares.sql "from the CSVs" (every query reads the files again).
CREATE TEMP VIEW vpr AS SELECT * FROM read_csv('{{dir}}/vpr.csv', header = true, columns = {
  'year': 'INTEGER', 'school_id': 'VARCHAR', 'grade': 'INTEGER', 'subject': 'VARCHAR',
  'participants': 'INTEGER', 'm2': 'INTEGER', 'm3': 'INTEGER', 'm4': 'INTEGER', 'm5': 'INTEGER',
  'mean_score': 'DOUBLE', 'max_score': 'INTEGER',
  'lowered': 'INTEGER', 'confirmed': 'INTEGER', 'raised': 'INTEGER'});
CREATE TEMP VIEW clusters AS SELECT * FROM read_csv('{{dir}}/clusters.csv', header = true, columns = {
  'cluster_id': 'VARCHAR', 'school_id': 'VARCHAR', 'cluster_name': 'VARCHAR', 'role': 'VARCHAR'});
