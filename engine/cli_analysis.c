/*
 * cli_analysis.c — the analysis commands: trends, compare, context. Each evaluates the
 * indicators through indicators.h, runs analysis.h, and prints one table (aligned,
 * Russian headers), CSV or JSON. The CSV/JSON columns are documented in
 * docs/analysis.md and are stable: every output starts with indicator, level, year,
 * school_id, cluster_id, subject, grade, stage, breakdown, value, numerator,
 * denominator, n, ci_low, ci_high, then the command's own columns.
 */
#include "analysis.h"
#include "cli.h"
#include "indicators.h"
#include "stats.h"
#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ==== output: rows of strings, printed as a table, CSV or JSON ======================== */

enum ocol_kind { OC_TEXT, OC_NUM };

struct col {
    const char *key;      /* CSV/JSON name */
    const char *ru;       /* table header; NULL: not in the table */
    enum ocol_kind kind;
};

struct out {
    const struct col *cols;
    size_t ncols;
    char **cells;         /* nrows × ncols, each malloc'd ("" for empty) */
    size_t nrows, cap;
};

static void out_row(struct out *o, char **cells)
{
    if (o->nrows == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 64;
        o->cells = xrealloc(o->cells, o->cap * o->ncols * sizeof *o->cells);
    }
    memcpy(o->cells + o->nrows * o->ncols, cells, o->ncols * sizeof *cells);
    o->nrows++;
}

static void out_free(struct out *o)
{
    for (size_t i = 0; i < o->nrows * o->ncols; i++) free(o->cells[i]);
    free(o->cells);
}


static void pad(size_t n)
{
    while (n--) putchar(' ');
}



static void out_print(const struct out *o, const char *format)
{
    if (strcmp(format, "csv") == 0) {
        for (size_t j = 0; j < o->ncols; j++) {
            if (j) putchar(',');
            fputs(o->cols[j].key, stdout);
        }
        putchar('\n');
        for (size_t i = 0; i < o->nrows; i++) {
            for (size_t j = 0; j < o->ncols; j++) {
                if (j) putchar(',');
                cli_put_csv(o->cells[i * o->ncols + j]);
            }
            putchar('\n');
        }
        return;
    }
    if (strcmp(format, "json") == 0) {
        fputs("[", stdout);
        for (size_t i = 0; i < o->nrows; i++) {
            fputs(i ? ",\n {" : "\n {", stdout);
            for (size_t j = 0; j < o->ncols; j++) {
                const char *v = o->cells[i * o->ncols + j];
                if (j) fputs(", ", stdout);
                cli_put_json(o->cols[j].key);
                fputs(": ", stdout);
                if (o->cols[j].kind == OC_NUM) fputs(*v ? v : "null", stdout);
                else cli_put_json(v);
            }
            putchar('}');
        }
        fputs(o->nrows ? "\n]\n" : "]\n", stdout);
        return;
    }
    /* table: the columns with a Russian header, aligned */
    size_t *w = xcalloc(o->ncols, sizeof *w);
    for (size_t j = 0; j < o->ncols; j++) {
        if (!o->cols[j].ru) continue;
        w[j] = utf8_width(o->cols[j].ru);
        for (size_t i = 0; i < o->nrows; i++) {
            size_t cw = utf8_width(cli_term(o->cells[i * o->ncols + j]));
            if (cw > w[j]) w[j] = cw;
        }
    }
    int first = 1;
    for (size_t j = 0; j < o->ncols; j++) {
        if (!o->cols[j].ru) continue;
        if (!first) fputs("  ", stdout);
        first = 0;
        size_t cw = utf8_width(o->cols[j].ru);
        if (o->cols[j].kind == OC_NUM) pad(w[j] - cw);
        fputs(o->cols[j].ru, stdout);
        if (o->cols[j].kind != OC_NUM) pad(w[j] - cw);
    }
    putchar('\n');
    for (size_t i = 0; i < o->nrows; i++) {
        first = 1;
        for (size_t j = 0; j < o->ncols; j++) {
            if (!o->cols[j].ru) continue;
            if (!first) fputs("  ", stdout);
            first = 0;
            const char *v = cli_term(o->cells[i * o->ncols + j]);
            size_t cw = utf8_width(v);
            if (o->cols[j].kind == OC_NUM) pad(w[j] - cw);
            fputs(v, stdout);
            if (o->cols[j].kind != OC_NUM && j + 1 < o->ncols) pad(w[j] - cw);
        }
        putchar('\n');
    }
    free(w);
}

/* ==== numbers: deterministic text ======================================================= */

/* CSV and JSON carry every number at full precision (the shortest text that reads
 * back as the same double); only the table for people rounds. Set by session_open
 * from --format. */
static int machine;

/* Table: fixed decimals with trailing zeros trimmed; machine output: full precision;
 * "" (CSV empty, JSON null) for a value that is not defined — NaN, or an infinity
 * such as a z-score over a zero standard error; never "-0". */
static char *fnum(double x, int decimals)
{
    char buf[32];
    if (!isfinite(x)) return xstrdup("");
    if (machine) return xstrdup(num_roundtrip(x, buf));
    return num_trimmed(x, decimals);
}

/* Significant digits, for p-values (full precision in machine output). */
static char *fsig(double x)
{
    char buf[32];
    if (!isfinite(x)) return xstrdup("");
    if (machine) return xstrdup(num_roundtrip(x, buf));
    return xasprintf("%.4g", x);
}

static char *fint(long long x)
{
    return xasprintf("%lld", x);
}

/* ==== common columns ==================================================================== */

static const char *dim_value(const struct ind_row *r, const char *name)
{
    for (int k = 0; k < r->ind->ndims; k++)
        if (r->ind->dims[k] && strcmp(r->ind->dims[k], name) == 0)
            return r->dim[k] ? r->dim[k] : "";
    return "";
}

static char *breakdown(const struct indicator *ind, const char *const *dim)
{
    struct sbuf b = SBUF_INIT;
    for (int k = 0; k < ind->ndims; k++) {
        if (!dim[k]) continue;   /* pooled over (context models) */
        if (b.len) sbuf_adds(&b, ";");
        sbuf_printf(&b, "%s=%s", ind->dims[k], dim[k]);
    }
    return sbuf_take(&b);
}

/* Breakdown for people: the values joined by ", ". */
static char *breakdown_ru(const struct indicator *ind, const char *const *dim)
{
    struct sbuf b = SBUF_INIT;
    for (int k = 0; k < ind->ndims; k++) {
        if (!dim[k]) continue;
        if (b.len) sbuf_adds(&b, ", ");
        if (strcmp(ind->dims[k], "grade") == 0) sbuf_printf(&b, "%s кл.", dim[k]);
        else sbuf_adds(&b, dim[k]);
    }
    if (!b.len) sbuf_adds(&b, "все");
    return sbuf_take(&b);
}

#define NCOMMON 15
#define COMMON_COLS(first_ru)                                                  \
    {"indicator", "Показатель", OC_TEXT}, {"level", NULL, OC_TEXT},          \
    {"year", "Год", OC_NUM}, {"school_id", first_ru, OC_TEXT},               \
    {"cluster_id", NULL, OC_TEXT}, {"subject", NULL, OC_TEXT},               \
    {"grade", NULL, OC_TEXT}, {"stage", NULL, OC_TEXT},                      \
    {"breakdown", "Разрез", OC_TEXT}, {"value", "Значение", OC_NUM},         \
    {"numerator", NULL, OC_NUM}, {"denominator", NULL, OC_NUM},              \
    {"n", "n", OC_NUM}, {"ci_low", NULL, OC_NUM}, {"ci_high", NULL, OC_NUM}

/* The clusters of a school, joined by ';' (members are sorted by cluster). */
static char *clusters_of(const struct ind_members *m, const char *school)
{
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].school_id, school) == 0) {
            if (b.len) sbuf_adds(&b, ";");
            sbuf_adds(&b, m->v[i].cluster_id);
        }
    return sbuf_take(&b);
}

/* Fills cells[0..NCOMMON) for row r (year: r's); a suppressed row shows no figure. */
static void common_cells(char **cells, const struct ind_row *r, const struct ind_members *m,
                         const char *cluster_id)
{
    cells[0] = xstrdup(r->ind->id);
    cells[1] = xstrdup(ind_level_name(r->level));
    cells[2] = fint(r->year);
    if (r->level == IND_SCHOOL) {
        cells[3] = xstrdup(r->unit);
        cells[4] = cluster_id ? xstrdup(cluster_id) : clusters_of(m, r->unit);
    } else {
        cells[3] = xstrdup("");
        cells[4] = xstrdup(r->level == IND_CLUSTER ? r->unit : "");
    }
    cells[5] = xstrdup(dim_value(r, "subject"));
    cells[6] = xstrdup(dim_value(r, "grade"));
    cells[7] = xstrdup(dim_value(r, "stage"));
    cells[8] = breakdown(r->ind, r->dim);
    int hide = r->suppressed;
    cells[9] = hide ? xstrdup("") : fnum(r->value, 4);
    cells[10] = hide ? xstrdup("") : fnum(r->num, 4);
    cells[11] = hide ? xstrdup("") : fnum(r->den, 4);
    cells[12] = hide ? xstrdup("") : fnum(r->n, 4);
    cells[13] = hide ? xstrdup("") : fnum(r->lo, 4);
    cells[14] = hide ? xstrdup("") : fnum(r->hi, 4);
}

/* For the table: the unit in words and the breakdown in words. */
static char *unit_ru(const struct ind_row *r)
{
    if (r->level == IND_DISTRICT) return xstrdup("район");
    if (r->level == IND_CLUSTER) return xasprintf("кластер %s", r->unit);
    return xasprintf("ОО %s", r->unit);
}

/* ==== the session: store, indicators, results ========================================== */

struct session {
    struct store *store;
    struct ind_set *set;
    struct ind_members members;
    struct ind_results res;
    struct ana_window win;
    const char *indicators;     /* the directory (or file) of definitions */
};



static int session_open(struct cli *c, struct session *S)
{
    memset(S, 0, sizeof *S);
    S->res = (struct ind_results)IND_RESULTS_INIT;
    stats_init();
    machine = c->format && strcmp(c->format, "table") != 0;
    if (cli_years(c->years, &S->win.y0, &S->win.y1) != 0) {
        fprintf(stderr, _("soko: --years '%s': expected YEAR or FROM-TO, e.g. 2024-2026\n"),
                cli_term(c->years));
        return SOKO_EUSAGE;
    }
    if (cli_check_format(c) != SOKO_OK) return SOKO_EUSAGE;
    int rc = cli_open_store(c, 1, &S->store);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    S->indicators = cli_indicators_dir(c);
    if (!S->indicators) {
        soko_diag_free(&d);
        return SOKO_EIO;
    }
    rc = ind_load(S->indicators, store_db(S->store), &S->set, &d);
    if (rc == SOKO_OK) rc = ind_members(S->set, &S->members, &d);
    if (rc) cli_print_diag(&d);
    soko_diag_free(&d);
    return rc;
}

static void session_close(struct session *S)
{
    ind_results_free(&S->res);
    if (S->set) {
        ind_members_free(&S->members);
        ind_set_free(S->set);
    }
    if (S->store) store_close(S->store);
}

/* Evaluates the indicators asked for (--indicator ID[,ID...], else all). */
static int session_eval(struct cli *c, struct session *S)
{
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    int rc = SOKO_OK;
    if (c->indicator && *c->indicator) {
        char *list = xstrdup(c->indicator), *save = NULL;
        for (char *t = strtok_r(list, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
            str_trim(t);
            const struct indicator *ind = ind_find(S->set, t);
            if (!ind) {
                char **ids = xmalloc((S->set->n + 1) * sizeof *ids);
                for (size_t i = 0; i < S->set->n; i++) ids[i] = S->set->v[i].id;
                char *near = cli_suggest(t, ids, S->set->n);
                fprintf(stderr, _("soko: --indicator: no indicator '%s' in %s; %s\n"),
                        cli_term(t), cli_term(S->indicators), near);
                free(near);
                free(ids);
                rc = SOKO_EUSAGE;
                break;
            }
            rc = ind_evaluate(S->set, ind, S->win.y0, S->win.y1, &S->res, &d);
        }
        free(list);
    } else {
        for (size_t i = 0; i < S->set->n && !rc; i++)
            rc = ind_evaluate(S->set, &S->set->v[i], S->win.y0, S->win.y1, &S->res, &d);
    }
    if (rc) cli_print_diag(&d);
    soko_diag_free(&d);
    return rc;
}

static int cluster_exists(const struct ind_members *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].cluster_id, id) == 0) return 1;
    return 0;
}

static int school_in(const struct ind_members *m, const char *cluster, const char *school)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].cluster_id, cluster) == 0 && strcmp(m->v[i].school_id, school) == 0)
            return 1;
    return 0;
}

/* --school: a school the store knows, and in --cluster when both are given. */
static int check_school(const struct cli *c, struct session *S)
{
    if (!c->school) return SOKO_OK;
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    int known = ind_school_known(S->set, c->school, &d), rc = SOKO_OK;
    if (known < 0) {
        cli_print_diag(&d);
        rc = SOKO_EDB;
    } else if (!known) {
        fprintf(stderr, _("soko: --school: no school '%s' in the store (not in the schools "
                          "registry, a cluster or any form)\n"), cli_term(c->school));
        rc = SOKO_EUSAGE;
    } else if (c->cluster && !school_in(&S->members, c->cluster, c->school)) {
        fprintf(stderr, _("soko: --school: school '%s' is not in cluster '%s'\n"),
                cli_term(c->school), cli_term(c->cluster));
        rc = SOKO_EUSAGE;
    }
    soko_diag_free(&d);
    return rc;
}

static void trends_append(struct ana_trends *t, const struct ana_trend *x)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = *x;
}

/* Same indicator and breakdown. */
static int same_trend_cell(const struct ana_trend *a, const struct ana_trend *b)
{
    if (a->ind != b->ind) return 0;
    for (int k = 0; k < a->ind->ndims; k++)
        if (strcmp(a->dim[k] ? a->dim[k] : "", b->dim[k] ? b->dim[k] : "") != 0) return 0;
    return 1;
}

static const char *label_ru(enum stats_trend_label l)
{
    switch (l) {
    case STATS_TREND_IMPROVING: return "улучшение";
    case STATS_TREND_WORSENING: return "ухудшение";
    case STATS_TREND_NO_CHANGE: return "без значимых изменений";
    default: return "недостаточно данных";
    }
}

/* ==== soko trends ======================================================================= */

static const struct col trend_cols[] = {
    COMMON_COLS("ОО / уровень"),
    {"year_from", "С", OC_NUM}, {"year_to", NULL, OC_NUM},
    {"points", "Лет", OC_NUM}, {"after_break", NULL, OC_NUM},
    {"first", "Было", OC_NUM}, {"change", "Изменение", OC_NUM},
    {"slope", "Наклон/год", OC_NUM}, {"slope_se", "±SE", OC_NUM}, {"slope_p", NULL, OC_NUM},
    {"test", NULL, OC_TEXT}, {"test_z", NULL, OC_NUM}, {"test_p", "p", OC_NUM},
    {"no_going_back", NULL, OC_NUM}, {"label", NULL, OC_TEXT}, {"label_ru", "Оценка", OC_TEXT},
};
#define NTREND (sizeof trend_cols / sizeof trend_cols[0])

int cmd_trends(struct cli *c)
{
    struct session S;
    int rc = session_open(c, &S);
    if (!rc) rc = session_eval(c, &S);
    if (rc) {
        session_close(&S);
        return rc;
    }
    if (c->cluster && !cluster_exists(&S.members, c->cluster)) {
        fprintf(stderr, _("soko: --cluster: no cluster '%s' in the store\n"), cli_term(c->cluster));
        session_close(&S);
        return SOKO_EUSAGE;
    }
    rc = check_school(c, &S);
    if (rc) {
        session_close(&S);
        return rc;
    }
    struct ana_trend_opts o;
    memset(&o, 0, sizeof o);
    o.window = S.win;
    struct ana_trends t = {0};
    /* print order: every series (with --cluster, the district's, the cluster's and its
       schools'); with --school, each of the school's series followed by the same
       series of its clusters (--cluster's only, when given) and of the district */
    const struct ana_trend **ord = NULL;
    size_t nord = 0;
    if (c->school) {
        struct ana_trends ref = {0};
        o.unit = c->school;
        o.level_mask = 1 << IND_SCHOOL;
        ana_trends(&S.res, &o, &t);
        o.unit = NULL;
        o.level_mask = (1 << IND_CLUSTER) | (1 << IND_DISTRICT);
        ana_trends(&S.res, &o, &ref);
        size_t nt = t.n;
        for (size_t i = 0; i < ref.n; i++) {   /* keep only the school's clusters */
            const struct ana_trend *y = &ref.v[i];
            if (y->level == IND_CLUSTER &&
                !(c->cluster ? strcmp(y->unit, c->cluster) == 0
                             : school_in(&S.members, y->unit, c->school)))
                continue;
            trends_append(&t, y);
        }
        ana_trends_free(&ref);
        ord = xmalloc((t.n + 1) * sizeof *ord);
        for (size_t i = 0; i < nt; i++) {
            ord[nord++] = &t.v[i];
            for (int lv = IND_CLUSTER; lv >= IND_DISTRICT; lv--)
                for (size_t q = nt; q < t.n; q++)
                    if ((int)t.v[q].level == lv && same_trend_cell(&t.v[i], &t.v[q]))
                        ord[nord++] = &t.v[q];
        }
    } else {
        ana_trends(&S.res, &o, &t);
        ord = xmalloc((t.n + 1) * sizeof *ord);
        for (size_t i = 0; i < t.n; i++) {
            const struct ana_trend *x = &t.v[i];
            if (c->cluster) {
                /* the cluster's row, its schools', and the district's for reference */
                if (x->level == IND_CLUSTER && strcmp(x->unit, c->cluster) != 0) continue;
                if (x->level == IND_SCHOOL && !school_in(&S.members, c->cluster, x->unit))
                    continue;
            }
            ord[nord++] = x;
        }
    }
    int table = strcmp(c->format, "table") == 0;
    struct out out = {trend_cols, NTREND, NULL, 0, 0};
    for (size_t i = 0; i < nord; i++) {
        const struct ana_trend *x = ord[i];
        char *cells[NTREND];
        /* the common columns describe the last year used (or, with no point, the
           series' identity in the window's last year, without figures) */
        struct ind_row blank;
        const struct ind_row *r = x->npoints ? x->rows[x->npoints - 1] : NULL;
        if (!r) {
            memset(&blank, 0, sizeof blank);
            blank.ind = x->ind;
            blank.level = x->level;
            blank.unit = x->unit;
            blank.year = x->y1;
            memcpy(blank.dim, x->dim, sizeof blank.dim);
            blank.suppressed = 1;
            r = &blank;
        }
        common_cells(cells, r, &S.members, c->cluster);
        if (table) {
            free(cells[3]);
            cells[3] = unit_ru(r);
            free(cells[8]);
            cells[8] = breakdown_ru(x->ind, x->dim);
        }
        size_t k = NCOMMON;
        cells[k++] = fint(x->y0);
        cells[k++] = fint(x->y1);
        cells[k++] = fint((long long)x->npoints);
        cells[k++] = fint(x->after_break);
        cells[k++] = fnum(x->first, 4);
        cells[k++] = fnum(x->change, 4);
        cells[k++] = fnum(x->slope, 4);
        cells[k++] = fnum(x->se, 4);
        cells[k++] = fsig(x->p);
        cells[k++] = xstrdup(x->test ? x->test : "");
        cells[k++] = fnum(x->test_z, 4);
        cells[k++] = fsig(x->test_p);
        cells[k++] = fint(x->no_going_back);
        cells[k++] = xstrdup(stats_trend_label_name(x->label));
        cells[k++] = xstrdup(label_ru(x->label));
        out_row(&out, cells);
    }
    if (table && !nord) {
        fputs(_("no trends for the years, indicators and units asked for\n"), stdout);
    } else {
        out_print(&out, c->format);
        if (table)
            printf("\nОкно: %d–%d (после разрыва шкалы — с года разрыва); p — тест "
                   "Кокрена–Армитажа для долей, z наклона при известной дисперсии для "
                   "средних, score-тест Пуассона для численностей и показателей на 100, "
                   "иначе t-тест наклона МНК; уровень значимости 0.05.\n",
                   ord[0]->win_y0, ord[0]->win_y1);
    }
    free(ord);
    out_free(&out);
    ana_trends_free(&t);
    session_close(&S);
    return SOKO_OK;
}

/* ==== soko compare ====================================================================== */

static const char *pos_ru(const struct ana_vs *v)
{
    if (!v->has_funnel) return "—";
    switch (v->verdict) {
    case 2: return "выше 99.8%";
    case 1: return "выше 95%";
    case -1: return "ниже 95%";
    case -2: return "ниже 99.8%";
    default: return "в пределах";
    }
}

static const struct col cmp_cols[] = {
    COMMON_COLS("ОО / уровень"),
    {"cluster_value", "Кластер", OC_NUM}, {"diff_cluster", NULL, OC_NUM},
    {"z_cluster", NULL, OC_NUM},
    {"district_value", "Район", OC_NUM}, {"diff_district", "Δ район", OC_NUM},
    {"z_district", "z", OC_NUM},
    {"funnel_lo998", NULL, OC_NUM}, {"funnel_lo95", NULL, OC_NUM},
    {"funnel_hi95", NULL, OC_NUM}, {"funnel_hi998", NULL, OC_NUM},
    {"funnel", NULL, OC_TEXT}, {"verdict", NULL, OC_NUM},
    {"funnel_ru", "Воронка (район)", OC_TEXT},
    {"peers", NULL, OC_NUM}, {"pct_rank", "Перцентиль", OC_NUM}, {"rank", "Место", OC_NUM},
    {"eb", "EB", OC_NUM}, {"eb_low", NULL, OC_NUM}, {"eb_high", NULL, OC_NUM},
    {"eb_rank", NULL, OC_NUM},
    {"rest_value", NULL, OC_NUM}, {"t", NULL, OC_NUM}, {"p", NULL, OC_NUM},
    {"cluster_verdict", NULL, OC_NUM},
};
#define NCMP (sizeof cmp_cols / sizeof cmp_cols[0])

int cmd_compare(struct cli *c)
{
    if (!c->cluster || !*c->cluster) {
        fprintf(stderr, _("soko: compare needs --cluster ID (see soko help compare)\n"));
        return SOKO_EUSAGE;
    }
    struct session S;
    int rc = session_open(c, &S);
    if (!rc && !cluster_exists(&S.members, c->cluster)) {
        fprintf(stderr, _("soko: --cluster: no cluster '%s' in the store\n"), cli_term(c->cluster));
        rc = SOKO_EUSAGE;
    }
    if (!rc) rc = check_school(c, &S);
    if (!rc) rc = session_eval(c, &S);
    if (rc) {
        session_close(&S);
        return rc;
    }
    struct ana_compare_opts o;
    memset(&o, 0, sizeof o);
    o.window = S.win;
    o.school = c->school;
    struct ana_compares cmp = {0};
    ana_compare(&S.res, &S.members, c->cluster, &o, &cmp);
    int table = strcmp(c->format, "table") == 0;
    struct out out = {cmp_cols, NCMP, NULL, 0, 0};
    for (size_t i = 0; i < cmp.n; i++) {
        const struct ana_compare *e = &cmp.v[i];
        const struct ind_row *r = e->row;
        char *cells[NCMP];
        common_cells(cells, r, &S.members, c->cluster);
        if (table) {
            free(cells[3]);
            cells[3] = unit_ru(r);
            free(cells[8]);
            cells[8] = breakdown_ru(r->ind, r->dim);
        }
        size_t k = NCOMMON;
        const struct ana_vs *vc = &e->vs_cluster, *vd = &e->vs_district;
        cells[k++] = vc->ref ? fnum(vc->ref->value, 4) : xstrdup("");
        cells[k++] = fnum(vc->diff, 4);
        cells[k++] = fnum(vc->z, 4);
        cells[k++] = vd->ref ? fnum(vd->ref->value, 4) : xstrdup("");
        cells[k++] = fnum(vd->diff, 4);
        cells[k++] = fnum(vd->z, 4);
        cells[k++] = fnum(vd->has_funnel ? vd->funnel.lo998 : NAN, 4);
        cells[k++] = fnum(vd->has_funnel ? vd->funnel.lo95 : NAN, 4);
        cells[k++] = fnum(vd->has_funnel ? vd->funnel.hi95 : NAN, 4);
        cells[k++] = fnum(vd->has_funnel ? vd->funnel.hi998 : NAN, 4);
        cells[k++] = xstrdup(vd->has_funnel ? stats_funnel_pos_name(vd->pos) : "");
        cells[k++] = fint(vd->verdict);
        cells[k++] = xstrdup(pos_ru(vd));
        cells[k++] = fint((long long)e->peers);
        cells[k++] = fnum(e->pct_rank, 1);
        cells[k++] = r->level == IND_SCHOOL ? fint(e->rank) : xstrdup("");
        cells[k++] = e->has_eb ? fnum(e->eb, 4) : xstrdup("");
        cells[k++] = e->has_eb ? fnum(e->eb_lo, 4) : xstrdup("");
        cells[k++] = e->has_eb ? fnum(e->eb_hi, 4) : xstrdup("");
        cells[k++] = e->has_eb ? fint(e->eb_rank) : xstrdup("");
        cells[k++] = fnum(e->rest_value, 4);
        cells[k++] = fnum(e->t, 4);
        cells[k++] = fsig(e->p);
        cells[k++] = r->level == IND_CLUSTER ? fint(e->cluster_verdict) : xstrdup("");
        out_row(&out, cells);
    }
    out_print(&out, c->format);
    if (table)
        printf("\nВоронка: контрольные границы 95%% и 99.8%% вокруг значения района при n "
               "школы (Spiegelhalter, 2005); перцентиль и место — среди школ кластера, "
               "100 и 1 — лучшие; EB — доля после эмпирико-байесовского сглаживания.\n");
    out_free(&out);
    ana_compares_free(&cmp);
    session_close(&S);
    return SOKO_OK;
}

/* ==== soko context ====================================================================== */

static const struct col ctx_cols[] = {
    COMMON_COLS("ОО"),
    {"model", NULL, OC_TEXT}, {"expected", "Ожидаемое", OC_NUM},
    {"residual", "Ст. остаток", OC_NUM}, {"r2", "R²", OC_NUM},
    {"schools", NULL, OC_NUM}, {"bound", NULL, OC_NUM},
    {"odds", NULL, OC_TEXT}, {"odds_ru", "Итог за окно", OC_TEXT},
    /* the year's regression: its terms and, in the same order, coefficients, standard
       errors and p-values, each list ';'-separated (csv/json only) */
    {"terms", NULL, OC_TEXT}, {"coef", NULL, OC_TEXT}, {"coef_se", NULL, OC_TEXT},
    {"coef_p", NULL, OC_TEXT},
};
#define NCTX (sizeof ctx_cols / sizeof ctx_cols[0])

/* One list of the regression's numbers, ';'-separated, in the order of its terms. */
static char *fit_list(const struct ana_ctx_fit *f, const double *v, int p)
{
    struct sbuf b = SBUF_INIT;
    for (int j = 0; f && j < f->ncoef; j++) {
        char *x = p ? fsig(v[j]) : fnum(v[j], 6);
        sbuf_printf(&b, "%s%s", j ? ";" : "", x);
        free(x);
    }
    if (!b.s) sbuf_adds(&b, "");
    return sbuf_take(&b);
}

static const char *odds_ru(enum ana_odds o)
{
    switch (o) {
    case ANA_ODDS_BEATING: return "выше ожидаемого (резильентная)";
    case ANA_ODDS_BELOW: return "ниже ожидаемого";
    default: return "";
    }
}

int cmd_context(struct cli *c)
{
    struct session S;
    int rc = session_open(c, &S);
    if (!rc && c->cluster && !cluster_exists(&S.members, c->cluster)) {
        fprintf(stderr, _("soko: --cluster: no cluster '%s' in the store\n"), cli_term(c->cluster));
        rc = SOKO_EUSAGE;
    }
    if (!rc) rc = check_school(c, &S);
    if (rc) {
        session_close(&S);
        return rc;
    }
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    struct ana_models ms = {0};
    rc = cli_load_context(c, &ms, &d);
    if (!rc && ms.n == 0) {
        fprintf(stderr, _("soko: no context models: expected them in %s (see docs/analysis.md)\n"),
                c->context ? c->context : "DEFS/context.ini");
        rc = SOKO_ECONFIG;
    }
    int table = strcmp(c->format, "table") == 0;
    struct out out = {ctx_cols, NCTX, NULL, 0, 0};
    int matched = 0;
    for (size_t i = 0; i < ms.n && !rc; i++) {
        const struct ana_model *md = &ms.v[i];
        if (c->indicator && strcmp(c->indicator, md->id) && strcmp(c->indicator, md->indicator))
            continue;
        matched = 1;
        struct ana_context cx = {0};
        rc = ana_context_eval(S.set, md, &S.win, &S.res, &cx, &d);
        for (size_t j = 0; j < cx.n && !rc; j++) {
            const struct ana_ctx_school *e = &cx.v[j];
            if (c->school && strcmp(c->school, e->school_id)) continue;
            if (c->cluster && !school_in(&S.members, c->cluster, e->school_id)) continue;
            for (int y = 0; y < e->nyears; y++) {
                const struct ind_row *r = e->rows[y];
                if (!r && table) continue;
                struct ind_row blank;
                if (!r) {
                    memset(&blank, 0, sizeof blank);
                    blank.ind = e->ind;
                    blank.level = IND_SCHOOL;
                    blank.unit = e->school_id;
                    blank.year = e->years[y];
                    memcpy(blank.dim, e->dim, sizeof blank.dim);
                    blank.suppressed = 1;
                    r = &blank;
                }
                char *cells[NCTX];
                common_cells(cells, r, &S.members, NULL);
                if (table) {
                    free(cells[8]);
                    cells[8] = breakdown_ru(e->ind, e->dim);
                }
                size_t k = NCOMMON;
                cells[k++] = xstrdup(md->id);
                cells[k++] = fnum(e->expected[y], 4);
                cells[k++] = fnum(e->resid[y], 3);
                cells[k++] = fnum(e->r2[y], 3);
                cells[k++] = fint((long long)e->nschools[y]);
                cells[k++] = fnum(md->bound, 3);
                cells[k++] = xstrdup(ana_odds_name(e->odds));
                cells[k++] = xstrdup(y + 1 == e->nyears || table ? odds_ru(e->odds) : "");
                if (table && y + 1 != e->nyears) {
                    free(cells[k - 1]);
                    cells[k - 1] = xstrdup("");
                }
                const struct ana_ctx_fit *f = e->fit[y] >= 0 ? &cx.fits[e->fit[y]] : NULL;
                struct sbuf terms = SBUF_INIT;
                if (f) {
                    sbuf_adds(&terms, "(intercept)");
                    for (int q = 0; q < md->nfactors; q++) sbuf_printf(&terms, ";%s", md->factors[q]);
                } else
                    sbuf_adds(&terms, "");
                cells[k++] = sbuf_take(&terms);
                cells[k++] = fit_list(f, f ? f->coef : NULL, 0);
                cells[k++] = fit_list(f, f ? f->se : NULL, 0);
                cells[k++] = fit_list(f, f ? f->p : NULL, 1);
                out_row(&out, cells);
            }
        }
        ana_context_free(&cx);
    }
    if (!rc && !matched) {
        fprintf(stderr, _("soko: --indicator '%s': no context model or indicator of that name "
                          "in the context models\n"), c->indicator);
        rc = SOKO_EUSAGE;
    }
    if (rc) cli_print_diag(&d);
    else {
        out_print(&out, c->format);
        if (table)
            printf("\nСт. остаток: стандартизованный остаток регрессии значения школы на "
                   "контекстные факторы по школам района (> 0 — лучше ожидаемого); итог — "
                   "за пределами границы в каждом году окна.\n");
    }
    out_free(&out);
    soko_diag_free(&d);
    ana_models_free(&ms);
    session_close(&S);
    return rc;
}
