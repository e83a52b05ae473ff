/*
 * test_policy.c - the policy request parser: requests split at every byte
 * boundary, pipelining, each malformed kind, and the 4 KiB / 64 KiB limits
 * exactly at and one byte over.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "policy.h"

#define REQ1 "request=smtpd_access_policy\nprotocol_state=RCPT\n" \
	"client_address=192.0.2.7\nclient_name=unknown\n\n"
#define REQ2 "request=smtpd_access_policy\nclient_address=2001:db8::1\n\n"
#define REQ3 "request=smtpd_access_policy\nclient_name=x\n\n"

/* run - feed BUF the way a connection does: in chunks of CHUNK bytes into
 * a growing buffer. Records each request's address ("-" when absent) into
 * OUT separated by '|'. Returns the last result */
static enum policy_result run(const char *buf, size_t len, size_t chunk,
			      char *out, size_t outsize, const char **why)
{
	struct policy_parser p;
	struct policy_request req;
	char *in = malloc(len + 1);
	size_t have = 0, fed = 0;
	enum policy_result r = POLICY_MORE;

	policy_init(&p);
	out[0] = '\0';
	while (fed < len) {
		size_t n = len - fed < chunk ? len - fed : chunk, used = 0;

		memcpy(in + have, buf + fed, n);
		have += n;
		fed += n;
		for (;;) {
			r = policy_feed(&p, in, have, &used, &req);
			if (r == POLICY_ERROR) {
				*why = p.error;
				free(in);
				return r;
			}
			memmove(in, in + used, have - used);
			have -= used;
			if (r == POLICY_MORE)
				break;
			strncat(out, req.client_address ? req.client_address : "-",
				outsize - strlen(out) - 1);
			strncat(out, "|", outsize - strlen(out) - 1);
		}
	}
	free(in);
	return r;
}

static void test_single(void **state)
{
	char out[256];
	const char *why = NULL;

	(void)state;
	assert_int_equal(run(REQ1, strlen(REQ1), 4096, out, sizeof out, &why),
			 POLICY_MORE);
	assert_string_equal(out, "192.0.2.7|");
}

static void test_every_split(void **state)
{
	const char *all = REQ1 REQ2 REQ3;
	size_t len = strlen(all), chunk;

	(void)state;
	for (chunk = 1; chunk <= len; chunk++) {
		char out[256];
		const char *why = NULL;

		assert_int_equal(run(all, len, chunk, out, sizeof out, &why),
				 POLICY_MORE);
		assert_string_equal(out, "192.0.2.7|2001:db8::1|-|");
	}
}

static void test_every_split_point(void **state)
{
	const char *all = REQ1 REQ2;
	size_t len = strlen(all), cut;

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		struct policy_parser p;
		struct policy_request req;
		char buf[512];
		size_t used = 0, have = cut, got = 0;

		policy_init(&p);
		memcpy(buf, all, cut);
		for (;;) {
			enum policy_result r = policy_feed(&p, buf, have, &used, &req);

			assert_int_not_equal(r, POLICY_ERROR);
			memmove(buf, buf + used, have - used);
			have -= used;
			if (r == POLICY_MORE) {
				if (cut == len)
					break;
				memcpy(buf + have, all + cut, len - cut);
				have += len - cut;
				cut = len;
				continue;
			}
			got++;
		}
		assert_int_equal(got, 2);
		assert_int_equal(have, 0);
	}
}

static void test_pipelined_many(void **state)
{
	size_t n = 1000, i, len = strlen(REQ2);
	char *buf = malloc(n * len + 1);
	struct policy_parser p;
	struct policy_request req;
	size_t pos = 0, used, count = 0;

	(void)state;
	for (i = 0; i < n; i++)
		memcpy(buf + i * len, REQ2, len);
	policy_init(&p);
	while (policy_feed(&p, buf + pos, n * len - pos, &used, &req) ==
	       POLICY_REQUEST) {
		assert_non_null(req.client_address);
		assert_memory_equal(req.client_address, "2001:db8::1", 11);
		pos += used;
		count++;
	}
	assert_int_equal(count, n);
	assert_int_equal(pos, n * len);
	free(buf);
}

static void expect_error(const char *buf, size_t len, const char *why)
{
	size_t chunk;

	for (chunk = 1; chunk <= len; chunk += (chunk < 8 ? 1 : 97)) {
		char out[64];
		const char *got = NULL;

		assert_int_equal(run(buf, len, chunk, out, sizeof out, &got),
				 POLICY_ERROR);
		assert_string_equal(got, why);
		assert_string_equal(out, "");
	}
}

static void test_malformed(void **state)
{
	static const char nul[] = "client_address=192.0.2.7\0x\n\n";
	static const char nul_partial[] = "client_addr\0";

	(void)state;
	expect_error("client_address=192.0.2.7\nno equals sign\n\n", 42,
		     "line without '='");
	expect_error("=value\n\n", 8, "empty attribute name");
	expect_error(nul, sizeof nul - 1, "NUL byte");
	expect_error(nul_partial, sizeof nul_partial - 1, "NUL byte");
	expect_error("\x01\xff\xfe garbage\n\n", 13, "line without '='");
}

/* line_of - "x=" plus filler to make a line of N bytes (no '\n') */
static char *line_of(size_t n)
{
	char *s = malloc(n + 3);

	memset(s, 'v', n);
	s[0] = 'x';
	s[1] = '=';
	s[n] = '\n';
	s[n + 1] = '\n';
	s[n + 2] = '\0';
	return s;
}

static void test_line_limit(void **state)
{
	char *ok = line_of(POLICY_LINE_MAX), *over = line_of(POLICY_LINE_MAX + 1);
	char out[64];
	const char *why = NULL;

	(void)state;
	assert_int_equal(run(ok, POLICY_LINE_MAX + 2, 4096, out, sizeof out, &why),
			 POLICY_MORE);
	assert_string_equal(out, "-|");
	assert_int_equal(run(ok, POLICY_LINE_MAX + 2, 1, out, sizeof out, &why),
			 POLICY_MORE);
	expect_error(over, POLICY_LINE_MAX + 3, "line too long");
	/* without its newline, the over-long line fails as soon as it is seen */
	assert_int_equal(run(over, POLICY_LINE_MAX + 1, 8192, out, sizeof out,
			     &why), POLICY_ERROR);
	assert_string_equal(why, "line too long");
	free(ok);
	free(over);
}

/* request_of - a request of exactly N bytes (N >= 100): lines of 1000
 * bytes, a shorter last one, the client address and the empty line */
static char *request_of(size_t n)
{
	static const char addr[] = "client_address=192.0.2.9\n";
	char *s = malloc(n + 1);
	size_t pos = 0, body = n - (sizeof addr - 1) - 1;

	while (pos < body) {
		size_t line = body - pos > 1000 ? 1000 : body - pos;	/* >= 3 */

		memset(s + pos, 'v', line - 1);
		s[pos] = 'x';
		s[pos + 1] = '=';
		s[pos + line - 1] = '\n';
		pos += line;
	}
	memcpy(s + pos, addr, sizeof addr - 1);
	s[n - 1] = '\n';
	s[n] = '\0';
	return s;
}

static void test_request_limit(void **state)
{
	char *ok = request_of(POLICY_REQUEST_MAX);
	char *over = request_of(POLICY_REQUEST_MAX + 1);
	char out[64];
	const char *why = NULL;

	(void)state;
	assert_int_equal(strlen(ok), POLICY_REQUEST_MAX);
	assert_int_equal(run(ok, POLICY_REQUEST_MAX, 4096, out, sizeof out, &why),
			 POLICY_MORE);
	assert_string_equal(out, "192.0.2.9|");
	assert_int_equal(run(ok, POLICY_REQUEST_MAX, 1, out, sizeof out, &why),
			 POLICY_MORE);
	assert_string_equal(out, "192.0.2.9|");
	assert_int_equal(run(over, POLICY_REQUEST_MAX + 1, 4096, out, sizeof out,
			     &why), POLICY_ERROR);
	assert_string_equal(why, "request too long");
	assert_int_equal(run(over, POLICY_REQUEST_MAX + 1, 1, out, sizeof out,
			     &why), POLICY_ERROR);
	free(ok);
	free(over);
}

static void test_address_forms(void **state)
{
	char out[256];
	const char *why = NULL;
	char longaddr[200] = "client_address=";
	const char *both = "client_address=192.0.2.1\nclient_address=192.0.2.2\n\n"
		"client_address=\n\n\n";

	(void)state;
	assert_int_equal(run(both, strlen(both), 3, out, sizeof out, &why),
			 POLICY_MORE);
	assert_string_equal(out, "192.0.2.2||-|");	/* last wins; empty; none */
	memset(longaddr + 15, '1', POLICY_ADDRESS_MAX + 1);
	strcpy(longaddr + 15 + POLICY_ADDRESS_MAX + 1, "\n\n");
	assert_int_equal(run(longaddr, strlen(longaddr), 4096, out, sizeof out,
			     &why), POLICY_MORE);
	assert_string_equal(out, "-|");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_every_split_point),
		cmocka_unit_test(test_pipelined_many),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_request_limit),
		cmocka_unit_test(test_address_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
