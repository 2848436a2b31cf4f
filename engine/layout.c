/*
 * layout.c — import layouts (contract in layout.h; format in docs/layouts.md).
 */
#include "layout.h"

#include "deffile.h"
#include "i18n.h"

#include "text.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum src_kind { SRC_NONE, SRC_COLUMN, SRC_CONST, SRC_PERCENT, SRC_LEFT, SRC_MAP, SRC_TITLE,
                SRC_LOGIN, SRC_NUMBER, SRC_GROUP, SRC_COUNT, SRC_LEVEL, SRC_LABEL, SRC_PARENT,
                SRC_TASK_LABEL, SRC_TASK_VALUE, SRC_TASK_MAX, SRC_SCORES, SRC_SCALE,
                SRC_ROW, SRC_DATE_YEAR };

struct mapping {
    char *from, *to;
};

struct source {
    enum src_kind kind;
    char *column;             /* source column name (COLUMN, PERCENT, LEFT, MAP) */
    char *total;              /* PERCENT: the column of the total */
    char *value;              /* CONST */
    long nchars;              /* LEFT: characters (UTF-8 code points) */
    int field, total_field;   /* resolved source fields, -1 until bound */
    struct mapping *map;      /* MAP: value pairs from [map COLUMN] */
    size_t nmap;
    long line;                /* line in the layout, for messages */
    /* TITLE: a pattern ([title]) matched in the rows above the header; the value found
     * in the file being read (NULL until found) */
    char *pattern;
    regex_t re;
    int has_re;
    char *found;
    long found_line;
    long field_hint;          /* GROUP: the 1-based first column of the group, for messages */
    char **values;            /* COUNT COLUMN = V1, V2: the values counted */
    size_t nvalues;
    int parent_j;             /* PARENT: the parent layout's column of the same name */
    int from_block;           /* blocks: the source is the block's label (`login block`) */
};

struct skip {
    char *column, *value;
    int field;
};

/* absent = COLUMN = V1, V2: a row whose COLUMN holds one of the values is not a
 * participant (an absent pupil) */
struct absent {
    char *column;
    char **values;
    size_t nvalues;
    int field;
};

struct layout {
    char *path, *name;
    char sha256[65];
    const struct form *form;
    long form_line;
    struct source src[32];    /* per form column */
    struct skip *skips;
    size_t nskips;
    char **markers;           /* suppression markers */
    size_t nmarkers;
    int keep_first;
    double pct_tolerance;     /* per derived column, in percentage points */
    long header_rows;         /* rows the header spans (1-3) */
    /* wide = COLUMN: groups of columns under a name (a subject) in the header's top
     * row, each a row of the form; the name is that column's value */
    int wide_j;               /* -1 when not wide */
    size_t ngroups;
    char **gname;
    int (*gfield)[32], (*gtotal)[32];   /* per group, each source's field (-1: none) */
    int measure[32];          /* a source found in the groups, not shared */
    long *gcol;               /* each group's first column, 1-based */
    int all_sheets;           /* sheets = all: every sheet whose header matches */
    int tasks_auto;           /* tasks = auto: columns «N (Mб)» are tasks */
    int tasks_columns;        /* tasks = columns: each task column a row of the form */
    size_t cur_task;          /* tasks = columns: the task column of the row being read */
    /* blocks = COLUMN: a label row (a school, the region), then rows of figures, each
     * labelled in COLUMN («Понизили», «Всего»): one record of the form per block */
    char *block_col;
    int block_field;
    char **requires;          /* requires = C, C: header columns the layout does not read
                                 but the report has (to tell it from another) */
    size_t nrequires;
    char *block_label;        /* the current block's label, NULL before the first */
    long block_line;
    struct { char *text; long line; } cap[32];   /* per form column: `row L of C`'s cell */
    int scores_columns;       /* scores = columns: a column per primary score */
    struct score_col { int score, field; } *score;
    size_t nscores;
    struct task_col { char *label; int max; int field; } *task;
    size_t ntasks;
    char *description;
    struct absent *absents;
    size_t nabsents;
    /* [reference]: the rows of the country, the region and the municipality, read
     * through a layout of their own (form vpr_reference); the columns it leaves out
     * that the parent takes from the title are the parent's */
    struct layout *ref, *parent;
    int seen_region, seen_district;   /* level COLUMN: what the file has shown so far */
    char *last_label;                 /* and the last label told, with its level (a row */
    const char *last_level;           /* is read once per task with tasks = columns) */
    /* parsing state */
    const char *file;
    struct soko_diag *d;
    long line;
    int bad;
};

static void perr(struct layout *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct layout *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    soko_diag_vadd(p->d, p->file, p->line, 0, fmt, ap);
    va_end(ap);
    p->bad = 1;
}

const struct form *layout_form(const struct layout *p) { return p->form; }
const char *layout_name(const struct layout *p) { return p->name; }
const char *layout_sha256(const struct layout *p) { return p->sha256; }
int layout_keep_first(const struct layout *p) { return p->keep_first; }

void layout_free(struct layout *p)
{
    if (!p) return;
    for (size_t j = 0; j < 32; j++) {
        struct source *s = &p->src[j];
        free(s->column);
        free(s->total);
        free(s->value);
        for (size_t k = 0; k < s->nmap; k++) {
            free(s->map[k].from);
            free(s->map[k].to);
        }
        free(s->map);
        free(s->pattern);
        free(s->found);
        for (size_t k = 0; k < s->nvalues; k++) free(s->values[k]);
        free(s->values);
        if (s->has_re) regfree(&s->re);
    }
    layout_free(p->ref);
    free(p->last_label);
    for (size_t i = 0; i < p->nabsents; i++) {
        free(p->absents[i].column);
        for (size_t k = 0; k < p->absents[i].nvalues; k++) free(p->absents[i].values[k]);
        free(p->absents[i].values);
    }
    free(p->absents);
    for (size_t g = 0; g < p->ngroups; g++) free(p->gname[g]);
    free(p->gname);
    free(p->gfield);
    free(p->gtotal);
    free(p->gcol);
    for (size_t k = 0; k < p->ntasks; k++) free(p->task[k].label);
    free(p->task);
    free(p->score);
    free(p->block_col);
    for (size_t i = 0; i < p->nrequires; i++) free(p->requires[i]);
    free(p->requires);
    free(p->block_label);
    for (size_t j = 0; j < 32; j++) free(p->cap[j].text);
    for (size_t i = 0; i < p->nskips; i++) {
        free(p->skips[i].column);
        free(p->skips[i].value);
    }
    for (size_t i = 0; i < p->nmarkers; i++) free(p->markers[i]);
    free(p->skips);
    free(p->markers);
    free(p->path);
    free(p->name);
    free(p->description);
    free(p);
}

/* --------------------------------------------------------------- parsing */

static const char *const dup_choices[] = {"error", "first", NULL};
static const char *const sheets_choices[] = {"one", "all", NULL};
static const char *const tasks_choices[] = {"none", "auto", "columns", NULL};
static const char *const scores_choices[] = {"none", "columns", NULL};

/* The keys of [layout] ([profile] is its name before 0.2), typed (deffile.h). */
static const struct deffile_key layout_keys[] = {
    {"form", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("the target form, e.g. vpr")},
    {"description", DF_TEXT, DF_EMPTY, 0, 0, NULL, NULL},
    {"skip", DF_OTHER, DF_REPEAT, 0, 0, NULL, N_("COLUMN = VALUE")},
    {"suppressed", DF_LIST, 0, 1, 0, NULL, N_("markers of a suppressed cell, comma-separated")},
    {"duplicates", DF_CHOICE, 0, 0, 0, dup_choices, NULL},
    {"percent_tolerance", DF_REAL, 0, 0, 10, NULL, N_("percentage points from 0 to 10")},
    {"header_rows", DF_INT, 0, 1, 3, NULL, N_("the rows the header spans, 1 to 3")},
    {"wide", DF_TEXT, 0, 0, 0, NULL, N_("the form column named by each group of columns")},
    {"sheets", DF_CHOICE, 0, 0, 0, sheets_choices, NULL},
    {"tasks", DF_CHOICE, 0, 0, 0, tasks_choices, NULL},
    {"scores", DF_CHOICE, 0, 0, 0, scores_choices, NULL},
    {"blocks", DF_TEXT, 0, 0, 0, NULL, N_("the column that labels the blocks and their rows")},
    {"requires", DF_LIST, 0, 1, 0, NULL, N_("columns the header must have, comma-separated")},
    {"absent", DF_OTHER, DF_REPEAT, 0, 0, NULL, N_("COLUMN = VALUE, VALUE...")},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
/* [columns]: one key per form column (checked against the form); [map COLUMN]: source
 * values, any text. */
static const struct deffile_key column_keys[] = {
    {"*", DF_TEXT, 0, 0, 0, NULL, N_("a source: a column name, const V, percent P of T, left C N "
                                  "or map C")},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const struct deffile_key title_keys[] = {
    {"*", DF_TEXT, 0, 0, 0, NULL, N_("a regular expression (POSIX extended) whose last group "
                                  "is the value")},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const struct deffile_key map_keys[] = {
    {"*", DF_TEXT, DF_EMPTY, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

#define LEFT_MAX 1000     /* characters a `left` source may keep */

/* "word rest": splits off the first word when it is `kw`; returns rest or NULL */
static const char *keyword(const char *v, const char *kw)
{
    size_t n = strlen(kw);
    if (strncmp(v, kw, n) == 0 && (v[n] == ' ' || v[n] == '\t')) {
        v += n;
        while (*v == ' ' || *v == '\t') v++;
        return v;
    }
    return NULL;
}

static char *trimmed(const char *s)
{
    return str_trim(xstrdup(s));
}

/* Folds s in place to lower case where the lower case has the same UTF-8 length
 * (ASCII, Cyrillic), ё to е: a title and its pattern are compared folded, and a
 * match's offsets hold in the original text. */
static void layout_fold(char *s)
{
    char *p = s;
    while (*p) {
        uint32_t cp;
        size_t n = text_next(p, &cp);
        uint32_t lo = text_lower(cp);
        if (lo == 0x451) lo = 0x435;
        if (lo != cp) {
            struct sbuf b = SBUF_INIT;
            text_put(&b, lo);
            if (b.len == n) memcpy(p, b.s, n);
            sbuf_free(&b);
        }
        p += n ? n : 1;
    }
}

/* Source spec of a form column: see docs/layouts.md. Returns problems reported. */
static size_t parse_source(struct layout *p, const struct deffile *df, const struct deffile_sec *sec,
                           const struct deffile_kv *kv, struct soko_diag *d)
{
    const char *col = kv->key, *v = kv->value;
    int j = form_col_index(p->form, col);
    if (j < 0) {
        struct sbuf b = SBUF_INIT;
        for (size_t i = 0; i < p->form->ncols; i++)
            sbuf_printf(&b, "%s%s", i ? ", " : "", p->form->cols[i].name);
        soko_diag_add(d, df->path, kv->line, 0, _("[%s]: %s: unknown key; expected a column of "
                      "form %s: %s"), sec->name, col, p->form->name, b.s);
        sbuf_free(&b);
        return 1;
    }
    struct source *s = &p->src[j];
    if (s->kind != SRC_NONE) {
        soko_diag_add(d, df->path, kv->line, 0, _("[%s]: %s: the column has a source in [title] "
                      "too (line %ld); expected one source"), sec->name, col, s->line);
        return 1;
    }
    s->line = kv->line;
    s->field = s->total_field = -1;
    const char *r;
    if ((r = keyword(v, "const"))) {
        s->kind = SRC_CONST;
        s->value = trimmed(r);
    } else if ((r = keyword(v, "percent"))) {
        const char *of = strstr(r, " of ");
        if (!of) {
            deffile_bad(d, df, sec, kv, NULL, "'percent COLUMN of TOTAL_COLUMN'");
            return 1;
        }
        s->kind = SRC_PERCENT;
        s->column = str_trim(xstrndup(r, (size_t)(of - r)));
        s->total = trimmed(of + 4);
        if (!*s->column || !*s->total) {
            deffile_bad(d, df, sec, kv, NULL, "'percent COLUMN of TOTAL_COLUMN'");
            return 1;
        }
    } else if ((r = keyword(v, "left"))) {
        const char *sp = strrchr(r, ' ');
        const struct deffile_key nk = {"n", DF_INT, 0, 1, LEFT_MAX, NULL, NULL};
        if (!sp || deffile_value_ok(&nk, sp + 1)) {
            deffile_bad(d, df, sec, kv, NULL, "'left COLUMN N' with N from 1 to %d", LEFT_MAX);
            return 1;
        }
        s->kind = SRC_LEFT;
        s->column = str_trim(xstrndup(r, (size_t)(sp - r)));
        s->nchars = strtol(sp + 1, NULL, 10);
    } else if ((r = keyword(v, "map"))) {
        s->kind = SRC_MAP;
        s->column = trimmed(r);
    } else if ((r = keyword(v, "login"))) {
        s->kind = SRC_LOGIN;
        s->column = trimmed(r);
        if (p->block_col && strcmp(s->column, "block") == 0) {   /* the block's label */
            free(s->column);
            s->column = NULL;
            s->from_block = 1;
        }
    } else if (strcmp(v, "count") == 0) {
        s->kind = SRC_COUNT;
    } else if ((r = keyword(v, "count"))) {
        const char *eq = strchr(r, '=');
        int n = 0;
        char **items = eq ? deffile_list(eq + 1, &n) : NULL;
        if (!eq || n < 1 || eq == r) {
            deffile_list_free(items);
            deffile_bad(d, df, sec, kv, NULL, "'count' or 'count COLUMN = VALUE, VALUE...'");
            return 1;
        }
        s->kind = SRC_COUNT;
        s->column = str_trim(xstrndup(r, (size_t)(eq - r)));
        s->values = xcalloc((size_t)n, sizeof *s->values);
        for (int k = 0; k < n; k++) s->values[s->nvalues++] = xstrdup(items[k]);
        deffile_list_free(items);
    } else if ((r = keyword(v, "number"))) {
        s->kind = SRC_NUMBER;
        s->column = trimmed(r);
    } else if ((r = keyword(v, "date_year"))) {
        s->kind = SRC_DATE_YEAR;
        s->column = trimmed(r);
    } else if (strcmp(v, "task label") == 0 || strcmp(v, "task value") == 0 ||
               strcmp(v, "task max") == 0) {
        const struct layout *top = p->parent ? p->parent : p;
        if (!top->tasks_columns || (p->parent && v[5] == 'l')) {
            deffile_bad(d, df, sec, kv, NULL, "'%s' with tasks = columns in [layout]%s", v,
                        p->parent ? " (in [reference], task label is the layout's)" : "");
            return 1;
        }
        s->kind = v[5] == 'l' ? SRC_TASK_LABEL : v[5] == 'v' ? SRC_TASK_VALUE : SRC_TASK_MAX;
    } else if ((r = keyword(v, "row")) && p->block_col) {
        const char *of = strstr(r, " of ");
        if (!of || of == r || !of[4 + strspn(of + 4, " \t")]) {
            deffile_bad(d, df, sec, kv, NULL, "'row LABEL of COLUMN'");
            return 1;
        }
        s->kind = SRC_ROW;
        s->value = str_trim(xstrndup(r, (size_t)(of - r)));
        s->column = trimmed(of + 4);
    } else if ((r = keyword(v, "score")) && (keyword(r, "percents") || strcmp(r, "counts") == 0)) {
        if (!p->scores_columns) {
            deffile_bad(d, df, sec, kv, NULL, "'%s' with scores = columns in [layout]", v);
            return 1;
        }
        s->kind = SRC_SCORES;
        const char *of = keyword(r, "percents");
        if (of) {
            const char *t = keyword(of, "of");
            if (!t || !*t) {
                deffile_bad(d, df, sec, kv, NULL, "'score percents of TOTAL_COLUMN' or 'score "
                            "counts'");
                return 1;
            }
            s->total = trimmed(t);
        }
    } else if (strcmp(v, "scale") == 0) {
        if (!p->scores_columns) {
            deffile_bad(d, df, sec, kv, NULL, "'scale' with scores = columns in [layout]");
            return 1;
        }
        s->kind = SRC_SCALE;
    } else if ((r = keyword(v, "level")) && p->parent) {
        s->kind = SRC_LEVEL;
        s->column = trimmed(r);
    } else if ((r = keyword(v, "label")) && p->parent) {
        s->kind = SRC_LABEL;
        s->column = trimmed(r);
    } else {
        r = keyword(v, "column");
        s->kind = SRC_COLUMN;
        s->column = trimmed(r ? r : v);
    }
    if (s->column && !*s->column) {
        deffile_bad(d, df, sec, kv, NULL, "a source column name");
        return 1;
    }
    return 0;
}

/* [reference]: the rows that are not schools' (Вся выборка, the region, the
 * municipality) read into a form of reference figures by a layout of their own. */
static size_t parse_reference(struct layout *p, const struct deffile *df,
                              const struct deffile_sec *sec, struct soko_diag *d)
{
    static const struct deffile_key ref_keys[] = {
        {"form", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("the form of the reference rows, e.g. "
                                                   "vpr_reference")},
        {"*", DF_TEXT, 0, 0, 0, NULL, N_("a source: a column name, level C, label C, const V, "
                                      "left C N or map C")},
        {NULL, 0, 0, 0, 0, NULL, NULL},
    };
    const struct deffile_key *const rt[] = {ref_keys, NULL};
    size_t bad = deffile_check(df, sec, rt, d);
    if (bad) return bad;
    if (p->ref) {
        soko_diag_add(d, df->path, sec->line, 0, _("[reference]: a second section (the first on "
                      "line %ld); expected one"), p->ref->form_line);
        return 1;
    }
    const struct deffile_kv *fk = deffile_kv(sec, "form");
    const struct form *rf = form_find(fk->value);
    int lj = rf ? form_col_index(rf, "level") : -1;
    if (lj < 0 || !(rf->cols[lj].flags & COL_KEY) || rf->cols[lj].type != COL_ENUM) {
        deffile_bad(d, df, sec, fk, NULL, "a form of reference figures with a level column: "
                    "vpr_reference or vpr_reference_tasks");
        return 1;
    }
    if (p->wide_j >= 0 || p->tasks_auto || p->block_col || p->scores_columns) {
        deffile_bad(d, df, sec, fk, NULL, "a layout of one row per school (not wide, blocks, "
                    "scores or tasks = auto), for [reference]");
        return 1;
    }
    struct layout *r = xcalloc(1, sizeof *r);
    p->ref = r;
    r->parent = p;
    r->form = rf;
    r->form_line = sec->line;
    r->wide_j = -1;
    r->path = xstrdup(p->path);
    r->name = xstrdup(p->name);
    r->pct_tolerance = p->pct_tolerance;
    r->header_rows = p->header_rows;
    r->markers = xcalloc(p->nmarkers + 1, sizeof *r->markers);
    for (size_t i = 0; i < p->nmarkers; i++) r->markers[r->nmarkers++] = xstrdup(p->markers[i]);
    struct deffile_sec cols = *sec;
    for (size_t k = 0; k < sec->nkv; k++)
        if (strcmp(sec->kv[k].key, "form") != 0) bad += parse_source(r, df, &cols, &sec->kv[k], d);
    if (bad) return bad;
    for (size_t j = 0; j < rf->ncols; j++) {
        struct source *s = &r->src[j];
        int pj = form_col_index(p->form, rf->cols[j].name);
        if (s->kind == SRC_NONE && pj >= 0 &&
            (p->src[pj].kind == SRC_TITLE || p->src[pj].kind == SRC_CONST ||
             p->src[pj].kind == SRC_TASK_LABEL)) {
            s->kind = SRC_PARENT;
            s->parent_j = pj;
            s->field = s->total_field = -1;
            s->line = p->src[pj].line;
        }
        if ((rf->cols[j].flags & COL_REQUIRED) && s->kind == SRC_NONE && !rf->cols[j].deflt) {
            soko_diag_add(d, df->path, sec->line, 0, _("[reference]: form %s needs column '%s'; "
                          "expected a line '%s = ...' here, or its value in the [title] of the "
                          "layout"), rf->name, rf->cols[j].name, rf->cols[j].name);
            bad++;
        }
        if (s->kind == SRC_MAP && s->nmap == 0) {
            soko_diag_add(d, df->path, s->line, 0, _("[reference]: column '%s' = map: a reference "
                          "row's values cannot be mapped; expected a column or level COLUMN"),
                          rf->cols[j].name);
            bad++;
        }
    }
    if (!bad && r->src[lj].kind != SRC_LEVEL) {
        soko_diag_add(d, df->path, r->src[lj].line ? r->src[lj].line : sec->line, 0,
                      _("[reference]: level must be 'level COLUMN' (the column that labels the "
                      "rows: «Вся выборка», the region, the municipality)"));
        bad++;
    }
    return bad;
}

/* The comma-separated values of a [layout] key, as a copy (NULL and 0 without it). */
static char **key_list(const struct deffile_sec *head, const char *key, size_t *n)
{
    const char *v = deffile_get(head, key, NULL);
    *n = 0;
    if (!v) return NULL;
    int k;
    char **items = deffile_list(v, &k);
    char **out = xcalloc((size_t)k + 1, sizeof *out);
    for (int i = 0; i < k; i++) out[(*n)++] = xstrdup(items[i]);
    deffile_list_free(items);
    return out;
}

/* Reads the layout file into p; returns the number of problems reported. */
static size_t layout_parse(struct layout *p, const struct deffile *df, struct soko_diag *d)
{
    size_t bad = 0;
    const struct deffile_sec *head = NULL;
    for (size_t i = 0; i < df->nsec; i++) {
        const char *n = df->sec[i].name;
        if (strcmp(n, "layout") == 0 || strcmp(n, "profile") == 0) {
            if (head) {
                soko_diag_add(d, df->path, df->sec[i].line, 0, _("[%s]: a second header section "
                              "(first [%s] on line %ld); expected one [layout]"), n, head->name,
                              head->line);
                bad++;
            }
            head = &df->sec[i];
        } else if (strcmp(n, "columns") != 0 && strcmp(n, "title") != 0 &&
                   strncmp(n, "map ", 4) != 0 && strcmp(n, "reference") != 0) {
            soko_diag_add(d, df->path, df->sec[i].line, 0,
                          _("unknown section [%s]; expected [layout], [columns], [title], "
                          "[map COLUMN] or [reference]"), n);
            bad++;
        }
    }
    if (!head) {
        soko_diag_add(d, df->path, 0, 0, _("no [layout] section; expected [layout] with form = "
                                         "NAME (e.g. form = vpr)"));
        return bad + 1;
    }
    const struct deffile_key *const ht[] = {layout_keys, NULL};
    size_t typed = deffile_check(df, head, ht, d);
    bad += typed;
    const struct deffile_kv *fk = deffile_kv(head, "form");
    if (fk) {
        p->form = form_find(fk->value);
        p->form_line = fk->line;
        if (!p->form || (p->form->kind == FORM_INTERNAL && !form_layout_only(p->form))) {
            deffile_bad(d, df, head, fk, NULL, "one of schools, clusters, context, vpr, "
                                              "vpr_students, oge, ege, ege_students, rdr, "
                                              "olympiad, admissions (a form a layout can "
                                              "import)");
            p->form = NULL;
            bad++;
        }
    }
    if (typed) return bad;
    p->keep_first = deffile_choice(head, "duplicates", dup_choices, 0) == 1;
    if (p->form && form_layout_only(p->form) &&
        deffile_choice(head, "scores", scores_choices, 0) != 1) {
        deffile_bad(d, df, head, fk, NULL, "a form a layout can import; %s is written from a "
                    "report of its own only with scores = columns", p->form->name);
        p->form = NULL;
        bad++;
    }
    p->pct_tolerance = deffile_real(head, "percent_tolerance", 0.05);
    p->header_rows = (long)deffile_real(head, "header_rows", 1);
    p->all_sheets = deffile_choice(head, "sheets", sheets_choices, 0) == 1;
    p->tasks_auto = deffile_choice(head, "tasks", tasks_choices, 0) == 1;
    p->tasks_columns = deffile_choice(head, "tasks", tasks_choices, 0) == 2;
    p->scores_columns = deffile_choice(head, "scores", scores_choices, 0) == 1;
    p->requires = key_list(head, "requires", &p->nrequires);
    const struct deffile_kv *bk = deffile_kv(head, "blocks");
    if (bk && (p->all_sheets || deffile_kv(head, "wide") || p->tasks_auto || p->tasks_columns ||
               p->scores_columns)) {
        deffile_bad(d, df, head, bk, NULL, "a column of the source, in a layout of one sheet "
                    "without wide, tasks or scores");
        bad++;
    } else if (bk) {
        p->block_col = xstrdup(bk->value);
        p->block_field = -1;
    }
    const char *desc = deffile_get(head, "description", NULL);
    if (desc) p->description = xstrdup(desc);
    const struct deffile_kv *wk = deffile_kv(head, "wide");
    if (wk && p->form) {
        p->wide_j = form_col_index(p->form, wk->value);
        if (p->wide_j < 0 || p->header_rows < 2) {
            deffile_bad(d, df, head, wk, NULL, "a column of form %s, with header_rows = 2 or 3 "
                        "(the groups' names above their columns)", p->form->name);
            p->wide_j = -1;
            bad++;
        } else {
            p->src[p->wide_j].kind = SRC_GROUP;
            p->src[p->wide_j].line = wk->line;
            p->src[p->wide_j].field = p->src[p->wide_j].total_field = -1;
        }
    }
    p->markers = key_list(head, "suppressed", &p->nmarkers);
    for (size_t i = 0; i < head->nkv; i++) {
        const struct deffile_kv *kv = &head->kv[i];
        if (strcmp(kv->key, "skip") != 0) continue;
        const char *eq = strchr(kv->value, '=');
        char *col = eq ? str_trim(xstrndup(kv->value, (size_t)(eq - kv->value))) : NULL;
        if (!eq || !*col) {
            deffile_bad(d, df, head, kv, NULL, "'COLUMN = VALUE' with a source column name");
            free(col);
            bad++;
            continue;
        }
        p->skips = xrealloc(p->skips, (p->nskips + 1) * sizeof *p->skips);
        struct skip *sk = &p->skips[p->nskips++];
        sk->column = col;
        sk->value = trimmed(eq + 1);
        sk->field = -1;
    }
    for (size_t i = 0; i < head->nkv; i++) {
        const struct deffile_kv *kv = &head->kv[i];
        if (strcmp(kv->key, "absent") != 0) continue;
        const char *eq = strchr(kv->value, '=');
        char *col = eq ? str_trim(xstrndup(kv->value, (size_t)(eq - kv->value))) : NULL;
        int n = 0;
        char **items = eq ? deffile_list(eq + 1, &n) : NULL;
        if (!eq || !*col || n < 1) {
            deffile_bad(d, df, head, kv, NULL, "'COLUMN = VALUE, VALUE...' with a source column");
            free(col);
            deffile_list_free(items);
            bad++;
            continue;
        }
        p->absents = xrealloc(p->absents, (p->nabsents + 1) * sizeof *p->absents);
        struct absent *a = &p->absents[p->nabsents++];
        a->column = col;
        a->values = xcalloc((size_t)n, sizeof *a->values);
        a->nvalues = (size_t)n;
        for (int k = 0; k < n; k++) a->values[k] = xstrdup(items[k]);
        a->field = -1;
        deffile_list_free(items);
    }
    if (!p->form) return bad;
    const struct deffile_key *const ct[] = {column_keys, NULL}, *const mt[] = {map_keys, NULL},
                                    *const tt[] = {title_keys, NULL};
    for (size_t i = 0; i < df->nsec; i++) {
        const struct deffile_sec *sec = &df->sec[i];
        if (strcmp(sec->name, "columns") == 0) {
            size_t t = deffile_check(df, sec, ct, d);
            bad += t;
            for (size_t k = 0; k < sec->nkv && !t; k++) bad += parse_source(p, df, sec, &sec->kv[k], d);
        } else if (strcmp(sec->name, "title") == 0) {
            size_t t = deffile_check(df, sec, tt, d);
            bad += t;
            for (size_t k = 0; k < sec->nkv && !t; k++) {
                const struct deffile_kv *kv = &sec->kv[k];
                int j = form_col_index(p->form, kv->key);
                if (j < 0) {
                    soko_diag_add(d, df->path, kv->line, 0, _("[title]: %s: unknown key; expected "
                                  "a column of form %s"), kv->key, p->form->name);
                    bad++;
                    continue;
                }
                struct source *src = &p->src[j];
                if (src->kind != SRC_NONE) {
                    soko_diag_add(d, df->path, kv->line, 0, _("[title]: %s: the column has a "
                                  "source in [columns] too (line %ld); expected one source"),
                                  kv->key, src->line);
                    bad++;
                    continue;
                }
                src->kind = SRC_TITLE;
                src->line = kv->line;
                src->field = src->total_field = -1;
                src->pattern = xstrdup(kv->value);
                char *folded = xstrdup(kv->value);
                layout_fold(folded);
                int e = regcomp(&src->re, folded, REG_EXTENDED);
                free(folded);
                if (e) {
                    char why[256];
                    regerror(e, &src->re, why, sizeof why);
                    deffile_bad(d, df, sec, kv, NULL, "a regular expression (POSIX extended): %s",
                                why);
                    bad++;
                    continue;
                }
                src->has_re = 1;
            }
        } else if (strncmp(sec->name, "map ", 4) == 0) {
            const char *col = sec->name + 4;
            int j = form_col_index(p->form, col);
            if (j < 0) {
                soko_diag_add(d, df->path, sec->line, 0, _("[%s]: '%s' is not a column of form %s"),
                              sec->name, col, p->form->name);
                bad++;
                continue;
            }
            size_t t = deffile_check(df, sec, mt, d);
            bad += t;
            struct source *s = &p->src[j];
            for (size_t k = 0; k < sec->nkv && !t; k++) {
                s->map = xrealloc(s->map, (s->nmap + 1) * sizeof *s->map);
                s->map[s->nmap].from = xstrdup(sec->kv[k].key);
                s->map[s->nmap].to = xstrdup(sec->kv[k].value);
                s->nmap++;
            }
        }
    }
    for (size_t i = 0; i < df->nsec && !bad; i++)
        if (strcmp(df->sec[i].name, "reference") == 0) bad += parse_reference(p, df, &df->sec[i], d);
    return bad;
}

int layout_load(const char *spec, const char *search, struct layout **out,
                 struct soko_diag *d)
{
    *out = NULL;
    char *path = NULL;
    if (strchr(spec, '/') || (strlen(spec) > 4 && strcmp(spec + strlen(spec) - 4, ".ini") == 0))
        path = xstrdup(spec);
    else {
        const char *q = search ? search : "";
        while (*q && !path) {
            size_t n = strcspn(q, ":");
            char *cand = xasprintf("%.*s/%s.ini", (int)n, q, spec);
            FILE *f = fopen(cand, "r");
            if (f) {
                fclose(f);
                path = cand;
            } else
                free(cand);
            q += n;
            if (*q) q++;
        }
        if (!path) {
            soko_diag_add(d, NULL, 0, 0, _("no layout named '%s' in %s; expected a file NAME.ini "
                                         "there, or a path"), spec, search ? search : "(nowhere)");
            return SOKO_ECONFIG;
        }
    }
    struct deffile df;
    int rc = deffile_read_opts(path, DEFFILE_REPEATS, &df, d);
    if (rc == SOKO_EIO) {
        deffile_free(&df);
        free(path);
        return SOKO_EIO;
    }
    struct layout *p = xcalloc(1, sizeof *p);
    p->path = path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    p->name = xstrndup(base, bl > 4 && strcmp(base + bl - 4, ".ini") == 0 ? bl - 4 : bl);
    p->file = path;
    p->d = d;
    p->pct_tolerance = 0.05;
    p->wide_j = -1;
    p->bad = rc != SOKO_OK;
    if (!p->bad && layout_parse(p, &df, d)) p->bad = 1;
    deffile_free(&df);
    if (!p->bad) {
        for (size_t j = 0; j < p->form->ncols; j++) {
            const struct form_col *c = &p->form->cols[j];
            struct source *s = &p->src[j];
            if ((c->flags & COL_REQUIRED) && s->kind == SRC_NONE && !c->deflt)
                perr(p, "form %s needs column '%s'; expected a line '%s = ...' in [columns]",
                     p->form->name, c->name, c->name);
            if (s->kind == SRC_MAP && s->nmap == 0)
                perr(p, "column '%s' = map: expected a section [map %s] with 'source = value' lines",
                     c->name, c->name);
        }
    }
    if (!p->bad && sha256_file(path, p->sha256, d) != SOKO_OK) p->bad = 1;
    if (p->bad) {
        layout_free(p);
        return SOKO_ECONFIG;
    }
    *out = p;
    return SOKO_OK;
}

/* ------------------------------------------------------------- applying */

/* Headers as exports spell them: case, ё/е, spaces, quotes, punctuation and Latin
 * look-alikes aside (form_header_key). An exact match (ignoring case) wins over a
 * loose one, so that two headers of one key are still told apart. */
static int loose_eq(const char *a, const char *b)
{
    struct sbuf ka = SBUF_INIT, kb = SBUF_INIT;
    form_header_key(a, &ka);
    form_header_key(b, &kb);
    int eq = *ka.s && strcmp(ka.s, kb.s) == 0;
    sbuf_free(&ka);
    sbuf_free(&kb);
    return eq;
}

static int find_field(char *const *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        char *h = trimmed(fields[i]);
        int eq = utf8_casecmp(h, name) == 0;
        free(h);
        if (eq) return (int)i;
    }
    for (size_t i = 0; i < n; i++)
        if (loose_eq(fields[i], name)) return (int)i;
    return -1;
}

int layout_header_cell(const struct layout *p, const char *text)
{
    for (size_t j = 0; j < p->form->ncols; j++) {
        const struct source *s = &p->src[j];
        if ((s->column && loose_eq(text, s->column)) || (s->total && loose_eq(text, s->total)))
            return 1;
    }
    for (size_t i = 0; i < p->nskips; i++)
        if (loose_eq(text, p->skips[i].column)) return 1;
    return p->block_col && loose_eq(text, p->block_col);
}

static void bind_tasks(struct layout *p, char *const *fields, size_t n);
static void bind_scores(struct layout *p, char *const *fields, size_t n, const char *file,
                        long line, struct soko_diag *d);

int layout_bind_header(struct layout *p, char *const *fields, size_t n, const char *file,
                        long line, struct soko_diag *d)
{
    size_t errs = d->total;
    for (size_t j = 0; j < p->form->ncols; j++) {
        struct source *s = &p->src[j];
        if (s->column && (s->field = find_field(fields, n, s->column)) < 0)
            soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, for %s); expected it "
                                            "in the header"), s->column, p->name,
                          p->form->cols[j].name);
        if (s->total && (s->total_field = find_field(fields, n, s->total)) < 0)
            soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, the total of %s); "
                                            "expected it in the header"), s->total, p->name,
                          p->form->cols[j].name);
    }
    for (size_t i = 0; i < p->nskips; i++)
        if ((p->skips[i].field = find_field(fields, n, p->skips[i].column)) < 0)
            soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, skip); expected it in "
                                            "the header"), p->skips[i].column, p->name);
    for (size_t i = 0; i < p->nabsents; i++)
        if ((p->absents[i].field = find_field(fields, n, p->absents[i].column)) < 0)
            soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, absent); expected it in "
                                            "the header"), p->absents[i].column, p->name);
    bind_tasks(p, fields, n);
    bind_scores(p, fields, n, file, line, d);
    for (size_t i = 0; i < p->nrequires; i++)
        if (find_field(fields, n, p->requires[i]) < 0)
            soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, requires); expected it "
                                            "in the header"), p->requires[i], p->name);
    if (p->block_col && (p->block_field = find_field(fields, n, p->block_col)) < 0)
        soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, blocks); expected it in "
                                        "the header"), p->block_col, p->name);
    free(p->block_label);
    p->block_label = NULL;
    if (p->tasks_columns && !p->ntasks)
        soko_diag_add(d, file, line, 0, _("no task column in the header (layout %s, tasks = "
                      "columns); expected columns headed by the tasks' numbers: 1, 2, 9(1), 2К1 "
                      "or «9.1 (2б)»"), p->name);
    if (p->ref) {
        p->ref->seen_region = p->ref->seen_district = 0;
        free(p->ref->last_label);
        p->ref->last_label = NULL;
        layout_bind_header(p->ref, fields, n, file, line, d);
    }
    return d->total == errs ? SOKO_OK : SOKO_EINPUT;
}

struct layout *layout_reference(const struct layout *p) { return p->ref; }

long layout_header_rows(const struct layout *p) { return p->header_rows; }

/* A task's header as ФИС ОКО writes it: «1 (1б)», «9.1 (2б)», «2К1 (3б)», «5(1) (1б)» —
 * the label, then the maximum in parentheses with «б». Returns the maximum (> 0) and
 * the label in *label (caller frees), or 0. */
int layout_task_header(const char *h, char **label)
{
    char *t = str_trim(xstrdup(h));
    size_t n = strlen(t);
    int max = 0;
    /* "...(" digits [space] "б)" ; б is D0 B1 */
    if (n > 5 && t[n - 1] == ')' && (unsigned char)t[n - 3] == 0xD0 &&
        (unsigned char)t[n - 2] == 0xB1) {
        size_t e = n - 3, b = e;
        while (b > 0 && t[b - 1] == ' ') b--;
        size_t d = b;
        while (d > 0 && t[d - 1] >= '0' && t[d - 1] <= '9') d--;
        if (d < b && d > 0 && t[d - 1] == '(' && b - d <= 3) {
            max = atoi(t + d);
            t[d - 1] = '\0';
            str_trim(t);
            if (!*t || max <= 0) max = 0;
        }
    }
    if (max) *label = t;
    else free(t);
    return max;
}

size_t layout_tasks(const struct layout *p) { return p->ntasks; }

const char *layout_task(const struct layout *p, size_t k, int *max, int *field)
{
    *max = p->task[k].max;
    *field = p->task[k].field;
    return p->task[k].label;
}

/* tasks = columns: a header that is a task's label, bare («1», «9(1)», «2К1») or with
 * its maximum («9.1 (2б)»), or ends in one after a super-header's text («Выполнение
 * заданий 9(1)»). Returns the maximum (0 when not given) and the label, or -1. */
static int task_column(const char *h, char **label)
{
    for (const char *q = h; q;) {
        while (*q == ' ') q++;
        int max = layout_task_header(q, label);
        if (max > 0) return max;
        char *t = str_trim(xstrdup(q)), why[128];
        char *norm = xstrdup(t);
        if (*t && form_task_label(norm, why, sizeof why) == 0) {
            free(norm);
            *label = t;
            return 0;
        }
        free(norm);
        free(t);
        q = strchr(q, ' ');
    }
    return -1;
}

/* Source field i is read by a source or a skip rule (after the header is bound): not a
 * task's or a score's column. */
static int field_named(const struct layout *p, size_t i)
{
    for (size_t j = 0; j < p->form->ncols; j++)
        if (p->src[j].kind != SRC_NONE &&
            (p->src[j].field == (int)i || p->src[j].total_field == (int)i))
            return 1;
    for (size_t k = 0; k < p->nskips; k++)
        if (p->skips[k].field == (int)i) return 1;
    return 0;
}

/* scores = columns: the columns that no source names and whose header is a primary
 * score, bare («0», «12») or after a super-header's text («Распределение первичных
 * баллов 12»). */
static void bind_scores(struct layout *p, char *const *fields, size_t n, const char *file,
                        long line, struct soko_diag *d)
{
    free(p->score);
    p->score = NULL;
    p->nscores = 0;
    if (!p->scores_columns) return;
    for (size_t i = 0; i < n; i++) {
        if (field_named(p, i)) continue;
        const char *h = strrchr(fields[i], ' ');
        h = h ? h + 1 : fields[i];
        while (*h == ' ') h++;
        size_t k = strspn(h, "0123456789");
        if (!k || k > 3 || h[k]) continue;
        int sc = atoi(h);
        for (size_t q = 0; q < p->nscores; q++)
            if (p->score[q].score == sc) {
                char l1[8], l2[8];
                soko_diag_add(d, file, line, (long)i + 1, _("columns %s and %s are both headed by "
                              "the primary score %d (layout %s, scores = columns); expected "
                              "each score once"), col_letters(p->score[q].field + 1, l1),
                              col_letters((long)i + 1, l2), sc, p->name);
                break;
            }
        p->score = xrealloc(p->score, (p->nscores + 1) * sizeof *p->score);
        p->score[p->nscores++] = (struct score_col){sc, (int)i};
    }
    if (!p->nscores) {
        soko_diag_add(d, file, line, 0, _("no column of a primary score in the header (layout "
                      "%s, scores = columns); expected columns headed 0, 1, 2, ..."), p->name);
        return;
    }
    /* a histogram has every score from 0 up: «2»…«5» of the marks are not one */
    int *seen = xcalloc(p->nscores, sizeof *seen), gap = 0;
    for (size_t q = 0; q < p->nscores; q++)
        if ((size_t)p->score[q].score < p->nscores) seen[p->score[q].score] = 1;
    for (size_t q = 0; q < p->nscores; q++) gap |= !seen[q];
    free(seen);
    if (gap) {
        struct sbuf b = SBUF_INIT;
        for (size_t q = 0; q < p->nscores && q < 12; q++)
            sbuf_printf(&b, "%s%d", q ? ", " : "", p->score[q].score);
        if (p->nscores > 12) sbuf_adds(&b, ", ...");
        soko_diag_add(d, file, line, p->score[0].field + 1, _("the columns of primary scores are "
                      "headed %s (layout %s, scores = columns); expected every score from 0 up: "
                      "0, 1, 2, ..."), b.s, p->name);
        sbuf_free(&b);
    }
}

/* tasks = auto: the header's task columns, after the others are bound; tasks =
 * columns: those of its columns that no source names and that are headed by a task. */
static void bind_tasks(struct layout *p, char *const *fields, size_t n)
{
    for (size_t k = 0; k < p->ntasks; k++) free(p->task[k].label);
    free(p->task);
    p->task = NULL;
    p->ntasks = 0;
    p->cur_task = 0;
    if (!p->tasks_auto && !p->tasks_columns) return;
    for (size_t i = 0; i < n; i++) {
        char *label = NULL;
        int max;
        if (p->tasks_auto) {
            if (!(max = layout_task_header(fields[i], &label))) continue;
        } else {
            if (field_named(p, i) || (max = task_column(fields[i], &label)) < 0) continue;
        }
        p->task = xrealloc(p->task, (p->ntasks + 1) * sizeof *p->task);
        p->task[p->ntasks++] = (struct task_col){label, max, (int)i};
    }
}

int layout_is_wide(const struct layout *p) { return p->wide_j >= 0; }
size_t layout_groups(const struct layout *p)
{
    return p->tasks_columns ? p->ntasks : p->wide_j >= 0 ? p->ngroups : 0;
}

/* tasks = columns: task column g is the row's task; its cell the `task value`. */
static void select_task(struct layout *p, size_t g)
{
    p->cur_task = g;
    for (struct layout *l = p; l; l = l == p ? p->ref : NULL)
        for (size_t j = 0; j < l->form->ncols; j++)
            if (l->src[j].kind == SRC_TASK_VALUE) l->src[j].field = p->task[g].field;
}

/* A column under a group's name: its top and bottom texts differ. */
static int in_group(const char *top, const char *bot)
{
    return *top && *bot && strcmp(top, bot) != 0;
}

int layout_bind_wide(struct layout *p, char *const *fields, char *const *tops,
                     char *const *bots, size_t n, const char *file, long line,
                     struct soko_diag *d)
{
    size_t errs = d->total;
    for (size_t g = 0; g < p->ngroups; g++) free(p->gname[g]);
    free(p->gname);
    free(p->gfield);
    free(p->gtotal);
    p->ngroups = 0;
    p->gname = NULL;
    p->gfield = p->gtotal = NULL;
    size_t *gstart = xcalloc(n ? n : 1, sizeof *gstart);
    for (size_t i = 0; i < n; i++) {
        if (!in_group(tops[i], bots[i])) continue;
        if (p->ngroups && strcmp(p->gname[p->ngroups - 1], tops[i]) == 0 &&
            in_group(tops[i - 1], bots[i - 1]))
            continue;
        p->gname = xrealloc(p->gname, (p->ngroups + 1) * sizeof *p->gname);
        gstart[p->ngroups] = i;
        p->gname[p->ngroups++] = xstrdup(tops[i]);
    }
    p->gfield = xcalloc(p->ngroups ? p->ngroups : 1, sizeof *p->gfield);
    p->gtotal = xcalloc(p->ngroups ? p->ngroups : 1, sizeof *p->gtotal);
    /* the shared columns: the header outside the groups */
    char **shared = xcalloc(n ? n : 1, sizeof *shared);
    for (size_t i = 0; i < n; i++) shared[i] = in_group(tops[i], bots[i]) ? (char *)"" : fields[i];
    for (size_t j = 0; j < p->form->ncols; j++) {
        struct source *s = &p->src[j];
        p->measure[j] = 0;
        const char *names[2] = {s->column, s->total};
        for (int t = 0; t < 2; t++) {
            if (!names[t]) continue;
            int f = find_field(shared, n, names[t]), any = 0;
            for (size_t g = 0; g < p->ngroups; g++) {
                int gf = f;
                if (f < 0) {
                    gf = -1;
                    for (size_t i = gstart[g]; i < n && gf < 0; i++) {
                        if (!in_group(tops[i], bots[i]) || strcmp(tops[i], p->gname[g]) != 0) break;
                        if (loose_eq(bots[i], names[t]) || utf8_casecmp(bots[i], names[t]) == 0)
                            gf = (int)i;
                    }
                    any |= gf >= 0;
                }
                (t ? p->gtotal : p->gfield)[g][j] = gf;
            }
            if (f < 0) p->measure[j] = 1;
            if (f < 0 && !any)
                soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, for %s) under any "
                              "group nor beside them; expected it in the header"), names[t],
                              p->name, p->form->cols[j].name);
            if (t) s->total_field = f;
            else s->field = f;
        }
    }
    if (!p->ngroups)
        soko_diag_add(d, file, line, 0, _("no group of columns under a name in the header's top "
                      "row (layout %s, wide = %s); expected names such as subjects over their "
                      "columns"), p->name, p->form->cols[p->wide_j].name);
    for (size_t i = 0; i < p->nskips; i++)
        if ((p->skips[i].field = find_field(shared, n, p->skips[i].column)) < 0)
            soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, skip); expected it in "
                                            "the header"), p->skips[i].column, p->name);
    for (size_t i = 0; i < p->nabsents; i++)
        if ((p->absents[i].field = find_field(shared, n, p->absents[i].column)) < 0)
            soko_diag_add(d, file, line, 0, _("no column '%s' (layout %s, absent); expected it in "
                                            "the header"), p->absents[i].column, p->name);
    free(p->gcol);
    p->gcol = xcalloc(p->ngroups ? p->ngroups : 1, sizeof *p->gcol);
    for (size_t g = 0; g < p->ngroups; g++) p->gcol[g] = (long)gstart[g] + 1;
    free(shared);
    free(gstart);
    return d->total == errs ? SOKO_OK : SOKO_EINPUT;
}

static int is_marker(const struct layout *p, const char *v);

void layout_select_group(struct layout *p, size_t g)
{
    if (p->tasks_columns) {
        select_task(p, g);
        return;
    }
    for (size_t j = 0; j < p->form->ncols; j++) {
        struct source *s = &p->src[j];
        if (!p->measure[j]) continue;
        if (s->column) s->field = p->gfield[g][j];
        if (s->total) s->total_field = p->gtotal[g][j];
    }
    struct source *w = &p->src[p->wide_j];
    free(w->found);
    w->found = xstrdup(p->gname[g]);
    w->field_hint = p->gcol[g];
}

int layout_group_empty(const struct layout *p, char *const *fields, size_t n)
{
    if (p->tasks_columns) {
        int f = p->task[p->cur_task].field;
        if ((size_t)f >= n) return 1;
        char *v = trimmed(fields[f]);
        int none = !*v || is_marker(p, v);
        free(v);
        return none;
    }
    for (size_t j = 0; j < p->form->ncols; j++) {
        const struct source *s = &p->src[j];
        if (!p->measure[j]) continue;
        int f[2] = {s->column ? s->field : -1, s->total ? s->total_field : -1};
        for (int t = 0; t < 2; t++) {
            if (f[t] < 0 || (size_t)f[t] >= n) continue;
            char *v = trimmed(fields[f[t]]);
            int none = !*v || is_marker(p, v);
            free(v);
            if (!none) return 0;
        }
    }
    return 1;
}

int layout_all_sheets(const struct layout *p) { return p->all_sheets; }

const char *layout_description(const struct layout *p) { return p->description; }

/* The value v maps to in the source's [map COLUMN] (case aside), or NULL. */
static const char *map_find(const struct source *s, const char *v)
{
    for (size_t k = 0; k < s->nmap; k++)
        if (utf8_casecmp(v, s->map[k].from) == 0) return s->map[k].to;
    return NULL;
}

/* v as stored: mapped where the source's map has it, else as it is. */
static const char *map_or_self(const struct source *s, const char *v)
{
    const char *m = map_find(s, v);
    return m ? m : v;
}

void layout_title_values(const struct layout *p, struct sbuf *out)
{
    for (size_t j = 0; j < p->form->ncols; j++) {
        const struct source *s = &p->src[j];
        if (s->kind != SRC_TITLE || !s->found) continue;
        sbuf_printf(out, "%s%s", out->len ? ", " : "", map_or_self(s, s->found));
    }
}

int layout_counted(const struct layout *p, size_t j)
{
    return j < p->form->ncols && p->src[j].kind == SRC_COUNT;
}

int layout_aggregates(const struct layout *p)
{
    for (size_t j = 0; j < p->form->ncols; j++)
        if (p->src[j].kind == SRC_COUNT) return 1;
    return 0;
}

int layout_is_login(const struct layout *p, size_t j)
{
    return j < p->form->ncols && p->src[j].kind == SRC_LOGIN;
}

int layout_set_titles(struct layout *p, char *const *lines, const long *line_nos, size_t n,
                      const char *file, struct soko_diag *d)
{
    size_t errs = d->total;
    for (size_t j = 0; j < p->form->ncols; j++) {
        struct source *s = &p->src[j];
        if (s->kind != SRC_TITLE) continue;
        free(s->found);
        s->found = NULL;
        for (size_t i = 0; i < n && !s->found; i++) {
            char *folded = xstrdup(lines[i]);
            layout_fold(folded);
            regmatch_t m[10];
            if (regexec(&s->re, folded, 10, m, 0) == 0) {
                int k = 9;                   /* the last group that matched, or the match */
                while (k > 0 && m[k].rm_so < 0) k--;
                regmatch_t g = m[k];
                s->found = str_trim(xstrndup(lines[i] + g.rm_so, (size_t)(g.rm_eo - g.rm_so)));
                s->found_line = line_nos[i];
            }
            free(folded);
        }
        if (!s->found) {
            struct sbuf b = SBUF_INIT;
            for (size_t i = 0; i < n && i < 5; i++) {
                size_t k = strlen(lines[i]);
                if (k > 60) {
                    k = 60;
                    while (k > 0 && ((unsigned char)lines[i][k] & 0xC0) == 0x80) k--;
                }
                sbuf_printf(&b, "%s«%.*s%s»", i ? ", " : "", (int)k, lines[i],
                            lines[i][k] ? "..." : "");
            }
            if (!n) sbuf_adds(&b, _("none"));
            soko_diag_add(d, file, 0, 0, _("no title row holds the %s (layout %s, [title] %s = %s); "
                          "the rows above the header, then the sheet's and the file's names, "
                          "are: %s; expected a title that the pattern matches, or --layout of "
                          "another export"), p->form->cols[j].name,
                          p->name, p->form->cols[j].name, s->pattern, b.s);
            sbuf_free(&b);
        }
    }
    return d->total == errs ? SOKO_OK : SOKO_EINPUT;
}

int layout_has_titles(const struct layout *p)
{
    for (size_t j = 0; j < p->form->ncols; j++)
        if (p->src[j].kind == SRC_TITLE) return 1;
    return 0;
}

/* A ФИС ОКО login in v ("edu990109", "(edu990109) ГБОУ ...", "sch220017 | Name"):
 * edu or sch (any case) and digits, at a word's start. Returns its length, *at its
 * offset; 0 when there is none. */
static size_t find_login(const char *v, size_t *at)
{
    for (const char *q = v; *q; q++) {
        if (q > v && ((q[-1] >= 'a' && q[-1] <= 'z') || (q[-1] >= 'A' && q[-1] <= 'Z') ||
                      (q[-1] >= '0' && q[-1] <= '9')))
            continue;
        if (strncasecmp(q, "edu", 3) != 0 && strncasecmp(q, "sch", 3) != 0) continue;
        size_t k = strspn(q + 3, "0123456789");
        if (k == 0) continue;
        char next = q[3 + k];
        if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || next == '_') continue;
        *at = (size_t)(q - v);
        return 3 + k;
    }
    return 0;
}

/* level COLUMN: the level of a reference row by its label. «Вся выборка» (Россия, РФ)
 * is the country; a ФИС ОКО code «reg22» the region and «reg22_m019» the municipality;
 * otherwise the first other label of a file is the region and the next the
 * municipality, as the reports order them. A total («Итого», «Всего») or a label after
 * both is none: NULL. */
static const char *ref_level(struct layout *p, const char *label)
{
    static const char *const country[] = {"Вся выборка", "Россия", "РФ", "Российская Федерация",
                                          NULL};
    char *t = trimmed(label);
    if (p->last_label && strcmp(p->last_label, t) == 0) {
        free(t);
        return p->last_level;
    }
    const char *lev = NULL;
    for (size_t i = 0; country[i] && !lev; i++)
        if (loose_eq(t, country[i])) lev = "russia";
    if (!lev && strncasecmp(t, "reg", 3) == 0 && t[3] >= '0' && t[3] <= '9') {
        size_t k = 3 + strspn(t + 3, "0123456789");
        lev = t[k] == '_' ? "district" : "region";
    }
    if (!lev) {
        char *f = xstrdup(t);
        layout_fold(f);
        int total = strncmp(f, "итого", strlen("итого")) == 0 ||
                    strncmp(f, "всего", strlen("всего")) == 0 ||
                    strncmp(f, "макс", strlen("макс")) == 0;   /* the tasks' maximum */
        free(f);
        if (!total && !p->seen_region && !p->seen_district) lev = "region";
        else if (!total && !p->seen_district) lev = "district";
    }
    if (lev && strcmp(lev, "region") == 0) p->seen_region = 1;
    if (lev && strcmp(lev, "district") == 0) p->seen_district = p->seen_region = 1;
    free(p->last_label);
    p->last_label = t;
    p->last_level = lev;
    return lev;
}

/* label COLUMN: a reference row's name without its ФИС ОКО code («reg22_m019 | г.
 * Барнаул» → «г. Барнаул»). */
static void ref_label(const char *v, struct sbuf *out)
{
    char *t = trimmed(v);
    const char *bar = strchr(t, '|');
    if (bar && strncasecmp(t, "reg", 3) == 0) {
        char *rest = trimmed(bar + 1);
        sbuf_adds(out, rest);
        free(rest);
    } else
        sbuf_adds(out, t);
    free(t);
}

static int is_marker(const struct layout *p, const char *v)
{
    char *t = trimmed(v);
    int m = 0;
    for (size_t i = 0; i < p->nmarkers && !m; i++) m = utf8_casecmp(t, p->markers[i]) == 0;
    free(t);
    return m;
}

static int parse_num(const char *v, double *x)
{
    char buf[64];
    size_t o = 0;
    for (; *v && o + 1 < sizeof buf; v++)
        if (*v != ' ') buf[o++] = *v == ',' ? '.' : *v;
    buf[o] = '\0';
    char *end;
    errno = 0;
    *x = strtod(buf, &end);
    return o > 0 && !*end && !errno && *x == *x;
}

/* Shares share[0..n) (adding up to sum) of a whole total as whole counts that add up to
 * it: each its floor, then one more to the largest remainders (the first of equal
 * ones). */
static void apportion(const double *share, size_t n, double sum, double total, long *counts)
{
    double *rem = xcalloc(n ? n : 1, sizeof *rem);
    long given = 0;
    for (size_t k = 0; k < n; k++) {
        double exact = share[k] / sum * total;
        counts[k] = (long)floor(exact);
        rem[k] = exact - (double)counts[k];
        given += counts[k];
    }
    for (long left = (long)total - given; left > 0; left--) {
        size_t best = 0;
        for (size_t k = 1; k < n; k++)
            if (rem[k] > rem[best]) best = k;
        counts[best]++;
        rem[best] = -1;
    }
    free(rem);
}

/* tasks = columns: a row of the tasks' maximum scores («Макс балл», under the header)
 * gives each task column's maximum where the header does not («1», not «1 (1б)»): `task
 * max` is then that, and the store checks it against the plan. */
static void tasks_max_row(struct layout *p, const char *label, char *const *fields, size_t n)
{
    char *f = trimmed(label);
    layout_fold(f);
    int is_max = strncmp(f, "макс", strlen("макс")) == 0;
    free(f);
    for (size_t k = 0; is_max && k < p->ntasks; k++) {
        size_t fl = (size_t)p->task[k].field;
        char *v = trimmed(fl < n ? fields[fl] : "");
        size_t d = strspn(v, "0123456789");
        if (p->task[k].max <= 0 && d && d <= 3 && !v[d]) p->task[k].max = atoi(v);
        free(v);
    }
}

/* scores = columns: the histogram as a JSON array of counts, scores 0 to the highest
 * column (a score without a column: 0), from counts or from percentages of the total
 * (apportioned by largest remainders, so that they add up to it). An empty cell or a
 * marker is 0. Returns 0, or -1 after an error. */
static int score_list(const struct layout *p, const struct source *s, char *const *fields,
                      size_t n, struct sbuf *out, const char *file, long line, struct soko_diag *d)
{
    int top = 0;
    for (size_t q = 0; q < p->nscores; q++)
        if (p->score[q].score > top) top = p->score[q].score;
    double *x = xcalloc((size_t)top + 1, sizeof *x), sum = 0, total = 0;
    long *cnt = xcalloc((size_t)top + 1, sizeof *cnt);
    int bad = 0;
    for (size_t q = 0; q < p->nscores; q++) {
        int f = p->score[q].field;
        const char *v = (size_t)f < n ? fields[f] : "";
        char *t = trimmed(v);
        double y = 0;
        if (*t && !is_marker(p, t) &&
            (!parse_num(t, &y) || y < 0 || (s->total ? y > 100 : y != floor(y)))) {
            soko_diag_add(d, file, line, f + 1, s->total
                          ? _("the share of primary score %d: '%s' is not a percentage; expected "
                              "a number 0..100")
                          : _("the number with primary score %d: '%s' is not a whole number; "
                              "expected a count of participants"), p->score[q].score, t);
            bad = 1;
        }
        free(t);
        x[p->score[q].score] = y;
        sum += y;
    }
    if (!bad && s->total) {
        int tf = s->total_field;
        if (!parse_num(fields[tf], &total) || total < 0 || total != floor(total)) {
            soko_diag_add(d, file, line, tf + 1, _("%s: '%s' is not a whole number; expected the "
                          "total for the percentages"), s->total, fields[tf]);
            bad = 1;
        } else if (total > 0 && fabs(sum - 100.0) > p->pct_tolerance * (double)p->nscores + 1e-9) {
            soko_diag_add(d, file, line, p->score[0].field + 1,
                          _("the shares of the primary scores add up to %.2f; expected 100 within "
                            "rounding (±%.2f), so that the counts add up to %s = %.0f"), sum,
                          p->pct_tolerance * (double)p->nscores, s->total, total);
            bad = 1;
        } else if (total > 0)
            apportion(x, (size_t)top + 1, sum, total, cnt);
    } else if (!bad)
        for (int k = 0; k <= top; k++) cnt[k] = (long)x[k];
    if (!bad) {
        sbuf_addc(out, '[');
        for (int k = 0; k <= top; k++) sbuf_printf(out, "%s%ld", k ? "," : "", cnt[k]);
        sbuf_addc(out, ']');
    }
    free(x);
    free(cnt);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------- blocks */

int layout_blocks(const struct layout *p) { return p->block_col != NULL; }
int layout_block_pending(const struct layout *p) { return p->block_label != NULL; }
long layout_block_line(const struct layout *p) { return p->block_line; }

const char *layout_row_label(const struct layout *p, size_t j)
{
    return j < 32 && p->block_col && p->src[j].kind == SRC_ROW ? p->src[j].value : NULL;
}

long layout_cell_line(const struct layout *p, size_t j)
{
    return j < 32 && p->block_col && p->src[j].kind == SRC_ROW ? p->cap[j].line : 0;
}

static int is_blank_text(const char *v)
{
    return !v[strspn(v, " \t\r\n")];
}

/* A row of figures is labelled like a `row LABEL` (loosely, its start: «Понизили
 * (Отметка < Отметка по журналу)» is «Понизили»). */
static int row_label_is(const char *cell, const char *label)
{
    struct sbuf a = SBUF_INIT, b = SBUF_INIT;
    form_header_key(cell, &a);
    form_header_key(label, &b);
    int eq = b.len && strncmp(a.s, b.s, b.len) == 0;
    sbuf_free(&a);
    sbuf_free(&b);
    return eq;
}

int layout_block_is_label(const struct layout *p, char *const *fields, size_t n)
{
    if ((size_t)p->block_field >= n || is_blank_text(fields[p->block_field])) return 0;
    for (size_t j = 0; j < p->form->ncols; j++) {
        const struct source *s = &p->src[j];
        if (s->kind == SRC_ROW && (size_t)s->field < n && !is_blank_text(fields[s->field])) return 0;
    }
    return 1;
}

void layout_block_begin(struct layout *p, char *const *fields, size_t n, long line)
{
    free(p->block_label);
    p->block_label = trimmed((size_t)p->block_field < n ? fields[p->block_field] : "");
    p->block_line = line;
    for (size_t j = 0; j < 32; j++) {
        free(p->cap[j].text);
        p->cap[j].text = NULL;
        p->cap[j].line = 0;
    }
}

void layout_block_end(struct layout *p)
{
    free(p->block_label);
    p->block_label = NULL;
}

int layout_block_add(struct layout *p, char *const *fields, size_t n, long line, const char *file,
                     struct soko_diag *d)
{
    const char *lab = (size_t)p->block_field < n ? fields[p->block_field] : "";
    char *t = trimmed(lab);
    int hit = 0, rc = SOKO_OK;
    for (size_t j = 0; j < p->form->ncols && rc == SOKO_OK; j++) {
        const struct source *s = &p->src[j];
        if (s->kind != SRC_ROW || !row_label_is(t, s->value)) continue;
        hit = 1;
        if (!p->block_label) {
            soko_diag_add(d, file, line, p->block_field + 1, _("a row of figures («%s») before "
                          "the first block's label (layout %s, blocks = %s); expected a row with "
                          "the label alone first (a school, the region)"), t, p->name,
                          p->block_col);
            rc = SOKO_EINPUT;
        } else if (p->cap[j].text) {
            soko_diag_add(d, file, line, p->block_field + 1, _("the block «%s» (line %ld) has the "
                          "row «%s» twice (lines %ld and %ld); expected it once"), p->block_label,
                          p->block_line, s->value, p->cap[j].line, line);
            rc = SOKO_EINPUT;
        } else {
            p->cap[j].text = xstrdup((size_t)s->field < n ? fields[s->field] : "");
            p->cap[j].line = line;
        }
    }
    if (!hit && rc == SOKO_OK) {
        struct sbuf b = SBUF_INIT;
        for (size_t j = 0; j < p->form->ncols; j++)
            if (p->src[j].kind == SRC_ROW && !strstr(b.s ? b.s : "", p->src[j].value))
                sbuf_printf(&b, "%s«%s»", b.len ? ", " : "", p->src[j].value);
        soko_diag_add(d, file, line, p->block_field + 1, _("«%s» in the block «%s» (line %ld) is "
                      "none of the layout's rows (%s); expected one of them, or a new block's "
                      "label alone in its row"), t, p->block_label ? p->block_label : "",
                      p->block_line, b.s);
        sbuf_free(&b);
        rc = SOKO_EINPUT;
    }
    free(t);
    return rc;
}

int layout_is_scale(const struct layout *p, size_t j)
{
    return j < p->form->ncols && p->src[j].kind == SRC_SCALE;
}

enum layout_row layout_map_row(struct layout *p, char *const *fields, size_t n,
                                 const char **out, long *outcol, struct sbuf *scratch,
                                 const char *file, long line, struct soko_diag *d)
{
    const struct form *f = p->form;
    for (size_t i = 0; i < p->nskips; i++) {
        char *t = trimmed(fields[p->skips[i].field]);
        int eq = utf8_casecmp(t, p->skips[i].value) == 0;
        free(t);
        if (eq) return LAYOUT_SKIP;
    }
    for (size_t i = 0; i < p->nabsents; i++) {
        const struct absent *a = &p->absents[i];
        const char *v = (size_t)a->field < n ? fields[a->field] : "";
        for (size_t k = 0; k < a->nvalues; k++)
            if (loose_eq(v, a->values[k])) return LAYOUT_ABSENT;
    }
    /* a row labelled by something other than a school's login: the country, the
     * region, the municipality, a total */
    for (size_t j = 0; j < f->ncols; j++) {
        const struct source *s = &p->src[j];
        size_t at;
        const char *lv = s->from_block ? p->block_label : (size_t)s->field < n ? fields[s->field]
                                                                              : NULL;
        if (s->kind == SRC_LOGIN && lv && !find_login(lv, &at)) {
            if (p->tasks_columns) tasks_max_row(p, lv, fields, n);
            sbuf_reset(scratch);
            sbuf_adds(scratch, lv);
            out[0] = scratch->s;
            outcol[0] = (s->from_block ? p->block_field : s->field) + 1;
            return LAYOUT_NONSCHOOL;
        }
    }
    /* a block: each `row LABEL` must have been given */
    for (size_t j = 0; p->block_col && j < f->ncols; j++)
        if (p->src[j].kind == SRC_ROW && !p->cap[j].text) {
            soko_diag_add(d, file, line, p->block_field + 1, _("the block «%s» has no row «%s» "
                          "(layout %s, %s); expected it among the block's rows"),
                          p->block_label ? p->block_label : "", p->src[j].value, p->name,
                          f->cols[j].name);
            return LAYOUT_ERROR;
        }
    /* a reference row: its level from its label, or none (a total) */
    const char *level = NULL;
    for (size_t j = 0; j < f->ncols; j++) {
        const struct source *s = &p->src[j];
        if (s->kind == SRC_LEVEL && !(level = ref_level(p, (size_t)s->field < n ? fields[s->field]
                                                                                : "")))
            return LAYOUT_NONSCHOOL;
    }
    /* suppressed when a required column's source holds a marker */
    for (size_t j = 0; j < f->ncols; j++) {
        const struct source *s = &p->src[j];
        if (!(f->cols[j].flags & COL_REQUIRED) || s->kind == SRC_NONE || s->kind == SRC_CONST)
            continue;
        if ((s->kind == SRC_ROW && p->cap[j].text && is_marker(p, p->cap[j].text)) ||
            (s->kind != SRC_ROW && s->field >= 0 && (size_t)s->field < n &&
             is_marker(p, fields[s->field])) ||
            (s->total_field >= 0 && (size_t)s->total_field < n && is_marker(p, fields[s->total_field])))
            return LAYOUT_SUPPRESSED;
    }
    /* texts go to scratch one after another; offsets first, pointers after (it moves) */
    size_t off[32];
    sbuf_reset(scratch);
    size_t errs = d->total;
    for (size_t j = 0; j < f->ncols; j++) {
        const struct source *s = &p->src[j];
        off[j] = (size_t)-1;
        outcol[j] = s->kind != SRC_NONE && s->field >= 0 ? s->field + 1 : 0;
        if (s->from_block) outcol[j] = p->block_field + 1;
        if (s->kind == SRC_NONE) continue;
        const char *v = s->kind == SRC_ROW ? (p->cap[j].text ? p->cap[j].text : "")
                        : s->from_block ? p->block_label
                        : s->field >= 0 && (size_t)s->field < n ? fields[s->field] : "";
        if (s->kind != SRC_CONST && is_marker(p, v)) continue;     /* optional and suppressed: unknown */
        off[j] = scratch->len;
        switch (s->kind) {
        case SRC_CONST: sbuf_adds(scratch, s->value); break;
        case SRC_COLUMN: sbuf_adds(scratch, v); break;
        case SRC_TITLE:
        case SRC_GROUP:      /* a [map COLUMN] applies too */
            sbuf_adds(scratch, map_or_self(s, s->found ? s->found : ""));
            outcol[j] = s->kind == SRC_GROUP ? s->field_hint : 0;
            break;
        case SRC_LEVEL: sbuf_adds(scratch, level); break;
        case SRC_LABEL: ref_label(v, scratch); break;
        case SRC_TASK_LABEL: {
            const struct layout *t = p->parent ? p->parent : p;
            sbuf_adds(scratch, t->task[t->cur_task].label);
            outcol[j] = t->task[t->cur_task].field + 1;
            break;
        }
        case SRC_TASK_VALUE:
        case SRC_ROW: sbuf_adds(scratch, v); break;
        case SRC_SCALE: break;          /* the loader's: from the store's conversion scale */
        case SRC_SCORES:
            if (score_list(p, s, fields, n, scratch, file, line, d) != 0) off[j] = (size_t)-1;
            outcol[j] = p->nscores ? p->score[0].field + 1 : 0;
            break;
        case SRC_TASK_MAX: {
            const struct layout *t = p->parent ? p->parent : p;
            if (t->task[t->cur_task].max > 0) sbuf_printf(scratch, "%d", t->task[t->cur_task].max);
            outcol[j] = t->task[t->cur_task].field + 1;
            break;
        }
        case SRC_PARENT: {
            const struct source *ps = &p->parent->src[s->parent_j];
            if (ps->kind == SRC_TASK_LABEL) {
                sbuf_adds(scratch, p->parent->task[p->parent->cur_task].label);
                outcol[j] = p->parent->task[p->parent->cur_task].field + 1;
                break;
            }
            sbuf_adds(scratch, map_or_self(ps, ps->kind == SRC_CONST ? ps->value
                                               : ps->found ? ps->found : ""));
            outcol[j] = 0;
            break;
        }
        case SRC_LOGIN: {
            size_t at, k = find_login(v, &at);
            for (size_t q = 0; q < k; q++) {
                char ch = v[at + q];
                sbuf_addc(scratch, ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch);
            }
            break;
        }
        case SRC_COUNT: {
            int hit = !s->column;
            for (size_t k = 0; k < s->nvalues && !hit; k++) hit = loose_eq(v, s->values[k]);
            sbuf_adds(scratch, hit ? "1" : "0");
            break;
        }
        case SRC_DATE_YEAR: {         /* «18.04.2023 10:15», «2023-04-18»: 2023 */
            const char *q = v;
            size_t k = 0;
            while (*q) {
                k = strspn(q, "0123456789");
                if (k == 4 && (q[0] == '1' || q[0] == '2')) break;
                q += k ? k : 1;
                k = 0;
            }
            if (k == 4) sbuf_add(scratch, q, 4);
            else sbuf_adds(scratch, v);      /* refused by the form's check, quoted */
            break;
        }
        case SRC_NUMBER: {
            const char *q = v;
            while (*q == ' ') q++;
            size_t k = strspn(q, "0123456789");
            if (k) sbuf_add(scratch, q, k);
            else sbuf_adds(scratch, v);      /* refused by the form's check, quoted */
            break;
        }
        case SRC_LEFT: {
            const unsigned char *q = (const unsigned char *)v;
            long k = 0;
            while (*q && k < s->nchars) {      /* code points, not bytes */
                q++;
                while ((*q & 0xC0) == 0x80) q++;
                k++;
            }
            sbuf_add(scratch, v, (size_t)((const char *)q - v));
            break;
        }
        case SRC_MAP: {
            char *t = trimmed(v);
            const char *to = map_find(s, t);
            if (!to) {
                soko_diag_add(d, file, line, s->field + 1, _("'%s' has no mapping for %s in layout %s; "
                                                          "expected one of its [map %s] values"),
                              t, f->cols[j].name, p->name, f->cols[j].name);
                off[j] = (size_t)-1;
            } else
                sbuf_adds(scratch, to);
            free(t);
            break;
        }
        case SRC_PERCENT: break;   /* below, by group */
        case SRC_NONE: break;
        }
        sbuf_addc(scratch, '\0');
    }
    /* percentages: each group of columns sharing a total is apportioned so that the
     * counts add up to the total (largest remainders), once the percentages are seen
     * to add up to 100 within their rounding */
    int done[32] = {0};
    for (size_t j = 0; j < f->ncols; j++) {
        if (p->src[j].kind != SRC_PERCENT || done[j] || off[j] == (size_t)-1) continue;
        size_t grp[32], ng = 0;
        for (size_t k = j; k < f->ncols; k++)
            if (p->src[k].kind == SRC_PERCENT && strcmp(p->src[k].total, p->src[j].total) == 0) {
                grp[ng++] = k;
                done[k] = 1;
            }
        double total, pct[32] = {0}, sum = 0;
        int tf = p->src[j].total_field, ok = 1;
        if (!parse_num(fields[tf], &total) || total < 0 || total != floor(total)) {
            soko_diag_add(d, file, line, tf + 1, _("%s: '%s' is not a whole number; expected the total "
                                                 "for the percentages"), p->src[j].total, fields[tf]);
            continue;
        }
        for (size_t g = 0; g < ng; g++) {
            const struct source *s = &p->src[grp[g]];
            if (!parse_num(fields[s->field], &pct[g]) || pct[g] < 0 || pct[g] > 100) {
                soko_diag_add(d, file, line, s->field + 1, _("%s: '%s' is not a percentage; expected "
                                                           "a number 0..100"), s->column, fields[s->field]);
                ok = 0;
            }
            sum += ok ? pct[g] : 0;
        }
        if (!ok) continue;
        long counts[32];
        if (ng > 1) {
            double tol = p->pct_tolerance * (double)ng + 1e-9;
            if (fabs(sum - 100.0) > tol) {
                soko_diag_add(d, file, line, p->src[grp[0]].field + 1,
                              _("the percentages of %s add up to %.2f; expected 100 within rounding "
                              "(±%.2f), so that the derived counts add up to %s = %.0f"),
                              p->src[j].total, sum, tol - 1e-9, p->src[j].total, total);
                continue;
            }
            apportion(pct, ng, sum, total, counts);
        } else
            counts[0] = lround(pct[0] / 100.0 * total);
        for (size_t g = 0; g < ng; g++) {
            off[grp[g]] = scratch->len;
            sbuf_printf(scratch, "%ld", counts[g]);
            sbuf_addc(scratch, '\0');
        }
    }
    if (d->total != errs) return LAYOUT_ERROR;
    for (size_t j = 0; j < f->ncols; j++) out[j] = off[j] == (size_t)-1 ? NULL : scratch->s + off[j];
    return LAYOUT_ROW;
}
