/*
 * page.h — a report as a list of blocks (headings, paragraphs, list items, tables,
 * charts), and the writers that turn it into Markdown, one self-contained HTML page
 * (charts inlined as SVG, print CSS for A4), CSV (one file per table) and XLSX (one
 * sheet per table, through libxlsxwriter).
 *
 * Takes: text (UTF-8, unescaped: each writer escapes it for its language through
 *   escape.h) and numbers already computed; a chart is referred to by its name, the
 *   files NAME.svg / NAME.png that chart.h made in the output directory.
 * Gives: files. Writers never run SQL and never compute: they only render.
 * Ownership: struct page from page_new, released by page_free; it copies every string.
 *   A struct page_table pointer returned by page_table is borrowed from the page.
 * Errors: writers return SOKO_EIO with the file named in the diag (a failed write,
 *   close, or a chart that cannot be read). Building a page cannot fail.
 */
#ifndef SOKO_PAGE_H
#define SOKO_PAGE_H

#include "outdir.h"
#include "soko.h"

#include <stddef.h>

enum page_kind { PAGE_H1, PAGE_H2, PAGE_H3, PAGE_P, PAGE_ITEM, PAGE_TABLE, PAGE_CHART, PAGE_LINK,
                PAGE_BREAK };

/* What a numeric cell holds: the writers choose its number format from this (XLSX:
 * a percent with one decimal, a count as an integer, a p-value readable below 0.001,
 * a year as a number). */
enum page_fmt {
    PAGE_F_DEC,      /* a value with decimals (a mean, a score, a z) */
    PAGE_F_PCT,      /* a percent, 0–100 as shown */
    PAGE_F_INT,      /* a count */
    PAGE_F_P,        /* a p-value */
    PAGE_F_YEAR      /* a year */
};

/* A cell that holds two numbers (an interval lo–hi, a place «3 из 8») is exported to
 * CSV and XLSX as two numeric columns. */
enum page_pair { PAGE_ONE, PAGE_RANGE, PAGE_RANK };

struct page_cell {
    char *text;          /* as shown (Russian number format) */
    double num;          /* the number behind it, for CSV/XLSX; NaN for text */
    double num2;         /* the second number of a pair (hi, or "of"); NaN otherwise */
    enum page_fmt fmt;
    enum page_pair pair;
    int emph;            /* 1: shown bold (e.g. a significant difference) */
};

struct page_table {
    char *id;            /* file stem of its CSV and name of its XLSX sheet */
    char *caption;
    size_t ncols;
    char **head;
    size_t nrows, cap;
    struct page_cell *cells;   /* nrows × ncols */
    char *note;          /* a line under the table; may be NULL */
};

struct page_block {
    enum page_kind kind;
    char *lead;          /* a bold start of a paragraph or item; may be NULL */
    char *text;          /* paragraph/item/heading text, chart alt, link text */
    char *ref;           /* chart name, or link target */
    struct page_table *table;
};

struct page {
    char *title;
    char *subtitle;      /* may be NULL */
    struct page_block *v;
    size_t n, cap;
    size_t ntables;
};

struct page *page_new(const char *title, const char *subtitle);
void page_free(struct page *d);

void page_h(struct page *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A paragraph; lead may be NULL. */
void page_p(struct page *d, const char *lead, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A list item (consecutive items form one list). */
void page_item(struct page *d, const char *lead, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void page_link(struct page *d, const char *text, const char *href);
void page_chart(struct page *d, const char *name, const char *alt);
void page_break(struct page *d);          /* a page break in print */

/* A table with ncols columns, headers from the array. */
struct page_table *page_table(struct page *d, const char *id, const char *caption, size_t ncols,
                            const char *const *head);
/* Starts a row; then exactly ncols cells. */
void page_row(struct page_table *t);
void page_cell(struct page_table *t, const char *text);
void page_cellf(struct page_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A numeric cell: shown as text, exported as num (NaN: exported empty). */
void page_cell_num(struct page_table *t, double num, const char *text, int emph);
/* The same with its kind of number (page_cell_num is PAGE_F_DEC). */
void page_cell_val(struct page_table *t, double num, enum page_fmt f, const char *text, int emph);
/* An interval lo–hi (kind f of both ends), shown as text. */
void page_cell_range(struct page_table *t, double lo, double hi, enum page_fmt f, const char *text);
/* A place among peers («3 из 8»). */
void page_cell_rank(struct page_table *t, double rank, double of, const char *text);
void page_table_note(struct page_table *t, const char *text);

/* --- writers -------------------------------------------------------------------------- */
/* Every writer builds the whole file in memory and puts it into the output directory
 * through outdir.h (a temporary name renamed into place, links never followed). */

/* Markdown; charts as ![alt](NAME.png) next to the file. */
int page_write_md(const struct page *d, struct outdir *o, const char *name, const char *footer,
                  struct soko_diag *dg);
/* One HTML page: print CSS, charts read from o/NAME.svg and inlined. */
int page_write_html(const struct page *d, struct outdir *o, const char *name, const char *footer,
                    struct soko_diag *dg);
/* ID.csv in o for every table, as Russian Excel opens them by double-click: UTF-8 with
 * a BOM, `;` between fields, CRLF, numbers with a decimal comma, a pair as two columns. */
int page_write_csv(const struct page *d, struct outdir *o, struct soko_diag *dg);
/* One workbook, a sheet per table named after its caption: numbers as numbers with
 * their formats, pairs as two columns, widths that fit, wrapped long text, autofilter,
 * a frozen header. */
int page_write_xlsx(const struct page *d, struct outdir *o, const char *name,
                    struct soko_diag *dg);
/* A DOCX in the layout of an official document: A4, margins 30/15/20/20 mm, Times New
 * Roman 14 (tables 12), numbered tables and figures with captions, table headers that
 * repeat on every page, charts as PNG from o/NAME.png. */
int page_write_docx(const struct page *d, struct outdir *o, const char *name,
                    struct soko_diag *dg);

/* The page's CSS (A4 print rules included). */
extern const char page_css[];

/* The report's one number formatter (Russian practice): decimals digits after a
 * decimal comma, the minus sign "−", no thousands separator below 10 000 and a thin
 * no-break space above ("51 083"); NaN gives "—". Caller frees. */
char *page_num(double x, int decimals);
/* A p-value as a reader sees it: "p < 0,001", else "p = 0,012" (3 decimals). */
char *page_pval(double p);
/* A date "2026-12-02" as «2 декабря 2026 г.»; text that is not such a date is
 * returned as it is. Caller frees. */
char *page_date(const char *iso);

#endif
