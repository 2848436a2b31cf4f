/*
 * sheet.c — what the spreadsheet readers share (sheet.h): detection by content, the
 * book and its sheets, messages, cell references, numbers and dates as text, and the
 * row reader that keeps rows dense, checks the bounds and fills merged ranges in the
 * header rows. The formats themselves are in sheet_xlsx.c and sheet_xls.c.
 */
#include "i18n.h"
#include "sheet_int.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ----------------------------------------------------------------- names */

const char *sheet_kind_name(enum sheet_kind k)
{
    switch (k) {
    case SHEET_KIND_XLSX: return "xlsx";
    case SHEET_KIND_XLS: return "xls";
    case SHEET_KIND_ENCRYPTED: return "encrypted";
    case SHEET_KIND_OLE_OTHER: return "ole2";
    case SHEET_KIND_NONE: break;
    }
    return "none";
}

const char *sheet_err_name(enum sheet_err e)
{
    switch (e) {
    case SHEET_ERR_NONE: return "none";
    case SHEET_ERR_IO: return "io";
    case SHEET_ERR_NOT_SHEET: return "not a spreadsheet";
    case SHEET_ERR_ENCRYPTED: return "encrypted";
    case SHEET_ERR_UNSUPPORTED: return "unsupported";
    case SHEET_ERR_CORRUPT: return "corrupt";
    case SHEET_ERR_MALFORMED: return "malformed";
    case SHEET_ERR_LIMIT: return "limit";
    case SHEET_ERR_NO_SHEET: return "no such sheet";
    case SHEET_ERR_CALLBACK: return "callback";
    }
    return "?";
}

/* -------------------------------------------------------------- messages */

static int vfail(const char *path, struct soko_diag *d, enum sheet_err e, const char *sheet,
                 long row, long col, const char *fmt, va_list ap)
{
    struct sbuf loc = SBUF_INIT;
    sbuf_adds(&loc, path);
    if (sheet) sbuf_printf(&loc, "[%s]", sheet);
    if (row > 0) sbuf_printf(&loc, ":%ld", row);
    char letters[8];
    if (row > 0 && col > 0 && sheet_col_letters(col, letters) == 0) sbuf_printf(&loc, ":%s", letters);
    soko_diag_vadd(d, loc.s, 0, 0, fmt, ap);
    sbuf_free(&loc);
    return e == SHEET_ERR_IO ? SOKO_EIO : SOKO_EINPUT;
}

int sheet_fail(struct sheet_book *b, struct soko_diag *d, enum sheet_err e,
               const char *sheet, long row, long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (b) b->err = e;
    int rc = vfail(b ? b->path : "?", d, e, sheet, row, col, fmt, ap);
    va_end(ap);
    return rc;
}

int sheet_fail_path(const char *path, struct soko_diag *d, enum sheet_err *err,
                    enum sheet_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err) *err = e;
    int rc = vfail(path, d, e, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------ cell references */

int sheet_col_letters(long col, char buf[8])
{
    char tmp[8];
    int n = 0;
    buf[0] = '\0';
    if (col < 1) return -1;
    while (col > 0) {
        if (n == 7) {
            buf[0] = '\0';
            return -1;
        }
        col--;
        tmp[n++] = (char)('A' + col % 26);
        col /= 26;
    }
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return 0;
}

long sheet_col_number(const char *s, size_t n)
{
    if (n == 0 || n > 7) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
        if (ch < 'A' || ch > 'Z') return -1;
        v = v * 26 + (ch - 'A' + 1);
    }
    return v;
}

int sheet_parse_ref(const char *s, size_t n, long *row, long *col)
{
    size_t i = 0;
    while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) i++;
    if (i == 0 || i > 3) return -1;
    long c = sheet_col_number(s, i);
    if (c < 1 || c > SHEET_MAX_COL) return -1;
    long r = 0;
    if (i < n && s[i] == '0') return -1;
    for (size_t k = i; k < n; k++) {
        if (s[k] < '0' || s[k] > '9' || k - i >= 7) return -1;
        r = r * 10 + (s[k] - '0');
    }
    if (r > SHEET_MAX_ROW) return -1;
    *row = r;
    *col = c;
    return 0;
}

int sheet_parse_range(const char *s, size_t n, struct sheet_range *r)
{
    const char *colon = memchr(s, ':', n);
    size_t a = colon ? (size_t)(colon - s) : n;
    long r1, c1, r2, c2;
    if (sheet_parse_ref(s, a, &r1, &c1) != 0 || r1 == 0) return -1;
    if (colon) {
        if (sheet_parse_ref(colon + 1, n - a - 1, &r2, &c2) != 0 || r2 == 0) return -1;
    } else {
        r2 = r1;
        c2 = c1;
    }
    /* Excel writes the top-left first; be kind to a writer that does not */
    r->row1 = r1 < r2 ? r1 : r2;
    r->row2 = r1 < r2 ? r2 : r1;
    r->col1 = c1 < c2 ? c1 : c2;
    r->col2 = c1 < c2 ? c2 : c1;
    return 0;
}

/* ------------------------------------------------------ numbers as text */

/* The C library's number functions follow LC_NUMERIC; soko never sets it, but a
 * program around the engine may. Texts here always use '.', so convert at the edge. */
static char decimal_point(void)
{
    const struct lconv *lc = localeconv();
    return lc && lc->decimal_point && lc->decimal_point[0] && !lc->decimal_point[1]
               ? lc->decimal_point[0] : '.';
}

int sheet_parse_double(const char *s, size_t n, double *x)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    char buf[512];
    if (n == 0 || n >= sizeof buf) return -1;
    /* sign? digits [. digits] [e sign? digits], at least one digit in the mantissa */
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (!digits) return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == e0) return -1;
    }
    if (i != n) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char dp = decimal_point();
    if (dp != '.') {
        char *p = strchr(buf, '.');
        if (p) *p = dp;
    }
    errno = 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end || !isfinite(v)) return -1;
    *x = v == 0 ? 0.0 : v;   /* no "-0" */
    return 0;
}

size_t sheet_format_number(double x, char buf[32])
{
    if (x == 0 || !isfinite(x)) {
        strcpy(buf, "0");
        return 1;
    }
    /* the fewest significant digits that read back as x (glibc rounds correctly);
     * %e and strtod agree on the locale's point, and only the digits are kept */
    char e[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, x);
        if (strtod(e, NULL) == x) break;
    }
    /* e is [-]D[.DDD]e[+-]XX: take the digits and the exponent */
    const char *q = e;
    int neg = 0;
    if (*q == '-') neg = 1, q++;
    char dig[20];
    int nd = 0;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && nd < 19) dig[nd++] = *q;
    int ex = *q == 'e' ? atoi(q + 1) : 0;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    dig[nd] = '\0';
    char *o = buf;
    if (neg) *o++ = '-';
    if (ex >= -7 && ex <= 20) {
        int pt = ex + 1;   /* digits before the point */
        if (pt <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int k = 0; k < -pt; k++) *o++ = '0';
            for (int k = 0; k < nd; k++) *o++ = dig[k];
        } else if (pt >= nd) {
            for (int k = 0; k < nd; k++) *o++ = dig[k];
            for (int k = nd; k < pt; k++) *o++ = '0';
        } else {
            for (int k = 0; k < pt; k++) *o++ = dig[k];
            *o++ = '.';
            for (int k = pt; k < nd; k++) *o++ = dig[k];
        }
        *o = '\0';
    } else {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            for (int k = 1; k < nd; k++) *o++ = dig[k];
        }
        char tail[16];
        snprintf(tail, sizeof tail, "e%c%d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
        strcpy(o, tail);   /* at most 1 + 1 + 16 digits + "e-308": fits 32 */
    }
    return strlen(buf);
}

/* ------------------------------------------------------------------ dates */

enum sheet_fmt sheet_format_kind(int id, const char *code)
{
    if (!code) {
        if (id >= 14 && id <= 17) return SHEET_FMT_DATE;
        if (id == 22) return SHEET_FMT_DATETIME;
        return SHEET_FMT_NUMBER;
    }
    /* "General" (and LibreOffice's "Standard", with its d) are no dates */
    if (strncasecmp(code, "General", 7) == 0 || strncasecmp(code, "Standard", 8) == 0)
        return SHEET_FMT_NUMBER;
    int date = 0, time = 0, mrun = 0;
    for (const char *p = code; *p; p++) {
        char ch = *p;
        if (ch != 'm' && ch != 'M') {
            if (mrun >= 3) date = 1;
            mrun = 0;
        }
        switch (ch) {
        case ';':
            goto done;   /* only the first section (positive numbers) counts */
        case '"':
            p++;
            while (*p && *p != '"') p++;
            if (!*p) goto done;
            break;
        case '\\': case '_': case '*':
            if (!p[1]) goto done;
            p++;
            while ((p[1] & 0xC0) == 0x80) p++;   /* the whole UTF-8 character */
            break;
        case '[': {
            const char *q = p + 1;
            while (*q && *q != ']') q++;
            /* elapsed time [h] [mm] [ss] is a time; colours, [$-419], [<100] are not */
            size_t n = (size_t)(q - p - 1);
            if (n > 0 && strspn(p + 1, "hHmMsS") >= n) time = 1;
            if (!*q) goto done;
            p = q;
            break;
        }
        case 'd': case 'D': case 'y': case 'Y':
            date = 1;
            break;
        case 'h': case 'H': case 's': case 'S':
            time = 1;
            break;
        case 'm': case 'M':
            mrun++;
            break;
        default:
            break;
        }
    }
done:
    if (mrun >= 3) date = 1;
    if (!date) return SHEET_FMT_NUMBER;
    return time ? SHEET_FMT_DATETIME : SHEET_FMT_DATE;
}

/* Days since 1970-01-01 → civil date (H. Hinnant's algorithm, proleptic Gregorian). */
static void civil(long long z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long yy = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

size_t sheet_serial_to_iso(double serial, int date1904, int with_time, char buf[24])
{
    buf[0] = '\0';
    if (!isfinite(serial) || serial < 0 || serial >= 2958466.0) return 0;
    long long t = llround(serial * 86400.0);
    long long day = t / 86400, sec = t % 86400;
    long long epoch;   /* days from 1970-01-01 to serial 0 */
    if (date1904) {
        epoch = -24107;   /* 1904-01-01 */
        if (day > 2957003) return 0;
    } else {
        if (day < 1 || day == 60 || day > 2958465) return 0;
        epoch = day < 60 ? -25568 : -25569;   /* 1899-12-31, or 12-30 past the phantom day */
    }
    int y;
    unsigned m, d;
    civil(epoch + day, &y, &m, &d);
    char tmp[64];   /* y is 1900..9999 here; the compiler cannot know */
    if (with_time)
        snprintf(tmp, sizeof tmp, "%04d-%02u-%02uT%02d:%02d:%02d", y, m, d, (int)(sec / 3600),
                 (int)(sec / 60 % 60), (int)(sec % 60));
    else
        snprintf(tmp, sizeof tmp, "%04d-%02u-%02u", y, m, d);
    size_t n = strlen(tmp);
    if (n >= 24) return 0;
    memcpy(buf, tmp, n + 1);
    return n;
}

/* ------------------------------------------------------------ small text */

void sheet_put_utf8(struct sbuf *b, unsigned long cp)
{
    char u[4];
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (char)cp;
        sbuf_add(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        sbuf_add(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        sbuf_add(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        sbuf_add(b, u, 4);
    }
}

const char *sheet_quote(char *buf, size_t size, const char *s, size_t n)
{
    SOKO_ASSERT(size >= 8);
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, room = size - 4;   /* "..." and the NUL always fit */
    size_t i = 0;
    while (i < n) {
        int inc;
        size_t k = utf8_valid_prefix(u + i, n - i, &inc);
        if (k == 0) {
            /* a byte that is not UTF-8 */
            if (o + 4 > room) goto cut;
            snprintf(buf + o, 5, "\\x%02X", u[i]);
            o += 4;
            i++;
            continue;
        }
        size_t w = u[i] >= 0xF0 ? 4 : u[i] >= 0xE0 ? 3 : u[i] >= 0xC0 ? 2 : 1;
        if (u[i] < 0x20 || u[i] == 0x7F) {
            if (o + 4 > room) goto cut;
            snprintf(buf + o, 5, "\\x%02X", u[i]);
            o += 4;
        } else {
            if (o + w > room) goto cut;
            memcpy(buf + o, s + i, w);
            o += w;
        }
        i += w;
    }
    buf[o] = '\0';
    return buf;
cut:
    memcpy(buf + o, "...", 4);
    return buf;
}

char *sheet_clean_name(const char *s)
{
    size_t n = strlen(s);
    if (n > 255) {
        n = 255;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;   /* not inside a character */
    }
    char *c = xstrndup(s, n);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F) *p = '?';
    return c;
}

const char *sheet_biff_error(unsigned code)
{
    switch (code) {
    case 0x00: return "#NULL!";
    case 0x07: return "#DIV/0!";
    case 0x0F: return "#VALUE!";
    case 0x17: return "#REF!";
    case 0x1D: return "#NAME?";
    case 0x24: return "#NUM!";
    case 0x2A: return "#N/A";
    case 0x2B: return "#GETTING_DATA";
    default: return NULL;
    }
}

/* -------------------------------------------------------------- detection */

int sheet_sniff(const char *path, enum sheet_kind *kind, struct soko_diag *d)
{
    *kind = SHEET_KIND_NONE;
    FILE *f = fopen(path, "rb");
    if (!f) return sheet_fail_path(path, d, NULL, SHEET_ERR_IO, _("cannot open: %s"), strerror(errno));
    unsigned char h[8];
    size_t n = fread(h, 1, sizeof h, f);
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) return sheet_fail_path(path, d, NULL, SHEET_ERR_IO, _("cannot read: %s"), strerror(e));
    if (n >= 4 && h[0] == 'P' && h[1] == 'K' && ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6))) {
        *kind = SHEET_KIND_XLSX;
        return SOKO_OK;
    }
    if (n < 8 || memcmp(h, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) != 0) return SOKO_OK;
    struct cfb c;
    const char *why;
    if (cfb_open(path, &c, &why) != 0) {
        /* a damaged container: sheet_open says how (freexl's view is not better) */
        *kind = SHEET_KIND_XLS;
        return SOKO_OK;
    }
    if (cfb_find(&c, "EncryptionInfo") >= 0 && cfb_find(&c, "EncryptedPackage") >= 0)
        *kind = SHEET_KIND_ENCRYPTED;
    else if (cfb_find(&c, "Workbook") >= 0 || cfb_find(&c, "Book") >= 0)
        *kind = SHEET_KIND_XLS;
    else
        *kind = SHEET_KIND_OLE_OTHER;
    cfb_close(&c);
    return SOKO_OK;
}

/* ------------------------------------------------------------------ books */

int sheet_open(const char *path, const struct sheet_limits *lim, struct sheet_book **out,
               enum sheet_err *err, struct soko_diag *d)
{
    *out = NULL;
    if (err) *err = SHEET_ERR_NONE;
    enum sheet_kind kind;
    if (sheet_sniff(path, &kind, d) != SOKO_OK) {
        if (err) *err = SHEET_ERR_IO;
        return SOKO_EIO;
    }
    switch (kind) {
    case SHEET_KIND_NONE:
        return sheet_fail_path(path, d, err, SHEET_ERR_NOT_SHEET,
                               _("not a spreadsheet: expected an .xlsx (zip) or .xls (OLE2) workbook"));
    case SHEET_KIND_ENCRYPTED:
        return sheet_fail_path(path, d, err, SHEET_ERR_ENCRYPTED,
                               _("the workbook is password-protected (encrypted); expected it saved without a password"));
    case SHEET_KIND_OLE_OTHER:
        return sheet_fail_path(path, d, err, SHEET_ERR_NOT_SHEET,
                               _("an OLE2 file without a workbook stream (another Office document?), not a spreadsheet"));
    case SHEET_KIND_XLSX: case SHEET_KIND_XLS:
        break;
    }
    struct sheet_book *b = xcalloc(1, sizeof *b);
    b->path = xstrdup(path);
    b->kind = kind;
    if (lim) b->lim = *lim;
    if (!b->lim.max_cell_bytes) b->lim.max_cell_bytes = SHEET_DEF_CELL_BYTES;
    if (!b->lim.max_row_bytes) b->lim.max_row_bytes = SHEET_DEF_ROW_BYTES;
    if (!b->lim.max_part_bytes) b->lim.max_part_bytes = SHEET_DEF_PART_BYTES;
    if (!b->lim.max_strings_bytes) b->lim.max_strings_bytes = SHEET_DEF_STRINGS_BYTES;
    if (!b->lim.max_merges) b->lim.max_merges = SHEET_DEF_MERGES;
    if (!b->lim.max_xls_date_days) b->lim.max_xls_date_days = SHEET_DEF_XLS_DATE_DAYS;
    if (!b->lim.max_xls_cells) b->lim.max_xls_cells = SHEET_DEF_XLS_CELLS;
    int rc = kind == SHEET_KIND_XLSX ? xlsx_open(b, d) : xls_open(b, d);
    if (rc != SOKO_OK) {
        if (err) *err = b->err ? b->err : SHEET_ERR_CORRUPT;
        sheet_close(b);
        return rc;
    }
    b->err = SHEET_ERR_NONE;
    *out = b;
    return SOKO_OK;
}

void sheet_close(struct sheet_book *b)
{
    if (!b) return;
    if (b->kind == SHEET_KIND_XLSX) xlsx_close(b);
    else xls_close(b);
    for (size_t i = 0; i < b->nsh; i++) {
        free(b->sh[i].name);
        free(b->sh[i].part);
        free(b->sh[i].merges);
        free(b->sh[i].over);
        free(b->sh[i].over_text);
    }
    free(b->sh);
    free(b->sst);
    free(b->sst_off);
    free(b->sst_part);
    free(b->xf);
    free(b->path);
    free(b);
}

enum sheet_kind sheet_book_kind(const struct sheet_book *b) { return b->kind; }
enum sheet_err sheet_error(const struct sheet_book *b) { return b->err; }
int sheet_date1904(const struct sheet_book *b) { return b->date1904; }
size_t sheet_count(const struct sheet_book *b) { return b->nsh; }

const char *sheet_name(const struct sheet_book *b, size_t i)
{
    SOKO_ASSERT(i < b->nsh);
    return b->sh[i].name;
}

int sheet_hidden(const struct sheet_book *b, size_t i)
{
    SOKO_ASSERT(i < b->nsh);
    return b->sh[i].hidden;
}

int sheet_find(struct sheet_book *b, const char *spec, size_t *index, struct soko_diag *d)
{
    b->err = SHEET_ERR_NONE;
    for (size_t i = 0; i < b->nsh; i++)
        if (strcmp(b->sh[i].name, spec) == 0) return *index = i, SOKO_OK;
    for (size_t i = 0; i < b->nsh; i++)
        if (utf8_casecmp(b->sh[i].name, spec) == 0) return *index = i, SOKO_OK;
    size_t nd = strspn(spec, "0123456789");
    if (nd > 0 && nd < 10 && !spec[nd]) {
        long k = atol(spec);
        if (k >= 1 && (size_t)k <= b->nsh) return *index = (size_t)k - 1, SOKO_OK;
    }
    struct sbuf list = SBUF_INIT;
    for (size_t i = 0; i < b->nsh && i < 50; i++)
        sbuf_printf(&list, "%s%zu '%s'", i ? ", " : "", i + 1, b->sh[i].name);
    if (b->nsh > 50) sbuf_printf(&list, ", ... (%zu in all)", b->nsh);
    char q[128];
    sheet_quote(q, sizeof q, spec, strlen(spec));
    int rc = b->nsh
                 ? sheet_fail(b, d, SHEET_ERR_NO_SHEET, NULL, 0, 0,
                              _("no sheet '%s'; the sheets are %s"), q, list.s)
                 : sheet_fail(b, d, SHEET_ERR_NO_SHEET, NULL, 0, 0,
                              _("no sheet '%s'; the workbook has no sheets"), q);
    sbuf_free(&list);
    return rc;
}

static int check_index(struct sheet_book *b, size_t i, struct soko_diag *d)
{
    if (i < b->nsh) return SOKO_OK;
    return sheet_fail(b, d, SHEET_ERR_NO_SHEET, NULL, 0, 0,
                      _("no sheet number %zu; the workbook has %zu"), i + 1, b->nsh);
}

int sheet_merges(struct sheet_book *b, size_t i, const struct sheet_range **ranges,
                 size_t *n, struct soko_diag *d)
{
    *ranges = NULL;
    *n = 0;
    b->err = SHEET_ERR_NONE;
    int rc = check_index(b, i, d);
    if (rc != SOKO_OK) return rc;
    struct sheet_sheet *s = &b->sh[i];
    if (!s->merges_done) {
        SOKO_ASSERT(b->kind == SHEET_KIND_XLSX);   /* xls_open knows every sheet's */
        rc = xlsx_merges(b, i, d);
        if (rc != SOKO_OK) return rc;
        s->merges_done = 1;
    }
    *ranges = s->merges;
    *n = s->nmerges;
    return SOKO_OK;
}

int sheet_read(struct sheet_book *b, size_t i, const struct sheet_read_opts *o,
               sheet_row_fn fn, void *ctx, struct soko_diag *d)
{
    b->err = SHEET_ERR_NONE;
    int rc = check_index(b, i, d);
    if (rc != SOKO_OK) return rc;
    struct sheet_read_opts opts = {0};
    if (o) opts = *o;
    if (opts.fill_merged < 0 || opts.fill_merged > SHEET_MAX_FILL)
        return sheet_fail(b, d, SHEET_ERR_LIMIT, b->sh[i].name, 0, 0,
                          _("fill_merged is %ld; expected 0 to %ld header rows"), opts.fill_merged,
                          SHEET_MAX_FILL);
    if (opts.fill_merged > 0) {
        const struct sheet_range *m;
        size_t nm;
        rc = sheet_merges(b, i, &m, &nm, d);
        if (rc != SOKO_OK) return rc;
    }
    struct sheet_reader r;
    rd_init(&r, b, i, &opts, fn, ctx);
    rc = b->kind == SHEET_KIND_XLSX ? xlsx_read(b, i, &r, d) : xls_read(b, i, &r, d);
    if (rc == SOKO_OK) rc = rd_finish(&r, d);
    rd_free(&r);
    if (rc == SHEET_STOP) rc = SOKO_OK;
    if (rc == SOKO_OK) b->err = SHEET_ERR_NONE;
    return rc;
}

/* ---------------------------------------------------------------- merges */

static int cmp_range(const void *a, const void *b)
{
    const struct sheet_range *x = a, *y = b;
    if (x->row1 != y->row1) return x->row1 < y->row1 ? -1 : 1;
    if (x->col1 != y->col1) return x->col1 < y->col1 ? -1 : 1;
    if (x->row2 != y->row2) return x->row2 < y->row2 ? -1 : 1;
    return x->col2 < y->col2 ? -1 : x->col2 > y->col2;
}

size_t sheet_sort_merges(struct sheet_range *m, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (m[i].row1 != m[i].row2 || m[i].col1 != m[i].col2) m[k++] = m[i];
    if (k > 1) qsort(m, k, sizeof *m, cmp_range);
    return k;
}

/* ---------------------------------------------------------------- rows */

enum { SRC_NONE = 0, SRC_EXT, SRC_ROW, SRC_FILL };

struct rcell {
    unsigned char src;     /* where the text is; SRC_NONE: an empty cell */
    unsigned char type;    /* enum sheet_type */
    unsigned char merge;   /* enum sheet_merge */
    const char *ext;       /* SRC_EXT */
    size_t off, len;       /* SRC_ROW, SRC_FILL: offset in r->text / r->fvtext */
};

struct fillval {
    int set;
    unsigned char type;
    size_t off, len;       /* in r->fvtext */
};

void rd_init(struct sheet_reader *r, struct sheet_book *b, size_t sheet,
             const struct sheet_read_opts *o, sheet_row_fn fn, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->b = b;
    r->sheet = b->sh[sheet].name;
    r->fn = fn;
    r->ctx = ctx;
    r->fill = o ? o->fill_merged : 0;
    if (r->fill > 0 && b->sh[sheet].merges_done) {
        const struct sheet_sheet *s = &b->sh[sheet];
        r->m = s->merges;
        while (r->nm < s->nmerges && s->merges[r->nm].row1 <= r->fill) r->nm++;
    }
    if (r->nm) {
        r->fv = xcalloc(r->nm, sizeof *r->fv);
        r->act = xmalloc(((size_t)SHEET_MAX_COL + 1) * sizeof *r->act);
        r->mark = xcalloc((size_t)SHEET_MAX_COL + 1, sizeof *r->mark);
    }
}

void rd_free(struct sheet_reader *r)
{
    free(r->c);
    free(r->out);
    sbuf_free(&r->text);
    free(r->fv);
    free(r->act);
    free(r->mark);
    sbuf_free(&r->fvtext);
}

static void row_reset(struct sheet_reader *r, long row)
{
    r->row = row;
    r->last = row;
    r->n = 0;
    r->rowbytes = 0;
    sbuf_reset(&r->text);
}

static void ensure(struct sheet_reader *r, size_t n)
{
    if (n <= r->cap) return;
    size_t cap = r->cap ? r->cap : 64;
    while (cap < n) cap *= 2;
    r->c = xrealloc(r->c, cap * sizeof *r->c);
    r->cap = cap;
}

/* Sets cell col (1-based) of the current row, growing the dense array with empties. */
static struct rcell *slot(struct sheet_reader *r, long col)
{
    size_t k = (size_t)col;
    if (k > r->n) {
        ensure(r, k);
        memset(r->c + r->n, 0, (k - r->n) * sizeof *r->c);
        r->n = k;
    }
    return &r->c[k - 1];
}

static const char *cell_text(const struct sheet_reader *r, const struct rcell *c)
{
    switch (c->src) {
    case SRC_EXT: return c->ext;
    case SRC_ROW: return r->text.s + c->off;
    case SRC_FILL: return r->fvtext.s + c->off;
    default: return "";
    }
}

/* Rows 1..fill: every cell of an active range takes its origin's value. */
static int apply_merges(struct sheet_reader *r, struct soko_diag *d)
{
    long row = r->row;
    size_t k = 0;
    for (size_t i = 0; i < r->nact; i++)
        if (r->m[r->act[i]].row2 >= row) r->act[k++] = r->act[i];
    r->nact = k;
    while (r->next < r->nm && r->m[r->next].row1 <= row) {
        if (r->m[r->next].row2 >= row) {
            /* ranges that do not overlap cover distinct cells of this row */
            if (r->nact >= (size_t)SHEET_MAX_COL)
                return sheet_fail(r->b, d, SHEET_ERR_MALFORMED, r->sheet, row, 0,
                                  _("merged ranges overlap in this row"));
            r->act[r->nact++] = r->next;
        }
        r->next++;
    }
    for (size_t i = 0; i < r->nact; i++) {
        size_t a = r->act[i];
        const struct sheet_range *m = &r->m[a];
        SOKO_ASSERT(m->col1 >= 1 && m->col2 <= SHEET_MAX_COL);   /* the backends check */
        struct fillval *fv = &r->fv[a];
        if (m->row1 == row && (size_t)m->col1 <= r->n && r->c[m->col1 - 1].src != SRC_NONE) {
            const struct rcell *o = &r->c[m->col1 - 1];
            const char *t = cell_text(r, o);
            if (r->fvtext.len + o->len + 1 > r->b->lim.max_row_bytes)
                return sheet_fail(r->b, d, SHEET_ERR_LIMIT, r->sheet, row, m->col1,
                                  _("the merged header cells hold more than %zu bytes"),
                                  r->b->lim.max_row_bytes);
            fv->set = 1;
            fv->type = o->type;
            fv->off = r->fvtext.len;
            fv->len = o->len;
            sbuf_add(&r->fvtext, t, o->len);
            sbuf_add(&r->fvtext, "", 1);
        }
        for (long c = m->col1; c <= m->col2; c++) {
            if (r->mark[c] == row) {
                char a1[8];
                sheet_col_letters(c, a1);
                return sheet_fail(r->b, d, SHEET_ERR_MALFORMED, r->sheet, row, c,
                                  _("merged ranges overlap at %s%ld"), a1, row);
            }
            r->mark[c] = row;
            if (!fv->set) continue;
            struct rcell *x = slot(r, c);
            x->src = SRC_FILL;
            x->type = fv->type;
            x->off = fv->off;
            x->len = fv->len;
            x->ext = NULL;
            x->merge = (row == m->row1 && c == m->col1) ? SHEET_MERGE_ORIGIN : SHEET_MERGE_COPY;
        }
    }
    return SOKO_OK;
}

static int deliver(struct sheet_reader *r, struct soko_diag *d)
{
    if (r->nm && r->row <= r->fill) {
        int rc = apply_merges(r, d);
        if (rc != SOKO_OK) return rc;
    }
    while (r->n > 0 && r->c[r->n - 1].src == SRC_NONE) r->n--;
    if (r->n == 0) return SOKO_OK;
    if (r->n > r->outcap) {
        r->outcap = r->n;
        r->out = xrealloc(r->out, r->outcap * sizeof *r->out);
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct rcell *c = &r->c[i];
        r->out[i].text = cell_text(r, c);
        r->out[i].len = c->src == SRC_NONE ? 0 : c->len;
        r->out[i].type = c->src == SRC_NONE ? SHEET_EMPTY : (enum sheet_type)c->type;
        r->out[i].merge = (enum sheet_merge)c->merge;
    }
    struct sheet_row row = {r->row, r->n, r->out};
    int rc = r->fn(r->ctx, &row, d);
    if (rc == SOKO_OK || rc == SHEET_STOP) return rc;
    r->b->err = SHEET_ERR_CALLBACK;
    return rc;
}

/* Rows inside a header range that the file leaves out: handed over when a range
 * gives them a value. */
static int synth_to(struct sheet_reader *r, long upto, struct soko_diag *d)
{
    if (!r->nm) return SOKO_OK;
    if (upto > r->fill) upto = r->fill;
    for (long g = r->last + 1; g <= upto; g++) {
        row_reset(r, g);
        int rc = deliver(r, d);
        if (rc != SOKO_OK) return rc;
    }
    return SOKO_OK;
}

int rd_begin_row(struct sheet_reader *r, long row, struct soko_diag *d)
{
    if (row < 1 || row > SHEET_MAX_ROW)
        return sheet_fail(r->b, d, SHEET_ERR_MALFORMED, r->sheet, 0, 0,
                          _("row number %ld is outside 1..%ld"), row, SHEET_MAX_ROW);
    if (row <= r->last)
        return sheet_fail(r->b, d, SHEET_ERR_MALFORMED, r->sheet, row, 0,
                          _("row %ld comes after row %ld; expected rows in ascending order"),
                          row, r->last);
    int rc = synth_to(r, row - 1, d);
    if (rc != SOKO_OK) return rc;
    row_reset(r, row);
    return SOKO_OK;
}

int rd_cell(struct sheet_reader *r, long col, enum sheet_type t, const char *s, size_t len,
            int stable, struct soko_diag *d)
{
    if (col < 1 || col > SHEET_MAX_COL)
        return sheet_fail(r->b, d, SHEET_ERR_LIMIT, r->sheet, r->row, 0,
                          _("the row has more than %ld columns"), SHEET_MAX_COL);
    if (len > r->b->lim.max_cell_bytes)
        return sheet_fail(r->b, d, SHEET_ERR_LIMIT, r->sheet, r->row, col,
                          _("the cell holds more than %zu bytes of text"), r->b->lim.max_cell_bytes);
    r->rowbytes += len + 1;
    if (r->rowbytes > r->b->lim.max_row_bytes)
        return sheet_fail(r->b, d, SHEET_ERR_LIMIT, r->sheet, r->row, col,
                          _("the row holds more than %zu bytes of text"), r->b->lim.max_row_bytes);
    if (t == SHEET_EMPTY || len == 0) {
        if ((size_t)col <= r->n) memset(&r->c[col - 1], 0, sizeof r->c[0]);
        return SOKO_OK;
    }
    struct rcell *c = slot(r, col);
    c->type = (unsigned char)t;
    c->merge = SHEET_MERGE_NONE;
    c->len = len;
    if (stable) {
        c->src = SRC_EXT;
        c->ext = s;
    } else {
        c->src = SRC_ROW;
        c->ext = NULL;
        c->off = r->text.len;
        sbuf_add(&r->text, s, len);
        sbuf_add(&r->text, "", 1);
    }
    return SOKO_OK;
}

int rd_end_row(struct sheet_reader *r, struct soko_diag *d)
{
    return deliver(r, d);
}

int rd_finish(struct sheet_reader *r, struct soko_diag *d)
{
    return synth_to(r, r->fill, d);
}
