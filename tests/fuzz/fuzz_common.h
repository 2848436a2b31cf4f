/*
 * fuzz_common.h — shared by the libFuzzer targets of tests/fuzz (see tests/fuzz/run).
 * fuzz_ind and fuzz_rules use only fz_file and fz_die.
 *
 * Input format of the CSV targets (fuzz_load, fuzz_import):
 *   byte 0   form: the (byte % 11)-th importable form of soko_forms[] (schools, clusters,
 *            context, vpr, vpr_students, oge, ege, ege_students, rdr, olympiad,
 *            admissions)
 *   byte 1   flags: FZ_IGNORE_UNKNOWN, FZ_KEEP_STUDENTS, FZ_SMALL_DEDUP (duplicate
 *            detection spills to a temporary file after 1..16 keys, so the sorted-run
 *            merge runs on small inputs), FZ_SMALL_RECORD (max_record 200 bytes),
 *            FZ_PAD (the data after the header line is moved to load.c's 256 KiB read
 *            boundary by blank lines, so chunk-crossing UTF-8 and records are reached),
 *            FZ_SINK_FAIL (the sink refuses the third row, as a store error would)
 *   byte 2   parameter: keys kept in memory (1 + b % 16), and the offset of the chunk
 *            boundary into the data (b % 16)
 *   rest     the CSV file, bytes as they are
 * The file is written to a memfd and read back through /proc/self/fd/N, so load_file
 * reads a real file by path, as the CLI does, without touching the disk.
 *
 * The checks here are the load→sink contract of load.h and forms.h: a violated one
 * calls fz_die(), which aborts so that libFuzzer records the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#define _GNU_SOURCE
#include "forms.h"
#include "load.h"
#include "soko.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum {
    FZ_IGNORE_UNKNOWN = 0x01,
    FZ_KEEP_STUDENTS = 0x02,
    FZ_SMALL_DEDUP = 0x04,
    FZ_SMALL_RECORD = 0x08,
    FZ_PAD = 0x10,
    FZ_SINK_FAIL = 0x20,
};

#define FZ_CHUNK (256 * 1024)   /* CHUNK in engine/load.c */

#define fz_die(...) do { fprintf(stderr, "fuzz: contract violated: "); \
    fprintf(stderr, __VA_ARGS__); fprintf(stderr, " [%s:%d]\n", __FILE__, __LINE__); abort(); } while (0)

struct fz_input {
    const struct form *form;
    int flags;
    struct load_opts opts;
    char path[64];
};

static inline const struct form *fz_form(unsigned b)
{
    const struct form *importable[16];
    size_t n = 0;
    for (size_t i = 0; soko_forms[i] && n < 16; i++)
        if (soko_forms[i]->kind != FORM_INTERNAL) importable[n++] = soko_forms[i];
    return importable[b % n];
}

static inline int fz_utf8(const char *s)
{
    int inc;
    size_t n = strlen(s);
    return utf8_valid_prefix((const unsigned char *)s, n, &inc) == n;
}

/* Writes bytes to a memfd (one per process, rewritten each run) and gives its path,
 * for the targets that read one whole file (fuzz_ind, fuzz_rules). */
static inline void fz_file(const uint8_t *data, size_t size, char path[64])
{
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("fuzz.ini", 0)) < 0) { perror("memfd_create"); abort(); }
    if (ftruncate(fd, 0) != 0) abort();
    if (size && pwrite(fd, data, size, 0) != (ssize_t)size) abort();
    snprintf(path, 64, "/proc/self/fd/%d", fd);
}

/* Decodes the input and writes the CSV bytes to a memfd; returns 0 when the input is
 * too short to mean anything. */
static inline int fz_prepare(struct fz_input *in, const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (size < 3) return 0;
    memset(in, 0, sizeof *in);
    in->form = fz_form(data[0]);
    in->flags = data[1];
    in->opts.ignore_unknown = !!(in->flags & FZ_IGNORE_UNKNOWN);
    in->opts.keep_students = !!(in->flags & FZ_KEEP_STUDENTS);
    in->opts.dedup_mem = (in->flags & FZ_SMALL_DEDUP) ? 1 + data[2] % 16 : 4096;
    in->opts.max_record = (in->flags & FZ_SMALL_RECORD) ? 200 : 0;
    const uint8_t *csv = data + 3;
    size_t n = size - 3;
    if (fd < 0 && (fd = memfd_create("fuzz.csv", 0)) < 0) { perror("memfd_create"); abort(); }
    if (ftruncate(fd, 0) != 0) abort();
    size_t head = n;
    if (in->flags & FZ_PAD) {
        const uint8_t *nl = memchr(csv, '\n', n);
        head = nl ? (size_t)(nl - csv) + 1 : n;
    }
    if (pwrite(fd, csv, head, 0) != (ssize_t)head) abort();
    off_t at = (off_t)head;
    if (head < n) {
        size_t want = FZ_CHUNK - data[2] % 16;
        if (want > head) {
            static char *blank;
            if (!blank) { blank = malloc(FZ_CHUNK); memset(blank, '\n', FZ_CHUNK); }
            if (pwrite(fd, blank, want - head, at) != (ssize_t)(want - head)) abort();
            at += (off_t)(want - head);
        }
        if (pwrite(fd, csv + head, n - head, at) != (ssize_t)(n - head)) abort();
    }
    snprintf(in->path, sizeof in->path, "/proc/self/fd/%d", fd);
    return 1;
}

/* Checks a row handed to the sink against its form: every check of forms.h holds. */
static inline void fz_check_row(const struct fz_input *in, const struct load_row *r,
                         const struct soko_diag *d)
{
    const struct form *f = r->form;
    if (d->total != 0) fz_die("a row reached the sink after an error (load.h: no rows after the first error)");
    if (f != in->form) {
        /* a per-student form hands on rows of the forms it is aggregated into */
        const char *const *into = form_into(in->form);
        int ok = 0;
        for (size_t k = 0; into && into[k]; k++) ok |= strcmp(f->name, into[k]) == 0;
        if (in->form->kind != FORM_STUDENTS || !r->from_students || !ok)
            fz_die("row of form %s from a file of form %s", f->name, in->form->name);
    } else if (f->kind == FORM_STUDENTS && !in->opts.keep_students)
        fz_die("a student row reached the sink without keep_students");
    if (r->line < 1) fz_die("row line %ld", r->line);
    for (size_t j = 0; j < f->ncols; j++) {
        const struct form_col *c = &f->cols[j];
        const struct load_cell *x = &r->cells[j];
        if (!x->present) {
            if ((c->flags & COL_REQUIRED) || c->deflt)
                fz_die("%s.%s: required or defaulted, but absent", f->name, c->name);
            continue;
        }
        switch (c->type) {
        case COL_INT: case COL_YEAR:
            if (x->i < (long long)c->min || x->i > (long long)c->max)
                fz_die("%s.%s = %lld out of [%g, %g]", f->name, c->name, x->i, c->min, c->max);
            break;
        case COL_REAL:
            if (!isfinite(x->r) || x->r < c->min || x->r > c->max)
                fz_die("%s.%s = %g out of [%g, %g]", f->name, c->name, x->r, c->min, c->max);
            break;
        case COL_ENUM: {
            int ok = 0;
            for (const struct enum_val *v = c->values; v->value; v++)
                ok |= x->s && strcmp(x->s, v->value) == 0;
            if (!ok) fz_die("%s.%s: '%s' is not a canonical value", f->name, c->name, x->s ? x->s : "(null)");
            break;
        }
        case COL_TEXT:
            if (!x->s) fz_die("%s.%s: present text is NULL", f->name, c->name);
            if ((c->flags & COL_REQUIRED) && !*x->s) fz_die("%s.%s: required text is empty", f->name, c->name);
            if (!fz_utf8(x->s)) fz_die("%s.%s: text is not UTF-8", f->name, c->name);
            break;
        }
    }
    for (size_t k = 0; k < f->nchecks; k++) {
        const struct form_check *ck = &f->checks[k];
        int idx[6], n = 0, given = 0;
        for (; ck->cols[n]; n++) {
            idx[n] = form_col_index(f, ck->cols[n]);
            given += r->cells[idx[n]].present;
        }
        if (ck->kind == CHECK_LE) {
            for (int i = 0; i + 1 < n; i++)
                if (r->cells[idx[i]].present && r->cells[idx[i + 1]].present &&
                    r->cells[idx[i]].r > r->cells[idx[i + 1]].r)
                    fz_die("%s: %s violated", f->name, ck->doc);
            continue;
        }
        if (ck->kind != CHECK_SUM_EQ && ck->kind != CHECK_SUM_LE) continue;   /* load.c's own */
        if (ck->kind == CHECK_SUM_LE) {         /* the given parts, at most the total */
            long long part = 0;
            for (int i = 0; i < n - 1; i++) part += r->cells[idx[i]].present ? r->cells[idx[i]].i : 0;
            if (r->cells[idx[n - 1]].present && part > r->cells[idx[n - 1]].i)
                fz_die("%s: %s violated (%lld vs %lld)", f->name, ck->doc, part,
                       r->cells[idx[n - 1]].i);
            continue;
        }
        if (given == 0 || (given == 1 && r->cells[idx[n - 1]].present)) continue;
        if (given != n) fz_die("%s: %s: only some values given", f->name, ck->doc);
        long long sum = 0;
        for (int i = 0; i < n - 1; i++) sum += r->cells[idx[i]].i;
        long long tot = r->cells[idx[n - 1]].i;
        if (ck->kind == CHECK_SUM_EQ ? sum != tot : sum > tot)
            fz_die("%s: %s violated (%lld vs %lld)", f->name, ck->doc, sum, tot);
    }
}

/* The store-less registry: schools 344, 329 and 512 exist; "ERR" is a lookup failure. */
static inline int fz_school_exists(void *ctx, const char *id)
{
    (void)ctx;
    if (!*id) fz_die("school_exists called with an empty id");
    if (!fz_utf8(id)) fz_die("school_exists called with invalid UTF-8");
    if (strcmp(id, "ERR") == 0) return -1;
    return strcmp(id, "344") == 0 || strcmp(id, "329") == 0 || strcmp(id, "512") == 0;
}

/* After load_file: the result and the diagnostics agree with load.h. */
static inline void fz_check_result(const struct fz_input *in, int rc, const struct load_stats *st,
                            const struct soko_diag *d, long sunk)
{
    (void)in;
    if (rc != SOKO_OK && rc != SOKO_EINPUT && rc != SOKO_EIO)
        fz_die("load_file returned %d", rc);
    if ((rc == SOKO_OK) != (d->total == 0))
        fz_die("load_file returned %d with %zu errors", rc, d->total);
    if (d->nmsgs > d->limit || d->nmsgs > d->total) fz_die("diag kept %zu of %zu", d->nmsgs, d->total);
    for (size_t i = 0; i < d->nmsgs; i++) {
        if (!*d->msgs[i]) fz_die("empty message");
        if (!fz_utf8(d->msgs[i])) fz_die("message %zu is not UTF-8: %s", i, d->msgs[i]);
    }
    if (st->rows != sunk) fz_die("stats say %ld rows, the sink took %ld", st->rows, sunk);
    if (st->delim && st->delim != ',' && st->delim != ';' && st->delim != '\t')
        fz_die("delimiter %d", st->delim);
    if (strlen(st->sha256) != 64) fz_die("sha256 '%s'", st->sha256);
}

#endif
