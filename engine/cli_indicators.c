/*
 * cli_indicators.c — `soko indicators`: every indicator per school, cluster and
 * district, per year and breakdown, as a table (people), CSV or JSON (programs).
 *
 * CSV and JSON columns, stable (docs/indicators.md): indicator, level, year,
 * school_id, cluster_id, subject, grade, stage, then any other breakdown columns the
 * loaded indicators use (in order of first use), value, numerator, denominator, n,
 * ci_low, ci_high, suppressed. A suppressed row (n < min_n) leaves every number empty.
 */
#include "cli.h"
#include "escape.h"
#include "indicators.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>



/* ---------------------------------------------------------------- columns */

struct outctx {
    const struct cli *c;
    const struct ind_members *m;
    const char *dimcols[16];      /* breakdown columns: subject, grade, stage, others */
    int ndimcols;
    size_t *sel;                  /* indexes of the rows to print, in order */
    size_t nsel;
};

static void add_dimcol(struct outctx *o, const char *name)
{
    for (int i = 0; i < o->ndimcols; i++)
        if (strcmp(o->dimcols[i], name) == 0) return;
    if (o->ndimcols < 16) o->dimcols[o->ndimcols++] = name;
}

static const char *row_dim(const struct ind_row *r, const char *col)
{
    for (int k = 0; k < r->ind->ndims; k++)
        if (strcmp(r->ind->dims[k], col) == 0) return r->dim[k];
    return "";
}

/* Is school in cluster? */
static int member_of(const struct ind_members *m, const char *cluster, const char *school)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].cluster_id, cluster) == 0 && strcmp(m->v[i].school_id, school) == 0)
            return 1;
    return 0;
}

/* The cluster_id column: a cluster row's own id; for a school row the --cluster asked
 * for, else every cluster of the school, ';'-separated in id order. */
static void cluster_col(const struct outctx *o, const struct ind_row *r, struct sbuf *b)
{
    sbuf_reset(b);
    sbuf_adds(b, "");
    if (r->level == IND_CLUSTER) {
        sbuf_adds(b, r->unit);
    } else if (r->level == IND_SCHOOL) {
        if (o->c->cluster) {
            sbuf_adds(b, o->c->cluster);
            return;
        }
        for (size_t i = 0; i < o->m->n; i++)
            if (strcmp(o->m->v[i].school_id, r->unit) == 0)
                sbuf_printf(b, "%s%s", b->len ? ";" : "", o->m->v[i].cluster_id);
    }
}

/* Same indicator and breakdown. */
static int same_cell(const struct ind_row *a, const struct ind_row *b)
{
    if (a->ind != b->ind) return 0;
    for (int k = 0; k < a->ind->ndims; k++)
        if (strcmp(a->dim[k], b->dim[k]) != 0) return 0;
    return 1;
}

/* The rows to print, in print order (o->sel). Without --school and --cluster, all of
 * them as evaluated. --cluster: the cluster's rows and its schools'. --school: each
 * series of the school (an indicator in one breakdown, its years), followed by the
 * same series of its clusters (only --cluster's, when given) and of the district, so
 * that a reader compares line by line. */
static void select_rows(struct outctx *o, const struct ind_results *res)
{
    const struct cli *c = o->c;
    o->sel = xmalloc((res->n + 1) * sizeof *o->sel);
    o->nsel = 0;
    if (!c->school) {
        for (size_t i = 0; i < res->n; i++) {
            const struct ind_row *r = &res->v[i];
            if (c->cluster) {
                if (r->level == IND_DISTRICT) continue;
                if (r->level == IND_CLUSTER && strcmp(c->cluster, r->unit) != 0) continue;
                if (r->level == IND_SCHOOL && !member_of(o->m, c->cluster, r->unit)) continue;
            }
            o->sel[o->nsel++] = i;
        }
        return;
    }
    /* the references: rows of the school's clusters and of the district */
    size_t *ref = xmalloc((res->n + 1) * sizeof *ref), nref = 0;
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *r = &res->v[i];
        if (r->level == IND_DISTRICT ||
            (r->level == IND_CLUSTER && (c->cluster ? strcmp(c->cluster, r->unit) == 0
                                                    : member_of(o->m, r->unit, c->school))))
            ref[nref++] = i;
    }
    for (size_t i = 0; i < res->n;) {
        const struct ind_row *r = &res->v[i];
        size_t j = i + 1;
        if (r->level != IND_SCHOOL || strcmp(r->unit, c->school) != 0) {
            i = j;
            continue;
        }
        while (j < res->n && res->v[j].level == IND_SCHOOL &&
               strcmp(res->v[j].unit, c->school) == 0 && same_cell(r, &res->v[j]))
            j++;
        for (size_t q = i; q < j; q++) o->sel[o->nsel++] = q;
        /* the clusters', then the district's (ref holds them in evaluation order,
           district first) */
        for (size_t q = 0; q < nref; q++)
            if (res->v[ref[q]].level == IND_CLUSTER && same_cell(r, &res->v[ref[q]]))
                o->sel[o->nsel++] = ref[q];
        for (size_t q = 0; q < nref; q++)
            if (res->v[ref[q]].level == IND_DISTRICT && same_cell(r, &res->v[ref[q]]))
                o->sel[o->nsel++] = ref[q];
        i = j;
    }
    free(ref);
}

/* Numbers of machine output: the shortest text that reads back as the same double
 * (num_roundtrip); `null` for a missing or non-finite value (empty in CSV, null in
 * JSON: a value that cannot be computed, e.g. a share of 0 participants). */
static void num(struct sbuf *b, double v, const char *null)
{
    char buf[32];
    if (!isfinite(v)) sbuf_adds(b, null);
    else sbuf_adds(b, num_roundtrip(v, buf));
}

/* ---------------------------------------------------------------- csv, json */

/* A CSV text field: quoted as needed, and guarded against spreadsheet formulas. */
static void csv_field(struct sbuf *b, const char *s)
{
    esc_csv(b, s);
}


static const char *const num_cols[] = {"value", "numerator", "denominator", "n", "ci_low",
                                       "ci_high"};

static void row_nums(const struct ind_row *r, double v[6])
{
    v[0] = r->value;
    v[1] = r->num;
    v[2] = r->den;
    v[3] = r->n;
    v[4] = r->lo;
    v[5] = r->hi;
    if (r->suppressed)
        for (int i = 0; i < 6; i++) v[i] = NAN;
}

static void write_csv(const struct outctx *o, const struct ind_results *res, struct sbuf *b)
{
    sbuf_adds(b, "indicator,level,year,school_id,cluster_id");
    for (int i = 0; i < o->ndimcols; i++) sbuf_printf(b, ",%s", o->dimcols[i]);
    sbuf_adds(b, ",value,numerator,denominator,n,ci_low,ci_high,suppressed\n");
    struct sbuf cl = SBUF_INIT;
    for (size_t i = 0; i < o->nsel; i++) {
        const struct ind_row *r = &res->v[o->sel[i]];
        sbuf_printf(b, "%s,%s,%d,", r->ind->id, ind_level_name(r->level), r->year);
        csv_field(b, r->level == IND_SCHOOL ? r->unit : "");
        sbuf_addc(b, ',');
        cluster_col(o, r, &cl);
        csv_field(b, cl.s);
        for (int k = 0; k < o->ndimcols; k++) {
            sbuf_addc(b, ',');
            csv_field(b, row_dim(r, o->dimcols[k]));
        }
        double v[6];
        row_nums(r, v);
        for (int k = 0; k < 6; k++) {
            sbuf_addc(b, ',');
            num(b, v[k], "");
        }
        sbuf_printf(b, ",%d\n", r->suppressed);
    }
    sbuf_free(&cl);
}

static void write_json(const struct outctx *o, const struct ind_results *res, struct sbuf *b)
{
    sbuf_adds(b, "[");
    struct sbuf cl = SBUF_INIT;
    int first = 1;
    for (size_t i = 0; i < o->nsel; i++) {
        const struct ind_row *r = &res->v[o->sel[i]];
        sbuf_adds(b, first ? "\n" : ",\n");
        first = 0;
        sbuf_adds(b, "{\"indicator\":");
        esc_json(b, r->ind->id);
        sbuf_printf(b, ",\"level\":\"%s\",\"year\":%d,\"school_id\":", ind_level_name(r->level),
                    r->year);
        esc_json(b, r->level == IND_SCHOOL ? r->unit : "");
        sbuf_adds(b, ",\"cluster_id\":");
        cluster_col(o, r, &cl);
        esc_json(b, cl.s);
        for (int k = 0; k < o->ndimcols; k++) {
            sbuf_printf(b, ",\"%s\":", o->dimcols[k]);
            esc_json(b, row_dim(r, o->dimcols[k]));
        }
        double v[6];
        row_nums(r, v);
        for (int k = 0; k < 6; k++) {
            sbuf_printf(b, ",\"%s\":", num_cols[k]);
            num(b, v[k], "null");
        }
        sbuf_printf(b, ",\"suppressed\":%s}", r->suppressed ? "true" : "false");
    }
    sbuf_adds(b, first ? "]\n" : "\n]\n");
    sbuf_free(&cl);
}

/* ---------------------------------------------------------------- table */


static void pad(struct sbuf *b, const char *s, size_t w, int right)
{
    size_t n = utf8_width(s);
    if (right)
        for (size_t i = n; i < w; i++) sbuf_addc(b, ' ');
    sbuf_adds(b, s);
    if (!right)
        for (size_t i = n; i < w; i++) sbuf_addc(b, ' ');
}

static const char *level_ru(enum ind_level l)
{
    return l == IND_DISTRICT ? "район" : l == IND_CLUSTER ? "кластер" : "ОО";
}

static const char *dim_ru(const char *col)
{
    if (strcmp(col, "subject") == 0) return "предмет";
    if (strcmp(col, "grade") == 0) return "класс";
    if (strcmp(col, "stage") == 0) return "этап";
    if (strcmp(col, "factor") == 0) return "показатель";
    if (strcmp(col, "task") == 0) return "задание";
    return col;
}

#define TCOLS (6 + IND_MAX_DIMS)

/* One indicator's rows as an aligned table under its title. */
static void table_block(const struct outctx *o, const struct indicator *ind,
                        const struct ind_results *res, struct sbuf *b)
{
    const char *head[TCOLS];
    int nc = 0, right[TCOLS];
    head[nc] = "уровень"; right[nc++] = 0;
    head[nc] = "код"; right[nc++] = 0;
    for (int k = 0; k < ind->ndims; k++) { head[nc] = dim_ru(ind->dims[k]); right[nc++] = 0; }
    head[nc] = "год"; right[nc++] = 0;
    head[nc] = "значение"; right[nc++] = 1;
    head[nc] = "95% интервал"; right[nc++] = 0;
    head[nc] = "n"; right[nc++] = 1;
    size_t nrows = 0;
    for (size_t i = 0; i < o->nsel; i++) nrows += res->v[o->sel[i]].ind == ind;
    if (!nrows) return;
    char **cell = xcalloc((nrows + 1) * (size_t)nc, sizeof *cell);
    for (int j = 0; j < nc; j++) cell[j] = xstrdup(head[j]);
    size_t ri = 1;
    struct sbuf t = SBUF_INIT;
    for (size_t i = 0; i < o->nsel; i++) {
        const struct ind_row *r = &res->v[o->sel[i]];
        if (r->ind != ind) continue;
        char **c = cell + ri++ * (size_t)nc;
        int j = 0;
        c[j++] = xstrdup(level_ru(r->level));
        c[j++] = esc_term_dup(r->unit);
        for (int k = 0; k < ind->ndims; k++) c[j++] = esc_term_dup(r->dim[k]);
        c[j++] = xasprintf("%d", r->year);
        if (r->suppressed) {
            c[j++] = xasprintf("n < %ld", ind->min_n);
            c[j++] = xstrdup("");
            c[j++] = xstrdup("");
            continue;
        }
        sbuf_reset(&t);
        if (isfinite(r->value)) sbuf_printf(&t, "%.1f", r->value);
        else sbuf_adds(&t, "—");
        c[j++] = sbuf_take(&t);
        if (isfinite(r->lo) && isfinite(r->hi)) c[j++] = xasprintf("%.1f–%.1f", r->lo, r->hi);
        else c[j++] = xstrdup("");
        if (isfinite(r->n)) c[j++] = xasprintf("%.15g", r->n);
        else c[j++] = xstrdup("");
    }
    sbuf_free(&t);
    size_t w[TCOLS] = {0};
    for (size_t i = 0; i < ri; i++)
        for (int j = 0; j < nc; j++) {
            size_t x = utf8_width(cell[i * (size_t)nc + j]);
            if (x > w[j]) w[j] = x;
        }
    esc_term(b, ind->title);
    sbuf_printf(b, " (%s", ind->id);
    if (*ind->unit) {
        sbuf_adds(b, ", ");
        esc_term(b, ind->unit);
    }
    sbuf_adds(b, ")\n");
    for (size_t i = 0; i < ri; i++) {
        sbuf_adds(b, "  ");
        for (int j = 0; j < nc; j++) {
            if (j) sbuf_adds(b, "  ");
            pad(b, cell[i * (size_t)nc + j], j == nc - 1 && !right[j] ? 0 : w[j], right[j]);
        }
        while (b->len && b->s[b->len - 1] == ' ') b->s[--b->len] = '\0';
        sbuf_addc(b, '\n');
    }
    sbuf_addc(b, '\n');
    for (size_t i = 0; i < ri * (size_t)nc; i++) free(cell[i]);
    free(cell);
}

/* ---------------------------------------------------------------- the command */

int cmd_indicators(struct cli *c)
{
    if (c->argc > 0) {
        fprintf(stderr, _("soko: indicators takes no arguments; expected options such as "
                          "--indicator ID --years 2024-2026\n"));
        return SOKO_EUSAGE;
    }
    const char *fmt = c->format ? c->format : "table";
    if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
        fprintf(stderr, _("soko: --format %s; expected table, csv or json\n"), cli_term(fmt));
        return SOKO_EUSAGE;
    }
    int y0, y1;
    if (cli_years(c->years, &y0, &y1) != 0) {
        fprintf(stderr, _("soko: --years %s; expected FROM-TO such as 2024-2026, or one year\n"),
                cli_term(c->years));
        return SOKO_EUSAGE;
    }
    struct store *st;
    int rc = cli_open_store(c, 1, &st);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    const char *dir = cli_indicators_dir(c);
    if (!dir) {
        soko_diag_free(&d);
        store_close(st);
        return SOKO_EIO;
    }
    struct ind_set *set = NULL;
    struct ind_results res = IND_RESULTS_INIT;
    struct ind_members mem;
    memset(&mem, 0, sizeof mem);
    struct outctx o;
    memset(&o, 0, sizeof o);
    rc = ind_load(dir, store_db(st), &set, &d);
    if (rc) {
        cli_print_diag(&d);
        if (rc == SOKO_ECONFIG)
            fprintf(stderr, P_("soko: %zu error in the definitions of %s\n",
                               "soko: %zu errors in the definitions of %s\n", d.total), d.total,
                    cli_term(dir));
        goto done;
    }
    const struct indicator *only = NULL;
    if (c->indicator && !(only = ind_find(set, c->indicator))) {
        char **ids = xmalloc((set->n + 1) * sizeof *ids);
        for (size_t i = 0; i < set->n; i++) ids[i] = set->v[i].id;
        char *near = cli_suggest(c->indicator, ids, set->n);
        fprintf(stderr, _("soko: --indicator: no indicator '%s' in %s; %s\n"),
                cli_term(c->indicator), cli_term(dir), near);
        free(near);
        free(ids);
        rc = SOKO_EUSAGE;
        goto done;
    }
    rc = ind_members(set, &mem, &d);
    if (rc) {
        cli_print_diag(&d);
        goto done;
    }
    if (c->cluster) {
        int found = 0;
        for (size_t i = 0; i < mem.n && !found; i++) found = !strcmp(mem.v[i].cluster_id, c->cluster);
        if (!found) {
            fprintf(stderr, _("soko: no cluster '%s' in the store; expected a cluster_id of form "
                              "clusters\n"), cli_term(c->cluster));
            rc = SOKO_EUSAGE;
            goto done;
        }
    }
    if (c->school) {
        int known = ind_school_known(set, c->school, &d);
        if (known < 0) {
            cli_print_diag(&d);
            rc = SOKO_EDB;
            goto done;
        }
        if (!known) {
            fprintf(stderr, _("soko: --school: no school '%s' in the store (not in the schools "
                              "registry, a cluster or any form)\n"), cli_term(c->school));
            rc = SOKO_EUSAGE;
            goto done;
        }
        if (c->cluster && !member_of(&mem, c->cluster, c->school)) {
            fprintf(stderr, _("soko: --school: school '%s' is not in cluster '%s'\n"),
                    cli_term(c->school), cli_term(c->cluster));
            rc = SOKO_EUSAGE;
            goto done;
        }
    }
    memset(&o, 0, sizeof o);
    o.c = c;
    o.m = &mem;
    add_dimcol(&o, "subject");
    add_dimcol(&o, "grade");
    add_dimcol(&o, "stage");
    for (size_t i = 0; i < set->n; i++) {
        const struct indicator *ind = &set->v[i];
        if (only && ind != only) continue;
        for (int k = 0; k < ind->ndims; k++) add_dimcol(&o, ind->dims[k]);
        rc = ind_evaluate(set, ind, y0, y1, &res, &d);
        if (rc) {
            cli_print_diag(&d);
            goto done;
        }
    }
    select_rows(&o, &res);
    struct sbuf b = SBUF_INIT;
    if (strcmp(fmt, "csv") == 0) {
        write_csv(&o, &res, &b);
    } else if (strcmp(fmt, "json") == 0) {
        write_json(&o, &res, &b);
    } else {
        for (size_t i = 0; i < set->n; i++)
            if (!only || &set->v[i] == only) table_block(&o, &set->v[i], &res, &b);
        if (!b.len) sbuf_adds(&b, "no results for the years and units asked for\n");
    }
    if (b.len) fwrite(b.s, 1, b.len, stdout);
    sbuf_free(&b);
done:
    free(o.sel);
    ind_results_free(&res);
    ind_members_free(&mem);
    ind_set_free(set);
    soko_diag_free(&d);
    store_close(st);
    return rc;
}
