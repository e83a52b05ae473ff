/*
 * fuzz_http.c - libFuzzer harness for the HTTP request parser of the
 * Dovecot push listener (src/serve/http.c). Byte 0 picks how the rest
 * arrives (bytes per read), byte 1 whether an API header is required.
 * Every prefix is parsed as the worker would; the results must be
 * consistent as bytes arrive (a request found stays the same request, an
 * error stays an error), point inside the input, and respect the limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "fuzz.h"
#include "http.h"

#define APIHDR "X-API-Key: s3cret"

/* within - [P, P+N) lies inside BUF[0..LEN) */
static int within(const char *buf, size_t len, const char *p, size_t n)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

/* head_has_header - the head BUF[0..HEAD) has a line "X-API-Key:"
 * (any case) holding the key, as the reference for .authorized */
static int head_has_header(const char *buf, size_t head)
{
	const char *name = "\nX-API-Key:";
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl <= head; i++)
		if (strncasecmp(buf + i, name, nl) == 0 &&
		    memmem(buf + i + nl, head - i - nl, "s3cret", 6) != NULL)
			return 1;
	return 0;
}

static void check_request(const char *buf, size_t len, size_t used,
			  const struct http_request *r, const char *apihdr)
{
	size_t head = used - r->body_len;

	if (used == 0 || used > len)
		fuzz_bug("request of %zu bytes in %zu", used, len);
	if (r->body_len > HTTP_BODY_MAX || head > HTTP_HEAD_MAX)
		fuzz_bug("limits exceeded: head %zu body %zu", head, r->body_len);
	if (!within(buf, len, r->method, r->method_len) ||
	    !within(buf, len, r->target, r->target_len) ||
	    r->body != buf + head || r->method != buf ||
	    r->method_len == 0 || r->target_len == 0)
		fuzz_bug("request fields outside the input");
	if (memchr(buf, '\0', head) != NULL)
		fuzz_bug("NUL accepted in a request head");
	if (head < 2 || buf[head - 1] != '\n')
		fuzz_bug("head does not end with a blank line");
	if (*apihdr != '\0' && r->authorized && !head_has_header(buf, head))
		fuzz_bug("authorized without the API header");
	if (*apihdr == '\0' && !r->authorized)
		fuzz_bug("no header required, yet not authorized");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *apihdr, *why;
	const char *s = (const char *)data + 2;
	size_t n, chunk, fed = 0, first_used = 0;
	int state = HTTP_MORE;

	if (size < 2)
		return 0;
	chunk = data[0] == 0 ? size : data[0];
	apihdr = data[1] & 1 ? APIHDR : "";
	n = size - 2;
	while (fed < n) {
		struct http_request r;
		size_t used = 0;
		char *buf;
		enum http_result res;

		fed = n - fed < chunk ? n : fed + chunk;
		buf = fuzz_copy(s, fed);
		why = NULL;
		res = http_parse(buf, fed, apihdr, &used, &r, &why);
		if (res == HTTP_ERROR && why == NULL)
			fuzz_bug("HTTP_ERROR without a reason");
		if (state == HTTP_ERROR && res != HTTP_ERROR)
			fuzz_bug("an error went away with more bytes");
		if (state == HTTP_REQUEST &&
		    (res != HTTP_REQUEST || used != first_used))
			fuzz_bug("a complete request changed with more bytes");
		if (res == HTTP_REQUEST) {
			check_request(buf, fed, used, &r, apihdr);
			first_used = used;
		}
		if (res == HTTP_MORE && fed >= HTTP_HEAD_MAX + HTTP_BODY_MAX)
			fuzz_bug("still waiting after %zu bytes", fed);
		state = res;
		free(buf);
	}
	return 0;
}
