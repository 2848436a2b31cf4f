/*
 * test_reader.c — engine/load.c's reading of a CSV file in chunks, ahead of the parse
 * (a thread for a regular file): characters cut at a chunk's end, a BOM, an invalid
 * byte or the file's end just after a cut, and the SHA-256 of what was read.
 *
 * Each file is a schools registry a few chunks long (the chunk is 256 KiB), with
 * two-byte Cyrillic letters placed across every chunk boundary at each offset.
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
#include "load.h"
#include "soko.h"

#define CHUNK (256 * 1024)

static char path[300];

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/soko-test-reader-%ld.csv", t && *t ? t : "/tmp",
             (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

struct result {
    int rc;
    struct load_stats st;
    struct soko_diag d;
};

static void load_bytes(struct result *r, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    soko_diag_init(&r->d, 0);
    r->rc = load_file(path, form_find("schools"), NULL, NULL, &r->st, &r->d);
}

static void expect_msg(const struct result *r, const char *want)
{
    for (size_t i = 0; i < r->d.nmsgs; i++)
        if (strstr(r->d.msgs[i], want)) return;
    print_error("no message with \"%s\"; got %zu:\n", want, r->d.nmsgs);
    for (size_t i = 0; i < r->d.nmsgs; i++) print_error("  %s\n", r->d.msgs[i]);
    fail();
}

static void sha_hex(const char *data, size_t n, char out[65])
{
    struct sha256 s;
    unsigned char dg[32];
    sha256_init(&s);
    sha256_update(&s, data, n);
    sha256_final(&s, dg);
    sha256_hex(dg, out);
}

/* A registry of about 3.5 chunks: the header after `pad` bytes of a BOM and spaces
 * (none when pad is 0), then rows "N,Школа N" (20 bytes of letters each). Its lines
 * into *lines. */
static char *registry(size_t pad, int bom, size_t *len, long *lines)
{
    struct sbuf b = SBUF_INIT;
    if (bom) sbuf_adds(&b, "\xEF\xBB\xBF");
    sbuf_adds(&b, "school_id,name");
    for (size_t i = 0; i < pad; i++) sbuf_addc(&b, ' ');
    sbuf_addc(&b, '\n');
    long n = 1;
    for (int i = 1; b.len < 3 * CHUNK + CHUNK / 2; i++, n++) sbuf_printf(&b, "%d,Школа Ёжика %d\n", i, i);
    *len = b.len;
    *lines = n;
    return sbuf_take(&b);
}

static void test_chunk_boundaries(void **state)
{
    (void)state;
    for (int bom = 0; bom <= 1; bom++)
        for (size_t pad = 0; pad < 4; pad++) {
            size_t len;
            long lines;
            char *s = registry(pad, bom, &len, &lines);
            struct result r;

            /* as it is: read whole, the digest that of every byte */
            load_bytes(&r, s, len);
            assert_int_equal(r.rc, SOKO_OK);
            assert_int_equal(r.st.records, lines - 1);
            assert_int_equal(r.st.bom, bom);
            assert_int_equal(r.st.enc, ENC_UTF8);
            assert_int_equal((long)r.st.bytes, (long)len);
            char want[65];
            sha_hex(s, len, want);
            assert_string_equal(r.st.sha256, want);
            soko_diag_free(&r.d);

            /* an invalid byte just after each chunk boundary, on its line */
            for (size_t k = 1; k <= 3; k++) {
                char *t = xmalloc(len);
                memcpy(t, s, len);
                size_t at = k * CHUNK + pad % 3;
                if (t[at] == '\n') at++;
                t[at] = (char)0xFF;
                long line = 1;
                for (size_t i = 0; i < at; i++) line += t[i] == '\n';
                load_bytes(&r, t, len);
                assert_int_equal(r.rc, SOKO_EINPUT);
                char msg[64];
                snprintf(msg, sizeof msg, ":%ld: invalid UTF-8 (byte 0x", line);
                expect_msg(&r, msg);
                soko_diag_free(&r.d);
                free(t);
            }

            /* the file ends inside a letter: cut after the first byte of one */
            size_t cut = 2 * CHUNK + pad;
            while ((unsigned char)s[cut] != 0xD0 && (unsigned char)s[cut] != 0xD1) cut++;
            long line = 1;
            for (size_t i = 0; i < cut; i++) line += s[i] == '\n';
            load_bytes(&r, s, cut + 1);
            assert_int_equal(r.rc, SOKO_EINPUT);
            char msg[80];
            snprintf(msg, sizeof msg, ":%ld: the file ends inside a UTF-8 character", line);
            expect_msg(&r, msg);
            soko_diag_free(&r.d);
            free(s);
        }
}

/* A file of exactly one chunk, two, and one byte more: the end is seen as before. */
static void test_chunk_sizes(void **state)
{
    (void)state;
    for (size_t n = CHUNK - 1; n <= 2 * CHUNK + 1; n += (n == CHUNK + 1 ? CHUNK - 2 : 1)) {
        struct sbuf b = SBUF_INIT;
        sbuf_adds(&b, "school_id,name\n");
        long rows = 0;
        while (b.len + 40 < n) {
            rows++;
            sbuf_printf(&b, "%ld,Лицей %ld\n", rows, rows);
        }
        sbuf_adds(&b, "0,");
        while (b.len < n - 1) sbuf_addc(&b, 'x');
        sbuf_addc(&b, '\n');
        rows++;
        struct result r;
        load_bytes(&r, b.s, b.len);
        assert_int_equal(r.rc, SOKO_OK);
        assert_int_equal(r.st.records, rows);
        char want[65];
        sha_hex(b.s, b.len, want);
        assert_string_equal(r.st.sha256, want);
        soko_diag_free(&r.d);
        sbuf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_chunk_sizes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
