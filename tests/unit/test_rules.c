/*
 * test_rules.c — engine/rules.c: the rule language and every kind of rule on fixtures
 * built to trigger it, each next to its near-miss twin that must stay silent.
 *
 * Fixtures are hand-built struct ind_results (rows as ind_evaluate gives them) over a
 * fake ind_set holding the indicators, and hand-built score histograms; rule files
 * are written to a temporary directory. The shipped defs/rules.ini is loaded
 * against the shipped indicators on an empty schema database.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis.h"
#include "indicators.h"
#include "rules.h"

/* --- fixtures ------------------------------------------------------------------------ */

static const char *const DIMS_SG[] = {"subject", "grade", NULL};

static struct indicator mk_ind(const char *id, enum ind_kind kind, int lower_is_better,
                               int ndims)
{
    struct indicator ind;
    memset(&ind, 0, sizeof ind);
    ind.id = (char *)id;
    ind.title = (char *)id;
    ind.unit = (char *)"%";
    ind.kind = kind;
    ind.lower_is_better = lower_is_better;
    ind.per = 100.0;
    ind.alert = ind.target = NAN;
    ind.min_n = 5;
    ind.year_from = 2000;
    ind.year_to = 2100;
    ind.ndims = ndims;
    for (int k = 0; k < ndims; k++) ind.dims[k] = DIMS_SG[k];
    return ind;
}

/* The indicators every test knows: vpr_fail (share, lower better, subject+grade),
 * vpr_sou (mean with sd, higher better), oge_sou (mean, subject only). */
enum { I_FAIL, I_SOU, I_OGE, NIND };
static struct indicator inds[NIND];
static struct ind_set fake_set;

static int setup(void **state)
{
    (void)state;
    stats_init();
    inds[I_FAIL] = mk_ind("vpr_fail", IND_SHARE, 1, 2);
    inds[I_SOU] = mk_ind("vpr_sou", IND_MEAN, 0, 2);
    inds[I_OGE] = mk_ind("oge_sou", IND_MEAN, 0, 1);
    memset(&fake_set, 0, sizeof fake_set);
    fake_set.v = inds;
    fake_set.n = NIND;
    return 0;
}

static struct ind_row *add_row(struct ind_results *r, const struct indicator *ind,
                               enum ind_level level, const char *unit, int year,
                               const char *subject, const char *grade)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    struct ind_row *row = &r->v[r->n++];
    memset(row, 0, sizeof *row);
    row->ind = ind;
    row->level = level;
    row->unit = unit;
    row->year = year;
    row->dim[0] = subject;
    row->dim[1] = ind->ndims > 1 ? grade : NULL;
    row->sd = row->lo = row->hi = NAN;
    return row;
}

static void add_share(struct ind_results *r, const struct indicator *ind, enum ind_level lv,
                      const char *unit, int year, const char *subj, const char *grade, double k,
                      double n)
{
    struct ind_row *row = add_row(r, ind, lv, unit, year, subj, grade);
    row->num = k;
    row->den = n;
    row->n = n;
    row->value = 100.0 * k / n;
    row->suppressed = n < (double)ind->min_n;
}

static void add_mean(struct ind_results *r, const struct indicator *ind, enum ind_level lv,
                     const char *unit, int year, const char *subj, const char *grade,
                     double mean, double n, double sd)
{
    struct ind_row *row = add_row(r, ind, lv, unit, year, subj, grade);
    row->num = mean * n;
    row->den = n;
    row->n = n;
    row->value = mean;
    row->sd = sd;
    row->suppressed = n < (double)ind->min_n;
}

static char tmpdir[64];

static const char *write_rules(const char *name, const char *text)
{
    static char path[256];
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/test_rules.XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void load_ok(const char *text, struct rule_set *rs)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    int rc = rules_load(write_rules("r.ini", text), &fake_set, NULL, rs, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    soko_diag_free(&d);
}

/* Runs rules over res (and works) and tells whether school is flagged by rule id. */
static int flagged(const struct rule_set *rs, const struct ind_results *res,
                   const struct rules_works *w, const char *rule, const char *school,
                   struct rule_flag *copy)
{
    struct rules_input in;
    memset(&in, 0, sizeof in);
    in.res = res;
    in.works = w;
    struct rule_flags f = {0};
    rules_eval(rs, &in, NULL, &f);
    int hit = 0;
    for (size_t i = 0; i < f.n; i++)
        if (strcmp(f.v[i].rule->id, rule) == 0 && strcmp(f.v[i].school_id, school) == 0) {
            hit = 1;
            if (copy) {
                copy->nproc = f.v[i].nproc;
                copy->nev = f.v[i].nev;
                copy->score = f.v[i].score;
                copy->rank = f.v[i].rank;
            }
        }
    rule_flags_free(&f);
    return hit;
}

static void results_free(struct ind_results *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

#define REC "recommendation = {school_name}: {values}\n"

/* --- the rule language ----------------------------------------------------------------- */

static void expect_refused(const char *text, const char *want)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct rule_set rs;
    const char *p = write_rules("bad.ini", text);
    assert_int_equal(rules_load(p, &fake_set, NULL, &rs, &d), SOKO_ECONFIG);
    int found = 0;
    for (size_t i = 0; i < d.nmsgs; i++)
        if (strstr(d.msgs[i], want)) found = 1;
    if (!found) {
        for (size_t i = 0; i < d.nmsgs; i++) print_error("got: %s\n", d.msgs[i]);
        print_error("expected a message containing: %s\n", want);
        fail();
    }
    soko_diag_free(&d);
}

static void test_refused_with_line(void **state)
{
    (void)state;
    char want[512];
    /* an unknown indicator, on line 4 */
    const char *t1 = "[low]\ntitle = Т\nkind = threshold\nindicators = vpr_fail, vpr_nope\n"
                     "op = >=\nvalue = 30\n" REC;
    snprintf(want, sizeof want, "%s/bad.ini:4: [low]: indicators: unknown indicator 'vpr_nope'",
             tmpdir[0] ? tmpdir : "");
    write_rules("bad.ini", "");
    snprintf(want, sizeof want, "%s/bad.ini:4: [low]: indicators: unknown indicator 'vpr_nope'",
             tmpdir);
    expect_refused(t1, want);
    /* an unknown key */
    snprintf(want, sizeof want, "%s/bad.ini:3: [low]: unknown key 'treshold'", tmpdir);
    expect_refused("[low]\ntitle = Т\ntreshold = 3\nkind = threshold\nindicators = vpr_fail\n"
                   "op = >=\nvalue = 30\n" REC, want);
    /* an unknown kind */
    snprintf(want, sizeof want, "%s/bad.ini:2: [x]: kind: unknown kind 'thresold'", tmpdir);
    expect_refused("[x]\nkind = thresold\n", want);
    /* a bad pattern of years */
    snprintf(want, sizeof want, "%s/bad.ini:6: [x]: hold: 'two of three'", tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = funnel\nindicators = vpr_sou\nside = bad\n"
                   "hold = two of three\nlimit = 99.8\n" REC, want);
    /* a funnel limit that is not one of the two */
    snprintf(want, sizeof want, "%s/bad.ini:6: [x]: limit: '90'", tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = funnel\nindicators = vpr_sou\nside = bad\n"
                   "limit = 90\n" REC, want);
    /* an unknown placeholder */
    snprintf(want, sizeof want, "%s/bad.ini:6: [x]: recommendation: unknown placeholder '{teacher}'",
             tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = threshold\nindicators = vpr_fail\nop = >\n"
                   "recommendation = {teacher}\nvalue = 1\n", want);
    /* a key of another kind */
    snprintf(want, sizeof want, "%s/bad.ini:5: [x]: alpha: does not apply to kind threshold",
             tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = threshold\nindicators = vpr_fail\nalpha = 0.05\n"
                   "op = >\nvalue = 1\n" REC, want);
    /* a missing key */
    snprintf(want, sizeof want, "%s/bad.ini:1: [x]: op: missing", tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = threshold\nindicators = vpr_fail\nvalue = 1\n" REC,
                   want);
    /* a residual rule without context models */
    snprintf(want, sizeof want, "%s/bad.ini:4: [x]: model: unknown context model 'm'", tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = residual\nmodel = m\nside = good\nbound = 1\n" REC,
                   want);
    /* a risk rule reading a rule that is not there */
    snprintf(want, sizeof want, "%s/bad.ini:7: [x]: for: no rule 'low'", tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = risk\nindicators = vpr_fail\nop = >=\nvalue = 3\n"
                   "for = low\n" REC, want);
}

/* The shipped rule file loads against the shipped indicators and context models. */
static void test_shipped_rules_load(void **state)
{
    (void)state;
    /* the definitions root of the source tree (the tests run from the top directory) */
    const char *root = getenv("SOKO_HOME") ? getenv("SOKO_HOME") : "defs";
    char dir[512], ctx[512], path[512];
    snprintf(dir, sizeof dir, "%s/indicators", root);
    snprintf(ctx, sizeof ctx, "%s/context.ini", root);
    snprintf(path, sizeof path, "%s/rules.ini", root);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    sqlite3 *db;
    assert_int_equal(ind_schema_db(&db, &d), SOKO_OK);
    struct ind_set *set = NULL;
    int rc = ind_load(dir, db, &set, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    struct ana_models models;
    assert_int_equal(ana_context_load(ctx, &models, &d), SOKO_OK);
    struct rule_set rs;
    rc = rules_load(path, set, &models, &rs, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    static const char *const want[] = {"low_results", "gia_below_min", "stably_low",
                                       "stably_high", "stable_improvement", "objectivity_raised",
                                       "objectivity_spike", "objectivity_unconfirmed",
                                       "objectivity_jump", "context_beating", "risk_profile", NULL};
    for (int i = 0; want[i]; i++) {
        const struct rule *r = rules_find(&rs, want[i]);
        assert_non_null(r);
        /* the school, never teachers */
        assert_null(strstr(r->recommendation, "учител"));
        assert_null(strstr(r->recommendation, "педагог"));
    }
    rules_free(&rs);
    ana_models_free(&models);
    ind_set_free(set);
    sqlite3_close(db);
    soko_diag_free(&d);
}

/* --- threshold: Рособрнадзор's low results ------------------------------------------- */

static const char *LOW =
    "[low]\ntitle = Низкие результаты\nkind = threshold\nindicators = vpr_fail\n"
    "op = >=\nvalue = 30\nhold = consecutive 2\nprocedures = 1\nsame_year = 2\nwindow = 3\n"
    REC;

/* School A: ≥ 30 % «2» in math 5 in 2025 and 2026, and in Russian 5 in 2026 (two
 * procedures the same year). Twin B: the same, but math 5 in 2025 is 29 % (n 100). */
static void test_low_results(void **state)
{
    (void)state;
    struct rule_set rs;
    load_ok(LOW, &rs);
    struct ind_results r = IND_RESULTS_INIT;
    const struct indicator *f = &inds[I_FAIL];
    for (int y = 2024; y <= 2026; y++) {
        add_share(&r, f, IND_DISTRICT, "", y, "Математика", "5", 100, 1000);
        add_share(&r, f, IND_DISTRICT, "", y, "Русский язык", "5", 100, 1000);
    }
    add_share(&r, f, IND_SCHOOL, "A", 2024, "Математика", "5", 10, 100);
    add_share(&r, f, IND_SCHOOL, "A", 2025, "Математика", "5", 30, 100);
    add_share(&r, f, IND_SCHOOL, "A", 2026, "Математика", "5", 31, 100);
    add_share(&r, f, IND_SCHOOL, "A", 2026, "Русский язык", "5", 40, 100);
    add_share(&r, f, IND_SCHOOL, "B", 2024, "Математика", "5", 10, 100);
    add_share(&r, f, IND_SCHOOL, "B", 2025, "Математика", "5", 29, 100);
    add_share(&r, f, IND_SCHOOL, "B", 2026, "Математика", "5", 31, 100);
    add_share(&r, f, IND_SCHOOL, "B", 2026, "Русский язык", "5", 40, 100);
    /* C: two procedures in 2026, two consecutive years, but only 4 pupils: suppressed */
    add_share(&r, f, IND_SCHOOL, "C", 2025, "Математика", "5", 4, 4);
    add_share(&r, f, IND_SCHOOL, "C", 2026, "Математика", "5", 4, 4);
    add_share(&r, f, IND_SCHOOL, "C", 2026, "Русский язык", "5", 4, 4);
    struct rule_flag fl;
    assert_true(flagged(&rs, &r, NULL, "low", "A", &fl));
    assert_int_equal(fl.nproc, 1);          /* math 5 holds two consecutive years */
    assert_int_equal(fl.nev, 3);            /* 2025 and 2026 math, 2026 Russian */
    assert_false(flagged(&rs, &r, NULL, "low", "B", NULL));
    assert_false(flagged(&rs, &r, NULL, "low", "C", NULL));
    rules_free(&rs);

    /* changing the threshold in the file changes the list: 29 % now counts */
    char *lower = strdup(LOW);
    char *v = strstr(lower, "value = 30");
    memcpy(v, "value = 29", 10);
    load_ok(lower, &rs);
    assert_true(flagged(&rs, &r, NULL, "low", "B", NULL));
    rules_free(&rs);
    free(lower);
    results_free(&r);
}

/* --- funnel: stably low ------------------------------------------------------------------- */

static const char *STABLY_LOW =
    "[stably_low]\ntitle = Стабильно низкие\nkind = funnel\nindicators = vpr_sou, oge_sou\n"
    "side = bad\nlimit = 99.8\nhold = all\nwindow = 3\nprocedures = 2\nmin_indicators = 2\n" REC;

/* District СОУ 55 (sd 20). A: 40 with n 50 in every year in ВПР and ОГЭ (z ≈ −5.3,
 * below the 99.8% limit 55 − 3.09·20/√50 ≈ 46.3). Twin B: the same but ОГЭ 2025 at 50
 * (inside): ОГЭ does not hold in every year, so only one indicator holds. */
static void test_stably_low(void **state)
{
    (void)state;
    struct rule_set rs;
    load_ok(STABLY_LOW, &rs);
    struct ind_results r = IND_RESULTS_INIT;
    for (int y = 2024; y <= 2026; y++) {
        add_mean(&r, &inds[I_SOU], IND_DISTRICT, "", y, "Математика", "5", 55, 2000, 20);
        add_mean(&r, &inds[I_OGE], IND_DISTRICT, "", y, "Математика", NULL, 55, 2000, 20);
        for (int s = 0; s < 2; s++) {
            const char *u = s ? "B" : "A";
            add_mean(&r, &inds[I_SOU], IND_SCHOOL, u, y, "Математика", "5", 40, 50, 20);
            add_mean(&r, &inds[I_OGE], IND_SCHOOL, u, y, "Математика", NULL,
                     s && y == 2025 ? 50 : 40, 50, 20);
        }
    }
    struct rule_flag fl;
    assert_true(flagged(&rs, &r, NULL, "stably_low", "A", &fl));
    assert_int_equal(fl.nproc, 2);
    assert_int_equal(fl.nev, 6);
    assert_false(flagged(&rs, &r, NULL, "stably_low", "B", NULL));
    rules_free(&rs);
    results_free(&r);
}

/* --- trend: stable improvement ------------------------------------------------------------- */

static const char *IMPROVE =
    "[up]\ntitle = Улучшение\nkind = trend\nindicators = vpr_fail\nside = good\nalpha = 0.05\n"
    "no_going_back = yes\nwindow = 3\nprocedures = 1\n" REC;

/* A: «2» 30 % → 20 % → 10 % of 200 (Cochran–Armitage z ≈ 5); B: 30 % → 8 % → 10 %, a
 * larger overall fall but a step back in the last year. */
static void test_stable_improvement(void **state)
{
    (void)state;
    struct rule_set rs;
    load_ok(IMPROVE, &rs);
    struct ind_results r = IND_RESULTS_INIT;
    const struct indicator *f = &inds[I_FAIL];
    double a[] = {60, 40, 20}, b[] = {60, 16, 20};
    /* in the order of ind_evaluate: a unit's series are consecutive */
    for (int y = 0; y < 3; y++)
        add_share(&r, f, IND_DISTRICT, "", 2024 + y, "Математика", "5", 150, 1000);
    for (int y = 0; y < 3; y++)
        add_share(&r, f, IND_SCHOOL, "A", 2024 + y, "Математика", "5", a[y], 200);
    for (int y = 0; y < 3; y++)
        add_share(&r, f, IND_SCHOOL, "B", 2024 + y, "Математика", "5", b[y], 200);
    struct rule_flag fl;
    assert_true(flagged(&rs, &r, NULL, "up", "A", &fl));
    assert_true(fabs(fl.score - 20.0) < 1e-9);   /* improvement: 30 % − 10 % */
    assert_false(flagged(&rs, &r, NULL, "up", "B", NULL));
    rules_free(&rs);
    results_free(&r);
}

/* --- change: a jump far beyond the district's change --------------------------------------- */

static const char *JUMP =
    "[jump]\ntitle = Рост\nkind = change\nindicators = vpr_sou\nside = good\nbound = 3.09\n"
    "min_diff = 10\nhold = any\nwindow = 2\n" REC;

/* District 50 → 51 (sd 20). A: 50 → 65 with n 60: the difference 14 has SE
 * 20·√(2/60) ≈ 3.65, z ≈ 3.8. Twin B: 50 → 58, z ≈ 1.9. */
static void test_change(void **state)
{
    (void)state;
    struct rule_set rs;
    load_ok(JUMP, &rs);
    struct ind_results r = IND_RESULTS_INIT;
    const struct indicator *s = &inds[I_SOU];
    add_mean(&r, s, IND_DISTRICT, "", 2025, "Математика", "5", 50, 3000, 20);
    add_mean(&r, s, IND_DISTRICT, "", 2026, "Математика", "5", 51, 3000, 20);
    add_mean(&r, s, IND_SCHOOL, "A", 2025, "Математика", "5", 50, 60, 20);
    add_mean(&r, s, IND_SCHOOL, "A", 2026, "Математика", "5", 65, 60, 20);
    add_mean(&r, s, IND_SCHOOL, "B", 2025, "Математика", "5", 50, 60, 20);
    add_mean(&r, s, IND_SCHOOL, "B", 2026, "Математика", "5", 58, 60, 20);
    assert_true(flagged(&rs, &r, NULL, "jump", "A", NULL));
    assert_false(flagged(&rs, &r, NULL, "jump", "B", NULL));
    rules_free(&rs);
    results_free(&r);
}

/* --- unconfirmed: ВПР high, ОГЭ not -------------------------------------------------------- */

static const char *UNCONF =
    "[unc]\ntitle = Не подтверждено\nkind = unconfirmed\nindicators = vpr_sou\n"
    "confirm = oge_sou\nlimit = 99.8\nhold = any\nwindow = 1\n" REC;

/* Both schools: ВПР math 5 at 75 (n 50) against 55 (sd 20): z ≈ 7. A's ОГЭ math is 50
 * (below the district's 55): not confirmed. Twin B's ОГЭ math is 60: confirmed. */
static void test_unconfirmed(void **state)
{
    (void)state;
    struct rule_set rs;
    load_ok(UNCONF, &rs);
    struct ind_results r = IND_RESULTS_INIT;
    add_mean(&r, &inds[I_SOU], IND_DISTRICT, "", 2026, "Математика", "5", 55, 2000, 20);
    add_mean(&r, &inds[I_OGE], IND_DISTRICT, "", 2026, "Математика", NULL, 55, 2000, 20);
    add_mean(&r, &inds[I_SOU], IND_SCHOOL, "A", 2026, "Математика", "5", 75, 50, 20);
    add_mean(&r, &inds[I_OGE], IND_SCHOOL, "A", 2026, "Математика", NULL, 50, 40, 20);
    add_mean(&r, &inds[I_SOU], IND_SCHOOL, "B", 2026, "Математика", "5", 75, 50, 20);
    add_mean(&r, &inds[I_OGE], IND_SCHOOL, "B", 2026, "Математика", NULL, 60, 40, 20);
    assert_true(flagged(&rs, &r, NULL, "unc", "A", NULL));
    assert_false(flagged(&rs, &r, NULL, "unc", "B", NULL));
    rules_free(&rs);
    results_free(&r);
}

/* --- spike: the score histograms ------------------------------------------------------------ */

static const char *SPIKE =
    "[spike]\ntitle = Всплеск\nkind = spike\nalpha = 0.001\nhold = any\nwindow = 1\n"
    "procedures = 1\n" REC;

/* A smooth bell over scores 0..20 for n pupils (whole numbers, deterministic). */
static void bell(double *h, size_t len, double n, double mu, double sd)
{
    double tot = 0;
    for (size_t i = 0; i < len; i++) {
        h[i] = exp(-0.5 * ((double)i - mu) * ((double)i - mu) / (sd * sd));
        tot += h[i];
    }
    for (size_t i = 0; i < len; i++) h[i] = floor(h[i] * n / tot + 0.5);
}

/* The district: six schools with the same smooth bell (mark «3» from 7, «4» from 12,
 * «5» from 17). The planted school moves every pupil at 6 onto 7 (and 11 onto 12); its
 * twin has the same size and the smooth bell. */
static void test_spike(void **state)
{
    (void)state;
    struct rule_set rs;
    load_ok(SPIKE, &rs);
    enum { LEN = 21 };
    double h[LEN];
    int mm[4] = {0, 7, 12, 17};
    struct rules_works w = {0};
    char id[16];
    for (int s = 0; s < 6; s++) {
        bell(h, LEN, 120, 10, 3.5);
        snprintf(id, sizeof id, "D%d", s);
        rules_works_add(&w, 2026, id, 5, "Математика", h, LEN, mm);
    }
    bell(h, LEN, 120, 10, 3.5);
    double n_smooth = 0;
    for (int i = 0; i < LEN; i++) n_smooth += h[i];
    rules_works_add(&w, 2026, "SMOOTH", 5, "Математика", h, LEN, mm);
    h[7] += h[6];
    h[6] = 0;
    h[12] += h[11];
    h[11] = 0;
    double n_spike = 0;
    for (int i = 0; i < LEN; i++) n_spike += h[i];
    assert_true(n_spike == n_smooth);
    rules_works_add(&w, 2026, "SPIKE", 5, "Математика", h, LEN, mm);
    struct ind_results empty = IND_RESULTS_INIT;
    assert_true(flagged(&rs, &empty, &w, "spike", "SPIKE", NULL));
    assert_false(flagged(&rs, &empty, &w, "spike", "SMOOTH", NULL));
    for (int s = 0; s < 6; s++) {
        snprintf(id, sizeof id, "D%d", s);
        assert_false(flagged(&rs, &empty, &w, "spike", id, NULL));
    }
    rules_works_free(&w);
    rules_free(&rs);
}

/* --- risk: factors of a flagged school only ---------------------------------------------- */

static void test_risk(void **state)
{
    (void)state;
    static struct indicator risk;
    risk = mk_ind("ctx_risk", IND_MEAN, 1, 1);
    risk.dims[0] = "factor";
    risk.min_n = 0;
    struct indicator all[NIND + 1];
    memcpy(all, inds, sizeof inds);
    all[NIND] = risk;
    struct ind_set set = fake_set;
    set.v = all;
    set.n = NIND + 1;
    const char *text =
        "[low]\ntitle = Низкие\nkind = threshold\nindicators = vpr_fail\nop = >=\nvalue = 30\n"
        "hold = any\n" REC
        "[risk]\ntitle = Риски\nkind = risk\nindicators = ctx_risk\nop = >=\nvalue = 3\n"
        "hold = last\nfor = low\nlabels = risk_staff: дефицит кадров\n"
        "recommendation = {factors}\n";
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct rule_set rs;
    assert_int_equal(rules_load(write_rules("risk.ini", text), &set, NULL, &rs, &d), SOKO_OK);
    struct ind_results r = IND_RESULTS_INIT;
    const struct indicator *f = &all[I_FAIL], *rk = &all[NIND];
    add_share(&r, f, IND_SCHOOL, "A", 2026, "Математика", "5", 40, 100);
    add_share(&r, f, IND_SCHOOL, "B", 2026, "Математика", "5", 10, 100);
    for (int s = 0; s < 2; s++) {
        struct ind_row *row = add_row(&r, rk, IND_SCHOOL, s ? "B" : "A", 2026, "risk_staff", NULL);
        row->value = 3;
        row->n = 1;
    }
    struct rules_input in;
    memset(&in, 0, sizeof in);
    in.res = &r;
    struct rule_flags fl = {0};
    rules_eval(&rs, &in, NULL, &fl);
    int a = 0, b = 0;
    for (size_t i = 0; i < fl.n; i++)
        if (strcmp(fl.v[i].rule->id, "risk") == 0) {
            if (strcmp(fl.v[i].school_id, "A") == 0) {
                a = 1;
                assert_string_equal(fl.v[i].recommendation, "дефицит кадров");
            }
            if (strcmp(fl.v[i].school_id, "B") == 0) b = 1;
        }
    assert_true(a);
    assert_false(b);   /* the same risk, but B is not flagged by `low` */
    rule_flags_free(&fl);
    rules_free(&rs);
    results_free(&r);
    soko_diag_free(&d);
}

/* --- residual: beating the odds ------------------------------------------------------------- */

static void test_residual(void **state)
{
    (void)state;
    struct ana_model md;
    memset(&md, 0, sizeof md);
    md.id = (char *)"m";
    md.title = (char *)"СОУ с учётом контекста";
    md.indicator = (char *)"vpr_sou";
    struct ana_models models = {&md, 1};
    const char *text = "[beat]\ntitle = Выше ожидаемого\nkind = residual\nmodel = m\nside = good\n"
                       "bound = 1.0\nhold = all\nwindow = 3\n" REC;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct rule_set rs;
    assert_int_equal(rules_load(write_rules("res.ini", text), &fake_set, &models, &rs, &d),
                     SOKO_OK);
    /* A: mean residual 1.5 in every year over two procedures; B: 1.5, 0.9, 1.5 */
    struct ind_row rows[2];
    memset(rows, 0, sizeof rows);
    rows[0].n = rows[1].n = 50;
    struct ana_ctx_school e[4];
    memset(e, 0, sizeof e);
    const char *who[4] = {"A", "A", "B", "B"};
    double res[4][3] = {{2.0, 1.0, 1.5}, {1.0, 2.0, 1.5}, {1.5, 0.9, 1.5}, {1.5, 0.9, 1.5}};
    for (int i = 0; i < 4; i++) {
        e[i].model = &md;
        e[i].ind = &inds[I_SOU];
        e[i].school_id = who[i];
        e[i].dim[0] = i % 2 ? "Русский язык" : "Математика";
        e[i].dim[1] = "5";
        e[i].nyears = 3;
        for (int y = 0; y < 3; y++) {
            e[i].years[y] = 2024 + y;
            e[i].rows[y] = &rows[0];
            e[i].resid[y] = res[i][y];
        }
    }
    struct ana_context ctx = {0};
    ctx.v = e;
    ctx.n = 4;
    const struct ana_model *mp = &md;
    const struct ana_context *cp = &ctx;
    struct ind_results empty = IND_RESULTS_INIT;
    struct rules_input in;
    memset(&in, 0, sizeof in);
    in.res = &empty;
    in.nctx = 1;
    in.ctx_model = &mp;
    in.ctx = &cp;
    struct rule_flags fl = {0};
    rules_eval(&rs, &in, NULL, &fl);
    assert_int_equal(fl.n, 1);
    assert_string_equal(fl.v[0].school_id, "A");
    rule_flags_free(&fl);
    rules_free(&rs);
    soko_diag_free(&d);
}

/* --- vpr_dist as the store writes it ----------------------------------------------------- */

static void test_read_works(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE vpr_dist(year, school_id, grade, subject, n, "
                                  "scores, mark_min, journal);"
                                  "INSERT INTO vpr_dist VALUES(2026,'14',5,'Математика',6,"
                                  "'[0,1,2,3]','{\"3\":2,\"4\":3}',NULL);"
                                  "INSERT INTO vpr_dist VALUES(2025,'14',5,'Математика',1,"
                                  "'[1]','{}',NULL);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct rules_works w;
    assert_int_equal(rules_read_works(db, 2026, 2026, &w, &d), SOKO_OK);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.v[0].len, 4);
    assert_true(w.v[0].scores[3] == 3.0);
    assert_int_equal(w.v[0].mark_min[1], 2);
    assert_int_equal(w.v[0].mark_min[2], 3);
    assert_int_equal(w.v[0].mark_min[0], -1);
    rules_works_free(&w);
    /* a histogram that is not JSON is refused, naming the work */
    assert_int_equal(sqlite3_exec(db, "UPDATE vpr_dist SET scores = '[1,x]' WHERE year = 2025",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(rules_read_works(db, 0, 0, &w, &d), SOKO_EDB);
    assert_non_null(strstr(d.msgs[0], "2025, school 14, grade 5, Математика"));
    soko_diag_free(&d);
    sqlite3_close(db);
}

static int teardown(void **state)
{
    (void)state;
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) return 1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_with_line),
        cmocka_unit_test(test_shipped_rules_load),
        cmocka_unit_test(test_low_results),
        cmocka_unit_test(test_stably_low),
        cmocka_unit_test(test_stable_improvement),
        cmocka_unit_test(test_change),
        cmocka_unit_test(test_unconfirmed),
        cmocka_unit_test(test_spike),
        cmocka_unit_test(test_risk),
        cmocka_unit_test(test_residual),
        cmocka_unit_test(test_read_works),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
