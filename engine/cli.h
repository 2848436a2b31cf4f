/*
 * cli.h — the command line: the only place that prints to the terminal or chooses an
 * exit status. Each command is `int cmd_NAME(struct cli *c)`, returning an exit code
 * (enum soko_rc). Commands live in cli_*.c files by family and are listed in cli.c.
 */
#ifndef SOKO_CLI_H
#define SOKO_CLI_H

#include "soko.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>

struct cli {
    int argc;                 /* positional arguments after the command */
    char **argv;
    const char *db_path;      /* --db, SOKO_DB, or ./soko.db */
    /* options shared by several commands; each command says which it reads */
    int ignore_unknown, keep_students, allow_names, quiet, ru;
    int docx;                 /* note, card, report: also write a DOCX */
    long max_errors;
    const char *format;       /* table | csv | json */
    const char *years;        /* "2021-2023" */
    const char *school, *cluster, *indicator;
    const char *out, *date, *rules, *indicators_dir, *layout, *context, *defs, *lang;
    const char *factors, *k, *year;   /* clusters propose */
    const char *sheet;        /* --sheet: a workbook's sheet by name or number */
    const char *command;      /* the command being run, for messages */
    char *defs_root;          /* found by cli_defs_root, freed by main */
    int stdout_failed;        /* errno of a failed write of a summary (cli_summary): the
                                 summaries went to stderr, the exit status stays that of
                                 the change they report */
};

/* Prints a diagnostics list to stderr (errors, "... and N more", notes), each message
 * made safe for a terminal (cli_term). */
void cli_print_diag(const struct soko_diag *d);
/* s made safe for a terminal (esc_term: no control characters, no bidi overrides).
 * Borrowed: valid until eight more calls, so several may be arguments of one printf. */
const char *cli_term(const char *s);
/* --format: SOKO_OK for none, table, csv or json; else says so on stderr and returns
 * SOKO_EUSAGE. The one check of every command that takes --format. */
int cli_check_format(const struct cli *c);
/* The summary of a change already stored (import, undo): printed to stdout and
 * flushed; when stdout cannot be written, said once on stderr and the summary written
 * there instead, without changing the exit status (docs/guarantees.md). */
void cli_summary(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The end of "no school 'X' in the store; ...": the known ids when there are few,
 * else the nearest (edit distance, then a shared beginning), at most five. ids in
 * order; caller frees. */
char *cli_suggest(const char *given, char *const *ids, size_t n);

/* A progress bar on stderr when it is a terminal (not with --quiet, TERM=dumb; no
 * colour with NO_COLOR): label, phase, a bar with done/total bytes, the rate and the
 * time left, or for a phase without a total the time so far. Drawn after half a
 * second (SOKO_PROGRESS_AFTER seconds when set), at most ten times a second and at
 * every change of phase, and erased by cli_progress_end. */
struct cli_progress {
    int on, color, drawn;
    const char *label, *phase;    /* borrowed */
    double t0, last, after;       /* after: seconds before the first draw */
};
void cli_progress_start(struct cli_progress *p, const struct cli *c, const char *label);
void cli_progress(struct cli_progress *p, const char *phase, uint64_t done, uint64_t total,
                  long rows);
void cli_progress_end(struct cli_progress *p);
/* Where the definitions are (docs/definitions.md): the root directory holding
 * indicators/, layouts/, rules.ini, context.ini and note.ini. Looked for in order:
 * --defs DIR, $SOKO_HOME, beside the executable (EXE_DIR/../defs in a build tree,
 * EXE_DIR/../share/soko where it was installed), and the directory compiled in
 * (SOKO_DATADIR, $(PREFIX)/share/soko). A candidate counts when it holds an
 * indicators/ directory. NULL, after printing every place it looked and how to fix
 * it, when none does. The working directory is never searched: a stray folder
 * must not change a district's indicators or lists. */
const char *cli_defs_root(struct cli *c);
/* The forms defined by INI files (formdef.h): ROOT/forms/FORM.ini, then every folder of
 * $SOKO_FORMS (DIR:DIR...). A root that no option or SOKO_HOME names is looked for
 * quietly: without one only the built-in forms are known. Prints what is wrong and
 * returns an exit code. Run by main before every command but help. */
int cli_load_forms(struct cli *c);
/* The indicator definitions: --indicators DIR, else ROOT/indicators; NULL as above. */
const char *cli_indicators_dir(struct cli *c);
/* A definition file: `given` (an option's value) when set, else ROOT/name. Caller
 * frees; NULL (after the message) when there is no root. */
char *cli_def_file(struct cli *c, const char *given, const char *name);
/* The context models (analysis.h): --context FILE, else ROOT/context.ini when it
 * exists (none is no error: *ms stays empty). Returns an exit code. */
struct ana_models;
int cli_load_context(struct cli *c, struct ana_models *ms, struct soko_diag *d);
/* The directory of the running executable (from /proc/self/exe, else argv[0]'s),
 * or NULL. Borrowed. */
const char *cli_exe_dir(void);
/* --years: "2024-2026", "2026", "2024-" (open end) or "-2026" (open start), within
 * IND_YEAR_MIN..IND_YEAR_MAX and not reversed; NULL or "" gives 0, 0 (no window).
 * 0 for a good value, -1 otherwise; an open end is 0 in *y0 or *y1. */
int cli_years(const char *s, int *y0, int *y1);
/* One CSV field (esc_csv_field) or JSON string (esc_json) to stdout. */
void cli_put_csv(const char *s);
void cli_put_json(const char *s);

/* Opens the store or prints why not; returns an exit code. */
int cli_open_store(struct cli *c, int readonly, struct store **s);

int cmd_import(struct cli *c);
int cmd_check(struct cli *c);
int cmd_template(struct cli *c);
int cmd_forms(struct cli *c);
int cmd_imports(struct cli *c);
int cmd_undo(struct cli *c);
int cmd_status(struct cli *c);
int cmd_schools(struct cli *c);
int cmd_clusters(struct cli *c);
/* cli_cluster.c: `soko clusters propose` (cmd_clusters hands it over) */
int cmd_clusters_propose(struct cli *c);
int cmd_migrate(struct cli *c);
int cmd_help(struct cli *c);
int cmd_docs(struct cli *c);
int cmd_indicators(struct cli *c);
/* cli_analysis.c */
int cmd_trends(struct cli *c);
int cmd_compare(struct cli *c);
int cmd_context(struct cli *c);
/* cli_rules.c */
int cmd_flags(struct cli *c);
int cmd_recommend(struct cli *c);
int cmd_calibrate(struct cli *c);
/* cli_tasks.c */
int cmd_tasks(struct cli *c);
/* cli_note.c */
int cmd_note(struct cli *c);
int cmd_card(struct cli *c);
int cmd_report(struct cli *c);

#endif
