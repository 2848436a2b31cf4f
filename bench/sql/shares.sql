-- bench/sql/shares.sql — the 6 ВПР share indicators of defs/indicators/vpr.ini (vpr_fail,
-- vpr_pass, vpr_quality, vpr_lowered, vpr_confirmed, vpr_raised) per school, cluster
-- and district, per year, subject and grade, as `soko indicators --format csv` prints
-- them (docs/indicators.md): pooled Σnumerator/Σdenominator over all rows of a unit's
-- schools, Wilson 95 % interval (z = qnorm(0.975)), n < 5 suppressed.
--
-- Written by hand, independently of soko's engine, in SQL that SQLite (3.30+) and
-- DuckDB both run: it reads tables (or views) `vpr` and `clusters` with the columns of
-- forms vpr and clusters, and defines the temporary view `shares` with soko's columns.
-- Users: tests/e2e/t_bench_agree.sh (sqlite3 on the raw CSVs), bench/run (sqlite3 on
-- soko's store; DuckDB on the CSVs and on loaded tables).
CREATE TEMP VIEW shares AS
WITH
members AS (SELECT DISTINCT cluster_id, school_id FROM clusters),
school_clusters AS (
  SELECT school_id, group_concat(cluster_id, ';') AS clusters FROM members GROUP BY school_id),
-- one pass over the rows: the numerators and the two denominators of the six shares
per_school AS (
  SELECT year, school_id, subject, grade,
         sum(m2) AS k_fail, sum(m3 + m4 + m5) AS k_pass, sum(m4 + m5) AS k_quality,
         sum(participants) AS n_all,
         sum(lowered) FILTER (WHERE lowered IS NOT NULL AND confirmed IS NOT NULL AND raised IS NOT NULL) AS k_lowered,
         sum(confirmed) FILTER (WHERE lowered IS NOT NULL AND confirmed IS NOT NULL AND raised IS NOT NULL) AS k_confirmed,
         sum(raised) FILTER (WHERE lowered IS NOT NULL AND confirmed IS NOT NULL AND raised IS NOT NULL) AS k_raised,
         sum(lowered + confirmed + raised) FILTER (WHERE lowered IS NOT NULL AND confirmed IS NOT NULL AND raised IS NOT NULL) AS n_journal
  FROM vpr GROUP BY year, school_id, subject, grade),
units AS (
  SELECT 'school' AS level, school_id AS unit, year, subject, grade, k_fail, k_pass,
         k_quality, n_all, k_lowered, k_confirmed, k_raised, n_journal
  FROM per_school
  UNION ALL
  SELECT 'cluster', m.cluster_id, p.year, p.subject, p.grade, sum(p.k_fail), sum(p.k_pass),
         sum(p.k_quality), sum(p.n_all), sum(p.k_lowered), sum(p.k_confirmed), sum(p.k_raised),
         sum(p.n_journal)
  FROM per_school AS p JOIN members AS m ON m.school_id = p.school_id
  GROUP BY m.cluster_id, p.year, p.subject, p.grade
  UNION ALL
  SELECT 'district', '', year, subject, grade, sum(k_fail), sum(k_pass), sum(k_quality),
         sum(n_all), sum(k_lowered), sum(k_confirmed), sum(k_raised), sum(n_journal)
  FROM per_school GROUP BY year, subject, grade),
-- one row per indicator; the journal ones only where some row had the comparison
long AS (
  SELECT 'vpr_fail' AS indicator, level, unit, year, subject, grade, k_fail AS k, n_all AS n FROM units
  UNION ALL SELECT 'vpr_pass', level, unit, year, subject, grade, k_pass, n_all FROM units
  UNION ALL SELECT 'vpr_quality', level, unit, year, subject, grade, k_quality, n_all FROM units
  UNION ALL SELECT 'vpr_lowered', level, unit, year, subject, grade, k_lowered, n_journal FROM units WHERE n_journal IS NOT NULL
  UNION ALL SELECT 'vpr_confirmed', level, unit, year, subject, grade, k_confirmed, n_journal FROM units WHERE n_journal IS NOT NULL
  UNION ALL SELECT 'vpr_raised', level, unit, year, subject, grade, k_raised, n_journal FROM units WHERE n_journal IS NOT NULL),
-- Wilson, z = 1.959963984540054, z² = 3.841458820694124: centre p + z²/2n, half-width
-- z·sqrt(p(1-p)/n + z²/4n²), both over 1 + z²/n; pinned to 0 at k = 0 and 100 at k = n
wilson AS (
  SELECT l.*, CAST(k AS DOUBLE) / n AS p, 3.841458820694124 / (2 * CAST(n AS DOUBLE)) AS z2n
  FROM long AS l WHERE n >= 5)
SELECT indicator, level, year,
       CASE WHEN level = 'school' THEN unit ELSE '' END AS school_id,
       CASE WHEN level = 'cluster' THEN unit WHEN level = 'school' THEN coalesce(sc.clusters, '') ELSE '' END AS cluster_id,
       subject, grade, '' AS stage,
       100.0 * p AS value, k AS numerator, n AS denominator, n,
       CASE WHEN k = 0 THEN 0.0
            ELSE 100.0 * (p + z2n - 1.959963984540054 * sqrt(p * (1 - p) / n + z2n / (2.0 * n))) / (1 + 2 * z2n) END AS ci_low,
       CASE WHEN k = n THEN 100.0
            ELSE 100.0 * (p + z2n + 1.959963984540054 * sqrt(p * (1 - p) / n + z2n / (2.0 * n))) / (1 + 2 * z2n) END AS ci_high,
       0 AS suppressed
FROM wilson AS w LEFT JOIN school_clusters AS sc ON w.level = 'school' AND sc.school_id = w.unit
UNION ALL
SELECT indicator, level, year,
       CASE WHEN level = 'school' THEN unit ELSE '' END,
       CASE WHEN level = 'cluster' THEN unit WHEN level = 'school' THEN coalesce(sc.clusters, '') ELSE '' END,
       subject, grade, '', NULL, NULL, NULL, NULL, NULL, NULL, 1
FROM long AS l LEFT JOIN school_clusters AS sc ON l.level = 'school' AND sc.school_id = l.unit
WHERE n IS NULL OR n < 5;
