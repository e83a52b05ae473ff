/*
 * test_http.c - the push listener's HTTP request parser: Dovecot's real
 * request, every prefix incomplete, LF-only lines, pipelining, the API
 * header (name in any case, value exact), keep-alive rules, the limits
 * and what is refused (chunked, bad lines, NULs); the query parameter.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "http.h"

#define BODY "{\"device_id\":\"\",\"login\":\"alice\",\"protocol\":\"pop3\"," \
	"\"pwhash\":\"0d09\",\"remote\":\"192.0.2.7\",\"session_id\":" \
	"\"pW88XJthoet/AAAH\",\"success\":true,\"policy_reject\":false," \
	"\"tls\":false}"
#define KEY "X-API-Key: s3cret"

static char req_buf[4096];

/* dovecot_request - a request as Dovecot 2.3 sends it */
static const char *dovecot_request(const char *cmd, const char *header)
{
	snprintf(req_buf, sizeof req_buf, "POST /?command=%s HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\nDate: Wed, 02 Dec 2026 01:00:00 GMT\r\n"
		 "User-Agent: dovecot/auth-policy-client\r\n%s"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		 cmd, header, strlen(BODY), BODY);
	return req_buf;
}

static enum http_result parse(const char *buf, size_t len, const char *key,
			      size_t *used, struct http_request *r)
{
	const char *why = NULL;
	enum http_result res = http_parse(buf, len, key, used, r, &why);

	if (res == HTTP_ERROR)
		assert_non_null(why);
	return res;
}

static void test_dovecot(void **state)
{
	const char *req = dovecot_request("report", KEY "\r\n");
	struct http_request r;
	size_t used = 0, vlen = 0;
	const char *v;

	(void)state;
	assert_int_equal(parse(req, strlen(req), KEY, &used, &r), HTTP_REQUEST);
	assert_int_equal(used, strlen(req));
	assert_memory_equal(r.method, "POST", 4);
	assert_int_equal(r.method_len, 4);
	v = http_query_param(r.target, r.target_len, "command", &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, 6);
	assert_memory_equal(v, "report", 6);
	assert_int_equal(r.body_len, strlen(BODY));
	assert_memory_equal(r.body, BODY, r.body_len);
	assert_true(r.authorized);
	assert_true(r.keep_alive);
}

static void test_every_prefix_is_more(void **state)
{
	const char *req = dovecot_request("allow", "");
	struct http_request r;
	size_t used;

	(void)state;
	for (size_t n = 0; n < strlen(req); n++)
		assert_int_equal(parse(req, n, "", &used, &r), HTTP_MORE);
}

static void test_pipelined_lf(void **state)
{
	const char *two = "POST /?command=allow HTTP/1.1\nContent-Length: 2\n\n{}"
		"POST /?command=report HTTP/1.0\n\n";
	struct http_request r;
	size_t used = 0, second;

	(void)state;
	assert_int_equal(parse(two, strlen(two), "", &used, &r), HTTP_REQUEST);
	assert_int_equal(r.body_len, 2);
	assert_true(r.authorized);	/* no header required */
	second = used;
	assert_int_equal(parse(two + second, strlen(two) - second, "", &used, &r),
			 HTTP_REQUEST);
	assert_int_equal(used, strlen(two) - second);
	assert_int_equal(r.body_len, 0);
	assert_false(r.keep_alive);	/* HTTP/1.0 without keep-alive */
}

static void test_api_header(void **state)
{
	struct { const char *header; int authorized; } cases[] = {
		{ KEY "\r\n", 1 },
		{ "x-api-key:s3cret\r\n", 1 },
		{ "X-API-KEY:   s3cret  \r\n", 1 },
		{ "X-API-Key: S3CRET\r\n", 0 },
		{ "X-API-Key: s3cret2\r\n", 0 },
		{ "X-API-Keys: s3cret\r\n", 0 },
		{ "X-Other: X-API-Key: s3cret\r\n", 0 },
		{ "", 0 },
	};
	struct http_request r;
	size_t used;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *req = dovecot_request("report", cases[i].header);

		assert_int_equal(parse(req, strlen(req), KEY, &used, &r),
				 HTTP_REQUEST);
		if (r.authorized != cases[i].authorized)
			fail_msg("header \"%s\": authorized %d", cases[i].header,
				 r.authorized);
	}
}

static void test_keep_alive(void **state)
{
	struct { const char *req; int keep; } cases[] = {
		{ "POST / HTTP/1.1\r\n\r\n", 1 },
		{ "POST / HTTP/1.1\r\nConnection: close\r\n\r\n", 0 },
		{ "POST / HTTP/1.1\r\nConnection: TE, Close\r\n\r\n", 0 },
		{ "POST / HTTP/1.0\r\n\r\n", 0 },
		{ "POST / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1 },
	};
	struct http_request r;
	size_t used;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(parse(cases[i].req, strlen(cases[i].req), "",
				       &used, &r), HTTP_REQUEST);
		assert_int_equal(r.keep_alive, cases[i].keep);
	}
}

static void test_refused(void **state)
{
	const char *bad[] = {
		"GET\r\n\r\n",
		"POST /x HTTP/2.0\r\n\r\n",
		"POST  / HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.1 \r\n\r\n",
		"POST / HTTP/1.1\r\nno colon\r\n\r\n",
		"POST / HTTP/1.1\r\n folded: x\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nX: a\001b\r\n\r\n",
	};
	struct http_request r;
	size_t used;
	char nul[] = "POST / HTTP/1.1\r\nX: a\0b\r\n\r\n";

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse(bad[i], strlen(bad[i]), "", &used, &r) != HTTP_ERROR)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(parse(nul, sizeof nul - 1, "", &used, &r), HTTP_ERROR);
	assert_int_equal(parse(nul, 22, "", &used, &r), HTTP_ERROR);	/* at once */
}

static void test_limits(void **state)
{
	static char big[HTTP_HEAD_MAX + HTTP_BODY_MAX + 64];
	struct http_request r;
	size_t used, n;

	(void)state;
	memset(big, 'a', sizeof big);
	/* a head that never ends is refused at its limit, not before */
	memcpy(big, "POST / HTTP/1.1\r\nX: ", 20);
	assert_int_equal(parse(big, HTTP_HEAD_MAX - 1, "", &used, &r), HTTP_MORE);
	assert_int_equal(parse(big, HTTP_HEAD_MAX, "", &used, &r), HTTP_ERROR);
	/* the largest body is accepted once it is all there */
	n = (size_t)snprintf(big, sizeof big, "POST / HTTP/1.1\r\n"
			     "Content-Length: %d\r\n\r\n", HTTP_BODY_MAX);
	memset(big + n, 'b', HTTP_BODY_MAX);
	assert_int_equal(parse(big, n + HTTP_BODY_MAX - 1, "", &used, &r),
			 HTTP_MORE);
	assert_int_equal(parse(big, n + HTTP_BODY_MAX, "", &used, &r),
			 HTTP_REQUEST);
	assert_int_equal(r.body_len, HTTP_BODY_MAX);
}

static void test_query_param(void **state)
{
	const char *t = "/policy?x=1&command=allow&y";
	size_t n = 0;
	const char *v;

	(void)state;
	v = http_query_param(t, strlen(t), "command", &n);
	assert_non_null(v);
	assert_int_equal(n, 5);
	assert_memory_equal(v, "allow", 5);
	assert_null(http_query_param(t, strlen(t), "comman", &n));
	assert_null(http_query_param("/command=allow", 14, "command", &n));
	v = http_query_param("/?command=", 10, "command", &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dovecot),
		cmocka_unit_test(test_every_prefix_is_more),
		cmocka_unit_test(test_pipelined_lf),
		cmocka_unit_test(test_api_header),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_query_param),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
