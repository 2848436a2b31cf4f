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
    COL_GROUP = 1 << 3,     /* part of the group key: rows replaced as a group */
    COL_CONFUSABLE = 1 << 4,/* a name-like key (school code, subject): one alphabet per
                               word, and no two spellings that look the same (А01, A01) */
    COL_PSEUDONYM = 1 << 5, /* a pupil's pseudonymous code: refused when it looks like a
                               person's name, and never quoted in a message */
    COL_TASK = 1 << 6       /* a task label of a ВПР work: read into one normal form by
                               form_task_label («9(1)», «9.1», «9_1» → «9.1»; «2к1», «2К1» → «2K1») */
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

/* The kinds of cross-column checks; each is described once, for the docs, by
 * form_check_kind_doc(). `found` formats (below) take the values named here. */
enum check_kind {
    CHECK_SUM_EQ,   /* cols[0..n-2] sum to cols[n-1]; all given, or (if optional) all empty.
                       found: (sum, total) */
    CHECK_SUM_LE,   /* the given ones of cols[0..n-2] sum to at most cols[n-1].
                       found: (sum, total) */
    CHECK_LE,       /* cols[0] <= cols[1] <= ... (each pair where both are given) */
    CHECK_MEAN_SCORES, /* cols = {mean, participants, high, top}: a mean of whole-number
                       scores with `high` participants scoring p[0] or more and `top` of
                       them (optional) scoring p[1], the most there is: the mean lies in
                       [(p1·top + p0·(high − top)) / n,
                        (p1·top + (p1 − 1)·(high − top) + (p0 − 1)·(n − high)) / n],
                       widened by half a unit of the mean's last decimal given */
    CHECK_KEYED_RANGE  /* cols = {name, value}: the value's range depends on the name
                       (`ranges`, the first matching entry; a name matching none is free) */
};

/* A range of values for names matching `pattern`: the exact name, or a prefix when
 * the pattern ends with '*' ("share_*"). */
struct value_range {
    const char *pattern;
    double min, max;
    int whole;               /* a whole number */
    const char *what;        /* N_(): the range in words, "a percentage from 0 to 100" */
};

struct form_check {
    enum check_kind kind;
    const char *cols[6];     /* NULL-terminated */
    const char *doc;         /* English, with the columns' names: for the docs */
    const char *found;       /* N_(): what a failing row shows, in the reader's words, as a
                                printf format of the kind's values (see check_kind), or NULL
                                for the kind's own sentence */
    double p[2];             /* CHECK_MEAN_SCORES: the lowest high score, the top score */
    const struct value_range *ranges;   /* CHECK_KEYED_RANGE: ends with {NULL} */
};

/* One line of English documentation of a check kind, and its name. */
const char *form_check_kind_doc(enum check_kind k);
const char *form_check_kind_name(enum check_kind k);

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
    /* A form whose rows are context factors besides `context` (a defined form's
       `factors = NAMECOL, VALUECOL`): the column naming the factor and the one holding
       its value; NULL for every other form. Context models and `clusters propose` name
       such a factor FORM:CODE (form_of_factor). */
    const char *factor_col, *factor_value;
};

extern const struct form *const soko_forms[];  /* NULL-terminated, in import order */

/* Every form: the built-in ones (soko_forms), then those defined by INI files
 * (formdef.h) in the order they were defined. NULL-terminated; valid until the next
 * forms_define or forms_undefine_all. Whatever lists or looks up forms uses this. */
const struct form *const *forms_all(void);
/* Adds a defined form (borrowed: formdef.c owns it) after the others. */
void forms_define(const struct form *f);
/* Forgets every defined form: forms_all() is soko_forms again. */
void forms_undefine_all(void);

const struct form *form_find(const char *name);   /* NULL when unknown; sees defined forms */
/* A context factor of a form other than `context` is written FORM:CODE
 * (survey_500:risk_staff_shortage). For such a name whose FORM has factor columns, returns
 * the form and points *code at CODE (inside factor); else NULL (*code untouched). Whether
 * CODE is one of the form's factors is form_factor_known's question. */
const struct form *form_of_factor(const char *factor, const char **code);
/* 1 when code names a factor of f: a value of its enum factor column (by its stored
 * name), or any identifier when that column is text. */
int form_factor_known(const struct form *f, const char *code);
/* The reader's wording of a FORM:CODE factor: the first spelling of CODE in the form's
 * enum ("дефицит педагогических кадров"), newly allocated; NULL for any other name. */
char *form_factor_label(const char *factor);
/* What the store checks of a form beyond its rows (against other forms), a paragraph of
 * English for the docs, or NULL. */
const char *form_notes(const struct form *f);
/* FORM_STUDENTS: the forms its per-school aggregates are written to, NULL-terminated
 * (vpr_students: vpr, vpr_dist, vpr_tasks; ege_students: ege); NULL for other forms. Its own
 * rows are stored only where the loader says (vpr_students with keep_students). */
const char *const *form_into(const struct form *f);
/* The other form an import of f may also write, or NULL: a layout's [reference] rows
 * (vpr → vpr_reference, vpr_tasks → vpr_reference_tasks), or the stored rows a form
 * updates (vpr_journal → vpr). Those rows belong to the import, and are undone with
 * it. */
const struct form *form_also(const struct form *f);
/* 1 for a form soko writes itself (FORM_INTERNAL) that a layout may also write from a
 * report of its own: vpr_dist (the histograms of «Распределение первичных баллов»). */
int form_layout_only(const struct form *f);
/* Index of the column whose name or alias matches `header` by form_header_key, or -1. */
int form_col_match(const struct form *f, const char *header);

/* The key two headers are compared by: Unicode-normalised (text_normalize), lower
 * case with ё as е, Latin letters that look like Cyrillic ones taken as Cyrillic,
 * «Кол-во», «кол.», «колво» and «число» read as «количество», «ср.», «макс.», «мин.» as
 * «средний», «максимальный», «минимальный», «%» as «процент», a trailing «чел.» (a
 * unit) dropped, then only letters and digits kept: «Кол-во
 * участников, чел.», «Количество  участников» and «количество_участников» are one
 * key. Writes it to out (reset first). */
struct sbuf;
void form_header_key(const char *header, struct sbuf *out);

/* The columns a header that matched none was probably meant to be: the names and
 * aliases nearest by edit distance of their keys (at most about a quarter of the
 * letters wrong), or those the header begins (or that begin the header, four letters
 * at least). Columns with skip[j] set (already in the file) are not offered. Fills up
 * to max guesses, nearest first, ties in column order; returns how many. */
struct form_guess {
    int col;                 /* column index */
    char text[96];           /* the name or alias as the table spells it */
};
size_t form_col_suggest(const struct form *f, const char *header, const unsigned char *skip,
                        struct form_guess *out, size_t max);
int form_col_index(const struct form *f, const char *name);  /* exact canonical name */
/* Canonical value of an ENUM column for `text` (case-insensitive), or NULL. */
const char *form_enum_value(const struct form_col *c, const char *text);
/* A task label in its normal form, rewritten in place: spaces dropped, a sub-item in
 * brackets or after '_', ',' or '.' written after a dot («9(1)», «9 (1)», «9_1», «9,1»
 * → «9.1»), letters upper case, a Cyrillic letter with a Latin look-alike written as
 * that Latin letter («2к1», «2К1», «2k1» → «2K1»): one spelling on either keyboard, and
 * the text never grows.
 * Returns 0, or -1 (with what was expected in why, translated) when the label is not
 * a task number: it must begin with a digit and hold only digits, dots between them
 * and letters, at most 16 bytes. */
int form_task_label(char *text, char *why, size_t whysz);

/* The first alias of a column (its Russian header), or its name when none. */
const char *form_col_ru(const struct form_col *c, char *buf, size_t bufsz);

#endif
