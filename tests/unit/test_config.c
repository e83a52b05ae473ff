/*
 * test_config.c - popgate.conf: defaults, every key, the -n output and
 * its round trip, the lexing rules, and the exact message for each kind
 * of bad input (including NUL bytes, huge lines and random junk).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "config.h"
#include "match.h"

static struct config cfg;
static char err[CONFIG_ERR_MAX];

static int teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	return 0;
}

static int parse_text(const char *text)
{
	return config_parse(&cfg, "t.conf", text, strlen(text), err, sizeof err);
}

static void parse_good(const char *text)
{
	if (parse_text(text) != 0)
		fail_msg("unexpected error: %s", err);
}

static void expect_error(const char *text, const char *expected)
{
	assert_int_equal(parse_text(text), -1);
	assert_string_equal(err, expected);
	assert_null(cfg.database);	/* nothing is left behind */
}

/* printed - config_print of CFG into a malloc'ed string */
static char *printed(const struct config *c)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	config_print(c, f);
	fclose(f);
	return text;
}

static void test_defaults(void **state)
{
	(void)state;
	config_init(&cfg);
	assert_null(cfg.file);
	assert_string_equal(cfg.database, "/var/lib/popgate/popgate.lmdb");
	assert_int_equal(cfg.log_files.n, 1);
	assert_string_equal(cfg.log_files.v[0], "/var/log/mail.log");
	assert_int_equal(cfg.log_formats.n, 1);
	assert_string_equal(cfg.log_formats.v[0], "auto");
	assert_int_equal(cfg.patterns.n, 0);
	assert_int_equal(cfg.window, 1800);
	assert_int_equal(cfg.policy_listen.n, 1);
	assert_int_equal(cfg.policy_listen.v[0].kind, ENDPOINT_UNIX);
	assert_string_equal(cfg.policy_listen.v[0].path,
			    "/var/spool/postfix/private/popgate");
	assert_string_equal(cfg.policy_action, "OK");
	assert_string_equal(cfg.socketmap_value, "OK");
	assert_int_equal(cfg.socket_mode, 0666);
	assert_int_equal(cfg.socketmap_listen.n, 0);
	assert_string_equal(cfg.export_map, "");
	assert_int_equal(cfg.export_format, EXPORT_POSTFIX);
	assert_string_equal(cfg.export_command, "");
	assert_int_equal(cfg.ignore_networks.n, 2);
	assert_int_equal(cfg.ipv6_prefix, 128);
	assert_string_equal(cfg.user, "popgate");
	assert_int_equal(cfg.start_at, START_AT_END);
	assert_int_equal(cfg.rotate_wait, 5);
	assert_int_equal(cfg.sweep_interval, 60);
	assert_int_equal(cfg.max_clients, 1000);
	assert_int_equal(cfg.idle_timeout, 330);
	assert_int_equal(cfg.journal, JOURNAL_AUTO);
	assert_int_equal(cfg.journal_units.n, 1);
	assert_string_equal(cfg.journal_units.v[0], "dovecot.service");
	assert_string_equal(cfg.journal_directory, "");
	assert_int_equal(cfg.session_tracking, 1);
	assert_int_equal(cfg.session_max, 86400);
}

static void test_empty_file_is_defaults(void **state)
{
	struct config defaults;
	char *a, *b;

	(void)state;
	parse_good("\n   \n# only a comment\n\t# another\n");
	assert_string_equal(cfg.file, "t.conf");
	config_init(&defaults);
	a = printed(&cfg);
	b = printed(&defaults);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(&defaults);
}

static const char every_key[] =
	"database = /tmp/x y.lmdb\n"
	"log_files = /var/log/a.log, /var/log/b.log /var/log/c.log\n"
	"log_formats = dovecot\n"
	"pattern = ^\\S+ popd: ok (?<user>\\S+) from (?<ip>\\S+) # x=1\n"
	"window = 2h\n"
	"policy_listen = inet:127.0.0.1:10040, inet:[::1]:10041 unix:/run/p\n"
	"policy_action = PREPEND X-Popgate: yes\n"
	"socketmap_value = RELAY\n"
	"socket_mode = 0660\n"
	"socketmap_listen = inet:[::]:10042\n"
	"export_map = /etc/postfix/popgate\n"
	"export_format = sendmail\n"
	"export_command = postmap /etc/postfix/popgate\n"
	"ignore_networks = 10.0.0.0/8,192.0.2.7 2001:db8::/32\n"
	"ipv6_prefix = 64\n"
	"user = nobody\n"
	"start_at = beginning\n"
	"rotate_wait = 90\n"
	"sweep_interval = 2m\n"
	"max_clients = 1000000\n"
	"idle_timeout = 1d\n"
	"journal = yes\n"
	"journal_units = dovecot.service, postfix@-.service\n"
	"journal_directory = /var/log/journal/remote\n"
	"session_tracking = no\n"
	"session_max = 12h\n"
	"pattern = (?<ip>[0-9.]+) second\n";

static const char every_key_printed[] =
	"database = /tmp/x y.lmdb\n"
	"log_files = /var/log/a.log, /var/log/b.log, /var/log/c.log\n"
	"# built-in formats: %s\n"
	"log_formats = dovecot\n"
	"pattern = ^\\S+ popd: ok (?<user>\\S+) from (?<ip>\\S+) # x=1\n"
	"pattern = (?<ip>[0-9.]+) second\n"
	"window = 2h\n"
	"policy_listen = inet:127.0.0.1:10040, inet:[::1]:10041, unix:/run/p\n"
	"policy_action = PREPEND X-Popgate: yes\n"
	"socketmap_value = RELAY\n"
	"socket_mode = 0660\n"
	"socketmap_listen = inet:[::]:10042\n"
	"export_map = /etc/postfix/popgate\n"
	"export_format = sendmail\n"
	"export_command = postmap /etc/postfix/popgate\n"
	"ignore_networks = 10.0.0.0/8, 192.0.2.7/32, 2001:db8::/32\n"
	"ipv6_prefix = 64\n"
	"user = nobody\n"
	"start_at = beginning\n"
	"rotate_wait = 90s\n"
	"sweep_interval = 2m\n"
	"max_clients = 1000000\n"
	"idle_timeout = 1d\n"
	"journal = yes\n"
	"journal_units = dovecot.service, postfix@-.service\n"
	"journal_directory = /var/log/journal/remote\n"
	"session_tracking = no\n"
	"session_max = 12h\n";

static void test_every_key(void **state)
{
	(void)state;
	parse_good(every_key);
	assert_string_equal(cfg.database, "/tmp/x y.lmdb");
	assert_int_equal(cfg.log_files.n, 3);
	assert_string_equal(cfg.log_files.v[2], "/var/log/c.log");
	assert_string_equal(cfg.log_formats.v[0], "dovecot");
	assert_int_equal(cfg.patterns.n, 2);
	assert_string_equal(cfg.patterns.v[0].text,
		"^\\S+ popd: ok (?<user>\\S+) from (?<ip>\\S+) # x=1");
	assert_int_equal(cfg.patterns.v[0].line, 4);
	assert_int_equal(cfg.patterns.v[1].line, 27);
	assert_int_equal(cfg.window, 7200);
	assert_int_equal(cfg.policy_listen.n, 3);
	assert_int_equal(cfg.policy_listen.v[0].kind, ENDPOINT_INET);
	assert_string_equal(cfg.policy_listen.v[0].host, "127.0.0.1");
	assert_int_equal(cfg.policy_listen.v[0].port, 10040);
	assert_string_equal(cfg.policy_listen.v[1].host, "::1");
	assert_int_equal(cfg.policy_listen.v[1].port, 10041);
	assert_int_equal(cfg.policy_listen.v[2].kind, ENDPOINT_UNIX);
	assert_string_equal(cfg.policy_listen.v[2].path, "/run/p");
	assert_string_equal(cfg.policy_action, "PREPEND X-Popgate: yes");
	assert_string_equal(cfg.socketmap_value, "RELAY");
	assert_int_equal(cfg.socket_mode, 0660);
	assert_string_equal(cfg.socketmap_listen.v[0].host, "::");
	assert_string_equal(cfg.export_map, "/etc/postfix/popgate");
	assert_int_equal(cfg.export_format, EXPORT_SENDMAIL);
	assert_string_equal(cfg.export_command, "postmap /etc/postfix/popgate");
	assert_int_equal(cfg.ignore_networks.n, 3);
	assert_int_equal(cfg.ignore_networks.v[0].prefix, 96 + 8);
	assert_int_equal(cfg.ignore_networks.v[1].prefix, 128);
	assert_int_equal(cfg.ignore_networks.v[2].prefix, 32);
	assert_int_equal(cfg.ipv6_prefix, 64);
	assert_string_equal(cfg.user, "nobody");
	assert_int_equal(cfg.start_at, START_AT_BEGINNING);
	assert_int_equal(cfg.rotate_wait, 90);
	assert_int_equal(cfg.sweep_interval, 120);
	assert_int_equal(cfg.max_clients, 1000000);
	assert_int_equal(cfg.idle_timeout, 86400);
	assert_int_equal(cfg.journal, JOURNAL_YES);
	assert_int_equal(cfg.journal_units.n, 2);
	assert_string_equal(cfg.journal_directory, "/var/log/journal/remote");
	assert_int_equal(cfg.session_tracking, 0);
	assert_int_equal(cfg.session_max, 43200);
}

static void test_print_and_round_trip(void **state)
{
	char expected[sizeof every_key_printed + 512];
	struct config again;
	char *first, *second;

	(void)state;
	parse_good(every_key);
	first = printed(&cfg);
	snprintf(expected, sizeof expected, every_key_printed,
		 match_format_names());
	assert_string_equal(first, expected);
	assert_int_equal(config_parse(&again, "again", first, strlen(first),
				      err, sizeof err), 0);
	second = printed(&again);
	assert_string_equal(first, second);
	assert_int_equal(again.patterns.n, 2);
	assert_int_equal(again.rotate_wait, 90);
	free(first);
	free(second);
	config_free(&again);
}

static void test_round_trip_defaults_and_empties(void **state)
{
	struct config again;
	char *first, *second;

	(void)state;
	parse_good("log_files =\nignore_networks =\nlog_formats=\nuser =\n"
		   "policy_listen = \t \njournal_units = , ,\n");
	assert_int_equal(cfg.log_files.n, 0);
	assert_int_equal(cfg.ignore_networks.n, 0);
	assert_int_equal(cfg.log_formats.n, 0);
	assert_int_equal(cfg.policy_listen.n, 0);
	assert_int_equal(cfg.journal_units.n, 0);
	assert_string_equal(cfg.user, "");
	first = printed(&cfg);
	assert_non_null(strstr(first, "\nlog_files =\n"));
	assert_non_null(strstr(first, "\nuser =\n"));
	assert_null(strstr(first, "pattern"));
	assert_int_equal(config_parse(&again, "again", first, strlen(first),
				      err, sizeof err), 0);
	second = printed(&again);
	assert_string_equal(first, second);
	free(first);
	free(second);
	config_free(&again);
}

static void test_lexing(void **state)
{
	(void)state;
	/* '#' only starts a comment as the first non-blank of a line; a
	 * value may contain '#' and '='; blanks around key and value go */
	parse_good("  # comment = ignored\n"
		   "\t user\t=\t a#b=c  \n"
		   "export_command=x=1 # not a comment\n"
		   "#window = 5x\n"
		   "policy_action = #OK\n");
	assert_string_equal(cfg.user, "a#b=c");
	assert_string_equal(cfg.export_command, "x=1 # not a comment");
	assert_string_equal(cfg.policy_action, "#OK");
	assert_int_equal(cfg.window, 1800);
	config_free(&cfg);
	/* CRLF line endings are tolerated: the CR is a trailing blank */
	parse_good("window = 5m\r\nuser = bob\r\n\r\n# c\r\nstart_at = beginning");
	assert_int_equal(cfg.window, 300);
	assert_string_equal(cfg.user, "bob");
	assert_int_equal(cfg.start_at, START_AT_BEGINNING);
	config_free(&cfg);
	/* no trailing newline, no continuation lines */
	expect_error("user = a \\\nb\n", "t.conf:2: expected \"key = value\"");
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		unsigned seconds;
	} good[] = {
		{ "1", 1 }, { "45s", 45 }, { "30m", 1800 }, { "2h", 7200 },
		{ "7d", 604800 }, { "0090", 90 }, { "365d", 31536000 },
	};
	char text[64], buf[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(text, sizeof text, "window = %s\n", good[i].text);
		parse_good(text);
		assert_int_equal(cfg.window, good[i].seconds);
		config_free(&cfg);
	}
	format_duration(0, buf, sizeof buf);
	assert_string_equal(buf, "0s");
	format_duration(90, buf, sizeof buf);
	assert_string_equal(buf, "90s");
	format_duration(3600, buf, sizeof buf);
	assert_string_equal(buf, "1h");
	format_duration(5400, buf, sizeof buf);
	assert_string_equal(buf, "90m");
	format_duration(86400 * 3, buf, sizeof buf);
	assert_string_equal(buf, "3d");
	format_duration(4294967295u, buf, sizeof buf);
	assert_string_equal(buf, "4294967295s");
}

struct bad_case {
	const char *text;
	const char *message;
};

static const struct bad_case bad_cases[] = {
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
	  "(expected an integer from 1 to 128)" },
	{ "ipv6_prefix = 129\n", "t.conf:1: ipv6_prefix: bad number \"129\" "
	  "(expected an integer from 1 to 128)" },
	{ "max_clients = 1000001\n", "t.conf:1: max_clients: bad number "
	  "\"1000001\" (expected an integer from 1 to 1000000)" },
	{ "max_clients = +5\n", "t.conf:1: max_clients: bad number \"+5\" "
	  "(expected an integer from 1 to 1000000)" },
	{ "max_clients = 99999999999999999999\n", "t.conf:1: max_clients: bad "
	  "number \"99999999999999999999\" (expected an integer from 1 to "
	  "1000000)" },
	{ "export_format = exim\n", "t.conf:1: export_format: bad value "
	  "\"exim\" (expected postfix or sendmail)" },
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

static void test_load_files(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/missing.conf", dir);
	assert_int_equal(config_load(&cfg, path, err, sizeof err), -1);
	assert_true(strcmp(err + strlen(path), ": No such file or directory") == 0);
	assert_null(cfg.database);
	assert_int_equal(config_load(&cfg, dir, err, sizeof err), -1);
	assert_true(strncmp(err, dir, strlen(dir)) == 0);
	assert_string_equal(err + strlen(dir), ": Is a directory");
	snprintf(path, sizeof path, "%s/p.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("user =\nwindow = 10m\nbogus = 1\n", f);
	fclose(f);
	assert_int_equal(config_load(&cfg, path, err, sizeof err), -1);
	assert_string_equal(err + strlen(path), ":3: unknown key \"bogus\"");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("user =\nwindow = 10m\n", f);
	fclose(f);
	assert_int_equal(config_load(&cfg, path, err, sizeof err), 0);
	assert_string_equal(cfg.file, path);
	assert_int_equal(cfg.window, 600);
	config_free(&cfg);
	if (geteuid() != 0) {	/* root reads anything */
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(config_load(&cfg, path, err, sizeof err), -1);
		assert_string_equal(err + strlen(path), ": Permission denied");
	}
	unlink(path);
	rmdir(dir);
}

static void test_free_is_idempotent(void **state)
{
	(void)state;
	parse_good(every_key);
	config_free(&cfg);
	config_free(&cfg);
	assert_null(cfg.database);
	assert_int_equal(cfg.patterns.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_empty_file_is_defaults, teardown),
		cmocka_unit_test_teardown(test_every_key, teardown),
		cmocka_unit_test_teardown(test_print_and_round_trip, teardown),
		cmocka_unit_test_teardown(test_round_trip_defaults_and_empties,
					  teardown),
		cmocka_unit_test_teardown(test_lexing, teardown),
		cmocka_unit_test_teardown(test_durations, teardown),
		cmocka_unit_test_teardown(test_bad_values, teardown),
		cmocka_unit_test_teardown(test_bad_format_name, teardown),
		cmocka_unit_test_teardown(test_bad_patterns, teardown),
		cmocka_unit_test_teardown(test_nul_byte, teardown),
		cmocka_unit_test_teardown(test_huge_and_hostile_lines, teardown),
		cmocka_unit_test_teardown(test_random_junk_never_crashes,
					  teardown),
		cmocka_unit_test_teardown(test_load_files, teardown),
		cmocka_unit_test_teardown(test_free_is_idempotent, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
