/*
 * rules_decide.c — from a rule's items to its flags (contract in rules.h).
 *
 * Per school: the pattern over the years (`hold`), the number of holding procedures
 * (`procedures`), of indicators among them (`min_indicators`) and the same-year count
 * (`same_year`) decide whether the school's condition holds — as the rule file says,
 * in words. The same pattern, applied to the items' p-values, gives the school one
 * p-value: a partial conjunction for each part (Benjamini & Heller 2008: for "at least
 * u of these m are beyond chance", (m − u + 1) times the u-th smallest p), so "in every
 * year" is the largest of the years' p-values and "in some year" the smallest times
 * the years; the school's p is the largest over the parts (every part must hold).
 * Then `control` (Benjamini–Hochberg or Holm) over the schools the rule tested keeps
 * the district's error rate at `level`. A school is flagged when its condition holds
 * and it passes the control. Flags are ranked by the kind's score and rendered.
 */
#include "rules_int.h"

#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double rule_pc(double *p, size_t m, size_t u)
{
    if (u == 0) u = 1;
    if (m == 0 || u > m) return 1.0;
    qsort(p, m, sizeof *p, dbl_cmp);
    double v = (double)(m - u + 1) * p[u - 1];
    return v < 1.0 ? v : 1.0;
}

static int item_cmp(const void *pa, const void *pb)
{
    const struct rule_item *a = pa, *b = pb;
    int c = rule_natural_cmp(a->school, b->school);
    if (c) return c;
    c = strcmp(a->proc, b->proc);
    if (c) return c;
    return (a->year > b->year) - (a->year < b->year);
}

/* The pattern over the W years of the window: whether it holds (ok[]) and its p-value
 * from the years' p-values (p[], NaN where a year has no item or no test; has[] the
 * years with an item). */
static void hold_eval(const struct rule *r, const int *ok, const double *p, const int *has,
                      int W, int *holds, double *pv)
{
    int cnt = 0, run = 0, best = 0;
    double tmp[ANA_MAX_YEARS];
    size_t m = 0;
    *holds = 0;
    *pv = 1.0;
    switch (r->hold) {
    case HOLD_ALL: {
        double mx = 0;
        int all = W > 0;
        for (int y = 0; y < W; y++) {
            if (!ok[y]) all = 0;
            if (!has[y]) mx = 1.0;
            else if (isfinite(p[y]) && p[y] > mx) mx = p[y];
        }
        *holds = all;
        *pv = mx;
        return;
    }
    case HOLD_ANY:
        for (int y = 0; y < W; y++) {
            if (ok[y]) *holds = 1;
            if (has[y]) tmp[m++] = isfinite(p[y]) ? p[y] : 1.0;
        }
        *pv = rule_pc(tmp, m, 1);
        return;
    case HOLD_LAST:
        *holds = W > 0 && ok[W - 1];
        *pv = W > 0 && has[W - 1] && isfinite(p[W - 1]) ? p[W - 1] : 1.0;
        return;
    case HOLD_K_OF_N:
        for (int y = W - (r->hold_n < W ? r->hold_n : W); y < W; y++) {
            cnt += ok[y];
            tmp[m++] = has[y] && isfinite(p[y]) ? p[y] : 1.0;
        }
        *holds = cnt >= r->hold_k;
        *pv = rule_pc(tmp, m, (size_t)r->hold_k);
        return;
    case HOLD_CONSECUTIVE: {
        double best_p = 1.0;
        int windows = 0;
        for (int y = 0; y < W; y++) {
            run = ok[y] ? run + 1 : 0;
            if (run > best) best = run;
        }
        for (int y0 = 0; y0 + r->hold_k <= W; y0++) {
            double mx = 0;
            for (int y = y0; y < y0 + r->hold_k; y++)
                mx = fmax(mx, has[y] && isfinite(p[y]) ? p[y] : 1.0);
            if (mx < best_p) best_p = mx;
            windows++;
        }
        *holds = best >= r->hold_k;
        *pv = windows ? fmin(1.0, best_p * windows) : 1.0;
        return;
    }
    }
}

static const char *school_name(const struct rules_input *in, const char *id)
{
    for (size_t i = 0; i < in->nschools; i++)
        if (rule_str_eq(in->school_ids[i], id)) return in->school_names[i] ? in->school_names[i] : "";
    return "";
}

static int in_list(const char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (rule_str_eq(l[i], s)) return 1;
    return 0;
}

/* One school's verdict before the district's control. */
struct verdict {
    size_t i, j;                 /* its items [i, j) */
    int holds;                   /* the condition in words holds */
    double p;                    /* the school's p-value (NaN: not tested) */
    size_t nproc, neval;
    int peryear[ANA_MAX_YEARS];
    char *hold;                  /* per item: it belongs to a holding procedure */
};

static void school_verdict(const struct rule *r, struct rule_items *it, size_t i, size_t j,
                           int y0, int W, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    v->i = i;
    v->j = j;
    int window_kind = (r->kind->flags & RK_WINDOW) != 0;
    const struct indicator *inds[RULES_MAX_INDICATORS + 1];
    double ind_p[RULES_MAX_INDICATORS + 1];
    size_t ind_m[RULES_MAX_INDICATORS + 1];
    int ninds_all = 0, ninds = 0;
    const struct indicator *held[RULES_MAX_INDICATORS + 1];
    v->hold = xcalloc(j - i + 1, 1);
    double *pp = xmalloc((j - i + 1) * sizeof *pp);
    int tested = 0;
    for (size_t k = i; k < j; k++) tested |= isfinite(it->v[k].p);
    for (size_t p = i; p < j;) {
        size_t q = p;
        while (q < j && strcmp(it->v[q].proc, it->v[p].proc) == 0) q++;
        int ok[ANA_MAX_YEARS] = {0}, has[ANA_MAX_YEARS] = {0};
        double py[ANA_MAX_YEARS];
        int any_ok = 0;
        double p_win = 1.0;
        for (int y = 0; y < W; y++) py[y] = NAN;
        for (size_t k = p; k < q; k++) {
            int y = it->v[k].year - y0;
            if (window_kind) {
                any_ok |= it->v[k].ok;
                if (isfinite(it->v[k].p)) p_win = it->v[k].p;
                if (it->v[k].ok && y >= 0 && y < W) v->peryear[y]++;
                continue;
            }
            if (y < 0 || y >= W) continue;
            has[y] = 1;
            py[y] = it->v[k].p;
            if (it->v[k].ok) {
                ok[y] = 1;
                v->peryear[y]++;
            }
        }
        v->neval++;
        int holds;
        double pv;
        if (window_kind) {
            holds = any_ok;
            pv = p_win;
        } else
            hold_eval(r, ok, py, has, W, &holds, &pv);
        pp[v->neval - 1] = pv;
        const struct indicator *ind = it->v[p].ind;
        int s = 0;
        while (s < ninds_all && inds[s] != ind) s++;
        if (s == ninds_all && ninds_all < RULES_MAX_INDICATORS) {
            inds[ninds_all] = ind;
            ind_p[ninds_all] = 1.0;
            ind_m[ninds_all] = 0;
            ninds_all++;
        }
        if (s < ninds_all) {
            ind_m[s]++;
            if (pv < ind_p[s]) ind_p[s] = pv;
        }
        if (holds) {
            v->nproc++;
            for (size_t k = p; k < q; k++) v->hold[k - i] = 1;
            int seen = 0;
            for (int t = 0; t < ninds; t++) seen |= held[t] == ind;
            if (!seen && ninds < RULES_MAX_INDICATORS) held[ninds++] = ind;
        }
        p = q;
    }
    size_t need = r->procedures_pct
                      ? (size_t)ceil(r->procedures * (double)v->neval / 100.0 - 1e-9)
                      : (size_t)r->procedures;
    if (need < 1) need = 1;
    int enough = v->nproc >= need;
    int same_ok = 1;
    if (r->same_year > 0) {
        same_ok = 0;
        for (int y = 0; y < W; y++)
            if (v->peryear[y] >= r->same_year) same_ok = 1;
    }
    v->holds = v->nproc > 0 && enough && ninds >= r->min_indicators && same_ok;
    if (tested) {
        double p = rule_pc(pp, v->neval, need);
        if (r->min_indicators > 1) {
            double q[RULES_MAX_INDICATORS + 1];
            for (int s = 0; s < ninds_all; s++) q[s] = fmin(1.0, ind_p[s] * (double)ind_m[s]);
            p = fmax(p, rule_pc(q, (size_t)ninds_all, (size_t)r->min_indicators));
        }
        if (r->same_year > 0) {
            double best = 1.0;
            int years = 0;
            for (int y = 0; y < W; y++) {
                size_t m = 0;
                for (size_t k = i; k < j; k++)
                    if (it->v[k].year - y0 == y) pp[m++] = isfinite(it->v[k].p) ? it->v[k].p : 1.0;
                if (!m) continue;
                years++;
                double py = rule_pc(pp, m, (size_t)r->same_year);
                if (py < best) best = py;
            }
            p = fmax(p, fmin(1.0, best * (years ? years : 1)));
        }
        v->p = p;
    } else
        v->p = NAN;
    free(pp);
}

static const struct rule_flags *sort_flags;
static int flag_idx_cmp(const void *pa, const void *pb)
{
    const struct rule_flag *a = &sort_flags->v[*(const size_t *)pa];
    const struct rule_flag *b = &sort_flags->v[*(const size_t *)pb];
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return rule_natural_cmp(a->school_id, b->school_id);
}

void rule_decide(const struct rule *r, struct rule_items *it, int y0, int y1,
                 const struct rules_input *in, const char *const *allowed, size_t nallowed,
                 struct rule_flags *out)
{
    int W = y1 - y0 + 1;
    if (it->n) qsort(it->v, it->n, sizeof *it->v, item_cmp);
    struct verdict *vs = NULL;
    size_t nv = 0;
    for (size_t i = 0; i < it->n;) {
        const char *school = it->v[i].school;
        size_t j = i;
        while (j < it->n && rule_str_eq(it->v[j].school, school)) j++;
        if (allowed && !in_list(allowed, nallowed, school)) {
            i = j;
            continue;
        }
        vs = xrealloc(vs, (nv + 1) * sizeof *vs);
        school_verdict(r, it, i, j, y0, W, &vs[nv++]);
        i = j;
    }
    /* the district's control over the schools tested */
    double *p = xmalloc((nv + 1) * sizeof *p), *adj = xmalloc((nv + 1) * sizeof *adj);
    size_t *who = xmalloc((nv + 1) * sizeof *who), nt = 0;
    for (size_t k = 0; k < nv; k++)
        if (isfinite(vs[k].p)) {
            p[nt] = vs[k].p;
            who[nt++] = k;
        }
    double *padj = xmalloc((nv + 1) * sizeof *padj);
    for (size_t k = 0; k < nv; k++) padj[k] = NAN;
    if (nt && r->control != CONTROL_NONE &&
        stats_p_adjust(p, nt, r->control == CONTROL_FDR ? STATS_PADJ_BH : STATS_PADJ_HOLM, adj) !=
            STATS_OK)
        for (size_t k = 0; k < nt; k++) adj[k] = NAN;
    if (r->control != CONTROL_NONE)
        for (size_t k = 0; k < nt; k++) padj[who[k]] = adj[k];

    struct rule_flags mine = {0};
    for (size_t k = 0; k < nv; k++) {
        struct verdict *v = &vs[k];
        int pass = r->control == CONTROL_NONE || (isfinite(padj[k]) && padj[k] <= r->level);
        if (v->holds && pass) {
            struct rule_flag f;
            memset(&f, 0, sizeof f);
            const char *school = it->v[v->i].school;
            f.rule = r;
            f.school_id = xstrdup(school);
            f.school_name = xstrdup(school_name(in, school));
            f.nproc = v->nproc;
            f.nevaluated = v->neval;
            f.y0 = y0;
            f.y1 = y1;
            f.p = v->p;
            f.p_adj = padj[k];
            f.ntested = nt;
            int yes[ANA_MAX_YEARS] = {0};
            for (size_t q = v->i; q < v->j; q++) {
                struct rule_item *x = &it->v[q];
                int y = x->year - y0;
                int in_same = r->same_year > 0 && y >= 0 && y < W && v->peryear[y] >= r->same_year;
                if (!x->ok || !(v->hold[q - v->i] || in_same)) continue;
                /* only the years the pattern looks at */
                if (!(r->kind->flags & RK_WINDOW)) {
                    if (r->hold == HOLD_LAST && y != W - 1 && !in_same) continue;
                    if (r->hold == HOLD_K_OF_N && y < W - r->hold_n && !in_same) continue;
                }
                f.ev = xrealloc(f.ev, (f.nev + 1) * sizeof *f.ev);
                f.ev[f.nev++] = x->ev;
                x->ev.what = x->ev.detail = NULL;      /* moved */
                if (y >= 0 && y < W) yes[y] = 1;
            }
            struct sbuf ys = SBUF_INIT;
            if (r->kind->flags & RK_WINDOW) /* one verdict over the whole window */
                sbuf_printf(&ys, "%d–%d", y0, y1);
            else
                for (int y = 0; y < W; y++)
                    if (yes[y]) sbuf_printf(&ys, "%s%d", ys.len ? ", " : "", y0 + y);
            f.years = sbuf_take(&ys);
            f.score = r->kind->score(&f);
            if (mine.n == mine.cap) {
                mine.cap = mine.cap ? 2 * mine.cap : 16;
                mine.v = xrealloc(mine.v, mine.cap * sizeof *mine.v);
            }
            mine.v[mine.n++] = f;
        }
        free(v->hold);
    }
    free(vs);
    free(p);
    free(adj);
    free(who);
    free(padj);

    /* rank within the rule, then the recommendations (they may name the rank) */
    size_t *idx = xmalloc((mine.n + 1) * sizeof *idx);
    for (size_t k = 0; k < mine.n; k++) idx[k] = k;
    sort_flags = &mine;
    qsort(idx, mine.n, sizeof *idx, flag_idx_cmp);
    sort_flags = NULL;
    for (size_t k = 0; k < mine.n; k++) {
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 32;
            out->v = xrealloc(out->v, out->cap * sizeof *out->v);
        }
        struct rule_flag *f = &out->v[out->n++];
        *f = mine.v[idx[k]];
        f->rank = (int)k + 1;
        f->recommendation = rule_render(f);
    }
    free(idx);
    free(mine.v);
}
