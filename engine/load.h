/*
 * load.h — CSV files of the unified forms → validated, typed rows.
 *
 * Takes: a file path, a form (forms.h) and options. A workbook (.xlsx, .xls: told by
 * content, sheet.h) is read sheet by sheet as rows of cells, the sheet given or the one
 * whose header matches, and everything below holds for it with "file[Sheet]:ROW:COL"
 * in messages; rows above the header that read as a title (a few cells, none a
 * column) are skipped and kept for the layout. Otherwise detects the dialect from the
 * header line (delimiter , ; TAB; UTF-8 with or without BOM, or Windows-1251; decimal
 * comma), maps the header (English names or Russian aliases, any order), parses the
 * records with libcsv in one streaming pass, checks every row as forms.md says, and
 * hands each good row to `sink->row`. Per-student ВПР files are aggregated into
 * per-work rows (form "vpr", from_students set, and form "vpr_dist") handed over at
 * the end; the student rows themselves only when `keep_students` asks.
 *
 * Gives: SOKO_OK when the whole file is good; otherwise SOKO_EINPUT (or SOKO_EIO)
 * with every problem in `diag` as "file:ROW:COL: what is wrong; expected ..." (COL in
 * Excel's letters, soko_loc), naming the column by the file's own header («участников»),
 * quoting what was found (cut at a character boundary) and saying in words what was
 * expected. Two kinds of problem are gathered and reported once each at the end, with
 * their rows: a school the registry lacks, and a code column holding personal names.
 * Notes (diag notes) say what was read but is worth a look: empty rows and
 * whitespace-only cells skipped, columns without a header ignored, years in the
 * future. No message ever quotes a pupil's code (COL_PSEUDONYM).
 * Text cells are normalised (text_normalize) before they are checked or stored; a
 * name-like key (COL_CONFUSABLE: school code, subject, cluster) must keep to one
 * alphabet within a word, and two spellings that look the same (А01 in Cyrillic, A01
 * in Latin) are refused, within the file and against the store (sink->known).
 * After the first error no more rows reach the sink (the caller discards the file's
 * rows anyway: all or nothing), but checking goes on to report the rest.
 * Memory: bounded by the longest record (max_record), the works of a student file
 * (while its rows come work by work, as every export writes them, the current work
 * only: a finished work is parked in a temporary file, 8 bytes of its fingerprint
 * kept; a work that comes back after another brings every work back into memory,
 * about 800 bytes each), a fixed buffer for duplicate-key detection, which spills runs to a
 * temporary file (and, while rows come grouped, a table per run of rows with the same
 * leading key values and a fingerprint per run, up to 2^20 runs), a ring of four 256 KiB
 * chunks read ahead, the distinct schools missing from the registry (10,000
 * described, the rest counted) and the distinct values of each name-like key (200,000
 * checked for look-alikes, then no more); never by the number of rows.
 * Ownership: pointers inside a `load_row` are valid only during the callback.
 */
#ifndef SOKO_LOAD_H
#define SOKO_LOAD_H

#include "forms.h"
#include "layout.h"
#include "soko.h"

#include <stdint.h>

struct sheet_book;   /* sheet.h */

#define LOAD_DEFAULT_MAX_RECORD (1024 * 1024)   /* struct load_opts.max_record's default */

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
    /* optional, for the sink's messages: the file as the loader names it ("file[Sheet]")
     * and each column's 1-based source column (0: none); NULL when not known */
    const char *where;
    const long *col;
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

/* A task's points in a work, from a per-participant file whose layout reads its task
 * columns (tasks = auto): the points scored by all the work's participants together,
 * the task's maximum, the participants. For the task analysis (form vpr_tasks). */
struct load_task {
    long long year, grade;
    const char *school, *subject, *task;
    int max_score;
    long participants;
    double points;
    long line;                /* the work's first row */
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
    /* Optional: 1 when `value` is already stored in column `column` (the canonical
     * name of a COL_CONFUSABLE column: "school_id" of the registry, "subject",
     * "cluster_id"), 0 when not, negative on a store error. The loader asks it about
     * a value new in the file, and then about the value's look-alike spellings
     * (text_lookalike_variants), so that «А01» is refused when «A01» is stored.
     * NULL, or 0 for a column the store cannot look up: nothing is known, and only
     * the file itself is checked. (cli_import.c answers "school_id" with
     * store_school_exists; for "subject" and "cluster_id" the store needs a look-up
     * of a value in any form's column, which it does not offer yet.) */
    int (*known)(void *ctx, const char *column, const char *value);
    /* Optional: the school_id of the school whose ФИС ОКО login is `login` into id
     * (a layout's `login COLUMN`): 1 found, 0 not, negative on a store error. NULL:
     * no registry to ask (check without a store), the login stands for the school. */
    int (*school_by_login)(void *ctx, const char *login, char *id, size_t n);
    /* Optional: the conversion scale of a ВПР work (form vpr_scales) as {max_score,
     * min3, min4, min5}: 1 found, 0 not, negative on a store error. vpr_students rows
     * without a mark get the scale's; a mark the scale contradicts is noted. */
    int (*scale)(void *ctx, long long year, long long grade, const char *subject, int out[4]);
    /* Optional: each task's points of each work (struct load_task), handed over with the
     * work's rows at the end; an error return is the sink's failure, as for row. */
    int (*task)(void *ctx, const struct load_task *t, struct soko_diag *d);
};

struct load_opts {
    int ignore_unknown;       /* unknown columns are skipped instead of refused */
    int keep_students;        /* vpr_students: also hand over the student rows */
    size_t max_record;        /* longest record in bytes (default 1 MiB) */
    size_t dedup_mem;         /* entries kept in memory for duplicate detection (tests) */
    struct layout *layout;  /* optional layout (layout.h): maps the source
                                 layout onto the form; NULL reads the form's own header */
    int allow_names;          /* a COL_PSEUDONYM column may hold what looks like a name
                                 (the district's decision; default: refused) */
    int now_year;             /* the current year, for "a year in the future" (a year
                                 after now_year + 1 is noted); 0: the clock's */
    const char *sheet;        /* a workbook's sheet by name or 1-based number (sheet_find);
                                 NULL: the sheet whose first rows hold the header */
    int header_only;          /* stop after the header: SOKO_OK when the header (and a
                                 layout's titles) fit the form, for recognising a file;
                                 the file's SHA-256 is then not computed */
    struct sheet_book *book;  /* optional: path already opened by sheet_open (borrowed,
                                 not closed), so that trying many forms and layouts on
                                 one workbook opens it and reads its shared strings once */
    int no_park;              /* per-student files: keep every work in memory instead of
                                 parking finished works in a temporary file (tests) */
};

enum load_encoding { ENC_UNKNOWN, ENC_UTF8, ENC_CP1251 };

struct load_stats {
    char sha256[65];          /* of the file's bytes */
    uint64_t bytes;
    long records;             /* data records read */
    long rows;                /* rows handed to the sink (per-work rows for students) */
    long works;               /* vpr_students: works aggregated */
    long works_held;          /* per-student files: the most works held in memory at once
                                 (1 while the rows come work by work; the others parked) */
    char delim;               /* detected delimiter */
    enum load_encoding enc;   /* detected encoding */
    int bom;                  /* a UTF-8 BOM was present */
    /* with a layout: source records not stored, each counted and never silent */
    long skipped;             /* matched a `skip` rule (totals rows) */
    long suppressed;          /* a required value held a suppression marker */
    long dropped;             /* repeated key with `duplicates = first` */
#define LOAD_NLINES 10
    long suppressed_line[LOAD_NLINES];   /* the first suppressed records' lines */
    /* Excel's leftovers, skipped and counted (also in the diag's notes) */
    long empty_rows;          /* rows whose every cell is empty: not records */
    long blank_cells;         /* cells holding only white space, read as empty */
    /* a workbook (.xlsx, .xls): its kind (enum sheet_kind, 0 for CSV) and the sheet read */
    int book;
    char sheet[128];
    int sheet_by_content;     /* the sheet was chosen by its header among several */
    long sheets;              /* a layout's sheets = all: the sheets read (their names,
                                 «a», «b», in `sheet`) */
    long titles;              /* rows above the header read as its title */
    long tasks;               /* task columns read (tasks = auto) */
    long task_rows;           /* task totals handed to sink->task */
    long empty_groups;        /* a wide layout's groups of empty cells (no row) */
    long absent;              /* a layout's `absent` rule: pupils who did not write */
    long nonschool;           /* a layout's login column without a login: the country,
                                 the region, the municipality, totals */
    char nonschool_text[256]; /* their first labels, «a», «b», ... */
    long nonschool_line[LOAD_NLINES];
    /* a layout's [reference]: those of them read as reference figures (the country, the
       region, the municipality) into its form, and handed to the sink as its rows */
    long nreference;          /* rows of the reference form (one per task of a row, tasks
                                 = columns) */
    char reference_text[512]; /* «Вся выборка» (russia), «г. Барнаул» (district), ... */
    long nreference_lines;    /* the source rows they came from, the first of them: */
    long reference_line[LOAD_NLINES];
    long empty_tasks;         /* tasks = columns: task cells empty or a marker (no row) */
    long no_scale;            /* a layout's `scale`: rows of works without a conversion
                                 scale in the store (the marks' lowest scores unknown) */
    char no_scale_work[128];  /* the first of those works: "2023, 5, Математика" */
};

int load_file(const char *path, const struct form *f, const struct load_opts *o,
              const struct load_sink *sink, struct load_stats *st, struct soko_diag *d);

/* Exposed for unit tests: the delimiter of a header line (',' when undecided). */
char load_detect_delim(const char *line, size_t n);

/* Parses one cell of column c from text (already normalised, UTF-8; numbers are
 * rewritten in place: "1 234,5" → "1234.5"). Returns 0 and fills cell, or -1 with
 * what was expected in words in why (translated, e.g. "a whole number from 1 to 11"). */
int load_parse_cell(const struct form_col *c, char *text, struct load_cell *cell,
                    char *why, size_t whysz);

/* What column c accepts, in words, with its range (translated): "a whole number from
 * 0 to 1000000000", "a year from 2000 to 2100, like 2023 or 2022/2023", "one of:
 * школьный, муниципальный, ...". Returns buf. */
const char *load_expected(const struct form_col *c, char *buf, size_t n);

#endif
