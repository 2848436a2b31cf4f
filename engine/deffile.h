/*
 * deffile.h — an INI file read whole into sections and keys, each with its line, and
 * the one typed key table every definition loader validates through.
 *
 * Takes: a path. Parses with libinih (sections, `key = value`, `;`/`#` comments at
 * the start of a line, ` ;` comments after a value, indented continuation lines),
 * counting physical lines itself so that every message can say file:line.
 * Gives: struct deffile: the sections in file order, each with its header line and
 * its keys in order; a continuation line is joined to its key's value with one
 * space. Refuses, as "file:line: why": a line that is neither a section, a key nor a
 * comment; a key before any section; a key given twice in a section (unless the file
 * is read with DEFFILE_REPEATS, when deffile_check decides per key); a section
 * given twice; an empty section; a line longer than DEFFILE_MAX_LINE; bytes that are
 * not UTF-8.
 * The key table (struct deffile_key): each key a loader accepts, with its type
 * (text, identifier, whole number, real number, choice, list, count-or-percentage,
 * SQL expression, or a pattern the loader parses), its range, whether the ends of the
 * range are open, whether ±inf may pass (NaN never does), whether it is required and
 * whether it may repeat. deffile_check validates a section against tables of keys and
 * reports every problem in one format:
 *     file:line: [section]: key: got 'X'; expected ...
 * (an unknown key: "key: unknown key; expected one of ..."; a missing one: "key:
 * missing; expected ..."). Loaders read the validated values with deffile_real,
 * deffile_long, deffile_choice and deffile_count, and report their own semantic
 * checks through deffile_bad in the same format.
 * Ownership: deffile_read fills the caller's struct; deffile_free releases what it
 * holds (not the struct itself). Key tables are static data of the loaders.
 * Errors: SOKO_EIO when the file cannot be read, SOKO_ECONFIG for the above.
 */
#ifndef SOKO_DEFFILE_H
#define SOKO_DEFFILE_H

#include "soko.h"

#define DEFFILE_MAX_LINE 8192

struct deffile_kv {
    char *key;
    char *value;      /* continuation lines joined with ' ' */
    long line;        /* line of the key */
};

struct deffile_sec {
    char *name;       /* the text between [ and ], trimmed */
    long line;        /* line of the [header] */
    struct deffile_kv *kv;
    size_t nkv;
};

struct deffile {
    char *path;       /* as given, for messages */
    struct deffile_sec *sec;
    size_t nsec;
};

int deffile_read(const char *path, struct deffile *df, struct soko_diag *d);
/* deffile_read with flags: DEFFILE_REPEATS keeps a key given twice in a section (each
 * with its line) for deffile_check to accept (DF_REPEAT) or refuse. */
#define DEFFILE_REPEATS 1u
int deffile_read_opts(const char *path, unsigned flags, struct deffile *df,
                      struct soko_diag *d);
void deffile_free(struct deffile *df);

/* The value of key in section s (the first, when it repeats), or NULL; *line gets its
 * line when line != NULL. */
/* 1 when s is an identifier of the definitions: lower-case Latin letters, digits, '_'. */
int deffile_is_ident(const char *s);
const char *deffile_get(const struct deffile_sec *s, const char *key, long *line);
/* The key itself (with its line), or NULL. */
const struct deffile_kv *deffile_kv(const struct deffile_sec *s, const char *key);

/* --- the typed key table --------------------------------------------------------- */

enum deffile_type {
    DF_TEXT,      /* any text; empty only with DF_EMPTY */
    DF_IDENT,     /* lower-case letters, digits and '_' */
    DF_INT,       /* a whole number within [lo, hi] */
    DF_REAL,      /* a number within [lo, hi] (DF_LO_OPEN / DF_HI_OPEN exclude an end) */
    DF_CHOICE,    /* one of `choices` */
    DF_LIST,      /* comma-separated non-empty items, at least lo (>= 1) and at most hi
                     (0: any number) of them; each one of `choices` when given */
    DF_IDLIST,    /* the same, each item an identifier */
    DF_COUNT,     /* a whole number within [lo, hi], or a percentage like 20% in (0, 100] */
    DF_EXPR,      /* an SQL expression (non-empty; the loader compiles it) */
    DF_OTHER      /* a pattern the loader parses and reports through deffile_bad */
};

enum {
    DF_REQUIRED = 1u << 0,   /* missing is an error */
    DF_REPEAT = 1u << 1,     /* may be given more than once (DEFFILE_REPEATS files) */
    DF_LO_OPEN = 1u << 2,    /* lo itself is outside the range */
    DF_HI_OPEN = 1u << 3,    /* hi itself is outside the range */
    DF_EMPTY = 1u << 4,      /* an empty value is allowed */
    DF_INF = 1u << 5         /* inf and -inf are numbers here (NaN never is) */
};

struct deffile_key {
    const char *name;              /* NULL ends a table; "*" matches any key that no
                                      entry of the tables names (e.g. a breakdown
                                      column); its validity is the loader's */
    enum deffile_type type;
    unsigned flags;                /* DF_* */
    double lo, hi;                 /* range (DF_INT, DF_REAL, DF_COUNT); item counts
                                      (DF_LIST, DF_IDLIST) */
    const char *const *choices;    /* DF_CHOICE, DF_LIST: NULL-terminated */
    const char *expect;            /* what the value must be, for messages; NULL: said
                                      from the type and range */
};

/* The entry of the tables (NULL-terminated array of tables) that key falls under:
 * an entry naming it, else a "*" entry, else NULL. */
const struct deffile_key *deffile_key_find(const struct deffile_key *const *tables,
                                           const char *key);

/* Checks every key of section s against the tables and reports, in the format above,
 * unknown keys (listing the known ones), required keys that are missing, keys given
 * more than once that may not repeat, and values not of their key's type or outside
 * its range. Returns the number of problems reported (0: the section is clean as far
 * as types go; the loader still checks what the values mean). */
size_t deffile_check(const struct deffile *df, const struct deffile_sec *s,
                     const struct deffile_key *const *tables, struct soko_diag *d);

/* One value against one entry: NULL when it conforms, else why (static text or the
 * entry's expect). For loaders that check values of their own (list items). */
const char *deffile_value_ok(const struct deffile_key *k, const char *value);

/* "file:line: [section]: key: got 'VALUE'; expected WHAT" for the key kv of s (kv NULL:
 * the section's line and no value: "key: missing; expected WHAT"). */
void deffile_bad(struct soko_diag *d, const struct deffile *df, const struct deffile_sec *s,
                 const struct deffile_kv *kv, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Validated values: the key's value read as the table allowed, or dflt when absent. */
double deffile_real(const struct deffile_sec *s, const char *key, double dflt);
long deffile_long(const struct deffile_sec *s, const char *key, long dflt);
/* Index of the value in choices (NULL-terminated), or dflt when absent or not one. */
int deffile_choice(const struct deffile_sec *s, const char *key, const char *const *choices,
                   int dflt);
/* DF_COUNT: *v the number, *pct 1 when it was a percentage; 0 when present, -1 when
 * absent (then nothing is written). */
int deffile_count(const struct deffile_sec *s, const char *key, double *v, int *pct);

/* Splits a comma-separated value into trimmed non-empty items: a NULL-terminated array
 * of malloc'd strings, *n their number (caller frees with deffile_list_free). */
char **deffile_list(const char *value, int *n);
void deffile_list_free(char **items);

#endif
