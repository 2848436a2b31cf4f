/*
 * note.h — the analytical note of a cluster (аналитическая справка, seed 000 item 2.2),
 * the card of one school (карточка ОО), and the district report (index of clusters, the lists of
 * every rule, an overview chart).
 *
 * Takes: struct note_input — everything already computed or read by the caller:
 *   indicator results (the note's own set defs/note.ini and the standard set, every
 *   level, the window's years), cluster membership, school and cluster names, the
 *   rules and their flags, the import history, the hashes of the definition files.
 *   The note runs the pure analyses of analysis.h (trends, comparisons) and the funnel
 *   limits of stats.h over those results; it never runs SQL.
 * Gives: files in an output directory: note.md, note.html (self-contained: charts
 *   inlined as SVG, print CSS for A4), note.docx when asked, NAME.svg and NAME.png for
 *   every chart, charts.gp (the one gnuplot script), tables.xlsx and tables/NN_ID.csv
 *   for every table (for Russian Excel). Every file is written through outdir.h: a
 *   temporary name renamed into place, links never followed. The same input gives the
 *   same bytes (the date is part of the input). Every value a reader sees goes
 *   through a display name (names.h); numbers through page_num.
 * Ownership: inputs are borrowed; nothing is kept after the call.
 * Errors: SOKO_EUSAGE for an unknown cluster or school, SOKO_EIO for files and charts
 *   (gnuplot missing or failing), each with a message in the diag. Never prints.
 */
#ifndef SOKO_NOTE_H
#define SOKO_NOTE_H

#include "analysis.h"
#include "indicators.h"
#include "names.h"
#include "rules.h"
#include "tasks.h"
#include "soko.h"

/* The note's lists of indicators, from the [note] section of note.ini: each item an
 * indicator id of note.ini or indicators/, or ID[SUBJECT] for one subject of an
 * indicator broken down by subject. */
struct note_key {
    const struct indicator *ind;
    char *dim;                 /* the subject, or NULL */
    char *spec;                /* as written: "ege_mean[Русский язык]" */
};

enum note_list { NOTE_KEY, NOTE_DYNAMICS, NOTE_SUBJECTS, NOTE_MARKS, NOTE_DOTS, NOTE_FUNNEL,
                 NOTE_ADMISSIONS, NOTE_OLYMPIAD, NOTE_COVERAGE, NOTE_ASSESSMENTS, NOTE_NLISTS };

struct note_spec {
    struct note_key *v[NOTE_NLISTS];
    size_t n[NOTE_NLISTS];
};

/* Reads the [note] section of path, resolving every id in note_set or std_set: an
 * unknown id, a missing list, a [SUBJECT] on an indicator without a subject breakdown
 * are SOKO_ECONFIG with "path:line: why". `assessments` (the procedures of section 10:
 * РДР, training exams, ПК «Знак», ...) is the one optional list; its items are
 * indicators broken down by subject alone, without [SUBJECT]. note_spec_free releases it (not the struct). */
int note_spec_load(const char *path, const struct ind_set *note_set,
                   const struct ind_set *std_set, struct note_spec *out, struct soko_diag *d);
void note_spec_free(struct note_spec *s);
/* The name of a list in note.ini ("key", "dynamics", ...). */
const char *note_list_name(enum note_list l);

struct note_school {
    const char *id, *name, *kind, *profile;    /* profile: schools.profile, may be "" */
};

struct note_cluster {
    const char *id, *name;
};

struct note_import {
    long long id;
    const char *form, *file, *sha256;
    long rows;
};

struct note_file {            /* a definition file and its SHA-256 */
    const char *path, *sha256;
};

struct note_input {
    const struct ind_results *res;       /* every indicator below, every level */
    const struct ind_set *note_set;      /* defs/note.ini */
    const struct ind_set *std_set;       /* indicators/ */
    const struct note_spec *spec;        /* the lists of note.ini [note] */
    const struct names *names;           /* display names, subject map (may be NULL) */
    const struct ind_members *members;
    const struct note_school *schools;   /* ordered by id */
    size_t nschools;
    const struct note_cluster *clusters;
    size_t nclusters;
    const struct rule_set *rules;        /* may be NULL: no rules section */
    const struct rule_flags *flags;      /* flags of every school of the district */
    const struct rules_methods *methods; /* the overdispersion and context regressions
                                            behind the rules' tests, for the methodology
                                            appendix (may be NULL) */
    const struct store_works *works;     /* the per-work primary-score histograms (vpr_dist)
                                            of the window, for the card's score chart (may
                                            be NULL) */
    const struct task_result *tasks;     /* the task rules' findings over the window (may be
                                            NULL or empty: no section «Достижение
                                            планируемых результатов») */
    const struct note_import *imports;
    size_t nimports;
    const struct note_file *files;
    size_t nfiles;
    int y0, y1;                          /* the window */
    const char *date;                    /* "2026-09-01": printed «1 сентября 2026 г.» */
    int docx;                            /* 1: also NAME.docx */
    const char *version;                 /* soko version */
};

/* The note of cluster_id into dir (which must exist). */
int note_cluster(const struct note_input *in, const char *cluster_id, const char *dir,
                 struct soko_diag *d);
/* The card (карточка ОО) of school_id into dir, compared with cluster_id (NULL: the
 * school's first thematic cluster — never the cluster of all the district's schools);
 * SOKO_EUSAGE when the school is not in cluster_id, naming its clusters. */
int note_card(const struct note_input *in, const char *school_id, const char *cluster_id,
              const char *dir, struct soko_diag *d);
/* The district report into dir: index.md/index.html and DIR/NAME/ with every
 * cluster's note, NAME the cluster's id transliterated (ГОСТ 7.79 B) and made unique. */
int note_report(const struct note_input *in, const char *dir, struct soko_diag *d);

#endif
