/*
 * stats.h — the numbers behind soko's judgements: intervals, trends, comparisons
 * with a cluster or district (z-scores, funnel limits, percentile ranks), empirical
 * Bayes shrinkage, context regression and the score-spike test for objectivity;
 * and the school-level methods that keep a rule's error rate at the level it states:
 * exact tail probabilities for classification, overdispersion (Spiegelhalter 2005),
 * false-discovery-rate and family-wise adjustment across a district's cells,
 * combined and pooled tests over a school's works, quasi-likelihood trends that admit
 * cohort noise, leave-one-out residuals, the intraclass correlation and a cluster
 * comparison with schools as units. docs/analysis.md describes each with its R call.
 *
 * Takes: plain arrays of doubles (counts are doubles because indicators hold them
 *   so; where a function needs whole numbers it says so and checks).
 * Gives: results through out-parameters; the return value is a status (enum
 *   stats_rc: 0 is success). On a nonzero status the out-parameters hold nothing
 *   the caller may use unless the function says otherwise.
 * Ownership: nothing is allocated for the caller and nothing is kept; output arrays
 *   are the caller's, sized as each function states. A few functions need scratch
 *   memory proportional to their input; they say so, take it with malloc and free it
 *   before returning (an allocation failure is STATS_ENUMERIC, never an abort). No
 *   function keeps state between calls: all are reentrant.
 * Failure: never prints, exits or aborts. Bad arguments give STATS_EINPUT; valid
 *   data that carry no answer (no spread, a singular design, a spike that cannot be
 *   tested) give STATS_EDEGENERATE; a GSL failure gives STATS_ENUMERIC.
 *   Call stats_init() once before anything else: it turns GSL's abort-on-error
 *   handler off, so that every GSL failure comes back as a status here.
 */
#ifndef SOKO_STATS_H
#define SOKO_STATS_H

#include <stddef.h>

enum stats_rc {
    STATS_OK = 0,
    STATS_EINPUT = 1,      /* argument outside the function's domain (n = 0, k > n, NaN) */
    STATS_EDEGENERATE = 2, /* valid data without an answer (zero variance, singular X) */
    STATS_ENUMERIC = 3     /* GSL reported an error or could not allocate */
};

/* Confidence levels of the intervals soko shows, and of the two funnel limits. */
#define STATS_LEVEL_95 0.95
#define STATS_LEVEL_998 0.998

/* Turns GSL's default error handler (which aborts) off. Idempotent. */
void stats_init(void);

/* "ok", "bad input", "degenerate data", "numerical failure"; "unknown" otherwise. */
const char *stats_rc_name(int rc);

/* --- intervals ------------------------------------------------------------------- */

/* A point estimate with its interval. has_interval is 0 when the data cannot give
 * one (spread unknown, a single observation): lo and hi are then NaN and a writer
 * shows the estimate alone rather than an interval of zero width. */
struct stats_ci {
    double est;
    double lo;
    double hi;
    int has_interval;
};

/* Wilson score interval for the share k/n (equals R prop.test(k, n, correct = FALSE)
 * $conf.int: its bound is exactly 0 at k = 0 and 1 at k = n). level in (0, 1), e.g.
 * STATS_LEVEL_95. Needs 0 <= k <= n, n > 0. */
int stats_wilson(double k, double n, double level, struct stats_ci *out);

/* Exact (Garwood) interval for a Poisson count k, a whole number >= 0: the gamma
 * quantiles that R poisson.test(k)$conf.int uses; the lower bound is 0 at k = 0. */
int stats_poisson_exact(double k, double level, struct stats_ci *out);

/* t-interval for a mean of n observations with standard deviation sd (R t.test).
 * Pass sd = NAN when the spread is unknown, and n = 1 is allowed: both give the
 * estimate with has_interval = 0. n must be >= 1, sd >= 0 or NaN. */
int stats_t_interval(double mean, double sd, double n, double level,
                     struct stats_ci *out);

/* Mean of g groups known only by their means and sizes (Σ counts·means / Σ counts).
 * Without the spread inside the groups there is no honest interval: has_interval
 * is always 0. counts >= 0 with a positive sum. */
int stats_groups_mean(const double *means, const double *counts, size_t g,
                      struct stats_ci *out);

/* --- pooling: a cluster's share is never the mean of its schools' shares ----------- */

/* Σk / Σn over len units. Each 0 <= k_i <= n_i; Σn > 0. */
int stats_pooled_share(const double *k, const double *n, size_t len, double *share);

/* Σ w·x / Σ w. Each w_i >= 0; Σw > 0. */
int stats_weighted_mean(const double *x, const double *w, size_t len, double *mean);

/* --- trends ----------------------------------------------------------------------- */

/* Weighted least-squares line through (x_i, y_i) with weights w_i (participants).
 * The standard error is scaled by the residual variance, as in R
 * summary(lm(y ~ x, weights = w)): GSL's cov11 treats w as 1/σ², which would make
 * the SE depend on the unit of n instead of on the scatter of the points. */
struct stats_trend {
    double slope;      /* change of y per unit of x (per year) */
    double intercept;
    double se;         /* standard error of the slope */
    double t;          /* slope / se */
    double p;          /* two-sided, t with df = npoints - 2; 0 for a perfect fit */
    size_t npoints;
};

/* Needs len >= 3 points, finite values, w_i > 0, and at least two distinct x
 * (else STATS_EDEGENERATE). */
int stats_wls_trend(const double *x, const double *y, const double *w, size_t len,
                    struct stats_trend *out);

/* Cochran–Armitage test for a trend in proportions k_i/n_i over ordered groups
 * with scores s_i (years, or 1..g); equals R prop.trend.test(k, n, s). */
struct stats_catrend {
    double z;      /* signed statistic: > 0 when the share grows with the score */
    double chisq;  /* z², chi-square with 1 df */
    double p;      /* two-sided p-value */
};

/* Needs g >= 2, 0 <= k_i <= n_i. Pooled share 0 or 1, or all scores equal among
 * groups with n_i > 0, give STATS_EDEGENERATE. */
int stats_cochran_armitage(const double *k, const double *n, const double *score,
                           size_t g, struct stats_catrend *out);

enum stats_direction {
    STATS_HIGHER_IS_BETTER,  /* pass rate, quality rate, mean score */
    STATS_LOWER_IS_BETTER    /* share of «2», share below the minimum */
};

enum stats_trend_label {
    STATS_TREND_NOT_ENOUGH_DATA,
    STATS_TREND_NO_CHANGE,      /* no significant change */
    STATS_TREND_IMPROVING,
    STATS_TREND_WORSENING
};

/* Labels a tested trend. effect is any signed measure of it (the WLS slope, the
 * Cochran–Armitage z); p its p-value. Fewer than 3 points, or an effect or p that
 * is not finite (the test could not be computed), is "not enough data"; p < alpha
 * with the sign in the good direction is improving, in the bad one worsening;
 * anything else is no significant change. */
enum stats_trend_label stats_trend_classify(double effect, double p, double alpha,
                                            enum stats_direction dir,
                                            size_t npoints);

/* "not_enough_data", "no_change", "improving", "worsening": stable identifiers
 * for rule files and writers (which translate them). */
const char *stats_trend_label_name(enum stats_trend_label label);

/* --- comparison with a target ------------------------------------------------------- */

/* z of the share k/n against a target p0, using the binomial SD of p0 at this n:
 * (k/n - p0) / sqrt(p0(1-p0)/n). p0 in (0, 1) (0 or 1 gives STATS_EDEGENERATE). */
int stats_z_share(double k, double n, double p0, double *z);

/* z of a mean of n observations against a target mean, where sd is the SD of the
 * individual scores (the district's): (mean - target) / (sd / sqrt(n)). Pass n = 1
 * if sd is already the standard error. sd > 0, n > 0. */
int stats_z_mean(double mean, double target, double sd, double n, double *z);

/* Funnel-plot control limits around a target at one unit size: 95% and 99.8%
 * (two-sided, i.e. tails of 2.5% and 0.1% on each side). */
struct stats_funnel {
    double lo998;
    double lo95;
    double hi95;
    double hi998;
};

/* Exact binomial limits for a share, Spiegelhalter (2005, appendix): with r_p the
 * p-quantile of Binomial(n, p0) (smallest r with F(r) >= p), the limit is
 * (r_p - a)/n, a = (F(r_p) - p) / (F(r_p) - F(r_p - 1)). The interpolation makes the
 * limits smooth in n instead of stepping with the discrete quantile. Limits are
 * clipped to [0, 1]: a clipped limit means no share at this n can fall beyond it.
 * n a whole number >= 1; p0 in (0, 1). */
int stats_funnel_share_exact(double p0, double n, struct stats_funnel *out);

/* Normal approximation p0 ± z·sqrt(p0(1-p0)/n), clipped to [0, 1]. Cheaper and
 * smooth but too narrow for small n or extreme p0; prefer the exact limits. */
int stats_funnel_share_normal(double p0, double n, struct stats_funnel *out);

/* Limits for a mean: target ± z·sd/sqrt(n), sd the SD of individual scores. */
int stats_funnel_mean(double target, double sd, double n, struct stats_funnel *out);

enum stats_funnel_pos {
    STATS_FUNNEL_INSIDE,
    STATS_FUNNEL_ABOVE_95,    /* above the 95% limit, not above 99.8% */
    STATS_FUNNEL_ABOVE_998,
    STATS_FUNNEL_BELOW_95,
    STATS_FUNNEL_BELOW_998
};

/* Where value falls. Beyond means strictly beyond: a value on a limit is inside,
 * so a clipped limit (0 or 1) never flags a unit. NaN is inside. */
enum stats_funnel_pos stats_funnel_classify(double value, const struct stats_funnel *f);

/* "inside", "above_95", "above_998", "below_95", "below_998". */
const char *stats_funnel_pos_name(enum stats_funnel_pos pos);

/* Percentile rank of value among values[0..len), in percent:
 * 100 · (#below + ½·#equal) / len. Ties share their mean rank, so for a member of
 * the array it is 100·(mean rank - ½)/len (R: 100*(rank(x) - 0.5)/length(x)).
 * A value below all others gives 0, above all 100, the median of an odd set 50.
 * len >= 1, all finite. */
int stats_percentile_rank(double value, const double *values, size_t len,
                          double *rank);

/* --- empirical Bayes shrinkage of shares ------------------------------------------- */

/* The beta prior fitted to the units' shares by the method of moments. */
struct stats_eb_prior {
    double alpha;
    double beta;
    double pooled;   /* Σk/Σn, the prior mean */
    double rho;      /* moment estimate of the intra-unit correlation 1/(α+β+1);
                        <= 0 when units differ no more than chance explains */
    int overdispersed; /* 0: the fallback prior below was used */
    size_t approx;   /* units whose interval came from the normal approximation
                        (see "Beta quantiles" below); 0 in the ordinary case */
};

/* Fits Beta(α, β) to units k_i of n_i and gives each unit its posterior mean
 * (k+α)/(n+α+β) and equal-tailed posterior interval at level (beta quantiles).
 *
 * Moments: with m = Σk/Σn, S = Σ n_i (k_i/n_i - m)², I units with n_i > 0 and
 * N = Σn, E[S] = m(1-m)[(I-1) + ρ(N - Σn_i²/N - (I-1))], solved for ρ; then
 * α+β = 1/ρ - 1, α = m(α+β), β = (1-m)(α+β).
 * Fallback: when ρ <= 0 (the shares vary no more than binomial sampling explains)
 * there is no evidence of differences between units, so every unit is pulled to
 * the pooled rate by a prior worth 100·N pupils — a hundred times all the data,
 * which moves no posterior mean more than 1% of its distance from the pooled rate.
 * The same cap bounds α+β when ρ is tiny, so the fit is continuous at ρ = 0; α+β is
 * also kept >= 1 so that extreme overdispersion still gives a proper prior.
 *
 * Arrays post_mean, lo, hi have len entries (the caller's). Units with n_i = 0 get
 * the prior's mean and interval. Needs len >= 2 with at least two n_i > 0,
 * 0 <= k_i <= n_i. A pooled share of 0 or 1 gives STATS_EDEGENERATE (the beta prior
 * does not exist). prior may be NULL.
 *
 * Beta quantiles: the cap makes α+β reach 100·N (1.2 million for 12,000 pupils), where
 * gsl_cdf_beta_Pinv returns NaN for some arguments and does not return at all for
 * others (α = β = 10⁶). Every interval bound therefore goes through one routine:
 * GSL's inverse when α+β <= 10⁶ and it gives a finite value in [0, 1]; else the root
 * of GSL's tail CDF (gsl_cdf_beta_P / _Q, accurate and fast in the tails at these
 * sizes) by bisection to full precision; only when that CDF itself fails, the normal
 * approximation with Cornish–Fisher skewness term μ + σ(z + γ₁(z² − 1)/6), clipped to
 * [0, 1], counted in prior->approx. Where α+β <= 10⁶ and GSL's inverse worked,
 * the values are those this function gave before; where it failed (the function
 * returned STATS_ENUMERIC and the cell lost its EB figures) or was not called (α+β
 * above 10⁶), the bisection gives R qbeta() to about 1e-12. See also
 * stats_eb_betabinom_floor. */
int stats_eb_betabinom(const double *k, const double *n, size_t len, double level,
                       struct stats_eb_prior *prior, double *post_mean,
                       double *lo, double *hi);

/* Default floor on ρ for stats_eb_betabinom_floor: α+β <= 1/ρ_min − 1 = 9,999. */
#define STATS_EB_RHO_MIN 1e-4

/* The same moment fit and posteriors as stats_eb_betabinom, with a floor on ρ
 * instead of the 100·N cap: ρ_used = max(ρ, rho_min), α+β = 1/ρ_used − 1 (kept >= 1
 * as above). When ρ <= rho_min (the shares vary no more than binomial sampling, or
 * ρ cannot be estimated because every n_i is 1) the prior is worth 1/rho_min − 1
 * pupils: with the default 1e-4, 9,999 — a school of 100 keeps 1% of its distance
 * from the pooled rate, one of 1,000 keeps 9%. A district's real ρ (about 0.025 for
 * ВПР) is far above the floor, so the floor acts only when the data show no
 * differences. α+β stays below 10⁴ + n, where every beta quantile is computed
 * exactly (see "Beta quantiles"); prior->overdispersed is 1 when ρ > rho_min.
 * rho_min in (0, 0.5]. R: the moment formulas written out in stats_reference.R
 * (eb_floor), intervals qbeta(c(t, 1 - t), k + α, n − k + β). */
int stats_eb_betabinom_floor(const double *k, const double *n, size_t len,
                             double level, double rho_min,
                             struct stats_eb_prior *prior, double *post_mean,
                             double *lo, double *hi);

/* --- context regression --------------------------------------------------------------- */

/* Ordinary least squares y ~ 1 + X over m units and p predictors; x is row-major
 * m×p (x[i*p + j] is predictor j of unit i). Gives coef[0..p] (intercept first),
 * r2 and each unit's internally studentized residual rstd[0..m), equal to R
 * rstandard(lm(y ~ x1 + ... + xp)): r_i / (s·sqrt(1 - h_ii)). A unit with leverage 1
 * gets NaN (R does the same). r2 or rstd may be NULL.
 * m <= p + 1 is STATS_EINPUT; a singular design (collinear predictors, a constant
 * predictor: singular values below 1e-7 of the largest after column scaling), a
 * constant y or an exact fit is STATS_EDEGENERATE. */
int stats_ols(const double *y, const double *x, size_t m, size_t p, double *coef,
              double *r2, double *rstd);

/* Fit summary of stats_ols_inference. */
struct stats_ols_fit {
    double r2;
    double sigma;   /* residual SD s = sqrt(RSS/(m − p − 1)) (R summary(lm)$sigma) */
    double df;      /* residual degrees of freedom m − p − 1 */
};

/* The same fit as stats_ols (same domain, same refusals, same coef) with the
 * inference the context model shows:
 *   se[0..p], tval[0..p], pval[0..p]: R summary(lm(y ~ x1 + ... + xp))$coefficients —
 *     se_j = s·sqrt([(X'X)⁻¹]_jj), t_j = coef_j/se_j, p_j = 2·P(T_df > |t_j|);
 *   rstudent[0..m): the externally studentized (leave-one-out) residual, R rstudent():
 *     t_i = r_i / (s_(i)·sqrt(1 − h_ii)), s_(i)² = ((m−p−1)s² − r_i²/(1 − h_ii))/(m−p−2),
 *     the residual standardized by the scatter of the other units, so that one
 *     extreme school does not hide itself by inflating s. t_i follows Student's t
 *     with m − p − 2 df under the model. NaN (as in R) for a unit of leverage 1,
 *     and for every unit when m − p − 2 = 0 (no df left without the unit);
 *   leverage[0..m): h_ii.
 * Any of se, tval, pval, rstudent, leverage, fit may be NULL. */
int stats_ols_inference(const double *y, const double *x, size_t m, size_t p,
                        double *coef, double *se, double *tval, double *pval,
                        double *rstudent, double *leverage, struct stats_ols_fit *fit);

/* --- objectivity: spike at a mark's lowest score -------------------------------------- */

/* One boundary test. Among the school's students with score b-1 or b, does b hold
 * more than the reference (district) distribution predicts? */
struct stats_spike {
    double x;         /* school students at b */
    double m;         /* school students at b-1 or b */
    double p_ref;     /* d[b] / (d[b-1] + d[b]); NaN if the reference has neither */
    double expected;  /* m·p_ref */
    double ratio;     /* x / expected: 1 means as in the district */
    double p;         /* one-sided exact binomial P(X' >= x), X' ~ Bin(m, p_ref) */
    int testable;     /* 0: m = 0 or p_ref is 0, 1 or undefined; p is NaN */
};

/* h and d are histograms over scores 0..len-1 (whole numbers >= 0); b is the lowest
 * score of a mark, 1 <= b < len. The reference d should exclude the school itself
 * if the school is a large part of it (the caller decides). Not testable returns
 * STATS_EDEGENERATE with out filled and out->testable = 0. */
int stats_spike_test(const double *h, const double *d, size_t len, size_t b,
                     struct stats_spike *out);

/* Combines the tests at several boundaries (marks 3, 4, 5) by the minimum p with a
 * Bonferroni correction: p = min(1, L·min p_i) over the L testable ones. Chosen over
 * Fisher's method because manipulation usually sits at one boundary (the pass mark)
 * where Fisher would dilute it, and because the note can name that boundary: *which
 * is its index in tests. No testable boundary gives STATS_EDEGENERATE. which may be
 * NULL. */
int stats_spike_combine(const struct stats_spike *tests, size_t len, double *p,
                        size_t *which);

/* The school-level spike test: one boundary (the «3» cut, say) pooled over a
 * school's works. Manipulation spread thin (6 pupils near the cut in each of 48
 * works) is invisible work by work and obvious in the sum.
 * Under H0 the pupils at b among those at b−1 or b are independent Bernoulli trials
 * with the reference share of each work, so S = Σ_j x_j is Poisson-binomial over
 * M = Σ m_j trials; p = P(S >= Σx), computed exactly (stats_poibin_upper with the
 * default cap). tests[] are the works' stats_spike_test results at that boundary;
 * untestable ones (testable = 0) are skipped. No testable work gives
 * STATS_EDEGENERATE with out->works = 0. */
struct stats_spike_pooled {
    double x;         /* Σ x_j: pupils at b over the works */
    double m;         /* Σ m_j: pupils at b−1 or b */
    double expected;  /* Σ m_j p_j */
    double ratio;     /* x / expected */
    double p;         /* P(S >= x) */
    double p_mid;     /* P(S > x) + ½P(S = x) */
    size_t works;     /* testable works pooled */
    int exact;        /* 1: exact; 0: normal approximation (M above the cap) */
};

int stats_spike_pool(const struct stats_spike *tests, size_t len,
                     struct stats_spike_pooled *out);

/* --- exact tail probabilities: classify by probability, not by drawn limits ------- */

/* Tails of a discrete X at the observed x. */
struct stats_tail {
    double pmf;            /* P(X = x) */
    double upper;          /* P(X >= x) */
    double lower;          /* P(X <= x) */
    double upper_mid;      /* P(X > x) + ½P(X = x) */
    double lower_mid;      /* P(X < x) + ½P(X = x) */
    double two_sided;      /* min(1, 2·min(upper, lower)): doubling the smaller tail,
                              the test whose rejection regions are the two funnel
                              tails (not binom.test's "minlike" two-sided p) */
    double two_sided_mid;  /* min(1, 2·min(upper_mid, lower_mid)) */
};

/* X ~ Binomial(n, p0) at x: R pbinom(x - 1, n, p0, lower.tail = FALSE) (upper),
 * pbinom(x, n, p0) (lower), dbinom(x, n, p0); upper equals
 * binom.test(x, n, p0, alternative = "greater")$p.value. x, n whole numbers,
 * 0 <= x <= n, n >= 1; p0 in (0, 1) (0 or 1: STATS_EDEGENERATE, X is certain). */
int stats_binom_tail(double x, double n, double p0, struct stats_tail *out);

/* X ~ Poisson(mu) at x (a count against its expectation, e.g. olympiad winners
 * against the district's rate): R ppois(x - 1, mu, lower.tail = FALSE), ppois(x, mu),
 * dpois(x, mu); upper = poisson.test(x, r = mu, alternative = "greater")$p.value.
 * x a whole number >= 0; mu > 0 finite (0: STATS_EDEGENERATE). */
int stats_pois_tail(double x, double mu, struct stats_tail *out);

/* One-sided tail probabilities at which a unit is beyond the funnel's limits:
 * 0.025 (95% two-sided) and 0.001 (99.8%). */
#define STATS_TAIL_95 0.025
#define STATS_TAIL_998 0.001

/* The funnel position from a unit's one-sided p-values (p_upper: of being this high,
 * e.g. stats_tail.upper; p_lower: this low, stats_tail.lower; or the mid-p pair),
 * instead of from the interpolated limits, which are for drawing: beyond 99.8% when
 * p < 0.001, beyond 95% when p < 0.025 (strictly, as "p equal to alpha is not
 * significant"), on the side of the smaller p. With exact tails, a unit consistent
 * with the target is flagged above (or below) 99.8% with probability <= 0.001 at any
 * n and p0 — the interpolated limits give up to several times that — and a share of
 * 100% is above 99.8% only when p0ⁿ < 0.001. Mid-p is closer to nominal on average
 * but may exceed it at some n. NaN is inside. */
enum stats_funnel_pos stats_classify_p(double p_upper, double p_lower);

/* District share without unit i, (K − k)/(N − n): the reference a unit is compared
 * with when it is a large part of the district. 0 <= k <= K, 0 <= n <= N, k <= n,
 * K <= N, 0 <= K − k <= N − n, N − n > 0; all finite. */
int stats_share_without(double K, double N, double k, double n, double *share);

/* --- overdispersion of a set of units (Spiegelhalter 2005) ------------------------- */

/* Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance,
 * Stat Med 24:1185–1202, §5–6; and Handling over-dispersion of performance
 * indicators, Qual Saf Health Care 14:347–351.
 *
 * Given I units' z-scores z_i = (y_i − θ)/s_i against the target θ (s_i the unit's
 * standard error under H0, e.g. sqrt(θ(1−θ)/n_i) for a share):
 *   winsorising: q_lo, q_hi are the w and 1 − w quantiles of the z_i (R quantile(z,
 *     c(w, 1 - w), type = 7): linear between order statistics at (I − 1)·w); each z_i
 *     below q_lo is set to q_lo, above q_hi to q_hi (pmin(pmax(z, q_lo), q_hi)). w = 0.1
 *     is Spiegelhalter's 10%/90%; 0 turns winsorising off;
 *   φ̂_w = (1/I) Σ z_w² — Spiegelhalter's estimate;
 *   φ̂ = φ̂_w / c(w) when opt->consistent (the default), else φ̂_w. c(w) = E[Z_w²] for
 *     Z ~ N(0, 1) winsorised at its own w-quantiles = (1 − 2w) − 2zφ(z) + 2wz²,
 *     z = Φ⁻¹(1 − w): 0.678655 at w = 0.1. Winsorising is scale-equivariant, so for
 *     normal z_i ~ N(0, φ), E[φ̂_w] ≈ c·φ: Spiegelhalter's φ̂_w is about 0.68 of the
 *     dispersion, τ² about half of it, and the "widened" limits still flag about six
 *     times the nominal rate at 99.8% when φ ≈ 3 (test_od_simulation). φ̂_w / c is
 *     consistent for φ when the z_i are identically N(0, φ);
 *   test of H0 φ = 1: S = I·φ̂ has mean df under H0, df = I (θ a given target, as
 *     Spiegelhalter) or I − 1 (opt->target_estimated: θ is the pooled value of these
 *     same units, soko's district value). Its variance is V(w)·I, V(w) = [E Z_w⁴ − c²
 *     + 4wk(z² − c) + 2w(1 − 2w)k²]/c², k = 2wz/φ(z) — the influence function of the
 *     winsorised second moment with estimated quantiles — 2.8116 at w = 0.1, 2 at
 *     w = 0. The p-value matches two moments: p = P(χ²(2·df/V) >= 2S/V). Simulated
 *     level at α = 0.05: 0.049–0.062 for I = 10–200. Without consistent, c = 1 and
 *     V = 2: p = P(χ²(df) >= I·φ̂_w), Spiegelhalter's test as published, which
 *     ignores the winsorising (level 0.0002 at I = 60);
 *   additive random effects (recommended): τ̂² = max(0, (I·φ̂ − (I − 1)) /
 *     (Σw_i − Σw_i²/Σw_i)), w_i = 1/s_i² (the DerSimonian–Laird form Spiegelhalter
 *     uses); units then vary as N(θ, s_i² + τ²);
 *   multiplicative: the variance s_i²·φ̂.
 * The adjustment is applied (out->adjusted = 1) when p < alpha and it widens
 * anything (τ² > 0, or φ̂ > 1); else the plain limits stand. The estimate is meant per
 * indicator, year and breakdown. Simulated with φ ≈ 3 (τ = 0.08 around ½, n 20..150,
 * θ the district's pooled value), the share of units beyond the 99.8% limits
 * (nominal 0.002) is 0.084 unadjusted, 0.012 with the published φ̂_w and 0.0027 /
 * 0.0031 / 0.0060 with the consistent φ̂ at I = 200 / 60 / 20: τ² is estimated, and
 * under random effects the z_i are not identically distributed, so a little excess
 * remains, more with few units. Under H0 the test rejects 5.0–5.5% at α = 0.05.
 *
 * z[i] that are not finite (a suppressed unit) are skipped, with their s[i]. s may be
 * NULL for STATS_OD_MULTIPLICATIVE (τ² is then NaN); each used s[i] > 0 finite.
 * Needs at least 2 usable units (3 with target_estimated); winsor in [0, 0.5);
 * alpha in (0, 1). opt NULL means STATS_OD_OPTS_DEFAULT. Uses an internal scratch
 * copy of z (malloc, freed; failure is STATS_ENUMERIC). R: the formulas written out
 * in stats_reference.R (od), c(w) and V(w) also by numerical integration. */
enum stats_od_method {
    STATS_OD_ADDITIVE,        /* s² + τ² */
    STATS_OD_MULTIPLICATIVE   /* φ̂·s² */
};

struct stats_od_opts {
    double winsor;          /* w: 0.1 */
    int consistent;         /* 1: φ̂_w/c(w) and the calibrated test; 0: as published */
    int target_estimated;   /* 1: df = I − 1 */
    double alpha;           /* level of the test of φ = 1 */
    enum stats_od_method method;
};

#define STATS_WINSOR_DEFAULT 0.10
#define STATS_OD_OPTS_DEFAULT {STATS_WINSOR_DEFAULT, 1, 1, 0.05, STATS_OD_ADDITIVE}

struct stats_od {
    double phi_w;      /* Spiegelhalter's φ̂_w = mean of z_w² */
    double phi;        /* the estimate used: φ̂_w/c, or φ̂_w */
    double c;          /* c(w) (1 without consistent) */
    double v;          /* V(w) (2 without consistent) */
    double chisq;      /* 2·I·φ̂/V, referred to χ²(df) */
    double df;         /* 2·df₀/V, df₀ = I or I − 1 */
    double p;          /* P(χ²(df) >= chisq) */
    double tau2;       /* τ̂² (additive; NaN when s was not given) */
    double z_lo;       /* winsorising bounds q_lo, q_hi */
    double z_hi;
    size_t units;      /* I: units used */
    enum stats_od_method method;  /* the widening stats_od_z/stats_od_funnel use */
    int adjusted;      /* 1: overdispersion shown (p < alpha) and applied */
};

int stats_overdispersion(const double *z, const double *s, size_t len,
                         const struct stats_od_opts *opt, struct stats_od *out);

/* The z-score of y against θ given the estimate: (y − θ)/sqrt(s² + τ²) (additive),
 * (y − θ)/(s·sqrt(φ̂)) (multiplicative), (y − θ)/s when od->adjusted = 0. A unit is
 * then classified by the normal tails of this z (stats_classify_p(Q(z), P(z))): once
 * the units vary beyond sampling, the exact binomial tail no longer describes them.
 * s > 0; all finite. */
int stats_od_z(double y, double theta, double s, const struct stats_od *od, double *z);

/* Funnel limits at a unit with standard error s: θ ± z_α·sqrt(s² + τ²) (additive),
 * θ ± z_α·sqrt(φ̂)·s (multiplicative), θ ± z_α·s when not adjusted; z_α of 95% and
 * 99.8% two-sided. Not clipped (a share's caller clips to [0, 1] for drawing). */
int stats_od_funnel(double theta, double s, const struct stats_od *od,
                    struct stats_funnel *out);

/* --- multiple testing across the cells of a district ----------------------------- */

enum stats_padj {
    STATS_PADJ_BH,          /* Benjamini–Hochberg: controls the false-discovery rate */
    STATS_PADJ_HOLM,        /* Holm: controls the family-wise error rate */
    STATS_PADJ_BONFERRONI   /* min(1, m·p): family-wise, cruder than Holm */
};

/* Adjusted p-values, R p.adjust(p, "BH" | "holm" | "bonferroni"): with m the number
 * of non-NaN p-values, sorted p_(1) <= ... <= p_(m),
 *   BH:   q_(i) = min_{j >= i} min(1, m/j · p_(j));
 *   Holm: q_(i) = max_{j <= i} min(1, (m − j + 1) · p_(j)).
 * Rejecting where q <= α keeps the FDR (BH, independent or positively dependent
 * tests) or the FWER (Holm, Bonferroni, any dependence) at α. NaN entries stay NaN
 * and do not count in m (as R's NA). Ties get equal q (as in R), so the result does
 * not depend on the order of the input. q may be p (in place). Each p in [0, 1] or
 * NaN; len >= 1. Uses an internal sorted copy (malloc, freed; failure is
 * STATS_ENUMERIC); reentrant. */
int stats_p_adjust(const double *p, size_t len, enum stats_padj method, double *q);

/* --- combining a school's p-values --------------------------------------------------- */

struct stats_combined {
    double stat;   /* Fisher: −2Σ ln p; Stouffer: Z */
    double p;      /* combined one-sided p-value */
    size_t k;      /* p-values combined */
};

/* Fisher's method: X = −2 Σ ln p_i ~ χ²(2k) under H0 (independent tests, uniform p),
 * p = P(χ²(2k) >= X), R pchisq(-2*sum(log(p)), 2*k, lower.tail = FALSE). Discrete
 * exact p-values are conservative here; mid-p-values are closer to uniform. NaN
 * entries are skipped; a p of 0 gives stat = +inf and p = 0. Each p in [0, 1] or
 * NaN; no usable p gives STATS_EDEGENERATE. */
int stats_combine_fisher(const double *p, size_t len, struct stats_combined *out);

/* Weighted Stouffer: Z = Σ w_i Φ⁻¹(1 − p_i) / sqrt(Σ w_i²), p = 1 − Φ(Z); R
 * pnorm(sum(w*qnorm(p, lower.tail = FALSE))/sqrt(sum(w^2)), lower.tail = FALSE).
 * Natural weights are sqrt(n_i). w may be NULL (all 1). NaN p entries are skipped;
 * each used p in (0, 1) (an exact tail of 1 cannot be combined: pass mid-p, which is
 * inside (0, 1)), w_i > 0 finite. No usable p gives STATS_EDEGENERATE. */
int stats_combine_stouffer(const double *p, const double *w, size_t len,
                           struct stats_combined *out);

/* Poisson-binomial upper tail: S = Σ_j Bin(m_j, p_j) independent, at x.
 * Exact by dynamic programming over the M = Σ m_j Bernoulli trials (pmf of the
 * partial sums, Π(1 − p + p·t) expanded one trial at a time: O(M²/2) operations, M+1
 * doubles of internal scratch — malloc, freed, failure STATS_ENUMERIC), when M <=
 * max_trials (0 means STATS_POIBIN_MAX_TRIALS). Above it the normal approximation
 * with continuity correction: P(S >= x) ≈ 1 − Φ((x − ½ − μ)/σ), mid-p
 * 1 − Φ((x − μ)/σ), μ = Σ m_j p_j, σ² = Σ m_j p_j (1 − p_j); out->exact says which.
 * m_j whole numbers >= 0, p_j in [0, 1], x a whole number (x <= 0 gives 1, x > M
 * gives 0). R: the same recursion written in stats_reference.R, checked there
 * against pbinom (equal p) and against a direct sum over two works. */
#define STATS_POIBIN_MAX_TRIALS 20000.0

struct stats_poibin {
    double x;
    double trials;     /* M */
    double mean;       /* μ */
    double var;        /* σ² */
    double upper;      /* P(S >= x) */
    double upper_mid;  /* P(S > x) + ½P(S = x) */
    int exact;
};

int stats_poibin_upper(const double *m, const double *p, size_t len, double x,
                       double max_trials, struct stats_poibin *out);

/* --- trends that admit cohort noise (quasi-likelihood) -------------------------------- */

/* A school's yearly figures move by more than sampling: each year is a new cohort.
 * These tests estimate that extra variation from the lack of fit of the line and
 * never let a perfect fit pass for certainty:
 *   φ_raw = Pearson χ²/(g − 2) (the quasi-likelihood dispersion, as R's
 *     summary.glm for quasi families and the residual variance of a weighted lm);
 *   φ = max(1, φ_raw) when floor_phi = 1 (soko's rule: never less variation than
 *     sampling alone), φ_raw when floor_phi = 0 (R's value, for comparison);
 *   SE(slope) = sqrt(φ·[(X'WX)⁻¹]₁₁), t = slope/SE, p = 2·P(T_{g−2} > |t|).
 * With g = 3 the t has 1 df: |t| > 12.71 is needed for p < 0.05, so three years of
 * one school are rarely a significant trend — that is what three cohorts can show.
 * Five years need |t| > 3.18. The caller labels with stats_trend_classify(slope, p,
 * ...); the slope is on the scale named below.
 * Common domain: g >= 3 points (else STATS_EINPUT), finite x with at least two
 * distinct values (else STATS_EDEGENERATE). With floor_phi = 0 a series that the line
 * fits exactly (Pearson χ² <= 1e-20 of the total weighted sum of squares, e.g.
 * deterministic values) is STATS_EDEGENERATE with out->exact_fit = 1: a zero
 * residual variance is no evidence of precision. With floor_phi = 1 it is tested
 * against sampling variance alone (φ = 1) and flagged exact_fit. */
struct stats_qtrend {
    double slope;      /* per unit of x */
    double intercept;  /* at x = 0 (R's coefficient) */
    double se;         /* with φ */
    double t;
    double df;         /* g − 2 */
    double p;          /* two-sided */
    double chisq;      /* Pearson χ² of the fit */
    double phi_raw;    /* χ²/(g − 2) */
    double phi;        /* used */
    size_t npoints;
    int floored;       /* 1: φ_raw < 1 was raised to 1 */
    int exact_fit;     /* the line fits exactly (see above) */
    int separated;     /* logit/log scale: the MLE does not exist (see below) */
    int iterations;    /* IRLS iterations (0 for the closed forms) */
};

enum stats_qscale {
    STATS_SCALE_LOGIT,   /* logistic regression: slope in log-odds per unit of x */
    STATS_SCALE_LINEAR   /* share scale: slope in share per unit of x */
};

/* Shares k_i/n_i against x_i (years).
 * LOGIT: quasi-binomial GLM fitted by IRLS (weighted least squares of the working
 *   response, iterated to a Newton step below 1e-12 of the SE; step halving if the
 *   deviance rises), Pearson χ² = Σ (k − nμ)²/(nμ(1 − μ)). R
 *   summary(glm(cbind(k, n - k) ~ x, family = quasibinomial))$coefficients["x", ]
 *   and $dispersion (floor_phi = 0). k = 0 or k = n in some years is fine. When the
 *   years separate the outcomes (every success at x >= c and every failure at x <= c
 *   for some c, e.g. 0/10, 0/12, 10/10) the slope's MLE is infinite: that is found
 *   from the data before fitting and gives STATS_EDEGENERATE with out->separated = 1
 *   (use LINEAR for such a series).
 * LINEAR: the Cochran–Armitage slope with lack-of-fit dispersion: b = the n-weighted
 *   least-squares slope of k/n on x, Var_0(b) = p̄(1 − p̄)/Σn(x − x̄)², p̄ = Σk/Σn,
 *   χ² = Σ n_i (k_i/n_i − fit_i)²/(p̄(1 − p̄)). With φ = 1, t equals the
 *   Cochran–Armitage z (stats_cochran_armitage), now referred to t(g − 2). R
 *   summary(lm(k/n ~ x, weights = n/(p̄(1 − p̄)))) (floor_phi = 0; its sigma² is φ_raw).
 * 0 <= k_i <= n_i, n_i > 0 (k need not be whole). A pooled share of 0 or 1 (nothing
 * varies) is STATS_EDEGENERATE. */
int stats_qb_trend(const double *k, const double *n, const double *x, size_t g,
                   enum stats_qscale scale, int floor_phi, struct stats_qtrend *out);

/* Counts k_i with exposure e_i (pupils, or 1 for a plain count): quasi-Poisson
 * log-linear GLM by IRLS, log E[k] = log e + a + b·x, Pearson χ² = Σ (k − μ)²/μ;
 * R summary(glm(k ~ x + offset(log(e)), family = quasipoisson)). The slope is in log
 * rate per unit of x. k_i >= 0, e_i > 0. No event in any year is STATS_EDEGENERATE;
 * so is every event in the years of the smallest or of the largest x only (the MLE is
 * infinite), with out->separated = 1. */
int stats_qp_trend(const double *k, const double *e, const double *x, size_t g,
                   int floor_phi, struct stats_qtrend *out);

/* Means y_i with known standard errors se_i (sd_i/sqrt(n_i)): weighted least squares
 * with w = 1/se², χ² = Σ w r², SE = sqrt(φ/Σw(x − x̄_w)²); R summary(lm(y ~ x,
 * weights = 1/se^2)) (floor_phi = 0: its sigma² is φ_raw). A zero se_i (a figure
 * without sampling variance, such as a context factor) is STATS_EDEGENERATE: such a
 * series has no sampling model to test against. se_i >= 0, finite. */
int stats_qmean_trend(const double *y, const double *se, const double *x, size_t g,
                      int floor_phi, struct stats_qtrend *out);

/* --- clustering of pupils in schools ------------------------------------------------- */

/* ANOVA estimator of the intraclass correlation of a binary outcome from school
 * counts k_i of n_i (Fleiss 1981; Ridout, Demétrio & Firth 1999, Biometrics 55:137):
 *   MSB = (Σ k_i²/n_i − (Σk)²/N)/(I − 1), MSW = (Σk − Σ k_i²/n_i)/(N − I),
 *   n₀ = (N − Σn_i²/N)/(I − 1), ICC = (MSB − MSW)/(MSB + (n₀ − 1)·MSW),
 * the mean squares of a one-way ANOVA of the pupils' 0/1 outcomes on school (R:
 * anova(lm(y ~ factor(school))) on the expanded data). It may be negative.
 * Design effect of the pooled share Σk/Σn under a common ICC (Kish):
 *   Var = p(1 − p)/N · [1 + (m̄_w − 1)·ICC], m̄_w = Σn_i²/N, the size-weighted mean
 *   school size; deff uses m̄_w, deff_mean the plain mean N/I (the textbook
 *   1 + (m̄ − 1)ρ); both use max(0, ICC).
 * Units with n_i = 0 are skipped. Needs >= 2 units with n_i > 0, N > I (someone
 * shares a school), 0 <= k_i <= n_i; pooled share 0 or 1 is STATS_EDEGENERATE. */
struct stats_icc {
    double icc;
    double msb, msw, n0;
    double pooled;      /* Σk/Σn */
    double mbar;        /* N/I */
    double mbar_w;      /* Σn²/N */
    double deff;        /* 1 + (m̄_w − 1)·max(0, ICC) */
    double deff_mean;   /* 1 + (m̄ − 1)·max(0, ICC) */
    size_t units;       /* I */
};

int stats_icc_binary(const double *k, const double *n, size_t len,
                     struct stats_icc *out);

/* A group of schools (a cluster) against the district's other schools, with the
 * schools as units: weighted least squares of the school values y_i on the group
 * indicator with weights w_i — for shares y = k/n and w = n, for means y = the mean
 * and w = n. The difference is then exactly the group's pooled value minus the
 * rest's (Σk/Σn of each, the values soko shows), and its SE comes from the scatter of
 * schools around their group's value, so pupils of one school are not counted as
 * independent (the design effect of 3–4 that a pupil-level z would ignore) and no
 * ICC model is needed; t has I − 2 df. R: summary(lm(y ~ g, weights = w))
 * $coefficients["g", ]. Chosen over a design-effect-corrected pupil z because it
 * needs no estimate of the ICC and, with a handful of schools per cluster, its t
 * reference is honest; over the unweighted t-test because that compares means of
 * school values, not the pooled values shown. Its limit: weights n treat a school's
 * value as varying like 1/n, while with an ICC a large school varies more than that,
 * so the test leans on the large schools (the estimate stays the pooled difference;
 * the residual variance absorbs the extra scatter on average).
 * Units with w_i = 0 are skipped (y may be NaN there). Needs w_i >= 0 finite, >= 1
 * unit in each group and >= 3 in all; an exact fit (all schools equal to their
 * group's value) is STATS_EDEGENERATE. in_group[i] nonzero marks the group. */
struct stats_group_test {
    double value_group;   /* Σwy/Σw over the group */
    double value_rest;
    double diff;          /* value_group − value_rest */
    double se;
    double t;
    double df;            /* I − 2 */
    double p;             /* two-sided */
    size_t units_group;
    size_t units_rest;
};

int stats_group_vs_rest(const double *y, const double *w, const int *in_group,
                        size_t len, struct stats_group_test *out);

#endif
