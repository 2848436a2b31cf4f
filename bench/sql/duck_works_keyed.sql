-- bench/sql/duck_works_keyed.sql — DuckDB: table works of bench/keyed, the per-work
-- aggregates of the per-student file (bench/sql/duck_s1.sql fills it), declared with
-- the key and the checks soko's store gives the same rows (table vpr, from_students
-- = 1): the work's key unique, the school in the registry, the marks adding up to the
-- participants, the journal comparison adding up when present.
CREATE TABLE works (
  year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  school_id VARCHAR NOT NULL REFERENCES schools(school_id),
  grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 11),
  subject VARCHAR NOT NULL,
  participants INTEGER NOT NULL CHECK (participants >= 0),
  m2 INTEGER NOT NULL CHECK (m2 >= 0),
  m3 INTEGER NOT NULL CHECK (m3 >= 0),
  m4 INTEGER NOT NULL CHECK (m4 >= 0),
  m5 INTEGER NOT NULL CHECK (m5 >= 0),
  mean_score DOUBLE CHECK (mean_score BETWEEN 0 AND 1000),
  lowered INTEGER CHECK (lowered >= 0),
  confirmed INTEGER CHECK (confirmed >= 0),
  raised INTEGER CHECK (raised >= 0),
  scores MAP(INTEGER, UBIGINT),
  CHECK (m2 + m3 + m4 + m5 = participants),
  CHECK ((lowered IS NULL AND confirmed IS NULL AND raised IS NULL) OR (lowered + confirmed + raised = participants)),
  UNIQUE (year, school_id, grade, subject)
);
