/*
 * layout.h — import layouts: read the layouts people actually receive.
 *
 * A layout (INI, docs/layouts.md) names a target form and says, for each form
 * column, where its value comes from in the source file: a source column (a rename),
 * a constant, a count derived from a percentage and a total, the first N characters
 * of a column, or a value map; which source rows to skip (totals rows), which markers
 * mean a suppressed cell, and what to do with repeated keys (a registry derived from
 * a results file repeats each school). load.c applies it between the CSV parser and
 * the form's row checks, so everything of the plain import holds.
 *
 * Ownership: struct layout from layout_load, released by layout_free. Strings
 * returned by layout_map_row live in the caller's scratch buffer until the next call.
 * Errors: SOKO_ECONFIG with "file:line: why" for a bad layout; SOKO_EINPUT with
 * "file:line:column: ..." for a source row that cannot be mapped.
 */
#ifndef SOKO_LAYOUT_H
#define SOKO_LAYOUT_H

#include "forms.h"
#include "soko.h"

struct layout;

/* Loads `spec`: a path to an INI file, or a name looked up as DIR/NAME.ini in each of
 * the ':'-separated directories of `search` (e.g. "layouts:/usr/share/soko/layouts"). */
int layout_load(const char *spec, const char *search, struct layout **out,
                 struct soko_diag *d);
void layout_free(struct layout *p);

const struct form *layout_form(const struct layout *p);
const char *layout_name(const struct layout *p);     /* file name without .ini */
const char *layout_sha256(const struct layout *p);   /* of the layout file's bytes */
int layout_keep_first(const struct layout *p);       /* duplicates = first */

/* Resolves the source columns the layout names against a header. Errors name every
 * missing source column. Source columns the layout does not use are ignored. */
int layout_bind_header(struct layout *p, char *const *fields, size_t n, const char *file,
                        long line, struct soko_diag *d);

/* 1 when a header cell's text names a source column of the layout (loosely: case,
 * ё/е, spaces, quotes and punctuation aside): how the header row is told from the
 * title rows above it, and a workbook's sheet from the others. */
int layout_header_cell(const struct layout *p, const char *text);

/* Rows the header spans (header_rows, 1 to 3): the loader joins them into one name per
 * column before layout_bind_header. */
long layout_header_rows(const struct layout *p);
/* Wide layouts (wide = COLUMN): the header's top row names groups of columns (a
 * subject over its measures), each group a row of the form whose COLUMN is the
 * group's name. layout_bind_wide takes, per column, the joined header text, its top
 * and its bottom text; a source is looked for beside the groups first (shared by
 * every group: the school), then by its bottom text within each group. For each
 * record the loader selects each group in turn (layout_select_group) before
 * layout_map_row; a group whose measures are all empty or markers gives no row
 * (layout_group_empty). */
int layout_is_wide(const struct layout *p);
size_t layout_groups(const struct layout *p);    /* 0 when not wide */
int layout_bind_wide(struct layout *p, char *const *fields, char *const *tops,
                     char *const *bots, size_t n, const char *file, long line,
                     struct soko_diag *d);
void layout_select_group(struct layout *p, size_t g);
int layout_group_empty(const struct layout *p, char *const *fields, size_t n);
/* sheets = all: every sheet of a workbook whose header matches is read, each with its
 * own title rows (and its name as the last of them). */
int layout_all_sheets(const struct layout *p);
/* Counting layouts (`count`, `count COLUMN = V, ...`): source rows are participants
 * (an olympiad's rating), and the form's rows are their counts: the rows with the same
 * values of the other columns are added up. layout_counted(p, j): column j is a count
 * (its mapped text is "1" or "0"). */
int layout_aggregates(const struct layout *p);
int layout_counted(const struct layout *p, size_t j);
/* The layout's description (NULL when it has none), and the values its [title]
 * patterns found in the file last read ("2023, 5, Математика"), appended to out. */
const char *layout_description(const struct layout *p);
void layout_title_values(const struct layout *p, struct sbuf *out);
/* tasks = auto (per-participant forms): the columns whose header is a task as ФИС ОКО
 * writes it, «1 (1б)», «9.1 (2б)», «2К1 (3б)», «5(1) (1б)» (label, maximum points), found
 * by layout_bind_header. layout_task gives task k's label, maximum and 0-based field.
 * layout_task_header parses one header: the maximum, or 0 when it is no task's. */
size_t layout_tasks(const struct layout *p);
const char *layout_task(const struct layout *p, size_t k, int *max, int *field);
int layout_task_header(const char *h, char **label);
/* 1 when the layout takes values from the title rows ([title]). */
int layout_has_titles(const struct layout *p);
/* Finds the [title] values in the rows above the header (each a row's texts joined
 * by spaces; the loader adds the sheet's name as the last). Every pattern must match
 * one of them; an error names the column and the rows seen otherwise. Call once per
 * file, before layout_map_row. */
int layout_set_titles(struct layout *p, char *const *lines, const long *line_nos, size_t n,
                      const char *file, struct soko_diag *d);
/* 1 when form column j is given by `login COLUMN`: its mapped text is a ФИС ОКО login
 * (edu…/sch…, lower case) that the loader turns into the school's code. */
int layout_is_login(const struct layout *p, size_t j);

/* scores = columns (form vpr_dist, the report «Распределение первичных баллов»): the
 * columns headed by a primary score are the histogram (`score percents of TOTAL` or
 * `score counts`: a JSON array of counts). layout_is_scale(p, j): column j is given by
 * `scale` — its mapped text is empty, and the loader fills it from the store's
 * conversion scale (the marks' lowest scores). */
int layout_is_scale(const struct layout *p, size_t j);

/* blocks = COLUMN (the report «Сравнение отметок с отметками по журналу»): a row with
 * a label alone in COLUMN (a school's login, the region) begins a block; the rows
 * under it hold figures, each labelled in COLUMN like one of the layout's `row LABEL
 * of C` sources («Понизили», «Всего»); a block is one record of the form. The loader
 * asks layout_block_is_label of each record: then it maps the pending block (if any)
 * with layout_map_row, and begins the next (layout_block_begin); else it adds the row
 * (layout_block_add: an error for a row that is none of the layout's, twice in a block,
 * or before the first label). At the end it maps the last. layout_cell_line(p, j):
 * the line of the row that gave form column j (0: the block's). */
int layout_blocks(const struct layout *p);
int layout_block_pending(const struct layout *p);
long layout_block_line(const struct layout *p);
int layout_block_is_label(const struct layout *p, char *const *fields, size_t n);
void layout_block_begin(struct layout *p, char *const *fields, size_t n, long line);
int layout_block_add(struct layout *p, char *const *fields, size_t n, long line,
                     const char *file, struct soko_diag *d);
void layout_block_end(struct layout *p);
long layout_cell_line(const struct layout *p, size_t j);
/* The LABEL of form column j's `row LABEL of C` (how messages name it), or NULL. */
const char *layout_row_label(const struct layout *p, size_t j);

/* [reference]: the layout of the rows that are not schools' (LAYOUT_NONSCHOOL: the
 * country, the region, the municipality), whose form is one of reference figures
 * (vpr_reference); NULL when the layout has none. It is bound with its parent's
 * header, takes the parent's title values, and its layout_map_row gives
 * LAYOUT_NONSCHOOL for a row whose level it cannot tell (a total). */
struct layout *layout_reference(const struct layout *p);

/* LAYOUT_ABSENT: an `absent` rule matched (a pupil who did not write the work).
 * LAYOUT_NONSCHOOL: the `login` column holds no login (Вся выборка, the region, the
 * municipality, Итого); out[0] is that cell's text and outcol[0] its field. */
enum layout_row { LAYOUT_ROW = 0, LAYOUT_SKIP = 1, LAYOUT_SUPPRESSED = 2, LAYOUT_ERROR = 3,
                  LAYOUT_ABSENT = 4, LAYOUT_NONSCHOOL = 5 };

/* Maps one source record to texts per form column: out[j] is the value of form
 * column j (NULL when the layout gives none) and outcol[j] the 1-based source field
 * it came from (0 for constants), for messages. */
enum layout_row layout_map_row(struct layout *p, char *const *fields, size_t n,
                                 const char **out, long *outcol, struct sbuf *scratch,
                                 const char *file, long line, struct soko_diag *d);

#endif
