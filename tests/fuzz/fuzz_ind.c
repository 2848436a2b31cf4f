/*
 * fuzz_ind.c — libFuzzer target: the indicator definition loader (ind_load) on any
 * bytes as one .ini file, then ind_evaluate of every indicator it accepts on a small
 * query-only store with a few rows of every form it reads.
 * Contract checked (indicators.h): the result is SOKO_OK, SOKO_ECONFIG or SOKO_EIO,
 * with messages exactly when it is not OK; a formula can never write, ATTACH or change
 * the schema — after load and evaluation the store is byte for byte what it was
 * (total_changes 0, schema_version and the list of databases unchanged).
 * Seeds: tests/fuzz/corpus/ind (the shipped indicator files). Run: make fuzz.
 */
#include "fuzz_common.h"
#include "indicators.h"
#include "stats.h"
#include "store.h"

static sqlite3 *db;
static int schema0, changes0;

static int one_int(const char *sql)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fz_die("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void open_db(void)
{
    stats_init();
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        abort();
    char *sql = store_schema_sql();
    char *msg = NULL;
    /* two schools in a cluster, two years of each school-level form */
    static const char rows[] =
        "INSERT INTO imports(id, form, file, started, status) VALUES (1, 'x', 'x', 't', 'active');"
        "INSERT INTO schools(school_id, name, import_id) VALUES ('344', 'A', 1), ('329', 'B', 1);"
        "INSERT INTO clusters(cluster_id, school_id, cluster_name, role, import_id) VALUES "
        "  ('k', '344', 'K', 'member', 1), ('k', '329', 'K', 'member', 1);"
        "INSERT INTO context(year, school_id, factor, value, import_id) VALUES "
        "  (2024, '344', 'students', 500, 1), (2024, '329', 'students', 300, 1),"
        "  (2025, '344', 'students', 510, 1), (2025, '329', 'students', 0, 1);"
        "INSERT INTO vpr(year, school_id, grade, subject, participants, m2, m3, m4, m5, mean_score,"
        "  import_id) VALUES (2024, '344', 5, 'Математика', 25, 2, 8, 10, 5, 12.5, 1),"
        "  (2025, '344', 5, 'Математика', 20, 0, 0, 0, 20, 19, 1), (2024, '329', 5, 'Математика', 1, 1, 0, 0, 0, 2, 1);"
        "INSERT INTO oge(year, school_id, subject, participants, m2, m3, m4, m5, mean_score, import_id)"
        "  VALUES (2024, '344', 'Физика', 10, 1, 2, 3, 4, 20.5, 1), (2025, '329', 'Физика', 0, 0, 0, 0, 0, NULL, 1);"
        "INSERT INTO ege(year, school_id, subject, participants, mean_score, below_min, high_scorers,"
        "  import_id) VALUES (2024, '344', 'Физика', 12, 61.5, 1, 2, 1), (2025, '344', 'Физика', 3, 99, 0, 3, 1);";
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, rows, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fuzz_ind: %s\n", msg ? msg : "?");
        abort();
    }
    free(sql);
    schema0 = one_int("PRAGMA schema_version");
    changes0 = sqlite3_total_changes(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db) open_db();
    char path[64];
    fz_file(data, size, path);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct ind_set *set = NULL;
    int rc = ind_load(path, db, &set, &d);
    if (rc != SOKO_OK && rc != SOKO_ECONFIG && rc != SOKO_EIO) fz_die("ind_load returned %d", rc);
    if ((rc == SOKO_OK) != (d.total == 0)) fz_die("ind_load returned %d with %zu errors", rc, d.total);
    if ((rc == SOKO_OK) != (set != NULL)) fz_die("ind_load returned %d and a set %p", rc, (void *)set);
    for (size_t i = 0; i < d.nmsgs; i++)
        if (!*d.msgs[i]) fz_die("empty message");
    if (set) {
        struct ind_results res = IND_RESULTS_INIT;
        for (size_t i = 0; i < set->n; i++) {
            struct soko_diag e;
            soko_diag_init(&e, 0);
            int r = ind_evaluate(set, &set->v[i], 0, 0, &res, &e);
            if (r != SOKO_OK && r != SOKO_EDB) fz_die("ind_evaluate returned %d", r);
            if ((r == SOKO_OK) != (e.total == 0)) fz_die("ind_evaluate returned %d with %zu errors", r, e.total);
            soko_diag_free(&e);
        }
        for (size_t i = 0; i < res.n; i++)
            if (res.v[i].year < IND_YEAR_MIN || res.v[i].year > IND_YEAR_MAX)
                fz_die("a result row of year %d", res.v[i].year);
        ind_results_free(&res);
        ind_set_free(set);
    }
    soko_diag_free(&d);
    if (sqlite3_total_changes(db) != changes0) fz_die("a definition changed the store");
    if (one_int("PRAGMA schema_version") != schema0) fz_die("a definition changed the schema");
    if (one_int("SELECT count(*) FROM pragma_database_list") != 1) fz_die("a definition attached a database");
    return 0;
}
