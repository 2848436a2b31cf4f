/*
 * cli_import.c — the commands around import: import, check, template, forms,
 * imports, undo, status.
 */
#include "cli.h"
#include "layout.h"
#include "forms.h"
#include "load.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_print_diag(const struct soko_diag *d)
{
    for (size_t i = 0; i < d->nmsgs; i++) fprintf(stderr, "%s\n", d->msgs[i]);
    if (d->total > d->nmsgs)
        fprintf(stderr, "... and %zu more errors\n", d->total - d->nmsgs);
    for (size_t i = 0; i < d->nnotes; i++) fprintf(stderr, "note: %s\n", d->notes[i]);
}

int cli_open_store(struct cli *c, int readonly, struct store **s)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    if (readonly && access(c->db_path, F_OK) != 0) {
        fprintf(stderr, "soko: %s: no store here yet; expected a database made by 'soko import' "
                        "(or give --db PATH)\n", c->db_path);
        soko_diag_free(&d);
        return SOKO_EDB;
    }
    int rc = store_open(c->db_path, readonly, s, &d);
    if (rc) {
        for (size_t i = 0; i < d.nmsgs; i++) fprintf(stderr, "soko: %s\n", d.msgs[i]);
    }
    soko_diag_free(&d);
    return rc;
}

static const struct form *want_form(const char *name)
{
    const struct form *f = form_find(name);
    if (!f || f->kind == FORM_INTERNAL) {
        fprintf(stderr, "soko: unknown form '%s'; expected one of:", name);
        for (size_t i = 0; soko_forms[i]; i++)
            if (soko_forms[i]->kind != FORM_INTERNAL) fprintf(stderr, " %s", soko_forms[i]->name);
        fprintf(stderr, "\n");
        return NULL;
    }
    return f;
}

/* ------------------------------------------------------------- the sink */

struct sink_ctx {
    struct store *store;      /* NULL for check without a store */
    const char *file;
    int bar;                  /* draw a progress bar */
};

static int sink_school(void *ctx, const char *id)
{
    struct sink_ctx *s = ctx;
    return s->store ? store_school_exists(s->store, id) : 1;
}

/* load_sink.known: the registry answers for school codes; the other name-like keys
 * (subject, cluster_id) need a look-up the store does not offer yet, so for them
 * nothing is known and only the file itself is checked for look-alikes. */
static int sink_known(void *ctx, const char *column, const char *value)
{
    struct sink_ctx *s = ctx;
    if (!s->store || strcmp(column, "school_id") != 0) return 0;
    return store_school_exists(s->store, value);
}

static int sink_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    struct sink_ctx *s = ctx;
    return s->store ? store_put_row(s->store, r, d) : SOKO_OK;
}

static void sink_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct sink_ctx *s = ctx;
    if (!s->bar || total == 0) return;
    int pct = (int)(100.0 * (double)done / (double)total);
    int w = pct / 4;
    fprintf(stderr, "\r%-30.30s [%.*s%*s] %3d%% %6.1f MB", s->file, w,
            "##########################", 25 - w, "", pct, (double)done / 1e6);
    if (done >= total) fprintf(stderr, "\n");
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
        fprintf(stderr, "soko: layout %s refused\n", c->layout);
        return rc;
    }
    if (layout_form(*out) != f) {
        fprintf(stderr, "soko: layout %s is for form %s; expected 'soko import %s FILE "
                        "--layout %s'\n", c->layout, layout_form(*out)->name,
                layout_form(*out)->name, c->layout);
        layout_free(*out);
        *out = NULL;
        return SOKO_EUSAGE;
    }
    return SOKO_OK;
}

/* What a layout left out of the store, said plainly: nothing is dropped silently. */
static void print_left_out(const char *path, const struct load_stats *st)
{
    if (st->skipped)
        printf("%s: %ld records skipped by the layout's skip rules (totals rows)\n", path,
               st->skipped);
    if (st->suppressed) {
        printf("%s: %ld records with suppressed values not stored (lines", path, st->suppressed);
        for (long i = 0; i < st->suppressed && i < LOAD_NLINES; i++)
            printf("%s %ld", i ? "," : "", st->suppressed_line[i]);
        printf("%s)\n", st->suppressed > LOAD_NLINES ? ", ..." : "");
    }
    if (st->dropped)
        printf("%s: %ld records repeat a key already read; the first was kept "
               "(duplicates = first)\n", path, st->dropped);
}

/* Imports one file in one transaction. */
static int one_file(struct cli *c, struct store *store, const struct form *f, const char *path,
                    struct layout *lay)
{
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    struct sink_ctx sc = {store, path, 0};
    FILE *probe = fopen(path, "rb");
    if (probe) {
        if (fseek(probe, 0, SEEK_END) == 0 && ftell(probe) > (8L << 20) && isatty(2) && !c->quiet)
            sc.bar = 1;
        fclose(probe);
    }
    struct load_sink sink = {&sc, sink_school, sink_row, sink_progress, sink_known};
    struct load_opts o = {c->ignore_unknown, c->keep_students, 0, 0, lay, 0, 0};
    struct load_stats st;
    clock_t t0 = clock();
    long long id = 0, same = 0;
    int rc = store_import_begin(store, f, path, lay ? layout_name(lay) : NULL,
                                lay ? layout_sha256(lay) : NULL, &d);
    if (!rc) {
        rc = load_file(path, f, &o, &sink, &st, &d);
        if (!rc) rc = store_import_commit(store, st.sha256, st.rows, &id, &same, &d);
        else store_import_rollback(store);
    }
    double ms = 1000.0 * (double)(clock() - t0) / CLOCKS_PER_SEC;
    cli_print_diag(&d);
    if (rc) {
        fprintf(stderr, "%s: %s; nothing was stored from this file\n", path,
                rc == SOKO_EINPUT ? "refused" : soko_rc_name(rc));
    } else if (!c->quiet) {
        const char *what = f->kind == FORM_STUDENTS ? "works" : "rows";
        long n = f->kind == FORM_STUDENTS ? st.works : st.rows;
        if (same)
            printf("%s: unchanged: the same file is stored as import #%lld\n", path, same);
        else
            printf("%s: imported %ld %s from %ld records as import #%lld (%s, %s, %.0f ms)\n",
                   path, n, what, st.records, id, enc_name(&st), delim_name(st.delim), ms);
        print_left_out(path, &st);
    }
    soko_diag_free(&d);
    return rc;
}

int cmd_import(struct cli *c)
{
    if (c->argc < 2) {
        fprintf(stderr, "soko: usage: soko import FORM FILE...\n");
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0]);
    if (!f) return SOKO_EUSAGE;
    struct layout *lay;
    int rc = want_layout(c, f, &lay);
    if (rc) return rc;
    struct store *s = NULL;
    rc = cli_open_store(c, 0, &s);
    if (rc) {
        layout_free(lay);
        return rc;
    }
    int worst = SOKO_OK;
    for (int i = 1; i < c->argc; i++) {
        int r = one_file(c, s, f, c->argv[i], lay);
        if (r && !worst) worst = r;
    }
    store_close(s);
    layout_free(lay);
    return worst;
}

int cmd_check(struct cli *c)
{
    /* check validates against the registry when there is a store, read-only */
    if (c->argc < 2) {
        fprintf(stderr, "soko: usage: soko check FORM FILE...\n");
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0]);
    if (!f) return SOKO_EUSAGE;
    struct layout *lay;
    int rc = want_layout(c, f, &lay);
    if (rc) return rc;
    struct store *s = NULL;
    if (access(c->db_path, F_OK) == 0) {
        rc = cli_open_store(c, 1, &s);
        if (rc) {
            layout_free(lay);
            return rc;
        }
    }
    int worst = SOKO_OK;
    for (int i = 1; i < c->argc; i++) {
        struct soko_diag d;
        soko_diag_init(&d, (size_t)c->max_errors);
        struct sink_ctx sc = {s, c->argv[i], 0};
        struct load_sink sink = {&sc, sink_school, NULL, NULL, sink_known};
        struct load_opts o = {c->ignore_unknown, 0, 0, 0, lay, 0, 0};
        struct load_stats st;
        int r = load_file(c->argv[i], f, &o, &sink, &st, &d);
        cli_print_diag(&d);
        if (r)
            fprintf(stderr, "%s: %s\n", c->argv[i], r == SOKO_EINPUT ? "refused" : soko_rc_name(r));
        else if (!c->quiet)
        {
            printf("%s: ok, %ld records (%s, %s)%s\n", c->argv[i], st.records, enc_name(&st),
                   delim_name(st.delim), s ? "" : "; schools not checked: no store");
            print_left_out(c->argv[i], &st);
        }
        if (r && !worst) worst = r;
        soko_diag_free(&d);
    }
    store_close(s);
    layout_free(lay);
    return worst;
}

/* ------------------------------------------------------------- template */

int cmd_template(struct cli *c)
{
    if (c->argc != 1) {
        fprintf(stderr, "soko: usage: soko template FORM [--ru]\n");
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0]);
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

int cmd_forms(struct cli *c)
{
    (void)c;
    for (size_t i = 0; soko_forms[i]; i++) {
        const struct form *f = soko_forms[i];
        if (f->kind == FORM_INTERNAL) continue;
        printf("%-13s %-40s %s\n", f->name, f->title_ru, f->doc);
    }
    return SOKO_OK;
}

/* -------------------------------------------------------------- history */

static int print_import(void *ctx, const struct import_info *ii)
{
    (void)ctx;
    printf("%5lld  %-12s %-7s %7ld  %s  %.12s  %s%s%s\n", ii->id, ii->form, ii->status, ii->rows,
           ii->started, ii->sha256, ii->file, ii->layout ? "  layout " : "",
           ii->layout ? ii->layout : "");
    return 0;
}

int cmd_imports(struct cli *c)
{
    struct store *s;
    int rc = cli_open_store(c, 1, &s);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    printf("%5s  %-12s %-7s %7s  %-20s  %-12s  %s\n", "id", "form", "status", "rows", "time (UTC)",
           "sha256", "file");
    rc = store_imports(s, print_import, NULL, &d);
    cli_print_diag(&d);
    soko_diag_free(&d);
    store_close(s);
    return rc;
}

int cmd_undo(struct cli *c)
{
    char *end;
    long long id = c->argc == 1 ? strtoll(c->argv[0], &end, 10) : 0;
    if (c->argc != 1 || *end || id <= 0) {
        fprintf(stderr, "soko: usage: soko undo ID (an id from 'soko imports')\n");
        return SOKO_EUSAGE;
    }
    struct store *s;
    int rc = cli_open_store(c, 0, &s);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    rc = store_undo(s, id, &d);
    for (size_t i = 0; i < d.nmsgs; i++) fprintf(stderr, "soko: %s\n", d.msgs[i]);
    if (!rc && !c->quiet) printf("import #%lld undone\n", id);
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
    printf("%s:\n", c->db_path);
    for (size_t i = 0; soko_forms[i] && !rc; i++) {
        long long n;
        rc = store_count(s, soko_forms[i]->name, &n, &d);
        if (!rc) printf("  %-13s %8lld rows  %s\n", soko_forms[i]->name, n, soko_forms[i]->title_ru);
    }
    cli_print_diag(&d);
    soko_diag_free(&d);
    store_close(s);
    return rc;
}
