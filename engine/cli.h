/*
 * cli.h — the command line: the only place that prints to the terminal or chooses an
 * exit status. Each command is `int cmd_NAME(struct cli *c)`, returning an exit code
 * (enum soko_rc). Commands live in cli_*.c files by family and are listed in cli.c.
 */
#ifndef SOKO_CLI_H
#define SOKO_CLI_H

#include "soko.h"
#include "store.h"

#include <stdio.h>

struct cli {
    int argc;                 /* positional arguments after the command */
    char **argv;
    const char *db_path;      /* --db, SOKO_DB, or ./soko.db */
    /* options shared by several commands; each command says which it reads */
    int ignore_unknown, keep_students, quiet, ru;
    long max_errors;
    const char *format;       /* table | csv | json */
    const char *years;        /* "2021-2023" */
    const char *school, *cluster, *indicator;
    const char *out, *date, *rules, *indicators_dir, *profile;
};

/* Prints a diagnostics list to stderr (errors, "... and N more", notes). */
void cli_print_diag(const struct soko_diag *d);
/* Where the definitions are: --indicators, else ./indicators, else the installed
 * ones (/usr/local/share/soko/indicators, /usr/share/soko/indicators). */
const char *cli_defs_dir(const struct cli *c);
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
int cmd_docs(struct cli *c);
int cmd_indicators(struct cli *c);
/* cli_analysis.c */
int cmd_trends(struct cli *c);
int cmd_compare(struct cli *c);
int cmd_context(struct cli *c);
/* cli_rules.c */
int cmd_flags(struct cli *c);
int cmd_recommend(struct cli *c);
/* cli_note.c */
int cmd_note(struct cli *c);
int cmd_profile(struct cli *c);
int cmd_report(struct cli *c);

#endif
