-- bench/sql/works.sql — what `soko import vpr_students` stores in table vpr, computed
-- by hand in SQL (SQLite) from table `vpr_students` (the raw per-student rows, columns
-- of form vpr_students, a missing journal mark NULL): per work the participants, the
-- marks, the mean primary score and, only when every student of the work has a journal
-- mark, how many the ВПР mark lowered, confirmed or raised. The temporary view `works`;
-- tests/e2e/t_bench_agree.sh compares it with the store (bench/agree works).
CREATE TEMP VIEW works AS
SELECT year, school_id, grade, subject,
       count(*) AS participants,
       count(*) FILTER (WHERE mark = 2) AS m2,
       count(*) FILTER (WHERE mark = 3) AS m3,
       count(*) FILTER (WHERE mark = 4) AS m4,
       count(*) FILTER (WHERE mark = 5) AS m5,
       avg(primary_score) AS mean_score,
       CASE WHEN count(journal_mark) = count(*) THEN count(*) FILTER (WHERE mark < journal_mark) END AS lowered,
       CASE WHEN count(journal_mark) = count(*) THEN count(*) FILTER (WHERE mark = journal_mark) END AS confirmed,
       CASE WHEN count(journal_mark) = count(*) THEN count(*) FILTER (WHERE mark > journal_mark) END AS raised
FROM vpr_students
GROUP BY year, school_id, grade, subject;
