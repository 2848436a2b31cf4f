/*
 * cli_docs.c — `soko docs forms`: the reference of the unified forms in Markdown,
 * written from the forms table itself, so that docs/forms.md cannot drift from the
 * code (a test compares them and imports every example).
 */
#include "cli.h"
#include "formdef.h"
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
           "`engine/forms.c` and the form definitions in `defs/forms/` (docs/own-forms.md);\n"
           "do not edit it by hand. Every example below is imported by the\n"
           "tests (`tests/e2e/t_docs.sh`). `soko template FORM` prints an empty form;\n"
           "`soko template FORM --ru` the same with Russian headers for Excel.\n\n"
           "## What every form accepts\n\n"
           "* A header row, then one record per row; columns in any order; header names in\n"
           "  English or any Russian alias below. Headers are compared loosely: case, ё/е,\n"
           "  spaces, quotes and punctuation do not matter, Latin letters that look like\n"
           "  Cyrillic ones count as Cyrillic, «Кол-во», «кол.» and «Число» mean «Количество»,\n"
           "  «Ср.», «Макс.» and «Мин.» mean «Средний», «Максимальный» and «Минимальный»,\n"
           "  «%%» means «процент» and a trailing «чел.» is ignored: «Кол-во участников, чел.»,\n"
           "  «Число участников» and «Количество участников» all name `participants`.\n"
           "* An unknown column is an error that names the nearest known headers («did you mean\n"
           "  «отметка 2»?»), unless `--ignore-unknown` is given; a missing required column is an\n"
           "  error naming its Russian header and its English name.\n"
           "* Delimiter `,`, `;` or TAB, detected from the header line; encoding UTF-8 (with\n"
           "  or without BOM) or Windows-1251, detected; decimal point or comma; quoted fields\n"
           "  with delimiters, quotes and line breaks (RFC 4180); line ends LF, CRLF or CR.\n"
           "* Thousands separated by a space, a no-break space (U+00A0), a narrow no-break space\n"
           "  (U+202F) or a thin space (U+2009), when every group after the first has three\n"
           "  digits: `1 234 567` is 1234567, `12 34` is refused.\n");
    printf("* Year as `2024`, or an academic year `2023/2024`, `2023-2024`, `2023/24`, meaning\n"
           "  2024 (the spring of the assessment). A year after next year (e.g. in 2026: 2028 or\n"
           "  later) is imported with a note asking to check it.\n"
           "* What Excel leaves behind is skipped and counted in a note, not refused: rows whose\n"
           "  every cell is empty (`;;;;`), columns with neither a header nor data, cells of\n"
           "  spaces only (read as empty). A value in a column without a header is an error.\n"
           "* Text is normalised before it is checked or stored: letters with combining marks\n"
           "  composed (и + ◌̆ is й, е + ◌̈ is ё), stress marks on Cyrillic letters dropped,\n"
           "  zero-width characters and soft hyphens removed, runs of spaces (no-break ones too)\n"
           "  made one space, none at either end.\n"
           "* Name-like keys (school codes, subjects, clusters) keep to one alphabet within a\n"
           "  word: «Мaтематика» with a Latin «a» is refused, with the spelling in Cyrillic\n"
           "  offered. Two values that look the same but differ in Latin and Cyrillic letters\n"
           "  (`А01`, `A01`) are refused, in one file and against the registry.\n"
           "* A school not in the registry (form `schools`) is an error, reported once per\n"
           "  school with the number of rows that name it and the first of them.\n"
           "* A pupil's code that looks like a person's name («Иванов Иван Петрович», «Петрова\n"
           "  А.С.», words of letters only, a patronymic) is refused, and no message ever\n"
           "  quotes a pupil's code; a district that has decided otherwise gives\n"
           "  `--allow-names`.\n"
           "* A file is stored whole or not at all. Every error is reported as\n"
           "  `file:row:column: what is wrong; expected ...`, the column in Excel's letters and\n"
           "  by the file's own header (`vpr.csv:2:E: column E «участников»: ...`), with what was\n"
           "  found and what is expected (at most `--max-errors`, then a count). A row whose key\n"
           "  is already stored replaces it; the same file imported twice changes nothing;\n"
           "  `soko undo ID` removes an import and brings back the rows it replaced.\n\n"
           "Column marks: **key** — part of the natural key; **required** — must be present\n"
           "and non-empty; otherwise optional (absent or empty means unknown, never zero).\n\n"
           "## The checks\n\n"
           "Besides each column's own type and range, a form's rows pass the checks listed\n"
           "under it; a failing row names both values and both columns by the file's headers.\n\n");
    for (int k = CHECK_SUM_EQ; k <= CHECK_KEYED_RANGE; k++)
        printf("* **%s** — %s.\n", form_check_kind_name((enum check_kind)k),
               form_check_kind_doc((enum check_kind)k));
    printf("\n");
    for (size_t i = 0; forms_all()[i]; i++) {
        const struct form *f = forms_all()[i];
        if (f->kind == FORM_INTERNAL) continue;
        printf("## `%s` — %s\n\n%s.\n\n", f->name, f->title_ru, f->doc);
        if (formdef_file(f)) {
            const char *p = formdef_file(f), *slash = strrchr(p, '/');
            printf("Defined in `forms/%s` (docs/own-forms.md), not built in.\n\n",
                   slash ? slash + 1 : p);
        }
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
            if (c->flags & COL_CONFUSABLE) printf("; one alphabet per word, no look-alikes");
            if (c->flags & COL_PSEUDONYM) printf("; a name is refused");
            printf(" |\n");
        }
        if (f->nchecks) {
            printf("\nChecks:\n\n");
            for (size_t k = 0; k < f->nchecks; k++)
                printf("* %s: %s\n", form_check_kind_name(f->checks[k].kind), f->checks[k].doc);
        }
        if (form_notes(f)) printf("\n%s\n", form_notes(f));
        if (f->factor_col) {
            printf("\nIts rows are context factors: `%s` names the factor, `%s` holds its "
                   "value. A context model (docs/analysis.md) or `soko clusters propose` names "
                   "one ", f->factor_col, f->factor_value);
            if (strcmp(f->name, "context") == 0) printf("by itself (`share_low_income`).\n");
            else printf("as `%s:CODE`.\n", f->name);
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
    fprintf(stderr, _("soko: usage: soko docs forms\n"));
    return SOKO_EUSAGE;
}
