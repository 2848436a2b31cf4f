/*
 * cluster.c — see cluster.h for the contract and docs/clustering.md for the methods.
 *
 * Every function checks its arguments first and then cannot fail except by running
 * out of memory (xmalloc ends the program) or, in k-means, by GSL failing to
 * allocate its generator. Distances are computed from the rows each time they are
 * needed, except in Ward's method, which has to keep and update all of them.
 */
#include "cluster.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "soko.h"

/* A larger mean silhouette must beat the best by more than this to win (tie rule). */
#define SIL_TIE 1e-12

const char *cluster_rc_name(int rc)
{
    switch (rc) {
    case CLUSTER_OK: return "ok";
    case CLUSTER_EINPUT: return "bad input";
    case CLUSTER_EMISSING: return "missing value";
    case CLUSTER_ECONSTANT: return "constant factor";
    case CLUSTER_EDEGENERATE: return "degenerate data";
    case CLUSTER_ETOOBIG: return "too many units";
    case CLUSTER_ENUMERIC: return "numerical failure";
    default: return "unknown";
    }
}

/* --- helpers ------------------------------------------------------------------------ */

/* n·p without overflow, as the size of an array of doubles; 0 on overflow. */
static size_t cells(size_t n, size_t p)
{
    if (n == 0 || p == 0 || n > SIZE_MAX / sizeof(double) / p)
        return 0;
    return n * p;
}

static int all_finite(const double *x, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Squared Euclidean distance between two rows of length p. */
static double dist2(const double *a, const double *b, size_t p)
{
    double s = 0.0;
    for (size_t j = 0; j < p; j++) {
        double d = a[j] - b[j];
        s += d * d;
    }
    return s;
}

static int rows_equal(const double *a, const double *b, size_t p)
{
    for (size_t j = 0; j < p; j++)
        if (a[j] != b[j])
            return 0;
    return 1;
}

/* Lexicographic order of two label vectors. */
static int labels_cmp(const size_t *a, const size_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Labels in 0..k-1 with every cluster present; sizes into size[k]. */
static int labels_ok(const size_t *label, size_t n, size_t k, size_t *size)
{
    memset(size, 0, k * sizeof *size);
    for (size_t i = 0; i < n; i++) {
        if (label[i] >= k)
            return 0;
        size[label[i]]++;
    }
    for (size_t c = 0; c < k; c++)
        if (size[c] == 0)
            return 0;
    return 1;
}

/* Means of the k clusters (k×p) in unit order; counts into size. Empty: NaN. */
static void cluster_means(const double *x, size_t n, size_t p, const size_t *label,
                          size_t k, double *mean, size_t *size)
{
    memset(mean, 0, k * p * sizeof *mean);
    memset(size, 0, k * sizeof *size);
    for (size_t i = 0; i < n; i++) {
        double *m = mean + label[i] * p;
        const double *xi = x + i * p;
        for (size_t j = 0; j < p; j++)
            m[j] += xi[j];
        size[label[i]]++;
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < p; j++)
            mean[c * p + j] = size[c] ? mean[c * p + j] / (double)size[c] : NAN;
}

/* --- preparing the factors ------------------------------------------------------------ */

size_t cluster_missing_rows(const double *x, size_t n, size_t p, unsigned char *missing)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int bad = !all_finite(x + i * p, p);
        if (missing)
            missing[i] = (unsigned char)bad;
        count += (size_t)bad;
    }
    return count;
}

int cluster_scale(const double *x, size_t n, size_t p, double *z, double *mean,
                  double *sd, size_t *bad_row, size_t *bad_col)
{
    if (!x || !z || n < 2 || cells(n, p) == 0)
        return CLUSTER_EINPUT;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            if (!isfinite(x[i * p + j])) {
                if (bad_row)
                    *bad_row = i;
                if (bad_col)
                    *bad_col = j;
                return CLUSTER_EMISSING;
            }
    for (size_t j = 0; j < p; j++) {
        size_t i = 1;
        while (i < n && x[i * p + j] == x[j])
            i++;
        if (i == n) {
            if (bad_row)
                *bad_row = (size_t)-1;
            if (bad_col)
                *bad_col = j;
            return CLUSTER_ECONSTANT;
        }
    }

    double *m = xmalloc(2 * p * sizeof *m), *s = m + p;
    for (size_t j = 0; j < p; j++) {
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum += x[i * p + j];
        m[j] = sum / (double)n;
        /* Two passes: the sum of squared deviations, not Σx² - n·mean², which loses
         * every digit for a column like school size (values near 10³, spread 10¹). */
        double ss = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = x[i * p + j] - m[j];
            ss += d * d;
        }
        s[j] = sqrt(ss / (double)(n - 1));
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            z[i * p + j] = (x[i * p + j] - m[j]) / s[j];
    if (mean)
        memcpy(mean, m, p * sizeof *m);
    if (sd)
        memcpy(sd, s, p * sizeof *s);
    free(m);
    return CLUSTER_OK;
}

int cluster_relabel(const size_t *in, size_t n, size_t kin, size_t *out, size_t *k)
{
    if (!in || !out || n == 0 || kin == 0)
        return CLUSTER_EINPUT;
    for (size_t i = 0; i < n; i++)
        if (in[i] >= kin)
            return CLUSTER_EINPUT;
    size_t *map = xmalloc(kin * sizeof *map);
    for (size_t c = 0; c < kin; c++)
        map[c] = SIZE_MAX;
    size_t next = 0;
    for (size_t i = 0; i < n; i++) {
        if (map[in[i]] == SIZE_MAX)
            map[in[i]] = next++;
        out[i] = map[in[i]];
    }
    free(map);
    if (k)
        *k = next;
    return CLUSTER_OK;
}

/* --- k-means ------------------------------------------------------------------------- */

void cluster_kmeans_free(struct cluster_kmeans *km)
{
    if (!km)
        return;
    free(km->label);
    free(km->centre);
    free(km->withinss);
    free(km->size);
    memset(km, 0, sizeof *km);
}

/* Lloyd's iteration from the centres in cen (k×p, overwritten with the last means),
 * as R's kmeans_Lloyd, plus the empty-cluster repair. label gets the partition
 * (not yet canonical); near (n) and size (k) are scratch. Returns R's iteration
 * count: max_iter + 1 when it did not settle. */
static size_t lloyd(const double *x, size_t n, size_t p, size_t k, double *cen,
                    size_t *label, size_t max_iter, double *near, size_t *size)
{
    size_t iter;
    for (size_t i = 0; i < n; i++)
        label[i] = SIZE_MAX;
    for (iter = 0; iter < max_iter; iter++) {
        int changed = 0;
        for (size_t i = 0; i < n; i++) {
            double best = INFINITY;
            size_t c = 0;
            for (size_t j = 0; j < k; j++) {
                double d = dist2(x + i * p, cen + j * p, p);
                if (d < best) {   /* strict: ties to the lower centre, as R */
                    best = d;
                    c = j;
                }
            }
            near[i] = best;
            if (label[i] != c) {
                label[i] = c;
                changed = 1;
            }
        }
        if (!changed)
            break;
        memset(size, 0, k * sizeof *size);
        for (size_t i = 0; i < n; i++)
            size[label[i]]++;
        for (size_t j = 0; j < k; j++) {
            if (size[j] != 0)
                continue;
            /* Some cluster has two or more units: n >= k and cluster j has none. */
            size_t far = SIZE_MAX;
            for (size_t i = 0; i < n; i++)
                if (size[label[i]] >= 2 && (far == SIZE_MAX || near[i] > near[far]))
                    far = i;
            SOKO_ASSERT(far != SIZE_MAX);
            size[label[far]]--;
            label[far] = j;
            size[j] = 1;
            near[far] = 0.0;   /* it is its new cluster's centre: never taken twice */
        }
        cluster_means(x, n, p, label, k, cen, size);
    }
    return iter + 1;
}

/* Hartigan's single-unit transfers after Lloyd: moving unit i from cluster a to b
 * changes the within-SS by n_b/(n_b+1)·|x_i - c_b|² - n_a/(n_a-1)·|x_i - c_a|², so
 * a unit may lower the sum by moving even when its own centre is the nearest — the
 * local optima Lloyd stops in. Units are visited in index order, each moved to the
 * cluster of the largest decrease (ties to the lower label) when that decrease is
 * more than 1e-12 of its cost, so rounding cannot make it cycle; centres are moved
 * with the unit and recomputed exactly after every pass. A partition no transfer
 * improves is also a fixed point of Lloyd (a unit nearer another centre would gain
 * by moving there). cen must hold the means of label, size its counts. Returns 1
 * if a pass moved nothing within max_pass passes. */
static int transfers(const double *x, size_t n, size_t p, size_t k, double *cen,
                     size_t *label, size_t *size, size_t max_pass)
{
    for (size_t pass = 0; pass < max_pass; pass++) {
        size_t moved = 0;
        for (size_t i = 0; i < n; i++) {
            const double *xi = x + i * p;
            size_t a = label[i];
            if (size[a] < 2)
                continue;
            double na = (double)size[a];
            double cost_a = na / (na - 1.0) * dist2(xi, cen + a * p, p);
            size_t b = a;
            double cost_b = cost_a;
            for (size_t c = 0; c < k; c++) {
                if (c == a)
                    continue;
                double nc = (double)size[c];
                double v = nc / (nc + 1.0) * dist2(xi, cen + c * p, p);
                if (v < cost_b) {
                    cost_b = v;
                    b = c;
                }
            }
            if (b == a || !(cost_b < cost_a * (1.0 - 1e-12)))
                continue;
            double nb = (double)size[b];
            for (size_t j = 0; j < p; j++) {
                cen[a * p + j] = (na * cen[a * p + j] - xi[j]) / (na - 1.0);
                cen[b * p + j] = (nb * cen[b * p + j] + xi[j]) / (nb + 1.0);
            }
            size[a]--;
            size[b]++;
            label[i] = b;
            moved++;
        }
        if (moved == 0)
            return 1;
        cluster_means(x, n, p, label, k, cen, size);
    }
    return 0;
}

/* Fills every field of out but iter, converged and nbest from a canonical partition. */
static void kmeans_fill(const double *x, size_t n, size_t p, size_t k,
                        struct cluster_kmeans *out)
{
    cluster_means(x, n, p, out->label, k, out->centre, out->size);
    memset(out->withinss, 0, k * sizeof *out->withinss);
    for (size_t i = 0; i < n; i++)
        out->withinss[out->label[i]] += dist2(x + i * p, out->centre + out->label[i] * p, p);
    out->tot_withinss = 0.0;
    for (size_t c = 0; c < k; c++)
        out->tot_withinss += out->withinss[c];
    double *grand = xcalloc(p, sizeof *grand);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            grand[j] += x[i * p + j];
    for (size_t j = 0; j < p; j++)
        grand[j] /= (double)n;
    out->totss = 0.0;
    for (size_t i = 0; i < n; i++)
        out->totss += dist2(x + i * p, grand, p);
    free(grand);
    out->betweenss = out->totss - out->tot_withinss;
}

static void kmeans_alloc(struct cluster_kmeans *km, size_t n, size_t p, size_t k)
{
    memset(km, 0, sizeof *km);
    km->n = n;
    km->p = p;
    km->k = k;
    km->label = xmalloc(n * sizeof *km->label);
    km->centre = xmalloc(k * p * sizeof *km->centre);
    km->withinss = xmalloc(k * sizeof *km->withinss);
    km->size = xmalloc(k * sizeof *km->size);
}

/* The checks shared by the k-means entry points. */
static int kmeans_args(const double *x, size_t n, size_t p, size_t k, size_t max_iter,
                       const struct cluster_kmeans *out)
{
    if (!x || !out || k == 0 || k > n || max_iter == 0 || cells(n, p) == 0)
        return CLUSTER_EINPUT;
    if (!all_finite(x, n * p))
        return CLUSTER_EMISSING;
    return CLUSTER_OK;
}

int cluster_kmeans_starts(const double *x, size_t n, size_t p, size_t k,
                          const double *inits, size_t nstart, size_t max_iter,
                          enum cluster_kmeans_algo algo, struct cluster_kmeans *out)
{
    int rc = kmeans_args(x, n, p, k, max_iter, out);
    if (rc != CLUSTER_OK)
        return rc;
    if (algo != CLUSTER_KMEANS_TRANSFER && algo != CLUSTER_KMEANS_LLOYD)
        return CLUSTER_EINPUT;
    if (!inits || nstart == 0 || cells(nstart, k * p) == 0)
        return CLUSTER_EINPUT;
    if (!all_finite(inits, nstart * k * p))
        return CLUSTER_EMISSING;
    for (size_t s = 0; s < nstart; s++) {
        const double *c0 = inits + s * k * p;
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++)
                if (rows_equal(c0 + a * p, c0 + b * p, p))
                    return CLUSTER_EINPUT;
    }

    struct cluster_kmeans best, cand;
    kmeans_alloc(&best, n, p, k);
    kmeans_alloc(&cand, n, p, k);
    double *near = xmalloc(n * sizeof *near);
    size_t *scratch = xmalloc(k * sizeof *scratch);
    int have = 0;
    for (size_t s = 0; s < nstart; s++) {
        memcpy(cand.centre, inits + s * k * p, k * p * sizeof *cand.centre);
        cand.iter = lloyd(x, n, p, k, cand.centre, cand.label, max_iter, near, scratch);
        cand.converged = cand.iter <= max_iter;
        if (algo == CLUSTER_KMEANS_TRANSFER) {
            /* The centres are already the means; this also counts the sizes. */
            cluster_means(x, n, p, cand.label, k, cand.centre, scratch);
            if (!transfers(x, n, p, k, cand.centre, cand.label, scratch, max_iter))
                cand.converged = 0;
        }
        rc = cluster_relabel(cand.label, n, k, cand.label, NULL);
        SOKO_ASSERT(rc == CLUSTER_OK);
        kmeans_fill(x, n, p, k, &cand);
        int take;
        if (!have) {
            take = 1;
        } else if (labels_cmp(cand.label, best.label, n) == 0) {
            take = 0;
            /* The same partition again: what is kept of the starts must not depend
             * on their order, so the fewest passes and whether any settled. */
            best.nbest++;
            if (cand.iter < best.iter)
                best.iter = cand.iter;
            best.converged |= cand.converged;
        } else {
            /* Equal sums with different partitions: the smaller label vector wins,
             * so that the order of the starts does not matter. */
            take = cand.tot_withinss < best.tot_withinss ||
                   (cand.tot_withinss == best.tot_withinss &&
                    labels_cmp(cand.label, best.label, n) < 0);
        }
        if (take) {
            struct cluster_kmeans t = best;
            best = cand;
            cand = t;
            best.nbest = 1;
            have = 1;
        }
    }
    free(near);
    free(scratch);
    cluster_kmeans_free(&cand);
    *out = best;
    return CLUSTER_OK;
}

int cluster_kmeans_from(const double *x, size_t n, size_t p, size_t k,
                        const double *init, size_t max_iter, struct cluster_kmeans *out)
{
    return cluster_kmeans_starts(x, n, p, k, init, 1, max_iter, CLUSTER_KMEANS_LLOYD, out);
}

/* k-means++ seeding: k distinct units as centres into cen (k×p). d2 (n) is scratch.
 * Returns 0 when fewer than k distinct units exist. */
static int kmeanspp(const double *x, size_t n, size_t p, size_t k, gsl_rng *r,
                    double *cen, double *d2)
{
    size_t first = (size_t)gsl_rng_uniform_int(r, (unsigned long)n);
    memcpy(cen, x + first * p, p * sizeof *cen);
    for (size_t i = 0; i < n; i++)
        d2[i] = dist2(x + i * p, cen, p);
    for (size_t c = 1; c < k; c++) {
        double total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += d2[i];
        if (!(total > 0.0))
            return 0;
        double u = gsl_rng_uniform(r) * total, cum = 0.0;
        size_t pick = SIZE_MAX, last = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            if (d2[i] <= 0.0)
                continue;   /* a unit already at a centre is never taken again */
            last = i;
            cum += d2[i];
            if (u < cum) {
                pick = i;
                break;
            }
        }
        if (pick == SIZE_MAX)
            pick = last;    /* u rounded up to the total */
        memcpy(cen + c * p, x + pick * p, p * sizeof *cen);
        for (size_t i = 0; i < n; i++) {
            double d = dist2(x + i * p, cen + c * p, p);
            if (d < d2[i])
                d2[i] = d;
        }
    }
    return 1;
}

int cluster_kmeans(const double *x, size_t n, size_t p, size_t k,
                   const struct cluster_kmeans_opts *opts, struct cluster_kmeans *out)
{
    unsigned long seed = opts ? opts->seed : 1;
    size_t nstart = opts && opts->nstart ? opts->nstart : CLUSTER_KMEANS_NSTART;
    size_t max_iter = opts && opts->max_iter ? opts->max_iter : CLUSTER_KMEANS_MAX_ITER;
    int rc = kmeans_args(x, n, p, k, max_iter, out);
    if (rc != CLUSTER_OK)
        return rc;
    if (cells(nstart, k * p) == 0)
        return CLUSTER_EINPUT;

    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return CLUSTER_ENUMERIC;
    gsl_rng_set(r, seed);
    double *inits = xmalloc(nstart * k * p * sizeof *inits);
    double *d2 = xmalloc(n * sizeof *d2);
    rc = CLUSTER_OK;
    for (size_t s = 0; s < nstart && rc == CLUSTER_OK; s++)
        if (!kmeanspp(x, n, p, k, r, inits + s * k * p, d2))
            rc = CLUSTER_EDEGENERATE;
    free(d2);
    gsl_rng_free(r);
    if (rc == CLUSTER_OK)
        rc = cluster_kmeans_starts(x, n, p, k, inits, nstart, max_iter,
                                   opts ? opts->algo : CLUSTER_KMEANS_TRANSFER, out);
    free(inits);
    return rc;
}

/* --- Ward's hierarchical clustering ---------------------------------------------------- */

void cluster_tree_free(struct cluster_tree *t)
{
    if (!t)
        return;
    free(t->merge);
    free(t->height);
    memset(t, 0, sizeof *t);
}

/* Position of the pair i < j in the packed upper triangle of an n×n matrix. */
static size_t tri(size_t n, size_t i, size_t j)
{
    return i * (2 * n - i - 1) / 2 + (j - i - 1);
}

/* State of the agglomeration: clusters are named by their lowest unit index. */
struct ward {
    size_t n;
    double *d;              /* n(n-1)/2 packed Lance–Williams dissimilarities */
    unsigned char *alive;   /* n: the name is a current cluster */
    size_t *nn;             /* n: nearest living cluster above i (SIZE_MAX: none) */
    double *dnn;            /* n: its dissimilarity (INFINITY: none) */
};

static double wd(const struct ward *w, size_t a, size_t b)
{
    return a < b ? w->d[tri(w->n, a, b)] : w->d[tri(w->n, b, a)];
}

/* The nearest living cluster above i, ties to the lowest name. */
static void ward_nn(struct ward *w, size_t i)
{
    size_t best = SIZE_MAX;
    double dbest = INFINITY;
    for (size_t j = i + 1; j < w->n; j++)
        if (w->alive[j]) {
            double d = w->d[tri(w->n, i, j)];
            if (best == SIZE_MAX || d < dbest) {
                best = j;
                dbest = d;
            }
        }
    w->nn[i] = best;
    w->dnn[i] = dbest;
}

/* R's sign convention for the cluster named a: its last step, or -(unit + 1). */
static int tree_ref(const size_t *step, size_t a)
{
    return step[a] ? (int)step[a] : -(int)(a + 1);
}

int cluster_ward(const double *x, size_t n, size_t p, struct cluster_tree *out)
{
    if (!x || !out || n < 2 || cells(n, p) == 0)
        return CLUSTER_EINPUT;
    if (n > CLUSTER_WARD_MAX_N)
        return CLUSTER_ETOOBIG;
    if (!all_finite(x, n * p))
        return CLUSTER_EMISSING;

    struct ward w;
    w.n = n;
    w.d = xmalloc(n * (n - 1) / 2 * sizeof *w.d);
    w.alive = xmalloc(n);
    w.nn = xmalloc(n * sizeof *w.nn);
    w.dnn = xmalloc(n * sizeof *w.dnn);
    double *members = xmalloc(n * sizeof *members);
    size_t *step = xcalloc(n, sizeof *step);
    for (size_t i = 0; i < n; i++) {
        w.alive[i] = 1;
        members[i] = 1.0;
        for (size_t j = i + 1; j < n; j++)
            w.d[tri(n, i, j)] = dist2(x + i * p, x + j * p, p);
    }
    for (size_t i = 0; i < n; i++)
        ward_nn(&w, i);

    out->n = n;
    out->merge = xmalloc(2 * (n - 1) * sizeof *out->merge);
    out->height = xmalloc((n - 1) * sizeof *out->height);
    for (size_t s = 0; s + 1 < n; s++) {
        /* The closest pair: lowest i among equal ones, and nn[i] is its lowest j. */
        size_t a = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (w.alive[i] && w.nn[i] != SIZE_MAX && (a == SIZE_MAX || w.dnn[i] < w.dnn[a]))
                a = i;
        SOKO_ASSERT(a != SIZE_MAX);
        size_t b = w.nn[a];
        double dab = w.dnn[a];
        out->height[s] = dab > 0.0 ? sqrt(dab) : 0.0;

        int ra = tree_ref(step, a), rb = tree_ref(step, b);
        if ((ra > 0 && rb < 0) || (ra > 0 && rb > 0 && ra > rb)) {
            int t = ra;
            ra = rb;
            rb = t;
        }
        out->merge[2 * s] = ra;
        out->merge[2 * s + 1] = rb;

        w.alive[b] = 0;
        for (size_t k = 0; k < n; k++) {
            if (!w.alive[k] || k == a)
                continue;
            double dak = wd(&w, a, k), dbk = wd(&w, b, k), mk = members[k];
            /* R's expression, term for term, so that the heights round alike. */
            double v = (members[a] + mk) * dak + (members[b] + mk) * dbk - mk * dab;
            v /= members[a] + members[b] + mk;
            if (a < k)
                w.d[tri(n, a, k)] = v;
            else
                w.d[tri(n, k, a)] = v;
        }
        members[a] += members[b];
        step[a] = s + 1;

        /* Nearest neighbours: a's own list changed entirely; below a, only the
         * distance to a changed (and b went away); above a, only b went away. */
        ward_nn(&w, a);
        for (size_t k = 0; k < n; k++) {
            if (!w.alive[k] || k == a)
                continue;
            if (w.nn[k] == a || w.nn[k] == b) {
                ward_nn(&w, k);
            } else if (k < a) {
                double v = w.d[tri(n, k, a)];
                if (v < w.dnn[k] || (v == w.dnn[k] && a < w.nn[k])) {
                    w.nn[k] = a;
                    w.dnn[k] = v;
                }
            }
        }
    }
    free(w.d);
    free(w.alive);
    free(w.nn);
    free(w.dnn);
    free(members);
    free(step);
    return CLUSTER_OK;
}

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

int cluster_cut(const struct cluster_tree *t, size_t k, size_t *label)
{
    if (!t || !label || t->n < 2 || !t->merge || k == 0 || k > t->n)
        return CLUSTER_EINPUT;
    size_t n = t->n;
    size_t *parent = xmalloc(n * sizeof *parent);
    size_t *unit_of = xmalloc((n - 1) * sizeof *unit_of);   /* a unit of each step */
    for (size_t i = 0; i < n; i++)
        parent[i] = i;
    int rc = CLUSTER_OK;
    for (size_t s = 0; s + k < n; s++) {
        size_t side[2];
        for (int e = 0; e < 2; e++) {
            int m = t->merge[2 * s + e];
            if (m < 0 && (size_t)-(long)m <= n)
                side[e] = (size_t)-(long)m - 1;
            else if (m > 0 && (size_t)m <= s)
                side[e] = unit_of[m - 1];
            else
                rc = CLUSTER_EINPUT;   /* not a tree cluster_ward made */
        }
        if (rc != CLUSTER_OK)
            break;
        parent[uf_find(parent, side[1])] = uf_find(parent, side[0]);
        unit_of[s] = side[0];
    }
    if (rc == CLUSTER_OK) {
        for (size_t i = 0; i < n; i++)
            label[i] = uf_find(parent, i);
        rc = cluster_relabel(label, n, n, label, NULL);
    }
    free(parent);
    free(unit_of);
    return rc;
}

/* --- judging a partition ---------------------------------------------------------------- */

/* The silhouette with its neighbour; size (k) is filled. Arguments checked. */
static void silhouette(const double *x, size_t n, size_t p, const size_t *label, size_t k,
                       const size_t *size, double *sil, size_t *neighbour)
{
    /* sum[i*k + c]: Σ distances from unit i to the units of cluster c. */
    double *sum = xcalloc(n * k, sizeof *sum);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double d = sqrt(dist2(x + i * p, x + j * p, p));
            sum[i * k + label[j]] += d;
            sum[j * k + label[i]] += d;
        }
    for (size_t i = 0; i < n; i++) {
        size_t own = label[i], nb = SIZE_MAX;
        double b = INFINITY;
        for (size_t c = 0; c < k; c++) {
            if (c == own)
                continue;
            double v = sum[i * k + c] / (double)size[c];
            if (nb == SIZE_MAX || v < b) {
                b = v;
                nb = c;
            }
        }
        double s = 0.0;
        if (size[own] > 1) {
            double a = sum[i * k + own] / (double)(size[own] - 1);
            double m = a > b ? a : b;
            s = m > 0.0 ? (b - a) / m : 0.0;
        }
        sil[i] = s;
        if (neighbour)
            neighbour[i] = nb;
    }
    free(sum);
}

/* The checks shared by silhouette and boundary; fills size (k). */
static int partition_args(const double *x, size_t n, size_t p, const size_t *label,
                          size_t k, size_t *size)
{
    if (!labels_ok(label, n, k, size))
        return CLUSTER_EINPUT;
    if (!all_finite(x, n * p))
        return CLUSTER_EMISSING;
    return CLUSTER_OK;
}

static int partition_shape_ok(const double *x, size_t n, size_t p, const size_t *label,
                              size_t k)
{
    return x && label && k >= 2 && n >= 3 && k <= n - 1 && cells(n, p) != 0 &&
           cells(n, k) != 0;
}

int cluster_silhouette(const double *x, size_t n, size_t p, const size_t *label,
                       size_t k, double *sil, size_t *neighbour, double *mean)
{
    if (!partition_shape_ok(x, n, p, label, k) || !sil)
        return CLUSTER_EINPUT;
    size_t *size = xmalloc(k * sizeof *size);
    int rc = partition_args(x, n, p, label, k, size);
    if (rc == CLUSTER_OK) {
        silhouette(x, n, p, label, k, size, sil, neighbour);
        if (mean) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++)
                s += sil[i];
            *mean = s / (double)n;
        }
    }
    free(size);
    return rc;
}

int cluster_choose_k(const double *x, size_t n, size_t p, size_t kmax,
                     enum cluster_method method, const struct cluster_kmeans_opts *opts,
                     double *mean_sil, size_t *best_k)
{
    if (!x || !mean_sil || !best_k || kmax < 2 || n < 3 || kmax > n - 1 ||
        cells(n, p) == 0 || (method != CLUSTER_KMEANS && method != CLUSTER_WARD))
        return CLUSTER_EINPUT;
    if (!all_finite(x, n * p))
        return CLUSTER_EMISSING;
    if (method == CLUSTER_WARD && n > CLUSTER_WARD_MAX_N)
        return CLUSTER_ETOOBIG;

    struct cluster_tree tree = {0};
    int rc = CLUSTER_OK;
    if (method == CLUSTER_WARD)
        rc = cluster_ward(x, n, p, &tree);
    if (rc != CLUSTER_OK)
        return rc;
    size_t *label = xmalloc(n * sizeof *label);
    double *sil = xmalloc(n * sizeof *sil);
    mean_sil[0] = mean_sil[1] = NAN;
    size_t best = 0;
    for (size_t k = 2; k <= kmax && rc == CLUSTER_OK; k++) {
        mean_sil[k] = NAN;
        if (method == CLUSTER_WARD) {
            rc = cluster_cut(&tree, k, label);
        } else {
            struct cluster_kmeans km;
            rc = cluster_kmeans(x, n, p, k, opts, &km);
            if (rc == CLUSTER_EDEGENERATE) {
                rc = CLUSTER_OK;   /* fewer distinct units than k: no partition */
                continue;
            }
            if (rc == CLUSTER_OK)
                memcpy(label, km.label, n * sizeof *label);
            cluster_kmeans_free(&km);
        }
        if (rc == CLUSTER_OK)
            rc = cluster_silhouette(x, n, p, label, k, sil, NULL, &mean_sil[k]);
        if (rc == CLUSTER_OK && (best == 0 || mean_sil[k] > mean_sil[best] + SIL_TIE))
            best = k;
    }
    cluster_tree_free(&tree);
    free(label);
    free(sil);
    if (rc != CLUSTER_OK)
        return rc;
    if (best == 0)
        return CLUSTER_EDEGENERATE;
    *best_k = best;
    return CLUSTER_OK;
}

int cluster_boundary(const double *x, size_t n, size_t p, const size_t *label, size_t k,
                     double threshold, struct cluster_boundary *out)
{
    if (!partition_shape_ok(x, n, p, label, k) || !out || isnan(threshold))
        return CLUSTER_EINPUT;
    size_t *size = xmalloc(k * sizeof *size);
    int rc = partition_args(x, n, p, label, k, size);
    if (rc == CLUSTER_OK) {
        double *sil = xmalloc(n * sizeof *sil);
        size_t *nb = xmalloc(n * sizeof *nb);
        double *cen = xmalloc(k * p * sizeof *cen);
        silhouette(x, n, p, label, k, size, sil, nb);
        cluster_means(x, n, p, label, k, cen, size);
        for (size_t i = 0; i < n; i++) {
            struct cluster_boundary *b = &out[i];
            size_t own = label[i];
            b->sil = sil[i];
            b->neighbour = nb[i];
            b->d_own = sqrt(dist2(x + i * p, cen + own * p, p));
            b->next = SIZE_MAX;
            b->d_next = INFINITY;
            for (size_t c = 0; c < k; c++) {
                if (c == own)
                    continue;
                double d = sqrt(dist2(x + i * p, cen + c * p, p));
                if (b->next == SIZE_MAX || d < b->d_next) {
                    b->d_next = d;
                    b->next = c;
                }
            }
            if (b->d_next > 0.0)
                b->ratio = b->d_own / b->d_next;
            else
                b->ratio = b->d_own > 0.0 ? INFINITY : 1.0;
            b->singleton = size[own] == 1;
            b->on_boundary = !b->singleton && b->sil < threshold;
        }
        free(sil);
        free(nb);
        free(cen);
    }
    free(size);
    return rc;
}

int cluster_profile(const double *x, size_t n, size_t p, const size_t *label, size_t k,
                    double *mean, size_t *size)
{
    if (!x || !label || !mean || k == 0 || cells(n, p) == 0 || cells(k, p) == 0)
        return CLUSTER_EINPUT;
    for (size_t i = 0; i < n; i++)
        if (label[i] >= k)
            return CLUSTER_EINPUT;
    if (!all_finite(x, n * p))
        return CLUSTER_EMISSING;
    size_t *cnt = xmalloc(k * sizeof *cnt);
    cluster_means(x, n, p, label, k, mean, cnt);
    if (size)
        memcpy(size, cnt, k * sizeof *cnt);
    free(cnt);
    return CLUSTER_OK;
}

struct pair {
    size_t a, b;
};

static int pair_cmp(const void *x, const void *y)
{
    const struct pair *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return 0;
}

/* C(m, 2) as a double: exact for every m soko meets (below 2^26). */
static double choose2(size_t m)
{
    return (double)m * ((double)m - 1.0) / 2.0;
}

int cluster_ari(const size_t *a, const size_t *b, size_t n, double *ari)
{
    if (!a || !b || !ari || n < 2)
        return CLUSTER_EINPUT;
    for (size_t i = 0; i < n; i++)
        if (a[i] >= n || b[i] >= n)
            return CLUSTER_EINPUT;
    /* The contingency table by sorting the pairs: O(n log n) whatever the labels. */
    struct pair *pr = xmalloc(n * sizeof *pr);
    size_t *ra = xcalloc(2 * n, sizeof *ra), *rb = ra + n;
    for (size_t i = 0; i < n; i++) {
        pr[i].a = a[i];
        pr[i].b = b[i];
        ra[a[i]]++;
        rb[b[i]]++;
    }
    qsort(pr, n, sizeof *pr, pair_cmp);
    double index = 0.0, sa = 0.0, sb = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && pr[j].a == pr[i].a && pr[j].b == pr[i].b)
            j++;
        index += choose2(j - i);
        i = j;
    }
    for (size_t c = 0; c < n; c++) {
        sa += choose2(ra[c]);
        sb += choose2(rb[c]);
    }
    free(pr);
    free(ra);
    double expected = sa * sb / choose2(n), max = (sa + sb) / 2.0;
    if (max - expected == 0.0)
        return CLUSTER_EDEGENERATE;
    *ari = (index - expected) / (max - expected);
    return CLUSTER_OK;
}
