/*
 * cli_import.c — the commands around import: import, check, template, forms,
 * imports, undo, status.
 *
 * Counts speak the form's units everywhere (import, status, imports): works and
 * their participants for a per-student form, rows for the others.
 */
#include "cli.h"
#include "layout.h"
#include "forms.h"
#include "load.h"
#include "sheet.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cli_open_store(struct cli *c, int readonly, struct store **s)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    int rc = store_open(c->db_path, readonly, s, &d);
    if (rc) {
        for (size_t i = 0; i < d.nmsgs; i++) fprintf(stderr, "soko: %s\n", cli_term(d.msgs[i]));
    }
    soko_diag_free(&d);
    return rc;
}

/* The form named; one written by soko itself only with a layout that may write it
 * (vpr_dist from «Распределение первичных баллов»: with_layout). */
static const struct form *want_form(const char *name, int with_layout)
{
    const struct form *f = form_find(name);
    if (!f || (f->kind == FORM_INTERNAL && !(with_layout && form_layout_only(f)))) {
        fprintf(stderr, _("soko: unknown form '%s'; expected one of:"), cli_term(name));
        for (size_t i = 0; forms_all()[i]; i++)
            if (forms_all()[i]->kind != FORM_INTERNAL) fprintf(stderr, " %s", forms_all()[i]->name);
        fprintf(stderr, "\n");
        return NULL;
    }
    return f;
}

/* The form refers to schools of the registry (it has a school column). */
static int needs_registry(const struct form *f)
{
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & COL_SCHOOL) return 1;
    return 0;
}

/* 1 when the store's registry of schools is empty; 0 when not; -1 (message printed)
 * when the store cannot be read. */
static int registry_empty(struct store *s)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    long long n = 0;
    int rc = store_count(s, "schools", &n, &d);
    if (rc) cli_print_diag(&d);
    soko_diag_free(&d);
    return rc ? -1 : n == 0;
}

static void say_registry_empty(const struct cli *c)
{
    fprintf(stderr, _("soko: the schools registry is empty: import form schools first "
                      "(soko --db %s import schools FILE); nothing was read\n"),
            cli_term(c->db_path));
}

/* Every input file is there and is a file, before anything is opened: a mistyped or
 * example name gets one sentence, and no store is created for it. */
static int files_readable(const struct cli *c, const struct form *f)
{
    int rc = SOKO_OK;
    for (int i = 1; i < c->argc; i++) {
        const char *p = c->argv[i];
        struct stat sb;
        if (stat(p, &sb) != 0) {
            if (errno == ENOENT)
                fprintf(stderr, _("soko: %s: no such file; expected the path of a file of "
                                  "form %s of your own ('soko template %s --ru > %s.csv' writes "
                                  "an empty one for Excel)\n"), cli_term(p), f->name, f->name,
                        f->name);
            else
                fprintf(stderr, _("soko: %s: cannot open: %s\n"), cli_term(p), strerror(errno));
            rc = SOKO_EIO;
        } else if (S_ISDIR(sb.st_mode)) {
            fprintf(stderr, _("soko: %s: is a directory; expected a CSV file or a workbook\n"),
                    cli_term(p));
            rc = SOKO_EIO;
        } else if (access(p, R_OK) != 0) {
            fprintf(stderr, _("soko: %s: cannot open: %s\n"), cli_term(p), strerror(errno));
            rc = SOKO_EIO;
        }
    }
    return rc;
}

/* ------------------------------------------------------------- the sink */

struct sink_ctx {
    struct store *store;      /* NULL for check without a store */
    const char *file;
    struct cli_progress bar;
    int store_rc;             /* the store failed: reading stops, and that is reported
                                 instead of the file's rows */
    struct soko_diag store_d; /* its message */
    long tasks_stored;        /* task totals stored into vpr_tasks (sink_task) */
    long tasks_unplanned;     /* task totals of works without a plan: not stored */
    /* the work whose plan was looked up last (its tasks come one after another) */
    long long plan_year, plan_grade;
    char *plan_subject;       /* owned; NULL: none looked up yet */
    int plan_known;           /* store_work_planned's answer for it */
};

static int sink_school(void *ctx, const char *id)
{
    struct sink_ctx *s = ctx;
    if (!s->store) return 1;
    int r = store_school_exists(s->store, id);
    if (r < 0 && !s->store_rc) s->store_rc = store_error(s->store, _("looking up a school"), &s->store_d);
    return r;
}

/* load_sink.known: the registry answers for school codes; the other name-like keys
 * (subject, cluster_id) need a look-up the store does not offer yet, so for them
 * nothing is known and only the file itself is checked for look-alikes. */
static int sink_known(void *ctx, const char *column, const char *value)
{
    struct sink_ctx *s = ctx;
    if (!s->store || strcmp(column, "school_id") != 0) return 0;
    int r = store_school_exists(s->store, value);
    if (r < 0 && !s->store_rc) s->store_rc = store_error(s->store, _("looking up a school"), &s->store_d);
    return r;
}

static int sink_login(void *ctx, const char *login, char *id, size_t n)
{
    struct sink_ctx *s = ctx;
    int r = store_school_by_login(s->store, login, id, n);
    if (r < 0 && !s->store_rc) s->store_rc = store_error(s->store, _("looking up a login"), &s->store_d);
    return r;
}

static int sink_scale(void *ctx, long long year, long long grade, const char *subject, int out[4])
{
    struct sink_ctx *s = ctx;
    if (!s->store) return 0;
    int r = store_vpr_scale(s->store, year, grade, subject, out);
    if (r < 0 && !s->store_rc)
        s->store_rc = store_error(s->store, _("looking up a conversion scale"), &s->store_d);
    return r;
}

static int sink_row(void *ctx, const struct load_row *r, struct soko_diag *d);

/* load_sink.task: a work's task totals from a per-participant file (layout tasks =
 * auto) become a row of vpr_tasks in the same import — where the store holds the
 * work's plan (vpr_plan), which the task rows are checked against; without a plan the
 * totals are counted and left out (cli_import says so), and the marks are stored. */
static int sink_task(void *ctx, const struct load_task *t, struct soko_diag *d)
{
    struct sink_ctx *s = ctx;
    if (!s->store) return SOKO_OK;
    if (!s->plan_subject || s->plan_year != t->year || s->plan_grade != t->grade ||
        strcmp(s->plan_subject, t->subject) != 0) {
        free(s->plan_subject);
        s->plan_subject = xstrdup(t->subject);
        s->plan_year = t->year;
        s->plan_grade = t->grade;
        s->plan_known = store_work_planned(s->store, t->year, t->grade, t->subject);
    }
    int planned = s->plan_known;
    if (planned < 0) {
        if (!s->store_rc) s->store_rc = store_error(s->store, _("looking up a work's plan"), &s->store_d);
        return s->store_rc;
    }
    if (!planned) {
        s->tasks_unplanned++;
        return SOKO_OK;
    }
    const struct form *f = form_find("vpr_tasks");
    struct load_row r;
    memset(&r, 0, sizeof r);
    r.form = f;
    r.line = t->line;
    char task[32], why[256];
    snprintf(task, sizeof task, "%s", t->task);
    if (form_task_label(task, why, sizeof why) != 0) {
        soko_diag_add(d, s->file, t->line, 0, _("task '%s': %s"), t->task, why);
        return SOKO_EINPUT;
    }
    r.cells[form_col_index(f, "year")] = (struct load_cell){1, t->year, (double)t->year, ""};
    r.cells[form_col_index(f, "school_id")] = (struct load_cell){1, 0, 0, t->school};
    r.cells[form_col_index(f, "grade")] = (struct load_cell){1, t->grade, (double)t->grade, ""};
    r.cells[form_col_index(f, "subject")] = (struct load_cell){1, 0, 0, t->subject};
    r.cells[form_col_index(f, "task")] = (struct load_cell){1, 0, 0, task};
    r.cells[form_col_index(f, "participants")] =
        (struct load_cell){1, t->participants, (double)t->participants, ""};
    r.cells[form_col_index(f, "points")] = (struct load_cell){1, 0, t->points, ""};
    r.cells[form_col_index(f, "max_score")] =
        (struct load_cell){1, t->max_score, (double)t->max_score, ""};
    int rc = sink_row(ctx, &r, d);
    if (!rc) s->tasks_stored++;
    return rc;
}

static int sink_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    struct sink_ctx *s = ctx;
    if (!s->store) return SOKO_OK;
    struct soko_diag mine;
    soko_diag_init(&mine, 0);
    int rc = store_put_row(s->store, r, &mine);
    for (size_t i = 0; i < mine.nmsgs; i++) {
        soko_diag_add(d, NULL, 0, 0, "%s", mine.msgs[i]);
        if (rc != SOKO_EINPUT && !s->store_rc) soko_diag_add(&s->store_d, NULL, 0, 0, "%s", mine.msgs[i]);
    }
    if (rc && rc != SOKO_EINPUT && !s->store_rc) s->store_rc = rc;
    soko_diag_free(&mine);
    return rc;
}

static int sink_progress(void *ctx, const struct load_progress *p)
{
    struct sink_ctx *s = ctx;
    static const char *const phase[] = {N_("reading"), N_("checking"), N_("saving")};
    cli_progress(&s->bar, _(phase[p->phase]), p->done, p->total, p->records);
    return s->store_rc;
}

static const char *enc_name(const struct load_stats *st)
{
    switch (st->enc) {
    case ENC_CP1251: return "Windows-1251";
    case ENC_UTF8: return st->bom ? "UTF-8 with BOM" : "UTF-8";
    default: return "ASCII";
    }
}

static const char *delim_name(char c)
{
    return c == ';' ? "';'" : c == '\t' ? "TAB" : "','";
}

/* How the file was read, for the summary, in two parts: "UTF-8" and "';'", or "xlsx"
 * and "sheet «Лист1»". The second is the caller's to free. */
static char *read_as(const struct load_stats *st, const char **kind)
{
    if (st->book) {
        *kind = st->book == SHEET_KIND_XLS ? "xls" : "xlsx";
        if (st->sheets > 0)
            return xasprintf(P_("%ld sheet: %s", "%ld sheets: %s", st->sheets), st->sheets,
                             cli_term(st->sheet));
        return xasprintf(_("sheet «%s»"), cli_term(st->sheet));
    }
    *kind = enc_name(st);
    return xstrdup(delim_name(st->delim));
}

/* Where `--layout NAME` is looked up: SOKO_LAYOUTS (':'-separated directories), else
 * DEFS/layouts. A layout given as a path needs neither. Caller frees; NULL (after
 * the message) when there is nowhere to look. */
static char *layout_search(struct cli *c)
{
    const char *env = getenv("SOKO_LAYOUTS");
    if (env && *env) return xstrdup(env);
    size_t n = strlen(c->layout);
    if (strchr(c->layout, '/') || (n > 4 && strcmp(c->layout + n - 4, ".ini") == 0))
        return xstrdup("");     /* a path: layout_load reads it as it is */
    return cli_def_file(c, NULL, "layouts");
}

/* Loads --layout when given and checks it is for form f. */
static int want_layout(struct cli *c, const struct form *f, struct layout **out)
{
    *out = NULL;
    if (!c->layout) return SOKO_OK;
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    char *search = layout_search(c);
    if (!search) {
        soko_diag_free(&d);
        return SOKO_EIO;
    }
    int rc = layout_load(c->layout, search, out, &d);
    free(search);
    cli_print_diag(&d);
    soko_diag_free(&d);
    if (rc) {
        fprintf(stderr, _("soko: layout %s refused\n"), cli_term(c->layout));
        return rc;
    }
    if (layout_form(*out) != f) {
        fprintf(stderr, _("soko: layout %s is for form %s; expected 'soko import %s FILE "
                          "--layout %s'\n"), cli_term(c->layout), layout_form(*out)->name,
                layout_form(*out)->name, cli_term(c->layout));
        layout_free(*out);
        *out = NULL;
        return SOKO_EUSAGE;
    }
    return SOKO_OK;
}

/* " 8, 9, 10" (", ..." after LOAD_NLINES) for the first lines of n records. */
static void lines_text(struct sbuf *b, const long *lines, long n)
{
    for (long i = 0; i < n && i < LOAD_NLINES; i++) sbuf_printf(b, "%s %ld", i ? "," : "", lines[i]);
    if (n > LOAD_NLINES) sbuf_adds(b, ", ...");
}

/* What a layout left out of the store, said plainly: nothing is dropped silently. */
static void print_left_out(struct cli *c, const char *path, const struct form *f,
                           const struct load_stats *st)
{
    const char *p = cli_term(path);
    if (st->skipped)
        cli_summary(c, P_("%s: %ld record skipped by the layout's skip rules (totals rows)\n",
                          "%s: %ld records skipped by the layout's skip rules (totals rows)\n",
                          st->skipped), p, st->skipped);
    if (st->suppressed) {
        struct sbuf b = SBUF_INIT;
        lines_text(&b, st->suppressed_line, st->suppressed);
        cli_summary(c, P_("%s: %ld record with suppressed values not stored (lines%s)\n",
                          "%s: %ld records with suppressed values not stored (lines%s)\n",
                          st->suppressed), p, st->suppressed, b.s);
        sbuf_free(&b);
    }
    if (st->tasks)
        cli_summary(c, P_("%s: %ld task column read and checked (points from 0 to the task's "
                          "maximum; X not attempted)\n",
                          "%s: %ld task columns read and checked (points from 0 to the task's "
                          "maximum; X not attempted)\n", st->tasks), p, st->tasks);
    if (st->empty_groups)
        cli_summary(c, P_("%s: %ld group of empty cells (a subject nobody took) gave no row\n",
                          "%s: %ld groups of empty cells (subjects nobody took) gave no row\n",
                          st->empty_groups), p, st->empty_groups);
    if (st->no_scale)
        cli_summary(c, P_("%s: %ld histogram stored without the marks' lowest scores: the store "
                          "holds no conversion scale of its work (%s; form vpr_scales), so the "
                          "objectivity rules cannot test it; import the scale, then this file "
                          "again\n",
                          "%s: %ld histograms stored without the marks' lowest scores: the store "
                          "holds no conversion scale of their works (the first: %s; form "
                          "vpr_scales), "
                          "so the objectivity rules cannot test them; import the scales, then "
                          "this file again\n", st->no_scale), p, st->no_scale,
                    cli_term(st->no_scale_work));
    if (st->empty_tasks)
        cli_summary(c, P_("%s: %ld task cell without a value (empty or a marker) gave no row\n",
                          "%s: %ld task cells without a value (empty or markers) gave no row\n",
                          st->empty_tasks), p, st->empty_tasks);
    if (st->absent)
        cli_summary(c, P_("%s: %ld pupil marked absent is not a participant (not stored)\n",
                          "%s: %ld pupils marked absent are not participants (not stored)\n",
                          st->absent), p, st->absent);
    if (st->nonschool) {
        struct sbuf b = SBUF_INIT;
        lines_text(&b, st->nonschool_line, st->nonschool);
        cli_summary(c, P_("%s: %ld row is not a school's and was not stored (%s; lines%s)\n",
                          "%s: %ld rows are not a school's and were not stored (%s; lines%s)\n",
                          st->nonschool), p, st->nonschool, cli_term(st->nonschool_text), b.s);
        sbuf_free(&b);
    }
    if (st->nreference) {
        struct sbuf b = SBUF_INIT;
        lines_text(&b, st->reference_line, st->nreference_lines);
        const struct form *rf = form_also(f);
        cli_summary(c, P_("%s: %ld row of reference figures (the country, the region, the "
                          "municipality) read into %s: %s; lines%s\n",
                          "%s: %ld rows of reference figures (the country, the region, the "
                          "municipality) read into %s: %s; lines%s\n", st->nreference), p,
                    st->nreference, rf ? rf->name : "?", cli_term(st->reference_text), b.s);
        sbuf_free(&b);
    }
    if (st->dropped)
        cli_summary(c, P_("%s: %ld record repeats a key already read; the first was kept "
                          "(duplicates = first)\n",
                          "%s: %ld records repeat a key already read; the first was kept "
                          "(duplicates = first)\n", st->dropped), p, st->dropped);
}

/* "315 works, 20258 participants" or "40 rows": what an import or the store holds,
 * in the form's units. Caller frees. */
static char *units(const struct form *f, long long rows, long long works, long long participants)
{
    if (f->kind == FORM_STUDENTS) {
        char *w = xasprintf(P_("%lld work", "%lld works", works), works);
        char *p = xasprintf(P_("%lld participant", "%lld participants", participants),
                            participants);
        char *s = xasprintf("%s, %s", w, p);
        free(w);
        free(p);
        return s;
    }
    return xasprintf(P_("%lld row", "%lld rows", rows), rows);
}

/* Imports one file in one transaction. *store_failed is set when the store itself
 * failed (not the file). */
static int one_file(struct cli *c, struct store *store, const struct form *f, const char *path,
                    struct layout *lay, int *store_failed)
{
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    struct sink_ctx sc;
    memset(&sc, 0, sizeof sc);
    sc.store = store;
    sc.file = path;
    soko_diag_init(&sc.store_d, 0);
    cli_progress_start(&sc.bar, c, path);
    struct load_sink sink = {&sc, sink_school, sink_row, sink_progress, sink_known, sink_login,
                             sink_scale, sink_task};
    struct load_opts o = {c->ignore_unknown, c->keep_students, 0, 0, lay, c->allow_names, 0,
                          c->sheet, 0, NULL, 0};
    struct load_stats st;
    memset(&st, 0, sizeof st);
    struct timespec t0;           /* wall time: the reader thread's CPU is not the file's */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long long id = 0, same = 0;
    int rc = store_import_begin(store, f, path, lay ? layout_name(lay) : NULL,
                                lay ? layout_sha256(lay) : NULL, &d);
    *store_failed = rc != 0;
    if (!rc) {
        rc = load_file(path, f, &o, &sink, &st, &d);
        if (sc.store_rc) rc = sc.store_rc;
        if (!rc) {
            cli_progress(&sc.bar, _("saving"), st.bytes, 0, st.records);
            rc = store_import_commit(store, st.sha256, st.rows, &id, &same, &d);
            *store_failed = rc != 0;
        } else {
            store_import_rollback(store);
        }
    }
    cli_progress_end(&sc.bar);
    if (sc.store_rc) *store_failed = 1;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = 1000.0 * (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    /* a failed store makes the rest of the file's messages moot: only its own is said */
    cli_print_diag(sc.store_rc ? &sc.store_d : &d);
    const char *p = cli_term(path);
    if (rc) {
        if (rc == SOKO_EINPUT)
            fprintf(stderr, _("%s: refused; nothing was stored from this file\n"), p);
        else
            fprintf(stderr, _("%s: %s; nothing was stored from this file\n"), p,
                    rc == SOKO_EIO ? _("i/o error") : rc == SOKO_EDB ? _("store error")
                                                                     : soko_rc_name(rc));
    } else if (!c->quiet) {
        if (same) {
            cli_summary(c, _("%s: unchanged: the same file is stored as import #%lld\n"), p, same);
        } else {
            long long rows, works, parts;
            store_last_import(store, &rows, &works, &parts);
            char *u = units(f, rows, works, parts);
            char *r = xasprintf(P_("%ld record", "%ld records", st.records), st.records);
            const char *kind;
            char *how = read_as(&st, &kind);
            cli_summary(c, _("%s: imported %s from %s as import #%lld (%s, %s, %.0f ms)\n"), p, u,
                        r, id, kind, how, ms);
            free(how);
            free(u);
            free(r);
        }
        print_left_out(c, path, f, &st);
        if (!same && sc.tasks_stored)
            cli_summary(c, P_("%s: %ld task total stored for the task analysis (vpr_tasks)\n",
                              "%s: %ld task totals stored for the task analysis (vpr_tasks)\n",
                              sc.tasks_stored), p, sc.tasks_stored);
        if (!same && sc.tasks_unplanned)
            cli_summary(c, P_("%s: %ld task total not stored: the store holds no plan of its work "
                              "(import the work's vpr_plan first, then this file again)\n",
                              "%s: %ld task totals not stored: the store holds no plan of their "
                              "works (import the works' vpr_plan first, then this file again)\n",
                              sc.tasks_unplanned), p, sc.tasks_unplanned);
    }
    free(sc.plan_subject);
    soko_diag_free(&sc.store_d);
    soko_diag_free(&d);
    return rc;
}

/* ------------------------------------------------------- recognising files
 * `soko import FILE...` without a form: each file is a unified form by its header, or
 * the export of a layout (defs/layouts, or SOKO_LAYOUTS) by its layout. */

struct known_layouts {
    struct layout **v;
    size_t n;
};

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME.ini of the layout directories, by name (the first directory's wins). */
static int all_layouts(struct cli *c, struct known_layouts *k)
{
    k->v = NULL;
    k->n = 0;
    const char *env = getenv("SOKO_LAYOUTS");
    char *search = env && *env ? xstrdup(env) : cli_def_file(c, NULL, "layouts");
    if (!search) return SOKO_EIO;
    char **names = NULL;
    size_t nn = 0;
    for (const char *q = search; *q;) {
        size_t len = strcspn(q, ":");
        char *dir = xstrndup(q, len);
        DIR *dp = opendir(dir);
        struct dirent *e;
        while (dp && (e = readdir(dp))) {
            size_t l = strlen(e->d_name);
            if (l <= 4 || strcmp(e->d_name + l - 4, ".ini") != 0 || e->d_name[0] == '.') continue;
            char *nm = xstrndup(e->d_name, l - 4);
            int dup = 0;
            for (size_t i = 0; i < nn && !dup; i++) dup = strcmp(names[i], nm) == 0;
            if (dup) {
                free(nm);
                continue;
            }
            names = xrealloc(names, (nn + 1) * sizeof *names);
            names[nn++] = nm;
        }
        if (dp) closedir(dp);
        free(dir);
        q += len;
        if (*q) q++;
    }
    qsort(names, nn, sizeof *names, name_cmp);
    for (size_t i = 0; i < nn; i++) {
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct layout *l = NULL;
        if (layout_load(names[i], search, &l, &d) == SOKO_OK) {
            k->v = xrealloc(k->v, (k->n + 1) * sizeof *k->v);
            k->v[k->n++] = l;
        } else {
            cli_print_diag(&d);
            fprintf(stderr, _("soko: layout %s refused; it is not tried\n"), cli_term(names[i]));
        }
        soko_diag_free(&d);
        free(names[i]);
    }
    free(names);
    free(search);
    return SOKO_OK;
}

/* 1 when path's header (and, for a layout, its titles) fits form f. */
static int fits(struct cli *c, const char *path, struct sheet_book *book, const struct form *f,
                struct layout *lay)
{
    struct soko_diag d;
    soko_diag_init(&d, 1);
    struct load_opts o;
    memset(&o, 0, sizeof o);
    o.ignore_unknown = c->ignore_unknown;
    o.layout = lay;
    o.sheet = c->sheet;
    o.header_only = 1;
    o.book = book;
    struct load_stats st;
    int rc = load_file(path, f, &o, NULL, &st, &d);
    soko_diag_free(&d);
    return rc == SOKO_OK;
}

struct recognised {
    const char *path;
    const struct form *form;
    struct layout *lay;       /* borrowed from known_layouts, or NULL */
    char *what;               /* what it was recognised as, for the reader */
    int order;                /* the form's place in forms_all() */
};

/* The order of import: the schools, the clusters, forms that refer to no school (the
 * conversion scales), then the results in the forms' order. */
static int form_order(const struct form *f)
{
    if (strcmp(f->name, "schools") == 0) return 0;
    if (strcmp(f->name, "clusters") == 0) return 1;
    if (!needs_registry(f)) return 2;
    const struct form *const *all = forms_all();
    for (int i = 0; all[i]; i++)
        if (all[i] == f) return 10 + i;
    return 99;
}

static int recog_cmp(const void *a, const void *b)
{
    const struct recognised *x = a, *y = b;
    if (x->order != y->order) return x->order - y->order;
    return (x > y) - (x < y);
}

/* What path is: one form or one layout. Prints why not and returns -1 when it is none
 * or several. */
static int recognise(struct cli *c, const char *path, const struct known_layouts *k,
                     struct recognised *r)
{
    struct sbuf cand = SBUF_INIT, tried = SBUF_INIT;
    size_t n = 0;
    memset(r, 0, sizeof *r);
    r->path = path;
    /* A workbook is opened once for every candidate (its shared strings read once); one
     * that cannot be opened is tried as it is, so that each candidate's load says why. */
    struct sheet_book *book = NULL;
    enum sheet_kind kind = SHEET_KIND_NONE;
    struct soko_diag bd;
    soko_diag_init(&bd, 1);
    struct sheet_limits lim;             /* as load_file opens it */
    memset(&lim, 0, sizeof lim);
    lim.max_row_bytes = LOAD_DEFAULT_MAX_RECORD;
    if (sheet_sniff(path, &kind, &bd) == SOKO_OK && kind != SHEET_KIND_NONE &&
        sheet_open(path, &lim, &book, NULL, &bd) != SOKO_OK)
        book = NULL;
    soko_diag_free(&bd);
    const struct form *const *all = forms_all();
    for (size_t i = 0; all[i]; i++) {
        const struct form *f = all[i];
        if (f->kind == FORM_INTERNAL) continue;
        sbuf_printf(&tried, "%s%s", tried.len ? ", " : "", f->name);
        if (!fits(c, path, book, f, NULL)) continue;
        sbuf_printf(&cand, "%s%s %s", n ? ", " : "", _("form"), f->name);
        if (!n++) {
            r->form = f;
            r->what = xasprintf(_("form %s (its own header)"), f->name);
        }
    }
    for (size_t i = 0; i < k->n; i++) {
        struct layout *l = k->v[i];
        sbuf_printf(&tried, ", %s %s", _("layout"), layout_name(l));
        if (!fits(c, path, book, layout_form(l), l)) continue;
        sbuf_printf(&cand, "%s%s %s (%s %s)", n ? ", " : "", _("layout"), layout_name(l),
                    _("form"), layout_form(l)->name);
        if (!n++) {
            struct sbuf w = SBUF_INIT;
            const char *desc = layout_description(l);
            sbuf_printf(&w, "%s", desc ? desc : layout_name(l));
            struct sbuf t = SBUF_INIT;
            layout_title_values(l, &t);
            if (t.len) sbuf_printf(&w, ", %s", t.s);
            sbuf_printf(&w, " → %s (%s %s)", layout_form(l)->name, _("layout"), layout_name(l));
            sbuf_free(&t);
            r->form = layout_form(l);
            r->lay = l;
            r->what = sbuf_take(&w);
        }
    }
    int rc = 0;
    if (n != 1) {
        if (n == 0)
            fprintf(stderr, _("%s: not recognised: its header is that of no form and no layout "
                              "(tried %s); expected 'soko import FORM FILE' or --layout NAME\n"),
                    cli_term(path), tried.s);
        else
            fprintf(stderr, _("%s: ambiguous: it fits %s; expected 'soko import FORM FILE' or "
                              "--layout NAME to choose\n"), cli_term(path), cand.s);
        fprintf(stderr, _("%s: refused; nothing was stored from this file\n"), cli_term(path));
        free(r->what);
        r->what = NULL;
        rc = -1;
    } else
        r->order = form_order(r->form);
    sheet_close(book);
    sbuf_free(&cand);
    sbuf_free(&tried);
    return rc;
}

static int import_files(struct cli *c);

/* soko import FILE... : each file recognised, then imported in the registry's order
 * (schools, clusters, then the results), each all or nothing. */
static int import_recognised(struct cli *c)
{
    /* a folder stands for its files (not hidden ones), by name */
    char **args = NULL;
    int nargs = 0;
    for (int i = 0; i < c->argc; i++) {
        struct stat sb;
        DIR *dp = stat(c->argv[i], &sb) == 0 && S_ISDIR(sb.st_mode) ? opendir(c->argv[i]) : NULL;
        if (!dp) {
            args = xrealloc(args, (size_t)(nargs + 1) * sizeof *args);
            args[nargs++] = xstrdup(c->argv[i]);
            continue;
        }
        struct dirent *e;
        int first = nargs;
        while ((e = readdir(dp))) {
            if (e->d_name[0] == '.') continue;
            char *f = xasprintf("%s/%s", c->argv[i], e->d_name);
            if (stat(f, &sb) == 0 && S_ISREG(sb.st_mode)) {
                args = xrealloc(args, (size_t)(nargs + 1) * sizeof *args);
                args[nargs++] = f;
            } else
                free(f);
        }
        closedir(dp);
        qsort(args + first, (size_t)(nargs - first), sizeof *args, name_cmp);
    }
    char **saved = c->argv;
    int saved_n = c->argc;
    c->argv = args;
    c->argc = nargs;
    int rc = import_files(c);
    c->argv = saved;
    c->argc = saved_n;
    for (int i = 0; i < nargs; i++) free(args[i]);
    free(args);
    return rc;
}

static int import_files(struct cli *c)
{
    for (int i = 0; i < c->argc; i++) {
        struct stat sb;
        if (stat(c->argv[i], &sb) != 0 || S_ISDIR(sb.st_mode) || access(c->argv[i], R_OK) != 0) {
            fprintf(stderr, _("soko: %s: %s; expected a file (soko import [FORM] FILE...)\n"),
                    cli_term(c->argv[i]), S_ISDIR(sb.st_mode) ? _("is a directory")
                                                              : strerror(errno));
            return SOKO_EIO;
        }
    }
    struct known_layouts k;
    int rc = all_layouts(c, &k);
    if (rc) return rc;
    struct recognised *v = xcalloc((size_t)c->argc, sizeof *v);
    size_t n = 0;
    int worst = SOKO_OK;
    for (int i = 0; i < c->argc; i++) {
        if (recognise(c, c->argv[i], &k, &v[n]) == 0) n++;
        else worst = SOKO_EINPUT;
    }
    qsort(v, n, sizeof *v, recog_cmp);
    struct store *s = NULL;
    if (n) rc = cli_open_store(c, 0, &s);
    for (size_t i = 0; i < n && !rc; i++) {
        if (!c->quiet) cli_summary(c, "%s: %s\n", cli_term(v[i].path), v[i].what);
        if (needs_registry(v[i].form)) {
            int empty = registry_empty(s);
            if (empty) {
                if (empty > 0) say_registry_empty(c);
                fprintf(stderr, _("%s: refused; nothing was stored from this file\n"),
                        cli_term(v[i].path));
                if (!worst) worst = empty > 0 ? SOKO_EINPUT : SOKO_EDB;
                continue;
            }
        }
        int store_failed = 0;
        int r = one_file(c, s, v[i].form, v[i].path, v[i].lay, &store_failed);
        if (r && !worst) worst = r;
        if (store_failed) break;
    }
    if (rc && !worst) worst = rc;
    store_close(s);
    for (size_t i = 0; i < n; i++) free(v[i].what);
    free(v);
    for (size_t i = 0; i < k.n; i++) layout_free(k.v[i]);
    free(k.v);
    return worst;
}

int cmd_import(struct cli *c)
{
    /* no form named: the files say what they are */
    if (c->argc >= 1 && !form_find(c->argv[0]) && !c->layout && access(c->argv[0], F_OK) == 0)
        return import_recognised(c);
    if (c->argc >= 1 && !form_find(c->argv[0]) && strpbrk(c->argv[0], "/.*") &&
        access(c->argv[0], F_OK) != 0) {
        fprintf(stderr, _("soko: %s: no such file; expected the path of an export or of a "
                          "form's file of your own (soko import [FORM] FILE...)\n"),
                cli_term(c->argv[0]));
        return SOKO_EIO;
    }
    if (c->argc >= 1 && !form_find(c->argv[0]) && c->layout) {
        /* soko import FILE... --layout NAME: the layout's form */
        struct soko_diag d;
        soko_diag_init(&d, 0);
        char *search = layout_search(c);
        struct layout *l = NULL;
        int lrc = search ? layout_load(c->layout, search, &l, &d) : SOKO_EIO;
        free(search);
        cli_print_diag(&d);
        soko_diag_free(&d);
        if (lrc) return lrc;
        static char *args[4096];
        if (c->argc + 1 > 4096) {
            layout_free(l);
            return SOKO_EUSAGE;
        }
        args[0] = (char *)layout_form(l)->name;
        for (int i = 0; i < c->argc; i++) args[i + 1] = c->argv[i];
        layout_free(l);
        c->argv = args;
        c->argc++;
    }
    if (c->argc < 2) {
        fprintf(stderr, _("soko: usage: soko import FORM FILE... (see soko help import)\n"));
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0], c->layout != NULL);
    if (!f) return SOKO_EUSAGE;
    int rc = files_readable(c, f);
    if (rc) return rc;
    struct layout *lay;
    rc = want_layout(c, f, &lay);
    if (rc) return rc;
    /* results before the registry: one sentence, before any file is read, and no store
       created for nothing */
    struct stat sb;
    if (needs_registry(f) && stat(c->db_path, &sb) != 0 && errno == ENOENT) {
        say_registry_empty(c);
        layout_free(lay);
        return SOKO_EINPUT;
    }
    struct store *s = NULL;
    rc = cli_open_store(c, 0, &s);
    if (rc) {
        layout_free(lay);
        return rc;
    }
    int empty = needs_registry(f) ? registry_empty(s) : 0;
    if (empty) {
        if (empty > 0) say_registry_empty(c);
        store_close(s);
        layout_free(lay);
        return empty > 0 ? SOKO_EINPUT : SOKO_EDB;
    }
    int worst = SOKO_OK;
    for (int i = 1; i < c->argc; i++) {
        int store_failed = 0;
        int r = one_file(c, s, f, c->argv[i], lay, &store_failed);
        if (r && !worst) worst = r;
        /* the store itself failed: the next files would fail the same way */
        if (store_failed) break;
    }
    store_close(s);
    layout_free(lay);
    return worst;
}

/* Checks one file of form f (through lay), against the store's registry when s. */
static int check_one(struct cli *c, struct store *s, const struct form *f, const char *path,
                     struct layout *lay)
{
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    struct sink_ctx sc;
    memset(&sc, 0, sizeof sc);
    sc.store = s;
    sc.file = path;
    soko_diag_init(&sc.store_d, 0);
    cli_progress_start(&sc.bar, c, path);
    struct load_sink sink = {&sc, sink_school, NULL, sink_progress, sink_known,
                             s ? sink_login : NULL, sink_scale, NULL};
    struct load_opts o = {c->ignore_unknown, 0, 0, 0, lay, c->allow_names, 0, c->sheet, 0, NULL, 0};
    struct load_stats st;
    int r = load_file(path, f, &o, &sink, &st, &d);
    cli_progress_end(&sc.bar);
    if (sc.store_rc) r = sc.store_rc;
    cli_print_diag(sc.store_rc ? &sc.store_d : &d);
    const char *p = cli_term(path);
    if (r)
        fprintf(stderr, "%s: %s\n", p, r == SOKO_EINPUT ? _("refused") : soko_rc_name(r));
    else if (!c->quiet) {
        char *recs = xasprintf(P_("%ld record", "%ld records", st.records), st.records);
        const char *kind;
        char *how = read_as(&st, &kind);
        printf(_("%s: ok, %s (%s, %s)%s\n"), p, recs, kind, how,
               s || !needs_registry(f) ? "" : _("; schools not checked: no store"));
        free(how);
        free(recs);
        print_left_out(c, path, f, &st);
    }
    soko_diag_free(&sc.store_d);
    soko_diag_free(&d);
    return r;
}

/* soko check FILE...: each file recognised as import does, then checked. */
static int check_recognised(struct cli *c)
{
    for (int i = 0; i < c->argc; i++)
        if (access(c->argv[i], R_OK) != 0) {
            fprintf(stderr, _("soko: %s: cannot open: %s\n"), cli_term(c->argv[i]),
                    strerror(errno));
            return SOKO_EIO;
        }
    struct known_layouts k;
    int rc = all_layouts(c, &k);
    if (rc) return rc;
    struct store *s = NULL;
    if (access(c->db_path, F_OK) == 0 && (rc = cli_open_store(c, 1, &s)) != 0) {
        for (size_t i = 0; i < k.n; i++) layout_free(k.v[i]);
        free(k.v);
        return rc;
    }
    int worst = SOKO_OK;
    for (int i = 0; i < c->argc; i++) {
        struct recognised r;
        if (recognise(c, c->argv[i], &k, &r) != 0) {
            if (!worst) worst = SOKO_EINPUT;
            continue;
        }
        if (!c->quiet) printf("%s: %s\n", cli_term(r.path), r.what);
        int e = check_one(c, s, r.form, r.path, r.lay);
        if (e && !worst) worst = e;
        free(r.what);
    }
    store_close(s);
    for (size_t i = 0; i < k.n; i++) layout_free(k.v[i]);
    free(k.v);
    return worst;
}

int cmd_check(struct cli *c)
{
    if (c->argc >= 1 && !form_find(c->argv[0]) && !c->layout && access(c->argv[0], F_OK) == 0)
        return check_recognised(c);
    /* check validates against the registry when there is a store, read-only */
    if (c->argc < 2) {
        fprintf(stderr, _("soko: usage: soko check FORM FILE... (see soko help check)\n"));
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0], c->layout != NULL);
    if (!f) return SOKO_EUSAGE;
    int rc = files_readable(c, f);
    if (rc) return rc;
    struct layout *lay;
    rc = want_layout(c, f, &lay);
    if (rc) return rc;
    struct store *s = NULL;
    if (access(c->db_path, F_OK) == 0) {
        rc = cli_open_store(c, 1, &s);
        if (rc) {
            layout_free(lay);
            return rc;
        }
        int empty = needs_registry(f) ? registry_empty(s) : 0;
        if (empty) {
            if (empty > 0) say_registry_empty(c);
            store_close(s);
            layout_free(lay);
            return empty > 0 ? SOKO_EINPUT : SOKO_EDB;
        }
    }
    int worst = SOKO_OK;
    for (int i = 1; i < c->argc; i++) {
        int r = check_one(c, s, f, c->argv[i], lay);
        if (r && !worst) worst = r;
    }
    store_close(s);
    layout_free(lay);
    return worst;
}

/* ------------------------------------------------------------- template */

int cmd_template(struct cli *c)
{
    if (c->argc != 1) {
        fprintf(stderr, _("soko: usage: soko template FORM [--ru] (see soko help template)\n"));
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0], 0);
    if (!f) return SOKO_EUSAGE;
    if (c->ru) fputs("\xEF\xBB\xBF", stdout);   /* BOM: Excel then reads UTF-8 */
    for (size_t i = 0; i < f->ncols; i++) {
        char ru[128];
        const char *h = c->ru ? form_col_ru(&f->cols[i], ru, sizeof ru) : f->cols[i].name;
        int quote = strpbrk(h, ",;\"") != NULL;
        if (i) fputc(c->ru ? ';' : ',', stdout);
        if (quote) {
            fputc('"', stdout);
            for (const char *p = h; *p; p++) {
                if (*p == '"') fputc('"', stdout);
                fputc(*p, stdout);
            }
            fputc('"', stdout);
        } else
            fputs(h, stdout);
    }
    fputs(c->ru ? "\r\n" : "\n", stdout);
    return SOKO_OK;
}

/* Pads s (display width w) to `width` columns with spaces. */
static void put_padded(const char *s, size_t width)
{
    fputs(s, stdout);
    for (size_t w = utf8_width(s); w < width; w++) putchar(' ');
}

int cmd_forms(struct cli *c)
{
    (void)c;
    size_t wn = 0, wt = 0;
    for (size_t i = 0; forms_all()[i]; i++) {
        const struct form *f = forms_all()[i];
        if (f->kind == FORM_INTERNAL) continue;
        if (utf8_width(f->name) > wn) wn = utf8_width(f->name);
        if (utf8_width(f->title_ru) > wt) wt = utf8_width(f->title_ru);
    }
    for (size_t i = 0; forms_all()[i]; i++) {
        const struct form *f = forms_all()[i];
        if (f->kind == FORM_INTERNAL) continue;
        put_padded(f->name, wn + 2);
        put_padded(f->title_ru, wt + 2);
        printf("%s\n", _(f->doc));
    }
    return SOKO_OK;
}

/* -------------------------------------------------------------- history */

/* "2025-03-01T12:00:00Z" (UTC, as stored) in local time with the offset from UTC:
 * "2025-03-01 15:00:00 +0300". Anything else is shown as it is. */
static void local_time(const char *iso, char *out, size_t n)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char z = 0;
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &z) == 7 && z == 'Z') {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        struct tm lt;
        if (t != (time_t)-1 && localtime_r(&t, &lt) && strftime(out, n, "%Y-%m-%d %H:%M:%S %z", &lt))
            return;
    }
    snprintf(out, n, "%s", iso);
}

struct hist_row {
    long long id;
    char *form, *status, *stored, *time, *sha, *file;
};

struct hist {
    struct hist_row *v;
    size_t n;
};

static int collect_import(void *ctx, const struct import_info *ii)
{
    struct hist *h = ctx;
    h->v = xrealloc(h->v, (h->n + 1) * sizeof *h->v);
    struct hist_row *r = &h->v[h->n++];
    const struct form *f = form_find(ii->form);
    r->id = ii->id;
    r->form = xstrdup(ii->form);
    /* the stored status ('active', 'undone') in the user's words */
    static const char *const statuses[] = {N_("active"), N_("undone")};
    const char *st = ii->status;
    for (size_t k = 0; k < sizeof statuses / sizeof *statuses; k++)
        if (strcmp(st, statuses[k]) == 0) st = _(statuses[k]);
    r->status = xstrdup(st);
    if (f && f->kind == FORM_STUDENTS && ii->works >= 0)
        r->stored = units(f, ii->rows, ii->works, ii->participants);
    else
        r->stored = xasprintf(P_("%ld row", "%ld rows", ii->rows), ii->rows);
    char t[64];
    local_time(ii->started, t, sizeof t);
    r->time = xstrdup(t);
    r->sha = xstrndup(ii->sha256, 12);
    if (ii->layout) r->file = xasprintf("%s  layout %s", cli_term(ii->file), cli_term(ii->layout));
    else r->file = xstrdup(cli_term(ii->file));
    return 0;
}

int cmd_imports(struct cli *c)
{
    struct store *s;
    int rc = cli_open_store(c, 1, &s);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct hist h = {NULL, 0};
    rc = store_imports(s, collect_import, &h, &d);
    cli_print_diag(&d);
    soko_diag_free(&d);
    store_close(s);
    if (rc) {
        for (size_t i = 0; i < h.n; i++) {
            struct hist_row *r = &h.v[i];
            free(r->form), free(r->status), free(r->stored), free(r->time), free(r->sha), free(r->file);
        }
        free(h.v);
        return rc;
    }
    const char *head[] = {"id", _("form"), _("status"), _("stored"), _("time (local)"), "sha256",
                          _("file")};
    size_t w[7];
    for (int j = 0; j < 7; j++) w[j] = utf8_width(head[j]);
    for (size_t i = 0; i < h.n; i++) {
        struct hist_row *r = &h.v[i];
        char id[32];
        snprintf(id, sizeof id, "%lld", r->id);
        const char *cells[7] = {id, r->form, r->status, r->stored, r->time, r->sha, r->file};
        for (int j = 0; j < 7; j++)
            if (utf8_width(cells[j]) > w[j]) w[j] = utf8_width(cells[j]);
    }
    for (size_t i = 0; i <= h.n; i++) {
        struct hist_row *r = i ? &h.v[i - 1] : NULL;
        char id[32];
        if (r) snprintf(id, sizeof id, "%lld", r->id);
        const char *cells[7] = {r ? id : head[0], r ? r->form : head[1], r ? r->status : head[2],
                                r ? r->stored : head[3], r ? r->time : head[4],
                                r ? r->sha : head[5], r ? r->file : head[6]};
        for (size_t k = utf8_width(cells[0]); k < w[0]; k++) putchar(' ');
        fputs(cells[0], stdout);
        for (int j = 1; j < 7; j++) {
            fputs("  ", stdout);
            if (j == 6) fputs(cells[j], stdout);
            else put_padded(cells[j], w[j]);
        }
        putchar('\n');
        if (r) {
            free(r->form), free(r->status), free(r->stored), free(r->time), free(r->sha), free(r->file);
        }
    }
    free(h.v);
    return SOKO_OK;
}

/* An import id: digits only, 1..LLONG_MAX. 0 when good, -1 when not a number, -2 when
 * out of range. */
static int parse_id(const char *s, long long *id)
{
    if (!*s || strspn(s, "0123456789") != strlen(s)) return -1;
    errno = 0;
    char *end;
    *id = strtoll(s, &end, 10);
    if (errno == ERANGE || *id < 1) return -2;
    return 0;
}

int cmd_undo(struct cli *c)
{
    long long id = 0;
    int bad = c->argc == 1 ? parse_id(c->argv[0], &id) : -1;
    if (bad == -2) {
        fprintf(stderr, _("soko: undo: %s is out of range; expected an import id from 1 to %lld "
                          "(see soko imports)\n"), cli_term(c->argv[0]), (long long)LLONG_MAX);
        return SOKO_EUSAGE;
    }
    if (bad) {
        fprintf(stderr, _("soko: usage: soko undo ID (an id from 'soko imports')\n"));
        return SOKO_EUSAGE;
    }
    if (access(c->db_path, F_OK) != 0) {
        fprintf(stderr, _("soko: %s: no store here yet; expected a database made by 'soko "
                          "import' (or give --db PATH)\n"), cli_term(c->db_path));
        return SOKO_EDB;
    }
    struct store *s;
    int rc = cli_open_store(c, 0, &s);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    rc = store_undo(s, id, &d);
    for (size_t i = 0; i < d.nmsgs; i++) fprintf(stderr, "soko: %s\n", cli_term(d.msgs[i]));
    if (!rc && !c->quiet) cli_summary(c, _("import #%lld undone\n"), id);
    soko_diag_free(&d);
    store_close(s);
    return rc;
}

int cmd_status(struct cli *c)
{
    struct store *s;
    int rc = cli_open_store(c, 1, &s);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    /* the works of vpr_students, for the vpr line */
    long long works = 0, parts = 0, kept = 0;
    rc = store_student_counts(s, form_find("vpr_students"), &works, &parts, &kept, &d);
    if (!rc) printf("%s:\n", cli_term(c->db_path));
    for (size_t i = 0; forms_all()[i] && !rc; i++) {
        const struct form *f = forms_all()[i];
        long long n;
        rc = store_count(s, f->name, &n, &d);
        if (rc) break;
        char *u;
        if (f->kind == FORM_STUDENTS) {
            long long fw = 0, fp = 0, fk = 0;
            rc = store_student_counts(s, f, &fw, &fp, &fk, &d);
            if (rc) break;
            char *w = units(f, n, fw, fp);
            if (fk) {
                u = xasprintf(P_("%s; %lld student row kept", "%s; %lld student rows kept", fk),
                              w, fk);
                free(w);
            } else {
                u = w;
            }
        } else if (strcmp(f->name, "vpr") == 0 && works) {
            char *r = xasprintf(P_("%lld row", "%lld rows", n), n);
            u = xasprintf(P_("%s (%lld of them from per-student files)",
                             "%s (%lld of them from per-student files)", works), r, works);
            free(r);
        } else {
            u = xasprintf(P_("%lld row", "%lld rows", n), n);
        }
        /* the count first, right-aligned, then its unit: "  vpr  2537 rows ..." */
        const char *sp = strchr(u, ' ');
        size_t nd = sp ? (size_t)(sp - u) : strlen(u);
        printf("  %-13s %*s%s  %s\n", f->name, nd < 8 ? (int)(8 - nd) : 0, "", u, f->title_ru);
        free(u);
    }
    cli_print_diag(&d);
    soko_diag_free(&d);
    store_close(s);
    return rc;
}
