-- bench/sql/duck_s1.sql — DuckDB: what `soko import vpr_students` stores, from the
-- per-student file {{students}}: per work (year, school, grade, subject) the
-- participants, the marks, the mean primary score, the comparison with journal marks
-- (only when every student has a journal mark, as soko does) and the histogram of
-- primary scores, into table `works` of the database file.
CREATE OR REPLACE TABLE works AS
SELECT year, school_id, grade, subject,
       count(*) AS participants,
       count(*) FILTER (WHERE mark = 2) AS m2,
       count(*) FILTER (WHERE mark = 3) AS m3,
       count(*) FILTER (WHERE mark = 4) AS m4,
       count(*) FILTER (WHERE mark = 5) AS m5,
       avg(primary_score) AS mean_score,
       CASE WHEN count(journal_mark) = count(*) THEN count(*) FILTER (WHERE mark < journal_mark) END AS lowered,
       CASE WHEN count(journal_mark) = count(*) THEN count(*) FILTER (WHERE mark = journal_mark) END AS confirmed,
       CASE WHEN count(journal_mark) = count(*) THEN count(*) FILTER (WHERE mark > journal_mark) END AS raised,
       histogram(primary_score) AS scores
FROM read_csv('{{students}}', header = true, columns = {
  'year': 'INTEGER', 'school_id': 'VARCHAR', 'grade': 'INTEGER', 'subject': 'VARCHAR',
  'student': 'VARCHAR', 'class': 'VARCHAR', 'primary_score': 'INTEGER', 'mark': 'INTEGER',
  'journal_mark': 'INTEGER'})
GROUP BY year, school_id, grade, subject;
