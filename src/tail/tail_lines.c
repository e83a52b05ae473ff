/*
 * tail_lines.c - a run of whole lines taken at once: how many newlines a
 * span of the buffer holds and where the last one is, and whether any of
 * its lines needs the line-by-line path (a NUL byte, or a line longer
 * than TAIL_LINE_MAX, the part after the last newline included). With
 * AVX2, 64 bytes a step; without it, memchr. Both give the same answer;
 * neither reads outside the span.
 */
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#include "tail_int.h"

/* note_line - a newline at AT (the one before: R->last): 0 when the
 * line it ends is too long for a run */
static int note_line(struct tail_run *r, size_t at)
{
	size_t len = r->lines > 0 ? at - r->last - 1 : at;

	r->lines++;
	r->last = at;
	return len <= TAIL_LINE_MAX;
}

/* scan_scalar - from offset Q of P on: Q is 0, or just past R->last */
static int scan_scalar(const char *p, size_t n, size_t q, struct tail_run *r)
{
	const char *nl;

	if (memchr(p + q, '\0', n - q) != NULL)
		return 0;
	while ((nl = memchr(p + q, '\n', n - q)) != NULL) {
		if (!note_line(r, (size_t)(nl - p)))
			return 0;
		q = (size_t)(nl - p) + 1;
	}
	return n - q <= TAIL_LINE_MAX;	/* the line that goes on after */
}

#ifdef HAVE_AVX2_PATH
/* mask64 - one bit per byte of the 64 at P that equals C's bytes */
__attribute__((target("avx2")))
static inline uint64_t mask64(const char *p, __m256i c)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)p),
		b = _mm256_loadu_si256((const __m256i *)(p + 32));

	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, c)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, c)) << 32;
}

/* scan_avx2 - blocks of 64 bytes without a branch on their content (a
 * newline falls in about every other one), then the rest by scan_scalar.
 * START: where the line at hand began; TOO_LONG: some line was. Only
 * the instruction sets tail_run_scan checks for: lzcnt on a CPU without
 * it would run as bsr and answer something else */
__attribute__((target("avx2,popcnt")))
static int scan_avx2(const char *p, size_t n, struct tail_run *r)
{
	const __m256i newline = _mm256_set1_epi8('\n'), nul = _mm256_setzero_si256();
	size_t q = 0, start = 0, lines = 0;
	uint64_t nuls = 0, too_long = 0;

	for (; q + 64 <= n; q += 64) {
		uint64_t nl = mask64(p + q, newline);
		size_t first = nl ? q + (size_t)__builtin_ctzll(nl) : q + 64;
		size_t last = q + 63 - (size_t)__builtin_clzll(nl | 1);

		nuls |= mask64(p + q, nul);
		too_long |= first - start > TAIL_LINE_MAX;
		lines += (size_t)__builtin_popcountll(nl);
		start = nl ? last + 1 : start;
	}
	if (nuls != 0 || too_long != 0)
		return 0;
	r->lines = lines;
	r->last = start - 1;	/* meaningful when lines > 0 */
	return scan_scalar(p, n, start, r);
}
#endif

int tail_run_scan_scalar(const char *p, size_t n, struct tail_run *r)
{
	r->lines = 0;
	r->last = 0;
	return scan_scalar(p, n, 0, r);
}

int tail_run_scan(const char *p, size_t n, struct tail_run *r)
{
#ifdef HAVE_AVX2_PATH
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) {
		r->lines = 0;
		r->last = 0;
		return scan_avx2(p, n, r);
	}
#endif
	return tail_run_scan_scalar(p, n, r);
}
