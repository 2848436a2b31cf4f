/*
 * outdir.h — an output directory that report writers put files into safely.
 *
 * Takes: a directory path (created when asked, parents must exist) and file names
 *   without '/' inside it.
 * Gives: struct outdir, the directory opened once (O_DIRECTORY | O_NOFOLLOW): every
 *   later file is created relative to that descriptor, so a directory renamed or
 *   replaced by a link after the open cannot redirect the output. A file is written
 *   whole to a fresh temporary name (O_CREAT | O_EXCL | O_NOFOLLOW) and renamed into
 *   place: a planted symbolic link at the final name is replaced, never followed, and
 *   an interrupted or failing write leaves the previous file (or none), never a
 *   truncated one. Programs that write files themselves (gnuplot, libxlsxwriter) get a
 *   private temporary directory inside (mkdtemp, mode 0700); outdir_adopt moves their
 *   files into place the same way, and outdir_tmp_free removes what is left.
 * Ownership: struct outdir from outdir_open / outdir_sub, released by outdir_close
 *   (which does not remove anything). Paths returned are the caller's (free()).
 * Errors: SOKO_EIO with the path and the system's reason in the diag ("File exists",
 *   "Not a directory", "Too many levels of symbolic links", "No space left on device").
 */
#ifndef SOKO_OUTDIR_H
#define SOKO_OUTDIR_H

#include "soko.h"

#include <stddef.h>

struct outdir;

/* Opens path as an output directory; creates it (mode 0777 & ~umask) when create is
 * set and it does not exist. A path that exists as a file or a symbolic link is
 * refused. */
int outdir_open(const char *path, int create, struct outdir **out, struct soko_diag *d);
/* A subdirectory `name` of o, created when missing (never through a link). */
int outdir_sub(struct outdir *o, const char *name, struct outdir **out, struct soko_diag *d);
void outdir_close(struct outdir *o);
/* The path as given to outdir_open (with "/name" for a subdirectory). Borrowed. */
const char *outdir_path(const struct outdir *o);

/* Writes n bytes as o/name: a temporary name, then rename into place. */
int outdir_write(struct outdir *o, const char *name, const void *buf, size_t n,
                 struct soko_diag *d);
/* Reads o/name whole without following a link; NULL with a message when it cannot.
 * *len gets the size. Caller frees. */
char *outdir_read(struct outdir *o, const char *name, size_t *len, struct soko_diag *d);
/* Removes o/name when it is there (a file or a link; never what a link points at). */
void outdir_unlink(struct outdir *o, const char *name);

/* A private temporary directory inside o (".soko-XXXXXX", mode 0700): its full path
 * in *path (caller frees) for a program that writes files itself. */
int outdir_tmp(struct outdir *o, char **path, struct soko_diag *d);
/* Moves tmp/file (tmp from outdir_tmp) to o/file; a missing file is an error. */
int outdir_adopt(struct outdir *o, const char *tmp, const char *file, struct soko_diag *d);
/* Removes the temporary directory and every file left in it (no recursion). */
void outdir_tmp_free(struct outdir *o, const char *tmp);

#endif
