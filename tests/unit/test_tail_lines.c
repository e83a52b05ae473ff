/*
 * test_tail_lines.c - the run scan that takes the lines before the next
 * prefilter hit at once: on random spans (newlines, NUL bytes, lines
 * just under and over TAIL_LINE_MAX, every length and alignment) the
 * SIMD and the plain scan agree with a byte-by-byte reference.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tail_int.h"

/* reference - the contract, byte by byte */
static int reference(const char *p, size_t n, struct tail_run *r)
{
	size_t line = 0;
	int ok = 1;

	r->lines = 0;
	r->last = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\0')
			ok = 0;
		if (p[i] == '\n') {
			if (i - line > TAIL_LINE_MAX)
				ok = 0;
			r->lines++;
			r->last = i;
			line = i + 1;
		}
	}
	return ok && n - line <= TAIL_LINE_MAX;
}

static void expect_same(const char *p, size_t n)
{
	struct tail_run want, simd, plain;
	int ok = reference(p, n, &want);

	assert_int_equal(tail_run_scan(p, n, &simd), ok);
	assert_int_equal(tail_run_scan_scalar(p, n, &plain), ok);
	if (!ok)
		return;		/* counts are not used then */
	assert_int_equal(simd.lines, want.lines);
	assert_int_equal(plain.lines, want.lines);
	if (want.lines > 0) {
		assert_int_equal(simd.last, want.last);
		assert_int_equal(plain.last, want.last);
	}
}

/* fill - N bytes of text: lines of about MEAN bytes, now and then a NUL
 * byte (1 in NUL_ODDS spans) or a line of TAIL_LINE_MAX +- 2 bytes */
static void fill(char *p, size_t n, size_t mean, int nul_odds)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++) {
		if (left == 0) {
			left = rand() % 50 == 0 ? TAIL_LINE_MAX - 2 +
				(size_t)(rand() % 5) : 1 + (size_t)rand() % (2 * mean);
			p[i] = '\n';
			continue;
		}
		left--;
		p[i] = (char)('a' + rand() % 26);
	}
	if (nul_odds > 0 && rand() % nul_odds == 0 && n > 0)
		p[(size_t)rand() % n] = '\0';
}

static void test_random_spans(void **state)
{
	enum { SPAN = 3 * TAIL_LINE_MAX };
	char *buf = malloc(SPAN + 64);

	(void)state;
	srand(1796);
	for (int round = 0; round < 1500; round++) {
		size_t n = (size_t)rand() % SPAN, at = (size_t)rand() % 64;
		size_t mean = round % 3 == 0 ? 4 : round % 3 == 1 ? 140 : 3000;

		fill(buf + at, n, mean, 4);
		expect_same(buf + at, n);
	}
	free(buf);
}

/* lines of exactly TAIL_LINE_MAX and one more, at every block offset */
static void test_line_max_edges(void **state)
{
	enum { N = 2 * TAIL_LINE_MAX + 200 };
	char *buf = malloc(N);

	(void)state;
	for (size_t extra = 0; extra < 2; extra++)
		for (size_t at = 0; at < 130; at++) {
			memset(buf, 'x', N);
			buf[at] = '\n';
			buf[at + 1 + TAIL_LINE_MAX + extra] = '\n';
			expect_same(buf, at + 2 + TAIL_LINE_MAX + extra);
			expect_same(buf, at + 1 + TAIL_LINE_MAX + extra);
			expect_same(buf, at + TAIL_LINE_MAX + extra);
		}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_spans),
		cmocka_unit_test(test_line_max_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
