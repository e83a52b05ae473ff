/*
 * litscan.h - finds the first occurrence of any of a small set of
 * literals in a buffer (a whole 64 KiB read, not one line): a SIMD
 * fingerprint of each literal's first three bytes (AVX2 where the CPU has
 * it, a table per byte elsewhere), then an exact compare. Answers only
 * "where is the first literal": never decides a match.
 */
#ifndef POPGATE_LITSCAN_H
#define POPGATE_LITSCAN_H

#include <stddef.h>

#define LITSCAN_MIN_LEN 3	/* shorter literals cannot be scanned for */
#define LITSCAN_MAX 64		/* literals in one set */

struct litscan;

/* litscan_new - a scanner for the N literals TEXT[i] (copied); a literal
 * that contains another one is dropped (the shorter one finds its lines).
 * NULL if a literal is shorter than LITSCAN_MIN_LEN or N is 0 or above
 * LITSCAN_MAX */
struct litscan *litscan_new(const char *const *text, size_t n);
void litscan_free(struct litscan *s);

/* litscan_first - offset in BUF (LEN bytes, any bytes) where the first
 * occurrence of a literal starts; LEN if none */
size_t litscan_first(const struct litscan *s, const char *buf, size_t len);
/* litscan_first_scalar - the same without SIMD (tests compare the two) */
size_t litscan_first_scalar(const struct litscan *s, const char *buf,
			    size_t len);

/* litscan_count / litscan_literal - the literals kept, for -v logging */
size_t litscan_count(const struct litscan *s);
const char *litscan_literal(const struct litscan *s, size_t i);

#endif
