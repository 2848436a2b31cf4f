/*
 * sheet_xlsx.c — Office Open XML workbooks (.xlsx, .xlsm): libzip gives each part as
 * a stream of bytes, counted against max_part_bytes, and libxml2's xmlTextReader
 * reads it one node at a time, so a worksheet is never held in memory.
 *
 * Parts are found the way the format says (ECMA-376 part 2, OPC): _rels/.rels names
 * the workbook, its relationships name each sheet's part, the shared strings and the
 * styles; part names are matched ignoring ASCII case. Elements are matched by local
 * name, so prefixed (x:row) and Strict OOXML files read the same. A DTD is refused
 * (no SpreadsheetML part has one), entities are never loaded from outside.
 */
#include "i18n.h"
#include "sheet_int.h"

#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

/* ------------------------------------------------------------ one part */

struct part {
    struct sheet_book *b;
    const char *name;
    zip_file_t *zf;
    uint64_t got, cap;
    int zerr;                /* decompression failed (zmsg says why) */
    int over;                /* more than cap bytes */
    char zmsg[160];
};

/* Opens zip entry name. *absent is set (and SOKO_OK returned) when there is none. */
static int part_open(struct sheet_book *b, const char *name, struct part *p, int *absent,
                     struct soko_diag *d)
{
    memset(p, 0, sizeof *p);
    p->b = b;
    p->name = name;
    p->cap = b->lim.max_part_bytes;
    *absent = 0;
    zip_t *za = b->zip;
    zip_int64_t idx = zip_name_locate(za, name, ZIP_FL_NOCASE);
    if (idx < 0) {
        *absent = 1;
        return SOKO_OK;
    }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
        st.size > p->cap)
        return sheet_fail(b, d, SHEET_ERR_LIMIT, NULL, 0, 0,
                          _("part %s is %llu bytes uncompressed, more than the limit of %llu"),
                          name, (unsigned long long)st.size, (unsigned long long)p->cap);
    p->zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    if (!p->zf) {
        int code = zip_error_code_zip(zip_get_error(za));
        if (code == ZIP_ER_NOPASSWD || code == ZIP_ER_WRONGPASSWD)
            return sheet_fail(b, d, SHEET_ERR_ENCRYPTED, NULL, 0, 0,
                              _("part %s is encrypted in the zip archive; expected a workbook saved without a password"),
                              name);
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0, _("cannot open part %s: %s"), name,
                          zip_strerror(za));
    }
    return SOKO_OK;
}

static zip_int64_t part_read(struct part *p, char *buf, size_t len)
{
    if (p->zerr || p->over) return -1;
    if (p->got >= p->cap) {
        char one;
        zip_int64_t n = zip_fread(p->zf, &one, 1);
        if (n > 0) p->over = 1;
        if (n < 0) goto zerr;
        return n > 0 ? -1 : 0;
    }
    if (len > p->cap - p->got) len = (size_t)(p->cap - p->got);
    zip_int64_t n = zip_fread(p->zf, buf, len);
    if (n < 0) goto zerr;
    p->got += (uint64_t)n;
    return n;
zerr:
    p->zerr = 1;
    snprintf(p->zmsg, sizeof p->zmsg, "%s", zip_file_strerror(p->zf));
    return -1;
}

static void part_close(struct part *p)
{
    if (p->zf) zip_fclose(p->zf);
    p->zf = NULL;
}

/* A failure of the part itself (not its XML): the cap or the zip. */
static int part_fail(struct part *p, const char *sheet, long row, struct soko_diag *d)
{
    if (p->over)
        return sheet_fail(p->b, d, SHEET_ERR_LIMIT, sheet, row, 0,
                          _("part %s holds more than %llu bytes uncompressed (a zip bomb?)"),
                          p->name, (unsigned long long)p->cap);
    return sheet_fail(p->b, d, SHEET_ERR_CORRUPT, sheet, row, 0,
                      _("part %s cannot be decompressed: %s"), p->name, p->zmsg);
}

/* ------------------------------------------------------------ XML of a part */

struct xml {
    struct part p;
    xmlTextReaderPtr rd;
    int silenced;            /* libxml2's global handlers are ours until xml_close */
    xmlGenericErrorFunc old_generic;
    void *old_generic_ctx;
    xmlStructuredErrorFunc old_structured;
    void *old_structured_ctx;
    int dtd;                 /* a DOCTYPE was met */
    int closed;              /* the root element's end was read */
    int eset;                /* emsg holds libxml2's first error, ecode its code */
    int ecode;
    char emsg[200];
};

static int xml_io_read(void *ctx, char *buf, int len)
{
    struct xml *x = ctx;
    zip_int64_t n = part_read(&x->p, buf, len > 0 ? (size_t)len : 0);
    return n < 0 ? -1 : (int)n;
}

static void xml_error(void *ctx, xmlErrorPtr e)
{
    struct xml *x = ctx;
    if (x->eset || !e || e->level < XML_ERR_ERROR) return;
    x->eset = 1;
    x->ecode = e->code;
    const char *m = e->message ? e->message : "?";
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    sheet_quote(x->emsg, sizeof x->emsg, m, n);   /* libxml2 may quote the document */
}

static void xml_close(struct xml *x);

/* libxml2's encoding layer reports through the global handlers, not the reader's
 * ("input conversion failed due to input error"), and their default prints to
 * stderr; library code never prints. So while a part is read the global structured
 * handler records into the part like the reader's own, and the generic one (used
 * only when no structured handler is set) is silent. */
static void xml_silent_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static int xml_open(struct sheet_book *b, const char *name, struct xml *x, int *absent,
                    struct soko_diag *d)
{
    memset(x, 0, sizeof *x);
    int rc = part_open(b, name, &x->p, absent, d);
    if (rc != SOKO_OK || *absent) return rc;
    x->old_generic = xmlGenericError;
    x->old_generic_ctx = xmlGenericErrorContext;
    x->old_structured = xmlStructuredError;
    x->old_structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(NULL, xml_silent_generic);
    xmlSetStructuredErrorFunc(x, xml_error);
    x->silenced = 1;
    /* no network, no entity substitution, no DTD loading; text nodes stay within
     * libxml2's default 10 MB bound (no XML_PARSE_HUGE) */
    x->rd = xmlReaderForIO(xml_io_read, NULL, x, name, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    if (!x->rd) {
        rc = x->p.over || x->p.zerr
                 ? part_fail(&x->p, NULL, 0, d)
                 : sheet_fail(b, d, SHEET_ERR_MALFORMED, NULL, 0, 0, _("part %s cannot be read as XML"), name);
        xml_close(x);
        return rc;
    }
    xmlTextReaderSetStructuredErrorHandler(x->rd, xml_error, x);
    return SOKO_OK;
}

/* Next node: 1, 0 at the end, -1 on an error (xml_fail says which). */
static int xml_next(struct xml *x)
{
    int r = xmlTextReaderRead(x->rd);
    if (r != 1) return r;
    int t = xmlTextReaderNodeType(x->rd);
    if (t == XML_READER_TYPE_DOCUMENT_TYPE) {
        x->dtd = 1;
        return -1;
    }
    if (t == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(x->rd) == 0) x->closed = 1;
    return r;
}

static int xml_fail(struct xml *x, const char *sheet, long row, struct soko_diag *d)
{
    if (x->p.over || x->p.zerr) return part_fail(&x->p, sheet, row, d);
    if (x->dtd)
        return sheet_fail(x->p.b, d, SHEET_ERR_MALFORMED, sheet, row, 0,
                          _("part %s has a DTD (<!DOCTYPE>); expected SpreadsheetML without one"),
                          x->p.name);
    if (!x->closed && (!x->eset || x->ecode == XML_ERR_DOCUMENT_END))
        return sheet_fail(x->p.b, d, SHEET_ERR_MALFORMED, sheet, row, 0,
                          _("part %s is not well-formed XML: it ends inside an element (cut short?)"),
                          x->p.name);
    return sheet_fail(x->p.b, d, SHEET_ERR_MALFORMED, sheet, row, 0,
                      _("part %s is not well-formed XML: %s"), x->p.name,
                      x->eset ? x->emsg : "?");
}

static void xml_close(struct xml *x)
{
    if (x->rd) xmlFreeTextReader(x->rd);
    x->rd = NULL;
    part_close(&x->p);
    if (x->silenced) {
        xmlSetGenericErrorFunc(x->old_generic_ctx, x->old_generic);
        xmlSetStructuredErrorFunc(x->old_structured_ctx, x->old_structured);
        x->silenced = 0;
    }
}

static const char *lname(struct xml *x)
{
    const xmlChar *n = xmlTextReaderConstLocalName(x->rd);
    return n ? (const char *)n : "";
}

static int is_elem(struct xml *x) { return xmlTextReaderNodeType(x->rd) == XML_READER_TYPE_ELEMENT; }
static int is_end(struct xml *x) { return xmlTextReaderNodeType(x->rd) == XML_READER_TYPE_END_ELEMENT; }
static int is_empty(struct xml *x) { return xmlTextReaderIsEmptyElement(x->rd) == 1; }

static int is_text(struct xml *x)
{
    int t = xmlTextReaderNodeType(x->rd);
    return t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
           t == XML_READER_TYPE_WHITESPACE || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

static const char *text_value(struct xml *x)
{
    const xmlChar *v = xmlTextReaderConstValue(x->rd);
    return v ? (const char *)v : "";
}

/* Attributes of the current element: call attr_first, then attr_next until 0; each
 * sets *name (local) and *value. Namespace declarations are skipped. */
static int attr_step(struct xml *x, int r, const char **name, const char **value)
{
    while (r == 1) {
        if (xmlTextReaderIsNamespaceDecl(x->rd) != 1) {
            *name = lname(x);
            *value = text_value(x);
            return 1;
        }
        r = xmlTextReaderMoveToNextAttribute(x->rd);
    }
    xmlTextReaderMoveToElement(x->rd);
    return 0;
}
static int attr_first(struct xml *x, const char **n, const char **v)
{
    return attr_step(x, xmlTextReaderMoveToFirstAttribute(x->rd), n, v);
}
static int attr_next(struct xml *x, const char **n, const char **v)
{
    return attr_step(x, xmlTextReaderMoveToNextAttribute(x->rd), n, v);
}

/* ------------------------------------------------------------ text helpers */

/* File text quoted in a message: at most 40 bytes of it (sheet_quote). */
#define Q(s, n) sheet_quote(qbuf, sizeof qbuf, (s), (n))

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Appends s[0..n) to out decoding OOXML's _xHHHH_ escapes (a UTF-16 code unit, e.g.
 * _x000D_ for a carriage return; "_x005F_" is a literal '_'). A NUL is dropped. */
static void ooxml_unescape(struct sbuf *out, const char *s, size_t n)
{
    size_t i = 0, run = 0;
    while (i < n) {
        long u;
        if (s[i] == '_' && i + 7 <= n && s[i + 1] == 'x' && s[i + 6] == '_' && (u = hex4(s + i + 2)) >= 0) {
            sbuf_add(out, s + run, i - run);
            i += 7;
            if (u >= 0xD800 && u <= 0xDBFF && i + 7 <= n && s[i] == '_' && s[i + 1] == 'x' &&
                s[i + 6] == '_') {
                long lo = hex4(s + i + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    sheet_put_utf8(out, 0x10000 + (((unsigned long)u - 0xD800) << 10) + ((unsigned long)lo - 0xDC00));
                    i += 7;
                    run = i;
                    continue;
                }
            }
            if (u != 0) sheet_put_utf8(out, (unsigned long)u);
            run = i;
            continue;
        }
        i++;
    }
    sbuf_add(out, s + run, n - run);
}

/* Percent-decodes and resolves an OPC relationship target against the directory of
 * the source part ("xl/"); "/xl/x.xml" is absolute. Caller frees. */
static char *resolve(const char *dir, const char *target)
{
    struct sbuf t = SBUF_INIT;
    for (const char *p = target; *p; p++) {
        int h1, h2;
        if (*p == '%' && (h1 = hexval(p[1])) >= 0 && (h2 = hexval(p[2])) >= 0 && (h1 || h2)) {
            sbuf_addc(&t, (char)(h1 * 16 + h2));
            p += 2;
        } else if (*p == '\\') {
            sbuf_addc(&t, '/');
        } else {
            sbuf_addc(&t, *p);
        }
    }
    struct sbuf full = SBUF_INIT;
    const char *s = t.s ? t.s : "";
    if (*s == '/') {
        while (*s == '/') s++;
    } else {
        sbuf_adds(&full, dir);
    }
    sbuf_adds(&full, s);
    sbuf_free(&t);
    /* normalize: drop "." segments and let ".." take the previous one */
    struct sbuf out = SBUF_INIT;
    sbuf_adds(&out, "");
    const char *p = full.s ? full.s : "";
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* skip */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = out.len ? strrchr(out.s, '/') : NULL;
            out.len = slash ? (size_t)(slash - out.s) : 0;
            out.s[out.len] = '\0';
        } else {
            if (out.len) sbuf_addc(&out, '/');
            sbuf_add(&out, p, n);
        }
        p += n;
        if (*p == '/') p++;
    }
    sbuf_free(&full);
    char *raw = sbuf_take(&out);
    char *clean = sheet_clean_name(raw);   /* it is quoted in messages */
    free(raw);
    return clean;
}

/* "xl/workbook.xml" → "xl/" (caller frees). */
static char *dir_of(const char *part)
{
    const char *slash = strrchr(part, '/');
    return xstrndup(part, slash ? (size_t)(slash - part) + 1 : 0);
}

/* ------------------------------------------------------------ relationships */

struct rel {
    char *id, *type, *target;   /* target resolved to a part name */
    size_t seq;                 /* order in the file */
};

struct rels {
    struct rel *v;
    size_t n;
};

static void rels_free(struct rels *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].id);
        free(r->v[i].type);
        free(r->v[i].target);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* Reads the relationships of part `source` (its _rels/NAME.rels); none is fine. */
static int rels_read(struct sheet_book *b, const char *source, struct rels *out,
                     struct soko_diag *d)
{
    memset(out, 0, sizeof *out);
    char *dir = dir_of(source);
    const char *base = source + strlen(dir);
    char *name = xasprintf("%s_rels/%s.rels", dir, base);
    struct xml x;
    int absent, rc = xml_open(b, name, &x, &absent, d);
    if (rc != SOKO_OK || absent) goto done;
    int r;
    while ((r = xml_next(&x)) == 1) {
        if (!is_elem(&x) || strcmp(lname(&x), "Relationship") != 0) continue;
        const char *an, *av, *id = NULL, *type = NULL, *target = NULL;
        int external = 0;
        for (int ok = attr_first(&x, &an, &av); ok; ok = attr_next(&x, &an, &av)) {
            if (strcmp(an, "Id") == 0) id = av;
            else if (strcmp(an, "Type") == 0) type = av;
            else if (strcmp(an, "Target") == 0) target = av;
            else if (strcmp(an, "TargetMode") == 0) external = strcmp(av, "External") == 0;
        }
        /* the values point into the reader: copy before the next move */
        if (!id || !type || !target || external) continue;
        if (out->n >= SHEET_MAX_SHEETS * 4) {
            rc = sheet_fail(b, d, SHEET_ERR_LIMIT, NULL, 0, 0,
                            _("part %s has more than %d relationships"), name, SHEET_MAX_SHEETS * 4);
            goto done;
        }
        out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
        struct rel *e = &out->v[out->n++];
        e->id = xstrdup(id);
        e->seq = out->n - 1;
        e->type = xstrdup(type);
        e->target = resolve(dir, target);
    }
    if (r < 0) rc = xml_fail(&x, NULL, 0, d);
done:
    xml_close(&x);
    free(name);
    free(dir);
    if (rc != SOKO_OK) rels_free(out);
    return rc;
}

/* The first relationship of that type in the file. */
static const struct rel *rel_by_type(const struct rels *r, const char *suffix)
{
    const struct rel *best = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (ends_with(r->v[i].type, suffix) && (!best || r->v[i].seq < best->seq)) best = &r->v[i];
    return best;
}

static int cmp_rel(const void *a, const void *b)
{
    const struct rel *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c) return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* r sorted by rels_sort: the first relationship with that Id, as in the file. */
static const struct rel *rel_by_id(const struct rels *r, const char *id)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(r->v[mid].id, id) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->n && strcmp(r->v[lo].id, id) == 0 ? &r->v[lo] : NULL;
}

static void rels_sort(struct rels *r)
{
    if (r->n > 1) qsort(r->v, r->n, sizeof *r->v, cmp_rel);
}

/* ------------------------------------------------------------ styles */

struct numfmt {
    long id;
    size_t seq;              /* order in the file: the last definition of an id wins */
    unsigned char kind;
};

static int cmp_numfmt(const void *a, const void *b)
{
    const struct numfmt *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The kind of format id: its last <numFmt> (nf sorted by cmp_numfmt), else built-in. */
static unsigned char numfmt_kind(const struct numfmt *nf, size_t n, long id)
{
    size_t lo = 0, hi = n;   /* first entry with an id greater than id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nf[mid].id <= id) lo = mid + 1;
        else hi = mid;
    }
    if (lo > 0 && nf[lo - 1].id == id) return nf[lo - 1].kind;
    return (unsigned char)sheet_format_kind(id > 0 && id < 1000 ? (int)id : 0, NULL);
}

/* cellXfs → what each style's number format shows (b->xf). No styles part is fine. */
static int styles_read(struct sheet_book *b, const char *part, struct soko_diag *d)
{
    struct xml x;
    int absent, rc = xml_open(b, part, &x, &absent, d);
    if (rc != SOKO_OK || absent) return rc;
    struct numfmt *nf = NULL;
    long *xfid = NULL;
    size_t nnf = 0, cap = 0, xfcap = 0;
    int in_fmts = 0, in_xfs = 0, r;
    enum { MAXXF = 65536 };   /* Excel allows 64,000 styles */
    while ((r = xml_next(&x)) == 1) {
        const char *n = lname(&x);
        if (is_end(&x)) {
            if (strcmp(n, "numFmts") == 0) in_fmts = 0;
            else if (strcmp(n, "cellXfs") == 0) in_xfs = 0;
            continue;
        }
        if (!is_elem(&x)) continue;
        int empty = is_empty(&x);
        const char *an, *av;
        if (strcmp(n, "numFmts") == 0) {
            in_fmts = !empty;
        } else if (strcmp(n, "cellXfs") == 0) {
            in_xfs = !empty;
        } else if (in_fmts && strcmp(n, "numFmt") == 0 && nnf < MAXXF) {
            long id = -1;
            int kind = -1;
            for (int ok = attr_first(&x, &an, &av); ok; ok = attr_next(&x, &an, &av)) {
                if (strcmp(an, "numFmtId") == 0) id = strtol(av, NULL, 10);
                else if (strcmp(an, "formatCode") == 0) kind = (int)sheet_format_kind(-1, av);
            }
            if (id < 0 || kind < 0) continue;
            if (nnf == cap) nf = xrealloc(nf, (cap = cap ? cap * 2 : 16) * sizeof *nf);
            nf[nnf].id = id;
            nf[nnf].seq = nnf;
            nf[nnf++].kind = (unsigned char)kind;
        } else if (in_xfs && strcmp(n, "xf") == 0 && b->nxf < MAXXF) {
            long id = 0;
            for (int ok = attr_first(&x, &an, &av); ok; ok = attr_next(&x, &an, &av))
                if (strcmp(an, "numFmtId") == 0) id = strtol(av, NULL, 10);
            if (b->nxf == xfcap) xfid = xrealloc(xfid, (xfcap = xfcap ? xfcap * 2 : 64) * sizeof *xfid);
            xfid[b->nxf++] = id;
        }
    }
    if (r < 0) rc = xml_fail(&x, NULL, 0, d);
    xml_close(&x);
    /* each style's kind, once every format is known */
    if (nnf > 1) qsort(nf, nnf, sizeof *nf, cmp_numfmt);
    b->xf = xmalloc(b->nxf + 1);
    for (size_t i = 0; i < b->nxf; i++) b->xf[i] = numfmt_kind(nf, nnf, xfid[i]);
    free(xfid);
    free(nf);
    return rc;
}

/* ------------------------------------------------------------ the workbook */

/* Reads name from the zip into a small buffer (at most max bytes); 0 when absent. */
static size_t read_small(struct sheet_book *b, const char *name, char *buf, size_t max)
{
    zip_file_t *f = zip_fopen((zip_t *)b->zip, name, ZIP_FL_NOCASE);
    if (!f) return 0;
    zip_int64_t n = zip_fread(f, buf, max);
    zip_fclose(f);
    return n > 0 ? (size_t)n : 0;
}

int xlsx_open(struct sheet_book *b, struct soko_diag *d)
{
    int zerr = 0;
    zip_t *za = zip_open(b->path, ZIP_RDONLY, &zerr);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        int rc;
        if (zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ || zerr == ZIP_ER_SEEK)
            rc = sheet_fail(b, d, SHEET_ERR_IO, NULL, 0, 0, _("cannot read: %s"), zip_error_strerror(&ze));
        else
            rc = sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0,
                            _("not a readable zip archive (damaged or cut short?): %s"),
                            zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return rc;
    }
    b->zip = za;

    char mt[64];
    size_t n = read_small(b, "mimetype", mt, sizeof mt - 1);
    mt[n] = '\0';
    if (strncmp(mt, "application/vnd.oasis.opendocument", 34) == 0)
        return sheet_fail(b, d, SHEET_ERR_UNSUPPORTED, NULL, 0, 0,
                          _("an OpenDocument file (.ods), not read; expected .xlsx or .xls: save it as an Excel workbook"));

    struct rels root, wrels = {0};
    int rc = rels_read(b, "", &root, d);
    if (rc != SOKO_OK) return rc;
    const struct rel *main = rel_by_type(&root, "/officeDocument");
    char *wb = xstrdup(main ? main->target : "xl/workbook.xml");
    rels_free(&root);
    struct xml x;
    int absent, r;
    memset(&x, 0, sizeof x);
    char **rid = NULL;
    if (ends_with(wb, ".bin")) {
        rc = sheet_fail(b, d, SHEET_ERR_UNSUPPORTED, NULL, 0, 0,
                        _("a binary workbook (.xlsb), not read; expected .xlsx or .xls: save it as an Excel workbook"));
        goto done;
    }
    rc = xml_open(b, wb, &x, &absent, d);
    if (rc != SOKO_OK) goto done;
    if (absent) {
        rc = sheet_fail(b, d, SHEET_ERR_NOT_SHEET, NULL, 0, 0,
                        _("a zip archive without %s: not an Excel workbook"), wb);
        goto done;
    }
    int root_seen = 0, in_sheets = 0;
    size_t shcap = 0;
    while ((r = xml_next(&x)) == 1) {
        if (is_end(&x)) {
            if (strcmp(lname(&x), "sheets") == 0) in_sheets = 0;
            continue;
        }
        if (!is_elem(&x)) continue;
        const char *nm = lname(&x), *an, *av;
        if (!root_seen) {
            root_seen = 1;
            if (strcmp(nm, "workbook") != 0) {
                rc = sheet_fail(b, d, SHEET_ERR_NOT_SHEET, NULL, 0, 0,
                                _("a zip archive whose main part %s is a <%s>, not a workbook: not an Excel workbook"),
                                wb, nm);
                goto done;
            }
            continue;
        }
        if (strcmp(nm, "workbookPr") == 0) {
            for (int ok = attr_first(&x, &an, &av); ok; ok = attr_next(&x, &an, &av))
                if (strcmp(an, "date1904") == 0) b->date1904 = strcmp(av, "1") == 0 || strcmp(av, "true") == 0;
        } else if (strcmp(nm, "sheets") == 0) {
            in_sheets = !is_empty(&x);
        } else if (in_sheets && strcmp(nm, "sheet") == 0) {
            if (b->nsh >= SHEET_MAX_SHEETS) {
                rc = sheet_fail(b, d, SHEET_ERR_LIMIT, NULL, 0, 0,
                                _("the workbook lists more than %d sheets"), SHEET_MAX_SHEETS);
                goto done;
            }
            const char *name = NULL, *id = NULL;
            int hidden = 0;
            char *name_c = NULL, *id_c = NULL;
            for (int ok = attr_first(&x, &an, &av); ok; ok = attr_next(&x, &an, &av)) {
                if (strcmp(an, "name") == 0) name = av, free(name_c), name_c = sheet_clean_name(name);
                else if (strcmp(an, "id") == 0) id = av, free(id_c), id_c = xstrdup(id);
                else if (strcmp(an, "state") == 0) hidden = strcmp(av, "visible") != 0;
            }
            if (b->nsh == shcap) {
                shcap = shcap ? shcap * 2 : 8;
                b->sh = xrealloc(b->sh, shcap * sizeof *b->sh);
                rid = xrealloc(rid, shcap * sizeof *rid);
            }
            struct sheet_sheet *s = &b->sh[b->nsh];
            memset(s, 0, sizeof *s);
            s->name = name_c ? name_c : xasprintf("Sheet%zu", b->nsh + 1);
            s->hidden = hidden;
            rid[b->nsh++] = id_c;
        }
    }
    if (r < 0) {
        rc = xml_fail(&x, NULL, 0, d);
        goto done;
    }
    if (!root_seen) {
        rc = sheet_fail(b, d, SHEET_ERR_MALFORMED, NULL, 0, 0, _("part %s is empty"), wb);
        goto done;
    }
    xml_close(&x);

    rc = rels_read(b, wb, &wrels, d);
    if (rc != SOKO_OK) goto done;
    rels_sort(&wrels);
    for (size_t i = 0; i < b->nsh; i++) {
        const struct rel *e = rid[i] ? rel_by_id(&wrels, rid[i]) : NULL;
        if (!e) continue;   /* reading the sheet says so */
        if (ends_with(e->type, "/worksheet")) b->sh[i].part = xstrdup(e->target);
        else b->sh[i].chart = 1;   /* chartsheet, dialogsheet, xlMacrosheet: no cells */
    }
    const struct rel *sst = rel_by_type(&wrels, "/sharedStrings");
    if (sst) b->sst_part = xstrdup(sst->target);
    const struct rel *sty = rel_by_type(&wrels, "/styles");
    if (sty) rc = styles_read(b, sty->target, d);
done:
    xml_close(&x);
    rels_free(&wrels);
    for (size_t i = 0; i < b->nsh; i++) free(rid ? rid[i] : NULL);
    free(rid);
    free(wb);
    return rc;
}

void xlsx_close(struct sheet_book *b)
{
    if (b->zip) zip_discard((zip_t *)b->zip);
    b->zip = NULL;
}

/* ------------------------------------------------------------ shared strings */

static int sst_push(struct sheet_book *b, struct sbuf *raw, size_t *cap, struct soko_diag *d)
{
    struct sbuf s = SBUF_INIT;
    ooxml_unescape(&s, raw->s ? raw->s : "", raw->len);
    uint64_t need = (uint64_t)b->sst_len + s.len + 1 + (uint64_t)(b->sst_n + 2) * sizeof(size_t);
    if (need > b->lim.max_strings_bytes) {
        sbuf_free(&s);
        return sheet_fail(b, d, SHEET_ERR_LIMIT, NULL, 0, 0,
                          _("the shared strings take more than %llu bytes (string %zu)"),
                          (unsigned long long)b->lim.max_strings_bytes, b->sst_n + 1);
    }
    if (b->sst_n + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 256;
        b->sst_off = xrealloc(b->sst_off, *cap * sizeof *b->sst_off);
    }
    /* one growing buffer: the texts, each followed by a NUL (trimmed to size at the end) */
    if (b->sst_len + s.len + 1 > b->sst_cap) {
        size_t ncap = b->sst_cap ? b->sst_cap : 64 * 1024;
        while (ncap < b->sst_len + s.len + 1) ncap *= 2;
        b->sst = xrealloc(b->sst, ncap);
        b->sst_cap = ncap;
    }
    b->sst_off[b->sst_n++] = b->sst_len;
    if (s.len) memcpy(b->sst + b->sst_len, s.s, s.len);
    b->sst_len += s.len;
    b->sst[b->sst_len++] = '\0';
    b->sst_off[b->sst_n] = b->sst_len;
    sbuf_free(&s);
    sbuf_reset(raw);
    return SOKO_OK;
}

/* Loads the shared strings once; a failure leaves no table (and the next read tries
 * again, failing the same way) rather than a part of one. */
static int sst_load(struct sheet_book *b, struct soko_diag *d)
{
    if (!b->sst_part) {
        b->sst_done = 1;
        return SOKO_OK;
    }
    struct xml x;
    int absent, rc = xml_open(b, b->sst_part, &x, &absent, d);
    if (rc != SOKO_OK) return rc;
    if (absent)
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, NULL, 0, 0,
                          _("part %s (the shared strings) is missing from the archive"), b->sst_part);
    struct sbuf cur = SBUF_INIT;
    size_t cap = 0;
    int in_si = 0, in_t = 0, rph = 0, r;
    while ((r = xml_next(&x)) == 1) {
        if (is_text(&x)) {
            if (in_si && in_t && !rph) {
                const char *v = text_value(&x);
                size_t n = strlen(v);
                if (cur.len + n > b->lim.max_cell_bytes) {
                    rc = sheet_fail(b, d, SHEET_ERR_LIMIT, NULL, 0, 0,
                                    _("shared string %zu holds more than %zu bytes"), b->sst_n + 1,
                                    b->lim.max_cell_bytes);
                    goto done;
                }
                sbuf_add(&cur, v, n);
            }
            continue;
        }
        const char *n = lname(&x);
        if (is_end(&x)) {
            if (strcmp(n, "t") == 0) in_t = 0;
            else if (strcmp(n, "rPh") == 0) rph = 0;
            else if (strcmp(n, "si") == 0 && in_si) {
                in_si = 0;
                if ((rc = sst_push(b, &cur, &cap, d)) != SOKO_OK) goto done;
            }
            continue;
        }
        if (!is_elem(&x)) continue;
        int empty = is_empty(&x);
        if (strcmp(n, "si") == 0) {
            sbuf_reset(&cur);
            in_si = 1;
            rph = 0;
            if (empty) {
                in_si = 0;
                if ((rc = sst_push(b, &cur, &cap, d)) != SOKO_OK) goto done;
            }
        } else if (strcmp(n, "t") == 0) {
            in_t = !empty;
        } else if (strcmp(n, "rPh") == 0) {
            rph = !empty;   /* phonetic runs (furigana) are not the text */
        }
    }
    if (r < 0) rc = xml_fail(&x, NULL, 0, d);
    if (rc == SOKO_OK && b->sst_cap > b->sst_len) {
        b->sst = xrealloc(b->sst, b->sst_len);
        b->sst_cap = b->sst_len;
    }
done:
    sbuf_free(&cur);
    xml_close(&x);
    if (rc == SOKO_OK) {
        b->sst_done = 1;
    } else {
        free(b->sst);
        free(b->sst_off);
        b->sst = NULL;
        b->sst_off = NULL;
        b->sst_len = b->sst_cap = b->sst_n = 0;
    }
    return rc;
}

/* ------------------------------------------------------------ a worksheet */

enum ctype { CT_N, CT_S, CT_STR, CT_INLINE, CT_B, CT_E, CT_D };

struct cellst {
    long col;
    enum ctype t;
    long style;
    int has_v, has_is;
    struct sbuf v, is;       /* raw text of <v> and of <is>'s <t> runs */
};

/* An ISO 8601 value of a t="d" cell → "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS"; 0 if not one. */
static size_t iso_date(const char *s, size_t n, int with_time, char out[24])
{
    int y, mo, dd, h = 0, mi = 0, se = 0, k = 0;
    char tail[8] = "";
    char buf[40];
    if (n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (sscanf(buf, "%4d-%2d-%2d%n", &y, &mo, &dd, &k) != 3 || k != 10) return 0;
    if (buf[10] == 'T' && sscanf(buf + 11, "%2d:%2d%n", &h, &mi, &k) == 2) {
        const char *p = buf + 11 + k;
        if (*p == ':' && sscanf(p + 1, "%2d%7s", &se, tail) < 1) return 0;
    } else if (buf[10]) {
        return 0;
    }
    if (y < 1 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || se > 60 || h < 0 ||
        mi < 0 || se < 0)
        return 0;
    char tmp[64];
    if (with_time || h || mi || se)
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, dd, h, mi, se);
    else
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, mo, dd);
    size_t k2 = strlen(tmp);
    if (k2 >= 24) return 0;
    memcpy(out, tmp, k2 + 1);
    return k2;
}

static int cell_done(struct sheet_book *b, struct sheet_reader *r, struct cellst *c,
                     struct sbuf *scratch, struct soko_diag *d)
{
    const char *sheet = r->sheet;
    const char *v = c->v.s ? c->v.s : "";
    size_t vn = c->v.len;
    char num[32], date[24], qbuf[48];
    switch (c->t) {
    case CT_N: {
        if (!c->has_v || vn == 0) return SOKO_OK;
        double x;
        if (sheet_parse_double(v, vn, &x) != 0)
            return sheet_fail(b, d, SHEET_ERR_MALFORMED, sheet, r->row, c->col,
                              _("a number cell holds '%s'; expected a number"), Q(v, vn));
        enum sheet_fmt k = c->style >= 0 && (size_t)c->style < b->nxf ? (enum sheet_fmt)b->xf[c->style]
                                                                       : SHEET_FMT_NUMBER;
        if (k != SHEET_FMT_NUMBER) {
            size_t n = sheet_serial_to_iso(x, b->date1904, k == SHEET_FMT_DATETIME, date);
            if (n) return rd_cell(r, c->col, SHEET_DATE, date, n, 0, d);
        }
        size_t n = sheet_format_number(x, num);
        return rd_cell(r, c->col, SHEET_NUMBER, num, n, 0, d);
    }
    case CT_S: {
        if (!c->has_v || vn == 0) return SOKO_OK;
        char *end;
        unsigned long long k = strtoull(v, &end, 10);
        while (*end == ' ') end++;
        if (end == v || *end || v[0] == '-' || k >= b->sst_n)
            return sheet_fail(b, d, SHEET_ERR_MALFORMED, sheet, r->row, c->col,
                              _("shared string '%s' does not exist (the table has %zu)"), Q(v, vn), b->sst_n);
        const char *s = b->sst + b->sst_off[k];
        return rd_cell(r, c->col, SHEET_STRING, s, b->sst_off[k + 1] - b->sst_off[k] - 1, 1, d);
    }
    case CT_STR: case CT_INLINE: {
        const struct sbuf *src = c->t == CT_INLINE && c->has_is ? &c->is : &c->v;
        sbuf_reset(scratch);
        ooxml_unescape(scratch, src->s ? src->s : "", src->len);
        return rd_cell(r, c->col, SHEET_STRING, scratch->s ? scratch->s : "", scratch->len, 0, d);
    }
    case CT_B: {
        if (!c->has_v || vn == 0) return SOKO_OK;
        double x;
        if (sheet_parse_double(v, vn, &x) == 0 && (x == 0 || x == 1))
            return rd_cell(r, c->col, SHEET_BOOL, x ? "TRUE" : "FALSE", x ? 4 : 5, 1, d);
        if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
            return rd_cell(r, c->col, SHEET_BOOL, v[0] == 't' ? "TRUE" : "FALSE", v[0] == 't' ? 4 : 5, 1, d);
        return sheet_fail(b, d, SHEET_ERR_MALFORMED, sheet, r->row, c->col,
                          _("a boolean cell holds '%s'; expected 0 or 1"), Q(v, vn));
    }
    case CT_E:
        if (!c->has_v || vn == 0) return SOKO_OK;
        return rd_cell(r, c->col, SHEET_ERROR, v, vn, 0, d);
    case CT_D: {
        if (!c->has_v || vn == 0) return SOKO_OK;
        enum sheet_fmt k = c->style >= 0 && (size_t)c->style < b->nxf ? (enum sheet_fmt)b->xf[c->style]
                                                                       : SHEET_FMT_DATE;
        size_t n = iso_date(v, vn, k == SHEET_FMT_DATETIME, date);
        if (!n)
            return sheet_fail(b, d, SHEET_ERR_MALFORMED, sheet, r->row, c->col,
                              _("a date cell holds '%s'; expected an ISO 8601 date"), Q(v, vn));
        return rd_cell(r, c->col, SHEET_DATE, date, n, 0, d);
    }
    }
    return SOKO_OK;
}

static int parse_ctype(const char *t, enum ctype *out)
{
    static const struct { const char *name; enum ctype t; } tab[] = {
        {"n", CT_N}, {"s", CT_S}, {"str", CT_STR}, {"inlineStr", CT_INLINE},
        {"b", CT_B}, {"e", CT_E}, {"d", CT_D},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(t, tab[i].name) == 0) return *out = tab[i].t, 0;
    return -1;
}

static int sheet_part(struct sheet_book *b, size_t i, struct soko_diag *d)
{
    if (b->sh[i].part || b->sh[i].chart) return SOKO_OK;
    return sheet_fail(b, d, SHEET_ERR_CORRUPT, b->sh[i].name, 0, 0,
                      _("the workbook's relationships name no part for this sheet"));
}

int xlsx_read(struct sheet_book *b, size_t i, struct sheet_reader *r, struct soko_diag *d)
{
    int rc = sheet_part(b, i, d);
    if (rc != SOKO_OK || b->sh[i].chart) return rc;
    if (!b->sst_done && (rc = sst_load(b, d)) != SOKO_OK) return rc;
    const char *sheet = b->sh[i].name;
    struct xml x;
    int absent;
    rc = xml_open(b, b->sh[i].part, &x, &absent, d);
    if (rc != SOKO_OK) return rc;
    if (absent)
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, sheet, 0, 0,
                          _("part %s of this sheet is missing from the archive"), b->sh[i].part);
    struct cellst c;
    memset(&c, 0, sizeof c);
    struct sbuf scratch = SBUF_INIT;
    char qbuf[48];
    int in_data = 0, in_row = 0, in_cell = 0, in_is = 0, rph = 0, res;
    int collect = 0;   /* 1: <v>, 2: a <t> of <is> */
    long prev_row = 0, prev_col = 0;
    while ((res = xml_next(&x)) == 1) {
        if (is_text(&x)) {
            if (!collect) continue;
            const char *v = text_value(&x);
            size_t n = strlen(v);
            struct sbuf *dst = collect == 1 ? &c.v : &c.is;
            if (dst->len + n > b->lim.max_cell_bytes) {
                rc = sheet_fail(b, d, SHEET_ERR_LIMIT, sheet, r->row, c.col,
                                _("the cell holds more than %zu bytes of text"), b->lim.max_cell_bytes);
                goto done;
            }
            sbuf_add(dst, v, n);
            continue;
        }
        const char *n = lname(&x);
        if (is_end(&x)) {
            if (!in_data) continue;
            if (strcmp(n, "v") == 0) {
                if (collect == 1) collect = 0;
            } else if (strcmp(n, "t") == 0) {
                if (collect == 2) collect = 0;
            } else if (strcmp(n, "rPh") == 0) {
                rph = 0;
            } else if (strcmp(n, "is") == 0) {
                in_is = 0;
            } else if (strcmp(n, "c") == 0 && in_cell) {
                in_cell = collect = in_is = rph = 0;
                if ((rc = cell_done(b, r, &c, &scratch, d)) != SOKO_OK) goto done;
            } else if (strcmp(n, "row") == 0 && in_row) {
                in_row = 0;
                if ((rc = rd_end_row(r, d)) != SOKO_OK) goto done;
            } else if (strcmp(n, "sheetData") == 0) {
                break;   /* what follows (merges, print setup) is not cells */
            }
            continue;
        }
        if (!is_elem(&x)) continue;
        int empty = is_empty(&x);
        const char *an, *av;
        if (!in_data) {
            if (strcmp(n, "sheetData") == 0) {
                if (empty) break;
                in_data = 1;
            }
            continue;
        }
        if (in_cell) {
            if (strcmp(n, "v") == 0) {
                c.has_v = 1;
                collect = empty ? 0 : 1;
            } else if (strcmp(n, "is") == 0) {
                c.has_is = 1;
                in_is = !empty;
            } else if (in_is && strcmp(n, "rPh") == 0) {
                rph = !empty;
            } else if (in_is && !rph && strcmp(n, "t") == 0) {
                collect = empty ? 0 : 2;
            }
            continue;
        }
        if (!in_row && strcmp(n, "row") == 0) {
            long row = prev_row + 1;
            for (int ok = attr_first(&x, &an, &av); ok; ok = attr_next(&x, &an, &av)) {
                if (strcmp(an, "r") != 0) continue;
                char *end;
                long v = strtol(av, &end, 10);
                if (end == av || *end || v < 1 || v > SHEET_MAX_ROW) {
                    rc = sheet_fail(b, d, SHEET_ERR_MALFORMED, sheet, prev_row ? prev_row + 1 : 0, 0,
                                    _("row number '%s' is outside 1..%ld"), Q(av, strlen(av)), SHEET_MAX_ROW);
                    goto done;
                }
                row = v;
            }
            if ((rc = rd_begin_row(r, row, d)) != SOKO_OK) goto done;
            prev_row = row;
            prev_col = 0;
            if (empty) {
                if ((rc = rd_end_row(r, d)) != SOKO_OK) goto done;
            } else {
                in_row = 1;
            }
        } else if (in_row && strcmp(n, "c") == 0) {
            c.col = prev_col + 1;
            c.t = CT_N;
            c.style = 0;
            c.has_v = c.has_is = 0;
            sbuf_reset(&c.v);
            sbuf_reset(&c.is);
            for (int ok = attr_first(&x, &an, &av); ok; ok = attr_next(&x, &an, &av)) {
                if (strcmp(an, "r") == 0) {
                    long rr, cc;
                    if (sheet_parse_ref(av, strlen(av), &rr, &cc) != 0 || rr == 0) {
                        rc = sheet_fail(b, d, SHEET_ERR_MALFORMED, sheet, r->row, 0,
                                        _("cell reference '%s' is not a cell of A1:XFD1048576"), Q(av, strlen(av)));
                        goto done;
                    }
                    c.col = cc;
                } else if (strcmp(an, "t") == 0) {
                    if (parse_ctype(av, &c.t) != 0) {
                        rc = sheet_fail(b, d, SHEET_ERR_MALFORMED, sheet, r->row, c.col,
                                        _("unknown cell type t=\"%s\""), Q(av, strlen(av)));
                        goto done;
                    }
                } else if (strcmp(an, "s") == 0) {
                    c.style = strtol(av, NULL, 10);
                }
            }
            if (c.col > SHEET_MAX_COL) {
                rc = sheet_fail(b, d, SHEET_ERR_LIMIT, sheet, r->row, 0,
                                _("the row has more than %ld columns"), SHEET_MAX_COL);
                goto done;
            }
            prev_col = c.col;
            if (!empty) in_cell = 1;
        }
    }
    if (res < 0) rc = xml_fail(&x, sheet, r->row, d);
    else if (in_row && rc == SOKO_OK) rc = rd_end_row(r, d);
done:
    sbuf_free(&c.v);
    sbuf_free(&c.is);
    sbuf_free(&scratch);
    xml_close(&x);
    return rc;
}

/* ------------------------------------------------------------ merged ranges */

/* A byte scan for <mergeCell ... ref="A1:D2" ...> (any prefix) that needs no XML
 * parse: '<' cannot occur unescaped in SpreadsheetML text or attribute values, so
 * every '<' starts markup. */
struct mscan {
    int st;                  /* 0 text, 1 name, 2 attributes, 3 attr name, 4 '=', 5 quote, 6 value */
    char name[40];
    size_t nn;
    char attr[16];
    size_t na;
    char val[48];
    size_t nv;
    int vbad;
    char quote;
    int done;                /* </mergeCells> seen */
};

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static const char *local_part(const char *s)
{
    const char *c = strrchr(s, ':');
    return c ? c + 1 : s;
}

static int merge_push(struct sheet_book *b, struct sheet_sheet *s, struct mscan *m, size_t *cap,
                      struct soko_diag *d)
{
    struct sheet_range g;
    char qbuf[48];
    m->val[m->nv] = '\0';
    if (m->vbad || sheet_parse_range(m->val, m->nv, &g) != 0)
        return sheet_fail(b, d, SHEET_ERR_MALFORMED, s->name, 0, 0,
                          _("merged range '%s' is not a range of A1:XFD1048576"), Q(m->val, m->nv));
    if (s->nmerges >= b->lim.max_merges)
        return sheet_fail(b, d, SHEET_ERR_LIMIT, s->name, 0, 0,
                          _("more than %zu merged ranges"), b->lim.max_merges);
    if (s->nmerges == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        s->merges = xrealloc(s->merges, *cap * sizeof *s->merges);
    }
    s->merges[s->nmerges++] = g;
    return SOKO_OK;
}

static int mscan_feed(struct sheet_book *b, struct sheet_sheet *s, struct mscan *m, const char *p,
                      size_t n, size_t *cap, struct soko_diag *d)
{
    for (size_t i = 0; i < n && !m->done; i++) {
        char ch = p[i];
        switch (m->st) {
        case 0:
            if (ch == '<') m->st = 1, m->nn = 0;
            break;
        case 1:
            if (is_blank(ch) || ch == '/' || ch == '>') {
                m->name[m->nn] = '\0';
                if (m->nn && m->name[0] == '/' && strcmp(local_part(m->name + 1), "mergeCells") == 0)
                    m->done = 1;
                m->st = is_blank(ch) && strcmp(local_part(m->name), "mergeCell") == 0 ? 2 : 0;
                if (ch == '/' && m->nn == 0) m->name[m->nn++] = '/', m->st = 1;   /* "</" */
            } else if (ch == '<') {
                m->nn = 0;
            } else if (m->nn + 1 < sizeof m->name) {
                m->name[m->nn++] = ch;
            }
            break;
        case 2:   /* between attributes */
            if (ch == '>' || ch == '/') m->st = 0;
            else if (!is_blank(ch)) m->st = 3, m->na = 0, m->attr[m->na++] = ch;
            break;
        case 3:   /* attribute name */
            if (ch == '=' || is_blank(ch)) {
                m->attr[m->na] = '\0';
                m->st = ch == '=' ? 5 : 4;
            } else if (ch == '>') {
                m->st = 0;
            } else if (m->na + 1 < sizeof m->attr) {
                m->attr[m->na++] = ch;
            }
            break;
        case 4:
            if (ch == '=') m->st = 5;
            else if (!is_blank(ch)) m->st = 0;
            break;
        case 5:
            if (ch == '"' || ch == '\'') m->quote = ch, m->st = 6, m->nv = 0, m->vbad = 0;
            else if (!is_blank(ch)) m->st = 0;
            break;
        case 6:
            if (ch == m->quote) {
                m->st = 2;
                if (strcmp(local_part(m->attr), "ref") == 0) {
                    int rc = merge_push(b, s, m, cap, d);
                    if (rc != SOKO_OK) return rc;
                }
            } else if (m->nv + 1 < sizeof m->val) {
                m->val[m->nv++] = ch;
            } else {
                m->vbad = 1;
            }
            break;
        }
    }
    return SOKO_OK;
}

int xlsx_merges(struct sheet_book *b, size_t i, struct soko_diag *d)
{
    struct sheet_sheet *s = &b->sh[i];
    int rc = sheet_part(b, i, d);
    if (rc != SOKO_OK || s->chart) return rc;
    struct part p;
    int absent;
    rc = part_open(b, s->part, &p, &absent, d);
    if (rc != SOKO_OK) return rc;
    if (absent)
        return sheet_fail(b, d, SHEET_ERR_CORRUPT, s->name, 0, 0,
                          _("part %s of this sheet is missing from the archive"), s->part);
    struct mscan m;
    memset(&m, 0, sizeof m);
    size_t cap = 0;
    char *buf = xmalloc(64 * 1024);
    zip_int64_t n;
    free(s->merges);
    s->merges = NULL;
    s->nmerges = 0;
    while (!m.done && (n = part_read(&p, buf, 64 * 1024)) > 0)
        if ((rc = mscan_feed(b, s, &m, buf, (size_t)n, &cap, d)) != SOKO_OK) break;
    if (rc == SOKO_OK && !m.done && (p.over || p.zerr)) rc = part_fail(&p, s->name, 0, d);
    free(buf);
    part_close(&p);
    if (rc != SOKO_OK) {
        free(s->merges);
        s->merges = NULL;
        s->nmerges = 0;
        return rc;
    }
    s->nmerges = sheet_sort_merges(s->merges, s->nmerges);
    return SOKO_OK;
}
