/*
 * test_indicators.c — engine/indicators.c: loading and refusing definitions, the
 * authorizer, pooling, suppression and intervals on a small in-memory store.
 *
 * The fixture (make_store): schools A, B, C; cluster c1 = {A, B}; ВПР 2024 grade 5
 * mathematics: A 10 participants (m2..m5 = 1, 3, 2, 4), B 100 (40, 30, 20, 10),
 * C 3 (3, 0, 0, 0). The cluster's share of «2» pooled is 41/110 = 37.27 %, while the
 * mean of its schools' shares is (10 % + 40 %)/2 = 25 %: pooling is what is tested.
 * Olympiad 2024: A mathematics, school stage, 30 participants, 1 winner, 2 prize-
 * winners; B physics, municipal stage, 5 participants, 0, 1. Context 2024 students:
 * A 200, B 100, C 50 (C reported no olympiad, so it is outside the rate).
 *
 * Interval references are from R 4.x; the call is beside each number. Tolerance
 * 1e-9 relative.
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

#include "formdef.h"
#include "indicators.h"
#include "store.h"

#define REL 1e-9

static void close_to(double got, double want, const char *what, int line)
{
    double tol = want == 0 ? 1e-12 : REL * fabs(want);
    if (!(fabs(got - want) <= tol)) {
        print_error("line %d: %s = %.15g, expected %.15g\n", line, what, got, want);
        fail();
    }
}
#define CLOSE(got, want) close_to((got), (want), #got, __LINE__)

static char tmpdir[64];

static int group_setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/soko-test-ind.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to tmpdir/sub/name (sub may be ""); returns the path (static buffer). */
static const char *write_file(const char *sub, const char *name, const char *text)
{
    static char path[256];
    char dir[200];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        print_error("%s: %s\n", sql, msg);
        fail();
    }
}

/* The store's schema in memory with the fixture's rows, then made query-only. */
static sqlite3 *make_store(void)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    char *schema = store_forms_schema_sql();
    exec(db, schema);
    free(schema);
    exec(db,
         "INSERT INTO imports(id, form, file, started, status) VALUES (1, 'x', 'x', 'now', 'active');"
         "INSERT INTO schools(school_id, name, import_id) VALUES ('A', 'a', 1), ('B', 'b', 1),"
         " ('C', 'c', 1);"
         "INSERT INTO clusters(cluster_id, school_id, role, import_id) VALUES"
         " ('c1', 'A', 'member', 1), ('c1', 'B', 'member', 1);"
         "INSERT INTO vpr(year, school_id, grade, subject, participants, m2, m3, m4, m5,"
         " mean_score, import_id) VALUES"
         " (2024, 'A', 5, 'Математика', 10, 1, 3, 2, 4, 12.0, 1),"
         " (2024, 'B', 5, 'Математика', 100, 40, 30, 20, 10, 9.0, 1),"
         " (2024, 'C', 5, 'Математика', 3, 3, 0, 0, 0, NULL, 1),"
         " (2025, 'A', 5, 'Математика', 12, 0, 4, 4, 4, NULL, 1);"
         "INSERT INTO olympiad(year, school_id, subject, stage, participants, winners,"
         " prizewinners, olympiad, import_id) VALUES"
         " (2024, 'A', 'Математика', 'school', 30, 1, 2, 'ВсОШ', 1),"
         " (2024, 'B', 'Физика', 'municipal', 5, 0, 1, 'ВсОШ', 1);"
         "INSERT INTO context(year, school_id, factor, value, import_id) VALUES"
         " (2024, 'A', 'students', 200, 1), (2024, 'B', 'students', 100, 1),"
         " (2024, 'C', 'students', 50, 1);"
         "PRAGMA query_only = 1;");
    return db;
}

static const struct ind_row *find_row(const struct ind_results *r, const char *id,
                                      enum ind_level lv, const char *unit, int year,
                                      const char *dim0)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct ind_row *w = &r->v[i];
        if (strcmp(w->ind->id, id) == 0 && w->level == lv && strcmp(w->unit, unit) == 0 &&
            w->year == year && (!dim0 || strcmp(w->dim[0], dim0) == 0))
            return w;
    }
    print_error("no row %s %s %s %d %s\n", id, ind_level_name(lv), unit, year,
                dim0 ? dim0 : "");
    fail();
    return NULL;
}

static const char defs[] =
    "[fail]\n"
    "title = Доля «2»\n"
    "form = vpr\n"
    "kind = share\n"
    "numerator = sum(m2)\n"
    "denominator = sum(participants)\n"
    "dims = subject, grade\n"
    "better = lower\n"
    "\n"
    "[fail_strict]\n"
    "title = Доля «2», min_n 20\n"
    "form = vpr\n"
    "kind = share\n"
    "numerator = sum(m2)\n"
    "denominator = sum(participants)\n"
    "min_n = 20\n"
    "years = 2024\n"
    "\n"
    "[sou]\n"
    "title = СОУ\n"
    "form = vpr\n"
    "kind = mean\n"
    "value = (100.0 * m5 + 64.0 * m4 + 36.0 * m3 + 16.0 * m2) / participants\n"
    "weight = participants\n"
    "sumsq = 10000.0 * m5 + 4096.0 * m4 + 1296.0 * m3 + 256.0 * m2\n"
    "\n"
    "[score]\n"
    "title = Средний балл\n"
    "form = vpr\n"
    "kind = mean\n"
    "value = mean_score\n"
    "weight = participants\n"
    "\n"
    "[fails]\n"
    "title = Число «2»\n"
    "form = vpr\n"
    "kind = count\n"
    "count = sum(m2)\n"
    "\n"
    "[winners]\n"
    "title = Победители\n"
    "form = olympiad\n"
    "kind = count\n"
    "count = sum(winners)\n"
    "n = sum(participants)\n"
    "\n"
    "[particip]\n"
    "title = Участия на 100 обучающихся\n"
    "form = olympiad\n"
    "kind = rate\n"
    "count = sum(participants)\n"
    "base_factor = students\n"
    "dims = stage\n";

struct fx {
    sqlite3 *db;
    struct ind_set *set;
    struct ind_results res;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->db = make_store();
    struct soko_diag d;
    soko_diag_init(&d, 0);
    const char *path = write_file("fx", "defs.ini", defs);
    int rc = ind_load(path, f->db, &f->set, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    for (size_t i = 0; i < f->set->n; i++)
        assert_int_equal(ind_evaluate(f->set, &f->set->v[i], 0, 0, &f->res, &d), SOKO_OK);
    soko_diag_free(&d);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    ind_results_free(&f->res);
    ind_set_free(f->set);
    sqlite3_close(f->db);
    free(f);
    return 0;
}

/* --- pooling, suppression, intervals ------------------------------------------------ */

static void test_pooled_share(void **state)
{
    struct fx *f = *state;
    const struct ind_row *a = find_row(&f->res, "fail", IND_SCHOOL, "A", 2024, "Математика");
    const struct ind_row *b = find_row(&f->res, "fail", IND_SCHOOL, "B", 2024, "Математика");
    const struct ind_row *c = find_row(&f->res, "fail", IND_CLUSTER, "c1", 2024, "Математика");
    const struct ind_row *d = find_row(&f->res, "fail", IND_DISTRICT, "", 2024, "Математика");
    CLOSE(a->value, 10.0);
    CLOSE(b->value, 40.0);
    /* pooled: 41/110, not (10 + 40)/2 = 25 */
    CLOSE(c->num, 41);
    CLOSE(c->den, 110);
    CLOSE(c->n, 110);
    CLOSE(c->value, 100.0 * 41 / 110);
    assert_true(fabs(c->value - (a->value + b->value) / 2) > 10);
    /* prop.test(41, 110, correct = FALSE)$conf.int */
    CLOSE(c->lo, 28.8095962873621);
    CLOSE(c->hi, 46.5947947929548);
    /* prop.test(1, 10, correct = FALSE)$conf.int */
    CLOSE(a->lo, 1.78762130950729);
    CLOSE(a->hi, 40.41500267952384);
    /* the district holds C too: 44/113; prop.test(44, 113, correct = FALSE)$conf.int */
    CLOSE(d->value, 100.0 * 44 / 113);
    CLOSE(d->lo, 30.4528451459298);
    CLOSE(d->hi, 48.1506400789807);
    assert_string_equal(c->dim[1], "5");
}

static void test_suppression(void **state)
{
    struct fx *f = *state;
    const struct ind_row *c = find_row(&f->res, "fail", IND_SCHOOL, "C", 2024, "Математика");
    assert_true(c->suppressed);
    assert_true(c->notes & IND_NOTE_SUPPRESSED);
    const struct ind_row *a = find_row(&f->res, "fail", IND_SCHOOL, "A", 2024, "Математика");
    assert_false(a->suppressed);
    /* min_n = 20 hides A (10) but not B (100) nor the cluster */
    assert_true(find_row(&f->res, "fail_strict", IND_SCHOOL, "A", 2024, NULL)->suppressed);
    assert_false(find_row(&f->res, "fail_strict", IND_SCHOOL, "B", 2024, NULL)->suppressed);
    assert_false(find_row(&f->res, "fail_strict", IND_CLUSTER, "c1", 2024, NULL)->suppressed);
    /* years = 2024: no 2025 row although A has one */
    for (size_t i = 0; i < f->res.n; i++)
        if (strcmp(f->res.v[i].ind->id, "fail_strict") == 0)
            assert_int_equal(f->res.v[i].year, 2024);
}

static void test_mean_t_interval(void **state)
{
    struct fx *f = *state;
    /* x <- rep(c(16, 36, 64, 100), c(40, 30, 20, 10)); mean(x); sd(x); t.test(x)$conf.int */
    const struct ind_row *b = find_row(&f->res, "sou", IND_SCHOOL, "B", 2024, NULL);
    CLOSE(b->value, 40);
    CLOSE(b->sd, 26.7876045509067);
    CLOSE(b->lo, 34.6847580957697);
    CLOSE(b->hi, 45.3152419042303);
    /* the cluster pools the distributions: rep(c(16, 36, 64, 100), c(41, 33, 22, 14)) */
    const struct ind_row *c = find_row(&f->res, "sou", IND_CLUSTER, "c1", 2024, NULL);
    CLOSE(c->value, 42.2909090909091);
    CLOSE(c->lo, 36.9631708929337);
    CLOSE(c->hi, 47.6186472888844);
    CLOSE(c->n, 110);
    /* mean_score weighted by participants; C gives none; no spread, so no interval */
    const struct ind_row *s = find_row(&f->res, "score", IND_CLUSTER, "c1", 2024, NULL);
    CLOSE(s->value, (10 * 12.0 + 100 * 9.0) / 110);
    assert_true(s->notes & IND_NOTE_NO_SPREAD);
    assert_true(isnan(s->lo));
    const struct ind_row *d = find_row(&f->res, "score", IND_DISTRICT, "", 2024, NULL);
    CLOSE(d->n, 110);
    /* A in 2025 has no mean_score: no row at all */
    for (size_t i = 0; i < f->res.n; i++)
        if (strcmp(f->res.v[i].ind->id, "score") == 0) assert_int_equal(f->res.v[i].year, 2024);
}

static void test_count_and_rate(void **state)
{
    struct fx *f = *state;
    /* poisson.test(44)$conf.int; no n: never suppressed */
    const struct ind_row *d = find_row(&f->res, "fails", IND_DISTRICT, "", 2024, NULL);
    CLOSE(d->value, 44);
    CLOSE(d->lo, 31.9704673581443);
    CLOSE(d->hi, 59.0679462803077);
    assert_true(isnan(d->n));
    assert_false(find_row(&f->res, "fails", IND_SCHOOL, "C", 2024, NULL)->suppressed);
    /* poisson.test(1)$conf.int; n = participants 30 */
    const struct ind_row *w = find_row(&f->res, "winners", IND_SCHOOL, "A", 2024, NULL);
    CLOSE(w->lo, 0.0253178079842899);
    CLOSE(w->hi, 5.5716433909388989);
    CLOSE(w->n, 30);
    /* school stage: 30 participations per 300 students of the reporting schools A, B */
    const struct ind_row *r = find_row(&f->res, "particip", IND_DISTRICT, "", 2024, "school");
    CLOSE(r->value, 10);
    CLOSE(r->den, 300);
    /* poisson.test(30)$conf.int * 100 / 300 */
    CLOSE(r->lo, 6.7469580071403);
    CLOSE(r->hi, 14.2756217982692);
    const struct ind_row *ra = find_row(&f->res, "particip", IND_SCHOOL, "A", 2024, "school");
    CLOSE(ra->value, 15);
    CLOSE(ra->lo, 10.1204370107105);   /* poisson.test(30)$conf.int * 100 / 200 */
    CLOSE(ra->hi, 21.4134326974038);
    assert_false(ra->notes & IND_NOTE_ZERO_FILLED);
    /* B reported the form (municipal stage) but had nobody at the school stage: 0 */
    const struct ind_row *rb = find_row(&f->res, "particip", IND_SCHOOL, "B", 2024, "school");
    CLOSE(rb->value, 0);
    assert_true(rb->notes & IND_NOTE_ZERO_FILLED);
    CLOSE(rb->hi, 3.68887945411394);   /* poisson.test(0)$conf.int * 100 / 100 */
    /* C has students but reported no olympiad: not in the rate */
    for (size_t i = 0; i < f->res.n; i++)
        if (strcmp(f->res.v[i].ind->id, "particip") == 0)
            assert_string_not_equal(f->res.v[i].unit, "C");
    const struct ind_row *m = find_row(&f->res, "particip", IND_CLUSTER, "c1", 2024, "municipal");
    CLOSE(m->value, 100.0 * 5 / 300);
}

static void test_order(void **state)
{
    struct fx *f = *state;
    /* district, then clusters, then schools; inside a level by unit, breakdown, year */
    const struct ind_row *prev = NULL;
    for (size_t i = 0; i < f->res.n; i++) {
        const struct ind_row *w = &f->res.v[i];
        if (strcmp(w->ind->id, "fail") != 0) continue;
        if (prev) {
            assert_true(prev->level <= w->level);
            if (prev->level == w->level) {
                int c = strcmp(prev->unit, w->unit);
                assert_true(c < 0 || (c == 0 && prev->year < w->year));
            }
        }
        prev = w;
    }
}

static void test_members_factors(void **state)
{
    struct fx *f = *state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct ind_members m;
    assert_int_equal(ind_members(f->set, &m, &d), SOKO_OK);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.v[1].school_id, "B");
    assert_string_equal(m.v[1].role, "member");
    ind_members_free(&m);
    struct ind_factors fa;
    assert_int_equal(ind_factor_values(f->set, "students", 2024, 2024, &fa, &d), SOKO_OK);
    assert_int_equal(fa.n, 3);
    assert_string_equal(fa.v[2].school_id, "C");
    CLOSE(fa.v[2].value, 50);
    ind_factors_free(&fa);
    assert_int_equal(ind_factor_values(f->set, "students", 2025, 0, &fa, &d), SOKO_OK);
    assert_int_equal(fa.n, 0);
    ind_factors_free(&fa);
    soko_diag_free(&d);
}

/* --- refusals ----------------------------------------------------------------------- */

static int diag_has(const struct soko_diag *d, const char *text)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        if (strstr(d->msgs[i], text)) return 1;
    return 0;
}

#define HAS(d, text) \
    do { \
        if (!diag_has((d), (text))) { \
            for (size_t i_ = 0; i_ < (d)->nmsgs; i_++) print_error("  %s\n", (d)->msgs[i_]); \
            print_error("line %d: no message with: %s\n", __LINE__, (text)); \
            fail(); \
        } \
    } while (0)

static void test_authorizer(void **state)
{
    (void)state;
    sqlite3 *db = make_store();
    struct soko_diag d;
    soko_diag_init(&d, 0);
    sqlite3_stmt *st;
    static const struct { const char *sql, *why; } bad[] = {
        {"INSERT INTO schools(school_id, name, import_id) VALUES ('x', 'y', 1)", "INSERT"},
        {"DELETE FROM vpr", "DELETE"},
        {"ATTACH ':memory:' AS other", "ATTACH"},
        {"PRAGMA user_version", "PRAGMA"},
        {"SELECT * FROM imports", "reads table 'imports'"},
        {"SELECT * FROM hist_vpr", "reads table 'hist_vpr'"},
        {"SELECT sql FROM sqlite_master", "reads table 'sqlite_master'"},
        {"SELECT random() FROM vpr", "calls function 'random'"},
        {"SELECT load_extension('x')", "calls function 'load_extension'"},
        {"SELECT 1; SELECT 2", "more than one statement"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        soko_diag_clear(&d);
        assert_int_equal(ind_prepare(db, bad[i].sql, &st, "f.ini", 7, "[x]: n", &d),
                         SOKO_ECONFIG);
        assert_null(st);
        HAS(&d, "f.ini:7: [x]: n: ");
        HAS(&d, bad[i].why);
    }
    soko_diag_clear(&d);
    assert_int_equal(ind_prepare(db, "SELECT sum(m2), count(*), coalesce(max(m3), 0), "
                                     "round(avg(participants), 1) FROM vpr JOIN clusters "
                                     "USING (school_id)", &st, "f", 1, "ok", &d), SOKO_OK);
    sqlite3_finalize(st);
    /* the authorizer is gone afterwards: the connection's other users are not limited */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM imports", -1, &st, NULL),
                     SOKO_OK);
    sqlite3_finalize(st);
    soko_diag_free(&d);
    sqlite3_close(db);
}

static const char bad_defs[] =
    "[ok]\n"                                                        /* 1 */
    "title = ok\n"
    "form = vpr\n"
    "kind = count\n"
    "count = sum(m2)\n"                                             /* 5 */
    "\n"
    "[injection]\n"
    "title = x\n"
    "form = vpr\n"
    "kind = share\n"                                                /* 10 */
    "numerator = sum(m2)) FROM vpr; ATTACH 'x' AS y; --\n"
    "denominator = (SELECT count(*) FROM imports)\n"
    "filter = random() > 0.5\n"
    "n = sum(m2) FROM vpr; PRAGMA query_only = 0\n"
    "\n"                                                            /* 15 */
    "[shape]\n"
    "title = x\n"
    "form = vpr\n"
    "kind = mean\n"
    "value = sum(mean_score)\n"                                     /* 20 */
    "weight = participants /* open\n"
    "sumsq = m6 * m6\n"
    "n = participants\n"
    "\n"
    "[keys]\n"                                                      /* 25 */
    "title = x\n"
    "form = vprr\n"
    "kind = ratio\n"
    "agg = sum\n"
    "\n"                                                            /* 30 */
    "[numbers]\n"
    "title = x\n"
    "form = olympiad\n"
    "kind = rate\n"
    "count = sum(participants)\n"                                   /* 35 */
    "per = 0\n"
    "min_n = -1\n"
    "alert = high\n"
    "years = 2024-2023\n"
    "breaks = 2025, 2024\n"                                         /* 40 */
    "better = up\n"
    "dims = stage, class, stage\n"
    "\n"
    "[missing]\n"
    "form = vpr\n"                                                  /* 45 */
    "kind = share\n"
    "numerator = sum(m2)\n"
    "value = m2\n"
    "\n"
    "[Bad-Id]\n"                                                    /* 50 */
    "title = x\n"
    "form = vpr\n"
    "kind = count\n"
    "count = (SELECT count(*) FROM pragma_table_info('vpr'))\n";

static void test_refused_definitions(void **state)
{
    (void)state;
    sqlite3 *db = make_store();
    const char *path = write_file("bad", "bad.ini", bad_defs);
    char p[256];
    snprintf(p, sizeof p, "%s", path);
    struct soko_diag d;
    soko_diag_init(&d, 100);
    struct ind_set *set = (struct ind_set *)&d;   /* must be reset to NULL */
    assert_int_equal(ind_load(p, db, &set, &d), SOKO_ECONFIG);
    assert_null(set);
    char want[400];
    static const struct { int line; const char *text; } msgs[] = {
        {11, "[injection]: numerator: a ')' without its '('"},
        {12, "[injection]: denominator: reads table 'imports'"},
        {13, "[injection]: filter: calls function 'random'"},
        {14, "[injection]: n: ';' is not allowed"},
        {20, "[shape]: value: is an aggregate"},
        {21, "[shape]: weight: an unterminated /* comment"},
        {22, "[shape]: sumsq: no such column: m6"},
        {23, "[shape]: n: is not an aggregate"},
        {27, "[keys]: form: 'vprr' is unknown"},
        {28, "[keys]: kind: got 'ratio'; expected one of share, mean, count, rate"},
        {29, "[keys]: agg: unknown key; expected one of title, description, form"},
        {31, "[numbers]: base: missing; kind rate needs either base"},
        {36, "[numbers]: per: got '0'; expected a positive number"},
        {37, "[numbers]: min_n: got '-1'; expected a whole number from 0 to 1e9"},
        {38, "[numbers]: alert: got 'high'; expected a number"},
        {39, "[numbers]: years: got '2024-2023'"},
        {40, "[numbers]: breaks: 2024 after 2025"},
        {41, "[numbers]: better: got 'up'; expected one of higher, lower"},
        {42, "[numbers]: dims: 'class' is not a column of form olympiad"},
        {42, "[numbers]: dims: 'stage' is given twice"},
        {44, "[missing]: title: missing"},
        {44, "[missing]: denominator: missing; kind share needs it"},
        {48, "[missing]: value: not used by kind share"},
        {50, "[Bad-Id]: the id has characters other than"},
        {54, "[Bad-Id]: count: is not a plain SELECT"},
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        snprintf(want, sizeof want, "%s:%d: %s", p, msgs[i].line, msgs[i].text);
        HAS(&d, want);
    }
    assert_int_equal(d.total, sizeof msgs / sizeof msgs[0]);
    soko_diag_free(&d);
    sqlite3_close(db);
}

/* Hardening, round two, item 5: every number of a definition is range-checked at load
 * with file:line, in one format; NaN, infinities, hex and huge numbers are refused. */
static void test_numbers_range_checked(void **state)
{
    (void)state;
    sqlite3 *db = make_store();
    static const struct { const char *key, *value, *expect; } bad[] = {
        {"min_n", "99999999999999999999", "expected a whole number from 0 to 1e9"},
        {"min_n", "2.5", "expected a whole number from 0 to 1e9"},
        {"per", "nan", "expected a positive number"},
        {"per", "inf", "expected a positive number"},
        {"per", "0x10", "expected a positive number"},
        {"alert", "nan", "expected a number"},
        {"target", "-inf", "expected a number"},
        {"alert", "1e999", "expected a number"},
        {"census", "maybe", "expected one of yes, no"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        int rate = strcmp(bad[i].key, "per") == 0;
        snprintf(text, sizeof text,
                 "[x]\ntitle = x\nform = vpr\nkind = %s\ncount = sum(m2)\n%s%s = %s\n",
                 rate ? "rate" : "count", rate ? "base = sum(participants)\n" : "", bad[i].key,
                 bad[i].value);
        const char *path = write_file("num", "n.ini", text);
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct ind_set *set;
        assert_int_equal(ind_load(path, db, &set, &d), SOKO_ECONFIG);
        char want[512];
        snprintf(want, sizeof want, "n.ini:%d: [x]: %s: got '%s'; %s", rate ? 7 : 6, bad[i].key,
                 bad[i].value, bad[i].expect);
        HAS(&d, want);
        assert_int_equal(d.total, 1);
        soko_diag_free(&d);
    }
    sqlite3_close(db);
}

static void test_duplicate_across_files(void **state)
{
    (void)state;
    sqlite3 *db;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    assert_int_equal(ind_schema_db(&db, &d), SOKO_OK);
    write_file("dup", "a.ini", "[x]\ntitle = a\nform = vpr\nkind = count\ncount = sum(m2)\n");
    write_file("dup", "b.ini", "; b\n[x]\ntitle = b\nform = oge\nkind = count\ncount = sum(m2)\n");
    char dir[128], want[600];
    snprintf(dir, sizeof dir, "%s/dup", tmpdir);
    struct ind_set *set;
    assert_int_equal(ind_load(dir, db, &set, &d), SOKO_ECONFIG);
    snprintf(want, sizeof want, "%s/b.ini:2: [x]: the id is already defined at %s/a.ini:1", dir,
             dir);
    HAS(&d, want);
    assert_int_equal(d.total, 1);
    soko_diag_free(&d);
    sqlite3_close(db);
}

static void test_writable_refused(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct ind_set *set;
    assert_int_equal(ind_load(tmpdir, db, &set, &d), SOKO_EINTERNAL);
    HAS(&d, "writable");
    soko_diag_free(&d);
    sqlite3_close(db);
}

/* The default time limit grows with the rows of the form read; one given is kept. */
static void test_time_limit_rows(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    /* the rows counted: a rowid far beyond them (2,500,000) adds nothing */
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE vpr(x); WITH RECURSIVE n(i) AS (SELECT 1 "
                                      "UNION ALL SELECT i + 1 FROM n WHERE i < 249999) INSERT "
                                      "INTO vpr(x) SELECT i FROM n; INSERT INTO vpr(rowid, x) "
                                      "VALUES (2500000, 1);", NULL, NULL, NULL), SQLITE_OK);
    const struct form *vpr = form_find("vpr"), *oge = form_find("oge");
    double t = ind_time_limit(db, vpr);
    assert_true(t > IND_LIMIT_SECONDS + 0.25 * IND_LIMIT_SECONDS_PER_MROWS - 1e-9 &&
                t < IND_LIMIT_SECONDS + 0.25 * IND_LIMIT_SECONDS_PER_MROWS + 1e-9);
    assert_true(ind_time_limit(db, oge) == IND_LIMIT_SECONDS);   /* no table: the base */
    assert_true(ind_time_limit(db, NULL) == IND_LIMIT_SECONDS);
    double s0;
    long long m0;
    ind_get_limits(&s0, &m0);
    ind_set_limits(0.5, 0);
    assert_true(ind_time_limit(db, vpr) == 0.5);
    sqlite3_close(db);
}

/* --- the shipped set ----------------------------------------------------------------- */

static const char *shipped_dir(void)
{
    const char *top = getenv("TOP");
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/defs/indicators", top && *top ? top : ".");
    return buf;
}

static void test_shipped_set(void **state)
{
    (void)state;
    if (access(shipped_dir(), F_OK) != 0) skip();
    sqlite3 *db;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    /* the shipped monitorings' indicators read the shipped form definitions */
    char forms[600];
    snprintf(forms, sizeof forms, "%s/../forms", shipped_dir());
    assert_int_equal(formdef_load_dir(forms, 0, &d), SOKO_OK);
    assert_int_equal(ind_schema_db(&db, &d), SOKO_OK);
    struct ind_set *set;
    int rc = ind_load(shipped_dir(), db, &set, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    static const char *const must[] = {
        "vpr_fail", "vpr_pass", "vpr_quality", "vpr_sou", "vpr_mean_mark", "vpr_mean_score",
        "vpr_lowered", "vpr_confirmed", "vpr_raised", "oge_fail", "oge_pass", "oge_quality",
        "oge_sou", "oge_mean_mark", "ege_mean", "ege_below_min", "ege_high", "ege_100",
        "rdr_below_basic", "rdr_basic", "rdr_advanced", "rdr_mean_percent",
        "olymp_participation", "olymp_winners", "olymp_prizewinners", "olymp_efficiency",
        "adm_university", "adm_profile", "adm_college", "ctx_students", NULL};
    for (int i = 0; must[i]; i++)
        if (!ind_find(set, must[i])) {
            print_error("shipped set lacks %s\n", must[i]);
            fail();
        }
    /* every one evaluates on an empty store */
    struct ind_results r = IND_RESULTS_INIT;
    for (size_t i = 0; i < set->n; i++)
        assert_int_equal(ind_evaluate(set, &set->v[i], 0, 0, &r, &d), SOKO_OK);
    assert_int_equal(r.n, 0);
    ind_results_free(&r);
    ind_set_free(set);
    /* and on the fixture, with the СОУ of B as above */
    sqlite3_close(db);
    db = make_store();
    assert_int_equal(ind_load(shipped_dir(), db, &set, &d), SOKO_OK);
    for (size_t i = 0; i < set->n; i++)
        assert_int_equal(ind_evaluate(set, &set->v[i], 2024, 2024, &r, &d), SOKO_OK);
    CLOSE(find_row(&r, "vpr_sou", IND_SCHOOL, "B", 2024, "Математика")->value, 40);
    CLOSE(find_row(&r, "vpr_mean_mark", IND_SCHOOL, "B", 2024, "Математика")->value, 3.0);
    CLOSE(find_row(&r, "vpr_quality", IND_CLUSTER, "c1", 2024, "Математика")->value,
          100.0 * 36 / 110);
    ind_results_free(&r);
    ind_set_free(set);
    soko_diag_free(&d);
    sqlite3_close(db);
    formdef_unload_all();
}

/* --- ind_evaluate_all: batches give the rows of one-by-one evaluation ------------- */

struct copy {
    struct ind_row *v;
    size_t n;
};

static int copy_row(void *ctx, const struct ind_row *r)
{
    struct copy *c = ctx;
    c->v = realloc(c->v, (c->n + 1) * sizeof *c->v);
    assert_non_null(c->v);
    struct ind_row *w = &c->v[c->n++];
    *w = *r;
    w->unit = strdup(r->unit);
    for (int k = 0; k < r->ind->ndims; k++) w->dim[k] = strdup(r->dim[k]);
    return 0;
}

static void copy_free(struct copy *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free((char *)c->v[i].unit);
        for (int k = 0; k < c->v[i].ind->ndims; k++) free((char *)c->v[i].dim[k]);
    }
    free(c->v);
}

/* The same rows in the same order, every number the same bits. */
static void same_rows(struct ind_set *set, int y0, int y1)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct copy each = {NULL, 0}, all = {NULL, 0};
    for (size_t i = 0; i < set->n; i++)
        assert_int_equal(ind_evaluate_each(set, &set->v[i], y0, y1, copy_row, &each, &d), SOKO_OK);
    assert_int_equal(ind_evaluate_all(set, NULL, y0, y1, copy_row, &all, &d), SOKO_OK);
    assert_true(each.n > 0);
    assert_int_equal(all.n, each.n);
    for (size_t i = 0; i < each.n; i++) {
        const struct ind_row *a = &each.v[i], *b = &all.v[i];
        assert_ptr_equal(a->ind, b->ind);
        assert_int_equal(a->level, b->level);
        assert_string_equal(a->unit, b->unit);
        assert_int_equal(a->year, b->year);
        for (int k = 0; k < a->ind->ndims; k++) assert_string_equal(a->dim[k], b->dim[k]);
        const double x[] = {a->num, a->den, a->n, a->value, a->sd, a->lo, a->hi};
        const double y[] = {b->num, b->den, b->n, b->value, b->sd, b->lo, b->hi};
        assert_memory_equal(x, y, sizeof x);
        assert_int_equal(a->suppressed, b->suppressed);
        assert_int_equal(a->notes, b->notes);
    }
    /* one indicator alone */
    struct copy one = {NULL, 0};
    assert_int_equal(ind_evaluate_all(set, &set->v[set->n - 1], y0, y1, copy_row, &one, &d),
                     SOKO_OK);
    for (size_t i = 0; i < one.n; i++) assert_ptr_equal(one.v[i].ind, &set->v[set->n - 1]);
    copy_free(&one);
    copy_free(&each);
    copy_free(&all);
    soko_diag_free(&d);
}

/* The fixture's set has a batch of a mean with rows without a value, a mean with the
 * spread and a count (sou, score, fails: one form, no filter, no breakdown); the
 * shipped set has batches of shares, of filtered shares and of means. */
static void test_batches_same_rows(void **state)
{
    struct fx *f = *state;
    same_rows(f->set, 0, 0);
    same_rows(f->set, 2024, 2024);
    if (access(shipped_dir(), F_OK) != 0) return;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    /* the shipped monitorings' indicators read the shipped form definitions, and the
       store their tables (as test_shipped_set) */
    char forms[600];
    snprintf(forms, sizeof forms, "%s/../forms", shipped_dir());
    assert_int_equal(formdef_load_dir(forms, 0, &d), SOKO_OK);
    sqlite3 *db = make_store();
    struct ind_set *set;
    int rc = ind_load(shipped_dir(), db, &set, &d);
    for (size_t i = 0; i < d.nmsgs; i++) print_error("%s\n", d.msgs[i]);
    assert_int_equal(rc, SOKO_OK);
    same_rows(set, 0, 0);
    same_rows(set, 2025, 0);
    ind_set_free(set);
    sqlite3_close(db);
    soko_diag_free(&d);
    formdef_unload_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pooled_share, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_suppression, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_mean_t_interval, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_count_and_rate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_members_factors, fx_setup, fx_teardown),
        cmocka_unit_test(test_authorizer),
        cmocka_unit_test(test_refused_definitions),
        cmocka_unit_test(test_numbers_range_checked),
        cmocka_unit_test(test_duplicate_across_files),
        cmocka_unit_test(test_writable_refused),
        cmocka_unit_test(test_shipped_set),
        cmocka_unit_test_setup_teardown(test_batches_same_rows, fx_setup, fx_teardown),
        cmocka_unit_test(test_time_limit_rows),   /* last: it sets the limit for the process */
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
