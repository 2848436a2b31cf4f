# stats_reference.R — the oracle for tests/unit/test_stats.c.
#
# Every expected number in test_stats.c that is not a hand computation comes from
# this script; the same R call is written beside the assertion. Re-run with
#     Rscript tests/unit/stats_reference.R
# (base R only: stats package; checked with R 4.2.2) and compare the printed values
# with the constants in the test. Values are printed with 15 significant digits.

p <- function(label, x) cat(sprintf("%-34s %s\n", label,
                                     paste(formatC(x, digits = 15, format = "g"),
                                           collapse = " ")))

cat("== intervals ==\n")
# Wilson score interval = prop.test without continuity correction.
p("wilson 7/20",   prop.test(7, 20, correct = FALSE)$conf.int)
p("wilson 0/20",   prop.test(0, 20, correct = FALSE)$conf.int)
p("wilson 20/20",  prop.test(20, 20, correct = FALSE)$conf.int)
p("wilson 1/1",    prop.test(1, 1, correct = FALSE)$conf.int)
p("wilson 45/180 99%", prop.test(45, 180, correct = FALSE, conf.level = 0.99)$conf.int)
# Exact Poisson (Garwood) interval.
p("poisson 0",  poisson.test(0)$conf.int)
p("poisson 7",  poisson.test(7)$conf.int)
p("poisson 50 90%", poisson.test(50, conf.level = 0.90)$conf.int)
# t-interval for a mean.
tx <- c(12, 15, 9, 20, 17, 14, 11, 18)
p("t mean, sd", c(mean(tx), sd(tx)))
p("t.test(tx)", t.test(tx)$conf.int)
p("t.test(tx, conf.level=0.99)", t.test(tx, conf.level = 0.99)$conf.int)

cat("== weighted least-squares trend ==\n")
wx <- c(2021, 2022, 2023, 2024)
wy <- c(0.52, 0.55, 0.61, 0.63)
ww <- c(120, 95, 130, 110)
f <- lm(wy ~ wx, weights = ww)
p("wls4 intercept", coef(f)[1])
p("wls4 slope se t p", summary(f)$coefficients["wx", ])
wx3 <- c(2022, 2023, 2024)
wy3 <- c(61.2, 59.8, 57.1)
ww3 <- c(48, 52, 45)
f3 <- lm(wy3 ~ wx3, weights = ww3)
p("wls3 slope se t p", summary(f3)$coefficients["wx3", ])

cat("== Cochran-Armitage ==\n")
ck <- c(15, 22, 30, 41); cn <- c(100, 105, 98, 110)
r <- prop.trend.test(ck, cn)
p("ca 1:4 chisq p", c(r$statistic, r$p.value))
ck2 <- c(30, 28, 27); cn2 <- c(60, 62, 58); cs2 <- c(2021, 2022, 2024)
r2 <- prop.trend.test(ck2, cn2, cs2)
p("ca years chisq p", c(r2$statistic, r2$p.value))

cat("== funnel limits ==\n")
# Spiegelhalter (2005), appendix: r_p = qbinom(p, n, theta);
# alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1)); limit = (r_p - alpha) / n,
# clipped to [0, 1] as soko does.
spieg <- function(p, n, theta) {
  r  <- qbinom(p, n, theta)
  Fr <- pbinom(r, n, theta); Fr1 <- pbinom(r - 1, n, theta)
  a  <- (Fr - p) / (Fr - Fr1)
  pmin(1, pmax(0, (r - a) / n))
}
funnel <- function(theta, n)
  c(spieg(0.001, n, theta), spieg(0.025, n, theta),
    spieg(0.975, n, theta), spieg(0.999, n, theta))
for (n in c(10, 25, 60, 200)) p(sprintf("exact p0=0.3 n=%d", n), funnel(0.3, n))
p("exact p0=0.05 n=20", funnel(0.05, 20))
p("exact p0=0.97 n=40", funnel(0.97, 40))
normal <- function(theta, n) {
  z <- qnorm(c(0.001, 0.025, 0.975, 0.999))
  pmin(1, pmax(0, theta + z * sqrt(theta * (1 - theta) / n)))
}
p("normal p0=0.3 n=60", normal(0.3, 60))
p("normal p0=0.05 n=20", normal(0.05, 20))
p("mean 64, sd 12, n 36", 64 + qnorm(c(0.001, 0.025, 0.975, 0.999)) * 12 / sqrt(36))

cat("== percentile rank ==\n")
pv <- c(10, 20, 20, 30, 40)
p("100*(rank-0.5)/n", 100 * (rank(pv) - 0.5) / length(pv))

cat("== empirical Bayes (beta-binomial, moments) ==\n")
# The same moment estimator as stats.c, written out independently; the test
# also states the arithmetic by hand.
eb <- function(k, n, level = 0.95) {
  N <- sum(n); I <- sum(n > 0); m <- sum(k) / N
  S <- sum(n * (k / n - m)^2)
  rho <- (S / (m * (1 - m)) - (I - 1)) / (N - sum(n^2) / N - (I - 1))
  ab <- if (rho > 0) min(1 / rho - 1, 100 * N) else 100 * N
  ab <- max(ab, 1)
  a <- m * ab; b <- (1 - m) * ab
  t <- (1 - level) / 2
  list(rho = rho, a = a, b = b, mean = (k + a) / (n + a + b),
       lo = qbeta(t, k + a, n - k + b), hi = qbeta(1 - t, k + a, n - k + b))
}
e <- eb(c(2, 6, 10, 14), c(20, 20, 20, 20))
p("eb rho a b", c(e$rho, e$a, e$b))
p("eb mean", e$mean); p("eb lo", e$lo); p("eb hi", e$hi)
e2 <- eb(c(10, 10, 10), c(50, 50, 50))
p("eb fallback a b", c(e2$a, e2$b))
p("eb fallback lo hi [1]", c(e2$lo[1], e2$hi[1]))

cat("== OLS, standardized residuals ==\n")
x1 <- c(0.10, 0.25, 0.05, 0.40, 0.30, 0.15, 0.20, 0.35)
x2 <- c(0.02, 0.10, 0.01, 0.20, 0.05, 0.08, 0.03, 0.15)
y  <- c(72.0, 64.5, 75.1, 58.2, 66.9, 69.3, 70.8, 57.4)
g <- lm(y ~ x1 + x2)
p("ols coef", coef(g))
p("ols r2", summary(g)$r.squared)
p("ols rstandard", rstandard(g))

cat("== spike test ==\n")
p("spike 9 of 10, p=220/420", binom.test(9, 10, 220/420, alternative = "greater")$p.value)
p("smooth 6 of 11, p=220/420", binom.test(6, 11, 220/420, alternative = "greater")$p.value)
p("spike b=7: 5 of 8, p=150/290", binom.test(5, 8, 150/290, alternative = "greater")$p.value)
p("large 60 of 80, p=0.5", binom.test(60, 80, 0.5, alternative = "greater")$p.value)
# Planted spike vs a smooth school on a 0..15 work; marks start at 5, 9, 13.
dd <- c(2, 6, 15, 40, 80, 130, 180, 220, 230, 210, 170, 120, 75, 35, 12, 3)
hs <- c(0, 1, 2, 4, 8, 13, 18, 22, 23, 21, 17, 12, 8, 3, 1, 0)
hp <- hs; hp[5] <- 1; hp[6] <- 20   # R indexes from 1: scores 4 and 5
st <- function(h, b) binom.test(h[b + 1], h[b] + h[b + 1], dd[b + 1] / (dd[b] + dd[b + 1]),
                                alternative = "greater")$p.value
p("smooth b=5,9,13", c(st(hs, 5), st(hs, 9), st(hs, 13)))
p("planted b=5,9,13", c(st(hp, 5), st(hp, 9), st(hp, 13)))
p("planted bonferroni", min(1, 3 * min(st(hp, 5), st(hp, 9), st(hp, 13))))

# ======================================================================================
# The school-level methods (exact tails, overdispersion, multiple testing, combined
# p-values, quasi-likelihood trends, EB with a floor, leave-one-out residuals, ICC).
# Base R only; checked with R 4.2.2. GLMs are fitted to convergence and then refitted
# twice from their own estimates (refit), so that summary()'s dispersion and
# cov.unscaled, which use the weights of the last iteration, are those at the MLE
# rather than at R's default stopping point (they differ by ~1e-9 there).
ctl <- glm.control(epsilon = 1e-12, maxit = 100)
refit <- function(f) { for (i in 1:2) f <- update(f, start = coef(f), control = ctl); f }

cat("== exact tails ==\n")
bt <- function(x, n, p0) {
  up <- pbinom(x - 1, n, p0, lower.tail = FALSE); lo <- pbinom(x, n, p0)
  d <- dbinom(x, n, p0)
  c(pmf = d, upper = up, lower = lo, upper_mid = up - d / 2, lower_mid = lo - d / 2,
    two = min(1, 2 * min(up, lo)), two_mid = min(1, 2 * min(up - d / 2, lo - d / 2)))
}
p("binom 14/40 p0=.2", bt(14, 40, 0.2))
p("binom 2/60 p0=.12", bt(2, 60, 0.12))
p("binom 40/40 p0=.97", bt(40, 40, 0.97))
p("  = 0.97^40", 0.97^40)
p("binom 95/100 p0=.5", bt(95, 100, 0.5))
p("binom.test 14/40 greater", binom.test(14, 40, 0.2, alternative = "greater")$p.value)
pt_ <- function(x, mu) {
  up <- ppois(x - 1, mu, lower.tail = FALSE); lo <- ppois(x, mu); d <- dpois(x, mu)
  c(pmf = d, upper = up, lower = lo, upper_mid = up - d / 2, lower_mid = lo - d / 2,
    two = min(1, 2 * min(up, lo)), two_mid = min(1, 2 * min(up - d / 2, lo - d / 2)))
}
p("pois 12 mu=5.3", pt_(12, 5.3))
p("pois 0 mu=2.1", pt_(0, 2.1))
p("pois 30 mu=8", pt_(30, 8))
p("poisson.test 12, r=5.3", poisson.test(12, r = 5.3, alternative = "greater")$p.value)

cat("== overdispersion (Spiegelhalter 2005) ==\n")
odz <- c(-3.1, -1.2, 0.4, 2.2, 0.9, -0.3, 4.5, -2.6, 1.1, 0.2, -0.8, 3.3)
ods <- c(0.05, 0.08, 0.03, 0.06, 0.04, 0.10, 0.05, 0.07, 0.09, 0.04, 0.06, 0.05)
# c(w) = E[Z_w^2] and V(w) = I Var(phi_w / c) for N(0, 1) winsorised at its own
# w-quantiles (stats.h): closed forms, and the same by numerical integration of the
# moments and of the squared influence function psi^2 - c + k (1{|x| > z} - 2w).
wconst <- function(w) {
  z <- qnorm(1 - w); f <- dnorm(z); k <- 2 * w * z / f
  cc <- (1 - 2 * w) - 2 * z * f + 2 * w * z^2
  e4 <- 3 * (1 - 2 * w) - 2 * f * (z^3 + 3 * z) + 2 * w * z^4
  c(c = cc, V = (e4 - cc^2 + 4 * w * k * (z^2 - cc) + 2 * w * (1 - 2 * w) * k^2) / cc^2)
}
wconst_int <- function(w) {
  z <- qnorm(1 - w); k <- 2 * w * z / dnorm(z)
  cc <- integrate(function(x) x^2 * dnorm(x), -z, z, rel.tol = 1e-13)$value + 2 * w * z^2
  inside <- integrate(function(x) (x^2 - cc - 2 * w * k)^2 * dnorm(x), -z, z,
                      rel.tol = 1e-13)$value
  outside <- 2 * w * (z^2 - cc + k * (1 - 2 * w))^2
  c(c = cc, V = (inside + outside) / cc^2)
}
p("winsor c V at w=0.1", wconst(0.1))
p("  by integration", wconst_int(0.1))
p("winsor c V at w=0.05", wconst(0.05))
p("  by integration", wconst_int(0.05))
od <- function(z, s, w = 0.1, estimated = FALSE, consistent = FALSE) {
  q <- quantile(z, c(w, 1 - w), type = 7, names = FALSE)
  zw <- pmin(pmax(z, q[1]), q[2])
  I <- length(z); phiw <- mean(zw^2)
  cv <- if (consistent && w > 0) wconst(w) else c(c = 1, V = 2)
  phi <- phiw / cv[["c"]]; df0 <- if (estimated) I - 1 else I
  chisq <- 2 * I * phi / cv[["V"]]; df <- 2 * df0 / cv[["V"]]
  W <- 1 / s^2
  tau2 <- max(0, (I * phi - (I - 1)) / (sum(W) - sum(W^2) / sum(W)))
  c(q_lo = q[1], q_hi = q[2], phi_w = phiw, phi = phi, chisq = chisq, df = df,
    p = pchisq(chisq, df, lower.tail = FALSE), tau2 = tau2)
}
cat("(columns: q_lo q_hi phi_w phi chisq df p tau2)\n")
p("od Spiegelhalter (df I)", od(odz, ods))
p("od Spiegelhalter, df I-1", od(odz, ods, estimated = TRUE))
p("od no winsorising", od(odz, ods, w = 0))
p("od consistent, df I-1", od(odz, ods, estimated = TRUE, consistent = TRUE))
e <- od(odz, ods)
p("od z additive (y=.62,th=.5,s=.05)", (0.62 - 0.5) / sqrt(0.05^2 + e["tau2"]))
p("od z multiplicative", (0.62 - 0.5) / (0.05 * sqrt(e["phi"])))
zq <- qnorm(c(0.001, 0.025, 0.975, 0.999))
p("od funnel additive s=.04", 0.5 + zq * sqrt(0.04^2 + e["tau2"]))
p("od funnel multiplicative s=.04", 0.5 + zq * sqrt(e["phi"]) * 0.04)
e <- od(odz, ods, estimated = TRUE, consistent = TRUE)
p("od consistent z additive", (0.62 - 0.5) / sqrt(0.05^2 + e["tau2"]))
odz2 <- c(-0.9, 0.3, 1.2, -1.5, 0.1, 0.7, -0.4, 1.9, -1.1, 0.5)
ods2 <- rep(0.05, 10)
p("od calm (Spiegelhalter)", od(odz2, ods2))
p("od calm (consistent, I-1)", od(odz2, ods2, estimated = TRUE, consistent = TRUE))

cat("== multiple testing ==\n")
pv <- c(0.01, 0.04, 0.03, NA, 0.005, 0.04, 0.2, 0.5, 0.0001, 1)
p("BH", p.adjust(pv, "BH")); p("holm", p.adjust(pv, "holm"))
p("bonferroni", p.adjust(pv, "bonferroni"))

cat("== combining p-values ==\n")
cp <- c(0.02, 0.3, 0.11, 0.6); cw <- sqrt(c(30, 45, 12, 80))
p("fisher stat p", c(-2 * sum(log(cp)), pchisq(-2 * sum(log(cp)), 2 * 4, lower.tail = FALSE)))
Z <- sum(cw * qnorm(cp, lower.tail = FALSE)) / sqrt(sum(cw^2))
p("stouffer weighted Z p", c(Z, pnorm(Z, lower.tail = FALSE)))
Z1 <- sum(qnorm(cp, lower.tail = FALSE)) / sqrt(4)
p("stouffer unweighted Z p", c(Z1, pnorm(Z1, lower.tail = FALSE)))

cat("== Poisson-binomial (pooled spike) ==\n")
# The recursion: the pmf of the partial sums, one Bernoulli trial at a time.
poibin <- function(m, pr) {
  f <- 1
  for (j in seq_along(m)) for (t in seq_len(m[j])) f <- c(f * (1 - pr[j]), 0) + c(0, f * pr[j])
  f
}
pb_up <- function(x, m, pr) { f <- poibin(m, pr); s <- seq_along(f) - 1
  c(upper = sum(f[s >= x]), mid = sum(f[s > x]) + f[s == x] / 2) }
pm <- c(7, 5, 9); pp <- c(0.52, 0.61, 0.47)
p("poibin x=16 upper mid", pb_up(16, pm, pp))
# Independent checks of the recursion: equal p is binomial; two works by a direct sum.
p("poibin equal p vs pbinom", c(pb_up(12, c(10, 15), c(0.3, 0.3))["upper"],
                                 pbinom(11, 25, 0.3, lower.tail = FALSE)))
direct2 <- function(x, m1, p1, m2, p2) sum(sapply(0:m1, function(a)
  dbinom(a, m1, p1) * pbinom(x - a - 1, m2, p2, lower.tail = FALSE)))
p("poibin 2 works vs direct", c(pb_up(9, c(7, 5), c(0.52, 0.61))["upper"],
                                 direct2(9, 7, 0.52, 5, 0.61)))
mu <- sum(pm * pp); v <- sum(pm * pp * (1 - pp))
p("poibin normal cc: mu var upper mid", c(mu, v, pnorm((16 - 0.5 - mu) / sqrt(v), lower.tail = FALSE),
                                          pnorm((16 - mu) / sqrt(v), lower.tail = FALSE)))
# The manipulated school: 48 works, 6 or 7 pupils at b-1 or b in each, all at b;
# reference shares 0.50 .. 0.59. P(S >= M) = prod(p^m).
j <- 0:47; sm <- ifelse(j %% 16 < 9, 7, 6); sp <- 0.50 + 0.01 * (j %% 10)
p("manipulated: sum m", sum(sm))
p("manipulated: pooled p, mid", c(prod(sp^sm), prod(sp^sm) / 2))
p("manipulated: expected", sum(sm * sp))
p("manipulated: per-work p min max", range(sp^sm))
p("manipulated: per-work bonferroni", min(1, 48 * min(sp^sm)))
p("manipulated: BH min q", min(p.adjust(sp^sm, "BH")))
p("manipulated: fisher", pchisq(-2 * sum(log(sp^sm)), 96, lower.tail = FALSE))
# A smooth school: x_j = floor(m_j p_j + 0.5)
sx <- floor(sm * sp + 0.5)
p("smooth: sum x", sum(sx))
p("smooth: pooled upper mid", pb_up(sum(sx), sm, sp))

cat("== quasi-likelihood trends ==\n")
qsum <- function(f, df) {
  if (inherits(f, "glm")) {
    f <- refit(f)
    # the dispersion is the Pearson chi-square at the fit over the residual df
    stopifnot(abs(summary(f)$dispersion / (sum(residuals(f, "pearson")^2) / df) - 1) < 1e-12)
  }
  s <- summary(f); cf <- s$coefficients[2, ]
  disp <- if (inherits(f, "glm")) s$dispersion else s$sigma^2
  se0 <- if (inherits(f, "glm")) sqrt(s$cov.unscaled[2, 2]) else sqrt(s$cov.unscaled[2, 2])
  sef <- sqrt(max(1, disp)) * se0; tf <- cf[1] / sef
  c(slope = cf[1], se = cf[2], t = cf[3], p = cf[4], phi_raw = disp,
    se_floor = sef, t_floor = tf, p_floor = 2 * pt(-abs(tf), df))
}
yr4 <- 2021:2024
k1 <- c(30, 38, 45, 52); n1 <- c(100, 105, 98, 110)
f <- glm(cbind(k1, n1 - k1) ~ yr4, family = quasibinomial, control = ctl)
p("qb logit k1: slope se t p phi", qsum(f, 2)); p("qb logit k1 intercept", coef(refit(f))[1])
k2 <- c(30, 55, 35, 60); n2 <- c(100, 105, 98, 110)
p("qb logit k2 (overdispersed)", qsum(glm(cbind(k2, n2 - k2) ~ yr4, family = quasibinomial, control = ctl), 2))
yr3 <- 2022:2024; k3 <- c(20, 28, 35); n3 <- c(70, 72, 69)
p("qb logit k3 (3 points)", qsum(glm(cbind(k3, n3 - k3) ~ yr3, family = quasibinomial, control = ctl), 1))
k0 <- c(0, 3, 5, 9); n0 <- c(40, 42, 38, 41)
p("qb logit zero year", qsum(glm(cbind(k0, n0 - k0) ~ yr4, family = quasibinomial, control = ctl), 2))
lin <- function(k, n, x) { pb <- sum(k) / sum(n); lm(I(k / n) ~ x, weights = n / (pb * (1 - pb))) }
p("qb linear k1", qsum(lin(k1, n1, yr4), 2)); p("qb linear k1 intercept", coef(lin(k1, n1, yr4))[1])
p("qb linear k2", qsum(lin(k2, n2, yr4), 2))
p("prop.trend.test k1 (z^2)", prop.trend.test(k1, n1, yr4)$statistic)
yr5 <- 2020:2024
kc <- c(12, 18, 15, 25, 30); ec <- c(800, 820, 790, 810, 805)
f <- glm(kc ~ yr5 + offset(log(ec)), family = quasipoisson, control = ctl)
p("qp counts/exposure", qsum(f, 3)); p("qp intercept", coef(refit(f))[1])
kp <- c(3, 7, 4, 9)
p("qp plain counts", qsum(glm(kp ~ yr4, family = quasipoisson, control = ctl), 2))
ym <- c(61.2, 59.8, 57.1, 58.0); sem <- c(1.8, 1.6, 1.9, 1.7)
f <- lm(ym ~ yr4, weights = 1 / sem^2)
p("qmean", qsum(f, 2)); p("qmean intercept", coef(f)[1])
# A context factor 10.1 -> 10.2 -> 10.3 (%): as a mean with the SE of a share of 500
# pupils, tested against sampling variance alone (phi = 1; the line fits exactly).
yc <- c(10.1, 10.2, 10.3); sec <- 100 * sqrt(yc / 100 * (1 - yc / 100) / 500)
w <- 1 / sec^2; xb <- sum(w * yr3) / sum(w); sxx <- sum(w * (yr3 - xb)^2)
b <- sum(w * (yr3 - xb) * yc) / sxx; tt <- b / sqrt(1 / sxx)
p("context factor: slope se t p (phi=1)", c(b, sqrt(1 / sxx), tt, 2 * pt(-abs(tt), 1)))
p("context factor: the old 1-df lm p", summary(lm(yc ~ yr3, weights = c(500, 500, 500)))$coefficients[2, 4])
kcf <- c(101, 102, 103); ncf <- c(1000, 1000, 1000)
p("context factor as shares, logit floored", qsum(glm(cbind(kcf, ncf - kcf) ~ yr3, family = quasibinomial, control = ctl), 1))

cat("== empirical Bayes: the cap that broke GSL, and the floor ==\n")
t95 <- 0.025
# Four units of 500/2500: rho < 0, cap 100 N = 1e6, a = 2e5, b = 8e5.
p("eb cap: posterior lo hi", qbeta(c(t95, 1 - t95), 500 + 2e5, 2000 + 8e5))
# Two units of 5000/10000: a = b = 1e6 (GSL's inverse does not return).
p("eb cap a=b=1e6: lo hi", qbeta(c(t95, 1 - t95), 5000 + 1e6, 5000 + 1e6))
eb_floor <- function(k, n, rho_min = 1e-4, level = 0.95) {
  N <- sum(n); I <- sum(n > 0); m <- sum(k) / N
  S <- sum(n * (k / n - m)^2)
  rho <- (S / (m * (1 - m)) - (I - 1)) / (N - sum(n^2) / N - (I - 1))
  ab <- max(1, 1 / max(rho, rho_min) - 1); a <- m * ab; b <- (1 - m) * ab
  t <- (1 - level) / 2
  list(rho = rho, a = a, b = b, mean = (k + a) / (n + a + b),
       lo = qbeta(t, k + a, n - k + b), hi = qbeta(1 - t, k + a, n - k + b))
}
e <- eb_floor(c(10, 10, 10), c(50, 50, 50))
p("eb floor: rho a b", c(e$rho, e$a, e$b)); p("eb floor lo hi [1]", c(e$lo[1], e$hi[1]))
e <- eb_floor(c(500, 500, 500, 500), rep(2500, 4))
p("eb floor 4x500/2500 lo hi [1]", c(e$lo[1], e$hi[1]))
# Two units of 250000/500000: cap 1e8, a = b = 5e7; a 20% interval sits so close to
# the mean that GSL's beta CDF is NaN there (the normal-approximation path).
p("eb cap a=b=5e7, level 0.2: lo hi", qbeta(c(0.4, 0.6), 5e7 + 250000, 5e7 + 250000))

cat("== OLS: coefficients table, rstudent, hat values ==\n")
g <- lm(y ~ x1 + x2)
s <- summary(g)$coefficients
p("ols se", s[, 2]); p("ols t", s[, 3]); p("ols p", s[, 4])
p("ols sigma", summary(g)$sigma)
p("ols rstudent", rstudent(g)); p("ols hatvalues", hatvalues(g))

cat("== ICC and design effect, cluster vs rest ==\n")
ik <- c(12, 30, 8, 45, 20, 5); inn <- c(40, 60, 35, 80, 50, 30)
icc <- function(k, n) {
  N <- sum(n); I <- length(n); K <- sum(k)
  msb <- (sum(k^2 / n) - K^2 / N) / (I - 1); msw <- (K - sum(k^2 / n)) / (N - I)
  n0 <- (N - sum(n^2) / N) / (I - 1)
  r <- (msb - msw) / (msb + (n0 - 1) * msw)
  c(icc = r, msb = msb, msw = msw, n0 = n0, mbar = N / I, mbar_w = sum(n^2) / N,
    deff = 1 + (sum(n^2) / N - 1) * max(0, r), deff_mean = 1 + (N / I - 1) * max(0, r))
}
p("icc msb msw n0 mbar mbar_w deff deff_mean", icc(ik, inn))
# The mean squares again from a one-way ANOVA of the pupils' 0/1 outcomes.
yy <- unlist(mapply(function(k, n) c(rep(1, k), rep(0, n - k)), ik, inn))
gg <- factor(rep(seq_along(inn), inn))
p("anova MSB MSW", anova(lm(yy ~ gg))[["Mean Sq"]])
grp <- c(1, 1, 0, 0, 0, 0)
p("group vs rest: est se t p", summary(lm(I(ik / inn) ~ grp, weights = inn))$coefficients["grp", ])
p("group vs rest: pooled values", c(sum(ik[grp == 1]) / sum(inn[grp == 1]), sum(ik[grp == 0]) / sum(inn[grp == 0])))
