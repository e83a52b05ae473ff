/*
 * litset.h - the matcher's literal prefilters: each distinct literal is
 * searched at most once per line (anchored on its rarest byte, skipped when
 * a shorter literal it contains is already known to be absent). Answers
 * only "does the line hold it": never decides a match.
 */
#ifndef POPGATE_LITSET_H
#define POPGATE_LITSET_H

#include <stddef.h>

struct litset;

struct litset *litset_new(void);
void litset_free(struct litset *s);

#define LITSET_ALTS_MAX 8	/* alternatives of one literal, at most */

/* litset_add - the index of literal TEXT (not empty; kept, not copied),
 * the same for equal texts. "a|b|c": the line must hold one of them */
int litset_add(struct litset *s, const char *text);

/* litset_next_line - forget what the previous line held */
void litset_next_line(struct litset *s);
/* litset_has - 1 if LINE (LEN bytes, NULs allowed) holds literal I */
int litset_has(struct litset *s, int i, const char *line, size_t len);

/* litset_find - 1 if TEXT (TLEN bytes) occurs in LINE (tests) */
int litset_find(const char *line, size_t len, const char *text, size_t tlen);
/* litset_alternative - the length of the next alternative of *TEXT
 * ("a|b": "a", then "b"); *TEXT moves past it and its '|'. Call while
 * **TEXT is not NUL */
size_t litset_alternative(const char **text);
/* litset_find_any - 1 if LINE holds literal TEXT, or for "a|b" one of its
 * alternatives, as litset_has answers (tests, benchmarks) */
int litset_find_any(const char *line, size_t len, const char *text);

#endif
