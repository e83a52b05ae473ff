/*
 * addr.c - client addresses as 16-byte keys and networks in CIDR form.
 * Text is parsed with inet_pton() only (never a resolver, never the lax
 * inet_aton forms); IPv4 and ::ffff:a.b.c.d give the same key. Must never
 * accept trailing bytes, an empty text, or a network with host bits set.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "util.h"

#define V4_MAPPED_BITS 96

static const unsigned char v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int addr_parse(const char *text, size_t len, struct addr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char v4[4];

	if (len == 0 || len >= sizeof buf || memchr(text, '\0', len) != NULL)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (memchr(buf, ':', len) != NULL)
		return inet_pton(AF_INET6, buf, out->b) == 1 ? 0 : -1;
	if (inet_pton(AF_INET, buf, v4) != 1)
		return -1;
	memcpy(out->b, v4_mapped_prefix, sizeof v4_mapped_prefix);
	memcpy(out->b + 12, v4, sizeof v4);
	return 0;
}

int addr_is_v4(const struct addr *a)
{
	return memcmp(a->b, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0;
}

/* longest_zero_run - RFC 5952: the first longest run of >= 2 zero words */
static void longest_zero_run(const unsigned words[8], int *start, int *len)
{
	int i, run = 0;

	*start = -1;
	*len = 0;
	for (i = 0; i < 8; i++) {
		run = words[i] == 0 ? run + 1 : 0;
		if (run > *len && run >= 2) {
			*len = run;
			*start = i - run + 1;
		}
	}
}

static void format_v6(const unsigned char b[16], char *buf, size_t size)
{
	unsigned words[8];
	char text[ADDR_TEXT_MAX];
	size_t o = 0;
	int i, zstart, zlen;

	for (i = 0; i < 8; i++)
		words[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	longest_zero_run(words, &zstart, &zlen);
	for (i = 0; i < 8; i++) {
		if (i == zstart) {
			o += (size_t)snprintf(text + o, sizeof text - o, "::");
			i += zlen - 1;
			continue;
		}
		o += (size_t)snprintf(text + o, sizeof text - o, "%s%x",
				      o > 0 && text[o - 1] != ':' ? ":" : "",
				      words[i]);
	}
	copy_string(buf, text, size);
}

void addr_format(const struct addr *a, char *buf, size_t size)
{
	char text[ADDR_TEXT_MAX];

	if (addr_is_v4(a)) {
		snprintf(text, sizeof text, "%u.%u.%u.%u", a->b[12], a->b[13],
			 a->b[14], a->b[15]);
		copy_string(buf, text, size);
	} else {
		format_v6(a->b, buf, size);
	}
}

void addr_mask(struct addr *a, unsigned bits)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (bits >= 8 * (i + 1))
			continue;
		if (bits <= 8 * i)
			a->b[i] = 0;
		else
			a->b[i] &= (unsigned char)(0xff << (8 * (i + 1) - bits));
	}
}

void addr_apply_ipv6_prefix(struct addr *a, unsigned prefix)
{
	if (!addr_is_v4(a))
		addr_mask(a, prefix);
}

/* parse_prefix - 1 to 3 decimal digits, nothing else, at most MAX */
static int parse_prefix(const char *text, unsigned max, unsigned *out)
{
	size_t len = strlen(text);
	unsigned value = 0;
	size_t i;

	if (len == 0 || len > 3)
		return -1;
	for (i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value > max)
		return -1;
	*out = value;
	return 0;
}

int net_parse_loose(const char *text, struct net *out, int *host_bits)
{
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	int is_v6 = memchr(text, ':', addr_len) != NULL;
	unsigned prefix = 128;
	struct addr masked;

	if (addr_parse(text, addr_len, &out->addr) != 0)
		return -1;
	if (slash != NULL) {
		if (parse_prefix(slash + 1, is_v6 ? 128 : 32, &prefix) != 0)
			return -1;
		if (!is_v6)
			prefix += V4_MAPPED_BITS;
	}
	masked = out->addr;
	addr_mask(&masked, prefix);
	*host_bits = memcmp(&masked, &out->addr, sizeof masked) != 0;
	out->addr = masked;
	out->prefix = prefix;
	return 0;
}

int net_parse(const char *text, struct net *out)
{
	struct net n;
	int host_bits;

	if (net_parse_loose(text, &n, &host_bits) != 0 || host_bits)
		return -1;
	*out = n;
	return 0;
}

int net_contains(const struct net *n, const struct addr *a)
{
	struct addr masked = *a;

	addr_mask(&masked, n->prefix);
	return memcmp(&masked, &n->addr, sizeof masked) == 0;
}

void net_format(const struct net *n, char *buf, size_t size)
{
	char text[ADDR_TEXT_MAX];
	int v4 = addr_is_v4(&n->addr) && n->prefix >= V4_MAPPED_BITS;

	addr_format(&n->addr, text, sizeof text);
	snprintf(buf, size, "%s/%u", text,
		 v4 ? n->prefix - V4_MAPPED_BITS : n->prefix);
}
