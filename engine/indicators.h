/*
 * indicators.h — indicator definitions (INI, docs/indicators.md) compiled to SQL and
 * evaluated per school, cluster and district, per year and breakdown.
 *
 * Takes: a directory of `*.ini` files (or one file) and a read-only connection to
 *   the store. Each section defines one indicator: the form it reads, an optional
 *   row filter and its formula as SQL expressions over the form's columns.
 * Gives: struct ind_set, every definition checked and its queries compiled once with
 *   sqlite3_prepare under an authorizer that lets a formula read the form tables and
 *   call a short list of functions — no writes, ATTACH, PRAGMA, other tables or
 *   functions; ind_evaluate appends plain result rows (unit, year, breakdown,
 *   numerator, denominator, n, value, 95% interval, suppression) to ind_results.
 *   Pooling happens in SQL over all rows of the unit: a cluster's or the district's
 *   share is Σnumerator/Σdenominator, a mean is weighted — never a mean of shares.
 * Ownership: ind_set from ind_load, released by ind_set_free, which finalizes the
 *   statements; the connection stays the caller's and must outlive the set. Results
 *   and every string in them belong to the ind_results (ind_results_free); rows point
 *   at their indicator, which must outlive them.
 * Errors: SOKO_ECONFIG with "file:line: [id]: key: why" for a bad definition (all of
 *   them are reported, not only the first); SOKO_EDB naming the indicator when a
 *   query fails while evaluating. Never prints. No GSL here except the intervals,
 *   which come from stats.h.
 */
#ifndef SOKO_INDICATORS_H
#define SOKO_INDICATORS_H

#include "forms.h"
#include "soko.h"

#include <sqlite3.h>

enum ind_kind {
    IND_SHARE,   /* 100 · numerator / denominator, in %; Wilson interval */
    IND_MEAN,    /* Σ weight·value / Σ weight; t-interval when sumsq gives the spread */
    IND_COUNT,   /* a count; exact Poisson interval */
    IND_RATE     /* per · count / base (e.g. per 100 students); Poisson interval, scaled */
};

enum ind_level { IND_DISTRICT, IND_CLUSTER, IND_SCHOOL };
#define IND_NLEVELS 3

/* The formula slots of a definition; which ones a kind uses is in indicators.c. */
enum ind_expr {
    IND_E_FILTER,       /* row condition (optional) */
    IND_E_NUMERATOR,    /* share: aggregate */
    IND_E_DENOMINATOR,  /* share: aggregate */
    IND_E_VALUE,        /* mean: per-row value */
    IND_E_WEIGHT,       /* mean: per-row weight (participants) */
    IND_E_SUMSQ,        /* mean: per-row sum of squares of the individual values (optional) */
    IND_E_COUNT,        /* count, rate: aggregate */
    IND_E_BASE,         /* rate: aggregate (or base_factor) */
    IND_E_N,            /* optional aggregate: participants the figure rests on */
    IND_NEXPR
};

#define IND_MAX_DIMS 3     /* breakdowns: subject, grade, stage */
#define IND_MAX_BREAKS 16
#define IND_YEAR_MIN 2000
#define IND_YEAR_MAX 2100

struct indicator {
    char *id;                     /* section name: [a-z0-9_], unique in the set */
    char *title;                  /* Russian title */
    char *description;            /* optional longer text for the methodology appendix */
    char *unit;                   /* "%", "балл", "на 100 обучающихся", ... */
    const struct form *form;      /* the form (table) it reads */
    enum ind_kind kind;
    int lower_is_better;          /* better = lower */
    char *expr[IND_NEXPR];        /* SQL text as written, NULL when not given */
    long expr_line[IND_NEXPR];
    char *base_factor;            /* rate: base is this context factor, summed over schools */
    double per;                   /* rate: per how many of the base (default 100) */
    double alert, target;         /* optional default thresholds (NaN when not given):
                                     alert — at or beyond it in the worse direction a
                                     figure is a concern; target — at or beyond it in
                                     the better direction, good */
    long min_n;                   /* below this n a figure is suppressed (default 5) */
    int census;                   /* census = yes: the figure describes the whole school
                                     (a context factor), it is not estimated from a
                                     sample: trends and comparisons show it, never test
                                     it */
    int ndims;
    const char *dims[IND_MAX_DIMS];  /* column names (static, from forms.c) */
    int year_from, year_to;       /* valid years (inclusive) */
    int nbreaks;
    int breaks[IND_MAX_BREAKS];   /* ascending; a break at Y: Y starts a new series */
    char *file;                   /* where it is defined */
    long line;                    /* line of its [section] */
    /* compiled once at load, one per level (a base_factor is joined in stmt itself) */
    sqlite3_stmt *stmt[IND_NLEVELS];
    sqlite3_stmt *base_stmt[IND_NLEVELS];  /* reserved, always NULL */
};

struct ind_set {
    struct indicator *v;
    size_t n;
    sqlite3 *db;                  /* borrowed */
    sqlite3_stmt *members;        /* clusters: cluster_id, school_id, role */
    sqlite3_stmt *factor;         /* context values of one factor */
    struct {                      /* the rows of each form read, counted once */
        const struct form *form;  /* (for the time limit, ind_time_limit) */
        double rows;
    } limit[16];
    size_t nlimit;
};

/* The budget of one evaluation (ind_evaluate, and the probe of each formula at load):
 * wall time in seconds, and bytes of memory for temporary results above what SQLite
 * used when it began (temporary storage is kept in memory for this). A statement past
 * either is stopped and the definition refused (SOKO_ECONFIG, "file:line: [id]: ...
 * the limit"). Process-wide; values <= 0 leave a limit as it is. The CLI sets them
 * from SOKO_EVAL_SECONDS and SOKO_EVAL_MEMORY_MB (docs/indicators.md, Limits). */
#define IND_LIMIT_SECONDS 60.0
#define IND_LIMIT_SECONDS_PER_MROWS 60.0   /* the default's allowance per million rows */
#define IND_LIMIT_MEMORY (512LL << 20)
void ind_set_limits(double seconds, long long memory_bytes);
void ind_get_limits(double *seconds, long long *memory_bytes);
/* The time limit of a formula reading form f's table on db: the limit given
 * (SOKO_EVAL_SECONDS) exactly, else IND_LIMIT_SECONDS + IND_LIMIT_SECONDS_PER_MROWS per
 * million rows of the table (counted: a set counts each form's once, set_limit). */
double ind_time_limit(sqlite3 *db, const struct form *f);

/* Loads every *.ini of dir in name order, except context.ini (context models; see
 * analysis.h) and rules.ini (rules), or the one file when path is a file; checks every definition and
 * compiles its queries on db, which must be read-only (opened read-only, or with
 * PRAGMA query_only): a definition is refused at load, never at evaluation. */
int ind_load(const char *path, sqlite3 *db, struct ind_set **out, struct soko_diag *d);
void ind_set_free(struct ind_set *s);
const struct indicator *ind_find(const struct ind_set *s, const char *id);

/* An empty in-memory database with the store's schema, made query-only: for
 * checking definitions when there is no store. Close with sqlite3_close. */
int ind_schema_db(sqlite3 **out, struct soko_diag *d);

/* Prepares one SELECT of ours on db under the authorizer (exposed for tests: the
 * formulas go through it). file/line/what name the culprit in messages. */
int ind_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, const char *file,
                long line, const char *what, struct soko_diag *d);

/* --- results ------------------------------------------------------------------- */

enum {
    IND_NOTE_SUPPRESSED = 1 << 0,  /* n < min_n: shown as "n < 5", excluded from analyses */
    IND_NOTE_NO_SPREAD = 1 << 1,   /* a mean without the spread: no interval */
    IND_NOTE_INVALID = 1 << 2,     /* no value: denominator/base/weight 0, or a share with
                                      numerator < 0 or > denominator */
    IND_NOTE_ZERO_FILLED = 1 << 3  /* rate: the school reported to the form and has a base
                                      but no row of this breakdown: its count is 0 */
};

struct ind_row {
    const struct indicator *ind;
    enum ind_level level;
    const char *unit;             /* school_id, cluster_id, or "" for the district */
    int year;
    const char *dim[IND_MAX_DIMS];  /* breakdown values, in ind->dims order (text) */
    double num;                   /* share: numerator; mean: Σweight·value; count, rate: count */
    double den;                   /* share: denominator; mean: Σweight; rate: base; count: NaN */
    double n;                     /* participants: the n key, else share: den, mean: Σweight,
                                     rate: base; count without n: NaN */
    double value;                 /* %, the mean, the count, or the rate; NaN if invalid */
    double sd;                    /* mean: SD of the individual values when known, else NaN */
    double lo, hi;                /* 95% interval; NaN when there is none */
    int suppressed;               /* n < min_n: never show value, num, den, n or the
                                     interval; analyses skip the row */
    unsigned notes;               /* IND_NOTE_* */
};

struct ind_arena;                 /* strings of the results */

struct ind_results {
    struct ind_row *v;
    size_t n, cap;
    struct ind_arena *arena;
};

#define IND_RESULTS_INIT {NULL, 0, 0, NULL}

/* Evaluates ind for the years [y0, y1] (intersected with its valid years; 0 for an
 * open end) and appends its rows: the district, then clusters, then schools, each
 * ordered by unit, breakdown, year — so a unit's series are consecutive. */
int ind_evaluate(struct ind_set *s, const struct indicator *ind, int y0, int y1,
                 struct ind_results *out, struct soko_diag *d);
void ind_results_free(struct ind_results *r);

/* ind_evaluate without keeping the rows: fn is called for each row, in the same order,
 * as SQLite returns it; the row and its strings (unit, dim) are valid only during the
 * call. A nonzero return of fn stops the evaluation and is returned. For writers that
 * stream their output (memory flat in the number of rows). */
typedef int (*ind_row_fn)(void *ctx, const struct ind_row *r);
int ind_evaluate_each(struct ind_set *s, const struct indicator *ind, int y0, int y1,
                      ind_row_fn fn, void *ctx, struct soko_diag *d);

/* Every indicator of s in set order (only that one when only is not NULL), the rows
 * into fn in the order successive ind_evaluate_each calls give them, the same values
 * bit for bit. Consecutive indicators of one form, filter, breakdown and years share
 * one statement per level (a batch: the form is read and grouped once for all of
 * them), their rows kept until the batch is read — memory grows with a batch's rows,
 * not with the whole output. A batch whose statement fails (a limit) is evaluated
 * indicator by indicator, so that the message names the indicator. */
int ind_evaluate_all(struct ind_set *s, const struct indicator *only, int y0, int y1,
                     ind_row_fn fn, void *ctx, struct soko_diag *d);
/* The same for the indicators list[0..n) of s, in that order (each at most once). */
int ind_evaluate_list(struct ind_set *s, const struct indicator *const *list, size_t n,
                      int y0, int y1, ind_row_fn fn, void *ctx, struct soko_diag *d);
/* ind_evaluate of each of list[0..n) in order, appending to out: the same rows, in
 * batches (ind_evaluate_list). */
int ind_evaluate_results(struct ind_set *s, const struct indicator *const *list, size_t n,
                         int y0, int y1, struct ind_results *out, struct soko_diag *d);
/* ind_evaluate of every indicator of s in set order, appending to out: the same rows,
 * in batches (ind_evaluate_all). */
int ind_evaluate_set(struct ind_set *s, int y0, int y1, struct ind_results *out,
                     struct soko_diag *d);

/* "district", "cluster", "school" */
const char *ind_level_name(enum ind_level l);
/* "share", "mean", "count", "rate" */
const char *ind_kind_name(enum ind_kind k);

/* 1 when school_id is a school the store knows: a row of the schools registry, a
 * member of a cluster, or a school with a row in any form of results or context;
 * 0 when not; -1 (and a message in d) when the store cannot be read. For the CLI, so
 * that a mistyped --school says so instead of printing an empty table. */
int ind_school_known(struct ind_set *s, const char *school_id, struct soko_diag *d);

/* --- the data around the results --------------------------------------------------- */

struct ind_member {
    const char *cluster_id, *school_id, *role;
};

struct ind_members {
    struct ind_member *v;
    size_t n;
    struct ind_arena *arena;
};

/* Every row of the clusters table, ordered by cluster, school. */
int ind_members(struct ind_set *s, struct ind_members *out, struct soko_diag *d);
void ind_members_free(struct ind_members *m);

struct ind_factor {
    int year;
    const char *school_id;
    double value;
};

struct ind_factors {
    struct ind_factor *v;
    size_t n;
    struct ind_arena *arena;
};

/* The context values of one factor for years [y0, y1] (0: open), ordered by school,
 * year. */
int ind_factor_values(struct ind_set *s, const char *factor, int y0, int y1,
                      struct ind_factors *out, struct soko_diag *d);
void ind_factors_free(struct ind_factors *f);

#endif
