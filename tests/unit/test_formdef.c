/*
 * test_formdef.c — engine/formdef.c: a form defined by an INI file becomes a struct
 * form that form_find and forms_all see, with the columns, flags, ranges, enum values
 * and checks of its definition; every kind of bad definition is refused with its
 * file:line (a bad type, a column given twice, an unknown key or section, an SQL
 * keyword as a name, a reversed range, a check over a text column, a header naming
 * two columns, a built-in form's name, no key), and a refused file defines nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "formdef.h"

static char dir[] = "/tmp/soko-test-formdef.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char good[] =
    "; a contest form\n"
    "[form]\n"
    "title = Конкурсы\n"
    "doc = contests by level\n"
    "example = year,school_id,stage,participants,winners\n"
    "example = 2024,344,district,12,3\n"
    "\n"
    "[column year]\n"
    "type = year\n"
    "key = yes\n"
    "\n"
    "[column school_id]\n"
    "type = school\n"
    "\n"
    "[column stage]\n"
    "header = уровень | уровень конкурса\n"
    "type = enum\n"
    "key = yes\n"
    "value = district | районный\n"
    "value = regional | региональный | регион\n"
    "\n"
    "[column participants]\n"
    "header = участников\n"
    "type = count\n"
    "required = yes\n"
    "\n"
    "[column winners]\n"
    "header = победителей\n"
    "type = int\n"
    "min = 0\n"
    "max = 500\n"
    "\n"
    "[column share]\n"
    "type = percent\n"
    "default = 0\n"
    "\n"
    "[check winners]\n"
    "kind = sum_at_most\n"
    "columns = winners, participants\n";

static void test_good_form(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    const char *p = write_file("contests.ini", good);
    assert_int_equal(formdef_load_file(p, &d), SOKO_OK);
    assert_int_equal(d.nmsgs, 0);
    const struct form *f = form_find("contests");
    assert_non_null(f);
    assert_string_equal(formdef_file(f), p);
    assert_null(formdef_file(form_find("vpr")));
    assert_int_equal(f->kind, FORM_ROWS);
    assert_string_equal(f->title_ru, "Конкурсы");
    assert_int_equal(f->ncols, 6);
    /* the school and year columns take the built-in ones' headers and range */
    const struct form_col *y = &f->cols[form_col_index(f, "year")];
    assert_int_equal(y->type, COL_YEAR);
    assert_true(y->flags & COL_KEY);
    assert_string_equal(y->aliases, form_find("vpr")->cols[0].aliases);
    const struct form_col *s = &f->cols[form_col_index(f, "school_id")];
    assert_true((s->flags & (COL_KEY | COL_SCHOOL | COL_CONFUSABLE | COL_REQUIRED)) ==
                (COL_KEY | COL_SCHOOL | COL_CONFUSABLE | COL_REQUIRED));
    const struct form_col *l = &f->cols[form_col_index(f, "stage")];
    assert_string_equal(l->aliases, "уровень|уровень конкурса");
    assert_string_equal(form_enum_value(l, "Регион"), "regional");
    assert_string_equal(form_enum_value(l, "district"), "district");
    assert_null(form_enum_value(l, "federal"));
    const struct form_col *w = &f->cols[form_col_index(f, "winners")];
    assert_true(w->min == 0 && w->max == 500 && !(w->flags & COL_REQUIRED));
    const struct form_col *sh = &f->cols[form_col_index(f, "share")];
    assert_true(sh->type == COL_REAL && sh->min == 0 && sh->max == 100);
    assert_string_equal(sh->deflt, "0");
    assert_int_equal(form_col_match(f, "Уровень конкурса"), form_col_index(f, "stage"));
    assert_int_equal(f->nchecks, 1);
    assert_int_equal(f->checks[0].kind, CHECK_SUM_LE);
    assert_string_equal(f->checks[0].cols[0], "winners");
    assert_string_equal(f->checks[0].cols[1], "participants");
    assert_null(f->checks[0].cols[2]);
    assert_string_equal(f->checks[0].doc, "winners <= participants");
    assert_string_equal(f->example, "year,school_id,stage,participants,winners\n"
                                    "2024,344,district,12,3\n");
    /* forms_all: the built-in ones, then this one */
    const struct form *const *all = forms_all();
    size_t n = 0;
    while (all[n]) n++;
    assert_ptr_equal(all[n - 1], f);
    assert_ptr_equal(all[0], soko_forms[0]);
    /* an indicator file named after the form belongs to its monitoring */
    assert_ptr_equal(formdef_named_by("/x/indicators/contests.ini"), f);
    assert_null(formdef_named_by("/x/indicators/vpr.ini"));
    assert_null(formdef_named_by(NULL));
    /* the same name again is refused */
    assert_int_equal(formdef_load_file(p, &d), SOKO_ECONFIG);
    assert_non_null(strstr(d.msgs[0], "defined twice"));
    formdef_unload_all();
    assert_null(form_find("contests"));
    assert_ptr_equal(forms_all(), soko_forms);
    soko_diag_free(&d);
}

/* Loads text as FILE and expects it refused with a message holding `line` (file:N:)
 * and `what`; nothing is defined. */
static void refused(const char *file, const char *text, long line, const char *what)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    const char *p = write_file(file, text);
    assert_int_equal(formdef_load_file(p, &d), SOKO_ECONFIG);
    char want[700];
    if (line) snprintf(want, sizeof want, "%s:%ld:", p, line);
    else snprintf(want, sizeof want, "%s:", p);
    int found = 0;
    for (size_t i = 0; i < d.nmsgs; i++)
        if (strstr(d.msgs[i], want) && strstr(d.msgs[i], what)) found = 1;
    if (!found) {
        for (size_t i = 0; i < d.nmsgs; i++) fprintf(stderr, "got: %s\n", d.msgs[i]);
        fail_msg("expected '%s' ... '%s'", want, what);
    }
    char *name = strdup(file);
    *strrchr(name, '.') = '\0';
    const struct form *f = form_find(name);
    assert_true(!f || !formdef_file(f));
    free(name);
    unlink(p);
    soko_diag_free(&d);
}

#define HEAD "[form]\ntitle = T\n[column year]\ntype = year\nkey = yes\n"

static void test_bad_definitions(void **state)
{
    (void)state;
    refused("f1.ini", HEAD "[column n]\ntype = number\n", 7,
            "[column n]: type: got 'number'; expected one of text, int, count");
    refused("f2.ini", HEAD "[column n]\ntype = int\n[column n]\ntype = text\n", 8,
            "section [column n] is given twice (first on line 6)");
    refused("f3.ini", HEAD "[column n]\ntype = int\nmaximum = 4\n", 8,
            "[column n]: maximum: unknown key; expected one of type, header");
    refused("f4.ini", HEAD "[columns n]\ntype = int\n", 6, "[columns n]: unknown section");
    refused("f5.ini", HEAD "[column order]\ntype = int\n", 6, "not an SQL keyword");
    refused("f6.ini", HEAD "[column n]\ntype = int\nmin = 5\nmax = 1\n", 9,
            "max: got '1'; expected max at least min");
    refused("f7.ini", HEAD "[column n]\ntype = text\nmin = 5\n", 8, "no range");
    refused("f8.ini", HEAD "[column a]\ntype = text\n[column b]\ntype = count\n"
            "[check c]\nkind = sum\ncolumns = a, b\n", 12, "numeric columns; 'a' is not one");
    refused("f9.ini", HEAD "[column a]\nheader = Кол-во участников\ntype = count\n"
            "[column b]\nheader = количество  участников\ntype = count\n", 9,
            "also names [column a] (line 6)");
    refused("vpr.ini", HEAD, 0, "'vpr' is a built-in form");
    refused("f10.ini", "[form]\ntitle = T\n[column n]\ntype = int\n", 1, "no key column");
    refused("f11.ini", HEAD "[column lvl]\ntype = enum\n", 6, "at least one 'value =");
    refused("f12.ini", HEAD "[column lvl]\ntype = enum\nvalue = Районный\n", 8,
            "a stored name of lower-case Latin letters");
    refused("f13.ini", HEAD "[column n]\ntype = count\nkey = yes\nrequired = no\n", 9,
            "a key column is always required");
    refused("f14.ini", HEAD "[column n]\ntype = count\ndefault = -1\n", 8,
            "a value of the column's type and range");
    refused("f15.ini", "[form]\ntitle = T\nexample = year,nope\n[column year]\ntype = year\n"
            "key = yes\n", 3, "('nope' is none)");
    refused("Bad-name.ini", HEAD, 0, "is not usable");
    refused("f16.ini", "[form]\ntitle = T\tab\n[column year]\ntype = year\nkey = yes\n", 2,
            "text without control characters");
    refused("f18.ini", HEAD "[column school_id]\ntype = text\n", 7,
            "type: got 'text'; expected school");
    refused("f19.ini", HEAD "[column school]\ntype = school\n", 6, "is named school_id");
    refused("f17.ini", HEAD "[column level]\ntype = int\n", 6, "indicator and level");
}

static void test_dir(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/forms", dir);
    assert_int_equal(formdef_load_dir(sub, 1, &d), SOKO_OK);      /* missing: none */
    assert_int_equal(formdef_load_dir(sub, 0, &d), SOKO_EIO);
    soko_diag_clear(&d);
    assert_int_equal(mkdir(sub, 0700), 0);
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/forms/aa.ini", dir);
    snprintf(b, sizeof b, "%s/forms/bb.ini", dir);
    FILE *f = fopen(a, "w");
    fputs(HEAD, f);
    fclose(f);
    f = fopen(b, "w");
    fputs(HEAD "[column n]\ntype = nope\n", f);
    fclose(f);
    /* one bad file: neither is defined */
    assert_int_equal(formdef_load_dir(sub, 0, &d), SOKO_ECONFIG);
    assert_null(form_find("aa"));
    f = fopen(b, "w");
    fputs(HEAD, f);
    fclose(f);
    soko_diag_clear(&d);
    assert_int_equal(formdef_load_dir(sub, 0, &d), SOKO_OK);
    assert_non_null(form_find("aa"));
    assert_non_null(form_find("bb"));
    formdef_unload_all();
    unlink(a);
    unlink(b);
    rmdir(sub);
    soko_diag_free(&d);
}

/* The shipped «500+» form is a form of context factors: FORM:CODE names resolve, codes are
   its enum's, labels its first Russian spelling; a bare name and `context:` as documented. */
static void test_factor_forms(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    const char *top = getenv("TOP");
    char path[4096];
    snprintf(path, sizeof path, "%s/defs/forms", top && *top ? top : ".");
    assert_int_equal(formdef_load_dir(path, 0, &d), SOKO_OK);
    const char *code = NULL;
    const struct form *f = form_of_factor("survey_500:risk_low_motivation", &code);
    assert_non_null(f);
    assert_string_equal(f->name, "survey_500");
    assert_string_equal(code, "risk_low_motivation");
    assert_string_equal(f->factor_col, "factor");
    assert_string_equal(f->factor_value, "score");
    assert_true(form_factor_known(f, "risk_staff_shortage"));
    assert_false(form_factor_known(f, "risk_staf"));
    char *lab = form_factor_label("survey_500:risk_low_motivation");
    assert_string_equal(lab, "низкая учебная мотивация обучающихся");
    free(lab);
    assert_null(form_factor_label("survey_500:risk_staf"));
    assert_null(form_factor_label("share_low_income"));
    /* context: text factors, any identifier; forms without factor columns: none */
    f = form_of_factor("context:share_low_income", &code);
    assert_non_null(f);
    assert_true(form_factor_known(f, "share_low_income"));
    assert_false(form_factor_known(f, "Share low"));
    assert_null(form_factor_label("context:share_low_income"));
    code = NULL;
    assert_null(form_of_factor("vpr:m2", &code));
    assert_null(form_of_factor("share_low_income", &code));
    assert_null(form_of_factor(":x", &code));
    assert_null(form_of_factor("survey_500:", &code));
    assert_null(code);
    formdef_unload_all();
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
    snprintf(p, sizeof p, "%s/contests.ini", dir);
    unlink(p);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_form),
        cmocka_unit_test(test_bad_definitions),
        cmocka_unit_test(test_dir),
        cmocka_unit_test(test_factor_forms),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
