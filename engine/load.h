/*
 * load.h — CSV files of the unified forms → validated, typed rows.
 *
 * Takes: a file path, a form (forms.h) and options. Detects the dialect from the
 * header line (delimiter , ; TAB; UTF-8 with or without BOM, or Windows-1251; decimal
 * comma), maps the header (English names or Russian aliases, any order), parses the
 * records with libcsv in one streaming pass, checks every row as forms.md says, and
 * hands each good row to `sink->row`. Per-student ВПР files are aggregated into
 * per-work rows (form "vpr", from_students set, and form "vpr_dist") handed over at
 * the end; the student rows themselves only when `keep_students` asks.
 *
 * Gives: SOKO_OK when the whole file is good; otherwise SOKO_EINPUT (or SOKO_EIO)
 * with every problem in `diag` as "file:line:column: what is wrong, expected ...".
 * After the first error no more rows reach the sink (the caller discards the file's
 * rows anyway: all or nothing), but checking goes on to report the rest.
 * Memory: bounded by the longest record (max_record), the number of works in a
 * student file, and a fixed buffer for duplicate-key detection, which spills sorted
 * runs to a temporary file; never by the number of rows.
 * Ownership: pointers inside a `load_row` are valid only during the callback.
 */
#ifndef SOKO_LOAD_H
#define SOKO_LOAD_H

#include "forms.h"
#include "layout.h"
#include "soko.h"

#include <stdint.h>

#define LOAD_MAXCOLS 32

struct load_cell {
    int present;          /* 0: absent or empty (NULL in the store) */
    long long i;          /* COL_INT, COL_YEAR */
    double r;             /* COL_REAL */
    const char *s;        /* COL_TEXT, COL_ENUM (canonical); also the raw text of any cell */
};

struct load_row {
    const struct form *form;      /* the form the row belongs to (vpr/vpr_dist for students) */
    long line;                    /* line of the record (first line of the work) */
    int from_students;            /* 1 for per-work rows aggregated from vpr_students */
    struct load_cell cells[LOAD_MAXCOLS];   /* in the form's column order */
};

/* Where a load is, for a progress bar. */
enum load_phase {
    LOAD_READING,     /* parsing, checking and handing rows over, as the bytes go by */
    LOAD_CHECKING,    /* after the last byte: the duplicate-key check over the whole file */
    LOAD_SAVING       /* per-student files: the works handed over at the end */
};

struct load_progress {
    enum load_phase phase;
    uint64_t done, total;     /* bytes read, and the file's size */
    long records;             /* data records read so far */
    long rows;                /* rows handed to the sink so far */
};

struct load_sink {
    void *ctx;
    /* 1 when the school is in the registry, 0 when not, negative on a store error. */
    int (*school_exists)(void *ctx, const char *school_id);
    /* Stores a row. Returns SOKO_OK, or an error with a message added to d. */
    int (*row)(void *ctx, const struct load_row *r, struct soko_diag *d);
    /* Optional: called every megabyte while reading, when a phase begins and
     * once at the end. A non-zero return stops the reading; load_file then returns
     * that value (a caller's own failure, such as a full disk under the sink). */
    int (*progress)(void *ctx, const struct load_progress *p);
};

struct load_opts {
    int ignore_unknown;       /* unknown columns are skipped instead of refused */
    int keep_students;        /* vpr_students: also hand over the student rows */
    size_t max_record;        /* longest record in bytes (default 1 MiB) */
    size_t dedup_mem;         /* entries kept in memory for duplicate detection (tests) */
    struct layout *layout;  /* optional layout (layout.h): maps the source
                                 layout onto the form; NULL reads the form's own header */
};

enum load_encoding { ENC_UNKNOWN, ENC_UTF8, ENC_CP1251 };

struct load_stats {
    char sha256[65];          /* of the file's bytes */
    uint64_t bytes;
    long records;             /* data records read */
    long rows;                /* rows handed to the sink (per-work rows for students) */
    long works;               /* vpr_students: works aggregated */
    char delim;               /* detected delimiter */
    enum load_encoding enc;   /* detected encoding */
    int bom;                  /* a UTF-8 BOM was present */
    /* with a layout: source records not stored, each counted and never silent */
    long skipped;             /* matched a `skip` rule (totals rows) */
    long suppressed;          /* a required value held a suppression marker */
    long dropped;             /* repeated key with `duplicates = first` */
#define LOAD_NLINES 10
    long suppressed_line[LOAD_NLINES];   /* the first suppressed records' lines */
};

int load_file(const char *path, const struct form *f, const struct load_opts *o,
              const struct load_sink *sink, struct load_stats *st, struct soko_diag *d);

/* Exposed for unit tests: the delimiter of a header line (',' when undecided). */
char load_detect_delim(const char *line, size_t n);

/* Parses one cell of column c from text (already trimmed, UTF-8). Returns 0 and fills
 * cell, or -1 with a description of what was expected in `why` (static text). */
int load_parse_cell(const struct form_col *c, char *text, struct load_cell *cell,
                    const char **why);

#endif
