/*
 * fuzz_rules.c — libFuzzer target: the rule loader (rules_load) on any bytes as one
 * rule file, checked against the shipped indicators and context models (loaded once
 * from $SOKO_TOP/defs/indicators, with the form definitions of $SOKO_TOP/defs/forms,
 * which tests/fuzz/run sets).
 * Contract checked (rules.h): SOKO_OK or SOKO_ECONFIG (SOKO_EIO only for an unreadable
 * file), messages exactly when it is not OK, every accepted rule names indicators of
 * the set; nothing leaks (ASan's leak check at exit).
 * Seeds: tests/fuzz/corpus/rules (the shipped rules.ini, and its rules one by one).
 */
#include "fuzz_common.h"
#include "analysis.h"
#include "formdef.h"
#include "indicators.h"
#include "rules.h"
#include "stats.h"

static sqlite3 *db;
static struct ind_set *set;
static struct ana_models models;

static void setup(void)
{
    stats_init();
    const char *top = getenv("SOKO_TOP");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/defs/indicators", top && *top ? top : ".");
    struct soko_diag d;
    soko_diag_init(&d, 0);
    char ctx[4200], forms[4200];
    snprintf(ctx, sizeof ctx, "%s/defs/context.ini", top && *top ? top : ".");
    snprintf(forms, sizeof forms, "%s/defs/forms", top && *top ? top : ".");
    /* the shipped monitorings' indicators read the shipped form definitions */
    if (formdef_load_dir(forms, 0, &d) || ind_schema_db(&db, &d) || ind_load(dir, db, &set, &d) ||
        ana_context_load(ctx, &models, &d)) {
        fprintf(stderr, "fuzz_rules: %s: %s (set SOKO_TOP to the source tree)\n", dir,
                d.nmsgs ? d.msgs[0] : "cannot load");
        abort();
    }
    soko_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set) setup();
    char path[64];
    fz_file(data, size, path);
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct rule_set rs;
    memset(&rs, 0, sizeof rs);
    int rc = rules_load(path, set, &models, &rs, &d);
    if (rc != SOKO_OK && rc != SOKO_ECONFIG && rc != SOKO_EIO) fz_die("rules_load returned %d", rc);
    if ((rc == SOKO_OK) != (d.total == 0)) fz_die("rules_load returned %d with %zu errors", rc, d.total);
    for (size_t i = 0; i < d.nmsgs; i++)
        if (!*d.msgs[i]) fz_die("empty message");
    if (rc == SOKO_OK)
        for (size_t i = 0; i < rs.n; i++)
            if (!rs.v[i].id || !*rs.v[i].id || rules_find(&rs, rs.v[i].id) == NULL)
                fz_die("rule %zu has no id that finds it", i);
    rules_free(&rs);
    soko_diag_free(&d);
    return 0;
}
