/*
 * chart.c — gnuplot charts (chart.h). Each chart is kept as two pieces of script text
 * made when it is added: its data (`$dN_K << EOD` blocks of numbers, defined once)
 * and its drawing commands (emitted once per output format). chart_render joins them
 * into one script and runs gnuplot once.
 *
 * Numbers are written by fmtnum(), never by printf's %g directly, so that a locale
 * with a decimal comma cannot break the data blocks. Text only ever enters the script
 * through esc_gnuplot().
 *
 * gnuplot is started with posix_spawn where glibc can change the child's directory
 * (2.29 and later): a report's process holds hundreds of MB, which fork would copy the
 * page tables of for every document; elsewhere with fork + execvp.
 */
#define _GNU_SOURCE   /* posix_spawn_file_actions_addchdir_np */
#include "chart.h"
#include "escape.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct chart {
    char *name;       /* file stem */
    char *data;       /* data blocks */
    char *draw;       /* settings and plot command */
    int w, h;         /* size in pixels */
};

struct chart_batch {
    struct chart *v;
    size_t n, cap;
};

/* Colours: the first series (the school) strong, then the cluster, the district. */
static const char *const palette[] = {"#1f5fa8", "#e07b00", "#333333", "#2a9d4b",
                                      "#b03a8c", "#8c6d1f", "#17a2b8", "#c0392b",
                                      "#999999", "#5b2c83", "#6fa8dc", "#000000"};
#define NPALETTE (sizeof palette / sizeof palette[0])
/* gnuplot point types (filled circle, square, triangles, diamond, pentagon, open ones)
 * and dash types, cycled with the palette but with another period */
static const int markers[] = {7, 5, 9, 11, 13, 15, 6, 4, 8, 10, 12, 14, 1};
static const int dashes[] = {1, 2, 1, 4, 1, 5, 3, 1, 2, 4, 5, 3, 1};
#define NSTYLE (sizeof markers / sizeof markers[0])

struct chart_batch *chart_batch_new(void)
{
    return xcalloc(1, sizeof(struct chart_batch));
}

void chart_batch_free(struct chart_batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].name);
        free(b->v[i].data);
        free(b->v[i].draw);
    }
    free(b->v);
    free(b);
}

size_t chart_count(const struct chart_batch *b) { return b->n; }

/* Appends a number in C notation ("NaN" for a NaN): %.6g, then any ',' a locale
 * may have produced turned into '.'. */
static void fmtnum(struct sbuf *s, double x)
{
    if (isnan(x)) {
        sbuf_adds(s, "NaN");
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.6g", x);
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
    sbuf_adds(s, buf);
}

static void str(struct sbuf *s, const char *text) { esc_gnuplot(s, text ? text : ""); }

static struct chart *add(struct chart_batch *b, const char *name, int w, int h)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 8;
        b->v = xrealloc(b->v, b->cap * sizeof *b->v);
    }
    struct chart *c = &b->v[b->n++];
    c->name = esc_filename(name);
    c->data = NULL;
    c->draw = NULL;
    c->w = w > CHART_MAX_PX ? CHART_MAX_PX : w;
    c->h = h > CHART_MAX_PX ? CHART_MAX_PX : h;
    return c;
}

/* Settings every chart starts from (after `reset`). */
static void common(struct sbuf *s, const char *title)
{
    sbuf_adds(s, "set encoding utf8\nset decimalsign ','\nset border 3 lc rgb '#555555'\n"
                 "set tics nomirror out\nset grid ytics lc rgb '#e3e3e3' lt 1\n");
    sbuf_adds(s, "set title ");
    str(s, title);
    sbuf_adds(s, " font ',12'\n");
}

/* A chart with nothing to draw: an empty frame with «нет данных» in the middle. The
 * plotted constant lies outside the y range, so gnuplot draws the frame and nothing
 * else (`plot NaN` is an error in gnuplot 5.4: "all points y value undefined"). */
static void empty_frame(struct sbuf *s)
{
    sbuf_adds(s, "unset key\nunset grid\nunset xtics\nunset ytics\nunset xlabel\nunset ylabel\n"
                 "set xrange [0:1]\nset yrange [0:1]\nset offsets 0, 0, 0, 0\n"
                 "set border 15 lc rgb '#999999'\n"
                 "set label 'нет данных' at graph 0.5, graph 0.5 center font ',12' tc rgb '#666666'\n"
                 "plot 2 notitle\n");
}

/* A data block name unique in the script: $d<chart index>_<k>. */
static void block(struct sbuf *s, size_t chart, size_t k)
{
    sbuf_printf(s, "$d%zu_%zu", chart, k);
}

/* ==== dynamics ======================================================================= */

void chart_dynamics(struct chart_batch *b, const char *name, const char *title,
                    const char *ylabel, const struct chart_series *ser, size_t nseries)
{
    size_t idx = b->n;
    /* the key lists every series below the plot: room for it */
    int h = 300 + 20 * (int)nseries;
    struct chart *c = add(b, name, 760, h < 400 ? 400 : h);
    struct sbuf data = SBUF_INIT, draw = SBUF_INIT;
    int ymin = 0, ymax = 0, any = 0;
    for (size_t k = 0; k < nseries; k++) {
        block(&data, idx, k);
        sbuf_adds(&data, " << EOD\n");
        for (size_t i = 0; i < ser[k].n; i++) {
            double v = ser[k].value[i];
            if (isnan(v)) continue;
            double lo = ser[k].lo ? ser[k].lo[i] : NAN, hi = ser[k].hi ? ser[k].hi[i] : NAN;
            if (isnan(lo) || isnan(hi)) lo = hi = v;
            sbuf_printf(&data, "%d ", ser[k].years[i]);
            fmtnum(&data, v);
            sbuf_addc(&data, ' ');
            fmtnum(&data, lo);
            sbuf_addc(&data, ' ');
            fmtnum(&data, hi);
            sbuf_addc(&data, '\n');
            if (!any || ser[k].years[i] < ymin) ymin = ser[k].years[i];
            if (!any || ser[k].years[i] > ymax) ymax = ser[k].years[i];
            any = 1;
        }
        sbuf_adds(&data, "EOD\n");
    }
    common(&draw, title);
    sbuf_adds(&draw, "set ylabel ");
    str(&draw, ylabel);
    sbuf_adds(&draw, "\nset xtics 1 format '%.0f'\nset key outside bottom center vertical\n");
    if (any) sbuf_printf(&draw, "set xrange [%d.6:%d.4]\n", ymin - 1, ymax);
    sbuf_adds(&draw, "set offsets 0, 0, graph 0.08, graph 0.08\n");
    if (!any || nseries == 0) {
        empty_frame(&draw);
    } else {
        sbuf_adds(&draw, "plot ");
        int first = 1;
        for (size_t k = 0; k < nseries; k++) {
            int has = 0;
            for (size_t i = 0; i < ser[k].n; i++)
                if (!isnan(ser[k].value[i])) has = 1;
            if (!has) continue;
            if (!first) sbuf_adds(&draw, ", \\\n     ");
            first = 0;
            block(&draw, idx, k);
            /* colour, marker and dash all vary, so that series stay apart in grey print */
            sbuf_printf(&draw, " using 1:2:3:4 with yerrorlines lw %s dt %d pt %d ps 1.0 lc rgb '%s' title ",
                        k == 0 ? "2.5" : "1.5", dashes[k % NSTYLE], markers[k % NSTYLE],
                        palette[k % NPALETTE]);
            str(&draw, ser[k].label);
        }
        sbuf_addc(&draw, '\n');
    }
    c->data = sbuf_take(&data);
    c->draw = sbuf_take(&draw);
}

/* ==== profile ======================================================================== */

void chart_profile(struct chart_batch *b, const char *name, const char *title,
                   const char *xlabel, const char *const *categories, size_t ncat,
                   const char *const *series, size_t nseries, const double *values,
                   double ymax)
{
    size_t idx = b->n;
    int h = 300 + 20 * (int)nseries;
    struct chart *c = add(b, name, 760, h < 400 ? 400 : h);
    struct sbuf data = SBUF_INIT, draw = SBUF_INIT;
    int any = 0;
    for (size_t k = 0; k < nseries; k++) {
        block(&data, idx, k);
        sbuf_adds(&data, " << EOD\n");
        for (size_t i = 0; i < ncat; i++) {
            double v = values[k * ncat + i];
            if (isnan(v)) continue;
            sbuf_printf(&data, "%zu ", i + 1);
            fmtnum(&data, v);
            sbuf_addc(&data, '\n');
            any = 1;
        }
        sbuf_adds(&data, "EOD\n");
    }
    common(&draw, title);
    sbuf_adds(&draw, "set xlabel ");
    str(&draw, xlabel);
    sbuf_adds(&draw, "\nset ylabel '%'\nset key outside bottom center vertical\n");
    if (ymax > 0) {
        sbuf_adds(&draw, "set yrange [0:");
        fmtnum(&draw, ymax);
        sbuf_adds(&draw, "]\n");
    } else {
        sbuf_adds(&draw, "set yrange [0:*]\n");
    }
    if (ncat > 25) sbuf_adds(&draw, "set xtics rotate by -90 font ',8'\n");
    if (ncat) {
        sbuf_printf(&draw, "set xrange [0.5:%zu.5]\nset xtics (", ncat);
        for (size_t i = 0; i < ncat; i++) {
            if (i) sbuf_adds(&draw, ", ");
            str(&draw, categories[i]);
            sbuf_printf(&draw, " %zu", i + 1);
        }
        sbuf_adds(&draw, ")\n");
    }
    if (!any || nseries == 0) {
        empty_frame(&draw);
    } else {
        sbuf_adds(&draw, "plot ");
        int first = 1;
        for (size_t k = 0; k < nseries; k++) {
            int has = 0;
            for (size_t i = 0; i < ncat; i++)
                if (!isnan(values[k * ncat + i])) has = 1;
            if (!has) continue;
            if (!first) sbuf_adds(&draw, ", \\\n     ");
            first = 0;
            block(&draw, idx, k);
            sbuf_printf(&draw, " using 1:2 with linespoints lw %s dt %d pt %d ps 1.0 lc rgb '%s' title ",
                        k == 0 ? "2.5" : "1.5", dashes[k % NSTYLE], markers[k % NSTYLE],
                        palette[k % NPALETTE]);
            str(&draw, series[k]);
        }
        sbuf_addc(&draw, '\n');
    }
    c->data = sbuf_take(&data);
    c->draw = sbuf_take(&draw);
}

/* ==== funnel ========================================================================= */

void chart_funnel(struct chart_batch *b, const char *name, const char *title,
                  const char *ylabel, const struct chart_funnel *f)
{
    size_t idx = b->n;
    struct chart *c = add(b, name, 760, 460);
    struct sbuf data = SBUF_INIT, draw = SBUF_INIT;
    double nmax = 0;
    block(&data, idx, 0);
    sbuf_adds(&data, " << EOD\n");
    for (size_t i = 0; i < f->ngrid; i++) {
        const double row[5] = {f->grid_n[i], f->lo95[i], f->hi95[i], f->lo998[i], f->hi998[i]};
        for (int j = 0; j < 5; j++) {
            if (j) sbuf_addc(&data, ' ');
            fmtnum(&data, row[j]);
        }
        sbuf_addc(&data, '\n');
        if (f->grid_n[i] > nmax) nmax = f->grid_n[i];
    }
    sbuf_adds(&data, "EOD\n");
    for (int hl = 0; hl < 2; hl++) {
        block(&data, idx, 1 + (size_t)hl);
        sbuf_adds(&data, " << EOD\n");
        for (size_t i = 0; i < f->npoints; i++) {
            const struct chart_point *p = &f->points[i];
            if (!!p->highlight != hl || isnan(p->value) || isnan(p->n)) continue;
            fmtnum(&data, p->n);
            sbuf_addc(&data, ' ');
            fmtnum(&data, p->value);
            sbuf_addc(&data, '\n');
            if (p->n > nmax) nmax = p->n;
        }
        sbuf_adds(&data, "EOD\n");
    }
    common(&draw, title);
    size_t npts = 0;
    for (size_t i = 0; i < f->npoints; i++)
        if (!isnan(f->points[i].value) && !isnan(f->points[i].n)) npts++;
    if (f->ngrid == 0 || npts == 0) {
        empty_frame(&draw);
        c->data = sbuf_take(&data);
        c->draw = sbuf_take(&draw);
        return;
    }
    sbuf_adds(&draw, "set xlabel 'Число участников (n)'\nset ylabel ");
    str(&draw, ylabel);
    sbuf_adds(&draw, "\nset key outside bottom center horizontal\nset xrange [0:");
    fmtnum(&draw, nmax > 0 ? nmax * 1.08 : 1);
    sbuf_adds(&draw, "]\nset offsets 0, 0, graph 0.05, graph 0.05\n");
    for (size_t i = 0; i < f->npoints; i++) {
        const struct chart_point *p = &f->points[i];
        if (!p->highlight || !p->label || isnan(p->value) || isnan(p->n)) continue;
        sbuf_adds(&draw, "set label ");
        str(&draw, p->label);
        sbuf_adds(&draw, " at ");
        fmtnum(&draw, p->n);
        sbuf_adds(&draw, ", ");
        fmtnum(&draw, p->value);
        sbuf_adds(&draw, " offset 0.8, 0.5 font ',9' tc rgb '#1f5fa8'\n");
    }
    sbuf_adds(&draw, "plot ");
    block(&draw, idx, 0);
    sbuf_adds(&draw, " using 1:(");
    fmtnum(&draw, f->target);
    sbuf_adds(&draw, ") with lines lw 1.5 lc rgb '#333333' title 'Значение района', \\\n     ");
    block(&draw, idx, 0);
    sbuf_adds(&draw, " using 1:2 with lines dt 2 lc rgb '#e07b00' title 'Граница 95 %', \\\n     ");
    block(&draw, idx, 0);
    sbuf_adds(&draw, " using 1:3 with lines dt 2 lc rgb '#e07b00' notitle, \\\n     ");
    block(&draw, idx, 0);
    sbuf_adds(&draw, " using 1:4 with lines dt 1 lc rgb '#c0392b' title 'Граница 99,8 %', \\\n     ");
    block(&draw, idx, 0);
    sbuf_adds(&draw, " using 1:5 with lines dt 1 lc rgb '#c0392b' notitle, \\\n     ");
    size_t nhl = 0;
    for (size_t i = 0; i < f->npoints; i++)
        if (f->points[i].highlight && !isnan(f->points[i].value) && !isnan(f->points[i].n)) nhl++;
    if (npts > nhl) {
        block(&draw, idx, 1);
        sbuf_adds(&draw, " using 1:2 with points pt 6 ps 0.7 lc rgb '#8c8c8c' title 'Другие ОО района'");
    }
    if (nhl) {
        if (npts > nhl) sbuf_adds(&draw, ", \\\n     ");
        block(&draw, idx, 2);
        sbuf_adds(&draw, " using 1:2 with points pt 7 ps 1.3 lc rgb '#1f5fa8' title 'ОО кластера'");
    }
    sbuf_addc(&draw, '\n');
    c->data = sbuf_take(&data);
    c->draw = sbuf_take(&draw);
}

/* Manual tics: set Xtics ('label' pos, ...). */
static void tics(struct sbuf *s, const char *axis, const char *const *labels, size_t n)
{
    sbuf_printf(s, "set %stics (", axis);
    for (size_t i = 0; i < n; i++) {
        if (i) sbuf_adds(s, ", ");
        str(s, labels[i]);
        sbuf_printf(s, " %zu", i);
    }
    sbuf_adds(s, ")\n");
}

/* ==== stacked bars ===================================================================== */

static const char *const mark_colours[] = {"#c0392b", "#f0a340", "#8fc36b", "#2a8a3e",
                                           "#1f5fa8", "#6b6b6b"};

void chart_stacked(struct chart_batch *b, const char *name, const char *title,
                   const char *const *categories, size_t ncat, const char *const *segments,
                   size_t nseg, const double *values)
{
    /* horizontal bars (a school's name is long): each segment is a box from the sum of
       the segments before it to that sum plus its value, drawn with boxxyerror */
    size_t idx = b->n;
    int h = 170 + 30 * (int)ncat;
    struct chart *c = add(b, name, 760, h < 240 ? 240 : h);
    struct sbuf data = SBUF_INIT, draw = SBUF_INIT;
    for (size_t j = 0; j < nseg; j++) {
        block(&data, idx, j);
        sbuf_adds(&data, " << EOD\n");
        for (size_t i = 0; i < ncat; i++) {
            double left = 0;
            for (size_t k = 0; k < j; k++)
                if (!isnan(values[i * nseg + k])) left += values[i * nseg + k];
            double v = values[i * nseg + j];
            if (isnan(v) || v <= 0) continue;
            fmtnum(&data, left + v / 2);
            sbuf_printf(&data, " %zu ", i);
            fmtnum(&data, v / 2);
            sbuf_addc(&data, ' ');
            fmtnum(&data, v);
            sbuf_addc(&data, '\n');
        }
        sbuf_adds(&data, "EOD\n");
    }
    common(&draw, title);
    sbuf_adds(&draw, "unset grid\nset grid xtics lc rgb '#e3e3e3' lt 1\n"
                     "set xrange [0:100]\nset xlabel '% участников'\n"
                     "set key outside bottom center horizontal\n");
    sbuf_printf(&draw, "set yrange [%zu.6:-0.6]\n", ncat ? ncat - 1 : 0);
    tics(&draw, "y", categories, ncat);
    int anyv = 0;
    for (size_t i = 0; i < ncat * nseg; i++)
        if (!isnan(values[i]) && values[i] > 0) anyv = 1;
    if (ncat == 0 || nseg == 0 || !anyv) {
        empty_frame(&draw);
    } else {
        sbuf_adds(&draw, "plot ");
        int first = 1;
        for (size_t j = 0; j < nseg; j++) {
            int has = 0;
            for (size_t i = 0; i < ncat; i++)
                if (!isnan(values[i * nseg + j]) && values[i * nseg + j] > 0) has = 1;
            if (!has) continue;
            if (!first) sbuf_adds(&draw, ", \\\n     ");
            first = 0;
            block(&draw, idx, j);
            sbuf_printf(&draw, " using 1:2:3:(0.36) with boxxyerror fs solid 0.9 border "
                               "lc rgb '#ffffff' fc rgb '%s' title ",
                        mark_colours[j % (sizeof mark_colours / sizeof *mark_colours)]);
            str(&draw, segments[j]);
            sbuf_adds(&draw, ", \\\n     ");
            block(&draw, idx, j);
            sbuf_adds(&draw, " using 1:2:(($4) >= 6 ? gprintf('%.0f', $4) : '') with labels "
                             "font ',9' notitle");
        }
        sbuf_addc(&draw, '\n');
    }
    c->data = sbuf_take(&data);
    c->draw = sbuf_take(&draw);
}

/* ==== heat map ========================================================================= */

void chart_heatmap(struct chart_batch *b, const char *name, const char *title,
                   const char *const *rows, size_t nrows, const char *const *cols,
                   size_t ncols, const double *z)
{
    /* the size follows the grid, so that labels never run together: 34 px a row,
       at least 64 px a column, room on the left for the names and below for the
       rotated column labels */
    size_t idx = b->n;
    int h = 230 + 34 * (int)nrows;
    int w = 420 + 66 * (int)ncols;
    struct chart *c = add(b, name, w < 900 ? 900 : w, h < 300 ? 300 : h);
    struct sbuf data = SBUF_INIT, draw = SBUF_INIT;
    int have[2] = {0, 0};
    for (int missing = 0; missing < 2; missing++) {
        block(&data, idx, (size_t)missing);
        sbuf_adds(&data, " << EOD\n");
        for (size_t i = 0; i < nrows; i++)
            for (size_t j = 0; j < ncols; j++) {
                double v = z[i * ncols + j];
                if (isnan(v) != missing) continue;
                have[missing] = 1;
                sbuf_printf(&data, "%zu %zu", j, i);
                if (!missing) {
                    sbuf_addc(&data, ' ');
                    fmtnum(&data, v > 3 ? 3 : v < -3 ? -3 : v);
                    sbuf_addc(&data, ' ');
                    fmtnum(&data, v);
                }
                sbuf_addc(&data, '\n');
            }
        sbuf_adds(&data, "EOD\n");
    }
    common(&draw, title);
    if (!nrows || !ncols || (!have[0] && !have[1])) {
        empty_frame(&draw);
        c->data = sbuf_take(&data);
        c->draw = sbuf_take(&draw);
        return;
    }
    sbuf_adds(&draw, "unset grid\nset border 0\nset tics scale 0\n"
                     "set palette defined (-3 '#b2182b', -1.5 '#f4a582', 0 '#f7f7f7', "
                     "1.5 '#92c5de', 3 '#2166ac')\nset cbrange [-3:3]\n"
                     "set cblabel 'z (> 0 — лучше района)' offset 1,0\n"
                     "set xtics rotate by -40 left font ',9'\n"
                     "set ytics font ',9'\n"
                     "set key outside bottom right horizontal\n");
    sbuf_printf(&draw, "set xrange [-0.5:%zu.5]\nset yrange [%zu.5:-0.5]\n",
                ncols - 1, nrows - 1);
    tics(&draw, "x", cols, ncols);
    tics(&draw, "y", rows, nrows);
    sbuf_adds(&draw, "plot ");
    if (have[0]) {
        block(&draw, idx, 0);
        sbuf_adds(&draw, " using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 "
                         "border lc rgb '#ffffff' notitle");
    }
    if (have[1]) {
        if (have[0]) sbuf_adds(&draw, ", \\\n     ");
        block(&draw, idx, 1);
        sbuf_adds(&draw, " using 1:2:(0.5):(0.5) with boxxyerror fc rgb '#d9d9d9' fs pattern 4 "
                         "border lc rgb '#ffffff' title 'нет данных или сравнения'");
    }
    if (have[0]) {
        sbuf_adds(&draw, ", \\\n     ");
        block(&draw, idx, 0);
        sbuf_adds(&draw, " using 1:2:(gprintf('%.1f', abs($4) < 0.05 ? 0 : $4)) with labels font ',9' notitle");
    }
    sbuf_addc(&draw, '\n');
    c->data = sbuf_take(&data);
    c->draw = sbuf_take(&draw);
}

/* ==== dot plot ======================================================================== */

void chart_dots(struct chart_batch *b, const char *name, const char *title,
                const char *xlabel, const struct chart_dot *dots, size_t ndots,
                const char *ref1_label, double ref1, const char *ref2_label, double ref2)
{
    size_t idx = b->n;
    int h = 150 + 26 * (int)ndots;
    struct chart *c = add(b, name, 760, h < 240 ? 240 : h);
    struct sbuf data = SBUF_INIT, draw = SBUF_INIT;
    int cnt[2] = {0, 0};
    for (int hl = 0; hl < 2; hl++) {
        block(&data, idx, (size_t)hl);
        sbuf_adds(&data, " << EOD\n");
        for (size_t i = 0; i < ndots; i++) {
            const struct chart_dot *d = &dots[i];
            if (!!d->highlight != hl || isnan(d->value)) continue;
            cnt[hl]++;
            double lo = d->lo, hi = d->hi;
            if (isnan(lo) || isnan(hi)) lo = hi = d->value;
            fmtnum(&data, d->value);
            sbuf_printf(&data, " %zu ", i);
            fmtnum(&data, lo);
            sbuf_addc(&data, ' ');
            fmtnum(&data, hi);
            sbuf_addc(&data, '\n');
        }
        sbuf_adds(&data, "EOD\n");
    }
    /* the span of the rows, for the vertical reference lines */
    block(&data, idx, 2);
    sbuf_printf(&data, " << EOD\n0 -0.6\n0 %zu.6\nEOD\n", ndots ? ndots - 1 : 0);
    common(&draw, title);
    sbuf_adds(&draw, "unset grid\nset grid xtics lc rgb '#e3e3e3' lt 1\n"
                     "set key outside bottom center horizontal\nset xlabel ");
    str(&draw, xlabel);
    sbuf_printf(&draw, "\nset yrange [%zu.6:-0.6]\nset offsets graph 0.05, graph 0.05, 0, 0\n",
                ndots ? ndots - 1 : 0);
    const char **labels = xcalloc(ndots ? ndots : 1, sizeof *labels);
    for (size_t i = 0; i < ndots; i++) labels[i] = dots[i].label;
    tics(&draw, "y", labels, ndots);
    free(labels);
    if (!cnt[0] && !cnt[1]) {
        empty_frame(&draw);
        c->data = sbuf_take(&data);
        c->draw = sbuf_take(&draw);
        return;
    }
    int first = 1;
    sbuf_adds(&draw, "plot ");
    for (int hl = 0; hl < 2; hl++) {
        if (!cnt[hl]) continue;
        if (!first) sbuf_adds(&draw, ", \\\n     ");
        first = 0;
        block(&draw, idx, (size_t)hl);
        sbuf_printf(&draw, " using 1:2:3:4 with xerrorbars pt 7 ps %s lc rgb '%s' notitle",
                    hl ? "1.3" : "1.0", hl ? "#1f5fa8" : "#6b6b6b");
    }
    const char *rl[2] = {ref1_label, ref2_label};
    const double rv[2] = {ref1, ref2};
    const char *rc[2] = {"#e07b00", "#333333"};
    for (int k = 0; k < 2; k++) {
        if (isnan(rv[k])) continue;
        sbuf_adds(&draw, ", \\\n     ");
        block(&draw, idx, 2);
        sbuf_adds(&draw, " using (");
        fmtnum(&draw, rv[k]);
        sbuf_printf(&draw, "):2 with lines dt %d lw 1.5 lc rgb '%s' title ", k ? 4 : 2, rc[k]);
        str(&draw, rl[k]);
    }
    sbuf_addc(&draw, '\n');
    c->data = sbuf_take(&data);
    c->draw = sbuf_take(&draw);
}

/* ==== the script and the process ===================================================== */

char *chart_script(const struct chart_batch *b, int formats)
{
    struct sbuf s = SBUF_INIT;
    sbuf_adds(&s, "# soko charts: one script per report (gnuplot -d charts.gp)\n");
    for (size_t i = 0; i < b->n; i++) {
        const struct chart *c = &b->v[i];
        sbuf_printf(&s, "\n# ---- %s\nreset\n", c->name);
        sbuf_adds(&s, c->data);
        static const struct {
            int flag;
            const char *ext, *term;
        } fmts[] = {
            {CHART_SVG, "svg", "svg size %d,%d font 'Arial,11' noenhanced background '#ffffff'"},
            {CHART_PNG, "png",
             "pngcairo size %d,%d font 'DejaVu Sans,10' noenhanced background '#ffffff'"},
        };
        for (size_t k = 0; k < 2; k++) {
            if (!(formats & fmts[k].flag)) continue;
            sbuf_adds(&s, "set terminal ");
            sbuf_printf(&s, fmts[k].term, c->w, c->h);
            sbuf_adds(&s, "\nset output ");
            char *file = xasprintf("%s.%s", c->name, fmts[k].ext);
            str(&s, file);
            free(file);
            sbuf_addc(&s, '\n');
            sbuf_adds(&s, c->draw);
            sbuf_adds(&s, "unset output\n");
            if (k == 0 && (formats & CHART_PNG)) {
                /* the PNG starts from the same settings as the SVG did */
                sbuf_adds(&s, "reset\n");
            }
        }
    }
    return sbuf_take(&s);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct sbuf b = SBUF_INIT;
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sbuf_add(&b, buf, k);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        sbuf_free(&b);
        return NULL;
    }
    if (len) *len = b.len;
    return sbuf_take(&b);
}

/* Runs gnuplot on charts.gp in the private directory tmp; SOKO_OK when it exits 0.
 * Its output goes to tmp/charts.log. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define SOKO_SPAWN 1
/* The child of run_gnuplot by posix_spawnp: in tmp, stdin from /dev/null, stdout and
 * stderr to charts.log. Returns 0 and the pid, or the exit status fork's child would
 * have given (126: the directory, 127: no program). */
static int spawn_gnuplot(const char *prog, const char *tmp, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return 126;
    int rc = posix_spawn_file_actions_addchdir_np(&fa, tmp);
    if (!rc) rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc) rc = posix_spawn_file_actions_addopen(&fa, 1, "charts.log",
                                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    if (!rc) rc = posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (rc) {
        posix_spawn_file_actions_destroy(&fa);
        return 126;
    }
    char *argv[] = {(char *)prog, (char *)"-d", (char *)"charts.gp", NULL};
    extern char **environ;
    rc = posix_spawnp(pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0) return 0;
    /* the file actions ran first: a missing program is ENOENT (or EACCES) from exec;
       the directory and the log fail with other errors, or before (the log exists) */
    struct stat sb;
    char *lp = xasprintf("%s/charts.log", tmp);
    int have_log = stat(lp, &sb) == 0;
    free(lp);
    return have_log && (rc == ENOENT || rc == EACCES || rc == ENOEXEC) ? 127 : 126;
}
#endif

static int run_gnuplot(const char *tmp, struct soko_diag *d)
{
    const char *prog = getenv("SOKO_GNUPLOT");
    if (!prog || !*prog) prog = "gnuplot";
    fflush(NULL);
#ifdef SOKO_SPAWN
    pid_t pid = -1;
    int early = spawn_gnuplot(prog, tmp, &pid);
    if (early) {
        if (early == 127)
            soko_diag_add(d, NULL, 0, 0,
                          _("cannot run '%s': install gnuplot (Debian: apt-get install gnuplot-nox; "
                          "or run scripts/deps)"), prog);
        else
            soko_diag_add(d, tmp, 0, 0, _("cannot prepare the directory for gnuplot"));
        return SOKO_EIO;
    }
#else
    pid_t pid = fork();
    if (pid < 0) {
        soko_diag_add(d, NULL, 0, 0, _("cannot start gnuplot: %s"), strerror(errno));
        return SOKO_EIO;
    }
    if (pid == 0) {
        /* the child: in tmp, stdin from /dev/null, stdout and stderr to charts.log */
        if (chdir(tmp) != 0) _exit(126);
        int in = open("/dev/null", O_RDONLY);
        int log = open("charts.log", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (in < 0 || log < 0) _exit(126);
        dup2(in, 0);
        dup2(log, 1);
        dup2(log, 2);
        char *argv[] = {(char *)prog, (char *)"-d", (char *)"charts.gp", NULL};
        execvp(prog, argv);
        _exit(127);
    }
#endif
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            soko_diag_add(d, NULL, 0, 0, _("waiting for gnuplot: %s"), strerror(errno));
            return SOKO_EIO;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return SOKO_OK;
    char *logpath = xasprintf("%s/charts.log", tmp);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        soko_diag_add(d, NULL, 0, 0,
                      _("cannot run '%s': install gnuplot (Debian: apt-get install gnuplot-nox; "
                      "or run scripts/deps)"), prog);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
        soko_diag_add(d, tmp, 0, 0, _("cannot prepare the directory for gnuplot"));
    else {
        char *log = read_all(logpath, NULL);
        soko_diag_add(d, "charts.log", 0, 0, _("gnuplot failed (%s %d): %.600s"),
                      WIFEXITED(status) ? "exit status" : "signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                      log ? log : "(no log)");
        free(log);
    }
    free(logpath);
    return SOKO_EIO;
}

int chart_render(struct chart_batch *b, struct outdir *o, int formats, struct soko_diag *d)
{
    /* gnuplot writes into a private directory inside o; the files are moved into
       place only when every chart was drawn, so a failure leaves no partial PNG */
    char *tmp = NULL;
    int rc = outdir_tmp(o, &tmp, d);
    if (rc) return rc;
    char *script = chart_script(b, formats);
    char *path = xasprintf("%s/charts.gp", tmp);
    FILE *f = fopen(path, "wbx");
    int ok = f && fputs(script, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) {
        soko_diag_add(d, path, 0, 0, _("cannot write the chart script: %s"), strerror(errno));
        rc = SOKO_EIO;
    }
    free(path);
    if (!rc) rc = run_gnuplot(tmp, d);
    for (size_t i = 0; !rc && i < b->n; i++)
        for (int k = 0; k < 2 && !rc; k++) {
            if (!(formats & (k ? CHART_PNG : CHART_SVG))) continue;
            char *file = xasprintf("%s.%s", b->v[i].name, k ? "png" : "svg");
            char *full = xasprintf("%s/%s", tmp, file);
            struct stat sb;
            if (stat(full, &sb) != 0 || sb.st_size == 0) {
                soko_diag_add(d, file, 0, 0, _("gnuplot wrote no chart (disk full?)"));
                rc = SOKO_EIO;
            }
            free(full);
            if (!rc) rc = outdir_adopt(o, tmp, file, d);
            free(file);
        }
    if (!rc) rc = outdir_write(o, "charts.gp", script, strlen(script), d);
    if (!rc) {
        /* what gnuplot prints with status 0 are warnings: kept in charts.log */
        char *lp = xasprintf("%s/charts.log", tmp);
        size_t len = 0;
        char *log = read_all(lp, &len);
        if (log && len) rc = outdir_write(o, "charts.log", log, len, d);
        else outdir_unlink(o, "charts.log");
        free(log);
        free(lp);
    }
    free(script);
    outdir_tmp_free(o, tmp);
    free(tmp);
    return rc;
}

/* Appends s[0..n) to out with every id="X", id='X', url(#X) and href="#X" (any
 * quote) given the prefix. */
static void prefix_ids(struct sbuf *out, const char *s, size_t n, const char *prefix)
{
    static const char *const keys[] = {"id=\"", "id='", "url(#", "href=\"#", "href='#"};
    size_t i = 0;
    while (i < n) {
        int hit = 0;
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            size_t kl = strlen(keys[k]);
            if (i + kl <= n && memcmp(s + i, keys[k], kl) == 0 &&
                (keys[k][0] != 'i' || i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t' ||
                 s[i - 1] == '\n')) {
                sbuf_add(out, s + i, kl);
                sbuf_adds(out, prefix);
                i += kl;
                hit = 1;
                break;
            }
        }
        if (!hit) sbuf_addc(out, s[i++]);
    }
}

char *chart_svg_inline(struct outdir *o, const char *name, const char *prefix, const char *alt,
                       struct soko_diag *d)
{
    size_t len = 0;
    char *svg = outdir_read(o, name, &len, d);
    if (!svg) return NULL;
    char *start = strstr(svg, "<svg");
    if (!start) {
        soko_diag_add(d, name, 0, 0, _("not an SVG file"));
        free(svg);
        return NULL;
    }
    struct sbuf out = SBUF_INIT;
    sbuf_adds(&out, "<svg role=\"img\" aria-label=\"");
    esc_html(&out, alt ? alt : "");
    sbuf_adds(&out, "\" class=\"chart\"");
    const char *rest = start + 4;
    /* the title gnuplot gives every SVG ("Gnuplot") becomes the chart's own */
    const char *t = strstr(rest, "<title>Gnuplot</title>");
    size_t cut = t ? (size_t)(t - rest) : strlen(rest);
    prefix_ids(&out, rest, cut, prefix);
    if (t) {
        sbuf_adds(&out, "<title>");
        esc_html(&out, alt ? alt : "");
        sbuf_adds(&out, "</title>");
        const char *after = t + strlen("<title>Gnuplot</title>");
        prefix_ids(&out, after, strlen(after), prefix);
    }
    free(svg);
    /* no trailing newline: the writer places it */
    while (out.len && (out.s[out.len - 1] == '\n' || out.s[out.len - 1] == ' '))
        out.s[--out.len] = '\0';
    return sbuf_take(&out);
}
