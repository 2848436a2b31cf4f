/*
 * names.h — what a reader sees instead of a stored code, and the district's names of
 * subjects: two small data files in the definitions root.
 *
 *   names.ini     display names by category: [profile] math-science = …, [role],
 *                 [stage], [rule_kind], [kind], [form], [level], [indicator_short] …
 *                 (docs/reports.md). A value with no display name is shown as it is.
 *   subjects.ini  exam and export subject names → the district's names, per form
 *                 ([ege], [oge], [vpr], [rdr], [olympiad]) or for every form ([all]):
 *                 `Математика (профильный уровень) = Математика профильная`.
 *
 * Takes: the two paths (either may be NULL: then nothing is renamed or mapped).
 * Gives: struct names; look-ups compare case-insensitively (ASCII and Cyrillic) with
 *   surrounding spaces ignored. names_subject is the one subject map: the note applies
 *   it where it reads results (names_normalize), the importer may call it on each row.
 * Ownership: struct names from names_load, released by names_free; returned strings
 *   are borrowed from it (or are the argument itself).
 * Errors: SOKO_EIO when a file cannot be read, SOKO_ECONFIG for a malformed one (the
 *   deffile.h messages: file:line: why) or a key given twice in a section.
 */
#ifndef SOKO_NAMES_H
#define SOKO_NAMES_H

#include "indicators.h"
#include "soko.h"

struct names;

int names_load(const char *names_ini, const char *subjects_ini, struct names **out,
               struct soko_diag *d);
void names_free(struct names *n);

/* The display name of value in category, or value itself when there is none. */
const char *names_get(const struct names *n, const char *category, const char *value);
/* 1 when value has a display name in category. */
int names_has(const struct names *n, const char *category, const char *value);

/* The district's name of subject in form (a form's [section], then [all]), or
 * subject itself when the map does not name it. */
const char *names_subject(const struct names *n, const char *form, const char *subject);

/* Results with every `subject` breakdown renamed through names_subject; rows of one
 * indicator, level, unit, year and breakdown that now share a name are pooled (shares
 * and counts: numerator and denominator summed, the Wilson or Poisson interval anew;
 * means: weighted by n, without an interval). out->v is the caller's (ind_results_free
 * works: the strings are borrowed from in and from n, which must outlive out). */
void names_normalize(const struct names *n, const struct ind_results *in,
                     struct ind_results *out);

#endif
