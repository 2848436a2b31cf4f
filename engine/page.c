/*
 * page.c — the report page model and its four writers (page.h). Each writer builds the
 * whole file in a buffer and writes it once, checking the write and the close.
 */
#include "page.h"
#include "chart.h"
#include "escape.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

/* ==== building ======================================================================== */

struct page *page_new(const char *title, const char *subtitle)
{
    struct page *d = xcalloc(1, sizeof *d);
    d->title = xstrdup(title);
    d->subtitle = subtitle ? xstrdup(subtitle) : NULL;
    return d;
}

static void table_free(struct page_table *t)
{
    free(t->id);
    free(t->caption);
    for (size_t j = 0; j < t->ncols; j++) free(t->head[j]);
    free(t->head);
    for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i].text);
    free(t->cells);
    free(t->note);
    free(t);
}

void page_free(struct page *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].lead);
        free(d->v[i].text);
        free(d->v[i].ref);
        if (d->v[i].table) table_free(d->v[i].table);
    }
    free(d->v);
    free(d->title);
    free(d->subtitle);
    free(d);
}

static struct page_block *push(struct page *d, enum page_kind k)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->v = xrealloc(d->v, d->cap * sizeof *d->v);
    }
    struct page_block *b = &d->v[d->n++];
    memset(b, 0, sizeof *b);
    b->kind = k;
    return b;
}

void page_h(struct page *d, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct page_block *b = push(d, level <= 1 ? PAGE_H1 : level == 2 ? PAGE_H2 : PAGE_H3);
    b->text = xvasprintf(fmt, ap);
    va_end(ap);
}

void page_p(struct page *d, const char *lead, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct page_block *b = push(d, PAGE_P);
    b->lead = lead ? xstrdup(lead) : NULL;
    b->text = xvasprintf(fmt, ap);
    va_end(ap);
}

void page_item(struct page *d, const char *lead, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct page_block *b = push(d, PAGE_ITEM);
    b->lead = lead ? xstrdup(lead) : NULL;
    b->text = xvasprintf(fmt, ap);
    va_end(ap);
}

void page_link(struct page *d, const char *text, const char *href)
{
    struct page_block *b = push(d, PAGE_LINK);
    b->text = xstrdup(text);
    b->ref = xstrdup(href);
}

void page_chart(struct page *d, const char *name, const char *alt)
{
    struct page_block *b = push(d, PAGE_CHART);
    b->ref = esc_filename(name);
    b->text = xstrdup(alt);
}

void page_break(struct page *d) { push(d, PAGE_BREAK); }

struct page_table *page_table(struct page *d, const char *id, const char *caption, size_t ncols,
                            const char *const *head)
{
    struct page_block *b = push(d, PAGE_TABLE);
    struct page_table *t = xcalloc(1, sizeof *t);
    d->ntables++;
    char *stem = esc_filename(id);
    t->id = xasprintf("%02zu_%s", d->ntables, stem);
    free(stem);
    t->caption = xstrdup(caption);
    t->ncols = ncols;
    t->head = xcalloc(ncols, sizeof *t->head);
    for (size_t j = 0; j < ncols; j++) t->head[j] = xstrdup(head[j]);
    b->table = t;
    return t;
}

/* Cells are appended in order; a row is complete after ncols of them. */
static size_t filled;   /* cells of the current row so far (one table is filled at a time) */

void page_row(struct page_table *t)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    for (size_t j = 0; j < t->ncols; j++) {
        struct page_cell *c = &t->cells[t->nrows * t->ncols + j];
        c->text = NULL;
        c->num = NAN;
        c->emph = 0;
    }
    t->nrows++;
    filled = 0;
}

static struct page_cell *next_cell(struct page_table *t)
{
    SOKO_ASSERT(t->nrows > 0 && filled < t->ncols);
    return &t->cells[(t->nrows - 1) * t->ncols + filled++];
}

void page_cell(struct page_table *t, const char *text)
{
    next_cell(t)->text = xstrdup(text ? text : "");
}

void page_cellf(struct page_table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    next_cell(t)->text = xvasprintf(fmt, ap);
    va_end(ap);
}

void page_cell_num(struct page_table *t, double num, const char *text, int emph)
{
    struct page_cell *c = next_cell(t);
    c->text = xstrdup(text ? text : "");
    c->num = num;
    c->emph = emph;
}

void page_table_note(struct page_table *t, const char *text)
{
    free(t->note);
    t->note = xstrdup(text);
}

char *page_num(double x, int decimals)
{
    if (!isfinite(x)) return xstrdup("—");
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, x);
    if (strspn(buf, "-0.,") == strlen(buf) && buf[0] == '-') memmove(buf, buf + 1, strlen(buf));
    struct sbuf b = SBUF_INIT;
    for (char *p = buf; *p; p++) {
        if (*p == '.' || *p == ',') sbuf_addc(&b, ',');
        else if (*p == '-') sbuf_adds(&b, "−");
        else sbuf_addc(&b, *p);
    }
    return sbuf_take(&b);
}

/* ==== output ========================================================================== */

static int write_file(const char *path, const struct sbuf *b, struct soko_diag *dg)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        soko_diag_add(dg, path, 0, 0, "cannot write: %s", strerror(errno));
        return SOKO_EIO;
    }
    size_t n = b->len ? fwrite(b->s, 1, b->len, f) : 0;
    int bad = n != b->len || ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        soko_diag_add(dg, path, 0, 0, "write failed: %s", strerror(errno));
        return SOKO_EIO;
    }
    return SOKO_OK;
}

/* ---- Markdown ---- */

static int is_numeric_col(const struct page_table *t, size_t j)
{
    for (size_t i = 0; i < t->nrows; i++)
        if (!isnan(t->cells[i * t->ncols + j].num)) return 1;
    return 0;
}

int page_write_md(const struct page *d, const char *path, const char *footer,
                 struct soko_diag *dg)
{
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "# ");
    esc_md(&b, d->title);
    sbuf_adds(&b, "\n\n");
    if (d->subtitle) {
        esc_md(&b, d->subtitle);
        sbuf_adds(&b, "\n\n");
    }
    for (size_t i = 0; i < d->n; i++) {
        const struct page_block *k = &d->v[i];
        switch (k->kind) {
        case PAGE_H1: case PAGE_H2: case PAGE_H3:
            sbuf_adds(&b, k->kind == PAGE_H1 ? "## " : k->kind == PAGE_H2 ? "### " : "#### ");
            esc_md(&b, k->text);
            sbuf_adds(&b, "\n\n");
            break;
        case PAGE_P: case PAGE_ITEM: case PAGE_LINK:
            if (k->kind != PAGE_P) sbuf_adds(&b, "- ");
            if (k->lead) {
                sbuf_adds(&b, "**");
                esc_md(&b, k->lead);
                sbuf_adds(&b, "** ");
            }
            if (k->kind == PAGE_LINK) {
                sbuf_adds(&b, "[");
                esc_md(&b, k->text);
                sbuf_adds(&b, "](");
                esc_md(&b, k->ref);    /* our own relative path: letters, _ and / */
                sbuf_adds(&b, ")");
            } else {
                esc_md(&b, k->text);
            }
            sbuf_adds(&b, "\n");
            if (k->kind == PAGE_P || i + 1 == d->n ||
                (d->v[i + 1].kind != PAGE_ITEM && d->v[i + 1].kind != PAGE_LINK))
                sbuf_adds(&b, "\n");
            break;
        case PAGE_CHART:
            sbuf_adds(&b, "![");
            esc_md(&b, k->text);
            sbuf_printf(&b, "](%s.png)\n\n", k->ref);
            break;
        case PAGE_BREAK:
            break;
        case PAGE_TABLE: {
            const struct page_table *t = k->table;
            sbuf_adds(&b, "*");
            esc_md(&b, t->caption);
            sbuf_adds(&b, "*\n\n|");
            for (size_t j = 0; j < t->ncols; j++) {
                sbuf_adds(&b, " ");
                esc_md(&b, t->head[j]);
                sbuf_adds(&b, " |");
            }
            sbuf_adds(&b, "\n|");
            for (size_t j = 0; j < t->ncols; j++)
                sbuf_adds(&b, is_numeric_col(t, j) ? "---:|" : "---|");
            sbuf_adds(&b, "\n");
            for (size_t r = 0; r < t->nrows; r++) {
                sbuf_adds(&b, "|");
                for (size_t j = 0; j < t->ncols; j++) {
                    const struct page_cell *c = &t->cells[r * t->ncols + j];
                    sbuf_adds(&b, " ");
                    if (c->emph && c->text && *c->text) sbuf_adds(&b, "**");
                    esc_md(&b, c->text ? c->text : "");
                    if (c->emph && c->text && *c->text) sbuf_adds(&b, "**");
                    sbuf_adds(&b, " |");
                }
                sbuf_adds(&b, "\n");
            }
            if (t->note) {
                sbuf_adds(&b, "\n");
                esc_md(&b, t->note);
                sbuf_adds(&b, "\n");
            }
            sbuf_adds(&b, "\n");
            break;
        }
        }
    }
    if (footer) {
        sbuf_adds(&b, "---\n\n");
        esc_md(&b, footer);
        sbuf_adds(&b, "\n");
    }
    int rc = write_file(path, &b, dg);
    sbuf_free(&b);
    return rc;
}

/* ---- HTML ---- */

const char page_css[] =
    "@page { size: A4; margin: 18mm 16mm 20mm 18mm; }\n"
    "html { font-family: 'PT Serif', 'Times New Roman', 'DejaVu Serif', serif; font-size: 11pt;"
    " color: #1b1b1b; background: #fff; }\n"
    "body { max-width: 182mm; margin: 0 auto; padding: 10mm 0; line-height: 1.4; }\n"
    "h1, h2, h3, h4, caption, th, .meta, nav { font-family: 'PT Sans', Arial, 'DejaVu Sans', sans-serif; }\n"
    "h1 { font-size: 17pt; margin: 0 0 2mm; }\n"
    ".subtitle { font-size: 11.5pt; color: #444; margin: 0 0 6mm; }\n"
    "h2 { font-size: 13.5pt; border-bottom: 1px solid #999; padding-bottom: 1mm; margin: 8mm 0 3mm; "
    "break-after: avoid; }\n"
    "h3 { font-size: 12pt; margin: 5mm 0 2mm; break-after: avoid; }\n"
    "h4 { font-size: 11pt; margin: 4mm 0 1.5mm; break-after: avoid; }\n"
    "p { margin: 0 0 2.5mm; text-align: justify; hyphens: auto; }\n"
    "ul { margin: 0 0 3mm; padding-left: 6mm; }\n li { margin: 0 0 1mm; }\n"
    "table { border-collapse: collapse; width: 100%; margin: 1mm 0 4mm; font-size: 9pt; "
    "break-inside: auto; }\n"
    "caption { caption-side: top; text-align: left; font-weight: bold; font-size: 9.5pt; "
    "padding: 0 0 1.5mm; }\n"
    "th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; vertical-align: top; }\n"
    "th { background: #eef1f5; font-size: 8.5pt; text-align: left; }\n"
    "td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }\n"
    "tr { break-inside: avoid; }\n thead { display: table-header-group; }\n"
    ".tnote { font-size: 8.5pt; color: #555; margin: -2mm 0 4mm; }\n"
    "figure { margin: 2mm 0 5mm; break-inside: avoid; text-align: center; }\n"
    "figure svg { max-width: 100%; height: auto; }\n"
    "figcaption { font-size: 9pt; color: #444; }\n"
    ".pb { break-after: page; }\n"
    "footer { margin-top: 10mm; border-top: 1px solid #999; padding-top: 2mm; font-size: 8.5pt; "
    "color: #555; }\n"
    "@media screen { body { padding: 12mm 14mm; box-shadow: 0 0 6px #ccc; margin: 8mm auto; } }\n"
    "@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; } }\n";

int page_write_html(const struct page *d, const char *path, const char *chart_dir,
                   const char *footer, struct soko_diag *dg)
{
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, "<!DOCTYPE html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    esc_html(&b, d->title);
    sbuf_adds(&b, "</title>\n<style>\n");
    sbuf_adds(&b, page_css);
    sbuf_adds(&b, "</style>\n</head>\n<body>\n<h1>");
    esc_html(&b, d->title);
    sbuf_adds(&b, "</h1>\n");
    if (d->subtitle) {
        sbuf_adds(&b, "<p class=\"subtitle\">");
        esc_html(&b, d->subtitle);
        sbuf_adds(&b, "</p>\n");
    }
    int in_list = 0, rc = SOKO_OK;
    size_t nchart = 0;
    for (size_t i = 0; i < d->n && !rc; i++) {
        const struct page_block *k = &d->v[i];
        int item = k->kind == PAGE_ITEM || k->kind == PAGE_LINK;
        if (item && !in_list) sbuf_adds(&b, "<ul>\n");
        if (!item && in_list) sbuf_adds(&b, "</ul>\n");
        in_list = item;
        switch (k->kind) {
        case PAGE_H1: case PAGE_H2: case PAGE_H3: {
            int lv = k->kind == PAGE_H1 ? 2 : k->kind == PAGE_H2 ? 3 : 4;
            sbuf_printf(&b, "<h%d>", lv);
            esc_html(&b, k->text);
            sbuf_printf(&b, "</h%d>\n", lv);
            break;
        }
        case PAGE_P: case PAGE_ITEM: case PAGE_LINK:
            sbuf_adds(&b, k->kind == PAGE_P ? "<p>" : "<li>");
            if (k->lead) {
                sbuf_adds(&b, "<strong>");
                esc_html(&b, k->lead);
                sbuf_adds(&b, "</strong> ");
            }
            if (k->kind == PAGE_LINK) {
                sbuf_adds(&b, "<a href=\"");
                esc_html(&b, k->ref);
                sbuf_adds(&b, "\">");
                esc_html(&b, k->text);
                sbuf_adds(&b, "</a>");
            } else {
                esc_html(&b, k->text);
            }
            sbuf_adds(&b, k->kind == PAGE_P ? "</p>\n" : "</li>\n");
            break;
        case PAGE_BREAK:
            sbuf_adds(&b, "<div class=\"pb\"></div>\n");
            break;
        case PAGE_CHART: {
            char *file = xasprintf("%s/%s.svg", chart_dir, k->ref);
            char *prefix = xasprintf("c%zu_", ++nchart);
            char *svg = chart_svg_inline(file, prefix, k->text, dg);
            if (!svg) {
                rc = SOKO_EIO;
            } else {
                sbuf_adds(&b, "<figure>\n");
                sbuf_adds(&b, svg);
                sbuf_adds(&b, "\n<figcaption>");
                esc_html(&b, k->text);
                sbuf_adds(&b, "</figcaption>\n</figure>\n");
            }
            free(svg);
            free(prefix);
            free(file);
            break;
        }
        case PAGE_TABLE: {
            const struct page_table *t = k->table;
            sbuf_adds(&b, "<table>\n<caption>");
            esc_html(&b, t->caption);
            sbuf_adds(&b, "</caption>\n<thead><tr>");
            for (size_t j = 0; j < t->ncols; j++) {
                sbuf_adds(&b, "<th>");
                esc_html(&b, t->head[j]);
                sbuf_adds(&b, "</th>");
            }
            sbuf_adds(&b, "</tr></thead>\n<tbody>\n");
            int numcol[64];
            for (size_t j = 0; j < t->ncols && j < 64; j++) numcol[j] = is_numeric_col(t, j);
            for (size_t r = 0; r < t->nrows; r++) {
                sbuf_adds(&b, "<tr>");
                for (size_t j = 0; j < t->ncols; j++) {
                    const struct page_cell *c = &t->cells[r * t->ncols + j];
                    sbuf_adds(&b, j < 64 && numcol[j] ? "<td class=\"n\">" : "<td>");
                    if (c->emph) sbuf_adds(&b, "<strong>");
                    esc_html(&b, c->text ? c->text : "");
                    if (c->emph) sbuf_adds(&b, "</strong>");
                    sbuf_adds(&b, "</td>");
                }
                sbuf_adds(&b, "</tr>\n");
            }
            sbuf_adds(&b, "</tbody>\n</table>\n");
            if (t->note) {
                sbuf_adds(&b, "<p class=\"tnote\">");
                esc_html(&b, t->note);
                sbuf_adds(&b, "</p>\n");
            }
            break;
        }
        }
    }
    if (in_list) sbuf_adds(&b, "</ul>\n");
    if (footer) {
        sbuf_adds(&b, "<footer>");
        esc_html(&b, footer);
        sbuf_adds(&b, "</footer>\n");
    }
    sbuf_adds(&b, "</body>\n</html>\n");
    if (!rc) rc = write_file(path, &b, dg);
    sbuf_free(&b);
    return rc;
}

/* ---- CSV ---- */

static void csv_num(struct sbuf *b, double x)
{
    if (isnan(x)) return;
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", x);
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
    sbuf_adds(b, buf);
}

int page_write_csv(const struct page *d, const char *dir, struct soko_diag *dg)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct page_table *t = d->v[i].table;
        if (!t) continue;
        struct sbuf b = SBUF_INIT;
        for (size_t j = 0; j < t->ncols; j++) {
            if (j) sbuf_addc(&b, ',');
            esc_csv(&b, t->head[j]);
        }
        sbuf_adds(&b, "\r\n");
        for (size_t r = 0; r < t->nrows; r++) {
            for (size_t j = 0; j < t->ncols; j++) {
                const struct page_cell *c = &t->cells[r * t->ncols + j];
                if (j) sbuf_addc(&b, ',');
                if (!isnan(c->num)) csv_num(&b, c->num);
                else if (!is_numeric_col(t, j) || strcmp(c->text ? c->text : "", "—") != 0)
                    esc_csv(&b, c->text ? c->text : "");
            }
            sbuf_adds(&b, "\r\n");
        }
        char *path = xasprintf("%s/%s.csv", dir, t->id);
        int rc = write_file(path, &b, dg);
        free(path);
        sbuf_free(&b);
        if (rc) return rc;
    }
    return SOKO_OK;
}

/* ---- XLSX ---- */

int page_write_xlsx(const struct page *d, const char *path, struct soko_diag *dg)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb) {
        soko_diag_add(dg, path, 0, 0, "cannot create the workbook");
        return SOKO_EIO;
    }
    /* a fixed creation time: the same data give the same workbook contents */
    lxw_doc_properties props;
    memset(&props, 0, sizeof props);
    char *title = esc_xlsx_dup(d->title);
    props.title = title;
    props.created = 946684800;   /* 2000-01-01 */
    workbook_set_properties(wb, &props);
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    format_set_text_wrap(bold);
    format_set_bg_color(bold, 0xEEF1F5);
    format_set_border(bold, LXW_BORDER_THIN);
    lxw_format *cap = workbook_add_format(wb);
    format_set_bold(cap);
    lxw_format *numf = workbook_add_format(wb);
    format_set_num_format(numf, "0.0##");
    for (size_t i = 0; i < d->n; i++) {
        const struct page_table *t = d->v[i].table;
        if (!t) continue;
        char *sheet = esc_xlsx_sheet(t->id, "table");
        lxw_worksheet *ws = workbook_add_worksheet(wb, sheet);
        free(sheet);
        if (!ws) continue;
        char *c = esc_xlsx_dup(t->caption);
        worksheet_write_string(ws, 0, 0, c, cap);
        free(c);
        for (size_t j = 0; j < t->ncols && j < 16000; j++) {
            char *h = esc_xlsx_dup(t->head[j]);
            worksheet_write_string(ws, 2, (lxw_col_t)j, h, bold);
            free(h);
            worksheet_set_column(ws, (lxw_col_t)j, (lxw_col_t)j, j == 0 ? 40 : 16, NULL);
        }
        for (size_t r = 0; r < t->nrows; r++)
            for (size_t j = 0; j < t->ncols && j < 16000; j++) {
                const struct page_cell *cl = &t->cells[r * t->ncols + j];
                lxw_row_t row = (lxw_row_t)(r + 3);
                if (!isnan(cl->num)) {
                    worksheet_write_number(ws, row, (lxw_col_t)j, cl->num, numf);
                } else if (cl->text && *cl->text) {
                    char *s = esc_xlsx_dup(cl->text);
                    worksheet_write_string(ws, row, (lxw_col_t)j, s, NULL);
                    free(s);
                }
            }
        if (t->note) {
            char *s = esc_xlsx_dup(t->note);
            worksheet_write_string(ws, (lxw_row_t)(t->nrows + 4), 0, s, NULL);
            free(s);
        }
        worksheet_freeze_panes(ws, 3, 1);
    }
    lxw_error err = workbook_close(wb);
    free(title);
    if (err != LXW_NO_ERROR) {
        soko_diag_add(dg, path, 0, 0, "cannot write the workbook: %s", lxw_strerror(err));
        return SOKO_EIO;
    }
    return SOKO_OK;
}
