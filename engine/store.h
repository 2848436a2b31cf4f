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
 * Errors: a message in the diag that names the store and says what failed, with the
 * status: SOKO_EIO when the disk or the file failed (full disk, i/o error, read-only
 * file or folder, missing folder), SOKO_EDB when the store did (damaged — the message
 * quotes PRAGMA integrity_check —, not a soko store, another schema, locked too
 * long), SOKO_EINPUT for a row the data refuse (a conflict, a schema constraint).
 *
 * Files: a new store is created with owner-only permissions (0600, whatever the umask;
 * its -wal and -shm get the same from SQLite), and removed again by store_close when
 * no import was stored in it. A path is always a file name, never an SQLite URI or
 * ":memory:". A reader at a read-only location (a store file nobody may write, or a
 * folder this process may not write) opens the file immutable, leaving no -wal/-shm.
 */
#ifndef SOKO_STORE_H
#define SOKO_STORE_H

#include "forms.h"
#include "load.h"
#include "soko.h"

#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 10

struct store;

/* Opens (creating and migrating when writable) the store at path. A read-only store
 * reads one snapshot: what it sees does not change until store_close. */
int store_open(const char *path, int readonly, struct store **out, struct soko_diag *d);
void store_close(struct store *s);
/* The connection, for read-only queries of other modules (indicators). Borrowed. */
sqlite3 *store_db(struct store *s);
/* The path as given to store_open (borrowed). */
const char *store_path(const struct store *s);
/* 1 when this open created the store file (it is removed at close if no import was
 * stored); 1 when a reader opened an immutable snapshot (read-only location); the
 * schema version the file had when it was opened (before any migration). */
int store_created(const struct store *s);
int store_snapshot(const struct store *s);
int store_found_version(const struct store *s);
/* The defined forms (formdef.h) whose tables this open created or brought up to date:
 * a writer's open records every defined form in the table form_defs (the SHA-256 of
 * its schema, its columns) and migrates a changed one unless that would lose data. */
int store_forms_synced(const struct store *s);
/* Adds the message for the last failed call on the store's connection (see Errors
 * above) and returns its status: for callers that got a failure as a value, such as
 * store_school_exists' -1. `what` is a gerund phrase: "looking up a school". */
int store_error(struct store *s, const char *what, struct soko_diag *d);

/* Starts an import of `file` into form f: BEGIN IMMEDIATE and a pending imports row. */
int store_import_begin(struct store *s, const struct form *f, const char *file,
                       const char *layout, const char *layout_sha256, struct soko_diag *d);
/* Writes one validated row (load_sink.row); replaces a stored row with the same key.
 * SOKO_EINPUT (message with the row's line) when the schema refuses the row; a store
 * failure (SOKO_EIO, SOKO_EDB) names the store, not the line. */
int store_put_row(struct store *s, const struct load_row *r, struct soko_diag *d);
/* load_sink.school_exists. */
int store_school_exists(struct store *s, const char *school_id);
/* load_sink.school_by_login: the school_id of the school whose login is `login`
 * (compared ignoring ASCII case) into id; 1 found, 0 not, -1 on a store error. */
int store_school_by_login(struct store *s, const char *login, char *id, size_t n);
/* 1 when the store holds the plan (vpr_plan) of the work year, grade, subject, 0 when
 * not, negative on a store error. */
int store_work_planned(struct store *s, long long year, long long grade, const char *subject);
/* load_sink.scale: the conversion scale of a ВПР work (form vpr_scales) as
 * {max_score, min3, min4, min5}; 1 found, 0 not, -1 on a store error. */
int store_vpr_scale(struct store *s, long long year, long long grade, const char *subject,
                    int scale[4]);
/* Ends the import. When the same bytes (sha256) are already stored whole by an
 * earlier import of the same form, nothing is written and *same_as is that import's
 * id; otherwise the import is committed and *id is its new id. The log records what
 * the store wrote: rows of every table, and for a per-student form the works and
 * their participants (`rows` is not used: kept for the callers of schema 3). */
int store_import_commit(struct store *s, const char *sha256, long rows, long long *id,
                        long long *same_as, struct soko_diag *d);
void store_import_rollback(struct store *s);
/* What the last import (committed or not) wrote: rows of every table, and of them the
 * works aggregated from student rows with their participants. */
void store_last_import(const struct store *s, long long *rows, long long *works,
                       long long *participants);

/* Removes import `id`: its rows go, the rows it had replaced come back. */
int store_undo(struct store *s, long long id, struct soko_diag *d);

struct import_info {
    long long id;
    const char *form, *file, *sha256, *started, *status, *layout;
    long rows;                /* rows written, every table (vpr and vpr_dist for students) */
    long long works;          /* per-student forms: works aggregated; -1 for other forms */
    long long participants;   /* per-student forms: their participants; -1 otherwise */
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
/* What the store holds from the per-student form f (FORM_STUDENTS): works (rows of its
 * first aggregate, vpr or ege, written by its imports), their participants, and the
 * student rows kept (--keep-students). Zeros for any other form. */
int store_student_counts(struct store *s, const struct form *f, long long *works,
                         long long *participants, long long *student_rows,
                         struct soko_diag *d);

/* The registry, in id order (shorter ids first, so 9 before 10); strings borrowed for
 * the call, "" when empty; clusters are the school's cluster ids joined by ';'. */
struct store_school {
    const char *school_id, *name, *district, *kind, *profile, *clusters;
};
int store_schools(struct store *s, int (*cb)(void *ctx, const struct store_school *), void *ctx,
                  struct soko_diag *d);
/* The members of every cluster (cluster_id NULL) or of one, by cluster then school;
 * school_name is "" for a member missing from the registry. */
struct store_member {
    const char *cluster_id, *cluster_name, *school_id, *school_name, *role;
};
int store_clusters(struct store *s, const char *cluster_id,
                   int (*cb)(void *ctx, const struct store_member *), void *ctx,
                   struct soko_diag *d);
/* The ids a user may name: schools of the registry and of the clusters (shorter ids
 * first, so 9 before 10), or clusters (in order). For "did you mean" lists. */
enum store_id_kind { STORE_SCHOOL_IDS, STORE_CLUSTER_IDS };
int store_ids(struct store *s, enum store_id_kind kind, int (*cb)(void *ctx, const char *id),
              void *ctx, struct soko_diag *d);
/* 1 when the store knows the school: in the registry, a cluster or any form; 0 when
 * not; -1 with a message when the store cannot be read. */
int store_school_known(struct store *s, const char *school_id, struct soko_diag *d);

/* The CREATE statements of the current schema (for docs and tests); caller frees. */
char *store_schema_sql(void);
/* The same with the tables of every defined form (formdef.h) after the built-in ones:
 * a schema to compile definitions against without a store. Caller frees. */
char *store_forms_schema_sql(void);

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
