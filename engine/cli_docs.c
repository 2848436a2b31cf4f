/*
 * cli_docs.c — `soko docs forms`: the reference of the unified forms in Markdown,
 * written from the forms table itself, so that docs/forms.md cannot drift from the
 * code (a test compares them and imports every example).
 */
#include "cli.h"
#include "forms.h"

#include <string.h>

static const char *type_name(const struct form_col *c)
{
    switch (c->type) {
    case COL_INT: return c->min >= 0 ? "count / integer" : "integer";
    case COL_REAL: return "number";
    case COL_YEAR: return "year";
    case COL_ENUM: return "one of";
    default: return "text";
    }
}

static void md_cell(const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", stdout);
        else fputc(*s, stdout);
    }
}

static void forms_md(void)
{
    printf("# The unified forms (единые формы)\n\n"
           "This file is written by `soko docs forms` from the forms table in\n"
           "`engine/forms.c`; do not edit it by hand. Every example below is imported by the\n"
           "tests (`tests/e2e/t_docs.sh`). `soko template FORM` prints an empty form;\n"
           "`soko template FORM --ru` the same with Russian headers for Excel.\n\n"
           "## What every form accepts\n\n"
           "* A header row, then one record per row; columns in any order; header names in\n"
           "  English or any Russian alias below, case-insensitive, quotes «» ignored. An\n"
           "  unknown column is an error unless `--ignore-unknown` is given; a missing required\n"
           "  column is an error naming it.\n"
           "* Delimiter `,`, `;` or TAB, detected from the header line; encoding UTF-8 (with\n"
           "  or without BOM) or Windows-1251, detected; decimal point or comma; spaces as\n"
           "  thousands separators; quoted fields with delimiters, quotes and line breaks\n"
           "  (RFC 4180); line ends LF, CRLF or CR.\n"
           "* Year as `2024`, or an academic year `2023/2024`, `2023-2024`, `2023/24`, meaning\n"
           "  2024 (the spring of the assessment).\n"
           "* A school not in the registry (form `schools`) is an error that names it.\n"
           "* A file is stored whole or not at all. Every error is reported as\n"
           "  `file:line:column: what is wrong; expected ...` (at most `--max-errors`, then a\n"
           "  count). A row whose key is already stored replaces it; the same file imported\n"
           "  twice changes nothing; `soko undo ID` removes an import and brings back the rows\n"
           "  it replaced.\n\n"
           "Column marks: **key** — part of the natural key; **required** — must be present\n"
           "and non-empty; otherwise optional (absent or empty means unknown, never zero).\n\n");
    for (size_t i = 0; soko_forms[i]; i++) {
        const struct form *f = soko_forms[i];
        if (f->kind == FORM_INTERNAL) continue;
        printf("## `%s` — %s\n\n%s.\n\n", f->name, f->title_ru, f->doc);
        if (f->kind == FORM_STUDENTS && strcmp(f->name, "ege_students") == 0)
            printf("Participant rows are aggregated on import into one `ege` row per school,\n"
                   "subject and year: participants, the mean test score and its standard\n"
                   "deviation (sd, n − 1; none for a single participant), those below the\n"
                   "minimum score the rows give, those with 81–100 and with 100. A file replaces\n"
                   "the ЕГЭ rows of the subjects it contains. No participant's row is stored.\n"
                   "Every row of a school's subject and year must give the same minimum.\n\n");
        else if (f->kind == FORM_STUDENTS)
            printf("Student rows are aggregated on import into one `vpr` row per work (year,\n"
                   "school, grade, subject: participants, marks, mean primary score, the comparison\n"
                   "with journal marks when every student has one) and a histogram of primary\n"
                   "scores (table `vpr_dist`). A file replaces the works it contains. Student\n"
                   "codes are not stored unless `--keep-students` is given. Where the school also\n"
                   "sent a `vpr` row for the same work, both must agree or the import says where\n"
                   "they differ. Marks must rise with the primary score within a work.\n\n");
        printf("| column | Russian header | type | | meaning |\n|---|---|---|---|---|\n");
        for (size_t j = 0; j < f->ncols; j++) {
            const struct form_col *c = &f->cols[j];
            printf("| `%s` | ", c->name);
            if (c->aliases) {
                const char *p = c->aliases;
                while (*p) {
                    size_t n = strcspn(p, "|");
                    printf("%.*s", (int)n, p);
                    p += n;
                    if (*p) {
                        fputs(", ", stdout);
                        p++;
                    }
                }
            }
            printf(" | %s", type_name(c));
            if (c->type == COL_ENUM) {
                for (const struct enum_val *v = c->values; v->value; v++)
                    printf("%s`%s`", v == c->values ? " " : ", ", v->value);
            } else if (c->type != COL_TEXT && c->max < 1e9)
                printf(" %g..%g", c->min, c->max);
            printf(" | %s | ", (c->flags & COL_KEY) ? "**key**" :
                                (c->flags & COL_REQUIRED) ? "**required**" : "");
            md_cell(c->doc);
            if (c->deflt) printf(" (default `%s`)", c->deflt);
            printf(" |\n");
        }
        if (f->nchecks) {
            printf("\nChecks:\n\n");
            for (size_t k = 0; k < f->nchecks; k++) printf("* %s\n", f->checks[k].doc);
        }
        if (f->example) printf("\nExample:\n\n```csv\n%s```\n", f->example);
        printf("\n");
    }
}

int cmd_docs(struct cli *c)
{
    if (c->argc == 1 && strcmp(c->argv[0], "forms") == 0) {
        forms_md();
        return SOKO_OK;
    }
    fprintf(stderr, "soko: usage: soko docs forms\n");
    return SOKO_EUSAGE;
}
