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
 *   score histograms and the school names through store.h's read helpers on the
 *   caller's read-only connection, runs analysis.h). Every threshold and every error
 *   level comes from the rule file: there is no number in C that decides whether a
 *   school is flagged.
 * The kinds: one table of descriptors (rule_kinds[], rules_kinds.c), each with its
 *   name, its keys with their types and ranges (deffile.h), what it reads, how it
 *   evaluates a school's procedures, how it ranks and how it puts its evidence and its
 *   condition in words. Nothing else in soko knows a kind by name.
 * How a flag is decided (docs/rules.md): each kind gives, per school, procedure and
 *   year, whether its condition holds and, for kinds that test, a one-sided p-value;
 *   the pattern over years, the number of procedures, of indicators and the same-year
 *   count decide whether the school's condition holds, and the same pattern turns the
 *   p-values into one p-value per school (partial conjunctions: a school is flagged
 *   only on evidence that the whole pattern, not one cell of it, is beyond chance);
 *   then `control` keeps the error rate over the district's schools at `level`
 *   (Benjamini–Hochberg false discovery rate, or Holm's family-wise rate).
 * Gives: struct rule_flags — one flag per school and rule, in rule-file order, then
 *   by rank within the rule; each flag carries its evidence (indicator, breakdown,
 *   year, value, n, district value, limit or statistic, p-value), the school's
 *   combined and adjusted p-values and its rendered recommendation. A school whose
 *   figures are suppressed (n below the indicator's min_n) or below the rule's min_n
 *   is never flagged on them.
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
#include "deffile.h"
#include "indicators.h"
#include "soko.h"
#include "store.h"

#include <sqlite3.h>

#define RULES_MAX_INDICATORS 8
#define RULES_MAX_LABELS 32
#define RULES_MAX_DEPS 8
#define RULES_MAX_CTX_IF 4

struct rule;
struct rule_flag;
struct rule_ev;
struct rules_input;
struct rule_eval;              /* a kind's view of one evaluation (rules_int.h) */

/* --- the kinds ------------------------------------------------------------------- */

enum {
    RK_INDICATORS = 1u << 0,   /* reads `indicators` (the results of ind_evaluate) */
    RK_WORKS = 1u << 1,        /* reads the per-work score histograms (vpr_dist) */
    RK_CONTEXT = 1u << 2,      /* reads a context model's residuals */
    RK_FLAGS = 1u << 3,        /* reads the flags of the rules in `for` (runs last) */
    RK_WINDOW = 1u << 4,       /* one verdict per procedure over the window (no `hold`) */
    RK_TESTS = 1u << 5,        /* its items carry p-values: `control` may apply */
    RK_PREV_YEAR = 1u << 6,    /* reads the year before the window */
    RK_OD = 1u << 8,           /* its test widens by the cell's overdispersion among the
                                  district's schools (ana_compare), with overdispersion =
                                  yes: rules_run_methods reports the estimates */
    RK_TASKS = 1u << 7         /* a task rule: evaluated by tasks.c over the tasks of the
                                  works (soko tasks, the note's section on planned
                                  results), not over schools' procedures; no evaluate */
};

struct rule_kind {
    const char *name;                        /* kind = NAME */
    const char *doc;                         /* one line, English (docs, tests) */
    const struct deffile_key *keys;          /* its own keys (beyond the common ones) */
    unsigned flags;                          /* RK_* */
    const char *control;                     /* default `control`: "fdr", "fwer", "none" */
    /* kind-specific checks once the keys are typed (a model that exists, ...);
       returns the number of problems reported */
    size_t (*check)(struct rule *r, const struct deffile *df, const struct deffile_sec *s,
                    struct soko_diag *d);
    /* appends the items (school, procedure, year) of the rule over c's window */
    void (*evaluate)(struct rule_eval *c);
    /* the rank key of a flag (larger ranks first) */
    double (*score)(const struct rule_flag *f);
    /* one piece of evidence in words (caller frees): for {values} (full = 0: the
       figure, its n, the district's), or for tables (full = 1: also the limit, the
       statistic, the p-value and the details) */
    char *(*evidence)(const struct rule *r, const struct rule_ev *e, int full);
    /* the rule's condition in words, Russian (caller frees) */
    char *(*condition)(const struct rule *r);
    /* the id named in the evidence when the item has no indicator (spike: vpr_dist) */
    const char *(*source)(const struct rule *r);
};

extern const struct rule_kind rule_kinds[];      /* the registry, NULL name ends it */
const struct rule_kind *rule_kind_find(const char *name);
const char *rule_kind_name(const struct rule_kind *k);

/* The keys every rule may have (title, kind, window, hold, ...), for docs and tests. */
extern const struct deffile_key rule_common_keys[];

/* --- a rule ------------------------------------------------------------------------ */

/* Which years of the window a procedure must hold in. */
enum rule_hold {
    HOLD_ALL,          /* every year of the window (each must have data) */
    HOLD_ANY,          /* at least one */
    HOLD_LAST,         /* the last year of the window */
    HOLD_K_OF_N,       /* at least k of the last n years of the window */
    HOLD_CONSECUTIVE   /* k consecutive years */
};

enum rule_op { OP_LT, OP_LE, OP_GT, OP_GE };

/* How a rule keeps its error rate over the district's schools. */
enum rule_control {
    CONTROL_NONE,      /* the condition alone (normative rules, descriptive lists) */
    CONTROL_FDR,       /* Benjamini–Hochberg: expected share of false flags <= level */
    CONTROL_FWER       /* Holm: probability of any false flag <= level */
};

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
    const struct rule_kind *kind;
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
    double alpha;                    /* trend, spike; threshold: the exact test beyond
                                        the threshold (NaN: none) */
    int no_going_back;               /* trend: no year-to-year step back (default 1) */
    int against_district;            /* trend: tested against the district's own trend
                                        (default 1), else against no change */
    int overdispersion;              /* funnel, z, change, unconfirmed: widen limits by
                                        the district's overdispersion (default 1) */
    int window;                      /* years (default 3) */
    enum rule_hold hold;
    int hold_k, hold_n;
    double procedures;               /* at least this many holding procedures ... */
    int procedures_pct;              /* ... or, when 1, this % of those with data */
    int min_indicators;              /* holding procedures from >= this many indicators */
    int same_year;                   /* 0, or: in some year >= this many procedures hold */
    double min_n;                    /* figures with n below are not used (default 0:
                                        the indicator's own min_n decides) */
    enum rule_control control;       /* over the district's schools */
    double level;                    /* its level (FDR q or FWER alpha) */
    int ndeps;                       /* risk: the rules whose flagged schools it reads */
    char *deps[RULES_MAX_DEPS];
    int marks[3];                    /* spike: test the lowest score of marks 3, 4, 5
                                        (marks[k] for mark k+3; default all) */
    int nctx_if;                     /* residual: context conditions (all must hold, on
                                        the window's last year) */
    struct rule_ctx_if ctx_if[RULES_MAX_CTX_IF];
    double task_level[3];            /* task_deficit: completion levels, %, for basic,
                                        advanced and high tasks (NaN: not given) */
    double share;                    /* task_common: share of the cluster's schools */
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

/* The rule's condition in words (Russian), with its error control: for the note's
 * table of rules and its methodology appendix. Caller frees. */
char *rule_condition(const struct rule *r);
/* How the rule controls errors, in words (Russian): "FDR ≤ 5 % по ОО района (метод
 * Бенджамини — Хохберга)", "без поправки на множественность (нормативное правило)".
 * Caller frees. */
char *rule_control_text(const struct rule *r);
/* "none", "fdr", "fwer" */
const char *rule_control_name(enum rule_control c);

/* --- evaluation ------------------------------------------------------------------- */

/* One piece of evidence: a procedure in a year (or over the window: trend). */
struct rule_ev {
    const struct indicator *ind;     /* NULL for a spike (the works) or a residual mean */
    char *what;                      /* the procedure in words: "Математика, 5 кл." */
    int year;                        /* trend: the last year */
    double value, n;                 /* the school's figure and its n */
    double ref;                      /* district value (threshold: the threshold) */
    double limit;                    /* the limit crossed: funnel limit, bound, alpha */
    double stat;                     /* funnel, z, unconfirmed, change: z (adjusted for
                                        overdispersion when it was); trend: the gain
                                        (last − first, better direction); spike:
                                        observed/expected at the boundary; residual:
                                        the mean residual; NaN when none */
    double p;                        /* the item's one-sided p-value, else NaN */
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
    double score;                    /* rank key (the kind's score) */
    int rank;                        /* 1 = first within the rule */
    double p;                        /* the school's combined p-value (NaN: not tested) */
    double p_adj;                    /* adjusted for the district (BH q-value or Holm),
                                        NaN with control = none */
    size_t ntested;                  /* schools the rule tested in the district */
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
    const struct store_works *works;           /* may be NULL: spike rules find nothing */
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
                                        computed: risk rules read other rules, and the
                                        district's schools make the error control) */
};

/* Pure: evaluates every rule over in and appends flags to out. */
void rules_eval(const struct rule_set *rs, const struct rules_input *in,
                const struct rules_opts *o, struct rule_flags *out);

/* With a store: evaluates the indicators named by the rules through s (whose
 * connection is read-only), context models through analysis.h, reads the histograms
 * and names (store.h), and runs rules_eval. */
int rules_run(const struct rule_set *rs, struct ind_set *s, const struct rules_opts *o,
              struct rule_flags *out, struct soko_diag *d);

void rule_flags_free(struct rule_flags *f);

/* One evidence item in words (the kind's evidence text; full as in struct rule_kind),
 * and the id of its source (the indicator's, "vpr_dist" for histograms, the model's
 * indicator). Caller frees the first; the second is borrowed. */
char *rule_ev_text(const struct rule_flag *f, const struct rule_ev *e, int full);
const char *rule_ev_source(const struct rule_flag *f, const struct rule_ev *e);

/* The placeholders a recommendation may use, NULL-terminated (for docs and tests). */
extern const char *const rules_placeholders[];

/* --- what the rules used: for the note's methodology appendix ------------------------ */

/* The overdispersion of one cell (indicator, year, breakdown) of a rule with RK_OD, as
 * its test estimated it among the district's schools (analysis.h struct ana_od). */
struct rules_od_cell {
    const struct rule *rule;
    const struct indicator *ind;
    int year;
    char *what;                      /* the breakdown in words ("все предметы") */
    size_t units;
    double phi, phi_p, tau2;         /* φ̂, its test of φ > 1, τ̂² (the indicator's unit²) */
    int used;                        /* 1: the limits were widened */
    const char *method;              /* "additive", "multiplicative", "none" (static) */
};

/* One regression of a context model that a residual rule read, in the window's last
 * year (analysis.h struct ana_ctx_fit): the coefficients with SE and p. */
struct rules_fit {
    const struct ana_model *model;
    int year;
    char *what;                      /* the breakdown in words */
    size_t nschools;
    int ncoef;                       /* intercept first, then model->factors */
    double coef[ANA_MAX_FACTORS + 1], se[ANA_MAX_FACTORS + 1], p[ANA_MAX_FACTORS + 1];
    double r2, sigma, df;
};

struct rules_methods {
    struct rules_od_cell *od;        /* by rule, indicator, breakdown: the last year of
                                        each rule's window */
    size_t nod;
    struct rules_fit *fits;          /* by model, breakdown */
    size_t nfits;
};

/* rules_run, and with the same reading of the data (most of the time), the
 * overdispersion estimates and the context regressions behind the rules' tests. */
int rules_run_methods(const struct rule_set *rs, struct ind_set *s, const struct rules_opts *o,
                      struct rule_flags *flags, struct rules_methods *methods,
                      struct soko_diag *d);
void rules_methods_free(struct rules_methods *m);

/* --- calibration: null districts drawn from the district's own data ----------------- */

/* What `soko calibrate` measures for one rule: flags on the data, and over `runs`
 * null districts (every school at the district's rate of each cell, with its own
 * sizes; score histograms drawn from the district's histogram of the work; context
 * results from null values regressed on the schools' real factors) the mean number
 * of flags — all of them false — and the share of runs with at least one. */
struct rules_calib {
    const struct rule *rule;
    size_t observed;                 /* flags on the data */
    double mean_false;               /* mean flags per null district */
    double any_false;                /* share of null districts with >= 1 flag */
    size_t max_false;                /* most flags in one null district */
};

struct rules_calibs {
    struct rules_calib *v;
    size_t n;
    unsigned runs;
    unsigned long seed;
};

/* Draws `runs` null districts from in (seeded: the same seed gives the same numbers)
 * and evaluates every rule on each. */
void rules_calibrate(const struct rule_set *rs, const struct rules_input *in,
                     const struct rules_opts *o, unsigned runs, unsigned long seed,
                     struct rules_calibs *out);
/* The same from a store (reads what rules_run reads, once). */
int rules_calibrate_run(const struct rule_set *rs, struct ind_set *s,
                        const struct rules_opts *o, unsigned runs, unsigned long seed,
                        struct rules_calibs *out, struct soko_diag *d);
void rules_calibs_free(struct rules_calibs *c);

#endif
