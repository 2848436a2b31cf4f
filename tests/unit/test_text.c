/*
 * test_text.c — engine/text.c (normalisation, scripts, look-alikes, distance, names)
 * and the location helpers of engine/util.c (col_letters, soko_loc).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "soko.h"
#include "text.h"

/* text_normalize on a copy; the result in a static buffer. */
static const char *norm(const char *s, int mode)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    size_t before = strlen(buf);
    text_normalize(buf, mode);
    assert_true(strlen(buf) <= before);          /* never longer */
    return buf;
}

static void test_normalize(void **state)
{
    (void)state;
    /* composition: й, Й, ё, Ё from a letter and a combining mark; Latin too */
    assert_string_equal(norm("и\xCC\x86", 0), "й");
    assert_string_equal(norm("И\xCC\x86", 0), "Й");
    assert_string_equal(norm("е\xCC\x88", 0), "ё");
    assert_string_equal(norm("Е\xCC\x88", 0), "Ё");
    assert_string_equal(norm("Математи\xCC\x86ка", 0), "Математйка");
    assert_string_equal(norm("Сине\xCC\x88в", 0), "Синёв");
    assert_string_equal(norm("e\xCC\x81t\xC3\xA9", 0), "\xC3\xA9t\xC3\xA9");          /* é */
    assert_string_equal(norm("U\xCC\x88\xCC\x84", 0), "\xC7\x95");                    /* Ǖ in two steps */
    /* a stress mark on a Cyrillic letter has no precomposed form: dropped */
    assert_string_equal(norm("Матема\xCC\x81тика", 0), "Математика");
    /* a combining mark on nothing composable stays */
    assert_string_equal(norm("x\xCC\x81", 0), "x\xCC\x81");
    /* zero-width characters and the soft hyphen */
    assert_string_equal(norm("Мате\xE2\x80\x8Bматика", 0), "Математика");             /* U+200B */
    assert_string_equal(norm("\xEF\xBB\xBF" "344", 0), "344");                        /* U+FEFF */
    assert_string_equal(norm("a\xE2\x80\x8C" "b\xE2\x80\x8D" "c\xE2\x81\xA0" "d", 0), "abcd");
    assert_string_equal(norm("Мате\xC2\xADматика", 0), "Математика");                 /* U+00AD */
    /* white space: runs of every kind are one space, none at the ends */
    assert_string_equal(norm("  Русский \t\xC2\xA0 язык  ", 0), "Русский язык");
    assert_string_equal(norm("1\xE2\x80\xAF" "234", 0), "1 234");                     /* U+202F */
    assert_string_equal(norm("1\xE2\x80\x89" "234", 0), "1 234");                     /* U+2009 */
    assert_string_equal(norm("a\xE3\x80\x80" "b", 0), "a b");                         /* U+3000 */
    assert_string_equal(norm("\xC2\xA0", 0), "");
    assert_string_equal(norm("", 0), "");
    /* a zero-width character between spaces leaves one space */
    assert_string_equal(norm("a \xE2\x80\x8B b", 0), "a b");
    /* line breaks: kept, or white space in one-line mode */
    assert_string_equal(norm("Школа\n№ 1", TEXT_KEEP_LINES), "Школа\n№ 1");
    assert_string_equal(norm("Физика\r\nи астрономия", TEXT_ONE_LINE), "Физика и астрономия");
    /* plain text is returned as it is */
    assert_string_equal(norm("A-001", 0), "A-001");
    /* invalid bytes pass through, one at a time */
    assert_string_equal(norm("a\xFF" "b\xD0", 0), "a\xFF" "b\xD0");
}

static void test_scripts_and_lookalikes(void **state)
{
    (void)state;
    struct text_mix m;
    struct sbuf fix = SBUF_INIT, a = SBUF_INIT, b = SBUF_INIT;
    /* «Мaтематика» with a Latin a: letter 2 of its word, fixed to Cyrillic */
    assert_int_equal(text_mixed_script("Мaтематика", &m, &fix), 1);
    assert_int_equal(m.script, 'L');
    assert_int_equal(m.pos, 2);
    assert_int_equal(m.off, 2);
    assert_int_equal(m.len, 1);
    assert_string_equal(fix.s, "Математика");
    /* a Cyrillic letter among Latin ones, in the second word */
    assert_int_equal(text_mixed_script("English lаnguage", &m, &fix), 1);
    assert_int_equal(m.script, 'C');
    assert_int_equal(m.pos, 2);
    assert_string_equal(fix.s, "English language");
    /* a foreign letter with no twin: found, not fixable */
    assert_int_equal(text_mixed_script("Физикq", &m, &fix), 1);
    assert_int_equal(fix.len, 0);
    /* one alphabet per word is fine, whatever the words */
    assert_int_equal(text_mixed_script("Информатика и ИКТ (ICT)", &m, &fix), 0);
    assert_int_equal(text_mixed_script("A01", &m, NULL), 0);
    assert_int_equal(text_mixed_script("А01", &m, NULL), 0);
    assert_int_equal(text_mixed_script("344", &m, NULL), 0);
    assert_int_equal(text_mixed_script("", &m, NULL), 0);
    assert_int_equal(text_mixed_script("A-б12", &m, NULL), 0);         /* a hyphen parts words */

    /* skeletons: look-alike spellings meet, different words do not */
    text_skeleton("А01", &a);                                          /* Cyrillic А */
    text_skeleton("A01", &b);
    assert_string_equal(a.s, b.s);
    text_skeleton("СОШ № 1", &a);
    text_skeleton("COШ № 1", &b);                                      /* Latin C and O */
    assert_string_equal(a.s, b.s);
    text_skeleton("Призёры", &a);
    text_skeleton("Призеры", &b);
    assert_string_equal(a.s, b.s);
    text_skeleton("Математика", &a);
    text_skeleton("математика", &b);                                   /* case is kept */
    assert_string_not_equal(a.s, b.s);
    text_skeleton("", &a);
    assert_string_equal(a.s, "");

    assert_int_equal(text_twin('A'), 0x410);
    assert_int_equal(text_twin(0x440), 'p');
    assert_int_equal(text_twin('z'), 0);
    assert_int_equal(text_twin(0x431), 0);                             /* б */
    assert_int_equal(text_script('q'), 'L');
    assert_int_equal(text_script(0x451), 'C');
    assert_int_equal(text_script('7'), 0);
    assert_int_equal(text_lower(0x42F), 0x44F);
    assert_int_equal(text_lower(0x401), 0x451);
    sbuf_free(&fix);
    sbuf_free(&a);
    sbuf_free(&b);
}

struct variants {
    int n;
    char seen[16][16];
    const char *stop_at;
};

static int collect(void *ctx, const char *v)
{
    struct variants *x = ctx;
    if (x->n < 16) snprintf(x->seen[x->n], sizeof x->seen[0], "%s", v);
    x->n++;
    return x->stop_at && strcmp(v, x->stop_at) == 0 ? 7 : 0;
}

static void test_variants(void **state)
{
    (void)state;
    struct variants v;
    memset(&v, 0, sizeof v);
    assert_int_equal(text_lookalike_variants("A01", 8, collect, &v), 0);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.seen[0], "А01");                             /* Cyrillic А */
    memset(&v, 0, sizeof v);
    assert_int_equal(text_lookalike_variants("344", 8, collect, &v), 0);
    assert_int_equal(v.n, 0);                                          /* nothing to swap */
    memset(&v, 0, sizeof v);
    text_lookalike_variants("AB-C", 8, collect, &v);
    assert_int_equal(v.n, 7);                                          /* 2^3 - 1 */
    memset(&v, 0, sizeof v);
    text_lookalike_variants("AAAAAAAAAAAA", 4, collect, &v);
    assert_int_equal(v.n, 15);                                         /* bounded */
    /* the callback stops the walk and its value comes back */
    memset(&v, 0, sizeof v);
    v.stop_at = "АВ";                                                  /* both Cyrillic */
    assert_int_equal(text_lookalike_variants("AB", 8, collect, &v), 7);
    assert_int_equal(v.n, 3);
}

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(text_distance("", ""), 0);
    assert_int_equal(text_distance("abc", ""), 3);
    assert_int_equal(text_distance("", "abc"), 3);
    assert_int_equal(text_distance("kitten", "sitting"), 3);
    assert_int_equal(text_distance("отметка2", "отмтка2"), 1);          /* code points, not bytes */
    assert_int_equal(text_distance("участников", "участники"), 2);
    assert_int_equal(text_distance("год", "год"), 0);
    char longer[300];
    memset(longer, 'a', 200);
    longer[200] = '\0';
    assert_true(text_distance(longer, "a") > 1000);                    /* too long: far */
}

static void test_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "Иванов Иван Петрович", "Петрова Анна Сергеевна", "ИВАНОВ ИВАН", "иванов иван",
        "Иванов И.П.", "Иванов И. П.", "И.П. Иванов", "Кузьмина Ольга Ильинична",
        "Мамедов Эльдар оглы", "Иванова", "Петровский", "Ivan Petrov", "Петров-Водкин Кузьма",
        "Анна-Мария Смирнова", "Д'Артаньян Шарль", NULL};
    for (const char *const *p = names; *p; p++)
        if (!text_looks_like_name(*p)) {
            print_error("'%s' is a name\n", *p);
            fail();
        }
    static const char *const codes[] = {
        "A-001", "S2024-344-0271", "12345", "ИВ01", "a1", "Ученик", "Сова", "x", "АБ", "A B",
        "Класс А", "ученик_12", "", "#17", "Иван2", NULL};
    for (const char *const *p = codes; *p; p++)
        if (text_looks_like_name(*p)) {
            print_error("'%s' is a code\n", *p);
            fail();
        }
}

static void test_locations(void **state)
{
    (void)state;
    char l[8];
    assert_string_equal(col_letters(1, l), "A");
    assert_string_equal(col_letters(5, l), "E");
    assert_string_equal(col_letters(26, l), "Z");
    assert_string_equal(col_letters(27, l), "AA");
    assert_string_equal(col_letters(52, l), "AZ");
    assert_string_equal(col_letters(53, l), "BA");
    assert_string_equal(col_letters(702, l), "ZZ");
    assert_string_equal(col_letters(703, l), "AAA");
    assert_string_equal(col_letters(16384, l), "XFD");                 /* Excel's last column */
    assert_string_equal(col_letters(0, l), "");
    assert_string_equal(col_letters(-3, l), "");

    struct sbuf b = SBUF_INIT;
    soko_loc(&b, "vpr.csv", NULL, 2, 5);
    assert_string_equal(b.s, "vpr.csv:2:E");
    sbuf_reset(&b);
    soko_loc(&b, "book.xlsx", "ВПР", 12, 28);
    assert_string_equal(b.s, "book.xlsx[ВПР]:12:AB");
    sbuf_reset(&b);
    soko_loc(&b, "vpr.csv", NULL, 3, 0);
    assert_string_equal(b.s, "vpr.csv:3");
    sbuf_reset(&b);
    soko_loc(&b, "vpr.csv", NULL, 0, 4);
    assert_string_equal(b.s, "vpr.csv");
    sbuf_free(&b);

    struct soko_diag d;
    soko_diag_init(&d, 0);
    soko_diag_add(&d, "f.csv", 7, 27, "x");
    soko_diag_add_at(&d, "b.xlsx", "Лист1", 7, 2, "y %d", 1);
    soko_diag_add_at(&d, "b.xlsx", NULL, 0, 0, "z");
    assert_string_equal(d.msgs[0], "f.csv:7:AA: x");
    assert_string_equal(d.msgs[1], "b.xlsx[Лист1]:7:B: y 1");
    assert_string_equal(d.msgs[2], "b.xlsx: z");
    soko_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_scripts_and_lookalikes),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_locations),
    };
    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
