/*
 * formdef.h — forms defined by INI files (docs/own-forms.md), read into the same
 * struct form as the built-in ones of forms.c.
 *
 * Takes: a folder of definitions (DEFS/forms/, and the folders of $SOKO_FORMS), one
 * form per file FORM.ini: a [form] section (title, doc, example lines), one
 * [column NAME] section per column (header aliases, type, range, key, required,
 * enum values, default) and [check NAME] sections (sum, sum_at_most, order), read
 * through deffile.c's typed key tables.
 * Gives: each definition, validated, as a struct form registered with forms_define,
 * so that form_find, forms_all and everything built on them (load, store, template,
 * docs, indicators, rules) see it like a built-in form. A defined form is always of
 * kind FORM_ROWS.
 * Refuses, as "file:line: [section]: key: got 'X'; expected ...": an unknown key or
 * section, a value of the wrong type, a name that is not an identifier or is an SQL
 * keyword or a name soko uses itself, a column given twice, two columns with the same
 * header, a range on a text column or a reversed one, an enum without values, a check
 * naming an unknown or non-numeric column, a form without a key, a form name that is
 * built in or defined by another file.
 * Ownership: the forms live until formdef_unload_all (which also forgets them in
 * forms.h); nothing else to free.
 * Errors: SOKO_ECONFIG (the definition), SOKO_EIO (a folder or file unreadable).
 */
#ifndef SOKO_FORMDEF_H
#define SOKO_FORMDEF_H

#include "forms.h"
#include "soko.h"

#define FORMDEF_MAX 64          /* defined forms in one process */
#define FORMDEF_MAX_COLS 60     /* columns of one defined form */
#define FORMDEF_MAX_CHECKS 8    /* checks of one defined form (the loader's limit) */

/* Reads one definition file; its form is named by the file's name without .ini. */
int formdef_load_file(const char *path, struct soko_diag *d);
/* Reads every *.ini of dir in name order (a missing folder is no error when
 * missing_ok). Every file is checked; on any problem nothing of dir is defined. */
int formdef_load_dir(const char *dir, int missing_ok, struct soko_diag *d);
/* The definition file of a defined form, or NULL for a built-in one (borrowed). */
const char *formdef_file(const struct form *f);
/* The defined form whose name is the base name of path without .ini (an indicator
 * file indicators/FORM.ini belongs to its monitoring even where an indicator reads
 * another form), or NULL. */
const struct form *formdef_named_by(const char *path);
/* Forgets and frees every defined form. */
void formdef_unload_all(void);

#endif
