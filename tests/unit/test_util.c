/*
 * test_util.c — engine/util.c helpers of soko.h: num_roundtrip (the shortest decimal
 * that reads back as the same double), utf8_width (terminal columns: combining marks,
 * wide characters, controls) and utf8_edit_distance (for "did you mean" lists).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "soko.h"

/* x comes back exactly, from the first of %.15g, %.16g, %.17g that brings it back. */
static void roundtrips(double x)
{
    char buf[32], alt[40];
    num_roundtrip(x, buf);
    assert_true(strtod(buf, NULL) == x);
    int prec = 15;
    for (; prec <= 17; prec++) {
        snprintf(alt, sizeof alt, "%.*g", prec, x);
        if (strcmp(alt, "-0") == 0) strcpy(alt, "0");
        if (strcmp(alt, buf) == 0) break;
    }
    assert_true(prec <= 17);
    if (prec > 15) {
        snprintf(alt, sizeof alt, "%.*g", prec - 1, x);
        assert_true(strtod(alt, NULL) != x);
    }
}

static void test_roundtrip_shortest(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(num_roundtrip(0.1, buf), "0.1");
    assert_string_equal(num_roundtrip(12.5, buf), "12.5");
    assert_string_equal(num_roundtrip(100, buf), "100");
    assert_string_equal(num_roundtrip(-0.0, buf), "0");
    assert_string_equal(num_roundtrip(1.0 / 3.0, buf), "0.3333333333333333");
    assert_string_equal(num_roundtrip(2.0 / 3.0, buf), "0.6666666666666666");
    /* needs all 17 digits */
    assert_string_equal(num_roundtrip(0.1 + 0.2, buf), "0.30000000000000004");
    /* small values are not rounded to 0 (the defect: %.4f printed z = 0.00004 as 0) */
    assert_string_equal(num_roundtrip(4.2e-05, buf), "4.2e-05");
    assert_string_equal(num_roundtrip(-1.5e-300, buf), "-1.5e-300");
    assert_string_equal(num_roundtrip(DBL_MAX, buf), "1.7976931348623157e+308");
    /* the smallest subnormal: 15 digits already read back */
    assert_string_equal(num_roundtrip(5e-324, buf), "4.94065645841247e-324");
}

static void test_roundtrip_many(void **state)
{
    (void)state;
    /* shares as soko computes them, and awkward doubles */
    for (int n = 1; n <= 400; n++)
        for (int k = 0; k <= n; k += 7) roundtrips(100.0 * k / n);
    unsigned long long seed = 42;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double x;
        uint64_t bits = seed;
        memcpy(&x, &bits, sizeof x);
        if (isfinite(x)) roundtrips(x);
    }
}

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(utf8_width(""), 0);
    assert_int_equal(utf8_width("abc"), 3);
    assert_int_equal(utf8_width("Лицей № 344"), 11);
    /* a combining acute accent takes no column: «Ёлка» written as Е + U+0308 */
    assert_int_equal(utf8_width("Е\xCC\x88лка"), 4);
    assert_int_equal(utf8_width("о\xCC\x81"), 1);
    /* wide: CJK and emoji take two */
    assert_int_equal(utf8_width("\xE4\xB8\xAD\xE6\x96\x87"), 4);
    assert_int_equal(utf8_width("x\xF0\x9F\x98\x80"), 3);
    /* controls and zero-width characters take none */
    assert_int_equal(utf8_width("a\tb\x1b"), 2);
    assert_int_equal(utf8_width("a\xE2\x80\x8B" "b"), 2);
    /* an invalid byte counts as one column, and the width never runs past the end */
    assert_int_equal(utf8_width("a\xD0"), 2);
    assert_int_equal(utf8_width("\xF0\x9F"), 2);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(utf8_edit_distance("", ""), 0);
    assert_int_equal(utf8_edit_distance("344", "344"), 0);
    assert_int_equal(utf8_edit_distance("344", "34"), 1);
    assert_int_equal(utf8_edit_distance("344", "343"), 1);
    assert_int_equal(utf8_edit_distance("kitten", "sitting"), 3);
    /* Cyrillic counts by letters, not bytes, and case is folded */
    assert_int_equal(utf8_edit_distance("КЛАСТЕР", "кластер"), 0);
    assert_int_equal(utf8_edit_distance("кластер", "кластеры"), 1);
    assert_int_equal(utf8_edit_distance("nevsky_stem", "nevsky_ste"), 1);
    assert_int_equal(utf8_edit_distance("abc", ""), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_shortest),
        cmocka_unit_test(test_roundtrip_many),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_edit_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
