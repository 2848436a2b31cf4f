/*
 * rules.c — rule files, their evaluation into flags with evidence, and the
 * recommendation templates (contract in rules.h, language in docs/rules.md).
 *
 * The shape of every rule is the same, whatever it tests: a "procedure" is one
 * indicator in one breakdown (a ВПР subject-grade, an ОГЭ subject, a work's score
 * histogram, a context factor); each kind decides, per school, procedure and year of
 * the window, whether its condition holds, and keeps the figures that decided it.
 * Then the pattern over the years (all, any, last, k of n, k consecutive), the number
 * of holding procedures (a count or a % of those with data), the number of distinct
 * indicators among them and the optional same-year count decide whether the school is
 * flagged. Nothing in here is a threshold: every number that decides comes from the
 * rule file.
 */
#include "rules.h"

#include "deffile.h"
#include "stats.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== small helpers ===================================================================== */

static int str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Numbers as people write them: school ids "14" < "147" < "570"; text otherwise. */
static int natural_cmp(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    char *ea, *eb;
    errno = 0;
    long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);
    if (*a && *b && !*ea && !*eb && x != y) return x < y ? -1 : 1;
    return strcmp(a, b);
}

static int valid_ident(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static int parse_num(const char *s, double *out)
{
    char *end;
    while (*s == ' ') s++;
    if (!*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ') end++;
    if (*end || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int parse_op(const char *s, enum rule_op *op)
{
    if (strcmp(s, "<") == 0) *op = OP_LT;
    else if (strcmp(s, "<=") == 0) *op = OP_LE;
    else if (strcmp(s, ">") == 0) *op = OP_GT;
    else if (strcmp(s, ">=") == 0) *op = OP_GE;
    else return -1;
    return 0;
}

static const char *op_text(enum rule_op op)
{
    switch (op) {
    case OP_LT: return "<";
    case OP_LE: return "≤";
    case OP_GT: return ">";
    default: return "≥";
    }
}

static int op_holds(double v, enum rule_op op, double t)
{
    switch (op) {
    case OP_LT: return v < t;
    case OP_LE: return v <= t;
    case OP_GT: return v > t;
    default: return v >= t;
    }
}

/* Splits a comma-separated list into trimmed non-empty items (caller frees each and
 * the array). */
static char **split_list(const char *v, int *n)
{
    char *copy = xstrdup(v ? v : ""), *save = NULL;
    char **items = NULL;
    *n = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        str_trim(t);
        if (!*t) continue;
        items = xrealloc(items, (size_t)(*n + 1) * sizeof *items);
        items[(*n)++] = xstrdup(t);
    }
    free(copy);
    return items;
}

static void free_list(char **items, int n)
{
    for (int i = 0; i < n; i++) free(items[i]);
    free(items);
}

/* ==== names ============================================================================= */

static const char *const kind_names[] = {
    "threshold", "funnel", "z", "trend", "change", "unconfirmed", "residual", "spike", "risk",
};
#define NKINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

const char *rule_kind_name(enum rule_kind k)
{
    return (int)k >= 0 && (int)k < NKINDS ? kind_names[k] : "unknown";
}

const char *const rules_placeholders[] = {
    "school", "school_name", "rule", "window", "years", "count", "evaluated",
    "procedures", "indicators", "values", "factors", "rank", NULL,
};

/* ==== loading =========================================================================== */

/* Which kinds a key applies to (bit per kind); "all" keys are not listed. */
#define K(x) (1u << (x))
#define K_ALL 0xFFFFu
struct key_spec {
    const char *key;
    unsigned kinds;
};
static const struct key_spec key_specs[] = {
    {"title", K_ALL}, {"kind", K_ALL}, {"recommendation", K_ALL}, {"window", K_ALL},
    {"hold", K_ALL}, {"procedures", K_ALL}, {"min_indicators", K_ALL},
    {"same_year", K_ALL}, {"min_n", K_ALL}, {"labels", K_ALL},
    {"subject", K_ALL}, {"grade", K_ALL}, {"stage", K_ALL}, {"factor", K_ALL},
    {"indicators", K_ALL & ~(K(RULE_RESIDUAL) | K(RULE_SPIKE))},
    {"confirm", K(RULE_UNCONFIRMED)},
    {"model", K(RULE_RESIDUAL)},
    {"context_if", K(RULE_RESIDUAL)},
    {"op", K(RULE_THRESHOLD) | K(RULE_RISK)},
    {"value", K(RULE_THRESHOLD) | K(RULE_RISK)},
    {"side", K(RULE_FUNNEL) | K(RULE_Z) | K(RULE_TREND) | K(RULE_CHANGE) | K(RULE_RESIDUAL)},
    {"limit", K(RULE_FUNNEL) | K(RULE_UNCONFIRMED)},
    {"bound", K(RULE_Z) | K(RULE_CHANGE) | K(RULE_RESIDUAL)},
    {"min_diff", K(RULE_CHANGE)},
    {"alpha", K(RULE_TREND) | K(RULE_SPIKE)},
    {"marks", K(RULE_SPIKE)},
    {"no_going_back", K(RULE_TREND)},
    {"for", K(RULE_RISK)},
    {NULL, 0},
};

/* Keys a kind must have. */
static const char *const required[][4] = {
    [RULE_THRESHOLD] = {"indicators", "op", "value", NULL},
    [RULE_FUNNEL] = {"indicators", "side", "limit", NULL},
    [RULE_Z] = {"indicators", "side", "bound", NULL},
    [RULE_TREND] = {"indicators", "side", "alpha", NULL},
    [RULE_CHANGE] = {"indicators", "side", "bound", NULL},
    [RULE_UNCONFIRMED] = {"indicators", "confirm", "limit", NULL},
    [RULE_RESIDUAL] = {"model", "side", "bound", NULL},
    [RULE_SPIKE] = {"alpha", NULL, NULL, NULL},
    [RULE_RISK] = {"indicators", "op", "value", NULL},
};

static void rule_free(struct rule *r)
{
    free(r->id);
    free(r->title);
    for (int i = 0; i < r->nwhere; i++) {
        free(r->where_col[i]);
        free_list(r->where_vals[i], r->where_nvals[i]);
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
    else if (sscanf(v, "consecutive %d %c", &k, &tail) == 1 && k >= 1) {
        r->hold = HOLD_CONSECUTIVE;
        r->hold_k = k;
    } else if (sscanf(v, "%d of %d %c", &k, &n, &tail) == 2 && k >= 1 && n >= k) {
        r->hold = HOLD_K_OF_N;
        r->hold_k = k;
        r->hold_n = n;
    } else
        return -1;
    return 0;
}

/* Checks the {placeholders} of a template. */
static int check_template(const char *t, const char *f, long line, const char *id,
                          struct soko_diag *d)
{
    int ok = 1;
    for (const char *p = t; *p; p++) {
        if (*p != '{') continue;
        const char *e = strchr(p, '}');
        if (!e) {
            soko_diag_add(d, f, line, 0, "[%s]: recommendation: '{' without '}'", id);
            return 0;
        }
        size_t len = (size_t)(e - p - 1);
        int known = 0;
        for (int i = 0; rules_placeholders[i]; i++)
            if (strlen(rules_placeholders[i]) == len && strncmp(rules_placeholders[i], p + 1, len) == 0)
                known = 1;
        if (!known) {
            struct sbuf b = SBUF_INIT;
            for (int i = 0; rules_placeholders[i]; i++)
                sbuf_printf(&b, "%s{%s}", i ? ", " : "", rules_placeholders[i]);
            soko_diag_add(d, f, line, 0,
                          "[%s]: recommendation: unknown placeholder '{%.*s}'; expected one of %s",
                          id, (int)len, p + 1, b.s);
            sbuf_free(&b);
            ok = 0;
        }
        p = e;
    }
    return ok;
}

static int parse_indicators(const char *v, const struct ind_set *set,
                            const struct indicator **out, int *nout, const char *f,
                            long line, const char *id, const char *key, struct soko_diag *d)
{
    int n, ok = 1;
    char **items = split_list(v, &n);
    *nout = 0;
    if (n == 0) {
        soko_diag_add(d, f, line, 0, "[%s]: %s: expected a comma-separated list of indicator ids",
                      id, key);
        ok = 0;
    }
    for (int i = 0; i < n; i++) {
        const struct indicator *ind = set ? ind_find(set, items[i]) : NULL;
        if (!ind) {
            soko_diag_add(d, f, line, 0,
                          "[%s]: %s: unknown indicator '%s' (see soko indicators --list)", id,
                          key, items[i]);
            ok = 0;
            continue;
        }
        if (*nout == RULES_MAX_INDICATORS) {
            soko_diag_add(d, f, line, 0, "[%s]: %s: more than %d indicators", id, key,
                          RULES_MAX_INDICATORS);
            ok = 0;
            break;
        }
        out[(*nout)++] = ind;
    }
    free_list(items, n);
    return ok;
}

/* Parses one section; returns 1 when it is a valid rule. */
static int rule_parse(const struct deffile *df, const struct deffile_sec *sec,
                      const struct ind_set *set, const struct ana_models *models,
                      struct rule *r, struct soko_diag *d)
{
    const char *f = df->path, *id = sec->name;
    int ok = 1;
    memset(r, 0, sizeof *r);
    r->id = xstrdup(id);
    r->file = xstrdup(f);
    r->line = sec->line;
    r->window = 3;
    r->hold = HOLD_ALL;
    r->procedures = 1;
    r->min_indicators = 1;
    r->no_going_back = 1;
    r->value = r->limit = r->bound = r->alpha = NAN;
    r->min_diff = 0;
    r->side = 0;
    r->marks[0] = r->marks[1] = r->marks[2] = 1;
    if (!valid_ident(id)) {
        soko_diag_add(d, f, sec->line, 0, "[%s]: a rule id is lower-case letters, digits and '_'",
                      id);
        ok = 0;
    }
    long kline = 0;
    const char *kv_kind = deffile_get(sec, "kind", &kline);
    int kind = -1;
    if (!kv_kind) {
        struct sbuf b = SBUF_INIT;
        for (int i = 0; i < NKINDS; i++) sbuf_printf(&b, "%s%s", i ? ", " : "", kind_names[i]);
        soko_diag_add(d, f, sec->line, 0, "[%s]: kind: missing; expected one of %s", id, b.s);
        sbuf_free(&b);
        return 0;
    }
    for (int i = 0; i < NKINDS; i++)
        if (strcmp(kv_kind, kind_names[i]) == 0) kind = i;
    if (kind < 0) {
        struct sbuf b = SBUF_INIT;
        for (int i = 0; i < NKINDS; i++) sbuf_printf(&b, "%s%s", i ? ", " : "", kind_names[i]);
        soko_diag_add(d, f, kline, 0, "[%s]: kind: unknown kind '%s'; expected one of %s", id,
                      kv_kind, b.s);
        sbuf_free(&b);
        return 0;
    }
    r->kind = (enum rule_kind)kind;

    for (size_t i = 0; i < sec->nkv; i++) {
        const struct deffile_kv *kv = &sec->kv[i];
        const char *k = kv->key, *v = kv->value ? kv->value : "";
        long ln = kv->line;
        const struct key_spec *ks = key_specs;
        while (ks->key && strcmp(ks->key, k) != 0) ks++;
        if (!ks->key) {
            soko_diag_add(d, f, ln, 0, "[%s]: unknown key '%s' (see docs/rules.md)", id, k);
            ok = 0;
            continue;
        }
        if (!(ks->kinds & K(r->kind))) {
            soko_diag_add(d, f, ln, 0, "[%s]: %s: does not apply to kind %s", id, k,
                          kind_names[r->kind]);
            ok = 0;
            continue;
        }
        double x;
        if (strcmp(k, "kind") == 0) {
            continue;
        } else if (strcmp(k, "title") == 0) {
            r->title = xstrdup(v);
        } else if (strcmp(k, "recommendation") == 0) {
            if (!check_template(v, f, ln, id, d)) ok = 0;
            r->recommendation = xstrdup(v);
        } else if (strcmp(k, "indicators") == 0) {
            if (!parse_indicators(v, set, r->ind, &r->nind, f, ln, id, k, d)) ok = 0;
        } else if (strcmp(k, "confirm") == 0) {
            if (!parse_indicators(v, set, r->confirm, &r->nconfirm, f, ln, id, k, d)) ok = 0;
        } else if (strcmp(k, "model") == 0) {
            r->model = models ? ana_model_find(models, v) : NULL;
            if (!r->model) {
                soko_diag_add(d, f, ln, 0,
                              "[%s]: model: unknown context model '%s' (defs/context.ini)",
                              id, v);
                ok = 0;
            }
        } else if (strcmp(k, "op") == 0) {
            if (parse_op(v, &r->op) != 0) {
                soko_diag_add(d, f, ln, 0, "[%s]: op: '%s'; expected <, <=, > or >=", id, v);
                ok = 0;
            }
        } else if (strcmp(k, "side") == 0) {
            if (strcmp(v, "good") == 0) r->side = 1;
            else if (strcmp(v, "bad") == 0) r->side = -1;
            else {
                soko_diag_add(d, f, ln, 0, "[%s]: side: '%s'; expected good or bad", id, v);
                ok = 0;
            }
        } else if (strcmp(k, "limit") == 0) {
            if (parse_num(v, &x) != 0 || (x != 95 && x != 99.8)) {
                soko_diag_add(d, f, ln, 0, "[%s]: limit: '%s'; expected 95 or 99.8 (the funnel's "
                                           "control limits, %%)", id, v);
                ok = 0;
            } else
                r->limit = x;
        } else if (strcmp(k, "hold") == 0) {
            if (parse_hold(v, r) != 0) {
                soko_diag_add(d, f, ln, 0, "[%s]: hold: '%s'; expected all, any, last, "
                                           "'K of N' or 'consecutive K'", id, v);
                ok = 0;
            }
        } else if (strcmp(k, "procedures") == 0) {
            size_t len = strlen(v);
            int pct = len > 0 && v[len - 1] == '%';
            char *num = xstrndup(v, pct ? len - 1 : len);
            if (parse_num(num, &x) != 0 || x <= 0 || (pct && x > 100) ||
                (!pct && x != floor(x))) {
                soko_diag_add(d, f, ln, 0, "[%s]: procedures: '%s'; expected a whole number "
                                           ">= 1 or a percentage like 20%%", id, v);
                ok = 0;
            } else {
                r->procedures = x;
                r->procedures_pct = pct;
            }
            free(num);
        } else if (strcmp(k, "for") == 0) {
            int n;
            char **items = split_list(v, &n);
            for (int q = 0; q < n; q++) {
                if (r->ndeps == RULES_MAX_DEPS) {
                    soko_diag_add(d, f, ln, 0, "[%s]: for: more than %d rules", id, RULES_MAX_DEPS);
                    ok = 0;
                    break;
                }
                r->deps[r->ndeps++] = xstrdup(items[q]);
            }
            free_list(items, n);
            if (r->ndeps == 0) {
                soko_diag_add(d, f, ln, 0, "[%s]: for: expected a list of rule ids", id);
                ok = 0;
            }
        } else if (strcmp(k, "context_if") == 0) {
            int n;
            char **items = split_list(v, &n);
            for (int q = 0; q < n; q++) {
                char name[128], opb[4];
                double val;
                char tail;
                if (r->nctx_if == RULES_MAX_CTX_IF ||
                    sscanf(items[q], "%127[a-z0-9_] %3[<>=] %lf %c", name, opb, &val, &tail) != 3 ||
                    parse_op(opb, &r->ctx_if[r->nctx_if].op) != 0) {
                    soko_diag_add(d, f, ln, 0, "[%s]: context_if: '%s'; expected FACTOR OP NUMBER "
                                               "(e.g. share_low_income >= 25), at most %d", id,
                                  items[q], RULES_MAX_CTX_IF);
                    ok = 0;
                    continue;
                }
                r->ctx_if[r->nctx_if].factor = xstrdup(name);
                r->ctx_if[r->nctx_if].value = val;
                r->nctx_if++;
            }
            free_list(items, n);
        } else if (strcmp(k, "labels") == 0) {
            int n;
            char **items = split_list(v, &n);
            for (int q = 0; q < n; q++) {
                char *colon = strchr(items[q], ':');
                if (!colon || r->nlabels == RULES_MAX_LABELS) {
                    soko_diag_add(d, f, ln, 0, "[%s]: labels: '%s'; expected KEY: text, ... (at "
                                               "most %d)", id, items[q], RULES_MAX_LABELS);
                    ok = 0;
                    continue;
                }
                *colon = '\0';
                r->labels[r->nlabels].key = xstrdup(str_trim(items[q]));
                r->labels[r->nlabels].text = xstrdup(str_trim(colon + 1));
                r->nlabels++;
            }
            free_list(items, n);
        } else if (strcmp(k, "subject") == 0 || strcmp(k, "grade") == 0 ||
                   strcmp(k, "stage") == 0 || strcmp(k, "factor") == 0) {
            int n;
            char **items = split_list(v, &n);
            if (n == 0) {
                soko_diag_add(d, f, ln, 0, "[%s]: %s: expected a list of values", id, k);
                ok = 0;
                free(items);
                continue;
            }
            r->where_col[r->nwhere] = xstrdup(k);
            r->where_vals[r->nwhere] = items;
            r->where_nvals[r->nwhere] = n;
            r->nwhere++;
        } else if (strcmp(k, "marks") == 0) {
            int n;
            char **items = split_list(v, &n);
            r->marks[0] = r->marks[1] = r->marks[2] = 0;
            for (int q = 0; q < n; q++) {
                if (strcmp(items[q], "3") && strcmp(items[q], "4") && strcmp(items[q], "5")) {
                    soko_diag_add(d, f, ln, 0, "[%s]: marks: '%s'; expected a list of 3, 4, 5",
                                  id, items[q]);
                    ok = 0;
                    continue;
                }
                r->marks[items[q][0] - '3'] = 1;
            }
            if (n == 0) {
                soko_diag_add(d, f, ln, 0, "[%s]: marks: expected a list of 3, 4, 5", id);
                ok = 0;
            }
            free_list(items, n);
        } else if (strcmp(k, "no_going_back") == 0) {
            if (strcmp(v, "yes") == 0) r->no_going_back = 1;
            else if (strcmp(v, "no") == 0) r->no_going_back = 0;
            else {
                soko_diag_add(d, f, ln, 0, "[%s]: no_going_back: '%s'; expected yes or no", id, v);
                ok = 0;
            }
        } else {
            /* the plain numbers */
            struct {
                const char *key;
                double lo, hi;
                int whole;
            } nums[] = {
                {"value", -INFINITY, INFINITY, 0}, {"bound", 0, INFINITY, 0},
                {"min_diff", 0, INFINITY, 0},      {"alpha", 0, 1, 0},
                {"window", 1, ANA_MAX_YEARS, 1},   {"min_indicators", 1, RULES_MAX_INDICATORS, 1},
                {"same_year", 1, 1000, 1},         {"min_n", 0, 1e9, 0},
            };
            size_t q = 0;
            while (q < sizeof nums / sizeof nums[0] && strcmp(nums[q].key, k) != 0) q++;
            SOKO_ASSERT(q < sizeof nums / sizeof nums[0]);
            if (parse_num(v, &x) != 0 || x < nums[q].lo || x > nums[q].hi ||
                (strcmp(k, "alpha") == 0 && (x <= 0 || x >= 1)) ||
                (nums[q].whole && x != floor(x))) {
                soko_diag_add(d, f, ln, 0, "[%s]: %s: '%s' is not a valid %s", id, k, v,
                              nums[q].whole ? "whole number in range" :
                              strcmp(k, "alpha") == 0 ? "significance level in (0, 1)" :
                                                        "number (>= 0 where a bound)");
                ok = 0;
                continue;
            }
            if (strcmp(k, "value") == 0) r->value = x;
            else if (strcmp(k, "bound") == 0) r->bound = x;
            else if (strcmp(k, "min_diff") == 0) r->min_diff = x;
            else if (strcmp(k, "alpha") == 0) r->alpha = x;
            else if (strcmp(k, "window") == 0) r->window = (int)x;
            else if (strcmp(k, "min_indicators") == 0) r->min_indicators = (int)x;
            else if (strcmp(k, "same_year") == 0) r->same_year = (int)x;
            else r->min_n = x;
        }
    }
    for (int i = 0; required[r->kind][i]; i++)
        if (!deffile_get(sec, required[r->kind][i], NULL)) {
            soko_diag_add(d, f, sec->line, 0, "[%s]: %s: missing (kind %s needs it)", id,
                          required[r->kind][i], kind_names[r->kind]);
            ok = 0;
        }
    if (!r->title) {
        soko_diag_add(d, f, sec->line, 0, "[%s]: title: missing (the rule's name in Russian)", id);
        ok = 0;
    }
    if (!r->recommendation) {
        soko_diag_add(d, f, sec->line, 0,
                      "[%s]: recommendation: missing (the text for the school, in Russian)", id);
        ok = 0;
    }
    if ((r->hold == HOLD_K_OF_N && r->hold_n > r->window) ||
        (r->hold == HOLD_CONSECUTIVE && r->hold_k > r->window)) {
        long hl = 0;
        deffile_get(sec, "hold", &hl);
        soko_diag_add(d, f, hl, 0, "[%s]: hold: needs more years than the window (%d)", id,
                      r->window);
        ok = 0;
    }
    if (r->min_indicators > 1 && r->min_indicators > r->nind) {
        long ml = 0;
        deffile_get(sec, "min_indicators", &ml);
        soko_diag_add(d, f, ml, 0, "[%s]: min_indicators: %d, but the rule names %d indicators",
                      id, r->min_indicators, r->nind);
        ok = 0;
    }
    return ok;
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
            if (!dep || dep->kind == RULE_RISK) {
                long ln = 0;
                for (size_t s = 0; s < df.nsec; s++)
                    if (strcmp(df.sec[s].name, r->id) == 0) deffile_get(&df.sec[s], "for", &ln);
                soko_diag_add(d, df.path, ln, 0, "[%s]: for: %s rule '%s'%s", r->id,
                              dep ? "a risk" : "no", r->deps[q],
                              dep ? " (risk rules read the flags of other kinds)" : " in this file");
                ok = 0;
            }
        }
    }
    if (df.nsec == 0) {
        soko_diag_add(d, df.path, 0, 0, "no rules (expected [sections], see docs/rules.md)");
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

/* ==== vpr_dist: per-work score histograms ================================================ */

/* "[3,0,12,...]" → counts. Returns -1 on anything else. */
static int parse_scores(const char *s, double **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t cap = 0;
    while (isspace((unsigned char)*s)) s++;
    if (*s++ != '[') return -1;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (*s == ']' && *len == 0) break;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < 0) goto bad;
        if (*len == cap) {
            cap = cap ? 2 * cap : 64;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*len)++] = (double)v;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == ']') break;
        goto bad;
    }
    s++;
    while (isspace((unsigned char)*s)) s++;
    if (*s) goto bad;
    return 0;
bad:
    free(*out);
    *out = NULL;
    *len = 0;
    return -1;
}

/* {"3":7,"4":12} → mark_min[mark-2]. */
static int parse_mark_min(const char *s, int mm[4])
{
    for (int k = 0; k < 4; k++) mm[k] = -1;
    while (isspace((unsigned char)*s)) s++;
    if (*s++ != '{') return -1;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (*s == '}') break;
        int mark, score, used = 0;
        if (sscanf(s, " \"%d\" : %d%n", &mark, &score, &used) != 2 || mark < 2 || mark > 5 ||
            score < 0)
            return -1;
        mm[mark - 2] = score;
        s += used;
        while (isspace((unsigned char)*s)) s++;
        if (*s == ',') s++;
        else if (*s != '}') return -1;
    }
    return 0;
}

void rules_works_add(struct rules_works *w, int year, const char *school, long grade,
                     const char *subject, const double *scores, size_t len,
                     const int mark_min[4])
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->v = xrealloc(w->v, w->cap * sizeof *w->v);
    }
    struct rules_work *x = &w->v[w->n++];
    memset(x, 0, sizeof *x);
    x->year = year;
    x->school_id = xstrdup(school);
    x->grade = grade;
    x->subject = xstrdup(subject);
    x->scores = xmalloc((len + 1) * sizeof *x->scores);
    if (len) memcpy(x->scores, scores, len * sizeof *scores);
    x->len = len;
    double n = 0;
    for (size_t i = 0; i < len; i++) n += scores[i];
    x->n = (long)n;
    for (int k = 0; k < 4; k++) x->mark_min[k] = mark_min ? mark_min[k] : -1;
}

void rules_works_free(struct rules_works *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].school_id);
        free(w->v[i].subject);
        free(w->v[i].scores);
    }
    free(w->v);
    memset(w, 0, sizeof *w);
}

int rules_read_works(sqlite3 *db, int y0, int y1, struct rules_works *out,
                     struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    static const char sql[] =
        "SELECT year, school_id, grade, subject, scores, mark_min FROM vpr_dist "
        "WHERE year >= ?1 AND year <= ?2 ORDER BY year, grade, subject, school_id";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "reading vpr_dist: %s", sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    sqlite3_bind_int(st, 1, y0 > 0 ? y0 : 0);
    sqlite3_bind_int(st, 2, y1 > 0 ? y1 : 1000000);
    int rc, status = SOKO_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int year = sqlite3_column_int(st, 0);
        const char *school = (const char *)sqlite3_column_text(st, 1);
        long grade = (long)sqlite3_column_int64(st, 2);
        const char *subject = (const char *)sqlite3_column_text(st, 3);
        const char *scores = (const char *)sqlite3_column_text(st, 4);
        const char *mm = (const char *)sqlite3_column_text(st, 5);
        double *h;
        size_t len;
        int mark_min[4];
        if (!school || !subject || !scores || !mm || parse_scores(scores, &h, &len) != 0 ||
            parse_mark_min(mm, mark_min) != 0) {
            soko_diag_add(d, NULL, 0, 0,
                          "vpr_dist: %d, school %s, grade %ld, %s: the histogram or the mark "
                          "boundaries are not the JSON the store writes", year,
                          school ? school : "?", grade, subject ? subject : "?");
            status = SOKO_EDB;
            continue;
        }
        rules_works_add(out, year, school, grade, subject, h, len, mark_min);
        free(h);
    }
    if (rc != SQLITE_DONE) {
        soko_diag_add(d, NULL, 0, 0, "reading vpr_dist: %s", sqlite3_errmsg(db));
        status = SOKO_EDB;
    }
    sqlite3_finalize(st);
    if (status != SOKO_OK) rules_works_free(out);
    return status;
}

/* ==== evaluation: items ================================================================== */

/* One school, procedure and year with the figures that decided it. */
struct item {
    const char *school;            /* borrowed from the inputs */
    char *proc;                    /* procedure key (owned) */
    const struct indicator *ind;   /* for min_indicators; NULL: one per kind */
    int year;
    int ok;                        /* the condition holds */
    struct rule_ev ev;             /* what, detail owned until moved into a flag */
};

struct items {
    struct item *v;
    size_t n, cap;
};

static struct item *item_new(struct items *it, const char *school, const char *proc,
                             const struct indicator *ind, int year)
{
    if (it->n == it->cap) {
        it->cap = it->cap ? 2 * it->cap : 256;
        it->v = xrealloc(it->v, it->cap * sizeof *it->v);
    }
    struct item *x = &it->v[it->n++];
    memset(x, 0, sizeof *x);
    x->school = school;
    x->proc = xstrdup(proc);
    x->ind = ind;
    x->year = year;
    x->ev.ind = ind;
    x->ev.year = year;
    x->ev.value = x->ev.n = x->ev.ref = x->ev.limit = x->ev.stat = x->ev.p = NAN;
    return x;
}

static void items_free(struct items *it)
{
    for (size_t i = 0; i < it->n; i++) {
        free(it->v[i].proc);
        free(it->v[i].ev.what);
        free(it->v[i].ev.detail);
    }
    free(it->v);
    memset(it, 0, sizeof *it);
}

static int usable(const struct ind_row *r)
{
    return r && !r->suppressed && isfinite(r->value);
}

static int lower_better(const struct indicator *ind)
{
    return ind && ind->lower_is_better;
}

static int rule_has_ind(const struct rule *r, const struct indicator *ind)
{
    for (int i = 0; i < r->nind; i++)
        if (r->ind[i] == ind) return 1;
    return 0;
}

static const char *dim_of(const struct indicator *ind, const char *const *dim, const char *col)
{
    for (int k = 0; k < ind->ndims; k++)
        if (ind->dims[k] && strcmp(ind->dims[k], col) == 0) return dim[k] ? dim[k] : "";
    return NULL;
}

/* The rule's breakdown filters: a column the indicator lacks does not filter it. */
static int where_ok(const struct rule *r, const struct indicator *ind, const char *const *dim)
{
    for (int w = 0; w < r->nwhere; w++) {
        const char *v = dim_of(ind, dim, r->where_col[w]);
        if (!v) continue;
        int hit = 0;
        for (int q = 0; q < r->where_nvals[w] && !hit; q++)
            hit = utf8_casecmp(v, r->where_vals[w][q]) == 0;
        if (!hit) return 0;
    }
    return 1;
}

static const char *label_of(const struct rule *r, const char *key)
{
    for (int i = 0; i < r->nlabels; i++)
        if (utf8_casecmp(r->labels[i].key, key) == 0) return r->labels[i].text;
    return NULL;
}

/* The procedure for people: "Математика, 5 кл." (labels applied). */
static char *what_of(const struct rule *r, const struct indicator *ind, const char *const *dim)
{
    struct sbuf b = SBUF_INIT;
    for (int k = 0; k < ind->ndims; k++) {
        const char *v = dim[k] ? dim[k] : "";
        const char *lab = label_of(r, v);
        if (b.len) sbuf_adds(&b, ", ");
        if (lab) sbuf_adds(&b, lab);
        else if (strcmp(ind->dims[k], "grade") == 0) sbuf_printf(&b, "%s кл.", v);
        else sbuf_adds(&b, v);
    }
    if (!b.len) sbuf_adds(&b, "все предметы");
    return sbuf_take(&b);
}

static char *proc_key(const struct indicator *ind, const char *const *dim)
{
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, ind->id);
    for (int k = 0; k < ind->ndims; k++) {
        sbuf_addc(&b, '|');
        sbuf_adds(&b, dim[k] ? dim[k] : "");
    }
    return sbuf_take(&b);
}

/* Russian number: decimal comma, trailing zeros trimmed. */
static char *ru_num(double x, int decimals)
{
    if (!isfinite(x)) return xstrdup("—");
    char *s = num_trimmed(x, decimals);
    char *dot = strchr(s, '.');
    if (dot) *dot = ',';
    return s;
}

static char *ru_p(double p)
{
    if (!isfinite(p)) return xstrdup("—");
    if (p < 0.0001) return xstrdup("< 0,0001");
    char *s = xasprintf("%.4f", p);
    char *dot = strchr(s, '.');
    if (dot) *dot = ',';
    return s;
}

/* --- an index of rows: (indicator, level, unit, breakdown, year) ---------------------- */

static int row_cmp(const struct ind_row *a, const struct ind_row *b)
{
    if (a->ind != b->ind) return (uintptr_t)a->ind < (uintptr_t)b->ind ? -1 : 1;
    if (a->level != b->level) return a->level < b->level ? -1 : 1;
    int c = strcmp(a->unit ? a->unit : "", b->unit ? b->unit : "");
    if (c) return c;
    for (int k = 0; k < a->ind->ndims; k++) {
        c = strcmp(a->dim[k] ? a->dim[k] : "", b->dim[k] ? b->dim[k] : "");
        if (c) return c;
    }
    return (a->year > b->year) - (a->year < b->year);
}

static int row_pcmp(const void *pa, const void *pb)
{
    return row_cmp(*(const struct ind_row *const *)pa, *(const struct ind_row *const *)pb);
}

struct rindex {
    const struct ind_row **v;
    size_t n;
};

static void rindex_build(struct rindex *x, const struct ind_results *r)
{
    x->v = xmalloc((r->n + 1) * sizeof *x->v);
    x->n = r->n;
    for (size_t i = 0; i < r->n; i++) x->v[i] = &r->v[i];
    qsort(x->v, x->n, sizeof *x->v, row_pcmp);
}

/* The row of ind at level/unit with the breakdown of like (same-named columns) and
 * year; NULL when absent. */
static const struct ind_row *rindex_find(const struct rindex *x, const struct indicator *ind,
                                         enum ind_level level, const char *unit,
                                         const struct ind_row *like, int year)
{
    struct ind_row probe;
    memset(&probe, 0, sizeof probe);
    probe.ind = ind;
    probe.level = level;
    probe.unit = level == IND_DISTRICT ? "" : unit;
    probe.year = year;
    for (int k = 0; k < ind->ndims; k++) {
        const char *v = like ? dim_of(like->ind, like->dim, ind->dims[k]) : NULL;
        if (!v) return NULL;          /* like has no such column: nothing matches */
        probe.dim[k] = v;
    }
    const struct ind_row *pp = &probe;
    const struct ind_row **hit = bsearch(&pp, x->v, x->n, sizeof *x->v, row_pcmp);
    if (hit) return *hit;
    if (level == IND_DISTRICT) {      /* a district unit may be stored as NULL */
        probe.unit = NULL;
        hit = bsearch(&pp, x->v, x->n, sizeof *x->v, row_pcmp);
    }
    return hit ? *hit : NULL;
}

/* ==== the kinds ========================================================================== */

struct evalctx {
    const struct rule *r;
    const struct rules_input *in;
    const struct rindex *ix;
    int y0, y1;
    struct items *items;
};

static int row_in_rule(const struct evalctx *c, const struct ind_row *row)
{
    return row->level == IND_SCHOOL && rule_has_ind(c->r, row->ind) && row->year >= c->y0 &&
           row->year <= c->y1 && where_ok(c->r, row->ind, row->dim) && usable(row) &&
           !(c->r->min_n > 0 && !(row->n >= c->r->min_n));
}

static struct item *row_item(struct evalctx *c, const struct ind_row *row)
{
    char *key = proc_key(row->ind, row->dim);
    struct item *x = item_new(c->items, row->unit, key, row->ind, row->year);
    free(key);
    x->ev.what = what_of(c->r, row->ind, row->dim);
    x->ev.value = row->value;
    x->ev.n = row->n;
    const struct ind_row *dr = rindex_find(c->ix, row->ind, IND_DISTRICT, "", row, row->year);
    x->ev.ref = usable(dr) ? dr->value : NAN;
    return x;
}

static void kind_threshold(struct evalctx *c)
{
    const struct ind_results *res = c->in->res;
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *row = &res->v[i];
        if (!row_in_rule(c, row)) continue;
        struct item *x = row_item(c, row);
        x->ok = op_holds(row->value, c->r->op, c->r->value);
        x->ev.limit = c->r->value;
        char *t = ru_num(c->r->value, 2);
        x->ev.detail = xasprintf("условие: %s %s", op_text(c->r->op), t);
        free(t);
    }
}

/* Every school of the results as one pseudo-cluster, so that ana_compare gives each
 * school its position against the district. */
static void all_schools(const struct ind_results *res, struct ind_members *m)
{
    memset(m, 0, sizeof *m);
    m->v = xmalloc((res->n + 1) * sizeof *m->v);
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *row = &res->v[i];
        if (row->level != IND_SCHOOL) continue;
        int seen = 0;
        for (size_t q = m->n; q-- > 0 && !seen;)
            seen = str_eq(m->v[q].school_id, row->unit);
        if (seen) continue;
        m->v[m->n].cluster_id = "\001all";
        m->v[m->n].school_id = row->unit;
        m->v[m->n].role = "";
        m->n++;
    }
}

/* The funnel limit crossed in the rule's direction. */
static double crossed_limit(const struct ana_vs *vs, double limit, int good, int lb)
{
    int upper = good ? !lb : lb;
    if (limit == 99.8) return upper ? vs->funnel.hi998 : vs->funnel.lo998;
    return upper ? vs->funnel.hi95 : vs->funnel.lo95;
}

/* Is the school's result in the confirming indicators (same subject, year) on the good
 * side of the district? Returns -1 when there is no confirming figure, 0 or 1; the
 * figures go to *detail. */
static int confirmed(struct evalctx *c, const struct ind_row *row, char **detail)
{
    int found = 0, any = 0;
    struct sbuf b = SBUF_INIT;
    for (int q = 0; q < c->r->nconfirm; q++) {
        const struct indicator *ci = c->r->confirm[q];
        const struct ind_row *sr = rindex_find(c->ix, ci, IND_SCHOOL, row->unit, row, row->year);
        const struct ind_row *dr = rindex_find(c->ix, ci, IND_DISTRICT, "", row, row->year);
        if (!usable(sr) || !usable(dr)) continue;
        if (c->r->min_n > 0 && !(sr->n >= c->r->min_n)) continue;
        found = 1;
        double diff = (sr->value - dr->value) * (lower_better(ci) ? -1.0 : 1.0);
        if (diff > 0) any = 1;
        char *a = ru_num(sr->value, 2), *z = ru_num(dr->value, 2);
        sbuf_printf(&b, "%s%s: %s при районе %s", b.len ? "; " : "", ci->title, a, z);
        free(a);
        free(z);
    }
    *detail = b.len ? sbuf_take(&b) : NULL;
    sbuf_free(&b);
    return found ? any : -1;
}

static void kind_compare(struct evalctx *c)
{
    struct ind_members m;
    all_schools(c->in->res, &m);
    struct ana_compare_opts o;
    memset(&o, 0, sizeof o);
    o.window.y0 = c->y0;
    o.window.y1 = c->y1;
    struct ana_compares cmp = {0};
    ana_compare(c->in->res, &m, "\001all", &o, &cmp);
    const struct rule *r = c->r;
    int need = r->limit == 99.8 ? 2 : 1;
    for (size_t i = 0; i < cmp.n; i++) {
        const struct ana_compare *e = &cmp.v[i];
        const struct ind_row *row = e->row;
        if (!row_in_rule(c, row)) continue;
        const struct ana_vs *vs = &e->vs_district;
        int lb = lower_better(row->ind);
        if (r->kind == RULE_Z) {
            if (!isfinite(vs->z)) continue;
            double zo = lb ? -vs->z : vs->z;
            struct item *x = row_item(c, row);
            x->ok = r->side * zo >= r->bound;
            x->ev.stat = vs->z;
            x->ev.limit = r->bound;
            continue;
        }
        if (!vs->has_funnel) continue;
        int good = r->kind == RULE_UNCONFIRMED || r->side > 0;
        int beyond = good ? vs->verdict >= need : vs->verdict <= -need;
        if (r->kind == RULE_UNCONFIRMED) {
            char *detail = NULL;
            int conf = confirmed(c, row, &detail);
            if (conf < 0) {
                free(detail);
                continue;
            }
            struct item *x = row_item(c, row);
            x->ok = beyond && !conf;
            x->ev.stat = vs->z;
            x->ev.limit = crossed_limit(vs, r->limit, 1, lb);
            x->ev.detail = detail;
            continue;
        }
        struct item *x = row_item(c, row);
        x->ok = beyond;
        x->ev.stat = vs->z;
        x->ev.limit = crossed_limit(vs, r->limit, good, lb);
    }
    ana_compares_free(&cmp);
    free(m.v);
}

static void kind_trend(struct evalctx *c)
{
    const struct rule *r = c->r;
    struct ana_trend_opts o;
    memset(&o, 0, sizeof o);
    o.window.y0 = c->y0;
    o.window.y1 = c->y1;
    o.alpha = r->alpha;
    o.level_mask = 1 << IND_SCHOOL;
    struct ana_trends t = {0};
    ana_trends(c->in->res, &o, &t);
    for (size_t i = 0; i < t.n; i++) {
        const struct ana_trend *x = &t.v[i];
        if (!rule_has_ind(r, x->ind) || !where_ok(r, x->ind, x->dim)) continue;
        if (x->label == STATS_TREND_NOT_ENOUGH_DATA || x->npoints < 2) continue;
        int small = 0;
        for (size_t k = 0; k < x->npoints; k++)
            if (r->min_n > 0 && !(x->rows[k]->n >= r->min_n)) small = 1;
        if (small) continue;
        const struct ind_row *last = x->rows[x->npoints - 1];
        char *key = proc_key(x->ind, x->dim);
        struct item *it = item_new(c->items, x->unit, key, x->ind, last->year);
        free(key);
        it->ev.what = what_of(r, x->ind, x->dim);
        it->ev.value = last->value;
        it->ev.n = last->n;
        const struct ind_row *dr = rindex_find(c->ix, x->ind, IND_DISTRICT, "", last, last->year);
        it->ev.ref = usable(dr) ? dr->value : NAN;
        it->ev.stat = x->change_good;
        it->ev.p = x->test_p;
        it->ev.limit = r->alpha;
        /* no step back: in the good direction no step down; in the bad one no step up */
        int steady = 1;
        int lb = lower_better(x->ind);
        for (size_t k = 1; k < x->npoints; k++) {
            double step = (x->rows[k]->value - x->rows[k - 1]->value) * (lb ? -1.0 : 1.0);
            if (r->side > 0 ? step < 0 : step > 0) steady = 0;
        }
        int dir = r->side > 0 ? x->label == STATS_TREND_IMPROVING : x->label == STATS_TREND_WORSENING;
        it->ok = dir && (!r->no_going_back || steady);
        struct sbuf b = SBUF_INIT;
        for (size_t k = 0; k < x->npoints; k++) {
            char *v = ru_num(x->rows[k]->value, 1);
            sbuf_printf(&b, "%s%d: %s", k ? " → " : "", x->years[k], v);
            free(v);
        }
        char *p = ru_p(x->test_p);
        sbuf_printf(&b, "; p = %s", p);
        free(p);
        it->ev.detail = sbuf_take(&b);
    }
    ana_trends_free(&t);
}

static void kind_change(struct evalctx *c)
{
    const struct rule *r = c->r;
    const struct ind_results *res = c->in->res;
    for (size_t i = 0; i < res->n; i++) {
        const struct ind_row *row = &res->v[i];
        if (!row_in_rule(c, row)) continue;
        const struct indicator *ind = row->ind;
        if (ind->kind != IND_SHARE && ind->kind != IND_MEAN) continue;
        const struct ind_row *prev = rindex_find(c->ix, ind, IND_SCHOOL, row->unit, row, row->year - 1);
        const struct ind_row *d1 = rindex_find(c->ix, ind, IND_DISTRICT, "", row, row->year);
        const struct ind_row *d0 = rindex_find(c->ix, ind, IND_DISTRICT, "", row, row->year - 1);
        if (!usable(prev) || !usable(d1) || !usable(d0)) continue;
        if (r->min_n > 0 && !(prev->n >= r->min_n)) continue;
        double se;
        if (ind->kind == IND_SHARE) {
            double p1 = d1->value / 100.0, p0 = d0->value / 100.0;
            if (!(row->den > 0 && prev->den > 0)) continue;
            se = 100.0 * sqrt(p1 * (1 - p1) / row->den + p0 * (1 - p0) / prev->den);
        } else {
            if (!(isfinite(d1->sd) && isfinite(d0->sd) && row->n > 0 && prev->n > 0)) continue;
            se = sqrt(d1->sd * d1->sd / row->n + d0->sd * d0->sd / prev->n);
        }
        if (!(se > 0)) continue;
        double ds = row->value - prev->value, dd = d1->value - d0->value;
        double diff = (ds - dd) * (lower_better(ind) ? -1.0 : 1.0);   /* > 0: better */
        double z = diff / se;
        struct item *x = row_item(c, row);
        x->ok = r->side * z >= r->bound && r->side * diff >= r->min_diff;
        x->ev.stat = z;
        x->ev.limit = r->bound;
        char *a = ru_num(prev->value, 1), *b = ru_num(row->value, 1), *e = ru_num(ds, 1),
             *f = ru_num(dd, 1);
        x->ev.detail = xasprintf("%d → %d: %s → %s (%s%s; район %s%s)", row->year - 1, row->year,
                                 a, b, ds > 0 ? "+" : "", e, dd > 0 ? "+" : "", f);
        free(a);
        free(b);
        free(e);
        free(f);
    }
}

static double factor_value(const struct rules_input *in, const char *factor,
                           const char *school, int y1)
{
    for (size_t i = 0; i < in->nfactors; i++) {
        if (strcmp(in->ctx_factor_names[i], factor) != 0) continue;
        const struct ind_factors *f = &in->factors[i];
        double v = NAN;
        int best = 0;
        for (size_t k = 0; k < f->n; k++)
            if (str_eq(f->v[k].school_id, school) && f->v[k].year <= y1 && f->v[k].year > best) {
                best = f->v[k].year;
                v = f->v[k].value;
            }
        return v;
    }
    return NAN;
}

static void kind_residual(struct evalctx *c)
{
    const struct rule *r = c->r;
    const struct ana_context *ctx = NULL;
    for (size_t i = 0; i < c->in->nctx; i++)
        if (c->in->ctx_model[i] == r->model) ctx = c->in->ctx[i];
    if (!ctx) return;
    /* per school and year: the mean residual over its procedures */
    for (size_t i = 0; i < ctx->n;) {
        const char *school = ctx->v[i].school_id;
        size_t j = i;
        while (j < ctx->n && str_eq(ctx->v[j].school_id, school)) j++;
        int pass = 1;
        struct sbuf cond = SBUF_INIT;
        for (int q = 0; q < r->nctx_if; q++) {
            double v = factor_value(c->in, r->ctx_if[q].factor, school, c->y1);
            if (!isfinite(v) || !op_holds(v, r->ctx_if[q].op, r->ctx_if[q].value)) pass = 0;
            char *vs = ru_num(v, 1);
            sbuf_printf(&cond, "%s%s = %s", cond.len ? ", " : "", r->ctx_if[q].factor, vs);
            free(vs);
        }
        for (int y = c->y0; y <= c->y1 && pass; y++) {
            double sum = 0;
            int cnt = 0;
            for (size_t k = i; k < j; k++) {
                const struct ana_ctx_school *e = &ctx->v[k];
                if (!where_ok(r, e->ind, e->dim)) continue;
                for (int q = 0; q < e->nyears; q++)
                    if (e->years[q] == y && isfinite(e->resid[q]) && e->rows[q] &&
                        !(r->min_n > 0 && !(e->rows[q]->n >= r->min_n))) {
                        sum += e->resid[q];
                        cnt++;
                    }
            }
            if (!cnt) continue;
            struct item *x = item_new(c->items, school, r->model->id, NULL, y);
            double mean = sum / cnt;
            x->ok = r->side * mean >= r->bound;
            x->ev.what = xstrdup(r->model->title ? r->model->title : r->model->id);
            x->ev.stat = mean;
            x->ev.n = cnt;
            x->ev.limit = r->side * r->bound;
            char *ms = ru_num(mean, 2);
            x->ev.detail = xasprintf("средний стандартизованный остаток %s по %d процедурам%s%s",
                                     ms, cnt, cond.len ? "; " : "", cond.len ? cond.s : "");
            free(ms);
        }
        sbuf_free(&cond);
        i = j;
    }
}

/* --- spike: a work's histogram against the other schools' ----------------------------- */

static const struct rules_works *sort_w;
static int work_idx_cmp(const void *pa, const void *pb)
{
    const struct rules_work *a = &sort_w->v[*(const size_t *)pa], *b = &sort_w->v[*(const size_t *)pb];
    if (a->year != b->year) return a->year < b->year ? -1 : 1;
    if (a->grade != b->grade) return a->grade < b->grade ? -1 : 1;
    int cmp = strcmp(a->subject, b->subject);
    if (cmp) return cmp;
    return natural_cmp(a->school_id, b->school_id);
}

/* The lowest score of mark k+2 in a work: the most common value among its schools
 * (each school sees it only if one of its students scored exactly there). */
static int boundary_mode(const struct rules_works *w, const size_t *g, size_t ng, int k)
{
    int best = -1, bestc = 0;
    for (size_t i = 0; i < ng; i++) {
        int b = w->v[g[i]].mark_min[k];
        if (b < 1) continue;
        int cnt = 0;
        for (size_t q = 0; q < ng; q++) cnt += w->v[g[q]].mark_min[k] == b;
        if (cnt > bestc || (cnt == bestc && b < best)) {
            best = b;
            bestc = cnt;
        }
    }
    return best;
}

static void kind_spike(struct evalctx *c)
{
    const struct rule *r = c->r;
    const struct rules_works *w = c->in->works;
    if (!w || !w->n) return;
    size_t *idx = xmalloc(w->n * sizeof *idx);
    for (size_t i = 0; i < w->n; i++) idx[i] = i;
    sort_w = w;
    qsort(idx, w->n, sizeof *idx, work_idx_cmp);
    sort_w = NULL;
    for (size_t i = 0; i < w->n;) {
        const struct rules_work *a = &w->v[idx[i]];
        size_t j = i + 1;
        while (j < w->n && w->v[idx[j]].year == a->year && w->v[idx[j]].grade == a->grade &&
               strcmp(w->v[idx[j]].subject, a->subject) == 0)
            j++;
        size_t ng = j - i, len = 0;
        const size_t *g = idx + i;
        for (size_t q = 0; q < ng; q++)
            if (w->v[g[q]].len > len) len = w->v[g[q]].len;
        int bnd[3];
        for (int k = 0; k < 3; k++) bnd[k] = boundary_mode(w, g, ng, k + 1);
        char grade[24];
        snprintf(grade, sizeof grade, "%ld", a->grade);
        const char *dims[3] = {a->subject, grade, NULL};
        static const struct indicator pseudo = {.id = "vpr_dist", .ndims = 2,
                                                .dims = {"subject", "grade", NULL}};
        if (ng >= 2 && len >= 2 && a->year >= c->y0 && a->year <= c->y1 &&
            where_ok(r, &pseudo, dims)) {
            double *h = xcalloc(len, sizeof *h), *ref = xcalloc(len, sizeof *ref);
            for (size_t s = 0; s < ng; s++) {
                const struct rules_work *me = &w->v[g[s]];
                if (r->min_n > 0 && !(me->n >= r->min_n)) continue;
                memset(h, 0, len * sizeof *h);
                memset(ref, 0, len * sizeof *ref);
                for (size_t q = 0; q < ng; q++) {
                    const struct rules_work *o = &w->v[g[q]];
                    for (size_t b = 0; b < o->len; b++) (q == s ? h : ref)[b] += o->scores[b];
                }
                struct stats_spike t[3];
                int kmark[3];
                size_t nt = 0;
                for (int k = 0; k < 3; k++) {
                    if (!r->marks[k] || bnd[k] < 1 || (size_t)bnd[k] >= len) continue;
                    stats_spike_test(h, ref, len, (size_t)bnd[k], &t[nt]);
                    kmark[nt] = k + 3;
                    nt++;
                }
                double p;
                size_t which;
                if (!nt || stats_spike_combine(t, nt, &p, &which) != STATS_OK) continue;
                struct sbuf key = SBUF_INIT;
                sbuf_printf(&key, "vpr_dist|%s|%ld", a->subject, a->grade);
                struct item *x = item_new(c->items, me->school_id, key.s, NULL, a->year);
                sbuf_free(&key);
                x->ok = p < r->alpha;
                x->ev.what = xasprintf("%s, %ld кл.", a->subject, a->grade);
                x->ev.value = t[which].x;
                x->ev.n = (double)me->n;
                x->ev.ref = t[which].expected;
                x->ev.stat = t[which].ratio;
                x->ev.p = p;
                x->ev.limit = r->alpha;
                int b = bnd[kmark[which] - 3];
                char *e = ru_num(t[which].expected, 1), *ratio = ru_num(t[which].ratio, 1);
                x->ev.detail = xasprintf(
                    "отметка «%d» с %d баллов: на границе %.0f уч. при ожидаемых по району %s "
                    "(в %s раза больше), на балл ниже %.0f", kmark[which], b, t[which].x, e, ratio,
                    h[b - 1]);
                free(e);
                free(ratio);
            }
            free(h);
            free(ref);
        }
        i = j;
    }
    free(idx);
}

/* ==== deciding: patterns over years, procedures, schools ================================== */

static int item_cmp(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    int c = natural_cmp(a->school, b->school);
    if (c) return c;
    c = strcmp(a->proc, b->proc);
    if (c) return c;
    return (a->year > b->year) - (a->year < b->year);
}

static int hold_ok(const struct rule *r, const int *ok, int W)
{
    int cnt = 0, run = 0, best = 0;
    switch (r->hold) {
    case HOLD_ALL:
        for (int y = 0; y < W; y++)
            if (!ok[y]) return 0;
        return W > 0;
    case HOLD_ANY:
        for (int y = 0; y < W; y++)
            if (ok[y]) return 1;
        return 0;
    case HOLD_LAST:
        return W > 0 && ok[W - 1];
    case HOLD_K_OF_N:
        for (int y = W - (r->hold_n < W ? r->hold_n : W); y < W; y++) cnt += ok[y];
        return cnt >= r->hold_k;
    case HOLD_CONSECUTIVE:
        for (int y = 0; y < W; y++) {
            run = ok[y] ? run + 1 : 0;
            if (run > best) best = run;
        }
        return best >= r->hold_k;
    }
    return 0;
}

static const char *school_name(const struct rules_input *in, const char *id)
{
    for (size_t i = 0; i < in->nschools; i++)
        if (str_eq(in->school_ids[i], id)) return in->school_names[i] ? in->school_names[i] : "";
    return "";
}

static void flags_push(struct rule_flags *f, const struct rule_flag *x)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 32;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = *x;
}

static void flag_free(struct rule_flag *x)
{
    free(x->school_id);
    free(x->school_name);
    free(x->years);
    for (size_t i = 0; i < x->nev; i++) {
        free(x->ev[i].what);
        free(x->ev[i].detail);
    }
    free(x->ev);
    free(x->recommendation);
}

void rule_flags_free(struct rule_flags *f)
{
    for (size_t i = 0; i < f->n; i++) flag_free(&f->v[i]);
    free(f->v);
    memset(f, 0, sizeof *f);
}

static int in_list(const char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(l[i], s)) return 1;
    return 0;
}

/* Decides every school of the items; allowed (may be NULL) limits the schools. */
static void decide(const struct rule *r, struct items *it, int y0, int y1,
                   const struct rules_input *in, const char *const *allowed, size_t nallowed,
                   struct rule_flags *out)
{
    int W = y1 - y0 + 1;
    if (it->n) qsort(it->v, it->n, sizeof *it->v, item_cmp);
    int single = r->kind == RULE_TREND;    /* one verdict per procedure */
    for (size_t i = 0; i < it->n;) {
        const char *school = it->v[i].school;
        size_t j = i;
        while (j < it->n && str_eq(it->v[j].school, school)) j++;
        if (allowed && !in_list(allowed, nallowed, school)) {
            i = j;
            continue;
        }
        size_t nproc = 0, neval = 0;
        int peryear[ANA_MAX_YEARS] = {0};
        const struct indicator *inds[RULES_MAX_INDICATORS + 1];
        int ninds = 0;
        char *hold = xcalloc(j - i + 1, 1);   /* item belongs to a holding procedure */
        double score_sum = 0;
        for (size_t p = i; p < j;) {
            size_t q = p;
            while (q < j && strcmp(it->v[q].proc, it->v[p].proc) == 0) q++;
            int ok[ANA_MAX_YEARS] = {0};
            int any_ok = 0;
            for (size_t k = p; k < q; k++) {
                int y = it->v[k].year - y0;
                if (y < 0 || y >= W) continue;
                if (it->v[k].ok) {
                    ok[y] = 1;
                    peryear[y]++;
                    any_ok = 1;
                }
            }
            neval++;
            int holds = single ? any_ok : hold_ok(r, ok, W);
            if (holds) {
                nproc++;
                for (size_t k = p; k < q; k++) hold[k - i] = 1;
                const struct indicator *ind = it->v[p].ind;
                int seen = 0;
                for (int s = 0; s < ninds; s++) seen |= inds[s] == ind;
                if (!seen && ninds < RULES_MAX_INDICATORS) inds[ninds++] = ind;
                if (single) score_sum += it->v[p].ev.stat;
            }
            p = q;
        }
        int enough = r->procedures_pct ? nproc >= 1 && 100.0 * (double)nproc >= r->procedures * (double)neval
                                       : (double)nproc >= r->procedures;
        int same_ok = 1, best_year = 0;
        if (r->same_year > 0) {
            same_ok = 0;
            for (int y = 0; y < W; y++)
                if (peryear[y] >= r->same_year) {
                    same_ok = 1;
                    best_year = 1;
                }
        }
        (void)best_year;
        if (nproc > 0 && enough && ninds >= r->min_indicators && same_ok) {
            struct rule_flag f;
            memset(&f, 0, sizeof f);
            f.rule = r;
            f.school_id = xstrdup(school);
            f.school_name = xstrdup(school_name(in, school));
            f.nproc = nproc;
            f.nevaluated = neval;
            f.y0 = y0;
            f.y1 = y1;
            int yes[ANA_MAX_YEARS] = {0};
            double best = 0;
            for (size_t k = i; k < j; k++) {
                struct item *x = &it->v[k];
                int y = x->year - y0;
                int in_same = r->same_year > 0 && y >= 0 && y < W && peryear[y] >= r->same_year;
                if (!x->ok || !(hold[k - i] || in_same)) continue;
                /* only the years the pattern looks at */
                if (r->hold == HOLD_LAST && y != W - 1 && !in_same) continue;
                if (r->hold == HOLD_K_OF_N && y < W - r->hold_n && !in_same) continue;
                f.ev = xrealloc(f.ev, (f.nev + 1) * sizeof *f.ev);
                f.ev[f.nev++] = x->ev;
                x->ev.what = x->ev.detail = NULL;      /* moved */
                if (y >= 0 && y < W) yes[y] = 1;
                if (r->kind == RULE_SPIKE && isfinite(x->ev.p)) {
                    double s = -log10(x->ev.p > 1e-300 ? x->ev.p : 1e-300);
                    if (s > best) best = s;
                }
                if (r->kind == RULE_RESIDUAL) best += r->side * x->ev.stat;
            }
            struct sbuf ys = SBUF_INIT;
            if (single) /* a trend speaks of the whole window */
                sbuf_printf(&ys, "%d–%d", y0, y1);
            else
                for (int y = 0; y < W; y++)
                    if (yes[y]) sbuf_printf(&ys, "%s%d", ys.len ? ", " : "", y0 + y);
            f.years = sbuf_take(&ys);
            if (r->kind == RULE_TREND) f.score = score_sum / (double)nproc;
            else if (r->kind == RULE_SPIKE) f.score = best;
            else if (r->kind == RULE_RESIDUAL) f.score = f.nev ? best / (double)f.nev : 0;
            else f.score = (double)nproc;
            flags_push(out, &f);
        }
        free(hold);
        i = j;
    }
}

/* ==== recommendations ===================================================================== */

static void add_distinct(struct sbuf *b, const char *s, const char *sep)
{
    if (!s || !*s) return;
    /* already there as a whole item? */
    size_t n = strlen(s), sl = strlen(sep);
    for (const char *p = b->s ? b->s : ""; (p = strstr(p, s)) != NULL; p++) {
        int start = p == b->s || (p - b->s >= (long)sl && strncmp(p - sl, sep, sl) == 0);
        int end = p[n] == '\0' || strncmp(p + n, sep, sl) == 0;
        if (start && end) return;
    }
    if (b->len) sbuf_adds(b, sep);
    sbuf_adds(b, s);
}

static char *ev_value_text(const struct rule *r, const struct rule_ev *e)
{
    const char *unit = e->ind && e->ind->unit ? e->ind->unit : "";
    char *v = ru_num(e->value, 1);
    char *s;
    switch (r->kind) {
    case RULE_SPIKE:
    case RULE_RESIDUAL:
    case RULE_TREND:
    case RULE_CHANGE:
        s = xasprintf("%s, %d: %s", e->what, e->year, e->detail ? e->detail : "");
        break;
    default: {
        char *ref = ru_num(e->ref, 1), *n = ru_num(e->n, 0);
        s = xasprintf("%s, %d: %s%s%s (n = %s; район %s)", e->what, e->year, v, *unit ? " " : "",
                      unit, n, ref);
        free(ref);
        free(n);
    }
    }
    free(v);
    return s;
}

/* Items a recommendation lists before "и ещё N": the full evidence is in soko flags. */
#define RENDER_ITEMS 6

static char *render(const struct rule_flag *f)
{
    const struct rule *r = f->rule;
    struct sbuf procs = SBUF_INIT, inds = SBUF_INIT, vals = SBUF_INIT, facs = SBUF_INIT;
    /* {procedures}: grouped by indicator, "Title: a; b; c" */
    char *done = xcalloc(f->nev + 1, 1);
    for (size_t i = 0; i < f->nev; i++) {
        if (done[i]) continue;
        const struct indicator *ind = f->ev[i].ind;
        struct sbuf one = SBUF_INIT;
        size_t shown = 0, more = 0;
        for (size_t k = i; k < f->nev; k++) {
            if (f->ev[k].ind != ind) continue;
            done[k] = 1;
            size_t before = one.len;
            if (shown < RENDER_ITEMS) add_distinct(&one, f->ev[k].what, "; ");
            else if (!strstr(one.s ? one.s : "", f->ev[k].what ? f->ev[k].what : "")) more++;
            if (one.len != before) shown++;
        }
        if (more) sbuf_printf(&one, " и ещё %zu", more);
        if (procs.len) sbuf_adds(&procs, "; ");
        if (ind && r->kind != RULE_RISK) sbuf_printf(&procs, "%s — %s", ind->title, one.s ? one.s : "");
        else sbuf_adds(&procs, one.s ? one.s : "");
        sbuf_free(&one);
    }
    free(done);
    for (size_t i = 0; i < f->nev; i++) {
        const struct rule_ev *e = &f->ev[i];
        if (e->ind) add_distinct(&inds, e->ind->title, "; ");
        if (r->kind == RULE_RISK) add_distinct(&facs, e->what, ", ");
        if (i < RENDER_ITEMS) {
            char *t = ev_value_text(r, e);
            sbuf_printf(&vals, "%s%s", vals.len ? "; " : "", t);
            free(t);
        }
    }
    if (f->nev > RENDER_ITEMS) sbuf_printf(&vals, " и ещё %zu", f->nev - RENDER_ITEMS);
    if (!inds.len && r->kind == RULE_SPIKE) sbuf_adds(&inds, "распределение первичных баллов ВПР");
    if (!inds.len && r->kind == RULE_RESIDUAL) sbuf_adds(&inds, r->model->title ? r->model->title : r->model->id);
    struct sbuf out = SBUF_INIT;
    for (const char *p = r->recommendation; *p; p++) {
        const char *e = *p == '{' ? strchr(p, '}') : NULL;
        if (!e) {
            sbuf_addc(&out, *p);
            continue;
        }
        size_t len = (size_t)(e - p - 1);
#define PH(name) (len == strlen(name) && strncmp(p + 1, name, len) == 0)
        if (PH("school")) sbuf_adds(&out, f->school_id);
        else if (PH("school_name")) sbuf_adds(&out, *f->school_name ? f->school_name : f->school_id);
        else if (PH("rule")) sbuf_adds(&out, r->title);
        else if (PH("window")) sbuf_printf(&out, "%d–%d", f->y0, f->y1);
        else if (PH("years")) sbuf_adds(&out, f->years);
        else if (PH("count")) sbuf_printf(&out, "%zu", f->nproc);
        else if (PH("evaluated")) sbuf_printf(&out, "%zu", f->nevaluated);
        else if (PH("procedures")) sbuf_adds(&out, procs.s ? procs.s : "");
        else if (PH("indicators")) sbuf_adds(&out, inds.s ? inds.s : "");
        else if (PH("values")) sbuf_adds(&out, vals.s ? vals.s : "");
        else if (PH("factors")) sbuf_adds(&out, facs.s ? facs.s : "");
        else if (PH("rank")) sbuf_printf(&out, "%d", f->rank);
        else sbuf_add(&out, p, len + 2);    /* checked at load: cannot happen */
#undef PH
        p = e;
    }
    sbuf_free(&procs);
    sbuf_free(&inds);
    sbuf_free(&vals);
    sbuf_free(&facs);
    return sbuf_take(&out);
}

/* ==== the whole evaluation ================================================================= */

/* The first and last years with data for the rule (0 0: none). */
static void data_years(const struct rule *r, const struct rules_input *in, int *lo, int *hi)
{
    int a = 0, b = 0;
#define SEEN(y) do { int y_ = (y); if (!a || y_ < a) a = y_; if (y_ > b) b = y_; } while (0)
    if (r->kind == RULE_SPIKE) {
        for (size_t i = 0; in->works && i < in->works->n; i++) SEEN(in->works->v[i].year);
    } else if (r->kind == RULE_RESIDUAL) {
        for (size_t i = 0; i < in->nctx; i++)
            if (in->ctx_model[i] == r->model)
                for (size_t k = 0; k < in->ctx[i]->n; k++)
                    for (int q = 0; q < in->ctx[i]->v[k].nyears; q++)
                        if (isfinite(in->ctx[i]->v[k].resid[q])) SEEN(in->ctx[i]->v[k].years[q]);
    } else {
        for (size_t i = 0; i < in->res->n; i++) {
            const struct ind_row *row = &in->res->v[i];
            if (row->level == IND_SCHOOL && usable(row) && rule_has_ind(r, row->ind)) SEEN(row->year);
        }
    }
#undef SEEN
    *lo = a;
    *hi = b;
}

/* The rule's window: --years FROM-TO as given; a single year or an open start is the
 * window's end, and the window is the rule's `window` years up to it (not before the
 * first year with data); an open end is the last year with data. */
static void rule_window(const struct rule *r, const struct rules_input *in,
                        const struct rules_opts *o, int *y0, int *y1)
{
    int lo, hi;
    data_years(r, in, &lo, &hi);
    int a = o ? o->y0 : 0, b = o ? o->y1 : 0;
    if (a && b && a < b) {
        *y0 = a;
        *y1 = b;
        return;
    }
    *y1 = b ? b : hi;
    *y0 = a && !b ? a : *y1 - r->window + 1;
    if (!(a && !b) && lo && *y0 < lo && lo <= *y1) *y0 = lo;
}

static const struct rule_flags *sort_flags;
static int flag_idx_cmp(const void *pa, const void *pb)
{
    const struct rule_flag *a = &sort_flags->v[*(const size_t *)pa];
    const struct rule_flag *b = &sort_flags->v[*(const size_t *)pb];
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return natural_cmp(a->school_id, b->school_id);
}

void rules_eval(const struct rule_set *rs, const struct rules_input *in,
                const struct rules_opts *o, struct rule_flags *out)
{
    struct rindex ix;
    struct ind_results empty = IND_RESULTS_INIT;
    struct rules_input inp = *in;
    if (!inp.res) inp.res = &empty;
    rindex_build(&ix, inp.res);
    struct rule_flags *per = xcalloc(rs->n + 1, sizeof *per);
    /* risk rules last: they read the others' flags */
    for (int pass = 0; pass < 2; pass++)
        for (size_t ri = 0; ri < rs->n; ri++) {
            const struct rule *r = &rs->v[ri];
            if ((r->kind == RULE_RISK) != pass) continue;
            int y0, y1;
            rule_window(r, &inp, o, &y0, &y1);
            if (y1 <= 0 || y0 > y1) continue;
            if (y1 - y0 + 1 > ANA_MAX_YEARS) y0 = y1 - ANA_MAX_YEARS + 1;
            struct items it = {0};
            struct evalctx c = {r, &inp, &ix, y0, y1, &it};
            const char **allowed = NULL;
            size_t nallowed = 0;
            switch (r->kind) {
            case RULE_THRESHOLD: kind_threshold(&c); break;
            case RULE_FUNNEL:
            case RULE_Z:
            case RULE_UNCONFIRMED: kind_compare(&c); break;
            case RULE_TREND: kind_trend(&c); break;
            case RULE_CHANGE: kind_change(&c); break;
            case RULE_RESIDUAL: kind_residual(&c); break;
            case RULE_SPIKE: kind_spike(&c); break;
            case RULE_RISK:
                kind_threshold(&c);
                for (int q = 0; q < r->ndeps; q++) {
                    const struct rule *dep = rules_find(rs, r->deps[q]);
                    const struct rule_flags *df = dep ? &per[dep - rs->v] : NULL;
                    for (size_t k = 0; df && k < df->n; k++) {
                        allowed = xrealloc(allowed, (nallowed + 1) * sizeof *allowed);
                        allowed[nallowed++] = df->v[k].school_id;
                    }
                }
                if (!allowed) allowed = xmalloc(sizeof *allowed);
                break;
            }
            decide(r, &it, y0, y1, &inp, allowed, nallowed, &per[ri]);
            free(allowed);
            items_free(&it);
            /* rank within the rule */
            struct rule_flags *pf = &per[ri];
            size_t *idx = xmalloc((pf->n + 1) * sizeof *idx);
            for (size_t k = 0; k < pf->n; k++) idx[k] = k;
            sort_flags = pf;
            qsort(idx, pf->n, sizeof *idx, flag_idx_cmp);
            sort_flags = NULL;
            struct rule_flag *sorted = xmalloc((pf->n + 1) * sizeof *sorted);
            for (size_t k = 0; k < pf->n; k++) {
                sorted[k] = pf->v[idx[k]];
                sorted[k].rank = (int)k + 1;
                sorted[k].recommendation = render(&sorted[k]);
            }
            free(pf->v);
            pf->v = sorted;
            pf->cap = pf->n;
            free(idx);
        }
    for (size_t ri = 0; ri < rs->n; ri++) {
        for (size_t k = 0; k < per[ri].n; k++) {
            if (o && o->school && !str_eq(o->school, per[ri].v[k].school_id)) {
                flag_free(&per[ri].v[k]);
                continue;
            }
            flags_push(out, &per[ri].v[k]);
        }
        free(per[ri].v);
    }
    free(per);
    free(ix.v);
}

/* ==== with a store ========================================================================= */

/* School names from the registry, by prepared statement on the read-only connection. */
static int read_schools(sqlite3 *db, char ***ids, char ***names, size_t *n,
                        struct soko_diag *d)
{
    *ids = *names = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT school_id, name FROM schools ORDER BY school_id", -1, &st,
                           NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "reading schools: %s", sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *nm = (const char *)sqlite3_column_text(st, 1);
        *ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
        *names = xrealloc(*names, (*n + 1) * sizeof **names);
        (*ids)[*n] = xstrdup(id ? id : "");
        (*names)[*n] = xstrdup(nm ? nm : "");
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        soko_diag_add(d, NULL, 0, 0, "reading schools: %s", sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    return SOKO_OK;
}

int rules_run(const struct rule_set *rs, struct ind_set *s, const struct rules_opts *o,
              struct rule_flags *out, struct soko_diag *d)
{
    int rc = SOKO_OK;
    struct ind_results res = IND_RESULTS_INIT;
    /* every indicator the rules name, once; the year before the window for changes */
    const struct indicator **done = xmalloc((rs->n * 2 * RULES_MAX_INDICATORS + 1) * sizeof *done);
    size_t ndone = 0;
    /* a range: from the year before it (changes); otherwise every year up to the end */
    int ey0 = o && o->y0 && o->y1 && o->y0 < o->y1 ? o->y0 - 1 : 0, ey1 = o ? o->y1 : 0;
    for (size_t i = 0; i < rs->n && !rc; i++) {
        const struct rule *r = &rs->v[i];
        for (int pass = 0; pass < 2 && !rc; pass++)
            for (int k = 0; k < (pass ? r->nconfirm : r->nind) && !rc; k++) {
                const struct indicator *ind = pass ? r->confirm[k] : r->ind[k];
                int seen = 0;
                for (size_t q = 0; q < ndone; q++) seen |= done[q] == ind;
                if (seen) continue;
                done[ndone++] = ind;
                rc = ind_evaluate(s, ind, ey0, ey1, &res, d);
            }
    }
    free(done);

    /* context models of residual rules, and the factors their conditions read */
    size_t nctx = 0, nfac = 0;
    const struct ana_model **models = xmalloc((rs->n + 1) * sizeof *models);
    struct ana_context *ctx = xcalloc(rs->n + 1, sizeof *ctx);
    const struct ana_context **ctxp = xmalloc((rs->n + 1) * sizeof *ctxp);
    struct ind_results *ctxres = xcalloc(rs->n + 1, sizeof *ctxres);
    const char **fnames = xmalloc((rs->n * RULES_MAX_CTX_IF + 1) * sizeof *fnames);
    struct ind_factors *facs = xcalloc(rs->n * RULES_MAX_CTX_IF + 1, sizeof *facs);
    for (size_t i = 0; i < rs->n && !rc; i++) {
        const struct rule *r = &rs->v[i];
        if (r->kind != RULE_RESIDUAL) continue;
        int seen = 0;
        for (size_t q = 0; q < nctx; q++) seen |= models[q] == r->model;
        if (!seen) {
            struct ana_window w = {o && o->y0 < o->y1 ? o->y0 : 0, o ? o->y1 : 0, r->window};
            if (w.y0 == 0 && w.y1 == 0) w.len = r->window;
            else if (w.y0 == 0) w.len = 0;
            models[nctx] = r->model;
            ctxp[nctx] = &ctx[nctx];
            rc = ana_context_eval(s, r->model, &w, &ctxres[nctx], &ctx[nctx], d);
            nctx++;
        }
        for (int q = 0; q < r->nctx_if && !rc; q++) {
            int fs = 0;
            for (size_t z = 0; z < nfac; z++) fs |= strcmp(fnames[z], r->ctx_if[q].factor) == 0;
            if (fs) continue;
            fnames[nfac] = r->ctx_if[q].factor;
            rc = ind_factor_values(s, r->ctx_if[q].factor, 0, o ? o->y1 : 0, &facs[nfac], d);
            nfac++;
        }
    }

    struct rules_works works = {0};
    int need_works = 0;
    for (size_t i = 0; i < rs->n; i++) need_works |= rs->v[i].kind == RULE_SPIKE;
    if (!rc && need_works) rc = rules_read_works(s->db, 0, o ? o->y1 : 0, &works, d);

    char **ids = NULL, **names = NULL;
    size_t nschools = 0;
    if (!rc) rc = read_schools(s->db, &ids, &names, &nschools, d);

    if (!rc) {
        struct rules_input in;
        memset(&in, 0, sizeof in);
        in.res = &res;
        in.works = &works;
        in.nctx = nctx;
        in.ctx_model = models;
        in.ctx = ctxp;
        in.factors = facs;
        in.ctx_factor_names = fnames;
        in.nfactors = nfac;
        in.school_ids = (const char *const *)ids;
        in.school_names = (const char *const *)names;
        in.nschools = nschools;
        rules_eval(rs, &in, o, out);
    }

    for (size_t i = 0; i < nschools; i++) {
        free(ids[i]);
        free(names[i]);
    }
    free(ids);
    free(names);
    rules_works_free(&works);
    for (size_t i = 0; i < rs->n * RULES_MAX_CTX_IF + 1; i++)
        if (facs[i].v || facs[i].arena) ind_factors_free(&facs[i]);
    free(facs);
    free(fnames);
    for (size_t i = 0; i < rs->n + 1; i++) {
        ana_context_free(&ctx[i]);
        ind_results_free(&ctxres[i]);
    }
    free(ctx);
    free(ctxp);
    free(ctxres);
    free(models);
    ind_results_free(&res);
    return rc;
}
