/*
 * forms.h — the unified forms (единые формы), described once as data.
 *
 * Contract: a read-only table of every form soko knows: its columns (name, Russian
 * aliases, type, range, required, part of the natural key), its cross-column checks,
 * and how it is stored. load (header mapping, row checks), store (schema, upserts,
 * undo), the `template` and `forms` commands and the docs all read this table;
 * nothing else knows a form's columns. Add a form by adding one entry in forms.c.
 * Everything here is static and borrowed; nothing to free.
 */
#ifndef SOKO_FORMS_H
#define SOKO_FORMS_H

#include <stddef.h>

enum col_type {
    COL_TEXT,   /* trimmed UTF-8, non-empty when required */
    COL_INT,    /* integer within [min, max] */
    COL_REAL,   /* decimal, '.' or ',' as separator, within [min, max] */
    COL_YEAR,   /* 2023, or an academic year 2022/2023 or 2022-2023 meaning 2023 */
    COL_ENUM    /* one of `values`, each "canonical|alias|alias" */
};

enum {
    COL_REQUIRED = 1 << 0,  /* must be present in the header and non-empty */
    COL_KEY = 1 << 1,       /* part of the natural key */
    COL_SCHOOL = 1 << 2,    /* must name a school in the registry */
    COL_GROUP = 1 << 3      /* part of the group key: rows replaced as a group */
};

struct enum_val {
    const char *value;       /* canonical value, stored */
    const char *aliases;     /* '|'-separated alternatives accepted on import */
};

struct form_col {
    const char *name;        /* canonical English name, also the SQL column name */
    const char *aliases;     /* '|'-separated header aliases (Russian), may be NULL */
    enum col_type type;
    int flags;
    double min, max;         /* range for INT, REAL, YEAR */
    const struct enum_val *values; /* ENUM: list ending with {NULL, NULL} */
    const char *deflt;       /* stored when the column is absent or empty, or NULL */
    const char *doc;         /* one line of English documentation */
};

enum check_kind {
    CHECK_SUM_EQ,   /* cols[0..n-2] sum to cols[n-1]; all given, or (if optional) all empty */
    CHECK_SUM_LE,   /* cols[0..n-2] sum to at most cols[n-1] */
    CHECK_LE        /* cols[0] <= cols[1] <= ... (each pair where both are given) */
};

struct form_check {
    enum check_kind kind;
    const char *cols[6];     /* NULL-terminated */
    const char *doc;
};

enum form_kind {
    FORM_ROWS,      /* one stored row per file row */
    FORM_STUDENTS,  /* per-student rows aggregated into per-work figures */
    FORM_INTERNAL   /* stored by soko itself (aggregates), not importable */
};

struct form {
    const char *name;        /* also the table name */
    const char *title_ru;
    const char *doc;         /* one line, English */
    enum form_kind kind;
    const struct form_col *cols;
    size_t ncols;
    const struct form_check *checks;
    size_t nchecks;
    const char *example;     /* a small valid CSV file of the form, for docs and tests */
};

extern const struct form *const soko_forms[];  /* NULL-terminated, in import order */

const struct form *form_find(const char *name);   /* NULL when unknown */
/* FORM_STUDENTS: the forms its per-school aggregates are written to, NULL-terminated
 * (vpr_students: vpr, vpr_dist; ege_students: ege); NULL for other forms. Its own
 * rows are stored only where the loader says (vpr_students with keep_students). */
const char *const *form_into(const struct form *f);
/* Index of the column whose name or alias matches `header` (case-insensitive,
 * «»/"" quotes and surrounding spaces ignored), or -1. */
int form_col_match(const struct form *f, const char *header);
int form_col_index(const struct form *f, const char *name);  /* exact canonical name */
/* Canonical value of an ENUM column for `text` (case-insensitive), or NULL. */
const char *form_enum_value(const struct form_col *c, const char *text);
/* The first alias of a column (its Russian header), or its name when none. */
const char *form_col_ru(const struct form_col *c, char *buf, size_t bufsz);

#endif
