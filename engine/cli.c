/*
 * cli.c — main(): global options, the command table (with each command's help, its
 * options and an example: the one place `soko help COMMAND`, `COMMAND --help` and the
 * overview read), help and version; the helpers every command shares: terminal-safe
 * text, "did you mean" lists for unknown ids, the progress bar, summaries that survive
 * a failed standard output.
 */
#include "analysis.h"
#include "cli.h"
#include "escape.h"
#include "formdef.h"
#include "i18n.h"
#include "indicators.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Options: each described once, here; a command lists the ones it reads. */
struct option_doc {
    const char *name;
    const char *arg;        /* metavariable, NULL for a flag */
    const char *help;       /* N_() */
};

static const struct option_doc option_docs[] = {
    {"--db", "PATH", N_("the store (default $SOKO_DB, else ./soko.db); a file name, never an SQLite URI")},
    {"--ignore-unknown", NULL, N_("skip columns the form does not know")},
    {"--keep-students", NULL, N_("vpr_students: also store the student rows (personal data)")},
    {"--max-errors", "N", N_("report at most N errors per file (default 50)")},
    {"--quiet", NULL, N_("print nothing on success, and no progress bar (also -q)")},
    {"--layout", "NAME", N_("read the file through a layout (defs/layouts/NAME.ini or a path; docs/layouts.md)")},
    {"--sheet", "NAME|N", N_("the sheet of a workbook to read, by name or number (default: the one whose header matches)")},
    {"--ru", NULL, N_("Russian headers, ';', UTF-8 with BOM (for Excel)")},
    {"--years", "A-B", N_("the window of years, e.g. 2024-2026 (default: the last 3 years present)")},
    {"--school", "ID", N_("only this school")},
    {"--cluster", "ID", N_("only this cluster")},
    {"--indicator", "ID", N_("only this indicator (a comma-separated list for trends, compare)")},
    {"--defs", "DIR", N_("the definitions (default $SOKO_HOME, else the installed ones)")},
    {"--indicators", "DIR", N_("the indicator definitions (default DEFS/indicators)")},
    {"--rules", "FILE", N_("the rule file (default DEFS/rules.ini)")},
    {"--context", "FILE", N_("the context models (default DEFS/context.ini)")},
    {"--format", "F", N_("table (default), csv or json")},
    {"--out", "DIR", N_("where to write the report")},
    {"--date", "YYYY-MM-DD", N_("the date printed in the report (the same data and date give the same bytes)")},
    {"--docx", NULL, N_("also write the report as DOCX (A4, for the committee's file)")},
    {"--allow-names", NULL, N_("accept values that look like personal names in pupil-code columns (the district's decision)")},
    {"--lang", "LANG", N_("the language of messages: ru or en (default $SOKO_LANG, else the locale)")},
    {"--factors", "F1,F2", N_("clusters propose: the factors, indicator ids or context factors")},
    {"--k", "N", N_("clusters propose: the number of clusters (default: by the silhouette)")},
    {"--year", "YYYY", N_("clusters propose: the year of the factors (default: the last with all)")},
    {NULL, NULL, NULL},
};

enum { CMD_HIDDEN = 1, CMD_NO_MEMSTATUS = 2 };

struct command {
    const char *name;
    int (*fn)(struct cli *);
    const char *args;
    const char *help;       /* N_(): translated where printed */
    const char *options;    /* the options it reads, space-separated, from option_docs */
    const char *example;    /* a command line, not translated */
    unsigned flags;         /* CMD_HIDDEN: an old name kept for a release: runs, not listed;
                               CMD_NO_MEMSTATUS: never sets SQLite's heap limit (indicators.h),
                               so SQLite keeps no memory statistics, a lock per allocation */
};

#define ANALYSIS_OPTS "--years --school --cluster --indicator --format --defs --indicators"

static const struct command commands[] = {
    {"import", cmd_import, "[FORM] FILE...",
     N_("validate and store files of a form (all or nothing per file); without FORM, each file is recognised by its header or by a shipped layout"),
     "--layout --sheet --ignore-unknown --keep-students --allow-names --max-errors --quiet",
     "soko --db district.db import schools schools.csv", CMD_NO_MEMSTATUS},
    {"check", cmd_check, "[FORM] FILE...", N_("validate files of a form, store nothing (without FORM: each file recognised, as import does)"),
     "--layout --sheet --ignore-unknown --allow-names --max-errors --quiet", "soko --db district.db check vpr vpr_2025.csv", CMD_NO_MEMSTATUS},
    {"template", cmd_template, "FORM", N_("print an empty form (header line) ready for Excel"),
     "--ru", "soko template vpr --ru > vpr.csv", 0},
    {"forms", cmd_forms, "", N_("list the forms, one line each"), "", "soko forms", 0},
    {"imports", cmd_imports, "", N_("list the import history"), "", "soko --db district.db imports", 0},
    {"undo", cmd_undo, "ID", N_("remove an import; the rows it replaced come back"), "--quiet",
     "soko --db district.db undo 3", CMD_NO_MEMSTATUS},
    {"status", cmd_status, "", N_("count what the store holds, form by form"), "",
     "soko --db district.db status", 0},
    {"schools", cmd_schools, "", N_("the schools registry: id, name, kind, profile, clusters"),
     "--format", "soko --db district.db schools --format csv", 0},
    {"clusters", cmd_clusters, "[propose]",
     N_("the clusters: id, name, members with their roles; 'propose' groups the schools by "
        "context factors into FILE (form clusters) and FILE.md (the method)"),
     "--cluster --format --factors --k --year --out --defs --indicators --quiet",
     "soko --db district.db clusters propose --factors ctx_low_income,ctx_non_native,vpr_sou_all "
     "--out proposal.csv", 0},
    {"migrate", cmd_migrate, "", N_("bring a store made by an older soko up to date"), "--quiet",
     "soko --db district.db migrate", 0},
    {"docs", cmd_docs, "forms", N_("print the reference of the forms (Markdown)"), "",
     "soko docs forms > forms.md", 0},
    /* xgettext:no-c-format (a percent sign, printed with %s) */
    {"indicators", cmd_indicators, "", N_("indicators per school, cluster, district, with n and a 95% interval"),
     ANALYSIS_OPTS, "soko --db district.db indicators --indicator vpr_fail --years 2024-2026", 0},
    {"trends", cmd_trends, "", N_("3-year trends: slope, test, label"), ANALYSIS_OPTS,
     "soko --db district.db trends --school 344", 0},
    {"compare", cmd_compare, "--cluster ID",
     N_("schools against cluster and district: z, funnel, rank, EB"), ANALYSIS_OPTS,
     "soko --db district.db compare --cluster nevsky_stem --format csv", 0},
    {"context", cmd_context, "", N_("results adjusted for context: who beats the odds"),
     ANALYSIS_OPTS " --context", "soko --db district.db context --format json", 0},
    {"flags", cmd_flags, "", N_("schools flagged by the rules, with evidence"),
     "--rules --years --school --format --defs --indicators --context",
     "soko --db district.db flags --format csv > flags.csv", 0},
    {"recommend", cmd_recommend, "--school ID",
     N_("targeted recommendations for a school from the rules (Markdown)"),
     "--school --rules --years --defs --indicators --context",
     "soko --db district.db recommend --school 344", 0},
    {"calibrate", cmd_calibrate, "[RUNS [SEED]]",
     N_("each rule's expected false flags on null districts drawn from the data"),
     "--rules --years --format --defs --indicators --context",
     "soko --db district.db calibrate 200 1", 0},
    {"tasks", cmd_tasks, "",
     N_("task-level findings of ВПР works: deficits, common and particular problems"),
     "--cluster --school --years --format --rules --defs --indicators --context",
     "soko --db district.db tasks --cluster nevsky_stem --format csv", 0},
    {"note", cmd_note, "--cluster ID",
     N_("the analytical note of a cluster: md, html, charts, xlsx, csv"),
     "--cluster --out --years --date --docx --defs --indicators --rules --context --quiet",
     "soko --db district.db note --cluster nevsky_stem --out note", 0},
    {"card", cmd_card, "--school ID",
     N_("a school's card (карточка ОО) against its cluster and the district"),
     "--school --cluster --out --years --date --docx --defs --indicators --rules --context --quiet",
     "soko --db district.db card --school 344 --out card", 0},
    {"profile", cmd_card, "--school ID", NULL, "", "", CMD_HIDDEN},
    {"report", cmd_report, "--out DIR",
     N_("the district: index of clusters with every note, the lists of every rule"),
     "--out --years --date --docx --defs --indicators --rules --context --quiet",
     "soko --db district.db report --out report", 0},
    {"help", cmd_help, "[COMMAND]", N_("this overview, or one command's usage, options and an example"),
     "", "soko help import", 0},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

static const struct command *find_command(const char *name)
{
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

static const struct option_doc *find_option(const char *name, size_t n)
{
    for (const struct option_doc *o = option_docs; o->name; o++)
        if (strlen(o->name) == n && strncmp(o->name, name, n) == 0) return o;
    return NULL;
}

/* "  --name ARG   help", aligned at column 24. */
static void print_option(FILE *out, const struct option_doc *o)
{
    char head[64];
    snprintf(head, sizeof head, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    if (strlen(head) < 22) fprintf(out, "  %-22s %s\n", head, _(o->help));
    else fprintf(out, "  %s\n  %-22s %s\n", head, "", _(o->help));
}

static void usage(FILE *out)
{
    fprintf(out, _("soko %s — education-quality monitoring for district offices\n\n"
                   "usage: soko [--db PATH] COMMAND [ARGS] [OPTIONS]\n\ncommands:\n"),
            SOKO_VERSION);
    for (const struct command *c = commands; c->name; c++)
        if (!(c->flags & CMD_HIDDEN)) {
            fprintf(out, "  %-10s %-13s %s\n", c->name, c->args, _(c->help));
        }
    fputs(_("\noptions (each command reads those 'soko help COMMAND' lists; options may come "
            "anywhere on the line):\n"), out);
    for (const struct option_doc *o = option_docs; o->name; o++) print_option(out, o);
    fputs(_("  -h, --help             this help; COMMAND --help: that command's usage\n"
            "  -V, --version          the version\n"), out);
    fputs(_("\nexit status: 0 ok, 1 bad input data, 2 usage, 3 bad definition file, "
            "4 i/o error, 5 store error\n"), out);
}

/* One command's usage, the options it reads and an example. */
static void command_usage(FILE *out, const struct command *c)
{
    fprintf(out, _("usage: soko [--db PATH] %s %s%s[OPTIONS]\n\n%s\n"), c->name, c->args,
            *c->args ? " " : "", c->help ? _(c->help) : "");
    fputs(_("\noptions:\n"), out);
    print_option(out, find_option("--db", 4));
    const char *p = c->options;
    while (p && *p) {
        size_t n = strcspn(p, " ");
        const struct option_doc *o = find_option(p, n);
        SOKO_ASSERT(o);           /* the table names only documented options */
        if (strcmp(o->name, "--db") != 0) print_option(out, o);
        p += n;
        while (*p == ' ') p++;
    }
    print_option(out, find_option("--lang", 6));
    if (c->example && *c->example) fprintf(out, _("\nexample:\n  %s\n"), c->example);
}

int cmd_help(struct cli *c)
{
    if (c->argc == 0) {
        usage(stdout);
        return SOKO_OK;
    }
    const struct command *cmd = c->argc == 1 ? find_command(c->argv[0]) : NULL;
    if (!cmd) {
        fprintf(stderr, _("soko: help: no command '%s'; expected one of the commands soko help "
                          "lists\n"), cli_term(c->argv[0]));
        return SOKO_EUSAGE;
    }
    command_usage(stdout, cmd);
    return SOKO_OK;
}

/* Options with a value, and the field they set. */
struct opt {
    const char *name;
    size_t off;
};
#define O(f) offsetof(struct cli, f)
static const struct opt value_opts[] = {
    {"--db", O(db_path)}, {"--format", O(format)}, {"--years", O(years)},
    {"--school", O(school)}, {"--cluster", O(cluster)}, {"--indicator", O(indicator)},
    {"--out", O(out)}, {"--date", O(date)}, {"--rules", O(rules)},
    {"--indicators", O(indicators_dir)}, {"--layout", O(layout)}, {"--profile", O(layout)},
    {"--context", O(context)}, {"--defs", O(defs)}, {"--lang", O(lang)},
    {"--factors", O(factors)}, {"--k", O(k)}, {"--year", O(year)}, {"--sheet", O(sheet)},
    {NULL, 0}};
static const struct opt flag_opts[] = {
    {"--ignore-unknown", O(ignore_unknown)}, {"--keep-students", O(keep_students)}, {"--allow-names", O(allow_names)},
    {"--quiet", O(quiet)}, {"-q", O(quiet)}, {"--ru", O(ru)}, {"--docx", O(docx)}, {NULL, 0}};

/* ---------------------------------------------------------------- finding itself */

#ifndef SOKO_DATADIR
#define SOKO_DATADIR "/usr/local/share/soko"
#endif
#ifndef SOKO_LOCALEDIR
#define SOKO_LOCALEDIR "/usr/local/share/locale"
#endif

static char exe_dir[4096];

static void find_exe_dir(const char *argv0)
{
    char buf[sizeof exe_dir];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
    } else if (argv0 && strchr(argv0, '/') && realpath(argv0, buf)) {
        /* buf filled by realpath */
    } else {
        return;
    }
    char *slash = strrchr(buf, '/');
    if (!slash) return;
    *slash = '\0';
    snprintf(exe_dir, sizeof exe_dir, "%s", *buf ? buf : "/");
}

const char *cli_exe_dir(void) { return *exe_dir ? exe_dir : NULL; }

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* A definitions root is a directory with indicators/ in it. */
static int is_defs_root(const char *p)
{
    char *ind = xasprintf("%s/indicators", p);
    int ok = is_dir(ind);
    free(ind);
    return ok;
}

static int defs_quiet;    /* cli_load_forms looks for a root that no option names */

const char *cli_defs_root(struct cli *c)
{
    if (c->defs_root) return c->defs_root;
    if (c->defs && *c->defs) {
        if (is_defs_root(c->defs)) return c->defs_root = xstrdup(c->defs);
        fprintf(stderr, _("soko: --defs %s: expected a directory with the definitions "
                          "(indicators/, layouts/, rules.ini), such as defs/ of soko's source\n"),
                c->defs);
        return NULL;
    }
    const char *home = getenv("SOKO_HOME");
    if (home && *home) {
        if (is_defs_root(home)) return c->defs_root = xstrdup(home);
        fprintf(stderr, _("soko: SOKO_HOME=%s: expected a directory with the definitions "
                          "(indicators/, layouts/, rules.ini)\n"), home);
        return NULL;
    }
    char *tried[3];
    size_t nt = 0;
    if (cli_exe_dir()) {
        tried[nt++] = xasprintf("%s/../defs", cli_exe_dir());
        tried[nt++] = xasprintf("%s/../share/soko", cli_exe_dir());
    }
    tried[nt++] = xstrdup(SOKO_DATADIR);
    for (size_t i = 0; i < nt && !c->defs_root; i++)
        if (is_defs_root(tried[i])) c->defs_root = realpath(tried[i], NULL);
    if (!c->defs_root && !defs_quiet) {
        fprintf(stderr, _("soko: cannot find the definitions (indicators, rules, layouts). "
                          "Looked in:\n"));
        for (size_t i = 0; i < nt; i++) fprintf(stderr, "  %s\n", cli_term(tried[i]));
        fprintf(stderr, _("Install soko with 'make install PREFIX=...', or name the folder "
                          "with --defs DIR or SOKO_HOME=DIR (the defs/ folder of soko's source).\n"));
    }
    for (size_t i = 0; i < nt; i++) free(tried[i]);
    return c->defs_root;
}

int cli_load_forms(struct cli *c)
{
    const char *home = getenv("SOKO_HOME");
    int named = (c->defs && *c->defs) || (home && *home);
    defs_quiet = !named;
    const char *root = cli_defs_root(c);
    defs_quiet = 0;
    if (named && !root) return SOKO_ECONFIG;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    int rc = SOKO_OK;
    if (root) {
        char *dir = xasprintf("%s/forms", root);
        rc = formdef_load_dir(dir, 1, &d);
        free(dir);
    }
    const char *more = getenv("SOKO_FORMS");
    for (const char *p = more; !rc && p && *p;) {
        size_t n = strcspn(p, ":");
        if (n) {
            char *dir = xstrndup(p, n);
            rc = formdef_load_dir(dir, 0, &d);
            free(dir);
        }
        p += n + (p[n] == ':');
    }
    for (size_t i = 0; i < d.nmsgs; i++) fprintf(stderr, "soko: %s\n", cli_term(d.msgs[i]));
    soko_diag_free(&d);
    return rc;
}

const char *cli_indicators_dir(struct cli *c)
{
    if (c->indicators_dir && *c->indicators_dir) return c->indicators_dir;
    const char *root = cli_defs_root(c);
    if (!root) return NULL;
    static char *dir;     /* one per process: the root does not change */
    if (!dir) dir = xasprintf("%s/indicators", root);
    return dir;
}

char *cli_def_file(struct cli *c, const char *given, const char *name)
{
    if (given && *given) return xstrdup(given);
    const char *root = cli_defs_root(c);
    return root ? xasprintf("%s/%s", root, name) : NULL;
}

int cli_load_context(struct cli *c, struct ana_models *ms, struct soko_diag *d)
{
    ms->v = NULL;
    ms->n = 0;
    char *file = cli_def_file(c, c->context, "context.ini");
    if (!file) return SOKO_EIO;
    struct stat sb;
    int rc = SOKO_OK;
    if (c->context || stat(file, &sb) == 0) rc = ana_context_load(file, ms, d);
    free(file);
    return rc;
}

/* ---------------------------------------------------------------- language */

/* Russian when asked (--lang, SOKO_LANG) or when the locale's messages are Russian.
 * Only LC_MESSAGES is taken from the locale: numbers, dates and character classes
 * stay C, so that machine output never changes with the user's locale. When the
 * Russian locale is not installed, C.UTF-8 with LANGUAGE=ru still reaches the
 * catalogue (glibc ignores LANGUAGE only in the plain "C" locale). Asked for by
 * --lang or SOKO_LANG, LANGUAGE=ru is set in any case, so that a LANGUAGE list of the
 * user's (say "de") does not override the choice; chosen by an installed Russian
 * locale, the user's LANGUAGE is honoured as gettext does. English is the C locale of
 * messages, which gettext never translates. */
static int i18n_init(const char *lang)
{
    const char *env = getenv("SOKO_LANG");
    if ((!lang || !*lang) && env && *env) {
        if (strncmp(env, "ru", 2) != 0 && strncmp(env, "en", 2) != 0) {
            fprintf(stderr, _("soko: SOKO_LANG=%s: expected ru or en\n"), cli_term(env));
            return -1;
        }
        lang = env;
    }
    int asked = lang && *lang;
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (int i = 0; i < 3 && (!lang || !*lang); i++) lang = getenv(vars[i]);
    int ru = lang && strncmp(lang, "ru", 2) == 0;
    if (!ru) return 0;
    const char *got = setlocale(LC_MESSAGES, "");
    if (!got || strcmp(got, "C") == 0 || strcmp(got, "POSIX") == 0 || strncmp(got, "ru", 2) != 0) {
        setlocale(LC_MESSAGES, "C.UTF-8");
        asked = 1;
    }
    if (asked) setenv("LANGUAGE", "ru", 1);
    static char dir[4200];
    const char *cand[3] = {NULL, NULL, SOKO_LOCALEDIR};
    char a[4200], b[4200];
    if (cli_exe_dir()) {
        snprintf(a, sizeof a, "%s/locale", cli_exe_dir());
        snprintf(b, sizeof b, "%s/../share/locale", cli_exe_dir());
        cand[0] = a;
        cand[1] = b;
    }
    snprintf(dir, sizeof dir, "%s", SOKO_LOCALEDIR);
    for (int i = 0; i < 3; i++) {
        if (!cand[i]) continue;
        char *mo = xasprintf("%s/ru/LC_MESSAGES/" SOKO_TEXTDOMAIN ".mo", cand[i]);
        struct stat sb;
        int found = stat(mo, &sb) == 0;
        free(mo);
        if (found) {
            snprintf(dir, sizeof dir, "%s", cand[i]);
            break;
        }
    }
    bindtextdomain(SOKO_TEXTDOMAIN, dir);
    bind_textdomain_codeset(SOKO_TEXTDOMAIN, "UTF-8");
    textdomain(SOKO_TEXTDOMAIN);
    return 0;
}

/* ---------------------------------------------------------------- terminal text */

/* A ring of buffers, so that several cli_term() results can be arguments of one
 * printf; each lives until eight more calls. */
const char *cli_term(const char *s)
{
    static char *ring[8];
    static unsigned next;
    unsigned i = next++ % 8;
    free(ring[i]);
    ring[i] = esc_term_dup(s ? s : "");
    return ring[i];
}

int cli_check_format(const struct cli *c)
{
    if (!c->format || !strcmp(c->format, "table") || !strcmp(c->format, "csv") ||
        !strcmp(c->format, "json"))
        return SOKO_OK;
    fprintf(stderr, _("soko: --format '%s': expected table, csv or json\n"), cli_term(c->format));
    return SOKO_EUSAGE;
}

void cli_print_diag(const struct soko_diag *d)
{
    for (size_t i = 0; i < d->nmsgs; i++) fprintf(stderr, "%s\n", cli_term(d->msgs[i]));
    if (d->total > d->nmsgs)
        fprintf(stderr, P_("... and %zu more error\n", "... and %zu more errors\n",
                           d->total - d->nmsgs), d->total - d->nmsgs);
    for (size_t i = 0; i < d->nnotes; i++) fprintf(stderr, _("note: %s\n"), cli_term(d->notes[i]));
}

/* ---------------------------------------------------------------- summaries */

void cli_summary(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    if (!c->stdout_failed) {
        fputs(line, stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            c->stdout_failed = errno ? errno : EIO;
            fprintf(stderr, _("soko: the standard output cannot be written (%s); the summary "
                              "follows here, and the change it reports is stored:\n"),
                    strerror(c->stdout_failed));
        }
    }
    if (c->stdout_failed) fputs(line, stderr);
    free(line);
}

/* ---------------------------------------------------------------- unknown ids */

struct idlist {
    char **v;
    size_t n;
};

static int collect_id(void *ctx, const char *id)
{
    struct idlist *l = ctx;
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = xstrdup(id);
    return 0;
}

struct near {
    const char *id;
    size_t dist;
};

static int near_cmp(const void *a, const void *b)
{
    const struct near *x = a, *y = b;
    if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Case-insensitive: does s start with p? */
static int starts_with(const char *s, const char *p)
{
    size_t n = strlen(p);
    char *head = xstrndup(s, strlen(s) < n ? strlen(s) : n);
    int yes = strlen(s) >= n && utf8_casecmp(head, p) == 0;
    free(head);
    return yes;
}

char *cli_suggest(const char *given, char *const *ids, size_t n)
{
    struct sbuf b = SBUF_INIT;
    if (n == 0) return xstrdup(_("there are none yet"));
    if (n <= 12) {
        sbuf_adds(&b, P_("the only one is ", "the known ones are ", n));
        for (size_t i = 0; i < n; i++) sbuf_printf(&b, "%s%s", i ? ", " : "", ids[i]);
        return sbuf_take(&b);
    }
    /* the nearest by edit distance (a typo), then those sharing the beginning */
    struct near *v = xmalloc(n * sizeof *v);
    size_t nv = 0, len = utf8_width(given);
    size_t cut = len / 3 > 2 ? len / 3 : 2;
    for (size_t i = 0; i < n; i++) {
        size_t dist = utf8_edit_distance(given, ids[i]);
        int prefix = starts_with(ids[i], given) || starts_with(given, ids[i]);
        if (dist <= cut || prefix) v[nv++] = (struct near){ids[i], prefix && dist > cut ? cut + 1 : dist};
    }
    qsort(v, nv, sizeof *v, near_cmp);
    if (nv == 0) {
        sbuf_printf(&b, _("none is near it; %zu are known, such as "), n);
        for (size_t i = 0; i < 5 && i < n; i++) sbuf_printf(&b, "%s%s", i ? ", " : "", ids[i]);
    } else {
        sbuf_adds(&b, _("the nearest: "));
        for (size_t i = 0; i < nv && i < 5; i++) sbuf_printf(&b, "%s%s", i ? ", " : "", v[i].id);
    }
    free(v);
    return sbuf_take(&b);
}

/* --school and --cluster name things the store knows, checked once here for every
 * command; an unknown one is refused with the nearest known ones. A missing store is
 * left to the command to report. */
static int check_ids(struct cli *c)
{
    if ((!c->school || !*c->school) && (!c->cluster || !*c->cluster)) return SOKO_OK;
    struct stat sb;
    if (stat(c->db_path, &sb) != 0) return SOKO_OK;
    struct store *s;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    int rc = store_open(c->db_path, 1, &s, &d);
    soko_diag_free(&d);
    if (rc) return SOKO_OK;        /* the command says why */
    soko_diag_init(&d, 0);
    for (int k = 0; k < 2 && !rc; k++) {
        const char *id = k ? c->cluster : c->school;
        if (!id || !*id) continue;
        int known = 0;
        struct idlist l = {NULL, 0};
        rc = store_ids(s, k ? STORE_CLUSTER_IDS : STORE_SCHOOL_IDS, collect_id, &l, &d);
        for (size_t i = 0; i < l.n && !rc && !known; i++) known = strcmp(l.v[i], id) == 0;
        if (!rc && !known && !k) {
            int r = store_school_known(s, id, &d);
            if (r < 0) rc = SOKO_EDB;
            known = r > 0;
        }
        if (!rc && !known) {
            char *near = cli_suggest(id, l.v, l.n);
            if (k)
                fprintf(stderr, _("soko: --cluster: no cluster '%s' in the store; %s (soko "
                                  "clusters lists them)\n"), cli_term(id), cli_term(near));
            else
                fprintf(stderr, _("soko: --school: no school '%s' in the store; %s (soko "
                                  "schools lists them)\n"), cli_term(id), cli_term(near));
            free(near);
            rc = SOKO_EUSAGE;
        }
        for (size_t i = 0; i < l.n; i++) free(l.v[i]);
        free(l.v);
    }
    if (rc && rc != SOKO_EUSAGE) cli_print_diag(&d);
    soko_diag_free(&d);
    store_close(s);
    return rc;
}

/* ---------------------------------------------------------------- progress */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void cli_progress_start(struct cli_progress *p, const struct cli *c, const char *label)
{
    memset(p, 0, sizeof p[0]);
    const char *term = getenv("TERM");
    p->on = !c->quiet && isatty(2) && !(term && strcmp(term, "dumb") == 0);
    p->color = p->on && !getenv("NO_COLOR");
    p->label = label;
    p->t0 = now_s();
    /* SOKO_PROGRESS_AFTER: the seconds before the first draw (default 0.5); 0 draws
       every phase at once, which lets a test see each phase however fast the machine.
       Read at the first bar of the command (an import of many files says a bad value
       once) */
    static double after = -1;
    if (after < 0) {
        after = 0.5;
        const char *v = getenv("SOKO_PROGRESS_AFTER");
        if (v && *v) {
            char *end;
            errno = 0;
            double a = strtod(v, &end);
            if (!errno && *end == '\0' && a >= 0 && a <= 3600) after = a;
            else if (p->on)
                fprintf(stderr, _("soko: SOKO_PROGRESS_AFTER=%s: expected a number of seconds "
                                  "from 0 to 3600; the bar shows after half a second\n"),
                        cli_term(v));
        }
    }
    p->after = after;
}

static void human_bytes(char *buf, size_t n, double b)
{
    if (b >= 1e9) snprintf(buf, n, _("%.2f GB"), b / 1e9);
    else if (b >= 1e6) snprintf(buf, n, _("%.1f MB"), b / 1e6);
    else snprintf(buf, n, _("%.0f kB"), b / 1e3);
}

static void human_time(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void cli_progress(struct cli_progress *p, const char *phase, uint64_t done, uint64_t total,
                  long rows)
{
    if (!p->on) return;
    double t = now_s();
    int changed = !p->phase || strcmp(p->phase, phase) != 0;
    /* nothing for the first half second (p->after; a short command shows no bar), then
       at most ten times a second, and at every change of phase */
    if (t - p->t0 < p->after || (!changed && t - p->last < 0.1)) return;
    p->last = t;
    p->phase = phase;
    p->drawn = 1;
    char d[32], tot[32], rate[32], left[32], el[32];
    human_bytes(d, sizeof d, (double)done);
    human_bytes(tot, sizeof tot, (double)total);
    double secs = t - p->t0;
    human_bytes(rate, sizeof rate, secs > 0 ? (double)done / secs : 0);
    human_time(el, sizeof el, secs);
    struct sbuf b = SBUF_INIT;
    sbuf_printf(&b, "\r%s  %s", cli_term(p->label), phase);
    if (total > 0 && done < total) {
        int pct = (int)(100.0 * (double)done / (double)total);
        int w = pct / 4;
        sbuf_adds(&b, "  [");
        if (p->color) sbuf_adds(&b, "\033[7m");
        for (int i = 0; i < w; i++) sbuf_addc(&b, p->color ? ' ' : '#');
        if (p->color) sbuf_adds(&b, "\033[0m");
        for (int i = w; i < 25; i++) sbuf_addc(&b, p->color ? ' ' : '.');
        double eta = done > 0 ? secs * (double)(total - done) / (double)done : 0;
        human_time(left, sizeof left, eta);
        sbuf_printf(&b, _("] %3d%%  %s / %s  %s/s"), pct, d, tot, rate);
        if (rows > 0) sbuf_printf(&b, P_("  %ld row", "  %ld rows", rows), rows);
        sbuf_printf(&b, _("  %s left"), left);
    } else {
        if (total > 0) sbuf_printf(&b, "  %s", tot);
        if (rows > 0) sbuf_printf(&b, P_("  %ld row", "  %ld rows", rows), rows);
        sbuf_printf(&b, "  %s", el);
    }
    sbuf_adds(&b, "\033[K");
    fputs(b.s, stderr);
    fflush(stderr);
    sbuf_free(&b);
}

void cli_progress_end(struct cli_progress *p)
{
    if (p->on && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}

/* ---------------------------------------------------------------- main */

/* SOKO_EVAL_SECONDS, SOKO_EVAL_MEMORY_MB: the budget of an indicator's evaluation
 * (indicators.h). -1 (after the message) for a value that is not a positive number. */
static int eval_limits(void)
{
    double secs = 0;
    long long mb = 0;
    const char *v = getenv("SOKO_EVAL_SECONDS");
    if (v && *v) {
        char *end;
        errno = 0;
        secs = strtod(v, &end);
        if (*end || errno || !(secs > 0) || secs > 1e7) {
            fprintf(stderr, _("soko: SOKO_EVAL_SECONDS=%s: expected a number of seconds above 0\n"),
                    cli_term(v));
            return -1;
        }
    }
    v = getenv("SOKO_EVAL_MEMORY_MB");
    if (v && *v) {
        char *end;
        errno = 0;
        mb = strtoll(v, &end, 10);
        if (*end || errno || mb < 1 || mb > (1LL << 30)) {
            fprintf(stderr, _("soko: SOKO_EVAL_MEMORY_MB=%s: expected a whole number of "
                              "megabytes, 1 or more\n"), cli_term(v));
            return -1;
        }
    }
    ind_set_limits(secs, mb << 20);
    return 0;
}

int main(int argc, char **argv)
{
    struct cli c;
    memset(&c, 0, sizeof c);
    c.max_errors = 50;
    c.format = "table";
    find_exe_dir(argc > 0 ? argv[0] : NULL);
    /* the language first, so that every message below is in it */
    const char *lang = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strncmp(argv[i], "--lang=", 7) == 0) lang = argv[i] + 7;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) lang = argv[i + 1];
    }
    if (lang && strncmp(lang, "ru", 2) != 0 && strncmp(lang, "en", 2) != 0) {
        fprintf(stderr, _("soko: --lang %s: expected ru or en\n"), cli_term(lang));
        return SOKO_EUSAGE;
    }
    if (i18n_init(lang) != 0) return SOKO_EUSAGE;
    if (eval_limits() != 0) return SOKO_EUSAGE;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return SOKO_EINTERNAL;
    int npos = 0, help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help = 1;
            continue;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("soko %s (SQLite %s, SHA-256 %s)\n", SOKO_VERSION, sqlite3_libversion(),
                   sha256_impl());
            free(pos);
            return SOKO_OK;
        }
        if (strcmp(a, "--") == 0) {
            while (++i < argc) pos[npos++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] != '\0') {
            const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
            size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
            int done = 0;
            for (const struct opt *o = value_opts; o->name && !done; o++) {
                if (strlen(o->name) != nlen || strncmp(o->name, a, nlen) != 0) continue;
                const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v) {
                    fprintf(stderr, _("soko: option %s needs a value\n"), o->name);
                    free(pos);
                    return SOKO_EUSAGE;
                }
                *(const char **)((char *)&c + o->off) = v;
                done = 1;
            }
            for (const struct opt *o = flag_opts; o->name && !done; o++)
                if (strcmp(o->name, a) == 0) {
                    *(int *)((char *)&c + o->off) = 1;
                    done = 1;
                }
            if (!done && nlen == 12 && strncmp(a, "--max-errors", 12) == 0) {
                const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                char *end;
                errno = 0;
                c.max_errors = v ? strtol(v, &end, 10) : 0;
                if (!v || *end || errno || c.max_errors < 1) {
                    fprintf(stderr, _("soko: --max-errors needs a number of 1 or more\n"));
                    free(pos);
                    return SOKO_EUSAGE;
                }
                done = 1;
            }
            if (!done) {
                fprintf(stderr, _("soko: unknown option '%s' (see soko --help)\n"), cli_term(a));
                free(pos);
                return SOKO_EUSAGE;
            }
            continue;
        }
        pos[npos++] = argv[i];
    }
    const struct command *cmd = npos ? find_command(pos[0]) : NULL;
    if (help) {
        /* soko --help; soko COMMAND --help (= soko help COMMAND) */
        if (cmd) command_usage(stdout, cmd);
        else usage(stdout);
        free(pos);
        if (fflush(stdout) == 0 && !ferror(stdout)) return SOKO_OK;
        fprintf(stderr, _("soko: cannot write the output\n"));
        return SOKO_EIO;
    }
    if (!c.db_path) c.db_path = getenv("SOKO_DB");
    if (!c.db_path || !*c.db_path) c.db_path = "soko.db";
    if (strncmp(c.db_path, "file:", 5) == 0 || strcmp(c.db_path, ":memory:") == 0) {
        fprintf(stderr, _("soko: --db %s: this is an SQLite URI or a memory database, which soko "
                          "does not open; expected the path of a store file (write ./%s for a "
                          "file of that very name)\n"), cli_term(c.db_path), cli_term(c.db_path));
        free(pos);
        return SOKO_EUSAGE;
    }
    if (npos == 0) {
        usage(stderr);
        free(pos);
        return SOKO_EUSAGE;
    }
    int rc;
    if (!cmd) {
        fprintf(stderr, _("soko: unknown command '%s' (see soko --help)\n"), cli_term(pos[0]));
        rc = SOKO_EUSAGE;
    } else {
        c.argc = npos - 1;
        c.argv = pos + 1;
        c.command = cmd->name;
        /* a tenth of an import's time; set before SQLite starts */
        if (cmd->flags & CMD_NO_MEMSTATUS) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        rc = strcmp(cmd->name, "help") == 0 ? SOKO_OK : cli_load_forms(&c);
        if (!rc) rc = check_ids(&c);
        if (!rc) rc = cmd->fn(&c);
    }
    free(pos);
    free(c.defs_root);
    formdef_unload_all();
    if (!c.stdout_failed && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, _("soko: cannot write the output\n"));
        if (!rc) rc = SOKO_EIO;
    }
    return rc;
}

int cli_years(const char *s, int *y0, int *y1)
{
    *y0 = *y1 = 0;
    if (!s || !*s) return 0;
    char *end;
    if (*s == '-') {
        long b = strtol(s + 1, &end, 10);
        if (end == s + 1 || *end || b < IND_YEAR_MIN || b > IND_YEAR_MAX) return -1;
        *y1 = (int)b;
        return 0;
    }
    long a = strtol(s, &end, 10);
    if (end == s || a < IND_YEAR_MIN || a > IND_YEAR_MAX) return -1;
    if (!*end) {
        *y0 = *y1 = (int)a;
        return 0;
    }
    if (*end != '-') return -1;
    *y0 = (int)a;
    if (!end[1]) return 0;
    const char *b = end + 1;
    long z = strtol(b, &end, 10);
    if (end == b || *end || z < a || z > IND_YEAR_MAX) return -1;
    *y1 = (int)z;
    return 0;
}

static void put_escaped(void (*esc)(struct sbuf *, const char *), const char *s)
{
    struct sbuf b = SBUF_INIT;
    esc(&b, s);
    if (b.s) fputs(b.s, stdout);
    sbuf_free(&b);
}

void cli_put_csv(const char *s) { put_escaped(esc_csv, s); }
void cli_put_json(const char *s) { put_escaped(esc_json, s); }
