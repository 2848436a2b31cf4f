/*
 * profile.h — import profiles: read the layouts people actually receive.
 *
 * A profile (INI, docs/profiles.md) names a target form and says, for each form
 * column, where its value comes from in the source file: a source column (a rename),
 * a constant, a count derived from a percentage and a total, the first N characters
 * of a column, or a value map; which source rows to skip (totals rows), which markers
 * mean a suppressed cell, and what to do with repeated keys (a registry derived from
 * a results file repeats each school). load.c applies it between the CSV parser and
 * the form's row checks, so everything of the plain import holds.
 *
 * Ownership: struct profile from profile_load, released by profile_free. Strings
 * returned by profile_map_row live in the caller's scratch buffer until the next call.
 * Errors: SOKO_ECONFIG with "file:line: why" for a bad profile; SOKO_EINPUT with
 * "file:line:column: ..." for a source row that cannot be mapped.
 */
#ifndef SOKO_PROFILE_H
#define SOKO_PROFILE_H

#include "forms.h"
#include "soko.h"

struct profile;

/* Loads `spec`: a path to an INI file, or a name looked up as DIR/NAME.ini in each of
 * the ':'-separated directories of `search` (e.g. "profiles:/usr/share/soko/profiles"). */
int profile_load(const char *spec, const char *search, struct profile **out,
                 struct soko_diag *d);
void profile_free(struct profile *p);

const struct form *profile_form(const struct profile *p);
const char *profile_name(const struct profile *p);     /* file name without .ini */
const char *profile_sha256(const struct profile *p);   /* of the profile file's bytes */
int profile_keep_first(const struct profile *p);       /* duplicates = first */

/* Resolves the source columns the profile names against a header. Errors name every
 * missing source column. Source columns the profile does not use are ignored. */
int profile_bind_header(struct profile *p, char *const *fields, size_t n, const char *file,
                        long line, struct soko_diag *d);

enum profile_row { PROFILE_ROW = 0, PROFILE_SKIP = 1, PROFILE_SUPPRESSED = 2, PROFILE_ERROR = 3 };

/* Maps one source record to texts per form column: out[j] is the value of form
 * column j (NULL when the profile gives none) and outcol[j] the 1-based source field
 * it came from (0 for constants), for messages. */
enum profile_row profile_map_row(struct profile *p, char *const *fields, size_t n,
                                 const char **out, long *outcol, struct sbuf *scratch,
                                 const char *file, long line, struct soko_diag *d);

#endif
