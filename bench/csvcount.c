/*
 * bench/csvcount.c — the peer of `soko import` in bench/import: the least a program
 * can do with a CSV file through libcsv — read it in chunks and count fields and
 * records. soko's import rate is reported as a ratio to this one.
 */
#include <csv.h>
#include <stdio.h>
#include <string.h>

static unsigned long long fields, records;

static void on_field(void *s, size_t n, void *ctx) { (void)s; (void)n; (void)ctx; fields++; }
static void on_record(int c, void *ctx) { (void)c; (void)ctx; records++; }

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: csvcount FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    static char buf[256 * 1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_record, NULL) != n) {
            fprintf(stderr, "%s: %s\n", argv[1], csv_strerror(csv_error(&p)));
            return 1;
        }
    csv_fini(&p, on_field, on_record, NULL);
    csv_free(&p);
    fclose(f);
    printf("%llu records, %llu fields\n", records, fields);
    return 0;
}
