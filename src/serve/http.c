/*
 * http.c - parse one HTTP/1.x request (request line, headers, a body of
 * Content-Length bytes) from a buffer. Stateless: the caller keeps the
 * bytes and calls again with more. Rejects what Dovecot never sends
 * (chunked bodies, folded headers, bytes that are no HTTP) rather than
 * guessing; never reads past LEN.
 */
#include <string.h>
#include <strings.h>

#include "http.h"

struct cursor {
	const char *p, *end;	/* the head, blank line excluded */
};

/* head_end - size of the head including its blank line; 0 when the blank
 * line has not arrived */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* next_line - the next line of the head, without its CR LF */
static int next_line(struct cursor *c, const char **line, size_t *len)
{
	const char *nl;

	if (c->p >= c->end)
		return 0;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (nl == NULL)
		nl = c->end;
	*line = c->p;
	*len = (size_t)(nl - c->p);
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	c->p = nl < c->end ? nl + 1 : c->end;
	return 1;
}

static int is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		(ch >= '0' && ch <= '9') || (ch != '\0' &&
					     strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_vchar_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return 0;
		else if (s[i] == 0x7f)
			return 0;
	return 1;
}

/* request_line - "METHOD SP TARGET SP HTTP/1.x"; 0 ok */
static int request_line(const char *l, size_t n, struct http_request *r,
			int *minor)
{
	size_t m = 0, t;

	while (m < n && is_tchar(l[m]))
		m++;
	if (m == 0 || m >= n || l[m] != ' ')
		return -1;
	t = m + 1;
	while (t < n && (unsigned char)l[t] > 0x20 && l[t] != 0x7f)
		t++;
	if (t == m + 1 || n - t != 9 || memcmp(l + t, " HTTP/1.", 8) != 0 ||
	    (l[t + 8] != '0' && l[t + 8] != '1'))
		return -1;
	r->method = l;
	r->method_len = m;
	r->target = l + m + 1;
	r->target_len = t - m - 1;
	*minor = l[t + 8] - '0';
	return 0;
}

/* content_length - decimal digits only; -1 bad, -2 too big */
static long content_length(const char *v, size_t n)
{
	long x = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
		if (x > HTTP_BODY_MAX)
			return -2;
	}
	return x;
}

static int name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* value_has_token - a comma-separated header value holds TOKEN */
static int value_has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);

	for (size_t i = 0; i + tl <= n; i++)
		if (strncasecmp(v + i, token, tl) == 0 &&
		    (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
		    (i + tl == n || v[i + tl] == ' ' || v[i + tl] == ','))
			return 1;
	return 0;
}

/* is_api_header - NAME: VALUE equals APIHDR ("Name: value") */
static int is_api_header(const char *name, size_t nl, const char *v,
			 size_t vl, const char *apihdr)
{
	const char *colon = strchr(apihdr, ':'), *want;

	if (colon == NULL || (size_t)(colon - apihdr) != nl ||
	    strncasecmp(name, apihdr, nl) != 0)
		return 0;
	want = colon + 1 + strspn(colon + 1, " \t");
	return strlen(want) == vl && memcmp(want, v, vl) == 0;
}

struct head_state {
	long length;		/* -1 = no Content-Length */
	int close, keep;	/* Connection: close / keep-alive seen */
};

/* header - one header line; 0 ok, -1 with *WHY */
static int header(const char *l, size_t n, const char *apihdr,
		  struct http_request *r, struct head_state *h,
		  const char **why)
{
	size_t nl = 0, vs, ve;
	long len;

	while (nl < n && is_tchar(l[nl]))
		nl++;
	if (nl == 0 || nl >= n || l[nl] != ':')
		return *why = "bad header line", -1;
	vs = nl + 1;
	while (vs < n && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	if (!is_vchar_text(l + vs, ve - vs))
		return *why = "control character in a header", -1;
	if (name_is(l, nl, "Content-Length")) {
		len = content_length(l + vs, ve - vs);
		if (len == -2)
			return *why = "body too large", -1;
		if (len < 0 || (h->length >= 0 && h->length != len))
			return *why = "bad Content-Length", -1;
		h->length = len;
	} else if (name_is(l, nl, "Transfer-Encoding")) {
		return *why = "Transfer-Encoding is not supported", -1;
	} else if (name_is(l, nl, "Connection")) {
		h->close |= value_has_token(l + vs, ve - vs, "close");
		h->keep |= value_has_token(l + vs, ve - vs, "keep-alive");
	}
	if (*apihdr != '\0' && is_api_header(l, nl, l + vs, ve - vs, apihdr))
		r->authorized = 1;
	return 0;
}

enum http_result http_parse(const char *buf, size_t len, const char *apihdr,
			    size_t *used, struct http_request *req,
			    const char **why)
{
	struct head_state h = { -1, 0, 0 };
	size_t head = head_end(buf, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX);
	struct cursor c;
	const char *line;
	size_t n, lines = 0;
	int minor;

	memset(req, 0, sizeof *req);
	if (head == 0) {
		if (len >= HTTP_HEAD_MAX)
			return *why = "request head too large", HTTP_ERROR;
		if (memchr(buf, '\0', len) != NULL)
			return *why = "NUL byte", HTTP_ERROR;
		return HTTP_MORE;
	}
	if (memchr(buf, '\0', head) != NULL)
		return *why = "NUL byte", HTTP_ERROR;
	c.p = buf;
	c.end = buf + head;
	if (!next_line(&c, &line, &n) || request_line(line, n, req, &minor))
		return *why = "bad request line", HTTP_ERROR;
	req->authorized = *apihdr == '\0';
	while (next_line(&c, &line, &n) && n > 0) {
		if (++lines > HTTP_HEADERS_MAX)
			return *why = "too many headers", HTTP_ERROR;
		if (header(line, n, apihdr, req, &h, why) != 0)
			return HTTP_ERROR;
	}
	if (h.length < 0)
		h.length = 0;
	if (len - head < (size_t)h.length)
		return HTTP_MORE;
	req->keep_alive = minor == 1 ? !h.close : (h.keep && !h.close);
	req->body = buf + head;
	req->body_len = (size_t)h.length;
	*used = head + (size_t)h.length;
	return HTTP_REQUEST;
}

const char *http_query_param(const char *target, size_t len, const char *name,
			     size_t *vlen)
{
	const char *q = memchr(target, '?', len), *end = target + len;
	size_t nl = strlen(name);

	if (q == NULL)
		return NULL;
	for (const char *p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) > nl && memcmp(p, name, nl) == 0 &&
		    p[nl] == '=') {
			*vlen = (size_t)(stop - p - nl - 1);
			return p + nl + 1;
		}
		p = stop + 1;
	}
	return NULL;
}
