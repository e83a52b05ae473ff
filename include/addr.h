/*
 * addr.h - client addresses as 16-byte keys (IPv4 stored v4-mapped) and
 * networks in CIDR notation. Text is parsed with inet_pton only.
 */
#ifndef POPGATE_ADDR_H
#define POPGATE_ADDR_H

#include <stddef.h>

struct addr {
	unsigned char b[16];	/* network order; IPv4 as ::ffff:a.b.c.d */
};

struct net {
	struct addr addr;	/* already masked to prefix */
	unsigned prefix;	/* 0..128, counted in the 128-bit space:
				 * an IPv4 /24 is stored as 96 + 24 */
};

#define ADDR_TEXT_MAX 64	/* enough for any address or network text */

/* addr_parse - IPv4 or IPv6 text of exactly LEN bytes (no brackets, no
 * zone); ::ffff:a.b.c.d becomes the IPv4 key. 0 on success, -1 if invalid */
int addr_parse(const char *text, size_t len, struct addr *out);
int addr_is_v4(const struct addr *a);
/* addr_format - dotted quad for IPv4, RFC 5952 text for IPv6 */
void addr_format(const struct addr *a, char *buf, size_t size);
/* addr_mask - keep the first BITS bits (128-bit space) */
void addr_mask(struct addr *a, unsigned bits);
/* addr_apply_ipv6_prefix - mask an IPv6 (not v4-mapped) key to PREFIX bits */
void addr_apply_ipv6_prefix(struct addr *a, unsigned prefix);

/* net_parse - "a.b.c.d/n", "x:y::/n" or a bare address (host route).
 * Host bits set beyond the prefix are an error. 0 ok, -1 invalid */
int net_parse(const char *text, struct net *out);
/* net_parse_loose - like net_parse, but host bits beyond the prefix are
 * masked off and reported in *HOST_BITS (1 if any were set) */
int net_parse_loose(const char *text, struct net *out, int *host_bits);
int net_contains(const struct net *n, const struct addr *a);
/* net_format - "192.0.2.0/24", "2001:db8::/32" */
void net_format(const struct net *n, char *buf, size_t size);

#endif
