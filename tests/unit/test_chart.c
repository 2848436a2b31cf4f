/*
 * test_chart.c — engine/chart.c: the script (numbers in C notation, text only through
 * esc_gnuplot, one data block per series), a real gnuplot run of all five kinds of
 * chart in one process whose titles and labels carry the hostile school name, the
 * SVG holding that name escaped and nothing injected, determinism of the SVG bytes,
 * and inlining (ids prefixed, no XML prologue). Tests that need gnuplot skip when it
 * is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chart.h"
#include "escape.h"

static const char HOSTILE[] = "ГБОУ \"Лицей\" <script>…</script> № 'x'; $(rm -rf ~)";

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct sbuf b = SBUF_INIT;
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sbuf_add(&b, buf, k);
    fclose(f);
    if (len) *len = b.len;
    return sbuf_take(&b);
}

/* Every kind of chart, each titled or labelled with the hostile name. */
static struct chart_batch *all_kinds(void)
{
    struct chart_batch *b = chart_batch_new();
    int years[3] = {2022, 2023, 2024};
    double v1[3] = {61.5, 64.0, 66.2}, lo1[3] = {55, 58, 60}, hi1[3] = {67, 70, 72};
    double v2[3] = {58, NAN, 60.5};
    struct chart_series ser[2] = {
        {HOSTILE, 3, years, v1, lo1, hi1},
        {"Район", 3, years, v2, NULL, NULL},
    };
    chart_dynamics(b, "dyn", HOSTILE, "СОУ, %", ser, 2);

    double gn[4] = {5, 20, 60, 120}, l95[4] = {30, 45, 52, 55}, h95[4] = {90, 75, 68, 65};
    double l998[4] = {20, 38, 48, 52}, h998[4] = {99, 82, 72, 68};
    struct chart_point pts[3] = {{40, 70, HOSTILE, 1}, {80, 58, NULL, 0}, {15, 50, "№ 2", 1}};
    struct chart_funnel f = {60, 4, gn, l95, h95, l998, h998, 3, pts};
    chart_funnel(b, "funnel", "Воронка", "СОУ, %", &f);

    const char *cats[2] = {HOSTILE, "Школа № 2"};
    const char *segs[4] = {"«2»", "«3»", "«4»", "«5»"};
    double vals[8] = {5, 30, 40, 25, 10, 40, 35, 15};
    chart_stacked(b, "marks", "Отметки", cats, 2, segs, 4, vals);

    const char *cols[3] = {"ВПР: СОУ", "ОГЭ: качество", "ЕГЭ: средний балл"};
    double z[6] = {1.2, -2.5, NAN, 4.0, 0.1, -0.7};
    chart_heatmap(b, "heat", "z", cats, 2, cols, 3, z);

    struct chart_dot dots[2] = {{HOSTILE, 62, 58, 66, 1}, {"Школа № 2", 55, NAN, NAN, 0}};
    chart_dots(b, "dots", "Точки", "СОУ, %", dots, 2, "Кластер", 60, "Район", NAN);
    return b;
}

static void test_script(void **state)
{
    (void)state;
    struct chart_batch *b = all_kinds();
    assert_int_equal(chart_count(b), 5);
    char *s = chart_script(b, CHART_SVG | CHART_PNG);
    /* the name only ever appears as an escaped single-quoted literal */
    char *lit = esc_gnuplot_dup(HOSTILE);
    assert_non_null(strstr(s, lit));
    size_t raw = 0, esc = 0;
    for (const char *p = s; (p = strstr(p, "'x'")) != NULL; p++) raw++;
    for (const char *p = s; (p = strstr(p, "''x''")) != NULL; p++) esc++;
    assert_int_equal(raw, esc);          /* every 'x' is inside ''x'' */
    free(lit);
    /* both terminals, noenhanced, outputs named after the charts */
    assert_non_null(strstr(s, "set terminal svg size 760,400"));
    assert_non_null(strstr(s, "set terminal pngcairo size 760,400"));
    assert_non_null(strstr(s, "noenhanced"));
    assert_non_null(strstr(s, "set output 'dyn.svg'"));
    assert_non_null(strstr(s, "set output 'heat.png'"));
    /* numbers in C notation; a missing year is left out, not written as 0 */
    assert_non_null(strstr(s, "$d0_0 << EOD\n2022 61.5 55 67\n"));
    assert_non_null(strstr(s, "$d0_1 << EOD\n2022 58 58 58\n2024 60.5 60.5 60.5\nEOD"));
    /* heat map: z clipped to 3 for the colour, shown as 4 */
    assert_non_null(strstr(s, "0 1 3 4\n"));
    /* only one script per batch: asking twice gives the same text */
    char *s2 = chart_script(b, CHART_SVG | CHART_PNG);
    assert_string_equal(s, s2);
    free(s2);
    free(s);
    chart_batch_free(b);
}

static void test_render(void **state)
{
    (void)state;
    char cmd0[300];
    if (!have_gnuplot()) skip();
    char dir[] = "/tmp/soko-test-chart-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct chart_batch *b = all_kinds();
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct outdir *od = NULL;
    assert_int_equal(outdir_open(dir, 0, &od, &d), SOKO_OK);
    int rc = chart_render(b, od, CHART_SVG | CHART_PNG, &d);
    if (rc) fprintf(stderr, "%s\n", d.nmsgs ? d.msgs[0] : "?");
    assert_int_equal(rc, SOKO_OK);
    const char *names[5] = {"dyn", "funnel", "marks", "heat", "dots"};
    for (int i = 0; i < 5; i++) {
        char path[256];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.svg", dir, names[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 2000);
        snprintf(path, sizeof path, "%s/%s.png", dir, names[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 2000);
    }
    /* the title is in the SVG as written, XML-escaped by gnuplot; no raw <script> */
    char path[256];
    snprintf(path, sizeof path, "%s/dyn.svg", dir);
    size_t len1 = 0;
    char *svg = slurp(path, &len1);
    assert_non_null(strstr(svg, "ГБОУ \"Лицей\" &lt;script>…&lt;/script> № 'x'; $(rm -rf ~)"));
    assert_null(strstr(svg, "<script"));
    free(svg);
    snprintf(path, sizeof path, "%s/dots.svg", dir);
    svg = slurp(path, NULL);
    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, "&lt;script>"));
    free(svg);

    /* inlined: no prologue, ids prefixed, alt text escaped */
    char *in = chart_svg_inline(od, "dyn.svg", "c7_", HOSTILE, &d);
    assert_non_null(in);
    assert_true(strncmp(in, "<svg role=\"img\" aria-label=\"ГБОУ &quot;Лицей&quot; &lt;script&gt;", 62) == 0);
    assert_null(strstr(in, "<?xml"));
    assert_null(strstr(in, "<script"));
    assert_non_null(strstr(in, "id=\"c7_gnuplot_canvas\""));
    assert_non_null(strstr(in, "xlink:href='#c7_gpPt"));
    assert_null(strstr(in, "id='gpPt"));
    free(in);

    /* determinism: a second render gives the same SVG bytes */
    snprintf(path, sizeof path, "%s/dyn.svg", dir);
    char *first = slurp(path, NULL);
    assert_int_equal(chart_render(b, od, CHART_SVG, &d), SOKO_OK);
    char *second = slurp(path, NULL);
    assert_string_equal(first, second);
    free(first);
    free(second);

    /* the directory holds what we made and nothing a name could have created */
    snprintf(path, sizeof path, "%s/charts.gp", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* no temporary directory is left behind */
    snprintf(cmd0, sizeof cmd0, "ls -a '%s' | grep -q '^\\.soko-'", dir);
    assert_int_not_equal(system(cmd0), 0);
    outdir_close(od);
    chart_batch_free(b);
    soko_diag_free(&d);
    if (getenv("SOKO_TEST_KEEP")) {   /* to look at the charts */
        fprintf(stderr, "charts kept in %s\n", dir);
        return;
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A heat map of 1,000 rows would be 34,230 px tall (a region's 3,000 clusters: 102,230), which cairo refuses
   ("invalid value (typically too big) for the size of the input"): the chart is cut to
   CHART_MAX_PX and renders (writers split such charts, note.c; this is the safety net). */
static void test_tall(void **state)
{
    (void)state;
    enum { N = 1000 };
    const char **rows = calloc(N, sizeof *rows);
    char (*names)[24] = calloc(N, sizeof *names);
    double *z = calloc(N * 2, sizeof *z);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof *names, "ОО %d", i + 1);
        rows[i] = names[i];
        z[2 * i] = (i % 7) - 3.0;
        z[2 * i + 1] = i % 100 ? 1.0 : NAN;   /* a few hatched cells: cairo fills each over the whole image */
    }
    const char *cols[2] = {"ВПР", "ОГЭ"};
    struct chart_batch *b = chart_batch_new();
    chart_heatmap(b, "tall", "Кластеры", rows, N, cols, 2, z);
    char *s = chart_script(b, CHART_PNG);
    char want[64];
    snprintf(want, sizeof want, "set terminal pngcairo size 900,%d", CHART_MAX_PX);
    assert_non_null(strstr(s, want));
    free(s);
    if (have_gnuplot()) {
        char dir[] = "/tmp/soko-test-chart-XXXXXX";
        assert_non_null(mkdtemp(dir));
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct outdir *od = NULL;
        assert_int_equal(outdir_open(dir, 0, &od, &d), SOKO_OK);
        int rc = chart_render(b, od, CHART_PNG, &d);
        if (rc) fprintf(stderr, "%s\n", d.nmsgs ? d.msgs[0] : "?");
        assert_int_equal(rc, SOKO_OK);
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "%s/tall.png", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 2000);
        outdir_close(od);
        soko_diag_free(&d);
        snprintf(path, sizeof path, "rm -rf '%s'", dir);
        assert_int_equal(system(path), 0);
    }
    chart_batch_free(b);
    free(rows);
    free(names);
    free(z);
}

static void test_no_gnuplot(void **state)
{
    (void)state;
    char dir[] = "/tmp/soko-test-chart-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("SOKO_GNUPLOT", "/nonexistent/gnuplot", 1);
    struct chart_batch *b = all_kinds();
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct outdir *od = NULL;
    assert_int_equal(outdir_open(dir, 0, &od, &d), SOKO_OK);
    assert_int_equal(chart_render(b, od, CHART_SVG, &d), SOKO_EIO);
    assert_true(d.nmsgs == 1 && strstr(d.msgs[0], "install gnuplot"));
    unsetenv("SOKO_GNUPLOT");
    /* nothing of the failed batch is left: no chart, no script, no temporary directory */
    char ls[300];
    snprintf(ls, sizeof ls, "test -z \"$(ls -A '%s')\"", dir);
    assert_int_equal(system(ls), 0);
    outdir_close(od);
    chart_batch_free(b);
    soko_diag_free(&d);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Every kind of chart with nothing to draw: an empty frame with «нет данных», never
 * `plot NaN` (gnuplot 5.4: "all points y value undefined!"). */
static void test_empty(void **state)
{
    (void)state;
    struct chart_batch *b = chart_batch_new();
    const int years[3] = {2024, 2025, 2026};
    const double nan3[3] = {NAN, NAN, NAN};
    struct chart_series ser[2] = {{"ОО", 3, years, nan3, NULL, NULL}, {"Район", 3, years, nan3, NULL, NULL}};
    chart_dynamics(b, "e_dyn", "Динамика", "%", ser, 2);
    struct chart_funnel f = {50, 0, NULL, NULL, NULL, NULL, NULL, 0, NULL};
    chart_funnel(b, "e_funnel", "Воронка", "%", &f);
    const char *cats[2] = {"А", "Б"}, *segs[2] = {"«2»", "«5»"};
    const double v4[4] = {NAN, NAN, NAN, NAN};
    chart_stacked(b, "e_marks", "Отметки", cats, 2, segs, 2, v4);
    chart_heatmap(b, "e_heat", "Карта", cats, 2, segs, 2, v4);
    struct chart_dot dots[2] = {{"А", NAN, NAN, NAN, 1}, {"Б", NAN, NAN, NAN, 1}};
    chart_dots(b, "e_dots", "Точки", "%", dots, 2, "Кластер", NAN, "Район", NAN);
    char *s = chart_script(b, CHART_SVG);
    assert_null(strstr(s, "plot NaN"));
    size_t frames = 0;
    for (const char *p = s; (p = strstr(p, "plot 2 notitle")) != NULL; p++) frames++;
    assert_int_equal(frames, 4);   /* the heat map draws its cells hatched, titled «нет данных» */
    assert_non_null(strstr(s, "set label 'нет данных'"));
    free(s);
    if (have_gnuplot()) {
        char dir[] = "/tmp/soko-test-chart-XXXXXX";
        assert_non_null(mkdtemp(dir));
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct outdir *od = NULL;
        assert_int_equal(outdir_open(dir, 0, &od, &d), SOKO_OK);
        int rc = chart_render(b, od, CHART_SVG, &d);
        if (rc) fprintf(stderr, "%s\n", d.nmsgs ? d.msgs[0] : "?");
        assert_int_equal(rc, SOKO_OK);
        char path[256];
        snprintf(path, sizeof path, "%s/e_heat.svg", dir);
        char *svg = slurp(path, NULL);
        assert_non_null(strstr(svg, "нет данных"));
        free(svg);
        outdir_close(od);
        soko_diag_free(&d);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
    }
    chart_batch_free(b);
}

/* Series differ by marker and dash as well as colour (grey print). */
static void test_series_styles(void **state)
{
    (void)state;
    struct chart_batch *b = chart_batch_new();
    const int years[2] = {2025, 2026};
    const double v[2] = {1, 2};
    struct chart_series ser[9];
    for (int i = 0; i < 9; i++) ser[i] = (struct chart_series){"S", 2, years, v, NULL, NULL};
    chart_dynamics(b, "d", "Динамика", "%", ser, 9);
    char *s = chart_script(b, CHART_SVG);
    const char *pts[] = {"pt 7 ", "pt 5 ", "pt 9 ", "pt 11 ", "pt 13 ", "pt 15 ", "pt 6 ", "pt 4 ", "pt 8 "};
    for (int i = 0; i < 9; i++) assert_non_null(strstr(s, pts[i]));
    assert_non_null(strstr(s, "dt 2 "));
    free(s);
    chart_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_series_styles),
        cmocka_unit_test(test_script),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_no_gnuplot),
        cmocka_unit_test(test_tall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
