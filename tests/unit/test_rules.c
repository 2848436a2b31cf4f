/*
 * test_rules.c — the rule engine (engine/rules*.c): the rule language and its refusals,
 * and every kind of rule on a fixture built to trigger it next to its near-miss twin that
 * must stay silent — the cases are data files, tests/unit/rules_cases/NAME.case (their
 * format: tests/unit/rules_cases/README.md), each a small district of result rows,
 * histograms or context residuals with the rules and what must hold. Rule files are
 * written to a temporary directory. The shipped defs/rules.ini is loaded against the
 * shipped indicators on an empty schema database. The false-positive rate of each
 * rule by simulation: test_null_rates here (synthetic districts) and
 * tests/e2e/t_calibrate.sh (the shipped rules on a generated district).
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
#include <dirent.h>

#include "analysis.h"
#include "formdef.h"
#include "indicators.h"
#include "rules.h"

/* --- fixtures ------------------------------------------------------------------------ */

static const char *const DIMS_SG[] = {"subject", "grade", NULL};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

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
    snprintf(want, sizeof want, "%s/bad.ini:3: [low]: treshold: unknown key; expected one of title",
             tmpdir);
    expect_refused("[low]\ntitle = Т\ntreshold = 3\nkind = threshold\nindicators = vpr_fail\n"
                   "op = >=\nvalue = 30\n" REC, want);
    /* an unknown kind */
    snprintf(want, sizeof want,
             "%s/bad.ini:2: [x]: kind: got 'thresold'; expected one of threshold, funnel", tmpdir);
    expect_refused("[x]\nkind = thresold\n", want);
    /* a bad pattern of years */
    snprintf(want, sizeof want, "%s/bad.ini:6: [x]: hold: got 'two of three'; expected all, any",
             tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = funnel\nindicators = vpr_sou\nside = bad\n"
                   "hold = two of three\nlimit = 99.8\n" REC, want);
    /* a funnel limit that is not one of the two */
    snprintf(want, sizeof want, "%s/bad.ini:6: [x]: limit: got '90'; expected 95 or 99.8", tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = funnel\nindicators = vpr_sou\nside = bad\n"
                   "limit = 90\n" REC, want);
    /* an unknown placeholder */
    snprintf(want, sizeof want, "%s/bad.ini:6: [x]: recommendation: unknown placeholder '{teacher}'",
             tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = threshold\nindicators = vpr_fail\nop = >\n"
                   "recommendation = {teacher}\nvalue = 1\n", want);
    /* a key of another kind */
    snprintf(want, sizeof want, "%s/bad.ini:5: [x]: bound: does not apply to kind threshold",
             tmpdir);
    expect_refused("[x]\ntitle = Т\nkind = threshold\nindicators = vpr_fail\nbound = 3\n"
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

/* Hardening, round two, item 5: every number of a rule is range-checked at load with
 * file:line, in one format. */
static void test_numbers_range_checked(void **state)
{
    (void)state;
    static const struct { const char *line, *key, *expect; } bad[] = {
        {"procedures = 999999999999999999999", "procedures",
         "got '999999999999999999999'; expected a whole number from 1 to 1000, or a "
         "percentage like 20%"},
        {"procedures = 120%", "procedures", "got '120%'"},
        {"procedures = 2.5", "procedures", "got '2.5'"},
        {"window = 0", "window", "got '0'; expected a whole number from 1 to 32"},
        {"window = 1e9", "window", "got '1e9'"},
        {"min_n = nan", "min_n", "got 'nan'"},
        {"same_year = -1", "same_year", "got '-1'"},
        {"min_indicators = 99", "min_indicators", "got '99'"},
        {"level = 0.9", "level", "got '0.9'; expected an error level"},
        {"level = nan", "level", "got 'nan'"},
        {"alpha = 1", "alpha", "got '1'; expected a significance level"},
        {"alpha = inf", "alpha", "got 'inf'"},
        {"value = nan", "value", "got 'nan'; expected a number"},
        {"control = maybe", "control", "got 'maybe'; expected one of none, fdr, fwer"},
        {"control = fdr", "control", "got 'fdr'; expected none without alpha"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512], want[512];
        int has_value = strncmp(bad[i].line, "value", 5) == 0;
        snprintf(text, sizeof text, "[x]\ntitle = Т\nkind = threshold\nindicators = vpr_fail\n"
                                    "op = >=\n%s%s\n" REC, has_value ? "" : "value = 30\n",
                 bad[i].line);
        write_rules("bad.ini", "");
        snprintf(want, sizeof want, "%s/bad.ini:%d: [x]: %s: %s", tmpdir, has_value ? 6 : 7,
                 bad[i].key, bad[i].expect);
        expect_refused(text, want);
    }
}

/* The shipped rule file loads against the shipped indicators and context models. */
static void test_shipped_rules_load(void **state)
{
    (void)state;
    /* the definitions root (docs/definitions.md): defs/ of the checkout */
    const char *root = getenv("SOKO_HOME") ? getenv("SOKO_HOME") : "defs";
    char dir[512], path[512], ctxp[512];
    snprintf(dir, sizeof dir, "%s/indicators", root);
    snprintf(path, sizeof path, "%s/rules.ini", root);
    snprintf(ctxp, sizeof ctxp, "%s/context.ini", root);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    /* the rules of the shipped monitorings read indicators of the shipped forms */
    char forms[600];
    snprintf(forms, sizeof forms, "%s/forms", root);
    assert_int_equal(formdef_load_dir(forms, 0, &d), SOKO_OK);
    sqlite3 *db;
    assert_int_equal(ind_schema_db(&db, &d), SOKO_OK);
    struct ind_set *set = NULL;
    int rc = ind_load(dir, db, &set, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    struct ana_models models;
    assert_int_equal(ana_context_load(ctxp, &models, &d), SOKO_OK);
    struct rule_set rs;
    rc = rules_load(path, set, &models, &rs, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    static const char *const want[] = {"low_results", "gia_below_min", "stably_low",
                                       "stably_high", "stable_improvement", "objectivity_raised",
                                       "objectivity_spike", "objectivity_unconfirmed",
                                       "objectivity_jump", "context_beating", "risk_profile",
                                       "directors_low", "recheck_lenient", "training_exam_low",
                                       "niko_low_participation", "career_low_science",
                                       "career_low_programs", NULL};
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
    formdef_unload_all();
}

/* --- false-positive rates by simulation ------------------------------------------------- */

/* Null districts (rules_calibrate) drawn from a district of 40 schools of 20..310 pupils
 * at a 10 % share of «2», three years: every flag is false. A funnel rule without
 * control flags, per district, at most the 40 one-sided 2.5 % tails (exact tails are
 * conservative: fewer); under Benjamini–Hochberg or Holm at 5 % the share of districts
 * with any false flag is at most 5 %; the trend rule at FDR 10 % at most 10 %. 400
 * districts, seed 1: the tolerance is three binomial standard errors. */
static void test_null_rates(void **state)
{
    (void)state;
    static const char *text =
        "[raw]\ntitle = Т\nkind = funnel\nindicators = vpr_fail\nside = bad\nlimit = 95\n"
        "hold = last\nwindow = 1\noverdispersion = no\ncontrol = none\n" REC
        "[fdr]\ntitle = Т\nkind = funnel\nindicators = vpr_fail\nside = bad\nlimit = 95\n"
        "hold = last\nwindow = 1\ncontrol = fdr\nlevel = 0.05\n" REC
        "[fwer]\ntitle = Т\nkind = funnel\nindicators = vpr_fail\nside = bad\nlimit = 95\n"
        "hold = all\nwindow = 3\ncontrol = fwer\nlevel = 0.05\n" REC
        "[exact]\ntitle = Т\nkind = threshold\nindicators = vpr_fail\nop = >=\nvalue = 20\n"
        "alpha = 0.05\nhold = any\nwindow = 3\ncontrol = fdr\nlevel = 0.05\n" REC
        "[up]\ntitle = Т\nkind = trend\nindicators = vpr_fail\nside = good\nalpha = 0.05\n"
        "no_going_back = no\nwindow = 3\ncontrol = fdr\nlevel = 0.1\n" REC;
    struct rule_set rs;
    load_ok(text, &rs);
    struct ind_results r = IND_RESULTS_INIT;
    const struct indicator *f = &inds[I_FAIL];
    static char ids[40][8];
    double k_d[3] = {0, 0, 0}, n_d[3] = {0, 0, 0};
    for (int s = 0; s < 40; s++) {
        snprintf(ids[s], sizeof ids[s], "S%d", s);
        double n = 20 + 7.5 * s;
        for (int y = 0; y < 3; y++) {
            double k = floor(0.1 * n + 0.5);
            add_share(&r, f, IND_SCHOOL, ids[s], 2024 + y, "Математика", "5", k, n);
            k_d[y] += k;
            n_d[y] += n;
        }
    }
    for (int y = 0; y < 3; y++)
        add_share(&r, f, IND_DISTRICT, "", 2024 + y, "Математика", "5", k_d[y], n_d[y]);
    struct rules_input in;
    memset(&in, 0, sizeof in);
    in.res = &r;
    struct rules_calibs cal;
    rules_calibrate(&rs, &in, NULL, 400, 1, &cal);
    assert_int_equal(cal.n, 5);
    double se5 = 3.0 * sqrt(0.05 * 0.95 / 400), se10 = 3.0 * sqrt(0.1 * 0.9 / 400);
    for (size_t i = 0; i < cal.n; i++)
        print_message("%-6s mean false %.3f, any %.3f, max %zu\n", cal.v[i].rule->id,
                      cal.v[i].mean_false, cal.v[i].any_false, cal.v[i].max_false);
    /* raw: one district-wide tail each; the exact binomial is conservative */
    assert_true(cal.v[0].mean_false > 0.2 && cal.v[0].mean_false <= 40 * 0.025 + 0.15);
    assert_true(cal.v[1].any_false <= 0.05 + se5);
    assert_true(cal.v[2].any_false <= 0.05 + se5);
    assert_true(cal.v[3].any_false <= 0.05 + se5);
    assert_true(cal.v[4].any_false <= 0.10 + se10);
    /* the control is what makes the difference */
    assert_true(cal.v[1].mean_false < cal.v[0].mean_false / 4);
    rules_calibs_free(&cal);
    rules_free(&rs);
    results_free(&r);
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
    struct store_works w;
    assert_int_equal(store_read_works(db, 2026, 2026, &w, &d), SOKO_OK);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.v[0].len, 4);
    assert_true(w.v[0].scores[3] == 3.0);
    assert_int_equal(w.v[0].mark_min[1], 2);
    assert_int_equal(w.v[0].mark_min[2], 3);
    assert_int_equal(w.v[0].mark_min[0], -1);
    store_works_free(&w);
    /* a histogram that is not JSON is refused, naming the work */
    assert_int_equal(sqlite3_exec(db, "UPDATE vpr_dist SET scores = '[1,x]' WHERE year = 2025",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(store_read_works(db, 0, 0, &w, &d), SOKO_EDB);
    assert_non_null(strstr(d.msgs[0], "2025, school 14, grade 5, Математика"));
    soko_diag_free(&d);
    sqlite3_close(db);
}

/* --- rule cases as data (tests/unit/rules_cases/NAME.case) ---------------------------------
 *
 * Each case is a small district in a text file: the rules, the indicators, the result
 * rows (as ind_evaluate gives them), score histograms, context residuals, and what must
 * hold — the rule fires on its fixture and stays silent on its near-miss twin. The
 * format is described in tests/unit/rules_cases/README.md. */

#define CASE_MAX_IND 16
struct rcase {
    char path[1024];
    struct sbuf rules;
    struct indicator ind[CASE_MAX_IND];
    char *ind_id[CASE_MAX_IND], *dimbuf[CASE_MAX_IND];
    const char *ind_dims[CASE_MAX_IND][IND_MAX_DIMS];
    int nind;
    struct ind_results res;
    struct store_works works;
    struct ana_model model;
    int has_model;
    struct ana_ctx_school ctx[256];
    struct ind_row ctx_row;
    int nctx;
    char **strs;              /* every string the rows point at */
    size_t nstrs;
    char *expect[256];
    int nexpect;
};

static const char *case_str(struct rcase *c, const char *s, size_t n)
{
    c->strs = realloc(c->strs, (c->nstrs + 1) * sizeof *c->strs);
    assert_non_null(c->strs);
    c->strs[c->nstrs] = strndup(s, n);
    return c->strs[c->nstrs++];
}

/* "2024..2026" or "2024": *y0, *y1. */
static void case_years(const char *t, int *y0, int *y1)
{
    if (sscanf(t, "%d..%d", y0, y1) != 2) *y1 = *y0 = atoi(t);
}

/* The k-th value of a comma list "1,2,3" (the last one repeats). */
static double case_val(const char *list, int k)
{
    double v = NAN;
    const char *p = list;
    for (int i = 0; p && *p; i++) {
        v = strtod(p, NULL);
        if (i == k) return v;
        p = strchr(p, ',');
        if (p) p++;
    }
    return v;
}

static const char *case_field(const char *figs, const char *key)
{
    static char buf[512];
    size_t kl = strlen(key);
    for (const char *p = figs; (p = strstr(p, key)) != NULL; p++)
        if ((p == figs || p[-1] == ' ') && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, " \n");
            if (n >= sizeof buf) n = sizeof buf - 1;
            memcpy(buf, p + kl + 1, n);
            buf[n] = '\0';
            return buf;
        }
    return NULL;
}

static const struct indicator *case_ind(struct rcase *c, const char *id)
{
    for (int i = 0; i < c->nind; i++)
        if (strcmp(c->ind[i].id, id) == 0) return &c->ind[i];
    fail_msg("%s: no indicator '%s' in the case", c->path, id);
    return NULL;
}

/* "C{0..15}" → C0 .. C15; anything else: itself. */
static int case_units(const char *u, char out[][32], int max)
{
    const char *b = strchr(u, '{');
    int a0, a1;
    if (!b || sscanf(b, "{%d..%d}", &a0, &a1) != 2) {
        snprintf(out[0], 32, "%s", u);
        return 1;
    }
    int n = 0;
    for (int i = a0; i <= a1 && n < max; i++) snprintf(out[n++], 32, "%.*s%d", (int)(b - u), u, i);
    return n;
}

static void case_row(struct rcase *c, char *line)
{
    char *colon = strstr(line, " : ");
    assert_non_null(colon);
    *colon = '\0';
    const char *figs = colon + 3;
    char *tok[8];
    int nt = 0;
    for (char *t = strtok(line, " "); t && nt < 8; t = strtok(NULL, " ")) tok[nt++] = t;
    assert_true(nt >= 4);
    enum ind_level lv = strcmp(tok[0], "district") == 0 ? IND_DISTRICT
                      : strcmp(tok[0], "cluster") == 0 ? IND_CLUSTER : IND_SCHOOL;
    const struct indicator *ind = case_ind(c, tok[3]);
    assert_int_equal(nt, 4 + ind->ndims);
    int y0, y1;
    case_years(tok[2], &y0, &y1);
    char units[64][32];
    int nu = lv == IND_DISTRICT ? 1 : case_units(tok[1], units, 64);
    if (lv == IND_DISTRICT) units[0][0] = '\0';
    for (int u = 0; u < nu; u++)
        for (int y = y0; y <= y1; y++) {
            struct ind_results *r = &c->res;
            if (r->n == r->cap) {
                r->cap = r->cap ? 2 * r->cap : 64;
                r->v = realloc(r->v, r->cap * sizeof *r->v);
                assert_non_null(r->v);
            }
            struct ind_row *row = &r->v[r->n++];
            memset(row, 0, sizeof *row);
            row->ind = ind;
            row->level = lv;
            row->unit = case_str(c, units[u], strlen(units[u]));
            row->year = y;
            for (int k = 0; k < ind->ndims; k++) row->dim[k] = case_str(c, tok[4 + k], strlen(tok[4 + k]));
            row->sd = row->lo = row->hi = NAN;
            int k = y - y0;
            const char *f;
            double n = (f = case_field(figs, "n")) ? case_val(f, k) : NAN;
            switch (ind->kind) {
            case IND_SHARE:
                row->num = case_val(case_field(figs, "k"), k);
                row->den = row->n = n;
                row->value = 100.0 * row->num / n;
                break;
            case IND_MEAN:
                row->value = case_val(case_field(figs, "mean"), k);
                row->n = row->den = n;
                row->num = row->value * n;
                if ((f = case_field(figs, "sd"))) row->sd = case_val(f, k);
                break;
            case IND_COUNT:
                row->num = row->value = case_val(case_field(figs, "k"), k);
                row->n = n;
                row->den = NAN;
                break;
            case IND_RATE:
                row->num = case_val(case_field(figs, "k"), k);
                row->den = row->n = n;
                row->value = ind->per * row->num / n;
                break;
            }
            row->suppressed = isfinite(row->n) && row->n < (double)ind->min_n;
        }
}

/* "bell=120,10,3.5 marks=0,7,12,17 move=6>7,11>12" → a histogram of 0..20 */
static void case_work(struct rcase *c, char *line)
{
    char *colon = strstr(line, " : ");
    assert_non_null(colon);
    *colon = '\0';
    const char *figs = colon + 3;
    char school[64], subject[128];
    int year, grade;
    assert_int_equal(sscanf(line, "%d %63s %d %127s", &year, school, &grade, subject), 4);
    double h[64];
    enum { LEN = 21 };
    const char *b = case_field(figs, "bell");
    assert_non_null(b);
    double n = case_val(b, 0), mu = case_val(b, 1), sd = case_val(b, 2), tot = 0;
    for (int i = 0; i < LEN; i++) {
        h[i] = exp(-0.5 * (i - mu) * (i - mu) / (sd * sd));
        tot += h[i];
    }
    for (int i = 0; i < LEN; i++) h[i] = floor(h[i] * n / tot + 0.5);
    const char *mv = case_field(figs, "move");
    for (const char *p = mv; p && *p;) {
        int from, to;
        if (sscanf(p, "%d>%d", &from, &to) != 2) break;
        h[to] += h[from];
        h[from] = 0;
        p = strchr(p, ',');
        if (p) p++;
    }
    int mm[4];
    const char *mk = case_field(figs, "marks");
    for (int k = 0; k < 4; k++) mm[k] = (int)case_val(mk, k);
    char units[64][32];
    int nu = case_units(school, units, 64);
    for (int u = 0; u < nu; u++) store_works_add(&c->works, year, units[u], grade, subject, h, LEN, mm);
}

/* "A 2024..2026 Математика 5 : resid=2.0,1.0,1.5" */
static void case_ctx(struct rcase *c, char *line)
{
    char *colon = strstr(line, " : ");
    assert_non_null(colon);
    *colon = '\0';
    const char *figs = colon + 3;
    char school[64], years[32], d0[128], d1[32];
    assert_int_equal(sscanf(line, "%63s %31s %127s %31s", school, years, d0, d1), 4);
    int y0, y1;
    case_years(years, &y0, &y1);
    assert_true(c->nctx < 256);
    struct ana_ctx_school *e = &c->ctx[c->nctx++];
    memset(e, 0, sizeof *e);
    e->model = &c->model;
    e->ind = case_ind(c, c->model.indicator);
    e->school_id = case_str(c, school, strlen(school));
    e->dim[0] = case_str(c, d0, strlen(d0));
    e->dim[1] = case_str(c, d1, strlen(d1));
    e->nyears = y1 - y0 + 1;
    c->ctx_row.n = 50;
    for (int y = 0; y < e->nyears; y++) {
        e->years[y] = y0 + y;
        e->rows[y] = &c->ctx_row;
        e->resid[y] = case_val(case_field(figs, "resid"), y);
    }
}

static void case_free(struct rcase *c)
{
    sbuf_free(&c->rules);
    for (int i = 0; i < c->nind; i++) {
        free(c->ind_id[i]);
        free(c->dimbuf[i]);
    }
    free(c->res.v);
    store_works_free(&c->works);
    for (size_t i = 0; i < c->nstrs; i++) free(c->strs[i]);
    free(c->strs);
    for (int i = 0; i < c->nexpect; i++) free(c->expect[i]);
    if (c->has_model) {
        free(c->model.id);
        free(c->model.title);
        free(c->model.indicator);
    }
}

static void run_case(const char *path)
{
    struct rcase *c = calloc(1, sizeof *c);
    assert_non_null(c);
    snprintf(c->path, sizeof c->path, "%s", path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    enum { S_NONE, S_RULES, S_IND, S_ROWS, S_WORKS, S_MODEL, S_CTX, S_EXPECT } sec = S_NONE;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "== ", 3) == 0) {
            const char *n = line + 3;
            sec = strcmp(n, "rules") == 0 ? S_RULES : strcmp(n, "indicators") == 0 ? S_IND
                : strcmp(n, "rows") == 0 ? S_ROWS : strcmp(n, "works") == 0 ? S_WORKS
                : strcmp(n, "model") == 0 ? S_MODEL : strcmp(n, "context") == 0 ? S_CTX
                : strcmp(n, "expect") == 0 ? S_EXPECT : S_NONE;
            if (sec == S_NONE) fail_msg("%s: unknown block '%s'", path, n);
            continue;
        }
        if (sec == S_RULES) {
            sbuf_adds(&c->rules, line);
            sbuf_addc(&c->rules, '\n');
            continue;
        }
        if (line[0] == '#' || line[0] == '\0') continue;
        if (sec == S_IND) {
            char id[64], kind[16], better[16], dims[128] = "-", opt[64] = "";
            assert_true(sscanf(line, "%63s %15s %15s %127s %63s", id, kind, better, dims, opt) >= 3);
            assert_true(c->nind < CASE_MAX_IND);
            int i = c->nind++;
            c->ind_id[i] = strdup(id);
            enum ind_kind k = strcmp(kind, "share") == 0 ? IND_SHARE : strcmp(kind, "mean") == 0
                              ? IND_MEAN : strcmp(kind, "count") == 0 ? IND_COUNT : IND_RATE;
            c->ind[i] = mk_ind(c->ind_id[i], k, strcmp(better, "lower") == 0, 0);
            if (strncmp(opt, "min_n=", 6) == 0) c->ind[i].min_n = atol(opt + 6);
            c->dimbuf[i] = strdup(dims);
            if (strcmp(dims, "-") != 0)
                for (char *t = strtok(c->dimbuf[i], ","); t && c->ind[i].ndims < IND_MAX_DIMS;
                     t = strtok(NULL, ","))
                    c->ind[i].dims[c->ind[i].ndims++] = t;
        } else if (sec == S_ROWS) {
            case_row(c, line);
        } else if (sec == S_WORKS) {
            case_work(c, line);
        } else if (sec == S_MODEL) {
            char id[64], indid[64];
            assert_int_equal(sscanf(line, "%63s %63s", id, indid), 2);
            c->model.id = strdup(id);
            c->model.title = strdup(id);
            c->model.indicator = strdup(indid);
            c->has_model = 1;
        } else if (sec == S_CTX) {
            case_ctx(c, line);
        } else if (sec == S_EXPECT) {
            assert_true(c->nexpect < 256);
            c->expect[c->nexpect++] = strdup(line);
        }
    }
    fclose(f);
    struct ind_set set;
    memset(&set, 0, sizeof set);
    set.v = c->ind;
    set.n = (size_t)c->nind;
    struct ana_models models = {&c->model, c->has_model ? 1 : 0};
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct rule_set rs;
    int rc = rules_load(write_rules("case.ini", c->rules.s ? c->rules.s : ""), &set,
                        c->has_model ? &models : NULL, &rs, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s: %s\n", path, d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    struct ana_context ctx = {0};
    ctx.v = c->ctx;
    ctx.n = (size_t)c->nctx;
    const struct ana_model *mp = &c->model;
    const struct ana_context *cp = &ctx;
    struct rules_input in;
    memset(&in, 0, sizeof in);
    in.res = &c->res;
    in.works = &c->works;
    if (c->has_model) {
        in.nctx = 1;
        in.ctx_model = &mp;
        in.ctx = &cp;
    }
    struct rule_flags fl = {0};
    rules_eval(&rs, &in, NULL, &fl);
    int bad = 0;
    for (int e = 0; e < c->nexpect; e++) {
        char what[16], rule[64], school[64];
        assert_int_equal(sscanf(c->expect[e], "%15s %63s %63s", what, rule, school), 3);
        int hit = 0;
        for (size_t i = 0; i < fl.n; i++)
            hit |= strcmp(fl.v[i].rule->id, rule) == 0 && strcmp(fl.v[i].school_id, school) == 0;
        if (hit != (strcmp(what, "flag") == 0)) {
            print_error("%s: expected %s %s %s; the rule %s\n", path, what, rule, school,
                        hit ? "flagged it" : "did not flag it");
            bad = 1;
        }
    }
    if (bad)
        for (size_t i = 0; i < fl.n; i++)
            print_error("  flagged: %s %s (p %g, adjusted %g)\n", fl.v[i].rule->id,
                        fl.v[i].school_id, fl.v[i].p, fl.v[i].p_adj);
    rule_flags_free(&fl);
    rules_free(&rs);
    soko_diag_free(&d);
    case_free(c);
    free(c);
    if (bad) fail_msg("%s", path);
}

static void test_cases(void **state)
{
    (void)state;
    const char *dir = getenv("SOKO_RULE_CASES") ? getenv("SOKO_RULE_CASES")
                                                : "tests/unit/rules_cases";
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    char *names[256];
    int n = 0;
    for (struct dirent *e; (e = readdir(dp)) != NULL && n < 256;) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".case") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof *names, cmp_name);
    assert_true(n >= 8);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        run_case(path);
        free(names[i]);
    }
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
        cmocka_unit_test(test_numbers_range_checked),
        cmocka_unit_test(test_shipped_rules_load),
        cmocka_unit_test(test_read_works),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_null_rates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
