/*
 * socketmap.h - the socketmap protocol (Postfix socketmap_table(5),
 * Sendmail, Exim): netstring requests "<name> <key>", netstring answers
 * "OK value", "NOTFOUND ", "PERM reason". Pure: no I/O, fuzzable.
 */
#ifndef POPGATE_SOCKETMAP_H
#define POPGATE_SOCKETMAP_H

#include <stddef.h>

#include "addr.h"

#define SOCKETMAP_DATA_MAX 10000	/* bytes of a request's data */
#define SOCKETMAP_DIGITS_MAX 5	/* digits of its length */
/* the longest netstring a request can be: "10000:" + data + "," */
#define SOCKETMAP_NETSTRING_MAX (SOCKETMAP_DIGITS_MAX + 2 + SOCKETMAP_DATA_MAX)

enum socketmap_result {
	SOCKETMAP_MORE = 0,	/* no complete netstring yet */
	SOCKETMAP_REQUEST = 1,	/* one netstring: *DATA, *DATALEN filled */
	SOCKETMAP_BROKEN = -1,	/* not a netstring, or too long: close */
};

/* socketmap_next - find the netstring at the start of BUF[0..LEN). On
 * SOCKETMAP_REQUEST *USED is its total size; on SOCKETMAP_BROKEN *WHY
 * says what is wrong. Leading zeros in the length are refused (djb's
 * rule), except the single digit "0" */
enum socketmap_result socketmap_next(const char *buf, size_t len,
				     size_t *used, const char **data,
				     size_t *datalen, const char **why);

enum socketmap_query {
	SOCKETMAP_LOOKUP,	/* *ADDR holds an address to look up */
	SOCKETMAP_NOTFOUND,	/* well formed, but the key is not an address */
	SOCKETMAP_PERM,		/* malformed: no space, empty map name */
};

/* socketmap_query - classify request DATA "<name> <key>". Keys that are
 * looked up: an IPv4/IPv6 address, or Sendmail's "Connect:ADDR" and
 * "Connect:IPv6:ADDR" (tags matched case-insensitively). Everything else
 * (host names, network prefixes such as "192.0.2", "[::1]") is
 * NOTFOUND. For PERM, *WHY says why */
enum socketmap_query socketmap_query(const char *data, size_t len,
				     struct addr *addr, const char **why);

/* socketmap_format - write netstring "STATUS[ TEXT]" into OUT (SIZE
 * bytes); returns its length, or 0 if it does not fit. TEXT may be NULL.
 * "NOTFOUND " keeps its trailing space as Postfix expects */
size_t socketmap_format(char *out, size_t size, const char *status,
			const char *text);

#endif
