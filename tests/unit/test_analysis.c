/*
 * test_analysis.c — engine/analysis.c on hand-built indicator results.
 *
 * The fixtures are struct ind_results filled here (no store, no SQL): a struct
 * indicator per test and rows as ind_evaluate would give them. Expected numbers are
 * hand computations (the arithmetic beside them) or printed by
 * tests/unit/analysis_reference.R, whose call is written beside each constant.
 * Tolerance as in test_stats.c: 1e-9 relative (R prints 15 digits).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis.h"

#define REL 1e-9
#define ABS 1e-12

static int close_enough(double got, double want, const char *what, const char *file,
                        int line)
{
    double tol = want == 0.0 ? ABS : REL * fabs(want);
    if (fabs(got - want) <= tol)
        return 1;
    print_error("%s:%d: %s = %.15g, expected %.15g (tolerance %g)\n", file, line, what,
                got, want, tol);
    return 0;
}

#define ASSERT_CLOSE(got, want) \
    do { \
        if (!close_enough((got), (want), #got, __FILE__, __LINE__)) \
            fail(); \
    } while (0)

static int setup(void **state)
{
    (void)state;
    stats_init();
    return 0;
}

/* --- fixtures ---------------------------------------------------------------------- */

static struct indicator mk_ind(const char *id, enum ind_kind kind, int lower_is_better)
{
    struct indicator ind;
    memset(&ind, 0, sizeof ind);
    ind.id = (char *)id;
    ind.title = (char *)id;
    ind.kind = kind;
    ind.lower_is_better = lower_is_better;
    ind.per = 100.0;
    ind.alert = ind.target = NAN;
    ind.min_n = 5;
    ind.year_from = 2000;
    ind.year_to = 2100;
    return ind;
}

static struct ind_row *add_row(struct ind_results *r, const struct indicator *ind,
                               enum ind_level level, const char *unit, int year)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    struct ind_row *row = &r->v[r->n++];
    memset(row, 0, sizeof *row);
    row->ind = ind;
    row->level = level;
    row->unit = unit;
    row->year = year;
    row->sd = row->lo = row->hi = NAN;
    return row;
}

/* A share row k/n in %, suppressed below the indicator's min_n. */
static struct ind_row *add_share(struct ind_results *r, const struct indicator *ind,
                                 enum ind_level level, const char *unit, int year,
                                 double k, double n)
{
    struct ind_row *row = add_row(r, ind, level, unit, year);
    row->num = k;
    row->den = n;
    row->n = n;
    row->value = 100.0 * k / n;
    row->suppressed = n < (double)ind->min_n;
    if (row->suppressed) row->notes |= IND_NOTE_SUPPRESSED;
    return row;
}

static struct ind_row *add_mean(struct ind_results *r, const struct indicator *ind,
                                enum ind_level level, const char *unit, int year,
                                double mean, double n, double sd)
{
    struct ind_row *row = add_row(r, ind, level, unit, year);
    row->num = mean * n;
    row->den = n;
    row->n = n;
    row->value = mean;
    row->sd = sd;
    return row;
}

static void results_free(struct ind_results *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

/* --- trends ------------------------------------------------------------------------ */

/* A quality share rising 12.5% → 18.3% → 28.2%: the WLS slope is not significant
 * with 1 df, Cochran–Armitage (which knows the binomial variance) is. */
static void test_trend_share_improving(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality", IND_SHARE, 0);
    struct ind_results r = IND_RESULTS_INIT;
    add_share(&r, &q, IND_SCHOOL, "498", 2024, 10, 80);
    add_share(&r, &q, IND_SCHOOL, "498", 2025, 15, 82);
    add_share(&r, &q, IND_SCHOOL, "498", 2026, 22, 78);
    struct ana_trends t = {0};
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.n, 1);
    const struct ana_trend *x = &t.v[0];
    assert_int_equal(x->npoints, 3);
    assert_int_equal(x->y0, 2024);
    assert_int_equal(x->y1, 2026);
    assert_int_equal(x->after_break, 0);
    /* summary(lm(y ~ yr, weights = n))$coefficients[2, c(1, 2, 4)],
     * y = 100 * c(10, 15, 22) / c(80, 82, 78), yr = 2024:2026, n = c(80, 82, 78) */
    assert_true(x->has_wls);
    ASSERT_CLOSE(x->slope, 7.84365439392564);
    ASSERT_CLOSE(x->se, 1.20407764068777);
    ASSERT_CLOSE(x->p, 0.0969703775874063);
    /* prop.trend.test(c(10, 15, 22), c(80, 82, 78), 2024:2026): X-squared, p */
    assert_true(x->has_test);
    assert_string_equal(x->test, "cochran_armitage");
    ASSERT_CLOSE(x->test_z * x->test_z, 6.17185179165073);
    assert_true(x->test_z > 0);
    ASSERT_CLOSE(x->test_p, 0.0129798675015012);
    assert_int_equal(x->label, STATS_TREND_IMPROVING);
    /* change 100·22/78 − 100·10/80 */
    ASSERT_CLOSE(x->change, 100.0 * 22 / 78 - 12.5);
    ASSERT_CLOSE(x->change_good, x->change);
    assert_true(x->no_going_back);
    assert_ptr_equal(x->rows[2], &r.v[2]);
    ana_trends_free(&t);
    results_free(&r);
}

/* A share of «2» falling: lower is better, so improving. */
static void test_trend_fail_share_lower_is_better(void **state)
{
    (void)state;
    struct indicator f = mk_ind("fail", IND_SHARE, 1);
    struct ind_results r = IND_RESULTS_INIT;
    add_share(&r, &f, IND_SCHOOL, "23", 2024, 20, 100);
    add_share(&r, &f, IND_SCHOOL, "23", 2025, 14, 95);
    add_share(&r, &f, IND_SCHOOL, "23", 2026, 9, 105);
    struct ana_trends t = {0};
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.n, 1);
    const struct ana_trend *x = &t.v[0];
    /* summary(lm(y2 ~ yr, weights = n2)), y2 = 100 * c(20, 14, 9) / c(100, 95, 105) */
    ASSERT_CLOSE(x->slope, -5.71777145180521);
    ASSERT_CLOSE(x->se, 0.253891491688746);
    ASSERT_CLOSE(x->p, 0.0282498592119011);
    /* prop.trend.test(c(20, 14, 9), c(100, 95, 105), 2024:2026) */
    ASSERT_CLOSE(x->test_z * x->test_z, 5.45596778204084);
    ASSERT_CLOSE(x->test_p, 0.019501599073296);
    assert_true(x->test_z < 0);
    assert_int_equal(x->label, STATS_TREND_IMPROVING);
    assert_true(x->change < 0 && x->change_good > 0);
    assert_true(x->no_going_back);

    /* the same figures for an indicator where higher is better: worsening */
    f.lower_is_better = 0;
    ana_trends_free(&t);
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.v[0].label, STATS_TREND_WORSENING);
    assert_false(t.v[0].no_going_back);
    ana_trends_free(&t);
    results_free(&r);
}

/* A mean with its spread: weights n/sd² (the inverse variance of each year's mean). */
static void test_trend_mean_weights(void **state)
{
    (void)state;
    struct indicator m = mk_ind("mark", IND_MEAN, 0);
    struct ind_results r = IND_RESULTS_INIT;
    add_mean(&r, &m, IND_SCHOOL, "207", 2024, 3.61, 60, 0.80);
    add_mean(&r, &m, IND_SCHOOL, "207", 2025, 3.70, 64, 0.90);
    add_mean(&r, &m, IND_SCHOOL, "207", 2026, 3.74, 58, 0.85);
    struct ana_trends t = {0};
    ana_trends(&r, NULL, &t);
    const struct ana_trend *x = &t.v[0];
    /* summary(lm(m ~ yr, weights = nm / sd^2)), m = c(3.61, 3.70, 3.74),
     * nm = c(60, 64, 58), sd = c(0.80, 0.90, 0.85) */
    ASSERT_CLOSE(x->slope, 0.0656068694110435);
    ASSERT_CLOSE(x->se, 0.0139856328939788);
    ASSERT_CLOSE(x->p, 0.133708942126836);
    /* the test uses the known variances: f <- lm(m ~ yr, weights = nm / sd^2);
     * z <- coef(f)[2] / (summary(f)$coefficients[2, 2] / summary(f)$sigma);
     * 2 * pnorm(-abs(z)) */
    assert_string_equal(x->test, "slope_z");
    ASSERT_CLOSE(x->test_z, 0.863695014978655);
    ASSERT_CLOSE(x->test_p, 0.387755452824827);
    assert_int_equal(x->label, STATS_TREND_NO_CHANGE);

    /* without the spread: the WLS t-test (df = 1) */
    for (size_t i = 0; i < r.n; i++) r.v[i].sd = NAN;
    ana_trends_free(&t);
    ana_trends(&r, NULL, &t);
    x = &t.v[0];
    assert_string_equal(x->test, "slope_t");
    /* summary(lm(m ~ yr, weights = nm)) */
    ASSERT_CLOSE(x->slope, 0.0651490312965767);
    ASSERT_CLOSE(x->test_p, 0.142446342530314);
    assert_int_equal(x->label, STATS_TREND_NO_CHANGE);
    ana_trends_free(&t);
    results_free(&r);
}

/* A count row (olympiad winners): the count, participants as n. */
static struct ind_row *add_count(struct ind_results *r, const struct indicator *ind,
                                 enum ind_level level, const char *unit, int year,
                                 double k, double n)
{
    struct ind_row *row = add_row(r, ind, level, unit, year);
    row->num = k;
    row->den = NAN;
    row->n = n;
    row->value = k;
    return row;
}

/* Counts and rates: the Poisson score test, not the WLS t-test of 3 points (which
 * gave 98, 90, 83 winners a "significant" fall, p = 0.025, on 1 df). */
static void test_trend_count_rate_poisson(void **state)
{
    (void)state;
    struct indicator w = mk_ind("winners", IND_COUNT, 0);
    struct ind_results r = IND_RESULTS_INIT;
    add_count(&r, &w, IND_DISTRICT, "", 2024, 98, 1500);
    add_count(&r, &w, IND_DISTRICT, "", 2025, 90, 1450);
    add_count(&r, &w, IND_DISTRICT, "", 2026, 83, 1425);
    struct ana_trends t = {0};
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.n, 1);
    const struct ana_trend *x = &t.v[0];
    assert_string_equal(x->test, "poisson_score");
    /* a count with participants has them as its exposure: sc(kc, c(1500, 1450, 1425),
     * yr) of analysis_reference.R (= anova(glm(kc ~ 1 + offset(log(n))), ..., test =
     * "Rao")); the rates barely bend, so the years add no variance */
    ASSERT_CLOSE(x->test_z * x->test_z, 0.591989666598514);
    ASSERT_CLOSE(x->test_p, 0.441650756736073);
    assert_true(x->year_tau2 == 0.0);
    assert_true(x->test_z < 0);
    assert_int_equal(x->label, STATS_TREND_NO_CHANGE);
    ana_trends_free(&t);
    results_free(&r);
    /* without participants the exposure is 1: by hand mu = 271/3, U = −15, V = 2·mu:
     * z² = 675/542 (sc(kc, c(1, 1, 1), yr)) — the series alone, at its sampling
     * variance (ana_trend_series) */
    {
        int yy[] = {2024, 2025, 2026};
        double kk[] = {98, 90, 83}, nan3[] = {NAN, NAN, NAN};
        struct ana_trend one;
        memset(&one, 0, sizeof one);
        ana_trend_series(&w, yy, kk, kk, nan3, nan3, nan3, 3, 0.05, &one);
        ASSERT_CLOSE(one.test_z * one.test_z, 675.0 / 542.0);
        ASSERT_CLOSE(one.test_p, 0.264435280643744);
    }

    /* a rate per 100 students rising: exposure = the base; the series alone
     * (ana_trend_series): anova(glm(kr ~ 1 + offset(log(er)), poisson), glm(kr ~ yr +
     * offset(log(er)), poisson), test = "Rao"), kr = c(12, 20, 31), er = c(400, 420,
     * 410), in closed form: sc(kr, er, yr) */
    struct indicator a = mk_ind("awards", IND_RATE, 0);
    {
        int yy[] = {2024, 2025, 2026};
        double val[] = {3.0, 100.0 * 20 / 420, 100.0 * 31 / 410}, kk[] = {12, 20, 31},
               ee[] = {400, 420, 410};
        struct ana_trend one;
        memset(&one, 0, sizeof one);
        ana_trend_series(&a, yy, val, kk, ee, ee, NULL, 3, 0.05, &one);
        assert_string_equal(one.test, "poisson_score");
        ASSERT_CLOSE(one.test_z * one.test_z, 8.23936673645567);
        ASSERT_CLOSE(one.test_p, 0.00409914317420138);
        assert_int_equal(one.label, STATS_TREND_IMPROVING);
        /* the same rise where lower is better (e.g. offences per 100): worsening */
        a.lower_is_better = 1;
        ana_trend_series(&a, yy, val, kk, ee, ee, NULL, 3, 0.05, &one);
        assert_int_equal(one.label, STATS_TREND_WORSENING);
        a.lower_is_better = 0;
    }

    /* no event in any year: nothing moved */
    add_count(&r, &w, IND_SCHOOL, "9", 2024, 0, 30);
    add_count(&r, &w, IND_SCHOOL, "9", 2025, 0, 31);
    add_count(&r, &w, IND_SCHOOL, "9", 2026, 0, 29);
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.v[0].label, STATS_TREND_NO_CHANGE);
    assert_false(t.v[0].has_test);
    ana_trends_free(&t);
    results_free(&r);

    /* the function alone, uneven years: x3 = c(2020, 2021, 2023, 2024),
     * k3 = c(5, 3, 2, 0), exposure 1; by hand mu = 2.5, x̄ = 2022, U = −11, V = 25:
     * z² = 4.84; sc(k3, c(1, 1, 1, 1), x3) */
    double k3[] = {5, 3, 2, 0}, e3[] = {1, 1, 1, 1}, x3[] = {2020, 2021, 2023, 2024};
    double z, pv;
    assert_int_equal(ana_poisson_trend(k3, e3, x3, 4, &z, &pv), STATS_OK);
    ASSERT_CLOSE(z * z, 4.84);
    ASSERT_CLOSE(pv, 0.0278068950269972);
    assert_true(z < 0);
    double bad[] = {1, -1, 2, 3};
    assert_int_equal(ana_poisson_trend(bad, e3, x3, 4, &z, &pv), STATS_EINPUT);
    double zero[] = {0, 0, 0, 0};
    assert_int_equal(ana_poisson_trend(zero, e3, x3, 4, &z, &pv), STATS_EDEGENERATE);
}

/* Default window: the last 3 years present; older years are outside it. */
/* Cohort noise: ten schools whose share of «2» wanders from year to year (100 pupils
 * each) and one, T, falling 30 → 20 → 10. At sampling variance alone T's
 * Cochran–Armitage z is −3.54; the years of the ten vary more than sampling explains,
 * and the between-year variance pooled over the family (analysis_reference.R, "family
 * D df C tau2") makes T's z −2.85 on t with 11 df (p = 0.016). A census figure going
 * 10.1 → 10.2 → 10.3 is never tested. */
/* Leaving out other indicators and levels (ana_trend_opts.only, level_mask) changes no
   trend kept: a family is one indicator, level and breakdown. The results are appended
   after what out already holds. */
static void test_trend_only(void **state)
{
    (void)state;
    struct indicator f = mk_ind("fail", IND_SHARE, 1), g = mk_ind("other", IND_SHARE, 0);
    static const double fam[11][3] = {
        {12, 18, 11}, {20, 13, 17}, {9, 15, 14}, {16, 10, 19}, {14, 21, 12}, {11, 11, 18},
        {19, 12, 15}, {13, 17, 9},  {15, 14, 20}, {10, 19, 13}, {30, 20, 10}};
    static const char *const ids[11] = {"s01", "s02", "s03", "s04", "s05", "s06",
                                        "s07", "s08", "s09", "s10", "T"};
    struct ind_results r = IND_RESULTS_INIT;
    for (int y = 0; y < 3; y++) add_share(&r, &f, IND_DISTRICT, "", 2024 + y, 300 + 40 * y, 1100);
    for (int s = 0; s < 11; s++) {
        for (int y = 0; y < 3; y++) add_share(&r, &g, IND_SCHOOL, ids[s], 2024 + y, 5 + 40 * ((s + y) % 2), 100);
        for (int y = 0; y < 3; y++) add_share(&r, &f, IND_SCHOOL, ids[s], 2024 + y, fam[s][y], 100);
    }
    const struct indicator *only[1] = {&f};
    struct ana_trends all = {0}, t = {0};
    struct ana_trend_opts o = {.window = {2024, 2026, 0}};
    ana_trends(&r, &o, &all);
    assert_int_equal(all.n, 1 + 22);   /* every series: f's district, g's and f's schools */
    ana_trends(&r, &o, &t);             /* t holds 23 already: appended after them */
    o.only = only;
    o.nonly = 1;
    o.level_mask = 1 << IND_SCHOOL;
    ana_trends(&r, &o, &t);
    assert_int_equal(t.n, 23 + 11);
    for (size_t k = 0; k < 11; k++) {
        const struct ana_trend *x = &t.v[23 + k];
        assert_ptr_equal(x->ind, &f);
        assert_int_equal(x->level, IND_SCHOOL);
        const struct ana_trend *y = NULL;
        for (size_t q = 0; q < all.n; q++)
            if (all.v[q].ind == &f && all.v[q].level == IND_SCHOOL && strcmp(all.v[q].unit, x->unit) == 0)
                y = &all.v[q];
        assert_non_null(y);
        assert_true(x->test_z == y->test_z && x->year_tau2 == y->year_tau2 && x->label == y->label);
    }
    ASSERT_CLOSE(t.v[23 + 10].year_tau2, 8.68449082763686);   /* as in the test above */
    ana_trends_free(&all);
    ana_trends_free(&t);
    results_free(&r);
}

static void test_trend_between_year_variance(void **state)
{
    (void)state;
    struct indicator f = mk_ind("fail", IND_SHARE, 1);
    static const double fam[11][3] = {
        {12, 18, 11}, {20, 13, 17}, {9, 15, 14}, {16, 10, 19}, {14, 21, 12}, {11, 11, 18},
        {19, 12, 15}, {13, 17, 9},  {15, 14, 20}, {10, 19, 13}, {30, 20, 10}};
    static const char *const ids[11] = {"s01", "s02", "s03", "s04", "s05", "s06",
                                        "s07", "s08", "s09", "s10", "T"};
    struct ind_results r = IND_RESULTS_INIT;
    for (int s = 0; s < 11; s++)
        for (int y = 0; y < 3; y++) add_share(&r, &f, IND_SCHOOL, ids[s], 2024 + y, fam[s][y], 100);
    struct ana_trends t = {0};
    struct ana_trend_opts o = {.window = {2024, 2026, 0}, .unit = "T"};
    ana_trends(&r, &o, &t);
    assert_int_equal(t.n, 1);
    const struct ana_trend *x = &t.v[0];
    assert_string_equal(x->test, "cochran_armitage");
    ASSERT_CLOSE(x->year_tau2, 8.68449082763686);
    ASSERT_CLOSE(x->family_df, 11.0);
    ASSERT_CLOSE(x->test_z, -2.84644575053094);
    ASSERT_CLOSE(x->test_p, 0.0158974924746633);
    assert_int_equal(x->label, STATS_TREND_IMPROVING);   /* the share of «2» falls */
    ana_trends_free(&t);
    /* T alone, at sampling variance: prop.trend.test(k, n, yr) gives chisq 12.5 */
    struct ind_results one = {r.v + 30, 3, 3, NULL};
    ana_trends(&one, NULL, &t);
    ASSERT_CLOSE(t.v[0].test_z * t.v[0].test_z, 12.5);
    ana_trends_free(&t);
    results_free(&r);

    /* a context factor (census = yes) moving steadily: shown, never tested */
    struct indicator c = mk_ind("ctx", IND_MEAN, 0);
    c.census = 1;
    add_mean(&r, &c, IND_SCHOOL, "A", 2024, 10.1, 1120, NAN);
    add_mean(&r, &c, IND_SCHOOL, "A", 2025, 10.2, 1130, NAN);
    add_mean(&r, &c, IND_SCHOOL, "A", 2026, 10.3, 1140, NAN);
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.v[0].label, STATS_TREND_NO_CHANGE);
    assert_false(t.v[0].has_test);
    assert_string_equal(t.v[0].test, "none");
    ASSERT_CLOSE(t.v[0].change, 0.2);
    ana_trends_free(&t);
    /* a mean without a spread lying exactly on a line (not census): no scatter to test
       a slope against, so no test either */
    c.census = 0;
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.v[0].label, STATS_TREND_NO_CHANGE);
    assert_false(t.v[0].has_test);
    ana_trends_free(&t);
    results_free(&r);
}

static void test_trend_default_window(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality", IND_SHARE, 0);
    struct ind_results r = IND_RESULTS_INIT;
    add_share(&r, &q, IND_DISTRICT, "", 2021, 900, 1000);  /* would dominate a trend */
    add_share(&r, &q, IND_DISTRICT, "", 2022, 100, 1000);
    add_share(&r, &q, IND_DISTRICT, "", 2023, 300, 1000);
    add_share(&r, &q, IND_DISTRICT, "", 2024, 300, 1000);
    add_share(&r, &q, IND_DISTRICT, "", 2025, 300, 1000);
    int y0 = 0, y1 = 0;
    assert_int_equal(ana_window_resolve(&r, &q, NULL, &y0, &y1), 1);
    assert_int_equal(y0, 2023);
    assert_int_equal(y1, 2025);
    struct ana_trends t = {0};
    ana_trends(&r, NULL, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.v[0].npoints, 3);
    assert_int_equal(t.v[0].years[0], 2023);
    /* 30% every year: Cochran–Armitage z = 0, no change; change 0, no going back */
    assert_int_equal(t.v[0].label, STATS_TREND_NO_CHANGE);
    ASSERT_CLOSE(t.v[0].change, 0.0);
    assert_true(t.v[0].no_going_back);
    /* an explicit window */
    struct ana_trend_opts o = {.window = {2021, 2023, 0}};
    ana_trends_free(&t);
    ana_trends(&r, &o, &t);
    assert_int_equal(t.v[0].npoints, 3);
    assert_int_equal(t.v[0].years[0], 2021);
    assert_false(t.v[0].no_going_back);
    ana_trends_free(&t);
    results_free(&r);
}

/* Never across a break: a break at 2025 in a 2024–2026 window leaves 2 years. */
static void test_trend_break(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality", IND_SHARE, 0);
    q.nbreaks = 1;
    q.breaks[0] = 2025;
    struct ind_results r = IND_RESULTS_INIT;
    add_share(&r, &q, IND_SCHOOL, "498", 2024, 10, 80);
    add_share(&r, &q, IND_SCHOOL, "498", 2025, 15, 82);
    add_share(&r, &q, IND_SCHOOL, "498", 2026, 22, 78);
    struct ana_trends t = {0};
    ana_trends(&r, NULL, &t);
    const struct ana_trend *x = &t.v[0];
    assert_int_equal(x->win_y0, 2024);
    assert_int_equal(x->y0, 2025);
    assert_int_equal(x->after_break, 1);
    assert_int_equal(x->npoints, 2);
    assert_int_equal(x->label, STATS_TREND_NOT_ENOUGH_DATA);
    assert_non_null(x->why);
    ASSERT_CLOSE(x->change, 100.0 * 22 / 78 - 100.0 * 15 / 82);
    assert_false(x->has_wls);
    ana_trends_free(&t);

    /* a break at 2024 with a 2023–2026 window: 2024–2026 are used, as without it */
    q.breaks[0] = 2024;
    add_share(&r, &q, IND_SCHOOL, "498", 2023, 70, 80);
    /* rows must be ascending by year within a series: move 2023 first */
    struct ind_row last = r.v[3];
    memmove(&r.v[1], &r.v[0], 3 * sizeof r.v[0]);
    r.v[0] = last;
    struct ana_trend_opts o = {.window = {2023, 2026, 0}};
    ana_trends(&r, &o, &t);
    x = &t.v[0];
    assert_int_equal(x->y0, 2024);
    assert_int_equal(x->npoints, 3);
    ASSERT_CLOSE(x->test_p, 0.0129798675015012);
    assert_int_equal(x->label, STATS_TREND_IMPROVING);
    ana_trends_free(&t);
    results_free(&r);
}

/* A suppressed year is not a point; the series then has too few. */
static void test_trend_suppressed(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality", IND_SHARE, 0);
    struct ind_results r = IND_RESULTS_INIT;
    add_share(&r, &q, IND_SCHOOL, "1", 2024, 1, 4);   /* n < 5 */
    add_share(&r, &q, IND_SCHOOL, "1", 2025, 3, 10);
    add_share(&r, &q, IND_SCHOOL, "1", 2026, 5, 10);
    add_share(&r, &q, IND_SCHOOL, "2", 2024, 3, 10);
    add_share(&r, &q, IND_SCHOOL, "2", 2025, 3, 10);
    add_share(&r, &q, IND_SCHOOL, "2", 2026, 3, 10);
    struct ana_trends t = {0};
    struct ana_trend_opts o = {.unit = "1"};
    ana_trends(&r, &o, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.v[0].npoints, 2);
    assert_int_equal(t.v[0].years[0], 2025);
    assert_int_equal(t.v[0].label, STATS_TREND_NOT_ENOUGH_DATA);
    ASSERT_CLOSE(t.v[0].first, 30.0);
    ana_trends_free(&t);
    /* level filter: no cluster rows here */
    struct ana_trend_opts o2 = {.level_mask = 1 << IND_CLUSTER};
    ana_trends(&r, &o2, &t);
    assert_int_equal(t.n, 0);
    ana_trends_free(&t);
    results_free(&r);
}

/* --- comparisons ------------------------------------------------------------------- */

static const struct ind_member members[] = {
    {"c1", "A", "member"}, {"c1", "B", "member"}, {"c1", "C", "member"},
    {"c1", "D", "member"}, {"c1", "E", "member"}, {"c2", "F", "member"},
};

/* 2025: cluster c1 = A 12%, B 15%, C 9%, D 20% of 100 each; the rest of the district
 * F, G, H, I, J, K = 5, 7, 6, 8, 4, 6 of 100. District 92/1000 = 9.2%, c1 56/400.
 * 2026: EB: A 30/100, B 45/100, E 3/3; others 20, 25, 35, 28 of 100. */
static void build_compare(struct ind_results *r, const struct indicator *q)
{
    static const char *const rest[] = {"F", "G", "H", "I", "J", "K"};
    static const double rk[] = {5, 7, 6, 8, 4, 6};
    add_share(r, q, IND_DISTRICT, "", 2025, 92, 1000);
    add_share(r, q, IND_DISTRICT, "", 2026, 186, 603);
    add_share(r, q, IND_CLUSTER, "c1", 2025, 56, 400);
    add_share(r, q, IND_CLUSTER, "c1", 2026, 78, 203);
    add_share(r, q, IND_SCHOOL, "A", 2025, 12, 100);
    add_share(r, q, IND_SCHOOL, "A", 2026, 30, 100);
    add_share(r, q, IND_SCHOOL, "B", 2025, 15, 100);
    add_share(r, q, IND_SCHOOL, "B", 2026, 45, 100);
    add_share(r, q, IND_SCHOOL, "C", 2025, 9, 100);
    add_share(r, q, IND_SCHOOL, "D", 2025, 20, 100);
    add_share(r, q, IND_SCHOOL, "E", 2026, 3, 3);     /* suppressed? no: min_n 3 below */
    static const double r26[] = {20, 25, 35, 28};
    for (int i = 0; i < 6; i++) add_share(r, q, IND_SCHOOL, rest[i], 2025, rk[i], 100);
    for (int i = 0; i < 4; i++) add_share(r, q, IND_SCHOOL, rest[i], 2026, r26[i], 100);
}

static const struct ana_compare *find_cmp(const struct ana_compares *c, const char *unit,
                                          int year)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].row->unit, unit) == 0 && c->v[i].row->year == year)
            return &c->v[i];
    return NULL;
}

static void test_compare_funnel_z_rank(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality", IND_SHARE, 0);
    q.min_n = 3;
    struct ind_results r = IND_RESULTS_INIT;
    build_compare(&r, &q);
    struct ind_members m = {(struct ind_member *)members, 6, NULL};
    struct ana_compares c = {0};
    /* first without the overdispersion adjustment: the exact limits are drawn */
    struct ana_compare_opts o = {.window = {2025, 2026, 0}, .no_overdispersion = 1};
    ana_compare(&r, &m, "c1", &o, &c);
    /* schools A–E: A, B in both years, C, D in 2025, E in 2026; then 2 cluster rows */
    assert_int_equal(c.n, 9);
    assert_int_equal(c.v[7].row->level, IND_CLUSTER);

    const struct ana_compare *d = find_cmp(&c, "D", 2025);
    assert_non_null(d);
    ASSERT_CLOSE(d->vs_district.diff, 20.0 - 9.2);
    ASSERT_CLOSE(d->vs_cluster.diff, 20.0 - 14.0);
    /* (0.20 - 0.092) / sqrt(0.092 * 0.908 / 100); (0.20 - 0.14) / sqrt(0.14 * 0.86 / 100) */
    ASSERT_CLOSE(d->vs_district.z, 3.73668869018581);
    ASSERT_CLOSE(d->vs_cluster.z, 1.7291712531127);
    /* Spiegelhalter limits at n = 100 around 9.2% (analysis_reference.R, lim()):
     * 1.08671422399463 3.38310102559317 14.7655124275323 18.7404738870745 */
    assert_true(d->vs_district.has_funnel);
    ASSERT_CLOSE(d->vs_district.funnel.lo998, 1.08671422399463);
    ASSERT_CLOSE(d->vs_district.funnel.lo95, 3.38310102559317);
    ASSERT_CLOSE(d->vs_district.funnel.hi95, 14.7655124275323);
    ASSERT_CLOSE(d->vs_district.funnel.hi998, 18.7404738870745);
    /* the position comes from the exact tail against the district without the school
     * (analysis_reference.R, "loo"): D 20/100 against 72/900, P(X >= 20) = 0.000116 */
    ASSERT_CLOSE(d->vs_district.ref_value, 8.0);
    ASSERT_CLOSE(d->vs_district.p_hi, 0.000115683095849597);
    ASSERT_CLOSE(d->vs_district.p_lo, 0.999962655763337);
    assert_string_equal(d->vs_district.test, "exact_binomial");
    assert_int_equal(d->vs_district.pos, STATS_FUNNEL_ABOVE_998);
    assert_int_equal(d->vs_district.verdict, 2);
    const struct ana_compare *b = find_cmp(&c, "B", 2025);
    ASSERT_CLOSE(b->vs_district.p_hi, 0.023018164324803);
    assert_int_equal(b->vs_district.pos, STATS_FUNNEL_ABOVE_95);
    assert_int_equal(b->vs_district.verdict, 1);
    const struct ana_compare *a = find_cmp(&c, "A", 2025);
    ASSERT_CLOSE(a->vs_district.p_hi, 0.176846830801322);
    assert_int_equal(a->vs_district.pos, STATS_FUNNEL_INSIDE);
    assert_int_equal(a->vs_district.verdict, 0);
    /* the cell's overdispersion (winsorised z, Spiegelhalter 2005, the consistent φ of
     * stats.h) is estimated and shown even when not applied: φ = 2.54, p = 0.008,
     * τ² = 15.2 (%²) — analysis_reference.R "od phi p tau2(%)" */
    ASSERT_CLOSE(d->vs_district.od.phi, 2.54180092890897);
    ASSERT_CLOSE(d->vs_district.od.phi_p, 0.00793294040603013);
    ASSERT_CLOSE(d->vs_district.od.tau2, 15.2388313774821);
    assert_int_equal(d->vs_district.od.units, 10);
    assert_true(d->vs_district.od.used);
    /* percentile among 12, 15, 9, 20: D 100·(3 + ½)/4, A 100·(1 + ½)/4 */
    assert_int_equal(d->peers, 4);
    ASSERT_CLOSE(d->pct_rank, 87.5);
    ASSERT_CLOSE(a->pct_rank, 37.5);
    assert_int_equal(d->rank, 1);
    assert_int_equal(a->rank, 3);

    /* the cluster against the rest, schools as units (stats_group_vs_rest: lm(y ~ g,
     * weights = n), here the pooled-variance t-test, t.test(c(12, 15, 9, 20), c(5, 7, 6,
     * 8, 4, 6), var.equal = TRUE)); one comparison in 2025, so BH leaves p alone; the
     * row's district verdict is the same verdict */
    const struct ana_compare *cl = find_cmp(&c, "c1", 2025);
    assert_non_null(cl);
    ASSERT_CLOSE(cl->rest_value, 6.0);   /* 36/600 */
    ASSERT_CLOSE(cl->t, 4.02099751960028);
    ASSERT_CLOSE(cl->p, 0.00383582446345345);
    ASSERT_CLOSE(cl->p_adj, 0.00383582446345345);
    ASSERT_CLOSE(cl->vs_district.ref_value, 6.0);
    assert_int_equal(cl->cluster_verdict, 1);
    assert_int_equal(cl->vs_district.verdict, 1);
    assert_false(cl->vs_district.has_funnel);
    ASSERT_CLOSE(cl->vs_district.diff, 14.0 - 9.2);

    /* with the adjustment (the default): D's z against the rest with τ² and the rest's
     * own sampling variance in the variance, z = 2.48, P = 0.0066: beyond 95 %, no
     * longer beyond 99.8 %; B is now inside */
    ana_compares_free(&c);
    o.no_overdispersion = 0;
    ana_compare(&r, &m, "c1", &o, &c);
    d = find_cmp(&c, "D", 2025);
    ASSERT_CLOSE(d->vs_district.z_adj, 2.47981477036414);
    ASSERT_CLOSE(d->vs_district.p_hi, 0.00657253246257883);
    assert_string_equal(d->vs_district.test, "normal_re");
    assert_int_equal(d->vs_district.verdict, 1);
    assert_int_equal(find_cmp(&c, "B", 2025)->vs_district.verdict, 0);
    o.no_overdispersion = 1;

    /* lower is better: the same figures are worse */
    q.lower_is_better = 1;
    ana_compares_free(&c);
    ana_compare(&r, &m, "c1", &o, &c);
    d = find_cmp(&c, "D", 2025);
    assert_int_equal(d->vs_district.verdict, -2);
    ASSERT_CLOSE(d->pct_rank, 12.5);
    assert_int_equal(d->rank, 4);
    assert_int_equal(find_cmp(&c, "c1", 2025)->cluster_verdict, -1);
    ana_compares_free(&c);
    results_free(&r);
}

/* A school of 3 with 3/3 leads by its raw share; shrunk, it falls behind B (45/100). */
/* Counts with participants (olympiad winners): a funnel around the count expected at
 * the district's rate per participant. */
static void test_compare_count_funnel(void **state)
{
    (void)state;
    struct indicator w = mk_ind("winners", IND_COUNT, 0);
    struct ind_results r = IND_RESULTS_INIT;
    add_count(&r, &w, IND_DISTRICT, "", 2025, 100, 1000);
    add_count(&r, &w, IND_CLUSTER, "c1", 2025, 37, 200);
    add_count(&r, &w, IND_SCHOOL, "A", 2025, 25, 100);
    add_count(&r, &w, IND_SCHOOL, "B", 2025, 12, 100);
    struct ind_row *nn = add_count(&r, &w, IND_SCHOOL, "C", 2025, 3, NAN);
    (void)nn;
    static const struct ind_member mem[] = {{"c1", "A", "member"}, {"c1", "B", "member"},
                                            {"c1", "C", "member"}};
    struct ind_members m = {(struct ind_member *)mem, 3, NULL};
    struct ana_compares c = {0};
    ana_compare(&r, &m, "c1", NULL, &c);
    const struct ana_compare *a = find_cmp(&c, "A", 2025);
    assert_non_null(a);
    /* E = 100·100/1000 = 10; z = (25 − 10)/√10; limits 10 ∓ qnorm(0.975)·√10 and
     * 10 ∓ qnorm(0.999)·√10 */
    assert_true(a->vs_district.has_funnel);
    ASSERT_CLOSE(a->vs_district.z, 15.0 / sqrt(10.0));
    ASSERT_CLOSE(a->vs_district.funnel.lo95, 10.0 - 1.95996398454005 * sqrt(10.0));
    ASSERT_CLOSE(a->vs_district.funnel.hi95, 10.0 + 1.95996398454005 * sqrt(10.0));
    ASSERT_CLOSE(a->vs_district.funnel.hi998, 10.0 + 3.09023230616781 * sqrt(10.0));
    assert_int_equal(a->vs_district.pos, STATS_FUNNEL_ABOVE_998);
    assert_int_equal(a->vs_district.verdict, 2);
    /* against the cluster: E = 37·100/200 = 18.5 */
    ASSERT_CLOSE(a->vs_cluster.z, (25.0 - 18.5) / sqrt(18.5));
    const struct ana_compare *b = find_cmp(&c, "B", 2025);
    assert_int_equal(b->vs_district.pos, STATS_FUNNEL_INSIDE);
    /* no participants: nothing to scale the reference by */
    const struct ana_compare *cc = find_cmp(&c, "C", 2025);
    assert_non_null(cc);
    assert_false(cc->vs_district.has_funnel);
    assert_true(isnan(cc->vs_district.z));
    ana_compares_free(&c);
    results_free(&r);
}

static void test_compare_eb_ranking(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality", IND_SHARE, 0);
    q.min_n = 3;
    struct ind_results r = IND_RESULTS_INIT;
    build_compare(&r, &q);
    struct ind_members m = {(struct ind_member *)members, 6, NULL};
    struct ana_compares c = {0};
    struct ana_compare_opts o = {.window = {2025, 2026, 0}};
    ana_compare(&r, &m, "c1", &o, &c);
    const struct ana_compare *e = find_cmp(&c, "E", 2026);
    const struct ana_compare *b = find_cmp(&c, "B", 2026);
    const struct ana_compare *a = find_cmp(&c, "A", 2026);
    assert_non_null(e);
    assert_int_equal(e->rank, 1);
    assert_int_equal(b->rank, 2);
    /* analysis_reference.R: moment fit over all seven schools of 2026,
     * 100*(k + a)/(n + a + b) = 30.1742803871281 42.0833664624738 38.0109606918752 */
    assert_true(e->has_eb);
    ASSERT_CLOSE(a->eb, 30.1742803871281);
    ASSERT_CLOSE(b->eb, 42.0833664624738);
    ASSERT_CLOSE(e->eb, 38.0109606918752);
    assert_true(e->eb_lo < e->eb && e->eb < e->eb_hi);
    assert_int_equal(b->eb_rank, 1);
    assert_int_equal(e->eb_rank, 2);
    assert_int_equal(a->eb_rank, 3);
    /* --school keeps one school and no cluster rows */
    ana_compares_free(&c);
    o.school = "E";
    ana_compare(&r, &m, "c1", &o, &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.v[0].row->unit, "E");
    ana_compares_free(&c);
    results_free(&r);
}

/* A mean without the district's spread: difference only, no z or funnel. */
static void test_compare_mean_without_sd(void **state)
{
    (void)state;
    struct indicator s = mk_ind("score", IND_MEAN, 0);
    struct ind_results r = IND_RESULTS_INIT;
    add_mean(&r, &s, IND_DISTRICT, "", 2026, 60.0, 500, NAN);
    add_mean(&r, &s, IND_SCHOOL, "A", 2026, 66.0, 40, NAN);
    struct ind_members m = {(struct ind_member *)members, 6, NULL};
    struct ana_compares c = {0};
    ana_compare(&r, &m, "c1", NULL, &c);
    assert_int_equal(c.n, 1);
    ASSERT_CLOSE(c.v[0].vs_district.diff, 6.0);
    assert_true(isnan(c.v[0].vs_district.z));
    assert_false(c.v[0].vs_district.has_funnel);
    assert_null(c.v[0].vs_cluster.ref);
    ana_compares_free(&c);
    /* with the spread: z = (66 - 60) / (12 / sqrt(40)) */
    r.v[0].sd = 12.0;
    ana_compare(&r, &m, "c1", NULL, &c);
    ASSERT_CLOSE(c.v[0].vs_district.z, 6.0 / (12.0 / sqrt(40.0)));
    assert_true(c.v[0].vs_district.has_funnel);
    ana_compares_free(&c);
    results_free(&r);
}

/* The pooled boundary test the spike rule rests on, against R (analysis_reference.R);
 * and overdispersion with too few units. */
static void test_pooled_tail_and_adjustments(void **state)
{
    (void)state;
    double tail;
    /* the conditional version: X_i ~ Hypergeometric(k_i at the boundary of t_i at the
     * two scores, m_i of them the school's): P(ΣX ≥ 10), m = 6, 7, 5, k = 9, 12, 6,
     * t = 20, 25, 14, by R's convolve of the dhyper's */
    double hm[] = {6, 7, 5}, hk[] = {9, 12, 6}, ht[] = {20, 25, 14};
    assert_int_equal(ana_hypergeom_sum_tail(hm, hk, ht, 3, 10, &tail), STATS_OK);
    ASSERT_CLOSE(tail, 0.234041393884647);
    double bad_t[] = {4, 25, 14};
    assert_int_equal(ana_hypergeom_sum_tail(hm, hk, bad_t, 3, 10, &tail), STATS_EINPUT);
    /* overdispersion: too few units give an estimate but never widen */
    double y[] = {1, 9, 2}, se[] = {1, 1, 1};
    struct ana_od od;
    ana_overdispersion(y, se, 3, 4, &od);
    assert_int_equal(od.units, 3);
    assert_true(isfinite(od.phi));
    assert_false(od.used);
    assert_string_equal(od.method, "none");
}

/* --- context ------------------------------------------------------------------------ */

static const double cx1[] = {5, 8, 10, 12, 15, 18, 20, 22, 25, 28, 30, 33};
static const double cx2[] = {2, 5, 3, 8, 6, 10, 7, 12, 9, 14, 11, 15};
static const double ce[] = {0.8, -1.1, 0.3, 1.2, -0.4, -0.9, 0.6, -0.2, 1.0, -1.3, 0.5, 9.0};
static const char *const cid[] = {"s01", "s02", "s03", "s04", "s05", "s06",
                                  "s07", "s08", "s09", "s10", "s11", "s12"};

/* 12 schools, two factors, 3 years; y = 80 − 0.6·x1 − 0.3·x2 + e + year shift, with
 * s12 planted 9 points above its context every year. */
static void build_context(struct ind_results *r, const struct indicator *q,
                          struct ind_factors f[2], struct ind_factor *fv)
{
    for (int s = 0; s < 12; s++)
        for (int y = 2024; y <= 2026; y++) {
            double v = 80 - 0.6 * cx1[s] - 0.3 * cx2[s] + ce[s] + (y - 2024) * 1.5;
            struct ind_row *row = add_row(r, q, IND_SCHOOL, cid[s], y);
            row->value = v;
            row->num = v * 50;
            row->den = row->n = 50;
        }
    size_t k = 0;
    for (int j = 0; j < 2; j++) {
        f[j].v = fv + k;
        f[j].arena = NULL;
        for (int s = 0; s < 12; s++)
            for (int y = 2024; y <= 2026; y++) {
                fv[k].year = y;
                fv[k].school_id = cid[s];
                fv[k].value = j == 0 ? cx1[s] : cx2[s];
                k++;
            }
        f[j].n = 36;
    }
}

static void test_context_resilient(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality_mean", IND_MEAN, 0);
    struct ind_results r = IND_RESULTS_INIT;
    struct ind_factors f[2];
    struct ind_factor fv[72];
    build_context(&r, &q, f, fv);
    struct ana_model md;
    memset(&md, 0, sizeof md);
    md.id = "m";
    md.indicator = "quality_mean";
    md.nfactors = 2;
    md.factors[0] = "x1";
    md.factors[1] = "x2";
    md.bound = 2.0;
    md.min_schools = 10;
    struct ana_context c = {0};
    ana_context_compute(&md, &q, &r, f, 2024, 2026, &c);
    assert_int_equal(c.n, 12);
    /* rstudent(lm(y ~ x1 + x2)) in analysis_reference.R — each school against the fit
     * without itself: s01 0.789605822888601, s10 -1.4887842460672, s12 9.0454198263399
     * (rstandard, with s12 in its own fit, said 2.86); the same each year: the year
     * shift is absorbed by the intercept. The value expected of s01 comes from the
     * others: y − e/(1 − h) = 74.5751549031192 */
    assert_string_equal(c.v[0].school_id, "s01");
    assert_int_equal(c.v[0].nyears, 3);
    for (int y = 0; y < 3; y++) {
        ASSERT_CLOSE(c.v[0].resid[y], 0.789605822888601);
        ASSERT_CLOSE(c.v[9].resid[y], -1.4887842460672);
        ASSERT_CLOSE(c.v[11].resid[y], 9.0454198263399);
        ASSERT_CLOSE(c.v[11].r2[y], 0.830812762613299);
        assert_int_equal(c.v[11].nschools[y], 12);
    }
    ASSERT_CLOSE(c.v[0].expected[0], 74.5751549031192);
    ASSERT_CLOSE(c.v[11].expected[0], 55.3536816269284);
    /* the year's regression, coefficients with their SEs and p (summary(lm)) */
    assert_int_equal(c.nfits, 3);
    const struct ana_ctx_fit *cf = &c.fits[c.v[0].fit[0]];
    assert_int_equal(cf->ncoef, 3);
    assert_int_equal(cf->nschools, 12);
    ASSERT_CLOSE(cf->coef[0], 78.3394004860924);
    ASSERT_CLOSE(cf->coef[1], -0.45231101601612);
    ASSERT_CLOSE(cf->se[0], 1.89046142756881);
    ASSERT_CLOSE(cf->se[2], 0.453118331954296);
    ASSERT_CLOSE(cf->p[0], 1.38315691935523e-11);
    ASSERT_CLOSE(cf->p[1], 0.0554113542185714);
    assert_string_equal(c.v[11].school_id, "s12");
    assert_int_equal(c.v[11].odds, ANA_ODDS_BEATING);
    for (size_t i = 0; i < 11; i++) assert_int_equal(c.v[i].odds, ANA_ODDS_NONE);
    ana_context_free(&c);

    /* lower is better: s12 is then below the odds */
    q.lower_is_better = 1;
    ana_context_compute(&md, &q, &r, f, 2024, 2026, &c);
    ASSERT_CLOSE(c.v[11].resid[0], -9.0454198263399);
    assert_int_equal(c.v[11].odds, ANA_ODDS_BELOW);
    ana_context_free(&c);
    q.lower_is_better = 0;

    /* a year in which s12 is suppressed: no residual then, so not every year */
    for (size_t i = 0; i < r.n; i++)
        if (strcmp(r.v[i].unit, "s12") == 0 && r.v[i].year == 2025) r.v[i].suppressed = 1;
    ana_context_compute(&md, &q, &r, f, 2024, 2026, &c);
    assert_int_equal(c.v[11].present, 2);
    assert_true(isnan(c.v[11].resid[1]));
    assert_int_equal(c.v[11].odds, ANA_ODDS_NONE);
    ana_context_free(&c);

    /* too few schools for a regression: no residuals at all */
    md.min_schools = 13;
    ana_context_compute(&md, &q, &r, f, 2024, 2026, &c);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.v[i].present, 0);
        assert_int_equal(c.v[i].odds, ANA_ODDS_NONE);
    }
    ana_context_free(&c);
    results_free(&r);
}

/* pool: two grades of a school become one figure, Σnum/Σden (a small, suppressed
 * group included), and the regression runs on those. */
static void test_context_pool(void **state)
{
    (void)state;
    struct indicator q = mk_ind("quality", IND_SHARE, 0);
    q.ndims = 1;
    q.dims[0] = "grade";
    struct ind_results r = IND_RESULTS_INIT;
    struct ind_factor fv[12 * 2];
    struct ind_factors f = {fv, 0, NULL};
    for (int s = 0; s < 12; s++) {
        for (int y = 2025; y <= 2026; y++) {
            /* grade 5: 40 pupils; grade 6: 3 pupils (suppressed alone) */
            double p5 = 0.30 + 0.02 * s, k6 = s % 2 ? 2 : 1;
            struct ind_row *a = add_share(&r, &q, IND_SCHOOL, cid[s], y, round(40 * p5), 40);
            a->dim[0] = "5";
            struct ind_row *b = add_share(&r, &q, IND_SCHOOL, cid[s], y, k6, 3);
            b->dim[0] = "6";
            fv[f.n].year = y;
            fv[f.n].school_id = cid[s];
            fv[f.n].value = cx1[s];
            f.n++;
        }
    }
    struct ana_model md;
    memset(&md, 0, sizeof md);
    md.indicator = "quality";
    md.nfactors = 1;
    md.factors[0] = "x1";
    md.npool = 1;
    md.pool[0] = "grade";
    md.bound = 2.0;
    md.min_schools = 10;
    struct ana_context c = {0};
    ana_context_compute(&md, &q, &r, &f, 2025, 2026, &c);
    assert_int_equal(c.n, 12);         /* one per school: the grades are pooled */
    assert_null(c.v[0].dim[0]);
    const struct ind_row *p0 = c.v[0].rows[0];
    assert_non_null(p0);
    /* s01: round(40·0.30) = 12 of 40 and 1 of 3: 13/43 */
    ASSERT_CLOSE(p0->num, 13.0);
    ASSERT_CLOSE(p0->den, 43.0);
    ASSERT_CLOSE(p0->value, 100.0 * 13.0 / 43.0);
    assert_false(p0->suppressed);
    assert_int_equal(c.v[0].present, 2);
    ana_context_free(&c);
    results_free(&r);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/soko_ctx_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs(text, fp);
    fclose(fp);
    return path;
}

static void test_context_load(void **state)
{
    (void)state;
    char *ok = write_tmp("; context models\n"
                         "[vpr_quality_ctx]\n"
                         "title = Качество знаний с учётом контекста\n"
                         "indicator = vpr_quality\n"
                         "subject = Математика\n"
                         "factors = share_low_income, share_non_native\n"
                         "bound = 2.0\n");
    struct ana_models ms;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    assert_int_equal(ana_context_load(ok, &ms, &d), SOKO_OK);
    assert_int_equal(ms.n, 1);
    const struct ana_model *md = ana_model_find(&ms, "vpr_quality_ctx");
    assert_non_null(md);
    assert_int_equal(md->nfactors, 2);
    assert_string_equal(md->factors[1], "share_non_native");
    assert_int_equal(md->nwhere, 1);
    assert_string_equal(md->where_col[0], "subject");
    assert_string_equal(md->where_val[0], "Математика");
    ASSERT_CLOSE(md->bound, 2.0);
    assert_int_equal(md->min_schools, 10);
    assert_int_equal(md->line, 2);
    ana_models_free(&ms);
    unlink(ok);
    free(ok);

    char *bad = write_tmp("[a]\n"
                          "indicator = vpr_quality\n"
                          "factors = x\n"
                          "bound = -1\n"
                          "[b]\n"
                          "factors = x, x\n"
                          "bound = 2\n"
                          "Weird Key = 1\n");
    soko_diag_clear(&d);
    assert_int_equal(ana_context_load(bad, &ms, &d), SOKO_ECONFIG);
    assert_int_equal(ms.n, 0);
    assert_int_equal(d.total, 4);
    static const char *const want[] = {
        ":4: [a]: bound: got '-1'; expected a positive number",
        ":6: [b]: factors: got 'x, x'; expected each factor once ('x' is given twice)",
        ":8: [b]: Weird Key: unknown key; expected title, indicator, factors",
        ":5: [b]: indicator: missing; expected an indicator id",
    };
    for (size_t i = 0; i < 4; i++) {
        int found = 0;
        for (size_t k = 0; k < d.nmsgs; k++) found |= strstr(d.msgs[k], want[i]) != NULL;
        if (!found) fail_msg("no message with: %s", want[i]);
    }
    unlink(bad);
    free(bad);

    /* a directory without context.ini: no models, no error */
    soko_diag_clear(&d);
    assert_int_equal(ana_context_load("/tmp", &ms, &d), SOKO_OK);
    assert_int_equal(ms.n, 0);
    soko_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trend_share_improving),
        cmocka_unit_test(test_trend_fail_share_lower_is_better),
        cmocka_unit_test(test_trend_mean_weights),
        cmocka_unit_test(test_trend_count_rate_poisson),
        cmocka_unit_test(test_trend_between_year_variance),
        cmocka_unit_test(test_trend_only),
        cmocka_unit_test(test_trend_default_window),
        cmocka_unit_test(test_trend_break),
        cmocka_unit_test(test_trend_suppressed),
        cmocka_unit_test(test_compare_funnel_z_rank),
        cmocka_unit_test(test_compare_count_funnel),
        cmocka_unit_test(test_pooled_tail_and_adjustments),
        cmocka_unit_test(test_compare_eb_ranking),
        cmocka_unit_test(test_compare_mean_without_sd),
        cmocka_unit_test(test_context_resilient),
        cmocka_unit_test(test_context_pool),
        cmocka_unit_test(test_context_load),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
