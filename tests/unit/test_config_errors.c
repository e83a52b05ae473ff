/*
 * test_config_errors.c - popgate.conf input that must be refused, each
 * with its exact "FILE:LINE: message": bad values of every kind, broken
 * patterns, NUL bytes, endless lines, control bytes and random junk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_test.h"
#include "match.h"

struct bad_case {
	const char *text;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{ "shared_address_users = 1\n", "t.conf:1: shared_address_users: bad "
	  "number \"1\" (expected 0 for off, or an integer from 2 to 8)" },
	{ "shared_address_users = 9\n", "t.conf:1: shared_address_users: bad "
	  "number \"9\" (expected 0 for off, or an integer from 2 to 8)" },
	{ "unlisted_action = REJECT\n", "t.conf:1: unlisted_action: bad value "
	  "\"REJECT\" (expected DUNNO or DEFER_IF_REJECT)" },
	{ "unlisted_text =\n", "t.conf:1: unlisted_text: bad value \"\" "
	  "(expected non-empty printable ASCII text)" },
	{ "ignore_networks = /dev/null\n", "t.conf:1: ignore_networks: "
	  "/dev/null: not a regular file of at most 4194304 bytes" },
	{ "ignore_networks = ::1, /nonexistent/popgate.networks\n",
	  "t.conf:1: ignore_networks: /nonexistent/popgate.networks: No such "
	  "file or directory" },
	{ "colour = blue\n", "t.conf:1: unknown key \"colour\"" },
	{ "Window = 5m\n", "t.conf:1: unknown key \"Window\"" },
	{ "\n\nwindow 5m\n", "t.conf:3: expected \"key = value\"" },
	{ " = 5m\n", "t.conf:1: expected \"key = value\"" },
	{ "window = 5m\n# x\nwindow = 6m\n",
	  "t.conf:3: duplicate key \"window\" (first set on line 1)" },
	{ "user =\nuser = x\n",
	  "t.conf:2: duplicate key \"user\" (first set on line 1)" },
	{ "window = 5x\n", "t.conf:1: window: bad duration \"5x\" (expected "
	  "a number with an optional s, m, h or d suffix)" },
	{ "window =\n", "t.conf:1: window: bad duration \"\" (expected "
	  "a number with an optional s, m, h or d suffix)" },
	{ "rotate_wait = 5 s\n", "t.conf:1: rotate_wait: bad duration \"5 s\" "
	  "(expected a number with an optional s, m, h or d suffix)" },
	{ "window = -5\n", "t.conf:1: window: bad duration \"-5\" (expected "
	  "a number with an optional s, m, h or d suffix)" },
	{ "window = 5ms\n", "t.conf:1: window: bad duration \"5ms\" (expected "
	  "a number with an optional s, m, h or d suffix)" },
	{ "window = 0\n", "t.conf:1: window: duration \"0\" out of range "
	  "(expected 1s to 365d)" },
	{ "sweep_interval = 0s\n", "t.conf:1: sweep_interval: duration \"0s\" "
	  "out of range (expected 1s to 1d)" },
	{ "idle_timeout = 0m\n", "t.conf:1: idle_timeout: duration \"0m\" "
	  "out of range (expected 1s to 1d)" },
	{ "session_max = 0d\n", "t.conf:1: session_max: duration \"0d\" "
	  "out of range (expected 1s to 365d)" },
	{ "window = 99999999999999999999999d\n", "t.conf:1: window: duration "
	  "\"99999999999999999999999d\" out of range (expected 1s to 365d)" },
	{ "window = 4294967296\n", "t.conf:1: window: duration \"4294967296\" "
	  "out of range (expected 1s to 365d)" },
	{ "sync_wait = 5ns\n", "t.conf:1: sync_wait: bad duration \"5ns\" "
	  "(expected a number with an optional ms, s, m, h or d suffix)" },
	{ "sync_wait = 86400001ms\n", "t.conf:1: sync_wait: duration "
	  "\"86400001ms\" out of range (expected 0ms to 1d)" },
	{ "sync_wait = 99999999999ms\n", "t.conf:1: sync_wait: duration "
	  "\"99999999999ms\" out of range (expected 0ms to 1d)" },
	{ "sync_wait = 2d\n", "t.conf:1: sync_wait: duration \"2d\" out of "
	  "range (expected 0ms to 1d)" },
	{ "request_timeout = 0\n", "t.conf:1: request_timeout: duration \"0\" "
	  "out of range (expected 1s to 1d)" },
	{ "dovecot_policy_api_header = X-API-Key\n", "t.conf:1: "
	  "dovecot_policy_api_header: bad header \"X-API-Key\" (expected "
	  "\"Name: value\" as Dovecot's auth_policy_server_api_header sends it)" },
	{ "dovecot_policy_api_header = X-API-Key:\n", "t.conf:1: "
	  "dovecot_policy_api_header: bad header \"X-API-Key:\" (expected "
	  "\"Name: value\" as Dovecot's auth_policy_server_api_header sends it)" },
	{ "dovecot_policy_api_header = X API: k\n", "t.conf:1: "
	  "dovecot_policy_api_header: bad header \"X API: k\" (expected "
	  "\"Name: value\" as Dovecot's auth_policy_server_api_header sends it)" },
	{ "\ndovecot_policy_listen = inet:192.0.2.1:10045\n", "t.conf:2: "
	  "dovecot_policy_listen: not on loopback, so dovecot_policy_api_header "
	  "is required" },
	{ "dovecot_policy_api_header = A: b\ndovecot_policy_listen = unix:/x\n",
	  "t.conf:2: dovecot_policy_listen: expected inet:HOST:PORT (Dovecot "
	  "speaks HTTP over TCP)" },
	{ "dovecot_policy_listen = inet:127.0.0.1:1 inet:[::1]:2\n", "t.conf:1: "
	  "dovecot_policy_listen: one endpoint only" },
	{ "policy_listen = tcp:1.2.3.4:25\n", "t.conf:1: policy_listen: bad "
	  "endpoint \"tcp:1.2.3.4:25\" (expected unix:PATH, inet:ADDRESS:PORT "
	  "or inet:[IPV6]:PORT)" },
	{ "policy_listen = unix:\n", "t.conf:1: policy_listen: bad endpoint "
	  "\"unix:\" (expected unix:PATH, inet:ADDRESS:PORT or "
	  "inet:[IPV6]:PORT)" },
	{ "policy_listen = inet:127.0.0.1\n", "t.conf:1: policy_listen: bad "
	  "endpoint \"inet:127.0.0.1\" (expected inet:ADDRESS:PORT)" },
	{ "socketmap_listen = inet:[::1:25\n", "t.conf:1: socketmap_listen: "
	  "bad endpoint \"inet:[::1:25\" (expected inet:[IPV6]:PORT)" },
	{ "policy_listen = inet:localhost:25\n", "t.conf:1: policy_listen: bad "
	  "address in \"inet:localhost:25\" (expected a numeric IPv4 address "
	  "or a bracketed IPv6 address)" },
	{ "policy_listen = inet:::1:25\n", "t.conf:1: policy_listen: bad "
	  "address in \"inet:::1:25\" (expected a numeric IPv4 address or a "
	  "bracketed IPv6 address)" },
	{ "policy_listen = inet:[127.0.0.1]:25\n", "t.conf:1: policy_listen: "
	  "bad address in \"inet:[127.0.0.1]:25\" (expected a numeric IPv4 "
	  "address or a bracketed IPv6 address)" },
	{ "policy_listen = inet:127.0.0.1:0\n", "t.conf:1: policy_listen: bad "
	  "port in \"inet:127.0.0.1:0\" (expected 1 to 65535)" },
	{ "policy_listen = inet:127.0.0.1:65536\n", "t.conf:1: policy_listen: "
	  "bad port in \"inet:127.0.0.1:65536\" (expected 1 to 65535)" },
	{ "policy_listen = inet:[::1]:\n", "t.conf:1: policy_listen: bad port "
	  "in \"inet:[::1]:\" (expected 1 to 65535)" },
	{ "policy_listen = inet:[::1]:smtp\n", "t.conf:1: policy_listen: bad "
	  "port in \"inet:[::1]:smtp\" (expected 1 to 65535)" },
	{ "ignore_networks = 10.0.0.0/33\n", "t.conf:1: ignore_networks: bad "
	  "network \"10.0.0.0/33\" (expected ADDRESS or ADDRESS/PREFIX)" },
	{ "ignore_networks = ::1, example.org\n", "t.conf:1: ignore_networks: "
	  "bad network \"example.org\" (expected ADDRESS or ADDRESS/PREFIX)" },
	{ "ignore_networks = 10.1.2.3/8\n", "t.conf:1: ignore_networks: host "
	  "bits set in \"10.1.2.3/8\" (did you mean 10.0.0.0/8?)" },
	{ "ignore_networks = 2001:db8::1/32\n", "t.conf:1: ignore_networks: "
	  "host bits set in \"2001:db8::1/32\" (did you mean 2001:db8::/32?)" },
	{ "socket_mode = 0999\n", "t.conf:1: socket_mode: bad mode \"0999\" "
	  "(expected an octal number from 0 to 0777)" },
	{ "socket_mode = 1777\n", "t.conf:1: socket_mode: bad mode \"1777\" "
	  "(expected an octal number from 0 to 0777)" },
	{ "socket_mode = rw\n", "t.conf:1: socket_mode: bad mode \"rw\" "
	  "(expected an octal number from 0 to 0777)" },
	{ "ipv6_prefix = 0\n", "t.conf:1: ipv6_prefix: bad number \"0\" "
	  "(expected an integer from 32 to 128)" },
	{ "ipv6_prefix = 1\n", "t.conf:1: ipv6_prefix: bad number \"1\" "
	  "(expected an integer from 32 to 128)" },
	{ "ipv6_prefix = 31\n", "t.conf:1: ipv6_prefix: bad number \"31\" "
	  "(expected an integer from 32 to 128)" },
	{ "ipv6_prefix = 129\n", "t.conf:1: ipv6_prefix: bad number \"129\" "
	  "(expected an integer from 32 to 128)" },
	{ "max_clients = 1000001\n", "t.conf:1: max_clients: bad number "
	  "\"1000001\" (expected an integer from 1 to 1000000)" },
	{ "max_clients = +5\n", "t.conf:1: max_clients: bad number \"+5\" "
	  "(expected an integer from 1 to 1000000)" },
	{ "max_clients = 99999999999999999999\n", "t.conf:1: max_clients: bad "
	  "number \"99999999999999999999\" (expected an integer from 1 to "
	  "1000000)" },
	{ "export_format = qmail\n", "t.conf:1: export_format: bad value "
	  "\"qmail\" (expected postfix, sendmail, exim, tcprules or "
	  "tcprules-ipv6)" },
	{ "export_prepend = /nonexistent/static\n", "t.conf:1: export_prepend: "
	  "/nonexistent/static: No such file or directory" },
	{ "export_prepend = /tmp\n", "t.conf:1: export_prepend: /tmp: not a "
	  "regular file" },
	{ "journal = maybe\n", "t.conf:1: journal: bad value \"maybe\" "
	  "(expected no, yes or auto)" },
	{ "start_at = END\n", "t.conf:1: start_at: bad value \"END\" "
	  "(expected end or beginning)" },
	{ "session_tracking = 1\n", "t.conf:1: session_tracking: bad value "
	  "\"1\" (expected no or yes)" },
	{ "policy_action =\n", "t.conf:1: policy_action: bad value \"\" "
	  "(expected non-empty printable ASCII text)" },
	{ "socketmap_value = OK\x01\n", "t.conf:1: socketmap_value: bad value "
	  "\"OK\\x01\" (expected non-empty printable ASCII text)" },
	{ "policy_action = OK\xc3\xa9\n", "t.conf:1: policy_action: bad value "
	  "\"OK\\xc3\\xa9\" (expected non-empty printable ASCII text)" },
	{ "database =\n", "t.conf:1: database: must not be empty" },
};

static void test_bad_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
		expect_error(bad_cases[i].text, bad_cases[i].message);
}

static void test_bad_format_name(void **state)
{
	char expected[CONFIG_ERR_MAX];

	(void)state;
	snprintf(expected, sizeof expected, "t.conf:2: log_formats: unknown "
		 "format \"exchange\" (expected auto or built-in formats: %s)",
		 match_format_names());
	expect_error("log_formats = auto\nlog_formats = dovecot exchange\n",
		     "t.conf:2: duplicate key \"log_formats\" (first set on "
		     "line 1)");
	expect_error("\nlog_formats = dovecot exchange\n", expected);
}

/* expect_pattern_error - the message is match_check_pattern's own */
static void expect_pattern_error(const char *pattern)
{
	char text[256], msg[CONFIG_ERR_MAX], expected[CONFIG_ERR_MAX + 32];

	assert_int_equal(match_check_pattern(pattern, msg, sizeof msg), -1);
	snprintf(expected, sizeof expected, "t.conf:2: pattern: %s", msg);
	snprintf(text, sizeof text, "pattern = (?<ip>x)\npattern = %s\n",
		 pattern);
	expect_error(text, expected);
}

static void test_bad_patterns(void **state)
{
	(void)state;
	expect_pattern_error("popd: (?<user>\\S+) from (\\S+)");
	expect_pattern_error("popd: (?<ip>\\S+");
	expect_pattern_error("(?<ip>[0-9.]+))");
}

static void test_nul_byte(void **state)
{
	static const char text[] = "window = 5m\nuser = a\0b\n";

	(void)state;
	assert_int_equal(config_parse(&cfg, "t.conf", text, sizeof text - 1,
				      err, sizeof err), -1);
	assert_string_equal(err, "t.conf:2: NUL byte in line");
	assert_int_equal(config_parse(&cfg, "t.conf", "\0", 1, err, sizeof err), -1);
	assert_string_equal(err, "t.conf:1: NUL byte in line");
	/* a NUL in a comment line is still refused */
	assert_int_equal(config_parse(&cfg, "t.conf", "#\0\n", 3, err,
				      sizeof err), -1);
	assert_string_equal(err, "t.conf:1: NUL byte in line");
}

static void test_huge_and_hostile_lines(void **state)
{
	size_t n = 200000;
	char *text = malloc(n + 64);

	(void)state;
	assert_non_null(text);
	memset(text, 'k', n);
	strcpy(text + n, " = 1\n");
	assert_int_equal(parse_text(text), -1);
	assert_true(strlen(err) < 120);
	assert_int_equal(strncmp(err, "t.conf:1: unknown key \"kkkk", 27), 0);
	assert_non_null(strstr(err, "...\""));
	strcpy(text, "window = ");
	memset(text + 9, '9', n);
	strcpy(text + 9 + n, "\n");
	assert_int_equal(parse_text(text), -1);
	assert_true(strlen(err) < 200);
	free(text);
	expect_error("\x1b[2J\xff = 1\n", "t.conf:1: unknown key "
		     "\"\\x1b[2J\\xff\"");
	expect_error("user = a\nwindow = \x1b\n", "t.conf:2: window: bad "
		     "duration \"\\x1b\" (expected a number with an optional s, "
		     "m, h or d suffix)");
}

static void test_random_junk_never_crashes(void **state)
{
	static const char alphabet[] = "= #\n\r\t,:[]/0123456789smhdx\0\xff"
		"windowuserpattern(?<ip>)inet:unix:.";
	char buf[96];
	unsigned seed = 12345;
	int i;
	size_t j;

	(void)state;
	for (i = 0; i < 20000; i++) {
		size_t len = (seed = seed * 1103515245u + 12345u) % sizeof buf;

		for (j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		if (config_parse(&cfg, "f", buf, len, err, sizeof err) == 0)
			config_free(&cfg);
		else
			assert_int_equal(strncmp(err, "f:", 2), 0);
	}
	/* a tiny error buffer is not overrun */
	assert_int_equal(config_parse(&cfg, "f", "x", 1, err, 5), -1);
	assert_string_equal(err, "f:1:");
	assert_int_equal(config_parse(&cfg, "f", "x", 1, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_values, teardown),
		cmocka_unit_test_teardown(test_bad_format_name, teardown),
		cmocka_unit_test_teardown(test_bad_patterns, teardown),
		cmocka_unit_test_teardown(test_nul_byte, teardown),
		cmocka_unit_test_teardown(test_huge_and_hostile_lines, teardown),
		cmocka_unit_test_teardown(test_random_junk_never_crashes, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
