/*
 * analysis.h — what the indicator results say: trends over a window of years,
 * a school against its cluster and the district, and results adjusted for context
 * (schools that beat the odds).
 *
 * Takes: ind_results from ind_evaluate (one indicator or several, any levels), the
 *   cluster membership from ind_members, context values from ind_factor_values, and
 *   context models (defs/context.ini). Pure computation: no SQL except through
 *   indicators.h (ana_context_eval only), no files except context.ini, no printing.
 * Gives: plain arrays of result structs, one per series (trends), per school row
 *   (comparisons), per school and breakdown (context), in the order of the input
 *   rows, so output is deterministic. Suppressed rows and rows without a value are
 *   never used by any analysis; a series or comparison that cannot be computed says
 *   so (label "not_enough_data", NaN figures, has_* = 0) instead of failing.
 * Ownership: outputs are filled into the caller's struct and released by the
 *   matching *_free (not the struct itself). Every `const char *` and row pointer in
 *   an output is borrowed from the ind_results (or ind_members) it was computed
 *   from, which must outlive it; indicator pointers from the ind_set.
 * Errors: the computations over results cannot fail on data (degenerate data gives
 *   NaN with a reason); ana_context_load gives SOKO_EIO / SOKO_ECONFIG with
 *   "file:line: [model]: key: why" for every bad model; ana_context_eval adds
 *   SOKO_ECONFIG for a model naming an unknown indicator or breakdown column and
 *   SOKO_EDB from evaluation. Call stats_init() before any of this.
 */
#ifndef SOKO_ANALYSIS_H
#define SOKO_ANALYSIS_H

#include "indicators.h"
#include "soko.h"
#include "stats.h"

#define ANA_WINDOW_DEFAULT 3      /* the last 3 years present (seed 000: «не менее 3 лет») */
#define ANA_ALPHA_DEFAULT 0.05
#define ANA_MAX_YEARS 32          /* years in one window */

/* A window of years, inclusive. y0 = y1 = 0: the last `len` years present in the
 * results of each indicator (len 0 means ANA_WINDOW_DEFAULT); y0 or y1 alone 0 means
 * open at that end. */
struct ana_window {
    int y0, y1;
    int len;
};

/* Window actually used for one indicator's rows in r: years of [w.y0, w.y1] (or the
 * last w.len years in which r has any unsuppressed row of ind). 0 when ind has no
 * such year; *y0 and *y1 are untouched then. */
int ana_window_resolve(const struct ind_results *r, const struct indicator *ind,
                       const struct ana_window *w, int *y0, int *y1);

/* --- trends --------------------------------------------------------------------- */

struct ana_trend {
    const struct indicator *ind;
    enum ind_level level;
    const char *unit;                 /* school_id, cluster_id, "" (district) */
    const char *dim[IND_MAX_DIMS];    /* breakdown values, as in the rows */
    int win_y0, win_y1;               /* the window asked for */
    int y0, y1;                       /* the segment used: the window after the last
                                         break in it (a break at Y starts at Y) */
    int after_break;                  /* 1 when a break cut the window */
    size_t npoints;                   /* years used: in the segment, not suppressed,
                                         with a value */
    int years[ANA_MAX_YEARS];         /* those years, ascending */
    const struct ind_row *rows[ANA_MAX_YEARS];  /* their rows */
    double first, last;               /* value in the first and last year used */
    double change;                    /* last − first, in the indicator's unit (NaN if
                                         npoints < 2) */
    double change_good;               /* change signed so that > 0 is better */
    int no_going_back;                /* npoints >= 2 and no year-to-year step in the
                                         bad direction (equal values allowed) */
    /* weighted least squares value ~ year: weights n (mean with sd: n/sd²; count
       without n: 1) */
    double slope, se, t, p;           /* per year; NaN when not computable */
    int has_wls;
    /* the test behind the label, using each year's known sampling variance:
       shares — Cochran–Armitage on num/den (test = "cochran_armitage");
       means whose spread is known in every year — the WLS slope against its
       known-variance SE 1/√Σw(x−x̄)², w = n/sd² (test = "slope_z");
       counts and rates — the Poisson score test for a log-linear trend on the
       counts, exposure the rate's base (count: 1) (test = "poisson_score",
       ana_poisson_trend);
       otherwise the WLS slope's t-test, df = npoints − 2 (test = "slope_t") */
    const char *test;                 /* NULL when not computable */
    double test_z, test_p;            /* signed statistic (z, or t) and two-sided p */
    int has_test;
    enum stats_trend_label label;     /* by (test_z, test_p), in the indicator's
                                         better direction */
    const char *why;                  /* static English reason when label is
                                         not_enough_data, else NULL */
};

struct ana_trends {
    struct ana_trend *v;
    size_t n, cap;
};

struct ana_trend_opts {
    struct ana_window window;
    double alpha;                     /* 0: ANA_ALPHA_DEFAULT */
    const char *unit;                 /* only this unit (school/cluster id, "" district);
                                         NULL: all */
    int level_mask;                   /* bit (1 << level); 0: all levels */
};

/* One trend per series (indicator, level, unit, breakdown) of r that has any row in
 * its window, in the order of r (so the district first, then clusters, schools).
 * Appends to out. */
void ana_trends(const struct ind_results *r, const struct ana_trend_opts *o,
                struct ana_trends *out);
void ana_trends_free(struct ana_trends *t);

/* Trend of one series given as arrays (the core of ana_trends, exposed for tests
 * and for rules that build their own series). years ascending, len <= ANA_MAX_YEARS;
 * num/den used for shares (den > 0), n as WLS weight; value NaN = not used. Fills
 * the numeric fields of *out (not ind/unit/dim/rows). */
void ana_trend_series(const struct indicator *ind, const int *years,
                      const double *value, const double *num, const double *den,
                      const double *n, const double *sd, size_t len, double alpha,
                      struct ana_trend *out);

/* Poisson score (Rao) test for trend: counts k[i] with exposures e[i] > 0 at scores
 * x[i] (years), H0 a constant rate. Gives the signed z (> 0: the rate rises) and its
 * two-sided p; equals R's anova(glm(k ~ 1 + offset(log(e)), poisson),
 * glm(k ~ x + offset(log(e)), poisson), test = "Rao") with Rao = z². STATS_EDEGENERATE
 * when every count is 0 (or x is constant), STATS_EINPUT for a bad value. */
int ana_poisson_trend(const double *k, const double *e, const double *x, size_t len,
                      double *z, double *p);

/* --- comparisons ------------------------------------------------------------------ */

/* How a school's (or a cluster's) figure stands against a reference. */
struct ana_vs {
    const struct ind_row *ref;        /* the reference row, NULL when missing or
                                         suppressed (then everything below is NaN/0) */
    double diff;                      /* value − ref value, in the indicator's unit */
    double z;                         /* share: binomial z against the ref share;
                                         mean: (mean − ref)/(sd_ref/√n), needs the
                                         ref's sd; rate: Poisson z; count with n:
                                         Poisson z against E = count_ref·n/n_ref;
                                         NaN otherwise */
    int has_funnel;
    struct stats_funnel funnel;       /* limits around the ref value at this n, in the
                                         indicator's unit (share: exact binomial; mean:
                                         normal with sd_ref; rate: normal Poisson;
                                         count with n: normal Poisson around E, in
                                         counts) */
    enum stats_funnel_pos pos;        /* INSIDE when has_funnel = 0 */
    int verdict;                      /* +1 better beyond 95%, +2 beyond 99.8%, −1/−2
                                         worse; in the better direction; 0 inside */
};

struct ana_compare {
    const struct ind_row *row;        /* the school's (or the cluster's) row */
    const char *cluster_id;           /* the cluster compared within */
    struct ana_vs vs_cluster;         /* school rows only */
    struct ana_vs vs_district;
    /* among the cluster's schools with a value, same indicator/year/breakdown */
    size_t peers;                     /* how many (the school included) */
    double pct_rank;                  /* percentile rank in the better direction:
                                         100 = best, R 100*(rank(x)-0.5)/n on the
                                         oriented values; NaN if peers = 0 */
    int rank;                         /* 1 = best by the raw value (ties share) */
    /* empirical Bayes (beta-binomial over the district's schools), shares only */
    int has_eb;
    double eb, eb_lo, eb_hi;          /* shrunken share and its 95% interval, in % */
    int eb_rank;                      /* 1 = best in the cluster by eb */
    /* cluster rows only: the cluster against the rest of the district, tested on the
       school values (two-sample t, df = schools − 2), so that between-school
       variation counts and a large cluster is not flagged for a trivial difference */
    double rest_value;                /* pooled value of the district's other schools */
    double t, p;                      /* NaN when either side has < 2 schools */
    int cluster_verdict;              /* +1 significantly better (p < alpha), −1 worse */
};

struct ana_compares {
    struct ana_compare *v;
    size_t n, cap;
};

struct ana_compare_opts {
    struct ana_window window;         /* years to compare (all of them, each on its own) */
    double alpha;                     /* for the cluster test; 0: ANA_ALPHA_DEFAULT */
    const char *school;               /* only this school; NULL: every school */
};

/* For the cluster cluster_id (members from m): one entry per unsuppressed school row
 * of a member in the window (vs its cluster row and the district row of the same
 * year and breakdown), then one per cluster row (vs the district), in the order of r.
 * r must hold the district, the cluster and all schools of the district for the
 * indicators compared (EB and the cluster test need every school). Appends. */
void ana_compare(const struct ind_results *r, const struct ind_members *m,
                 const char *cluster_id, const struct ana_compare_opts *o,
                 struct ana_compares *out);
void ana_compares_free(struct ana_compares *c);

/* --- context-adjusted results ------------------------------------------------------ */

#define ANA_MAX_FACTORS 16

/* One model of defs/context.ini:
 *   [model_id]
 *   title = Качество знаний с учётом контекста      ; optional
 *   indicator = vpr_quality
 *   subject = Математика                            ; optional, a breakdown column of
 *   grade = 5                                       ;   the indicator = its value;
 *                                                   ;   unnamed columns: each value on
 *                                                   ;   its own
 *   factors = share_low_income, share_non_native
 *   pool = grade                                    ; optional: breakdown columns
 *                                                   ;   pooled per school and year
 *                                                   ;   (Σnum/Σden over their values,
 *                                                   ;   suppressed rows included as in
 *                                                   ;   a cluster's pooling)
 *   bound = 2.0                                     ; |standardized residual|
 *   min_schools = 10                                ; optional (default 10) */
struct ana_model {
    char *id, *title, *indicator;
    int nwhere;
    char *where_col[IND_MAX_DIMS], *where_val[IND_MAX_DIMS];
    int nfactors;
    char *factors[ANA_MAX_FACTORS];
    int npool;
    char *pool[IND_MAX_DIMS];         /* breakdown columns pooled over */
    double bound;
    long min_schools;
    char *file;
    long line;
};

struct ana_models {
    struct ana_model *v;
    size_t n;
};

/* Reads path: a context.ini file, or a directory holding one (a directory without
 * it gives an empty set and SOKO_OK). All bad models are reported. */
int ana_context_load(const char *path, struct ana_models *out, struct soko_diag *d);
void ana_models_free(struct ana_models *m);
const struct ana_model *ana_model_find(const struct ana_models *m, const char *id);

enum ana_odds {
    ANA_ODDS_NONE,       /* within the bound in some year, or not enough years */
    ANA_ODDS_BEATING,    /* beyond +bound (better than expected) in every year */
    ANA_ODDS_BELOW       /* beyond −bound (worse) in every year */
};
/* "none", "beating", "below" */
const char *ana_odds_name(enum ana_odds o);

/* One school in one breakdown over the window. */
struct ana_ctx_school {
    const struct ana_model *model;
    const struct indicator *ind;
    const char *school_id;
    const char *dim[IND_MAX_DIMS];
    int nyears;                       /* years of the window the regression ran in */
    int years[ANA_MAX_YEARS];
    const struct ind_row *rows[ANA_MAX_YEARS];  /* NULL: school absent that year */
    double expected[ANA_MAX_YEARS];   /* fitted value; NaN when absent */
    double resid[ANA_MAX_YEARS];      /* standardized residual, signed so that > 0 is
                                         better than expected; NaN when absent */
    double r2[ANA_MAX_YEARS];         /* that year's regression */
    size_t nschools[ANA_MAX_YEARS];   /* schools in that year's regression */
    int present;                      /* years with a residual */
    enum ana_odds odds;               /* needs a residual in every year of the window
                                         (at least 2 years) */
};

struct ana_context {
    struct ana_ctx_school *v;
    size_t n, cap;
    struct ind_row **pooled;          /* rows made by pooling (model `pool`), owned */
    size_t npooled;
};

/* The core: for model md over ind's school rows in r and the factor values f[0 ..
 * md->nfactors) (f[j] for md->factors[j]), per year of [y0, y1] and per breakdown
 * matching md's values: regress the school values (unsuppressed, with every factor)
 * on the factors (stats_ols, unweighted) when at least md->min_schools schools
 * have them, and give each school its standardized residual. A year without a
 * regression (too few schools, singular design) is a year of the window without a
 * residual for anyone, so nobody is beating the odds over it. With md->pool, each
 * school's rows of a year that differ only in the pooled columns are first pooled
 * into one row (its pooled dims are NULL; out owns it). Appends in the order
 * school, breakdown. */
void ana_context_compute(const struct ana_model *md, const struct indicator *ind,
                         const struct ind_results *r, const struct ind_factors *f,
                         int y0, int y1, struct ana_context *out);

/* Evaluates md's indicator (school level and all) for the window w through s,
 * fetches its factors, and runs ana_context_compute. The results the rows point at
 * are appended to *res, which must outlive out. */
int ana_context_eval(struct ind_set *s, const struct ana_model *md,
                     const struct ana_window *w, struct ind_results *res,
                     struct ana_context *out, struct soko_diag *d);
void ana_context_free(struct ana_context *c);

#endif
