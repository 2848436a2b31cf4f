/*
 * load.c — streaming CSV import of the unified forms (contract in load.h).
 *
 * The pass over a file: raw bytes → SHA-256 and NUL check → encoding (UTF-8 checked,
 * or Windows-1251 converted with iconv) → split at line ends so that libcsv is fed one
 * physical line at a time (libcsv keeps no line numbers; this way every record knows
 * the line it starts on) → libcsv fields → header mapping or row check → sink.
 */
#include "load.h"
#include "text.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CHUNK (256 * 1024)
#define DEFAULT_MAX_RECORD (1024 * 1024)
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
    if (k->spill) fclose(k->spill);
    memset(k, 0, sizeof *k);
}

static int keyset_flush(struct keyset *k)
{
    ksort(k->buf, k->n);
    if (!k->spill && !(k->spill = tmpfile())) return -1;
    if (fwrite(k->buf, sizeof *k->buf, k->n, k->spill) != k->n) return -1;
    k->run_len = xrealloc(k->run_len, (k->nruns + 1) * sizeof *k->run_len);
    k->run_len[k->nruns++] = k->n;
    k->n = 0;
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

static struct work *workmap_get(struct workmap *m, long long year, const char *school,
                                long long grade, const char *subj, long line)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        struct work **slots = xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < m->n; i++) {
            struct work *w = m->order[i];
            size_t j = work_hash(w->year, w->school, w->grade, w->subject) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = w;
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
        m->order = xrealloc(m->order, cap * sizeof *m->order);
    }
    size_t j = work_hash(year, school, grade, subj) & (m->cap - 1);
    for (; m->slots[j]; j = (j + 1) & (m->cap - 1)) {
        struct work *w = m->slots[j];
        if (w->year == year && w->grade == grade && strcmp(w->school, school) == 0 &&
            strcmp(w->subject, subj) == 0)
            return w;
    }
    struct work *w = xcalloc(1, sizeof *w);
    w->year = year;
    w->grade = grade;
    w->school = xstrdup(school);
    w->subject = xstrdup(subj);
    w->line = line;
    for (int k = 0; k < 4; k++) w->min_score[k] = w->max_score[k] = -1;
    m->slots[j] = w;
    m->order[m->n++] = w;
    return w;
}

static void workmap_free(struct workmap *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->order[i]->school);
        free(m->order[i]->subject);
        free(m->order[i]->hist);
        free(m->order[i]);
    }
    free(m->slots);
    free(m->order);
    memset(m, 0, sizeof *m);
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

enum { ST_HEADER, ST_ROWS, ST_STOP };

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

    /* header mapping */
    size_t nheader;           /* fields in the header */
    size_t nwide;             /* fields up to the last one with a header text */
    char **hdr;               /* each header field as the file spells it (normalised, cut) */
    unsigned char *nohdr;     /* per field: 1 no header text, 2 reported holding data */
    size_t cap_nohdr;
    int map[LOAD_MAXCOLS];    /* form column → field index, or -1 */
    int key_cols[LOAD_MAXCOLS];
    size_t nkey;

    size_t errs0;             /* errors in d before this file */
    long pending;             /* errors gathered to be reported at the end */
    int sx[7];                /* vpr_students: year, school, grade, subject, score, mark, journal */
    struct work *last_work;   /* student rows come grouped by work: skip the lookup */
    int chk_idx[8][6];        /* form check columns, resolved once */
    struct keyset keys;
    struct workmap works;
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
    char *last_ok[LOAD_MAXCOLS];
    struct sbuf sk, fix;      /* scratch */

    char ring[16][192];       /* texts for messages: col_ref, head_q, cut (a ring) */
    int ringi;

    /* with a layout: the source fields as pointers, the mapped texts, their columns */
    struct layout *lay;
    char **pfields;
    size_t pcap;
    struct sbuf pscratch;
    long pcol[LOAD_MAXCOLS];  /* 1-based source field of each form column (0: constant) */
    struct firstset first;    /* duplicates = first: keys seen */
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
    sbuf_add(&c->data, s ? s : "", s ? len : 0);
    sbuf_addc(&c->data, '\0');
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
        return 0;
    case COL_ENUM: {
        const char *v = form_enum_value(c, text);
        if (!v) break;
        cell->s = v;
        return 0;
    }
    case COL_INT: {
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
    if (c->lay)    /* the layout says where each form column comes from */
        bad = layout_bind_header(c->lay, source_fields(c), c->nf, c->path, c->rec_line,
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
    c->state = bad ? ST_STOP : ST_ROWS;
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

static void add_student(struct ctx *c, const struct load_row *r)
{
    const struct form *f = c->form;
    const struct load_cell *cl = r->cells;
    (void)f;
    int iy = c->sx[0], is = c->sx[1], ig = c->sx[2], isu = c->sx[3];
    int ip = c->sx[4], im = c->sx[5], ij = c->sx[6];
    struct work *w = c->last_work;
    if (!w || w->year != cl[iy].i || w->grade != cl[ig].i || strcmp(w->school, cl[is].s) != 0 ||
        strcmp(w->subject, cl[isu].s) != 0)
        w = c->last_work = workmap_get(&c->works, cl[iy].i, cl[is].s, cl[ig].i, cl[isu].s, r->line);
    int score = (int)cl[ip].i, mk = (int)cl[im].i - 2;
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
        w = c->last_work = workmap_get(&c->works, cl[iy].i, cl[is].s, 0, cl[isu].s, r->line);
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
static int check_lookalike(struct ctx *c, size_t j, const char *v, long line, long fcol)
{
    const struct form_col *col = &c->form->cols[j];
    if (c->last_ok[j] && strcmp(c->last_ok[j], v) == 0) return 0;   /* rows come grouped */
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
    free(c->last_ok[j]);
    c->last_ok[j] = xstrdup(v);
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
            struct sbuf expr = SBUF_INIT;
            for (int i = 0; i < n; i++)
                sbuf_printf(&expr, "%s%s", i == 0 ? "" : i + 1 < n ? " + " :
                            ck->kind == CHECK_SUM_EQ ? " = " : " ≤ ", head_q(c, (size_t)idx[i]));
            long long sum = 0;
            for (int i = 0; i < n - 1; i++) sum += cl[idx[i]].present ? cl[idx[i]].i : 0;
            if (ck->kind == CHECK_SUM_EQ && given > 0 && given < n &&
                !(given == 1 && tot->present)) {
                int e = 0;
                while (cl[idx[e]].present) e++;
                err(c, line, c->pcol[idx[e]], _("%s is empty while the other columns of the sum "
                    "are given; expected all of %s, or none"), col_ref(c, (size_t)idx[e]), expr.s);
            } else if (ck->kind == CHECK_SUM_EQ && given == n && sum != tot->i) {
                char found[256];
                snprintf(found, sizeof found, ck->found ? _(ck->found) :
                         _("the sum is %lld, but the total is %lld"), sum, tot->i);
                err(c, line, tcol, _("%s: %s; expected %s"), col_ref(c, (size_t)idx[n - 1]),
                    found, expr.s);
            } else if (ck->kind == CHECK_SUM_LE && tot->present && sum > tot->i) {
                char found[256];
                snprintf(found, sizeof found, ck->found ? _(ck->found) :
                         _("the sum is %lld, more than the total %lld"), sum, tot->i);
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

static void check_row(struct ctx *c)
{
    const struct form *f = c->form;
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
    struct load_row r;
    memset(&r, 0, sizeof r);
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
        case LAYOUT_SUPPRESSED:
            if (c->st->suppressed < LOAD_NLINES) c->st->suppressed_line[c->st->suppressed] = line;
            c->st->suppressed++;
            return;
        case LAYOUT_ERROR: return;
        }
        if (c->d->total != errs) return;
    }
    for (size_t j = 0; j < f->ncols; j++) {
        const struct form_col *col = &f->cols[j];
        struct load_cell *cell = &r.cells[j];
        long fcol = c->pcol[j];
        /* the mapped texts are ours (the layout's scratch): normalised and parsed in place */
        char *t = c->lay ? (char *)mapped[j] : c->map[j] >= 0 ? c->data.s + c->off[c->map[j]] : NULL;
        if (t) {
            int had = *t != '\0';
            text_normalize(t, (col->flags & COL_KEY) ? TEXT_ONE_LINE : TEXT_KEEP_LINES);
            if (had && !*t) c->st->blank_cells++;
        }
        char why[256];
        if (!t || !*t) {
            if (col->deflt) {
                cell->present = 1;
                cell->s = col->deflt;
            } else if (col->flags & COL_REQUIRED)
                err(c, line, fcol, _("%s: the cell is empty; expected %s"), col_ref(c, j),
                    load_expected(col, why, sizeof why));
            continue;
        }
        /* numbers are rewritten in place ("1 234,5" → "1234.5"): quote them as given */
        char raw[80];
        int numeric = (col->type == COL_INT || col->type == COL_REAL) && strpbrk(t, ", \xC2\xE2");
        if (numeric) cut_utf8(t, 60, raw, sizeof raw);
        if (load_parse_cell(col, t, cell, why, sizeof why) != 0) {
            err(c, line, fcol, _("%s: found «%s»; expected %s"), col_ref(c, j),
                numeric ? raw : cut(c, t), why);
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

    /* the key's fingerprint, for duplicates inside the file */
    uint64_t h1 = FNV_OFFSET, h2 = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < c->nkey; i++) {
        const struct load_cell *k = &r.cells[c->key_cols[i]];
        const char *s = k->present ? k->s : "";
        size_t n = strlen(s);
        if (f->cols[c->key_cols[i]].type == COL_YEAR || f->cols[c->key_cols[i]].type == COL_INT) {
            h1 = fnv1a(h1, &k->i, sizeof k->i);
            h2 = (h2 ^ (uint64_t)k->i) * 0xBF58476D1CE4E5B9ULL;
        } else {
            h1 = fnv1a(h1, s, n + 1);
            for (size_t q = 0; q <= n; q++) h2 = (h2 ^ (unsigned char)s[q]) * 0x94D049BB133111EBULL;
        }
    }
    h2 ^= h2 >> 31;
    if (c->lay && layout_keep_first(c->lay)) {
        if (!firstset_add(&c->first, h1, h2)) {
            c->st->dropped++;
            return;
        }
    } else if (keyset_add(&c->keys, h1, (uint32_t)h2, line) != 0) {
        err(c, line, 0, _("cannot write the temporary file for duplicate detection"));
        c->state = ST_STOP;
        return;
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

static void on_record(int term, void *vc)
{
    (void)term;
    struct ctx *c = vc;
    if (c->state == ST_HEADER) {
        int empty = 1;      /* empty rows above the header (Excel's) are skipped too */
        for (size_t i = 0; i < c->nf && empty; i++) empty = is_blank(field(c, i));
        if (empty) c->st->empty_rows++;
        else check_header(c);
    } else if (c->state == ST_ROWS)
        check_row(c);
    c->nf = 0;
    sbuf_reset(&c->data);
}

/* ============================================================ the byte pass */

/* Feeds converted text to libcsv one physical line at a time (LF, CRLF or CR). */
static int feed(struct ctx *c, const char *p, size_t n)
{
    while (n > 0 && c->state != ST_STOP) {
        size_t k = 0;
        while (k < n && p[k] != '\n' && p[k] != '\r') k++;
        int eol = k < n;
        if (eol) k++;
        if (c->csv.pstate == 0) {     /* ROW_NOT_BEGUN: a record may start on this line */
            c->rec_line_next = c->line;
            c->rec_bytes = 0;
        }
        if (csv_parse(&c->csv, p, k, on_field, on_record, c) != k) {
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

/* Emits the aggregated works of a student file: a vpr row and a vpr_dist row each. */
static void emit_works(struct ctx *c)
{
    const struct form *vpr = form_find("vpr"), *dist = form_find("vpr_dist");
    struct sbuf scores = SBUF_INIT, mins = SBUF_INIT, journal = SBUF_INIT;
    char num[10][32];
    for (size_t i = 0; i < c->works.n && c->state != ST_STOP; i++) {
        struct work *w = c->works.order[i];
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
        if (c->d->total != c->errs0) continue;

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

        sbuf_reset(&scores);
        sbuf_reset(&mins);
        sbuf_reset(&journal);
        sbuf_addc(&scores, '[');
        for (size_t s = 0; s < w->hist_len; s++) sbuf_printf(&scores, "%s%u", s ? "," : "", w->hist[s]);
        sbuf_addc(&scores, ']');
        sbuf_addc(&mins, '{');
        for (int k = 0, first = 1; k < 4; k++)
            if (w->min_score[k] >= 0) {
                sbuf_printf(&mins, "%s\"%d\":%d", first ? "" : ",", k + 2, w->min_score[k]);
                first = 0;
            }
        sbuf_addc(&mins, '}');
        sbuf_addc(&journal, '[');
        for (int a = 0; a < 4; a++)
            sbuf_printf(&journal, "%s[%d,%d,%d,%d]", a ? "," : "", w->journal[a][0],
                        w->journal[a][1], w->journal[a][2], w->journal[a][3]);
        sbuf_addc(&journal, ']');

        memset(&r, 0, sizeof r);
        r.form = dist;
        r.line = w->line;
        r.from_students = 1;
        r.cells[form_col_index(dist, "year")] = (struct load_cell){1, w->year, (double)w->year, ""};
        r.cells[form_col_index(dist, "school_id")] = (struct load_cell){1, 0, 0, w->school};
        r.cells[form_col_index(dist, "grade")] = (struct load_cell){1, w->grade, (double)w->grade, ""};
        r.cells[form_col_index(dist, "subject")] = (struct load_cell){1, 0, 0, w->subject};
        r.cells[form_col_index(dist, "n")] = (struct load_cell){1, w->n, (double)w->n, ""};
        r.cells[form_col_index(dist, "scores")] = (struct load_cell){1, 0, 0, scores.s};
        r.cells[form_col_index(dist, "mark_min")] = (struct load_cell){1, 0, 0, mins.s};
        r.cells[form_col_index(dist, "journal")] =
            (struct load_cell){w->n_journal > 0, 0, 0, journal.s};
        to_sink(c, &r);
        c->st->works++;
    }
#undef SET_I
    sbuf_free(&scores);
    sbuf_free(&mins);
    sbuf_free(&journal);
}

/* Emits the aggregated subjects of an ЕГЭ participants' file: one ege row each, with
 * the spread of the test scores (sd, n − 1 in the denominator) when there are two or
 * more participants. */
static void emit_ege(struct ctx *c)
{
    const struct form *ege = form_find("ege");
    for (size_t i = 0; i < c->works.n && c->state != ST_STOP; i++) {
        struct work *w = c->works.order[i];
        if (c->d->total != c->errs0 || !w->n) continue;
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
    if (f->kind == FORM_INTERNAL) {
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
        soko_diag_add(d, path, 0, 0, "%s", _("is a directory; expected a CSV file"));
        return SOKO_EIO;
    }
    FILE *in = fopen(path, "rb");
    if (!in) {
        soko_diag_add(d, path, 0, 0, _("cannot open: %s"), strerror(errno));
        return SOKO_EIO;
    }

    struct ctx c;
    memset(&c, 0, sizeof c);
    c.path = path;
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
        fclose(in);
        return SOKO_EUSAGE;
    }
    keyset_init(&c.keys, opts.dedup_mem);
    csv_init(&c.csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);

    struct sha256 sha;
    sha256_init(&sha);
    unsigned char *raw = xmalloc(CHUNK + 8);
    char *conv = NULL;
    size_t carry = 0;                 /* bytes of a cut UTF-8 sequence kept for the next read */
    iconv_t cd = (iconv_t)-1;
    int first = 1, io_error = 0;
    uint64_t next_progress = 1u << 20;
    int stopped = 0;                  /* the progress callback asked to stop */

    while (c.state != ST_STOP) {
        size_t got = fread(raw + carry, 1, CHUNK, in);
        if (got == 0) {
            if (ferror(in)) {
                soko_diag_add(d, path, 0, 0, _("read error: %s"), strerror(errno));
                io_error = 1;
            }
            if (carry) {
                err(&c, line_at(&c, raw, carry), 0,
                    "%s", _("the file ends inside a UTF-8 character; expected UTF-8 or Windows-1251"));
            }
            break;
        }
        sha256_update(&sha, raw + carry, got);
        st->bytes += got;
        size_t n = carry + got;
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
            err(&c, line_at(&c, p, (size_t)(nul - p)), 0,
                "%s", _("NUL byte in the file; expected text (is this a spreadsheet saved as .xls/.xlsx "
                "rather than CSV, or UTF-16?)"));
            break;
        }
        if (st->enc == ENC_UNKNOWN) {
            int any8 = 0;
            for (size_t i = 0; i < n && !any8; i++) any8 = p[i] >= 0x80;
            if (any8) {
                int inc;
                size_t ok = utf8_valid_prefix(p, n, &inc);
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
                err(&c, 0, 0, _("cannot convert from Windows-1251: %s"), strerror(errno));
                break;
            }
            /* a Windows-1251 byte becomes up to 3 bytes of UTF-8 (№, “, –, €) */
            if (!conv) conv = xmalloc(3 * CHUNK + 16);
            char *ip = (char *)p, *op = conv;
            size_t il = n, ol = 3 * CHUNK + 16;
            if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
                size_t at = (size_t)((unsigned char *)ip - p);
                err(&c, line_at(&c, p, at), 0,
                    _("byte 0x%02X is neither UTF-8 nor Windows-1251; expected text in one of "
                    "these encodings"), p[at]);
                break;
            }
            text = conv;
            tn = (size_t)(op - conv);
        } else if (st->enc == ENC_UTF8) {
            int inc;
            size_t ok = utf8_valid_prefix(p, n, &inc);
            if (ok < n && !inc) {
                err(&c, line_at(&c, p, ok), 0,
                    _("invalid UTF-8 (byte 0x%02X); expected the whole file in UTF-8 or in "
                    "Windows-1251"), p[ok]);
                break;
            }
            carry = n - ok;
            tn = ok;
        }
        if (c.state == ST_HEADER && c.nf == 0 && c.csv.pstate == 0 && tn > 0 && !st->delim) {
            st->delim = load_detect_delim(text, tn);
            csv_set_delim(&c.csv, (unsigned char)st->delim);
        }
        if (feed(&c, text, tn) != 0) break;
        if (carry) memmove(raw, p + tn, carry);
        if (sink && sink->progress && st->bytes >= next_progress) {
            struct load_progress pg = {LOAD_READING, st->bytes, (uint64_t)sb.st_size,
                                       st->records, st->rows};
            if ((stopped = sink->progress(sink->ctx, &pg)) != 0) break;
            next_progress = st->bytes + (1u << 20);
        }
    }
    if (c.state != ST_STOP && !io_error && !stopped) {
        if (csv_fini(&c.csv, on_field, on_record, &c) != 0)
            err(&c, c.rec_line_next, 0, "%s", _("the file ends inside a quoted field that starts on "
                                        "this line; expected a closing double quote"));
        if (c.state == ST_HEADER && d->total == errs0)
            err(&c, 1, 0, _("the file is empty; expected a header line with the columns of form %s"),
                f->name);
    }
    struct load_progress pg = {LOAD_CHECKING, st->bytes, (uint64_t)sb.st_size, st->records,
                               st->rows};
    if (!stopped && c.state == ST_ROWS && sink && sink->progress)
        stopped = sink->progress(sink->ctx, &pg);
    if (!stopped && c.state == ST_ROWS && keyset_finish(&c.keys, on_dup, &c) != 0)
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
    pg.rows = st->rows;
    if (!stopped && sink && sink->progress) stopped = sink->progress(sink->ctx, &pg);

    unsigned char dg[32];
    sha256_final(&sha, dg);
    sha256_hex(dg, st->sha256);
    fclose(in);
    if (cd != (iconv_t)-1) iconv_close(cd);
    free(raw);
    free(conv);
    csv_free(&c.csv);
    sbuf_free(&c.data);
    sbuf_free(&c.known);
    free(c.off);
    free(c.school_ok);
    keyset_free(&c.keys);
    workmap_free(&c.works);
    free(c.pfields);
    sbuf_free(&c.pscratch);
    free(c.first.a);
    for (size_t i = 0; i < c.nheader; i++) free(c.hdr[i]);
    free(c.hdr);
    free(c.nohdr);
    strmap_free(&c.unknown);
    for (size_t j = 0; j < LOAD_MAXCOLS; j++) {
        strmap_free(&c.seen[j]);
        free(c.last_ok[j]);
    }
    sbuf_free(&c.sk);
    sbuf_free(&c.fix);
    if (stopped) return stopped;
    if (io_error) return SOKO_EIO;
    return d->total != errs0 ? SOKO_EINPUT : SOKO_OK;
}
