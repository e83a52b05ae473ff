/*
 * fuzz_socketmap.c - libFuzzer harness for the socketmap protocol
 * (src/socketmap.c): netstring framing over arbitrary reads, request
 * classification and answer formatting, each compared with a small
 * reference. Byte 0 picks the read size, byte 1 the answer buffer size.
 * Must never read past a buffer, buffer without bound, or look up a key
 * that is not an address.
 */
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "fuzz.h"
#include "socketmap.h"

/* ref_next - the netstring rules written out plainly */
static enum socketmap_result ref_next(const char *b, size_t len,
				      size_t *total, size_t *value)
{
	size_t i = 0, v = 0;

	while (i < len && b[i] >= '0' && b[i] <= '9') {
		v = v * 10 + (size_t)(b[i] - '0');
		if (++i > SOCKETMAP_DIGITS_MAX)
			return SOCKETMAP_BROKEN;
	}
	if (i >= 2 && b[0] == '0')
		return SOCKETMAP_BROKEN;
	if (i == len)
		return SOCKETMAP_MORE;
	if (i == 0 || b[i] != ':' || v > SOCKETMAP_DATA_MAX)
		return SOCKETMAP_BROKEN;
	*value = v;
	*total = i + 1 + v + 1;
	if (len < *total)
		return SOCKETMAP_MORE;
	return b[*total - 1] == ',' ? SOCKETMAP_REQUEST : SOCKETMAP_BROKEN;
}

/* check_address_text - ADDR survives addr_format + addr_parse */
static void check_address_text(const struct addr *a)
{
	char text[ADDR_TEXT_MAX];
	struct addr back;

	addr_format(a, text, sizeof text);
	if (addr_parse(text, strlen(text), &back) != 0 || !fuzz_same_addr(a, &back))
		fuzz_bug("address text \"%s\" does not parse back", text);
}

/* key_is_address - KEY[0..LEN) (after an optional tag) parses to A */
static int key_is_address(const char *key, size_t len, const struct addr *a)
{
	struct addr b;

	return len > 0 && memchr(key, '\0', len) == NULL &&
	    addr_parse(key, len, &b) == 0 && fuzz_same_addr(a, &b);
}

/* check_query - classify DATA and compare with the reference */
static void check_query(const char *data, size_t len)
{
	char *copy = fuzz_copy(data, len);
	struct addr a;
	const char *why = NULL, *sp = memchr(data, ' ', len), *key;
	enum socketmap_query q = socketmap_query(copy, len, &a, &why);
	size_t klen;

	free(copy);
	if ((sp == NULL || sp == data) != (q == SOCKETMAP_PERM))
		fuzz_bug("socketmap PERM (%d) disagrees with the request shape", q);
	if (q == SOCKETMAP_PERM && why == NULL)
		fuzz_bug("socketmap PERM without a reason");
	if (q != SOCKETMAP_LOOKUP)
		return;
	key = sp + 1;
	klen = len - (size_t)(key - data);
	check_address_text(&a);
	if (key_is_address(key, klen, &a) ||
	    (klen > 8 && strncasecmp(key, "connect:", 8) == 0 &&
	     (key_is_address(key + 8, klen - 8, &a) ||
	      (klen > 13 && strncasecmp(key + 8, "ipv6:", 5) == 0 &&
	       key_is_address(key + 13, klen - 13, &a)))))
		return;
	fuzz_bug("socketmap looked up an address that is not the key");
}

/* check_format - answer netstring with TEXT (a C string) into SIZE bytes */
static void check_format(const char *status, const char *text, size_t size)
{
	char *out = xmalloc(size), *want;
	size_t tlen = text ? strlen(text) : 0, body = strlen(status) + 1 + tlen;
	size_t n = socketmap_format(out, size, status, text), total = 0, v = 0;
	char digits[32];
	size_t need = (size_t)snprintf(digits, sizeof digits, "%zu:", body) + body + 2;

	if (n == 0) {
		if (body <= SOCKETMAP_DATA_MAX && need <= size)
			fuzz_bug("socketmap_format refused %zu bytes in %zu", need, size);
		free(out);
		return;
	}
	want = xmalloc(body + 1);
	snprintf(want, body + 1, "%s %s", status, text ? text : "");
	if (n + 1 > size || out[n] != '\0' ||
	    ref_next(out, n, &total, &v) != SOCKETMAP_REQUEST || total != n ||
	    v != body || memcmp(out + n - 1 - body, want, body) != 0)
		fuzz_bug("socketmap_format wrote a wrong netstring");
	free(want);
	free(out);
}

/* answer - format every kind of answer for the request DATA */
static void answer(const char *data, size_t len, size_t outsize)
{
	char *text = xstrndup(data, len);	/* stops at a NUL */

	check_format("OK", text, outsize);
	check_format("NOTFOUND", NULL, outsize);
	check_format("PERM", text, outsize);
	free(text);
}

/* next - one socketmap_next call on BUF[0..LEN); 1 = call again */
static int next(const char *s, size_t *base, size_t fed, size_t outsize)
{
	size_t len = fed - *base, used = 0, datalen = 0, total = 0, v = 0;
	char *buf = fuzz_copy(s + *base, len);
	const char *data = NULL, *why = NULL;
	enum socketmap_result r = socketmap_next(buf, len, &used, &data,
						 &datalen, &why);
	enum socketmap_result want = ref_next(buf, len, &total, &v);

	if (r != want)
		fuzz_bug("socketmap_next says %d, the netstring rules %d", r, want);
	if (r == SOCKETMAP_MORE && len >= SOCKETMAP_NETSTRING_MAX)
		fuzz_bug("socketmap_next wants more after %zu bytes", len);
	if (r == SOCKETMAP_BROKEN && why == NULL)
		fuzz_bug("broken netstring without a reason");
	if (r == SOCKETMAP_REQUEST &&
	    (used != total || datalen != v || data != buf + total - 1 - v))
		fuzz_bug("socketmap_next framed %zu bytes, expected %zu", used, total);
	if (r == SOCKETMAP_REQUEST) {
		check_query(data, datalen);
		answer(data, datalen, outsize);
		*base += used;
	}
	free(buf);
	return r == SOCKETMAP_REQUEST ? 1 : r == SOCKETMAP_MORE ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 2;
	size_t n, chunk, outsize, base = 0, fed = 0;
	int more = 0;

	if (size < 2)
		return 0;
	clock_set(FUZZ_CLOCK);
	chunk = data[0] == 0 ? size : data[0];
	outsize = (size_t)data[1] * 41 + 1;	/* 1 .. 10456: both sides of the limit */
	n = size - 2;
	while (fed < n && more >= 0) {
		fed = n - fed < chunk ? n : fed + chunk;
		while ((more = next(s, &base, fed, outsize)) > 0)
			;
	}
	return 0;
}
