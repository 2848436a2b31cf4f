/*
 * deffile.c — an INI file read whole, with line numbers (contract in deffile.h).
 *
 * libinih as packaged by Debian reports no line numbers to the handler and reads
 * at most `ini_max_line` bytes a line (200 by default: a Russian title of a hundred
 * letters would be cut in two). So the file is fed through our own reader, which
 * counts physical lines and sees each line before inih does; it mirrors inih's
 * classification of the line (comment, continuation, section, key) to know which
 * section a key belongs to and whether a handler call continues the previous key.
 */
#include "deffile.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
    FILE *f;
    struct deffile *df;
    struct soko_diag *d;
    char *buf;            /* the current physical line (getline) */
    size_t cap;
    long line;            /* its number */
    int have_prev;        /* inih's prev_name: a key was seen since the last header */
    int cont;             /* the current line continues the previous key */
    int in_section;       /* a section header has been seen */
    long bad_line;        /* a line we already reported (inih may report it again) */
    int bad;              /* any error so far */
};

static void rd_err(struct rd *r, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void rd_err(struct rd *r, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    soko_diag_vadd(r->d, r->df->path, line, 0, fmt, ap);
    va_end(ap);
    r->bad = 1;
    r->bad_line = line;
}

static char *skip_ws(char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

static void rstrip(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
}

/* Looks at one line as inih will, and records a section header. */
static void classify(struct rd *r, char *text)
{
    if (r->line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3;   /* BOM */
    char *copy = xstrdup(text);
    rstrip(copy);
    char *start = skip_ws(copy);
    int indented = start > copy;
    r->cont = 0;
    if (*start == ';' || *start == '#' || *start == '\0') {
        /* comment or blank */
    } else if (r->have_prev && indented) {
        r->cont = 1;
    } else if (*start == '[') {
        char *end = strchr(start, ']');
        if (end) {
            *end = '\0';
            char *name = skip_ws(start + 1);
            rstrip(name);
            for (size_t i = 0; i < r->df->nsec; i++)
                if (strcmp(r->df->sec[i].name, name) == 0)
                    rd_err(r, r->line, "section [%s] is given twice (first on line %ld); "
                                       "expected each name once", name, r->df->sec[i].line);
            r->df->sec = xrealloc(r->df->sec, (r->df->nsec + 1) * sizeof *r->df->sec);
            struct deffile_sec *s = &r->df->sec[r->df->nsec++];
            memset(s, 0, sizeof *s);
            s->name = xstrdup(name);
            s->line = r->line;
            r->have_prev = 0;
            r->in_section = 1;
        }
    }
    free(copy);
}

static char *reader(char *str, int num, void *stream)
{
    struct rd *r = stream;
    errno = 0;
    ssize_t n = getline(&r->buf, &r->cap, r->f);
    if (n < 0) return NULL;
    r->line++;
    int incomplete = 0;
    if (utf8_valid_prefix((const unsigned char *)r->buf, (size_t)n, &incomplete) != (size_t)n)
        rd_err(r, r->line, "the line is not valid UTF-8; expected a file saved as UTF-8");
    if (n >= num || memchr(r->buf, '\0', (size_t)n)) {
        if (n >= num)
            rd_err(r, r->line, "the line is %zd bytes long; expected at most %d (continue a "
                               "long value on indented lines)", n, num - 1);
        else
            rd_err(r, r->line, "the line holds a NUL byte; expected text");
        r->buf[0] = '\0';     /* hand inih an empty line instead */
        n = 0;
    }
    classify(r, r->buf);
    memcpy(str, r->buf, (size_t)n + 1);
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct rd *r = user;
    (void)section;    /* inih cuts names at 50 bytes: we keep our own */
    r->have_prev = 1;
    if (!r->in_section) {
        rd_err(r, r->line, "'%s' is outside any section; expected a [section] line above it",
               name);
        return 1;
    }
    struct deffile_sec *s = &r->df->sec[r->df->nsec - 1];
    if (r->cont && s->nkv > 0) {
        /* inih leaves an inline comment on a continuation line: drop it here */
        char *v = xstrdup(value);
        for (char *p = v; *p; p++)
            if (*p == ';' && p > v && isspace((unsigned char)p[-1])) {
                *p = '\0';
                break;
            }
        rstrip(v);
        struct deffile_kv *kv = &s->kv[s->nkv - 1];
        if (*v) {
            char *joined = xasprintf("%s%s%s", kv->value, *kv->value ? " " : "", v);
            free(kv->value);
            kv->value = joined;
        }
        free(v);
        return 1;
    }
    for (size_t i = 0; i < s->nkv; i++)
        if (strcmp(s->kv[i].key, name) == 0) {
            rd_err(r, r->line, "[%s]: '%s' is given twice (first on line %ld); expected one "
                               "value (continue a long one on indented lines)",
                   s->name, name, s->kv[i].line);
            return 1;
        }
    s->kv = xrealloc(s->kv, (s->nkv + 1) * sizeof *s->kv);
    struct deffile_kv *kv = &s->kv[s->nkv++];
    kv->key = xstrdup(name);
    kv->value = xstrdup(value);
    kv->line = r->line;
    return 1;
}

int deffile_read(const char *path, struct deffile *df, struct soko_diag *d)
{
    memset(df, 0, sizeof *df);
    df->path = xstrdup(path);
    FILE *f = fopen(path, "r");
    if (!f) {
        soko_diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return SOKO_EIO;
    }
    /* Debian builds libinih with run-time options: let a line be as long as ours. */
    ini_max_line = DEFFILE_MAX_LINE;
    struct rd r;
    memset(&r, 0, sizeof r);
    r.f = f;
    r.df = df;
    r.d = d;
    int rc = ini_parse_stream(reader, &r, handler, &r);
    int ioerr = ferror(f);
    fclose(f);
    free(r.buf);
    if (ioerr) {
        soko_diag_add(d, path, 0, 0, "cannot read: %s", strerror(errno));
        return SOKO_EIO;
    }
    if (rc > 0 && rc != r.bad_line)
        rd_err(&r, rc, "not an INI line; expected [section], key = value, or a ; comment");
    else if (rc < 0 && !r.bad)
        rd_err(&r, 0, "cannot parse (libinih error %d)", rc);
    for (size_t i = 0; i < df->nsec; i++)
        if (df->sec[i].nkv == 0)
            rd_err(&r, df->sec[i].line, "section [%s] is empty; expected key = value lines "
                                         "under it", df->sec[i].name);
    return r.bad ? SOKO_ECONFIG : SOKO_OK;
}

void deffile_free(struct deffile *df)
{
    for (size_t i = 0; i < df->nsec; i++) {
        for (size_t j = 0; j < df->sec[i].nkv; j++) {
            free(df->sec[i].kv[j].key);
            free(df->sec[i].kv[j].value);
        }
        free(df->sec[i].kv);
        free(df->sec[i].name);
    }
    free(df->sec);
    free(df->path);
    memset(df, 0, sizeof *df);
}

const char *deffile_get(const struct deffile_sec *s, const char *key, long *line)
{
    for (size_t i = 0; i < s->nkv; i++)
        if (strcmp(s->kv[i].key, key) == 0) {
            if (line) *line = s->kv[i].line;
            return s->kv[i].value;
        }
    return NULL;
}
