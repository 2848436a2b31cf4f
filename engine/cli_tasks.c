/*
 * cli_tasks.c — `soko tasks`: the findings of the task rules (tasks.h) per work and
 * task — deficits, common problems of a cluster, particular problems of a school,
 * district-wide difficulties, the district below the region or Russia — with the
 * figures of the unit, the district, the region and Russia. --cluster keeps the
 * cluster's rows and its schools', --school the school's; the district's rows are
 * always shown (they are everyone's context). The columns of csv and json are
 * documented in docs/rules.md («Правила по заданиям») and are stable.
 */
#include "analysis.h"
#include "cli.h"
#include "indicators.h"
#include "rules.h"
#include "stats.h"
#include "store.h"
#include "tasks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const unit_levels[] = {"school", "cluster", "district"};
static const char *const task_levels[] = {"basic", "advanced", "high"};

struct tsession {
    struct store *store;
    struct ind_set *set;
    struct ana_models models;
    struct rule_set rules;
    struct task_result res;
    int have_models, have_rules, have_res;
};

static void tsession_close(struct tsession *S)
{
    if (S->have_res) tasks_free(&S->res);
    if (S->have_rules) rules_free(&S->rules);
    if (S->have_models) ana_models_free(&S->models);
    if (S->set) ind_set_free(S->set);
    if (S->store) store_close(S->store);
}

static int is_member(struct store *s, const char *cluster, const char *school)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(store_db(s), "SELECT 1 FROM clusters WHERE cluster_id = ? AND "
                                        "school_id = ?", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, cluster, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, school, -1, SQLITE_TRANSIENT);
    yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* The finding is shown under --cluster / --school. */
static int wanted(struct cli *c, struct store *s, const struct task_finding *f)
{
    if (f->unit_kind == TASK_DISTRICT) return 1;
    if (c->school)
        return f->unit_kind == TASK_SCHOOL && strcmp(f->unit, c->school) == 0 &&
               (!c->cluster || !*f->cluster || strcmp(f->cluster, c->cluster) == 0);
    if (c->cluster) {
        if (f->unit_kind == TASK_CLUSTER) return strcmp(f->unit, c->cluster) == 0;
        if (*f->cluster) return strcmp(f->cluster, c->cluster) == 0;
        return is_member(s, c->cluster, f->unit);
    }
    return 1;
}

static char *num(double x)
{
    char buf[32];
    if (!isfinite(x)) return xstrdup("");
    return xstrdup(num_roundtrip(x, buf));
}

/* For people: a percentage with one decimal, "—" when none. */
static char *pct1(double x)
{
    return isfinite(x) ? xasprintf("%.1f", x) : xstrdup("—");
}

enum { NCOL = 18 };
static const char *const head[NCOL] = {
    "year", "grade", "subject", "task", "skill", "level", "unit_level", "unit", "kind",
    "completion", "district", "region", "russia", "n", "p", "years", "persistent",
    "recommendation"};

/* The cells of one finding (machine: full precision), caller frees each. */
static void cells(const struct task_result *R, const struct task_finding *f, int machine,
                  char *v[NCOL])
{
    const struct task_task *t = &R->tasks[f->task];
    char *(*n)(double) = machine ? num : pct1;
    v[0] = xasprintf("%d", t->year);
    v[1] = xasprintf("%d", t->grade);
    v[2] = xstrdup(t->subject);
    v[3] = xstrdup(t->task);
    v[4] = xstrdup(t->skill);
    v[5] = xstrdup(task_levels[t->level]);
    v[6] = xstrdup(unit_levels[f->unit_kind]);
    v[7] = xstrdup(f->unit);
    v[8] = xstrdup(task_finding_name(f->kind));
    v[9] = n(f->completion);
    v[10] = n(t->district.value);
    v[11] = n(t->region);
    v[12] = n(t->russia);
    v[13] = num(f->n);
    v[14] = machine ? num(f->p) : isfinite(f->p) ? xasprintf("%.2g", f->p) : xstrdup("");
    v[15] = xasprintf("%d", f->run);
    v[16] = xstrdup(f->persistent ? "yes" : "no");
    v[17] = xstrdup(f->recommendation);
}

static void print_csv(struct cli *c, struct store *s, const struct task_result *R)
{
    for (int j = 0; j < NCOL; j++) printf("%s%s", j ? "," : "", head[j]);
    putchar('\n');
    for (size_t i = 0; i < R->nfindings; i++) {
        if (!wanted(c, s, &R->findings[i])) continue;
        char *v[NCOL];
        cells(R, &R->findings[i], 1, v);
        for (int j = 0; j < NCOL; j++) {
            if (j) putchar(',');
            cli_put_csv(v[j]);
            free(v[j]);
        }
        putchar('\n');
    }
}

static void print_json(struct cli *c, struct store *s, const struct task_result *R)
{
    int first = 1;
    fputs("[", stdout);
    for (size_t i = 0; i < R->nfindings; i++) {
        if (!wanted(c, s, &R->findings[i])) continue;
        char *v[NCOL];
        cells(R, &R->findings[i], 1, v);
        fputs(first ? "\n  {" : ",\n  {", stdout);
        first = 0;
        for (int j = 0; j < NCOL; j++) {
            printf("%s\"%s\": ", j ? ", " : "", head[j]);
            int numeric = j == 0 || j == 1 || (j >= 9 && j <= 15);
            if (numeric) fputs(*v[j] ? v[j] : "null", stdout);
            else cli_put_json(v[j]);
            free(v[j]);
        }
        putchar('}');
    }
    fputs(first ? "]\n" : "\n]\n", stdout);
}

static void pad(const char *s0, size_t w)
{
    const char *s = cli_term(s0);
    fputs(s, stdout);
    for (size_t i = utf8_width(s); i < w; i++) putchar(' ');
}

/* For people: the columns without the skill and the recommendation, which follow on
 * lines of their own. */
static void print_table(struct cli *c, struct store *s, const struct task_result *R)
{
    static const int cols[] = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    enum { NC = sizeof cols / sizeof *cols };
    size_t w[NC];
    for (int j = 0; j < NC; j++) w[j] = strlen(head[cols[j]]);
    size_t shown = 0;
    for (size_t i = 0; i < R->nfindings; i++) {
        if (!wanted(c, s, &R->findings[i])) continue;
        char *v[NCOL];
        cells(R, &R->findings[i], 0, v);
        for (int j = 0; j < NC; j++) {
            size_t cw = utf8_width(cli_term(v[cols[j]]));
            if (cw > w[j]) w[j] = cw;
        }
        for (int j = 0; j < NCOL; j++) free(v[j]);
        shown++;
    }
    if (!shown) {
        printf("%s\n", _("no findings of the task rules (no task results, or none beyond the "
                         "rules' levels)"));
        return;
    }
    for (int j = 0; j < NC; j++) {
        pad(head[cols[j]], w[j] + 2);
    }
    putchar('\n');
    for (size_t i = 0; i < R->nfindings; i++) {
        if (!wanted(c, s, &R->findings[i])) continue;
        char *v[NCOL];
        cells(R, &R->findings[i], 0, v);
        for (int j = 0; j < NC; j++) pad(v[cols[j]], w[j] + 2);
        printf("\n    %s\n", cli_term(v[4]));
        for (int j = 0; j < NCOL; j++) free(v[j]);
    }
}

int cmd_tasks(struct cli *c)
{
    if (cli_check_format(c) != SOKO_OK) return SOKO_EUSAGE;
    if (c->argc) {
        fprintf(stderr, _("soko: tasks takes no arguments (options: --cluster --school --years "
                          "--format --rules)\n"));
        return SOKO_EUSAGE;
    }
    int y0, y1;
    if (cli_years(c->years, &y0, &y1) != 0) {
        fprintf(stderr, _("soko: --years '%s': expected YEAR or FROM-TO, e.g. 2024-2026\n"),
                cli_term(c->years));
        return SOKO_EUSAGE;
    }
    stats_init();
    struct tsession S;
    memset(&S, 0, sizeof S);
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    int rc = cli_open_store(c, 1, &S.store);
    int known = !rc && c->school ? store_school_known(S.store, c->school, &d) : 1;
    if (known < 0) rc = SOKO_EDB;
    else if (!known) {
        fprintf(stderr, _("soko: --school: no school '%s' in the store\n"), cli_term(c->school));
        rc = SOKO_EUSAGE;
    }
    if (!rc && c->cluster) {
        sqlite3_stmt *st;
        int found = 0;
        if (sqlite3_prepare_v2(store_db(S.store), "SELECT 1 FROM clusters WHERE cluster_id = ?",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, c->cluster, -1, SQLITE_TRANSIENT);
            found = sqlite3_step(st) == SQLITE_ROW;
            sqlite3_finalize(st);
        }
        if (!found) {
            fprintf(stderr, _("soko: --cluster: no cluster '%s' in the store\n"),
                    cli_term(c->cluster));
            rc = SOKO_EUSAGE;
        }
    }
    const char *defs = rc ? NULL : cli_indicators_dir(c);
    char *rules_path = rc || !defs ? NULL : cli_def_file(c, c->rules, "rules.ini");
    if (!rc && (!defs || !rules_path)) rc = SOKO_EIO;
    if (!rc) rc = ind_load(defs, store_db(S.store), &S.set, &d);
    if (!rc) {
        rc = cli_load_context(c, &S.models, &d);
        S.have_models = rc == SOKO_OK;
    }
    if (!rc) {
        rc = rules_load(rules_path, S.set, &S.models, &S.rules, &d);
        S.have_rules = rc == SOKO_OK;
    }
    if (!rc) {
        rc = tasks_run(store_db(S.store), &S.rules, y0, y1, &S.res, &d);
        S.have_res = 1;
    }
    if (rc && rc != SOKO_EUSAGE) cli_print_diag(&d);
    soko_diag_free(&d);
    free(rules_path);
    if (!rc) {
        if (strcmp(c->format, "csv") == 0) print_csv(c, S.store, &S.res);
        else if (strcmp(c->format, "json") == 0) print_json(c, S.store, &S.res);
        else print_table(c, S.store, &S.res);
    }
    tsession_close(&S);
    if (!rc && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "%s\n", _("soko: writing the output failed"));
        rc = SOKO_EIO;
    }
    return rc;
}
