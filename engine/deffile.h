/*
 * deffile.h — an INI file read whole into sections and keys, each with its line.
 *
 * Takes: a path. Parses with libinih (sections, `key = value`, `;`/`#` comments at
 * the start of a line, ` ;` comments after a value, indented continuation lines),
 * counting physical lines itself so that every message can say file:line.
 * Gives: struct deffile: the sections in file order, each with its header line and
 * its keys in order; a continuation line is joined to its key's value with one
 * space. Definition modules (indicators, context models) validate the keys.
 * Refuses, as "file:line: why": a line that is neither a section, a key nor a
 * comment; a key before any section; a key given twice in a section; a section
 * given twice; an empty section; a line longer than DEFFILE_MAX_LINE; bytes that are
 * not UTF-8.
 * Ownership: deffile_read fills the caller's struct; deffile_free releases what it
 * holds (not the struct itself).
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
void deffile_free(struct deffile *df);

/* The value of key in section s, or NULL; *line gets its line when line != NULL. */
const char *deffile_get(const struct deffile_sec *s, const char *key, long *line);

#endif
