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
        cmocka_unit_test(test_locale),
    };
    return cmocka_run_group_tests_name("num", tests, NULL, NULL);
}
