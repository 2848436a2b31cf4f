/*
 * text.h — the text of cells and headers as a reader sees it: normalisation of what
 * looks the same, scripts within a word, look-alike letters, edit distance, and
 * whether a value looks like a person's name. There is no ICU: the tables here cover
 * the Latin and Cyrillic letters Russian files hold.
 *
 * Takes: NUL-terminated UTF-8 (the loader has checked it; invalid bytes pass through
 *   unchanged, one byte at a time, and never make these functions read past the end).
 * Gives: results in place (text_normalize never lengthens its input) or in a caller's
 *   struct sbuf; nothing here allocates what the caller must free but sbuf contents.
 * Errors: none.
 */
#ifndef SOKO_TEXT_H
#define SOKO_TEXT_H

#include "soko.h"

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s (which must not be at its NUL); returns the bytes used
 * (1 for an invalid byte, which comes back as its own value). */
size_t text_next(const char *s, uint32_t *cp);
/* Appends cp as UTF-8. */
void text_put(struct sbuf *b, uint32_t cp);

enum { TEXT_KEEP_LINES = 0, TEXT_ONE_LINE = 1 };

/* Normalises s in place and returns it:
 *  - canonical composition (NFC) of a letter and a combining mark where Unicode has a
 *    precomposed letter in Latin-1, Latin Extended-A/B or Cyrillic (и + U+0306 → й,
 *    е + U+0308 → ё, e + U+0301 → é); a stress mark (U+0300, U+0301) on a Cyrillic
 *    letter, which has no precomposed form, is dropped;
 *  - zero-width characters U+200B–U+200D, U+2060, U+FEFF and the soft hyphen U+00AD
 *    removed;
 *  - every run of horizontal white space (space, TAB, NBSP, U+2000–U+200A, U+202F,
 *    U+205F, U+3000, U+1680) one ASCII space, and none at either end; with
 *    TEXT_ONE_LINE line breaks (CR, LF, U+2028, U+2029) count as white space too.
 * The result is never longer than the input. */
char *text_normalize(char *s, int mode);

/* Script of a letter: 'L' Latin, 'C' Cyrillic, 0 for anything else (digits too). */
int text_script(uint32_t cp);

/* A word that mixes Latin and Cyrillic letters (words are runs of letters and digits).
 * Fills the byte offset and length of the first letter of the word's minority script
 * (the foreign letter), its 1-based position among the word's code points, and its
 * script; `fix` gets the text with every foreign letter of such words replaced by its
 * look-alike in the other script, when each has one (else fix is left empty). */
struct text_mix {
    size_t off, len;      /* the first foreign letter in s */
    long pos;             /* its position in its word, 1-based */
    int script;           /* 'L' or 'C': the foreign letter's script */
};
int text_mixed_script(const char *s, struct text_mix *m, struct sbuf *fix);

/* The look-alike skeleton: each Cyrillic letter that looks like a Latin one becomes
 * that Latin letter (А→A, а→a, С→C, р→p, ...), Ё/ё become E/e; everything else is
 * kept as it is (case too). Two values with one skeleton look the same on paper. */
void text_skeleton(const char *s, struct sbuf *out);

/* The letter that looks like cp in the other script (A ↔ А, p ↔ р, ...), or 0. */
uint32_t text_twin(uint32_t cp);

/* Calls cb(ctx, variant) for every other spelling of s that swaps some of its
 * look-alike letters for their twins (A01 → А01), at most 2^max_letters − 1 of them
 * (the first max_letters look-alike letters vary). Stops when cb returns non-zero and
 * returns that value; 0 when every variant was offered. */
int text_lookalike_variants(const char *s, int max_letters,
                            int (*cb)(void *ctx, const char *variant), void *ctx);

/* Levenshtein distance between a and b in code points; texts longer than 128 code
 * points count as far apart (SIZE_MAX / 2). */
size_t text_distance(const char *a, const char *b);

/* 1 when s looks like a person's name rather than a pseudonymous code: only letters,
 * spaces, hyphens, apostrophes and dots (no digit), and either more than one word of
 * two letters or more ("Иванов Иван", "ivanova anna"), a surname with initials
 * ("Иванов И.П."), a word with a patronymic ending (-вич, -вна, -ична, -оглы, -кызы),
 * or one capitalised Cyrillic word of five letters or more with a surname ending
 * (-ов, -ова, -ев, -ева, -ёв, -ин, -ина, -ын, -ский, -ская, -цкий, -цкая, -енко). */
int text_looks_like_name(const char *s);

/* Lower case for ASCII and Cyrillic letters (А-Я, Ё, and the Latin-1/Cyrillic
 * supplement pairs); other code points unchanged. */
uint32_t text_lower(uint32_t cp);

#endif
