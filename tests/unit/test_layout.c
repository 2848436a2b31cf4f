/*
 * test_layout.c — engine/layout.c: loading (every refusal with its line), binding a
 * header, and mapping rows: renames, constants, left N (code points), value maps,
 * skip rules, suppression markers, and percentages apportioned by largest remainders
 * (the counts always add up to the total; a row whose percentages do not add up to
 * 100 within the tolerance is refused with its line and column).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "forms.h"
#include "layout.h"
#include "soko.h"

static char dir[] = "/tmp/soko-test-layout-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text as a layout; returns it (NULL when refused, messages in d). */
static struct layout *load(const char *text, struct soko_diag *d)
{
    struct layout *p = NULL;
    int rc = layout_load(write_file("p.ini", text), NULL, &p, d);
    if (rc) assert_null(p);
    return p;
}

static int diag_has(const struct soko_diag *d, const char *needle)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        if (strstr(d->msgs[i], needle)) return 1;
    print_error("no message contains '%s'; messages:\n", needle);
    for (size_t i = 0; i < d->nmsgs; i++) print_error("  %s\n", d->msgs[i]);
    return 0;
}

/* Splits a comma-separated line into fields (in place). */
static size_t split(char *line, char **f)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p; p++)
        if (*p == ',') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

struct mapped {
    enum layout_row kind;
    const char *out[32];
    long col[32];
    struct sbuf scratch;
};

static void map(struct layout *p, const char *header, const char *row, struct mapped *m,
                struct soko_diag *d)
{
    static char hb[512], rb[512];
    char *hf[32], *rf[32];
    snprintf(hb, sizeof hb, "%s", header);
    snprintf(rb, sizeof rb, "%s", row);
    size_t nh = split(hb, hf), nr = split(rb, rf);
    assert_int_equal(layout_bind_header(p, hf, nh, "in.csv", 1, d), SOKO_OK);
    m->kind = layout_map_row(p, rf, nr, m->out, m->col, &m->scratch, "in.csv", 2, d);
}

static const char *col(const struct mapped *m, const char *form, const char *name)
{
    int j = form_col_index(form_find(form), name);
    assert_true(j >= 0);
    return m->out[j];
}

static const char *VPR_PCT =
    "[layout]\nform = vpr\nskip = ОО = Итого\nsuppressed = -, н/д\n"
    "[columns]\nyear = Год\nschool_id = ОО\ngrade = Класс\nsubject = const Математика\n"
    "participants = N\nm2 = percent p2 of N\nm3 = percent p3 of N\n"
    "m4 = percent p4 of N\nm5 = percent p5 of N\n";
static const char *HDR = "Год,ОО,Класс,N,p2,p3,p4,p5";

static void test_percent_apportioned(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load(VPR_PCT, &d);
    assert_non_null(p);
    struct mapped m = {0};
    /* 27 · (11.1, 33.3, 33.3, 22.2)% = 2.997, 8.991, 8.991, 5.994 → floors 2 8 8 5 (23),
     * the 4 left go to the largest remainders .997, .994, .991, .991: 3 9 9 6 */
    map(p, HDR, "2025,344,5,27,11.1,33.3,33.3,22.2", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ROW);
    assert_string_equal(col(&m, "vpr", "m2"), "3");
    assert_string_equal(col(&m, "vpr", "m3"), "9");
    assert_string_equal(col(&m, "vpr", "m4"), "9");
    assert_string_equal(col(&m, "vpr", "m5"), "6");
    assert_string_equal(col(&m, "vpr", "subject"), "Математика");
    assert_int_equal(m.col[form_col_index(form_find("vpr"), "subject")], 0);   /* a constant */
    assert_int_equal(m.col[form_col_index(form_find("vpr"), "participants")], 4);
    /* decimal commas are percentages too: 25 · (12, 40, 36, 12)% = 3 10 9 3 exactly */
    map(p, HDR, "2025,344,5,25,12;0,40,36,12", &m, &d);   /* ';' → a bad number */
    assert_int_equal(m.kind, LAYOUT_ERROR);
    assert_true(diag_has(&d, "in.csv:2:E: p2: '12;0' is not a percentage"));
    soko_diag_clear(&d);
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
}

static void test_percent_not_adding_up(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load(VPR_PCT, &d);
    struct mapped m = {0};
    /* 4 columns · 0.05 = ±0.20: 100.2 passes, 100.3 does not */
    map(p, HDR, "2025,344,5,25,12.1,40.1,36,12", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ROW);
    assert_int_equal(d.total, 0);
    map(p, HDR, "2025,344,5,25,12.2,40.1,36,12", &m, &d);
    assert_int_not_equal(m.kind, LAYOUT_ROW);
    assert_true(diag_has(&d, "in.csv:2:E: the percentages of N add up to 100.30"));
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
}

static void test_skip_and_suppressed(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load(VPR_PCT, &d);
    struct mapped m = {0};
    map(p, HDR, "2025,итого,5,50,10,40,40,10", &m, &d);          /* case-insensitive */
    assert_int_equal(m.kind, LAYOUT_SKIP);
    map(p, HDR, "2025,344,5,н/д,-,-,-,-", &m, &d);
    assert_int_equal(m.kind, LAYOUT_SUPPRESSED);
    map(p, HDR, "2025,344,5,25,-,40,36,12", &m, &d);               /* one cell is enough */
    assert_int_equal(m.kind, LAYOUT_SUPPRESSED);
    assert_int_equal(d.total, 0);
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
}

static void test_left_and_map(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load("[layout]\nform = olympiad\n[columns]\nyear = Год\n"
                             "school_id = left Код 3\nsubject = Предмет\nstage = map Этап\n"
                             "participants = У\nwinners = П\nprizewinners = Пр\n"
                             "[map stage]\nI = school\nII = municipal\n", &d);
    assert_non_null(p);
    struct mapped m = {0};
    /* left counts code points: "Шк1" of "Шк1-корпус", not 3 bytes */
    map(p, "Год,Код,Предмет,Этап,У,П,Пр", "2025,Шк1-корпус,Физика,ii,10,1,2", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ROW);
    assert_string_equal(col(&m, "olympiad", "school_id"), "Шк1");
    assert_string_equal(col(&m, "olympiad", "stage"), "municipal");
    map(p, "Год,Код,Предмет,Этап,У,П,Пр", "2025,Шк1,Физика,III,10,1,2", &m, &d);
    assert_true(diag_has(&d, "in.csv:2:D: 'III' has no mapping for stage"));
    soko_diag_clear(&d);
    /* a header without a column the layout needs */
    char hb[] = "Год,Код,Предмет,У,П,Пр";
    char *hf[8];
    size_t nh = split(hb, hf);
    assert_int_equal(layout_bind_header(p, hf, nh, "in.csv", 1, &d), SOKO_EINPUT);
    assert_true(diag_has(&d, "in.csv:1: no column 'Этап'"));
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
}

static void test_refused_at_load(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"[layout]\nform = nosuch\n", "p.ini:2: [layout]: form: got 'nosuch'; expected one of"},
        {"[layout]\nform = vpr_dist\n", "p.ini:2: [layout]: form: got 'vpr_dist'"},
        {"[layout]\nform = schools\ncolor = red\n[columns]\nschool_id = a\nname = b\n",
         "p.ini:3: [layout]: color: unknown key; expected one of form, description, skip"},
        {"[layout]\nform = schools\n[columns]\nschool_id = a\nname = b\nfoo = c\n",
         "p.ini:6: [columns]: foo: unknown key; expected a column of form schools"},
        {"[layout]\nform = schools\n[columns]\nschool_id = a\nname = b\nschool_id = c\n",
         "p.ini:6: [columns]: school_id: given twice (first on line 4)"},
        {"[layout]\nform = schools\n[columns]\nschool_id = a\n",
         "form schools needs column 'name'"},
        {"[layout]\nform = vpr\nduplicates = maybe\n",
         "p.ini:3: [layout]: duplicates: got 'maybe'; expected one of error, first"},
        {"[layout]\nform = olympiad\n[columns]\nstage = map Этап\n",
         "column 'stage' = map: expected a section [map stage]"},
        {"[layout]\nform = schools\n[columns]\nschool_id = left Код x\nname = b\n",
         "p.ini:4: [columns]: school_id: got 'left Код x'; expected 'left COLUMN N'"},
        {"[layout]\nform = vpr\n[columns]\nm2 = percent p2\n",
         "p.ini:4: [columns]: m2: got 'percent p2'; expected 'percent COLUMN of TOTAL_COLUMN'"},
        {"[columns]\nschool_id = a\n", "no [layout] section"},
        {"just text\n", "p.ini:1: not an INI line"},
        {"[layout]\ndescription = x\n", "p.ini:1: [layout]: form: missing; expected the target form"},
        {"[whatever]\nx = 1\n", "p.ini:1: unknown section [whatever]"},
        /* hardening round two, item 5: every number range-checked at load */
        {"[layout]\nform = schools\n[columns]\nschool_id = left Код 99999999999999999999\n"
         "name = b\n",
         "p.ini:4: [columns]: school_id: got 'left Код 99999999999999999999'; expected 'left "
         "COLUMN N' with N from 1 to 1000"},
        {"[layout]\nform = vpr\npercent_tolerance = nan\n",
         "p.ini:3: [layout]: percent_tolerance: got 'nan'; expected percentage points from 0 "
         "to 10"},
        {"[layout]\nform = vpr\npercent_tolerance = 1e999\n",
         "p.ini:3: [layout]: percent_tolerance: got '1e999'"},
        {"[layout]\nform = vpr\npercent_tolerance = 0x1\n",
         "p.ini:3: [layout]: percent_tolerance: got '0x1'"},
        {"[layout]\nform = schools\nskip = =\n[columns]\nschool_id = a\nname = b\n",
         "p.ini:3: [layout]: skip: got '='; expected 'COLUMN = VALUE' with a source column name"},
        {"[layout]\nform = schools\nskip = Код\n[columns]\nschool_id = a\nname = b\n",
         "p.ini:3: [layout]: skip: got 'Код'; expected 'COLUMN = VALUE'"},
        /* issue 11: the keys of exports as downloaded */
        {"[layout]\nform = vpr\nheader_rows = 4\n",
         "p.ini:3: [layout]: header_rows: got '4'; expected the rows the header spans, 1 to 3"},
        {"[layout]\nform = ege\nwide = subject\n",
         "p.ini:3: [layout]: wide: got 'subject'; expected a column of form ege, with header_rows"},
        {"[layout]\nform = ege\nheader_rows = 2\nwide = nosuch\n",
         "p.ini:4: [layout]: wide: got 'nosuch'"},
        {"[layout]\nform = schools\n[title]\nname = ([0-9\n[columns]\nschool_id = a\n",
         "p.ini:4: [title]: name: got '([0-9'; expected a regular expression"},
        {"[layout]\nform = schools\n[title]\nnosuch = x\n[columns]\nschool_id = a\nname = b\n",
         "p.ini:4: [title]: nosuch: unknown key; expected a column of form schools"},
        {"[layout]\nform = schools\n[title]\nname = (x)\n[columns]\nschool_id = a\nname = b\n",
         "[columns]: name: the column has a source in [title] too (line 4)"},
        {"[layout]\nform = olympiad\n[columns]\nwinners = count Статус\n",
         "p.ini:4: [columns]: winners: got 'count Статус'; expected 'count' or 'count COLUMN = "
         "VALUE, VALUE...'"},
        {"[layout]\nform = vpr_students\nabsent = Вариант\n",
         "p.ini:3: [layout]: absent: got 'Вариант'; expected 'COLUMN = VALUE, VALUE...'"},
        {"[layout]\nform = vpr\nsheets = some\n",
         "p.ini:3: [layout]: sheets: got 'some'; expected one of one, all"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct soko_diag d;
        soko_diag_init(&d, 0);
        struct layout *p = load(bad[i].text, &d);
        if (p) print_error("case %zu was accepted\n", i);
        assert_null(p);
        if (!diag_has(&d, bad[i].msg)) fail_msg("case %zu", i);
        soko_diag_free(&d);
    }
}

/* [title] values, login, number, absent, rows that are not schools */
static void test_titles_login_number(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load("[layout]\nform = vpr_students\nabsent = Вариант = отсутствовал\n"
                            "[title]\nyear = (впр|проверочные работы)[^0-9]*([0-9]{4})\n"
                            "subject = предмет:?[[:space:]]+(.+)\n"
                            "[columns]\nschool_id = login Школа\ngrade = number Класс\n"
                            "student = Код\nprimary_score = Балл\nmark = Отметка\n", &d);
    assert_non_null(p);
    assert_true(layout_has_titles(p));
    char *lines[] = {"Всероссийские проверочные работы 2022 (4 класс)", "ПРЕДМЕТ: Русский язык"};
    long nos[] = {1, 2};
    assert_int_equal(layout_set_titles(p, lines, nos, 2, "in.csv", &d), SOKO_OK);
    struct mapped m = {0};
    const char *h = "Школа,Код,Класс,Вариант,Балл,Отметка";
    map(p, h, "(EDU220001) МБОУ СОШ № 1,1,11Б,1,12,4", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ROW);
    assert_string_equal(col(&m, "vpr_students", "year"), "2022");
    assert_string_equal(col(&m, "vpr_students", "subject"), "Русский язык");
    assert_string_equal(col(&m, "vpr_students", "school_id"), "edu220001");
    assert_string_equal(col(&m, "vpr_students", "grade"), "11");
    assert_true(layout_is_login(p, (size_t)form_col_index(form_find("vpr_students"), "school_id")));
    map(p, h, "edu220001 | Школа,2,5А,отсутствовал,,", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ABSENT);
    map(p, h, "reg22_m019 | г. Барнаул,3,5А,1,1,2", &m, &d);
    assert_int_equal(m.kind, LAYOUT_NONSCHOOL);
    assert_string_equal(m.out[0], "reg22_m019 | г. Барнаул");
    map(p, h, "Вся выборка,3,5А,1,1,2", &m, &d);
    assert_int_equal(m.kind, LAYOUT_NONSCHOOL);
    map(p, h, "education2,3,5А,1,1,2", &m, &d);            /* no login: edu + letters */
    assert_int_equal(m.kind, LAYOUT_NONSCHOOL);
    /* a title without the year: named with the pattern and the rows */
    char *none[] = {"Статистика по отметкам"};
    assert_int_equal(layout_set_titles(p, none, nos, 1, "in.csv", &d), SOKO_EINPUT);
    assert_true(diag_has(&d, "in.csv: no title row holds the year (layout p, [title] year = "
                             "(впр|проверочные работы)[^0-9]*([0-9]{4})); the rows above the "
                             "header, then the sheet's and the file's names, are: «Статистика "
                             "по отметкам»"));
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
}

/* [reference]: the rows without a login read by their own layout, their level told by
 * the label (and the order of the report), the title values shared; its refusals */
static void test_reference(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    static const char head[] = "[layout]\nform = vpr\nsuppressed = -\n"
                               "[title]\nyear = впр[^0-9]*([0-9]{4})\n"
                               "grade = ([0-9]{1,2})[[:space:]]*класс\n"
                               "subject = предмет:?[[:space:]]+(.+)\n"
                               "[columns]\nschool_id = login Группа\nparticipants = N\n"
                               "m2 = percent p2 of N\nm3 = percent p3 of N\n"
                               "m4 = percent p4 of N\nm5 = percent p5 of N\n";
    char text[2048];
    snprintf(text, sizeof text, "%s[reference]\nform = vpr_reference\nlevel = level Группа\n"
             "name = label Группа\nparticipants = N\np2 = p2\np3 = p3\np4 = p4\np5 = p5\n",
             head);
    struct layout *p = load(text, &d);
    assert_non_null(p);
    struct layout *r = layout_reference(p);
    assert_non_null(r);
    assert_string_equal(layout_form(r)->name, "vpr_reference");
    char *lines[] = {"ВПР 2023. 5 класс", "Предмет: Математика"};
    long nos[] = {1, 2};
    assert_int_equal(layout_set_titles(p, lines, nos, 2, "in.csv", &d), SOKO_OK);
    const char *h = "Группа,N,p2,p3,p4,p5";
    struct mapped m = {0};
    map(p, h, "Вся выборка,1000,10,40,40,10", &m, &d);   /* binds the header, both layouts */
    assert_int_equal(m.kind, LAYOUT_NONSCHOOL);
    static const struct { const char *row, *level, *name; } rows[] = {
        {"Вся выборка,1000,10,40,40,10", "russia", "Вся выборка"},
        {"Алтайский край,500,10,40,40,10", "region", "Алтайский край"},
        {"Итого,500,10,40,40,10", NULL, NULL},
        {"reg22_m019 | г. Барнаул,50,10,40,40,10", "district", "г. Барнаул"},
        {"Прочее,50,10,40,40,10", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char rb[256], *rf[32];
        snprintf(rb, sizeof rb, "%s", rows[i].row);
        size_t n = split(rb, rf);
        enum layout_row k = layout_map_row(r, rf, n, m.out, m.col, &m.scratch, "in.csv", 5, &d);
        if (!rows[i].level) {
            assert_int_equal(k, LAYOUT_NONSCHOOL);
            continue;
        }
        assert_int_equal(k, LAYOUT_ROW);
        assert_string_equal(col(&m, "vpr_reference", "level"), rows[i].level);
        assert_string_equal(col(&m, "vpr_reference", "name"), rows[i].name);
        assert_string_equal(col(&m, "vpr_reference", "year"), "2023");
        assert_string_equal(col(&m, "vpr_reference", "grade"), "5");
        assert_string_equal(col(&m, "vpr_reference", "subject"), "Математика");
        assert_string_equal(col(&m, "vpr_reference", "p3"), "40");
    }
    /* a code says the level whatever the order: reg22 the region, after the district */
    char rb[128], *rf[32];
    snprintf(rb, sizeof rb, "reg22 | Алтайский край,500,10,40,40,10");
    size_t n = split(rb, rf);
    assert_int_equal(layout_map_row(r, rf, n, m.out, m.col, &m.scratch, "in.csv", 6, &d), LAYOUT_ROW);
    assert_string_equal(col(&m, "vpr_reference", "level"), "region");
    assert_string_equal(col(&m, "vpr_reference", "name"), "Алтайский край");
    sbuf_free(&m.scratch);
    layout_free(p);
    assert_int_equal(d.total, 0);

    static const struct { const char *ref, *msg; } bad[] = {
        {"[reference]\nlevel = level Группа\n", "[reference]: form: missing"},
        {"[reference]\nform = vpr\nlevel = level Группа\n",
         "expected a form of reference figures with a level column"},
        {"[reference]\nform = vpr_reference\nlevel = Группа\np2 = p2\np3 = p3\np4 = p4\n"
         "p5 = p5\n", "[reference]: level must be 'level COLUMN'"},
        {"[reference]\nform = vpr_reference\nlevel = level Группа\np2 = p2\n",
         "[reference]: form vpr_reference needs column 'p3'"},
        {"[reference]\nform = vpr_reference\nlevel = level Группа\nlogin = x\n",
         "[reference]: login: unknown key; expected a column of form vpr_reference"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        soko_diag_free(&d);
        soko_diag_init(&d, 0);
        snprintf(text, sizeof text, "%s%s", head, bad[i].ref);
        assert_null(load(text, &d));
        assert_true(diag_has(&d, bad[i].msg));
    }
    /* level and label are for [reference] only */
    soko_diag_free(&d);
    soko_diag_init(&d, 0);
    p = load("[layout]\nform = schools\n[columns]\nschool_id = level Код\nname = Имя\n", &d);
    assert_non_null(p);     /* a column named «level Код» */
    layout_free(p);
    soko_diag_free(&d);
}

/* tasks = columns: the task columns found in the header (bare, with the maximum, after a
 * super-header's text), a row per task, a marker no row, `task max` from the header */
static void test_task_columns(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load("[layout]\nform = vpr_tasks\ntasks = columns\nsuppressed = -\n"
                            "[columns]\nyear = const 2023\ngrade = const 5\n"
                            "subject = const Математика\nschool_id = ОО\nparticipants = N\n"
                            "task = task label\ncompletion = task value\nmax_score = task max\n",
                            &d);
    assert_non_null(p);
    struct mapped m = {0};
    map(p, "ОО,N,1,2 (2б),Выполнение заданий 9(1),Примечание,2К1", "1,20,50,-,75,x,10", &m, &d);
    assert_int_equal(layout_groups(p), 4);
    static const char *const want[][3] = {{"1", "50", NULL}, {"2", NULL, "2"},
                                          {"9(1)", "75", NULL}, {"2К1", "10", NULL}};
    char rb[64], *rf[32];
    snprintf(rb, sizeof rb, "1,20,50,-,75,x,10");
    size_t n = split(rb, rf);
    for (size_t g = 0; g < 4; g++) {
        layout_select_group(p, g);
        if (!want[g][1]) {
            assert_true(layout_group_empty(p, rf, n));
            continue;
        }
        assert_false(layout_group_empty(p, rf, n));
        assert_int_equal(layout_map_row(p, rf, n, m.out, m.col, &m.scratch, "in.csv", 2, &d),
                         LAYOUT_ROW);
        assert_string_equal(col(&m, "vpr_tasks", "task"), want[g][0]);
        assert_string_equal(col(&m, "vpr_tasks", "completion"), want[g][1]);
        static const long field[] = {3, 4, 5, 7};     /* 1-based: «Примечание» is none */
        assert_int_equal(m.col[form_col_index(form_find("vpr_tasks"), "task")], field[g]);
    }
    layout_select_group(p, 1);
    snprintf(rb, sizeof rb, "1,20,50,100,75,x,10");
    n = split(rb, rf);
    assert_int_equal(layout_map_row(p, rf, n, m.out, m.col, &m.scratch, "in.csv", 3, &d), LAYOUT_ROW);
    assert_string_equal(col(&m, "vpr_tasks", "max_score"), "2");
    /* a header without a task column */
    char hb[32], *hf[8];
    snprintf(hb, sizeof hb, "ОО,N,Примечание");
    size_t nh = split(hb, hf);
    assert_int_equal(layout_bind_header(p, hf, nh, "in.csv", 1, &d), SOKO_EINPUT);
    assert_true(diag_has(&d, "in.csv:1: no task column in the header (layout p, tasks = columns)"));
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
    /* task label and value need tasks = columns */
    soko_diag_init(&d, 0);
    assert_null(load("[layout]\nform = vpr_tasks\n[columns]\nyear = Год\ngrade = Класс\n"
                     "subject = Предмет\nschool_id = ОО\nparticipants = N\ntask = task label\n",
                     &d));
    assert_true(diag_has(&d, "'task label' with tasks = columns in [layout]"));
    soko_diag_free(&d);
}

/* scores = columns: the histogram from the score columns (0 up, no gap), counts from
 * percentages by largest remainders; vpr_dist only with scores = columns */
static void test_score_columns(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    static const char text[] = "[layout]\nform = vpr_dist\nscores = columns\nsuppressed = -\n"
                               "[columns]\nyear = const 2023\ngrade = const 5\n"
                               "subject = const Математика\nschool_id = ОО\nn = N\n"
                               "scores = score percents of N\nmark_min = scale\n";
    struct layout *p = load(text, &d);
    assert_non_null(p);
    struct mapped m = {0};
    /* 3 participants, a third each: 33.3 × 3 = 99.9, the counts still add up to 3 */
    map(p, "ОО,N,Баллы 0,Баллы 1,Баллы 2,Баллы 3", "1,3,33.3,,33.3,33.3", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ROW);
    assert_string_equal(col(&m, "vpr_dist", "scores"), "[1,0,1,1]");
    assert_true(layout_is_scale(p, (size_t)form_col_index(form_find("vpr_dist"), "mark_min")));
    map(p, "ОО,N,0,1,2", "1,10,10,20,50", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ERROR);
    assert_true(diag_has(&d, "the shares of the primary scores add up to 80.00"));
    /* «2»…«5» of the marks are no histogram */
    char hb[128], *hf[8];
    snprintf(hb, sizeof hb, "ОО,N,Отметки 2,Отметки 3,Отметки 4,Отметки 5");
    size_t nh = split(hb, hf);
    assert_int_equal(layout_bind_header(p, hf, nh, "in.csv", 1, &d), SOKO_EINPUT);
    assert_true(diag_has(&d, "in.csv:1:C: the columns of primary scores are headed 2, 3, 4, 5 "
                             "(layout p, scores = columns); expected every score from 0 up"));
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
    /* vpr_dist without scores = columns; score sources without it */
    soko_diag_init(&d, 0);
    assert_null(load("[layout]\nform = vpr_dist\n[columns]\nyear = Год\n", &d));
    assert_true(diag_has(&d, "vpr_dist is written from a report of its own only with scores = "
                             "columns"));
    assert_null(load("[layout]\nform = vpr\n[columns]\nyear = Год\nm2 = score counts\n", &d));
    assert_true(diag_has(&d, "'score counts' with scores = columns in [layout]"));
    soko_diag_free(&d);
}

/* blocks = COLUMN: a label row, then its rows of figures; the block's faults */
static void test_blocks(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load("[layout]\nform = vpr_journal\nblocks = Группа\nrequires = %\n"
                            "[columns]\nyear = const 2023\ngrade = const 5\n"
                            "subject = const Математика\nschool_id = login block\n"
                            "participants = row Всего of N\nlowered = row Понизили of N\n"
                            "confirmed = row Подтвердили of N\nraised = row Повысили of N\n", &d);
    assert_non_null(p);
    assert_true(layout_blocks(p));
    char hb[64], *hf[8];
    snprintf(hb, sizeof hb, "Группа,N");
    size_t nh = split(hb, hf);
    assert_int_equal(layout_bind_header(p, hf, nh, "in.csv", 1, &d), SOKO_EINPUT);
    assert_true(diag_has(&d, "no column '%' (layout p, requires)"));
    soko_diag_free(&d);
    soko_diag_init(&d, 0);
    snprintf(hb, sizeof hb, "Группа,N,%%");
    nh = split(hb, hf);
    assert_int_equal(layout_bind_header(p, hf, nh, "in.csv", 1, &d), SOKO_OK);
    static const char *const rows[] = {"edu220001 | СОШ,,", "Понизили (Отметка < журнал),6,12",
                                       "Подтвердили,40,80", "Повысили,4,8", "Всего,50,100"};
    char rb[5][64], *rf[5][8];
    size_t rn[5];
    for (int i = 0; i < 5; i++) {
        snprintf(rb[i], sizeof rb[i], "%s", rows[i]);
        rn[i] = split(rb[i], rf[i]);
    }
    assert_true(layout_block_is_label(p, rf[0], rn[0]));
    assert_false(layout_block_is_label(p, rf[1], rn[1]));
    assert_false(layout_block_pending(p));
    assert_int_equal(layout_block_add(p, rf[1], rn[1], 2, "in.csv", &d), SOKO_EINPUT);
    assert_true(diag_has(&d, "before the first block's label"));
    layout_block_begin(p, rf[0], rn[0], 2);
    for (int i = 1; i < 5; i++)
        assert_int_equal(layout_block_add(p, rf[i], rn[i], 2 + i, "in.csv", &d), SOKO_OK);
    assert_int_equal(layout_block_add(p, rf[4], rn[4], 7, "in.csv", &d), SOKO_EINPUT);
    assert_true(diag_has(&d, "has the row «Всего» twice (lines 6 and 7)"));
    struct mapped m = {0};
    assert_int_equal(layout_map_row(p, rf[0], rn[0], m.out, m.col, &m.scratch, "in.csv", 2, &d),
                     LAYOUT_ROW);
    const struct form *f = form_find("vpr_journal");
    assert_string_equal(col(&m, "vpr_journal", "school_id"), "edu220001");
    assert_string_equal(col(&m, "vpr_journal", "lowered"), "6");
    assert_string_equal(col(&m, "vpr_journal", "participants"), "50");
    assert_int_equal(layout_cell_line(p, (size_t)form_col_index(f, "confirmed")), 4);
    assert_string_equal(layout_row_label(p, (size_t)form_col_index(f, "raised")), "Повысили");
    assert_int_equal(m.col[form_col_index(f, "lowered")], 2);
    layout_block_end(p);
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
    /* `row` is a column's name without blocks; blocks with wide or tasks refused */
    soko_diag_init(&d, 0);
    p = load("[layout]\nform = schools\n[columns]\nschool_id = row Код of x\nname = Имя\n", &d);
    assert_non_null(p);
    layout_free(p);
    assert_null(load("[layout]\nform = vpr_journal\nblocks = Г\n[columns]\nyear = const 2023\n"
                     "grade = const 5\nsubject = const М\nschool_id = login block\n"
                     "lowered = row П of N\nconfirmed = row Пд of N\nraised = row Пв of N\n"
                     "[reference]\nform = vpr_reference\nlevel = level Г\n", &d));
    assert_true(diag_has(&d, "a layout of one row per school (not wide, blocks, scores or "
                             "tasks = auto), for [reference]"));
    assert_null(load("[layout]\nform = vpr_tasks\nblocks = Группа\ntasks = columns\n", &d));
    assert_true(diag_has(&d, "a column of the source, in a layout of one sheet without wide, "
                             "tasks or scores"));
    soko_diag_free(&d);
}

/* wide = subject: one row per group of columns, none for a group of markers */
static void test_wide_groups(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load("[layout]\nform = ege\nheader_rows = 2\nwide = subject\n"
                            "suppressed = -\n[columns]\nyear = const 2024\nschool_id = Код\n"
                            "participants = Участников\nmean_score = Средний балл\n"
                            "below_min = Ниже минимума\nhigh_scorers = 81-100\n", &d);
    assert_non_null(p);
    assert_true(layout_is_wide(p));
    char *fields[] = {"Код", "Физика Участников", "Физика Средний балл", "Физика Ниже минимума",
                      "Физика 81-100", "Химия Участников", "Химия Средний балл",
                      "Химия Ниже минимума", "Химия 81-100"};
    char *tops[] = {"Код", "Физика", "Физика", "Физика", "Физика", "Химия", "Химия", "Химия",
                    "Химия"};
    char *bots[] = {"Код", "Участников", "Средний балл", "Ниже минимума", "81-100", "Участников",
                    "Средний балл", "Ниже минимума", "81-100"};
    assert_int_equal(layout_bind_wide(p, fields, tops, bots, 9, "in.csv", 2, &d), SOKO_OK);
    assert_int_equal(layout_groups(p), 2);
    char *row[] = {"344", "10", "70", "0", "3", "-", "-", "-", "-"};
    const char *out[32];
    long oc[32];
    struct sbuf sc = SBUF_INIT;
    const struct form *ege = form_find("ege");
    layout_select_group(p, 0);
    assert_false(layout_group_empty(p, row, 9));
    assert_int_equal(layout_map_row(p, row, 9, out, oc, &sc, "in.csv", 3, &d), LAYOUT_ROW);
    assert_string_equal(out[form_col_index(ege, "subject")], "Физика");
    assert_string_equal(out[form_col_index(ege, "participants")], "10");
    assert_string_equal(out[form_col_index(ege, "school_id")], "344");
    assert_int_equal(oc[form_col_index(ege, "mean_score")], 3);
    layout_select_group(p, 1);
    assert_true(layout_group_empty(p, row, 9));
    sbuf_free(&sc);
    layout_free(p);
    soko_diag_free(&d);
}

/* count: a participant's row as 1s and 0s */
static void test_counts(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    struct layout *p = load("[layout]\nform = olympiad\n[columns]\nyear = const 2023\n"
                            "school_id = ОО\nsubject = const Физика\nstage = const school\n"
                            "participants = count\nwinners = count Статус = Победитель\n"
                            "prizewinners = count Статус = Призёр, Призер\n", &d);
    assert_non_null(p);
    assert_true(layout_aggregates(p));
    struct mapped m = {0};
    map(p, "ОО,Статус", "344,Призер", &m, &d);
    assert_int_equal(m.kind, LAYOUT_ROW);
    assert_string_equal(col(&m, "olympiad", "participants"), "1");
    assert_string_equal(col(&m, "olympiad", "winners"), "0");
    assert_string_equal(col(&m, "olympiad", "prizewinners"), "1");
    map(p, "ОО,Статус", "344,победитель", &m, &d);
    assert_string_equal(col(&m, "olympiad", "winners"), "1");
    sbuf_free(&m.scratch);
    layout_free(p);
    soko_diag_free(&d);
}

static void test_lookup_by_name(void **state)
{
    (void)state;
    struct soko_diag d;
    soko_diag_init(&d, 0);
    write_file("mine.ini", "[layout]\nform = schools\nduplicates = first\n[columns]\n"
                           "school_id = DBN\nname = School Name\n");
    char search[600];
    snprintf(search, sizeof search, "/nonexistent:%s", dir);
    struct layout *p = NULL;
    assert_int_equal(layout_load("mine", search, &p, &d), SOKO_OK);
    assert_string_equal(layout_name(p), "mine");
    assert_int_equal(layout_keep_first(p), 1);
    assert_int_equal(strlen(layout_sha256(p)), 64);
    assert_ptr_equal(layout_form(p), form_find("schools"));
    layout_free(p);
    assert_int_equal(layout_load("absent", search, &p, &d), SOKO_ECONFIG);
    assert_true(diag_has(&d, "no layout named 'absent'"));
    soko_diag_free(&d);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s/p.ini", dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/mine.ini", dir);
    unlink(cmd);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_apportioned), cmocka_unit_test(test_percent_not_adding_up),
        cmocka_unit_test(test_skip_and_suppressed), cmocka_unit_test(test_left_and_map),
        cmocka_unit_test(test_refused_at_load),     cmocka_unit_test(test_lookup_by_name),
        cmocka_unit_test(test_titles_login_number), cmocka_unit_test(test_wide_groups),
        cmocka_unit_test(test_counts),              cmocka_unit_test(test_reference),
        cmocka_unit_test(test_task_columns),        cmocka_unit_test(test_score_columns),
        cmocka_unit_test(test_blocks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
