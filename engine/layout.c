/*
 * layout.c — import layouts (contract in layout.h; format in docs/layouts.md).
 */
#include "layout.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum src_kind { SRC_NONE, SRC_COLUMN, SRC_CONST, SRC_PERCENT, SRC_LEFT, SRC_MAP };

struct mapping {
    char *from, *to;
};

struct source {
    enum src_kind kind;
    char *column;             /* source column name (COLUMN, PERCENT, LEFT, MAP) */
    char *total;              /* PERCENT: the column of the total */
    char *value;              /* CONST */
    long nchars;              /* LEFT: characters (UTF-8 code points) */
    int field, total_field;   /* resolved source fields, -1 until bound */
    struct mapping *map;      /* MAP: value pairs from [map COLUMN] */
    size_t nmap;
    long line;                /* line in the layout, for messages */
};

struct skip {
    char *column, *value;
    int field;
};

struct layout {
    char *path, *name;
    char sha256[65];
    const struct form *form;
    long form_line;
    struct source src[32];    /* per form column */
    struct skip *skips;
    size_t nskips;
    char **markers;           /* suppression markers */
    size_t nmarkers;
    int keep_first;
    double pct_tolerance;     /* per derived column, in percentage points */
    /* parsing state */
    const char *file;
    struct soko_diag *d;
    long line;
    int bad;
};

const struct form *layout_form(const struct layout *p) { return p->form; }
const char *layout_name(const struct layout *p) { return p->name; }
const char *layout_sha256(const struct layout *p) { return p->sha256; }
int layout_keep_first(const struct layout *p) { return p->keep_first; }

void layout_free(struct layout *p)
{
    if (!p) return;
    for (size_t j = 0; j < 32; j++) {
        struct source *s = &p->src[j];
        free(s->column);
        free(s->total);
        free(s->value);
        for (size_t k = 0; k < s->nmap; k++) {
            free(s->map[k].from);
            free(s->map[k].to);
        }
        free(s->map);
    }
    for (size_t i = 0; i < p->nskips; i++) {
        free(p->skips[i].column);
        free(p->skips[i].value);
    }
    for (size_t i = 0; i < p->nmarkers; i++) free(p->markers[i]);
    free(p->skips);
    free(p->markers);
    free(p->path);
    free(p->name);
    free(p);
}

/* --------------------------------------------------------------- parsing */

static void perr(struct layout *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct layout *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    soko_diag_vadd(p->d, p->file, p->line, 0, fmt, ap);
    va_end(ap);
    p->bad = 1;
}

/* "word rest": splits off the first word when it is `kw`; returns rest or NULL */
static const char *keyword(const char *v, const char *kw)
{
    size_t n = strlen(kw);
    if (strncmp(v, kw, n) == 0 && (v[n] == ' ' || v[n] == '\t')) {
        v += n;
        while (*v == ' ' || *v == '\t') v++;
        return v;
    }
    return NULL;
}

static char *trimmed(const char *s)
{
    return str_trim(xstrdup(s));
}

/* Source spec of a form column: see docs/layouts.md. */
static void parse_source(struct layout *p, const char *col, const char *v)
{
    int j = p->form ? form_col_index(p->form, col) : -1;
    if (!p->form) {
        perr(p, "[columns] before 'form' is known; expected [layout] form = NAME first");
        return;
    }
    if (j < 0) {
        perr(p, "'%s' is not a column of form %s; expected one of its columns", col, p->form->name);
        return;
    }
    struct source *s = &p->src[j];
    if (s->kind != SRC_NONE) {
        perr(p, "column '%s' is given twice (first at line %ld)", col, s->line);
        return;
    }
    s->line = p->line;
    s->field = s->total_field = -1;
    const char *r;
    if ((r = keyword(v, "const"))) {
        s->kind = SRC_CONST;
        s->value = trimmed(r);
    } else if ((r = keyword(v, "percent"))) {
        const char *of = strstr(r, " of ");
        if (!of) {
            perr(p, "'%s': expected 'percent COLUMN of TOTAL_COLUMN'", v);
            return;
        }
        s->kind = SRC_PERCENT;
        s->column = str_trim(xstrndup(r, (size_t)(of - r)));
        s->total = trimmed(of + 4);
        if (!*s->column || !*s->total) perr(p, "'%s': expected 'percent COLUMN of TOTAL_COLUMN'", v);
    } else if ((r = keyword(v, "left"))) {
        const char *sp = strrchr(r, ' ');
        char *end;
        long n = sp ? strtol(sp + 1, &end, 10) : 0;
        if (!sp || *end || n < 1) {
            perr(p, "'%s': expected 'left COLUMN N' with N of 1 or more", v);
            return;
        }
        s->kind = SRC_LEFT;
        s->column = str_trim(xstrndup(r, (size_t)(sp - r)));
        s->nchars = n;
    } else if ((r = keyword(v, "map"))) {
        s->kind = SRC_MAP;
        s->column = trimmed(r);
    } else {
        r = keyword(v, "column");
        s->kind = SRC_COLUMN;
        s->column = trimmed(r ? r : v);
    }
    if (s->column && !*s->column) perr(p, "column '%s': empty source column name", col);
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct layout *p = user;
    if (strcmp(section, "layout") == 0 || strcmp(section, "profile") == 0) {  /* [profile]: the name before 0.2 */
        if (strcmp(name, "form") == 0) {
            p->form = form_find(value);
            p->form_line = p->line;
            if (!p->form || p->form->kind != FORM_ROWS)
                perr(p, "form '%s' cannot be imported through a layout; expected one of "
                        "schools, clusters, context, vpr, oge, ege, rdr, olympiad, admissions", value);
        } else if (strcmp(name, "description") == 0) {
        } else if (strcmp(name, "skip") == 0) {
            const char *eq = strchr(value, '=');
            if (!eq) {
                perr(p, "skip = '%s': expected 'skip = COLUMN = VALUE'", value);
                return 1;
            }
            p->skips = xrealloc(p->skips, (p->nskips + 1) * sizeof *p->skips);
            struct skip *s = &p->skips[p->nskips++];
            s->column = str_trim(xstrndup(value, (size_t)(eq - value)));
            s->value = trimmed(eq + 1);
            s->field = -1;
        } else if (strcmp(name, "suppressed") == 0) {
            const char *q = value;
            while (*q) {
                size_t n = strcspn(q, ",");
                char *m = str_trim(xstrndup(q, n));
                if (*m) {
                    p->markers = xrealloc(p->markers, (p->nmarkers + 1) * sizeof *p->markers);
                    p->markers[p->nmarkers++] = m;
                } else
                    free(m);
                q += n;
                if (*q) q++;
            }
        } else if (strcmp(name, "duplicates") == 0) {
            if (strcmp(value, "first") == 0) p->keep_first = 1;
            else if (strcmp(value, "error") == 0) p->keep_first = 0;
            else perr(p, "duplicates = '%s': expected 'error' or 'first'", value);
        } else if (strcmp(name, "percent_tolerance") == 0) {
            char *end;
            errno = 0;
            p->pct_tolerance = strtod(value, &end);
            if (*end || errno || p->pct_tolerance < 0 || p->pct_tolerance > 10)
                perr(p, "percent_tolerance = '%s': expected percentage points 0..10", value);
        } else
            perr(p, "unknown key '%s' in [layout]; expected form, description, skip, "
                    "suppressed, duplicates, percent_tolerance", name);
    } else if (strcmp(section, "columns") == 0) {
        parse_source(p, name, value);
    } else if (strncmp(section, "map ", 4) == 0) {
        const char *col = section + 4;
        int j = p->form ? form_col_index(p->form, col) : -1;
        if (j < 0) {
            perr(p, "[%s]: '%s' is not a column of the form", section, col);
            return 1;
        }
        struct source *s = &p->src[j];
        s->map = xrealloc(s->map, (s->nmap + 1) * sizeof *s->map);
        s->map[s->nmap].from = xstrdup(name);
        s->map[s->nmap].to = xstrdup(value);
        s->nmap++;
    } else
        perr(p, "unknown section [%s]; expected [layout], [columns] or [map COLUMN]", section);
    return 1;
}

/* inih reader that counts lines, so that every message names its line */
static char *reader(char *buf, int n, void *stream)
{
    struct layout *p = ((void **)stream)[1];
    char *r = fgets(buf, n, ((void **)stream)[0]);
    if (r) p->line++;
    size_t len = r ? strlen(r) : 0;
    int cut;
    /* a name in another encoding could never match the (UTF-8) header, and would end
     * up in messages as mojibake (found by fuzz_layout) */
    if (r && utf8_valid_prefix((const unsigned char *)r, len, &cut) != len &&
        !(cut && len + 1 == (size_t)n))
        perr(p, "the line is not valid UTF-8; expected a layout saved as UTF-8");
    return r;
}

int layout_load(const char *spec, const char *search, struct layout **out,
                 struct soko_diag *d)
{
    *out = NULL;
    char *path = NULL;
    if (strchr(spec, '/') || (strlen(spec) > 4 && strcmp(spec + strlen(spec) - 4, ".ini") == 0))
        path = xstrdup(spec);
    else {
        const char *q = search ? search : "";
        while (*q && !path) {
            size_t n = strcspn(q, ":");
            char *cand = xasprintf("%.*s/%s.ini", (int)n, q, spec);
            FILE *f = fopen(cand, "r");
            if (f) {
                fclose(f);
                path = cand;
            } else
                free(cand);
            q += n;
            if (*q) q++;
        }
        if (!path) {
            soko_diag_add(d, NULL, 0, 0, "no layout named '%s' in %s; expected a file NAME.ini "
                                         "there, or a path", spec, search ? search : "(nowhere)");
            return SOKO_ECONFIG;
        }
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        soko_diag_add(d, path, 0, 0, "cannot open the layout: %s", strerror(errno));
        free(path);
        return SOKO_EIO;
    }
    struct layout *p = xcalloc(1, sizeof *p);
    p->path = path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    p->name = xstrndup(base, bl > 4 && strcmp(base + bl - 4, ".ini") == 0 ? bl - 4 : bl);
    p->file = path;
    p->d = d;
    p->pct_tolerance = 0.05;
    void *stream[2] = {f, p};
    int rc = ini_parse_stream(reader, stream, on_ini, p);
    fclose(f);
    if (rc > 0) {
        p->line = rc;
        perr(p, "not an INI line; expected [section], key = value, or ; comment");
    } else if (rc < 0)
        perr(p, "cannot read the layout");
    p->line = 0;
    if (!p->bad && !p->form) perr(p, "no 'form' in [layout]; expected e.g. form = vpr");
    if (!p->bad) {
        for (size_t j = 0; j < p->form->ncols; j++) {
            const struct form_col *c = &p->form->cols[j];
            struct source *s = &p->src[j];
            if ((c->flags & COL_REQUIRED) && s->kind == SRC_NONE && !c->deflt)
                perr(p, "form %s needs column '%s'; expected a line '%s = ...' in [columns]",
                     p->form->name, c->name, c->name);
            if (s->kind == SRC_MAP && s->nmap == 0)
                perr(p, "column '%s' = map: expected a section [map %s] with 'source = value' lines",
                     c->name, c->name);
        }
    }
    if (!p->bad && sha256_file(path, p->sha256, d) != SOKO_OK) p->bad = 1;
    if (p->bad) {
        layout_free(p);
        return SOKO_ECONFIG;
    }
    *out = p;
    return SOKO_OK;
}

/* ------------------------------------------------------------- applying */

static int find_field(char *const *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        char *h = trimmed(fields[i]);
        int eq = utf8_casecmp(h, name) == 0;
        free(h);
        if (eq) return (int)i;
    }
    return -1;
}

int layout_bind_header(struct layout *p, char *const *fields, size_t n, const char *file,
                        long line, struct soko_diag *d)
{
    size_t errs = d->total;
    for (size_t j = 0; j < p->form->ncols; j++) {
        struct source *s = &p->src[j];
        if (s->column && (s->field = find_field(fields, n, s->column)) < 0)
            soko_diag_add(d, file, line, 0, "no column '%s' (layout %s, for %s); expected it "
                                            "in the header", s->column, p->name,
                          p->form->cols[j].name);
        if (s->total && (s->total_field = find_field(fields, n, s->total)) < 0)
            soko_diag_add(d, file, line, 0, "no column '%s' (layout %s, the total of %s); "
                                            "expected it in the header", s->total, p->name,
                          p->form->cols[j].name);
    }
    for (size_t i = 0; i < p->nskips; i++)
        if ((p->skips[i].field = find_field(fields, n, p->skips[i].column)) < 0)
            soko_diag_add(d, file, line, 0, "no column '%s' (layout %s, skip); expected it in "
                                            "the header", p->skips[i].column, p->name);
    return d->total == errs ? SOKO_OK : SOKO_EINPUT;
}

static int is_marker(const struct layout *p, const char *v)
{
    char *t = trimmed(v);
    int m = 0;
    for (size_t i = 0; i < p->nmarkers && !m; i++) m = utf8_casecmp(t, p->markers[i]) == 0;
    free(t);
    return m;
}

static int parse_num(const char *v, double *x)
{
    char buf[64];
    size_t o = 0;
    for (; *v && o + 1 < sizeof buf; v++)
        if (*v != ' ') buf[o++] = *v == ',' ? '.' : *v;
    buf[o] = '\0';
    char *end;
    errno = 0;
    *x = strtod(buf, &end);
    return o > 0 && !*end && !errno && *x == *x;
}

enum layout_row layout_map_row(struct layout *p, char *const *fields, size_t n,
                                 const char **out, long *outcol, struct sbuf *scratch,
                                 const char *file, long line, struct soko_diag *d)
{
    const struct form *f = p->form;
    for (size_t i = 0; i < p->nskips; i++) {
        char *t = trimmed(fields[p->skips[i].field]);
        int eq = utf8_casecmp(t, p->skips[i].value) == 0;
        free(t);
        if (eq) return LAYOUT_SKIP;
    }
    /* suppressed when a required column's source holds a marker */
    for (size_t j = 0; j < f->ncols; j++) {
        const struct source *s = &p->src[j];
        if (!(f->cols[j].flags & COL_REQUIRED) || s->kind == SRC_NONE || s->kind == SRC_CONST)
            continue;
        if ((s->field >= 0 && (size_t)s->field < n && is_marker(p, fields[s->field])) ||
            (s->total_field >= 0 && (size_t)s->total_field < n && is_marker(p, fields[s->total_field])))
            return LAYOUT_SUPPRESSED;
    }
    /* texts go to scratch one after another; offsets first, pointers after (it moves) */
    size_t off[32];
    sbuf_reset(scratch);
    size_t errs = d->total;
    for (size_t j = 0; j < f->ncols; j++) {
        const struct source *s = &p->src[j];
        off[j] = (size_t)-1;
        outcol[j] = s->field >= 0 ? s->field + 1 : 0;
        if (s->kind == SRC_NONE) continue;
        const char *v = s->field >= 0 && (size_t)s->field < n ? fields[s->field] : "";
        if (s->kind != SRC_CONST && is_marker(p, v)) continue;     /* optional and suppressed: unknown */
        off[j] = scratch->len;
        switch (s->kind) {
        case SRC_CONST: sbuf_adds(scratch, s->value); break;
        case SRC_COLUMN: sbuf_adds(scratch, v); break;
        case SRC_LEFT: {
            const unsigned char *q = (const unsigned char *)v;
            long k = 0;
            while (*q && k < s->nchars) {      /* code points, not bytes */
                q++;
                while ((*q & 0xC0) == 0x80) q++;
                k++;
            }
            sbuf_add(scratch, v, (size_t)((const char *)q - v));
            break;
        }
        case SRC_MAP: {
            char *t = trimmed(v);
            const char *to = NULL;
            for (size_t k = 0; k < s->nmap && !to; k++)
                if (utf8_casecmp(t, s->map[k].from) == 0) to = s->map[k].to;
            if (!to) {
                soko_diag_add(d, file, line, s->field + 1, "'%s' has no mapping for %s in layout %s; "
                                                          "expected one of its [map %s] values",
                              t, f->cols[j].name, p->name, f->cols[j].name);
                off[j] = (size_t)-1;
            } else
                sbuf_adds(scratch, to);
            free(t);
            break;
        }
        case SRC_PERCENT: break;   /* below, by group */
        case SRC_NONE: break;
        }
        sbuf_addc(scratch, '\0');
    }
    /* percentages: each group of columns sharing a total is apportioned so that the
     * counts add up to the total (largest remainders), once the percentages are seen
     * to add up to 100 within their rounding */
    int done[32] = {0};
    for (size_t j = 0; j < f->ncols; j++) {
        if (p->src[j].kind != SRC_PERCENT || done[j] || off[j] == (size_t)-1) continue;
        size_t grp[32], ng = 0;
        for (size_t k = j; k < f->ncols; k++)
            if (p->src[k].kind == SRC_PERCENT && strcmp(p->src[k].total, p->src[j].total) == 0) {
                grp[ng++] = k;
                done[k] = 1;
            }
        double total, pct[32] = {0}, sum = 0;
        int tf = p->src[j].total_field, ok = 1;
        if (!parse_num(fields[tf], &total) || total < 0 || total != floor(total)) {
            soko_diag_add(d, file, line, tf + 1, "%s: '%s' is not a whole number; expected the total "
                                                 "for the percentages", p->src[j].total, fields[tf]);
            continue;
        }
        for (size_t g = 0; g < ng; g++) {
            const struct source *s = &p->src[grp[g]];
            if (!parse_num(fields[s->field], &pct[g]) || pct[g] < 0 || pct[g] > 100) {
                soko_diag_add(d, file, line, s->field + 1, "%s: '%s' is not a percentage; expected "
                                                           "a number 0..100", s->column, fields[s->field]);
                ok = 0;
            }
            sum += ok ? pct[g] : 0;
        }
        if (!ok) continue;
        long counts[32];
        if (ng > 1) {
            double tol = p->pct_tolerance * (double)ng + 1e-9;
            if (fabs(sum - 100.0) > tol) {
                soko_diag_add(d, file, line, p->src[grp[0]].field + 1,
                              "the percentages of %s add up to %.2f; expected 100 within rounding "
                              "(±%.2f), so that the derived counts add up to %s = %.0f",
                              p->src[j].total, sum, tol - 1e-9, p->src[j].total, total);
                continue;
            }
            /* largest remainders */
            double rem[32];
            long given = 0;
            for (size_t g = 0; g < ng; g++) {
                double exact = pct[g] / sum * total;
                counts[g] = (long)floor(exact);
                rem[g] = exact - (double)counts[g];
                given += counts[g];
            }
            for (long left = (long)total - given; left > 0; left--) {
                size_t best = 0;
                for (size_t g = 1; g < ng; g++)
                    if (rem[g] > rem[best]) best = g;
                counts[best]++;
                rem[best] = -1;
            }
        } else
            counts[0] = lround(pct[0] / 100.0 * total);
        for (size_t g = 0; g < ng; g++) {
            off[grp[g]] = scratch->len;
            sbuf_printf(scratch, "%ld", counts[g]);
            sbuf_addc(scratch, '\0');
        }
    }
    if (d->total != errs) return LAYOUT_ERROR;
    for (size_t j = 0; j < f->ncols; j++) out[j] = off[j] == (size_t)-1 ? NULL : scratch->s + off[j];
    return LAYOUT_ROW;
}
