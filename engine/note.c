/*
 * note.c — the analytical note of a cluster, the school card (карточка ОО) and the district
 * report (note.h). Each is built as a struct page (page.h) plus a batch of charts
 * (chart.h), then written as Markdown, HTML, CSV and XLSX.
 *
 * How the text decides what to say: a school or the cluster is said to differ from
 * the district only when the comparison of analysis.h says so — a school beyond the
 * 95% (or 99.8%) funnel limit around the district value at its n; the cluster when
 * the two-sample test on school values gives p < 0.05. Otherwise the sentence says
 * that the difference is not significant. Suppressed figures (n below the indicator's
 * minimum) are shown as "n < 5" and never enter a sentence.
 */
#include "note.h"
#include "chart.h"
#include "page.h"
#include "escape.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ==== small strings: a per-document arena =============================================== */

static char **arena;
static size_t narena, carena;

/* A formatted string that lives until arena_free() (end of one document). */
static const char *T(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *T(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    if (narena == carena) {
        carena = carena ? 2 * carena : 256;
        arena = xrealloc(arena, carena * sizeof *arena);
    }
    return arena[narena++] = s;
}

static const char *keep(char *s)
{
    const char *r = T("%s", s);
    free(s);
    return r;
}

static void arena_free(void)
{
    for (size_t i = 0; i < narena; i++) free(arena[i]);
    free(arena);
    arena = NULL;
    narena = carena = 0;
}

/* ==== lookups ============================================================================ */

struct ctx {
    const struct note_input *in;
    const char *cluster;             /* the cluster of the document (NULL: district) */
    struct ana_compares cmp;         /* schools of the cluster and the cluster vs district */
    struct ana_trends tr;
    const char **sch;                /* the cluster's schools, by id */
    const char **role;
    size_t nsch;
};

static const struct indicator *IND(const struct note_input *in, const char *id)
{
    const struct indicator *i = in->note_set ? ind_find(in->note_set, id) : NULL;
    if (!i && in->std_set) i = ind_find(in->std_set, id);
    return i;
}

static const struct note_school *school_of(const struct note_input *in, const char *id)
{
    for (size_t i = 0; i < in->nschools; i++)
        if (strcmp(in->schools[i].id, id) == 0) return &in->schools[i];
    return NULL;
}

static const char *sname(const struct note_input *in, const char *id)
{
    const struct note_school *s = school_of(in, id);
    return s && s->name && *s->name ? s->name : id;
}

/* A school's name for a chart axis: at most 34 characters, cut with "…". */
static const char *label(const struct note_input *in, const char *id)
{
    const char *n = sname(in, id);
    size_t chars = 0, i = 0;
    for (; n[i]; i++)
        if (((unsigned char)n[i] & 0xC0) != 0x80 && ++chars > 34) break;
    return n[i] ? T("%.*s…", (int)i, n) : n;
}

static const char *cname(const struct note_input *in, const char *id)
{
    for (size_t i = 0; i < in->nclusters; i++)
        if (strcmp(in->clusters[i].id, id) == 0 && in->clusters[i].name && *in->clusters[i].name)
            return in->clusters[i].name;
    return id;
}

static int dim_eq(const struct ind_row *r, const char *dim0)
{
    if (!dim0) return r->ind->ndims == 0;
    return r->dim[0] && strcmp(r->dim[0], dim0) == 0;
}

/* The row of ind for a unit ("" district) in a year, breakdown dim0 (NULL: none). */
static const struct ind_row *row_of(const struct note_input *in, const struct indicator *ind,
                                    enum ind_level lv, const char *unit, int year,
                                    const char *dim0)
{
    if (!ind) return NULL;
    for (size_t i = 0; i < in->res->n; i++) {
        const struct ind_row *r = &in->res->v[i];
        if (r->ind == ind && r->level == lv && r->year == year && strcmp(r->unit, unit) == 0 &&
            dim_eq(r, dim0))
            return r;
    }
    return NULL;
}

static const struct ana_compare *cmp_of(const struct ctx *c, const struct ind_row *r)
{
    if (!r) return NULL;
    for (size_t i = 0; i < c->cmp.n; i++)
        if (c->cmp.v[i].row == r) return &c->cmp.v[i];
    return NULL;
}

static const struct ana_trend *trend_of(const struct ctx *c, const struct indicator *ind,
                                        enum ind_level lv, const char *unit, const char *dim0)
{
    for (size_t i = 0; i < c->tr.n; i++) {
        const struct ana_trend *t = &c->tr.v[i];
        if (t->ind != ind || t->level != lv || strcmp(t->unit, unit) != 0) continue;
        if (!dim0 ? ind->ndims == 0 : (t->dim[0] && strcmp(t->dim[0], dim0) == 0)) return t;
    }
    return NULL;
}

/* ==== numbers in words =================================================================== */

static int decimals(double v) { return fabs(v) < 10 ? 2 : 1; }

static const char *unit_sfx(const struct indicator *ind)
{
    if (ind->kind == IND_SHARE || (ind->unit && strcmp(ind->unit, "%") == 0)) return " %";
    return "";
}

static int usable(const struct ind_row *r)
{
    return r && !r->suppressed && isfinite(r->value);
}

static const char *val(const struct ind_row *r)
{
    if (!r) return "—";
    if (r->suppressed) return T("n < %ld", r->ind->min_n);
    if (!isfinite(r->value)) return "—";
    return keep(page_num(r->value, decimals(r->value)));
}

static const char *valu(const struct ind_row *r)
{
    if (!usable(r)) return val(r);
    return T("%s%s", val(r), unit_sfx(r->ind));
}

static const char *ci(const struct ind_row *r)
{
    if (!usable(r) || !isfinite(r->lo) || !isfinite(r->hi)) return "";
    int k = decimals(r->value);
    char *a = page_num(r->lo, k), *b = page_num(r->hi, k);
    const char *s = T("%s–%s", a, b);
    free(a);
    free(b);
    return s;
}

static const char *nstr(const struct ind_row *r)
{
    if (!r || r->suppressed || !isfinite(r->n)) return r && r->suppressed ? T("< %ld", r->ind->min_n) : "—";
    return T("%.0f", r->n);
}

static const char *pstr(double p)
{
    if (!isfinite(p)) return "—";
    if (p < 0.001) return "< 0,001";
    return keep(page_num(p, 3));
}

static const char *verdict_short(int v)
{
    switch (v) {
    case 2: return "▲▲ лучше";
    case 1: return "▲ лучше";
    case -1: return "▼ хуже";
    case -2: return "▼▼ хуже";
    default: return "≈";
    }
}

/* A comparison that could not be tested (a mean whose spread is unknown) is not "≈". */
static const char *vs_short(const struct ana_vs *vs)
{
    if (vs->ref && !vs->test) return "разброс неизвестен";
    return verdict_short(vs->verdict);
}

static const char *trend_text(const struct ana_trend *t)
{
    if (!t) return "нет данных";
    switch (t->label) {
    case STATS_TREND_IMPROVING: return "улучшение";
    case STATS_TREND_WORSENING: return "ухудшение";
    case STATS_TREND_NO_CHANGE: return "без значимых изменений";
    default: return "недостаточно данных";
    }
}

static const char *trend_cell(const struct ana_trend *t)
{
    if (!t || t->label == STATS_TREND_NOT_ENOUGH_DATA) return "недостаточно данных";
    char *ch = page_num(t->change, decimals(t->change));
    const char *sign = t->change > 0 ? "+" : "";
    const char *s = T("%s (%s%s, p = %s)", trend_text(t), sign, ch, pstr(t->test_p));
    free(ch);
    return s;
}

static const char *role_text(const char *role)
{
    if (!role || !*role) return "участник";
    if (strcmp(role, "activist") == 0) return "ОО-активист";
    if (strcmp(role, "member") == 0) return "участник";
    if (strcmp(role, "flagship") == 0) return "базовая (флагманская) ОО";
    if (strcmp(role, "curator") == 0) return "ОО-куратор";
    if (strcmp(role, "supported") == 0) return "курируемая ОО";
    return role;
}

static const char *what(const struct indicator *ind, const char *dim0)
{
    return dim0 ? T("%s: %s", ind->title, dim0) : ind->title;
}

/* ==== the key indicators ================================================================== */

static const char *const KEY[] = {"vpr_sou_all", "vpr_quality_all", "vpr_fail_all",
                                  "oge_quality_all", "oge_fail_all", "ege_mean_rus",
                                  "ege_mean_math", "ege_high_all", "olymp_eff_muni",
                                  "adm_university", "adm_profile_match"};
#define NKEY (sizeof KEY / sizeof *KEY)

/* Short names for chart axes. */
static const char *const KEY_SHORT[] = {"ВПР: СОУ", "ВПР: качество", "ВПР: доля «2»",
                                        "ОГЭ: качество", "ОГЭ: доля «2»", "ЕГЭ: русский",
                                        "ЕГЭ: математика", "ЕГЭ: 81–100", "ВсОШ: результат.",
                                        "Поступили в вузы", "Профиль ОО"};

/* Indicators with a subject breakdown read for strengths and problems. */
static const char *const SUBJ[] = {"vpr_sou_subj", "oge_quality", "ege_mean"};
#define NSUBJ (sizeof SUBJ / sizeof *SUBJ)

/* Distinct dim[0] values of ind's rows for the cluster (ascending). */
static size_t subjects(const struct note_input *in, const struct indicator *ind,
                       const char ***out)
{
    const char **v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < in->res->n; i++) {
        const struct ind_row *r = &in->res->v[i];
        if (r->ind != ind || r->level != IND_DISTRICT || !r->dim[0]) continue;
        size_t j = 0;
        while (j < n && strcmp(v[j], r->dim[0]) != 0) j++;
        if (j < n) continue;
        v = xrealloc(v, (n + 1) * sizeof *v);
        v[n++] = r->dim[0];
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && utf8_casecmp(v[j - 1], v[j]) > 0; j--) {
            const char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *out = v;
    return n;
}

/* ==== context ============================================================================= */

static void ctx_init(struct ctx *c, const struct note_input *in, const char *cluster)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->cluster = cluster;
    for (size_t i = 0; i < in->members->n; i++) {
        const struct ind_member *m = &in->members->v[i];
        if (!cluster || strcmp(m->cluster_id, cluster) != 0) continue;
        c->sch = xrealloc(c->sch, (c->nsch + 1) * sizeof *c->sch);
        c->role = xrealloc(c->role, (c->nsch + 1) * sizeof *c->role);
        c->sch[c->nsch] = m->school_id;
        c->role[c->nsch++] = m->role;
    }
    if (cluster) {
        struct ana_compare_opts o;
        memset(&o, 0, sizeof o);
        o.window.y0 = in->y0;
        o.window.y1 = in->y1;
        ana_compare(in->res, in->members, cluster, &o, &c->cmp);
    }
    struct ana_trend_opts to;
    memset(&to, 0, sizeof to);
    to.window.y0 = in->y0;
    to.window.y1 = in->y1;
    ana_trends(in->res, &to, &c->tr);
}

static void ctx_free(struct ctx *c)
{
    ana_compares_free(&c->cmp);
    ana_trends_free(&c->tr);
    free(c->sch);
    free(c->role);
}

/* ==== sections ============================================================================ */

static const char *window_text(const struct note_input *in)
{
    return in->y0 == in->y1 ? T("%d", in->y0) : T("%d–%d", in->y0, in->y1);
}

static void sec_composition(struct page *D, struct ctx *c)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "1. Состав кластера и роли ОО");
    /* the roles as the cluster has them: activists lead a subject cluster, curators
     * support schools in a support cluster; only the roles present are named */
    size_t nact = 0, ncur = 0, nsup = 0, nmem = 0;
    for (size_t i = 0; i < c->nsch; i++) {
        const char *r = c->role[i] ? c->role[i] : "member";
        if (strcmp(r, "activist") == 0 || strcmp(r, "flagship") == 0) nact++;
        else if (strcmp(r, "curator") == 0) ncur++;
        else if (strcmp(r, "supported") == 0) nsup++;
        else nmem++;
    }
    struct sbuf roles = SBUF_INIT;
    if (nact) sbuf_printf(&roles, "%zu — ОО-активисты (базовые площадки), которые ведут работу кластера", nact);
    if (ncur) sbuf_printf(&roles, "%s%zu — ОО-кураторы", roles.len ? "; " : "", ncur);
    if (nsup) sbuf_printf(&roles, "%s%zu — курируемые ОО, которым кураторы оказывают адресную помощь",
                          roles.len ? "; " : "", nsup);
    if (nmem) sbuf_printf(&roles, "%s%zu — участники", roles.len ? "; " : "", nmem);
    page_p(D, NULL,
          "В кластер «%s» входят %zu ОО: %s. Справка сопоставляет результаты каждой ОО с "
          "результатами кластера в целом и района.",
          cname(in, c->cluster), c->nsch, roles.s ? roles.s : "");
    sbuf_free(&roles);
    static const char *const head[] = {"ОО", "Код", "Вид", "Профиль", "Роль в кластере"};
    struct page_table *t = page_table(D, "composition", "Таблица 1. Состав кластера", 5, head);
    for (size_t i = 0; i < c->nsch; i++) {
        const struct note_school *s = school_of(in, c->sch[i]);
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        page_cell(t, c->sch[i]);
        page_cell(t, s && s->kind ? s->kind : "");
        page_cell(t, s && s->profile ? s->profile : "");
        page_cell(t, role_text(c->role[i]));
    }
}

static const char *const COV[] = {"cov_vpr", "cov_oge", "cov_ege", "cov_rdr", "cov_olympiad",
                                  "cov_admissions", "cov_context"};
static const char *const COV_NAME[] = {"ВПР", "ОГЭ", "ЕГЭ", "РДР", "Олимпиады", "Поступление",
                                       "Контекст"};
#define NCOV (sizeof COV / sizeof *COV)

static void sec_coverage(struct page *D, struct ctx *c)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "2. Полнота данных");
    page_p(D, NULL,
          "Для каждой ОО и каждой формы указано, за какие годы окна %s данные представлены. "
          "Показатель, по которому у ОО нет данных за год, в сравнения этого года не входит; "
          "результаты групп меньше установленного минимума (как правило, 5 участников) "
          "показываются как «n < 5» и в выводы не включаются.",
          window_text(in));
    const char *head[1 + NCOV];
    head[0] = "ОО";
    for (size_t k = 0; k < NCOV; k++) head[1 + k] = COV_NAME[k];
    struct page_table *t = page_table(D, "coverage", "Таблица 2. Наличие данных по формам и годам",
                                    1 + NCOV, head);
    struct sbuf gaps = SBUF_INIT;
    size_t ngaps = 0;
    int anygap = 0;
    for (size_t i = 0; i < c->nsch; i++) {
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        for (size_t k = 0; k < NCOV; k++) {
            const struct indicator *ind = IND(in, COV[k]);
            struct sbuf miss = SBUF_INIT;
            int nmiss = 0;
            for (int y = in->y0; y <= in->y1; y++)
                if (!row_of(in, ind, IND_SCHOOL, c->sch[i], y, NULL)) {
                    sbuf_printf(&miss, "%s%d", nmiss ? ", " : "", y);
                    nmiss++;
                }
            int all = nmiss == in->y1 - in->y0 + 1;
            page_cell(t, !nmiss ? "все годы" : all ? "нет данных" : T("нет %s", miss.s));
            if (nmiss) {
                sbuf_printf(&gaps, "%s%s — %s %s", ngaps ? "; " : "", COV_NAME[k],
                            all ? "нет данных за" : "нет", miss.s);
                ngaps++;
            }
            sbuf_free(&miss);
        }
        if (ngaps) {
            anygap = 1;
            page_item(D, T("%s:", sname(in, c->sch[i])), "%s.", gaps.s);
            sbuf_reset(&gaps);
            ngaps = 0;
        }
    }
    sbuf_free(&gaps);
    if (anygap)
        page_p(D, NULL, "Пробелы в данных стоит восполнить до следующего цикла мониторинга: "
                       "выводы по этим ОО и формам неполны.");
    else
        page_p(D, NULL, "Данные всех ОО кластера по всем формам представлены за все годы окна.");
}

/* One key indicator: table of schools, cluster, district for the last year. */
static void key_table(struct page *D, struct ctx *c, const struct indicator *ind, int tabno)
{
    const struct note_input *in = c->in;
    int y = in->y1;
    static const char *const head[] = {"ОО", "Значение", "95% интервал", "n",
                                       "Сравнение с районом", "Сравнение с кластером",
                                       "Место в кластере"};
    struct page_table *t =
        page_table(D, ind->id, T("Таблица %d. %s, %d г.%s", tabno, ind->title, y,
                                ind->lower_is_better ? " (лучше — меньше)" : ""),
                  7, head);
    for (size_t i = 0; i < c->nsch; i++) {
        const struct ind_row *r = row_of(in, ind, IND_SCHOOL, c->sch[i], y, NULL);
        const struct ana_compare *cp = cmp_of(c, r);
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        page_cell_num(t, usable(r) ? r->value : NAN, val(r), cp && cp->vs_district.verdict != 0);
        page_cell(t, ci(r));
        page_cell_num(t, r && !r->suppressed ? r->n : NAN, nstr(r), 0);
        page_cell(t, cp ? vs_short(&cp->vs_district) : "—");
        page_cell(t, cp ? vs_short(&cp->vs_cluster) : "—");
        page_cell(t, cp && cp->peers ? T("%d из %zu", cp->rank, cp->peers) : "—");
    }
    const struct ind_row *cr = row_of(in, ind, IND_CLUSTER, c->cluster, y, NULL);
    const struct ana_compare *cc = cmp_of(c, cr);
    page_row(t);
    page_cell(t, "Кластер в целом");
    page_cell_num(t, usable(cr) ? cr->value : NAN, val(cr), cc && cc->cluster_verdict != 0);
    page_cell(t, ci(cr));
    page_cell_num(t, cr && !cr->suppressed ? cr->n : NAN, nstr(cr), 0);
    page_cell(t, cc && cc->cluster_verdict ? (cc->cluster_verdict > 0 ? "▲ лучше (p < 0,05)"
                                                                     : "▼ хуже (p < 0,05)")
                 : cc && !isfinite(cc->p) && cc->vs_district.ref ? "разброс неизвестен"
                                          : "≈");
    page_cell(t, "");
    page_cell(t, "");
    const struct ind_row *dr = row_of(in, ind, IND_DISTRICT, "", y, NULL);
    page_row(t);
    page_cell(t, "Район");
    page_cell_num(t, usable(dr) ? dr->value : NAN, val(dr), 0);
    page_cell(t, ci(dr));
    page_cell_num(t, dr && !dr->suppressed ? dr->n : NAN, nstr(dr), 0);
    page_cell(t, "");
    page_cell(t, "");
    page_cell(t, "");
    /* the sentence about the cluster */
    if (usable(cr) && usable(dr)) {
        if (cc && isfinite(cc->p)) {
            int sig = cc->cluster_verdict != 0;
            page_p(D, NULL, "%s: кластер — %s, район — %s. %s", ind->title, valu(cr), valu(dr),
                  sig ? T("Кластер в целом %s района: различие значимо (сравнение школ кластера "
                          "с остальными школами района, p = %s).",
                          cc->cluster_verdict > 0 ? "лучше" : "хуже", pstr(cc->p))
                      : T("Различие кластера и района статистически не значимо (p = %s).",
                          pstr(cc->p)));
        } else {
            page_p(D, NULL, "%s: кластер — %s, район — %s. Проверить значимость различия нельзя: "
                           "в кластере или вне его меньше двух школ с данными.",
                  ind->title, valu(cr), valu(dr));
        }
    }
}

static void sec_key(struct page *D, struct ctx *c, struct chart_batch *cb, int *tabno)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "3. Ключевые показатели: ОО, кластер, район");
    page_p(D, NULL,
          "Ниже — значения %d г. с 95%%-ными доверительными интервалами и числом участников n. "
          "ОО сравнивается с районом и с кластером по контрольным границам (воронка "
          "Шпигельхальтера): «▲ лучше» и «▼ хуже» означают выход за границу 95 %%, двойной "
          "знак — за границу 99,8 %%; «≈» — отличие в пределах случайных колебаний при данном n. "
          "Выделены значения, значимо отличающиеся от района.",
          in->y1);
    /* heat map of z against the district and a dot plot of the first key indicator */
    const char **rows = xcalloc(c->nsch + 1, sizeof *rows);
    double *z = xcalloc((c->nsch + 1) * NKEY, sizeof *z);
    const char *cols[NKEY];
    for (size_t j = 0; j < NKEY; j++) cols[j] = KEY_SHORT[j];
    for (size_t i = 0; i < c->nsch; i++) {
        rows[i] = label(in, c->sch[i]);
        for (size_t j = 0; j < NKEY; j++) {
            const struct indicator *ind = IND(in, KEY[j]);
            const struct ana_compare *cp =
                cmp_of(c, row_of(in, ind, IND_SCHOOL, c->sch[i], in->y1, NULL));
            double v = cp ? cp->vs_district.z : NAN;
            z[i * NKEY + j] = ind && ind->lower_is_better ? -v : v;
        }
    }
    chart_heatmap(cb, "heatmap", T("Отличие ОО от района, z-оценки, %d г.", in->y1), rows,
                  c->nsch, cols, NKEY, z);
    page_chart(D, "heatmap",
              T("Рис. 1. Отличие ОО кластера от района по ключевым показателям, %d г. "
                "(z-оценка; зелёный — лучше района, красный — хуже; |z| > 2 — значимо; "
                "серый — нет данных)", in->y1));
    free(z);
    const struct indicator *sou = IND(in, "vpr_sou_all");
    struct chart_dot *dots = xcalloc(c->nsch + 1, sizeof *dots);
    for (size_t i = 0; i < c->nsch; i++) {
        const struct ind_row *r = row_of(in, sou, IND_SCHOOL, c->sch[i], in->y1, NULL);
        dots[i].label = rows[i];
        dots[i].value = usable(r) ? r->value : NAN;
        dots[i].lo = usable(r) ? r->lo : NAN;
        dots[i].hi = usable(r) ? r->hi : NAN;
        dots[i].highlight = 1;
    }
    const struct ind_row *cr = row_of(in, sou, IND_CLUSTER, c->cluster, in->y1, NULL);
    const struct ind_row *dr = row_of(in, sou, IND_DISTRICT, "", in->y1, NULL);
    chart_dots(cb, "dots_sou", T("СОУ по всем работам ВПР, %d г.", in->y1), "СОУ, %", dots,
               c->nsch, "Кластер", usable(cr) ? cr->value : NAN, "Район",
               usable(dr) ? dr->value : NAN);
    page_chart(D, "dots_sou",
              T("Рис. 2. СОУ по всем работам ВПР, %d г.: ОО кластера с 95%%-ными интервалами; "
                "пунктир — кластер и район", in->y1));
    free(dots);
    free(rows);
    for (size_t j = 0; j < NKEY; j++) {
        const struct indicator *ind = IND(in, KEY[j]);
        if (!ind) continue;
        key_table(D, c, ind, (*tabno)++);
    }
}

/* Cluster vs district on the key and subject indicators, every year of the window. */
static void sec_common(struct page *D, struct ctx *c, int *tabno)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "4. Общие положительные результаты и общие проблемы кластера");
    page_p(D, NULL,
          "Кластер в целом сравнивается с остальными школами района: проверяется, отличаются ли "
          "значения школ кластера от значений остальных школ района больше, чем объясняется "
          "различиями между школами (двухвыборочный t-критерий, уровень 0,05). Результат назван "
          "общим для кластера, только если различие значимо во всех годах окна, где есть данные.");
    struct sbuf pos = SBUF_INIT, neg = SBUF_INIT, part = SBUF_INIT;
    static const char *const head[] = {"Показатель", "Кластер", "Остальные ОО района", "p",
                                       "Вывод"};
    struct page_table *t = page_table(D, "cluster_vs_district",
                                    T("Таблица %d. Кластер и остальные ОО района, %d г.",
                                      (*tabno)++, in->y1),
                                    5, head);
    size_t npos = 0, nneg = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t nlist = pass == 0 ? NKEY : NSUBJ;
        for (size_t j = 0; j < nlist; j++) {
            const struct indicator *ind = IND(in, pass == 0 ? KEY[j] : SUBJ[j]);
            if (!ind) continue;
            const char **subj = NULL;
            size_t ns = pass == 0 ? 1 : subjects(in, ind, &subj);
            for (size_t s = 0; s < ns; s++) {
                const char *d0 = pass == 0 ? NULL : subj[s];
                int ny = 0, up = 0, down = 0;
                for (int y = in->y0; y <= in->y1; y++) {
                    const struct ana_compare *cc =
                        cmp_of(c, row_of(in, ind, IND_CLUSTER, c->cluster, y, d0));
                    if (!cc || !isfinite(cc->p)) continue;
                    ny++;
                    if (cc->cluster_verdict > 0) up++;
                    if (cc->cluster_verdict < 0) down++;
                }
                const struct ind_row *cr = row_of(in, ind, IND_CLUSTER, c->cluster, in->y1, d0);
                const struct ana_compare *cc = cmp_of(c, cr);
                const char *w = what(ind, d0);
                const char *concl = "различие не значимо";
                if (ny >= 2 && up == ny) {
                    concl = "общий положительный результат (все годы)";
                    sbuf_printf(&pos, "%s%s", npos++ ? "; " : "", w);
                } else if (ny >= 2 && down == ny) {
                    concl = "общая проблема (все годы)";
                    sbuf_printf(&neg, "%s%s", nneg++ ? "; " : "", w);
                } else if (up || down) {
                    concl = T("%s района в %d из %d лет — неустойчиво", up ? "лучше" : "хуже",
                              up ? up : down, ny);
                    sbuf_printf(&part, "%s%s", part.len ? "; " : "", w);
                } else if (ny == 0) {
                    concl = "нет данных для сравнения";
                }
                if (!cc && pass == 1) continue;     /* subjects: only where compared */
                page_row(t);
                page_cell(t, w);
                page_cell_num(t, usable(cr) ? cr->value : NAN, val(cr), 0);
                page_cell_num(t, cc ? cc->rest_value : NAN,
                             cc ? keep(page_num(cc->rest_value, decimals(cc->rest_value))) : "—", 0);
                page_cell_num(t, cc ? cc->p : NAN, cc ? pstr(cc->p) : "—", 0);
                page_cell(t, concl);
            }
            free(subj);
        }
    }
    page_p(D, "Общие положительные результаты.", "%s",
          npos ? T("Во всех годах окна кластер значимо лучше остальных школ района по "
                   "показателям: %s.", pos.s)
               : "Показателей, по которым кластер в целом устойчиво и значимо лучше остальных "
                 "школ района, не выявлено.");
    page_p(D, "Общие проблемы.", "%s",
          nneg ? T("Во всех годах окна кластер значимо хуже остальных школ района по "
                   "показателям: %s. Это проблемы, общие для школ кластера; их причины "
                   "(программы, кадры, контингент) целесообразно обсудить на заседании кластера.",
                   neg.s)
               : "Показателей, по которым кластер в целом устойчиво и значимо хуже остальных "
                 "школ района, не выявлено.");
    if (part.len)
        page_p(D, "Неустойчивые отличия.",
              "Значимое отличие не во всех годах: %s. Такие отличия не считаются общими "
              "результатами кластера; за ними стоит следить в следующем году.", part.s);
    sbuf_free(&pos);
    sbuf_free(&neg);
    sbuf_free(&part);
}

/* One school's strengths and problems against the district (subjects and key). */
static void school_particulars(struct page *D, struct ctx *c, const char *school)
{
    const struct note_input *in = c->in;
    struct sbuf good = SBUF_INIT, bad = SBUF_INIT;
    size_t ng = 0, nb = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t nlist = pass == 0 ? NKEY : NSUBJ;
        for (size_t j = 0; j < nlist; j++) {
            const struct indicator *ind = IND(in, pass == 0 ? KEY[j] : SUBJ[j]);
            if (!ind) continue;
            const char **subj = NULL;
            size_t ns = pass == 0 ? 1 : subjects(in, ind, &subj);
            for (size_t s = 0; s < ns; s++) {
                const char *d0 = pass == 0 ? NULL : subj[s];
                const struct ind_row *r = row_of(in, ind, IND_SCHOOL, school, in->y1, d0);
                const struct ana_compare *cp = cmp_of(c, r);
                if (!cp || cp->vs_district.verdict == 0 || !cp->vs_district.ref) continue;
                int v = cp->vs_district.verdict, same = 0, ny = 0;
                for (int y = in->y0; y <= in->y1; y++) {
                    const struct ana_compare *cy =
                        cmp_of(c, row_of(in, ind, IND_SCHOOL, school, y, d0));
                    if (!cy) continue;
                    ny++;
                    if ((cy->vs_district.verdict > 0) == (v > 0) && cy->vs_district.verdict != 0)
                        same++;
                }
                const char *stable = ny >= 2 && same == ny ? T(", устойчиво все %d г.", ny) : "";
                const char *txt =
                    T("%s — %s (n = %s) при %s по району, %s%s", what(ind, d0), valu(r), nstr(r),
                      valu(cp->vs_district.ref), abs(v) == 2 ? "граница 99,8 %" : "граница 95 %",
                      stable);
                struct sbuf *b = v > 0 ? &good : &bad;
                sbuf_printf(b, "%s%s", (v > 0 ? ng++ : nb++) ? "; " : "", txt);
            }
            free(subj);
        }
    }
    page_h(D, 3, "%s", sname(in, school));
    page_item(D, "Сильные стороны:", "%s",
             ng ? T("%s.", good.s)
                : "значимых преимуществ перед районом не выявлено (результаты в пределах "
                  "контрольных границ или данных недостаточно).");
    page_item(D, "Проблемы:", "%s",
             nb ? T("%s.", bad.s)
                : "значимых отставаний от района не выявлено.");
    sbuf_free(&good);
    sbuf_free(&bad);
}

static void sec_particular(struct page *D, struct ctx *c)
{
    page_h(D, 1, "5. Частные сильные стороны и проблемы ОО");
    page_p(D, NULL,
          "Для каждой ОО перечислены показатели %d г. (в целом и по предметам), по которым она "
          "значимо отличается от района — за контрольной границей 95 %% или 99,8 %% при своём n. "
          "Пометка «устойчиво» означает, что отличие того же знака было во все годы окна. "
          "Показатели в пределах границ не называются ни сильной стороной, ни проблемой: "
          "различие может быть случайным.",
          c->in->y1);
    for (size_t i = 0; i < c->nsch; i++) school_particulars(D, c, c->sch[i]);
}

static const char *const DYN[] = {"vpr_sou_all", "vpr_quality_all", "oge_quality_all",
                                  "ege_mean_rus", "ege_mean_math"};
#define NDYN (sizeof DYN / sizeof *DYN)

/* A dynamics chart of ind: the given schools (their intervals when one school), the
 * cluster and the district. */
static void dyn_chart(struct chart_batch *cb, struct ctx *c, const struct indicator *ind,
                      const char **schools, size_t nschools, const char *name)
{
    const struct note_input *in = c->in;
    int ny = in->y1 - in->y0 + 1;
    size_t ns = nschools + 2;
    struct chart_series *s = xcalloc(ns, sizeof *s);
    int *years = xcalloc((size_t)ny, sizeof *years);
    double *buf = xcalloc(ns * 3 * (size_t)ny, sizeof *buf);
    for (int k = 0; k < ny; k++) years[k] = in->y0 + k;
    for (size_t i = 0; i < ns; i++) {
        enum ind_level lv = i < nschools ? IND_SCHOOL : i == nschools ? IND_CLUSTER : IND_DISTRICT;
        const char *unit = i < nschools ? schools[i] : i == nschools ? c->cluster : "";
        s[i].label = i < nschools ? label(in, schools[i]) : i == nschools ? "Кластер" : "Район";
        s[i].n = (size_t)ny;
        s[i].years = years;
        double *v = buf + i * 3 * (size_t)ny, *lo = v + ny, *hi = lo + ny;
        for (int k = 0; k < ny; k++) {
            const struct ind_row *r = row_of(in, ind, lv, unit, years[k], NULL);
            v[k] = usable(r) ? r->value : NAN;
            int bars = nschools <= 1 || i >= nschools;
            lo[k] = usable(r) && bars ? r->lo : NAN;
            hi[k] = usable(r) && bars ? r->hi : NAN;
        }
        s[i].value = v;
        s[i].lo = lo;
        s[i].hi = hi;
    }
    /* the cluster and the district drawn first in colour order: put them first */
    struct chart_series *o = xcalloc(ns, sizeof *o);
    if (nschools == 1) {
        memcpy(o, s, ns * sizeof *s);
    } else {
        o[0] = s[nschools];
        o[1] = s[nschools + 1];
        memcpy(o + 2, s, nschools * sizeof *s);
    }
    chart_dynamics(cb, name, T("%s, %s", ind->title, window_text(in)),
                   ind->unit && *ind->unit ? ind->unit : "%", o, ns);
    free(o);
    free(s);
    free(years);
    free(buf);
}

static void sec_dynamics(struct page *D, struct ctx *c, struct chart_batch *cb, int *tabno,
                         int *fig)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "6. Динамика за %s", window_text(in));
    page_p(D, NULL,
          "Тренд оценивается по всем годам окна с учётом числа участников: для долей — "
          "критерий Кохрана–Армитиджа, для средних — наклон взвешенной регрессии. «Улучшение» "
          "и «ухудшение» — только при значимом тренде (p < 0,05); в скобках — изменение за "
          "окно и p. Изменение без значимого тренда названо «без значимых изменений».");
    const char *head[1 + NDYN];
    head[0] = "ОО";
    for (size_t j = 0; j < NDYN; j++) head[1 + j] = IND(in, DYN[j]) ? IND(in, DYN[j])->title : DYN[j];
    struct page_table *t = page_table(D, "trends", T("Таблица %d. Тренды за %s", (*tabno)++,
                                                   window_text(in)),
                                    1 + NDYN, head);
    size_t nimp = 0, nwor = 0;
    struct sbuf imp = SBUF_INIT, wor = SBUF_INIT;
    for (size_t i = 0; i <= c->nsch + 1; i++) {
        enum ind_level lv = i < c->nsch ? IND_SCHOOL : i == c->nsch ? IND_CLUSTER : IND_DISTRICT;
        const char *unit = i < c->nsch ? c->sch[i] : i == c->nsch ? c->cluster : "";
        page_row(t);
        page_cell(t, i < c->nsch ? sname(in, unit) : i == c->nsch ? "Кластер в целом" : "Район");
        for (size_t j = 0; j < NDYN; j++) {
            const struct indicator *ind = IND(in, DYN[j]);
            const struct ana_trend *tr = ind ? trend_of(c, ind, lv, unit, NULL) : NULL;
            page_cell(t, trend_cell(tr));
            if (tr && lv == IND_SCHOOL && tr->label == STATS_TREND_IMPROVING)
                sbuf_printf(&imp, "%s%s (%s)", nimp++ ? "; " : "", sname(in, unit), ind->title);
            if (tr && lv == IND_SCHOOL && tr->label == STATS_TREND_WORSENING)
                sbuf_printf(&wor, "%s%s (%s)", nwor++ ? "; " : "", sname(in, unit), ind->title);
        }
    }
    page_p(D, "Значимое улучшение:", "%s", nimp ? T("%s.", imp.s) : "ни у одной ОО кластера.");
    page_p(D, "Значимое ухудшение:", "%s", nwor ? T("%s.", wor.s) : "ни у одной ОО кластера.");
    sbuf_free(&imp);
    sbuf_free(&wor);
    for (size_t j = 0; j < NDYN && j < 3; j++) {
        const struct indicator *ind = IND(in, DYN[j]);
        if (!ind) continue;
        const char *name = T("dyn_%s", ind->id);
        dyn_chart(cb, c, ind, c->sch, c->nsch, name);
        page_chart(D, name, T("Рис. %d. %s: ОО кластера, кластер и район (у кластера и района — "
                             "95%%-ные интервалы)", (*fig)++, ind->title));
    }
    /* marks distribution */
    const char *mk[4] = {"vpr_fail_all", "vpr_m3_all", "vpr_m4_all", "vpr_m5_all"};
    size_t nb = c->nsch + 2;
    const char **cats = xcalloc(nb, sizeof *cats);
    double *vals = xcalloc(nb * 4, sizeof *vals);
    for (size_t i = 0; i < nb; i++) {
        enum ind_level lv = i < c->nsch ? IND_SCHOOL : i == c->nsch ? IND_CLUSTER : IND_DISTRICT;
        const char *unit = i < c->nsch ? c->sch[i] : i == c->nsch ? c->cluster : "";
        cats[i] = i < c->nsch ? label(in, unit) : i == c->nsch ? "Кластер" : "Район";
        for (int k = 0; k < 4; k++) {
            const struct ind_row *r = row_of(in, IND(in, mk[k]), lv, unit, in->y1, NULL);
            vals[i * 4 + (size_t)k] = usable(r) ? r->value : NAN;
        }
    }
    static const char *const segs[4] = {"«2»", "«3»", "«4»", "«5»"};
    chart_stacked(cb, "marks_vpr", T("Распределение отметок ВПР, %d г.", in->y1), cats, nb, segs,
                  4, vals);
    page_chart(D, "marks_vpr",
              T("Рис. %d. Распределение отметок по всем работам ВПР, %d г., %% участников",
                (*fig)++, in->y1));
    free(cats);
    free(vals);
    /* funnel of the quality rate */
    const struct indicator *q = IND(in, "vpr_quality_all");
    const struct ind_row *dr = row_of(in, q, IND_DISTRICT, "", in->y1, NULL);
    if (usable(dr)) {
        struct chart_point *pts = NULL;
        size_t np = 0;
        double nmax = 10;
        for (size_t i = 0; i < in->res->n; i++) {
            const struct ind_row *r = &in->res->v[i];
            if (r->ind != q || r->level != IND_SCHOOL || r->year != in->y1 || !usable(r)) continue;
            pts = xrealloc(pts, (np + 1) * sizeof *pts);
            int hl = 0;
            for (size_t k = 0; k < c->nsch; k++)
                if (strcmp(c->sch[k], r->unit) == 0) hl = 1;
            pts[np].n = r->n;
            pts[np].value = r->value;
            pts[np].label = hl ? r->unit : NULL;
            pts[np].highlight = hl;
            np++;
            if (r->n > nmax) nmax = r->n;
        }
        enum { NG = 60 };
        double gn[NG], l95[NG], h95[NG], l998[NG], h998[NG];
        size_t ng = 0;
        double p0 = dr->value / 100;
        for (int k = 0; k < NG; k++) {
            double n = floor(5 * pow(nmax * 1.08 / 5, (double)k / (NG - 1)));
            if (ng && n <= gn[ng - 1]) continue;
            struct stats_funnel f;
            if (p0 <= 0 || p0 >= 1 || stats_funnel_share_exact(p0, n, &f)) continue;
            gn[ng] = n;
            l95[ng] = 100 * f.lo95;
            h95[ng] = 100 * f.hi95;
            l998[ng] = 100 * f.lo998;
            h998[ng] = 100 * f.hi998;
            ng++;
        }
        struct chart_funnel fu = {dr->value, ng, gn, l95, h95, l998, h998, np, pts};
        chart_funnel(cb, "funnel_quality", T("%s, %d г.: воронка района", q->title, in->y1),
                     "Качество знаний, %", &fu);
        page_chart(D, "funnel_quality",
                  T("Рис. %d. Воронка: качество знаний по всем работам ВПР, %d г. Точки — ОО "
                    "района (синие, с кодом — ОО кластера); линии — значение района и "
                    "контрольные границы 95 %% и 99,8 %% в зависимости от числа участников",
                    (*fig)++, in->y1));
        free(pts);
    }
}

static const char *ev_num(double x)
{
    return isfinite(x) ? keep(page_num(x, decimals(x))) : "—";
}

static void flag_evidence(struct page *D, const struct rule_flag *f, int *tabno)
{
    static const char *const head[] = {"Процедура", "Год", "Значение", "n", "Район / порог",
                                       "Граница", "Статистика", "p", "Подробности"};
    struct page_table *t =
        page_table(D, T("flag_%s_%s", f->rule->id, f->school_id),
                  T("Таблица %d. %s — %s: основания", (*tabno)++,
                    *f->school_name ? f->school_name : f->school_id, f->rule->title),
                  9, head);
    size_t lim = f->nev < 12 ? f->nev : 12;
    for (size_t k = 0; k < lim; k++) {
        const struct rule_ev *e = &f->ev[k];
        page_row(t);
        page_cell(t, e->what ? e->what : (e->ind ? e->ind->title : ""));
        page_cellf(t, "%d", e->year);
        page_cell_num(t, e->value, ev_num(e->value), 0);
        page_cell_num(t, e->n, isfinite(e->n) ? T("%.0f", e->n) : "—", 0);
        page_cell_num(t, e->ref, ev_num(e->ref), 0);
        page_cell_num(t, e->limit, ev_num(e->limit), 0);
        page_cell_num(t, e->stat, ev_num(e->stat), 0);
        page_cell_num(t, e->p, pstr(e->p), 0);
        page_cell(t, e->detail ? e->detail : "");
    }
    if (f->nev > lim)
        page_table_note(t, T("Показаны %zu оснований из %zu; полный список — soko flags --school %s.",
                            lim, f->nev, f->school_id));
}

static int in_cluster(const struct ctx *c, const char *school)
{
    for (size_t i = 0; i < c->nsch; i++)
        if (strcmp(c->sch[i], school) == 0) return 1;
    return 0;
}

static const char *rule_params(const struct rule *r)
{
    return keep(rule_condition(r));
}

static void sec_flags(struct page *D, struct ctx *c, int *tabno)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "7. ОО, отмеченные правилами района");
    if (!in->rules || !in->flags) {
        page_p(D, NULL, "Правила не загружены: раздел не составлен.");
        return;
    }
    page_p(D, NULL,
          "Правила и их пороги заданы в файле правил района (см. приложение). Пороги признаков "
          "необъективности — локальные значения по умолчанию: Рособрнадзор числовых порогов не "
          "публикует. Отметка правилом — повод для анализа, а не оценка работы ОО; основания "
          "приведены для каждой отметки. Результаты ВПР не используются для оценки учителей.");
    struct sbuf none = SBUF_INIT;
    for (size_t k = 0; k < in->rules->n; k++) {
        const struct rule *r = &in->rules->v[k];
        size_t nf = 0;
        for (size_t i = 0; i < in->flags->n; i++)
            if (in->flags->v[i].rule == r && in_cluster(c, in->flags->v[i].school_id)) nf++;
        if (!nf) {
            sbuf_printf(&none, "%s«%s»", none.len ? ", " : "", r->title);
            continue;
        }
        page_h(D, 2, "%s", r->title);
        page_p(D, "Условие:", "%s.", rule_params(r));
        for (size_t i = 0; i < in->flags->n; i++) {
            const struct rule_flag *f = &in->flags->v[i];
            if (f->rule != r || !in_cluster(c, f->school_id)) continue;
            page_p(D, T("%s.", sname(in, f->school_id)),
                  "Условие выполнено в %s г.; процедур, где оно выполнено: %zu из %zu с данными.",
                  f->years && *f->years ? f->years : window_text(in), f->nproc, f->nevaluated);
            if (f->nev) flag_evidence(D, f, tabno);
        }
    }
    page_p(D, "Не отмечена ни одна ОО кластера", "по правилам: %s.",
          none.len ? none.s : "—");
    sbuf_free(&none);
}

static void sec_admissions(struct page *D, struct ctx *c, int *tabno)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "8. Соответствие профиля ОО выбору выпускников");
    const struct indicator *u = IND(in, "adm_university"), *p = IND(in, "adm_profile"),
                           *m = IND(in, "adm_profile_match");
    if (!u || !m) {
        page_p(D, NULL, "Показатели поступления не загружены.");
        return;
    }
    page_p(D, NULL,
          "Соответствие профиля — доля поступивших в вузы по профилю ОО среди всех поступивших "
          "в вузы (seed: «соответствие профиля ОО профессиональному выбору выпускников»), %d г.; "
          "тренд — за окно %s.",
          in->y1, window_text(in));
    static const char *const head[] = {"ОО", "Профиль ОО", "Выпускники", "Поступили в вузы, %",
                                       "По профилю ОО, % выпускников", "Соответствие профиля, %",
                                       "95% интервал", "Сравнение с районом", "Тренд"};
    struct page_table *t = page_table(D, "admissions",
                                    T("Таблица %d. Поступление выпускников, %d г.", (*tabno)++,
                                      in->y1),
                                    9, head);
    struct sbuf hi = SBUF_INIT, lo = SBUF_INIT;
    for (size_t i = 0; i < c->nsch; i++) {
        const struct note_school *s = school_of(in, c->sch[i]);
        const struct ind_row *ru = row_of(in, u, IND_SCHOOL, c->sch[i], in->y1, NULL);
        const struct ind_row *rp = row_of(in, p, IND_SCHOOL, c->sch[i], in->y1, NULL);
        const struct ind_row *rm = row_of(in, m, IND_SCHOOL, c->sch[i], in->y1, NULL);
        const struct ana_compare *cp = cmp_of(c, rm);
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        page_cell(t, s && s->profile && *s->profile ? s->profile : "не указан");
        page_cell_num(t, ru && !ru->suppressed ? ru->den : NAN, ru && !ru->suppressed ? T("%.0f", ru->den) : nstr(ru), 0);
        page_cell_num(t, usable(ru) ? ru->value : NAN, val(ru), 0);
        page_cell_num(t, usable(rp) ? rp->value : NAN, val(rp), 0);
        page_cell_num(t, usable(rm) ? rm->value : NAN, val(rm), cp && cp->vs_district.verdict);
        page_cell(t, ci(rm));
        page_cell(t, cp ? vs_short(&cp->vs_district) : "—");
        page_cell(t, trend_cell(trend_of(c, m, IND_SCHOOL, c->sch[i], NULL)));
        if (cp && cp->vs_district.verdict > 0) sbuf_printf(&hi, "%s%s", hi.len ? "; " : "", sname(in, c->sch[i]));
        if (cp && cp->vs_district.verdict < 0) sbuf_printf(&lo, "%s%s", lo.len ? "; " : "", sname(in, c->sch[i]));
    }
    const struct ind_row *cm = row_of(in, m, IND_CLUSTER, c->cluster, in->y1, NULL);
    const struct ind_row *dm = row_of(in, m, IND_DISTRICT, "", in->y1, NULL);
    page_p(D, NULL, "По кластеру соответствие профиля составляет %s (n = %s), по району — %s. %s%s",
          valu(cm), nstr(cm), valu(dm),
          hi.len ? T("Значимо выше района: %s. ", hi.s) : "",
          lo.len ? T("Значимо ниже района: %s — профиль обучения этих ОО расходится с выбором "
                     "выпускников; стоит проверить профориентационную работу и соответствие "
                     "учебного плана заявленному профилю.", lo.s)
                 : "ОО со значимо более низким, чем в районе, соответствием профиля нет.");
    sbuf_free(&hi);
    sbuf_free(&lo);
}

static void sec_recommend(struct page *D, struct ctx *c)
{
    const struct note_input *in = c->in;
    page_h(D, 1, "9. Адресные рекомендации");
    page_p(D, NULL,
          "Рекомендации составлены по шаблонам правил района для ОО, отмеченных правилами "
          "(раздел 7), и относятся к ОО в целом, а не к отдельным педагогам.");
    for (size_t i = 0; i < c->nsch; i++) {
        size_t n = 0;
        for (size_t k = 0; in->flags && k < in->flags->n; k++) {
            const struct rule_flag *f = &in->flags->v[k];
            if (strcmp(f->school_id, c->sch[i]) != 0 || !f->recommendation) continue;
            if (!n++) page_h(D, 3, "%s", sname(in, c->sch[i]));
            page_item(D, T("%s.", f->rule->title), "%s", f->recommendation);
        }
        if (!n) {
            page_h(D, 3, "%s", sname(in, c->sch[i]));
            page_item(D, NULL,
                     "Правила района ОО не отметили. Рекомендуется сохранить достигнутый "
                     "уровень и использовать сильные стороны ОО (раздел 5) в работе кластера.");
        }
    }
}

static void sec_appendix(struct page *D, struct ctx *c, int *tabno, const char *const *used,
                         size_t nused)
{
    const struct note_input *in = c->in;
    page_break(D);
    page_h(D, 1, "Приложение. Методика и источники данных");
    page_h(D, 2, "Определения и формулы показателей");
    static const char *const head[] = {"Показатель", "Код", "Формула", "Единица",
                                       "Мин. n", "Файл"};
    struct page_table *t = page_table(D, "definitions", T("Таблица %d. Показатели справки",
                                                        (*tabno)++),
                                    6, head);
    for (size_t i = 0; i < nused; i++) {
        const struct indicator *ind = IND(in, used[i]);
        if (!ind) continue;
        const char *f;
        switch (ind->kind) {
        case IND_SHARE:
            f = T("100 · %s / %s", ind->expr[IND_E_NUMERATOR], ind->expr[IND_E_DENOMINATOR]);
            break;
        case IND_MEAN:
            f = T("Σ(%s)·(%s) / Σ(%s)", ind->expr[IND_E_WEIGHT], ind->expr[IND_E_VALUE],
                  ind->expr[IND_E_WEIGHT]);
            break;
        default:
            f = T("%s", ind->expr[IND_E_COUNT] ? ind->expr[IND_E_COUNT] : "");
        }
        if (ind->expr[IND_E_FILTER]) f = T("%s, где %s", f, ind->expr[IND_E_FILTER]);
        const char *base = strrchr(ind->file, '/');
        page_row(t);
        page_cell(t, ind->description ? T("%s. %s", ind->title, ind->description) : ind->title);
        page_cell(t, ind->id);
        page_cell(t, f);
        page_cell(t, ind->kind == IND_SHARE ? "%" : ind->unit ? ind->unit : "");
        page_cellf(t, "%ld", ind->min_n);
        page_cell(t, T("%s:%ld", base ? base + 1 : ind->file, ind->line));
    }
    page_h(D, 2, "Статистические методы");
    page_item(D, "Пулинг.", "Доля кластера и района — Σчислитель/Σзнаменатель по всем строкам "
                           "ОО (не среднее долей школ); среднее — взвешенное по участникам.");
    page_item(D, "Интервалы.", "Для долей — интервал Уилсона 95 %%; для средних с известным "
                              "разбросом — t-интервал; для счётных величин — точный "
                              "пуассоновский интервал.");
    page_item(D, "Сравнение ОО с районом и кластером.",
             "Контрольные границы 95 %% и 99,8 %% вокруг значения района (кластера) при n ОО "
             "(Spiegelhalter, 2005): для долей — точные биномиальные, для средних — "
             "нормальные; z-оценка — отклонение в единицах стандартной ошибки.");
    page_item(D, "Сравнение кластера с районом.",
             "Двухвыборочный t-критерий значений школ кластера против остальных школ района "
             "(уровень 0,05), чтобы различия между школами учитывались.");
    page_item(D, "Тренды.", "Критерий Кохрана–Армитиджа для долей, наклон взвешенной регрессии "
                           "для средних; уровень 0,05.");
    page_item(D, "Малые группы.", "Результаты с n меньше минимума показателя показываются как "
                                 "«n < 5» и исключаются из сравнений, трендов и правил.");
    if (in->rules) {
        page_h(D, 2, "Правила и пороги");
        static const char *const rh[] = {"Правило", "Код", "Вид", "Условие", "Файл"};
        struct page_table *rt = page_table(D, "rules", T("Таблица %d. Правила района", (*tabno)++),
                                         5, rh);
        for (size_t k = 0; k < in->rules->n; k++) {
            const struct rule *r = &in->rules->v[k];
            const char *base = strrchr(r->file, '/');
            page_row(rt);
            page_cell(rt, r->title);
            page_cell(rt, r->id);
            page_cell(rt, rule_kind_name(r->kind));
            page_cell(rt, rule_params(r));
            page_cell(rt, T("%s:%ld", base ? base + 1 : r->file, r->line));
        }
    }
    page_h(D, 2, "Источники данных");
    static const char *const ih[] = {"Импорт", "Форма", "Файл", "Строк", "SHA-256"};
    struct page_table *it = page_table(D, "imports", T("Таблица %d. Импортированные файлы",
                                                     (*tabno)++),
                                     5, ih);
    for (size_t i = 0; i < in->nimports; i++) {
        const struct note_import *m = &in->imports[i];
        page_row(it);
        page_cellf(it, "%lld", m->id);
        page_cell(it, m->form);
        const char *base = strrchr(m->file, '/');
        page_cell(it, base ? base + 1 : m->file);
        page_cell_num(it, (double)m->rows, T("%ld", m->rows), 0);
        page_cell(it, m->sha256);
    }
    static const char *const fh[] = {"Файл определений", "SHA-256"};
    struct page_table *ft = page_table(D, "definition_files",
                                     T("Таблица %d. Файлы показателей и правил", (*tabno)++), 2, fh);
    for (size_t i = 0; i < in->nfiles; i++) {
        page_row(ft);
        page_cell(ft, in->files[i].path);
        page_cell(ft, in->files[i].sha256);
    }
    page_p(D, NULL,
          "Справка составлена программой soko %s %s по данным импорта, перечисленным выше; "
          "повторный расчёт на тех же файлах и определениях даёт те же значения.",
          in->version, in->date);
}

/* ==== writing ============================================================================= */

static int ensure_dir(const char *dir, struct soko_diag *d)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) return SOKO_OK;
    soko_diag_add(d, dir, 0, 0, "cannot create the directory: %s", strerror(errno));
    return SOKO_EIO;
}

static int write_all(struct page *D, struct chart_batch *cb, const char *dir, const char *stem,
                     struct soko_diag *d)
{
    int rc = ensure_dir(dir, d);
    if (!rc && chart_count(cb)) rc = chart_render(cb, dir, CHART_SVG | CHART_PNG, d);
    char *md = xasprintf("%s/%s.md", dir, stem), *html = xasprintf("%s/%s.html", dir, stem);
    char *tables = xasprintf("%s/tables", dir), *xlsx = xasprintf("%s/tables.xlsx", dir);
    if (!rc) rc = page_write_md(D, md, NULL, d);
    if (!rc) rc = page_write_html(D, html, dir, NULL, d);
    if (!rc) rc = ensure_dir(tables, d);
    if (!rc) rc = page_write_csv(D, tables, d);
    if (!rc) rc = page_write_xlsx(D, xlsx, d);
    free(md);
    free(html);
    free(tables);
    free(xlsx);
    return rc;
}

static const char *const USED[] = {
    "vpr_sou_all", "vpr_quality_all", "vpr_fail_all", "vpr_m3_all", "vpr_m4_all", "vpr_m5_all",
    "vpr_raised_all", "vpr_sou_subj", "oge_quality_all", "oge_fail_all", "oge_quality",
    "ege_mean_rus", "ege_mean_math", "ege_mean", "ege_high_all", "olymp_eff_muni",
    "adm_university", "adm_profile", "adm_profile_match"};
#define NUSED (sizeof USED / sizeof *USED)

int note_cluster(const struct note_input *in, const char *cluster_id, const char *dir,
                 struct soko_diag *d)
{
    int found = 0;
    for (size_t i = 0; i < in->members->n; i++)
        if (strcmp(in->members->v[i].cluster_id, cluster_id) == 0) found = 1;
    if (!found) {
        soko_diag_add(d, NULL, 0, 0, "no cluster '%s' (form clusters)", cluster_id);
        return SOKO_EUSAGE;
    }
    struct ctx c;
    ctx_init(&c, in, cluster_id);
    struct page *D = page_new(T("Аналитическая справка: кластер «%s»", cname(in, cluster_id)),
                            T("Результаты оценочных процедур за %s гг. · составлена %s · soko %s",
                              window_text(in), in->date, in->version));
    struct chart_batch *cb = chart_batch_new();
    int tabno = 3, fig = 3;
    page_p(D, "Назначение.",
          "Справка подготовлена для исследовательской сессии кластера: выявить общие и "
          "частные для школ кластера положительные результаты и проблемы и наметить их "
          "причины, сравнивая каждую ОО с кластером и районом за %s гг. Справка говорит об "
          "ОО, а не об отдельных педагогах: результаты ВПР для оценки учителей не используются.",
          window_text(in));
    sec_composition(D, &c);
    sec_coverage(D, &c);
    sec_key(D, &c, cb, &tabno);
    sec_common(D, &c, &tabno);
    sec_particular(D, &c);
    sec_dynamics(D, &c, cb, &tabno, &fig);
    sec_flags(D, &c, &tabno);
    sec_admissions(D, &c, &tabno);
    sec_recommend(D, &c);
    sec_appendix(D, &c, &tabno, USED, NUSED);
    int rc = write_all(D, cb, dir, "note", d);
    chart_batch_free(cb);
    page_free(D);
    ctx_free(&c);
    arena_free();
    return rc;
}

/* ==== the school card (карточка ОО) =============================================================== */

int note_card(const struct note_input *in, const char *school_id, const char *dir,
                 struct soko_diag *d)
{
    const struct note_school *s = school_of(in, school_id);
    if (!s) {
        soko_diag_add(d, NULL, 0, 0, "no school '%s' in the registry (form schools)", school_id);
        return SOKO_EUSAGE;
    }
    const char *cluster = NULL, *role = NULL;
    for (size_t i = 0; i < in->members->n; i++)
        if (strcmp(in->members->v[i].school_id, school_id) == 0 && !cluster) {
            cluster = in->members->v[i].cluster_id;
            role = in->members->v[i].role;
        }
    struct ctx c;
    ctx_init(&c, in, cluster ? cluster : "");
    struct page *D = page_new(T("Карточка ОО: %s", sname(in, school_id)),
                            T("%s гг. · составлена %s · soko %s", window_text(in), in->date,
                              in->version));
    struct chart_batch *cb = chart_batch_new();
    int tabno = 1, fig = 1;
    page_h(D, 1, "1. Общие сведения");
    page_p(D, NULL, "Код ОО: %s; вид: %s; профиль: %s. %s", school_id,
          s->kind && *s->kind ? s->kind : "не указан",
          s->profile && *s->profile ? s->profile : "не указан",
          cluster ? T("Кластер: «%s», роль — %s. Показатели сравниваются с кластером и районом.",
                      cname(in, cluster), role_text(role))
                  : "ОО не входит в кластер: показатели сравниваются с районом.");
    page_h(D, 1, "2. Ключевые показатели за %s", window_text(in));
    static const char *const head[] = {"Показатель", "Год", "ОО", "95% интервал", "n",
                                       "Кластер", "Район", "Сравнение с районом"};
    struct page_table *t = page_table(D, "key", T("Таблица %d. Показатели ОО, кластера и района",
                                                tabno++),
                                    8, head);
    for (size_t j = 0; j < NKEY; j++) {
        const struct indicator *ind = IND(in, KEY[j]);
        if (!ind) continue;
        for (int y = in->y0; y <= in->y1; y++) {
            const struct ind_row *r = row_of(in, ind, IND_SCHOOL, school_id, y, NULL);
            if (!r) continue;
            const struct ind_row *cr = cluster ? row_of(in, ind, IND_CLUSTER, cluster, y, NULL) : NULL;
            const struct ind_row *dr = row_of(in, ind, IND_DISTRICT, "", y, NULL);
            const struct ana_compare *cp = cmp_of(&c, r);
            page_row(t);
            page_cell(t, ind->title);
            page_cellf(t, "%d", y);
            page_cell_num(t, usable(r) ? r->value : NAN, val(r), cp && cp->vs_district.verdict);
            page_cell(t, ci(r));
            page_cell_num(t, r && !r->suppressed ? r->n : NAN, nstr(r), 0);
            page_cell_num(t, usable(cr) ? cr->value : NAN, val(cr), 0);
            page_cell_num(t, usable(dr) ? dr->value : NAN, val(dr), 0);
            page_cell(t, cp ? vs_short(&cp->vs_district) : "—");
        }
    }
    page_h(D, 1, "3. Динамика");
    static const char *const th[] = {"Показатель", "ОО", "Кластер", "Район"};
    struct page_table *tt = page_table(D, "trends", T("Таблица %d. Тренды за %s", tabno++,
                                                    window_text(in)),
                                     4, th);
    for (size_t j = 0; j < NDYN; j++) {
        const struct indicator *ind = IND(in, DYN[j]);
        if (!ind) continue;
        page_row(tt);
        page_cell(tt, ind->title);
        page_cell(tt, trend_cell(trend_of(&c, ind, IND_SCHOOL, school_id, NULL)));
        page_cell(tt, cluster ? trend_cell(trend_of(&c, ind, IND_CLUSTER, cluster, NULL)) : "—");
        page_cell(tt, trend_cell(trend_of(&c, ind, IND_DISTRICT, "", NULL)));
    }
    const char *one[1] = {school_id};
    for (size_t j = 0; j < 4 && j < NDYN; j++) {
        const struct indicator *ind = IND(in, DYN[j]);
        if (!ind || !row_of(in, ind, IND_SCHOOL, school_id, in->y1, NULL)) continue;
        const char *name = T("dyn_%s", ind->id);
        dyn_chart(cb, &c, ind, one, 1, name);
        page_chart(D, name, T("Рис. %d. %s: ОО, кластер, район (95%%-ные интервалы)", fig++,
                             ind->title));
    }
    page_h(D, 1, "4. Сильные стороны и проблемы, %d г.", in->y1);
    if (cluster) {
        school_particulars(D, &c, school_id);
    } else {
        page_p(D, NULL, "Сравнение по предметам составляется для ОО кластеров.");
    }
    page_h(D, 1, "5. Отметки правил и рекомендации");
    size_t nf = 0;
    for (size_t k = 0; in->flags && k < in->flags->n; k++) {
        const struct rule_flag *f = &in->flags->v[k];
        if (strcmp(f->school_id, school_id) != 0) continue;
        nf++;
        page_h(D, 2, "%s", f->rule->title);
        page_p(D, "Условие:", "%s; выполнено в %s г.", rule_params(f->rule),
              f->years && *f->years ? f->years : window_text(in));
        if (f->nev) flag_evidence(D, f, &tabno);
        if (f->recommendation) page_p(D, "Рекомендация.", "%s", f->recommendation);
    }
    if (!nf) page_p(D, NULL, "Правила района ОО не отметили.");
    int rc = write_all(D, cb, dir, "card", d);
    chart_batch_free(cb);
    page_free(D);
    ctx_free(&c);
    arena_free();
    return rc;
}

/* ==== the district report ================================================================== */

int note_report(const struct note_input *in, const char *dir, struct soko_diag *d)
{
    int rc = ensure_dir(dir, d);
    if (rc) return rc;
    /* every cluster's note first (each uses and frees the arena) */
    for (size_t i = 0; i < in->nclusters && !rc; i++) {
        char *stem = esc_filename(in->clusters[i].id);
        char *sub = xasprintf("%s/%s", dir, stem);
        rc = note_cluster(in, in->clusters[i].id, sub, d);
        free(sub);
        free(stem);
    }
    if (rc) return rc;
    struct ctx c;
    ctx_init(&c, in, NULL);
    struct page *D = page_new("Результаты района: кластеры и списки ОО по правилам",
                            T("%s гг. · составлено %s · soko %s", window_text(in), in->date,
                              in->version));
    struct chart_batch *cb = chart_batch_new();
    int tabno = 1;
    page_h(D, 1, "Аналитические справки кластеров");
    for (size_t i = 0; i < in->nclusters; i++) {
        char *stem = esc_filename(in->clusters[i].id);
        size_t n = 0;
        for (size_t k = 0; k < in->members->n; k++)
            if (strcmp(in->members->v[k].cluster_id, in->clusters[i].id) == 0) n++;
        page_link(D, T("%s (%zu ОО)", cname(in, in->clusters[i].id), n), T("%s/note.html", stem));
        free(stem);
    }
    /* overview: each cluster against the district, z of the pooled cluster values */
    const char **rows = xcalloc(in->nclusters + 1, sizeof *rows);
    double *z = xcalloc((in->nclusters + 1) * NKEY, sizeof *z);
    const char *cols[NKEY];
    for (size_t j = 0; j < NKEY; j++) cols[j] = KEY_SHORT[j];
    for (size_t i = 0; i < in->nclusters; i++) {
        rows[i] = cname(in, in->clusters[i].id);
        struct ana_compares cc = {NULL, 0, 0};
        struct ana_compare_opts o;
        memset(&o, 0, sizeof o);
        o.window.y0 = o.window.y1 = in->y1;
        ana_compare(in->res, in->members, in->clusters[i].id, &o, &cc);
        for (size_t j = 0; j < NKEY; j++) {
            const struct indicator *ind = IND(in, KEY[j]);
            const struct ind_row *r = row_of(in, ind, IND_CLUSTER, in->clusters[i].id, in->y1, NULL);
            double v = NAN;
            for (size_t k = 0; k < cc.n; k++)
                if (cc.v[k].row == r) v = cc.v[k].vs_district.z;
            z[i * NKEY + j] = ind && ind->lower_is_better ? -v : v;
        }
        ana_compares_free(&cc);
    }
    chart_heatmap(cb, "overview", T("Кластеры и район, z-оценки, %d г.", in->y1), rows,
                  in->nclusters, cols, NKEY, z);
    page_chart(D, "overview", T("Рис. 1. Кластеры в целом против района по ключевым показателям, "
                               "%d г. (z-оценка объединённого значения кластера; зелёный — "
                               "лучше района)", in->y1));
    free(rows);
    free(z);
    page_h(D, 1, "Списки ОО по правилам района");
    if (in->rules && in->flags) {
        for (size_t k = 0; k < in->rules->n; k++) {
            const struct rule *r = &in->rules->v[k];
            page_h(D, 2, "%s", r->title);
            static const char *const head[] = {"Место", "ОО", "Код", "Кластер", "Годы",
                                               "Процедур"};
            size_t nf = 0;
            struct page_table *t = NULL;
            for (size_t i = 0; i < in->flags->n; i++) {
                const struct rule_flag *f = &in->flags->v[i];
                if (f->rule != r) continue;
                if (!nf++)
                    t = page_table(D, T("list_%s", r->id),
                                  T("Таблица %d. %s (%s)", tabno++, r->title, rule_params(r)), 6,
                                  head);
                const char *cl = "";
                for (size_t m = 0; m < in->members->n; m++)
                    if (strcmp(in->members->v[m].school_id, f->school_id) == 0) {
                        cl = cname(in, in->members->v[m].cluster_id);
                        break;
                    }
                page_row(t);
                page_cell_num(t, f->rank, T("%d", f->rank), 0);
                page_cell(t, sname(in, f->school_id));
                page_cell(t, f->school_id);
                page_cell(t, cl);
                page_cell(t, f->years ? f->years : "");
                page_cell(t, T("%zu из %zu", f->nproc, f->nevaluated));
            }
            if (!nf) page_p(D, NULL, "ОО, отмеченных этим правилом, нет (%s).", rule_params(r));
        }
    } else {
        page_p(D, NULL, "Правила не загружены.");
    }
    rc = write_all(D, cb, dir, "index", d);
    chart_batch_free(cb);
    page_free(D);
    ctx_free(&c);
    arena_free();
    return rc;
}
