/*
 * soko.h — what every module of soko shares: status codes, the diagnostics list,
 * the allocation policy and the ownership rule.
 *
 * Ownership, stated once: functions never take over their arguments; a returned
 * `char *` or a struct filled through an out-parameter is the caller's and is released
 * with the matching `*_free()` (plain `free()` for strings); a returned `const char *`
 * is borrowed from the object it came from and lives until that object is freed.
 *
 * Failure, three kinds: a broken invariant is a bug and goes to SOKO_ASSERT (prints
 * file:line and aborts); running out of memory ends the program in xmalloc (one
 * policy, no untested NULL branches); bad input or configuration is reported as a
 * value — a status code plus messages in a `soko_diag` — and only the CLI prints.
 */
#ifndef SOKO_H
#define SOKO_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#include "i18n.h"

#define SOKO_VERSION "0.1.0"

/* Status codes returned by every fallible function; also the CLI's exit codes. */
enum soko_rc {
    SOKO_OK = 0,
    SOKO_EINPUT = 1,   /* bad data in an input file: the diagnostics say where */
    SOKO_EUSAGE = 2,   /* bad command line or option */
    SOKO_ECONFIG = 3,  /* bad definition file (indicators, rules, layouts, context models) */
    SOKO_EIO = 4,      /* a file could not be read or written */
    SOKO_EDB = 5,      /* the store failed (locked, corrupt, constraint) */
    SOKO_EINTERNAL = 70
};

const char *soko_rc_name(int rc);

/* --- diagnostics ----------------------------------------------------------------
 * A bounded list of messages about one input. Each message is already formatted as
 * "file:line:column: what is wrong, what was expected" (parts that do not apply are
 * left out). The first `limit` are kept; later ones are only counted, so reporting
 * a million errors costs O(1) each. */
struct soko_diag {
    char **msgs;       /* kept messages, each malloc'd */
    size_t nmsgs;      /* number kept */
    size_t limit;      /* keep at most this many (0 means the default, 50) */
    size_t total;      /* every error reported, kept or not */
    size_t nnotes;     /* notes: informative lines that are not errors */
    char **notes;      /* kept notes (same limit) */
};

void soko_diag_init(struct soko_diag *d, size_t limit);
void soko_diag_free(struct soko_diag *d);       /* does not free d itself */
void soko_diag_clear(struct soko_diag *d);
/* Adds an error. file may be NULL; line/col 0 mean "not applicable". The location is
 * written by soko_loc: a column is a spreadsheet column, in Excel's letters. */
void soko_diag_add(struct soko_diag *d, const char *file, long line, long col,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void soko_diag_vadd(struct soko_diag *d, const char *file, long line, long col,
                    const char *fmt, va_list ap);
/* The same for a sheet of a workbook: "file[Sheet]:ROW:COL: ..." (sheet may be NULL). */
void soko_diag_add_at(struct soko_diag *d, const char *file, const char *sheet, long line,
                      long col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void soko_diag_vadd_at(struct soko_diag *d, const char *file, const char *sheet, long line,
                       long col, const char *fmt, va_list ap);
void soko_diag_note(struct soko_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --- allocation: print and abort on exhaustion ------------------------------------ */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

#define SOKO_ASSERT(c) \
    ((c) ? (void)0 : soko_assert_fail(#c, __FILE__, __LINE__))
_Noreturn void soko_assert_fail(const char *what, const char *file, int line);

/* --- growable byte buffer ----------------------------------------------------------- */
struct sbuf {
    char *s;        /* always NUL-terminated once anything was added */
    size_t len;
    size_t cap;
};
#define SBUF_INIT {NULL, 0, 0}
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_reset(struct sbuf *b);
void sbuf_free(struct sbuf *b);
char *sbuf_take(struct sbuf *b);     /* returns the string (never NULL), resets b */

/* --- locations in tabular input ------------------------------------------------------
 * One format for every table soko reads, CSV or a workbook's sheet:
 * "file:ROW:COL", "file[Sheet]:ROW:COL", "file:ROW" or "file" (the parts that are 0 or
 * NULL left out); ROW is the physical line of a CSV file, COL Excel's column letters. */
void soko_loc(struct sbuf *b, const char *file, const char *sheet, long row, long col);
/* Excel's letters of a 1-based column: 1 → A, 26 → Z, 27 → AA, 703 → AAA; "" for
 * col <= 0. Returns buf. */
char *col_letters(long col, char buf[8]);

/* --- SHA-256 ----------------------------------------------------------------------- */
struct sha256 {
    uint32_t h[8];
    uint64_t nbytes;
    unsigned char buf[64];
    size_t nbuf;
};
void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[32]);
void sha256_hex(const unsigned char d[32], char out[65]);
/* "sha-ni" or "portable": the block function in use (SOKO_SHA_PORTABLE=1 forces the
 * portable one, for tests that compare the two). */
const char *sha256_impl(void);
/* Hashes a whole file; returns SOKO_OK or SOKO_EIO with a message in d. */
int sha256_file(const char *path, char out[65], struct soko_diag *d);

/* --- small text helpers ------------------------------------------------------------- */
/* Length of the valid UTF-8 prefix of s[0..n); *incomplete set when the invalid
 * part is only a sequence cut at the end (it may continue in the next chunk). */
size_t utf8_valid_prefix(const unsigned char *s, size_t n, int *incomplete);
/* Case-insensitive compare of UTF-8 strings folding ASCII and Cyrillic (А-Я, Ё). */
int utf8_casecmp(const char *a, const char *b);
/* Trims ASCII spaces and tabs (and NBSP) in place; returns s. */
char *str_trim(char *s);
/* Display width of UTF-8 text for aligned tables, as a terminal draws it: combining
 * marks, zero-width and control characters take no column, East Asian wide and
 * fullwidth characters and emoji two, everything else one. */
size_t utf8_width(const char *s);
/* Levenshtein distance between two UTF-8 strings in code points, ASCII and Cyrillic
 * case folded (as utf8_casecmp): for "did you mean" lists of ids. */
size_t utf8_edit_distance(const char *a, const char *b);
/* x with `decimals` decimals, trailing zeros (and a bare point) trimmed, never "-0";
 * x must be finite (callers choose what a missing value looks like). Caller frees. */
char *num_trimmed(double x, int decimals);
/* The shortest decimal text that reads back (strtod) as exactly x, for machine output
 * (CSV, JSON): "%.15g", else "%.16g", else "%.17g" — for a subnormal x every precision
 * from 1 up — the first whose text parses to the same double (the same bits, so -0.0
 * stays "-0"). That is the shortest round-trip form except, rarely, one digit longer
 * just above a power of two. The exponent is written without '+' and leading zeros
 * ("1e-5", "1.7976931348623157e308"); the decimal point is always '.', whatever
 * LC_NUMERIC is. Non-finite x gives "nan", "inf" or "-inf": not numbers in JSON, so a
 * JSON writer checks isfinite() first and writes null. buf is the caller's (32 bytes
 * are always enough); returns buf. */
char *num_roundtrip(double x, char buf[32]);
/* 64-bit FNV-1a over bytes, continuing from h (start with FNV_OFFSET). */
#define FNV_OFFSET 1469598103934665603ULL
uint64_t fnv1a(uint64_t h, const void *p, size_t n);

#endif
