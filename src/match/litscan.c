/*
 * litscan.c - the first occurrence of any of a few literals in a buffer.
 * Each literal goes into one of 8 buckets; a position is a candidate when
 * each of the three bytes from it is in a literal's bucket at that offset
 * ("Teddy", as in Hyperscan: nibble tables looked up 32 positions at a
 * time with AVX2, or a table per byte without it), and a candidate is
 * confirmed by comparing the bucket's literals. Must give exactly the
 * offset a memmem per literal would; never reads outside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#include "litscan.h"
#include "util.h"

#define BUCKETS 8
#define FP_LEN LITSCAN_MIN_LEN	/* fingerprinted bytes of each literal */

struct lit {
	char *text;
	size_t len;
};

struct litscan {
	struct lit v[LITSCAN_MAX];	/* sorted, grouped by bucket */
	size_t n;
	size_t bucket_start[BUCKETS + 1];	/* v[] index range of each */
	unsigned char byte[FP_LEN][256];	/* buckets whose literals have
						 * this byte at this offset */
	unsigned char lo[FP_LEN][16], hi[FP_LEN][16];	/* the same by nibble */
	int avx2;
};

static int by_text(const void *a, const void *b)
{
	const struct lit *x = a, *y = b;

	return strcmp(x->text, y->text);
}

/* contains_other - V[I] holds another kept literal (then it is not
 * needed: every line with it also holds the shorter one) */
static int contains_other(const struct lit *v, size_t n, size_t i)
{
	for (size_t j = 0; j < n; j++)
		if (j != i && strstr(v[i].text, v[j].text) != NULL &&
		    (v[j].len < v[i].len || j < i))
			return 1;
	return 0;
}

/* fill_tables - buckets by sorted order (neighbours share first bytes,
 * so a bucket's fingerprint stays narrow), then the byte tables */
static void fill_tables(struct litscan *s)
{
	for (size_t b = 0; b <= BUCKETS; b++)
		s->bucket_start[b] = b * s->n / BUCKETS;
	for (size_t b = 0; b < BUCKETS; b++)
		for (size_t i = s->bucket_start[b]; i < s->bucket_start[b + 1]; i++)
			for (size_t k = 0; k < FP_LEN; k++) {
				unsigned char c = (unsigned char)s->v[i].text[k];

				s->byte[k][c] |= (unsigned char)(1u << b);
				s->lo[k][c & 15] |= (unsigned char)(1u << b);
				s->hi[k][c >> 4] |= (unsigned char)(1u << b);
			}
}

struct litscan *litscan_new(const char *const *text, size_t n)
{
	struct litscan *s;
	struct lit all[LITSCAN_MAX];

	if (n == 0 || n > LITSCAN_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		all[i].text = (char *)text[i];
		all[i].len = strlen(text[i]);
		if (all[i].len < LITSCAN_MIN_LEN)
			return NULL;
	}
	s = xcalloc(1, sizeof *s);
	for (size_t i = 0; i < n; i++)
		if (!contains_other(all, n, i)) {
			s->v[s->n].text = xstrdup(all[i].text);
			s->v[s->n++].len = all[i].len;
		}
	qsort(s->v, s->n, sizeof s->v[0], by_text);
	fill_tables(s);
#ifdef HAVE_AVX2_PATH
	s->avx2 = __builtin_cpu_supports("avx2");
#endif
	return s;
}

void litscan_free(struct litscan *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].text);
	free(s);
}

size_t litscan_count(const struct litscan *s)
{
	return s->n;
}

const char *litscan_literal(const struct litscan *s, size_t i)
{
	return i < s->n ? s->v[i].text : NULL;
}

/* confirm - a literal of a bucket in MASK starts at BUF[Q] */
static int confirm(const struct litscan *s, const char *buf, size_t len,
		   size_t q, unsigned mask)
{
	for (; mask != 0; mask &= mask - 1) {
		unsigned b = (unsigned)__builtin_ctz(mask);

		for (size_t i = s->bucket_start[b]; i < s->bucket_start[b + 1]; i++)
			if (s->v[i].len <= len - q &&
			    memcmp(buf + q, s->v[i].text, s->v[i].len) == 0)
				return 1;
	}
	return 0;
}

/* scan_from - the table per byte, from offset Q on */
static size_t scan_from(const struct litscan *s, const char *buf, size_t len,
			size_t q)
{
	const unsigned char *u = (const unsigned char *)buf;

	for (; q + FP_LEN <= len; q++) {
		unsigned m = s->byte[0][u[q]];

		if (m == 0)
			continue;
		m &= s->byte[1][u[q + 1]] & s->byte[2][u[q + 2]];
		if (m != 0 && confirm(s, buf, len, q, m))
			return q;
	}
	return len;
}

size_t litscan_first_scalar(const struct litscan *s, const char *buf,
			    size_t len)
{
	return scan_from(s, buf, len, 0);
}

#ifdef HAVE_AVX2_PATH
/* table - the 16-byte nibble table T in both 128-bit lanes */
__attribute__((target("avx2")))
static inline __m256i table(const unsigned char t[16])
{
	return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t));
}

/* nibble_match - for 32 positions: the buckets that may have the byte at
 * each position (V) at the offset whose nibble tables are LO and HI */
__attribute__((target("avx2")))
static inline __m256i nibble_match(__m256i lo, __m256i hi, __m256i v)
{
	const __m256i low4 = _mm256_set1_epi8(0x0f);

	return _mm256_and_si256(
		_mm256_shuffle_epi8(lo, _mm256_and_si256(v, low4)),
		_mm256_shuffle_epi8(hi, _mm256_and_si256(
			_mm256_srli_epi16(v, 4), low4)));
}

/* next_block - from Q on (a multiple of 32 steps), the first block of 32
 * positions where some fingerprint fits, its per-position buckets in
 * BYTES; LEN if none before fewer than 34 bytes remain (*Q then says
 * where the table scan goes on). No call inside: the tables stay in
 * registers */
__attribute__((target("avx2"), noinline))
static size_t next_block(const struct litscan *s, const char *buf, size_t len,
			 size_t *q, unsigned char bytes[32], uint32_t *hits)
{
	const __m256i lo0 = table(s->lo[0]), hi0 = table(s->hi[0]),
		lo1 = table(s->lo[1]), hi1 = table(s->hi[1]),
		lo2 = table(s->lo[2]), hi2 = table(s->hi[2]);

	for (; *q + 32 + FP_LEN - 1 <= len; *q += 32) {
		const char *p = buf + *q;
		__m256i m = _mm256_and_si256(
			nibble_match(lo0, hi0, _mm256_loadu_si256((const __m256i *)p)),
			nibble_match(lo1, hi1,
				     _mm256_loadu_si256((const __m256i *)(p + 1))));

		m = _mm256_and_si256(m, nibble_match(lo2, hi2,
			_mm256_loadu_si256((const __m256i *)(p + 2))));
		*hits = ~(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
		if (*hits != 0) {
			_mm256_storeu_si256((__m256i *)bytes, m);
			return *q;
		}
	}
	return len;
}

/* scan_avx2 - blocks of 32 positions, then the table scan for the rest */
static size_t scan_avx2(const struct litscan *s, const char *buf, size_t len)
{
	size_t q = 0;
	unsigned char bytes[32];
	uint32_t hits;

	while (next_block(s, buf, len, &q, bytes, &hits) != len) {
		for (; hits != 0; hits &= hits - 1) {
			unsigned k = (unsigned)__builtin_ctz(hits);

			if (confirm(s, buf, len, q + k, bytes[k]))
				return q + k;
		}
		q += 32;
	}
	return scan_from(s, buf, len, q);
}
#endif

size_t litscan_first(const struct litscan *s, const char *buf, size_t len)
{
#ifdef HAVE_AVX2_PATH
	if (s->avx2)
		return scan_avx2(s, buf, len);
#endif
	return scan_from(s, buf, len, 0);
}
