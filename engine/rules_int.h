/*
 * rules_int.h — what the parts of the rule engine share (not a public interface).
 *
 * rules.c is split along its stages: rules_load.c reads and checks a rule file,
 * rules_kinds.c holds the kind descriptors and their evaluation, rules_decide.c turns
 * the items of a rule into flags (patterns over years, partial-conjunction p-values,
 * the district-level error control, ranking), rules_text.c puts evidence and
 * recommendations into words, rules.c runs the whole evaluation and rules_calib.c the
 * null districts. The items are the currency between them: one school, procedure and
 * year with whether the kind's condition holds, its p-value and the figures.
 */
#ifndef SOKO_RULES_INT_H
#define SOKO_RULES_INT_H

#include "rules.h"

/* One school, procedure and year with the figures that decided it. */
struct rule_item {
    const char *school;            /* borrowed from the inputs */
    char *proc;                    /* procedure key (owned) */
    const struct indicator *ind;   /* for min_indicators; NULL: one per kind */
    int year;
    int ok;                        /* the condition holds */
    double p;                      /* one-sided p-value of the item's test (NaN: none) */
    struct rule_ev ev;             /* what, detail owned until moved into a flag */
};

struct rule_items {
    struct rule_item *v;
    size_t n, cap;
};

/* Rows by (indicator, level, unit, breakdown, year), for lookups across indicators. */
struct rule_index {
    const struct ind_row **v;
    size_t n;
};

/* What a kind's evaluate gets: the rule, the inputs, the window; it appends items. */
struct rule_eval {
    const struct rule *r;
    const struct rules_input *in;
    const struct rule_index *ix;
    int y0, y1;
    struct rule_items *items;
};

/* --- items (rules.c) ---------------------------------------------------------------- */
struct rule_item *rule_item_new(struct rule_items *it, const char *school, const char *proc,
                                const struct indicator *ind, int year);
void rule_items_free(struct rule_items *it);
/* An item for a school row of an indicator: what, value, n and the district value. */
struct rule_item *rule_row_item(struct rule_eval *c, const struct ind_row *row);
/* The row usable by the rule: a school row of one of its indicators in the window,
 * passing its breakdown filters and min_n. */
int rule_row_in(const struct rule_eval *c, const struct ind_row *row);
int rule_usable(const struct ind_row *r);
int rule_has_ind(const struct rule *r, const struct indicator *ind);
int rule_where_ok(const struct rule *r, const struct indicator *ind, const char *const *dim);
const char *rule_label_of(const struct rule *r, const char *key);
char *rule_what(const struct rule *r, const struct indicator *ind, const char *const *dim);
char *rule_proc_key(const struct indicator *ind, const char *const *dim);
const struct ind_row *rule_index_find(const struct rule_index *x, const struct indicator *ind,
                                      enum ind_level level, const char *unit,
                                      const struct ind_row *like, int year);
void rule_index_build(struct rule_index *x, const struct ind_results *r);
int rule_natural_cmp(const char *a, const char *b);
int rule_str_eq(const char *a, const char *b);
int rule_op_holds(double v, enum rule_op op, double t);
const char *rule_op_text(enum rule_op op);

/* The cells' overdispersion over [y0, y1] for rule r (RK_OD), as compare_eval estimates
 * it (rules_kinds.c): appends one entry per cell (indicator, year, breakdown). */
void rule_od_cells(const struct rule *r, const struct rules_input *in, int y0, int y1,
                   struct rules_methods *out);

/* --- deciding (rules_decide.c) ------------------------------------------------------- */
/* Decides every school of the items; allowed (may be NULL) limits the schools. Appends
 * the rule's flags to out, ranked, with their recommendations rendered. */
void rule_decide(const struct rule *r, struct rule_items *it, int y0, int y1,
                 const struct rules_input *in, const char *const *allowed, size_t nallowed,
                 struct rule_flags *out);
/* Partial conjunction (Benjamini & Heller 2008, Bonferroni form): a p-value for "at
 * least u of the m hypotheses are false" from their p-values: (m − u + 1)·p_(u),
 * capped at 1; 1 when u > m. p is sorted in place. */
double rule_pc(double *p, size_t m, size_t u);

/* --- words (rules_text.c) ------------------------------------------------------------ */
char *rule_ru_num(double x, int decimals);   /* decimal comma, "—" for NaN */
char *rule_ru_p(double p);                   /* "p = 0,0012", "p < 0,0001" */
char *rule_render(const struct rule_flag *f);
/* what, year: value (n; район) [; граница; z; p; detail] */
char *rule_ev_default(const struct rule *r, const struct rule_ev *e, int full);
/* what, year: detail [; p] */
char *rule_ev_detail(const struct rule *r, const struct rule_ev *e, int full);
void rule_flag_free(struct rule_flag *x);

#endif
