/*
 * names.c — display names and the subject map (names.h), read with deffile.h.
 */
#include "names.h"
#include "deffile.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *cat, *key, *value;
};

struct names {
    struct entry *v;
    size_t n;
};

static void add(struct names *n, const char *cat, const char *key, const char *value)
{
    n->v = xrealloc(n->v, (n->n + 1) * sizeof *n->v);
    n->v[n->n].cat = xstrdup(cat);
    char *k = xstrdup(key);
    n->v[n->n].key = xstrdup(str_trim(k));
    free(k);
    n->v[n->n].value = xstrdup(value);
    n->n++;
}

static const struct entry *find(const struct names *n, const char *cat, const char *key)
{
    if (!n || !key) return NULL;
    char *k = xstrdup(key);
    str_trim(k);
    const struct entry *r = NULL;
    for (size_t i = 0; i < n->n && !r; i++)
        if (strcmp(n->v[i].cat, cat) == 0 && utf8_casecmp(n->v[i].key, k) == 0) r = &n->v[i];
    free(k);
    return r;
}

/* The sections of one file, each key once (case-insensitively). `prefix` tells the
 * two files apart in one table. */
static int read_file(struct names *n, const char *path, const char *prefix, struct soko_diag *d)
{
    struct deffile df;
    int rc = deffile_read(path, &df, d);
    if (rc) return rc;
    for (size_t i = 0; i < df.nsec; i++) {
        char *cat = xasprintf("%s%s", prefix, df.sec[i].name);
        for (size_t k = 0; k < df.sec[i].nkv; k++) {
            const struct deffile_kv *kv = &df.sec[i].kv[k];
            if (find(n, cat, kv->key)) {
                soko_diag_add(d, path, kv->line, 0,
                              "[%s]: '%s' is named twice; expected each value once",
                              df.sec[i].name, kv->key);
                rc = SOKO_ECONFIG;
                continue;
            }
            add(n, cat, kv->key, kv->value);
        }
        free(cat);
    }
    deffile_free(&df);
    return rc;
}

int names_load(const char *names_ini, const char *subjects_ini, struct names **out,
               struct soko_diag *d)
{
    struct names *n = xcalloc(1, sizeof *n);
    int rc = SOKO_OK;
    if (names_ini) rc = read_file(n, names_ini, "", d);
    if (!rc && subjects_ini) rc = read_file(n, subjects_ini, "subjects:", d);
    if (rc) {
        names_free(n);
        n = NULL;
    }
    *out = n;
    return rc;
}

void names_free(struct names *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) {
        free(n->v[i].cat);
        free(n->v[i].key);
        free(n->v[i].value);
    }
    free(n->v);
    free(n);
}

const char *names_get(const struct names *n, const char *category, const char *value)
{
    const struct entry *e = find(n, category, value);
    return e ? e->value : value;
}

int names_has(const struct names *n, const char *category, const char *value)
{
    return find(n, category, value) != NULL;
}

const char *names_subject(const struct names *n, const char *form, const char *subject)
{
    if (!n || !subject) return subject;
    char cat[64];
    snprintf(cat, sizeof cat, "subjects:%s", form ? form : "");
    const struct entry *e = form ? find(n, cat, subject) : NULL;
    if (!e) e = find(n, "subjects:all", subject);
    return e ? e->value : subject;
}

static int subject_dim(const struct indicator *ind)
{
    for (int k = 0; k < ind->ndims; k++)
        if (strcmp(ind->dims[k], "subject") == 0) return k;
    return -1;
}

static int same_key(const struct ind_row *a, const struct ind_row *b)
{
    if (a->ind != b->ind || a->level != b->level || a->year != b->year ||
        strcmp(a->unit, b->unit) != 0)
        return 0;
    for (int k = 0; k < a->ind->ndims; k++)
        if (!a->dim[k] != !b->dim[k] || (a->dim[k] && strcmp(a->dim[k], b->dim[k]) != 0))
            return 0;
    return 1;
}

/* Pools b into a (same key). */
static void pool(struct ind_row *a, const struct ind_row *b)
{
    if (a->suppressed || b->suppressed) {
        /* a suppressed part hides the pooled figure too: n unknown */
        a->suppressed = 1;
        a->value = a->lo = a->hi = NAN;
        return;
    }
    const struct indicator *ind = a->ind;
    double an = isfinite(a->n) ? a->n : 0, bn = isfinite(b->n) ? b->n : 0;
    if (ind->kind == IND_MEAN) {
        double w = an + bn;
        a->value = w > 0 ? (a->value * an + b->value * bn) / w : NAN;
        a->num += b->num;
        a->den += b->den;
        a->lo = a->hi = a->sd = NAN;
        a->notes |= IND_NOTE_NO_SPREAD;
    } else {
        a->num += b->num;
        if (isfinite(a->den) && isfinite(b->den)) a->den += b->den;
        struct stats_ci ci;
        if (ind->kind == IND_SHARE && a->den > 0) {
            a->value = 100 * a->num / a->den;
            if (stats_wilson(a->num, a->den, 0.95, &ci) == 0) {
                a->lo = 100 * ci.lo;
                a->hi = 100 * ci.hi;
            }
        } else if (ind->kind == IND_COUNT) {
            a->value = a->num;
            if (stats_poisson_exact(a->num, 0.95, &ci) == 0) {
                a->lo = ci.lo;
                a->hi = ci.hi;
            }
        } else {
            a->value = a->den > 0 ? (ind->per > 0 ? ind->per : 100) * a->num / a->den : NAN;
            a->lo = a->hi = NAN;
        }
    }
    if (isfinite(a->n) || isfinite(b->n)) a->n = an + bn;
}

void names_normalize(const struct names *n, const struct ind_results *in,
                     struct ind_results *out)
{
    memset(out, 0, sizeof *out);
    out->v = xcalloc(in->n ? in->n : 1, sizeof *out->v);
    out->cap = in->n ? in->n : 1;
    for (size_t i = 0; i < in->n; i++) {
        struct ind_row r = in->v[i];
        int k = subject_dim(r.ind);
        if (k < 0 || !r.dim[k]) {
            out->v[out->n++] = r;
            continue;
        }
        r.dim[k] = names_subject(n, r.ind->form ? r.ind->form->name : NULL, r.dim[k]);
        /* rows of one unit and indicator are consecutive: look back over them only */
        size_t j = out->n;
        int merged = 0;
        while (j > 0 && out->v[j - 1].ind == r.ind && out->v[j - 1].level == r.level &&
               strcmp(out->v[j - 1].unit, r.unit) == 0) {
            j--;
            if (same_key(&out->v[j], &r)) {
                pool(&out->v[j], &r);
                merged = 1;
                break;
            }
        }
        if (!merged) out->v[out->n++] = r;
    }
}
