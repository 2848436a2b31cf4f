# cluster_reference.R — the oracle for tests/unit/test_cluster.c.
#
# Every expected number in test_cluster.c that is not a hand computation comes from
# this script; the R call is written beside the assertion there. Re-run with
#     Rscript tests/unit/cluster_reference.R
# (base R with the recommended package `cluster` — Debian r-cran-cluster; checked
# with R 4.2.2 and cluster 2.1.4) and compare the printed values with the constants
# in the test; the output of that run is kept as cluster_reference.out, from which
# the constant arrays of the test were made. Values are printed with 15 significant
# digits; labels and merges as R prints them (1-based; the test subtracts 1 from
# labels).
#
# The data are literal so that the C test holds the very same numbers:
#   A — 24 schools, 3 factors (share of low-income families %, share of non-native
#       speakers %, pupils), three well-separated planted groups;
#   B — 30 schools, 4 factors (the same three and the previous mean score), three
#       overlapping planted groups.

suppressPackageStartupMessages(library(cluster))

p <- function(label, x) cat(sprintf("%-34s : %s\n", label,
                                     paste(formatC(as.vector(x), digits = 15, format = "g"),
                                           collapse = " ")))
pi_ <- function(label, x) cat(sprintf("%-34s : %s\n", label,
                                      paste(as.vector(x), collapse = " ")))

A <- matrix(c(
  20.8, 11.0, 539,   38.1, 28.9,  92,   20.2, 11.1, 528,    3.5,  0.7, 909,
  34.0, 22.8, 154,    9.4,  0.3, 970,   20.8,  7.7, 451,    4.3,  4.3, 906,
   7.3,  2.5, 895,    8.5,  1.2, 832,   19.6, 11.0, 488,   38.1, 23.8, 109,
  36.7, 27.0, 202,   22.2, 12.2, 462,   33.4, 23.7,  74,   36.2, 23.6, 166,
  32.5, 24.4,  49,   22.9, 14.9, 431,   20.8, 10.9, 483,    6.6,  4.0, 852,
   6.4,  5.9, 871,   36.7, 26.0, 106,    7.0,  1.4, 931,   20.0,  8.2, 428),
  ncol = 3, byrow = TRUE)
A_planted <- c(2, 3, 2, 1, 3, 1, 2, 1, 1, 1, 2, 3, 3, 2, 3, 3, 3, 2, 2, 1, 1, 3, 1, 2)

B <- matrix(c(
  21.2,  6.2, 547, 14.69,   15.9,  5.3, 626, 19.65,   23.7, 11.4, 420, 11.71,
  14.2,  4.6, 530, 17.47,   27.5, 11.2, 618, 15.22,   35.7,  7.0,  74, 14.79,
  19.5,  8.2, 508, 15.12,   21.3,  2.0, 601, 10.89,   21.8,  2.8, 663, 16.38,
  16.0,  5.6, 575, 13.73,    9.2,  5.6, 536, 15.29,   28.8,  3.9, 471, 13.02,
  21.8,  7.8, 521, 13.45,   21.5,  2.8, 604, 17.25,   34.6, 11.7, 488, 16.18,
  11.7,  0.0, 660, 17.32,   25.5,  8.4, 832, 14.04,   18.8,  3.8, 450, 15.93,
  26.5,  6.8, 513, 14.09,   23.6,  8.6, 877, 15.88,   18.8,  2.9, 386, 12.81,
  20.5,  6.9, 430, 12.07,    4.4,  9.0, 234, 13.53,   39.0, 18.3, 400, 12.82,
  28.1,  5.2, 448, 14.94,   37.1, 15.5, 390, 13.19,   23.7, 12.5, 442, 12.06,
  38.7, 21.3, 324, 11.46,   22.9, 10.6, 143, 13.34,   22.7, 14.0, 376, 11.97),
  ncol = 4, byrow = TRUE)
B_planted <- c(2, 1, 3, 1, 2, 3, 3, 1, 1, 1, 1, 3, 2, 1, 2, 1, 2, 1, 3, 1, 3, 2, 2,
               3, 2, 3, 2, 3, 2, 3)

# Adjusted Rand index (Hubert & Arabie 1985) from the contingency table.
ari <- function(a, b) {
  t <- table(a, b); c2 <- function(m) sum(m * (m - 1) / 2)
  idx <- c2(t); sa <- c2(rowSums(t)); sb <- c2(colSums(t)); N <- c2(length(a))
  e <- sa * sb / N; (idx - e) / ((sa + sb) / 2 - e)
}
# Silhouette by its definition, in plain R, to check cluster::silhouette itself.
sil_plain <- function(cl, d) {
  d <- as.matrix(d); n <- length(cl)
  sapply(seq_len(n), function(i) {
    own <- cl == cl[i]
    if (sum(own) == 1) return(0)
    a <- sum(d[i, own]) / (sum(own) - 1)
    b <- min(sapply(setdiff(unique(cl), cl[i]), function(c) mean(d[i, cl == c])))
    if (max(a, b) == 0) 0 else (b - a) / max(a, b)
  })
}
# Distance to the own centroid and to the nearest other one.
centroid_dist <- function(z, cl) {
  cen <- apply(z, 2, function(v) tapply(v, cl, mean))
  D <- sqrt(outer(seq_len(nrow(z)), seq_len(nrow(cen)),
                  Vectorize(function(i, c) sum((z[i, ] - cen[c, ])^2))))
  own <- D[cbind(seq_len(nrow(z)), cl)]
  D[cbind(seq_len(nrow(z)), cl)] <- Inf
  list(own = own, nxt = apply(D, 1, min), which = apply(D, 1, which.min))
}

for (set in c("A", "B")) {
  x <- get(set)
  cat("==", set, "scale ==\n")
  z <- scale(x)
  p(paste(set, "center"), attr(z, "scaled:center"))
  p(paste(set, "scale"), attr(z, "scaled:scale"))
  p(paste(set, "z row-major"), t(z))

  cat("==", set, "Ward ==\n")
  d <- dist(z)
  h <- hclust(d, method = "ward.D2")
  pi_(paste(set, "merge row-major"), t(h$merge))
  p(paste(set, "height"), h$height)
  # Σ height²/2 = total sum of squares (Ward's heights are growths of within-SS).
  p(paste(set, "sum h^2/2, totss"), c(sum(h$height^2) / 2, sum(scale(z, scale = FALSE)^2)))
  for (k in 2:5) pi_(paste(set, paste0("cutree k", k)), cutree(h, k))
  pl <- get(paste0(set, "_planted"))
  p(paste(set, "ARI cutree3 vs planted"), ari(cutree(h, 3), pl))

  cat("==", set, "silhouette of cutree(h, 3) ==\n")
  s <- silhouette(cutree(h, 3), d)
  stopifnot(isTRUE(all.equal(s[, "sil_width"], sil_plain(cutree(h, 3), d), tolerance = 1e-14)))
  p(paste(set, "sil"), s[, "sil_width"])
  pi_(paste(set, "neighbor"), s[, "neighbor"])
  p(paste(set, "mean sil"), mean(s[, "sil_width"]))
  ms <- sapply(2:8, function(k) mean(silhouette(cutree(h, k), d)[, "sil_width"]))
  p(paste(set, "mean sil k2..8"), ms)
  pi_(paste(set, "best k (first max)"), (2:8)[which.max(ms)])

  cat("==", set, "boundary of cutree(h, 3) ==\n")
  cd <- centroid_dist(z, cutree(h, 3))
  p(paste(set, "d_own"), cd$own)
  p(paste(set, "d_next"), cd$nxt)
  pi_(paste(set, "next"), cd$which)

  cat("==", set, "profiles of cutree(h, 3) ==\n")
  p(paste(set, "mean raw"), t(aggregate(x, list(cutree(h, 3)), mean)[, -1]))
  p(paste(set, "mean z"), t(aggregate(z, list(cutree(h, 3)), mean)[, -1]))
}

cat("== k-means, Lloyd, from given centres ==\n")
# kmeans(z, centers = z[rows, ], algorithm = "Lloyd", iter.max = 100)
lloyd <- function(label, z, rows) {
  km <- kmeans(z, centers = z[rows, , drop = FALSE], algorithm = "Lloyd", iter.max = 100)
  pi_(paste(label, "cluster"), km$cluster)
  p(paste(label, "centers row-major"), t(km$centers))
  p(paste(label, "withinss"), km$withinss)
  p(paste(label, "tot, totss, betw"), c(km$tot.withinss, km$totss, km$betweenss))
  pi_(paste(label, "iter"), km$iter)
  km
}
zA <- scale(A); zB <- scale(B)
kA1 <- lloyd("A k3 rows 1,2,4", zA, c(1, 2, 4))
kA2 <- lloyd("A k3 rows 1,3,7", zA, c(1, 3, 7))   # all three in one planted group
kB3 <- lloyd("B k3 rows 1,2,3", zB, c(1, 2, 3))
kB4 <- lloyd("B k4 rows 5,10,15,20", zB, c(5, 10, 15, 20))
sB <- silhouette(kB3$cluster, dist(zB))
p("B k3 Lloyd sil", sB[, "sil_width"])
pi_("B k3 Lloyd neighbor", sB[, "neighbor"])
p("ARI B Lloyd k3 vs Ward k3", ari(kB3$cluster, cutree(hclust(dist(zB), "ward.D2"), 3)))
p("ARI B Lloyd k3 vs planted", ari(kB3$cluster, B_planted))

cat("== k-means optimum (Hartigan-Wong, 200 random starts) ==\n")
set.seed(1)
p("A k3 best tot.withinss", kmeans(zA, 3, nstart = 200)$tot.withinss)
p("B k3 best tot.withinss", kmeans(zB, 3, nstart = 200)$tot.withinss)
p("B k4 best tot.withinss", kmeans(zB, 4, nstart = 200)$tot.withinss)
p("B k5 best tot.withinss", kmeans(zB, 5, nstart = 200)$tot.withinss)

cat("== adjusted Rand index ==\n")
p("ARI 1122 vs 1123", ari(c(1, 1, 2, 2), c(1, 1, 2, 3)))          # hand: 4/7
p("ARI 112233 vs 121233", ari(c(1, 1, 2, 2, 3, 3), c(1, 2, 1, 2, 3, 3)))
p("ARI 1..1 vs 1122", ari(c(1, 1, 1, 1), c(1, 1, 2, 2)))          # hand: 0

cat("== degenerate ==\n")
# Duplicate points: the zero-height merges come first.
D <- matrix(c(0, 0,  0, 0,  1, 0,  1, 0,  1, 0,  5, 5,  5, 6), ncol = 2, byrow = TRUE)
hD <- hclust(dist(D), method = "ward.D2")
pi_("dup merge row-major", t(hD$merge))
p("dup height", hD$height)
for (k in 2:4) pi_(paste0("dup cutree k", k), cutree(hD, k))
sD <- silhouette(cutree(hD, 3), dist(D))
p("dup sil k3", sD[, "sil_width"])
sD4 <- silhouette(cutree(hD, 4), dist(D))
p("dup sil k4", sD4[, "sil_width"])
pi_("dup neighbor k4", sD4[, "neighbor"])
# n = 2
h2 <- hclust(dist(matrix(c(1, 2, 4, 6), ncol = 2, byrow = TRUE)), method = "ward.D2")
p("n2 height", h2$height)
p("n2 scale", scale(matrix(c(1, 2, 4, 6), ncol = 2, byrow = TRUE)))
