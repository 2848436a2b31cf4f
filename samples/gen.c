/*
 * gen.c — soko-gen: deterministic synthetic data for soko's unified forms.
 *
 * Writes the ten CSV forms of the data contract (forms.md) — schools, clusters,
 * context, vpr, vpr_students, oge, ege, rdr, olympiad, admissions — for a fictional
 * district (--preset district, the committed samples/district/), for any number of
 * schools up to a whole country (--schools N), or one big per-student ВПР file for
 * benchmarks (--form vpr_students --rows N).
 *
 * Determinism is the point: the same arguments give the same bytes on any machine.
 * Therefore: our own PRNG (xoshiro256** seeded by splitmix64), one independent stream
 * per (purpose, school, year, work) so that the data of a school never depend on the
 * loop order or on what else is written; integer arithmetic only (no libm, whose
 * results differ between C libraries); reals are fixed-point integers printed by hand.
 *
 * The model, in one paragraph. Every school has a latent level per year (milli-sd,
 * 0 = a typical school; table or random), a profile that shifts its subjects, and a
 * few planted traits. A grade's pupils get abilities; a pupil's result in a work is
 * level + ability + noise, mapped linearly onto the work's primary scores, and the
 * mark follows from the work's fixed boundaries. Aggregates (vpr, oge, ege, rdr) are
 * always computed from simulated pupils, so vpr rows agree exactly with the
 * vpr_students rows of the same work.
 *
 * Errors (bad arguments, a file that cannot be written) print one line on stderr and
 * exit with status 2.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

static const char *prog = "soko-gen";

/* One policy for every failure: a message naming the culprit, exit status 2. */
static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ==========================================================================
 * PRNG: xoshiro256** streams keyed by (seed, tag, a, b, c)
 * ========================================================================== */

/* Purposes of the random streams. A new purpose gets a new tag, so adding a feature
 * never shifts the numbers drawn for the old ones. */
enum tag {
    T_LEVEL = 1, T_COHORT, T_ROSTER, T_SUBJ, T_WORKYEAR, T_DRIFT, T_CALIB, T_ELECT,
    T_VPR, T_OGE, T_EGE, T_RDR, T_OLYMP, T_ADMIT, T_CTX, T_SCHOOL, T_ABSENT, T_TASK, T_OWN
};

typedef struct rng { uint64_t s[4]; } rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* Arguments are converted to uint64_t, so negative values hash fine (mod 2^64). */
static void rng_init(rng *r, uint64_t seed, uint64_t tag, uint64_t a, uint64_t b,
                     uint64_t c)
{
    uint64_t k = seed ^ 0x736F6B6F2D67656EULL; /* "soko-gen" */
    uint64_t x;
    int i;
    x = k;       k = splitmix64(&x) ^ tag;
    x = k;       k = splitmix64(&x) ^ a;
    x = k;       k = splitmix64(&x) ^ b;
    x = k;       k = splitmix64(&x) ^ c;
    x = k;
    for (i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rng_u64(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) by multiply-shift (Lemire), no modulo bias worth mentioning. */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

static int rng_range(rng *r, int lo, int hi)
{
    return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

static int rng_permille(rng *r, int p) { return (int)rng_below(r, 1000) < p; }

/* Approximately standard normal, in milli-sd: the Irwin–Hall sum of four 16-bit
 * uniforms from one draw (mean 131070, sd 37837). Bounded at ±3.46 sd, which suits
 * marks: nobody scores six sd above the mean. */
static int rng_nrm(rng *r)
{
    uint64_t x = rng_u64(r);
    int64_t s = (int64_t)(x & 0xFFFF) + (int64_t)((x >> 16) & 0xFFFF) +
                (int64_t)((x >> 32) & 0xFFFF) + (int64_t)(x >> 48);
    return (int)((s - 131070) * 1000 / 37837);
}

static uint64_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

/* Binomial(n, ppm/1e6): exact for small n, normal approximation above (olympiad
 * school stages of big schools), so a country costs O(schools), not O(pupils). */
static int binom(rng *r, int n, int ppm)
{
    int i, k = 0;
    int64_t mean, var, sd, x;
    if (n <= 0 || ppm <= 0)
        return 0;
    if (ppm >= 1000000)
        return n;
    if (n <= 100) {
        for (i = 0; i < n; i++)
            k += (int)rng_below(r, 1000000) < ppm;
        return k;
    }
    mean = (int64_t)n * ppm / 1000;                        /* milli-units */
    var = (int64_t)n * ppm / 1000 * (1000000 - ppm) / 1000; /* variance · 1e6 */
    sd = (int64_t)isqrt64((uint64_t)var);                   /* milli-units */
    x = mean + sd * rng_nrm(r) / 1000;
    if (x < 0)
        return 0;
    return clampi((int)((x + 500) / 1000), 0, n);
}

/* ==========================================================================
 * Subjects, profiles, works, mark boundaries
 * ========================================================================== */

enum subj {
    S_RUS, S_MATH, S_OKR, S_HIST, S_BIO, S_GEO, S_SOC, S_PHYS, S_CHEM, S_ENG, S_INF,
    S_LIT, NSUBJ
};

static const char *const subj_name[NSUBJ] = {
    "Русский язык", "Математика", "Окружающий мир", "История", "Биология",
    "География", "Обществознание", "Физика", "Химия", "Английский язык",
    "Информатика", "Литература"
};

enum profile { P_MATH, P_HUM, P_LING, P_UNIV };
static const char *const profile_name[] = {
    "math-science", "humanities", "linguistic", "universal"
};

/* How a school's profile moves its results in a subject, milli-sd. */
static int profile_offset(int prof, int s)
{
    switch (prof) {
    case P_MATH:
        return s == S_MATH || s == S_PHYS || s == S_INF ? 150
             : s == S_CHEM ? 100 : s == S_BIO ? 50 : -30;
    case P_HUM:
        return s == S_HIST || s == S_SOC || s == S_LIT ? 150
             : s == S_RUS ? 120 : s == S_ENG ? 50
             : s == S_MATH || s == S_PHYS ? -60 : 0;
    case P_LING:
        return s == S_ENG ? 250 : s == S_RUS ? 100 : s == S_LIT ? 80
             : s == S_MATH ? -40 : 0;
    default:
        return 0;
    }
}

/* A primary-score scale: maximum and the lowest score of marks 3, 4, 5. */
struct scale { int max, b3, b4, b5; };

static int mark_of(const struct scale *s, int score)
{
    return score >= s->b5 ? 5 : score >= s->b4 ? 4 : score >= s->b3 ? 3 : 2;
}

/* The linear map from a pupil's latent z (milli-sd) to a primary score. A single
 * line, not a piecewise one: a kinked map would put a density step exactly at the
 * mark boundaries of every school — the very signal the objectivity rule looks for. */
struct zmap { int64_t mu, sd; /* milli-points at z = 0; milli-points per sd */ };

/* Fit the line so that a typical pupil reaches the first score of mark 3 at z = k3
 * and of mark 4 at z = k4 (milli-sd). */
static struct zmap zmap_fit(const struct scale *s, int k3, int k4)
{
    struct zmap m;
    m.sd = (int64_t)(s->b4 - s->b3) * 1000000 / (k4 - k3);
    m.mu = (int64_t)s->b3 * 1000 - m.sd * k3 / 1000;
    return m;
}

/* Above the first score of mark 5 the line bends smoothly (y = K + d·c/(c + d), slope
 * 1 at K, so no density step) towards the ceiling: strong schools spread over the top
 * scores instead of piling up on the maximum. Marks do not change: x ≥ K ⇔ y ≥ K. */
static int zmap_score(const struct zmap *m, const struct scale *s, int z)
{
    int64_t x = m->mu + m->sd * z / 1000;
    int64_t k = (int64_t)s->b5 * 1000, c = (int64_t)2 * (s->max + 1 - s->b5) * 1000;
    if (x < 0)
        return 0;
    if (x > k)
        x = k + (x - k) * c / (c + (x - k));
    return x / 1000 > s->max ? s->max : (int)(x / 1000);
}

/* ВПР works: grade, subject, kind, scale. Grades 4–5 write every subject; in 6–8
 * Russian and mathematics are compulsory and two more are assigned per class (as ФИС
 * ОКО does); grades 10–11 take part selectively. Boundaries are typical of the
 * ФИС ОКО recommendations (e.g. Математика 5: 0–6 → 2, 7–10 → 3, 11–14 → 4, 15–20 → 5)
 * and are the ones a reader of vpr_students.csv should assume. */
enum { W_CORE, W_ELECTIVE, W_SENIOR };

struct vpr_work { int grade, subj, kind; struct scale sc; };

static const struct vpr_work vpr_works[] = {
    { 4, S_RUS,  W_CORE,     { 38, 14, 24, 33 } },
    { 4, S_MATH, W_CORE,     { 20,  6, 10, 15 } },
    { 4, S_OKR,  W_CORE,     { 32,  8, 18, 26 } },
    { 5, S_RUS,  W_CORE,     { 45, 18, 29, 39 } },
    { 5, S_MATH, W_CORE,     { 20,  7, 11, 15 } },
    { 5, S_HIST, W_CORE,     { 15,  4,  8, 12 } },
    { 5, S_BIO,  W_CORE,     { 29, 12, 18, 24 } },
    { 6, S_RUS,  W_CORE,     { 51, 25, 35, 45 } },
    { 6, S_MATH, W_CORE,     { 20,  6, 10, 14 } },
    { 6, S_HIST, W_ELECTIVE, { 20,  6, 11, 16 } },
    { 6, S_BIO,  W_ELECTIVE, { 28, 11, 18, 24 } },
    { 6, S_GEO,  W_ELECTIVE, { 37, 10, 20, 30 } },
    { 6, S_SOC,  W_ELECTIVE, { 22,  8, 14, 19 } },
    { 7, S_RUS,  W_CORE,     { 47, 20, 29, 39 } },
    { 7, S_MATH, W_CORE,     { 19,  7, 12, 16 } },
    { 7, S_HIST, W_ELECTIVE, { 24,  7, 13, 19 } },
    { 7, S_BIO,  W_ELECTIVE, { 28, 10, 17, 23 } },
    { 7, S_GEO,  W_ELECTIVE, { 37, 11, 20, 29 } },
    { 7, S_SOC,  W_ELECTIVE, { 23,  8, 14, 20 } },
    { 7, S_PHYS, W_ELECTIVE, { 18,  5,  8, 11 } },
    { 7, S_ENG,  W_ELECTIVE, { 30, 13, 20, 26 } },
    { 8, S_RUS,  W_CORE,     { 51, 24, 34, 44 } },
    { 8, S_MATH, W_CORE,     { 25,  7, 13, 19 } },
    { 8, S_HIST, W_ELECTIVE, { 25,  7, 13, 19 } },
    { 8, S_BIO,  W_ELECTIVE, { 36, 13, 22, 30 } },
    { 8, S_GEO,  W_ELECTIVE, { 37, 11, 20, 29 } },
    { 8, S_SOC,  W_ELECTIVE, { 23,  8, 14, 20 } },
    { 8, S_PHYS, W_ELECTIVE, { 18,  5,  8, 11 } },
    { 8, S_CHEM, W_ELECTIVE, { 33,  9, 18, 27 } },
    { 10, S_GEO, W_SENIOR,   { 21,  6, 11, 17 } },
    { 11, S_HIST, W_SENIOR,  { 21,  7, 12, 17 } },
    { 11, S_PHYS, W_SENIOR,  { 26,  8, 14, 20 } },
    { 11, S_BIO,  W_SENIOR,  { 30, 11, 18, 24 } },
    { 11, S_CHEM, W_SENIOR,  { 33, 11, 19, 27 } },
    { 11, S_ENG,  W_SENIOR,  { 32, 14, 22, 28 } },
};
#define NWORKS ((int)(sizeof vpr_works / sizeof vpr_works[0]))
#define ELECTIVES_PER_GRADE 2
#define SENIOR_PERMILLE 350 /* chance a senior school writes a given 10–11 work */

/* ГИА subjects: ОГЭ scale (primary scores, marks) and ЕГЭ (test score mean for a
 * typical school, minimum). Русский язык and Математика are compulsory; ЕГЭ
 * Математика is the profile level (test score 0–100). */
struct gia_subj { int subj; struct scale oge; int ege_mu, ege_min; int weight; };

static const struct gia_subj gia[] = {
    { S_RUS,  { 33, 15, 23, 29 }, 65, 24,   0 },
    { S_MATH, { 31,  8, 15, 22 }, 54, 27,   0 },
    { S_PHYS, { 45, 11, 23, 35 }, 53, 36,  80 },
    { S_INF,  { 19,  5, 11, 16 }, 57, 40, 220 },
    { S_SOC,  { 37, 14, 24, 32 }, 55, 42, 300 },
    { S_BIO,  { 48, 13, 25, 37 }, 52, 36, 150 },
    { S_CHEM, { 40, 10, 21, 31 }, 53, 36,  70 },
    { S_HIST, { 37, 11, 21, 30 }, 55, 32,  70 },
    { S_ENG,  { 68, 29, 46, 58 }, 66, 22, 110 },
};
#define NGIA ((int)(sizeof gia / sizeof gia[0]))
#define EGE_SD 12 /* test points per sd of a pupil's latent */

/* РДР: the same works every year so that trends are possible. */
struct rdr_work { int grade, subj; };
static const struct rdr_work rdr_works[] = {
    { 5, S_MATH }, { 7, S_RUS }, { 8, S_PHYS }, { 10, S_MATH }
};
#define NRDR ((int)(sizeof rdr_works / sizeof rdr_works[0]))

static const int olymp_subj[] = {
    S_MATH, S_PHYS, S_INF, S_CHEM, S_BIO, S_GEO, S_RUS, S_LIT, S_HIST, S_SOC, S_ENG
};
#define NOLYMP ((int)(sizeof olymp_subj / sizeof olymp_subj[0]))

static const char *const stage_name[4] = { "school", "municipal", "regional", "final" };
static const char *const stage_name_ru[4] = {
    "школьный", "муниципальный", "региональный", "заключительный"
};

/* ==========================================================================
 * Schools and clusters
 * ========================================================================== */

enum role { R_NONE, R_ACTIVIST, R_MEMBER, R_FLAGSHIP, R_CURATOR, R_SUPPORTED };
static const char *const role_name[] = {
    "", "activist", "member", "flagship", "curator", "supported"
};
static const char *const role_name_ru[] = { /* as Excel files of an office write them */
    "", "активист", "участник", "флагман", "куратор", "курируемая"
};

/* The forms, in the order files are listed. */
enum form_id {
    F_SCHOOLS, F_CLUSTERS, F_CONTEXT, F_VPR, F_VPR_STUDENTS, F_OGE, F_EGE, F_RDR,
    F_OLYMPIAD, F_ADMISSIONS, F_VPR_PLAN, F_VPR_TASKS, F_VPR_REF_TASKS, F_VPR_REF,
    /* the district's own monitorings (defs/forms/): the district preset only */
    F_CAREER, F_CONTESTS, F_DIRECTORS, F_GIFTED, F_NIKO, F_RECHECK, F_SURVEY_500,
    F_CONTEXT_CLASS, F_TRAINING_EXAM, F_ZNAK, NFORMS
};
#define F_FIRST_OWN F_CAREER

#define MAXCL 2

/* Everything the generator knows about one school; filled per school from the preset
 * table or from the school's own random stream (so a country needs no table). */
struct school {
    int idx;                 /* position in the registry; keys every random stream */
    char id[16];             /* school_id as written */
    char name[256];
    char district[64];
    const char *kind;
    int profile;
    int senior;              /* has grades 10–11 (ЕГЭ, admissions, ВПР 10–11) */
    int cohort;              /* typical pupils per grade 1–9 */
    int base, slope;         /* latent level (milli-sd) in the first year; change a year */
    int jump_k, jump;        /* from year offset jump_k on, ВПР and journal marks (not
                                ОГЭ/ЕГЭ) are `jump` higher (jump_k < 0: none) */
    int vpr_boost;           /* ВПР and journal marks alike are higher (not ОГЭ/ЕГЭ) */
    int vpr_inflate;         /* ВПР only is higher: journal marks keep the true level */
    int anomaly;             /* pushes scores just below marks 3 and 4 onto the boundary */
    int ege_fail_k;          /* year offset with one ЕГЭ Математика graduate below the
                                minimum; everyone else passes compulsory ЕГЭ; -1 none */
    int low_income;          /* tenths of %, -1: follows from the level */
    int non_native;          /* tenths of %, -1: follows from the level */
    int students_file;       /* writes its pupils to vpr_students */
    int excel;               /* mirrors its rows into excel/ */
    int miss_form, miss_k;   /* one form not submitted in year offset miss_k (-1 none) */
    int ncl;
    char cl_id[MAXCL][32];
    char cl_name[MAXCL][192];
    int cl_role[MAXCL];
};

/* --- the district preset --------------------------------------------------------
 * About 40 fictional schools. The numbers of the Nevsky cluster come from seed 000
 * (activists 344, 329, 512, 572; members 448, 498, 639) and school 13 leads the
 * humanities cluster as in seed 001; every name, figure and result is invented, and
 * the negative patterns are planted on numbers outside the seed's cluster. The levels
 * here are the ground truth listed in samples/README.md. */
enum { C_NONE, C_STEM, C_HUM, C_SUPPORT, C_OTHER };
static const char *const preset_cluster_id[] = {
    "", "nevsky_stem", "humanities", "support", "other"
};
static const char *const preset_cluster_name[] = {
    "",
    "Кластер точных и естественнонаучных дисциплин",
    "Кластер гуманитарных и языковых дисциплин",
    "Кластер поддержки школ, функционирующих в неблагоприятных социальных условиях",
    "Прочие школы района"
};
#define PRESET_DISTRICT "Условный район"
#define PRESET_FIRST 2024
#define PRESET_LAST 2026

struct preset_row {
    const char *id, *name, *kind;
    int profile, cohort, base, slope;
    int oosh;                     /* основная школа: no grades 10–11 */
    int jump_year, jump;          /* ВПР only, from jump_year on; 0: none */
    int vpr_boost, vpr_inflate, anomaly;
    int ege_fail_year;            /* 0: none */
    int low_income, non_native;   /* 0: derived from the level */
    int students_file, excel;
    int miss_form, miss_year;     /* miss_year 0: none */
    int c1, r1, c2, r2;
};

static const struct preset_row preset[] = {
    /* Nevsky cluster of exact and natural sciences */
    { .id = "344", .name = "ГБОУ «Лицей № 344»", .kind = "лицей", .profile = P_MATH,
      .cohort = 95, .base = 1400, .students_file = 1, .excel = 1,
      .c1 = C_STEM, .r1 = R_ACTIVIST },                               /* stably high */
    { .id = "329", .name = "ГБОУ «Средняя школа № 329 с углублённым изучением математики»",
      .kind = "СОШ", .profile = P_MATH, .cohort = 85, .base = 250,
      .c1 = C_STEM, .r1 = R_ACTIVIST },
    { .id = "512", .name = "ГБОУ «Средняя школа № 512»", .kind = "СОШ", .profile = P_MATH,
      .cohort = 90, .base = 300,
      .c1 = C_STEM, .r1 = R_ACTIVIST, .c2 = C_SUPPORT, .r2 = R_CURATOR }, /* two clusters */
    { .id = "572", .name = "ГБОУ «Гимназия № 572»", .kind = "гимназия", .profile = P_MATH,
      .cohort = 80, .base = 1350, .c1 = C_STEM, .r1 = R_ACTIVIST },   /* stably high */
    { .id = "448", .name = "ГБОУ «Средняя школа № 448»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 80, .base = 0, .students_file = 1,
      .c1 = C_STEM, .r1 = R_MEMBER },
    { .id = "498", .name = "ГБОУ «Средняя школа № 498»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 75, .base = -300, .slope = 350,
      .c1 = C_STEM, .r1 = R_MEMBER },                                 /* improving */
    { .id = "639", .name = "ГБОУ «Лицей № 639»", .kind = "лицей", .profile = P_MATH,
      .cohort = 70, .base = 200, .c1 = C_STEM, .r1 = R_MEMBER },
    /* humanities and languages, around school 13 */
    { .id = "13", .name = "ГБОУ «Средняя школа № 13 с углублённым изучением английского языка»",
      .kind = "СОШ", .profile = P_LING, .cohort = 85, .base = 300, .students_file = 1,
      .c1 = C_HUM, .r1 = R_FLAGSHIP },
    { .id = "26", .name = "ГБОУ «Гимназия № 26»", .kind = "гимназия", .profile = P_HUM,
      .cohort = 75, .base = 200, .c1 = C_HUM, .r1 = R_MEMBER },
    { .id = "39", .name = "ГБОУ «Средняя школа № 39 с углублённым изучением иностранных языков»",
      .kind = "СОШ", .profile = P_LING, .cohort = 70, .base = 100,
      .c1 = C_HUM, .r1 = R_MEMBER },
    { .id = "331", .name = "ГБОУ «Гимназия № 331»", .kind = "гимназия", .profile = P_HUM,
      .cohort = 75, .base = 1300, .c1 = C_HUM, .r1 = R_MEMBER },      /* stably high */
    { .id = "346", .name = "ГБОУ «Средняя школа № 346»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 65, .base = 50, .c1 = C_HUM, .r1 = R_MEMBER },
    { .id = "591", .name = "ГБОУ «Гимназия № 591»", .kind = "гимназия", .profile = P_LING,
      .cohort = 70, .base = 200, .c1 = C_HUM, .r1 = R_MEMBER },
    /* support: curators and the schools they support (512 → 14, 690 → 23, 92 → 570) */
    { .id = "690", .name = "ГБОУ «Средняя школа № 690»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 85, .base = 250, .c1 = C_SUPPORT, .r1 = R_CURATOR },
    { .id = "92", .name = "ГБОУ «Средняя школа № 92»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 70, .base = 250, .c1 = C_SUPPORT, .r1 = R_CURATOR },
    { .id = "14", .name = "ГБОУ «Средняя школа № 14»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 45, .base = -1400, .low_income = 380, .non_native = 270,
      .students_file = 1, .excel = 1,
      .c1 = C_SUPPORT, .r1 = R_SUPPORTED },                           /* stably low */
    { .id = "23", .name = "ГБОУ «Средняя школа № 23»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 55, .base = -700, .slope = 450, .low_income = 330, .non_native = 240,
      .c1 = C_SUPPORT, .r1 = R_SUPPORTED },                           /* improving */
    { .id = "570", .name = "ГБОУ «Средняя школа № 570»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 50, .base = -1350, .low_income = 410, .non_native = 310,
      .c1 = C_SUPPORT, .r1 = R_SUPPORTED },                           /* stably low */
    /* the rest of the district */
    { .id = "17", .name = "ГБОУ «Средняя школа № 17»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 60, .base = -100, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "34", .name = "ГБОУ «Средняя школа № 34»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 75, .base = 150, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "40", .name = "ГБОУ «Гимназия № 40»", .kind = "гимназия", .profile = P_HUM,
      .cohort = 65, .base = 200, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "57", .name = "ГБОУ «Средняя школа № 57»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 60, .base = 500, .low_income = 340, .non_native = 300,
      .c1 = C_OTHER, .r1 = R_MEMBER },                                /* beats the odds */
    { .id = "62", .name = "ГБОУ «Средняя школа № 62»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 55, .base = 950, .low_income = 300, .non_native = 330,
      .c1 = C_OTHER, .r1 = R_MEMBER },                                /* beats the odds */
    { .id = "117", .name = "ГБОУ «Средняя школа № 117»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 70, .base = -200, .miss_form = F_RDR, .miss_year = 2025,
      .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "133", .name = "ГБОУ «Средняя школа № 133»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 80, .base = 50, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "147", .name = "ГБОУ «Средняя школа № 147»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 70, .base = -100, .vpr_inflate = 450,
      .c1 = C_OTHER, .r1 = R_MEMBER },                                /* high «raised» */
    { .id = "207", .name = "ГБОУ «Средняя школа № 207»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 65, .base = -450, .slope = 300,
      .c1 = C_OTHER, .r1 = R_MEMBER },                                /* improving */
    { .id = "222", .name = "ГБОУ «Средняя школа № 222»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 70, .base = -400, .vpr_boost = 1300,
      .c1 = C_OTHER, .r1 = R_MEMBER },                    /* ВПР high, ОГЭ/ЕГЭ weak */
    { .id = "267", .name = "ГБОУ «Лицей № 267»", .kind = "лицей", .profile = P_MATH,
      .cohort = 70, .base = 250, .c1 = C_OTHER, .r1 = R_MEMBER },
    /* a name with a comma and double quotes, so that RFC 4180 quoting is exercised */
    { .id = "305",
      .name = "ГБОУ Центр образования № 305 \"Интеллект\", структурное подразделение «Школа»",
      .kind = "центр образования", .profile = P_UNIV, .cohort = 60, .base = 0,
      .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "323", .name = "ГБОУ «Средняя школа № 323»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 65, .base = -50, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "327", .name = "ГБОУ «Средняя школа № 327»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 65, .base = -250, .slope = -100, .jump_year = 2026, .jump = 1300,
      .c1 = C_OTHER, .r1 = R_MEMBER },                                /* ВПР jump in 2026 */
    { .id = "328", .name = "ГБОУ «Средняя школа № 328»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 70, .base = 100, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "334", .name = "ГБОУ «Средняя школа № 334»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 70, .base = -150, .ege_fail_year = 2026,
      .c1 = C_OTHER, .r1 = R_MEMBER },                       /* ЕГЭ below minimum */
    { .id = "336", .name = "ГБОУ «Средняя школа № 336 с углублённым изучением английского языка»",
      .kind = "СОШ", .profile = P_LING, .cohort = 70, .base = 150,
      .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "339", .name = "ГБОУ «Средняя школа № 339»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 60, .base = -200, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "343", .name = "ГБОУ «Средняя школа № 343»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 65, .base = 50, .c1 = C_OTHER, .r1 = R_MEMBER },
    { .id = "345", .name = "ГБОУ «Средняя школа № 345»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 65, .base = -200, .anomaly = 1, .students_file = 1,
      .c1 = C_OTHER, .r1 = R_MEMBER },                           /* score anomaly */
    { .id = "350", .name = "ГБОУ «Средняя школа № 350»", .kind = "СОШ", .profile = P_UNIV,
      .cohort = 60, .base = -50, .miss_form = F_CONTEXT, .miss_year = 2024 },
    { .id = "667", .name = "ГБОУ «Основная общеобразовательная школа № 667»", .kind = "ООШ",
      .profile = P_UNIV, .cohort = 35, .base = -1450, .oosh = 1,
      .low_income = 360, .non_native = 220 },                    /* stably low, no cluster */
};
#define NPRESET ((int)(sizeof preset / sizeof preset[0]))

/* ==========================================================================
 * Output: buffered CSV writers (UTF-8 ',' LF, or Excel's cp1251 ';' CRLF)
 * ========================================================================== */

#define OUTBUF (1 << 16)

struct out {
    FILE *f;
    char path[4096];
    int excel;      /* 1: Windows-1251, ';', CRLF, decimal comma */
    int nf;         /* fields written on the current row */
    size_t len;
    char buf[OUTBUF];
};

/* A form being written: the UTF-8 file, optionally the Excel mirror. Rows marked with
 * form_row(..., 1) go to both. */
struct form {
    struct out *csv, *xl;
    int mirror;
};

static void out_flush(struct out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        die("%s: cannot write: %s", o->path, strerror(errno));
    o->len = 0;
}

static void out_need(struct out *o, size_t n)
{
    if (o->len + n > OUTBUF)
        out_flush(o);
}

static void out_open(struct out *o, const char *path, int excel)
{
    size_t n = strlen(path);
    if (n >= sizeof o->path)
        die("%s: path too long", path);
    memcpy(o->path, path, n + 1);
    o->excel = excel;
    o->nf = 0;
    o->len = 0;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return;
    }
    o->f = fopen(path, "wb");
    if (!o->f)
        die("%s: cannot create: %s", path, strerror(errno));
}

static void out_close(struct out *o)
{
    if (!o->f)
        return;
    out_flush(o);
    if (o->f == stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            die("%s: cannot write: %s", "stdout", strerror(errno));
    } else if (fclose(o->f) != 0) {
        die("%s: cannot write: %s", o->path, strerror(errno));
    }
    o->f = NULL;
}

/* UTF-8 → Windows-1251 for what our data contain: Cyrillic, « » № – — and ASCII.
 * Anything else is a bug in this file, not in the user's input. */
static size_t to_cp1251(const char *s, char *dst, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        unsigned cp;
        int c;
        if (*p < 0x80) {
            cp = *p++;
        } else if ((*p & 0xE0) == 0xC0 && p[1]) {
            cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
        } else if ((*p & 0xF0) == 0xE0 && p[1] && p[2]) {
            cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) |
                 (p[2] & 0x3F);
            p += 3;
        } else {
            die("internal: bad UTF-8 in \"%s\"", s);
        }
        if (cp < 0x80)                       c = (int)cp;
        else if (cp >= 0x410 && cp <= 0x44F) c = (int)(0xC0 + cp - 0x410);
        else if (cp == 0x401)                c = 0xA8; /* Ё */
        else if (cp == 0x451)                c = 0xB8; /* ё */
        else if (cp == 0xAB || cp == 0xBB)   c = (int)cp; /* « » */
        else if (cp == 0x2116)               c = 0xB9; /* № */
        else if (cp == 0x2013)               c = 0x96; /* – */
        else if (cp == 0x2014)               c = 0x97; /* — */
        else { die("internal: U+%04X has no Windows-1251 code", cp); return 0; }
        if (n + 1 >= cap)
            die("internal: field too long for Windows-1251 conversion");
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
    return n;
}

static void out_sep(struct out *o)
{
    if (o->nf++)
        o->buf[o->len++] = o->excel ? ';' : ',';
}

/* A text field, quoted per RFC 4180 when it holds the delimiter, a quote or a line
 * break. */
static void out_str(struct out *o, const char *s)
{
    char tmp[1024];
    const char *src = s;
    char delim = o->excel ? ';' : ',';
    size_t n, i;
    int quote = 0;
    if (o->excel) {
        n = to_cp1251(s, tmp, sizeof tmp);
        src = tmp;
    } else {
        n = strlen(s);
        if (n > 4096)
            die("internal: field too long");
    }
    for (i = 0; i < n; i++)
        if (src[i] == delim || src[i] == '"' || src[i] == '\n' || src[i] == '\r')
            quote = 1;
    out_need(o, 2 * n + 4);
    out_sep(o);
    if (!quote) {
        memcpy(o->buf + o->len, src, n);
        o->len += n;
        return;
    }
    o->buf[o->len++] = '"';
    for (i = 0; i < n; i++) {
        if (src[i] == '"')
            o->buf[o->len++] = '"';
        o->buf[o->len++] = src[i];
    }
    o->buf[o->len++] = '"';
}

static void out_digits(struct out *o, unsigned long long v, int width)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        d[n++] = '0';
    while (n)
        o->buf[o->len++] = d[--n];
}

static void out_int(struct out *o, long long v)
{
    out_need(o, 24);
    out_sep(o);
    if (v < 0) {
        o->buf[o->len++] = '-';
        out_digits(o, (unsigned long long)(-v), 1);
    } else {
        out_digits(o, (unsigned long long)v, 1);
    }
}

/* A fixed-point number v / 10^dec: "12.4", or "12,4" for Excel. */
static void out_fix(struct out *o, long long v, int dec)
{
    unsigned long long a, p = 1;
    int i;
    for (i = 0; i < dec; i++)
        p *= 10;
    out_need(o, 32);
    out_sep(o);
    if (v < 0)
        o->buf[o->len++] = '-';
    a = v < 0 ? (unsigned long long)(-v) : (unsigned long long)v;
    out_digits(o, a / p, 1);
    if (dec) {
        o->buf[o->len++] = o->excel ? ',' : '.';
        out_digits(o, a % p, dec);
    }
}

/* The year: "2026"; in Excel files the academic year "2025/2026", as offices type it
 * (forms.md: an academic year means its spring). */
static void out_year(struct out *o, int year)
{
    out_need(o, 24);
    out_sep(o);
    if (o->excel) {
        out_digits(o, (unsigned long long)(year - 1), 1);
        o->buf[o->len++] = '/';
    }
    out_digits(o, (unsigned long long)year, 1);
}

/* A pupil code, pseudonymous and unique within a school-year: S2026-344-0001. */
static void out_code(struct out *o, int year, const char *id, int num)
{
    size_t n = strlen(id);
    out_need(o, n + 32);
    out_sep(o);
    o->buf[o->len++] = 'S';
    out_digits(o, (unsigned long long)year, 1);
    o->buf[o->len++] = '-';
    memcpy(o->buf + o->len, id, n);
    o->len += n;
    o->buf[o->len++] = '-';
    out_digits(o, (unsigned long long)num, 4);
}

static void out_end(struct out *o)
{
    out_need(o, 2);
    if (o->excel)
        o->buf[o->len++] = '\r';
    o->buf[o->len++] = '\n';
    o->nf = 0;
}

/* A header line (no field needs quoting). */
static void out_line(struct out *o, const char *text)
{
    char tmp[1024];
    size_t n;
    if (o->excel) {
        n = to_cp1251(text, tmp, sizeof tmp);
        text = tmp;
    } else {
        n = strlen(text);
    }
    out_need(o, n + 2);
    memcpy(o->buf + o->len, text, n);
    o->len += n;
    out_end(o);
}

/* --- form-level writers: one call writes the field to the file and, for mirrored
 * rows, to the Excel copy. */
#define FOR_OUTS(fm, o) \
    for (int i_ = 0; i_ < 2; i_++) \
        for (struct out *o = i_ ? ((fm)->mirror ? (fm)->xl : NULL) : (fm)->csv; o; o = NULL)

static void fm_row(struct form *fm, int mirror) { fm->mirror = mirror && fm->xl; }
static void fm_str(struct form *fm, const char *s) { FOR_OUTS(fm, o) out_str(o, s); }
static void fm_int(struct form *fm, long long v) { FOR_OUTS(fm, o) out_int(o, v); }
static void fm_fix(struct form *fm, long long v, int d) { FOR_OUTS(fm, o) out_fix(o, v, d); }
static void fm_year(struct form *fm, int y) { FOR_OUTS(fm, o) out_year(o, y); }
static void fm_end(struct form *fm) { FOR_OUTS(fm, o) out_end(o); }
static void fm_code(struct form *fm, int y, const char *id, int num)
{
    FOR_OUTS(fm, o) out_code(o, y, id, num);
}

/* Headers: the English names of forms.md, and the Russian aliases for Excel files. */
struct form_def { const char *name, *header, *header_ru; };

static const struct form_def form_defs[NFORMS] = {
    { "schools", "school_id,name,district,kind,profile",
      "код ОО;наименование;район;тип;профиль" },
    { "clusters", "cluster_id,school_id,cluster_name,role",
      "кластер;код ОО;название кластера;роль" },
    { "context", "year,school_id,factor,value",
      "год;код ОО;показатель;значение" },
    { "vpr", "year,school_id,grade,subject,participants,m2,m3,m4,m5,mean_score,max_score,"
             "lowered,confirmed,raised",
      "год;код ОО;класс;предмет;участников;отметка «2»;отметка «3»;отметка «4»;"
      "отметка «5»;средний первичный балл;максимальный балл;понизили;подтвердили;"
      "повысили" },
    { "vpr_students", "year,school_id,grade,subject,student,class,primary_score,mark,"
                      "journal_mark",
      "год;код ОО;класс;предмет;код участника;класс-буква;первичный балл;отметка;"
      "отметка по журналу" },
    { "oge", "year,school_id,subject,participants,m2,m3,m4,m5,mean_score",
      "год;код ОО;предмет;участников;отметка «2»;отметка «3»;отметка «4»;отметка «5»;"
      "средний балл" },
    { "ege", "year,school_id,subject,participants,mean_score,below_min,high_scorers,"
             "score_100,sd",
      "год;код ОО;предмет;участников;средний балл;не преодолели минимальный порог;"
      "81–100 баллов;стобалльники;стандартное отклонение" },
    { "rdr", "year,school_id,grade,subject,participants,below_basic,basic,advanced,"
             "mean_percent",
      "год;код ОО;класс;предмет;участников;ниже базового;базовый;повышенный и высокий;"
      "средний % выполнения" },
    { "olympiad", "year,school_id,subject,stage,participants,winners,prizewinners,olympiad",
      "год;код ОО;предмет;этап;участников;победители;призёры;название" },
    { "admissions", "year,school_id,graduates,university,university_profile,college,budget",
      "год;код ОО;выпускников 11 кл.;поступили в вузы;в вузы по профилю ОО;в СПО;"
      "на бюджет" },
    { "vpr_plan", "year,grade,subject,task,max_score,level,skill,code", NULL },
    { "vpr_tasks", "year,school_id,grade,subject,task,participants,points", NULL },
    { "vpr_reference_tasks", "year,level,grade,subject,task,completion", NULL },
    { "vpr_reference", "year,level,grade,subject,name,participants,p2,p3,p4,p5", NULL },
    { "career", "year,school_id,students,in_programs,diagnostics,trials,profile_classes",
      "год;код ОО;обучающихся 6–11 классов;охвачено программами профориентации;"
      "прошли профдиагностику;прошли профессиональные пробы;профильных классов" },
    { "contests", "year,school_id,stage,participants,winners,prizewinners",
      "год;код ОО;уровень;участников;победителей;призёров" },
    { "directors", "year,school_id,results,objectivity,staff,development,projects",
      "год;код ОО;результаты оценочных процедур;объективность оценивания;кадровые условия;"
      "профессиональное развитие педагогов;участие в районных проектах" },
    { "gifted", "year,school_id,students,gifted,gifted_high,teachers,teachers_gifted",
      "год;код ОО;обучающихся;в базе одарённых детей;"
      "из них с результатами регионального уровня и выше;педагогов;педагогов в базе" },
    { "niko", "year,school_id,study,grade,sampled,participants,m2,m3,m4,m5",
      "год;код ОО;исследование;класс;в выборке;участников;отметка 2;отметка 3;отметка 4;"
      "отметка 5" },
    { "recheck", "year,school_id,grade,subject,own_mean,recheck_mean,l1_1,l1_2,l1_3,l2_1,"
                 "l2_2,l2_3,l3_1,l3_2,l3_3",
      "год;код ОО;класс;предмет;средний процент выполнения (ОО);"
      "средний процент выполнения (перепроверка);ниже базового: ниже базового;"
      "ниже базового: базовый;ниже базового: повышенный;базовый: ниже базового;"
      "базовый: базовый;базовый: повышенный;повышенный: ниже базового;повышенный: базовый;"
      "повышенный: повышенный" },
    { "survey_500", "year,school_id,factor,score", "год;код ОО;фактор риска;оценка" },
    { "context_class", "year,school_id,class,students,low_income,large_family,single_parent,"
                        "non_native,ovz,no_internet,parents_higher_ed",
      "год;код ОО;класс;обучающихся в классе;из малообеспеченных семей;из многодетных семей;"
      "из неполных семей;для кого русский язык не родной;с ОВЗ;"
      "без доступа к интернету дома;хотя бы один родитель с высшим образованием" },
    { "training_exam", "year,school_id,grade,subject,participants,m2,m3,m4,m5,mean_score",
      "год;код ОО;класс;предмет;участников;отметка 2;отметка 3;отметка 4;отметка 5;"
      "средний балл" },
    { "znak", "year,school_id,grade,subject,participants,below_basic,basic,advanced,"
              "mean_percent",
      "год;код ОО;класс;предмет;участников;ниже базового;базовый;повышенный;"
      "средний процент выполнения" },
};

/* ==========================================================================
 * Generator state
 * ========================================================================== */

struct gen {
    uint64_t seed;
    int first_year, last_year;
    int nschools;
    int preset;             /* 1: the district table, else schools from their streams */
    int excel;              /* write excel/ mirrors */
    int student_schools;    /* generic mode: the first K schools write vpr_students */
    int manipulated;        /* generic mode: this school's ВПР is manipulated (marks raised
                               against the journal, scores pushed onto the boundaries of
                               «3» and «4»); -1 none */
    struct zmap vpr_map[NWORKS];
    struct form fm[NFORMS];
};

static struct out outs[2 * NFORMS]; /* file + Excel mirror per form (static: 64 KiB each) */

/* A small uniform jitter in [-amp, amp] that depends only on its key. */
static int hjit(const struct gen *g, uint64_t tag, uint64_t a, uint64_t b, uint64_t c,
                int amp)
{
    rng r;
    rng_init(&r, g->seed, tag, a, b, c);
    return rng_range(&r, -amp, amp);
}

static void school_add_cluster(struct school *sc, const char *id, const char *name,
                               int role)
{
    if (sc->ncl >= MAXCL)
        return;
    snprintf(sc->cl_id[sc->ncl], sizeof sc->cl_id[0], "%s", id);
    snprintf(sc->cl_name[sc->ncl], sizeof sc->cl_name[0], "%s", name);
    sc->cl_role[sc->ncl] = role;
    sc->ncl++;
}

static void school_preset(int i, struct school *sc)
{
    const struct preset_row *p = &preset[i];
    memset(sc, 0, sizeof *sc);
    sc->idx = i;
    snprintf(sc->id, sizeof sc->id, "%s", p->id);
    snprintf(sc->name, sizeof sc->name, "%s", p->name);
    snprintf(sc->district, sizeof sc->district, "%s", PRESET_DISTRICT);
    sc->kind = p->kind;
    sc->profile = p->profile;
    sc->senior = !p->oosh;
    sc->cohort = p->cohort;
    sc->base = p->base;
    sc->slope = p->slope;
    sc->jump_k = p->jump_year ? p->jump_year - PRESET_FIRST : -1;
    sc->jump = p->jump;
    sc->vpr_boost = p->vpr_boost;
    sc->vpr_inflate = p->vpr_inflate;
    sc->anomaly = p->anomaly;
    sc->ege_fail_k = p->ege_fail_year ? p->ege_fail_year - PRESET_FIRST : -1;
    sc->low_income = p->low_income ? p->low_income : -1;
    sc->non_native = p->non_native ? p->non_native : -1;
    sc->students_file = p->students_file;
    sc->excel = p->excel;
    sc->miss_form = p->miss_year ? p->miss_form : -1;
    sc->miss_k = p->miss_year ? p->miss_year - PRESET_FIRST : -1;
    if (p->c1)
        school_add_cluster(sc, preset_cluster_id[p->c1], preset_cluster_name[p->c1], p->r1);
    if (p->c2)
        school_add_cluster(sc, preset_cluster_id[p->c2], preset_cluster_name[p->c2], p->r2);
}

/* A country: districts of 40 schools, ids 1..N. In each district positions 0–6 form
 * the exact-sciences cluster, 7–12 the humanities cluster, 13–18 the support cluster
 * (13–15 curators, 16–18 supported schools in poor conditions); the rest belong to no
 * cluster. Everything else comes from the school's own stream. */
#define DISTRICT_SIZE 40

static void school_generic(const struct gen *g, int i, struct school *sc)
{
    rng r;
    int d = i / DISTRICT_SIZE, pos = i % DISTRICT_SIZE, u;
    char cid[32], cname[192];
    const char *word;
    memset(sc, 0, sizeof *sc);
    rng_init(&r, g->seed, T_SCHOOL, (uint64_t)i, 0, 0);
    sc->idx = i;
    snprintf(sc->id, sizeof sc->id, "%d", i + 1);
    snprintf(sc->district, sizeof sc->district, "Район %03d", d + 1);
    sc->senior = 1;
    if (pos == 0 || pos == 20) {
        sc->kind = "лицей", word = "Лицей", sc->profile = P_MATH;
    } else if (pos == 10 || pos == 30) {
        sc->kind = "гимназия", word = "Гимназия", sc->profile = d % 2 ? P_LING : P_HUM;
    } else if (pos == DISTRICT_SIZE - 1) {
        sc->kind = "ООШ", word = "Основная школа", sc->profile = P_UNIV, sc->senior = 0;
    } else {
        sc->kind = "СОШ", word = "Средняя школа";
        u = (int)rng_below(&r, 100);
        sc->profile = u < 70 ? P_UNIV : u < 85 ? P_MATH : u < 95 ? P_LING : P_HUM;
    }
    snprintf(sc->name, sizeof sc->name, "ГБОУ «%s № %d»", word, i + 1);
    sc->cohort = 30 + (int)rng_below(&r, 90);
    sc->base = rng_nrm(&r) * 330 / 1000;
    sc->slope = rng_nrm(&r) * 60 / 1000;
    sc->jump_k = -1;
    sc->ege_fail_k = -1;
    sc->low_income = -1;
    sc->non_native = -1;
    sc->miss_form = -1;
    sc->miss_k = -1;
    sc->students_file = i < g->student_schools;
    sc->excel = g->excel && i < 2;
    if (i == g->manipulated) {
        sc->vpr_inflate = 450;
        sc->anomaly = 1;
    }
    if (pos < 7) {
        snprintf(cid, sizeof cid, "stem_d%03d", d + 1);
        snprintf(cname, sizeof cname, "Кластер точных и естественнонаучных дисциплин, %s",
                 sc->district);
        school_add_cluster(sc, cid, cname, pos < 4 ? R_ACTIVIST : R_MEMBER);
    } else if (pos < 13) {
        snprintf(cid, sizeof cid, "humanities_d%03d", d + 1);
        snprintf(cname, sizeof cname, "Кластер гуманитарных и языковых дисциплин, %s",
                 sc->district);
        school_add_cluster(sc, cid, cname, pos == 7 ? R_FLAGSHIP : R_MEMBER);
    } else if (pos < 19) {
        snprintf(cid, sizeof cid, "support_d%03d", d + 1);
        snprintf(cname, sizeof cname, "Кластер поддержки школ, %s", sc->district);
        school_add_cluster(sc, cid, cname, pos < 16 ? R_CURATOR : R_SUPPORTED);
        if (pos >= 16) {
            sc->base -= 600;
            sc->low_income = 250 + (int)rng_below(&r, 150);
            sc->non_native = 150 + (int)rng_below(&r, 150);
        } else {
            sc->base += 250;
        }
    }
}

static void school_get(const struct gen *g, int i, struct school *sc)
{
    if (g->preset)
        school_preset(i, sc);
    else
        school_generic(g, i, sc);
}

/* The school's latent level in year offset k, milli-sd. */
static int level_at(const struct gen *g, const struct school *sc, int k)
{
    int l = sc->base + sc->slope * k;
    l += hjit(g, T_LEVEL, (uint64_t)sc->idx, (uint64_t)k, 0, 40);
    return clampi(l, -1800, 1800);
}

/* Pupils in a grade. A cohort is the class that entered grade 1 in one year, so grade
 * 5 in 2025 is about grade 4 in 2024; about half stay on for grades 10–11. */
#define MAXCOHORT 300

static int cohort(const struct gen *g, const struct school *sc, int year, int grade)
{
    rng r;
    int n;
    if (grade >= 10 && !sc->senior)
        return 0;
    rng_init(&r, g->seed, T_COHORT, (uint64_t)sc->idx, (uint64_t)(year - grade), 0);
    n = sc->cohort * rng_range(&r, 88, 112) / 100;
    if (grade >= 10)
        n = n * rng_range(&r, 45, 60) / 100;
    return clampi(n, 1, MAXCOHORT);
}

/* Abilities (milli-sd) of the pupils of a grade; the same roster serves ВПР, ОГЭ,
 * ЕГЭ and РДР of that year, so a pupil's subjects correlate. Seniors are a selection. */
static int roster(const struct gen *g, const struct school *sc, int year, int grade,
                  int *ability)
{
    rng r;
    int i, n = cohort(g, sc, year, grade);
    rng_init(&r, g->seed, T_ROSTER, (uint64_t)sc->idx, (uint64_t)year, (uint64_t)grade);
    for (i = 0; i < n; i++)
        ability[i] = rng_nrm(&r) * 800 / 1000 + (grade >= 10 ? 250 : 0);
    return n;
}

/* The school's shift in one subject in one year: level, profile, its lasting strength
 * in the subject, and this year's class and teacher. */
static int subj_shift(const struct gen *g, const struct school *sc, int lvl, int subj,
                      int year, int work_key)
{
    return lvl + profile_offset(sc->profile, subj)
         + hjit(g, T_SUBJ, (uint64_t)sc->idx, (uint64_t)subj, 0, 80)
         + hjit(g, T_WORKYEAR, (uint64_t)sc->idx, (uint64_t)year, (uint64_t)work_key, 60);
}

static int is_missing(const struct school *sc, int form, int k)
{
    return sc->miss_form == form && sc->miss_k == k;
}

/* Round num/den to tenths, half up (we avoid exact ties where it matters). */
static long long tenths(long long num, long long den)
{
    return den ? (20 * num + den) / (2 * den) : 0;
}

/* The sample SD (n − 1) of n values with sum s and sum of squares q, in tenths,
 * rounded: sqrt(100·(n·q − s²) / (n·(n − 1))). */
static long long sd_tenths(long long s, long long q, long long n)
{
    long long num = n * q - s * s, den = n * (n - 1);
    if (num <= 0 || den <= 0) return 0;
    /* ×400 then halve: the square root of 4·100·var, rounded to the nearest tenth */
    unsigned long long v = (unsigned long long)((400 * num + den / 2) / den);
    return (long long)((isqrt64((uint64_t)v) + 1) / 2);
}

/* ==========================================================================
 * ВПР: pupils of one work, and its aggregate
 * ========================================================================== */

struct pupil { int num, cls, score, mark, journal; };

struct vagg { int n, m[6], max, lowered, confirmed, raised; long long sum; };

static const char *const class_letter[] = {
    "А", "Б", "В", "Г", "Д", "Е", "Ж", "З", "И", "К", "Л", "М"
};

/* Which works a school writes in a year: core ones, two assigned electives per grade
 * 6–8, and some senior works. */
static void active_works(const struct gen *g, const struct school *sc, int year,
                         unsigned char *act)
{
    int wi, grade;
    rng r;
    rng_init(&r, g->seed, T_ELECT, (uint64_t)sc->idx, (uint64_t)year, 0);
    for (wi = 0; wi < NWORKS; wi++)
        act[wi] = vpr_works[wi].kind == W_CORE ||
                  (vpr_works[wi].kind == W_SENIOR && sc->senior &&
                   rng_permille(&r, SENIOR_PERMILLE));
    for (grade = 6; grade <= 8; grade++) {
        int cand[8], nc = 0, j;
        for (wi = 0; wi < NWORKS; wi++)
            if (vpr_works[wi].grade == grade && vpr_works[wi].kind == W_ELECTIVE)
                cand[nc++] = wi;
        for (j = 0; j < ELECTIVES_PER_GRADE && nc > 0; j++) {
            int pick = (int)rng_below(&r, (uint32_t)nc);
            act[cand[pick]] = 1;
            cand[pick] = cand[--nc];
        }
    }
}

static int near_boundary(const struct scale *s, int x)
{
    return (x >= s->b3 - 2 && x <= s->b3) || (x >= s->b4 - 2 && x <= s->b4) ||
           (x >= s->b5 - 2 && x <= s->b5);
}

/* If the mean lands exactly on x.x5, "%.1f" and half-up disagree and a checker with
 * tolerance 0.05 sits on the edge; move one pupil by one point inside a mark band
 * (marks and the counts around boundaries stay as they are). */
static void untie_mean(struct pupil *p, int n, const struct scale *s)
{
    long long sum = 0;
    int i;
    for (i = 0; i < n; i++)
        sum += p[i].score;
    if (n == 0 || (20 * sum) % n != 0 || (20 * sum / n) % 2 == 0)
        return;
    for (i = n - 1; i >= 0; i--)
        if (p[i].score < s->max && !near_boundary(s, p[i].score) &&
            !near_boundary(s, p[i].score + 1)) {
            p[i].score++;
            return;
        }
    for (i = n - 1; i >= 0; i--)
        if (p[i].score > 0 && !near_boundary(s, p[i].score) &&
            !near_boundary(s, p[i].score - 1)) {
            p[i].score--;
            return;
        }
}

/* Who writes the work: about 6 % are absent on the day. A stream of its own, so that
 * the benchmark mode can count rows exactly without simulating results. */
static int vpr_present(const struct gen *g, const struct school *sc, int year, int wi,
                       int n, unsigned char *present)
{
    rng r;
    int i, cnt = 0;
    rng_init(&r, g->seed, T_ABSENT, (uint64_t)sc->idx, (uint64_t)year, (uint64_t)wi);
    for (i = 0; i < n; i++) {
        present[i] = !rng_permille(&r, 60);
        cnt += present[i];
    }
    return cnt;
}

/* Simulate the pupils of one work; returns how many wrote it. */
static int sim_vpr(const struct gen *g, const struct school *sc, int year, int lvl, int wi,
                   const int *ability, int n, struct pupil *out)
{
    const struct vpr_work *w = &vpr_works[wi];
    const struct scale *s = &w->sc;
    const struct zmap *m = &g->vpr_map[wi];
    int shift = subj_shift(g, sc, lvl, w->subj, year, wi)
              + hjit(g, T_DRIFT, (uint64_t)year, (uint64_t)wi, 0, 60); /* the year's variant */
    int boost = sc->vpr_boost +
                (sc->jump_k >= 0 && year - g->first_year >= sc->jump_k ? sc->jump : 0);
    int nclass = (n + 26) / 27, i, cnt = 0;
    unsigned char present[MAXCOHORT];
    rng r;
    vpr_present(g, sc, year, wi, n, present);
    rng_init(&r, g->seed, T_VPR, (uint64_t)sc->idx, (uint64_t)year, (uint64_t)wi);
    for (i = 0; i < n; i++) {
        int z, truescore, score, jm, u;
        if (!present[i])
            continue;
        z = shift + ability[i] + rng_nrm(&r) * 600 / 1000 + boost;
        truescore = zmap_score(m, s, z);
        score = sc->vpr_inflate ? zmap_score(m, s, z + sc->vpr_inflate) : truescore;
        if (sc->anomaly) {
            /* lenient checking: a point or two found for those just short of 3 or 4 */
            if (score >= s->b3 - 2 && score < s->b3 && rng_permille(&r, 750))
                score = s->b3;
            else if (score >= s->b4 - 2 && score < s->b4 && rng_permille(&r, 550))
                score = s->b4;
        }
        /* the journal mark follows the pupil's true result, teachers being a little
         * generous (→ «lowered») and rarely strict (→ «raised»); a term «2» is rare */
        jm = mark_of(s, truescore);
        u = (int)rng_below(&r, 1000);
        if (u < 180)
            jm++;
        else if (u < 220)
            jm--;
        jm = clampi(jm, 2, 5);
        if (jm == 2 && rng_permille(&r, 600))
            jm = 3;
        out[cnt].num = i;
        out[cnt].cls = nclass > 1 ? i * nclass / n : 0;
        out[cnt].score = score;
        out[cnt].journal = jm;
        cnt++;
    }
    untie_mean(out, cnt, s);
    for (i = 0; i < cnt; i++)
        out[i].mark = mark_of(s, out[i].score);
    return cnt;
}

static void vpr_aggregate(const struct pupil *p, int n, struct vagg *a)
{
    int i;
    memset(a, 0, sizeof *a);
    a->n = n;
    for (i = 0; i < n; i++) {
        a->m[p[i].mark]++;
        a->sum += p[i].score;
        if (p[i].score > a->max)
            a->max = p[i].score;
        if (p[i].mark < p[i].journal)
            a->lowered++;
        else if (p[i].mark == p[i].journal)
            a->confirmed++;
        else
            a->raised++;
    }
}

/* Student codes number a school-year's pupils through grades 1..11. */
static void code_bases(const struct gen *g, const struct school *sc, int year, int *base)
{
    int gr, acc = 0;
    for (gr = 1; gr <= 11; gr++) {
        base[gr] = acc;
        acc += cohort(g, sc, year, gr);
    }
}

static void write_students(struct form *fm, int mirror, int year, const struct school *sc,
                           const struct vpr_work *w, const struct pupil *p, int n,
                           int codebase)
{
    int i;
    for (i = 0; i < n; i++) {
        fm_row(fm, mirror);
        fm_year(fm, year);
        fm_str(fm, sc->id);
        fm_int(fm, w->grade);
        fm_str(fm, subj_name[w->subj]);
        fm_code(fm, year, sc->id, codebase + p[i].num + 1);
        fm_str(fm, class_letter[p[i].cls < 12 ? p[i].cls : 11]);
        fm_int(fm, p[i].score);
        fm_int(fm, p[i].mark);
        fm_int(fm, p[i].journal);
        fm_end(fm);
    }
}

/* --- ВПР tasks: the plan of Математика 5 and per-school task results ---------------
 * Every pupil who wrote the work earns each point of a task when their result (the
 * work's shift for the school, their ability and a fresh N(0, 1) draw) is above the
 * task's difficulty (milli-sd; the k-th point of a task is 300 harder). Planted in the
 * district preset (samples/README.md): task 10 is 1300 harder in the humanities
 * cluster (its common problem), task 6 is 1500 harder in school 329 (its particular
 * problem, which its cluster does not share), and tasks 11 (basic) and 14 (high) are
 * hard for everyone (district-wide difficulties). Russia and the region are given
 * figures of the ФИС ОКО kind (typed, not simulated). */
struct task_def {
    const char *label, *level, *skill, *code;
    int max, diff;
    int russia, region;   /* tenths of % */
};

static const struct task_def math5_tasks[] = {
    {"1", "Б", "Развитие представлений о числе и числовых системах от натуральных до "
               "действительных чисел", "1.1", 1, -1100, 800, 815},
    {"2", "Б", "Умение выполнять арифметические действия с натуральными числами", "1.2", 1,
     -900, 760, 775},
    {"3", "Б", "Умение выполнять арифметические действия с обыкновенными дробями", "1.3", 1,
     -700, 700, 715},
    {"4", "Б", "Умение находить часть числа и число по его части", "1.4", 1, -600, 695, 705},
    {"5", "Б", "Умение решать текстовые задачи на движение, работу, покупки", "3.1", 1, -800, 745, 760},
    {"6", "Б", "Умение выполнять арифметические действия с десятичными дробями", "1.5", 2, -500, 610, 625},
    {"7", "Б", "Умение извлекать информацию, представленную в таблицах и на диаграммах", "4.1",
     1, -400, 655, 665},
    {"8", "П", "Умение решать задачи разных типов в несколько действий", "3.2", 2, 200, 435, 445},
    {"9(1)", "Б", "Умение применять изученные понятия для решения задач практического "
                  "характера", "3.3", 1, -300, 620, 630},
    {"9(2)", "П", "Умение моделировать реальные ситуации на языке математики", "3.4", 1, 400, 370, 380},
    {"10", "Б", "Умение выполнять простейшие построения и измерения на местности", "5.1", 2,
     -700, 640, 650},
    {"11", "Б", "Умение оценивать размеры реальных объектов окружающего мира", "5.2", 1, 450, 550, 560},
    {"12", "П", "Умение применять геометрические представления при решении практических "
                "задач", "5.3", 1, 600, 370, 380},
    {"13", "В", "Умение решать текстовые задачи повышенной сложности", "3.5", 2, 1000, 230, 240},
    {"14", "В", "Умение решать логические задачи", "6.1", 2, 1900, 85, 90},
};
#define NTASKS ((int)(sizeof math5_tasks / sizeof math5_tasks[0]))

static int is_tasks_work(const struct vpr_work *w) { return w->grade == 5 && w->subj == S_MATH; }

static int in_cluster(const struct school *sc, const char *id)
{
    int j;
    for (j = 0; j < sc->ncl; j++)
        if (strcmp(sc->cl_id[j], id) == 0)
            return 1;
    return 0;
}

/* The plan and the reference figures of a year (written once per year). */
static void gen_task_plan(struct gen *g, int year)
{
    struct form *fp = &g->fm[F_VPR_PLAN], *fr = &g->fm[F_VPR_REF_TASKS];
    int t, lvl;
    for (t = 0; t < NTASKS; t++) {
        const struct task_def *d = &math5_tasks[t];
        fm_row(fp, 0);
        fm_year(fp, year);
        fm_int(fp, 5);
        fm_str(fp, subj_name[S_MATH]);
        fm_str(fp, d->label);
        fm_int(fp, d->max);
        fm_str(fp, d->level);
        fm_str(fp, d->skill);
        fm_str(fp, d->code);
        fm_end(fp);
    }
    {
        /* the marks of Russia and the region (tenths of %, adding up to 1000) */
        static const int share[2][4] = {{121, 403, 330, 146}, {85, 380, 362, 173}};
        static const long long size[2] = {1250000, 41000};
        struct form *fm = &g->fm[F_VPR_REF];
        for (lvl = 0; lvl < 2; lvl++) {
            int k = year - g->first_year, j;
            fm_row(fm, 0);
            fm_year(fm, year);
            fm_str(fm, lvl ? "region" : "russia");
            fm_int(fm, 5);
            fm_str(fm, subj_name[S_MATH]);
            fm_str(fm, lvl ? "Условный регион" : "");
            fm_int(fm, size[lvl] + 1000 * k);
            for (j = 0; j < 4; j++)      /* a little better each year: «2» to «4» */
                fm_fix(fm, share[lvl][j] + (j == 0 ? -3 * k : j == 2 ? 3 * k : 0), 1);
            fm_end(fm);
        }
    }
    for (lvl = 0; lvl < 2; lvl++)
        for (t = 0; t < NTASKS; t++) {
            const struct task_def *d = &math5_tasks[t];
            fm_row(fr, 0);
            fm_year(fr, year);
            fm_str(fr, lvl ? "region" : "russia");
            fm_int(fr, 5);
            fm_str(fr, subj_name[S_MATH]);
            fm_str(fr, d->label);
            fm_fix(fr, (lvl ? d->region : d->russia) + (year - g->first_year) * 5, 1);
            fm_end(fr);
        }
}

static void gen_tasks(struct gen *g, const struct school *sc, int year, int lvl, int wi,
                      const int *ability, const struct pupil *p, int n)
{
    const struct vpr_work *w = &vpr_works[wi];
    struct form *ft = &g->fm[F_VPR_TASKS];
    int shift = subj_shift(g, sc, lvl, w->subj, year, wi)
              + hjit(g, T_DRIFT, (uint64_t)year, (uint64_t)wi, 0, 60)
              + sc->vpr_boost + (sc->jump_k >= 0 && year - g->first_year >= sc->jump_k ? sc->jump : 0);
    int t, i, k;
    for (t = 0; t < NTASKS; t++) {
        const struct task_def *d = &math5_tasks[t];
        int diff = d->diff, points = 0;
        rng r;
        if (g->preset && strcmp(d->label, "10") == 0 && in_cluster(sc, "humanities"))
            diff += 1300;                       /* task 10: the cluster's common problem */
        if (g->preset && strcmp(d->label, "6") == 0 && strcmp(sc->id, "329") == 0)
            diff += 1500;                       /* task 6: 329's particular problem */
        rng_init(&r, g->seed, T_TASK, (uint64_t)sc->idx, (uint64_t)year, (uint64_t)t);
        for (i = 0; i < n; i++)
            for (k = 0; k < d->max; k++)
                if (shift + ability[p[i].num] + rng_nrm(&r) > diff + 300 * k)
                    points++;
        fm_row(ft, 0);
        fm_year(ft, year);
        fm_str(ft, sc->id);
        fm_int(ft, w->grade);
        fm_str(ft, subj_name[w->subj]);
        fm_str(ft, d->label);
        fm_int(ft, n);
        fm_int(ft, points);
        fm_end(ft);
    }
}

static void gen_vpr(struct gen *g, const struct school *sc, int year, int k, int lvl,
                    int mirror)
{
    static int ability[MAXCOHORT];
    static struct pupil pupils[MAXCOHORT];
    unsigned char act[NWORKS];
    int base[12], wi, grade = -1, n = 0;
    struct form *fv = &g->fm[F_VPR], *fs = &g->fm[F_VPR_STUDENTS];
    int want_vpr = !is_missing(sc, F_VPR, k);
    int want_st = sc->students_file && fs->csv && !is_missing(sc, F_VPR_STUDENTS, k);
    if (!want_vpr && !want_st)
        return;
    active_works(g, sc, year, act);
    code_bases(g, sc, year, base);
    for (wi = 0; wi < NWORKS; wi++) {
        const struct vpr_work *w = &vpr_works[wi];
        struct vagg a;
        int cnt;
        if (!act[wi] || (w->grade >= 10 && !sc->senior))
            continue;
        if (w->grade != grade) {
            grade = w->grade;
            n = roster(g, sc, year, grade, ability);
        }
        cnt = sim_vpr(g, sc, year, lvl, wi, ability, n, pupils);
        if (cnt == 0)
            continue;
        vpr_aggregate(pupils, cnt, &a);
        if (want_vpr && is_tasks_work(w) && g->fm[F_VPR_TASKS].csv)
            gen_tasks(g, sc, year, lvl, wi, ability, pupils, cnt);
        if (want_vpr) {
            fm_row(fv, mirror);
            fm_year(fv, year);
            fm_str(fv, sc->id);
            fm_int(fv, w->grade);
            fm_str(fv, subj_name[w->subj]);
            fm_int(fv, a.n);
            fm_int(fv, a.m[2]);
            fm_int(fv, a.m[3]);
            fm_int(fv, a.m[4]);
            fm_int(fv, a.m[5]);
            fm_fix(fv, tenths(a.sum, a.n), 1);
            fm_int(fv, a.max);
            fm_int(fv, a.lowered);
            fm_int(fv, a.confirmed);
            fm_int(fv, a.raised);
            fm_end(fv);
        }
        if (want_st)
            write_students(fs, mirror, year, sc, w, pupils, cnt, base[grade]);
    }
}

/* ==========================================================================
 * ОГЭ, ЕГЭ, РДР
 * ========================================================================== */

/* Elective choice weights (per mille) for ГИА, moved by the school's profile. */
static int gia_weight(int prof, int j)
{
    int w = gia[j].weight, s = gia[j].subj;
    if (prof == P_MATH && (s == S_PHYS || s == S_INF || s == S_CHEM))
        w *= 3;
    else if (prof == P_HUM && s == S_HIST)
        w *= 3;
    else if (prof == P_HUM && s == S_SOC)
        w *= 2;
    else if (prof == P_LING && s == S_ENG)
        w *= 4;
    return w;
}

static void gia_weights(int prof, int *w)
{
    int j;
    for (j = 0; j < NGIA; j++)
        w[j] = j < 2 ? 0 : gia_weight(prof, j);
}

/* Pick an elective (index into gia[], ≥ 2) other than `except`; w from gia_weights. */
static int pick_elective(rng *r, const int *w, int except)
{
    int j, total = 0, x;
    for (j = 2; j < NGIA; j++)
        if (j != except)
            total += w[j];
    x = (int)rng_below(r, (uint32_t)total);
    for (j = 2; j < NGIA; j++) {
        if (j == except)
            continue;
        x -= w[j];
        if (x < 0)
            return j;
    }
    return NGIA - 1;
}

struct gagg { int n, m[6], below, high, s100; long long sum, sumsq; };

static void gen_oge(struct gen *g, const struct school *sc, int year, int lvl, int mirror)
{
    static int ability[MAXCOHORT];
    struct gagg a[NGIA];
    struct zmap map[NGIA];
    int shift[NGIA], w[NGIA], j, i, n;
    struct form *fm = &g->fm[F_OGE];
    rng r;
    memset(a, 0, sizeof a);
    gia_weights(sc->profile, w);
    n = roster(g, sc, year, 9, ability);
    for (j = 0; j < NGIA; j++) {
        shift[j] = subj_shift(g, sc, lvl, gia[j].subj, year, 1000 + j);
        map[j] = zmap_fit(&gia[j].oge, -1650, -450); /* ОГЭ «2» is rarer than ВПР's */
    }
    rng_init(&r, g->seed, T_OGE, (uint64_t)sc->idx, (uint64_t)year, 0);
    for (i = 0; i < n; i++) {
        int take[4], t;
        take[0] = 0;
        take[1] = 1;
        take[2] = pick_elective(&r, w, -1);
        take[3] = pick_elective(&r, w, take[2]);
        for (t = 0; t < 4; t++) {
            int jj = take[t];
            int z = shift[jj] + ability[i] + rng_nrm(&r) * 600 / 1000;
            int score = zmap_score(&map[jj], &gia[jj].oge, z);
            a[jj].n++;
            a[jj].m[mark_of(&gia[jj].oge, score)]++;
            a[jj].sum += score;
        }
    }
    for (j = 0; j < NGIA; j++) {
        if (!a[j].n)
            continue;
        fm_row(fm, mirror);
        fm_year(fm, year);
        fm_str(fm, sc->id);
        fm_str(fm, subj_name[gia[j].subj]);
        fm_int(fm, a[j].n);
        fm_int(fm, a[j].m[2]);
        fm_int(fm, a[j].m[3]);
        fm_int(fm, a[j].m[4]);
        fm_int(fm, a[j].m[5]);
        fm_fix(fm, tenths(a[j].sum, a[j].n), 1);
        fm_end(fm);
    }
}

static int ege_score(rng *r, int mu, int z)
{
    int64_t x = (int64_t)mu * 1000 + (int64_t)EGE_SD * z;
    int v = x < 0 ? 0 : (int)(x / 1000);
    if (v >= 100)          /* a hundred is rare even for the best */
        v = rng_permille(r, 300) ? 100 : 95 + (int)rng_below(r, 5);
    return v;
}

static void gen_ege(struct gen *g, const struct school *sc, int year, int k, int lvl,
                    int mirror)
{
    static int ability[MAXCOHORT];
    struct gagg a[NGIA];
    int shift[NGIA], w[NGIA], j, i, n, planted = sc->ege_fail_k == k, failed = 0;
    int math_pm = sc->profile == P_MATH ? 750 : sc->profile == P_HUM ? 350
                : sc->profile == P_LING ? 450 : 550;
    struct form *fm = &g->fm[F_EGE];
    rng r;
    memset(a, 0, sizeof a);
    gia_weights(sc->profile, w);
    n = roster(g, sc, year, 11, ability);
    for (j = 0; j < NGIA; j++)
        shift[j] = subj_shift(g, sc, lvl, gia[j].subj, year, 2000 + j);
    rng_init(&r, g->seed, T_EGE, (uint64_t)sc->idx, (uint64_t)year, 0);
    for (i = 0; i < n; i++) {
        int take[4], nt = 0, t;
        take[nt++] = 0;
        if (rng_permille(&r, math_pm) || (planted && !failed))
            take[nt++] = 1;
        take[nt] = pick_elective(&r, w, -1);
        nt++;
        if (rng_permille(&r, 450)) {
            take[nt] = pick_elective(&r, w, take[nt - 1]);
            nt++;
        }
        for (t = 0; t < nt; t++) {
            int jj = take[t];
            int z = shift[jj] + ability[i] + rng_nrm(&r) * 600 / 1000;
            int v = ege_score(&r, gia[jj].ege_mu, z);
            if (jj <= 1 && v < gia[jj].ege_min) /* compulsory: everybody passes ... */
                v = gia[jj].ege_min + (int)rng_below(&r, 8);
            if (jj == 1 && planted && !failed) { /* ... except the one planted graduate */
                v = gia[jj].ege_min - 8;
                failed = 1;
            }
            a[jj].n++;
            a[jj].sum += v;
            a[jj].sumsq += (long long)v * v;
            a[jj].below += v < gia[jj].ege_min;
            a[jj].high += v >= 81;
            a[jj].s100 += v == 100;
        }
    }
    for (j = 0; j < NGIA; j++) {
        if (!a[j].n)
            continue;
        fm_row(fm, mirror);
        fm_year(fm, year);
        fm_str(fm, sc->id);
        fm_str(fm, subj_name[gia[j].subj]);
        fm_int(fm, a[j].n);
        fm_fix(fm, tenths(a[j].sum, a[j].n), 1);
        fm_int(fm, a[j].below);
        fm_int(fm, a[j].high);
        fm_int(fm, a[j].s100);
        if (a[j].n >= 2)      /* the spread of the test scores, n − 1, in tenths */
            fm_fix(fm, sd_tenths(a[j].sum, a[j].sumsq, a[j].n), 1);
        else
            fm_str(fm, "");
        fm_end(fm);
    }
}

static void gen_rdr(struct gen *g, const struct school *sc, int year, int lvl, int mirror)
{
    static int ability[MAXCOHORT];
    struct form *fm = &g->fm[F_RDR];
    int j;
    for (j = 0; j < NRDR; j++) {
        int n, i, cnt = 0, lo = 0, mid = 0, hi = 0, shift;
        long long sum = 0;
        rng r;
        if (rdr_works[j].grade >= 10 && !sc->senior)
            continue;
        n = roster(g, sc, year, rdr_works[j].grade, ability);
        shift = subj_shift(g, sc, lvl, rdr_works[j].subj, year, 3000 + j);
        rng_init(&r, g->seed, T_RDR, (uint64_t)sc->idx, (uint64_t)year, (uint64_t)j);
        for (i = 0; i < n; i++) {
            int z, pct;
            if (rng_permille(&r, 80))
                continue;
            z = shift + ability[i] + rng_nrm(&r) * 600 / 1000;
            pct = clampi(550 + z * 190 / 1000, 0, 1000); /* tenths of % done */
            cnt++;
            sum += pct;
            if (pct < 350)
                lo++;
            else if (pct < 680)
                mid++;
            else
                hi++;
        }
        if (!cnt)
            continue;
        fm_row(fm, mirror);
        fm_year(fm, year);
        fm_str(fm, sc->id);
        fm_int(fm, rdr_works[j].grade);
        fm_str(fm, subj_name[rdr_works[j].subj]);
        fm_int(fm, cnt);
        fm_int(fm, lo);
        fm_int(fm, mid);
        fm_int(fm, hi);
        fm_fix(fm, tenths(sum, 10LL * cnt), 1);
        fm_end(fm);
    }
}

/* ==========================================================================
 * Olympiads, admissions, context
 * ========================================================================== */

static int profile_match(int prof, int s)
{
    switch (prof) {
    case P_MATH: return s == S_MATH || s == S_PHYS || s == S_INF || s == S_CHEM;
    case P_HUM:  return s == S_HIST || s == S_SOC || s == S_LIT || s == S_RUS;
    case P_LING: return s == S_ENG || s == S_RUS || s == S_LIT;
    default:     return 0;
    }
}

/* ВсОШ: participation at the school stage by interest and level; each later stage a
 * thinning selection of the previous one; strong schools reach the final. */
static void gen_olympiad(struct gen *g, const struct school *sc, int year, int lvl,
                         int mirror)
{
    static const int win_ppm[4] = { 80000, 60000, 50000, 80000 };
    static const int prize_ppm[4] = { 250000, 220000, 200000, 250000 };
    struct form *fm = &g->fm[F_OLYMPIAD];
    int eligible = 0, gr, j, st;
    rng r;
    for (gr = 5; gr <= 11; gr++)
        eligible += cohort(g, sc, year, gr);
    rng_init(&r, g->seed, T_OLYMP, (uint64_t)sc->idx, (uint64_t)year, 0);
    for (j = 0; j < NOLYMP; j++) {
        int s = olymp_subj[j], mt = profile_match(sc->profile, s), p[4];
        p[0] = binom(&r, eligible, clampi(50000 + mt * 50000 + lvl * 30, 10000, 250000));
        p[1] = binom(&r, p[0], clampi(120000 + mt * 40000 + lvl * 80, 10000, 400000));
        p[2] = binom(&r, p[1], lvl < -200 ? 0
                     : clampi(80000 + mt * 50000 + lvl * 150, 0, 500000));
        p[3] = binom(&r, p[2], lvl < 500 ? 0
                     : clampi(50000 + mt * 50000 + (lvl - 500) * 300, 0, 400000));
        for (st = 0; st < 4; st++) {
            int w, pr;
            if (!p[st])
                continue;
            w = binom(&r, p[st], win_ppm[st]);
            pr = binom(&r, p[st] - w, prize_ppm[st]);
            fm_row(fm, mirror);
            fm_year(fm, year);
            fm_str(fm, sc->id);
            fm_str(fm, subj_name[s]);
            if (fm->csv)
                out_str(fm->csv, stage_name[st]);
            if (fm->mirror)           /* Excel offices write the stage in Russian */
                out_str(fm->xl, stage_name_ru[st]);
            fm_int(fm, p[st]);
            fm_int(fm, w);
            fm_int(fm, pr);
            fm_str(fm, "ВсОШ");
            fm_end(fm);
        }
    }
}

/* Graduates of grade 11 (the ЕГЭ Русский язык participants of the same year). */
static void gen_admissions(struct gen *g, const struct school *sc, int year, int lvl,
                           int mirror)
{
    struct form *fm = &g->fm[F_ADMISSIONS];
    int grads = cohort(g, sc, year, 11), uni, prof, col, bud;
    rng r;
    if (!grads)
        return;
    rng_init(&r, g->seed, T_ADMIT, (uint64_t)sc->idx, (uint64_t)year, 0);
    uni = binom(&r, grads, clampi(650000 + lvl * 200, 250000, 970000));
    prof = binom(&r, uni, sc->profile == P_UNIV ? 300000
                 : clampi(550000 + lvl * 50, 200000, 850000));
    col = binom(&r, grads - uni, 700000);
    bud = binom(&r, uni, clampi(450000 + lvl * 150, 150000, 850000));
    fm_row(fm, mirror);
    fm_year(fm, year);
    fm_str(fm, sc->id);
    fm_int(fm, grads);
    fm_int(fm, uni);
    fm_int(fm, prof);
    fm_int(fm, col);
    fm_int(fm, bud);
    fm_end(fm);
}

static void ctx_row(struct form *fm, int mirror, int year, const struct school *sc,
                    const char *factor, long long v, int dec)
{
    if (strncmp(factor, "risk_", 5) == 0) {
        /* the «500+» questionnaire scores the same risk 1 (none) to 5 (high) */
        struct form *sv = fm + (F_SURVEY_500 - F_CONTEXT);
        fm_row(sv, mirror);
        fm_year(sv, year);
        fm_str(sv, sc->id);
        fm_str(sv, factor);
        fm_int(sv, clampi((int)v + 1 + (sc->idx + year + (int)strlen(factor)) % 3 / 2, 1, 5));
        fm_end(sv);
    }
    fm_row(fm, mirror);
    fm_year(fm, year);
    fm_str(fm, sc->id);
    fm_str(fm, factor);
    fm_fix(fm, v, dec);
    fm_end(fm);
}

static int risk_of(int v, int t1, int t2, int t3)
{
    return v >= t3 ? 3 : v >= t2 ? 2 : v >= t1 ? 1 : 0;
}

/* The questionnaire: contingent, social passport, and the «500+» risk profile
 * (0 none, 1 low, 2 medium, 3 high), mostly derived from the same facts so that the
 * risks a low-results school carries are the plausible ones. */
static void gen_context(struct gen *g, const struct school *sc, int year, int lvl,
                        int mirror)
{
    struct form *fm = &g->fm[F_CONTEXT];
    uint64_t id = (uint64_t)sc->idx, y = (uint64_t)year;
    int students = 0, classes = 0, gr, li, nn, ovz, top, poor, weak;
    for (gr = 1; gr <= 11; gr++) {
        int n = cohort(g, sc, year, gr);
        students += n;
        classes += (n + 26) / 27;
    }
    poor = sc->low_income >= 0;  /* a school in unfavourable social conditions */
    li = poor ? sc->low_income + hjit(g, T_CTX, id, y, 1, 15)
              : 140 - sc->base * 80 / 1000 + hjit(g, T_CTX, id, y, 1, 30);
    nn = sc->non_native >= 0 ? sc->non_native + hjit(g, T_CTX, id, y, 2, 15)
              : 80 - sc->base * 100 / 1000 + hjit(g, T_CTX, id, y, 2, 30);
    li = clampi(li, 5, 700);
    nn = clampi(nn, 0, 700);
    ovz = clampi((poor ? 90 : 30) + hjit(g, T_CTX, id, y, 3, 15), 0, 300);
    top = clampi(380 + sc->base * 100 / 1000 + hjit(g, T_CTX, id, y, 4, 60), 50, 900);
    weak = lvl + hjit(g, T_CTX, id, y, 5, 150); /* lower is worse */

    ctx_row(fm, mirror, year, sc, "students", students, 0);
    ctx_row(fm, mirror, year, sc, "share_non_native", nn, 1);
    ctx_row(fm, mirror, year, sc, "share_low_income", li, 1);
    ctx_row(fm, mirror, year, sc, "share_ovz", ovz, 1);
    ctx_row(fm, mirror, year, sc, "teachers_top_category", top, 1);
    ctx_row(fm, mirror, year, sc, "class_size", tenths(students, classes), 1);
    ctx_row(fm, mirror, year, sc, "risk_equipment",
            poor ? 2 + (hjit(g, T_CTX, id, y, 6, 1) > 0) : hjit(g, T_CTX, id, y, 6, 2) > 1, 0);
    ctx_row(fm, mirror, year, sc, "risk_staff_shortage",
            poor ? 2 + (hjit(g, T_CTX, id, y, 7, 1) >= 0)
                 : clampi(hjit(g, T_CTX, id, y, 7, 3) - 1, 0, 2), 0);
    ctx_row(fm, mirror, year, sc, "risk_teacher_competence",
            risk_of(-weak, 200, 500, 900), 0);
    ctx_row(fm, mirror, year, sc, "risk_low_motivation", risk_of(-weak, 100, 400, 800), 0);
    ctx_row(fm, mirror, year, sc, "risk_failure_share", risk_of(-lvl, 150, 450, 800), 0);
    ctx_row(fm, mirror, year, sc, "risk_language_barrier", risk_of(nn, 80, 150, 250), 0);
    ctx_row(fm, mirror, year, sc, "risk_parent_involvement", risk_of(li, 120, 180, 300), 0);
    ctx_row(fm, mirror, year, sc, "risk_discipline",
            clampi(risk_of(-weak, 300, 700, 1000) + (hjit(g, T_CTX, id, y, 8, 3) == 3), 0, 3),
            0);
    ctx_row(fm, mirror, year, sc, "risk_social_conditions", risk_of(li, 130, 200, 300), 0);
    ctx_row(fm, mirror, year, sc, "risk_inclusion", risk_of(ovz, 30, 50, 80), 0);
}

/* ==========================================================================
 * The district's own monitorings (defs/forms/): the preset only
 * ========================================================================== */

/* A value in tenths within [lo, hi] tenths. */
static int tenth_clamp(int v, int lo, int hi) { return clampi(v, lo, hi); }

/* Marks 2..5 of n pupils at a latent shift (milli-sd): counts into m[0..3]. */
static void marks_of(rng *r, int n, int shift, int m[4])
{
    int i;
    m[0] = m[1] = m[2] = m[3] = 0;
    for (i = 0; i < n; i++) {
        int z = shift + rng_nrm(r) * 900 / 1000;
        m[z < -1200 ? 0 : z < -100 ? 1 : z < 800 ? 2 : 3]++;
    }
}

static void gen_own(struct gen *g, const struct school *sc, int year, int k, int lvl,
                    int mirror)
{
    uint64_t id = (uint64_t)sc->idx, y = (uint64_t)year;
    int lenient = sc->vpr_inflate > 0 || sc->anomaly > 0 || (sc->jump_k >= 0 && k >= sc->jump_k);
    int poor = sc->low_income >= 0, active = 0, gr, j, m[4];
    int students = 0, seniors = 0;
    struct form *fm;
    rng r;
    for (j = 0; j < sc->ncl; j++)
        active |= sc->cl_role[j] == R_ACTIVIST || sc->cl_role[j] == R_FLAGSHIP ||
                  sc->cl_role[j] == R_CURATOR;
    for (gr = 1; gr <= 11; gr++) {
        students += cohort(g, sc, year, gr);
        if (gr >= 6)
            seniors += cohort(g, sc, year, gr);
    }
    rng_init(&r, g->seed, T_OWN, id, y, 0);

    /* directors' effectiveness: scores 0..10 in tenths */
    fm = &g->fm[F_DIRECTORS];
    fm_row(fm, mirror);
    fm_year(fm, year);
    fm_str(fm, sc->id);
    fm_fix(fm, tenth_clamp(65 + lvl * 25 / 1000 + hjit(g, T_OWN, id, y, 1, 5), 0, 100), 1);
    fm_fix(fm, tenth_clamp((lenient ? 35 : 80) + hjit(g, T_OWN, id, y, 2, 8), 0, 100), 1);
    fm_fix(fm, tenth_clamp((poor ? 45 : 72) + hjit(g, T_OWN, id, y, 3, 10), 0, 100), 1);
    fm_fix(fm, tenth_clamp(62 + hjit(g, T_OWN, id, y, 4, 15), 0, 100), 1);
    fm_fix(fm, tenth_clamp((active ? 85 : 50) + hjit(g, T_OWN, id, y, 5, 10), 0, 100), 1);
    fm_end(fm);

    /* re-checking of РДР: one work a year, grade 8 physics; the school's levels against
       the re-check's, more often higher where the school's marks are inflated */
    fm = &g->fm[F_RECHECK];
    {
        int n = cohort(g, sc, year, 8) * 9 / 10, c[3][3] = {{0}}, i, sum_own = 0, sum_re = 0;
        for (i = 0; i < n; i++) {
            int z = lvl + rng_nrm(&r) * 900 / 1000, re = z < -900 ? 0 : z < 700 ? 1 : 2, own = re;
            if (re < 2 && rng_permille(&r, lenient ? 220 : 25))
                own = re + 1;
            else if (re > 0 && rng_permille(&r, 20))
                own = re - 1;
            c[own][re]++;
            sum_own += 30 + own * 30;
            sum_re += 30 + re * 30;
        }
        if (n > 0) {
            fm_row(fm, mirror);
            fm_year(fm, year);
            fm_str(fm, sc->id);
            fm_int(fm, 8);
            fm_str(fm, "Физика");
            fm_fix(fm, tenths(sum_own, n), 1);
            fm_fix(fm, tenths(sum_re, n), 1);
            for (i = 0; i < 9; i++)
                fm_int(fm, c[i / 3][i % 3]);
            fm_end(fm);
        }
    }

    /* training exams: grade 9 mathematics and Russian, grade 11 mathematics */
    fm = &g->fm[F_TRAINING_EXAM];
    for (j = 0; j < 3; j++) {
        int grade = j < 2 ? 9 : 11, n = cohort(g, sc, year, grade) * 93 / 100;
        if (!n)
            continue;
        marks_of(&r, n, lvl - 150 + hjit(g, T_OWN, id, y, 10 + (uint64_t)j, 120), m);
        fm_row(fm, mirror);
        fm_year(fm, year);
        fm_str(fm, sc->id);
        fm_int(fm, grade);
        fm_str(fm, j == 1 ? "Русский язык" : "Математика");
        fm_int(fm, n);
        fm_int(fm, m[0]);
        fm_int(fm, m[1]);
        fm_int(fm, m[2]);
        fm_int(fm, m[3]);
        fm_str(fm, "");
        fm_end(fm);
    }

    /* ПК «Знак»: grade 6 Russian, grade 7 mathematics, by level */
    fm = &g->fm[F_ZNAK];
    for (j = 0; j < 2; j++) {
        int grade = 6 + j, n = cohort(g, sc, year, grade) * 95 / 100, lo = 0, mid = 0, hi = 0, i;
        long long sum = 0;
        int shift = lvl + hjit(g, T_OWN, id, y, 20 + (uint64_t)j, 100);
        for (i = 0; i < n; i++) {
            int pct = clampi(560 + (shift + rng_nrm(&r) * 900 / 1000) * 190 / 1000, 0, 1000);
            sum += pct;
            if (pct < 350) lo++;
            else if (pct < 700) mid++;
            else hi++;
        }
        if (!n)
            continue;
        fm_row(fm, mirror);
        fm_year(fm, year);
        fm_str(fm, sc->id);
        fm_int(fm, grade);
        fm_str(fm, j == 0 ? "Русский язык" : "Математика");
        fm_int(fm, n);
        fm_int(fm, lo);
        fm_int(fm, mid);
        fm_int(fm, hi);
        fm_fix(fm, tenths(sum, 10LL * n), 1);
        fm_end(fm);
    }

    /* НИКО: every third school is in the sample; a study a year; marks in the last year */
    fm = &g->fm[F_NIKO];
    if ((sc->idx + year) % 3 == 0) {
        static const char *const study[] = {"НИКО по химии", "НИКО по литературе",
                                            "НИКО по географии"};
        static const int sgrade[] = {10, 6, 8};
        int si = year % 3, grade = sgrade[si];
        int sampled = cohort(g, sc, year, grade) * 9 / 10;
        if (sampled > 0) {
            int part = sampled - binom(&r, sampled, poor ? 250000 : 60000);
            fm_row(fm, mirror);
            fm_year(fm, year);
            fm_str(fm, sc->id);
            fm_str(fm, study[si]);
            fm_int(fm, grade);
            fm_int(fm, sampled);
            fm_int(fm, part);
            if (year == g->last_year) {
                marks_of(&r, part, lvl, m);
                fm_int(fm, m[0]);
                fm_int(fm, m[1]);
                fm_int(fm, m[2]);
                fm_int(fm, m[3]);
            } else {
                fm_str(fm, "");
                fm_str(fm, "");
                fm_str(fm, "");
                fm_str(fm, "");
            }
            fm_end(fm);
        }
    }

    /* contests beyond ВсОШ, by level */
    fm = &g->fm[F_CONTESTS];
    {
        static const char *const lvl_name[4] = {"district", "regional", "federal",
                                                "international"};
        static const char *const lvl_ru[4] = {"районный", "региональный", "федеральный",
                                              "международный"};
        static const int per_mille[4] = {90, 25, 6, 1};
        for (j = 0; j < 4; j++) {
            int n = binom(&r, students, clampi(per_mille[j] * 1000 + lvl * per_mille[j], 0,
                                               500000));
            int win, prize;
            if (!n)
                continue;
            win = binom(&r, n, clampi(80000 + lvl * 30, 10000, 300000));
            prize = binom(&r, n - win, clampi(180000 + lvl * 50, 20000, 500000));
            fm_row(fm, mirror);
            fm_year(fm, year);
            fm_str(fm, sc->id);
            out_str(fm->csv, lvl_name[j]);
            if (fm->mirror)
                out_str(fm->xl, lvl_ru[j]);
            fm_int(fm, n);
            fm_int(fm, win);
            fm_int(fm, prize);
            fm_end(fm);
        }
    }

    /* the gifted-children register and their teachers, as counts */
    fm = &g->fm[F_GIFTED];
    {
        int gifted = binom(&r, students, clampi(60000 + lvl * 40, 5000, 250000));
        int high = binom(&r, gifted, clampi(250000 + lvl * 100, 20000, 700000));
        int teachers = students / 14 + 3;
        int tg = binom(&r, teachers, clampi(120000 + lvl * 60, 10000, 500000));
        fm_row(fm, mirror);
        fm_year(fm, year);
        fm_str(fm, sc->id);
        fm_int(fm, students);
        fm_int(fm, gifted);
        fm_int(fm, high);
        fm_int(fm, teachers);
        fm_int(fm, tg);
        fm_end(fm);
    }

    /* career guidance, grades 6–11 */
    fm = &g->fm[F_CAREER];
    fm_row(fm, mirror);
    fm_year(fm, year);
    fm_str(fm, sc->id);
    fm_int(fm, seniors);
    fm_int(fm, binom(&r, seniors, clampi(550000 + lvl * 120 + (active ? 150000 : 0), 200000,
                                         950000)));
    fm_int(fm, binom(&r, seniors, clampi(600000 + lvl * 80, 200000, 950000)));
    fm_int(fm, binom(&r, seniors, clampi(180000 + lvl * 60, 30000, 600000)));
    fm_int(fm, sc->senior ? 1 + (int)(id % 3) : 0);
    fm_end(fm);

    /* the context questionnaire, one row per class */
    fm = &g->fm[F_CONTEXT_CLASS];
    {
        int li = poor ? sc->low_income : clampi(140 - sc->base * 80 / 1000, 5, 700);
        int nn = sc->non_native >= 0 ? sc->non_native : clampi(80 - sc->base * 100 / 1000, 0, 700);
        for (gr = 1; gr <= 11; gr++) {
            int n = cohort(g, sc, year, gr), ncls = (n + 26) / 27, c;
            for (c = 0; c < ncls; c++) {
                int ns = n / ncls + (c < n % ncls), lo = binom(&r, ns, li * 1000);
                char cls[16];
                snprintf(cls, sizeof cls, "%d%s", gr, class_letter[c % 6]);
                fm_row(fm, mirror);
                fm_year(fm, year);
                fm_str(fm, sc->id);
                fm_str(fm, cls);
                fm_int(fm, ns);
                fm_int(fm, lo);
                fm_int(fm, binom(&r, ns, 120000));
                fm_int(fm, binom(&r, ns, poor ? 300000 : 180000));
                fm_int(fm, binom(&r, ns, nn * 1000));
                fm_int(fm, binom(&r, ns, poor ? 90000 : 30000));
                fm_int(fm, binom(&r, ns, poor ? 60000 : 10000));
                fm_int(fm, binom(&r, ns, clampi(550000 + sc->base * 150, 150000, 900000)));
                fm_end(fm);
            }
        }
    }
}

/* ==========================================================================
 * Whole data sets: the preset and a country
 * ========================================================================== */

static void mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir), i;
    struct stat st;
    if (n == 0 || n >= sizeof tmp)
        die("%s: bad directory name", dir);
    memcpy(tmp, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                die("%s: cannot create directory: %s", tmp, strerror(errno));
            tmp[i] = c;
        }
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        die("%s: not a directory", dir);
}

static void open_forms(struct gen *g, const char *dir)
{
    char path[4096];
    int f;
    mkdir_p(dir);
    if (g->excel) {
        snprintf(path, sizeof path, "%s/excel", dir);
        mkdir_p(path);
    }
    for (f = 0; f < NFORMS; f++) {
        if (f >= F_FIRST_OWN && !g->preset)
            continue;            /* a country holds the built-in forms only */
        if ((size_t)snprintf(path, sizeof path, "%s/%s.csv", dir, form_defs[f].name) >=
            sizeof path)
            die("%s: path too long", dir);
        out_open(&outs[2 * f], path, 0);
        g->fm[f].csv = &outs[2 * f];
        out_line(g->fm[f].csv, form_defs[f].header);
        if (g->excel && form_defs[f].header_ru) {   /* the task forms have no Excel copy */
            snprintf(path, sizeof path, "%s/excel/%s.csv", dir, form_defs[f].name);
            out_open(&outs[2 * f + 1], path, 1);
            g->fm[f].xl = &outs[2 * f + 1];
            out_line(g->fm[f].xl, form_defs[f].header_ru);
        }
    }
}

static void close_forms(struct gen *g)
{
    int i;
    (void)g;
    for (i = 0; i < 2 * NFORMS; i++)
        out_close(&outs[i]);
}

static void write_school_row(struct form *fm, const struct school *sc)
{
    fm_row(fm, sc->excel);
    fm_str(fm, sc->id);
    fm_str(fm, sc->name);
    fm_str(fm, sc->district);
    fm_str(fm, sc->kind);
    fm_str(fm, profile_name[sc->profile]);
    fm_end(fm);
}

static void write_cluster_row(struct form *fm, const struct school *sc, int j)
{
    fm_row(fm, sc->excel);
    fm_str(fm, sc->cl_id[j]);
    fm_str(fm, sc->id);
    fm_str(fm, sc->cl_name[j]);
    out_str(fm->csv, role_name[sc->cl_role[j]]);
    if (fm->mirror)
        out_str(fm->xl, role_name_ru[sc->cl_role[j]]);
    fm_end(fm);
}

static void calibrate(struct gen *g)
{
    int wi;
    /* a typical pupil reaches mark 3 at about -1.18 sd (≈ 12 % «2») and mark 4 at
     * about -0.08 sd; each work is a little easier or harder */
    for (wi = 0; wi < NWORKS; wi++) {
        int k3 = -1180 + hjit(g, T_CALIB, (uint64_t)wi, 0, 0, 120);
        int k4 = -80 + hjit(g, T_CALIB, (uint64_t)wi, 1, 0, 100);
        g->vpr_map[wi] = zmap_fit(&vpr_works[wi].sc, k3, k4);
    }
}

static void run_dataset(struct gen *g, const char *dir)
{
    struct school sc;
    int i, j, c, year;
    open_forms(g, dir);
    for (i = 0; i < g->nschools; i++) {
        school_get(g, i, &sc);
        write_school_row(&g->fm[F_SCHOOLS], &sc);
    }
    if (g->preset) {           /* cluster by cluster, as a district lists them */
        for (c = C_STEM; c <= C_OTHER; c++)
            for (i = 0; i < g->nschools; i++) {
                school_get(g, i, &sc);
                for (j = 0; j < sc.ncl; j++)
                    if (strcmp(sc.cl_id[j], preset_cluster_id[c]) == 0)
                        write_cluster_row(&g->fm[F_CLUSTERS], &sc, j);
            }
    } else {
        for (i = 0; i < g->nschools; i++) {
            school_get(g, i, &sc);
            for (j = 0; j < sc.ncl; j++)
                write_cluster_row(&g->fm[F_CLUSTERS], &sc, j);
        }
    }
    for (year = g->first_year; year <= g->last_year; year++) {
        int k = year - g->first_year;
        gen_task_plan(g, year);
        for (i = 0; i < g->nschools; i++) {
            int lvl, mirror;
            school_get(g, i, &sc);
            lvl = level_at(g, &sc, k);
            mirror = sc.excel && year == g->last_year;
            if (!is_missing(&sc, F_CONTEXT, k))
                gen_context(g, &sc, year, lvl, mirror);
            gen_vpr(g, &sc, year, k, lvl, mirror);
            if (!is_missing(&sc, F_OGE, k))
                gen_oge(g, &sc, year, lvl, mirror);
            if (sc.senior && !is_missing(&sc, F_EGE, k))
                gen_ege(g, &sc, year, k, lvl, mirror);
            if (!is_missing(&sc, F_RDR, k))
                gen_rdr(g, &sc, year, lvl, mirror);
            if (!is_missing(&sc, F_OLYMPIAD, k))
                gen_olympiad(g, &sc, year, lvl, mirror);
            if (sc.senior && !is_missing(&sc, F_ADMISSIONS, k))
                gen_admissions(g, &sc, year, lvl, mirror);
            if (g->preset)
                gen_own(g, &sc, year, k, lvl, mirror);
        }
    }
    close_forms(g);
}

/* --form schools: the registry alone (ids 1..N, the same as a country's). */
static void run_form_schools(struct gen *g, const char *path)
{
    struct school sc;
    int i;
    out_open(&outs[0], path, 0);
    g->fm[F_SCHOOLS].csv = &outs[0];
    out_line(&outs[0], form_defs[F_SCHOOLS].header);
    for (i = 0; i < g->nschools; i++) {
        school_get(g, i, &sc);
        write_school_row(&g->fm[F_SCHOOLS], &sc);
    }
    out_close(&outs[0]);
}

/* The number of vpr_students rows a school writes in a year (its pupils present at
 * each of its works), without simulating results. */
static long long vpr_rows(const struct gen *g, const struct school *sc, int year)
{
    unsigned char act[NWORKS], present[MAXCOHORT];
    long long rows = 0;
    int wi;
    active_works(g, sc, year, act);
    for (wi = 0; wi < NWORKS; wi++)
        if (act[wi] && !(vpr_works[wi].grade >= 10 && !sc->senior))
            rows += vpr_present(g, sc, year, wi, cohort(g, sc, year, vpr_works[wi].grade),
                                present);
    return rows;
}

/* --form vpr_students --rows N: exactly N pupil rows for schools 1..M, streamed in
 * memory that does not grow with N. The years are the fewest that hold N rows, ending
 * with --last-year: a first pass counts rows per year (absences only), the second
 * writes from the first year on and stops at N, part-way through the last year. */
static void run_form_students(struct gen *g, const char *path, long long rows)
{
    static int ability[MAXCOHORT];
    static struct pupil pupils[MAXCOHORT];
    struct school sc;
    struct form *fm = &g->fm[F_VPR_STUDENTS];
    long long done = 0, cap = 0;
    int i, year;
    out_open(&outs[0], path, 0);
    fm->csv = &outs[0];
    out_line(fm->csv, form_defs[F_VPR_STUDENTS].header);
    for (year = g->last_year; cap < rows; year--) {
        if (year < 1000)
            die("--rows %lld: too many rows for %d schools (raise --schools)", rows,
                g->nschools);
        for (i = 0; i < g->nschools; i++) {
            school_get(g, i, &sc);
            cap += vpr_rows(g, &sc, year);
        }
    }
    g->first_year = year + 1 > g->last_year ? g->last_year : year + 1;
    for (year = g->first_year; done < rows; year++) {
        for (i = 0; i < g->nschools && done < rows; i++) {
            unsigned char act[NWORKS];
            int base[12], wi, grade = -1, n = 0;
            int lvl;
            school_get(g, i, &sc);
            lvl = level_at(g, &sc, year - g->first_year);
            active_works(g, &sc, year, act);
            code_bases(g, &sc, year, base);
            for (wi = 0; wi < NWORKS && done < rows; wi++) {
                const struct vpr_work *w = &vpr_works[wi];
                int cnt;
                if (!act[wi] || (w->grade >= 10 && !sc.senior))
                    continue;
                if (w->grade != grade) {
                    grade = w->grade;
                    n = roster(g, &sc, year, grade, ability);
                }
                cnt = sim_vpr(g, &sc, year, lvl, wi, ability, n, pupils);
                if (cnt > rows - done)
                    cnt = (int)(rows - done);
                write_students(fm, 0, year, &sc, w, pupils, cnt, base[grade]);
                done += cnt;
            }
        }
    }
    out_close(&outs[0]);
}

/* ==========================================================================
 * Command line
 * ========================================================================== */

static const char *const usage_lines[] = {
    "usage: soko-gen --preset district [--seed S] --out DIR",
    "       soko-gen --schools N [--years Y] [--last-year YEAR] [--seed S]",
    "                [--student-schools K] [--excel] --out DIR",
    "       soko-gen --form schools [--schools N] [--seed S] --out FILE|-",
    "       soko-gen --form vpr_students --rows N [--schools N] [--seed S]",
    "                [--last-year YEAR] --out FILE|-",
    "",
    "Deterministic synthetic data for soko's unified forms: the same arguments give",
    "the same bytes on any machine. Files are UTF-8 (no BOM), comma-separated, LF,",
    "with the English headers of forms.md.",
    "",
    "Data sets (one file per form in DIR: schools.csv clusters.csv context.csv vpr.csv",
    "vpr_students.csv oge.csv ege.csv rdr.csv olympiad.csv admissions.csv):",
    "  --preset one_manipulated  30 honest schools and one (id 12) whose ВПР is",
    "                      manipulated, 2024-2026, per-student ВПР files of all (the",
    "                      calibration fixture of tests/e2e/t_calibrate.sh)",
    "  --preset district   a fictional district of 40 schools, 2024-2026, with planted",
    "                      patterns (samples/README.md) and DIR/excel/: the same forms",
    "                      as Russian Excel saves CSV (Windows-1251, ';', CRLF, decimal",
    "                      comma, Russian headers) for 2 schools in 2026",
    "  --schools N         N schools (ids 1..N) in districts of 40, each district with",
    "                      stem, humanities and support clusters; streams rows, so a",
    "                      country (N = 40000) needs little memory",
    "  --years Y           number of years, ending with --last-year (default 3)",
    "  --last-year YEAR    the last year (spring of the school year; default 2026)",
    "  --student-schools K the first K schools also write vpr_students (default 5)",
    "  --excel             also write DIR/excel/ for schools 1 and 2",
    "",
    "Single forms (benchmarks):",
    "  --form schools      the registry of N schools (default 1000) to FILE",
    "  --form vpr_students exactly --rows N per-student ВПР rows for schools 1..M",
    "                      (--schools M, default 1000; use the same M for the",
    "                      registry); years run up to --last-year, as many as needed",
    "",
    "Common:",
    "  --seed S            random seed, an unsigned integer (default 1)",
    "  --out PATH          output directory (data sets) or file, '-' for stdout (forms)",
    "  -h, --help          this text",
    "",
    "Examples:",
    "  soko-gen --preset district --seed 1 --out samples/district",
    "  soko-gen --schools 40000 --years 3 --seed 7 --out /tmp/country",
    "  soko-gen --form schools --schools 1000 --seed 1 --out /tmp/schools.csv",
    "  soko-gen --form vpr_students --rows 2000000 --seed 1 --out /tmp/vpr_students.csv",
    "",
    "Errors print a message on stderr and exit with status 2.",
};

static void usage(FILE *f)
{
    size_t i;
    for (i = 0; i < sizeof usage_lines / sizeof usage_lines[0]; i++) {
        fputs(usage_lines[i], f);
        fputc('\n', f);
    }
}

static unsigned long long parse_num(const char *opt, const char *v, unsigned long long lo,
                                    unsigned long long hi)
{
    char *end;
    unsigned long long x;
    if (!v || !*v || *v == '-' || *v == '+')
        die("%s: expected a number, got '%s'", opt, v ? v : "");
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno || *end)
        die("%s: expected a number, got '%s'", opt, v);
    if (x < lo || x > hi)
        die("%s: %llu is out of range %llu..%llu", opt, x, lo, hi);
    return x;
}

int main(int argc, char **argv)
{
    struct gen g;
    const char *out = NULL, *preset_name = NULL, *form = NULL;
    long long rows = -1;
    int schools = -1, years = -1, last = -1, student_schools = -1, excel = 0, i;
    memset(&g, 0, sizeof g);
    g.seed = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL, *eq;
        char name[64];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            die("unexpected argument '%s' (try --help)", a);
        eq = strchr(a, '=');
        if (eq) {
            size_t n = (size_t)(eq - a);
            if (n >= sizeof name)
                die("unknown option '%s' (try --help)", a);
            memcpy(name, a, n);
            name[n] = '\0';
            v = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
        if (strcmp(name, "--excel") == 0) {
            if (v)
                die("--excel takes no value");
            excel = 1;
            continue;
        }
        if (strcmp(name, "--schools") && strcmp(name, "--years") && strcmp(name, "--seed") &&
            strcmp(name, "--out") && strcmp(name, "--last-year") &&
            strcmp(name, "--preset") && strcmp(name, "--form") && strcmp(name, "--rows") &&
            strcmp(name, "--student-schools"))
            die("unknown option '%s' (try --help)", a);
        if (!v) {
            if (i + 1 >= argc)
                die("%s needs a value (try --help)", name);
            v = argv[++i];
        }
        if (strcmp(name, "--schools") == 0)
            schools = (int)parse_num(name, v, 1, 10000000);
        else if (strcmp(name, "--years") == 0)
            years = (int)parse_num(name, v, 1, 100);
        else if (strcmp(name, "--seed") == 0)
            g.seed = parse_num(name, v, 0, UINT64_MAX);
        else if (strcmp(name, "--last-year") == 0)
            last = (int)parse_num(name, v, 1900, 2999);
        else if (strcmp(name, "--rows") == 0)
            rows = (long long)parse_num(name, v, 0, 1000000000000ULL);
        else if (strcmp(name, "--student-schools") == 0)
            student_schools = (int)parse_num(name, v, 0, 10000000);
        else if (strcmp(name, "--out") == 0)
            out = v;
        else if (strcmp(name, "--preset") == 0)
            preset_name = v;
        else
            form = v;
    }
    if (!out || !*out)
        die("--out is required (try --help)");
    calibrate(&g);

    g.manipulated = -1;
    if (preset_name && strcmp(preset_name, "one_manipulated") == 0) {
        /* 30 honest schools of one district but school 12, whose ВПР is manipulated;
           every school writes its per-student ВПР file (tests/e2e/t_calibrate.sh) */
        if (form || schools >= 0 || years >= 0 || last >= 0 || rows >= 0 ||
            student_schools >= 0)
            die("--preset one_manipulated fixes the schools and the years 2024-2026; "
                "only --seed and --out apply");
        g.nschools = 30;
        g.student_schools = 30;
        g.manipulated = 11;
        g.first_year = PRESET_FIRST;
        g.last_year = PRESET_LAST;
        run_dataset(&g, out);
        return 0;
    }
    if (preset_name) {
        if (strcmp(preset_name, "district") != 0)
            die("--preset: unknown preset '%s' (known: district, one_manipulated)", preset_name);
        if (form || schools >= 0 || years >= 0 || last >= 0 || rows >= 0 ||
            student_schools >= 0)
            die("--preset district fixes the schools and the years 2024-2026; "
                "only --seed and --out apply");
        g.preset = 1;
        g.excel = 1;
        g.nschools = NPRESET;
        g.first_year = PRESET_FIRST;
        g.last_year = PRESET_LAST;
        run_dataset(&g, out);
        return 0;
    }
    g.last_year = last >= 0 ? last : 2026;
    if (form) {
        if (years >= 0 || student_schools >= 0 || excel)
            die("--form writes one file: --years, --student-schools and --excel "
                "do not apply");
        g.nschools = schools >= 0 ? schools : 1000;
        if (strcmp(form, "schools") == 0) {
            if (rows >= 0)
                die("--rows applies to --form vpr_students only");
            run_form_schools(&g, out);
        } else if (strcmp(form, "vpr_students") == 0) {
            if (rows < 0)
                die("--form vpr_students needs --rows N");
            run_form_students(&g, out, rows);
        } else {
            die("--form: '%s' is not offered (schools, vpr_students)", form);
        }
        return 0;
    }
    if (schools < 0)
        die("give --preset district, --schools N or --form FORM (try --help)");
    if (rows >= 0)
        die("--rows applies to --form vpr_students only");
    if (strcmp(out, "-") == 0)
        die("--out: a data set needs a directory, not stdout");
    years = years >= 0 ? years : 3;
    g.nschools = schools;
    g.first_year = g.last_year - years + 1;
    g.excel = excel;
    g.student_schools = student_schools >= 0 ? student_schools : 5;
    run_dataset(&g, out);
    return 0;
}
