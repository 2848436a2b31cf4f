/*
 * text.c — normalisation, scripts and look-alikes of cell text (contract in text.h).
 */
#include "text.h"

#include <string.h>

/* ------------------------------------------------------------ code points */

size_t text_next(const char *str, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *cp = (uint32_t)(c & 0x1F) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if ((c & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    if ((c & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        *cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
              (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
        return 4;
    }
    *cp = c;
    return 1;
}

static size_t encode(uint32_t cp, char *o)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void text_put(struct sbuf *b, uint32_t cp)
{
    char o[4];
    sbuf_add(b, o, encode(cp, o));
}

uint32_t text_lower(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;     /* Latin-1 */
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;                  /* А-Я */
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;                  /* Ѐ-Џ, Ё */
    return cp;
}

int text_script(uint32_t cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) return 'L';
    if (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) return 'L';
    if (cp >= 0x400 && cp <= 0x52F && !(cp >= 0x482 && cp <= 0x489)) return 'C';
    return 0;
}

static int is_digit(uint32_t cp) { return cp >= '0' && cp <= '9'; }
static int is_word_char(uint32_t cp) { return text_script(cp) || is_digit(cp); }

/* ------------------------------------------------------------ composition */

struct compose { uint16_t base, mark, to; };
/* generated from Unicode 14.0.0 by scripts/gen_nfc.py: 304 pairs */
static const struct compose nfc[] = {
    {0x0041, 0x0300, 0x00C0}, {0x0041, 0x0301, 0x00C1}, {0x0041, 0x0302, 0x00C2},
    {0x0041, 0x0303, 0x00C3}, {0x0041, 0x0304, 0x0100}, {0x0041, 0x0306, 0x0102},
    {0x0041, 0x0307, 0x0226}, {0x0041, 0x0308, 0x00C4}, {0x0041, 0x030A, 0x00C5},
    {0x0041, 0x030C, 0x01CD}, {0x0041, 0x030F, 0x0200}, {0x0041, 0x0311, 0x0202},
    {0x0041, 0x0328, 0x0104}, {0x0043, 0x0301, 0x0106}, {0x0043, 0x0302, 0x0108},
    {0x0043, 0x0307, 0x010A}, {0x0043, 0x030C, 0x010C}, {0x0043, 0x0327, 0x00C7},
    {0x0044, 0x030C, 0x010E}, {0x0045, 0x0300, 0x00C8}, {0x0045, 0x0301, 0x00C9},
    {0x0045, 0x0302, 0x00CA}, {0x0045, 0x0304, 0x0112}, {0x0045, 0x0306, 0x0114},
    {0x0045, 0x0307, 0x0116}, {0x0045, 0x0308, 0x00CB}, {0x0045, 0x030C, 0x011A},
    {0x0045, 0x030F, 0x0204}, {0x0045, 0x0311, 0x0206}, {0x0045, 0x0327, 0x0228},
    {0x0045, 0x0328, 0x0118}, {0x0047, 0x0301, 0x01F4}, {0x0047, 0x0302, 0x011C},
    {0x0047, 0x0306, 0x011E}, {0x0047, 0x0307, 0x0120}, {0x0047, 0x030C, 0x01E6},
    {0x0047, 0x0327, 0x0122}, {0x0048, 0x0302, 0x0124}, {0x0048, 0x030C, 0x021E},
    {0x0049, 0x0300, 0x00CC}, {0x0049, 0x0301, 0x00CD}, {0x0049, 0x0302, 0x00CE},
    {0x0049, 0x0303, 0x0128}, {0x0049, 0x0304, 0x012A}, {0x0049, 0x0306, 0x012C},
    {0x0049, 0x0307, 0x0130}, {0x0049, 0x0308, 0x00CF}, {0x0049, 0x030C, 0x01CF},
    {0x0049, 0x030F, 0x0208}, {0x0049, 0x0311, 0x020A}, {0x0049, 0x0328, 0x012E},
    {0x004A, 0x0302, 0x0134}, {0x004B, 0x030C, 0x01E8}, {0x004B, 0x0327, 0x0136},
    {0x004C, 0x0301, 0x0139}, {0x004C, 0x030C, 0x013D}, {0x004C, 0x0327, 0x013B},
    {0x004E, 0x0300, 0x01F8}, {0x004E, 0x0301, 0x0143}, {0x004E, 0x0303, 0x00D1},
    {0x004E, 0x030C, 0x0147}, {0x004E, 0x0327, 0x0145}, {0x004F, 0x0300, 0x00D2},
    {0x004F, 0x0301, 0x00D3}, {0x004F, 0x0302, 0x00D4}, {0x004F, 0x0303, 0x00D5},
    {0x004F, 0x0304, 0x014C}, {0x004F, 0x0306, 0x014E}, {0x004F, 0x0307, 0x022E},
    {0x004F, 0x0308, 0x00D6}, {0x004F, 0x030B, 0x0150}, {0x004F, 0x030C, 0x01D1},
    {0x004F, 0x030F, 0x020C}, {0x004F, 0x0311, 0x020E}, {0x004F, 0x031B, 0x01A0},
    {0x004F, 0x0328, 0x01EA}, {0x0052, 0x0301, 0x0154}, {0x0052, 0x030C, 0x0158},
    {0x0052, 0x030F, 0x0210}, {0x0052, 0x0311, 0x0212}, {0x0052, 0x0327, 0x0156},
    {0x0053, 0x0301, 0x015A}, {0x0053, 0x0302, 0x015C}, {0x0053, 0x030C, 0x0160},
    {0x0053, 0x0326, 0x0218}, {0x0053, 0x0327, 0x015E}, {0x0054, 0x030C, 0x0164},
    {0x0054, 0x0326, 0x021A}, {0x0054, 0x0327, 0x0162}, {0x0055, 0x0300, 0x00D9},
    {0x0055, 0x0301, 0x00DA}, {0x0055, 0x0302, 0x00DB}, {0x0055, 0x0303, 0x0168},
    {0x0055, 0x0304, 0x016A}, {0x0055, 0x0306, 0x016C}, {0x0055, 0x0308, 0x00DC},
    {0x0055, 0x030A, 0x016E}, {0x0055, 0x030B, 0x0170}, {0x0055, 0x030C, 0x01D3},
    {0x0055, 0x030F, 0x0214}, {0x0055, 0x0311, 0x0216}, {0x0055, 0x031B, 0x01AF},
    {0x0055, 0x0328, 0x0172}, {0x0057, 0x0302, 0x0174}, {0x0059, 0x0301, 0x00DD},
    {0x0059, 0x0302, 0x0176}, {0x0059, 0x0304, 0x0232}, {0x0059, 0x0308, 0x0178},
    {0x005A, 0x0301, 0x0179}, {0x005A, 0x0307, 0x017B}, {0x005A, 0x030C, 0x017D},
    {0x0061, 0x0300, 0x00E0}, {0x0061, 0x0301, 0x00E1}, {0x0061, 0x0302, 0x00E2},
    {0x0061, 0x0303, 0x00E3}, {0x0061, 0x0304, 0x0101}, {0x0061, 0x0306, 0x0103},
    {0x0061, 0x0307, 0x0227}, {0x0061, 0x0308, 0x00E4}, {0x0061, 0x030A, 0x00E5},
    {0x0061, 0x030C, 0x01CE}, {0x0061, 0x030F, 0x0201}, {0x0061, 0x0311, 0x0203},
    {0x0061, 0x0328, 0x0105}, {0x0063, 0x0301, 0x0107}, {0x0063, 0x0302, 0x0109},
    {0x0063, 0x0307, 0x010B}, {0x0063, 0x030C, 0x010D}, {0x0063, 0x0327, 0x00E7},
    {0x0064, 0x030C, 0x010F}, {0x0065, 0x0300, 0x00E8}, {0x0065, 0x0301, 0x00E9},
    {0x0065, 0x0302, 0x00EA}, {0x0065, 0x0304, 0x0113}, {0x0065, 0x0306, 0x0115},
    {0x0065, 0x0307, 0x0117}, {0x0065, 0x0308, 0x00EB}, {0x0065, 0x030C, 0x011B},
    {0x0065, 0x030F, 0x0205}, {0x0065, 0x0311, 0x0207}, {0x0065, 0x0327, 0x0229},
    {0x0065, 0x0328, 0x0119}, {0x0067, 0x0301, 0x01F5}, {0x0067, 0x0302, 0x011D},
    {0x0067, 0x0306, 0x011F}, {0x0067, 0x0307, 0x0121}, {0x0067, 0x030C, 0x01E7},
    {0x0067, 0x0327, 0x0123}, {0x0068, 0x0302, 0x0125}, {0x0068, 0x030C, 0x021F},
    {0x0069, 0x0300, 0x00EC}, {0x0069, 0x0301, 0x00ED}, {0x0069, 0x0302, 0x00EE},
    {0x0069, 0x0303, 0x0129}, {0x0069, 0x0304, 0x012B}, {0x0069, 0x0306, 0x012D},
    {0x0069, 0x0308, 0x00EF}, {0x0069, 0x030C, 0x01D0}, {0x0069, 0x030F, 0x0209},
    {0x0069, 0x0311, 0x020B}, {0x0069, 0x0328, 0x012F}, {0x006A, 0x0302, 0x0135},
    {0x006A, 0x030C, 0x01F0}, {0x006B, 0x030C, 0x01E9}, {0x006B, 0x0327, 0x0137},
    {0x006C, 0x0301, 0x013A}, {0x006C, 0x030C, 0x013E}, {0x006C, 0x0327, 0x013C},
    {0x006E, 0x0300, 0x01F9}, {0x006E, 0x0301, 0x0144}, {0x006E, 0x0303, 0x00F1},
    {0x006E, 0x030C, 0x0148}, {0x006E, 0x0327, 0x0146}, {0x006F, 0x0300, 0x00F2},
    {0x006F, 0x0301, 0x00F3}, {0x006F, 0x0302, 0x00F4}, {0x006F, 0x0303, 0x00F5},
    {0x006F, 0x0304, 0x014D}, {0x006F, 0x0306, 0x014F}, {0x006F, 0x0307, 0x022F},
    {0x006F, 0x0308, 0x00F6}, {0x006F, 0x030B, 0x0151}, {0x006F, 0x030C, 0x01D2},
    {0x006F, 0x030F, 0x020D}, {0x006F, 0x0311, 0x020F}, {0x006F, 0x031B, 0x01A1},
    {0x006F, 0x0328, 0x01EB}, {0x0072, 0x0301, 0x0155}, {0x0072, 0x030C, 0x0159},
    {0x0072, 0x030F, 0x0211}, {0x0072, 0x0311, 0x0213}, {0x0072, 0x0327, 0x0157},
    {0x0073, 0x0301, 0x015B}, {0x0073, 0x0302, 0x015D}, {0x0073, 0x030C, 0x0161},
    {0x0073, 0x0326, 0x0219}, {0x0073, 0x0327, 0x015F}, {0x0074, 0x030C, 0x0165},
    {0x0074, 0x0326, 0x021B}, {0x0074, 0x0327, 0x0163}, {0x0075, 0x0300, 0x00F9},
    {0x0075, 0x0301, 0x00FA}, {0x0075, 0x0302, 0x00FB}, {0x0075, 0x0303, 0x0169},
    {0x0075, 0x0304, 0x016B}, {0x0075, 0x0306, 0x016D}, {0x0075, 0x0308, 0x00FC},
    {0x0075, 0x030A, 0x016F}, {0x0075, 0x030B, 0x0171}, {0x0075, 0x030C, 0x01D4},
    {0x0075, 0x030F, 0x0215}, {0x0075, 0x0311, 0x0217}, {0x0075, 0x031B, 0x01B0},
    {0x0075, 0x0328, 0x0173}, {0x0077, 0x0302, 0x0175}, {0x0079, 0x0301, 0x00FD},
    {0x0079, 0x0302, 0x0177}, {0x0079, 0x0304, 0x0233}, {0x0079, 0x0308, 0x00FF},
    {0x007A, 0x0301, 0x017A}, {0x007A, 0x0307, 0x017C}, {0x007A, 0x030C, 0x017E},
    {0x00C4, 0x0304, 0x01DE}, {0x00C5, 0x0301, 0x01FA}, {0x00C6, 0x0301, 0x01FC},
    {0x00C6, 0x0304, 0x01E2}, {0x00D5, 0x0304, 0x022C}, {0x00D6, 0x0304, 0x022A},
    {0x00D8, 0x0301, 0x01FE}, {0x00DC, 0x0300, 0x01DB}, {0x00DC, 0x0301, 0x01D7},
    {0x00DC, 0x0304, 0x01D5}, {0x00DC, 0x030C, 0x01D9}, {0x00E4, 0x0304, 0x01DF},
    {0x00E5, 0x0301, 0x01FB}, {0x00E6, 0x0301, 0x01FD}, {0x00E6, 0x0304, 0x01E3},
    {0x00F5, 0x0304, 0x022D}, {0x00F6, 0x0304, 0x022B}, {0x00F8, 0x0301, 0x01FF},
    {0x00FC, 0x0300, 0x01DC}, {0x00FC, 0x0301, 0x01D8}, {0x00FC, 0x0304, 0x01D6},
    {0x00FC, 0x030C, 0x01DA}, {0x01B7, 0x030C, 0x01EE}, {0x01EA, 0x0304, 0x01EC},
    {0x01EB, 0x0304, 0x01ED}, {0x0226, 0x0304, 0x01E0}, {0x0227, 0x0304, 0x01E1},
    {0x022E, 0x0304, 0x0230}, {0x022F, 0x0304, 0x0231}, {0x0292, 0x030C, 0x01EF},
    {0x0406, 0x0308, 0x0407}, {0x0410, 0x0306, 0x04D0}, {0x0410, 0x0308, 0x04D2},
    {0x0413, 0x0301, 0x0403}, {0x0415, 0x0300, 0x0400}, {0x0415, 0x0306, 0x04D6},
    {0x0415, 0x0308, 0x0401}, {0x0416, 0x0306, 0x04C1}, {0x0416, 0x0308, 0x04DC},
    {0x0417, 0x0308, 0x04DE}, {0x0418, 0x0300, 0x040D}, {0x0418, 0x0304, 0x04E2},
    {0x0418, 0x0306, 0x0419}, {0x0418, 0x0308, 0x04E4}, {0x041A, 0x0301, 0x040C},
    {0x041E, 0x0308, 0x04E6}, {0x0423, 0x0304, 0x04EE}, {0x0423, 0x0306, 0x040E},
    {0x0423, 0x0308, 0x04F0}, {0x0423, 0x030B, 0x04F2}, {0x0427, 0x0308, 0x04F4},
    {0x042B, 0x0308, 0x04F8}, {0x042D, 0x0308, 0x04EC}, {0x0430, 0x0306, 0x04D1},
    {0x0430, 0x0308, 0x04D3}, {0x0433, 0x0301, 0x0453}, {0x0435, 0x0300, 0x0450},
    {0x0435, 0x0306, 0x04D7}, {0x0435, 0x0308, 0x0451}, {0x0436, 0x0306, 0x04C2},
    {0x0436, 0x0308, 0x04DD}, {0x0437, 0x0308, 0x04DF}, {0x0438, 0x0300, 0x045D},
    {0x0438, 0x0304, 0x04E3}, {0x0438, 0x0306, 0x0439}, {0x0438, 0x0308, 0x04E5},
    {0x043A, 0x0301, 0x045C}, {0x043E, 0x0308, 0x04E7}, {0x0443, 0x0304, 0x04EF},
    {0x0443, 0x0306, 0x045E}, {0x0443, 0x0308, 0x04F1}, {0x0443, 0x030B, 0x04F3},
    {0x0447, 0x0308, 0x04F5}, {0x044B, 0x0308, 0x04F9}, {0x044D, 0x0308, 0x04ED},
    {0x0456, 0x0308, 0x0457}, {0x0474, 0x030F, 0x0476}, {0x0475, 0x030F, 0x0477},
    {0x04D8, 0x0308, 0x04DA}, {0x04D9, 0x0308, 0x04DB}, {0x04E8, 0x0308, 0x04EA},
    {0x04E9, 0x0308, 0x04EB},
};

static uint32_t compose(uint32_t base, uint32_t mark)
{
    size_t lo = 0, hi = sizeof nfc / sizeof nfc[0];
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (nfc[m].base < base || (nfc[m].base == base && nfc[m].mark < mark)) lo = m + 1;
        else hi = m;
    }
    if (lo < sizeof nfc / sizeof nfc[0] && nfc[lo].base == base && nfc[lo].mark == mark)
        return nfc[lo].to;
    return 0;
}

static int is_zero_width(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0xAD;
}

static int is_space(uint32_t cp, int mode)
{
    if (cp == ' ' || cp == '\t' || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) ||
        cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0x1680)
        return 1;
    return mode == TEXT_ONE_LINE &&
           (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029 || cp == 0x0B || cp == 0x0C);
}

char *text_normalize(char *s, int mode)
{
    /* A quick pass: text with no byte that can start anything to change (TAB, the
     * lead bytes of NBSP and the soft hyphen C2, of combining marks CC/CD, of the
     * spaces and zero-width characters E1/E2/E3/EF; line breaks in one-line mode) and
     * no doubled, leading or trailing space is already normal: most cells, Cyrillic
     * ones included. */
    static const unsigned char special[256] = {
        ['\t'] = 3, ['\n'] = 2, ['\r'] = 2, [0x0B] = 2, [0x0C] = 2, [' '] = 4,
        [0xC2] = 3, [0xCC] = 3, [0xCD] = 3, [0xE1] = 3, [0xE2] = 3, [0xE3] = 3, [0xEF] = 3};
    const unsigned char mask = mode == TEXT_ONE_LINE ? 2 : 1;
    const unsigned char *q = (const unsigned char *)s;
    int plain = 1;
    for (size_t i = 0; q[i]; i++) {
        unsigned char k = special[q[i]];
        if (!k) continue;
        if ((k & mask) || (k == 4 && (i == 0 || q[i + 1] == ' ' || q[i + 1] == '\0'))) {
            plain = 0;
            break;
        }
    }
    if (plain) return s;

    char *r = s, *w = s;
    char *last = NULL;        /* where the last written code point starts */
    uint32_t last_cp = 0;
    int space = 0;
    while (*r) {
        uint32_t cp;
        size_t n = text_next(r, &cp);
        if (is_zero_width(cp)) { r += n; continue; }
        if (is_space(cp, mode)) { space = 1; r += n; continue; }
        if (cp >= 0x300 && cp <= 0x36F && last && !space) {
            uint32_t to = compose(last_cp, cp);
            if (to) {
                /* the composed letter is never longer than letter + mark */
                w = last;
                w += encode(to, w);
                last_cp = to;
                r += n;
                continue;
            }
            if ((cp == 0x301 || cp == 0x300) && text_script(last_cp) == 'C') {   /* stress */
                r += n;
                continue;
            }
        }
        if (space && w > s) *w++ = ' ';
        space = 0;
        last = w;
        last_cp = cp;
        memmove(w, r, n);
        w += n;
        r += n;
    }
    *w = '\0';
    return s;
}

/* -------------------------------------------------------------- look-alikes */

/* Latin and Cyrillic letters that look the same in the fonts of office documents. */
static const struct { uint16_t lat, cyr; } twins[] = {
    {'A', 0x410}, {'B', 0x412}, {'C', 0x421}, {'E', 0x415}, {'H', 0x41D}, {'I', 0x406},
    {'J', 0x408}, {'K', 0x41A}, {'M', 0x41C}, {'O', 0x41E}, {'P', 0x420}, {'S', 0x405},
    {'T', 0x422}, {'X', 0x425}, {'Y', 0x423}, {'a', 0x430}, {'c', 0x441}, {'e', 0x435},
    {'i', 0x456}, {'j', 0x458}, {'o', 0x43E}, {'p', 0x440}, {'s', 0x455}, {'x', 0x445},
    {'y', 0x443},
};

uint32_t text_twin(uint32_t cp)
{
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++) {
        if (twins[i].lat == cp) return twins[i].cyr;
        if (twins[i].cyr == cp) return twins[i].lat;
    }
    return 0;
}

void text_skeleton(const char *s, struct sbuf *out)
{
    sbuf_reset(out);
    sbuf_add(out, "", 0);
    while (*s) {
        uint32_t cp;
        size_t n = text_next(s, &cp);
        if (cp == 0x401) cp = 'E';
        else if (cp == 0x451) cp = 'e';
        else if (text_script(cp) == 'C' && text_twin(cp)) cp = text_twin(cp);
        else {
            sbuf_add(out, s, n);
            s += n;
            continue;
        }
        text_put(out, cp);
        s += n;
    }
}

int text_mixed_script(const char *s, struct text_mix *m, struct sbuf *fix)
{
    if (fix) sbuf_reset(fix);
    int found = 0, fixable = 1;
    const char *p = s;
    while (*p) {
        uint32_t cp;
        size_t n = text_next(p, &cp);
        if (!is_word_char(cp)) { p += n; continue; }
        /* a word: count its letters per script */
        const char *w0 = p;
        size_t nl = 0, nc = 0;
        while (*p) {
            n = text_next(p, &cp);
            if (!is_word_char(cp)) break;
            int sc = text_script(cp);
            nl += sc == 'L';
            nc += sc == 'C';
            p += n;
        }
        if (!nl || !nc) continue;
        int foreign = nl < nc ? 'L' : nc < nl ? 'C' : 0;
        long pos = 0;
        for (const char *q = w0; q < p; q += n) {
            n = text_next(q, &cp);
            pos++;
            int sc = text_script(cp);
            /* a tie: the letter whose script differs from the word's first letter */
            if (!foreign && sc) {
                uint32_t c0;
                text_next(w0, &c0);
                foreign = text_script(c0) == 'L' ? 'C' : 'L';
            }
            if (sc == foreign) {
                if (!found && m) {
                    m->off = (size_t)(q - s);
                    m->len = n;
                    m->pos = pos;
                    m->script = foreign;
                }
                found = 1;
                if (!text_twin(cp)) fixable = 0;
            }
        }
    }
    if (found && fix && fixable) {
        /* the same again, writing every word's foreign letters as their twins */
        p = s;
        while (*p) {
            uint32_t cp;
            size_t n = text_next(p, &cp);
            if (!is_word_char(cp)) { sbuf_add(fix, p, n); p += n; continue; }
            const char *w0 = p;
            size_t nl = 0, nc = 0;
            uint32_t c0 = 0;
            while (*p) {
                n = text_next(p, &cp);
                if (!is_word_char(cp)) break;
                int sc = text_script(cp);
                if (!c0 && sc) c0 = cp;
                nl += sc == 'L';
                nc += sc == 'C';
                p += n;
            }
            int foreign = !nl || !nc ? 0 : nl < nc ? 'L' : nc < nl ? 'C'
                                                   : (text_script(c0) == 'L' ? 'C' : 'L');
            for (const char *q = w0; q < p; q += n) {
                n = text_next(q, &cp);
                if (foreign && text_script(cp) == foreign) text_put(fix, text_twin(cp));
                else sbuf_add(fix, q, n);
            }
        }
    }
    return found;
}

int text_lookalike_variants(const char *s, int max_letters,
                            int (*cb)(void *ctx, const char *variant), void *ctx)
{
    enum { MAXV = 16 };
    size_t off[MAXV], len[MAXV];
    uint32_t alt[MAXV];
    int k = 0;
    if (max_letters > MAXV) max_letters = MAXV;
    for (const char *p = s; *p && k < max_letters;) {
        uint32_t cp;
        size_t n = text_next(p, &cp);
        uint32_t t = text_twin(cp);
        if (t) {
            off[k] = (size_t)(p - s);
            len[k] = n;
            alt[k] = t;
            k++;
        }
        p += n;
    }
    struct sbuf v = SBUF_INIT;
    int rc = 0;
    for (unsigned long mask = 1; mask < (1ul << k) && !rc; mask++) {
        sbuf_reset(&v);
        size_t at = 0;
        for (int i = 0; i < k; i++) {
            sbuf_add(&v, s + at, off[i] - at);
            if (mask & (1ul << i)) text_put(&v, alt[i]);
            else sbuf_add(&v, s + off[i], len[i]);
            at = off[i] + len[i];
        }
        sbuf_adds(&v, s + at);
        rc = cb(ctx, v.s);
    }
    sbuf_free(&v);
    return rc;
}

/* ----------------------------------------------------------------- distance */

static size_t decode_all(const char *s, uint32_t *out, size_t max)
{
    size_t n = 0;
    while (*s) {
        if (n == max) return max + 1;
        s += text_next(s, &out[n++]);
    }
    return n;
}

size_t text_distance(const char *a, const char *b)
{
    enum { MAXN = 128 };
    uint32_t x[MAXN], y[MAXN];
    size_t n = decode_all(a, x, MAXN), m = decode_all(b, y, MAXN);
    if (n > MAXN || m > MAXN) return SIZE_MAX / 2;
    size_t row[MAXN + 1];
    for (size_t j = 0; j <= m; j++) row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

/* -------------------------------------------------------------------- names */

static int ends_with(const uint32_t *w, size_t n, const char *suffix)
{
    uint32_t s[16];
    size_t k = decode_all(suffix, s, 16);
    if (k > n) return 0;
    for (size_t i = 0; i < k; i++)
        if (text_lower(w[n - k + i]) != s[i]) return 0;
    return 1;
}

static int is_upper(uint32_t cp) { return text_lower(cp) != cp; }

int text_looks_like_name(const char *s)
{
    enum { MAXW = 64 };
    uint32_t w[MAXW];
    size_t nw = 0;              /* letters in the current word */
    int words2 = 0;             /* words of two letters or more */
    int initials = 0;           /* single letters followed by a dot */
    int patronymic = 0, surname = 0, cyr = 1, capital = 1;
    int any = 0;
    const char *p = s;
    for (;;) {
        uint32_t cp = 0;
        size_t n = *p ? text_next(p, &cp) : 0;
        int letter = n && text_script(cp);
        if (n && !letter && cp != ' ' && cp != '-' && cp != '.' && cp != '\'' && cp != 0x2019)
            return 0;                                     /* a digit, '_', '#': a code */
        if (letter) {
            if (nw < MAXW) w[nw++] = cp;
            any = 1;
        } else if (nw) {
            /* a word ends */
            if (nw == 1 && cp == '.') initials++;
            if (nw >= 2) {
                words2++;
                if ((nw >= 5 && (ends_with(w, nw, "вич") || ends_with(w, nw, "вна") ||
                                 ends_with(w, nw, "ична"))) ||
                    ends_with(w, nw, "оглы") || ends_with(w, nw, "кызы"))
                    patronymic = 1;
                if (nw >= 5 && (ends_with(w, nw, "ов") || ends_with(w, nw, "ова") ||
                                ends_with(w, nw, "ев") || ends_with(w, nw, "ева") ||
                                ends_with(w, nw, "ёв") || ends_with(w, nw, "ёва") ||
                                ends_with(w, nw, "ин") || ends_with(w, nw, "ина") ||
                                ends_with(w, nw, "ын") || ends_with(w, nw, "ына") ||
                                ends_with(w, nw, "ский") || ends_with(w, nw, "ская") ||
                                ends_with(w, nw, "цкий") || ends_with(w, nw, "цкая") ||
                                ends_with(w, nw, "енко")))
                    surname = 1;
                for (size_t i = 0; i < nw; i++) {
                    if (text_script(w[i]) != 'C') cyr = 0;
                    if ((i == 0) != is_upper(w[i])) capital = 0;
                }
            }
            nw = 0;
        }
        if (!n) break;
        p += n;
    }
    if (!any) return 0;
    if (words2 >= 2 || patronymic) return 1;
    if (words2 == 1 && initials >= 1) return 1;
    return words2 == 1 && surname && cyr && capital;
}
