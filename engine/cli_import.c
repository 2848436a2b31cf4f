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
#include "store.h"

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

static const struct form *want_form(const char *name)
{
    const struct form *f = form_find(name);
    if (!f || f->kind == FORM_INTERNAL) {
        fprintf(stderr, _("soko: unknown form '%s'; expected one of:"), cli_term(name));
        for (size_t i = 0; soko_forms[i]; i++)
            if (soko_forms[i]->kind != FORM_INTERNAL) fprintf(stderr, " %s", soko_forms[i]->name);
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
            fprintf(stderr, _("soko: %s: is a directory; expected a CSV file\n"), cli_term(p));
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
    return store_school_exists(s->store, value);
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

/* What a layout left out of the store, said plainly: nothing is dropped silently. */
static void print_left_out(struct cli *c, const char *path, const struct load_stats *st)
{
    const char *p = cli_term(path);
    if (st->skipped)
        cli_summary(c, P_("%s: %ld record skipped by the layout's skip rules (totals rows)\n",
                          "%s: %ld records skipped by the layout's skip rules (totals rows)\n",
                          st->skipped), p, st->skipped);
    if (st->suppressed) {
        struct sbuf b = SBUF_INIT;
        for (long i = 0; i < st->suppressed && i < LOAD_NLINES; i++)
            sbuf_printf(&b, "%s %ld", i ? "," : "", st->suppressed_line[i]);
        if (st->suppressed > LOAD_NLINES) sbuf_adds(&b, ", ...");
        cli_summary(c, P_("%s: %ld record with suppressed values not stored (lines%s)\n",
                          "%s: %ld records with suppressed values not stored (lines%s)\n",
                          st->suppressed), p, st->suppressed, b.s);
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
    struct load_sink sink = {&sc, sink_school, sink_row, sink_progress, sink_known};
    struct load_opts o = {c->ignore_unknown, c->keep_students, 0, 0, lay, c->allow_names, 0};
    struct load_stats st;
    memset(&st, 0, sizeof st);
    clock_t t0 = clock();
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
    double ms = 1000.0 * (double)(clock() - t0) / CLOCKS_PER_SEC;
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
            cli_summary(c, _("%s: imported %s from %s as import #%lld (%s, %s, %.0f ms)\n"), p, u,
                        r, id, enc_name(&st), delim_name(st.delim), ms);
            free(u);
            free(r);
        }
        print_left_out(c, path, &st);
    }
    soko_diag_free(&sc.store_d);
    soko_diag_free(&d);
    return rc;
}

int cmd_import(struct cli *c)
{
    if (c->argc < 2) {
        fprintf(stderr, _("soko: usage: soko import FORM FILE... (see soko help import)\n"));
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0]);
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

int cmd_check(struct cli *c)
{
    /* check validates against the registry when there is a store, read-only */
    if (c->argc < 2) {
        fprintf(stderr, _("soko: usage: soko check FORM FILE... (see soko help check)\n"));
        return SOKO_EUSAGE;
    }
    const struct form *f = want_form(c->argv[0]);
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
        struct soko_diag d;
        soko_diag_init(&d, (size_t)c->max_errors);
        struct sink_ctx sc;
        memset(&sc, 0, sizeof sc);
        sc.store = s;
        sc.file = c->argv[i];
        soko_diag_init(&sc.store_d, 0);
        cli_progress_start(&sc.bar, c, c->argv[i]);
        struct load_sink sink = {&sc, sink_school, NULL, sink_progress, sink_known};
        struct load_opts o = {c->ignore_unknown, 0, 0, 0, lay, c->allow_names, 0};
        struct load_stats st;
        int r = load_file(c->argv[i], f, &o, &sink, &st, &d);
        cli_progress_end(&sc.bar);
        if (sc.store_rc) r = sc.store_rc;
        cli_print_diag(sc.store_rc ? &sc.store_d : &d);
        const char *p = cli_term(c->argv[i]);
        if (r)
            fprintf(stderr, "%s: %s\n", p, r == SOKO_EINPUT ? _("refused") : soko_rc_name(r));
        else if (!c->quiet) {
            char *recs = xasprintf(P_("%ld record", "%ld records", st.records), st.records);
            printf(_("%s: ok, %s (%s, %s)%s\n"), p, recs, enc_name(&st), delim_name(st.delim),
                   s || !needs_registry(f) ? "" : _("; schools not checked: no store"));
            free(recs);
            print_left_out(c, c->argv[i], &st);
        }
        if (r && !worst) worst = r;
        soko_diag_free(&sc.store_d);
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
        fprintf(stderr, _("soko: usage: soko template FORM [--ru] (see soko help template)\n"));
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
    for (size_t i = 0; soko_forms[i]; i++) {
        const struct form *f = soko_forms[i];
        if (f->kind == FORM_INTERNAL) continue;
        if (utf8_width(f->name) > wn) wn = utf8_width(f->name);
        if (utf8_width(f->title_ru) > wt) wt = utf8_width(f->title_ru);
    }
    for (size_t i = 0; soko_forms[i]; i++) {
        const struct form *f = soko_forms[i];
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
    long long works = 0, parts = 0, kept = 0;
    rc = store_student_counts(s, &works, &parts, &kept, &d);
    if (!rc) printf("%s:\n", cli_term(c->db_path));
    for (size_t i = 0; soko_forms[i] && !rc; i++) {
        const struct form *f = soko_forms[i];
        long long n;
        rc = store_count(s, f->name, &n, &d);
        if (rc) break;
        char *u;
        if (f->kind == FORM_STUDENTS) {
            char *w = units(f, n, works, parts);
            if (kept) {
                u = xasprintf(P_("%s; %lld student row kept", "%s; %lld student rows kept", kept),
                              w, kept);
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
