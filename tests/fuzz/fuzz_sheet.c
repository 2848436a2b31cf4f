/*
 * fuzz_sheet.c — libFuzzer target: the spreadsheet reader (engine/sheet*.c) on any
 * bytes. The input is the file itself: written to a memfd (fz_file) and read by path
 * as the loader will, sniffed, opened, and every sheet read twice — plainly, and with
 * merged ranges filled into the first rows when the sheet has any.
 * Seeds in corpus/sheet/ (tests/fuzz/README.md says how they are made).
 * Build and run: tests/fuzz/run BUILD_DIR 60 sheet
 *
 * What must hold (sheet.h): the result is SOKO_OK exactly when no message was added,
 * otherwise SOKO_EINPUT or SOKO_EIO with exactly one message that starts with the
 * path, and sheet_error agrees; names, texts and messages are UTF-8; rows ascend,
 * have 1..16384 cells ending in a non-empty one, each text NUL-terminated at its
 * length with no NUL inside; merge flags only inside the fill; ranges sorted and
 * inside A1:XFD1048576.
 */
#include "fuzz_common.h"
#include "sheet.h"

/* libfreexl 1.0.6 leaks a buffer when freexl_open fails on some damaged BIFF streams
 * (its error path frees the workbook but not that buffer; the same call then answers
 * FREEXL_OK without a handle, which sheet_xls.c takes as corrupt). Not ours to fix:
 * leaks whose allocation is inside libfreexl are not reported; ours still are. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfreexl.so\n"; }

struct fz_sheet {
    const char *path;
    long fill;
    long last;
    long rows;
};

static void fz_msgs(const struct soko_diag *d, const char *path, int rc, size_t before)
{
    if (rc != SOKO_OK && rc != SOKO_EINPUT && rc != SOKO_EIO) fz_die("rc %d", rc);
    size_t added = d->total - before;
    if ((rc == SOKO_OK) != (added == 0)) fz_die("rc %d with %zu new messages", rc, added);
    if (added > 1) fz_die("%zu messages for one failure", added);
    for (size_t i = 0; i < d->nmsgs; i++) {
        if (strncmp(d->msgs[i], path, strlen(path)) != 0) fz_die("message without the file: %s", d->msgs[i]);
        if (!fz_utf8(d->msgs[i])) fz_die("message %zu is not UTF-8", i);
    }
}

static int fz_row(void *ctx, const struct sheet_row *r, struct soko_diag *d)
{
    struct fz_sheet *s = ctx;
    (void)d;
    if (r->row <= s->last || r->row > SHEET_MAX_ROW) fz_die("row %ld after %ld", r->row, s->last);
    s->last = r->row;
    if (r->ncells < 1 || r->ncells > (size_t)SHEET_MAX_COL) fz_die("row %ld has %zu cells", r->row, r->ncells);
    if (r->cells[r->ncells - 1].type == SHEET_EMPTY) fz_die("row %ld ends in an empty cell", r->row);
    for (size_t i = 0; i < r->ncells; i++) {
        const struct sheet_cell *c = &r->cells[i];
        if (!c->text) fz_die("NULL text");
        if (strlen(c->text) != c->len) fz_die("row %ld cell %zu: len %zu, strlen %zu", r->row, i, c->len, strlen(c->text));
        if ((c->type == SHEET_EMPTY) != (c->len == 0)) fz_die("row %ld cell %zu: type %d len %zu", r->row, i, c->type, c->len);
        if (c->type > SHEET_ERROR) fz_die("type %d", c->type);
        if (c->merge != SHEET_MERGE_NONE && r->row > s->fill) fz_die("merge flag in row %ld past the fill", r->row);
        if (!fz_utf8(c->text)) fz_die("row %ld cell %zu is not UTF-8", r->row, i);
        if (c->type == SHEET_DATE && (c->len != 10 && c->len != 19)) fz_die("date '%s'", c->text);
    }
    s->rows++;
    return SOKO_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    fz_file(data, size, path);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    enum sheet_kind kind;
    int rc = sheet_sniff(path, &kind, &d);
    fz_msgs(&d, path, rc, 0);
    struct sheet_book *b = NULL;
    enum sheet_err err;
    size_t before = d.total;
    /* the defaults, but libfreexl's day-by-day dates bounded to milliseconds (the
     * default allows some seconds per workbook, too slow for a fuzzer's -timeout) and
     * its cells to 64 MB (the default 512 MB, under ASan, nears -rss_limit_mb) */
    struct sheet_limits lim = {.max_xls_date_days = 20000000, .max_part_bytes = 64u << 20,
                               .max_xls_cells = 1u << 22};
    rc = sheet_open(path, &lim, &b, &err, &d);
    fz_msgs(&d, path, rc, before);
    if ((rc == SOKO_OK) != (err == SHEET_ERR_NONE) || (rc == SOKO_OK) != (b != NULL))
        fz_die("open: rc %d, err %d, book %p", rc, err, (void *)b);
    if (rc == SOKO_OK && kind != SHEET_KIND_XLSX && kind != SHEET_KIND_XLS) fz_die("opened a %s", sheet_kind_name(kind));
    if (rc != SOKO_OK) {
        soko_diag_free(&d);
        return 0;
    }
    for (size_t i = 0; i < sheet_count(b); i++) {
        if (!fz_utf8(sheet_name(b, i))) fz_die("sheet name %zu is not UTF-8", i);
        size_t idx;
        before = d.total;
        if (sheet_find(b, sheet_name(b, i), &idx, &d) != SOKO_OK || idx > i) fz_die("sheet %zu not found by name", i);
        struct fz_sheet s = {path, 0, 0, 0};
        before = d.total;
        rc = sheet_read(b, i, NULL, fz_row, &s, &d);
        fz_msgs(&d, path, rc, before);
        if ((rc == SOKO_OK) != (sheet_error(b) == SHEET_ERR_NONE)) fz_die("read: rc %d, err %d", rc, sheet_error(b));
        const struct sheet_range *m;
        size_t n;
        before = d.total;
        rc = sheet_merges(b, i, &m, &n, &d);
        fz_msgs(&d, path, rc, before);
        if (rc != SOKO_OK || n == 0) continue;
        for (size_t k = 0; k < n; k++) {
            if (m[k].row1 < 1 || m[k].row1 > m[k].row2 || m[k].row2 > SHEET_MAX_ROW + 1 || m[k].col1 < 1 ||
                m[k].col1 > m[k].col2 || m[k].col2 > 65536)
                fz_die("range %ld,%ld:%ld,%ld", m[k].row1, m[k].col1, m[k].row2, m[k].col2);
            if (k && (m[k].row1 < m[k - 1].row1 || (m[k].row1 == m[k - 1].row1 && m[k].col1 < m[k - 1].col1)))
                fz_die("ranges not sorted");
            if (m[k].row1 == m[k].row2 && m[k].col1 == m[k].col2) fz_die("a single-cell range");
        }
        struct sheet_read_opts o = {20};
        s = (struct fz_sheet){path, 20, 0, 0};
        before = d.total;
        rc = sheet_read(b, i, &o, fz_row, &s, &d);
        fz_msgs(&d, path, rc, before);
    }
    sheet_close(b);
    soko_diag_free(&d);
    return 0;
}
