/*
 * test_sheet.c — engine/sheet*.c: spreadsheets as rows of typed cells.
 *
 * The workbooks are generated into a temporary directory when the group starts:
 * .xlsx and the damaged and hostile files by build/tests/gen_sheets (next to this
 * binary; tests/fixtures/gen_sheets.c), .xls by tests/fixtures/gen_xls.py with
 * python3-xlwt. A sheet is read into one text ("row:cell|cell..." per line, each cell
 * its type letter E S N B D X, then ^ for a merged range's origin or ~ for a copy,
 * then its text) so that a test states exactly what a caller receives.
 *
 * The large-sheet test reads 300,000 rows in a child process and compares its peak
 * RSS with a child that reads 3,000: memory must not grow with rows. Under valgrind
 * or a sanitizer it reads fewer rows and does not measure.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sheet.h"
#include "sheet_int.h"   /* sheet_parse_double, sheet_quote */
#include "soko.h"

/* ================================================================ fixtures */

static char tmpdir[256];
static char bindir[PATH_MAX];

static const char *fx(const char *name)
{
    static char ring[8][PATH_MAX + 300];
    static int k;
    char *p = ring[k++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", tmpdir, name);
    return p;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static const char *python(void)
{
    const char *p = getenv("SOKO_PYTHON");
    if (p && *p) return p;
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* tests/fixtures/gen_xls.py from the source tree: the working directory (make runs
 * the tests from the top), else relative to the binary in BUILD/tests/. */
static const char *gen_xls(void)
{
    static char p[PATH_MAX + 64];
    const char *top = getenv("SOKO_TOP");
    snprintf(p, sizeof p, "%s/tests/fixtures/gen_xls.py", top && *top ? top : ".");
    if (access(p, R_OK) == 0) return p;
    snprintf(p, sizeof p, "%s/../../tests/fixtures/gen_xls.py", bindir);
    return p;
}

static int under_valgrind_or_sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload") != NULL;
}

static int group_setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/soko-test-sheet-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) return -1;
    ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
    if (n <= 0) return -1;
    bindir[n] = '\0';
    char *slash = strrchr(bindir, '/');
    if (slash) *slash = '\0';
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "'%s/gen_sheets' '%s'", bindir, tmpdir);
    if (run(cmd) != 0) {
        fprintf(stderr, "test_sheet: %s failed (make builds it with the test)\n", cmd);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", python(), gen_xls(), tmpdir);
    if (run(cmd) != 0) {
        fprintf(stderr, "test_sheet: %s failed: the .xls fixtures need python3-xlwt (scripts/deps test)\n", cmd);
        return -1;
    }
    /* basic.xls cut in half */
    FILE *f = fopen(fx("basic.xls"), "rb");
    if (!f) return -1;
    static char half[1 << 16];
    size_t hn = fread(half, 1, sizeof half, f);
    fclose(f);
    f = fopen(fx("truncated.xls"), "wb");
    if (!f || fwrite(half, 1, hn / 2, f) != hn / 2 || fclose(f) != 0) return -1;
    f = fopen(fx("plain.csv"), "w");
    if (!f) return -1;
    fputs("school_id;name\n344;Школа № 344\n", f);
    fclose(f);
    f = fopen(fx("empty.csv"), "w");
    if (!f) return -1;
    fclose(f);
    f = fopen(fx("pk.csv"), "w");
    if (!f) return -1;
    fputs("PK", f);   /* too short to be a zip */
    fclose(f);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return run(cmd) == 0 ? 0 : -1;
}

/* ================================================================ reading */

struct got {
    struct sbuf dump;
    long rows;
    long stop_after;       /* > 0: SHEET_STOP after that many rows */
    int fail_at;           /* > 0: return SOKO_EDB at that row number */
    long keep_row, keep_col;
    char *kept;            /* that cell's text */
};

static int collect_row(void *ctx, const struct sheet_row *r, struct soko_diag *d)
{
    (void)d;
    struct got *g = ctx;
    static const char letter[] = "ESNBDX";
    /* the contract of sheet.h, for every row */
    assert_true(r->row >= 1 && r->row <= SHEET_MAX_ROW);
    assert_true(r->ncells >= 1 && r->ncells <= (size_t)SHEET_MAX_COL);
    assert_true(r->cells[r->ncells - 1].type != SHEET_EMPTY);
    if (g->fail_at && r->row == g->fail_at) return SOKO_EDB;
    sbuf_printf(&g->dump, "%s%ld:", g->dump.len ? "\n" : "", r->row);
    for (size_t i = 0; i < r->ncells; i++) {
        const struct sheet_cell *c = &r->cells[i];
        assert_non_null(c->text);
        assert_int_equal(strlen(c->text), c->len);
        assert_true((c->type == SHEET_EMPTY) == (c->len == 0));
        if (i) sbuf_addc(&g->dump, '|');
        sbuf_addc(&g->dump, letter[c->type]);
        if (c->merge == SHEET_MERGE_ORIGIN) sbuf_addc(&g->dump, '^');
        if (c->merge == SHEET_MERGE_COPY) sbuf_addc(&g->dump, '~');
        if (c->len > 200) sbuf_printf(&g->dump, "<%zu bytes>", c->len);
        else sbuf_add(&g->dump, c->text, c->len);
        if (r->row == g->keep_row && (long)i + 1 == g->keep_col) {
            free(g->kept);
            g->kept = xstrdup(c->text);
        }
    }
    g->rows++;
    if (g->stop_after && g->rows >= g->stop_after) return SHEET_STOP;
    return SOKO_OK;
}

static void got_free(struct got *g)
{
    sbuf_free(&g->dump);
    free(g->kept);
}

/* Opens file (must succeed), reads sheet spec with fill, returns the rc of the read. */
static int read_sheet(const char *file, const char *spec, long fill, const struct sheet_limits *lim,
                      struct got *g, struct soko_diag *d, enum sheet_err *err)
{
    struct sheet_book *b = NULL;
    enum sheet_err oe;
    int rc = sheet_open(file, lim, &b, &oe, d);
    if (rc != SOKO_OK) {
        for (size_t i = 0; i < d->nmsgs; i++) fprintf(stderr, "  %s\n", d->msgs[i]);
        fail_msg("cannot open %s: %s", file, sheet_err_name(oe));
    }
    size_t idx;
    assert_int_equal(sheet_find(b, spec, &idx, d), SOKO_OK);
    struct sheet_read_opts o = {fill};
    rc = sheet_read(b, idx, &o, collect_row, g, d);
    if (err) *err = sheet_error(b);
    sheet_close(b);
    if (!g->dump.s) sbuf_adds(&g->dump, "");
    return rc;
}

/* The whole sheet as text; fails the test when reading fails. */
static void expect_sheet(const char *file, const char *spec, long fill, const char *want)
{
    struct got g = {SBUF_INIT, 0, 0, 0, 0, 0, NULL};
    struct soko_diag d;
    soko_diag_init(&d, 0);
    int rc = read_sheet(file, spec, fill, NULL, &g, &d, NULL);
    if (rc != SOKO_OK) fail_msg("%s[%s]: %s", file, spec, d.nmsgs ? d.msgs[0] : "?");
    assert_int_equal(d.total, 0);
    if (strcmp(g.dump.s, want) != 0) {
        fprintf(stderr, "%s[%s] fill %ld:\n--- got\n%s\n--- want\n%s\n", file, spec, fill, g.dump.s, want);
        fail();
    }
    got_free(&g);
    soko_diag_free(&d);
}

/* The one message of d: begins with path, contains what. */
static void expect_msg(const struct soko_diag *d, const char *path, const char *what)
{
    if (d->nmsgs != 1 || strncmp(d->msgs[0], path, strlen(path)) != 0 || !strstr(d->msgs[0], what)) {
        for (size_t i = 0; i < d->nmsgs; i++) fprintf(stderr, "  got: %s\n", d->msgs[i]);
        fail_msg("expected one message starting '%s' with '%s'", path, what);
    }
}

/* ================================================================ helpers */

static void test_col_letters(void **state)
{
    (void)state;
    static const struct { long col; const char *s; } tab[] = {
        {1, "A"}, {2, "B"}, {26, "Z"}, {27, "AA"}, {52, "AZ"}, {53, "BA"}, {702, "ZZ"},
        {703, "AAA"}, {16384, "XFD"}, {18278, "ZZZ"}, {18279, "AAAA"},
    };
    char buf[8];
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        assert_int_equal(sheet_col_letters(tab[i].col, buf), 0);
        assert_string_equal(buf, tab[i].s);
        assert_int_equal(sheet_col_number(tab[i].s, strlen(tab[i].s)), tab[i].col);
    }
    for (long c = 1; c <= 20000; c++) {
        assert_int_equal(sheet_col_letters(c, buf), 0);
        assert_int_equal(sheet_col_number(buf, strlen(buf)), c);
    }
    assert_int_equal(sheet_col_letters(0, buf), -1);
    assert_string_equal(buf, "");
    assert_int_equal(sheet_col_letters(-5, buf), -1);
    assert_int_equal(sheet_col_letters(LONG_MAX, buf), -1);
    assert_int_equal(sheet_col_number("xfd", 3), 16384);
    assert_int_equal(sheet_col_number("A1", 2), -1);
    assert_int_equal(sheet_col_number("", 0), -1);
    assert_int_equal(sheet_col_number("ABCDEFGH", 8), -1);

    long r, c;
    assert_int_equal(sheet_parse_ref("F12", 3, &r, &c), 0);
    assert_int_equal(r, 12);
    assert_int_equal(c, 6);
    assert_int_equal(sheet_parse_ref("XFD1048576", 10, &r, &c), 0);
    assert_int_equal(r, 1048576);
    assert_int_equal(c, 16384);
    assert_int_equal(sheet_parse_ref("aa3", 3, &r, &c), 0);
    assert_int_equal(c, 27);
    assert_int_equal(sheet_parse_ref("D", 1, &r, &c), 0);
    assert_int_equal(r, 0);
    assert_int_equal(sheet_parse_ref("XFE1", 4, &r, &c), -1);
    assert_int_equal(sheet_parse_ref("A1048577", 8, &r, &c), -1);
    assert_int_equal(sheet_parse_ref("A0", 2, &r, &c), -1);
    assert_int_equal(sheet_parse_ref("A01", 3, &r, &c), -1);
    assert_int_equal(sheet_parse_ref("$A$1", 4, &r, &c), -1);
    assert_int_equal(sheet_parse_ref("1", 1, &r, &c), -1);
    assert_int_equal(sheet_parse_ref("A1B", 3, &r, &c), -1);
    struct sheet_range g;
    assert_int_equal(sheet_parse_range("A1:D2", 5, &g), 0);
    assert_true(g.row1 == 1 && g.col1 == 1 && g.row2 == 2 && g.col2 == 4);
    assert_int_equal(sheet_parse_range("D2:A1", 5, &g), 0);
    assert_true(g.row1 == 1 && g.col1 == 1 && g.row2 == 2 && g.col2 == 4);
    assert_int_equal(sheet_parse_range("B3", 2, &g), 0);
    assert_true(g.row1 == 3 && g.row2 == 3 && g.col1 == 2 && g.col2 == 2);
    assert_int_equal(sheet_parse_range("A1:", 3, &g), -1);
    assert_int_equal(sheet_parse_range("A:B", 3, &g), -1);
}

static void test_format_number(void **state)
{
    (void)state;
    static const struct { double x; const char *s; } tab[] = {
        {12, "12"}, {0.5, "0.5"}, {49.73, "49.73"}, {-3, "-3"}, {-3.5, "-3.5"}, {100, "100"},
        {1234567890123.0, "1234567890123"}, {0.1, "0.1"}, {0.30000000000000004, "0.30000000000000004"},
        {49.729999999999997, "49.73"}, {1e20, "100000000000000000000"}, {1e21, "1e+21"},
        {1e-7, "0.0000001"}, {1.5e-7, "0.00000015"}, {1e-8, "1e-8"}, {0.000123, "0.000123"},
        {-0.0, "0"}, {0, "0"}, {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
        {123456.789, "123456.789"}, {2.5e25, "2.5e+25"}, {9007199254740993.0, "9007199254740992"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        size_t n = sheet_format_number(tab[i].x, buf);
        assert_string_equal(buf, tab[i].s);
        assert_int_equal(n, strlen(tab[i].s));
    }
    /* shortest and exact: every text reads back as the same double */
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double x;
        uint64_t bits = s;
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x)) continue;
        sheet_format_number(x, buf);
        assert_true(strtod(buf, NULL) == x || (x == 0 && strcmp(buf, "0") == 0));
        assert_null(strchr(buf, ','));
    }
    /* file text in messages: cut at a character, never invalid UTF-8 */
    char q[16], q12[12];
    assert_string_equal(sheet_quote(q12, sizeof q12, "Группа", 12), "Груп...");
    assert_string_equal(sheet_quote(q, sizeof q, "Группа", 12), "Группа");
    assert_string_equal(sheet_quote(q, sizeof q, "ab\xFF\ncd", 6), "ab\\xFF\\x0Acd");
    assert_string_equal(sheet_quote(q, sizeof q, "\xD0", 1), "\\xD0");
    assert_string_equal(sheet_quote(q, sizeof q, "", 0), "");
    double x;
    assert_int_equal(sheet_parse_double(" 49.73\n", 7, &x), 0);
    assert_true(x == 49.73);
    assert_int_equal(sheet_parse_double("1E-3", 4, &x), 0);
    assert_true(x == 0.001);
    assert_int_equal(sheet_parse_double("-0", 2, &x), 0);
    assert_true(x == 0 && !signbit(x));
    assert_int_equal(sheet_parse_double("12,5", 4, &x), -1);
    assert_int_equal(sheet_parse_double("inf", 3, &x), -1);
    assert_int_equal(sheet_parse_double("nan", 3, &x), -1);
    assert_int_equal(sheet_parse_double("0x10", 4, &x), -1);
    assert_int_equal(sheet_parse_double("1e999", 5, &x), -1);
    assert_int_equal(sheet_parse_double(".", 1, &x), -1);
    assert_int_equal(sheet_parse_double("", 0, &x), -1);
}

static void test_format_kind(void **state)
{
    (void)state;
    static const struct { int id; const char *code; enum sheet_fmt k; } tab[] = {
        {14, NULL, SHEET_FMT_DATE}, {15, NULL, SHEET_FMT_DATE}, {17, NULL, SHEET_FMT_DATE},
        {22, NULL, SHEET_FMT_DATETIME}, {18, NULL, SHEET_FMT_NUMBER}, {21, NULL, SHEET_FMT_NUMBER},
        {45, NULL, SHEET_FMT_NUMBER}, {47, NULL, SHEET_FMT_NUMBER}, {0, NULL, SHEET_FMT_NUMBER},
        {2, NULL, SHEET_FMT_NUMBER}, {49, NULL, SHEET_FMT_NUMBER},
        {164, "dd.mm.yyyy", SHEET_FMT_DATE}, {164, "DD.MM.YYYY", SHEET_FMT_DATE},
        {164, "dd/mm/yyyy hh:mm", SHEET_FMT_DATETIME}, {164, "yyyy\\-mm\\-dd\\Thh:mm:ss", SHEET_FMT_DATETIME},
        {164, "h:mm", SHEET_FMT_NUMBER}, {164, "[h]:mm:ss", SHEET_FMT_NUMBER}, {164, "mm:ss", SHEET_FMT_NUMBER},
        {164, "mmm-yy", SHEET_FMT_DATE}, {164, "mmmm", SHEET_FMT_DATE}, {164, "0.00", SHEET_FMT_NUMBER},
        {164, "0.0\" days\"", SHEET_FMT_NUMBER}, {164, "[Red]0.00", SHEET_FMT_NUMBER},
        {164, "[$-419]d mmmm yyyy;@", SHEET_FMT_DATE}, {164, "General", SHEET_FMT_NUMBER},
        {164, "Standard", SHEET_FMT_NUMBER}, {164, "#,##0\\ \"₽\"", SHEET_FMT_NUMBER},
        {164, "\"d\"0", SHEET_FMT_NUMBER}, {164, "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy", SHEET_FMT_DATE},
        {164, "_-* #,##0.00\\ _₽_-;\\-* #,##0.00\\ _₽_-;_-* \"-\"??\\ _₽_-;_-@_-", SHEET_FMT_NUMBER},
        {164, "0.00;[Red]-0.00;\"d\"", SHEET_FMT_NUMBER}, {164, "@", SHEET_FMT_NUMBER},
        {164, "h:mm AM/PM", SHEET_FMT_NUMBER}, {164, "d", SHEET_FMT_DATE}, {164, "", SHEET_FMT_NUMBER},
        {14, "0.00", SHEET_FMT_NUMBER},   /* a redefined built-in: the code counts */
        {164, "\"unclosed", SHEET_FMT_NUMBER}, {164, "[unclosed", SHEET_FMT_NUMBER}, {164, "\\", SHEET_FMT_NUMBER},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (sheet_format_kind(tab[i].id, tab[i].code) != tab[i].k)
            fail_msg("format %d '%s': got %d, want %d", tab[i].id, tab[i].code ? tab[i].code : "(null)",
                     sheet_format_kind(tab[i].id, tab[i].code), tab[i].k);
}

static void test_serial_to_iso(void **state)
{
    (void)state;
    static const struct { double s; int d1904, time; const char *iso; } tab[] = {
        {1, 0, 0, "1900-01-01"}, {59, 0, 0, "1900-02-28"}, {60, 0, 0, ""}, {61, 0, 0, "1900-03-01"},
        {45000, 0, 0, "2023-03-15"}, {45034, 0, 0, "2023-04-18"}, {44197, 0, 0, "2021-01-01"},
        {45000.5, 0, 1, "2023-03-15T12:00:00"}, {45000.5, 0, 0, "2023-03-15"},
        {45000.99999999, 0, 1, "2023-03-16T00:00:00"}, {45000.0104166667, 0, 1, "2023-03-15T00:15:00"},
        {0, 0, 0, ""}, {0.5, 0, 1, ""}, {-1, 0, 0, ""}, {2958465, 0, 0, "9999-12-31"}, {2958466, 0, 0, ""},
        {0, 1, 0, "1904-01-01"}, {1, 1, 0, "1904-01-02"}, {43572, 1, 0, "2023-04-18"},
        {2957003, 1, 0, "9999-12-31"}, {2957004, 1, 0, ""}, {0.25, 1, 1, "1904-01-01T06:00:00"},
        {NAN, 0, 0, ""}, {INFINITY, 0, 0, ""}, {1e300, 0, 0, ""},
    };
    char buf[24];
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        size_t n = sheet_serial_to_iso(tab[i].s, tab[i].d1904, tab[i].time, buf);
        if (strcmp(n ? buf : "", tab[i].iso) != 0)
            fail_msg("serial %.10g (1904=%d): got '%s', want '%s'", tab[i].s, tab[i].d1904, n ? buf : "",
                     tab[i].iso);
        assert_int_equal(n, strlen(tab[i].iso));
    }
}

/* ================================================================ detection, opening */

static void test_sniff(void **state)
{
    (void)state;
    static const struct { const char *file; enum sheet_kind k; } tab[] = {
        {"basic.xlsx", SHEET_KIND_XLSX}, {"inline.xlsx", SHEET_KIND_XLSX}, {"basic.xls", SHEET_KIND_XLS},
        {"encrypted.xlsx", SHEET_KIND_ENCRYPTED}, {"encrypted-small.xlsx", SHEET_KIND_ENCRYPTED},
        {"word.doc", SHEET_KIND_OLE_OTHER}, {"plain.csv", SHEET_KIND_NONE}, {"empty.csv", SHEET_KIND_NONE},
        {"pk.csv", SHEET_KIND_NONE}, {"corrupt.xlsx", SHEET_KIND_XLSX}, {"notbook.zip", SHEET_KIND_XLSX},
        {"filepass.xls", SHEET_KIND_XLS}, {"protected.xls", SHEET_KIND_XLS},
    };
    struct soko_diag d;
    soko_diag_init(&d, 0);
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        enum sheet_kind k = (enum sheet_kind)99;
        assert_int_equal(sheet_sniff(fx(tab[i].file), &k, &d), SOKO_OK);
        if (k != tab[i].k) fail_msg("%s: %s, want %s", tab[i].file, sheet_kind_name(k), sheet_kind_name(tab[i].k));
    }
    assert_int_equal(d.total, 0);
    enum sheet_kind k;
    const char *missing = fx("no-such-file.xlsx");
    assert_int_equal(sheet_sniff(missing, &k, &d), SOKO_EIO);
    expect_msg(&d, missing, "cannot open");
    soko_diag_clear(&d);
    assert_int_equal(sheet_sniff(tmpdir, &k, &d), SOKO_EIO);
    expect_msg(&d, tmpdir, "cannot read");
    soko_diag_free(&d);
}

static void test_open_errors(void **state)
{
    (void)state;
    static const struct { const char *file; int rc; enum sheet_err err; const char *msg; } tab[] = {
        {"corrupt.xlsx", SOKO_EINPUT, SHEET_ERR_CORRUPT, ": not a readable zip archive (damaged or cut short?)"},
        {"truncated.xlsx", SOKO_EINPUT, SHEET_ERR_CORRUPT, ": not a readable zip archive"},
        {"truncated.xls", SOKO_EINPUT, SHEET_ERR_CORRUPT, ": not a readable .xls file: it has a damaged OLE2 sector table"},
        {"notbook.zip", SOKO_EINPUT, SHEET_ERR_NOT_SHEET, ": a zip archive without xl/workbook.xml: not an Excel workbook"},
        {"word.docx", SOKO_EINPUT, SHEET_ERR_NOT_SHEET, "main part word/document.xml is a <document>"},
        {"calc.ods", SOKO_EINPUT, SHEET_ERR_UNSUPPORTED, "an OpenDocument file (.ods)"},
        {"binary.xlsb", SOKO_EINPUT, SHEET_ERR_UNSUPPORTED, "a binary workbook (.xlsb)"},
        {"encrypted.xlsx", SOKO_EINPUT, SHEET_ERR_ENCRYPTED, ": the workbook is password-protected"},
        {"encrypted-small.xlsx", SOKO_EINPUT, SHEET_ERR_ENCRYPTED, "password-protected"},
        {"filepass.xls", SOKO_EINPUT, SHEET_ERR_ENCRYPTED, ": the workbook is password-protected"},
        {"protected.xls", SOKO_EINPUT, SHEET_ERR_ENCRYPTED, ": the workbook is password-protected"},
        {"word.doc", SOKO_EINPUT, SHEET_ERR_NOT_SHEET, "an OLE2 file without a workbook stream"},
        {"plain.csv", SOKO_EINPUT, SHEET_ERR_NOT_SHEET, ": not a spreadsheet"},
        {"empty.csv", SOKO_EINPUT, SHEET_ERR_NOT_SHEET, ": not a spreadsheet"},
        {"no-such-file.xlsx", SOKO_EIO, SHEET_ERR_IO, ": cannot open: "},
        /* found by fuzz_sheet: libfreexl would read past a buffer on this one */
        {"longname.xls", SOKO_EINPUT, SHEET_ERR_CORRUPT,
         ": not a readable .xls file: it has a damaged OLE2 directory (a name longer than 32 characters)"},
        {"chart.xls", SOKO_EINPUT, SHEET_ERR_UNSUPPORTED,
         "[Диаграмма]: the sheet holds an embedded chart or object, which libfreexl cannot read; save the workbook as .xlsx"},
        /* found by fuzz_sheet: libfreexl would free past its cell array */
        {"twodim.xls", SOKO_EINPUT, SHEET_ERR_CORRUPT, "[Диаграмма]: the sheet has more than one DIMENSION record"},
        /* found by fuzz_sheet: libfreexl would copy past its record buffer */
        {"fmtlen.xls", SOKO_EINPUT, SHEET_ERR_CORRUPT, ": a FORMAT record is shorter than its text"},
        {"labellen.xls", SOKO_EINPUT, SHEET_ERR_CORRUPT, "[Формат]:3:B: a LABEL record is shorter than its text"},
        {"verylong.xls", SOKO_EINPUT, SHEET_ERR_UNSUPPORTED,
         ": a shared string is split across records in a way libfreexl cannot read (a very long text?)"},
        {"bigdate.xls", SOKO_EINPUT, SHEET_ERR_CORRUPT,
         "[Даты]:3:B: the cell holds 3000000 in a date format, after 9999-12-31 (Excel shows ####)"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct sheet_book *b = (struct sheet_book *)&d;
        enum sheet_err e = SHEET_ERR_NONE;
        const char *path = fx(tab[i].file);
        int rc = sheet_open(path, NULL, &b, &e, &d);
        if (rc != tab[i].rc || e != tab[i].err)
            fail_msg("%s: rc %d err %s, want %d %s", tab[i].file, rc, sheet_err_name(e), tab[i].rc,
                     sheet_err_name(tab[i].err));
        assert_null(b);
        expect_msg(&d, path, tab[i].msg);
        soko_diag_free(&d);
    }
}

/* ================================================================ .xlsx */

static const char BASIC_SHEET1[] =
    "1:SВПР 2023. 5 класс\n"
    "2:SПредмет:|SМатематика\n"
    "4:SГруппы участников|SКол-во ОО|SКол-во участников|SРаспределение отметок в %\n"
    "5:E|E|E|S2|S3|S4|S5\n"
    "6:S(edu123456) ГБОУ СОШ № 1|N1|N25|N4|N49.73|N34.27|N12\n"
    "7:N-3.5|N1234567890123|N0.1|N1e+22|N0.000001|BTRUE|BFALSE\n"
    "8:D2023-04-18|D2024-03-01T10:30:15|N0.5|N60|D1900-01-01|D1900-03-01\n"
    "9:N50|Sedu1\n"
    "12:E|E|E|E|E|SF12 alone\n"
    "13:SМатематика|S  spaces kept  ";

static const char BASIC_SHEET1_FILLED[] =
    "1:SВПР 2023. 5 класс\n"
    "2:SПредмет:|SМатематика\n"
    "4:S^Группы участников|S^Кол-во ОО|S^Кол-во участников|S^Распределение отметок в %"
    "|S~Распределение отметок в %|S~Распределение отметок в %|S~Распределение отметок в %\n"
    "5:S~Группы участников|S~Кол-во ОО|S~Кол-во участников|S2|S3|S4|S5\n"
    "6:S(edu123456) ГБОУ СОШ № 1|N1|N25|N4|N49.73|N34.27|N12\n"
    "7:N-3.5|N1234567890123|N0.1|N1e+22|N0.000001|BTRUE|BFALSE\n"
    "8:D2023-04-18|D2024-03-01T10:30:15|N0.5|N60|D1900-01-01|D1900-03-01\n"
    "9:N50|Sedu1\n"
    "12:E|E|E|E|E|SF12 alone\n"
    "13:SМатематика|S  spaces kept  ";

static const char BASIC_MATH_FILLED[] =
    "1:S^Распределение групп баллов в %|S~Распределение групп баллов в %|S~Распределение групп баллов в %"
    "|S~Распределение групп баллов в %\n"
    "2:S~Распределение групп баллов в %|S~Распределение групп баллов в %|S~Распределение групп баллов в %"
    "|S~Распределение групп баллов в %\n"
    "3:S2|E|E|S5\n"
    "4:N10.5";

static void test_xlsx_basic(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct sheet_book *b;
    assert_int_equal(sheet_open(fx("basic.xlsx"), NULL, &b, NULL, &d), SOKO_OK);
    assert_int_equal(sheet_book_kind(b), SHEET_KIND_XLSX);
    assert_int_equal(sheet_count(b), 3);
    assert_string_equal(sheet_name(b, 0), "Лист1");
    assert_string_equal(sheet_name(b, 1), "Математика");
    assert_string_equal(sheet_name(b, 2), "Скрытый");
    assert_int_equal(sheet_hidden(b, 0), 0);
    assert_int_equal(sheet_hidden(b, 2), 1);
    assert_int_equal(sheet_date1904(b), 0);
    /* the merged ranges, sorted, of each sheet */
    const struct sheet_range *m;
    size_t n;
    assert_int_equal(sheet_merges(b, 0, &m, &n, &d), SOKO_OK);
    assert_int_equal(n, 4);
    long want[4][4] = {{4, 1, 5, 1}, {4, 2, 5, 2}, {4, 3, 5, 3}, {4, 4, 4, 7}};
    for (size_t i = 0; i < 4; i++)
        assert_true(m[i].row1 == want[i][0] && m[i].col1 == want[i][1] && m[i].row2 == want[i][2] &&
                    m[i].col2 == want[i][3]);
    assert_int_equal(sheet_merges(b, 1, &m, &n, &d), SOKO_OK);
    assert_int_equal(n, 1);
    assert_true(m[0].row1 == 1 && m[0].col1 == 1 && m[0].row2 == 2 && m[0].col2 == 4);
    assert_int_equal(sheet_merges(b, 2, &m, &n, &d), SOKO_OK);
    assert_int_equal(n, 0);
    assert_int_equal(d.total, 0);
    sheet_close(b);
    soko_diag_free(&d);

    expect_sheet(fx("basic.xlsx"), "Лист1", 0, BASIC_SHEET1);
    expect_sheet(fx("basic.xlsx"), "Лист1", 5, BASIC_SHEET1_FILLED);
    /* a fill that stops inside the header: row 5 keeps its empties */
    struct got g = {SBUF_INIT, 0, 0, 0, 0, 0, NULL};
    soko_diag_init(&d, 0);
    assert_int_equal(read_sheet(fx("basic.xlsx"), "1", 4, NULL, &g, &d, NULL), SOKO_OK);
    assert_non_null(strstr(g.dump.s, "\n5:E|E|E|S2|S3|S4|S5\n"));
    assert_non_null(strstr(g.dump.s, "\n4:S^Группы участников|S^Кол-во ОО|"));
    got_free(&g);
    soko_diag_free(&d);
    expect_sheet(fx("basic.xlsx"), "Математика", 2, BASIC_MATH_FILLED);
    expect_sheet(fx("basic.xlsx"), "Математика", 0, "1:SРаспределение групп баллов в %\n3:S2|E|E|S5\n4:N10.5");
    expect_sheet(fx("basic.xlsx"), "3", 0, "1:Shidden");
}

static void test_xlsx_inline_and_handmade(void **state)
{
    (void)state;
    expect_sheet(fx("inline.xlsx"), "Данные", 0,
                 "1:SКод ОО|SБалл\n2:Sedu0001|N17\n4:E|E|SC4 & <tag> \"quoted\"");

    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct sheet_book *b;
    assert_int_equal(sheet_open(fx("handmade.xlsx"), NULL, &b, NULL, &d), SOKO_OK);
    assert_int_equal(sheet_count(b), 3);
    assert_string_equal(sheet_name(b, 0), "Первый");
    assert_string_equal(sheet_name(b, 1), "Второй");
    assert_string_equal(sheet_name(b, 2), "Диаграмма");
    assert_int_equal(sheet_hidden(b, 1), 1);   /* veryHidden */
    assert_int_equal(sheet_date1904(b), 1);
    sheet_close(b);
    soko_diag_free(&d);
    /* shared strings: rich runs joined (a preserved space inside), the phonetic run
     * left out, _x000D_ decoded, _x005F_ keeping the literal _x0041_, a surrogate pair,
     * an empty string; dates of the 1904 system; a time only and a quoted "d" stay
     * numbers; t="b", "e", "d", "str" (escaped newline), inline rich text */
    expect_sheet(fx("handmade.xlsx"), "Первый", 0,
                 "1:SШкола|SРаспре деление|Sa\rb_x0041_c\xF0\x9F\x98\x80|E|SШкола\n"
                 "2:D1904-01-01|D2027-03-16|N1.5|D2027-03-16|D2027-03-16T18:00:00|N3\n"
                 "5:E|E|BTRUE|X#N/A|D2024-04-18|D2024-04-18T09:05:00|N49.73|N0.001|Sline\ntwo|Sinline");
    expect_sheet(fx("handmade.xlsx"), "Первый", 1,
                 "1:S^Школа|S~Школа|Sa\rb_x0041_c\xF0\x9F\x98\x80|E|SШкола\n"
                 "2:D1904-01-01|D2027-03-16|N1.5|D2027-03-16|D2027-03-16T18:00:00|N3\n"
                 "5:E|E|BTRUE|X#N/A|D2024-04-18|D2024-04-18T09:05:00|N49.73|N0.001|Sline\ntwo|Sinline");
    expect_sheet(fx("handmade.xlsx"), "второй", 0, "2:E|N7");

    /* names as kept: control characters as '?', at most 255 bytes cut at a character */
    assert_int_equal(sheet_open(fx("names.xlsx"), NULL, &b, NULL, &d), SOKO_OK);
    assert_int_equal(sheet_count(b), 2);
    assert_string_equal(sheet_name(b, 0), "Tab?here");
    assert_int_equal(strlen(sheet_name(b, 1)), 254);
    for (size_t i = 0; i < 254; i += 2) assert_memory_equal(sheet_name(b, 1) + i, "Я", 2);
    sheet_close(b);
    expect_sheet(fx("handmade.xlsx"), "Диаграмма", 3, "");
}

static void test_find(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct sheet_book *b;
    assert_int_equal(sheet_open(fx("basic.xlsx"), NULL, &b, NULL, &d), SOKO_OK);
    size_t i = 99;
    assert_int_equal(sheet_find(b, "Математика", &i, &d), SOKO_OK);
    assert_int_equal(i, 1);
    assert_int_equal(sheet_find(b, "МАТЕМАТИКА", &i, &d), SOKO_OK);
    assert_int_equal(i, 1);
    assert_int_equal(sheet_find(b, "лист1", &i, &d), SOKO_OK);
    assert_int_equal(i, 0);
    assert_int_equal(sheet_find(b, "3", &i, &d), SOKO_OK);
    assert_int_equal(i, 2);
    assert_int_equal(d.total, 0);
    const char *bad[] = {"Физика", "0", "4", "-1", "1x", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(sheet_find(b, bad[k], &i, &d), SOKO_EINPUT);
        assert_int_equal(sheet_error(b), SHEET_ERR_NO_SHEET);
        char want[128];
        snprintf(want, sizeof want, ": no sheet '%s'; the sheets are 1 'Лист1', 2 'Математика', 3 'Скрытый'", bad[k]);
        expect_msg(&d, fx("basic.xlsx"), want);
        soko_diag_clear(&d);
    }
    /* a number out of range when reading or asking for merges */
    struct got g = {SBUF_INIT, 0, 0, 0, 0, 0, NULL};
    assert_int_equal(sheet_read(b, 3, NULL, collect_row, &g, &d), SOKO_EINPUT);
    assert_int_equal(sheet_error(b), SHEET_ERR_NO_SHEET);
    expect_msg(&d, fx("basic.xlsx"), ": no sheet number 4; the workbook has 3");
    soko_diag_clear(&d);
    const struct sheet_range *m;
    size_t n;
    assert_int_equal(sheet_merges(b, 7, &m, &n, &d), SOKO_EINPUT);
    assert_int_equal(g.rows, 0);
    got_free(&g);
    sheet_close(b);
    soko_diag_free(&d);
}

/* ================================================================ .xls */

static void test_xls(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct sheet_book *b;
    assert_int_equal(sheet_open(fx("basic.xls"), NULL, &b, NULL, &d), SOKO_OK);
    assert_int_equal(sheet_book_kind(b), SHEET_KIND_XLS);
    assert_int_equal(sheet_count(b), 3);
    assert_string_equal(sheet_name(b, 0), "Лист1");
    assert_string_equal(sheet_name(b, 1), "Математика");
    assert_string_equal(sheet_name(b, 2), "Скрытый");
    assert_int_equal(sheet_hidden(b, 0), 0);
    assert_int_equal(sheet_hidden(b, 2), 1);
    assert_int_equal(sheet_date1904(b), 0);
    const struct sheet_range *m;
    size_t n;
    assert_int_equal(sheet_merges(b, 0, &m, &n, &d), SOKO_OK);
    assert_int_equal(n, 4);
    long want[4][4] = {{4, 1, 5, 1}, {4, 2, 5, 2}, {4, 3, 5, 3}, {4, 4, 4, 7}};
    for (size_t i = 0; i < 4; i++)
        assert_true(m[i].row1 == want[i][0] && m[i].col1 == want[i][1] && m[i].row2 == want[i][2] &&
                    m[i].col2 == want[i][3]);
    assert_int_equal(sheet_merges(b, 1, &m, &n, &d), SOKO_OK);
    assert_int_equal(n, 1);
    assert_true(m[0].row1 == 1 && m[0].col1 == 1 && m[0].row2 == 2 && m[0].col2 == 4);
    sheet_close(b);

    /* the same layout as basic.xlsx; booleans and errors told apart, formulas give
     * their cached results (number, text, boolean, error, date, "", a long text in
     * CONTINUE records) */
    static const char sheet1[] =
        "1:SВПР 2023. 5 класс\n"
        "2:SПредмет:|SМатематика\n"
        "4:S^Группы участников|S^Кол-во ОО|S^Кол-во участников|S^Распределение отметок в %"
        "|S~Распределение отметок в %|S~Распределение отметок в %|S~Распределение отметок в %\n"
        "5:S~Группы участников|S~Кол-во ОО|S~Кол-во участников|S2|S3|S4|S5\n"
        "6:S(edu123456) ГБОУ СОШ № 1|N1|N25|N4|N49.73|N34.27|N12\n"
        "7:N-3.5|N1234567890123|N0.1|BTRUE|BFALSE|X#N/A|X#DIV/0!\n"
        "8:D2023-04-18|D2024-03-01T10:30:15|N0.5|N45000\n"
        "9:N50|Sedu1|BTRUE|X#DIV/0!|D2023-04-19|E|S<12000 bytes>\n"
        "12:E|E|E|E|E|SF12 alone";
    expect_sheet(fx("basic.xls"), "Лист1", 5, sheet1);
    struct got g = {SBUF_INIT, 0, 0, 0, 9, 7, NULL};
    assert_int_equal(read_sheet(fx("basic.xls"), "1", 0, NULL, &g, &d, NULL), SOKO_OK);
    assert_non_null(g.kept);
    assert_int_equal(strlen(g.kept), 12000);
    for (size_t i = 0; i < 12000; i += 2) assert_memory_equal(g.kept + i, "Ж", 2);
    assert_non_null(strstr(g.dump.s, "\n4:SГруппы участников|SКол-во ОО|SКол-во участников|SРаспределение отметок в %\n"
                                     "5:E|E|E|S2|S3|S4|S5\n"));
    got_free(&g);
    /* a shared string over the SST record and one CONTINUE reads whole */
    g = (struct got){SBUF_INIT, 0, 0, 0, 1, 1, NULL};
    assert_int_equal(read_sheet(fx("longtext.xls"), "Текст", 0, NULL, &g, &d, NULL), SOKO_OK);
    assert_string_equal(g.dump.s, "1:S<10000 bytes>|Sпосле");
    for (size_t i = 0; i < 10000; i += 2) assert_memory_equal(g.kept + i, "Ж", 2);
    got_free(&g);
    expect_sheet(fx("basic.xls"), "Математика", 2, BASIC_MATH_FILLED);
    expect_sheet(fx("basic.xls"), "Скрытый", 0, "1:Shidden");

    assert_int_equal(sheet_open(fx("date1904.xls"), NULL, &b, NULL, &d), SOKO_OK);
    assert_int_equal(sheet_date1904(b), 1);
    sheet_close(b);
    /* A1 a date of the 1904 system; C1 a formula giving serial 0 (1904-01-01). B1 is
     * serial 0 too, given by freexl as 1904-01-02 (its off-by-one, docs). */
    g = (struct got){SBUF_INIT, 0, 0, 0, 1, 3, NULL};
    assert_int_equal(read_sheet(fx("date1904.xls"), "1904", 0, NULL, &g, &d, NULL), SOKO_OK);
    assert_int_equal(strncmp(g.dump.s, "1:D2023-04-18|D", 15), 0);
    assert_string_equal(g.kept, "1904-01-01");
    assert_int_equal(g.rows, 1);
    got_free(&g);
    assert_int_equal(d.total, 0);
    soko_diag_free(&d);
}

/* ================================================================ errors while reading */

static void test_read_errors(void **state)
{
    (void)state;
    struct sheet_limits small = {.max_cell_bytes = 1000, .max_part_bytes = 1 << 20};
    static const struct {
        const char *file;
        long fill;
        int small;
        enum sheet_err err;
        const char *msg;      /* after the file name */
        const char *rows;     /* what reached the callback before */
    } tab[] = {
        {"rows-back.xlsx", 0, 0, SHEET_ERR_MALFORMED, "[S]:3: row 3 comes after row 5; expected rows in ascending order", "5:N1"},
        {"bad-ref.xlsx", 0, 0, SHEET_ERR_MALFORMED, "[S]:2: cell reference 'XFE2' is not a cell of A1:XFD1048576", ""},
        {"bad-row.xlsx", 0, 0, SHEET_ERR_MALFORMED, "[S]: row number '1048577' is outside 1..1048576", ""},
        {"cut-xml.xlsx", 0, 0, SHEET_ERR_MALFORMED,
         "[S]:3: part xl/worksheets/sheet1.xml is not well-formed XML: it ends inside an element (cut short?)", "1:N1"},
        {"dtd.xlsx", 0, 0, SHEET_ERR_MALFORMED, "[S]: part xl/worksheets/sheet1.xml has a DTD (<!DOCTYPE>)", ""},
        {"bad-number.xlsx", 0, 0, SHEET_ERR_MALFORMED, "[S]:4:D: a number cell holds '12,5'; expected a number", ""},
        {"bad-sst.xlsx", 0, 0, SHEET_ERR_MALFORMED, "[S]:1:B: shared string '3' does not exist (the table has 0)", ""},
        {"overlap.xlsx", 3, 0, SHEET_ERR_MALFORMED, "[S]:2:B: merged ranges overlap at B2", "1:S^a|S~a"},
        {"merge-bad.xlsx", 1, 0, SHEET_ERR_MALFORMED, "[S]: merged range 'A1:ZZZZ2' is not a range of A1:XFD1048576", ""},
        /* found by fuzz_sheet: the message quoted the bytes as they were */
        {"merge-bytes.xlsx", 1, 0, SHEET_ERR_MALFORMED, "[S]: merged range '\\xBB\\xCDЖ:A1' is not a range of A1:XFD1048576", ""},
        {"missing-part.xlsx", 0, 0, SHEET_ERR_CORRUPT, "[S]: part xl/worksheets/sheet1.xml of this sheet is missing from the archive", ""},
        {"big-cell.xlsx", 0, 1, SHEET_ERR_LIMIT, "[S]:1:A: the cell holds more than 1000 bytes of text", ""},
        {"bomb.xlsx", 0, 1, SHEET_ERR_LIMIT, ": part xl/worksheets/sheet1.xml is 8388632 bytes uncompressed, more than the limit of 1048576", ""},
        {"bomb.xlsx", 1, 1, SHEET_ERR_LIMIT, "more than the limit of 1048576", ""},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct got g = {SBUF_INIT, 0, 0, 0, 0, 0, NULL};
        enum sheet_err e;
        int rc = read_sheet(fx(tab[i].file), "S", tab[i].fill, tab[i].small ? &small : NULL, &g, &d, &e);
        if (rc != SOKO_EINPUT || e != tab[i].err)
            fail_msg("%s: rc %d err %s (%s), want %s", tab[i].file, rc, sheet_err_name(e),
                     d.nmsgs ? d.msgs[0] : "no message", sheet_err_name(tab[i].err));
        char want[512];
        snprintf(want, sizeof want, "%s%s", fx(tab[i].file), tab[i].msg);
        expect_msg(&d, fx(tab[i].file), tab[i].msg);
        if (tab[i].msg[0] == '[' || tab[i].msg[0] == ':') assert_int_equal(strncmp(d.msgs[0], want, strlen(want)), 0);
        assert_string_equal(g.dump.s, tab[i].rows);
        got_free(&g);
        soko_diag_free(&d);
    }
    /* found by fuzz_sheet: text that is not in the declared encoding is an error of
     * the part, and libxml2 prints nothing (it did, through its global handlers) */
    {
        fflush(stderr);
        int saved = dup(2);
        FILE *cap = tmpfile();
        assert_non_null(cap);
        assert_true(saved >= 0 && dup2(fileno(cap), 2) == 2);
        struct soko_diag d2;
        soko_diag_init(&d2, 0);
        struct got g2 = {SBUF_INIT, 0, 0, 0, 0, 0, NULL};
        enum sheet_err e2;
        int rc2 = read_sheet(fx("bad-encoding.xlsx"), "S", 0, NULL, &g2, &d2, &e2);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        assert_int_equal(rc2, SOKO_EINPUT);
        assert_int_equal(e2, SHEET_ERR_MALFORMED);
        expect_msg(&d2, fx("bad-encoding.xlsx"), "is not well-formed XML: input conversion failed due to input error");
        assert_int_equal(ftell(cap), 0);
        fclose(cap);
        got_free(&g2);
        soko_diag_free(&d2);
    }
    /* damage that shows at the end of a part: rows come first, then the error */
    {
        struct soko_diag d2;
        soko_diag_init(&d2, 0);
        struct got g2 = {SBUF_INIT, 0, 0, 0, 0, 0, NULL};
        enum sheet_err e2;
        assert_int_equal(read_sheet(fx("crc.xlsx"), "S", 0, NULL, &g2, &d2, &e2), SOKO_EINPUT);
        assert_int_equal(e2, SHEET_ERR_CORRUPT);
        expect_msg(&d2, fx("crc.xlsx"), ": part xl/worksheets/sheet1.xml cannot be decompressed: CRC error");
        assert_true(g2.rows > 1000 && g2.rows < 3000);
        assert_int_equal(strncmp(g2.dump.s, "1:N1\n2:N2\n3:N3\n", 15), 0);
        got_free(&g2);
        soko_diag_free(&d2);
    }
    /* .xls: the day steps libfreexl would take for its dates, bounded (the first
     * date, 2023-04-18, is serial 45034) */
    {
        struct sheet_limits days = {.max_xls_date_days = 40000};
        struct soko_diag d2;
        soko_diag_init(&d2, 0);
        struct sheet_book *b2 = NULL;
        enum sheet_err e2;
        assert_int_equal(sheet_open(fx("basic.xls"), &days, &b2, &e2, &d2), SOKO_EINPUT);
        assert_null(b2);
        assert_int_equal(e2, SHEET_ERR_LIMIT);
        expect_msg(&d2, fx("basic.xls"), "[Лист1]:8:A: the date cells need more than 40000 day steps of libfreexl");
        soko_diag_clear(&d2);
        /* and the cells the sheets declare (basic.xls: 12 rows x 7 columns in its first sheet) */
        struct sheet_limits cells = {.max_xls_cells = 50};
        assert_int_equal(sheet_open(fx("basic.xls"), &cells, &b2, &e2, &d2), SOKO_EINPUT);
        assert_int_equal(e2, SHEET_ERR_LIMIT);
        expect_msg(&d2, fx("basic.xls"), "[Лист1]: the sheets declare more than 50 cells");
        soko_diag_free(&d2);
    }
    /* the shared strings over their bound: refused at the first read */
    struct sheet_limits tiny = {.max_strings_bytes = 200};
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct sheet_book *b;
    assert_int_equal(sheet_open(fx("basic.xlsx"), &tiny, &b, NULL, &d), SOKO_OK);
    struct got g = {SBUF_INIT, 0, 0, 0, 0, 0, NULL};
    assert_int_equal(sheet_read(b, 0, NULL, collect_row, &g, &d), SOKO_EINPUT);
    assert_int_equal(sheet_error(b), SHEET_ERR_LIMIT);
    expect_msg(&d, fx("basic.xlsx"), ": the shared strings take more than 200 bytes");
    assert_int_equal(g.rows, 0);
    /* and again: no half table is left behind to read from */
    soko_diag_clear(&d);
    assert_int_equal(sheet_read(b, 1, NULL, collect_row, &g, &d), SOKO_EINPUT);
    expect_msg(&d, fx("basic.xlsx"), ": the shared strings take more than 200 bytes");
    assert_int_equal(g.rows, 0);
    got_free(&g);
    /* fill_merged out of its range */
    soko_diag_clear(&d);
    struct sheet_read_opts o = {SHEET_MAX_FILL + 1};
    assert_int_equal(sheet_read(b, 0, &o, collect_row, &g, &d), SOKO_EINPUT);
    assert_int_equal(sheet_error(b), SHEET_ERR_LIMIT);
    expect_msg(&d, fx("basic.xlsx"), "[Лист1]: fill_merged is 1001; expected 0 to 1000 header rows");
    sheet_close(b);
    soko_diag_free(&d);
}

/* A vertical range whose lower rows the file leaves out: they are handed over with
 * the origin's value inside the fill, and not after it. */
static void test_merge_gap_rows(void **state)
{
    (void)state;
    expect_sheet(fx("merge-gap.xlsx"), "S", 3, "1:S^Группа|Sx\n2:S~Группа\n3:S~Группа\n4:N1");
    expect_sheet(fx("merge-gap.xlsx"), "S", 2, "1:S^Группа|Sx\n2:S~Группа\n4:N1");
    expect_sheet(fx("merge-gap.xlsx"), "S", 1000, "1:S^Группа|Sx\n2:S~Группа\n3:S~Группа\n4:N1");
    expect_sheet(fx("merge-gap.xlsx"), "S", 0, "1:SГруппа|Sx\n4:N1");
}

static void test_callback(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct sheet_book *b;
    const char *files[] = {"basic.xlsx", "basic.xls"};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(sheet_open(fx(files[k]), NULL, &b, NULL, &d), SOKO_OK);
        /* SHEET_STOP: a clean early end */
        struct got g = {SBUF_INIT, 0, 3, 0, 0, 0, NULL};
        assert_int_equal(sheet_read(b, 0, NULL, collect_row, &g, &d), SOKO_OK);
        assert_int_equal(sheet_error(b), SHEET_ERR_NONE);
        assert_string_equal(g.dump.s,
                            "1:SВПР 2023. 5 класс\n2:SПредмет:|SМатематика\n"
                            "4:SГруппы участников|SКол-во ОО|SКол-во участников|SРаспределение отметок в %");
        got_free(&g);
        /* an error of the callback comes back as it is */
        g = (struct got){SBUF_INIT, 0, 0, 6, 0, 0, NULL};
        assert_int_equal(sheet_read(b, 0, NULL, collect_row, &g, &d), SOKO_EDB);
        assert_int_equal(sheet_error(b), SHEET_ERR_CALLBACK);
        assert_int_equal(g.rows, 4);
        assert_int_equal(d.total, 0);
        got_free(&g);
        /* and the book reads again, whole */
        g = (struct got){SBUF_INIT, 0, 0, 0, 0, 0, NULL};
        assert_int_equal(sheet_read(b, 0, NULL, collect_row, &g, &d), SOKO_OK);
        assert_int_equal(sheet_error(b), SHEET_ERR_NONE);
        if (k == 0) assert_string_equal(g.dump.s, BASIC_SHEET1);
        else assert_int_equal(g.rows, 9);
        got_free(&g);
        sheet_close(b);
    }
    sheet_close(NULL);
    soko_diag_free(&d);
}

/* ================================================================ a large sheet */

struct count {
    long rows, last;
    double sum;
    int bad;
};

static int count_row(void *ctx, const struct sheet_row *r, struct soko_diag *d)
{
    (void)d;
    struct count *c = ctx;
    c->rows++;
    c->last = r->row;
    if (r->row > 1) {
        if (r->ncells != 4 || r->cells[0].type != SHEET_STRING || r->cells[1].type != SHEET_NUMBER ||
            r->cells[3].type != SHEET_DATE || atol(r->cells[1].text) != r->row - 1)
            c->bad++;
        c->sum += strtod(r->cells[2].text, NULL);
    }
    return SOKO_OK;
}

/* Reads the sheet in a child; gives its rows, checks and peak RSS (KB). */
static void read_in_child(const char *file, struct count *out, long *maxrss)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        struct count c;
        memset(&c, 0, sizeof c);   /* padding too: it goes down a pipe */
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct sheet_book *b;
        if (sheet_open(file, NULL, &b, NULL, &d) != SOKO_OK || sheet_read(b, 0, NULL, count_row, &c, &d) != SOKO_OK)
            c.bad = -1;
        sheet_close(b);
        soko_diag_free(&d);
        struct rusage u;
        getrusage(RUSAGE_SELF, &u);
        long rss = u.ru_maxrss;
        if (write(fd[1], &c, sizeof c) != (ssize_t)sizeof c || write(fd[1], &rss, sizeof rss) != (ssize_t)sizeof rss)
            _exit(2);
        _exit(0);
    }
    close(fd[1]);
    assert_int_equal(read(fd[0], out, sizeof *out), (ssize_t)sizeof *out);
    assert_int_equal(read(fd[0], maxrss, sizeof *maxrss), (ssize_t)sizeof *maxrss);
    close(fd[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_large_flat_memory(void **state)
{
    (void)state;
    int slow = under_valgrind_or_sanitizer();
    long nbig = slow ? 20000 : 300000, nsmall = 3000;
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "'%s/gen_sheets' --large %ld '%s' && '%s/gen_sheets' --large %ld '%s'", bindir, nbig,
             fx("large.xlsx"), bindir, nsmall, fx("small.xlsx"));
    assert_int_equal(run(cmd), 0);
    struct count big, little;
    long rss_big, rss_small;
    read_in_child(fx("small.xlsx"), &little, &rss_small);
    read_in_child(fx("large.xlsx"), &big, &rss_big);
    assert_int_equal(little.bad, 0);
    assert_int_equal(big.bad, 0);
    assert_int_equal(little.rows, nsmall + 1);
    assert_int_equal(big.rows, nbig + 1);
    assert_int_equal(big.last, nbig + 1);
    /* column C is r % 200 / 4: its sum is known */
    double want = 0;
    for (long r = 1; r <= nbig; r++) want += (double)(r % 200) / 4;
    assert_true(fabs(big.sum - want) < 1e-6 * want);
    unlink(fx("large.xlsx"));
    unlink(fx("small.xlsx"));
    if (slow) return;
    /* 100 times the rows, the same memory: a growth of 50 bytes a row would be 15 MB */
    fprintf(stderr, "  peak RSS: %ld KB for %ld rows, %ld KB for %ld rows\n", rss_big, nbig, rss_small, nsmall);
    assert_true(rss_big < rss_small + 12 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_col_letters),
        cmocka_unit_test(test_format_number),
        cmocka_unit_test(test_format_kind),
        cmocka_unit_test(test_serial_to_iso),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_xlsx_basic),
        cmocka_unit_test(test_xlsx_inline_and_handmade),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_xls),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_merge_gap_rows),
        cmocka_unit_test(test_callback),
        cmocka_unit_test(test_large_flat_memory),
    };
    return cmocka_run_group_tests_name("sheet", tests, group_setup, group_teardown);
}
