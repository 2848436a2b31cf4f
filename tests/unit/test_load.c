/*
 * test_load.c — engine/load.c, engine/forms.c and the text helpers of engine/util.c.
 *
 * The pure functions (delimiter detection, cell parsing, header matching, UTF-8,
 * SHA-256, diagnostics) are called directly; the parser is driven through load_file()
 * on small files written to a temporary directory, with a sink that prints every row
 * it receives as one text line ("form@line: col=value ...") so that a test compares
 * what the store would get with one string.
 */
#include <errno.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "forms.h"
#include "load.h"
#include "soko.h"

/* ================================================================ fixtures */

static char tmpdir[256];
static int nfiles;

static int group_setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/soko-test-load-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char p[300];
    for (int i = 0; i < nfiles; i++) {
        snprintf(p, sizeof p, "%s/f%d.csv", tmpdir, i);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/dir", tmpdir);
    rmdir(p);
    rmdir(tmpdir);
    return 0;
}

/* Writes n bytes to a new file in the temporary directory; returns its path (static
 * storage of a small ring, enough for the few paths a test holds at once). */
static const char *write_file(const void *data, size_t n)
{
    static char ring[4][300];
    char *p = ring[nfiles % 4];
    snprintf(p, 300, "%s/f%d.csv", tmpdir, nfiles++);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return p;
}

static const char *write_str(const char *s) { return write_file(s, strlen(s)); }

/* UTF-8 → Windows-1251, for files in the Russian Excel dialect. Caller frees. */
static char *to_cp1251(const char *s, size_t *outlen)
{
    iconv_t cd = iconv_open("CP1251", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t il = strlen(s), ol = il + 1;
    char *out = xmalloc(ol), *ip = (char *)s, *op = out;
    assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    iconv_close(cd);
    *outlen = (size_t)(op - out);
    return out;
}

/* ------------------------------------------------------------ the sink */

struct coll {
    struct sbuf rows;              /* one line per row received */
    long nrows;
    const char *const *schools;    /* registry; NULL: every school exists */
    int lookups;                   /* school_exists calls */
    int fail_row;                  /* refuse the n-th row (1-based), 0: never */
    int lookup_error;              /* school_exists reports a store error */
    const char *const *known;      /* stored values "column=value" for sink->known */
    int known_lookups;             /* known calls */
};

static int coll_school(void *ctx, const char *id)
{
    struct coll *c = ctx;
    c->lookups++;
    if (c->lookup_error) return -1;
    if (!c->schools) return 1;
    for (const char *const *s = c->schools; *s; s++)
        if (strcmp(*s, id) == 0) return 1;
    return 0;
}

static int coll_known(void *ctx, const char *column, const char *value)
{
    struct coll *c = ctx;
    c->known_lookups++;
    if (c->lookup_error) return -1;
    for (const char *const *k = c->known; k && *k; k++) {
        size_t n = strlen(column);
        if (strncmp(*k, column, n) == 0 && (*k)[n] == '=' && strcmp(*k + n + 1, value) == 0)
            return 1;
    }
    return 0;
}

static void fmt_row(struct sbuf *b, const struct load_row *r)
{
    sbuf_printf(b, "%s@%ld%s:", r->form->name, r->line, r->from_students ? "s" : "");
    for (size_t i = 0; i < r->form->ncols; i++) {
        const struct load_cell *c = &r->cells[i];
        if (!c->present) continue;
        sbuf_printf(b, " %s=", r->form->cols[i].name);
        switch (r->form->cols[i].type) {
        case COL_INT: case COL_YEAR: sbuf_printf(b, "%lld", c->i); break;
        case COL_REAL: sbuf_printf(b, "%g", c->r); break;
        default: sbuf_adds(b, c->s); break;
        }
    }
    sbuf_addc(b, '\n');
}

static int coll_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    struct coll *c = ctx;
    c->nrows++;
    if (c->fail_row && c->nrows == c->fail_row) {
        soko_diag_add(d, "sink", r->line, 0, "refused by the sink");
        return SOKO_EDB;
    }
    fmt_row(&c->rows, r);
    return SOKO_OK;
}

struct run {
    struct coll coll;
    struct soko_diag d;
    struct load_stats st;
    struct load_opts o;
    int rc;
    const char *path;
};

static void run_free(struct run *r)
{
    sbuf_free(&r->coll.rows);
    soko_diag_free(&r->d);
}

/* Loads bytes as a file of form `form`; r->o and r->coll may be set beforehand. */
static void load_bytes(struct run *r, const char *form, const void *data, size_t n)
{
    const struct form *f = form_find(form);
    assert_non_null(f);
    if (!r->d.limit) soko_diag_init(&r->d, 0);
    r->path = write_file(data, n);
    struct load_sink sink = {&r->coll, coll_school, coll_row, NULL, coll_known, NULL, NULL, NULL};
    r->rc = load_file(r->path, f, &r->o, &sink, &r->st, &r->d);
}

static void load_str(struct run *r, const char *form, const char *csv)
{
    load_bytes(r, form, csv, strlen(csv));
}

static void dump_diag(const struct run *r)
{
    for (size_t i = 0; i < r->d.nmsgs; i++) print_message("  diag: %s\n", r->d.msgs[i]);
    for (size_t i = 0; i < r->d.nnotes; i++) print_message("  note: %s\n", r->d.notes[i]);
    print_message("  rows:\n%s", r->coll.rows.s ? r->coll.rows.s : "");
}

/* The message that contains `want` after the "path:" prefix, i.e. want is matched
 * against the message with the temporary path replaced by "F". */
static int has_msg(const struct run *r, const char *want)
{
    size_t pl = strlen(r->path);
    for (size_t i = 0; i < r->d.nmsgs; i++) {
        const char *m = r->d.msgs[i];
        char buf[2048];
        if (strncmp(m, r->path, pl) == 0) snprintf(buf, sizeof buf, "F%s", m + pl);
        else snprintf(buf, sizeof buf, "%s", m);
        if (strstr(buf, want)) return 1;
    }
    return 0;
}

#define EXPECT_MSG(r, want) \
    do { \
        if (!has_msg((r), (want))) { \
            print_error("%s:%d: no message contains: %s\n", __FILE__, __LINE__, (want)); \
            dump_diag(r); \
            fail(); \
        } \
    } while (0)

#define EXPECT_ROWS(r, want) \
    do { \
        const char *got_ = (r)->coll.rows.s ? (r)->coll.rows.s : ""; \
        if (strcmp(got_, (want)) != 0) { \
            print_error("%s:%d: rows differ\n--- got\n%s--- want\n%s", __FILE__, __LINE__, \
                        got_, (want)); \
            dump_diag(r); \
            fail(); \
        } \
    } while (0)

#define EXPECT_RC(r, want) \
    do { \
        if ((r)->rc != (want)) { \
            print_error("%s:%d: rc %d, expected %d\n", __FILE__, __LINE__, (r)->rc, (want)); \
            dump_diag(r); \
            fail(); \
        } \
    } while (0)

/* One bad file: rc 1, the message (with "F:" for the path), no row reached the sink. */
static void expect_bad(const char *form, const char *csv, const char *want, int line)
{
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, form, csv);
    if (r.rc != SOKO_EINPUT || !has_msg(&r, want) || r.coll.nrows != 0) {
        print_error("test_load.c:%d: form %s: rc %d, %ld rows; expected rc 1 and a message "
                    "containing: %s\n", line, form, r.rc, r.coll.nrows, want);
        dump_diag(&r);
        run_free(&r);
        fail();
    }
    run_free(&r);
}
#define BAD(form, csv, want) expect_bad(form, csv, want, __LINE__)

/* ======================================================= delimiter detection */

static void test_detect_delim(void **state)
{
    (void)state;
#define D(s) load_detect_delim(s, sizeof(s) - 1)
    assert_int_equal(D("a,b,c"), ',');
    assert_int_equal(D("a;b;c"), ';');
    assert_int_equal(D("a\tb\tc"), '\t');
    assert_int_equal(D("abc"), ',');                    /* no delimiter: undecided */
    assert_int_equal(D(""), ',');
    /* quoted delimiters do not count, doubled quotes inside stay quoted */
    assert_int_equal(D("\"a,b,c,d\";e"), ';');
    assert_int_equal(D("\"a;b;c\",d"), ',');
    assert_int_equal(D("\"x\"\";\"\";y\",z"), ',');
    assert_int_equal(D("\"a\tb\tc\";d;e"), ';');
    /* only the first line counts */
    assert_int_equal(D("a,b\nc;d;e;f"), ',');
    assert_int_equal(D("a;b\r\nc,d,e,f"), ';');
    /* majority wins */
    assert_int_equal(D("a,b;c;d"), ';');
    assert_int_equal(D("a;b,c,d"), ',');
    assert_int_equal(D("a\tb\tc,d"), '\t');
    /* ties: ',' beats ';' and TAB; ';' beats TAB */
    assert_int_equal(D("a,b;c"), ',');
    assert_int_equal(D("a,b\tc"), ',');
    assert_int_equal(D("a;b\tc"), ';');
    assert_int_equal(D("a,b;c\td"), ',');
    /* a Russian header with commas inside quoted names and ';' between them */
    assert_int_equal(D("\"выпускников, 11 кл.\";\"в вузы, всего\""), ';');
    /* n bounds the scan */
    assert_int_equal(load_detect_delim("a;b;c", 1), ',');
#undef D
}

/* ============================================================ cell parsing */

static const struct form_col *col(const char *form, const char *name)
{
    const struct form *f = form_find(form);
    assert_non_null(f);
    int j = form_col_index(f, name);
    assert_true(j >= 0);
    return &f->cols[j];
}

/* Parses text as column form.name; returns 0 or -1, the cell in *out, why in *why. */
static int parse(const char *form, const char *name, const char *text, struct load_cell *out,
                 const char **why)
{
    static char buf[256], whybuf[256];
    snprintf(buf, sizeof buf, "%s", text);
    memset(out, 0, sizeof *out);
    whybuf[0] = '\0';
    int rc = load_parse_cell(col(form, name), buf, out, whybuf, sizeof whybuf);
    *why = rc ? whybuf : NULL;
    if (rc == 0) assert_int_equal(out->present, 1);
    else assert_non_null(*why);
    return rc;
}

static void int_ok(const char *form, const char *name, const char *text, long long want)
{
    struct load_cell c;
    const char *why;
    if (parse(form, name, text, &c, &why) != 0 || c.i != want) {
        print_error("%s.%s '%s': %s, i=%lld; expected %lld\n", form, name, text,
                    why ? why : "ok", c.i, want);
        fail();
    }
    assert_true(c.r == (double)want);
}

static void real_ok(const char *form, const char *name, const char *text, double want)
{
    struct load_cell c;
    const char *why;
    if (parse(form, name, text, &c, &why) != 0 || c.r != want) {
        print_error("%s.%s '%s': %s, r=%g; expected %g\n", form, name, text, why ? why : "ok",
                    c.r, want);
        fail();
    }
}

static void cell_bad(const char *form, const char *name, const char *text, const char *why_want)
{
    struct load_cell c;
    const char *why;
    if (parse(form, name, text, &c, &why) == 0) {
        print_error("%s.%s '%s' was accepted (i=%lld r=%g s=%s); expected an error\n", form,
                    name, text, c.i, c.r, c.s);
        fail();
    }
    if (why_want && strstr(why, why_want) == NULL) {
        print_error("%s.%s '%s': why '%s', expected '%s'\n", form, name, text, why, why_want);
        fail();
    }
}

static void test_parse_int(void **state)
{
    (void)state;
    int_ok("vpr", "participants", "0", 0);
    int_ok("vpr", "participants", "25", 25);
    int_ok("vpr", "participants", "007", 7);
    int_ok("vpr", "participants", "1 234", 1234);                /* space thousands */
    int_ok("vpr", "participants", "1\xC2\xA0" "234", 1234);       /* NBSP thousands */
    int_ok("vpr", "participants", "1 234 567", 1234567);
    int_ok("vpr", "participants", "12,0", 12);                   /* Excel's "12,0" */
    int_ok("vpr", "participants", "12.0", 12);
    int_ok("vpr", "participants", "12,00", 12);                  /* zero fraction only */
    int_ok("vpr", "participants", "1000000000", 1000000000);
    int_ok("vpr", "grade", "1", 1);
    int_ok("vpr", "grade", "11", 11);
    int_ok("vpr_students", "mark", "5", 5);
    int_ok("vpr", "max_score", "1000", 1000);

    cell_bad("vpr", "participants", "-1", "a whole number from 0 to 1000000000");   /* negative */
    cell_bad("vpr", "participants", "-0,5", NULL);
    cell_bad("vpr", "participants", "12,5", "whole number");
    cell_bad("vpr", "participants", "12.", "whole number");
    /* three zeros after the separator look like thousands: 12,000 is not taken for 12 */
    cell_bad("vpr", "participants", "12,000", "whole number");
    cell_bad("vpr", "participants", "1.000", "whole number");
    cell_bad("vpr", "participants", "1,234", "whole number");
    cell_bad("vpr", "participants", "1.000.000", "whole number");
    cell_bad("vpr", "participants", "+5", "whole number");
    cell_bad("vpr", "participants", "abc", "whole number");
    cell_bad("vpr", "participants", "12abc", "whole number");
    cell_bad("vpr", "participants", "1e3", "whole number");
    cell_bad("vpr", "participants", "0x10", "whole number");
    cell_bad("vpr", "participants", ",0", "whole number");
    cell_bad("vpr", "participants", "99999999999999999999", "whole number");
    cell_bad("vpr", "participants", "1000000001", NULL);
    cell_bad("vpr", "grade", "0", "a whole number from 1 to 11");
    cell_bad("vpr", "grade", "12", "a whole number from 1 to 11");
    cell_bad("vpr_students", "mark", "1", "from 2 to 5");
    cell_bad("vpr_students", "mark", "6", "from 2 to 5");
    cell_bad("vpr_students", "journal_mark", "0", "from 2 to 5");
    cell_bad("vpr_students", "primary_score", "201", "from 0 to 200");
    cell_bad("vpr", "max_score", "0", "from 1 to 1000");
}

static void test_parse_real(void **state)
{
    (void)state;
    real_ok("vpr", "mean_score", "12.5", 12.5);
    real_ok("vpr", "mean_score", "12,5", 12.5);                  /* decimal comma */
    real_ok("vpr", "mean_score", "0", 0);
    real_ok("vpr", "mean_score", "7", 7);
    real_ok("vpr", "mean_score", ",5", 0.5);
    real_ok("context", "value", "1 234,5", 1234.5);
    real_ok("context", "value", "1\xC2\xA0" "234,5", 1234.5);
    real_ok("context", "value", "-1,5", -1.5);                   /* negatives where allowed */
    real_ok("context", "value", "-12", -12);
    real_ok("context", "value", "1e3", 1000);
    real_ok("ege", "mean_score", "100", 100);
    real_ok("rdr", "mean_percent", "99,99", 99.99);

    cell_bad("vpr", "mean_score", "-0,5", "a number from 0 to 1000 (decimal point or comma)");
    cell_bad("ege", "mean_score", "100,5", "from 0 to 100");
    cell_bad("rdr", "mean_percent", "101", "from 0 to 100");
    cell_bad("vpr", "mean_score", "abc", "number");
    cell_bad("vpr", "mean_score", "1,2,3", "number");
    cell_bad("vpr", "mean_score", "1.234,5", "number");
    cell_bad("vpr", "mean_score", "+1", "number");
    cell_bad("context", "value", "nan", "number");
    cell_bad("context", "value", "inf", "number");
    cell_bad("context", "value", "-inf", NULL);
    cell_bad("context", "value", "-nan", "number");
    cell_bad("context", "value", "0x10", "number");
    cell_bad("context", "value", "-0x10", "number");
    cell_bad("context", "value", "12%", "number");
    cell_bad("context", "value", "1e999", "number");
}

static void test_parse_year(void **state)
{
    (void)state;
    int_ok("vpr", "year", "2023", 2023);
    int_ok("vpr", "year", "2022/2023", 2023);
    int_ok("vpr", "year", "2022-2023", 2023);
    int_ok("vpr", "year", "2022/23", 2023);
    int_ok("vpr", "year", "2022-23", 2023);
    int_ok("vpr", "year", "2099/00", 2100);                      /* across a century */
    int_ok("vpr", "year", "2000", 2000);
    int_ok("vpr", "year", "2100", 2100);
    int_ok("context", "year", "2019/2020", 2020);

    cell_bad("vpr", "year", "2022/2024", "consecutive");
    cell_bad("vpr", "year", "2023/2022", "consecutive");
    cell_bad("vpr", "year", "2022/2022", "consecutive");
    cell_bad("vpr", "year", "2022/24", "consecutive");
    cell_bad("vpr", "year", "2022/3", "2022/2023");
    cell_bad("vpr", "year", "2022/", "2022/2023");
    cell_bad("vpr", "year", "2022/20233", "2022/2023");
    cell_bad("vpr", "year", "2022/23x", "2022/2023");
    cell_bad("vpr", "year", "2022 2023", "2022/2023");
    cell_bad("vpr", "year", "2022.2023", "2022/2023");
    cell_bad("vpr", "year", "23", "2022/2023");
    cell_bad("vpr", "year", "20230", "2022/2023");
    cell_bad("vpr", "year", "+2023", "2022/2023");
    cell_bad("vpr", "year", "-2023", "2022/2023");
    cell_bad("vpr", "year", "2023.0", "2022/2023");
    cell_bad("vpr", "year", "год", "2022/2023");
    cell_bad("vpr", "year", "1999", "a year from 2000 to 2100, like 2023 or 2022/2023");
    cell_bad("vpr", "year", "2101", "a year from 2000 to 2100, like 2023 or 2022/2023");
    cell_bad("vpr", "year", "1998/1999", "a year from 2000 to 2100, like 2023 or 2022/2023");
    cell_bad("vpr", "year", "2100/2101", "a year from 2000 to 2100, like 2023 or 2022/2023");
}

static void enum_ok(const char *form, const char *name, const char *text, const char *want)
{
    struct load_cell c;
    const char *why;
    if (parse(form, name, text, &c, &why) != 0 || strcmp(c.s, want) != 0) {
        print_error("%s.%s '%s': %s; expected %s\n", form, name, text, why ? why : c.s, want);
        fail();
    }
}

static void test_parse_enum_text(void **state)
{
    (void)state;
    enum_ok("olympiad", "stage", "school", "school");
    enum_ok("olympiad", "stage", "School", "school");
    enum_ok("olympiad", "stage", "MUNICIPAL", "municipal");
    enum_ok("olympiad", "stage", "regional", "regional");
    enum_ok("olympiad", "stage", "final", "final");
    enum_ok("olympiad", "stage", "школьный", "school");
    enum_ok("olympiad", "stage", "Муниципальный", "municipal");
    enum_ok("olympiad", "stage", "региональный этап", "regional");
    enum_ok("olympiad", "stage", "ЗАКЛЮЧИТЕЛЬНЫЙ ЭТАП", "final");
    enum_ok("olympiad", "stage", "заключительный  этап", "final");
    enum_ok("clusters", "role", "activist", "activist");
    enum_ok("clusters", "role", "Активист", "activist");
    enum_ok("clusters", "role", "участник", "member");
    enum_ok("clusters", "role", "флагман", "flagship");
    enum_ok("clusters", "role", "куратор", "curator");
    enum_ok("clusters", "role", "курируемая", "supported");
    enum_ok("clusters", "role", "поддерживаемая", "supported");
    cell_bad("olympiad", "stage", "district", "one of: ");
    cell_bad("olympiad", "stage", "районный", "one of: ");
    cell_bad("olympiad", "stage", "school|municipal", "one of: ");
    cell_bad("clusters", "role", "leader", "one of: ");

    struct load_cell c;
    const char *why;
    assert_int_equal(parse("vpr", "subject", "Математика", &c, &why), 0);
    assert_string_equal(c.s, "Математика");
    assert_int_equal(parse("schools", "school_id", "0344", &c, &why), 0);
    assert_string_equal(c.s, "0344");                             /* text stays text */
}

/* ========================================================== header matching */

static int match(const char *form, const char *header)
{
    return form_col_match(form_find(form), header);
}

static void test_col_match(void **state)
{
    (void)state;
    const struct form *vpr = form_find("vpr");
    int year = form_col_index(vpr, "year"), m2 = form_col_index(vpr, "m2");
    int grade = form_col_index(vpr, "grade"), mean = form_col_index(vpr, "mean_score");
    assert_int_equal(match("vpr", "year"), year);
    assert_int_equal(match("vpr", "YEAR"), year);
    assert_int_equal(match("vpr", "Year"), year);
    assert_int_equal(match("vpr", "  year  "), year);
    assert_int_equal(match("vpr", "\"year\""), year);
    assert_int_equal(match("vpr", "год"), year);
    assert_int_equal(match("vpr", "Год"), year);
    assert_int_equal(match("vpr", "ГОД"), year);
    assert_int_equal(match("vpr", "учебный год"), year);
    assert_int_equal(match("vpr", "Учебный  Год"), year);         /* spaces collapse */
    assert_int_equal(match("vpr", "учебный\xC2\xA0год"), year);   /* NBSP */
    assert_int_equal(match("vpr", "класс"), grade);
    assert_int_equal(match("vpr", "Параллель"), grade);
    assert_int_equal(match("vpr", "m2"), m2);
    assert_int_equal(match("vpr", "M2"), m2);
    assert_int_equal(match("vpr", "2"), m2);
    assert_int_equal(match("vpr", "«2»"), m2);
    assert_int_equal(match("vpr", "\"2\""), m2);
    assert_int_equal(match("vpr", "отметка «2»"), m2);
    assert_int_equal(match("vpr", "Отметка \"2\""), m2);
    assert_int_equal(match("vpr", "отметка 2"), m2);
    assert_int_equal(match("vpr", "отметка “2”"), m2);
    assert_int_equal(match("vpr", "Средний первичный балл"), mean);
    assert_int_equal(match("vpr", "средний балл"), mean);
    assert_int_equal(match("vpr", "код ОО"), form_col_index(vpr, "school_id"));
    assert_int_equal(match("vpr", "КОД оо"), form_col_index(vpr, "school_id"));
    assert_int_equal(match("vpr", "unknown"), -1);
    assert_int_equal(match("vpr", ""), -1);
    assert_int_equal(match("vpr", "m6"), -1);
    assert_int_equal(match("vpr", "отметка 6"), -1);
    assert_int_equal(match("vpr", "years"), -1);

    const struct form *ol = form_find("olympiad");
    int pw = form_col_index(ol, "prizewinners");
    assert_int_equal(match("olympiad", "призёры"), pw);
    assert_int_equal(match("olympiad", "Призеры"), pw);
    assert_int_equal(match("olympiad", "ПРИЗЁРЫ"), pw);
    assert_int_equal(match("olympiad", "призёров"), pw);
    assert_int_equal(match("olympiad", "Этап"), form_col_index(ol, "stage"));

    const struct form *ege = form_find("ege");
    int hs = form_col_index(ege, "high_scorers");
    assert_int_equal(match("ege", "81-100 баллов"), hs);
    assert_int_equal(match("ege", "81–100 баллов"), hs);          /* en dash */
    assert_int_equal(match("ege", "81—100 баллов"), hs);          /* em dash */
    assert_int_equal(match("ege", "Не преодолели минимальный порог"),
                     form_col_index(ege, "below_min"));

    const struct form *vs = form_find("vpr_students");
    assert_int_equal(match("vpr_students", "класс"), form_col_index(vs, "grade"));
    assert_int_equal(match("vpr_students", "класс-буква"), form_col_index(vs, "class"));
    assert_int_equal(match("vpr_students", "class"), form_col_index(vs, "class"));
    assert_int_equal(match("vpr_students", "Отметка по журналу"),
                     form_col_index(vs, "journal_mark"));
    assert_int_equal(match("vpr_students", "отметка"), form_col_index(vs, "mark"));

    const struct form *adm = form_find("admissions");
    assert_int_equal(match("admissions", "Выпускников 11 кл."), form_col_index(adm, "graduates"));
    assert_int_equal(match("admissions", "в СПО"), form_col_index(adm, "college"));
    assert_int_equal(match("admissions", "В вузы по профилю ОО"),
                     form_col_index(adm, "university_profile"));
}

/* Every name and every alias of every form maps back to its own column: two columns
 * of a form never share a header, and the Russian template re-imports. */
static void test_aliases_unambiguous(void **state)
{
    (void)state;
    for (size_t i = 0; soko_forms[i]; i++) {
        const struct form *f = soko_forms[i];
        assert_true(f->ncols <= LOAD_MAXCOLS);
        for (size_t j = 0; j < f->ncols; j++) {
            const struct form_col *c = &f->cols[j];
            assert_int_equal(form_col_index(f, c->name), (int)j);
            if (form_col_match(f, c->name) != (int)j) {
                print_error("%s: name %s maps to %d\n", f->name, c->name, form_col_match(f, c->name));
                fail();
            }
            const char *p = c->aliases;
            while (p && *p) {
                char one[256];
                size_t n = strcspn(p, "|");
                assert_true(n < sizeof one);
                memcpy(one, p, n);
                one[n] = '\0';
                if (form_col_match(f, one) != (int)j) {
                    print_error("%s: alias '%s' of %s maps to column %d\n", f->name, one,
                                c->name, form_col_match(f, one));
                    fail();
                }
                p += n + (p[n] == '|');
            }
            char ru[128];
            assert_int_equal(form_col_match(f, form_col_ru(c, ru, sizeof ru)), (int)j);
            if (c->type == COL_ENUM)
                for (const struct enum_val *v = c->values; v->value; v++)
                    assert_string_equal(form_enum_value(c, v->value), v->value);
            if (c->deflt && c->type == COL_ENUM)
                assert_non_null(form_enum_value(c, c->deflt));
        }
        /* checks name real columns */
        for (size_t k = 0; k < f->nchecks; k++)
            for (size_t n = 0; f->checks[k].cols[n]; n++)
                assert_true(form_col_index(f, f->checks[k].cols[n]) >= 0);
    }
    assert_null(form_find("nosuchform"));
    assert_non_null(form_find("vpr_dist"));
    char ru[8];
    assert_string_equal(form_col_ru(col("vpr", "year"), ru, sizeof ru), "год");
    assert_string_equal(form_col_ru(col("vpr_dist", "scores"), ru, sizeof ru), "scores");
}

/* ================================================================ UTF-8 */

static void test_utf8_valid_prefix(void **state)
{
    (void)state;
    int inc;
#define V(s) utf8_valid_prefix((const unsigned char *)(s), sizeof(s) - 1, &inc)
    assert_int_equal(V(""), 0);
    assert_int_equal(inc, 0);
    assert_int_equal(V("plain ascii"), 11);
    assert_int_equal(V("Привет"), 12);
    assert_int_equal(inc, 0);
    assert_int_equal(V("a€b"), 5);                                /* 3-byte */
    assert_int_equal(V("a\xF0\x9F\x98\x80"), 5);                  /* 4-byte */
    /* a sequence cut at the end is incomplete, not invalid */
    assert_int_equal(V("ab\xD0"), 2);
    assert_int_equal(inc, 1);
    assert_int_equal(V("ab\xE2\x82"), 2);
    assert_int_equal(inc, 1);
    assert_int_equal(V("ab\xF0\x9F\x98"), 2);
    assert_int_equal(inc, 1);
    /* invalid bytes */
    assert_int_equal(V("ab\x98" "cd"), 2);                       /* lone continuation */
    assert_int_equal(inc, 0);
    assert_int_equal(V("\xFF"), 0);
    assert_int_equal(inc, 0);
    assert_int_equal(V("ab\xD0" "c"), 2);                        /* lead without continuation */
    assert_int_equal(inc, 0);
    assert_int_equal(V("ab\xE2\x28"), 2);                        /* cut but malformed */
    assert_int_equal(inc, 0);
    assert_int_equal(V("\xC0\xAF"), 0);                          /* overlong '/' */
    assert_int_equal(V("\xC1\xBF"), 0);
    assert_int_equal(V("\xE0\x80\xAF"), 0);                      /* overlong, 3 bytes */
    assert_int_equal(V("\xF0\x80\x80\xAF"), 0);                  /* overlong, 4 bytes */
    assert_int_equal(V("x\xED\xA0\x80"), 1);                     /* surrogate */
    assert_int_equal(V("\xF4\x90\x80\x80"), 0);                  /* above U+10FFFF */
    assert_int_equal(V("\xF8\x88\x80\x80\x80"), 0);              /* 5-byte form */
    assert_int_equal(V("\xEF\xBB\xBF" "a"), 4);                  /* BOM is valid UTF-8 */
    /* Windows-1251 text is not UTF-8 */
    assert_int_equal(V("\xE3\xEE\xE4"), 0);                      /* "год" in cp1251 */
    assert_int_equal(inc, 0);
#undef V
}

static void test_utf8_casecmp(void **state)
{
    (void)state;
    assert_int_equal(utf8_casecmp("", ""), 0);
    assert_int_equal(utf8_casecmp("Year", "yEAR"), 0);
    assert_int_equal(utf8_casecmp("ГОД", "год"), 0);
    assert_int_equal(utf8_casecmp("Учебный Год", "учебный год"), 0);
    assert_int_equal(utf8_casecmp("АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
                                  "абвгдежзийклмнопрстуфхцчшщъыьэюя"), 0);
    assert_int_equal(utf8_casecmp("Ёлка", "ёлка"), 0);
    assert_int_equal(utf8_casecmp("ёлка", "елка"), 0);             /* ё folds to е */
    assert_int_equal(utf8_casecmp("ПРИЗЁРЫ", "призеры"), 0);
    assert_true(utf8_casecmp("abc", "abd") < 0);
    assert_true(utf8_casecmp("abd", "ABC") > 0);
    assert_true(utf8_casecmp("ab", "abc") < 0);
    assert_true(utf8_casecmp("abc", "ab") > 0);
    assert_true(utf8_casecmp("а", "б") < 0);
    assert_true(utf8_casecmp("Я", "а") > 0);
    assert_true(utf8_casecmp("год", "гол") != 0);
    assert_true(utf8_casecmp("z", "я") < 0);                      /* ASCII before Cyrillic */
    /* invalid bytes compare as themselves, without reading past the end */
    assert_int_equal(utf8_casecmp("a\xD0", "A\xD0"), 0);
    assert_true(utf8_casecmp("a\xE2", "a\xE3") != 0);
}

static void test_str_trim_fnv(void **state)
{
    (void)state;
    char a[] = "  x y \t", b[] = "\xC2\xA0" "12\xC2\xA0", c[] = "   ", d[] = "";
    assert_string_equal(str_trim(a), "x y");
    assert_string_equal(str_trim(b), "12");
    assert_string_equal(str_trim(c), "");
    assert_string_equal(str_trim(d), "");
    /* FNV-1a 64 test vectors, from the standard offset basis (soko.h's FNV_OFFSET is
     * not it: a digit short; harmless, its hashes never leave the process) */
    const uint64_t basis = 0xcbf29ce484222325ULL;
    assert_true(fnv1a(basis, "", 0) == basis);
    assert_true(fnv1a(basis, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(fnv1a(basis, "foobar", 6) == 0x85944171f73967e8ULL);
    assert_true(fnv1a(fnv1a(basis, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL);
    assert_true(fnv1a(FNV_OFFSET, "x", 1) != fnv1a(FNV_OFFSET, "y", 1));
}

/* ================================================================ SHA-256 */

static void sha_hex(const void *data, size_t n, size_t step, char out[65])
{
    struct sha256 c;
    unsigned char dg[32];
    sha256_init(&c);
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i += step) sha256_update(&c, p + i, n - i < step ? n - i : step);
    sha256_final(&c, dg);
    sha256_hex(dg, out);
}

static void test_sha256(void **state)
{
    (void)state;
    char h[65];
    sha_hex("", 0, 1, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_hex("abc", 3, 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_hex("abc", 3, 1, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";   /* 56 bytes */
    sha_hex(two, strlen(two), 7, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                       "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";                   /* 112 bytes */
    sha_hex(four, strlen(four), 64, h);
    assert_string_equal(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    size_t n = 1000000;
    char *a = xmalloc(n);
    memset(a, 'a', n);
    const char *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    sha_hex(a, n, n, h);
    assert_string_equal(h, million);
    sha_hex(a, n, 1000, h);
    assert_string_equal(h, million);
    sha_hex(a, n, 61, h);                                        /* blocks cut everywhere */
    assert_string_equal(h, million);

    /* the file helpers: sha256_file and load_file's digest of the same bytes */
    const char *p = write_file(a, n);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    assert_int_equal(sha256_file(p, h, &d), SOKO_OK);
    assert_string_equal(h, million);
    assert_int_equal(sha256_file("/nonexistent/soko", h, &d), SOKO_EIO);
    assert_int_equal(d.total, 1);
    assert_non_null(strstr(d.msgs[0], "cannot open"));
    soko_diag_free(&d);
    free(a);

    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,x\n");
    EXPECT_RC(&r, SOKO_OK);
    char want[65];
    sha_hex("school_id,name\n1,x\n", 19, 19, want);
    assert_string_equal(r.st.sha256, want);
    assert_int_equal(r.st.bytes, 19);
    run_free(&r);

    /* bytes with a workbook's signature that are no workbook: rejected, and still
     * digested, like a CSV file the reader rejects (found by fuzz_layout) */
    static const char ole[] = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1school_id,name\n1,x\n";
    memset(&r, 0, sizeof r);
    load_bytes(&r, "schools", ole, sizeof ole - 1);
    EXPECT_RC(&r, SOKO_EINPUT);
    assert_true(r.d.total > 0);
    sha_hex(ole, sizeof ole - 1, sizeof ole - 1, want);
    assert_string_equal(r.st.sha256, want);
    run_free(&r);
}

/* ============================================================ diagnostics */

static void test_diag_limit(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 3);
    assert_int_equal(d.limit, 3);
    for (int i = 1; i <= 10; i++) soko_diag_add(&d, "f.csv", i, i % 2 ? i : 0, "error %d", i);
    assert_int_equal(d.nmsgs, 3);
    assert_int_equal(d.total, 10);
    assert_string_equal(d.msgs[0], "f.csv:1:A: error 1");
    assert_string_equal(d.msgs[1], "f.csv:2: error 2");
    soko_diag_add(&d, NULL, 5, 5, "no file");
    assert_int_equal(d.total, 11);
    for (int i = 0; i < 5; i++) soko_diag_note(&d, "note %d", i);
    assert_int_equal(d.nnotes, 3);
    soko_diag_clear(&d);
    assert_int_equal(d.limit, 3);
    assert_int_equal(d.total, 0);
    assert_int_equal(d.nmsgs, 0);
    soko_diag_add(&d, NULL, 0, 0, "plain");
    soko_diag_add(&d, "g", 0, 7, "no line");
    assert_string_equal(d.msgs[0], "plain");
    assert_string_equal(d.msgs[1], "g: no line");
    soko_diag_free(&d);
    soko_diag_init(&d, 0);
    assert_int_equal(d.limit, 50);
    soko_diag_free(&d);
    assert_string_equal(soko_rc_name(SOKO_EINPUT), "bad input");
    assert_string_equal(soko_rc_name(SOKO_EIO), "i/o error");

    /* load_file keeps `limit` messages and counts the rest */
    struct run r;
    memset(&r, 0, sizeof r);
    soko_diag_init(&r.d, 4);
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "school_id,name\n");
    for (int i = 0; i < 30; i++) sbuf_printf(&b, "%d,\n", i);    /* name empty: 30 errors */
    load_str(&r, "schools", b.s);
    EXPECT_RC(&r, SOKO_EINPUT);
    assert_int_equal(r.d.nmsgs, 4);
    assert_int_equal(r.d.total, 30);
    EXPECT_MSG(&r, "F:2:B: column B «name»: the cell is empty; expected a value");
    EXPECT_MSG(&r, "F:5:B: column B «name»: the cell is empty");
    assert_int_equal(r.coll.nrows, 0);
    assert_int_equal(r.st.records, 30);
    sbuf_free(&b);
    run_free(&r);
}

/* ============================================================ the parser */

static void test_load_basic_and_dialects(void **state)
{
    (void)state;
    const char *want =
        "schools@2: school_id=344 name=Лицей № 344 district=Невский\n"
        "schools@3: school_id=329 name=Школа, \"старая\" kind=СОШ\n";
    struct run r;

    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name,district,kind\n344,Лицей № 344,Невский,\n"
                            "329,\"Школа, \"\"старая\"\"\",,СОШ\n");
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r, want);
    assert_int_equal(r.st.delim, ',');
    assert_int_equal(r.st.enc, ENC_UTF8);
    assert_int_equal(r.st.bom, 0);
    assert_int_equal(r.st.records, 2);
    assert_int_equal(r.st.rows, 2);
    run_free(&r);

    /* BOM, ';', CRLF, columns in another order, Russian headers, spaces around values */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "\xEF\xBB\xBF" "Наименование;Код ОО;Район;Тип\r\n"
                            "Лицей № 344; 344 ;Невский;\r\n"
                            "\"Школа, \"\"старая\"\"\";329;;СОШ\r\n");
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r, want);
    assert_int_equal(r.st.delim, ';');
    assert_int_equal(r.st.bom, 1);
    assert_int_equal(r.st.enc, ENC_UTF8);
    run_free(&r);

    /* Windows-1251 with TAB and lone CR line ends */
    size_t n;
    char *cp = to_cp1251("наименование\tкод ОО\tрайон\tтип\r"
                         "Лицей № 344\t344\tНевский\t\r"
                         "\"Школа, \"\"старая\"\"\"\t329\t\tСОШ\r", &n);
    memset(&r, 0, sizeof r);
    load_bytes(&r, "schools", cp, n);
    free(cp);
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r, want);
    assert_int_equal(r.st.delim, '\t');
    assert_int_equal(r.st.enc, ENC_CP1251);
    run_free(&r);

    /* pure ASCII: no encoding decided; no final line end */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,One");
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r, "schools@2: school_id=1 name=One\n");
    assert_int_equal(r.st.enc, ENC_UNKNOWN);
    run_free(&r);

    /* blank lines are skipped but counted */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "\nschool_id,name\n\n1,One\n\n\n2,Two\n");
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r, "schools@4: school_id=1 name=One\nschools@7: school_id=2 name=Two\n");
    run_free(&r);
}

/* Line numbers of records after multi-line quoted fields, with every line end. */
static void test_load_line_numbers(void **state)
{
    (void)state;
    static const char *const eols[] = {"\n", "\r\n", "\r"};
    for (int e = 0; e < 3; e++) {
        const char *nl = eols[e];
        struct sbuf b = SBUF_INIT;
        sbuf_printf(&b, "school_id,name,district%s", nl);
        sbuf_printf(&b, "1,\"two%slines\",a%s", nl, nl);                /* lines 2-3 */
        sbuf_printf(&b, "2,\"with \"\"quotes\"\", and%s%s, commas\",b%s", nl, nl, nl);   /* 4-6 */
        sbuf_printf(&b, "3,\"x\",\"%s\"%s", nl, nl);                  /* 7-8 */
        sbuf_printf(&b, "4,plain,c%s", nl);                           /* 9 */
        sbuf_printf(&b, "5,,d%s", nl);                                /* 10: name empty */
        sbuf_printf(&b, "6,\"ok\"%s", nl);                            /* 11: 2 fields */
        struct run r;
        memset(&r, 0, sizeof r);
        load_str(&r, "schools", b.s);
        EXPECT_RC(&r, SOKO_EINPUT);
        EXPECT_MSG(&r, "F:10:B: column B «name»: the cell is empty");
        EXPECT_MSG(&r, "F:11:C: this row has 2 cells, but the header has 3; expected a cell under "
                       "every header (the row ends before column C «district»)");
        assert_int_equal(r.d.total, 2);
        assert_int_equal(r.st.records, 6);
        run_free(&r);

        /* the good part alone: values with the line ends inside, as given */
        sbuf_reset(&b);
        sbuf_printf(&b, "school_id,name,district%s1,\"two%slines\",a%s2,\"q \"\"x\"\", y\",b%s"
                        "3,z,c", nl, nl, nl, nl);
        memset(&r, 0, sizeof r);
        load_str(&r, "schools", b.s);
        EXPECT_RC(&r, SOKO_OK);
        struct sbuf w = SBUF_INIT;
        sbuf_printf(&w, "schools@2: school_id=1 name=two%slines district=a\n"
                        "schools@4: school_id=2 name=q \"x\", y district=b\n"
                        "schools@5: school_id=3 name=z district=c\n", nl);
        EXPECT_ROWS(&r, w.s);
        sbuf_free(&w);
        sbuf_free(&b);
        run_free(&r);
    }
}

static void test_load_bad_bytes(void **state)
{
    (void)state;
    struct run r;

    /* NUL byte, on line 3 */
    memset(&r, 0, sizeof r);
    load_bytes(&r, "schools", "school_id,name\n1,a\n2,b\0c\n", 25);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3: NUL byte in the file");
    assert_int_equal(r.coll.nrows, 0);
    run_free(&r);

    /* UTF-16 (a BOM and NULs) */
    memset(&r, 0, sizeof r);
    load_bytes(&r, "schools", "\xFF\xFEs\0c\0", 6);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:1: NUL byte");
    run_free(&r);

    /* 0x98 is undefined in Windows-1251 and invalid as UTF-8 */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,a\n2,\x98\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3: byte 0x98 is neither UTF-8 nor Windows-1251");
    assert_int_equal(r.coll.nrows, 0);
    run_free(&r);

    /* UTF-8 recognised from valid Cyrillic, then an invalid byte later */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,Лицей\n2,b\n3,\xFF\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:4: invalid UTF-8 (byte 0xFF)");
    run_free(&r);

    /* a file that ends inside a UTF-8 character */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,Лицей\n2,\xD0");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3: the file ends inside a UTF-8 character");
    run_free(&r);

    /* empty, only blank lines, header only */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:1: the file is empty; expected a header line with the columns of form schools");
    run_free(&r);
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "\n\r\n\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "the file is empty");
    run_free(&r);
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "\xEF\xBB\xBF");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "the file is empty");
    run_free(&r);
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr", "year,school_id,grade,subject,participants,m2,m3,m4,m5\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.records, 0);
    assert_int_equal(r.coll.nrows, 0);
    run_free(&r);
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr_students", "year,school_id,grade,subject,student,primary_score,mark");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.works, 0);
    run_free(&r);
}

static void test_load_quotes(void **state)
{
    (void)state;
    struct run r;
    /* unterminated quote at the end of the file: the record's first line is named */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,a\n2,\"open\nmore\nlines\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3: the file ends inside a quoted field that starts on this line");
    assert_int_equal(r.coll.nrows, 1);      /* line 2 was offered before the error */
    run_free(&r);

    /* a quote inside an unquoted field */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,a\n2,ab\"c\n3,d\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3: malformed quoting in the record starting at line 3");
    run_free(&r);

    /* text after a closing quote, in a record that started two lines earlier */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,\"a\nb\nc\"x\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:4: malformed quoting in the record starting at line 2");
    run_free(&r);

    /* a quote left open swallows the file: bounded by max_record */
    memset(&r, 0, sizeof r);
    r.o.max_record = 64;
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "school_id,name\n1,a\n2,\"open\n");
    for (int i = 0; i < 20; i++) sbuf_adds(&b, "3,some more text here\n");
    load_str(&r, "schools", b.s);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3: the record starting here is longer than 64 bytes");
    sbuf_free(&b);
    run_free(&r);
}

static void test_load_header(void **state)
{
    (void)state;
    BAD("schools", "school_id,name,colour\n1,a,red\n",
        "F:1:C: column C «colour» is not a column of form schools; expected one of its columns "
        "(see 'soko template schools') or --ignore-unknown");
    BAD("schools", "school_id\n1\n", "F:1: the column «наименование» (name) is missing; expected "
        "it in the header of form schools");
    BAD("vpr", "year,school_id,grade,subject,participants,m2,m3,m4\n",
        "F:1: the column «отметка 5» (m5) is missing; expected it in the header of form vpr");
    BAD("schools", "school_id,name,код ОО\n1,a,1\n",
        "F:1:C: column C «код ОО» means the same as column A «school_id» («код ОО», school_id); "
        "expected each column once");
    BAD("schools", "School_ID,name,school_id\n1,a,1\n", "means the same as column A «School_ID»");

    /* the header's errors all reported, and nothing after it read */
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "x,y,name\n1,2,3\n\"\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:1:A: column A «x» is not a column of form schools");
    EXPECT_MSG(&r, "F:1:B: column B «y» is not a column of form schools");
    EXPECT_MSG(&r, "F:1: the column «код ОО» (school_id) is missing");
    assert_int_equal(r.d.total, 3);
    assert_int_equal(r.st.records, 0);
    run_free(&r);

    /* --ignore-unknown skips them; columns given by position in any order */
    memset(&r, 0, sizeof r);
    r.o.ignore_unknown = 1;
    load_str(&r, "schools", "x,name,y,school_id\n1,One,2,10\n");
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r, "schools@2: school_id=10 name=One\n");
    run_free(&r);

    /* a column with a default may be absent (olympiad name, cluster role) */
    memset(&r, 0, sizeof r);
    load_str(&r, "clusters", "cluster_id,school_id\nnevsky,344\n");
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r, "clusters@2: cluster_id=nevsky school_id=344 role=member\n");
    run_free(&r);
}

/* ------------------------------------------------------ every row check */

#define VPR_H "year,school_id,grade,subject,participants,m2,m3,m4,m5,mean_score,max_score," \
              "lowered,confirmed,raised\n"
#define EGE_H "year,school_id,subject,participants,mean_score,below_min,high_scorers,score_100\n"
#define RDR_H "year,school_id,grade,subject,participants,below_basic,basic,advanced,mean_percent\n"
#define OLY_H "year,school_id,subject,stage,participants,winners,prizewinners,olympiad\n"
#define ADM_H "year,school_id,graduates,university,university_profile,college,budget\n"
#define OGE_H "year,school_id,subject,participants,m2,m3,m4,m5,mean_score\n"
#define STU_H "year,school_id,grade,subject,student,class,primary_score,mark,journal_mark\n"

static void test_checks_good_rows(void **state)
{
    (void)state;
    static const struct {
        const char *form, *csv, *rows;
    } good[] = {
        {"schools", "school_id,name,district,kind,profile\n344,Лицей,Невский,лицей,math\n",
         "schools@2: school_id=344 name=Лицей district=Невский kind=лицей profile=math\n"},
        {"clusters", "cluster_id,school_id,cluster_name,role\nn,344,Невский,активист\n",
         "clusters@2: cluster_id=n school_id=344 cluster_name=Невский role=activist\n"},
        {"context", "year,school_id,factor,value\n2022/2023,344,share_low_income,\"7,5\"\n",
         "context@2: year=2023 school_id=344 factor=share_low_income value=7.5\n"},
        {"vpr", VPR_H "2023,344,5,Математика,25,2,8,10,5,\"12,5\",20,3,20,2\n"
                      "2023,344,6,Математика,10,1,2,3,4,,,,,\n",
         "vpr@2: year=2023 school_id=344 grade=5 subject=Математика participants=25 m2=2 m3=8 "
         "m4=10 m5=5 mean_score=12.5 max_score=20 lowered=3 confirmed=20 raised=2\n"
         "vpr@3: year=2023 school_id=344 grade=6 subject=Математика participants=10 m2=1 m3=2 "
         "m4=3 m5=4\n"},
        {"oge", OGE_H "2023,344,Математика,75,1,20,34,20,17.9\n",
         "oge@2: year=2023 school_id=344 subject=Математика participants=75 m2=1 m3=20 m4=34 "
         "m5=20 mean_score=17.9\n"},
        {"ege", EGE_H "2023,344,Физика,28,71.5,0,9,1\n2023,344,Химия,5,100,0,5,5\n"
                      "2023,344,Химия2,5,0,5,0,\n",
         "ege@2: year=2023 school_id=344 subject=Физика participants=28 mean_score=71.5 "
         "below_min=0 high_scorers=9 score_100=1\n"
         "ege@3: year=2023 school_id=344 subject=Химия participants=5 mean_score=100 "
         "below_min=0 high_scorers=5 score_100=5\n"
         "ege@4: year=2023 school_id=344 subject=Химия2 participants=5 mean_score=0 "
         "below_min=5 high_scorers=0\n"},
        {"rdr", RDR_H "2023,344,8,Физика,52,5,30,17,61.2\n",
         "rdr@2: year=2023 school_id=344 grade=8 subject=Физика participants=52 below_basic=5 "
         "basic=30 advanced=17 mean_percent=61.2\n"},
        {"olympiad", OLY_H "2023,344,Физика,школьный,120,10,25,\n"
                           "2023,344,Физика,school,12,2,10,Турнир\n",
         "olympiad@2: year=2023 school_id=344 subject=Физика stage=school participants=120 "
         "winners=10 prizewinners=25 olympiad=ВсОШ\n"
         "olympiad@3: year=2023 school_id=344 subject=Физика stage=school participants=12 "
         "winners=2 prizewinners=10 olympiad=Турнир\n"},
        {"admissions", ADM_H "2023,344,56,50,38,3,31\n2023,329,10,10,10,,\n",
         "admissions@2: year=2023 school_id=344 graduates=56 university=50 "
         "university_profile=38 college=3 budget=31\n"
         "admissions@3: year=2023 school_id=329 graduates=10 university=10 "
         "university_profile=10\n"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct run r;
        memset(&r, 0, sizeof r);
        load_str(&r, good[i].form, good[i].csv);
        EXPECT_RC(&r, SOKO_OK);
        EXPECT_ROWS(&r, good[i].rows);
        run_free(&r);
    }
}

static void test_checks_bad_rows(void **state)
{
    (void)state;
    /* required empty, every kind of cell */
    BAD("schools", "school_id,name\n,x\n", "F:2:A: column A «school_id»: the cell is empty; "
        "expected a value");
    BAD("schools", "school_id,name\n1,  \n", "F:2:B: column B «name»: the cell is empty");
    BAD("context", "year,school_id,factor,value\n2023,344,students,\n",
        "F:2:D: column D «value»: the cell is empty; expected a number (decimal point or comma)");
    BAD("vpr", VPR_H "2023,344,5,,25,2,8,10,5,,,,,\n", "F:2:D: column D «subject»: the cell is empty");
    BAD("vpr", VPR_H ",344,5,М,25,2,8,10,5,,,,,\n", "F:2:A: column A «year»: the cell is empty; "
        "expected a year from 2000 to 2100, like 2023 or 2022/2023");

    /* cells */
    BAD("vpr", VPR_H "2023,344,5,М,-25,2,8,10,5,,,,,\n",
        "F:2:E: column E «participants»: found «-25»; expected a whole number from 0 to 1000000000");
    BAD("vpr", VPR_H "2023,344,5,М,двадцать,2,8,10,5,,,,,\n",
        "F:2:E: column E «participants»: found «двадцать»; expected a whole number from 0 to "
        "1000000000");
    BAD("vpr", VPR_H "2023,344,12,М,25,2,8,10,5,,,,,\n",
        "F:2:C: column C «grade»: found «12»; expected a whole number from 1 to 11");
    BAD("vpr", VPR_H "2022/2024,344,5,М,25,2,8,10,5,,,,,\n",
        "F:2:A: column A «year»: found «2022/2024»; expected an academic year of two consecutive "
        "years, like 2022/2023");
    BAD("vpr", VPR_H "1999,344,5,М,25,2,8,10,5,,,,,\n",
        "F:2:A: column A «year»: found «1999»; expected a year from 2000 to 2100, like 2023 or "
        "2022/2023");
    BAD("vpr", VPR_H "2023,344,5,М,25,2,8,10,5,1001,,,,\n",
        "F:2:J: column J «mean_score»: found «1001»; expected a number from 0 to 1000 (decimal "
        "point or comma)");
    BAD("olympiad", OLY_H "2023,344,Ф,районный,10,1,1,\n",
        "F:2:D: column D «stage»: found «районный»; expected one of: школьный, муниципальный, "
        "региональный, заключительный (or school, municipal, regional, final)");
    BAD("clusters", "cluster_id,school_id,role\nn,344,лидер\n", "F:2:C: column C «role»: found «лидер»");
    BAD("context", "year,school_id,factor,value\n2023,344,f,7%\n",
        "F:2:D: column D «value»: found «7%»; expected a number (decimal point or comma)");
    /* a long bad value is shown cut */
    BAD("vpr", VPR_H "2023,344,5,М,1234567890123456789012345678901234567890123456789012345678901234567890"
                     ",2,8,10,5,,,,,\n",
        "column E «participants»: found «123456789012345678901234567890123456789012345678901234567890...»");

    /* sums */
    BAD("vpr", VPR_H "2023,344,5,М,25,2,8,10,4,,,,,\n",
        "F:2:E: column E «participants»: the marks add up to 24, but the participants are 25; "
        "expected «m2» + «m3» + «m4» + «m5» = «participants»");
    BAD("vpr", VPR_H "2023,344,5,М,25,2,8,10,5,,,3,20,3\n",
        "F:2:E: column E «participants»: the comparison with journal marks adds up to 26, but the "
        "participants are 25; expected «lowered» + «confirmed» + «raised» = «participants»");
    BAD("vpr", VPR_H "2023,344,5,М,25,2,8,10,5,,,3,22,\n",
        "F:2:N: column N «raised» is empty while the other columns of the sum are given; expected "
        "all of «lowered» + «confirmed» + «raised» = «participants», or none");
    BAD("oge", OGE_H "2023,344,М,75,1,20,34,21,\n",
        "F:2:D: column D «participants»: the marks add up to 76, but the participants are 75");
    BAD("rdr", RDR_H "2023,344,8,Ф,52,5,30,16,\n",
        "F:2:E: column E «participants»: the levels add up to 51, but the participants are 52; "
        "expected «below_basic» + «basic» + «advanced» = «participants»");
    BAD("rdr", RDR_H "2023,344,8,Ф,52,5,30,17,101\n", "F:2:I: column I «mean_percent»: found «101»");
    BAD("olympiad", OLY_H "2023,344,Ф,school,10,5,6,\n",
        "F:2:E: column E «participants»: winners and prize-winners add up to 11, more than the 10 "
        "participants; expected «winners» + «prizewinners» ≤ «participants»");

    /* ≤ chains */
    BAD("ege", EGE_H "2023,344,Ф,28,70,29,9,1\n",
        "F:2:F: column F «below_min»: found 29, more than «participants» (28); expected "
        "«below_min» ≤ «participants»");
    BAD("ege", EGE_H "2023,344,Ф,28,70,0,9,10\n",
        "F:2:H: column H «score_100»: found 10, more than «high_scorers» (9); expected "
        "«score_100» ≤ «high_scorers» ≤ «participants»");
    BAD("ege", EGE_H "2023,344,Ф,28,70,0,29,\n",
        "F:2:G: column G «high_scorers»: found 29, more than «participants» (28)");
    BAD("ege", EGE_H "2023,344,Ф,28,100.5,0,9,1\n",
        "F:2:E: column E «mean_score»: found «100.5»; expected a number from 0 to 100 (decimal "
        "point or comma)");
    BAD("admissions", ADM_H "2023,344,56,50,51,,\n",
        "F:2:E: column E «university_profile»: found 51, more than «university» (50); expected "
        "«university_profile» ≤ «university» ≤ «graduates»");
    BAD("admissions", ADM_H "2023,344,56,57,50,,\n",
        "F:2:D: column D «university»: found 57, more than «graduates» (56)");
    BAD("admissions", ADM_H "2023,344,56,50,38,3,57\n",
        "F:2:G: column G «budget»: found 57, more than «graduates» (56); expected «budget» ≤ "
        "«graduates»");
    BAD("admissions", ADM_H "2023,344,56,50,38,57,\n",
        "F:2:F: column F «college»: found 57, more than «graduates» (56); expected «college» ≤ "
        "«graduates»");
    /* a ≤ with thousands separators shows the value as given, squeezed */
    BAD("admissions", ADM_H "2023,344,\"1 000\",\"1 001\",1,,\n",
        "column D «university»: found 1001, more than «graduates» (1000)");

    /* student rows */
    BAD("vpr_students", STU_H "2023,344,5,М,,а,10,3,\n", "F:2:E: column E «student»: the cell is empty");
    BAD("vpr_students", STU_H "2023,344,5,М,s1,а,10,6,\n", "F:2:H: column H «mark»: found «6»; expected a whole number from 2 to 5");
    BAD("vpr_students", STU_H "2023,344,5,М,s1,а,10,3,1\n", "F:2:I: column I «journal_mark»: found «1»");
    BAD("vpr_students", STU_H "2023,344,5,М,s1,а,201,3,\n", "F:2:G: column G «primary_score»: found «201»");
    BAD("vpr_students", STU_H "2023,344,5,М,s1,а,,3,\n", "F:2:G: column G «primary_score»: the cell is empty");

    /* several errors in one row are all reported; the checks wait for clean cells */
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr", VPR_H "2023,344,0,М,x,2,8,10,4,,,,,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2:C: column C «grade»");
    EXPECT_MSG(&r, "F:2:E: column E «participants»");
    assert_int_equal(r.d.total, 2);
    run_free(&r);
}

static void test_unknown_school(void **state)
{
    (void)state;
    static const char *const reg[] = {"344", "329", NULL};
    struct run r;
    memset(&r, 0, sizeof r);
    r.coll.schools = reg;
    load_str(&r, "oge", OGE_H "2023,344,М,4,1,1,1,1,\n2023,344,Ф,4,1,1,1,1,\n"
                        "2023,999,М,4,1,1,1,1,\n2023,329,М,4,1,1,1,1,\n2023,344,Х,4,1,1,1,1,\n"
                        "2023,329,Ф,4,1,1,1,1,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:4:B: column B «school_id»: school «999» is not in the schools registry "
                   "(row 4); expected a school code imported with form schools");
    assert_int_equal(r.d.total, 1);
    /* the rows before the error reached the sink; none after it */
    assert_int_equal(r.coll.nrows, 2);
    /* the registry is asked once per school */
    assert_int_equal(r.coll.lookups, 3);
    run_free(&r);

    /* every form with a school column checks it; the registry itself does not */
    static const struct {
        const char *form, *csv;
    } t[] = {
        {"clusters", "cluster_id,school_id\nn,999\n"},
        {"context", "year,school_id,factor,value\n2023,999,f,1\n"},
        {"vpr", VPR_H "2023,999,5,М,1,1,0,0,0,,,,,\n"},
        {"vpr_students", STU_H "2023,999,5,М,s,,1,2,\n"},
        {"oge", OGE_H "2023,999,М,1,1,0,0,0,\n"},
        {"ege", EGE_H "2023,999,М,1,50,0,0,\n"},
        {"rdr", RDR_H "2023,999,8,М,1,1,0,0,\n"},
        {"olympiad", OLY_H "2023,999,М,final,1,0,0,\n"},
        {"admissions", ADM_H "2023,999,1,1,1,,\n"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        memset(&r, 0, sizeof r);
        r.coll.schools = reg;
        load_str(&r, t[i].form, t[i].csv);
        EXPECT_RC(&r, SOKO_EINPUT);
        EXPECT_MSG(&r, ":2:B: column B «school_id»: school «999» is not in the schools registry");
        run_free(&r);
    }
    memset(&r, 0, sizeof r);
    r.coll.schools = reg;
    load_str(&r, "schools", "school_id,name\n999,New\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.coll.lookups, 0);
    run_free(&r);

    /* a store error during the look-up */
    memset(&r, 0, sizeof r);
    r.coll.lookup_error = 1;
    load_str(&r, "oge", OGE_H "2023,344,М,1,1,0,0,0,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2:B: cannot look up school «344» in the store");
    run_free(&r);

    /* school codes that are prefixes, suffixes or contain the cache's separator */
    static const char *const reg2[] = {"34", "344", "3445", NULL};
    memset(&r, 0, sizeof r);
    r.coll.schools = reg2;
    load_str(&r, "oge", OGE_H "2023,344,М,1,1,0,0,0,\n2023,34,М,1,1,0,0,0,\n"
                        "2023,3445,М,1,1,0,0,0,\n2023,44,М,1,1,0,0,0,\n"
                        "2023,\"\x1f" "344\",М,1,1,0,0,0,\n2023,4,М,1,1,0,0,0,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:5:B: column B «school_id»: school «44» is not in the schools registry");
    EXPECT_MSG(&r, "F:6:B: column B «school_id»: school «\x1f" "344» is not in the schools registry");
    EXPECT_MSG(&r, "F:7:B: column B «school_id»: school «4» is not in the schools registry");
    assert_int_equal(r.d.total, 3);
    run_free(&r);
}

/* -------------------------------------------------------- duplicate keys */

static void dup_case(size_t dedup_mem)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.o.dedup_mem = dedup_mem;
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, VPR_H);
    /* 40 distinct works on lines 2..41; line 3's key again on 43 and 44, line 42's on 45 */
    for (int i = 0; i < 40; i++)
        sbuf_printf(&b, "2023,344,%d,S%d,1,1,0,0,0,,,,,\n", 1 + i % 11, i);
    sbuf_adds(&b, "2023,344,10,S8,1,1,0,0,0,,,,,\n");         /* 42: new key (line 10 has 9) */
    sbuf_adds(&b, "2022/2023,344,2,S1,1,0,1,0,0,,,,,\n");   /* 43: same as line 3 (year form) */
    sbuf_adds(&b, "2023,344,2,S1,1,1,0,0,0,,,,,\n");        /* 44: line 3 again */
    sbuf_adds(&b, "2023,344,10,S8,1,1,0,0,0,,,,,\n");       /* 45: line 42 again */
    load_str(&r, "vpr", b.s);
    sbuf_free(&b);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:43: this row repeats row 3: the same «year», «school_id», «grade» and "
                   "«subject»; expected each combination of them once in a file");
    EXPECT_MSG(&r, "F:44: this row repeats row 3: the same «year»");
    EXPECT_MSG(&r, "F:45: this row repeats row 42: the same «year»");
    assert_int_equal(r.d.total, 3);
    run_free(&r);

    /* keys differing only in one part are not duplicates; the default olympiad name is
     * part of the key */
    memset(&r, 0, sizeof r);
    r.o.dedup_mem = dedup_mem;
    load_str(&r, "olympiad", OLY_H "2023,344,Ф,school,1,0,0,\n2023,344,Ф,municipal,1,0,0,\n"
                             "2023,344,Ф,school,1,0,0,Турнир\n2024,344,Ф,school,1,0,0,\n"
                             "2023,329,Ф,school,1,0,0,\n2023,344,Х,school,1,0,0,\n"
                             "2023,344,Ф,школьный,1,0,0,ВсОШ\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:8: this row repeats row 2: the same «year», «school_id», «subject», «stage» "
                   "and «olympiad»");
    assert_int_equal(r.d.total, 1);
    run_free(&r);

    /* the same student twice in a work; the same code in another work is fine */
    memset(&r, 0, sizeof r);
    r.o.dedup_mem = dedup_mem;
    load_str(&r, "vpr_students", STU_H "2023,344,5,М,s1,,10,3,\n2023,344,5,М,s2,,10,3,\n"
                                 "2023,344,6,М,s1,,10,3,\n2023,344,5,М,s1,,11,3,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:5:E: column E «student»: the same pupil's code is given twice in one work "
                   "(also in row 2); expected each pupil once per «year», «school_id», «grade» and "
                   "«subject»");
    assert_int_equal(r.d.total, 1);
    assert_int_equal(r.coll.nrows, 0);
    run_free(&r);
}

static void test_duplicates(void **state)
{
    (void)state;
    dup_case(0);      /* default: everything in memory */
    dup_case(1);      /* a run per row */
    dup_case(3);      /* spill to disk and merge */
    dup_case(7);
}

/* Many rows, several spill runs, no duplicate: no false positives. */
static void test_duplicates_spill_many(void **state)
{
    (void)state;
    struct run r;
    memset(&r, 0, sizeof r);
    r.o.dedup_mem = 100;
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "year,school_id,factor,value\n");
    for (int i = 0; i < 2000; i++) sbuf_printf(&b, "2023,%d,f%d,%d\n", i % 37, i / 37, i);
    sbuf_adds(&b, "2023,5,f3,1\n");                         /* = row of i = 3*37+5 = 116 */
    load_str(&r, "context", b.s);
    sbuf_free(&b);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2002: this row repeats row 118: the same «year», «school_id» and «factor»");
    assert_int_equal(r.d.total, 1);
    run_free(&r);
}

/* ----------------------------------------------------- student aggregation */

static void test_students_aggregate(void **state)
{
    (void)state;
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr_students",
             STU_H
             "2023,344,5,Математика,a1,а,3,2,2\n"      /* line 2 */
             "2023,344,5,Математика,a2,а,7,3,4\n"      /* lowered: 3 < 4 */
             "2023,344,5,Математика,a3,б,8,3,3\n"
             "2022/2023,344,5,Математика,a4,б,12,4,3\n" /* raised */
             "2023,344,5,Математика,a5,б,12,4,4\n"
             "2023,344,5,Математика,a6,б,15,5,5\n"
             "2023,329,5,Математика,b1,,5,3,\n"       /* line 8: another work, no journal */
             "2023,329,5,Математика,b2,,0,2,\n"
             "2023,344,6,Русский язык,c1,,10,4,4\n"   /* line 10: partial journal */
             "2023,344,6,Русский язык,c2,,20,5,\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.records, 10);
    assert_int_equal(r.st.works, 3);
    assert_int_equal(r.st.rows, 6);
    EXPECT_ROWS(&r,
        "vpr@2s: year=2023 school_id=344 grade=5 subject=Математика participants=6 m2=1 m3=2 "
        "m4=2 m5=1 mean_score=9.5 lowered=1 confirmed=4 raised=1\n"
        "vpr_dist@2s: year=2023 school_id=344 grade=5 subject=Математика n=6 "
        "scores=[0,0,0,1,0,0,0,1,1,0,0,0,2,0,0,1] mark_min={\"2\":3,\"3\":7,\"4\":12,\"5\":15} "
        "journal=[[1,0,0,0],[0,1,1,0],[0,1,1,0],[0,0,0,1]]\n"
        "vpr@8s: year=2023 school_id=329 grade=5 subject=Математика participants=2 m2=1 m3=1 "
        "m4=0 m5=0 mean_score=2.5\n"
        "vpr_dist@8s: year=2023 school_id=329 grade=5 subject=Математика n=2 scores=[1,0,0,0,0,1] "
        "mark_min={\"2\":0,\"3\":5}\n"
        "vpr@10s: year=2023 school_id=344 grade=6 subject=Русский язык participants=2 m2=0 m3=0 "
        "m4=1 m5=1 mean_score=15\n"
        "vpr_dist@10s: year=2023 school_id=344 grade=6 subject=Русский язык n=2 "
        "scores=[0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,1] mark_min={\"4\":10,\"5\":20} "
        "journal=[[0,0,0,0],[0,0,0,0],[0,0,1,0],[0,0,0,0]]\n");
    assert_int_equal(r.d.nnotes, 1);
    assert_non_null(strstr(r.d.notes[0], ":10:I: column I «journal_mark»: given for 1 of the 2 "
                                         "pupils of the work (2023, school 344, grade 6, Русский "
                                         "язык); the comparison with journal marks is left empty"));
    run_free(&r);

    /* keep_students: the student rows too, before the per-work rows */
    memset(&r, 0, sizeof r);
    r.o.keep_students = 1;
    load_str(&r, "vpr_students", STU_H "2023,344,5,М,a1,а,3,2,2\n2023,344,5,М,a2,,7,3,\n");
    EXPECT_RC(&r, SOKO_OK);
    EXPECT_ROWS(&r,
        "vpr_students@2: year=2023 school_id=344 grade=5 subject=М student=a1 class=а "
        "primary_score=3 mark=2 journal_mark=2\n"
        "vpr_students@3: year=2023 school_id=344 grade=5 subject=М student=a2 primary_score=7 mark=3\n"
        "vpr@2s: year=2023 school_id=344 grade=5 subject=М participants=2 m2=1 m3=1 m4=0 m5=0 "
        "mean_score=5\n"
        "vpr_dist@2s: year=2023 school_id=344 grade=5 subject=М n=2 scores=[0,0,0,1,0,0,0,1] "
        "mark_min={\"2\":3,\"3\":7} journal=[[1,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,0]]\n");
    assert_int_equal(r.st.rows, 4);
    run_free(&r);

    /* an equal score with two marks is allowed (ВПР criteria); a falling one is not */
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr_students", STU_H "2023,344,5,М,a1,,10,3,\n2023,344,5,М,a2,,10,4,\n");
    EXPECT_RC(&r, SOKO_OK);
    run_free(&r);
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr_students", STU_H "2023,344,5,М,a1,,5,2,\n2023,344,5,М,a2,,12,3,\n"
                                 "2023,344,5,М,a3,,11,4,\n2023,344,5,М,a4,,9,3,\n"
                                 "2023,344,6,М,b1,,1,5,\n2023,344,6,М,b2,,2,4,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3:H: column H «mark»: the primary score 12 has the mark 3 in this row, but "
                   "the score 11 has the mark 4 in row 4 (2023, school 344, grade 5, М); expected "
                   "the marks to rise with «primary_score»");
    EXPECT_MSG(&r, "F:7:H: column H «mark»: the primary score 2 has the mark 4 in this row, but "
                   "the score 1 has the mark 5 in row 6");
    assert_int_equal(r.d.total, 2);
    assert_int_equal(r.coll.nrows, 0);
    run_free(&r);
}

/* Loads csv with finished works parked (the default) and with every work kept in
 * memory: the rows, the messages and the notes must be the same. Gives the most works
 * held at once with parking. */
static long park_same(const char *form, const char *csv, int want_rc)
{
    struct run a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    b.o.no_park = 1;
    load_str(&a, form, csv);
    load_str(&b, form, csv);
    EXPECT_RC(&a, want_rc);
    EXPECT_RC(&b, want_rc);
    assert_string_equal(a.coll.rows.s ? a.coll.rows.s : "", b.coll.rows.s ? b.coll.rows.s : "");
    assert_int_equal(a.d.total, b.d.total);
    assert_int_equal(a.d.nmsgs, b.d.nmsgs);
    for (size_t i = 0; i < a.d.nmsgs; i++)
        assert_string_equal(a.d.msgs[i] + strlen(a.path), b.d.msgs[i] + strlen(b.path));
    assert_int_equal(a.d.nnotes, b.d.nnotes);
    for (size_t i = 0; i < a.d.nnotes; i++)
        assert_string_equal(a.d.notes[i] + strlen(a.path), b.d.notes[i] + strlen(b.path));
    assert_int_equal(a.st.works, b.st.works);
    long held = a.st.works_held, all = b.st.works_held;    /* not parking: all held */
    run_free(&a);
    run_free(&b);
    assert_true(held >= 1 && held <= all);
    return held;
}

/* Finished works leave memory while the rows come work by work; a work that comes back
 * brings every parked work back, and the figures stay those of a run in memory. */
static void test_students_parked(void **state)
{
    (void)state;
    struct sbuf csv = SBUF_INIT;
    sbuf_adds(&csv, STU_H);
    const char *subj[] = {"Математика", "Русский язык", "Окружающий мир"};
    for (int w = 0; w < 300; w++)            /* 300 works of 7 pupils, one after another */
        for (int p = 0; p < 7; p++)
            sbuf_printf(&csv, "2023,%d,%d,%s,s%d_%d,,%d,%d,%d\n", 100 + w / 6, 4 + w % 2,
                      subj[(w / 2) % 3], w, p, 3 * p, p < 2 ? 2 : p < 4 ? 3 : p < 6 ? 4 : 5,
                      p == 3 ? 4 : p < 2 ? 2 : p < 4 ? 3 : p < 6 ? 4 : 5);
    assert_int_equal(park_same("vpr_students", csv.s, SOKO_OK), 1);

    /* the first work comes back at the end: everything is held from there on */
    size_t len = csv.len;
    sbuf_adds(&csv, "2023,100,4,Математика,s0_late,,20,5,5\n");
    assert_int_equal(park_same("vpr_students", csv.s, SOKO_OK), 300);

    /* marks missing (no scale: an error per work, said before the rows' errors), marks
     * that fall with the score, and a partial journal: the same messages in the same
     * order, whether the works were parked or not */
    csv.len = len;
    csv.s[len] = '\0';
    sbuf_adds(&csv, "2023,900,5,М,x1,,4,,\n2023,900,5,М,x2,,6,3,\n"
                    "2023,901,5,М,y1,,9,4,\n2023,901,5,М,y2,,8,5,\n"
                    "2023,902,5,М,z1,,9,4,4\n2023,902,5,М,z2,,8,3,\n");
    assert_int_equal(park_same("vpr_students", csv.s, SOKO_EINPUT), 1);
    csv.len = len;
    csv.s[len] = '\0';
    sbuf_adds(&csv, "2023,902,5,М,z1,,9,4,4\n2023,902,5,М,z2,,8,3,\n");
    assert_int_equal(park_same("vpr_students", csv.s, SOKO_OK), 1);
    sbuf_free(&csv);

    /* ЕГЭ participants: a subject of a school after another, and one coming back */
    sbuf_adds(&csv, "year,school_id,subject,student,test_score,min_score\n");
    for (int w = 0; w < 50; w++)
        for (int p = 0; p < 5; p++)
            sbuf_printf(&csv, "2024,%d,%s,e%d_%d,%d,36\n", 100 + w / 3, subj[w % 3], w, p,
                      30 + 13 * p);
    assert_int_equal(park_same("ege_students", csv.s, SOKO_OK), 1);
    sbuf_adds(&csv, "2024,100,Математика,e_late,99,36\n");
    assert_int_equal(park_same("ege_students", csv.s, SOKO_OK), 50);
    sbuf_free(&csv);
}

/* ------------------------------------------------------------ the sink */

static void test_sink_and_errors(void **state)
{
    (void)state;
    struct run r;
    /* a sink refusal makes the file bad; no row after it is offered */
    memset(&r, 0, sizeof r);
    r.coll.fail_row = 2;
    load_str(&r, "schools", "school_id,name\n1,a\n2,b\n3,c\n4,d\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "sink:3: refused by the sink");
    assert_int_equal(r.coll.nrows, 2);
    assert_int_equal(r.st.rows, 1);
    assert_int_equal(r.st.records, 4);
    run_free(&r);

    /* after the first bad row, the rest is checked but not offered */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n1,a\n2,\n3,c\n4,\n5,e\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    assert_int_equal(r.d.total, 2);
    EXPECT_MSG(&r, "F:5:B: column B «name»: the cell is empty");
    assert_int_equal(r.coll.nrows, 1);
    run_free(&r);

    /* files that cannot be read */
    memset(&r, 0, sizeof r);
    soko_diag_init(&r.d, 0);
    struct load_sink sink = {&r.coll, coll_school, coll_row, NULL, coll_known, NULL, NULL, NULL};
    char dir[300];
    snprintf(dir, sizeof dir, "%s/dir", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(load_file(dir, form_find("schools"), NULL, &sink, &r.st, &r.d), SOKO_EIO);
    assert_non_null(strstr(r.d.msgs[0], "/dir: is a directory; expected a CSV file"));
    assert_int_equal(load_file("/nonexistent/x.csv", form_find("schools"), NULL, &sink, &r.st,
                               &r.d), SOKO_EIO);
    assert_string_equal(r.d.msgs[1], "/nonexistent/x.csv: cannot open: No such file or directory");
    /* the internal form cannot be imported */
    const char *p = write_str("year\n");
    assert_int_equal(load_file(p, form_find("vpr_dist"), NULL, &sink, &r.st, &r.d), SOKO_EUSAGE);
    assert_non_null(strstr(r.d.msgs[2], "written by soko itself"));
    /* a load without a sink (check) */
    p = write_str("school_id,name\n1,a\n");
    assert_int_equal(load_file(p, form_find("schools"), NULL, NULL, &r.st, &r.d), SOKO_OK);
    assert_int_equal(r.st.records, 1);
    run_free(&r);
}

/* Files bigger than the read chunk: UTF-8 characters and CRLF cut at chunk edges, and
 * line numbers still right at the end; the same in Windows-1251. */
static void test_big_files(void **state)
{
    (void)state;
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "код ОО;наименование;район\r\n");
    int n = 0;
    while (b.len < 600 * 1024) {
        n++;
        sbuf_printf(&b, "%d;Школа № %d имени Ё. Ю. Щукина;Невский%s\r\n", n, n,
                    n % 3 ? "" : " район");
    }
    sbuf_printf(&b, "%d;;x\r\n", n + 1);                       /* line n + 2 */
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", b.s);
    EXPECT_RC(&r, SOKO_EINPUT);
    char want[128];
    snprintf(want, sizeof want, "F:%d:B: column B «наименование»: the cell is empty", n + 2);
    EXPECT_MSG(&r, want);
    assert_int_equal(r.d.total, 1);
    assert_int_equal(r.st.records, n + 1);
    assert_int_equal(r.st.enc, ENC_UTF8);
    run_free(&r);

    size_t len;
    char *cp = to_cp1251(b.s, &len);
    memset(&r, 0, sizeof r);
    load_bytes(&r, "schools", cp, len);
    free(cp);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, want);
    assert_int_equal(r.d.total, 1);
    assert_int_equal(r.st.enc, ENC_CP1251);
    run_free(&r);

    /* many multi-line records: every row arrives, the last with its line */
    sbuf_reset(&b);
    sbuf_adds(&b, "school_id,name\n");
    for (int i = 1; i <= 20000; i++) sbuf_printf(&b, "%d,\"Школа\n№ %d\"\n", i, i);
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", b.s);
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.rows, 20000);
    /* record i starts on line 2i */
    assert_non_null(strstr(r.coll.rows.s, "\nschools@40000: school_id=20000 name=Школа\n№ 20000\n"));
    run_free(&r);

    /* Windows-1251 characters that take three bytes in UTF-8 (№ “ ” – …): the
     * converted text of a chunk is up to three times its size */
    sbuf_reset(&b);
    sbuf_adds(&b, "код ОО;наименование\n1;\"");
    for (int i = 0; i < 100000; i++) sbuf_adds(&b, "№“”…");
    sbuf_adds(&b, "\"\n2;Школа\n");
    cp = to_cp1251(b.s, &len);
    memset(&r, 0, sizeof r);
    load_bytes(&r, "schools", cp, len);
    free(cp);
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.enc, ENC_CP1251);
    assert_int_equal(r.st.rows, 2);
    assert_non_null(strstr(r.coll.rows.s, "\nschools@3: school_id=2 name=Школа\n"));
    run_free(&r);
    sbuf_free(&b);
}

/* Regression cases found by the fuzzers (tests/fuzz); each names what it pins. */
static void test_fuzz_regressions(void **state)
{
    (void)state;
    struct run r;

    /* fuzz_load, a message not in UTF-8: a bad value longer than the 63 bytes quoted
     * was cut inside a two-byte character ("ББ…Б" in a Windows-1251 file) */
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "year,school_id,subject,participants,mean_score,below_min,high_scorers\n"
                  "2024,344,Физика,10,");
    for (int i = 0; i < 40; i++) sbuf_adds(&b, "Б");
    sbuf_adds(&b, ",0,0\n");
    memset(&r, 0, sizeof r);
    load_str(&r, "ege", b.s);
    EXPECT_RC(&r, SOKO_EINPUT);
    assert_int_equal(r.d.nmsgs, 1);
    int inc;
    size_t n = strlen(r.d.msgs[0]);
    assert_int_equal(utf8_valid_prefix((const unsigned char *)r.d.msgs[0], n, &inc), n);
    EXPECT_MSG(&r, "F:2:E: column E «mean_score»: found «ББББББББББББББББББББББББББББББ...»");
    run_free(&r);
    sbuf_free(&b);
}


/* ============================================== the reader's language: headers */

static void test_header_key_and_variants(void **state)
{
    (void)state;
    struct sbuf k = SBUF_INIT, k2 = SBUF_INIT;
    form_header_key("  Кол-во участников, чел. ", &k);
    assert_string_equal(k.s, "количествоучастников");
    form_header_key("Количество\xC2\xA0 участников", &k2);
    assert_string_equal(k.s, k2.s);
    form_header_key("Число участников", &k2);
    assert_string_equal(k.s, k2.s);
    form_header_key("КОЛ.УЧАСТНИКОВ", &k2);
    assert_string_equal(k.s, k2.s);
    form_header_key("Кoл-вo учаcтникoв", &k2);                 /* Latin o and c */
    assert_string_equal(k.s, k2.s);
    form_header_key("Средний % выполнения", &k);
    assert_string_equal(k.s, "среднийпроцентвыполнения");
    form_header_key("Призёры", &k);
    assert_string_equal(k.s, "призеры");
    form_header_key("school_id", &k);
    form_header_key("School ID", &k2);
    assert_string_equal(k.s, k2.s);
    form_header_key("«»", &k);
    assert_string_equal(k.s, "");
    sbuf_free(&k);
    sbuf_free(&k2);

    const struct form *vpr = form_find("vpr");
    int part = form_col_index(vpr, "participants"), m2 = form_col_index(vpr, "m2");
    int school = form_col_index(vpr, "school_id"), mean = form_col_index(vpr, "mean_score");
    static const char *const as_part[] = {"Кол-во участников", "Количество участников",
        "Число участников", "кол-во участников, чел.", "УЧАСТНИКОВ", "Кол.во участников", NULL};
    for (const char *const *h = as_part; *h; h++) assert_int_equal(match("vpr", *h), part);
    static const char *const as_m2[] = {"Отметка «2»", "“2”", "\"2\"", "«2»", "Отметка 2",
        "отметка2", "Кол-во «2»", "Количество \"2\"", "Получили «2»", NULL};
    for (const char *const *h = as_m2; *h; h++) assert_int_equal(match("vpr", *h), m2);
    static const char *const as_school[] = {"Код ОО", "Код школы", "Логин ОО", "КОД ОО",
        "Кoд OO", "код образовательной организации", NULL};                /* Latin o, O */
    for (const char *const *h = as_school; *h; h++) assert_int_equal(match("vpr", *h), school);
    assert_int_equal(match("vpr", "Средний балл"), mean);
    assert_int_equal(match("vpr", "Ср. балл"), mean);
    assert_int_equal(match("vpr", "Макс. балл"), form_col_index(vpr, "max_score"));
    assert_int_equal(match("oge", "Средний балл"), form_col_index(form_find("oge"), "mean_score"));
    assert_int_equal(match("rdr", "Средний % выполнения"),
                     form_col_index(form_find("rdr"), "mean_percent"));
    assert_int_equal(match("vpr", "отметка 22"), -1);
    assert_int_equal(match("vpr", "Количество"), -1);
}

static void test_suggest(void **state)
{
    (void)state;
    const struct form *vpr = form_find("vpr");
    struct form_guess g[3];
    size_t n = form_col_suggest(vpr, "отмтка 2", NULL, g, 3);
    assert_true(n >= 1);
    assert_int_equal(g[0].col, form_col_index(vpr, "m2"));
    assert_string_equal(g[0].text, "отметка 2");
    n = form_col_suggest(vpr, "Учасников", NULL, g, 3);
    assert_true(n >= 1);
    assert_int_equal(g[0].col, form_col_index(vpr, "participants"));
    n = form_col_suggest(vpr, "Кол-во участ", NULL, g, 3);               /* a beginning */
    assert_true(n >= 1);
    assert_int_equal(g[0].col, form_col_index(vpr, "participants"));
    assert_int_equal(form_col_suggest(vpr, "teacher", NULL, g, 3), 0);
    assert_int_equal(form_col_suggest(vpr, "", NULL, g, 3), 0);
    /* a column already in the file is not offered */
    unsigned char skip[LOAD_MAXCOLS] = {0};
    skip[form_col_index(vpr, "m2")] = 1;
    n = form_col_suggest(vpr, "отмтка 2", skip, g, 3);
    for (size_t i = 0; i < n; i++) assert_int_not_equal(g[i].col, form_col_index(vpr, "m2"));

    /* in a file: one message, with the suggestion; no second one for the missing column */
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr", "Год;Код ОО;Класс;Предмет;Кол-во участников;отмтка 2;отметка 3;отметка 4;"
                        "отметка 5\n2025;344;5;М;25;2;8;10;5\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:1:F: column F «отмтка 2» is not a column of form vpr (did you mean "
                   "«отметка 2»?); expected one of its columns (see 'soko template vpr') or "
                   "--ignore-unknown");
    assert_int_equal(r.d.total, 1);
    run_free(&r);
    /* two near ones */
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr", "year,school_id,grade,subject,participants,m2,m3,m4,m5,m7\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:1:J: column J «m7» is not a column of form vpr");
    run_free(&r);
    /* --ignore-unknown: skipped, and said in a note */
    memset(&r, 0, sizeof r);
    r.o.ignore_unknown = 1;
    load_str(&r, "schools", "school_id,name,teacher\n1,a,b\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.d.nnotes, 1);
    assert_non_null(strstr(r.d.notes[0], ":1: 1 column ignored (--ignore-unknown): column C «teacher»"));
    run_free(&r);
}

/* Messages name the user's own headers; a row of a Russian file reads as such. */
static void test_user_headers(void **state)
{
    (void)state;
    BAD("vpr", "Учебный год;Код ОО;Параллель;Предмет;Кол-во участников;Отметка «2»;Отметка «3»;"
               "Отметка «4»;Отметка «5»\n2024/2025;344;5;Математика;50;2;14;22;11\n",
        "F:2:E: column E «Кол-во участников»: the marks add up to 49, but the participants are 50; "
        "expected «Отметка «2»» + «Отметка «3»» + «Отметка «4»» + «Отметка «5»» = «Кол-во "
        "участников»");
    BAD("vpr", "год;код ОО;класс;предмет;участников;отметка 2;отметка 3;отметка 4;отметка 5\n"
               "2025;344;5;Математика;двадцать;2;8;10;5\n",
        "F:2:E: column E «участников»: found «двадцать»; expected a whole number from 0 to "
        "1000000000");
    /* the 27th column is AA */
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "school_id,name");
    for (int i = 3; i <= 27; i++) sbuf_printf(&b, ",x%d", i);
    sbuf_adds(&b, "\n");
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", b.s);
    EXPECT_MSG(&r, "F:1:AA: column AA «x27» is not a column of form schools");
    run_free(&r);
    sbuf_free(&b);
}

/* ===================================================== impossible values */

static void test_impossible_values(void **state)
{
    (void)state;
    /* ВПР: a mean primary score above the work's maximum */
    BAD("vpr", VPR_H "2023,344,5,М,25,2,8,10,5,25,20,,,\n",
        "F:2:J: column J «mean_score»: found 25, more than «max_score» (20); expected «mean_score» "
        "≤ «max_score»");
    /* ЕГЭ: 5 of 5 at 100 points and a mean of 50 */
    BAD("ege", EGE_H "2023,344,Х,5,50,0,5,5\n",
        "F:2:E: column E «mean_score»: found 50, but with «participants» 5, «high_scorers» 5 and "
        "«score_100» 5 the mean is 100; expected that mean (or other counts)");
    /* the lower bound: 10 of 20 scored 81 or more, 2 of them 100: mean ≥ (200 + 648) / 20 */
    BAD("ege", EGE_H "2023,344,Х,20,42.3,0,10,2\n",
        "F:2:E: column E «mean_score»: found 42.3, but with «participants» 20, «high_scorers» 10 "
        "and «score_100» 2 the mean lies between 42.4 and 89.6; expected a mean within these bounds");
    /* the upper bound without score_100: (100·2 + 80·18) / 20 = 82 */
    BAD("ege", "year,school_id,subject,participants,mean_score,below_min,high_scorers\n"
               "2023,344,Х,20,82.1,0,2\n", "the mean lies between 8.1 and 82;");
    /* within half a unit of the mean's last decimal: 42 may be 42.4 rounded, 42.35 not */
    BAD("ege", EGE_H "2023,344,Х,20,42.35,0,10,2\n", "found 42.35, but with");
    static const char *const ege_ok[] = {
        EGE_H "2023,344,Х,20,42.4,0,10,2\n", EGE_H "2023,344,Х,20,\"42,40\",0,10,2\n",
        EGE_H "2023,344,Х,20,42,0,10,2\n",     /* given as a whole number: 41.5..42.5 */
        EGE_H "2023,344,Х,5,100,0,5,5\n", EGE_H "2023,344,Х,5,0,5,0,0\n",
        EGE_H "2023,344,Х,0,0,0,0,0\n",        /* nobody: nothing to bound */
        "year,school_id,subject,participants,mean_score,below_min,high_scorers\n2023,344,Х,20,82,0,2\n",
        NULL};
    for (const char *const *csv = ege_ok; *csv; csv++) {
        struct run r;
        memset(&r, 0, sizeof r);
        load_str(&r, "ege", *csv);
        EXPECT_RC(&r, SOKO_OK);
        run_free(&r);
    }
    BAD("ege", EGE_H "2023,344,Х,20,41.4,0,10,2\n", "the mean lies between 42.4 and 89.6");
    BAD("ege", EGE_H "2023,344,Х,20,89.7,0,10,2\n", "the mean lies between 42.4 and 89.6");
    /* below the minimum and 81 or more are different pupils */
    BAD("ege", EGE_H "2023,344,Х,20,50,12,9,0\n",
        "F:2:D: column D «participants»: those below the minimum and those with 81 points or more "
        "add up to 21, more than the 20 participants; expected «below_min» + «high_scorers» ≤ "
        "«participants»");
    /* admissions: universities and colleges together */
    BAD("admissions", ADM_H "2023,344,50,40,30,40,\n",
        "F:2:C: column C «graduates»: those admitted to universities and to colleges add up to 80, "
        "more than the 50 graduates; expected «university» + «college» ≤ «graduates»");
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "admissions", ADM_H "2023,344,50,40,30,,\n");     /* college unknown: fine */
    EXPECT_RC(&r, SOKO_OK);
    run_free(&r);
    /* context: shares are percentages, students a whole number 0 or more */
    BAD("context", "year,school_id,factor,value\n2023,344,share_low_income,150\n",
        "F:2:D: column D «value»: found 150 for the factor «share_low_income» (column C «factor»); "
        "expected a percentage from 0 to 100");
    BAD("context", "year,school_id,factor,value\n2023,344,students,-5\n",
        "F:2:D: column D «value»: found -5 for the factor «students» (column C «factor»); expected "
        "a whole number of students, 0 or more");
    BAD("context", "year,school_id,factor,value\n2023,344,students,\"12,5\"\n",
        "found 12.5 for the factor «students»");
    BAD("context", "year,school_id,factor,value\n2023,344,teachers_top_category,101\n",
        "expected a percentage from 0 to 100");
    memset(&r, 0, sizeof r);
    load_str(&r, "context", "year,school_id,factor,value\n2023,344,share_ovz,100\n"
                            "2023,344,share_x,0\n2023,344,risk_staff_shortage,-3\n"
                            "2023,344,students,0\n2023,344,class_size,\"24,5\"\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.coll.nrows, 5);
    run_free(&r);
}

/* ==================================================== look-alike keys */

static void test_lookalike_keys(void **state)
{
    (void)state;
    /* a Latin letter in a Cyrillic subject */
    BAD("vpr", VPR_H "2023,344,5,Мaтематика,1,1,0,0,0,,,,,\n",
        "F:2:D: column D «subject»: «Мaтематика» has the Latin letter «a» (letter 2 of its word) "
        "among Cyrillic ones; expected the letters of one alphabet in a word: «Математика»");
    /* two school codes that look the same, in one registry file */
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\nA01,a\nА01,b\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3:A: column A «school_id»: «А01» looks the same as «A01» in row 2 but is "
                   "written with other letters (Latin and Cyrillic look-alikes); expected one "
                   "spelling of each value");
    run_free(&r);
    /* and the same subject spelled with a zero-width space, or й decomposed: one work */
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr_students", STU_H "2023,344,5,Математика,a1,,10,3,\n"
                                 "2023,344,5,Мате\xE2\x80\x8Bматика,a2,,12,4,\n"
                                 "2023,344,5, Математика\xC2\xA0,a3,,12,4,\n"
                                 "2023,344,6,Английский язык,b1,,10,3,\n"
                                 "2023,344,6,Англии\xCC\x86ский  язык,b2,,12,4,\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.works, 2);
    assert_non_null(strstr(r.coll.rows.s, "vpr@2s: year=2023 school_id=344 grade=5 "
                                          "subject=Математика participants=3 "));
    assert_non_null(strstr(r.coll.rows.s, "subject=Английский язык participants=2 "));
    run_free(&r);

    /* against the store: A01 is registered; a new «А01» is refused, «A01» itself replaces */
    static const char *const known[] = {"school_id=A01", "subject=Математика", NULL};
    static const char *const reg[] = {"A01", "344", NULL};
    memset(&r, 0, sizeof r);
    r.coll.known = known;
    load_str(&r, "schools", "school_id,name\nA01,a\n344,b\n");
    EXPECT_RC(&r, SOKO_OK);
    run_free(&r);
    memset(&r, 0, sizeof r);
    r.coll.known = known;
    load_str(&r, "schools", "school_id,name\nА01,a\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2:A: column A «school_id»: «А01» looks the same as «A01», already stored, "
                   "but is written with other letters (Latin and Cyrillic look-alikes); expected "
                   "the stored spelling");
    run_free(&r);
    /* the subject through known() */
    memset(&r, 0, sizeof r);
    r.coll.known = known;
    load_str(&r, "oge", OGE_H "2023,344,MATEMATИKA,1,1,0,0,0,\n");    /* mixed: refused anyway */
    EXPECT_RC(&r, SOKO_EINPUT);
    run_free(&r);
    static const char *const known2[] = {"subject=COM", NULL};
    memset(&r, 0, sizeof r);
    r.coll.known = known2;
    load_str(&r, "oge", OGE_H "2023,344,СОМ,1,1,0,0,0,\n");            /* all Cyrillic */
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2:C: column C «subject»: «СОМ» looks the same as «COM», already stored");
    run_free(&r);
    /* a store error while looking */
    memset(&r, 0, sizeof r);
    r.coll.known = known;
    r.coll.lookup_error = 1;
    load_str(&r, "schools", "school_id,name\nB01,a\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2:A: column A «school_id»: cannot look up «B01» in the store");
    run_free(&r);
    /* a results file naming «А01» (Cyrillic) where the registry has A01: the suggestion */
    memset(&r, 0, sizeof r);
    r.coll.schools = reg;
    load_str(&r, "oge", OGE_H "2023,А01,М,1,1,0,0,0,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2:B: column B «school_id»: school «А01» is not in the schools registry (row "
                   "2); expected a school code imported with form schools — did you mean «A01»?");
    run_free(&r);
    /* each distinct new value is looked up once, with its look-alikes */
    memset(&r, 0, sizeof r);
    r.coll.known = known;
    load_str(&r, "schools", "school_id,name\nAB,a\nAB2,b\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.coll.known_lookups, 2 * (1 + 3));
    run_free(&r);
}

/* ============================================================ names */

static void test_names_in_codes(void **state)
{
    (void)state;
    const char *csv = STU_H "2023,344,5,М,Иванов Иван Петрович,,10,3,\n"
                            "2023,344,5,М,A-002,,12,4,\n"
                            "2023,344,5,М,Петрова А.С.,,12,4,\n";
    struct run r;
    memset(&r, 0, sizeof r);
    r.o.keep_students = 1;
    load_str(&r, "vpr_students", csv);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:2:E: column E «student» holds what look like people's names (rows 2 and 4); "
                   "expected pseudonymous codes such as A-001: pupils' names must not be imported "
                   "(--allow-names only if the district has decided otherwise)");
    assert_int_equal(r.d.total, 1);
    assert_int_equal(r.coll.nrows, 0);
    /* no message quotes a pupil's code */
    for (size_t i = 0; i < r.d.nmsgs; i++) {
        assert_null(strstr(r.d.msgs[i], "Иванов"));
        assert_null(strstr(r.d.msgs[i], "Петрова"));
    }
    run_free(&r);
    /* refused without --keep-students too: the file itself is personal data */
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr_students", csv);
    EXPECT_RC(&r, SOKO_EINPUT);
    run_free(&r);
    /* the district's decision */
    memset(&r, 0, sizeof r);
    r.o.allow_names = 1;
    load_str(&r, "vpr_students", csv);
    EXPECT_RC(&r, SOKO_OK);
    run_free(&r);
    /* the duplicate code message does not quote it either */
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr_students", STU_H "2023,344,5,М,Z-77,,10,3,\n2023,344,5,М,Z-77,,12,4,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    assert_null(strstr(r.d.msgs[0], "Z-77"));
    run_free(&r);
}

/* ================================================== Excel's leftovers */

static void test_excel_leftovers(void **state)
{
    (void)state;
    struct run r;
    /* empty rows (;;;;), above the header too; trailing columns without a header;
     * whitespace-only cells (libcsv trims ASCII spaces of unquoted cells itself: those
     * of no-break spaces are the ones counted) */
    memset(&r, 0, sizeof r);
    load_str(&r, "vpr", ";;;;;;;;;;\n"
                        "year;school_id;grade;subject;participants;m2;m3;m4;m5;mean_score;;\n"
                        "2023;344;5;М;25;2;8;10;5;\xC2\xA0 ;;\n"
                        ";;;;;;;;;;;\n"
                        " ; ;;\xC2\xA0;;;;;;;;\n"
                        "2023;344;6;М;10;1;2;3;4;12,5;;\n"
                        ";;;;;;;;;;;\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.records, 2);
    assert_int_equal(r.st.rows, 2);
    assert_int_equal(r.st.empty_rows, 4);
    assert_int_equal(r.st.blank_cells, 1);
    assert_int_equal(r.d.nnotes, 3);
    assert_non_null(strstr(r.d.notes[0], ": 4 empty rows skipped"));
    assert_non_null(strstr(r.d.notes[1], ": 1 cell held only spaces and was read as empty"));
    assert_non_null(strstr(r.d.notes[2], ":1: 2 columns without a header and without data ignored"));
    run_free(&r);
    /* rows shorter than the header only by its empty trailing columns */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name,,\n1,a\n2,b,,\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.rows, 2);
    run_free(&r);
    /* a value under a column without a header: said once per column, not quoted */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name,\n1,a,\n2,b,Иванова\n3,c,Петрова\n4,d,\n5,e,,x\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3:C: column C has no header, but this row has a value in it; expected a "
                   "header above every column that holds data");
    EXPECT_MSG(&r, "F:6:D: column D has no header");
    assert_int_equal(r.d.total, 2);
    for (size_t i = 0; i < r.d.nmsgs; i++) assert_null(strstr(r.d.msgs[i], "Иванова"));
    run_free(&r);
    /* with --ignore-unknown a column without a header is skipped like an unknown one */
    memset(&r, 0, sizeof r);
    r.o.ignore_unknown = 1;
    load_str(&r, "schools", "school_id,name,\n1,a,x\n");
    EXPECT_RC(&r, SOKO_OK);
    run_free(&r);
    /* a file of empty rows only is an empty file */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", ";;\n;;\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "the file is empty");
    run_free(&r);
}

/* ========================================== thousands, years in the future */

/* Rows above the header that read as a title are skipped and counted; when no header
 * follows them they are read again, so a file without a title reads as before. */
static void test_title_rows(void **state)
{
    (void)state;
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "oge", "Результаты ОГЭ 2024,,\n,,,\nСоставил: ИМЦ\n" OGE_H "2024,344,М,1,1,0,0,0,\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.titles, 2);
    assert_int_equal(r.st.rows, 1);
    assert_int_equal(r.st.empty_rows, 1);
    run_free(&r);

    /* a header of two unknown columns: the same refusal as without the title logic */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "foo,bar\n1,2\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:1:A: column A «foo» is not a column of form schools");
    assert_int_equal(r.st.titles, 0);
    run_free(&r);

    /* a title row that names a column is the header */
    memset(&r, 0, sizeof r);
    load_str(&r, "schools", "school_id,name\n344,Лицей\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.st.titles, 0);
    run_free(&r);
}

/* A per-participant export read through a layout with task columns (tasks = auto):
 * each task's points added up per work and handed to sink->task; X, Х and - are 0
 * points; a value above the task's maximum is refused with its column. */
struct tasks_seen {
    struct sbuf s;
};

static int coll_task(void *ctx, const struct load_task *t, struct soko_diag *d)
{
    (void)d;
    struct tasks_seen *ts = ctx;
    sbuf_printf(&ts->s, "%lld %s %lld %s task %s max %d n %ld points %g\n", t->year, t->school,
                t->grade, t->subject, t->task, t->max_score, t->participants, t->points);
    return SOKO_OK;
}

static int ts_school(void *ctx, const char *id) { (void)ctx; (void)id; return 1; }
static int ts_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    (void)ctx; (void)r; (void)d;
    return SOKO_OK;
}

static void test_layout_tasks(void **state)
{
    (void)state;
    const char *ini = write_str(
        "[layout]\nform = vpr_students\ntasks = auto\n\n[title]\n"
        "year = впр[[:space:]]+([0-9]{4})\n"
        "subject = впр[[:space:]]+[0-9]{4}[[:space:]]+(.+)[[:space:]]+[0-9]{1,2}[[:space:]]*класс\n\n"
        "[columns]\nschool_id = login ОО\ngrade = number Класс\nstudent = Код участника\n"
        "primary_score = Первичный балл\nmark = Отметка\n");
    char inipath[300];
    snprintf(inipath, sizeof inipath, "%s", ini);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *lay = NULL;
    assert_int_equal(layout_load(inipath, NULL, &lay, &d), SOKO_OK);
    const char *csv =
        "ВПР 2023 Математика 5 класс\n;;;Б;П;П\n"
        "ОО;Код участника;Класс;1 (1б);2 (2б);2К1 (3б);Первичный балл;Отметка\n"
        "(edu1) Школа;1;5А;1;2;3;6;5\n(edu1) Школа;2;5А;X;1;Х;1;2\n(edu1) Школа;3;5Б;1;-;2;3;3\n";
    const char *path = write_str(csv);
    struct tasks_seen ts = {SBUF_INIT};
    struct load_sink sink = {&ts, ts_school, ts_row, NULL, NULL, NULL, NULL, coll_task};
    struct load_opts o;
    memset(&o, 0, sizeof o);
    o.layout = lay;
    struct load_stats st;
    int rc = load_file(path, form_find("vpr_students"), &o, &sink, &st, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_message("  diag: %s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    assert_int_equal(st.tasks, 3);
    assert_int_equal(st.task_rows, 3);
    assert_string_equal(ts.s.s, "2023 edu1 5 Математика task 1 max 1 n 3 points 2\n"
                                "2023 edu1 5 Математика task 2 max 2 n 3 points 3\n"
                                "2023 edu1 5 Математика task 2К1 max 3 n 3 points 5\n");
    sbuf_free(&ts.s);

    /* 2 points for a task of 1 */
    path = write_str("ВПР 2023 Математика 5 класс\n"
                     "ОО;Код участника;Класс;1 (1б);2 (2б);Первичный балл;Отметка\n"
                     "edu1;1;5А;2;2;4;4\n");
    soko_diag_clear(&d);
    rc = load_file(path, form_find("vpr_students"), &o, &sink, &st, &d);
    assert_int_equal(rc, SOKO_EINPUT);
    assert_true(d.nmsgs >= 1);
    assert_non_null(strstr(d.msgs[0], ":3:D: column D «1 (1б)»: found «2»; expected the points of "
                                      "task 1, from 0 to 1 (or X: not attempted)"));
    assert_int_equal(ts.s.len, 0);
    sbuf_free(&ts.s);
    layout_free(lay);
    soko_diag_free(&d);

    char *label = NULL;
    assert_int_equal(layout_task_header("5(1) (1б)", &label), 1);
    assert_string_equal(label, "5(1)");
    free(label);
    assert_int_equal(layout_task_header("9.1 (12 б)", &label), 12);
    assert_string_equal(label, "9.1");
    free(label);
    assert_int_equal(layout_task_header("Первичный балл", &label), 0);
    assert_int_equal(layout_task_header("(2б)", &label), 0);
}

static void test_thousands_and_future(void **state)
{
    (void)state;
    int_ok("vpr", "participants", "1\xE2\x80\xAF" "234", 1234);          /* U+202F */
    int_ok("vpr", "participants", "1\xE2\x80\x89" "234\xE2\x80\x89" "567", 1234567);   /* U+2009 */
    int_ok("vpr", "participants", "12 345", 12345);
    int_ok("vpr", "participants", "123 456", 123456);
    real_ok("context", "value", "-1\xE2\x80\xAF" "234,5", -1234.5);
    real_ok("context", "value", "1 234.25", 1234.25);
    cell_bad("vpr", "participants", "12 34", "a whole number");          /* ambiguous groups */
    cell_bad("vpr", "participants", "1 2 3", "a whole number");
    cell_bad("vpr", "participants", "1234 567", "a whole number");
    cell_bad("vpr", "participants", "1 234 56", "a whole number");
    cell_bad("vpr", "participants", "1  234", "a whole number");
    cell_bad("context", "value", "1 234,5 6", "a number");
    cell_bad("vpr", "participants", "1'234", "a whole number");         /* no apostrophes */

    /* in a file, through normalisation */
    struct run r;
    memset(&r, 0, sizeof r);
    load_str(&r, "admissions", ADM_H "2023,344,\"1\xE2\x80\xAF" "200\",\"1\xC2\xA0" "000\",900,,\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_non_null(strstr(r.coll.rows.s, "graduates=1200 university=1000 "));
    run_free(&r);

    /* a year after next year: a note, and the rows are imported */
    memset(&r, 0, sizeof r);
    r.o.now_year = 2026;
    load_str(&r, "oge", OGE_H "2027,344,М,1,1,0,0,0,\n2031/2032,344,М,1,1,0,0,0,\n"
                        "2032,344,Ф,1,1,0,0,0,\n2028,344,М,1,1,0,0,0,\n");
    EXPECT_RC(&r, SOKO_OK);
    assert_int_equal(r.coll.nrows, 4);
    assert_int_equal(r.d.nnotes, 2);
    assert_non_null(strstr(r.d.notes[0], ":3:A: column A «year»: the year 2032 is later than next "
                                         "year (2027) (rows 3 and 4); the rows were imported: "
                                         "please check the year"));
    assert_non_null(strstr(r.d.notes[1], ":5:A: column A «year»: the year 2028 is later than next "
                                         "year (2027) (row 5); the row was imported"));
    run_free(&r);
}

/* Unknown schools: one message per school, with its rows, whatever their number. */
static void test_unknown_schools_gathered(void **state)
{
    (void)state;
    static const char *const reg[] = {"344", NULL};
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, OGE_H);
    for (int i = 0; i < 123; i++) sbuf_printf(&b, "2023,%s,S%d,1,1,0,0,0,\n", i % 2 ? "777" : "344", i);
    sbuf_adds(&b, "2023,888,S,1,1,0,0,0,\n");
    struct run r;
    memset(&r, 0, sizeof r);
    r.coll.schools = reg;
    load_str(&r, "oge", b.s);
    sbuf_free(&b);
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "F:3:B: column B «school_id»: school «777» is not in the schools registry "
                   "(rows 3, 5, 7 and 58 more); expected a school code imported with form schools");
    EXPECT_MSG(&r, "F:125:B: column B «school_id»: school «888» is not in the schools registry "
                   "(row 125)");
    assert_int_equal(r.d.total, 2);
    assert_int_equal(r.coll.lookups, 3);
    assert_int_equal(r.coll.nrows, 1);          /* the row before the first unknown school */
    run_free(&r);

    /* results before the registry: every school unknown, one message each */
    static const char *const none[] = {NULL};
    memset(&r, 0, sizeof r);
    r.coll.schools = none;
    load_str(&r, "oge", OGE_H "2023,1,М,1,1,0,0,0,\n2023,1,Ф,1,1,0,0,0,\n2023,2,М,1,1,0,0,0,\n"
                        "2023,1,Х,1,1,0,0,0,\n2023,1,Б,1,1,0,0,0,\n");
    EXPECT_RC(&r, SOKO_EINPUT);
    EXPECT_MSG(&r, "school «1» is not in the schools registry (rows 2, 3, 5 and 6)");
    EXPECT_MSG(&r, "school «2» is not in the schools registry (row 4)");
    assert_int_equal(r.d.total, 2);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_delim),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_real),
        cmocka_unit_test(test_parse_year),
        cmocka_unit_test(test_parse_enum_text),
        cmocka_unit_test(test_col_match),
        cmocka_unit_test(test_aliases_unambiguous),
        cmocka_unit_test(test_utf8_valid_prefix),
        cmocka_unit_test(test_utf8_casecmp),
        cmocka_unit_test(test_str_trim_fnv),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_diag_limit),
        cmocka_unit_test(test_load_basic_and_dialects),
        cmocka_unit_test(test_load_line_numbers),
        cmocka_unit_test(test_load_bad_bytes),
        cmocka_unit_test(test_load_quotes),
        cmocka_unit_test(test_load_header),
        cmocka_unit_test(test_checks_good_rows),
        cmocka_unit_test(test_checks_bad_rows),
        cmocka_unit_test(test_unknown_school),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_duplicates_spill_many),
        cmocka_unit_test(test_students_aggregate),
        cmocka_unit_test(test_students_parked),
        cmocka_unit_test(test_sink_and_errors),
        cmocka_unit_test(test_big_files),
        cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test(test_header_key_and_variants),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_user_headers),
        cmocka_unit_test(test_impossible_values),
        cmocka_unit_test(test_lookalike_keys),
        cmocka_unit_test(test_names_in_codes),
        cmocka_unit_test(test_excel_leftovers),
        cmocka_unit_test(test_thousands_and_future),
        cmocka_unit_test(test_unknown_schools_gathered),
        cmocka_unit_test(test_title_rows),
        cmocka_unit_test(test_layout_tasks),
    };
    return cmocka_run_group_tests_name("load", tests, group_setup, group_teardown);
}
