/*
 * fuzz_load.c — libFuzzer target: load_file() on any bytes, for every importable form,
 * both dialects (the seeds in corpus/load/ are UTF-8 ',' and Windows-1251 ';' files).
 * No store: the sink checks each row it gets against the form (fuzz_common.h) and a
 * fixed registry answers the school lookups. Input format: see fuzz_common.h.
 * Build and run: tests/fuzz/run load
 */
#include "fuzz_common.h"

struct fz_sink {
    const struct fz_input *in;
    long rows;
    long calls;
    uint64_t last_done;
};

static int sink_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    struct fz_sink *s = ctx;
    fz_check_row(s->in, r, d);
    if ((s->in->flags & FZ_SINK_FAIL) && ++s->calls == 3) {
        soko_diag_add(d, s->in->path, r->line, 0, "store: the sink refused this row (fuzz)");
        return SOKO_EDB;
    }
    s->rows++;
    return SOKO_OK;
}

static int sink_progress(void *ctx, const struct load_progress *p)
{
    struct fz_sink *s = ctx;
    if (p->done < s->last_done) fz_die("progress went back from %llu to %llu",
                                       (unsigned long long)s->last_done,
                                       (unsigned long long)p->done);
    s->last_done = p->done;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_input in;
    if (!fz_prepare(&in, data, size)) return 0;
    struct fz_sink s = {&in, 0, 0, 0};
    struct load_sink sink = {&s, fz_school_exists, sink_row, sink_progress, NULL, NULL, NULL, NULL};
    struct load_stats st;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    int rc = load_file(in.path, in.form, &in.opts, &sink, &st, &d);
    fz_check_result(&in, rc, &st, &d, s.rows);
    soko_diag_free(&d);
    return 0;
}
