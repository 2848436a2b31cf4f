/*
 * tasks.h — task-level analysis of ВПР works (поэлементный анализ): completion of each
 * task of a work's plan by schools, clusters and the district, against the region and
 * Russia, and the findings the task rules of the rule file draw from it (deficits,
 * common problems of a cluster, particular problems of a school, district-wide
 * difficulties, the district below the region or Russia), with their persistence.
 *
 * Takes: a work's plan, the schools' task rows, the reference figures and the cluster
 *   membership — as arrays (tasks_compute: what the unit tests build by hand) or from a
 *   store (tasks_run, on a read-only connection: tables vpr_plan, vpr_tasks,
 *   vpr_reference_tasks, clusters, schools) — and the task rules of a rule set (the
 *   kinds with RK_TASKS, rules_kinds.c; docs/rules.md): their levels, share, alpha,
 *   min_n and recommendation templates. A kind the rule file does not name finds
 *   nothing: no threshold lives in C.
 * Method (docs/analysis.md, «Задания»):
 *   completion of a unit = Σ points / Σ (max_score × participants) over its schools —
 *     pooled, never a mean of the schools' percentages;
 *   the clustering of pupils in schools: φ, the overdispersion of the schools' task
 *     completions around the district's (stats_overdispersion, multiplicative,
 *     Spiegelhalter's winsorised estimate made consistent; applied when its test says
 *     the schools vary beyond chance, else 1), is the design effect: a unit's interval
 *     is Wilson's for Σpoints/φ of Σ(max × n)/φ, and a school's z against the rest of
 *     the district is widened by √φ;
 *   a cluster against the district: the schools are the units (stats_group_vs_rest:
 *     weighted least squares of the schools' completions on membership, t with I − 2
 *     df), so a big school does not count as many independent pupils;
 *   the district against the region or Russia: z = (P − R) / √(φ·R(1 − R) / Σ(max × n)),
 *     R the reference completion (a given figure, no error of its own).
 *   Every p-value is one-sided (below). Nothing is said about a unit that fewer than
 *   the rule's min_n pupils wrote (its figure is shown as suppressed, NaN).
 * Gives: struct task_result — per work and task (plan order), the unit figures and the
 *   findings, each with its kind, unit, figures, p-value, the consecutive years it
 *   held and its rendered recommendation.
 * Ownership: task_result owns everything in it (tasks_free); inputs are borrowed
 *   during the call, rules must outlive the result (findings point at them).
 * Errors: tasks_run gives SOKO_EDB with the store's message; tasks_compute cannot fail.
 */
#ifndef SOKO_TASKS_H
#define SOKO_TASKS_H

#include "rules.h"
#include "soko.h"

#include <sqlite3.h>
#include <stddef.h>

enum task_level { TASK_BASIC, TASK_ADVANCED, TASK_HIGH };
enum task_ref { TASK_REF_RUSSIA, TASK_REF_REGION, TASK_REF_DISTRICT };
enum task_unit { TASK_SCHOOL, TASK_CLUSTER, TASK_DISTRICT };

/* --- inputs (borrowed) --------------------------------------------------------- */

struct task_plan_in {
    int year, grade;
    const char *subject, *task, *skill, *code;   /* code may be NULL */
    int max_score;
    enum task_level level;
};

struct task_row_in {              /* a school's completion of a task */
    int year, grade;
    const char *subject, *task, *school;
    double participants, points;
};

struct task_ref_in {              /* a reference completion, % */
    int year, grade;
    const char *subject, *task;
    enum task_ref level;
    double completion;
};

struct task_member_in {
    const char *cluster, *school;
};

struct task_input {
    const struct task_plan_in *plan;
    size_t nplan;
    const struct task_row_in *rows;
    size_t nrows;
    const struct task_ref_in *refs;
    size_t nrefs;
    const struct task_member_in *members;
    size_t nmembers;
    /* names for the recommendations (parallel arrays, may be empty) */
    const char *const *school_ids, *const *school_names;
    size_t nschools;
    const char *const *cluster_ids, *const *cluster_names;
    size_t nclusters;
};

/* The parameters of the task rules, read from a rule set (tasks_params). A rule kind
 * absent from the rule set leaves its rule NULL and finds nothing. */
struct task_params {
    const struct rule *deficit, *common, *particular, *district, *reference, *persistent;
    double level[3];      /* deficit: completion below these % by task level */
    double alpha;         /* deficit: or significantly below the district (NaN: no test) */
    double min_n;         /* the fewest pupils a figure is said about (every task rule) */
    double share;         /* common: share of the cluster's schools with the deficit */
    double ref_alpha;     /* reference: the district significantly below, one-sided */
    int persist_years;    /* persistent: consecutive years that make a finding persistent */
};

/* Fills p from the task rules of rs (the first rule of each task kind). */
void tasks_params(const struct rule_set *rs, struct task_params *p);

/* --- outputs -------------------------------------------------------------------- */

struct task_fig {                 /* one unit's completion of one task */
    enum task_unit unit_kind;
    char *unit;                   /* school or cluster id; "" for the district */
    double n;                     /* participants (pupils) */
    double points, possible;      /* Σ points, Σ max × participants */
    double value;                 /* completion %, NaN when n < min_n or nobody wrote it */
    double lo, hi;                /* its 95 % interval (design effect φ), NaN when none */
    double p_below;               /* one-sided p of being below the district (school:
                                     against the rest of the district; cluster: schools
                                     as units), NaN for the district or when untested */
};

enum task_finding_kind {
    TF_DEFICIT, TF_COMMON, TF_PARTICULAR, TF_DISTRICT, TF_BELOW_REGION, TF_BELOW_RUSSIA
};
const char *task_finding_name(enum task_finding_kind k);   /* "deficit", "common_problem" ... */

struct task_finding {
    enum task_finding_kind kind;
    const struct rule *rule;
    enum task_unit unit_kind;
    char *unit;                   /* school or cluster id, "" for the district */
    char *cluster;                /* particular problems: the cluster that does not share it */
    size_t task;                  /* index into task_result.tasks */
    double completion;            /* the unit's, % */
    double n;
    double p;                     /* the one-sided p-value that decided it, NaN: by level */
    int schools, of_schools;      /* common problems: schools with the deficit, of those
                                     with enough pupils */
    int run;                      /* consecutive years up to this one it held (>= 1) */
    int persistent;               /* run >= the persistent rule's years */
    char *recommendation;         /* rendered, "" when the rule has no template */
};

struct task_task {                /* one task of one work, with its figures */
    int year, grade;
    char *subject, *task, *skill, *code;
    int max_score;
    enum task_level level;
    double threshold;             /* the deficit level for its task level, % (NaN: none) */
    double phi;                   /* the design effect used (1: none) */
    double region, russia, district_ref;   /* reference completions %, NaN when none */
    double p_region, p_russia;    /* one-sided p of the district below them, NaN */
    struct task_fig district;
    struct task_fig *schools, *clusters;
    size_t nschools, nclusters;
    size_t *member_at, *member_of;  /* the schools of clusters[c]: schools[member_of[k]]
                                     for k in [member_at[c], member_at[c + 1]) (the last
                                     cluster's end is nmember) */
    size_t nmember;
    size_t f0, f1;                /* its findings: task_result.findings[f0 .. f1) */
};

/* A work's marks distribution (shares of «2»..«5», %) for a unit or a reference level:
 * the district and the clusters pooled from the schools' vpr rows (Σ counts / Σ
 * participants), Russia, the region (and the municipality as typed) from
 * vpr_reference. Read by tasks_run only (tasks_compute leaves them empty). */
enum task_marks_level { TM_CLUSTER, TM_DISTRICT, TM_REGION, TM_RUSSIA, TM_DISTRICT_REF };
struct task_marks {
    int year, grade;
    char *subject;
    enum task_marks_level level;
    char *unit;                   /* the cluster id; "" otherwise */
    double share[4];              /* % of «2», «3», «4», «5» */
    double n;                     /* participants (NaN when not given) */
};

struct task_result {
    struct task_task *tasks;
    size_t ntasks;
    struct task_finding *findings;    /* by task, then kind, unit */
    size_t nfindings;
    struct task_marks *marks;         /* by year, grade, subject, level, unit */
    size_t nmarks;
};

/* The marks of a work at a level (unit: the cluster id, else ignored), or NULL. */
const struct task_marks *task_marks_of(const struct task_result *r, int year, int grade,
                                       const char *subject, enum task_marks_level level,
                                       const char *unit);

/* Pure: computes every task of in->plan and the findings of p. */
void tasks_compute(const struct task_input *in, const struct task_params *p,
                   struct task_result *out);

/* Reads the store (every year up to y1, 0: open) and computes; the findings of years
 * before y0 (0: none) are dropped — those years are read for persistence only. */
int tasks_run(sqlite3 *db, const struct rule_set *rs, int y0, int y1, struct task_result *out,
              struct soko_diag *d);

void tasks_free(struct task_result *r);

/* The level of a task in Russian words («базовый») and letter («Б»). */
const char *task_level_ru(enum task_level l);
const char *task_level_letter(enum task_level l);

/* Task labels in the order of the work: numbers by value, then what follows them
 * ("2" < "2.1" < "2K1" < "10"). */
int task_label_cmp(const char *a, const char *b);

/* The figure of a unit of a task, or NULL (school and cluster by id). */
const struct task_fig *task_fig_of(const struct task_task *t, enum task_unit k, const char *unit);

#endif
