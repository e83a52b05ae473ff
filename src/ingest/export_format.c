/*
 * export_format.c - one allow-list entry as the line(s) an MTA reads as
 * it is: Postfix check_client_access (cidr: table), Sendmail access_db
 * (Connect: keys, IPv6 in each form sendmail looks up), Exim
 * net-iplsearch (IPv6 keys quoted) and ucspi-tcp tcprules. It must never
 * write a line the MTA's own parser rejects: an entry a format cannot
 * express is left out (fewer relays, never a broken map).
 */
#include <stdio.h>
#include <string.h>

#include "export.h"

#define GROUPS 8
#define TCPRULES_ALLOW "allow,RELAYCLIENT=\"\""
#define ENUM_BITS_MAX 15	/* ipv6_prefix % 16: at most 2^15 keys */

static void groups_of(const struct addr *a, unsigned g[GROUPS])
{
	int i;

	for (i = 0; i < GROUPS; i++)
		g[i] = (unsigned)(a->b[2 * i] << 8 | a->b[2 * i + 1]);
}

/* groups_text - "2001:db8:0:0": the first N groups, none left out (the
 * IPV6_FULL form of sendmail); TRAIL appends a ':' */
static void groups_text(const unsigned g[GROUPS], int n, int trail,
			char *buf, size_t size)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, i ? ":%x" : "%x", g[i]);
	if (trail && o + 1 < size)
		memcpy(buf + o, ":", 2);
}

/* ucspi_text - the IPv6 patch of ucspi-tcp 0.88 (Debian's
 * ucspi-tcp-ipv6): the longest run of zero groups, even a single one,
 * becomes "::" (the first of equal runs) */
static void ucspi_text(const unsigned g[GROUPS], char *buf, size_t size)
{
	int i, run = 0, best = 0, best_at = -1;
	size_t o = 0;

	for (i = 0; i < GROUPS; i++) {
		run = g[i] == 0 ? run + 1 : 0;
		if (run > best) {
			best = run;
			best_at = i - run + 1;
		}
	}
	buf[0] = '\0';
	for (i = 0; i < GROUPS && o < size; i++) {
		if (i == best_at) {
			o += (size_t)snprintf(buf + o, size - o, i ? ":" : "::");
			i += best - 1;
			continue;
		}
		o += (size_t)snprintf(buf + o, size - o, i < GROUPS - 1 ? "%x:" : "%x",
				      g[i]);
	}
}

/* each_prefix_key - call FN for each value of the group that holds the
 * end of the prefix: a prefix that is not a multiple of 16 becomes the
 * 2^(16 - prefix % 16) keys of whole groups that sendmail and tcpserver
 * look up */
typedef size_t key_fn(const unsigned g[GROUPS], int n,
		      const struct export_style *st, export_emit_fn *emit,
		      void *ctx);

static size_t each_prefix_key(const struct export_style *st,
			      const struct addr *a, key_fn *fn,
			      export_emit_fn *emit, void *ctx)
{
	unsigned g[GROUPS], bits, base, i;
	int n = (int)(st->ipv6_prefix + 15) / 16;
	size_t lines = 0;

	groups_of(a, g);
	bits = (unsigned)n * 16 - st->ipv6_prefix;
	if (bits > ENUM_BITS_MAX)
		return 0;
	base = g[n - 1] & ~((1u << bits) - 1);
	for (i = 0; i < (1u << bits); i++) {
		g[n - 1] = base | i;
		lines += fn(g, n, st, emit, ctx);
	}
	return lines;
}

static size_t emit_line(export_emit_fn *emit, void *ctx, const char *fmt,
			const char *key, const char *value)
{
	char line[EXPORT_LINE_MAX];

	snprintf(line, sizeof line, fmt, key, value);
	emit(line, ctx);
	return 1;
}

/* ---- Sendmail: access_db, looked up as Connect:IPv6:<8 groups> and then
 * with the last group removed, one at a time ---- */

static size_t sendmail_key(const unsigned g[GROUPS], int n,
			   const struct export_style *st,
			   export_emit_fn *emit, void *ctx)
{
	char text[ADDR_TEXT_MAX];

	groups_text(g, n, 0, text, sizeof text);
	return emit_line(emit, ctx, "Connect:IPv6:%s %s\n", text, st->value);
}

/* ---- ucspi-tcp: tcprules, looked up as the text tcpserver prints and
 * then cut after each '.' or ':' from the right ---- */

static size_t tcprules_key(const unsigned g[GROUPS], int n,
			   const struct export_style *st,
			   export_emit_fn *emit, void *ctx)
{
	char text[ADDR_TEXT_MAX];
	int i;

	(void)st;
	for (i = 0; i < n; i++)
		if (g[i] == 0)	/* "::" may swallow it: no sure prefix text */
			return 0;
	groups_text(g, n, 1, text, sizeof text);
	return emit_line(emit, ctx, "%s:%s\n", text, TCPRULES_ALLOW);
}

/* ---- Sendmail and tcprules: keys in each text form the MTA may use ---- */

typedef void text6_fn(const unsigned g[GROUPS], char *buf, size_t size);

static void full_text(const unsigned g[GROUPS], char *buf, size_t size)
{
	groups_text(g, GROUPS, 0, buf, size);
}

struct key_style {
	const char *v4, *v6;	/* line formats: key, value */
	const char *value;	/* NULL = the configured value */
	key_fn *prefix_key;	/* a network's key(s) */
	text6_fn *own_text;	/* the MTA's own IPv6 text */
};

static const struct key_style sendmail_keys = {
	"Connect:%s %s\n", "Connect:IPv6:%s %s\n", NULL, sendmail_key, full_text
};
static const struct key_style tcprules_keys = {
	"%s:%s\n", "%s:%s\n", TCPRULES_ALLOW, tcprules_key, ucspi_text
};

/* keyed_entry - an IPv6 address in the MTA's own form, then in RFC 5952
 * form when that differs (another build of the same MTA) */
static size_t keyed_entry(const struct export_style *st,
			  const struct key_style *ks, const struct addr *a,
			  export_emit_fn *emit, void *ctx)
{
	const char *value = ks->value ? ks->value : st->value;
	char text[ADDR_TEXT_MAX], own[ADDR_TEXT_MAX];
	unsigned g[GROUPS];
	size_t lines;

	addr_format(a, text, sizeof text);
	if (addr_is_v4(a))
		return emit_line(emit, ctx, ks->v4, text, value);
	if (st->ipv6_prefix < 128)
		return each_prefix_key(st, a, ks->prefix_key, emit, ctx);
	groups_of(a, g);
	ks->own_text(g, own, sizeof own);
	lines = emit_line(emit, ctx, ks->v6, own, value);
	if (strcmp(own, text) != 0)
		lines += emit_line(emit, ctx, ks->v6, text, value);
	return lines;
}

/* ---- Postfix (cidr: table) and Exim (net-iplsearch) ---- */

static size_t cidr_entry(const struct export_style *st, const struct addr *a,
			 export_emit_fn *emit, void *ctx)
{
	char text[ADDR_TEXT_MAX];
	int quote = st->format == EXPORT_EXIM && !addr_is_v4(a);

	if (!addr_is_v4(a) && st->ipv6_prefix < 128) {
		struct net n = { *a, st->ipv6_prefix };

		net_format(&n, text, sizeof text);
	} else {
		addr_format(a, text, sizeof text);
	}
	return emit_line(emit, ctx, quote ? "\"%s\" %s\n" : "%s %s\n", text,
			 st->value);
}

size_t export_entry(const struct export_style *st, const struct addr *a,
		    export_emit_fn *emit, void *ctx)
{
	switch (st->format) {
	case EXPORT_SENDMAIL:
		return keyed_entry(st, &sendmail_keys, a, emit, ctx);
	case EXPORT_TCPRULES:
		if (!addr_is_v4(a))
			return 0;	/* ucspi-tcp 0.88 fails on any IPv6 line */
		/* fall through */
	case EXPORT_TCPRULES_IPV6:
		return keyed_entry(st, &tcprules_keys, a, emit, ctx);
	case EXPORT_POSTFIX:
	case EXPORT_EXIM:
		break;
	}
	return cidr_entry(st, a, emit, ctx);
}
