-- bench/sql/duck_s3.sql — DuckDB, after shares.sql: the rows of view `shares` to the
-- CSV file {{out}}, in soko's order (indicator in file order; district, clusters,
-- schools; unit, breakdown, year).
COPY (
  SELECT * FROM shares
  ORDER BY CASE indicator WHEN 'vpr_fail' THEN 1 WHEN 'vpr_pass' THEN 2 WHEN 'vpr_quality' THEN 3
             WHEN 'vpr_lowered' THEN 4 WHEN 'vpr_confirmed' THEN 5 ELSE 6 END,
           CASE level WHEN 'district' THEN 1 WHEN 'cluster' THEN 2 ELSE 3 END,
           school_id, cluster_id, subject, grade, year
) TO '{{out}}' (HEADER, DELIMITER ',');
