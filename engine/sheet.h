/*
 * sheet.h — spreadsheets (.xlsx and .xls) as a stream of rows of cells.
 *
 * Takes: a path. The kind is told by content, never by the extension (sheet_sniff):
 * a zip is Office Open XML, an OLE2 compound file is either a BIFF workbook (.xls,
 * Excel 97–2003, read with libfreexl) or a password-protected OOXML workbook (refused
 * with its own error), and anything else is "not a spreadsheet": the caller reads it
 * as CSV. sheet_open lists the sheets (names in workbook order, UTF-8); sheet_read
 * hands each row of one sheet to a callback: its Excel row number and a dense array
 * of cells from column A to the row's last non-empty cell, each with its text
 * (NUL-terminated UTF-8) and type. docs/spreadsheets.md says how every kind of cell
 * becomes text (numbers, dates, booleans, errors, shared and inline strings) and how
 * merged ranges are given.
 *
 * Memory: .xlsx worksheets are streamed out of the zip (libzip) into libxml2's
 * xmlTextReader, so memory does not grow with the number of rows: it is bounded by the
 * longest row (max_row_bytes) and by the shared-strings table, which is held in memory
 * (one buffer plus one offset per string) and so grows with the number of distinct
 * strings (max_strings_bytes), and by the sheet's merged ranges (max_merges) when they
 * are asked for. An .xls file has at most 65,536 rows and is small; libfreexl reads it
 * into memory whole (its own model, capped by freexl at 256 MB of cells per sheet),
 * and sheet_xls.c keeps the merged ranges and formula results of every sheet. What
 * freexl 1.0.6 would mishandle is refused before it is called (docs/spreadsheets.md):
 * a sheet with an embedded chart is SHEET_ERR_UNSUPPORTED ("save it as .xlsx").
 *
 * Ownership: struct sheet_book from sheet_open, released by sheet_close. Names,
 * ranges and everything inside a struct sheet_row are borrowed: names and ranges live
 * until sheet_close, a row's cells and texts only during the callback.
 *
 * Errors: every fallible function returns a soko_rc — SOKO_EIO when the file cannot
 * be read, SOKO_EINPUT when its content is refused — with one message in the
 * diagnostics that names the file, the sheet as file[Sheet] and, where known, the
 * Excel row and column: "vpr.xlsx[Лист1]:12:F: ...". The kind of failure is also
 * given as an enum sheet_err (sheet_open's out-parameter, sheet_error for a book), so
 * that a caller can tell "password-protected" from "corrupt" without reading text.
 * Bad input never aborts; every bound below is checked before memory is taken.
 * A failure can come after rows were handed over (damage in a zip part shows as a CRC
 * error at the part's end; malformed XML where it is met): a caller that stores rows
 * treats the file as a whole and discards them, as the CSV loader does.
 */
#ifndef SOKO_SHEET_H
#define SOKO_SHEET_H

#include "soko.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ detection */

enum sheet_kind {
    SHEET_KIND_NONE = 0,   /* not a spreadsheet by its first bytes: read it as CSV */
    SHEET_KIND_XLSX,       /* a zip (PK\3\4): Office Open XML; sheet_open checks that
                              it is a workbook (and names .ods and .xlsb) */
    SHEET_KIND_XLS,        /* OLE2 with a Workbook (BIFF8) or Book (BIFF5) stream */
    SHEET_KIND_ENCRYPTED,  /* OLE2 with EncryptionInfo + EncryptedPackage streams: an
                              OOXML workbook saved with a password */
    SHEET_KIND_OLE_OTHER   /* OLE2 without a workbook stream (a Word .doc, ...) */
};

/* Reads the first bytes of path (and, for OLE2, its directory) and sets *kind.
 * A file too short to hold a signature is SHEET_KIND_NONE. Returns SOKO_OK, or
 * SOKO_EIO with a message when the file cannot be opened or read. */
int sheet_sniff(const char *path, enum sheet_kind *kind, struct soko_diag *d);
const char *sheet_kind_name(enum sheet_kind k);   /* "xlsx", "xls", ... (static) */

/* --------------------------------------------------------------------- errors */

enum sheet_err {
    SHEET_ERR_NONE = 0,
    SHEET_ERR_IO,           /* the file cannot be opened or read (SOKO_EIO) */
    SHEET_ERR_NOT_SHEET,    /* not a spreadsheet (CSV, or an OLE2 file of another kind) */
    SHEET_ERR_ENCRYPTED,    /* password-protected (encrypted OOXML, or .xls FILEPASS) */
    SHEET_ERR_UNSUPPORTED,  /* a spreadsheet of a kind not read: .ods, .xlsb, BIFF2-4 */
    SHEET_ERR_CORRUPT,      /* broken zip or OLE2 container, missing part, freexl failure */
    SHEET_ERR_MALFORMED,    /* a part is not well-formed XML, or holds impossible values
                               (a bad cell reference, rows going back, a bad number) */
    SHEET_ERR_LIMIT,        /* a bound of struct sheet_limits was passed */
    SHEET_ERR_NO_SHEET,     /* no sheet of that name or number (the message lists them) */
    SHEET_ERR_CALLBACK      /* the row callback returned an error: its rc is returned */
};
const char *sheet_err_name(enum sheet_err e);     /* "corrupt", "encrypted", ... (static) */

/* ------------------------------------------------------------------- limits */

/* Every field 0 means its default. Passing one is refused with SHEET_ERR_LIMIT. */
struct sheet_limits {
    size_t max_cell_bytes;      /* text of one cell (default 1 MiB; Excel's own limit is
                                   32,767 characters) */
    size_t max_row_bytes;       /* texts of one row together (default 64 MiB) */
    uint64_t max_part_bytes;    /* uncompressed bytes read from one zip part, the cap
                                   against zip bombs (default 4 GiB: a worksheet of
                                   ~10 million cells; time, not memory, is what it
                                   bounds, since parts are streamed) */
    uint64_t max_strings_bytes; /* shared-strings table held in memory, text plus
                                   offsets (default 256 MiB) */
    size_t max_merges;          /* merged ranges of one sheet (default 1,000,000) */
    uint64_t max_xls_date_days; /* .xls: libfreexl turns a date serial into a date one
                                   day at a time (about 1 ns a day), so the serials of
                                   a workbook's date cells together are bounded
                                   (default 2e10, some 20 s; a sheet of 65,536 dates
                                   of 2023 takes 3e9) */
    uint64_t max_xls_cells;     /* .xls: cells the sheets declare together (DIMENSION),
                                   16 bytes each in freexl (default 2^25: 512 MB); one
                                   sheet never more than SHEET_XLS_MAX_SHEET_CELLS */
};
#define SHEET_DEF_CELL_BYTES ((size_t)1 << 20)
#define SHEET_DEF_ROW_BYTES ((size_t)64 << 20)
#define SHEET_DEF_PART_BYTES ((uint64_t)4 << 30)
#define SHEET_DEF_STRINGS_BYTES ((uint64_t)256 << 20)
#define SHEET_DEF_MERGES ((size_t)1000000)
#define SHEET_DEF_XLS_DATE_DAYS ((uint64_t)20000000000ull)
#define SHEET_DEF_XLS_CELLS ((uint64_t)1 << 25)
#define SHEET_XLS_MAX_SHEET_CELLS ((uint64_t)1 << 24)   /* one sheet: freexl's own
                                   bound (256 MB), checked first because freexl
                                   mishandles its own refusal */
#define SHEET_MAX_ROW 1048576L   /* Excel's last row */
#define SHEET_MAX_COL 16384L     /* Excel's last column, XFD */
#define SHEET_MAX_FILL 1000L     /* largest fill_merged of sheet_read_opts */

/* -------------------------------------------------------------------- books */

struct sheet_book;

/* Sniffs path and opens it: for .xlsx reads xl/workbook.xml (found through
 * _rels/.rels), its relationships and xl/styles.xml; for .xls the whole workbook
 * (freexl, plus sheet_xls.c's pass over the BIFF records). The shared strings are
 * read on the first sheet_read. lim may be NULL (defaults). *out is set only on
 * SOKO_OK; *err (when err is not NULL) tells the kind of failure, SHEET_ERR_NONE on
 * success. SHEET_KIND_NONE is refused with SHEET_ERR_NOT_SHEET: callers that accept
 * CSV sniff first. */
int sheet_open(const char *path, const struct sheet_limits *lim, struct sheet_book **out,
               enum sheet_err *err, struct soko_diag *d);
void sheet_close(struct sheet_book *b);          /* NULL is fine */

enum sheet_kind sheet_book_kind(const struct sheet_book *b);
/* Kind of the last failure of a call on b (SHEET_ERR_NONE after a success). */
enum sheet_err sheet_error(const struct sheet_book *b);
/* 1 when the workbook counts dates from 1904 (workbookPr date1904 / DATEMODE). */
int sheet_date1904(const struct sheet_book *b);

/* Sheets in workbook (tab) order, 0-based here; chart sheets are listed too (they
 * have no rows). Names are UTF-8, borrowed until sheet_close. */
size_t sheet_count(const struct sheet_book *b);
const char *sheet_name(const struct sheet_book *b, size_t i);
int sheet_hidden(const struct sheet_book *b, size_t i);   /* hidden or very hidden */

/* Finds a sheet: first by its exact name, then by name ignoring case (ASCII and
 * Cyrillic, utf8_casecmp), then — when spec is all digits — by its 1-based number.
 * SOKO_EINPUT with SHEET_ERR_NO_SHEET when none matches; the message lists every
 * sheet ("book.xlsx: no sheet 'X'; the sheets are 1 'Лист1', 2 'Математика'"). */
int sheet_find(struct sheet_book *b, const char *spec, size_t *index, struct soko_diag *d);

/* --------------------------------------------------------------------- rows */

enum sheet_type {
    SHEET_EMPTY = 0,   /* no value, or an empty text: text is "" */
    SHEET_STRING,      /* shared, inline, rich text (runs joined) or a formula's text */
    SHEET_NUMBER,      /* shortest decimal that reads back as the same double, '.' as
                          the point, no exponent for 1e-7 <= |x| < 1e21: "12", "0.5",
                          "49.73", "-3", "1234567890123" (sheet_format_number) */
    SHEET_BOOL,        /* "TRUE" or "FALSE" */
    SHEET_DATE,        /* a number in a date format: "2024-04-18", or
                          "2024-04-18T10:30:00" when the format shows a time */
    SHEET_ERROR        /* a formula error as Excel shows it: "#N/A", "#DIV/0!", ... */
};

/* A cell's place in a merged range; set only in the rows sheet_read_opts.fill_merged
 * covers (elsewhere SHEET_MERGE_NONE; sheet_merges gives every range). */
enum sheet_merge {
    SHEET_MERGE_NONE = 0,
    SHEET_MERGE_ORIGIN,   /* the top-left cell of a range, where the value lives */
    SHEET_MERGE_COPY      /* another cell of a range: carries the origin's value */
};

struct sheet_cell {
    const char *text;        /* NUL-terminated UTF-8 with no NUL inside; "" when empty */
    size_t len;              /* strlen(text) */
    enum sheet_type type;
    enum sheet_merge merge;
};

struct sheet_row {
    long row;                        /* 1-based, as Excel shows it; rows ascend */
    size_t ncells;                   /* >= 1: cells[0] is column A, cells[ncells - 1] the
                                        last non-empty cell of the row */
    const struct sheet_cell *cells;  /* gaps are SHEET_EMPTY cells */
};

/* Called for each row that has at least one non-empty cell (rows absent from the
 * file, or present with only empty or formatted cells, are skipped: the row number
 * tells). Return SOKO_OK to go on, SHEET_STOP to end the reading early (sheet_read then
 * returns SOKO_OK), or any other code to abort: sheet_read returns that code and sets
 * SHEET_ERR_CALLBACK; messages are the callback's to add. */
typedef int (*sheet_row_fn)(void *ctx, const struct sheet_row *row, struct soko_diag *d);
#define SHEET_STOP (-1)

struct sheet_read_opts {
    /* 0, or N <= SHEET_MAX_FILL: in rows 1..N (the header rows), every cell of a merged
     * range carries the value and type of the range's top-left cell and is flagged
     * ORIGIN or COPY; rows inside a range that the file leaves out are handed over
     * too. Costs one extra pass over the .xlsx worksheet (sheet_merges). */
    long fill_merged;
};

/* Reads sheet i (0-based) from its first row to its last; o may be NULL. May be
 * called again, for the same or another sheet. */
int sheet_read(struct sheet_book *b, size_t i, const struct sheet_read_opts *o,
               sheet_row_fn fn, void *ctx, struct soko_diag *d);

/* ------------------------------------------------------------------- merges */

/* A rectangle of cells, 1-based and inclusive: row1 <= row2, col1 <= col2. */
struct sheet_range {
    long row1, col1, row2, col2;
};

/* The merged ranges of sheet i, sorted by (row1, col1), single cells left out;
 * borrowed until sheet_close. For .xlsx the <mergeCells> element follows <sheetData>,
 * so the first call makes one quick pass over the worksheet that only looks for
 * <mergeCell ref="..."/> (a byte scan; in SpreadsheetML '<' never appears unescaped
 * in text or attribute values — only an XML comment could fool it, and no writer puts
 * markup in one), and keeps the result. For .xls they come from the
 * MERGEDCELLS records (libfreexl does not give them). Ranges that overlap are refused
 * when a fill meets them (SHEET_ERR_MALFORMED). */
int sheet_merges(struct sheet_book *b, size_t i, const struct sheet_range **ranges,
                 size_t *n, struct soko_diag *d);

/* ---------------------------------------------------------------- helpers
 * Exposed for the loader and for tests. */

/* Column number → letters: 1 → "A", 26 → "Z", 27 → "AA", 16384 → "XFD". Returns 0,
 * or -1 (buf "") when col < 1 or needs more than 7 letters. */
int sheet_col_letters(long col, char buf[8]);
/* Letters (either case, exactly n of them) → column number; -1 when not 1-7 letters. */
long sheet_col_number(const char *letters, size_t n);
/* "F12" → col 6, row 12 (either case, no '$'). Returns 0, or -1 when it is not a
 * reference inside A1:XFD1048576. A reference of letters only ("F") sets *row to 0. */
int sheet_parse_ref(const char *ref, size_t n, long *row, long *col);
/* "A1:D2" (or a single "A1") → range. Returns 0 or -1, like sheet_parse_ref. */
int sheet_parse_range(const char *ref, size_t n, struct sheet_range *r);

/* x as SHEET_NUMBER text (see above) into buf; x must be finite. Returns the length. */
size_t sheet_format_number(double x, char buf[32]);

/* What a number format shows. */
enum sheet_fmt {
    SHEET_FMT_NUMBER = 0,  /* General, 0.00, %, text, time only (h:mm, mm:ss, [h]:mm) */
    SHEET_FMT_DATE,        /* a date without a time: 14-17, or a code with d or y (or
                              mmm) and without h or s */
    SHEET_FMT_DATETIME     /* a date with a time: 22, or a code with d/y and h/s */
};
/* The date rule: built-in ids 14-17 and 22 are dates (18-21 and 45-47 are time only:
 * numbers); another id is classified by its format code: quoted text, \-escaped and
 * _/ * -padded characters and [...] sections (colours, locales, conditions, elapsed
 * [h]) are removed, only the first ';' section counts, then it is a date when d, y
 * or a run of 3+ m remains, and with a time when h or s remains too. code may be NULL. */
enum sheet_fmt sheet_format_kind(int numfmt_id, const char *code);

/* An Excel serial day number → "YYYY-MM-DD" (with_time: "YYYY-MM-DDTHH:MM:SS",
 * rounded to the second). 1900 system: 1 is 1900-01-01, 61 is 1900-03-01 and 60 is the
 * 29 February 1900 that never was (Lotus' bug, kept by Excel) — not a date; 1904
 * system: 0 is 1904-01-01. Returns the length, or 0 when the serial is no date Excel
 * shows (negative, 60 in 1900, not finite, after 9999-12-31): the caller keeps it a
 * number. */
size_t sheet_serial_to_iso(double serial, int date1904, int with_time, char buf[24]);

#endif
