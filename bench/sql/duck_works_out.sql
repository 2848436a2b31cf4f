-- bench/sql/duck_works_out.sql — DuckDB: table `works` (duck_s1.sql) without the
-- histogram to the CSV file {{out}}, for the agreement check (bench/agree).
COPY (SELECT year, school_id, grade, subject, participants, m2, m3, m4, m5, mean_score,
             lowered, confirmed, raised FROM works) TO '{{out}}' (HEADER, DELIMITER ',');
