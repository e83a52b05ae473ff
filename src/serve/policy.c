/*
 * policy.c - Postfix policy delegation request parser: consumes complete
 * "name=value\n" lines and reports each finished request (empty line).
 * Pure: no I/O, no allocation. Must never accept a NUL byte, a line
 * without '=', a line over 4 KiB or a request over 64 KiB.
 */
#include <string.h>

#include "policy.h"

static const char client_address_name[] = "client_address";

void policy_init(struct policy_parser *p)
{
	memset(p, 0, sizeof *p);
}

static enum policy_result fail(struct policy_parser *p, const char *why,
			       size_t line)
{
	p->error = why;
	p->error_line = line;
	return POLICY_ERROR;
}

/* check_partial - the bytes after the last complete line may already be
 * too long or carry a NUL: fail now instead of buffering more */
static enum policy_result check_partial(struct policy_parser *p,
					const char *rest, size_t n, size_t line)
{
	if (memchr(rest, '\0', n) != NULL)
		return fail(p, "NUL byte", line);
	if (n > POLICY_LINE_MAX)
		return fail(p, "line too long", line);
	if (p->request_len + n > POLICY_REQUEST_MAX)
		return fail(p, "request too long", line);
	return POLICY_MORE;
}

/* take_attribute - one "name=value" line (without '\n') */
static enum policy_result take_attribute(struct policy_parser *p,
					 const char *line, size_t n,
					 size_t lineno)
{
	const char *eq = memchr(line, '=', n);
	size_t vlen;

	if (memchr(line, '\0', n) != NULL)
		return fail(p, "NUL byte", lineno);
	if (eq == NULL)
		return fail(p, "line without '='", lineno);
	if (eq == line)
		return fail(p, "empty attribute name", lineno);
	if ((size_t)(eq - line) != sizeof client_address_name - 1 ||
	    memcmp(line, client_address_name, sizeof client_address_name - 1))
		return POLICY_MORE;
	vlen = n - (size_t)(eq - line) - 1;
	p->have_address = vlen <= POLICY_ADDRESS_MAX;	/* last one wins */
	p->address_len = p->have_address ? vlen : 0;
	memcpy(p->address, eq + 1, p->address_len);
	p->address[p->address_len] = '\0';
	return POLICY_MORE;
}

static void finish_request(struct policy_parser *p, struct policy_request *req)
{
	req->client_address = p->have_address ? p->address : NULL;
	req->client_address_len = p->have_address ? p->address_len : 0;
	p->request_len = 0;
	p->lines = 0;
	p->have_address = 0;
	p->address_len = 0;
}

enum policy_result policy_feed(struct policy_parser *p, const char *buf,
			       size_t len, size_t *used,
			       struct policy_request *req)
{
	size_t pos = 0;

	for (;;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n, lineno = p->lines + 1;
		enum policy_result r;

		if (nl == NULL) {
			*used = pos;
			return check_partial(p, buf + pos, len - pos, lineno);
		}
		n = (size_t)(nl - (buf + pos));
		if (n > POLICY_LINE_MAX)
			return fail(p, "line too long", lineno);
		if (p->request_len + n + 1 > POLICY_REQUEST_MAX)
			return fail(p, "request too long", lineno);
		p->request_len += n + 1;
		p->lines = lineno;
		if (n == 0) {
			pos += 1;
			*used = pos;
			finish_request(p, req);
			return POLICY_REQUEST;
		}
		r = take_attribute(p, buf + pos, n, lineno);
		if (r != POLICY_MORE)
			return r;
		pos += n + 1;
	}
}
