/*
 * rules.h — the lists a district produces every year: schools with low results,
 * stably low / stably high, maximum and stable improvement, signs of biased results,
 * beating the odds, risk profiles — as flags with their evidence and Russian
 * recommendation texts.
 *
 * Takes: a rule file (INI, docs/rules.md; shipped as defs/rules.ini), checked
 *   at load against the indicator set (ind_set) and the context models (ana_models);
 *   then either ready inputs (rules_eval: indicator results, context residuals,
 *   score histograms — what the unit tests build by hand) or a store (rules_run:
 *   evaluates the indicators the rules name through indicators.h, reads the per-work
 *   score histograms of table vpr_dist with its own prepared statements on the
 *   caller's read-only connection, runs analysis.h). Every threshold comes from the
 *   rule file: there is no number in C that decides whether a school is flagged.
 * Gives: struct rule_flags — one flag per school and rule, in rule-file order, then
 *   by rank within the rule; each flag carries its evidence (indicator, breakdown,
 *   year, value, n, district value, limit or statistic, p-value) and its rendered
 *   recommendation. A school whose figures are suppressed (n below the indicator's
 *   min_n) or below the rule's min_n is never flagged on them.
 * Ownership: rule_set from rules_load, released by rules_free. rule_flags and every
 *   string in them belong to the rule_flags (rule_flags_free); a flag points at its
 *   rule, which must outlive it. Inputs are borrowed, never kept.
 * Errors: rules_load gives SOKO_EIO (unreadable file) or SOKO_ECONFIG with
 *   "file:line: [rule]: key: why" for every bad rule — unknown key, kind, indicator,
 *   model, placeholder, a bad number or pattern — all of them, not only the first.
 *   rules_run adds SOKO_EDB (store) and what indicators/analysis report. Never prints.
 *   Call stats_init() before evaluating.
 */
#ifndef SOKO_RULES_H
#define SOKO_RULES_H

#include "analysis.h"
#include "indicators.h"
#include "soko.h"

#include <sqlite3.h>

#define RULES_MAX_INDICATORS 8
#define RULES_MAX_LABELS 32
#define RULES_MAX_DEPS 8
#define RULES_MAX_CTX_IF 4

/* What a rule tests in one procedure (indicator and breakdown) and year. */
enum rule_kind {
    RULE_THRESHOLD,    /* value OP number */
    RULE_FUNNEL,       /* beyond the 95% or 99.8% funnel limit of the district, on a side */
    RULE_Z,            /* z against the district beyond ±bound, on a side */
    RULE_TREND,        /* a significant trend over the window on a side (one verdict per
                          procedure, not per year); ranked by the size of the change */
    RULE_CHANGE,       /* change from the previous year beyond the district's change:
                          z of the difference >= bound on a side, and >= min_diff */
    RULE_UNCONFIRMED,  /* beyond the funnel limit on the good side while the `confirm`
                          indicators of the same subject and year are not on the good side
                          of the district value */
    RULE_RESIDUAL,     /* context model: the mean standardized residual of the school's
                          procedures in a year beyond ±bound (one pseudo-procedure) */
    RULE_SPIKE,        /* vpr_dist: excess at the lowest score of marks 3, 4, 5 against the
                          district's histogram of the same work, combined p < alpha */
    RULE_RISK          /* threshold on context factor rows, only for schools flagged by the
                          rules in `for` */
};

/* Which years of the window a procedure must hold in. */
enum rule_hold {
    HOLD_ALL,          /* every year of the window (each must have data) */
    HOLD_ANY,          /* at least one */
    HOLD_LAST,         /* the last year of the window */
    HOLD_K_OF_N,       /* at least k of the last n years of the window */
    HOLD_CONSECUTIVE   /* k consecutive years */
};

enum rule_op { OP_LT, OP_LE, OP_GT, OP_GE };

struct rule_label {
    char *key;         /* a breakdown value (e.g. a factor name) */
    char *text;        /* how recommendations name it */
};

struct rule_ctx_if {   /* residual: a context condition, e.g. share_low_income >= 25 */
    char *factor;
    enum rule_op op;
    double value;
};

struct rule {
    char *id;                        /* section name */
    char *title;                     /* Russian */
    enum rule_kind kind;
    int nind;
    const struct indicator *ind[RULES_MAX_INDICATORS];   /* from the ind_set */
    int nconfirm;                    /* unconfirmed: the confirming indicators */
    const struct indicator *confirm[RULES_MAX_INDICATORS];
    const struct ana_model *model;   /* residual */
    int nwhere;                      /* breakdown filters: column = values (a list) */
    char *where_col[IND_MAX_DIMS];
    char **where_vals[IND_MAX_DIMS];
    int where_nvals[IND_MAX_DIMS];
    enum rule_op op;                 /* threshold, risk */
    double value;                    /* threshold, risk */
    int side;                        /* +1 good side, -1 bad side */
    double limit;                    /* funnel, unconfirmed: 95 or 99.8 */
    double bound;                    /* z, change, residual */
    double min_diff;                 /* change: minimal difference from the district's
                                        change, in the indicator's unit (default 0) */
    double alpha;                    /* trend, spike */
    int no_going_back;               /* trend: no year-to-year step back (default 1) */
    int window;                      /* years (default 3) */
    enum rule_hold hold;
    int hold_k, hold_n;
    double procedures;               /* at least this many holding procedures ... */
    int procedures_pct;              /* ... or, when 1, this % of those with data */
    int min_indicators;              /* holding procedures from >= this many indicators */
    int same_year;                   /* 0, or: in some year >= this many procedures hold */
    double min_n;                    /* figures with n below are not used (default 0:
                                        the indicator's own min_n decides) */
    int ndeps;                       /* risk: the rules whose flagged schools it reads */
    char *deps[RULES_MAX_DEPS];
    int marks[3];                    /* spike: test the lowest score of marks 3, 4, 5
                                        (marks[k] for mark k+3; default all) */
    int nctx_if;                     /* residual: context conditions (all must hold, on
                                        the window's last year) */
    struct rule_ctx_if ctx_if[RULES_MAX_CTX_IF];
    int nlabels;
    struct rule_label labels[RULES_MAX_LABELS];
    char *recommendation;            /* template with {placeholders} */
    char *file;
    long line;
};

struct rule_set {
    struct rule *v;
    size_t n;
};

/* Reads a rule file. Indicator ids are checked against set (ind_find), models
 * against models (NULL: a residual rule is refused). */
int rules_load(const char *path, const struct ind_set *set, const struct ana_models *models,
               struct rule_set *out, struct soko_diag *d);
void rules_free(struct rule_set *rs);
const struct rule *rules_find(const struct rule_set *rs, const char *id);
const char *rule_kind_name(enum rule_kind k);

/* --- the score histograms of vpr_dist --------------------------------------------- */

struct rules_work {
    int year;
    char *school_id;
    char *subject;
    long grade;
    long n;
    double *scores;                  /* students with primary score 0 .. len-1 */
    size_t len;
    int mark_min[4];                 /* lowest score seen with mark 2..5; -1 none */
};

struct rules_works {
    struct rules_work *v;
    size_t n, cap;
};

/* Reads vpr_dist rows of years [y0, y1] (0: open) from db (read-only) with prepared
 * statements; ordered by year, grade, subject, school. A row whose JSON cannot be
 * read is SOKO_EDB naming it. */
int rules_read_works(sqlite3 *db, int y0, int y1, struct rules_works *out,
                     struct soko_diag *d);
/* Appends one work (copies everything); for tests. */
void rules_works_add(struct rules_works *w, int year, const char *school, long grade,
                     const char *subject, const double *scores, size_t len,
                     const int mark_min[4]);
void rules_works_free(struct rules_works *w);

/* --- evaluation ------------------------------------------------------------------- */

/* One piece of evidence: a procedure in a year (or over the window: trend). */
struct rule_ev {
    const struct indicator *ind;     /* NULL for a spike (the work) or a residual mean */
    char *what;                      /* the procedure in words: "Математика, 5 кл." */
    int year;                        /* trend: the last year */
    double value, n;                 /* the school's figure and its n */
    double ref;                      /* district value (threshold: the threshold) */
    double limit;                    /* the limit crossed: funnel limit, bound, alpha */
    double stat;                     /* funnel, z, unconfirmed, change: z; trend: the
                                        gain (last − first, better direction); spike:
                                        observed/expected at the boundary; residual:
                                        the mean residual; NaN when none */
    double p;                        /* p-value when the test has one, else NaN */
    char *detail;                    /* rule-specific text (boundary, years, confirm) */
};

struct rule_flag {
    const struct rule *rule;
    char *school_id;
    char *school_name;               /* "" when unknown */
    size_t nproc;                    /* holding procedures */
    size_t nevaluated;               /* procedures with data in the window */
    int y0, y1;                      /* the window */
    char *years;                     /* years in which the condition held: "2024, 2025" */
    double score;                    /* rank key: trend mean gain, spike −log10 p,
                                        residual mean residual (oriented), otherwise
                                        holding procedures */
    int rank;                        /* 1 = first within the rule */
    struct rule_ev *ev;
    size_t nev;
    char *recommendation;            /* rendered template */
};

struct rule_flags {
    struct rule_flag *v;
    size_t n, cap;
};

/* Everything rules_eval reads. Results must hold the district and school rows of every
 * indicator the rules name (with the year before the window for `change` rules). */
struct rules_input {
    const struct ind_results *res;
    const struct rules_works *works;           /* may be NULL: spike rules find nothing */
    size_t nctx;                               /* context results, one per model */
    const struct ana_model *const *ctx_model;
    const struct ana_context *const *ctx;
    const struct ind_factors *factors;         /* residual ctx_if values: one per factor
                                                  named, in ctx_factor_names order */
    const char *const *ctx_factor_names;
    size_t nfactors;
    /* school names: parallel arrays, may be empty */
    const char *const *school_ids;
    const char *const *school_names;
    size_t nschools;
};

struct rules_opts {
    int y0, y1;                      /* y0 < y1: the window of every rule as given;
                                        otherwise the window ends at y1 (or at y0 alone
                                        with y1 = 0 it starts there), else at the last
                                        year with data, and spans the rule's `window`
                                        years, not before its first year with data */
    const char *school;              /* keep only this school's flags (all are still
                                        computed: risk rules read other rules) */
};

/* Pure: evaluates every rule over in and appends flags to out. */
void rules_eval(const struct rule_set *rs, const struct rules_input *in,
                const struct rules_opts *o, struct rule_flags *out);

/* With a store: evaluates the indicators named by the rules through s (whose
 * connection is read-only), context models through analysis.h, reads vpr_dist, and
 * runs rules_eval. */
int rules_run(const struct rule_set *rs, struct ind_set *s, const struct rules_opts *o,
              struct rule_flags *out, struct soko_diag *d);

void rule_flags_free(struct rule_flags *f);

/* The placeholders a recommendation may use, NULL-terminated (for docs and tests). */
extern const char *const rules_placeholders[];

#endif
