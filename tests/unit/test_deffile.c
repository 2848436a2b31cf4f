/*
 * test_deffile.c — engine/deffile.c: the typed key table every definition loader checks
 * through: each type with its range (open ends, NaN and infinities refused, hex and
 * trailing text refused), choices and lists, required and repeatable keys, the "*"
 * entry, and the one message format "file:line: [section]: key: got 'X'; expected …".
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "deffile.h"

static char dir[] = "/tmp/soko-test-deffile.XXXXXX";

static const char *write_file(const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/d.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *const colours[] = {"red", "green", NULL};
static const struct deffile_key keys[] = {
    {"name", DF_TEXT, DF_REQUIRED, 0, 0, NULL, "a name"},
    {"id", DF_IDENT, 0, 0, 0, NULL, NULL},
    {"count", DF_INT, 0, 1, 10, NULL, NULL},
    {"share", DF_REAL, DF_LO_OPEN | DF_HI_OPEN, 0, 1, NULL, NULL},
    {"big", DF_REAL, DF_INF, -1e300, 1e300, NULL, NULL},
    {"colour", DF_CHOICE, 0, 0, 0, colours, NULL},
    {"colours", DF_LIST, 0, 1, 2, colours, NULL},
    {"ids", DF_IDLIST, 0, 1, 0, NULL, NULL},
    {"how_many", DF_COUNT, 0, 1, 100, NULL, NULL},
    {"again", DF_OTHER, DF_REPEAT, 0, 0, NULL, "anything"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const struct deffile_key *const tables[] = {keys, NULL};

/* Checks one [s] section of text; returns the problems and keeps the messages in d. */
static size_t check(const char *text, unsigned flags, struct soko_diag *d)
{
    struct deffile df;
    soko_diag_clear(d);
    assert_int_equal(deffile_read_opts(write_file(text), flags, &df, d), SOKO_OK);
    assert_int_equal(df.nsec, 1);
    size_t n = deffile_check(&df, &df.sec[0], tables, d);
    deffile_free(&df);
    return n;
}

static int has(const struct soko_diag *d, const char *text)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        if (strstr(d->msgs[i], text)) return 1;
    for (size_t i = 0; i < d->nmsgs; i++) print_error("  %s\n", d->msgs[i]);
    return 0;
}

static void test_types_and_ranges(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    assert_int_equal(check("[s]\nname = x\nid = a_1\ncount = 10\nshare = 0.5\nbig = -inf\n"
                           "colour = red\ncolours = red, green\nids = a, b_2\nhow_many = 20%\n"
                           "again = 1\n", DEFFILE_REPEATS, &d), 0);
    static const struct { const char *line, *msg; } bad[] = {
        {"id = A", "d.ini:3: [s]: id: got 'A'; expected lower-case letters, digits and '_'"},
        {"count = 11", "[s]: count: got '11'; expected a whole number from 1 to 10"},
        {"count = 2.5", "[s]: count: got '2.5'"},
        {"count = 99999999999999999999", "[s]: count: got '99999999999999999999'"},
        {"count = 0x5", "[s]: count: got '0x5'"},
        {"count = 5 apples", "[s]: count: got '5 apples'"},
        {"share = 0", "[s]: share: got '0'; expected a number greater than 0 to 1 (not included)"},
        {"share = 1", "[s]: share: got '1'"},
        {"share = nan", "[s]: share: got 'nan'"},
        {"share = inf", "[s]: share: got 'inf'"},
        {"big = nan", "[s]: big: got 'nan'; expected a number"},
        {"big = 1e999", "[s]: big: got '1e999'"},
        {"colour = blue", "[s]: colour: got 'blue'; expected one of red, green"},
        {"colours = red, blue", "[s]: colours: got 'red, blue'"},
        {"colours = red,, green", "[s]: colours: got 'red,, green'"},
        {"colours = red, green, red", "[s]: colours: got 'red, green, red'"},
        {"ids = a, B", "[s]: ids: got 'a, B'"},
        {"how_many = 0", "[s]: how_many: got '0'; expected a whole number from 1 to 100, or a "
                         "percentage like 20%"},
        {"how_many = 120%", "[s]: how_many: got '120%'"},
        {"how_many = nan%", "[s]: how_many: got 'nan%'"},
        {"colour =", "[s]: colour: got ''"},
        {"oops = 1", "[s]: oops: unknown key; expected one of name, id, count, share"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[s]\nname = x\n%s\n", bad[i].line);
        assert_int_equal(check(text, 0, &d), 1);
        if (!has(&d, bad[i].msg)) fail_msg("case %zu: %s", i, bad[i].line);
    }
    /* required, repeats */
    assert_int_equal(check("[s]\nid = a\n", 0, &d), 1);
    assert_true(has(&d, "d.ini:1: [s]: name: missing; expected a name"));
    assert_int_equal(check("[s]\nname = x\nagain = 1\nagain = 2\ncount = 1\ncount = 2\n",
                           DEFFILE_REPEATS, &d), 1);
    assert_true(has(&d, "d.ini:6: [s]: count: given twice (first on line 5)"));
    soko_diag_free(&d);
}

/* The values read back as the table allowed them; "*" takes any other key. */
static void test_values_and_any_key(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct deffile df;
    assert_int_equal(deffile_read(write_file("[s]\nname = x\ncount = 7\nbig = -inf\n"
                                             "colour = green\nhow_many = 12.5%\n"
                                             "ids = a, b\n"), &df, &d), SOKO_OK);
    const struct deffile_sec *s = &df.sec[0];
    assert_int_equal(deffile_long(s, "count", 0), 7);
    assert_true(isinf(deffile_real(s, "big", 0)) && deffile_real(s, "big", 0) < 0);
    assert_int_equal(deffile_choice(s, "colour", colours, -1), 1);
    assert_int_equal(deffile_choice(s, "absent", colours, -1), -1);
    double v;
    int pct;
    assert_int_equal(deffile_count(s, "how_many", &v, &pct), 0);
    assert_true(v == 12.5 && pct == 1);
    int n;
    char **items = deffile_list(deffile_get(s, "ids", NULL), &n);
    assert_int_equal(n, 2);
    assert_string_equal(items[1], "b");
    deffile_list_free(items);
    deffile_free(&df);
    static const struct deffile_key any[] = {
        {"known", DF_INT, 0, 0, 5, NULL, NULL},
        {"*", DF_TEXT, 0, 0, 0, NULL, NULL},
        {NULL, 0, 0, 0, 0, NULL, NULL},
    };
    const struct deffile_key *const t2[] = {any, NULL};
    assert_ptr_equal(deffile_key_find(t2, "whatever"), &any[1]);
    assert_ptr_equal(deffile_key_find(t2, "known"), &any[0]);
    assert_null(deffile_key_find(tables, "whatever"));
    soko_diag_free(&d);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[600];
    snprintf(p, sizeof p, "%s/d.ini", dir);
    unlink(p);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_and_ranges),
        cmocka_unit_test(test_values_and_any_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
