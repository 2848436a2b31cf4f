/*
 * deffile.c — an INI file read whole, with line numbers (contract in deffile.h).
 *
 * libinih as packaged by Debian reports no line numbers to the handler and reads
 * at most `ini_max_line` bytes a line (200 by default: a Russian title of a hundred
 * letters would be cut in two). So the file is fed through our own reader, which
 * counts physical lines and sees each line before inih does; it mirrors inih's
 * classification of the line (comment, continuation, section, key) to know which
 * section a key belongs to and whether a handler call continues the previous key.
 */
#include "deffile.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
    FILE *f;
    struct deffile *df;
    struct soko_diag *d;
    char *buf;            /* the current physical line (getline) */
    size_t cap;
    long line;            /* its number */
    int have_prev;        /* inih's prev_name: a key was seen since the last header */
    int cont;             /* the current line continues the previous key */
    int in_section;       /* a section header has been seen */
    long bad_line;        /* a line we already reported (inih may report it again) */
    int bad;              /* any error so far */
    unsigned flags;       /* DEFFILE_* */
};

static void rd_err(struct rd *r, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void rd_err(struct rd *r, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    soko_diag_vadd(r->d, r->df->path, line, 0, fmt, ap);
    va_end(ap);
    r->bad = 1;
    r->bad_line = line;
}

static char *skip_ws(char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

static void rstrip(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
}

/* Looks at one line as inih will, and records a section header. */
static void classify(struct rd *r, char *text)
{
    if (r->line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3;   /* BOM */
    char *copy = xstrdup(text);
    rstrip(copy);
    char *start = skip_ws(copy);
    int indented = start > copy;
    r->cont = 0;
    if (*start == ';' || *start == '#' || *start == '\0') {
        /* comment or blank */
    } else if (r->have_prev && indented) {
        r->cont = 1;
    } else if (*start == '[') {
        char *end = strchr(start, ']');
        if (end) {
            *end = '\0';
            char *name = skip_ws(start + 1);
            rstrip(name);
            for (size_t i = 0; i < r->df->nsec; i++)
                if (strcmp(r->df->sec[i].name, name) == 0)
                    rd_err(r, r->line, _("section [%s] is given twice (first on line %ld); "
                                       "expected each name once"), name, r->df->sec[i].line);
            r->df->sec = xrealloc(r->df->sec, (r->df->nsec + 1) * sizeof *r->df->sec);
            struct deffile_sec *s = &r->df->sec[r->df->nsec++];
            memset(s, 0, sizeof *s);
            s->name = xstrdup(name);
            s->line = r->line;
            r->have_prev = 0;
            r->in_section = 1;
        }
    }
    free(copy);
}

static char *reader(char *str, int num, void *stream)
{
    struct rd *r = stream;
    errno = 0;
    ssize_t n = getline(&r->buf, &r->cap, r->f);
    if (n < 0) return NULL;
    r->line++;
    int incomplete = 0;
    if (utf8_valid_prefix((const unsigned char *)r->buf, (size_t)n, &incomplete) != (size_t)n)
        rd_err(r, r->line, "%s", _("the line is not valid UTF-8; expected a file saved as UTF-8"));
    if (n >= num || memchr(r->buf, '\0', (size_t)n)) {
        if (n >= num)
            rd_err(r, r->line, _("the line is %zd bytes long; expected at most %d (continue a "
                               "long value on indented lines)"), n, num - 1);
        else
            rd_err(r, r->line, "%s", _("the line holds a NUL byte; expected text"));
        r->buf[0] = '\0';     /* hand inih an empty line instead */
        n = 0;
    }
    classify(r, r->buf);
    memcpy(str, r->buf, (size_t)n + 1);
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct rd *r = user;
    (void)section;    /* inih cuts names at 50 bytes: we keep our own */
    r->have_prev = 1;
    if (!r->in_section) {
        rd_err(r, r->line, _("'%s' is outside any section; expected a [section] line above it"),
               name);
        return 1;
    }
    struct deffile_sec *s = &r->df->sec[r->df->nsec - 1];
    if (r->cont && s->nkv > 0) {
        /* inih leaves an inline comment on a continuation line: drop it here */
        char *v = xstrdup(value);
        for (char *p = v; *p; p++)
            if (*p == ';' && p > v && isspace((unsigned char)p[-1])) {
                *p = '\0';
                break;
            }
        rstrip(v);
        struct deffile_kv *kv = &s->kv[s->nkv - 1];
        if (*v) {
            char *joined = xasprintf("%s%s%s", kv->value, *kv->value ? " " : "", v);
            free(kv->value);
            kv->value = joined;
        }
        free(v);
        return 1;
    }
    for (size_t i = 0; i < s->nkv && !(r->flags & DEFFILE_REPEATS); i++)
        if (strcmp(s->kv[i].key, name) == 0) {
            rd_err(r, r->line, _("[%s]: '%s' is given twice (first on line %ld); expected one "
                               "value (continue a long one on indented lines)"),
                   s->name, name, s->kv[i].line);
            return 1;
        }
    s->kv = xrealloc(s->kv, (s->nkv + 1) * sizeof *s->kv);
    struct deffile_kv *kv = &s->kv[s->nkv++];
    kv->key = xstrdup(name);
    kv->value = xstrdup(value);
    kv->line = r->line;
    return 1;
}

int deffile_read(const char *path, struct deffile *df, struct soko_diag *d)
{
    return deffile_read_opts(path, 0, df, d);
}

int deffile_read_opts(const char *path, unsigned flags, struct deffile *df,
                      struct soko_diag *d)
{
    memset(df, 0, sizeof *df);
    df->path = xstrdup(path);
    FILE *f = fopen(path, "r");
    if (!f) {
        soko_diag_add(d, path, 0, 0, _("cannot open: %s"), strerror(errno));
        return SOKO_EIO;
    }
    /* Debian builds libinih with run-time options: let a line be as long as ours. */
    ini_max_line = DEFFILE_MAX_LINE;
    struct rd r;
    memset(&r, 0, sizeof r);
    r.f = f;
    r.df = df;
    r.d = d;
    r.flags = flags;
    int rc = ini_parse_stream(reader, &r, handler, &r);
    int ioerr = ferror(f);
    fclose(f);
    free(r.buf);
    if (ioerr) {
        soko_diag_add(d, path, 0, 0, _("cannot read: %s"), strerror(errno));
        return SOKO_EIO;
    }
    if (rc > 0 && rc != r.bad_line)
        rd_err(&r, rc, "%s", _("not an INI line; expected [section], key = value, or a ; comment"));
    else if (rc < 0 && !r.bad)
        rd_err(&r, 0, _("cannot parse (libinih error %d)"), rc);
    for (size_t i = 0; i < df->nsec; i++)
        if (df->sec[i].nkv == 0)
            rd_err(&r, df->sec[i].line, _("section [%s] is empty; expected key = value lines "
                                           "under it"), df->sec[i].name);
    return r.bad ? SOKO_ECONFIG : SOKO_OK;
}

void deffile_free(struct deffile *df)
{
    for (size_t i = 0; i < df->nsec; i++) {
        for (size_t j = 0; j < df->sec[i].nkv; j++) {
            free(df->sec[i].kv[j].key);
            free(df->sec[i].kv[j].value);
        }
        free(df->sec[i].kv);
        free(df->sec[i].name);
    }
    free(df->sec);
    free(df->path);
    memset(df, 0, sizeof *df);
}

const char *deffile_get(const struct deffile_sec *s, const char *key, long *line)
{
    for (size_t i = 0; i < s->nkv; i++)
        if (strcmp(s->kv[i].key, key) == 0) {
            if (line) *line = s->kv[i].line;
            return s->kv[i].value;
        }
    return NULL;
}

const struct deffile_kv *deffile_kv(const struct deffile_sec *s, const char *key)
{
    for (size_t i = 0; i < s->nkv; i++)
        if (strcmp(s->kv[i].key, key) == 0) return &s->kv[i];
    return NULL;
}

/* ==== the typed key table ============================================================ */

const struct deffile_key *deffile_key_find(const struct deffile_key *const *tables,
                                           const char *key)
{
    const struct deffile_key *any = NULL;
    for (size_t t = 0; tables[t]; t++)
        for (const struct deffile_key *k = tables[t]; k->name; k++) {
            if (strcmp(k->name, key) == 0) return k;
            if (!any && strcmp(k->name, "*") == 0) any = k;
        }
    return any;
}

/* A number as people write it in a definition: [+-]digits[.digits][e[+-]digits] (a
 * leading '.' digits too), or inf / -inf when allowed. No NaN, no hex, no trailing
 * text. 1 when the whole of s is one. */
static int strict_number(const char *s, int inf_ok, double *out)
{
    while (*s == ' ' || *s == '\t') s++;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (inf_ok && (strcmp(p, "inf") == 0 || strcmp(p, "infinity") == 0)) {
        *out = *s == '-' ? -INFINITY : INFINITY;
        return 1;
    }
    int digits = 0;
    while (isdigit((unsigned char)*p)) p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) p++, digits++;
    }
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return 0;
        while (isdigit((unsigned char)*p)) p++;
    }
    const char *end = p;
    while (*p == ' ' || *p == '\t') p++;
    if (*p) return 0;
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e != end) return 0;
    if (!isfinite(v)) return 0;     /* 1e999: out of any range we state */
    *out = v;
    return 1;
}

int deffile_is_ident(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static int in_range(const struct deffile_key *k, double v)
{
    if (isinf(v)) return (k->flags & DF_INF) != 0;
    if (k->flags & DF_LO_OPEN ? !(v > k->lo) : !(v >= k->lo)) return 0;
    if (k->flags & DF_HI_OPEN ? !(v < k->hi) : !(v <= k->hi)) return 0;
    return 1;
}

static int is_choice(const char *const *choices, const char *v)
{
    for (size_t i = 0; choices && choices[i]; i++)
        if (strcmp(choices[i], v) == 0) return 1;
    return 0;
}

/* What a value of k must be, in words (into b). */
static void expect_text(const struct deffile_key *k, struct sbuf *b)
{
    if (k->expect) {
        sbuf_adds(b, _(k->expect));
        return;
    }
    int lo_open = (k->flags & DF_LO_OPEN) != 0, hi_open = (k->flags & DF_HI_OPEN) != 0;
    switch (k->type) {
    case DF_TEXT: sbuf_adds(b, _("a text")); break;
    case DF_IDENT: sbuf_adds(b, _("lower-case letters, digits and '_'")); break;
    case DF_EXPR: sbuf_adds(b, _("an SQL expression")); break;
    case DF_OTHER: sbuf_adds(b, _("a value in the documented form")); break;
    case DF_INT:
    case DF_COUNT:
        if (k->hi >= 1e15) sbuf_printf(b, _("a whole number of %.15g or more"), k->lo);
        else sbuf_printf(b, _("a whole number from %.15g to %.15g"), k->lo, k->hi);
        /* xgettext:no-c-format (a percent sign, added as text) */
        if (k->type == DF_COUNT) sbuf_adds(b, _(", or a percentage like 20%"));
        break;
    case DF_REAL:
        if (k->hi >= 1e300 && k->lo <= -1e300) sbuf_adds(b, _("a number"));
        else if (k->hi >= 1e300)
            sbuf_printf(b, lo_open ? _("a number greater than %.15g") : _("a number of at least %.15g"),
                        k->lo);
        else if (lo_open)
            sbuf_printf(b, hi_open ? _("a number greater than %.15g to %.15g (not included)")
                                   : _("a number greater than %.15g to %.15g"), k->lo, k->hi);
        else
            sbuf_printf(b, hi_open ? _("a number from %.15g to %.15g (not included)")
                                   : _("a number from %.15g to %.15g"), k->lo, k->hi);
        break;
    case DF_CHOICE:
    case DF_LIST:
    case DF_IDLIST:
        if (k->type == DF_CHOICE) sbuf_adds(b, _("one of "));
        else if (k->choices) sbuf_adds(b, _("a comma-separated list of "));
        else if (k->type == DF_IDLIST) sbuf_adds(b, _("a comma-separated list of identifiers"));
        else sbuf_adds(b, _("a comma-separated list"));
        if (k->choices)
            for (size_t i = 0; k->choices[i]; i++)
                sbuf_printf(b, "%s%s", i ? ", " : "", k->choices[i]);
        if (k->type != DF_CHOICE && k->hi > 0) sbuf_printf(b, _(" (at most %.0f)"), k->hi);
        break;
    }
}

const char *deffile_value_ok(const struct deffile_key *k, const char *v)
{
    double x;
    if (!*v) return k->flags & DF_EMPTY ? NULL : "empty";
    switch (k->type) {
    case DF_TEXT:
    case DF_EXPR:
    case DF_OTHER:
        return NULL;
    case DF_IDENT:
        return deffile_is_ident(v) ? NULL : "bad";
    case DF_INT:
        return strict_number(v, 0, &x) && x == floor(x) && in_range(k, x) ? NULL : "bad";
    case DF_REAL:
        return strict_number(v, (k->flags & DF_INF) != 0, &x) && in_range(k, x) ? NULL : "bad";
    case DF_COUNT: {
        size_t n = strlen(v);
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
        if (n > 0 && v[n - 1] == '%') {
            char *num = xstrndup(v, n - 1);
            int ok = strict_number(num, 0, &x) && x > 0 && x <= 100;
            free(num);
            return ok ? NULL : "bad";
        }
        return strict_number(v, 0, &x) && x == floor(x) && in_range(k, x) ? NULL : "bad";
    }
    case DF_CHOICE:
        return is_choice(k->choices, v) ? NULL : "bad";
    case DF_LIST:
    case DF_IDLIST: {
        int n = 0, bad = 0;
        /* an item left empty between commas is a mistake, not nothing */
        const char *p = v;
        for (;;) {
            const char *c = strchr(p, ',');
            size_t len = c ? (size_t)(c - p) : strlen(p);
            char *item = str_trim(xstrndup(p, len));
            if (!*item) bad = 1;
            else {
                n++;
                if (k->type == DF_IDLIST && !deffile_is_ident(item)) bad = 1;
                if (k->choices && !is_choice(k->choices, item)) bad = 1;
            }
            free(item);
            if (!c) break;
            p = c + 1;
        }
        if (bad || n < (k->lo > 1 ? k->lo : 1) || (k->hi > 0 && n > k->hi)) return "bad";
        return NULL;
    }
    }
    return "bad";
}

void deffile_bad(struct soko_diag *d, const struct deffile *df, const struct deffile_sec *s,
                 const struct deffile_kv *kv, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = xvasprintf(fmt, ap);
    va_end(ap);
    if (kv)
        soko_diag_add(d, df->path, kv->line, 0, _("[%s]: %s: got '%s'; expected %s"), s->name,
                      key ? key : kv->key, kv->value ? kv->value : "", what);
    else
        soko_diag_add(d, df->path, s->line, 0, _("[%s]: %s: missing; expected %s"), s->name, key,
                      what);
    free(what);
}

size_t deffile_check(const struct deffile *df, const struct deffile_sec *s,
                     const struct deffile_key *const *tables, struct soko_diag *d)
{
    size_t bad = 0;
    for (size_t i = 0; i < s->nkv; i++) {
        const struct deffile_kv *kv = &s->kv[i];
        const struct deffile_key *k = deffile_key_find(tables, kv->key);
        if (!k) {
            struct sbuf b = SBUF_INIT;
            for (size_t t = 0; tables[t]; t++)
                for (const struct deffile_key *q = tables[t]; q->name; q++)
                    if (strcmp(q->name, "*") != 0)
                        sbuf_printf(&b, "%s%s", b.len ? ", " : "", q->name);
            soko_diag_add(d, df->path, kv->line, 0, _("[%s]: %s: unknown key; expected one of %s"),
                          s->name, kv->key, b.s ? b.s : _("(none)"));
            sbuf_free(&b);
            bad++;
            continue;
        }
        if (!(k->flags & DF_REPEAT)) {
            const struct deffile_kv *first = deffile_kv(s, kv->key);
            if (first != kv) {
                soko_diag_add(d, df->path, kv->line, 0,
                              _("[%s]: %s: given twice (first on line %ld); expected one value"),
                              s->name, kv->key, first->line);
                bad++;
                continue;
            }
        }
        if (deffile_value_ok(k, kv->value ? kv->value : "")) {
            struct sbuf b = SBUF_INIT;
            expect_text(k, &b);
            deffile_bad(d, df, s, kv, NULL, "%s", b.s);
            sbuf_free(&b);
            bad++;
        }
    }
    for (size_t t = 0; tables[t]; t++)
        for (const struct deffile_key *k = tables[t]; k->name; k++)
            if ((k->flags & DF_REQUIRED) && strcmp(k->name, "*") != 0 && !deffile_kv(s, k->name)) {
                struct sbuf b = SBUF_INIT;
                expect_text(k, &b);
                deffile_bad(d, df, s, NULL, k->name, "%s", b.s);
                sbuf_free(&b);
                bad++;
            }
    return bad;
}

double deffile_real(const struct deffile_sec *s, const char *key, double dflt)
{
    const char *v = deffile_get(s, key, NULL);
    double x;
    return v && strict_number(v, 1, &x) ? x : dflt;
}

long deffile_long(const struct deffile_sec *s, const char *key, long dflt)
{
    const char *v = deffile_get(s, key, NULL);
    double x;
    if (!v || !strict_number(v, 0, &x) || x != floor(x) || fabs(x) > 9e15) return dflt;
    return (long)x;
}

int deffile_choice(const struct deffile_sec *s, const char *key, const char *const *choices,
                   int dflt)
{
    const char *v = deffile_get(s, key, NULL);
    for (int i = 0; v && choices[i]; i++)
        if (strcmp(choices[i], v) == 0) return i;
    return dflt;
}

int deffile_count(const struct deffile_sec *s, const char *key, double *v, int *pct)
{
    const char *t = deffile_get(s, key, NULL);
    if (!t) return -1;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t')) n--;
    *pct = n > 0 && t[n - 1] == '%';
    char *num = xstrndup(t, *pct ? n - 1 : n);
    double x = NAN;
    if (!strict_number(num, 0, &x)) x = NAN;
    free(num);
    *v = x;
    return 0;
}

char **deffile_list(const char *value, int *n)
{
    char **items = xcalloc(1, sizeof *items);
    *n = 0;
    const char *p = value ? value : "";
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char *item = str_trim(xstrndup(p, len));
        if (*item) {
            items = xrealloc(items, (size_t)(*n + 2) * sizeof *items);
            items[(*n)++] = item;
            items[*n] = NULL;
        } else
            free(item);
        if (!c) break;
        p = c + 1;
    }
    return items;
}

void deffile_list_free(char **items)
{
    for (size_t i = 0; items && items[i]; i++) free(items[i]);
    free(items);
}
