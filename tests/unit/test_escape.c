/*
 * test_escape.c — engine/escape.c: the hostile school name
 *   ГБОУ "Лицей" <script>…</script> № 'x'; $(rm -rf ~)
 * escaped for HTML, Markdown, CSV, gnuplot and XLSX, plus the edges of each language:
 * control characters, invalid UTF-8, CSV formula injection, sheet and file names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"

static const char HOSTILE[] = "ГБОУ \"Лицей\" <script>…</script> № 'x'; $(rm -rf ~)";

static void check(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

static void test_html(void **state)
{
    (void)state;
    check(esc_html_dup(HOSTILE),
          "ГБОУ &quot;Лицей&quot; &lt;script&gt;…&lt;/script&gt; № &#39;x&#39;; $(rm -rf ~)");
    check(esc_html_dup("a & b\x01\x7f"), "a &amp; b  ");
    check(esc_html_dup(""), "");
    /* a cut sequence and a stray continuation byte become U+FFFD */
    check(esc_html_dup("x\xD0"), "x\xEF\xBF\xBD");
    check(esc_html_dup("\x80y"), "\xEF\xBF\xBDy");
    /* an overlong '<' is not a '<' that slips through */
    check(esc_html_dup("\xC0\xBC"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

static void test_md(void **state)
{
    (void)state;
    check(esc_md_dup(HOSTILE),
          "ГБОУ \"Лицей\" \\<script\\>…\\</script\\> № 'x'; \\$(rm -rf \\~)");
    check(esc_md_dup("# 1. *a* | b_c [l](u) `x` ![i](u)"),
          "\\# 1. \\*a\\* \\| b\\_c \\[l\\](u) \\`x\\` \\!\\[i\\](u)");
    /* a newline cannot start a new block; a text cannot start a list or a heading */
    check(esc_md_dup("a\n# b\r\n| c"), "a # b  \\| c");
    check(esc_md_dup("2024. год"), "2024\\. год");
    check(esc_md_dup("1) а"), "1\\) а");
    check(esc_md_dup("- а"), "\\- а");
    check(esc_md_dup("2024-2026 гг. (3 года)"), "2024-2026 гг. (3 года)");
    check(esc_md_dup("back\\slash"), "back\\\\slash");
}

static void test_csv(void **state)
{
    (void)state;
    check(esc_csv_dup(HOSTILE), "\"ГБОУ \"\"Лицей\"\" <script>…</script> № 'x'; $(rm -rf ~)\"");
    check(esc_csv_dup("plain"), "plain");
    check(esc_csv_dup("a,b"), "\"a,b\"");
    check(esc_csv_dup("line\nbreak"), "\"line\nbreak\"");
    check(esc_csv_dup(" padded"), "\" padded\"");
    /* formula injection: text starting with = + - @ gets a leading ' */
    check(esc_csv_dup("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
    check(esc_csv_dup("@SUM(A1)"), "'@SUM(A1)");
    check(esc_csv_dup("+7 999"), "'+7 999");
    check(esc_csv_dup("-"), "'-");
    /* numbers are left alone */
    check(esc_csv_dup("-3.25"), "-3.25");
    check(esc_csv_dup("+1e-3"), "+1e-3");
    check(esc_csv_dup("12"), "12");
}

static void test_gnuplot(void **state)
{
    (void)state;
    check(esc_gnuplot_dup(HOSTILE),
          "'ГБОУ \"Лицей\" <script>…</script> № ''x''; $(rm -rf ~)'");
    /* a newline would end the command: it becomes a space, and nothing after it can
       be a new command */
    check(esc_gnuplot_dup("a'\nsystem('rm -rf ~')\n#"), "'a'' system(''rm -rf ~'') #'");
    /* backquotes and @ are inert in single quotes; backslash is literal */
    check(esc_gnuplot_dup("`id` @m \\n"), "'`id` @m \\n'");
    check(esc_gnuplot_dup(""), "''");
}

static void test_xlsx(void **state)
{
    (void)state;
    check(esc_xlsx_dup(HOSTILE), HOSTILE);
    check(esc_xlsx_dup("a\x01\x1f\tb\n"), "a  \tb\n");
    check(esc_xlsx_dup("bad\xFF"), "bad\xEF\xBF\xBD");
    check(esc_xlsx_sheet("[Кластер]: a/b?*\\c", "x"), "Кластер   a b   c");
    check(esc_xlsx_sheet("'quoted'", "x"), "quoted");
    check(esc_xlsx_sheet("", "Показатели"), "Показатели");
    char *s = esc_xlsx_sheet("Абвгдежзийклмнопрстуфхцчшщъыьэюя0123", "x");
    assert_string_equal(s, "Абвгдежзийклмнопрстуфхцчшщъыьэю");   /* 31 characters */
    free(s);
}

static void test_filename(void **state)
{
    (void)state;
    check(esc_filename("nevsky_stem"), "nevsky_stem");
    check(esc_filename("../../etc/passwd"), "______etc_passwd");
    check(esc_filename("Кластер 1"), "________1");
    check(esc_filename(""), "x");
}

static void test_csv_excel(void **state)
{
    (void)state;
    struct sbuf b = SBUF_INIT;
    esc_csv_excel(&b, "a,b");              /* a comma is no separator here */
    assert_string_equal(b.s, "a,b");
    sbuf_reset(&b);
    esc_csv_excel(&b, "a;b \"c\"");
    assert_string_equal(b.s, "\"a;b \"\"c\"\"\"");
    sbuf_reset(&b);
    esc_csv_excel(&b, "=1+1");
    assert_string_equal(b.s, "'=1+1");
    sbuf_reset(&b);
    esc_csv_excel(&b, "-1,5");             /* a number, not a formula */
    assert_string_equal(b.s, "-1,5");
    sbuf_free(&b);
}

static void test_translit(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"ЕН", "EN"}, {"ГУ", "GU"}, {"Щука", "Shhuka"}, {"цифра-объём", "czifra-obyom"},
        {"Жёлтый_2", "Zhyoltyj_2"}, {"эхо", "exo"}, {"мысль", "mysl"}, {"nevsky_stem", "nevsky_stem"},
        {"a b/c", "a_b_c"}, {"", "x"}, {"юля", "yulya"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *t = esc_translit(cases[i][0]);
        assert_string_equal(t, cases[i][1]);
        free(t);
    }
    /* different names stay apart where the old stem made both "__" */
    char *a = esc_translit("ЕН"), *b = esc_translit("ГУ");
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void test_term(void **state)
{
    (void)state;
    /* the tester's name: OSC (set the title), CSI (clear the screen), a newline */
    check(esc_term_dup("=HYPERLINK(\"x\")\x1b]0;pwned\x07\x1b[2J\n# Injected"),
          "=HYPERLINK(\"x\")\xEF\xBF\xBD]0;pwned\xEF\xBF\xBD\xEF\xBF\xBD[2J # Injected");
    check(esc_term_dup("a\tb\rc\x7f"), "a b c\xEF\xBF\xBD");
    /* C1 controls: U+009B is CSI for some terminals */
    check(esc_term_dup("x\xC2\x9B" "2Jy\xC2\x85"), "x\xEF\xBF\xBD" "2Jy\xEF\xBF\xBD");
    /* bidi overrides and isolates (a right-to-left override reverses what follows) */
    check(esc_term_dup("a\xE2\x80\xAE" "cba\xE2\x80\xAC"), "a\xEF\xBF\xBD" "cba\xEF\xBF\xBD");
    check(esc_term_dup("\xE2\x81\xA6x\xE2\x81\xA9\xE2\x80\x8F\xD8\x9C"),
          "\xEF\xBF\xBDx\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    /* Cyrillic, №, dashes, NBSP (U+00A0 is not C1) and emoji pass */
    check(esc_term_dup("Лицей № 344 — «x»\xC2\xA0\xF0\x9F\x98\x80"),
          "Лицей № 344 — «x»\xC2\xA0\xF0\x9F\x98\x80");
    /* invalid UTF-8 cannot smuggle a control byte */
    check(esc_term_dup("\xC0\x9B" "a\xE2\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD" "a\xEF\xBF\xBD\xEF\xBF\xBD");
    check(esc_term_dup(""), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html),   cmocka_unit_test(test_md),
        cmocka_unit_test(test_csv),    cmocka_unit_test(test_gnuplot),
        cmocka_unit_test(test_xlsx),   cmocka_unit_test(test_filename),
        cmocka_unit_test(test_csv_excel), cmocka_unit_test(test_translit), cmocka_unit_test(test_term),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
