/*
 * i18n.h — translatable text (GNU gettext, domain "soko", catalogue po/ru.po).
 *
 * Every message meant for a user — diagnostics, help, summaries — is written in
 * English inside _() (or N_() where it is only marked, e.g. in a static table, and
 * translated where it is printed); plural forms go through P_(singular, plural, n).
 * Machine output (CSV and JSON column names, stored values, SQL) is never translated.
 * The CLI chooses the language once at start (cli.c: --lang, SOKO_LANG, then the
 * locale's LC_ALL / LC_MESSAGES / LANG); library code only calls gettext, so unit
 * tests, which never choose, read English.
 *
 * A format string chosen at run time is still found by xgettext when it is marked
 * N_() where it is written (the callee then calls _() on it, as deffile's key tables
 * and store's db_fail phrases do); indicators.c's BAD(L, line, key, fmt, ...) is a
 * keyword of its own (BAD:4). scripts/po-check (make po-check) lists what po/ru.po
 * does not translate; `make po` adds the new messages to it.
 */
#ifndef SOKO_I18N_H
#define SOKO_I18N_H

#include <libintl.h>

#define SOKO_TEXTDOMAIN "soko"
#define _(s) gettext(s)
#define N_(s) (s)
#define P_(one, many, n) ngettext(one, many, (unsigned long)(n))

#endif
