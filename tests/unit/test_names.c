/*
 * test_names.c — engine/names.c and the shipped data files defs/names.ini and
 * defs/subjects.ini: every stored code a reader can meet (the forms' enumerated values,
 * the profiles the registry documents, the rule kinds, the forms, the levels) has a
 * display name — a missing one is a defect of names.ini and fails here by name; the
 * subject map renames exam names per form and for every form; names_normalize pools
 * the rows that now share a subject; a key given twice is refused with its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "forms.h"
#include "names.h"
#include "rules.h"

/* The checkout: $TOP, else the working directory (make runs the tests from it). */
static struct names *shipped(void)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct names *n = NULL;
    const char *top = getenv("TOP");
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/defs/names.ini", top && *top ? top : ".");
    snprintf(b, sizeof b, "%s/defs/subjects.ini", top && *top ? top : ".");
    int rc = names_load(a, b, &n, &d);
    if (rc) fprintf(stderr, "%s\n", d.nmsgs ? d.msgs[0] : "?");
    assert_int_equal(rc, SOKO_OK);
    soko_diag_free(&d);
    return n;
}

static int missing(const struct names *n, const char *cat, const char *v)
{
    if (names_has(n, cat, v)) return 0;
    fprintf(stderr, "defs/names.ini: [%s] has no display name for '%s'\n", cat, v);
    return 1;
}

static void test_every_code_named(void **state)
{
    (void)state;
    struct names *n = shipped();
    int bad = 0;
    for (size_t i = 0; soko_forms[i]; i++) {
        const struct form *f = soko_forms[i];
        bad += missing(n, "form", f->name);
        for (size_t k = 0; k < f->ncols; k++) {
            const struct form_col *c = &f->cols[k];
            if (c->type != COL_ENUM) continue;
            for (const struct enum_val *v = c->values; v->value; v++) {
                bad += missing(n, c->name, v->value);
                if (strcmp(c->name, "role") == 0) bad += missing(n, "role_plural", v->value);
                if (strcmp(c->name, "stage") == 0) bad += missing(n, "stage_prep", v->value);
            }
        }
    }
    /* the profiles the registry's documentation names */
    const char *profiles[] = {"math-science", "humanities", "linguistic", "universal"};
    for (size_t i = 0; i < sizeof profiles / sizeof *profiles; i++) bad += missing(n, "profile", profiles[i]);
    for (const struct rule_kind *k = rule_kinds; k->name; k++) bad += missing(n, "rule_kind", k->name);
    const char *levels[] = {"district", "cluster", "school"};
    for (size_t i = 0; i < 3; i++) bad += missing(n, "level", levels[i]);
    assert_int_equal(bad, 0);
    /* a value without a name is shown as it is */
    assert_string_equal(names_get(n, "profile", "space-science"), "space-science");
    assert_string_equal(names_get(n, "profile", " Universal "), "универсальный");
    names_free(n);
}

static void test_subject_map(void **state)
{
    (void)state;
    struct names *n = shipped();
    assert_string_equal(names_subject(n, "ege", "Математика (профильный уровень)"), "Математика профильная");
    assert_string_equal(names_subject(n, "ege", "  математика  "), "Математика профильная");
    assert_string_equal(names_subject(n, "ege", "Математика (базовый уровень)"), "Математика базовая");
    assert_string_equal(names_subject(n, "vpr", "Математика"), "Математика");   /* ВПР: one mathematics */
    assert_string_equal(names_subject(n, "oge", "Русский"), "Русский язык");     /* [all] */
    assert_string_equal(names_subject(n, "ege", "Физика"), "Физика");
    assert_string_equal(names_subject(NULL, "ege", "Математика"), "Математика");
    names_free(n);
}

static void test_normalize(void **state)
{
    (void)state;
    struct names *n = shipped();
    struct indicator ind;
    memset(&ind, 0, sizeof ind);
    ind.id = (char *)"ege_high";
    ind.kind = IND_SHARE;
    ind.form = form_find("ege");
    ind.ndims = 1;
    ind.dims[0] = "subject";
    struct ind_row rows[3];
    memset(rows, 0, sizeof rows);
    const char *subj[3] = {"Математика", "Математика профильная", "Физика"};
    const double num[3] = {10, 30, 5}, den[3] = {20, 40, 10};
    for (int i = 0; i < 3; i++) {
        rows[i].ind = &ind;
        rows[i].level = IND_DISTRICT;
        rows[i].unit = "";
        rows[i].year = 2026;
        rows[i].dim[0] = subj[i];
        rows[i].num = num[i];
        rows[i].den = rows[i].n = den[i];
        rows[i].value = 100 * num[i] / den[i];
    }
    struct ind_results in = {rows, 3, 3, NULL}, out;
    names_normalize(n, &in, &out);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.v[0].dim[0], "Математика профильная");
    assert_true(fabs(out.v[0].num - 40) < 1e-9 && fabs(out.v[0].den - 60) < 1e-9);
    assert_true(fabs(out.v[0].value - 200.0 / 3) < 1e-9);
    assert_true(out.v[0].lo < out.v[0].value && out.v[0].hi > out.v[0].value);
    assert_string_equal(out.v[1].dim[0], "Физика");
    free(out.v);
    names_free(n);
}

static void test_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/soko-test-names-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "[profile]\nuniversal = универсальный\nUniversal = ещё раз\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct names *n = NULL;
    assert_int_equal(names_load(path, NULL, &n, &d), SOKO_ECONFIG);
    assert_null(n);
    assert_true(d.nmsgs >= 1 && strstr(d.msgs[0], ":3:") && strstr(d.msgs[0], "named twice"));
    soko_diag_free(&d);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_named),
        cmocka_unit_test(test_subject_map),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
