/*
 * test_cluster.c — engine/cluster.c against R.
 *
 * Expected numbers are printed by tests/unit/cluster_reference.R (its output is kept
 * beside it as cluster_reference.out) or computed by hand (the arithmetic is in the
 * comment); each block of constants is headed by the line of that output it came
 * from. The data sets A and B are the same literals as in the R script. Build and
 * run: make build/tests/test_cluster && build/tests/test_cluster
 *
 * Tolerance: REL = 1e-9 relative to the expected value, ABS = 1e-12 absolute for
 * expected zeros and for values R prints near rounding noise; R prints 15
 * significant digits. Labels, merges, iteration counts and sizes are compared
 * exactly. R's labels are 1-based: the constant arrays hold them minus 1.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "cluster.h"
#include "stats.h"

#define REL 1e-9
#define ABS 1e-12

static int close_enough(double got, double want, const char *what, size_t i,
                        const char *file, int line)
{
    double tol = fabs(want) < ABS ? ABS : REL * fabs(want);
    if (fabs(got - want) <= tol)
        return 1;
    print_error("%s:%d: %s[%zu] = %.15g, expected %.15g (tolerance %g)\n", file, line,
                what, i, got, want, tol);
    return 0;
}

#define ASSERT_CLOSE(got, want) \
    do { \
        if (!close_enough((got), (want), #got, 0, __FILE__, __LINE__)) \
            fail(); \
    } while (0)

/* got[0..n) against want[0..n). */
#define ASSERT_ALL_CLOSE(got, want, n) \
    do { \
        for (size_t i_ = 0; i_ < (n); i_++) \
            if (!close_enough((got)[i_], (want)[i_], #got, i_, __FILE__, __LINE__)) \
                fail(); \
    } while (0)

#define ASSERT_LABELS(got, want, n) \
    do { \
        for (size_t i_ = 0; i_ < (n); i_++) \
            if ((got)[i_] != (want)[i_]) { \
                print_error("%s:%d: %s[%zu] = %zu, expected %zu\n", __FILE__, __LINE__, \
                            #got, i_, (size_t)(got)[i_], (size_t)(want)[i_]); \
                fail(); \
            } \
    } while (0)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
    (void)state;
    stats_init();
    return 0;
}

/* R's partition r (0-based labels 0..k-1) is ours up to a renaming: fills map
 * (R label -> our label) and fails unless the renaming is a bijection. */
static void same_partition(const size_t *ours, const size_t *r, size_t n, size_t k,
                           size_t *map)
{
    for (size_t c = 0; c < k; c++)
        map[c] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        assert_true(r[i] < k && ours[i] < k);
        if (map[r[i]] == SIZE_MAX)
            map[r[i]] = ours[i];
        assert_int_equal(map[r[i]], ours[i]);
    }
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++)
            assert_true(map[a] != map[b]);
}

/* --- the data ------------------------------------------------------------------------ */

/* A: 24 schools × (share of low-income families %, non-native speakers %, pupils),
 * three well-separated planted groups. */
#define NA 24
#define PA 3
static const double A[NA * PA] = {
    20.8, 11.0, 539,   38.1, 28.9,  92,   20.2, 11.1, 528,    3.5,  0.7, 909,
    34.0, 22.8, 154,    9.4,  0.3, 970,   20.8,  7.7, 451,    4.3,  4.3, 906,
     7.3,  2.5, 895,    8.5,  1.2, 832,   19.6, 11.0, 488,   38.1, 23.8, 109,
    36.7, 27.0, 202,   22.2, 12.2, 462,   33.4, 23.7,  74,   36.2, 23.6, 166,
    32.5, 24.4,  49,   22.9, 14.9, 431,   20.8, 10.9, 483,    6.6,  4.0, 852,
     6.4,  5.9, 871,   36.7, 26.0, 106,    7.0,  1.4, 931,   20.0,  8.2, 428,
};
static const size_t A_PLANTED[NA] = {1, 2, 1, 0, 2, 0, 1, 0, 0, 0, 1, 2,
                                     2, 1, 2, 2, 2, 1, 1, 0, 0, 2, 0, 1};

/* B: 30 schools × (the same three, previous mean score), three overlapping groups. */
#define NB 30
#define PB 4
static const double B[NB * PB] = {
    21.2,  6.2, 547, 14.69,   15.9,  5.3, 626, 19.65,   23.7, 11.4, 420, 11.71,
    14.2,  4.6, 530, 17.47,   27.5, 11.2, 618, 15.22,   35.7,  7.0,  74, 14.79,
    19.5,  8.2, 508, 15.12,   21.3,  2.0, 601, 10.89,   21.8,  2.8, 663, 16.38,
    16.0,  5.6, 575, 13.73,    9.2,  5.6, 536, 15.29,   28.8,  3.9, 471, 13.02,
    21.8,  7.8, 521, 13.45,   21.5,  2.8, 604, 17.25,   34.6, 11.7, 488, 16.18,
    11.7,  0.0, 660, 17.32,   25.5,  8.4, 832, 14.04,   18.8,  3.8, 450, 15.93,
    26.5,  6.8, 513, 14.09,   23.6,  8.6, 877, 15.88,   18.8,  2.9, 386, 12.81,
    20.5,  6.9, 430, 12.07,    4.4,  9.0, 234, 13.53,   39.0, 18.3, 400, 12.82,
    28.1,  5.2, 448, 14.94,   37.1, 15.5, 390, 13.19,   23.7, 12.5, 442, 12.06,
    38.7, 21.3, 324, 11.46,   22.9, 10.6, 143, 13.34,   22.7, 14.0, 376, 11.97,
};
static const size_t B_PLANTED[NB] = {1, 0, 2, 0, 1, 2, 2, 0, 0, 0, 0, 2, 1, 0, 1,
                                     0, 1, 0, 2, 0, 2, 1, 1, 2, 1, 2, 1, 2, 1, 2};

/* DUP: 7 points in 2 dimensions, four distinct (0,0)×2, (1,0)×3, (5,5), (5,6). */
#define NDUP 7
static const double DUP[NDUP * 2] = {0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 5, 5, 5, 6};

/* --- what R printed -------------------------------------------------------------------- */

/* A center */
static const double A_CENTER[3] = {
    21.0833333333333, 12.8125, 497,
};

/* A scale */
static const double A_SCALE[3] = {
    12.252086483061, 9.69443195187656, 327.202769202696,
};

/* A z row-major */
static const double A_Z[72] = {
    -0.0231253128783454, -0.18696299164276, 0.128360771830698,
    1.38887908522299, 1.65945772582229, -1.23776458551031,
    -0.0720965636795477, -0.176647792103849, 0.0947424744464679,
    -1.43512971097968, -1.24942854415058, 1.25915804748209,
    1.0542422047481, 1.03023055394872, -1.04827963661737,
    -0.953579078101188, -1.29068934230622, 1.44558678752191,
    -0.0231253128783454, -0.527364576426819, -0.140585607243146,
    -1.36983470991141, -0.878081360749788, 1.24998942092275,
    -1.1249784559054, -1.06375495245018, 1.21637112353852,
    -1.02703595430299, -1.19785254645603, 1.02382996579248,
    -0.12106781448075, -0.18696299164276, -0.0275058796780068,
    1.38887908522299, 1.13338254933783, -1.1858090350074,
    1.27461283335351, 1.46346893458298, -0.901581611668001,
    0.0911409389911265, -0.0631805971758292, -0.106967309858915,
    1.0052709539469, 1.12306734979892, -1.29277634486632,
    1.23380345768585, 1.11275215026001, -1.01160513038003,
    0.931814077745099, 1.1952737465713, -1.36918156619412,
    0.148274064925862, 0.215329790374765, -0.201709784305383,
    -0.0231253128783454, -0.197278191181671, -0.0427869239435661,
    -1.18211158184013, -0.909026959366521, 1.08495414285471,
    -1.1984353321072, -0.713038168127214, 1.14302211106384,
    1.27461283335351, 1.36031693919387, -1.19497766156674,
    -1.149464081306, -1.1772221473782, 1.32639464225055,
    -0.0884203139466151, -0.475788578732264, -0.210878410864719,
};

/* A merge row-major */
static const int A_MERGE[46] = {
    -1, -3, -11, -19, -7, -24, -15, -17, -9, -23, -5, -16,
    -20, -21, 1, 2, -12, -22, -8, 7, -14, -18, -10, 5,
    -6, 12, -2, -13, 6, 9, -4, 13, 4, 15, 8, 11,
    3, 18, 10, 16, 14, 17, 19, 20, 21, 22,
};

/* A height */
static const double A_HEIGHT[23] = {
    0.0602891090129583, 0.0996626674111753, 0.108924739814585, 0.128247550628955,
    0.159936002344274, 0.200990240614035, 0.205060869124663, 0.210837661326585,
    0.254244090056416, 0.271377072713352, 0.299680440664545, 0.325388871382434,
    0.40313395397423, 0.405570431009459, 0.428334100010366, 0.477401470748715,
    0.568747361158098, 0.607734840888245, 0.749752798703234, 0.757259814204428,
    0.791041837166994, 5.4722818851962, 10.2143663473357,
};

/* A sum h^2/2, totss */
static const double A_SUMH2_TOTSS[2] = {
    69, 69,
};

/* A cutree k2 (R, minus 1) */
static const size_t A_CUT2[24] = {
    0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0,
};

/* A cutree k3 (R, minus 1) */
static const size_t A_CUT3[24] = {
    0, 1, 0, 2, 1, 2, 0, 2, 2, 2, 0, 1, 1, 0, 1, 1, 1, 0, 0, 2, 2, 1, 2, 0,
};

/* A cutree k4 (R, minus 1) */
static const size_t A_CUT4[24] = {
    0, 1, 0, 2, 3, 2, 0, 2, 2, 2, 0, 3, 1, 0, 3, 3, 3, 0, 0, 2, 2, 3, 2, 0,
};

/* A cutree k5 (R, minus 1) */
static const size_t A_CUT5[24] = {
    0, 1, 0, 2, 3, 2, 0, 4, 2, 2, 0, 3, 1, 0, 3, 3, 3, 0, 0, 4, 4, 3, 2, 0,
};

/* A sil */
static const double A_SIL[24] = {
    0.832982115173586, 0.785056664727396, 0.842105454728267, 0.80069028781049,
    0.783858139579583, 0.763768281956977, 0.777209264300916, 0.807560590472623,
    0.84845022582629, 0.771868224609152, 0.854358912321115, 0.825730012219334,
    0.794410538775039, 0.840907974012537, 0.809667841315323, 0.821403132565371,
    0.78616466867596, 0.688249353120978, 0.87002278898937, 0.809592187979396,
    0.746703337940254, 0.851741387432516, 0.840798628660329, 0.785953075270758,
};

/* A neighbor (R, minus 1) */
static const size_t A_NEIGHBOUR[24] = {
    2, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2,
};

/* A mean sil */
static const double A_MEAN_SIL = 0.805802212019315;

/* A mean sil k2..8 */
static const double A_MEAN_SIL_K[7] = {
    0.66912747452643, 0.805802212019315, 0.635241151105609, 0.47076083692646,
    0.366500856993647, 0.382313200937517, 0.379284582154913,
};

/* A d_own */
static const double A_D_OWN[24] = {
    0.192429271585684, 0.452275034010054, 0.170101995369557, 0.320344822478596,
    0.28923096798549, 0.395047788865919, 0.336601584046783, 0.264659687711145,
    0.0552758339960631, 0.283574223929691, 0.113716745638438, 0.234250871541497,
    0.335180811535361, 0.17781957469123, 0.270589779818606, 0.209338662539552,
    0.344490010302324, 0.466711456995795, 0.0227273819689601, 0.201596066772407,
    0.355475416271138, 0.134868893037188, 0.162204906303291, 0.321605574073715,
};

/* A d_next */
static const double A_D_NEXT[24] = {
    1.81363696387775, 2.60845843484036, 1.80856756605988, 2.20693781703699,
    1.90370458840413, 2.08564647423496, 1.86270260391933, 2.00585760947056,
    1.90225522888158, 1.79009959677366, 1.85375873669041, 2.23723119533201,
    2.26485117123801, 2.01627098744678, 2.07370498073967, 2.04423004629448,
    2.13210446560125, 1.75886505994441, 1.91673517531811, 1.78501937128509,
    1.76688150269878, 2.31839392492211, 2.04358138128083, 1.89115350788102,
};

/* A next (R, minus 1) */
static const size_t A_NEXT[24] = {
    2, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2,
};

/* A mean raw */
static const double A_PROF_RAW[9] = {
    20.9125, 10.875, 476.25,
    35.7125, 25.025, 119,
    6.625, 2.5375, 895.75,
};

/* A mean z */
static const double A_PROF_Z[9] = {
    -0.01394320335312, -0.199856991066398, -0.0634163337020713,
    1.19401431640987, 1.25974374368949, -1.15524694647629,
    -1.18007111305675, -1.05988675262309, 1.21866328017836,
};

/* B center */
static const double B_CENTER[4] = {
    23.1566666666667, 7.99666666666667, 489.566666666667, 14.343,
};

/* B scale */
static const double B_SCALE[4] = {
    8.30918408930053, 4.90941975174771, 170.674055829623, 2.07222544040509,
};

/* B z row-major */
static const double B_Z[120] = {
    -0.235482406652442, -0.365963139743157, 0.336508868053541, 0.167452823053927,
    -0.873330833530436, -0.54928419304678, 0.799379452665782, 2.56101478947318,
    0.06538949281831, 0.693225168233328, -0.407599540120569, -1.27061464870602,
    -1.07792372517055, -0.691867234505153, 0.236903805542046, 1.50900569939375,
    0.522714780013853, 0.652487156388079, 0.752506482072137, 0.423216500917275,
    1.50957461027792, -0.20301109236216, -2.4348555182957, 0.215710120763992,
    -0.440075298292553, 0.0414169787093369, 0.108003136409523, 0.374959203207209,
    -0.223447530673612, -1.2214613884934, 0.652901419560643, -1.66632448992856,
    -0.163273150779461, -1.0585093411124, 1.01616694166139, 0.983001154354034,
    -0.861295957551606, -0.488177175278906, 0.500564265131297, -0.295817234962701,
    -1.67966752411205, -0.488177175278906, 0.272058533487279, 0.45699660931432,
    0.679168167738644, -0.834450275963526, -0.108784352586084, -0.638444048704167,
    -0.163273150779461, -0.0400590449811619, 0.184171713624196, -0.430937668550885,
    -0.199377778715952, -1.0585093411124, 0.670478783533259, 1.4028396444316,
    1.37719097451079, 0.754332186001202, -0.00917929007458873, 0.886486558933903,
    -1.3787956246413, -1.62884150694589, 0.998589577688772, 1.43661975282865,
    0.282017260437251, 0.0821549905545866, 2.00635844545213, -0.146219612061499,
    -0.524319430144363, -0.854819281886151, -0.231825900394401, 0.765843314658739,
    0.402366020225552, -0.243749104207409, 0.137298743030551, -0.122090963206466,
    0.0533546168394802, 0.122893002399836, 2.27001890504138, 0.741714665803707,
    -0.524319430144363, -1.03814033518977, -0.606809665143558, -0.739784373895304,
    -0.319726538504252, -0.223380098284784, -0.349008326878513, -1.09688837694979,
    -2.25734157109589, 0.204369026090335, -1.49739610642281, -0.392331830382833,
    1.90672551757931, 2.09868657689443, -0.52478196660468, -0.734958644124297,
    0.594924035886834, -0.569653198969405, -0.243544143042812, 0.288096067329091,
    1.67806287398154, 1.52835441106094, -0.583373179846736, -0.556406642597055,
    0.06538949281831, 0.9172842333822, -0.278698870988046, -1.10171410672079,
    1.87062088964282, 2.70975675457318, -0.970075187244305, -1.39125789298119,
    -0.0308895150123307, 0.53027312085233, -2.03057614692552, -0.484020696031957,
    -0.0549592669699907, 1.22281932222157, -0.665400878385614, -1.14514567465985,
};

/* B merge row-major */
static const int B_MERGE[58] = {
    -3, -27, -9, -14, -1, -7, -30, 1, -24, -26, -19, -25,
    -13, 3, -21, -22, -17, -20, -12, 6, -10, 7, -4, -18,
    -5, -15, -11, 12, -28, 5, -16, 2, -8, 8, -2, 16,
    -6, -29, 10, 11, 14, 18, 17, 20, 9, 13, -23, 4,
    19, 24, 22, 23, 15, 25, 21, 26, 27, 28,
};

/* B height */
static const double B_HEIGHT[29] = {
    0.30878024590492, 0.54503963578722, 0.55053662858934, 0.626495769266704,
    0.642556714601913, 0.675712048338871, 0.848406092363183, 0.948513201784731,
    0.954929479042848, 0.992734496018271, 1.00125421588563, 1.05120357330509,
    1.23906672103013, 1.36077703456925, 1.43215237464672, 1.56746533864931,
    1.72301228492981, 1.83303077688831, 1.887803084208, 2.04405905156274,
    2.21139220517163, 2.55334711222709, 2.90555993982377, 3.34571543244573,
    3.66183030908625, 4.45923690642494, 5.08713353530257, 5.67734213209072,
    8.94435513445005,
};

/* B sum h^2/2, totss */
static const double B_SUMH2_TOTSS[2] = {
    116, 116,
};

/* B cutree k2 (R, minus 1) */
static const size_t B_CUT2[30] = {
    0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1,
};

/* B cutree k3 (R, minus 1) */
static const size_t B_CUT3[30] = {
    0, 1, 2, 1, 0, 2, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 2, 2, 0, 2, 2, 2, 2, 2,
};

/* B cutree k4 (R, minus 1) */
static const size_t B_CUT4[30] = {
    0, 1, 2, 1, 0, 2, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 2, 3, 0, 3, 2, 3, 2, 2,
};

/* B cutree k5 (R, minus 1) */
static const size_t B_CUT5[30] = {
    0, 1, 2, 1, 3, 2, 0, 0, 1, 0, 1, 0, 0, 1, 3, 1, 3, 1, 0, 3, 0, 0, 2, 4, 0, 4, 2, 4, 2, 2,
};

/* B sil */
static const double B_SIL[30] = {
    0.180650535854392, 0.444298758878976, 0.0438307701676052, 0.506565686620395,
    0.269894879370444, 0.0934527695994086, 0.0971374401553459, 0.28561831971913,
    0.303981979375637, 0.128997239623747, 0.225364891251727, 0.372128639591536,
    0.399831890455543, 0.434334838808633, 0.120327706607422, 0.475839970195486,
    0.21341466431871, 0.200548534028403, 0.394167440376012, -0.0140718633597504,
    0.219647614317341, 0.239577028521337, -0.0844442056663113, 0.289062582080363,
    0.237762425430992, 0.251430558512707, 0.0600710858128351, 0.322397722369888,
    0.190546790160503, 0.214237223821687,
};

/* B neighbor (R, minus 1) */
static const size_t B_NEIGHBOUR[30] = {
    1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 2, 0, 1, 0, 1, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0,
};

/* B mean sil */
static const double B_MEAN_SIL = 0.237220130566671;

/* B mean sil k2..8 */
static const double B_MEAN_SIL_K[7] = {
    0.325796994129951, 0.237220130566671, 0.271714447231149, 0.300328940635351,
    0.319654094344852, 0.326745965833341, 0.347254644252438,
};

/* B d_own */
static const double B_D_OWN[30] = {
    0.478017514472181, 1.33426556281855, 1.01243500591169, 0.483392281973084,
    1.20688356452988, 2.34441424374917, 0.851938243195132, 1.83942090478611,
    0.903372174509455, 0.989089008452884, 1.28799962709126, 1.09469109440201,
    0.469810895220733, 0.681970683679716, 1.98372495893357, 1.02151397895273,
    1.64861760424349, 0.991451592563058, 0.417753914300496, 2.10636345806395,
    1.53494281329622, 1.26554796295083, 2.97732105281616, 1.79235205364402,
    0.99509972544963, 1.33400931276182, 0.969650270056769, 2.20594021884228,
    1.28991829053971, 0.806553246946584,
};

/* B d_next */
static const double B_D_NEXT[30] = {
    1.40929130014341, 2.9282410198728, 1.66123292436653, 2.08916036748298,
    2.19377936984949, 3.19860936567815, 1.44925439446189, 3.0510809303583,
    1.55382694613683, 1.65181242677873, 1.88748052706104, 2.13763690378285,
    1.82900714587815, 1.80701178697404, 2.14811099077126, 2.63966816271544,
    2.54815459093343, 1.41611486978984, 1.88871339637778, 2.27454825326378,
    2.36599571047264, 1.73399173737585, 3.05474186456133, 3.16112649463083,
    1.95347916826575, 2.60883993125116, 1.64012958402919, 3.9118775626635,
    2.57489470947066, 2.06621451912957,
};

/* B next (R, minus 1) */
static const size_t B_NEXT[30] = {
    1, 0, 0, 0, 2, 0, 1, 1, 0, 1, 0, 2, 2, 0, 2, 0, 1, 0, 2, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0,
};

/* B mean raw */
static const double B_PROF_RAW[12] = {
    23.8357142857143, 6.81428571428571, 558.214285714286, 14.0092857142857,
    16.1571428571429, 3.55714285714286, 581.285714285714, 17.0414285714286,
    27.5444444444444, 13.2888888888889, 311.444444444444, 12.7633333333333,
};

/* B mean z */
static const double B_PROF_Z[12] = {
    0.0817225387895796, -0.240839246218463, 0.402214728617846, -0.161041496358161,
    -0.842384009584873, -0.90428686769824, 0.53739302774059, 1.30218870920775,
    0.528063613782222, 1.07797305788291, -1.04363971053711, -0.762304446160001,
};

/* A k3 rows 1,2,4 cluster (R, minus 1) */
static const size_t LA1_CLUSTER[24] = {
    0, 1, 0, 2, 1, 2, 0, 2, 2, 2, 0, 1, 1, 0, 1, 1, 1, 0, 0, 2, 2, 1, 2, 0,
};

/* A k3 rows 1,2,4 centers row-major */
static const double LA1_CENTERS[9] = {
    -0.01394320335312, -0.199856991066398, -0.0634163337020713,
    1.19401431640987, 1.25974374368949, -1.15524694647629,
    -1.18007111305675, -1.05988675262309, 1.21866328017836,
};

/* A k3 rows 1,2,4 withinss */
static const double LA1_WITHINSS[3] = {
    0.545581902414057, 0.709331396553376, 0.605512246717445,
};

/* A k3 rows 1,2,4 tot, totss, betw */
static const double LA1_TOT_TOTSS_BETW[3] = {
    1.86042554568488, 69, 67.1395744543151,
};

/* A k3 rows 1,2,4 iter */
static const int LA1_ITER = 2;

/* A k3 rows 1,3,7 cluster (R, minus 1) */
static const size_t LA2_CLUSTER[24] = {
    1, 0, 1, 2, 0, 2, 1, 2, 2, 2, 1, 0, 0, 1, 0, 0, 0, 1, 1, 2, 2, 0, 2, 1,
};

/* A k3 rows 1,3,7 centers row-major */
static const double LA2_CENTERS[9] = {
    1.19401431640987, 1.25974374368949, -1.15524694647629,
    -0.01394320335312, -0.199856991066398, -0.0634163337020713,
    -1.18007111305675, -1.05988675262309, 1.21866328017836,
};

/* A k3 rows 1,3,7 withinss */
static const double LA2_WITHINSS[3] = {
    0.709331396553376, 0.545581902414057, 0.605512246717445,
};

/* A k3 rows 1,3,7 tot, totss, betw */
static const double LA2_TOT_TOTSS_BETW[3] = {
    1.86042554568488, 69, 67.1395744543151,
};

/* A k3 rows 1,3,7 iter */
static const int LA2_ITER = 4;

/* B k3 rows 1,2,3 cluster (R, minus 1) */
static const size_t LB3_CLUSTER[30] = {
    0, 1, 2, 1, 0, 2, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 2, 2, 0, 2, 2, 2, 2, 2,
};

/* B k3 rows 1,2,3 centers row-major */
static const double LB3_CENTERS[12] = {
    0.0817225387895796, -0.240839246218463, 0.402214728617846, -0.161041496358161,
    -0.842384009584873, -0.90428686769824, 0.53739302774059, 1.30218870920775,
    0.528063613782222, 1.07797305788291, -1.04363971053711, -0.762304446160001,
};

/* B k3 rows 1,2,3 withinss */
static const double LB3_WITHINSS[3] = {
    24.4039792720373, 6.98050809845006, 28.498661401525,
};

/* B k3 rows 1,2,3 tot, totss, betw */
static const double LB3_TOT_TOTSS_BETW[3] = {
    59.8831487720123, 116, 56.1168512279877,
};

/* B k3 rows 1,2,3 iter */
static const int LB3_ITER = 4;

/* B k4 rows 5,10,15,20 cluster (R, minus 1) */
static const size_t LB4_CLUSTER[30] = {
    1, 3, 0, 3, 0, 2, 1, 1, 3, 1, 1, 0, 0, 3, 0, 3, 3, 1, 0, 3, 1, 0, 1, 2, 0, 2, 0, 2, 2, 0,
};

/* B k4 rows 5,10,15,20 centers row-major */
static const double LB4_CENTERS[16] = {
    0.316918400775859, 0.23288563438201, -0.0988238463349342, -0.420803636031771,
    -0.843243643583361, -0.526369061383827, -0.0582494311648105, -0.166125747366901,
    1.38681887529385, 1.33281195420374, -1.30873239978339, -0.590186750994101,
    -0.479618462222995, -0.683137660538314, 1.14255655879782, 1.21256801346049,
};

/* B k4 rows 5,10,15,20 withinss */
static const double LB4_WITHINSS[4] = {
    13.3136354960215, 13.378384762158, 12.5069358367411, 12.1219262961307,
};

/* B k4 rows 5,10,15,20 tot, totss, betw */
static const double LB4_TOT_TOTSS_BETW[3] = {
    51.3208823910513, 116, 64.6791176089486,
};

/* B k4 rows 5,10,15,20 iter */
static const int LB4_ITER = 4;

/* dup merge row-major */
static const int DUP_MERGE[12] = {
    -1, -2, -3, -4, -5, 2, -6, -7, 1, 3, 4, 5,
};

/* dup height */
static const double DUP_HEIGHT[6] = {
    0, 0, 0,
    1, 1.54919333848297, 11.9055809242077,
};

/* dup cutree k2 (R, minus 1) */
static const size_t DUP_CUT2[7] = {
    0, 0, 0, 0, 0, 1, 1,
};

/* dup cutree k3 (R, minus 1) */
static const size_t DUP_CUT3[7] = {
    0, 0, 1, 1, 1, 2, 2,
};

/* dup cutree k4 (R, minus 1) */
static const size_t DUP_CUT4[7] = {
    0, 0, 1, 1, 1, 2, 3,
};

/* dup sil k3 */
static const double DUP_SIL3[7] = {
    1, 1, 1, 1, 1, 0.843826238111394, 0.861324950943693,
};

/* dup sil k4 */
static const double DUP_SIL4[7] = {
    1, 1, 1, 1, 1, 0, 0,
};

/* dup neighbor k4 (R, minus 1) */
static const size_t DUP_NEIGHBOUR4[7] = {
    1, 1, 0, 0, 0, 3, 2,
};


/* --- standardisation --------------------------------------------------------------------- */

static void test_rc_names(void **state)
{
    (void)state;
    assert_string_equal(cluster_rc_name(CLUSTER_OK), "ok");
    assert_string_equal(cluster_rc_name(CLUSTER_EINPUT), "bad input");
    assert_string_equal(cluster_rc_name(CLUSTER_EMISSING), "missing value");
    assert_string_equal(cluster_rc_name(CLUSTER_ECONSTANT), "constant factor");
    assert_string_equal(cluster_rc_name(CLUSTER_EDEGENERATE), "degenerate data");
    assert_string_equal(cluster_rc_name(CLUSTER_ETOOBIG), "too many units");
    assert_string_equal(cluster_rc_name(CLUSTER_ENUMERIC), "numerical failure");
    assert_string_equal(cluster_rc_name(42), "unknown");
}

static void test_scale_vs_r(void **state)
{
    (void)state;
    double z[NB * PB], mean[PB], sd[PB];

    /* R: z <- scale(A); attr(z, "scaled:center"), attr(z, "scaled:scale"), t(z) */
    assert_int_equal(cluster_scale(A, NA, PA, z, mean, sd, NULL, NULL), CLUSTER_OK);
    ASSERT_ALL_CLOSE(mean, A_CENTER, PA);
    ASSERT_ALL_CLOSE(sd, A_SCALE, PA);
    ASSERT_ALL_CLOSE(z, A_Z, NA * PA);

    assert_int_equal(cluster_scale(B, NB, PB, z, mean, sd, NULL, NULL), CLUSTER_OK);
    ASSERT_ALL_CLOSE(mean, B_CENTER, PB);
    ASSERT_ALL_CLOSE(sd, B_SCALE, PB);
    ASSERT_ALL_CLOSE(z, B_Z, NB * PB);

    /* In place gives the same numbers; mean and sd may be NULL. */
    double w[NB * PB];
    memcpy(w, B, sizeof w);
    assert_int_equal(cluster_scale(w, NB, PB, w, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_memory_equal(w, z, sizeof w);

    /* n = 2. R: scale(matrix(c(1, 2, 4, 6), ncol = 2, byrow = TRUE)) gives ±0.707106781186548
     * (hand: mean 2.5, sd 1.5·sqrt 2 → ±1/sqrt 2). */
    const double two[4] = {1, 2, 4, 6};
    assert_int_equal(cluster_scale(two, 2, 2, z, mean, sd, NULL, NULL), CLUSTER_OK);
    ASSERT_CLOSE(z[0], -M_SQRT1_2);
    ASSERT_CLOSE(z[1], -M_SQRT1_2);
    ASSERT_CLOSE(z[2], M_SQRT1_2);
    ASSERT_CLOSE(z[3], M_SQRT1_2);
    ASSERT_CLOSE(mean[1], 4.0);
    ASSERT_CLOSE(sd[1], 2.0 * M_SQRT2);
}

static void test_scale_refusals(void **state)
{
    (void)state;
    double z[12], keep[12];
    size_t row = 99, col = 99;

    /* Column 2 constant (0.1 is not exact in binary: compared as values, not by SD). */
    const double c[12] = {1, 5, 0.1, 2, 6, 0.1, 3, 5, 0.1, 4, 7, 0.1};
    memset(z, 0, sizeof z);
    memset(keep, 0, sizeof keep);
    assert_int_equal(cluster_scale(c, 4, 3, z, NULL, NULL, &row, &col), CLUSTER_ECONSTANT);
    assert_int_equal(col, 2);
    assert_true(row == (size_t)-1);
    assert_memory_equal(z, keep, sizeof z);   /* nothing written */

    /* The first non-finite value in row-major order is named. */
    double m[12] = {1, 5, 0.2, 2, 6, 0.1, 3, NAN, 0.1, INFINITY, 7, 0.1};
    assert_int_equal(cluster_scale(m, 4, 3, z, NULL, NULL, &row, &col), CLUSTER_EMISSING);
    assert_int_equal(row, 2);
    assert_int_equal(col, 1);
    m[7] = 5;
    assert_int_equal(cluster_scale(m, 4, 3, z, NULL, NULL, &row, &col), CLUSTER_EMISSING);
    assert_int_equal(row, 3);
    assert_int_equal(col, 0);
    assert_int_equal(cluster_scale(m, 4, 3, z, NULL, NULL, NULL, NULL), CLUSTER_EMISSING);

    assert_int_equal(cluster_scale(c, 1, 3, z, NULL, NULL, NULL, NULL), CLUSTER_EINPUT);
    assert_int_equal(cluster_scale(c, 4, 0, z, NULL, NULL, NULL, NULL), CLUSTER_EINPUT);
    assert_int_equal(cluster_scale(NULL, 4, 3, z, NULL, NULL, NULL, NULL), CLUSTER_EINPUT);
}

static void test_missing_rows(void **state)
{
    (void)state;
    const double x[8] = {1, 2, NAN, 4, 5, -INFINITY, 7, 8};
    unsigned char miss[4];
    assert_int_equal(cluster_missing_rows(x, 4, 2, miss), 2);
    assert_int_equal(miss[0], 0);
    assert_int_equal(miss[1], 1);
    assert_int_equal(miss[2], 1);
    assert_int_equal(miss[3], 0);
    assert_int_equal(cluster_missing_rows(x, 4, 2, NULL), 2);
    assert_int_equal(cluster_missing_rows(A, NA, PA, NULL), 0);
}

static void test_relabel(void **state)
{
    (void)state;
    const size_t in[6] = {4, 4, 1, 0, 1, 4};
    const size_t want[6] = {0, 0, 1, 2, 1, 0};
    size_t out[6], k;
    assert_int_equal(cluster_relabel(in, 6, 5, out, &k), CLUSTER_OK);
    ASSERT_LABELS(out, want, 6);
    assert_int_equal(k, 3);
    size_t again[6];
    memcpy(again, in, sizeof again);
    assert_int_equal(cluster_relabel(again, 6, 5, again, NULL), CLUSTER_OK);   /* in place */
    ASSERT_LABELS(again, want, 6);
    assert_int_equal(cluster_relabel(in, 6, 4, out, &k), CLUSTER_EINPUT);      /* 4 >= kin */
}

/* --- k-means ------------------------------------------------------------------------- */

/* One R kmeans(z, centers = z[rows, ], algorithm = "Lloyd", iter.max = 100) run:
 * the partition up to renaming, then canonical labels, centres through the renaming,
 * sums of squares and the iteration count. rows are R's (1-based). */
static void check_lloyd(const double *z, size_t n, size_t p, size_t k, const size_t *rows,
                        const size_t *r_cluster, const double *r_centers,
                        const double *r_withinss, const double *r_tot, int r_iter)
{
    double init[4 * PB] = {0};
    for (size_t c = 0; c < k; c++)
        memcpy(init + c * p, z + (rows[c] - 1) * p, p * sizeof *init);
    struct cluster_kmeans km;
    assert_int_equal(cluster_kmeans_from(z, n, p, k, init, 100, &km), CLUSTER_OK);
    size_t map[4], canon[NB];
    same_partition(km.label, r_cluster, n, k, map);
    assert_int_equal(cluster_relabel(r_cluster, n, k, canon, NULL), CLUSTER_OK);
    ASSERT_LABELS(km.label, canon, n);
    for (size_t c = 0; c < k; c++) {
        ASSERT_ALL_CLOSE(km.centre + map[c] * p, r_centers + c * p, p);
        ASSERT_CLOSE(km.withinss[map[c]], r_withinss[c]);
    }
    ASSERT_CLOSE(km.tot_withinss, r_tot[0]);
    ASSERT_CLOSE(km.totss, r_tot[1]);
    ASSERT_CLOSE(km.betweenss, r_tot[2]);
    assert_int_equal(km.iter, r_iter);
    assert_int_equal(km.converged, 1);
    assert_int_equal(km.nbest, 1);
    assert_int_equal(km.k, k);
    size_t total = 0;
    for (size_t c = 0; c < k; c++)
        total += km.size[c];
    assert_int_equal(total, n);
    cluster_kmeans_free(&km);
}

static void test_kmeans_lloyd_vs_r(void **state)
{
    (void)state;
    double zA[NA * PA], zB[NB * PB];
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);

    const size_t a1[3] = {1, 2, 4}, a2[3] = {1, 3, 7}, b3[3] = {1, 2, 3},
                 b4[4] = {5, 10, 15, 20};
    check_lloyd(zA, NA, PA, 3, a1, LA1_CLUSTER, LA1_CENTERS, LA1_WITHINSS,
                LA1_TOT_TOTSS_BETW, LA1_ITER);
    /* All three starts in one planted group: R needs 4 passes, ends the same. */
    check_lloyd(zA, NA, PA, 3, a2, LA2_CLUSTER, LA2_CENTERS, LA2_WITHINSS,
                LA2_TOT_TOTSS_BETW, LA2_ITER);
    /* B from rows 1, 2, 3: a local optimum (59.88 against R's best 56.89). */
    check_lloyd(zB, NB, PB, 3, b3, LB3_CLUSTER, LB3_CENTERS, LB3_WITHINSS,
                LB3_TOT_TOTSS_BETW, LB3_ITER);
    check_lloyd(zB, NB, PB, 4, b4, LB4_CLUSTER, LB4_CENTERS, LB4_WITHINSS,
                LB4_TOT_TOTSS_BETW, LB4_ITER);

    /* The two A starts end in one partition: same canonical labels, to the byte. */
    struct cluster_kmeans k1, k2;
    double i1[9], i2[9];
    for (size_t c = 0; c < 3; c++) {
        memcpy(i1 + c * 3, zA + (a1[c] - 1) * 3, 3 * sizeof(double));
        memcpy(i2 + c * 3, zA + (a2[c] - 1) * 3, 3 * sizeof(double));
    }
    assert_int_equal(cluster_kmeans_from(zA, NA, PA, 3, i1, 100, &k1), CLUSTER_OK);
    assert_int_equal(cluster_kmeans_from(zA, NA, PA, 3, i2, 100, &k2), CLUSTER_OK);
    assert_memory_equal(k1.label, k2.label, NA * sizeof(size_t));
    assert_memory_equal(k1.centre, k2.centre, 9 * sizeof(double));
    assert_memory_equal(k1.withinss, k2.withinss, 3 * sizeof(double));
    /* ... and R's Ward cut at 3 is that partition too (R: ARI 1). */
    ASSERT_LABELS(k1.label, A_CUT3, NA);
    cluster_kmeans_free(&k1);
    cluster_kmeans_free(&k2);
}

/* Every unit is nearest its own centre (what R's Lloyd started from these centres
 * would confirm in one pass), and the centres are the means. */
static void assert_lloyd_fixed_point(const double *z, size_t n, size_t p,
                                     const struct cluster_kmeans *km)
{
    for (size_t i = 0; i < n; i++) {
        double own = 0.0;
        for (size_t j = 0; j < p; j++) {
            double d = z[i * p + j] - km->centre[km->label[i] * p + j];
            own += d * d;
        }
        for (size_t c = 0; c < km->k; c++) {
            double dc = 0.0;
            for (size_t j = 0; j < p; j++) {
                double d = z[i * p + j] - km->centre[c * p + j];
                dc += d * d;
            }
            assert_true(own <= dc);
        }
    }
    double mean[5 * PB];
    size_t size[5];
    assert_true(km->k <= 5 && p <= PB);
    assert_int_equal(cluster_profile(z, n, p, km->label, km->k, mean, size), CLUSTER_OK);
    assert_memory_equal(mean, km->centre, km->k * p * sizeof(double));
    assert_memory_equal(size, km->size, km->k * sizeof(size_t));
}

static void test_kmeans_pp(void **state)
{
    (void)state;
    double zA[NA * PA], zB[NB * PB], ari;
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);
    struct cluster_kmeans km;
    /* One start reaches B's k = 4 optimum 7.5% of the time (see cluster.h), so 100
     * starts miss it with probability 0.925^100 < 0.05% (this seed's first 25 do). */
    struct cluster_kmeans_opts o = {.seed = 2024, .nstart = 100, .max_iter = 100};

    /* The best of the k-means++ starts reaches the optimum R's Hartigan–Wong finds
     * from 200 random starts. R: set.seed(1); kmeans(zA, 3, nstart = 200)$tot.withinss */
    assert_int_equal(cluster_kmeans(zA, NA, PA, 3, &o, &km), CLUSTER_OK);
    ASSERT_CLOSE(km.tot_withinss, 1.86042554568488);
    assert_int_equal(cluster_ari(km.label, A_PLANTED, NA, &ari), CLUSTER_OK);
    assert_true(ari == 1.0);
    assert_int_equal(km.converged, 1);
    assert_true(km.nbest >= 1 && km.nbest <= 100);
    cluster_kmeans_free(&km);

    /* R: kmeans(zB, 3, nstart = 200)$tot.withinss, kmeans(zB, 4, ...) */
    assert_int_equal(cluster_kmeans(zB, NB, PB, 3, &o, &km), CLUSTER_OK);
    ASSERT_CLOSE(km.tot_withinss, 56.8932859648693);
    ASSERT_CLOSE(km.totss, 116.0);
    ASSERT_CLOSE(km.betweenss, 116.0 - 56.8932859648693);
    cluster_kmeans_free(&km);
    assert_int_equal(cluster_kmeans(zB, NB, PB, 4, &o, &km), CLUSTER_OK);
    ASSERT_CLOSE(km.tot_withinss, 46.0184094043409);
    assert_lloyd_fixed_point(zB, NB, PB, &km);
    cluster_kmeans_free(&km);
    assert_int_equal(cluster_kmeans(zB, NB, PB, 5, &o, &km), CLUSTER_OK);
    ASSERT_CLOSE(km.tot_withinss, 37.0012880752011);
    assert_lloyd_fixed_point(zB, NB, PB, &km);
    cluster_kmeans_free(&km);

    /* Lloyd alone from the same starts: no better than with the transfers, and
     * still a fixed point. */
    struct cluster_kmeans_opts lo = o;
    lo.algo = CLUSTER_KMEANS_LLOYD;
    assert_int_equal(cluster_kmeans(zB, NB, PB, 5, &lo, &km), CLUSTER_OK);
    assert_true(km.tot_withinss >= 37.0012880752011 - 1e-9);
    assert_lloyd_fixed_point(zB, NB, PB, &km);
    cluster_kmeans_free(&km);

    /* NULL options: seed 1, the defaults. */
    assert_int_equal(cluster_kmeans(zA, NA, PA, 3, NULL, &km), CLUSTER_OK);
    ASSERT_LABELS(km.label, A_CUT3, NA);
    cluster_kmeans_free(&km);
}

static void kmeans_equal(const struct cluster_kmeans *a, const struct cluster_kmeans *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->k, b->k);
    assert_memory_equal(a->label, b->label, a->n * sizeof *a->label);
    assert_memory_equal(a->centre, b->centre, a->k * a->p * sizeof *a->centre);
    assert_memory_equal(a->withinss, b->withinss, a->k * sizeof *a->withinss);
    assert_memory_equal(a->size, b->size, a->k * sizeof *a->size);
    assert_memory_equal(&a->tot_withinss, &b->tot_withinss, sizeof(double));
    assert_memory_equal(&a->totss, &b->totss, sizeof(double));
    assert_memory_equal(&a->betweenss, &b->betweenss, sizeof(double));
    assert_int_equal(a->iter, b->iter);
    assert_int_equal(a->converged, b->converged);
    assert_int_equal(a->nbest, b->nbest);
}

static void test_kmeans_determinism(void **state)
{
    (void)state;
    double zB[NB * PB];
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);
    struct cluster_kmeans a, b;
    struct cluster_kmeans_opts o = {.seed = 7, .nstart = 10};

    /* Same input and seed: the same result to the byte. */
    assert_int_equal(cluster_kmeans(zB, NB, PB, 3, &o, &a), CLUSTER_OK);
    assert_int_equal(cluster_kmeans(zB, NB, PB, 3, &o, &b), CLUSTER_OK);
    kmeans_equal(&a, &b);
    cluster_kmeans_free(&a);
    cluster_kmeans_free(&b);

    /* Twelve starts from rows of zB, some reaching the local optimum of rows 1,2,3
     * and some the global one; forwards, backwards and rotated give one result. */
    enum { NS = 12, K = 3 };
    double inits[NS * K * PB], rev[NS * K * PB], rot[NS * K * PB];
    for (size_t s = 0; s < NS; s++)
        for (size_t c = 0; c < K; c++)
            memcpy(inits + (s * K + c) * PB, zB + ((s * 7 + c * 11) % NB) * PB,
                   PB * sizeof(double));
    for (size_t s = 0; s < NS; s++) {
        memcpy(rev + s * K * PB, inits + (NS - 1 - s) * K * PB, K * PB * sizeof(double));
        memcpy(rot + s * K * PB, inits + ((s + 5) % NS) * K * PB, K * PB * sizeof(double));
    }
    struct cluster_kmeans f, r, t;
    for (int algo = CLUSTER_KMEANS_TRANSFER; algo <= CLUSTER_KMEANS_LLOYD; algo++) {
        assert_int_equal(cluster_kmeans_starts(zB, NB, PB, K, inits, NS, 100, algo, &f),
                         CLUSTER_OK);
        assert_int_equal(cluster_kmeans_starts(zB, NB, PB, K, rev, NS, 100, algo, &r),
                         CLUSTER_OK);
        assert_int_equal(cluster_kmeans_starts(zB, NB, PB, K, rot, NS, 100, algo, &t),
                         CLUSTER_OK);
        kmeans_equal(&f, &r);
        kmeans_equal(&f, &t);
        /* The kept one is the best of the single starts, which do not all agree. */
        double lo = INFINITY, hi = -INFINITY;
        for (size_t s = 0; s < NS; s++) {
            assert_int_equal(cluster_kmeans_starts(zB, NB, PB, K, inits + s * K * PB, 1, 100,
                                                   algo, &a),
                             CLUSTER_OK);
            lo = fmin(lo, a.tot_withinss);
            hi = fmax(hi, a.tot_withinss);
            cluster_kmeans_free(&a);
        }
        assert_true(f.tot_withinss == lo);
        assert_true(hi > lo + 0.1);
        assert_true(f.nbest >= 1 && f.nbest < NS);
        cluster_kmeans_free(&f);
        cluster_kmeans_free(&r);
        cluster_kmeans_free(&t);
    }

    /* The order of the centres within a start does not matter either. */
    double c1[K * PB], c2[K * PB];
    const size_t rows[K] = {0, 1, 2};
    for (size_t c = 0; c < K; c++) {
        memcpy(c1 + c * PB, zB + rows[c] * PB, PB * sizeof(double));
        memcpy(c2 + c * PB, zB + rows[K - 1 - c] * PB, PB * sizeof(double));
    }
    assert_int_equal(cluster_kmeans_from(zB, NB, PB, K, c1, 100, &a), CLUSTER_OK);
    assert_int_equal(cluster_kmeans_from(zB, NB, PB, K, c2, 100, &b), CLUSTER_OK);
    assert_memory_equal(a.label, b.label, NB * sizeof(size_t));
    assert_memory_equal(a.centre, b.centre, K * PB * sizeof(double));
    ASSERT_LABELS(a.label, LB3_CLUSTER, NB);   /* R's labels are canonical here */
    cluster_kmeans_free(&a);
    cluster_kmeans_free(&b);
}

static void test_kmeans_degenerate(void **state)
{
    (void)state;
    double zA[NA * PA];
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    struct cluster_kmeans km;
    struct cluster_kmeans_opts o = {.seed = 3, .nstart = 5};

    /* k = 1: the centre is the grand mean (0 in z), withinss = totss = (n-1)·p = 69. */
    assert_int_equal(cluster_kmeans(zA, NA, PA, 1, &o, &km), CLUSTER_OK);
    for (size_t i = 0; i < NA; i++)
        assert_int_equal(km.label[i], 0);
    for (size_t j = 0; j < PA; j++)
        assert_true(fabs(km.centre[j]) < 1e-15);
    ASSERT_CLOSE(km.tot_withinss, 69.0);
    ASSERT_CLOSE(km.totss, 69.0);
    assert_true(fabs(km.betweenss) < 1e-12);
    assert_int_equal(km.size[0], NA);
    cluster_kmeans_free(&km);

    /* k = n: every unit alone, nothing within, labels 0..n-1. */
    assert_int_equal(cluster_kmeans(zA, NA, PA, NA, &o, &km), CLUSTER_OK);
    for (size_t i = 0; i < NA; i++) {
        assert_int_equal(km.label[i], i);
        assert_true(km.withinss[i] == 0.0);
    }
    assert_true(km.tot_withinss == 0.0);
    cluster_kmeans_free(&km);

    /* k > n, k = 0, max_iter = 0 (through _from), NaN. */
    assert_int_equal(cluster_kmeans(zA, NA, PA, NA + 1, &o, &km), CLUSTER_EINPUT);
    assert_int_equal(cluster_kmeans(zA, NA, PA, 0, &o, &km), CLUSTER_EINPUT);
    assert_int_equal(cluster_kmeans_from(zA, NA, PA, 1, zA, 0, &km), CLUSTER_EINPUT);
    double bad[6] = {0, 1, 2, NAN, 4, 5};
    assert_int_equal(cluster_kmeans(bad, 3, 2, 2, &o, &km), CLUSTER_EMISSING);

    /* Duplicate points: four distinct among seven. k = 4 groups the copies (within 0);
     * k = 5 cannot be made of distinct centres. */
    assert_int_equal(cluster_kmeans(DUP, NDUP, 2, 4, &o, &km), CLUSTER_OK);
    ASSERT_LABELS(km.label, DUP_CUT4, NDUP);
    assert_true(km.tot_withinss == 0.0);
    cluster_kmeans_free(&km);
    assert_int_equal(cluster_kmeans(DUP, NDUP, 2, 5, &o, &km), CLUSTER_EDEGENERATE);
    /* Duplicate initial centres are refused, as R does. */
    const double twice[4] = {0, 0, 0, 0};
    assert_int_equal(cluster_kmeans_from(DUP, NDUP, 2, 2, twice, 10, &km), CLUSTER_EINPUT);

    /* n = 2. */
    const double two[4] = {1, 2, 4, 6};
    assert_int_equal(cluster_kmeans(two, 2, 2, 2, &o, &km), CLUSTER_OK);
    assert_int_equal(km.label[0], 0);
    assert_int_equal(km.label[1], 1);
    ASSERT_CLOSE(km.totss, 12.5);   /* hand: 2·(1.5² + 2²) */
    cluster_kmeans_free(&km);
    assert_int_equal(cluster_kmeans(two, 2, 2, 1, &o, &km), CLUSTER_OK);
    ASSERT_CLOSE(km.tot_withinss, 12.5);
    cluster_kmeans_free(&km);
}

static void test_kmeans_empty_cluster(void **state)
{
    (void)state;
    /* Units 0, 1, 2 and 10, 11, 12 on a line, a centre at 100 that no unit is nearest
     * to (R: "empty cluster", a NaN centre). The farthest unit from its centre moves
     * there: with centres 1 and 11 at first all are at 1 or 0; unit 0 (the lowest of
     * the farthest, at distance 1) leaves. Hand: the end is {0}, {1, 2}, {10, 11, 12}
     * with centres 0, 1.5, 11 and within-SS 0, 0.5, 2. */
    const double x[6] = {0, 1, 2, 10, 11, 12};
    const double init[3] = {1, 11, 100};
    struct cluster_kmeans km;
    assert_int_equal(cluster_kmeans_from(x, 6, 1, 3, init, 100, &km), CLUSTER_OK);
    const size_t want[6] = {0, 1, 1, 2, 2, 2};
    ASSERT_LABELS(km.label, want, 6);
    ASSERT_CLOSE(km.centre[0], 0.0);
    ASSERT_CLOSE(km.centre[1], 1.5);
    ASSERT_CLOSE(km.centre[2], 11.0);
    ASSERT_CLOSE(km.tot_withinss, 2.5);
    assert_int_equal(km.converged, 1);
    cluster_kmeans_free(&km);

    /* Too few passes: not converged, R's count max_iter + 1, still a partition with
     * its means. */
    assert_int_equal(cluster_kmeans_from(x, 6, 1, 3, init, 1, &km), CLUSTER_OK);
    assert_int_equal(km.converged, 0);
    assert_int_equal(km.iter, 2);
    for (size_t c = 0; c < 3; c++)
        assert_true(km.size[c] >= 1);
    cluster_kmeans_free(&km);
}

/* --- Ward ---------------------------------------------------------------------------- */

static void check_ward(const double *z, size_t n, size_t p, const int *merge,
                       const double *height, const double *sumh2_totss,
                       const size_t *const cuts[4])
{
    struct cluster_tree t;
    assert_int_equal(cluster_ward(z, n, p, &t), CLUSTER_OK);
    assert_int_equal(t.n, n);
    for (size_t i = 0; i < 2 * (n - 1); i++)
        if (t.merge[i] != merge[i]) {
            print_error("merge[%zu] = %d, R %d\n", i, t.merge[i], merge[i]);
            fail();
        }
    ASSERT_ALL_CLOSE(t.height, height, n - 1);
    double s = 0.0;
    for (size_t i = 0; i + 1 < n; i++)
        s += t.height[i] * t.height[i] / 2.0;
    ASSERT_CLOSE(s, sumh2_totss[1]);   /* Σ height²/2 = total sum of squares */
    size_t label[NB];
    for (size_t k = 2; k <= 5; k++) {
        assert_int_equal(cluster_cut(&t, k, label), CLUSTER_OK);
        ASSERT_LABELS(label, cuts[k - 2], n);
    }
    cluster_tree_free(&t);
}

static void test_ward_vs_r(void **state)
{
    (void)state;
    double zA[NA * PA], zB[NB * PB];
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);
    /* R: h <- hclust(dist(z), method = "ward.D2"); h$merge, h$height, cutree(h, 2:5) */
    const size_t *const ca[4] = {A_CUT2, A_CUT3, A_CUT4, A_CUT5};
    const size_t *const cb[4] = {B_CUT2, B_CUT3, B_CUT4, B_CUT5};
    check_ward(zA, NA, PA, A_MERGE, A_HEIGHT, A_SUMH2_TOTSS, ca);
    check_ward(zB, NB, PB, B_MERGE, B_HEIGHT, B_SUMH2_TOTSS, cb);

    /* The planted groups of A are the cut at 3 (R: ARI 1); B's overlap (R: 0.2414). */
    struct cluster_tree t;
    size_t label[NB];
    double ari;
    assert_int_equal(cluster_ward(zB, NB, PB, &t), CLUSTER_OK);
    assert_int_equal(cluster_cut(&t, 3, label), CLUSTER_OK);
    assert_int_equal(cluster_ari(label, B_PLANTED, NB, &ari), CLUSTER_OK);
    ASSERT_CLOSE(ari, 0.24138553130074);
    /* k = 1 and k = n. */
    assert_int_equal(cluster_cut(&t, 1, label), CLUSTER_OK);
    for (size_t i = 0; i < NB; i++)
        assert_int_equal(label[i], 0);
    assert_int_equal(cluster_cut(&t, NB, label), CLUSTER_OK);
    for (size_t i = 0; i < NB; i++)
        assert_int_equal(label[i], i);
    assert_int_equal(cluster_cut(&t, 0, label), CLUSTER_EINPUT);
    assert_int_equal(cluster_cut(&t, NB + 1, label), CLUSTER_EINPUT);
    cluster_tree_free(&t);
    cluster_tree_free(&t);   /* zeroed: a second free is harmless */
}

static void test_ward_degenerate(void **state)
{
    (void)state;
    struct cluster_tree t;
    /* Duplicates: R merges the copies first at height 0, in the same order.
     * R: hclust(dist(D), method = "ward.D2"), cutree(hD, 2:4) */
    assert_int_equal(cluster_ward(DUP, NDUP, 2, &t), CLUSTER_OK);
    for (size_t i = 0; i < 2 * (NDUP - 1); i++)
        assert_int_equal(t.merge[i], DUP_MERGE[i]);
    ASSERT_ALL_CLOSE(t.height, DUP_HEIGHT, NDUP - 1);
    size_t label[NDUP];
    const size_t *const cuts[3] = {DUP_CUT2, DUP_CUT3, DUP_CUT4};
    for (size_t k = 2; k <= 4; k++) {
        assert_int_equal(cluster_cut(&t, k, label), CLUSTER_OK);
        ASSERT_LABELS(label, cuts[k - 2], NDUP);
    }
    cluster_tree_free(&t);

    /* n = 2: one merge at the Euclidean distance. R: 5 (hand: sqrt(3² + 4²)). */
    const double two[4] = {1, 2, 4, 6};
    assert_int_equal(cluster_ward(two, 2, 2, &t), CLUSTER_OK);
    assert_int_equal(t.merge[0], -1);
    assert_int_equal(t.merge[1], -2);
    ASSERT_CLOSE(t.height[0], 5.0);
    cluster_tree_free(&t);

    /* All units equal: every height 0, still a tree. */
    const double same[5] = {3, 3, 3, 3, 3};
    assert_int_equal(cluster_ward(same, 5, 1, &t), CLUSTER_OK);
    for (size_t i = 0; i < 4; i++)
        assert_true(t.height[i] == 0.0);
    assert_int_equal(cluster_cut(&t, 2, label), CLUSTER_OK);
    cluster_tree_free(&t);

    assert_int_equal(cluster_ward(two, 1, 2, &t), CLUSTER_EINPUT);
    const double bad[4] = {1, NAN, 4, 6};
    assert_int_equal(cluster_ward(bad, 2, 2, &t), CLUSTER_EMISSING);
    double *big = calloc(CLUSTER_WARD_MAX_N + 1, sizeof *big);
    assert_non_null(big);
    assert_int_equal(cluster_ward(big, CLUSTER_WARD_MAX_N + 1, 1, &t), CLUSTER_ETOOBIG);
    free(big);
}

/* --- silhouette, choice of k, boundary ------------------------------------------------------ */

static void test_silhouette_vs_r(void **state)
{
    (void)state;
    double zA[NA * PA], zB[NB * PB], sil[NB], mean;
    size_t nb[NB];
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);

    /* R: s <- silhouette(cutree(h, 3), dist(z)); s[, "sil_width"], s[, "neighbor"]
     * (checked in the script against the definition computed in plain R). */
    assert_int_equal(cluster_silhouette(zA, NA, PA, A_CUT3, 3, sil, nb, &mean), CLUSTER_OK);
    ASSERT_ALL_CLOSE(sil, A_SIL, NA);
    ASSERT_LABELS(nb, A_NEIGHBOUR, NA);
    ASSERT_CLOSE(mean, A_MEAN_SIL);
    assert_int_equal(cluster_silhouette(zB, NB, PB, B_CUT3, 3, sil, nb, &mean), CLUSTER_OK);
    ASSERT_ALL_CLOSE(sil, B_SIL, NB);
    ASSERT_LABELS(nb, B_NEIGHBOUR, NB);
    ASSERT_CLOSE(mean, B_MEAN_SIL);
    assert_int_equal(cluster_silhouette(zB, NB, PB, B_CUT3, 3, sil, NULL, NULL), CLUSTER_OK);

    /* Duplicates: copies alone in their cluster have a = 0 < b, s = 1; units alone
     * get 0. R: silhouette(cutree(hD, 3 and 4), dist(D)) */
    assert_int_equal(cluster_silhouette(DUP, NDUP, 2, DUP_CUT3, 3, sil, NULL, NULL),
                     CLUSTER_OK);
    ASSERT_ALL_CLOSE(sil, DUP_SIL3, NDUP);
    assert_int_equal(cluster_silhouette(DUP, NDUP, 2, DUP_CUT4, 4, sil, nb, NULL),
                     CLUSTER_OK);
    ASSERT_ALL_CLOSE(sil, DUP_SIL4, NDUP);
    ASSERT_LABELS(nb, DUP_NEIGHBOUR4, NDUP);
    /* a = b = 0 (copies split between clusters): 0, as R. Hand and R:
     * silhouette(c(1, 1, 2, 3), dist(c(0, 0, 0, 3))) is 0 0 0 0. */
    const double line[4] = {0, 0, 0, 3};
    const size_t split[4] = {0, 0, 1, 2};
    assert_int_equal(cluster_silhouette(line, 4, 1, split, 3, sil, NULL, NULL), CLUSTER_OK);
    for (size_t i = 0; i < 4; i++)
        assert_true(sil[i] == 0.0);

    /* Outside 2 <= k <= n - 1, an empty cluster, a label >= k, NaN. */
    const size_t one[4] = {0, 0, 0, 0}, all[4] = {0, 1, 2, 3}, gap[4] = {0, 0, 2, 2};
    assert_int_equal(cluster_silhouette(line, 4, 1, one, 1, sil, NULL, NULL), CLUSTER_EINPUT);
    assert_int_equal(cluster_silhouette(line, 4, 1, all, 4, sil, NULL, NULL), CLUSTER_EINPUT);
    assert_int_equal(cluster_silhouette(line, 4, 1, gap, 3, sil, NULL, NULL), CLUSTER_EINPUT);
    assert_int_equal(cluster_silhouette(line, 4, 1, gap, 2, sil, NULL, NULL), CLUSTER_EINPUT);
    const double two[4] = {1, 2, 4, 6};
    const size_t pair[2] = {0, 1};
    assert_int_equal(cluster_silhouette(two, 2, 2, pair, 2, sil, NULL, NULL), CLUSTER_EINPUT);
    const double nan4[4] = {0, NAN, 1, 2};
    const size_t half[4] = {0, 0, 1, 1};
    assert_int_equal(cluster_silhouette(nan4, 4, 1, half, 2, sil, NULL, NULL),
                     CLUSTER_EMISSING);
}

static void test_choose_k(void **state)
{
    (void)state;
    double zA[NA * PA], zB[NB * PB], ms[9];
    size_t k;
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);

    /* R: sapply(2:8, function(k) mean(silhouette(cutree(h, k), d)[, "sil_width"])) */
    assert_int_equal(cluster_choose_k(zA, NA, PA, 8, CLUSTER_WARD, NULL, ms, &k), CLUSTER_OK);
    assert_true(isnan(ms[0]) && isnan(ms[1]));
    ASSERT_ALL_CLOSE(ms + 2, A_MEAN_SIL_K, 7);
    assert_int_equal(k, 3);
    /* B overlaps: no clear k; the mean silhouette dips at 3 and is highest at the
     * largest k tried, as in R; up to 4, k = 2 wins. */
    assert_int_equal(cluster_choose_k(zB, NB, PB, 8, CLUSTER_WARD, NULL, ms, &k), CLUSTER_OK);
    ASSERT_ALL_CLOSE(ms + 2, B_MEAN_SIL_K, 7);
    assert_int_equal(k, 8);
    assert_int_equal(cluster_choose_k(zB, NB, PB, 4, CLUSTER_WARD, NULL, ms, &k), CLUSTER_OK);
    assert_int_equal(k, 2);   /* 0.3258 at 2 beats 0.2717 at 4 */

    /* k-means finds the planted three in A, and its k = 3 silhouette is the Ward one
     * (the same partition). */
    struct cluster_kmeans_opts o = {.seed = 11, .nstart = 10};
    assert_int_equal(cluster_choose_k(zA, NA, PA, 6, CLUSTER_KMEANS, &o, ms, &k), CLUSTER_OK);
    assert_int_equal(k, 3);
    ASSERT_CLOSE(ms[3], A_MEAN_SIL);

    /* Copies: four distinct units among seven, so k-means has no k = 5 or 6 and
     * those are NaN. k = 4 (the copies together, s = 1 but for the two singletons)
     * gives 5/7; k = 3, Ward's cut, wins (R: silhouette(cutree(hD, 3), dist(D))). */
    assert_int_equal(cluster_choose_k(DUP, NDUP, 2, 6, CLUSTER_KMEANS, &o, ms, &k),
                     CLUSTER_OK);
    assert_true(isnan(ms[5]) && isnan(ms[6]));
    ASSERT_CLOSE(ms[4], 5.0 / 7.0);
    double dup3 = 0.0;
    for (size_t i = 0; i < NDUP; i++)
        dup3 += DUP_SIL3[i] / NDUP;
    ASSERT_CLOSE(ms[3], dup3);
    assert_int_equal(k, 3);

    /* One distinct point: no k has a partition. */
    const double same[4] = {2, 2, 2, 2};
    assert_int_equal(cluster_choose_k(same, 4, 1, 3, CLUSTER_KMEANS, &o, ms, &k),
                     CLUSTER_EDEGENERATE);
    assert_int_equal(cluster_choose_k(zA, NA, PA, 1, CLUSTER_WARD, NULL, ms, &k),
                     CLUSTER_EINPUT);
    assert_int_equal(cluster_choose_k(zA, NA, PA, NA, CLUSTER_WARD, NULL, ms, &k),
                     CLUSTER_EINPUT);
}

static void test_boundary_vs_r(void **state)
{
    (void)state;
    double zB[NB * PB];
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);
    struct cluster_boundary bd[NB];
    /* R: centroid_dist(zB, cutree(hB, 3)) in the script: distance to the own
     * centroid, to the nearest other and which. */
    assert_int_equal(cluster_boundary(zB, NB, PB, B_CUT3, 3, CLUSTER_BOUNDARY_SIL, bd),
                     CLUSTER_OK);
    size_t flagged = 0;
    for (size_t i = 0; i < NB; i++) {
        ASSERT_CLOSE(bd[i].sil, B_SIL[i]);
        assert_int_equal(bd[i].neighbour, B_NEIGHBOUR[i]);
        ASSERT_CLOSE(bd[i].d_own, B_D_OWN[i]);
        ASSERT_CLOSE(bd[i].d_next, B_D_NEXT[i]);
        assert_int_equal(bd[i].next, B_NEXT[i]);
        ASSERT_CLOSE(bd[i].ratio, B_D_OWN[i] / B_D_NEXT[i]);
        assert_int_equal(bd[i].singleton, 0);
        assert_int_equal(bd[i].on_boundary, B_SIL[i] < 0.1);
        flagged += (size_t)bd[i].on_boundary;
    }
    /* Six of R's widths above are below 0.1 (units 3, 6, 7, 20, 23, 27, 1-based). */
    assert_int_equal(flagged, 6);

    double zA[NA * PA];
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_int_equal(cluster_boundary(zA, NA, PA, A_CUT3, 3, CLUSTER_BOUNDARY_SIL, bd),
                     CLUSTER_OK);
    for (size_t i = 0; i < NA; i++) {
        ASSERT_CLOSE(bd[i].d_own, A_D_OWN[i]);
        ASSERT_CLOSE(bd[i].d_next, A_D_NEXT[i]);
        assert_int_equal(bd[i].next, A_NEXT[i]);
        assert_int_equal(bd[i].on_boundary, 0);   /* well separated: nobody */
    }

    /* Singletons are not «on the boundary» though their s is 0. DUP cut at 4: units
     * 5 and 6 are alone. */
    assert_int_equal(cluster_boundary(DUP, NDUP, 2, DUP_CUT4, 4, CLUSTER_BOUNDARY_SIL, bd),
                     CLUSTER_OK);
    for (size_t i = 0; i < NDUP; i++) {
        assert_int_equal(bd[i].singleton, i >= 5);
        assert_int_equal(bd[i].on_boundary, 0);
    }
    /* Hand: unit 5 at (5,5) is its own centroid; the nearest other is (5,6). */
    assert_true(bd[5].d_own == 0.0);
    ASSERT_CLOSE(bd[5].d_next, 1.0);
    assert_int_equal(bd[5].next, 3);
    assert_true(bd[5].ratio == 0.0);

    assert_int_equal(cluster_boundary(DUP, NDUP, 2, DUP_CUT4, 4, NAN, bd), CLUSTER_EINPUT);
}

static void test_profile_vs_r(void **state)
{
    (void)state;
    double zA[NA * PA], zB[NB * PB], mean[3 * PB];
    size_t size[3];
    assert_int_equal(cluster_scale(A, NA, PA, zA, NULL, NULL, NULL, NULL), CLUSTER_OK);
    assert_int_equal(cluster_scale(B, NB, PB, zB, NULL, NULL, NULL, NULL), CLUSTER_OK);
    /* R: aggregate(x, list(cutree(h, 3)), mean) and the same of z. */
    assert_int_equal(cluster_profile(A, NA, PA, A_CUT3, 3, mean, size), CLUSTER_OK);
    ASSERT_ALL_CLOSE(mean, A_PROF_RAW, 3 * PA);
    assert_int_equal(size[0], 8);
    assert_int_equal(size[1], 8);
    assert_int_equal(size[2], 8);
    assert_int_equal(cluster_profile(zA, NA, PA, A_CUT3, 3, mean, NULL), CLUSTER_OK);
    ASSERT_ALL_CLOSE(mean, A_PROF_Z, 3 * PA);
    assert_int_equal(cluster_profile(B, NB, PB, B_CUT3, 3, mean, size), CLUSTER_OK);
    ASSERT_ALL_CLOSE(mean, B_PROF_RAW, 3 * PB);
    assert_int_equal(size[0] + size[1] + size[2], NB);
    assert_int_equal(cluster_profile(zB, NB, PB, B_CUT3, 3, mean, NULL), CLUSTER_OK);
    ASSERT_ALL_CLOSE(mean, B_PROF_Z, 3 * PB);
    /* The k-means centres of a partition are its z profile. */
    /* An empty cluster: size 0, NaN means; a label >= k is refused. */
    const double x[3] = {1, 2, 3};
    const size_t lab[3] = {0, 0, 2};
    assert_int_equal(cluster_profile(x, 3, 1, lab, 3, mean, size), CLUSTER_OK);
    ASSERT_CLOSE(mean[0], 1.5);
    assert_true(isnan(mean[1]));
    assert_int_equal(size[1], 0);
    ASSERT_CLOSE(mean[2], 3.0);
    assert_int_equal(cluster_profile(x, 3, 1, lab, 2, mean, size), CLUSTER_EINPUT);
}

/* --- adjusted Rand index ------------------------------------------------------------------- */

static void test_ari(void **state)
{
    (void)state;
    double ari;
    /* Hand: table {2 | 1 1}; Σ C(n_ij, 2) = 1, rows 1 + 1 = 2, columns 1, C(4, 2) = 6;
     * expected 2·1/6 = 1/3, max 3/2: (1 - 1/3)/(3/2 - 1/3) = 4/7. R: 0.571428571428572 */
    const size_t a[4] = {0, 0, 1, 1}, b[4] = {0, 0, 1, 2};
    assert_int_equal(cluster_ari(a, b, 4, &ari), CLUSTER_OK);
    ASSERT_CLOSE(ari, 4.0 / 7.0);
    assert_int_equal(cluster_ari(b, a, 4, &ari), CLUSTER_OK);   /* symmetric */
    ASSERT_CLOSE(ari, 4.0 / 7.0);
    /* Hand: index 1, rows 3, columns 3, C(6, 2) = 15: (1 - 0.6)/(3 - 0.6) = 1/6. */
    const size_t c[6] = {0, 0, 1, 1, 2, 2}, d[6] = {0, 1, 0, 1, 2, 2};
    assert_int_equal(cluster_ari(c, d, 6, &ari), CLUSTER_OK);
    ASSERT_CLOSE(ari, 0.166666666666667);
    /* One cluster against two: 0 (hand and R). */
    const size_t one[4] = {0, 0, 0, 0};
    assert_int_equal(cluster_ari(one, a, 4, &ari), CLUSTER_OK);
    assert_true(fabs(ari) < 1e-15);
    /* The same partition under any numbering: 1. */
    const size_t e[6] = {5, 5, 3, 3, 0, 0};
    assert_int_equal(cluster_ari(c, e, 6, &ari), CLUSTER_OK);
    assert_true(ari == 1.0);
    /* 0/0: both a single cluster, both all singletons. */
    const size_t s1[4] = {0, 1, 2, 3}, s2[4] = {3, 2, 1, 0};
    assert_int_equal(cluster_ari(one, one, 4, &ari), CLUSTER_EDEGENERATE);
    assert_int_equal(cluster_ari(s1, s2, 4, &ari), CLUSTER_EDEGENERATE);
    /* A label >= n, n < 2. */
    const size_t big[4] = {0, 0, 4, 1};
    assert_int_equal(cluster_ari(big, a, 4, &ari), CLUSTER_EINPUT);
    assert_int_equal(cluster_ari(a, b, 1, &ari), CLUSTER_EINPUT);
}

/* --- recovery of planted groups -------------------------------------------------------------- */

/* G groups of M units in P dimensions around centres 8 apart on each axis (one
 * group per corner of a simplex), unit noise, from a fixed GSL seed; then shuffled
 * so that the groups are not in blocks. */
#define G 4
#define M 30
#define P 5
static void planted(double *x, size_t *truth)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 12345);
    size_t order[G * M];
    for (size_t i = 0; i < G * M; i++)
        order[i] = i;
    gsl_ran_shuffle(r, order, G * M, sizeof *order);
    for (size_t i = 0; i < G * M; i++) {
        size_t g = order[i] / M;
        truth[i] = g;
        for (size_t j = 0; j < P; j++)
            x[i * P + j] = (j == g ? 8.0 : 0.0) + gsl_ran_gaussian(r, 1.0);
    }
    gsl_rng_free(r);
}

static void test_recovery(void **state)
{
    (void)state;
    double x[G * M * P], z[G * M * P], ari, ms[9];
    size_t truth[G * M], label[G * M], k;
    planted(x, truth);
    assert_int_equal(cluster_scale(x, G * M, P, z, NULL, NULL, NULL, NULL), CLUSTER_OK);

    struct cluster_kmeans km;
    struct cluster_kmeans_opts o = {.seed = 99, .nstart = 10};
    assert_int_equal(cluster_kmeans(z, G * M, P, G, &o, &km), CLUSTER_OK);
    assert_int_equal(cluster_ari(km.label, truth, G * M, &ari), CLUSTER_OK);
    assert_true(ari == 1.0);
    for (size_t c = 0; c < G; c++)
        assert_int_equal(km.size[c], M);
    cluster_kmeans_free(&km);

    struct cluster_tree t;
    assert_int_equal(cluster_ward(z, G * M, P, &t), CLUSTER_OK);
    assert_int_equal(cluster_cut(&t, G, label), CLUSTER_OK);
    assert_int_equal(cluster_ari(label, truth, G * M, &ari), CLUSTER_OK);
    assert_true(ari == 1.0);
    /* The planted partition, canonically numbered, is what both give. */
    size_t canon[G * M];
    assert_int_equal(cluster_relabel(truth, G * M, G, canon, NULL), CLUSTER_OK);
    ASSERT_LABELS(label, canon, G * M);
    cluster_tree_free(&t);

    assert_int_equal(cluster_choose_k(z, G * M, P, 8, CLUSTER_WARD, NULL, ms, &k), CLUSTER_OK);
    assert_int_equal(k, G);
    assert_int_equal(cluster_choose_k(z, G * M, P, 8, CLUSTER_KMEANS, &o, ms, &k),
                     CLUSTER_OK);
    assert_int_equal(k, G);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rc_names),
        cmocka_unit_test(test_scale_vs_r),
        cmocka_unit_test(test_scale_refusals),
        cmocka_unit_test(test_missing_rows),
        cmocka_unit_test(test_relabel),
        cmocka_unit_test(test_kmeans_lloyd_vs_r),
        cmocka_unit_test(test_kmeans_pp),
        cmocka_unit_test(test_kmeans_determinism),
        cmocka_unit_test(test_kmeans_degenerate),
        cmocka_unit_test(test_kmeans_empty_cluster),
        cmocka_unit_test(test_ward_vs_r),
        cmocka_unit_test(test_ward_degenerate),
        cmocka_unit_test(test_silhouette_vs_r),
        cmocka_unit_test(test_choose_k),
        cmocka_unit_test(test_boundary_vs_r),
        cmocka_unit_test(test_profile_vs_r),
        cmocka_unit_test(test_ari),
        cmocka_unit_test(test_recovery),
    };
    return cmocka_run_group_tests_name("cluster", tests, setup, NULL);
}
