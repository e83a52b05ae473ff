/*
 * fuzz_match.c - libFuzzer harness for the log line matcher (src/match.c,
 * src/formats.c): every built-in format ("auto") plus two custom patterns.
 * Raw mode: the input's lines are fed in order (two-line logins and
 * logouts tie lines together) and a result's address must be text of the
 * input. Template mode (byte 0 = 0x01): fuzz bytes become
 * the user-controlled field of a real login line, which must never change
 * the address the line authorizes. Must never crash, leak or inject.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz.h"
#include "fuzz_match.h"
#include "match.h"

#define TEMPLATE_MODE 0x01

static const char custom_patterns[] =
	"pattern = ^\\S+ \\S+ custom\\[\\d+\\]: ok (?<user>\\S+) from (?<ip>\\S+)\n"
	"pattern = ^(?<time>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) \\S+ "
	"custom2: (?<ip>[0-9a-fA-F.:]+) user=(?<user>.*)$\n";

/* a real login line; "%U" is where the user-controlled text goes */
struct template {
	const char *line;
	const char *addr;	/* the only address it may authorize; NULL = none */
};

static const struct template templates[] = {
	{ "Nov 23 11:04:39 vm dovecot: pop3-login: Login: user=<%U>, method=PLAIN, "
	  "rip=192.0.2.23, lip=127.0.0.1, mpid=22675, session=<t5Zgj+9gxYV/AAAX>",
	  "192.0.2.23" },
	{ "2026-11-23T11:04:39.573285+00:00 vm dovecot: imap-login: Login: "
	  "user=<%U>, method=PLAIN, rip=2001:db8::17, lip=::1, mpid=22749, TLS, "
	  "session=<QHRmj+9gW5t/AAAY>", "2001:db8::17" },
	{ "Nov 23 11:03:39 pop3-login: Info: Login: user=<%U>, method=PLAIN, "
	  "rip=192.0.2.23, lip=127.0.0.1, mpid=20071, session=<4VTYi+9gPeh/AAAX>",
	  "192.0.2.23" },
	{ "Nov 23 11:04:39 vm dovecot: imap-login: Login: user=<alice>, method=%U, "
	  "rip=192.0.2.23, lip=127.0.0.1, mpid=22675, session=<t5Zgj+9gxYV/AAAX>",
	  "192.0.2.23" },
	{ "Nov 23 11:06:24 vm pop3d: LOGIN, user=%U, ip=[::ffff:192.0.2.23], "
	  "port=[40135]", "192.0.2.23" },
	{ "2026-11-23T11:06:24.258432+00:00 vm imapd-ssl: LOGIN, user=%U, "
	  "ip=[2001:db8::17], port=[40135], protocol=IMAP", "2001:db8::17" },
	{ "Nov 23 11:06:24 vm cyrus/imap[4321]: login: client.example.org "
	  "[192.0.2.23] %U plaintext User logged in SESSIONID=<x-1-2>",
	  "192.0.2.23" },
	{ "Nov 23 11:06:24 vm imapd[4321]: Login user=%U host=client.example.org "
	  "[192.0.2.23]", "192.0.2.23" },
	{ "2026-11-23 11:06:24,123 INFO  [Pop3SSLServer-7] [name=%U;"
	  "oip=192.0.2.23;ip=10.0.0.5;] pop - user %U authenticated, "
	  "mechanism=PLAIN", "192.0.2.23" },
	{ "Nov 23 11:04:39 vm dovecot: pop3(%U)<22675><t5Zgj+9gxYV/AAAX>: "
	  "Disconnected: Logged out top=0/0, retr=0/0, del=0/1, size=162", NULL },
};
#define N_TEMPLATES (sizeof templates / sizeof templates[0])

static struct matcher *matcher;
static unsigned source;		/* a new one per input: no state is shared */

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX];

	(void)argc;
	(void)argv;
	clock_set(FUZZ_CLOCK);
	if (config_parse(&cfg, "fuzz.conf", custom_patterns,
			 sizeof custom_patterns - 1, err, sizeof err) != 0)
		fuzz_bug("config: %s", err);
	matcher = matcher_new(&cfg, err, sizeof err);
	if (matcher == NULL)
		fuzz_bug("matcher_new: %s", err);
	config_free(&cfg);
	return 0;
}

/* match_line - feed an exact-size copy of LINE, the Nth of INPUT */
static int match_line(const char *line, size_t len, const char *input,
		      size_t size, unsigned n, struct match_result *r)
{
	char *copy = fuzz_copy(line, len);
	int hit;

	memset(r, 0, sizeof *r);
	hit = matcher_feed(matcher, source, copy, len, FUZZ_CLOCK + n, r);
	if (hit)
		fuzz_check_match(copy, len, input, size, r);
	free(copy);
	return hit;
}

/* fill - TEMPLATE with every %U replaced by USER[0..ULEN) */
static char *fill(const char *template, const char *user, size_t ulen,
		  size_t *len)
{
	size_t cap = strlen(template) + 4 * ulen + 1, n = 0;
	char *out = xmalloc(cap);
	const char *t;

	for (t = template; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 'U') {
			memcpy(out + n, user, ulen);
			n += ulen;
			t++;
		} else {
			out[n++] = *t;
		}
	}
	*len = n;
	return out;
}

static void template_mode(const char *s, size_t n)
{
	const struct template *t;
	struct match_result r;
	struct addr want;
	char text[ADDR_TEXT_MAX];
	size_t len;
	char *line;

	if (n < 1)
		return;
	t = &templates[(unsigned char)s[0] % N_TEMPLATES];
	s++;
	n--;
	if (memchr(s, '\n', n) != NULL)
		n = (size_t)((const char *)memchr(s, '\n', n) - s);
	line = fill(t->line, s, n, &len);
	if (match_line(line, len, line, len, 0, &r) && r.kind == MATCH_LOGIN &&
	    (t->addr == NULL || addr_parse(t->addr, strlen(t->addr), &want) != 0 ||
	     !fuzz_same_addr(&r.addr, &want))) {
		addr_format(&r.addr, text, sizeof text);
		fuzz_bug("user text made format %s authorize %s instead of %s",
			 r.format, text, t->addr ? t->addr : "nothing");
	}
	free(line);
}

static void raw_mode(const char *s, size_t n)
{
	struct match_result r;
	size_t pos, end;
	unsigned i = 0;

	for (pos = 0; pos < n; pos = end + 1) {
		end = fuzz_line_end(s, n, pos);
		match_line(s + pos, end - pos, s, n, i++, &r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	clock_set(FUZZ_CLOCK);
	source++;
	if (size > 0 && data[0] == TEMPLATE_MODE)
		template_mode(s + 1, size - 1);
	else
		raw_mode(s, size);
	return 0;
}
