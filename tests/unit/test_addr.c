/*
 * test_addr.c - address keys and CIDR networks: parsing (and refusing
 * junk), the v4-mapped equivalence, RFC 5952 output, masking, matching.
 */
#include <string.h>

#include "unit.h"

#include "addr.h"

static struct addr parse_ok(const char *text)
{
	struct addr a;

	assert_int_equal(addr_parse(text, strlen(text), &a), 0);
	return a;
}

/* assert_shown - A formats as EXPECTED */
static void assert_shown(const struct addr *a, const char *expected)
{
	char buf[ADDR_TEXT_MAX];

	addr_format(a, buf, sizeof buf);
	assert_string_equal(buf, expected);
}

static void assert_formats_as(const char *text, const char *expected)
{
	struct addr a = parse_ok(text);

	assert_shown(&a, expected);
}

static void assert_net(const char *text, const char *expected, unsigned prefix)
{
	struct net n;
	char buf[ADDR_TEXT_MAX];

	assert_int_equal(net_parse(text, &n), 0);
	assert_int_equal(n.prefix, prefix);
	net_format(&n, buf, sizeof buf);
	assert_string_equal(buf, expected);
}

static void test_parse_v4(void **state)
{
	static const unsigned char want[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7
	};
	struct addr a = parse_ok("192.0.2.7");

	(void)state;
	assert_memory_equal(a.b, want, 16);
	assert_true(addr_is_v4(&a));
	assert_formats_as("192.0.2.7", "192.0.2.7");
	assert_formats_as("0.0.0.0", "0.0.0.0");
	assert_formats_as("255.255.255.255", "255.255.255.255");
}

static void test_v4_mapped_equivalence(void **state)
{
	struct addr a = parse_ok("192.0.2.7");
	struct addr b = parse_ok("::ffff:192.0.2.7");
	struct addr c = parse_ok("::FFFF:c000:0207");

	(void)state;
	assert_memory_equal(a.b, b.b, 16);
	assert_memory_equal(a.b, c.b, 16);
	assert_true(addr_is_v4(&b));
	assert_formats_as("::ffff:192.0.2.7", "192.0.2.7");
	/* IPv4-compatible (deprecated) is not v4-mapped */
	assert_false(addr_is_v4(&(struct addr){ .b = { [15] = 1 } }));
}

static void test_parse_v6_rfc5952(void **state)
{
	(void)state;
	assert_formats_as("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	assert_formats_as("::1", "::1");
	assert_formats_as("::", "::");
	assert_formats_as("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	assert_formats_as("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	assert_formats_as("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	assert_formats_as("fe80::", "fe80::");
	assert_formats_as("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
	assert_false(addr_is_v4(&(struct addr){ .b = { [0] = 0x20 } }));
}

static void test_parse_rejects_junk(void **state)
{
	static const char *const bad[] = {
		"", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1",
		"1.2.3.4x", "01.2.3.4", "localhost", "1.2.3.4/32", "[::1]",
		"fe80::1%eth0", "::1::", "12345::", "0x1.2.3.4", ":", "1.2.3.-4",
		"2001:db8::g", "::ffff:1.2.3", "1.2.3.4\n",
	};
	struct addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(addr_parse(bad[i], strlen(bad[i]), &a), -1);
	/* LEN is honoured: trailing bytes beyond it are not read, a NUL
	 * inside it is refused, and an overlong text is refused */
	assert_int_equal(addr_parse("10.0.0.1junk", 8, &a), 0);
	assert_int_equal(addr_parse("10.0.0.1\0", 9, &a), -1);
	assert_int_equal(addr_parse("1111:2222:3333:4444:5555:6666:7777:8888:9999",
				    44, &a), -1);
}

static void test_mask(void **state)
{
	struct addr a = parse_ok("2001:db8:1:2:3:4:5:6");

	(void)state;
	addr_apply_ipv6_prefix(&a, 64);
	assert_shown(&a, "2001:db8:1:2::");
	addr_mask(&a, 28);
	assert_shown(&a, "2001:db0::");
	a = parse_ok("192.0.2.7");
	addr_apply_ipv6_prefix(&a, 64);	/* IPv4 keys are never masked */
	assert_shown(&a, "192.0.2.7");
	addr_mask(&a, 96 + 24);
	assert_shown(&a, "192.0.2.0");
	a = parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	addr_mask(&a, 128);
	assert_shown(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	addr_mask(&a, 0);
	assert_shown(&a, "::");
}

static void test_net_parse_good(void **state)
{
	(void)state;
	assert_net("127.0.0.0/8", "127.0.0.0/8", 104);
	assert_net("192.0.2.7", "192.0.2.7/32", 128);
	assert_net("0.0.0.0/0", "0.0.0.0/0", 96);
	assert_net("10.1.2.3/32", "10.1.2.3/32", 128);
	assert_net("::1", "::1/128", 128);
	assert_net("::1/128", "::1/128", 128);
	assert_net("2001:DB8::/32", "2001:db8::/32", 32);
	assert_net("::/0", "::/0", 0);
	assert_net("::ffff:10.0.0.0/104", "10.0.0.0/8", 104);
}

static void test_net_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0.0/8x", "10.0.0.0/8/8", "10.0.0.0 /8", "10.0.0.0/ 8",
		"::/129", "::/1000", "10.0.0.0/0008", "10.1.0.0/8", "10.0.0.1/31",
		"2001:db8::1/64", "::1/127", "junk", "10.0.0.0/8 ",
	};
	struct net n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(net_parse(bad[i], &n), -1);
}

static void test_net_parse_loose(void **state)
{
	struct net n;
	char buf[ADDR_TEXT_MAX];
	int host_bits;

	(void)state;
	assert_int_equal(net_parse_loose("10.1.2.3/8", &n, &host_bits), 0);
	assert_int_equal(host_bits, 1);
	net_format(&n, buf, sizeof buf);
	assert_string_equal(buf, "10.0.0.0/8");
	assert_int_equal(net_parse_loose("10.0.0.0/8", &n, &host_bits), 0);
	assert_int_equal(host_bits, 0);
	assert_int_equal(net_parse_loose("10.0.0.0/x", &n, &host_bits), -1);
}

static void test_net_contains(void **state)
{
	struct net n;
	struct addr a;

	(void)state;
	assert_int_equal(net_parse("192.0.2.0/24", &n), 0);
	a = parse_ok("192.0.2.255");
	assert_true(net_contains(&n, &a));
	a = parse_ok("::ffff:192.0.2.1");
	assert_true(net_contains(&n, &a));
	a = parse_ok("192.0.3.0");
	assert_false(net_contains(&n, &a));
	a = parse_ok("::192.0.2.1");
	assert_false(net_contains(&n, &a));
	assert_int_equal(net_parse("0.0.0.0/0", &n), 0);
	assert_true(net_contains(&n, &(struct addr){ .b = {
		[10] = 0xff, [11] = 0xff, [12] = 8, [15] = 8 } }));
	a = parse_ok("2001:db8::1");
	assert_false(net_contains(&n, &a));
	assert_int_equal(net_parse("2001:db8::/32", &n), 0);
	assert_true(net_contains(&n, &a));
	assert_int_equal(net_parse("::/0", &n), 0);
	assert_true(net_contains(&n, &a));
	a = parse_ok("10.0.0.1");
	assert_true(net_contains(&n, &a));
}

static void test_format_small_buffer(void **state)
{
	struct addr a = parse_ok("2001:db8::1");
	struct net n;
	char buf[6];

	(void)state;
	addr_format(&a, buf, sizeof buf);
	assert_string_equal(buf, "2001:");
	assert_int_equal(net_parse("10.0.0.0/8", &n), 0);
	net_format(&n, buf, sizeof buf);
	assert_string_equal(buf, "10.0.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_v4_mapped_equivalence),
		cmocka_unit_test(test_parse_v6_rfc5952),
		cmocka_unit_test(test_parse_rejects_junk),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_net_parse_good),
		cmocka_unit_test(test_net_parse_bad),
		cmocka_unit_test(test_net_parse_loose),
		cmocka_unit_test(test_net_contains),
		cmocka_unit_test(test_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
