/*
 * pattern_literal.h - a literal that every match of a custom pattern
 * contains, for the buffer prefilter (prefilter.h).
 */
#ifndef POPGATE_PATTERN_LITERAL_H
#define POPGATE_PATTERN_LITERAL_H

#include <stddef.h>

#define PATTERN_LITERAL_MAX 64	/* longer runs are cut: still required */

/* pattern_literal - the longest run of bytes found at PATTERN's top level
 * that every match contains, NUL-terminated in OUT (SIZE bytes, at most
 * PATTERN_LITERAL_MAX + 1 used); its length, 0 when none is known */
size_t pattern_literal(const char *pattern, char *out, size_t size);

#endif
