/*
 * rules_calib.c — how many schools would each rule flag if none differed from the
 * district? (contract in rules.h, `soko calibrate`, docs/rules.md).
 *
 * A null district keeps everything of the real one but the results: the same schools,
 * the same sizes (participants, denominators, bases), the same years and breakdowns,
 * the district's value of every cell — and draws each school's figure from the
 * sampling distribution at that district value: a share's numerator ~ Binomial(den,
 * district share), a mean with a known spread ~ Normal(district mean, sd²/n), a rate's
 * count ~ Poisson(base · district rate), a count with participants ~ Poisson(district
 * count · n / district n); a work's score histogram ~ Multinomial(its pupils, the
 * district's histogram of the work); a context model's left-out residuals ~ N(0, 1).
 * Figures without a sampling model (census figures, means without a spread) keep the
 * district's value — for a rule that reads them as confirmation the least favourable
 * case. Every flag in a null district is false; the rules run unchanged on each.
 * GSL's Mersenne twister with the given seed draws in the order of the inputs, so the
 * same data and seed give the same numbers.
 */
#include "rules_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* The district's rows of the null draw are the sums of its schools' rows of the cell,
 * as the district's figure is the sum of its schools' (so that a school's reference
 * without itself is the other schools' draw, independent of its own). */
static void null_district(const struct ind_results *res, struct ind_row *v)
{
    struct rule_index ix;
    struct ind_results dr = {v, res->n, res->n, NULL};
    rule_index_build(&ix, &dr);
    for (size_t i = 0; i < res->n; i++) {
        struct ind_row *d = &v[i];
        if (d->level != IND_DISTRICT || d->ind->census) continue;
        d->num = 0.0;
    }
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *row = &v[i];
        if (row->level != IND_SCHOOL || row->ind->census) continue;
        struct ind_row *d =
            (struct ind_row *)rule_index_find(&ix, row->ind, IND_DISTRICT, "", row, row->year);
        if (d && isfinite(row->num)) d->num += row->num;
    }
    for (size_t i = 0; i < res->n; i++) {
        struct ind_row *d = &v[i];
        if (d->level != IND_DISTRICT || d->ind->census) continue;
        switch (d->ind->kind) {
        case IND_SHARE: d->value = d->den > 0 ? 100.0 * d->num / d->den : NAN; break;
        case IND_MEAN: d->value = d->den > 0 ? d->num / d->den : NAN; break;
        case IND_RATE:
            d->value = d->den > 0 ? (d->ind->per > 0 ? d->ind->per : 100.0) * d->num / d->den : NAN;
            break;
        case IND_COUNT: d->value = d->num; break;
        }
    }
    free(ix.v);
}

/* One null draw of the school rows of res (cluster rows kept; district rows summed). */
static void null_results(const struct ind_results *res, const struct rule_index *ix, gsl_rng *g,
                         struct ind_row *v)
{
    for (size_t i = 0; i < res->n; i++) {
        struct ind_row *row = &v[i];
        *row = res->v[i];
        if (row->level != IND_SCHOOL || row->ind->census) continue;
        const struct ind_row *d = rule_index_find(ix, row->ind, IND_DISTRICT, "", row, row->year);
        if (!d || !isfinite(d->value) || !isfinite(row->value)) continue;
        const struct indicator *ind = row->ind;
        switch (ind->kind) {
        case IND_SHARE: {
            double p = d->den > 0 ? d->num / d->den : NAN, n = row->den;
            if (!(p >= 0 && p <= 1 && n >= 0 && n == floor(n) && n < 4e9)) break;
            row->num = (double)gsl_ran_binomial(g, p, (unsigned)n);
            row->value = n > 0 ? 100.0 * row->num / n : NAN;
            break;
        }
        case IND_MEAN:
            if (isfinite(d->sd) && d->sd > 0 && row->n > 0) {
                row->value = d->value + gsl_ran_gaussian(g, d->sd / sqrt(row->n));
                row->sd = d->sd;
            } else
                row->value = d->value;
            row->num = row->value * row->den;
            break;
        case IND_RATE: {
            double per = ind->per > 0 ? ind->per : 100.0, base = row->den;
            if (!(base > 0 && d->value >= 0)) break;
            row->num = (double)gsl_ran_poisson(g, base * d->value / per);
            row->value = per * row->num / base;
            break;
        }
        case IND_COUNT: {
            double mu = NAN;
            if (isfinite(row->n) && row->n > 0 && d->n > 0) mu = d->num * row->n / d->n;
            if (!(mu >= 0)) break;
            row->num = (double)gsl_ran_poisson(g, mu);
            row->value = row->num;
            break;
        }
        }
    }
    null_district(res, v);
}

static int work_cmp(const struct store_work *a, const struct store_work *b)
{
    if (a->year != b->year) return a->year < b->year ? -1 : 1;
    if (a->grade != b->grade) return a->grade < b->grade ? -1 : 1;
    return strcmp(a->subject, b->subject);
}

/* Each school's histogram of a work drawn from the district's histogram of it. */
static void null_works(const struct store_works *w, gsl_rng *g, struct store_works *out)
{
    memset(out, 0, sizeof *out);
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        const struct store_work *a = &w->v[i];
        size_t len = 0;
        for (size_t j = 0; j < w->n; j++)
            if (work_cmp(a, &w->v[j]) == 0 && w->v[j].len > len) len = w->v[j].len;
        double *dist = xcalloc(len + 1, sizeof *dist), *h = xcalloc(len + 1, sizeof *h);
        unsigned *cnt = xcalloc(len + 1, sizeof *cnt);
        for (size_t j = 0; j < w->n; j++)
            if (work_cmp(a, &w->v[j]) == 0)
                for (size_t b = 0; b < w->v[j].len; b++) dist[b] += w->v[j].scores[b];
        double n = 0;
        for (size_t b = 0; b < a->len; b++) n += a->scores[b];
        if (len > 0 && n > 0 && n < 4e9) {
            gsl_ran_multinomial(g, len, (unsigned)n, dist, cnt);
            for (size_t b = 0; b < len; b++) h[b] = cnt[b];
        }
        store_works_add(out, a->year, a->school_id, a->grade, a->subject, h, len, a->mark_min);
        free(dist);
        free(h);
        free(cnt);
    }
}

/* Context results with the residuals drawn from N(0, 1) where there was one. */
static void null_context(const struct ana_context *c, gsl_rng *g, struct ana_context *out)
{
    memset(out, 0, sizeof *out);
    out->v = xmalloc((c->n + 1) * sizeof *out->v);
    out->n = out->cap = c->n;
    for (size_t i = 0; i < c->n; i++) {
        out->v[i] = c->v[i];
        for (int y = 0; y < c->v[i].nyears; y++)
            if (isfinite(c->v[i].resid[y])) out->v[i].resid[y] = gsl_ran_gaussian(g, 1.0);
    }
}

static size_t flags_of(const struct rule_flags *f, const struct rule *r)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) n += f->v[i].rule == r;
    return n;
}

void rules_calibrate(const struct rule_set *rs, const struct rules_input *in,
                     const struct rules_opts *o, unsigned runs, unsigned long seed,
                     struct rules_calibs *out)
{
    memset(out, 0, sizeof *out);
    out->v = xcalloc(rs->n + 1, sizeof *out->v);
    out->n = rs->n;
    out->runs = runs;
    out->seed = seed;
    struct rules_opts all = o ? *o : (struct rules_opts){0, 0, NULL};
    all.school = NULL;      /* every school: the control is over the district */
    struct rule_flags f = {0};
    rules_eval(rs, in, &all, &f);
    for (size_t k = 0; k < rs->n; k++) {
        out->v[k].rule = &rs->v[k];
        out->v[k].observed = flags_of(&f, &rs->v[k]);
    }
    rule_flags_free(&f);

    struct ind_results empty = IND_RESULTS_INIT;
    const struct ind_results *res = in->res ? in->res : &empty;
    struct rule_index ix;
    rule_index_build(&ix, res);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    struct ind_row *rows = xmalloc((res->n + 1) * sizeof *rows);
    struct ana_context *ctx = xcalloc(in->nctx + 1, sizeof *ctx);
    const struct ana_context **ctxp = xmalloc((in->nctx + 1) * sizeof *ctxp);
    double *sum = xcalloc(rs->n + 1, sizeof *sum), *any = xcalloc(rs->n + 1, sizeof *any);
    for (unsigned run = 0; run < runs; run++) {
        null_results(res, &ix, g, rows);
        struct ind_results nres = {rows, res->n, res->n, NULL};
        struct store_works nw;
        null_works(in->works, g, &nw);
        for (size_t c = 0; c < in->nctx; c++) {
            null_context(in->ctx[c], g, &ctx[c]);
            ctxp[c] = &ctx[c];
        }
        struct rules_input nin = *in;
        nin.res = &nres;
        nin.works = &nw;
        nin.ctx = ctxp;
        struct rule_flags nf = {0};
        rules_eval(rs, &nin, &all, &nf);
        for (size_t k = 0; k < rs->n; k++) {
            size_t m = flags_of(&nf, &rs->v[k]);
            sum[k] += (double)m;
            any[k] += m > 0;
            if (m > out->v[k].max_false) out->v[k].max_false = m;
        }
        rule_flags_free(&nf);
        store_works_free(&nw);
        for (size_t c = 0; c < in->nctx; c++) {
            free(ctx[c].v);
            memset(&ctx[c], 0, sizeof ctx[c]);
        }
    }
    for (size_t k = 0; k < rs->n; k++) {
        out->v[k].mean_false = runs ? sum[k] / runs : NAN;
        out->v[k].any_false = runs ? any[k] / runs : NAN;
    }
    free(sum);
    free(any);
    free(ctx);
    free(ctxp);
    free(rows);
    free(ix.v);
    gsl_rng_free(g);
}

void rules_calibs_free(struct rules_calibs *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}
