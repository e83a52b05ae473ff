/*
 * fuzz_pattern.c - libFuzzer harness for custom patterns (the `pattern`
 * key) in the matcher: the input's first line is the PCRE2 pattern, the
 * other lines are log lines. A pattern the config accepts must build a
 * matcher; every match must pass the checks of fuzz_match.h (address is
 * text of the input, printable user/service, stamp inside the line),
 * whatever groups the pattern leaves unset. Must never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz.h"
#include "fuzz_match.h"
#include "match.h"

#define NAME "fuzz.conf"
#define HEAD "log_formats = tpop3d\npattern = "	/* one small built-in rule */

/* config_with - a config whose only custom pattern is PATTERN[0..N) */
static int config_with(struct config *cfg, const char *pattern, size_t n)
{
	char err[CONFIG_ERR_MAX];
	size_t len = sizeof HEAD - 1 + n + 1;
	char *text = xmalloc(len);
	int rc;

	memcpy(text, HEAD, sizeof HEAD - 1);
	memcpy(text + sizeof HEAD - 1, pattern, n);
	text[len - 1] = '\n';
	rc = config_parse(cfg, NAME, text, len, err, sizeof err);
	free(text);
	return rc;
}

/* feed_lines - every line of S[0..N) through M, each result checked */
static void feed_lines(struct matcher *m, const char *s, size_t n)
{
	struct match_result r;
	size_t pos, end;
	unsigned i = 0;

	for (pos = 0; pos < n; pos = end + 1) {
		char *line;

		end = fuzz_line_end(s, n, pos);
		line = fuzz_copy(s + pos, end - pos);
		memset(&r, 0, sizeof r);
		if (matcher_feed(m, 1, line, end - pos, FUZZ_CLOCK + i++, &r))
			fuzz_check_match(line, end - pos, s, n, &r);
		free(line);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t plen = nl ? (size_t)(nl - s) : size;
	struct config cfg;
	struct matcher *m;
	char err[CONFIG_ERR_MAX];

	clock_set(FUZZ_CLOCK);
	if (config_with(&cfg, s, plen) != 0)
		return 0;	/* refused patterns: fuzz_config's business */
	m = matcher_new(&cfg, err, sizeof err);
	if (m == NULL)
		fuzz_bug("config accepted a pattern matcher_new refuses: %s", err);
	if (nl != NULL)
		feed_lines(m, nl + 1, size - plen - 1);
	matcher_free(m);
	config_free(&cfg);
	return 0;
}
