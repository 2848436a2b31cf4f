/*
 * fuzz_import.c — libFuzzer target: the load → store contract. The same input as
 * fuzz_load (fuzz_common.h; it shares the corpus), run twice:
 *   1. load_file with a store-less sink, as `soko check` does without a store;
 *   2. when that accepts the file: inside an import transaction of an in-memory store
 *      that holds the registry 344, 329, 512 (the same schools fuzz_common.h knows),
 *      with store_put_row as the sink — which must then accept every row, and the
 *      deferred foreign keys must hold. The transaction is always rolled back, so every
 *      run starts from the same store.
 * A file that load accepts but the store refuses is a bug in one of them: the forms
 * table's checks and the schema's CHECK/UNIQUE/REFERENCES constraints disagree.
 * Build and run: tests/fuzz/run import
 */
#include "fuzz_common.h"
#include "store.h"

#include <stdlib.h>
#include <unistd.h>

static struct store *st0;

static int plain_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    fz_check_row(ctx, r, d);
    return SOKO_OK;
}

static int store_row(void *ctx, const struct load_row *r, struct soko_diag *d)
{
    return store_put_row(ctx, r, d);
}

static int store_school(void *ctx, const char *id)
{
    return store_school_exists(ctx, id);
}

/* A fresh store file in a private temporary directory, removed at exit (soko takes
 * --db as a file name only, so ":memory:" would be a file in the working directory). */
static char store_dir[64], store_file[96];

static void remove_store(void)
{
    static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
    char p[128];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", store_file, tails[i]);
        unlink(p);
    }
    rmdir(store_dir);
}

static void open_store(void)
{
    struct soko_diag d;
    soko_diag_init(&d, 0);
    snprintf(store_dir, sizeof store_dir, "/tmp/fuzz_import.XXXXXX");
    if (!mkdtemp(store_dir)) abort();
    snprintf(store_file, sizeof store_file, "%s/store.db", store_dir);
    atexit(remove_store);
    if (store_open(store_file, 0, &st0, &d) != SOKO_OK) {
        fprintf(stderr, "fuzz_import: %s\n", d.nmsgs ? d.msgs[0] : "store_open failed");
        abort();
    }
    sqlite3 *db = store_db(st0);
    if (sqlite3_exec(db, "INSERT INTO imports(id, form, file, started, status) VALUES "
                         "(1, 'schools', 'registry', '2024-01-01T00:00:00Z', 'active');"
                         "INSERT INTO schools(school_id, name, import_id) VALUES "
                         "('344', 'A', 1), ('329', 'B', 1), ('512', 'C', 1);",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fuzz_import: %s\n", sqlite3_errmsg(db));
        abort();
    }
    soko_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_input in;
    if (!fz_prepare(&in, data, size)) return 0;
    if (!st0) open_store();
    in.flags &= ~FZ_SINK_FAIL;
    struct load_stats st;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct load_sink plain = {&in, fz_school_exists, plain_row, NULL, NULL, NULL, NULL, NULL};
    int rc = load_file(in.path, in.form, &in.opts, &plain, &st, &d);
    soko_diag_free(&d);
    if (rc != SOKO_OK) return 0;
    long rows = st.rows;

    soko_diag_init(&d, 0);
    if (store_import_begin(st0, in.form, "fuzz.csv", NULL, NULL, &d) != SOKO_OK)
        fz_die("store_import_begin: %s", d.nmsgs ? d.msgs[0] : "?");
    struct load_sink sink = {st0, store_school, store_row, NULL, NULL, NULL, NULL, NULL};
    rc = load_file(in.path, in.form, &in.opts, &sink, &st, &d);
    if (rc != SOKO_OK)
        fz_die("load accepted the file but the store refused it: %s", d.nmsgs ? d.msgs[0] : "?");
    if (st.rows != rows) fz_die("%ld rows without the store, %ld with it", rows, st.rows);
    sqlite3_stmt *fk;
    if (sqlite3_prepare_v2(store_db(st0), "PRAGMA foreign_key_check", -1, &fk, NULL) != SQLITE_OK)
        abort();
    if (sqlite3_step(fk) == SQLITE_ROW)
        fz_die("load accepted the file but a foreign key fails in table %s",
               (const char *)sqlite3_column_text(fk, 0));
    sqlite3_finalize(fk);
    store_import_rollback(st0);
    soko_diag_free(&d);
    return 0;
}
