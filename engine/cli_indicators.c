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

/* A school's clusters: sorted by school (then cluster), found by binary search. */
struct school_cl {
    const char *school;
    const char **clusters;        /* in cluster_id order, as the members are */
    size_t n;
    char *joined;                 /* "c1;c2", the cluster_id column of its rows */
};

struct outctx {
    const struct cli *c;
    const struct ind_members *m;
    const char *dimcols[16];      /* breakdown columns: subject, grade, stage, others */
    int ndimcols;
    size_t *sel;                  /* indexes of the rows to print, in order */
    size_t nsel;
    struct school_cl *sc;         /* every school of a cluster, by school_id */
    size_t nsc;
    const struct school_cl *last; /* the last one looked up: rows come unit by unit */
    const char **clv;             /* storage of sc[].clusters */
    /* streaming (csv, json without --school) */
    const char *fmt;
    struct sbuf *out;
    int first;                    /* json: no row written yet */
    const struct indicator *dind; /* the indicator dmap is for */
    int dmap[16];                 /* dimcols[i] is its dim dmap[i], or -1 */
};

static void add_dimcol(struct outctx *o, const char *name)
{
    for (int i = 0; i < o->ndimcols; i++)
        if (strcmp(o->dimcols[i], name) == 0) return;
    if (o->ndimcols < 16) o->dimcols[o->ndimcols++] = name;
}

/* The breakdown value of column dimcols[j] in r: through the map of r's indicator. */
static const char *row_dim(struct outctx *o, const struct ind_row *r, int j)
{
    if (o->dind != r->ind) {
        o->dind = r->ind;
        for (int i = 0; i < o->ndimcols; i++) {
            o->dmap[i] = -1;
            for (int k = 0; k < r->ind->ndims; k++)
                if (strcmp(r->ind->dims[k], o->dimcols[i]) == 0) o->dmap[i] = k;
        }
    }
    return o->dmap[j] >= 0 ? r->dim[o->dmap[j]] : "";
}

struct pair {
    const char *school, *cluster;
    size_t at;                    /* position in the members: ties keep their order */
};

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->school, y->school);
    if (c) return c;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* o->sc from the members (ordered by cluster, school): per school its clusters in the
 * members' order, and their ';'-joined ids. */
static void school_map(struct outctx *o, const struct ind_members *m)
{
    struct pair *p = xmalloc((m->n + 1) * sizeof *p);
    for (size_t i = 0; i < m->n; i++) p[i] = (struct pair){m->v[i].school_id, m->v[i].cluster_id, i};
    qsort(p, m->n, sizeof *p, pair_cmp);
    o->sc = xcalloc(m->n + 1, sizeof *o->sc);
    o->clv = xmalloc((m->n + 1) * sizeof *o->clv);
    o->nsc = 0;
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; i < m->n;) {
        size_t j = i;
        struct school_cl *sc = &o->sc[o->nsc++];
        sc->school = p[i].school;
        sc->clusters = o->clv + i;
        sbuf_reset(&b);
        sbuf_adds(&b, "");
        for (; j < m->n && strcmp(p[j].school, sc->school) == 0; j++) {
            o->clv[j] = p[j].cluster;
            sbuf_printf(&b, "%s%s", j > i ? ";" : "", p[j].cluster);
        }
        sc->n = j - i;
        sc->joined = sbuf_take(&b);
        i = j;
    }
    sbuf_free(&b);
    free(p);
}

static void school_map_free(struct outctx *o)
{
    for (size_t i = 0; i < o->nsc; i++) free(o->sc[i].joined);
    free(o->sc);
    free(o->clv);
    o->sc = NULL;
    o->clv = NULL;
    o->nsc = 0;
}

static int sc_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct school_cl *)elem)->school);
}

/* The clusters of school, or NULL when it is in none. */
static const struct school_cl *school_clusters(struct outctx *o, const char *school)
{
    if (o->last && strcmp(o->last->school, school) == 0) return o->last;
    const struct school_cl *sc = o->nsc ? bsearch(school, o->sc, o->nsc, sizeof *o->sc, sc_cmp)
                                        : NULL;
    if (sc) o->last = sc;
    return sc;
}

/* Is school in cluster? */
static int member_of(struct outctx *o, const char *cluster, const char *school)
{
    const struct school_cl *sc = school_clusters(o, school);
    for (size_t i = 0; sc && i < sc->n; i++)
        if (strcmp(sc->clusters[i], cluster) == 0) return 1;
    return 0;
}

/* The cluster_id column: a cluster row's own id; for a school row the --cluster asked
 * for, else every cluster of the school, ';'-separated in id order. */
static const char *cluster_col(struct outctx *o, const struct ind_row *r)
{
    if (r->level == IND_CLUSTER) return r->unit;
    if (r->level != IND_SCHOOL) return "";
    if (o->c->cluster) return o->c->cluster;
    const struct school_cl *sc = school_clusters(o, r->unit);
    return sc ? sc->joined : "";
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
                if (r->level == IND_SCHOOL && !member_of(o, c->cluster, r->unit)) continue;
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
                                                    : member_of(o, r->unit, c->school))))
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

static void csv_header(const struct outctx *o, struct sbuf *b)
{
    sbuf_adds(b, "indicator,level,year,school_id,cluster_id");
    for (int i = 0; i < o->ndimcols; i++) sbuf_printf(b, ",%s", o->dimcols[i]);
    sbuf_adds(b, ",value,numerator,denominator,n,ci_low,ci_high,suppressed\n");
}

static void csv_row(struct outctx *o, const struct ind_row *r, struct sbuf *b)
{
    sbuf_adds(b, r->ind->id);
    sbuf_addc(b, ',');
    sbuf_adds(b, ind_level_name(r->level));
    sbuf_printf(b, ",%d,", r->year);
    csv_field(b, r->level == IND_SCHOOL ? r->unit : "");
    sbuf_addc(b, ',');
    csv_field(b, cluster_col(o, r));
    for (int k = 0; k < o->ndimcols; k++) {
        sbuf_addc(b, ',');
        csv_field(b, row_dim(o, r, k));
    }
    double v[6];
    row_nums(r, v);
    for (int k = 0; k < 6; k++) {
        sbuf_addc(b, ',');
        num(b, v[k], "");
    }
    sbuf_adds(b, r->suppressed ? ",1\n" : ",0\n");
}

static void json_row(struct outctx *o, const struct ind_row *r, struct sbuf *b)
{
    sbuf_adds(b, o->first ? "\n" : ",\n");
    o->first = 0;
    sbuf_adds(b, "{\"indicator\":");
    esc_json(b, r->ind->id);
    sbuf_printf(b, ",\"level\":\"%s\",\"year\":%d,\"school_id\":", ind_level_name(r->level),
                r->year);
    esc_json(b, r->level == IND_SCHOOL ? r->unit : "");
    sbuf_adds(b, ",\"cluster_id\":");
    esc_json(b, cluster_col(o, r));
    for (int k = 0; k < o->ndimcols; k++) {
        sbuf_printf(b, ",\"%s\":", o->dimcols[k]);
        esc_json(b, row_dim(o, r, k));
    }
    double v[6];
    row_nums(r, v);
    for (int k = 0; k < 6; k++) {
        sbuf_printf(b, ",\"%s\":", num_cols[k]);
        num(b, v[k], "null");
    }
    sbuf_printf(b, ",\"suppressed\":%s}", r->suppressed ? "true" : "false");
}

/* Writes out what b holds once it is past bytes (0: all of it). */
static void flush_out(struct sbuf *b, size_t bytes)
{
    if (b->len <= bytes || !b->len) return;
    fwrite(b->s, 1, b->len, stdout);
    sbuf_reset(b);
}

/* The selected rows of res, csv or json (the header and brackets are the caller's). */
static void write_rows(struct outctx *o, const struct ind_results *res, struct sbuf *b)
{
    int csv = strcmp(o->fmt, "csv") == 0;
    for (size_t i = 0; i < o->nsel; i++) {
        const struct ind_row *r = &res->v[o->sel[i]];
        if (csv) csv_row(o, r, b);
        else json_row(o, r, b);
        flush_out(b, 1 << 20);
    }
}

/* ind_evaluate_each's row function: csv or json rows straight to the output, those
 * of --cluster only when it is given (the filter of select_rows). */
static int stream_row(void *ctx, const struct ind_row *r)
{
    struct outctx *o = ctx;
    const char *cl = o->c->cluster;
    if (cl) {
        if (r->level == IND_DISTRICT) return 0;
        if (r->level == IND_CLUSTER && strcmp(cl, r->unit) != 0) return 0;
        if (r->level == IND_SCHOOL && !member_of(o, cl, r->unit)) return 0;
    }
    if (strcmp(o->fmt, "csv") == 0) csv_row(o, r, o->out);
    else json_row(o, r, o->out);
    flush_out(o->out, 1 << 20);
    return 0;
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
    if (cli_check_format(c) != SOKO_OK) return SOKO_EUSAGE;
    const char *fmt = c->format ? c->format : "table";
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
    o.c = c;
    o.m = &mem;
    school_map(&o, &mem);
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
        if (c->cluster && !member_of(&o, c->cluster, c->school)) {
            fprintf(stderr, _("soko: --school: school '%s' is not in cluster '%s'\n"),
                    cli_term(c->school), cli_term(c->cluster));
            rc = SOKO_EUSAGE;
            goto done;
        }
    }
    add_dimcol(&o, "subject");
    add_dimcol(&o, "grade");
    add_dimcol(&o, "stage");
    for (size_t i = 0; i < set->n; i++) {
        const struct indicator *ind = &set->v[i];
        if (only && ind != only) continue;
        for (int k = 0; k < ind->ndims; k++) add_dimcol(&o, ind->dims[k]);
    }
    /* indicator by indicator: csv and json rows go out as SQLite returns them; with
       --school (rows reordered) and for the table (widths), one indicator's rows are
       kept at a time. The bytes are those of evaluating all, then writing all. */
    struct sbuf b = SBUF_INIT;
    int table = strcmp(fmt, "table") == 0, stream = !table && !c->school;
    o.fmt = fmt;
    o.out = &b;
    o.first = 1;
    if (strcmp(fmt, "csv") == 0) csv_header(&o, &b);
    else if (!table) sbuf_adds(&b, "[");
    int any = 0;
    if (stream) rc = ind_evaluate_all(set, only, y0, y1, stream_row, &o, &d);
    for (size_t i = 0; i < set->n && !rc && !stream; i++) {
        const struct indicator *ind = &set->v[i];
        if (only && ind != only) continue;
        {
            rc = ind_evaluate(set, ind, y0, y1, &res, &d);
            if (!rc) {
                select_rows(&o, &res);
                if (table) {
                    size_t before = b.len;
                    table_block(&o, ind, &res, &b);
                    any |= b.len > before;
                } else {
                    write_rows(&o, &res, &b);
                }
                free(o.sel);
                o.sel = NULL;
                ind_results_free(&res);
            }
        }
        flush_out(&b, 1 << 20);
    }
    if (rc) {
        cli_print_diag(&d);
    } else if (table) {
        if (!any && !b.len) sbuf_adds(&b, "no results for the years and units asked for\n");
    } else if (strcmp(fmt, "json") == 0) {
        sbuf_adds(&b, o.first ? "]\n" : "\n]\n");
    }
    if (!rc) flush_out(&b, 0);
    sbuf_free(&b);
done:
    free(o.sel);
    school_map_free(&o);
    ind_results_free(&res);
    ind_members_free(&mem);
    ind_set_free(set);
    soko_diag_free(&d);
    store_close(st);
    return rc;
}
