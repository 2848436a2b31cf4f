/*
 * cli.c — main(): global options, the command table, help and version.
 */
#include "analysis.h"
#include "cli.h"
#include "escape.h"
#include "i18n.h"
#include "indicators.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct command {
    const char *name;
    int (*fn)(struct cli *);
    const char *args;
    const char *help;       /* N_(): translated where printed */
    int hidden;             /* an old name kept for a release: runs, not listed */
};

static const struct command commands[] = {
    {"import", cmd_import, "FORM FILE...", N_("validate and store files of a form (all or nothing per file)"), 0},
    {"check", cmd_check, "FORM FILE...", N_("validate files of a form, store nothing"), 0},
    {"template", cmd_template, "FORM [--ru]", N_("print an empty form (header line) ready for Excel"), 0},
    {"forms", cmd_forms, "", N_("list the forms, one line each"), 0},
    {"imports", cmd_imports, "", N_("list the import history"), 0},
    {"undo", cmd_undo, "ID", N_("remove an import; the rows it replaced come back"), 0},
    {"status", cmd_status, "", N_("count the stored rows of every form"), 0},
    {"docs", cmd_docs, "forms", N_("print the reference of the forms (Markdown)"), 0},
    {"indicators", cmd_indicators, "", N_("indicators per school, cluster, district (--years --school --cluster --indicator --format)"), 0},
    {"trends", cmd_trends, "", N_("3-year trends: slope, test, label (--years --school --cluster --indicator --format)"), 0},
    {"compare", cmd_compare, "--cluster ID", N_("schools against cluster and district: z, funnel, rank, EB (--school --years --format)"), 0},
    {"context", cmd_context, "", N_("results adjusted for context: who beats the odds (defs/context.ini)"), 0},
    {"flags", cmd_flags, "", N_("schools flagged by the rules, with evidence (--rules --years --school --format)"), 0},
    {"recommend", cmd_recommend, "--school ID", N_("targeted recommendations for a school from the rules"), 0},
    {"calibrate", cmd_calibrate, "[RUNS [SEED]]", N_("each rule's expected false flags on null districts drawn from the data"), 0},
    {"note", cmd_note, "--cluster ID", N_("the analytical note of a cluster: md, html, charts, xlsx, csv (--out DIR --years --date --docx)"), 0},
    {"card", cmd_card, "--school ID", N_("a school's card (карточка ОО) against its cluster and the district (--out DIR --cluster ID --years --date --docx)"), 0},
    {"profile", cmd_card, "--school ID", NULL, 1},
    {"report", cmd_report, "--out DIR", N_("the district: index of clusters with every note, the lists of every rule"), 0},
    {NULL, NULL, NULL, NULL, 0},
};

static void usage(FILE *out)
{
    fprintf(out, _("soko %s — education-quality monitoring for district offices\n\n"
                   "usage: soko [--db PATH] COMMAND [ARGS] [OPTIONS]\n\ncommands:\n"),
            SOKO_VERSION);
    for (const struct command *c = commands; c->name; c++)
        if (!c->hidden) fprintf(out, "  %-10s %-13s %s\n", c->name, c->args, _(c->help));
    fputs(_("\noptions:\n"
            "  --db PATH          the store (default $SOKO_DB or ./soko.db)\n"
            "  --ignore-unknown   import: skip columns the form does not know\n"
            "  --keep-students    import vpr_students: also store the student rows (personal data)\n"
            "  --max-errors N     report at most N errors per file (default 50)\n"
            "  -q, --quiet        print nothing on success\n"
            "  --layout NAME      import, check: read the file through a layout\n"
            "                     (defs/layouts/NAME.ini or a path; docs/layouts.md)\n"
            "  --ru               template: Russian headers, ';', UTF-8 with BOM (for Excel)\n"
            "  --years A-B        analyses: the window of years (e.g. 2024-2026); default the\n"
            "                     last 3 years present\n"
            "  --school ID, --cluster ID, --indicator ID\n"
            "                     analyses: only this school, cluster or indicator\n"
            "  --defs DIR         the definitions (default $SOKO_HOME, else the installed ones)\n"
            "  --indicators DIR   the indicator definitions (default DEFS/indicators)\n"
            "  --rules FILE       the rule file (default DEFS/rules.ini)\n"
            "  --context FILE     the context models (default DEFS/context.ini)\n"
            "  --format F         table (default), csv or json\n"
            "  --out DIR          reports: where to write;  --date YYYY-MM-DD: the date printed\n"
            "  --lang LANG        the language of messages: ru or en (default $SOKO_LANG, else\n"
            "                     the locale)\n"
            "  -h, --help         this help;   -V, --version   the version\n"
            "\nexit status: 0 ok, 1 bad input data, 2 usage, 3 bad definition file, "
            "4 i/o error, 5 store error\n"), out);
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
    {"--context", O(context)}, {"--defs", O(defs)}, {"--lang", O(lang)}, {NULL, 0}};
static const struct opt flag_opts[] = {
    {"--ignore-unknown", O(ignore_unknown)}, {"--keep-students", O(keep_students)},
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
    if (!c->defs_root) {
        fprintf(stderr, _("soko: cannot find the definitions (indicators, rules, layouts). "
                          "Looked in:\n"));
        for (size_t i = 0; i < nt; i++) fprintf(stderr, "  %s\n", tried[i]);
        fprintf(stderr, _("Install soko with 'make install PREFIX=...', or name the folder "
                          "with --defs DIR or SOKO_HOME=DIR (the defs/ folder of soko's source).\n"));
    }
    for (size_t i = 0; i < nt; i++) free(tried[i]);
    return c->defs_root;
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
 * catalogue (glibc ignores LANGUAGE only in the plain "C" locale). */
static int i18n_init(const char *lang)
{
    const char *env = getenv("SOKO_LANG");
    if ((!lang || !*lang) && env && *env) {
        if (strncmp(env, "ru", 2) != 0 && strncmp(env, "en", 2) != 0) {
            fprintf(stderr, "soko: SOKO_LANG=%s: expected ru or en\n", env);
            return -1;
        }
        lang = env;
    }
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (int i = 0; i < 3 && (!lang || !*lang); i++) lang = getenv(vars[i]);
    int ru = lang && strncmp(lang, "ru", 2) == 0;
    if (!ru) return 0;
    const char *got = setlocale(LC_MESSAGES, "");
    if (!got || strcmp(got, "C") == 0 || strcmp(got, "POSIX") == 0 || strncmp(got, "ru", 2) != 0) {
        setlocale(LC_MESSAGES, "C.UTF-8");
        setenv("LANGUAGE", "ru", 1);
    }
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

/* ---------------------------------------------------------------- main */

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
        fprintf(stderr, "soko: --lang %s: expected ru or en\n", lang);
        return SOKO_EUSAGE;
    }
    if (i18n_init(lang) != 0) return SOKO_EUSAGE;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return SOKO_EINTERNAL;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(pos);
            return SOKO_OK;
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
                c.max_errors = v ? strtol(v, &end, 10) : 0;
                if (!v || *end || c.max_errors < 1) {
                    fprintf(stderr, _("soko: --max-errors needs a number of 1 or more\n"));
                    free(pos);
                    return SOKO_EUSAGE;
                }
                done = 1;
            }
            if (!done) {
                fprintf(stderr, _("soko: unknown option '%s' (see soko --help)\n"), a);
                free(pos);
                return SOKO_EUSAGE;
            }
            continue;
        }
        pos[npos++] = argv[i];
    }
    if (!c.db_path) c.db_path = getenv("SOKO_DB");
    if (!c.db_path || !*c.db_path) c.db_path = "soko.db";
    if (npos == 0) {
        usage(stderr);
        free(pos);
        return SOKO_EUSAGE;
    }
    int rc = -1;
    for (const struct command *cmd = commands; cmd->name; cmd++)
        if (strcmp(cmd->name, pos[0]) == 0) {
            c.argc = npos - 1;
            c.argv = pos + 1;
            c.command = cmd->name;
            rc = cmd->fn(&c);
            break;
        }
    if (rc < 0) {
        fprintf(stderr, _("soko: unknown command '%s' (see soko --help)\n"), pos[0]);
        rc = SOKO_EUSAGE;
    }
    free(pos);
    free(c.defs_root);
    if (fflush(stdout) != 0 || ferror(stdout)) {
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

void cli_put_csv(const char *s) { put_escaped(esc_csv_field, s); }
void cli_put_json(const char *s) { put_escaped(esc_json, s); }
