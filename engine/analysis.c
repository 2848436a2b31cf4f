/*
 * analysis.c — trends, comparisons and context-adjusted results over indicator
 * results. The contract is in analysis.h; the methods, with their reasons, in
 * docs/analysis.md.
 */
#include "analysis.h"

#include "deffile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

/* ==== rows and series ================================================================ */

static int str_eq(const char *a, const char *b)
{
    if (!a) a = "";
    if (!b) b = "";
    return strcmp(a, b) == 0;
}

static int str_cmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* A row the analyses may use: not suppressed and with a value. */
static int usable(const struct ind_row *r)
{
    return !r->suppressed && isfinite(r->value);
}

static int same_dims(const struct ind_row *a, const struct ind_row *b)
{
    for (int k = 0; k < IND_MAX_DIMS; k++)
        if (!str_eq(a->dim[k], b->dim[k])) return 0;
    return 1;
}

static int same_series(const struct ind_row *a, const struct ind_row *b)
{
    return a->ind == b->ind && a->level == b->level && str_eq(a->unit, b->unit) &&
           same_dims(a, b);
}

static int lower_better(const struct indicator *ind)
{
    return ind && ind->lower_is_better;
}

/* ==== windows ========================================================================= */

int ana_window_resolve(const struct ind_results *r, const struct indicator *ind,
                       const struct ana_window *w, int *y0, int *y1)
{
    int lo = w ? w->y0 : 0, hi = w ? w->y1 : 0;
    int len = w && w->len > 0 ? w->len : ANA_WINDOW_DEFAULT;
    if (len > ANA_MAX_YEARS) len = ANA_MAX_YEARS;
    int ymin = 0, ymax = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct ind_row *row = &r->v[i];
        if (row->ind != ind || !usable(row)) continue;
        if (lo && row->year < lo) continue;
        if (hi && row->year > hi) continue;
        if (!ymin || row->year < ymin) ymin = row->year;
        if (!ymax || row->year > ymax) ymax = row->year;
    }
    if (!ymax) return 0;
    if (lo && hi) {
        *y0 = lo;
        *y1 = hi;
    } else if (lo) {
        *y0 = lo;
        *y1 = ymax;
    } else if (hi) {
        *y0 = ymin;
        *y1 = hi;
    } else {
        *y1 = ymax;
        *y0 = ymax - len + 1;
    }
    if (*y1 - *y0 + 1 > ANA_MAX_YEARS) *y0 = *y1 - ANA_MAX_YEARS + 1;
    return 1;
}

/* Window per indicator, computed once per call. */
struct win_cache {
    const struct indicator *ind[64];
    int y0[64], y1[64], ok[64];
    size_t n;
};

static int cached_window(struct win_cache *c, const struct ind_results *r,
                         const struct indicator *ind, const struct ana_window *w,
                         int *y0, int *y1)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->ind[i] == ind) {
            *y0 = c->y0[i];
            *y1 = c->y1[i];
            return c->ok[i];
        }
    int ok = ana_window_resolve(r, ind, w, y0, y1);
    if (c->n < sizeof c->ind / sizeof c->ind[0]) {
        c->ind[c->n] = ind;
        c->y0[c->n] = ok ? *y0 : 0;
        c->y1[c->n] = ok ? *y1 : 0;
        c->ok[c->n] = ok;
        c->n++;
    }
    return ok;
}

/* The first year of the segment of [y0, y1] after the last break inside it. */
static int segment_start(const struct indicator *ind, int y0, int y1)
{
    int s = y0;
    for (int i = 0; ind && i < ind->nbreaks; i++)
        if (ind->breaks[i] > s && ind->breaks[i] <= y1) s = ind->breaks[i];
    return s;
}

/* ==== trends ========================================================================== */

/* Score (Rao) test of b = 0 in the Poisson log-linear model log E[k_i] = a + b·x_i +
 * log e_i: under b = 0 the expected counts are mu_i = e_i·Σk/Σe, and
 * z = Σ(x_i − x̄)(k_i − mu_i) / √Σ mu_i (x_i − x̄)², x̄ = Σmu_i x_i / Σmu_i.
 * The Poisson analogue of Cochran–Armitage: the count's own sampling variance, not
 * the scatter of three points, decides. */
int ana_poisson_trend(const double *k, const double *e, const double *x, size_t len,
                      double *z, double *p)
{
    *z = *p = NAN;
    if (len < 2) return STATS_EINPUT;
    double sk = 0.0, se = 0.0;
    for (size_t i = 0; i < len; i++) {
        if (!(isfinite(k[i]) && k[i] >= 0.0 && isfinite(e[i]) && e[i] > 0.0 &&
              isfinite(x[i])))
            return STATS_EINPUT;
        sk += k[i];
        se += e[i];
    }
    if (sk == 0.0) return STATS_EDEGENERATE;
    double xbar = 0.0;
    for (size_t i = 0; i < len; i++) xbar += e[i] * sk / se * x[i];
    xbar /= sk;
    double u = 0.0, v = 0.0;
    for (size_t i = 0; i < len; i++) {
        double mu = e[i] * sk / se, dx = x[i] - xbar;
        u += dx * (k[i] - mu);
        v += mu * dx * dx;
    }
    if (!(v > 0.0)) return STATS_EDEGENERATE;
    *z = u / sqrt(v);
    *p = 2.0 * gsl_cdf_ugaussian_Q(fabs(*z));
    return STATS_OK;
}

/* The weighted line through (x, y) with weights 1/(v + tau2): slope, its SE at those
 * variances, and (at tau2 = 0) the lack of fit D = Σw(y − line)² with the slope c of
 * its expectation in an added variance τ²: E[D] = (k − 2) + τ²·c, c = Σw − tr((X'WX)⁻¹
 * X'W²X). 0 when the line cannot be fitted. */
static int wls_known(const double *x, const double *y, const double *v, size_t np, double tau2,
                     double *b, double *se, double *D, double *c)
{
    double sw = 0, swx = 0, swy = 0, sw2 = 0, sw2x = 0, sw2xx = 0;
    double w[ANA_MAX_YEARS];
    for (size_t i = 0; i < np; i++) {
        double vi = v[i] + tau2;
        if (!(isfinite(vi) && vi > 0.0)) return 0;
        w[i] = 1.0 / vi;
        sw += w[i];
        swx += w[i] * x[i];
        swy += w[i] * y[i];
    }
    double xb = swx / sw, yb = swy / sw, sxx = 0, sxy = 0;
    for (size_t i = 0; i < np; i++) {
        sxx += w[i] * (x[i] - xb) * (x[i] - xb);
        sxy += w[i] * (x[i] - xb) * (y[i] - yb);
    }
    if (!(sxx > 0.0)) return 0;
    *b = sxy / sxx;
    *se = 1.0 / sqrt(sxx);
    double a = yb - *b * xb, d = 0;
    for (size_t i = 0; i < np; i++) {
        double e = y[i] - a - *b * x[i];
        d += w[i] * e * e;
        sw2 += w[i] * w[i];
        sw2x += w[i] * w[i] * x[i];
        sw2xx += w[i] * w[i] * x[i] * x[i];
    }
    *D = d;
    /* (X'WX)⁻¹ for X = [1 x]: 1/det · [[Σwx², −Σwx], [−Σwx, Σw]] */
    double swxx = sxx + sw * xb * xb, det = sw * swxx - swx * swx;
    if (det > 0.0)
        *c = sw - (swxx * sw2 - 2.0 * swx * sw2x + sw * sw2xx) / det;
    else
        *c = NAN;
    return 1;
}

void ana_trend_series(const struct indicator *ind, const int *years,
                      const double *value, const double *num, const double *den,
                      const double *n, const double *sd, size_t len, double alpha,
                      struct ana_trend *out)
{
    double x[ANA_MAX_YEARS], y[ANA_MAX_YEARS], w[ANA_MAX_YEARS];
    double k[ANA_MAX_YEARS], m[ANA_MAX_YEARS];
    int lb = lower_better(ind);
    enum stats_direction dir = lb ? STATS_LOWER_IS_BETTER : STATS_HIGHER_IS_BETTER;
    if (!(alpha > 0.0 && alpha < 1.0)) alpha = ANA_ALPHA_DEFAULT;

    out->npoints = 0;
    out->first = out->last = out->change = out->change_good = NAN;
    out->no_going_back = 0;
    out->slope = out->se = out->t = out->p = NAN;
    out->has_wls = 0;
    out->test = NULL;
    out->test_z = out->test_p = NAN;
    out->test_slope = out->test_se = NAN;
    out->has_test = 0;
    out->label = STATS_TREND_NOT_ENOUGH_DATA;
    out->why = NULL;
    out->lof = out->lof_df = out->lof_c = out->phi = NAN;
    out->year_tau2 = 0.0;
    out->family_df = NAN;
    out->tv_relative = 0;
    out->alpha = alpha;

    /* the points with a value */
    size_t np = 0, src[ANA_MAX_YEARS];
    int all_sd = 1, all_n = 1, share_ok = ind && ind->kind == IND_SHARE;
    /* counts and rates: k = the count, m = its exposure (rate: the base; count: its
       participants when it has them, else 1) */
    int pois_ok = ind && (ind->kind == IND_COUNT || ind->kind == IND_RATE);
    for (size_t i = 0; i < len && np < ANA_MAX_YEARS; i++) {
        if (!isfinite(value[i])) continue;
        out->years[np] = years[i];
        x[np] = years[i];
        y[np] = value[i];
        src[np] = i;
        double ni = n ? n[i] : NAN, si = sd ? sd[i] : NAN;
        if (!(isfinite(ni) && ni > 0.0)) all_n = 0;
        if (!(isfinite(si) && si > 0.0)) all_sd = 0;
        if (share_ok) {
            double ki = num ? num[i] : NAN, di = den ? den[i] : NAN;
            if (!(isfinite(ki) && isfinite(di) && di > 0.0 && ki >= 0.0 && ki <= di))
                share_ok = 0;
            k[np] = ki;
            m[np] = di;
        } else if (pois_ok) {
            double ki = num ? num[i] : NAN;
            double ei = ind->kind == IND_RATE ? (den ? den[i] : NAN) : 1.0;
            k[np] = ki;
            m[np] = ei;
            if (!(isfinite(ki) && ki >= 0.0 && isfinite(ei) && ei > 0.0)) pois_ok = 0;
        }
        np++;
    }
    /* a count with participants: its exposure is the participants of each year */
    if (pois_ok && ind->kind == IND_COUNT && all_n)
        for (size_t i = 0; i < np; i++) m[i] = n[src[i]];
    out->npoints = np;
    if (np >= 1) {
        out->first = y[0];
        out->last = y[np - 1];
    }
    if (np >= 2) {
        out->change = y[np - 1] - y[0];
        out->change_good = lb ? -out->change : out->change;
        int back = 0;
        for (size_t i = 1; i < np; i++) {
            double step = y[i] - y[i - 1];
            if (lb ? step > 0.0 : step < 0.0) back = 1;
        }
        out->no_going_back = !back;
    }
    if (np < 3) {
        out->why = "fewer than 3 years with a value";
        return;
    }
    /* the descriptive slope, as R lm(value ~ year, weights = w): w = n/sd² when every
       year of a mean has its spread, else participants, else equal */
    int mean_sd = ind && ind->kind == IND_MEAN && all_sd && all_n;
    for (size_t i = 0; i < np; i++) {
        size_t j = src[i];
        w[i] = mean_sd ? n[j] / (sd[j] * sd[j]) : all_n ? n[j] : 1.0;
    }
    struct stats_trend tr;
    if (stats_wls_trend(x, y, w, np, &tr) == STATS_OK) {
        out->slope = tr.slope;
        out->se = tr.se;
        out->t = tr.t;
        out->p = tr.p;
        out->has_wls = 1;
    }
    if (ind && ind->census) {
        out->test = "none";
        out->label = STATS_TREND_NO_CHANGE;
        out->why = "a census figure (not a sample): the change is shown, never tested";
        return;
    }
    /* the test: a line through the years' figures weighted by their sampling variance
       under "no trend" — for shares at the pooled share (this is Cochran–Armitage), for
       counts and rates at the pooled rate per exposure (the Poisson score test), for
       means by sd²/n (slope_z); means without a spread have a variance known only up to
       a factor, estimated from the scatter (slope_t) */
    double *ty = out->tv_y, *tv = out->tv_v;
    if (share_ok) {
        double sk = 0, sm = 0;
        for (size_t i = 0; i < np; i++) {
            sk += k[i];
            sm += m[i];
        }
        double pb = sk / sm;
        if (!(pb > 0.0 && pb < 1.0)) {
            /* 0% or 100% in every year: nothing moved */
            out->label = STATS_TREND_NO_CHANGE;
            return;
        }
        for (size_t i = 0; i < np; i++) {
            ty[i] = 100.0 * k[i] / m[i];
            tv[i] = 1e4 * pb * (1.0 - pb) / m[i];
        }
        out->test = "cochran_armitage";
    } else if (pois_ok) {
        double sk = 0, se = 0;
        for (size_t i = 0; i < np; i++) {
            sk += k[i];
            se += m[i];
        }
        if (sk == 0.0) {
            /* no event in any year: nothing moved */
            out->label = STATS_TREND_NO_CHANGE;
            return;
        }
        for (size_t i = 0; i < np; i++) {
            ty[i] = k[i] / m[i];
            tv[i] = sk / se / m[i];
        }
        out->test = "poisson_score";
    } else if (mean_sd) {
        for (size_t i = 0; i < np; i++) {
            ty[i] = y[i];
            tv[i] = 1.0 / w[i];
        }
        out->test = "slope_z";
    } else {
        for (size_t i = 0; i < np; i++) {
            ty[i] = y[i];
            tv[i] = 1.0 / w[i];
        }
        out->test = "slope_t";
        out->tv_relative = 1;
    }
    double b, se, D, c;
    if (!wls_known(x, ty, tv, np, 0.0, &b, &se, &D, &c)) {
        out->test = NULL;
        out->why = "the trend test could not be computed";
        return;
    }
    out->lof = D;
    out->lof_df = (double)np - 2.0;
    out->lof_c = c;
    out->phi = D / out->lof_df;
    out->family_df = out->lof_df;
    out->test_slope = b;
    if (!out->tv_relative) {
        out->test_se = se;
        out->test_z = b / se;
        out->test_p = 2.0 * gsl_cdf_ugaussian_Q(fabs(out->test_z));
        out->has_test = 1;
    } else if (D > 1e-12 * (fabs(b) + 1.0)) {
        double s2 = D / out->lof_df;
        out->test_se = se * sqrt(s2);
        out->test_z = b / out->test_se;
        out->test_p = 2.0 * gsl_cdf_tdist_Q(fabs(out->test_z), out->lof_df);
        out->has_test = 1;
    } else {
        out->label = STATS_TREND_NO_CHANGE;
        out->why = "the values lie on a line: no scatter to test the slope against";
        return;
    }
    out->label = stats_trend_classify(out->test_z, out->test_p, alpha, dir, np);
}

/* The test again with the family's between-year variance (known-variance series) or
 * pooled scale (series whose variance is known up to a factor): fdf degrees of
 * freedom behind the estimate. */
static void trend_retest(struct ana_trend *t, double tau2, double s2, double fdf)
{
    if (!t->has_test || !isfinite(fdf) || fdf <= 0) return;
    double x[ANA_MAX_YEARS], b, se, D, c;
    for (size_t i = 0; i < t->npoints; i++) x[i] = t->years[i];
    enum stats_direction dir = lower_better(t->ind) ? STATS_LOWER_IS_BETTER : STATS_HIGHER_IS_BETTER;
    t->family_df = fdf;
    if (!t->tv_relative) {
        if (!(tau2 > 0.0)) return;
        if (!wls_known(x, t->tv_y, t->tv_v, t->npoints, tau2, &b, &se, &D, &c)) return;
        t->year_tau2 = tau2;
        t->test_slope = b;
        t->test_se = se;
        t->test_z = b / se;
        t->test_p = fdf >= 30 ? 2.0 * gsl_cdf_ugaussian_Q(fabs(t->test_z))
                              : 2.0 * gsl_cdf_tdist_Q(fabs(t->test_z), fdf);
    } else {
        if (!(s2 > 0.0)) return;
        if (!wls_known(x, t->tv_y, t->tv_v, t->npoints, 0.0, &b, &se, &D, &c)) return;
        t->test_slope = b;
        t->test_se = se * sqrt(s2);
        t->test_z = b / t->test_se;
        t->test_p = 2.0 * gsl_cdf_tdist_Q(fabs(t->test_z), fdf);
    }
    t->label = stats_trend_classify(t->test_z, t->test_p, t->alpha, dir, t->npoints);
}

static void trends_push(struct ana_trends *t, const struct ana_trend *x)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = *x;
}

static int same_family(const struct ana_trend *a, const struct ana_trend *b)
{
    if (a->ind != b->ind || a->level != b->level || a->tv_relative != b->tv_relative) return 0;
    for (int k = 0; k < IND_MAX_DIMS; k++)
        if (!str_eq(a->dim[k], b->dim[k])) return 0;
    return 1;
}

void ana_trends(const struct ind_results *r, const struct ana_trend_opts *o,
                struct ana_trends *out)
{
    struct win_cache wc;
    wc.n = 0;
    double alpha = o && o->alpha > 0.0 ? o->alpha : ANA_ALPHA_DEFAULT;
    /* every series of r at the levels and of the indicators asked for, whatever unit
       the options ask to see: the between-year variance of a school's series is
       estimated from all the district's schools. They are built in place at the end of
       out (from n0), the unwanted ones dropped at the end. */
    size_t n0 = out->n;
    char *want = NULL;
    size_t i = 0;
    while (i < r->n) {
        const struct ind_row *first = &r->v[i];
        size_t j = i + 1;
        while (j < r->n && same_series(first, &r->v[j])) j++;
        /* rows [i, j) are one series, ascending by year (ind_evaluate's order) */
        size_t s = i;
        i = j;
        if (o && o->level_mask && !(o->level_mask & (1 << first->level))) continue;
        if (o && o->only) {
            int in = 0;
            for (size_t k = 0; k < o->nonly && !in; k++) in = o->only[k] == first->ind;
            if (!in) continue;
        }
        int y0, y1;
        if (!cached_window(&wc, r, first->ind, o ? &o->window : NULL, &y0, &y1))
            continue;
        int seg = segment_start(first->ind, y0, y1);
        int years[ANA_MAX_YEARS];
        double val[ANA_MAX_YEARS], num[ANA_MAX_YEARS], den[ANA_MAX_YEARS];
        double nn[ANA_MAX_YEARS], sd[ANA_MAX_YEARS];
        const struct ind_row *rows[ANA_MAX_YEARS];
        size_t len = 0, inwin = 0;
        for (size_t q = s; q < j; q++) {
            const struct ind_row *row = &r->v[q];
            if (row->year < y0 || row->year > y1) continue;
            inwin++;
            if (row->year < seg || !usable(row) || len == ANA_MAX_YEARS) continue;
            years[len] = row->year;
            val[len] = row->value;
            num[len] = row->num;
            den[len] = row->den;
            nn[len] = row->n;
            sd[len] = row->sd;
            rows[len] = row;
            len++;
        }
        if (!inwin) continue;
        struct ana_trend t;
        memset(&t, 0, sizeof t);
        t.ind = first->ind;
        t.level = first->level;
        t.unit = first->unit;
        for (int k = 0; k < IND_MAX_DIMS; k++) t.dim[k] = first->dim[k];
        t.win_y0 = y0;
        t.win_y1 = y1;
        t.y0 = seg;
        t.y1 = y1;
        t.after_break = seg > y0;
        ana_trend_series(first->ind, years, val, num, den, nn, sd, len, alpha, &t);
        /* rows follow the points used (every usable row is a point) */
        for (size_t q = 0; q < t.npoints; q++) t.rows[q] = rows[q];
        if (t.label == STATS_TREND_NOT_ENOUGH_DATA && t.after_break && t.npoints < 3)
            t.why = "fewer than 3 years since the break";
        trends_push(out, &t);
        size_t na = out->n - n0;
        want = xrealloc(want, na);
        want[na - 1] = (char)!(o && o->unit && !str_eq(o->unit, first->unit));
    }
    /* families: one indicator, level and breakdown; the years' scatter around each line
       beyond sampling, pooled (method of moments): τ² = (ΣD − Σdf)/Σc */
    struct ana_trend *all = out->v + n0;
    size_t nall = out->n - n0;
    char *done = xcalloc(nall + 1, 1);
    for (size_t a = 0; a < nall; a++) {
        if (done[a] || !all[a].has_test) continue;
        double sD = 0, sdf = 0, sc = 0;
        for (size_t b = a; b < nall; b++)
            if (!done[b] && all[b].has_test && same_family(&all[a], &all[b]) &&
                isfinite(all[b].lof) && isfinite(all[b].lof_c)) {
                sD += all[b].lof;
                sdf += all[b].lof_df;
                sc += all[b].lof_c;
            }
        double tau2 = sdf > 0 && sc > 0 ? (sD - sdf) / sc : 0.0;
        if (!(tau2 > 0.0)) tau2 = 0.0;
        double s2 = sdf > 0 ? sD / sdf : NAN;
        for (size_t b = a; b < nall; b++)
            if (!done[b] && all[b].has_test && same_family(&all[a], &all[b])) {
                done[b] = 1;
                all[b].phi = s2;
                trend_retest(&all[b], tau2, s2, sdf);
            }
    }
    free(done);
    size_t k2 = 0;
    for (size_t k = 0; k < nall; k++)
        if (want[k]) all[k2++] = all[k];
    out->n = n0 + k2;
    free(want);
}

void ana_trends_free(struct ana_trends *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

/* ==== comparisons ===================================================================== */

static int cell_cmp_rows(const struct ind_row *a, const struct ind_row *b)
{
    if (a->ind != b->ind) {
        int c = str_cmp(a->ind ? a->ind->id : "", b->ind ? b->ind->id : "");
        if (c) return c;
        return a->ind < b->ind ? -1 : 1;
    }
    if (a->year != b->year) return a->year < b->year ? -1 : 1;
    for (int k = 0; k < IND_MAX_DIMS; k++) {
        int c = str_cmp(a->dim[k], b->dim[k]);
        if (c) return c;
    }
    return 0;
}

static const struct ind_results *sort_r; /* qsort has no context argument in C11 */

static int idx_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = cell_cmp_rows(&sort_r->v[a], &sort_r->v[b]);
    if (c) return c;
    return a < b ? -1 : a > b;
}

static int cmp_str_p(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ==== overdispersion ================================================================== */

void ana_overdispersion(const double *y, const double *s, size_t n, double target,
                        struct ana_od *od)
{
    memset(od, 0, sizeof *od);
    od->phi = od->phi_p = NAN;
    od->method = "none";
    double *z = xmalloc((n + 1) * sizeof *z), *ss = xmalloc((n + 1) * sizeof *ss);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(isfinite(y[i]) && isfinite(s[i]) && s[i] > 0.0)) continue;
        z[m] = (y[i] - target) / s[i];
        ss[m] = s[i];
        m++;
    }
    od->units = m;
    /* stats.h: the consistent winsorised φ (Spiegelhalter's φ̂_w/c(w)) and its
       calibrated test; the target is the pooled value of these same units */
    struct stats_od_opts opt = STATS_OD_OPTS_DEFAULT;
    struct stats_od o;
    if (m >= 3 && stats_overdispersion(z, ss, m, &opt, &o) == STATS_OK) {
        od->phi = o.phi;
        od->phi_p = o.p;
        od->tau2 = isfinite(o.tau2) && o.tau2 > 0.0 ? o.tau2 : 0.0;
        od->used = m >= ANA_OD_MIN_UNITS && o.adjusted && od->tau2 > 0.0;
        if (od->used) od->method = "additive";
    }
    free(z);
    free(ss);
}

/* The distribution of the sum of independent variables, each given by its pmf
 * (pmf(i, j) for j = 0 .. size(i)), convolved; P(sum >= x). */
static double sum_tail(size_t n, size_t total, double x,
                       unsigned (*size)(const void *, size_t),
                       double (*pmf)(const void *, size_t, unsigned), const void *ctx)
{
    size_t cur = 0;
    double *f = xcalloc(total + 1, sizeof *f), *g = xcalloc(total + 1, sizeof *g);
    f[0] = 1.0;
    for (size_t i = 0; i < n; i++) {
        unsigned mi = size(ctx, i);
        if (!mi) continue;
        double *b = xmalloc((mi + 1) * sizeof *b);
        for (unsigned j = 0; j <= mi; j++) b[j] = pmf(ctx, i, j);
        memset(g, 0, (cur + mi + 1) * sizeof *g);
        for (size_t a = 0; a <= cur; a++)
            if (f[a] != 0.0)
                for (unsigned j = 0; j <= mi; j++) g[a + j] += f[a] * b[j];
        cur += mi;
        double *t = f;
        f = g;
        g = t;
        free(b);
    }
    double sum = 0.0;
    for (size_t j = (size_t)ceil(x); j <= cur; j++) sum += f[j];
    free(f);
    free(g);
    return sum > 1.0 ? 1.0 : sum;
}

struct hyp_ctx {
    const double *m, *k, *t;
};

static unsigned hyp_size(const void *c, size_t i)
{
    const struct hyp_ctx *h = c;
    return (unsigned)(h->m[i] < h->k[i] ? h->m[i] : h->k[i]);
}

static double hyp_pmf(const void *c, size_t i, unsigned j)
{
    const struct hyp_ctx *h = c;
    return gsl_ran_hypergeometric_pdf(j, (unsigned)h->k[i], (unsigned)(h->t[i] - h->k[i]),
                                      (unsigned)h->m[i]);
}

int ana_hypergeom_sum_tail(const double *m, const double *k, const double *t, size_t n, double x,
                           double *tail)
{
    *tail = NAN;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(isfinite(m[i]) && isfinite(k[i]) && isfinite(t[i]) && m[i] >= 0 && k[i] >= 0 &&
              m[i] <= t[i] && k[i] <= t[i] && t[i] < 1e7 && m[i] == floor(m[i]) &&
              k[i] == floor(k[i]) && t[i] == floor(t[i])))
            return STATS_EINPUT;
        total += m[i] < k[i] ? m[i] : k[i];
    }
    if (!isfinite(x)) return STATS_EINPUT;
    int any = 0;
    for (size_t i = 0; i < n; i++) any |= m[i] > 0;
    if (!any) return STATS_EDEGENERATE;
    if (x <= 0.0) {
        *tail = 1.0;
        return STATS_OK;
    }
    if (x > total) {
        *tail = 0.0;
        return STATS_OK;
    }
    struct hyp_ctx h = {m, k, t};
    *tail = sum_tail(n, (size_t)total, x, hyp_size, hyp_pmf, &h);
    return STATS_OK;
}

/* ==== comparisons: one row against a reference ========================================= */

/* Orients a funnel position into a verdict: > 0 better. */
static int verdict_of(enum stats_funnel_pos pos, int lb)
{
    int v = 0;
    switch (pos) {
    case STATS_FUNNEL_ABOVE_95: v = 1; break;
    case STATS_FUNNEL_ABOVE_998: v = 2; break;
    case STATS_FUNNEL_BELOW_95: v = -1; break;
    case STATS_FUNNEL_BELOW_998: v = -2; break;
    default: v = 0;
    }
    return lb ? -v : v;
}

/* The position from the one-sided tails: beyond 99.8% is a tail below 0.001, beyond 95%
 * below 0.025 (each side of the two-sided limits). */
static enum stats_funnel_pos pos_of(double p_hi, double p_lo)
{
    if (p_hi < 0.001) return STATS_FUNNEL_ABOVE_998;
    if (p_lo < 0.001) return STATS_FUNNEL_BELOW_998;
    if (p_hi < 0.025) return STATS_FUNNEL_ABOVE_95;
    if (p_lo < 0.025) return STATS_FUNNEL_BELOW_95;
    return STATS_FUNNEL_INSIDE;
}

/* The sampling SE of row's figure if its unit were at the reference value v0, in the
 * indicator's unit (counts: of the count at its expectation v0); NaN when none. */
static double null_se(const struct ind_row *row, const struct ind_row *ref, double v0)
{
    const struct indicator *ind = row->ind;
    switch (ind->kind) {
    case IND_SHARE: {
        double p0 = v0 / 100.0, n = row->den;
        if (!(p0 > 0.0 && p0 < 1.0 && n > 0.0)) return NAN;
        return 100.0 * sqrt(p0 * (1.0 - p0) / n);
    }
    case IND_MEAN:
        if (!(isfinite(ref->sd) && ref->sd > 0.0 && row->n > 0.0)) return NAN;
        return ref->sd / sqrt(row->n);
    case IND_RATE: {
        double per = ind->per > 0.0 ? ind->per : 100.0, base = row->den;
        if (!(base > 0.0 && v0 > 0.0)) return NAN;
        return sqrt(per * v0 / base);
    }
    case IND_COUNT:
        return v0 > 0.0 ? sqrt(v0) : NAN;
    }
    return NAN;
}

/* A count's expectation at the reference's rate per participant, E = k_ref·n/n_ref
 * (with the school left out of the reference when loo); NaN without participants. */
static double count_expect(const struct ind_row *row, const struct ind_row *ref, int loo)
{
    double nr = row->n, nref = ref->n, kref = ref->num;
    if (loo) {
        nref -= row->n;
        kref -= row->num;
    }
    if (!(isfinite(nr) && nr > 0.0 && isfinite(nref) && nref > 0.0 && isfinite(kref) &&
          kref > 0.0))
        return NAN;
    return kref * nr / nref;
}

/* The reference without the row's own contribution (its rows are part of it). */
static double loo_value(const struct ind_row *row, const struct ind_row *ref)
{
    const struct indicator *ind = row->ind;
    double num = ref->num - row->num, den = ref->den - row->den;
    if (!(isfinite(num) && isfinite(den) && den > 0.0)) return NAN;
    switch (ind->kind) {
    case IND_SHARE: return num >= 0.0 ? 100.0 * num / den : NAN;
    case IND_MEAN: return num / den;
    case IND_RATE: return num >= 0.0 ? (ind->per > 0.0 ? ind->per : 100.0) * num / den : NAN;
    case IND_COUNT: return NAN;
    }
    return NAN;
}

static double zq(double tail)
{
    return gsl_cdf_ugaussian_Qinv(tail);
}

/* row against ref (same indicator, year, breakdown); od is the cell's overdispersion,
 * applied when widen. */
static void compare_vs(const struct ind_row *row, const struct ind_row *ref,
                       const struct ana_od *od, int widen, struct ana_vs *vs)
{
    memset(vs, 0, sizeof *vs);
    vs->diff = vs->z = vs->z_adj = vs->ref_value = vs->p_hi = vs->p_lo = NAN;
    vs->se = vs->se_sampling = NAN;
    vs->funnel.lo998 = vs->funnel.lo95 = vs->funnel.hi95 = vs->funnel.hi998 = NAN;
    vs->pos = STATS_FUNNEL_INSIDE;
    if (od) vs->od = *od;
    else {
        vs->od.phi = vs->od.phi_p = NAN;
        vs->od.method = "none";
    }
    if (!ref || !usable(ref) || !usable(row)) return;
    const struct indicator *ind = row->ind;
    int use = widen && vs->od.used;
    double tau2 = use ? vs->od.tau2 : 0.0;
    vs->ref = ref;
    vs->diff = row->value - ref->value;
    double z = NAN, v0 = ref->value, loo = loo_value(row, ref);
    struct stats_funnel f;
    int has = 0;
    switch (ind->kind) {
    case IND_SHARE: {
        double p0 = v0 / 100.0, n = row->den, k = row->num;
        if (stats_z_share(k, n, p0, &z) != STATS_OK) z = NAN;
        if (use) {
            double se0 = null_se(row, ref, v0);
            if (isfinite(se0)) {
                double w = sqrt(se0 * se0 + tau2);
                f.lo95 = fmax(0.0, v0 - zq(0.025) * w);
                f.hi95 = fmin(100.0, v0 + zq(0.025) * w);
                f.lo998 = fmax(0.0, v0 - zq(0.001) * w);
                f.hi998 = fmin(100.0, v0 + zq(0.001) * w);
                has = 1;
            }
        } else if (isfinite(n) && n >= 1.0 && n == floor(n) &&
                   stats_funnel_share_exact(p0, n, &f) == STATS_OK) {
            has = 1;
            f.lo998 *= 100.0;
            f.lo95 *= 100.0;
            f.hi95 *= 100.0;
            f.hi998 *= 100.0;
        }
        if (!isfinite(loo)) break;
        vs->ref_value = loo;
        double sel = null_se(row, ref, loo);
        if (!isfinite(sel)) {
            /* the rest is at 0 % or 100 %: any other share is beyond chance */
            double pl = loo / 100.0;
            if (pl <= 0.0 || pl >= 1.0) {
                vs->p_hi = pl <= 0.0 ? (k > 0 ? 0.0 : 1.0) : 1.0;
                vs->p_lo = pl >= 1.0 ? (k < n ? 0.0 : 1.0) : 1.0;
                vs->test = "exact_binomial";
            }
            break;
        }
        double rden = ref->den - row->den, pr = loo / 100.0;
        double vr = rden > 0 ? 1e4 * pr * (1.0 - pr) / rden : 0.0;   /* the rest's noise */
        vs->se_sampling = sqrt(sel * sel + vr);
        vs->se = sqrt(sel * sel + tau2 + vr);
        vs->z_adj = (row->value - loo) / vs->se;
        if (!use && n == floor(n) && k == floor(k) && n >= 1.0 && k >= 0.0 && k <= n) {
            double pl = loo / 100.0;
            vs->p_hi = k >= 1.0 ? gsl_cdf_binomial_Q((unsigned)k - 1, pl, (unsigned)n) : 1.0;
            vs->p_lo = gsl_cdf_binomial_P((unsigned)k, pl, (unsigned)n);
            vs->test = "exact_binomial";
        } else {
            vs->p_hi = gsl_cdf_ugaussian_Q(vs->z_adj);
            vs->p_lo = gsl_cdf_ugaussian_P(vs->z_adj);
            vs->test = use ? "normal_re" : "normal";
        }
        break;
    }
    case IND_MEAN: {
        double se0 = null_se(row, ref, v0);
        if (!isfinite(se0)) break;
        if (stats_z_mean(row->value, v0, ref->sd, row->n, &z) != STATS_OK) z = NAN;
        double w = sqrt(se0 * se0 + tau2);
        f.lo95 = v0 - zq(0.025) * w;
        f.hi95 = v0 + zq(0.025) * w;
        f.lo998 = v0 - zq(0.001) * w;
        f.hi998 = v0 + zq(0.001) * w;
        has = 1;
        if (!isfinite(loo)) break;
        vs->ref_value = loo;
        /* the rest of the reference is a sample too: its variance counts */
        double rest = ref->n - row->n, vr = rest > 0 ? ref->sd * ref->sd / rest : 0.0;
        vs->se_sampling = sqrt(se0 * se0 + vr);
        vs->se = sqrt(w * w + vr);
        vs->z_adj = (row->value - loo) / vs->se;
        vs->p_hi = gsl_cdf_ugaussian_Q(vs->z_adj);
        vs->p_lo = gsl_cdf_ugaussian_P(vs->z_adj);
        vs->test = use ? "normal_re" : "normal";
        break;
    }
    case IND_RATE: {
        /* count ~ Poisson(base·r0/per): the rate's SD is sqrt(per·r0/base) */
        double se0 = null_se(row, ref, v0);
        if (!isfinite(se0)) break;
        z = (row->value - v0) / se0;
        double w = sqrt(se0 * se0 + tau2);
        f.lo95 = fmax(0.0, v0 - zq(0.025) * w);
        f.hi95 = v0 + zq(0.025) * w;
        f.lo998 = fmax(0.0, v0 - zq(0.001) * w);
        f.hi998 = v0 + zq(0.001) * w;
        has = 1;
        double sel = isfinite(loo) ? null_se(row, ref, loo) : NAN;
        if (!isfinite(sel)) break;
        vs->ref_value = loo;
        double rbase = ref->den - row->den, per = ind->per > 0.0 ? ind->per : 100.0;
        double vr = rbase > 0 ? per * loo / rbase : 0.0;
        vs->se_sampling = sqrt(sel * sel + vr);
        vs->se = sqrt(sel * sel + tau2 + vr);
        vs->z_adj = (row->value - loo) / vs->se;
        vs->p_hi = gsl_cdf_ugaussian_Q(vs->z_adj);
        vs->p_lo = gsl_cdf_ugaussian_P(vs->z_adj);
        vs->test = use ? "normal_re" : "normal";
        break;
    }
    case IND_COUNT: {
        /* with participants (n): the count expected at the reference's rate per
           participant, E = k_ref·n/n_ref, and the count ~ Poisson(E); limits normal
           around E, as for rates. A count without n has no reference to scale by. */
        double e = count_expect(row, ref, 0);
        if (!isfinite(e)) break;
        double phi = use && isfinite(vs->od.phi) && vs->od.phi > 1.0 ? vs->od.phi : 1.0;
        double se = sqrt(e * phi);
        z = (row->value - e) / sqrt(e);
        f.lo95 = fmax(0.0, e - zq(0.025) * se);
        f.hi95 = e + zq(0.025) * se;
        f.lo998 = fmax(0.0, e - zq(0.001) * se);
        f.hi998 = e + zq(0.001) * se;
        has = 1;
        double el = count_expect(row, ref, 1);
        if (!isfinite(el)) break;
        vs->ref_value = el;
        double k = row->value;
        vs->se_sampling = sqrt(el);
        vs->se = sqrt(el * phi);
        vs->z_adj = (k - el) / vs->se;
        if (phi == 1.0 && k == floor(k) && k >= 0.0) {
            vs->p_hi = k >= 1.0 ? gsl_cdf_poisson_Q((unsigned)k - 1, el) : 1.0;
            vs->p_lo = gsl_cdf_poisson_P((unsigned)k, el);
            vs->test = "exact_poisson";
        } else {
            vs->p_hi = gsl_cdf_ugaussian_Q(vs->z_adj);
            vs->p_lo = gsl_cdf_ugaussian_P(vs->z_adj);
            vs->test = "normal_re";
        }
        break;
    }
    }
    vs->z = z;
    if (has) {
        vs->has_funnel = 1;
        vs->funnel = f;
    }
    if (isfinite(vs->p_hi) && isfinite(vs->p_lo)) {
        vs->pos = pos_of(vs->p_hi, vs->p_lo);
        vs->verdict = verdict_of(vs->pos, lower_better(ind));
    }
}

static void compares_push(struct ana_compares *c, const struct ana_compare *x)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = *x;
}

static void compare_init(struct ana_compare *e, const struct ind_row *row,
                         const char *cluster_id)
{
    memset(e, 0, sizeof *e);
    e->row = row;
    e->cluster_id = cluster_id;
    compare_vs(row, NULL, NULL, 0, &e->vs_cluster);
    compare_vs(row, NULL, NULL, 0, &e->vs_district);
    e->pct_rank = NAN;
    e->eb = e->eb_lo = e->eb_hi = NAN;
    e->rest_value = e->t = e->p = e->p_adj = NAN;
}

/* Pooled value of rows (schools), the way indicators pool: Σnum/Σden. */
static double pooled(const struct indicator *ind, const struct ind_row *const *rows,
                     size_t n)
{
    double sn = 0.0, sd = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(rows[i]->num) || !isfinite(rows[i]->den)) return NAN;
        sn += rows[i]->num;
        sd += rows[i]->den;
    }
    if (!(sd > 0.0)) return NAN;
    switch (ind->kind) {
    case IND_SHARE: return 100.0 * sn / sd;
    case IND_MEAN: return sn / sd;
    case IND_RATE: return (ind->per > 0.0 ? ind->per : 100.0) * sn / sd;
    default: return NAN;
    }
}

/* The cell's overdispersion among the district's schools: z of each school against the
 * district value by its sampling SE (counts: against E, multiplicatively). */
static void cell_od(const struct ind_row *district, const struct ind_row *const *sch, size_t ns,
                    struct ana_od *od)
{
    memset(od, 0, sizeof *od);
    od->phi = od->phi_p = NAN;
    od->method = "none";
    if (!district || !usable(district) || !ns) return;
    double *y = xmalloc(ns * sizeof *y), *s = xmalloc(ns * sizeof *s);
    const struct indicator *ind = district->ind;
    for (size_t i = 0; i < ns; i++) {
        if (ind->kind == IND_COUNT) {
            double e = count_expect(sch[i], district, 0);
            y[i] = isfinite(e) ? (sch[i]->value - e) / sqrt(e) : NAN;
            s[i] = 1.0;
        } else {
            y[i] = sch[i]->value;
            s[i] = null_se(sch[i], district, district->value);
        }
    }
    ana_overdispersion(y, s, ns, ind->kind == IND_COUNT ? 0.0 : district->value, od);
    if (ind->kind == IND_COUNT) {
        od->tau2 = 0.0;
        od->used = od->units >= ANA_OD_MIN_UNITS && od->phi_p < ANA_OD_ALPHA && od->phi > 1.0;
        od->method = od->used ? "multiplicative" : "none";
    }
    free(y);
    free(s);
}

/* ---- the cache of ana_compare */

struct eb_cell {
    size_t ns;
    size_t *schi;                     /* the school rows of the cell, to check a hit */
    int od_done;
    struct ana_od od;                 /* the cell's overdispersion */
    int done, ok;                     /* the EB fit */
    double *m, *lo, *hi;
};

struct ana_cache {
    const struct ind_results *r;      /* what the cache is for */
    size_t rn;
    struct eb_cell *eb;               /* by the first (smallest) row index of a cell */
    int have_idx;
    struct ana_window win;            /* the window idx is for */
    size_t *idx, ni;                  /* rows in the window, sorted into cells */
};

struct ana_cache *ana_cache_new(void)
{
    return xcalloc(1, sizeof(struct ana_cache));
}

static void cache_clear(struct ana_cache *c)
{
    for (size_t i = 0; c->eb && i < c->rn; i++) {
        free(c->eb[i].schi);
        free(c->eb[i].m);
        free(c->eb[i].lo);
        free(c->eb[i].hi);
    }
    free(c->eb);
    free(c->idx);
    memset(c, 0, sizeof *c);
}

void ana_cache_free(struct ana_cache *c)
{
    if (!c) return;
    cache_clear(c);
    free(c);
}

/* The cache for r: emptied when it was made for other results. */
static struct ana_cache *cache_for(const struct ana_compare_opts *o, const struct ind_results *r)
{
    struct ana_cache *c = o ? o->cache : NULL;
    if (!c) return NULL;
    if (c->r != r || c->rn != r->n) {
        cache_clear(c);
        c->r = r;
        c->rn = r->n;
        c->eb = xcalloc(r->n + 1, sizeof *c->eb);
    }
    return c;
}

/* One cell: rows c[0..nc) of one indicator, year and breakdown (all levels). */
static void compare_cell(const struct ind_results *r, const size_t *c, size_t nc,
                         const char *const *mem, size_t nmem, const char *cluster_id,
                         const struct ana_compare_opts *o, struct ana_compare *slot,
                         int *has_slot, struct ana_cache *cache)
{
    const struct ind_row *district = NULL, *cluster = NULL;
    const struct ind_row **sch = xmalloc((nc + 1) * sizeof *sch);
    size_t *schi = xmalloc((nc + 1) * sizeof *schi);
    int *inc = xmalloc((nc + 1) * sizeof *inc);
    size_t ns = 0;
    for (size_t i = 0; i < nc; i++) {
        const struct ind_row *row = &r->v[c[i]];
        if (row->level == IND_DISTRICT) district = row;
        else if (row->level == IND_CLUSTER && str_eq(row->unit, cluster_id)) cluster = row;
        else if (row->level == IND_SCHOOL && usable(row)) {
            const char *u = row->unit ? row->unit : "";
            sch[ns] = row;
            schi[ns] = c[i];
            inc[ns] = bsearch(&u, mem, nmem, sizeof *mem, cmp_str_p) != NULL;
            ns++;
        }
    }
    const struct indicator *ind = r->v[c[0]].ind;
    int lb = lower_better(ind);
    int widen = !(o && o->no_overdispersion) && !ind->census;
    /* the overdispersion and the EB fit depend on the cell's rows only, not on the
       cluster: from the cache when it has them */
    struct eb_cell *ec = cache ? &cache->eb[c[0]] : NULL;
    if (ec && ec->schi && (ec->ns != ns || memcmp(ec->schi, schi, ns * sizeof *schi) != 0))
        ec = NULL;   /* not the same rows (cannot happen for the same r): no cache */
    if (ec && !ec->schi) {
        ec->ns = ns;
        ec->schi = xmalloc((ns + 1) * sizeof *ec->schi);
        memcpy(ec->schi, schi, ns * sizeof *ec->schi);
    }
    struct ana_od od;
    if (ec && ec->od_done) {
        od = ec->od;
    } else {
        cell_od(district, sch, ns, &od);
        if (ec) {
            ec->od = od;
            ec->od_done = 1;
        }
    }

    /* EB over every school of the district in this cell */
    double *ebm = NULL, *eblo = NULL, *ebhi = NULL;
    int eb_ok = 0;
    if (!(ind->kind == IND_SHARE && ns >= 2 && !(o && o->no_eb))) ec = NULL;
    if (ec && ec->done) {
        eb_ok = ec->ok;
        if (eb_ok) {
            ebm = xmalloc(ns * sizeof *ebm);
            eblo = xmalloc(ns * sizeof *eblo);
            ebhi = xmalloc(ns * sizeof *ebhi);
            memcpy(ebm, ec->m, ns * sizeof *ebm);
            memcpy(eblo, ec->lo, ns * sizeof *eblo);
            memcpy(ebhi, ec->hi, ns * sizeof *ebhi);
        }
    } else if (ind->kind == IND_SHARE && ns >= 2 && !(o && o->no_eb)) {
        double *k = xmalloc(ns * sizeof *k), *n = xmalloc(ns * sizeof *n);
        ebm = xmalloc(ns * sizeof *ebm);
        eblo = xmalloc(ns * sizeof *eblo);
        ebhi = xmalloc(ns * sizeof *ebhi);
        int ok = 1;
        for (size_t i = 0; i < ns; i++) {
            k[i] = sch[i]->num;
            n[i] = sch[i]->den;
            if (!(isfinite(k[i]) && isfinite(n[i]) && k[i] >= 0 && k[i] <= n[i])) ok = 0;
        }
        /* the floor on ρ (stats.h): never a prior so strong that a quantile fails */
        eb_ok = ok && stats_eb_betabinom_floor(k, n, ns, STATS_LEVEL_95, STATS_EB_RHO_MIN, NULL,
                                               ebm, eblo, ebhi) == STATS_OK;
        for (size_t i = 0; eb_ok && i < ns; i++)
            if (!(isfinite(ebm[i]) && isfinite(eblo[i]) && isfinite(ebhi[i]))) eb_ok = 0;
        free(k);
        free(n);
        if (ec) {
            ec->done = 1;
            ec->ok = eb_ok;
            if (eb_ok) {
                ec->m = xmalloc(ns * sizeof *ec->m);
                ec->lo = xmalloc(ns * sizeof *ec->lo);
                ec->hi = xmalloc(ns * sizeof *ec->hi);
                memcpy(ec->m, ebm, ns * sizeof *ec->m);
                memcpy(ec->lo, eblo, ns * sizeof *ec->lo);
                memcpy(ec->hi, ebhi, ns * sizeof *ec->hi);
            }
        }
    }

    /* the cluster's schools: percentile and ranks */
    size_t npeer = 0;
    double *peer = xmalloc((ns + 1) * sizeof *peer), *peer_eb = xmalloc((ns + 1) * sizeof *peer_eb);
    const struct ind_row **restrows = xmalloc((ns + 1) * sizeof *restrows);
    size_t nrest = 0;
    for (size_t i = 0; i < ns; i++) {
        if (inc[i]) {
            peer[npeer] = lb ? -sch[i]->value : sch[i]->value;
            peer_eb[npeer] = eb_ok ? (lb ? -ebm[i] : ebm[i]) : NAN;
            npeer++;
        } else {
            restrows[nrest] = sch[i];
            nrest++;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        if (!inc[i]) continue;
        if (o && o->school && !str_eq(o->school, sch[i]->unit)) continue;
        struct ana_compare *e = &slot[schi[i]];
        compare_init(e, sch[i], cluster_id);
        has_slot[schi[i]] = 1;
        compare_vs(sch[i], cluster, &od, widen, &e->vs_cluster);
        compare_vs(sch[i], district, &od, widen, &e->vs_district);
        e->peers = npeer;
        double me = lb ? -sch[i]->value : sch[i]->value;
        if (stats_percentile_rank(me, peer, npeer, &e->pct_rank) != STATS_OK)
            e->pct_rank = NAN;
        int better = 0, better_eb = 0;
        for (size_t q = 0; q < npeer; q++) {
            if (peer[q] > me) better++;
            if (eb_ok && peer_eb[q] > (lb ? -ebm[i] : ebm[i])) better_eb++;
        }
        e->rank = better + 1;
        if (eb_ok) {
            e->has_eb = 1;
            e->eb = 100.0 * ebm[i];
            e->eb_lo = 100.0 * eblo[i];
            e->eb_hi = 100.0 * ebhi[i];
            e->eb_rank = better_eb + 1;
        }
    }
    /* the cluster against the rest of the district, schools as the units */
    if (cluster && usable(cluster) && !(o && o->school)) {
        size_t idx = (size_t)(cluster - r->v);
        struct ana_compare *e = &slot[idx];
        compare_init(e, cluster, cluster_id);
        has_slot[idx] = 1;
        e->vs_district.od = od;
        if (district && usable(district)) {
            e->vs_district.ref = district;
            e->vs_district.diff = cluster->value - district->value;
        }
        e->peers = npeer;
        e->rest_value = pooled(ind, restrows, nrest);
        /* stats.h stats_group_vs_rest: weighted least squares of the school values on
           the cluster indicator, weights their participants (the difference is the
           pooled difference; its SE from the scatter of schools, t with I − 2 df) */
        double *y = xmalloc((ns + 1) * sizeof *y), *w = xmalloc((ns + 1) * sizeof *w);
        int *g = xmalloc((ns + 1) * sizeof *g);
        size_t nu = 0;
        for (size_t i = 0; district && usable(district) && i < ns; i++) {
            double wi = ind->kind == IND_SHARE || ind->kind == IND_RATE ? sch[i]->den : sch[i]->n;
            double yi = ind->kind == IND_COUNT ? sch[i]->value / sch[i]->n : sch[i]->value;
            if (!(isfinite(wi) && wi > 0.0 && isfinite(yi))) continue;
            y[nu] = yi;
            w[nu] = wi;
            g[nu] = inc[i];
            nu++;
        }
        struct stats_group_test gt;
        if (!ind->census && nu >= 3 &&
            stats_group_vs_rest(y, w, g, nu, &gt) == STATS_OK && gt.units_group >= 2 &&
            gt.units_rest >= 2 && isfinite(gt.t)) {
            e->t = gt.t;
            e->p = gt.p;
            struct ana_vs *vs = &e->vs_district;
            vs->ref_value = ind->kind == IND_COUNT ? gt.value_rest * cluster->n : gt.value_rest;
            vs->z_adj = gt.t;
            vs->p_hi = gsl_cdf_tdist_Q(gt.t, gt.df);
            vs->p_lo = gsl_cdf_tdist_P(gt.t, gt.df);
            vs->test = "schools";
        }
        free(y);
        free(w);
        free(g);
    }
    free(peer);
    free(peer_eb);
    free(restrows);
    free(ebm);
    free(eblo);
    free(ebhi);
    free(sch);
    free(schi);
    free(inc);
}

void ana_compare(const struct ind_results *r, const struct ind_members *m,
                 const char *cluster_id, const struct ana_compare_opts *o,
                 struct ana_compares *out)
{
    double alpha = o && o->alpha > 0.0 ? o->alpha : ANA_ALPHA_DEFAULT;
    /* the cluster's schools, sorted for bsearch */
    const char **mem = xmalloc((m->n + 1) * sizeof *mem);
    size_t nmem = 0;
    for (size_t i = 0; i < m->n; i++)
        if (str_eq(m->v[i].cluster_id, cluster_id)) mem[nmem++] = m->v[i].school_id;
    qsort(mem, nmem, sizeof *mem, cmp_str_p);

    /* rows in their windows, grouped into cells (indicator, year, breakdown) */
    struct ana_cache *cache = cache_for(o, r);
    struct ana_window w0;
    memset(&w0, 0, sizeof w0);
    const struct ana_window *win = o ? &o->window : &w0;
    size_t *idx, ni = 0;
    if (cache && cache->have_idx && memcmp(&cache->win, win, sizeof *win) == 0) {
        ni = cache->ni;
        idx = xmalloc((ni + 1) * sizeof *idx);
        memcpy(idx, cache->idx, ni * sizeof *idx);
    } else {
        struct win_cache wc;
        wc.n = 0;
        idx = xmalloc((r->n + 1) * sizeof *idx);
        for (size_t i = 0; i < r->n; i++) {
            int y0, y1;
            if (!cached_window(&wc, r, r->v[i].ind, o ? &o->window : NULL, &y0, &y1)) continue;
            if (r->v[i].year < y0 || r->v[i].year > y1) continue;
            idx[ni++] = i;
        }
        sort_r = r;
        qsort(idx, ni, sizeof *idx, idx_cmp);
        sort_r = NULL;
        if (cache) {
            free(cache->idx);
            cache->idx = xmalloc((ni + 1) * sizeof *cache->idx);
            memcpy(cache->idx, idx, ni * sizeof *idx);
            cache->ni = ni;
            cache->win = *win;
            cache->have_idx = 1;
        }
    }

    struct ana_compare *slot = xcalloc(r->n + 1, sizeof *slot);
    int *has = xcalloc(r->n + 1, sizeof *has);
    for (size_t i = 0; i < ni;) {
        size_t j = i + 1;
        while (j < ni && cell_cmp_rows(&r->v[idx[i]], &r->v[idx[j]]) == 0) j++;
        compare_cell(r, idx + i, j - i, mem, nmem, cluster_id, o, slot, has, cache);
        i = j;
    }
    /* the cluster's comparisons of a year are one family: Benjamini–Hochberg over them,
       and the verdict from the adjusted p */
    size_t *fam = xmalloc((r->n + 1) * sizeof *fam);
    double *pv = xmalloc((r->n + 1) * sizeof *pv), *adj = xmalloc((r->n + 1) * sizeof *adj);
    char *done = xcalloc(r->n + 1, 1);
    for (size_t i = 0; i < r->n; i++) {
        if (!has[i] || r->v[i].level != IND_CLUSTER || done[i]) continue;
        size_t nf = 0;
        for (size_t k = i; k < r->n; k++)
            if (has[k] && r->v[k].level == IND_CLUSTER && !done[k] && r->v[k].year == r->v[i].year) {
                done[k] = 1;
                if (isfinite(slot[k].p)) {
                    fam[nf] = k;
                    pv[nf++] = slot[k].p;
                }
            }
        if (nf && stats_p_adjust(pv, nf, STATS_PADJ_BH, adj) != STATS_OK)
            for (size_t q = 0; q < nf; q++) adj[q] = NAN;
        for (size_t q = 0; q < nf; q++) {
            struct ana_compare *e = &slot[fam[q]];
            e->p_adj = adj[q];
            int lb = lower_better(r->v[fam[q]].ind);
            if (e->p_adj < alpha) e->cluster_verdict = (e->t > 0) == !lb ? 1 : -1;
            e->vs_district.verdict = e->cluster_verdict;
            e->vs_district.pos = e->cluster_verdict == 0 ? STATS_FUNNEL_INSIDE
                                 : (e->t > 0) ? STATS_FUNNEL_ABOVE_95 : STATS_FUNNEL_BELOW_95;
        }
    }
    free(fam);
    free(pv);
    free(adj);
    free(done);
    /* schools first, then the cluster's rows, each in the order of r */
    for (size_t i = 0; i < r->n; i++)
        if (has[i] && r->v[i].level == IND_SCHOOL) compares_push(out, &slot[i]);
    for (size_t i = 0; i < r->n; i++)
        if (has[i] && r->v[i].level == IND_CLUSTER) compares_push(out, &slot[i]);
    free(slot);
    free(has);
    free(idx);
    free(mem);
}

void ana_compares_free(struct ana_compares *c)
{
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
}

/* ==== context models ================================================================== */

static void model_free(struct ana_model *md)
{
    free(md->id);
    free(md->title);
    free(md->indicator);
    for (int k = 0; k < md->nwhere; k++) {
        free(md->where_col[k]);
        free(md->where_val[k]);
    }
    for (int k = 0; k < md->nfactors; k++) free(md->factors[k]);
    for (int k = 0; k < md->npool; k++) free(md->pool[k]);
    free(md->file);
    memset(md, 0, sizeof *md);
}

/* The keys of a model (deffile.h); any other identifier is a breakdown column. */
static const struct deffile_key model_keys[] = {
    {"title", DF_TEXT, 0, 0, 0, NULL, NULL},
    {"indicator", DF_IDENT, DF_REQUIRED, 0, 0, NULL, N_("an indicator id")},
    {"factors", DF_LIST, DF_REQUIRED, 1, ANA_MAX_FACTORS, NULL,
     N_("a comma-separated list of context factors (at most 16): names of the form context, "
        "or FORM:CODE of another form of factors (survey_500:risk_staff_shortage)")},
    {"bound", DF_REAL, DF_REQUIRED | DF_LO_OPEN, 0, 50, NULL, N_("a positive number, e.g. 2.0")},
    {"pool", DF_IDLIST, 0, 1, IND_MAX_DIMS, NULL, N_("up to 3 breakdown columns")},
    {"min_schools", DF_INT, 0, 3, 100000, NULL, N_("a whole number from 3 to 100000")},
    {"*", DF_TEXT, 0, 0, 0, NULL, N_("a value of the breakdown column")},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* Parses one section; returns 1 when it is a valid model. */
static int model_parse(const struct deffile *df, const struct deffile_sec *sec,
                       struct ana_model *md, struct soko_diag *d)
{
    const char *f = df->path;
    memset(md, 0, sizeof *md);
    md->id = xstrdup(sec->name);
    md->file = xstrdup(f);
    md->line = sec->line;
    md->bound = NAN;
    md->min_schools = 10;
    int ok = 1;
    if (!deffile_is_ident(sec->name)) {
        soko_diag_add(d, f, sec->line, 0,
                      "[%s]: a model id is lower-case letters, digits and '_'", sec->name);
        ok = 0;
    }
    const struct deffile_key *const tables[] = {model_keys, NULL};
    if (deffile_check(df, sec, tables, d)) ok = 0;
    /* the values that are of their type, for what the types cannot say */
#define TYPED(k) (deffile_get(sec, k, NULL) && \
                  !deffile_value_ok(deffile_key_find(tables, k), deffile_get(sec, k, NULL)))
    const char *v;
    if ((v = deffile_get(sec, "title", NULL))) md->title = xstrdup(v);
    if (TYPED("indicator")) md->indicator = xstrdup(deffile_get(sec, "indicator", NULL));
    if (TYPED("bound")) md->bound = deffile_real(sec, "bound", NAN);
    if (TYPED("min_schools")) md->min_schools = deffile_long(sec, "min_schools", 10);
    int n;
    char **items = deffile_list(TYPED("factors") ? deffile_get(sec, "factors", NULL) : "", &n);
    for (int i = 0; i < n && md->nfactors < ANA_MAX_FACTORS; i++) {
        int dup = 0;
        for (int q = 0; q < md->nfactors; q++) dup |= strcmp(md->factors[q], items[i]) == 0;
        if (dup) {
            deffile_bad(d, df, sec, deffile_kv(sec, "factors"), NULL, _("each factor once ('%s' is "
                        "given twice)"), items[i]);
            ok = 0;
            continue;
        }
        const char *code = NULL;
        const struct form *ff = strchr(items[i], ':') ? form_of_factor(items[i], &code) : NULL;
        if (strchr(items[i], ':') && !ff) {
            deffile_bad(d, df, sec, deffile_kv(sec, "factors"), NULL, _("FORM:CODE with a form whose "
                        "rows are context factors (its definition says 'factors = ...'), e.g. "
                        "survey_500:risk_staff_shortage ('%s' is none)"), items[i]);
            ok = 0;
            continue;
        }
        if (ff && !form_factor_known(ff, code)) {
            struct sbuf known = SBUF_INIT;
            int c = form_col_index(ff, ff->factor_col);
            if (c >= 0 && ff->cols[c].values)
                for (const struct enum_val *ev = ff->cols[c].values; ev->value; ev++)
                    sbuf_printf(&known, "%s%s", known.len ? ", " : "", ev->value);
            deffile_bad(d, df, sec, deffile_kv(sec, "factors"), NULL, _("a factor of the form %s "
                        "('%s' is none): %s"), ff->name, items[i],
                        known.len ? known.s : "a name of lower-case letters, digits and '_'");
            sbuf_free(&known);
            ok = 0;
            continue;
        }
        if (!ff && !deffile_is_ident(items[i])) {
            deffile_bad(d, df, sec, deffile_kv(sec, "factors"), NULL, _("factors of the form context "
                        "named by lower-case letters, digits and '_' ('%s' is none)"), items[i]);
            ok = 0;
            continue;
        }
        md->factors[md->nfactors++] = xstrdup(items[i]);
    }
    deffile_list_free(items);
    if (TYPED("pool") && (v = deffile_get(sec, "pool", NULL))) {
        items = deffile_list(v, &n);
        for (int i = 0; i < n && md->npool < IND_MAX_DIMS; i++) md->pool[md->npool++] = xstrdup(items[i]);
        deffile_list_free(items);
    }
    for (size_t i = 0; i < sec->nkv; i++) {
        const struct deffile_kv *kv = &sec->kv[i];
        if (deffile_key_find(tables, kv->key) != &model_keys[6]) continue;
        /* a breakdown column of the indicator; checked against it at evaluation */
        if (!deffile_is_ident(kv->key)) {
            soko_diag_add(d, f, kv->line, 0,
                          "[%s]: %s: unknown key; expected title, indicator, factors, bound, "
                          "pool, min_schools or a breakdown column (lower-case letters, digits "
                          "and '_')", sec->name, kv->key);
            ok = 0;
            continue;
        }
        if (md->nwhere == IND_MAX_DIMS) {
            soko_diag_add(d, f, kv->line, 0, _("[%s]: %s: more than %d breakdown columns"),
                          sec->name, kv->key, IND_MAX_DIMS);
            ok = 0;
            continue;
        }
        md->where_col[md->nwhere] = xstrdup(kv->key);
        md->where_val[md->nwhere] = xstrdup(kv->value);
        md->nwhere++;
    }
#undef TYPED
    if (ok && md->min_schools < md->nfactors + 3) {
        deffile_bad(d, df, sec, deffile_kv(sec, "min_schools") ? deffile_kv(sec, "min_schools") : NULL,
                    "min_schools", _("at least %d for %d factors"), md->nfactors + 3, md->nfactors);
        ok = 0;
    }
    return ok;
}

int ana_context_load(const char *path, struct ana_models *out, struct soko_diag *d)
{
    out->v = NULL;
    out->n = 0;
    struct stat st;
    char *file;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        file = xasprintf("%s/context.ini", path);
        if (stat(file, &st) != 0) {
            free(file);
            return SOKO_OK;
        }
    } else {
        file = xstrdup(path);
    }
    struct deffile df;
    int rc = deffile_read(file, &df, d);
    free(file);
    if (rc != SOKO_OK) {
        deffile_free(&df);    /* deffile_read fills df even when it refuses the file */
        return rc;
    }
    out->v = xcalloc(df.nsec + 1, sizeof *out->v);
    int ok = 1;
    for (size_t i = 0; i < df.nsec; i++) {
        struct ana_model md;
        if (model_parse(&df, &df.sec[i], &md, d))
            out->v[out->n++] = md;
        else {
            model_free(&md);
            ok = 0;
        }
    }
    deffile_free(&df);
    if (!ok) {
        ana_models_free(out);
        return SOKO_ECONFIG;
    }
    return SOKO_OK;
}

void ana_models_free(struct ana_models *m)
{
    for (size_t i = 0; i < m->n; i++) model_free(&m->v[i]);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

const struct ana_model *ana_model_find(const struct ana_models *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].id, id) == 0) return &m->v[i];
    return NULL;
}

const char *ana_odds_name(enum ana_odds o)
{
    switch (o) {
    case ANA_ODDS_NONE: return "none";
    case ANA_ODDS_BEATING: return "beating";
    case ANA_ODDS_BELOW: return "below";
    }
    return "unknown";
}

/* ==== context-adjusted results ========================================================= */

/* Index of the dim column col of ind, or -1. */
static int dim_index(const struct indicator *ind, const char *col)
{
    for (int k = 0; k < ind->ndims; k++)
        if (ind->dims[k] && strcmp(ind->dims[k], col) == 0) return k;
    return -1;
}

static int row_matches(const struct ana_model *md, const struct indicator *ind,
                       const struct ind_row *row)
{
    for (int w = 0; w < md->nwhere; w++) {
        int k = dim_index(ind, md->where_col[w]);
        if (k < 0) return 0;
        const char *v = row->dim[k] ? row->dim[k] : "";
        if (utf8_casecmp(v, md->where_val[w]) != 0) return 0;
    }
    return 1;
}

/* Factor value of school in year, or NaN: f is ordered by school, year. */
static double factor_at(const struct ind_factors *f, const char *school, int year)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = str_cmp(f->v[mid].school_id, school);
        if (c == 0) c = f->v[mid].year < year ? -1 : f->v[mid].year > year;
        if (c == 0) return f->v[mid].value;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NAN;
}

static int same_dims_e(const struct ana_ctx_school *a, const struct ana_ctx_school *b)
{
    for (int k = 0; k < IND_MAX_DIMS; k++)
        if (!str_eq(a->dim[k], b->dim[k])) return 0;
    return 1;
}

static int entry_has_dims(const struct ana_ctx_school *a, const struct ind_row *row)
{
    for (int k = 0; k < IND_MAX_DIMS; k++)
        if (!str_eq(a->dim[k], row->dim[k])) return 0;
    return 1;
}

static int ctx_cmp(const void *pa, const void *pb)
{
    const struct ana_ctx_school *a = pa, *b = pb;
    int c = str_cmp(a->school_id, b->school_id);
    if (c) return c;
    for (int k = 0; k < IND_MAX_DIMS; k++) {
        c = str_cmp(a->dim[k], b->dim[k]);
        if (c) return c;
    }
    return 0;
}

static const struct ind_results *ctx_r;

/* breakdown, then school, then year */
static int ctx_idx_cmp(const void *pa, const void *pb)
{
    const struct ind_row *a = &ctx_r->v[*(const size_t *)pa];
    const struct ind_row *b = &ctx_r->v[*(const size_t *)pb];
    for (int k = 0; k < IND_MAX_DIMS; k++) {
        int c = str_cmp(a->dim[k], b->dim[k]);
        if (c) return c;
    }
    int c = str_cmp(a->unit, b->unit);
    if (c) return c;
    return a->year < b->year ? -1 : a->year > b->year;
}

/* Pools the school rows of ind over md's pool columns: one row per school, year and
 * remaining breakdown, Σnum/Σden (suppressed rows included: a small group counts in
 * a pooled figure as it does in a cluster's). The rows go to out->pooled. */
static void pool_rows(const struct ana_model *md, const struct indicator *ind,
                      const struct ind_results *r, int y0, int y1, struct ana_context *out,
                      struct ind_results *pr)
{
    int pooled[IND_MAX_DIMS] = {0};
    for (int q = 0; q < md->npool; q++) {
        int k = dim_index(ind, md->pool[q]);
        if (k >= 0) pooled[k] = 1;
    }
    size_t *idx = xmalloc((r->n + 1) * sizeof *idx), ni = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct ind_row *row = &r->v[i];
        if (row->ind != ind || row->level != IND_SCHOOL) continue;
        if (row->year < y0 || row->year > y1 || !row_matches(md, ind, row)) continue;
        idx[ni++] = i;
    }
    struct ind_row *v = xcalloc(ni + 1, sizeof *v);
    size_t nv = 0;
    for (size_t i = 0; i < ni; i++) {
        const struct ind_row *row = &r->v[idx[i]];
        struct ind_row key = *row;
        for (int k = 0; k < IND_MAX_DIMS; k++)
            if (pooled[k]) key.dim[k] = NULL;
        struct ind_row *t = NULL;
        for (size_t q = nv; q-- > 0;) {   /* a school's rows are together: look back */
            if (!str_eq(v[q].unit, row->unit)) break;
            if (v[q].year == row->year && same_dims(&v[q], &key)) {
                t = &v[q];
                break;
            }
        }
        if (!t) {
            t = &v[nv++];
            memset(t, 0, sizeof *t);
            t->ind = ind;
            t->level = IND_SCHOOL;
            t->unit = row->unit;
            t->year = row->year;
            memcpy(t->dim, key.dim, sizeof t->dim);
            t->sd = t->lo = t->hi = NAN;
        }
        if (!isfinite(row->num) || !isfinite(row->den)) {
            t->notes |= IND_NOTE_INVALID;
            continue;
        }
        t->num += row->num;
        t->den += row->den;
        t->n += isfinite(row->n) ? row->n : 0.0;
    }
    free(idx);
    double per = ind->per > 0.0 ? ind->per : 100.0;
    for (size_t q = 0; q < nv; q++) {
        struct ind_row *t = &v[q];
        double val = NAN;
        if (!(t->notes & IND_NOTE_INVALID) && t->den > 0.0) {
            switch (ind->kind) {
            case IND_SHARE: val = 100.0 * t->num / t->den; break;
            case IND_MEAN: val = t->num / t->den; break;
            case IND_RATE: val = per * t->num / t->den; break;
            case IND_COUNT: val = NAN; break;
            }
        }
        t->value = val;
        t->suppressed = t->n < (double)ind->min_n;
        if (t->suppressed) t->notes |= IND_NOTE_SUPPRESSED;
    }
    out->pooled = xrealloc(out->pooled, (out->npooled + 1) * sizeof *out->pooled);
    out->pooled[out->npooled++] = v;
    pr->v = v;
    pr->n = pr->cap = nv;
    pr->arena = NULL;
}

static void context_compute(const struct ana_model *md, const struct indicator *ind,
                            const struct ind_results *r, const struct ind_factors *f,
                            int y0, int y1, struct ana_context *out);

void ana_context_compute(const struct ana_model *md, const struct indicator *ind,
                         const struct ind_results *r, const struct ind_factors *f,
                         int y0, int y1, struct ana_context *out)
{
    if (y1 < y0) return;
    if (y1 - y0 + 1 > ANA_MAX_YEARS) y0 = y1 - ANA_MAX_YEARS + 1;
    if (md->npool > 0) {
        struct ind_results pr;
        pool_rows(md, ind, r, y0, y1, out, &pr);
        context_compute(md, ind, &pr, f, y0, y1, out);
    } else {
        context_compute(md, ind, r, f, y0, y1, out);
    }
}

static void context_compute(const struct ana_model *md, const struct indicator *ind,
                            const struct ind_results *r, const struct ind_factors *f,
                            int y0, int y1, struct ana_context *out)
{
    if (y1 - y0 + 1 > ANA_MAX_YEARS) y0 = y1 - ANA_MAX_YEARS + 1;
    int ny = y1 - y0 + 1;
    size_t p = (size_t)md->nfactors;
    int lb = lower_better(ind);

    size_t *idx = xmalloc((r->n + 1) * sizeof *idx), ni = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct ind_row *row = &r->v[i];
        if (row->ind != ind || row->level != IND_SCHOOL || !usable(row)) continue;
        if (row->year < y0 || row->year > y1 || !row_matches(md, ind, row)) continue;
        idx[ni++] = i;
    }
    ctx_r = r;
    qsort(idx, ni, sizeof *idx, ctx_idx_cmp);
    ctx_r = NULL;

    /* one entry per (breakdown, school), in that order */
    struct ana_ctx_school *e = xcalloc(ni + 1, sizeof *e);
    size_t ne = 0;
    for (size_t i = 0; i < ni; i++) {
        const struct ind_row *row = &r->v[idx[i]];
        struct ana_ctx_school *cur = ne ? &e[ne - 1] : NULL;
        if (!cur || !str_eq(cur->school_id, row->unit) || !entry_has_dims(cur, row)) {
            cur = &e[ne++];
            cur->model = md;
            cur->ind = ind;
            cur->school_id = row->unit;
            for (int k = 0; k < IND_MAX_DIMS; k++) cur->dim[k] = row->dim[k];
            cur->nyears = ny;
            for (int y = 0; y < ny; y++) {
                cur->years[y] = y0 + y;
                cur->rows[y] = NULL;
                cur->expected[y] = cur->resid[y] = cur->r2[y] = NAN;
                cur->nschools[y] = 0;
                cur->fit[y] = -1;
            }
        }
        cur->rows[row->year - y0] = row;
    }
    free(idx);

    /* per breakdown and year: OLS of the value on the factors */
    double *yv = xmalloc((ne + 1) * sizeof *yv);
    double *xv = xmalloc((ne + 1) * (p + 1) * sizeof *xv);
    double *rs = xmalloc((ne + 1) * sizeof *rs), *lev = xmalloc((ne + 1) * sizeof *lev);
    size_t *who = xmalloc((ne + 1) * sizeof *who);
    double coef[ANA_MAX_FACTORS + 1];
    for (size_t b = 0; b < ne;) {
        size_t be = b + 1;
        while (be < ne && same_dims_e(&e[b], &e[be])) be++;
        for (int y = 0; y < ny; y++) {
            size_t m = 0;
            for (size_t i = b; i < be; i++) {
                const struct ind_row *row = e[i].rows[y];
                if (!row) continue;
                int ok = 1;
                for (size_t j = 0; j < p; j++) {
                    double fv = factor_at(&f[j], e[i].school_id, y0 + y);
                    if (!isfinite(fv)) ok = 0;
                    xv[m * p + j] = fv;
                }
                if (!ok) continue;
                yv[m] = row->value;
                who[m] = i;
                m++;
            }
            if (m < (size_t)md->min_schools || m <= p + 2) continue;
            /* each school measured against the fit without itself (stats.h
               stats_ols_inference): the externally studentised residual (R rstudent)
               and the value expected from the others, y − e/(1 − h) */
            double se[ANA_MAX_FACTORS + 1], tv[ANA_MAX_FACTORS + 1], pv[ANA_MAX_FACTORS + 1];
            struct stats_ols_fit fit;
            if (stats_ols_inference(yv, xv, m, p, coef, se, tv, pv, rs, lev, &fit) != STATS_OK)
                continue;
            out->fits = xrealloc(out->fits, (out->nfits + 1) * sizeof *out->fits);
            struct ana_ctx_fit *cf = &out->fits[out->nfits];
            memset(cf, 0, sizeof *cf);
            cf->model = md;
            for (int k = 0; k < IND_MAX_DIMS; k++) cf->dim[k] = e[b].dim[k];
            cf->year = y0 + y;
            cf->nschools = m;
            cf->ncoef = (int)p + 1;
            for (size_t j = 0; j <= p; j++) {
                cf->coef[j] = coef[j];
                cf->se[j] = se[j];
                cf->t[j] = tv[j];
                cf->p[j] = pv[j];
            }
            cf->r2 = fit.r2;
            cf->sigma = fit.sigma;
            cf->df = fit.df;
            int fi = (int)out->nfits++;
            double r2 = fit.r2;
            for (size_t q = 0; q < m; q++) {
                struct ana_ctx_school *s = &e[who[q]];
                double fv = coef[0];
                for (size_t j = 0; j < p; j++) fv += coef[j + 1] * xv[q * p + j];
                double t = rs[q], loo = fv;
                if (isfinite(lev[q]) && lev[q] < 1.0) loo = yv[q] - (yv[q] - fv) / (1.0 - lev[q]);
                s->fit[y] = fi;
                s->expected[y] = loo;
                s->resid[y] = lb ? -t : t;
                s->r2[y] = r2;
                s->nschools[y] = m;
            }
        }
        b = be;
    }
    free(yv);
    free(xv);
    free(rs);
    free(lev);
    free(who);

    /* verdicts: beyond the bound in every year of the window */
    for (size_t i = 0; i < ne; i++) {
        struct ana_ctx_school *s = &e[i];
        int above = 0, below = 0;
        s->present = 0;
        for (int y = 0; y < ny; y++) {
            if (!isfinite(s->resid[y])) continue;
            s->present++;
            if (s->resid[y] > md->bound) above++;
            if (s->resid[y] < -md->bound) below++;
        }
        s->odds = ANA_ODDS_NONE;
        if (ny >= 2 && s->present == ny) {
            if (above == ny) s->odds = ANA_ODDS_BEATING;
            else if (below == ny) s->odds = ANA_ODDS_BELOW;
        }
    }
    qsort(e, ne, sizeof *e, ctx_cmp);
    for (size_t i = 0; i < ne; i++) {
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 64;
            out->v = xrealloc(out->v, out->cap * sizeof *out->v);
        }
        out->v[out->n++] = e[i];
    }
    free(e);
}

int ana_context_eval(struct ind_set *s, const struct ana_model *md,
                     const struct ana_window *w, struct ind_results *res,
                     struct ana_context *out, struct soko_diag *d)
{
    const struct indicator *ind = ind_find(s, md->indicator);
    if (!ind) {
        soko_diag_add(d, md->file, md->line, 0, _("[%s]: indicator: no indicator '%s'"),
                      md->id, md->indicator);
        return SOKO_ECONFIG;
    }
    for (int k = 0; k < md->nwhere; k++)
        if (dim_index(ind, md->where_col[k]) < 0) {
            soko_diag_add(d, md->file, md->line, 0,
                          "[%s]: %s: indicator '%s' is not broken down by '%s'", md->id,
                          md->where_col[k], ind->id, md->where_col[k]);
            return SOKO_ECONFIG;
        }
    for (int k = 0; k < md->npool; k++)
        if (dim_index(ind, md->pool[k]) < 0) {
            soko_diag_add(d, md->file, md->line, 0,
                          "[%s]: pool: indicator '%s' is not broken down by '%s'", md->id,
                          ind->id, md->pool[k]);
            return SOKO_ECONFIG;
        }
    int wy0 = w ? w->y0 : 0, wy1 = w ? w->y1 : 0;
    size_t n0 = res->n;
    int rc = ind_evaluate(s, ind, wy0, wy1, res, d);
    if (rc != SOKO_OK) return rc;
    /* only the rows just evaluated: res may already hold this indicator's rows (two
       models on one indicator), and pooling them twice would double every n */
    struct ind_results mine = {res->v + n0, res->n - n0, res->n - n0, NULL};
    int y0, y1;
    if (!ana_window_resolve(&mine, ind, w, &y0, &y1)) return SOKO_OK;
    struct ind_factors f[ANA_MAX_FACTORS];
    memset(f, 0, sizeof f);
    int nf = 0;
    for (; nf < md->nfactors; nf++) {
        rc = ind_factor_values(s, md->factors[nf], y0, y1, &f[nf], d);
        if (rc != SOKO_OK) break;
    }
    if (rc == SOKO_OK) ana_context_compute(md, ind, &mine, f, y0, y1, out);
    for (int j = 0; j < nf; j++) ind_factors_free(&f[j]);
    return rc;
}

void ana_context_free(struct ana_context *c)
{
    free(c->fits);
    c->fits = NULL;
    c->nfits = 0;
    for (size_t i = 0; i < c->npooled; i++) free(c->pooled[i]);
    free(c->pooled);
    c->pooled = NULL;
    c->npooled = 0;
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
}
