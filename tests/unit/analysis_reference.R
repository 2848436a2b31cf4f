# analysis_reference.R — the oracle for tests/unit/test_analysis.c.
#
# Every expected number in test_analysis.c that is not a hand computation comes from
# this script; the same call is written beside the assertion. Re-run with
#     Rscript tests/unit/analysis_reference.R
# (base R only; checked with R 4.x). Values are printed with 15 significant digits.

p <- function(label, x) cat(sprintf("%-34s %s\n", label, paste(formatC(x, digits = 15, format = "g"), collapse = " ")))
cat("== trends ==\n")
yr <- c(2024, 2025, 2026)
k <- c(10, 15, 22); n <- c(80, 82, 78); y <- 100 * k / n
f <- summary(lm(y ~ yr, weights = n))$coefficients
p("share wls slope se p", f[2, c(1, 2, 4)])
pt <- prop.trend.test(k, n, yr)
p("share CA chisq p", c(pt$statistic, pt$p.value))
# fail share falling
k2 <- c(20, 14, 9); n2 <- c(100, 95, 105); y2 <- 100 * k2 / n2
f <- summary(lm(y2 ~ yr, weights = n2))$coefficients
p("fail wls slope se p", f[2, c(1, 2, 4)])
pt <- prop.trend.test(k2, n2, yr)
p("fail CA chisq p", c(pt$statistic, pt$p.value))
# mean with sd
m <- c(3.61, 3.70, 3.74); nm <- c(60, 64, 58); sd <- c(0.80, 0.90, 0.85)
f <- summary(lm(m ~ yr, weights = nm / sd^2))$coefficients
p("mean wls slope se p", f[2, c(1, 2, 4)])
# 4 years, break at 2024 -> 2024..2026 only (same as share)
# cluster vs rest t
a <- c(12, 15, 9, 20); b <- c(5, 7, 6, 8, 4, 6)
tt <- t.test(a, b, var.equal = TRUE)
p("t cluster vs rest", c(tt$statistic, tt$p.value))
cat("== context: y ~ x1 + x2, s12 planted +9 ==\n")
x1 <- c(5, 8, 10, 12, 15, 18, 20, 22, 25, 28, 30, 33)
x2 <- c(2, 5, 3, 8, 6, 10, 7, 12, 9, 14, 11, 15)
e <- c(0.8, -1.1, 0.3, 1.2, -0.4, -0.9, 0.6, -0.2, 1.0, -1.3, 0.5, 9.0)
y <- 80 - 0.6 * x1 - 0.3 * x2 + e
fit <- lm(y ~ x1 + x2)
p("ctx coef", coef(fit))
p("ctx r2", summary(fit)$r.squared)
p("ctx rstandard", rstandard(fit))
p("ctx rstudent", rstudent(fit))
p("ctx se", summary(fit)$coefficients[, 2])
p("ctx p", summary(fit)$coefficients[, 4])
p("ctx expected without the school", y - resid(fit) / (1 - hatvalues(fit)))
cat("== comparisons ==\n")
# Spiegelhalter (2005) exact binomial limits with interpolation, as in stats.h.
lim <- function(pr, n, p0) { r <- qbinom(pr, n, p0); a <- (pbinom(r,n,p0)-pr)/(pbinom(r,n,p0)-pbinom(r-1,n,p0)); (r-a)/n }
p0 <- 92/1000
p("funnel n=100 lo998 lo95 hi95 hi998", 100*c(lim(0.001,100,p0), lim(0.025,100,p0), lim(0.975,100,p0), lim(0.999,100,p0)))
p("z D vs district", (0.20 - p0)/sqrt(p0*(1-p0)/100))
p("z D vs cluster", (0.20 - 0.14)/sqrt(0.14*0.86/100))
# EB: beta-binomial moment fit (stats.h), the seven schools of 2026.
k <- c(30, 45, 3, 20, 25, 35, 28); n <- c(100, 100, 3, 100, 100, 100, 100)
m <- sum(k)/sum(n); S <- sum(n*(k/n-m)^2); I <- length(k); N <- sum(n)
rho <- (S/(m*(1-m)) - (I-1)) / (N - sum(n^2)/N - (I-1))
ab <- 1/rho - 1; a <- m*ab; b <- (1-m)*ab
p("eb rho a b", c(rho, a, b))
p("eb post", 100*(k+a)/(n+ab))
cat("== mean trend, known variances ==\n")
m <- c(3.61, 3.70, 3.74); nm <- c(60, 64, 58); sd <- c(0.80, 0.90, 0.85); yr <- 2024:2026
f <- lm(m ~ yr, weights = nm / sd^2); s <- summary(f)
z <- coef(f)[2] / (s$coefficients[2, 2] / s$sigma)
p("mean known-variance z p", c(z, 2 * pnorm(-abs(z))))
f <- summary(lm(m ~ yr, weights = nm))$coefficients
p("mean weights n: slope p", f[2, c(1, 4)])
cat("== Poisson trends (counts, rates) ==\n")
# IRLS to full precision: the default epsilon leaves the null fit off in the 6th digit
cc <- glm.control(epsilon = 1e-12, maxit = 100)
# a count: municipal winners 98, 90, 83 — the WLS t-test with 1 df called this
# «worsening»; the Poisson score test does not
kc <- c(98, 90, 83)
a <- anova(glm(kc ~ 1, family = poisson, control = cc), glm(kc ~ yr, family = poisson, control = cc), test = "Rao")
p("count score Rao p", c(a$Rao[2], a$`Pr(>Chi)`[2]))
# a rate: 12, 20, 31 awards per 400, 420, 410 students
kr <- c(12, 20, 31); er <- c(400, 420, 410)
a <- anova(glm(kr ~ 1 + offset(log(er)), family = poisson, control = cc),
           glm(kr ~ yr + offset(log(er)), family = poisson, control = cc), test = "Rao")
p("rate score Rao p", c(a$Rao[2], a$`Pr(>Chi)`[2]))
# uneven years, a count falling to 0
x3 <- c(2020, 2021, 2023, 2024); k3 <- c(5, 3, 2, 0)
a <- anova(glm(k3 ~ 1, family = poisson, control = cc), glm(k3 ~ x3, family = poisson, control = cc), test = "Rao")
p("count 4y score Rao p", c(a$Rao[2], a$`Pr(>Chi)`[2]))
# the score statistic in closed form (what ana_poisson_trend computes; anova's Rao
# agrees to the IRLS precision, ~1e-6): mu = e·Σk/Σe, z = Σ(x−x̄)(k−mu)/√Σmu(x−x̄)²
sc <- function(k, e, x) { mu <- e * sum(k) / sum(e); xb <- sum(mu * x) / sum(mu)
  z <- sum((x - xb) * (k - mu)) / sqrt(sum(mu * (x - xb)^2)); c(z^2, 2 * pnorm(-abs(z))) }
p("count closed form z2 p", sc(kc, c(1, 1, 1), yr))
p("rate closed form z2 p", sc(kr, er, yr))
p("count 4y closed form z2 p", sc(k3, c(1, 1, 1, 1), x3))
cat("== counts with exposure: their participants ==\n")
p("count exposure n closed form z2 p", sc(kc, c(1500, 1450, 1425), yr))
a <- anova(glm(kc ~ 1 + offset(log(c(1500, 1450, 1425))), family = poisson, control = cc),
           glm(kc ~ yr + offset(log(c(1500, 1450, 1425))), family = poisson, control = cc), test = "Rao")
p("count exposure n Rao p", c(a$Rao[2], a$`Pr(>Chi)`[2]))
cat("== trends: between-year variance pooled over a family (random year effect) ==\n")
# the test's line: y with sampling variances v, weights 1/(v + tau2)
kv <- function(y, v, x, tau2 = 0) { w <- 1 / (v + tau2); f <- lm(y ~ x, weights = w)
  s <- summary(f); b <- coef(f)[2]; se <- s$coefficients[2, 2] / s$sigma
  X <- cbind(1, x); W <- diag(w); D <- sum(w * resid(f)^2)
  cc <- sum(w) - sum(diag(solve(t(X) %*% W %*% X) %*% t(X) %*% W %*% W %*% X))
  list(b = b, se = se, z = b / se, D = D, c = cc) }
# ten schools of 100 pupils, shares of «2» over 2024..2026 with cohort noise, and one
# school (T) falling 30 -> 20 -> 10
fam <- list(c(12, 18, 11), c(20, 13, 17), c(9, 15, 14), c(16, 10, 19), c(14, 21, 12),
            c(11, 11, 18), c(19, 12, 15), c(13, 17, 9), c(15, 14, 20), c(10, 19, 13),
            c(30, 20, 10))
D <- 0; df <- 0; C <- 0
for (k in fam) { pb <- sum(k) / 300; r <- kv(100 * k / 100, rep(1e4 * pb * (1 - pb) / 100, 3), yr)
  D <- D + r$D; df <- df + 1; C <- C + r$c }
tau2 <- max(0, (D - df) / C)
p("family D df C tau2", c(D, df, C, tau2))
k <- fam[[11]]; pb <- sum(k) / 300
r0 <- kv(100 * k / 100, rep(1e4 * pb * (1 - pb) / 100, 3), yr)
p("T CA z (tau2 = 0)", r0$z)
r1 <- kv(100 * k / 100, rep(1e4 * pb * (1 - pb) / 100, 3), yr, tau2)
p("T z p (t, df 11)", c(r1$z, 2 * pt(-abs(r1$z), df)))
pt <- prop.trend.test(k, c(100, 100, 100), yr)
p("T CA chisq (R)", pt$statistic)
cat("== comparisons: exact tails against the district without the school ==\n")
# build_compare of test_analysis.c, 2025: district 92/1000; D 20/100, B 15/100, A 12/100
for (s in list(c(20, 100), c(15, 100), c(12, 100))) {
  pl <- (92 - s[1]) / (1000 - s[2])
  p(sprintf("loo %d/%d: p_loo p_hi p_lo", s[1], s[2]),
    c(100 * pl, pbinom(s[1] - 1, s[2], pl, lower.tail = FALSE), pbinom(s[1], s[2], pl))) }
# winsorised phi and tau2 (Spiegelhalter 2005) over the ten schools of 2025
k <- c(12, 15, 9, 20, 5, 7, 6, 8, 4, 6); n <- rep(100, 10); p0 <- 92 / 1000
s <- sqrt(p0 * (1 - p0) / n); z <- (k / n - p0) / s
q <- quantile(z, c(0.1, 0.9)); zw <- pmin(pmax(z, q[1]), q[2])
# the consistent estimate of stats.h (φ̂_w/c(w)) and its two-moment test, df = I − 1
wz <- 0.1; zq <- qnorm(1 - wz)
cw <- (1 - 2 * wz) - 2 * zq * dnorm(zq) + 2 * wz * zq^2
k4 <- 2 * wz * zq / dnorm(zq)
ez4 <- integrate(function(x) x^4 * dnorm(x), -zq, zq)$value + 2 * wz * zq^4
Vw <- (ez4 - cw^2 + 4 * wz * k4 * (zq^2 - cw) + 2 * wz * (1 - 2 * wz) * k4^2) / cw^2
I <- length(z); phi <- mean(zw^2) / cw; w <- 1 / s^2
tau2 <- max(0, (I * phi - (I - 1)) / (sum(w) - sum(w^2) / sum(w)))
df0 <- I - 1
p("od phi p tau2(%)", c(phi, pchisq(2 * I * phi / Vw, 2 * df0 / Vw, lower.tail = FALSE), 1e4 * tau2))
# the cluster (A B C D) against the rest with schools as units (stats.h
# stats_group_vs_rest): lm(y ~ g, weights = n) — with 100 pupils each, the t-test
inc <- c(TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE)
g <- summary(lm(k ~ inc, weights = n))$coefficients["incTRUE", ]
p("cluster schools t p", g[c(3, 4)])
t2 <- 1e4 * tau2
# D with overdispersion: z against the rest of the district with tau2
pl <- 72 / 900
# (the rest of the district, 900 pupils, is a sample too: its variance is added)
zd <- (20 - 100 * pl) / sqrt(1e4 * pl * (1 - pl) / 100 + t2 + 1e4 * pl * (1 - pl) / 900)
p("D z_adj p_hi", c(zd, pnorm(zd, lower.tail = FALSE)))
cat("== the pooled boundary test ==\n")
# the conditional (hypergeometric) version of the pooled boundary test
m <- c(6, 7, 5); k <- c(9, 12, 6); t <- c(20, 25, 14); d <- 1
for (i in 1:3) d <- convolve(d, rev(dhyper(0:min(m[i], k[i]), k[i], t[i] - k[i], m[i])), type = "open")
p("hypergeometric P(sum >= 10)", sum(d[11:length(d)]))
