/*
 * test_page.c — the report's one number formatter (page_num, page_pval, page_date),
 * the page model's typography, and engine/outdir.c: a planted link at a final name is
 * replaced and never followed, a directory that is a link is refused with a reason, a
 * directory given as a file, a link or under a missing parent is refused with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "outdir.h"
#include "page.h"

static void check(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

static void test_numbers(void **state)
{
    (void)state;
    check(page_num(61.234, 1), "61,2");
    check(page_num(-1.65, 2), "−1,65");
    check(page_num(-0.001, 1), "0,0");              /* never "−0,0" */
    check(page_num(1593, 0), "1593");              /* no separator below 10 000 */
    check(page_num(51083, 0), "51\u202F083");
    check(page_num(1234567.5, 1), "1\u202F234\u202F567,5");
    check(page_num(NAN, 1), "—");
    check(page_pval(0.000206), "p < 0,001");
    check(page_pval(0.0123), "p = 0,012");
    check(page_pval(NAN), "—");
    check(page_date("2026-12-02"), "2 декабря 2026 г.");
    check(page_date("2024-02-29"), "29 февраля 2024 г.");
    check(page_date("вчера"), "вчера");
}

static void test_tidy(void **state)
{
    (void)state;
    struct page *d = page_new("t", NULL);
    page_p(d, NULL, "за %s.", "2024–2026 гг.");
    page_item(d, NULL, "в %s.", "2026 г.");
    assert_string_equal(d->v[0].text, "за 2024–2026 гг.");
    assert_string_equal(d->v[1].text, "в 2026 г.");
    page_free(d);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_outdir(void **state)
{
    (void)state;
    char top[] = "/tmp/soko-test-outdir-XXXXXX";
    assert_non_null(mkdtemp(top));
    char dir[100], victim[100], link[300], p[300];
    snprintf(dir, sizeof dir, "%s/out", top);
    snprintf(victim, sizeof victim, "%s/victim.txt", top);
    FILE *f = fopen(victim, "w");
    fputs("keep", f);
    fclose(f);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct outdir *o = NULL;
    assert_int_equal(outdir_open(dir, 1, &o, &d), SOKO_OK);
    snprintf(link, sizeof link, "%s/note.html", dir);
    assert_int_equal(symlink("../victim.txt", link), 0);
    assert_int_equal(outdir_write(o, "note.html", "new", 3, &d), SOKO_OK);
    assert_string_equal(slurp(victim), "keep");
    struct stat sb;
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_string_equal(slurp(link), "new");
    /* a subdirectory planted as a link is refused, not followed */
    snprintf(p, sizeof p, "%s/tables", dir);
    assert_int_equal(symlink("..", p), 0);
    struct outdir *sub = NULL;
    assert_int_equal(outdir_sub(o, "tables", &sub, &d), SOKO_EIO);
    assert_non_null(strstr(d.msgs[d.nmsgs - 1], "symbolic link"));
    /* a temporary directory: private, adopted from, removed */
    char *tmp = NULL;
    assert_int_equal(outdir_tmp(o, &tmp, &d), SOKO_OK);
    assert_int_equal(stat(tmp, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(p, sizeof p, "%s/made.txt", tmp);
    f = fopen(p, "w");
    fputs("made", f);
    fclose(f);
    assert_int_equal(outdir_adopt(o, tmp, "made.txt", &d), SOKO_OK);
    assert_int_equal(outdir_adopt(o, tmp, "absent.txt", &d), SOKO_EIO);
    outdir_tmp_free(o, tmp);
    assert_int_not_equal(stat(tmp, &sb), 0);
    free(tmp);
    snprintf(p, sizeof p, "%s/made.txt", dir);
    assert_string_equal(slurp(p), "made");
    outdir_close(o);
    /* the output directory itself: a file, a link, a missing parent — each with a reason */
    assert_int_equal(outdir_open(victim, 1, &o, &d), SOKO_EIO);
    assert_non_null(strstr(d.msgs[d.nmsgs - 1], "a file of that name exists"));
    snprintf(p, sizeof p, "%s/linked", top);
    assert_int_equal(symlink("out", p), 0);
    assert_int_equal(outdir_open(p, 1, &o, &d), SOKO_EIO);
    assert_non_null(strstr(d.msgs[d.nmsgs - 1], "symbolic link"));
    snprintf(p, sizeof p, "%s/no/such", top);
    assert_int_equal(outdir_open(p, 1, &o, &d), SOKO_EIO);
    assert_non_null(strstr(d.msgs[d.nmsgs - 1], "No such file or directory"));
    soko_diag_free(&d);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_tidy),
        cmocka_unit_test(test_outdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
