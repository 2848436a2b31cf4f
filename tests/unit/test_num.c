/*
 * test_num.c — num_roundtrip (engine/util.c): machine output that reads back as the
 * same double.
 *
 * The expected texts are the shortest round-trip forms (the same as Python's repr()
 * of these doubles, with the exponent written without '+' and leading zeros). The
 * locale case needs a locale with a decimal comma; when none is installed it is
 * skipped (one can be made for a manual run:
 *   localedef -i ru_RU -f UTF-8 /tmp/loc/ru_RU.UTF-8 && LOCPATH=/tmp/loc build/tests/test_num).
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "soko.h"

static void check(double x, const char *want)
{
    char buf[32];
    assert_ptr_equal(num_roundtrip(x, buf), buf);
    assert_string_equal(buf, want);
}

static void test_known(void **state)
{
    (void)state;
    check(0.1, "0.1");
    check(1.0 / 3.0, "0.3333333333333333");
    check(2.0 / 3.0, "0.6666666666666666");
    check(0.1 + 0.2, "0.30000000000000004");   /* needs all 17 digits */
    check(1e-300, "1e-300");
    check(5e-324, "5e-324");                   /* the smallest subnormal */
    check(1e-310, "1e-310");                   /* a subnormal */
    check(DBL_MIN, "2.2250738585072014e-308");
    check(DBL_MAX, "1.7976931348623157e308");
    check(-0.0, "-0");
    check(0.0, "0");
    check(1e-5, "1e-5");
    check(100.0, "100");
    check(1e21, "1e21");
    check(-1.5, "-1.5");
    check(123456789.125, "123456789.125");
    check(0.952075466161725, "0.952075466161725");
    check(NAN, "nan");
    check(INFINITY, "inf");
    check(-INFINITY, "-inf");
}

/* Bit patterns from a fixed xorshift64*: every finite one must read back to the same
 * bits, in at most 24 characters, without '+' or ','. */
static void test_random_bits(void **state)
{
    (void)state;
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    char buf[32];
    size_t checked = 0;
    for (int i = 0; i < 200000; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        uint64_t bits = s * 2685821657736338717ULL;
        double x;
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x))
            continue;
        num_roundtrip(x, buf);
        double back = strtod(buf, NULL);
        assert_memory_equal(&back, &x, sizeof x);
        assert_true(strlen(buf) <= 24);
        assert_null(strchr(buf, '+'));
        assert_null(strchr(buf, ','));
        checked++;
    }
    assert_true(checked > 190000);
}

/* The reference: the shortest of %.15g, %.16g, %.17g that reads back, in the C form
 * (what num_roundtrip did with printf and strtod before its exact fast path). */
static void ref_text(double x, char out[32])
{
    int prec = 15;
    for (; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, x);
        double back = strtod(out, NULL);
        if (memcmp(&back, &x, sizeof x) == 0)
            break;
    }
    char *e = strchr(out, 'e');
    if (e) {
        char *d = e + 1, *from = d;
        if (*from == '+')
            from++;
        else if (*from == '-') {
            d++;
            from++;
        }
        while (from[0] == '0' && from[1] != '\0')
            from++;
        memmove(d, from, strlen(from) + 1);
    }
}

static uint64_t xs_state = 0x243F6A8885A308D3ULL;
static uint64_t xs(void)
{
    xs_state ^= xs_state >> 12;
    xs_state ^= xs_state << 25;
    xs_state ^= xs_state >> 27;
    return xs_state * 2685821657736338717ULL;
}

static void same_as_ref(double x, size_t *n)
{
    char got[32], want[32];
    num_roundtrip(x, got);
    ref_text(x, want);
    if (strcmp(got, want) != 0)
        fail_msg("%.17g (%a): got %s, expected %s", x, x, got, want);
    (*n)++;
}

/* The exact fast path (1e-6 <= |x| < 1e15) writes the same text as printf and strtod:
 * the shares, means and intervals of results (100·k/n, Wilson bounds), integers,
 * neighbours of powers of ten and of halves (ties), log-uniform values and random
 * bits of every exponent around the range. */
static void test_same_as_printf(void **state)
{
    (void)state;
    size_t n = 0;
    for (int d = 1; d <= 400; d++)
        for (int k = 0; k <= d; k++) {
            same_as_ref(100.0 * k / d, &n);
            same_as_ref((double)k / d, &n);
        }
    for (int j = -8; j <= 16; j++) {
        double p = pow(10, j);
        double a = p, b = p;
        for (int i = 0; i < 40; i++) {
            same_as_ref(a, &n);
            same_as_ref(-b, &n);
            a = nextafter(a, INFINITY);
            b = nextafter(b, 0);
        }
    }
    for (int i = 0; i < 200000; i++) {
        uint64_t r = xs();
        /* log-uniform over 1e-8 .. 1e17 */
        double x = pow(10, -8 + 25 * ((double)(r >> 11) / 9007199254740992.0));
        same_as_ref(x, &n);
        /* halves and quarters of large integers: ties at the 15th-17th digit */
        same_as_ref((double)(xs() % 4000000000000000ULL) / 4.0, &n);
        same_as_ref((double)(xs() % 1000000000000000ULL), &n);
        /* random mantissa, exponent around the fast range */
        uint64_t bits = (xs() & ((1ULL << 52) - 1)) | ((uint64_t)(1023 - 24 + (int)(xs() % 80)) << 52);
        memcpy(&x, &bits, sizeof x);
        same_as_ref(x, &n);
        /* a Wilson bound as the engine computes one */
        double nn = 1 + (double)(xs() % 5000), kk = (double)(xs() % ((uint64_t)nn + 1));
        double z = 1.959963984540054, ph = kk / nn, z2 = z * z;
        double c = (ph + z2 / (2 * nn)) / (1 + z2 / nn);
        double h = z * sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
        same_as_ref(100.0 * (c - h), &n);
        same_as_ref(100.0 * (c + h), &n);
    }
    assert_true(n > 1000000);
}

/* Under a locale with a decimal comma the text still has a point. */
static void test_locale(void **state)
{
    (void)state;
    static const char *const names[] = {"ru_RU.UTF-8", "ru_RU.utf8", "de_DE.UTF-8",
                                        "de_DE.utf8", "fr_FR.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    if (!got || strcmp(localeconv()->decimal_point, ",") != 0) {
        setlocale(LC_NUMERIC, "C");
        skip();
    }
    check(0.1, "0.1");
    check(1.0 / 3.0, "0.3333333333333333");
    check(-2.5e-7, "-2.5e-7");
    char buf[32];
    num_roundtrip(0.30000000000000004, buf);
    setlocale(LC_NUMERIC, "C");
    assert_true(strtod(buf, NULL) == 0.1 + 0.2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_random_bits),
        cmocka_unit_test(test_same_as_printf),
        cmocka_unit_test(test_locale),
    };
    return cmocka_run_group_tests_name("num", tests, NULL, NULL);
}
