/*
 * policy.h - parser of Postfix policy delegation requests: attribute lines
 * "name=value\n", an empty line ends a request. Pure (no I/O), so it can
 * be fuzzed: bytes in, complete requests or an error out.
 */
#ifndef POPGATE_POLICY_H
#define POPGATE_POLICY_H

#include <stddef.h>

#define POLICY_LINE_MAX 4096	/* bytes of one line, without its '\n' */
#define POLICY_REQUEST_MAX 65536	/* bytes of one request, every '\n' included */
#define POLICY_ADDRESS_MAX 64	/* longer client_address values are invalid */

enum policy_result {
	POLICY_MORE = 0,	/* every complete line consumed: need more bytes */
	POLICY_REQUEST = 1,	/* one request complete: answer it */
	POLICY_ERROR = -1,	/* malformed: close without answering */
};

/* the parser carries one request across calls */
struct policy_parser {
	size_t request_len;	/* bytes of the current request so far */
	size_t lines;		/* lines of the current request so far */
	int have_address;	/* client_address seen (and not too long) */
	size_t address_len;
	char address[POLICY_ADDRESS_MAX + 1];
	const char *error;	/* static text when POLICY_ERROR was returned */
	size_t error_line;	/* 1-based line of the request that failed */
};

/* a request as the server needs it; points into the parser */
struct policy_request {
	const char *client_address;	/* NULL when absent or over-long */
	size_t client_address_len;
};

void policy_init(struct policy_parser *p);

/* policy_feed - consume complete lines of BUF[0..LEN). Stops after the
 * line that ends a request (POLICY_REQUEST, REQ filled, valid until the
 * next call), or when no complete line is left (POLICY_MORE: the caller
 * keeps BUF[*USED..LEN) and appends to it), or at malformed input
 * (POLICY_ERROR, p->error set; the parser must not be fed again).
 * A partial line longer than POLICY_LINE_MAX is an error at once. */
enum policy_result policy_feed(struct policy_parser *p, const char *buf,
			       size_t len, size_t *used,
			       struct policy_request *req);

#endif
