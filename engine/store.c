/*
 * store.c — the SQLite store (contract in store.h).
 *
 * The schema is generated from the forms table; every identifier in generated SQL
 * comes from that static table, never from input, and every value is bound.
 */
#include "store.h"
#include "formdef.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NFORMS_MAX 128       /* the built-in forms and FORMDEF_MAX defined ones */
#define SOKO_STR_(x) #x
#define SOKO_STR(x) SOKO_STR_(x)

struct table_stmts {
    sqlite3_stmt *upsert;     /* insert or replace by key */
    sqlite3_stmt *save;       /* copy the rows this write replaces into hist_ */
    sqlite3_stmt *drop;       /* group forms: delete the replaced group */
    sqlite3_stmt *peer;       /* vpr: the stored row of another import, for agreement */
    /* looked at once per import (store_table_look): whether the table holds rows of
     * other imports at all, and (vpr) rows of the other kind of source, per
     * from_students; when not, save, drop and peer have nothing to find */
    long long looked;         /* the import they were looked at for, or 0 */
    int older;                /* rows of other imports: 1, none: 0 */
    int peers[2];             /* -1 not looked at yet */
};

struct store {
    sqlite3 *db;
    int readonly;
    char *path;               /* the file, as given (messages) */
    int created;              /* this open created the file: removed again at close
                                 when no import was stored in it */
    int snapshot;             /* read-only and opened immutable (a read-only location) */
    dev_t dev;                /* the file opened: a writer checks that the path still */
    ino_t ino;                /* names it once it holds the write lock */
    long long import_id;      /* import in progress, or 0 */
    const struct form *form;  /* its form */
    const char *file;         /* its file, for messages (borrowed) */
    long long n_rows;         /* rows the import in progress wrote, every table */
    int journals;             /* the store holds a vpr_journal import (-1: not asked yet) */
    sqlite3_stmt *carry;      /* a vpr row's comparison from a vpr_journal import */
    long long n_works;        /* of them, vpr rows aggregated from student rows */
    long long n_participants; /* and the participants of those */
    sqlite3_stmt *school;
    sqlite3_stmt *login;      /* the school of a ФИС ОКО login */
    struct table_stmts t[NFORMS_MAX];
    int busy_ms;              /* how long a write waits for another writer */
    int found_version;        /* the schema version the file had when opened */
    int defs_synced;          /* defined forms whose tables this open created or rebuilt */
    /* the task forms (vpr_plan, vpr_tasks, vpr_reference_tasks): cross checks */
    sqlite3_stmt *plan_max;   /* a task's max_score in the stored plan */
    sqlite3_stmt *scale;      /* a ВПР work's conversion scale (vpr_scales) */
    struct plan_sum *plans;   /* vpr_plan import in progress: per work, its sums */
    size_t nplans;
};

/* One work of a vpr_plan import in progress. */
struct plan_sum {
    long long year, grade;
    char *subject;
    long long sum;            /* of the tasks' max_score */
    long long work_max;       /* -1: not given */
    long line;                /* last row */
};

static void finalize_stmts(struct store *s);
static void finalize_stmts_and_close(struct store *s);

/* ------------------------------------------------------------ small helpers */

/* The first lines PRAGMA integrity_check reports, joined by "; " (caller frees). */
static char *integrity_lines(sqlite3 *db)
{
    struct sbuf b = SBUF_INIT;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(3)", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            sbuf_printf(&b, "%s%s", b.len ? "; " : "", t ? t : "");
        }
        sqlite3_finalize(st);
    }
    if (!b.len) sbuf_adds(&b, sqlite3_errmsg(db));
    return sbuf_take(&b);
}

static int explain_msg(sqlite3 *db, const char *path, int ext, const char *msg,
                       const char *what, struct soko_diag *d);

/* What a failed SQLite call means for the user, and the exit status it gives: the
 * disk and the file (full, i/o error, read-only, cannot open) are i/o errors; a
 * damaged file, a lock held too long or anything else, store errors. */
static int explain(sqlite3 *db, const char *path, int ext, const char *what, struct soko_diag *d)
{
    /* a copy: integrity_check below runs a statement, which replaces the message */
    char *msg = xstrdup(sqlite3_errmsg(db));
    int rc = explain_msg(db, path, ext, msg, what, d);
    free(msg);
    return rc;
}

static int explain_msg(sqlite3 *db, const char *path, int ext, const char *msg,
                       const char *what, struct soko_diag *d)
{
    what = _(what);     /* the callers' N_() phrases ("reading the schema") */
    switch (ext & 0xff) {
    case SQLITE_FULL:
        soko_diag_add(d, NULL, 0, 0, _("store %s: the disk is full (%s) while %s; expected free "
                                       "space for the store and its journal: free some and run "
                                       "the command again"), path, msg, what);
        return SOKO_EIO;
    case SQLITE_IOERR:
        soko_diag_add(d, NULL, 0, 0, _("store %s: the disk could not be read or written (%s) "
                                       "while %s; expected a disk that works: check it and run "
                                       "the command again"), path, msg, what);
        return SOKO_EIO;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        soko_diag_add(d, NULL, 0, 0, _("store %s: cannot be written (%s) while %s; expected a "
                                       "store whose file and folder you may write"),
                      path, msg, what);
        return SOKO_EIO;
    case SQLITE_CANTOPEN:
        soko_diag_add(d, NULL, 0, 0, _("store %s: a file of the store cannot be opened (%s) "
                                       "while %s; expected a folder you may read and write"),
                      path, msg, what);
        return SOKO_EIO;
    case SQLITE_CORRUPT: {
        char *ic = integrity_lines(db);
        soko_diag_add(d, NULL, 0, 0, _("store %s is damaged (%s), found while %s; "
                                       "integrity_check: %s; expected an intact store: restore "
                                       "it from a backup, or build a new one by importing the "
                                       "files again ('soko imports' lists them)"),
                      path, msg, what, ic);
        free(ic);
        return SOKO_EDB;
    }
    case SQLITE_NOTADB:
        soko_diag_add(d, NULL, 0, 0, _("%s is not a soko store: not an SQLite database (%s); "
                                       "expected a file made by soko import"), path, msg);
        return SOKO_EDB;
    case SQLITE_NOMEM:
        soko_diag_add(d, NULL, 0, 0, _("store %s: out of memory while %s"), path, what);
        return SOKO_EDB;
    default:
        soko_diag_add(d, NULL, 0, 0, _("store: %s: %s"), what, msg);
        return SOKO_EDB;
    }
}

static int db_fail(struct store *s, struct soko_diag *d, const char *what)
{
    return explain(s->db, s->path, sqlite3_extended_errcode(s->db), what, d);
}

int store_error(struct store *s, const char *what, struct soko_diag *d)
{
    return db_fail(s, d, what);
}

const char *store_path(const struct store *s) { return s->path; }

static int exec(struct store *s, const char *sql, struct soko_diag *d)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int ext = sqlite3_extended_errcode(s->db);
        int rc;
        if ((ext & 0xff) == SQLITE_ERROR) {
            soko_diag_add(d, NULL, 0, 0, "store: %s", msg ? msg : sqlite3_errmsg(s->db));
            rc = SOKO_EDB;
        } else {
            rc = explain(s->db, s->path, ext, _("opening the store"), d);
        }
        sqlite3_free(msg);
        return rc;
    }
    return SOKO_OK;
}

static int form_index(const struct form *f)
{
    const struct form *const *all = forms_all();
    for (int i = 0; all[i]; i++)
        if (all[i] == f) return i;
    SOKO_ASSERT(!"form not in soko_forms");
    return -1;
}

/* vpr rows remember whether they were aggregated from student rows */
static int has_from_students(const struct form *f) { return strcmp(f->name, "vpr") == 0; }

static int is_group_form(const struct form *f)
{
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & COL_GROUP) return 1;
    return 0;
}

static void now_iso(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --------------------------------------------------------------- the schema */

static const char *sql_type(const struct form_col *c)
{
    switch (c->type) {
    case COL_INT: case COL_YEAR: return "INTEGER";
    case COL_REAL: return "REAL";
    default: return "TEXT";
    }
}

static void col_list(struct sbuf *b, const struct form *f, const char *prefix)
{
    for (size_t i = 0; i < f->ncols; i++)
        sbuf_printf(b, "%s%s%s", i ? ", " : "", prefix, f->cols[i].name);
    sbuf_printf(b, ", %simport_id", prefix);
    if (has_from_students(f)) sbuf_printf(b, ", %sfrom_students", prefix);
}

/* The index of hist_X on the key (group) columns: replacement, undo and the vpr
 * agreement check look replaced rows up by them; without it each lookup scans the
 * whole history and an import that replaces N rows costs N² (schema version 2). */
static void hist_key_index(struct sbuf *b, const struct form *f, const char *if_not_exists)
{
    int want = is_group_form(f) ? COL_GROUP : COL_KEY, first = 1;
    sbuf_printf(b, "CREATE INDEX %shist_%s_key ON hist_%s(", if_not_exists, f->name, f->name);
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & want) {
            sbuf_printf(b, "%s%s", first ? "" : ", ", f->cols[i].name);
            first = 0;
        }
    sbuf_adds(b, ");\n");
}

/* "a.k1 = b.k1 AND ..." over the key (or group key when group) */
static void key_match(struct sbuf *b, const struct form *f, const char *x, const char *y, int group)
{
    int first = 1;
    int want = group && is_group_form(f) ? COL_GROUP : COL_KEY;
    for (size_t i = 0; i < f->ncols; i++) {
        if (!(f->cols[i].flags & want)) continue;
        sbuf_printf(b, "%s%s.%s = %s.%s", first ? "" : " AND ", x, f->cols[i].name, y,
                    f->cols[i].name);
        first = 0;
    }
}

/* A built-in form's table is keyed by the form's key itself (WITHOUT ROWID): one
 * B-tree a row instead of the table and the index of its UNIQUE key (an import of all
 * forms 12 % faster; schema version 10). Every key column is NOT NULL, so the key
 * refuses the same rows the UNIQUE did. A defined form keeps its rowid table: its
 * text is its definition's fingerprint. */
static int keyed_table(const struct form *f)
{
    return !formdef_file(f);
}

/* CREATE TABLE for the rows of form f (without its history). */
static void main_table(struct sbuf *b, const struct form *f)
{
    sbuf_printf(b, "CREATE TABLE %s (\n", f->name);
    for (size_t i = 0; i < f->ncols; i++) {
        const struct form_col *c = &f->cols[i];
        sbuf_printf(b, "  %s %s", c->name, sql_type(c));
        if ((c->flags & COL_REQUIRED) || c->deflt) sbuf_adds(b, " NOT NULL");
        if (c->type == COL_INT || c->type == COL_YEAR || c->type == COL_REAL) {
            if (c->max < 1e9)
                sbuf_printf(b, " CHECK (%s BETWEEN %.17g AND %.17g)", c->name, c->min, c->max);
            else if (c->min > -1e9)
                sbuf_printf(b, " CHECK (%s >= %.17g)", c->name, c->min);
        }
        if (c->type == COL_ENUM && formdef_file(f)) {
            /* a defined form's text is its definition's fingerprint (def_sha): kept as
               it was, or every store made before would need a migration */
            sbuf_printf(b, " CHECK (%s IN (", c->name);
            for (const struct enum_val *v = c->values; v->value; v++)
                sbuf_printf(b, "%s'%s'", v == c->values ? "" : ", ", v->value);
            sbuf_adds(b, "))");
        } else if (c->type == COL_ENUM) {
            /* comparisons, not IN (...): SQLite builds an IN list's table again for
               every row it checks (a fifth of an import of olympiad rows) */
            sbuf_adds(b, " CHECK (");
            for (const struct enum_val *v = c->values; v->value; v++)
                sbuf_printf(b, "%s%s = '%s'", v == c->values ? "" : " OR ", c->name, v->value);
            sbuf_adds(b, ")");
        }
        if (c->flags & COL_SCHOOL)
            sbuf_adds(b, " REFERENCES schools(school_id) DEFERRABLE INITIALLY DEFERRED");
        sbuf_adds(b, ",\n");
    }
    sbuf_adds(b, "  import_id INTEGER NOT NULL REFERENCES imports(id),\n");
    if (has_from_students(f)) sbuf_adds(b, "  from_students INTEGER NOT NULL DEFAULT 0,\n");
    for (size_t k = 0; k < f->nchecks; k++) {
        const struct form_check *ck = &f->checks[k];
        int n = 0;
        while (ck->cols[n]) n++;
        if (ck->kind == CHECK_LE) {
            for (int i = 0; i + 1 < n; i++)
                sbuf_printf(b, "  CHECK (%s IS NULL OR %s IS NULL OR %s <= %s),\n", ck->cols[i],
                            ck->cols[i + 1], ck->cols[i], ck->cols[i + 1]);
            continue;
        }
        if (ck->kind != CHECK_SUM_EQ && ck->kind != CHECK_SUM_LE) continue;   /* the loader's own */
        sbuf_adds(b, "  CHECK ((");
        for (int i = 0; i < n - 1; i++) sbuf_printf(b, "%s%s IS NULL", i ? " AND " : "", ck->cols[i]);
        sbuf_adds(b, ") OR (");
        for (int i = 0; i < n - 1; i++) sbuf_printf(b, "%s%s", i ? " + " : "", ck->cols[i]);
        sbuf_printf(b, " %s %s)),\n", ck->kind == CHECK_SUM_EQ ? "=" : "<=", ck->cols[n - 1]);
    }
    sbuf_adds(b, keyed_table(f) ? "  PRIMARY KEY (" : "  UNIQUE (");
    int first = 1;
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & COL_KEY) {
            sbuf_printf(b, "%s%s", first ? "" : ", ", f->cols[i].name);
            first = 0;
        }
    sbuf_adds(b, keyed_table(f) ? ")\n) WITHOUT ROWID;\n" : ")\n);\n");
}

static void create_table(struct sbuf *b, const struct form *f)
{
    main_table(b, f);
    /* no index on import_id: the queries by import (undo, the check of a file imported
       again, status's count of works) are rare and may read the table; every row of
       every import would pay for the index (a tenth of an import of all forms; schema
       version 9). A defined form keeps it: its text is its definition's fingerprint */
    if (formdef_file(f))
        sbuf_printf(b, "CREATE INDEX %s_import ON %s(import_id);\n", f->name, f->name);

    sbuf_printf(b, "CREATE TABLE hist_%s (\n", f->name);
    for (size_t i = 0; i < f->ncols; i++)
        sbuf_printf(b, "  %s %s,\n", f->cols[i].name, sql_type(&f->cols[i]));
    sbuf_adds(b, "  import_id INTEGER NOT NULL,\n");
    if (has_from_students(f)) sbuf_adds(b, "  from_students INTEGER NOT NULL,\n");
    sbuf_adds(b, "  replaced_by INTEGER NOT NULL\n);\n");
    sbuf_printf(b, "CREATE INDEX hist_%s_by ON hist_%s(replaced_by);\n", f->name, f->name);
    sbuf_printf(b, "CREATE INDEX hist_%s_import ON hist_%s(import_id);\n", f->name, f->name);
    hist_key_index(b, f, "");
}

char *store_schema_sql(void)
{
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b,
              "CREATE TABLE imports (\n"
              "  id INTEGER PRIMARY KEY,\n"
              "  form TEXT NOT NULL,\n"
              "  file TEXT NOT NULL,\n"
              "  sha256 TEXT,\n"
              "  rows INTEGER,\n"
              "  started TEXT NOT NULL,\n"
              "  status TEXT NOT NULL CHECK (status IN ('active', 'undone')),\n"
              "  undone_at TEXT,\n"
              "  layout TEXT,\n"
              "  layout_sha256 TEXT,\n"
              "  works INTEGER,\n"
              "  participants INTEGER\n"
              ");\n"
              "CREATE INDEX imports_sha ON imports(form, sha256);\n");
    for (int i = 0; soko_forms[i]; i++) create_table(&b, soko_forms[i]);
    return sbuf_take(&b);
}

char *store_forms_schema_sql(void)
{
    char *builtin = store_schema_sql();
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, builtin);
    free(builtin);
    for (size_t i = 0; forms_all()[i]; i++)
        if (formdef_file(forms_all()[i])) create_table(&b, forms_all()[i]);
    return sbuf_take(&b);
}

/* BEGIN IMMEDIATE; when another process keeps the store past the busy timeout, says
 * so plainly rather than "database is locked". Holding the lock, checks that the path
 * still names the file this store opened: a soko whose first import into a new store
 * failed removes that store (store_close), and a writer that had opened it meanwhile
 * must not write into a file nobody will see again. */
static int begin_write(struct store *s, struct soko_diag *d)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        if ((sqlite3_errcode(s->db) & 0xff) != SQLITE_BUSY) return db_fail(s, d, N_("starting a write"));
        soko_diag_add(d, NULL, 0, 0, _("store: %s is being written by another soko (an import or undo) "
                      "and it did not finish within %d ms; expected one writer at a time: run this "
                      "again when it is done, or wait longer with SOKO_BUSY_TIMEOUT=MS"),
                      s->path, s->busy_ms);
        return SOKO_EDB;
    }
    struct stat sb;
    if (s->ino && (stat(sqlite3_db_filename(s->db, "main"), &sb) != 0 || sb.st_dev != s->dev ||
                   sb.st_ino != s->ino)) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        soko_diag_add(d, NULL, 0, 0, _("store %s was removed while this soko waited to write it "
                                       "(another soko's first import into it failed); expected "
                                       "it in place: run the command again"), s->path);
        return SOKO_EDB;
    }
    return SOKO_OK;
}

/* PRAGMA user_version, and what the file holds besides: the number of tables and
 * whether one is soko's log of imports. */
static int inspect(struct store *s, int *v, int *ntables, int *has_imports, struct soko_diag *d)
{
    sqlite3_stmt *st;
    *v = *ntables = *has_imports = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, d, _("reading the schema version"));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *v = sqlite3_column_int(st, 0);
    if (rc != SQLITE_ROW) {
        rc = db_fail(s, d, _("reading the schema version"));
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(s->db, "SELECT count(*), total(name = 'imports') FROM sqlite_master "
                                  "WHERE type = 'table'", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, d, _("reading the schema"));
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ntables = sqlite3_column_int(st, 0);
        *has_imports = sqlite3_column_int(st, 1) > 0;
    } else {
        rc = db_fail(s, d, _("reading the schema"));
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return SOKO_OK;
}

/* One count from a fixed query of the schema; *ok 0 when it fails. */
static long long query_count(struct store *s, const char *sql, int *ok)
{
    sqlite3_stmt *st;
    long long v = 0;
    *ok = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *ok = 1;
    }
    sqlite3_finalize(st);
    return v;
}

static int schema_version(struct store *s, int *v, struct soko_diag *d)
{
    int nt, hi;
    return inspect(s, v, &nt, &hi, d);
}

/* 5 → 6 (issue 11): schools gain the ФИС ОКО login of each school; the form
 * vpr_scales (conversion scales) is new. */
static int migrate_login(struct store *s, struct soko_diag *d)
{
    int ok1, ok2;
    long long has = query_count(s, "SELECT count(*) FROM pragma_table_info('schools') WHERE "
                                   "name = 'login'", &ok1);
    long long has_sc = query_count(s, "SELECT count(*) FROM sqlite_master WHERE name = "
                                      "'vpr_scales'", &ok2);
    if (!ok1 || !ok2) return db_fail(s, d, "migrating to schema 6");
    struct sbuf b = SBUF_INIT;
    if (!has)
        sbuf_adds(&b, "ALTER TABLE schools ADD COLUMN login TEXT;\n"
                      "ALTER TABLE hist_schools ADD COLUMN login TEXT;\n");
    if (!has_sc) create_table(&b, form_find("vpr_scales"));
    int rc = b.len ? exec(s, b.s, d) : SOKO_OK;
    sbuf_free(&b);
    return rc;
}

/* 6 → 7: the tasks of a work (vpr_plan), task results (vpr_tasks) and the reference
 * figures of Russia, the region and the municipality (vpr_reference,
 * vpr_reference_tasks): new tables, nothing else changes. */
/* The tables of built-in forms new in a schema version (those not there yet). */
static int migrate_new_forms(struct store *s, const char *const *forms, const char *what,
                             struct soko_diag *d)
{
    struct sbuf b = SBUF_INIT;
    int rc = SOKO_OK;
    for (int i = 0; forms[i] && !rc; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master WHERE name = ?", -1, &st,
                               NULL) != SQLITE_OK) {
            rc = db_fail(s, d, what);
            break;
        }
        sqlite3_bind_text(st, 1, forms[i], -1, SQLITE_STATIC);
        int have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_finalize(st);
        if (have < 0) rc = db_fail(s, d, what);
        else if (!have) create_table(&b, form_find(forms[i]));
    }
    if (!rc && b.len) rc = exec(s, b.s, d);
    sbuf_free(&b);
    return rc;
}

/* 9 → 10: every built-in form's table keyed by its form key (keyed_table): each is
 * made again under its name and its rows copied, which the caller allows by turning
 * the foreign keys off and ALTER TABLE's legacy renaming on (a table renamed aside
 * must not take the references of the others with it). A table already keyed — made
 * by an earlier step of this migration — is left. */
static int migrate_keyed(struct store *s, struct soko_diag *d)
{
    struct sbuf b = SBUF_INIT;
    int rc = SOKO_OK;
    for (int i = 0; soko_forms[i] && !rc; i++) {
        const struct form *f = soko_forms[i];
        if (!keyed_table(f)) continue;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master "
                                      "WHERE type = 'table' AND name = ?", -1, &st,
                               NULL) != SQLITE_OK) {
            rc = db_fail(s, d, N_("migrating to schema 10"));
            break;
        }
        sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        int keyed = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_finalize(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = db_fail(s, d, N_("migrating to schema 10"));
            break;
        }
        if (keyed != 0) continue;       /* keyed already, or not there (made later) */
        struct sbuf cols = SBUF_INIT;
        for (size_t j = 0; j < f->ncols; j++) sbuf_printf(&cols, "%s, ", f->cols[j].name);
        sbuf_adds(&cols, has_from_students(f) ? "import_id, from_students" : "import_id");
        sbuf_printf(&b, "ALTER TABLE %s RENAME TO soko_unkeyed_%s;\n", f->name, f->name);
        main_table(&b, f);
        sbuf_printf(&b, "INSERT INTO %s (%s) SELECT %s FROM soko_unkeyed_%s;\n"
                        "DROP TABLE soko_unkeyed_%s;\n", f->name, cols.s, cols.s, f->name, f->name);
        sbuf_free(&cols);
    }
    if (!rc && b.len) rc = exec(s, b.s, d);
    sbuf_free(&b);
    return rc;
}

static int migrate_steps(struct store *s, struct soko_diag *d);

/* Migrations: each step brings user_version v to v+1. Version 1 is generated from the
 * forms table, so a later change of a form's columns needs a migration here. */
static int migrate(struct store *s, struct soko_diag *d)
{
    int v, ntables, has_imports;
    int rc = inspect(s, &v, &ntables, &has_imports, d);
    if (rc) return rc;
    s->found_version = v;
    if (v > STORE_SCHEMA_VERSION) {
        soko_diag_add(d, NULL, 0, 0, _("store %s has schema version %d, newer than this soko "
                                       "reads (%d): it was written by a newer soko; expected "
                                       "that soko, or a newer one, to read it"),
                      s->path, v, STORE_SCHEMA_VERSION);
        return SOKO_EDB;
    }
    if (v == 0 && ntables > 0) {
        soko_diag_add(d, NULL, 0, 0, _("%s is an SQLite database of another program (%d tables, "
                                       "no soko schema); expected a soko store, or the name of a "
                                       "new file for one"), s->path, ntables);
        return SOKO_EDB;
    }
    if (v == STORE_SCHEMA_VERSION) return SOKO_OK;
    if (s->readonly) {
        if (v == 0)
            soko_diag_add(d, NULL, 0, 0, _("%s is an empty database: no soko store in it yet; "
                                           "expected a store made by soko import (import the "
                                           "schools registry first)"), s->path);
        else if (s->snapshot)
            soko_diag_add(d, NULL, 0, 0, _("store %s has schema version %d, older than this "
                                           "soko's %d, and it is read-only here; expected it "
                                           "brought up to date: copy it to a folder you may "
                                           "write and run 'soko --db COPY migrate' there"),
                          s->path, v, STORE_SCHEMA_VERSION);
        else
            soko_diag_add(d, NULL, 0, 0, _("store %s has schema version %d, older than this "
                                           "soko's %d; expected it brought up to date: run "
                                           "'soko --db %s migrate' once (the data are kept)"),
                          s->path, v, STORE_SCHEMA_VERSION, s->path);
        return SOKO_EDB;
    }
    /* 9 → 10 makes tables again (migrate_keyed): outside the transaction, where
       SQLite allows it, the foreign keys off and the legacy renaming on, until the end */
    int rebuild = v > 0 && v < 10;
    if (rebuild && (rc = exec(s, "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON", d)))
        return rc;
    rc = begin_write(s, d);
    if (!rc) rc = migrate_steps(s, d);
    if (rebuild) {
        int back = exec(s, "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF", d);
        if (!rc) rc = back;
    }
    return rc;
}

/* The steps of migrate, inside its write transaction: committed when they succeed,
 * rolled back when one fails. */
static int migrate_steps(struct store *s, struct soko_diag *d)
{
    int v, rc;
    /* another soko may have created or migrated the store while this one waited */
    if ((rc = schema_version(s, &v, d)) != 0) {
        /* rc set */
    } else if (v == STORE_SCHEMA_VERSION) {
        return exec(s, "COMMIT", d);
    } else if (v == 0) {
        char *sql = store_schema_sql();
        rc = exec(s, sql, d);
        free(sql);
    } else {
        if (v < 2) {          /* 1 → 2: the history key indexes */
            struct sbuf b = SBUF_INIT;
            for (int i = 0; soko_forms[i]; i++) hist_key_index(&b, soko_forms[i], "IF NOT EXISTS ");
            rc = exec(s, b.s, d);
            sbuf_free(&b);
        }
        if (!rc && v < 3)     /* 2 → 3: an import profile is called a layout */
            rc = exec(s, "ALTER TABLE imports RENAME COLUMN profile TO layout;\n"
                         "ALTER TABLE imports RENAME COLUMN profile_sha256 TO layout_sha256;", d);
        if (!rc && v < 4)     /* 3 → 4: what a per-student import stored, in its units */
            rc = exec(s, "ALTER TABLE imports ADD COLUMN works INTEGER;\n"
                         "ALTER TABLE imports ADD COLUMN participants INTEGER;\n"
                         "UPDATE imports SET\n"
                         "  works = (SELECT count(*) FROM (SELECT import_id FROM vpr WHERE "
                         "from_students = 1 AND import_id = imports.id UNION ALL SELECT import_id "
                         "FROM hist_vpr WHERE from_students = 1 AND import_id = imports.id)),\n"
                         "  participants = (SELECT total(participants) FROM (SELECT participants, "
                         "import_id FROM vpr WHERE from_students = 1 AND import_id = imports.id "
                         "UNION ALL SELECT participants, import_id FROM hist_vpr WHERE "
                         "from_students = 1 AND import_id = imports.id))\n"
                         "WHERE form = 'vpr_students' AND status = 'active';", d);
        if (!rc && v < 5) {   /* 4 → 5: ЕГЭ with a spread (ege.sd) and ege_students */
            int ok1, ok2;
            long long has_sd = query_count(s, "SELECT count(*) FROM pragma_table_info('ege') "
                                              "WHERE name = 'sd'", &ok1);
            long long has_es = query_count(s, "SELECT count(*) FROM sqlite_master WHERE "
                                              "name = 'ege_students'", &ok2);
            struct sbuf b = SBUF_INIT;
            if (ok1 && !has_sd)
                sbuf_adds(&b, "ALTER TABLE ege ADD COLUMN sd REAL CHECK (sd BETWEEN 0 AND 50);\n"
                              "ALTER TABLE hist_ege ADD COLUMN sd REAL;\n");
            if (ok2 && !has_es) create_table(&b, form_find("ege_students"));
            rc = !ok1 || !ok2 ? db_fail(s, d, N_("migrating to schema 5")) : b.len ? exec(s, b.s, d) : 0;
            sbuf_free(&b);
        }
        if (!rc && v < 6) rc = migrate_login(s, d);   /* 5 → 6: schools.login */
        if (!rc && v < 7) {   /* 6 → 7: the task forms */
            static const char *const tf[] = {"vpr_plan", "vpr_tasks", "vpr_reference",
                                             "vpr_reference_tasks", NULL};
            rc = migrate_new_forms(s, tf, "migrating to schema 7", d);
        }
        if (!rc && v < 8) {   /* 7 → 8: the journal comparison reports */
            static const char *const jf[] = {"vpr_journal", NULL};
            rc = migrate_new_forms(s, jf, "migrating to schema 8", d);
        }
        if (!rc && v < 9) {   /* 8 → 9: the forms' tables without the index on import_id */
            struct sbuf b = SBUF_INIT;
            for (int i = 0; soko_forms[i]; i++)
                sbuf_printf(&b, "DROP INDEX IF EXISTS %s_import;\n", soko_forms[i]->name);
            rc = exec(s, b.s, d);
            sbuf_free(&b);
        }
        if (!rc && v < 10) rc = migrate_keyed(s, d);   /* 9 → 10: keyed tables */
    }
    if (!rc) rc = exec(s, "PRAGMA user_version = " SOKO_STR(STORE_SCHEMA_VERSION), d);
    if (!rc) return exec(s, "COMMIT", d);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ----------------------------------------------------------- defined forms */

/* A form defined by an INI file (formdef.h) gets its tables when a writer opens the
 * store, and its definition is recorded in form_defs: the SHA-256 of the schema it
 * generates and its columns. When the definition changes, the next writer brings the
 * tables to it (a rebuild that keeps every stored row) unless that would lose data: a
 * dropped or retyped column that holds values, or a new required column without a
 * default while rows are stored — refused with the reason. A reader of a store that
 * does not hold a defined form yet sees it empty (temporary tables); one whose
 * recorded definition differs is told to run 'soko migrate'. */

static const char form_defs_sql[] =
    "CREATE TABLE IF NOT EXISTS form_defs (\n"
    "  name TEXT PRIMARY KEY,\n"
    "  sha256 TEXT NOT NULL,\n"
    "  columns TEXT NOT NULL,\n"
    "  file TEXT NOT NULL,\n"
    "  stored TEXT NOT NULL\n"
    ");\n";

static char *def_schema(const struct form *f)
{
    struct sbuf b = SBUF_INIT;
    create_table(&b, f);
    return sbuf_take(&b);
}

static void def_sha(const char *sql, char out[65])
{
    struct sha256 c;
    unsigned char h[32];
    sha256_init(&c);
    sha256_update(&c, sql, strlen(sql));
    sha256_final(&c, h);
    sha256_hex(h, out);
}

/* "year INTEGER key, school_id TEXT key, n INTEGER required, note TEXT" */
static char *def_columns(const struct form *f)
{
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; i < f->ncols; i++) {
        const struct form_col *c = &f->cols[i];
        sbuf_printf(&b, "%s%s %s%s", i ? ", " : "", c->name, sql_type(c),
                    (c->flags & COL_KEY) ? " key" : (c->flags & COL_REQUIRED) ? " required" : "");
    }
    return sbuf_take(&b);
}

/* One text of a one-row query with one text parameter, or NULL (caller frees). */
static char *query_text(struct store *s, const char *sql, const char *a)
{
    sqlite3_stmt *st;
    char *v = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static long long count_sql(struct store *s, const char *sql, int *ok)
{
    return query_count(s, sql, ok);
}

/* The base name of a definition file, for messages and the record. */
static const char *def_base(const struct form *f)
{
    const char *p = formdef_file(f), *slash = strrchr(p, '/');
    return slash ? slash + 1 : p;
}

/* Values stored in column col of f's table and its history (-1 on failure). */
static long long def_values(struct store *s, const char *table, const char *col)
{
    int ok1, ok2;
    char *q1 = xasprintf("SELECT count(*) FROM %s WHERE %s IS NOT NULL", table, col);
    char *q2 = xasprintf("SELECT count(*) FROM hist_%s WHERE %s IS NOT NULL", table, col);
    long long n = count_sql(s, q1, &ok1) + count_sql(s, q2, &ok2);
    free(q1);
    free(q2);
    return ok1 && ok2 ? n : -1;
}

/* Brings the stored tables of f to its definition, or says why that would lose data.
 * Inside the caller's write transaction. */
static int def_rebuild(struct store *s, const struct form *f, struct soko_diag *d)
{
    sqlite3_stmt *st;
    char *q = xasprintf("SELECT name, type FROM pragma_table_info('%s')", f->name);
    int rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL) != SQLITE_OK
                 ? db_fail(s, d, "reading a defined form's columns") : SOKO_OK;
    free(q);
    if (rc) return rc;
    char **oname = NULL, **otype = NULL;
    size_t no = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        if (!n || strcmp(n, "import_id") == 0) continue;
        oname = xrealloc(oname, (no + 1) * sizeof *oname);
        otype = xrealloc(otype, (no + 1) * sizeof *otype);
        oname[no] = xstrdup(n);
        otype[no++] = xstrdup(t ? t : "");
    }
    sqlite3_finalize(st);
    int ok1, ok2;
    char *q1 = xasprintf("SELECT count(*) FROM %s", f->name);
    char *q2 = xasprintf("SELECT count(*) FROM hist_%s", f->name);
    long long rows = count_sql(s, q1, &ok1), hrows = count_sql(s, q2, &ok2);
    free(q1);
    free(q2);
    if (!ok1 || !ok2) rc = db_fail(s, d, "counting a defined form's rows");
    const char *file = formdef_file(f);
    /* what the change would lose */
    for (size_t i = 0; i < no && !rc; i++) {
        int j = form_col_index(f, oname[i]);
        if (j >= 0 && strcmp(sql_type(&f->cols[j]), otype[i]) == 0) continue;
        long long n = def_values(s, f->name, oname[i]);
        if (n < 0) {
            rc = db_fail(s, d, "counting a defined form's values");
        } else if (n > 0) {
            if (j < 0)
                soko_diag_add(d, file, 0, 0, P_("the form %s no longer has the column %s, but "
                                                "store %s holds %lld value in it; expected the "
                                                "column kept in the definition, or the imports "
                                                "that hold it undone first (with the definition "
                                                "as it was: 'soko imports', 'soko undo ID'): "
                                                "nothing was changed",
                                                "the form %s no longer has the column %s, but "
                                                "store %s holds %lld values in it; expected the "
                                                "column kept in the definition, or the imports "
                                                "that hold it undone first (with the definition "
                                                "as it was: 'soko imports', 'soko undo ID'): "
                                                "nothing was changed", n),
                              f->name, oname[i], s->path, n);
            else
                soko_diag_add(d, file, 0, 0, P_("the column %s of form %s is now of SQL type %s, "
                                                "but store %s holds %lld value of type %s in it; "
                                                "expected the type kept, or the imports that hold "
                                                "it undone first (with the definition as it "
                                                "was): nothing was changed",
                                                "the column %s of form %s is now of SQL type %s, "
                                                "but store %s holds %lld values of type %s in it; "
                                                "expected the type kept, or the imports that hold "
                                                "it undone first (with the definition as it "
                                                "was): nothing was changed", n),
                              oname[i], f->name, sql_type(&f->cols[j]), s->path, n, otype[i]);
            rc = SOKO_EDB;
        }
    }
    for (size_t j = 0; j < f->ncols && !rc; j++) {
        const struct form_col *c = &f->cols[j];
        int had = 0;
        for (size_t i = 0; i < no; i++) had |= strcmp(oname[i], c->name) == 0;
        if (!had && (c->flags & COL_REQUIRED) && !c->deflt && rows + hrows > 0) {
            soko_diag_add(d, file, 0, 0, P_("the form %s has a new required column %s, but "
                                            "store %s holds %lld row without it; expected the "
                                            "new column optional (required = no) or with a "
                                            "default: nothing was changed",
                                            "the form %s has a new required column %s, but "
                                            "store %s holds %lld rows without it; expected the "
                                            "new column optional (required = no) or with a "
                                            "default: nothing was changed", rows + hrows),
                          f->name, c->name, s->path, rows + hrows);
            rc = SOKO_EDB;
        }
    }
    /* the rebuild: the old tables aside, the new ones made, the rows copied */
    struct sbuf b = SBUF_INIT, cols = SBUF_INIT, vals = SBUF_INIT;
    if (!rc) {
        for (size_t j = 0; j < f->ncols; j++) {
            const struct form_col *c = &f->cols[j];
            int had = 0;
            for (size_t i = 0; i < no; i++) had |= strcmp(oname[i], c->name) == 0;
            if (!had && !c->deflt) continue;
            sbuf_printf(&cols, "%s, ", c->name);
            if (had) {
                sbuf_printf(&vals, "%s, ", c->name);
            } else {
                char *lit = sqlite3_mprintf("%Q, ", c->deflt);
                sbuf_adds(&vals, lit);
                sqlite3_free(lit);
            }
        }
        sbuf_printf(&b, "DROP INDEX IF EXISTS %s_import;\nDROP INDEX IF EXISTS hist_%s_by;\n"
                        "DROP INDEX IF EXISTS hist_%s_import;\nDROP INDEX IF EXISTS hist_%s_key;\n"
                        "ALTER TABLE %s RENAME TO %s__old;\n"
                        "ALTER TABLE hist_%s RENAME TO hist_%s__old;\n",
                    f->name, f->name, f->name, f->name, f->name, f->name, f->name, f->name);
        create_table(&b, f);
        sbuf_printf(&b, "INSERT INTO %s(%simport_id) SELECT %simport_id FROM %s__old;\n"
                        "INSERT INTO hist_%s(%simport_id, replaced_by) SELECT %simport_id, "
                        "replaced_by FROM hist_%s__old;\n"
                        "DROP TABLE %s__old;\nDROP TABLE hist_%s__old;\n",
                    f->name, cols.s, vals.s, f->name, f->name, cols.s, vals.s, f->name, f->name,
                    f->name);
        char *msg = NULL;
        if (sqlite3_exec(s->db, b.s, NULL, NULL, &msg) != SQLITE_OK) {
            int ext = sqlite3_extended_errcode(s->db);
            if ((ext & 0xff) == SQLITE_CONSTRAINT || (ext & 0xff) == SQLITE_ERROR) {
                soko_diag_add(d, file, 0, 0, _("the rows of form %s stored in %s do not meet its "
                                               "new definition (%s); expected a definition they "
                                               "meet, or the imports undone first: nothing was "
                                               "changed"), f->name, s->path,
                              msg ? msg : sqlite3_errmsg(s->db));
                rc = SOKO_EDB;
            } else {
                rc = explain(s->db, s->path, ext, _("bringing a defined form up to date"), d);
            }
        }
        sqlite3_free(msg);
    }
    sbuf_free(&b);
    sbuf_free(&cols);
    sbuf_free(&vals);
    for (size_t i = 0; i < no; i++) {
        free(oname[i]);
        free(otype[i]);
    }
    free(oname);
    free(otype);
    return rc;
}

/* A reader's empty stand-in for a defined form the store does not hold yet. */
static int def_temp(struct store *s, const struct form *f, struct soko_diag *d)
{
    struct sbuf b = SBUF_INIT;
    for (int h = 0; h < 2; h++) {
        sbuf_printf(&b, "CREATE TEMP TABLE %s%s (", h ? "hist_" : "", f->name);
        for (size_t i = 0; i < f->ncols; i++)
            sbuf_printf(&b, "%s %s, ", f->cols[i].name, sql_type(&f->cols[i]));
        sbuf_adds(&b, h ? "import_id INTEGER, replaced_by INTEGER);\n" : "import_id INTEGER);\n");
    }
    int rc = exec(s, b.s, d);
    sbuf_free(&b);
    return rc;
}

/* Creates, checks or brings up to date the tables of every defined form. A writer
 * that finds work takes the write lock and then decides form by form under it. */
static int sync_defined(struct store *s, struct soko_diag *d)
{
    const struct form *const *all = forms_all();
    int rc = SOKO_OK, writing = 0, ok;
    long long has_defs = query_count(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                        "AND name = 'form_defs'", &ok);
    if (!ok) return db_fail(s, d, "reading the schema");
    for (size_t i = 0; all[i] && !rc; i++) {
        const struct form *f = all[i];
        if (!formdef_file(f)) continue;
        char *sql = def_schema(f), sha[65];
        def_sha(sql, sha);
        char *rec = has_defs ? query_text(s, "SELECT sha256 FROM form_defs WHERE name = ?1",
                                          f->name) : NULL;
        char *have = query_text(s, "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                   "name = ?1", f->name);
        int same = rec && have && strcmp(rec, sha) == 0;
        if (same) {
            /* up to date */
        } else if (s->readonly && !have) {
            rc = def_temp(s, f, d);
        } else if (s->readonly) {
            soko_diag_add(d, NULL, 0, 0, _("store %s holds the form %s as it was defined before: "
                                           "its definition (%s) has changed since; expected the "
                                           "store brought up to date: run 'soko --db %s migrate' "
                                           "(it keeps the data, or says why it cannot)"),
                          s->path, f->name, def_base(f), s->path);
            rc = SOKO_EDB;
        } else if (!writing) {
            /* take the write lock and look at every form again: another soko may have
               created or migrated them meanwhile */
            rc = begin_write(s, d);
            if (!rc) {
                writing = 1;
                rc = exec(s, form_defs_sql, d);
                has_defs = 1;
                i = (size_t)-1;       /* the loop's i++ makes it 0 */
            }
        } else {
            rc = have ? def_rebuild(s, f, d) : exec(s, sql, d);
            if (!rc) s->defs_synced++;
            if (!rc) {
                sqlite3_stmt *st;
                char now[32], *cols = def_columns(f);
                now_iso(now);
                if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO form_defs(name, sha256, "
                                              "columns, file, stored) VALUES (?1, ?2, ?3, ?4, ?5)",
                                       -1, &st, NULL) != SQLITE_OK) {
                    rc = db_fail(s, d, "recording a form's definition");
                } else {
                    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(st, 2, sha, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(st, 3, cols, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(st, 4, def_base(f), -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(st, 5, now, -1, SQLITE_TRANSIENT);
                    if (sqlite3_step(st) != SQLITE_DONE)
                        rc = db_fail(s, d, "recording a form's definition");
                    sqlite3_finalize(st);
                }
                free(cols);
            }
        }
        free(sql);
        free(rec);
        free(have);
    }
    if (writing) {
        if (!rc) rc = exec(s, "COMMIT", d);
        if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

/* Two sokos creating a store at once: the one that loses the switch to WAL gets
 * SQLITE_BUSY at once (a busy handler could deadlock there), so it tries again. */
static int set_wal(struct store *s, struct soko_diag *d)
{
    for (int waited = 0;; waited += 10) {
        if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) == SQLITE_OK)
            return SOKO_OK;
        if ((sqlite3_errcode(s->db) & 0xff) != SQLITE_BUSY || waited >= s->busy_ms)
            return db_fail(s, d, N_("switching the journal to WAL"));
        sqlite3_sleep(10);
    }
}

/* ---------------------------------------------------------------- opening */

/* The directory part of a path ("." for a bare name); caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* 1 when the file starts with SQLite's header string, 0 when not, -1 when it cannot
 * be read (errno set). *text is set when the first bytes look like text (a CSV). */
static int sqlite_header(const char *path, int *text)
{
    unsigned char h[512];
    *text = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, h, sizeof h);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return -1;
    }
    if (n >= 16 && memcmp(h, "SQLite format 3", 16) == 0) return 1;
    /* text: no control characters but tab and line ends, and valid UTF-8 (a cut
       character at the end of what was read is fine) or a single-byte code page */
    int printable = n > 0, high = 0, inc;
    for (ssize_t i = 0; i < n; i++) {
        if (h[i] < 0x09 || (h[i] > 0x0D && h[i] < 0x20) || h[i] == 0x7F) printable = 0;
        high += h[i] >= 0x80;
    }
    if (printable && high && utf8_valid_prefix(h, (size_t)n, &inc) != (size_t)n && !inc)
        printable = high * 4 < n;      /* Windows-1251 text is mostly ASCII punctuation */
    *text = printable;
    return 0;
}

/* The message for a path that is not a store file at all; returns the exit code. */
static int not_a_store(const char *path, const struct stat *sb, struct soko_diag *d)
{
    int text = 0;
    if (!S_ISREG(sb->st_mode)) {
        soko_diag_add(d, NULL, 0, 0, _("%s is not a soko store: it is %s, not a file; expected "
                                       "the file of a store (made by soko import)"), path,
                      S_ISDIR(sb->st_mode) ? _("a folder") : _("a device or other special file"));
        return SOKO_EDB;
    }
    if (sb->st_size == 0) {
        soko_diag_add(d, NULL, 0, 0, _("%s is empty: no soko store in it; expected a store made "
                                       "by soko import"), path);
        return SOKO_EDB;
    }
    int h = sqlite_header(path, &text);
    if (h < 0) {
        soko_diag_add(d, NULL, 0, 0, _("store %s cannot be read: %s"), path, strerror(errno));
        return SOKO_EIO;
    }
    if (h == 0) {
        soko_diag_add(d, NULL, 0, 0, "%s%s", path,
                      text ? _(" is not a soko store: it is a text file (a CSV file is imported "
                               "with 'soko import FORM FILE'); expected a store made by soko import")
                           : _(" is not a soko store: it is not an SQLite database; expected a "
                               "store made by soko import"));
        return SOKO_EDB;
    }
    return SOKO_OK;
}

/* "file:" URI of path for sqlite3_open_v2, every byte but unreserved ones and '/'
 * percent-encoded, with the query given. Caller frees. */
static char *file_uri(const char *path, const char *query)
{
    struct sbuf b = SBUF_INIT;
    sbuf_adds(&b, path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            sbuf_addc(&b, (char)*p);
        else
            sbuf_printf(&b, "%%%02X", *p);
    }
    sbuf_printf(&b, "?%s", query);
    return sbuf_take(&b);
}

/* Checks before a writer opens: the folder exists, the file (if any) is a store and
 * may be written; creates a new store file with owner-only permissions (0600, whatever
 * the umask: it holds personal data), so that its -wal and -shm, which SQLite creates
 * with the permissions of the database file, are owner-only too. */
static int prepare_writer(struct store *s, const char *fpath, struct soko_diag *d)
{
    struct stat sb;
    char *dir = dir_of(fpath);
    int rc = SOKO_OK;
    if (stat(fpath, &sb) == 0) {
        if (!S_ISREG(sb.st_mode) || sb.st_size > 0) rc = not_a_store(s->path, &sb, d);
        if (!rc && (access(fpath, W_OK) != 0 || access(dir, W_OK) != 0)) {
            soko_diag_add(d, NULL, 0, 0, _("store %s cannot be written: %s; expected a store "
                                           "whose file and folder you may write"),
                          s->path, strerror(errno));
            rc = SOKO_EIO;
        }
    } else if (errno == ENOENT) {
        struct stat db;
        if (stat(dir, &db) != 0 || !S_ISDIR(db.st_mode)) {
            soko_diag_add(d, NULL, 0, 0, _("store %s: the folder %s does not exist; expected the "
                                           "store in an existing folder (create it first, or give "
                                           "another --db)"), s->path, dir);
            rc = SOKO_EIO;
        } else {
            int fd = open(fpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd >= 0) {
                if (fchmod(fd, 0600) != 0) { /* the mode asked for at creation stands */ }
                close(fd);
                s->created = 1;
            } else if (errno != EEXIST) {
                soko_diag_add(d, NULL, 0, 0, _("store %s cannot be created: %s; expected a folder "
                                               "you may write"), s->path, strerror(errno));
                rc = SOKO_EIO;
            }
        }
    } else {
        soko_diag_add(d, NULL, 0, 0, _("store %s cannot be used: %s"), s->path, strerror(errno));
        rc = SOKO_EIO;
    }
    free(dir);
    return rc;
}

/* Checks before a reader opens, and how: a file at a read-only location (no write
 * permission on the file for anyone, or a folder this process may not write) with no
 * pending journal is opened immutable, so that reading it creates no -wal or -shm
 * (which would be left behind, read-only, in the way of the next writer). */
static int prepare_reader(struct store *s, const char *fpath, struct soko_diag *d)
{
    struct stat sb;
    if (stat(fpath, &sb) != 0) {
        int e = errno;
        char *dir = dir_of(fpath);
        struct stat db;
        int nodir = e == ENOENT && (stat(dir, &db) != 0 || !S_ISDIR(db.st_mode));
        if (nodir)
            soko_diag_add(d, NULL, 0, 0, _("store %s: the folder %s does not exist; expected "
                                           "the path of a store made by 'soko import'"),
                          s->path, dir);
        else if (e == ENOENT)
            soko_diag_add(d, NULL, 0, 0, _("%s: no store here yet; expected a database made by "
                                           "'soko import' (or give --db PATH)"), s->path);
        else
            soko_diag_add(d, NULL, 0, 0, _("store %s cannot be read: %s"), s->path, strerror(e));
        free(dir);
        return nodir ? SOKO_EIO : e == ENOENT ? SOKO_EDB : SOKO_EIO;
    }
    int rc = not_a_store(s->path, &sb, d);
    if (rc) return rc;
    char *wal = xasprintf("%s-wal", fpath), *dir = dir_of(fpath);
    struct stat wb;
    int pending = stat(wal, &wb) == 0 && wb.st_size > 0;
    /* nobody may write the file, or this process may not write it or its folder: the
       -wal and -shm it would make could not be removed, or would be in the way of the
       file's owner */
    int ro_place = (sb.st_mode & 0222) == 0 || access(fpath, W_OK) != 0 ||
                   access(dir, W_OK) != 0;
    s->snapshot = ro_place && !pending;
    free(wal);
    free(dir);
    return SOKO_OK;
}

static int open_db(struct store *s, const char *fpath, struct soko_diag *d)
{
    /* A reader in a place it may write opens the file read-write and is kept from
     * writing by PRAGMA query_only (setup): a connection opened read-only can never
     * remove the -wal and -shm of a WAL store when it closes, so every `soko status`
     * would leave them behind. */
    int flags = s->readonly && s->snapshot ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    flags |= SQLITE_OPEN_NOMUTEX;   /* one thread uses a connection: no lock per call */
    char *uri = s->snapshot ? file_uri(fpath, "immutable=1") : NULL;
    if (uri) flags |= SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(uri ? uri : fpath, &s->db, flags, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        if (!s->db) {
            soko_diag_add(d, s->path, 0, 0, "cannot open the store: out of memory");
            return SOKO_EDB;
        }
        return explain(s->db, s->path, sqlite3_extended_errcode(s->db), _("opening the store"), d);
    }
    sqlite3_busy_timeout(s->db, s->busy_ms);
    sqlite3_extended_result_codes(s->db, 1);
    return SOKO_OK;
}

/* After the open: pragmas, the schema (created or migrated by a writer), the registry
 * lookup, and for a reader its one snapshot. */
static int setup(struct store *s, struct soko_diag *d)
{
    int rc = exec(s, "PRAGMA foreign_keys = ON", d);
    /* a reader's temporary storage in memory, where the indicators' evaluation budget
       bounds it (indicators.h); set before sync_defined makes the stand-ins of defined
       forms, since SQLite cannot move a temporary database that holds tables */
    if (!rc && s->readonly) rc = exec(s, "PRAGMA temp_store = MEMORY", d);
    if (!rc && !s->readonly) rc = set_wal(s, d);
    if (!rc && !s->readonly) rc = exec(s, "PRAGMA synchronous = NORMAL", d);
    if (!rc) rc = migrate(s, d);
    if (!rc) rc = sync_defined(s, d);
    /* a reader's stand-ins for defined forms are made above; nothing is written after */
    if (!rc && s->readonly) rc = exec(s, "PRAGMA query_only = 1", d);
    if (!rc && sqlite3_prepare_v2(s->db, "SELECT 1 FROM schools WHERE school_id = ?", -1,
                                  &s->school, NULL) != SQLITE_OK)
        rc = db_fail(s, d, "preparing the registry lookup");
    if (!rc && sqlite3_prepare_v2(s->db, "SELECT school_id FROM schools WHERE lower(login) = "
                                  "lower(?) ORDER BY school_id LIMIT 1", -1, &s->login,
                                  NULL) != SQLITE_OK)
        rc = db_fail(s, d, "preparing the login lookup");
    /* a reader sees one state from its first query to store_close, even when an import
     * commits meanwhile: never the vpr rows of an import without its vpr_dist rows */
    if (!rc && s->readonly) rc = exec(s, "BEGIN", d);
    return rc;
}

int store_open(const char *path, int readonly, struct store **out, struct soko_diag *d)
{
    *out = NULL;
    if (!path || !*path) {
        soko_diag_add(d, NULL, 0, 0, _("the store has no name; expected --db PATH"));
        return SOKO_EUSAGE;
    }
    struct store *s = xcalloc(1, sizeof *s);
    s->readonly = readonly;
    s->path = xstrdup(path);
    const char *bt = getenv("SOKO_BUSY_TIMEOUT");
    s->busy_ms = bt ? atoi(bt) : 10000;
    /* a name SQLite would take for a URI or a memory database is a file name here */
    char *fpath = strncmp(path, "file:", 5) == 0 || strcmp(path, ":memory:") == 0
                      ? xasprintf("./%s", path) : xstrdup(path);
    int rc = readonly ? prepare_reader(s, fpath, d) : prepare_writer(s, fpath, d);
    struct stat sb;
    if (!rc && stat(fpath, &sb) == 0) {
        s->dev = sb.st_dev;
        s->ino = sb.st_ino;
    }
    if (!rc) rc = open_db(s, fpath, d);
    if (!rc) {
        struct soko_diag tmp;
        soko_diag_init(&tmp, 0);
        rc = setup(s, &tmp);
        /* a reader refused the -shm (a read-only folder this check did not see):
           without a pending journal, the file is read as an immutable snapshot */
        int ext = s->db ? sqlite3_extended_errcode(s->db) : 0;
        char *wal = xasprintf("%s-wal", fpath);
        struct stat wb;
        int pending = stat(wal, &wb) == 0 && wb.st_size > 0;
        free(wal);
        if (rc && readonly && !s->snapshot && !pending &&
            ((ext & 0xff) == SQLITE_CANTOPEN || (ext & 0xff) == SQLITE_READONLY)) {
            finalize_stmts_and_close(s);
            s->snapshot = 1;
            soko_diag_clear(&tmp);
            rc = open_db(s, fpath, &tmp);
            if (!rc) rc = setup(s, &tmp);
        } else if (rc && readonly && pending &&
                   ((ext & 0xff) == SQLITE_CANTOPEN || (ext & 0xff) == SQLITE_READONLY)) {
            soko_diag_clear(&tmp);
            soko_diag_add(&tmp, NULL, 0, 0, _("store %s has an unfinished journal (%s-wal) and "
                                              "soko may not write beside it here; expected the "
                                              "store closed by the soko that wrote it, or a copy "
                                              "with its -wal file in a folder you may write"),
                          path, path);
        }
        for (size_t i = 0; i < tmp.nmsgs; i++) soko_diag_add(d, NULL, 0, 0, "%s", tmp.msgs[i]);
        soko_diag_free(&tmp);
    }
    free(fpath);
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return SOKO_OK;
}

static void plans_clear(struct store *s)
{
    for (size_t i = 0; i < s->nplans; i++) free(s->plans[i].subject);
    free(s->plans);
    s->plans = NULL;
    s->nplans = 0;
}

static void finalize_stmts(struct store *s)
{
    sqlite3_finalize(s->plan_max);
    s->plan_max = NULL;
    sqlite3_finalize(s->carry);
    s->carry = NULL;
    sqlite3_finalize(s->scale);
    s->scale = NULL;
    plans_clear(s);
    for (int i = 0; i < NFORMS_MAX; i++) {
        sqlite3_finalize(s->t[i].upsert);
        sqlite3_finalize(s->t[i].save);
        sqlite3_finalize(s->t[i].drop);
        sqlite3_finalize(s->t[i].peer);
        memset(&s->t[i], 0, sizeof s->t[i]);
    }
}

static void finalize_stmts_and_close(struct store *s)
{
    finalize_stmts(s);
    sqlite3_finalize(s->school);
    s->school = NULL;
    sqlite3_finalize(s->login);
    s->login = NULL;
    sqlite3_close(s->db);
    s->db = NULL;
}

/* A store this soko created and stored no import in is removed again, so that a failed
 * first command leaves nothing behind. Under the write lock, and only when the log of
 * imports is empty (or was never made): another soko that imported into it meanwhile
 * keeps it. The WAL is kept "persistent" so that closing removes no file by name (the
 * names may by then be another new store's); a writer that opened the removed file
 * notices in begin_write. */
static void discard_if_empty(struct store *s)
{
    const char *fpath = sqlite3_db_filename(s->db, "main");
    if (!fpath || !*fpath || s->readonly) return;
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return;
    sqlite3_stmt *st;
    int empty = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM imports", -1, &st, NULL) == SQLITE_OK) {
        empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0;
        sqlite3_finalize(st);
    } else {
        empty = (sqlite3_errcode(s->db) & 0xff) == SQLITE_ERROR;   /* no such table */
    }
    struct stat sb;
    if (empty && stat(fpath, &sb) == 0 && sb.st_dev == s->dev && sb.st_ino == s->ino) {
        int persist = 1;
        sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        char *wal = xasprintf("%s-wal", fpath), *shm = xasprintf("%s-shm", fpath);
        unlink(wal);
        unlink(shm);
        unlink(fpath);
        free(wal);
        free(shm);
    }
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void store_close(struct store *s)
{
    if (!s) return;
    if (s->import_id) store_import_rollback(s);
    finalize_stmts(s);
    sqlite3_finalize(s->school);
    sqlite3_finalize(s->login);
    if (s->db && s->readonly && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (s->db && s->created && s->ino) discard_if_empty(s);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

int store_created(const struct store *s) { return s->created; }

void store_last_import(const struct store *s, long long *rows, long long *works,
                       long long *participants)
{
    *rows = s->n_rows;
    *works = s->n_works;
    *participants = s->n_participants;
}
int store_snapshot(const struct store *s) { return s->snapshot; }
int store_found_version(const struct store *s) { return s->found_version; }
int store_forms_synced(const struct store *s) { return s->defs_synced; }

sqlite3 *store_db(struct store *s) { return s->db; }

int store_school_exists(struct store *s, const char *school_id)
{
    sqlite3_reset(s->school);
    sqlite3_bind_text(s->school, 1, school_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s->school);
    sqlite3_reset(s->school);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_vpr_scale(struct store *s, long long year, long long grade, const char *subject,
                    int scale[4])
{
    /* asked once per work of a per-student file: prepared once */
    if (!s->scale &&
        sqlite3_prepare_v2(s->db, "SELECT max_score, min3, min4, min5 FROM vpr_scales WHERE "
                                  "year = ? AND grade = ? AND subject = ?", -1, &s->scale,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st = s->scale;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, year);
    sqlite3_bind_int64(st, 2, grade);
    sqlite3_bind_text(st, 3, subject, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        for (int k = 0; k < 4; k++) scale[k] = sqlite3_column_int(st, k);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_work_planned(struct store *s, long long year, long long grade, const char *subject)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM vpr_plan WHERE year = ? AND grade = ? AND "
                                  "subject = ? LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, year);
    sqlite3_bind_int64(st, 2, grade);
    sqlite3_bind_text(st, 3, subject, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_school_by_login(struct store *s, const char *login, char *id, size_t n)
{
    sqlite3_reset(s->login);
    sqlite3_bind_text(s->login, 1, login, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s->login);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s->login, 0);
        snprintf(id, n, "%s", t ? (const char *)t : "");
    }
    sqlite3_reset(s->login);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---------------------------------------------------------------- imports */

/* The foreign keys back on after an import (store_import_begin may turn them off;
 * outside an import they are always on). */
static void fk_on(struct store *s)
{
    sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
}

int store_import_begin(struct store *s, const struct form *f, const char *file,
                       const char *layout, const char *layout_sha256, struct soko_diag *d)
{
    SOKO_ASSERT(!s->import_id);
    /* The rows of a form other than the registry: the loader has looked up every school
     * code in the registry (load.c, school_known) and import_id is this import's, so
     * SQLite's foreign keys would only look each up again — a sixth of an import's
     * time (bench S2). The registry's own import keeps them. Set outside the
     * transaction: SQLite ignores the pragma inside one. */
    if (strcmp(f->name, "schools") != 0 &&
        sqlite3_exec(s->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, d, N_("starting a write"));
    int rc = begin_write(s, d);
    if (rc) {
        store_import_rollback(s);
        return rc;
    }
    sqlite3_stmt *st;
    char now[32];
    now_iso(now);
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO imports(form, file, started, status, layout, "
                           "layout_sha256) VALUES (?, ?, ?, 'active', ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, d, N_("recording the import"));
        store_import_rollback(s);
        return rc;
    }
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, layout_sha256, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(s, d, N_("recording the import"));
        sqlite3_finalize(st);
        store_import_rollback(s);
        return rc;
    }
    sqlite3_finalize(st);
    s->import_id = sqlite3_last_insert_rowid(s->db);
    s->form = f;
    s->file = file;
    s->n_rows = s->n_works = s->n_participants = 0;
    s->journals = -1;
    for (int i = 0; i < NFORMS_MAX; i++) s->t[i].looked = 0;   /* an id may come again */
    plans_clear(s);
    return SOKO_OK;
}

static int prepare_table(struct store *s, const struct form *f, struct soko_diag *d)
{
    struct table_stmts *t = &s->t[form_index(f)];
    if (t->upsert) return SOKO_OK;
    struct sbuf b = SBUF_INIT;
    int group = is_group_form(f);
    int rc = SOKO_OK;

    /* upsert: parameters ?1..?n are the columns, then import_id, from_students */
    sbuf_printf(&b, "INSERT INTO %s(", f->name);
    col_list(&b, f, "");
    sbuf_adds(&b, ") VALUES (");
    size_t np = f->ncols + 1 + (size_t)has_from_students(f);
    for (size_t i = 0; i < np; i++) sbuf_printf(&b, "%s?%zu", i ? ", " : "", i + 1);
    sbuf_adds(&b, ") ON CONFLICT(");
    int first = 1;
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & COL_KEY) {
            sbuf_printf(&b, "%s%s", first ? "" : ", ", f->cols[i].name);
            first = 0;
        }
    sbuf_adds(&b, ") DO UPDATE SET ");
    for (size_t i = 0; i < f->ncols; i++)
        sbuf_printf(&b, "%s = excluded.%s, ", f->cols[i].name, f->cols[i].name);
    sbuf_adds(&b, "import_id = excluded.import_id");
    if (has_from_students(f)) sbuf_adds(&b, ", from_students = excluded.from_students");
    if (sqlite3_prepare_v2(s->db, b.s, -1, &t->upsert, NULL) != SQLITE_OK)
        rc = db_fail(s, d, N_("preparing an insert"));

    /* save: ?1 the new import, then the key (or group) columns in form order */
    struct sbuf where = SBUF_INIT;
    int want = group ? COL_GROUP : COL_KEY, k = 2;
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & want) sbuf_printf(&where, "%s = ?%d AND ", f->cols[i].name, k++);
    sbuf_adds(&where, "import_id <> ?1");
    sbuf_reset(&b);
    sbuf_printf(&b, "INSERT INTO hist_%s(", f->name);
    col_list(&b, f, "");
    sbuf_adds(&b, ", replaced_by) SELECT ");
    col_list(&b, f, "");
    sbuf_printf(&b, ", ?1 FROM %s WHERE %s", f->name, where.s);
    if (!rc && sqlite3_prepare_v2(s->db, b.s, -1, &t->save, NULL) != SQLITE_OK)
        rc = db_fail(s, d, N_("preparing the history copy"));
    if (group) {
        sbuf_reset(&b);
        sbuf_printf(&b, "DELETE FROM %s WHERE %s", f->name, where.s);
        if (!rc && sqlite3_prepare_v2(s->db, b.s, -1, &t->drop, NULL) != SQLITE_OK)
            rc = db_fail(s, d, N_("preparing the group replacement"));
    }
    if (has_from_students(f)) {
        sbuf_reset(&b);
        /* the latest row of the other kind of source for the work, live or replaced:
         * a school's vpr row is checked against its student data even after it has
         * replaced them, and the other way round */
        static const char cols[] = "from_students, import_id, participants, m2, m3, m4, m5, "
                                   "lowered, confirmed, raised, mean_score, max_score";
        static const char key[] = "year = ?2 AND school_id = ?3 AND grade = ?4 AND subject = ?5 "
                                  "AND import_id <> ?1 AND from_students <> ?6";
        sbuf_printf(&b, "SELECT v.from_students, v.import_id, i.file, v.participants, v.m2, v.m3, "
                        "v.m4, v.m5, v.lowered, v.confirmed, v.raised, v.mean_score, v.max_score "
                        "FROM (SELECT %s FROM vpr WHERE %s UNION ALL SELECT %s FROM hist_vpr "
                        "WHERE %s) v JOIN imports i ON i.id = v.import_id "
                        "ORDER BY v.import_id DESC LIMIT 1", cols, key, cols, key);
        if (!rc && sqlite3_prepare_v2(s->db, b.s, -1, &t->peer, NULL) != SQLITE_OK)
            rc = db_fail(s, d, N_("preparing the agreement check"));
    }
    sbuf_free(&where);
    sbuf_free(&b);
    return rc;
}

static void bind_cell(sqlite3_stmt *st, int idx, const struct form_col *c, const struct load_cell *v)
{
    if (!v->present) {
        sqlite3_bind_null(st, idx);
        return;
    }
    switch (c->type) {
    case COL_INT: case COL_YEAR: sqlite3_bind_int64(st, idx, v->i); break;
    case COL_REAL: sqlite3_bind_double(st, idx, v->r); break;
    default: sqlite3_bind_text(st, idx, v->s, -1, SQLITE_TRANSIENT); break;
    }
}

static int bind_key(sqlite3_stmt *st, const struct form *f, const struct load_row *r, long long imp)
{
    int want = is_group_form(f) ? COL_GROUP : COL_KEY, k = 2;
    sqlite3_bind_int64(st, 1, imp);
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & want) bind_cell(st, k++, &f->cols[i], &r->cells[i]);
    return k;
}

static const char *row_file(const struct store *s, const struct load_row *r);

/* A vpr row and the per-student aggregate of the same work must agree. Returns 0 when
 * they do (or there is nothing to compare), else adds the differences to d. */
static int vpr_agree(struct store *s, struct table_stmts *t, struct load_row *r, struct soko_diag *d)
{
    const struct form *f = r->form;
    sqlite3_reset(t->peer);
    bind_key(t->peer, f, r, s->import_id);
    sqlite3_bind_int(t->peer, 6, r->from_students);
    int rc = sqlite3_step(t->peer);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return db_fail(s, d, N_("checking agreement with stored ВПР rows"));
    int from = sqlite3_column_int(t->peer, 0);
    static const char *const names[] = {"participants", "m2", "m3", "m4", "m5", "lowered",
                                         "confirmed", "raised"};
    struct sbuf diff = SBUF_INIT;
    for (int i = 0; i < 8; i++) {
        int j = form_col_index(f, names[i]);
        if (!r->cells[j].present || sqlite3_column_type(t->peer, 3 + i) == SQLITE_NULL) continue;
        long long there = sqlite3_column_int64(t->peer, 3 + i);
        if (there != r->cells[j].i)
            sbuf_printf(&diff, "%s%s %lld here, %lld there", diff.len ? "; " : "", names[i],
                        r->cells[j].i, there);
    }
    int jm = form_col_index(f, "mean_score");
    if (r->cells[jm].present && sqlite3_column_type(t->peer, 11) != SQLITE_NULL) {
        double there = sqlite3_column_double(t->peer, 11);
        if (r->cells[jm].r - there > 0.05 || there - r->cells[jm].r > 0.05)
            sbuf_printf(&diff, "%smean_score %.2f here, %.2f there", diff.len ? "; " : "",
                        r->cells[jm].r, there);
    }
    int bad = diff.len > 0;
    if (bad) {
        int jy = form_col_index(f, "year"), js = form_col_index(f, "school_id");
        int jg = form_col_index(f, "grade"), ju = form_col_index(f, "subject");
        soko_diag_add(d, row_file(s, r), r->line, 0,
                      "ВПР %lld, school %s, grade %lld, %s: %s; the %s stored by import #%lld "
                      "(%s) differ; expected both forms of a work to agree (undo one of them)",
                      r->cells[jy].i, r->cells[js].s, r->cells[jg].i, r->cells[ju].s, diff.s,
                      from ? "per-student figures" : "school figures",
                      (long long)sqlite3_column_int64(t->peer, 1),
                      (const char *)sqlite3_column_text(t->peer, 2));
    } else if (r->from_students) {
        /* agreement: keep what only the school form knows */
        int jx = form_col_index(f, "max_score");
        if (!r->cells[jx].present && sqlite3_column_type(t->peer, 12) != SQLITE_NULL) {
            r->cells[jx].present = 1;
            r->cells[jx].i = sqlite3_column_int64(t->peer, 12);
        }
    }
    sbuf_free(&diff);
    sqlite3_reset(t->peer);
    return bad ? SOKO_EINPUT : 0;
}

/* ---------------------------------------------- the task forms: checks against the plan */

static int is_form(const struct form *f, const char *name) { return strcmp(f->name, name) == 0; }

/* Where a row's column `name` came from, for messages: the loader's "file[Sheet]"
 * (else the import's file) and the source column (0 when not known). */
static const char *row_file(const struct store *s, const struct load_row *r)
{
    return r->where ? r->where : s->file;
}

static long row_col(const struct load_row *r, const char *name)
{
    int j = r->col ? form_col_index(r->form, name) : -1;
    return j >= 0 ? r->col[j] : 0;
}

static const struct load_cell *cell_of(const struct load_row *r, const char *name)
{
    int j = form_col_index(r->form, name);
    SOKO_ASSERT(j >= 0);
    return &r->cells[j];
}

static struct load_cell *cell_mut(struct load_row *r, const char *name)
{
    int j = form_col_index(r->form, name);
    SOKO_ASSERT(j >= 0);
    return &r->cells[j];
}

/* The plan's tasks of the row's work, "1, 2, 9.1", for a message (caller frees). */
static char *plan_tasks(struct store *s, const struct load_row *r)
{
    sqlite3_stmt *st;
    struct sbuf b = SBUF_INIT;
    sbuf_add(&b, "", 0);
    if (sqlite3_prepare_v2(s->db, "SELECT task FROM vpr_plan WHERE year = ?1 AND grade = ?2 AND "
                                  "subject = ?3 ORDER BY CAST(task AS INTEGER), task",
                           -1, &st, NULL) != SQLITE_OK)
        return sbuf_take(&b);
    sqlite3_bind_int64(st, 1, cell_of(r, "year")->i);
    sqlite3_bind_int64(st, 2, cell_of(r, "grade")->i);
    sqlite3_bind_text(st, 3, cell_of(r, "subject")->s, -1, SQLITE_TRANSIENT);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 40) {
            sbuf_adds(&b, ", ...");
            break;
        }
        sbuf_printf(&b, "%s%s", n > 1 ? ", " : "", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return sbuf_take(&b);
}

/* The task's maximum score in the stored plan: SOKO_OK with *max, SOKO_EINPUT with the
 * row refused by name (no plan, or a task the plan lacks), or the store's failure. */
static int plan_task_max(struct store *s, const struct load_row *r, long long *max,
                         struct soko_diag *d)
{
    if (!s->plan_max &&
        sqlite3_prepare_v2(s->db, "SELECT max_score FROM vpr_plan WHERE year = ?1 AND grade = ?2 "
                                  "AND subject = ?3 AND task = ?4", -1, &s->plan_max,
                           NULL) != SQLITE_OK)
        return db_fail(s, d, "looking up the plan of a work");
    sqlite3_reset(s->plan_max);
    long long year = cell_of(r, "year")->i, grade = cell_of(r, "grade")->i;
    const char *subject = cell_of(r, "subject")->s, *task = cell_of(r, "task")->s;
    sqlite3_bind_int64(s->plan_max, 1, year);
    sqlite3_bind_int64(s->plan_max, 2, grade);
    sqlite3_bind_text(s->plan_max, 3, subject, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->plan_max, 4, task, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s->plan_max);
    if (rc == SQLITE_ROW) {
        *max = sqlite3_column_int64(s->plan_max, 0);
        sqlite3_reset(s->plan_max);
        return SOKO_OK;
    }
    sqlite3_reset(s->plan_max);
    if (rc != SQLITE_DONE) return db_fail(s, d, "looking up the plan of a work");
    char *tasks = plan_tasks(s, r);
    if (!*tasks)
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "task"),
                      _("task %s: the store has no plan of the work (ВПР %lld, grade %lld, %s); "
                        "expected the work's plan imported first (form vpr_plan)"),
                      task, year, grade, subject);
    else
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "task"),
                      _("task %s is not a task of the work's plan (ВПР %lld, grade %lld, %s: "
                        "tasks %s); expected a task of the plan"),
                      task, year, grade, subject, tasks);
    free(tasks);
    return SOKO_EINPUT;
}

/* vpr_tasks: the task in the plan, points within max × participants, and both figures
 * filled in (points = completion / 100 × max × participants). */
static int tasks_row(struct store *s, struct load_row *r, struct soko_diag *d)
{
    long long max;
    int rc = plan_task_max(s, r, &max, d);
    if (rc) return rc;
    const char *task = cell_of(r, "task")->s;
    long long n = cell_of(r, "participants")->i;
    struct load_cell *pc = cell_mut(r, "completion"), *pt = cell_mut(r, "points");
    struct load_cell *pm = cell_mut(r, "max_score");
    if (pm->present && pm->i != max) {
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "task"),
                      _("task %s: maximum score %lld here, but %lld in the work's plan; expected "
                        "the plan's"), task, pm->i, max);
        return SOKO_EINPUT;
    }
    pm->present = 1;
    pm->i = max;
    double cap = (double)max * (double)n;
    if (!pc->present && !pt->present) {
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "task"),
                      _("task %s: neither the completion nor the points are given; expected "
                        "one of them"), task);
        return SOKO_EINPUT;
    }
    if (pt->present && pt->r > cap + 1e-9) {
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "task"),
                      _("task %s: %g points, more than the maximum %lld × %lld participants = "
                        "%g; expected at most %g"), task, pt->r, max, n, cap, cap);
        return SOKO_EINPUT;
    }
    if (pc->present && pt->present && cap > 0 &&
        fabs(pc->r - 100.0 * pt->r / cap) > 0.5 + 1e-9) {
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "task"),
                      _("task %s: completion %g %% but %g points of %g possible (%.1f %%); "
                        "expected the two to agree"), task, pc->r, pt->r, cap,
                      100.0 * pt->r / cap);
        return SOKO_EINPUT;
    }
    if (!pt->present) {
        pt->present = 1;
        pt->r = pc->r / 100.0 * cap;
    } else if (!pc->present) {
        pc->present = 1;
        pc->r = cap > 0 ? 100.0 * pt->r / cap : 0.0;
    }
    if (n == 0) pc->present = 0;     /* nobody wrote it: no completion */
    return SOKO_OK;
}

/* vpr_plan: the sums per work, checked at the commit (plan_sums_check). */
static int plan_row(struct store *s, const struct load_row *r, struct soko_diag *d)
{
    long long year = cell_of(r, "year")->i, grade = cell_of(r, "grade")->i;
    const char *subject = cell_of(r, "subject")->s;
    const struct load_cell *wm = cell_of(r, "work_max");
    struct plan_sum *p = NULL;
    for (size_t i = s->nplans; i-- > 0 && !p;)
        if (s->plans[i].year == year && s->plans[i].grade == grade &&
            strcmp(s->plans[i].subject, subject) == 0)
            p = &s->plans[i];
    if (!p) {
        s->plans = xrealloc(s->plans, (s->nplans + 1) * sizeof *s->plans);
        p = &s->plans[s->nplans++];
        *p = (struct plan_sum){year, grade, xstrdup(subject), 0, -1, 0};
    }
    if (wm->present) {
        if (p->work_max >= 0 && p->work_max != wm->i) {
            soko_diag_add(d, s->file, r->line, 0,
                          _("the work's maximum is %lld here but %lld on an earlier row of the "
                            "work (ВПР %lld, grade %lld, %s); expected one maximum per work"),
                          wm->i, p->work_max, year, grade, subject);
            return SOKO_EINPUT;
        }
        p->work_max = wm->i;
    }
    p->sum += cell_of(r, "max_score")->i;
    p->line = r->line;
    return SOKO_OK;
}

/* At the commit of a vpr_plan import: each work's tasks add up to its maximum where it
 * is given (work_max), and no stored vpr row of the work gives a maximum primary score
 * above what the tasks allow. (A vpr max_score below the plan's sum is not refused:
 * exports and the samples carry the best score achieved there as often as the work's
 * maximum.) */
static int plan_sums_check(struct store *s, struct soko_diag *d)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT max(max_score), count(*) FROM vpr WHERE year = ?1 AND "
                                  "grade = ?2 AND subject = ?3 AND max_score > ?4",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, d, "checking a plan against the stored ВПР results");
    int bad = 0, rc = SOKO_OK;
    for (size_t i = 0; i < s->nplans && !rc; i++) {
        const struct plan_sum *p = &s->plans[i];
        if (p->work_max >= 0 && p->sum != p->work_max) {
            soko_diag_add(d, s->file, p->line, 0,
                          _("the tasks' maximum scores of the work (ВПР %lld, grade %lld, %s) add "
                            "up to %lld, but its maximum (work_max) is %lld; expected the plan to "
                            "add up to the work's maximum"),
                          p->year, p->grade, p->subject, p->sum, p->work_max);
            bad = 1;
            continue;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, p->year);
        sqlite3_bind_int64(st, 2, p->grade);
        sqlite3_bind_text(st, 3, p->subject, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, p->sum);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            soko_diag_add(d, s->file, p->line, 0,
                          _("the tasks' maximum scores of the work (ВПР %lld, grade %lld, %s) add "
                            "up to %lld, but the stored ВПР results of %lld school(s) give a "
                            "maximum primary score up to %lld; expected the plan to add up to "
                            "the work's maximum"),
                          p->year, p->grade, p->subject, p->sum,
                          (long long)sqlite3_column_int64(st, 1),
                          (long long)sqlite3_column_int64(st, 0));
            bad = 1;
        } else if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = db_fail(s, d, "checking a plan against the stored ВПР results");
    }
    sqlite3_finalize(st);
    return rc ? rc : bad ? SOKO_EINPUT : SOKO_OK;
}

/* vpr_reference: the shares add up to 100 within the rounding. */
static int reference_row(struct store *s, const struct load_row *r, struct soko_diag *d)
{
    double sum = cell_of(r, "p2")->r + cell_of(r, "p3")->r + cell_of(r, "p4")->r +
                 cell_of(r, "p5")->r;
    if (fabs(sum - 100.0) <= 1.0 + 1e-9) return SOKO_OK;
    soko_diag_add(d, row_file(s, r), r->line, row_col(r, "p2"),
                  _("the shares of the marks add up to %.1f %%; expected 100 %% (within ±1 for "
                    "the rounding)"), sum);
    return SOKO_EINPUT;
}

/* A vpr row without the comparison with the journal marks keeps the one a vpr_journal
 * import gave the stored row of the work, when the participants are the same: the
 * marks imported again do not lose the journal report imported after them. */
static int journal_carry(struct store *s, struct load_row *r, struct soko_diag *d)
{
    const struct form *f = r->form;
    int jl = form_col_index(f, "lowered"), jc = form_col_index(f, "confirmed"),
        jr = form_col_index(f, "raised"), jp = form_col_index(f, "participants");
    if (r->from_students || r->cells[jl].present || r->cells[jc].present || r->cells[jr].present)
        return SOKO_OK;
    if (s->journals < 0) {
        int ok;
        s->journals = query_count(s, "SELECT count(*) FROM imports WHERE form = 'vpr_journal' "
                                     "AND status = 'active'", &ok) > 0;
        if (!ok) return db_fail(s, d, N_("looking up the journal comparisons"));
    }
    if (!s->journals) return SOKO_OK;
    if (!s->carry &&
        sqlite3_prepare_v2(s->db, "SELECT v.lowered, v.confirmed, v.raised FROM vpr v JOIN "
                                  "imports i ON i.id = v.import_id WHERE i.form = 'vpr_journal' "
                                  "AND v.year = ?1 AND v.school_id = ?2 AND v.grade = ?3 AND "
                                  "v.subject = ?4 AND v.participants = ?5 AND v.lowered IS NOT "
                                  "NULL AND v.confirmed IS NOT NULL AND v.raised IS NOT NULL",
                           -1, &s->carry, NULL) != SQLITE_OK)
        return db_fail(s, d, N_("looking up the journal comparisons"));
    sqlite3_reset(s->carry);
    sqlite3_bind_int64(s->carry, 1, cell_of(r, "year")->i);
    sqlite3_bind_text(s->carry, 2, cell_of(r, "school_id")->s, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->carry, 3, cell_of(r, "grade")->i);
    sqlite3_bind_text(s->carry, 4, cell_of(r, "subject")->s, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->carry, 5, r->cells[jp].i);
    int step = sqlite3_step(s->carry);
    if (step == SQLITE_ROW) {
        int js[3] = {jl, jc, jr};
        for (int k = 0; k < 3; k++) {
            long long v = sqlite3_column_int64(s->carry, k);
            r->cells[js[k]] = (struct load_cell){1, v, (double)v, ""};
        }
    } else if (step != SQLITE_DONE)
        return db_fail(s, d, N_("looking up the journal comparisons"));
    sqlite3_reset(s->carry);
    return SOKO_OK;
}

/* vpr_journal: the comparison with the journal marks goes into the work's stored vpr
 * row (its marks kept), as a row of this import: the history keeps the row it
 * replaces, and undo gives it back. */
static int journal_row(struct store *s, const struct load_row *r, struct soko_diag *d)
{
    const struct form *vf = form_find("vpr");
    struct sbuf q = SBUF_INIT;
    sbuf_adds(&q, "SELECT ");
    col_list(&q, vf, "");
    sbuf_adds(&q, " FROM vpr WHERE year = ?1 AND school_id = ?2 AND grade = ?3 AND subject = ?4");
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, q.s, -1, &st, NULL) != SQLITE_OK
                 ? db_fail(s, d, N_("looking up a work's results")) : SOKO_OK;
    sbuf_free(&q);
    if (rc) return rc;
    const struct load_cell *y = cell_of(r, "year"), *sc = cell_of(r, "school_id"),
                           *g = cell_of(r, "grade"), *sub = cell_of(r, "subject");
    sqlite3_bind_int64(st, 1, y->i);
    sqlite3_bind_text(st, 2, sc->s, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, g->i);
    sqlite3_bind_text(st, 4, sub->s, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        sqlite3_finalize(st);
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "school_id"),
                      _("no ВПР results of school %s are stored for the work (ВПР %lld, grade %lld, "
                        "%s); expected the work's marks (form vpr: «Статистика по отметкам») "
                        "imported first, or before this file in the same command"),
                      sc->s, y->i, g->i, sub->s);
        return SOKO_EINPUT;
    }
    if (step != SQLITE_ROW) {
        rc = db_fail(s, d, N_("looking up a work's results"));
        sqlite3_finalize(st);
        return rc;
    }
    struct load_row v;
    memset(&v, 0, sizeof v);
    v.form = vf;
    v.line = r->line;
    char *texts[LOAD_MAXCOLS] = {0};
    for (size_t i = 0; i < vf->ncols; i++) {
        struct load_cell *c = &v.cells[i];
        if (sqlite3_column_type(st, (int)i) == SQLITE_NULL) continue;
        c->present = 1;
        c->i = sqlite3_column_int64(st, (int)i);
        c->r = sqlite3_column_double(st, (int)i);
        texts[i] = xstrdup((const char *)sqlite3_column_text(st, (int)i));
        c->s = texts[i];
    }
    long long from_import = sqlite3_column_int64(st, (int)vf->ncols);
    v.from_students = sqlite3_column_int(st, (int)vf->ncols + 1);
    sqlite3_finalize(st);
    static const char *const cmp[] = {"lowered", "confirmed", "raised"};
    const struct load_cell *pp = cell_of(r, "participants");
    long long stored_n = v.cells[form_col_index(vf, "participants")].i;
    if (pp->present && pp->i != stored_n) {
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "participants"),
                      _("school %s, ВПР %lld, grade %lld, %s: %lld participants here, but the "
                        "stored results (import #%lld) have %lld; expected the comparison of "
                        "the same participants"),
                      sc->s, y->i, g->i, sub->s, pp->i, from_import, stored_n);
        rc = SOKO_EINPUT;
    }
    int same = 1;
    for (int k = 0; k < 3 && !rc; k++) {
        const struct load_cell *a = cell_of(r, cmp[k]);
        struct load_cell *b = &v.cells[form_col_index(vf, cmp[k])];
        same &= b->present && b->i == a->i;
        if (!v.from_students) *b = *a;
    }
    if (!rc && v.from_students && !same) {
        const struct load_cell *a[3] = {cell_of(r, "lowered"), cell_of(r, "confirmed"),
                                        cell_of(r, "raised")};
        const struct load_cell *b[3];
        for (int k = 0; k < 3; k++) b[k] = &v.cells[form_col_index(vf, cmp[k])];
        soko_diag_add(d, row_file(s, r), r->line, row_col(r, "lowered"),
                      _("school %s, ВПР %lld, grade %lld, %s: lowered, confirmed, raised %lld, "
                        "%lld, %lld here, but %lld, %lld, %lld from the pupils' journal marks "
                        "(import #%lld); expected the report to agree with the pupils' file"),
                      sc->s, y->i, g->i, sub->s, a[0]->i, a[1]->i, a[2]->i,
                      b[0]->present ? b[0]->i : 0, b[1]->present ? b[1]->i : 0,
                      b[2]->present ? b[2]->i : 0, from_import);
        rc = SOKO_EINPUT;
    }
    if (!rc && !v.from_students) rc = store_put_row(s, &v, d);
    for (size_t i = 0; i < vf->ncols; i++) free(texts[i]);
    return rc;
}

/* The checks of the task forms against the stored plan (may fill in the row). */
static int task_forms_row(struct store *s, struct load_row *r, struct soko_diag *d)
{
    const struct form *f = r->form;
    long long max;
    if (is_form(f, "vpr_tasks")) return tasks_row(s, r, d);
    if (is_form(f, "vpr_plan")) return plan_row(s, r, d);
    if (is_form(f, "vpr_reference")) return reference_row(s, r, d);
    if (is_form(f, "vpr_journal")) return journal_row(s, r, d);
    if (is_form(f, "vpr_reference_tasks")) return plan_task_max(s, r, &max, d);
    return SOKO_OK;
}

/* 1 when the query (?1 the import, ?2 from_students) finds something, 0 when not; 1 too
 * when it cannot be asked: then the statements it spares run and say what is wrong. */
static int table_has(struct store *s, const char *sql, int from_students)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 1;
    sqlite3_bind_int64(st, 1, s->import_id);
    if (sqlite3_bind_parameter_count(st) >= 2) sqlite3_bind_int(st, 2, from_students);
    int has = sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return has;
}

/* Whether the table holds rows of other imports: when it holds none at the first row of
 * an import, it holds none until the import ends (the rows the import writes are its
 * own, and save, drop and peer look only at the others'), so that each row is spared
 * the history copy, the group replacement and the agreement check, which would find
 * nothing. A per-student file into a store without ВПР figures writes two rows a work. */
static void store_table_look(struct store *s, const struct form *f, struct table_stmts *t)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM %s WHERE import_id <> ?1)", f->name);
    t->older = table_has(s, sql, 0);
    t->peers[0] = t->peers[1] = -1;
    t->looked = s->import_id;
}

int store_put_row(struct store *s, const struct load_row *r0, struct soko_diag *d)
{
    SOKO_ASSERT(s->import_id);
    const struct form *f = r0->form;
    int rc = prepare_table(s, f, d);
    if (rc) return rc;
    struct table_stmts *t = &s->t[form_index(f)];
    if (t->looked != s->import_id) store_table_look(s, f, t);
    struct load_row r = *r0;
    if (is_form(f, "vpr") && !is_form(s->form, "vpr_journal") && (rc = journal_carry(s, &r, d)) != 0)
        return rc;
    int kind = r.from_students == 0 || r.from_students == 1 ? r.from_students : -1;
    if (t->peer && kind >= 0 && t->peers[kind] < 0)
        t->peers[kind] = table_has(s, "SELECT EXISTS (SELECT 1 FROM vpr WHERE import_id <> ?1 AND "
                                      "from_students <> ?2) OR EXISTS (SELECT 1 FROM hist_vpr "
                                      "WHERE import_id <> ?1 AND from_students <> ?2)",
                                   kind);
    if (t->peer && (kind < 0 || t->peers[kind]) && (rc = vpr_agree(s, t, &r, d)) != 0) return rc;
    if ((rc = task_forms_row(s, &r, d)) != 0) return rc;

    if (t->older) {
        sqlite3_reset(t->save);
        bind_key(t->save, f, &r, s->import_id);
        if (sqlite3_step(t->save) != SQLITE_DONE) return db_fail(s, d, N_("saving replaced rows"));
        if (t->drop) {
            sqlite3_reset(t->drop);
            bind_key(t->drop, f, &r, s->import_id);
            if (sqlite3_step(t->drop) != SQLITE_DONE) return db_fail(s, d, N_("replacing a group"));
        }
    }
    sqlite3_reset(t->upsert);
    for (size_t i = 0; i < f->ncols; i++) bind_cell(t->upsert, (int)i + 1, &f->cols[i], &r.cells[i]);
    sqlite3_bind_int64(t->upsert, (int)f->ncols + 1, s->import_id);
    if (has_from_students(f)) sqlite3_bind_int(t->upsert, (int)f->ncols + 2, r.from_students);
    if (sqlite3_step(t->upsert) != SQLITE_DONE) {
        int ext = sqlite3_extended_errcode(s->db);
        /* a constraint of the schema is the row's fault (the loader checks the same);
           anything else — a full disk, an i/o error, a damaged file — is the store's,
           and the message says so instead of naming the line */
        if ((ext & 0xff) == SQLITE_CONSTRAINT) {
            soko_diag_add(d, s->file, r.line, 0, _("the store refused the row: %s"),
                          sqlite3_errmsg(s->db));
            rc = SOKO_EINPUT;
        } else {
            rc = explain(s->db, s->path, ext, _("writing a row"), d);
        }
        sqlite3_reset(t->upsert);
        return rc;
    }
    if (f != form_also(s->form)) s->n_rows++;   /* reference rows: not the form's */
    if (r.from_students && has_from_students(f)) {
        s->n_works++;
        int jp = form_col_index(f, "participants");
        if (jp >= 0 && r.cells[jp].present) s->n_participants += r.cells[jp].i;
    }
    return SOKO_OK;
}

/* The tables an import of form f writes. */
static size_t tables_of(const struct form *f, const struct form *out[4])
{
    if (f->kind == FORM_STUDENTS) {
        size_t n = 0;
        const char *const *into = form_into(f);
        for (int i = 0; into && i < 3 && into[i]; i++) out[n++] = form_find(into[i]);
        out[n++] = f;
        return n;
    }
    out[0] = f;
    out[1] = form_also(f);
    return out[1] ? 2 : 1;
}

static long long query_int(struct store *s, const char *sql, long long a, const char *b, int *ok)
{
    sqlite3_stmt *st;
    long long v = 0;
    *ok = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_int64(st, 1, a);
    if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *ok = 1;
    } else if (rc == SQLITE_DONE)
        *ok = 2;
    sqlite3_finalize(st);
    return v;
}

int store_import_commit(struct store *s, const char *sha256, long rows, long long *id,
                        long long *same_as, struct soko_diag *d)
{
    SOKO_ASSERT(s->import_id);
    *same_as = 0;
    *id = 0;
    /* The same bytes, read through the same layout (or none), imported before and still
     * stored whole: nothing to change. */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM imports WHERE form = ?1 AND sha256 = ?2 AND "
                                  "status = 'active' AND id <> ?3 AND layout_sha256 IS "
                                  "(SELECT layout_sha256 FROM imports WHERE id = ?3) "
                                  "ORDER BY id DESC",
                           -1, &st, NULL) != SQLITE_OK) {
        int rc = db_fail(s, d, N_("looking up earlier imports"));
        store_import_rollback(s);
        return rc;
    }
    sqlite3_bind_text(st, 1, s->form->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, s->import_id);
    while (sqlite3_step(st) == SQLITE_ROW && !*same_as) {
        long long prev = sqlite3_column_int64(st, 0);
        const struct form *tf[4];
        size_t nt = tables_of(s->form, tf);
        int whole = 1;
        for (size_t i = 0; i < nt && whole; i++) {
            char sql[512];
            int ok;
            snprintf(sql, sizeof sql, "SELECT 1 FROM hist_%s WHERE import_id = ? AND "
                                      "replaced_by <> ? LIMIT 1", tf[i]->name);
            /* rows displaced by this very import do not count: they are the same rows */
            sqlite3_stmt *h;
            if (sqlite3_prepare_v2(s->db, sql, -1, &h, NULL) != SQLITE_OK) { whole = 0; break; }
            sqlite3_bind_int64(h, 1, prev);
            sqlite3_bind_int64(h, 2, s->import_id);
            ok = sqlite3_step(h);
            sqlite3_finalize(h);
            if (ok != SQLITE_DONE) whole = 0;
            if (!whole) break;
            /* and this import wrote no row the earlier one did not have (a per-student
               file's task totals, stored once the work's plan is there) */
            snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM %s WHERE import_id = ?2) = "
                                      "(SELECT count(*) FROM hist_%s WHERE import_id = ?1 AND "
                                      "replaced_by = ?2)", tf[i]->name, tf[i]->name);
            if (sqlite3_prepare_v2(s->db, sql, -1, &h, NULL) != SQLITE_OK) { whole = 0; break; }
            sqlite3_bind_int64(h, 1, prev);
            sqlite3_bind_int64(h, 2, s->import_id);
            whole = sqlite3_step(h) == SQLITE_ROW && sqlite3_column_int(h, 0) == 1;
            sqlite3_finalize(h);
            if (!whole) break;
            /* and the same values: a row may take a value from the store (the marks'
               lowest scores of a histogram from a conversion scale imported since) */
            struct sbuf q = SBUF_INIT, cols = SBUF_INIT;
            for (size_t c = 0; c < tf[i]->ncols; c++)
                sbuf_printf(&cols, "%s%s", c ? ", " : "", tf[i]->cols[c].name);
            sbuf_printf(&q, "SELECT 1 FROM (SELECT %s FROM %s WHERE import_id = ?2 EXCEPT SELECT "
                            "%s FROM hist_%s WHERE import_id = ?1 AND replaced_by = ?2) LIMIT 1",
                        cols.s, tf[i]->name, cols.s, tf[i]->name);
            if (sqlite3_prepare_v2(s->db, q.s, -1, &h, NULL) != SQLITE_OK) whole = 0;
            else {
                sqlite3_bind_int64(h, 1, prev);
                sqlite3_bind_int64(h, 2, s->import_id);
                whole = sqlite3_step(h) == SQLITE_DONE;
                sqlite3_finalize(h);
            }
            sbuf_free(&q);
            sbuf_free(&cols);
        }
        if (whole) *same_as = prev;
    }
    sqlite3_finalize(st);
    if (*same_as) {
        store_import_rollback(s);
        return SOKO_OK;
    }
    if (is_form(s->form, "vpr_plan")) {
        int rc = plan_sums_check(s, d);
        if (rc) {
            store_import_rollback(s);
            return rc;
        }
    }
    if (sqlite3_prepare_v2(s->db, "UPDATE imports SET sha256 = ?, rows = ?, works = ?, "
                                  "participants = ? WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK) {
        int rc = db_fail(s, d, N_("finishing the import"));
        store_import_rollback(s);
        return rc;
    }
    (void)rows;     /* the store counts what it wrote */
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, s->n_rows);
    if (s->form->kind == FORM_STUDENTS) {
        sqlite3_bind_int64(st, 3, s->n_works);
        sqlite3_bind_int64(st, 4, s->n_participants);
    }
    sqlite3_bind_int64(st, 5, s->import_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? SOKO_OK : db_fail(s, d, N_("finishing the import"));
    sqlite3_finalize(st);
    if (!rc && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(s, d, N_("committing the import"));
    if (rc) {
        store_import_rollback(s);
        return rc;
    }
    *id = s->import_id;
    s->import_id = 0;
    fk_on(s);
    return SOKO_OK;
}

void store_import_rollback(struct store *s)
{
    plans_clear(s);
    if (sqlite3_get_autocommit(s->db) == 0) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->import_id = 0;
    fk_on(s);
}

/* ------------------------------------------------------------------- undo */

static int undo_table(struct store *s, const struct form *f, long long id, struct soko_diag *d)
{
    const char *T = f->name;
    struct sbuf gm = SBUF_INIT, cols = SBUF_INIT;
    col_list(&cols, f, "");
    int rc = SOKO_OK;
    const char *steps[6];
    char *sql[6];

    /* (a) drop this import's live rows in groups that have something to restore */
    key_match(&gm, f, "h", T, 1);
    sql[0] = xasprintf("DELETE FROM %s WHERE import_id = ?1 AND EXISTS (SELECT 1 FROM hist_%s h "
                       "WHERE h.replaced_by = ?1 AND %s)", T, T, gm.s);
    /* (b) restore what it replaced where the group is now empty */
    sql[1] = xasprintf("INSERT INTO %s(%s) SELECT %s FROM hist_%s h WHERE h.replaced_by = ?1 AND "
                       "NOT EXISTS (SELECT 1 FROM %s WHERE %s)", T, cols.s, cols.s, T, T, gm.s);
    /* (c) restored rows leave the history */
    sbuf_reset(&gm);
    key_match(&gm, f, "hist_x", T, 1);
    char *g2 = xstrdup(gm.s);
    sbuf_reset(&gm);
    {
        /* rename alias hist_x → the table's own name in a correlated subquery */
        struct sbuf t = SBUF_INIT;
        sbuf_printf(&t, "hist_%s", T);
        for (char *p = g2; *p; p++) {
            if (strncmp(p, "hist_x.", 7) == 0) {
                sbuf_adds(&gm, t.s);
                sbuf_addc(&gm, '.');
                p += 6;
            } else
                sbuf_addc(&gm, *p);
        }
        sbuf_free(&t);
    }
    free(g2);
    sql[2] = xasprintf("DELETE FROM hist_%s WHERE replaced_by = ?1 AND EXISTS (SELECT 1 FROM %s "
                       "WHERE %s AND %s.import_id = hist_%s.import_id)", T, T, gm.s, T, T);
    /* (d) the rest were displaced again later: link them to the import after this one */
    struct sbuf gm2 = SBUF_INIT;
    {
        int want = is_group_form(f) ? COL_GROUP : COL_KEY, first = 1;
        for (size_t i = 0; i < f->ncols; i++)
            if (f->cols[i].flags & want) {
                sbuf_printf(&gm2, "%sh2.%s = hist_%s.%s", first ? "" : " AND ", f->cols[i].name, T,
                            f->cols[i].name);
                first = 0;
            }
    }
    sql[3] = xasprintf("UPDATE hist_%s SET replaced_by = (SELECT h2.replaced_by FROM hist_%s h2 "
                       "WHERE h2.import_id = ?1 AND %s LIMIT 1) WHERE replaced_by = ?1", T, T, gm2.s);
    /* (e), (f) this import's own rows go, from history and from the live table */
    sql[4] = xasprintf("DELETE FROM hist_%s WHERE import_id = ?1", T);
    sql[5] = xasprintf("DELETE FROM %s WHERE import_id = ?1", T);
    steps[0] = "removing rows";
    steps[1] = steps[2] = "restoring replaced rows";
    steps[3] = "relinking history";
    steps[4] = steps[5] = "removing rows";
    for (int i = 0; i < 6; i++) {
        sqlite3_stmt *st;
        if (!rc && sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
            rc = db_fail(s, d, steps[i]);
        else if (!rc) {
            sqlite3_bind_int64(st, 1, id);
            if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(s, d, steps[i]);
            sqlite3_finalize(st);
        }
        free(sql[i]);
    }
    sbuf_free(&gm2);
    sbuf_free(&gm);
    sbuf_free(&cols);
    return rc;
}

int store_undo(struct store *s, long long id, struct soko_diag *d)
{
    int ok;
    sqlite3_stmt *st;
    int rc = begin_write(s, d);
    if (rc) return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT form, status FROM imports WHERE id = ?", -1, &st, NULL)
        != SQLITE_OK) {
        rc = db_fail(s, d, N_("looking up the import"));
        goto fail;
    }
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        if (step != SQLITE_DONE) {
            rc = db_fail(s, d, N_("looking up the import"));
            sqlite3_finalize(st);
            goto fail;
        }
        sqlite3_finalize(st);
        int ok1, ok2;
        long long lo = query_int(s, "SELECT min(id) FROM imports WHERE ?1 = ?1", 0, NULL, &ok1);
        long long hi = query_int(s, "SELECT max(id) FROM imports WHERE ?1 = ?1", 0, NULL, &ok2);
        if (hi > 0)
            soko_diag_add(d, NULL, 0, 0, _("there is no import #%lld; expected an id from %lld "
                                           "to %lld (see 'soko imports')"), id, lo, hi);
        else
            soko_diag_add(d, NULL, 0, 0, _("there is no import #%lld: the store has no imports "
                                           "yet"), id);
        rc = SOKO_EUSAGE;
        goto fail;
    }
    const struct form *f = form_find((const char *)sqlite3_column_text(st, 0));
    char *fname = xstrdup((const char *)sqlite3_column_text(st, 0));
    int undone = strcmp((const char *)sqlite3_column_text(st, 1), "undone") == 0;
    sqlite3_finalize(st);
    if (!undone && !f)
        soko_diag_add(d, NULL, 0, 0, _("import #%lld is of the form %s, which is not defined "
                                       "here; expected its definition (%s.ini under DEFS/forms "
                                       "or $SOKO_FORMS)"), id, fname, fname);
    free(fname);
    if (undone) {
        soko_diag_add(d, NULL, 0, 0, _("import #%lld was already undone"), id);
        rc = SOKO_EUSAGE;
        goto fail;
    }
    if (!f) {
        rc = SOKO_EUSAGE;
        goto fail;
    }
    const struct form *tf[4];
    size_t nt = tables_of(f, tf);
    for (size_t i = 0; i < nt && !rc; i++) rc = undo_table(s, tf[i], id, d);
    if (rc) goto fail;
    char now[32];
    now_iso(now);
    if (sqlite3_prepare_v2(s->db, "UPDATE imports SET status = 'undone', undone_at = ?2 WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, d, N_("marking the import undone"));
        goto fail;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) {
        rc = db_fail(s, d, N_("marking the import undone"));
        goto fail;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int ext = sqlite3_extended_errcode(s->db);
        if ((ext & 0xff) == SQLITE_CONSTRAINT)
            soko_diag_add(d, NULL, 0, 0, _("cannot undo import #%lld: stored rows of other imports "
                                         "refer to schools it added; undo those first"), id);
        else
            db_fail(s, d, N_("committing the undo"));
        rc = SOKO_EDB;
        goto fail;
    }
    return SOKO_OK;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int store_imports(struct store *s, int (*cb)(void *, const struct import_info *), void *ctx,
                  struct soko_diag *d)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, form, file, ifnull(sha256, ''), ifnull(rows, 0), "
                                  "started, status, layout, ifnull(works, -1), "
                                  "ifnull(participants, -1) FROM imports ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, d, N_("listing imports"));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct import_info ii = {
            sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
            (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
            (const char *)sqlite3_column_text(st, 5), (const char *)sqlite3_column_text(st, 6),
            (const char *)sqlite3_column_text(st, 7), (long)sqlite3_column_int64(st, 4),
            sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9)};
        if (cb(ctx, &ii)) break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SOKO_OK : db_fail(s, d, N_("listing imports"));
}

int store_count(struct store *s, const char *table, long long *n, struct soko_diag *d)
{
    if (!form_find(table)) {
        soko_diag_add(d, NULL, 0, 0, "unknown table %s", table);
        return SOKO_EUSAGE;
    }
    char sql[96];
    int ok;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE ?1 = ?1", table);
    *n = query_int(s, sql, 0, NULL, &ok);
    return ok == 1 ? SOKO_OK : db_fail(s, d, N_("counting rows"));
}

/* ==================================================== read helpers for the analyses */

/* "[3,0,12,...]" → counts. Returns -1 on anything else. */
static int parse_scores(const char *s, double **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t cap = 0;
    while (isspace((unsigned char)*s)) s++;
    if (*s++ != '[') return -1;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (*s == ']' && *len == 0) break;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < 0) goto bad;
        if (*len == cap) {
            cap = cap ? 2 * cap : 64;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*len)++] = (double)v;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == ']') break;
        goto bad;
    }
    s++;
    while (isspace((unsigned char)*s)) s++;
    if (*s) goto bad;
    return 0;
bad:
    free(*out);
    *out = NULL;
    *len = 0;
    return -1;
}

/* {"3":7,"4":12} → mark_min[mark-2]. */
static int parse_mark_min(const char *s, int mm[4])
{
    for (int k = 0; k < 4; k++) mm[k] = -1;
    while (isspace((unsigned char)*s)) s++;
    if (*s++ != '{') return -1;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (*s == '}') break;
        int mark, score, used = 0;
        if (sscanf(s, " \"%d\" : %d%n", &mark, &score, &used) != 2 || mark < 2 || mark > 5 ||
            score < 0)
            return -1;
        mm[mark - 2] = score;
        s += used;
        while (isspace((unsigned char)*s)) s++;
        if (*s == ',') s++;
        else if (*s != '}') return -1;
    }
    return 0;
}

void store_works_add(struct store_works *w, int year, const char *school, long grade,
                     const char *subject, const double *scores, size_t len,
                     const int mark_min[4])
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->v = xrealloc(w->v, w->cap * sizeof *w->v);
    }
    struct store_work *x = &w->v[w->n++];
    memset(x, 0, sizeof *x);
    x->year = year;
    x->school_id = xstrdup(school);
    x->grade = grade;
    x->subject = xstrdup(subject);
    x->scores = xmalloc((len + 1) * sizeof *x->scores);
    if (len) memcpy(x->scores, scores, len * sizeof *scores);
    x->len = len;
    double n = 0;
    for (size_t i = 0; i < len; i++) n += scores[i];
    x->n = (long)n;
    for (int k = 0; k < 4; k++) x->mark_min[k] = mark_min ? mark_min[k] : -1;
}

void store_works_free(struct store_works *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].school_id);
        free(w->v[i].subject);
        free(w->v[i].scores);
    }
    free(w->v);
    memset(w, 0, sizeof *w);
}

int store_read_works(sqlite3 *db, int y0, int y1, struct store_works *out,
                     struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    static const char sql[] =
        "SELECT year, school_id, grade, subject, scores, mark_min FROM vpr_dist "
        "WHERE year >= ?1 AND year <= ?2 ORDER BY year, grade, subject, school_id";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "reading vpr_dist: %s", sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    sqlite3_bind_int(st, 1, y0 > 0 ? y0 : 0);
    sqlite3_bind_int(st, 2, y1 > 0 ? y1 : 1000000);
    int rc, status = SOKO_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int year = sqlite3_column_int(st, 0);
        const char *school = (const char *)sqlite3_column_text(st, 1);
        long grade = (long)sqlite3_column_int64(st, 2);
        const char *subject = (const char *)sqlite3_column_text(st, 3);
        const char *scores = (const char *)sqlite3_column_text(st, 4);
        const char *mm = (const char *)sqlite3_column_text(st, 5);
        double *h;
        size_t len;
        int mark_min[4];
        if (!school || !subject || !scores || !mm || parse_scores(scores, &h, &len) != 0 ||
            parse_mark_min(mm, mark_min) != 0) {
            soko_diag_add(d, NULL, 0, 0,
                          "vpr_dist: %d, school %s, grade %ld, %s: the histogram or the mark "
                          "boundaries are not the JSON the store writes", year,
                          school ? school : "?", grade, subject ? subject : "?");
            status = SOKO_EDB;
            continue;
        }
        store_works_add(out, year, school, grade, subject, h, len, mark_min);
        free(h);
    }
    if (rc != SQLITE_DONE) {
        soko_diag_add(d, NULL, 0, 0, "reading vpr_dist: %s", sqlite3_errmsg(db));
        status = SOKO_EDB;
    }
    sqlite3_finalize(st);
    if (status != SOKO_OK) store_works_free(out);
    return status;
}

int store_names_read(sqlite3 *db, struct store_names *out, struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT school_id, name FROM schools ORDER BY school_id", -1, &st,
                           NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "reading schools: %s", sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *nm = (const char *)sqlite3_column_text(st, 1);
        out->ids = xrealloc(out->ids, (out->n + 1) * sizeof *out->ids);
        out->names = xrealloc(out->names, (out->n + 1) * sizeof *out->names);
        out->ids[out->n] = xstrdup(id ? id : "");
        out->names[out->n] = xstrdup(nm ? nm : "");
        out->n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        soko_diag_add(d, NULL, 0, 0, "reading schools: %s", sqlite3_errmsg(db));
        store_names_free(out);
        return SOKO_EDB;
    }
    return SOKO_OK;
}

void store_names_free(struct store_names *n)
{
    for (size_t i = 0; i < n->n; i++) {
        free(n->ids[i]);
        free(n->names[i]);
    }
    free(n->ids);
    free(n->names);
    memset(n, 0, sizeof *n);
}

/* ---------------------------------------------------------------- names for reports */

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int store_school_names(struct store *s,
                       int (*cb)(void *ctx, const char *id, const char *name, const char *kind,
                                 const char *profile),
                       void *ctx, struct soko_diag *d)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT school_id, name, kind, profile FROM schools ORDER BY school_id",
                           -1, &st, NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "reading the schools registry: %s", sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = cb(ctx, col_text(st, 0), col_text(st, 1), col_text(st, 2), col_text(st, 3));
    int bad = !stop && rc != SQLITE_DONE;
    if (bad) soko_diag_add(d, NULL, 0, 0, "reading the schools registry: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return bad ? SOKO_EDB : SOKO_OK;
}

int store_cluster_names(struct store *s, int (*cb)(void *ctx, const char *id, const char *name),
                        void *ctx, struct soko_diag *d)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT cluster_id, min(cluster_name) FROM clusters "
                               "GROUP BY cluster_id ORDER BY cluster_id",
                           -1, &st, NULL) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "reading the clusters: %s", sqlite3_errmsg(db));
        return SOKO_EDB;
    }
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) stop = cb(ctx, col_text(st, 0), col_text(st, 1));
    int bad = !stop && rc != SQLITE_DONE;
    if (bad) soko_diag_add(d, NULL, 0, 0, "reading the clusters: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return bad ? SOKO_EDB : SOKO_OK;
}

int store_student_counts(struct store *s, const struct form *f, long long *works,
                         long long *participants, long long *student_rows, struct soko_diag *d)
{
    *works = *participants = *student_rows = 0;
    const char *const *into = form_into(f);
    if (!into || !into[0]) return SOKO_OK;
    /* the works are the rows of the form's first aggregate (vpr, ege) written by its
       imports; the table names are the forms' own, never user text */
    char *sql = xasprintf("SELECT count(*), total(participants), (SELECT count(*) FROM \"%s\") "
                          "FROM \"%s\" WHERE import_id IN (SELECT id FROM imports WHERE form = ?)",
                          f->name, into[0]);
    sqlite3_stmt *st;
    int prc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    free(sql);
    if (prc != SQLITE_OK) return db_fail(s, d, N_("counting rows"));
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *works = sqlite3_column_int64(st, 0);
        *participants = sqlite3_column_int64(st, 1);
        *student_rows = sqlite3_column_int64(st, 2);
        rc = SOKO_OK;
    } else {
        rc = db_fail(s, d, N_("counting rows"));
    }
    sqlite3_finalize(st);
    return rc;
}

/* Runs a query of ours with one optional text parameter, handing each row's columns
 * (as text, NULL for NULL) to cb. */
static int each_row(struct store *s, const char *sql, const char *param, int ncols,
                    int (*cb)(void *, const char *const *), void *ctx, const char *what,
                    struct soko_diag *d)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(s, d, what);
    if (param) sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
    int rc;
    const char *cols[8];
    SOKO_ASSERT(ncols <= 8);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++) cols[i] = (const char *)sqlite3_column_text(st, i);
        if (cb(ctx, cols)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? SOKO_OK : db_fail(s, d, what);
    sqlite3_finalize(st);
    return out;
}

struct school_cb {
    int (*cb)(void *, const struct store_school *);
    void *ctx;
};

static int school_row(void *ctx, const char *const *c)
{
    struct school_cb *x = ctx;
    struct store_school r = {c[0] ? c[0] : "", c[1] ? c[1] : "", c[2] ? c[2] : "",
                             c[3] ? c[3] : "", c[4] ? c[4] : "", c[5] ? c[5] : ""};
    return x->cb(x->ctx, &r);
}

int store_schools(struct store *s, int (*cb)(void *ctx, const struct store_school *), void *ctx,
                  struct soko_diag *d)
{
    struct school_cb x = {cb, ctx};
    return each_row(s, "SELECT school_id, name, district, kind, profile, (SELECT "
                       "group_concat(cluster_id, ';') FROM (SELECT DISTINCT cluster_id FROM "
                       "clusters c WHERE c.school_id = s.school_id ORDER BY cluster_id)) "
                       "FROM schools s ORDER BY length(school_id), school_id",
                    NULL, 6, school_row, &x, "listing the schools", d);
}

struct member_cb {
    int (*cb)(void *, const struct store_member *);
    void *ctx;
};

static int member_row(void *ctx, const char *const *c)
{
    struct member_cb *x = ctx;
    struct store_member r = {c[0] ? c[0] : "", c[1] ? c[1] : "", c[2] ? c[2] : "",
                             c[3] ? c[3] : "", c[4] ? c[4] : ""};
    return x->cb(x->ctx, &r);
}

int store_clusters(struct store *s, const char *cluster_id,
                   int (*cb)(void *ctx, const struct store_member *), void *ctx,
                   struct soko_diag *d)
{
    struct member_cb x = {cb, ctx};
    return each_row(s, "SELECT c.cluster_id, (SELECT max(cluster_name) FROM clusters n WHERE "
                       "n.cluster_id = c.cluster_id), c.school_id, s.name, c.role FROM clusters c "
                       "LEFT JOIN schools s ON s.school_id = c.school_id "
                       "WHERE ?1 IS NULL OR c.cluster_id = ?1 "
                       "ORDER BY c.cluster_id, length(c.school_id), c.school_id",
                    cluster_id, 5, member_row, &x, "listing the clusters", d);
}

struct ids_cb {
    int (*cb)(void *, const char *);
    void *ctx;
};

static int id_row(void *ctx, const char *const *c)
{
    struct ids_cb *x = ctx;
    return c[0] ? x->cb(x->ctx, c[0]) : 0;
}

int store_ids(struct store *s, enum store_id_kind kind, int (*cb)(void *ctx, const char *id),
              void *ctx, struct soko_diag *d)
{
    struct ids_cb x = {cb, ctx};
    if (kind == STORE_CLUSTER_IDS)
        return each_row(s, "SELECT DISTINCT cluster_id FROM clusters ORDER BY cluster_id", NULL,
                        1, id_row, &x, "listing the clusters", d);
    /* the registry and the clusters' members, as `soko schools` shows them; a school
       with results but missing from the registry is known to store_school_known */
    return each_row(s, "SELECT id FROM (SELECT school_id AS id FROM schools UNION SELECT "
                       "school_id FROM clusters) ORDER BY length(id), id",
                    NULL, 1, id_row, &x, "listing the schools", d);
}

int store_school_known(struct store *s, const char *school_id, struct soko_diag *d)
{
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; forms_all()[i]; i++) {
        const struct form *f = forms_all()[i];
        if (form_col_index(f, "school_id") < 0) continue;
        sbuf_printf(&b, "%sSELECT 1 FROM %s WHERE school_id = ?1", b.len ? " UNION ALL " : "",
                    f->name);
    }
    char *sql = xasprintf("SELECT EXISTS (%s)", b.s);
    sbuf_free(&b);
    sqlite3_stmt *st;
    int known = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, school_id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) known = sqlite3_column_int(st, 0) != 0;
        else db_fail(s, d, N_("looking up a school"));
        sqlite3_finalize(st);
    } else {
        db_fail(s, d, N_("looking up a school"));
    }
    free(sql);
    return known;
}
