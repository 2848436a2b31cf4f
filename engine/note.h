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
 *   inlined as SVG, print CSS for A4), NAME.svg and NAME.png for every chart,
 *   charts.gp (the one gnuplot script), tables.xlsx and tables/NN_ID.csv for every
 *   table. The same input gives the same bytes (the date is part of the input).
 * Ownership: inputs are borrowed; nothing is kept after the call.
 * Errors: SOKO_EUSAGE for an unknown cluster or school, SOKO_EIO for files and charts
 *   (gnuplot missing or failing), each with a message in the diag. Never prints.
 */
#ifndef SOKO_NOTE_H
#define SOKO_NOTE_H

#include "analysis.h"
#include "indicators.h"
#include "rules.h"
#include "soko.h"

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
    const struct ind_members *members;
    const struct note_school *schools;   /* ordered by id */
    size_t nschools;
    const struct note_cluster *clusters;
    size_t nclusters;
    const struct rule_set *rules;        /* may be NULL: no rules section */
    const struct rule_flags *flags;      /* flags of every school of the district */
    const struct note_import *imports;
    size_t nimports;
    const struct note_file *files;
    size_t nfiles;
    int y0, y1;                          /* the window */
    const char *date;                    /* "2026-09-01" as printed on the note */
    const char *version;                 /* soko version */
};

/* The note of cluster_id into dir (which must exist). */
int note_cluster(const struct note_input *in, const char *cluster_id, const char *dir,
                 struct soko_diag *d);
/* The card (карточка ОО) of school_id into dir. */
int note_card(const struct note_input *in, const char *school_id, const char *dir,
                 struct soko_diag *d);
/* The district report into dir: index.md/index.html and DIR/CLUSTER_ID/ with every
 * cluster's note (subdirectories created). */
int note_report(const struct note_input *in, const char *dir, struct soko_diag *d);

#endif
