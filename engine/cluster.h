/*
 * cluster.h — the numerics of grouping schools by their context (share of low-income
 * families, of non-native speakers, size, kind, previous results): z-scores, k-means
 * with k-means++ starts, Ward's hierarchical clustering, silhouettes, the choice of
 * k, boundary units, cluster profiles and the adjusted Rand index. docs/clustering.md
 * has the formulas, the references and the R calls the tests compare with.
 *
 * Takes: a data matrix as a plain row-major array of doubles, n units × p factors
 *   (x[i*p + j] is factor j of unit i); labels as size_t arrays with values 0..k-1.
 * Gives: results through out-parameters; the return value is a status (enum
 *   cluster_rc: 0 is success). On a nonzero status the out-parameters hold nothing
 *   the caller may use unless the function says otherwise.
 * Ownership: output arrays are the caller's, sized as each function states; the two
 *   result structs (struct cluster_kmeans, struct cluster_tree) are filled with
 *   arrays this module allocates, and released with cluster_kmeans_free() and
 *   cluster_tree_free() (which do not free the struct itself). Nothing is kept.
 * Failure: never prints, exits or aborts (out of memory ends the program in xmalloc,
 *   as everywhere in soko). Call stats_init() once before the first k-means: it
 *   turns GSL's abort-on-error handler off, so a failure to allocate the random
 *   number generator comes back as CLUSTER_ENUMERIC.
 *
 * Canonical labels: every partition this module returns is numbered by first
 * appearance — the cluster of unit 0 is 0, the cluster of the first unit not in it
 * is 1, and so on (the numbering of R's cutree()). So the same partition always
 * prints the same, whatever order the starts or the initial centres came in.
 *
 * Missing values are refused, not imputed: a school with an unknown factor has no
 * place in a grouping by factors, and a mean put in its place would pull it to the
 * middle of the district, where it would look typical. cluster_missing_rows() lists
 * such schools so that the caller can name them and leave them out.
 */
#ifndef SOKO_CLUSTER_H
#define SOKO_CLUSTER_H

#include <stddef.h>

enum cluster_rc {
    CLUSTER_OK = 0,
    CLUSTER_EINPUT = 1,      /* argument outside the domain: n = 0, k = 0, k > n, a
                                label >= k, an empty cluster, NULL output */
    CLUSTER_EMISSING = 2,    /* a value is NaN or infinite */
    CLUSTER_ECONSTANT = 3,   /* a factor takes one value for every unit: no z-score */
    CLUSTER_EDEGENERATE = 4, /* valid data without an answer: fewer distinct points
                                than k, no k with a silhouette, ARI of two trivial
                                partitions */
    CLUSTER_ETOOBIG = 5,     /* n above CLUSTER_WARD_MAX_N (Ward's O(n²) memory) */
    CLUSTER_ENUMERIC = 6     /* GSL could not allocate the random number generator */
};

/* "ok", "bad input", "missing value", "constant factor", "degenerate data",
 * "too many units", "numerical failure"; "unknown" otherwise. */
const char *cluster_rc_name(int rc);

/* --- preparing the factors ------------------------------------------------------------ */

/* Counts the units (rows) with a NaN or infinite factor; missing[i] (n entries, may
 * be NULL) is set to 1 for them and 0 for the others. */
size_t cluster_missing_rows(const double *x, size_t n, size_t p, unsigned char *missing);

/* z-scores per column, as R scale(x): z = (x - mean) / sd with the n - 1 standard
 * deviation. z has n·p entries and may be x itself (in place); mean and sd have p
 * entries each and may be NULL. Needs n >= 2, p >= 1.
 * A non-finite value gives CLUSTER_EMISSING with *bad_row and *bad_col naming the
 * first one (row-major order). A column whose values are all equal (compared
 * exactly, so 0.1 repeated is constant however its mean rounds) gives
 * CLUSTER_ECONSTANT with *bad_col naming the first such column and *bad_row set to
 * (size_t)-1: a factor on which all schools agree cannot separate them, and the
 * caller should drop it and say so. bad_row and bad_col may be NULL. Nothing is
 * written to z on failure. */
int cluster_scale(const double *x, size_t n, size_t p, double *z, double *mean,
                  double *sd, size_t *bad_row, size_t *bad_col);

/* Renumbers labels by first appearance (see "Canonical labels" above): in[0..n) are
 * labels below kin, out gets the canonical ones (out may be in), *k the number of
 * distinct labels (may be NULL). Labels >= kin give CLUSTER_EINPUT. */
int cluster_relabel(const size_t *in, size_t n, size_t kin, size_t *out, size_t *k);

/* --- k-means ------------------------------------------------------------------------- */

/* Default number of k-means++ starts. One start finds the best partition of the
 * hard test set B (k = 4) 7.5% of the time: 25 starts miss it with probability 14%,
 * 50 with 2%. A district's few hundred schools take milliseconds per start. */
#define CLUSTER_KMEANS_NSTART 50
#define CLUSTER_KMEANS_MAX_ITER 100  /* default Lloyd iterations per start */

enum cluster_kmeans_algo {
    /* Lloyd, then Hartigan's single-unit transfers until none lowers the within-SS.
     * The default: Lloyd alone stops in worse local optima. On the test set B with
     * k = 4, one k-means++ start reaches the best partition R's Hartigan–Wong finds
     * 7.5% of the time with the transfers and 2.8% without (k = 3: 41% and 6%).
     * Its partitions are fixed points of Lloyd too. */
    CLUSTER_KMEANS_TRANSFER = 0,
    /* Lloyd alone, exactly R kmeans(algorithm = "Lloyd"). */
    CLUSTER_KMEANS_LLOYD = 1
};

struct cluster_kmeans_opts {
    unsigned long seed;  /* seed of gsl_rng_mt19937 (gsl_rng_set; 0 is GSL's default 4357) */
    size_t nstart;       /* k-means++ starts; 0 means CLUSTER_KMEANS_NSTART */
    size_t max_iter;     /* Lloyd iterations per start, and as many transfer passes;
                            0 means CLUSTER_KMEANS_MAX_ITER */
    enum cluster_kmeans_algo algo;   /* 0 is CLUSTER_KMEANS_TRANSFER */
};

/* A k-means partition. Every field is a function of the partition alone (and of
 * which starts reached it), never of the order the starts ran in. */
struct cluster_kmeans {
    size_t n, p, k;
    size_t *label;       /* n entries: canonical cluster of each unit, 0..k-1 */
    double *centre;      /* k×p row-major: the mean of each cluster's units */
    double *withinss;    /* k: Σ over the cluster's units of the squared Euclidean
                            distance to its centre */
    size_t *size;        /* k: units per cluster, each >= 1 */
    double tot_withinss; /* Σ withinss */
    double totss;        /* Σ squared distances to the grand mean */
    double betweenss;    /* totss - tot_withinss, as R computes it */
    size_t iter;         /* Lloyd iterations, counted as R's kmeans()$iter: the
                            number of assignment passes, the last one changing
                            nothing; max_iter + 1 if it never settled (transfer
                            passes are not counted). Over several starts, the fewest
                            among those that reached the result */
    int converged;       /* 1: a start reaching it settled (Lloyd, and the transfers
                            if they ran, stopped moving units); 0: max_iter ran out */
    size_t nbest;        /* starts that reached this partition (1 for _from): how
                            stable the grouping is, for the note */
};

/* k-means from given initial centres init (k×p row-major, all rows distinct),
 * Lloyd's algorithm exactly as R kmeans(x, centers = init, algorithm = "Lloyd",
 * iter.max = max_iter): assign each unit to the nearest centre (ties to the lower
 * centre index), move each centre to its cluster's mean, repeat until no assignment
 * changes or max_iter passes are done (then converged = 0 and the result is the last
 * partition with its means). Where R warns "empty cluster" (its centre becomes
 * NaN), a cluster left without units here takes the unit farthest from its own
 * centre among clusters of two or more (ties to the lower unit index), and the
 * iteration goes on.
 * Needs 1 <= k <= n, max_iter >= 1, finite x (CLUSTER_EMISSING otherwise);
 * duplicate rows in init give CLUSTER_EINPUT (R: "initial centers are not
 * distinct"). Release out with cluster_kmeans_free(). */
int cluster_kmeans_from(const double *x, size_t n, size_t p, size_t k,
                        const double *init, size_t max_iter, struct cluster_kmeans *out);

/* k-means from nstart given starts: inits holds nstart blocks of k×p initial
 * centres (each block with distinct rows); each start runs algo. Keeps the partition
 * with the lowest tot_withinss; between equal ones (exactly equal, as they are for
 * the same partition, whose sums are computed from it alone) the lexicographically
 * smaller canonical label vector. So the result does not depend on the order of the
 * starts; the order of the centres within a start matters only through exact
 * distance ties, which go to the lower centre. */
int cluster_kmeans_starts(const double *x, size_t n, size_t p, size_t k,
                          const double *inits, size_t nstart, size_t max_iter,
                          enum cluster_kmeans_algo algo, struct cluster_kmeans *out);

/* k-means with opts->nstart k-means++ starts (Arthur & Vassilvitskii 2007) drawn
 * from one gsl_rng_mt19937 stream seeded with opts->seed: the first centre a unit
 * chosen uniformly, each next one a unit chosen with probability proportional to its
 * squared distance to the nearest centre so far; then as cluster_kmeans_starts with
 * opts->algo. opts may be NULL (seed 1 and the defaults). Same input and seed, same
 * output, to the byte. Fewer than k distinct units gives CLUSTER_EDEGENERATE. */
int cluster_kmeans(const double *x, size_t n, size_t p, size_t k,
                   const struct cluster_kmeans_opts *opts, struct cluster_kmeans *out);

/* Frees the arrays of km and zeroes it; does not free km itself. NULL is fine. */
void cluster_kmeans_free(struct cluster_kmeans *km);

/* --- Ward's hierarchical clustering ---------------------------------------------------- */

/* Ward's method keeps all n(n-1)/2 dissimilarities: 4000 units take 64 MB. A region's
 * schools fit; more is refused rather than swapped. */
#define CLUSTER_WARD_MAX_N 4000

/* A merge tree in R's hclust() form. */
struct cluster_tree {
    size_t n;        /* units */
    int *merge;      /* 2(n-1): merge[2s], merge[2s+1] joined at step s+1; -i is
                        unit i (1-based), +t the cluster formed at step t. As R:
                        a unit before a cluster, two units or two clusters in
                        increasing order */
    double *height;  /* n-1: the ward.D2 height of each step, non-decreasing */
};

/* Ward's minimum-variance clustering, R hclust(dist(x), method = "ward.D2"): start
 * from squared Euclidean distances, merge the closest pair, update by Lance–Williams
 * d(i∪j, k) = ((n_i+n_k) d(i,k) + (n_j+n_k) d(j,k) - n_k d(i,j)) / (n_i+n_j+n_k),
 * height = sqrt(d). Height² / 2 is the growth of the within-cluster sum of squares,
 * so the heights of a cut's last merges say how much a split buys.
 * Ties: each cluster is known by its lowest unit index; among pairs at the same
 * smallest dissimilarity the pair (i, j), i < j, first in lexicographic order merges.
 * Needs 2 <= n <= CLUSTER_WARD_MAX_N (CLUSTER_ETOOBIG above), finite x. Release out
 * with cluster_tree_free(). */
int cluster_ward(const double *x, size_t n, size_t p, struct cluster_tree *out);

/* Frees the arrays of t and zeroes it; does not free t itself. NULL is fine. */
void cluster_tree_free(struct cluster_tree *t);

/* Cuts the tree into k groups, R cutree(h, k): undoes the last k - 1 merges. label
 * has n entries and gets canonical labels (which are cutree's numbering). Needs
 * 1 <= k <= n. */
int cluster_cut(const struct cluster_tree *t, size_t k, size_t *label);

/* --- judging a partition ---------------------------------------------------------------- */

/* Silhouette widths (Rousseeuw 1987), R cluster::silhouette(label, dist(x)): with
 * a(i) the mean Euclidean distance from unit i to the other units of its cluster and
 * b(i) the least mean distance to the units of another cluster (that cluster is
 * neighbour[i]; ties to the lower label), s(i) = (b - a) / max(a, b), and 0 for a
 * unit alone in its cluster or when a = b = 0. sil and neighbour have n entries;
 * neighbour and mean (the mean of s) may be NULL. Needs labels 0..k-1 with no empty
 * cluster and 2 <= k <= n - 1 (R gives NA outside that range). */
int cluster_silhouette(const double *x, size_t n, size_t p, const size_t *label,
                       size_t k, double *sil, size_t *neighbour, double *mean);

enum cluster_method {
    CLUSTER_KMEANS,  /* cluster_kmeans with the given options for each k */
    CLUSTER_WARD     /* one cluster_ward tree cut at each k */
};

/* Chooses k in [2, kmax] by the highest mean silhouette. mean_sil has kmax + 1
 * entries: mean_sil[k] for each k tried; [0], [1] and any k without a partition
 * (k-means with fewer distinct units than k) are NaN. Tie rule: a larger k wins only
 * if its mean silhouette exceeds the best so far by more than 1e-12, so equal ones go
 * to the smaller k — fewer groups are easier to explain. Needs 2 <= kmax <= n - 1;
 * opts is used for CLUSTER_KMEANS only and may be NULL. No k with a partition gives
 * CLUSTER_EDEGENERATE. */
int cluster_choose_k(const double *x, size_t n, size_t p, size_t kmax,
                     enum cluster_method method, const struct cluster_kmeans_opts *opts,
                     double *mean_sil, size_t *best_k);

/* Default silhouette below which a unit is «на границе кластеров». */
#define CLUSTER_BOUNDARY_SIL 0.1

/* Where a unit stands between its cluster and the next one. */
struct cluster_boundary {
    double sil;         /* s(i), as cluster_silhouette */
    size_t neighbour;   /* the silhouette's neighbour cluster */
    double d_own;       /* Euclidean distance to its cluster's centroid */
    double d_next;      /* to the nearest centroid of another cluster */
    size_t next;        /* that cluster (ties to the lower label) */
    double ratio;       /* d_own / d_next: near 1 on the boundary, above 1 when the
                           unit is nearer another centroid (Ward can do that); 1 if
                           both are 0, +Inf if only d_next is */
    int singleton;      /* alone in its cluster: s(i) = 0 by convention, not because
                           it sits between two clusters */
    int on_boundary;    /* sil < threshold and not a singleton */
};

/* Fills out[0..n) for a partition, with the same requirements as
 * cluster_silhouette; threshold is typically CLUSTER_BOUNDARY_SIL. */
int cluster_boundary(const double *x, size_t n, size_t p, const size_t *label, size_t k,
                     double threshold, struct cluster_boundary *out);

/* Per-cluster means of each column: mean[c*p + j] (k×p) is the mean of factor j over
 * the units of cluster c; size (k entries, may be NULL) counts them. Call it once
 * with the original factors and once with their z-scores for the note's table. An
 * empty cluster gets size 0 and NaN means. Needs labels < k, finite x. */
int cluster_profile(const double *x, size_t n, size_t p, const size_t *label, size_t k,
                    double *mean, size_t *size);

/* Adjusted Rand index of two partitions of the same n units (Hubert & Arabie 1985):
 * 1 for the same partition under any numbering, about 0 for unrelated ones. Labels
 * are any values below n. Needs n >= 2. Two partitions that are both a single
 * cluster, or both all singletons, leave it 0/0: CLUSTER_EDEGENERATE. */
int cluster_ari(const size_t *a, const size_t *b, size_t n, double *ari);

#endif
