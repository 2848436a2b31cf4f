/*
 * tasks.c — task-level analysis (contract in tasks.h; method in docs/analysis.md).
 */
#include "tasks.h"

#include "rules_int.h"
#include "stats.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

static const char *const finding_names[] = {"deficit", "common_problem", "particular_problem",
                                            "district_difficulty", "below_region",
                                            "below_russia"};

const char *task_finding_name(enum task_finding_kind k) { return finding_names[k]; }

const char *task_level_ru(enum task_level l)
{
    static const char *const v[] = {"базовый", "повышенный", "высокий"};
    return v[l];
}

const char *task_level_letter(enum task_level l)
{
    static const char *const v[] = {"Б", "П", "В"};
    return v[l];
}

/* ------------------------------------------------------------------ parameters */

void tasks_params(const struct rule_set *rs, struct task_params *p)
{
    memset(p, 0, sizeof *p);
    p->level[0] = p->level[1] = p->level[2] = NAN;
    p->alpha = p->ref_alpha = NAN;
    p->share = NAN;
    for (size_t i = 0; rs && i < rs->n; i++) {
        const struct rule *r = &rs->v[i];
        if (!(r->kind->flags & RK_TASKS)) continue;
        const char *k = r->kind->name;
        const struct rule **slot = strcmp(k, "task_deficit") == 0      ? &p->deficit
                                   : strcmp(k, "task_common") == 0     ? &p->common
                                   : strcmp(k, "task_particular") == 0 ? &p->particular
                                   : strcmp(k, "task_district") == 0   ? &p->district
                                   : strcmp(k, "task_reference") == 0  ? &p->reference
                                                                       : &p->persistent;
        if (*slot) continue;
        *slot = r;
        if (r->min_n > p->min_n) p->min_n = r->min_n;
    }
    if (p->deficit) {
        for (int l = 0; l < 3; l++) p->level[l] = p->deficit->task_level[l];
        p->alpha = p->deficit->alpha;
    }
    if (p->common) p->share = p->common->share;
    if (p->reference) p->ref_alpha = p->reference->alpha;
    if (p->persistent) p->persist_years = p->persistent->hold_k > 0 ? p->persistent->hold_k : 2;
}

/* ------------------------------------------------------------------ helpers */

int task_label_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
            if (x != y) return x < y ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b) {
            /* a sub-item after the number (9.1) after the number alone (9) */
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        }
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int work_cmp(int y1, int g1, const char *s1, const char *t1, int y2, int g2,
                    const char *s2, const char *t2)
{
    if (y1 != y2) return y1 < y2 ? -1 : 1;
    if (g1 != g2) return g1 < g2 ? -1 : 1;
    int c = strcmp(s1, s2);
    if (c) return c;
    return task_label_cmp(t1, t2);
}

static int row_cmp(const void *a, const void *b)
{
    const struct task_row_in *x = *(const struct task_row_in *const *)a;
    const struct task_row_in *y = *(const struct task_row_in *const *)b;
    int c = work_cmp(x->year, x->grade, x->subject, x->task, y->year, y->grade, y->subject,
                     y->task);
    return c ? c : rule_natural_cmp(x->school, y->school);
}

static int plan_cmp(const void *a, const void *b)
{
    const struct task_plan_in *x = *(const struct task_plan_in *const *)a;
    const struct task_plan_in *y = *(const struct task_plan_in *const *)b;
    return work_cmp(x->year, x->grade, x->subject, x->task, y->year, y->grade, y->subject,
                    y->task);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Wilson's interval for points/possible with the design effect phi, in %. */
static void interval(struct task_fig *f, double phi)
{
    struct stats_ci ci;
    f->lo = f->hi = NAN;
    if (!(f->possible > 0) || !isfinite(f->value)) return;
    double k = f->points / phi, n = f->possible / phi;
    if (k > n) k = n;
    if (stats_wilson(k, n, STATS_LEVEL_95, &ci) == STATS_OK && ci.has_interval) {
        f->lo = 100.0 * ci.lo;
        f->hi = 100.0 * ci.hi;
    }
}

static void fig_set(struct task_fig *f, enum task_unit kind, const char *unit, double n,
                    double points, double possible, double min_n)
{
    f->unit_kind = kind;
    f->unit = xstrdup(unit);
    f->n = n;
    f->points = points;
    f->possible = possible;
    f->value = possible > 0 && n >= min_n && n > 0 ? 100.0 * points / possible : NAN;
    f->lo = f->hi = f->p_below = NAN;
}

/* Cluster membership by school: (school, index into the sorted cluster ids). */
struct mem_ix {
    const char *school;
    size_t cluster;
};

static int mem_cmp(const void *a, const void *b)
{
    const struct mem_ix *x = a, *y = b;
    int c = strcmp(x->school, y->school);
    return c ? c : x->cluster < y->cluster ? -1 : x->cluster > y->cluster;
}

struct members {
    struct mem_ix *v;
    size_t n;
    size_t nclusters;
    const char *const *clusters;
};

/* The first entry of school in m (m->n when none). */
static size_t mem_first(const struct members *m, const char *school)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->v[mid].school, school) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* --------------------------------------------------------------- one task */

/* The figures of task t from its school rows rows[0..n). */
static void task_figures(struct task_task *t, const struct task_row_in *const *rows, size_t n,
                         const struct members *mem, const struct task_params *p)
{
    double N = 0, K = 0, M = 0;
    t->schools = xcalloc(n + 1, sizeof *t->schools);
    for (size_t i = 0; i < n; i++) {
        double m = rows[i]->participants * t->max_score;
        fig_set(&t->schools[t->nschools++], TASK_SCHOOL, rows[i]->school,
                rows[i]->participants, rows[i]->points, m, p->min_n);
        N += rows[i]->participants;
        K += rows[i]->points;
        M += m;
    }
    fig_set(&t->district, TASK_DISTRICT, "", N, K, M, p->min_n);
    double P = M > 0 ? K / M : NAN;

    /* φ: the schools' completions around the district's */
    t->phi = 1.0;
    if (P > 0 && P < 1) {
        double *z = xcalloc(n + 1, sizeof *z);
        size_t nz = 0;
        for (size_t i = 0; i < t->nschools; i++) {
            const struct task_fig *f = &t->schools[i];
            if (!(f->possible > 0) || f->n < p->min_n) continue;
            z[nz++] = (f->points / f->possible - P) / sqrt(P * (1 - P) / f->possible);
        }
        struct stats_od_opts o = STATS_OD_OPTS_DEFAULT;
        o.method = STATS_OD_MULTIPLICATIVE;
        struct stats_od od;
        if (nz >= 3 && stats_overdispersion(z, NULL, nz, &o, &od) == STATS_OK && od.adjusted &&
            od.phi > 1)
            t->phi = od.phi;
        free(z);
    }
    interval(&t->district, t->phi);

    /* schools against the rest of the district */
    for (size_t i = 0; i < t->nschools; i++) {
        struct task_fig *f = &t->schools[i];
        interval(f, t->phi);
        double mr = M - f->possible;
        if (!isfinite(f->value) || !(mr > 0) || !(P > 0 && P < 1)) continue;
        double pr = (K - f->points) / mr;
        double se = sqrt(t->phi * P * (1 - P) * (1 / f->possible + 1 / mr));
        f->p_below = gsl_cdf_ugaussian_P((f->points / f->possible - pr) / se);
    }

    /* clusters: pooled; against the rest with the schools as units. Membership is
       sparse (a school is in a cluster or two): per cluster the list of its schools */
    size_t nc = mem->nclusters, ns = t->nschools;
    size_t *cnt = xcalloc(nc + 1, sizeof *cnt);
    for (size_t i = 0; i < ns; i++)
        for (size_t k = mem_first(mem, t->schools[i].unit);
             k < mem->n && strcmp(mem->v[k].school, t->schools[i].unit) == 0; k++)
            cnt[mem->v[k].cluster]++;
    size_t nact = 0, nmem = 0;
    for (size_t c = 0; c < nc; c++) {
        nact += cnt[c] > 0;
        nmem += cnt[c];
    }
    t->clusters = xcalloc(nact + 1, sizeof *t->clusters);
    t->member_at = xcalloc(nact + 1, sizeof *t->member_at);
    t->member_of = xcalloc(nmem + 1, sizeof *t->member_of);
    size_t *slot = xcalloc(nc + 1, sizeof *slot);     /* cluster → its index among t's */
    for (size_t c = 0, a = 0, off = 0; c < nc; c++) {
        if (!cnt[c]) continue;
        slot[c] = a;
        t->member_at[a] = off;
        off += cnt[c];
        a++;
        (void)a;
    }
    size_t *fill = xcalloc(nact + 1, sizeof *fill);
    for (size_t i = 0; i < ns; i++)
        for (size_t k = mem_first(mem, t->schools[i].unit);
             k < mem->n && strcmp(mem->v[k].school, t->schools[i].unit) == 0; k++) {
            size_t a = slot[mem->v[k].cluster];
            t->member_of[t->member_at[a] + fill[a]++] = i;
        }
    double *y = xcalloc(ns + 1, sizeof *y), *w = xcalloc(ns + 1, sizeof *w);
    int *g = xcalloc(ns + 1, sizeof *g);
    for (size_t i = 0; i < ns; i++) {
        const struct task_fig *f = &t->schools[i];
        y[i] = f->possible > 0 ? f->points / f->possible : NAN;
        w[i] = f->possible > 0 ? f->possible : 0;
    }
    for (size_t c = 0; c < nc; c++) {
        if (!cnt[c]) continue;
        size_t a = slot[c];
        double cn = 0, ck = 0, cm = 0;
        for (size_t q = 0; q < cnt[c]; q++) {
            size_t i = t->member_of[t->member_at[a] + q];
            const struct task_fig *f = &t->schools[i];
            g[i] = 1;
            cn += f->n;
            ck += f->points;
            cm += f->possible;
        }
        struct task_fig *cf = &t->clusters[t->nclusters++];
        fig_set(cf, TASK_CLUSTER, mem->clusters[c], cn, ck, cm, p->min_n);
        interval(cf, t->phi);
        struct stats_group_test gt;
        if (isfinite(cf->value) && stats_group_vs_rest(y, w, g, ns, &gt) == STATS_OK &&
            isfinite(gt.p))
            cf->p_below = gt.diff < 0 ? gt.p / 2 : 1 - gt.p / 2;
        for (size_t q = 0; q < cnt[c]; q++) g[t->member_of[t->member_at[a] + q]] = 0;
    }
    t->nmember = nmem;
    free(cnt);
    free(slot);
    free(fill);
    free(y);
    free(w);
    free(g);

    /* the district against the reference levels */
    t->p_region = t->p_russia = NAN;
    for (int k = 0; k < 2; k++) {
        double R = (k == 0 ? t->region : t->russia) / 100.0;
        if (!isfinite(R) || !(R > 0 && R < 1) || !isfinite(t->district.value)) continue;
        double z = (P - R) / sqrt(t->phi * R * (1 - R) / M);
        *(k == 0 ? &t->p_region : &t->p_russia) = gsl_cdf_ugaussian_P(z);
    }
}

/* ------------------------------------------------------------------ findings */

/* How many schools cluster c of t has (their indices: member_of[member_at[c] ...]). */
static size_t task_members(const struct task_task *t, size_t c, size_t *first)
{
    size_t end = c + 1 < t->nclusters ? t->member_at[c + 1] : t->nmember;
    if (first) *first = t->member_at[c];
    return end - t->member_at[c];
}

struct finds {
    struct task_finding *v;
    size_t n, cap;
};

static struct task_finding *add_finding(struct finds *fs, enum task_finding_kind kind,
                                        const struct rule *r, size_t ti,
                                        const struct task_fig *f, double p)
{
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? 2 * fs->cap : 32;
        fs->v = xrealloc(fs->v, fs->cap * sizeof *fs->v);
    }
    struct task_finding *x = &fs->v[fs->n++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->rule = r;
    x->unit_kind = f->unit_kind;
    x->unit = xstrdup(f->unit);
    x->cluster = xstrdup("");
    x->task = ti;
    x->completion = f->value;
    x->n = f->n;
    x->p = p;
    x->run = 1;
    return x;
}

/* Below the level, or (with alpha) significantly below the district: the p-value
 * that decided it through *p (NaN when the level did). */
static int deficit_of(const struct task_task *t, const struct task_fig *f, double alpha,
                      double p_adj, double *p)
{
    *p = NAN;
    if (!isfinite(f->value)) return 0;
    if (isfinite(t->threshold) && f->value < t->threshold) return 1;
    if (isfinite(alpha) && isfinite(p_adj) && p_adj < alpha) {
        *p = p_adj;
        return 1;
    }
    return 0;
}

static void task_findings(const struct task_task *t, size_t ti, const struct task_params *p,
                          struct finds *fs)
{
    /* the district's own difficulty: not pinned on a cluster or a school unless the
       unit is itself significantly below the district */
    int hard = p->district && isfinite(t->district.value) && isfinite(t->threshold) &&
               t->district.value < t->threshold;
    if (hard) add_finding(fs, TF_DISTRICT, p->district, ti, &t->district, NAN);
    if (p->reference && isfinite(p->ref_alpha)) {
        if (isfinite(t->p_region) && t->p_region < p->ref_alpha)
            add_finding(fs, TF_BELOW_REGION, p->reference, ti, &t->district, t->p_region);
        if (isfinite(t->p_russia) && t->p_russia < p->ref_alpha)
            add_finding(fs, TF_BELOW_RUSSIA, p->reference, ti, &t->district, t->p_russia);
    }
    if (!p->deficit) return;
    double alpha = p->alpha;
    int sig_needed = hard;       /* under a district difficulty only a significant gap */

    /* schools: the p-values adjusted over the district's schools (Benjamini–Hochberg) */
    double *pv = xcalloc(t->nschools + 1, sizeof *pv), *q = xcalloc(t->nschools + 1, sizeof *q);
    size_t np = 0;
    for (size_t i = 0; i < t->nschools; i++)
        if (isfinite(t->schools[i].value) && isfinite(t->schools[i].p_below))
            pv[np++] = t->schools[i].p_below;
    if (np && stats_p_adjust(pv, np, STATS_PADJ_BH, q) != STATS_OK)
        for (size_t i = 0; i < np; i++) q[i] = NAN;
    int *def = xcalloc(t->nschools + 1, sizeof *def);
    double *defp = xcalloc(t->nschools + 1, sizeof *defp);
    for (size_t i = 0, k = 0; i < t->nschools; i++) {
        const struct task_fig *f = &t->schools[i];
        double qa = isfinite(f->value) && isfinite(f->p_below) ? q[k++] : NAN;
        double dp;
        if (!deficit_of(t, f, alpha, qa, &dp)) continue;
        if (sig_needed && !(isfinite(qa) && isfinite(alpha) && qa < alpha)) continue;
        def[i] = 1;
        defp[i] = isfinite(dp) ? dp : (sig_needed ? qa : NAN);
        add_finding(fs, TF_DEFICIT, p->deficit, ti, f, defp[i]);
    }

    /* clusters: their own deficit, and their common problem */
    int *common = xcalloc(t->nclusters + 1, sizeof *common);
    int *cdef = xcalloc(t->nclusters + 1, sizeof *cdef);
    for (size_t c = 0; c < t->nclusters; c++) {
        const struct task_fig *cf = &t->clusters[c];
        double dp;
        int sig = isfinite(cf->p_below) && isfinite(alpha) && cf->p_below < alpha;
        if (deficit_of(t, cf, alpha, cf->p_below, &dp) && (!sig_needed || sig)) {
            cdef[c] = 1;
            add_finding(fs, TF_DEFICIT, p->deficit, ti, cf, sig_needed ? cf->p_below : dp);
        }
        int of = 0, with = 0;
        for (size_t k = task_members(t, c, NULL); k-- > 0;) {
            size_t i = t->member_of[t->member_at[c] + k];
            if (!isfinite(t->schools[i].value)) continue;
            of++;
            with += def[i];
        }
        if (p->common && isfinite(p->share) && of >= 2 && with > 0 &&
            (double)with >= p->share * of - 1e-9 && isfinite(cf->value)) {
            common[c] = 1;
            struct task_finding *x = add_finding(fs, TF_COMMON, p->common, ti, cf,
                                                 sig_needed ? cf->p_below : NAN);
            x->schools = with;
            x->of_schools = of;
        }
    }

    /* schools: a deficit their cluster does not share (in school order) */
    unsigned char *in_c = xcalloc(t->nschools + 1, 1);
    for (size_t c = 0; p->particular && c < t->nclusters; c++) {
        if (common[c] || cdef[c]) continue;
        for (size_t k = task_members(t, c, NULL); k-- > 0;) in_c[t->member_of[t->member_at[c] + k]] = 1;
    }
    for (size_t i = 0; p->particular && i < t->nschools; i++) {
        if (!def[i] || !in_c[i]) continue;
        for (size_t c = 0; c < t->nclusters; c++) {
            if (common[c] || cdef[c]) continue;
            int member = 0;
            for (size_t k = task_members(t, c, NULL); k-- > 0 && !member;)
                member = t->member_of[t->member_at[c] + k] == i;
            if (!member) continue;
            struct task_finding *x = add_finding(fs, TF_PARTICULAR, p->particular, ti,
                                                 &t->schools[i], defp[i]);
            free(x->cluster);
            x->cluster = xstrdup(t->clusters[c].unit);
        }
    }
    free(in_c);
    free(pv);
    free(q);
    free(def);
    free(defp);
    free(common);
    free(cdef);
}

/* ------------------------------------------------------------------ words */

static const char *name_of(const char *const *ids, const char *const *names, size_t n,
                           const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return names[i];
    return id;
}

static char *pct(double v) { return rule_ru_num(v, 0); }

/* The recommendation template with the finding's placeholders filled in. */
static char *render(const struct task_finding *f, const struct task_task *t,
                    const struct task_input *in)
{
    const char *tpl = f->rule && f->rule->recommendation ? f->rule->recommendation : "";
    struct sbuf b = SBUF_INIT;
    sbuf_add(&b, "", 0);
    const char *unit_name = f->unit_kind == TASK_SCHOOL
                                ? name_of(in->school_ids, in->school_names, in->nschools, f->unit)
                            : f->unit_kind == TASK_CLUSTER
                                ? name_of(in->cluster_ids, in->cluster_names, in->nclusters, f->unit)
                                : "район";
    for (const char *s = tpl; *s;) {
        const char *e = *s == '{' ? strchr(s, '}') : NULL;
        if (!e) {
            sbuf_add(&b, s, 1);
            s++;
            continue;
        }
        size_t len = (size_t)(e - s - 1);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(len < 31 ? len : 31), s + 1);
        char *num = NULL;
        if (strcmp(key, "skill") == 0) sbuf_adds(&b, t->skill);
        else if (strcmp(key, "task") == 0) sbuf_adds(&b, t->task);
        else if (strcmp(key, "work") == 0)
            sbuf_printf(&b, "%s, %d кл., %d", t->subject, t->grade, t->year);
        else if (strcmp(key, "unit") == 0 || strcmp(key, "school") == 0) sbuf_adds(&b, f->unit);
        else if (strcmp(key, "unit_name") == 0 || strcmp(key, "school_name") == 0)
            sbuf_adds(&b, unit_name);
        else if (strcmp(key, "completion") == 0) sbuf_adds(&b, num = pct(f->completion));
        else if (strcmp(key, "district") == 0) sbuf_adds(&b, num = pct(t->district.value));
        else if (strcmp(key, "years") == 0) sbuf_printf(&b, "%d", f->run);
        else if (strcmp(key, "count") == 0) sbuf_printf(&b, "%d", f->schools);
        else if (strcmp(key, "evaluated") == 0) sbuf_printf(&b, "%d", f->of_schools);
        else if (strcmp(key, "rule") == 0) sbuf_adds(&b, f->rule->title ? f->rule->title : "");
        free(num);
        s = e + 1;
    }
    return sbuf_take(&b);
}

/* ------------------------------------------------------------------ the whole */

void tasks_compute(const struct task_input *in, const struct task_params *p,
                   struct task_result *out)
{
    memset(out, 0, sizeof *out);
    const struct task_plan_in **plan = xcalloc(in->nplan + 1, sizeof *plan);
    for (size_t i = 0; i < in->nplan; i++) plan[i] = &in->plan[i];
    qsort(plan, in->nplan, sizeof *plan, plan_cmp);
    const struct task_row_in **rows = xcalloc(in->nrows + 1, sizeof *rows);
    for (size_t i = 0; i < in->nrows; i++) rows[i] = &in->rows[i];
    qsort(rows, in->nrows, sizeof *rows, row_cmp);
    /* the cluster ids, sorted and distinct, and the membership by school */
    const char **clusters = xcalloc(in->nmembers + 1, sizeof *clusters);
    size_t nclusters = 0;
    for (size_t i = 0; i < in->nmembers; i++) clusters[i] = in->members[i].cluster;
    qsort(clusters, in->nmembers, sizeof *clusters, str_cmp);
    for (size_t i = 0; i < in->nmembers; i++)
        if (!nclusters || strcmp(clusters[nclusters - 1], clusters[i]) != 0)
            clusters[nclusters++] = clusters[i];
    struct members mem = {xcalloc(in->nmembers + 1, sizeof *mem.v), 0, nclusters, clusters};
    for (size_t i = 0; i < in->nmembers; i++) {
        size_t lo = 0, hi = nclusters;          /* the cluster's index */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(clusters[mid], in->members[i].cluster) < 0) lo = mid + 1;
            else hi = mid;
        }
        mem.v[mem.n++] = (struct mem_ix){in->members[i].school, lo};
    }
    qsort(mem.v, mem.n, sizeof *mem.v, mem_cmp);

    out->tasks = xcalloc(in->nplan + 1, sizeof *out->tasks);
    struct finds fs = {0};
    size_t r = 0;
    for (size_t i = 0; i < in->nplan; i++) {
        const struct task_plan_in *pl = plan[i];
        struct task_task *t = &out->tasks[out->ntasks];
        t->year = pl->year;
        t->grade = pl->grade;
        t->subject = xstrdup(pl->subject);
        t->task = xstrdup(pl->task);
        t->skill = xstrdup(pl->skill ? pl->skill : "");
        t->code = xstrdup(pl->code ? pl->code : "");
        t->max_score = pl->max_score;
        t->level = pl->level;
        t->threshold = p->level[pl->level];
        t->region = t->russia = t->district_ref = NAN;
        for (size_t k = 0; k < in->nrefs; k++) {
            const struct task_ref_in *x = &in->refs[k];
            if (work_cmp(x->year, x->grade, x->subject, x->task, pl->year, pl->grade,
                         pl->subject, pl->task) != 0)
                continue;
            *(x->level == TASK_REF_RUSSIA   ? &t->russia
              : x->level == TASK_REF_REGION ? &t->region
                                            : &t->district_ref) = x->completion;
        }
        while (r < in->nrows && work_cmp(rows[r]->year, rows[r]->grade, rows[r]->subject,
                                         rows[r]->task, pl->year, pl->grade, pl->subject,
                                         pl->task) < 0)
            r++;
        size_t e = r;
        while (e < in->nrows && work_cmp(rows[e]->year, rows[e]->grade, rows[e]->subject,
                                         rows[e]->task, pl->year, pl->grade, pl->subject,
                                         pl->task) == 0)
            e++;
        task_figures(t, rows + r, e - r, &mem, p);
        if (!(t->district.n > 0) && isfinite(t->district_ref)) {
            /* a district that typed in its own figure and no school rows */
            t->district.value = t->district_ref;
        }
        t->f0 = fs.n;
        task_findings(t, out->ntasks, p, &fs);
        t->f1 = fs.n;
        r = e;
        out->ntasks++;
    }

    /* persistence: the same finding of the same unit on the same task the year before
       (the tasks are sorted by year, work and task: the year before by bisection) */
    for (size_t i = 0; i < fs.n; i++) {
        struct task_finding *f = &fs.v[i];
        const struct task_task *t = &out->tasks[f->task];
        size_t lo = 0, hi = out->ntasks;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const struct task_task *u = &out->tasks[mid];
            if (work_cmp(u->year, u->grade, u->subject, u->task, t->year - 1, t->grade,
                         t->subject, t->task) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        const struct task_task *u = lo < out->ntasks ? &out->tasks[lo] : NULL;
        if (u && u->year == t->year - 1 && u->grade == t->grade &&
            strcmp(u->subject, t->subject) == 0 && strcmp(u->task, t->task) == 0)
            for (size_t j = u->f0; j < u->f1; j++) {
                const struct task_finding *g = &fs.v[j];
                if (g->kind == f->kind && strcmp(g->unit, f->unit) == 0 &&
                    strcmp(g->cluster, f->cluster) == 0)
                    f->run = g->run + 1;
            }
        f->persistent = p->persistent && p->persist_years > 0 && f->run >= p->persist_years;
        f->recommendation = render(f, t, in);
    }
    out->findings = fs.v;
    out->nfindings = fs.n;
    free(plan);
    free(rows);
    free(clusters);
    free(mem.v);
}

const struct task_fig *task_fig_of(const struct task_task *t, enum task_unit k, const char *unit)
{
    if (k == TASK_DISTRICT) return &t->district;
    const struct task_fig *v = k == TASK_SCHOOL ? t->schools : t->clusters;
    size_t n = k == TASK_SCHOOL ? t->nschools : t->nclusters;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].unit, unit) == 0) return &v[i];
    return NULL;
}

void tasks_free(struct task_result *r)
{
    for (size_t i = 0; i < r->ntasks; i++) {
        struct task_task *t = &r->tasks[i];
        free(t->subject);
        free(t->task);
        free(t->skill);
        free(t->code);
        free(t->district.unit);
        for (size_t k = 0; k < t->nschools; k++) free(t->schools[k].unit);
        for (size_t k = 0; k < t->nclusters; k++) free(t->clusters[k].unit);
        free(t->schools);
        free(t->clusters);
        free(t->member_at);
        free(t->member_of);
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        free(r->findings[i].unit);
        free(r->findings[i].cluster);
        free(r->findings[i].recommendation);
    }
    for (size_t i = 0; i < r->nmarks; i++) {
        free(r->marks[i].subject);
        free(r->marks[i].unit);
    }
    free(r->tasks);
    free(r->findings);
    free(r->marks);
    memset(r, 0, sizeof *r);
}

const struct task_marks *task_marks_of(const struct task_result *r, int year, int grade,
                                       const char *subject, enum task_marks_level level,
                                       const char *unit)
{
    for (size_t i = 0; r && i < r->nmarks; i++) {
        const struct task_marks *m = &r->marks[i];
        if (m->year == year && m->grade == grade && m->level == level &&
            strcmp(m->subject, subject) == 0 &&
            (level != TM_CLUSTER || strcmp(m->unit, unit ? unit : "") == 0))
            return m;
    }
    return NULL;
}

static void marks_add(struct task_result *r, size_t *cap, int year, int grade,
                      const char *subject, enum task_marks_level level, const char *unit,
                      const double share[4], double n)
{
    if (r->nmarks == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        r->marks = xrealloc(r->marks, *cap * sizeof *r->marks);
    }
    struct task_marks *m = &r->marks[r->nmarks++];
    m->year = year;
    m->grade = grade;
    m->subject = xstrdup(subject);
    m->level = level;
    m->unit = xstrdup(unit ? unit : "");
    memcpy(m->share, share, sizeof m->share);
    m->n = n;
}

/* The works' marks: pooled from vpr (district, clusters) and the reference rows. */
static int read_marks(sqlite3 *db, int y1, struct task_result *out, struct soko_diag *d)
{
    static const char *const sql[2] = {
        /* district (cluster NULL) and clusters: Σ counts over the schools' rows */
        "SELECT year, grade, subject, NULL, sum(m2), sum(m3), sum(m4), sum(m5), "
        "sum(participants) FROM vpr WHERE year <= ?1 GROUP BY year, grade, subject "
        "UNION ALL "
        "SELECT v.year, v.grade, v.subject, c.cluster_id, sum(v.m2), sum(v.m3), sum(v.m4), "
        "sum(v.m5), sum(v.participants) FROM vpr v JOIN clusters c ON c.school_id = "
        "v.school_id WHERE v.year <= ?1 GROUP BY v.year, v.grade, v.subject, c.cluster_id "
        "ORDER BY 1, 2, 3, 4",
        "SELECT year, grade, subject, level, p2, p3, p4, p5, participants FROM vpr_reference "
        "WHERE year <= ?1 ORDER BY year, grade, subject, level"};
    size_t cap = 0;
    for (int k = 0; k < 2; k++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql[k], -1, &st, NULL) != SQLITE_OK) {
            soko_diag_add(d, NULL, 0, 0, _("reading the task results from the store: %s"),
                          sqlite3_errmsg(db));
            return SOKO_EDB;
        }
        sqlite3_bind_int(st, 1, y1 > 0 ? y1 : 9999);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            double v[4], n = sqlite3_column_type(st, 8) == SQLITE_NULL
                                 ? NAN
                                 : sqlite3_column_double(st, 8);
            for (int j = 0; j < 4; j++) v[j] = sqlite3_column_double(st, 4 + j);
            const char *unit = (const char *)sqlite3_column_text(st, 3);
            enum task_marks_level level;
            if (k == 0) {
                if (!(n > 0)) continue;
                for (int j = 0; j < 4; j++) v[j] = 100.0 * v[j] / n;
                level = unit ? TM_CLUSTER : TM_DISTRICT;
            } else {
                level = unit && strcmp(unit, "russia") == 0   ? TM_RUSSIA
                        : unit && strcmp(unit, "region") == 0 ? TM_REGION
                                                              : TM_DISTRICT_REF;
                unit = NULL;
            }
            marks_add(out, &cap, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                      (const char *)sqlite3_column_text(st, 2), level, unit, v, n);
        }
        sqlite3_finalize(st);
        if (step != SQLITE_DONE) {
            soko_diag_add(d, NULL, 0, 0, _("reading the task results from the store: %s"),
                          sqlite3_errmsg(db));
            return SOKO_EDB;
        }
    }
    return SOKO_OK;
}

/* ------------------------------------------------------------------ the store */

struct strs {
    char **v;
    size_t n, cap;
};

static const char *keep(struct strs *s, const unsigned char *t)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    return s->v[s->n++] = xstrdup(t ? (const char *)t : "");
}

#define GROW(v, n, cap)                                        \
    do {                                                       \
        if ((n) == (cap)) {                                    \
            (cap) = (cap) ? 2 * (cap) : 64;                    \
            (v) = xrealloc((v), (cap) * sizeof *(v));          \
        }                                                      \
    } while (0)

static int prep(sqlite3 *db, const char *sql, int y0, int y1, sqlite3_stmt **st,
                struct soko_diag *d)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, _("reading the task results from the store: %s"),
                      sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    if (sqlite3_bind_parameter_count(*st) >= 2) {
        /* the years before y0 too: a finding's persistence looks back */
        (void)y0;
        sqlite3_bind_int(*st, 1, 0);
        sqlite3_bind_int(*st, 2, y1 > 0 ? y1 : 9999);
    }
    return SOKO_OK;
}

static int done(sqlite3 *db, sqlite3_stmt *st, int step, struct soko_diag *d)
{
    sqlite3_finalize(st);
    if (step == SQLITE_DONE) return SOKO_OK;
    soko_diag_add(d, NULL, 0, 0, _("reading the task results from the store: %s"),
                  sqlite3_errmsg(db));
    return SOKO_EDB;
}

int tasks_run(sqlite3 *db, const struct rule_set *rs, int y0, int y1, struct task_result *out,
              struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    struct strs S = {0};
    struct task_plan_in *plan = NULL;
    struct task_row_in *rows = NULL;
    struct task_ref_in *refs = NULL;
    struct task_member_in *mem = NULL;
    const char **sid = NULL, **sname = NULL, **cid = NULL, **cname = NULL;
    size_t np = 0, cp = 0, nr = 0, cr = 0, nf = 0, cf = 0, nm = 0, cm = 0, ns = 0, cs = 0,
           nc = 0, cc = 0, cs2 = 0, cc2 = 0;
    sqlite3_stmt *st;
    int step, rc;

    rc = prep(db, "SELECT year, grade, subject, task, skill, code, max_score, level FROM vpr_plan "
                  "WHERE year BETWEEN ?1 AND ?2", y0, y1, &st, d);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        GROW(plan, np, cp);
        const char *lv = (const char *)sqlite3_column_text(st, 7);
        plan[np++] = (struct task_plan_in){
            sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
            keep(&S, sqlite3_column_text(st, 2)), keep(&S, sqlite3_column_text(st, 3)),
            keep(&S, sqlite3_column_text(st, 4)), keep(&S, sqlite3_column_text(st, 5)),
            sqlite3_column_int(st, 6),
            lv && strcmp(lv, "advanced") == 0 ? TASK_ADVANCED
            : lv && strcmp(lv, "high") == 0   ? TASK_HIGH
                                              : TASK_BASIC};
    }
    if (!rc) rc = done(db, st, step, d);
    if (!rc)
        rc = prep(db, "SELECT year, grade, subject, task, school_id, participants, points FROM "
                      "vpr_tasks WHERE year BETWEEN ?1 AND ?2 AND points IS NOT NULL",
                  y0, y1, &st, d);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        GROW(rows, nr, cr);
        rows[nr++] = (struct task_row_in){
            sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
            keep(&S, sqlite3_column_text(st, 2)), keep(&S, sqlite3_column_text(st, 3)),
            keep(&S, sqlite3_column_text(st, 4)), sqlite3_column_double(st, 5),
            sqlite3_column_double(st, 6)};
    }
    if (!rc) rc = done(db, st, step, d);
    if (!rc)
        rc = prep(db, "SELECT year, grade, subject, task, level, completion FROM "
                      "vpr_reference_tasks WHERE year BETWEEN ?1 AND ?2", y0, y1, &st, d);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        GROW(refs, nf, cf);
        const char *lv = (const char *)sqlite3_column_text(st, 4);
        refs[nf++] = (struct task_ref_in){
            sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
            keep(&S, sqlite3_column_text(st, 2)), keep(&S, sqlite3_column_text(st, 3)),
            lv && strcmp(lv, "russia") == 0   ? TASK_REF_RUSSIA
            : lv && strcmp(lv, "region") == 0 ? TASK_REF_REGION
                                              : TASK_REF_DISTRICT,
            sqlite3_column_double(st, 5)};
    }
    if (!rc) rc = done(db, st, step, d);
    if (!rc)
        rc = prep(db, "SELECT cluster_id, school_id, cluster_name FROM clusters ORDER BY "
                      "cluster_id, school_id", 0, 0, &st, d);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        GROW(mem, nm, cm);
        mem[nm].cluster = keep(&S, sqlite3_column_text(st, 0));
        mem[nm].school = keep(&S, sqlite3_column_text(st, 1));
        int seen = 0;
        for (size_t k = 0; k < nc && !seen; k++) seen = strcmp(cid[k], mem[nm].cluster) == 0;
        if (!seen) {
            GROW(cid, nc, cc);
            if (cc2 < cc) {
                cname = xrealloc(cname, cc * sizeof *cname);
                cc2 = cc;
            }
            cid[nc] = mem[nm].cluster;
            cname[nc++] = sqlite3_column_type(st, 2) == SQLITE_NULL
                              ? mem[nm].cluster
                              : keep(&S, sqlite3_column_text(st, 2));
        }
        nm++;
    }
    if (!rc) rc = done(db, st, step, d);
    if (!rc) rc = prep(db, "SELECT school_id, name FROM schools ORDER BY school_id", 0, 0, &st, d);
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        GROW(sid, ns, cs);
        if (cs2 < cs) {
            sname = xrealloc(sname, cs * sizeof *sname);
            cs2 = cs;
        }
        sid[ns] = keep(&S, sqlite3_column_text(st, 0));
        sname[ns++] = keep(&S, sqlite3_column_text(st, 1));
    }
    if (!rc) rc = done(db, st, step, d);
    if (!rc) {
        struct task_input in = {plan, np, rows, nr, refs, nf, mem, nm,
                                sid, sname, ns, cid, cname, nc};
        struct task_params p;
        tasks_params(rs, &p);
        tasks_compute(&in, &p, out);
        /* the years before the window were read for persistence only */
        size_t k = 0;
        for (size_t i = 0; i < out->nfindings; i++) {
            struct task_finding *f = &out->findings[i];
            if (y0 > 0 && out->tasks[f->task].year < y0) {
                free(f->unit);
                free(f->cluster);
                free(f->recommendation);
                continue;
            }
            out->findings[k++] = *f;
        }
        out->nfindings = k;
        rc = read_marks(db, y1, out, d);
    }
    for (size_t i = 0; i < S.n; i++) free(S.v[i]);
    free(S.v);
    free(plan);
    free(rows);
    free(refs);
    free(mem);
    free(sid);
    free(sname);
    free(cid);
    free(cname);
    return rc;
}
