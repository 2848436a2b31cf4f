/*
 * rules_kinds.c — the rule kinds: one descriptor each (rule_kinds[] at the end), with
 * its keys, its evaluation over a window, its rank key and its evidence and
 * condition in words. The methods, with their reasons, are in docs/rules.md.
 *
 * Every kind appends items (rules_int.h): one per school, procedure and year (or per
 * procedure over the window), with whether its condition holds and, when the kind
 * tests, the one-sided p-value of the school's figure being beyond chance in the
 * rule's direction. rules_decide.c does the rest.
 */
#include "rules_int.h"

#include "stats.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

static const char *const ops[] = {"<", "<=", ">", ">=", NULL};
static const char *const sides[] = {"good", "bad", NULL};
static const char *const yesno[] = {"yes", "no", NULL};
static const char *const limits[] = {"95", "99.8", NULL};
static const char *const marks[] = {"3", "4", "5", NULL};

#define K_INDICATORS {"indicators", DF_IDLIST, DF_REQUIRED, 1, RULES_MAX_INDICATORS, NULL, \
                      N_("a comma-separated list of indicator ids (at most 8)")}
#define K_SIDE {"side", DF_CHOICE, DF_REQUIRED, 0, 0, sides, NULL}
#define K_LIMIT {"limit", DF_CHOICE, DF_REQUIRED, 0, 0, limits, \
                 N_("95 or 99.8 (the funnel's control limits, %)")}
#define K_BOUND {"bound", DF_REAL, DF_REQUIRED, 0, 50, NULL, N_("a bound from 0 to 50, e.g. 3.09")}
#define K_ALPHA(fl) {"alpha", DF_REAL, (fl) | DF_LO_OPEN | DF_HI_OPEN, 0, 1, NULL, \
                     N_("a significance level between 0 and 1, e.g. 0.001")}
#define K_OD {"overdispersion", DF_CHOICE, 0, 0, 0, yesno, NULL}
#define K_END {NULL, 0, 0, 0, 0, NULL, NULL}

/* ==== helpers ============================================================================ */

static int lower_better(const struct indicator *ind)
{
    return ind && ind->lower_is_better;
}

/* The tail of a funnel limit: 99.8 → 0.001, 95 → 0.025 (one side of a two-sided limit). */
static double limit_tail(double limit)
{
    return (1.0 - limit / 100.0) / 2.0;
}

/* The p-value of vs on the rule's side: side +1 is the better direction. */
static double side_p(const struct ana_vs *vs, int side, int lb)
{
    int upper = side > 0 ? !lb : lb;
    return upper ? vs->p_hi : vs->p_lo;
}

/* Every school of the results as one pseudo-cluster, so that ana_compare gives each
 * school its position against the district. */
static void all_schools(const struct ind_results *res, struct ind_members *m)
{
    memset(m, 0, sizeof *m);
    m->v = xmalloc((res->n + 1) * sizeof *m->v);
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *row = &res->v[i];
        if (row->level != IND_SCHOOL) continue;
        int seen = 0;
        for (size_t q = m->n; q-- > 0 && !seen;) seen = rule_str_eq(m->v[q].school_id, row->unit);
        if (seen) continue;
        m->v[m->n].cluster_id = "\001all";
        m->v[m->n].school_id = row->unit;
        m->v[m->n].role = "";
        m->n++;
    }
}

/* The drawn funnel limit crossed in the rule's direction. */
static double crossed_limit(const struct ana_vs *vs, double limit, int good, int lb)
{
    int upper = good ? !lb : lb;
    if (limit == 99.8) return upper ? vs->funnel.hi998 : vs->funnel.lo998;
    return upper ? vs->funnel.hi95 : vs->funnel.lo95;
}

static char *od_text(const struct ana_vs *vs)
{
    if (!vs->od.used) return NULL;
    char *phi = rule_ru_num(vs->od.phi, 2), *tau = rule_ru_num(sqrt(vs->od.tau2), 2);
    char *s = xasprintf("сверхдисперсия района φ = %s, τ = %s учтена", phi, tau);
    free(phi);
    free(tau);
    return s;
}

static double score_p(const struct rule_flag *f)
{
    if (isfinite(f->p)) return -log10(f->p > 1e-300 ? f->p : 1e-300);
    return (double)f->nproc;
}

static double score_nproc(const struct rule_flag *f)
{
    return (double)f->nproc;
}

static char *cond_control(const struct rule *r, char *cond)
{
    char *ctl = rule_control_text(r);
    char *s = xasprintf("%s; %s", cond, ctl);
    free(cond);
    free(ctl);
    return s;
}

/* "окно 3 года": the window in words, with the Russian agreement of the count */
static const char *window_words(int w)
{
    static char buf[4][32];
    static int k;
    int m = w % 100, d = m % 10;
    const char *u = m >= 11 && m <= 14 ? "лет" : d == 1 ? "год" : d >= 2 && d <= 4 ? "года" : "лет";
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "окно %d %s", w, u);
    return buf[k];
}

static const char *side_word(int side)
{
    return side > 0 ? "в лучшую сторону" : "в худшую сторону";
}

/* ==== threshold ========================================================================== */

/* With alpha: the share (or mean) must be beyond the threshold by a test, not by
 * chance: one-sided exact binomial P(X >= k | n, threshold) for > and >=, P(X <= k)
 * for < and <=; a mean by the normal with its own SD. */
static double threshold_p(const struct rule *r, const struct ind_row *row)
{
    int up = r->op == OP_GT || r->op == OP_GE;
    if (row->ind->kind == IND_SHARE) {
        double p0 = r->value / 100.0, k = row->num, n = row->den;
        if (!(n >= 1 && k >= 0 && k <= n && k == floor(k) && n == floor(n))) return NAN;
        if (p0 <= 0) return up ? (k > 0 ? 0.0 : 1.0) : 1.0;
        if (p0 >= 1) return up ? 1.0 : (k < n ? 0.0 : 1.0);
        if (up) return k >= 1 ? gsl_cdf_binomial_Q((unsigned)k - 1, p0, (unsigned)n) : 1.0;
        return gsl_cdf_binomial_P((unsigned)k, p0, (unsigned)n);
    }
    if (row->ind->kind == IND_MEAN && isfinite(row->sd) && row->sd > 0 && row->n > 0) {
        double z = (row->value - r->value) / (row->sd / sqrt(row->n));
        return up ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
    }
    return NAN;
}

static void threshold_eval(struct rule_eval *c)
{
    const struct rule *r = c->r;
    const struct ind_results *res = c->in->res;
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *row = &res->v[i];
        if (!rule_row_in(c, row)) continue;
        struct rule_item *x = rule_row_item(c, row);
        x->ok = rule_op_holds(row->value, r->op, r->value);
        x->ev.limit = r->value;
        char *t = rule_ru_num(r->value, 2);
        if (isfinite(r->alpha)) {
            x->p = threshold_p(r, row);
            x->ev.p = x->p;
            x->ok = x->ok && isfinite(x->p) && x->p < r->alpha;
            char *pp = rule_ru_p(x->p);
            x->ev.detail = xasprintf("условие: %s %s, точный критерий: %s", rule_op_text(r->op),
                                     t, pp);
            free(pp);
        } else
            x->ev.detail = xasprintf("условие: %s %s", rule_op_text(r->op), t);
        free(t);
    }
}

static size_t threshold_check(struct rule *r, const struct deffile *df, const struct deffile_sec *s,
                              struct soko_diag *d)
{
    if (r->control != CONTROL_NONE && !isfinite(r->alpha)) {
        deffile_bad(d, df, s, deffile_kv(s, "control"), NULL,
                    "%s", _("none without alpha: a bare threshold has no test to control"));
        return 1;
    }
    return 0;
}

static char *threshold_cond(const struct rule *r)
{
    char *v = rule_ru_num(r->value, 2);
    char *s;
    if (isfinite(r->alpha)) {
        char *a = rule_ru_num(r->alpha, 4);
        s = xasprintf("значение %s %s, подтверждённое точным критерием (p < %s); %s",
                      rule_op_text(r->op), v, a, window_words(r->window));
        free(a);
        s = cond_control(r, s);
    } else
        s = cond_control(r, xasprintf("значение %s %s; %s", rule_op_text(r->op), v,
                                      window_words(r->window)));
    free(v);
    return s;
}

static const struct deffile_key threshold_keys[] = {
    K_INDICATORS,
    {"op", DF_CHOICE, DF_REQUIRED, 0, 0, ops, NULL},
    {"value", DF_REAL, DF_REQUIRED, -1e300, 1e300, NULL, N_("a number")},
    K_ALPHA(0),
    K_END,
};

/* ==== funnel, z, unconfirmed: the school against the district ============================== */

/* Is the school's result in the confirming indicators (same subject, year) on the good
 * side of the district? -1 when there is no confirming figure, 0 or 1; the figures go
 * to *detail. */
static int confirmed(struct rule_eval *c, const struct ind_row *row, char **detail)
{
    int found = 0, any = 0;
    struct sbuf b = SBUF_INIT;
    for (int q = 0; q < c->r->nconfirm; q++) {
        const struct indicator *ci = c->r->confirm[q];
        const struct ind_row *sr = rule_index_find(c->ix, ci, IND_SCHOOL, row->unit, row, row->year);
        const struct ind_row *dr = rule_index_find(c->ix, ci, IND_DISTRICT, "", row, row->year);
        if (!rule_usable(sr) || !rule_usable(dr)) continue;
        if (c->r->min_n > 0 && !(sr->n >= c->r->min_n)) continue;
        found = 1;
        double diff = (sr->value - dr->value) * (lower_better(ci) ? -1.0 : 1.0);
        if (diff > 0) any = 1;
        char *a = rule_ru_num(sr->value, 2), *z = rule_ru_num(dr->value, 2);
        sbuf_printf(&b, "%s%s: %s при районе %s", b.len ? "; " : "", ci->title, a, z);
        free(a);
        free(z);
    }
    *detail = b.len ? sbuf_take(&b) : NULL;
    sbuf_free(&b);
    return found ? any : -1;
}

static int cmp_row_cmp(const void *pa, const void *pb)
{
    const struct ana_compare *a = *(const struct ana_compare *const *)pa;
    const struct ana_compare *b = *(const struct ana_compare *const *)pb;
    return (uintptr_t)a->row < (uintptr_t)b->row ? -1 : (uintptr_t)a->row > (uintptr_t)b->row;
}

/* The comparison of a row (by its address), or NULL. */
static const struct ana_compare *cmp_of_row(const struct ana_compare *const *byrow, size_t n,
                                            const struct ind_row *row)
{
    struct ana_compare key;
    key.row = row;
    const struct ana_compare *kp = &key;
    const struct ana_compare *const *hit = bsearch(&kp, byrow, n, sizeof *byrow, cmp_row_cmp);
    return hit ? *hit : NULL;
}

/* unconfirmed: the school's standing in the confirming procedures (same subject and
 * year), z against the district in the better direction; the highest of them (the
 * most favourable confirmation), with the sampling share of its variance in *f. NaN
 * when none has a z. */
static double confirm_z(struct rule_eval *c, const struct rule_index *ix, const struct ind_row *row,
                        const struct ana_compare *const *byrow, size_t n, double *f)
{
    double best = NAN;
    *f = 1.0;
    for (int q = 0; q < c->r->nconfirm; q++) {
        const struct indicator *ci = c->r->confirm[q];
        const struct ind_row *sr = rule_index_find(ix, ci, IND_SCHOOL, row->unit, row, row->year);
        const struct ana_compare *e = sr ? cmp_of_row(byrow, n, sr) : NULL;
        if (!e || !isfinite(e->vs_district.z_adj)) continue;
        double z = (lower_better(ci) ? -1.0 : 1.0) * e->vs_district.z_adj;
        if (!isfinite(best) || z > best) {
            best = z;
            double r = e->vs_district.se_sampling / e->vs_district.se;
            *f = isfinite(r) ? r * r : 1.0;
        }
    }
    return best;
}

/* funnel, z and unconfirmed read the same comparison: one ana_compare of every school
 * against the district (without the school), with the district's overdispersion. */
static void compare_eval(struct rule_eval *c, int mode)
{
    enum { M_FUNNEL, M_Z, M_UNCONFIRMED };
    /* only the rows of the rule's indicators (and the confirming ones) */
    const struct ind_results *all = c->in->res;
    struct ind_results mine = {xmalloc((all->n + 1) * sizeof *mine.v), 0, 0, NULL};
    for (size_t i = 0; i < all->n; i++) {
        int keep = rule_has_ind(c->r, all->v[i].ind);
        for (int q = 0; q < c->r->nconfirm && !keep; q++) keep = c->r->confirm[q] == all->v[i].ind;
        if (keep) mine.v[mine.n++] = all->v[i];
    }
    mine.cap = mine.n;
    struct ind_members m;
    all_schools(&mine, &m);
    struct ana_compare_opts o;
    memset(&o, 0, sizeof o);
    o.window.y0 = c->y0;
    o.window.y1 = c->y1;
    o.no_overdispersion = !c->r->overdispersion;
    o.no_eb = 1;
    struct ana_compares cmp = {0};
    ana_compare(&mine, &m, "\001all", &o, &cmp);
    struct rule_index mix;             /* the compared rows: comparisons point at them */
    rule_index_build(&mix, &mine);
    const struct ana_compare **byrow = xmalloc((cmp.n + 1) * sizeof *byrow);
    for (size_t i = 0; i < cmp.n; i++) byrow[i] = &cmp.v[i];
    qsort(byrow, cmp.n, sizeof *byrow, cmp_row_cmp);
    const struct rule *r = c->r;
    int side = mode == M_UNCONFIRMED ? 1 : r->side;
    double tail = mode == M_Z ? gsl_cdf_ugaussian_Q(r->bound) : limit_tail(r->limit);
    /* unconfirmed: how far a school's ВПР and ГИА standings differ among the district's
       schools, per cell (indicator, year, breakdown): honest schools' two standings go
       together, so their differences vary less than two independent z; the robust
       (winsorised, consistent) variance of the differences of the cell, never below
       what sampling alone gives, is the school's yardstick */
    double *dvar = xcalloc(cmp.n + 1, sizeof *dvar), *dd = NULL, *ds = NULL;
    for (size_t i = 0; mode == M_UNCONFIRMED && i < cmp.n; i++) dvar[i] = NAN;
    for (size_t i = 0; mode == M_UNCONFIRMED && i < cmp.n; i++) {
        const struct ana_compare *e = &cmp.v[i];
        if (!isnan(dvar[i]) || !rule_row_in(c, e->row)) continue;
        size_t nd = 0;
        dd = xrealloc(dd, (cmp.n + 1) * sizeof *dd);
        ds = xrealloc(ds, (cmp.n + 1) * sizeof *ds);
        size_t *who = xmalloc((cmp.n + 1) * sizeof *who), nw = 0;
        for (size_t j = i; j < cmp.n; j++) {
            const struct ana_compare *q = &cmp.v[j];
            if (q->row->ind != e->row->ind || q->row->year != e->row->year) continue;
            int same = 1;
            for (int k = 0; same && k < IND_MAX_DIMS; k++) same = rule_str_eq(q->row->dim[k], e->row->dim[k]);
            if (!same || !rule_row_in(c, q->row)) continue;
            who[nw++] = j;
            double f, zc = confirm_z(c, &mix, q->row, byrow, cmp.n, &f);
            double zv = (lower_better(q->row->ind) ? -1.0 : 1.0) * q->vs_district.z_adj;
            if (isfinite(zc) && isfinite(zv)) {
                dd[nd] = (zv - zc) / sqrt(2.0);
                ds[nd] = 1.0;
                nd++;
            }
        }
        struct stats_od_opts opt = STATS_OD_OPTS_DEFAULT;
        struct stats_od od;
        double phi = nd >= ANA_OD_MIN_UNITS && stats_overdispersion(dd, ds, nd, &opt, &od) == STATS_OK
                         ? od.phi : 1.0;
        for (size_t k = 0; k < nw; k++) dvar[who[k]] = 2.0 * phi;
        free(who);
    }
    free(dd);
    free(ds);
    for (size_t i = 0; i < cmp.n; i++) {
        const struct ana_compare *e = &cmp.v[i];
        const struct ind_row *row = e->row;
        if (!rule_row_in(c, row)) continue;
        const struct ana_vs *vs = &e->vs_district;
        int lb = lower_better(row->ind);
        double p = side_p(vs, side, lb);
        if (!isfinite(p)) continue;
        char *detail = NULL;
        int conf = 0;
        if (mode == M_UNCONFIRMED) {
            conf = confirmed(c, row, &detail);
            if (conf < 0) {
                free(detail);
                continue;
            }
        }
        struct rule_item *x = rule_row_item(c, row);
        x->ev.ref = vs->ref_value;
        x->ev.stat = vs->z_adj;
        x->ev.p = p;
        x->p = p;
        x->ok = p < tail;
        if (mode == M_UNCONFIRMED) {
            /* the test: ВПР stands higher than the state exams confirm — the school's
               ВПР z against its best confirming z, one-sided, by the district's
               variance of those differences (at least sampling's: the sampling shares
               of the two z) */
            double fc, zc = confirm_z(c, &mix, row, byrow, cmp.n, &fc);
            double zv = (lb ? -1.0 : 1.0) * vs->z_adj;
            double fv = vs->se_sampling / vs->se;
            fv = isfinite(fv) ? fv * fv : 1.0;
            double var = isfinite(dvar[i]) ? fmax(dvar[i], fv + fc) : 2.0;
            double dz = (zv - zc) / sqrt(var);
            double pd = isfinite(zc) ? gsl_cdf_ugaussian_Q(dz) : 1.0;
            /* "high in ВПР": beyond the limit by sampling (the plain z against the
               district); how unusual the school is among schools is the discrepancy's
               test, not this condition's */
            double zp = (lb ? -1.0 : 1.0) * vs->z;
            x->ok = isfinite(zp) && gsl_cdf_ugaussian_Q(zp) < tail && !conf;
            x->p = conf ? 1.0 : pd;
            x->ev.p = x->p;
            if (isfinite(zc)) {
                char *zs = rule_ru_num(zc, 2), *dzs = rule_ru_num(dz, 2);
                char *t = xasprintf("%s; z по ГИА %s, расхождение %s (в разбросе расхождений "
                                    "по району)", detail ? detail : "", zs, dzs);
                free(detail);
                free(zs);
                free(dzs);
                detail = t;
            }
        }
        if (mode == M_Z) {
            double zo = (lb ? -1.0 : 1.0) * vs->z_adj;
            x->ok = isfinite(zo) && side * zo >= r->bound;
            x->ev.limit = r->bound;
        } else
            x->ev.limit = crossed_limit(vs, r->limit, side > 0, lb);
        char *od = od_text(vs);
        if (detail && od) {
            x->ev.detail = xasprintf("%s; %s", detail, od);
            free(detail);
            free(od);
        } else
            x->ev.detail = detail ? detail : od;
    }
    free(dvar);
    free(byrow);
    free(mix.v);
    ana_compares_free(&cmp);
    free(m.v);
    free(mine.v);
}

void rule_od_cells(const struct rule *r, const struct rules_input *in, int y0, int y1,
                   struct rules_methods *out)
{
    const struct ind_results *all = in->res;
    struct ind_results mine = {xmalloc((all->n + 1) * sizeof *mine.v), 0, 0, NULL};
    for (size_t i = 0; i < all->n; i++)
        if (rule_has_ind(r, all->v[i].ind)) mine.v[mine.n++] = all->v[i];
    mine.cap = mine.n;
    struct ind_members m;
    all_schools(&mine, &m);
    struct ana_compare_opts o;
    memset(&o, 0, sizeof o);
    o.window.y0 = y0;
    o.window.y1 = y1;
    o.no_overdispersion = !r->overdispersion;
    o.no_eb = 1;
    struct ana_compares cmp = {0};
    ana_compare(&mine, &m, "\001all", &o, &cmp);
    size_t first = out->nod;
    for (size_t i = 0; i < cmp.n; i++) {
        const struct ana_compare *e = &cmp.v[i];
        if (e->row->level != IND_SCHOOL || !e->vs_district.od.units) continue;
        char *what = rule_what(r, e->row->ind, e->row->dim);
        int seen = 0;
        for (size_t k = first; k < out->nod && !seen; k++)
            seen = out->od[k].ind == e->row->ind && out->od[k].year == e->row->year &&
                   strcmp(out->od[k].what, what) == 0;
        if (seen) {
            free(what);
            continue;
        }
        const struct ana_od *od = &e->vs_district.od;
        out->od = xrealloc(out->od, (out->nod + 1) * sizeof *out->od);
        out->od[out->nod++] = (struct rules_od_cell){r, e->row->ind, e->row->year, what,
                                                     od->units, od->phi, od->phi_p, od->tau2,
                                                     od->used, od->method};
    }
    ana_compares_free(&cmp);
    free(m.v);
    free(mine.v);
}

static void funnel_eval(struct rule_eval *c) { compare_eval(c, 0); }
static void z_eval(struct rule_eval *c) { compare_eval(c, 1); }
static void unconfirmed_eval(struct rule_eval *c) { compare_eval(c, 2); }

static char *od_cond(const struct rule *r)
{
    return xstrdup(r->overdispersion ? "с учётом сверхдисперсии (случайный эффект ОО)"
                                     : "без учёта сверхдисперсии");
}

static char *funnel_cond(const struct rule *r)
{
    char *l = rule_ru_num(r->limit, 1), *od = od_cond(r);
    char *s = xasprintf("за контрольной границей %s  %% (%s), точный односторонний "
                        "критерий против района без самой ОО, %s; %s", l,
                        side_word(r->side), od, window_words(r->window));
    free(l);
    free(od);
    return cond_control(r, s);
}

static char *z_cond(const struct rule *r)
{
    char *b = rule_ru_num(r->bound, 2), *od = od_cond(r);
    char *s = xasprintf("z ≥ %s (%s), %s; %s", b, side_word(r->side), od,
                        window_words(r->window));
    free(b);
    free(od);
    return cond_control(r, s);
}

static char *unconfirmed_cond(const struct rule *r)
{
    char *l = rule_ru_num(r->limit, 1), *od = od_cond(r);
    char *s = xasprintf("выше контрольной границы %s %%, %s, при результатах подтверждающих "
                        "процедур не выше районных; %s", l, od, window_words(r->window));
    free(l);
    free(od);
    return cond_control(r, s);
}

static const struct deffile_key funnel_keys[] = {K_INDICATORS, K_SIDE, K_LIMIT, K_OD, K_END};
static const struct deffile_key z_keys[] = {K_INDICATORS, K_SIDE, K_BOUND, K_OD, K_END};
static const struct deffile_key unconfirmed_keys[] = {
    K_INDICATORS,
    {"confirm", DF_IDLIST, DF_REQUIRED, 1, RULES_MAX_INDICATORS, NULL,
     N_("a comma-separated list of indicator ids (at most 8)")},
    K_LIMIT, K_OD, K_END,
};

/* ==== trend ============================================================================== */

static void trend_eval(struct rule_eval *c)
{
    const struct rule *r = c->r;
    struct ana_trend_opts o;
    memset(&o, 0, sizeof o);
    o.window.y0 = c->y0;
    o.window.y1 = c->y1;
    o.alpha = r->alpha;
    o.level_mask = 1 << IND_SCHOOL | 1 << IND_DISTRICT;
    o.only = r->ind;             /* the rule's indicators, not every one the rules read */
    o.nonly = (size_t)r->nind;
    struct ana_trends t = {0};
    ana_trends(c->in->res, &o, &t);
    /* the district's trends with a test, in the order of t: the references looked up
       for every school's (a search of them, not of every trend) */
    const struct ana_trend **dts = xmalloc((t.n + 1) * sizeof *dts);
    size_t ndts = 0;
    for (size_t q = 0; q < t.n; q++)
        if (t.v[q].level == IND_DISTRICT && t.v[q].has_test) dts[ndts++] = &t.v[q];
    for (size_t i = 0; i < t.n; i++) {
        const struct ana_trend *x = &t.v[i];
        if (x->level != IND_SCHOOL) continue;
        if (!rule_has_ind(r, x->ind) || !rule_where_ok(r, x->ind, x->dim)) continue;
        if (x->label == STATS_TREND_NOT_ENOUGH_DATA || x->npoints < 2) continue;
        int small = 0;
        for (size_t k = 0; k < x->npoints; k++)
            if (r->min_n > 0 && !(x->rows[k]->n >= r->min_n)) small = 1;
        if (small) continue;
        const struct ind_row *last = x->rows[x->npoints - 1];
        char *key = rule_proc_key(x->ind, x->dim);
        struct rule_item *it = rule_item_new(c->items, x->unit, key, x->ind, last->year);
        free(key);
        it->ev.what = rule_what(r, x->ind, x->dim);
        it->ev.value = last->value;
        it->ev.n = last->n;
        const struct ind_row *dr = rule_index_find(c->ix, x->ind, IND_DISTRICT, "", last, last->year);
        it->ev.ref = rule_usable(dr) ? dr->value : NAN;
        it->ev.stat = x->change_good;
        it->ev.limit = r->alpha;
        /* one-sided p in the rule's direction, from the test with the between-year
           variance; against the district: the school's slope beyond the district's
           slope of the same indicator and breakdown (the district's line is the
           reference, as its value is in a funnel) */
        int lb = lower_better(x->ind);
        double z = x->test_z, bd = NAN;
        if (r->against_district && x->has_test) {
            const struct ana_trend *dt = NULL;
            for (size_t q = 0; q < ndts && !dt; q++) {
                const struct ana_trend *y = dts[q];
                int same = y->ind == x->ind;
                for (int k = 0; same && k < IND_MAX_DIMS; k++) same = rule_str_eq(y->dim[k], x->dim[k]);
                if (same) dt = y;
            }
            bd = dt ? dt->test_slope : NAN;
            z = isfinite(bd) && x->test_se > 0 ? (x->test_slope - bd) / x->test_se : NAN;
        }
        double zg = (lb ? -1.0 : 1.0) * z;   /* > 0: better */
        double p = NAN, p2 = NAN;
        if (x->has_test && isfinite(z)) {
            int tdist = x->year_tau2 > 0 && isfinite(x->family_df) && x->family_df < 30;
            if (x->tv_relative) tdist = isfinite(x->family_df);
            double q = tdist ? gsl_cdf_tdist_Q(fabs(z), x->family_df) : gsl_cdf_ugaussian_Q(fabs(z));
            p2 = 2.0 * q;
            p = (r->side > 0 ? zg > 0 : zg < 0) ? q : 1.0 - q;
        }
        it->ev.p = p;
        it->p = isfinite(p) ? p : 1.0;
        /* no step back: in the good direction no step down; in the bad one no step up */
        int steady = 1;
        for (size_t k = 1; k < x->npoints; k++) {
            double step = (x->rows[k]->value - x->rows[k - 1]->value) * (lb ? -1.0 : 1.0);
            if (r->side > 0 ? step < 0 : step > 0) steady = 0;
        }
        /* significant in the rule's direction (against the district when it says so),
           and a real change that way, with no step back when asked */
        int dir = isfinite(p2) && p2 < r->alpha && (r->side > 0 ? zg > 0 : zg < 0) &&
                  r->side * x->change_good > 0;
        it->ok = dir && (!r->no_going_back || steady);
        struct sbuf b = SBUF_INIT;
        for (size_t k = 0; k < x->npoints; k++) {
            char *v = rule_ru_num(x->rows[k]->value, 1);
            sbuf_printf(&b, "%s%d: %s", k ? " → " : "", x->years[k], v);
            free(v);
        }
        char *pp = rule_ru_p(p2);
        if (isfinite(bd)) {
            char *bs = rule_ru_num(x->test_slope, 2), *ds = rule_ru_num(bd, 2);
            sbuf_printf(&b, "; наклон %s в год при районном %s; %s", bs, ds, pp);
            free(bs);
            free(ds);
        } else
            sbuf_printf(&b, "; %s", pp);
        free(pp);
        if (isfinite(x->phi) && x->phi > 1.0) {
            char *ph = rule_ru_num(x->phi, 2);
            sbuf_printf(&b, " (межгодовой разброс φ = %s учтён)", ph);
            free(ph);
        }
        it->ev.detail = sbuf_take(&b);
    }
    free(dts);
    ana_trends_free(&t);
}

static double trend_score(const struct rule_flag *f)
{
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < f->nev; i++)
        if (isfinite(f->ev[i].stat)) {
            s += f->ev[i].stat;
            n++;
        }
    return n ? s / (double)n : 0;
}

static char *trend_cond(const struct rule *r)
{
    char *a = rule_ru_num(r->alpha, 4);
    char *s = xasprintf("значимая динамика%s (%s, p < %s, с учётом межгодового "
                        "разброса)%s; %s",
                        r->against_district ? " сильнее районной" : "", side_word(r->side), a,
                        r->no_going_back ? " без шага назад" : "", window_words(r->window));
    free(a);
    return cond_control(r, s);
}

static const char *const againsts[] = {"district", "none", NULL};
static const struct deffile_key trend_keys[] = {
    K_INDICATORS, K_SIDE, K_ALPHA(DF_REQUIRED),
    {"no_going_back", DF_CHOICE, 0, 0, 0, yesno, NULL},
    {"against", DF_CHOICE, 0, 0, 0, againsts, NULL},
    K_END,
};

/* ==== change: a year's change against the district's ====================================== */

struct change_cell {
    const struct ind_row *row, *prev;
    double diff, se;                 /* oriented (> 0 better), its sampling SE */
};

static int change_cmp(const void *pa, const void *pb)
{
    const struct change_cell *a = pa, *b = pb;
    if (a->row->ind != b->row->ind) return a->row->ind < b->row->ind ? -1 : 1;
    if (a->row->year != b->row->year) return a->row->year < b->row->year ? -1 : 1;
    for (int k = 0; k < IND_MAX_DIMS; k++) {
        int c = strcmp(a->row->dim[k] ? a->row->dim[k] : "", b->row->dim[k] ? b->row->dim[k] : "");
        if (c) return c;
    }
    return rule_natural_cmp(a->row->unit, b->row->unit);
}

static void change_eval(struct rule_eval *c)
{
    const struct rule *r = c->r;
    const struct ind_results *res = c->in->res;
    struct change_cell *v = xmalloc((res->n + 1) * sizeof *v);
    size_t nv = 0;
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *row = &res->v[i];
        if (!rule_row_in(c, row)) continue;
        const struct indicator *ind = row->ind;
        if (ind->kind != IND_SHARE && ind->kind != IND_MEAN) continue;
        const struct ind_row *prev = rule_index_find(c->ix, ind, IND_SCHOOL, row->unit, row, row->year - 1);
        const struct ind_row *d1 = rule_index_find(c->ix, ind, IND_DISTRICT, "", row, row->year);
        const struct ind_row *d0 = rule_index_find(c->ix, ind, IND_DISTRICT, "", row, row->year - 1);
        if (!rule_usable(prev) || !rule_usable(d1) || !rule_usable(d0)) continue;
        if (r->min_n > 0 && !(prev->n >= r->min_n)) continue;
        double se;
        if (ind->kind == IND_SHARE) {
            double p1 = d1->value / 100.0, p0 = d0->value / 100.0;
            if (!(row->den > 0 && prev->den > 0)) continue;
            se = 100.0 * sqrt(p1 * (1 - p1) / row->den + p0 * (1 - p0) / prev->den);
        } else {
            if (!(isfinite(d1->sd) && isfinite(d0->sd) && row->n > 0 && prev->n > 0)) continue;
            se = sqrt(d1->sd * d1->sd / row->n + d0->sd * d0->sd / prev->n);
        }
        if (!(se > 0)) continue;
        double ds = row->value - prev->value, dd = d1->value - d0->value;
        v[nv].row = row;
        v[nv].prev = prev;
        v[nv].diff = (ds - dd) * (lower_better(ind) ? -1.0 : 1.0);
        v[nv].se = se;
        nv++;
    }
    /* per cell (indicator, year, breakdown): the schools' changes vary more than
       sampling explains (cohorts differ): the additive between-school variance of the
       change, from winsorised z (as for funnels), widens every SE of the cell */
    if (nv) qsort(v, nv, sizeof *v, change_cmp);
    for (size_t a = 0; a < nv;) {
        size_t b = a + 1;
        while (b < nv && v[b].row->ind == v[a].row->ind && v[b].row->year == v[a].row->year) {
            int same = 1;
            for (int k = 0; k < IND_MAX_DIMS; k++)
                same &= rule_str_eq(v[b].row->dim[k], v[a].row->dim[k]);
            if (!same) break;
            b++;
        }
        struct ana_od od;
        double *y = xmalloc((b - a) * sizeof *y), *s = xmalloc((b - a) * sizeof *s);
        for (size_t i = a; i < b; i++) {
            y[i - a] = v[i].diff;
            s[i - a] = v[i].se;
        }
        ana_overdispersion(y, s, b - a, 0.0, &od);
        double tau2 = r->overdispersion && od.used ? od.tau2 : 0.0;
        for (size_t i = a; i < b; i++) {
            const struct ind_row *row = v[i].row, *prev = v[i].prev;
            double se = sqrt(v[i].se * v[i].se + tau2);
            double z = v[i].diff / se;
            double diff = v[i].diff;
            struct rule_item *x = rule_row_item(c, row);
            x->ok = r->side * z >= r->bound && r->side * diff >= r->min_diff;
            x->p = r->side > 0 ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
            x->ev.p = x->p;
            x->ev.stat = z;
            x->ev.limit = r->bound;
            const struct ind_row *d1 = rule_index_find(c->ix, row->ind, IND_DISTRICT, "", row, row->year);
            const struct ind_row *d0 = rule_index_find(c->ix, row->ind, IND_DISTRICT, "", row, row->year - 1);
            double ds = row->value - prev->value, dd = d1->value - d0->value;
            char *pa = rule_ru_num(prev->value, 1), *pb = rule_ru_num(row->value, 1),
                 *pe = rule_ru_num(ds, 1), *pf = rule_ru_num(dd, 1);
            x->ev.detail = xasprintf("%d → %d: %s → %s (%s%s; район %s%s)%s", row->year - 1,
                                     row->year, pa, pb, ds > 0 ? "+" : "", pe, dd > 0 ? "+" : "",
                                     pf, tau2 > 0 ? "; межшкольный разброс изменений учтён" : "");
            free(pa);
            free(pb);
            free(pe);
            free(pf);
        }
        free(y);
        free(s);
        a = b;
    }
    free(v);
}

static char *change_cond(const struct rule *r)
{
    char *b = rule_ru_num(r->bound, 2), *m = rule_ru_num(r->min_diff, 1), *od = od_cond(r);
    char *s = xasprintf("изменение за год сильнее районного: z ≥ %s и не менее %s (%s), "
                        "%s; %s", b, m, side_word(r->side), od, window_words(r->window));
    free(b);
    free(m);
    free(od);
    return cond_control(r, s);
}

static const struct deffile_key change_keys[] = {
    K_INDICATORS, K_SIDE, K_BOUND,
    {"min_diff", DF_REAL, 0, 0, 1e300, NULL, N_("a difference of 0 or more, in the indicator's unit")},
    K_OD, K_END,
};

/* ==== residual: context models ============================================================ */

static double factor_value(const struct rules_input *in, const char *factor,
                           const char *school, int y1)
{
    for (size_t i = 0; i < in->nfactors; i++) {
        if (strcmp(in->ctx_factor_names[i], factor) != 0) continue;
        const struct ind_factors *f = &in->factors[i];
        double v = NAN;
        int best = 0;
        for (size_t k = 0; k < f->n; k++)
            if (rule_str_eq(f->v[k].school_id, school) && f->v[k].year <= y1 && f->v[k].year > best) {
                best = f->v[k].year;
                v = f->v[k].value;
            }
        return v;
    }
    return NAN;
}

static void residual_eval(struct rule_eval *c)
{
    const struct rule *r = c->r;
    const struct ana_context *ctx = NULL;
    for (size_t i = 0; i < c->in->nctx; i++)
        if (c->in->ctx_model[i] == r->model) ctx = c->in->ctx[i];
    if (!ctx) return;
    /* per school and year: the mean residual over its procedures */
    for (size_t i = 0; i < ctx->n;) {
        const char *school = ctx->v[i].school_id;
        size_t j = i;
        while (j < ctx->n && rule_str_eq(ctx->v[j].school_id, school)) j++;
        int pass = 1;
        struct sbuf cond = SBUF_INIT;
        for (int q = 0; q < r->nctx_if; q++) {
            double v = factor_value(c->in, r->ctx_if[q].factor, school, c->y1);
            if (!isfinite(v) || !rule_op_holds(v, r->ctx_if[q].op, r->ctx_if[q].value)) pass = 0;
            char *vs = rule_ru_num(v, 1);
            sbuf_printf(&cond, "%s%s = %s", cond.len ? ", " : "", r->ctx_if[q].factor, vs);
            free(vs);
        }
        for (int y = c->y0; y <= c->y1 && pass; y++) {
            double sum = 0;
            int cnt = 0;
            for (size_t k = i; k < j; k++) {
                const struct ana_ctx_school *e = &ctx->v[k];
                if (!rule_where_ok(r, e->ind, e->dim)) continue;
                for (int q = 0; q < e->nyears; q++)
                    if (e->years[q] == y && isfinite(e->resid[q]) && e->rows[q] &&
                        !(r->min_n > 0 && !(e->rows[q]->n >= r->min_n))) {
                        sum += e->resid[q];
                        cnt++;
                    }
            }
            if (!cnt) continue;
            struct rule_item *x = rule_item_new(c->items, school, r->model->id, NULL, y);
            double mean = sum / cnt;
            x->ok = r->side * mean >= r->bound;
            /* the residuals are left-out (externally studentised): the mean of cnt of
               them, as a z */
            double z = mean * sqrt((double)cnt);
            x->p = r->side > 0 ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
            x->ev.p = x->p;
            x->ev.what = xstrdup(r->model->title ? r->model->title : r->model->id);
            x->ev.stat = mean;
            x->ev.n = cnt;
            x->ev.limit = r->side * r->bound;
            char *ms = rule_ru_num(mean, 2);
            x->ev.detail = xasprintf("средний стандартизованный остаток %s по %d процедурам%s%s",
                                     ms, cnt, cond.len ? "; " : "", cond.len ? cond.s : "");
            free(ms);
        }
        sbuf_free(&cond);
        i = j;
    }
}

static double residual_score(const struct rule_flag *f)
{
    double s = 0;
    for (size_t i = 0; i < f->nev; i++) s += f->rule->side * f->ev[i].stat;
    return f->nev ? s / (double)f->nev : 0;
}

static char *residual_cond(const struct rule *r)
{
    char *b = rule_ru_num(r->bound, 2);
    char *s = xasprintf("средний остаток модели «%s» за границей %s%s (%s); %s",
                        r->model && r->model->title ? r->model->title : r->model ? r->model->id : "",
                        r->side > 0 ? "+" : "−", b, side_word(r->side), window_words(r->window));
    free(b);
    return cond_control(r, s);
}

static const char *residual_source(const struct rule *r)
{
    return r->model ? r->model->indicator : "";
}

static const struct deffile_key residual_keys[] = {
    {"model", DF_IDENT, DF_REQUIRED, 0, 0, NULL, N_("a model id of defs/context.ini")},
    K_SIDE, K_BOUND,
    {"context_if", DF_OTHER, 0, 0, 0, NULL, N_("FACTOR OP NUMBER, e.g. share_low_income >= 25")},
    K_END,
};

/* ==== spike: a school's score histograms against the district's ============================ */

static const struct store_works *sort_w;
static int work_idx_cmp(const void *pa, const void *pb)
{
    const struct store_work *a = &sort_w->v[*(const size_t *)pa], *b = &sort_w->v[*(const size_t *)pb];
    if (a->year != b->year) return a->year < b->year ? -1 : 1;
    if (a->grade != b->grade) return a->grade < b->grade ? -1 : 1;
    int cmp = strcmp(a->subject, b->subject);
    if (cmp) return cmp;
    return rule_natural_cmp(a->school_id, b->school_id);
}

/* The lowest score of mark k+2 in a work: the most common value among its schools
 * (each school sees it only if one of its students scored exactly there). */
static int boundary_mode(const struct store_works *w, const size_t *g, size_t ng, int k)
{
    int best = -1, bestc = 0;
    for (size_t i = 0; i < ng; i++) {
        int b = w->v[g[i]].mark_min[k];
        if (b < 1) continue;
        int cnt = 0;
        for (size_t q = 0; q < ng; q++) cnt += w->v[g[q]].mark_min[k] == b;
        if (cnt > bestc || (cnt == bestc && b < best)) {
            best = b;
            bestc = cnt;
        }
    }
    return best;
}

/* One school and year: the boundary tests of its works, pooled per mark. */
struct spike_one {
    double x, m;                     /* school pupils at the boundary; at it or one below */
    double k, t;                     /* school and reference together: at it; at both */
};

struct spike_acc {
    const char *school;
    int year;
    size_t nworks;
    struct spike_one *t[3];          /* per mark 3, 4, 5: the works' boundary counts */
    size_t nt[3], ct[3];
    double below[3];                 /* pupils one point below the boundary */
};

static struct spike_acc *acc_get(struct spike_acc **v, size_t *n, const char *school, int year)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].year == year && rule_str_eq((*v)[i].school, school)) return &(*v)[i];
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    struct spike_acc *a = &(*v)[(*n)++];
    memset(a, 0, sizeof *a);
    a->school = school;
    a->year = year;
    return a;
}

static void spike_eval(struct rule_eval *c)
{
    const struct rule *r = c->r;
    const struct store_works *w = c->in->works;
    if (!w || !w->n) return;
    size_t *idx = xmalloc(w->n * sizeof *idx);
    for (size_t i = 0; i < w->n; i++) idx[i] = i;
    sort_w = w;
    qsort(idx, w->n, sizeof *idx, work_idx_cmp);
    sort_w = NULL;
    struct spike_acc *acc = NULL;
    size_t nacc = 0;
    for (size_t i = 0; i < w->n;) {
        const struct store_work *a = &w->v[idx[i]];
        size_t j = i + 1;
        while (j < w->n && w->v[idx[j]].year == a->year && w->v[idx[j]].grade == a->grade &&
               strcmp(w->v[idx[j]].subject, a->subject) == 0)
            j++;
        size_t ng = j - i, len = 0;
        const size_t *g = idx + i;
        for (size_t q = 0; q < ng; q++)
            if (w->v[g[q]].len > len) len = w->v[g[q]].len;
        int bnd[3];
        for (int k = 0; k < 3; k++) bnd[k] = boundary_mode(w, g, ng, k + 1);
        char grade[24];
        snprintf(grade, sizeof grade, "%ld", a->grade);
        const char *dims[3] = {a->subject, grade, NULL};
        static const struct indicator pseudo = {.id = "vpr_dist", .ndims = 2,
                                                .dims = {"subject", "grade", NULL}};
        if (ng >= 2 && len >= 2 && a->year >= c->y0 && a->year <= c->y1 &&
            rule_where_ok(r, &pseudo, dims)) {
            double *h = xcalloc(len, sizeof *h), *ref = xcalloc(len, sizeof *ref);
            for (size_t s = 0; s < ng; s++) {
                const struct store_work *me = &w->v[g[s]];
                if (r->min_n > 0 && !(me->n >= r->min_n)) continue;
                memset(h, 0, len * sizeof *h);
                memset(ref, 0, len * sizeof *ref);
                /* the reference is the district's histogram of the work without the school */
                for (size_t q = 0; q < ng; q++) {
                    const struct store_work *o = &w->v[g[q]];
                    for (size_t b = 0; b < o->len; b++) (q == s ? h : ref)[b] += o->scores[b];
                }
                struct spike_acc *ac = acc_get(&acc, &nacc, me->school_id, a->year);
                ac->nworks++;
                for (int k = 0; k < 3; k++) {
                    if (!r->marks[k] || bnd[k] < 1 || (size_t)bnd[k] >= len) continue;
                    struct stats_spike t;
                    if (stats_spike_test(h, ref, len, (size_t)bnd[k], &t) != STATS_OK) continue;
                    if (ac->nt[k] == ac->ct[k]) {
                        ac->ct[k] = ac->ct[k] ? 2 * ac->ct[k] : 16;
                        ac->t[k] = xrealloc(ac->t[k], ac->ct[k] * sizeof *ac->t[k]);
                    }
                    size_t b = (size_t)bnd[k];
                    ac->t[k][ac->nt[k]++] = (struct spike_one){
                        t.x, t.m, t.x + ref[b], t.m + ref[b] + ref[b - 1]};
                    ac->below[k] += h[b - 1];
                }
            }
            free(h);
            free(ref);
        }
        i = j;
    }
    free(idx);
    /* per school and year: the works pooled at each boundary — the school's pupils at
       the lowest score of the mark against the sum of each work's expectation, by the
       exact conditional distribution of that sum (each work a hypergeometric given its
       pupils at the two scores, school and reference: a small reference counts with its
       own noise) — combined over the boundaries (Bonferroni) */
    for (size_t i = 0; i < nacc; i++) {
        struct spike_acc *ac = &acc[i];
        double best_p = 1, pk[3] = {NAN, NAN, NAN};
        int bk = -1, ntested = 0;
        double xs[3] = {0}, es[3] = {0}, ms[3] = {0};
        for (int k = 0; k < 3; k++) {
            if (!ac->nt[k]) continue;
            size_t nt = ac->nt[k];
            double *m = xmalloc(nt * sizeof *m), *kk = xmalloc(nt * sizeof *kk),
                   *tt = xmalloc(nt * sizeof *tt);
            for (size_t q = 0; q < nt; q++) {
                const struct spike_one *o = &ac->t[k][q];
                m[q] = o->m;
                kk[q] = o->k;
                tt[q] = o->t;
                xs[k] += o->x;
                /* what the district's histogram without the school predicts, for words */
                es[k] += o->t > o->m ? o->m * (o->k - o->x) / (o->t - o->m) : 0;
                ms[k] += o->m;
            }
            int ok = ana_hypergeom_sum_tail(m, kk, tt, nt, xs[k], &pk[k]) == STATS_OK;
            free(kk);
            free(tt);
            if (ok) {
                ntested++;
                if (pk[k] < best_p || bk < 0) {
                    best_p = pk[k];
                    bk = k;
                }
            }
            free(m);
        }
        if (bk >= 0) {
            double p = best_p * ntested > 1 ? 1 : best_p * ntested;
            struct rule_item *x = rule_item_new(c->items, ac->school, "vpr_dist", NULL, ac->year);
            x->ok = p < r->alpha;
            x->p = p;
            x->ev.what = xasprintf("все работы ВПР (%zu)", ac->nworks);
            x->ev.value = xs[bk];
            x->ev.n = ms[bk];
            x->ev.ref = es[bk];
            x->ev.stat = es[bk] > 0 ? xs[bk] / es[bk] : NAN;
            x->ev.p = p;
            x->ev.limit = r->alpha;
            char *e = rule_ru_num(es[bk], 1), *ratio = rule_ru_num(x->ev.stat, 1);
            x->ev.detail = xasprintf(
                "отметка «%d», нижний балл: на границе %.0f уч. при ожидаемых по району %s "
                "(в %s раза больше), на балл ниже %.0f; работ %zu", bk + 3, xs[bk], e, ratio,
                ac->below[bk], ac->nt[bk]);
            free(e);
            free(ratio);
        }
        for (int k = 0; k < 3; k++) free(ac->t[k]);
    }
    free(acc);
}

static double spike_score(const struct rule_flag *f)
{
    double best = 0;
    for (size_t i = 0; i < f->nev; i++)
        if (isfinite(f->ev[i].p)) {
            double s = -log10(f->ev[i].p > 1e-300 ? f->ev[i].p : 1e-300);
            if (s > best) best = s;
        }
    return best;
}

static char *spike_cond(const struct rule *r)
{
    char *a = rule_ru_num(r->alpha, 4);
    struct sbuf m = SBUF_INIT;
    for (int k = 0; k < 3; k++)
        if (r->marks[k]) sbuf_printf(&m, "%s«%d»", m.len ? ", " : "", k + 3);
    char *s = xasprintf("избыток участников на нижнем балле отметки (%s) по всем работам ОО за "
                        "год против распределения района, p < %s; %s", m.s, a, window_words(r->window));
    sbuf_free(&m);
    free(a);
    return cond_control(r, s);
}

static const char *spike_source(const struct rule *r)
{
    (void)r;
    return "vpr_dist";
}

static const struct deffile_key spike_keys[] = {
    K_ALPHA(DF_REQUIRED),
    {"marks", DF_LIST, 0, 1, 3, marks, NULL},
    K_END,
};

/* ==== risk: the «500+» factors of schools flagged by other rules ========================== */

static char *risk_cond(const struct rule *r)
{
    char *v = rule_ru_num(r->value, 2);
    struct sbuf deps = SBUF_INIT;
    for (int i = 0; i < r->ndeps; i++) sbuf_printf(&deps, "%s%s", i ? ", " : "", r->deps[i]);
    char *s = xasprintf("значение фактора %s %s у ОО, отмеченных правилами %s; %s",
                        rule_op_text(r->op), v, deps.s ? deps.s : "", window_words(r->window));
    sbuf_free(&deps);
    free(v);
    return s;
}

static const struct deffile_key risk_keys[] = {
    K_INDICATORS,
    {"op", DF_CHOICE, DF_REQUIRED, 0, 0, ops, NULL},
    {"value", DF_REAL, DF_REQUIRED, -1e300, 1e300, NULL, N_("a number")},
    {"for", DF_IDLIST, DF_REQUIRED, 1, RULES_MAX_DEPS, NULL,
     N_("a comma-separated list of rule ids (at most 8)")},
    K_END,
};

/* ==== the task rules: evaluated by tasks.c (tasks.h), over the tasks of the works ========= */

#define K_PCT(n) {n, DF_REAL, DF_REQUIRED, 0, 100, NULL, N_("a completion level from 0 to 100, %")}
static const struct deffile_key task_deficit_keys[] = {
    K_PCT("basic"), K_PCT("advanced"), K_PCT("high"), K_ALPHA(0), K_END,
};
static const struct deffile_key task_common_keys[] = {
    {"share", DF_REAL, DF_REQUIRED | DF_LO_OPEN, 0, 1, NULL,
     N_("a share of the cluster's schools greater than 0 and at most 1, e.g. 0.5")},
    K_END,
};
static const struct deffile_key task_reference_keys[] = {K_ALPHA(DF_REQUIRED), K_END};
static const struct deffile_key task_none_keys[] = {K_END};

static char *min_n_words(const struct rule *r)
{
    return r->min_n > 0 ? xasprintf("; не менее %.0f участников", r->min_n) : xstrdup("");
}

static char *task_deficit_cond(const struct rule *r)
{
    char *b = rule_ru_num(r->task_level[0], 0), *a = rule_ru_num(r->task_level[1], 0);
    char *h = rule_ru_num(r->task_level[2], 0), *m = min_n_words(r);
    char *s;
    if (isfinite(r->alpha)) {
        char *al = rule_ru_num(r->alpha, 4);
        s = xasprintf("выполнение задания ниже %s\xC2\xA0%% (базовый уровень), %s\xC2\xA0%% (повышенный), %s\xC2\xA0%% "
                      "(высокий) или значимо ниже района (p < %s с поправкой Бенджамини — "
                      "Хохберга по ОО района, с учётом сверхдисперсии)%s", b, a, h, al, m);
        free(al);
    } else
        s = xasprintf("выполнение задания ниже %s\xC2\xA0%% (базовый уровень), %s\xC2\xA0%% (повышенный), "
                      "%s\xC2\xA0%% (высокий)%s", b, a, h, m);
    free(b);
    free(a);
    free(h);
    free(m);
    return s;
}

static char *task_common_cond(const struct rule *r)
{
    char *sh = rule_ru_num(100.0 * r->share, 0), *m = min_n_words(r);
    char *s = xasprintf("дефицит по заданию не менее чем у %s\xC2\xA0%% ОО кластера (из ОО с достаточным "
                        "числом участников)%s; задание, трудное для всего района, проблемой "
                        "кластера не считается, если кластер не ниже района значимо", sh, m);
    free(sh);
    free(m);
    return s;
}

static char *task_particular_cond(const struct rule *r)
{
    char *m = min_n_words(r);
    char *s = xasprintf("дефицит ОО по заданию, который не разделяет её кластер (ни общая "
                        "проблема кластера, ни дефицит кластера в целом)%s", m);
    free(m);
    return s;
}

static char *task_district_cond(const struct rule *r)
{
    char *m = min_n_words(r);
    char *s = xasprintf("выполнение задания по району в целом ниже уровня дефицита (правило "
                        "task_deficit); относится к району, а не к кластеру или ОО%s", m);
    free(m);
    return s;
}

static char *task_reference_cond(const struct rule *r)
{
    char *a = rule_ru_num(r->alpha, 4);
    char *s = xasprintf("выполнение задания по району значимо ниже региона или России (p < %s, "
                        "односторонний критерий с учётом сверхдисперсии)", a);
    free(a);
    return s;
}

static char *task_persistent_cond(const struct rule *r)
{
    return xasprintf("проблема по заданию повторяется %d года подряд и более",
                     r->hold == HOLD_CONSECUTIVE && r->hold_k > 0 ? r->hold_k : 2);
}

static size_t task_persistent_check(struct rule *r, const struct deffile *df,
                                    const struct deffile_sec *s, struct soko_diag *d)
{
    if (r->hold == HOLD_CONSECUTIVE) return 0;
    deffile_bad(d, df, s, deffile_kv(s, "hold"), "hold", "'consecutive K', e.g. consecutive 2");
    return 1;
}

/* ==== the registry ======================================================================== */

const struct rule_kind rule_kinds[] = {
    {"threshold", "value OP number in a procedure and year (with alpha: by an exact test)",
     threshold_keys, RK_INDICATORS | RK_TESTS, "none", threshold_check, threshold_eval,
     score_p, rule_ev_default, threshold_cond, NULL},
    {"funnel", "beyond the 95% or 99.8% funnel limit of the district, on a side",
     funnel_keys, RK_INDICATORS | RK_TESTS | RK_OD, "fdr", NULL, funnel_eval, score_p,
     rule_ev_default, funnel_cond, NULL},
    {"z", "z against the district beyond a bound, on a side", z_keys,
     RK_INDICATORS | RK_TESTS | RK_OD, "fdr", NULL, z_eval, score_p, rule_ev_default, z_cond,
     NULL},
    {"trend", "a significant trend over the window on a side, ranked by the change",
     trend_keys, RK_INDICATORS | RK_WINDOW | RK_TESTS, "fdr", NULL, trend_eval, trend_score,
     rule_ev_detail, trend_cond, NULL},
    {"change", "a year's change far beyond the district's change", change_keys,
     RK_INDICATORS | RK_TESTS | RK_PREV_YEAR, "fdr", NULL, change_eval, score_p,
     rule_ev_detail, change_cond, NULL},
    {"unconfirmed", "beyond the funnel limit on the good side, not confirmed by other procedures",
     unconfirmed_keys, RK_INDICATORS | RK_TESTS | RK_OD, "fdr", NULL, unconfirmed_eval, score_p,
     rule_ev_default, unconfirmed_cond, NULL},
    {"residual", "a context model's mean residual beyond a bound, on a side", residual_keys,
     RK_CONTEXT | RK_TESTS, "none", NULL, residual_eval, residual_score, rule_ev_detail,
     residual_cond, residual_source},
    {"spike", "an excess at the lowest score of a mark over the school's works",
     spike_keys, RK_WORKS | RK_TESTS, "fdr", NULL, spike_eval, spike_score, rule_ev_detail,
     spike_cond, spike_source},
    {"risk", "a threshold on context factors of schools flagged by other rules", risk_keys,
     RK_INDICATORS | RK_FLAGS, "none", NULL, threshold_eval, score_nproc, rule_ev_default,
     risk_cond, NULL},
    {"task_deficit", "a task's completion below the level of its task level, or significantly "
     "below the district (tasks.c)", task_deficit_keys, RK_TASKS, "none", NULL, NULL, NULL,
     NULL, task_deficit_cond, NULL},
    {"task_common", "a task that is a deficit in at least a share of the cluster's schools",
     task_common_keys, RK_TASKS, "none", NULL, NULL, NULL, NULL, task_common_cond, NULL},
    {"task_particular", "a school's task deficit that its cluster does not share",
     task_none_keys, RK_TASKS, "none", NULL, NULL, NULL, NULL, task_particular_cond, NULL},
    {"task_district", "a task below the deficit level for the district as a whole",
     task_none_keys, RK_TASKS, "none", NULL, NULL, NULL, NULL, task_district_cond, NULL},
    {"task_reference", "the district significantly below the region or Russia on a task",
     task_reference_keys, RK_TASKS, "none", NULL, NULL, NULL, NULL, task_reference_cond, NULL},
    {"task_persistent", "a task finding that recurs in consecutive years",
     task_none_keys, RK_TASKS, "none", task_persistent_check, NULL, NULL, NULL,
     task_persistent_cond, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
