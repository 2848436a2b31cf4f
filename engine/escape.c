/*
 * escape.c — escaping of user strings, one function per output language (escape.h).
 *
 * Every escaper walks the string one code point at a time through u8next(), which
 * turns a malformed sequence into U+FFFD, so that the bytes the escaper passes
 * through unchanged are always whole, valid UTF-8 characters.
 */
#include "escape.h"

#include <stdlib.h>
#include <string.h>

static const char REPLACEMENT[] = "\xEF\xBF\xBD";   /* U+FFFD */

/* Length of the valid UTF-8 character at s (1..4), or 0 when the bytes at s are not
 * one (a stray continuation byte, an overlong form, a surrogate, a cut sequence). */
static size_t u8len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;    /* also stops at the NUL */
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Appends the character at *p (or U+FFFD for a bad byte) unless it is ASCII, in
 * which case it is returned for the caller to handle (-1 when already appended).
 * Advances *p. */
static int u8next(struct sbuf *b, const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    size_t n = u8len(s);
    if (n == 1) {
        (*p)++;
        return s[0];
    }
    if (n == 0) {
        sbuf_adds(b, REPLACEMENT);
        (*p)++;
        return -1;
    }
    sbuf_add(b, *p, n);
    *p += n;
    return -1;
}

static void ensure(struct sbuf *b)
{
    /* an empty input still gives a NUL-terminated (empty) buffer */
    if (!b->s) sbuf_add(b, "", 0);
}

void esc_html(struct sbuf *b, const char *s)
{
    ensure(b);
    while (*s) {
        int c = u8next(b, &s);
        switch (c) {
        case -1: break;
        case '&': sbuf_adds(b, "&amp;"); break;
        case '<': sbuf_adds(b, "&lt;"); break;
        case '>': sbuf_adds(b, "&gt;"); break;
        case '"': sbuf_adds(b, "&quot;"); break;
        case '\'': sbuf_adds(b, "&#39;"); break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n') c = ' ';
            if (c == 0x7F) c = ' ';
            sbuf_addc(b, (char)c);
        }
    }
}

void esc_md(struct sbuf *b, const char *s)
{
    ensure(b);
    /* at the start a text could open a block: a heading, list item, quote, or an
       ordered-list number ("1." / "1)") */
    const char *begin = s;
    size_t digits = strspn(s, "0123456789");
    int start = 1;
    while (*s) {
        int c = u8next(b, &s);
        int first = start;
        start = 0;
        if (c < 0) continue;
        if (c < 0x20 || c == 0x7F) {
            sbuf_addc(b, ' ');
            continue;
        }
        if (strchr("\\`*_[]<>|~&$", c) || (first && strchr("-+#>=", c)) ||
            (digits && (c == '.' || c == ')') && s - 1 == begin + digits) ||
            (c == '!' && *s == '['))
            sbuf_addc(b, '\\');
        sbuf_addc(b, (char)c);
    }
}

/* A number as soko writes it in CSV: optional sign, digits, optional .digits,
 * optional exponent. Such a field never gets the formula guard. */
static int is_number(const char *s)
{
    if (*s == '-' || *s == '+') s++;
    int digits = 0;
    while (*s >= '0' && *s <= '9') s++, digits++;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') s++, digits++;
    }
    if (!digits) return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+') s++;
        if (!(*s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    return *s == '\0';
}

void esc_csv(struct sbuf *b, const char *s)
{
    ensure(b);
    size_t len = strlen(s);
    int guard = (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                 s[0] == '\r') && !is_number(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (len && (s[0] == ' ' || s[len - 1] == ' '));
    if (quote) sbuf_addc(b, '"');
    if (guard) sbuf_addc(b, '\'');
    while (*s) {
        int c = u8next(b, &s);
        if (c < 0) continue;
        if (c == '"') sbuf_addc(b, '"');
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) c = ' ';
        sbuf_addc(b, (char)c);
    }
    if (quote) sbuf_addc(b, '"');
}

void esc_csv_field(struct sbuf *b, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        sbuf_adds(b, s);
        return;
    }
    sbuf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"') sbuf_addc(b, '"');
        sbuf_addc(b, *s);
    }
    sbuf_addc(b, '"');
}

void esc_json(struct sbuf *b, const char *s)
{
    sbuf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') sbuf_printf(b, "\\%c", *p);
        else if (*p == '\n') sbuf_adds(b, "\\n");
        else if (*p == '\t') sbuf_adds(b, "\\t");
        else if (*p == '\r') sbuf_adds(b, "\\r");
        else if (*p < 0x20) sbuf_printf(b, "\\u%04x", *p);
        else sbuf_addc(b, (char)*p);
    }
    sbuf_addc(b, '"');
}

void esc_gnuplot(struct sbuf *b, const char *s)
{
    ensure(b);
    sbuf_addc(b, '\'');
    while (*s) {
        int c = u8next(b, &s);
        if (c < 0) continue;
        if (c < 0x20 || c == 0x7F) c = ' ';
        if (c == '\'') sbuf_addc(b, '\'');
        sbuf_addc(b, (char)c);
    }
    sbuf_addc(b, '\'');
}

void esc_xlsx(struct sbuf *b, const char *s)
{
    ensure(b);
    size_t chars = 0;
    while (*s && chars < 32767) {
        int c = u8next(b, &s);
        chars++;
        if (c < 0) continue;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) c = ' ';
        sbuf_addc(b, (char)c);
    }
}

/* The bidirectional formatting characters (all three bytes long in UTF-8, but for
 * U+061C): overrides, embeddings, isolates and the marks. */
static int is_bidi(const unsigned char *s, size_t n)
{
    if (n == 2) return s[0] == 0xD8 && s[1] == 0x9C;                     /* U+061C */
    if (n != 3 || s[0] != 0xE2) return 0;
    if (s[1] == 0x80) return s[2] == 0x8E || s[2] == 0x8F ||              /* U+200E/F */
                             (s[2] >= 0xAA && s[2] <= 0xAE);             /* U+202A..E */
    if (s[1] == 0x81) return s[2] >= 0xA6 && s[2] <= 0xA9;                /* U+2066..9 */
    return 0;
}

void esc_term(struct sbuf *b, const char *s)
{
    ensure(b);
    while (*s) {
        const unsigned char *u = (const unsigned char *)s;
        size_t n = u8len(u);
        if (n >= 2) {
            /* C1 controls are U+0080..U+009F: C2 80..C2 9F */
            if ((n == 2 && u[0] == 0xC2 && u[1] < 0xA0) || is_bidi(u, n))
                sbuf_adds(b, REPLACEMENT);
            else
                sbuf_add(b, s, n);
            s += n;
            continue;
        }
        int c = u8next(b, &s);
        if (c < 0) continue;
        if (c == '\t' || c == '\n' || c == '\r') sbuf_addc(b, ' ');
        else if (c < 0x20 || c == 0x7F) sbuf_adds(b, REPLACEMENT);
        else sbuf_addc(b, (char)c);
    }
}

#define DUP(name)                                   \
    char *name##_dup(const char *s)                 \
    {                                               \
        struct sbuf b = SBUF_INIT;                  \
        name(&b, s);                                \
        return sbuf_take(&b);                       \
    }
DUP(esc_html)
DUP(esc_md)
DUP(esc_csv)
DUP(esc_gnuplot)
DUP(esc_xlsx)
DUP(esc_term)

char *esc_xlsx_sheet(const char *s, const char *fallback)
{
    struct sbuf b = SBUF_INIT;
    size_t chars = 0;
    ensure(&b);
    while (*s && chars < 31) {
        size_t before = b.len;
        int c = u8next(&b, &s);
        chars++;
        if (c < 0) continue;
        if (c < 0x20 || c == 0x7F || strchr("[]:*?/\\", c)) c = ' ';
        if (c == '\'' && before == 0) c = ' ';
        sbuf_addc(&b, (char)c);
    }
    while (b.len && (b.s[b.len - 1] == '\'' || b.s[b.len - 1] == ' ')) b.s[--b.len] = '\0';
    size_t lead = 0;
    while (lead < b.len && b.s[lead] == ' ') lead++;
    if (lead == b.len) {
        sbuf_free(&b);
        return esc_xlsx_sheet(fallback && *fallback ? fallback : "Лист", "Лист");
    }
    char *r = xstrdup(b.s + lead);
    sbuf_free(&b);
    return r;
}

char *esc_filename(const char *s)
{
    struct sbuf b = SBUF_INIT;
    for (; *s && b.len < 60; s++) {
        unsigned char c = (unsigned char)*s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        if (ok) sbuf_addc(&b, (char)c);
        else if ((c & 0xC0) != 0x80) sbuf_addc(&b, '_');   /* one '_' per character */
    }
    if (b.len == 0) sbuf_adds(&b, "x");
    return sbuf_take(&b);
}

/* ==== CSV for Russian Excel ============================================================ */

void esc_csv_excel(struct sbuf *b, const char *s)
{
    ensure(b);
    size_t len = strlen(s);
    /* a number with a decimal comma is a number too */
    char *dot = xstrdup(s);
    for (char *p = dot; *p; p++)
        if (*p == ',') *p = '.';
    int guard = (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                 s[0] == '\r') && !is_number(s) && !is_number(dot);
    free(dot);
    int quote = strpbrk(s, ";\"\r\n") != NULL || (len && (s[0] == ' ' || s[len - 1] == ' '));
    if (quote) sbuf_addc(b, '"');
    if (guard) sbuf_addc(b, '\'');
    while (*s) {
        int c = u8next(b, &s);
        if (c < 0) continue;
        if (c == '"') sbuf_addc(b, '"');
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) c = ' ';
        sbuf_addc(b, (char)c);
    }
    if (quote) sbuf_addc(b, '"');
}

/* ==== transliteration ================================================================== */

/* ГОСТ 7.79-2000, system B, for file names: the letters with ` or ' in the standard
 * (ъ, ь, ы, э) lose the mark, since neither may stand in a portable file name. */
static const char *const translit_lower[33] = {
    "a", "b", "v", "g", "d", "e", "zh", "z", "i", "j", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "f", "x", "cz", "ch", "sh", "shh", "", "y", "", "e", "yu", "ya",
    "yo"};

char *esc_translit(const char *s)
{
    struct sbuf b = SBUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && b.len < 60) {
        unsigned cp = 0;
        size_t k = 1;
        if (p[0] < 0x80) cp = p[0];
        else if ((p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
            cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
            k = 2;
        } else {
            cp = 0xFFFD;
            while (p[k] && (p[k] & 0xC0) == 0x80) k++;
        }
        const char *t = NULL;
        int upper = 0;
        if (cp >= 0x410 && cp <= 0x42F) { t = translit_lower[cp - 0x410]; upper = 1; }
        else if (cp >= 0x430 && cp <= 0x44F) t = translit_lower[cp - 0x430];
        else if (cp == 0x401) { t = "yo"; upper = 1; }
        else if (cp == 0x451) t = "yo";
        if (t) {
            for (size_t i = 0; t[i]; i++) {
                char c = t[i];
                if (upper && i == 0 && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
                sbuf_addc(&b, c);
            }
        } else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                   (cp >= '0' && cp <= '9') || cp == '-' || cp == '_') {
            sbuf_addc(&b, (char)cp);
        } else {
            sbuf_addc(&b, '_');
        }
        p += k;
    }
    if (b.len == 0) sbuf_adds(&b, "x");
    return sbuf_take(&b);
}
