/*
 * escape.h — the one place that knows how to put a user string (a school's name, a
 * cluster's name, a subject) into each output language soko writes: HTML, Markdown,
 * CSV, gnuplot string literals, XLSX cells, and the terminal.
 *
 * Takes: NUL-terminated UTF-8 text from the store (it was validated at import, but
 *   every escaper still replaces an invalid byte sequence with U+FFFD, so no output
 *   can be made invalid by a bad string).
 * Gives: the escaped text appended to a caller's struct sbuf (esc_*), or a malloc'd
 *   string (esc_*_dup). The result renders as the string was written: no markup,
 *   formula or command in a name is ever interpreted.
 * Ownership: the sbuf stays the caller's; *_dup results are the caller's (free()).
 * Errors: none; escaping cannot fail (allocation failure ends the program, soko.h).
 */
#ifndef SOKO_ESCAPE_H
#define SOKO_ESCAPE_H

#include "soko.h"

/* HTML text or attribute value (quoted with " or '): & < > " ' become entities;
 * C0 control characters other than tab and newline become spaces. */
void esc_html(struct sbuf *b, const char *s);

/* Markdown inline text (CommonMark/GFM, also inside a table cell): \ ` * _ [ ] < > | ~
 * & $ always get a backslash, ! before [, and at the start of the text - + # > = and
 * the "." or ")" of a leading number, so that a name cannot open a heading, list or
 * quote; line breaks become spaces so it cannot start a new block or table row. */
void esc_md(struct sbuf *b, const char *s);

/* One CSV field (RFC 4180, comma separated): quoted when it holds a comma, a quote,
 * CR or LF, or leading/trailing spaces; quotes doubled. A text field that starts
 * with = + - @ TAB or CR (and is not a number) is prefixed with ' so that a
 * spreadsheet opening the file never runs it as a formula. */
void esc_csv(struct sbuf *b, const char *s);

/* A CSV field of a command's machine-readable output: quoted only when it holds a
 * comma, a quote, CR or LF (quotes doubled); no formula guard, so that a program
 * reading the output gets the text exactly. */
void esc_csv_field(struct sbuf *b, const char *s);

/* A JSON string literal, quotes included: " and \ escaped, LF, CR and TAB as \n \r
 * \t, other control characters as \u00XX; UTF-8 passes through. */
void esc_json(struct sbuf *b, const char *s);

/* A gnuplot single-quoted string literal, quotes included: 'text'. Inside single
 * quotes gnuplot interprets no backslash escape and does no backquote or macro
 * substitution; the only special character is ' itself (written ''). Control
 * characters (a newline would end the command) become spaces. Labels must be drawn
 * with the terminal's `noenhanced` option (chart.c sets it) so that ^ _ @ & { } are
 * not markup either. */
void esc_gnuplot(struct sbuf *b, const char *s);

/* Text for an XLSX cell written as a string (libxlsxwriter escapes XML itself):
 * valid UTF-8 with the characters XML 1.0 forbids (C0 controls except tab, LF,
 * CR) replaced by spaces, cut to Excel's 32767-character cell limit. */
void esc_xlsx(struct sbuf *b, const char *s);

/* Text for a terminal (tables, messages, Markdown printed to stdout): tab, CR and LF
 * become spaces; every other C0 control character (ESC among them), DEL, the C1
 * controls U+0080..U+009F and the bidirectional overrides and isolates (U+061C,
 * U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) become U+FFFD, so that a name can
 * neither send a terminal a command (set the title, clear the screen, move the
 * cursor) nor make a line read in another order than it is written. */
void esc_term(struct sbuf *b, const char *s);

/* The same, as new strings (caller frees). */
char *esc_html_dup(const char *s);
char *esc_md_dup(const char *s);
char *esc_csv_dup(const char *s);
char *esc_gnuplot_dup(const char *s);
char *esc_xlsx_dup(const char *s);
char *esc_term_dup(const char *s);

/* An XLSX worksheet name from s: at most 31 characters, none of [ ] : * ? / \,
 * not starting or ending with ', never empty (fallback). Caller frees. */
char *esc_xlsx_sheet(const char *s, const char *fallback);

/* One field of a CSV file meant for Russian Excel (opened by double-click): `;` as
 * the separator, so quoted when it holds a `;`, a quote, CR or LF, or leading or
 * trailing spaces; the same formula guard as esc_csv. */
void esc_csv_excel(struct sbuf *b, const char *s);

/* A file-name stem from s with Cyrillic transliterated by ГОСТ 7.79-2000 system B
 * (without the ` and ' marks: ъ and ь are dropped, ы is y, э is e): «ЕН» → "EN",
 * «Щука» → "Shhuka"; other ASCII letters, digits, '-' and '_' kept, everything else
 * '_'; at most 60 bytes; never empty ("x"). Caller frees. */
char *esc_translit(const char *s);

/* A safe file-name stem from s: ASCII letters, digits, '-', '_' kept; everything
 * else becomes '_'; at most 60 bytes; never empty ("x"). Caller frees. */
char *esc_filename(const char *s);

#endif
