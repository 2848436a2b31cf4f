/*
 * note.c — the analytical note of a cluster, the school card (карточка ОО) and the district
 * report (note.h). Each is built as a struct page (page.h) plus a batch of charts
 * (chart.h), then written as Markdown, HTML, CSV, XLSX (and DOCX when asked).
 *
 * How the text decides what to say: a school or the cluster is said to differ from
 * the district only when the comparison of analysis.h says so — a school beyond the
 * 95% (or 99.8%) funnel limit around the district value at its n; the cluster when
 * the two-sample test on school values gives p < 0.05. Otherwise the sentence says
 * that the difference is not significant. Suppressed figures (n below the indicator's
 * minimum) are shown as "n < 5" and never enter a sentence.
 *
 * One school's findings (struct finding: problems, strengths, worsening, flags) are
 * collected once and read by every section that speaks of the school — the table of
 * particulars, the recommendations, the conclusions and the questions for the session
 * — so that no section can contradict another: a school with a problem or a
 * worsening trend is never told to keep its level.
 */
#include "note.h"
#include "chart.h"
#include "deffile.h"
#include "formdef.h"
#include "escape.h"
#include "outdir.h"
#include "page.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

#define NBSP "\u00A0"

/* ==== charts of many rows ================================================================ */

/* A chart of one row per school or cluster is split into parts of at most CHART_MAX_ROWS
   rows (chart.h). Part p (from 0) covers rows [p * CHART_MAX_ROWS, ...); with one part
   the chart keeps its plain name and caption. */
static size_t chart_parts(size_t nrows)
{
    return nrows <= CHART_MAX_ROWS ? 1 : (nrows + CHART_MAX_ROWS - 1) / CHART_MAX_ROWS;
}

static size_t part_len(size_t nrows, size_t p)
{
    size_t first = p * CHART_MAX_ROWS;
    return nrows - first < CHART_MAX_ROWS ? nrows - first : CHART_MAX_ROWS;
}

static const char *part_name(const char *name, size_t p)
{
    return p ? T("%s_%zu", name, p + 1) : name;
}

/* " (часть 2 из 10: кластеры 301–600 из 3000)" (what: "ОО", "кластеры"), or "" for a
   chart in one part. */
static const char *part_caption(size_t nrows, size_t p, const char *what)
{
    size_t np = chart_parts(nrows);
    if (np == 1) return "";
    size_t first = p * CHART_MAX_ROWS;
    return T(" (часть %zu из %zu: %s %zu–%zu из %zu)", p + 1, np, what, first + 1,
             first + part_len(nrows, p), nrows);
}

/* ==== the [note] lists ==================================================================== */

static const char *const LIST_NAMES[NOTE_NLISTS] = {
    "key", "dynamics", "subjects", "marks", "dots", "funnel", "admissions", "olympiad", "coverage",
    "assessments"};

const char *note_list_name(enum note_list l) { return LIST_NAMES[l]; }

void note_spec_free(struct note_spec *s)
{
    for (int l = 0; l < NOTE_NLISTS; l++) {
        for (size_t i = 0; i < s->n[l]; i++) {
            free(s->v[l][i].dim);
            free(s->v[l][i].spec);
        }
        free(s->v[l]);
        s->v[l] = NULL;
        s->n[l] = 0;
    }
}

static int has_subject_dim(const struct indicator *ind)
{
    return ind->ndims >= 1 && strcmp(ind->dims[0], "subject") == 0;
}

int note_spec_load(const char *path, const struct ind_set *note_set,
                   const struct ind_set *std_set, struct note_spec *out, struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    struct deffile df;
    int rc = deffile_read(path, &df, d);
    if (rc) return rc;
    const struct deffile_sec *sec = NULL;
    for (size_t i = 0; i < df.nsec; i++)
        if (strcmp(df.sec[i].name, "note") == 0) sec = &df.sec[i];
    if (!sec) {
        soko_diag_add(d, path, 0, 0, _("no [note] section; expected the note's lists (docs/reports.md)"));
        deffile_free(&df);
        return SOKO_ECONFIG;
    }
    for (size_t k = 0; k < sec->nkv; k++) {
        int known = 0;
        for (int l = 0; l < NOTE_NLISTS; l++) known |= strcmp(sec->kv[k].key, LIST_NAMES[l]) == 0;
        if (!known) {
            soko_diag_add(d, path, sec->kv[k].line, 0,
                          _("[note]: %s: unknown list; expected key, dynamics, subjects, marks, "
                          "dots, funnel, admissions, olympiad, coverage or assessments"), sec->kv[k].key);
            rc = SOKO_ECONFIG;
        }
    }
    for (int l = 0; l < NOTE_NLISTS; l++) {
        long line = 0;
        const char *v = deffile_get(sec, LIST_NAMES[l], &line);
        if (!v && l == NOTE_ASSESSMENTS) continue;   /* optional: no section 10 tables */
        if (!v) {
            soko_diag_add(d, path, sec->line, 0, _("[note]: no list '%s'"), LIST_NAMES[l]);
            rc = SOKO_ECONFIG;
            continue;
        }
        char *copy = xstrdup(v);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            str_trim(tok);
            if (!*tok) continue;
            char *dim = NULL, *br = strchr(tok, '[');
            char *id = xstrdup(tok);
            if (br) {
                size_t len = strlen(br);
                if (len < 3 || br[len - 1] != ']') {
                    soko_diag_add(d, path, line, 0, _("[note]: %s: '%s': expected ID or ID[SUBJECT]"),
                                  LIST_NAMES[l], tok);
                    rc = SOKO_ECONFIG;
                    free(id);
                    continue;
                }
                id[br - tok] = '\0';
                dim = xstrndup(br + 1, len - 2);
                str_trim(id);
                str_trim(dim);
            }
            const struct indicator *ind = note_set ? ind_find(note_set, id) : NULL;
            if (!ind && std_set) ind = ind_find(std_set, id);
            if (!ind) {
                soko_diag_add(d, path, line, 0,
                              _("[note]: %s: unknown indicator '%s'; expected an id of note.ini "
                              "or of the indicators directory"), LIST_NAMES[l], id);
                rc = SOKO_ECONFIG;
            } else if (l == NOTE_ASSESSMENTS && (dim || ind->ndims != 1)) {
                soko_diag_add(d, path, line, 0,
                              _("[note]: %s: '%s': expected an indicator broken down by one "
                              "column alone (dims = subject, or study for НИКО), without "
                              "[SUBJECT]"), LIST_NAMES[l], tok);
                rc = SOKO_ECONFIG;
            } else if (dim && !has_subject_dim(ind)) {
                soko_diag_add(d, path, line, 0,
                              _("[note]: %s: '%s' has no breakdown by subject; expected ID without "
                              "[SUBJECT]"), LIST_NAMES[l], id);
                rc = SOKO_ECONFIG;
            } else {
                out->v[l] = xrealloc(out->v[l], (out->n[l] + 1) * sizeof *out->v[l]);
                struct note_key *key = &out->v[l][out->n[l]++];
                key->ind = ind;
                key->dim = dim;
                key->spec = xstrdup(tok);
                dim = NULL;
            }
            free(dim);
            free(id);
        }
        free(copy);
    }
    if (!rc && out->n[NOTE_MARKS] != 4) {
        soko_diag_add(d, path, sec->line, 0, _("[note]: marks: expected 4 indicators («2», «3», «4», «5»)"));
        rc = SOKO_ECONFIG;
    }
    if (!rc && out->n[NOTE_ADMISSIONS] != 3) {
        soko_diag_add(d, path, sec->line, 0,
                      _("[note]: admissions: expected 3 indicators (university, by profile, match)"));
        rc = SOKO_ECONFIG;
    }
    deffile_free(&df);
    if (rc) note_spec_free(out);
    return rc;
}

/* ==== lookups ============================================================================ */

struct finding;

struct ctx {
    const struct note_input *in;
    const char *cluster;             /* the cluster of the document (NULL: district) */
    struct ana_compares cmp;         /* schools of the cluster and the cluster vs district */
    struct ana_trends tr;
    const char **sch;                /* the cluster's schools, by id */
    const char **role;
    size_t nsch;
    struct finding *f;               /* per school of sch */
};

static const char *DN(const struct note_input *in, const char *cat, const char *v)
{
    return names_get(in->names, cat, v);
}

/* A form as the reader sees it: its display name in names.ini, else the title of its
   definition (a district's own form, defs/forms/NAME.ini), else its name. */
static const char *form_dn(const struct note_input *in, const char *name)
{
    if (names_has(in->names, "form", name)) return DN(in, "form", name);
    const struct form *f = form_find(name);
    return f && f->title_ru && *f->title_ru ? f->title_ru : name;
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

static size_t cluster_size(const struct note_input *in, const char *cid)
{
    size_t n = 0;
    for (size_t k = 0; k < in->members->n; k++)
        if (strcmp(in->members->v[k].cluster_id, cid) == 0) n++;
    return n;
}

/* The cluster of all the district's schools (every school of the registry, or of
 * every cluster when there is no registry) is the district, not a cluster: it is never
 * the cluster a school is compared with. */
static int all_schools_cluster(const struct note_input *in, const char *cid)
{
    size_t n = cluster_size(in, cid);
    if (in->nschools) return in->nschools >= 2 && n >= in->nschools;
    size_t distinct = 0;
    for (size_t k = 0; k < in->members->n; k++) {
        size_t j = 0;
        while (j < k && strcmp(in->members->v[j].school_id, in->members->v[k].school_id) != 0) j++;
        if (j == k) distinct++;
    }
    return distinct >= 2 && n >= distinct;
}

static const char *role_of(const struct note_input *in, const char *cid, const char *school)
{
    for (size_t k = 0; k < in->members->n; k++)
        if (strcmp(in->members->v[k].cluster_id, cid) == 0 &&
            strcmp(in->members->v[k].school_id, school) == 0)
            return in->members->v[k].role && *in->members->v[k].role ? in->members->v[k].role
                                                                   : "member";
    return NULL;
}

static int dim_eq(const struct ind_row *r, const char *dim0)
{
    if (!dim0) return r->ind->ndims == 0;
    return r->ind->ndims == 1 && r->dim[0] && utf8_casecmp(r->dim[0], dim0) == 0;
}

/* What the documents of one call (note_cluster, note_card, note_report: every note
 * and the index) share, for one in->res: its rows indexed by (indicator, level, year,
 * unit), the analyses' cache and the trends of the window. Built on first use, dropped
 * by shared_drop at the end of each call, so never stale. */
static struct {
    const struct ind_results *res;
    size_t n, nb;
    size_t *head, *next;          /* chains of row indexes by hash, ascending; (size_t)-1 ends */
    struct ana_cache *cache;
    int have_tr, tr_y0, tr_y1;
    struct ana_trends tr;
    size_t tnb, *thead, *tnext;   /* the trends by (indicator, level, unit), as head/next */
    struct subj_memo {
        const struct indicator *ind;
        const char **v;
        size_t n;
    } *subj;                      /* subjects() of each indicator asked for */
    size_t nsubj;
} sh;

static void shared_drop(void)
{
    for (size_t i = 0; i < sh.nsubj; i++) free(sh.subj[i].v);
    free(sh.subj);
    free(sh.thead);
    free(sh.tnext);
    free(sh.head);
    free(sh.next);
    ana_cache_free(sh.cache);
    if (sh.have_tr) ana_trends_free(&sh.tr);
    memset(&sh, 0, sizeof sh);
}

static size_t row_hash(const struct indicator *ind, enum ind_level lv, int year, const char *unit)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)ind;
    h = (h ^ (uint64_t)lv) * 1099511628211ULL;
    h = (h ^ (uint64_t)(unsigned)year) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)unit; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

static void shared_for(const struct note_input *in)
{
    if (sh.res == in->res && sh.n == in->res->n && sh.head) return;
    shared_drop();
    sh.res = in->res;
    sh.n = in->res->n;
    sh.nb = 64;
    while (sh.nb < 2 * sh.n) sh.nb *= 2;
    sh.head = xmalloc(sh.nb * sizeof *sh.head);
    sh.next = xmalloc((sh.n + 1) * sizeof *sh.next);
    for (size_t b = 0; b < sh.nb; b++) sh.head[b] = (size_t)-1;
    for (size_t i = sh.n; i-- > 0;) {
        const struct ind_row *r = &in->res->v[i];
        size_t b = row_hash(r->ind, r->level, r->year, r->unit) & (sh.nb - 1);
        sh.next[i] = sh.head[b];
        sh.head[b] = i;
    }
    sh.cache = ana_cache_new();
}

/* The trends of every series in the window: the same for each document of the call. */
static void shared_trends(const struct note_input *in)
{
    shared_for(in);
    if (sh.have_tr && sh.tr_y0 == in->y0 && sh.tr_y1 == in->y1) return;
    if (sh.have_tr) ana_trends_free(&sh.tr);
    struct ana_trend_opts to;
    memset(&to, 0, sizeof to);
    to.window.y0 = in->y0;
    to.window.y1 = in->y1;
    ana_trends(in->res, &to, &sh.tr);
    sh.have_tr = 1;
    sh.tr_y0 = in->y0;
    sh.tr_y1 = in->y1;
    free(sh.thead);
    free(sh.tnext);
    sh.tnb = 64;
    while (sh.tnb < 2 * sh.tr.n) sh.tnb *= 2;
    sh.thead = xmalloc(sh.tnb * sizeof *sh.thead);
    sh.tnext = xmalloc((sh.tr.n + 1) * sizeof *sh.tnext);
    for (size_t b = 0; b < sh.tnb; b++) sh.thead[b] = (size_t)-1;
    for (size_t i = sh.tr.n; i-- > 0;) {
        const struct ana_trend *t = &sh.tr.v[i];
        size_t b = row_hash(t->ind, t->level, 0, t->unit ? t->unit : "") & (sh.tnb - 1);
        sh.tnext[i] = sh.thead[b];
        sh.thead[b] = i;
    }
}

/* The row of ind for a unit ("" district) in a year, breakdown dim0 (NULL: none): the
 * first such row of in->res. */
static const struct ind_row *row_of(const struct note_input *in, const struct indicator *ind,
                                    enum ind_level lv, const char *unit, int year,
                                    const char *dim0)
{
    if (!ind || !unit) return NULL;
    shared_for(in);
    size_t b = row_hash(ind, lv, year, unit) & (sh.nb - 1);
    for (size_t i = sh.head[b]; i != (size_t)-1; i = sh.next[i]) {
        const struct ind_row *r = &in->res->v[i];
        if (r->ind == ind && r->level == lv && r->year == year && strcmp(r->unit, unit) == 0 &&
            dim_eq(r, dim0))
            return r;
    }
    return NULL;
}

static const struct ind_row *krow(const struct note_input *in, const struct note_key *k,
                                  enum ind_level lv, const char *unit, int year)
{
    return row_of(in, k->ind, lv, unit, year, k->dim);
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
    if (!ind || !unit) return NULL;
    /* c->tr is the call's trends (shared_trends), indexed: the first match in order */
    SOKO_ASSERT(c->tr.v == sh.tr.v && sh.thead);
    size_t b = row_hash(ind, lv, 0, unit) & (sh.tnb - 1);
    for (size_t i = sh.thead[b]; i != (size_t)-1; i = sh.tnext[i]) {
        const struct ana_trend *t = &c->tr.v[i];
        if (t->ind != ind || t->level != lv || strcmp(t->unit, unit) != 0) continue;
        if (!dim0 ? ind->ndims == 0
                  : (ind->ndims == 1 && t->dim[0] && utf8_casecmp(t->dim[0], dim0) == 0))
            return t;
    }
    return NULL;
}

/* Does the store hold any row of ind (the key's breakdown) in the window? */
static int key_has_data(const struct note_input *in, const struct note_key *k)
{
    for (size_t i = 0; i < in->res->n; i++) {
        const struct ind_row *r = &in->res->v[i];
        if (r->ind == k->ind && r->year >= in->y0 && r->year <= in->y1 && dim_eq(r, k->dim))
            return 1;
    }
    return 0;
}

/* ==== numbers in words: every number goes through page_num ================================= */

static int decimals(double v) { return fabs(v) < 10 ? 2 : 1; }

static const char *num(double x, int dec) { return keep(page_num(x, dec)); }
static const char *numa(double x) { return isfinite(x) ? num(x, decimals(x)) : "—"; }
static const char *pv(double p) { return keep(page_pval(p)); }

/* The p of a cluster-versus-district comparison with the adjusted p its verdict is taken
   from (Benjamini–Hochberg over the cluster's comparisons of the year, analysis.h): a
   p = 0,005 that is not significant says why. */
static const char *pv_adj(const struct ana_compare *cc)
{
    if (!isfinite(cc->p_adj) || cc->p_adj == cc->p) return pv(cc->p);
    return T("%s; с поправкой на множественность сравнений %s", pv(cc->p), pv(cc->p_adj));
}
static const char *count(double x) { return isfinite(x) ? num(x, 0) : "—"; }

static int is_pct(const struct indicator *ind)
{
    return ind->kind == IND_SHARE || (ind->unit && strcmp(ind->unit, "%") == 0);
}

static const char *unit_sfx(const struct indicator *ind)
{
    if (is_pct(ind)) return NBSP "%";
    if (ind->unit && strcmp(ind->unit, "балл") == 0) return NBSP "балла";
    return "";
}

static enum page_fmt fmt_of(const struct indicator *ind)
{
    return is_pct(ind) ? PAGE_F_PCT : ind->kind == IND_COUNT ? PAGE_F_INT : PAGE_F_DEC;
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
    return numa(r->value);
}

static const char *valu(const struct ind_row *r)
{
    if (!usable(r)) return val(r);
    return T("%s%s", val(r), unit_sfx(r->ind));
}

static int has_ci(const struct ind_row *r)
{
    return usable(r) && isfinite(r->lo) && isfinite(r->hi);
}

static const char *ci(const struct ind_row *r)
{
    if (!has_ci(r)) return "";
    int k = decimals(r->value);
    return T("%s–%s", num(r->lo, k), num(r->hi, k));
}

static const char *nstr(const struct ind_row *r)
{
    if (!r || r->suppressed || !isfinite(r->n)) return r && r->suppressed ? T("< %ld", r->ind->min_n) : "—";
    return count(r->n);
}

static void cell_value(struct page_table *t, const struct ind_row *r, int emph)
{
    page_cell_val(t, usable(r) ? r->value : NAN, r ? fmt_of(r->ind) : PAGE_F_DEC, val(r), emph);
}

static void cell_ci(struct page_table *t, const struct ind_row *r)
{
    if (has_ci(r)) page_cell_range(t, r->lo, r->hi, fmt_of(r->ind), ci(r));
    else page_cell(t, "");
}

static void cell_n(struct page_table *t, const struct ind_row *r)
{
    page_cell_val(t, r && !r->suppressed ? r->n : NAN, PAGE_F_INT, nstr(r), 0);
}

/* "2024–2026 гг." or "2026 г." */
static const char *years_text(int y0, int y1)
{
    return y0 == y1 ? T("%d" NBSP "г.", y0) : T("%d–%d" NBSP "гг.", y0, y1);
}

static const char *window_text(const struct note_input *in) { return years_text(in->y0, in->y1); }

static const char *year_text(int y) { return T("%d" NBSP "г.", y); }

/* Russian agreement of a count: 1 процедура, 2 процедуры, 5 процедур. */
static const char *plural(long n, const char *one, const char *few, const char *many)
{
    long m = labs(n) % 100, k = m % 10;
    return m >= 11 && m <= 14 ? many : k == 1 ? one : k >= 2 && k <= 4 ? few : many;
}

/* Position and meaning of a comparison, as a table cell: «▲ выше — лучше». The arrow
 * and the word say where the value lies (above or below the limit); the word after
 * the dash says what it means for this indicator. */
static const char *verdict_cell(const struct indicator *ind, int v)
{
    if (v == 0) return "≈ в пределах границ";
    int above = (v > 0) != (ind && ind->lower_is_better);
    const char *arrow = above ? (abs(v) == 2 ? "▲▲" : "▲") : (abs(v) == 2 ? "▼▼" : "▼");
    return T("%s %s — %s", arrow, above ? "выше" : "ниже", v > 0 ? "лучше" : "хуже");
}

/* A comparison cell: «нет сравнения» when there are no control limits (a mean given
 * without its spread, such as the ЕГЭ mean score), never «≈». */
static const char *vs_cell(const struct indicator *ind, const struct ana_vs *vs)
{
    if (!vs->ref) return "—";
    if (!vs->has_funnel) return "нет сравнения (нет разброса)";
    return verdict_cell(ind, vs->verdict);
}

/* The same in a sentence: «выше верхней границы 99,8 % — лучше района». */
static const char *verdict_words(const struct indicator *ind, int v, const char *whom)
{
    int above = (v > 0) != (ind && ind->lower_is_better);
    return T("%s %s границы %s — %s %s", above ? "выше" : "ниже", above ? "верхней" : "нижней",
             abs(v) == 2 ? "99,8" NBSP "%" : "95" NBSP "%", v > 0 ? "лучше" : "хуже", whom);
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

static const char *signed_num(double x)
{
    return x > 0 ? T("+%s", numa(x)) : numa(x);
}

static const char *trend_cell(const struct ana_trend *t)
{
    if (!t || t->label == STATS_TREND_NOT_ENOUGH_DATA) return "недостаточно данных";
    return T("%s (%s, %s)", trend_text(t), signed_num(t->change), pv(t->test_p));
}

static const char *key_title(const struct note_key *k)
{
    return k->dim ? T("%s: %s", k->ind->title, k->dim) : k->ind->title;
}

static const char *key_short(const struct note_input *in, const struct note_key *k)
{
    const char *s = names_get(in->names, "indicator_short", k->spec);
    if (s != k->spec) return s;
    s = names_get(in->names, "indicator_short", k->ind->id);
    if (s != k->ind->id && !k->dim) return s;
    return key_title(k);
}

/* A name for files and tables: the indicator id, with the subject transliterated. */
static const char *key_id(const struct note_key *k)
{
    if (!k->dim) return k->ind->id;
    return T("%s_%s", k->ind->id, keep(esc_translit(k->dim)));
}

static const char *what(const struct indicator *ind, const char *dim0)
{
    return dim0 ? T("%s: %s", ind->title, dim0) : ind->title;
}

/* Distinct dim[0] values of ind's district rows in the window (ascending). */
static size_t subjects(const struct note_input *in, const struct indicator *ind,
                       const char ***out)
{
    /* the same for every school and note of the call: worked out once per indicator */
    shared_for(in);
    for (size_t i = 0; i < sh.nsubj; i++)
        if (sh.subj[i].ind == ind) {
            const char **c = xmalloc((sh.subj[i].n + 1) * sizeof *c);
            if (sh.subj[i].n) memcpy(c, sh.subj[i].v, sh.subj[i].n * sizeof *c);
            *out = sh.subj[i].n ? c : NULL;
            if (!sh.subj[i].n) free(c);
            return sh.subj[i].n;
        }
    const char **v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < in->res->n; i++) {
        const struct ind_row *r = &in->res->v[i];
        if (r->ind != ind || r->level != IND_DISTRICT || r->ind->ndims != 1 || !r->dim[0]) continue;
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
    sh.subj = xrealloc(sh.subj, (sh.nsubj + 1) * sizeof *sh.subj);
    sh.subj[sh.nsubj].ind = ind;
    sh.subj[sh.nsubj].n = n;
    sh.subj[sh.nsubj].v = NULL;
    if (n) {
        sh.subj[sh.nsubj].v = xmalloc(n * sizeof *v);
        memcpy(sh.subj[sh.nsubj].v, v, n * sizeof *v);
    }
    sh.nsubj++;
    *out = v;
    return n;
}

/* Russian typography for text rendered elsewhere (the rules' evidence and
 * recommendations): a decimal point between digits becomes a comma, a hyphen before a
 * digit after a space becomes the minus sign. */
static const char *typo(const char *s)
{
    if (!s) return "";
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; s[i]; i++) {
        char ch = s[i];
        int digit_before = i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9';
        int digit_after = s[i + 1] >= '0' && s[i + 1] <= '9';
        if (ch == '.' && digit_before && digit_after) {
            /* not inside a date or version (a second point among digits) */
            size_t j = i + 1;
            while (s[j] >= '0' && s[j] <= '9') j++;
            if (s[j] != '.' || !(s[j + 1] >= '0' && s[j + 1] <= '9')) {
                sbuf_addc(&b, ',');
                continue;
            }
        }
        if (ch == ' ' && digit_before && s[i + 1] == '%') {
            sbuf_adds(&b, NBSP);
            continue;
        }
        if (ch == '-' && digit_after && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '(')) {
            sbuf_adds(&b, "−");
            continue;
        }
        sbuf_addc(&b, ch);
    }
    return keep(sbuf_take(&b));
}

/* ==== what the note says about one school ================================================= */

struct item {
    const char *what;        /* «СОУ (ВПР): Математика» */
    const char *text;        /* «76,5 % при 58,5 % по району» */
    double z;                /* |z| for the order */
    int stable;              /* the same side every year of the window (>= 2 years) */
};

struct finding {
    struct item *good, *bad;
    size_t ngood, nbad;
    const char **worse, **better;   /* trends: «СОУ по всем работам ВПР (−3,2; p = 0,002)» */
    size_t nworse, nbetter;
    size_t nflag_bad, nflag_good;   /* rule flags by their meaning */
};

static void push_item(struct item **v, size_t *n, struct item it)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = it;
}

/* Is ind[dim] one of the key indicators (then the subject pass skips it)? */
static int in_key_list(const struct note_spec *sp, const struct indicator *ind, const char *dim)
{
    for (size_t j = 0; j < sp->n[NOTE_KEY]; j++)
        if (sp->v[NOTE_KEY][j].ind == ind && sp->v[NOTE_KEY][j].dim && dim &&
            utf8_casecmp(sp->v[NOTE_KEY][j].dim, dim) == 0)
            return 1;
    return 0;
}

static int by_z(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->stable != y->stable) return y->stable - x->stable;
    return (y->z > x->z) - (y->z < x->z);
}

/* A flag that speaks well of the school: a rule on the good side (stably high,
 * improvement); every other (low results, unconfirmed high, spikes, risks) is a
 * concern. */
static int flag_good(const struct rule *r)
{
    return r->side > 0;      /* only the kinds with a side have one */
}

static void find_school(struct ctx *c, const char *school, struct finding *f)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    memset(f, 0, sizeof *f);
    for (int pass = 0; pass < 2; pass++) {
        size_t nlist = sp->n[pass == 0 ? NOTE_KEY : NOTE_SUBJECTS];
        for (size_t j = 0; j < nlist; j++) {
            const struct note_key *k = &sp->v[pass == 0 ? NOTE_KEY : NOTE_SUBJECTS][j];
            const struct indicator *ind = k->ind;
            const char **subj = NULL;
            size_t ns = pass == 0 ? 1 : subjects(in, ind, &subj);
            for (size_t s = 0; s < ns; s++) {
                const char *d0 = pass == 0 ? k->dim : subj[s];
                if (pass == 1 && in_key_list(sp, ind, d0)) continue;
                const struct ind_row *r = row_of(in, ind, IND_SCHOOL, school, in->y1, d0);
                const struct ana_compare *cp = cmp_of(c, r);
                if (!cp || cp->vs_district.verdict == 0 || !cp->vs_district.ref) continue;
                int v = cp->vs_district.verdict, same = 0, ny = 0;
                for (int y = in->y0; y <= in->y1; y++) {
                    const struct ana_compare *cy =
                        cmp_of(c, row_of(in, ind, IND_SCHOOL, school, y, d0));
                    if (!cy) continue;
                    ny++;
                    if (cy->vs_district.verdict != 0 && (cy->vs_district.verdict > 0) == (v > 0))
                        same++;
                }
                struct item it;
                it.what = pass == 0 ? key_title(k) : what(ind, d0);
                it.text = T("%s при %s по району, n" NBSP "=" NBSP "%s: %s", valu(r),
                            valu(cp->vs_district.ref), nstr(r), verdict_words(ind, v, "района"));
                it.z = fabs(cp->vs_district.z);
                it.stable = ny >= 2 && same == ny;
                if (v > 0) push_item(&f->good, &f->ngood, it);
                else push_item(&f->bad, &f->nbad, it);
            }
            free(subj);
        }
    }
    if (f->ngood) qsort(f->good, f->ngood, sizeof *f->good, by_z);
    if (f->nbad) qsort(f->bad, f->nbad, sizeof *f->bad, by_z);
    for (size_t j = 0; j < sp->n[NOTE_DYNAMICS]; j++) {
        const struct note_key *k = &sp->v[NOTE_DYNAMICS][j];
        const struct ana_trend *t = trend_of(c, k->ind, IND_SCHOOL, school, k->dim);
        if (!t) continue;
        const char *s = T("%s (%s, %s)", key_title(k), signed_num(t->change), pv(t->test_p));
        if (t->label == STATS_TREND_WORSENING) {
            f->worse = xrealloc(f->worse, (f->nworse + 1) * sizeof *f->worse);
            f->worse[f->nworse++] = s;
        } else if (t->label == STATS_TREND_IMPROVING) {
            f->better = xrealloc(f->better, (f->nbetter + 1) * sizeof *f->better);
            f->better[f->nbetter++] = s;
        }
    }
    for (size_t k = 0; in->flags && k < in->flags->n; k++) {
        const struct rule_flag *fl = &in->flags->v[k];
        if (strcmp(fl->school_id, school) != 0) continue;
        if (flag_good(fl->rule)) f->nflag_good++;
        else f->nflag_bad++;
    }
}

static void finding_free(struct finding *f)
{
    free(f->good);
    free(f->bad);
    free(f->worse);
    free(f->better);
}

/* "A; B; C и ещё 4" from the first `max` items' names. */
static const char *item_names(const struct item *v, size_t n, size_t max)
{
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; i < n && i < max; i++)
        sbuf_printf(&b, "%s%s%s", i ? "; " : "", v[i].what, v[i].stable ? " (устойчиво)" : "");
    if (n > max)
        sbuf_printf(&b, " и ещё %zu %s", n - max, plural((long)(n - max), "показатель", "показателя",
                                                           "показателей"));
    return keep(sbuf_take(&b));
}

static const char *str_list(const char *const *v, size_t n, size_t max)
{
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; i < n && i < max; i++) sbuf_printf(&b, "%s%s", i ? "; " : "", v[i]);
    if (n > max) sbuf_printf(&b, " и ещё %zu", n - max);
    return keep(sbuf_take(&b));
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
        c->role[c->nsch++] = m->role && *m->role ? m->role : "member";
    }
    shared_for(in);
    if (cluster) {
        struct ana_compare_opts o;
        memset(&o, 0, sizeof o);
        o.window.y0 = in->y0;
        o.window.y1 = in->y1;
        o.cache = sh.cache;
        ana_compare(in->res, in->members, cluster, &o, &c->cmp);
    }
    shared_trends(in);
    c->tr = sh.tr;
    c->f = xcalloc(c->nsch + 1, sizeof *c->f);
    for (size_t i = 0; i < c->nsch; i++) find_school(c, c->sch[i], &c->f[i]);
}

static void ctx_free(struct ctx *c)
{
    ana_compares_free(&c->cmp);   /* c->tr is the call's (shared_drop) */
    for (size_t i = 0; i < c->nsch; i++) finding_free(&c->f[i]);
    free(c->f);
    free(c->sch);
    free(c->role);
}

/* ==== sections ============================================================================ */

struct doc {
    struct page *D;
    struct chart_batch *cb;
    int tab, fig;                    /* the next table and figure numbers */
    /* what the conclusions gather from the sections */
    const char **pos, **neg;         /* the cluster's common strengths and problems */
    size_t npos, nneg;
    int tab_common, tab_trends, tab_part;
    const char **missing;            /* forms without data in the window */
    size_t nmissing;
    int sec_tasks;                   /* the number of the section on planned results, 0 */
};

static const char *caption(struct doc *o, const char *text)
{
    return T("Таблица %d. %s", o->tab++, text);
}

static void add_str(const char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

static void sec_composition(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    page_h(o->D, 1, "1. Состав кластера и роли ОО");
    /* the roles as the cluster has them, in the order of names.ini's [role] */
    static const char *const order[] = {"flagship", "activist", "curator", "supported", "member"};
    struct sbuf roles = SBUF_INIT;
    for (size_t r = 0; r < sizeof order / sizeof *order; r++) {
        size_t n = 0;
        for (size_t i = 0; i < c->nsch; i++) n += strcmp(c->role[i], order[r]) == 0;
        if (n) sbuf_printf(&roles, "%s%zu — %s", roles.len ? "; " : "", n, DN(in, "role_plural", order[r]));
    }
    for (size_t i = 0; i < c->nsch; i++) {
        int known = 0;
        for (size_t r = 0; r < sizeof order / sizeof *order; r++) known |= strcmp(c->role[i], order[r]) == 0;
        if (!known) sbuf_printf(&roles, "%s1 — %s", roles.len ? "; " : "", DN(in, "role", c->role[i]));
    }
    page_p(o->D, NULL,
           "В кластер «%s» входят %zu ОО: %s. Справка сопоставляет результаты каждой ОО с "
           "результатами кластера в целом и района.",
           cname(in, c->cluster), c->nsch, roles.s ? roles.s : "");
    sbuf_free(&roles);
    static const char *const head[] = {"ОО", "Код", "Вид", "Профиль", "Роль в кластере"};
    struct page_table *t = page_table(o->D, "composition", caption(o, "Состав кластера"), 5, head);
    for (size_t i = 0; i < c->nsch; i++) {
        const struct note_school *s = school_of(in, c->sch[i]);
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        page_cell(t, c->sch[i]);
        page_cell(t, s && s->kind ? DN(in, "kind", s->kind) : "");
        page_cell(t, s && s->profile && *s->profile ? DN(in, "profile", s->profile) : "не указан");
        page_cell(t, DN(in, "role", c->role[i]));
    }
}

/* The form a coverage indicator counts: its form's display name. */
static const char *form_name(const struct note_input *in, const struct indicator *ind)
{
    return ind->form ? form_dn(in, ind->form->name) : ind->title;
}

static void sec_coverage(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    size_t ncov = sp->n[NOTE_COVERAGE];
    page_h(o->D, 1, "2. Полнота данных");
    const char **head = xcalloc(ncov + 1, sizeof *head);
    head[0] = "ОО";
    for (size_t k = 0; k < ncov; k++) {
        const char *f = form_name(in, sp->v[NOTE_COVERAGE][k].ind);
        head[1 + k] = T("%c%s", f[0] >= 'a' && f[0] <= 'z' ? f[0] - 32 : f[0], f + 1);
    }
    /* which forms have no row at all in the window: said once, with what follows */
    for (size_t k = 0; k < ncov; k++) {
        int any = 0;
        for (size_t i = 0; i < c->nsch && !any; i++)
            for (int y = in->y0; y <= in->y1 && !any; y++)
                any = row_of(in, sp->v[NOTE_COVERAGE][k].ind, IND_SCHOOL, c->sch[i], y, NULL) != NULL;
        if (!any) add_str(&o->missing, &o->nmissing, form_name(in, sp->v[NOTE_COVERAGE][k].ind));
    }
    page_p(o->D, NULL,
           "Для каждой ОО и каждой формы указано, за какие годы окна %s данные представлены. "
           "Показатель, по которому у ОО нет данных за год, в сравнения этого года не входит; "
           "результаты групп меньше установленного минимума (как правило, 5 участников) "
           "показываются как «n < 5» и в выводы не включаются.",
           window_text(in));
    if (o->nmissing)
        page_p(o->D, "Нет данных.",
               "За окно %s у ОО кластера нет данных форм: %s. Показатели этих форм не "
               "рассчитаны, и разделы справки о них не составлены; выводы справки их не "
               "учитывают.", window_text(in), str_list(o->missing, o->nmissing, 20));
    struct page_table *t = page_table(o->D, "coverage",
                                      caption(o, "Наличие данных по формам и годам"), 1 + ncov,
                                      head);
    free(head);
    int anygap = 0;
    for (size_t i = 0; i < c->nsch; i++) {
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        for (size_t k = 0; k < ncov; k++) {
            const struct indicator *ind = sp->v[NOTE_COVERAGE][k].ind;
            struct sbuf miss = SBUF_INIT;
            int nmiss = 0;
            for (int y = in->y0; y <= in->y1; y++)
                if (!row_of(in, ind, IND_SCHOOL, c->sch[i], y, NULL)) {
                    sbuf_printf(&miss, "%s%d", nmiss ? ", " : "", y);
                    nmiss++;
                }
            int all = nmiss == in->y1 - in->y0 + 1;
            page_cell(t, !nmiss ? "все годы" : all ? "нет данных" : T("нет за %s", miss.s));
            if (nmiss && !all) anygap = 1;
            sbuf_free(&miss);
        }
    }
    if (anygap)
        page_p(o->D, NULL, "Пробелы за отдельные годы (в таблице — «нет за …») стоит восполнить "
                           "до следующего цикла мониторинга: выводы по этим ОО и формам неполны.");
}

/* One key indicator: table of schools, cluster, district for the last year. */
static void key_table(struct doc *o, struct ctx *c, const struct note_key *k)
{
    const struct note_input *in = c->in;
    const struct indicator *ind = k->ind;
    int y = in->y1;
    static const char *const head[] = {"ОО", "Значение", "95% интервал", "n",
                                       "Сравнение с районом", "Сравнение с кластером",
                                       "Место в кластере"};
    struct page_table *t =
        page_table(o->D, key_id(k), caption(o, T("%s, %s%s", key_title(k), year_text(y),
                                                 ind->lower_is_better ? " (лучше — меньше)" : "")),
                   7, head);
    for (size_t i = 0; i < c->nsch; i++) {
        const struct ind_row *r = krow(in, k, IND_SCHOOL, c->sch[i], y);
        const struct ana_compare *cp = cmp_of(c, r);
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        cell_value(t, r, cp && cp->vs_district.verdict != 0);
        cell_ci(t, r);
        cell_n(t, r);
        page_cell(t, cp ? vs_cell(ind, &cp->vs_district) : "—");
        page_cell(t, cp ? vs_cell(ind, &cp->vs_cluster) : "—");
        if (cp && cp->peers) page_cell_rank(t, cp->rank, (double)cp->peers, T("%d из %zu", cp->rank, cp->peers));
        else page_cell(t, "—");
    }
    const struct ind_row *cr = krow(in, k, IND_CLUSTER, c->cluster, y);
    const struct ana_compare *cc = cmp_of(c, cr);
    page_row(t);
    page_cell(t, "Кластер в целом");
    cell_value(t, cr, cc && cc->cluster_verdict != 0);
    cell_ci(t, cr);
    cell_n(t, cr);
    page_cell(t, cc && cc->cluster_verdict ? T("%s (p < 0,05)", verdict_cell(ind, cc->cluster_verdict))
                                          : "≈ различие не значимо");
    page_cell(t, "");
    page_cell(t, "");
    const struct ind_row *dr = krow(in, k, IND_DISTRICT, "", y);
    page_row(t);
    page_cell(t, "Район");
    cell_value(t, dr, 0);
    cell_ci(t, dr);
    cell_n(t, dr);
    page_cell(t, "");
    page_cell(t, "");
    page_cell(t, "");
    if (usable(cr) && usable(dr)) {
        if (cc && isfinite(cc->p)) {
            int sig = cc->cluster_verdict != 0;
            page_p(o->D, NULL, "Кластер — %s, район — %s. %s", valu(cr), valu(dr),
                   sig ? T("Кластер в целом %s района: различие значимо (%s).",
                           cc->cluster_verdict > 0 ? "лучше" : "хуже", pv_adj(cc))
                       : T("Различие кластера и района статистически не значимо (%s).", pv_adj(cc)));
        } else {
            page_p(o->D, NULL, "Кластер — %s, район — %s. Проверить значимость различия нельзя: "
                               "в кластере или вне его меньше двух ОО с данными.",
                   valu(cr), valu(dr));
        }
    }
}

static void sec_key(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    size_t nk = sp->n[NOTE_KEY];
    page_h(o->D, 1, "3. Ключевые показатели: ОО, кластер, район");
    page_p(o->D, NULL,
           "Ниже — значения %s с 95-процентными доверительными интервалами и числом участников n. "
           "ОО сравнивается с районом и с кластером по контрольным границам (воронка "
           "Шпигельхальтера): «▲ выше» и «▼ ниже» означают, что значение лежит выше верхней или "
           "ниже нижней границы 95" NBSP "%%, двойная стрелка — границы 99,8" NBSP "%%; после "
           "тире сказано, лучше это или хуже для данного показателя (для доли «2» выше — хуже). "
           "«≈» — отличие в пределах случайных колебаний при данном n. Выделены значения, "
           "значимо отличающиеся от района.",
           year_text(in->y1));
    const char **rows = xcalloc(c->nsch + 1, sizeof *rows);
    double *z = xcalloc((c->nsch + 1) * (nk + 1), sizeof *z);
    const char **cols = xcalloc(nk + 1, sizeof *cols);
    for (size_t j = 0; j < nk; j++) cols[j] = key_short(in, &sp->v[NOTE_KEY][j]);
    for (size_t i = 0; i < c->nsch; i++) {
        rows[i] = label(in, c->sch[i]);
        for (size_t j = 0; j < nk; j++) {
            const struct note_key *k = &sp->v[NOTE_KEY][j];
            const struct ana_compare *cp = cmp_of(c, krow(in, k, IND_SCHOOL, c->sch[i], in->y1));
            double v = cp ? cp->vs_district.z : NAN;
            z[i * nk + j] = k->ind->lower_is_better ? -v : v;
        }
    }
    for (size_t p = 0; p < chart_parts(c->nsch); p++) {
        size_t first = p * CHART_MAX_ROWS;
        const char *name = part_name("heatmap", p);
        chart_heatmap(o->cb, name, T("Отличие ОО от района, z-оценки, %s", year_text(in->y1)),
                      rows + first, part_len(c->nsch, p), cols, nk, z + first * nk);
        page_chart(o->D, name,
                   T("Рис. %d. Отличие ОО кластера от района по ключевым показателям, %s "
                     "(z-оценка; синий — лучше района, красный — хуже; |z| > 2 — значимо; "
                     "штриховка — нет данных или сравнение невозможно: средний балл без разброса)%s",
                     o->fig++, year_text(in->y1), part_caption(c->nsch, p, "ОО")));
    }
    free(z);
    free(cols);
    if (sp->n[NOTE_DOTS]) {
        const struct note_key *k = &sp->v[NOTE_DOTS][0];
        struct chart_dot *dots = xcalloc(c->nsch + 1, sizeof *dots);
        for (size_t i = 0; i < c->nsch; i++) {
            const struct ind_row *r = krow(in, k, IND_SCHOOL, c->sch[i], in->y1);
            dots[i].label = rows[i];
            dots[i].value = usable(r) ? r->value : NAN;
            dots[i].lo = usable(r) ? r->lo : NAN;
            dots[i].hi = usable(r) ? r->hi : NAN;
            dots[i].highlight = 1;
        }
        const struct ind_row *cr = krow(in, k, IND_CLUSTER, c->cluster, in->y1);
        const struct ind_row *dr = krow(in, k, IND_DISTRICT, "", in->y1);
        for (size_t p = 0; p < chart_parts(c->nsch); p++) {
            const char *name = part_name("dots", p);
            chart_dots(o->cb, name, T("%s, %s", key_title(k), year_text(in->y1)),
                       k->ind->unit && *k->ind->unit ? k->ind->unit : "%", dots + p * CHART_MAX_ROWS,
                       part_len(c->nsch, p), "Кластер", usable(cr) ? cr->value : NAN, "Район",
                       usable(dr) ? dr->value : NAN);
            page_chart(o->D, name,
                       T("Рис. %d. %s, %s: ОО кластера с 95-процентными интервалами; пунктир — "
                         "кластер и район%s", o->fig++, key_title(k), year_text(in->y1),
                         part_caption(c->nsch, p, "ОО")));
        }
        free(dots);
    }
    free(rows);
    struct sbuf none = SBUF_INIT;
    for (size_t j = 0; j < nk; j++) {
        const struct note_key *k = &sp->v[NOTE_KEY][j];
        if (!key_has_data(in, k)) {
            sbuf_printf(&none, "%s«%s»", none.len ? ", " : "", key_title(k));
            continue;
        }
        key_table(o, c, k);
    }
    if (none.len)
        page_p(o->D, "Не рассчитаны", "из-за отсутствия данных за окно: %s.", none.s);
    sbuf_free(&none);
}

/* Cluster vs district on the key and subject indicators, every year of the window. */
static void sec_common(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    page_h(o->D, 1, "4. Общие положительные результаты и общие проблемы кластера");
    page_p(o->D, NULL,
           "Кластер в целом сравнивается с остальными ОО района двухвыборочным t-критерием по "
           "значениям ОО (уровень 0,05), чтобы учитывались различия между ОО. Результат назван "
           "общим для кластера, только если различие значимо во всех годах окна, где есть данные.");
    static const char *const head[] = {"Показатель", "Кластер", "Остальные ОО района", "p",
                                       "Вывод"};
    o->tab_common = o->tab;
    struct page_table *t = page_table(o->D, "cluster_vs_district",
                                      caption(o, T("Кластер и остальные ОО района, %s",
                                                   year_text(in->y1))),
                                      5, head);
    const char **part = NULL;
    size_t npart = 0;
    for (int pass = 0; pass < 2; pass++) {
        enum note_list l = pass == 0 ? NOTE_KEY : NOTE_SUBJECTS;
        for (size_t j = 0; j < sp->n[l]; j++) {
            const struct note_key *k = &sp->v[l][j];
            const char **subj = NULL;
            size_t ns = pass == 0 ? 1 : subjects(in, k->ind, &subj);
            for (size_t s = 0; s < ns; s++) {
                const char *d0 = pass == 0 ? k->dim : subj[s];
                if (pass == 1 && in_key_list(sp, k->ind, d0)) continue;
                int ny = 0, up = 0, down = 0;
                for (int y = in->y0; y <= in->y1; y++) {
                    const struct ana_compare *cc =
                        cmp_of(c, row_of(in, k->ind, IND_CLUSTER, c->cluster, y, d0));
                    if (!cc || !isfinite(cc->p)) continue;
                    ny++;
                    if (cc->cluster_verdict > 0) up++;
                    if (cc->cluster_verdict < 0) down++;
                }
                const struct ind_row *cr = row_of(in, k->ind, IND_CLUSTER, c->cluster, in->y1, d0);
                const struct ana_compare *cc = cmp_of(c, cr);
                const char *w = pass == 0 ? key_title(k) : what(k->ind, d0);
                const char *concl = "различие не значимо";
                if (ny >= 2 && up == ny) {
                    concl = "общий положительный результат (все годы)";
                    add_str(&o->pos, &o->npos, w);
                } else if (ny >= 2 && down == ny) {
                    concl = "общая проблема (все годы)";
                    add_str(&o->neg, &o->nneg, w);
                } else if (up || down) {
                    concl = T("%s района в %d из %d лет — неустойчиво", up ? "лучше" : "хуже",
                              up ? up : down, ny);
                    add_str(&part, &npart, w);
                } else if (ny == 0) {
                    concl = "нет данных для сравнения";
                }
                if (!cc) continue;     /* only where compared */
                page_row(t);
                page_cell(t, w);
                cell_value(t, cr, 0);
                page_cell_val(t, cc->rest_value, fmt_of(k->ind), numa(cc->rest_value), 0);
                page_cell_val(t, cc->p, PAGE_F_P,
                              isfinite(cc->p) ? (cc->p < 0.001 ? "< 0,001" : num(cc->p, 3)) : "—", 0);
                page_cell(t, concl);
            }
            free(subj);
        }
    }
    page_p(o->D, "Общие положительные результаты.", "%s",
           o->npos ? T("Во всех годах окна кластер значимо лучше остальных ОО района по "
                       "%zu %s: %s.", o->npos, plural((long)o->npos, "показателю", "показателям", "показателям"),
                       str_list(o->pos, o->npos, 8))
                   : "Показателей, по которым кластер в целом устойчиво и значимо лучше остальных "
                     "ОО района, не выявлено.");
    page_p(o->D, "Общие проблемы.", "%s",
           o->nneg ? T("Во всех годах окна кластер значимо хуже остальных ОО района по "
                       "%zu %s: %s.", o->nneg, plural((long)o->nneg, "показателю", "показателям", "показателям"),
                       str_list(o->neg, o->nneg, 8))
                   : "Показателей, по которым кластер в целом устойчиво и значимо хуже остальных "
                     "ОО района, не выявлено.");
    if (npart)
        page_p(o->D, "Неустойчивые отличия.",
               "Значимое отличие не во всех годах — %zu %s (табл. %d). Такие отличия не "
               "считаются общими результатами кластера; за ними стоит следить в следующем году.",
               npart, plural((long)npart, "показатель", "показателя", "показателей"), o->tab_common);
    free(part);
}

static void sec_particular(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    page_h(o->D, 1, "5. Частные сильные стороны и проблемы ОО");
    page_p(o->D, NULL,
           "Для каждой ОО названы показатели %s (в целом и по предметам), по которым она значимо "
           "отличается от района — за контрольной границей 95" NBSP "%% или 99,8" NBSP "%% при "
           "своём n; сначала устойчивые (отличие того же знака во все годы окна), затем по "
           "величине отличия. Показатели в пределах границ не названы ни сильной стороной, ни "
           "проблемой: различие может быть случайным.",
           year_text(in->y1));
    static const char *const head[] = {"ОО", "Сильные стороны", "Проблемы", "Значимые тренды"};
    o->tab_part = o->tab;
    struct page_table *t = page_table(o->D, "particulars",
                                      caption(o, T("Частные сильные стороны и проблемы ОО, %s",
                                                   year_text(in->y1))),
                                      4, head);
    for (size_t i = 0; i < c->nsch; i++) {
        const struct finding *f = &c->f[i];
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        page_cell(t, f->ngood ? item_names(f->good, f->ngood, 4) : "не выявлены");
        page_cell(t, f->nbad ? item_names(f->bad, f->nbad, 4) : "не выявлены");
        struct sbuf tr = SBUF_INIT;
        if (f->nbetter) sbuf_printf(&tr, "улучшение: %s", str_list(f->better, f->nbetter, 3));
        if (f->nworse) sbuf_printf(&tr, "%sухудшение: %s", tr.len ? "; " : "", str_list(f->worse, f->nworse, 3));
        page_cell(t, tr.len ? tr.s : "нет");
        sbuf_free(&tr);
    }
    /* the figures behind the strongest differences, one short table per school with any */
    static const char *const dh[] = {"Показатель", "Сторона", "ОО и район"};
    for (size_t i = 0; i < c->nsch; i++) {
        const struct finding *f = &c->f[i];
        if (!f->ngood && !f->nbad) continue;
        struct page_table *dt = page_table(o->D, T("part_%s", c->sch[i]),
                                           caption(o, T("%s: наибольшие отличия от района, %s",
                                                        sname(in, c->sch[i]), year_text(in->y1))),
                                           3, dh);
        for (int side = 0; side < 2; side++) {
            const struct item *v = side ? f->bad : f->good;
            size_t n = side ? f->nbad : f->ngood;
            for (size_t k = 0; k < n && k < 3; k++) {
                page_row(dt);
                page_cell(dt, v[k].what);
                page_cell(dt, T("%s%s", side ? "проблема" : "сильная сторона", v[k].stable ? ", устойчиво" : ""));
                page_cell(dt, v[k].text);
            }
        }
    }
}

/* A dynamics chart of key k: the given schools (their intervals when one school), the
 * cluster and the district. */
static void dyn_chart(struct doc *o, struct ctx *c, const struct note_key *k, const char **schools,
                      size_t nschools, const char *name)
{
    const struct note_input *in = c->in;
    int ny = in->y1 - in->y0 + 1;
    size_t ns = nschools + 2;
    struct chart_series *s = xcalloc(ns, sizeof *s);
    int *years = xcalloc((size_t)ny, sizeof *years);
    double *buf = xcalloc(ns * 3 * (size_t)ny, sizeof *buf);
    for (int y = 0; y < ny; y++) years[y] = in->y0 + y;
    for (size_t i = 0; i < ns; i++) {
        enum ind_level lv = i < nschools ? IND_SCHOOL : i == nschools ? IND_CLUSTER : IND_DISTRICT;
        const char *unit = i < nschools ? schools[i] : i == nschools ? c->cluster : "";
        s[i].label = i < nschools ? label(in, schools[i]) : i == nschools ? "Кластер" : "Район";
        s[i].n = (size_t)ny;
        s[i].years = years;
        double *v = buf + i * 3 * (size_t)ny, *lo = v + ny, *hi = lo + ny;
        for (int y = 0; y < ny; y++) {
            const struct ind_row *r = unit ? krow(in, k, lv, unit, years[y]) : NULL;
            v[y] = usable(r) ? r->value : NAN;
            int bars = nschools <= 1 || i >= nschools;
            lo[y] = usable(r) && bars ? r->lo : NAN;
            hi[y] = usable(r) && bars ? r->hi : NAN;
        }
        s[i].value = v;
        s[i].lo = lo;
        s[i].hi = hi;
    }
    struct chart_series *ord = xcalloc(ns, sizeof *ord);
    if (nschools == 1) {
        memcpy(ord, s, ns * sizeof *s);
    } else {
        ord[0] = s[nschools];
        ord[1] = s[nschools + 1];
        memcpy(ord + 2, s, nschools * sizeof *s);
    }
    chart_dynamics(o->cb, name, T("%s, %s", key_title(k), window_text(in)),
                   k->ind->unit && *k->ind->unit ? k->ind->unit : "%", ord, ns);
    free(ord);
    free(s);
    free(years);
    free(buf);
}

static void sec_dynamics(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    page_h(o->D, 1, "6. Динамика за %s", window_text(in));
    page_p(o->D, NULL,
           "Тренд оценивается по всем годам окна с учётом числа участников: для долей — "
           "критерий Кохрана–Армитиджа, для средних — наклон взвешенной регрессии. «Улучшение» "
           "и «ухудшение» — только при значимом тренде (p < 0,05); в скобках — изменение за "
           "окно и p. Изменение без значимого тренда названо «без значимых изменений».");
    /* only the indicators with data: a column of dashes says nothing */
    const struct note_key **dk = xcalloc(sp->n[NOTE_DYNAMICS] + 1, sizeof *dk);
    size_t nd = 0;
    for (size_t j = 0; j < sp->n[NOTE_DYNAMICS]; j++)
        if (key_has_data(in, &sp->v[NOTE_DYNAMICS][j])) dk[nd++] = &sp->v[NOTE_DYNAMICS][j];
    if (!nd) {
        page_p(o->D, NULL, "Данных для оценки динамики за окно нет.");
        free(dk);
        return;
    }
    const char **head = xcalloc(nd + 1, sizeof *head);
    head[0] = "ОО";
    for (size_t j = 0; j < nd; j++) head[1 + j] = key_title(dk[j]);
    o->tab_trends = o->tab;
    struct page_table *t = page_table(o->D, "trends", caption(o, T("Тренды за %s", window_text(in))),
                                      1 + nd, head);
    free(head);
    size_t nimp = 0, nwor = 0;
    for (size_t i = 0; i <= c->nsch + 1; i++) {
        enum ind_level lv = i < c->nsch ? IND_SCHOOL : i == c->nsch ? IND_CLUSTER : IND_DISTRICT;
        const char *unit = i < c->nsch ? c->sch[i] : i == c->nsch ? c->cluster : "";
        page_row(t);
        page_cell(t, i < c->nsch ? sname(in, unit) : i == c->nsch ? "Кластер в целом" : "Район");
        for (size_t j = 0; j < nd; j++) page_cell(t, trend_cell(trend_of(c, dk[j]->ind, lv, unit, dk[j]->dim)));
        if (i < c->nsch) {
            nimp += c->f[i].nbetter;
            nwor += c->f[i].nworse;
        }
    }
    struct sbuf imp = SBUF_INIT, wor = SBUF_INIT;
    for (size_t i = 0; i < c->nsch; i++) {
        if (c->f[i].nbetter) sbuf_printf(&imp, "%s%s", imp.len ? "; " : "", sname(in, c->sch[i]));
        if (c->f[i].nworse) sbuf_printf(&wor, "%s%s", wor.len ? "; " : "", sname(in, c->sch[i]));
    }
    page_p(o->D, "Значимое улучшение:", "%s", nimp ? T("%s (табл. %d).", imp.s, o->tab_trends) : "ни у одной ОО кластера.");
    page_p(o->D, "Значимое ухудшение:", "%s", nwor ? T("%s (табл. %d).", wor.s, o->tab_trends) : "ни у одной ОО кластера.");
    sbuf_free(&imp);
    sbuf_free(&wor);
    size_t ncharts = 0;
    for (size_t j = 0; j < nd && ncharts < 3; j++) {
        const char *name = T("dyn_%s", key_id(dk[j]));
        dyn_chart(o, c, dk[j], c->sch, c->nsch, name);
        page_chart(o->D, name, T("Рис. %d. %s: ОО кластера, кластер и район (у кластера и района — "
                                 "95-процентные интервалы)", o->fig++, key_title(dk[j])));
        ncharts++;
    }
    free(dk);
    /* marks distribution */
    if (sp->n[NOTE_MARKS] == 4 && key_has_data(in, &sp->v[NOTE_MARKS][0])) {
        size_t nb = c->nsch + 2;
        const char **cats = xcalloc(nb, sizeof *cats);
        double *vals = xcalloc(nb * 4, sizeof *vals);
        for (size_t i = 0; i < nb; i++) {
            enum ind_level lv = i < c->nsch ? IND_SCHOOL : i == c->nsch ? IND_CLUSTER : IND_DISTRICT;
            const char *unit = i < c->nsch ? c->sch[i] : i == c->nsch ? c->cluster : "";
            cats[i] = i < c->nsch ? label(in, unit) : i == c->nsch ? "Кластер" : "Район";
            for (int m = 0; m < 4; m++) {
                const struct ind_row *r = krow(in, &sp->v[NOTE_MARKS][m], lv, unit, in->y1);
                vals[i * 4 + (size_t)m] = usable(r) ? r->value : NAN;
            }
        }
        static const char *const segs[4] = {"«2»", "«3»", "«4»", "«5»"};
        /* each part: its schools, then the cluster and the district bars */
        const char **pc = xcalloc(CHART_MAX_ROWS + 2, sizeof *pc);
        double *pv = xcalloc((CHART_MAX_ROWS + 2) * 4, sizeof *pv);
        for (size_t p = 0; p < chart_parts(c->nsch); p++) {
            size_t first = p * CHART_MAX_ROWS, n = part_len(c->nsch, p);
            memcpy(pc, cats + first, n * sizeof *pc);
            memcpy(pv, vals + first * 4, n * 4 * sizeof *pv);
            memcpy(pc + n, cats + c->nsch, 2 * sizeof *pc);
            memcpy(pv + n * 4, vals + c->nsch * 4, 2 * 4 * sizeof *pv);
            const char *name = part_name("marks", p);
            chart_stacked(o->cb, name, T("Распределение отметок, %s", year_text(in->y1)), pc,
                          n + 2, segs, 4, pv);
            page_chart(o->D, name,
                       T("Рис. %d. Распределение отметок по всем работам ВПР, %s, %% участников%s",
                         o->fig++, year_text(in->y1), part_caption(c->nsch, p, "ОО")));
        }
        free(pc);
        free(pv);
        free(cats);
        free(vals);
    }
    /* funnel */
    if (!sp->n[NOTE_FUNNEL]) return;
    const struct note_key *q = &sp->v[NOTE_FUNNEL][0];
    const struct ind_row *dr = krow(in, q, IND_DISTRICT, "", in->y1);
    if (!usable(dr) || q->ind->kind != IND_SHARE) return;
    struct chart_point *pts = NULL;
    size_t np = 0;
    double nmax = 10;
    for (size_t i = 0; i < in->res->n; i++) {
        const struct ind_row *r = &in->res->v[i];
        if (r->ind != q->ind || r->level != IND_SCHOOL || r->year != in->y1 || !usable(r) ||
            !dim_eq(r, q->dim))
            continue;
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
        struct stats_funnel fu;
        if (p0 <= 0 || p0 >= 1 || stats_funnel_share_exact(p0, n, &fu)) continue;
        gn[ng] = n;
        l95[ng] = 100 * fu.lo95;
        h95[ng] = 100 * fu.hi95;
        l998[ng] = 100 * fu.lo998;
        h998[ng] = 100 * fu.hi998;
        ng++;
    }
    struct chart_funnel fu = {dr->value, ng, gn, l95, h95, l998, h998, np, pts};
    chart_funnel(o->cb, "funnel", T("%s, %s: воронка района", key_title(q), year_text(in->y1)),
                 T("%s, %%", key_title(q)), &fu);
    page_chart(o->D, "funnel",
               T("Рис. %d. Воронка: %s, %s. Точки — ОО района (синие, с кодом — ОО кластера); "
                 "линии — значение района и контрольные границы 95" NBSP "%% и 99,8" NBSP "%% в "
                 "зависимости от числа участников", o->fig++, key_title(q), year_text(in->y1)));
    free(pts);
}

/* The rule's condition and error control in words: the kind's own (rules.h). */
static const char *rule_params(const struct note_input *in, const struct rule *r)
{
    (void)in;
    return keep(rule_condition(r));
}

static void flag_evidence(struct doc *o, const struct note_input *in, const struct rule_flag *f)
{
    static const char *const head[] = {"Процедура", "Год", "Значение", "n", "Район / порог",
                                       "Граница", "Статистика", "p", "Подробности"};
    struct page_table *t =
        page_table(o->D, T("flag_%s_%s", f->rule->id, f->school_id),
                   caption(o, T("%s — %s: основания", sname(in, f->school_id), f->rule->title)), 9,
                   head);
    size_t lim = f->nev < 5 ? f->nev : 5;
    for (size_t k = 0; k < lim; k++) {
        const struct rule_ev *e = &f->ev[k];
        page_row(t);
        page_cell(t, typo(e->what ? e->what : (e->ind ? e->ind->title : "")));
        page_cell_val(t, e->year, PAGE_F_YEAR, T("%d", e->year), 0);
        page_cell_num(t, e->value, numa(e->value), 0);
        page_cell_val(t, e->n, PAGE_F_INT, count(e->n), 0);
        page_cell_num(t, e->ref, numa(e->ref), 0);
        page_cell_num(t, e->limit, numa(e->limit), 0);
        page_cell_num(t, e->stat, numa(e->stat), 0);
        page_cell_val(t, e->p, PAGE_F_P,
                      isfinite(e->p) ? (e->p < 0.001 ? "< 0,001" : num(e->p, 3)) : "—", 0);
        page_cell(t, typo(e->detail));
    }
    if (f->nev > lim)
        page_table_note(t, T("Показаны %zu %s из %zu, с наибольшим отклонением; полный список "
                             "оснований — в выгрузке списков правил района.",
                             lim, plural((long)lim, "основание", "основания", "оснований"), f->nev));
}

static int is_task_rule(const struct rule *r) { return (r->kind->flags & RK_TASKS) != 0; }

static int in_cluster(const struct ctx *c, const char *school)
{
    for (size_t i = 0; i < c->nsch; i++)
        if (strcmp(c->sch[i], school) == 0) return 1;
    return 0;
}

static void sec_flags(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    page_h(o->D, 1, "7. ОО, отмеченные правилами района");
    if (!in->rules || !in->flags) {
        page_p(o->D, NULL, "Правила района не загружены: раздел не составлен.");
        return;
    }
    page_p(o->D, NULL,
           "Правила и их пороги заданы районом (см. приложение). Пороги признаков "
           "необъективности — значения по умолчанию: Рособрнадзор числовых порогов не "
           "публикует. Отметка правилом — повод для анализа, а не оценка работы ОО. Результаты "
           "ВПР не используются для оценки учителей.");
    struct sbuf none = SBUF_INIT;
    for (size_t k = 0; k < in->rules->n; k++) {
        const struct rule *r = &in->rules->v[k];
        if (is_task_rule(r)) continue;      /* the section on planned results */
        size_t nf = 0;
        for (size_t i = 0; i < in->flags->n; i++)
            if (in->flags->v[i].rule == r && in_cluster(c, in->flags->v[i].school_id)) nf++;
        if (!nf) {
            sbuf_printf(&none, "%s«%s»", none.len ? ", " : "", r->title);
            continue;
        }
        page_h(o->D, 2, "%s", r->title);
        page_p(o->D, "Условие:", "%s.", rule_params(in, r));
        static const char *const head[] = {"ОО", "Годы", "Процедур, где выполнено"};
        struct page_table *t = page_table(o->D, T("flags_%s", r->id),
                                          caption(o, T("ОО кластера: %s", r->title)), 3, head);
        for (size_t i = 0; i < in->flags->n; i++) {
            const struct rule_flag *f = &in->flags->v[i];
            if (f->rule != r || !in_cluster(c, f->school_id)) continue;
            page_row(t);
            page_cell(t, sname(in, f->school_id));
            page_cell(t, f->years && *f->years ? f->years : window_text(in));
            page_cell_rank(t, (double)f->nproc, (double)f->nevaluated,
                           T("%zu из %zu", f->nproc, f->nevaluated));
        }
        for (size_t i = 0; i < in->flags->n; i++) {
            const struct rule_flag *f = &in->flags->v[i];
            if (f->rule == r && in_cluster(c, f->school_id) && f->nev) flag_evidence(o, in, f);
        }
    }
    page_p(o->D, "Не отмечена ни одна ОО кластера", "по правилам: %s.", none.len ? none.s : "—");
    sbuf_free(&none);
}

/* ==== task-level results (tasks.h) ====================================================== */

/* The last year's works (grade, subject) of the window with task figures of the cluster
 * (or of the school when school is given): the index of each work's first task. */
static size_t task_works(const struct note_input *in, const char *cluster, const char *school,
                         size_t *first, size_t max)
{
    const struct task_result *R = in->tasks;
    size_t n = 0;
    for (size_t i = 0; R && i < R->ntasks && n < max; i++) {
        const struct task_task *t = &R->tasks[i];
        if (t->year != in->y1) continue;
        const struct task_fig *f = school ? task_fig_of(t, TASK_SCHOOL, school)
                                          : task_fig_of(t, TASK_CLUSTER, cluster);
        if (!f || !(f->n > 0)) continue;
        int seen = 0;
        for (size_t k = 0; k < n && !seen; k++) {
            const struct task_task *u = &R->tasks[first[k]];
            seen = u->grade == t->grade && strcmp(u->subject, t->subject) == 0;
        }
        if (!seen) first[n++] = i;
    }
    return n;
}

static const char *pct_text(double v) { return isfinite(v) ? T("%s" NBSP "%%", num(v, 0)) : "—"; }

static int same_work(const struct task_task *a, const struct task_task *b)
{
    return a->year == b->year && a->grade == b->grade && strcmp(a->subject, b->subject) == 0;
}

static const char *run_text(const struct task_finding *f)
{
    return f->run >= 2 ? T("; повторяется %d %s подряд", f->run, plural(f->run, "год", "года", "лет"))
                       : "";
}

/* «задание 10 (умение …): выполнили 36 % при 64 % по району» */
/* The skill inside a sentence: its first letter in lower case («Умение …» → «умение …»). */
static const char *skill_in(const char *skill)
{
    const unsigned char *u = (const unsigned char *)skill;
    if (u[0] == 0xD0 && u[1] >= 0x90 && u[1] <= 0xAF) {          /* А-Я */
        unsigned cp = 0x410 + (u[1] - 0x90) + 32;                /* а-я */
        char first[3] = {(char)(0xC0 | (cp >> 6)), (char)(0x80 | (cp & 0x3F)), 0};
        return T("%s%s", first, typo(skill + 2));
    }
    return typo(skill);
}

static const char *finding_text(const struct note_input *in, const struct task_finding *f)
{
    const struct task_task *t = &in->tasks->tasks[f->task];
    const char *ref = "";
    if (isfinite(t->russia)) ref = T(", %s по России", pct_text(t->russia));
    else if (isfinite(t->region)) ref = T(", %s по региону", pct_text(t->region));
    if (f->unit_kind == TASK_DISTRICT)
        return T("задание %s (%s): выполнили %s по району%s%s", t->task, skill_in(t->skill),
                 pct_text(f->completion), ref, run_text(f));
    return T("задание %s (%s): выполнили %s при %s по району%s%s", t->task, skill_in(t->skill),
             pct_text(f->completion), pct_text(t->district.value), ref, run_text(f));
}

/* A completion in a table: one decimal. */
static const char *pct_cell(double v) { return isfinite(v) ? num(v, 1) : "—"; }

/* The section on the planned results of the works, for a cluster (school NULL) or a
 * school's card. Returns 1 when it was written (the cluster has task figures). */
static int sec_tasks(struct doc *o, struct ctx *c, int no, const char *school)
{
    const struct note_input *in = c->in;
    size_t works[32];
    size_t nw = task_works(in, c->cluster, school, works, 32);
    if (!nw) return 0;
    const struct task_result *R = in->tasks;
    o->sec_tasks = no;
    if (no > 0) page_h(o->D, 1, "%d. Достижение планируемых результатов", no);
    else page_h(o->D, 1, "Достижение планируемых результатов");
    page_p(o->D, NULL,
           "Выполнение заданий ВПР, %s: доля набранных баллов от максимально возможных, "
           "Σ баллов / Σ (максимальный балл × участники) по всем ОО (не среднее процентов ОО). "
           "Дефицит — выполнение ниже уровня правила района для уровня сложности задания или "
           "значимо ниже района; общая проблема кластера — дефицит у заданной доли его ОО; "
           "частная проблема — дефицит ОО, который кластер не разделяет; задание, трудное для "
           "всего района, названо трудностью района и кластеру не приписано. Где задание писали "
           "меньше участников, чем требует правило, о нём ничего не говорится. Правила и "
           "пороги — в приложении.",
           year_text(in->y1));
    for (size_t w = 0; w < nw; w++) {
        const struct task_task *t0 = &R->tasks[works[w]];
        page_h(o->D, 2, "%s, %d" NBSP "класс", t0->subject, t0->grade);
        static const char *const head[] = {"Задание", "Проверяемое умение", "Уровень", "Макс. балл",
                                           "Кластер", "Район", "Регион", "Россия",
                                           "Дефицит у ОО"};
        static const char *const shead[] = {"Задание", "Проверяемое умение", "Уровень",
                                            "Макс. балл", "ОО", "Кластер", "Район", "Регион",
                                            "Россия"};
        struct page_table *tb = page_table(
            o->D, T("tasks_%zu", w + 1),
            caption(o, T("Выполнение заданий: %s, %d" NBSP "кл., %s, %%", t0->subject, t0->grade,
                         year_text(in->y1))),
            9, school ? shead : head);
        const char **cats = NULL;
        double *vals = NULL;
        size_t ncat = 0;
        for (size_t i = works[w]; i < R->ntasks && same_work(&R->tasks[i], t0); i++) {
            const struct task_task *t = &R->tasks[i];
            const struct task_fig *cf = task_fig_of(t, TASK_CLUSTER, c->cluster);
            const struct task_fig *sf = school ? task_fig_of(t, TASK_SCHOOL, school) : NULL;
            int cdef = 0, sdef = 0;
            struct sbuf who = SBUF_INIT;
            for (size_t k = 0; k < R->nfindings; k++) {
                const struct task_finding *f = &R->findings[k];
                if (f->task != i || f->kind != TF_DEFICIT) continue;
                if (f->unit_kind == TASK_CLUSTER && c->cluster && strcmp(f->unit, c->cluster) == 0)
                    cdef = 1;
                if (f->unit_kind == TASK_SCHOOL && school && strcmp(f->unit, school) == 0) sdef = 1;
                if (f->unit_kind == TASK_SCHOOL && in_cluster(c, f->unit))
                    sbuf_printf(&who, "%s%s (%s)", who.len ? "; " : "", sname(in, f->unit),
                                pct_text(f->completion));
            }
            page_row(tb);
            page_cell(tb, t->task);
            page_cell(tb, typo(t->skill));
            page_cell(tb, task_level_ru(t->level));
            page_cell_val(tb, t->max_score, PAGE_F_INT, T("%d", t->max_score), 0);
            if (school) page_cell_val(tb, sf ? sf->value : NAN, PAGE_F_PCT,
                                      sf ? pct_cell(sf->value) : "—", sdef);
            page_cell_val(tb, cf ? cf->value : NAN, PAGE_F_PCT, cf ? pct_cell(cf->value) : "—", cdef);
            page_cell_val(tb, t->district.value, PAGE_F_PCT, pct_cell(t->district.value), 0);
            page_cell_val(tb, t->region, PAGE_F_PCT, pct_cell(t->region), 0);
            page_cell_val(tb, t->russia, PAGE_F_PCT, pct_cell(t->russia), 0);
            if (!school) page_cell(tb, who.len ? who.s : "—");
            sbuf_free(&who);
            cats = xrealloc(cats, (ncat + 1) * sizeof *cats);
            cats[ncat] = t->task;
            ncat++;
        }
        page_table_note(tb, "Выделено выполнение ниже уровня дефицита (или значимо ниже района); "
                            "«—» — нет данных или участников меньше минимума.");
        /* the work's marks: the cluster and the district against the region and Russia */
        {
            static const struct {
                enum task_marks_level l;
                const char *name;
            } lv[] = {{TM_CLUSTER, NULL}, {TM_DISTRICT, "Район"}, {TM_REGION, "Регион"},
                      {TM_RUSSIA, "Россия"}};
            const struct task_marks *mk[4];
            int any_ref = 0;
            for (int k = 0; k < 4; k++) {
                mk[k] = task_marks_of(R, t0->year, t0->grade, t0->subject, lv[k].l, c->cluster);
                any_ref |= k >= 2 && mk[k];
            }
            if (any_ref) {
                static const char *const mh[] = {"", "«2»", "«3»", "«4»", "«5»", "Участников"};
                struct page_table *mt = page_table(
                    o->D, T("task_marks_%zu", w + 1),
                    caption(o, T("Распределение отметок: %s, %d" NBSP "кл., %s, %%", t0->subject,
                                 t0->grade, year_text(in->y1))),
                    6, mh);
                for (int k = 0; k < 4; k++) {
                    if (!mk[k]) continue;
                    page_row(mt);
                    page_cell(mt, lv[k].name ? lv[k].name : cname(in, c->cluster));
                    for (int j = 0; j < 4; j++)
                        page_cell_val(mt, mk[k]->share[j], PAGE_F_PCT, pct_cell(mk[k]->share[j]), 0);
                    page_cell_val(mt, mk[k]->n, PAGE_F_INT, count(mk[k]->n), 0);
                }
            }
        }
        /* the profile: (school,) cluster, district, region, Russia */
        const char *series[5];
        size_t ns = 0;
        if (school) series[ns++] = sname(in, school);
        series[ns++] = cname(in, c->cluster);
        series[ns++] = "Район";
        series[ns++] = "Регион";
        series[ns++] = "Россия";
        vals = xcalloc(ns * ncat + 1, sizeof *vals);
        for (size_t j = 0; j < ncat; j++) {
            const struct task_task *t = &R->tasks[works[w] + j];
            const struct task_fig *sf = school ? task_fig_of(t, TASK_SCHOOL, school) : NULL;
            const struct task_fig *cf = task_fig_of(t, TASK_CLUSTER, c->cluster);
            size_t k = 0;
            if (school) vals[k++ * ncat + j] = sf ? sf->value : NAN;
            vals[k++ * ncat + j] = cf ? cf->value : NAN;
            vals[k++ * ncat + j] = t->district.value;
            vals[k++ * ncat + j] = t->region;
            vals[k * ncat + j] = t->russia;
        }
        /* a chart name from digits and Latin letters only */
        char chart[64];
        snprintf(chart, sizeof chart, "tasks_%zu", w + 1);
        chart_profile(o->cb, chart,
                      T("%s, %d кл., %s: выполнение заданий", t0->subject, t0->grade,
                        year_text(in->y1)),
                      "Задание", cats, ncat, series, ns, vals, 100);
        page_chart(o->D, chart,
                   T("Рис. %d. Профиль выполнения заданий: %s, %d" NBSP "кл., %s", o->fig++,
                     t0->subject, t0->grade, year_text(in->y1)));
        free(cats);
        free(vals);

        /* in words: the cluster's common problems, the schools' particular ones, the
           district's difficulties; then the rules' recommendations */
        struct sbuf common = SBUF_INIT, part = SBUF_INIT, hard = SBUF_INIT, rec = SBUF_INIT;
        for (size_t k = 0; k < R->nfindings; k++) {
            const struct task_finding *f = &R->findings[k];
            if (!same_work(&R->tasks[f->task], t0)) continue;
            const char *txt = NULL;
            if (f->kind == TF_COMMON && f->unit_kind == TASK_CLUSTER &&
                strcmp(f->unit, c->cluster) == 0) {
                txt = T("%s; дефицит у %d из %d ОО", finding_text(in, f), f->schools,
                        f->of_schools);
                sbuf_printf(&common, "%s%s", common.len ? "; " : "", txt);
            } else if (f->kind == TF_PARTICULAR && strcmp(f->cluster, c->cluster) == 0 &&
                       (!school || strcmp(f->unit, school) == 0)) {
                txt = T("%s — %s", sname(in, f->unit), finding_text(in, f));
                sbuf_printf(&part, "%s%s", part.len ? "; " : "", txt);
            } else if (f->kind == TF_DISTRICT) {
                sbuf_printf(&hard, "%s%s", hard.len ? "; " : "", finding_text(in, f));
            }
            if (txt && f->recommendation && *f->recommendation)
                sbuf_printf(&rec, "%s%s", rec.len ? "\n" : "", f->recommendation);
        }
        page_p(o->D, "Общие проблемы кластера:", "%s.", common.len ? common.s : "не выявлены");
        page_p(o->D, school ? "Частные проблемы ОО:" : "Частные проблемы ОО кластера:", "%s.",
               part.len ? part.s : "не выявлены");
        page_p(o->D, "Трудности района в целом", "(относятся к району, а не к кластеру или ОО): %s.",
               hard.len ? hard.s : "не выявлены");
        if (rec.len) {
            page_p(o->D, "Рекомендации.", "По правилам района:");
            for (char *line = rec.s, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl) *nl = '\0';
                page_item(o->D, NULL, "%s", typo(line));
            }
        }
        sbuf_free(&common);
        sbuf_free(&part);
        sbuf_free(&hard);
        sbuf_free(&rec);
    }
    return 1;
}

/* The card: the school's primary-score distribution of each of its works of the last
 * year against the district's, with the marks' lowest scores (vpr_dist). Returns 1 when
 * a section was written. */
static int sec_scores(struct doc *o, const struct note_input *in, const char *school, int no)
{
    const struct store_works *W = in->works;
    size_t nmine = 0;
    for (size_t i = 0; W && i < W->n; i++)
        nmine += W->v[i].year == in->y1 && strcmp(W->v[i].school_id, school) == 0;
    if (!nmine) return 0;
    page_h(o->D, 1, "%d. Распределение первичных баллов ВПР, %s", no, year_text(in->y1));
    page_p(o->D, NULL,
           "Доля участников ОО и района с каждым первичным баллом работы; у баллов отмечены "
           "границы отметок (наименьший балл отметки, самый частый среди ОО района). Всплеск "
           "ровно на границе отметки при провале перед ней — повод проверить объективность "
           "проверки работ (правило района о всплеске у границы отметки).");
    int fig = 0;
    for (size_t i = 0; i < W->n; i++) {
        const struct store_work *w = &W->v[i];
        if (w->year != in->y1 || strcmp(w->school_id, school) != 0 || !(w->n > 0)) continue;
        /* the district's histogram of the work, and its usual lowest score of each mark */
        size_t len = w->len;
        for (size_t k = 0; k < W->n; k++)
            if (W->v[k].year == w->year && W->v[k].grade == w->grade &&
                strcmp(W->v[k].subject, w->subject) == 0 && W->v[k].len > len)
                len = W->v[k].len;
        double *dist = xcalloc(len + 1, sizeof *dist), dn = 0;
        int cut[4] = {-1, -1, -1, -1};
        for (int m = 0; m < 4; m++) {
            int best = -1, bestc = 0;
            for (size_t k = 0; k < W->n; k++) {
                const struct store_work *u = &W->v[k];
                if (u->year != w->year || u->grade != w->grade || strcmp(u->subject, w->subject))
                    continue;
                if (m == 0)
                    for (size_t j = 0; j < u->len; j++) {
                        dist[j] += u->scores[j];
                        dn += u->scores[j];
                    }
                int v = u->mark_min[m], cnt = 0;
                if (v < 0) continue;
                for (size_t q = 0; q < W->n; q++) {
                    const struct store_work *x = &W->v[q];
                    cnt += x->year == w->year && x->grade == w->grade &&
                           strcmp(x->subject, w->subject) == 0 && x->mark_min[m] == v;
                }
                if (cnt > bestc || (cnt == bestc && v < best)) {
                    best = v;
                    bestc = cnt;
                }
            }
            cut[m] = best;
        }
        const char **cats = xcalloc(len + 1, sizeof *cats);
        double *vals = xcalloc(2 * len + 1, sizeof *vals);
        for (size_t j = 0; j < len; j++) {
            int mark = 0;
            for (int m = 1; m < 4; m++)
                if (cut[m] == (int)j) mark = m + 2;
            cats[j] = mark ? T("%zu «%d»", j, mark) : T("%zu", j);
            vals[j] = j < w->len ? 100.0 * w->scores[j] / (double)w->n : 0.0;
            vals[len + j] = dn > 0 ? 100.0 * dist[j] / dn : NAN;
        }
        const char *series[2] = {sname(in, school), "Район"};
        char chart[64];
        snprintf(chart, sizeof chart, "scores_%d", ++fig);
        chart_profile(o->cb, chart,
                      T("%s, %ld кл., %s: первичные баллы", w->subject, w->grade,
                        year_text(w->year)),
                      "Первичный балл («3», «4», «5» — наименьший балл отметки)", cats, len,
                      series, 2, vals, 0);
        page_chart(o->D, chart,
                   T("Рис. %d. Распределение первичных баллов: %s, %ld" NBSP "кл. (ОО — %s %s; "
                     "район — %s по файлам участников ОО)", o->fig++, w->subject, w->grade,
                     count((double)w->n), plural(w->n, "участник", "участника", "участников"),
                     count(dn)));
        free(cats);
        free(vals);
        free(dist);
    }
    return 1;
}

/* The district report: the tasks hard for the district as a whole, and those where it
 * is below the region or Russia, in the last year of the window. */
static void district_difficulties(struct doc *o, const struct note_input *in)
{
    const struct task_result *R = in->tasks;
    size_t n = 0;
    for (size_t k = 0; R && k < R->nfindings; k++) n += R->tasks[R->findings[k].task].year == in->y1;
    if (!R || !R->ntasks) return;
    page_h(o->D, 1, "Трудности района по заданиям ВПР, %s", year_text(in->y1));
    page_p(o->D, NULL, "Задания, трудные для района в целом (ниже уровня дефицита по району) и "
                       "выполненные районом значимо хуже региона или России. Это трудности "
                       "района: они не приписываются ни одному кластеру или ОО.");
    static const char *const head[] = {"Работа", "Задание", "Проверяемое умение", "Уровень",
                                       "Район", "Регион", "Россия", "Вывод"};
    struct page_table *t = NULL;
    for (size_t k = 0; k < R->nfindings; k++) {
        const struct task_finding *f = &R->findings[k];
        const struct task_task *tk = &R->tasks[f->task];
        if (tk->year != in->y1 || f->unit_kind != TASK_DISTRICT) continue;
        if (!t) t = page_table(o->D, "district_tasks",
                               caption(o, T("Трудности района по заданиям, %s", year_text(in->y1))),
                               8, head);
        page_row(t);
        page_cell(t, T("%s, %d" NBSP "кл.", tk->subject, tk->grade));
        page_cell(t, tk->task);
        page_cell(t, typo(tk->skill));
        page_cell(t, task_level_ru(tk->level));
        page_cell_val(t, tk->district.value, PAGE_F_PCT, pct_cell(tk->district.value), 0);
        page_cell_val(t, tk->region, PAGE_F_PCT, pct_cell(tk->region), 0);
        page_cell_val(t, tk->russia, PAGE_F_PCT, pct_cell(tk->russia), 0);
        page_cell(t, T("%s%s", f->kind == TF_DISTRICT ? "трудность района"
                               : f->kind == TF_BELOW_REGION ? "ниже региона"
                                                            : "ниже России",
                       f->run >= 2 ? T(", %d %s подряд", f->run, plural(f->run, "год", "года", "лет"))
                                   : ""));
    }
    if (!t) page_p(o->D, NULL, "Таких заданий нет.");
    (void)n;
}

static void sec_admissions(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    page_h(o->D, 1, "8. Соответствие профиля ОО выбору выпускников");
    const struct note_key *u = &sp->v[NOTE_ADMISSIONS][0], *p = &sp->v[NOTE_ADMISSIONS][1],
                          *m = &sp->v[NOTE_ADMISSIONS][2];
    if (!key_has_data(in, u)) {
        page_p(o->D, NULL, "Данных о поступлении выпускников за окно нет: раздел не составлен.");
        return;
    }
    page_p(o->D, NULL,
           "Соответствие профиля — доля поступивших в вузы по профилю ОО среди всех поступивших "
           "в вузы, %s; тренд — за %s.", year_text(in->y1), window_text(in));
    static const char *const head[] = {"ОО", "Профиль ОО", "Выпускники", "Поступили в вузы, %",
                                       "По профилю ОО, % выпускников", "Соответствие профиля, %",
                                       "95% интервал", "Сравнение с районом", "Тренд"};
    struct page_table *t = page_table(o->D, "admissions",
                                      caption(o, T("Поступление выпускников, %s", year_text(in->y1))),
                                      9, head);
    struct sbuf hi = SBUF_INIT, lo = SBUF_INIT;
    for (size_t i = 0; i < c->nsch; i++) {
        const struct note_school *s = school_of(in, c->sch[i]);
        const struct ind_row *ru = krow(in, u, IND_SCHOOL, c->sch[i], in->y1);
        const struct ind_row *rp = krow(in, p, IND_SCHOOL, c->sch[i], in->y1);
        const struct ind_row *rm = krow(in, m, IND_SCHOOL, c->sch[i], in->y1);
        const struct ana_compare *cp = cmp_of(c, rm);
        page_row(t);
        page_cell(t, sname(in, c->sch[i]));
        page_cell(t, s && s->profile && *s->profile ? DN(in, "profile", s->profile) : "не указан");
        page_cell_val(t, ru && !ru->suppressed ? ru->den : NAN, PAGE_F_INT,
                      ru && !ru->suppressed ? count(ru->den) : nstr(ru), 0);
        cell_value(t, ru, 0);
        cell_value(t, rp, 0);
        cell_value(t, rm, cp && cp->vs_district.verdict);
        cell_ci(t, rm);
        page_cell(t, cp ? vs_cell(m->ind, &cp->vs_district) : "—");
        page_cell(t, trend_cell(trend_of(c, m->ind, IND_SCHOOL, c->sch[i], m->dim)));
        if (cp && cp->vs_district.verdict > 0) sbuf_printf(&hi, "%s%s", hi.len ? "; " : "", sname(in, c->sch[i]));
        if (cp && cp->vs_district.verdict < 0) sbuf_printf(&lo, "%s%s", lo.len ? "; " : "", sname(in, c->sch[i]));
    }
    const struct ind_row *cm = krow(in, m, IND_CLUSTER, c->cluster, in->y1);
    const struct ind_row *dm = krow(in, m, IND_DISTRICT, "", in->y1);
    page_p(o->D, NULL, "По кластеру соответствие профиля составляет %s (n" NBSP "=" NBSP "%s), по району — %s. %s%s",
           valu(cm), nstr(cm), valu(dm), hi.len ? T("Значимо выше района: %s. ", hi.s) : "",
           lo.len ? T("Значимо ниже района: %s — профиль обучения этих ОО расходится с выбором "
                      "выпускников; стоит проверить профориентационную работу и соответствие "
                      "учебного плана заявленному профилю.", lo.s)
                  : "ОО со значимо более низким, чем в районе, соответствием профиля нет.");
    sbuf_free(&hi);
    sbuf_free(&lo);
}

/* Olympiad results by stage: participants, winners and prizewinners, the school's
 * share of the district's awards at the stage. */
static void sec_olympiad(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    if (!sp->n[NOTE_OLYMPIAD]) return;
    const struct indicator *ind = sp->v[NOTE_OLYMPIAD][0].ind;
    page_h(o->D, 1, "9. Олимпиады по этапам");
    int any = 0;
    for (size_t i = 0; i < in->res->n && !any; i++)
        any = in->res->v[i].ind == ind && in->res->v[i].year == in->y1;
    if (!any || ind->ndims < 1 || strcmp(ind->dims[0], "stage") != 0) {
        page_p(o->D, NULL, "Результатов олимпиад за %s нет: раздел не составлен.", year_text(in->y1));
        return;
    }
    static const char *const stages[] = {"school", "municipal", "regional", "final"};
    page_p(o->D, NULL,
           "Для каждого этапа всероссийской олимпиады школьников, %s: число участий, победителей "
           "и призёров, результативность (доля победителей и призёров среди участий) и доля ОО "
           "среди всех победителей и призёров района на этапе. Результативность школьного этапа "
           "с другими этапами не сравнивается.", year_text(in->y1));
    static const char *const head[] = {"ОО", "Этап", "Участий", "Победителей и призёров",
                                       "Результативность, %", "Доля района, %"};
    struct page_table *t = page_table(o->D, "olympiad_stages",
                                      caption(o, T("Результаты ВсОШ по этапам, %s", year_text(in->y1))),
                                      6, head);
    struct sbuf lead = SBUF_INIT;
    for (size_t i = 0; i <= c->nsch; i++) {
        enum ind_level lv = i < c->nsch ? IND_SCHOOL : IND_CLUSTER;
        const char *unit = i < c->nsch ? c->sch[i] : c->cluster;
        for (size_t s = 0; s < 4; s++) {
            const struct ind_row *r = row_of(in, ind, lv, unit, in->y1, stages[s]);
            const struct ind_row *dr = row_of(in, ind, IND_DISTRICT, "", in->y1, stages[s]);
            if (!r) continue;
            double share = !r->suppressed && dr && !dr->suppressed && dr->num > 0
                               ? 100 * r->num / dr->num : NAN;
            page_row(t);
            page_cell(t, i < c->nsch ? sname(in, unit) : "Кластер в целом");
            page_cell(t, DN(in, "stage", stages[s]));
            page_cell_val(t, r->suppressed ? NAN : r->den, PAGE_F_INT, r->suppressed ? nstr(r) : count(r->den), 0);
            page_cell_val(t, r->suppressed ? NAN : r->num, PAGE_F_INT, r->suppressed ? "—" : count(r->num), 0);
            cell_value(t, r, 0);
            page_cell_val(t, share, PAGE_F_PCT, isfinite(share) ? numa(share) : "—",
                          isfinite(share) && share >= 50);
            if (i < c->nsch && s >= 2 && isfinite(share) && share >= 25)
                sbuf_printf(&lead, "%s%s — %s%s%% победителей и призёров района на %s этапе",
                            lead.len ? "; " : "", sname(in, unit), numa(share), NBSP,
                            DN(in, "stage_prep", stages[s]));
        }
    }
    if (lead.len)
        page_p(o->D, "Лидеры района на старших этапах:", "%s.", lead.s);
    sbuf_free(&lead);
}

/* The recommendations of one school, from its finding and its flags: what the note
 * found is what it recommends on, so a school below the district or worsening is
 * never told to keep its level. */
static void school_recommendations(struct doc *o, struct ctx *c, size_t i)
{
    const struct note_input *in = c->in;
    const struct finding *f = &c->f[i];
    const char *id = c->sch[i];
    size_t nrec = 0;
    for (size_t k = 0; in->flags && k < in->flags->n; k++) {
        const struct rule_flag *fl = &in->flags->v[k];
        if (strcmp(fl->school_id, id) != 0 || !fl->recommendation) continue;
        page_item(o->D, T("%s.", fl->rule->title), "%s", typo(fl->recommendation));
        nrec++;
    }
    if (f->nbad)
        page_item(o->D, "Отставание от района.",
                  "Значимо ниже района (по смыслу показателя — хуже) %zu %s: %s. Рекомендуется "
                  "проанализировать причины по предметам и классам, включить эти показатели в "
                  "план работы ОО и обсудить помощь ОО кластера с лучшими результатами.",
                  f->nbad, plural((long)f->nbad, "показатель", "показателя", "показателей"),
                  item_names(f->bad, f->nbad, 4));
    if (f->nworse)
        page_item(o->D, "Ухудшение.",
                  "Значимое ухудшение за %s: %s. Рекомендуется выяснить, с чем оно связано "
                  "(контингент, кадры, программы), и наметить меры до следующего цикла.",
                  window_text(in), str_list(f->worse, f->nworse, 3));
    if (!f->nbad && !f->nworse && !f->nflag_bad) {
        if (f->ngood)
            page_item(o->D, NULL,
                      "Отставаний от района и ухудшения не выявлено. Рекомендуется сохранить "
                      "достигнутый уровень и представить опыт ОО в кластере по показателям: %s.",
                      item_names(f->good, f->ngood, 3));
        else if (!nrec)
            page_item(o->D, NULL,
                      "Значимых отличий от района и значимых трендов нет. Рекомендуется "
                      "продолжать мониторинг по ключевым показателям.");
    }
}

static void sec_recommend(struct doc *o, struct ctx *c, int no)
{
    page_h(o->D, 1, "%d. Адресные рекомендации", no);
    page_p(o->D, NULL,
           "Рекомендации следуют из отметок правил района (раздел 7) и из отличий и трендов, "
           "названных в разделах 5 и 6, и относятся к ОО в целом, а не к отдельным педагогам.");
    for (size_t i = 0; i < c->nsch; i++) {
        page_h(o->D, 3, "%s", sname(c->in, c->sch[i]));
        school_recommendations(o, c, i);
    }
}

/* The end of the note: the conclusions and the questions for the session. */
static void sec_conclusions(struct doc *o, struct ctx *c, int no)
{
    const struct note_input *in = c->in;
    page_h(o->D, 1, "%d. Выводы и предложения", no);
    page_p(o->D, "Общие сильные стороны кластера.", "%s",
           o->npos ? T("%s (табл. %d).", str_list(o->pos, o->npos, 6), o->tab_common)
                   : "устойчивых и значимых преимуществ кластера в целом перед районом не выявлено.");
    page_p(o->D, "Общие проблемы кластера.", "%s",
           o->nneg ? T("%s (табл. %d).", str_list(o->neg, o->nneg, 6), o->tab_common)
                   : "устойчивого и значимого отставания кластера в целом от района не выявлено.");
    /* each school in one short paragraph */
    for (size_t i = 0; i < c->nsch; i++) {
        const struct finding *f = &c->f[i];
        struct sbuf b = SBUF_INIT;
        if (f->ngood) sbuf_printf(&b, "сильные стороны — %s", item_names(f->good, f->ngood, 2));
        if (f->nbad) sbuf_printf(&b, "%sпроблемы — %s", b.len ? "; " : "", item_names(f->bad, f->nbad, 2));
        if (f->nworse) sbuf_printf(&b, "%sухудшение — %s", b.len ? "; " : "", str_list(f->worse, f->nworse, 2));
        if (f->nbetter && !f->nworse) sbuf_printf(&b, "%sулучшение — %s", b.len ? "; " : "", str_list(f->better, f->nbetter, 2));
        if (!b.len) sbuf_adds(&b, "значимых отличий от района и значимых трендов нет");
        page_item(o->D, T("%s:", sname(in, c->sch[i])), "%s.", b.s);
        sbuf_free(&b);
    }
    /* the lists of the rules */
    if (in->rules && in->flags) {
        struct sbuf b = SBUF_INIT;
        for (size_t k = 0; k < in->rules->n; k++) {
            const struct rule *r = &in->rules->v[k];
            struct sbuf who = SBUF_INIT;
            for (size_t j = 0; j < in->flags->n; j++)
                if (in->flags->v[j].rule == r && in_cluster(c, in->flags->v[j].school_id))
                    sbuf_printf(&who, "%s%s", who.len ? ", " : "", sname(in, in->flags->v[j].school_id));
            if (who.len) sbuf_printf(&b, "%s«%s» — %s", b.len ? "; " : "", r->title, who.s);
            sbuf_free(&who);
        }
        page_p(o->D, "Списки района.", "%s", b.len ? T("%s (раздел 7).", b.s)
                                                  : "ни одна ОО кластера в списки правил района не вошла.");
        sbuf_free(&b);
    }
    if (o->sec_tasks && in->tasks) {
        /* the last year's task problems, in a line each */
        const struct task_result *R = in->tasks;
        struct sbuf cm = SBUF_INIT, pt = SBUF_INIT, hd = SBUF_INIT;
        for (size_t k = 0; k < R->nfindings; k++) {
            const struct task_finding *f = &R->findings[k];
            const struct task_task *t = &R->tasks[f->task];
            if (t->year != in->y1) continue;
            const char *what = T("%s, %d" NBSP "кл., задание %s", t->subject, t->grade, t->task);
            if (f->kind == TF_COMMON && strcmp(f->unit, c->cluster) == 0)
                sbuf_printf(&cm, "%s%s (%s)", cm.len ? "; " : "", what, skill_in(t->skill));
            else if (f->kind == TF_PARTICULAR && strcmp(f->cluster, c->cluster) == 0)
                sbuf_printf(&pt, "%s%s — %s", pt.len ? "; " : "", sname(in, f->unit), what);
            else if (f->kind == TF_DISTRICT)
                sbuf_printf(&hd, "%s%s", hd.len ? "; " : "", what);
        }
        page_p(o->D, "Планируемые результаты.",
               "Общие проблемы кластера по заданиям ВПР: %s. Частные проблемы ОО: %s. Трудности "
               "района в целом (не проблемы кластера): %s (раздел %d).",
               cm.len ? cm.s : "не выявлены", pt.len ? pt.s : "не выявлены",
               hd.len ? hd.s : "не выявлены", o->sec_tasks);
        sbuf_free(&cm);
        sbuf_free(&pt);
        sbuf_free(&hd);
    }
    /* questions, each tied to the evidence */
    page_h(o->D, 2, "Что обсудить на сессии кластера");
    int q = 1;
    const int QMAX = 10;
    for (size_t k = 0; k < o->nneg && q <= QMAX; k++, q++)
        page_item(o->D, T("%d.", q),
                  "Почему кластер в целом устойчиво ниже района по показателю «%s» (табл. %d)? "
                  "Общие ли у ОО причины — программы, кадры, контингент — и какие меры принять вместе?",
                  o->neg[k], o->tab_common);
    for (size_t i = 0; i < c->nsch && q <= QMAX; i++) {
        const struct finding *f = &c->f[i];
        size_t ns = 0;
        for (size_t k = 0; k < f->nbad; k++) ns += f->bad[k].stable;
        if (ns) {
            page_item(o->D, T("%d.", q++),
                      "Что стоит за устойчивым отставанием %s от района (%s; табл. %d) и "
                      "какая помощь ОО кластера ей нужна?",
                      sname(in, c->sch[i]), item_names(f->bad, f->nbad, 2), o->tab_part);
        } else if (f->nworse) {
            page_item(o->D, T("%d.", q++),
                      "Чем объясняется значимое ухудшение результатов: %s (%s; табл. %d)?",
                      sname(in, c->sch[i]), str_list(f->worse, f->nworse, 2), o->tab_trends);
        }
    }
    if (in->rules && in->flags)
        for (size_t k = 0; k < in->rules->n && q <= QMAX; k++) {
            const struct rule *r = &in->rules->v[k];
            if (flag_good(r)) continue;
            size_t n = 0;
            for (size_t j = 0; j < in->flags->n; j++)
                n += in->flags->v[j].rule == r && in_cluster(c, in->flags->v[j].school_id);
            if (n)
                page_item(o->D, T("%d.", q++),
                          "Что показала проверка оснований по правилу «%s» (%zu %s кластера, "
                          "раздел 7) и какие меры уже приняты?",
                          r->title, n, plural((long)n, "ОО", "ОО", "ОО"));
        }
    /* the cluster's common task problems of the last year: one question each */
    for (size_t k = 0; o->sec_tasks && in->tasks && k < in->tasks->nfindings && q <= QMAX; k++) {
        const struct task_finding *f = &in->tasks->findings[k];
        const struct task_task *t = &in->tasks->tasks[f->task];
        if (f->kind != TF_COMMON || t->year != in->y1 || strcmp(f->unit, c->cluster) != 0) continue;
        page_item(o->D, T("%d.", q++),
                  "Почему у %d из %d ОО кластера дефицит по заданию %s (%s, %d" NBSP "кл.: «%s», "
                  "раздел %d) и какую общую работу по нему спланировать?",
                  f->schools, f->of_schools, t->task, t->subject, t->grade, typo(t->skill),
                  o->sec_tasks);
    }
    for (size_t k = 0; k < o->npos && k < 2 && q <= QMAX; k++, q++)
        page_item(o->D, T("%d.", q),
                  "Какой опыт кластера по показателю «%s» (табл. %d) стоит представить району?",
                  o->pos[k], o->tab_common);
    size_t best = SIZE_MAX, bestn = 0;
    for (size_t i = 0; i < c->nsch; i++) {
        size_t ns = 0;
        for (size_t k = 0; k < c->f[i].ngood; k++) ns += c->f[i].good[k].stable;
        if (ns > bestn && !c->f[i].nbad) {
            bestn = ns;
            best = i;
        }
    }
    if (best != SIZE_MAX && q <= QMAX)
        page_item(o->D, T("%d.", q++),
                  "Как использовать в работе кластера опыт: %s — устойчиво лучше района (%s; "
                  "табл. %d)?", sname(in, c->sch[best]), item_names(c->f[best].good, c->f[best].ngood, 2),
                  o->tab_part);
    if (o->nmissing && q <= QMAX)
        page_item(o->D, T("%d.", q++),
                  "Как восполнить недостающие данные (%s; раздел 2), чтобы следующий цикл "
                  "мониторинга их учёл?", str_list(o->missing, o->nmissing, 6));
    if (q == 1)
        page_item(o->D, "1.", "Значимых отличий для обсуждения справка не выявила; предлагается "
                              "обсудить план работы кластера на следующий год.");
}

/* An indicator's formula in words (the appendix shows no SQL). */
static const char *formula_words(const struct note_input *in, const struct indicator *ind)
{
    const char *form = ind->form ? form_dn(in, ind->form->name) : "";
    switch (ind->kind) {
    case IND_SHARE:
        return T("доля, %%: сумма числителя по всем строкам формы «%s» ОО (кластера, района) за "
                 "год, делённая на сумму знаменателя, × 100", form);
    case IND_MEAN:
        return T("среднее, взвешенное по числу участников, по всем строкам формы «%s»", form);
    case IND_RATE:
        return T("число на %s обучающихся по строкам формы «%s»", numa(ind->per > 0 ? ind->per : 100), form);
    default:
        return T("число строк или событий формы «%s» за год", form);
    }
}

/* The appendix: the overdispersion (φ, τ) of the cells the rules tested, and the
 * context models' coefficients, in the window's last year. */
#define OD_ROWS_PER_RULE 12
static void methods_used(struct doc *o, const struct note_input *in)
{
    const struct rules_methods *m = in->methods;
    if (!m || (!m->nod && !m->nfits)) return;
    if (m->nod) {
        page_h(o->D, 2, "Сверхдисперсия, учтённая правилами");
        page_p(o->D, NULL,
               "Насколько ОО района различаются сильнее, чем объясняет случайность выборки: φ — "
               "оценка Шпигельхальтера по винсоризованным z-оценкам ОО (1 — различия только "
               "случайные), p — критерий φ > 1; τ — стандартное отклонение «истинных» значений "
               "ОО (случайный эффект ОО, в единицах показателя). Где различие значимо, границы "
               "и z-оценки правил расширены на τ² (аддитивная модель; для счётных величин — "
               "умножение дисперсии на φ).");
        static const char *const head[] = {"Правило", "Показатель", "Разрез", "Год", "ОО", "φ",
                                           "p (φ > 1)", "τ", "Учтена"};
        struct page_table *t = page_table(o->D, "overdispersion",
                                          caption(o, "Сверхдисперсия по ячейкам правил"), 9, head);
        size_t shown = 0, hidden = 0;
        for (size_t i = 0; i < m->nod; i++) {
            const struct rules_od_cell *x = &m->od[i];
            if (i == 0 || m->od[i - 1].rule != x->rule) shown = 0;
            if (shown++ >= OD_ROWS_PER_RULE) {
                hidden++;
                continue;
            }
            page_row(t);
            page_cell(t, x->rule->title);
            page_cell(t, x->ind->title);
            page_cell(t, x->what);
            page_cell_val(t, x->year, PAGE_F_YEAR, T("%d", x->year), 0);
            page_cell_val(t, (double)x->units, PAGE_F_INT, T("%zu", x->units), 0);
            page_cell_val(t, x->phi, PAGE_F_DEC, isfinite(x->phi) ? num(x->phi, 2) : "—", 0);
            page_cell_val(t, x->phi_p, PAGE_F_P, isfinite(x->phi_p) ? pv(x->phi_p) : "—", 0);
            double tau = isfinite(x->tau2) && x->tau2 >= 0 ? sqrt(x->tau2) : NAN;
            page_cell_val(t, tau, PAGE_F_DEC, numa(tau), 0);
            page_cell(t, x->used ? (strcmp(x->method, "multiplicative") == 0 ? "да (× φ)" : "да (+ τ²)")
                                 : "нет");
        }
        if (hidden)
            page_table_note(t, T("Показаны первые %d ячеек каждого правила; ещё %zu — в выводе "
                                 "soko compare --format csv.", OD_ROWS_PER_RULE, hidden));
    }
    if (m->nfits) {
        page_h(o->D, 2, "Контекстные модели правил");
        page_p(o->D, NULL,
               "Регрессии результатов ОО района на контекстные факторы, по остаткам которых "
               "правила отбирают ОО с результатами выше (ниже) ожидаемых: коэффициент, его "
               "стандартная ошибка и p-значение (t-критерий), R² модели.");
        static const char *const head[] = {"Модель", "Разрез", "Год", "ОО", "Коэффициенты", "R²"};
        struct page_table *t = page_table(o->D, "context_models",
                                          caption(o, "Коэффициенты контекстных моделей"), 6, head);
        for (size_t i = 0; i < m->nfits; i++) {
            const struct rules_fit *f = &m->fits[i];
            struct sbuf b = SBUF_INIT;
            for (int q = 0; q < f->ncoef; q++) {
                const char *name = q == 0 ? "свободный член"
                                 : q - 1 < f->model->nfactors ? f->model->factors[q - 1] : "?";
                /* a factor of another form by its wording there: «низкая учебная мотивация
                   обучающихся (survey_500:risk_low_motivation)» */
                char *lab = q > 0 && q - 1 < f->model->nfactors
                                ? form_factor_label(f->model->factors[q - 1]) : NULL;
                if (lab) name = T("%s (%s)", lab, name);
                free(lab);
                sbuf_printf(&b, "%s%s: %s (%s), %s", q ? "; " : "", name, numa(f->coef[q]),
                            numa(f->se[q]), isfinite(f->p[q]) ? pv(f->p[q]) : "p —");
            }
            page_row(t);
            page_cell(t, f->model->title ? f->model->title : f->model->id);
            page_cell(t, f->what);
            page_cell_val(t, f->year, PAGE_F_YEAR, T("%d", f->year), 0);
            page_cell_val(t, (double)f->nschools, PAGE_F_INT, T("%zu", f->nschools), 0);
            page_cell(t, b.s ? b.s : "");
            page_cell_val(t, f->r2, PAGE_F_DEC, numa(f->r2), 0);
            sbuf_free(&b);
        }
    }
}

static void sec_appendix(struct doc *o, struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    page_break(o->D);
    page_h(o->D, 1, "Приложение. Методика и источники данных");
    page_h(o->D, 2, "Определения показателей");
    static const char *const head[] = {"Показатель", "Как считается", "Единица", "Мин. n"};
    struct page_table *t = page_table(o->D, "definitions", caption(o, "Показатели справки"), 4, head);
    const struct indicator **seen = NULL;
    size_t nseen = 0;
    for (int l = 0; l < NOTE_NLISTS; l++) {
        if (l == NOTE_COVERAGE) continue;
        for (size_t j = 0; j < sp->n[l]; j++) {
            const struct indicator *ind = sp->v[l][j].ind;
            size_t k = 0;
            while (k < nseen && seen[k] != ind) k++;
            if (k < nseen) continue;
            seen = xrealloc(seen, (nseen + 1) * sizeof *seen);
            seen[nseen++] = ind;
            page_row(t);
            page_cell(t, ind->title);
            page_cell(t, ind->description ? typo(ind->description) : formula_words(in, ind));
            page_cell(t, ind->kind == IND_SHARE ? "%" : ind->unit ? ind->unit : "");
            page_cell_val(t, (double)ind->min_n, PAGE_F_INT, T("%ld", ind->min_n), 0);
        }
    }
    free(seen);
    page_h(o->D, 2, "Статистические методы");
    page_item(o->D, "Пулинг.", "Доля кластера и района — Σчислитель/Σзнаменатель по всем строкам "
                               "ОО (не среднее долей ОО); среднее — взвешенное по участникам.");
    page_item(o->D, "Интервалы.", "Для долей — интервал Уилсона 95" NBSP "%%; для средних с известным "
                                  "разбросом — t-интервал; для счётных величин — точный "
                                  "пуассоновский интервал.");
    page_item(o->D, "Сравнение ОО с районом и кластером.",
              "Контрольные границы 95" NBSP "%% и 99,8" NBSP "%% вокруг значения района (кластера) "
              "при n ОО (Д. Шпигельхальтер, 2005): для долей — точные биномиальные, для средних — "
              "нормальные; z-оценка — отклонение в стандартных ошибках.");
    page_item(o->D, "Сравнение кластера с районом.",
              "Двухвыборочный t-критерий значений ОО кластера против остальных ОО района "
              "(уровень 0,05). Все сравнения кластера за год образуют одно семейство: p-значения "
              "скорректированы по Бенджамини — Хохбергу (доля ложных выводов среди значимых — не "
              "более 5" NBSP "%%), поэтому при большем числе показателей то же p может оказаться "
              "незначимым.");
    page_item(o->D, "Тренды.", "Критерий Кохрана–Армитиджа для долей, наклон взвешенной регрессии "
                               "для средних; уровень 0,05.");
    page_item(o->D, "Названия предметов.", "Названия предметов из выгрузок приведены к названиям "
                                           "района по карте предметов района.");
    page_item(o->D, "Малые группы.", "Результаты с n меньше минимума показателя показываются как "
                                     "«n < 5» и исключаются из сравнений, трендов и правил.");
    if (in->rules) {
        page_h(o->D, 2, "Правила и пороги");
        static const char *const rh[] = {"Правило", "Вид правила", "Условие"};
        struct page_table *rt = page_table(o->D, "rules", caption(o, "Правила района"), 3, rh);
        size_t tw[1];
        int has_tasks = task_works(in, c->cluster, NULL, tw, 1) > 0;
        for (size_t k = 0; k < in->rules->n; k++) {
            const struct rule *r = &in->rules->v[k];
            if (is_task_rule(r) && !has_tasks) continue;
            page_row(rt);
            page_cell(rt, r->title);
            page_cell(rt, DN(in, "rule_kind", rule_kind_name(r->kind)));
            page_cell(rt, rule_params(in, r));
        }
    }
    methods_used(o, in);
    page_h(o->D, 2, "Источники данных");
    static const char *const ih[] = {"№", "Форма", "Файл", "Строк", "SHA-256"};
    struct page_table *it = page_table(o->D, "imports", caption(o, "Импортированные файлы"), 5, ih);
    for (size_t i = 0; i < in->nimports; i++) {
        const struct note_import *m = &in->imports[i];
        page_row(it);
        page_cell_val(it, (double)m->id, PAGE_F_INT, T("%lld", m->id), 0);
        page_cell(it, form_dn(in, m->form));
        const char *base = strrchr(m->file, '/');
        page_cell(it, base ? base + 1 : m->file);
        page_cell_val(it, (double)m->rows, PAGE_F_INT, count((double)m->rows), 0);
        page_cell(it, m->sha256);
    }
    static const char *const fh[] = {"Файл определений", "SHA-256"};
    struct page_table *ft = page_table(o->D, "definition_files",
                                       caption(o, "Файлы показателей и правил"), 2, fh);
    for (size_t i = 0; i < in->nfiles; i++) {
        page_row(ft);
        page_cell(ft, in->files[i].path);
        page_cell(ft, in->files[i].sha256);
    }
    page_p(o->D, NULL,
           "Справка составлена %s программой soko %s по данным перечисленных выше файлов; "
           "повторный расчёт на тех же файлах и определениях даёт те же значения.",
           keep(page_date(in->date)), in->version);
}

/* ==== writing ============================================================================= */

static int write_all(struct page *D, struct chart_batch *cb, struct outdir *od, const char *stem,
                     int docx, struct soko_diag *d)
{
    int rc = SOKO_OK;
    if (chart_count(cb)) rc = chart_render(cb, od, CHART_SVG | CHART_PNG, d);
    char *md = xasprintf("%s.md", stem), *html = xasprintf("%s.html", stem);
    char *dx = xasprintf("%s.docx", stem);
    struct outdir *tables = NULL;
    if (!rc) rc = page_write_md(D, od, md, NULL, d);
    if (!rc) rc = page_write_html(D, od, html, NULL, d);
    if (!rc && docx) rc = page_write_docx(D, od, dx, d);
    if (!rc) rc = outdir_sub(od, "tables", &tables, d);
    if (!rc) rc = page_write_csv(D, tables, d);
    if (!rc) rc = page_write_xlsx(D, od, "tables.xlsx", d);
    outdir_close(tables);
    free(md);
    free(html);
    free(dx);
    return rc;
}

/* "исследование" → "Исследование": the first letter of a Russian (or Latin) header up. */
static const char *cap_first(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] >= 'a' && u[0] <= 'z') return T("%c%s", u[0] - 32, s + 1);
    if (u[0] == 0xD0 && u[1] >= 0xB0 && u[1] <= 0xBF)        /* а..п → А..П */
        return T("%c%c%s", 0xD0, u[1] - 0x20, s + 2);
    if (u[0] == 0xD1 && u[1] >= 0x80 && u[1] <= 0x8F)        /* р..я → Р..Я */
        return T("%c%c%s", 0xD0, u[1] + 0x20, s + 2);
    if (u[0] == 0xD1 && u[1] == 0x91) return T("Ё%s", s + 2);
    return s;
}

/* The header of a section 10 table's first column: «Предмет», or the Russian header of
   the indicator's breakdown column in its form («Исследование» for НИКО). */
static const char *dim_header(const struct indicator *ind)
{
    const char *col = ind->dims[0];
    if (strcmp(col, "subject") == 0 || !ind->form) return "Предмет";
    int j = form_col_index(ind->form, col);
    const char *al = j >= 0 ? ind->form->cols[j].aliases : NULL;
    if (!al || !*al) return col;
    size_t n = strcspn(al, "|");
    return cap_first(T("%.*s", (int)n, al));
}

/* Section 10: each procedure of the `assessments` list (РДР, training exams, ПК «Знак»,
 * НИКО, ...), by subject (by study) for the last year: the cluster, the district and the
 * cluster's schools that differ significantly from the district. */
static void sec_assessments(struct doc *o, const struct ctx *c)
{
    const struct note_input *in = c->in;
    const struct note_spec *sp = in->spec;
    page_h(o->D, 1, "10. Региональные, муниципальные и тренировочные оценочные процедуры по предметам");
    if (!sp->n[NOTE_ASSESSMENTS]) {
        page_p(o->D, NULL, "Перечень процедур раздела (assessments в note.ini) не задан: раздел не составлен.");
        return;
    }
    for (size_t k = 0; k < sp->n[NOTE_ASSESSMENTS]; k++) {
        const struct indicator *ind = sp->v[NOTE_ASSESSMENTS][k].ind;
        const char **subj = NULL;
        size_t ns = subjects(in, ind, &subj), nk = 0;
        /* the subjects (studies) of the last year: the district has a figure for them */
        for (size_t s = 0; s < ns; s++)
            if (row_of(in, ind, IND_DISTRICT, "", in->y1, subj[s])) subj[nk++] = subj[s];
        ns = nk;
        if (!ns) {
            free(subj);
            page_p(o->D, NULL, "%s: результатов за %s нет.", ind->title, year_text(in->y1));
            continue;
        }
        page_p(o->D, NULL, "%s, %s: кластер, район и ОО кластера, значимо отличающиеся от района.",
               ind->title, year_text(in->y1));
        const char *head[] = {dim_header(ind), "Кластер", "Район", "Лучше района", "Хуже района"};
        /* the table's name: the form's, numbered when a form comes twice */
        const char *fname = ind->form ? ind->form->name : ind->id;
        size_t same = 0;
        for (size_t q = 0; q < k; q++) {
            const struct indicator *p = sp->v[NOTE_ASSESSMENTS][q].ind;
            same += strcmp(p->form ? p->form->name : p->id, fname) == 0;
        }
        const char *by = strcmp(ind->dims[0], "subject") == 0 ? "subjects" : ind->dims[0];
        char *tid = same ? xasprintf("%s_%s_%zu", fname, by, same + 1) : xasprintf("%s_%s", fname, by);
        struct page_table *t = page_table(o->D, tid, caption(o, T("%s, %s", ind->title, year_text(in->y1))),
                                          5, head);
        free(tid);
        for (size_t s = 0; s < ns; s++) {
            const struct ind_row *cr = row_of(in, ind, IND_CLUSTER, c->cluster, in->y1, subj[s]);
            const struct ind_row *dr = row_of(in, ind, IND_DISTRICT, "", in->y1, subj[s]);
            struct sbuf up = SBUF_INIT, down = SBUF_INIT;
            for (size_t i = 0; i < c->nsch; i++) {
                const struct ana_compare *cp =
                    cmp_of(c, row_of(in, ind, IND_SCHOOL, c->sch[i], in->y1, subj[s]));
                if (!cp || !cp->vs_district.verdict) continue;
                struct sbuf *b = cp->vs_district.verdict > 0 ? &up : &down;
                sbuf_printf(b, "%s%s", b->len ? "; " : "", sname(in, c->sch[i]));
            }
            page_row(t);
            page_cell(t, subj[s]);
            cell_value(t, cr, 0);
            cell_value(t, dr, 0);
            page_cell(t, up.len ? up.s : "—");
            page_cell(t, down.len ? down.s : "—");
            sbuf_free(&up);
            sbuf_free(&down);
        }
        free(subj);
    }
}

static int cluster_note(const struct note_input *in, const char *cluster_id, struct outdir *od,
                        struct soko_diag *d)
{
    struct ctx c;
    ctx_init(&c, in, cluster_id);
    struct doc o;
    memset(&o, 0, sizeof o);
    o.D = page_new(T("Аналитическая справка: кластер «%s»", cname(in, cluster_id)),
                   T("Результаты оценочных процедур за %s · составлена %s · soko %s",
                     window_text(in), keep(page_date(in->date)), in->version));
    o.cb = chart_batch_new();
    o.tab = o.fig = 1;
    size_t tw[1];
    int has_tasks = task_works(in, cluster_id, NULL, tw, 1) > 0;
    page_p(o.D, "Назначение.",
           "Справка подготовлена для исследовательской сессии кластера: выявить общие и "
           "частные для ОО кластера положительные результаты и проблемы и наметить их "
           "причины, сравнивая каждую ОО с кластером и районом за %s. Справка говорит об "
           "ОО, а не об отдельных педагогах: результаты ВПР для оценки учителей не используются. "
           "Выводы и вопросы для обсуждения — в разделе %d.",
           window_text(in), has_tasks ? 13 : 12);
    sec_composition(&o, &c);
    sec_coverage(&o, &c);
    sec_key(&o, &c);
    sec_common(&o, &c);
    sec_particular(&o, &c);
    sec_dynamics(&o, &c);
    sec_flags(&o, &c);
    sec_admissions(&o, &c);
    sec_olympiad(&o, &c);
    sec_assessments(&o, &c);
    int no = 11;
    if (sec_tasks(&o, &c, no, NULL)) no++;
    sec_recommend(&o, &c, no);
    sec_conclusions(&o, &c, no + 1);
    sec_appendix(&o, &c);
    int rc = write_all(o.D, o.cb, od, "note", in->docx, d);
    chart_batch_free(o.cb);
    page_free(o.D);
    free(o.pos);
    free(o.neg);
    free(o.missing);
    ctx_free(&c);
    arena_free();
    return rc;
}

int note_cluster(const struct note_input *in, const char *cluster_id, const char *dir,
                 struct soko_diag *d)
{
    int found = 0;
    for (size_t i = 0; i < in->members->n; i++)
        if (strcmp(in->members->v[i].cluster_id, cluster_id) == 0) found = 1;
    if (!found) {
        soko_diag_add(d, NULL, 0, 0, _("no cluster '%s' (form clusters)"), cluster_id);
        return SOKO_EUSAGE;
    }
    struct outdir *od = NULL;
    int rc = outdir_open(dir, 1, &od, d);
    if (!rc) rc = cluster_note(in, cluster_id, od, d);
    outdir_close(od);
    shared_drop();
    return rc;
}

/* ==== the school card (карточка ОО) =============================================================== */

static int card_run(const struct note_input *in, const char *school_id, const char *cluster_id,
              const char *dir, struct soko_diag *d)
{
    const struct note_school *s = school_of(in, school_id);
    if (!s) {
        soko_diag_add(d, NULL, 0, 0, _("no school '%s' in the registry (form schools)"), school_id);
        return SOKO_EUSAGE;
    }
    /* the school's clusters, the all-schools one aside */
    const char **own = NULL;
    size_t nown = 0;
    for (size_t i = 0; i < in->members->n; i++)
        if (strcmp(in->members->v[i].school_id, school_id) == 0 &&
            !all_schools_cluster(in, in->members->v[i].cluster_id))
            add_str(&own, &nown, in->members->v[i].cluster_id);
    const char *cluster = nown ? own[0] : NULL;
    if (cluster_id && *cluster_id) {
        cluster = NULL;
        for (size_t i = 0; i < nown; i++)
            if (strcmp(own[i], cluster_id) == 0) cluster = own[i];
        if (!cluster) {
            struct sbuf b = SBUF_INIT;
            for (size_t i = 0; i < nown; i++) sbuf_printf(&b, "%s%s", i ? ", " : "", own[i]);
            soko_diag_add(d, NULL, 0, 0, _("school '%s' is not in a thematic cluster '%s'; expected one of: %s"),
                          school_id, cluster_id, b.len ? b.s : _("(none)"));
            sbuf_free(&b);
            free(own);
            return SOKO_EUSAGE;
        }
    }
    struct outdir *od = NULL;
    int rc = outdir_open(dir, 1, &od, d);
    if (rc) {
        free(own);
        return rc;
    }
    const char *role = cluster ? role_of(in, cluster, school_id) : NULL;
    struct ctx c;
    ctx_init(&c, in, cluster);
    size_t me = 0;
    while (me < c.nsch && strcmp(c.sch[me], school_id) != 0) me++;
    struct finding solo;
    memset(&solo, 0, sizeof solo);
    const struct finding *f = me < c.nsch ? &c.f[me] : &solo;
    struct doc o;
    memset(&o, 0, sizeof o);
    o.D = page_new(T("Карточка ОО: %s", sname(in, school_id)),
                   T("%s · составлена %s · soko %s", window_text(in), keep(page_date(in->date)),
                     in->version));
    o.cb = chart_batch_new();
    o.tab = o.fig = 1;
    const struct note_spec *sp = in->spec;
    page_h(o.D, 1, "1. Общие сведения");
    struct sbuf others = SBUF_INIT;
    for (size_t i = 0; i < nown; i++)
        if (own[i] != cluster)
            sbuf_printf(&others, "%s«%s» (%s)", others.len ? ", " : "", cname(in, own[i]),
                        DN(in, "role", role_of(in, own[i], school_id)));
    page_p(o.D, NULL, "Код ОО: %s; вид: %s; профиль: %s. %s%s", school_id,
           s->kind && *s->kind ? DN(in, "kind", s->kind) : "не указан",
           s->profile && *s->profile ? DN(in, "profile", s->profile) : "не указан",
           cluster ? T("Кластер: «%s», роль ОО — %s. Показатели сравниваются с этим кластером и "
                       "районом.", cname(in, cluster), DN(in, "role", role))
                   : "ОО не входит в тематический кластер: показатели сравниваются с районом.",
           others.len ? T(" ОО входит также в %s %s.", nown > 2 ? "кластеры" : "кластер", others.s) : "");
    sbuf_free(&others);
    page_h(o.D, 1, "2. Ключевые показатели за %s", window_text(in));
    static const char *const head[] = {"Показатель", "Год", "ОО", "95% интервал", "n",
                                       "Кластер", "Район", "Сравнение с районом"};
    struct page_table *t = page_table(o.D, "key", caption(&o, "Показатели ОО, кластера и района"), 8, head);
    for (size_t j = 0; j < sp->n[NOTE_KEY]; j++) {
        const struct note_key *k = &sp->v[NOTE_KEY][j];
        for (int y = in->y0; y <= in->y1; y++) {
            const struct ind_row *r = krow(in, k, IND_SCHOOL, school_id, y);
            if (!r) continue;
            const struct ind_row *cr = cluster ? krow(in, k, IND_CLUSTER, cluster, y) : NULL;
            const struct ind_row *dr = krow(in, k, IND_DISTRICT, "", y);
            const struct ana_compare *cp = cmp_of(&c, r);
            page_row(t);
            page_cell(t, key_title(k));
            page_cell_val(t, y, PAGE_F_YEAR, T("%d", y), 0);
            cell_value(t, r, cp && cp->vs_district.verdict);
            cell_ci(t, r);
            cell_n(t, r);
            cell_value(t, cr, 0);
            cell_value(t, dr, 0);
            page_cell(t, cp ? vs_cell(k->ind, &cp->vs_district) : "—");
        }
    }
    page_h(o.D, 1, "3. Динамика");
    static const char *const th[] = {"Показатель", "ОО", "Кластер", "Район"};
    struct page_table *tt = page_table(o.D, "trends", caption(&o, T("Тренды за %s", window_text(in))), 4, th);
    size_t ncharts = 0;
    for (size_t j = 0; j < sp->n[NOTE_DYNAMICS]; j++) {
        const struct note_key *k = &sp->v[NOTE_DYNAMICS][j];
        if (!key_has_data(in, k)) continue;
        page_row(tt);
        page_cell(tt, key_title(k));
        page_cell(tt, trend_cell(trend_of(&c, k->ind, IND_SCHOOL, school_id, k->dim)));
        page_cell(tt, cluster ? trend_cell(trend_of(&c, k->ind, IND_CLUSTER, cluster, k->dim)) : "—");
        page_cell(tt, trend_cell(trend_of(&c, k->ind, IND_DISTRICT, "", k->dim)));
    }
    const char *one[1] = {school_id};
    for (size_t j = 0; j < sp->n[NOTE_DYNAMICS] && ncharts < 4; j++) {
        const struct note_key *k = &sp->v[NOTE_DYNAMICS][j];
        if (!krow(in, k, IND_SCHOOL, school_id, in->y1)) continue;
        const char *name = T("dyn_%s", key_id(k));
        dyn_chart(&o, &c, k, one, 1, name);
        page_chart(o.D, name, T("Рис. %d. %s: ОО, кластер, район (95-процентные интервалы)", o.fig++,
                                key_title(k)));
        ncharts++;
    }
    page_h(o.D, 1, "4. Сильные стороны и проблемы, %s", year_text(in->y1));
    if (cluster) {
        page_item(o.D, "Сильные стороны:", "%s.", f->ngood ? item_names(f->good, f->ngood, 6)
                                                          : "значимых преимуществ перед районом не выявлено");
        page_item(o.D, "Проблемы:", "%s.", f->nbad ? item_names(f->bad, f->nbad, 6)
                                                  : "значимых отставаний от района не выявлено");
        if (f->nworse) page_item(o.D, "Ухудшение:", "%s.", str_list(f->worse, f->nworse, 4));
        if (f->nbetter) page_item(o.D, "Улучшение:", "%s.", str_list(f->better, f->nbetter, 4));
    } else {
        page_p(o.D, NULL, "Сравнение по предметам составляется для ОО тематических кластеров.");
    }
    page_h(o.D, 1, "5. Отметки правил и рекомендации");
    size_t nf = 0;
    for (size_t k = 0; in->flags && k < in->flags->n; k++) {
        const struct rule_flag *fl = &in->flags->v[k];
        if (strcmp(fl->school_id, school_id) != 0) continue;
        nf++;
        page_h(o.D, 2, "%s", fl->rule->title);
        page_p(o.D, "Условие:", "%s; выполнено в %s.", rule_params(in, fl->rule),
               fl->years && *fl->years ? T("%s" NBSP "г.", fl->years) : window_text(in));
        if (fl->nev) flag_evidence(&o, in, fl);
    }
    if (!nf) page_p(o.D, NULL, "Правила района ОО не отметили.");
    page_h(o.D, 2, "Рекомендации");
    if (me < c.nsch) {
        school_recommendations(&o, &c, me);
    } else {
        for (size_t k = 0; in->flags && k < in->flags->n; k++) {
            const struct rule_flag *fl = &in->flags->v[k];
            if (strcmp(fl->school_id, school_id) == 0 && fl->recommendation)
                page_item(o.D, T("%s.", fl->rule->title), "%s", typo(fl->recommendation));
        }
        if (!nf) page_item(o.D, NULL, "Рекомендуется продолжать мониторинг по ключевым показателям.");
    }
    int no = 6;
    if (c.cluster && sec_tasks(&o, &c, no, school_id)) no++;
    sec_scores(&o, in, school_id, no);
    rc = write_all(o.D, o.cb, od, "card", in->docx, d);
    chart_batch_free(o.cb);
    page_free(o.D);
    ctx_free(&c);
    arena_free();
    outdir_close(od);
    free(own);
    return rc;
}

/* ==== the district report ================================================================== */

/* Directory names of the clusters' notes: the id transliterated, unique (a suffix
 * _2, _3 … on a collision). Caller frees each and the array. */
static char **cluster_dirs(const struct note_input *in)
{
    char **v = xcalloc(in->nclusters + 1, sizeof *v);
    for (size_t i = 0; i < in->nclusters; i++) {
        char *base = esc_translit(in->clusters[i].id);
        char *name = xstrdup(base);
        for (int k = 2;; k++) {
            int dup = strcmp(name, "tables") == 0;
            for (size_t j = 0; j < i && !dup; j++) dup = strcmp(v[j], name) == 0;
            if (!dup) break;
            free(name);
            name = xasprintf("%s_%d", base, k);
        }
        free(base);
        v[i] = name;
    }
    return v;
}

/* ------------------------------------------------- the district's own monitorings */

/* A breakdown value as the reader knows it: for an enum column of the form, the first
 * spelling of its value in the definition (the Russian one); else the value. */
static const char *mon_dim(const struct indicator *ind, int k, const char *v)
{
    if (!v) return "—";
    int j = form_col_index(ind->form, ind->dims[k]);
    const struct form_col *c = j >= 0 ? &ind->form->cols[j] : NULL;
    if (c && c->type == COL_ENUM)
        for (const struct enum_val *e = c->values; e && e->value; e++)
            if (strcmp(e->value, v) == 0 && e->aliases)
                return T("%.*s", (int)strcspn(e->aliases, "|"), e->aliases);
    return v;
}

static int same_dims(const struct ind_row *a, const struct ind_row *b)
{
    for (int k = 0; k < a->ind->ndims; k++) {
        const char *x = a->dim[k] ? a->dim[k] : "", *y = b->dim[k] ? b->dim[k] : "";
        if (strcmp(x, y) != 0) return 0;
    }
    return 1;
}

/* The row of ind for a unit and year with the breakdown of like (NULL: none). */
static const struct ind_row *mon_row(const struct note_input *in, const struct indicator *ind,
                                     enum ind_level lv, const char *unit, int year,
                                     const struct ind_row *like)
{
    shared_for(in);   /* the rows by hash, in the order of the results (row_of) */
    size_t b = row_hash(ind, lv, year, unit) & (sh.nb - 1);
    for (size_t i = sh.head[b]; i != (size_t)-1; i = sh.next[i]) {
        const struct ind_row *r = &in->res->v[i];
        if (r->ind == ind && r->level == lv && r->year == year && strcmp(r->unit, unit) == 0 &&
            (!like || same_dims(r, like)))
            return r;
    }
    return NULL;
}

/* A value of a monitoring's table: counts as whole numbers. */
static void mon_cell(struct page_table *t, const struct ind_row *r)
{
    if (usable(r) && r->ind->kind == IND_COUNT)
        page_cell_val(t, r->value, PAGE_F_INT, count(r->value), 0);
    else
        cell_value(t, r, 0);
}

/* Every form the district defined (defs/forms/): its indicators (those reading it, and
 * those of indicators/FORM.ini) for the district by year of the window, each
 * breakdown a row, and the schools' values in the last year.
 * Driven by the definitions alone: a new form with indicators gets its section. */
static void sec_monitorings(struct doc *o, const struct note_input *in)
{
    const struct form *const *all = forms_all();
    size_t nforms = 0;
    for (size_t i = 0; all[i]; i++) nforms += formdef_file(all[i]) != NULL;
    if (!nforms || !in->std_set) return;
    page_h(o->D, 1, "Мониторинги района");
    page_p(o->D, NULL, "Формы, которые район определил сам (файлы форм в папке forms "
                       "определений), и показатели по ним: значение района по годам %s и "
                       "значения ОО в %s. Пороги правил по этим показателям — в списках ОО "
                       "по правилам ниже.", window_text(in), year_text(in->y1));
    for (size_t fi = 0; all[fi]; fi++) {
        const struct form *f = all[fi];
        if (!formdef_file(f)) continue;
        const struct indicator *inds[64];
        size_t ni = 0;
        for (size_t i = 0; i < in->std_set->n && ni < 64; i++)
            if (in->std_set->v[i].form == f || formdef_named_by(in->std_set->v[i].file) == f)
                inds[ni++] = &in->std_set->v[i];
        if (!ni) continue;
        page_h(o->D, 2, "%s", f->title_ru);
        int any = 0;
        for (size_t i = 0; i < in->res->n && !any; i++)
            for (size_t k = 0; k < ni && !any; k++)
                any = in->res->v[i].ind == inds[k] && in->res->v[i].level == IND_DISTRICT &&
                      in->res->v[i].year >= in->y0 && in->res->v[i].year <= in->y1;
        if (!any) {
            page_p(o->D, NULL, "Данных за %s нет: форма «%s» в хранилище не заполнена "
                               "(пустой шаблон — soko template %s).", window_text(in),
                   f->title_ru, f->name);
            continue;
        }
        /* the district, year by year */
        int ny = in->y1 - in->y0 + 1;
        if (ny > 10) ny = 10;
        const char *head[13];
        head[0] = "Показатель";
        head[1] = "Разрез";
        for (int y = 0; y < ny; y++) head[2 + y] = year_text(in->y1 - ny + 1 + y);
        struct page_table *t = page_table(o->D, T("mon_%s", f->name),
                                          caption(o, T("%s: район, %s", f->title_ru,
                                                       window_text(in))),
                                          (size_t)ny + 2, head);
        for (size_t k = 0; k < ni; k++) {
            const struct indicator *ind = inds[k];
            /* each breakdown of the district once, in the order of the results */
            for (size_t i = 0; i < in->res->n; i++) {
                const struct ind_row *r = &in->res->v[i];
                if (r->ind != ind || r->level != IND_DISTRICT || r->year < in->y0 ||
                    r->year > in->y1)
                    continue;
                int seen = 0;
                for (size_t j = 0; j < i && !seen; j++) {
                    const struct ind_row *q = &in->res->v[j];
                    seen = q->ind == ind && q->level == IND_DISTRICT && q->year >= in->y0 &&
                           q->year <= in->y1 && same_dims(q, r);
                }
                if (seen) continue;
                struct sbuf dim = SBUF_INIT;
                for (int m = 0; m < ind->ndims; m++)
                    sbuf_printf(&dim, "%s%s", m ? ", " : "", mon_dim(ind, m, r->dim[m]));
                page_row(t);
                page_cell(t, T("%s%s", ind->title, *ind->unit ? T(", %s", ind->unit) : ""));
                page_cell(t, dim.len ? T("%s", dim.s) : "все");
                sbuf_free(&dim);
                for (int y = 0; y < ny; y++)
                    mon_cell(t, mon_row(in, ind, IND_DISTRICT, "", in->y1 - ny + 1 + y, r));
            }
        }
        /* the schools in the last year, the indicators without a breakdown */
        const struct indicator *flat[8];
        size_t nf = 0;
        for (size_t k = 0; k < ni && nf < 8; k++)
            if (!inds[k]->ndims) flat[nf++] = inds[k];
        if (!nf) continue;
        const char *shead[10];
        shead[0] = "ОО";
        shead[1] = "Код";
        for (size_t k = 0; k < nf; k++)
            shead[2 + k] = T("%s%s", flat[k]->title, *flat[k]->unit ? T(", %s", flat[k]->unit) : "");
        struct page_table *st = NULL;
        for (size_t i = 0; i < in->nschools; i++) {
            const char *id = in->schools[i].id;
            const struct ind_row *rs[8];
            int have = 0;
            for (size_t k = 0; k < nf; k++) {
                rs[k] = mon_row(in, flat[k], IND_SCHOOL, id, in->y1, NULL);
                have |= rs[k] != NULL;
            }
            if (!have) continue;
            if (!st)
                st = page_table(o->D, T("mon_%s_schools", f->name),
                                caption(o, T("%s: ОО, %s", f->title_ru, year_text(in->y1))),
                                nf + 2, shead);
            page_row(st);
            page_cell(st, sname(in, id));
            page_cell(st, id);
            for (size_t k = 0; k < nf; k++) mon_cell(st, rs[k]);
        }
        if (!st)
            page_p(o->D, NULL, "Значений ОО за %s нет.", year_text(in->y1));
    }
}

/* ==== the notes of a report, in parallel ================================================== */

#define NOTE_MAX_JOBS 64

/* How many processes write the notes: $SOKO_JOBS, else one per online core; at most
 * NOTE_MAX_JOBS and one per note. */
static int note_jobs(size_t nnotes)
{
    long j;
    const char *e = getenv("SOKO_JOBS");
    if (e && *e) {
        char *end;
        j = strtol(e, &end, 10);
        if (*end || j < 1) j = 1;
    } else {
        j = sysconf(_SC_NPROCESSORS_ONLN);
    }
    if (j > NOTE_MAX_JOBS) j = NOTE_MAX_JOBS;
    if ((size_t)j > nnotes) j = (long)nnotes;
    return j < 1 ? 1 : (int)j;
}

static int one_note(const struct note_input *in, struct outdir *od, const char *dir, size_t i,
                    struct soko_diag *d)
{
    struct outdir *sub = NULL;
    int rc = outdir_sub(od, dir, &sub, d);
    if (!rc) rc = cluster_note(in, in->clusters[i].id, sub, d);
    outdir_close(sub);
    return rc;
}

static int write_full(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Every cluster's note. With more than one job, worker w (a forked process) writes
 * the notes w, w + jobs, ... — each note depends only on in, so the files are the same
 * bytes as a serial run's. The analyses every note shares are computed first, here,
 * and inherited. A worker stops at its first failure and sends the parent "rc index\n"
 * and its messages, each ended by '\0'; the failure of the first note in cluster
 * order is reported, as a serial run would. The workers run no SQL: everything was
 * read before (cli_note.c). */
static int all_notes(const struct note_input *in, struct outdir *od, char **dirs,
                     struct soko_diag *d)
{
    size_t n = in->nclusters;
    int jobs = note_jobs(n), rc = SOKO_OK;
    if (jobs <= 1) {
        for (size_t i = 0; i < n && !rc; i++) rc = one_note(in, od, dirs[i], i, d);
        return rc;
    }
    shared_trends(in);
    pid_t pid[NOTE_MAX_JOBS];
    int fd[NOTE_MAX_JOBS], started = 0;
    fflush(NULL);
    for (int w = 0; w < jobs; w++) {
        int p[2];
        if (pipe(p) != 0) {
            soko_diag_add(d, NULL, 0, 0, _("cannot start a worker for the notes: %s"), strerror(errno));
            rc = SOKO_EIO;
            break;
        }
        pid_t k = fork();
        if (k < 0) {
            soko_diag_add(d, NULL, 0, 0, _("cannot start a worker for the notes: %s"), strerror(errno));
            close(p[0]);
            close(p[1]);
            rc = SOKO_EIO;
            break;
        }
        if (k == 0) {
            close(p[0]);
            for (int q = 0; q < started; q++) close(fd[q]);
            struct soko_diag cd;
            soko_diag_init(&cd, d->limit);
            int crc = SOKO_OK;
            size_t at = 0;
            for (size_t i = (size_t)w; i < n && !crc; i += (size_t)jobs) {
                at = i;
                crc = one_note(in, od, dirs[i], i, &cd);
            }
            int bad = 0;
            if (crc) {
                char head[64];
                int len = snprintf(head, sizeof head, "%d %zu\n", crc, at);
                bad |= write_full(p[1], head, (size_t)len);
                for (size_t m = 0; m < cd.nmsgs; m++)
                    bad |= write_full(p[1], cd.msgs[m], strlen(cd.msgs[m]) + 1);
            }
            close(p[1]);
            _exit(crc || bad ? 1 : 0);   /* no atexit, no stdio of the parent's */
        }
        close(p[1]);
        pid[started] = k;
        fd[started++] = p[0];
    }
    /* the first failing note in cluster order, with its messages */
    size_t first = (size_t)-1;
    int first_rc = SOKO_OK;
    char *first_msgs = NULL;
    size_t first_len = 0;
    for (int w = 0; w < started; w++) {
        struct sbuf b = SBUF_INIT;
        char buf[4096];
        for (;;) {
            ssize_t r = read(fd[w], buf, sizeof buf);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            sbuf_add(&b, buf, (size_t)r);
        }
        close(fd[w]);
        int status = 0;
        while (waitpid(pid[w], &status, 0) < 0 && errno == EINTR) {}
        int wrc = 0;
        size_t at = 0;
        char *nl = b.len ? memchr(b.s, '\n', b.len) : NULL;
        if (nl && sscanf(b.s, "%d %zu", &wrc, &at) == 2 && wrc) {
            if (at < first) {
                first = at;
                first_rc = wrc;
                free(first_msgs);
                first_len = b.len - (size_t)(nl + 1 - b.s);
                first_msgs = xmalloc(first_len + 1);
                memcpy(first_msgs, nl + 1, first_len);
                first_msgs[first_len] = '\0';
            }
        } else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            if ((size_t)w < first) {
                first = (size_t)w;
                first_rc = SOKO_EIO;
                free(first_msgs);
                first_msgs = xasprintf("a worker writing the notes stopped (%s %d)",
                                       WIFEXITED(status) ? "exit status" : "signal",
                                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                first_len = strlen(first_msgs) + 1;
            }
        }
        sbuf_free(&b);
    }
    if (first != (size_t)-1) {
        for (size_t o = 0; o < first_len;) {
            const char *m = first_msgs + o;
            size_t l = strnlen(m, first_len - o);
            if (l) soko_diag_add(d, NULL, 0, 0, _("%s"), m);
            o += l + 1;
        }
        free(first_msgs);
        if (!rc) rc = first_rc;
    }
    return rc;
}

static int report_run(const struct note_input *in, const char *dir, struct soko_diag *d)
{
    struct outdir *od = NULL;
    int rc = outdir_open(dir, 1, &od, d);
    if (rc) return rc;
    char **dirs = cluster_dirs(in);
    /* every cluster's note first (each uses and frees the arena) */
    rc = all_notes(in, od, dirs, d);
    if (rc) {
        for (size_t i = 0; i < in->nclusters; i++) free(dirs[i]);
        free(dirs);
        outdir_close(od);
        return rc;
    }
    struct ctx c;
    ctx_init(&c, in, NULL);
    struct doc o;
    memset(&o, 0, sizeof o);
    o.D = page_new("Результаты района: кластеры и списки ОО по правилам",
                   T("%s · составлено %s · soko %s", window_text(in), keep(page_date(in->date)),
                     in->version));
    o.cb = chart_batch_new();
    o.tab = o.fig = 1;
    const struct note_spec *sp = in->spec;
    size_t nk = sp->n[NOTE_KEY];
    page_h(o.D, 1, "Аналитические справки кластеров");
    for (size_t i = 0; i < in->nclusters; i++)
        page_link(o.D, T("%s (%zu ОО)", cname(in, in->clusters[i].id), cluster_size(in, in->clusters[i].id)),
                  T("%s/note.html", dirs[i]));
    const char **rows = xcalloc(in->nclusters + 1, sizeof *rows);
    double *z = xcalloc((in->nclusters + 1) * (nk + 1), sizeof *z);
    const char **cols = xcalloc(nk + 1, sizeof *cols);
    for (size_t j = 0; j < nk; j++) cols[j] = key_short(in, &sp->v[NOTE_KEY][j]);
    for (size_t i = 0; i < in->nclusters; i++) {
        const char *n = cname(in, in->clusters[i].id);
        rows[i] = strlen(n) > 60 ? T("%.*s…", (int)(strchr(n + 50, ' ') ? strchr(n + 50, ' ') - n : 50), n) : n;
        struct ana_compares cc = {NULL, 0, 0};
        struct ana_compare_opts op;
        memset(&op, 0, sizeof op);
        op.window.y0 = op.window.y1 = in->y1;
        shared_for(in);
        op.cache = sh.cache;
        ana_compare(in->res, in->members, in->clusters[i].id, &op, &cc);
        for (size_t j = 0; j < nk; j++) {
            const struct note_key *k = &sp->v[NOTE_KEY][j];
            const struct ind_row *r = krow(in, k, IND_CLUSTER, in->clusters[i].id, in->y1);
            double v = NAN;
            for (size_t m = 0; m < cc.n; m++)
                if (cc.v[m].row == r) v = cc.v[m].vs_district.z;
            z[i * nk + j] = k->ind->lower_is_better ? -v : v;
        }
        ana_compares_free(&cc);
    }
    for (size_t p = 0; p < chart_parts(in->nclusters); p++) {
        size_t first = p * CHART_MAX_ROWS;
        const char *name = part_name("overview", p);
        chart_heatmap(o.cb, name, T("Кластеры и район, z-оценки, %s", year_text(in->y1)),
                      rows + first, part_len(in->nclusters, p), cols, nk, z + first * nk);
        page_chart(o.D, name, T("Рис. %d. Кластеры в целом против района по ключевым показателям, "
                                "%s (z-оценка объединённого значения кластера; синий — лучше "
                                "района, красный — хуже)%s", o.fig++, year_text(in->y1),
                                part_caption(in->nclusters, p, "кластеры")));
    }
    free(rows);
    free(z);
    free(cols);
    sec_monitorings(&o, in);
    page_h(o.D, 1, "Списки ОО по правилам района");
    if (in->rules && in->flags) {
        for (size_t k = 0; k < in->rules->n; k++) {
            const struct rule *r = &in->rules->v[k];
            if (is_task_rule(r)) continue;      /* below: the district's task difficulties */
            page_h(o.D, 2, "%s", r->title);
            static const char *const head[] = {"Место", "ОО", "Код", "Кластер", "Годы", "Процедур"};
            size_t nf = 0;
            struct page_table *t = NULL;
            for (size_t i = 0; i < in->flags->n; i++) {
                const struct rule_flag *f = &in->flags->v[i];
                if (f->rule != r) continue;
                if (!nf++)
                    t = page_table(o.D, T("list_%s", r->id),
                                   caption(&o, T("%s (%s)", r->title, rule_params(in, r))), 6, head);
                /* the school's thematic clusters, never the cluster of all schools */
                struct sbuf cl = SBUF_INIT;
                for (size_t m = 0; m < in->members->n; m++)
                    if (strcmp(in->members->v[m].school_id, f->school_id) == 0 &&
                        !all_schools_cluster(in, in->members->v[m].cluster_id))
                        sbuf_printf(&cl, "%s%s", cl.len ? "; " : "", cname(in, in->members->v[m].cluster_id));
                page_row(t);
                page_cell_val(t, f->rank, PAGE_F_INT, T("%d", f->rank), 0);
                page_cell(t, sname(in, f->school_id));
                page_cell(t, f->school_id);
                page_cell(t, cl.len ? cl.s : "—");
                page_cell(t, f->years ? f->years : "");
                page_cell_rank(t, (double)f->nproc, (double)f->nevaluated,
                               T("%zu из %zu", f->nproc, f->nevaluated));
                sbuf_free(&cl);
            }
            if (!nf) page_p(o.D, NULL, "ОО, отмеченных этим правилом, нет (%s).", rule_params(in, r));
        }
    } else {
        page_p(o.D, NULL, "Правила района не загружены.");
    }
    district_difficulties(&o, in);
    rc = write_all(o.D, o.cb, od, "index", in->docx, d);
    chart_batch_free(o.cb);
    page_free(o.D);
    ctx_free(&c);
    arena_free();
    for (size_t i = 0; i < in->nclusters; i++) free(dirs[i]);
    free(dirs);
    outdir_close(od);
    return rc;
}

/* The entry points that share work (shared_for) drop it when they are done. */
int note_card(const struct note_input *in, const char *school_id, const char *cluster_id,
              const char *dir, struct soko_diag *d)
{
    int rc = card_run(in, school_id, cluster_id, dir, d);
    shared_drop();
    return rc;
}

int note_report(const struct note_input *in, const char *dir, struct soko_diag *d)
{
    int rc = report_run(in, dir, d);
    shared_drop();
    return rc;
}
