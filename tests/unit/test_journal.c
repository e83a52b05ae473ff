/*
 * test_journal.c - the per-file source numbers the tailer gives
 * matcher_feed (the tail_line_fn's source argument; the journal's lines
 * come as source 0), on real files with real inotify. The rules the journal shares with the
 * files are the sink's (test_sink.c). Waits for outcomes, never for times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "tail_fixture.h"

#include "journal.h"
#include "tail.h"
#include "util.h"

/* ---- the source a line comes with ---- */

struct seen {
	char line[64][32];
	unsigned source[64];
	size_t n;
	struct tailer *t;
};

static int note_line(const char *line, size_t len, int live,
		     unsigned source, void *ctx)
{
	struct seen *s = ctx;

	(void)live;
	assert_true(s->n < 64 && len < 32);
	memcpy(s->line[s->n], line, len);
	s->line[s->n][len] = '\0';
	s->source[s->n++] = source;
	return 0;
}

/* source_of - the source LINE came with, waiting for it; 0 if never */
static unsigned source_of(struct seen *s, const char *line)
{
	long long end = clock_mono_ms() + DEADLINE_MS;

	for (;;) {
		while (tail_deliver(s->t, note_line, s))
			;
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->line[i], line) == 0)
				return s->source[i];
		if (clock_mono_ms() >= end)
			return 0;
		tail_wait(s->t, 1);
	}
}

static void write_file(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_tail_source(void **state)
{
	struct tail_options o = { 60, 1 };
	char dir[] = "/tmp/popgate-test-journal-XXXXXX", a[128], b[128],
	     a1[128];
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof a, "%s/a.log", dir);
	snprintf(b, sizeof b, "%s/b.log", dir);
	snprintf(a1, sizeof a1, "%s/a.log.1", dir);
	write_file(a, "a1\n", "w");
	write_file(b, "b1\n", "w");
	s.t = tail_new(&o);
	tail_add(s.t, a);
	tail_add(s.t, b);
	tail_start(s.t);
	assert_int_equal(source_of(&s, "a1"), 1);
	assert_int_equal(source_of(&s, "b1"), 2);
	/* rotation: the draining old file keeps its path's number */
	assert_int_equal(rename(a, a1), 0);
	write_file(a, "a3\n", "w");
	write_file(a1, "a2\n", "a");
	assert_int_equal(source_of(&s, "a3"), 1);
	assert_int_equal(source_of(&s, "a2"), 1);
	write_file(b, "b2\n", "a");
	assert_int_equal(source_of(&s, "b2"), 2);
	tail_free(s.t);
	unlink(a);
	unlink(a1);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
