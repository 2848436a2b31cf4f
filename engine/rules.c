/*
 * rules.c — the whole evaluation of a rule set: the window of each rule, its kind's
 * items, the decision (rules_decide.c), and the inputs read from a store (contract in
 * rules.h; the parts of the engine are listed in rules_int.h).
 *
 * The shape of every rule is the same, whatever it tests: a "procedure" is one
 * indicator in one breakdown (a ВПР subject-grade, an ОГЭ subject, a school's works,
 * a context factor); each kind decides, per school, procedure and year of the window,
 * whether its condition holds and how unlikely the figure is by chance, and keeps the
 * figures that decided it. Nothing in here is a threshold: every number that decides
 * comes from the rule file.
 */
#include "rules_int.h"

#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== small helpers ===================================================================== */

int rule_str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Numbers as people write them: school ids "14" < "147" < "570"; text otherwise. */
int rule_natural_cmp(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    char *ea, *eb;
    errno = 0;
    long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);
    if (*a && *b && !*ea && !*eb && x != y) return x < y ? -1 : 1;
    return strcmp(a, b);
}

const char *rule_op_text(enum rule_op op)
{
    switch (op) {
    case OP_LT: return "<";
    case OP_LE: return "≤";
    case OP_GT: return ">";
    default: return "≥";
    }
}

int rule_op_holds(double v, enum rule_op op, double t)
{
    switch (op) {
    case OP_LT: return v < t;
    case OP_LE: return v <= t;
    case OP_GT: return v > t;
    default: return v >= t;
    }
}

/* ==== items =============================================================================== */

struct rule_item *rule_item_new(struct rule_items *it, const char *school, const char *proc,
                                const struct indicator *ind, int year)
{
    if (it->n == it->cap) {
        it->cap = it->cap ? 2 * it->cap : 256;
        it->v = xrealloc(it->v, it->cap * sizeof *it->v);
    }
    struct rule_item *x = &it->v[it->n++];
    memset(x, 0, sizeof *x);
    x->school = school;
    x->proc = xstrdup(proc);
    x->ind = ind;
    x->year = year;
    x->p = NAN;
    x->ev.ind = ind;
    x->ev.year = year;
    x->ev.value = x->ev.n = x->ev.ref = x->ev.limit = x->ev.stat = x->ev.p = NAN;
    return x;
}

void rule_items_free(struct rule_items *it)
{
    for (size_t i = 0; i < it->n; i++) {
        free(it->v[i].proc);
        free(it->v[i].ev.what);
        free(it->v[i].ev.detail);
    }
    free(it->v);
    memset(it, 0, sizeof *it);
}

int rule_usable(const struct ind_row *r)
{
    return r && !r->suppressed && isfinite(r->value);
}

int rule_has_ind(const struct rule *r, const struct indicator *ind)
{
    for (int i = 0; i < r->nind; i++)
        if (r->ind[i] == ind) return 1;
    return 0;
}

static const char *dim_of(const struct indicator *ind, const char *const *dim, const char *col)
{
    for (int k = 0; k < ind->ndims; k++)
        if (ind->dims[k] && strcmp(ind->dims[k], col) == 0) return dim[k] ? dim[k] : "";
    return NULL;
}

/* The rule's breakdown filters: a column the indicator lacks does not filter it. */
int rule_where_ok(const struct rule *r, const struct indicator *ind, const char *const *dim)
{
    for (int w = 0; w < r->nwhere; w++) {
        const char *v = dim_of(ind, dim, r->where_col[w]);
        if (!v) continue;
        int hit = 0;
        for (int q = 0; q < r->where_nvals[w] && !hit; q++)
            hit = utf8_casecmp(v, r->where_vals[w][q]) == 0;
        if (!hit) return 0;
    }
    return 1;
}

const char *rule_label_of(const struct rule *r, const char *key)
{
    for (int i = 0; i < r->nlabels; i++)
        if (utf8_casecmp(r->labels[i].key, key) == 0) return r->labels[i].text;
    return NULL;
}

/* The procedure for people: "Математика, 5 кл." (labels applied). */
char *rule_what(const struct rule *r, const struct indicator *ind, const char *const *dim)
{
    struct sbuf b = SBUF_INIT;
    for (int k = 0; k < ind->ndims; k++) {
        const char *v = dim[k] ? dim[k] : "";
        const char *lab = rule_label_of(r, v);
        if (b.len) sbuf_adds(&b, ", ");
        if (lab) sbuf_adds(&b, lab);
        else if (strcmp(ind->dims[k], "grade") == 0) sbuf_printf(&b, "%s кл.", v);
        else sbuf_adds(&b, v);
    }
    if (!b.len) sbuf_adds(&b, "все предметы");
    return sbuf_take(&b);
}

char *rule_proc_key(const struct indicator *ind, const char *const *dim)
{
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, ind->id);
    for (int k = 0; k < ind->ndims; k++) {
        sbuf_addc(&b, '|');
        sbuf_adds(&b, dim[k] ? dim[k] : "");
    }
    return sbuf_take(&b);
}

/* --- an index of rows: (indicator, level, unit, breakdown, year) ---------------------- */

static int row_cmp(const struct ind_row *a, const struct ind_row *b)
{
    if (a->ind != b->ind) return (uintptr_t)a->ind < (uintptr_t)b->ind ? -1 : 1;
    if (a->level != b->level) return a->level < b->level ? -1 : 1;
    int c = strcmp(a->unit ? a->unit : "", b->unit ? b->unit : "");
    if (c) return c;
    for (int k = 0; k < a->ind->ndims; k++) {
        c = strcmp(a->dim[k] ? a->dim[k] : "", b->dim[k] ? b->dim[k] : "");
        if (c) return c;
    }
    return (a->year > b->year) - (a->year < b->year);
}

static int row_pcmp(const void *pa, const void *pb)
{
    return row_cmp(*(const struct ind_row *const *)pa, *(const struct ind_row *const *)pb);
}

void rule_index_build(struct rule_index *x, const struct ind_results *r)
{
    x->v = xmalloc((r->n + 1) * sizeof *x->v);
    x->n = r->n;
    for (size_t i = 0; i < r->n; i++) x->v[i] = &r->v[i];
    qsort(x->v, x->n, sizeof *x->v, row_pcmp);
}

/* The row of ind at level/unit with the breakdown of like (same-named columns) and
 * year; NULL when absent. */
const struct ind_row *rule_index_find(const struct rule_index *x, const struct indicator *ind,
                                      enum ind_level level, const char *unit,
                                      const struct ind_row *like, int year)
{
    struct ind_row probe;
    memset(&probe, 0, sizeof probe);
    probe.ind = ind;
    probe.level = level;
    probe.unit = level == IND_DISTRICT ? "" : unit;
    probe.year = year;
    for (int k = 0; k < ind->ndims; k++) {
        const char *v = like ? dim_of(like->ind, like->dim, ind->dims[k]) : NULL;
        if (!v) return NULL;          /* like has no such column: nothing matches */
        probe.dim[k] = v;
    }
    const struct ind_row *pp = &probe;
    const struct ind_row **hit = bsearch(&pp, x->v, x->n, sizeof *x->v, row_pcmp);
    if (hit) return *hit;
    if (level == IND_DISTRICT) {      /* a district unit may be stored as NULL */
        probe.unit = NULL;
        hit = bsearch(&pp, x->v, x->n, sizeof *x->v, row_pcmp);
    }
    return hit ? *hit : NULL;
}

int rule_row_in(const struct rule_eval *c, const struct ind_row *row)
{
    return row->level == IND_SCHOOL && rule_has_ind(c->r, row->ind) && row->year >= c->y0 &&
           row->year <= c->y1 && rule_where_ok(c->r, row->ind, row->dim) && rule_usable(row) &&
           !(c->r->min_n > 0 && !(row->n >= c->r->min_n));
}

struct rule_item *rule_row_item(struct rule_eval *c, const struct ind_row *row)
{
    char *key = rule_proc_key(row->ind, row->dim);
    struct rule_item *x = rule_item_new(c->items, row->unit, key, row->ind, row->year);
    free(key);
    x->ev.what = rule_what(c->r, row->ind, row->dim);
    x->ev.value = row->value;
    x->ev.n = row->n;
    const struct ind_row *dr = rule_index_find(c->ix, row->ind, IND_DISTRICT, "", row, row->year);
    x->ev.ref = rule_usable(dr) ? dr->value : NAN;
    return x;
}

/* ==== the whole evaluation ================================================================= */

/* The first and last years with data for the rule (0 0: none). */
static void data_years(const struct rule *r, const struct rules_input *in, int *lo, int *hi)
{
    int a = 0, b = 0;
#define SEEN(y) do { int y_ = (y); if (!a || y_ < a) a = y_; if (y_ > b) b = y_; } while (0)
    unsigned f = r->kind->flags;
    if (f & RK_WORKS)
        for (size_t i = 0; in->works && i < in->works->n; i++) SEEN(in->works->v[i].year);
    if (f & RK_CONTEXT)
        for (size_t i = 0; i < in->nctx; i++)
            if (in->ctx_model[i] == r->model)
                for (size_t k = 0; k < in->ctx[i]->n; k++)
                    for (int q = 0; q < in->ctx[i]->v[k].nyears; q++)
                        if (isfinite(in->ctx[i]->v[k].resid[q])) SEEN(in->ctx[i]->v[k].years[q]);
    if (f & RK_INDICATORS)
        for (size_t i = 0; i < in->res->n; i++) {
            const struct ind_row *row = &in->res->v[i];
            if (row->level == IND_SCHOOL && rule_usable(row) && rule_has_ind(r, row->ind))
                SEEN(row->year);
        }
#undef SEEN
    *lo = a;
    *hi = b;
}

/* The rule's window: --years FROM-TO as given; a single year or an open start is the
 * window's end, and the window is the rule's `window` years up to it (not before the
 * first year with data); an open end is the last year with data. */
static void rule_window(const struct rule *r, const struct rules_input *in,
                        const struct rules_opts *o, int *y0, int *y1)
{
    int lo, hi;
    data_years(r, in, &lo, &hi);
    int a = o ? o->y0 : 0, b = o ? o->y1 : 0;
    if (a && b && a < b) {
        *y0 = a;
        *y1 = b;
        return;
    }
    *y1 = b ? b : hi;
    *y0 = a && !b ? a : *y1 - r->window + 1;
    if (!(a && !b) && lo && *y0 < lo && lo <= *y1) *y0 = lo;
}

static void flags_push(struct rule_flags *f, const struct rule_flag *x)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 32;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = *x;
}

void rules_eval(const struct rule_set *rs, const struct rules_input *in,
                const struct rules_opts *o, struct rule_flags *out)
{
    struct rule_index ix;
    struct ind_results empty = IND_RESULTS_INIT;
    struct rules_input inp = *in;
    if (!inp.res) inp.res = &empty;
    rule_index_build(&ix, inp.res);
    struct rule_flags *per = xcalloc(rs->n + 1, sizeof *per);
    /* rules that read other rules' flags last */
    for (int pass = 0; pass < 2; pass++)
        for (size_t ri = 0; ri < rs->n; ri++) {
            const struct rule *r = &rs->v[ri];
            if (((r->kind->flags & RK_FLAGS) != 0) != pass) continue;
            if (r->kind->flags & RK_TASKS) continue;     /* tasks.c's, not the schools' */
            int y0, y1;
            rule_window(r, &inp, o, &y0, &y1);
            if (y1 <= 0 || y0 > y1) continue;
            if (y1 - y0 + 1 > ANA_MAX_YEARS) y0 = y1 - ANA_MAX_YEARS + 1;
            struct rule_items it = {0};
            struct rule_eval c = {r, &inp, &ix, y0, y1, &it};
            const char **allowed = NULL;
            size_t nallowed = 0;
            if (r->kind->flags & RK_FLAGS) {
                for (int q = 0; q < r->ndeps; q++) {
                    const struct rule *dep = rules_find(rs, r->deps[q]);
                    const struct rule_flags *df = dep ? &per[dep - rs->v] : NULL;
                    for (size_t k = 0; df && k < df->n; k++) {
                        allowed = xrealloc(allowed, (nallowed + 1) * sizeof *allowed);
                        allowed[nallowed++] = df->v[k].school_id;
                    }
                }
                if (!allowed) allowed = xmalloc(sizeof *allowed);
            }
            r->kind->evaluate(&c);
            rule_decide(r, &it, y0, y1, &inp, allowed, nallowed, &per[ri]);
            free(allowed);
            rule_items_free(&it);
        }
    for (size_t ri = 0; ri < rs->n; ri++) {
        for (size_t k = 0; k < per[ri].n; k++) {
            if (o && o->school && !rule_str_eq(o->school, per[ri].v[k].school_id)) {
                rule_flag_free(&per[ri].v[k]);
                continue;
            }
            flags_push(out, &per[ri].v[k]);
        }
        free(per[ri].v);
    }
    free(per);
    free(ix.v);
}

void rule_flags_free(struct rule_flags *f)
{
    for (size_t i = 0; i < f->n; i++) rule_flag_free(&f->v[i]);
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* ==== with a store ========================================================================= */

/* What rules_run (and the calibration) read from the store, once. */
struct rules_data {
    struct ind_results res;
    size_t nctx, nfac;
    const struct ana_model **models;
    struct ana_context *ctx;
    const struct ana_context **ctxp;
    struct ind_results *ctxres;
    const char **fnames;
    struct ind_factors *facs;
    size_t cap_fac;
    struct store_works works;
    struct store_names names;
    struct rules_input in;
};

static void rules_data_free(struct rules_data *D, const struct rule_set *rs)
{
    store_names_free(&D->names);
    store_works_free(&D->works);
    for (size_t i = 0; i < D->cap_fac; i++)
        if (D->facs[i].v || D->facs[i].arena) ind_factors_free(&D->facs[i]);
    free(D->facs);
    free(D->fnames);
    for (size_t i = 0; i < rs->n + 1; i++) {
        ana_context_free(&D->ctx[i]);
        ind_results_free(&D->ctxres[i]);
    }
    free(D->ctx);
    free(D->ctxp);
    free(D->ctxres);
    free(D->models);
    ind_results_free(&D->res);
}

static int rules_data_read(const struct rule_set *rs, struct ind_set *s, const struct rules_opts *o,
                           struct rules_data *D, struct soko_diag *d)
{
    memset(D, 0, sizeof *D);
    int rc = SOKO_OK;
    D->res = (struct ind_results)IND_RESULTS_INIT;
    /* every indicator the rules name, once; the year before the window for changes */
    const struct indicator **done = xmalloc((rs->n * 2 * RULES_MAX_INDICATORS + 1) * sizeof *done);
    size_t ndone = 0;
    /* a range: from the year before it (changes); otherwise every year up to the end */
    int ey0 = o && o->y0 && o->y1 && o->y0 < o->y1 ? o->y0 - 1 : 0, ey1 = o ? o->y1 : 0;
    for (size_t i = 0; i < rs->n && !rc; i++) {
        const struct rule *r = &rs->v[i];
        for (int pass = 0; pass < 2 && !rc; pass++)
            for (int k = 0; k < (pass ? r->nconfirm : r->nind) && !rc; k++) {
                const struct indicator *ind = pass ? r->confirm[k] : r->ind[k];
                int seen = 0;
                for (size_t q = 0; q < ndone; q++) seen |= done[q] == ind;
                if (seen) continue;
                done[ndone++] = ind;
            }
    }
    /* in that order; consecutive ones of one form, filter and breakdown in one query */
    rc = ind_evaluate_results(s, done, ndone, ey0, ey1, &D->res, d);
    free(done);

    /* context models of residual rules, and the factors their conditions read */
    D->models = xmalloc((rs->n + 1) * sizeof *D->models);
    D->ctx = xcalloc(rs->n + 1, sizeof *D->ctx);
    D->ctxp = xmalloc((rs->n + 1) * sizeof *D->ctxp);
    D->ctxres = xcalloc(rs->n + 1, sizeof *D->ctxres);
    D->cap_fac = rs->n * RULES_MAX_CTX_IF + 1;
    D->fnames = xmalloc(D->cap_fac * sizeof *D->fnames);
    D->facs = xcalloc(D->cap_fac, sizeof *D->facs);
    for (size_t i = 0; i < rs->n && !rc; i++) {
        const struct rule *r = &rs->v[i];
        if (!(r->kind->flags & RK_CONTEXT)) continue;
        int seen = 0;
        for (size_t q = 0; q < D->nctx; q++) seen |= D->models[q] == r->model;
        if (!seen) {
            struct ana_window w = {o && o->y0 < o->y1 ? o->y0 : 0, o ? o->y1 : 0, r->window};
            if (w.y0 == 0 && w.y1 == 0) w.len = r->window;
            else if (w.y0 == 0) w.len = 0;
            D->models[D->nctx] = r->model;
            D->ctxp[D->nctx] = &D->ctx[D->nctx];
            rc = ana_context_eval(s, r->model, &w, &D->ctxres[D->nctx], &D->ctx[D->nctx], d);
            D->nctx++;
        }
        for (int q = 0; q < r->nctx_if && !rc; q++) {
            int fs = 0;
            for (size_t z = 0; z < D->nfac; z++) fs |= strcmp(D->fnames[z], r->ctx_if[q].factor) == 0;
            if (fs) continue;
            D->fnames[D->nfac] = r->ctx_if[q].factor;
            rc = ind_factor_values(s, r->ctx_if[q].factor, 0, o ? o->y1 : 0, &D->facs[D->nfac], d);
            D->nfac++;
        }
    }

    int need_works = 0;
    for (size_t i = 0; i < rs->n; i++) need_works |= (rs->v[i].kind->flags & RK_WORKS) != 0;
    if (!rc && need_works) rc = store_read_works(s->db, 0, o ? o->y1 : 0, &D->works, d);
    if (!rc) rc = store_names_read(s->db, &D->names, d);

    memset(&D->in, 0, sizeof D->in);
    D->in.res = &D->res;
    D->in.works = &D->works;
    D->in.nctx = D->nctx;
    D->in.ctx_model = D->models;
    D->in.ctx = D->ctxp;
    D->in.factors = D->facs;
    D->in.ctx_factor_names = D->fnames;
    D->in.nfactors = D->nfac;
    D->in.school_ids = (const char *const *)D->names.ids;
    D->in.school_names = (const char *const *)D->names.names;
    D->in.nschools = D->names.n;
    return rc;
}

int rules_run(const struct rule_set *rs, struct ind_set *s, const struct rules_opts *o,
              struct rule_flags *out, struct soko_diag *d)
{
    struct rules_data D;
    int rc = rules_data_read(rs, s, o, &D, d);
    if (!rc) rules_eval(rs, &D.in, o, out);
    rules_data_free(&D, rs);
    return rc;
}

/* The overdispersion estimates and the context fits of data D read for rs. */
static void methods_of(const struct rule_set *rs, const struct rules_data *D,
                       const struct rules_opts *o, struct rules_methods *out)
{
    for (size_t ri = 0; ri < rs->n; ri++) {
        const struct rule *r = &rs->v[ri];
        if (!(r->kind->flags & RK_OD) || !r->overdispersion) continue;
        int y0, y1;
        rule_window(r, &D->in, o, &y0, &y1);
        if (y1 > 0) rule_od_cells(r, &D->in, y1, y1, out);
    }
    for (size_t i = 0; i < D->nctx; i++) {
        const struct ana_context *cx = &D->ctx[i];
        int last = 0;
        for (size_t k = 0; k < cx->nfits; k++)
            if (cx->fits[k].year > last) last = cx->fits[k].year;
        for (size_t k = 0; k < cx->nfits; k++) {
            const struct ana_ctx_fit *f = &cx->fits[k];
            if (f->year != last) continue;
            struct rules_fit x;
            memset(&x, 0, sizeof x);
            x.model = D->models[i];
            x.year = f->year;
            struct sbuf w = SBUF_INIT;
            for (int q = 0; q < IND_MAX_DIMS; q++)
                if (f->dim[q] && *f->dim[q]) sbuf_printf(&w, "%s%s", w.len ? ", " : "", f->dim[q]);
            if (!w.len) sbuf_adds(&w, "все предметы");
            x.what = sbuf_take(&w);
            x.nschools = f->nschools;
            x.ncoef = f->ncoef;
            for (int q = 0; q < f->ncoef && q <= ANA_MAX_FACTORS; q++) {
                x.coef[q] = f->coef[q];
                x.se[q] = f->se[q];
                x.p[q] = f->p[q];
            }
            x.r2 = f->r2;
            x.sigma = f->sigma;
            x.df = f->df;
            out->fits = xrealloc(out->fits, (out->nfits + 1) * sizeof *out->fits);
            out->fits[out->nfits++] = x;
        }
    }
}

int rules_run_methods(const struct rule_set *rs, struct ind_set *s, const struct rules_opts *o,
                      struct rule_flags *flags, struct rules_methods *methods,
                      struct soko_diag *d)
{
    struct rules_data D;
    memset(methods, 0, sizeof *methods);
    int rc = rules_data_read(rs, s, o, &D, d);
    if (!rc) rules_eval(rs, &D.in, o, flags);
    if (!rc) methods_of(rs, &D, o, methods);
    rules_data_free(&D, rs);
    return rc;
}

void rules_methods_free(struct rules_methods *m)
{
    for (size_t i = 0; i < m->nod; i++) free(m->od[i].what);
    for (size_t i = 0; i < m->nfits; i++) free(m->fits[i].what);
    free(m->od);
    free(m->fits);
    memset(m, 0, sizeof *m);
}

int rules_calibrate_run(const struct rule_set *rs, struct ind_set *s,
                        const struct rules_opts *o, unsigned runs, unsigned long seed,
                        struct rules_calibs *out, struct soko_diag *d)
{
    struct rules_data D;
    memset(out, 0, sizeof *out);
    int rc = rules_data_read(rs, s, o, &D, d);
    if (!rc) rules_calibrate(rs, &D.in, o, runs, seed, out);
    rules_data_free(&D, rs);
    return rc;
}
