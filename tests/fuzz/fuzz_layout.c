/*
 * fuzz_layout.c — libFuzzer target: a layout and a CSV file read through it.
 * Input: the layout (INI), a line "%%", then the CSV file; without the line the whole
 * input is the layout and the CSV is empty. The layout goes through layout_load;
 * when it loads, load_file reads the CSV with it for the layout's form, and every
 * row that reaches the sink must satisfy the form (fz_check_row), as in fuzz_load:
 * a layout may rename, derive or skip, but never let a bad row through.
 * Seeds: tests/fuzz/corpus/layout (the shipped layouts with files of their layout).
 */
#include "fuzz_common.h"
#include "layout.h"

static int sink_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    struct fz_input *in = ctx;
    fz_check_row(in, r, d);
    in->flags++;          /* rows seen; FZ flags are not used by this target */
    return SOKO_OK;
}

/* every school exists (the NYC seeds name their own), after fz_school_exists's
 * checks of the id */
static int any_school(void *ctx, const char *id)
{
    return fz_school_exists(ctx, id) < 0 ? -1 : 1;
}

/* a memfd per part, rewritten each run */
static void put(int *fd, const char *name, const uint8_t *p, size_t n, char path[64])
{
    if (*fd < 0 && (*fd = memfd_create(name, 0)) < 0) { perror("memfd_create"); abort(); }
    if (ftruncate(*fd, 0) != 0) abort();
    if (n && pwrite(*fd, p, n, 0) != (ssize_t)n) abort();
    snprintf(path, 64, "/proc/self/fd/%d", *fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd_ini = -1, fd_csv = -1;
    size_t cut = size, rest = size;
    for (size_t i = 0; i + 3 <= size; i++)
        if (data[i] == '%' && data[i + 1] == '%' && data[i + 2] == '\n' && (i == 0 || data[i - 1] == '\n')) {
            cut = i;
            rest = i + 3;
            break;
        }
    char ini[64], csv[64];
    put(&fd_ini, "layout.ini", data, cut, ini);
    put(&fd_csv, "data.csv", data + rest, size - rest, csv);

    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = NULL;
    int rc = layout_load(ini, NULL, &p, &d);
    if (rc != SOKO_OK && rc != SOKO_ECONFIG && rc != SOKO_EIO) fz_die("layout_load returned %d", rc);
    if ((rc == SOKO_OK) != (p != NULL)) fz_die("layout_load returned %d and a layout %p", rc, (void *)p);
    if ((rc == SOKO_OK) != (d.total == 0)) fz_die("layout_load returned %d with %zu errors", rc, d.total);
    soko_diag_free(&d);
    if (!p) return 0;
    if (!layout_form(p) || layout_form(p)->kind == FORM_INTERNAL) fz_die("a layout for no importable form");

    struct fz_input in;
    memset(&in, 0, sizeof in);
    in.form = layout_form(p);
    in.opts.layout = p;
    snprintf(in.path, sizeof in.path, "%s", csv);
    struct load_sink sink = {&in, any_school, sink_row, NULL, NULL, NULL, NULL, NULL};
    struct load_stats st;
    soko_diag_init(&d, 0);
    rc = load_file(csv, in.form, &in.opts, &sink, &st, &d);
    fz_check_result(&in, rc, &st, &d, in.flags);
    soko_diag_free(&d);
    layout_free(p);
    return 0;
}
