/*
 * util.c — the shared plumbing of soko.h: diagnostics, allocation, byte buffers,
 * SHA-256 (FIPS 180-4) and a few UTF-8 helpers.
 */
#include "soko.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *soko_rc_name(int rc)
{
    switch (rc) {
    case SOKO_OK: return "ok";
    case SOKO_EINPUT: return "bad input";
    case SOKO_EUSAGE: return "usage";
    case SOKO_ECONFIG: return "bad definition";
    case SOKO_EIO: return "i/o error";
    case SOKO_EDB: return "database error";
    default: return "internal error";
    }
}

/* ---------------------------------------------------------------- allocation */

static _Noreturn void oom(size_t n)
{
    fprintf(stderr, "soko: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    SOKO_ASSERT(n >= 0);
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

_Noreturn void soko_assert_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "soko: internal error: assertion '%s' failed at %s:%d\n", what, file, line);
    abort();
}

/* --------------------------------------------------------------- diagnostics */

void soko_diag_init(struct soko_diag *d, size_t limit)
{
    memset(d, 0, sizeof *d);
    d->limit = limit ? limit : 50;
}

void soko_diag_clear(struct soko_diag *d)
{
    size_t limit = d->limit;
    soko_diag_free(d);
    soko_diag_init(d, limit);
}

void soko_diag_free(struct soko_diag *d)
{
    for (size_t i = 0; i < d->nmsgs; i++) free(d->msgs[i]);
    for (size_t i = 0; i < d->nnotes; i++) free(d->notes[i]);
    free(d->msgs);
    free(d->notes);
    d->msgs = d->notes = NULL;
    d->nmsgs = d->nnotes = d->total = 0;
}

char *col_letters(long col, char buf[8])
{
    /* bijective base 26: A..Z, AA..ZZ, AAA..; seven letters reach 8,353,082,582 */
    char t[8];
    int n = 0;
    while (col > 0 && n < 7) {
        col--;
        t[n++] = (char)('A' + col % 26);
        col /= 26;
    }
    for (int i = 0; i < n; i++) buf[i] = t[n - 1 - i];
    buf[n] = '\0';
    return buf;
}

void soko_loc(struct sbuf *b, const char *file, const char *sheet, long row, long col)
{
    if (!file) return;
    sbuf_adds(b, file);
    if (sheet) sbuf_printf(b, "[%s]", sheet);
    if (row > 0) sbuf_printf(b, ":%ld", row);
    if (row > 0 && col > 0) {
        char l[8];
        sbuf_printf(b, ":%s", col_letters(col, l));
    }
}

void soko_diag_vadd(struct soko_diag *d, const char *file, long line, long col,
                    const char *fmt, va_list ap)
{
    soko_diag_vadd_at(d, file, NULL, line, col, fmt, ap);
}

void soko_diag_add_at(struct soko_diag *d, const char *file, const char *sheet, long line,
                      long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    soko_diag_vadd_at(d, file, sheet, line, col, fmt, ap);
    va_end(ap);
}

void soko_diag_vadd_at(struct soko_diag *d, const char *file, const char *sheet, long line,
                       long col, const char *fmt, va_list ap)
{
    d->total++;
    if (d->nmsgs >= d->limit) return;
    struct sbuf b = SBUF_INIT;
    if (file) {
        soko_loc(&b, file, sheet, line, col);
        sbuf_adds(&b, ": ");
    }
    char *m = xvasprintf(fmt, ap);
    sbuf_adds(&b, m);
    free(m);
    d->msgs = xrealloc(d->msgs, (d->nmsgs + 1) * sizeof *d->msgs);
    d->msgs[d->nmsgs++] = sbuf_take(&b);
}

void soko_diag_add(struct soko_diag *d, const char *file, long line, long col,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    soko_diag_vadd(d, file, line, col, fmt, ap);
    va_end(ap);
}

void soko_diag_note(struct soko_diag *d, const char *fmt, ...)
{
    if (d->nnotes >= d->limit) return;
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    d->notes = xrealloc(d->notes, (d->nnotes + 1) * sizeof *d->notes);
    d->notes[d->nnotes++] = m;
}

/* -------------------------------------------------------------------- sbuf */

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s) { sbuf_add(b, s, strlen(s)); }
void sbuf_addc(struct sbuf *b, char c) { sbuf_add(b, &c, 1); }

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    sbuf_adds(b, m);
    free(m);
}

void sbuf_reset(struct sbuf *b)
{
    b->len = 0;
    if (b->s) b->s[0] = '\0';
}

void sbuf_free(struct sbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

char *sbuf_take(struct sbuf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ------------------------------------------------------------------ SHA-256 */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *c, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
    uint32_t e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g; g = f; f = e; e = d + t1; d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
    c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

void sha256_init(struct sha256 *c)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->nbytes = 0;
    c->nbuf = 0;
}

/* x86-64 SHA extensions (SHA-NI), chosen at run time when the CPU has them: the
 * import hashes every byte it reads, and the portable code above was a fifth of
 * an import's time. The round structure follows Intel's published description
 * (rounds in pairs with SHA256RNDS2, the schedule with SHA256MSG1/MSG2); the unit
 * tests compare both paths on the same data. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("sha,sse4.1,ssse3")))
static void sha256_blocks_ni(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&h[0]);
    __m128i st1 = _mm_loadu_si128((const __m128i *)&h[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);                 /* CDAB */
    st1 = _mm_shuffle_epi32(st1, 0x1B);                 /* EFGH */
    __m128i st0 = _mm_alignr_epi8(tmp, st1, 8);         /* ABEF */
    st1 = _mm_blend_epi16(st1, tmp, 0xF0);              /* CDGH */
    for (; nblocks; nblocks--, p += 64) {
        __m128i abef = st0, cdgh = st1, m[4], msg;
        for (int i = 0; i < 16; i++) {
            if (i < 4) m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), mask);
            __m128i *cur = &m[i & 3], *prev = &m[(i + 3) & 3], *next = &m[(i + 1) & 3];
            msg = _mm_add_epi32(*cur, _mm_loadu_si128((const __m128i *)&K256[4 * i]));
            st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
            if (i >= 3 && i <= 14) {         /* the words of the next group */
                *next = _mm_add_epi32(*next, _mm_alignr_epi8(*cur, *prev, 4));
                *next = _mm_sha256msg2_epu32(*next, *cur);
            }
            msg = _mm_shuffle_epi32(msg, 0x0E);
            st0 = _mm_sha256rnds2_epu32(st0, st1, msg);
            if (i >= 1 && i <= 12) *prev = _mm_sha256msg1_epu32(*prev, *cur);
        }
        st0 = _mm_add_epi32(st0, abef);
        st1 = _mm_add_epi32(st1, cdgh);
    }
    tmp = _mm_shuffle_epi32(st0, 0x1B);                 /* FEBA */
    st1 = _mm_shuffle_epi32(st1, 0xB1);                 /* DCHG */
    st0 = _mm_blend_epi16(tmp, st1, 0xF0);              /* DCBA */
    st1 = _mm_alignr_epi8(st1, tmp, 8);                 /* ABEF -> HGFE */
    _mm_storeu_si128((__m128i *)&h[0], st0);
    _mm_storeu_si128((__m128i *)&h[4], st1);
}

static int sha_ni_state = -1;   /* -1 unknown, 0 no, 1 yes */

static int have_sha_ni(void)
{
    if (sha_ni_state < 0) {
        unsigned a, b, c, d;
        int ok = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1);
        ok = ok && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
        const char *env = getenv("SOKO_SHA_PORTABLE");     /* tests compare both paths */
        sha_ni_state = ok && !(env && *env == '1');
    }
    return sha_ni_state;
}
#else
static int have_sha_ni(void) { return 0; }
#endif

static void sha256_blocks(struct sha256 *c, const unsigned char *p, size_t nblocks)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_sha_ni()) {
        sha256_blocks_ni(c->h, p, nblocks);
        return;
    }
#endif
    for (; nblocks; nblocks--, p += 64) sha256_block(c, p);
}

const char *sha256_impl(void) { return have_sha_ni() ? "sha-ni" : "portable"; }

void sha256_update(struct sha256 *c, const void *data, size_t n)
{
    const unsigned char *p = data;
    c->nbytes += n;
    if (c->nbuf) {
        size_t k = 64 - c->nbuf < n ? 64 - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, k);
        c->nbuf += k; p += k; n -= k;
        if (c->nbuf < 64) return;
        sha256_blocks(c, c->buf, 1);
        c->nbuf = 0;
    }
    sha256_blocks(c, p, n / 64);
    p += n / 64 * 64;
    n %= 64;
    memcpy(c->buf, p, n);
    c->nbuf = n;
}

void sha256_final(struct sha256 *c, unsigned char out[32])
{
    uint64_t bits = c->nbytes * 8;
    unsigned char pad = 0x80;
    sha256_update(c, &pad, 1);
    unsigned char z = 0;
    while (c->nbuf != 56) sha256_update(c, &z, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(c->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)c->h[i];
    }
}

void sha256_hex(const unsigned char d[32], char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}

int sha256_file(const char *path, char out[65], struct soko_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        soko_diag_add(d, path, 0, 0, _("cannot open: %s"), strerror(errno));
        return SOKO_EIO;
    }
    struct sha256 c;
    sha256_init(&c);
    static unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&c, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        soko_diag_add(d, path, 0, 0, "%s", _("read error"));
        return SOKO_EIO;
    }
    unsigned char dg[32];
    sha256_final(&c, dg);
    sha256_hex(dg, out);
    return SOKO_OK;
}

/* -------------------------------------------------------------------- text */

size_t utf8_valid_prefix(const unsigned char *s, size_t n, int *incomplete)
{
    size_t i = 0;
    *incomplete = 0;
    while (i < n) {
        /* the common cases quickly: ASCII eight bytes at a time, and two-byte
         * characters (Cyrillic), whose lead C2..DF cannot be overlong */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i == n) break;
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return i;
        if (i + len > n) {
            /* a cut sequence is incomplete only if what is there is well-formed */
            for (size_t k = i + 1; k < n; k++)
                if ((s[k] & 0xC0) != 0x80) return i;
            *incomplete = 1;
            return i;
        }
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        /* overlong forms, surrogates and out-of-range code points are invalid */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return i;
        i += len;
    }
    return i;
}

/* Decodes one code point; returns bytes used (1 for invalid bytes, taken as is). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
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
    *cp = c;
    return 1;
}

static uint32_t fold(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;   /* А-Я → а-я */
    if (cp == 0x401 || cp == 0x451) return 0x435;     /* Ё, ё → е */
    return cp;
}

int utf8_casecmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && *q) {
        uint32_t x, y;
        p += utf8_next(p, &x);
        q += utf8_next(q, &y);
        x = fold(x);
        y = fold(y);
        if (x != y) return x < y ? -1 : 1;
    }
    return (*p != 0) - (*q != 0);
}

char *str_trim(char *s)
{
    char *p = s;
    for (;;) {
        if (*p == ' ' || *p == '\t') p++;
        else if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0) p += 2;
        else break;
    }
    size_t n = strlen(p);
    for (;;) {
        if (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        else if (n >= 2 && (unsigned char)p[n - 2] == 0xC2 && (unsigned char)p[n - 1] == 0xA0) n -= 2;
        else break;
    }
    memmove(s, p, n);
    s[n] = '\0';
    return s;
}

uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Columns a code point takes on a terminal: 0 for combining marks, zero-width and
 * control characters, 2 for East Asian wide and fullwidth characters and emoji, 1
 * otherwise. The ranges are the common ones of Unicode 15 (wcwidth's), enough for
 * tables of Russian text with the odd accent, CJK name or emoji. */
static int cp_width(uint32_t cp)
{
    static const uint32_t zero[][2] = {
        {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
        {0x064B, 0x065F}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x1AB0, 0x1AFF},
        {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
        {0x2066, 0x206F}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
        {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF}};
    static const uint32_t wide[][2] = {
        {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC},
        {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x26AA, 0x26AB},
        {0x26BD, 0x26BE}, {0x26C4, 0x26C5}, {0x26F2, 0x26F5}, {0x2705, 0x2705},
        {0x270A, 0x270B}, {0x2728, 0x2728}, {0x274C, 0x274C}, {0x2753, 0x2755},
        {0x2795, 0x2797}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B55}, {0x2E80, 0x303E},
        {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
        {0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19},
        {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
        {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD},
        {0x30000, 0x3FFFD}};
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0;
    if (cp < 0x300) return 1;
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        if (cp >= zero[i][0] && cp <= zero[i][1]) return 0;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1]) return 2;
    return 1;
}

/* Decodes one code point of valid UTF-8 (4-byte forms too); an invalid byte is taken
 * as one U+FFFD (as a terminal shows it), so that widths never run past the string. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    int inc;
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    size_t have = 0;
    while (have < n && s[have]) have++;
    if (n == 0 || have < n || utf8_valid_prefix(s, n, &inc) != n) {
        *cp = 0xFFFD;
        return 1;
    }
    if (n == 1) *cp = s[0];
    else if (n == 2) *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    else if (n == 3) *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    else *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
               (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    return n;
}

size_t utf8_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        p += utf8_decode(p, &cp);
        w += (size_t)cp_width(cp);
    }
    return w;
}

size_t utf8_edit_distance(const char *a, const char *b)
{
    /* code points, case folded, then the two-row Levenshtein */
    size_t na = 0, nb = 0;
    uint32_t *x = xmalloc((strlen(a) + 1) * sizeof *x), *y = xmalloc((strlen(b) + 1) * sizeof *y);
    for (const unsigned char *p = (const unsigned char *)a; *p;) {
        uint32_t cp;
        p += utf8_decode(p, &cp);
        x[na++] = fold(cp);
    }
    for (const unsigned char *p = (const unsigned char *)b; *p;) {
        uint32_t cp;
        p += utf8_decode(p, &cp);
        y[nb++] = fold(cp);
    }
    size_t *row = xmalloc((nb + 1) * sizeof *row);
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t dist = row[nb];
    free(row);
    free(x);
    free(y);
    return dist;
}

char *num_trimmed(double x, int decimals)
{
    char *s = xasprintf("%.*f", decimals, x);
    char *dot = strchr(s, '.');
    if (dot) {
        char *e = s + strlen(s) - 1;
        while (e > dot && *e == '0') *e-- = '\0';
        if (e == dot) *e = '\0';
    }
    if (strcmp(s, "-0") == 0) {
        free(s);
        s = xstrdup("0");
    }
    return s;
}

/* Rewrites the text printf made under the current locale into the C form: the locale's
 * decimal point becomes '.', and the exponent loses '+' and leading zeros. */
static void num_c_form(char *buf)
{
    const char *dp = localeconv()->decimal_point;
    if (dp && *dp && strcmp(dp, ".") != 0) {
        char *at = strstr(buf, dp);
        if (at) {
            size_t l = strlen(dp);
            *at = '.';
            memmove(at + 1, at + l, strlen(at + l) + 1);
        }
    }
    char *e = strchr(buf, 'e');
    if (e) {
        char *d = e + 1, *from = d;
        if (*from == '+')
            from++;
        else if (*from == '-') {
            d++;
            from++;
        }
        while (from[0] == '0' && from[1] != '\0')
            from++;
        memmove(d, from, strlen(from) + 1);
    }
}

/* Writes the p digits of d (a number below 10^p, at least 10^(p-1) after rounding, or
 * 10^p itself, then read as 10^(p-1) one place up) as %.{p}g does in the C locale, the
 * exponent already in the C form of num_c_form: x = d · 10^(ex - p + 1). */
static void num_fmt_g(char *o, uint64_t d, int p, int ex)
{
    char dig[24];
    for (int i = p - 1; i >= 0; i--) {
        dig[i] = (char)('0' + d % 10);
        d /= 10;
    }
    int nd = p;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    if (ex < -4 || ex >= p) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        o += sprintf(o, "e%d", ex);
    } else if (ex >= 0) {
        for (int i = 0; i <= ex; i++) *o++ = i < nd ? dig[i] : '0';
        if (nd > ex + 1) {
            *o++ = '.';
            memcpy(o, dig + ex + 1, (size_t)(nd - ex - 1));
            o += nd - ex - 1;
        }
        *o = '\0';
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > ex; i--) *o++ = '0';
        memcpy(o, dig, (size_t)nd);
        o[nd] = '\0';
    }
}

/* num_roundtrip without printf and strtod for the numbers of results, 1e-6 <= |x| <
 * 1e15: the correctly rounded p digits (ties to even, as glibc's printf) and the test
 * whether they read back (within half an ulp, a tie to an even mantissa) are exact
 * in 128-bit integers, x · 10^k = m · 10^k / 2^s. Returns 0, writing nothing, for any
 * other x (the slow path then). The same text as the slow path, byte for byte
 * (tests/unit/test_num.c compares them on millions of values). */
static int num_fast(double x, char *buf)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    static const uint64_t p10[20] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
        100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
        10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
        100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};
    char *o = buf;
    if (x < 0) {
        *o++ = '-';
        x = -x;
    }
    if (!(x >= 1e-6 && x < 1e15)) return 0;
    if (x == floor(x)) {   /* at most 15 digits: %.15g writes it whole, and it reads back */
        uint64_t v = (uint64_t)x;
        char t[24];
        int n = 0;
        do {
            t[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (n) *o++ = t[--n];
        *o = '\0';
        return 1;
    }
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int s = 1075 - (int)((bits >> 52) & 0x7ff);   /* x = m / 2^s, 3 <= s <= 72 here */
    if (s < 1 || s > 100) return 0;
    int ex = (int)floor(log10(x));   /* the decimal exponent; checked below */
    u128 mask = ((u128)1 << s) - 1, half = (u128)1 << (s - 1);
    for (int p = 15; p <= 17; p++) {
        u128 q, r;
        int k, tries = 0;
        for (;;) {
            k = p - 1 - ex;   /* x · 10^k has p digits before the point */
            if (k < 0 || k > 22 || ++tries > 3) return 0;
            u128 pk = k > 19 ? (u128)p10[19] * p10[k - 19] : (u128)p10[k];
            u128 n = (u128)m * pk;
            q = n >> s;
            r = n & mask;
            if (q < p10[p - 1]) ex--;
            else if (q >= p10[p]) ex++;
            else break;
        }
        u128 pk = k > 19 ? (u128)p10[19] * p10[k - 19] : (u128)p10[k];
        int up = r > half || (r == half && (q & 1));
        /* the distance of d · 10^-k from x, in units of 2^-s · 10^-k, and its side */
        u128 dist = up ? ((u128)1 << s) - r : r;
        u128 lim = 2 * dist;
        if (!up && m == (1ULL << 52)) lim = 4 * dist;   /* a power of 2: a closer neighbour below */
        if (lim < pk || (lim == pk && !(m & 1)) || p == 17) {
            uint64_t d = (uint64_t)q + (uint64_t)up;
            int e10 = ex;
            if (d == p10[p]) {
                d = p10[p - 1];
                e10++;
            }
            num_fmt_g(o, d, p, e10);
            return 1;
        }
    }
    return 0;
#else
    (void)x;
    (void)buf;
    return 0;
#endif
}

char *num_roundtrip(double x, char buf[32])
{
    if (num_fast(x, buf)) return buf;
    if (isnan(x)) {
        strcpy(buf, "nan");
        return buf;
    }
    if (isinf(x)) {
        strcpy(buf, x > 0 ? "inf" : "-inf");
        return buf;
    }
    /* %.17g always reads back; fewer digits do for most values. A subnormal has fewer
     * significant bits, so its shortest form can be much shorter than 15 digits. */
    int first = x != 0.0 && fabs(x) < DBL_MIN ? 1 : 15;
    int saved = errno;   /* strtod sets ERANGE for subnormals */
    for (int prec = first; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, x);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &x, sizeof x) == 0)
            break;
    }
    errno = saved;
    num_c_form(buf);
    return buf;
}
