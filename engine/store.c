/*
 * store.c — the SQLite store (contract in store.h).
 *
 * The schema is generated from the forms table; every identifier in generated SQL
 * comes from that static table, never from input, and every value is bound.
 */
#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NFORMS_MAX 16
#define SOKO_STR_(x) #x
#define SOKO_STR(x) SOKO_STR_(x)

struct table_stmts {
    sqlite3_stmt *upsert;     /* insert or replace by key */
    sqlite3_stmt *save;       /* copy the rows this write replaces into hist_ */
    sqlite3_stmt *drop;       /* group forms: delete the replaced group */
    sqlite3_stmt *peer;       /* vpr: the stored row of another import, for agreement */
};

struct store {
    sqlite3 *db;
    int readonly;
    long long import_id;      /* import in progress, or 0 */
    const struct form *form;  /* its form */
    const char *file;         /* its file, for messages (borrowed) */
    sqlite3_stmt *school;
    struct table_stmts t[NFORMS_MAX];
    int busy_ms;              /* how long a write waits for another writer */
};

/* ------------------------------------------------------------ small helpers */

static int db_fail(struct store *s, struct soko_diag *d, const char *what)
{
    soko_diag_add(d, NULL, 0, 0, "store: %s: %s", what, sqlite3_errmsg(s->db));
    return SOKO_EDB;
}

static int exec(struct store *s, const char *sql, struct soko_diag *d)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        soko_diag_add(d, NULL, 0, 0, "store: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return SOKO_EDB;
    }
    return SOKO_OK;
}

static int form_index(const struct form *f)
{
    for (int i = 0; soko_forms[i]; i++)
        if (soko_forms[i] == f) return i;
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

static void create_table(struct sbuf *b, const struct form *f)
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
        if (c->type == COL_ENUM) {
            sbuf_printf(b, " CHECK (%s IN (", c->name);
            for (const struct enum_val *v = c->values; v->value; v++)
                sbuf_printf(b, "%s'%s'", v == c->values ? "" : ", ", v->value);
            sbuf_adds(b, "))");
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
    sbuf_adds(b, "  UNIQUE (");
    int first = 1;
    for (size_t i = 0; i < f->ncols; i++)
        if (f->cols[i].flags & COL_KEY) {
            sbuf_printf(b, "%s%s", first ? "" : ", ", f->cols[i].name);
            first = 0;
        }
    sbuf_adds(b, ")\n);\n");
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
              "  layout_sha256 TEXT\n"
              ");\n"
              "CREATE INDEX imports_sha ON imports(form, sha256);\n");
    for (int i = 0; soko_forms[i]; i++) create_table(&b, soko_forms[i]);
    return sbuf_take(&b);
}

/* Migrations: index i brings user_version i to i+1. Version 1 is generated from the
 * forms table, so a later change of a form's columns needs a migration here. */
/* BEGIN IMMEDIATE; when another process keeps the store past the busy timeout, says
 * so plainly rather than "database is locked". */
static int begin_write(struct store *s, struct soko_diag *d)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) return SOKO_OK;
    if ((sqlite3_errcode(s->db) & 0xff) != SQLITE_BUSY) return db_fail(s, d, "starting a write");
    soko_diag_add(d, NULL, 0, 0, "store: %s is being written by another soko (an import or undo) "
                  "and it did not finish within %d ms; expected one writer at a time: run this "
                  "again when it is done, or wait longer with SOKO_BUSY_TIMEOUT=MS",
                  sqlite3_db_filename(s->db, "main"), s->busy_ms);
    return SOKO_EDB;
}

static int schema_version(struct store *s, int *v, struct soko_diag *d)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, d, "reading the schema version");
    *v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
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

static int migrate(struct store *s, struct soko_diag *d)
{
    int v;
    if (schema_version(s, &v, d)) return SOKO_EDB;
    if (v > STORE_SCHEMA_VERSION) {
        soko_diag_add(d, NULL, 0, 0, "store: schema version %d is newer than this soko (%d); "
                                     "expected a newer soko", v, STORE_SCHEMA_VERSION);
        return SOKO_EDB;
    }
    if (v == STORE_SCHEMA_VERSION) return SOKO_OK;
    if (s->readonly) {
        soko_diag_add(d, NULL, 0, 0, "store: the database has schema version %d; open it once "
                                     "for writing (e.g. soko import) to migrate", v);
        return SOKO_EDB;
    }
    int rc = begin_write(s, d);
    if (rc) return rc;
    /* another soko may have created or migrated the store while this one waited */
    if (schema_version(s, &v, d)) rc = SOKO_EDB;
    else if (v == STORE_SCHEMA_VERSION) return exec(s, "COMMIT", d);
    else if (v == 0) {
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
        if (!rc && v < 4) {   /* 3 → 4: ЕГЭ with a spread (ege.sd) and ege_students */
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
            rc = !ok1 || !ok2 ? db_fail(s, d, "migrating to schema 4") : b.len ? exec(s, b.s, d) : 0;
            sbuf_free(&b);
        }
    }
    if (!rc) rc = exec(s, "PRAGMA user_version = " SOKO_STR(STORE_SCHEMA_VERSION), d);
    if (!rc) return exec(s, "COMMIT", d);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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
            return db_fail(s, d, "switching the journal to WAL");
        sqlite3_sleep(10);
    }
}

int store_open(const char *path, int readonly, struct store **out, struct soko_diag *d)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->readonly = readonly;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    *out = NULL;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        soko_diag_add(d, path, 0, 0, "cannot open the store: %s",
                      s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        free(s);
        return SOKO_EDB;
    }
    const char *bt = getenv("SOKO_BUSY_TIMEOUT");
    s->busy_ms = bt ? atoi(bt) : 10000;
    sqlite3_busy_timeout(s->db, s->busy_ms);
    sqlite3_extended_result_codes(s->db, 1);
    int rc = exec(s, "PRAGMA foreign_keys = ON", d);
    if (!rc && !readonly) rc = set_wal(s, d);
    if (!rc && !readonly) rc = exec(s, "PRAGMA synchronous = NORMAL", d);
    if (!rc) rc = migrate(s, d);
    if (!rc && sqlite3_prepare_v2(s->db, "SELECT 1 FROM schools WHERE school_id = ?", -1,
                                  &s->school, NULL) != SQLITE_OK)
        rc = db_fail(s, d, "preparing the registry lookup");
    /* a reader sees one state from its first query to store_close, even when an import
     * commits meanwhile: never the vpr rows of an import without its vpr_dist rows */
    if (!rc && readonly) rc = exec(s, "BEGIN", d);
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return SOKO_OK;
}

static void finalize_stmts(struct store *s)
{
    for (int i = 0; i < NFORMS_MAX; i++) {
        sqlite3_finalize(s->t[i].upsert);
        sqlite3_finalize(s->t[i].save);
        sqlite3_finalize(s->t[i].drop);
        sqlite3_finalize(s->t[i].peer);
        memset(&s->t[i], 0, sizeof s->t[i]);
    }
}

void store_close(struct store *s)
{
    if (!s) return;
    if (s->import_id) store_import_rollback(s);
    finalize_stmts(s);
    sqlite3_finalize(s->school);
    if (s->readonly && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(s->db);
    free(s);
}

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

/* ---------------------------------------------------------------- imports */

int store_import_begin(struct store *s, const struct form *f, const char *file,
                       const char *layout, const char *layout_sha256, struct soko_diag *d)
{
    SOKO_ASSERT(!s->import_id);
    int rc = begin_write(s, d);
    if (rc) return rc;
    sqlite3_stmt *st;
    char now[32];
    now_iso(now);
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO imports(form, file, started, status, layout, "
                           "layout_sha256) VALUES (?, ?, ?, 'active', ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, d, "recording the import");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, layout_sha256, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(s, d, "recording the import");
        sqlite3_finalize(st);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    sqlite3_finalize(st);
    s->import_id = sqlite3_last_insert_rowid(s->db);
    s->form = f;
    s->file = file;
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
        rc = db_fail(s, d, "preparing an insert");

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
        rc = db_fail(s, d, "preparing the history copy");
    if (group) {
        sbuf_reset(&b);
        sbuf_printf(&b, "DELETE FROM %s WHERE %s", f->name, where.s);
        if (!rc && sqlite3_prepare_v2(s->db, b.s, -1, &t->drop, NULL) != SQLITE_OK)
            rc = db_fail(s, d, "preparing the group replacement");
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
            rc = db_fail(s, d, "preparing the agreement check");
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
    if (rc != SQLITE_ROW) return db_fail(s, d, "checking agreement with stored ВПР rows");
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
        soko_diag_add(d, s->file, r->line, 0,
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

int store_put_row(struct store *s, const struct load_row *r0, struct soko_diag *d)
{
    SOKO_ASSERT(s->import_id);
    const struct form *f = r0->form;
    int rc = prepare_table(s, f, d);
    if (rc) return rc;
    struct table_stmts *t = &s->t[form_index(f)];
    struct load_row r = *r0;
    if (t->peer && (rc = vpr_agree(s, t, &r, d)) != 0) return rc;

    sqlite3_reset(t->save);
    bind_key(t->save, f, &r, s->import_id);
    if (sqlite3_step(t->save) != SQLITE_DONE) return db_fail(s, d, "saving replaced rows");
    if (t->drop) {
        sqlite3_reset(t->drop);
        bind_key(t->drop, f, &r, s->import_id);
        if (sqlite3_step(t->drop) != SQLITE_DONE) return db_fail(s, d, "replacing a group");
    }
    sqlite3_reset(t->upsert);
    for (size_t i = 0; i < f->ncols; i++) bind_cell(t->upsert, (int)i + 1, &f->cols[i], &r.cells[i]);
    sqlite3_bind_int64(t->upsert, (int)f->ncols + 1, s->import_id);
    if (has_from_students(f)) sqlite3_bind_int(t->upsert, (int)f->ncols + 2, r.from_students);
    if (sqlite3_step(t->upsert) != SQLITE_DONE) {
        soko_diag_add(d, s->file, r.line, 0, "the store refused the row: %s",
                      sqlite3_errmsg(s->db));
        sqlite3_reset(t->upsert);
        return SOKO_EDB;
    }
    return SOKO_OK;
}

/* The tables an import of form f writes. */
static size_t tables_of(const struct form *f, const struct form *out[3])
{
    if (f->kind == FORM_STUDENTS) {
        size_t n = 0;
        const char *const *into = form_into(f);
        for (int i = 0; into && i < 2 && into[i]; i++) out[n++] = form_find(into[i]);
        out[n++] = f;
        return n;
    }
    out[0] = f;
    return 1;
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
        int rc = db_fail(s, d, "looking up earlier imports");
        store_import_rollback(s);
        return rc;
    }
    sqlite3_bind_text(st, 1, s->form->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, s->import_id);
    while (sqlite3_step(st) == SQLITE_ROW && !*same_as) {
        long long prev = sqlite3_column_int64(st, 0);
        const struct form *tf[3];
        size_t nt = tables_of(s->form, tf);
        int whole = 1;
        for (size_t i = 0; i < nt && whole; i++) {
            char sql[128];
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
        }
        if (whole) *same_as = prev;
    }
    sqlite3_finalize(st);
    if (*same_as) {
        store_import_rollback(s);
        return SOKO_OK;
    }
    if (sqlite3_prepare_v2(s->db, "UPDATE imports SET sha256 = ?, rows = ? WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK) {
        int rc = db_fail(s, d, "finishing the import");
        store_import_rollback(s);
        return rc;
    }
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, rows);
    sqlite3_bind_int64(st, 3, s->import_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? SOKO_OK : db_fail(s, d, "finishing the import");
    sqlite3_finalize(st);
    if (!rc && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(s, d, "committing the import");
    if (rc) {
        store_import_rollback(s);
        return rc;
    }
    *id = s->import_id;
    s->import_id = 0;
    return SOKO_OK;
}

void store_import_rollback(struct store *s)
{
    if (sqlite3_get_autocommit(s->db) == 0) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->import_id = 0;
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
        rc = db_fail(s, d, "looking up the import");
        goto fail;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        soko_diag_add(d, NULL, 0, 0, "there is no import #%lld; expected an id from 'soko imports'", id);
        rc = SOKO_EUSAGE;
        goto fail;
    }
    const struct form *f = form_find((const char *)sqlite3_column_text(st, 0));
    int undone = strcmp((const char *)sqlite3_column_text(st, 1), "undone") == 0;
    sqlite3_finalize(st);
    if (undone) {
        soko_diag_add(d, NULL, 0, 0, "import #%lld was already undone", id);
        rc = SOKO_EUSAGE;
        goto fail;
    }
    SOKO_ASSERT(f);
    const struct form *tf[3];
    size_t nt = tables_of(f, tf);
    for (size_t i = 0; i < nt && !rc; i++) rc = undo_table(s, tf[i], id, d);
    if (rc) goto fail;
    char now[32];
    now_iso(now);
    if (sqlite3_prepare_v2(s->db, "UPDATE imports SET status = 'undone', undone_at = ?2 WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, d, "marking the import undone");
        goto fail;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) {
        rc = db_fail(s, d, "marking the import undone");
        goto fail;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int ext = sqlite3_extended_errcode(s->db);
        if ((ext & 0xff) == SQLITE_CONSTRAINT)
            soko_diag_add(d, NULL, 0, 0, "cannot undo import #%lld: stored rows of other imports "
                                         "refer to schools it added; undo those first", id);
        else
            db_fail(s, d, "committing the undo");
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
                                  "started, status, layout FROM imports ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, d, "listing imports");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct import_info ii = {
            sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
            (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
            (const char *)sqlite3_column_text(st, 5), (const char *)sqlite3_column_text(st, 6),
            (const char *)sqlite3_column_text(st, 7), (long)sqlite3_column_int64(st, 4)};
        if (cb(ctx, &ii)) break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SOKO_OK : db_fail(s, d, "listing imports");
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
    return ok == 1 ? SOKO_OK : db_fail(s, d, "counting rows");
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
