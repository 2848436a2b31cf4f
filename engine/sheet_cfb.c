/*
 * sheet_cfb.c — a reader of the OLE2 compound file container ([MS-CFB]): enough to
 * tell an .xls from a password-protected OOXML workbook by the names of its streams,
 * and to read the Workbook stream for the records libfreexl skips (sheet_xls.c).
 *
 * Every number read from the file is checked before use: sector numbers against the
 * file's size, chains against loops (a chain is never longer than the file has
 * sectors), sizes against the file and the caller's cap. Memory: the FAT (4 bytes per
 * sector of the file), the mini FAT and the directory, all bounded by the file size.
 */
#include "i18n.h"
#include "sheet_int.h"

#include <stdlib.h>
#include <string.h>

#define CFB_FREE 0xFFFFFFFFu
#define CFB_END 0xFFFFFFFEu
#define CFB_NOSTREAM 0xFFFFFFFFu

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

/* Reads sector s (must be < nsect) into buf (ssz bytes). */
static int rd_sector(struct cfb *c, uint32_t s, unsigned char *buf)
{
    if (s >= c->nsect) return -1;
    uint64_t off = ((uint64_t)s + 1) * c->ssz;
    if (fseeko(c->f, (off_t)off, SEEK_SET) != 0) return -1;
    size_t want = c->ssz;
    if (off + want > c->fsize) {
        /* the last sector may be cut short by writers that do not pad */
        want = (size_t)(c->fsize - off);
        memset(buf + want, 0, c->ssz - want);
    }
    return fread(buf, 1, want, c->f) == want ? 0 : -1;
}

/* The sectors of the chain from start in fat (nfat entries), at most max of them;
 * -1 for a sector number out of the table, a loop, or a longer chain. */
static int chain(const uint32_t *fat, uint32_t nfat, uint32_t start, uint32_t max,
                 uint32_t **out, uint32_t *n)
{
    uint32_t cap = 16, k = 0;
    uint32_t *v = xmalloc(cap * sizeof *v);
    for (uint32_t s = start; s != CFB_END; s = fat[s]) {
        if (s >= nfat || k >= max) {
            free(v);
            return -1;
        }
        if (k == cap) v = xrealloc(v, (cap *= 2) * sizeof *v);
        v[k++] = s;
    }
    *out = v;
    *n = k;
    return 0;
}

void cfb_close(struct cfb *c)
{
    if (c->f) fclose(c->f);
    free(c->fat);
    free(c->minifat);
    free(c->ent);
    memset(c, 0, sizeof *c);
}

int cfb_open(const char *path, struct cfb *c, const char **why)
{
    unsigned char h[512];
    unsigned char *sec = NULL;
    uint32_t *difat = NULL, *dirs = NULL, *mchain = NULL;
    uint32_t ndirs = 0, nm = 0;
    memset(c, 0, sizeof *c);
    *why = N_("cannot be read");
    c->f = fopen(path, "rb");
    if (!c->f) return -1;
    if (fseeko(c->f, 0, SEEK_END) != 0) goto fail;
    off_t end = ftello(c->f);
    if (end < 0) goto fail;
    c->fsize = (uint64_t)end;
    if (fseeko(c->f, 0, SEEK_SET) != 0 || fread(h, 1, sizeof h, c->f) != sizeof h) {
        *why = N_("is shorter than an OLE2 header");
        goto fail;
    }
    *why = N_("has a damaged OLE2 header");
    if (memcmp(h, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) != 0 || le16(h + 0x1C) != 0xFFFE)
        goto fail;
    unsigned shift = le16(h + 0x1E);
    if ((shift != 9 && shift != 12) || le16(h + 0x20) != 6) goto fail;
    c->ssz = 1u << shift;
    /* sectors after the header, which takes one sector's place; the last may be short */
    uint64_t ns = c->fsize > c->ssz ? (c->fsize - c->ssz + c->ssz - 1) / c->ssz : 0;
    c->nsect = ns > 0x0FFFFFF0u ? 0x0FFFFFF0u : (uint32_t)ns;
    uint32_t nfatsec = le32(h + 0x2C), dir0 = le32(h + 0x30);
    c->cutoff = le32(h + 0x38);
    uint32_t mfat0 = le32(h + 0x3C), nmfat = le32(h + 0x40);
    uint32_t difat0 = le32(h + 0x44), ndifat = le32(h + 0x48);
    if (nfatsec == 0 || nfatsec > c->nsect || ndifat > c->nsect || nmfat > c->nsect)
        goto fail;
    sec = xmalloc(c->ssz);
    uint32_t per = c->ssz / 4;

    /* the FAT's own sectors: 109 in the header, the rest in the DIFAT chain; only as
     * many as can describe sectors of this file are read */
    uint32_t need = (uint32_t)(((uint64_t)c->nsect + per - 1) / per);
    if (nfatsec > need) nfatsec = need ? need : 1;
    difat = xmalloc((size_t)nfatsec * sizeof *difat);
    uint32_t k = 0;
    for (uint32_t i = 0; i < 109 && k < nfatsec; i++) difat[k++] = le32(h + 0x4C + 4 * i);
    uint32_t ds = difat0;
    for (uint32_t steps = 0; k < nfatsec; steps++) {
        if (steps >= ndifat || rd_sector(c, ds, sec) != 0) {
            *why = N_("has a damaged OLE2 sector table");
            goto fail;
        }
        for (uint32_t i = 0; i + 1 < per && k < nfatsec; i++) difat[k++] = le32(sec + 4 * i);
        ds = le32(sec + 4 * (per - 1));
    }
    c->nfat = nfatsec * per;
    c->fat = xmalloc((size_t)c->nfat * sizeof *c->fat);
    for (uint32_t i = 0; i < nfatsec; i++) {
        if (rd_sector(c, difat[i], sec) != 0) {
            *why = N_("has a damaged OLE2 sector table");
            goto fail;
        }
        for (uint32_t j = 0; j < per; j++) c->fat[i * per + j] = le32(sec + 4 * j);
    }
    /* sectors beyond the file never count, whatever the FAT says */
    if (c->nfat > c->nsect) c->nfat = c->nsect;

    /* the directory */
    if (chain(c->fat, c->nfat, dir0, c->nsect, &dirs, &ndirs) != 0 || ndirs == 0) {
        *why = N_("has a damaged OLE2 directory");
        goto fail;
    }
    uint32_t eper = c->ssz / 128;
    c->eper = eper;
    c->ent = xcalloc((size_t)ndirs * eper, sizeof *c->ent);
    for (uint32_t i = 0; i < ndirs; i++) {
        if (rd_sector(c, dirs[i], sec) != 0) {
            *why = N_("has a damaged OLE2 directory");
            goto fail;
        }
        for (uint32_t j = 0; j < eper; j++) {
            const unsigned char *e = sec + 128 * j;
            struct cfb_entry *x = &c->ent[c->nent++];
            unsigned nlen = le16(e + 0x40);
            x->nlen = nlen;
            if (nlen > 64) nlen = 64;
            size_t o = 0;
            for (unsigned q = 0; q + 1 < nlen && o + 1 < sizeof x->name; q += 2) {
                unsigned u = le16(e + q);
                if (u == 0) break;
                x->name[o++] = (u >= 0x20 && u < 0x7F) ? (char)u : '?';
            }
            x->name[o] = '\0';
            x->type = e[0x42];
            x->left = le32(e + 0x44);
            x->right = le32(e + 0x48);
            x->child = le32(e + 0x4C);
            x->start = le32(e + 0x74);
            x->size = shift == 9 ? le32(e + 0x78) : (uint64_t)le32(e + 0x78) | (uint64_t)le32(e + 0x7C) << 32;
        }
    }
    if (c->ent[0].type != 5) {
        *why = N_("has no OLE2 root entry");
        goto fail;
    }

    /* the mini FAT (absent in files without small streams) */
    if (nmfat && mfat0 != CFB_END) {
        if (chain(c->fat, c->nfat, mfat0, c->nsect, &mchain, &nm) != 0) {
            *why = N_("has a damaged OLE2 mini sector table");
            goto fail;
        }
        c->nminifat = nm * per;
        c->minifat = xmalloc((size_t)c->nminifat * sizeof *c->minifat + 1);
        for (uint32_t i = 0; i < nm; i++) {
            if (rd_sector(c, mchain[i], sec) != 0) {
                *why = N_("has a damaged OLE2 mini sector table");
                goto fail;
            }
            for (uint32_t j = 0; j < per; j++) c->minifat[i * per + j] = le32(sec + 4 * j);
        }
    }
    free(sec);
    free(difat);
    free(dirs);
    free(mchain);
    *why = NULL;
    return 0;
fail:
    free(sec);
    free(difat);
    free(dirs);
    free(mchain);
    cfb_close(c);
    return -1;
}

static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
        char y = *b >= 'a' && *b <= 'z' ? (char)(*b - 32) : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

long cfb_find(const struct cfb *c, const char *name)
{
    /* the root's children form a binary tree through left/right; walk it with an
     * explicit stack, each entry visited once whatever the ids claim */
    if (c->nent == 0) return -1;
    uint32_t *stack = xmalloc((size_t)c->nent * sizeof *stack);
    unsigned char *seen = xcalloc(c->nent, 1);
    size_t top = 0;
    long found = -1;
    if (c->ent[0].child < c->nent) stack[top++] = c->ent[0].child;
    while (top && found < 0) {
        uint32_t i = stack[--top];
        if (seen[i]) continue;
        seen[i] = 1;
        const struct cfb_entry *e = &c->ent[i];
        if ((e->type == 1 || e->type == 2) && name_eq(e->name, name)) found = (long)i;
        if (e->left < c->nent && !seen[e->left]) stack[top++] = e->left;
        if (e->right < c->nent && !seen[e->right]) stack[top++] = e->right;
    }
    free(stack);
    free(seen);
    return found;
}

int cfb_read(struct cfb *c, long id, unsigned char **buf, size_t *len, size_t cap,
             const char **why)
{
    *buf = NULL;
    *len = 0;
    *why = N_("has a damaged OLE2 stream");
    if (id < 0 || (uint32_t)id >= c->nent || c->ent[id].type != 2) return -1;
    const struct cfb_entry *e = &c->ent[id];
    if (e->size > cap || e->size > c->fsize) {
        *why = N_("has a stream larger than the limit");
        return -1;
    }
    size_t size = (size_t)e->size;
    unsigned char *out = xmalloc(size + 1);
    unsigned char *sec = xmalloc(c->ssz);
    uint32_t *ch = NULL, n = 0;
    size_t got = 0;
    if (size == 0) {
        /* nothing to read */
    } else if (size >= c->cutoff) {
        if (chain(c->fat, c->nfat, e->start, c->nsect, &ch, &n) != 0) goto fail;
        for (uint32_t i = 0; i < n && got < size; i++) {
            if (rd_sector(c, ch[i], sec) != 0) goto fail;
            size_t k = size - got < c->ssz ? size - got : c->ssz;
            memcpy(out + got, sec, k);
            got += k;
        }
    } else {
        /* a small stream: 64-byte mini sectors inside the root's stream */
        uint32_t *root = NULL, nroot = 0, *mch = NULL, nmch = 0;
        if (!c->minifat || chain(c->fat, c->nfat, c->ent[0].start, c->nsect, &root, &nroot) != 0)
            goto fail;
        if (chain(c->minifat, c->nminifat, e->start, c->nminifat, &mch, &nmch) != 0) {
            free(root);
            goto fail;
        }
        uint32_t mper = c->ssz / 64;
        for (uint32_t i = 0; i < nmch && got < size; i++) {
            uint32_t rs = mch[i] / mper;
            if (rs >= nroot || rd_sector(c, root[rs], sec) != 0) {
                free(root);
                free(mch);
                goto fail;
            }
            size_t k = size - got < 64 ? size - got : 64;
            memcpy(out + got, sec + (mch[i] % mper) * 64, k);
            got += k;
        }
        free(root);
        free(mch);
    }
    if (got < size) goto fail;
    free(ch);
    free(sec);
    *buf = out;
    *len = size;
    *why = NULL;
    return 0;
fail:
    free(ch);
    free(sec);
    free(out);
    return -1;
}
