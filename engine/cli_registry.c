/*
 * cli_registry.c — looking around the store: `soko schools` (the registry),
 * `soko clusters` (each cluster with its members and their roles) and `soko migrate`.
 *
 * CSV and JSON columns, stable (docs/soko.1):
 *   schools:  school_id, name, district, kind, profile, clusters (ids joined by ';')
 *   clusters: cluster_id, cluster_name, school_id, school_name, role — one row per
 *             member in CSV; in JSON one object per cluster with its members.
 * A table is for people: Russian headers, aligned by display width, every text made
 * safe for a terminal.
 */
#include "cli.h"
#include "escape.h"
#include "forms.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int want_format(const struct cli *c)
{
    if (cli_check_format(c) != SOKO_OK) return SOKO_EUSAGE;
    if (c->argc) {
        fprintf(stderr, _("soko: %s takes no arguments (see soko help %s)\n"), c->command,
                c->command);
        return SOKO_EUSAGE;
    }
    return SOKO_OK;
}

/* Rows of strings for an aligned table. */
struct grid {
    size_t ncols, nrows;
    char **cells;         /* nrows × ncols, malloc'd, terminal-safe */
};

static void grid_row(struct grid *g, const char *const *cells)
{
    g->cells = xrealloc(g->cells, (g->nrows + 1) * g->ncols * sizeof *g->cells);
    for (size_t j = 0; j < g->ncols; j++)
        g->cells[g->nrows * g->ncols + j] = esc_term_dup(cells[j] ? cells[j] : "");
    g->nrows++;
}

/* Prints the grid with `indent` spaces before each line; the last column unpadded. */
static void grid_print(const struct grid *g, const char *indent)
{
    size_t *w = xcalloc(g->ncols, sizeof *w);
    for (size_t i = 0; i < g->nrows; i++)
        for (size_t j = 0; j < g->ncols; j++) {
            size_t x = utf8_width(g->cells[i * g->ncols + j]);
            if (x > w[j]) w[j] = x;
        }
    for (size_t i = 0; i < g->nrows; i++) {
        fputs(indent, stdout);
        for (size_t j = 0; j < g->ncols; j++) {
            const char *s = g->cells[i * g->ncols + j];
            if (j) fputs("  ", stdout);
            fputs(s, stdout);
            if (j + 1 < g->ncols)
                for (size_t k = utf8_width(s); k < w[j]; k++) putchar(' ');
        }
        putchar('\n');
    }
    free(w);
}

static void grid_free(struct grid *g)
{
    for (size_t i = 0; i < g->nrows * g->ncols; i++) free(g->cells[i]);
    free(g->cells);
    g->cells = NULL;
    g->nrows = 0;
}

/* ---------------------------------------------------------------- schools */

struct schools_out {
    const struct cli *c;
    struct grid g;
    size_t n;
};

static int school_out(void *ctx, const struct store_school *s)
{
    struct schools_out *o = ctx;
    const char *f = o->c->format;
    if (strcmp(f, "csv") == 0) {
        const char *v[] = {s->school_id, s->name, s->district, s->kind, s->profile, s->clusters};
        for (int i = 0; i < 6; i++) {
            if (i) putchar(',');
            cli_put_csv(v[i]);
        }
        putchar('\n');
    } else if (strcmp(f, "json") == 0) {
        fputs(o->n ? ",\n {\"school_id\": " : "\n {\"school_id\": ", stdout);
        cli_put_json(s->school_id);
        fputs(", \"name\": ", stdout);
        cli_put_json(s->name);
        fputs(", \"district\": ", stdout);
        cli_put_json(s->district);
        fputs(", \"kind\": ", stdout);
        cli_put_json(s->kind);
        fputs(", \"profile\": ", stdout);
        cli_put_json(s->profile);
        fputs(", \"clusters\": [", stdout);
        const char *p = s->clusters;
        for (int k = 0; *p; k++) {
            size_t len = strcspn(p, ";");
            char *id = xstrndup(p, len);
            if (k) fputs(", ", stdout);
            cli_put_json(id);
            free(id);
            p += len;
            if (*p) p++;
        }
        fputs("]}", stdout);
    } else {
        char *cl = xstrdup(s->clusters);
        for (char *q = cl; *q; q++)
            if (*q == ';') *q = ' ';
        const char *v[] = {s->school_id, s->name, s->kind, s->profile, cl};
        grid_row(&o->g, v);
        free(cl);
    }
    o->n++;
    return 0;
}

int cmd_schools(struct cli *c)
{
    int rc = want_format(c);
    if (rc) return rc;
    struct store *s;
    rc = cli_open_store(c, 1, &s);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct schools_out o = {c, {5, 0, NULL}, 0};
    if (strcmp(c->format, "csv") == 0) puts("school_id,name,district,kind,profile,clusters");
    else if (strcmp(c->format, "json") == 0) fputs("[", stdout);
    else {
        const char *head[] = {"Код", "Наименование", "Тип", "Профиль", "Кластеры"};
        grid_row(&o.g, head);
    }
    rc = store_schools(s, school_out, &o, &d);
    if (!rc) {
        if (strcmp(c->format, "json") == 0) fputs(o.n ? "\n]\n" : "]\n", stdout);
        else if (strcmp(c->format, "table") == 0) {
            if (o.n) grid_print(&o.g, "");
            else printf(_("the schools registry is empty: import form schools first "
                          "(soko --db %s import schools FILE)\n"), cli_term(c->db_path));
        }
    }
    cli_print_diag(&d);
    grid_free(&o.g);
    soko_diag_free(&d);
    store_close(s);
    return rc;
}

/* ---------------------------------------------------------------- clusters */

/* The Russian name of a role: its first alias in the clusters form (forms.c). */
static const char *role_ru(const char *role, char *buf, size_t n)
{
    const struct form *f = form_find("clusters");
    int j = f ? form_col_index(f, "role") : -1;
    if (j >= 0)
        for (const struct enum_val *v = f->cols[j].values; v && v->value; v++)
            if (strcmp(v->value, role) == 0 && v->aliases) {
                size_t len = strcspn(v->aliases, "|");
                snprintf(buf, n, "%.*s", (int)len, v->aliases);
                return buf;
            }
    return role;
}

struct clusters_out {
    const struct cli *c;
    char *cur;            /* the cluster being printed */
    struct grid g;        /* its members (table) */
    size_t nclusters, nmembers;
};

static void cluster_flush(struct clusters_out *o)
{
    if (!o->cur) return;
    if (strcmp(o->c->format, "table") == 0) {
        grid_print(&o->g, "  ");
        grid_free(&o->g);
    } else if (strcmp(o->c->format, "json") == 0) {
        fputs("]}", stdout);
    }
    free(o->cur);
    o->cur = NULL;
}

static int member_out(void *ctx, const struct store_member *m)
{
    struct clusters_out *o = ctx;
    const char *f = o->c->format;
    if (strcmp(f, "csv") == 0) {
        const char *v[] = {m->cluster_id, m->cluster_name, m->school_id, m->school_name, m->role};
        for (int i = 0; i < 5; i++) {
            if (i) putchar(',');
            cli_put_csv(v[i]);
        }
        putchar('\n');
        return 0;
    }
    int first = !o->cur || strcmp(o->cur, m->cluster_id) != 0;
    if (first) {
        cluster_flush(o);
        o->cur = xstrdup(m->cluster_id);
        if (strcmp(f, "json") == 0) {
            fputs(o->nclusters ? ",\n {\"cluster_id\": " : "\n {\"cluster_id\": ", stdout);
            cli_put_json(m->cluster_id);
            fputs(", \"cluster_name\": ", stdout);
            cli_put_json(m->cluster_name);
            fputs(", \"members\": [", stdout);
        } else {
            if (o->nclusters) putchar('\n');
            printf("%s%s%s\n", cli_term(m->cluster_id), *m->cluster_name ? " — " : "",
                   cli_term(m->cluster_name));
        }
        o->nclusters++;
        o->nmembers = 0;
    }
    if (strcmp(f, "json") == 0) {
        fputs(o->nmembers ? ", {\"school_id\": " : "{\"school_id\": ", stdout);
        cli_put_json(m->school_id);
        fputs(", \"school_name\": ", stdout);
        cli_put_json(m->school_name);
        fputs(", \"role\": ", stdout);
        cli_put_json(m->role);
        putchar('}');
    } else {
        char buf[64];
        const char *v[] = {m->school_id, *m->school_name ? m->school_name : "(нет в реестре)",
                           role_ru(m->role, buf, sizeof buf)};
        grid_row(&o->g, v);
    }
    o->nmembers++;
    return 0;
}

int cmd_clusters(struct cli *c)
{
    if (c->argc > 0 && strcmp(c->argv[0], "propose") == 0) return cmd_clusters_propose(c);
    if (c->argc > 0) {
        fprintf(stderr, _("soko: clusters %s: expected no argument, or 'propose'\n"),
                cli_term(c->argv[0]));
        return SOKO_EUSAGE;
    }
    int rc = want_format(c);
    if (rc) return rc;
    struct store *s;
    rc = cli_open_store(c, 1, &s);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct clusters_out o = {c, NULL, {3, 0, NULL}, 0, 0};
    if (strcmp(c->format, "csv") == 0) puts("cluster_id,cluster_name,school_id,school_name,role");
    else if (strcmp(c->format, "json") == 0) fputs("[", stdout);
    rc = store_clusters(s, c->cluster && *c->cluster ? c->cluster : NULL, member_out, &o, &d);
    cluster_flush(&o);
    if (!rc) {
        if (strcmp(c->format, "json") == 0) fputs(o.nclusters ? "\n]\n" : "]\n", stdout);
        else if (strcmp(c->format, "table") == 0 && !o.nclusters)
            printf(_("no clusters in the store yet: import form clusters (soko --db %s import "
                     "clusters FILE)\n"), cli_term(c->db_path));
    }
    cli_print_diag(&d);
    grid_free(&o.g);
    soko_diag_free(&d);
    store_close(s);
    return rc;
}

/* ---------------------------------------------------------------- migrate */

int cmd_migrate(struct cli *c)
{
    if (c->argc) {
        fprintf(stderr, _("soko: migrate takes no arguments (see soko help migrate)\n"));
        return SOKO_EUSAGE;
    }
    if (access(c->db_path, F_OK) != 0) {
        fprintf(stderr, _("soko: %s: no store here yet; expected a database made by 'soko "
                          "import' (or give --db PATH)\n"), cli_term(c->db_path));
        return SOKO_EDB;
    }
    struct store *s;
    int rc = cli_open_store(c, 0, &s);     /* a writer's open migrates */
    if (rc) return rc;
    int was = store_found_version(s), synced = store_forms_synced(s);
    store_close(s);
    if (!c->quiet && synced)
        cli_summary(c, P_("store %s: %d defined form brought up to date\n",
                          "store %s: %d defined forms brought up to date\n", synced),
                    cli_term(c->db_path), synced);
    if (!c->quiet) {
        if (was == STORE_SCHEMA_VERSION)
            cli_summary(c, _("store %s is up to date (schema version %d)\n"), cli_term(c->db_path),
                        was);
        else
            cli_summary(c, _("store %s brought from schema version %d to %d; the data are kept\n"),
                        cli_term(c->db_path), was, STORE_SCHEMA_VERSION);
    }
    return SOKO_OK;
}
