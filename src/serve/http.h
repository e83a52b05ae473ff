/*
 * http.h - a small HTTP/1.x request parser for Dovecot's auth-policy
 * requests: request line, headers, a Content-Length body. Pure (no I/O)
 * so it can be fuzzed: bytes in, one complete request or an error out.
 * No chunked bodies, no continuation lines, nothing unbounded.
 */
#ifndef POPGATE_HTTP_H
#define POPGATE_HTTP_H

#include <stddef.h>

#define HTTP_HEAD_MAX 8192	/* request line + headers + blank line */
#define HTTP_BODY_MAX 65536	/* Content-Length limit */
#define HTTP_HEADERS_MAX 64	/* header lines */

enum http_result {
	HTTP_MORE = 0,		/* no complete request yet */
	HTTP_REQUEST = 1,	/* one request: answer it */
	HTTP_ERROR = -1,	/* malformed or too big: 400 and close */
};

struct http_request {
	const char *method, *target;	/* point into the buffer */
	size_t method_len, target_len;
	int keep_alive;		/* the connection may carry another request */
	int authorized;		/* the expected API header was present */
	const char *body;
	size_t body_len;
};

/* http_parse - find the request at the start of BUF[0..LEN). APIHDR is
 * the exact "Name: value" line that authorizes (name case-insensitive,
 * value exact), or "" when none is needed (then .authorized is 1). On
 * HTTP_REQUEST, *USED is the request's size; on HTTP_ERROR, *WHY says
 * what is wrong. Lines end in LF or CRLF */
enum http_result http_parse(const char *buf, size_t len, const char *apihdr,
			    size_t *used, struct http_request *req,
			    const char **why);

/* http_query_param - the value of NAME in TARGET's query string
 * ("/p?a=b&command=report"), *VLEN its length; NULL when absent */
const char *http_query_param(const char *target, size_t len, const char *name,
			     size_t *vlen);

#endif
