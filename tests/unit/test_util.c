/*
 * test_util.c — engine/util.c helpers of soko.h: utf8_width (terminal columns:
 * combining marks, wide characters, controls) and utf8_edit_distance (for "did you
 * mean" lists); num_roundtrip is tested in test_num.c.
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

/* num_roundtrip is tested in test_num.c. */

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
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_edit_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
