/*
 * formdef.c — forms defined by INI files (contract in formdef.h, format in
 * docs/own-forms.md).
 */
#include "formdef.h"
#include "deffile.h"
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BIG 1e9

/* One defined form and everything it owns. */
struct fdef {
    struct form form;         /* registered with forms_define */
    char *file;
    struct form_col *cols;
    struct form_check *checks;
    struct enum_val **values; /* per column, NULL for non-enum ones */
    char **pool;              /* strings the form points to */
    size_t npool;
};

static struct fdef *defs[FORMDEF_MAX];
static size_t ndefs;

static const char *keep(struct fdef *f, char *s)
{
    f->pool = xrealloc(f->pool, (f->npool + 1) * sizeof *f->pool);
    f->pool[f->npool++] = s;
    return s;
}

static void fdef_free(struct fdef *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->npool; i++) free(f->pool[i]);
    free(f->pool);
    for (size_t i = 0; i < f->form.ncols; i++) free(f->values ? f->values[i] : NULL);
    free(f->values);
    free(f->cols);
    free(f->checks);
    free(f->file);
    free(f);
}

/* ------------------------------------------------------------ the key tables */

static const char *const yes_no[] = {"yes", "no", NULL};
static const char *const col_types[] = {"text", "int", "count", "real", "percent", "year",
                                        "enum", "school", NULL};
enum { T_TEXT, T_INT, T_COUNT, T_REAL, T_PERCENT, T_YEAR, T_ENUM, T_SCHOOL };
static const char *const check_kinds[] = {"sum", "sum_at_most", "order", NULL};

static const struct deffile_key form_keys[] = {
    {"title", DF_TEXT, DF_REQUIRED, 0, 0, NULL, N_("the form's title in Russian")},
    {"doc", DF_TEXT, 0, 0, 0, NULL, N_("one line saying what the form holds")},
    {"example", DF_TEXT, DF_REPEAT, 0, 0, NULL,
     N_("one line of a small valid CSV file of the form (the first one its header)")},
    {"factors", DF_IDLIST, 0, 2, 2, NULL,
     N_("two columns: the one naming a context factor, then the one holding its value")},
    {NULL, DF_TEXT, 0, 0, 0, NULL, NULL},
};
static const struct deffile_key col_keys[] = {
    {"type", DF_CHOICE, DF_REQUIRED, 0, 0, col_types, NULL},
    {"header", DF_TEXT, 0, 0, 0, NULL,
     N_("the Russian headers the column is known by, separated by '|'")},
    {"min", DF_REAL, 0, -BIG, BIG, NULL, NULL},
    {"max", DF_REAL, 0, -BIG, BIG, NULL, NULL},
    {"key", DF_CHOICE, 0, 0, 0, yes_no, NULL},
    {"required", DF_CHOICE, 0, 0, 0, yes_no, NULL},
    {"name_like", DF_CHOICE, 0, 0, 0, yes_no, NULL},
    {"value", DF_TEXT, DF_REPEAT, 0, 0, NULL,
     N_("an enum value: its stored name (a-z, 0-9, _), then '|' and the spellings accepted "
     "on import")},
    {"default", DF_TEXT, 0, 0, 0, NULL, NULL},
    {"doc", DF_TEXT, 0, 0, 0, NULL, N_("one line saying what the column holds")},
    {NULL, DF_TEXT, 0, 0, 0, NULL, NULL},
};
static const struct deffile_key check_keys[] = {
    {"kind", DF_CHOICE, DF_REQUIRED, 0, 0, check_kinds, NULL},
    {"columns", DF_IDLIST, DF_REQUIRED, 2, 5, NULL,
     N_("2 to 5 numeric columns of the form, separated by commas (for a sum the total last)")},
    {"doc", DF_TEXT, 0, 0, 0, NULL, NULL},
    {NULL, DF_TEXT, 0, 0, 0, NULL, NULL},
};

/* ------------------------------------------------------------ names */

static int is_ident(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z')) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
    return strlen(s) <= 48;
}

/* Why a column name cannot be used, or NULL. */
static const char *bad_col_name(const char *s)
{
    static const char *const own[] = {"import_id", "from_students", "replaced_by", "rowid",
                                      "oid", "indicator", "level", NULL};
    if (!is_ident(s))
        return "a name of lower-case Latin letters, digits and '_', starting with a letter, "
               "at most 48 long";
    if (sqlite3_keyword_check(s, (int)strlen(s)))
        return "a name that is not an SQL keyword (order, group, select, ...)";
    for (size_t i = 0; own[i]; i++)
        if (strcmp(s, own[i]) == 0) return "a name soko does not use itself (import_id, "
                                           "from_students, replaced_by, rowid; indicator and "
                                           "level, columns of the indicators' tables)";
    return NULL;
}

/* Why a form name cannot be used, or NULL. */
static const char *bad_form_name(const char *s)
{
    if (!is_ident(s) || strstr(s, "__"))
        return "a file name of lower-case Latin letters, digits and '_' (no '__'), starting "
               "with a letter, at most 48 long, then .ini";
    if (sqlite3_keyword_check(s, (int)strlen(s))) return "a name that is not an SQL keyword";
    if (strncmp(s, "hist_", 5) == 0 || strncmp(s, "sqlite_", 7) == 0 ||
        strncmp(s, "soko_", 5) == 0 || strcmp(s, "imports") == 0 || strcmp(s, "form_defs") == 0)
        return "a name soko does not use itself (imports, form_defs, hist_*, soko_*, sqlite_*)";
    return NULL;
}

/* The built-in column the defaults of a year or school column come from. */
static const struct form_col *builtin_col(const char *name)
{
    const struct form *v = NULL;
    for (size_t i = 0; soko_forms[i] && !v; i++)
        if (strcmp(soko_forms[i]->name, "vpr") == 0) v = soko_forms[i];
    int j = v ? form_col_index(v, name) : -1;
    return j >= 0 ? &v->cols[j] : NULL;
}

/* "a | b |c" → "a|b|c" (NULL when empty). */
static char *bar_list(const char *s)
{
    struct sbuf b = SBUF_INIT;
    while (*s) {
        size_t n = strcspn(s, "|");
        const char *a = s, *e = s + n;
        while (a < e && (*a == ' ' || *a == '\t')) a++;
        while (e > a && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if (e > a) sbuf_printf(&b, "%s%.*s", b.len ? "|" : "", (int)(e - a), a);
        s += n + (s[n] == '|');
    }
    if (!b.len) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

static int yes(const struct deffile_sec *s, const char *key, int dflt)
{
    return deffile_choice(s, key, yes_no, dflt ? 0 : 1) == 0;
}

/* ------------------------------------------------------------ a column */

struct ctx {
    struct fdef *f;
    const struct deffile *df;
    struct soko_diag *d;
    int bad;
};

/* Is the text a valid value of column c (its type and range)? */
static int value_fits(const struct form_col *c, const char *v)
{
    char *end;
    switch (c->type) {
    case COL_INT: case COL_YEAR: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        return !errno && end != v && !*end && x >= c->min && x <= c->max;
    }
    case COL_REAL: {
        errno = 0;
        double x = strtod(v, &end);
        return !errno && end != v && !*end && isfinite(x) && x >= c->min && x <= c->max;
    }
    case COL_ENUM: return form_enum_value(c, v) != NULL;
    default: return *v != '\0';
    }
}

static void read_column(struct ctx *x, const struct deffile_sec *s, const char *name, size_t j)
{
    struct fdef *f = x->f;
    struct form_col *c = &f->cols[j];
    const char *why = bad_col_name(name);
    if (why) {
        soko_diag_add(x->d, x->df->path, s->line, 0, _("[%s]: the column's name '%s' is not "
                      "usable; expected %s"), s->name, name, why);
        x->bad = 1;
    }
    c->name = keep(f, xstrdup(name));
    int t = deffile_choice(s, "type", col_types, T_TEXT);
    const struct form_col *like = t == T_YEAR ? builtin_col("year")
                                  : t == T_SCHOOL ? builtin_col("school_id") : NULL;
    const char *hdr = deffile_get(s, "header", NULL);
    char *al = hdr ? bar_list(hdr) : NULL;
    if (!al && like && like->aliases) al = xstrdup(like->aliases);
    c->aliases = al ? keep(f, al) : NULL;
    const char *doc = deffile_get(s, "doc", NULL);
    c->doc = keep(f, xstrdup(doc ? doc : like ? like->doc : ""));
    int key = yes(s, "key", t == T_SCHOOL);
    int req = yes(s, "required", key);
    if (key && deffile_kv(s, "required") && !req) {
        deffile_bad(x->d, x->df, s, deffile_kv(s, "required"), NULL,
                    "yes, or no 'required' at all: a key column is always required");
        x->bad = 1;
    }
    c->flags = (req || key ? COL_REQUIRED : 0) | (key ? COL_KEY : 0) |
               (yes(s, "name_like", t == T_SCHOOL) ? COL_CONFUSABLE : 0) |
               (t == T_SCHOOL ? COL_SCHOOL : 0);
    switch (t) {
    case T_INT: c->type = COL_INT; c->min = -BIG; c->max = BIG; break;
    case T_COUNT: c->type = COL_INT; c->min = 0; c->max = BIG; break;
    case T_REAL: c->type = COL_REAL; c->min = -BIG; c->max = BIG; break;
    case T_PERCENT: c->type = COL_REAL; c->min = 0; c->max = 100; break;
    case T_YEAR:
        c->type = COL_YEAR;
        c->min = like ? like->min : 2000;
        c->max = like ? like->max : 2100;
        break;
    case T_ENUM: c->type = COL_ENUM; break;
    default: c->type = COL_TEXT; break;
    }
    if (t != T_SCHOOL && strcmp(name, "school_id") == 0) {
        deffile_bad(x->d, x->df, s, deffile_kv(s, "type"), NULL,
                    "school: the column school_id names a school of the registry");
        x->bad = 1;
    }
    if (t == T_SCHOOL && strcmp(name, "school_id") != 0) {
        soko_diag_add(x->d, x->df->path, s->line, 0, _("[%s]: a column of type school is named "
                      "school_id; expected [column school_id] (indicators and rules find the "
                      "school by that name)"), s->name);
        x->bad = 1;
    }
    const struct deffile_kv *kmin = deffile_kv(s, "min"), *kmax = deffile_kv(s, "max");
    int numeric = c->type == COL_INT || c->type == COL_REAL || c->type == COL_YEAR;
    if ((kmin || kmax) && !numeric) {
        deffile_bad(x->d, x->df, s, kmin ? kmin : kmax, NULL,
                    "no range: the column is of type %s (a range is for int, count, real, "
                    "percent and year)", col_types[t]);
        x->bad = 1;
    } else if (kmin || kmax) {
        double lo = deffile_real(s, "min", c->min), hi = deffile_real(s, "max", c->max);
        int whole = c->type != COL_REAL;
        if (whole && ((kmin && lo != floor(lo)) || (kmax && hi != floor(hi)))) {
            deffile_bad(x->d, x->df, s, kmin && lo != floor(lo) ? kmin : kmax, NULL,
                        "a whole number: the column is of type %s", col_types[t]);
            x->bad = 1;
        } else if (lo > hi) {
            deffile_bad(x->d, x->df, s, kmax ? kmax : kmin, NULL,
                        "max at least min (%g); expected the range the right way round", lo);
            x->bad = 1;
        }
        c->min = lo;
        c->max = hi;
    }
    /* enum values */
    size_t nv = 0;
    for (size_t i = 0; i < s->nkv; i++) nv += strcmp(s->kv[i].key, "value") == 0;
    if (nv && c->type != COL_ENUM) {
        deffile_bad(x->d, x->df, s, deffile_kv(s, "value"), NULL,
                    "no values: they are for a column of type enum");
        x->bad = 1;
    } else if (!nv && c->type == COL_ENUM) {
        soko_diag_add(x->d, x->df->path, s->line, 0, _("[%s]: value: missing; expected at least "
                      "one 'value = name | spelling | ...' line for a column of type enum"),
                      s->name);
        x->bad = 1;
    } else if (nv) {
        struct enum_val *v = xcalloc(nv + 1, sizeof *v);
        f->values[j] = v;
        size_t k = 0;
        for (size_t i = 0; i < s->nkv; i++) {
            const struct deffile_kv *kv = &s->kv[i];
            if (strcmp(kv->key, "value") != 0) continue;
            char *list = bar_list(kv->value);
            size_t n = list ? strcspn(list, "|") : 0;
            char *canon = xstrndup(list ? list : "", n);
            if (!is_ident(canon)) {
                deffile_bad(x->d, x->df, s, kv, NULL, "a stored name of lower-case Latin "
                            "letters, digits and '_' first, then '|' and the spellings "
                            "accepted on import (district | районный)");
                x->bad = 1;
            }
            for (size_t m = 0; m < k; m++)
                if (strcmp(v[m].value, canon) == 0) {
                    deffile_bad(x->d, x->df, s, kv, NULL, "each value once ('%s' is given "
                                "above)", canon);
                    x->bad = 1;
                }
            v[k].value = keep(f, canon);
            v[k].aliases = list && list[n] ? keep(f, xstrdup(list + n + 1)) : NULL;
            k++;
            free(list);
        }
        c->values = v;
    }
    const struct deffile_kv *kd = deffile_kv(s, "default");
    if (kd) {
        if (!x->bad && !value_fits(c, kd->value)) {
            deffile_bad(x->d, x->df, s, kd, NULL, "a value of the column's type and range");
            x->bad = 1;
        }
        if (key) {
            deffile_bad(x->d, x->df, s, kd, NULL, "no default for a key column");
            x->bad = 1;
        }
        c->deflt = keep(f, xstrdup(c->type == COL_ENUM && form_enum_value(c, kd->value)
                                       ? form_enum_value(c, kd->value) : kd->value));
    }
}

/* ------------------------------------------------------------ a check */

static void read_check(struct ctx *x, const struct deffile_sec *s, struct form_check *ck)
{
    static const enum check_kind kinds[] = {CHECK_SUM_EQ, CHECK_SUM_LE, CHECK_LE};
    int k = deffile_choice(s, "kind", check_kinds, 0);
    ck->kind = kinds[k];
    const struct deffile_kv *kc = deffile_kv(s, "columns");
    int n = 0;
    char **items = deffile_list(kc ? kc->value : "", &n);
    struct sbuf doc = SBUF_INIT;
    for (int i = 0; i < n && i < 5; i++) {
        int j = form_col_index(&x->f->form, items[i]);
        if (j < 0) {
            deffile_bad(x->d, x->df, s, kc, NULL, "columns of this form; '%s' is none of them",
                        items[i]);
            x->bad = 1;
            continue;
        }
        const struct form_col *c = &x->f->form.cols[j];
        if (c->type != COL_INT && c->type != COL_REAL) {
            deffile_bad(x->d, x->df, s, kc, NULL, "numeric columns; '%s' is not one", items[i]);
            x->bad = 1;
        }
        if (ck->kind != CHECK_LE && c->type != COL_INT) {
            deffile_bad(x->d, x->df, s, kc, NULL, "whole-number columns (int, count) for a "
                        "sum; '%s' is not one", items[i]);
            x->bad = 1;
        }
        ck->cols[i] = c->name;
        const char *sep = i == 0 ? "" : ck->kind == CHECK_LE ? " <= "
                          : i == n - 1 ? (ck->kind == CHECK_SUM_EQ ? " = " : " <= ") : "+";
        sbuf_printf(&doc, "%s%s", sep, c->name);
    }
    deffile_list_free(items);
    const char *d = deffile_get(s, "doc", NULL);
    ck->doc = keep(x->f, d ? (sbuf_free(&doc), xstrdup(d)) : sbuf_take(&doc));
    ck->found = NULL;
}

/* ------------------------------------------------------------ a file */

/* Each spelling (name or header) of a column must name that column alone. */
static int header_clash(struct ctx *x, const struct deffile_sec *const *colsec)
{
    const struct form *fm = &x->f->form;
    for (size_t j = 0; j < fm->ncols; j++) {
        const char *li = fm->cols[j].aliases;
        char one[256];
        for (const char *p = fm->cols[j].name; p;) {
            int m = form_col_match(fm, p);
            if (m >= 0 && m != (int)j) {
                soko_diag_add(x->d, x->df->path, colsec[j]->line, 0,
                              _("[%s]: '%s' also names [%s] (line %ld); expected each name and "
                              "header to name one column (headers are compared loosely, "
                              "docs/forms.md)"), colsec[j]->name, p, colsec[m]->name,
                              colsec[m]->line);
                return 1;
            }
            p = NULL;
            if (li && *li) {
                size_t n = strcspn(li, "|");
                snprintf(one, sizeof one, "%.*s", (int)(n < 255 ? n : 255), li);
                li += n + (li[n] == '|');
                p = one;
            }
        }
    }
    return 0;
}

/* `factors = NAMECOL, VALUECOL`: the rows are context factors. NAMECOL a key column of
   text or enum, VALUECOL a number; 1 when refused (said). */
static int read_factors(struct ctx *x, const struct deffile_sec *fs)
{
    const struct deffile_kv *kv = deffile_kv(fs, "factors");
    if (!kv) return 0;
    int n = 0, bad = 0;
    char **items = deffile_list(kv->value, &n);
    const struct form *fm = &x->f->form;
    int nc = n == 2 ? form_col_index(fm, items[0]) : -1;
    int vc = n == 2 ? form_col_index(fm, items[1]) : -1;
    if (n != 2) {
        bad = 1;   /* deffile_check said it */
    } else if (nc < 0 || !(fm->cols[nc].flags & COL_KEY) ||
               (fm->cols[nc].type != COL_TEXT && fm->cols[nc].type != COL_ENUM)) {
        deffile_bad(x->d, x->df, fs, kv, NULL, _("first a key column of type text or enum "
                    "that names the factor ('%s' is none)"), items[0]);
        bad = 1;
    } else if (vc < 0 || fm->cols[vc].type == COL_TEXT || fm->cols[vc].type == COL_ENUM ||
               fm->cols[vc].type == COL_YEAR || (fm->cols[vc].flags & COL_SCHOOL)) {
        deffile_bad(x->d, x->df, fs, kv, NULL, _("then a column of numbers that holds the "
                    "factor's value ('%s' is none)"), items[1]);
        bad = 1;
    } else if (form_col_index(fm, "year") < 0 || form_col_index(fm, "school_id") < 0) {
        deffile_bad(x->d, x->df, fs, kv, NULL, _("a form with the columns year and school_id: "
                    "a factor is a school's value for a year"));
        bad = 1;
    } else {
        x->f->form.factor_col = keep(x->f, xstrdup(items[0]));
        x->f->form.factor_value = keep(x->f, xstrdup(items[1]));
    }
    deffile_list_free(items);
    return bad;
}

static int check_example(struct ctx *x, const struct deffile_sec *fs)
{
    const struct deffile_kv *kv = deffile_kv(fs, "example");
    if (!kv) return 0;
    int n = 0, bad = 0;
    char **items = deffile_list(kv->value, &n);
    for (int i = 0; i < n; i++)
        if (form_col_index(&x->f->form, items[i]) < 0) {
            deffile_bad(x->d, x->df, fs, kv, NULL, "the header line of the example: column "
                        "names of the form, separated by commas ('%s' is none)", items[i]);
            bad = 1;
            break;
        }
    deffile_list_free(items);
    return bad;
}

static char *form_name_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".ini") == 0) n -= 4;
    return xstrndup(base, n);
}

/* Reads and validates one file into a new fdef (NULL on any problem). */
static struct fdef *read_def(const char *path, struct soko_diag *d, int *rc)
{
    struct deffile df;
    *rc = deffile_read_opts(path, DEFFILE_REPEATS, &df, d);
    if (*rc) {
        deffile_free(&df);
        return NULL;
    }
    struct fdef *f = xcalloc(1, sizeof *f);
    f->file = xstrdup(path);
    struct ctx x = {f, &df, d, 0};
    char *name = form_name_of(path);
    const char *why = bad_form_name(name);
    if (why) {
        soko_diag_add(d, path, 0, 0, _("the form's name '%s' (the file's name) is not usable; "
                      "expected %s"), name, why);
        x.bad = 1;
    }
    for (size_t i = 0; soko_forms[i]; i++)
        if (strcmp(soko_forms[i]->name, name) == 0) {
            soko_diag_add(d, path, 0, 0, _("'%s' is a built-in form; expected a name of a form of "
                          "your own (soko forms lists the built-in ones)"), name);
            x.bad = 1;
        }
    f->form.name = keep(f, name);
    f->form.kind = FORM_ROWS;
    static const struct deffile_key *const ftab[] = {form_keys, NULL};
    static const struct deffile_key *const ctab[] = {col_keys, NULL};
    static const struct deffile_key *const ktab[] = {check_keys, NULL};
    const struct deffile_sec *fs = NULL;
    size_t ncol = 0, nck = 0;
    for (size_t i = 0; i < df.nsec; i++) {
        const struct deffile_sec *s = &df.sec[i];
        if (strcmp(s->name, "form") == 0) {
            fs = s;
            if (deffile_check(&df, s, ftab, d)) x.bad = 1;
        } else if (strncmp(s->name, "column ", 7) == 0) {
            ncol++;
            if (deffile_check(&df, s, ctab, d)) x.bad = 1;
        } else if (strncmp(s->name, "check ", 6) == 0) {
            nck++;
            if (deffile_check(&df, s, ktab, d)) x.bad = 1;
        } else {
            soko_diag_add(d, path, s->line, 0, _("[%s]: unknown section; expected [form], "
                          "[column NAME] or [check NAME]"), s->name);
            x.bad = 1;
        }
    }
    /* titles, headers and docs reach terminals, CSV headers and reports: plain text */
    for (size_t i = 0; i < df.nsec; i++)
        for (size_t j = 0; j < df.sec[i].nkv; j++) {
            const unsigned char *v = (const unsigned char *)df.sec[i].kv[j].value;
            while (*v && *v >= 0x20 && *v != 0x7F) v++;
            if (*v) {
                deffile_bad(d, &df, &df.sec[i], &df.sec[i].kv[j], NULL,
                            "text without control characters (a tab, say)");
                x.bad = 1;
            }
        }
    if (!fs) {
        soko_diag_add(d, path, 0, 0, _("no [form] section; expected one with the form's title"));
        x.bad = 1;
    }
    if (nck > FORMDEF_MAX_CHECKS) {
        soko_diag_add(d, path, 0, 0, _("%zu checks; expected at most %d"), nck, FORMDEF_MAX_CHECKS);
        x.bad = 1;
    }
    if (ncol == 0) {
        soko_diag_add(d, path, 0, 0, _("no columns; expected [column NAME] sections"));
        x.bad = 1;
    } else if (ncol > FORMDEF_MAX_COLS) {
        soko_diag_add(d, path, 0, 0, _("%zu columns; expected at most %d"), ncol, FORMDEF_MAX_COLS);
        x.bad = 1;
    }
    if (x.bad) goto out;
    /* the types are right: read the columns, then the checks */
    f->cols = xcalloc(ncol, sizeof *f->cols);
    f->values = xcalloc(ncol, sizeof *f->values);
    const struct deffile_sec **colsec = xcalloc(ncol, sizeof *colsec);
    f->form.cols = f->cols;
    size_t j = 0;
    for (size_t i = 0; i < df.nsec; i++) {
        const struct deffile_sec *s = &df.sec[i];
        if (strncmp(s->name, "column ", 7) != 0) continue;
        const char *cn = s->name + 7;
        while (*cn == ' ') cn++;
        for (size_t k = 0; k < j; k++)
            if (strcmp(f->cols[k].name, cn) == 0) {
                soko_diag_add(d, path, s->line, 0, _("[%s]: the column '%s' is given twice (first "
                              "on line %ld); expected each column once"), s->name, cn,
                              colsec[k]->line);
                x.bad = 1;
            }
        colsec[j] = s;
        read_column(&x, s, cn, j);
        j++;
        f->form.ncols = j;
    }
    int nkey = 0;
    for (size_t k = 0; k < ncol; k++) nkey += (f->cols[k].flags & COL_KEY) != 0;
    if (!nkey) {
        soko_diag_add(d, path, fs->line, 0, _("[form]: no key column; expected 'key = yes' on the "
                      "columns that name a row (a school and a year, say): a row with the same "
                      "key replaces the stored one"));
        x.bad = 1;
    }
    if (!x.bad && header_clash(&x, colsec)) x.bad = 1;
    free(colsec);
    if (nck) {
        f->checks = xcalloc(nck, sizeof *f->checks);
        f->form.checks = f->checks;
        for (size_t i = 0; i < df.nsec && !x.bad; i++)
            if (strncmp(df.sec[i].name, "check ", 6) == 0)
                read_check(&x, &df.sec[i], &f->checks[f->form.nchecks++]);
    }
    if (!x.bad && read_factors(&x, fs)) x.bad = 1;
    f->form.title_ru = keep(f, xstrdup(deffile_get(fs, "title", NULL)));
    const char *doc = deffile_get(fs, "doc", NULL);
    f->form.doc = keep(f, xstrdup(doc ? doc : f->form.title_ru));
    if (!x.bad && check_example(&x, fs)) x.bad = 1;
    struct sbuf ex = SBUF_INIT;
    for (size_t i = 0; i < fs->nkv; i++)
        if (strcmp(fs->kv[i].key, "example") == 0) sbuf_printf(&ex, "%s\n", fs->kv[i].value);
    f->form.example = ex.len ? keep(f, sbuf_take(&ex)) : NULL;
    sbuf_free(&ex);
out:
    deffile_free(&df);
    if (x.bad) {
        fdef_free(f);
        *rc = SOKO_ECONFIG;
        return NULL;
    }
    return f;
}

/* Can f be defined beside the defined forms and the first n of more? */
static int def_clash(const struct fdef *f, struct fdef *const *more, size_t n,
                     struct soko_diag *d)
{
    for (size_t i = 0; i < ndefs + n; i++) {
        const struct fdef *o = i < ndefs ? defs[i] : more[i - ndefs];
        if (o && strcmp(o->form.name, f->form.name) == 0) {
            soko_diag_add(d, f->file, 0, 0, _("the form '%s' is defined twice, here and in %s; "
                          "expected one file per form"), f->form.name, o->file);
            return SOKO_ECONFIG;
        }
    }
    if (ndefs + n >= FORMDEF_MAX) {
        soko_diag_add(d, f->file, 0, 0, _("more than %d defined forms; expected at most %d"),
                      FORMDEF_MAX, FORMDEF_MAX);
        return SOKO_ECONFIG;
    }
    return SOKO_OK;
}

static void add_def(struct fdef *f)
{
    defs[ndefs++] = f;
    forms_define(&f->form);
}

int formdef_load_file(const char *path, struct soko_diag *d)
{
    int rc;
    struct fdef *f = read_def(path, d, &rc);
    if (!f) return rc;
    rc = def_clash(f, NULL, 0, d);
    if (rc) fdef_free(f);
    else add_def(f);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int formdef_load_dir(const char *dir, int missing_ok, struct soko_diag *d)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        if (errno == ENOENT && missing_ok) return SOKO_OK;
        soko_diag_add(d, dir, 0, 0, _("cannot open the folder of form definitions: %s"),
                      strerror(errno));
        return SOKO_EIO;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dh))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0 || e->d_name[0] == '.') continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(dh);
    if (n) qsort(names, n, sizeof *names, name_cmp);
    int worst = SOKO_OK;
    struct fdef **got = xcalloc(n ? n : 1, sizeof *got);
    for (size_t i = 0; i < n; i++) {
        int rc;
        got[i] = read_def(names[i], d, &rc);
        if (rc && (!worst || rc == SOKO_EIO)) worst = rc;
    }
    for (size_t i = 0; i < n && !worst; i++) worst = def_clash(got[i], got, i, d);
    for (size_t i = 0; i < n; i++) {
        if (!worst) add_def(got[i]);
        else fdef_free(got[i]);
        free(names[i]);
    }
    free(got);
    free(names);
    return worst;
}

const char *formdef_file(const struct form *f)
{
    for (size_t i = 0; i < ndefs; i++)
        if (&defs[i]->form == f) return defs[i]->file;
    return NULL;
}

const struct form *formdef_named_by(const char *path)
{
    if (!path) return NULL;
    char *name = form_name_of(path);
    const struct form *f = NULL;
    for (size_t i = 0; i < ndefs && !f; i++)
        if (strcmp(defs[i]->form.name, name) == 0) f = &defs[i]->form;
    free(name);
    return f;
}

void formdef_unload_all(void)
{
    forms_undefine_all();
    for (size_t i = 0; i < ndefs; i++) fdef_free(defs[i]);
    ndefs = 0;
}
