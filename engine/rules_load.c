/*
 * rules_load.c — reading and checking a rule file (contract in rules.h, language in
 * docs/rules.md).
 *
 * A section is one rule. Its `kind` chooses a descriptor of rule_kinds[]; the section
 * is then checked against the common keys and the kind's keys (deffile.h: types,
 * ranges, required keys — one message format), a key of another kind is named as
 * such, and the values are read into struct rule. What the key table cannot know is
 * checked here: indicator and model ids, the pattern of years, placeholders, the
 * rules a risk rule reads.
 */
#include "rules_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ops[] = {"<", "<=", ">", ">=", NULL};
static const char *const yesno[] = {"yes", "no", NULL};
static const char *const controls[] = {"none", "fdr", "fwer", NULL};

const struct deffile_key rule_common_keys[] = {
    {"title", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("the rule's name in Russian")},
    {"kind", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("a rule kind")},
    {"recommendation", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("the text for the school, in Russian")},
    {"window", DF_INT, 0, 1, ANA_MAX_YEARS, NULL, NULL},
    {"hold", DF_OTHER, 0, 0, 0, NULL, N_("all, any, last, 'K of N' or 'consecutive K'")},
    {"procedures", DF_COUNT, 0, 1, 1000, NULL, NULL},
    {"min_indicators", DF_INT, 0, 1, RULES_MAX_INDICATORS, NULL, NULL},
    {"same_year", DF_INT, 0, 1, 1000, NULL, NULL},
    {"min_n", DF_INT, 0, 0, 1e9, NULL, NULL},
    {"labels", DF_OTHER, 0, 0, 0, NULL, N_("KEY: text, ... (at most 32)")},
    {"subject", DF_LIST, 0, 1, 0, NULL, NULL},
    {"grade", DF_LIST, 0, 1, 0, NULL, NULL},
    {"stage", DF_LIST, 0, 1, 0, NULL, NULL},
    {"factor", DF_LIST, 0, 1, 0, NULL, NULL},
    {"control", DF_CHOICE, 0, 0, 0, controls, NULL},
    {"level", DF_REAL, DF_LO_OPEN, 0, 0.5, NULL,
     N_("an error level greater than 0 and at most 0.5, e.g. 0.05")},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const char *rule_control_name(enum rule_control c)
{
    return controls[c <= CONTROL_FWER ? c : 0];
}

const struct rule_kind *rule_kind_find(const char *name)
{
    for (const struct rule_kind *k = rule_kinds; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

const char *rule_kind_name(const struct rule_kind *k)
{
    return k ? k->name : "unknown";
}

const char *const rules_placeholders[] = {
    "school", "school_name", "rule", "window", "years", "count", "evaluated",
    "procedures", "indicators", "values", "factors", "rank",
    /* task rules (tasks.h): the task, its skill, the work, the unit and the figures */
    "skill", "task", "work", "unit", "unit_name", "completion", "district", NULL,
};

static void rule_free(struct rule *r)
{
    free(r->id);
    free(r->title);
    for (int i = 0; i < r->nwhere; i++) {
        free(r->where_col[i]);
        deffile_list_free(r->where_vals[i]);
    }
    for (int i = 0; i < r->ndeps; i++) free(r->deps[i]);
    for (int i = 0; i < r->nctx_if; i++) free(r->ctx_if[i].factor);
    for (int i = 0; i < r->nlabels; i++) {
        free(r->labels[i].key);
        free(r->labels[i].text);
    }
    free(r->recommendation);
    free(r->file);
    memset(r, 0, sizeof *r);
}

/* "all", "any", "last", "K of N", "consecutive K". */
static int parse_hold(const char *v, struct rule *r)
{
    int k = 0, n = 0;
    char tail;
    if (strcmp(v, "all") == 0) r->hold = HOLD_ALL;
    else if (strcmp(v, "any") == 0) r->hold = HOLD_ANY;
    else if (strcmp(v, "last") == 0) r->hold = HOLD_LAST;
    else if (sscanf(v, "consecutive %d %c", &k, &tail) == 1 && k >= 1 && k <= ANA_MAX_YEARS) {
        r->hold = HOLD_CONSECUTIVE;
        r->hold_k = k;
    } else if (sscanf(v, "%d of %d %c", &k, &n, &tail) == 2 && k >= 1 && n >= k &&
               n <= ANA_MAX_YEARS) {
        r->hold = HOLD_K_OF_N;
        r->hold_k = k;
        r->hold_n = n;
    } else
        return -1;
    return 0;
}

/* Checks the {placeholders} of a template. */
static size_t check_template(const struct deffile *df, const struct deffile_sec *s,
                             const struct deffile_kv *kv, struct soko_diag *d)
{
    size_t bad = 0;
    for (const char *p = kv->value; *p; p++) {
        if (*p != '{') continue;
        const char *e = strchr(p, '}');
        if (!e) {
            soko_diag_add(d, df->path, kv->line, 0, _("[%s]: recommendation: '{' without '}'"),
                          s->name);
            return bad + 1;
        }
        size_t len = (size_t)(e - p - 1);
        int known = 0;
        for (int i = 0; rules_placeholders[i]; i++)
            if (strlen(rules_placeholders[i]) == len &&
                strncmp(rules_placeholders[i], p + 1, len) == 0)
                known = 1;
        if (!known) {
            struct sbuf b = SBUF_INIT;
            for (int i = 0; rules_placeholders[i]; i++)
                sbuf_printf(&b, "%s{%s}", i ? ", " : "", rules_placeholders[i]);
            soko_diag_add(d, df->path, kv->line, 0,
                          _("[%s]: recommendation: unknown placeholder '{%.*s}'; expected one of %s"),
                          s->name, (int)len, p + 1, b.s);
            sbuf_free(&b);
            bad++;
        }
        p = e;
    }
    return bad;
}

static size_t parse_indicators(const struct deffile *df, const struct deffile_sec *s,
                               const char *key, const struct ind_set *set,
                               const struct indicator **out, int *nout, struct soko_diag *d)
{
    const struct deffile_kv *kv = deffile_kv(s, key);
    *nout = 0;
    if (!kv) return 0;
    int n;
    char **items = deffile_list(kv->value, &n);
    size_t bad = 0;
    for (int i = 0; i < n && *nout < RULES_MAX_INDICATORS; i++) {
        const struct indicator *ind = set ? ind_find(set, items[i]) : NULL;
        if (!ind) {
            soko_diag_add(d, df->path, kv->line, 0,
                          _("[%s]: %s: unknown indicator '%s' (see soko indicators --list)"),
                          s->name, key, items[i]);
            bad++;
            continue;
        }
        out[(*nout)++] = ind;
    }
    deffile_list_free(items);
    return bad;
}

/* A key that belongs to other kinds: "does not apply to kind X (a key of ...)". */
static int other_kinds_key(const char *key, const struct rule_kind *mine, struct sbuf *names)
{
    int found = 0;
    for (const struct rule_kind *k = rule_kinds; k->name; k++) {
        if (k == mine) continue;
        for (const struct deffile_key *q = k->keys; q && q->name; q++)
            if (strcmp(q->name, key) == 0) {
                sbuf_printf(names, "%s%s", found ? ", " : "", k->name);
                found = 1;
            }
    }
    return found;
}

/* Reads the values the key table checked into r, and checks what it could not. */
static size_t rule_values(struct rule *r, const struct deffile *df, const struct deffile_sec *s,
                          const struct ind_set *set, const struct ana_models *models,
                          struct soko_diag *d)
{
    size_t bad = 0;
    const struct deffile_kv *kv;
    const char *v;
    if ((v = deffile_get(s, "title", NULL))) r->title = xstrdup(v);
    if ((kv = deffile_kv(s, "recommendation"))) {
        bad += check_template(df, s, kv, d);
        r->recommendation = xstrdup(kv->value);
    }
    r->window = (int)deffile_long(s, "window", 3);
    double x;
    int pct;
    if (deffile_count(s, "procedures", &x, &pct) == 0) {
        r->procedures = x;
        r->procedures_pct = pct;
    }
    r->min_indicators = (int)deffile_long(s, "min_indicators", 1);
    r->same_year = (int)deffile_long(s, "same_year", 0);
    r->min_n = (double)deffile_long(s, "min_n", 0);
    r->op = (enum rule_op)deffile_choice(s, "op", ops, OP_GE);
    r->value = deffile_real(s, "value", NAN);
    int side = deffile_choice(s, "side", (const char *const[]){"good", "bad", NULL}, -1);
    r->side = side == 0 ? 1 : side == 1 ? -1 : 0;
    r->limit = deffile_real(s, "limit", NAN);
    r->bound = deffile_real(s, "bound", NAN);
    r->min_diff = deffile_real(s, "min_diff", 0);
    r->alpha = deffile_real(s, "alpha", NAN);
    r->task_level[0] = deffile_real(s, "basic", NAN);
    r->task_level[1] = deffile_real(s, "advanced", NAN);
    r->task_level[2] = deffile_real(s, "high", NAN);
    r->share = deffile_real(s, "share", NAN);
    r->no_going_back = deffile_choice(s, "no_going_back", yesno, 0) == 0;
    r->against_district =
        deffile_choice(s, "against", (const char *const[]){"district", "none", NULL}, 0) == 0;
    r->overdispersion = deffile_choice(s, "overdispersion", yesno, 0) == 0;
    int dflt = 0;
    for (int i = 0; controls[i]; i++)
        if (strcmp(controls[i], r->kind->control) == 0) dflt = i;
    r->control = (enum rule_control)deffile_choice(s, "control", controls, dflt);
    r->level = deffile_real(s, "level", 0.05);

    if ((kv = deffile_kv(s, "hold")) && parse_hold(kv->value, r) != 0) {
        deffile_bad(d, df, s, kv, NULL, _("all, any, last, 'K of N' or 'consecutive K'"));
        bad++;
    }
    bad += parse_indicators(df, s, "indicators", set, r->ind, &r->nind, d);
    bad += parse_indicators(df, s, "confirm", set, r->confirm, &r->nconfirm, d);
    if ((kv = deffile_kv(s, "model"))) {
        r->model = models ? ana_model_find(models, kv->value) : NULL;
        if (!r->model) {
            soko_diag_add(d, df->path, kv->line, 0,
                          _("[%s]: model: unknown context model '%s' (defs/context.ini)"), s->name,
                          kv->value);
            bad++;
        }
    }
    static const char *const where_keys[] = {"subject", "grade", "stage", "factor", NULL};
    /* the task rules judge every task of every work (tasks.c): a filter would be ignored,
       so it is refused rather than accepted and not applied */
    for (int w = 0; (r->kind->flags & RK_TASKS) && where_keys[w]; w++)
        if ((kv = deffile_kv(s, where_keys[w]))) {
            soko_diag_add(d, df->path, kv->line, 0,
                          _("[%s]: %s: a task rule judges every work's tasks; expected no %s "
                            "filter (soko tasks --school, --cluster and --years choose what "
                            "is listed)"), s->name, where_keys[w], where_keys[w]);
            bad++;
        }
    for (int w = 0; where_keys[w]; w++)
        if ((v = deffile_get(s, where_keys[w], NULL)) && r->nwhere < IND_MAX_DIMS + 1) {
            int n;
            char **items = deffile_list(v, &n);
            if (r->nwhere == IND_MAX_DIMS) {
                deffile_list_free(items);
                continue;
            }
            r->where_col[r->nwhere] = xstrdup(where_keys[w]);
            r->where_vals[r->nwhere] = items;
            r->where_nvals[r->nwhere] = n;
            r->nwhere++;
        }
    if ((kv = deffile_kv(s, "for"))) {
        int n;
        char **items = deffile_list(kv->value, &n);
        for (int q = 0; q < n && r->ndeps < RULES_MAX_DEPS; q++) r->deps[r->ndeps++] = xstrdup(items[q]);
        deffile_list_free(items);
    }
    if ((kv = deffile_kv(s, "marks"))) {
        int n;
        char **items = deffile_list(kv->value, &n);
        r->marks[0] = r->marks[1] = r->marks[2] = 0;
        for (int q = 0; q < n; q++) r->marks[items[q][0] - '3'] = 1;
        deffile_list_free(items);
    }
    if ((kv = deffile_kv(s, "context_if"))) {
        int n;
        char **items = deffile_list(kv->value, &n);
        for (int q = 0; q < n; q++) {
            char name[128], opb[4], tail;
            double val;
            int op = -1;
            if (sscanf(items[q], "%127[a-z0-9_] %3[<>=] %lf %c", name, opb, &val, &tail) == 3 &&
                isfinite(val))
                for (int o = 0; ops[o]; o++)
                    if (strcmp(ops[o], opb) == 0) op = o;
            if (op < 0 || r->nctx_if == RULES_MAX_CTX_IF) {
                deffile_bad(d, df, s, kv, NULL, _("FACTOR OP NUMBER, e.g. share_low_income >= 25 "
                                                "(at most %d)"), RULES_MAX_CTX_IF);
                bad++;
                break;
            }
            r->ctx_if[r->nctx_if].factor = xstrdup(name);
            r->ctx_if[r->nctx_if].op = (enum rule_op)op;
            r->ctx_if[r->nctx_if].value = val;
            r->nctx_if++;
        }
        deffile_list_free(items);
    }
    if ((kv = deffile_kv(s, "labels"))) {
        int n;
        char **items = deffile_list(kv->value, &n);
        for (int q = 0; q < n; q++) {
            char *colon = strchr(items[q], ':');
            if (!colon || r->nlabels == RULES_MAX_LABELS) {
                soko_diag_add(d, df->path, kv->line, 0,
                              _("[%s]: labels: got '%s'; expected KEY: text, ... (at most %d)"),
                              s->name, items[q], RULES_MAX_LABELS);
                bad++;
                continue;
            }
            *colon = '\0';
            r->labels[r->nlabels].key = xstrdup(str_trim(items[q]));
            r->labels[r->nlabels].text = xstrdup(str_trim(colon + 1));
            r->nlabels++;
        }
        deffile_list_free(items);
    }

    /* what holds across keys */
    if ((r->hold == HOLD_K_OF_N && r->hold_n > r->window) ||
        (r->hold == HOLD_CONSECUTIVE && r->hold_k > r->window)) {
        deffile_bad(d, df, s, deffile_kv(s, "hold"), NULL,
                    _("a pattern within the window (%d years)"), r->window);
        bad++;
    }
    if (r->min_indicators > 1 && r->min_indicators > r->nind) {
        deffile_bad(d, df, s, deffile_kv(s, "min_indicators"), NULL,
                    _("at most the number of indicators the rule names (%d)"), r->nind);
        bad++;
    }
    if (r->control != CONTROL_NONE && !(r->kind->flags & RK_TESTS)) {
        deffile_bad(d, df, s, deffile_kv(s, "control"), NULL,
                    _("none: kind %s carries no test to control"), r->kind->name);
        bad++;
    }
    if (r->kind->check) bad += r->kind->check(r, df, s, d);
    return bad;
}

/* Parses one section; returns 1 when it is a valid rule. */
static int rule_parse(const struct deffile *df, const struct deffile_sec *sec,
                      const struct ind_set *set, const struct ana_models *models,
                      struct rule *r, struct soko_diag *d)
{
    memset(r, 0, sizeof *r);
    r->id = xstrdup(sec->name);
    r->file = xstrdup(df->path);
    r->line = sec->line;
    r->window = 3;
    r->hold = HOLD_ALL;
    r->procedures = 1;
    r->min_indicators = 1;
    r->no_going_back = 1;
    r->overdispersion = 1;
    r->value = r->limit = r->bound = r->alpha = NAN;
    r->level = 0.05;
    r->marks[0] = r->marks[1] = r->marks[2] = 1;
    size_t bad = 0;
    int id_ok = 1;
    for (const char *p = sec->name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')) id_ok = 0;
    if (!id_ok || !*sec->name) {
        soko_diag_add(d, df->path, sec->line, 0,
                      _("[%s]: a rule id is lower-case letters, digits and '_'"), sec->name);
        bad++;
    }
    const struct deffile_kv *kk = deffile_kv(sec, "kind");
    struct sbuf names = SBUF_INIT;
    for (const struct rule_kind *k = rule_kinds; k->name; k++)
        sbuf_printf(&names, "%s%s", names.len ? ", " : "", k->name);
    r->kind = kk ? rule_kind_find(kk->value) : NULL;
    if (!r->kind) {
        deffile_bad(d, df, sec, kk, "kind", _("one of %s"), names.s);
        sbuf_free(&names);
        return 0;
    }
    sbuf_free(&names);

    /* keys of other kinds are named as such; the rest goes through the key table */
    struct deffile_sec mine = *sec;
    mine.kv = xcalloc(sec->nkv + 1, sizeof *mine.kv);
    mine.nkv = 0;
    for (size_t i = 0; i < sec->nkv; i++) {
        const struct deffile_kv *kv = &sec->kv[i];
        const struct deffile_key *const tabs[] = {rule_common_keys, r->kind->keys, NULL};
        struct sbuf others = SBUF_INIT;
        if (!deffile_key_find(tabs, kv->key) && other_kinds_key(kv->key, r->kind, &others)) {
            soko_diag_add(d, df->path, kv->line, 0,
                          _("[%s]: %s: does not apply to kind %s (a key of %s)"), sec->name, kv->key,
                          r->kind->name, others.s);
            bad++;
        } else
            mine.kv[mine.nkv++] = *kv;
        sbuf_free(&others);
    }
    const struct deffile_key *const tables[] = {rule_common_keys, r->kind->keys, NULL};
    size_t typed = deffile_check(df, &mine, tables, d);
    bad += typed;
    if (!typed) bad += rule_values(r, df, &mine, set, models, d);
    free(mine.kv);
    return bad == 0;
}

int rules_load(const char *path, const struct ind_set *set, const struct ana_models *models,
               struct rule_set *out, struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    struct deffile df;
    int rc = deffile_read(path, &df, d);
    if (rc != SOKO_OK) {
        deffile_free(&df);    /* deffile_read fills df even when it refuses the file */
        return rc;
    }
    int ok = 1;
    out->v = xcalloc(df.nsec + 1, sizeof *out->v);
    for (size_t i = 0; i < df.nsec; i++) {
        struct rule *r = &out->v[out->n];
        if (rule_parse(&df, &df.sec[i], set, models, r, d)) out->n++;
        else {
            rule_free(r);
            ok = 0;
        }
    }
    /* dependencies of risk rules: earlier or later rules of the file, not risk rules */
    for (size_t i = 0; i < out->n && ok; i++) {
        struct rule *r = &out->v[i];
        for (int q = 0; q < r->ndeps; q++) {
            const struct rule *dep = rules_find(out, r->deps[q]);
            if (!dep || (dep->kind->flags & RK_FLAGS)) {
                long ln = 0;
                for (size_t s = 0; s < df.nsec; s++)
                    if (strcmp(df.sec[s].name, r->id) == 0) deffile_get(&df.sec[s], "for", &ln);
                soko_diag_add(d, df.path, ln, 0,
                              dep ? _("[%s]: for: a risk rule '%s' (risk rules read the flags of "
                                      "other kinds)")
                                  : _("[%s]: for: no rule '%s' in this file"),
                              r->id, r->deps[q]);
                ok = 0;
            }
        }
    }
    if (df.nsec == 0) {
        soko_diag_add(d, df.path, 0, 0, _("no rules (expected [sections], see docs/rules.md)"));
        ok = 0;
    }
    deffile_free(&df);
    if (!ok) {
        rules_free(out);
        return SOKO_ECONFIG;
    }
    return SOKO_OK;
}

void rules_free(struct rule_set *rs)
{
    for (size_t i = 0; i < rs->n; i++) rule_free(&rs->v[i]);
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}

const struct rule *rules_find(const struct rule_set *rs, const char *id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->v[i].id, id) == 0) return &rs->v[i];
    return NULL;
}
