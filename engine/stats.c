/*
 * stats.c — see stats.h for the contract. Every function checks its arguments
 * before GSL sees them, so GSL errors should not happen; when they do (the handler
 * is off, see stats_init) they come back as STATS_ENUMERIC.
 */
#include "stats.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_vector.h>

void stats_init(void)
{
    gsl_set_error_handler_off();
}

const char *stats_rc_name(int rc)
{
    switch (rc) {
    case STATS_OK: return "ok";
    case STATS_EINPUT: return "bad input";
    case STATS_EDEGENERATE: return "degenerate data";
    case STATS_ENUMERIC: return "numerical failure";
    default: return "unknown";
    }
}

/* --- helpers ------------------------------------------------------------------------ */

static int level_ok(double level)
{
    return isfinite(level) && level > 0.0 && level < 1.0;
}

/* A count handed to GSL's discrete distributions, which take unsigned int. */
static int whole_count(double v)
{
    return isfinite(v) && v >= 0.0 && v == floor(v) && v <= (double)UINT_MAX;
}

static double clip01(double v)
{
    return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
}

/* Upper normal quantile for a two-sided level: 1.959964 for 0.95. */
static double z_for(double level)
{
    return gsl_cdf_ugaussian_Qinv((1.0 - level) / 2.0);
}

static void ci_none(struct stats_ci *out, double est)
{
    out->est = est;
    out->lo = NAN;
    out->hi = NAN;
    out->has_interval = 0;
}

/* --- intervals ---------------------------------------------------------------------- */

int stats_wilson(double k, double n, double level, struct stats_ci *out)
{
    if (!out || !isfinite(k) || !isfinite(n) || n <= 0.0 || k < 0.0 || k > n ||
        !level_ok(level))
        return STATS_EINPUT;
    double z = z_for(level);
    double ph = k / n;
    double z22n = z * z / (2.0 * n);
    double centre = ph + z22n;
    double half = z * sqrt(ph * (1.0 - ph) / n + z22n / (2.0 * n));
    double denom = 1.0 + 2.0 * z22n;
    out->est = ph;
    /* R pins the bounds at k = 0 and k = n; the formula gives them only up to
     * rounding, and an interval "from 1e-17" would read oddly in a note. */
    out->lo = k == 0.0 ? 0.0 : (centre - half) / denom;
    out->hi = k == n ? 1.0 : (centre + half) / denom;
    out->has_interval = 1;
    return STATS_OK;
}

int stats_poisson_exact(double k, double level, struct stats_ci *out)
{
    if (!out || !whole_count(k) || !level_ok(level))
        return STATS_EINPUT;
    double tail = (1.0 - level) / 2.0;
    /* Garwood: the bounds are gamma quantiles, Gamma(k) below and Gamma(k+1) above;
     * Gamma(0) is a point mass at 0. */
    double lo = k == 0.0 ? 0.0 : gsl_cdf_gamma_Pinv(tail, k, 1.0);
    double hi = gsl_cdf_gamma_Qinv(tail, k + 1.0, 1.0);
    if (!isfinite(lo) || !isfinite(hi))
        return STATS_ENUMERIC;
    out->est = k;
    out->lo = lo;
    out->hi = hi;
    out->has_interval = 1;
    return STATS_OK;
}

int stats_t_interval(double mean, double sd, double n, double level,
                     struct stats_ci *out)
{
    if (!out || !isfinite(mean) || !isfinite(n) || n < 1.0 || !level_ok(level) ||
        isinf(sd) || sd < 0.0)
        return STATS_EINPUT;
    if (isnan(sd) || n < 2.0) {
        ci_none(out, mean);
        return STATS_OK;
    }
    double t = gsl_cdf_tdist_Qinv((1.0 - level) / 2.0, n - 1.0);
    if (!isfinite(t))
        return STATS_ENUMERIC;
    double half = t * sd / sqrt(n);
    out->est = mean;
    out->lo = mean - half;
    out->hi = mean + half;
    out->has_interval = 1;
    return STATS_OK;
}

int stats_groups_mean(const double *means, const double *counts, size_t g,
                      struct stats_ci *out)
{
    double est;
    if (!out)
        return STATS_EINPUT;
    int rc = stats_weighted_mean(means, counts, g, &est);
    if (rc != STATS_OK)
        return rc;
    ci_none(out, est);
    return STATS_OK;
}

/* --- pooling ------------------------------------------------------------------------ */

int stats_pooled_share(const double *k, const double *n, size_t len, double *share)
{
    if (!k || !n || !share || len == 0)
        return STATS_EINPUT;
    double sk = 0.0, sn = 0.0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(k[i]) || !isfinite(n[i]) || k[i] < 0.0 || k[i] > n[i])
            return STATS_EINPUT;
        sk += k[i];
        sn += n[i];
    }
    if (sn <= 0.0)
        return STATS_EINPUT;
    *share = sk / sn;
    return STATS_OK;
}

int stats_weighted_mean(const double *x, const double *w, size_t len, double *mean)
{
    if (!x || !w || !mean || len == 0)
        return STATS_EINPUT;
    double sw = 0.0, swx = 0.0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(w[i]) || w[i] < 0.0)
            return STATS_EINPUT;
        if (w[i] == 0.0)
            continue;   /* a group without participants may have no mean at all */
        if (!isfinite(x[i]))
            return STATS_EINPUT;
        sw += w[i];
        swx += w[i] * x[i];
    }
    if (sw <= 0.0)
        return STATS_EINPUT;
    *mean = swx / sw;
    return STATS_OK;
}

/* --- trends ------------------------------------------------------------------------- */

int stats_wls_trend(const double *x, const double *y, const double *w, size_t len,
                    struct stats_trend *out)
{
    if (!x || !y || !w || !out || len < 3)
        return STATS_EINPUT;
    double sw = 0.0, swx = 0.0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || !isfinite(w[i]) || w[i] <= 0.0)
            return STATS_EINPUT;
        sw += w[i];
        swx += w[i] * x[i];
    }
    /* gsl_fit_wlinear divides by the weighted variance of x without checking it. */
    double xbar = swx / sw, sxx = 0.0;
    for (size_t i = 0; i < len; i++)
        sxx += w[i] * (x[i] - xbar) * (x[i] - xbar);
    if (!(sxx > 0.0))
        return STATS_EDEGENERATE;

    double c0, c1, cov00, cov01, cov11, chisq;
    if (gsl_fit_wlinear(x, 1, w, 1, y, 1, len, &c0, &c1, &cov00, &cov01, &cov11,
                        &chisq) != GSL_SUCCESS)
        return STATS_ENUMERIC;
    double df = (double)(len - 2);
    /* cov11 = 1/Σw(x-x̄)² assumes the weights are exact inverse variances. With
     * w = participants they are only relative, so, like lm(), scale by the
     * residual variance σ̂² = Σw·r²/(n-2) (chisq is that weighted sum). */
    double se = sqrt(cov11 * chisq / df);
    if (!isfinite(c1) || !isfinite(se))
        return STATS_ENUMERIC;
    out->slope = c1;
    out->intercept = c0;
    out->se = se;
    out->npoints = len;
    if (se > 0.0) {
        out->t = c1 / se;
        out->p = 2.0 * gsl_cdf_tdist_Q(fabs(out->t), df);
    } else {
        /* Points exactly on a line: R reports p < 2e-16 (a flat line gives NaN);
         * soko calls an exact non-zero slope certain and an exact flat line no change. */
        out->t = c1 == 0.0 ? 0.0 : copysign(INFINITY, c1);
        out->p = c1 == 0.0 ? 1.0 : 0.0;
    }
    return STATS_OK;
}

int stats_cochran_armitage(const double *k, const double *n, const double *score,
                           size_t g, struct stats_catrend *out)
{
    if (!k || !n || !score || !out || g < 2)
        return STATS_EINPUT;
    double sk = 0.0, sn = 0.0, snx = 0.0;
    for (size_t i = 0; i < g; i++) {
        if (!isfinite(k[i]) || !isfinite(n[i]) || !isfinite(score[i]) || k[i] < 0.0 ||
            k[i] > n[i])
            return STATS_EINPUT;
        sk += k[i];
        sn += n[i];
        snx += n[i] * score[i];
    }
    if (sn <= 0.0)
        return STATS_EINPUT;
    double p = sk / sn, xbar = snx / sn;
    if (p <= 0.0 || p >= 1.0)
        return STATS_EDEGENERATE;
    /* T = Σ k_i (x_i - x̄) with Var T = p(1-p) Σ n_i (x_i - x̄)²: the regression sum of
     * squares that R's prop.trend.test obtains from lm(k/n ~ x, weights = n/(p(1-p))). */
    double t = 0.0, sxx = 0.0;
    for (size_t i = 0; i < g; i++) {
        double dx = score[i] - xbar;
        t += k[i] * dx;
        sxx += n[i] * dx * dx;
    }
    if (!(sxx > 0.0))
        return STATS_EDEGENERATE;
    double v = p * (1.0 - p) * sxx;
    out->z = t / sqrt(v);
    out->chisq = t * t / v;
    out->p = gsl_cdf_chisq_Q(out->chisq, 1.0);
    if (!isfinite(out->z) || !isfinite(out->p))
        return STATS_ENUMERIC;
    return STATS_OK;
}

enum stats_trend_label stats_trend_classify(double effect, double p, double alpha,
                                            enum stats_direction dir, size_t npoints)
{
    if (npoints < 3 || !isfinite(effect) || !isfinite(p))
        return STATS_TREND_NOT_ENOUGH_DATA;
    if (!(p < alpha) || effect == 0.0)
        return STATS_TREND_NO_CHANGE;
    int up = effect > 0.0;
    int good = dir == STATS_HIGHER_IS_BETTER ? up : !up;
    return good ? STATS_TREND_IMPROVING : STATS_TREND_WORSENING;
}

const char *stats_trend_label_name(enum stats_trend_label label)
{
    switch (label) {
    case STATS_TREND_NOT_ENOUGH_DATA: return "not_enough_data";
    case STATS_TREND_NO_CHANGE: return "no_change";
    case STATS_TREND_IMPROVING: return "improving";
    case STATS_TREND_WORSENING: return "worsening";
    }
    return "unknown";
}

/* --- comparison --------------------------------------------------------------------- */

int stats_z_share(double k, double n, double p0, double *z)
{
    if (!z || !isfinite(k) || !isfinite(n) || !isfinite(p0) || n <= 0.0 || k < 0.0 ||
        k > n || p0 < 0.0 || p0 > 1.0)
        return STATS_EINPUT;
    if (p0 == 0.0 || p0 == 1.0)
        return STATS_EDEGENERATE;
    *z = (k / n - p0) / sqrt(p0 * (1.0 - p0) / n);
    return STATS_OK;
}

int stats_z_mean(double mean, double target, double sd, double n, double *z)
{
    if (!z || !isfinite(mean) || !isfinite(target) || !isfinite(sd) || !isfinite(n) ||
        sd <= 0.0 || n <= 0.0)
        return STATS_EINPUT;
    *z = (mean - target) / (sd / sqrt(n));
    return STATS_OK;
}

/* R's qbinom shrinks p by this much so that a quantile sitting exactly on a step
 * of the CDF is not pushed one step up by rounding in the CDF; doing the same
 * keeps the limits equal to R's at those steps. */
#define QFUZZ (64.0 * DBL_EPSILON)

/* One interpolated limit, Spiegelhalter (2005) appendix, for the lower-tail
 * probability q of Binomial(n, p0). For q > ½ the CDF near 1 is computed as 1 - Q
 * from the upper tail, where the absolute error is what matters in F(r) - q. */
static int spiegelhalter_limit(double q, double p0, unsigned int n, double *limit)
{
    int upper = q > 0.5;
    double tq = upper ? 1.0 - q : q;   /* the tail probability itself */
    /* Smallest r with F(r) >= q, by bisection: F(-1) = 0 < q <= F(n) = 1. */
    long lo = -1, hi = (long)n;
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        unsigned int r = (unsigned int)mid;
        int reached = upper ? gsl_cdf_binomial_Q(r, p0, n) <= tq * (1.0 + QFUZZ)
                            : gsl_cdf_binomial_P(r, p0, n) >= tq * (1.0 - QFUZZ);
        if (reached)
            hi = mid;
        else
            lo = mid;
    }
    unsigned int r = (unsigned int)hi;
    double pmf = gsl_ran_binomial_pdf(r, p0, n);   /* F(r) - F(r-1) */
    /* F(r) - q, from whichever tail holds it accurately. */
    double excess = upper ? tq - gsl_cdf_binomial_Q(r, p0, n)
                          : gsl_cdf_binomial_P(r, p0, n) - tq;
    if (!isfinite(pmf) || !isfinite(excess) || pmf <= 0.0)
        return STATS_ENUMERIC;
    *limit = clip01(((double)r - excess / pmf) / (double)n);
    return STATS_OK;
}

int stats_funnel_share_exact(double p0, double n, struct stats_funnel *out)
{
    if (!out || !isfinite(p0) || p0 < 0.0 || p0 > 1.0 || !whole_count(n) || n < 1.0)
        return STATS_EINPUT;
    if (p0 == 0.0 || p0 == 1.0)
        return STATS_EDEGENERATE;
    unsigned int un = (unsigned int)n;
    const double q[4] = {(1.0 - STATS_LEVEL_998) / 2.0, (1.0 - STATS_LEVEL_95) / 2.0,
                         (1.0 + STATS_LEVEL_95) / 2.0, (1.0 + STATS_LEVEL_998) / 2.0};
    double lim[4];
    for (int i = 0; i < 4; i++) {
        int rc = spiegelhalter_limit(q[i], p0, un, &lim[i]);
        if (rc != STATS_OK)
            return rc;
    }
    out->lo998 = lim[0];
    out->lo95 = lim[1];
    out->hi95 = lim[2];
    out->hi998 = lim[3];
    return STATS_OK;
}

int stats_funnel_share_normal(double p0, double n, struct stats_funnel *out)
{
    if (!out || !isfinite(p0) || p0 < 0.0 || p0 > 1.0 || !isfinite(n) || n <= 0.0)
        return STATS_EINPUT;
    if (p0 == 0.0 || p0 == 1.0)
        return STATS_EDEGENERATE;
    double se = sqrt(p0 * (1.0 - p0) / n);
    double z95 = z_for(STATS_LEVEL_95), z998 = z_for(STATS_LEVEL_998);
    out->lo998 = clip01(p0 - z998 * se);
    out->lo95 = clip01(p0 - z95 * se);
    out->hi95 = clip01(p0 + z95 * se);
    out->hi998 = clip01(p0 + z998 * se);
    return STATS_OK;
}

int stats_funnel_mean(double target, double sd, double n, struct stats_funnel *out)
{
    if (!out || !isfinite(target) || !isfinite(sd) || sd < 0.0 || !isfinite(n) ||
        n <= 0.0)
        return STATS_EINPUT;
    double se = sd / sqrt(n);
    double z95 = z_for(STATS_LEVEL_95), z998 = z_for(STATS_LEVEL_998);
    out->lo998 = target - z998 * se;
    out->lo95 = target - z95 * se;
    out->hi95 = target + z95 * se;
    out->hi998 = target + z998 * se;
    return STATS_OK;
}

enum stats_funnel_pos stats_funnel_classify(double value, const struct stats_funnel *f)
{
    if (!f || isnan(value))
        return STATS_FUNNEL_INSIDE;
    if (value > f->hi998)
        return STATS_FUNNEL_ABOVE_998;
    if (value > f->hi95)
        return STATS_FUNNEL_ABOVE_95;
    if (value < f->lo998)
        return STATS_FUNNEL_BELOW_998;
    if (value < f->lo95)
        return STATS_FUNNEL_BELOW_95;
    return STATS_FUNNEL_INSIDE;
}

const char *stats_funnel_pos_name(enum stats_funnel_pos pos)
{
    switch (pos) {
    case STATS_FUNNEL_INSIDE: return "inside";
    case STATS_FUNNEL_ABOVE_95: return "above_95";
    case STATS_FUNNEL_ABOVE_998: return "above_998";
    case STATS_FUNNEL_BELOW_95: return "below_95";
    case STATS_FUNNEL_BELOW_998: return "below_998";
    }
    return "unknown";
}

int stats_percentile_rank(double value, const double *values, size_t len, double *rank)
{
    if (!values || !rank || len == 0 || !isfinite(value))
        return STATS_EINPUT;
    size_t below = 0, equal = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(values[i]))
            return STATS_EINPUT;
        if (values[i] < value)
            below++;
        else if (values[i] == value)
            equal++;
    }
    *rank = 100.0 * ((double)below + 0.5 * (double)equal) / (double)len;
    return STATS_OK;
}

/* --- empirical Bayes ---------------------------------------------------------------- */

/* The prior's weight when the data show no differences between units, in units of
 * the total N: see stats.h. */
#define EB_STRONG_FACTOR 100.0

/* Above this α+β, gsl_cdf_beta_Pinv is not called: it returns NaN for some arguments
 * and loops for minutes at α = β = 10⁶ (GSL 2.7). Its tail CDF stays fast there. */
#define BETA_GSL_INV_MAX 1e6

/* Cornish–Fisher normal approximation to a beta quantile at the standard normal z:
 * μ + σ(z + γ₁(z² − 1)/6), clipped to [0, 1]. */
static double beta_cornish_fisher(double z, double a, double b)
{
    double ab = a + b;
    double mu = a / ab;
    double sd = sqrt(a * b / (ab * ab * (ab + 1.0)));
    double g1 = 2.0 * (b - a) * sqrt(ab + 1.0) / ((ab + 2.0) * sqrt(a * b));
    return clip01(mu + sd * (z + g1 * (z * z - 1.0) / 6.0));
}

/* The tail CDF of Beta(a, b) at x: P(X <= x) (upper = 0) or P(X > x) (upper = 1). */
static double beta_tail(double x, double a, double b, int upper)
{
    return upper ? gsl_cdf_beta_Q(x, a, b) : gsl_cdf_beta_P(x, a, b);
}

/* The quantile of Beta(a, b) with tail probability t in (0, ½] on the lower side
 * (upper = 0: P(X <= q) = t) or the upper side (upper = 1: P(X > q) = t). Never NaN:
 * GSL's inverse, else bisection on GSL's tail CDF, else Cornish–Fisher (*approx set
 * to 1). See stats.h, "Beta quantiles". */
static double beta_quantile(double t, double a, double b, int upper, int *approx)
{
    *approx = 0;
    if (a + b <= BETA_GSL_INV_MAX) {
        double q = upper ? gsl_cdf_beta_Qinv(t, a, b) : gsl_cdf_beta_Pinv(t, a, b);
        if (isfinite(q) && q >= 0.0 && q <= 1.0)
            return q;
    }
    /* Bracket the root: F(lo) <= t < F(hi) in the tail's direction, starting from
     * the approximation ± a few SDs (GSL's CDF can be NaN near the mean at large
     * a + b, so the bracket stays in the tail where possible), widening to [0, 1]. */
    double z = gsl_cdf_ugaussian_Pinv(t);   /* < 0 */
    double ab = a + b;
    double sd = sqrt(a * b / (ab * ab * (ab + 1.0)));
    double guess = beta_cornish_fisher(upper ? -z : z, a, b);
    /* In the direction of the tail: x_in is deeper in the tail (its tail probability
     * below t), x_out nearer the centre (above t). */
    double step = 0.5 * sd;
    double x_in = guess, x_out = guess;
    int ok = 0;
    for (int i = 0; i < 60; i++) {
        x_in = upper ? fmin(1.0, guess + step) : fmax(0.0, guess - step);
        x_out = upper ? fmax(0.0, guess - step) : fmin(1.0, guess + step);
        double f_in = beta_tail(x_in, a, b, upper);
        double f_out = beta_tail(x_out, a, b, upper);
        if (!isfinite(f_in) || !isfinite(f_out))
            break;
        if (f_in <= t && f_out > t) {
            ok = 1;
            break;
        }
        step *= 2.0;
    }
    if (ok) {
        /* Bisection to adjacent doubles (at most ~1100 halvings, in practice ~55). */
        for (int i = 0; i < 2000; i++) {
            double mid = x_in + (x_out - x_in) / 2.0;
            if (mid == x_in || mid == x_out)
                break;
            double f = beta_tail(mid, a, b, upper);
            if (!isfinite(f)) {
                ok = 0;
                break;
            }
            if (f <= t)
                x_in = mid;
            else
                x_out = mid;
        }
        if (ok)
            return x_in + (x_out - x_in) / 2.0;
    }
    *approx = 1;
    return guess;
}

static int beta_interval(double a, double b, double level, double *lo, double *hi,
                         size_t *approx)
{
    double tail = (1.0 - level) / 2.0;
    int al, ah;
    *lo = beta_quantile(tail, a, b, 0, &al);
    *hi = beta_quantile(tail, a, b, 1, &ah);
    if (al || ah)
        (*approx)++;
    return isfinite(*lo) && isfinite(*hi) ? STATS_OK : STATS_ENUMERIC;
}

/* The moment fit shared by stats_eb_betabinom (rho_min = 0: the 100·N cap) and
 * stats_eb_betabinom_floor (rho_min > 0: the floor). */
static int eb_fit(const double *k, const double *n, size_t len, double level,
                  double rho_min, struct stats_eb_prior *prior, double *post_mean,
                  double *lo, double *hi)
{
    if (!k || !n || !post_mean || !lo || !hi || len < 2 || !level_ok(level))
        return STATS_EINPUT;
    double sk = 0.0, sn = 0.0, sn2 = 0.0;
    size_t units = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(k[i]) || !isfinite(n[i]) || k[i] < 0.0 || k[i] > n[i])
            return STATS_EINPUT;
        sk += k[i];
        sn += n[i];
        sn2 += n[i] * n[i];
        if (n[i] > 0.0)
            units++;
    }
    if (units < 2)
        return STATS_EINPUT;
    double m = sk / sn;
    if (m <= 0.0 || m >= 1.0)
        return STATS_EDEGENERATE;

    double s = 0.0;
    for (size_t i = 0; i < len; i++) {
        if (n[i] > 0.0) {
            double d = k[i] / n[i] - m;
            s += n[i] * d * d;
        }
    }
    double excess = s / (m * (1.0 - m)) - (double)(units - 1);
    /* The coefficient of ρ in E[S]; it is 0 when every unit has n = 1, where binary
     * data cannot show overdispersion at all: then take the fallback. */
    double info = sn - sn2 / sn - (double)(units - 1);
    double rho = info > 0.0 ? excess / info : 0.0;
    double ab;
    int overdispersed;
    if (rho_min > 0.0) {
        double r = rho > rho_min ? rho : rho_min;
        ab = 1.0 / r - 1.0;
        overdispersed = rho > rho_min;
    } else {
        double cap = EB_STRONG_FACTOR * sn;
        ab = rho > 0.0 ? fmin(1.0 / rho - 1.0, cap) : cap;
        overdispersed = rho > 0.0 && 1.0 / rho - 1.0 < cap;
    }
    if (ab < 1.0)
        ab = 1.0;
    double a = m * ab, b = (1.0 - m) * ab;

    size_t approx = 0;
    for (size_t i = 0; i < len; i++) {
        double pa = k[i] + a, pb = n[i] - k[i] + b;
        post_mean[i] = pa / (pa + pb);
        int rc = beta_interval(pa, pb, level, &lo[i], &hi[i], &approx);
        if (rc != STATS_OK)
            return rc;
    }
    if (prior) {
        prior->alpha = a;
        prior->beta = b;
        prior->pooled = m;
        prior->rho = rho;
        prior->overdispersed = overdispersed;
        prior->approx = approx;
    }
    return STATS_OK;
}

int stats_eb_betabinom(const double *k, const double *n, size_t len, double level,
                       struct stats_eb_prior *prior, double *post_mean,
                       double *lo, double *hi)
{
    return eb_fit(k, n, len, level, 0.0, prior, post_mean, lo, hi);
}

int stats_eb_betabinom_floor(const double *k, const double *n, size_t len,
                             double level, double rho_min,
                             struct stats_eb_prior *prior, double *post_mean,
                             double *lo, double *hi)
{
    if (!(isfinite(rho_min) && rho_min > 0.0 && rho_min <= 0.5))
        return STATS_EINPUT;
    return eb_fit(k, n, len, level, rho_min, prior, post_mean, lo, hi);
}

/* --- regression --------------------------------------------------------------------- */

/* Relative size below which a singular value of the column-scaled design counts as
 * zero. R's lm() aliases a column whose residual norm falls below 1e-7 of its own;
 * the same order here makes soko refuse where R would drop a coefficient. */
#define OLS_RANK_TOL 1e-7

/* The fit behind stats_ols and stats_ols_inference; every output but coef may be
 * NULL. */
static int ols_core(const double *y, const double *x, size_t m, size_t p, double *coef,
                    double *r2, double *rstd, double *se, double *tval, double *pval,
                    double *rstudent, double *leverage, struct stats_ols_fit *fit)
{
    if (!y || (p > 0 && !x) || !coef || m <= p + 1)
        return STATS_EINPUT;
    size_t q = p + 1;   /* columns with the intercept */
    double ybar = 0.0;
    for (size_t i = 0; i < m; i++) {
        if (!isfinite(y[i]))
            return STATS_EINPUT;
        for (size_t j = 0; j < p; j++)
            if (!isfinite(x[i * p + j]))
                return STATS_EINPUT;
        ybar += y[i];
    }
    ybar /= (double)m;
    double tss = 0.0;
    for (size_t i = 0; i < m; i++)
        tss += (y[i] - ybar) * (y[i] - ybar);
    if (!(tss > 0.0))
        return STATS_EDEGENERATE;

    int rc = STATS_ENUMERIC;
    gsl_matrix *X = gsl_matrix_alloc(m, q);
    gsl_matrix *QR = gsl_matrix_alloc(m, q);
    gsl_matrix *cov = gsl_matrix_alloc(q, q);
    gsl_vector *Y = gsl_vector_alloc(m);
    gsl_vector *c = gsl_vector_alloc(q);
    gsl_vector *res = gsl_vector_alloc(m);
    gsl_vector *tau = gsl_vector_alloc(q);
    gsl_vector *row = gsl_vector_alloc(q);
    gsl_multifit_linear_workspace *work = gsl_multifit_linear_alloc(m, q);
    if (!X || !QR || !cov || !Y || !c || !res || !tau || !row || !work)
        goto done;

    for (size_t i = 0; i < m; i++) {
        gsl_matrix_set(X, i, 0, 1.0);
        for (size_t j = 0; j < p; j++)
            gsl_matrix_set(X, i, j + 1, x[i * p + j]);
        gsl_vector_set(Y, i, y[i]);
    }
    double chisq;
    size_t rank;
    /* The truncated-SVD variant reports the rank; plain gsl_multifit_linear would
     * silently drop a null direction and return a fit R would call aliased. */
    if (gsl_multifit_linear_tsvd(X, Y, OLS_RANK_TOL, c, cov, &chisq, &rank, work) !=
        GSL_SUCCESS)
        goto done;
    if (rank < q) {
        rc = STATS_EDEGENERATE;
        goto done;
    }
    if (gsl_multifit_linear_residuals(X, Y, c, res) != GSL_SUCCESS)
        goto done;
    double rss = 0.0;
    for (size_t i = 0; i < m; i++)
        rss += gsl_vector_get(res, i) * gsl_vector_get(res, i);
    if (!(rss > 0.0)) {
        rc = STATS_EDEGENERATE;   /* an exact fit: no scatter to standardize by */
        goto done;
    }
    double df = (double)(m - q);
    double s2 = rss / df;

    if (rstd || rstudent || leverage) {
        /* Leverage h_ii = x_i'(X'X)⁻¹x_i = |R⁻ᵀx_i|² with X = QR; it is computed
         * here because GSL's cov is already multiplied by σ̂². */
        if (gsl_matrix_memcpy(QR, X) != GSL_SUCCESS ||
            gsl_linalg_QR_decomp(QR, tau) != GSL_SUCCESS)
            goto done;
        gsl_matrix_const_view R = gsl_matrix_const_submatrix(QR, 0, 0, q, q);
        for (size_t i = 0; i < m; i++) {
            gsl_vector_const_view xi = gsl_matrix_const_row(X, i);
            if (gsl_vector_memcpy(row, &xi.vector) != GSL_SUCCESS ||
                gsl_blas_dtrsv(CblasUpper, CblasTrans, CblasNonUnit, &R.matrix, row) !=
                    GSL_SUCCESS)
                goto done;
            double h = gsl_blas_dnrm2(row);
            h *= h;
            double one_minus_h = 1.0 - h;
            double r = gsl_vector_get(res, i);
            int full = !(one_minus_h > 1e-12);   /* leverage 1 */
            if (leverage)
                leverage[i] = h;
            /* R: rstandard() turns the infinite value at h = 1 into NaN. */
            if (rstd)
                rstd[i] = full ? NAN : r / sqrt(s2 * one_minus_h);
            if (rstudent) {
                /* Leave-one-out variance: R's lm.influence sigma. */
                double s2i = m > q + 1 && !full
                                 ? (rss - r * r / one_minus_h) / (df - 1.0)
                                 : NAN;
                rstudent[i] = s2i > 0.0 ? r / sqrt(s2i * one_minus_h) : NAN;
            }
        }
    }
    for (size_t j = 0; j < q; j++) {
        coef[j] = gsl_vector_get(c, j);
        /* cov = σ̂²(X'X)⁻¹, the lm() covariance. */
        double sej = sqrt(gsl_matrix_get(cov, j, j));
        double tj = coef[j] / sej;
        if (se)
            se[j] = sej;
        if (tval)
            tval[j] = tj;
        if (pval)
            pval[j] = 2.0 * gsl_cdf_tdist_Q(fabs(tj), df);
    }
    if (r2)
        *r2 = 1.0 - rss / tss;
    if (fit) {
        fit->r2 = 1.0 - rss / tss;
        fit->sigma = sqrt(s2);
        fit->df = df;
    }
    rc = STATS_OK;

done:
    gsl_multifit_linear_free(work);
    gsl_vector_free(row);
    gsl_vector_free(tau);
    gsl_vector_free(res);
    gsl_vector_free(c);
    gsl_vector_free(Y);
    gsl_matrix_free(cov);
    gsl_matrix_free(QR);
    gsl_matrix_free(X);
    return rc;
}

int stats_ols(const double *y, const double *x, size_t m, size_t p, double *coef,
              double *r2, double *rstd)
{
    return ols_core(y, x, m, p, coef, r2, rstd, NULL, NULL, NULL, NULL, NULL, NULL);
}

int stats_ols_inference(const double *y, const double *x, size_t m, size_t p,
                        double *coef, double *se, double *tval, double *pval,
                        double *rstudent, double *leverage, struct stats_ols_fit *fit)
{
    return ols_core(y, x, m, p, coef, NULL, NULL, se, tval, pval, rstudent, leverage,
                    fit);
}

/* --- spike test --------------------------------------------------------------------- */

int stats_spike_test(const double *h, const double *d, size_t len, size_t b,
                     struct stats_spike *out)
{
    if (!h || !d || !out || b < 1 || b >= len)
        return STATS_EINPUT;
    for (size_t i = 0; i < len; i++)
        if (!whole_count(h[i]) || !whole_count(d[i]))
            return STATS_EINPUT;
    double x = h[b], m = h[b - 1] + h[b], dm = d[b - 1] + d[b];
    if (m > (double)UINT_MAX)
        return STATS_EINPUT;
    out->x = x;
    out->m = m;
    out->p_ref = dm > 0.0 ? d[b] / dm : NAN;
    out->expected = m * out->p_ref;
    out->ratio = NAN;
    out->p = NAN;
    out->testable = 0;
    /* m = 0: the school has nobody at the boundary; p_ref 0 or 1: the district has
     * nobody on one side, so any school count is either impossible or certain. */
    if (m == 0.0 || !(out->p_ref > 0.0 && out->p_ref < 1.0))
        return STATS_EDEGENERATE;
    out->ratio = x / out->expected;
    out->p = x == 0.0 ? 1.0
                      : gsl_cdf_binomial_Q((unsigned int)x - 1, out->p_ref,
                                           (unsigned int)m);
    if (!isfinite(out->p))
        return STATS_ENUMERIC;
    out->testable = 1;
    return STATS_OK;
}

int stats_spike_combine(const struct stats_spike *tests, size_t len, double *p,
                        size_t *which)
{
    if (!tests || !p || len == 0)
        return STATS_EINPUT;
    size_t tested = 0, best = 0;
    double pmin = INFINITY;
    for (size_t i = 0; i < len; i++) {
        if (!tests[i].testable)
            continue;
        if (!(tests[i].p >= 0.0 && tests[i].p <= 1.0))
            return STATS_EINPUT;
        tested++;
        if (tests[i].p < pmin) {
            pmin = tests[i].p;
            best = i;
        }
    }
    if (tested == 0)
        return STATS_EDEGENERATE;
    *p = fmin(1.0, (double)tested * pmin);
    if (which)
        *which = best;
    return STATS_OK;
}

/* --- pooled spike test -------------------------------------------------------------- */

int stats_spike_pool(const struct stats_spike *tests, size_t len,
                     struct stats_spike_pooled *out)
{
    if (!tests || !out || len == 0)
        return STATS_EINPUT;
    double *m = malloc(len * sizeof *m), *p = malloc(len * sizeof *p);
    if (!m || !p) {
        free(m);
        free(p);
        return STATS_ENUMERIC;
    }
    size_t used = 0;
    double sx = 0.0;
    int rc = STATS_OK;
    for (size_t i = 0; i < len; i++) {
        if (!tests[i].testable)
            continue;
        const struct stats_spike *t = &tests[i];
        if (!whole_count(t->x) || !whole_count(t->m) || t->x > t->m ||
            !(t->p_ref > 0.0 && t->p_ref < 1.0)) {
            rc = STATS_EINPUT;
            goto done;
        }
        m[used] = t->m;
        p[used] = t->p_ref;
        sx += t->x;
        used++;
    }
    out->works = used;
    out->x = sx;
    if (used == 0) {
        out->m = 0.0;
        out->expected = out->ratio = out->p = out->p_mid = NAN;
        out->exact = 0;
        rc = STATS_EDEGENERATE;
        goto done;
    }
    struct stats_poibin pb;
    rc = stats_poibin_upper(m, p, used, sx, 0.0, &pb);
    if (rc != STATS_OK)
        goto done;
    out->m = pb.trials;
    out->expected = pb.mean;
    out->ratio = sx / pb.mean;
    out->p = pb.upper;
    out->p_mid = pb.upper_mid;
    out->exact = pb.exact;
done:
    free(m);
    free(p);
    return rc;
}

/* --- exact tails -------------------------------------------------------------------- */

/* above = P(X > x), below = P(X < x), upper = P(X >= x), lower = P(X <= x). */
static int tail_fill(struct stats_tail *out, double pmf, double above, double below,
                     double upper, double lower)
{
    if (!isfinite(pmf) || !isfinite(above) || !isfinite(below) || !isfinite(upper) ||
        !isfinite(lower))
        return STATS_ENUMERIC;
    out->pmf = pmf;
    out->upper = clip01(upper);
    out->lower = clip01(lower);
    out->upper_mid = clip01(above + 0.5 * pmf);
    out->lower_mid = clip01(below + 0.5 * pmf);
    out->two_sided = fmin(1.0, 2.0 * fmin(out->upper, out->lower));
    out->two_sided_mid = fmin(1.0, 2.0 * fmin(out->upper_mid, out->lower_mid));
    return STATS_OK;
}

int stats_binom_tail(double x, double n, double p0, struct stats_tail *out)
{
    if (!out || !whole_count(x) || !whole_count(n) || n < 1.0 || x > n ||
        !isfinite(p0) || p0 < 0.0 || p0 > 1.0)
        return STATS_EINPUT;
    if (p0 == 0.0 || p0 == 1.0)
        return STATS_EDEGENERATE;
    unsigned int ux = (unsigned int)x, un = (unsigned int)n;
    /* Each tail from its own side, so that a tail of 1e-30 keeps its digits; the
     * certain ends are exact. */
    double pmf = gsl_ran_binomial_pdf(ux, p0, un);
    double above = ux == un ? 0.0 : gsl_cdf_binomial_Q(ux, p0, un);    /* P(X > x) */
    double below = ux == 0 ? 0.0 : gsl_cdf_binomial_P(ux - 1, p0, un); /* P(X < x) */
    double upper = ux == 0 ? 1.0 : gsl_cdf_binomial_Q(ux - 1, p0, un); /* P(X >= x) */
    double lower = ux == un ? 1.0 : gsl_cdf_binomial_P(ux, p0, un);    /* P(X <= x) */
    return tail_fill(out, pmf, above, below, upper, lower);
}

int stats_pois_tail(double x, double mu, struct stats_tail *out)
{
    if (!out || !whole_count(x) || !isfinite(mu) || mu < 0.0)
        return STATS_EINPUT;
    if (mu == 0.0)
        return STATS_EDEGENERATE;
    unsigned int ux = (unsigned int)x;
    double pmf = gsl_ran_poisson_pdf(ux, mu);
    double above = gsl_cdf_poisson_Q(ux, mu);
    double below = ux == 0 ? 0.0 : gsl_cdf_poisson_P(ux - 1, mu);
    double upper = ux == 0 ? 1.0 : gsl_cdf_poisson_Q(ux - 1, mu);
    double lower = gsl_cdf_poisson_P(ux, mu);
    return tail_fill(out, pmf, above, below, upper, lower);
}

enum stats_funnel_pos stats_classify_p(double p_upper, double p_lower)
{
    int up_ok = !isnan(p_upper), lo_ok = !isnan(p_lower);
    if (up_ok && (!lo_ok || p_upper <= p_lower)) {
        if (p_upper < STATS_TAIL_998)
            return STATS_FUNNEL_ABOVE_998;
        if (p_upper < STATS_TAIL_95)
            return STATS_FUNNEL_ABOVE_95;
    }
    if (lo_ok && (!up_ok || p_lower < p_upper)) {
        if (p_lower < STATS_TAIL_998)
            return STATS_FUNNEL_BELOW_998;
        if (p_lower < STATS_TAIL_95)
            return STATS_FUNNEL_BELOW_95;
    }
    return STATS_FUNNEL_INSIDE;
}

int stats_share_without(double K, double N, double k, double n, double *share)
{
    if (!share || !isfinite(K) || !isfinite(N) || !isfinite(k) || !isfinite(n) ||
        k < 0.0 || n < 0.0 || k > n || k > K || n > N || K > N || !(N - n > 0.0) ||
        K - k > N - n)
        return STATS_EINPUT;
    *share = (K - k) / (N - n);
    return STATS_OK;
}

/* --- overdispersion ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R quantile(type = 7) of sorted v[0..n) at probability q. */
static double quantile7(const double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    double fl = floor(h);
    size_t j = (size_t)fl;
    if (j + 1 >= n)
        return v[n - 1];
    return v[j] + (h - fl) * (v[j + 1] - v[j]);
}

/* c(w) = E[Z_w²] and V(w) = I·Var(φ̂_w/c) (asymptotic, quantiles estimated) for
 * standard normal Z winsorised at its w and 1 − w quantiles; see stats.h. */
static void winsor_constants(double w, double *c, double *v)
{
    if (w == 0.0) {
        *c = 1.0;
        *v = 2.0;
        return;
    }
    double z = gsl_cdf_ugaussian_Qinv(w), f = gsl_ran_ugaussian_pdf(z);
    double cc = (1.0 - 2.0 * w) - 2.0 * z * f + 2.0 * w * z * z;
    double e4 = 3.0 * (1.0 - 2.0 * w) - 2.0 * f * (z * z * z + 3.0 * z) +
                2.0 * w * z * z * z * z;
    double k = 2.0 * w * z / f;
    *c = cc;
    *v = (e4 - cc * cc + 4.0 * w * k * (z * z - cc) + 2.0 * w * (1.0 - 2.0 * w) * k * k) /
         (cc * cc);
}

int stats_overdispersion(const double *z, const double *s, size_t len,
                         const struct stats_od_opts *opt, struct stats_od *out)
{
    static const struct stats_od_opts def = STATS_OD_OPTS_DEFAULT;
    if (!opt)
        opt = &def;
    double winsor = opt->winsor, alpha = opt->alpha;
    enum stats_od_method method = opt->method;
    if (!z || !out || len == 0 || !isfinite(winsor) || winsor < 0.0 || winsor >= 0.5 ||
        !level_ok(alpha) ||
        (method != STATS_OD_ADDITIVE && method != STATS_OD_MULTIPLICATIVE) ||
        (method == STATS_OD_ADDITIVE && !s))
        return STATS_EINPUT;
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(z[i]))
            continue;
        if (s && !(isfinite(s[i]) && s[i] > 0.0))
            return STATS_EINPUT;
        used++;
    }
    if (used < (opt->target_estimated ? 3u : 2u))
        return STATS_EINPUT;
    double *v = malloc(used * sizeof *v);
    if (!v)
        return STATS_ENUMERIC;
    size_t j = 0;
    for (size_t i = 0; i < len; i++)
        if (isfinite(z[i]))
            v[j++] = z[i];
    qsort(v, used, sizeof *v, cmp_double);
    double qlo = quantile7(v, used, winsor), qhi = quantile7(v, used, 1.0 - winsor);
    free(v);

    double sz2 = 0.0, sw = 0.0, sw2 = 0.0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(z[i]))
            continue;
        double zw = z[i] < qlo ? qlo : (z[i] > qhi ? qhi : z[i]);
        sz2 += zw * zw;
        if (s) {
            double w = 1.0 / (s[i] * s[i]);
            sw += w;
            sw2 += w * w;
        }
    }
    double I = (double)used;
    double c = 1.0, vf = 2.0;
    if (opt->consistent)
        winsor_constants(winsor, &c, &vf);
    double df0 = opt->target_estimated ? I - 1.0 : I;
    out->units = used;
    out->z_lo = qlo;
    out->z_hi = qhi;
    out->phi_w = sz2 / I;
    out->phi = out->phi_w / c;
    out->c = c;
    out->v = vf;
    out->chisq = 2.0 * I * out->phi / vf;
    out->df = 2.0 * df0 / vf;
    out->p = gsl_cdf_chisq_Q(out->chisq, out->df);
    out->method = method;
    if (s) {
        double denom = sw - sw2 / sw;
        out->tau2 = denom > 0.0 ? fmax(0.0, (I * out->phi - (I - 1.0)) / denom) : 0.0;
    } else {
        out->tau2 = NAN;
    }
    if (!isfinite(out->phi) || !isfinite(out->p))
        return STATS_ENUMERIC;
    int widens = method == STATS_OD_ADDITIVE ? out->tau2 > 0.0 : out->phi > 1.0;
    out->adjusted = out->p < alpha && widens;
    return STATS_OK;
}

/* The variance multiplier/addition of an estimate: the unit's SD under it. */
static double od_sd(double s, const struct stats_od *od)
{
    if (!od->adjusted)
        return s;
    if (od->method == STATS_OD_ADDITIVE)
        return sqrt(s * s + od->tau2);
    return s * sqrt(od->phi);
}

static int od_ok(const struct stats_od *od)
{
    if (!od)
        return 0;
    if (!od->adjusted)
        return 1;
    if (od->method == STATS_OD_ADDITIVE)
        return isfinite(od->tau2) && od->tau2 >= 0.0;
    return od->method == STATS_OD_MULTIPLICATIVE && isfinite(od->phi) && od->phi > 0.0;
}

int stats_od_z(double y, double theta, double s, const struct stats_od *od, double *z)
{
    if (!z || !od_ok(od) || !isfinite(y) || !isfinite(theta) || !isfinite(s) || s <= 0.0)
        return STATS_EINPUT;
    *z = (y - theta) / od_sd(s, od);
    return STATS_OK;
}

int stats_od_funnel(double theta, double s, const struct stats_od *od,
                    struct stats_funnel *out)
{
    if (!out || !od_ok(od) || !isfinite(theta) || !isfinite(s) || s <= 0.0)
        return STATS_EINPUT;
    double sd = od_sd(s, od);
    double z95 = z_for(STATS_LEVEL_95), z998 = z_for(STATS_LEVEL_998);
    out->lo998 = theta - z998 * sd;
    out->lo95 = theta - z95 * sd;
    out->hi95 = theta + z95 * sd;
    out->hi998 = theta + z998 * sd;
    return STATS_OK;
}

/* --- multiple testing --------------------------------------------------------------- */

/* A p-value with its position: sorted by p, ties by position, a deterministic order
 * (the q-values of ties are equal either way). */
struct p_at {
    double p;
    size_t i;
};

static int cmp_p_at(const void *a, const void *b)
{
    const struct p_at *x = a, *y = b;
    if (x->p < y->p)
        return -1;
    if (x->p > y->p)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

int stats_p_adjust(const double *p, size_t len, enum stats_padj method, double *q)
{
    if (!p || !q || len == 0 ||
        (method != STATS_PADJ_BH && method != STATS_PADJ_HOLM &&
         method != STATS_PADJ_BONFERRONI))
        return STATS_EINPUT;
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        if (isnan(p[i]))
            continue;
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return STATS_EINPUT;
        m++;
    }
    if (m == 0) {
        for (size_t i = 0; i < len; i++)
            q[i] = NAN;
        return STATS_OK;
    }
    double dm = (double)m;
    if (method == STATS_PADJ_BONFERRONI) {
        for (size_t i = 0; i < len; i++)
            q[i] = isnan(p[i]) ? NAN : fmin(1.0, dm * p[i]);
        return STATS_OK;
    }
    struct p_at *o = malloc(m * sizeof *o);
    if (!o)
        return STATS_ENUMERIC;
    size_t j = 0;
    for (size_t i = 0; i < len; i++)
        if (!isnan(p[i]))
            o[j++] = (struct p_at){p[i], i};
    qsort(o, m, sizeof *o, cmp_p_at);
    /* o holds copies of the p-values, so q may be p. */
    for (size_t i = 0; i < len; i++)
        if (isnan(p[i]))
            q[i] = NAN;
    if (method == STATS_PADJ_BH) {
        /* From the largest p down: q_(i) = min(q_(i+1), m/i · p_(i)). */
        double run = 1.0;
        for (size_t r = m; r-- > 0;) {
            double v = dm / (double)(r + 1) * o[r].p;
            if (v < run)
                run = v;
            q[o[r].i] = run;
        }
    } else {
        /* From the smallest p up: q_(i) = max(q_(i-1), (m − i + 1) · p_(i)). */
        double run = 0.0;
        for (size_t r = 0; r < m; r++) {
            double v = fmin(1.0, (dm - (double)r) * o[r].p);
            if (v > run)
                run = v;
            q[o[r].i] = run;
        }
    }
    free(o);
    return STATS_OK;
}

/* --- combining p-values ------------------------------------------------------------- */

int stats_combine_fisher(const double *p, size_t len, struct stats_combined *out)
{
    if (!p || !out || len == 0)
        return STATS_EINPUT;
    double x = 0.0;
    size_t k = 0;
    int zero = 0;
    for (size_t i = 0; i < len; i++) {
        if (isnan(p[i]))
            continue;
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return STATS_EINPUT;
        if (p[i] == 0.0)
            zero = 1;
        else
            x -= 2.0 * log(p[i]);
        k++;
    }
    out->k = k;
    if (k == 0)
        return STATS_EDEGENERATE;
    if (zero) {
        out->stat = INFINITY;
        out->p = 0.0;
        return STATS_OK;
    }
    out->stat = x;
    out->p = gsl_cdf_chisq_Q(x, 2.0 * (double)k);
    return isfinite(out->p) ? STATS_OK : STATS_ENUMERIC;
}

int stats_combine_stouffer(const double *p, const double *w, size_t len,
                           struct stats_combined *out)
{
    if (!p || !out || len == 0)
        return STATS_EINPUT;
    double num = 0.0, sw2 = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (isnan(p[i]))
            continue;
        double wi = w ? w[i] : 1.0;
        if (!(p[i] > 0.0 && p[i] < 1.0) || !isfinite(wi) || wi <= 0.0)
            return STATS_EINPUT;
        num += wi * gsl_cdf_ugaussian_Qinv(p[i]);
        sw2 += wi * wi;
        k++;
    }
    out->k = k;
    if (k == 0)
        return STATS_EDEGENERATE;
    out->stat = num / sqrt(sw2);
    out->p = gsl_cdf_ugaussian_Q(out->stat);
    return isfinite(out->stat) && isfinite(out->p) ? STATS_OK : STATS_ENUMERIC;
}

int stats_poibin_upper(const double *m, const double *p, size_t len, double x,
                       double max_trials, struct stats_poibin *out)
{
    if (!m || !p || !out || len == 0 || !isfinite(x) || x != floor(x) ||
        !isfinite(max_trials) || max_trials < 0.0)
        return STATS_EINPUT;
    if (max_trials == 0.0)
        max_trials = STATS_POIBIN_MAX_TRIALS;
    double M = 0.0, mu = 0.0, var = 0.0;
    for (size_t j = 0; j < len; j++) {
        if (!whole_count(m[j]) || !isfinite(p[j]) || p[j] < 0.0 || p[j] > 1.0)
            return STATS_EINPUT;
        M += m[j];
        mu += m[j] * p[j];
        var += m[j] * p[j] * (1.0 - p[j]);
    }
    out->x = x;
    out->trials = M;
    out->mean = mu;
    out->var = var;
    if (M <= max_trials && M <= (double)(SIZE_MAX / sizeof(double)) - 1.0) {
        size_t nm = (size_t)M;
        double *f = malloc((nm + 1) * sizeof *f);
        if (!f)
            return STATS_ENUMERIC;
        /* f[s] = P(partial sum = s) after the trials so far; top is the largest s. */
        f[0] = 1.0;
        size_t top = 0;
        for (size_t j = 0; j < len; j++) {
            double pj = p[j], qj = 1.0 - p[j];
            for (size_t t = 0; t < (size_t)m[j]; t++) {
                f[top + 1] = f[top] * pj;
                for (size_t s = top; s > 0; s--)
                    f[s] = f[s] * qj + f[s - 1] * pj;
                f[0] *= qj;
                top++;
            }
        }
        double up = 0.0, at = 0.0;
        if (x <= 0.0) {
            up = 1.0;
            at = x == 0.0 ? f[0] : 0.0;
        } else if (x <= M) {
            size_t xs = (size_t)x;
            /* Summed from the far end: the small terms first. */
            for (size_t s = nm; s > xs; s--)
                up += f[s];
            at = f[xs];
            up += at;
        }
        free(f);
        out->upper = fmin(1.0, up);
        out->upper_mid = fmin(1.0, up - 0.5 * at);
        out->exact = 1;
        return STATS_OK;
    }
    /* Normal approximation with continuity correction. */
    out->exact = 0;
    if (!(var > 0.0)) {
        /* every p_j is 0 or 1: S = μ surely */
        out->upper = x <= mu ? 1.0 : 0.0;
        out->upper_mid = x < mu ? 1.0 : (x == mu ? 0.5 : 0.0);
        return STATS_OK;
    }
    double sd = sqrt(var);
    out->upper = x <= 0.0 ? 1.0 : gsl_cdf_ugaussian_Q((x - 0.5 - mu) / sd);
    out->upper_mid = gsl_cdf_ugaussian_Q((x - mu) / sd);
    return STATS_OK;
}

/* --- trends with lack-of-fit dispersion --------------------------------------------- */

static void qtrend_init(struct stats_qtrend *out, size_t g)
{
    out->slope = out->intercept = out->se = out->t = out->p = NAN;
    out->chisq = out->phi_raw = out->phi = NAN;
    out->df = (double)g - 2.0;
    out->npoints = g;
    out->floored = out->exact_fit = out->separated = 0;
    out->iterations = 0;
}

/* Weighted least squares of z on x with weights w (closed form, one predictor):
 * slope, intercept at x = 0, Sxx = Σw(x − x̄_w)², and the weighted total and residual
 * sums of squares. */
struct wls1 {
    double slope, intercept, xbar, sw, sxx, tss, rss;
};

static void wls_line(const double *x, const double *z, const double *w, size_t g,
                     struct wls1 *r)
{
    double sw = 0.0, swx = 0.0, swz = 0.0;
    for (size_t i = 0; i < g; i++) {
        sw += w[i];
        swx += w[i] * x[i];
        swz += w[i] * z[i];
    }
    double xb = swx / sw, zb = swz / sw, sxx = 0.0, sxz = 0.0, tss = 0.0;
    for (size_t i = 0; i < g; i++) {
        double dx = x[i] - xb, dz = z[i] - zb;
        sxx += w[i] * dx * dx;
        sxz += w[i] * dx * dz;
        tss += w[i] * dz * dz;
    }
    r->slope = sxz / sxx;
    r->intercept = zb - r->slope * xb;
    r->xbar = xb;
    r->sw = sw;
    r->sxx = sxx;
    r->tss = tss;
    double rss = 0.0;
    for (size_t i = 0; i < g; i++) {
        double e = z[i] - (r->intercept + r->slope * x[i]);
        rss += w[i] * e * e;
    }
    r->rss = rss;
}

/* Relative size of the Pearson χ² below which the line fits exactly. */
#define QTREND_EXACT 1e-20

/* The common end of every trend: φ, SE, t, p from the slope, its unscaled variance
 * (1/Σw(x − x̄)²), the Pearson χ² and the total weighted SS of the response. */
static int qtrend_finish(struct stats_qtrend *out, double slope, double intercept,
                         double var0, double chisq, double tss, int floor_phi)
{
    double df = out->df;
    out->slope = slope;
    out->intercept = intercept;
    out->chisq = chisq;
    out->phi_raw = chisq / df;
    out->exact_fit = !(chisq > QTREND_EXACT * tss);
    if (!floor_phi && out->exact_fit)
        return STATS_EDEGENERATE;
    out->phi = floor_phi ? fmax(1.0, out->phi_raw) : out->phi_raw;
    out->floored = floor_phi && out->phi_raw < 1.0;
    out->se = sqrt(out->phi * var0);
    out->t = slope / out->se;
    out->p = 2.0 * gsl_cdf_tdist_Q(fabs(out->t), df);
    if (!isfinite(out->slope) || !isfinite(out->se) || !(out->se > 0.0) ||
        !isfinite(out->p))
        return STATS_ENUMERIC;
    return STATS_OK;
}

static int distinct_x(const double *x, size_t g)
{
    for (size_t i = 1; i < g; i++)
        if (x[i] != x[0])
            return 1;
    return 0;
}

/* Scratch of the IRLS loops: g points at most, the caller's g is small (years), but
 * any g is allowed, so it is allocated. */
struct irls {
    double *xc, *w, *z, *eta;
};

static int irls_alloc(struct irls *s, size_t g)
{
    s->xc = malloc(g * sizeof(double));
    s->w = malloc(g * sizeof(double));
    s->z = malloc(g * sizeof(double));
    s->eta = malloc(g * sizeof(double));
    return s->xc && s->w && s->z && s->eta;
}

static void irls_free(struct irls *s)
{
    free(s->xc);
    free(s->w);
    free(s->z);
    free(s->eta);
}

#define IRLS_MAXIT 100
#define IRLS_TOL 1e-12   /* Newton step, in units of the coefficient's SE */

static double expit(double e)
{
    return e >= 0.0 ? 1.0 / (1.0 + exp(-e)) : exp(e) / (1.0 + exp(e));
}

/* Binomial deviance at η (logit). */
static double binom_deviance(const double *k, const double *n, const double *eta,
                             size_t g)
{
    double d = 0.0;
    for (size_t i = 0; i < g; i++) {
        double mu = expit(eta[i]);
        if (k[i] > 0.0)
            d += k[i] * log(k[i] / (n[i] * mu));
        if (n[i] - k[i] > 0.0)
            d += (n[i] - k[i]) * log((n[i] - k[i]) / (n[i] * (1.0 - mu)));
    }
    return 2.0 * d;
}

static double pois_deviance(const double *k, const double *e, const double *eta,
                            size_t g)
{
    double d = 0.0;
    for (size_t i = 0; i < g; i++) {
        double mu = e[i] * exp(eta[i]);
        d += (k[i] > 0.0 ? k[i] * log(k[i] / mu) : 0.0) - (k[i] - mu);
    }
    return 2.0 * d;
}

/* IRLS for one predictor (centred x) with the canonical link of family fam
 * (0 binomial logit, 1 Poisson log with offset log e). eta holds the linear
 * predictor without offset; on return a + b·xc. */
static int irls_fit(int fam, const double *k, const double *n, size_t g,
                    struct irls *s, double *a, double *b, int *iters)
{
    /* R's starting values: mustart = (n·y + ½)/(n + 1), and y + 0.1. */
    for (size_t i = 0; i < g; i++) {
        if (fam == 0) {
            double mu = (k[i] + 0.5) / (n[i] + 1.0);
            s->eta[i] = log(mu / (1.0 - mu));
        } else {
            s->eta[i] = log((k[i] + 0.1) / n[i]);
        }
    }
    double dev = fam == 0 ? binom_deviance(k, n, s->eta, g) : pois_deviance(k, n, s->eta, g);
    double a0 = NAN, b0 = NAN;
    for (int it = 1; it <= IRLS_MAXIT; it++) {
        for (size_t i = 0; i < g; i++) {
            if (fam == 0) {
                double mu = expit(s->eta[i]), v = mu * (1.0 - mu);
                s->w[i] = n[i] * v;
                s->z[i] = s->eta[i] + (k[i] / n[i] - mu) / v;
            } else {
                double mu = n[i] * exp(s->eta[i]);
                s->w[i] = mu;
                s->z[i] = s->eta[i] + (k[i] - mu) / mu;
            }
            if (!(isfinite(s->w[i]) && s->w[i] > 0.0 && isfinite(s->z[i])))
                return STATS_ENUMERIC;
        }
        struct wls1 r;
        wls_line(s->xc, s->z, s->w, g, &r);
        if (!(r.sxx > 0.0) || !isfinite(r.slope))
            return STATS_ENUMERIC;
        double na = r.intercept, nb = r.slope;
        for (size_t i = 0; i < g; i++)
            s->eta[i] = na + nb * s->xc[i];
        double nd = fam == 0 ? binom_deviance(k, n, s->eta, g) : pois_deviance(k, n, s->eta, g);
        /* Step halving toward the previous fit when the deviance rises or is not
         * finite, as R's glm.fit; the first step starts from fitted values, not from
         * coefficients, and is taken as it is. */
        for (int h = 0; it > 1 && h < 50 &&
                        !(isfinite(nd) && nd <= dev + 1e-10 * fabs(dev) + 1e-12);
             h++) {
            na = (na + a0) / 2.0;
            nb = (nb + b0) / 2.0;
            for (size_t i = 0; i < g; i++)
                s->eta[i] = na + nb * s->xc[i];
            nd = fam == 0 ? binom_deviance(k, n, s->eta, g) : pois_deviance(k, n, s->eta, g);
        }
        if (!isfinite(nd))
            return STATS_ENUMERIC;
        double se_b = 1.0 / sqrt(r.sxx), se_a = 1.0 / sqrt(r.sw);
        int done = !isnan(a0) && fabs(na - a0) <= IRLS_TOL * se_a + 1e-300 &&
                   fabs(nb - b0) <= IRLS_TOL * se_b + 1e-300;
        a0 = na;
        b0 = nb;
        dev = nd;
        *iters = it;
        if (done) {
            *a = na;
            *b = nb;
            return STATS_OK;
        }
    }
    return STATS_ENUMERIC;   /* no convergence */
}

int stats_qb_trend(const double *k, const double *n, const double *x, size_t g,
                   enum stats_qscale scale, int floor_phi, struct stats_qtrend *out)
{
    if (!k || !n || !x || !out || g < 3 ||
        (scale != STATS_SCALE_LOGIT && scale != STATS_SCALE_LINEAR))
        return STATS_EINPUT;
    double sk = 0.0, sn = 0.0;
    for (size_t i = 0; i < g; i++) {
        if (!isfinite(k[i]) || !isfinite(n[i]) || !isfinite(x[i]) || n[i] <= 0.0 ||
            k[i] < 0.0 || k[i] > n[i])
            return STATS_EINPUT;
        sk += k[i];
        sn += n[i];
    }
    qtrend_init(out, g);
    if (!distinct_x(x, g))
        return STATS_EDEGENERATE;
    double pbar = sk / sn;
    if (pbar <= 0.0 || pbar >= 1.0)
        return STATS_EDEGENERATE;

    struct irls s;
    int rc = STATS_ENUMERIC;
    if (!irls_alloc(&s, g))
        goto done;

    if (scale == STATS_SCALE_LINEAR) {
        double v0 = pbar * (1.0 - pbar);
        for (size_t i = 0; i < g; i++) {
            s.z[i] = k[i] / n[i];
            s.w[i] = n[i] / v0;
        }
        struct wls1 r;
        wls_line(x, s.z, s.w, g, &r);
        rc = qtrend_finish(out, r.slope, r.intercept, 1.0 / r.sxx, r.rss, r.tss,
                           floor_phi);
        goto done;
    }

    /* Separation: the MLE of the slope is finite iff some success lies strictly
     * below some failure's x and some failure strictly below some success's x. */
    double smin = INFINITY, smax = -INFINITY, fmin_ = INFINITY, fmax_ = -INFINITY;
    for (size_t i = 0; i < g; i++) {
        if (k[i] > 0.0) {
            smin = fmin(smin, x[i]);
            smax = fmax(smax, x[i]);
        }
        if (k[i] < n[i]) {
            fmin_ = fmin(fmin_, x[i]);
            fmax_ = fmax(fmax_, x[i]);
        }
    }
    if (!(smin < fmax_ && fmin_ < smax)) {
        out->separated = 1;
        rc = STATS_EDEGENERATE;
        goto done;
    }

    double xbar = 0.0;
    for (size_t i = 0; i < g; i++)
        xbar += x[i];
    xbar /= (double)g;
    for (size_t i = 0; i < g; i++)
        s.xc[i] = x[i] - xbar;
    double a, b;
    int iters = 0;
    rc = irls_fit(0, k, n, g, &s, &a, &b, &iters);
    out->iterations = iters;
    if (rc != STATS_OK)
        goto done;
    /* Final weights, Pearson χ² and the working response's spread at the fit. */
    double chisq = 0.0;
    for (size_t i = 0; i < g; i++) {
        double mu = expit(a + b * s.xc[i]), v = mu * (1.0 - mu);
        s.w[i] = n[i] * v;
        double r = k[i] - n[i] * mu;
        chisq += r * r / (n[i] * v);
        s.z[i] = a + b * s.xc[i] + (k[i] / n[i] - mu) / v;
    }
    struct wls1 r;
    wls_line(s.xc, s.z, s.w, g, &r);
    rc = qtrend_finish(out, b, a - b * xbar, 1.0 / r.sxx, chisq, r.tss, floor_phi);
done:
    irls_free(&s);
    return rc;
}

int stats_qp_trend(const double *k, const double *e, const double *x, size_t g,
                   int floor_phi, struct stats_qtrend *out)
{
    if (!k || !e || !x || !out || g < 3)
        return STATS_EINPUT;
    double sk = 0.0;
    for (size_t i = 0; i < g; i++) {
        if (!isfinite(k[i]) || !isfinite(e[i]) || !isfinite(x[i]) || e[i] <= 0.0 ||
            k[i] < 0.0)
            return STATS_EINPUT;
        sk += k[i];
    }
    qtrend_init(out, g);
    if (!distinct_x(x, g))
        return STATS_EDEGENERATE;
    if (!(sk > 0.0))
        return STATS_EDEGENERATE;
    /* The MLE is finite iff the events' mean x lies strictly inside the x range:
     * not every event at the smallest x, nor every one at the largest. */
    double xmin = INFINITY, xmax = -INFINITY;
    for (size_t i = 0; i < g; i++) {
        xmin = fmin(xmin, x[i]);
        xmax = fmax(xmax, x[i]);
    }
    int at_min = 1, at_max = 1;
    for (size_t i = 0; i < g; i++) {
        if (k[i] > 0.0 && x[i] != xmin)
            at_min = 0;
        if (k[i] > 0.0 && x[i] != xmax)
            at_max = 0;
    }
    if (at_min || at_max) {
        out->separated = 1;
        return STATS_EDEGENERATE;
    }
    struct irls s;
    int rc = STATS_ENUMERIC;
    if (!irls_alloc(&s, g))
        goto done;
    double xbar = 0.0;
    for (size_t i = 0; i < g; i++)
        xbar += x[i];
    xbar /= (double)g;
    for (size_t i = 0; i < g; i++)
        s.xc[i] = x[i] - xbar;
    double a, b;
    int iters = 0;
    rc = irls_fit(1, k, e, g, &s, &a, &b, &iters);
    out->iterations = iters;
    if (rc != STATS_OK)
        goto done;
    double chisq = 0.0;
    for (size_t i = 0; i < g; i++) {
        double mu = e[i] * exp(a + b * s.xc[i]);
        s.w[i] = mu;
        chisq += (k[i] - mu) * (k[i] - mu) / mu;
        s.z[i] = a + b * s.xc[i] + (k[i] - mu) / mu;
    }
    struct wls1 r;
    wls_line(s.xc, s.z, s.w, g, &r);
    rc = qtrend_finish(out, b, a - b * xbar, 1.0 / r.sxx, chisq, r.tss, floor_phi);
done:
    irls_free(&s);
    return rc;
}

int stats_qmean_trend(const double *y, const double *se, const double *x, size_t g,
                      int floor_phi, struct stats_qtrend *out)
{
    if (!y || !se || !x || !out || g < 3)
        return STATS_EINPUT;
    int zero = 0;
    for (size_t i = 0; i < g; i++) {
        if (!isfinite(y[i]) || !isfinite(se[i]) || !isfinite(x[i]) || se[i] < 0.0)
            return STATS_EINPUT;
        if (se[i] == 0.0)
            zero = 1;
    }
    qtrend_init(out, g);
    if (zero || !distinct_x(x, g))
        return STATS_EDEGENERATE;
    double *w = malloc(g * sizeof *w);
    if (!w)
        return STATS_ENUMERIC;
    for (size_t i = 0; i < g; i++)
        w[i] = 1.0 / (se[i] * se[i]);
    struct wls1 r;
    wls_line(x, y, w, g, &r);
    free(w);
    if (!(r.sxx > 0.0))
        return STATS_EDEGENERATE;
    return qtrend_finish(out, r.slope, r.intercept, 1.0 / r.sxx, r.rss, r.tss,
                         floor_phi);
}

/* --- clustering --------------------------------------------------------------------- */

int stats_icc_binary(const double *k, const double *n, size_t len,
                     struct stats_icc *out)
{
    if (!k || !n || !out || len == 0)
        return STATS_EINPUT;
    double N = 0.0, K = 0.0, sk2n = 0.0, sn2 = 0.0;
    size_t I = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(k[i]) || !isfinite(n[i]) || k[i] < 0.0 || k[i] > n[i])
            return STATS_EINPUT;
        if (n[i] == 0.0)
            continue;
        N += n[i];
        K += k[i];
        sk2n += k[i] * k[i] / n[i];
        sn2 += n[i] * n[i];
        I++;
    }
    if (I < 2 || !(N > (double)I))
        return STATS_EINPUT;
    double p = K / N;
    if (p <= 0.0 || p >= 1.0)
        return STATS_EDEGENERATE;
    double dI = (double)I;
    out->units = I;
    out->pooled = p;
    out->msb = (sk2n - K * K / N) / (dI - 1.0);
    out->msw = (K - sk2n) / (N - dI);
    out->n0 = (N - sn2 / N) / (dI - 1.0);
    double den = out->msb + (out->n0 - 1.0) * out->msw;
    if (!(den > 0.0))
        return STATS_EDEGENERATE;
    out->icc = (out->msb - out->msw) / den;
    out->mbar = N / dI;
    out->mbar_w = sn2 / N;
    double r = fmax(0.0, out->icc);
    out->deff = 1.0 + (out->mbar_w - 1.0) * r;
    out->deff_mean = 1.0 + (out->mbar - 1.0) * r;
    return isfinite(out->icc) ? STATS_OK : STATS_ENUMERIC;
}

int stats_group_vs_rest(const double *y, const double *w, const int *in_group,
                        size_t len, struct stats_group_test *out)
{
    if (!y || !w || !in_group || !out || len == 0)
        return STATS_EINPUT;
    double swg = 0.0, swyg = 0.0, swr = 0.0, swyr = 0.0;
    size_t ng = 0, nr = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(w[i]) || w[i] < 0.0)
            return STATS_EINPUT;
        if (w[i] == 0.0)
            continue;
        if (!isfinite(y[i]))
            return STATS_EINPUT;
        if (in_group[i]) {
            swg += w[i];
            swyg += w[i] * y[i];
            ng++;
        } else {
            swr += w[i];
            swyr += w[i] * y[i];
            nr++;
        }
    }
    if (ng == 0 || nr == 0 || ng + nr < 3)
        return STATS_EINPUT;
    double mg = swyg / swg, mr = swyr / swr, rss = 0.0, tss = 0.0;
    double mall = (swyg + swyr) / (swg + swr);
    for (size_t i = 0; i < len; i++) {
        if (w[i] == 0.0)
            continue;
        double e = y[i] - (in_group[i] ? mg : mr), d = y[i] - mall;
        rss += w[i] * e * e;
        tss += w[i] * d * d;
    }
    out->value_group = mg;
    out->value_rest = mr;
    out->diff = mg - mr;
    out->units_group = ng;
    out->units_rest = nr;
    out->df = (double)(ng + nr) - 2.0;
    if (!(rss > QTREND_EXACT * tss)) {
        out->se = out->t = out->p = NAN;
        return STATS_EDEGENERATE;
    }
    double s2 = rss / out->df;
    out->se = sqrt(s2 * (1.0 / swg + 1.0 / swr));
    out->t = out->diff / out->se;
    out->p = 2.0 * gsl_cdf_tdist_Q(fabs(out->t), out->df);
    return isfinite(out->p) ? STATS_OK : STATS_ENUMERIC;
}
