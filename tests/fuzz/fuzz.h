/*
 * fuzz.h - helpers shared by the libFuzzer harnesses in tests/fuzz:
 * the pinned clock, exact-size copies of the input (so ASan sees any
 * read past the end), splitting it into lines and a loud failure for a broken invariant.
 * Harness code only: never linked into popgate itself.
 */
#ifndef POPGATE_FUZZ_H
#define POPGATE_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

/* 2026-11-23 11:10:00 UTC, a few minutes after the corpus samples */
#define FUZZ_CLOCK ((time_t)1795432200)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_copy - the N bytes at DATA in a heap block of exactly N bytes */
static inline char *fuzz_copy(const void *data, size_t n)
{
	char *p = xmalloc(n);

	if (n > 0)
		memcpy(p, data, n);
	return p;
}

/* fuzz_line_end - where the line starting at POS of S[0..N) ends: at
 * its newline, or at N */
static inline size_t fuzz_line_end(const char *s, size_t n, size_t pos)
{
	const char *nl = memchr(s + pos, '\n', n - pos);

	return nl ? (size_t)(nl - s) : n;
}

/* fuzz_bug - an invariant does not hold: say which, then abort so
 * libFuzzer keeps the input */
static inline void fuzz_bug(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static inline void fuzz_bug(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* fuzz_is_terminated - STR has a NUL within its SIZE bytes */
static inline int fuzz_is_terminated(const char *str, size_t size)
{
	return memchr(str, '\0', size) != NULL;
}

/* fuzz_same_addr - A and B are the same 16-byte key */
static inline int fuzz_same_addr(const struct addr *a, const struct addr *b)
{
	return memcmp(a->b, b->b, sizeof a->b) == 0;
}

#endif
