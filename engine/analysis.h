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
    /* the test behind the label: the line through the years' figures weighted by their
       sampling variance under "no trend", which is for shares the Cochran–Armitage test
       (test = "cochran_armitage"), for counts and rates the Poisson score test with
       the rate's base (a count: its participants, else 1) as exposure
       ("poisson_score"), for means whose spread is known in every year the slope
       against 1/√Σw(x−x̄)², w = n/sd² ("slope_z"); for means without a spread the
       variance is known up to a factor estimated from the scatter ("slope_t", t with
       the family's df). ana_trends then adds the between-year (cohort) variance
       beyond sampling, pooled over the family — the same indicator, level and
       breakdown at every unit of the results (method of moments on the lack of fit):
       every year's variance grows by year_tau2, and the reference is t with the
       family's df below 30, else normal. Census figures (indicator key census) and
       series lying exactly on a line are never tested (label no_change, why says
       so). */
    const char *test;                 /* NULL when not computable; "none" for census */
    double test_z, test_p;            /* signed statistic (z, or t) and two-sided p */
    double test_slope, test_se;       /* the test's line: slope per year on its scale
                                         (shares in %, counts and rates per unit of
                                         exposure, means in their unit) and its SE */
    int has_test;
    enum stats_trend_label label;     /* by (test_z, test_p), in the indicator's
                                         better direction */
    const char *why;                  /* static English reason when label is
                                         not_enough_data or the trend is not tested,
                                         else NULL */
    double lof, lof_df;               /* the series' lack of fit Σw(y − line)² at the
                                         sampling variances and its df (npoints − 2) */
    double phi;                       /* the family's ΣD/Σdf: 1 when sampling explains
                                         the years' scatter (slope_t: the pooled scale) */
    double year_tau2;                 /* between-year variance added in the test (0:
                                         none), in the indicator's unit² (counts: per
                                         unit of exposure) */
    double family_df;                 /* df behind the family's estimate */
    /* the test's values and variances (internal to analysis.c) */
    double tv_y[ANA_MAX_YEARS], tv_v[ANA_MAX_YEARS], lof_c, alpha;
    int tv_relative;
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
    const struct indicator *const *only;  /* only the series of these nonly indicators;
                                         NULL: every one */
    size_t nonly;
};

/* One trend per series (indicator, level, unit, breakdown) of r that has any row in
 * its window, in the order of r (so the district first, then clusters, schools).
 * Appends to out. The series of a level outside level_mask or of an indicator outside
 * `only` are not even computed: a trend's family (its between-year variance) is its
 * indicator, level and breakdown, so leaving them out changes no trend shown. */
void ana_trends(const struct ind_results *r, const struct ana_trend_opts *o,
                struct ana_trends *out);
void ana_trends_free(struct ana_trends *t);

/* Trend of one series given as arrays (the core of ana_trends, exposed for tests
 * and for rules that build their own series). years ascending, len <= ANA_MAX_YEARS;
 * num/den used for shares (den > 0), n as WLS weight; value NaN = not used. Fills
 * the numeric fields of *out (not ind/unit/dim/rows). The test is at the sampling
 * variance alone (year_tau2 = 0): ana_trends adds the family's between-year variance. */
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

/* --- overdispersion ------------------------------------------------------------- */

/* How much more the units (schools) of a cell differ from a target than sampling
 * explains (Spiegelhalter 2005, Stat Med 24:1185; "Handling over-dispersion of
 * performance indicators", Qual Saf Health Care 2005): z_i = (y_i − target)/s_i with
 * s_i the unit's sampling SE under the target, winsorised at their 10th and 90th
 * percentiles, φ their consistent mean square with its calibrated test of φ > 1, and
 * the additive between-unit variance τ² = (I·φ − (I − 1)) / (Σw − Σw²/Σw), w_i =
 * 1/s_i², never below 0 — stats.h stats_overdispersion, whose comment has the
 * formulas. */
#define ANA_OD_MIN_UNITS 10       /* fewer units: no estimate, no widening */
#define ANA_OD_ALPHA 0.05         /* φ > 1 at this level widens the limits */
struct ana_od {
    size_t units;                 /* units in the estimate */
    double phi;                   /* winsorised φ (NaN with fewer than 3 units) */
    double phi_p;                 /* the test of φ > 1 (NaN when no estimate) */
    double tau2;                  /* additive between-unit variance, in the unit² */
    int used;                     /* 1: at least ANA_OD_MIN_UNITS units, phi_p <
                                     ANA_OD_ALPHA and τ² > 0: limits and z are widened */
    const char *method;           /* "additive" (τ² added to every unit's variance),
                                     "multiplicative" (counts: variance × φ), "none" */
};
/* Estimates the overdispersion of y[0..n) with sampling SEs s[] around target (units
 * with s <= 0 or non-finite values are left out). Pure; never fails. */
void ana_overdispersion(const double *y, const double *s, size_t n, double target,
                        struct ana_od *od);

/* P(X_1 + ... + X_n >= x) for independent X_i ~ Hypergeometric: X_i school pupils at
 * a boundary among m_i of the school's pupils at it or one point below, when k_i of
 * the t_i pupils of the work (school and reference) at those two scores are at the
 * boundary — the exact conditional test of the school's share at the boundary against
 * the reference's, summed over its works (the stratified analogue of Fisher's exact
 * test: a small reference counts with its own sampling noise). Whole numbers,
 * 0 <= m_i, k_i <= t_i. STATS_EDEGENERATE when every m_i is 0. */
int ana_hypergeom_sum_tail(const double *m, const double *k, const double *t, size_t n, double x,
                           double *tail);

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
                                         NaN otherwise (no overdispersion, the school
                                         inside the reference) */
    double ref_value;                 /* what the school is tested against: the
                                         reference without the school itself (leave-
                                         one-out: Σ of the reference's rows minus the
                                         school's); cluster rows: the rest's value */
    double z_adj;                     /* z against ref_value with the cell's
                                         overdispersion in the variance (when od.used);
                                         cluster rows: the schools-as-units z */
    double se, se_sampling;           /* z_adj's standard error, and its sampling part
                                         alone (without τ²): their squared ratio is the
                                         share of z_adj's variance that is sampling */
    double p_hi, p_lo;                /* one-sided p-values of a value this far above
                                         (below) ref_value by chance: exact binomial
                                         (shares) or Poisson (counts) tails when the
                                         cell is not overdispersed, normal with τ²
                                         otherwise and for means and rates; NaN when
                                         there is no test. The verdict and `pos` come
                                         from these, not from the drawn limits */
    const char *test;                 /* "exact_binomial", "exact_poisson", "normal",
                                         "normal_re" (with τ² or φ), "schools" (cluster
                                         rows); NULL when none */
    struct ana_od od;                 /* the cell's overdispersion among the district's
                                         schools (the same for every row of the cell) */
    int has_funnel;
    struct stats_funnel funnel;       /* limits for drawing, around the ref value at
                                         this n, in the indicator's unit (share: exact
                                         binomial interpolated; mean: normal with
                                         sd_ref; rate: normal Poisson; count with n:
                                         normal Poisson around E, in counts); widened
                                         by τ² (counts: φ) when od.used. Cluster rows
                                         have none */
    enum stats_funnel_pos pos;        /* from p_hi/p_lo at 0.025 and 0.001: INSIDE when
                                         there is no test */
    int verdict;                      /* +1 better beyond 95%, +2 beyond 99.8%, −1/−2
                                         worse; in the better direction; 0 inside.
                                         Cluster rows: the cluster verdict (±1) */
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
    /* cluster rows only: the cluster against the rest of the district with schools as
       the units: each side's mean of its schools' values weighted by 1/(s_i² + τ²)
       (s_i the school's sampling SE, τ² the cell's between-school variance), z of
       the difference of the two means; so that between-school variation counts and
       a large cluster is not flagged for a trivial difference. The verdict is taken
       after Benjamini–Hochberg over the cluster's comparisons of the same year in
       one ana_compare call, and is also the row's vs_district verdict: one verdict */
    double rest_value;                /* pooled value of the district's other schools */
    double t, p;                      /* the z and its two-sided p; NaN when either
                                         side has < 2 schools */
    double p_adj;                     /* p adjusted over the cluster's comparisons of
                                         the year (BH) */
    int cluster_verdict;              /* +1 significantly better (p_adj < alpha), −1
                                         worse */
};

struct ana_compares {
    struct ana_compare *v;
    size_t n, cap;
};

struct ana_compare_opts {
    struct ana_window window;         /* years to compare (all of them, each on its own) */
    double alpha;                     /* for the cluster test; 0: ANA_ALPHA_DEFAULT */
    const char *school;               /* only this school; NULL: every school */
    int no_overdispersion;            /* 1: never widen by the cell's overdispersion
                                         (it is still estimated and shown) */
    int no_eb;                        /* 1: skip empirical Bayes (rules need none) */
    struct ana_cache *cache;          /* NULL, or a cache shared by the calls on one r:
                                         the EB fit of a cell (every school of the
                                         district, whatever the cluster) and the cells
                                         of a window are computed once */
};

/* The cache of ana_compare_opts: for one ind_results, which must not change while the
 * cache is used (ana_compare refuses nothing: a cache made for other results is
 * emptied and filled again). Results are the same bytes as without it. */
struct ana_cache;
struct ana_cache *ana_cache_new(void);
void ana_cache_free(struct ana_cache *c);

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
    double expected[ANA_MAX_YEARS];   /* the value expected from the regression of the
                                         other schools (the school left out); NaN when
                                         absent */
    double resid[ANA_MAX_YEARS];      /* externally studentised residual (R rstudent:
                                         the school against the fit without itself),
                                         signed so that > 0 is better than expected;
                                         NaN when absent */
    double r2[ANA_MAX_YEARS];         /* that year's regression */
    size_t nschools[ANA_MAX_YEARS];   /* schools in that year's regression */
    int fit[ANA_MAX_YEARS];           /* that year's regression in ana_context.fits,
                                         -1 when none */
    int present;                      /* years with a residual */
    enum ana_odds odds;               /* needs a residual in every year of the window
                                         (at least 2 years) */
};

/* One regression of a model: a breakdown and a year, across the district's schools:
 * the coefficients with their standard errors and significance (R summary(lm(y ~ x1 +
 * ... + xp))$coefficients; stats.h stats_ols_inference). */
struct ana_ctx_fit {
    const struct ana_model *model;
    const char *dim[IND_MAX_DIMS];
    int year;
    size_t nschools;
    int ncoef;                        /* 1 + the model's factors (intercept first) */
    double coef[ANA_MAX_FACTORS + 1], se[ANA_MAX_FACTORS + 1];
    double t[ANA_MAX_FACTORS + 1], p[ANA_MAX_FACTORS + 1];
    double r2, sigma, df;             /* R², residual SD, residual df */
};

struct ana_context {
    struct ana_ctx_school *v;
    size_t n, cap;
    struct ana_ctx_fit *fits;         /* every regression run, owned */
    size_t nfits;
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
