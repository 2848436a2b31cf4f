/*
 * cli_rules.c — `soko flags` (one row per school and rule, with the evidence) and
 * `soko recommend --school ID` (the targeted recommendations of the rules that flagged
 * the school). The rules are defs/rules.ini unless --rules names another file;
 * the columns of csv/json are documented in docs/rules.md and are stable.
 */
#include "analysis.h"
#include "cli.h"
#include "escape.h"
#include "indicators.h"
#include "rules.h"
#include "stats.h"
#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>



struct rsession {
    struct store *store;
    struct ind_set *set;
    struct ana_models models;
    struct rule_set rules;
    struct rule_flags flags;
    int have_models, have_rules;
};

static void rsession_close(struct rsession *S)
{
    rule_flags_free(&S->flags);
    if (S->have_rules) rules_free(&S->rules);
    if (S->have_models) ana_models_free(&S->models);
    if (S->set) ind_set_free(S->set);
    if (S->store) store_close(S->store);
}

/* Loads everything and runs the rules; returns an exit code (messages printed). */
static int rsession_run(struct cli *c, struct rsession *S, const char *school)
{
    memset(S, 0, sizeof *S);
    stats_init();
    struct rules_opts o;
    memset(&o, 0, sizeof o);
    if (cli_years(c->years, &o.y0, &o.y1) != 0) {
        fprintf(stderr, _("soko: --years '%s': expected YEAR or FROM-TO, e.g. 2024-2026\n"),
                cli_term(c->years));
        return SOKO_EUSAGE;
    }
    o.school = school;
    int rc = cli_open_store(c, 1, &S->store);
    if (rc) return rc;
    if (school && !store_school_exists(S->store, school)) {
        fprintf(stderr, _("soko: --school: no school '%s' in the registry (form schools)\n"),
                cli_term(school));
        return SOKO_EUSAGE;
    }
    const char *defs = cli_indicators_dir(c);
    char *rules_path = cli_def_file(c, c->rules, "rules.ini");
    if (!defs || !rules_path) {
        free(rules_path);
        return SOKO_EIO;
    }
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    rc = ind_load(defs, store_db(S->store), &S->set, &d);
    if (!rc) {
        rc = cli_load_context(c, &S->models, &d);
        S->have_models = rc == SOKO_OK;
    }
    if (!rc) {
        rc = rules_load(rules_path, S->set, &S->models, &S->rules, &d);
        S->have_rules = rc == SOKO_OK;
    }
    if (!rc) rc = rules_run(&S->rules, S->set, &o, &S->flags, &d);
    if (rc) cli_print_diag(&d);
    soko_diag_free(&d);
    free(rules_path);
    return rc;
}

/* ==== numbers as text ===================================================================== */

/* Machine output (CSV, JSON): full precision, the shortest text that reads back as
 * the same double; "" (null in JSON) for a value that is not defined. */
static char *num(double x)
{
    char buf[32];
    if (!isfinite(x)) return xstrdup("");
    return xstrdup(num_roundtrip(x, buf));
}

static char *pval(double p)
{
    return num(p);
}

static void json_num(const char *key, double x, int p)
{
    char *s = p ? pval(x) : num(x);
    printf(", \"%s\": %s", key, *s ? s : "null");
    free(s);
}

/* One evidence item as "key=value;..." for CSV. */
static char *ev_text(const struct rule_ev *e)
{
    char *v = num(e->value), *n = num(e->n), *r = num(e->ref), *l = num(e->limit),
         *st = num(e->stat), *p = pval(e->p);
    char *s = xasprintf("indicator=%s;what=%s;year=%d;value=%s;n=%s;district=%s;limit=%s;"
                        "stat=%s;p=%s%s%s",
                        e->ind ? e->ind->id : "", e->what ? e->what : "", e->year, v, n, r, l,
                        st, p, e->detail ? ";detail=" : "", e->detail ? e->detail : "");
    free(v);
    free(n);
    free(r);
    free(l);
    free(st);
    free(p);
    return s;
}

static char *indicator_ids(const struct rule_flag *f)
{
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; i < f->nev; i++) {
        const char *id = rule_ev_source(f, &f->ev[i]);
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = strcmp(rule_ev_source(f, &f->ev[k]), id) == 0;
        if (!seen) sbuf_printf(&b, "%s%s", b.len ? ";" : "", id);
    }
    return sbuf_take(&b);
}


static void padto(const char *s0, size_t w, int right)
{
    const char *s = cli_term(s0);
    size_t cw = utf8_width(s);
    if (right)
        for (size_t i = cw; i < w; i++) putchar(' ');
    fputs(s, stdout);
    if (!right)
        for (size_t i = cw; i < w; i++) putchar(' ');
}

/* The evidence line for people: the kind's words, with the source's id. */
static char *ev_ru(const struct rule_flag *f, const struct rule_ev *e)
{
    char *t = rule_ev_text(f, e, 1);
    const char *id = rule_ev_source(f, e);
    char *s = xasprintf("%s%s%s", id, *id ? " " : "", t);
    free(t);
    return s;
}

/* Evidence lines the table shows per flag; csv and json carry all of it. */
#define TABLE_EVIDENCE 8

static void print_table(const struct rule_flags *F)
{
    static const char *const head[] = {"Правило", "Место", "ОО", "Процедур", "из", "Годы"};
    size_t w[6];
    for (int j = 0; j < 6; j++) w[j] = utf8_width(head[j]);
    char *cells[6];
    for (size_t i = 0; i < F->n; i++) {
        const struct rule_flag *f = &F->v[i];
        cells[0] = xstrdup(f->rule->id);
        cells[1] = xasprintf("%d", f->rank);
        cells[2] = xstrdup(f->school_id);
        cells[3] = xasprintf("%zu", f->nproc);
        cells[4] = xasprintf("%zu", f->nevaluated);
        cells[5] = xstrdup(f->years);
        for (int j = 0; j < 6; j++) {
            if (utf8_width(cli_term(cells[j])) > w[j]) w[j] = utf8_width(cli_term(cells[j]));
            free(cells[j]);
        }
    }
    for (int j = 0; j < 6; j++) {
        if (j) fputs("  ", stdout);
        padto(head[j], j < 5 ? w[j] : 0, j == 1 || j == 3 || j == 4);
    }
    putchar('\n');
    for (size_t i = 0; i < F->n; i++) {
        const struct rule_flag *f = &F->v[i];
        cells[0] = xstrdup(f->rule->id);
        cells[1] = xasprintf("%d", f->rank);
        cells[2] = xstrdup(f->school_id);
        cells[3] = xasprintf("%zu", f->nproc);
        cells[4] = xasprintf("%zu", f->nevaluated);
        cells[5] = xstrdup(f->years);
        for (int j = 0; j < 6; j++) {
            if (j) fputs("  ", stdout);
            padto(cells[j], j < 5 ? w[j] : 0, j == 1 || j == 3 || j == 4);
            free(cells[j]);
        }
        putchar('\n');
        for (size_t k = 0; k < f->nev && k < TABLE_EVIDENCE; k++) {
            char *t = ev_ru(f, &f->ev[k]);
            printf("    %s\n", cli_term(t));
            free(t);
        }
        if (f->nev > TABLE_EVIDENCE)
            printf("    … ещё %zu (все — в --format csv или json)\n", f->nev - TABLE_EVIDENCE);
    }
}

static void print_csv(const struct rule_flags *F)
{
    puts("rule,title,rank,school_id,school_name,procedures,evaluated,window_from,window_to,"
         "years,score,indicators,evidence,recommendation,p,p_adjusted,schools_tested,control,"
         "level");
    for (size_t i = 0; i < F->n; i++) {
        const struct rule_flag *f = &F->v[i];
        char *sc = num(f->score), *ids = indicator_ids(f);
        struct sbuf ev = SBUF_INIT;
        for (size_t k = 0; k < f->nev; k++) {
            char *t = ev_text(&f->ev[k]);
            sbuf_printf(&ev, "%s%s", k ? " | " : "", t);
            free(t);
        }
        cli_put_csv(f->rule->id);
        putchar(',');
        cli_put_csv(f->rule->title);
        printf(",%d,", f->rank);
        cli_put_csv(f->school_id);
        putchar(',');
        cli_put_csv(f->school_name);
        printf(",%zu,%zu,%d,%d,", f->nproc, f->nevaluated, f->y0, f->y1);
        cli_put_csv(f->years);
        printf(",%s,", sc);
        cli_put_csv(ids);
        putchar(',');
        cli_put_csv(ev.s ? ev.s : "");
        putchar(',');
        cli_put_csv(f->recommendation);
        char *pp = pval(f->p), *pa = pval(f->p_adj), *lv = num(f->rule->level);
        printf(",%s,%s,%zu,%s,%s\n", pp, pa, f->ntested, rule_control_name(f->rule->control),
               f->rule->control == CONTROL_NONE ? "" : lv);
        free(pp);
        free(pa);
        free(lv);
        free(sc);
        free(ids);
        sbuf_free(&ev);
    }
}

static void print_json(const struct rule_flags *F)
{
    fputs("[", stdout);
    for (size_t i = 0; i < F->n; i++) {
        const struct rule_flag *f = &F->v[i];
        fputs(i ? ",\n {" : "\n {", stdout);
        fputs("\"rule\": ", stdout);
        cli_put_json(f->rule->id);
        fputs(", \"title\": ", stdout);
        cli_put_json(f->rule->title);
        printf(", \"kind\": \"%s\", \"rank\": %d, \"school_id\": ", rule_kind_name(f->rule->kind),
               f->rank);
        cli_put_json(f->school_id);
        fputs(", \"school_name\": ", stdout);
        cli_put_json(f->school_name);
        printf(", \"procedures\": %zu, \"evaluated\": %zu, \"window_from\": %d, \"window_to\": %d",
               f->nproc, f->nevaluated, f->y0, f->y1);
        fputs(", \"years\": ", stdout);
        cli_put_json(f->years);
        json_num("score", f->score, 0);
        fputs(", \"evidence\": [", stdout);
        for (size_t k = 0; k < f->nev; k++) {
            const struct rule_ev *e = &f->ev[k];
            fputs(k ? ",\n   {" : "\n   {", stdout);
            fputs("\"indicator\": ", stdout);
            cli_put_json(rule_ev_source(f, e));
            fputs(", \"what\": ", stdout);
            cli_put_json(e->what ? e->what : "");
            printf(", \"year\": %d", e->year);
            json_num("value", e->value, 0);
            json_num("n", e->n, 0);
            json_num("district", e->ref, 0);
            json_num("limit", e->limit, 0);
            json_num("stat", e->stat, 0);
            json_num("p", e->p, 1);
            fputs(", \"detail\": ", stdout);
            cli_put_json(e->detail ? e->detail : "");
            putchar('}');
        }
        fputs(f->nev ? "]" : "]", stdout);
        fputs(", \"recommendation\": ", stdout);
        cli_put_json(f->recommendation);
        json_num("p", f->p, 1);
        json_num("p_adjusted", f->p_adj, 1);
        printf(", \"schools_tested\": %zu, \"control\": \"%s\"", f->ntested,
               rule_control_name(f->rule->control));
        json_num("level", f->rule->control == CONTROL_NONE ? NAN : f->rule->level, 0);
        putchar('}');
    }
    fputs(F->n ? "\n]\n" : "]\n", stdout);
}

int cmd_flags(struct cli *c)
{
    if (cli_check_format(c) != SOKO_OK) return SOKO_EUSAGE;
    if (c->argc) {
        fprintf(stderr, _("soko: flags takes no arguments (options: --rules --indicators --years "
                          "--school --format)\n"));
        return SOKO_EUSAGE;
    }
    struct rsession S;
    int rc = rsession_run(c, &S, c->school);
    if (!rc) {
        if (strcmp(c->format, "csv") == 0) print_csv(&S.flags);
        else if (strcmp(c->format, "json") == 0) print_json(&S.flags);
        else print_table(&S.flags);
    }
    rsession_close(&S);
    if (!rc && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, _("soko: writing the output failed\n"));
        rc = SOKO_EIO;
    }
    return rc;
}

/* Markdown for a terminal: every text from the store or the rules escaped for
 * Markdown (a name cannot open a heading or a link) and then for the terminal. */
static void put_md(const char *s)
{
    char *m = esc_md_dup(s);
    fputs(cli_term(m), stdout);
    free(m);
}

static void print_recommend(const struct cli *c, const struct rule_flags *F)
{
    if (F->n == 0) {
        fputs("ОО ", stdout);
        put_md(c->school);
        fputs(": ни одно правило не выделило ОО; адресных рекомендаций нет.\n", stdout);
        return;
    }
    fputs("# Адресные рекомендации: ", stdout);
    put_md(*F->v[0].school_name ? F->v[0].school_name : c->school);
    putchar('\n');
    for (size_t i = 0; i < F->n; i++) {
        const struct rule_flag *f = &F->v[i];
        fputs("\n## ", stdout);
        put_md(f->rule->title);
        fputs("\n\n", stdout);
        put_md(f->recommendation);
        putchar('\n');
    }
}

int cmd_recommend(struct cli *c)
{
    if (!c->school || !*c->school) {
        fprintf(stderr, _("soko: recommend needs --school ID\n"));
        return SOKO_EUSAGE;
    }
    if (c->argc) {
        fprintf(stderr, _("soko: recommend takes no arguments (options: --school --rules "
                          "--indicators --years)\n"));
        return SOKO_EUSAGE;
    }
    struct rsession S;
    int rc = rsession_run(c, &S, c->school);
    if (!rc) print_recommend(c, &S.flags);
    rsession_close(&S);
    if (!rc && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, _("soko: writing the output failed\n"));
        rc = SOKO_EIO;
    }
    return rc;
}

/* ==== soko calibrate ====================================================================== */

/* RUNS and SEED: whole numbers within [lo, hi]; 0 when good. */
static int parse_count(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cmd_calibrate(struct cli *c)
{
    if (cli_check_format(c) != SOKO_OK) return SOKO_EUSAGE;
    unsigned long runs = 100, seed = 1;
    if (c->argc > 2 || (c->argc > 0 && parse_count(c->argv[0], 1, 100000, &runs) != 0) ||
        (c->argc > 1 && parse_count(c->argv[1], 0, 4294967295UL, &seed) != 0)) {
        fprintf(stderr, _("soko: calibrate takes [RUNS [SEED]]: RUNS a whole number from 1 to "
                          "100000 (default 100), SEED a whole number (default 1)\n"));
        return SOKO_EUSAGE;
    }
    struct rsession S;
    memset(&S, 0, sizeof S);
    stats_init();
    struct rules_opts o;
    memset(&o, 0, sizeof o);
    if (cli_years(c->years, &o.y0, &o.y1) != 0) {
        fprintf(stderr, _("soko: --years '%s': expected YEAR or FROM-TO, e.g. 2024-2026\n"),
                c->years);
        return SOKO_EUSAGE;
    }
    int rc = cli_open_store(c, 1, &S.store);
    if (rc) return rc;
    const char *defs = cli_indicators_dir(c);
    char *rules_path = cli_def_file(c, c->rules, "rules.ini");
    if (!defs || !rules_path) {
        free(rules_path);
        rsession_close(&S);
        return SOKO_EIO;
    }
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    rc = ind_load(defs, store_db(S.store), &S.set, &d);
    if (!rc) {
        rc = cli_load_context(c, &S.models, &d);
        S.have_models = rc == SOKO_OK;
    }
    if (!rc) {
        rc = rules_load(rules_path, S.set, &S.models, &S.rules, &d);
        S.have_rules = rc == SOKO_OK;
    }
    struct rules_calibs cal;
    memset(&cal, 0, sizeof cal);
    if (!rc) rc = rules_calibrate_run(&S.rules, S.set, &o, (unsigned)runs, seed, &cal, &d);
    if (rc) cli_print_diag(&d);
    soko_diag_free(&d);
    free(rules_path);
    if (!rc) {
        if (strcmp(c->format, "csv") == 0) {
            puts("rule,kind,control,level,observed,mean_false,any_false,max_false,runs,seed");
            for (size_t i = 0; i < cal.n; i++) {
                const struct rules_calib *k = &cal.v[i];
                char *lv = num(k->rule->level), *mf = num(k->mean_false), *af = num(k->any_false);
                cli_put_csv(k->rule->id);
                printf(",%s,%s,%s,%zu,%s,%s,%zu,%u,%lu\n", rule_kind_name(k->rule->kind),
                       rule_control_name(k->rule->control),
                       k->rule->control == CONTROL_NONE ? "" : lv, k->observed, mf, af,
                       k->max_false, cal.runs, cal.seed);
                free(lv);
                free(mf);
                free(af);
            }
        } else if (strcmp(c->format, "json") == 0) {
            printf("{\"runs\": %u, \"seed\": %lu, \"rules\": [", cal.runs, cal.seed);
            for (size_t i = 0; i < cal.n; i++) {
                const struct rules_calib *k = &cal.v[i];
                fputs(i ? ",\n {\"rule\": " : "\n {\"rule\": ", stdout);
                cli_put_json(k->rule->id);
                printf(", \"kind\": \"%s\", \"control\": \"%s\"", rule_kind_name(k->rule->kind),
                       rule_control_name(k->rule->control));
                json_num("level", k->rule->control == CONTROL_NONE ? NAN : k->rule->level, 0);
                printf(", \"observed\": %zu", k->observed);
                json_num("mean_false", k->mean_false, 0);
                json_num("any_false", k->any_false, 0);
                printf(", \"max_false\": %zu}", k->max_false);
            }
            fputs(cal.n ? "\n]}\n" : "]}\n", stdout);
        } else {
            printf(_("Null districts: %u (seed %lu): every school at the district's value of "
                     "each cell, with its own sizes. Every flag in them is false.\n\n"),
                   cal.runs, cal.seed);
            static const char *const head[] = {"Правило", "Контроль", "Отмечено",
                                               "Ложных в среднем", "P(≥ 1 ложной)", "Макс."};
            size_t w[6];
            for (int j = 0; j < 6; j++) w[j] = utf8_width(head[j]);
            for (size_t i = 0; i < cal.n; i++)
                if (utf8_width(cal.v[i].rule->id) > w[0]) w[0] = utf8_width(cal.v[i].rule->id);
            for (int j = 0; j < 6; j++) {
                if (j) fputs("  ", stdout);
                padto(head[j], j < 5 ? w[j] : 0, j >= 2);
            }
            putchar('\n');
            for (size_t i = 0; i < cal.n; i++) {
                const struct rules_calib *k = &cal.v[i];
                char *ctl = k->rule->control == CONTROL_NONE
                                ? xstrdup("—")
                                : xasprintf("%s %g %%", k->rule->control == CONTROL_FDR ? "FDR"
                                                                                        : "FWER",
                                            100.0 * k->rule->level);
                char *cells[6] = {xstrdup(k->rule->id), ctl, xasprintf("%zu", k->observed),
                                  xasprintf("%.3f", k->mean_false),
                                  xasprintf("%.3f", k->any_false), xasprintf("%zu", k->max_false)};
                for (int j = 0; j < 6; j++) {
                    if (j) fputs("  ", stdout);
                    padto(cells[j], j < 5 ? w[j] : 0, j >= 2);
                    free(cells[j]);
                }
                putchar('\n');
            }
        }
    }
    rules_calibs_free(&cal);
    rsession_close(&S);
    if (!rc && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, _("soko: writing the output failed\n"));
        rc = SOKO_EIO;
    }
    return rc;
}
