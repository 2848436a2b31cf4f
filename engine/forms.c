/*
 * forms.c — the table of unified forms (see forms.h and ../shared/forms.md).
 */
#include "forms.h"
#include "deffile.h"
#include "soko.h"
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define REQ COL_REQUIRED
#define KEY (COL_REQUIRED | COL_KEY)
#define GKEY (COL_REQUIRED | COL_KEY | COL_GROUP)
#define SCHOOL (COL_REQUIRED | COL_KEY | COL_SCHOOL | COL_CONFUSABLE)
#define GSCHOOL (COL_REQUIRED | COL_KEY | COL_SCHOOL | COL_GROUP | COL_CONFUSABLE)
#define LOOKS COL_CONFUSABLE
#define BIG 1e9

/* Columns that recur across forms, spelled once. */
#define C_YEAR(fl) {"year", "год|учебный год", COL_YEAR, fl, 2000, 2100, NULL, NULL, \
                    "year of the assessment (spring): 2023, or 2022/2023"}
#define SCHOOL_ALIASES "код ОО|код школы|ОО|логин ОО|код образовательной организации|" \
                       "код организации"
#define C_SCHOOL(fl) {"school_id", SCHOOL_ALIASES, COL_TEXT, fl, 0, 0, NULL, NULL, \
                      "school code, as in the schools registry"}
#define C_GRADE(fl) {"grade", "класс|параллель", COL_INT, fl, 1, 11, NULL, NULL, "grade 1..11"}
#define C_SUBJECT(fl) {"subject", "предмет|учебный предмет", COL_TEXT, (fl) | LOOKS, 0, 0, NULL, NULL, \
                       "subject, in Russian, as the district names it"}
#define C_COUNT(n, al, fl, doc) {n, al, COL_INT, fl, 0, BIG, NULL, NULL, doc}
/* «Кол-во участников» and «Число участников» are «количество участников» by the header
 * key (form_header_key): spellings are not listed, words are */
#define C_PARTICIPANTS C_COUNT("participants", "участников|количество участников|участники|" \
                               "писали работу|выполняли работу|количество писавших|" \
                               "всего участников", REQ, "number of participants")

static const struct enum_val stages[] = {
    {"school", "школьный|школьный этап"}, {"municipal", "муниципальный|муниципальный этап"},
    {"regional", "региональный|региональный этап"}, {"final", "заключительный|заключительный этап"},
    {NULL, NULL}};
static const struct enum_val roles[] = {
    {"activist", "активист"}, {"member", "участник"}, {"flagship", "флагман"},
    {"curator", "куратор"}, {"supported", "курируемая|поддерживаемая"}, {NULL, NULL}};

/* ------------------------------------------------------------ registry */

static const struct form_col schools_cols[] = {
    {"school_id", SCHOOL_ALIASES, COL_TEXT, KEY | LOOKS, 0, 0, NULL, NULL, "school code (unique)"},
    {"name", "наименование|название|наименование ОО", COL_TEXT, REQ, 0, 0, NULL, NULL, "full name"},
    {"district", "район", COL_TEXT, 0, 0, 0, NULL, NULL, "district"},
    {"kind", "тип|вид ОО", COL_TEXT, 0, 0, 0, NULL, NULL, "СОШ, гимназия, лицей, ..."},
    {"profile", "профиль", COL_TEXT, 0, 0, 0, NULL, NULL,
     "math-science, humanities, linguistic, universal, ..."},
    {"login", "логин|логин ФИС ОКО", COL_TEXT, 0, 0, 0, NULL, NULL,
     "the school's ФИС ОКО login (edu990109): exports that name schools by it are mapped "
     "to school_id"},
};

static const struct form_col clusters_cols[] = {
    {"cluster_id", "кластер|код кластера", COL_TEXT, KEY | LOOKS, 0, 0, NULL, NULL, "cluster code"},
    C_SCHOOL(SCHOOL),
    {"cluster_name", "название кластера", COL_TEXT, 0, 0, 0, NULL, NULL, "cluster name"},
    {"role", "роль", COL_ENUM, 0, 0, 0, roles, "member",
     "activist | member | flagship | curator | supported"},
};

static const struct form_col context_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL),
    {"factor", "показатель|фактор", COL_TEXT, KEY, 0, 0, NULL, NULL,
     "factor name, e.g. share_low_income, risk_staff_shortage"},
    {"value", "значение", COL_REAL, REQ, -BIG, BIG, NULL, NULL, "value of the factor"},
};
/* Factors whose values have a natural range (docs/forms.md lists them). */
static const struct value_range context_ranges[] = {
    {"share_*", 0, 100, 0, N_("a percentage from 0 to 100")},
    {"teachers_top_category", 0, 100, 0, N_("a percentage from 0 to 100")},
    {"students", 0, BIG, 1, N_("a whole number of students, 0 or more")},
    {"class_size", 0, BIG, 0, N_("a number 0 or more")},
    {NULL, 0, 0, 0, NULL}};
static const struct form_check context_checks[] = {
    {CHECK_KEYED_RANGE, {"factor", "value", NULL},
     "share_* and teachers_top_category: 0..100; students: a whole number >= 0; "
     "class_size >= 0", NULL, {0, 0}, context_ranges},
};

/* ------------------------------------------------------------- results */

#define VPR_MARKS \
    C_COUNT("m2", "отметка 2|отметка «2»|2|отметки 2|количество 2|получили 2", REQ, \
            "count of mark 2"), \
    C_COUNT("m3", "отметка 3|отметка «3»|3|отметки 3|количество 3|получили 3", REQ, \
            "count of mark 3"), \
    C_COUNT("m4", "отметка 4|отметка «4»|4|отметки 4|количество 4|получили 4", REQ, \
            "count of mark 4"), \
    C_COUNT("m5", "отметка 5|отметка «5»|5|отметки 5|количество 5|получили 5", REQ, \
            "count of mark 5")

static const struct form_col vpr_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL), C_GRADE(KEY), C_SUBJECT(KEY), C_PARTICIPANTS, VPR_MARKS,
    {"mean_score", "средний первичный балл|средний балл", COL_REAL, 0, 0, 1000, NULL, NULL,
     "mean primary score"},
    {"max_score", "максимальный балл", COL_INT, 0, 1, 1000, NULL, NULL,
     "maximum primary score of the work"},
    C_COUNT("lowered", "понизили", 0, "ВПР mark below the journal mark"),
    C_COUNT("confirmed", "подтвердили", 0, "ВПР mark equal to the journal mark"),
    C_COUNT("raised", "повысили", 0, "ВПР mark above the journal mark"),
};
/* xgettext:c-format */
#define MARKS_FOUND N_("the marks add up to %lld, but the participants are %lld")
static const struct form_check vpr_checks[] = {
    {CHECK_SUM_EQ, {"m2", "m3", "m4", "m5", "participants", NULL}, "m2+m3+m4+m5 = participants",
     MARKS_FOUND, {0, 0}, NULL},
    {CHECK_SUM_EQ, {"lowered", "confirmed", "raised", "participants", NULL},
     "lowered+confirmed+raised = participants, when given",
     /* xgettext:c-format */
     N_("the comparison with journal marks adds up to %lld, but the participants are %lld"),
     {0, 0}, NULL},
    {CHECK_LE, {"mean_score", "max_score", NULL}, "mean_score <= max_score", NULL, {0, 0}, NULL},
};

static const struct form_col vpr_students_cols[] = {
    C_YEAR(GKEY), C_SCHOOL(GSCHOOL), C_GRADE(GKEY), C_SUBJECT(GKEY),
    {"student", "код участника|код обучающегося|код ученика", COL_TEXT, KEY | COL_PSEUDONYM, 0, 0,
     NULL, NULL, "pseudonymous student code, unique within a work"},
    {"class", "класс-буква|литера|буква класса", COL_TEXT, 0, 0, 0, NULL, NULL, "class letter"},
    {"primary_score", "первичный балл", COL_INT, REQ, 0, 200, NULL, NULL, "primary score"},
    {"mark", "отметка", COL_INT, 0, 2, 5, NULL, NULL,
     "ВПР mark 2..5; when empty or absent, from the year's conversion scale (form vpr_scales)"},
    {"journal_mark", "отметка по журналу", COL_INT, 0, 2, 5, NULL, NULL,
     "the student's journal mark 2..5"},
};

/* The year's conversion scale of a ВПР work (шкала перевода первичных баллов в
 * отметки): the lowest primary score of «3», «4» and «5». */
static const struct form_col vpr_scales_cols[] = {
    C_YEAR(KEY), C_GRADE(KEY), C_SUBJECT(KEY),
    {"max_score", "максимальный балл|максимальный первичный балл|макс. балл", COL_INT, REQ, 1,
     200, NULL, NULL, "the work's maximum primary score"},
    {"min3", "минимальный балл на 3|балл на 3|«3» от|3 от|отметка 3 от", COL_INT, REQ, 0, 200,
     NULL, NULL, "the lowest primary score of the mark 3"},
    {"min4", "минимальный балл на 4|балл на 4|«4» от|4 от|отметка 4 от", COL_INT, REQ, 0, 200,
     NULL, NULL, "the lowest primary score of the mark 4"},
    {"min5", "минимальный балл на 5|балл на 5|«5» от|5 от|отметка 5 от", COL_INT, REQ, 0, 200,
     NULL, NULL, "the lowest primary score of the mark 5"},
};
static const struct form_check vpr_scales_checks[] = {
    {CHECK_LE, {"min3", "min4", "min5", "max_score", NULL}, "min3 <= min4 <= min5 <= max_score",
     NULL, {0, 0}, NULL},
};

/* Per-work score histograms written from vpr_students (see load.c, store.c). */
static const struct form_col vpr_dist_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL), C_GRADE(KEY), C_SUBJECT(KEY),
    C_COUNT("n", NULL, REQ, "students in the work"),
    {"scores", NULL, COL_TEXT, REQ, 0, 0, NULL, NULL,
     "JSON array: number of students with primary score 0, 1, 2, ..."},
    {"mark_min", NULL, COL_TEXT, REQ, 0, 0, NULL, NULL,
     "JSON object: lowest primary score seen with each mark, e.g. {\"3\":7}"},
    {"journal", NULL, COL_TEXT, 0, 0, 0, NULL, NULL,
     "JSON 4x4 array: students by ВПР mark (rows 2..5) and journal mark (columns 2..5)"},
};

static const struct form_col oge_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL), C_SUBJECT(KEY), C_PARTICIPANTS, VPR_MARKS,
    {"mean_score", "средний балл|средний первичный балл", COL_REAL, 0, 0, 1000, NULL, NULL,
     "mean score"},
};
static const struct form_check oge_checks[] = {
    {CHECK_SUM_EQ, {"m2", "m3", "m4", "m5", "participants", NULL}, "m2+m3+m4+m5 = participants",
     MARKS_FOUND, {0, 0}, NULL},
};

static const struct form_col ege_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL), C_SUBJECT(KEY), C_PARTICIPANTS,
    {"mean_score", "средний балл|средний тестовый балл", COL_REAL, REQ, 0, 100, NULL, NULL,
     "mean test score 0..100"},
    C_COUNT("below_min", "не преодолели минимальный порог|ниже минимального порога|ниже минимума",
            REQ, "below the subject minimum"),
    C_COUNT("high_scorers", "81-100 баллов|81–100 баллов|высокобалльники|от 81 балла", REQ,
            "scored 81..100"),
    C_COUNT("score_100", "стобалльники|100 баллов", 0, "scored 100"),
    {"sd", "стандартное отклонение|ско|стандартное отклонение тестового балла", COL_REAL, 0, 0,
     50, NULL, NULL, "standard deviation of the participants' test scores (optional; gives "
     "ЕГЭ means an interval and a test)"},
};
static const struct form_check ege_checks[] = {
    {CHECK_LE, {"below_min", "participants", NULL}, "below_min <= participants", NULL, {0, 0}, NULL},
    {CHECK_LE, {"score_100", "high_scorers", "participants", NULL},
     "score_100 <= high_scorers <= participants", NULL, {0, 0}, NULL},
    /* a subject's minimum is below 81, so nobody is both below it and a high scorer */
    {CHECK_SUM_LE, {"below_min", "high_scorers", "participants", NULL},
     "below_min+high_scorers <= participants",
     /* xgettext:c-format */
     N_("those below the minimum and those with 81 points or more add up to %lld, more than "
        "the %lld participants"), {0, 0}, NULL},
    {CHECK_MEAN_SCORES, {"mean_score", "participants", "high_scorers", "score_100", NULL},
     "(100*score_100 + 81*(high_scorers-score_100)) / participants <= mean_score <= "
     "(100*score_100 + 99*(high_scorers-score_100) + 80*(participants-high_scorers)) / "
     "participants, within the rounding of mean_score; without score_100, the bounds for "
     "any number of 100s", NULL, {81, 100}, NULL},
};

static const struct form_col ege_students_cols[] = {
    C_YEAR(GKEY), C_SCHOOL(GSCHOOL), C_SUBJECT(GKEY),
    {"student", "код участника|код обучающегося", COL_TEXT, KEY, 0, 0, NULL, NULL,
     "pseudonymous participant code, unique within a subject"},
    {"test_score", "тестовый балл|балл", COL_INT, REQ, 0, 100, NULL, NULL, "test score 0..100"},
    {"min_score", "минимальный балл|минимальный порог|порог", COL_INT, REQ, 0, 100, NULL, NULL,
     "the subject's minimum test score that year"},
};

static const struct form_col rdr_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL), C_GRADE(KEY), C_SUBJECT(KEY), C_PARTICIPANTS,
    C_COUNT("below_basic", "ниже базового", REQ, "below the basic level"),
    C_COUNT("basic", "базовый", REQ, "basic level"),
    C_COUNT("advanced", "повышенный и высокий|повышенный", REQ, "advanced and high levels"),
    {"mean_percent", "средний % выполнения|средний процент выполнения", COL_REAL, 0, 0, 100,
     NULL, NULL, "mean percentage of the work done"},
};
static const struct form_check rdr_checks[] = {
    {CHECK_SUM_EQ, {"below_basic", "basic", "advanced", "participants", NULL},
     "below_basic+basic+advanced = participants",
     /* xgettext:c-format */
     N_("the levels add up to %lld, but the participants are %lld"), {0, 0}, NULL},
};

static const struct form_col olympiad_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL), C_SUBJECT(KEY),
    {"stage", "этап", COL_ENUM, KEY, 0, 0, stages, NULL,
     "school | municipal | regional | final (or the Russian names)"},
    C_PARTICIPANTS,
    C_COUNT("winners", "победители|победителей", REQ, "winners"),
    C_COUNT("prizewinners", "призёры|призеры|призёров|призеров", REQ, "prize-winners"),
    {"olympiad", "название|олимпиада", COL_TEXT, COL_KEY, 0, 0, NULL, "ВсОШ",
     "olympiad name; default ВсОШ"},
};
static const struct form_check olympiad_checks[] = {
    {CHECK_SUM_LE, {"winners", "prizewinners", "participants", NULL},
     "winners+prizewinners <= participants",
     /* xgettext:c-format */
     N_("winners and prize-winners add up to %lld, more than the %lld participants"), {0, 0},
     NULL},
};

static const struct form_col admissions_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL),
    C_COUNT("graduates", "выпускников 11 кл.|выпускников 11 кл|выпускников", REQ,
            "graduates of grade 11"),
    C_COUNT("university", "поступили в вузы|в вузы", REQ, "admitted to universities"),
    C_COUNT("university_profile", "в вузы по профилю ОО|по профилю ОО|по профилю", REQ,
            "admitted to universities in the school's profile"),
    C_COUNT("college", "в СПО|поступили в СПО", 0, "admitted to colleges (СПО)"),
    C_COUNT("budget", "на бюджет|бюджет", 0, "admitted on state-funded places"),
};
static const struct form_check admissions_checks[] = {
    {CHECK_LE, {"university_profile", "university", "graduates", NULL},
     "university_profile <= university <= graduates", NULL, {0, 0}, NULL},
    {CHECK_LE, {"budget", "graduates", NULL}, "budget <= graduates", NULL, {0, 0}, NULL},
    {CHECK_LE, {"college", "graduates", NULL}, "college <= graduates", NULL, {0, 0}, NULL},
    {CHECK_SUM_LE, {"university", "college", "graduates", NULL},
     "university+college <= graduates",
     /* xgettext:c-format */
     N_("those admitted to universities and to colleges add up to %lld, more than the %lld "
        "graduates"), {0, 0}, NULL},
};

/* ------------------------------------------------------------- tasks of a work */

#define TASKCOL(fl) {"task", "номер задания|задание|№ задания|номер", COL_TEXT, (fl) | COL_TASK, \
                     0, 0, NULL, NULL, \
                     "task number as ФИС ОКО writes it: 9, 9(1), 9.1, 2К1 (read into one form)"}
static const struct enum_val task_levels[] = {
    {"basic", "Б|базовый|базовый уровень"}, {"advanced", "П|повышенный|повышенный уровень"},
    {"high", "В|высокий|высокий уровень"}, {NULL, NULL}};

static const struct form_col vpr_plan_cols[] = {
    C_YEAR(GKEY), C_GRADE(GKEY), C_SUBJECT(GKEY), TASKCOL(KEY),
    {"max_score", "максимальный балл|максимальный балл за задание|балл за задание", COL_INT, REQ,
     1, 100, NULL, NULL, "the task's maximum score"},
    {"level", "уровень|уровень сложности", COL_ENUM, REQ, 0, 0, task_levels, NULL,
     "basic | advanced | high (Б, П, В)"},
    {"skill", "проверяемые умения|проверяемое умение|умение|проверяемые требования|"
              "блоки ПООП обучающийся научится", COL_TEXT, REQ, 0, 0, NULL, NULL,
     "the checked skill, as the work's generalised plan words it"},
    {"code", "код|код КЭС|код элемента содержания|код требования|КЭС", COL_TEXT, 0, 0, 0, NULL,
     NULL, "code of the element of content or requirement (optional)"},
    {"work_max", "максимальный балл за работу|максимальный первичный балл за работу", COL_INT, 0,
     1, 1000, NULL, NULL, "the work's maximum primary score (optional; the same on every row)"},
};

static const struct form_col vpr_tasks_cols[] = {
    C_YEAR(GKEY), C_SCHOOL(GSCHOOL), C_GRADE(GKEY), C_SUBJECT(GKEY), TASKCOL(KEY),
    C_PARTICIPANTS,
    {"completion", "процент выполнения|выполнение|% выполнения|процент выполнения задания|"
                   "средний процент выполнения", COL_REAL, 0, 0, 100, NULL, NULL,
     "completion, % of the maximum (points or completion must be given)"},
    {"points", "сумма баллов|набранные баллы|баллов набрано|сумма первичных баллов", COL_REAL, 0,
     0, BIG, NULL, NULL, "points the participants scored on the task, in all"},
    {"max_score", "максимальный балл|максимальный балл за задание", COL_INT, 0, 1, 100, NULL, NULL,
     "the task's maximum score (optional: the store takes it from the plan, and refuses a "
     "different one)"},
};

/* A work's comparison with the journal marks, from a report of its own (ФИС ОКО
 * «Сравнение отметок с отметками по журналу"): applied to the work's stored vpr row. */
static const struct form_col vpr_journal_cols[] = {
    C_YEAR(KEY), C_SCHOOL(SCHOOL), C_GRADE(KEY), C_SUBJECT(KEY),
    C_COUNT("participants", "участников|количество участников|кол-во участников|всего", 0,
            "participants (optional; must be the stored work's)"),
    C_COUNT("lowered", "понизили", REQ, "ВПР mark below the journal mark"),
    C_COUNT("confirmed", "подтвердили", REQ, "ВПР mark equal to the journal mark"),
    C_COUNT("raised", "повысили", REQ, "ВПР mark above the journal mark"),
};
static const struct form_check vpr_journal_checks[] = {
    {CHECK_SUM_EQ, {"lowered", "confirmed", "raised", "participants", NULL},
     "lowered+confirmed+raised = participants, when given",
     /* xgettext:c-format */
     N_("the comparison with journal marks adds up to %lld, but the participants are %lld"),
     {0, 0}, NULL},
};

static const struct enum_val ref_levels[] = {
    {"russia", "Россия|РФ|Российская Федерация|вся выборка"},
    {"region", "регион|субъект|субъект РФ"},
    {"district", "район|муниципалитет|муниципальный район|АТЕ|муниципальное образование"},
    {NULL, NULL}};
#define REFLEVEL {"level", "уровень|выборка|территория", COL_ENUM, KEY, 0, 0, ref_levels, NULL, \
                  "russia | region | district (Вся выборка, регион, район)"}
#define REFNAME {"name", "наименование|название|наименование территории", COL_TEXT, 0, 0, 0, \
                 NULL, NULL, "the region's or municipality's name (optional)"}
#define PCT(n, al, doc) {n, al, COL_REAL, REQ, 0, 100, NULL, NULL, doc}

static const struct form_col vpr_reference_cols[] = {
    C_YEAR(KEY), REFLEVEL, C_GRADE(KEY), C_SUBJECT(KEY), REFNAME,
    C_COUNT("participants", "участников|количество участников", 0, "number of participants"),
    PCT("p2", "% 2|% «2»|доля 2|процент 2|2", "share of mark 2, %"),
    PCT("p3", "% 3|% «3»|доля 3|процент 3|3", "share of mark 3, %"),
    PCT("p4", "% 4|% «4»|доля 4|процент 4|4", "share of mark 4, %"),
    PCT("p5", "% 5|% «5»|доля 5|процент 5|5", "share of mark 5, %"),
};

static const struct form_col vpr_reference_tasks_cols[] = {
    C_YEAR(KEY), REFLEVEL, C_GRADE(KEY), C_SUBJECT(KEY), TASKCOL(KEY), REFNAME,
    PCT("completion", "процент выполнения|выполнение|% выполнения|процент выполнения задания",
        "completion, % of the maximum"),
    C_COUNT("participants", "участников|количество участников", 0, "number of participants"),
};

static const struct form forms_list[] = {
    {"schools", "Реестр ОО", N_("schools registry"), FORM_ROWS, schools_cols, N(schools_cols), NULL, 0,
     "school_id,name,district,kind,profile\n344,\"ГБОУ лицей № 344\",Невский,лицей,math-science\n329,ГБОУ СОШ № 329,Невский,СОШ,universal\n", NULL, NULL},
    {"clusters", "Состав кластеров", N_("cluster membership and roles"), FORM_ROWS, clusters_cols,
     N(clusters_cols), NULL, 0,
     "cluster_id,school_id,cluster_name,role\nnevsky_stem,344,Кластер точных и естественнонаучных дисциплин,activist\nnevsky_stem,329,Кластер точных и естественнонаучных дисциплин,member\n", NULL, NULL},
    {"context", "Контекстные данные", N_("context factors, one per row"), FORM_ROWS, context_cols,
     N(context_cols), context_checks, N(context_checks),
     "year,school_id,factor,value\n2024,344,students,1120\n2024,344,share_low_income,7.5\n2024,329,risk_staff_shortage,3\n", "factor", "value"},
    {"vpr", "ВПР, результаты по ОО", N_("ВПР results per school and work"), FORM_ROWS, vpr_cols,
     N(vpr_cols), vpr_checks, N(vpr_checks),
     "year,school_id,grade,subject,participants,m2,m3,m4,m5,mean_score,max_score,lowered,confirmed,raised\n2024,344,5,Математика,50,2,14,22,12,12.4,20,6,40,4\n2023/2024,329,5,Математика,31,4,12,10,5,10.1,20,,,\n", NULL, NULL},
    {"vpr_students", "ВПР, результаты обучающихся",
     N_("ВПР results per student (pseudonymous), aggregated per work"), FORM_STUDENTS,
     vpr_students_cols, N(vpr_students_cols), NULL, 0,
     "year,school_id,grade,subject,student,class,primary_score,mark,journal_mark\n2024,344,6,Математика,A-001,а,6,2,3\n2024,344,6,Математика,A-002,а,11,3,3\n2024,344,6,Математика,A-003,б,15,4,4\n2024,344,6,Математика,A-004,б,19,5,4\n", NULL, NULL},
    {"oge", "ГИА-9 (ОГЭ)", N_("ОГЭ results per school and subject"), FORM_ROWS, oge_cols,
     N(oge_cols), oge_checks, N(oge_checks),
     "year,school_id,subject,participants,m2,m3,m4,m5,mean_score\n2024,344,Математика,75,1,20,34,20,17.9\n", NULL, NULL},
    {"ege", "ГИА-11 (ЕГЭ)", N_("ЕГЭ results per school and subject"), FORM_ROWS, ege_cols,
     N(ege_cols), ege_checks, N(ege_checks),
     "year,school_id,subject,participants,mean_score,below_min,high_scorers,score_100,sd\n2024,344,Физика,28,71.5,0,9,1,12.4\n2024,329,Физика,12,58.0,1,1,,\n", NULL, NULL},
    {"ege_students", "ГИА-11 (ЕГЭ), результаты участников",
     N_("ЕГЭ results per participant (pseudonymous), aggregated per school and subject; no "
     "participant's row is stored"), FORM_STUDENTS, ege_students_cols, N(ege_students_cols),
     NULL, 0,
     "year,school_id,subject,student,test_score,min_score\n2024,344,Физика,F-001,71,36\n2024,344,Физика,F-002,88,36\n2024,344,Физика,F-003,34,36\n", NULL, NULL},
    {"rdr", "Региональные диагностические работы", N_("РДР results by level"), FORM_ROWS, rdr_cols,
     N(rdr_cols), rdr_checks, N(rdr_checks),
     "year,school_id,grade,subject,participants,below_basic,basic,advanced,mean_percent\n2024,344,8,Физика,52,5,30,17,61.2\n", NULL, NULL},
    {"olympiad", "Олимпиады", N_("olympiad participants, winners, prize-winners by stage"),
     FORM_ROWS, olympiad_cols, N(olympiad_cols), olympiad_checks, N(olympiad_checks),
     "year,school_id,subject,stage,participants,winners,prizewinners,olympiad\n2024,344,Физика,school,120,10,25,ВсОШ\n2024,344,Физика,муниципальный,30,2,6,\n", NULL, NULL},
    {"admissions", "Поступление выпускников", N_("graduates' admissions"), FORM_ROWS,
     admissions_cols, N(admissions_cols), admissions_checks, N(admissions_checks),
     "year,school_id,graduates,university,university_profile,college,budget\n2024,344,56,50,38,3,31\n", NULL, NULL},
    {"vpr_dist", "ВПР, распределение первичных баллов",
     "per-work primary-score histograms (from vpr_students, or a layout's scores = columns)",
     FORM_INTERNAL, vpr_dist_cols,
     N(vpr_dist_cols), NULL, 0, NULL, NULL, NULL},
    {"vpr_scales", "ВПР, шкалы перевода баллов в отметки",
     "the year's conversion scale of each ВПР work: the lowest primary score of 3, 4, 5 "
     "(marks for per-student files without them, and a check of those with them)",
     FORM_ROWS, vpr_scales_cols, N(vpr_scales_cols), vpr_scales_checks, N(vpr_scales_checks),
     "year,grade,subject,max_score,min3,min4,min5\n2024,5,Математика,20,7,12,17\n2024,5,Русский язык,45,18,29,39\n", NULL, NULL},
    {"vpr_plan", "ВПР, план работы (обобщённый план варианта)",
     "the tasks of a ВПР work: maximum score, level and checked skill", FORM_ROWS,
     vpr_plan_cols, N(vpr_plan_cols), NULL, 0,
     "year,grade,subject,task,max_score,level,skill,code,work_max\n"
     "2024,6,Математика,1,1,Б,Развитие представлений о числе и числовых системах,1.1,6\n"
     "2024,6,Математика,2,2,Б,Умение выполнять арифметические действия с дробями,1.3,6\n"
     "2024,6,Математика,9(1),1,П,Умение решать текстовые задачи,3.1,6\n"
     "2024,6,Математика,9(2),2,В,Умение решать текстовые задачи в несколько действий,3.2,6\n", NULL, NULL},
    {"vpr_tasks", "ВПР, выполнение заданий по ОО",
     "ВПР task completion per school and work", FORM_ROWS, vpr_tasks_cols, N(vpr_tasks_cols),
     NULL, 0,
     "year,school_id,grade,subject,task,participants,completion,points\n"
     "2024,344,6,Математика,1,4,75,\n2024,344,6,Математика,2,4,,5\n"
     "2024,344,6,Математика,9(1),4,50,\n2024,344,6,Математика,9.2,4,12.5,1\n", NULL, NULL},
    {"vpr_reference", "ВПР, распределение отметок: Россия, регион, район",
     "reference mark distributions (Russia, region, municipality) of a ВПР work, in %",
     FORM_ROWS, vpr_reference_cols, N(vpr_reference_cols), NULL, 0,
     "year,level,grade,subject,name,participants,p2,p3,p4,p5\n"
     "2024,Вся выборка,6,Математика,,1250000,12.1,40.3,33.0,14.6\n"
     "2024,регион,6,Математика,Санкт-Петербург,41000,8.5,38.0,36.2,17.3\n", NULL, NULL},
    {"vpr_reference_tasks", "ВПР, выполнение заданий: Россия, регион, район",
     "reference task completion (Russia, region, municipality) of a ВПР work", FORM_ROWS,
     vpr_reference_tasks_cols, N(vpr_reference_tasks_cols), NULL, 0,
     "year,level,grade,subject,task,name,completion,participants\n"
     "2024,russia,6,Математика,1,,68.5,\n2024,russia,6,Математика,9(1),,41.0,\n"
     "2024,region,6,Математика,1,Санкт-Петербург,71.2,41000\n", NULL, NULL},
    {"vpr_journal", "ВПР, сравнение отметок с отметками по журналу",
     "a ВПР work's comparison of the marks with the journal marks, applied to its stored "
     "results", FORM_ROWS, vpr_journal_cols, N(vpr_journal_cols), vpr_journal_checks,
     N(vpr_journal_checks),
     "year,school_id,grade,subject,participants,lowered,confirmed,raised\n"
     "2024,344,5,Математика,50,6,40,4\n", NULL, NULL},
};

const struct form *const soko_forms[] = {
    &forms_list[0], &forms_list[1], &forms_list[2], &forms_list[3], &forms_list[4],
    &forms_list[5], &forms_list[6], &forms_list[7], &forms_list[8], &forms_list[9],
    &forms_list[10], &forms_list[11], &forms_list[12], &forms_list[13], &forms_list[14],
    &forms_list[15], &forms_list[16], &forms_list[17], NULL};

const char *const *form_into(const struct form *f)
{
    static const struct {
        const char *form;
        const char *into[4];
    } agg[] = {
        {"vpr_students", {"vpr", "vpr_dist", "vpr_tasks", NULL}},
        {"ege_students", {"ege", NULL, NULL, NULL}},
    };
    for (size_t i = 0; f && i < N(agg); i++)
        if (strcmp(agg[i].form, f->name) == 0) return agg[i].into;
    return NULL;
}

const struct form *form_also(const struct form *f)
{
    static const char *const ref[][2] = {{"vpr", "vpr_reference"},
                                         {"vpr_tasks", "vpr_reference_tasks"},
                                         {"vpr_journal", "vpr"}};
    for (size_t i = 0; f && i < N(ref); i++)
        if (strcmp(ref[i][0], f->name) == 0) return form_find(ref[i][1]);
    return NULL;
}

int form_layout_only(const struct form *f)
{
    return f && f->kind == FORM_INTERNAL && strcmp(f->name, "vpr_dist") == 0;
}

/* soko_forms followed by the defined forms, or NULL while none is defined */
static const struct form **all_forms;

const struct form *const *forms_all(void)
{
    return all_forms ? (const struct form *const *)all_forms : soko_forms;
}

void forms_define(const struct form *f)
{
    size_t n = 0;
    const struct form *const *cur = forms_all();
    while (cur[n]) n++;
    const struct form **v = xcalloc(n + 2, sizeof *v);
    memcpy(v, cur, n * sizeof *v);
    v[n] = f;
    free(all_forms);
    all_forms = v;
}

void forms_undefine_all(void)
{
    free(all_forms);
    all_forms = NULL;
}

const char *form_notes(const struct form *f)
{
    static const struct {
        const char *form, *notes;
    } notes[] = {
        {"vpr_plan",
         "A file replaces the plans of the works it contains. Task labels are read into one "
         "form: «9(1)», «9 (1)», «9_1» and «9.1» are task 9.1, «2к1» and «2K1» are 2K1; two rows "
         "of a work with one task are refused. The tasks' maximum scores must add up to the "
         "work's maximum where the plan gives it (`work_max`, the same on every row of a "
         "work), and no `vpr` row of the work already stored may give a `max_score` above "
         "their sum (a `max_score` below it is taken as the best score achieved, as exports "
         "often carry); a plan that fails either is refused with the line of its last row. "
         "Import the plan before the task results and the reference figures of the work."},
        {"vpr_tasks",
         "A file replaces the task rows of the schools' works it contains. Every task must be a "
         "task of the work's plan (`vpr_plan`, imported first): a task the plan lacks is refused "
         "by its number. Give `completion` (% of the maximum), `points` (scored by all the "
         "participants together), or both; the store keeps both, the one missing computed from "
         "the other with the plan's maximum score: points = completion / 100 × max_score × "
         "participants. Points above max_score × participants are refused, and so are both "
         "columns given when they disagree by more than half a percentage point. The store "
         "also keeps the task's `max_score` from the plan (a file may give it; a different one "
         "is refused), so that the indicator `vpr_task` (docs/indicators.md) is Σ points / "
         "Σ (max_score × participants)."},
        {"vpr_reference",
         "These are the rows «Вся выборка», the region and the municipality of the ФИС ОКО "
         "reports: figures to compare with, not schools. The shares must add up to 100 within "
         "the rounding (±1). The shipped layout fisoko_marks_report reads them from the report "
         "with its schools (its [reference] section, docs/layouts.md), in the same import."},
        {"vpr_journal",
         "Each row gives the comparison of a work whose ВПР results are stored (form vpr, "
         "imported before it, or before it in the same command): the work's vpr row keeps its "
         "marks and takes `lowered`, `confirmed` and `raised` (the import's own; undone with it, "
         "which gives the row back as it was). A work without stored results is refused by its "
         "line, as is a `participants` other than the stored one. A work whose results come "
         "from a per-student file has its comparison from the pupils' journal marks: a report "
         "that agrees changes nothing, one that differs is refused."},
        {"vpr_reference_tasks",
         "Every task must be a task of the work's plan (`vpr_plan`). The district's own "
         "completion is pooled from its schools' rows; a `district` row here is used only for a "
         "work the district has no school rows of."},
    };
    for (size_t i = 0; f && i < N(notes); i++)
        if (strcmp(notes[i].form, f->name) == 0) return notes[i].notes;
    return NULL;
}

const struct form *form_find(const char *name)
{
    const struct form *const *all = forms_all();
    for (size_t i = 0; all[i]; i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    return NULL;
}

const struct form *form_of_factor(const char *factor, const char **code)
{
    const char *colon = strchr(factor, ':');
    if (!colon || colon == factor || !colon[1]) return NULL;
    const struct form *const *all = forms_all();
    for (size_t i = 0; all[i]; i++)
        if (all[i]->factor_col && strlen(all[i]->name) == (size_t)(colon - factor) &&
            strncmp(all[i]->name, factor, (size_t)(colon - factor)) == 0) {
            *code = colon + 1;
            return all[i];
        }
    return NULL;
}

/* The enum value of f's factor column named code, or NULL. */
static const struct enum_val *factor_value(const struct form *f, const char *code)
{
    int c = form_col_index(f, f->factor_col);
    if (c < 0 || !f->cols[c].values) return NULL;
    for (const struct enum_val *v = f->cols[c].values; v->value; v++)
        if (strcmp(v->value, code) == 0) return v;
    return NULL;
}

int form_factor_known(const struct form *f, const char *code)
{
    int c = form_col_index(f, f->factor_col);
    if (c < 0) return 0;
    if (f->cols[c].values) return factor_value(f, code) != NULL;
    return deffile_is_ident(code);
}

char *form_factor_label(const char *factor)
{
    const char *code = NULL;
    const struct form *f = form_of_factor(factor, &code);
    const struct enum_val *v = f ? factor_value(f, code) : NULL;
    if (!v || !v->aliases || !*v->aliases) return NULL;
    const char *bar = strchr(v->aliases, '|');
    return str_trim(xstrndup(v->aliases, bar ? (size_t)(bar - v->aliases) : strlen(v->aliases)));
}

int form_col_index(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->ncols; i++)
        if (strcmp(f->cols[i].name, name) == 0) return (int)i;
    return -1;
}

/* Header normalisation: drop quotes of every kind («» " ' “ ”), turn en/em dashes into
 * '-', collapse runs of spaces; case is folded by utf8_casecmp. */
static void normalize(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    int space = 0;
    const unsigned char *p = (const unsigned char *)in;
    while (*p && o + 4 < outsz) {
        if (*p == '"' || *p == '\'') { p++; continue; }
        if (p[0] == 0xC2 && (p[1] == 0xAB || p[1] == 0xBB)) { p += 2; continue; }   /* « » */
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x9C || p[2] == 0x9D)) { p += 3; continue; }
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x93 || p[2] == 0x94)) {        /* – — */
            out[o++] = '-';
            p += 3;
            space = 0;
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
            (p[0] == 0xC2 && p[1] == 0xA0)) {
            space = 1;
            p += (*p == 0xC2) ? 2 : 1;
            continue;
        }
        if (space && o > 0) out[o++] = ' ';
        space = 0;
        out[o++] = (char)*p++;
    }
    out[o] = '\0';
}

static int alias_match(const char *list, const char *want)
{
    char one[256], norm[256];
    while (list && *list) {
        const char *bar = strchr(list, '|');
        size_t n = bar ? (size_t)(bar - list) : strlen(list);
        if (n < sizeof one) {
            memcpy(one, list, n);
            one[n] = '\0';
            normalize(one, norm, sizeof norm);
            if (utf8_casecmp(norm, want) == 0) return 1;
        }
        list = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* ------------------------------------------------------------- header keys */

/* Latin letters (lower case) that look like Cyrillic ones, or are the lower case of
 * such capitals (B, H, K, M, T), read as Cyrillic in a header key. */
static uint32_t latin_as_cyrillic(uint32_t cp)
{
    switch (cp) {
    case 'a': return 0x430; case 'b': return 0x432; case 'c': return 0x441;
    case 'e': return 0x435; case 'h': return 0x43D; case 'k': return 0x43A;
    case 'm': return 0x43C; case 'o': return 0x43E; case 'p': return 0x440;
    case 't': return 0x442; case 'x': return 0x445; case 'y': return 0x443;
    default: return cp;
    }
}

static int key_char(uint32_t cp)
{
    return text_script(cp) || (cp >= '0' && cp <= '9');
}

void form_header_key(const char *header, struct sbuf *out)
{
    sbuf_reset(out);
    sbuf_add(out, "", 0);
    char *t = xstrdup(header);
    text_normalize(t, TEXT_ONE_LINE);
    /* the words: runs of letters and digits, folded; '%' is a word of its own */
    struct sbuf w = SBUF_INIT;
    char *words[64];
    size_t nw = 0;
    const char *p = t;
    while (*p && nw < 64) {
        uint32_t cp;
        size_t n = text_next(p, &cp);
        if (cp == '%') {
            words[nw++] = xstrdup("процент");
            p += n;
            continue;
        }
        if (!key_char(cp)) {
            p += n;
            continue;
        }
        sbuf_reset(&w);
        while (*p) {
            n = text_next(p, &cp);
            if (!key_char(cp)) break;
            cp = text_lower(cp);
            if (cp == 0x451) cp = 0x435;                       /* ё → е */
            text_put(&w, latin_as_cyrillic(cp));
            p += n;
        }
        words[nw++] = xstrdup(w.s);
    }
    sbuf_free(&w);
    free(t);
    for (size_t i = 0; i < nw; i++) {
        const char *x = words[i];
        if (strcmp(x, "кол") == 0 && i + 1 < nw &&
            (strcmp(words[i + 1], "во") == 0 || strcmp(words[i + 1], "ва") == 0)) {
            i++;                                               /* кол-во, кол-ва */
            x = "количество";
        } else if (strcmp(x, "кол") == 0 || strcmp(x, "колво") == 0 ||
                   strcmp(x, "колва") == 0 || strcmp(x, "число") == 0)
            x = "количество";
        else if (strcmp(x, "ср") == 0)
            x = "средний";                                     /* «Ср. балл» */
        else if (strcmp(x, "макс") == 0)
            x = "максимальный";                                /* «Макс. балл» */
        else if (strcmp(x, "мин") == 0)
            x = "минимальный";
        else if (i + 1 == nw && i > 0 && (strcmp(x, "чел") == 0 || strcmp(x, "человек") == 0))
            x = "";                                            /* a unit at the end */
        sbuf_adds(out, x);
    }
    for (size_t i = 0; i < nw; i++) free(words[i]);
}

/* Calls fn for the name and every alias of column c; stops when fn returns non-zero. */
static int each_header(const struct form_col *c, int (*fn)(void *, const char *), void *ctx)
{
    int r = fn(ctx, c->name);
    for (const char *list = c->aliases; !r && list && *list;) {
        char one[256];
        size_t n = strcspn(list, "|");
        if (n < sizeof one) {
            memcpy(one, list, n);
            one[n] = '\0';
            r = fn(ctx, one);
        }
        list += n + (list[n] == '|');
    }
    return r;
}

struct match_ctx {
    const char *want;         /* the header's key */
    struct sbuf key;          /* scratch */
};

static int same_key(void *vc, const char *text)
{
    struct match_ctx *m = vc;
    form_header_key(text, &m->key);
    return strcmp(m->key.s, m->want) == 0;
}

int form_col_match(const struct form *f, const char *header)
{
    struct sbuf want = SBUF_INIT;
    form_header_key(header, &want);
    struct match_ctx m = {want.s, SBUF_INIT};
    int found = -1;
    for (size_t i = 0; i < f->ncols && found < 0 && *want.s; i++)
        if (each_header(&f->cols[i], same_key, &m)) found = (int)i;
    sbuf_free(&m.key);
    sbuf_free(&want);
    return found;
}

/* ------------------------------------------------------------- suggestions */

struct guess_ctx {
    const char *want;         /* the header's key */
    size_t want_len;          /* in code points */
    struct sbuf key;
    size_t best;              /* the column's nearest distance so far */
    char text[96];            /* and its spelling */
};

static size_t cps(const char *s) { return utf8_width(s); }

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int nearer(void *vc, const char *text)
{
    struct guess_ctx *g = vc;
    form_header_key(text, &g->key);
    size_t len = cps(g->key.s);
    if (!len) return 0;
    size_t d = text_distance(g->want, g->key.s);
    size_t allowed = len <= 3 ? 0 : len <= 6 ? 1 : len <= 12 ? 2 : 3;
    size_t shorter = len < g->want_len ? len : g->want_len;
    if (d > allowed && shorter >= 4 &&
        (starts_with(g->key.s, g->want) || starts_with(g->want, g->key.s)))
        d = allowed + 1;          /* a beginning: after the near misses */
    else if (d > allowed)
        return 0;
    if (d < g->best) {
        g->best = d;
        snprintf(g->text, sizeof g->text, "%s", text);
    }
    return 0;
}

size_t form_col_suggest(const struct form *f, const char *header, const unsigned char *skip,
                        struct form_guess *out, size_t max)
{
    struct sbuf want = SBUF_INIT;
    form_header_key(header, &want);
    size_t n = 0;
    if (*want.s) {
        size_t dist[64];
        char text[64][96];
        struct guess_ctx g = {want.s, cps(want.s), SBUF_INIT, SIZE_MAX, ""};
        size_t best = SIZE_MAX;
        for (size_t j = 0; j < f->ncols && j < 64; j++) {
            g.best = SIZE_MAX;
            if (!skip || !skip[j]) each_header(&f->cols[j], nearer, &g);
            dist[j] = g.best;
            memcpy(text[j], g.text, sizeof text[j]);
            if (g.best < best) best = g.best;
        }
        sbuf_free(&g.key);
        /* nearest first, then the next distance, in column order within each */
        for (size_t d = best; best != SIZE_MAX && d <= best + 1 && n < max; d++)
            for (size_t j = 0; j < f->ncols && j < 64 && n < max; j++)
                if (dist[j] == d) {
                    out[n].col = (int)j;
                    memcpy(out[n].text, text[j], sizeof out[n].text);
                    n++;
                }
    }
    sbuf_free(&want);
    return n;
}

/* ------------------------------------------------------------- check kinds */

static const struct {
    enum check_kind kind;
    const char *name, *doc;
} check_kinds[] = {
    {CHECK_SUM_EQ, "sum", "the counts before '=' add up to the total after it; when the "
                          "counts are optional, all of them are given or none"},
    {CHECK_SUM_LE, "sum at most", "the counts given before '<=' add up to at most the total "
                                  "after it (a count left empty counts as 0)"},
    {CHECK_LE, "order", "each value is at most the next one, wherever both are given"},
    {CHECK_MEAN_SCORES, "mean of scores",
     "a mean of whole-number scores lies between the lowest and the highest mean the counts "
     "allow, give or take half a unit of its last decimal (a mean given as 71.5 may be "
     "71.45..71.55)"},
    {CHECK_KEYED_RANGE, "range by name", "the value lies in the range of the name in its row"},
};

const char *form_check_kind_doc(enum check_kind k)
{
    for (size_t i = 0; i < N(check_kinds); i++)
        if (check_kinds[i].kind == k) return check_kinds[i].doc;
    return "";
}

const char *form_check_kind_name(enum check_kind k)
{
    for (size_t i = 0; i < N(check_kinds); i++)
        if (check_kinds[i].kind == k) return check_kinds[i].name;
    return "";
}

const char *form_enum_value(const struct form_col *c, const char *text)
{
    char want[256];
    normalize(text, want, sizeof want);
    for (const struct enum_val *v = c->values; v && v->value; v++)
        if (alias_match(v->value, want) || alias_match(v->aliases, want)) return v->value;
    return NULL;
}

const char *form_col_ru(const struct form_col *c, char *buf, size_t bufsz)
{
    if (!c->aliases) return c->name;
    size_t n = strcspn(c->aliases, "|");
    if (n >= bufsz) n = bufsz - 1;
    memcpy(buf, c->aliases, n);
    buf[n] = '\0';
    return buf;
}

/* ------------------------------------------------------------- task labels */

int form_task_label(char *text, char *why, size_t whysz)
{
    struct sbuf out = SBUF_INIT;
    sbuf_add(&out, "", 0);
    int open = 0, bad = 0;
    for (const char *p = text; *p && !bad;) {
        uint32_t cp;
        p += text_next(p, &cp);
        if (cp == ' ') continue;
        if (cp == '(' || cp == '_' || cp == ',' || cp == '.') {
            if (cp == '(') {
                if (open) bad = 1;
                open = 1;
            }
            if (!out.len || out.s[out.len - 1] == '.') bad = 1;
            else sbuf_add(&out, ".", 1);
            continue;
        }
        if (cp == ')') {
            if (!open) bad = 1;
            open = 0;
            continue;
        }
        if (cp >= '0' && cp <= '9') {
            char c = (char)cp;
            sbuf_add(&out, &c, 1);
            continue;
        }
        if (!text_script(cp) || !out.len) {
            bad = 1;
            continue;
        }
        /* upper case; a Cyrillic letter that looks like a Latin one as that Latin letter,
           so that the label never grows and has one spelling on either keyboard */
        if (cp >= 0x430 && cp <= 0x44F) cp -= 32;               /* а-я → А-Я */
        else if (cp == 0x451) cp = 0x401;                       /* ё → Ё */
        else if (cp >= 'a' && cp <= 'z') cp -= 32;
        uint32_t twin = cp >= 0x400 ? text_twin(cp) : 0;
        if (twin && twin < 0x80) cp = twin;
        text_put(&out, cp);
    }
    if (open || !out.len || out.s[out.len - 1] == '.' || out.len > 16 || out.s[0] < '0' ||
        out.s[0] > '9')
        bad = 1;
    if (!bad) memcpy(text, out.s, out.len + 1);     /* never longer: '(' ')' become one '.', letters keep or lose bytes */
    else
        snprintf(why, whysz, "%s", _("a task number of the work, like 9, 9.1, 9(1) or 2К1"));
    sbuf_free(&out);
    return bad ? -1 : 0;
}
