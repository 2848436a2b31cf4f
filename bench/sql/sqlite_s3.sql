-- bench/sql/sqlite_s3.sql — the sqlite3 shell, on soko's store: shares.sql ({{shares}})
-- to the CSV file {{out}}, in soko's order (as duck_s3.sql). bench/run fills in the
-- names and runs it with `sqlite3 STORE < this`.
.read {{shares}}
.headers on
.mode csv
.output {{out}}
SELECT * FROM shares
ORDER BY CASE indicator WHEN 'vpr_fail' THEN 1 WHEN 'vpr_pass' THEN 2 WHEN 'vpr_quality' THEN 3
           WHEN 'vpr_lowered' THEN 4 WHEN 'vpr_confirmed' THEN 5 ELSE 6 END,
         CASE level WHEN 'district' THEN 1 WHEN 'cluster' THEN 2 ELSE 3 END,
         school_id, cluster_id, subject, grade, year;
