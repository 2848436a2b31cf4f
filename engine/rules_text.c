/*
 * rules_text.c — flags in words: numbers as Russian text, one piece of evidence, the
 * rule's condition and error control, and the recommendation templates (contract in
 * rules.h; the placeholders in docs/rules.md).
 */
#include "rules_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Russian number: decimal comma, trailing zeros trimmed. */
/* Russian number: decimal comma, trailing zeros trimmed, the minus sign − (U+2212). */
char *rule_ru_num(double x, int decimals)
{
    if (!isfinite(x)) return xstrdup("—");
    char *s = num_trimmed(x, decimals);
    char *dot = strchr(s, '.');
    if (dot) *dot = ',';
    if (s[0] == '-') {
        char *t = xasprintf("−%s", s + 1);
        free(s);
        s = t;
    }
    return s;
}

/* "p = 0,0012", "p < 0,0001", "p не определено" */
char *rule_ru_p(double p)
{
    if (!isfinite(p)) return xstrdup("p не определено");
    if (p < 0.0001) return xstrdup("p < 0,0001");
    char *s = xasprintf("p = %.4f", p);
    char *dot = strchr(s, '.');
    if (dot) *dot = ',';
    return s;
}

void rule_flag_free(struct rule_flag *x)
{
    free(x->school_id);
    free(x->school_name);
    free(x->years);
    for (size_t i = 0; i < x->nev; i++) {
        free(x->ev[i].what);
        free(x->ev[i].detail);
    }
    free(x->ev);
    free(x->recommendation);
}

/* "Математика, 5 кл., 2025: 12,5 % (n = 48; район 8,1)"; full: "...; граница 9,3;
 * z = 2,8; p = 0,0021; ..." */
char *rule_ev_default(const struct rule *r, const struct rule_ev *e, int full)
{
    (void)r;
    const char *unit = e->ind && e->ind->unit ? e->ind->unit : "";
    char *v = rule_ru_num(e->value, 1), *ref = rule_ru_num(e->ref, 1), *n = rule_ru_num(e->n, 0);
    struct sbuf b = SBUF_INIT;
    sbuf_printf(&b, "%s, %d: %s%s%s (n = %s; район %s)", e->what, e->year, v,
                *unit ? "\xC2\xA0" : "", unit, n, ref);   /* a non-breaking space */
    if (full) {
        if (isfinite(e->limit)) {
            char *l = rule_ru_num(e->limit, 2);
            sbuf_printf(&b, "; граница %s", l);
            free(l);
        }
        if (isfinite(e->stat)) {
            char *z = rule_ru_num(e->stat, 2);
            sbuf_printf(&b, "; z = %s", z);
            free(z);
        }
        if (isfinite(e->p)) {
            char *pp = rule_ru_p(e->p);
            sbuf_printf(&b, "; %s", pp);
            free(pp);
        }
        if (e->detail) sbuf_printf(&b, "; %s", e->detail);
    }
    free(v);
    free(ref);
    free(n);
    return sbuf_take(&b);
}

/* "Математика, 5 кл., 2026: 2025 → 2026: 50 → 65 (+15; район +1)" */
char *rule_ev_detail(const struct rule *r, const struct rule_ev *e, int full)
{
    (void)r;
    struct sbuf b = SBUF_INIT;
    sbuf_printf(&b, "%s, %d: %s", e->what, e->year, e->detail ? e->detail : "");
    if (full && isfinite(e->p) && !(e->detail && (strstr(e->detail, "p = ") || strstr(e->detail, "p < ")))) {
        char *pp = rule_ru_p(e->p);
        sbuf_printf(&b, "; %s", pp);
        free(pp);
    }
    return sbuf_take(&b);
}

char *rule_ev_text(const struct rule_flag *f, const struct rule_ev *e, int full)
{
    return f->rule->kind->evidence(f->rule, e, full);
}

const char *rule_ev_source(const struct rule_flag *f, const struct rule_ev *e)
{
    if (e->ind) return e->ind->id;
    return f->rule->kind->source ? f->rule->kind->source(f->rule) : "";
}

char *rule_condition(const struct rule *r)
{
    return r->kind->condition(r);
}

char *rule_control_text(const struct rule *r)
{
    char *l = rule_ru_num(100.0 * r->level, 2);
    char *s;
    switch (r->control) {
    case CONTROL_FDR:
        s = xasprintf("доля ложных отметок среди ОО района не выше %s  %% (метод Бенджамини — "
                      "Хохберга)", l);
        break;
    case CONTROL_FWER:
        s = xasprintf("вероятность хотя бы одной ложной отметки по району не выше %s  %% "
                      "(метод Холма)", l);
        break;
    default:
        s = xstrdup(r->kind->flags & RK_TESTS && isfinite(r->alpha)
                        ? "без поправки на множественность сравнений"
                        : "пороговое правило, без статистического критерия");
    }
    free(l);
    return s;
}

static void add_distinct(struct sbuf *b, const char *s, const char *sep)
{
    if (!s || !*s) return;
    /* already there as a whole item? */
    size_t n = strlen(s), sl = strlen(sep);
    for (const char *p = b->s ? b->s : ""; (p = strstr(p, s)) != NULL; p++) {
        int start = p == b->s || (p - b->s >= (long)sl && strncmp(p - sl, sep, sl) == 0);
        int end = p[n] == '\0' || strncmp(p + n, sep, sl) == 0;
        if (start && end) return;
    }
    if (b->len) sbuf_adds(b, sep);
    sbuf_adds(b, s);
}

/* Items a recommendation lists before "и ещё N": the full evidence is in soko flags. */
#define RENDER_ITEMS 6

char *rule_render(const struct rule_flag *f)
{
    const struct rule *r = f->rule;
    int reads_flags = (r->kind->flags & RK_FLAGS) != 0;
    struct sbuf procs = SBUF_INIT, inds = SBUF_INIT, vals = SBUF_INIT, facs = SBUF_INIT;
    /* {procedures}: grouped by indicator, "Title: a; b; c" */
    char *done = xcalloc(f->nev + 1, 1);
    for (size_t i = 0; i < f->nev; i++) {
        if (done[i]) continue;
        const struct indicator *ind = f->ev[i].ind;
        struct sbuf one = SBUF_INIT;
        size_t shown = 0, more = 0;
        for (size_t k = i; k < f->nev; k++) {
            if (f->ev[k].ind != ind) continue;
            done[k] = 1;
            size_t before = one.len;
            if (shown < RENDER_ITEMS) add_distinct(&one, f->ev[k].what, "; ");
            else if (!strstr(one.s ? one.s : "", f->ev[k].what ? f->ev[k].what : "")) more++;
            if (one.len != before) shown++;
        }
        if (more) sbuf_printf(&one, " и ещё %zu", more);
        if (procs.len) sbuf_adds(&procs, "; ");
        if (ind && !reads_flags) sbuf_printf(&procs, "%s — %s", ind->title, one.s ? one.s : "");
        else sbuf_adds(&procs, one.s ? one.s : "");
        sbuf_free(&one);
    }
    free(done);
    for (size_t i = 0; i < f->nev; i++) {
        const struct rule_ev *e = &f->ev[i];
        if (e->ind) add_distinct(&inds, e->ind->title, "; ");
        if (reads_flags) add_distinct(&facs, e->what, ", ");
        if (i < RENDER_ITEMS) {
            char *t = r->kind->evidence(r, e, 0);
            sbuf_printf(&vals, "%s%s", vals.len ? "; " : "", t);
            free(t);
        }
    }
    if (f->nev > RENDER_ITEMS) sbuf_printf(&vals, " и ещё %zu", f->nev - RENDER_ITEMS);
    if (!inds.len && (r->kind->flags & RK_WORKS))
        sbuf_adds(&inds, "распределение первичных баллов ВПР");
    if (!inds.len && r->model) sbuf_adds(&inds, r->model->title ? r->model->title : r->model->id);
    struct sbuf out = SBUF_INIT;
    for (const char *p = r->recommendation; *p; p++) {
        const char *e = *p == '{' ? strchr(p, '}') : NULL;
        if (!e) {
            sbuf_addc(&out, *p);
            continue;
        }
        size_t len = (size_t)(e - p - 1);
#define PH(name) (len == strlen(name) && strncmp(p + 1, name, len) == 0)
        if (PH("school")) sbuf_adds(&out, f->school_id);
        else if (PH("school_name")) sbuf_adds(&out, *f->school_name ? f->school_name : f->school_id);
        else if (PH("rule")) sbuf_adds(&out, r->title);
        else if (PH("window")) sbuf_printf(&out, "%d–%d", f->y0, f->y1);
        else if (PH("years")) sbuf_adds(&out, f->years);
        else if (PH("count")) sbuf_printf(&out, "%zu", f->nproc);
        else if (PH("evaluated")) sbuf_printf(&out, "%zu", f->nevaluated);
        else if (PH("procedures")) sbuf_adds(&out, procs.s ? procs.s : "");
        else if (PH("indicators")) sbuf_adds(&out, inds.s ? inds.s : "");
        else if (PH("values")) sbuf_adds(&out, vals.s ? vals.s : "");
        else if (PH("factors")) sbuf_adds(&out, facs.s ? facs.s : "");
        else if (PH("rank")) sbuf_printf(&out, "%d", f->rank);
        else sbuf_add(&out, p, len + 2);    /* checked at load: cannot happen */
#undef PH
        p = e;
    }
    sbuf_free(&procs);
    sbuf_free(&inds);
    sbuf_free(&vals);
    sbuf_free(&facs);
    return sbuf_take(&out);
}
