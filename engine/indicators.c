/*
 * indicators.c — indicator definitions compiled to SQL and evaluated per school,
 * cluster and district (contract in indicators.h; the format in docs/indicators.md).
 *
 * Every query is a SELECT assembled from fixed text, the form's column names from
 * forms.c and the definition's own formulas. A formula is first checked alone — for
 * lexical shape (balanced parentheses, no ';', no unterminated string or comment),
 * then compiled under the authorizer in a probe `SELECT (formula) FROM form WHERE 0`,
 * whose one row or none tells an aggregate from a per-row expression — so that a
 * message names the key and its line. Only then is it embedded, each on lines of its
 * own inside parentheses, in the three per-level statements. Unit ids, years and
 * factor names are bound parameters.
 */
#include "indicators.h"
#include "deffile.h"
#include "stats.h"
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------------- the arena */

/* Strings of results live in blocks that are freed together. */
struct ind_blk {
    struct ind_blk *next;
    size_t used, cap;
    char data[];
};

struct ind_arena {
    struct ind_blk *head;
};

static const char *arena_str(struct ind_arena **ap, const char *s, size_t n)
{
    if (!*ap) *ap = xcalloc(1, sizeof **ap);
    struct ind_arena *a = *ap;
    if (!a->head || a->head->used + n + 1 > a->head->cap) {
        size_t cap = n + 1 > 65536 ? n + 1 : 65536;
        struct ind_blk *b = xmalloc(sizeof *b + cap);
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    char *p = a->head->data + a->head->used;
    memcpy(p, s, n);
    p[n] = '\0';
    a->head->used += n + 1;
    return p;
}

static void arena_free(struct ind_arena *a)
{
    if (!a) return;
    for (struct ind_blk *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

/* ------------------------------------------------------------------- names */

const char *ind_level_name(enum ind_level l)
{
    switch (l) {
    case IND_DISTRICT: return "district";
    case IND_CLUSTER: return "cluster";
    case IND_SCHOOL: return "school";
    }
    return "?";
}

const char *ind_kind_name(enum ind_kind k)
{
    switch (k) {
    case IND_SHARE: return "share";
    case IND_MEAN: return "mean";
    case IND_COUNT: return "count";
    case IND_RATE: return "rate";
    }
    return "?";
}

/* The formula slots: their keys, whether they are aggregates over the rows of a unit
 * (else per-row expressions), and which kinds need (R) or accept (O) them. */
enum { U_NO, U_REQ, U_OPT };
static const struct {
    const char *key;
    int aggregate;
    unsigned char use[4];    /* by enum ind_kind: share, mean, count, rate */
} slots[IND_NEXPR] = {
    [IND_E_FILTER] = {"filter", 0, {U_OPT, U_OPT, U_OPT, U_OPT}},
    [IND_E_NUMERATOR] = {"numerator", 1, {U_REQ, U_NO, U_NO, U_NO}},
    [IND_E_DENOMINATOR] = {"denominator", 1, {U_REQ, U_NO, U_NO, U_NO}},
    [IND_E_VALUE] = {"value", 0, {U_NO, U_REQ, U_NO, U_NO}},
    [IND_E_WEIGHT] = {"weight", 0, {U_NO, U_REQ, U_NO, U_NO}},
    [IND_E_SUMSQ] = {"sumsq", 0, {U_NO, U_OPT, U_NO, U_NO}},
    [IND_E_COUNT] = {"count", 1, {U_NO, U_NO, U_REQ, U_REQ}},
    [IND_E_BASE] = {"base", 1, {U_NO, U_NO, U_NO, U_OPT}},   /* rate: base or base_factor */
    [IND_E_N] = {"n", 1, {U_OPT, U_OPT, U_OPT, U_OPT}},
};

static const char *const kind_names[] = {"share", "mean", "count", "rate", NULL};
static const char *const better_names[] = {"higher", "lower", NULL};
static const char *const yesno[] = {"yes", "no", NULL};

#define EXPR(k) {k, DF_EXPR, 0, 0, 0, NULL, NULL}
/* Every key of a definition, typed (deffile.h); what a kind needs is in slots[]. */
static const struct deffile_key ind_keys[] = {
    {"title", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("a Russian title")},
    {"description", DF_TEXT, DF_EMPTY, 0, 0, NULL, NULL},
    {"form", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("the form it reads, e.g. vpr")},
    {"kind", DF_CHOICE, DF_REQUIRED, 0, 0, kind_names, NULL},
    EXPR("filter"), EXPR("numerator"), EXPR("denominator"), EXPR("value"), EXPR("weight"),
    EXPR("sumsq"), EXPR("count"), EXPR("base"), EXPR("n"),
    {"base_factor", DF_TEXT, 0, 0, 0, NULL, N_("a context factor such as students")},
    {"per", DF_REAL, DF_LO_OPEN, 0, 1e9, NULL, N_("a positive number, e.g. 100")},
    {"unit", DF_TEXT, DF_EMPTY, 0, 0, NULL, NULL},
    {"better", DF_CHOICE, 0, 0, 0, better_names, NULL},
    {"alert", DF_REAL, 0, -1e300, 1e300, NULL, N_("a number, in the indicator's unit")},
    {"target", DF_REAL, 0, -1e300, 1e300, NULL, N_("a number, in the indicator's unit")},
    {"min_n", DF_INT, 0, 0, 1e9, NULL, N_("a whole number from 0 to 1e9, e.g. 5")},
    {"dims", DF_IDLIST, 0, 1, IND_MAX_DIMS, NULL,
     N_("at most 3 columns separated by commas, e.g. subject, grade")},
    {"years", DF_OTHER, 0, 0, 0, NULL, NULL},
    {"breaks", DF_OTHER, 0, 0, 0, NULL, NULL},
    {"census", DF_CHOICE, 0, 0, 0, yesno, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const struct deffile_key *const ind_tables[] = {ind_keys, NULL};

/* The key is given and its value is of its type (deffile_check reported it if not). */
static int typed_ok(const struct deffile_sec *s, const char *key)
{
    const char *v = deffile_get(s, key, NULL);
    const struct deffile_key *k = deffile_key_find(ind_tables, key);
    return v && k && deffile_value_ok(k, v) == NULL;
}

/* Functions a formula may call (SQLite's built-in, deterministic and harmless). */
static const char *const allowed_functions[] = {
    "sum", "total", "count", "avg", "min", "max", "coalesce", "ifnull", "nullif", "abs",
    "round", "iif", "like", "glob", "lower", "upper", "length", "substr", "trim",
    "instr", NULL};

/* ---------------------------------------------------------------- authorizer */

struct authz {
    char why[200];    /* the first refusal, for the message */
};

static int is_form_table(const char *t)
{
    if (!t) return 0;
    for (size_t i = 0; forms_all()[i]; i++)
        if (strcmp(forms_all()[i]->name, t) == 0) return 1;
    return 0;
}

static int authorize(void *ctx, int action, const char *a3, const char *a4, const char *db,
                     const char *trigger)
{
    struct authz *z = ctx;
    (void)db;
    (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
        return SQLITE_OK;
    case SQLITE_READ:
        if (is_form_table(a3)) return SQLITE_OK;
        if (!z->why[0])
            snprintf(z->why, sizeof z->why, "reads table '%s'; a formula may read the form "
                                            "tables only", a3 ? a3 : "?");
        return SQLITE_DENY;
    case SQLITE_FUNCTION:
        for (size_t i = 0; a4 && allowed_functions[i]; i++)
            if (strcasecmp(a4, allowed_functions[i]) == 0) return SQLITE_OK;
        if (!z->why[0]) {
            struct sbuf b = SBUF_INIT;
            for (size_t i = 0; allowed_functions[i]; i++)
                sbuf_printf(&b, "%s%s", i ? ", " : "", allowed_functions[i]);
            snprintf(z->why, sizeof z->why, "calls function '%s'; expected one of %s",
                     a4 ? a4 : "?", b.s);
            sbuf_free(&b);
        }
        return SQLITE_DENY;
    default:
        if (!z->why[0])
            snprintf(z->why, sizeof z->why, "is not a plain SELECT (%s%s%s); a formula may "
                                            "only read the form tables",
                     action == SQLITE_PRAGMA ? "PRAGMA"
                                            : action == SQLITE_ATTACH ? "ATTACH"
                                            : action == SQLITE_INSERT ? "INSERT"
                                            : action == SQLITE_UPDATE ? "UPDATE"
                                            : action == SQLITE_DELETE ? "DELETE"
                                            : action == SQLITE_RECURSIVE ? "WITH RECURSIVE"
                                            : "a statement other than SELECT",
                     a3 ? " " : "", a3 ? a3 : "");
        return SQLITE_DENY;
    }
}

int ind_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, const char *file, long line,
                const char *what, struct soko_diag *d)
{
    struct authz z;
    memset(&z, 0, sizeof z);
    *st = NULL;
    const char *tail = NULL;
    sqlite3_set_authorizer(db, authorize, &z);
    int rc = sqlite3_prepare_v2(db, sql, -1, st, &tail);
    sqlite3_set_authorizer(db, NULL, NULL);
    if (rc == SQLITE_OK && *st && tail) {
        while (*tail && isspace((unsigned char)*tail)) tail++;
        if (*tail) {
            sqlite3_finalize(*st);
            *st = NULL;
            soko_diag_add(d, file, line, 0, _("%s: more than one statement; expected one SELECT"),
                          what);
            return SOKO_ECONFIG;
        }
    }
    if (rc != SQLITE_OK || !*st) {
        const char *msg = z.why[0] ? z.why : rc == SQLITE_OK ? "empty" : sqlite3_errmsg(db);
        soko_diag_add(d, file, line, 0, "%s: %s", what, msg);
        sqlite3_finalize(*st);
        *st = NULL;
        return SOKO_ECONFIG;
    }
    return SOKO_OK;
}

/* ------------------------------------------------------------------ limits */

/* A formula is SQL, and SQL can be made to run for ever (a subquery joining form
 * tables with themselves) or to build temporary results without end (count(DISTINCT)
 * over such a join). Every step of a definition's statement runs under a budget: a
 * progress handler stops it after `seconds` of wall time, and, temporary storage being
 * in memory (PRAGMA temp_store at load), SQLite's hard heap limit stops it `memory`
 * bytes above what SQLite used when it started. Process-wide, set by the CLI. */
static double limit_seconds = IND_LIMIT_SECONDS;
static long long limit_memory = IND_LIMIT_MEMORY;
static int limit_given;       /* SOKO_EVAL_SECONDS set: that limit exactly */

void ind_set_limits(double seconds, long long memory_bytes)
{
    if (seconds > 0) {
        limit_seconds = seconds;
        limit_given = 1;
    }
    if (memory_bytes > 0) limit_memory = memory_bytes;
}

void ind_get_limits(double *seconds, long long *memory_bytes)
{
    *seconds = limit_seconds;
    *memory_bytes = limit_memory;
}

struct budget {
    sqlite3 *db;
    struct timespec t0;
    int expired;              /* the time ran out (the statement got SQLITE_INTERRUPT) */
    sqlite3_int64 heap_before;
    double limit;             /* seconds */
};

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int budget_tick(void *ctx)
{
    struct budget *b = ctx;
    if (elapsed(&b->t0) <= b->limit) return 0;
    b->expired = 1;
    return 1;
}

/* The default time limit grows with the data a formula reads: IND_LIMIT_SECONDS, and
 * IND_LIMIT_SECONDS_PER_MROWS more per million rows of its form's table, so that a
 * country's data (some 1.5 million ВПР rows) is not stopped where a district's would
 * take milliseconds, while a formula whose work grows with the square of the rows
 * still is. A limit given (SOKO_EVAL_SECONDS) is kept exactly. The rows are counted
 * (a built-in form's table has no rowid whose largest would do): some 30 ms for half
 * a million ВПР rows, so a set counts each form's once (set_limit). */
static double table_rows(sqlite3 *db, const struct form *f)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", f->name);
    sqlite3_stmt *st;
    double rows = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) rows = sqlite3_column_double(st, 0);
        sqlite3_finalize(st);
    }
    return rows;
}

static double limit_of_rows(double rows)
{
    return limit_seconds + rows / 1e6 * IND_LIMIT_SECONDS_PER_MROWS;
}

double ind_time_limit(sqlite3 *db, const struct form *f)
{
    if (limit_given || !f) return limit_seconds;
    return limit_of_rows(table_rows(db, f));
}

/* ind_time_limit on the set's store, each form's rows counted once: the set reads one
 * snapshot (store.h), so the count stays true while it lives. */
static double set_limit(struct ind_set *s, const struct form *f)
{
    if (limit_given || !f) return limit_seconds;
    for (size_t i = 0; i < s->nlimit; i++)
        if (s->limit[i].form == f) return limit_of_rows(s->limit[i].rows);
    double rows = table_rows(s->db, f);
    if (s->nlimit < sizeof s->limit / sizeof s->limit[0]) {
        s->limit[s->nlimit].form = f;
        s->limit[s->nlimit++].rows = rows;
    }
    return limit_of_rows(rows);
}

static void budget_start(struct budget *b, struct ind_set *s, const struct form *f)
{
    sqlite3 *db = s->db;
    b->db = db;
    b->expired = 0;
    b->limit = set_limit(s, f);
    clock_gettime(CLOCK_MONOTONIC, &b->t0);
    sqlite3_progress_handler(db, 20000, budget_tick, b);
    b->heap_before = sqlite3_hard_heap_limit64(-1);
    sqlite3_hard_heap_limit64(sqlite3_memory_used() + limit_memory);
}

static void budget_end(struct budget *b)
{
    sqlite3_progress_handler(b->db, 0, NULL, NULL);
    sqlite3_hard_heap_limit64(b->heap_before);
}

/* When rc is a stop by the budget, adds "file:line: [id]: what: the limit" and
 * returns 1; 0 for any other result. */
static int budget_refused(const struct budget *b, int rc, const char *file, long line,
                          const char *what, struct soko_diag *d)
{
    if ((rc & 0xff) == SQLITE_INTERRUPT && b->expired) {
        soko_diag_add(d, file, line, 0, _("%s: evaluating took longer than %g s, the limit "
                                          "(SOKO_EVAL_SECONDS); expected a formula that reads "
                                          "each unit's rows once: a subquery that joins form "
                                          "tables with each other multiplies their rows"),
                      what, b->limit);
        return 1;
    }
    if ((rc & 0xff) == SQLITE_NOMEM) {
        soko_diag_add(d, file, line, 0, _("%s: evaluating needed more than %lld MB of memory "
                                          "for temporary results, the limit "
                                          "(SOKO_EVAL_MEMORY_MB); expected a formula that reads "
                                          "each unit's rows once: a subquery that joins form "
                                          "tables with each other multiplies their rows"),
                      what, limit_memory >> 20);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ checking */

/* A formula must stay inside the parentheses it is put in: no ';', balanced
 * parentheses, every string, quoted name and comment closed. Returns NULL or why. */
static const char *lexical_check(const char *s)
{
    int depth = 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == '\'' || c == '"' || c == '`' || c == '[') {
            char close = c == '[' ? ']' : c;
            for (p++; *p && *p != close; p++) {}
            if (!*p) return "an unterminated quote; expected it closed on the same key";
            /* '' inside a string is an escaped quote: the loop simply reopens it */
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
            if (!*p) break;
        } else if (c == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e) return "an unterminated /* comment";
            p = e + 1;
        } else if (c == ';') {
            return "';' is not allowed; expected one SQL expression";
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (--depth < 0) return "a ')' without its '('; expected balanced parentheses";
        }
    }
    return depth ? "a '(' without its ')'; expected balanced parentheses" : NULL;
}

static int valid_id(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static int parse_year(const char *s, size_t n, int *y)
{
    if (n != 4) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    *y = atoi(s);
    return 1;
}

/* "2015-2100", "2015-" or "2015" */
static int parse_years(const char *s, int *from, int *to)
{
    const char *dash = strchr(s, '-');
    if (!dash) {
        if (!parse_year(s, strlen(s), from)) return 0;
        *to = *from;
    } else {
        if (!parse_year(s, (size_t)(dash - s), from)) return 0;
        if (!dash[1]) *to = IND_YEAR_MAX;
        else if (!parse_year(dash + 1, strlen(dash + 1), to)) return 0;
    }
    return *from >= IND_YEAR_MIN && *to <= IND_YEAR_MAX && *from <= *to;
}

/* Splits a comma list into trimmed items; returns their number (at most max), or
 * -1 when there are more than max or an item is empty. Items point into buf. */
static int split_list(char *buf, char **items, int max)
{
    int n = 0;
    char *save = NULL;
    if (!*str_trim(buf)) return 0;
    for (char *p = buf;; p = NULL) {
        char *t = strtok_r(p, ",", &save);
        if (!t) break;
        if (n == max) return -1;
        t = str_trim(t);
        if (!*t) return -1;
        items[n++] = t;
    }
    return n;
}

/* ------------------------------------------------------------------- loading */

struct loader {
    struct ind_set *set;
    struct soko_diag *d;
    int bad;                  /* errors so far */
    int io;                   /* a file could not be read */
};

static void def_free(struct indicator *ind)
{
    free(ind->id);
    free(ind->title);
    free(ind->description);
    free(ind->unit);
    for (int i = 0; i < IND_NEXPR; i++) free(ind->expr[i]);
    free(ind->base_factor);
    free(ind->file);
    for (int l = 0; l < IND_NLEVELS; l++) {
        sqlite3_finalize(ind->stmt[l]);
        sqlite3_finalize(ind->base_stmt[l]);
    }
    memset(ind, 0, sizeof *ind);
}

/* Reports one refusal; key names the culprit in the message text itself. The format
 * is translated here (xgettext --keyword=BAD:4, scripts/po-check). */
#define BAD(L, line, key, fmt, ...) \
    do { \
        (void)(key); \
        (L)->bad++; \
        soko_diag_add((L)->d, ind->file, (line), 0, _(fmt), __VA_ARGS__); \
    } while (0)

/* "(\nformula\n)": a formula on lines of its own, so that a -- comment ends in it */
static void add_expr(struct sbuf *b, const char *e)
{
    sbuf_printf(b, "(\n%s\n)", e);
}

/* Checks one formula alone: shape, then the probe under the authorizer. */
static int check_formula(struct loader *L, struct indicator *ind, int slot)
{
    const char *e = ind->expr[slot];
    long line = ind->expr_line[slot];
    char what[160];
    snprintf(what, sizeof what, "[%s]: %s", ind->id, slots[slot].key);
    const char *why = lexical_check(e);
    if (why) {
        L->bad++;
        soko_diag_add(L->d, ind->file, line, 0, "%s: %s", what, why);
        return 0;
    }
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "SELECT ");
    add_expr(&b, e);
    sbuf_printf(&b, " FROM %s WHERE 0", ind->form->name);
    sqlite3_stmt *st;
    int rc = ind_prepare(L->set->db, b.s, &st, ind->file, line, what, L->d);
    sbuf_free(&b);
    if (rc) {
        L->bad++;
        return 0;
    }
    struct budget bu;
    budget_start(&bu, L->set, ind->form);
    int step = sqlite3_step(st);
    budget_end(&bu);
    int ok = 1;
    if (step != SQLITE_ROW && step != SQLITE_DONE &&
        budget_refused(&bu, sqlite3_extended_errcode(L->set->db), ind->file, line, what, L->d)) {
        sqlite3_finalize(st);
        L->bad++;
        return 0;
    }
    sqlite3_finalize(st);
    if (step == SQLITE_ROW && !slots[slot].aggregate) {
        soko_diag_add(L->d, ind->file, line, 0, _("%s: is an aggregate; expected an expression "
                                                "over one row's columns (e.g. mean_score)"), what);
        ok = 0;
    } else if (step == SQLITE_DONE && slots[slot].aggregate) {
        soko_diag_add(L->d, ind->file, line, 0, _("%s: is not an aggregate; expected one over the "
                                                "rows of a unit (e.g. sum(m2))"), what);
        ok = 0;
    } else if (step != SQLITE_ROW && step != SQLITE_DONE) {
        soko_diag_add(L->d, ind->file, line, 0, "%s: %s", what, sqlite3_errmsg(L->set->db));
        ok = 0;
    }
    if (!ok) L->bad++;
    return ok;
}

/* The membership of clusters, with names that no form column shares. */
#define MEMBERS_SUBQUERY \
    "(SELECT cluster_id AS soko_cluster, school_id AS soko_school FROM clusters) AS soko_m"

static const char *unit_expr(enum ind_level lv, const char *school_col)
{
    static char buf[96];
    if (lv == IND_DISTRICT) return "''";
    if (lv == IND_CLUSTER) return "soko_m.soko_cluster";
    snprintf(buf, sizeof buf, "%s", school_col);
    return buf;
}

/* "x.col, " for ORDER BY; an enum column (stage) sorts in the order of its values in
 * forms.c (school, municipal, regional, final), which are static text, not input. */
static void order_dim(struct sbuf *b, const struct indicator *ind, const char *x, int k)
{
    const struct form_col *c = &ind->form->cols[form_col_index(ind->form, ind->dims[k])];
    if (c->type == COL_ENUM) {
        sbuf_printf(b, "CASE %s.%s", x, c->name);
        for (int i = 0; c->values[i].value; i++)
            sbuf_printf(b, " WHEN '%s' THEN %d", c->values[i].value, i);
        sbuf_adds(b, " END, ");
    }
    sbuf_printf(b, "%s.%s, ", x, c->name);
}

/* The statement of one level. Columns: unit, year, dims..., then by kind
 *   share: num, den, n
 *   mean:  Σw·v, Σw, rows, Σsumsq, rows without sumsq, n
 *   count: count, n
 *   rate:  count, base, n, zero-filled schools
 * Parameters: ?1 first year, ?2 last year, ?3 the base factor (rate with base_factor). */
static char *group_sql(const struct indicator *const *v, size_t n, enum ind_level lv);

static char *level_sql(const struct indicator *ind, enum ind_level lv)
{
    const char *t = ind->form->name;
    char *const *e = ind->expr;
    struct sbuf b = SBUF_INIT;

    if (ind->kind == IND_RATE && ind->base_factor) {
        sbuf_printf(&b, "WITH soko_f AS (SELECT * FROM %s WHERE year BETWEEN ?1 AND ?2", t);
        if (e[IND_E_FILTER]) {
            sbuf_adds(&b, " AND ");
            add_expr(&b, e[IND_E_FILTER]);
        }
        sbuf_printf(&b, "),\n soko_b AS (SELECT r.year AS year, r.school_id AS school_id, "
                        "c.value AS base FROM (SELECT DISTINCT year, school_id FROM %s WHERE "
                        "year BETWEEN ?1 AND ?2) AS r JOIN context AS c ON c.school_id = "
                        "r.school_id AND c.year = r.year AND c.factor = ?3),\n", t);
        sbuf_adds(&b, " soko_d AS (SELECT DISTINCT year");
        for (int k = 0; k < ind->ndims; k++) sbuf_printf(&b, ", %s", ind->dims[k]);
        sbuf_adds(&b, " FROM soko_f),\n soko_k AS (SELECT year, school_id");
        for (int k = 0; k < ind->ndims; k++) sbuf_printf(&b, ", %s", ind->dims[k]);
        sbuf_adds(&b, ", ");
        add_expr(&b, e[IND_E_COUNT]);
        sbuf_adds(&b, " AS soko_cnt, ");
        if (e[IND_E_N]) add_expr(&b, e[IND_E_N]);
        else sbuf_adds(&b, "NULL");
        sbuf_adds(&b, " AS soko_n FROM soko_f GROUP BY year, school_id");
        for (int k = 0; k < ind->ndims; k++) sbuf_printf(&b, ", %s", ind->dims[k]);
        sbuf_adds(&b, ")\n");
        sbuf_printf(&b, "SELECT %s, soko_b.year", unit_expr(lv, "soko_b.school_id"));
        for (int k = 0; k < ind->ndims; k++) sbuf_printf(&b, ", soko_d.%s", ind->dims[k]);
        sbuf_printf(&b, ", total(soko_k.soko_cnt), total(soko_b.base), %s, "
                        "count(*) - count(soko_k.soko_cnt)\n",
                    e[IND_E_N] ? "total(soko_k.soko_n)" : "NULL");
        sbuf_adds(&b, "FROM soko_b JOIN soko_d ON soko_d.year = soko_b.year LEFT JOIN soko_k "
                      "ON soko_k.year = soko_b.year AND soko_k.school_id = soko_b.school_id");
        for (int k = 0; k < ind->ndims; k++)
            sbuf_printf(&b, " AND soko_k.%s IS soko_d.%s", ind->dims[k], ind->dims[k]);
        if (lv == IND_CLUSTER)
            sbuf_adds(&b, "\nJOIN " MEMBERS_SUBQUERY " ON soko_m.soko_school = soko_b.school_id");
        sbuf_adds(&b, "\nGROUP BY ");
        if (lv != IND_DISTRICT) sbuf_printf(&b, "%s, ", unit_expr(lv, "soko_b.school_id"));
        sbuf_adds(&b, "soko_b.year");
        for (int k = 0; k < ind->ndims; k++) sbuf_printf(&b, ", soko_d.%s", ind->dims[k]);
        sbuf_adds(&b, "\nORDER BY ");
        if (lv != IND_DISTRICT) sbuf_printf(&b, "%s, ", unit_expr(lv, "soko_b.school_id"));
        for (int k = 0; k < ind->ndims; k++) order_dim(&b, ind, "soko_d", k);
        sbuf_adds(&b, "soko_b.year");
        return sbuf_take(&b);
    }

    sbuf_free(&b);
    return group_sql(&ind, 1, lv);
}

/* The computed columns of one indicator of the main path (level_sql), by kind. */
static void kind_cols(struct sbuf *b, const struct indicator *ind)
{
    char *const *e = ind->expr;
    switch (ind->kind) {
    case IND_SHARE:
        add_expr(b, e[IND_E_NUMERATOR]);
        sbuf_adds(b, ",\n");
        add_expr(b, e[IND_E_DENOMINATOR]);
        break;
    case IND_MEAN: {
        struct sbuf ok = SBUF_INIT;   /* the row has a value and a weight */
        sbuf_adds(&ok, "CASE WHEN ");
        add_expr(&ok, e[IND_E_VALUE]);
        sbuf_adds(&ok, " IS NOT NULL AND ");
        add_expr(&ok, e[IND_E_WEIGHT]);
        sbuf_adds(&ok, " IS NOT NULL");
        sbuf_printf(b, "total(%s THEN ", ok.s);
        add_expr(b, e[IND_E_WEIGHT]);
        sbuf_adds(b, " * ");
        add_expr(b, e[IND_E_VALUE]);
        sbuf_printf(b, " END),\ntotal(%s THEN ", ok.s);
        add_expr(b, e[IND_E_WEIGHT]);
        sbuf_printf(b, " END),\ncount(%s THEN 1 END),\n", ok.s);
        if (e[IND_E_SUMSQ]) {
            sbuf_printf(b, "total(%s THEN ", ok.s);
            add_expr(b, e[IND_E_SUMSQ]);
            sbuf_printf(b, " END),\ncount(%s AND ", ok.s);
            add_expr(b, e[IND_E_SUMSQ]);
            sbuf_adds(b, " IS NULL THEN 1 END)");
        } else {
            sbuf_adds(b, "NULL, NULL");
        }
        sbuf_free(&ok);
        break;
    }
    case IND_COUNT:
        add_expr(b, e[IND_E_COUNT]);
        break;
    case IND_RATE:
        add_expr(b, e[IND_E_COUNT]);
        sbuf_adds(b, ",\n");
        add_expr(b, e[IND_E_BASE]);
        break;
    }
    sbuf_adds(b, ",\n");
    if (e[IND_E_N]) add_expr(b, e[IND_E_N]);
    else sbuf_adds(b, "NULL");
    if (ind->kind == IND_RATE) sbuf_adds(b, ", 0");
}

/* How many computed columns kind_cols gives. */
static int kind_ncols(const struct indicator *ind)
{
    switch (ind->kind) {
    case IND_SHARE: return 3;
    case IND_MEAN: return 6;
    case IND_COUNT: return 2;
    case IND_RATE: return 4;
    }
    return 0;
}

/* The main path's statement of one level for v[0..n): indicators of one form, filter
 * and breakdown (a batch, ind_evaluate_all; n = 1: level_sql), their computed
 * columns one after the other. A mean's HAVING is its own when n = 1; in a batch the
 * groups without a value of a mean are skipped when its rows are read (its count of
 * rows with a value is 0), the same rows. */
static char *group_sql(const struct indicator *const *v, size_t n, enum ind_level lv)
{
    const struct indicator *ind = v[0];
    const char *t = ind->form->name;
    char *const *e = ind->expr;
    struct sbuf b = SBUF_INIT;
    char school_col[96];
    snprintf(school_col, sizeof school_col, "%s.school_id", t);
    const char *unit = unit_expr(lv, school_col);
    sbuf_printf(&b, "SELECT %s, %s.year", unit, t);
    for (int k = 0; k < ind->ndims; k++) sbuf_printf(&b, ", %s.%s", t, ind->dims[k]);
    for (size_t i = 0; i < n; i++) {
        sbuf_adds(&b, ",\n");
        kind_cols(&b, v[i]);
    }
    sbuf_printf(&b, "\nFROM %s", t);
    if (lv == IND_CLUSTER) sbuf_printf(&b, " JOIN " MEMBERS_SUBQUERY " ON soko_m.soko_school = %s",
                                       school_col);
    sbuf_printf(&b, "\nWHERE %s.year BETWEEN ?1 AND ?2", t);
    if (e[IND_E_FILTER]) {
        sbuf_adds(&b, " AND ");
        add_expr(&b, e[IND_E_FILTER]);
    }
    sbuf_adds(&b, "\nGROUP BY ");
    if (lv != IND_DISTRICT) sbuf_printf(&b, "%s, ", unit);
    for (int k = 0; k < ind->ndims; k++) sbuf_printf(&b, "%s.%s, ", t, ind->dims[k]);
    sbuf_printf(&b, "%s.year", t);
    if (n == 1 && ind->kind == IND_MEAN) {
        /* a unit none of whose rows has the value has no mean, and no row */
        sbuf_adds(&b, "\nHAVING count(CASE WHEN ");
        add_expr(&b, e[IND_E_VALUE]);
        sbuf_adds(&b, " IS NOT NULL AND ");
        add_expr(&b, e[IND_E_WEIGHT]);
        sbuf_adds(&b, " IS NOT NULL THEN 1 END) > 0");
    }
    sbuf_adds(&b, "\nORDER BY ");
    if (lv != IND_DISTRICT) sbuf_printf(&b, "%s, ", unit);
    for (int k = 0; k < ind->ndims; k++) order_dim(&b, ind, t, k);
    sbuf_printf(&b, "%s.year", t);
    return sbuf_take(&b);
}

static const char *kind_default_unit(const struct indicator *ind, char *buf, size_t n)
{
    switch (ind->kind) {
    case IND_SHARE: return "%";
    case IND_RATE: snprintf(buf, n, "на %g", ind->per); return buf;
    default: return "";
    }
}

/* Reads one section into a new definition of the set; compiles it when it is clean. */
static void load_section(struct loader *L, const struct deffile *df, const struct deffile_sec *sec)
{
    struct ind_set *s = L->set;
    int bad0 = L->bad;
    struct indicator tmp;
    memset(&tmp, 0, sizeof tmp);
    struct indicator *ind = &tmp;
    ind->id = xstrdup(sec->name);
    ind->file = xstrdup(df->path);
    ind->line = sec->line;
    ind->per = 100;
    ind->alert = ind->target = NAN;
    ind->min_n = 5;
    ind->year_from = IND_YEAR_MIN;
    ind->year_to = IND_YEAR_MAX;

    if (!valid_id(ind->id))
        BAD(L, sec->line, "id", "[%s]: the id has characters other than a-z, 0-9 and _; "
                                "expected e.g. [vpr_fail]", ind->id);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].id, ind->id) == 0)
            BAD(L, sec->line, "id", "[%s]: the id is already defined at %s:%ld; expected each "
                                    "indicator once", ind->id, s->v[i].file, s->v[i].line);

    /* types and ranges of every key, in one message format (deffile.h) */
    L->bad += (int)deffile_check(df, sec, ind_tables, L->d);

    long ln = 0;
    const char *v;
    if (typed_ok(sec, "title")) ind->title = xstrdup(deffile_get(sec, "title", NULL));
    if ((v = deffile_get(sec, "description", NULL))) ind->description = xstrdup(v);

    int kind_ok = typed_ok(sec, "kind");
    if (kind_ok) ind->kind = (enum ind_kind)deffile_choice(sec, "kind", kind_names, 0);

    if (typed_ok(sec, "form")) {
        v = deffile_get(sec, "form", &ln);
        const struct form *f = form_find(v);
        if (!f) {
            struct sbuf b = SBUF_INIT;
            for (size_t i = 0; forms_all()[i]; i++)
                if (form_col_index(forms_all()[i], "year") >= 0)
                    sbuf_printf(&b, "%s%s", b.len ? ", " : "", forms_all()[i]->name);
            BAD(L, ln, "form", "[%s]: form: '%s' is unknown; expected one of %s", ind->id, v, b.s);
            sbuf_free(&b);
        } else if (form_col_index(f, "year") < 0 || form_col_index(f, "school_id") < 0) {
            BAD(L, ln, "form", "[%s]: form: '%s' has no year and school; expected a form of "
                               "results or context", ind->id, v);
        } else {
            ind->form = f;
        }
    }

    for (int i = 0; i < IND_NEXPR; i++)
        if (typed_ok(sec, slots[i].key)) {
            deffile_get(sec, slots[i].key, &ln);
            ind->expr_line[i] = ln;
            ind->expr[i] = xstrdup(deffile_get(sec, slots[i].key, NULL));
        }
    if (typed_ok(sec, "base_factor")) ind->base_factor = xstrdup(deffile_get(sec, "base_factor", NULL));
    if (kind_ok) {
        const char *kn = ind_kind_name(ind->kind);
        for (int i = 0; i < IND_NEXPR; i++) {
            int use = slots[i].use[ind->kind];
            if (use == U_REQ && !deffile_get(sec, slots[i].key, NULL))
                BAD(L, sec->line, slots[i].key, "[%s]: %s: missing; kind %s needs it", ind->id,
                    slots[i].key, kn);
            if (use == U_NO && deffile_get(sec, slots[i].key, &ln))
                BAD(L, ln, slots[i].key, "[%s]: %s: not used by kind %s; expected it removed",
                    ind->id, slots[i].key, kn);
        }
        if (ind->kind == IND_RATE) {
            int hb = deffile_get(sec, "base", NULL) != NULL;
            int hf = deffile_get(sec, "base_factor", NULL) != NULL;
            if (hb == hf)
                BAD(L, sec->line, "base", "[%s]: base: %s; kind rate needs either base (an "
                                          "aggregate) or base_factor (a context factor)",
                    ind->id, hb ? _("given with base_factor") : _("missing"));
        } else {
            if (deffile_get(sec, "base_factor", &ln))
                BAD(L, ln, "base_factor", "[%s]: base_factor: not used by kind %s; expected it "
                                          "removed", ind->id, kn);
            if (deffile_get(sec, "per", &ln))
                BAD(L, ln, "per", "[%s]: per: not used by kind %s; expected it removed", ind->id,
                    kn);
        }
    }

    if (typed_ok(sec, "per")) ind->per = deffile_real(sec, "per", 100);
    if (typed_ok(sec, "alert")) ind->alert = deffile_real(sec, "alert", NAN);
    if (typed_ok(sec, "target")) ind->target = deffile_real(sec, "target", NAN);
    if (typed_ok(sec, "min_n")) ind->min_n = deffile_long(sec, "min_n", 5);
    if (typed_ok(sec, "better")) ind->lower_is_better = deffile_choice(sec, "better", better_names, 0) == 1;
    if (typed_ok(sec, "census")) ind->census = deffile_choice(sec, "census", yesno, 1) == 0;
    if ((v = deffile_get(sec, "years", &ln)) && !parse_years(v, &ind->year_from, &ind->year_to))
        BAD(L, ln, "years", "[%s]: years: got '%s'; expected FROM-TO (e.g. 2015-2100), FROM- or "
                            "one year, within %d..%d", ind->id, v, IND_YEAR_MIN, IND_YEAR_MAX);
    if ((v = deffile_get(sec, "breaks", &ln))) {
        char *buf = xstrdup(v);
        char *items[IND_MAX_BREAKS];
        int n = split_list(buf, items, IND_MAX_BREAKS);
        if (n < 0)
            BAD(L, ln, "breaks", "[%s]: breaks: '%s'; expected at most %d years separated by "
                                 "commas", ind->id, v, IND_MAX_BREAKS);
        for (int i = 0; i < n; i++) {
            int y;
            if (!parse_year(items[i], strlen(items[i]), &y) || y < IND_YEAR_MIN ||
                y > IND_YEAR_MAX) {
                BAD(L, ln, "breaks", "[%s]: breaks: '%s' is not a year within %d..%d", ind->id,
                    items[i], IND_YEAR_MIN, IND_YEAR_MAX);
                break;
            }
            if (i > 0 && y <= ind->breaks[i - 1]) {
                BAD(L, ln, "breaks", "[%s]: breaks: %d after %d; expected ascending years",
                    ind->id, y, ind->breaks[i - 1]);
                break;
            }
            ind->breaks[ind->nbreaks++] = y;
        }
        free(buf);
    }
    if (typed_ok(sec, "dims") && (v = deffile_get(sec, "dims", &ln)) && ind->form) {
        char *buf = xstrdup(v);
        char *items[IND_MAX_DIMS];
        int n = split_list(buf, items, IND_MAX_DIMS);
        if (n < 0)
            BAD(L, ln, "dims", "[%s]: dims: '%s'; expected at most %d columns separated by commas",
                ind->id, v, IND_MAX_DIMS);
        for (int i = 0; i < n; i++) {
            int c = form_col_index(ind->form, items[i]);
            if (c < 0 || strcmp(items[i], "year") == 0 || strcmp(items[i], "school_id") == 0) {
                struct sbuf b = SBUF_INIT;
                for (size_t j = 0; j < ind->form->ncols; j++) {
                    const char *cn = ind->form->cols[j].name;
                    if (strcmp(cn, "year") && strcmp(cn, "school_id"))
                        sbuf_printf(&b, "%s%s", b.len ? ", " : "", cn);
                }
                BAD(L, ln, "dims", "[%s]: dims: '%s' is not a column of form %s to break down "
                                   "by; expected some of %s", ind->id, items[i],
                    ind->form->name, b.s);
                sbuf_free(&b);
                continue;
            }
            int dup = 0;
            for (int j = 0; j < ind->ndims; j++) dup |= strcmp(ind->dims[j], items[i]) == 0;
            if (dup) {
                BAD(L, ln, "dims", "[%s]: dims: '%s' is given twice", ind->id, items[i]);
                continue;
            }
            ind->dims[ind->ndims++] = ind->form->cols[c].name;
        }
        free(buf);
    }
    char ubuf[64];
    if ((v = deffile_get(sec, "unit", NULL))) ind->unit = xstrdup(v);
    else ind->unit = xstrdup(kind_ok ? kind_default_unit(ind, ubuf, sizeof ubuf) : "");

    /* formulas: only once the form and kind are known */
    if (ind->form && kind_ok) {
        for (int i = 0; i < IND_NEXPR; i++)
            if (ind->expr[i] && slots[i].use[ind->kind] != U_NO) check_formula(L, ind, i);
    }
    if (L->bad == bad0) {
        for (int lv = 0; lv < IND_NLEVELS && L->bad == bad0; lv++) {
            char *sql = level_sql(ind, (enum ind_level)lv);
            char what[160];
            snprintf(what, sizeof what, "[%s]: the %s query", ind->id,
                     ind_level_name((enum ind_level)lv));
            if (ind_prepare(s->db, sql, &ind->stmt[lv], ind->file, ind->line, what, L->d))
                L->bad++;
            free(sql);
        }
    }
    if (L->bad != bad0) {
        def_free(ind);
        return;
    }
    s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = tmp;
}

static void ind_load_file(struct loader *L, const char *path)
{
    struct deffile df;
    size_t before = L->d->total;
    int rc = deffile_read(path, &df, L->d);
    if (rc == SOKO_EIO) {
        L->io = 1;
    } else {
        L->bad += (int)(L->d->total - before);
        /* [note] is not an indicator: the lists of the note (note.ini), read by note.c */
        for (size_t i = 0; i < df.nsec; i++)
            if (strcmp(df.sec[i].name, "note") != 0) load_section(L, &df, &df.sec[i]);
    }
    deffile_free(&df);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read-only, or query-only: ind_load never writes, and says so to the caller. */
static int db_is_readonly(sqlite3 *db)
{
    if (sqlite3_db_readonly(db, "main") == 1) return 1;
    sqlite3_stmt *st;
    int q = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) q = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return q;
}

int ind_load(const char *path, sqlite3 *db, struct ind_set **out, struct soko_diag *d)
{
    *out = NULL;
    sqlite3_stmt *st;
    if (!db_is_readonly(db)) {
        soko_diag_add(d, path, 0, 0, "indicators: the store connection is writable; expected "
                                     "a read-only one");
        return SOKO_EINTERNAL;
    }
    /* temporary results in memory, where the evaluation budget bounds them (a file
       would grow in the temporary folder, unseen, until the disk is full). A store
       opened for reading has it already (store.c, before any temporary table: the
       pragma cannot change then, nor inside the reader's transaction) */
    int ts = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA temp_store", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) ts = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if (ts != 2 && sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) != SQLITE_OK) {
        soko_diag_add(d, path, 0, 0, "indicators: cannot keep temporary results in memory: %s",
                      sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    /* each indicator reads its form once per level, in the order of its index: pages
       of the store mapped into memory are read in place, without a copy into the page
       cache each time (some 15 % of an evaluation). The store only grows (soko never
       vacuums it), so a mapped page never disappears under a reader. Not an error when
       SQLite is built without it. */
    sqlite3_exec(db, "PRAGMA mmap_size = 268435456", NULL, NULL, NULL);
    struct ind_set *s = xcalloc(1, sizeof *s);
    s->db = db;
    struct loader L = {s, d, 0, 0};
    struct stat sb;
    if (stat(path, &sb) != 0) {
        soko_diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
        ind_set_free(s);
        return SOKO_EIO;
    }
    if (S_ISDIR(sb.st_mode)) {
        DIR *dir = opendir(path);
        if (!dir) {
            soko_diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
            ind_set_free(s);
            return SOKO_EIO;
        }
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(dir))) {
            size_t len = strlen(e->d_name);
            if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0 || e->d_name[0] == '.')
                continue;
            names = xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = xasprintf("%s/%s", path, e->d_name);
        }
        closedir(dir);
        qsort(names, n, sizeof *names, name_cmp);
        for (size_t i = 0; i < n; i++) {
            ind_load_file(&L, names[i]);
            free(names[i]);
        }
        free(names);
    } else {
        ind_load_file(&L, path);
    }
    static const char members_sql[] =
        "SELECT cluster_id, school_id, role FROM clusters ORDER BY cluster_id, school_id";
    static const char factor_sql[] =
        "SELECT year, school_id, value FROM context WHERE factor = ?1 AND year BETWEEN ?2 AND ?3 "
        "ORDER BY school_id, year";
    if (!L.bad && !L.io) {
        if (ind_prepare(db, members_sql, &s->members, path, 0, "members", d) ||
            ind_prepare(db, factor_sql, &s->factor, path, 0, "factors", d))
            L.bad++;
    }
    if (L.bad || L.io) {
        ind_set_free(s);
        return L.io ? SOKO_EIO : SOKO_ECONFIG;
    }
    *out = s;
    return SOKO_OK;
}

void ind_set_free(struct ind_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) def_free(&s->v[i]);
    free(s->v);
    sqlite3_finalize(s->members);
    sqlite3_finalize(s->factor);
    free(s);
}

const struct indicator *ind_find(const struct ind_set *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].id, id) == 0) return &s->v[i];
    return NULL;
}

int ind_schema_db(sqlite3 **out, struct soko_diag *d)
{
    *out = NULL;
    sqlite3 *db;
    if (sqlite3_open_v2(":memory:", &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "indicators: cannot open an in-memory database");
        sqlite3_close(db);
        return SOKO_EDB;
    }
    char *sql = store_forms_schema_sql();
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    free(sql);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "indicators: the schema: %s", msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db);
        return SOKO_EDB;
    }
    *out = db;
    return SOKO_OK;
}

/* ---------------------------------------------------------------- evaluation */

static double col_num(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static struct ind_row *new_row(struct ind_results *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->v = xrealloc(r->v, r->cap * sizeof *r->v);
    }
    struct ind_row *row = &r->v[r->n++];
    memset(row, 0, sizeof *row);
    return row;
}

/* The value, interval and notes of a row whose sums are filled in. */
static void finish_row(const struct indicator *ind, struct ind_row *w, double sumsq,
                       double nosq, double rows)
{
    struct stats_ci ci;
    w->value = w->sd = w->lo = w->hi = NAN;
    switch (ind->kind) {
    case IND_SHARE:
        if (isnan(w->n)) w->n = w->den;
        if (!(w->den > 0) || !(w->num >= 0) || w->num > w->den) {
            w->notes |= IND_NOTE_INVALID;
            break;
        }
        w->value = 100.0 * w->num / w->den;
        if (stats_wilson(w->num, w->den, STATS_LEVEL_95, &ci) == STATS_OK && ci.has_interval) {
            w->lo = 100.0 * ci.lo;
            w->hi = 100.0 * ci.hi;
        }
        break;
    case IND_MEAN:
        if (isnan(w->n)) w->n = w->den;
        if (!(w->den > 0) || !isfinite(w->num)) {
            w->notes |= IND_NOTE_INVALID;
            break;
        }
        w->value = w->num / w->den;
        if (isfinite(sumsq) && nosq == 0 && rows > 0 && w->den > 1) {
            double var = (sumsq - w->den * w->value * w->value) / (w->den - 1);
            /* rounding can leave a tiny negative for a constant variable */
            if (var < 0 && var > -1e-9 * (sumsq > 1 ? sumsq : 1)) var = 0;
            if (var >= 0) w->sd = sqrt(var);
        }
        if (isfinite(w->sd) &&
            stats_t_interval(w->value, w->sd, w->den, STATS_LEVEL_95, &ci) == STATS_OK &&
            ci.has_interval) {
            w->lo = ci.lo;
            w->hi = ci.hi;
        } else {
            w->notes |= IND_NOTE_NO_SPREAD;
        }
        break;
    case IND_COUNT:
        if (!(w->num >= 0)) {
            w->notes |= IND_NOTE_INVALID;
            break;
        }
        w->value = w->num;
        if (w->num == floor(w->num) &&
            stats_poisson_exact(w->num, STATS_LEVEL_95, &ci) == STATS_OK && ci.has_interval) {
            w->lo = ci.lo;
            w->hi = ci.hi;
        }
        break;
    case IND_RATE:
        if (isnan(w->n)) w->n = w->den;
        if (!(w->den > 0) || !(w->num >= 0)) {
            w->notes |= IND_NOTE_INVALID;
            break;
        }
        w->value = ind->per * w->num / w->den;
        if (w->num == floor(w->num) &&
            stats_poisson_exact(w->num, STATS_LEVEL_95, &ci) == STATS_OK && ci.has_interval) {
            w->lo = ind->per * ci.lo / w->den;
            w->hi = ind->per * ci.hi / w->den;
        }
        break;
    }
    w->suppressed = isfinite(w->n) && w->n < (double)ind->min_n;
    if (w->suppressed) w->notes |= IND_NOTE_SUPPRESSED;
}

/* The sums of w (its level set) from the computed columns v of its kind (kind_cols),
 * then its value, interval and notes. */
static void fill_row(const struct indicator *ind, const double *v, struct ind_row *w)
{
    double sumsq = NAN, nosq = NAN, rows = NAN;
    w->num = v[0];
    switch (ind->kind) {
    case IND_SHARE:
        w->den = v[1];
        w->n = v[2];
        break;
    case IND_MEAN:
        w->den = v[1];
        rows = v[2];
        sumsq = v[3];
        nosq = v[4];
        w->n = v[5];
        break;
    case IND_COUNT:
        w->den = NAN;
        w->n = v[1];
        break;
    case IND_RATE:
        w->den = v[1];
        w->n = v[2];
        if (w->level == IND_SCHOOL && v[3] > 0) w->notes |= IND_NOTE_ZERO_FILLED;
        break;
    }
    finish_row(ind, w, sumsq, nosq, rows);
}

int ind_evaluate_each(struct ind_set *s, const struct indicator *ind, int y0, int y1,
                      ind_row_fn fn, void *ctx, struct soko_diag *d)
{
    stats_init();
    int from = ind->year_from, to = ind->year_to;
    if (y0 && y0 > from) from = y0;
    if (y1 && y1 < to) to = y1;
    if (from > to) return SOKO_OK;
    struct budget bu;
    budget_start(&bu, s, ind->form);
    for (int lv = 0; lv < IND_NLEVELS; lv++) {
        sqlite3_stmt *st = ind->stmt[lv];
        SOKO_ASSERT(st);
        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, from);
        sqlite3_bind_int(st, 2, to);
        if (ind->kind == IND_RATE && ind->base_factor)
            sqlite3_bind_text(st, 3, ind->base_factor, -1, SQLITE_STATIC);
        int rc;
        const int c0 = 2 + ind->ndims;   /* first computed column */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct ind_row row;
            struct ind_row *w = &row;
            memset(w, 0, sizeof *w);
            w->ind = ind;
            w->level = (enum ind_level)lv;
            const char *u = (const char *)sqlite3_column_text(st, 0);
            w->unit = u ? u : "";
            w->year = sqlite3_column_int(st, 1);
            for (int k = 0; k < ind->ndims; k++) {
                const char *t = (const char *)sqlite3_column_text(st, 2 + k);
                w->dim[k] = t ? t : "";
            }
            double v[8] = {0};
            for (int k = 0; k < kind_ncols(ind); k++) v[k] = col_num(st, c0 + k);
            fill_row(ind, v, w);
            int frc = fn(ctx, w);
            if (frc) {
                sqlite3_reset(st);
                budget_end(&bu);
                return frc;
            }
        }
        if (rc != SQLITE_DONE) {
            int ext = sqlite3_extended_errcode(s->db);
            budget_end(&bu);
            char what[160];
            snprintf(what, sizeof what, "[%s]", ind->id);
            if (budget_refused(&bu, ext, ind->file, ind->line, what, d)) {
                sqlite3_reset(st);
                return SOKO_ECONFIG;
            }
            soko_diag_add(d, ind->file, ind->line, 0, "[%s]: evaluating (%s): %s", ind->id,
                          ind_level_name((enum ind_level)lv), sqlite3_errmsg(s->db));
            sqlite3_reset(st);
            return SOKO_EDB;
        }
        sqlite3_reset(st);
    }
    budget_end(&bu);
    return SOKO_OK;
}

/* ind_evaluate's row function: a copy of the row, its strings in the arena. */
static int keep_row(void *ctx, const struct ind_row *r)
{
    struct ind_results *out = ctx;
    struct ind_row *w = new_row(out);
    *w = *r;
    w->unit = arena_str(&out->arena, r->unit, strlen(r->unit));
    for (int k = 0; k < r->ind->ndims; k++)
        w->dim[k] = arena_str(&out->arena, r->dim[k], strlen(r->dim[k]));
    return 0;
}

int ind_evaluate(struct ind_set *s, const struct indicator *ind, int y0, int y1,
                 struct ind_results *out, struct soko_diag *d)
{
    return ind_evaluate_each(s, ind, y0, y1, keep_row, out, d);
}

int ind_evaluate_set(struct ind_set *s, int y0, int y1, struct ind_results *out,
                     struct soko_diag *d)
{
    return ind_evaluate_all(s, NULL, y0, y1, keep_row, out, d);
}

/* ---------------------------------------------------------------- batches */

#define IND_MAX_BATCH 16

/* The years ind is evaluated for, asked [y0, y1]; 0 when none. */
static int eff_years(const struct indicator *ind, int y0, int y1, int *from, int *to)
{
    *from = ind->year_from;
    *to = ind->year_to;
    if (y0 && y0 > *from) *from = y0;
    if (y1 && y1 < *to) *to = y1;
    return *from <= *to;
}

/* Can b share a's statements? The same form, filter, breakdown and years, on the main
 * path (not a rate over a context factor). */
static int same_batch(const struct indicator *a, const struct indicator *b, int y0, int y1)
{
    int af, at, bf, bt;
    if (a->form != b->form || a->ndims != b->ndims) return 0;
    if ((a->kind == IND_RATE && a->base_factor) || (b->kind == IND_RATE && b->base_factor)) return 0;
    const char *fa = a->expr[IND_E_FILTER], *fb = b->expr[IND_E_FILTER];
    if ((fa == NULL) != (fb == NULL) || (fa && strcmp(fa, fb) != 0)) return 0;
    for (int k = 0; k < a->ndims; k++)
        if (strcmp(a->dims[k], b->dims[k]) != 0) return 0;
    if (!eff_years(a, y0, y1, &af, &at) || !eff_years(b, y0, y1, &bf, &bt)) return 0;
    return af == bf && at == bt;
}

struct krow {
    enum ind_level level;
    int year;
    const char *unit;
    const char *dim[IND_MAX_DIMS];
    size_t voff;                  /* its computed columns in vals */
};

/* A mean's group without a value (the HAVING of its own statement). */
static int no_mean(const struct indicator *ind, const double *v)
{
    return ind->kind == IND_MEAN && !(v[2] > 0);
}

/* v[0..n), one batch: their rows into fn, indicator by indicator, as ind_evaluate_each
 * would give them. Returns -1 when the batch's statements fail (nothing given to fn
 * then: the caller evaluates the indicators one by one, which says why). */
static int eval_batch(struct ind_set *s, const struct indicator *const *v, size_t n, int y0,
                      int y1, ind_row_fn fn, void *ctx)
{
    int from, to;
    eff_years(v[0], y0, y1, &from, &to);
    int off[IND_MAX_BATCH + 1];
    off[0] = 0;
    for (size_t i = 0; i < n; i++) off[i + 1] = off[i] + kind_ncols(v[i]);
    const int stride = off[n], nd = v[0]->ndims;
    struct krow *rows = NULL;
    size_t nrows = 0, crows = 0, nvals = 0, cvals = 0;
    double *vals = NULL;
    struct ind_arena *arena = NULL;
    int failed = 0;
    struct soko_diag quiet;
    soko_diag_init(&quiet, 1);
    struct budget bu;
    for (int lv = 0; lv < IND_NLEVELS && !failed; lv++) {
        char *sql = group_sql(v, n, (enum ind_level)lv);
        sqlite3_stmt *st = NULL;
        if (ind_prepare(s->db, sql, &st, NULL, 0, "batch", &quiet)) failed = 1;
        free(sql);
        if (failed) break;
        sqlite3_bind_int(st, 1, from);
        sqlite3_bind_int(st, 2, to);
        budget_start(&bu, s, v[0]->form);
        int rc;
        const int c0 = 2 + nd;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (nrows == crows) {
                crows = crows ? 2 * crows : 1024;
                rows = xrealloc(rows, crows * sizeof *rows);
            }
            if (nvals + (size_t)stride > cvals) {
                cvals = cvals ? 2 * cvals : 8192;
                while (cvals < nvals + (size_t)stride) cvals *= 2;
                vals = xrealloc(vals, cvals * sizeof *vals);
            }
            struct krow *k = &rows[nrows++];
            memset(k, 0, sizeof *k);
            k->level = (enum ind_level)lv;
            k->year = sqlite3_column_int(st, 1);
            const char *u = (const char *)sqlite3_column_text(st, 0);
            k->unit = arena_str(&arena, u ? u : "", u ? strlen(u) : 0);
            for (int q = 0; q < nd; q++) {
                const char *t = (const char *)sqlite3_column_text(st, 2 + q);
                k->dim[q] = arena_str(&arena, t ? t : "", t ? strlen(t) : 0);
            }
            k->voff = nvals;
            for (int q = 0; q < stride; q++) vals[nvals++] = col_num(st, c0 + q);
        }
        budget_end(&bu);
        if (rc != SQLITE_DONE) failed = 1;
        sqlite3_finalize(st);
    }
    soko_diag_free(&quiet);
    int frc = 0;
    for (size_t i = 0; i < n && !failed && !frc; i++) {
        const struct indicator *ind = v[i];
        for (size_t r = 0; r < nrows && !frc; r++) {
            const struct krow *k = &rows[r];
            const double *cv = vals + k->voff + off[i];
            if (no_mean(ind, cv)) continue;
            struct ind_row w;
            memset(&w, 0, sizeof w);
            w.ind = ind;
            w.level = k->level;
            w.unit = k->unit;
            w.year = k->year;
            for (int q = 0; q < nd; q++) w.dim[q] = k->dim[q];
            fill_row(ind, cv, &w);
            frc = fn(ctx, &w);
        }
    }
    free(rows);
    free(vals);
    arena_free(arena);
    return failed ? -1 : frc;
}

int ind_evaluate_list(struct ind_set *s, const struct indicator *const *list, size_t n,
                      int y0, int y1, ind_row_fn fn, void *ctx, struct soko_diag *d)
{
    stats_init();
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && j - i < IND_MAX_BATCH && same_batch(list[i], list[j], y0, y1)) j++;
        int rc = j - i > 1 ? eval_batch(s, list + i, j - i, y0, y1, fn, ctx) : -1;
        for (size_t q = i; rc < 0 && q < j; q++) {
            int r = ind_evaluate_each(s, list[q], y0, y1, fn, ctx, d);
            if (r) return r;
        }
        if (rc > 0) return rc;
        i = j;
    }
    return SOKO_OK;
}

int ind_evaluate_all(struct ind_set *s, const struct indicator *only, int y0, int y1,
                     ind_row_fn fn, void *ctx, struct soko_diag *d)
{
    if (only) return ind_evaluate_list(s, &only, 1, y0, y1, fn, ctx, d);
    const struct indicator **list = xmalloc((s->n + 1) * sizeof *list);
    for (size_t i = 0; i < s->n; i++) list[i] = &s->v[i];
    int rc = ind_evaluate_list(s, list, s->n, y0, y1, fn, ctx, d);
    free(list);
    return rc;
}

int ind_evaluate_results(struct ind_set *s, const struct indicator *const *list, size_t n,
                         int y0, int y1, struct ind_results *out, struct soko_diag *d)
{
    return ind_evaluate_list(s, list, n, y0, y1, keep_row, out, d);
}

void ind_results_free(struct ind_results *r)
{
    free(r->v);
    arena_free(r->arena);
    r->v = NULL;
    r->n = r->cap = 0;
    r->arena = NULL;
}

/* ------------------------------------------------------------------ schools */

int ind_school_known(struct ind_set *s, const char *school_id, struct soko_diag *d)
{
    /* every form with a school column, the registry and clusters among them */
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; forms_all()[i]; i++)
        if (form_col_index(forms_all()[i], "school_id") >= 0)
            sbuf_printf(&b, "%sSELECT 1 FROM %s WHERE school_id = ?1", b.len ? " UNION ALL " : "",
                        forms_all()[i]->name);
    if (!b.len) {
        sbuf_free(&b);
        return 0;
    }
    char *sql = xasprintf("SELECT EXISTS (%s)", b.s);
    sbuf_free(&b);
    sqlite3_stmt *st;
    int rc = ind_prepare(s->db, sql, &st, NULL, 0, "schools", d);
    free(sql);
    if (rc) return -1;
    sqlite3_bind_text(st, 1, school_id, -1, SQLITE_TRANSIENT);
    int known = -1;
    if (sqlite3_step(st) == SQLITE_ROW) known = sqlite3_column_int(st, 0) != 0;
    else soko_diag_add(d, NULL, 0, 0, "indicators: looking up school '%s': %s", school_id,
                       sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return known;
}

/* ------------------------------------------------------------------ members */

int ind_members(struct ind_set *s, struct ind_members *out, struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = s->members;
    sqlite3_reset(st);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            out->v = xrealloc(out->v, cap * sizeof *out->v);
        }
        struct ind_member *m = &out->v[out->n++];
        const char *col[3];
        for (int i = 0; i < 3; i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            col[i] = arena_str(&out->arena, t ? t : "", t ? strlen(t) : 0);
        }
        m->cluster_id = col[0];
        m->school_id = col[1];
        m->role = col[2];
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        soko_diag_add(d, NULL, 0, 0, "indicators: reading the clusters: %s",
                      sqlite3_errmsg(s->db));
        ind_members_free(out);
        return SOKO_EDB;
    }
    return SOKO_OK;
}

void ind_members_free(struct ind_members *m)
{
    free(m->v);
    arena_free(m->arena);
    memset(m, 0, sizeof *m);
}

/* The rows of one factor through st (bound: ?1 the factor, ?2..?3 the years). */
static int factor_rows(struct ind_set *s, sqlite3_stmt *st, const char *factor, const char *code,
                       int y0, int y1, struct ind_factors *out, struct soko_diag *d)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, y0 ? y0 : IND_YEAR_MIN);
    sqlite3_bind_int(st, 3, y1 ? y1 : IND_YEAR_MAX);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 2) == SQLITE_NULL) continue;   /* no value: not a figure */
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            out->v = xrealloc(out->v, cap * sizeof *out->v);
        }
        struct ind_factor *f = &out->v[out->n++];
        f->year = sqlite3_column_int(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        f->school_id = arena_str(&out->arena, t ? t : "", t ? strlen(t) : 0);
        f->value = col_num(st, 2);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        soko_diag_add(d, NULL, 0, 0, "indicators: reading factor '%s': %s", factor,
                      sqlite3_errmsg(s->db));
        ind_factors_free(out);
        return SOKO_EDB;
    }
    return SOKO_OK;
}

int ind_factor_values(struct ind_set *s, const char *factor, int y0, int y1,
                      struct ind_factors *out, struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    const char *code = NULL;
    const struct form *f = strchr(factor, ':') ? form_of_factor(factor, &code) : NULL;
    if (!f) {
        if (strchr(factor, ':')) {
            soko_diag_add(d, NULL, 0, 0, _("factor '%s': no form before ':' holds context "
                                           "factors; expected FORM:CODE of a form whose "
                                           "definition says 'factors = ...'"), factor);
            return SOKO_ECONFIG;
        }
        return factor_rows(s, s->factor, factor, factor, y0, y1, out, d);
    }
    /* a form's factor: its table and columns are identifiers checked where it was
       defined (formdef.c), so they may be written into the statement */
    char *sql = xasprintf("SELECT year, school_id, %s FROM %s WHERE %s = ?1 AND year BETWEEN "
                          "?2 AND ?3 ORDER BY school_id, year", f->factor_value, f->name,
                          f->factor_col);
    sqlite3_stmt *st = NULL;
    int rc = SOKO_OK;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "indicators: reading factor '%s': %s", factor,
                      sqlite3_errmsg(s->db));
        rc = SOKO_EDB;
    } else {
        rc = factor_rows(s, st, factor, code, y0, y1, out, d);
    }
    sqlite3_finalize(st);
    free(sql);
    return rc;
}

void ind_factors_free(struct ind_factors *f)
{
    free(f->v);
    arena_free(f->arena);
    memset(f, 0, sizeof *f);
}
