/*
 * load.c — streaming CSV import of the unified forms (contract in load.h).
 *
 * The pass over a file: raw bytes → SHA-256 and NUL check → encoding (UTF-8 checked,
 * or Windows-1251 converted with iconv) → split at line ends so that libcsv is fed one
 * physical line at a time (libcsv keeps no line numbers; this way every record knows
 * the line it starts on) → libcsv fields → header mapping or row check → sink.
 */
#include "load.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    int map[LOAD_MAXCOLS];    /* form column → field index, or -1 */
    int key_cols[LOAD_MAXCOLS];
    size_t nkey;

    size_t errs0;             /* errors in d before this file */
    int sx[7];                /* vpr_students: year, school, grade, subject, score, mark, journal */
    struct work *last_work;   /* student rows come grouped by work: skip the lookup */
    int chk_idx[8][6];        /* form check columns, resolved once */
    struct keyset keys;
    struct workmap works;
    char *school_ok;          /* last school found in the registry */
    struct sbuf known;        /* registry cache: "\x1fid\x1fid..." for small sets */
    int sink_failed;

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

/* ============================================================== cell parsing */

static char *squeeze_number(char *t)
{
    /* "1 234,5" (Excel's thousands separator is a space or NBSP) → "1234.5" */
    char *o = t;
    for (char *p = t; *p; p++) {
        if (*p == ' ') continue;
        if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0) { p++; continue; }
        *o++ = (*p == ',') ? '.' : *p;
    }
    *o = '\0';
    return t;
}

int load_parse_cell(const struct form_col *c, char *text, struct load_cell *cell,
                    const char **why)
{
    cell->present = 1;
    cell->s = text;
    switch (c->type) {
    case COL_TEXT:
        return 0;
    case COL_ENUM: {
        const char *v = form_enum_value(c, text);
        if (!v) { *why = "one of the listed values"; return -1; }
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
        if (end == text || *end || errno || text[0] == '+') {
            *why = c->min >= 0 ? "a whole number 0 or more" : "a whole number";
            return -1;
        }
        if (v < (long long)c->min && c->min == 0 && c->max >= BIG_BOUND) {
            *why = "a whole number 0 or more";     /* a negative count */
            return -1;
        }
        if (v < (long long)c->min || v > (long long)c->max) { *why = "a value in range"; return -1; }
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
                         text[0] == 'n' || text[0] == 'N'))) {
            *why = "a number (decimal point or comma)";
            return -1;
        }
        if (v < c->min || v > c->max) { *why = "a value in range"; return -1; }
        cell->r = v;
        return 0;
    }
    case COL_YEAR: {
        /* 2023, or an academic year 2022/2023, 2022-2023, 2022/23 meaning its spring */
        char *end;
        long a = strtol(text, &end, 10);
        if (end - text != 4) { *why = "a year like 2023 or 2022/2023"; return -1; }
        long y = a;
        if (*end == '/' || *end == '-') {
            char *e2;
            long b = strtol(end + 1, &e2, 10);
            long digits = (long)(e2 - end - 1);
            if (*e2 || (digits != 4 && digits != 2)) {
                *why = "a year like 2023 or 2022/2023";
                return -1;
            }
            if (digits == 2) b += a / 100 * 100 + (b < a % 100 ? 100 : 0);
            if (b != a + 1) { *why = "an academic year of two consecutive years, e.g. 2022/2023"; return -1; }
            y = b;
        } else if (*end) {
            *why = "a year like 2023 or 2022/2023";
            return -1;
        }
        if (y < (long)c->min || y > (long)c->max) { *why = "a year between 2000 and 2100"; return -1; }
        cell->i = y;
        cell->r = (double)y;
        return 0;
    }
    }
    *why = "a value";
    return -1;
}

static void describe_range(const struct form_col *c, char *buf, size_t n)
{
    if (c->type == COL_ENUM) {
        size_t o = 0;
        buf[0] = '\0';
        for (const struct enum_val *v = c->values; v->value; v++)
            o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%s", o ? " | " : "", v->value);
    } else if (c->type == COL_INT && c->max < 1e9)
        snprintf(buf, n, "%.0f..%.0f", c->min, c->max);
    else if (c->type == COL_REAL && c->max < 1e9)
        snprintf(buf, n, "%g..%g", c->min, c->max);
    else
        buf[0] = '\0';
}

/* ============================================================== the header */

static void check_header(struct ctx *c)
{
    const struct form *f = c->form;
    c->nheader = c->nf;
    for (size_t j = 0; j < f->ncols; j++) c->map[j] = -1;
    int bad = 0;
    if (c->lay)    /* the layout says where each form column comes from */
        bad = layout_bind_header(c->lay, source_fields(c), c->nf, c->path, c->rec_line,
                                  c->d) != SOKO_OK;
    for (size_t i = 0; i < c->nf && !c->lay; i++) {
        char *h = xstrdup(field(c, i));
        str_trim(h);
        int j = form_col_match(f, h);
        if (j < 0) {
            if (!c->opts->ignore_unknown) {
                err(c, c->rec_line, (long)i + 1,
                    "unknown column '%s' in form %s; expected one of its columns "
                    "(see 'soko template %s') or --ignore-unknown", h, f->name, f->name);
                bad = 1;
            }
        } else if (c->map[j] >= 0) {
            err(c, c->rec_line, (long)i + 1,
                "column '%s' is given twice (fields %d and %zu), both meaning %s; "
                "expected each column once", h, c->map[j] + 1, i + 1, f->cols[j].name);
            bad = 1;
        } else
            c->map[j] = (int)i;
        free(h);
    }
    for (size_t j = 0; j < f->ncols; j++) {
        if (!c->lay && (f->cols[j].flags & COL_REQUIRED) && c->map[j] < 0 && !f->cols[j].deflt) {
            char ru[128];
            err(c, c->rec_line, 0, "missing required column '%s' [%s] of form %s",
                f->cols[j].name, form_col_ru(&f->cols[j], ru, sizeof ru), f->name);
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
        for (int k = 0; k < 7; k++) SOKO_ASSERT((c->sx[k] = form_col_index(f, names[k])) >= 0);
    }
    c->state = bad ? ST_STOP : ST_ROWS;
}

/* ================================================================= the rows */

static int school_known(struct ctx *c, const char *id, long line, long col)
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
    int r = c->sink && c->sink->school_exists ? c->sink->school_exists(c->sink->ctx, id) : 1;
    if (r < 0) {
        err(c, line, col, "cannot look up school '%s' in the store", id);
        return 0;
    }
    if (r == 0) {
        err(c, line, col, "school '%s' is not in the schools registry; expected a school_id "
                          "imported with form schools", id);
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

static void on_dup(void *vc, long line, long first)
{
    struct ctx *c = vc;
    if (c->form->kind == FORM_STUDENTS)
        err(c, line, 0, "student code appears twice in the same work (also at line %ld); "
                        "expected each student once per year, school, grade and subject", first);
    else {
        struct sbuf k = SBUF_INIT;
        for (size_t i = 0; i < c->nkey; i++)
            sbuf_printf(&k, "%s%s", i ? ", " : "", c->form->cols[c->key_cols[i]].name);
        err(c, line, 0, "duplicate key (%s) already given at line %ld; expected each key once "
                        "in a file", k.s, first);
        sbuf_free(&k);
    }
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

static void to_sink(struct ctx *c, const struct load_row *r)
{
    if (c->d->total != c->errs0 || c->sink_failed || !c->sink || !c->sink->row) return;
    if (c->sink->row(c->sink->ctx, r, c->d) != SOKO_OK) c->sink_failed = 1;
    else c->st->rows++;
}

static void check_row(struct ctx *c)
{
    const struct form *f = c->form;
    long line = c->rec_line;
    c->st->records++;
    if (c->nf != c->nheader) {
        err(c, line, 0, "%zu fields; expected %zu as in the header", c->nf, c->nheader);
        return;
    }
    struct load_row r;
    memset(&r, 0, sizeof r);
    r.form = f;
    r.line = line;
    size_t errs = c->d->total;
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
        /* the mapped texts are ours (the layout's scratch): trimmed and parsed in place */
        char *t = c->lay ? (mapped[j] ? str_trim((char *)mapped[j]) : NULL)
                          : c->map[j] >= 0 ? str_trim(c->data.s + c->off[c->map[j]]) : NULL;
        if (!t || !*t) {
            if (col->deflt) {
                cell->present = 1;
                cell->s = col->deflt;
            } else if (col->flags & COL_REQUIRED)
                err(c, line, fcol, "%s: empty; expected a value", col->name);
            continue;
        }
        char raw[64];
        size_t tl = strlen(t);
        size_t cut = tl < sizeof raw ? tl : sizeof raw - 1;
        while (cut < tl && cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80) cut--;  /* whole UTF-8 characters */
        memcpy(raw, t, cut);
        raw[cut] = '\0';
        const char *why = NULL;
        if (load_parse_cell(col, t, cell, &why) != 0) {
            char range[160];
            describe_range(col, range, sizeof range);
            err(c, line, fcol, "%s: '%s%s' is not valid; expected %s%s%s", col->name, raw,
                tl >= sizeof raw ? "..." : "", why, range[0] ? ": " : "", range);
            cell->present = 0;
            continue;
        }
        if ((col->flags & COL_SCHOOL) && !school_known(c, cell->s, line, fcol)) cell->present = 0;
    }
    if (c->d->total != errs) return;

    for (size_t k = 0; k < f->nchecks; k++) {
        const struct form_check *ck = &f->checks[k];
        int idx[6], n = 0, given = 0;
        for (; ck->cols[n]; n++) {
            idx[n] = c->chk_idx[k][n];
            given += r.cells[idx[n]].present;
        }
        long tcol = c->pcol[idx[n - 1]];
        if (ck->kind == CHECK_SUM_EQ || ck->kind == CHECK_SUM_LE) {
            if (given == 1 && r.cells[idx[n - 1]].present) continue;   /* optional parts absent */
            if (given != n) {
                err(c, line, tcol, "%s: give all of these values or none", ck->doc);
                continue;
            }
            long long sum = 0;
            for (int i = 0; i < n - 1; i++) sum += r.cells[idx[i]].i;
            long long tot = r.cells[idx[n - 1]].i;
            if (ck->kind == CHECK_SUM_EQ && sum != tot)
                err(c, line, tcol, "the sum is %lld but %s is %lld; expected %s", sum,
                    ck->cols[n - 1], tot, ck->doc);
            else if (ck->kind == CHECK_SUM_LE && sum > tot)
                err(c, line, tcol, "the sum is %lld, more than %s = %lld; expected %s", sum,
                    ck->cols[n - 1], tot, ck->doc);
        } else {
            for (int i = 0; i + 1 < n; i++) {
                const struct load_cell *a = &r.cells[idx[i]], *b = &r.cells[idx[i + 1]];
                if (a->present && b->present && a->r > b->r)
                    err(c, line, c->pcol[idx[i]], "%s = %s is greater than %s = %s; expected %s",
                        ck->cols[i], a->s, ck->cols[i + 1], b->s, ck->doc);
            }
        }
    }
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
        err(c, line, 0, "cannot write the temporary file for duplicate detection");
        c->state = ST_STOP;
        return;
    }

    if (f->kind == FORM_STUDENTS) {
        add_student(c, &r);
        if (c->opts->keep_students) to_sink(c, &r);
    } else
        to_sink(c, &r);
}

static void on_record(int term, void *vc)
{
    (void)term;
    struct ctx *c = vc;
    if (c->state == ST_HEADER) check_header(c);
    else if (c->state == ST_ROWS) check_row(c);
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
                err(c, c->line, 0, "malformed quoting in the record starting at line %ld; expected "
                                   "fields either plain or wholly in double quotes, with "
                                   "quotes inside doubled (\"\")", c->rec_line_next);
            else
                err(c, c->line, 0, "CSV parser: %s", csv_strerror(csv_error(&c->csv)));
            c->state = ST_STOP;
            return -1;
        }
        c->rec_bytes += k;
        if (c->csv.pstate != 0 && c->rec_bytes > c->opts->max_record) {
            err(c, c->rec_line_next, 0, "the record starting here is longer than %zu bytes; "
                "expected short records (is a quote left open?)", c->opts->max_record);
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
                    err(c, w->max_line[a], 0,
                        "primary score %d has mark %d here while score %d has mark %d at line %ld "
                        "(%lld, school %s, grade %lld, %s); expected marks to rise with the score",
                        w->max_score[a], a + 2, w->min_score[b], b + 2, w->min_line[b], w->year,
                        w->school, w->grade, w->subject);
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
            soko_diag_note(c->d, "%lld, school %s, grade %lld, %s: journal marks given for %ld of "
                                 "%ld students; the comparison with journal marks is left empty",
                           w->year, w->school, w->grade, w->subject, w->n_journal, w->n);
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
        soko_diag_add(d, path, 0, 0, "form %s is written by soko itself and cannot be imported",
                      f->name);
        return SOKO_EUSAGE;
    }
    SOKO_ASSERT(f->ncols <= LOAD_MAXCOLS);

    struct stat sb;
    if (stat(path, &sb) != 0) {
        soko_diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return SOKO_EIO;
    }
    if (S_ISDIR(sb.st_mode)) {
        soko_diag_add(d, path, 0, 0, "is a directory; expected a CSV file");
        return SOKO_EIO;
    }
    FILE *in = fopen(path, "rb");
    if (!in) {
        soko_diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
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
    if (c.lay && layout_form(c.lay) != f) {
        soko_diag_add(d, path, 0, 0, "layout %s is for form %s, not %s; expected a layout of "
                      "the form being imported", layout_name(c.lay), layout_form(c.lay)->name,
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
                soko_diag_add(d, path, 0, 0, "read error: %s", strerror(errno));
                io_error = 1;
            }
            if (carry) {
                err(&c, line_at(&c, raw, carry), 0,
                    "the file ends inside a UTF-8 character; expected UTF-8 or Windows-1251");
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
                "NUL byte in the file; expected text (is this a spreadsheet saved as .xls/.xlsx "
                "rather than CSV, or UTF-16?)");
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
                err(&c, 0, 0, "cannot convert from Windows-1251: %s", strerror(errno));
                break;
            }
            /* a Windows-1251 byte becomes up to 3 bytes of UTF-8 (№, “, –, €) */
            if (!conv) conv = xmalloc(3 * CHUNK + 16);
            char *ip = (char *)p, *op = conv;
            size_t il = n, ol = 3 * CHUNK + 16;
            if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
                size_t at = (size_t)((unsigned char *)ip - p);
                err(&c, line_at(&c, p, at), 0,
                    "byte 0x%02X is neither UTF-8 nor Windows-1251; expected text in one of "
                    "these encodings", p[at]);
                break;
            }
            text = conv;
            tn = (size_t)(op - conv);
        } else if (st->enc == ENC_UTF8) {
            int inc;
            size_t ok = utf8_valid_prefix(p, n, &inc);
            if (ok < n && !inc) {
                err(&c, line_at(&c, p, ok), 0,
                    "invalid UTF-8 (byte 0x%02X); expected the whole file in UTF-8 or in "
                    "Windows-1251", p[ok]);
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
            err(&c, c.rec_line_next, 0, "the file ends inside a quoted field that starts on this "
                                        "line; expected a closing double quote");
        if (c.state == ST_HEADER && d->total == errs0)
            err(&c, 1, 0, "the file is empty; expected a header line with the columns of form %s",
                f->name);
    }
    struct load_progress pg = {LOAD_CHECKING, st->bytes, (uint64_t)sb.st_size, st->records,
                               st->rows};
    if (!stopped && c.state == ST_ROWS && sink && sink->progress)
        stopped = sink->progress(sink->ctx, &pg);
    if (!stopped && c.state == ST_ROWS && keyset_finish(&c.keys, on_dup, &c) != 0)
        err(&c, 0, 0, "cannot read back the temporary file of duplicate detection");
    pg.phase = LOAD_SAVING;
    if (!stopped && c.state == ST_ROWS && f->kind == FORM_STUDENTS && sink && sink->progress)
        stopped = sink->progress(sink->ctx, &pg);
    if (!stopped && c.state == ST_ROWS && f->kind == FORM_STUDENTS) emit_works(&c);
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
    if (stopped) return stopped;
    if (io_error) return SOKO_EIO;
    return d->total != errs0 ? SOKO_EINPUT : SOKO_OK;
}
