/*
 * fuzz_trust.c - libFuzzer harness for the trust property of the built-in
 * formats (tests/unit/hostile_lines.h): fuzz bytes become the client's
 * text in a pair of real server lines (success or failure, or the first
 * and second line of a two-line login), padded and cut where a syslog
 * daemon cuts. A line may record only the address its server wrote for
 * the client (a failure line: none); session keys and aliases are text
 * of the line. Must never crash, leak or inject.
 *
 * Input: byte 0 the first template (or a two-line pair), byte 1 the cut
 * (none, or 1/2/4/8 KiB: the padding moves the text across it), bytes 2-3
 * the padding before the text (length, and ' ' or 'x'), byte 4 the second
 * template, then the first line's text, '\n', the second's.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz.h"
#include "fuzz_match.h"
#include "../unit/hostile_lines.h"
#include "match.h"

#define HEAD_BYTES 5
#define PAD_MAX 16384

static struct matcher *matcher;
static unsigned source;		/* a new one per input: no state is shared */
static const size_t cuts[] = { 1024, 2048, 4096, 8192 };

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[CONFIG_ERR_MAX];

	(void)argc;
	(void)argv;
	clock_set(FUZZ_CLOCK);
	matcher = hostile_matcher(err, sizeof err);
	if (matcher == NULL)
		fuzz_bug("matcher_new: %s", err);
	return 0;
}

struct shape {
	unsigned cut;		/* 0 none, 1-4 cuts[] */
	size_t pad;
	char padc;
};

/* feed - TEMPLATE with TEXT in its client fields, shaped by S; a login
 * must be WANT (NULL: none) */
static void feed(const char *template, const char *text, size_t tlen,
		 const struct shape *s, const char *want)
{
	char *payload = xmalloc(tlen + 1), *line, shown[ADDR_TEXT_MAX];
	size_t len, end;
	struct match_result r;
	struct addr a;

	memcpy(payload, text, tlen);
	payload[tlen] = '\0';	/* fill() takes text up to a NUL */
	line = fill(template, s->pad, s->padc, payload, &len, &end);
	if (s->cut >= 1 && s->cut <= 4 && len > cuts[s->cut - 1])
		len = cuts[s->cut - 1];
	memset(&r, 0, sizeof r);
	if (matcher_feed(matcher, source, line, len, FUZZ_CLOCK, &r))
		fuzz_check_session(line, len, &r);	/* the line's text */
	else
		r.kind = MATCH_LOGOUT;	/* nothing recorded */
	if (r.kind == MATCH_LOGIN &&
	    (want == NULL || addr_parse(want, strlen(want), &a) != 0 ||
	     !fuzz_same_addr(&r.addr, &a))) {
		addr_format(&r.addr, shown, sizeof shown);
		fuzz_bug("format %s recorded %s (want %s) from %zu bytes: %.200s",
			 r.format, shown, want ? want : "nothing", len, line);
	}
	free(line);
	free(payload);
}

/* first - the first line: a template, or a pair's opening line, then the
 * pair's login or failure line (byte 4 chooses) with the same text */
static void first(unsigned pick, unsigned second, const char *text,
		  size_t tlen, const struct shape *s)
{
	static const struct shape whole = { 0, 0, ' ' };

	if (pick < N_TEMPLATES) {
		feed(templates[pick].line, text, tlen, s, templates[pick].ip);
		return;
	}
	const struct pair *p = &pairs[(pick - N_TEMPLATES) % N_PAIRS];
	feed(p->open, "", 0, &whole, NULL);
	if (second & 1) {	/* a failure: the login after it is stale */
		feed(p->fail, text, tlen, s, NULL);
		feed(p->login, text, tlen, s, NULL);
	} else {
		feed(p->login, text, tlen, s, REAL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + HEAD_BYTES, *nl;
	size_t n, n1;
	struct shape shape;

	if (size < HEAD_BYTES)
		return 0;
	clock_set(FUZZ_CLOCK);
	source++;
	n = size - HEAD_BYTES;
	nl = memchr(s, '\n', n);
	n1 = nl ? (size_t)(nl - s) : n;
	shape.cut = data[1] % 5;
	shape.pad = ((size_t)(data[2] & 0x7f) << 8 | data[3]) % PAD_MAX;
	shape.padc = (data[2] & 0x80) ? 'x' : ' ';
	first(data[0] % (N_TEMPLATES + N_PAIRS), data[4], s, n1, &shape);
	if (nl != NULL) {	/* the second line of the pair, unpadded */
		struct shape plain = { data[1] % 5, 0, ' ' };
		unsigned t = data[4] % N_TEMPLATES;

		feed(templates[t].line, nl + 1, n - n1 - 1, &plain,
		     templates[t].ip);
	}
	return 0;
}
