/*
 * cli_note.c — `soko note --cluster ID`, `soko card --school ID` (the school card, карточка ОО), `soko report`:
 * gathers what note.h renders — indicator results (defs/note.ini and the standard
 * indicators), cluster membership, school and cluster names, the rules' flags, the
 * import history, the hashes of the definition files — and calls the writer.
 *
 * The registry's names come from store.h (store_school_names, store_cluster_names);
 * the display names and the subject map from names.ini and subjects.ini (names.h);
 * the note's lists from the [note] section of note.ini. The results the note reads
 * have their subjects mapped (names_normalize). No SQL here; the writers run none.
 */
#include "analysis.h"
#include "cli.h"
#include "formdef.h"
#include "indicators.h"
#include "names.h"
#include "note.h"
#include "rules.h"
#include "tasks.h"
#include "stats.h"
#include "store.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}


static int valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
    int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || m < 1 || m > 12 || d < 1) return 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

struct gather {
    struct store *store;
    struct ind_set *std, *note;
    struct ind_results res;
    struct ind_members members;
    struct ana_models models;
    struct rule_set rules;
    struct rule_flags flags;
    struct task_result tasks;     /* the task rules' findings (tasks.h) */
    struct rules_methods methods; /* φ, τ² and context fits behind the rules' tests */
    struct store_works works;     /* score histograms, for the card */
    int have_members, have_models, have_rules, have_tasks, have_methods;
    struct note_school *schools;
    size_t nschools;
    struct note_cluster *clusters;
    size_t nclusters;
    struct note_import *imports;
    size_t nimports, cimports;
    struct note_file *files;
    size_t nfiles;
    struct note_spec spec;
    int have_spec;
    struct names *names;
    struct ind_results norm;  /* res with subjects mapped */
    char **strs;          /* strings owned here */
    size_t nstrs;
    char date[11];
    int win0, win1;       /* the window */
};

static const char *own(struct gather *g, const char *s)
{
    g->strs = xrealloc(g->strs, (g->nstrs + 1) * sizeof *g->strs);
    return g->strs[g->nstrs++] = xstrdup(s ? s : "");
}

static void gather_free(struct gather *g)
{
    if (g->have_spec) note_spec_free(&g->spec);
    names_free(g->names);
    free(g->norm.v);
    rule_flags_free(&g->flags);
    if (g->have_tasks) tasks_free(&g->tasks);
    if (g->have_methods) rules_methods_free(&g->methods);
    store_works_free(&g->works);
    if (g->have_rules) rules_free(&g->rules);
    if (g->have_models) ana_models_free(&g->models);
    if (g->have_members) ind_members_free(&g->members);
    ind_results_free(&g->res);
    if (g->note) ind_set_free(g->note);
    if (g->std) ind_set_free(g->std);
    if (g->store) store_close(g->store);
    for (size_t i = 0; i < g->nstrs; i++) free(g->strs[i]);
    free(g->strs);
    free(g->schools);
    free(g->clusters);
    free(g->imports);
    free(g->files);
}

static int collect_import(void *ctx, const struct import_info *ii)
{
    struct gather *g = ctx;
    if (strcmp(ii->status, "active") != 0) return 0;
    if (g->nimports == g->cimports) {
        g->cimports = g->cimports ? 2 * g->cimports : 16;
        g->imports = xrealloc(g->imports, g->cimports * sizeof *g->imports);
    }
    struct note_import *m = &g->imports[g->nimports++];
    m->id = ii->id;
    m->form = own(g, ii->form);
    m->file = own(g, ii->file);
    m->sha256 = own(g, ii->sha256);
    m->rows = ii->rows;
    return 0;
}

static int add_school(void *ctx, const char *id, const char *name, const char *kind,
                      const char *profile)
{
    struct gather *g = ctx;
    g->schools = xrealloc(g->schools, (g->nschools + 1) * sizeof *g->schools);
    struct note_school *s = &g->schools[g->nschools++];
    s->id = own(g, id);
    s->name = own(g, name);
    s->kind = own(g, kind);
    s->profile = own(g, profile);
    return 0;
}

static int add_cluster(void *ctx, const char *id, const char *name)
{
    struct gather *g = ctx;
    g->clusters = xrealloc(g->clusters, (g->nclusters + 1) * sizeof *g->clusters);
    struct note_cluster *c = &g->clusters[g->nclusters++];
    c->id = own(g, id);
    c->name = own(g, name);
    return 0;
}

static int read_names(struct gather *g, struct soko_diag *d)
{
    int rc = store_school_names(g->store, add_school, g, d);
    if (!rc) rc = store_cluster_names(g->store, add_cluster, g, d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How a definition file is named in the note: relative to the definitions root when
 * it lies there (the same in any checkout or install), else its last directory and
 * name. Borrowed from path. */
static const char *def_name(const char *root, const char *path)
{
    size_t n = root ? strlen(root) : 0;
    if (n && strncmp(path, root, n) == 0 && path[n] == '/') return path + n + 1;
    const char *cut = path, *last = strrchr(path, '/');
    if (last) {
        cut = last;
        while (cut > path && cut[-1] != '/') cut--;
    }
    return cut;
}

/* SHA-256 of every *.ini of the indicators directory, the note's file, the rules, the
 * context models (when there is such a file) and the definitions of defined forms. */
static int hash_files(struct gather *g, const char *root, const char *defs, const char *note,
                      const char *rules, const char *context, struct soko_diag *d)
{
    char **names = NULL;
    size_t n = 0;
    DIR *dir = opendir(defs);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l < 5 || strcmp(e->d_name + l - 4, ".ini") != 0) continue;
            names = xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = xasprintf("%s/%s", defs, e->d_name);
        }
        closedir(dir);
        qsort(names, n, sizeof *names, cmp_str);
    }
    names = xrealloc(names, (n + 3) * sizeof *names);
    const char *more[3] = {note, rules, context};
    for (int k = 0; k < 3; k++) {
        struct stat sb;
        int dup = !more[k] || stat(more[k], &sb) != 0;
        for (size_t i = 0; i < n && !dup; i++)
            if (strcmp(names[i], more[k]) == 0) dup = 1;
        if (!dup || (k == 0 && more[k])) names[n++] = xstrdup(more[k]);
    }
    /* the forms the district defined (their columns and checks shaped the data) */
    for (size_t i = 0; forms_all()[i]; i++)
        if (formdef_file(forms_all()[i])) {
            names = xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = xstrdup(formdef_file(forms_all()[i]));
        }
    int rc = SOKO_OK;
    g->files = xcalloc(n, sizeof *g->files);
    for (size_t i = 0; i < n; i++) {
        char hex[65];
        if (!rc && sha256_file(names[i], hex, d) == SOKO_OK) {
            g->files[g->nfiles].path = own(g, def_name(root, names[i]));
            g->files[g->nfiles++].sha256 = own(g, hex);
        } else if (!rc) {
            rc = SOKO_EIO;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}


/* Loads and computes everything; messages in d. */
static int gather(struct cli *c, struct gather *g, struct soko_diag *d)
{
    int y0, y1;
    /* a note covers a closed window: no open ends */
    if (cli_years(c->years, &y0, &y1) != 0 || (c->years && *c->years && (!y0 || !y1))) {
        soko_diag_add(d, NULL, 0, 0, _("--years '%s': expected YEAR or FROM-TO, e.g. 2024-2026"),
                      c->years);
        return SOKO_EUSAGE;
    }
    if (c->date && !valid_date(c->date)) {
        soko_diag_add(d, NULL, 0, 0, _("--date '%s': expected a calendar date YYYY-MM-DD"), c->date);
        return SOKO_EUSAGE;
    }
    if (c->date) {
        memcpy(g->date, c->date, 10);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(g->date, sizeof g->date, "%Y-%m-%d", &tm);
    }
    stats_init();
    int rc = store_open(c->db_path, 1, &g->store, d);
    if (rc) return rc;
    const char *defs = cli_indicators_dir(c);
    char *nini = cli_def_file(c, getenv("SOKO_NOTE_INI"), "note.ini");
    char *rules_path = cli_def_file(c, c->rules, "rules.ini");
    if (!defs || !nini || !rules_path) {
        free(nini);
        free(rules_path);
        return SOKO_EIO;
    }
    sqlite3 *db = store_db(g->store);
    rc = ind_load(defs, db, &g->std, d);
    if (!rc) rc = ind_load(nini, db, &g->note, d);
    if (!rc) {
        rc = note_spec_load(nini, g->note, g->std, &g->spec, d);
        g->have_spec = rc == SOKO_OK;
    }
    if (!rc) {
        /* display names and the subject map: optional files of the definitions root */
        char *nm = cli_def_file(c, getenv("SOKO_NAMES_INI"), "names.ini");
        char *sj = cli_def_file(c, getenv("SOKO_SUBJECTS_INI"), "subjects.ini");
        rc = names_load(nm && is_file(nm) ? nm : NULL, sj && is_file(sj) ? sj : NULL, &g->names, d);
        free(nm);
        free(sj);
    }
    if (!rc) rc = read_names(g, d);
    if (!rc) {
        rc = ind_members(g->std, &g->members, d);
        g->have_members = rc == SOKO_OK;
    }
    /* every year: the window is chosen from what is there */
    if (!rc) rc = ind_evaluate_set(g->note, 0, 0, &g->res, d);
    /* the standard indicators the lists name, each once */
    const struct indicator **done = NULL;
    size_t ndone = 0;
    for (int l = 0; !rc && l < NOTE_NLISTS; l++)
        for (size_t j = 0; !rc && j < g->spec.n[l]; j++) {
            const struct indicator *ind = g->spec.v[l][j].ind;
            if (ind_find(g->note, ind->id) == ind) continue;
            size_t k = 0;
            while (k < ndone && done[k] != ind) k++;
            if (k < ndone) continue;
            done = xrealloc(done, (ndone + 1) * sizeof *done);
            done[ndone++] = ind;
            rc = ind_evaluate(g->std, ind, 0, 0, &g->res, d);
        }
    /* the report: every indicator of the district's own forms (its monitorings): those
       reading one, and those of indicators/FORM.ini */
    for (size_t i = 0; !rc && c->command && strcmp(c->command, "report") == 0 &&
                       i < g->std->n; i++) {
        const struct indicator *ind = &g->std->v[i];
        size_t k = 0;
        while (k < ndone && done[k] != ind) k++;
        if (k < ndone || (!formdef_file(ind->form) && !formdef_named_by(ind->file))) continue;
        rc = ind_evaluate(g->std, ind, 0, 0, &g->res, d);
    }
    free(done);
    if (!rc) names_normalize(g->names, &g->res, &g->norm);
    if (!rc && !y1) {
        /* the last year with any row of any form (coverage counts); with the registry
           alone, the year of the note's date: the note then says what is missing */
        for (size_t i = 0; i < g->res.n; i++)
            if (g->res.v[i].year > y1) y1 = g->res.v[i].year;
        if (!y1) y1 = atoi(g->date);
        y0 = y1 - (ANA_WINDOW_DEFAULT - 1);
    }
    if (!rc) {
        rc = cli_load_context(c, &g->models, d);
        g->have_models = rc == SOKO_OK;
    }
    if (!rc && is_file(rules_path)) {
        rc = rules_load(rules_path, g->std, &g->models, &g->rules, d);
        g->have_rules = rc == SOKO_OK;
        struct rules_opts o;
        memset(&o, 0, sizeof o);
        o.y0 = y0;
        o.y1 = y1;
        if (!rc) {
            rc = rules_run_methods(&g->rules, g->std, &o, &g->flags, &g->methods, d);
            g->have_methods = 1;
        }
        if (!rc) {
            rc = tasks_run(store_db(g->store), &g->rules, y0, y1, &g->tasks, d);
            g->have_tasks = 1;
        }
    }
    if (!rc) rc = store_read_works(store_db(g->store), y0, y1, &g->works, d);
    if (!rc) rc = store_imports(g->store, collect_import, g, d);
    char *ctx = cli_def_file(c, c->context, "context.ini");
    if (!rc) rc = hash_files(g, c->defs_root, defs, nini, rules_path, ctx, d);
    free(ctx);
    free(rules_path);
    free(nini);
    g->win0 = y0;
    g->win1 = y1;
    return rc;
}

static void input_of(struct gather *g, struct note_input *in)
{
    memset(in, 0, sizeof *in);
    in->res = &g->norm;
    in->spec = &g->spec;
    in->names = g->names;
    in->note_set = g->note;
    in->std_set = g->std;
    in->members = &g->members;
    in->schools = g->schools;
    in->nschools = g->nschools;
    in->clusters = g->clusters;
    in->nclusters = g->nclusters;
    in->rules = g->have_rules ? &g->rules : NULL;
    in->flags = g->have_rules ? &g->flags : NULL;
    in->tasks = g->have_tasks ? &g->tasks : NULL;
    in->works = &g->works;
    in->methods = g->have_methods ? &g->methods : NULL;
    in->imports = g->imports;
    in->nimports = g->nimports;
    in->files = g->files;
    in->nfiles = g->nfiles;
    in->y0 = g->win0;
    in->y1 = g->win1;
    in->date = g->date;
    in->version = SOKO_VERSION;
}

enum what { NOTE, CARD, REPORT };

static int run(struct cli *c, enum what w)
{
    const char *cmd = w == NOTE ? "note" : w == CARD ? "card" : "report";
    if (w == NOTE && (!c->cluster || !*c->cluster)) {
        fprintf(stderr, _("soko note: --cluster ID is required (see soko --help)\n"));
        return SOKO_EUSAGE;
    }
    if (w == CARD && (!c->school || !*c->school)) {
        fprintf(stderr, _("soko card: --school ID is required (see soko --help)\n"));
        return SOKO_EUSAGE;
    }
    if (!c->out || !*c->out) {
        fprintf(stderr, _("soko %s: --out DIR is required\n"), cmd);
        return SOKO_EUSAGE;
    }
    if (c->argc > 0) {
        fprintf(stderr, _("soko %s: unexpected argument '%s'\n"), cmd, c->argv[0]);
        return SOKO_EUSAGE;
    }
    struct gather g;
    memset(&g, 0, sizeof g);
    struct soko_diag d;
    soko_diag_init(&d, (size_t)c->max_errors);
    int rc = gather(c, &g, &d);
    if (!rc) {
        struct note_input in;
        input_of(&g, &in);
        in.docx = c->docx;
        if (w == NOTE) rc = note_cluster(&in, c->cluster, c->out, &d);
        else if (w == CARD) rc = note_card(&in, c->school, c->cluster, c->out, &d);
        else rc = note_report(&in, c->out, &d);
    }
    if (rc) {
        cli_print_diag(&d);
    } else if (!c->quiet) {
        printf("%s/%s.html\n", c->out, w == NOTE ? "note" : w == CARD ? "card" : "index");
    }
    soko_diag_free(&d);
    gather_free(&g);
    return rc;
}

int cmd_note(struct cli *c) { return run(c, NOTE); }
int cmd_card(struct cli *c) { return run(c, CARD); }
int cmd_report(struct cli *c) { return run(c, REPORT); }
