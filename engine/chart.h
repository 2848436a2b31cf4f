/*
 * chart.h — charts of a report, drawn by gnuplot: one gnuplot process per report.
 *
 * Takes: the numbers to draw, already computed (values, intervals, funnel limits,
 *   z-scores): chart never computes statistics and never reads the store. Labels and
 *   titles are any UTF-8 text; they are escaped (esc_gnuplot) and drawn with the
 *   terminal's `noenhanced` option, so a school's name appears as written and cannot
 *   become a gnuplot command.
 * Gives: a batch (struct chart_batch) to which a writer adds charts; chart_render
 *   writes ONE script, DIR/charts.gp, with every chart twice — SVG (for HTML, inlined
 *   by the writer) and PNG through pngcairo (for Markdown) — data inline as
 *   `$dN << EOD` blocks of numbers only, and runs `gnuplot -d charts.gp` once, in a
 *   private temporary directory inside DIR, through fork + execvp with an argv array
 *   (no shell; -d: no init files). Output files are DIR/NAME.svg and DIR/NAME.png,
 *   moved into place only when gnuplot succeeded (outdir.h). The same input gives the same script and
 *   the same SVG bytes (no dates, no environment in them).
 * Ownership: the batch copies everything it is given; chart_batch_free releases it.
 * Errors: chart_render returns SOKO_EIO when the script cannot be written, gnuplot
 *   cannot be started (not installed: the message names the Debian package) or exits
 *   with an error (the message carries gnuplot's stderr, kept in DIR/charts.log).
 *   Adding a chart cannot fail; NaN values are simply not drawn.
 */
#ifndef SOKO_CHART_H
#define SOKO_CHART_H

#include "outdir.h"
#include "soko.h"

#include <stddef.h>

struct chart_batch;

/* Charts that draw one category a row (heat map, stacked bars, dot plot) grow with
 * the number of rows; cairo cannot make an image taller than 32,767 px. A writer with
 * more rows than CHART_MAX_ROWS splits them over several charts (a region's 3,000
 * clusters, a municipality treated as one cluster of 1,000 schools); a chart that
 * would still be taller than CHART_MAX_PX is cut to that height rather than refused
 * by gnuplot after every other chart of the report was drawn. */
#define CHART_MAX_ROWS 300
#define CHART_MAX_PX 32000

/* The gnuplot program to run: $SOKO_GNUPLOT when set, else "gnuplot". */
struct chart_batch *chart_batch_new(void);
void chart_batch_free(struct chart_batch *b);
/* Number of charts added so far. */
size_t chart_count(const struct chart_batch *b);

/* Dynamics of an indicator: one line per series over years, with the 95% interval
 * as error bars (lo/hi NaN: no bar). Typically the school, its cluster, the
 * district. */
struct chart_series {
    const char *label;
    size_t n;
    const int *years;
    const double *value, *lo, *hi;    /* lo, hi may be NULL */
};
void chart_dynamics(struct chart_batch *b, const char *name, const char *title,
                    const char *ylabel, const struct chart_series *s, size_t nseries);

/* A profile over categories (the tasks of a work; the primary scores of a work): one
 * line per series (a cluster, the district, Russia) through the categories in order,
 * values in %; values is nseries × ncat, row-major; NaN is not drawn. ymax > 0 fixes
 * the y range to [0, ymax] (100 for completions), else it follows the data. */
void chart_profile(struct chart_batch *b, const char *name, const char *title,
                   const char *xlabel, const char *const *categories, size_t ncat,
                   const char *const *series, size_t nseries, const double *values,
                   double ymax);

/* Funnel plot: the district's schools as points by size n and value, the cluster's
 * highlighted and labelled, the target line and the 95% / 99.8% control limits given
 * as curves over a grid of n (ascending). */
struct chart_point {
    double n, value;
    const char *label;               /* drawn next to a highlighted point; may be NULL */
    int highlight;                   /* 1: a school of the cluster */
};
struct chart_funnel {
    double target;
    size_t ngrid;
    const double *grid_n, *lo95, *hi95, *lo998, *hi998;
    size_t npoints;
    const struct chart_point *points;
};
void chart_funnel(struct chart_batch *b, const char *name, const char *title,
                  const char *ylabel, const struct chart_funnel *f);

/* Stacked bars, one bar per category (a school), segments in order (e.g. marks
 * «2», «3», «4», «5»), values in percent of the bar. values is ncat × nseg,
 * row-major; NaN counts as 0. */
void chart_stacked(struct chart_batch *b, const char *name, const char *title,
                   const char *const *categories, size_t ncat,
                   const char *const *segments, size_t nseg, const double *values);

/* Heat map of rows (schools) × columns (indicators): z-scores on a diverging
 * palette clipped to ±3, green = better; NaN cells grey ("нет данных"). z is
 * nrows × ncols, row-major, already oriented so that > 0 is better. */
void chart_heatmap(struct chart_batch *b, const char *name, const char *title,
                   const char *const *rows, size_t nrows, const char *const *cols,
                   size_t ncols, const double *z);

/* Dot plot: one row per label with its value and interval, and vertical reference
 * lines (the cluster's and the district's value; NaN: none). */
struct chart_dot {
    const char *label;
    double value, lo, hi;
    int highlight;
};
void chart_dots(struct chart_batch *b, const char *name, const char *title,
                const char *xlabel, const struct chart_dot *dots, size_t ndots,
                const char *ref1_label, double ref1, const char *ref2_label, double ref2);

/* Runs gnuplot once on the script in a private temporary directory inside o, then
 * moves every NAME.svg / NAME.png, charts.gp (and charts.log when gnuplot warned)
 * into o; on a failure nothing of this batch is left in o. formats: CHART_SVG |
 * CHART_PNG. */
enum { CHART_SVG = 1, CHART_PNG = 2 };
int chart_render(struct chart_batch *b, struct outdir *o, int formats, struct soko_diag *d);

/* The script chart_render would write (for tests); caller frees. */
char *chart_script(const struct chart_batch *b, int formats);

/* Reads o/name (an SVG that chart_render made; never through a link) and returns it ready to be inlined into an HTML page: without
 * the XML declaration and DOCTYPE, every id and reference to one prefixed with
 * `prefix` so several charts in one page do not share ids, and a role="img" with an
 * aria-label (escaped). NULL with a message in d when the file cannot be read.
 * Caller frees. */
char *chart_svg_inline(struct outdir *o, const char *name, const char *prefix,
                       const char *alt, struct soko_diag *d);

#endif
