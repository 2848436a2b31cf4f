/*
 * cli_cluster.c — `soko clusters propose`: schools grouped by their contingent (seed
 * 004, item 14: «модель кластеризации ОО с учетом особенностей контингента»).
 *
 * Each factor is an indicator id (its school value: ctx_low_income, vpr_sou_all, ...)
 * or a context factor of the form context (share_low_income, students, ...), for one
 * year. The factors are standardised (z-scores), the schools grouped by k-means
 * (k-means++ starts, a fixed seed) with k given or chosen by the mean silhouette, and
 * the grouping compared with Ward's (adjusted Rand index). Writes the clusters CSV
 * (form clusters, ready for `soko import clusters` after the district's review) and,
 * beside it, a Russian methodological note (FILE with .md in place of .csv): the
 * factors, the method, the profile of each cluster, the silhouettes and the schools at
 * a boundary. The numerics are engine/cluster.c (docs/clustering.md). Same store,
 * same options, same bytes.
 */
#include "cli.h"
#include "cluster.h"
#include "deffile.h"
#include "escape.h"
#include "i18n.h"
#include "indicators.h"
#include "outdir.h"
#include "page.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KMAX_DEFAULT 8

struct fvalue {
    int year;
    char *school;
    double value;
};

struct factor {
    char *id;
    const char *title;        /* the indicator's title, or the factor's name */
    const char *unit;
    struct fvalue *v;
    size_t n;
};

static void factor_add(struct factor *f, int year, const char *school, double v)
{
    f->v = xrealloc(f->v, (f->n + 1) * sizeof *f->v);
    f->v[f->n].year = year;
    f->v[f->n].school = xstrdup(school);
    f->v[f->n].value = v;
    f->n++;
}

static int factor_at(const struct factor *f, int year, const char *school, double *v)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].year == year && strcmp(f->v[i].school, school) == 0) {
            *v = f->v[i].value;
            return isfinite(*v);
        }
    return 0;
}

/* The school values of one factor over every year. */
static int read_factor(struct ind_set *set, struct factor *f, struct soko_diag *d)
{
    const struct indicator *ind = ind_find(set, f->id);
    if (ind) {
        if (ind->ndims) {
            soko_diag_add(d, NULL, 0, 0, _("--factors: the indicator %s is broken down (by %s); "
                                           "expected an indicator with one value per school"),
                          f->id, ind->dims[0]);
            return SOKO_EUSAGE;
        }
        struct ind_results res = IND_RESULTS_INIT;
        int rc = ind_evaluate(set, ind, 0, 0, &res, d);
        for (size_t i = 0; !rc && i < res.n; i++) {
            const struct ind_row *r = &res.v[i];
            if (r->level == IND_SCHOOL && !r->suppressed && isfinite(r->value))
                factor_add(f, r->year, r->unit, r->value);
        }
        ind_results_free(&res);
        f->title = ind->title;
        f->unit = ind->unit;
        return rc;
    }
    struct ind_factors fv;
    memset(&fv, 0, sizeof fv);
    int rc = ind_factor_values(set, f->id, 0, 0, &fv, d);
    for (size_t i = 0; !rc && i < fv.n; i++)
        factor_add(f, fv.v[i].year, fv.v[i].school_id, fv.v[i].value);
    ind_factors_free(&fv);
    f->title = f->id;
    f->unit = "";
    if (!rc && !f->n) {
        soko_diag_add(d, NULL, 0, 0, _("--factors: %s is neither an indicator with school values "
                                       "nor a factor of the form context in the store; expected "
                                       "an indicator id (soko indicators) or a context factor "
                                       "(share_low_income, students, ...)"), f->id);
        rc = SOKO_EUSAGE;
    }
    return rc;
}

static const char *num(char **keep, double x, int dec)
{
    free(*keep);
    *keep = isfinite(x) ? page_num(x, dec) : xstrdup("—");
    return *keep;
}

/* FILE with .md in place of a final .csv (else .md added). */
static char *note_name(const char *file)
{
    size_t n = strlen(file);
    if (n > 4 && strcmp(file + n - 4, ".csv") == 0) n -= 4;
    return xasprintf("%.*s.md", (int)n, file);
}

static int write_out(const char *path, const struct sbuf *b, struct soko_diag *d)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
    struct outdir *od = NULL;
    int rc = outdir_open(dir, 0, &od, d);
    if (!rc) rc = outdir_write(od, slash ? slash + 1 : path, b->s, b->len, d);
    outdir_close(od);
    free(dir);
    return rc;
}

int cmd_clusters_propose(struct cli *c)
{
    if (!c->factors || !*c->factors || !c->out || !*c->out) {
        fprintf(stderr, _("soko: clusters propose needs --factors F1,F2,... and --out FILE "
                          "(see soko help clusters)\n"));
        return SOKO_EUSAGE;
    }
    long kwant = 0, ywant = 0;
    if (c->k && *c->k) {
        char *end;
        errno = 0;
        kwant = strtol(c->k, &end, 10);
        if (*end || errno || kwant < 2 || kwant > 50) {
            fprintf(stderr, _("soko: --k %s: expected a number of clusters from 2 to 50\n"),
                    cli_term(c->k));
            return SOKO_EUSAGE;
        }
    }
    if (c->year && *c->year) {
        char *end;
        errno = 0;
        ywant = strtol(c->year, &end, 10);
        if (*end || errno || ywant < IND_YEAR_MIN || ywant > IND_YEAR_MAX) {
            fprintf(stderr, _("soko: --year %s: expected a year such as 2026\n"),
                    cli_term(c->year));
            return SOKO_EUSAGE;
        }
    }
    stats_init();
    struct store *st;
    int rc = cli_open_store(c, 1, &st);
    if (rc) return rc;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    const char *dir = cli_indicators_dir(c);
    struct ind_set *set = NULL;
    struct factor *fs = NULL;
    struct store_names names;
    memset(&names, 0, sizeof names);
    int nf = 0;
    char **ids = deffile_list(c->factors, &nf);
    double *x = NULL, *z = NULL, *mean = NULL, *sd = NULL, *prof = NULL, *zprof = NULL;
    double *sil = NULL, *msil = NULL;
    size_t *label = NULL, *wlabel = NULL, *size = NULL, *rows = NULL;
    struct cluster_boundary *bd = NULL;
    struct cluster_kmeans km;
    struct cluster_tree tree;
    memset(&km, 0, sizeof km);
    memset(&tree, 0, sizeof tree);
    struct sbuf csv = SBUF_INIT, md = SBUF_INIT, left = SBUF_INIT;
    char *nk = NULL;
    if (!dir) {
        rc = SOKO_EIO;
        goto done;
    }
    rc = ind_load(dir, store_db(st), &set, &d);
    if (!rc) rc = store_names_read(store_db(st), &names, &d);
    if (rc) goto done;
    fs = xcalloc((size_t)nf + 1, sizeof *fs);
    for (int j = 0; j < nf && !rc; j++) {
        for (int i = 0; i < j; i++)
            if (strcmp(ids[i], ids[j]) == 0) {
                soko_diag_add(&d, NULL, 0, 0, _("--factors: %s is given twice"), ids[j]);
                rc = SOKO_EUSAGE;
            }
        fs[j].id = xstrdup(ids[j]);
        if (!rc) rc = read_factor(set, &fs[j], &d);
    }
    if (rc) goto done;
    /* the year: given, or the last one in which every factor has a school value */
    int year = (int)ywant;
    if (!year) {
        int top = 0;
        for (size_t i = 0; i < fs[0].n; i++)
            if (fs[0].v[i].year > top) top = fs[0].v[i].year;
        for (int y = top; y >= IND_YEAR_MIN && !year; y--) {
            int all = 1;
            for (int j = 0; j < nf && all; j++) {
                int has = 0;
                for (size_t i = 0; i < fs[j].n && !has; i++) has = fs[j].v[i].year == y;
                all = has;
            }
            if (all) year = y;
            if (top - y > 50) break;
        }
        if (!year) {
            soko_diag_add(&d, NULL, 0, 0, _("the factors have no year in common; expected "
                                            "values of every factor for the same year"));
            rc = SOKO_EINPUT;
            goto done;
        }
    }
    /* the schools of the registry with every factor; the others are named */
    size_t p = (size_t)nf, n = 0;
    x = xcalloc((names.n ? names.n : 1) * p, sizeof *x);
    rows = xcalloc(names.n ? names.n : 1, sizeof *rows);
    size_t nleft = 0;
    for (size_t i = 0; i < names.n; i++) {
        int ok = 1;
        for (size_t j = 0; j < p && ok; j++) ok = factor_at(&fs[j], year, names.ids[i], &x[n * p + j]);
        if (ok) rows[n++] = i;
        else sbuf_printf(&left, "%s%s", nleft++ ? ", " : "", names.ids[i]);
    }
    if (n < 4) {
        soko_diag_add(&d, NULL, 0, 0, _("only %zu schools have every factor in %d; expected at "
                                        "least 4 to group"), n, year);
        rc = SOKO_EINPUT;
        goto done;
    }
    z = xcalloc(n * p, sizeof *z);
    mean = xcalloc(p, sizeof *mean);
    sd = xcalloc(p, sizeof *sd);
    size_t bad_row, bad_col;
    int crc = cluster_scale(x, n, p, z, mean, sd, &bad_row, &bad_col);
    if (crc == CLUSTER_ECONSTANT) {
        soko_diag_add(&d, NULL, 0, 0, _("--factors: %s has the same value for every school in "
                                        "%d; expected factors that tell schools apart (leave it "
                                        "out)"), fs[bad_col].id, year);
        rc = SOKO_EINPUT;
        goto done;
    } else if (crc) {
        soko_diag_add(&d, NULL, 0, 0, _("clusters: %s"), cluster_rc_name(crc));
        rc = SOKO_EINTERNAL;
        goto done;
    }
    struct cluster_kmeans_opts ko = {1, CLUSTER_KMEANS_NSTART, 0, CLUSTER_KMEANS_TRANSFER};
    size_t kmax = n - 1 < KMAX_DEFAULT ? n - 1 : KMAX_DEFAULT, k = (size_t)kwant;
    msil = xcalloc(kmax + 1, sizeof *msil);
    if (!k) {
        crc = cluster_choose_k(z, n, p, kmax, CLUSTER_KMEANS, &ko, msil, &k);
    } else if (k > n - 1) {
        soko_diag_add(&d, NULL, 0, 0, _("--k %zu: only %zu schools have every factor; expected "
                                        "at most %zu clusters"), k, n, n - 1);
        rc = SOKO_EUSAGE;
        goto done;
    }
    if (!crc) crc = cluster_kmeans(z, n, p, k, &ko, &km);
    if (!crc) crc = cluster_ward(z, n, p, &tree);
    label = km.label;
    wlabel = xcalloc(n, sizeof *wlabel);
    sil = xcalloc(n, sizeof *sil);
    bd = xcalloc(n, sizeof *bd);
    prof = xcalloc(k * p, sizeof *prof);
    zprof = xcalloc(k * p, sizeof *zprof);
    size = xcalloc(k, sizeof *size);
    double ari = NAN, msk = NAN;
    if (!crc) crc = cluster_cut(&tree, k, wlabel);
    if (!crc) crc = cluster_ari(label, wlabel, n, &ari);
    if (crc == CLUSTER_EDEGENERATE) crc = 0;     /* the ARI of trivial partitions: none */
    if (!crc) crc = cluster_silhouette(z, n, p, label, k, sil, NULL, &msk);
    if (!crc) crc = cluster_boundary(z, n, p, label, k, CLUSTER_BOUNDARY_SIL, bd);
    if (!crc) crc = cluster_profile(x, n, p, label, k, prof, size);
    if (!crc) crc = cluster_profile(z, n, p, label, k, zprof, NULL);
    if (crc) {
        soko_diag_add(&d, NULL, 0, 0, _("the schools cannot be grouped by these factors (%s); "
                                        "expected factors on which the schools differ"),
                      cluster_rc_name(crc));
        rc = SOKO_EINPUT;
        goto done;
    }
    /* the clusters CSV */
    sbuf_adds(&csv, "cluster_id,school_id,cluster_name,role\n");
    for (size_t g = 0; g < k; g++)
        for (size_t i = 0; i < n; i++) {
            if (label[i] != g) continue;
            sbuf_printf(&csv, "ctx_%zu,", g + 1);
            esc_csv_field(&csv, names.ids[rows[i]]);
            sbuf_printf(&csv, ",Контекстный кластер %zu,member\n", g + 1);
        }
    /* the note */
    sbuf_printf(&md, "# Предложение кластеров ОО по особенностям контингента, %d г.\n\n", year);
    sbuf_printf(&md, "Проект для обсуждения районом (дорожная карта РСОКО, п. 14: модель "
                     "кластеризации ОО с учётом особенностей контингента). Состав кластеров — "
                     "в файле ");
    esc_md(&md, strrchr(c->out, '/') ? strrchr(c->out, '/') + 1 : c->out);
    sbuf_adds(&md, " (форма clusters); после рассмотрения его импортирует "
                   "`soko import clusters`. Названия кластеров район даёт сам.\n\n");
    sbuf_adds(&md, "## Факторы\n\n| Фактор | Код | Среднее по району | Стандартное отклонение |\n"
                   "|---|---|---:|---:|\n");
    for (size_t j = 0; j < p; j++) {
        sbuf_adds(&md, "| ");
        esc_md(&md, fs[j].title);
        if (fs[j].unit && *fs[j].unit) {
            sbuf_adds(&md, ", ");
            esc_md(&md, fs[j].unit);
        }
        sbuf_adds(&md, " | ");
        esc_md(&md, fs[j].id);
        sbuf_printf(&md, " | %s", num(&nk, mean[j], 2));
        sbuf_printf(&md, " | %s |\n", num(&nk, sd[j], 2));
    }
    sbuf_printf(&md, "\nОО с данными по всем факторам за %d г.: %zu", year, n);
    if (nleft) {
        sbuf_printf(&md, "; не вошли (нет значения хотя бы одного фактора): %zu — ", nleft);
        esc_md(&md, left.s);
    }
    sbuf_adds(&md, ".\n\n## Метод\n\n");
    sbuf_printf(&md, "Каждый фактор стандартизован по ОО района (z-оценка: разность со средним, "
                     "делённая на стандартное отклонение), так что факторы весят одинаково. ОО "
                     "сгруппированы методом k-средних (k-means++, %d стартов, начальное число "
                     "генератора 1; из стартов взято разбиение с наименьшей внутрикластерной "
                     "суммой квадратов, его дали %zu стартов). ", CLUSTER_KMEANS_NSTART, km.nbest);
    if (kwant)
        sbuf_printf(&md, "Число кластеров задано: %zu.", k);
    else {
        sbuf_printf(&md, "Число кластеров выбрано по наибольшему среднему силуэту среди k от 2 "
                         "до %zu: k = %zu.\n\n| k | Средний силуэт |\n|---:|---:|\n", kmax, k);
        for (size_t kk = 2; kk <= kmax; kk++)
            sbuf_printf(&md, "| %zu | %s |\n", kk, num(&nk, msil[kk], 3));
    }
    sbuf_printf(&md, "\n\nПроверка другим методом: иерархическая кластеризация Уорда (ward.D2) на "
                     "тех же z-оценках, разрезанная на то же число кластеров (k = %zu), совпадает "
                     "с разбиением k-средних со скорректированным индексом Рэнда %s (1 — то же разбиение, 0 — "
                     "не больше сходства, чем случайно).\n\n", k, num(&nk, ari, 3));
    sbuf_adds(&md, "## Профили кластеров\n\nСредние значения факторов по ОО кластера (в скобках — "
                   "z-оценка: насколько кластер выше или ниже среднего по району, в стандартных "
                   "отклонениях).\n\n| Кластер | ОО |");
    for (size_t j = 0; j < p; j++) {
        sbuf_adds(&md, " ");
        esc_md(&md, fs[j].id);
        sbuf_adds(&md, " |");
    }
    sbuf_adds(&md, " Средний силуэт |\n|---|---:|");
    for (size_t j = 0; j <= p; j++) sbuf_adds(&md, "---:|");
    sbuf_adds(&md, "\n");
    for (size_t g = 0; g < k; g++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            if (label[i] == g) s += sil[i];
        sbuf_printf(&md, "| ctx_%zu | %zu |", g + 1, size[g]);
        for (size_t j = 0; j < p; j++) {
            sbuf_printf(&md, " %s", num(&nk, prof[g * p + j], 2));
            sbuf_printf(&md, " (%s) |", num(&nk, zprof[g * p + j], 2));
        }
        sbuf_printf(&md, " %s |\n", num(&nk, size[g] ? s / (double)size[g] : NAN, 3));
    }
    sbuf_printf(&md, "\nСредний силуэт разбиения: %s (от −1 до 1; выше 0,5 — кластеры "
                     "хорошо разделены, 0,25–0,5 — разделены умеренно, ниже 0,25 — структура "
                     "слабая, и границы кластеров условны).\n\n", num(&nk, msk, 3));
    sbuf_adds(&md, "## ОО на границе кластеров\n\n");
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) nb += bd[i].on_boundary != 0;
    if (!nb) {
        sbuf_printf(&md, "Таких ОО нет: силуэт каждой ОО не ниже %s.\n\n",
                    num(&nk, CLUSTER_BOUNDARY_SIL, 1));
    } else {
        sbuf_printf(&md, "Силуэт ниже %s: ОО почти так же близка к соседнему кластеру, как к "
                         "своему; её место район решает при рассмотрении.\n\n"
                         "| ОО | Код | Кластер | Соседний | Силуэт |\n|---|---|---|---|---:|\n",
                    num(&nk, CLUSTER_BOUNDARY_SIL, 1));
        for (size_t i = 0; i < n; i++) {
            if (!bd[i].on_boundary) continue;
            sbuf_adds(&md, "| ");
            esc_md(&md, names.names[rows[i]] ? names.names[rows[i]] : "");
            sbuf_adds(&md, " | ");
            esc_md(&md, names.ids[rows[i]]);
            sbuf_printf(&md, " | ctx_%zu | ctx_%zu | %s |\n", label[i] + 1, bd[i].neighbour + 1,
                        num(&nk, bd[i].sil, 3));
        }
        sbuf_adds(&md, "\n");
    }
    sbuf_adds(&md, "## Состав кластеров\n\n");
    for (size_t g = 0; g < k; g++) {
        sbuf_printf(&md, "* **ctx_%zu** (%zu ОО): ", g + 1, size[g]);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (label[i] == g) {
                if (m++) sbuf_adds(&md, ", ");
                esc_md(&md, names.ids[rows[i]]);
            }
        sbuf_adds(&md, ".\n");
    }
    rc = write_out(c->out, &csv, &d);
    char *mdname = note_name(c->out);
    if (!rc) rc = write_out(mdname, &md, &d);
    if (!rc && !c->quiet)
        cli_summary(c, _("%zu schools in %zu clusters (mean silhouette %.3f): %s, %s\n"), n, k,
                    msk, cli_term(c->out), cli_term(mdname));
    free(mdname);
done:
    cli_print_diag(&d);
    soko_diag_free(&d);
    for (int j = 0; fs && j < nf; j++) {
        for (size_t i = 0; i < fs[j].n; i++) free(fs[j].v[i].school);
        free(fs[j].v);
        free(fs[j].id);
    }
    free(fs);
    deffile_list_free(ids);
    store_names_free(&names);
    cluster_kmeans_free(&km);
    cluster_tree_free(&tree);
    free(x);
    free(z);
    free(mean);
    free(sd);
    free(prof);
    free(zprof);
    free(sil);
    free(msil);
    free(wlabel);
    free(size);
    free(rows);
    free(bd);
    free(nk);
    sbuf_free(&csv);
    sbuf_free(&md);
    sbuf_free(&left);
    ind_set_free(set);
    store_close(st);
    return rc;
}
