/*
 * store.h — the SQLite store: schema, imports with provenance, undo.
 *
 * The only module that writes to the database. One file (WAL, foreign keys on,
 * `PRAGMA user_version` as the schema version with migrations run at open). Each form
 * of forms.h has a table with its natural key as a unique constraint and CHECK
 * constraints mirroring the form's checks, plus `import_id`; a shadow table `hist_X`
 * keeps rows that a later import replaced, so `store_undo` restores exactly the state
 * without that import. One import is one transaction: begin, put rows, commit or
 * roll back — all or nothing.
 *
 * Ownership: struct store is opaque, from store_open, released by store_close.
 * Errors: SOKO_EDB (or SOKO_EINPUT for data conflicts) with a message in the diag.
 */
#ifndef SOKO_STORE_H
#define SOKO_STORE_H

#include "forms.h"
#include "load.h"
#include "soko.h"

#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 4

struct store;

/* Opens (creating and migrating when writable) the store at path. A read-only store
 * reads one snapshot: what it sees does not change until store_close. */
int store_open(const char *path, int readonly, struct store **out, struct soko_diag *d);
void store_close(struct store *s);
/* The connection, for read-only queries of other modules (indicators). Borrowed. */
sqlite3 *store_db(struct store *s);

/* Starts an import of `file` into form f: BEGIN IMMEDIATE and a pending imports row. */
int store_import_begin(struct store *s, const struct form *f, const char *file,
                       const char *layout, const char *layout_sha256, struct soko_diag *d);
/* Writes one validated row (load_sink.row); replaces a stored row with the same key. */
int store_put_row(struct store *s, const struct load_row *r, struct soko_diag *d);
/* load_sink.school_exists. */
int store_school_exists(struct store *s, const char *school_id);
/* Ends the import. When the same bytes (sha256) are already stored whole by an
 * earlier import of the same form, nothing is written and *same_as is that import's
 * id; otherwise the import is committed and *id is its new id. */
int store_import_commit(struct store *s, const char *sha256, long rows, long long *id,
                        long long *same_as, struct soko_diag *d);
void store_import_rollback(struct store *s);

/* Removes import `id`: its rows go, the rows it had replaced come back. */
int store_undo(struct store *s, long long id, struct soko_diag *d);

struct import_info {
    long long id;
    const char *form, *file, *sha256, *started, *status, *layout;
    long rows;
};
/* Calls cb for every import in id order; stops when cb returns non-zero. */
int store_imports(struct store *s, int (*cb)(void *ctx, const struct import_info *),
                  void *ctx, struct soko_diag *d);

/* Counts of stored rows per form table (for `soko status` and the demo). */
int store_count(struct store *s, const char *table, long long *n, struct soko_diag *d);

/* The schools registry in school_id order: cb(ctx, id, name, kind, profile) for each
 * row (NULL columns as ""); stops when cb returns non-zero. For the report writers. */
int store_school_names(struct store *s,
                       int (*cb)(void *ctx, const char *id, const char *name, const char *kind,
                                 const char *profile),
                       void *ctx, struct soko_diag *d);
/* The clusters in cluster_id order, each once with its name (the smallest given):
 * cb(ctx, id, name). */
int store_cluster_names(struct store *s, int (*cb)(void *ctx, const char *id, const char *name),
                        void *ctx, struct soko_diag *d);

/* The CREATE statements of the current schema (for docs and tests); caller frees. */
char *store_schema_sql(void);

/* --- read helpers for the analyses --------------------------------------------------
 * They take any connection to a store — the read-only one that indicators.h and
 * rules.h borrow (store_db) — and run fixed prepared statements. */

/* One work's primary-score histogram (table vpr_dist, written from vpr_students). */
struct store_work {
    int year;
    char *school_id;
    char *subject;
    long grade;
    long n;                          /* students: the sum of scores[] */
    double *scores;                  /* students with primary score 0 .. len-1 */
    size_t len;
    int mark_min[4];                 /* lowest score seen with mark 2..5; -1 none */
};

struct store_works {
    struct store_work *v;
    size_t n, cap;
};

/* The vpr_dist rows of years [y0, y1] (0: open), ordered by year, grade, subject,
 * school. A row whose JSON cannot be read is SOKO_EDB naming the work. */
int store_read_works(sqlite3 *db, int y0, int y1, struct store_works *out,
                     struct soko_diag *d);
/* Appends one work (copies everything; mark_min NULL: none seen); for tests and for
 * simulations. */
void store_works_add(struct store_works *w, int year, const char *school, long grade,
                     const char *subject, const double *scores, size_t len,
                     const int mark_min[4]);
void store_works_free(struct store_works *w);

/* The schools registry: ids and names, ordered by id (parallel arrays). */
struct store_names {
    char **ids, **names;
    size_t n;
};
int store_names_read(sqlite3 *db, struct store_names *out, struct soko_diag *d);
void store_names_free(struct store_names *n);

#endif
