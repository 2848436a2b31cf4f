/*
 * cli.c — main(): global options, the command table, help and version.
 */
#include "cli.h"
#include "escape.h"
#include "indicators.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct command {
    const char *name;
    int (*fn)(struct cli *);
    const char *args;
    const char *help;
};

static const struct command commands[] = {
    {"import", cmd_import, "FORM FILE...", "validate and store files of a form (all or nothing per file)"},
    {"check", cmd_check, "FORM FILE...", "validate files of a form, store nothing"},
    {"template", cmd_template, "FORM [--ru]", "print an empty form (header line) ready for Excel"},
    {"forms", cmd_forms, "", "list the forms, one line each"},
    {"imports", cmd_imports, "", "list the import history"},
    {"undo", cmd_undo, "ID", "remove an import; the rows it replaced come back"},
    {"status", cmd_status, "", "count the stored rows of every form"},
    {"docs", cmd_docs, "forms", "print the reference of the forms (Markdown)"},
    {"indicators", cmd_indicators, "", "indicators per school, cluster, district (--years --school --cluster --indicator --format)"},
    {"trends", cmd_trends, "", "3-year trends: slope, test, label (--years --school --cluster --indicator --format)"},
    {"compare", cmd_compare, "--cluster ID", "schools against cluster and district: z, funnel, rank, EB (--school --years --format)"},
    {"context", cmd_context, "", "results adjusted for context: who beats the odds (indicators/context.ini)"},
    {"flags", cmd_flags, "", "schools flagged by the rules, with evidence (--rules --years --school --format)"},
    {"recommend", cmd_recommend, "--school ID", "targeted recommendations for a school from the rules"},
    {"note", cmd_note, "--cluster ID", "the analytical note of a cluster: md, html, charts, xlsx, csv (--out DIR --years --date)"},
    {"profile", cmd_profile, "--school ID", "a school's profile against its cluster and the district (--out DIR --years --date)"},
    {"report", cmd_report, "--out DIR", "the district: index of clusters with every note, the lists of every rule"},
    {NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out,
            "soko %s — education-quality monitoring for district offices\n\n"
            "usage: soko [--db PATH] COMMAND [ARGS] [OPTIONS]\n\ncommands:\n",
            SOKO_VERSION);
    for (const struct command *c = commands; c->name; c++)
        fprintf(out, "  %-10s %-13s %s\n", c->name, c->args, c->help);
    fprintf(out,
            "\noptions:\n"
            "  --db PATH          the store (default $SOKO_DB or ./soko.db)\n"
            "  --ignore-unknown   import: skip columns the form does not know\n"
            "  --keep-students    import vpr_students: also store the student rows (personal data)\n"
            "  --max-errors N     report at most N errors per file (default 50)\n"
            "  --quiet            import: print nothing on success\n"
            "  --profile NAME     import, check: read the file through an import profile\n"
            "                     (indicators/profiles/NAME.ini or a path; docs/profiles.md)\n"
            "  --ru               template: Russian headers, ';', UTF-8 with BOM (for Excel)\n"
            "  --years A-B        analyses: the window of years (e.g. 2024-2026); default the\n"
            "                     last 3 years present\n"
            "  --school ID, --cluster ID, --indicator ID\n"
            "                     analyses: only this school, cluster or indicator\n"
            "  --indicators DIR   the indicator definitions (default ./indicators)\n"
            "  --rules FILE       the rule file (default indicators/rules.ini)\n"
            "  --format F         table (default), csv or json\n"
            "  --out DIR          reports: where to write;  --date YYYY-MM-DD: the date printed\n"
            "  -h, --help         this help;   --version   the version\n"
            "\nexit status: 0 ok, 1 bad input data, 2 usage, 3 bad definition file, "
            "4 i/o error, 5 store error\n");
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
    {"--indicators", O(indicators_dir)}, {"--profile", O(profile)}, {NULL, 0}};
static const struct opt flag_opts[] = {
    {"--ignore-unknown", O(ignore_unknown)}, {"--keep-students", O(keep_students)},
    {"--quiet", O(quiet)}, {"--ru", O(ru)}, {NULL, 0}};

int main(int argc, char **argv)
{
    struct cli c;
    memset(&c, 0, sizeof c);
    c.max_errors = 50;
    c.format = "table";
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
        if (strcmp(a, "--version") == 0) {
            printf("soko %s (SQLite %s, SHA-256 %s)\n", SOKO_VERSION, sqlite3_libversion(),
                   sha256_impl());
            free(pos);
            return SOKO_OK;
        }
        if (strcmp(a, "--") == 0) {
            while (++i < argc) pos[npos++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a, '=');
            size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
            int done = 0;
            for (const struct opt *o = value_opts; o->name && !done; o++) {
                if (strlen(o->name) != nlen || strncmp(o->name, a, nlen) != 0) continue;
                const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v) {
                    fprintf(stderr, "soko: option %s needs a value\n", o->name);
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
                    fprintf(stderr, "soko: --max-errors needs a number of 1 or more\n");
                    free(pos);
                    return SOKO_EUSAGE;
                }
                done = 1;
            }
            if (!done) {
                fprintf(stderr, "soko: unknown option '%s' (see soko --help)\n", a);
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
            rc = cmd->fn(&c);
            break;
        }
    if (rc < 0) {
        fprintf(stderr, "soko: unknown command '%s' (see soko --help)\n", pos[0]);
        rc = SOKO_EUSAGE;
    }
    free(pos);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "soko: cannot write the output\n");
        if (!rc) rc = SOKO_EIO;
    }
    return rc;
}

const char *cli_defs_dir(const struct cli *c)
{
    static const char *const dirs[] = {"indicators", "/usr/local/share/soko/indicators",
                                       "/usr/share/soko/indicators", NULL};
    if (c->indicators_dir && *c->indicators_dir) return c->indicators_dir;
    struct stat sb;
    for (int i = 0; dirs[i]; i++)
        if (stat(dirs[i], &sb) == 0 && S_ISDIR(sb.st_mode)) return dirs[i];
    return dirs[0];
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
