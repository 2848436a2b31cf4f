/*
 * sheet_xls.c — BIFF workbooks (.xls, Excel 97–2003) through libfreexl, plus one
 * pass of our own over the BIFF8 records for what freexl does not give:
 *
 *   - merged ranges (MERGEDCELLS): freexl has no API for them;
 *   - formula results (FORMULA, and STRING for a text result): freexl skips FORMULA
 *     records, so every formula cell would read as empty;
 *   - booleans and errors (BOOLERR): freexl gives both as the integer 0/1, so #N/A
 *     would read as 1.
 *
 * The pass also refuses a password-protected workbook (FILEPASS) before freexl sees
 * its encrypted records. For BIFF5 (Excel 5/95, a "Book" stream) only freexl's view is
 * given: no merges, no formula results (docs/spreadsheets.md).
 *
 * Memory: freexl keeps every sheet's cells (an .xls has at most 65,536 rows × 256
 * columns; freexl refuses a sheet of more than 256 MB of cells). The pass reads the
 * Workbook stream into memory once, at open, and keeps per sheet the merged ranges and
 * the overriding cells (formulas, booleans, errors) with their texts.
 */
#include "i18n.h"
#include "sheet_int.h"

#include <freexl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sheet_override {
    long row, col;           /* 1-based */
    size_t seq;              /* order in the file: a later record wins */
    unsigned char type;      /* enum sheet_type; SHEET_EMPTY for a formula giving "" */
    size_t off, len;         /* text in the sheet's over_text */
};

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *freexl_why(int rc)
{
    switch (rc) {
    case FREEXL_FILE_NOT_FOUND: return N_("the file cannot be opened");
    case FREEXL_INSUFFICIENT_MEMORY: return N_("too large for memory (a sheet of more than 256 MB of cells?)");
    case FREEXL_INVALID_CFBF_HEADER: case FREEXL_CFBF_INVALID_SIGNATURE:
    case FREEXL_CFBF_INVALID_SECTOR_SIZE: return N_("a damaged OLE2 header");
    case FREEXL_CFBF_READ_ERROR: case FREEXL_CFBF_SEEK_ERROR: return N_("cut short or damaged");
    case FREEXL_CFBF_EMPTY_FAT_CHAIN: case FREEXL_CFBF_ILLEGAL_FAT_ENTRY:
    case FREEXL_INVALID_MINI_STREAM: case FREEXL_CFBF_ILLEGAL_MINI_FAT_ENTRY:
        return N_("a damaged OLE2 sector table");
    case FREEXL_BIFF_INVALID_BOF: return N_("a damaged BIFF record (BOF)");
    case FREEXL_BIFF_INVALID_SST: case FREEXL_BIFF_ILLEGAL_SST_INDEX:
        return N_("a damaged shared-strings table (SST)");
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND: return N_("no workbook stream");
    case FREEXL_BIFF_ILLEGAL_SHEET_INDEX: case FREEXL_BIFF_UNSELECTED_SHEET:
        return N_("a sheet that cannot be selected");
    case FREEXL_INVALID_CHARACTER: return N_("text not in its declared code page");
    case FREEXL_UNSUPPORTED_CHARSET: return N_("an unsupported code page");
    case FREEXL_ILLEGAL_CELL_ROW_COL: return N_("a cell outside the sheet's dimensions");
    case FREEXL_ILLEGAL_RK_VALUE: return N_("a damaged number (RK)");
    case FREEXL_CRAFTED_FILE: return N_("records that look deliberately damaged");
    default: return N_("an unknown libfreexl error");
    }
}

/* ------------------------------------------------------------ BIFF records */

struct walk {
    const unsigned char *p;
    size_t n, pos;
};

/* Next record at w->pos: 1, 0 at the end of the stream, -1 when cut short. */
static int rec(struct walk *w, unsigned *type, const unsigned char **data, unsigned *len)
{
    if (w->pos + 4 > w->n) return w->pos >= w->n ? 0 : -1;
    *type = le16(w->p + w->pos);
    *len = le16(w->p + w->pos + 2);
    if (w->pos + 4 + *len > w->n) return -1;
    *data = w->p + w->pos + 4;
    w->pos += 4 + *len;
    return 1;
}

/* A BIFF8 XLUnicodeString of cch characters whose bytes start at p[0..n) (flags
 * byte first unless noflags), continuing in CONTINUE records read from w, each
 * with its own flags byte. Appends UTF-8 to out; returns 0, or -1 when cut short. */
static int unistr(struct walk *w, const unsigned char *p, size_t n, unsigned cch, int has_flags,
                  unsigned flags, struct sbuf *out)
{
    size_t i = 0;
    if (has_flags) {
        if (n < 1) return -1;
        flags = p[0];
        i = 1;
    }
    unsigned long hi = 0;   /* a high surrogate waiting for its pair */
    while (cch > 0) {
        if (i >= n) {
            /* the characters go on in a CONTINUE record, which starts with flags */
            unsigned t, len;
            const unsigned char *data;
            size_t save = w ? w->pos : 0;
            if (!w || rec(w, &t, &data, &len) != 1 || t != 0x003C || len < 1) {
                if (w) w->pos = save;
                return -1;
            }
            p = data;
            n = len;
            flags = p[0];
            i = 1;
            continue;
        }
        unsigned long u;
        if (flags & 1) {
            if (i + 2 > n) return -1;
            u = le16(p + i);
            i += 2;
        } else {
            u = p[i++];   /* "compressed": the low byte of UTF-16, i.e. Latin-1 */
        }
        cch--;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (hi) sheet_put_utf8(out, 0xFFFD);
            hi = u;
            continue;
        }
        if (u >= 0xDC00 && u <= 0xDFFF && hi) {
            sheet_put_utf8(out, 0x10000 + ((hi - 0xD800) << 10) + (u - 0xDC00));
            hi = 0;
            continue;
        }
        if (hi) sheet_put_utf8(out, 0xFFFD), hi = 0;
        if (u != 0) sheet_put_utf8(out, u);
    }
    if (hi) sheet_put_utf8(out, 0xFFFD);
    return 0;
}

/* What the pass learns from the globals. */
struct globals {
    int biff8;
    int encrypted;
    int date1904;
    struct { uint32_t pos; int hidden, type; char *name; } *bs;   /* BOUNDSHEET, in order;
                                                         the name for messages before
                                                         freexl gives its own */
    size_t nbs;
    struct fmtrec { unsigned id; size_t seq; unsigned char kind, fx; } *fmt;
                                                       /* FORMAT: enum sheet_fmt and
                                                          freexl's date rule; sorted by
                                                          id once the globals are read */
    size_t nfmt;
    unsigned *xfid;                                    /* XF index → format id */
    unsigned char *xf;                                 /* XF index → enum sheet_fmt */
    unsigned char *fxdate;                             /* XF index → freexl makes a date */
    size_t nxf;
};

static void globals_free(struct globals *g)
{
    for (size_t i = 0; i < g->nbs; i++) free(g->bs[i].name);
    free(g->bs);
    free(g->fmt);
    free(g->xfid);
    free(g->xf);
    free(g->fxdate);
}

/* freexl's own test of a format code (check_format in freexl.c): letters counted
 * anywhere in the code; a date or date-time when y and m, or m and d, occur. */
static int freexl_date_code(const char *code)
{
    int y = 0, m = 0, d = 0;
    for (const char *p = code; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        y |= c == 'y';
        m |= c == 'm';
        d |= c == 'd';
    }
    return (y && m) || (m && d);
}

/* Does freexl convert numbers of this XF to dates (day by day)? */
static int freexl_date_xf(const struct globals *g, unsigned xf)
{
    return xf < g->nxf && g->fxdate[xf];
}

/* fmt sorted by id, and within an id in file order (cmp_fmt) */
static int cmp_fmt(const void *a, const void *b)
{
    const struct fmtrec *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The FORMAT entries of id: [*lo, *hi) in the sorted table. */
static void fmt_range(const struct globals *g, unsigned id, size_t *lo, size_t *hi)
{
    size_t a = 0, b = g->nfmt;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (g->fmt[m].id < id) a = m + 1;
        else b = m;
    }
    *lo = a;
    while (b < g->nfmt && g->fmt[b].id == id) b++;
    *hi = b > a ? b : a;
}

/* Our kind of format id: its last FORMAT record, else the built-in. */
static int fmt_kind(const struct globals *g, unsigned id)
{
    size_t lo, hi;
    fmt_range(g, id, &lo, &hi);
    if (hi > lo) return g->fmt[hi - 1].kind;
    return (int)sheet_format_kind((int)id, NULL);
}

/* Returns 0, or -1 when the stream does not start as a workbook. */
static int read_globals(struct walk *w, struct globals *g)
{
    unsigned t, len;
    const unsigned char *p;
    if (rec(w, &t, &p, &len) != 1 || t != 0x0809 || len < 4 || le16(p + 2) != 0x0005) return -1;
    g->biff8 = le16(p) == 0x0600;
    size_t capbs = 0, capf = 0, capx = 0;
    int r;
    while ((r = rec(w, &t, &p, &len)) == 1 && t != 0x000A) {
        switch (t) {
        case 0x002F:   /* FILEPASS */
            g->encrypted = 1;
            return 0;   /* what follows is encrypted */
        case 0x0022:   /* DATEMODE */
            if (len >= 2) g->date1904 = le16(p) != 0;
            break;
        case 0x0085:   /* BOUNDSHEET */
            if (len < 6) break;
            if (g->nbs == capbs) g->bs = xrealloc(g->bs, (capbs = capbs ? capbs * 2 : 8) * sizeof *g->bs);
            g->bs[g->nbs].pos = le32(p);
            g->bs[g->nbs].hidden = (p[4] & 3) != 0;
            g->bs[g->nbs].type = p[5];
            g->bs[g->nbs].name = NULL;
            if (len >= 8) {
                /* BIFF8 XLUnicodeShortString; BIFF5 bytes of the code page (shown as Latin-1) */
                struct sbuf nm = SBUF_INIT;
                if (g->biff8) unistr(NULL, p + 7, len - 7u, p[6], 1, 0, &nm);
                else unistr(NULL, p + 7, len - 7u, p[6], 0, 0, &nm);
                g->bs[g->nbs].name = nm.s ? sbuf_take(&nm) : NULL;
            }
            g->nbs++;
            break;
        case 0x041E: {   /* FORMAT */
            if (len < 2) break;
            struct sbuf code = SBUF_INIT;
            if (g->biff8 && len >= 5) unistr(NULL, p + 4, len - 4, le16(p + 2), 1, 0, &code);
            else if (!g->biff8 && len >= 3) unistr(NULL, p + 3, len - 3, p[2], 0, 0, &code);
            if (g->nfmt == capf) g->fmt = xrealloc(g->fmt, (capf = capf ? capf * 2 : 16) * sizeof *g->fmt);
            g->fmt[g->nfmt].id = le16(p);
            g->fmt[g->nfmt].seq = g->nfmt;
            g->fmt[g->nfmt].fx = (unsigned char)freexl_date_code(code.s ? code.s : "");
            g->fmt[g->nfmt++].kind = (unsigned char)sheet_format_kind((int)le16(p), code.s ? code.s : "");
            sbuf_free(&code);
            break;
        }
        case 0x00E0:   /* XF */
            if (len < 4 || g->nxf >= 65536) break;
            if (g->nxf == capx) g->xfid = xrealloc(g->xfid, (capx = capx ? capx * 2 : 64) * sizeof *g->xfid);
            g->xfid[g->nxf++] = le16(p + 2);
            break;
        default:
            break;
        }
    }
    if (r != 1) return -1;
    /* the XF records may come before the FORMAT records they name */
    if (g->nfmt > 1) qsort(g->fmt, g->nfmt, sizeof *g->fmt, cmp_fmt);
    g->xf = xmalloc(g->nxf + 1);
    g->fxdate = xmalloc(g->nxf + 1);
    for (size_t i = 0; i < g->nxf; i++) {
        unsigned id = g->xfid[i];
        g->xf[i] = (unsigned char)fmt_kind(g, id);
        /* freexl: 14-17 dates, 22 a date-time (18-21, 45-47 times: no day loop); any
         * other id by its FORMAT records */
        int fx = (id >= 14 && id <= 17) || id == 22;
        size_t lo, hi;
        fmt_range(g, id, &lo, &hi);
        /* freexl takes the first of them that is a date or a time; any of them being a
         * date is the safe side of that */
        if (!(id >= 14 && id <= 22) && !(id >= 45 && id <= 47))
            for (size_t k = lo; k < hi; k++) fx |= g->fmt[k].fx;
        g->fxdate[i] = (unsigned char)fx;
    }
    return 0;
}

struct sheetpass {
    struct sheet_book *b;
    struct sheet_sheet *s;
    const struct globals *g;
    size_t cap, mcap;
    size_t seq;
    struct sbuf text;
};

/* An RK number: a 30-bit integer or the high bits of a double, maybe divided by 100. */
static double rk_value(uint32_t rk)
{
    double x;
    if (rk & 2) {
        int32_t i = (int32_t)rk >> 2;   /* arithmetic on every compiler we use */
        x = (double)i;
    } else {
        uint64_t bits = (uint64_t)(rk & 0xFFFFFFFCu) << 32;
        memcpy(&x, &bits, sizeof x);
    }
    return (rk & 1) ? x / 100 : x;
}

static void over_add(struct sheetpass *sp, long row, long col, enum sheet_type t, const char *s,
                     size_t n)
{
    struct sheet_sheet *sh = sp->s;
    if (sh->nover == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 64;
        sh->over = xrealloc(sh->over, sp->cap * sizeof *sh->over);
    }
    struct sheet_override *o = &sh->over[sh->nover++];
    o->row = row;
    o->col = col;
    o->seq = sp->seq++;
    o->type = (unsigned char)t;
    o->off = sp->text.len;
    o->len = n;
    sbuf_add(&sp->text, s, n);
    sbuf_add(&sp->text, "", 1);
}

static int cmp_over(const void *a, const void *b)
{
    const struct sheet_override *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ------------------------------------------------------------ the guard */

/* What libfreexl 1.0.6 would do with the stream, walked the way it walks it: records
 * one after another, a segment from a BOF to the first EOF (its sheet is the
 * BOUNDSHEET whose offset is that BOF's), a BOF expected after every EOF. Whatever
 * would make freexl misbehave is refused here, before freexl is called. */
struct guard {
    struct sheet_book *b;
    const struct globals *g;
    const char *sheet;       /* the segment's sheet, for messages (NULL: globals) */
    uint64_t cells;          /* cells the DIMENSION records declare, all segments */
    double days;             /* serials of the numbers freexl turns into dates */
    /* freexl's parse_SST, replayed (its state, named as there) */
    int sst_seen;            /* the first SST record was met */
    int sst_done;            /* freexl stops or fails on its own from here: no more checks */
    uint32_t count, index;   /* string_count, current_index */
    uint32_t len, off;       /* current_utf16_len, current_utf16_off (in characters) */
    uint64_t skip, next;     /* current_utf16_skip, next_utf16_skip (bytes) */
};

/* One SST or CONTINUE record as freexl 1.0.6 parses it (parse_SST), refusing where
 * freexl would read outside the record: a string's header cut by the record's end,
 * rich-text or phonetic data reaching past a whole record, a UTF-16 remainder longer
 * than the CONTINUE that should hold it (a string over three records or more, which
 * Excel writes for a cell of more than about 4,100 characters). */
static int guard_sst(struct guard *gd, const unsigned char *r, unsigned size, struct soko_diag *d)
{
    const char *cut = N_("a shared string is split across records in a way libfreexl cannot read "
                         "(a very long text?); save the workbook as .xlsx");
    uint64_t p;
    if (gd->sst_done || size > 8224) return SOKO_OK;   /* freexl refuses a longer record */
    if (!gd->sst_seen) {
        gd->sst_seen = 1;
        if (size < 8) return sheet_fail(gd->b, d, SHEET_ERR_CORRUPT, NULL, 0, 0, _("the SST record is cut short"));
        gd->count = le32(r + 4);
        if (gd->count > 1024 * 1024) {   /* freexl gives up, cleanly */
            gd->sst_done = 1;
            return SOKO_OK;
        }
        gd->index = gd->len = gd->off = 0;
        gd->skip = gd->next = 0;
        p = 8;
    } else {
        p = 0;
        if (gd->len > 0) {
            /* the rest of the suspended string, with a flags byte of its own */
            if (size < 1) return sheet_fail(gd->b, d, SHEET_ERR_CORRUPT, NULL, 0, 0, "%s", _(cut));
            uint64_t rest = (uint64_t)(gd->len - gd->off);
            if (r[0] & 1) {
                if (1 + 2 * rest > size) return sheet_fail(gd->b, d, SHEET_ERR_UNSUPPORTED, NULL, 0, 0, "%s", _(cut));
                p = 1 + 2 * rest;
            } else {
                if (1 + rest > size) {   /* freexl checks this case and fails cleanly */
                    gd->sst_done = 1;
                    return SOKO_OK;
                }
                p = 1 + rest;
            }
            p += gd->skip;
            gd->skip = p >= size ? p - size : 0;
            gd->next = 0;
            gd->len = gd->off = 0;
            gd->index++;
        }
    }
    for (; gd->index < gd->count; gd->index++) {
        if (p >= size) return SOKO_OK;
        p += gd->next;
        if (p + 3 > size) return sheet_fail(gd->b, d, SHEET_ERR_UNSUPPORTED, NULL, 0, 0, "%s", _(cut));
        uint32_t len = le16(r + p);
        unsigned flags = r[p + 2];
        uint64_t head = 1 + ((flags & 0x08) ? 2 : 0) + ((flags & 0x04) ? 4 : 0);
        if (p + 2 + head > size) return sheet_fail(gd->b, d, SHEET_ERR_UNSUPPORTED, NULL, 0, 0, "%s", _(cut));
        uint64_t extra = 0, q = p + 3;
        if (flags & 0x08) extra += 4 * (uint64_t)le16(r + q), q += 2;
        if (flags & 0x04) extra += le32(r + q);
        p += 2 + head;
        gd->skip = extra;
        gd->next = 0;
        gd->off = 0;
        gd->len = len;
        uint64_t need = (flags & 1) ? 2 * (uint64_t)len : len, avail = size - p;
        if (need > avail) {   /* suspended: the rest comes in the next CONTINUE */
            gd->off = (uint32_t)((flags & 1) ? avail / 2 : avail);
            return SOKO_OK;
        }
        if (len == 0) {   /* freexl fails cleanly ("crafted") */
            gd->sst_done = 1;
            return SOKO_OK;
        }
        p += need + gd->skip;
        gd->next = p >= size ? p - size : 0;
        gd->len = gd->off = 0;
        gd->skip = 0;
    }
    return SOKO_OK;
}

/* A number freexl will show as a date: it counts one day at a time up to the serial
 * (and its int cast of a serial past INT_MAX is undefined), so bound both. */
static int date_work(struct guard *gd, long row, long col, unsigned xf, double x, struct soko_diag *d)
{
    if (!freexl_date_xf(gd->g, xf) || !(x > 0)) return SOKO_OK;
    if (x > 2958465.0) {
        char num[32];
        sheet_format_number(isfinite(x) ? x : 0, num);
        return sheet_fail(gd->b, d, SHEET_ERR_CORRUPT, gd->sheet, row, col,
                          _("the cell holds %s in a date format, after 9999-12-31 (Excel shows ####), "
                            "which libfreexl cannot read; clear its date format or save the workbook as .xlsx"),
                          num);
    }
    gd->days += x;
    if (gd->days > (double)gd->b->lim.max_xls_date_days)
        return sheet_fail(gd->b, d, SHEET_ERR_LIMIT, gd->sheet, row, col,
                          _("the date cells need more than %llu day steps of libfreexl; save the workbook as .xlsx"),
                          (unsigned long long)gd->b->lim.max_xls_date_days);
    return SOKO_OK;
}

/* Does a BIFF8 string of cch characters whose flags byte is at p[0] fit in n bytes?
 * freexl copies cch characters from its record buffer whatever the record holds. */
static int unistr_fits(const unsigned char *p, size_t n, unsigned cch)
{
    if (n < 1) return 0;
    size_t head = 1 + ((p[0] & 0x08) ? 2 : 0) + ((p[0] & 0x04) ? 4 : 0);   /* rich, extended */
    return head + (size_t)cch * ((p[0] & 1) ? 2 : 1) <= n;
}

static int guard_record(struct guard *gd, unsigned t, const unsigned char *p, unsigned len, int *ndim,
                        struct soko_diag *d)
{
    struct sheet_book *b = gd->b;
    int rc;
    switch (t) {
    case 0x041E:   /* FORMAT: the code's characters must be in the record */
        if (gd->g->biff8 && (len < 5 || !unistr_fits(p + 4, len - 4u, le16(p + 2))))
            return sheet_fail(b, d, SHEET_ERR_CORRUPT, gd->sheet, 0, 0,
                              _("a FORMAT record is shorter than its text"));
        return SOKO_OK;
    case 0x0204:   /* LABEL: the same for the cell's text */
        if (len < 8 || (gd->g->biff8 ? !unistr_fits(p + 8, len - 8u, le16(p + 6)) : 8u + le16(p + 6) > len))
            return sheet_fail(b, d, SHEET_ERR_CORRUPT, gd->sheet, len >= 4 ? (long)le16(p) + 1 : 0,
                              len >= 4 ? (long)le16(p + 2) + 1 : 0, _("a LABEL record is shorter than its text"));
        return SOKO_OK;
    case 0x0200: {   /* DIMENSION: freexl sets rows × columns, then allocates 16 bytes a
                      * cell (refusing more than 256 MB); a second DIMENSION, or a refused
                      * one after a first, leaves it freeing past its array */
        uint64_t rows = gd->g->biff8 ? (len >= 14 ? le32(p + 4) : 0) : (len >= 8 ? le16(p + 2) : 0);
        unsigned cols = gd->g->biff8 ? (len >= 14 ? le16(p + 10) : 0) : (len >= 8 ? le16(p + 6) : 0);
        if (++*ndim > 1)
            return sheet_fail(b, d, SHEET_ERR_CORRUPT, gd->sheet, 0, 0,
                              _("the sheet has more than one DIMENSION record"));
        if (rows * cols > SHEET_XLS_MAX_SHEET_CELLS)
            return sheet_fail(b, d, SHEET_ERR_LIMIT, gd->sheet, 0, 0, _("the sheet declares %llu cells, more than %llu"),
                              (unsigned long long)(rows * cols), (unsigned long long)SHEET_XLS_MAX_SHEET_CELLS);
        gd->cells += rows * cols;
        if (gd->cells > b->lim.max_xls_cells)
            return sheet_fail(b, d, SHEET_ERR_LIMIT, gd->sheet, 0, 0, _("the sheets declare more than %llu cells"),
                              (unsigned long long)b->lim.max_xls_cells);
        return SOKO_OK;
    }
    case 0x0203:   /* NUMBER */
        if (len < 14) return SOKO_OK;
        double x;
        memcpy(&x, p + 6, 8);
        return date_work(gd, (long)le16(p) + 1, (long)le16(p + 2) + 1, le16(p + 4), x, d);
    case 0x027E:   /* RK */
        if (len < 10) return SOKO_OK;
        return date_work(gd, (long)le16(p) + 1, (long)le16(p + 2) + 1, le16(p + 4), rk_value(le32(p + 6)), d);
    case 0x00BD:   /* MULRK: xf and RK for columns first..last */
        for (size_t k = 0; len >= 6 && 4 + 6 * (k + 1) <= (size_t)len - 2; k++) {
            const unsigned char *q = p + 4 + 6 * k;
            rc = date_work(gd, (long)le16(p) + 1, (long)(le16(p + 2) + k) + 1, le16(q), rk_value(le32(q + 2)), d);
            if (rc != SOKO_OK) return rc;
        }
        return SOKO_OK;
    default:
        return SOKO_OK;
    }
}

static int guard_walk(struct guard *gd, const unsigned char *buf, size_t n, struct soko_diag *d)
{
    struct walk w = {buf, n, 0};
    unsigned t, len;
    const unsigned char *p;
    int in = 0, ndim = 0, r;
    unsigned prev = 0;   /* the last record that is not a CONTINUE, as freexl keeps it */
    size_t at = 0;
    while (at = w.pos, (r = rec(&w, &t, &p, &len)) == 1) {
        if (gd->g->biff8 && (t == 0x00FC || (t == 0x003C && prev == 0x00FC))) {
            int rc = guard_sst(gd, p, len, d);
            if (rc != SOKO_OK) return rc;
        }
        if (t != 0x003C) prev = t;
        if (!in) {
            if (t != 0x0809) continue;   /* freexl fails here: its message is the one given */
            in = 1;
            ndim = 0;
            gd->sheet = NULL;
            for (size_t i = 0; i < gd->g->nbs; i++)
                if (gd->g->bs[i].pos == at) gd->sheet = gd->g->bs[i].name ? gd->g->bs[i].name : "?";
            continue;
        }
        if (t == 0x0809) {
            /* a chart (or another object) inside a sheet: freexl takes the chart's EOF
             * for the sheet's and fails on what follows */
            if (gd->sheet)
                return sheet_fail(gd->b, d, SHEET_ERR_UNSUPPORTED, gd->sheet, 0, 0,
                                  _("the sheet holds an embedded chart or object, which libfreexl cannot read; "
                                    "save the workbook as .xlsx"));
            continue;
        }
        if (t == 0x000A) {
            in = 0;
            continue;
        }
        int rc = guard_record(gd, t, p, len, &ndim, d);
        if (rc != SOKO_OK) return rc;
    }
    return SOKO_OK;
}

/* One sheet's substream from its BOF to its EOF (embedded charts nest inside). */
static int read_sheet(struct sheetpass *sp, struct walk *w, struct soko_diag *d)
{
    struct sheet_book *b = sp->b;
    struct sheet_sheet *s = sp->s;
    unsigned t, len;
    const unsigned char *p;
    int depth = 0, r;
    long srow = 0, scol = 0;   /* a FORMULA whose text result is in the next STRING */
    while ((r = rec(w, &t, &p, &len)) == 1) {
        if (t == 0x0809) {
            depth++;
            continue;
        }
        if (t == 0x000A) {
            if (--depth <= 0) break;
            continue;
        }
        if (depth != 1) continue;
        char num[32], date[24];
        switch (t) {
        case 0x00E5: {   /* MERGEDCELLS */
            if (len < 2) break;
            unsigned k = le16(p);
            for (unsigned i = 0; i < k && 2 + 8 * (size_t)(i + 1) <= len; i++) {
                const unsigned char *q = p + 2 + 8 * i;
                if (s->nmerges >= b->lim.max_merges)
                    return sheet_fail(b, d, SHEET_ERR_LIMIT, s->name, 0, 0,
                                      _("more than %zu merged ranges"), b->lim.max_merges);
                if (s->nmerges == sp->mcap) {
                    sp->mcap = sp->mcap ? sp->mcap * 2 : 16;
                    s->merges = xrealloc(s->merges, sp->mcap * sizeof *s->merges);
                }
                long r1 = (long)le16(q) + 1, r2 = (long)le16(q + 2) + 1;
                long c1 = (long)le16(q + 4) + 1, c2 = (long)le16(q + 6) + 1;
                if (c1 > 256 || c2 > 256)   /* BIFF8 sheets end at column IV */
                    return sheet_fail(b, d, SHEET_ERR_CORRUPT, s->name, 0, 0,
                                      _("a merged range reaches column %ld, past the last column of an .xls (IV)"),
                                      c1 > c2 ? c1 : c2);
                struct sheet_range *m = &s->merges[s->nmerges++];
                m->row1 = r1 < r2 ? r1 : r2;
                m->row2 = r1 < r2 ? r2 : r1;
                m->col1 = c1 < c2 ? c1 : c2;
                m->col2 = c1 < c2 ? c2 : c1;
            }
            break;
        }
        case 0x0205: {   /* BOOLERR */
            if (len < 8) break;
            long row = (long)le16(p) + 1, col = (long)le16(p + 2) + 1;
            if (p[7]) {
                const char *e = sheet_biff_error(p[6]);
                if (!e) e = "#N/A";
                over_add(sp, row, col, SHEET_ERROR, e, strlen(e));
            } else {
                over_add(sp, row, col, SHEET_BOOL, p[6] ? "TRUE" : "FALSE", p[6] ? 4 : 5);
            }
            break;
        }
        case 0x0006: {   /* FORMULA: its cached result */
            srow = 0;
            if (len < 20) break;
            long row = (long)le16(p) + 1, col = (long)le16(p + 2) + 1;
            unsigned xf = le16(p + 4);
            const unsigned char *v = p + 6;
            if (v[6] == 0xFF && v[7] == 0xFF) {
                switch (v[0]) {
                case 0: srow = row, scol = col; break;           /* text: in STRING */
                case 1: over_add(sp, row, col, SHEET_BOOL, v[2] ? "TRUE" : "FALSE", v[2] ? 4 : 5); break;
                case 2: {
                    const char *e = sheet_biff_error(v[2]);
                    if (!e) e = "#N/A";
                    over_add(sp, row, col, SHEET_ERROR, e, strlen(e));
                    break;
                }
                case 3: over_add(sp, row, col, SHEET_EMPTY, "", 0); break;
                default: break;
                }
                break;
            }
            double x;
            memcpy(&x, v, 8);   /* IEEE 754, little-endian on every platform we build for */
            if (!isfinite(x)) {
                over_add(sp, row, col, SHEET_ERROR, "#NUM!", 5);
                break;
            }
            int k = xf < sp->g->nxf ? sp->g->xf[xf] : SHEET_FMT_NUMBER;
            size_t n = 0;
            if (k != SHEET_FMT_NUMBER) n = sheet_serial_to_iso(x, sp->g->date1904, k == SHEET_FMT_DATETIME, date);
            if (n) over_add(sp, row, col, SHEET_DATE, date, n);
            else over_add(sp, row, col, SHEET_NUMBER, num, sheet_format_number(x, num));
            break;
        }
        case 0x0207: {   /* STRING: the text result of the FORMULA before it */
            if (!srow || len < 3) break;
            struct sbuf str = SBUF_INIT;
            if (unistr(w, p + 2, len - 2, le16(p), 1, 0, &str) == 0) {
                if (str.len > b->lim.max_cell_bytes) {
                    sbuf_free(&str);
                    return sheet_fail(b, d, SHEET_ERR_LIMIT, s->name, srow, scol,
                                      _("the cell holds more than %zu bytes of text"), b->lim.max_cell_bytes);
                }
                over_add(sp, srow, scol, SHEET_STRING, str.s ? str.s : "", str.len);
            }
            sbuf_free(&str);
            srow = 0;
            break;
        }
        case 0x04BC: case 0x0221: case 0x0236:   /* SHRFMLA, ARRAY, TABLE: STRING may follow */
            break;
        default:
            srow = 0;
            break;
        }
    }
    if (r < 0)
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, s->name, 0, 0,
                          _("the sheet's BIFF records are cut short"));
    return SOKO_OK;
}

/* ------------------------------------------------------------ open, read */

/* freexl 1.0.6 finds the workbook stream by converting the names of the first
 * directory sector's entries, in order until "Workbook" or "Book", with the length
 * each entry claims, from a 64-byte field: a longer claim reads past its stack buffer.
 * 1 when every name it would convert is at most 64 bytes, and of whole characters. */
static int freexl_safe_directory(const struct cfb *c)
{
    for (uint32_t i = 0; i < c->eper && i < c->nent; i++) {
        const struct cfb_entry *e = &c->ent[i];
        if (e->nlen > 64 || e->nlen % 2) return 0;
        if (strcmp(e->name, "Workbook") == 0 || strcmp(e->name, "Book") == 0) return 1;
    }
    return 1;
}

int xls_open(struct sheet_book *b, struct soko_diag *d)
{
    struct cfb c;
    const char *why;
    if (cfb_open(b->path, &c, &why) != 0)
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0, _("not a readable .xls file: it %s"), _(why));
    long id = cfb_find(&c, "Workbook");
    if (id < 0) id = cfb_find(&c, "Book");
    unsigned char *buf = NULL;
    size_t n = 0, nbs = 0;
    struct sheet_sheet *pre = NULL;   /* what our pass finds, per BOUNDSHEET */
    int rc = SOKO_OK;
    struct globals g;
    memset(&g, 0, sizeof g);
    if (id < 0) {
        rc = sheet_fail(b, d, SHEET_ERR_NOT_SHEET, NULL, 0, 0,
                        _("an OLE2 file without a workbook stream (another Office document?), not a spreadsheet"));
        goto done;
    }
    uint64_t cap64 = b->lim.max_part_bytes;
    size_t cap = cap64 > SIZE_MAX ? SIZE_MAX : (size_t)cap64;
    if (cfb_read(&c, id, &buf, &n, cap, &why) != 0) {
        rc = sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0, _("not a readable .xls file: it %s"), _(why));
        goto done;
    }
    if (!freexl_safe_directory(&c)) {
        rc = sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0,
                        _("not a readable .xls file: it has a damaged OLE2 directory (a name longer than 32 characters)"));
        goto done;
    }
    struct walk w = {buf, n, 0};
    if (read_globals(&w, &g) != 0) {
        rc = sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0,
                        _("not a readable .xls file: its workbook stream does not hold BIFF5/BIFF8 records"));
        goto done;
    }
    if (g.encrypted) {
        rc = sheet_fail(b, d, SHEET_ERR_ENCRYPTED, NULL, 0, 0,
                        _("the workbook is password-protected (encrypted); expected it saved without a password"));
        goto done;
    }
    cfb_close(&c);

    /* our passes over the records come before freexl reads them: the guard refuses
     * what would cost freexl hours or gigabytes or make it misbehave; then, for BIFF8,
     * each sheet's merged ranges and the cells freexl skips */
    struct guard gd = {.b = b, .g = &g};
    for (size_t i = 0; i < g.nbs; i++)
        if (g.bs[i].name) {
            char *clean = sheet_clean_name(g.bs[i].name);
            free(g.bs[i].name);
            g.bs[i].name = clean;
        }
    if ((rc = guard_walk(&gd, buf, n, d)) != SOKO_OK) goto done;
    nbs = g.nbs > SHEET_MAX_SHEETS ? SHEET_MAX_SHEETS : g.nbs;
    pre = xcalloc(nbs ? nbs : 1, sizeof *pre);
    for (size_t i = 0; i < nbs && rc == SOKO_OK && g.biff8; i++) {
        struct sheet_sheet *s = &pre[i];
        s->name = g.bs[i].name ? xstrdup(g.bs[i].name) : xasprintf("Sheet%zu", i + 1);
        struct sheetpass sp = {b, s, &g, 0, 0, 0, SBUF_INIT};
        struct walk sw = {buf, n, g.bs[i].pos};
        if (g.bs[i].pos >= n)
            rc = sheet_fail(b, d, SHEET_ERR_CORRUPT, s->name, 0, 0,
                            _("the sheet's BIFF records are outside the workbook stream"));
        else
            rc = read_sheet(&sp, &sw, d);
        s->over_text = sbuf_take(&sp.text);
        if (s->nover > 1) qsort(s->over, s->nover, sizeof *s->over, cmp_over);
        s->nmerges = sheet_sort_merges(s->merges, s->nmerges);
    }
    if (rc != SOKO_OK) goto done;

    const void *h = NULL;
    int fx = freexl_open(b->path, &h);
    if (fx == FREEXL_OK && !h) fx = FREEXL_CRAFTED_FILE;   /* freexl 1.0.6 on some damaged
                                                              streams: "ok" and no handle */
    if (fx != FREEXL_OK) {
        if (h) freexl_close(h);
        rc = sheet_fail(b, d, fx == FREEXL_FILE_NOT_FOUND ? SHEET_ERR_IO : SHEET_ERR_CORRUPT, NULL, 0, 0,
                        _("libfreexl cannot read the workbook: %s"), _(freexl_why(fx)));
        goto done;
    }
    b->xls = h;
    unsigned v = 0;
    if (freexl_get_info(h, FREEXL_BIFF_PASSWORD, &v) == FREEXL_OK && v == FREEXL_BIFF_OBFUSCATED) {
        rc = sheet_fail(b, d, SHEET_ERR_ENCRYPTED, NULL, 0, 0,
                        _("the workbook is password-protected (encrypted); expected it saved without a password"));
        goto done;
    }
    if (freexl_get_info(h, FREEXL_BIFF_DATEMODE, &v) == FREEXL_OK) b->date1904 = v == FREEXL_BIFF_DATEMODE_1904;
    unsigned count = 0;
    if ((fx = freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &count)) != FREEXL_OK) {
        rc = sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0, _("libfreexl cannot read the workbook: %s"),
                        _(freexl_why(fx)));
        goto done;
    }
    if (count > SHEET_MAX_SHEETS) count = SHEET_MAX_SHEETS;
    b->sh = xcalloc(count ? count : 1, sizeof *b->sh);
    int mine = g.biff8 && nbs == count;   /* our records map onto freexl's sheets */
    for (unsigned i = 0; i < count; i++) {
        const char *name = NULL;
        struct sheet_sheet *s = &b->sh[b->nsh++];
        s->name = freexl_get_worksheet_name(h, (unsigned short)i, &name) == FREEXL_OK && name
                      ? sheet_clean_name(name) : xasprintf("Sheet%u", i + 1);
        s->merges_done = 1;
        if (i < nbs) {
            s->hidden = g.bs[i].hidden;
            s->chart = g.bs[i].type != 0;
        }
        if (!mine) continue;
        /* the merged ranges and the overriding cells pass to the book */
        s->merges = pre[i].merges;
        s->nmerges = pre[i].nmerges;
        s->over = pre[i].over;
        s->nover = pre[i].nover;
        s->over_text = pre[i].over_text;
        pre[i].merges = NULL;
        pre[i].over = NULL;
        pre[i].over_text = NULL;
    }
done:
    if (c.f) cfb_close(&c);
    for (size_t i = 0; pre && i < nbs; i++) {
        free(pre[i].name);
        free(pre[i].merges);
        free(pre[i].over);
        free(pre[i].over_text);
    }
    free(pre);
    globals_free(&g);
    free(buf);
    return rc;
}

void xls_close(struct sheet_book *b)
{
    if (b->xls) freexl_close(b->xls);
    b->xls = NULL;
}

/* freexl's value of one cell → rd_cell. */
static int put_value(struct sheet_reader *r, long col, const FreeXL_CellValue *v, struct soko_diag *d)
{
    char buf[32];
    switch (v->type) {
    case FREEXL_CELL_INT: {
        int n = snprintf(buf, sizeof buf, "%d", v->value.int_value);
        return rd_cell(r, col, SHEET_NUMBER, buf, (size_t)n, 0, d);
    }
    case FREEXL_CELL_DOUBLE:
        if (!isfinite(v->value.double_value)) return rd_cell(r, col, SHEET_ERROR, "#NUM!", 5, 1, d);
        return rd_cell(r, col, SHEET_NUMBER, buf, sheet_format_number(v->value.double_value, buf), 0, d);
    case FREEXL_CELL_TEXT: case FREEXL_CELL_SST_TEXT: {
        const char *t = v->value.text_value ? v->value.text_value : "";
        return rd_cell(r, col, SHEET_STRING, t, strlen(t), 0, d);
    }
    case FREEXL_CELL_DATE: case FREEXL_CELL_DATETIME: {
        /* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" → ISO 8601 with a 'T' */
        const char *t = v->value.text_value ? v->value.text_value : "";
        size_t n = strlen(t);
        if (n >= sizeof buf) n = sizeof buf - 1;
        memcpy(buf, t, n);
        buf[n] = '\0';
        if (n > 10 && buf[10] == ' ') buf[10] = 'T';
        return rd_cell(r, col, SHEET_DATE, buf, n, 0, d);
    }
    case FREEXL_CELL_TIME: {
        /* a time of day only: the fraction of a day, as an .xlsx gives it */
        int h = 0, m = 0, s = 0;
        const char *t = v->value.text_value ? v->value.text_value : "";
        if (sscanf(t, "%d:%d:%d", &h, &m, &s) != 3) return SOKO_OK;
        double x = (h * 3600.0 + m * 60.0 + s) / 86400.0;
        return rd_cell(r, col, SHEET_NUMBER, buf, sheet_format_number(x, buf), 0, d);
    }
    default:
        return SOKO_OK;
    }
}

int xls_read(struct sheet_book *b, size_t i, struct sheet_reader *r, struct soko_diag *d)
{
    const struct sheet_sheet *s = &b->sh[i];
    const void *h = b->xls;
    int fx = freexl_select_active_worksheet(h, (unsigned short)i);
    if (fx != FREEXL_OK)
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, s->name, 0, 0, _("libfreexl cannot read the sheet: %s"),
                          _(freexl_why(fx)));
    unsigned rows = 0;
    unsigned short cols = 0;
    if ((fx = freexl_worksheet_dimensions(h, &rows, &cols)) != FREEXL_OK)
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, s->name, 0, 0, _("libfreexl cannot read the sheet: %s"),
                          _(freexl_why(fx)));
    long last = rows;
    if (s->nover && s->over[s->nover - 1].row > last) last = s->over[s->nover - 1].row;
    if (last > SHEET_MAX_ROW) last = SHEET_MAX_ROW;
    size_t k = 0;
    for (long row = 1; row <= last; row++) {
        int rc = rd_begin_row(r, row, d);
        if (rc != SOKO_OK) return rc;
        for (unsigned c = 0; row <= (long)rows && c < cols; c++) {
            FreeXL_CellValue v;
            fx = freexl_get_cell_value(h, (unsigned)(row - 1), (unsigned short)c, &v);
            if (fx != FREEXL_OK)
                return sheet_fail(b, d, SHEET_ERR_CORRUPT, s->name, row, (long)c + 1,
                                  _("libfreexl cannot read the cell: %s"), _(freexl_why(fx)));
            if ((rc = put_value(r, (long)c + 1, &v, d)) != SOKO_OK) return rc;
        }
        for (; k < s->nover && s->over[k].row == row; k++) {
            const struct sheet_override *o = &s->over[k];
            rc = rd_cell(r, o->col, (enum sheet_type)o->type, s->over_text + o->off, o->len, 1, d);
            if (rc != SOKO_OK) return rc;
        }
        if ((rc = rd_end_row(r, d)) != SOKO_OK) return rc;
    }
    return SOKO_OK;
}
