/*
 * bench/csvcount.c — the peer of `soko import` in bench/import: the least a program
 * can do with a CSV file through libcsv — read it in chunks and count fields and
 * records. soko's import rate is reported as a ratio to this one (bench/import,
 * bench/memory), and bench/run's floor for every stage that reads CSV files.
 * Usage: csvcount FILE... (the totals over all the files).
 */
#include <csv.h>
#include <stdio.h>
#include <string.h>

static unsigned long long fields, records;

static void on_field(void *s, size_t n, void *ctx) { (void)s; (void)n; (void)ctx; fields++; }
static void on_record(int c, void *ctx) { (void)c; (void)ctx; records++; }

static int count_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    static char buf[256 * 1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_record, NULL) != n) {
            fprintf(stderr, "%s: %s\n", path, csv_strerror(csv_error(&p)));
            csv_free(&p);
            fclose(f);
            return 1;
        }
    csv_fini(&p, on_field, on_record, NULL);
    csv_free(&p);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: csvcount FILE...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (count_file(argv[i])) return 1;
    printf("%llu records, %llu fields\n", records, fields);
    return 0;
}
