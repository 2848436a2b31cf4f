/*
 * sheet_int.h — what sheet.c (detection, the book, rows, merged-range filling),
 * sheet_xlsx.c (libzip + libxml2), sheet_xls.c (libfreexl + the BIFF records it
 * skips) and sheet_cfb.c (the OLE2 container) share. Not part of the API (sheet.h).
 *
 * A backend reads a sheet and drives a struct sheet_reader: rd_begin_row(row),
 * rd_cell(col, ...) for each cell in any order, rd_end_row(); rd_finish() at the end.
 * The reader checks the bounds, keeps the row dense, fills merged ranges in the
 * header rows and calls the user's callback. Each rd_* returns SOKO_OK, SHEET_STOP
 * (the callback asked to stop) or an error whose message is already in d; a backend
 * returns whatever is not SOKO_OK at once.
 */
#ifndef SOKO_SHEET_INT_H
#define SOKO_SHEET_INT_H

#include "sheet.h"
#include "soko.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------- the book */

struct sheet_override;   /* sheet_xls.c: a cell freexl does not give (formula, bool, error) */

struct sheet_sheet {
    char *name;              /* UTF-8 */
    int hidden;
    int chart;               /* a chart sheet (or dialog/macro sheet): no cells */
    char *part;              /* xlsx: zip entry of the worksheet; NULL when the
                                workbook's relationships do not name one */
    int merges_done;         /* merges below are known */
    struct sheet_range *merges;
    size_t nmerges;
    struct sheet_override *over;   /* xls: sorted by (row, col) */
    size_t nover;
    char *over_text;               /* xls: the overrides' texts */
};

struct sheet_book {
    char *path;
    enum sheet_kind kind;
    struct sheet_limits lim;       /* defaults filled in */
    enum sheet_err err;
    int date1904;
    struct sheet_sheet *sh;
    size_t nsh;
    /* xlsx (sheet_xlsx.c) */
    void *zip;                     /* zip_t * */
    char *sst_part;                /* zip entry of the shared strings, or NULL */
    int sst_done;
    char *sst;                     /* every shared string, each NUL-terminated */
    size_t sst_len, sst_cap;
    size_t *sst_off;               /* start of string k in sst */
    size_t sst_n;
    unsigned char *xf;             /* cellXfs index → enum sheet_fmt */
    size_t nxf;
    /* xls (sheet_xls.c) */
    const void *xls;               /* freexl handle */
};

#define SHEET_MAX_SHEETS 65535   /* sheets listed in one workbook */

/* Adds one message located at path[sheet]:row:COL (parts 0/NULL left out), records
 * the kind in b->err (b may be NULL) and returns SOKO_EIO for SHEET_ERR_IO, else
 * SOKO_EINPUT. The message is translated by the caller (_() around fmt). */
int sheet_fail(struct sheet_book *b, struct soko_diag *d, enum sheet_err e,
               const char *sheet, long row, long col, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* The same with the book's path; for messages about a file not yet a book. */
int sheet_fail_path(const char *path, struct soko_diag *d, enum sheet_err *err,
                    enum sheet_err e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A number from text as a producer writes it: optional sign, digits, '.', exponent,
 * surrounding ASCII blanks; never hex, inf or nan; independent of the locale.
 * Returns 0 and sets *x, or -1. */
int sheet_parse_double(const char *s, size_t n, double *x);

/* Text from the file for a message, into buf (size >= 8): as much of s[0..n) as fits,
 * cut at a character with "..." when cut, bytes that are not UTF-8 and control
 * characters as \xNN; valid UTF-8 whatever s holds. Returns buf. */
const char *sheet_quote(char *buf, size_t size, const char *s, size_t n);

/* A name from the file (sheet, part) as the book keeps it: at most 255 bytes, cut at a
 * character; control characters become '?', so that a message stays one line. s must
 * be UTF-8. Caller frees. */
char *sheet_clean_name(const char *s);

/* Appends the UTF-8 of code point cp (U+FFFD for a surrogate or beyond U+10FFFF). */
void sheet_put_utf8(struct sbuf *b, unsigned long cp);

/* Excel's error codes of BIFF (BOOLERR, FORMULA) → "#N/A" etc.; NULL when unknown. */
const char *sheet_biff_error(unsigned code);

/* ------------------------------------------------------------- reading */

struct rcell;
struct fillval;

struct sheet_reader {
    struct sheet_book *b;
    const char *sheet;             /* its name, for messages */
    sheet_row_fn fn;
    void *ctx;
    long fill;                     /* rows 1..fill get merged values */
    /* the row being built */
    long row;                      /* 0 before the first */
    long last;                     /* last row begun or synthesized */
    struct rcell *c;
    size_t n, cap;                 /* dense cells 1..n (index col - 1) */
    struct sbuf text;              /* texts of the row's non-stable cells */
    size_t rowbytes;               /* bytes given to this row, for max_row_bytes */
    struct sheet_cell *out;
    size_t outcap;
    /* merged-range filling (fill > 0) */
    const struct sheet_range *m;   /* the sheet's ranges with row1 <= fill */
    size_t nm;
    size_t next;                   /* first of m not yet active */
    size_t *act;                   /* indices of ranges covering the current row */
    size_t nact;
    struct fillval *fv;            /* the origin value of each of m */
    struct sbuf fvtext;
    long *mark;                    /* mark[col] == row: col taken by a range */
};

void rd_init(struct sheet_reader *r, struct sheet_book *b, size_t sheet,
             const struct sheet_read_opts *o, sheet_row_fn fn, void *ctx);
void rd_free(struct sheet_reader *r);
int rd_begin_row(struct sheet_reader *r, long row, struct soko_diag *d);
/* A cell of the current row. stable: s lives as long as the book (a shared string)
 * and is not copied; otherwise it is copied. An EMPTY type or len 0 clears the cell. */
int rd_cell(struct sheet_reader *r, long col, enum sheet_type t, const char *s, size_t len,
            int stable, struct soko_diag *d);
int rd_end_row(struct sheet_reader *r, struct soko_diag *d);
int rd_finish(struct sheet_reader *r, struct soko_diag *d);

/* Sorts ranges by (row1, col1) and drops single cells; returns the new count. */
size_t sheet_sort_merges(struct sheet_range *m, size_t n);

/* ------------------------------------------------------------- backends */

int xlsx_open(struct sheet_book *b, struct soko_diag *d);
int xlsx_read(struct sheet_book *b, size_t i, struct sheet_reader *r, struct soko_diag *d);
int xlsx_merges(struct sheet_book *b, size_t i, struct soko_diag *d);
void xlsx_close(struct sheet_book *b);

int xls_open(struct sheet_book *b, struct soko_diag *d);
int xls_read(struct sheet_book *b, size_t i, struct sheet_reader *r, struct soko_diag *d);
void xls_close(struct sheet_book *b);

/* ------------------------------------------------------------- OLE2 (sheet_cfb.c) */

struct cfb_entry {
    char name[32];                 /* ASCII name, '?' for other characters */
    unsigned nlen;                 /* the name's length field, as the file says */
    int type;                      /* 1 storage, 2 stream, 5 root */
    uint32_t left, right, child;   /* siblings and first child (directory ids) */
    uint32_t start;                /* first sector */
    uint64_t size;
};

struct cfb {
    FILE *f;
    uint64_t fsize;
    unsigned ssz;                  /* sector size: 512 or 4096 */
    uint32_t nsect;                /* sectors the file can hold */
    uint32_t *fat;
    uint32_t nfat;                 /* entries */
    uint32_t *minifat;
    uint32_t nminifat;
    uint32_t cutoff;               /* streams smaller than this live in the mini stream */
    struct cfb_entry *ent;
    uint32_t nent;
    uint32_t eper;                 /* entries in one directory sector */
};

/* Opens an OLE2 compound file and reads its FAT, mini FAT and directory. Returns 0,
 * or -1 with *why set to a static English reason (translate it where printed). */
int cfb_open(const char *path, struct cfb *c, const char **why);
void cfb_close(struct cfb *c);
/* Directory id of the stream or storage called name among the root's children
 * (ASCII, case-insensitive as the format says), or -1. */
long cfb_find(const struct cfb *c, const char *name);
/* Reads stream id into a new buffer (caller frees). Refuses a stream larger than cap
 * (*why "too large") or with a broken chain. Returns 0 or -1. */
int cfb_read(struct cfb *c, long id, unsigned char **buf, size_t *len, size_t cap,
             const char **why);

#endif
