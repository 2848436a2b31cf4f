/*
 * test_stats.c — engine/stats.c against independent values.
 *
 * Expected numbers are either computed by hand (the arithmetic is in the comment)
 * or printed by tests/unit/stats_reference.R; the R call that produced each one is
 * written beside it. Build and run:
 *   cc -std=c11 -Wall -Wextra -pedantic -Iengine tests/unit/test_stats.c \
 *      engine/stats.c $(pkg-config --cflags --libs gsl cmocka) -lm -o /tmp/test_stats
 *   /tmp/test_stats
 *
 * Tolerance: REL = 1e-9 relative to the expected value (so p-values of 1e-6 are
 * held to their own digits), with ABS = 1e-12 absolute only for expected zeros;
 * R's and GSL's routines agree to about 1e-12 here. R's printed values carry 15
 * significant digits. Values that stats.c sets exactly (bounds pinned at 0 or 1,
 * clipped limits) are compared exactly.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "stats.h"

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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
    (void)state;
    stats_init();
    return 0;
}

/* --- intervals ---------------------------------------------------------------------- */

static void test_rc_names(void **state)
{
    (void)state;
    assert_string_equal(stats_rc_name(STATS_OK), "ok");
    assert_string_equal(stats_rc_name(STATS_EINPUT), "bad input");
    assert_string_equal(stats_rc_name(STATS_EDEGENERATE), "degenerate data");
    assert_string_equal(stats_rc_name(STATS_ENUMERIC), "numerical failure");
    assert_string_equal(stats_rc_name(99), "unknown");
}

static void test_wilson(void **state)
{
    (void)state;
    struct stats_ci ci;

    /* Hand: p = 0.35, z = 1.959964, z²/(2n) = 3.841459/40 = 0.0960365;
     * half = z·sqrt(.35·.65/20 + .0960365/40) = 1.959964·0.117371 = 0.230043;
     * lo = (0.4460365 - 0.230043)/1.192073 = 0.181192, hi = 0.676080/1.192073 =
     * 0.567146. R: prop.test(7, 20, correct = FALSE)$conf.int */
    assert_int_equal(stats_wilson(7, 20, STATS_LEVEL_95, &ci), STATS_OK);
    assert_int_equal(ci.has_interval, 1);
    ASSERT_CLOSE(ci.est, 0.35);
    ASSERT_CLOSE(ci.lo, 0.181191824101082);
    ASSERT_CLOSE(ci.hi, 0.567145723314764);

    /* R: prop.test(0, 20, correct = FALSE)$conf.int — the lower bound is exactly 0 */
    assert_int_equal(stats_wilson(0, 20, STATS_LEVEL_95, &ci), STATS_OK);
    assert_true(ci.lo == 0.0);
    ASSERT_CLOSE(ci.hi, 0.161125158052819);

    /* R: prop.test(20, 20, correct = FALSE)$conf.int — the upper bound is exactly 1 */
    assert_int_equal(stats_wilson(20, 20, STATS_LEVEL_95, &ci), STATS_OK);
    ASSERT_CLOSE(ci.lo, 0.838874841947181);
    assert_true(ci.hi == 1.0);

    /* R: prop.test(1, 1, correct = FALSE)$conf.int */
    assert_int_equal(stats_wilson(1, 1, STATS_LEVEL_95, &ci), STATS_OK);
    ASSERT_CLOSE(ci.lo, 0.206549314377238);
    assert_true(ci.hi == 1.0);

    /* R: prop.test(45, 180, correct = FALSE, conf.level = 0.99)$conf.int */
    assert_int_equal(stats_wilson(45, 180, 0.99, &ci), STATS_OK);
    ASSERT_CLOSE(ci.lo, 0.176761781147193);
    ASSERT_CLOSE(ci.hi, 0.341013288579464);
}

static void test_wilson_errors(void **state)
{
    (void)state;
    struct stats_ci ci;
    assert_int_equal(stats_wilson(0, 0, STATS_LEVEL_95, &ci), STATS_EINPUT);
    assert_int_equal(stats_wilson(21, 20, STATS_LEVEL_95, &ci), STATS_EINPUT);
    assert_int_equal(stats_wilson(-1, 20, STATS_LEVEL_95, &ci), STATS_EINPUT);
    assert_int_equal(stats_wilson(NAN, 20, STATS_LEVEL_95, &ci), STATS_EINPUT);
    assert_int_equal(stats_wilson(5, 20, 1.0, &ci), STATS_EINPUT);
    assert_int_equal(stats_wilson(5, 20, 0.0, &ci), STATS_EINPUT);
    assert_int_equal(stats_wilson(5, 20, STATS_LEVEL_95, NULL), STATS_EINPUT);
}

static void test_poisson_exact(void **state)
{
    (void)state;
    struct stats_ci ci;

    /* Hand: k = 0, lower 0; upper = qgamma(0.975, 1) = -ln(0.025) = 3.688879454.
     * R: poisson.test(0)$conf.int */
    assert_int_equal(stats_poisson_exact(0, STATS_LEVEL_95, &ci), STATS_OK);
    assert_true(ci.lo == 0.0);
    ASSERT_CLOSE(ci.hi, 3.68887945411394);
    ASSERT_CLOSE(ci.hi, -log(0.025));

    /* R: poisson.test(7)$conf.int */
    assert_int_equal(stats_poisson_exact(7, STATS_LEVEL_95, &ci), STATS_OK);
    ASSERT_CLOSE(ci.est, 7.0);
    ASSERT_CLOSE(ci.lo, 2.81436305151987);
    ASSERT_CLOSE(ci.hi, 14.4226753617024);

    /* R: poisson.test(50, conf.level = 0.90)$conf.int */
    assert_int_equal(stats_poisson_exact(50, 0.90, &ci), STATS_OK);
    ASSERT_CLOSE(ci.lo, 38.9647325825086);
    ASSERT_CLOSE(ci.hi, 63.2870740957472);

    assert_int_equal(stats_poisson_exact(2.5, STATS_LEVEL_95, &ci), STATS_EINPUT);
    assert_int_equal(stats_poisson_exact(-1, STATS_LEVEL_95, &ci), STATS_EINPUT);
}

static void test_t_interval(void **state)
{
    (void)state;
    /* tx <- c(12, 15, 9, 20, 17, 14, 11, 18): mean 116/8 = 14.5; squared deviations
     * 6.25+.25+30.25+30.25+6.25+.25+12.25+12.25 = 98, sd = sqrt(98/7) = sqrt(14). */
    const double mean = 14.5, sd = sqrt(14.0), n = 8;
    struct stats_ci ci;

    /* R: t.test(tx)$conf.int */
    assert_int_equal(stats_t_interval(mean, sd, n, STATS_LEVEL_95, &ci), STATS_OK);
    assert_int_equal(ci.has_interval, 1);
    ASSERT_CLOSE(ci.lo, 11.3718961430866);
    ASSERT_CLOSE(ci.hi, 17.6281038569134);

    /* R: t.test(tx, conf.level = 0.99)$conf.int */
    assert_int_equal(stats_t_interval(mean, sd, n, 0.99, &ci), STATS_OK);
    ASSERT_CLOSE(ci.lo, 9.87061873899315);
    ASSERT_CLOSE(ci.hi, 19.1293812610069);

    /* Spread unknown, or a single observation: the estimate without an interval. */
    assert_int_equal(stats_t_interval(mean, NAN, n, STATS_LEVEL_95, &ci), STATS_OK);
    assert_int_equal(ci.has_interval, 0);
    ASSERT_CLOSE(ci.est, 14.5);
    assert_true(isnan(ci.lo) && isnan(ci.hi));
    assert_int_equal(stats_t_interval(mean, 3.0, 1, STATS_LEVEL_95, &ci), STATS_OK);
    assert_int_equal(ci.has_interval, 0);

    assert_int_equal(stats_t_interval(mean, sd, 0, STATS_LEVEL_95, &ci), STATS_EINPUT);
    assert_int_equal(stats_t_interval(mean, -1.0, n, STATS_LEVEL_95, &ci), STATS_EINPUT);
}

static void test_groups_mean(void **state)
{
    (void)state;
    /* Hand: (60·10 + 70·30)/40 = 2700/40 = 67.5; no spread, so no interval. */
    const double means[] = {60, 70}, counts[] = {10, 30};
    struct stats_ci ci;
    assert_int_equal(stats_groups_mean(means, counts, 2, &ci), STATS_OK);
    ASSERT_CLOSE(ci.est, 67.5);
    assert_int_equal(ci.has_interval, 0);
    assert_true(isnan(ci.lo) && isnan(ci.hi));

    const double zero[] = {0, 0};
    assert_int_equal(stats_groups_mean(means, zero, 2, &ci), STATS_EINPUT);
    assert_int_equal(stats_groups_mean(means, counts, 0, &ci), STATS_EINPUT);
}

static void test_pooling(void **state)
{
    (void)state;
    /* Hand: Σk/Σn = 43/60 = 0.716666667, not the mean of shares (0.3 + 0.8)/2 = 0.55. */
    const double k[] = {3, 40}, n[] = {10, 50};
    double v;
    assert_int_equal(stats_pooled_share(k, n, 2, &v), STATS_OK);
    ASSERT_CLOSE(v, 43.0 / 60.0);

    /* Hand: (3.5·10 + 4.1·50 + 9·0)/60 = (35 + 205)/60 = 4; a zero weight is skipped
     * even when its value is missing. */
    const double x[] = {3.5, 4.1, NAN}, w[] = {10, 50, 0};
    assert_int_equal(stats_weighted_mean(x, w, 3, &v), STATS_OK);
    ASSERT_CLOSE(v, 4.0);

    const double n0[] = {0, 0}, k0[] = {0, 0}, kbad[] = {11, 40};
    assert_int_equal(stats_pooled_share(k0, n0, 2, &v), STATS_EINPUT);
    assert_int_equal(stats_pooled_share(kbad, n, 2, &v), STATS_EINPUT);
    assert_int_equal(stats_pooled_share(k, n, 0, &v), STATS_EINPUT);
    const double wneg[] = {10, -1, 0};
    assert_int_equal(stats_weighted_mean(x, wneg, 3, &v), STATS_EINPUT);
}

/* --- trends ------------------------------------------------------------------------- */

static void test_wls_trend(void **state)
{
    (void)state;
    const double x[] = {2021, 2022, 2023, 2024};
    const double y[] = {0.52, 0.55, 0.61, 0.63};
    const double w[] = {120, 95, 130, 110};
    struct stats_trend t;

    /* R: f <- lm(wy ~ wx, weights = ww); summary(f)$coefficients["wx", ]; coef(f)[1] */
    assert_int_equal(stats_wls_trend(x, y, w, 4, &t), STATS_OK);
    ASSERT_CLOSE(t.slope, 0.0390921279448307);
    ASSERT_CLOSE(t.se, 0.00526356372520335);
    ASSERT_CLOSE(t.t, 7.42693163524309);
    ASSERT_CLOSE(t.p, 0.0176507359265012);
    ASSERT_CLOSE(t.intercept, -78.4854721317604);
    assert_int_equal(t.npoints, 4);

    /* The SE follows the scatter, not the unit of the weights: w·10 changes nothing
     * (it would shrink the SE by sqrt(10) with GSL's unscaled cov11). */
    const double w10[] = {1200, 950, 1300, 1100};
    struct stats_trend t10;
    assert_int_equal(stats_wls_trend(x, y, w10, 4, &t10), STATS_OK);
    ASSERT_CLOSE(t10.se, t.se);
    ASSERT_CLOSE(t10.p, t.p);

    /* R: summary(lm(wy3 ~ wx3, weights = ww3))$coefficients["wx3", ] */
    const double x3[] = {2022, 2023, 2024}, y3[] = {61.2, 59.8, 57.1};
    const double w3[] = {48, 52, 45};
    assert_int_equal(stats_wls_trend(x3, y3, w3, 3, &t), STATS_OK);
    ASSERT_CLOSE(t.slope, -2.04247551202233);
    ASSERT_CLOSE(t.se, 0.389309407605054);
    ASSERT_CLOSE(t.t, -5.24640677086943);
    ASSERT_CLOSE(t.p, 0.119905673044079);

    /* Hand: points on y = 2x + 1 exactly: slope 2, SE 0, p 0 by definition. */
    const double xl[] = {1, 2, 3}, yl[] = {3, 5, 7}, wl[] = {1, 1, 1};
    assert_int_equal(stats_wls_trend(xl, yl, wl, 3, &t), STATS_OK);
    ASSERT_CLOSE(t.slope, 2.0);
    ASSERT_CLOSE(t.se, 0.0);
    assert_true(t.p == 0.0);

    assert_int_equal(stats_wls_trend(x, y, w, 2, &t), STATS_EINPUT);
    const double wz[] = {120, 0, 130, 110};
    assert_int_equal(stats_wls_trend(x, y, wz, 4, &t), STATS_EINPUT);
    const double xs[] = {2023, 2023, 2023};
    assert_int_equal(stats_wls_trend(xs, y3, w3, 3, &t), STATS_EDEGENERATE);
}

static void test_cochran_armitage(void **state)
{
    (void)state;
    struct stats_catrend r;

    /* R: prop.trend.test(c(15, 22, 30, 41), c(100, 105, 98, 110)) */
    const double k[] = {15, 22, 30, 41}, n[] = {100, 105, 98, 110};
    const double s[] = {1, 2, 3, 4};
    assert_int_equal(stats_cochran_armitage(k, n, s, 4, &r), STATS_OK);
    ASSERT_CLOSE(r.chisq, 15.8378186615116);
    ASSERT_CLOSE(r.p, 6.9009342485264e-05);
    assert_true(r.z > 0.0);
    ASSERT_CLOSE(r.z * r.z, r.chisq);

    /* R: prop.trend.test(c(30, 28, 27), c(60, 62, 58), c(2021, 2022, 2024)) */
    const double k2[] = {30, 28, 27}, n2[] = {60, 62, 58}, s2[] = {2021, 2022, 2024};
    assert_int_equal(stats_cochran_armitage(k2, n2, s2, 3, &r), STATS_OK);
    ASSERT_CLOSE(r.chisq, 0.0873167245804878);
    ASSERT_CLOSE(r.p, 0.767616508581005);
    assert_true(r.z < 0.0);

    /* Hand: k = {0, 1} of n = {2, 2} at scores {0, 1}: p = 1/4, x̄ = 1/2,
     * T = 0·(-½) + 1·(½) = ½, V = ¼·¾·(2·¼ + 2·¼) = 3/16, χ² = ¼ / (3/16) = 4/3. */
    const double kh[] = {0, 1}, nh[] = {2, 2}, sh[] = {0, 1};
    assert_int_equal(stats_cochran_armitage(kh, nh, sh, 2, &r), STATS_OK);
    ASSERT_CLOSE(r.chisq, 4.0 / 3.0);

    const double kz[] = {0, 0, 0};
    assert_int_equal(stats_cochran_armitage(kz, n, s, 3, &r), STATS_EDEGENERATE);
    const double same[] = {2, 2, 2, 2};
    assert_int_equal(stats_cochran_armitage(k, n, same, 4, &r), STATS_EDEGENERATE);
    assert_int_equal(stats_cochran_armitage(k, n, s, 1, &r), STATS_EINPUT);
    const double kbig[] = {150, 22, 30, 41};
    assert_int_equal(stats_cochran_armitage(kbig, n, s, 4, &r), STATS_EINPUT);
}

static void test_trend_classify(void **state)
{
    (void)state;
    const double a = 0.05;
    assert_int_equal(stats_trend_classify(0.04, 0.01, a, STATS_HIGHER_IS_BETTER, 4),
                     STATS_TREND_IMPROVING);
    assert_int_equal(stats_trend_classify(0.04, 0.01, a, STATS_LOWER_IS_BETTER, 4),
                     STATS_TREND_WORSENING);
    assert_int_equal(stats_trend_classify(-2.0, 0.001, a, STATS_HIGHER_IS_BETTER, 3),
                     STATS_TREND_WORSENING);
    assert_int_equal(stats_trend_classify(-2.0, 0.001, a, STATS_LOWER_IS_BETTER, 3),
                     STATS_TREND_IMPROVING);
    /* p equal to alpha is not significant */
    assert_int_equal(stats_trend_classify(0.04, 0.05, a, STATS_HIGHER_IS_BETTER, 4),
                     STATS_TREND_NO_CHANGE);
    assert_int_equal(stats_trend_classify(0.04, 0.3, a, STATS_HIGHER_IS_BETTER, 5),
                     STATS_TREND_NO_CHANGE);
    assert_int_equal(stats_trend_classify(0.04, 0.001, a, STATS_HIGHER_IS_BETTER, 2),
                     STATS_TREND_NOT_ENOUGH_DATA);
    assert_int_equal(stats_trend_classify(NAN, NAN, a, STATS_HIGHER_IS_BETTER, 4),
                     STATS_TREND_NOT_ENOUGH_DATA);
    assert_string_equal(stats_trend_label_name(STATS_TREND_IMPROVING), "improving");
    assert_string_equal(stats_trend_label_name(STATS_TREND_WORSENING), "worsening");
    assert_string_equal(stats_trend_label_name(STATS_TREND_NO_CHANGE), "no_change");
    assert_string_equal(stats_trend_label_name(STATS_TREND_NOT_ENOUGH_DATA),
                        "not_enough_data");
}

/* --- comparison --------------------------------------------------------------------- */

static void test_z_scores(void **state)
{
    (void)state;
    double z;
    /* Hand: (12/40 - 0.2)/sqrt(0.2·0.8/40) = 0.1/sqrt(0.004) = 0.1/0.0632455532
     * = 1.58113883 = sqrt(2.5). */
    assert_int_equal(stats_z_share(12, 40, 0.2, &z), STATS_OK);
    ASSERT_CLOSE(z, sqrt(2.5));
    /* Hand: (68 - 64)/(12/sqrt(36)) = 4/2 = 2. */
    assert_int_equal(stats_z_mean(68, 64, 12, 36, &z), STATS_OK);
    ASSERT_CLOSE(z, 2.0);
    /* Hand: (55 - 64)/(12/sqrt(9)) = -9/4. */
    assert_int_equal(stats_z_mean(55, 64, 12, 9, &z), STATS_OK);
    ASSERT_CLOSE(z, -2.25);

    assert_int_equal(stats_z_share(5, 0, 0.2, &z), STATS_EINPUT);
    assert_int_equal(stats_z_share(5, 10, 1.2, &z), STATS_EINPUT);
    assert_int_equal(stats_z_share(5, 10, 0.0, &z), STATS_EDEGENERATE);
    assert_int_equal(stats_z_mean(68, 64, 0, 36, &z), STATS_EINPUT);
    assert_int_equal(stats_z_mean(68, 64, 12, 0, &z), STATS_EINPUT);
}

/* lo998, lo95, hi95, hi998 against R; clipped (exactly 0 or 1) values compared exactly. */
static void check_funnel(const struct stats_funnel *f, const double want[4])
{
    const double got[4] = {f->lo998, f->lo95, f->hi95, f->hi998};
    for (int i = 0; i < 4; i++) {
        if (want[i] == 0.0 || want[i] == 1.0)
            assert_true(got[i] == want[i]);
        else
            ASSERT_CLOSE(got[i], want[i]);
    }
}

static void test_funnel_exact(void **state)
{
    (void)state;
    /* R (stats_reference.R): spieg(p, n, theta) with r <- qbinom(p, n, theta);
     * a <- (pbinom(r, n, theta) - p)/(pbinom(r, n, theta) - pbinom(r - 1, n, theta));
     * pmin(1, pmax(0, (r - a)/n)), at p = 0.001, 0.025, 0.975, 0.999. */
    static const struct {
        double p0, n, want[4];
    } cases[] = {
        /* funnel(0.3, 10) */
        {0.3, 10, {0, 0, 0.560802140354076, 0.740809165407767}},
        /* funnel(0.3, 25) */
        {0.3, 25, {0.0241051626137928, 0.106424183818715, 0.46875105075369,
                   0.583500834286614}},
        /* funnel(0.3, 60) */
        {0.3, 60, {0.11972374230173, 0.178551291167934, 0.411239834486167,
                   0.482161285675488}},
        /* funnel(0.3, 200) */
        {0.3, 200, {0.200523260210929, 0.235030537068657, 0.362040775349205,
                    0.400105406228201}},
        /* funnel(0.05, 20): lower limits negative before clipping */
        {0.05, 20, {0, 0, 0.142364765016904, 0.235059878652433}},
        /* funnel(0.97, 40): upper tail close to 1 */
        {0.97, 40, {0.845873817381066, 0.893532492769144, 0.997886459147514,
                    0.999915458365901}},
    };
    struct stats_funnel f;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        assert_int_equal(stats_funnel_share_exact(cases[i].p0, cases[i].n, &f), STATS_OK);
        check_funnel(&f, cases[i].want);
    }

    /* Hand, n = 1, p0 = 0.3 (F(0) = 0.7, F(1) = 1): the 97.5% quantile is r = 1 and
     * a = (1 - 0.975)/(1 - 0.7) = 1/12, so hi95 = 1 - 1/12 = 0.916666667; the 2.5%
     * quantile is r = 0, a = (0.7 - 0.025)/0.7 > 0, clipped to 0. */
    assert_int_equal(stats_funnel_share_exact(0.3, 1, &f), STATS_OK);
    ASSERT_CLOSE(f.hi95, 11.0 / 12.0);
    assert_true(f.lo95 == 0.0);

    assert_int_equal(stats_funnel_share_exact(0.3, 0, &f), STATS_EINPUT);
    assert_int_equal(stats_funnel_share_exact(0.3, 2.5, &f), STATS_EINPUT);
    assert_int_equal(stats_funnel_share_exact(1.5, 20, &f), STATS_EINPUT);
    assert_int_equal(stats_funnel_share_exact(0.0, 20, &f), STATS_EDEGENERATE);
    assert_int_equal(stats_funnel_share_exact(1.0, 20, &f), STATS_EDEGENERATE);
}

static void test_funnel_normal_and_mean(void **state)
{
    (void)state;
    struct stats_funnel f;
    /* R: normal(0.3, 60) = pmin(1, pmax(0, 0.3 + qnorm(c(.001, .025, .975, .999)) *
     *    sqrt(0.3 * 0.7 / 60))) */
    assert_int_equal(stats_funnel_share_normal(0.3, 60, &f), STATS_OK);
    check_funnel(&f, (const double[4]){0.117179391283993, 0.184046966954592,
                                       0.415953033045408, 0.482820608716007});
    /* R: normal(0.05, 20) */
    assert_int_equal(stats_funnel_share_normal(0.05, 20, &f), STATS_OK);
    check_funnel(&f, (const double[4]){0, 0, 0.145516829402721, 0.200599293829512});
    /* R: 64 + qnorm(c(0.001, 0.025, 0.975, 0.999)) * 12 / sqrt(36) */
    assert_int_equal(stats_funnel_mean(64, 12, 36, &f), STATS_OK);
    check_funnel(&f, (const double[4]){57.8195353876644, 60.0800720309199,
                                       67.9199279690801, 70.1804646123356});

    assert_int_equal(stats_funnel_share_normal(0.3, 0, &f), STATS_EINPUT);
    assert_int_equal(stats_funnel_mean(64, 12, 0, &f), STATS_EINPUT);
    assert_int_equal(stats_funnel_mean(64, -1, 10, &f), STATS_EINPUT);
}

static void test_funnel_classify(void **state)
{
    (void)state;
    const struct stats_funnel f = {0.10, 0.20, 0.40, 0.50};
    assert_int_equal(stats_funnel_classify(0.30, &f), STATS_FUNNEL_INSIDE);
    assert_int_equal(stats_funnel_classify(0.40, &f), STATS_FUNNEL_INSIDE); /* on the limit */
    assert_int_equal(stats_funnel_classify(0.45, &f), STATS_FUNNEL_ABOVE_95);
    assert_int_equal(stats_funnel_classify(0.50, &f), STATS_FUNNEL_ABOVE_95);
    assert_int_equal(stats_funnel_classify(0.51, &f), STATS_FUNNEL_ABOVE_998);
    assert_int_equal(stats_funnel_classify(0.15, &f), STATS_FUNNEL_BELOW_95);
    assert_int_equal(stats_funnel_classify(0.05, &f), STATS_FUNNEL_BELOW_998);
    assert_int_equal(stats_funnel_classify(NAN, &f), STATS_FUNNEL_INSIDE);
    /* A share of 0 against a clipped lower limit of 0 is not flagged. */
    const struct stats_funnel small = {0, 0, 0.56, 0.74};
    assert_int_equal(stats_funnel_classify(0.0, &small), STATS_FUNNEL_INSIDE);
    assert_string_equal(stats_funnel_pos_name(STATS_FUNNEL_BELOW_998), "below_998");
    assert_string_equal(stats_funnel_pos_name(STATS_FUNNEL_ABOVE_95), "above_95");
    assert_string_equal(stats_funnel_pos_name(STATS_FUNNEL_INSIDE), "inside");
}

static void test_percentile_rank(void **state)
{
    (void)state;
    const double v[] = {30, 20, 40, 10, 20};
    double r;
    /* R: pv <- c(10, 20, 20, 30, 40); 100 * (rank(pv) - 0.5) / length(pv)
     *    -> 10 40 40 70 90 (the tied 20s share mean rank 2.5). */
    static const struct {
        double value, want;
    } members[] = {{10, 10}, {20, 40}, {30, 70}, {40, 90}};
    for (size_t i = 0; i < ARRAY_LEN(members); i++) {
        assert_int_equal(stats_percentile_rank(members[i].value, v, 5, &r), STATS_OK);
        ASSERT_CLOSE(r, members[i].want);
    }
    /* Hand, values not in the set: 25 has 3 below -> 60; 5 -> 0; 50 -> 100. */
    assert_int_equal(stats_percentile_rank(25, v, 5, &r), STATS_OK);
    ASSERT_CLOSE(r, 60.0);
    assert_int_equal(stats_percentile_rank(5, v, 5, &r), STATS_OK);
    ASSERT_CLOSE(r, 0.0);
    assert_int_equal(stats_percentile_rank(50, v, 5, &r), STATS_OK);
    ASSERT_CLOSE(r, 100.0);
    /* Hand: all tied -> 50. */
    const double same[] = {7, 7, 7};
    assert_int_equal(stats_percentile_rank(7, same, 3, &r), STATS_OK);
    ASSERT_CLOSE(r, 50.0);

    assert_int_equal(stats_percentile_rank(10, v, 0, &r), STATS_EINPUT);
    assert_int_equal(stats_percentile_rank(NAN, v, 5, &r), STATS_EINPUT);
}

/* --- empirical Bayes ---------------------------------------------------------------- */

static void test_eb_betabinom(void **state)
{
    (void)state;
    /* Hand: k = {2, 6, 10, 14} of n = 20 each (shares .1 .3 .5 .7).
     * m = 32/80 = 0.4; S = Σ20(r - .4)² = 20(.09 + .01 + .01 + .09) = 4;
     * S/(m(1-m)) = 4/0.24 = 50/3; minus (I-1) = 3 gives 41/3.
     * N - Σn²/N - (I-1) = 80 - 1600/80 - 3 = 57; ρ = (41/3)/57 = 41/171 = 0.239766.
     * α+β = 171/41 - 1 = 130/41; α = 0.4·130/41 = 52/41 = 1.268293, β = 78/41.
     * Posterior means (k + 52/41)/(20 + 130/41) = (41k + 52)/950:
     *   134/950, 298/950, 462/950, 626/950. */
    const double k[] = {2, 6, 10, 14}, n[] = {20, 20, 20, 20};
    double mean[4], lo[4], hi[4];
    struct stats_eb_prior pr;
    assert_int_equal(stats_eb_betabinom(k, n, 4, STATS_LEVEL_95, &pr, mean, lo, hi),
                     STATS_OK);
    ASSERT_CLOSE(pr.pooled, 0.4);
    ASSERT_CLOSE(pr.rho, 41.0 / 171.0);
    ASSERT_CLOSE(pr.alpha, 52.0 / 41.0);
    ASSERT_CLOSE(pr.beta, 78.0 / 41.0);
    assert_int_equal(pr.overdispersed, 1);
    const double want_mean[] = {134.0 / 950, 298.0 / 950, 462.0 / 950, 626.0 / 950};
    /* R: e <- eb(c(2, 6, 10, 14), rep(20, 4)); e$lo; e$hi
     *    i.e. qbeta(0.025, k + a, n - k + b), qbeta(0.975, k + a, n - k + b) */
    const double want_lo[] = {0.0344877971481923, 0.146164502906455,
                              0.290161385544627, 0.459139756609059};
    const double want_hi[] = {0.305413610909809, 0.511624577672306, 0.684709671201227,
                              0.832784429814851};
    for (int i = 0; i < 4; i++) {
        ASSERT_CLOSE(mean[i], want_mean[i]);
        ASSERT_CLOSE(lo[i], want_lo[i]);
        ASSERT_CLOSE(hi[i], want_hi[i]);
        /* shrinkage: every unit moves toward the pooled 0.4 */
        assert_true(fabs(mean[i] - 0.4) < fabs(k[i] / n[i] - 0.4));
    }

    /* Hand, fallback: three units at exactly 10/50. S = 0, ρ = (0 - 2)/(150 - 50 - 2)
     * < 0, so α+β = 100·150 = 15000, α = 3000, β = 12000, and each posterior mean is
     * (10 + 3000)/(50 + 15000) = 0.2. R: eb(c(10, 10, 10), rep(50, 3)) for the
     * interval, qbeta(c(.025, .975), 3010, 12040). */
    const double kf[] = {10, 10, 10}, nf[] = {50, 50, 50};
    assert_int_equal(stats_eb_betabinom(kf, nf, 3, STATS_LEVEL_95, &pr, mean, lo, hi),
                     STATS_OK);
    assert_int_equal(pr.overdispersed, 0);
    ASSERT_CLOSE(pr.alpha, 3000.0);
    ASSERT_CLOSE(pr.beta, 12000.0);
    ASSERT_CLOSE(mean[0], 0.2);
    ASSERT_CLOSE(lo[0], 0.193647571962931);
    ASSERT_CLOSE(hi[0], 0.206427948019665);

    /* A unit with no pupils gets the prior: mean α/(α+β) = 0.4 in the first example. */
    const double k0[] = {2, 6, 10, 14, 0}, n0[] = {20, 20, 20, 20, 0};
    double m5[5], l5[5], h5[5];
    assert_int_equal(stats_eb_betabinom(k0, n0, 5, STATS_LEVEL_95, NULL, m5, l5, h5),
                     STATS_OK);
    ASSERT_CLOSE(m5[4], 0.4);
    ASSERT_CLOSE(m5[0], 134.0 / 950);

    const double kz[] = {0, 0, 0};
    assert_int_equal(stats_eb_betabinom(kz, nf, 3, STATS_LEVEL_95, &pr, mean, lo, hi),
                     STATS_EDEGENERATE);
    assert_int_equal(stats_eb_betabinom(k, n, 1, STATS_LEVEL_95, &pr, mean, lo, hi),
                     STATS_EINPUT);
    const double nzero[] = {0, 0, 0};
    assert_int_equal(stats_eb_betabinom(kz, nzero, 3, STATS_LEVEL_95, &pr, mean, lo, hi),
                     STATS_EINPUT);
}

/* --- regression --------------------------------------------------------------------- */

static void test_ols(void **state)
{
    (void)state;
    /* R: x1 <- c(0.10, 0.25, 0.05, 0.40, 0.30, 0.15, 0.20, 0.35)
     *    x2 <- c(0.02, 0.10, 0.01, 0.20, 0.05, 0.08, 0.03, 0.15)
     *    y  <- c(72.0, 64.5, 75.1, 58.2, 66.9, 69.3, 70.8, 57.4)
     *    g <- lm(y ~ x1 + x2); coef(g); summary(g)$r.squared; rstandard(g) */
    const double x[] = {0.10, 0.02, 0.25, 0.10, 0.05, 0.01, 0.40, 0.20,
                        0.30, 0.05, 0.15, 0.08, 0.20, 0.03, 0.35, 0.15};
    const double y[] = {72.0, 64.5, 75.1, 58.2, 66.9, 69.3, 70.8, 57.4};
    const double want_coef[] = {76.4792529989094, -25.1079607415484, -50.6870229007634};
    const double want_rstd[] = {-0.677053533264957, -0.412516260475133,
                                0.307126283389166,  1.78309136355615,
                                0.50688317340577,   0.469919097075873,
                                0.622830899632844,  -1.926906204472};
    double coef[3], r2, rstd[8];
    assert_int_equal(stats_ols(y, x, 8, 2, coef, &r2, rstd), STATS_OK);
    for (int j = 0; j < 3; j++)
        ASSERT_CLOSE(coef[j], want_coef[j]);
    ASSERT_CLOSE(r2, 0.952075466161725);
    for (int i = 0; i < 8; i++)
        ASSERT_CLOSE(rstd[i], want_rstd[i]);

    /* Hand, p = 0 (intercept only): coef = mean = 2, residuals -1, 0, 1,
     * s² = 2/2 = 1, h = 1/3, rstandard = r/sqrt(2/3) = ∓1.224744871. r2 is 0. */
    const double y3[] = {1, 2, 3};
    assert_int_equal(stats_ols(y3, NULL, 3, 0, coef, &r2, rstd), STATS_OK);
    ASSERT_CLOSE(coef[0], 2.0);
    ASSERT_CLOSE(rstd[0], -sqrt(1.5));
    ASSERT_CLOSE(rstd[1], 0.0);
    ASSERT_CLOSE(r2, 0.0);

    /* Singular: x2 = 2·x1. */
    double xs[16];
    for (int i = 0; i < 8; i++) {
        xs[2 * i] = x[2 * i];
        xs[2 * i + 1] = 2.0 * x[2 * i];
    }
    assert_int_equal(stats_ols(y, xs, 8, 2, coef, &r2, rstd), STATS_EDEGENERATE);
    /* A constant predictor is collinear with the intercept. */
    double xc[8];
    for (int i = 0; i < 8; i++)
        xc[i] = 0.3;
    assert_int_equal(stats_ols(y, xc, 8, 1, coef, &r2, rstd), STATS_EDEGENERATE);
    /* m <= p + 1: three units cannot support an intercept and two slopes. */
    assert_int_equal(stats_ols(y, x, 3, 2, coef, &r2, rstd), STATS_EINPUT);
    /* Constant y: nothing to explain. */
    const double yc[] = {5, 5, 5, 5, 5, 5, 5, 5};
    assert_int_equal(stats_ols(yc, x, 8, 2, coef, &r2, rstd), STATS_EDEGENERATE);
}

/* --- spike test --------------------------------------------------------------------- */

static void test_spike_vs_binom_test(void **state)
{
    (void)state;
    struct stats_spike s;
    /* School 1 at score 3, 9 at score 4; district 200 and 220. X = 9, m = 10,
     * p = 220/420 = 0.5238095, expected 5.238095, ratio 9/5.238095 = 1.718182.
     * R: binom.test(9, 10, 220/420, alternative = "greater")$p.value */
    const double h[] = {0, 2, 3, 1, 9, 4}, d[] = {50, 120, 170, 200, 220, 90};
    assert_int_equal(stats_spike_test(h, d, 6, 4, &s), STATS_OK);
    assert_int_equal(s.testable, 1);
    ASSERT_CLOSE(s.x, 9.0);
    ASSERT_CLOSE(s.m, 10.0);
    ASSERT_CLOSE(s.p_ref, 220.0 / 420.0);
    ASSERT_CLOSE(s.expected, 10.0 * 220.0 / 420.0);
    ASSERT_CLOSE(s.ratio, 9.0 / (10.0 * 220.0 / 420.0));
    ASSERT_CLOSE(s.p, 0.0156914904874357);

    /* R: binom.test(6, 11, 220/420, alternative = "greater")$p.value */
    const double h2[] = {0, 2, 3, 5, 6, 4};
    assert_int_equal(stats_spike_test(h2, d, 6, 4, &s), STATS_OK);
    ASSERT_CLOSE(s.p, 0.564210199731054);

    /* R: binom.test(60, 80, 0.5, alternative = "greater")$p.value */
    const double h3[] = {20, 60}, d3[] = {500, 500};
    assert_int_equal(stats_spike_test(h3, d3, 2, 1, &s), STATS_OK);
    ASSERT_CLOSE(s.p, 4.2902799335248e-06);

    /* Hand: X = 0 -> P(X' >= 0) = 1. */
    const double h4[] = {4, 0};
    assert_int_equal(stats_spike_test(h4, d3, 2, 1, &s), STATS_OK);
    ASSERT_CLOSE(s.p, 1.0);
    ASSERT_CLOSE(s.ratio, 0.0);
}

static void test_spike_degenerate(void **state)
{
    (void)state;
    struct stats_spike s;
    const double d[] = {50, 120, 170, 200, 220, 90};
    /* m = 0: nobody at scores 3 or 4. */
    const double h0[] = {5, 2, 3, 0, 0, 4};
    assert_int_equal(stats_spike_test(h0, d, 6, 4, &s), STATS_EDEGENERATE);
    assert_int_equal(s.testable, 0);
    assert_true(isnan(s.p));
    /* p_ref = 0: the district has nobody at b. */
    const double h[] = {0, 2, 3, 1, 9, 4}, dz[] = {50, 120, 170, 200, 0, 90};
    assert_int_equal(stats_spike_test(h, dz, 6, 4, &s), STATS_EDEGENERATE);
    assert_int_equal(s.testable, 0);
    /* p_ref = 1: the district has nobody at b-1. */
    const double d1[] = {50, 120, 170, 0, 220, 90};
    assert_int_equal(stats_spike_test(h, d1, 6, 4, &s), STATS_EDEGENERATE);
    /* the district has neither score */
    const double dn[] = {50, 120, 170, 0, 0, 90};
    assert_int_equal(stats_spike_test(h, dn, 6, 4, &s), STATS_EDEGENERATE);
    assert_true(isnan(s.p_ref));

    assert_int_equal(stats_spike_test(h, d, 6, 0, &s), STATS_EINPUT);
    assert_int_equal(stats_spike_test(h, d, 6, 6, &s), STATS_EINPUT);
    const double hf[] = {0, 2, 3, 1.5, 9, 4};
    assert_int_equal(stats_spike_test(hf, d, 6, 4, &s), STATS_EINPUT);
    const double hn[] = {0, 2, 3, -1, 9, 4};
    assert_int_equal(stats_spike_test(hn, d, 6, 4, &s), STATS_EINPUT);
}

static void test_spike_planted_vs_smooth(void **state)
{
    (void)state;
    /* A 0..15 work, marks 3/4/5 start at scores 5, 9, 13. The smooth school is the
     * district shape at 1/10; the planted one moves 7 pupils from score 4 to 5
     * (a hole below the pass mark and a spike on it). See stats_reference.R. */
    const double dd[] = {2, 6, 15, 40, 80, 130, 180, 220, 230, 210, 170, 120, 75, 35, 12, 3};
    const double hs[] = {0, 1, 2, 4, 8, 13, 18, 22, 23, 21, 17, 12, 8, 3, 1, 0};
    double hp[16];
    for (int i = 0; i < 16; i++)
        hp[i] = hs[i];
    hp[4] = 1;
    hp[5] = 20;
    const size_t bounds[] = {5, 9, 13};
    /* R: st(hs, b) and st(hp, b), b = 5, 9, 13: binom.test(h[b], h[b-1] + h[b],
     *    dd[b]/(dd[b-1] + dd[b]), alternative = "greater")$p.value (0-based b) */
    const double want_smooth[] = {0.595235104067014, 0.558972419341485, 0.731898369305316};
    const double want_planted[] = {0.000588762894318638, 0.558972419341485,
                                   0.731898369305316};
    struct stats_spike ts[3], tp[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(stats_spike_test(hs, dd, 16, bounds[i], &ts[i]), STATS_OK);
        assert_int_equal(stats_spike_test(hp, dd, 16, bounds[i], &tp[i]), STATS_OK);
        ASSERT_CLOSE(ts[i].p, want_smooth[i]);
        ASSERT_CLOSE(tp[i].p, want_planted[i]);
    }
    double p;
    size_t which = 99;
    /* R: min(1, 3 * min(st(hp, 5), st(hp, 9), st(hp, 13))) */
    assert_int_equal(stats_spike_combine(tp, 3, &p, &which), STATS_OK);
    ASSERT_CLOSE(p, 0.00176628868295591);
    assert_int_equal(which, 0);
    assert_true(p < 0.01);                 /* the planted spike is detected ... */
    assert_true(tp[0].ratio > 1.5);        /* ... at 20/13 of the expected */
    /* Hand: Bonferroni of the smooth school = min(1, 3·0.558972) = 1. */
    assert_int_equal(stats_spike_combine(ts, 3, &p, &which), STATS_OK);
    assert_true(p == 1.0);                 /* ... and the smooth school is not */
    assert_int_equal(which, 1);
}

static void test_spike_combine(void **state)
{
    (void)state;
    /* Hand: testable p = {0.02, 0.30}, the untestable one is not counted:
     * min(1, 2·0.02) = 0.04 at index 2. */
    struct stats_spike t[3] = {
        {.p = 0.30, .testable = 1},
        {.p = NAN, .testable = 0},
        {.p = 0.02, .testable = 1},
    };
    double p;
    size_t which;
    assert_int_equal(stats_spike_combine(t, 3, &p, &which), STATS_OK);
    ASSERT_CLOSE(p, 0.04);
    assert_int_equal(which, 2);
    assert_int_equal(stats_spike_combine(t, 3, &p, NULL), STATS_OK);

    struct stats_spike none[2] = {{.p = NAN, .testable = 0}, {.p = NAN, .testable = 0}};
    assert_int_equal(stats_spike_combine(none, 2, &p, &which), STATS_EDEGENERATE);
    assert_int_equal(stats_spike_combine(t, 0, &p, &which), STATS_EINPUT);
}

/* --- exact tails -------------------------------------------------------------------- */

/* pmf, upper, lower, upper_mid, lower_mid, two_sided, two_sided_mid */
static void check_tail(const struct stats_tail *t, const double want[7])
{
    ASSERT_CLOSE(t->pmf, want[0]);
    ASSERT_CLOSE(t->upper, want[1]);
    ASSERT_CLOSE(t->lower, want[2]);
    ASSERT_CLOSE(t->upper_mid, want[3]);
    ASSERT_CLOSE(t->lower_mid, want[4]);
    ASSERT_CLOSE(t->two_sided, want[5]);
    ASSERT_CLOSE(t->two_sided_mid, want[6]);
}

static void test_binom_tail(void **state)
{
    (void)state;
    struct stats_tail t;
    /* R: bt(x, n, p0) in stats_reference.R = dbinom(x, n, p0),
     *    pbinom(x - 1, n, p0, lower.tail = FALSE), pbinom(x, n, p0), the mid-p pair
     *    (each minus dbinom/2) and min(1, 2·min(...)) of both pairs. */
    assert_int_equal(stats_binom_tail(14, 40, 0.2, &t), STATS_OK);
    check_tail(&t, (const double[7]){0.0114915150551291, 0.0194073689286486,
                                     0.992084146126481, 0.013661611401084,
                                     0.986338388598916, 0.0388147378572971,
                                     0.0273232228021681});
    /* R: binom.test(14, 40, 0.2, alternative = "greater")$p.value */
    ASSERT_CLOSE(t.upper, 0.0194073689286486);

    assert_int_equal(stats_binom_tail(2, 60, 0.12, &t), STATS_OK);
    check_tail(&t, (const double[7]){0.0153578613742212, 0.995715609796168,
                                     0.0196422515780529, 0.988036679109058,
                                     0.0119633208909423, 0.0392845031561057,
                                     0.0239266417818846});

    /* Every pupil passed, 40 of 40, against 97%: R bt(40, 40, 0.97); upper = 0.97^40.
     * Not unusual (p = 0.2957), yet above the interpolated 99.8% limit 0.99992
     * (test_funnel_exact): classification by the tail does not flag it. */
    assert_int_equal(stats_binom_tail(40, 40, 0.97, &t), STATS_OK);
    check_tail(&t, (const double[7]){0.295712287399132, 0.295712287399133, 1,
                                     0.147856143699566, 0.852143856300434,
                                     0.591424574798265, 0.295712287399133});
    assert_int_equal(stats_classify_p(t.upper, t.lower), STATS_FUNNEL_INSIDE);
    struct stats_funnel f;
    assert_int_equal(stats_funnel_share_exact(0.97, 40, &f), STATS_OK);
    assert_int_equal(stats_funnel_classify(1.0, &f), STATS_FUNNEL_ABOVE_998);

    /* A far tail keeps its digits: R bt(95, 100, 0.5). */
    assert_int_equal(stats_binom_tail(95, 100, 0.5, &t), STATS_OK);
    check_tail(&t, (const double[7]){5.93913811790444e-23, 6.2616225626927e-23, 1,
                                     3.29205350374048e-23, 1, 1.25232451253854e-22,
                                     6.58410700748096e-23});
    assert_int_equal(stats_classify_p(t.upper, t.lower), STATS_FUNNEL_ABOVE_998);

    /* Hand: x = 0 of 3 at p0 = 0.5: pmf 1/8, upper 1, lower 1/8, upper_mid 15/16. */
    assert_int_equal(stats_binom_tail(0, 3, 0.5, &t), STATS_OK);
    ASSERT_CLOSE(t.pmf, 0.125);
    assert_true(t.upper == 1.0);
    ASSERT_CLOSE(t.lower, 0.125);
    ASSERT_CLOSE(t.upper_mid, 0.9375);
    ASSERT_CLOSE(t.lower_mid, 0.0625);

    assert_int_equal(stats_binom_tail(5, 4, 0.5, &t), STATS_EINPUT);
    assert_int_equal(stats_binom_tail(1.5, 4, 0.5, &t), STATS_EINPUT);
    assert_int_equal(stats_binom_tail(1, 0, 0.5, &t), STATS_EINPUT);
    assert_int_equal(stats_binom_tail(1, 4, NAN, &t), STATS_EINPUT);
    assert_int_equal(stats_binom_tail(1, 4, 0.0, &t), STATS_EDEGENERATE);
    assert_int_equal(stats_binom_tail(1, 4, 1.0, &t), STATS_EDEGENERATE);
}

static void test_pois_tail(void **state)
{
    (void)state;
    struct stats_tail t;
    /* R: pt_(x, mu) = dpois, ppois(x - 1, mu, lower.tail = FALSE), ppois(x, mu), ... */
    assert_int_equal(stats_pois_tail(12, 5.3, &t), STATS_OK);
    check_tail(&t, (const double[7]){0.00511932518221915, 0.00840873093705245,
                                     0.996710594245167, 0.00584906834594287,
                                     0.994150931654057, 0.0168174618741049,
                                     0.0116981366918857});
    /* R: poisson.test(12, r = 5.3, alternative = "greater")$p.value */
    ASSERT_CLOSE(t.upper, 0.00840873093705245);
    assert_int_equal(stats_classify_p(t.upper, t.lower), STATS_FUNNEL_ABOVE_95);

    /* Hand and R pt_(0, 2.1): pmf = lower = e^-2.1, upper = 1. */
    assert_int_equal(stats_pois_tail(0, 2.1, &t), STATS_OK);
    check_tail(&t, (const double[7]){0.122456428252982, 1, 0.122456428252982,
                                     0.938771785873509, 0.061228214126491,
                                     0.244912856505964, 0.122456428252982});
    ASSERT_CLOSE(t.lower, exp(-2.1));

    assert_int_equal(stats_pois_tail(30, 8, &t), STATS_OK);
    check_tail(&t, (const double[7]){1.56561033520411e-09, 2.10258363071496e-09,
                                     0.999999999463027, 1.31977846311291e-09,
                                     0.999999998680222, 4.20516726142993e-09,
                                     2.63955692622582e-09});

    assert_int_equal(stats_pois_tail(-1, 2, &t), STATS_EINPUT);
    assert_int_equal(stats_pois_tail(2.5, 2, &t), STATS_EINPUT);
    assert_int_equal(stats_pois_tail(2, -1, &t), STATS_EINPUT);
    assert_int_equal(stats_pois_tail(2, 0, &t), STATS_EDEGENERATE);
}

static void test_classify_p(void **state)
{
    (void)state;
    assert_int_equal(stats_classify_p(0.0009, 0.9995), STATS_FUNNEL_ABOVE_998);
    assert_int_equal(stats_classify_p(0.001, 0.9995), STATS_FUNNEL_ABOVE_95); /* not < */
    assert_int_equal(stats_classify_p(0.02, 0.99), STATS_FUNNEL_ABOVE_95);
    assert_int_equal(stats_classify_p(0.025, 0.99), STATS_FUNNEL_INSIDE);     /* not < */
    assert_int_equal(stats_classify_p(0.5, 0.6), STATS_FUNNEL_INSIDE);
    assert_int_equal(stats_classify_p(0.99, 0.02), STATS_FUNNEL_BELOW_95);
    assert_int_equal(stats_classify_p(1.0, 1e-5), STATS_FUNNEL_BELOW_998);
    assert_int_equal(stats_classify_p(NAN, NAN), STATS_FUNNEL_INSIDE);
    assert_int_equal(stats_classify_p(NAN, 1e-5), STATS_FUNNEL_BELOW_998);
    assert_int_equal(stats_classify_p(1e-5, NAN), STATS_FUNNEL_ABOVE_998);
}

static void test_share_without(void **state)
{
    (void)state;
    double v;
    /* Hand: (300 - 40)/(1000 - 100) = 260/900. */
    assert_int_equal(stats_share_without(300, 1000, 40, 100, &v), STATS_OK);
    ASSERT_CLOSE(v, 260.0 / 900.0);
    assert_int_equal(stats_share_without(300, 1000, 40, 1000, &v), STATS_EINPUT);
    assert_int_equal(stats_share_without(300, 1000, 50, 40, &v), STATS_EINPUT);
    assert_int_equal(stats_share_without(5, 10, 0, 8, &v), STATS_EINPUT); /* 5 of 2 */
}

/* Under H0, classification by the exact tail flags a unit beyond 99.8% on a side with
 * probability <= 0.001, whatever n and p0; GSL's MT19937, seed 1. */
static void test_classify_null_simulation(void **state)
{
    (void)state;
    const size_t draws = 60000;
    const double p0s[] = {0.03, 0.2, 0.5, 0.8, 0.97};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 1);
    size_t above998 = 0, below998 = 0, above95 = 0, below95 = 0;
    for (size_t i = 0; i < draws; i++) {
        unsigned int n = 5 + (unsigned int)gsl_rng_uniform_int(r, 296);   /* 5..300 */
        double p0 = p0s[i % ARRAY_LEN(p0s)];
        unsigned int x = gsl_ran_binomial(r, p0, n);
        struct stats_tail t;
        assert_int_equal(stats_binom_tail(x, n, p0, &t), STATS_OK);
        switch (stats_classify_p(t.upper, t.lower)) {
        case STATS_FUNNEL_ABOVE_998: above998++; above95++; break;
        case STATS_FUNNEL_ABOVE_95: above95++; break;
        case STATS_FUNNEL_BELOW_998: below998++; below95++; break;
        case STATS_FUNNEL_BELOW_95: below95++; break;
        case STATS_FUNNEL_INSIDE: break;
        }
    }
    gsl_rng_free(r);
    /* Each count is at most Binomial(draws, nominal) in distribution; allow 3 SDs of
     * that binomial above its mean. */
    double d = (double)draws;
    double tol998 = d * 0.001 + 3.0 * sqrt(d * 0.001 * 0.999);
    double tol95 = d * 0.025 + 3.0 * sqrt(d * 0.025 * 0.975);
    print_message("exact tails under H0: above/below 99.8%% %.5f/%.5f (nominal 0.001), "
                  "beyond 95%% %.4f/%.4f (0.025)\n",
                  (double)above998 / d, (double)below998 / d, (double)above95 / d,
                  (double)below95 / d);
    assert_true((double)above998 <= tol998);
    assert_true((double)below998 <= tol998);
    assert_true((double)above95 <= tol95);
    assert_true((double)below95 <= tol95);
    /* and the classifier does flag: a test that never fires would pass the above */
    assert_true(above95 > 0 && below95 > 0);
}

/* --- overdispersion ----------------------------------------------------------------- */

static const double od_z[] = {-3.1, -1.2, 0.4, 2.2, 0.9, -0.3, 4.5, -2.6, 1.1, 0.2, -0.8, 3.3};
static const double od_s[] = {0.05, 0.08, 0.03, 0.06, 0.04, 0.10,
                              0.05, 0.07, 0.09, 0.04, 0.06, 0.05};

/* od fields q_lo, q_hi, phi_w, phi, chisq, df, p, tau2 against R od(...). */
static void check_od(const struct stats_od *od, const double want[8])
{
    ASSERT_CLOSE(od->z_lo, want[0]);
    ASSERT_CLOSE(od->z_hi, want[1]);
    ASSERT_CLOSE(od->phi_w, want[2]);
    ASSERT_CLOSE(od->phi, want[3]);
    ASSERT_CLOSE(od->chisq, want[4]);
    ASSERT_CLOSE(od->df, want[5]);
    ASSERT_CLOSE(od->p, want[6]);
    ASSERT_CLOSE(od->tau2, want[7]);
}

static void test_overdispersion(void **state)
{
    (void)state;
    struct stats_od od;
    /* Spiegelhalter as published (consistent = 0, df = I).
     * R: od(odz, ods) = quantile(z, c(.1, .9), type = 7); zw <- pmin(pmax(z, q1), q2);
     *    phi = mean(zw^2); pchisq(I*phi, I, lower.tail = FALSE);
     *    tau2 = max(0, (I*phi - (I-1))/(sum(W) - sum(W^2)/sum(W))), W = 1/s^2 */
    const struct stats_od_opts spieg = {0.1, 0, 0, 0.05, STATS_OD_ADDITIVE};
    assert_int_equal(stats_overdispersion(od_z, od_s, 12, &spieg, &od), STATS_OK);
    assert_int_equal(od.units, 12);
    check_od(&od, (const double[8]){-2.46, 3.19, 3.47378333333333, 3.47378333333333,
                                    41.6854, 12, 3.7617739524829e-05,
                                    0.00745293134205626});
    assert_true(od.c == 1.0 && od.v == 2.0);
    assert_int_equal(od.adjusted, 1);

    /* R: (0.62 - 0.5)/sqrt(0.05^2 + tau2); 0.5 + qnorm(c(.001, .025, .975, .999)) *
     *    sqrt(0.04^2 + tau2) */
    double z;
    assert_int_equal(stats_od_z(0.62, 0.5, 0.05, &od, &z), STATS_OK);
    ASSERT_CLOSE(z, 1.20283412830638);
    struct stats_funnel f;
    assert_int_equal(stats_od_funnel(0.5, 0.04, &od, &f), STATS_OK);
    check_funnel(&f, (const double[4]){0.205973995885251, 0.313515515505766,
                                       0.686484484494234, 0.794026004114749});

    /* Multiplicative: R (0.62 - 0.5)/(0.05*sqrt(phi)); 0.5 + zq*sqrt(phi)*0.04.
     * s is not needed (tau2 NaN). */
    const struct stats_od_opts mult = {0.1, 0, 0, 0.05, STATS_OD_MULTIPLICATIVE};
    assert_int_equal(stats_overdispersion(od_z, NULL, 12, &mult, &od), STATS_OK);
    assert_true(isnan(od.tau2));
    assert_int_equal(od.adjusted, 1);
    assert_int_equal(stats_od_z(0.62, 0.5, 0.05, &od, &z), STATS_OK);
    ASSERT_CLOSE(z, 1.28768571582027);
    assert_int_equal(stats_od_funnel(0.5, 0.04, &od, &f), STATS_OK);
    check_funnel(&f, (const double[4]){0.269615910351905, 0.353880073216478,
                                       0.646119926783522, 0.730384089648095});

    /* df = I - 1 (the target is these units' pooled value): R od(odz, ods,
     * estimated = TRUE) */
    const struct stats_od_opts spieg1 = {0.1, 0, 1, 0.05, STATS_OD_ADDITIVE};
    assert_int_equal(stats_overdispersion(od_z, od_s, 12, &spieg1, &od), STATS_OK);
    ASSERT_CLOSE(od.df, 11);
    ASSERT_CLOSE(od.p, 1.83587093517359e-05);

    /* No winsorising: R od(odz, ods, w = 0); consistent or not, c = 1 and V = 2. */
    const struct stats_od_opts nowin = {0.0, 1, 0, 0.05, STATS_OD_ADDITIVE};
    assert_int_equal(stats_overdispersion(od_z, od_s, 12, &nowin, &od), STATS_OK);
    check_od(&od, (const double[8]){-3.1, 4.5, 4.72833333333333, 4.72833333333333, 56.74,
                                    12, 8.80593351077916e-08, 0.0111094227087036});

    /* soko's default: consistent, df = I - 1. R od(odz, ods, estimated = TRUE,
     * consistent = TRUE); c and V are wconst(0.1), equal to their numerical
     * integrals (wconst_int). */
    assert_int_equal(stats_overdispersion(od_z, od_s, 12, NULL, &od), STATS_OK);
    check_od(&od, (const double[8]){-2.46, 3.19, 3.47378333333333, 5.11863257603866,
                                    43.6930275087648, 7.8247346899884,
                                    5.50949413781249e-07, 0.0122469826396438});
    ASSERT_CLOSE(od.c, 0.678654558952875);
    ASSERT_CLOSE(od.v, 2.8115969258547);
    assert_int_equal(od.adjusted, 1);
    assert_int_equal(stats_od_z(0.62, 0.5, 0.05, &od, &z), STATS_OK);
    ASSERT_CLOSE(z, 0.988165441603724);
    const struct stats_od_opts w05 = {0.05, 1, 1, 0.05, STATS_OD_ADDITIVE};
    assert_int_equal(stats_overdispersion(od_z, od_s, 12, &w05, &od), STATS_OK);
    ASSERT_CLOSE(od.c, 0.831268281130756);   /* R wconst(0.05) */
    ASSERT_CLOSE(od.v, 2.36167180628509);

    /* Units that vary as sampling says: R od(odz2, ods2) and the consistent variant:
     * nothing is widened (p 0.69, 0.30) and the plain z stands, although the
     * consistent τ² is a little above 0. */
    const double z2[] = {-0.9, 0.3, 1.2, -1.5, 0.1, 0.7, -0.4, 1.9, -1.1, 0.5};
    const double s2[] = {0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05};
    assert_int_equal(stats_overdispersion(z2, s2, 10, &spieg, &od), STATS_OK);
    check_od(&od, (const double[8]){-1.14, 1.27, 0.73725, 0.73725, 7.3725, 10,
                                    0.68987252082957, 0});
    assert_int_equal(od.adjusted, 0);
    assert_int_equal(stats_overdispersion(z2, s2, 10, NULL, &od), STATS_OK);
    check_od(&od, (const double[8]){-1.14, 1.27, 0.73725, 1.08634059887188,
                                    7.72756997194146, 6.40205565544506,
                                    0.297311846115358, 0.000517612774644121});
    assert_int_equal(od.adjusted, 0);
    assert_int_equal(stats_od_z(0.62, 0.5, 0.05, &od, &z), STATS_OK);
    ASSERT_CLOSE(z, 0.12 / 0.05);   /* hand: the plain z */

    /* A suppressed unit (NaN z) is skipped: the same as the 12 units alone. */
    double zn[13], sn[13];
    for (int i = 0; i < 12; i++) {
        zn[i] = od_z[i];
        sn[i] = od_s[i];
    }
    zn[12] = NAN;
    sn[12] = NAN;
    assert_int_equal(stats_overdispersion(zn, sn, 13, &spieg, &od), STATS_OK);
    assert_int_equal(od.units, 12);
    ASSERT_CLOSE(od.phi, 3.47378333333333);

    assert_int_equal(stats_overdispersion(od_z, NULL, 12, &spieg, &od), STATS_EINPUT);
    assert_int_equal(stats_overdispersion(od_z, od_s, 1, &spieg, &od), STATS_EINPUT);
    assert_int_equal(stats_overdispersion(od_z, od_s, 2, &spieg1, &od), STATS_EINPUT);
    const struct stats_od_opts half = {0.5, 1, 1, 0.05, STATS_OD_ADDITIVE};
    assert_int_equal(stats_overdispersion(od_z, od_s, 12, &half, &od), STATS_EINPUT);
    const struct stats_od_opts a0 = {0.1, 1, 1, 0.0, STATS_OD_ADDITIVE};
    assert_int_equal(stats_overdispersion(od_z, od_s, 12, &a0, &od), STATS_EINPUT);
    const double sbad[] = {0.05, 0, 0.03};
    assert_int_equal(stats_overdispersion(od_z, sbad, 3, &spieg, &od), STATS_EINPUT);
    assert_int_equal(stats_od_z(0.6, 0.5, 0.0, &od, &z), STATS_EINPUT);
    assert_int_equal(stats_od_funnel(0.5, 0.04, NULL, &f), STATS_EINPUT);
}

/* Overdispersed units, as in the review (φ about 3): 200 schools with n 20..150,
 * y_i = θ + u_i + e_i, u ~ N(0, 0.08²), e ~ N(0, θ(1−θ)/n_i), θ = ½, 100
 * districts, MT19937 seed 1. The share beyond 99.8% (|z| > 3.09, nominal 0.002;
 * this run prints it, about):
 *   plain z: 0.086 — forty times nominal, the review's 17% in miniature;
 *   z with τ² from Spiegelhalter's winsorised φ̂ (consistent = 0): 0.013, still
 *     six times nominal, because φ̂_w estimates about 0.68·φ;
 *   z with the consistent φ̂ (the default): 0.003.
 * Bounds: the plain and published rates must exceed 3× nominal; the default must
 * stay within 1.5 × (nominal + 3 binomial SDs of the 20,000 unit draws): τ² is
 * estimated and the z_i are not identically distributed, so it is not exact
 * (stats.h gives 1.35× nominal over 1,000 districts). */
static void test_od_simulation(void **state)
{
    (void)state;
    enum { I = 200, REPS = 100 };
    const double theta = 0.5, tau = 0.08, zc = 3.090232306167813;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 1);
    const struct stats_od_opts spieg = {0.1, 0, 1, 0.05, STATS_OD_ADDITIVE};
    size_t plain = 0, pub = 0, cons = 0, adjusted = 0;
    double z[I], s[I], y[I];
    for (int rep = 0; rep < REPS; rep++) {
        for (int i = 0; i < I; i++) {
            double n = 20.0 + (double)gsl_rng_uniform_int(r, 131);
            s[i] = sqrt(theta * (1.0 - theta) / n);
            y[i] = theta + gsl_ran_gaussian(r, tau) + gsl_ran_gaussian(r, s[i]);
            z[i] = (y[i] - theta) / s[i];
        }
        struct stats_od op, oc;
        assert_int_equal(stats_overdispersion(z, s, I, &spieg, &op), STATS_OK);
        assert_int_equal(stats_overdispersion(z, s, I, NULL, &oc), STATS_OK);
        adjusted += (size_t)oc.adjusted;
        for (int i = 0; i < I; i++) {
            double zp, zcn;
            assert_int_equal(stats_od_z(y[i], theta, s[i], &op, &zp), STATS_OK);
            assert_int_equal(stats_od_z(y[i], theta, s[i], &oc, &zcn), STATS_OK);
            plain += fabs(z[i]) > zc;
            pub += fabs(zp) > zc;
            cons += fabs(zcn) > zc;
        }
    }
    gsl_rng_free(r);
    double d = (double)I * REPS, nominal = 0.002 * d;
    print_message("beyond 99.8%%: plain %.4f, published %.4f, consistent %.4f "
                  "(nominal 0.002); overdispersion found in %zu/%d\n",
                  (double)plain / d, (double)pub / d, (double)cons / d, adjusted,
                  (int)REPS);
    assert_int_equal(adjusted, REPS);
    assert_true((double)plain > 3.0 * nominal);
    assert_true((double)pub > 3.0 * nominal);
    assert_true((double)cons <= 1.5 * (nominal + 3.0 * sqrt(d * 0.002 * 0.998)));
    assert_true(cons > 0);
}

/* --- multiple testing --------------------------------------------------------------- */

static void test_p_adjust(void **state)
{
    (void)state;
    const double p[] = {0.01, 0.04, 0.03, NAN, 0.005, 0.04, 0.2, 0.5, 0.0001, 1};
    double q[10];
    /* R: p.adjust(pv, "BH"), "holm", "bonferroni" (NA stays NA, m = 9) */
    const double bh[] = {0.03, 0.06, 0.06, NAN, 0.0225, 0.06, 0.257142857142857,
                         0.5625, 0.0009, 1};
    const double holm[] = {0.07, 0.2, 0.18, NAN, 0.04, 0.2, 0.6, 1, 0.0009, 1};
    const double bonf[] = {0.09, 0.36, 0.27, NAN, 0.045, 0.36, 1, 1, 0.0009, 1};
    const struct {
        enum stats_padj method;
        const double *want;
    } cases[] = {{STATS_PADJ_BH, bh}, {STATS_PADJ_HOLM, holm},
                 {STATS_PADJ_BONFERRONI, bonf}};
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        assert_int_equal(stats_p_adjust(p, 10, cases[c].method, q), STATS_OK);
        for (int i = 0; i < 10; i++) {
            if (isnan(cases[c].want[i]))
                assert_true(isnan(q[i]));
            else
                ASSERT_CLOSE(q[i], cases[c].want[i]);
        }
    }
    /* Ties (0.04 twice) get equal q; the order of the input does not matter. */
    const double rev[] = {1, 0.0001, 0.5, 0.2, 0.04, 0.005, NAN, 0.03, 0.04, 0.01};
    double qr[10];
    assert_int_equal(stats_p_adjust(rev, 10, STATS_PADJ_BH, qr), STATS_OK);
    for (int i = 0; i < 10; i++) {
        if (isnan(bh[9 - i]))
            assert_true(isnan(qr[i]));
        else
            ASSERT_CLOSE(qr[i], bh[9 - i]);
    }
    /* In place. */
    double inplace[10];
    for (int i = 0; i < 10; i++)
        inplace[i] = p[i];
    assert_int_equal(stats_p_adjust(inplace, 10, STATS_PADJ_HOLM, inplace), STATS_OK);
    ASSERT_CLOSE(inplace[2], 0.18);
    /* All NaN: all NaN, m = 0. */
    const double nn[] = {NAN, NAN};
    assert_int_equal(stats_p_adjust(nn, 2, STATS_PADJ_BH, q), STATS_OK);
    assert_true(isnan(q[0]) && isnan(q[1]));

    const double bad[] = {0.2, 1.5};
    assert_int_equal(stats_p_adjust(bad, 2, STATS_PADJ_BH, q), STATS_EINPUT);
    assert_int_equal(stats_p_adjust(p, 0, STATS_PADJ_BH, q), STATS_EINPUT);
}

/* BH at q = 0.05 on simulated p-values: 80 true nulls (uniform) and 20 alternatives
 * (one-sided p of N(3, 1)), 2,000 replications with MT19937 seed 1. The FDR —
 * the mean of V/max(R, 1) — is m0/m·0.05 = 0.04 in theory; its Monte Carlo SE here is
 * about 0.002, so "under 0.05" has a margin of 5 SEs. Holm's FWER, P(V >= 1) <= 0.05,
 * is checked with 3 binomial SDs. */
static void test_fdr_simulation(void **state)
{
    (void)state;
    enum { M = 100, M0 = 80, REPS = 2000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 1);
    double p[M], q[M], fdp_sum = 0.0, power_sum = 0.0;
    size_t fwe = 0;
    for (int rep = 0; rep < REPS; rep++) {
        for (int i = 0; i < M; i++)
            p[i] = i < M0 ? gsl_rng_uniform_pos(r)
                          : gsl_cdf_ugaussian_Q(3.0 + gsl_ran_gaussian(r, 1.0));
        assert_int_equal(stats_p_adjust(p, M, STATS_PADJ_BH, q), STATS_OK);
        int v = 0, rej = 0;
        for (int i = 0; i < M; i++) {
            if (q[i] <= 0.05) {
                rej++;
                if (i < M0)
                    v++;
            }
        }
        fdp_sum += rej > 0 ? (double)v / rej : 0.0;
        power_sum += (double)(rej - v) / (M - M0);
        assert_int_equal(stats_p_adjust(p, M, STATS_PADJ_HOLM, q), STATS_OK);
        int any = 0;
        for (int i = 0; i < M0; i++)
            if (q[i] <= 0.05)
                any = 1;
        fwe += (size_t)any;
    }
    gsl_rng_free(r);
    double fdr = fdp_sum / REPS;
    print_message("BH: FDR %.4f (theory 0.04), power %.3f; Holm: FWER %.4f\n", fdr,
                  power_sum / REPS, (double)fwe / REPS);
    assert_true(fdr < 0.05);
    assert_true(fdr > 0.02);                 /* it does reject: not trivially 0 */
    assert_true(power_sum / REPS > 0.3);     /* and finds alternatives */
    assert_true((double)fwe <= REPS * 0.05 + 3.0 * sqrt(REPS * 0.05 * 0.95));
}

/* --- combining p-values ------------------------------------------------------------- */

static void test_combine(void **state)
{
    (void)state;
    const double p[] = {0.02, 0.3, 0.11, 0.6};
    struct stats_combined c;
    /* R: -2*sum(log(cp)); pchisq(that, 8, lower.tail = FALSE) */
    assert_int_equal(stats_combine_fisher(p, 4, &c), STATS_OK);
    ASSERT_CLOSE(c.stat, 15.6681926934196);
    ASSERT_CLOSE(c.p, 0.0473831347145312);
    assert_int_equal(c.k, 4);
    /* NaN skipped: the same. */
    const double pn[] = {0.02, NAN, 0.3, 0.11, 0.6};
    assert_int_equal(stats_combine_fisher(pn, 5, &c), STATS_OK);
    ASSERT_CLOSE(c.p, 0.0473831347145312);
    assert_int_equal(c.k, 4);
    /* A p of 0: combined 0. */
    const double p0[] = {0.5, 0.0};
    assert_int_equal(stats_combine_fisher(p0, 2, &c), STATS_OK);
    assert_true(c.p == 0.0 && isinf(c.stat));

    /* R: Z <- sum(cw*qnorm(cp, lower.tail = FALSE))/sqrt(sum(cw^2)), cw = sqrt(n) */
    const double w[] = {sqrt(30.0), sqrt(45.0), sqrt(12.0), sqrt(80.0)};
    assert_int_equal(stats_combine_stouffer(p, w, 4, &c), STATS_OK);
    ASSERT_CLOSE(c.stat, 1.29611091338321);
    ASSERT_CLOSE(c.p, 0.0974686378068121);
    assert_int_equal(stats_combine_stouffer(p, NULL, 4, &c), STATS_OK);
    ASSERT_CLOSE(c.stat, 1.77566522012034);
    ASSERT_CLOSE(c.p, 0.0378940565917184);

    const double none[] = {NAN, NAN};
    assert_int_equal(stats_combine_fisher(none, 2, &c), STATS_EDEGENERATE);
    assert_int_equal(stats_combine_stouffer(none, NULL, 2, &c), STATS_EDEGENERATE);
    const double one[] = {0.2, 1.0};
    assert_int_equal(stats_combine_stouffer(one, NULL, 2, &c), STATS_EINPUT);
    const double bad[] = {0.2, -0.1};
    assert_int_equal(stats_combine_fisher(bad, 2, &c), STATS_EINPUT);
    const double wz[] = {1, 0};
    assert_int_equal(stats_combine_stouffer(p, wz, 2, &c), STATS_EINPUT);
}

static void test_poibin(void **state)
{
    (void)state;
    struct stats_poibin pb;
    /* R: pb_up(16, c(7, 5, 9), c(0.52, 0.61, 0.47)), the recursion in
     * stats_reference.R */
    const double m[] = {7, 5, 9}, pr[] = {0.52, 0.61, 0.47};
    assert_int_equal(stats_poibin_upper(m, pr, 3, 16, 0, &pb), STATS_OK);
    assert_int_equal(pb.exact, 1);
    ASSERT_CLOSE(pb.trials, 21);
    ASSERT_CLOSE(pb.mean, 10.92);
    ASSERT_CLOSE(pb.upper, 0.0202784173903792);
    ASSERT_CLOSE(pb.upper_mid, 0.0130515369805161);

    /* Equal p is binomial: R pbinom(11, 25, 0.3, lower.tail = FALSE) */
    const double me[] = {10, 15}, pe[] = {0.3, 0.3};
    assert_int_equal(stats_poibin_upper(me, pe, 2, 12, 0, &pb), STATS_OK);
    ASSERT_CLOSE(pb.upper, 0.0442464973912824);
    /* Two works: R direct2(9, 7, 0.52, 5, 0.61) = sum over a of
     * dbinom(a, 7, .52) * pbinom(9 - a - 1, 5, .61, lower.tail = FALSE) */
    assert_int_equal(stats_poibin_upper(m, pr, 2, 9, 0, &pb), STATS_OK);
    ASSERT_CLOSE(pb.upper, 0.145050180285015);

    /* Above the cap: normal with continuity correction,
     * R pnorm((16 - 0.5 - mu)/sqrt(v), lower.tail = FALSE), mid without the ½. */
    assert_int_equal(stats_poibin_upper(m, pr, 3, 16, 10, &pb), STATS_OK);
    assert_int_equal(pb.exact, 0);
    ASSERT_CLOSE(pb.var, 5.1786);
    ASSERT_CLOSE(pb.upper, 0.0220779179866035);
    ASSERT_CLOSE(pb.upper_mid, 0.0127967274073619);

    /* Hand: x <= 0 is certain, x > M impossible. */
    assert_int_equal(stats_poibin_upper(m, pr, 3, 0, 0, &pb), STATS_OK);
    assert_true(pb.upper == 1.0);
    assert_int_equal(stats_poibin_upper(m, pr, 3, 22, 0, &pb), STATS_OK);
    assert_true(pb.upper == 0.0 && pb.upper_mid == 0.0);
    /* Hand: M = 21, x = 21: P = Π p_j^m_j. */
    assert_int_equal(stats_poibin_upper(m, pr, 3, 21, 0, &pb), STATS_OK);
    ASSERT_CLOSE(pb.upper, pow(0.52, 7) * pow(0.61, 5) * pow(0.47, 9));

    const double mbad[] = {7, 5.5};
    assert_int_equal(stats_poibin_upper(mbad, pr, 2, 3, 0, &pb), STATS_EINPUT);
    const double pbad[] = {0.5, 1.5};
    assert_int_equal(stats_poibin_upper(me, pbad, 2, 3, 0, &pb), STATS_EINPUT);
    assert_int_equal(stats_poibin_upper(m, pr, 3, 2.5, 0, &pb), STATS_EINPUT);
}

/* The manipulated school of the review: 48 works, 6 or 7 pupils at b-1 or b in each
 * (315 in all), every one of them at b; reference shares 0.50..0.59. */
static void test_spike_pool(void **state)
{
    (void)state;
    struct stats_spike w[48], smooth[48];
    double pw[48];
    for (int j = 0; j < 48; j++) {
        double m = j % 16 < 9 ? 7 : 6, pr = 0.50 + 0.01 * (j % 10);
        w[j] = (struct stats_spike){.x = m, .m = m, .p_ref = pr, .testable = 1};
        /* each work alone: P(X >= m) = p^m */
        pw[j] = pow(pr, m);
        w[j].p = pw[j];
        double xs = floor(m * pr + 0.5);
        smooth[j] = (struct stats_spike){.x = xs, .m = m, .p_ref = pr, .testable = 1};
    }
    /* Work by work it is not visible: R min(1, 48*min(sp^sm)) = 0.375. */
    double p;
    assert_int_equal(stats_spike_combine(w, 48, &p, NULL), STATS_OK);
    ASSERT_CLOSE(p, 0.375);
    /* Pooled it is: R prod(sp^sm) (P(S >= M) = Π p^m), expected sum(sm*sp). */
    struct stats_spike_pooled sp;
    assert_int_equal(stats_spike_pool(w, 48, &sp), STATS_OK);
    assert_int_equal(sp.works, 48);
    assert_int_equal(sp.exact, 1);
    ASSERT_CLOSE(sp.x, 315);
    ASSERT_CLOSE(sp.m, 315);
    ASSERT_CLOSE(sp.expected, 171.18);
    ASSERT_CLOSE(sp.p, 2.43698698763571e-84);
    ASSERT_CLOSE(sp.p_mid, 1.21849349381785e-84);
    /* Fisher over the works' p: R pchisq(-2*sum(log(sp^sm)), 96, lower.tail = FALSE) */
    struct stats_combined c;
    assert_int_equal(stats_combine_fisher(pw, 48, &c), STATS_OK);
    ASSERT_CLOSE(c.p, 2.9230110524278e-36);

    /* A smooth school, x_j = round(m_j p_j): R pb_up(sum(sx), sm, sp) */
    assert_int_equal(stats_spike_pool(smooth, 48, &sp), STATS_OK);
    ASSERT_CLOSE(sp.x, 173);
    ASSERT_CLOSE(sp.p, 0.44120454766894);
    ASSERT_CLOSE(sp.p_mid, 0.419074988901807);

    /* Untestable works are skipped; none testable is degenerate. */
    w[0].testable = 0;
    w[0].p_ref = NAN;
    assert_int_equal(stats_spike_pool(w, 1, &sp), STATS_EDEGENERATE);
    assert_int_equal(sp.works, 0);
    assert_int_equal(stats_spike_pool(w, 48, &sp), STATS_OK);
    assert_int_equal(sp.works, 47);
    assert_int_equal(stats_spike_pool(w, 0, &sp), STATS_EINPUT);
}

/* --- trends with lack-of-fit dispersion --------------------------------------------- */

/* R qsum(f, df) in stats_reference.R: summary()$coefficients["x", ] (slope, se, t, p)
 * and the dispersion φ_raw (floor_phi = 0); then se, t, p with max(1, φ_raw). */
struct qwant {
    double slope, se, t, p, phi_raw, se_floor, t_floor, p_floor;
};

static void check_qtrend(const struct stats_qtrend *raw, const struct stats_qtrend *fl,
                         const struct qwant *w)
{
    ASSERT_CLOSE(raw->slope, w->slope);
    ASSERT_CLOSE(raw->se, w->se);
    ASSERT_CLOSE(raw->t, w->t);
    ASSERT_CLOSE(raw->p, w->p);
    ASSERT_CLOSE(raw->phi_raw, w->phi_raw);
    ASSERT_CLOSE(raw->phi, w->phi_raw);
    ASSERT_CLOSE(fl->slope, w->slope);
    ASSERT_CLOSE(fl->phi_raw, w->phi_raw);
    ASSERT_CLOSE(fl->se, w->se_floor);
    ASSERT_CLOSE(fl->t, w->t_floor);
    ASSERT_CLOSE(fl->p, w->p_floor);
    assert_int_equal(fl->floored, w->phi_raw < 1.0);
}

static const double yr3[] = {2022, 2023, 2024};
static const double yr4[] = {2021, 2022, 2023, 2024};
static const double yr5[] = {2020, 2021, 2022, 2023, 2024};

static void test_qb_trend_logit(void **state)
{
    (void)state;
    struct stats_qtrend raw, fl;
    /* R: glm(cbind(k1, n1 - k1) ~ yr4, family = quasibinomial): φ_raw = 0.298 < 1,
     * so the floored test uses the binomial variance, with t on 2 df. */
    const double k1[] = {30, 38, 45, 52}, n1[] = {100, 105, 98, 110};
    assert_int_equal(stats_qb_trend(k1, n1, yr4, 4, STATS_SCALE_LOGIT, 0, &raw), STATS_OK);
    assert_int_equal(stats_qb_trend(k1, n1, yr4, 4, STATS_SCALE_LOGIT, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.257414174446183, 0.0496137894244289, 5.18835947490511,
                                 0.0351987290309135, 0.297962494399017,
                                 0.0908911500030533, 2.83211483667591,
                                 0.105339942049152});
    ASSERT_CLOSE(raw.intercept, -521.043263865932);
    ASSERT_CLOSE(fl.df, 2);
    assert_int_equal(fl.npoints, 4);
    assert_true(fl.iterations > 0);

    /* Overdispersed years (φ_raw = 5.95): floored and raw agree. */
    const double k2[] = {30, 55, 35, 60}, n2[] = {100, 105, 98, 110};
    assert_int_equal(stats_qb_trend(k2, n2, yr4, 4, STATS_SCALE_LOGIT, 0, &raw), STATS_OK);
    assert_int_equal(stats_qb_trend(k2, n2, yr4, 4, STATS_SCALE_LOGIT, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.235530818365103, 0.218211813209727, 1.07936786235643,
                                 0.393291295625127, 5.94605808856677, 0.218211813209727,
                                 1.07936786235643, 0.393291295625127});

    /* Three years of one school: R calls it p = 0.0067 (φ_raw = 0.00077 from one
     * residual df); floored, t on 1 df gives p = 0.23 — three cohorts do not make a
     * significant trend here. */
    const double k3[] = {20, 28, 35}, n3[] = {70, 72, 69};
    assert_int_equal(stats_qb_trend(k3, n3, yr3, 3, STATS_SCALE_LOGIT, 0, &raw), STATS_OK);
    assert_int_equal(stats_qb_trend(k3, n3, yr3, 3, STATS_SCALE_LOGIT, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.472917174970196, 0.00495077681813009, 95.5238323889576,
                                 0.00666426903062818, 0.000767910592019387,
                                 0.17865617011865, 2.64708000096565, 0.229947768822228});
    assert_int_equal(stats_trend_classify(fl.slope, fl.p, 0.05, STATS_HIGHER_IS_BETTER, 3),
                     STATS_TREND_NO_CHANGE);

    /* A year with k = 0 is fine (no separation): R qsum on k0 = c(0, 3, 5, 9). */
    const double k0[] = {0, 3, 5, 9}, n0[] = {40, 42, 38, 41};
    assert_int_equal(stats_qb_trend(k0, n0, yr4, 4, STATS_SCALE_LOGIT, 0, &raw), STATS_OK);
    assert_int_equal(stats_qb_trend(k0, n0, yr4, 4, STATS_SCALE_LOGIT, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.893792167017479, 0.251685647996105, 3.55122421216211,
                                 0.0709582131695086, 0.739387075669838,
                                 0.292699866118465, 3.0536131733512,
                                 0.0925901729639135});
}

static void test_qb_trend_degenerate(void **state)
{
    (void)state;
    struct stats_qtrend t;
    /* Complete separation: 0/10, 0/12, 10/10 — the logit slope is infinite. */
    const double ks[] = {0, 0, 10}, ns[] = {10, 12, 10};
    assert_int_equal(stats_qb_trend(ks, ns, yr3, 3, STATS_SCALE_LOGIT, 1, &t),
                     STATS_EDEGENERATE);
    assert_int_equal(t.separated, 1);
    assert_true(isnan(t.p));   /* nothing usable, and no small p */
    /* Quasi-complete: 0/10, 5/10, 10/10. */
    const double kq[] = {0, 5, 10}, nq[] = {10, 10, 10};
    assert_int_equal(stats_qb_trend(kq, nq, yr3, 3, STATS_SCALE_LOGIT, 1, &t),
                     STATS_EDEGENERATE);
    assert_int_equal(t.separated, 1);
    /* The same series on the share scale is testable, without NaN: hand, shares
     * 0, 0.5, 1 on a line (slope 0.5), p̄ = ½, so the Cochran–Armitage-type SE is
     * sqrt(¼/Σn(x − x̄)²) = sqrt(¼/20), t = 0.5/0.1118 = 4.472 with 1 df. */
    assert_int_equal(stats_qb_trend(kq, nq, yr3, 3, STATS_SCALE_LINEAR, 1, &t), STATS_OK);
    ASSERT_CLOSE(t.slope, 0.5);
    ASSERT_CLOSE(t.se, sqrt(0.25 / 20.0));
    assert_int_equal(t.exact_fit, 1);
    assert_true(isfinite(t.p) && t.p > 0.05);
    /* ... and on R's unfloored scale an exact fit is no answer at all. */
    assert_int_equal(stats_qb_trend(kq, nq, yr3, 3, STATS_SCALE_LINEAR, 0, &t),
                     STATS_EDEGENERATE);
    assert_int_equal(t.exact_fit, 1);
    /* Nothing ever happens: all k = 0 (or all k = n). */
    const double kz[] = {0, 0, 0}, kf[] = {10, 12, 10};
    assert_int_equal(stats_qb_trend(kz, ns, yr3, 3, STATS_SCALE_LOGIT, 1, &t),
                     STATS_EDEGENERATE);
    assert_int_equal(t.separated, 0);
    assert_int_equal(stats_qb_trend(kf, ns, yr3, 3, STATS_SCALE_LINEAR, 1, &t),
                     STATS_EDEGENERATE);
    /* g = 2: no lack-of-fit df. */
    assert_int_equal(stats_qb_trend(kq, nq, yr3, 2, STATS_SCALE_LOGIT, 1, &t),
                     STATS_EINPUT);
    /* One year three times. */
    const double same[] = {2024, 2024, 2024};
    assert_int_equal(stats_qb_trend(kq, nq, same, 3, STATS_SCALE_LINEAR, 1, &t),
                     STATS_EDEGENERATE);
    const double kbad[] = {0, 11, 10};
    assert_int_equal(stats_qb_trend(kbad, nq, yr3, 3, STATS_SCALE_LOGIT, 1, &t),
                     STATS_EINPUT);
    const double nz[] = {10, 0, 10};
    assert_int_equal(stats_qb_trend(kz, nz, yr3, 3, STATS_SCALE_LOGIT, 1, &t),
                     STATS_EINPUT);
}

static void test_qb_trend_linear(void **state)
{
    (void)state;
    struct stats_qtrend raw, fl;
    /* R: lin(k, n, x) = lm(I(k/n) ~ x, weights = n/(pb*(1 - pb))), pb = Σk/Σn */
    const double k1[] = {30, 38, 45, 52}, n1[] = {100, 105, 98, 110};
    assert_int_equal(stats_qb_trend(k1, n1, yr4, 4, STATS_SCALE_LINEAR, 0, &raw), STATS_OK);
    assert_int_equal(stats_qb_trend(k1, n1, yr4, 4, STATS_SCALE_LINEAR, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.061013103671806, 0.011179371449048, 5.45765063356956,
                                 0.0319715297797714, 0.27242228269515,
                                 0.0214188462095546, 2.84857097692727,
                                 0.104309610937141});
    ASSERT_CLOSE(raw.intercept, -123.001185349817);
    assert_int_equal(raw.iterations, 0);
    /* With φ = 1 the statistic is the Cochran–Armitage z: R prop.trend.test(k1, n1,
     * yr4)$statistic = z² (the p differs: t on 2 df instead of the normal). */
    ASSERT_CLOSE(fl.t * fl.t, 8.1143566105924);
    struct stats_catrend ca;
    assert_int_equal(stats_cochran_armitage(k1, n1, yr4, 4, &ca), STATS_OK);
    ASSERT_CLOSE(fl.t, ca.z);

    const double k2[] = {30, 55, 35, 60}, n2[] = {100, 105, 98, 110};
    assert_int_equal(stats_qb_trend(k2, n2, yr4, 4, STATS_SCALE_LINEAR, 0, &raw), STATS_OK);
    assert_int_equal(stats_qb_trend(k2, n2, yr4, 4, STATS_SCALE_LINEAR, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.0573459276751491, 0.0523550052047398, 1.0953284686133,
                                 0.387668321319268, 5.82950216615251,
                                 0.0523550052047398, 1.0953284686133,
                                 0.387668321319268});
}

static void test_qp_trend(void **state)
{
    (void)state;
    struct stats_qtrend raw, fl;
    /* R: glm(kc ~ yr5 + offset(log(ec)), family = quasipoisson) */
    const double kc[] = {12, 18, 15, 25, 30}, ec[] = {800, 820, 790, 810, 805};
    assert_int_equal(stats_qp_trend(kc, ec, yr5, 5, 0, &raw), STATS_OK);
    assert_int_equal(stats_qp_trend(kc, ec, yr5, 5, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.219375368819865, 0.045489244090552, 4.82257670369662,
                                 0.0169896534377387, 0.389383097354563,
                                 0.0728987652538708, 3.00931528889259,
                                 0.0572428894842674});
    ASSERT_CLOSE(raw.intercept, -447.319750155248);
    ASSERT_CLOSE(fl.df, 3);

    /* A plain count (exposure 1): R glm(kp ~ yr4, family = quasipoisson) */
    const double kp[] = {3, 7, 4, 9}, one[] = {1, 1, 1, 1};
    assert_int_equal(stats_qp_trend(kp, one, yr4, 4, 0, &raw), STATS_OK);
    assert_int_equal(stats_qp_trend(kp, one, yr4, 4, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){0.266065691999993, 0.193414935123611, 1.37562123540228,
                                 0.302741473897481, 1.01360984330534, 0.193414935123611,
                                 1.37562123540228, 0.302741473897481});

    /* Events only in the last year: the log-rate slope is infinite. */
    const double kl[] = {0, 0, 5};
    assert_int_equal(stats_qp_trend(kl, one, yr3, 3, 1, &fl), STATS_EDEGENERATE);
    assert_int_equal(fl.separated, 1);
    /* Zero in the middle year is fine. */
    const double km[] = {4, 0, 5};
    assert_int_equal(stats_qp_trend(km, one, yr3, 3, 1, &fl), STATS_OK);
    assert_true(isfinite(fl.p));
    const double kz[] = {0, 0, 0};
    assert_int_equal(stats_qp_trend(kz, one, yr3, 3, 1, &fl), STATS_EDEGENERATE);
    assert_int_equal(fl.separated, 0);
    const double e0[] = {1, 0, 1};
    assert_int_equal(stats_qp_trend(km, e0, yr3, 3, 1, &fl), STATS_EINPUT);
    assert_int_equal(stats_qp_trend(km, one, yr3, 2, 1, &fl), STATS_EINPUT);
}

static void test_qmean_trend(void **state)
{
    (void)state;
    struct stats_qtrend raw, fl;
    /* R: lm(ym ~ yr4, weights = 1/sem^2) */
    const double y[] = {61.2, 59.8, 57.1, 58.0}, se[] = {1.8, 1.6, 1.9, 1.7};
    assert_int_equal(stats_qmean_trend(y, se, yr4, 4, 0, &raw), STATS_OK);
    assert_int_equal(stats_qmean_trend(y, se, yr4, 4, 1, &fl), STATS_OK);
    check_qtrend(&raw, &fl,
                 &(struct qwant){-1.19329956380257, 0.476264571476122, -2.50553922183229,
                                 0.129145377474859, 0.371974931319495, 0.78089283881473,
                                 -1.52812204759594, 0.266068332455726});
    ASSERT_CLOSE(raw.intercept, 2472.53782775355);
}

/* The review's context factor, 10.1 -> 10.2 -> 10.3: the old 1-df test of the
 * weighted lm gives p = 1.2e-13 (R summary(lm(yc ~ yr3, weights = rep(500, 3))),
 * a rounding residual taken for precision). None of the new tests calls it
 * significant. */
static void test_context_factor_not_significant(void **state)
{
    (void)state;
    const double yc[] = {10.1, 10.2, 10.3};
    struct stats_qtrend t;
    /* A context factor has no sampling variance: no sampling model to test. */
    const double se0[] = {0, 0, 0};
    assert_int_equal(stats_qmean_trend(yc, se0, yr3, 3, 1, &t), STATS_EDEGENERATE);
    assert_int_equal(stats_qmean_trend(yc, se0, yr3, 3, 0, &t), STATS_EDEGENERATE);
    /* Read as a share of 500 pupils (in %): R, φ = 1 (the line fits exactly):
     * slope, se = sqrt(1/Σw(x − x̄)²), t, 2*pt(-|t|, 1) */
    double sec[3];
    for (int i = 0; i < 3; i++)
        sec[i] = 100.0 * sqrt(yc[i] / 100.0 * (1.0 - yc[i] / 100.0) / 500.0);
    assert_int_equal(stats_qmean_trend(yc, sec, yr3, 3, 1, &t), STATS_OK);
    assert_int_equal(t.exact_fit, 1);
    assert_int_equal(t.floored, 1);
    ASSERT_CLOSE(t.slope, 0.100000000003592);
    ASSERT_CLOSE(t.se, 0.95704072095098);
    ASSERT_CLOSE(t.p, 0.933720899476511);
    /* R's unfloored residual variance of an exact fit is no evidence: degenerate. */
    assert_int_equal(stats_qmean_trend(yc, sec, yr3, 3, 0, &t), STATS_EDEGENERATE);
    assert_int_equal(t.exact_fit, 1);
    /* As counts 101, 102, 103 of 1000 on the logit scale, floored:
     * R qsum(glm(cbind(kcf, ncf - kcf) ~ yr3, family = quasibinomial), 1) */
    const double kcf[] = {101, 102, 103}, ncf[] = {1000, 1000, 1000};
    assert_int_equal(stats_qb_trend(kcf, ncf, yr3, 3, STATS_SCALE_LOGIT, 1, &t), STATS_OK);
    ASSERT_CLOSE(t.slope, 0.0109176844687848);
    ASSERT_CLOSE(t.phi_raw, 1.37427969136343e-07);
    ASSERT_CLOSE(t.se, 0.0738851770878249);
    ASSERT_CLOSE(t.p, 0.90660535721052);
    assert_int_equal(stats_trend_classify(t.slope, t.p, 0.05, STATS_LOWER_IS_BETTER, 3),
                     STATS_TREND_NO_CHANGE);
}

/* --- empirical Bayes: the cap that broke GSL, and the floor ------------------------- */

static void test_eb_cap_no_nan(void **state)
{
    (void)state;
    /* Four units of 500/2500: S = 0, ρ < 0, α+β = 100·N = 10⁶, α = 2·10⁵, β = 8·10⁵.
     * gsl_cdf_beta_Qinv(0.025, 200500, 802000) is NaN (this returned STATS_ENUMERIC
     * and the cell lost its EB figures). R: qbeta(c(.025, .975), 500 + 2e5, 2000 + 8e5) */
    const double k[] = {500, 500, 500, 500}, n[] = {2500, 2500, 2500, 2500};
    double m[4], lo[4], hi[4];
    struct stats_eb_prior pr;
    assert_int_equal(stats_eb_betabinom(k, n, 4, STATS_LEVEL_95, &pr, m, lo, hi), STATS_OK);
    ASSERT_CLOSE(pr.alpha, 2e5);
    ASSERT_CLOSE(pr.beta, 8e5);
    assert_int_equal(pr.approx, 0);
    for (int i = 0; i < 4; i++) {
        ASSERT_CLOSE(m[i], 0.2);
        ASSERT_CLOSE(lo[i], 0.19921756013807);
        ASSERT_CLOSE(hi[i], 0.200783573610969);
    }

    /* Two units of 5000/10000: α = β = 10⁶, where gsl_cdf_beta_Pinv does not return.
     * R: qbeta(c(.025, .975), 5000 + 1e6, 5000 + 1e6) */
    const double k2[] = {5000, 5000}, n2[] = {10000, 10000};
    assert_int_equal(stats_eb_betabinom(k2, n2, 2, STATS_LEVEL_95, &pr, m, lo, hi),
                     STATS_OK);
    ASSERT_CLOSE(lo[0], 0.499308774242422);
    ASSERT_CLOSE(hi[0], 0.500691225757578);

    /* Two units of 250000/500000, a 20% interval: α = β = 5·10⁷ + 250000, so close to
     * the mean that GSL's beta CDF is NaN: the Cornish–Fisher approximation, counted.
     * R: qbeta(c(0.4, 0.6), 5e7 + 250000, 5e7 + 250000); the approximation is held to
     * the same 1e-9 here (γ₁ = 0 and σ = 5e-5: its error is far below). */
    const double k3[] = {250000, 250000}, n3[] = {500000, 500000};
    assert_int_equal(stats_eb_betabinom(k3, n3, 2, 0.2, &pr, m, lo, hi), STATS_OK);
    assert_int_equal(pr.approx, 2);
    ASSERT_CLOSE(lo[0], 0.499987364194938);
    ASSERT_CLOSE(hi[0], 0.500012635805062);
}

static void test_eb_floor(void **state)
{
    (void)state;
    double m[4], lo[4], hi[4], m0[4], lo0[4], hi0[4];
    struct stats_eb_prior pr;
    /* R: eb_floor(c(10, 10, 10), rep(50, 3)): ρ = -1/49 < 1e-4, α+β = 9999,
     * α = 1999.8, β = 7999.2; qbeta(c(.025, .975), 10 + α, 40 + β). */
    const double kf[] = {10, 10, 10}, nf[] = {50, 50, 50};
    assert_int_equal(stats_eb_betabinom_floor(kf, nf, 3, STATS_LEVEL_95, STATS_EB_RHO_MIN,
                                              &pr, m, lo, hi),
                     STATS_OK);
    ASSERT_CLOSE(pr.rho, -0.0204081632653061);
    ASSERT_CLOSE(pr.alpha, 1999.8);
    ASSERT_CLOSE(pr.beta, 7999.2);
    assert_int_equal(pr.overdispersed, 0);
    ASSERT_CLOSE(m[0], 0.2);
    ASSERT_CLOSE(lo[0], 0.192236539336685);
    ASSERT_CLOSE(hi[0], 0.207876563644252);

    /* The 4 × 500/2500 case with the floor: R eb_floor(rep(500, 4), rep(2500, 4)) */
    const double k4[] = {500, 500, 500, 500}, n4[] = {2500, 2500, 2500, 2500};
    assert_int_equal(stats_eb_betabinom_floor(k4, n4, 4, STATS_LEVEL_95, STATS_EB_RHO_MIN,
                                              &pr, m, lo, hi),
                     STATS_OK);
    ASSERT_CLOSE(lo[0], 0.193033515047904);
    ASSERT_CLOSE(hi[0], 0.20705741815845);

    /* Real overdispersion (ρ = 0.24 far above the floor): the same as without it. */
    const double k[] = {2, 6, 10, 14}, n[] = {20, 20, 20, 20};
    assert_int_equal(stats_eb_betabinom_floor(k, n, 4, STATS_LEVEL_95, STATS_EB_RHO_MIN,
                                              &pr, m, lo, hi),
                     STATS_OK);
    assert_int_equal(pr.overdispersed, 1);
    ASSERT_CLOSE(pr.alpha, 52.0 / 41.0);
    assert_int_equal(stats_eb_betabinom(k, n, 4, STATS_LEVEL_95, NULL, m0, lo0, hi0),
                     STATS_OK);
    for (int i = 0; i < 4; i++) {
        ASSERT_CLOSE(m[i], m0[i]);
        ASSERT_CLOSE(lo[i], lo0[i]);
        ASSERT_CLOSE(hi[i], hi0[i]);
    }
    assert_int_equal(stats_eb_betabinom_floor(k, n, 4, STATS_LEVEL_95, 0.0, &pr, m, lo, hi),
                     STATS_EINPUT);
    assert_int_equal(stats_eb_betabinom_floor(k, n, 4, STATS_LEVEL_95, 0.7, &pr, m, lo, hi),
                     STATS_EINPUT);
}

/* --- OLS inference ------------------------------------------------------------------ */

static void test_ols_inference(void **state)
{
    (void)state;
    /* The data of test_ols. R: g <- lm(y ~ x1 + x2); summary(g)$coefficients,
     * summary(g)$sigma, rstudent(g), hatvalues(g) */
    const double x[] = {0.10, 0.02, 0.25, 0.10, 0.05, 0.01, 0.40, 0.20,
                        0.30, 0.05, 0.15, 0.08, 0.20, 0.03, 0.35, 0.15};
    const double y[] = {72.0, 64.5, 75.1, 58.2, 66.9, 69.3, 70.8, 57.4};
    const double want_se[] = {1.36352360733703, 9.71583505382578, 17.7105170904226};
    const double want_t[] = {56.0894234521349, -2.5842308563752, -2.86197306617172};
    const double want_p[] = {3.40738384402383e-08, 0.0491793003786261, 0.0353247885186801};
    const double want_rstudent[] = {-0.63540208412723, -0.37540938920779,
                                    0.277330517645366, 2.64300563756072,
                                    0.46548761280041,  0.429909038869577,
                                    0.580031596100238, -3.39700211610534};
    const double want_h[] = {0.274127589967285, 0.138904034896401, 0.432251908396946,
                             0.584923664122137, 0.662350054525627, 0.318838604143948,
                             0.299209378407852, 0.289394765539804};
    double coef[3], se[3], t[3], p[3], rs[8], h[8];
    struct stats_ols_fit fit;
    assert_int_equal(stats_ols_inference(y, x, 8, 2, coef, se, t, p, rs, h, &fit), STATS_OK);
    ASSERT_CLOSE(coef[0], 76.4792529989094);
    for (int j = 0; j < 3; j++) {
        ASSERT_CLOSE(se[j], want_se[j]);
        ASSERT_CLOSE(t[j], want_t[j]);
        ASSERT_CLOSE(p[j], want_p[j]);
    }
    for (int i = 0; i < 8; i++) {
        ASSERT_CLOSE(rs[i], want_rstudent[i]);
        ASSERT_CLOSE(h[i], want_h[i]);
    }
    ASSERT_CLOSE(fit.sigma, 1.6550886470706);
    ASSERT_CLOSE(fit.r2, 0.952075466161725);
    ASSERT_CLOSE(fit.df, 5);
    /* The last school is beyond 3 once it no longer inflates s itself (rstandard
     * -1.93, test_ols): that is what leave-one-out is for. */
    assert_true(rs[7] < -3.0);
    /* Optional outputs. */
    assert_int_equal(stats_ols_inference(y, x, 8, 2, coef, NULL, NULL, NULL, NULL, NULL,
                                         NULL),
                     STATS_OK);

    /* Hand: m = p + 2 (1 residual df) leaves none without a unit: rstudent is NaN.
     * y = 1, 2, 4 against x = 0, 1, 2: one residual df. */
    const double x3[] = {0, 1, 2}, y3[] = {1, 2, 4};
    double c3[2], rs3[3];
    assert_int_equal(stats_ols_inference(y3, x3, 3, 1, c3, NULL, NULL, NULL, rs3, NULL,
                                         NULL),
                     STATS_OK);
    for (int i = 0; i < 3; i++)
        assert_true(isnan(rs3[i]));
    assert_int_equal(stats_ols_inference(y3, x3, 2, 1, c3, NULL, NULL, NULL, rs3, NULL,
                                         NULL),
                     STATS_EINPUT);
}

/* --- ICC, design effect, cluster vs rest -------------------------------------------- */

static const double icc_k[] = {12, 30, 8, 45, 20, 5};
static const double icc_n[] = {40, 60, 35, 80, 50, 30};

static void test_icc(void **state)
{
    (void)state;
    struct stats_icc r;
    /* R: icc(ik, inn) — the formulas; MSB and MSW equal
     * anova(lm(yy ~ gg))[["Mean Sq"]] of the pupils' 0/1 outcomes on school. */
    assert_int_equal(stats_icc_binary(icc_k, icc_n, 6, &r), STATS_OK);
    ASSERT_CLOSE(r.icc, 0.0785072927488747);
    ASSERT_CLOSE(r.msb, 1.15216908797417);
    ASSERT_CLOSE(r.msw, 0.226386142692371);
    ASSERT_CLOSE(r.n0, 48);
    ASSERT_CLOSE(r.mbar, 49.1666666666667);
    ASSERT_CLOSE(r.mbar_w, 55);
    ASSERT_CLOSE(r.deff, 5.23939380843923);
    ASSERT_CLOSE(r.deff_mean, 4.78143460073746);
    ASSERT_CLOSE(r.pooled, 120.0 / 295.0);
    assert_int_equal(r.units, 6);

    /* Hand: identical shares 10/50 in three schools: MSB = 0, ICC = −MSW/((n₀−1)MSW)
     * = −1/49, design effect 1 (the ICC is floored at 0 there). */
    const double k3[] = {10, 10, 10}, n3[] = {50, 50, 50};
    assert_int_equal(stats_icc_binary(k3, n3, 3, &r), STATS_OK);
    ASSERT_CLOSE(r.icc, -1.0 / 49.0);
    ASSERT_CLOSE(r.deff, 1.0);

    const double kz[] = {0, 0, 0};
    assert_int_equal(stats_icc_binary(kz, n3, 3, &r), STATS_EDEGENERATE);
    const double ones[] = {1, 1, 1}, k01[] = {0, 1, 1};
    assert_int_equal(stats_icc_binary(k01, ones, 3, &r), STATS_EINPUT);   /* N = I */
    assert_int_equal(stats_icc_binary(k3, n3, 1, &r), STATS_EINPUT);
}

static void test_group_vs_rest(void **state)
{
    (void)state;
    double y[6];
    for (int i = 0; i < 6; i++)
        y[i] = icc_k[i] / icc_n[i];
    const int g[] = {1, 1, 0, 0, 0, 0};
    struct stats_group_test r;
    /* R: summary(lm(I(ik/inn) ~ grp, weights = inn))$coefficients["grp", ]; the group
     * values are the pooled shares 42/100 and 78/195. */
    assert_int_equal(stats_group_vs_rest(y, icc_n, g, 6, &r), STATS_OK);
    ASSERT_CLOSE(r.value_group, 0.42);
    ASSERT_CLOSE(r.value_rest, 0.4);
    ASSERT_CLOSE(r.diff, 0.0200000000000001);
    ASSERT_CLOSE(r.se, 0.147267827041628);
    ASSERT_CLOSE(r.t, 0.135806987865358);
    ASSERT_CLOSE(r.p, 0.898534242589406);
    ASSERT_CLOSE(r.df, 4);
    assert_int_equal(r.units_group, 2);
    assert_int_equal(r.units_rest, 4);

    /* A school without pupils (w = 0, value missing) is left out. */
    double y7[7], w7[7];
    int g7[7];
    for (int i = 0; i < 6; i++) {
        y7[i] = y[i];
        w7[i] = icc_n[i];
        g7[i] = g[i];
    }
    y7[6] = NAN;
    w7[6] = 0;
    g7[6] = 1;
    assert_int_equal(stats_group_vs_rest(y7, w7, g7, 7, &r), STATS_OK);
    ASSERT_CLOSE(r.p, 0.898534242589406);

    const int all[] = {1, 1, 1, 1, 1, 1};
    assert_int_equal(stats_group_vs_rest(y, icc_n, all, 6, &r), STATS_EINPUT);
    assert_int_equal(stats_group_vs_rest(y, icc_n, g, 2, &r), STATS_EINPUT);
    const double flat[] = {0.4, 0.4, 0.3, 0.3, 0.3, 0.3};
    assert_int_equal(stats_group_vs_rest(flat, icc_n, g, 6, &r), STATS_EDEGENERATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rc_names),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_wilson_errors),
        cmocka_unit_test(test_poisson_exact),
        cmocka_unit_test(test_t_interval),
        cmocka_unit_test(test_groups_mean),
        cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_wls_trend),
        cmocka_unit_test(test_cochran_armitage),
        cmocka_unit_test(test_trend_classify),
        cmocka_unit_test(test_z_scores),
        cmocka_unit_test(test_funnel_exact),
        cmocka_unit_test(test_funnel_normal_and_mean),
        cmocka_unit_test(test_funnel_classify),
        cmocka_unit_test(test_percentile_rank),
        cmocka_unit_test(test_eb_betabinom),
        cmocka_unit_test(test_ols),
        cmocka_unit_test(test_spike_vs_binom_test),
        cmocka_unit_test(test_spike_degenerate),
        cmocka_unit_test(test_spike_planted_vs_smooth),
        cmocka_unit_test(test_spike_combine),
        cmocka_unit_test(test_binom_tail),
        cmocka_unit_test(test_pois_tail),
        cmocka_unit_test(test_classify_p),
        cmocka_unit_test(test_share_without),
        cmocka_unit_test(test_classify_null_simulation),
        cmocka_unit_test(test_overdispersion),
        cmocka_unit_test(test_od_simulation),
        cmocka_unit_test(test_p_adjust),
        cmocka_unit_test(test_fdr_simulation),
        cmocka_unit_test(test_combine),
        cmocka_unit_test(test_poibin),
        cmocka_unit_test(test_spike_pool),
        cmocka_unit_test(test_qb_trend_logit),
        cmocka_unit_test(test_qb_trend_degenerate),
        cmocka_unit_test(test_qb_trend_linear),
        cmocka_unit_test(test_qp_trend),
        cmocka_unit_test(test_qmean_trend),
        cmocka_unit_test(test_context_factor_not_significant),
        cmocka_unit_test(test_eb_cap_no_nan),
        cmocka_unit_test(test_eb_floor),
        cmocka_unit_test(test_ols_inference),
        cmocka_unit_test(test_icc),
        cmocka_unit_test(test_group_vs_rest),
    };
    return cmocka_run_group_tests_name("stats", tests, setup, NULL);
}
