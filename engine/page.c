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
#include <zip.h>

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

/* The one typographic touch of the page model: an abbreviation «г.» or «гг.» at the
 * end of a sentence takes no second point. Takes over s. */
static char *tidy(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        *w++ = *r;
        if (*r == '.' && r[1] == '.' && r[2] != '.' && w - s >= 3 && w[-2] == '\xb3' && w[-3] == '\xd0')
            r++;   /* "г.." (г is D0 B3 in UTF-8) */
    }
    *w = '\0';
    return s;
}

void page_h(struct page *d, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct page_block *b = push(d, level <= 1 ? PAGE_H1 : level == 2 ? PAGE_H2 : PAGE_H3);
    b->text = tidy(xvasprintf(fmt, ap));
    va_end(ap);
}

void page_p(struct page *d, const char *lead, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct page_block *b = push(d, PAGE_P);
    b->lead = lead ? xstrdup(lead) : NULL;
    b->text = tidy(xvasprintf(fmt, ap));
    va_end(ap);
}

void page_item(struct page *d, const char *lead, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct page_block *b = push(d, PAGE_ITEM);
    b->lead = lead ? xstrdup(lead) : NULL;
    b->text = tidy(xvasprintf(fmt, ap));
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
        c->num2 = NAN;
        c->fmt = PAGE_F_DEC;
        c->pair = PAGE_ONE;
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

void page_cell_val(struct page_table *t, double num, enum page_fmt f, const char *text, int emph)
{
    struct page_cell *c = next_cell(t);
    c->text = xstrdup(text ? text : "");
    c->num = num;
    c->fmt = f;
    c->emph = emph;
}

void page_cell_range(struct page_table *t, double lo, double hi, enum page_fmt f, const char *text)
{
    struct page_cell *c = next_cell(t);
    c->text = xstrdup(text ? text : "");
    c->num = lo;
    c->num2 = hi;
    c->fmt = f;
    c->pair = PAGE_RANGE;
}

void page_cell_rank(struct page_table *t, double rank, double of, const char *text)
{
    struct page_cell *c = next_cell(t);
    c->text = xstrdup(text ? text : "");
    c->num = rank;
    c->num2 = of;
    c->fmt = PAGE_F_INT;
    c->pair = PAGE_RANK;
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
    const char *p = buf;
    if (*p == '-') {
        sbuf_adds(&b, "−");
        p++;
    }
    size_t ndig = strcspn(p, ".,");
    for (size_t i = 0; p[i]; i++) {
        if (p[i] == '.' || p[i] == ',') {
            sbuf_addc(&b, ',');
            continue;
        }
        /* groups of three from 10 000 up, with a thin no-break space */
        if (i < ndig && i > 0 && ndig > 4 && (ndig - i) % 3 == 0) sbuf_adds(&b, "\u202F");
        sbuf_addc(&b, p[i]);
    }
    return sbuf_take(&b);
}

char *page_pval(double p)
{
    if (!isfinite(p)) return xstrdup("—");
    if (p < 0.001) return xstrdup("p < 0,001");
    char *n = page_num(p, 3);
    char *r = xasprintf("p = %s", n);
    free(n);
    return r;
}

char *page_date(const char *iso)
{
    static const char *const months[12] = {"января", "февраля", "марта", "апреля", "мая",
                                          "июня", "июля", "августа", "сентября", "октября",
                                          "ноября", "декабря"};
    int y, m, d;
    char tail;
    if (!iso || strlen(iso) != 10 || sscanf(iso, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        m < 1 || m > 12 || d < 1 || d > 31)
        return xstrdup(iso ? iso : "");
    return xasprintf("%d %s %d г.", d, months[m - 1], y);
}

/* ==== output ========================================================================== */

static int write_file(struct outdir *o, const char *name, const struct sbuf *b,
                      struct soko_diag *dg)
{
    return outdir_write(o, name, b->s ? b->s : "", b->len, dg);
}

/* ---- Markdown ---- */

static int is_numeric_col(const struct page_table *t, size_t j)
{
    for (size_t i = 0; i < t->nrows; i++)
        if (!isnan(t->cells[i * t->ncols + j].num)) return 1;
    return 0;
}

int page_write_md(const struct page *d, struct outdir *o, const char *name, const char *footer,
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
    int rc = write_file(o, name, &b, dg);
    sbuf_free(&b);
    return rc;
}

/* A list item whose lead is its number ("3."): a numbered list, no bullet. */
static int numbered(const struct page_block *k)
{
    if (!k->lead || !*k->lead) return 0;
    size_t n = strspn(k->lead, "0123456789");
    return n > 0 && strcmp(k->lead + n, ".") == 0;
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
    "li.num { list-style: none; text-indent: -5mm; padding-left: 5mm; }\n"
    "table { border-collapse: collapse; width: 100%; margin: 1mm 0 4mm; font-size: 9pt; "
    "break-inside: auto; }\n"
    "caption { caption-side: top; text-align: left; font-weight: bold; font-size: 9.5pt; "
    "padding: 0 0 1.5mm; }\n"
    "th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; vertical-align: top; }\n"
    "th { background: #eef1f5; font-size: 8.5pt; text-align: left; }\n"
    "td { overflow-wrap: anywhere; hyphens: auto; }\n"
    "td.n { text-align: right; white-space: nowrap; overflow-wrap: normal; font-variant-numeric: tabular-nums; }\n"
    "table.wide { font-size: 7.5pt; }\n table.wide th { font-size: 7pt; }\n"
    "td.code { font-family: 'DejaVu Sans Mono', monospace; font-size: 7pt; word-break: break-all; }\n"
    "@media print { table { page-break-inside: auto; } figure svg { max-height: 235mm; } }\n"
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

int page_write_html(const struct page *d, struct outdir *o, const char *name, const char *footer,
                    struct soko_diag *dg)
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
            sbuf_adds(&b, k->kind == PAGE_P ? "<p>" : numbered(k) ? "<li class=\"num\">" : "<li>");
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
            char *file = xasprintf("%s.svg", k->ref);
            char *prefix = xasprintf("c%zu_", ++nchart);
            char *svg = chart_svg_inline(o, file, prefix, k->text, dg);
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
            sbuf_adds(&b, t->ncols >= 8 ? "<table class=\"wide\">\n<caption>" : "<table>\n<caption>");
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
                    /* a hash or any long unbroken token may break anywhere */
                    int code = c->text && strlen(c->text) >= 32 && !strchr(c->text, ' ');
                    sbuf_adds(&b, j < 64 && numcol[j] ? "<td class=\"n\">" : code ? "<td class=\"code\">" : "<td>");
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
    if (!rc) rc = write_file(o, name, &b, dg);
    sbuf_free(&b);
    return rc;
}

/* ---- CSV and XLSX: the table as numbers ---- */

/* Does column j hold pairs (an interval, a place among peers)? Which kind. */
static enum page_pair col_pair(const struct page_table *t, size_t j)
{
    for (size_t i = 0; i < t->nrows; i++)
        if (t->cells[i * t->ncols + j].pair != PAGE_ONE) return t->cells[i * t->ncols + j].pair;
    return PAGE_ONE;
}

/* The exported headers: a pair column becomes two. Caller frees each and the array. */
static char **export_heads(const struct page_table *t, size_t *n)
{
    char **h = xcalloc(2 * t->ncols + 1, sizeof *h);
    size_t k = 0;
    for (size_t j = 0; j < t->ncols; j++) {
        switch (col_pair(t, j)) {
        case PAGE_RANGE:
            h[k++] = xasprintf("%s: нижняя граница", t->head[j]);
            h[k++] = xasprintf("%s: верхняя граница", t->head[j]);
            break;
        case PAGE_RANK:
            h[k++] = xstrdup(t->head[j]);
            h[k++] = xasprintf("%s: из", t->head[j]);
            break;
        default:
            h[k++] = xstrdup(t->head[j]);
        }
    }
    *n = k;
    return h;
}

static void free_heads(char **h, size_t n)
{
    for (size_t i = 0; i < n; i++) free(h[i]);
    free(h);
}

/* A number as Russian Excel reads it from a CSV: decimal comma, ASCII minus, no
 * grouping, up to 10 significant digits. */
static void csv_num(struct sbuf *b, double x)
{
    if (!isfinite(x)) return;
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", x);
    for (char *p = buf; *p; p++)
        if (*p == '.') *p = ',';
    sbuf_adds(b, buf);
}

int page_write_csv(const struct page *d, struct outdir *o, struct soko_diag *dg)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct page_table *t = d->v[i].table;
        if (!t) continue;
        struct sbuf b = SBUF_INIT;
        sbuf_adds(&b, "\xEF\xBB\xBF");
        size_t nh;
        char **h = export_heads(t, &nh);
        for (size_t j = 0; j < nh; j++) {
            if (j) sbuf_addc(&b, ';');
            esc_csv_excel(&b, h[j]);
        }
        free_heads(h, nh);
        sbuf_adds(&b, "\r\n");
        for (size_t r = 0; r < t->nrows; r++) {
            for (size_t j = 0; j < t->ncols; j++) {
                const struct page_cell *c = &t->cells[r * t->ncols + j];
                enum page_pair pr = col_pair(t, j);
                if (j) sbuf_addc(&b, ';');
                if (pr != PAGE_ONE) {
                    if (c->pair != PAGE_ONE) {
                        csv_num(&b, c->num);
                        sbuf_addc(&b, ';');
                        csv_num(&b, c->num2);
                    } else {
                        sbuf_addc(&b, ';');
                    }
                } else if (!isnan(c->num)) {
                    csv_num(&b, c->num);
                } else if (!is_numeric_col(t, j) || strcmp(c->text ? c->text : "", "—") != 0) {
                    esc_csv_excel(&b, c->text ? c->text : "");
                }
            }
            sbuf_adds(&b, "\r\n");
        }
        char *name = xasprintf("%s.csv", t->id);
        int rc = write_file(o, name, &b, dg);
        free(name);
        sbuf_free(&b);
        if (rc) return rc;
    }
    return SOKO_OK;
}

/* A sheet name from the caption («Таблица 3. СОУ…» → «3. СОУ…»), at most 31
 * characters, unique in the workbook (case-insensitively, as Excel compares). */
static char *sheet_name(const char *caption, const char *id, char **used, size_t nused)
{
    const char *c = caption;
    if (strncmp(c, "Таблица ", strlen("Таблица ")) == 0) c += strlen("Таблица ");
    char *base = esc_xlsx_sheet(c, id);
    char *name = xstrdup(base);
    for (int k = 2; ; k++) {
        int dup = 0;
        for (size_t i = 0; i < nused && !dup; i++)
            if (utf8_casecmp(used[i], name) == 0) dup = 1;
        if (!dup) break;
        free(name);
        /* room for " (k)": cut the base to 26 characters */
        size_t bytes = 0, chars = 0;
        while (base[bytes] && chars < 26) {
            bytes++;
            while ((base[bytes] & 0xC0) == 0x80) bytes++;
            chars++;
        }
        char *cut = xasprintf("%.*s (%d)", (int)bytes, base, k);
        name = esc_xlsx_sheet(cut, id);
        free(cut);
    }
    free(base);
    return name;
}

int page_write_xlsx(const struct page *d, struct outdir *o, const char *name,
                    struct soko_diag *dg)
{
    /* libxlsxwriter writes the file itself: into a private directory, then moved */
    char *tmp = NULL;
    int rc = outdir_tmp(o, &tmp, dg);
    if (rc) return rc;
    char *path = xasprintf("%s/%s", tmp, name);
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = tmp};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        soko_diag_add(dg, name, 0, 0, "%s", _("cannot create the workbook"));
        free(path);
        outdir_tmp_free(o, tmp);
        free(tmp);
        return SOKO_EIO;
    }
    /* a fixed creation time: the same data give the same workbook contents */
    lxw_doc_properties props;
    memset(&props, 0, sizeof props);
    char *title = esc_xlsx_dup(d->title);
    props.title = title;
    props.created = 946684800;   /* 2000-01-01 */
    workbook_set_properties(wb, &props);
    lxw_format *head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_text_wrap(head);
    format_set_align(head, LXW_ALIGN_VERTICAL_TOP);
    format_set_bg_color(head, 0xEEF1F5);
    format_set_border(head, LXW_BORDER_THIN);
    lxw_format *cap = workbook_add_format(wb);
    format_set_bold(cap);
    lxw_format *wrap = workbook_add_format(wb);
    format_set_text_wrap(wrap);
    format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
    /* number formats by kind (page_fmt), plain and bold */
    static const char *const numfmt[] = {"0.0#", "0.0%", "0", "[<0.001]\"< 0,001\";0.000", "0"};
    lxw_format *nf[5][2];
    for (int k = 0; k < 5; k++)
        for (int e = 0; e < 2; e++) {
            nf[k][e] = workbook_add_format(wb);
            format_set_num_format(nf[k][e], numfmt[k]);
            format_set_align(nf[k][e], LXW_ALIGN_VERTICAL_TOP);
            if (e) format_set_bold(nf[k][e]);
        }
    char **used = NULL;
    size_t nused = 0;
    for (size_t i = 0; i < d->n; i++) {
        const struct page_table *t = d->v[i].table;
        if (!t) continue;
        char *sheet = sheet_name(t->caption, t->id, used, nused);
        lxw_worksheet *ws = workbook_add_worksheet(wb, sheet);
        used = xrealloc(used, (nused + 1) * sizeof *used);
        used[nused++] = sheet;
        if (!ws) continue;
        char *c = esc_xlsx_dup(t->caption);
        worksheet_write_string(ws, 0, 0, c, cap);
        free(c);
        size_t nh;
        char **h = export_heads(t, &nh);
        if (nh > 16000) nh = 16000;
        double *width = xcalloc(nh ? nh : 1, sizeof *width);
        int *textcol = xcalloc(nh ? nh : 1, sizeof *textcol);
        for (size_t j = 0; j < nh; j++) {
            char *hh = esc_xlsx_dup(h[j]);
            worksheet_write_string(ws, 2, (lxw_col_t)j, hh, head);
            free(hh);
            /* a header wraps: its longest word counts, not the whole header */
            size_t w = 0, cur = 0;
            for (const char *p = h[j]; ; p++) {
                if (!*p || *p == ' ') {
                    if (cur > w) w = cur;
                    cur = 0;
                    if (!*p) break;
                } else if ((*p & 0xC0) != 0x80) {
                    cur++;
                }
            }
            width[j] = (double)w + 2;
        }
        for (size_t r = 0; r < t->nrows; r++) {
            lxw_row_t row = (lxw_row_t)(r + 3);
            size_t x = 0;
            for (size_t j = 0; j < t->ncols && x < nh; j++) {
                const struct page_cell *cl = &t->cells[r * t->ncols + j];
                int e = cl->emph ? 1 : 0;
                double k = cl->fmt == PAGE_F_PCT ? 0.01 : 1;
                if (col_pair(t, j) != PAGE_ONE) {
                    for (int q = 0; q < 2 && x < nh; q++, x++) {
                        double v = q ? cl->num2 : cl->num;
                        if (cl->pair != PAGE_ONE && isfinite(v))
                            worksheet_write_number(ws, row, (lxw_col_t)x, v * k, nf[cl->fmt][0]);
                        if (width[x] < 10) width[x] = 10;
                    }
                    continue;
                }
                if (!isnan(cl->num)) {
                    worksheet_write_number(ws, row, (lxw_col_t)x, cl->num * k, nf[cl->fmt][e]);
                    if (width[x] < 10) width[x] = 10;
                } else if (cl->text && *cl->text && strcmp(cl->text, "—") != 0) {
                    char *s2 = esc_xlsx_dup(cl->text);
                    worksheet_write_string(ws, row, (lxw_col_t)x, s2, wrap);
                    free(s2);
                    double w = (double)utf8_width(cl->text) + 2;
                    if (w > width[x]) width[x] = w;
                    textcol[x] = 1;
                }
                x++;
            }
        }
        for (size_t j = 0; j < nh; j++) {
            double w = width[j];
            double cap_w = j == 0 ? 60 : 40;
            if (w > cap_w) w = cap_w;
            if (w < 8) w = 8;
            worksheet_set_column(ws, (lxw_col_t)j, (lxw_col_t)j, w, textcol[j] ? wrap : NULL);
        }
        if (t->note) {
            char *s2 = esc_xlsx_dup(t->note);
            worksheet_write_string(ws, (lxw_row_t)(t->nrows + 4), 0, s2, NULL);
            free(s2);
        }
        if (nh) worksheet_autofilter(ws, 2, 0, (lxw_row_t)(2 + t->nrows), (lxw_col_t)(nh - 1));
        worksheet_freeze_panes(ws, 3, 1);
        free(width);
        free(textcol);
        free_heads(h, nh);
    }
    lxw_error err = workbook_close(wb);
    free(title);
    for (size_t i = 0; i < nused; i++) free(used[i]);
    free(used);
    if (err != LXW_NO_ERROR) {
        soko_diag_add(dg, name, 0, 0, _("cannot write the workbook: %s"), lxw_strerror(err));
        rc = SOKO_EIO;
    }
    if (!rc) rc = outdir_adopt(o, tmp, name, dg);
    free(path);
    outdir_tmp_free(o, tmp);
    free(tmp);
    return rc;
}

/* ---- DOCX ---- */

/* The package's fixed parts. Styles: Normal (Times New Roman 14, justified, first
 * line 1.25 cm), Title, Heading1..3 (bold, kept with the next paragraph), Caption,
 * TableText (12), TableGrid (single borders), ListText. */
static const char docx_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Default Extension=\"png\" ContentType=\"image/png\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
    "<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
    "<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>"
    "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
    "</Types>\n";

static const char docx_rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
    "</Relationships>\n";

static const char docx_settings[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
    "<w:defaultTabStop w:val=\"709\"/><w:autoHyphenation/><w:characterSpacingControl w:val=\"doNotCompress\"/>"
    "<w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>"
    "</w:settings>\n";

static const char docx_footer[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:ftr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>"
    "<w:r><w:rPr><w:sz w:val=\"24\"/></w:rPr><w:fldChar w:fldCharType=\"begin\"/></w:r>"
    "<w:r><w:rPr><w:sz w:val=\"24\"/></w:rPr><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>"
    "<w:r><w:rPr><w:sz w:val=\"24\"/></w:rPr><w:fldChar w:fldCharType=\"separate\"/></w:r>"
    "<w:r><w:rPr><w:sz w:val=\"24\"/></w:rPr><w:t>1</w:t></w:r>"
    "<w:r><w:rPr><w:sz w:val=\"24\"/></w:rPr><w:fldChar w:fldCharType=\"end\"/></w:r>"
    "</w:p></w:ftr>\n";

#define DOCX_FONT "<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:cs=\"Times New Roman\" w:eastAsia=\"Times New Roman\"/>"

static const char docx_styles[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
    "<w:docDefaults><w:rPrDefault><w:rPr>" DOCX_FONT "<w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/>"
    "<w:lang w:val=\"ru-RU\" w:eastAsia=\"ru-RU\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>"
    "<w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>"
    "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/>"
    "<w:pPr><w:spacing w:after=\"60\"/><w:ind w:firstLine=\"709\"/><w:jc w:val=\"both\"/></w:pPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:keepNext/><w:spacing w:after=\"120\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr>"
    "<w:rPr><w:b/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Subtitle\"><w:name w:val=\"Subtitle\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:spacing w:after=\"240\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/>"
    "<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"240\" w:after=\"120\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"0\"/></w:pPr>"
    "<w:rPr><w:b/><w:sz w:val=\"28\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:name w:val=\"heading 2\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/>"
    "<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"180\" w:after=\"60\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"1\"/></w:pPr>"
    "<w:rPr><w:b/><w:sz w:val=\"28\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading3\"><w:name w:val=\"heading 3\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/>"
    "<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"120\" w:after=\"60\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"2\"/></w:pPr>"
    "<w:rPr><w:b/><w:i/><w:sz w:val=\"28\"/></w:rPr></w:style>"
    "";

static const char docx_styles2[] =
    "<w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:keepNext/><w:spacing w:before=\"120\" w:after=\"60\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"left\"/></w:pPr>"
    "<w:rPr><w:sz w:val=\"24\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"FigureCaption\"><w:name w:val=\"Figure caption\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:spacing w:after=\"180\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr>"
    "<w:rPr><w:sz w:val=\"24\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Figure\"><w:name w:val=\"Figure\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:keepNext/><w:spacing w:before=\"120\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"TableText\"><w:name w:val=\"Table text\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:suppressAutoHyphens/><w:spacing w:after=\"0\"/><w:ind w:firstLine=\"0\"/><w:jc w:val=\"left\"/></w:pPr>"
    "<w:rPr><w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"TableNote\"><w:name w:val=\"Table note\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:spacing w:before=\"60\" w:after=\"120\"/><w:ind w:firstLine=\"0\"/></w:pPr>"
    "<w:rPr><w:sz w:val=\"24\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"ListText\"><w:name w:val=\"List text\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:ind w:left=\"709\" w:hanging=\"283\"/></w:pPr></w:style>"
    "<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/>"
    "<w:tblPr><w:tblBorders>"
    "<w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/><w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>"
    "<w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/><w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>"
    "<w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/><w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>"
    "</w:tblBorders><w:tblCellMar><w:left w:w=\"57\" w:type=\"dxa\"/><w:right w:w=\"57\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>"
    "</w:styles>\n";

static void x_text(struct sbuf *b, const char *s)
{
    sbuf_adds(b, "<w:t xml:space=\"preserve\">");
    esc_html(b, s ? s : "");
    sbuf_adds(b, "</w:t>");
}

static void x_run(struct sbuf *b, const char *s, int bold, int size)
{
    sbuf_adds(b, "<w:r>");
    if (bold || size) {
        sbuf_adds(b, "<w:rPr>");
        if (bold) sbuf_adds(b, "<w:b/>");
        if (size) sbuf_printf(b, "<w:sz w:val=\"%d\"/><w:szCs w:val=\"%d\"/>", size, size);
        sbuf_adds(b, "</w:rPr>");
    }
    x_text(b, s);
    sbuf_adds(b, "</w:r>");
}

static void x_para(struct sbuf *b, const char *style, const char *lead, const char *text)
{
    sbuf_adds(b, "<w:p>");
    if (style) sbuf_printf(b, "<w:pPr><w:pStyle w:val=\"%s\"/></w:pPr>", style);
    if (lead) {
        x_run(b, lead, 1, 0);
        x_run(b, " ", 0, 0);
    }
    x_run(b, text, 0, 0);
    sbuf_adds(b, "</w:p>");
}

/* Width and height of a PNG from its header; 0 when it is not one. */
static int png_size(const unsigned char *p, size_t n, unsigned *w, unsigned *h)
{
    if (n < 24 || memcmp(p, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
        return 0;
    *w = (unsigned)p[16] << 24 | (unsigned)p[17] << 16 | (unsigned)p[18] << 8 | p[19];
    *h = (unsigned)p[20] << 24 | (unsigned)p[21] << 16 | (unsigned)p[22] << 8 | p[23];
    return *w > 0 && *h > 0;
}

struct docx_media {
    char *data;
    size_t len;
};

static void x_table(struct sbuf *b, const struct page_table *t)
{
    /* text width 165 mm = 9355 twips; many columns: a smaller font */
    int size = t->ncols >= 8 ? 20 : 24;
    sbuf_adds(b, "<w:p><w:pPr><w:pStyle w:val=\"Caption\"/></w:pPr>");
    x_run(b, t->caption, 0, 0);
    sbuf_adds(b, "</w:p>");
    /* column widths follow the content: the longest cell (capped) and the longest
       word of the header, never below 5 characters; the sum is the text width */
    double *wt = xcalloc(t->ncols ? t->ncols : 1, sizeof *wt), sum = 0;
    for (size_t j = 0; j < t->ncols; j++) {
        double w = 5;
        size_t cur = 0;
        for (const char *p = t->head[j]; ; p++) {
            if (!*p || *p == ' ') {
                if (cur > w) w = (double)cur;
                cur = 0;
                if (!*p) break;
            } else if ((*p & 0xC0) != 0x80) {
                cur++;
            }
        }
        for (size_t r = 0; r < t->nrows; r++) {
            const char *tx = t->cells[r * t->ncols + j].text;
            double l = tx ? (double)utf8_width(tx) : 0;
            if (l > 36) l = 36 + (l - 36) / 4;
            if (l > 48) l = 48;
            if (l > w) w = l;
        }
        wt[j] = w;
        sum += w;
    }
    /* numbers never wrap: numeric columns keep their width, text columns share the
       rest (a character is about half the font size wide) */
    double cap = 9355.0 / (size * 10 * 0.52), fixed = 0, text = 0;
    for (size_t j = 0; j < t->ncols; j++) {
        if (is_numeric_col(t, j)) {
            double l = 0;
            for (size_t r = 0; r < t->nrows; r++) {
                const char *tx = t->cells[r * t->ncols + j].text;
                if (tx && (double)utf8_width(tx) > l) l = (double)utf8_width(tx);
            }
            if (l + 1.5 > wt[j]) wt[j] = l + 1.5;
            fixed += wt[j];
        } else {
            text += wt[j];
        }
    }
    if (fixed + text > cap && text > 0) {
        double k = (cap - fixed) / text;
        if (k < 0.2) k = 0.2;
        for (size_t j = 0; j < t->ncols; j++)
            if (!is_numeric_col(t, j)) wt[j] = wt[j] * k < 7 ? 7 : wt[j] * k;
    }
    sum = 0;
    for (size_t j = 0; j < t->ncols; j++) sum += wt[j];
    long *tw = xcalloc(t->ncols ? t->ncols : 1, sizeof *tw);
    for (size_t j = 0; j < t->ncols; j++) tw[j] = (long)(9355 * wt[j] / sum);
    sbuf_adds(b, "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"9355\" w:type=\"dxa\"/>"
                 "<w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"04A0\" w:firstRow=\"1\"/></w:tblPr>");
    sbuf_adds(b, "<w:tblGrid>");
    for (size_t j = 0; j < t->ncols; j++) sbuf_printf(b, "<w:gridCol w:w=\"%ld\"/>", tw[j]);
    sbuf_adds(b, "</w:tblGrid>");
    free(wt);
    /* the header row repeats on every page and is never split */
    sbuf_adds(b, "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
    for (size_t j = 0; j < t->ncols; j++) {
        sbuf_printf(b, "<w:tc><w:tcPr><w:tcW w:w=\"%ld\" w:type=\"dxa\"/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"EEF1F5\"/></w:tcPr>"
                       "<w:p><w:pPr><w:pStyle w:val=\"TableText\"/><w:keepNext/></w:pPr>", tw[j]);
        x_run(b, t->head[j], 1, size);
        sbuf_adds(b, "</w:p></w:tc>");
    }
    sbuf_adds(b, "</w:tr>");
    for (size_t r = 0; r < t->nrows; r++) {
        sbuf_adds(b, "<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for (size_t j = 0; j < t->ncols; j++) {
            const struct page_cell *c = &t->cells[r * t->ncols + j];
            int num = !isnan(c->num);
            sbuf_printf(b, "<w:tc><w:tcPr><w:tcW w:w=\"%ld\" w:type=\"dxa\"/></w:tcPr>"
                           "<w:p><w:pPr><w:pStyle w:val=\"TableText\"/>", tw[j]);
            if (num) sbuf_adds(b, "<w:jc w:val=\"right\"/>");
            sbuf_adds(b, "</w:pPr>");
            x_run(b, c->text ? c->text : "", c->emph, size);
            sbuf_adds(b, "</w:p></w:tc>");
        }
        sbuf_adds(b, "</w:tr>");
    }
    sbuf_adds(b, "</w:tbl>");
    free(tw);
    if (t->note) x_para(b, "TableNote", NULL, t->note);
    else sbuf_adds(b, "<w:p><w:pPr><w:pStyle w:val=\"TableNote\"/></w:pPr></w:p>");
}

static void x_image(struct sbuf *b, size_t rid, unsigned pw, unsigned ph, const char *alt)
{
    /* at most the text width (165 mm), never enlarged past 96 dpi */
    double wmm = pw * 25.4 / 96.0;
    if (wmm > 165) wmm = 165;
    double hmm = wmm * ph / pw;
    if (hmm > 200) {
        wmm *= 200 / hmm;
        hmm = 200;
    }
    long cx = (long)(wmm * 36000), cy = (long)(hmm * 36000);
    sbuf_adds(b, "<w:p><w:pPr><w:pStyle w:val=\"Figure\"/></w:pPr><w:r><w:drawing>");
    sbuf_printf(b, "<wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"%ld\" cy=\"%ld\"/>"
                   "<wp:docPr id=\"%zu\" name=\"chart%zu\" descr=\"", cx, cy, rid, rid);
    esc_html(b, alt);
    sbuf_printf(b, "\"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr>"
                   "<a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">"
                   "<pic:pic><pic:nvPicPr><pic:cNvPr id=\"%zu\" name=\"chart%zu.png\"/><pic:cNvPicPr/></pic:nvPicPr>"
                   "<pic:blipFill><a:blip r:embed=\"rIdImg%zu\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>"
                   "<pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"%ld\" cy=\"%ld\"/></a:xfrm>"
                   "<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>"
                   "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>",
                rid, rid, rid, cx, cy);
    x_para(b, "FigureCaption", NULL, alt);
}

static int zip_add_buf(zip_t *z, const char *name, const char *data, size_t len, int copy)
{
    zip_source_t *src = zip_source_buffer(z, copy ? memcpy(xmalloc(len ? len : 1), data, len) : data,
                                          len, copy);
    if (!src) return -1;
    zip_int64_t i = zip_file_add(z, name, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (i < 0) {
        zip_source_free(src);
        return -1;
    }
    /* a fixed time, so that the same note gives the same bytes */
    zip_file_set_mtime(z, (zip_uint64_t)i, 946684800, 0);
    zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_DEFLATE, 9);
    return 0;
}

int page_write_docx(const struct page *d, struct outdir *o, const char *name,
                    struct soko_diag *dg)
{
    struct sbuf b = SBUF_INIT;
    struct docx_media *media = NULL;
    size_t nmedia = 0;
    int rc = SOKO_OK;
    sbuf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                  "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
                  "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" "
                  "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" "
                  "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
                  "xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><w:body>");
    x_para(&b, "Title", NULL, d->title);
    if (d->subtitle) x_para(&b, "Subtitle", NULL, d->subtitle);
    for (size_t i = 0; i < d->n && !rc; i++) {
        const struct page_block *k = &d->v[i];
        switch (k->kind) {
        case PAGE_H1: x_para(&b, "Heading1", NULL, k->text); break;
        case PAGE_H2: x_para(&b, "Heading2", NULL, k->text); break;
        case PAGE_H3: x_para(&b, "Heading3", NULL, k->text); break;
        case PAGE_P: x_para(&b, NULL, k->lead, k->text); break;
        case PAGE_ITEM: case PAGE_LINK: {
            sbuf_adds(&b, "<w:p><w:pPr><w:pStyle w:val=\"ListText\"/></w:pPr>");
            if (!numbered(k)) x_run(&b, "–\t", 0, 0);
            if (k->lead) {
                x_run(&b, k->lead, 1, 0);
                x_run(&b, " ", 0, 0);
            }
            x_run(&b, k->text, 0, 0);
            sbuf_adds(&b, "</w:p>");
            break;
        }
        case PAGE_BREAK:
            sbuf_adds(&b, "<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");
            break;
        case PAGE_TABLE: x_table(&b, k->table); break;
        case PAGE_CHART: {
            char *file = xasprintf("%s.png", k->ref);
            size_t len = 0;
            char *png = outdir_read(o, file, &len, dg);
            unsigned pw, ph;
            if (!png || !png_size((const unsigned char *)png, len, &pw, &ph)) {
                if (png) soko_diag_add(dg, file, 0, 0, "%s", _("not a PNG image"));
                free(png);
                rc = SOKO_EIO;
            } else {
                media = xrealloc(media, (nmedia + 1) * sizeof *media);
                media[nmedia].data = png;
                media[nmedia].len = len;
                nmedia++;
                x_image(&b, nmedia, pw, ph, k->text);
            }
            free(file);
            break;
        }
        }
    }
    /* A4, margins: left 30, right 15, top and bottom 20 mm; page numbers below */
    sbuf_adds(&b, "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFtr\"/>"
                  "<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"
                  "<w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\" "
                  "w:header=\"709\" w:footer=\"567\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>\n");
    struct sbuf rels = SBUF_INIT;
    sbuf_adds(&rels, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                     "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                     "<Relationship Id=\"rIdSt\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
                     "<Relationship Id=\"rIdSet\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>"
                     "<Relationship Id=\"rIdFtr\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/>");
    for (size_t i = 0; i < nmedia; i++)
        sbuf_printf(&rels, "<Relationship Id=\"rIdImg%zu\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/chart%zu.png\"/>",
                    i + 1, i + 1);
    sbuf_adds(&rels, "</Relationships>\n");
    struct sbuf core = SBUF_INIT;
    sbuf_adds(&core, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                     "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
                     "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>");
    esc_html(&core, d->title);
    sbuf_adds(&core, "</dc:title><dc:language>ru-RU</dc:language></cp:coreProperties>\n");

    char *tmp = NULL;
    if (!rc) rc = outdir_tmp(o, &tmp, dg);
    if (!rc) {
        char *path = xasprintf("%s/%s", tmp, name);
        int zerr = 0;
        zip_t *z = zip_open(path, ZIP_CREATE | ZIP_EXCL, &zerr);
        int bad = !z;
        if (z) {
            bad |= zip_add_buf(z, "[Content_Types].xml", docx_types, strlen(docx_types), 0);
            bad |= zip_add_buf(z, "_rels/.rels", docx_rels, strlen(docx_rels), 0);
            bad |= zip_add_buf(z, "docProps/core.xml", core.s, core.len, 0);
            bad |= zip_add_buf(z, "word/document.xml", b.s, b.len, 0);
            bad |= zip_add_buf(z, "word/_rels/document.xml.rels", rels.s, rels.len, 0);
            struct sbuf st = SBUF_INIT;
            sbuf_adds(&st, docx_styles);
            sbuf_adds(&st, docx_styles2);
            bad |= zip_add_buf(z, "word/styles.xml", st.s, st.len, 1);
            sbuf_free(&st);
            bad |= zip_add_buf(z, "word/settings.xml", docx_settings, strlen(docx_settings), 0);
            bad |= zip_add_buf(z, "word/footer1.xml", docx_footer, strlen(docx_footer), 0);
            for (size_t i = 0; i < nmedia; i++) {
                char *mn = xasprintf("word/media/chart%zu.png", i + 1);
                bad |= zip_add_buf(z, mn, media[i].data, media[i].len, 0);
                free(mn);
            }
            if (bad) {
                zip_discard(z);
            } else if (zip_close(z) != 0) {
                soko_diag_add(dg, name, 0, 0, _("cannot write the document: %s"), zip_strerror(z));
                zip_discard(z);
                rc = SOKO_EIO;
            }
        }
        if (bad && !rc) {
            soko_diag_add(dg, name, 0, 0, _("cannot build the document (libzip error %d)"), zerr);
            rc = SOKO_EIO;
        }
        if (!rc) rc = outdir_adopt(o, tmp, name, dg);
        free(path);
        outdir_tmp_free(o, tmp);
        free(tmp);
    }
    for (size_t i = 0; i < nmedia; i++) free(media[i].data);
    free(media);
    sbuf_free(&b);
    sbuf_free(&rels);
    sbuf_free(&core);
    return rc;
}
