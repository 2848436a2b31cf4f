/*
 * doc.h — a report as a list of blocks (headings, paragraphs, list items, tables,
 * charts), and the writers that turn it into Markdown, one self-contained HTML page
 * (charts inlined as SVG, print CSS for A4), CSV (one file per table) and XLSX (one
 * sheet per table, through libxlsxwriter).
 *
 * Takes: text (UTF-8, unescaped: each writer escapes it for its language through
 *   escape.h) and numbers already computed; a chart is referred to by its name, the
 *   files NAME.svg / NAME.png that chart.h made in the output directory.
 * Gives: files. Writers never run SQL and never compute: they only render.
 * Ownership: struct doc from doc_new, released by doc_free; it copies every string.
 *   A struct doc_table pointer returned by doc_table is borrowed from the doc.
 * Errors: writers return SOKO_EIO with the file named in the diag (a failed write,
 *   close, or a chart that cannot be read). Building a doc cannot fail.
 */
#ifndef SOKO_DOC_H
#define SOKO_DOC_H

#include "soko.h"

#include <stddef.h>

enum doc_kind { DOC_H1, DOC_H2, DOC_H3, DOC_P, DOC_ITEM, DOC_TABLE, DOC_CHART, DOC_LINK,
                DOC_BREAK };

struct doc_cell {
    char *text;          /* as shown (Russian number format) */
    double num;          /* the number behind it, for CSV/XLSX; NaN for text */
    int emph;            /* 1: shown bold (e.g. a significant difference) */
};

struct doc_table {
    char *id;            /* file stem of its CSV and name of its XLSX sheet */
    char *caption;
    size_t ncols;
    char **head;
    size_t nrows, cap;
    struct doc_cell *cells;   /* nrows × ncols */
    char *note;          /* a line under the table; may be NULL */
};

struct doc_block {
    enum doc_kind kind;
    char *lead;          /* a bold start of a paragraph or item; may be NULL */
    char *text;          /* paragraph/item/heading text, chart alt, link text */
    char *ref;           /* chart name, or link target */
    struct doc_table *table;
};

struct doc {
    char *title;
    char *subtitle;      /* may be NULL */
    struct doc_block *v;
    size_t n, cap;
    size_t ntables;
};

struct doc *doc_new(const char *title, const char *subtitle);
void doc_free(struct doc *d);

void doc_h(struct doc *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A paragraph; lead may be NULL. */
void doc_p(struct doc *d, const char *lead, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A list item (consecutive items form one list). */
void doc_item(struct doc *d, const char *lead, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void doc_link(struct doc *d, const char *text, const char *href);
void doc_chart(struct doc *d, const char *name, const char *alt);
void doc_break(struct doc *d);          /* a page break in print */

/* A table with ncols columns, headers from the array. */
struct doc_table *doc_table(struct doc *d, const char *id, const char *caption, size_t ncols,
                            const char *const *head);
/* Starts a row; then exactly ncols cells. */
void doc_row(struct doc_table *t);
void doc_cell(struct doc_table *t, const char *text);
void doc_cellf(struct doc_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A numeric cell: shown as text, exported as num (NaN: exported empty). */
void doc_cell_num(struct doc_table *t, double num, const char *text, int emph);
void doc_table_note(struct doc_table *t, const char *text);

/* --- writers -------------------------------------------------------------------------- */

/* Markdown; charts as ![alt](NAME.png) next to the file. */
int doc_write_md(const struct doc *d, const char *path, const char *footer,
                 struct soko_diag *dg);
/* One HTML page: print CSS, charts read from chart_dir/NAME.svg and inlined. */
int doc_write_html(const struct doc *d, const char *path, const char *chart_dir,
                   const char *footer, struct soko_diag *dg);
/* dir/ID.csv for every table (UTF-8, comma, header line; numbers with '.'). */
int doc_write_csv(const struct doc *d, const char *dir, struct soko_diag *dg);
/* One workbook, a sheet per table (numbers as numbers). */
int doc_write_xlsx(const struct doc *d, const char *path, struct soko_diag *dg);

/* The page's CSS (A4 print rules included). */
extern const char doc_css[];

/* Russian number formatting: decimals digits after a decimal comma, "−" minus;
 * NaN gives "—". Caller frees. */
char *doc_num(double x, int decimals);

#endif
