/*
 * socketmap.c - netstring framing and request classification for the
 * socketmap protocol. Pure: no I/O. Must never read past the buffer,
 * accept a length over SOCKETMAP_DATA_MAX, or turn anything but a plain
 * address key into a lookup.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "socketmap.h"

static enum socketmap_result broken(const char **why, const char *text)
{
	*why = text;
	return SOCKETMAP_BROKEN;
}

/* parse_length - the digits before ':'; MORE when they may continue */
static enum socketmap_result parse_length(const char *buf, size_t len,
					  size_t *value, size_t *digits,
					  const char **why)
{
	size_t i, v = 0;

	for (i = 0; i < len && buf[i] != ':'; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return broken(why, "non-digit in netstring length");
		if (i == SOCKETMAP_DIGITS_MAX)
			return broken(why, "netstring length has too many digits");
		if (i == 1 && buf[0] == '0')
			return broken(why, "leading zero in netstring length");
		v = v * 10 + (size_t)(buf[i] - '0');
	}
	if (i == len)
		return SOCKETMAP_MORE;
	if (i == 0)
		return broken(why, "empty netstring length");
	if (v > SOCKETMAP_DATA_MAX)
		return broken(why, "netstring too long");
	*value = v;
	*digits = i;
	return SOCKETMAP_REQUEST;
}

enum socketmap_result socketmap_next(const char *buf, size_t len,
				     size_t *used, const char **data,
				     size_t *datalen, const char **why)
{
	size_t n = 0, digits = 0, total;
	enum socketmap_result r = parse_length(buf, len, &n, &digits, why);

	if (r != SOCKETMAP_REQUEST)
		return r;
	total = digits + 1 + n + 1;
	if (len < total)
		return SOCKETMAP_MORE;
	if (buf[total - 1] != ',')
		return broken(why, "netstring without ','");
	*data = buf + digits + 1;
	*datalen = n;
	*used = total;
	return SOCKETMAP_REQUEST;
}

/* strip_tag - skip TAG at *KEY (case-insensitive) if it is there */
static int strip_tag(const char **key, size_t *len, const char *tag)
{
	size_t n = strlen(tag);

	if (*len < n || strncasecmp(*key, tag, n) != 0)
		return 0;
	*key += n;
	*len -= n;
	return 1;
}

enum socketmap_query socketmap_query(const char *data, size_t len,
				     struct addr *addr, const char **why)
{
	const char *sp = memchr(data, ' ', len);
	const char *key;
	size_t keylen;

	if (sp == NULL) {
		*why = "request without a space";
		return SOCKETMAP_PERM;
	}
	if (sp == data) {
		*why = "empty map name";
		return SOCKETMAP_PERM;
	}
	key = sp + 1;
	keylen = len - (size_t)(key - data);
	if (strip_tag(&key, &keylen, "Connect:"))
		strip_tag(&key, &keylen, "IPv6:");
	if (keylen == 0 || memchr(key, '\0', keylen) != NULL ||
	    addr_parse(key, keylen, addr) != 0)
		return SOCKETMAP_NOTFOUND;
	return SOCKETMAP_LOOKUP;
}

size_t socketmap_format(char *out, size_t size, const char *status,
			const char *text)
{
	size_t slen = strlen(status), tlen = text ? strlen(text) : 0;
	size_t body = slen + 1 + tlen;
	int prefix;

	if (body > SOCKETMAP_DATA_MAX)
		return 0;
	prefix = snprintf(out, size, "%zu:", body);
	if (prefix < 0 || (size_t)prefix + body + 1 >= size)
		return 0;
	memcpy(out + prefix, status, slen);
	out[prefix + slen] = ' ';
	if (tlen)
		memcpy(out + prefix + slen + 1, text, tlen);
	out[prefix + body] = ',';
	out[prefix + body + 1] = '\0';
	return (size_t)prefix + body + 1;
}
