/*
 * outdir.c — safe output files (outdir.h): openat relative to one directory
 * descriptor, O_NOFOLLOW everywhere, a temporary name and renameat into place.
 */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct outdir {
    int fd;
    char *path;
};

static int open_dir_at(int at, const char *name, const char *shown, int create, int *fd,
                       struct soko_diag *d)
{
    if (create && mkdirat(at, name, 0777) != 0 && errno != EEXIST) {
        soko_diag_add(d, shown, 0, 0, _("cannot create the output directory: %s"),
                      strerror(errno));
        return SOKO_EIO;
    }
    int f = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f < 0) {
        int e = errno;
        struct stat sb;
        if (fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
            soko_diag_add(d, shown, 0, 0,
                          _("the output directory is a symbolic link; expected a directory"));
        else if (e == ENOTDIR)
            soko_diag_add(d, shown, 0, 0, _("cannot use as the output directory: %s (%s)"),
                          strerror(e), _("a file of that name exists"));
        else
            soko_diag_add(d, shown, 0, 0, _("cannot open the output directory: %s"), strerror(e));
        return SOKO_EIO;
    }
    *fd = f;
    return SOKO_OK;
}

int outdir_open(const char *path, int create, struct outdir **out, struct soko_diag *d)
{
    *out = NULL;
    if (!path || !*path) {
        soko_diag_add(d, NULL, 0, 0, _("no output directory given"));
        return SOKO_EIO;
    }
    /* a trailing slash would make O_NOFOLLOW follow a link named by the path */
    char *p = xstrdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    int fd = -1;
    int rc = open_dir_at(AT_FDCWD, p, path, create, &fd, d);
    if (rc) {
        free(p);
        return rc;
    }
    struct outdir *o = xcalloc(1, sizeof *o);
    o->fd = fd;
    o->path = p;
    *out = o;
    return SOKO_OK;
}

int outdir_sub(struct outdir *o, const char *name, struct outdir **out, struct soko_diag *d)
{
    *out = NULL;
    char *shown = xasprintf("%s/%s", o->path, name);
    int fd = -1;
    int rc = open_dir_at(o->fd, name, shown, 1, &fd, d);
    if (rc) {
        free(shown);
        return rc;
    }
    struct outdir *s = xcalloc(1, sizeof *s);
    s->fd = fd;
    s->path = shown;
    *out = s;
    return SOKO_OK;
}

void outdir_close(struct outdir *o)
{
    if (!o) return;
    if (o->fd >= 0) close(o->fd);
    free(o->path);
    free(o);
}

const char *outdir_path(const struct outdir *o) { return o->path; }

int outdir_write(struct outdir *o, const char *name, const void *buf, size_t n,
                 struct soko_diag *d)
{
    char *shown = xasprintf("%s/%s", o->path, name);
    char *tmp = NULL;
    int fd = -1;
    for (unsigned k = 0; k < 100 && fd < 0; k++) {
        free(tmp);
        tmp = xasprintf(".%s.%ld.%u.tmp", name, (long)getpid(), k);
        fd = openat(o->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        soko_diag_add(d, shown, 0, 0, _("cannot write: %s"), strerror(errno));
        free(tmp);
        free(shown);
        return SOKO_EIO;
    }
    const char *p = buf;
    size_t left = n;
    int bad = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            bad = errno ? errno : EIO;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0 && !bad) bad = errno;
    if (!bad && renameat(o->fd, tmp, o->fd, name) != 0) bad = errno;
    if (bad) {
        unlinkat(o->fd, tmp, 0);
        soko_diag_add(d, shown, 0, 0, _("write failed: %s"), strerror(bad));
    }
    free(tmp);
    free(shown);
    return bad ? SOKO_EIO : SOKO_OK;
}

char *outdir_read(struct outdir *o, const char *name, size_t *len, struct soko_diag *d)
{
    int fd = openat(o->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        soko_diag_add(d, o->path, 0, 0, _("cannot read %s: %s"), name, strerror(errno));
        return NULL;
    }
    struct sbuf b = SBUF_INIT;
    char chunk[16384];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            soko_diag_add(d, o->path, 0, 0, _("cannot read %s: %s"), name, strerror(errno));
            close(fd);
            sbuf_free(&b);
            return NULL;
        }
        if (r == 0) break;
        sbuf_add(&b, chunk, (size_t)r);
    }
    close(fd);
    if (len) *len = b.len;
    return sbuf_take(&b);
}

void outdir_unlink(struct outdir *o, const char *name) { unlinkat(o->fd, name, 0); }

static const char *base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int outdir_tmp(struct outdir *o, char **path, struct soko_diag *d)
{
    char *t = xasprintf("%s/.soko-XXXXXX", o->path);
    if (!mkdtemp(t)) {
        soko_diag_add(d, o->path, 0, 0, _("cannot create a temporary directory: %s"),
                      strerror(errno));
        free(t);
        return SOKO_EIO;
    }
    *path = t;
    return SOKO_OK;
}

int outdir_adopt(struct outdir *o, const char *tmp, const char *file, struct soko_diag *d)
{
    int tfd = openat(o->fd, base_of(tmp), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0 || renameat(tfd, file, o->fd, file) != 0) {
        soko_diag_add(d, o->path, 0, 0, _("cannot move %s into place: %s"), file,
                      strerror(errno));
        if (tfd >= 0) close(tfd);
        return SOKO_EIO;
    }
    close(tfd);
    return SOKO_OK;
}

void outdir_tmp_free(struct outdir *o, const char *tmp)
{
    if (!tmp) return;
    int tfd = openat(o->fd, base_of(tmp), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd >= 0) {
        DIR *dir = fdopendir(dup(tfd));
        if (dir) {
            struct dirent *e;
            while ((e = readdir(dir)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                    unlinkat(tfd, e->d_name, 0);
            closedir(dir);
        }
        close(tfd);
    }
    unlinkat(o->fd, base_of(tmp), AT_REMOVEDIR);
}
