/*
 * load.c — streaming CSV import of the unified forms (contract in load.h).
 *
 * The pass over a file: raw bytes → SHA-256 and NUL check → encoding (UTF-8 checked,
 * or Windows-1251 converted with iconv) → split at line ends so that libcsv is fed one
 * physical line at a time (libcsv keeps no line numbers; this way every record knows
 * the line it starts on) → libcsv fields → header mapping or row check → sink.
 * A regular file's bytes, their SHA-256 and the UTF-8 check are done ahead by a reader
 * thread (struct reader); a whole line without a quote is split as libcsv would split
 * it without libcsv (split_plain); duplicate keys are found run by run while the rows
 * come grouped (struct runs), by the keyset's sort otherwise.
 */
#include "load.h"
#include "sheet.h"
#include "text.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <iconv.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#if defined(__SSE2__) && !defined(SOKO_NO_SIMD)
#include <emmintrin.h>
#endif

#define CHUNK (256 * 1024)
#define DEFAULT_MAX_RECORD LOAD_DEFAULT_MAX_RECORD
#define DEFAULT_DEDUP_MEM (1u << 20)
#define BIG_BOUND 1e9          /* forms.c's "no upper bound" */

/* =========================================================== duplicate keys
 * A key is remembered as a 96-bit fingerprint with its line. In memory up to
 * `cap` entries; beyond that, sorted runs go to a temporary file and are merged at
 * the end, so memory stays fixed whatever the number of rows. */

struct kentry {
    uint64_t a;
    uint32_t b;
    uint32_t line;
};

struct keyset {
    struct kentry *buf;
    size_t n, cap;
    FILE *spill;
    size_t nruns;
    size_t *run_len;      /* entries in each run, stored one after another in spill */
    unsigned char *run_sorted;    /* each run sorted when written, or left for the end */
    int lazy;             /* write runs unsorted: they are read back only if needed */
};

static int kentry_cmp(const void *x, const void *y)
{
    const struct kentry *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return (p->line > q->line) - (p->line < q->line);
}

static int kless(const struct kentry *p, const struct kentry *q)
{
    return kentry_cmp(p, q) < 0;
}

/* In-place quicksort: qsort() in glibc is a merge sort that allocates a copy of the
 * array, which would double the memory this buffer is sized to. Keys are hashes, so
 * median-of-three pivots behave; the smaller side recurses, the larger loops. */
static void ksort(struct kentry *a, size_t n)
{
    while (n > 16) {
        size_t m = n / 2;
        struct kentry t;
        if (kless(&a[m], &a[0])) { t = a[m]; a[m] = a[0]; a[0] = t; }
        if (kless(&a[n - 1], &a[0])) { t = a[n - 1]; a[n - 1] = a[0]; a[0] = t; }
        if (kless(&a[n - 1], &a[m])) { t = a[n - 1]; a[n - 1] = a[m]; a[m] = t; }
        struct kentry piv = a[m];
        size_t i = 0, j = n - 1;
        for (;;) {
            while (kless(&a[i], &piv)) i++;
            while (kless(&piv, &a[j])) j--;
            if (i >= j) break;
            t = a[i]; a[i] = a[j]; a[j] = t;
            i++;
            j--;
        }
        size_t left = j + 1;
        if (left < n - left) {
            ksort(a, left);
            a += left;
            n -= left;
        } else {
            ksort(a + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        struct kentry t = a[i];
        size_t j = i;
        for (; j > 0 && kless(&t, &a[j - 1]); j--) a[j] = a[j - 1];
        a[j] = t;
    }
}

static void keyset_init(struct keyset *k, size_t cap)
{
    memset(k, 0, sizeof *k);
    k->cap = cap;
}

static void keyset_free(struct keyset *k)
{
    free(k->buf);
    free(k->run_len);
    free(k->run_sorted);
    if (k->spill) fclose(k->spill);
    memset(k, 0, sizeof *k);
}

static int keyset_flush(struct keyset *k)
{
    if (!k->lazy) ksort(k->buf, k->n);
    if (!k->spill && !(k->spill = tmpfile())) return -1;
    if (fwrite(k->buf, sizeof *k->buf, k->n, k->spill) != k->n) return -1;
    k->run_len = xrealloc(k->run_len, (k->nruns + 1) * sizeof *k->run_len);
    k->run_sorted = xrealloc(k->run_sorted, k->nruns + 1);
    k->run_sorted[k->nruns] = !k->lazy;
    k->run_len[k->nruns++] = k->n;
    k->n = 0;
    return 0;
}

/* The runs written unsorted, sorted in place in the spill file (each fits the buffer,
 * which is free again by then). */
static int keyset_sort_runs(struct keyset *k)
{
    long off = 0;
    for (size_t r = 0; r < k->nruns; r++) {
        size_t len = k->run_len[r];
        if (!k->run_sorted[r]) {
            if (fseek(k->spill, off * (long)sizeof *k->buf, SEEK_SET) != 0 ||
                fread(k->buf, sizeof *k->buf, len, k->spill) != len)
                return -1;
            ksort(k->buf, len);
            if (fseek(k->spill, off * (long)sizeof *k->buf, SEEK_SET) != 0 ||
                fwrite(k->buf, sizeof *k->buf, len, k->spill) != len || fflush(k->spill) != 0)
                return -1;
            k->run_sorted[r] = 1;
        }
        off += (long)len;
    }
    return 0;
}

static int keyset_add(struct keyset *k, uint64_t a, uint32_t b, long line)
{
    if (!k->buf) k->buf = xmalloc(k->cap * sizeof *k->buf);
    if (k->n == k->cap && keyset_flush(k) != 0) return -1;
    k->buf[k->n++] = (struct kentry){a, b, (uint32_t)line};
    return 0;
}

#define CURSOR_BUF 4096

struct run_cursor {
    long off;             /* offset in spill of the next entry to read, in entries */
    size_t left;          /* entries of the run not yet read into buf */
    struct kentry *buf;   /* a window of the run */
    size_t nbuf, pos;
    int valid;            /* cur() is an entry */
};

static const struct kentry *cursor_cur(const struct run_cursor *c) { return &c->buf[c->pos]; }

static int cursor_next(FILE *f, struct run_cursor *c)
{
    if (c->valid && ++c->pos < c->nbuf) return 0;
    if (c->left == 0) { c->valid = 0; return 0; }
    size_t want = c->left < CURSOR_BUF ? c->left : CURSOR_BUF;
    if (fseek(f, c->off * (long)sizeof(struct kentry), SEEK_SET) != 0 ||
        fread(c->buf, sizeof *c->buf, want, f) != want)
        return -1;
    c->off += (long)want;
    c->left -= want;
    c->nbuf = want;
    c->pos = 0;
    c->valid = 1;
    return 0;
}

/* Calls dup(ctx, line, first_line) for every repeated key, in key order. */
static int keyset_finish(struct keyset *k, void (*dup)(void *, long, long), void *ctx)
{
    if (k->nruns == 0) {
        ksort(k->buf, k->n);
        for (size_t i = 1; i < k->n; i++) {
            size_t j = i - 1;
            while (i < k->n && k->buf[i].a == k->buf[j].a && k->buf[i].b == k->buf[j].b) {
                dup(ctx, k->buf[i].line, k->buf[j].line);
                i++;
            }
        }
        return 0;
    }
    if (k->n && keyset_flush(k) != 0) return -1;
    if (keyset_sort_runs(k) != 0) return -1;
    /* the in-memory buffer is free now: it becomes the cursors' windows when it is
     * large enough, so merging adds no memory */
    struct run_cursor *cur = xcalloc(k->nruns, sizeof *cur);
    struct kentry *win = k->nruns * CURSOR_BUF <= k->cap ? k->buf
                                                         : xmalloc(k->nruns * CURSOR_BUF * sizeof *win);
    long off = 0;
    int rc = 0;
    for (size_t r = 0; r < k->nruns; r++) {
        cur[r].off = off;
        cur[r].left = k->run_len[r];
        cur[r].buf = win + r * CURSOR_BUF;
        off += (long)k->run_len[r];
        if (cursor_next(k->spill, &cur[r]) != 0) rc = -1;
    }
    struct kentry prev = {0, 0, 0};
    int have_prev = 0;
    while (rc == 0) {
        size_t best = k->nruns;
        for (size_t r = 0; r < k->nruns; r++)
            if (cur[r].valid &&
                (best == k->nruns || kentry_cmp(cursor_cur(&cur[r]), cursor_cur(&cur[best])) < 0))
                best = r;
        if (best == k->nruns) break;
        struct kentry e = *cursor_cur(&cur[best]);
        if (have_prev && e.a == prev.a && e.b == prev.b) dup(ctx, e.line, prev.line);
        else { prev = e; have_prev = 1; }
        if (cursor_next(k->spill, &cur[best]) != 0) rc = -1;
    }
    if (win != k->buf) free(win);
    free(cur);
    return rc;
}

/* ============================================ duplicate keys, run by run
 * Rows mostly come grouped: a work's pupils one after another, a school's subjects.
 * A run is rows in a row whose key columns but the last hold the same values (the
 * last: the pupil's code, the subject). While no run's leading values come back after
 * another run, two rows can only repeat a key within one run, and a small table per
 * run finds the repeats: the keyset's sort at the end is not needed (nor that of
 * its runs spilled meanwhile, written unsorted). When a run's values come back, or a
 * run or the number of runs grows beyond these tables, the keyset (filled all along)
 * decides as before, its unsorted runs sorted first. The repeats are reported in the
 * keyset's order (fingerprint, then line), each with the first row of its key. */
/* A set of 64-bit fingerprints, each odd (0 marks an empty slot), by open addressing. */
struct printset {
    uint64_t *v;
    size_t cap, n;
};

static int printset_has(const struct printset *s, uint64_t h)
{
    if (!s->cap) return 0;
    for (size_t j = (size_t)(h >> 1) & (s->cap - 1); s->v[j]; j = (j + 1) & (s->cap - 1))
        if (s->v[j] == h) return 1;
    return 0;
}

/* Adds h: 1 when new, 0 when there already, -1 when the set would grow beyond limit
 * slots (0: no limit). */
static int printset_add(struct printset *s, uint64_t h, size_t limit)
{
    if (2 * (s->n + 1) > s->cap) {
        if (limit && s->cap >= limit) return -1;
        size_t ncap = s->cap ? 2 * s->cap : 1024;
        uint64_t *na = xcalloc(ncap, sizeof *na);
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i]) {
                size_t j = (size_t)(s->v[i] >> 1) & (ncap - 1);
                while (na[j]) j = (j + 1) & (ncap - 1);
                na[j] = s->v[i];
            }
        free(s->v);
        s->v = na;
        s->cap = ncap;
    }
    size_t j = (size_t)(h >> 1) & (s->cap - 1);
    while (s->v[j]) {
        if (s->v[j] == h) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->v[j] = h;
    s->n++;
    return 1;
}

static void printset_free(struct printset *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

#define RUN_MAX (1u << 16)          /* keys in one run */
#define RUNS_MAX (1u << 20)         /* runs (their leading values' fingerprints) */

struct run_key { uint64_t a; uint32_t b, line, gen; };
struct run_dup { uint64_t a; uint32_t b, line, first; };

struct runs {
    int on;                   /* 1 deciding; 0 the keyset decides */
    int started;
    struct run_key *tab;      /* keys of the current run: entries of generation gen */
    size_t cap, n;
    uint32_t gen;
    struct printset seen;     /* leading values' fingerprints: one seen twice by chance
                                 only hands the decision to the keyset */
    struct run_dup *dups;
    size_t ndups, cap_dups;
};

static void runs_free(struct runs *r)
{
    free(r->tab);
    printset_free(&r->seen);
    free(r->dups);
    memset(r, 0, sizeof *r);
}

/* A run's leading values, new: 1; seen before (or too many runs): 0. */
static int runs_new(struct runs *r, uint64_t p1, uint64_t p2)
{
    return printset_add(&r->seen, (p1 ^ (p2 >> 29 | p2 << 35)) | 1, 2 * (size_t)RUNS_MAX) == 1;
}

/* The keyset decides from here on: the runs' tables are not needed. */
static void runs_off(struct runs *r)
{
    r->on = 0;
    free(r->tab);
    printset_free(&r->seen);
    r->tab = NULL;
    r->cap = r->n = 0;
}

/* The key (a, b) of a row at line; same: its leading values are those of the row
 * before, p1 p2 their fingerprint. */
static void runs_add(struct runs *r, int same, uint64_t p1, uint64_t p2, uint64_t a, uint32_t b,
                     long line)
{
    if (!same || !r->started) {
        r->started = 1;
        if (!runs_new(r, p1, p2)) {
            runs_off(r);
            return;
        }
        r->n = 0;
        if (++r->gen == 0) {      /* the generations wrapped: empty the table */
            if (r->tab) memset(r->tab, 0, r->cap * sizeof *r->tab);
            r->gen = 1;
        }
    }
    if (2 * (r->n + 1) > r->cap) {
        if (r->cap >= 2 * (size_t)RUN_MAX) {
            runs_off(r);
            return;
        }
        size_t ncap = r->cap ? 2 * r->cap : 256;
        struct run_key *nt = xcalloc(ncap, sizeof *nt);
        for (size_t i = 0; i < r->cap; i++)
            if (r->tab[i].gen == r->gen) {
                size_t j = (size_t)r->tab[i].a & (ncap - 1);
                while (nt[j].gen == r->gen) j = (j + 1) & (ncap - 1);
                nt[j] = r->tab[i];
            }
        free(r->tab);
        r->tab = nt;
        r->cap = ncap;
    }
    size_t j = (size_t)a & (r->cap - 1);
    for (; r->tab[j].gen == r->gen; j = (j + 1) & (r->cap - 1))
        if (r->tab[j].a == a && r->tab[j].b == b) {
            if (r->ndups == r->cap_dups) {
                r->cap_dups = r->cap_dups ? 2 * r->cap_dups : 64;
                r->dups = xrealloc(r->dups, r->cap_dups * sizeof *r->dups);
            }
            r->dups[r->ndups++] = (struct run_dup){a, b, (uint32_t)line, r->tab[j].line};
            return;
        }
    r->tab[j] = (struct run_key){a, b, (uint32_t)line, r->gen};
    r->n++;
}

static int run_dup_cmp(const void *x, const void *y)
{
    const struct run_dup *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return (p->line > q->line) - (p->line < q->line);
}

/* The repeats found, as keyset_finish would call dup for them. */
static void runs_finish(struct runs *r, void (*dup)(void *, long, long), void *ctx)
{
    if (r->ndups) qsort(r->dups, r->ndups, sizeof *r->dups, run_dup_cmp);
    for (size_t i = 0; i < r->ndups; i++) dup(ctx, r->dups[i].line, r->dups[i].first);
}

/* ====================================================== per-work aggregates */

struct work {
    long long year, grade;
    char *school, *subject;
    long line;                /* first line of the work */
    long n;
    long m[4];                /* marks 2..5 */
    long long sum_score;
    uint32_t *hist;           /* students by primary score */
    size_t hist_len;
    int min_score[4], max_score[4];   /* per mark; -1 when no such mark */
    long min_line[4], max_line[4];
    int32_t journal[4][4];    /* ВПР mark × journal mark */
    long n_journal;
    /* ege_students (grade 0): test scores of the school's participants in a subject */
    double sum_sq;            /* Σ score² */
    long below, high, s100;   /* below the minimum, 81..100, 100 */
    int min_req;              /* the subject's minimum score, as the rows give it */
    long min_req_line;
    /* vpr_students: the work's conversion scale (vpr_scales), looked up once */
    int scale_state;          /* 0 not looked up, 1 found, -1 none */
    int scale[4];             /* max_score, min3, min4, min5 */
    long nomark, nomark_rows[4];      /* rows without a mark, and no scale */
    long offscale, offscale_rows[4];  /* marks the scale contradicts */
    double *task_points;      /* per task column of the layout, Σ over the participants */
};

struct workmap {
    struct work **slots;      /* open addressing */
    size_t cap, n;
    struct work **order;      /* insertion order, for deterministic output */
};

static uint64_t work_hash(long long year, const char *school, long long grade, const char *subj)
{
    uint64_t h = fnv1a(FNV_OFFSET, &year, sizeof year);
    h = fnv1a(h, school, strlen(school) + 1);
    h = fnv1a(h, &grade, sizeof grade);
    return fnv1a(h, subj, strlen(subj) + 1);
}

/* Adds w, whose key the map does not hold, as its latest work. */
static void workmap_put(struct workmap *m, struct work *w)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        struct work **slots = xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < m->n; i++) {
            const struct work *x = m->order[i];
            size_t j = work_hash(x->year, x->school, x->grade, x->subject) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = m->order[i];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
        m->order = xrealloc(m->order, cap * sizeof *m->order);
    }
    size_t j = work_hash(w->year, w->school, w->grade, w->subject) & (m->cap - 1);
    while (m->slots[j]) j = (j + 1) & (m->cap - 1);
    m->slots[j] = w;
    m->order[m->n++] = w;
}

static struct work *workmap_find(const struct workmap *m, long long year, const char *school,
                                 long long grade, const char *subj)
{
    if (!m->cap) return NULL;
    size_t j = work_hash(year, school, grade, subj) & (m->cap - 1);
    for (; m->slots[j]; j = (j + 1) & (m->cap - 1)) {
        struct work *w = m->slots[j];
        if (w->year == year && w->grade == grade && strcmp(w->school, school) == 0 &&
            strcmp(w->subject, subj) == 0)
            return w;
    }
    return NULL;
}

static struct work *work_new(long long year, const char *school, long long grade,
                             const char *subj, long line)
{
    struct work *w = xcalloc(1, sizeof *w);
    w->year = year;
    w->grade = grade;
    w->school = xstrdup(school);
    w->subject = xstrdup(subj);
    w->line = line;
    for (int k = 0; k < 4; k++) w->min_score[k] = w->max_score[k] = -1;
    return w;
}

static void work_free(struct work *w)
{
    if (!w) return;
    free(w->school);
    free(w->subject);
    free(w->hist);
    free(w->task_points);
    free(w);
}

/* Empties the map; with own, its works are freed too. */
static void workmap_clear(struct workmap *m, int own)
{
    for (size_t i = 0; own && i < m->n; i++) work_free(m->order[i]);
    if (m->slots) memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->n = 0;
}

static void workmap_free(struct workmap *m)
{
    workmap_clear(m, 1);
    free(m->slots);
    free(m->order);
    memset(m, 0, sizeof *m);
}

/* ================================================== works parked on disk
 * Rows mostly come work by work: every export writes a work's pupils together. Then
 * a work is finished when the file moves on to the next one, and it is written to a
 * temporary file and leaves memory, so that the map holds the current work only,
 * whatever the number of works. A fingerprint per parked work (8 bytes) tells when a
 * work comes back after another: then every parked work is read back into the map,
 * which from there on holds them all, as it always did before (the same figures; only
 * the memory differs). Either way the works are handed over in the order of their
 * first rows: the parked ones (in the order parked), then the map's. */
struct workpark {
    int on;                   /* 1: parking; 0: every work stays in the map */
    FILE *f;                  /* the parked works, one record each */
    size_t n;                 /* records in f */
    size_t noted;             /* of them, works with marks to speak of (nomark, offscale) */
    struct printset seen;     /* fingerprints of the parked works */
    long peak;                /* the most works held in memory at once */
};

static uint64_t work_print(long long year, const char *school, long long grade, const char *subj)
{
    return work_hash(year, school, grade, subj) | 1;
}

/* A record: the struct (its pointers meaningless on disk), the lengths, then the two
 * texts, the histogram and the task points. */
struct park_head { uint32_t school, subject, hist, tasks; };

static int park_write(struct workpark *p, const struct work *w, size_t ntasks)
{
    if (!p->f && !(p->f = tmpfile())) return -1;
    struct park_head h = {(uint32_t)strlen(w->school), (uint32_t)strlen(w->subject),
                          (uint32_t)w->hist_len, w->task_points ? (uint32_t)ntasks : 0};
    if (fwrite(w, sizeof *w, 1, p->f) != 1 || fwrite(&h, sizeof h, 1, p->f) != 1 ||
        fwrite(w->school, 1, h.school, p->f) != h.school ||
        fwrite(w->subject, 1, h.subject, p->f) != h.subject ||
        (h.hist && fwrite(w->hist, sizeof *w->hist, h.hist, p->f) != h.hist) ||
        (h.tasks && fwrite(w->task_points, sizeof *w->task_points, h.tasks, p->f) != h.tasks))
        return -1;
    p->n++;
    p->noted += w->nomark || w->offscale;
    return 0;
}

/* The next parked work, or NULL when it cannot be read. */
static struct work *park_read(FILE *f)
{
    struct work *w = xmalloc(sizeof *w);
    struct park_head h;
    if (fread(w, sizeof *w, 1, f) != 1 || fread(&h, sizeof h, 1, f) != 1) {
        free(w);
        return NULL;
    }
    w->school = xmalloc((size_t)h.school + 1);
    w->subject = xmalloc((size_t)h.subject + 1);
    w->hist = h.hist ? xmalloc(h.hist * sizeof *w->hist) : NULL;
    w->task_points = h.tasks ? xmalloc(h.tasks * sizeof *w->task_points) : NULL;
    if (fread(w->school, 1, h.school, f) != h.school ||
        fread(w->subject, 1, h.subject, f) != h.subject ||
        (h.hist && fread(w->hist, sizeof *w->hist, h.hist, f) != h.hist) ||
        (h.tasks && fread(w->task_points, sizeof *w->task_points, h.tasks, f) != h.tasks)) {
        w->school[0] = w->subject[0] = '\0';
        work_free(w);
        return NULL;
    }
    w->school[h.school] = w->subject[h.subject] = '\0';
    w->hist_len = h.hist;
    return w;
}

static void park_free(struct workpark *p)
{
    if (p->f) fclose(p->f);
    printset_free(&p->seen);
    memset(p, 0, sizeof *p);
}

/* Every parked work back into the map, before those it holds: parking ends. */
static int park_restore(struct workpark *p, struct workmap *m)
{
    size_t nheld = m->n;
    struct work **held = xmalloc((nheld ? nheld : 1) * sizeof *held);
    memcpy(held, m->order, nheld * sizeof *held);
    workmap_clear(m, 0);
    int rc = p->f && fseek(p->f, 0, SEEK_SET) != 0 ? -1 : 0;
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        struct work *w = park_read(p->f);
        if (!w) rc = -1;
        else workmap_put(m, w);
    }
    for (size_t i = 0; i < nheld; i++) workmap_put(m, held[i]);
    free(held);
    fclose(p->f);          /* not NULL: the work comes back, so it was parked */
    p->f = NULL;
    printset_free(&p->seen);
    p->n = p->noted = 0;
    p->on = 0;
    return rc;
}

/* ============================================ keys seen, for duplicates = first
 * A layout that derives a registry from a results file sees each school many
 * times and keeps the first row. The set is exact on the 96-bit fingerprint and
 * grows with the distinct keys, which is the size of what is stored anyway. */
struct firstset {
    uint64_t *a;              /* pairs (h1, h2 | 1); 0 marks an empty slot */
    size_t cap, n;
};

static int firstset_add(struct firstset *s, uint64_t h1, uint64_t h2)
{
    h2 |= 1;
    if (2 * (s->n + 1) > s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 1024;
        uint64_t *na = xcalloc(2 * ncap, sizeof *na);
        for (size_t i = 0; i < s->cap; i++)
            if (s->a[2 * i + 1]) {
                size_t j = (size_t)s->a[2 * i] & (ncap - 1);
                while (na[2 * j + 1]) j = (j + 1) & (ncap - 1);
                na[2 * j] = s->a[2 * i];
                na[2 * j + 1] = s->a[2 * i + 1];
            }
        free(s->a);
        s->a = na;
        s->cap = ncap;
    }
    size_t j = (size_t)h1 & (s->cap - 1);
    while (s->a[2 * j + 1]) {
        if (s->a[2 * j] == h1 && s->a[2 * j + 1] == h2) return 0;   /* seen */
        j = (j + 1) & (s->cap - 1);
    }
    s->a[2 * j] = h1;
    s->a[2 * j + 1] = h2;
    s->n++;
    return 1;
}

/* ========================================================= the file context */

enum { ST_HEADER, ST_HEADER_MORE, ST_ROWS, ST_STOP };

/* A small map from strings, for the values a file names often but that are few:
 * schools the registry lacks, the spellings of a name-like key. Open addressing;
 * at most `limit` entries (then strmap_get gives NULL for a new key). */
struct sment {
    char *key;
    char *val;                /* a spelling (look-alikes) or a suggestion (unknown schools) */
    long count;               /* rows naming it */
    long rows[4];             /* the first rows */
    long col;                 /* the source column of its first row */
    int j;                    /* the form column */
};

struct strmap {
    struct sment *a;
    size_t cap, n;
};

static struct sment *strmap_get(struct strmap *m, const char *key, size_t limit, int *created)
{
    *created = 0;
    if (m->cap) {
        size_t j = (size_t)fnv1a(FNV_OFFSET, key, strlen(key)) & (m->cap - 1);
        for (; m->a[j].key; j = (j + 1) & (m->cap - 1))
            if (strcmp(m->a[j].key, key) == 0) return &m->a[j];
    }
    if (m->n >= limit) return NULL;
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        struct sment *a = xcalloc(cap, sizeof *a);
        for (size_t i = 0; i < m->cap; i++)
            if (m->a[i].key) {
                size_t j = (size_t)fnv1a(FNV_OFFSET, m->a[i].key, strlen(m->a[i].key)) & (cap - 1);
                while (a[j].key) j = (j + 1) & (cap - 1);
                a[j] = m->a[i];
            }
        free(m->a);
        m->a = a;
        m->cap = cap;
    }
    size_t j = (size_t)fnv1a(FNV_OFFSET, key, strlen(key)) & (m->cap - 1);
    while (m->a[j].key) j = (j + 1) & (m->cap - 1);
    m->a[j].key = xstrdup(key);
    m->n++;
    *created = 1;
    return &m->a[j];
}

static void strmap_free(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->a[i].key);
        free(m->a[i].val);
    }
    free(m->a);
    memset(m, 0, sizeof *m);
}

static void rows_add(long rows[4], long *count, long row)
{
    if (*count < 4) rows[*count] = row;
    (*count)++;
}

#define LOAD_MAX_TITLES 20   /* title rows looked at above a header */
#define MAX_UNKNOWN 10000     /* distinct unknown schools described one by one */
#define MAX_SPELLINGS 200000  /* distinct values of a name-like key checked for look-alikes */
#define MAX_FUTURE 8          /* distinct future years noted */

struct ctx {
    const char *path;
    const struct form *form;
    const struct load_opts *opts;
    const struct load_sink *sink;
    struct load_stats *st;
    struct soko_diag *d;

    struct csv_parser csv;
    int state;
    long line;                /* physical line being fed, 1-based */
    long rec_line;            /* line where the current record starts */
    long rec_line_next;       /* candidate start of the next record */
    size_t rec_bytes;         /* bytes fed since the record started */
    int prev_cr;

    /* fields of the current record: NUL-separated text in data */
    struct sbuf data;
    size_t *off;
    size_t nf, capf;
    int plain;                /* the record's fields need no text_normalize (split_plain) */

    /* header mapping */
    size_t nheader;           /* fields in the header */
    size_t nwide;             /* fields up to the last one with a header text */
    char **hdr;               /* each header field as the file spells it (normalised, cut) */
    unsigned char *nohdr;     /* per field: 1 no header text, 2 reported holding data */
    size_t cap_nohdr;
    int map[LOAD_MAXCOLS];    /* form column → field index, or -1 */
    int key_cols[LOAD_MAXCOLS];
    size_t nkey;
    /* the previous row's leading key columns and the fingerprint's state after each */
    struct key_state { long long i; char *s; size_t cap; uint64_t h1, h2; } kc[LOAD_MAXCOLS];
    size_t nkc;               /* of them, valid */
    struct runs runs;         /* duplicates run by run, while the keys allow it */

    size_t errs0;             /* errors in d before this file */
    long pending;             /* errors gathered to be reported at the end */
    int sx[7];                /* vpr_students: year, school, grade, subject, score, mark, journal */
    struct work *last_work;   /* student rows come grouped by work: skip the lookup */
    int chk_idx[8][6];        /* form check columns, resolved once */
    struct keyset keys;
    struct workmap works;
    struct workpark park;     /* finished works on disk while rows come work by work */
    char *school_ok;          /* last school found in the registry */
    struct sbuf known;        /* registry cache: "\x1fid\x1fid..." for small sets */
    int sink_failed;

    /* gathered: unknown schools, names in a code column, future years */
    struct strmap unknown;
    long unknown_more;        /* rows of unknown schools beyond MAX_UNKNOWN */
    long unknown_col;         /* the school column, for the message of the rest */
    long names, name_rows[4], name_col;
    int name_j;
    struct { long long year; long count, rows[4], col; int j; } future[MAX_FUTURE];
    int nfuture;
    int now_year;

    /* name-like keys: spellings seen per column (skeleton → spelling), the last checked */
    struct strmap seen[LOAD_MAXCOLS];
    char **ok[LOAD_MAXCOLS];  /* per column: OK_SLOTS spellings already accepted, by hash */
    const char *ok_last[LOAD_MAXCOLS];  /* of them, the last one met */
    struct sbuf sk, fix;      /* scratch */

    char ring[16][192];       /* texts for messages: col_ref, head_q, cut (a ring) */
    int ringi;

    /* with a layout: the source fields as pointers, the mapped texts, their columns */
    struct layout *lay;
    char **pfields;
    size_t pcap;
    struct sbuf pscratch, rscratch;   /* mapped texts of a row; of a reference row */
    long pcol[LOAD_MAXCOLS];  /* 1-based source field of each form column (0: constant) */
    struct firstset first;    /* duplicates = first: keys seen */

    /* rows above the header that look like a title (a few cells, none a column of
     * the form): kept until the header is found; when none is, they are read again
     * as the header and its rows, so a file without titles reads exactly as before */
    struct title_row { long line; char *text; size_t n; } titles[LOAD_MAX_TITLES];
    size_t ntitles;
    struct title_row hrows[3];  /* a layout's header over header_rows rows */
    size_t nhrows;
    char login_id[256];       /* the school of the row's login (layout `login`) */
    char mark_text[8];        /* a mark from the conversion scale */
    char scale_buf[64];       /* a layout's `scale`: the marks' lowest scores, as JSON */
    double *tpoints;          /* the current row's points per task column */
    size_t ntasks;
    char **htop, **hbot;      /* a header over rows: each column's top and bottom text */
    struct strmap agg;        /* a counting layout: key → index in aggs */
    struct agg { char *key; long line; long long sum[LOAD_MAXCOLS]; } *aggs;
    size_t naggs;
    size_t nparts;
    struct strmap unknown_login;
    unsigned char *copy;      /* per field of the record: a merged range's copy (sheets) */
    size_t cap_copy;

    /* a workbook's sheet: the rows handed over, for the empty rows between them */
    int sheet;                /* reading a sheet (not CSV) */
    long prev_row;            /* the last row handed over */
    char *where;              /* "file[Sheet]": c->path while a sheet is read */
    const char *file;         /* the file's path, whatever is read of it */
};

static void err(struct ctx *c, long line, long col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err(struct ctx *c, long line, long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    soko_diag_vadd(c->d, c->path, line, col, fmt, ap);
    va_end(ap);
}

/* A note with the location in front, as the errors have it. */
static void note(struct ctx *c, long line, long col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(struct ctx *c, long line, long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    struct sbuf b = SBUF_INIT;
    soko_loc(&b, c->path, NULL, line, col);
    soko_diag_note(c->d, "%s: %s", b.s, m);
    sbuf_free(&b);
    free(m);
}

static const char *field(struct ctx *c, size_t i) { return c->data.s + c->off[i]; }

/* The current record's fields as the pointer array a layout reads. */
static char *const *source_fields(struct ctx *c)
{
    if (c->nf > c->pcap) {
        c->pcap = c->nf;
        c->pfields = xrealloc(c->pfields, c->pcap * sizeof *c->pfields);
    }
    for (size_t i = 0; i < c->nf; i++) c->pfields[i] = c->data.s + c->off[i];
    return c->pfields;
}

static void on_field(void *s, size_t len, void *vc)
{
    struct ctx *c = vc;
    if (c->nf == 0) c->rec_line = c->rec_line_next;
    if (c->nf == c->capf) {
        c->capf = c->capf ? 2 * c->capf : 32;
        c->off = xrealloc(c->off, c->capf * sizeof *c->off);
    }
    c->off[c->nf++] = c->data.len;
    if (!s) len = 0;
    if (c->data.len + len + 2 > c->data.cap) {      /* room for the text, its NUL and sbuf's */
        size_t cap = c->data.cap ? c->data.cap : 64;
        while (cap < c->data.len + len + 2) cap *= 2;
        c->data.s = xrealloc(c->data.s, cap);
        c->data.cap = cap;
    }
    if (len) memcpy(c->data.s + c->data.len, s, len);
    c->data.len += len;
    c->data.s[c->data.len++] = '\0';
    c->data.s[c->data.len] = '\0';
}

/* ------------------------------------------------------- texts for messages */

static char *ring_next(struct ctx *c)
{
    c->ringi = (c->ringi + 1) % 16;
    return c->ring[c->ringi];
}

/* s cut to at most max bytes at a character boundary, "..." added when cut. */
static void cut_utf8(const char *s, size_t max, char *out, size_t outsz)
{
    size_t n = strlen(s);
    if (max > outsz - 4) max = outsz - 4;
    size_t k = n <= max ? n : max;
    while (k < n && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;   /* whole characters */
    memcpy(out, s, k);
    strcpy(out + k, k < n ? "..." : "");
}

/* A cell's text for a message: cut at 60 bytes. */
static const char *cut(struct ctx *c, const char *s)
{
    char *b = ring_next(c);
    cut_utf8(s, 60, b, sizeof c->ring[0]);
    return b;
}

/* The header of form column j as the file spells it, or the form's Russian name when
 * the value comes from no column of the file (a layout's constant). */
static const char *head(struct ctx *c, size_t j)
{
    const char *rl = c->lay ? layout_row_label(c->lay, j) : NULL;
    if (rl) return rl;        /* a block's `row LABEL of C`: the row's label names it */
    long f = c->pcol[j];
    if (f > 0 && (size_t)f <= c->nheader && c->hdr[f - 1][0]) return c->hdr[f - 1];
    char *b = ring_next(c);
    return form_col_ru(&c->form->cols[j], b, sizeof c->ring[0]);
}

/* «header» of form column j. */
static const char *head_q(struct ctx *c, size_t j)
{
    const char *h = head(c, j);
    char *b = ring_next(c);
    snprintf(b, sizeof c->ring[0], "«%s»", h);
    return b;
}

/* "column E «участников»" for the 1-based source field f (the header's text). */
static const char *field_ref(struct ctx *c, long f)
{
    char l[8], *b = ring_next(c);
    const char *h = f > 0 && (size_t)f <= c->nheader ? c->hdr[f - 1] : "";
    if (*h) snprintf(b, sizeof c->ring[0], _("column %s «%s»"), col_letters(f, l), h);
    else snprintf(b, sizeof c->ring[0], _("column %s"), col_letters(f, l));
    return b;
}

/* The same for form column j: its source column, or «header» alone for a constant. */
static const char *col_ref(struct ctx *c, size_t j)
{
    if (c->pcol[j] > 0) return field_ref(c, c->pcol[j]);
    return head_q(c, j);
}

/* col_ref for a column remembered with its source field fcol. */
static const char *ref_at(struct ctx *c, long fcol, size_t j)
{
    return fcol > 0 ? field_ref(c, fcol) : head_q(c, j);
}

/* "2, 5, 9 and 120 more" / "2, 5 and 9" for rows counted by rows_add. */
static void rows_text(struct sbuf *b, const long rows[4], long count)
{
    long shown = count <= 4 ? count : 3;
    for (long i = 0; i < shown; i++) {
        if (i && i + 1 == shown && count <= 4) sbuf_adds(b, _(" and "));
        else if (i) sbuf_adds(b, ", ");
        sbuf_printf(b, "%ld", rows[i]);
    }
    if (count > 4) sbuf_printf(b, P_(" and %ld more", " and %ld more", count - 3), count - 3);
}

/* «a», «b», «c» and «d» for the headers of form columns idx[0..n). */
static void heads_text(struct ctx *c, struct sbuf *b, const int *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i && i + 1 == n) sbuf_adds(b, _(" and "));
        else if (i) sbuf_adds(b, ", ");
        sbuf_adds(b, head_q(c, (size_t)idx[i]));
    }
}

/* ============================================================== cell parsing */

/* Thousands groups: "1 234 567,5" → "1234567.5" when the groups after the first have
 * exactly three digits and the first one to three (text_normalize has made NBSP,
 * U+202F and U+2009 plain spaces); otherwise the spaces stay, and the number is
 * refused: "12 34" is not a number. A decimal comma becomes a point. */
static char *squeeze_number(char *t)
{
    /* NBSP, U+202F and U+2009 as plain spaces (already so when text_normalize ran) */
    if (strpbrk(t, "\xC2\xE2")) {
        char *o = t;
        for (char *q = t; *q;) {
            unsigned char *u = (unsigned char *)q;
            if (u[0] == 0xC2 && u[1] == 0xA0) { *o++ = ' '; q += 2; }
            else if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xAF || u[2] == 0x89)) {
                *o++ = ' ';
                q += 3;
            } else
                *o++ = *q++;
        }
        *o = '\0';
    }
    if (strchr(t, ' ')) {
        const char *p = t + (*t == '-');
        size_t g = strspn(p, "0123456789");
        int ok = g >= 1 && g <= 3;
        p += g;
        while (ok && *p == ' ') {
            g = strspn(p + 1, "0123456789");
            ok = g == 3;
            p += 1 + g;
        }
        if (ok && !strchr(p, ' ')) {
            char *o = t;
            for (char *q = t; *q; q++)
                if (*q != ' ') *o++ = *q;
            *o = '\0';
        }
    }
    for (char *q = t; *q; q++)
        if (*q == ',') *q = '.';
    return t;
}

const char *load_expected(const struct form_col *c, char *buf, size_t n)
{
    switch (c->type) {
    case COL_INT:
        snprintf(buf, n, _("a whole number from %lld to %lld"), (long long)c->min,
                 (long long)c->max);
        break;
    case COL_REAL:
        if (c->min <= -BIG_BOUND && c->max >= BIG_BOUND)
            snprintf(buf, n, "%s", _("a number (decimal point or comma)"));
        else {
            char *lo = num_trimmed(c->min, 6), *hi = num_trimmed(c->max, 6);
            snprintf(buf, n, _("a number from %s to %s (decimal point or comma)"), lo, hi);
            free(lo);
            free(hi);
        }
        break;
    case COL_YEAR:
        snprintf(buf, n, _("a year from %d to %d, like 2023 or 2022/2023"), (int)c->min,
                 (int)c->max);
        break;
    case COL_ENUM: {
        struct sbuf b = SBUF_INIT, e = SBUF_INIT;
        for (const struct enum_val *v = c->values; v->value; v++) {
            size_t k = v->aliases ? strcspn(v->aliases, "|") : 0;
            if (v != c->values) sbuf_adds(&b, ", ");
            if (k) sbuf_add(&b, v->aliases, k);
            else sbuf_adds(&b, v->value);
            sbuf_printf(&e, "%s%s", v == c->values ? "" : ", ", v->value);
        }
        snprintf(buf, n, _("one of: %s (or %s)"), b.s, e.s);
        sbuf_free(&b);
        sbuf_free(&e);
        break;
    }
    default:
        snprintf(buf, n, "%s", _("a value"));
    }
    return buf;
}

int load_parse_cell(const struct form_col *c, char *text, struct load_cell *cell, char *why,
                    size_t whysz)
{
    cell->present = 1;
    cell->s = text;
    switch (c->type) {
    case COL_TEXT:
        return (c->flags & COL_TASK) ? form_task_label(text, why, whysz) : 0;
    case COL_ENUM: {
        const char *v = form_enum_value(c, text);
        if (!v) break;
        cell->s = v;
        return 0;
    }
    case COL_INT: {
        /* digits alone, as most cells are: what strtoll would read, without it */
        if (text[0] >= '0' && text[0] <= '9') {
            long long v = 0;
            size_t k = 0;
            while (k < 18 && text[k] >= '0' && text[k] <= '9') v = v * 10 + (text[k++] - '0');
            if (text[k] == '\0') {
                if (v < (long long)c->min || v > (long long)c->max) break;
                cell->i = v;
                cell->r = (double)v;
                return 0;
            }
        }
        squeeze_number(text);
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        /* "12.0" as Excel may write a count: accept a zero fraction, but not one of
         * exactly three digits: "12,000" or "1.000" is more likely a thousands group */
        if (*end == '.' && end != text) {
            char *q = end + 1;
            while (*q == '0') q++;
            if (*q == '\0' && q > end + 1 && q - end - 1 != 3) end = q;
        }
        if (end == text || *end || errno || text[0] == '+' || v < (long long)c->min ||
            v > (long long)c->max)
            break;
        cell->i = v;
        cell->r = (double)v;
        return 0;
    }
    case COL_REAL: {
        squeeze_number(text);
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        /* only decimal notation: no hex, inf or nan, whatever their sign */
        if (end == text || *end || errno || v != v || text[0] == '+' ||
            text[strspn(text, "0123456789.-+eE")] != '\0' ||
            (text[0] && (text[1] == 'x' || text[1] == 'X' || text[0] == 'i' || text[0] == 'I' ||
                         text[0] == 'n' || text[0] == 'N')) ||
            v < c->min || v > c->max)
            break;
        cell->r = v;
        return 0;
    }
    case COL_YEAR: {
        /* 2023, or an academic year 2022/2023, 2022-2023, 2022/23 meaning its spring */
        if (text[0] >= '0' && text[0] <= '9' && text[1] >= '0' && text[1] <= '9' &&
            text[2] >= '0' && text[2] <= '9' && text[3] >= '0' && text[3] <= '9' && !text[4]) {
            long y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 +
                     (text[3] - '0');
            if (y < (long)c->min || y > (long)c->max) break;
            cell->i = y;
            cell->r = (double)y;
            return 0;
        }
        char *end;
        long a = strtol(text, &end, 10);
        if (end - text != 4 || text[0] == '+' || text[0] == '-') break;
        long y = a;
        if (*end == '/' || *end == '-') {
            char *e2;
            long b = strtol(end + 1, &e2, 10);
            long digits = (long)(e2 - end - 1);
            if (*e2 || (digits != 4 && digits != 2) || end[1] == '+' || end[1] == '-') break;
            if (digits == 2) b += a / 100 * 100 + (b < a % 100 ? 100 : 0);
            if (b != a + 1) {
                snprintf(why, whysz, "%s",
                         _("an academic year of two consecutive years, like 2022/2023"));
                cell->present = 0;
                return -1;
            }
            y = b;
        } else if (*end)
            break;
        if (y < (long)c->min || y > (long)c->max) break;
        cell->i = y;
        cell->r = (double)y;
        return 0;
    }
    }
    load_expected(c, why, whysz);
    cell->present = 0;
    return -1;
}

/* ============================================================== the header */

/* A cell of white space only (before normalisation: ASCII, TAB, NBSP). */
static int is_blank(const char *s)
{
    while (*s) {
        if (*s == ' ' || *s == '\t') s++;
        else if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) s += 2;
        else return 0;
    }
    return 1;
}

/* The fields of a stashed row, as pointers into its text (at most max). */
static size_t row_cells(const struct title_row *t, const char **out, size_t max)
{
    const char *q = t->text;
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < max; i++) {
        out[n++] = q;
        q += strlen(q) + 1;
    }
    return n;
}

static int filled(const char *s) { return s && *s && !is_blank(s); }

/* Room for the per-field flags of a record of n fields. */
static void nohdr_grow(struct ctx *c, size_t n)
{
    if (n <= c->cap_nohdr) return;
    c->nohdr = xrealloc(c->nohdr, n);
    memset(c->nohdr + c->cap_nohdr, 1, n - c->cap_nohdr);   /* right of the header: none */
    c->cap_nohdr = n;
}

static void check_header(struct ctx *c)
{
    const struct form *f = c->form;
    c->nheader = c->nf;
    c->hdr = xcalloc(c->nf ? c->nf : 1, sizeof *c->hdr);
    nohdr_grow(c, c->nf);
    for (size_t i = 0; i < c->nf; i++) {
        char *h = xstrdup(field(c, i));
        text_normalize(h, TEXT_ONE_LINE);
        char cutb[80];
        cut_utf8(h, 60, cutb, sizeof cutb);
        c->hdr[i] = xstrdup(cutb);
        c->nohdr[i] = !*h;
        if (*h) c->nwide = i + 1;
        free(h);
    }
    for (size_t j = 0; j < f->ncols; j++) c->map[j] = -1;
    int bad = 0;
    if (c->lay && layout_has_titles(c->lay)) {   /* values from the rows above the header */
        char *lines[LOAD_MAX_TITLES + 2];
        long nos[LOAD_MAX_TITLES + 2];
        size_t nl = 0;
        for (size_t k = 0; k < c->ntitles; k++) {
            const char *cs[64];
            size_t n = row_cells(&c->titles[k], cs, 64);
            struct sbuf b = SBUF_INIT;
            for (size_t i = 0; i < n; i++)
                if (filled(cs[i])) {
                    char *t = xstrdup(cs[i]);
                    text_normalize(t, TEXT_ONE_LINE);
                    sbuf_printf(&b, "%s%s", b.len ? " " : "", t);
                    free(t);
                }
            nos[nl] = c->titles[k].line;
            lines[nl++] = sbuf_take(&b);
        }
        if (c->sheet) {          /* the sheet's name: a subject's sheet of a rating */
            nos[nl] = 0;
            lines[nl++] = xstrdup(c->st->sheet);
        }
        {                        /* the file's name, last: «ВПР_2023_Математика_4_класс.xlsx» */
            const char *b = strrchr(c->file, '/');
            char *t = xstrdup(b ? b + 1 : c->file), *dot = strrchr(t, '.');
            if (dot && dot != t) *dot = '\0';
            for (char *q = t; *q; q++)
                if (*q == '_') *q = ' ';
            int inc;
            if (utf8_valid_prefix((const unsigned char *)t, strlen(t), &inc) == strlen(t)) {
                text_normalize(t, TEXT_ONE_LINE);
                nos[nl] = 0;
                lines[nl++] = t;
            } else
                free(t);         /* a name not in UTF-8: not a title */
        }
        bad = layout_set_titles(c->lay, lines, nos, nl, c->path, c->d) != SOKO_OK;
        for (size_t k = 0; k < nl; k++) free(lines[k]);
    }
    if (c->lay && layout_is_wide(c->lay))   /* groups of columns under their names */
        bad |= layout_bind_wide(c->lay, source_fields(c), c->htop, c->hbot,
                                c->nf < c->nparts ? c->nf : c->nparts, c->path, c->rec_line,
                                c->d) != SOKO_OK;
    else if (c->lay)    /* the layout says where each form column comes from */
        bad |= layout_bind_header(c->lay, source_fields(c), c->nf, c->path, c->rec_line,
                                  c->d) != SOKO_OK;
    size_t *unknown = xmalloc((c->nf ? c->nf : 1) * sizeof *unknown), nunknown = 0, nignored = 0;
    struct sbuf ignored = SBUF_INIT;
    for (size_t i = 0; i < c->nf && !c->lay; i++) {
        if (c->nohdr[i]) continue;        /* no header: ignored while its cells are empty */
        int j = form_col_match(f, field(c, i));
        if (j < 0) {
            if (c->opts->ignore_unknown) {
                if (nignored++ < 10)
                    sbuf_printf(&ignored, "%s%s", nignored > 1 ? ", " : "", field_ref(c, (long)i + 1));
            } else
                unknown[nunknown++] = i;
        } else if (c->map[j] >= 0) {
            char ru[128];
            err(c, c->rec_line, (long)i + 1,
                _("%s means the same as %s («%s», %s); expected each column once"),
                field_ref(c, (long)i + 1), field_ref(c, c->map[j] + 1),
                form_col_ru(&f->cols[j], ru, sizeof ru), f->cols[j].name);
            bad = 1;
        } else
            c->map[j] = (int)i;
    }
    if (nignored)
        note(c, c->rec_line, 0, P_("%ld column ignored (--ignore-unknown): %s%s",
                                   "%ld columns ignored (--ignore-unknown): %s%s", nignored),
             (long)nignored, ignored.s, nignored > 10 ? ", ..." : "");
    sbuf_free(&ignored);
    /* unknown headers, each with the columns it was probably meant to be; a missing
     * column one of them points at is not reported again */
    unsigned char skip[LOAD_MAXCOLS], pointed[LOAD_MAXCOLS] = {0};
    for (size_t j = 0; j < f->ncols; j++) skip[j] = c->map[j] >= 0;
    for (size_t u = 0; u < nunknown; u++) {
        size_t i = unknown[u];
        struct form_guess g[3];
        size_t ng = form_col_suggest(f, field(c, i), skip, g, 3);
        struct sbuf s = SBUF_INIT;
        for (size_t k = 0; k < ng; k++) {
            sbuf_printf(&s, "%s«%s»", k == 0 ? "" : k + 1 == ng ? _(" or ") : ", ", g[k].text);
            if (f->cols[g[k].col].flags & COL_REQUIRED) pointed[g[k].col] = 1;
        }
        if (ng)
            err(c, c->rec_line, (long)i + 1, _("%s is not a column of form %s (did you mean %s?); "
                "expected one of its columns (see 'soko template %s') or --ignore-unknown"),
                field_ref(c, (long)i + 1), f->name, s.s, f->name);
        else
            err(c, c->rec_line, (long)i + 1, _("%s is not a column of form %s; expected one of its "
                "columns (see 'soko template %s') or --ignore-unknown"),
                field_ref(c, (long)i + 1), f->name, f->name);
        sbuf_free(&s);
        bad = 1;
    }
    free(unknown);
    for (size_t j = 0; j < f->ncols; j++) {
        if (!c->lay && (f->cols[j].flags & COL_REQUIRED) && c->map[j] < 0 && !f->cols[j].deflt &&
            !pointed[j]) {
            char ru[128];
            err(c, c->rec_line, 0, _("the column «%s» (%s) is missing; expected it in the header "
                "of form %s"), form_col_ru(&f->cols[j], ru, sizeof ru), f->cols[j].name, f->name);
            bad = 1;
        }
        if (f->cols[j].flags & COL_KEY) c->key_cols[c->nkey++] = (int)j;
        c->pcol[j] = c->map[j] + 1;     /* a layout sets its own per row */
    }
    SOKO_ASSERT(f->nchecks <= 8);
    for (size_t k = 0; k < f->nchecks; k++)
        for (int n = 0; f->checks[k].cols[n]; n++) {
            SOKO_ASSERT(n < 6);
            c->chk_idx[k][n] = form_col_index(f, f->checks[k].cols[n]);
            SOKO_ASSERT(c->chk_idx[k][n] >= 0);
        }
    if (f->kind == FORM_STUDENTS) {
        static const char *const names[7] = {"year", "school_id", "grade", "subject",
                                             "primary_score", "mark", "journal_mark"};
        static const char *const ege[7] = {"year", "school_id", NULL, "subject", "test_score",
                                           "min_score", NULL};
        const char *const *nm = strcmp(f->name, "ege_students") == 0 ? ege : names;
        for (int k = 0; k < 7; k++)
            SOKO_ASSERT(!nm[k] || (c->sx[k] = form_col_index(f, nm[k])) >= 0);
    }
    if (!bad && c->lay && f->kind == FORM_STUDENTS && layout_tasks(c->lay)) {
        c->ntasks = layout_tasks(c->lay);
        free(c->tpoints);
        c->tpoints = xcalloc(c->ntasks, sizeof *c->tpoints);
        c->st->tasks = (long)c->ntasks;
    }
    c->state = bad || c->opts->header_only ? ST_STOP : ST_ROWS;
}

/* ================================================================= the rows */

struct variant_ctx {
    struct ctx *c;
    const char *column;
    int school;               /* ask school_exists (the registry) rather than known */
    char found[160];
    int rc;
};

static int variant_known(void *vc, const char *variant)
{
    struct variant_ctx *v = vc;
    const struct load_sink *s = v->c->sink;
    int r = v->school ? s->school_exists(s->ctx, variant) : s->known(s->ctx, v->column, variant);
    if (r > 0) {
        cut_utf8(variant, 120, v->found, sizeof v->found);
        return 1;
    }
    if (r < 0) v->rc = r;
    return r < 0;
}

/* A stored spelling that looks like `value` (the registry's, or the sink's `known`),
 * into found; 1 when there is one, 0 when not, negative on a store error. */
static int lookalike_stored(struct ctx *c, const char *column, const char *value, int school,
                            char *found, size_t n)
{
    if (!c->sink || (school ? !c->sink->school_exists : !c->sink->known)) return 0;
    struct variant_ctx v = {c, column, school, "", 0};
    int r = text_lookalike_variants(value, 8, variant_known, &v);
    if (v.rc < 0) return v.rc;
    if (r > 0) snprintf(found, n, "%s", v.found);
    return r > 0;
}

static int school_known(struct ctx *c, size_t j, const char *id, long line, long col)
{
    if (c->school_ok && strcmp(c->school_ok, id) == 0) return 1;
    /* small registry cache: ids joined by \x1f, searched linearly while short */
    size_t idn = strlen(id);
    if (c->known.len && idn < 200 && !strchr(id, '\x1f')) {   /* \x1f: the separator */
        const char *p = c->known.s;
        while ((p = strstr(p, id))) {
            if (p[-1] == '\x1f' && (p[idn] == '\x1f')) {
                free(c->school_ok);
                c->school_ok = xstrdup(id);
                return 1;
            }
            p++;
        }
    }
    /* a school already known to be missing: one more row for its message */
    int created = 0;
    struct sment *e = c->unknown.cap ? strmap_get(&c->unknown, id, 0, &created) : NULL;
    if (e) {
        rows_add(e->rows, &e->count, line);
        c->pending++;
        return 0;
    }
    int r = c->sink && c->sink->school_exists ? c->sink->school_exists(c->sink->ctx, id) : 1;
    if (r < 0) {
        err(c, line, col, _("cannot look up school «%s» in the store"), cut(c, id));
        return 0;
    }
    if (r == 0) {
        /* gathered: one message per school at the end, with its rows */
        char like[160] = "";
        if (lookalike_stored(c, "school_id", id, 1, like, sizeof like) < 0) {
            err(c, line, col, _("cannot look up school «%s» in the store"), cut(c, id));
            return 0;
        }
        e = strmap_get(&c->unknown, id, MAX_UNKNOWN, &created);
        if (e) {
            e->col = col;
            e->j = (int)j;
            if (*like) e->val = xstrdup(like);
            rows_add(e->rows, &e->count, line);
        } else
            c->unknown_more++;
        c->unknown_col = col;
        c->pending++;
        return 0;
    }
    if (c->known.len < 64 * 1024) {
        if (!c->known.len) sbuf_addc(&c->known, '\x1f');
        sbuf_adds(&c->known, id);
        sbuf_addc(&c->known, '\x1f');
    }
    free(c->school_ok);
    c->school_ok = xstrdup(id);
    return 1;
}

static int sment_row_cmp(const void *x, const void *y)
{
    const struct sment *const *a = x, *const *b = y;
    return ((*a)->rows[0] > (*b)->rows[0]) - ((*a)->rows[0] < (*b)->rows[0]);
}

/* The gathered errors, in the order of their first rows. */
static void report_gathered(struct ctx *c)
{
    if (c->unknown.n) {
        struct sment **v = xmalloc(c->unknown.n * sizeof *v);
        size_t n = 0;
        for (size_t i = 0; i < c->unknown.cap; i++)
            if (c->unknown.a[i].key) v[n++] = &c->unknown.a[i];
        qsort(v, n, sizeof *v, sment_row_cmp);
        for (size_t i = 0; i < n; i++) {
            struct sbuf rows = SBUF_INIT;
            rows_text(&rows, v[i]->rows, v[i]->count);
            const char *fmt = v[i]->count == 1 ? _("%s: school «%s» is not in the schools "
                                                   "registry (row %s); expected a school code "
                                                   "imported with form schools")
                                               : _("%s: school «%s» is not in the schools "
                                                   "registry (rows %s); expected a school code "
                                                   "imported with form schools");
            struct sbuf m = SBUF_INIT;
            sbuf_printf(&m, fmt, ref_at(c, v[i]->col, (size_t)v[i]->j), cut(c, v[i]->key), rows.s);
            if (v[i]->val) sbuf_printf(&m, _(" — did you mean «%s»?"), v[i]->val);
            err(c, v[i]->rows[0], v[i]->col, "%s", m.s);
            sbuf_free(&m);
            sbuf_free(&rows);
        }
        free(v);
    }
    if (c->unknown_login.n) {
        struct sment **v = xmalloc(c->unknown_login.n * sizeof *v);
        size_t n = 0;
        for (size_t i = 0; i < c->unknown_login.cap; i++)
            if (c->unknown_login.a[i].key) v[n++] = &c->unknown_login.a[i];
        qsort(v, n, sizeof *v, sment_row_cmp);
        for (size_t i = 0; i < n; i++) {
            struct sbuf rows = SBUF_INIT;
            rows_text(&rows, v[i]->rows, v[i]->count);
            err(c, v[i]->rows[0], v[i]->col,
                v[i]->count == 1 ? _("%s: no school of the registry has the login «%s» (row %s); "
                                     "expected the login in column login of form schools")
                                 : _("%s: no school of the registry has the login «%s» (rows %s); "
                                     "expected the login in column login of form schools"),
                ref_at(c, v[i]->col, (size_t)v[i]->j), cut(c, v[i]->key), rows.s);
            sbuf_free(&rows);
        }
        free(v);
    }
    if (c->unknown_more)
        err(c, 0, 0, P_("%ld more row names schools that are not in the schools registry; "
                        "expected school codes imported with form schools",
                        "%ld more rows name schools that are not in the schools registry; "
                        "expected school codes imported with form schools", c->unknown_more),
            c->unknown_more);
    if (c->names) {
        struct sbuf rows = SBUF_INIT;
        rows_text(&rows, c->name_rows, c->names);
        err(c, c->name_rows[0], c->name_col,
            P_("%s holds what looks like a person's name (row %s); expected pseudonymous codes "
               "such as A-001: pupils' names must not be imported (--allow-names only if the "
               "district has decided otherwise)",
               "%s holds what look like people's names (rows %s); expected pseudonymous codes "
               "such as A-001: pupils' names must not be imported (--allow-names only if the "
               "district has decided otherwise)", c->names),
            ref_at(c, c->name_col, (size_t)c->name_j), rows.s);
        sbuf_free(&rows);
    }
}

/* Excel's leftovers and the years in the future, said once at the end. */
static void report_notes(struct ctx *c)
{
    if (c->st->empty_rows)
        note(c, 0, 0, P_("%ld empty row skipped", "%ld empty rows skipped", c->st->empty_rows),
             c->st->empty_rows);
    if (c->st->blank_cells)
        note(c, 0, 0, P_("%ld cell held only spaces and was read as empty",
                         "%ld cells held only spaces and were read as empty", c->st->blank_cells),
             c->st->blank_cells);
    if (c->st->sheet_by_content && !c->st->sheets)
        note(c, 0, 0, _("this sheet was read: its header fits; the workbook's other sheets "
                        "were not read (--sheet NAME chooses another)"));
    if (c->ntitles) {
        const struct title_row *t = &c->titles[0];
        const char *q = t->text;
        for (size_t i = 0; i + 1 < t->n && !*q; i++) q += strlen(q) + 1;   /* its first text */
        c->st->titles = (long)c->ntitles;
        note(c, t->line, 0, P_("%ld row above the header read as the title: «%s»",
                               "%ld rows above the header read as the title, the first «%s»",
                               (long)c->ntitles), (long)c->ntitles, cut(c, q));
    }
    long nohdr = 0;
    for (size_t i = 0; i < c->nheader; i++) nohdr += c->nohdr[i] == 1;
    if (nohdr && !c->lay)
        note(c, 1, 0, P_("%ld column without a header and without data ignored",
                         "%ld columns without a header and without data ignored", nohdr), nohdr);
    for (int k = 0; k < c->nfuture; k++) {
        struct sbuf rows = SBUF_INIT;
        rows_text(&rows, c->future[k].rows, c->future[k].count);
        note(c, c->future[k].rows[0], c->future[k].col,
             c->future[k].count == 1
                 ? _("%s: the year %lld is later than next year (%d) (row %s); the row was "
                     "imported: please check the year")
                 : _("%s: the year %lld is later than next year (%d) (rows %s); the rows were "
                     "imported: please check the year"),
             ref_at(c, c->future[k].col, (size_t)c->future[k].j), c->future[k].year,
             c->now_year + 1, rows.s);
        sbuf_free(&rows);
    }
}

static void on_dup(void *vc, long line, long first)
{
    struct ctx *c = vc;
    struct sbuf k = SBUF_INIT;
    if (c->form->kind == FORM_STUDENTS) {
        int grp[LOAD_MAXCOLS];
        size_t n = 0;
        for (size_t i = 0; i < c->nkey; i++)
            if (c->form->cols[c->key_cols[i]].flags & COL_GROUP) grp[n++] = c->key_cols[i];
        heads_text(c, &k, grp, n);
        int js = form_col_index(c->form, "student");
        err(c, line, c->pcol[js], _("%s: the same pupil's code is given twice in one work (also "
            "in row %ld); expected each pupil once per %s"), col_ref(c, (size_t)js), first, k.s);
    } else {
        heads_text(c, &k, c->key_cols, c->nkey);
        if (c->nkey == 1)
            err(c, line, 0, _("this row repeats row %ld: the same %s; expected each value once "
                "in a file"), first, k.s);
        else
            err(c, line, 0, _("this row repeats row %ld: the same %s; expected each combination "
                "of them once in a file"), first, k.s);
    }
    sbuf_free(&k);
}

/* The work of a row whose key differs from the last row's: the one in the map, or a
 * new one after the map's are parked, or (when a parked work comes back) the map
 * with every work. NULL, with the error said and the reading stopped, when the
 * temporary file fails. */
static struct work *work_for(struct ctx *c, long long year, const char *school,
                             long long grade, const char *subj, long line)
{
    struct workmap *m = &c->works;
    struct workpark *p = &c->park;
    struct work *w = workmap_find(m, year, school, grade, subj);
    if (w) return w;
    /* a fingerprint seen may be another work's, by chance: that only costs memory */
    if (p->on && printset_has(&p->seen, work_print(year, school, grade, subj))) {
        if (park_restore(p, m) != 0) {
            err(c, line, 0, "%s", _("cannot read back the temporary file of the works"));
            c->state = ST_STOP;
            return NULL;
        }
        if ((long)m->n > p->peak) p->peak = (long)m->n;
        if ((w = workmap_find(m, year, school, grade, subj)) != NULL) return w;
    } else if (p->on) {
        for (size_t i = 0; i < m->n; i++) {
            const struct work *x = m->order[i];
            if (park_write(p, x, c->ntasks) != 0) {
                err(c, line, 0, "%s", _("cannot write the temporary file of the works"));
                c->state = ST_STOP;
                return NULL;
            }
            printset_add(&p->seen, work_print(x->year, x->school, x->grade, x->subject), 0);
        }
        workmap_clear(m, 1);
    }
    workmap_put(m, w = work_new(year, school, grade, subj, line));
    if ((long)m->n > p->peak) p->peak = (long)m->n;
    return w;
}

static void add_student(struct ctx *c, struct load_row *r)
{
    const struct form *f = c->form;
    struct load_cell *cl = r->cells;
    long r_line = r->line;
    (void)f;
    int iy = c->sx[0], is = c->sx[1], ig = c->sx[2], isu = c->sx[3];
    int ip = c->sx[4], im = c->sx[5], ij = c->sx[6];
    struct work *w = c->last_work;
    if (!w || w->year != cl[iy].i || w->grade != cl[ig].i || strcmp(w->school, cl[is].s) != 0 ||
        strcmp(w->subject, cl[isu].s) != 0)
        w = c->last_work = work_for(c, cl[iy].i, cl[is].s, cl[ig].i, cl[isu].s, r->line);
    if (!w) return;
    int score = (int)cl[ip].i;
    if (!w->scale_state) {
        int got = c->sink && c->sink->scale ? c->sink->scale(c->sink->ctx, w->year, w->grade,
                                                             w->subject, w->scale) : 0;
        if (got < 0) {
            err(c, r_line, c->pcol[im], _("cannot look up the conversion scale of %lld, grade "
                "%lld, %s in the store"), w->year, w->grade, cut(c, w->subject));
            return;
        }
        w->scale_state = got > 0 ? 1 : -1;
    }
    if (w->scale_state > 0) {
        int want = score >= w->scale[3] ? 5 : score >= w->scale[2] ? 4 : score >= w->scale[1] ? 3 : 2;
        if (!cl[im].present) {
            cl[im].present = 1;
            cl[im].i = want;
            cl[im].r = want;
            snprintf(c->mark_text, sizeof c->mark_text, "%d", want);
            cl[im].s = c->mark_text;
        } else if (cl[im].i != want || score > w->scale[0])
            rows_add(w->offscale_rows, &w->offscale, r_line);
    } else if (!cl[im].present) {
        rows_add(w->nomark_rows, &w->nomark, r_line);
        c->pending++;          /* nothing of the file is stored; said once per work */
        return;
    }
    int mk = (int)cl[im].i - 2;
    if (c->ntasks) {
        if (!w->task_points) w->task_points = xcalloc(c->ntasks, sizeof *w->task_points);
        for (size_t k = 0; k < c->ntasks; k++) w->task_points[k] += c->tpoints[k];
    }
    w->n++;
    w->m[mk]++;
    w->sum_score += score;
    if ((size_t)score >= w->hist_len) {
        size_t len = (size_t)score + 1;
        w->hist = xrealloc(w->hist, len * sizeof *w->hist);
        memset(w->hist + w->hist_len, 0, (len - w->hist_len) * sizeof *w->hist);
        w->hist_len = len;
    }
    w->hist[score]++;
    if (w->min_score[mk] < 0 || score < w->min_score[mk]) { w->min_score[mk] = score; w->min_line[mk] = r->line; }
    if (score > w->max_score[mk]) { w->max_score[mk] = score; w->max_line[mk] = r->line; }
    if (cl[ij].present) {
        w->journal[mk][cl[ij].i - 2]++;
        w->n_journal++;
    }
}

/* One ЕГЭ participant: the school's test scores in the subject and year. */
static void add_ege_participant(struct ctx *c, const struct load_row *r)
{
    const struct load_cell *cl = r->cells;
    int iy = c->sx[0], is = c->sx[1], isu = c->sx[3], it = c->sx[4], im = c->sx[5];
    struct work *w = c->last_work;
    if (!w || w->year != cl[iy].i || strcmp(w->school, cl[is].s) != 0 ||
        strcmp(w->subject, cl[isu].s) != 0) {
        w = c->last_work = work_for(c, cl[iy].i, cl[is].s, 0, cl[isu].s, r->line);
        if (!w) return;
        if (!w->n) w->min_req = -1;
    }
    int score = (int)cl[it].i, req = (int)cl[im].i;
    if (w->min_req >= 0 && req != w->min_req) {
        err(c, r->line, c->map[im] + 1, _("the minimum score is %d here and %d at line %ld (%lld, "
            "school %s, %s); expected one minimum per subject and year"), req, w->min_req,
            w->min_req_line, w->year, w->school, w->subject);
        return;
    }
    if (w->min_req < 0) {
        w->min_req = req;
        w->min_req_line = r->line;
    }
    w->n++;
    w->sum_score += score;
    w->sum_sq += (double)score * score;
    w->below += score < req;
    w->high += score >= 81;
    w->s100 += score == 100;
}

static void to_sink(struct ctx *c, const struct load_row *r)
{
    if (c->d->total != c->errs0 || c->pending || c->sink_failed || !c->sink || !c->sink->row)
        return;
    if (c->sink->row(c->sink->ctx, r, c->d) != SOKO_OK) c->sink_failed = 1;
    else c->st->rows++;
}

/* A name-like key: one alphabet per word, and one spelling of what looks the same,
 * in the file and against the store. Returns 0, or -1 after an error. */
#define OK_SLOTS 64

static int check_lookalike(struct ctx *c, size_t j, const char *v, long line, long fcol)
{
    const struct form_col *col = &c->form->cols[j];
    /* a spelling accepted once is accepted again (the checks below depend on it and on
       the first spelling of its skeleton only): rows repeat a few values */
    if (c->ok_last[j] && strcmp(c->ok_last[j], v) == 0) return 0;     /* rows come grouped */
    size_t slot = (size_t)fnv1a(FNV_OFFSET, v, strlen(v)) % OK_SLOTS;
    if (c->ok[j] && c->ok[j][slot] && strcmp(c->ok[j][slot], v) == 0) {
        c->ok_last[j] = c->ok[j][slot];
        return 0;
    }
    struct text_mix m;
    if (text_mixed_script(v, &m, &c->fix)) {
        char letter[8];
        memcpy(letter, v + m.off, m.len);
        letter[m.len] = '\0';
        const char *fmt = m.script == 'L'
            ? _("%s: «%s» has the Latin letter «%s» (letter %ld of its word) among Cyrillic "
                "ones; expected the letters of one alphabet in a word%s%s%s")
            : _("%s: «%s» has the Cyrillic letter «%s» (letter %ld of its word) among Latin "
                "ones; expected the letters of one alphabet in a word%s%s%s");
        int fix = c->fix.len > 0;
        err(c, line, fcol, fmt, col_ref(c, j), cut(c, v), letter, m.pos, fix ? ": «" : "",
            fix ? cut(c, c->fix.s) : "", fix ? "»" : "");
        return -1;
    }
    text_skeleton(v, &c->sk);
    int created;
    struct sment *e = strmap_get(&c->seen[j], c->sk.s, MAX_SPELLINGS, &created);
    if (e && !created && strcmp(e->val, v) != 0) {
        err(c, line, fcol, _("%s: «%s» looks the same as «%s» in row %ld but is written with other "
            "letters (Latin and Cyrillic look-alikes); expected one spelling of each value"),
            col_ref(c, j), cut(c, v), cut(c, e->val), e->rows[0]);
        return -1;
    }
    if (e && created) {
        e->val = xstrdup(v);
        e->rows[0] = line;
        /* new in this file: a look-alike already stored? (a school of a results file
         * must be in the registry anyway: school_known says so, with the look-alike) */
        if (!(col->flags & COL_SCHOOL) && c->sink && c->sink->known) {
            int r = c->sink->known(c->sink->ctx, col->name, v);
            char like[160] = "";
            if (r == 0) r = lookalike_stored(c, col->name, v, 0, like, sizeof like);
            if (r < 0) {
                err(c, line, fcol, _("%s: cannot look up «%s» in the store"), col_ref(c, j),
                    cut(c, v));
                return -1;
            }
            if (*like) {
                err(c, line, fcol, _("%s: «%s» looks the same as «%s», already stored, but is "
                    "written with other letters (Latin and Cyrillic look-alikes); expected the "
                    "stored spelling"), col_ref(c, j), cut(c, v), cut(c, like));
                return -1;
            }
        }
    }
    if (!c->ok[j]) c->ok[j] = xcalloc(OK_SLOTS, sizeof *c->ok[j]);
    free(c->ok[j][slot]);
    c->ok_last[j] = c->ok[j][slot] = xstrdup(v);
    return 0;
}

/* A layout's `login` column: the school whose login the row names, through the
 * registry. An unknown login is gathered (one message per login, with its rows).
 * Returns 0 with cell->s the school's code, or -1. */
static int login_school(struct ctx *c, size_t j, struct load_cell *cell, long line, long fcol)
{
    if (!c->sink || !c->sink->school_by_login) return 0;    /* no registry: the login */
    int created = 0;
    struct sment *e = c->unknown_login.cap ? strmap_get(&c->unknown_login, cell->s, 0, &created)
                                           : NULL;
    if (e) {
        rows_add(e->rows, &e->count, line);
        c->pending++;
        return -1;
    }
    int r = c->sink->school_by_login(c->sink->ctx, cell->s, c->login_id, sizeof c->login_id);
    if (r < 0) {
        err(c, line, fcol, _("cannot look up the login «%s» in the store"), cut(c, cell->s));
        return -1;
    }
    if (r == 0) {
        e = strmap_get(&c->unknown_login, cell->s, MAX_UNKNOWN, &created);
        if (e) {
            e->col = fcol;
            e->j = (int)j;
            rows_add(e->rows, &e->count, line);
        }
        c->pending++;
        return -1;
    }
    cell->s = c->login_id;
    return 0;
}

/* A year after next year: noted (the file still imports), once per year with its rows. */
static void check_future(struct ctx *c, size_t j, long long year, long line, long fcol)
{
    if (year <= c->now_year + 1) return;
    int k = 0;
    while (k < c->nfuture && c->future[k].year != year) k++;
    if (k == c->nfuture) {
        if (c->nfuture == MAX_FUTURE) return;
        c->nfuture++;
        c->future[k].year = year;
        c->future[k].count = 0;
        c->future[k].col = fcol;
        c->future[k].j = (int)j;
    }
    rows_add(c->future[k].rows, &c->future[k].count, line);
}

/* Decimals written in a number's text ("71.5" → 1). */
static int decimals(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot ? (int)strspn(dot + 1, "0123456789") : 0;
}

/* A sum check's columns in words, «m2» + «m3» = «participants», into b. */
static void sum_words(struct ctx *c, const struct form_check *ck, const int *idx, int n,
                      struct sbuf *b)
{
    for (int i = 0; i < n; i++)
        sbuf_printf(b, "%s%s",
                    i == 0 ? "" : i + 1 < n ? " + " : ck->kind == CHECK_SUM_EQ ? " = " : " ≤ ",
                    head_q(c, (size_t)idx[i]));
}

static void check_cross(struct ctx *c, const struct load_row *r, long line)
{
    const struct form *f = c->form;
    for (size_t k = 0; k < f->nchecks; k++) {
        const struct form_check *ck = &f->checks[k];
        int idx[6], n = 0, given = 0;
        for (; ck->cols[n]; n++) {
            idx[n] = c->chk_idx[k][n];
            given += r->cells[idx[n]].present;
        }
        const struct load_cell *cl = r->cells;
        if (ck->kind == CHECK_SUM_EQ || ck->kind == CHECK_SUM_LE) {
            const struct load_cell *tot = &cl[idx[n - 1]];
            long tcol = c->pcol[idx[n - 1]];
            struct sbuf expr = SBUF_INIT;   /* the sum in words, written for a message only */
            long long sum = 0;
            for (int i = 0; i < n - 1; i++) sum += cl[idx[i]].present ? cl[idx[i]].i : 0;
            if (ck->kind == CHECK_SUM_EQ && given > 0 && given < n &&
                !(given == 1 && tot->present)) {
                int e = 0;
                while (cl[idx[e]].present) e++;
                sum_words(c, ck, idx, n, &expr);
                err(c, line, c->pcol[idx[e]], _("%s is empty while the other columns of the sum "
                    "are given; expected all of %s, or none"), col_ref(c, (size_t)idx[e]), expr.s);
            } else if (ck->kind == CHECK_SUM_EQ && given == n && sum != tot->i) {
                char found[256];
                snprintf(found, sizeof found, ck->found ? _(ck->found) :
                         _("the sum is %lld, but the total is %lld"), sum, tot->i);
                sum_words(c, ck, idx, n, &expr);
                err(c, line, tcol, _("%s: %s; expected %s"), col_ref(c, (size_t)idx[n - 1]),
                    found, expr.s);
            } else if (ck->kind == CHECK_SUM_LE && tot->present && sum > tot->i) {
                char found[256];
                snprintf(found, sizeof found, ck->found ? _(ck->found) :
                         _("the sum is %lld, more than the total %lld"), sum, tot->i);
                sum_words(c, ck, idx, n, &expr);
                err(c, line, tcol, _("%s: %s; expected %s"), col_ref(c, (size_t)idx[n - 1]),
                    found, expr.s);
            }
            sbuf_free(&expr);
        } else if (ck->kind == CHECK_LE) {
            for (int i = 0; i + 1 < n; i++) {
                const struct load_cell *a = &cl[idx[i]], *b = &cl[idx[i + 1]];
                if (!a->present || !b->present || a->r <= b->r) continue;
                struct sbuf chain = SBUF_INIT;
                for (int q = 0; q < n; q++)
                    sbuf_printf(&chain, "%s%s", q ? " ≤ " : "", head_q(c, (size_t)idx[q]));
                err(c, line, c->pcol[idx[i]], _("%s: found %s, more than %s (%s); expected %s"),
                    col_ref(c, (size_t)idx[i]), cut(c, a->s), head_q(c, (size_t)idx[i + 1]),
                    cut(c, b->s), chain.s);
                sbuf_free(&chain);
            }
        } else if (ck->kind == CHECK_MEAN_SCORES) {
            const struct load_cell *mean = &cl[idx[0]], *np = &cl[idx[1]], *hi = &cl[idx[2]],
                                   *top = &cl[idx[3]];
            if (!mean->present || !np->present || !hi->present || np->i <= 0 ||
                hi->i > np->i || (top->present && top->i > hi->i))
                continue;     /* nothing to bound, or another check has said it */
            double p0 = ck->p[0], p1 = ck->p[1], nn = (double)np->i, h = (double)hi->i;
            double lo, up;
            if (top->present) {
                double s = (double)top->i;
                lo = (p1 * s + p0 * (h - s)) / nn;
                up = (p1 * s + (p1 - 1) * (h - s) + (p0 - 1) * (nn - h)) / nn;
            } else {
                lo = p0 * h / nn;
                up = (p1 * h + (p0 - 1) * (nn - h)) / nn;
            }
            double slack = 0.5 * pow(10.0, -decimals(mean->s)) + 1e-9;
            if (mean->r >= lo - slack && mean->r <= up + slack) continue;
            char *a = num_trimmed(lo, 2), *b = num_trimmed(up, 2);
            struct sbuf with = SBUF_INIT;
            sbuf_printf(&with, "%s %lld, %s %lld", head_q(c, (size_t)idx[1]), np->i,
                        head_q(c, (size_t)idx[2]), hi->i);
            if (top->present) sbuf_printf(&with, _(" and %s %lld"), head_q(c, (size_t)idx[3]), top->i);
            if (strcmp(a, b) == 0)
                err(c, line, c->pcol[idx[0]], _("%s: found %s, but with %s the mean is %s; expected "
                    "that mean (or other counts)"), col_ref(c, (size_t)idx[0]), cut(c, mean->s),
                    with.s, a);
            else
                err(c, line, c->pcol[idx[0]], _("%s: found %s, but with %s the mean lies between "
                    "%s and %s; expected a mean within these bounds (or other counts)"),
                    col_ref(c, (size_t)idx[0]), cut(c, mean->s), with.s, a, b);
            sbuf_free(&with);
            free(a);
            free(b);
        } else if (ck->kind == CHECK_KEYED_RANGE) {
            const struct load_cell *name = &cl[idx[0]], *val = &cl[idx[1]];
            if (!name->present || !val->present) continue;
            for (const struct value_range *vr = ck->ranges; vr && vr->pattern; vr++) {
                size_t pl = strlen(vr->pattern);
                int hit = vr->pattern[pl - 1] == '*' ? strncmp(name->s, vr->pattern, pl - 1) == 0
                                                     : strcmp(name->s, vr->pattern) == 0;
                if (!hit) continue;
                if (val->r < vr->min || val->r > vr->max || (vr->whole && val->r != floor(val->r)))
                    err(c, line, c->pcol[idx[1]], _("%s: found %s for the factor «%s» (%s); "
                        "expected %s"), col_ref(c, (size_t)idx[1]), cut(c, val->s),
                        cut(c, name->s), col_ref(c, (size_t)idx[0]), _(vr->what));
                break;
            }
        }
    }
}

static void check_mapped(struct ctx *c, long line);

/* A number's text that squeeze_number may rewrite: it holds a comma, a space or the
 * lead byte of NBSP, U+202F or U+2009 (strpbrk(t, ", \xC2\xE2"), for short cells). */
static int number_rewritten(const char *t)
{
    for (; *t; t++)
        if (*t == ',' || *t == ' ' || *t == '\xC2' || *t == '\xE2') return 1;
    return 0;
}

/* «X», «Х», «-», «—»: a task not attempted, 0 points. */
static int not_attempted(const char *t)
{
    static const char *const m[] = {"X", "x", "\xD0\xA5", "\xD1\x85", "-", "\xE2\x80\x94",
                                    "\xE2\x80\x93", NULL};
    for (int i = 0; m[i]; i++)
        if (strcmp(t, m[i]) == 0) return 1;
    return 0;
}

/* The row's task columns (tasks = auto) into c->tpoints: points from 0 to the task's
 * maximum, a marker or an empty cell 0. Returns 0, or -1 after an error. */
static int read_tasks(struct ctx *c, const struct load_row *r, long line)
{
    int bad = 0;
    double sum = 0;
    for (size_t k = 0; k < c->ntasks; k++) {
        int max, fld;
        const char *label = layout_task(c->lay, k, &max, &fld);
        char *t = xstrdup((size_t)fld < c->nf ? field(c, (size_t)fld) : "");
        text_normalize(t, TEXT_ONE_LINE);
        c->tpoints[k] = 0;
        if (*t && !not_attempted(t)) {
            char raw[80];
            cut_utf8(t, 60, raw, sizeof raw);
            squeeze_number(t);
            char *end;
            errno = 0;
            double v = strtod(t, &end);
            if (end == t || *end || errno || v != v || v < 0 || v > max) {
                err(c, line, fld + 1, _("%s: found «%s»; expected the points of task %s, from 0 "
                    "to %d (or X: not attempted)"), field_ref(c, fld + 1), raw, cut(c, label),
                    max);
                bad = 1;
            } else
                c->tpoints[k] = v;
        }
        sum += c->tpoints[k];
        free(t);
    }
    /* the primary score is the tasks' points added up */
    const struct load_cell *ps = &r->cells[c->sx[4]];
    if (!bad && ps->present && strcmp(c->form->name, "vpr_students") == 0 &&
        fabs(sum - (double)ps->i) > 1e-9) {
        err(c, line, c->pcol[c->sx[4]], _("%s: %lld, but the points of the %zu task columns add "
            "up to %g; expected the primary score to be their sum"), col_ref(c, (size_t)c->sx[4]),
            ps->i, c->ntasks, sum);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* A counting layout: the row's other columns are the key (their texts, canonical),
 * its count columns are added to the key's sums. */
static void aggregate(struct ctx *c, const struct load_row *r, long line)
{
    const struct form *f = c->form;
    sbuf_reset(&c->sk);
    for (size_t j = 0; j < f->ncols; j++) {
        if (layout_counted(c->lay, j)) continue;
        const struct load_cell *cl = &r->cells[j];
        if (cl->present) {
            if (f->cols[j].type == COL_INT || f->cols[j].type == COL_YEAR)
                sbuf_printf(&c->sk, "%lld", cl->i);
            else if (f->cols[j].type == COL_REAL)
                sbuf_printf(&c->sk, "%.17g", cl->r);
            else
                sbuf_adds(&c->sk, cl->s);
        }
        sbuf_addc(&c->sk, '\x1f');
    }
    int created;
    struct sment *e = strmap_get(&c->agg, c->sk.s, (size_t)-1, &created);
    if (created) {
        c->aggs = xrealloc(c->aggs, (c->naggs + 1) * sizeof *c->aggs);
        memset(&c->aggs[c->naggs], 0, sizeof *c->aggs);
        c->aggs[c->naggs].key = e->key;
        c->aggs[c->naggs].line = line;
        e->col = (long)c->naggs++;
    }
    struct agg *a = &c->aggs[e->col];
    for (size_t j = 0; j < f->ncols; j++)
        if (layout_counted(c->lay, j) && r->cells[j].present) a->sum[j] += r->cells[j].i;
}

/* The sums of a counting layout, one row of the form each, in the order first seen. */
static void emit_aggregates(struct ctx *c)
{
    const struct form *f = c->form;
    char num[LOAD_MAXCOLS][32];
    for (size_t k = 0; k < c->naggs && c->d->total == c->errs0; k++) {
        struct agg *a = &c->aggs[k];
        struct load_row r;
        memset(&r, 0, sizeof r);
        r.form = f;
        r.line = a->line;
        char *key = xstrdup(a->key), *q = key;
        for (size_t j = 0; j < f->ncols; j++) {
            struct load_cell *cl = &r.cells[j];
            if (layout_counted(c->lay, j)) {
                snprintf(num[j], sizeof num[j], "%lld", a->sum[j]);
                *cl = (struct load_cell){1, a->sum[j], (double)a->sum[j], num[j]};
                continue;
            }
            char *sep = strchr(q, '\x1f');
            *sep = '\0';
            if (*q) {
                char why[256];
                load_parse_cell(&f->cols[j], q, cl, why, sizeof why);   /* parsed before */
            }
            q = sep + 1;
        }
        check_cross(c, &r, a->line);
        if (c->d->total == c->errs0) to_sink(c, &r);
        free(key);
    }
}

static void check_row(struct ctx *c)
{
    long line = c->rec_line;
    /* Excel's leftovers: a row of empty cells (";;;;") is skipped and counted */
    int empty = 1;
    for (size_t i = 0; i < c->nf && empty; i++) empty = is_blank(field(c, i));
    if (empty) {
        c->st->empty_rows++;
        return;
    }
    c->st->records++;
    if (c->nf < c->nwide) {
        err(c, line, (long)c->nf + 1, _("this row has %zu cells, but the header has %zu; expected "
            "a cell under every header (the row ends before %s)"), c->nf, c->nwide,
            field_ref(c, (long)c->nf + 1));
        return;
    }
    /* a value right of the header, or under a column without a header: said once per
     * column (the value is not quoted: it may be anything, even a name) */
    nohdr_grow(c, c->nf);
    int stray = 0;
    for (size_t i = 0; i < c->nf; i++) {
        if (!c->nohdr[i] || is_blank(field(c, i))) continue;
        /* a layout reads only the columns it names; --ignore-unknown skips these too */
        if ((c->lay || c->opts->ignore_unknown) && i < c->nheader) continue;
        stray = 1;
        if (c->nohdr[i] == 2) continue;
        c->nohdr[i] = 2;
        char l[8];
        err(c, line, (long)i + 1, _("column %s has no header, but this row has a value in it; "
            "expected a header above every column that holds data"), col_letters((long)i + 1, l));
    }
    if (stray) return;
    if (c->lay && layout_blocks(c->lay)) {    /* a label row, or a row of figures under it */
        if (layout_block_is_label(c->lay, source_fields(c), c->nf)) {
            if (layout_block_pending(c->lay)) check_mapped(c, layout_block_line(c->lay));
            layout_block_begin(c->lay, source_fields(c), c->nf, line);
        } else
            layout_block_add(c->lay, source_fields(c), c->nf, line, c->path, c->d);
        return;
    }
    size_t ng = c->lay ? layout_groups(c->lay) : 0;
    if (!ng) {
        check_mapped(c, line);
        return;
    }
    /* a wide layout: one row of the form per group of columns (a subject's), none for
     * a group of empty cells or markers (a subject nobody took) */
    long skipped = c->st->skipped, nonschool = c->st->nonschool;
    for (size_t g = 0; g < ng && c->state == ST_ROWS; g++) {
        layout_select_group(c->lay, g);
        if (!layout_group_empty(c->lay, source_fields(c), c->nf)) check_mapped(c, line);
        else if (layout_is_wide(c->lay)) c->st->empty_groups++;
        else c->st->empty_tasks++;          /* tasks = columns: a task cell without a value */
        /* a totals row, or a row not a school's: skipped or counted once */
        if (c->st->skipped > skipped || c->st->nonschool > nonschool) break;
    }
}

/* `scale` (a layout's vpr_dist): the marks' lowest primary scores of the row's work
 * from the store's conversion scale (vpr_scales), as {"3":7,"4":12,"5":17}; "{}" when
 * the store has none (counted: the boundaries of those works are unknown). The row's
 * year, grade and subject are parsed before (they come first in the form). */
static char *scale_text(struct ctx *c, const struct load_row *r)
{
    const struct form *f = c->form;
    const struct load_cell *y = &r->cells[form_col_index(f, "year")],
                           *g = &r->cells[form_col_index(f, "grade")],
                           *s = &r->cells[form_col_index(f, "subject")];
    int sc[4], found = 0;
    if (y->present && g->present && s->present && c->sink && c->sink->scale)
        found = c->sink->scale(c->sink->ctx, y->i, g->i, s->s, sc);
    if (found > 0)
        snprintf(c->scale_buf, sizeof c->scale_buf, "{\"3\":%d,\"4\":%d,\"5\":%d}", sc[1], sc[2],
                 sc[3]);
    else {
        snprintf(c->scale_buf, sizeof c->scale_buf, "{}");
        if (y->present && g->present && s->present) {
            c->st->no_scale++;
            if (!*c->st->no_scale_work)
                snprintf(c->st->no_scale_work, sizeof c->st->no_scale_work, "%lld, %lld, %.80s",
                         y->i, g->i, s->s);
        }
    }
    return c->scale_buf;
}

/* Appends ", item" to the list in buf (of size bytes) unless it is there already or
 * would not fit: the labels a summary names, each once. */
static void list_once(char *buf, size_t size, const char *item)
{
    size_t n = strlen(buf);
    if (!strstr(buf, item) && n + strlen(item) + 8 < size)
        snprintf(buf + n, size - n, "%s%s", n ? ", " : "", item);
}

/* A record not stored for a suppression marker: counted, its line kept among the first. */
static void suppressed_row(struct ctx *c, long line)
{
    if (c->st->suppressed < LOAD_NLINES) c->st->suppressed_line[c->st->suppressed] = line;
    c->st->suppressed++;
}

/* "«Вся выборка» (russia)" into the list of the reference rows read, once each. */
static void reference_seen(struct load_stats *st, const char *label, const char *level)
{
    char q[128];
    snprintf(q, sizeof q, "«%.60s» (%s)", label, level);
    list_once(st->reference_text, sizeof st->reference_text, q);
}

/* A row that is not a school's, through the layout's [reference] (the country, the
 * region, the municipality) to the sink as a row of its form (vpr_reference). Returns
 * 0 when the row was taken (stored, or refused with its errors), 1 when it is none of
 * those (a total): then it is counted as before. */
static int reference_row(struct ctx *c, long line)
{
    struct layout *rl = layout_reference(c->lay);
    const struct form *rf = layout_form(rl);
    const char *out[LOAD_MAXCOLS];
    long ocol[LOAD_MAXCOLS];
    size_t errs = c->d->total;
    switch (layout_map_row(rl, source_fields(c), c->nf, out, ocol, &c->rscratch, c->path, line,
                           c->d)) {
    case LAYOUT_ROW: break;
    case LAYOUT_ERROR: return 0;
    case LAYOUT_SUPPRESSED: suppressed_row(c, line); return 0;
    default: return 1;
    }
    struct load_row r;
    memset(&r, 0, sizeof r);
    r.form = rf;
    r.line = line;
    const char *label = "", *level = "";
    for (size_t j = 0; j < rf->ncols; j++) {
        const struct form_col *col = &rf->cols[j];
        struct load_cell *cell = &r.cells[j];
        char *t = (char *)out[j], why[256];
        if (t) text_normalize(t, (col->flags & COL_KEY) ? TEXT_ONE_LINE : TEXT_KEEP_LINES);
        const char *head = ocol[j] > 0 ? field_ref(c, ocol[j]) : col->name;
        if (!t || !*t) {
            if (col->flags & COL_REQUIRED)
                err(c, line, ocol[j], _("%s (a reference row, %s): the cell is empty; expected %s"),
                    head, col->name, load_expected(col, why, sizeof why));
            continue;
        }
        char raw[80];
        cut_utf8(t, 60, raw, sizeof raw);
        if (load_parse_cell(col, t, cell, why, sizeof why) != 0) {
            err(c, line, ocol[j], _("%s (a reference row, %s): found «%s»; expected %s"), head,
                col->name, raw, why);
            continue;
        }
        if (strcmp(col->name, "level") == 0) {
            level = cell->s;
            label = ocol[j] > 0 && (size_t)ocol[j] <= c->nf ? source_fields(c)[ocol[j] - 1] : "";
        }
    }
    if (c->d->total != errs) return 0;
    char *lab = xstrdup(label);
    str_trim(lab);
    reference_seen(c->st, lab, level);
    free(lab);
    long nl = c->st->nreference_lines;     /* a row gives a row per task: its line once */
    if (!nl || c->st->reference_line[nl < LOAD_NLINES ? nl - 1 : LOAD_NLINES - 1] != line) {
        if (nl < LOAD_NLINES) c->st->reference_line[nl] = line;
        c->st->nreference_lines++;
    }
    c->st->nreference++;
    if (c->d->total != c->errs0 || c->pending || c->sink_failed || !c->sink || !c->sink->row)
        return 0;
    r.where = c->path;
    r.col = ocol;
    if (c->sink->row(c->sink->ctx, &r, c->d) != SOKO_OK) c->sink_failed = 1;
    return 0;
}

/* One record of the source (or a group of a wide record) through the layout, the
 * form's checks and the duplicate keys to the sink. */
static void check_mapped(struct ctx *c, long line)
{
    const struct form *f = c->form;
    struct load_row r;
    /* the row's own cells only: the other LOAD_MAXCOLS - ncols are never read, and
     * clearing the whole kilobyte was an eighth of this function */
    memset(&r, 0, offsetof(struct load_row, cells));
    memset(r.cells, 0, f->ncols * sizeof r.cells[0]);
    r.form = f;
    r.line = line;
    size_t errs = c->d->total;
    long pending = c->pending;
    const char *mapped[LOAD_MAXCOLS];
    if (c->lay) {
        switch (layout_map_row(c->lay, source_fields(c), c->nf, mapped, c->pcol, &c->pscratch,
                                c->path, line, c->d)) {
        case LAYOUT_ROW: break;
        case LAYOUT_SKIP: c->st->skipped++; return;
        case LAYOUT_SUPPRESSED: suppressed_row(c, line); return;
        case LAYOUT_ERROR: return;
        case LAYOUT_ABSENT: c->st->absent++; return;
        case LAYOUT_NONSCHOOL: {
            struct load_stats *st = c->st;
            if (layout_reference(c->lay) && reference_row(c, line) == 0) return;
            if (st->nonschool < LOAD_NLINES) st->nonschool_line[st->nonschool] = line;
            st->nonschool++;
            char q[96];
            snprintf(q, sizeof q, "«%s»", cut(c, mapped[0]));
            list_once(st->nonschool_text, sizeof st->nonschool_text, q);
            return;
        }
        }
        if (c->d->total != errs) return;
    }
    for (size_t j = 0; j < f->ncols; j++) {
        const struct form_col *col = &f->cols[j];
        struct load_cell *cell = &r.cells[j];
        long fcol = c->pcol[j];
        /* the mapped texts are ours (the layout's scratch): normalised and parsed in place */
        char *t = c->lay ? (char *)mapped[j] : c->map[j] >= 0 ? c->data.s + c->off[c->map[j]] : NULL;
        if (c->lay && layout_is_scale(c->lay, j)) t = scale_text(c, &r);
        long ln = c->lay && layout_cell_line(c->lay, j) ? layout_cell_line(c->lay, j) : line;
        if (t) {
            int had = *t != '\0';
            if (!c->plain || c->lay)     /* a plain line's fields are normal (split_plain) */
                text_normalize(t, (col->flags & COL_KEY) ? TEXT_ONE_LINE : TEXT_KEEP_LINES);
            if (had && !*t) c->st->blank_cells++;
        }
        char why[256];
        if (!t || !*t) {
            if (col->deflt) {
                cell->present = 1;
                cell->s = col->deflt;
            } else if (col->flags & COL_REQUIRED)
                err(c, ln, fcol, _("%s: the cell is empty; expected %s"), col_ref(c, j),
                    load_expected(col, why, sizeof why));
            continue;
        }
        /* numbers are rewritten in place ("1 234,5" → "1234.5"): quote them as given */
        char raw[80];
        int numeric = (col->type == COL_INT || col->type == COL_REAL) && number_rewritten(t);
        if (numeric) cut_utf8(t, 60, raw, sizeof raw);
        if (load_parse_cell(col, t, cell, why, sizeof why) != 0) {
            err(c, ln, fcol, _("%s: found «%s»; expected %s"), col_ref(c, j),
                numeric ? raw : cut(c, t), why);
            continue;
        }
        if (c->lay && layout_is_login(c->lay, j) && login_school(c, j, cell, line, fcol) != 0) {
            cell->present = 0;
            continue;
        }
        if ((col->flags & COL_PSEUDONYM) && !c->opts->allow_names && text_looks_like_name(cell->s)) {
            if (!c->names) {
                c->name_col = fcol;
                c->name_j = (int)j;
            }
            rows_add(c->name_rows, &c->names, line);     /* gathered: said once, at the end */
            c->pending++;
        }
        if ((col->flags & COL_CONFUSABLE) && check_lookalike(c, j, cell->s, line, fcol) != 0) {
            cell->present = 0;
            continue;
        }
        /* a school the registry lacks is gathered too; the row's other checks go on */
        if (col->flags & COL_SCHOOL) school_known(c, j, cell->s, line, fcol);
        if (col->type == COL_YEAR) check_future(c, j, cell->i, line, fcol);
    }
    if (c->d->total != errs) return;

    check_cross(c, &r, line);
    if (c->d->total != errs) return;
    if (c->ntasks && read_tasks(c, &r, line) != 0) return;
    r.where = c->path;
    r.col = c->pcol;

    /* the key's fingerprint, for duplicates inside the file; rows come grouped (a
     * work's pupils one after another), so the state after the leading key columns is
     * taken from the row before while they hold the same values */
    uint64_t h1 = FNV_OFFSET, h2 = 0x9E3779B97F4A7C15ULL;
    size_t i = 0;
    for (; i < c->nkc; i++) {
        const struct load_cell *k = &r.cells[c->key_cols[i]];
        int num = f->cols[c->key_cols[i]].type == COL_YEAR || f->cols[c->key_cols[i]].type == COL_INT;
        if (num ? k->i != c->kc[i].i : strcmp(k->present ? k->s : "", c->kc[i].s) != 0) break;
        h1 = c->kc[i].h1;
        h2 = c->kc[i].h2;
    }
    int same_run = c->nkey && i == c->nkey - 1;    /* the leading key values of the row before */
    c->nkc = i;
    for (; i < c->nkey; i++) {
        const struct load_cell *k = &r.cells[c->key_cols[i]];
        const char *s = k->present ? k->s : "";
        size_t n = strlen(s);
        int num = f->cols[c->key_cols[i]].type == COL_YEAR || f->cols[c->key_cols[i]].type == COL_INT;
        if (num) {
            h1 = fnv1a(h1, &k->i, sizeof k->i);
            h2 = (h2 ^ (uint64_t)k->i) * 0xBF58476D1CE4E5B9ULL;
        } else {
            for (size_t q = 0; q <= n; q++) {      /* fnv1a(h1, s, n + 1), and h2 */
                h1 = (h1 ^ (unsigned char)s[q]) * 1099511628211ULL;
                h2 = (h2 ^ (unsigned char)s[q]) * 0x94D049BB133111EBULL;
            }
        }
        if (i + 1 < c->nkey) {        /* remembered for the next row, the last column not */
            struct key_state *e = &c->kc[i];
            e->i = k->i;
            if (!num) {
                if (n + 1 > e->cap) {
                    e->cap = n + 1 > 32 ? n + 1 : 32;
                    free(e->s);
                    e->s = xmalloc(e->cap);
                }
                memcpy(e->s, s, n + 1);
            }
            e->h1 = h1;
            e->h2 = h2;
            c->nkc = i + 1;
        }
    }
    h2 ^= h2 >> 31;
    if (c->lay && layout_aggregates(c->lay)) {    /* counted, not stored row by row */
        if (c->pending == pending) aggregate(c, &r, line);
        return;
    }
    if (c->lay && layout_keep_first(c->lay)) {
        if (!firstset_add(&c->first, h1, h2)) {
            c->st->dropped++;
            return;
        }
    } else if (keyset_add(&c->keys, h1, (uint32_t)h2, line) != 0) {
        err(c, line, 0, _("cannot write the temporary file for duplicate detection"));
        c->state = ST_STOP;
        return;
    } else if (c->runs.on) {
        int lead = c->nkey >= 2;
        runs_add(&c->runs, same_run, lead ? c->kc[c->nkey - 2].h1 : 0,
                 lead ? c->kc[c->nkey - 2].h2 : 0, h1, (uint32_t)h2, line);
        if (!c->runs.on) c->keys.lazy = 0;     /* the keyset decides: sort as it goes */
    }
    if (c->pending != pending) return;     /* an unknown school or a name: not stored */

    if (f->kind == FORM_STUDENTS && strcmp(f->name, "ege_students") == 0)
        add_ege_participant(c, &r);      /* no participant's row is ever stored */
    else if (f->kind == FORM_STUDENTS) {
        add_student(c, &r);
        if (c->opts->keep_students) to_sink(c, &r);
    } else
        to_sink(c, &r);
}

/* A row above the header that reads as a title: none of its cells names a column of
 * the form or of the layout, and (without a layout, whose header is known by its
 * columns) at most three are filled, a merged range's copies not counted. A layout's
 * export may have rows of figures above the header (the level of each task). */
static int title_like(struct ctx *c)
{
    size_t nfilled = 0;
    for (size_t i = 0; i < c->nf; i++)
        if (!is_blank(field(c, i)) && !(i < c->cap_copy && c->copy[i])) nfilled++;
    if (nfilled > 3 && !c->lay) return 0;
    for (size_t i = 0; i < c->nf; i++) {
        const char *t = field(c, i);
        if (is_blank(t)) continue;
        if (c->lay ? layout_header_cell(c->lay, t) : form_col_match(c->form, t) >= 0) return 0;
    }
    return 1;
}

static void stash_row(struct ctx *c, struct title_row *t)
{
    t->line = c->rec_line;
    t->n = c->nf;
    size_t len = c->nf ? c->off[c->nf - 1] + strlen(field(c, c->nf - 1)) + 1 : 0;
    t->text = xmalloc(len + 1);
    memcpy(t->text, c->data.s ? c->data.s : "", len);
}

static void keep_title(struct ctx *c) { stash_row(c, &c->titles[c->ntitles++]); }

#define JOIN_MAX 4096         /* columns of a header over several rows */

static void free_parts(struct ctx *c)
{
    for (size_t i = 0; i < c->nparts; i++) {
        free(c->htop[i]);
        free(c->hbot[i]);
    }
    free(c->htop);
    free(c->hbot);
    c->htop = c->hbot = NULL;
    c->nparts = 0;
}


/* A layout's header over several rows becomes one name per column: the texts of the
 * column from the top down, repeats left out, joined by spaces («Распределение отметок
 * в %» over «2» gives «Распределение отметок в % 2»). A sheet gives a merged range's
 * text to each of its cells; a CSV file has it in the first cell only, so there an
 * empty cell of an upper row takes its left neighbour's text while both have texts
 * below and the neighbour's differs from the one below it (a group, not a column
 * whose name spans the rows). */
static void join_header(struct ctx *c)
{
    size_t nr = c->nhrows, width = 0;
    const char **cell[3];
    size_t nc[3];
    for (size_t k = 0; k < nr; k++) {
        cell[k] = xcalloc(JOIN_MAX, sizeof *cell[k]);
        nc[k] = row_cells(&c->hrows[k], cell[k], JOIN_MAX);
        if (nc[k] > width) width = nc[k];
    }
    const char *low0 = "";
    for (size_t k = 0; k + 1 < nr && !c->sheet; k++)
        for (size_t i = 1; i < width; i++) {
            const char *low = i < nc[nr - 1] ? cell[nr - 1][i] : "";
            low0 = cell[nr - 1][i - 1];
            if (!filled(i < nc[k] ? cell[k][i] : "") && filled(low) && filled(cell[k][i - 1]) &&
                filled(low0) && strcmp(cell[k][i - 1], low0) != 0) {
                if (i >= nc[k]) nc[k] = i + 1;
                cell[k][i] = cell[k][i - 1];
            }
        }
    struct sbuf names = SBUF_INIT;
    size_t *at = xmalloc((width ? width : 1) * sizeof *at);
    free_parts(c);
    c->htop = xcalloc(width ? width : 1, sizeof *c->htop);
    c->hbot = xcalloc(width ? width : 1, sizeof *c->hbot);
    c->nparts = width;
    for (size_t i = 0; i < width; i++) {
        const char *top = "", *bot = "";
        for (size_t k = 0; k < nr; k++) {
            const char *t = i < nc[k] ? cell[k][i] : "";
            if (!filled(t)) continue;
            if (!*top) top = t;
            bot = t;
        }
        c->htop[i] = str_trim(xstrdup(top));
        c->hbot[i] = str_trim(xstrdup(bot));
        text_normalize(c->htop[i], TEXT_ONE_LINE);
        text_normalize(c->hbot[i], TEXT_ONE_LINE);
    }
    for (size_t i = 0; i < width; i++) {
        at[i] = names.len;
        const char *prev = NULL;
        int any = 0;
        for (size_t k = 0; k < nr; k++) {
            const char *t = i < nc[k] ? cell[k][i] : "";
            if (!filled(t) || (prev && strcmp(prev, t) == 0)) continue;
            char *tr = str_trim(xstrdup(t));
            sbuf_printf(&names, "%s%s", any ? " " : "", tr);
            free(tr);
            prev = t;
            any = 1;
        }
        sbuf_addc(&names, '\0');
    }
    c->nf = 0;
    sbuf_reset(&c->data);
    for (size_t i = 0; i < width; i++) on_field(names.s + at[i], strlen(names.s + at[i]), c);
    c->rec_line = c->hrows[0].line;
    free(at);
    sbuf_free(&names);
    for (size_t k = 0; k < nr; k++) {
        free(cell[k]);
        free(c->hrows[k].text);
    }
    c->nhrows = 0;
}

/* A non-empty row where the header may be: a title above it, its first row, or (for
 * a header over several rows) its next one. */
static void header_step(struct ctx *c)
{
    if (c->state == ST_HEADER_MORE) {
        stash_row(c, &c->hrows[c->nhrows++]);
        if ((long)c->nhrows == layout_header_rows(c->lay)) {
            join_header(c);
            check_header(c);
        }
    } else if (c->lay && layout_header_rows(c->lay) > 1) {
        stash_row(c, &c->hrows[0]);
        c->nhrows = 1;
        c->state = ST_HEADER_MORE;
    } else
        check_header(c);
}

static void header_or_row(struct ctx *c)
{
    if (c->state == ST_HEADER || c->state == ST_HEADER_MORE) header_step(c);
    else if (c->state == ST_ROWS) check_row(c);
}

/* No header came after the rows kept as titles: they are read again, the first as the
 * header and the others as its rows, as a file without titles is read. The current
 * record is kept aside meanwhile. */
static void replay_titles(struct ctx *c)
{
    struct sbuf data = c->data;
    size_t *off = c->off, nf = c->nf, capf = c->capf;
    long line = c->rec_line;
    c->data = (struct sbuf)SBUF_INIT;
    c->off = NULL;
    c->capf = 0;
    struct title_row rows[LOAD_MAX_TITLES];       /* no longer titles: rows to read again */
    size_t nrows = c->ntitles;
    memcpy(rows, c->titles, nrows * sizeof *rows);
    c->ntitles = 0;
    for (size_t k = 0; k < nrows; k++) {
        struct title_row *t = &rows[k];
        c->nf = 0;
        sbuf_reset(&c->data);
        const char *q = t->text;
        for (size_t i = 0; i < t->n; i++) {
            size_t n = strlen(q);
            on_field((void *)q, n, c);
            q += n + 1;
        }
        c->rec_line = t->line;
        header_or_row(c);
        free(t->text);
    }
    sbuf_free(&c->data);
    free(c->off);
    c->data = data;
    c->off = off;
    c->nf = nf;
    c->capf = capf;
    c->rec_line = line;
}

static void on_record(int term, void *vc)
{
    (void)term;
    struct ctx *c = vc;
    if (c->state == ST_HEADER) {
        int empty = 1;      /* empty rows above the header (Excel's) are skipped too */
        for (size_t i = 0; i < c->nf && empty; i++) empty = is_blank(field(c, i));
        if (empty)
            c->st->empty_rows++;
        else if (title_like(c)) {
            if (c->ntitles == LOAD_MAX_TITLES) {
                replay_titles(c);
                header_or_row(c);
            } else
                keep_title(c);
        } else
            header_step(c);
    } else if (c->state == ST_HEADER_MORE) {
        int empty = 1;
        for (size_t i = 0; i < c->nf && empty; i++) empty = is_blank(field(c, i));
        if (empty) c->st->empty_rows++;
        else header_step(c);
    } else if (c->state == ST_ROWS)
        check_row(c);
    c->nf = 0;
    sbuf_reset(&c->data);
}

/* ============================================================ the byte pass */

/* A whole physical line (without its line end) that holds no quote, where no record
 * is open: split as libcsv splits it (libcsv.c, csv_parse), without its state machine
 * byte by byte: fields end at the delimiter; spaces and tabs (the delimiter excepted)
 * before and after an unquoted field's text are dropped; a line of such spaces alone
 * (or an empty one) is no record. Among the rows, the line is copied once and its
 * fields cut in place (the header and the rows above it keep one field after another,
 * as stash_row reads them); and a line without a byte text_normalize would change
 * (TAB, VT, FF, the lead bytes C2 CC CD E1 E2 E3 EF) and without two spaces in a row
 * is marked plain: its fields, cut of spaces around them, are normal already. */
static void split_plain(struct ctx *c, const char *p, size_t n, int term)
{
    const unsigned char delim = c->csv.delim_char;
#define PLAIN_SPACE(ch) (((ch) == ' ' || (ch) == '\t') && (unsigned char)(ch) != delim)
    size_t i = 0;
    while (i < n && PLAIN_SPACE(p[i])) i++;
    if (i == n) return;
    if (c->state != ST_ROWS) {
        for (;;) {
            size_t start = i, end = i;
            while (end < n && (unsigned char)p[end] != delim) end++;
            size_t e = end;
            while (e > start && PLAIN_SPACE(p[e - 1])) e--;
            on_field((void *)(p + start), e - start, c);
            if (end == n) break;
            i = end + 1;
            while (i < n && PLAIN_SPACE(p[i])) i++;
            if (i == n) {             /* a delimiter, then the line end: an empty field */
                on_field((void *)"", 0, c);
                break;
            }
        }
        on_record(term, c);
        return;
    }
    if (n + 2 + 16 > c->data.cap) {   /* 16: the vector loop reads zeros past the end */
        size_t cap = c->data.cap ? c->data.cap : 64;
        while (cap < n + 2 + 16) cap *= 2;
        c->data.s = xrealloc(c->data.s, cap);
        c->data.cap = cap;
    }
    char *q = c->data.s;
    memcpy(q, p, n);
    memset(q + n, 0, 2 + 16);
    c->data.len = n + 1;
    c->rec_line = c->rec_line_next;
    int plain = 1;
    if (c->nf + n + 2 > c->capf) {    /* a field per delimiter at most, and one */
        while (c->capf < c->nf + n + 2) c->capf = c->capf ? 2 * c->capf : 32;
        c->off = xrealloc(c->off, c->capf * sizeof *c->off);
    }
    /* the delimiters' places, and whether the line is plain */
#if defined(__SSE2__) && !defined(SOKO_NO_SIMD)
    /* sixteen bytes at a time: a byte below 0x20 (TAB, VT, FF; the tab delimiter
     * excepted), a lead byte C0..FF other than D0 D1 (Cyrillic), or two spaces in a
     * row make the line not plain (more than text_normalize looks at: it only errs
     * on the safe side) */
    size_t *fe = c->off + c->nf;      /* the delimiters' places, then the fields' starts */
    size_t nd = 0;
    {
        const __m128i vd = _mm_set1_epi8((char)delim), vsp = _mm_set1_epi8(' ');
        const __m128i vtab = _mm_set1_epi8('\t'), ve0 = _mm_set1_epi8((char)0xE0);
        const __m128i vc0 = _mm_set1_epi8((char)0xC0), vfe = _mm_set1_epi8((char)0xFE);
        const __m128i vd0 = _mm_set1_epi8((char)0xD0), zero = _mm_setzero_si128();
        unsigned bad = 0;
        for (size_t k = 0; k < n; k += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(q + k));
            __m128i x1 = _mm_loadu_si128((const __m128i *)(q + k + 1));
            __m128i low = _mm_cmpeq_epi8(_mm_and_si128(x, ve0), zero);
            if (delim == '\t') low = _mm_andnot_si128(_mm_cmpeq_epi8(x, vtab), low);
            __m128i lead = _mm_andnot_si128(_mm_cmpeq_epi8(_mm_and_si128(x, vfe), vd0),
                                            _mm_cmpeq_epi8(_mm_and_si128(x, vc0), vc0));
            __m128i sp2 = _mm_and_si128(_mm_cmpeq_epi8(x, vsp), _mm_cmpeq_epi8(x1, vsp));
            unsigned valid = n - k >= 16 ? 0xFFFFu : (1u << (n - k)) - 1;
            bad |= (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(low, lead), sp2)) & valid;
            unsigned dm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vd)) & valid;
            while (dm) {
                fe[nd++] = k + (size_t)__builtin_ctz(dm);
                dm &= dm - 1;
            }
        }
        plain = !bad;
    }
#else
    static const unsigned char special[256] = {
        ['\t'] = 2, [0x0B] = 1, [0x0C] = 1, [0xC2] = 1, [0xCC] = 1, [0xCD] = 1, [0xE1] = 1,
        [0xE2] = 1, [0xE3] = 1, [0xEF] = 1};
    size_t *fe = c->off + c->nf;
    size_t nd = 0;
    {
        unsigned char acc = 0;
        int spaces2 = 0;
        for (size_t k = 0; k < n; k++) {
            acc |= special[(unsigned char)q[k]];
            spaces2 |= q[k] == ' ' && q[k + 1] == ' ';
            if ((unsigned char)q[k] == delim) fe[nd++] = k;
        }
        plain = !(acc & 1) && (!(acc & 2) || delim == '\t') && !spaces2;
    }
#endif
    /* the fields between them, spaces around cut (the first field's leading ones are
     * skipped already: i), each NUL-terminated in place; slot f of fe, the place of
     * delimiter f, becomes the start of field f once read */
    size_t prevd = 0;
    for (size_t f = 0; f <= nd; f++) {
        size_t end = f < nd ? fe[f] : n;
        size_t start = i;
        if (f > 0) {
            start = prevd + 1;
            while (start < end && PLAIN_SPACE(q[start])) start++;
        }
        size_t e = end;
        while (e > start && PLAIN_SPACE(q[e - 1])) e--;
        q[e] = '\0';
        prevd = end;
        fe[f] = start;
    }
    c->nf += nd + 1;
#undef PLAIN_SPACE
    c->plain = plain;
    on_record(term, c);
    c->plain = 0;
}

/* Feeds converted text to libcsv one physical line at a time (LF, CRLF or CR); a whole
 * line without a quote outside a record is split by split_plain instead. */
static int feed(struct ctx *c, const char *p, size_t n)
{
    while (n > 0 && c->state != ST_STOP) {
        const char *nl = memchr(p, '\n', n);
        size_t k = nl ? (size_t)(nl - p) : n;
        const char *cr = memchr(p, '\r', k);
        if (cr) k = (size_t)(cr - p);
        int eol = k < n;
        if (eol) k++;
        if (c->csv.pstate == 0) {     /* ROW_NOT_BEGUN: a record may start on this line */
            c->rec_line_next = c->line;
            c->rec_bytes = 0;
        }
        if (eol && c->csv.pstate == 0 && !memchr(p, c->csv.quote_char, k - 1))
            split_plain(c, p, k - 1, (unsigned char)p[k - 1]);
        else if (csv_parse(&c->csv, p, k, on_field, on_record, c) != k) {
            if (csv_error(&c->csv) == CSV_EPARSE)
                err(c, c->line, 0, _("malformed quoting in the record starting at line %ld; expected "
                                   "fields either plain or wholly in double quotes, with "
                                   "quotes inside doubled (\"\")"), c->rec_line_next);
            else
                err(c, c->line, 0, _("CSV parser: %s"), csv_strerror(csv_error(&c->csv)));
            c->state = ST_STOP;
            return -1;
        }
        c->rec_bytes += k;
        if (c->csv.pstate != 0 && c->rec_bytes > c->opts->max_record) {
            err(c, c->rec_line_next, 0, _("the record starting here is longer than %zu bytes; "
                "expected short records (is a quote left open?)"), c->opts->max_record);
            c->state = ST_STOP;
            return -1;
        }
        if (eol) {
            char e = p[k - 1];
            if (!(e == '\n' && c->prev_cr)) c->line++;
            c->prev_cr = (e == '\r');
        } else if (k > 0)
            c->prev_cr = 0;
        p += k;
        n -= k;
    }
    return c->state == ST_STOP ? -1 : 0;
}

static long line_at(struct ctx *c, const unsigned char *p, size_t upto)
{
    long l = c->line;
    for (size_t i = 0; i < upto; i++)
        if (p[i] == '\n') l++;
    return l;
}

char load_detect_delim(const char *line, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    int q = 0;
    for (size_t i = 0; i < n && line[i] != '\n' && line[i] != '\r'; i++) {
        if (line[i] == '"') q = !q;
        else if (!q && line[i] == ',') comma++;
        else if (!q && line[i] == ';') semi++;
        else if (!q && line[i] == '\t') tab++;
    }
    if (semi > comma && semi >= tab) return ';';
    if (tab > comma && tab > semi) return '\t';
    return ',';
}

/* The decimal digits of v (as "%lld" writes them), without printf: a histogram is a
 * few dozen numbers a work. */
static void add_num(struct sbuf *b, long long v)
{
    char t[24], *q = t + sizeof t;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do *--q = (char)('0' + u % 10); while (u /= 10);
    if (v < 0) *--q = '-';
    sbuf_add(b, q, (size_t)(t + sizeof t - q));
}

/* Calls fn(c, w, arg) for every work of the file in the order of their first rows: the
 * parked ones read back one at a time (unless parked is 0), then the map's; stops
 * when the reading is stopped. -1 when the temporary file cannot be read back (the
 * error said). */
static int works_each(struct ctx *c, void (*fn)(struct ctx *, struct work *, void *), void *arg,
                      int parked)
{
    struct workpark *p = &c->park;
    size_t n = parked ? p->n : 0;
    int bad = n && fseek(p->f, 0, SEEK_SET) != 0;
    for (size_t i = 0; i < n && !bad && c->state != ST_STOP; i++) {
        struct work *w = park_read(p->f);
        if (!(bad = !w)) fn(c, w, arg);
        work_free(w);
    }
    if (bad) {
        err(c, 0, 0, "%s", _("cannot read back the temporary file of the works"));
        c->state = ST_STOP;
        return -1;
    }
    for (size_t i = 0; i < c->works.n && c->state != ST_STOP; i++) fn(c, c->works.order[i], arg);
    return 0;
}

/* A work's marks without a scale (an error) and against it (a note). */
static void work_scale_messages(struct ctx *c, struct work *w, void *arg)
{
    (void)arg;
    struct sbuf rows = SBUF_INIT;
    if (w->nomark) {
        rows_text(&rows, w->nomark_rows, w->nomark);
        err(c, w->nomark_rows[0], c->pcol[c->sx[5]],
            _("%s: no mark, and no conversion scale of the work (%lld, grade %lld, %s) in "
              "the store (rows %s); expected the marks, or the scale imported first with "
              "form vpr_scales"), col_ref(c, (size_t)c->sx[5]), w->year, w->grade,
            cut(c, w->subject), rows.s);
    }
    if (w->offscale) {
        sbuf_reset(&rows);
        rows_text(&rows, w->offscale_rows, w->offscale);
        note(c, w->offscale_rows[0], c->pcol[c->sx[5]],
             P_("%s: %ld mark differs from the conversion scale of the work (%lld, grade "
                "%lld, %s: «3» from %d, «4» from %d, «5» from %d of %d) (row %s); the marks "
                "were imported as given: please check them",
                "%s: %ld marks differ from the conversion scale of the work (%lld, grade "
                "%lld, %s: «3» from %d, «4» from %d, «5» from %d of %d) (rows %s); the marks "
                "were imported as given: please check them", w->offscale),
             col_ref(c, (size_t)c->sx[5]), w->offscale, w->year, w->grade,
             cut(c, w->subject), w->scale[1], w->scale[2], w->scale[3], w->scale[0], rows.s);
    }
    sbuf_free(&rows);
}

struct work_bufs { struct sbuf scores, mins, journal; };

/* A work's vpr row and vpr_dist row (and task rows), after the check that its marks
 * rise with the score. */
static void work_rows(struct ctx *c, struct work *w, void *arg)
{
    const struct form *vpr = form_find("vpr"), *dist = form_find("vpr_dist");
    struct work_bufs *wb = arg;
    struct sbuf *scores = &wb->scores, *mins = &wb->mins, *journal = &wb->journal;
    char num[10][32];
    /* marks must rise with the score within a work */
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            if (w->max_score[a] >= 0 && w->min_score[b] >= 0 && w->max_score[a] > w->min_score[b])
                err(c, w->max_line[a], c->pcol[c->sx[5]],
                    _("%s: the primary score %d has the mark %d in this row, but the score %d "
                      "has the mark %d in row %ld (%lld, school %s, grade %lld, %s); expected "
                      "the marks to rise with %s"),
                    col_ref(c, (size_t)c->sx[5]), w->max_score[a], a + 2, w->min_score[b],
                    b + 2, w->min_line[b], w->year, cut(c, w->school), w->grade,
                    cut(c, w->subject), head_q(c, (size_t)c->sx[4]));
    if (c->d->total != c->errs0) return;

    struct load_row r;
    memset(&r, 0, sizeof r);
    r.form = vpr;
    r.line = w->line;
    r.from_students = 1;
#define SET_I(name, v) do { int j_ = form_col_index(vpr, name); r.cells[j_].present = 1; \
    r.cells[j_].i = (v); r.cells[j_].r = (double)(v); } while (0)
    SET_I("year", w->year);
    SET_I("grade", w->grade);
    r.cells[form_col_index(vpr, "school_id")] = (struct load_cell){1, 0, 0, w->school};
    r.cells[form_col_index(vpr, "subject")] = (struct load_cell){1, 0, 0, w->subject};
    SET_I("participants", w->n);
    SET_I("m2", w->m[0]);
    SET_I("m3", w->m[1]);
    SET_I("m4", w->m[2]);
    SET_I("m5", w->m[3]);
    int jm = form_col_index(vpr, "mean_score");
    r.cells[jm].present = 1;
    r.cells[jm].r = (double)w->sum_score / (double)w->n;
    if (w->n_journal == w->n) {
        long low = 0, same = 0, up = 0;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                *(a < b ? &low : a == b ? &same : &up) += w->journal[a][b];
        SET_I("lowered", low);
        SET_I("confirmed", same);
        SET_I("raised", up);
    } else if (w->n_journal > 0)
        note(c, w->line, c->pcol[c->sx[6]],
             _("%s: given for %ld of the %ld pupils of the work (%lld, school %s, grade %lld, "
               "%s); the comparison with journal marks is left empty for this work"),
             col_ref(c, (size_t)c->sx[6]), w->n_journal, w->n, w->year, cut(c, w->school),
             w->grade, cut(c, w->subject));
    for (int k = 0; k < 10; k++) r.cells[k].s = r.cells[k].s ? r.cells[k].s : num[k];
    for (size_t k = 0; k < vpr->ncols && k < 10; k++)
        if (vpr->cols[k].type != COL_TEXT) snprintf(num[k], sizeof num[k], "%lld", r.cells[k].i);
    to_sink(c, &r);

    sbuf_reset(scores);
    sbuf_reset(mins);
    sbuf_reset(journal);
    sbuf_addc(scores, '[');
    for (size_t s = 0; s < w->hist_len; s++) {
        if (s) sbuf_addc(scores, ',');
        add_num(scores, w->hist[s]);
    }
    sbuf_addc(scores, ']');
    sbuf_addc(mins, '{');
    for (int k = 0, first = 1; k < 4; k++)
        if (w->min_score[k] >= 0) {
            sbuf_adds(mins, first ? "\"" : ",\"");
            add_num(mins, k + 2);
            sbuf_adds(mins, "\":");
            add_num(mins, w->min_score[k]);
            first = 0;
        }
    sbuf_addc(mins, '}');
    sbuf_addc(journal, '[');
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            sbuf_adds(journal, b ? "," : a ? ",[" : "[");
            add_num(journal, w->journal[a][b]);
            if (b == 3) sbuf_addc(journal, ']');
        }
    sbuf_addc(journal, ']');

    memset(&r, 0, sizeof r);
    r.form = dist;
    r.line = w->line;
    r.from_students = 1;
    r.cells[form_col_index(dist, "year")] = (struct load_cell){1, w->year, (double)w->year, ""};
    r.cells[form_col_index(dist, "school_id")] = (struct load_cell){1, 0, 0, w->school};
    r.cells[form_col_index(dist, "grade")] = (struct load_cell){1, w->grade, (double)w->grade, ""};
    r.cells[form_col_index(dist, "subject")] = (struct load_cell){1, 0, 0, w->subject};
    r.cells[form_col_index(dist, "n")] = (struct load_cell){1, w->n, (double)w->n, ""};
    r.cells[form_col_index(dist, "scores")] = (struct load_cell){1, 0, 0, scores->s};
    r.cells[form_col_index(dist, "mark_min")] = (struct load_cell){1, 0, 0, mins->s};
    r.cells[form_col_index(dist, "journal")] =
        (struct load_cell){w->n_journal > 0, 0, 0, journal->s};
    to_sink(c, &r);
    c->st->works++;
    for (size_t k = 0; k < c->ntasks && w->task_points && c->sink && c->sink->task; k++) {
        if (c->d->total != c->errs0 || c->pending || c->sink_failed) break;
        int max, fld;
        struct load_task t = {w->year, w->grade, w->school, w->subject,
                              layout_task(c->lay, k, &max, &fld), 0, w->n,
                              w->task_points[k], w->line};
        t.max_score = max;
        if (c->sink->task(c->sink->ctx, &t, c->d) != SOKO_OK) c->sink_failed = 1;
        else c->st->task_rows++;
    }
#undef SET_I
}

/* Emits the aggregated works of a student file: a vpr row and a vpr_dist row each,
 * after every work's scale messages. */
static void emit_works(struct ctx *c)
{
    struct work_bufs wb = {SBUF_INIT, SBUF_INIT, SBUF_INIT};
    if (works_each(c, work_scale_messages, NULL, c->park.noted > 0) == 0)
        works_each(c, work_rows, &wb, 1);
    sbuf_free(&wb.scores);
    sbuf_free(&wb.mins);
    sbuf_free(&wb.journal);
}

/* Emits the aggregated subjects of an ЕГЭ participants' file: one ege row each, with
 * the spread of the test scores (sd, n − 1 in the denominator) when there are two or
 * more participants. */
static void ege_row(struct ctx *c, struct work *w, void *arg)
{
    const struct form *ege = form_find("ege");
    (void)arg;
    if (c->d->total != c->errs0 || !w->n) return;
    struct load_row r;
    memset(&r, 0, sizeof r);
    r.form = ege;
    r.line = w->line;
    r.from_students = 1;
    char num[8][40];
    int k = 0;
#define SET(name, v, isint) do { int j_ = form_col_index(ege, name); r.cells[j_].present = 1; \
    r.cells[j_].r = (v); r.cells[j_].i = (long long)(v); \
    snprintf(num[k], sizeof num[k], isint ? "%.0f" : "%.17g", (double)(v)); \
    r.cells[j_].s = num[k++]; } while (0)
    SET("year", (double)w->year, 1);
    r.cells[form_col_index(ege, "school_id")] = (struct load_cell){1, 0, 0, w->school};
    r.cells[form_col_index(ege, "subject")] = (struct load_cell){1, 0, 0, w->subject};
    double n = (double)w->n, mean = (double)w->sum_score / n;
    SET("participants", n, 1);
    SET("mean_score", mean, 0);
    SET("below_min", (double)w->below, 1);
    SET("high_scorers", (double)w->high, 1);
    SET("score_100", (double)w->s100, 1);
    if (w->n >= 2) {
        double var = (w->sum_sq - n * mean * mean) / (n - 1);
        SET("sd", var > 0 ? sqrt(var) : 0.0, 0);
    }
#undef SET
    to_sink(c, &r);
    c->st->works++;
}

static void emit_ege(struct ctx *c)
{
    works_each(c, ege_row, NULL, 1);
}

/* The delimiter of a file whose header may come after title rows ("Отчёт" alone on
 * the first line): the first of the first 20 lines that holds a candidate decides. */
static char detect_delim(const char *p, size_t n)
{
    const char *q = p, *end = p + n;
    for (int k = 0; k < 20 && q < end; k++) {
        const char *eol = q;
        int quoted = 0, any = 0;
        while (eol < end && (quoted || (*eol != '\n' && *eol != '\r'))) {
            if (*eol == '"') quoted = !quoted;
            else if (!quoted && (*eol == ',' || *eol == ';' || *eol == '\t')) any = 1;
            eol++;
        }
        if (any) return load_detect_delim(q, (size_t)(eol - q));
        while (eol < end && (*eol == '\n' || *eol == '\r')) eol++;
        q = eol;
    }
    return load_detect_delim(p, n);
}

/* ------------------------------------------------------------- the reader
 * The bytes of a CSV file and their SHA-256 are read ahead by a thread of their own
 * (a regular file; a pipe or a terminal is read in turn, as it may never end), into
 * a ring of chunks. Each chunk carries the digest's state after its bytes, so that
 * the digest is that of the chunks the parse took, as when it read them itself. */
#define NSLOT 4
#define SLOT_ROOM 8           /* room in front of a chunk for the cut character before it */

struct slot {
    unsigned char *buf;       /* SLOT_ROOM bytes, then up to CHUNK read */
    size_t got;               /* bytes read; 0 at the end of the file or on an error */
    int ferr, errnum;         /* with got 0: ferror(), and errno then */
    struct sha256 sha;        /* the digest's state after these bytes */
    /* utf8_valid_prefix of the text from the chunk's start less skip (a BOM), with the
     * carry bytes the reader expects in front: ok and inc, for the parse to take when
     * it puts the same carry in front and skips the same (else it asks itself) */
    size_t v_carry, v_skip, v_ok;
    int v_inc;
};

struct reader {
    FILE *in;
    int threaded;
    struct sha256 sha;        /* the reader's own state */
    unsigned char carry[SLOT_ROOM];   /* a cut UTF-8 sequence at the end of the last chunk */
    size_t ncarry;
    int started;              /* a chunk was read (the BOM is looked for in the first) */
    struct slot slot[NSLOT];
    size_t head, tail;        /* chunks read, chunks given back (head - tail full) */
    int quit, ended;
    pthread_mutex_t mu;
    pthread_cond_t full, room;
    pthread_t th;
};

static void reader_fill(struct reader *r, struct slot *sl)
{
    sl->got = fread(sl->buf + SLOT_ROOM, 1, CHUNK, r->in);
    sl->ferr = sl->errnum = 0;
    if (sl->got == 0) {
        sl->ferr = ferror(r->in);
        sl->errnum = errno;
    } else
        sha256_update(&r->sha, sl->buf + SLOT_ROOM, sl->got);
    sl->sha = r->sha;
    if (sl->got == 0) return;
    /* as read_csv sees it as UTF-8: the cut character before, the BOM skipped */
    unsigned char *p = sl->buf + SLOT_ROOM - r->ncarry;
    memcpy(p, r->carry, r->ncarry);
    size_t n = r->ncarry + sl->got;
    sl->v_carry = r->ncarry;
    sl->v_skip = 0;
    if (!r->started && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) sl->v_skip = 3;
    r->started = 1;
    sl->v_ok = utf8_valid_prefix(p + sl->v_skip, n - sl->v_skip, &sl->v_inc);
    r->ncarry = sl->v_inc ? n - sl->v_skip - sl->v_ok : 0;
    memcpy(r->carry, p + sl->v_skip + sl->v_ok, r->ncarry);
}

/* utf8_valid_prefix of the n bytes at p, taken from the reader when it validated the
 * same bytes: p is the chunk's text with carry bytes put in front and skip skipped. */
static size_t slot_valid_prefix(const struct slot *sl, size_t carry, size_t skip,
                                const unsigned char *p, size_t n, int *inc)
{
    if (sl->v_carry == carry && sl->v_skip == skip) {
        *inc = sl->v_inc;
        return sl->v_ok;
    }
    return utf8_valid_prefix(p, n, inc);
}

static void *reader_main(void *v)
{
    struct reader *r = v;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->quit && r->head - r->tail == NSLOT) pthread_cond_wait(&r->room, &r->mu);
        int quit = r->quit;
        struct slot *sl = &r->slot[r->head % NSLOT];
        pthread_mutex_unlock(&r->mu);
        if (quit) break;
        reader_fill(r, sl);
        pthread_mutex_lock(&r->mu);
        r->head++;
        pthread_cond_signal(&r->full);
        pthread_mutex_unlock(&r->mu);
        if (sl->got == 0) break;
    }
    return NULL;
}

static void reader_start(struct reader *r, FILE *in)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    sha256_init(&r->sha);
    (void)sha256_impl();      /* its choice made here, not first in the thread */
    for (int i = 0; i < NSLOT; i++) r->slot[i].buf = xmalloc(SLOT_ROOM + CHUNK + 8);
    struct stat sb;
    r->threaded = fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode);
    if (r->threaded) {
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->full, NULL);
        pthread_cond_init(&r->room, NULL);
        if (pthread_create(&r->th, NULL, reader_main, r) != 0) {
            pthread_mutex_destroy(&r->mu);
            pthread_cond_destroy(&r->full);
            pthread_cond_destroy(&r->room);
            r->threaded = 0;
        }
    }
}

/* The next chunk, in order (its got 0 at the end). */
static struct slot *reader_next(struct reader *r)
{
    struct slot *sl = &r->slot[r->tail % NSLOT];
    if (!r->threaded) {
        reader_fill(r, sl);
        return sl;
    }
    pthread_mutex_lock(&r->mu);
    while (r->head == r->tail) pthread_cond_wait(&r->full, &r->mu);
    pthread_mutex_unlock(&r->mu);
    return sl;
}

/* The chunk reader_next gave is done with. */
static void reader_done(struct reader *r)
{
    if (!r->threaded) return;
    pthread_mutex_lock(&r->mu);
    r->tail++;
    pthread_cond_signal(&r->room);
    pthread_mutex_unlock(&r->mu);
}

static void reader_stop(struct reader *r)
{
    if (r->threaded) {
        pthread_mutex_lock(&r->mu);
        r->quit = 1;
        pthread_cond_signal(&r->room);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->th, NULL);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->full);
        pthread_cond_destroy(&r->room);
    }
    for (int i = 0; i < NSLOT; i++) free(r->slot[i].buf);
}

/* The CSV pass over an open file: bytes → SHA-256, encoding, lines → libcsv → records.
 * Sets *io_error on a read error and *stopped when the progress callback said stop. */
static void read_csv(struct ctx *c, FILE *in, uint64_t size, int *io_error, int *stopped)
{
    struct load_stats *st = c->st;
    struct soko_diag *d = c->d;
    const struct load_sink *sink = c->sink;
    struct sha256 sha;
    sha256_init(&sha);
    struct reader rd;
    reader_start(&rd, in);
    unsigned char cut_char[SLOT_ROOM];   /* a cut UTF-8 sequence, for the next chunk */
    char *conv = NULL;
    size_t carry = 0;                 /* bytes of a cut UTF-8 sequence kept for the next read */
    iconv_t cd = (iconv_t)-1;
    int first = 1;
    uint64_t next_progress = 1u << 20;
    csv_init(&c->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);

    while (c->state != ST_STOP) {
        struct slot *sl = reader_next(&rd);
        size_t got = sl->got;
        if (got == 0) {
            if (sl->ferr) {
                soko_diag_add(d, c->path, 0, 0, _("read error: %s"), strerror(sl->errnum));
                *io_error = 1;
            }
            if (carry) {
                err(c, line_at(c, cut_char, carry), 0,
                    "%s", _("the file ends inside a UTF-8 character; expected UTF-8 or Windows-1251"));
            }
            break;
        }
        sha = sl->sha;
        unsigned char *raw = sl->buf + SLOT_ROOM - carry;
        if (carry) memcpy(raw, cut_char, carry);
        st->bytes += got;
        size_t n = carry + got, carry0 = carry;
        unsigned char *p = raw;
        carry = 0;
        if (first) {
            first = 0;
            if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
                st->bom = 1;
                st->enc = ENC_UTF8;
                p += 3;
                n -= 3;
            }
        }
        unsigned char *nul = memchr(p, '\0', n);
        if (nul) {
            err(c, line_at(c, p, (size_t)(nul - p)), 0,
                "%s", _("NUL byte in the file; expected text (UTF-16, or a spreadsheet of a kind "
                "soko does not read? save it as .xlsx or as CSV)"));
            break;
        }
        if (st->enc == ENC_UNKNOWN) {
            int any8 = 0;
            for (size_t i = 0; i < n && !any8; i++) any8 = p[i] >= 0x80;
            if (any8) {
                int inc;
                size_t ok = slot_valid_prefix(sl, carry0, (size_t)(p - raw), p, n, &inc);
                /* Windows-1251 text is almost never valid UTF-8 from its first letter on:
                 * Cyrillic letters are 0xC0..0xFF, so two in a row already break it. When
                 * well-formed multi-byte characters come before the first bad byte, the
                 * file is UTF-8 with an error, not Windows-1251 to be read as mojibake. */
                size_t multi = 0;
                for (size_t i = 0; i < ok; i++) multi += p[i] >= 0xC0;
                st->enc = (ok == n || inc || multi > 0) ? ENC_UTF8 : ENC_CP1251;
            }
        }
        const char *text = (const char *)p;
        size_t tn = n;
        if (st->enc == ENC_CP1251) {
            if (cd == (iconv_t)-1) cd = iconv_open("UTF-8", "CP1251");
            if (cd == (iconv_t)-1) {
                err(c, 0, 0, _("cannot convert from Windows-1251: %s"), strerror(errno));
                break;
            }
            /* a Windows-1251 byte becomes up to 3 bytes of UTF-8 (№, “, –, €) */
            if (!conv) conv = xmalloc(3 * CHUNK + 16);
            char *ip = (char *)p, *op = conv;
            size_t il = n, ol = 3 * CHUNK + 16;
            if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
                size_t at = (size_t)((unsigned char *)ip - p);
                err(c, line_at(c, p, at), 0,
                    _("byte 0x%02X is neither UTF-8 nor Windows-1251; expected text in one of "
                    "these encodings"), p[at]);
                break;
            }
            text = conv;
            tn = (size_t)(op - conv);
        } else if (st->enc == ENC_UTF8) {
            int inc;
            size_t ok = slot_valid_prefix(sl, carry0, (size_t)(p - raw), p, n, &inc);
            if (ok < n && !inc) {
                err(c, line_at(c, p, ok), 0,
                    _("invalid UTF-8 (byte 0x%02X); expected the whole file in UTF-8 or in "
                    "Windows-1251"), p[ok]);
                break;
            }
            carry = n - ok;
            tn = ok;
        }
        if (c->state == ST_HEADER && c->nf == 0 && c->csv.pstate == 0 && tn > 0 && !st->delim) {
            st->delim = detect_delim(text, tn);
            csv_set_delim(&c->csv, (unsigned char)st->delim);
        }
        if (feed(c, text, tn) != 0) break;
        if (carry) memcpy(cut_char, p + tn, carry);
        reader_done(&rd);
        if (sink && sink->progress && st->bytes >= next_progress) {
            struct load_progress pg = {LOAD_READING, st->bytes, size, st->records, st->rows};
            if ((*stopped = sink->progress(sink->ctx, &pg)) != 0) break;
            next_progress = st->bytes + (1u << 20);
        }
    }
    reader_stop(&rd);
    if (c->state != ST_STOP && !*io_error && !*stopped &&
        csv_fini(&c->csv, on_field, on_record, c) != 0)
        err(c, c->rec_line_next, 0, "%s", _("the file ends inside a quoted field that starts on "
                                    "this line; expected a closing double quote"));
    unsigned char dg[32];
    sha256_final(&sha, dg);
    sha256_hex(dg, st->sha256);
    if (cd != (iconv_t)-1) iconv_close(cd);
    free(conv);
    csv_free(&c->csv);
}

/* ----------------------------------------------------------- workbooks */

#define SCAN_ROWS 30          /* rows of a sheet looked at for its header */

/* How well a row reads as the header: its cells that name a column of the form (or
 * of the layout). */
static size_t header_score(const struct form *f, struct layout *lay, const struct sheet_row *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        const char *t = r->cells[i].text;
        if (!*t || r->cells[i].merge == SHEET_MERGE_COPY) continue;
        n += lay ? layout_header_cell(lay, t) : form_col_match(f, t) >= 0;
    }
    return n;
}

struct scan {
    const struct form *form;
    struct layout *lay;
    long rows;
    size_t best;
};

static int scan_row(void *vs, const struct sheet_row *r, struct soko_diag *d)
{
    (void)d;
    struct scan *s = vs;
    size_t n = header_score(s->form, s->lay, r);
    if (n > s->best) s->best = n;
    return ++s->rows >= SCAN_ROWS ? SHEET_STOP : SOKO_OK;
}

/* The sheet to read: --sheet, or the one whose first rows hold the best header (at
 * least two of the form's columns); a book of one sheet is read whatever it holds. */
static int pick_sheet(struct ctx *c, struct sheet_book *b, size_t *pick, int *by_content)
{
    *by_content = 0;
    if (c->opts->sheet) return sheet_find(b, c->opts->sheet, pick, c->d);
    size_t n = sheet_count(b), best = 0, visible = 0, only = 0;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (sheet_hidden(b, i)) continue;
        visible++;
        only = i;
        struct scan s = {c->form, c->lay, 0, 0};
        struct sheet_read_opts ro = {SCAN_ROWS};
        int rc = sheet_read(b, i, &ro, scan_row, &s, c->d);
        if (rc) return rc;
        if (s.best >= 2 && s.best > best) {
            best = s.best;
            *pick = i;
            found = 1;
        }
    }
    if (found) {
        *by_content = visible > 1;
        return SOKO_OK;
    }
    if (visible == 1) {
        *pick = only;
        return SOKO_OK;
    }
    struct sbuf l = SBUF_INIT;
    for (size_t i = 0; i < n; i++)
        sbuf_printf(&l, "%s%zu «%s»%s", i ? ", " : "", i + 1, sheet_name(b, i),
                    sheet_hidden(b, i) ? _(" (hidden)") : "");
    if (c->lay)
        soko_diag_add(c->d, c->path, 0, 0, _("no sheet has the header of layout %s in its first "
                      "%d rows (the sheets are %s); expected --sheet NAME or NUMBER"),
                      layout_name(c->lay), SCAN_ROWS, l.s);
    else
        soko_diag_add(c->d, c->path, 0, 0, _("no sheet has the header of form %s in its first %d "
                      "rows (the sheets are %s); expected --sheet NAME or NUMBER"), c->form->name,
                      SCAN_ROWS, l.s);
    sbuf_free(&l);
    return SOKO_EINPUT;
}

struct book_read {
    struct ctx *c;
    uint64_t size;
    int stopped;
};

/* A sheet's row → the fields of one record, then on_record as for a CSV line. Rows
 * the sheet leaves out count as the empty rows they are in Excel's CSV. */
static int on_sheet_row(void *vb, const struct sheet_row *r, struct soko_diag *d)
{
    (void)d;
    struct book_read *br = vb;
    struct ctx *c = br->c;
    if (r->row > c->prev_row + 1) c->st->empty_rows += r->row - c->prev_row - 1;
    c->prev_row = r->row;
    c->nf = 0;
    sbuf_reset(&c->data);
    c->rec_line_next = r->row;
    size_t n = r->ncells;
    if (c->state == ST_ROWS && n < c->nheader) n = c->nheader;   /* no trailing cells */
    if (n > c->cap_copy) {
        c->copy = xrealloc(c->copy, n);
        c->cap_copy = n;
    }
    for (size_t i = 0; i < n; i++) {
        const struct sheet_cell *cell = i < r->ncells ? &r->cells[i] : NULL;
        on_field((void *)(cell ? cell->text : ""), cell ? cell->len : 0, c);
        c->copy[i] = cell && cell->merge == SHEET_MERGE_COPY;
    }
    on_record(0, c);
    memset(c->copy, 0, c->cap_copy);
    const struct load_sink *sink = c->sink;
    if (sink && sink->progress && (r->row & 4095) == 0) {
        struct load_progress pg = {LOAD_READING, 0, 0, c->st->records, c->st->rows};
        if ((br->stopped = sink->progress(sink->ctx, &pg)) != 0) return SHEET_STOP;
    }
    return c->state == ST_STOP ? SHEET_STOP : SOKO_OK;
}

/* Before the next sheet of a workbook (a layout's sheets = all): the header and the
 * title rows are the next sheet's own. */
static void reset_sheet(struct ctx *c)
{
    for (size_t i = 0; i < c->nheader; i++) free(c->hdr[i]);
    free(c->hdr);
    c->hdr = NULL;
    c->nheader = c->nwide = c->nkey = 0;
    free(c->nohdr);
    c->nohdr = NULL;
    c->cap_nohdr = 0;
    for (size_t i = 0; i < c->ntitles; i++) free(c->titles[i].text);
    for (size_t i = 0; i < c->nhrows; i++) free(c->hrows[i].text);
    c->ntitles = c->nhrows = 0;
    free_parts(c);
    c->prev_row = 0;
    c->last_work = NULL;
    c->state = ST_HEADER;
}

/* Reads sheet i of b as the file's records, under the name file[Sheet]. */
static int read_one_sheet(struct ctx *c, struct sheet_book *b, size_t i, const char *path,
                          int *io_error, int *stopped)
{
    const char *name = sheet_name(b, i);
    snprintf(c->st->sheet, sizeof c->st->sheet, "%s", name);
    struct sbuf w = SBUF_INIT;
    soko_loc(&w, path, name, 0, 0);
    free(c->where);
    c->where = sbuf_take(&w);
    c->path = c->where;
    c->sheet = 1;
    struct book_read br = {c, c->st->bytes, 0};
    struct sheet_read_opts ro = {SCAN_ROWS};
    int rc = sheet_read(b, i, &ro, on_sheet_row, &br, c->d);
    if (rc == SOKO_EIO) *io_error = 1;
    else if (rc && c->d->total == c->errs0) err(c, 0, 0, "%s", _("cannot read the sheet"));
    *stopped = br.stopped;
    return rc;
}

/* A workbook: the sheet picked (or, for a layout with sheets = all, every sheet whose
 * header matches), then its rows as records. Messages name file[Sheet]. */
static void read_book(struct ctx *c, uint64_t size, int *io_error, int *stopped)
{
    struct sheet_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_row_bytes = c->opts->max_record;
    struct sheet_book *b = c->opts->book, *own = NULL;
    enum sheet_err e;
    const char *path = c->path;
    c->st->bytes = size;
    int rc = b ? SOKO_OK : sheet_open(path, &lim, &own, &e, c->d);
    if (own) b = own;
    /* the digest of the bytes even when they are no workbook: a rejected file is told
     * by its digest like any other (only a file that cannot be read has none) */
    if (rc != SOKO_EIO && !c->opts->header_only) {
        int hrc = sha256_file(path, c->st->sha256, c->d);
        if (!rc) rc = hrc;
    }
    size_t pick = 0;
    int by_content = 0;
    if (!rc) rc = pick_sheet(c, b, &pick, &by_content);
    if (rc) {
        if (rc == SOKO_EIO) *io_error = 1;
        else if (c->d->total == c->errs0) err(c, 0, 0, "%s", _("cannot read the workbook"));
        sheet_close(own);
        return;
    }
    c->st->book = (int)sheet_book_kind(b);
    c->st->sheet_by_content = by_content;
    if (!(c->lay && layout_all_sheets(c->lay) && !c->opts->sheet)) {
        read_one_sheet(c, b, pick, path, io_error, stopped);
        sheet_close(own);
        return;
    }
    /* every visible sheet with the header, in tab order */
    struct sbuf names = SBUF_INIT;
    long nread = 0;
    for (size_t i = 0; i < sheet_count(b) && !*io_error && !*stopped; i++) {
        if (sheet_hidden(b, i)) continue;
        struct scan sc = {c->form, c->lay, 0, 0};
        struct sheet_read_opts ro = {SCAN_ROWS};
        if (sheet_read(b, i, &ro, scan_row, &sc, c->d) != SOKO_OK) break;
        if (sc.best < 2) continue;
        if (nread++) reset_sheet(c);
        sbuf_printf(&names, "%s«%s»", names.len ? ", " : "", sheet_name(b, i));
        if (read_one_sheet(c, b, i, path, io_error, stopped) != SOKO_OK || c->state != ST_ROWS)
            break;
    }
    c->st->sheets = nread;
    snprintf(c->st->sheet, sizeof c->st->sheet, "%s", names.s ? names.s : "");
    sbuf_free(&names);
    sheet_close(own);
}

int load_file(const char *path, const struct form *f, const struct load_opts *o,
              const struct load_sink *sink, struct load_stats *st, struct soko_diag *d)
{
    struct load_opts defaults = {0};
    if (!o) o = &defaults;
    struct load_opts opts = *o;
    if (!opts.max_record) opts.max_record = DEFAULT_MAX_RECORD;
    if (!opts.dedup_mem) opts.dedup_mem = DEFAULT_DEDUP_MEM;
    memset(st, 0, sizeof *st);
    size_t errs0 = d->total;
    if (f->kind == FORM_INTERNAL && !(o && o->layout && form_layout_only(f))) {
        soko_diag_add(d, path, 0, 0, _("form %s is written by soko itself and cannot be imported"),
                      f->name);
        return SOKO_EUSAGE;
    }
    SOKO_ASSERT(f->ncols <= LOAD_MAXCOLS);

    struct stat sb;
    if (stat(path, &sb) != 0) {
        soko_diag_add(d, path, 0, 0, _("cannot open: %s"), strerror(errno));
        return SOKO_EIO;
    }
    if (S_ISDIR(sb.st_mode)) {
        soko_diag_add(d, path, 0, 0, "%s", _("is a directory; expected a CSV file or a workbook"));
        return SOKO_EIO;
    }
    enum sheet_kind kind = SHEET_KIND_NONE;
    if (sheet_sniff(path, &kind, d) != SOKO_OK) return SOKO_EIO;
    FILE *in = NULL;
    if (kind == SHEET_KIND_NONE && !(in = fopen(path, "rb"))) {
        soko_diag_add(d, path, 0, 0, _("cannot open: %s"), strerror(errno));
        return SOKO_EIO;
    }

    struct ctx c;
    memset(&c, 0, sizeof c);
    c.path = path;
    c.file = path;
    c.form = f;
    c.opts = &opts;
    c.sink = sink;
    c.st = st;
    c.d = d;
    c.errs0 = errs0;
    c.line = 1;
    c.rec_line_next = 1;
    c.lay = opts.layout;
    c.now_year = opts.now_year;
    if (!c.now_year) {
        time_t now = time(NULL);
        struct tm tm;
        c.now_year = localtime_r(&now, &tm) ? tm.tm_year + 1900 : 2100;
    }
    if (c.lay && layout_form(c.lay) != f) {
        soko_diag_add(d, path, 0, 0, _("layout %s is for form %s, not %s; expected a layout of "
                      "the form being imported"), layout_name(c.lay), layout_form(c.lay)->name,
                      f->name);
        if (in) fclose(in);
        return SOKO_EUSAGE;
    }
    keyset_init(&c.keys, opts.dedup_mem);
    c.park.on = f->kind == FORM_STUDENTS && !opts.no_park;
    c.runs.on = 1;
    c.keys.lazy = 1;                /* its runs sorted only if it decides after all */

    int io_error = 0, stopped = 0;
    if (in) read_csv(&c, in, (uint64_t)sb.st_size, &io_error, &stopped);
    else read_book(&c, (uint64_t)sb.st_size, &io_error, &stopped);
    uint64_t size = (uint64_t)sb.st_size;
    if (c.state == ST_HEADER && c.ntitles && !io_error && !stopped && d->total == errs0)
        replay_titles(&c);    /* no header after the title-like rows: the first is it */
    if (c.state == ST_HEADER_MORE && !io_error && !stopped && d->total == errs0)
        err(&c, c.hrows[0].line, 0, _("the file ends inside the header, which layout %s says "
            "spans %ld rows; expected its rows, then the data"), layout_name(c.lay),
            layout_header_rows(c.lay));
    if (c.state == ST_HEADER && !io_error && !stopped && d->total == errs0)
        err(&c, 1, 0, _("the file is empty; expected a header line with the columns of form %s"),
            f->name);
    if (!stopped && !io_error && c.state == ST_ROWS && c.lay && layout_blocks(c.lay) &&
        layout_block_pending(c.lay)) {       /* the last block */
        check_mapped(&c, layout_block_line(c.lay));
        layout_block_end(c.lay);
    }
    struct load_progress pg = {LOAD_CHECKING, st->bytes, size, st->records, st->rows};
    if (!stopped && c.state == ST_ROWS && sink && sink->progress)
        stopped = sink->progress(sink->ctx, &pg);
    if (!stopped && c.state == ST_ROWS && c.runs.on)
        runs_finish(&c.runs, on_dup, &c);
    else if (!stopped && c.state == ST_ROWS && keyset_finish(&c.keys, on_dup, &c) != 0)
        err(&c, 0, 0, "%s", _("cannot read back the temporary file of duplicate detection"));
    if (!stopped) report_gathered(&c);
    if (!stopped && c.state == ST_ROWS) report_notes(&c);
    pg.phase = LOAD_SAVING;
    if (!stopped && c.state == ST_ROWS && f->kind == FORM_STUDENTS && sink && sink->progress)
        stopped = sink->progress(sink->ctx, &pg);
    if (!stopped && c.state == ST_ROWS && f->kind == FORM_STUDENTS) {
        if (strcmp(f->name, "ege_students") == 0) emit_ege(&c);
        else emit_works(&c);
    }
    if (!stopped && c.state == ST_ROWS && c.lay && layout_aggregates(c.lay)) emit_aggregates(&c);
    pg.rows = st->rows;
    if (!stopped && sink && sink->progress) stopped = sink->progress(sink->ctx, &pg);

    if (in) fclose(in);
    sbuf_free(&c.data);
    sbuf_free(&c.known);
    free(c.off);
    free(c.school_ok);
    keyset_free(&c.keys);
    runs_free(&c.runs);
    st->works_held = c.park.peak;
    workmap_free(&c.works);
    park_free(&c.park);
    free(c.pfields);
    sbuf_free(&c.pscratch);
    sbuf_free(&c.rscratch);
    free(c.first.a);
    for (size_t i = 0; i < c.nheader; i++) free(c.hdr[i]);
    free(c.hdr);
    free(c.nohdr);
    free(c.copy);
    for (size_t i = 0; i < c.ntitles; i++) free(c.titles[i].text);
    for (size_t i = 0; i < c.nhrows; i++) free(c.hrows[i].text);
    strmap_free(&c.unknown_login);
    free_parts(&c);
    free(c.tpoints);
    strmap_free(&c.agg);      /* the keys of aggs are its own */
    free(c.aggs);
    free(c.where);
    strmap_free(&c.unknown);
    for (size_t j = 0; j < LOAD_MAXCOLS; j++) {
        strmap_free(&c.seen[j]);
        for (size_t k = 0; c.ok[j] && k < OK_SLOTS; k++) free(c.ok[j][k]);
        free(c.ok[j]);
    }
    sbuf_free(&c.sk);
    sbuf_free(&c.fix);
    for (size_t j = 0; j < LOAD_MAXCOLS; j++) free(c.kc[j].s);
    if (stopped) return stopped;
    if (io_error) return SOKO_EIO;
    return d->total != errs0 ? SOKO_EINPUT : SOKO_OK;
}
