/*
 * test_socketmap.c - netstring framing (good, split, malformed, limits),
 * request classification (addresses, Sendmail tags, host names, network
 * prefixes, PERM cases) and answer formatting.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "socketmap.h"

static enum socketmap_result next(const char *buf, size_t len, size_t *used,
				  const char **data, size_t *dlen)
{
	const char *why = NULL;
	enum socketmap_result r = socketmap_next(buf, len, used, data, dlen, &why);

	if (r == SOCKETMAP_BROKEN)
		assert_non_null(why);
	return r;
}

static void test_good(void **state)
{
	const char *buf = "17:popgate 192.0.2.7,15:access 10.0.0.1,";
	const char *data;
	size_t used, dlen;

	(void)state;
	assert_int_equal(next(buf, strlen(buf), &used, &data, &dlen),
			 SOCKETMAP_REQUEST);
	assert_int_equal(used, 21);
	assert_int_equal(dlen, 17);
	assert_memory_equal(data, "popgate 192.0.2.7", 17);
	assert_int_equal(next(buf + used, strlen(buf) - used, &used, &data, &dlen),
			 SOCKETMAP_REQUEST);
	assert_memory_equal(data, "access 10.0.0.1", 15);
	assert_int_equal(next("0:,", 3, &used, &data, &dlen), SOCKETMAP_REQUEST);
	assert_int_equal(dlen, 0);
}

static void test_every_prefix_is_more(void **state)
{
	const char *buf = "17:popgate 192.0.2.7,";
	size_t cut, used, dlen;
	const char *data;

	(void)state;
	for (cut = 0; cut < strlen(buf); cut++)
		assert_int_equal(next(buf, cut, &used, &data, &dlen),
				 SOCKETMAP_MORE);
}

static void test_broken(void **state)
{
	static const char *bad[] = {
		":x,", "a:x,", "1a:x,", "-1:x,", " 1:x,", "3:abcd", "3:abc;",
		"01:x,", "00:,", "123456:", "10001:", "99999:",
	};
	size_t i, used, dlen;
	const char *data;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(next(bad[i], strlen(bad[i]), &used, &data, &dlen),
				 SOCKETMAP_BROKEN);
}

static void test_length_limit(void **state)
{
	static char buf[SOCKETMAP_NETSTRING_MAX + 16];
	size_t used, dlen;
	const char *data;

	(void)state;
	memcpy(buf, "10000:", 6);
	memset(buf + 6, 'k', SOCKETMAP_DATA_MAX);
	buf[6 + SOCKETMAP_DATA_MAX] = ',';
	assert_int_equal(next(buf, 6 + SOCKETMAP_DATA_MAX, &used, &data, &dlen),
			 SOCKETMAP_MORE);
	assert_int_equal(next(buf, 7 + SOCKETMAP_DATA_MAX, &used, &data, &dlen),
			 SOCKETMAP_REQUEST);
	assert_int_equal(used, SOCKETMAP_NETSTRING_MAX);
	assert_int_equal(dlen, SOCKETMAP_DATA_MAX);
	memcpy(buf, "10001:", 6);
	assert_int_equal(next(buf, 6, &used, &data, &dlen), SOCKETMAP_BROKEN);
}

static enum socketmap_query query(const char *s, struct addr *a)
{
	const char *why = NULL;
	enum socketmap_query q = socketmap_query(s, strlen(s), a, &why);

	if (q == SOCKETMAP_PERM)
		assert_non_null(why);
	return q;
}

static void test_query(void **state)
{
	struct addr a, want;
	char text[ADDR_TEXT_MAX];

	(void)state;
	assert_int_equal(query("popgate 192.0.2.7", &a), SOCKETMAP_LOOKUP);
	addr_parse("192.0.2.7", 9, &want);
	assert_memory_equal(a.b, want.b, 16);
	assert_int_equal(query("m 2001:db8::1", &a), SOCKETMAP_LOOKUP);
	addr_format(&a, text, sizeof text);
	assert_string_equal(text, "2001:db8::1");
	assert_int_equal(query("m ::ffff:192.0.2.7", &a), SOCKETMAP_LOOKUP);
	assert_memory_equal(a.b, want.b, 16);
	assert_int_equal(query("access Connect:192.0.2.7", &a), SOCKETMAP_LOOKUP);
	assert_int_equal(query("access connect:192.0.2.7", &a), SOCKETMAP_LOOKUP);
	assert_int_equal(query("access Connect:IPv6:2001:db8::1", &a),
			 SOCKETMAP_LOOKUP);
	/* what Postfix's check_client_access also asks: never found */
	assert_int_equal(query("m mail.example.org", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m 192.0.2", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m 192.0", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m 192", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m [2001:db8::1]", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m 192.0.2.0/24", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m ", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m 192.0.2.7 ", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("m  192.0.2.7", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("access To:192.0.2.7", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("access From:192.0.2.7", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(query("access Connect:", &a), SOCKETMAP_NOTFOUND);
	assert_int_equal(socketmap_query("m 192.0.2.7\0", 12, &a, &(const char *){0}),
			 SOCKETMAP_NOTFOUND);
	/* malformed */
	assert_int_equal(query("192.0.2.7", &a), SOCKETMAP_PERM);
	assert_int_equal(query(" 192.0.2.7", &a), SOCKETMAP_PERM);
	assert_int_equal(query("", &a), SOCKETMAP_PERM);
}

static void test_format(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(socketmap_format(out, sizeof out, "OK", "RELAY"), 11);
	assert_string_equal(out, "8:OK RELAY,");
	assert_int_equal(socketmap_format(out, sizeof out, "NOTFOUND", ""), 12);
	assert_string_equal(out, "9:NOTFOUND ,");
	assert_int_equal(socketmap_format(out, sizeof out, "NOTFOUND", NULL), 12);
	socketmap_format(out, sizeof out, "PERM", "request without a space");
	assert_string_equal(out, "28:PERM request without a space,");
	assert_int_equal(socketmap_format(out, 12, "NOTFOUND", ""), 0);
	assert_int_equal(socketmap_format(out, 13, "NOTFOUND", ""), 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_every_prefix_is_more),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
