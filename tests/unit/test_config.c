/*
 * test_config.c - popgate.conf: defaults, every key, the -n output and
 * its round trip, the lexing rules, the shipped sample configs, and
 * reading files. Bad input is in test_config_errors.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_test.h"
#include "match.h"

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
	"export_prepend = /etc/passwd\n"
	"export_command = postmap /etc/postfix/popgate\n"
	"ignore_networks = 10.0.0.0/8,192.0.2.7 2001:db8::/32\n"
	"ipv6_prefix = 64\n"
	"request_timeout = 30\n"
	"sync_wait = 1500ms\n"
	"dovecot_policy_listen = inet:[::]:10045\n"
	"dovecot_policy_api_header = X-API-Key:  s3cret word\n"
	"syslog_name = popgate-test\n"
	"syslog_facility = local2\n"
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
	"ignore_users = test, shared-box\n"
	"shared_address_users = 5\n"
	"unlisted_action = DEFER_IF_REJECT\n"
	"unlisted_text = Check your mail first\n"
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
	"export_prepend = /etc/passwd\n"
	"export_command = postmap /etc/postfix/popgate\n"
	"ignore_networks = 10.0.0.0/8, 192.0.2.7/32, 2001:db8::/32\n"
	"ignore_users = test, shared-box\n"
	"shared_address_users = 5\n"
	"ipv6_prefix = 64\n"
	"unlisted_action = DEFER_IF_REJECT\n"
	"unlisted_text = Check your mail first\n"
	"request_timeout = 30s\n"
	"sync_wait = 1500ms\n"
	"dovecot_policy_listen = inet:[::]:10045\n"
	"dovecot_policy_api_header = X-API-Key:  s3cret word\n"
	"syslog_name = popgate-test\n"
	"syslog_facility = local2\n"
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
	assert_int_equal(cfg.patterns.v[1].line, 38);
	assert_int_equal(cfg.window, 7200);
	assert_string_equal(cfg.syslog_name, "popgate-test");
	assert_int_equal(config_facility(&cfg), LOG_LOCAL2);
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
	assert_string_equal(cfg.export_prepend, "/etc/passwd");
	assert_string_equal(cfg.export_command, "postmap /etc/postfix/popgate");
	assert_int_equal(cfg.ignore_networks.n, 3);
	assert_int_equal(cfg.ignore_networks.v[0].prefix, 96 + 8);
	assert_int_equal(cfg.ignore_networks.v[1].prefix, 128);
	assert_int_equal(cfg.ignore_networks.v[2].prefix, 32);
	assert_int_equal(cfg.ipv6_prefix, 64);
	assert_int_equal(cfg.ignore_users.n, 2);
	assert_string_equal(cfg.ignore_users.v[1], "shared-box");
	assert_int_equal(cfg.shared_address_users, 5);
	assert_int_equal(cfg.unlisted_action, UNLISTED_DEFER_IF_REJECT);
	assert_string_equal(cfg.unlisted_text, "Check your mail first");
	assert_int_equal(cfg.request_timeout, 30);
	assert_int_equal(cfg.sync_wait_ms, 1500);
	assert_int_equal(cfg.dovecot_policy_listen.n, 1);
	assert_string_equal(cfg.dovecot_policy_listen.v[0].host, "::");
	assert_int_equal(cfg.dovecot_policy_listen.v[0].port, 10045);
	assert_string_equal(cfg.dovecot_policy_api_header,
			    "X-API-Key:  s3cret word");
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
	static const struct {
		const char *text, *printed;
		unsigned ms;
	} ms[] = {
		{ "0", "0ms", 0 }, { "250ms", "250ms", 250 }, { "1", "1s", 1000 },
		{ "2000ms", "2s", 2000 }, { "1m", "1m", 60000 },
		{ "1d", "1d", 86400000 }, { "1001ms", "1001ms", 1001 },
	};
	char line[64];

	for (i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		char *out;

		snprintf(text, sizeof text, "sync_wait = %s\n", ms[i].text);
		parse_good(text);
		assert_int_equal(cfg.sync_wait_ms, ms[i].ms);
		out = printed(&cfg);
		snprintf(line, sizeof line, "\nsync_wait = %s\n", ms[i].printed);
		if (strstr(out, line) == NULL)
			fail_msg("sync_wait = %s printed as: %s", ms[i].text, out);
		free(out);
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

/* contrib_path - FILE under the top of the tree (tests run from there) */
static void contrib_path(char *buf, size_t size, const char *file)
{
	const char *top = getenv("POPGATE_TOP");

	snprintf(buf, size, "%s/contrib/%s", top ? top : ".", file);
}

/* uncommented - TEXT with "#key = value" lines turned into settings */
static char *uncommented(const char *text)
{
	char *out = strdup(text), *p = out;

	assert_non_null(out);
	while ((p = strstr(p, "\n#")) != NULL) {
		p += 2;		/* just after the '#' */
		if (*p >= 'a' && *p <= 'z' && p[strcspn(p, " \n")] == ' ')
			p[-1] = ' ';
	}
	return out;
}

/* read_all - the contents of PATH as a string */
static char *read_all(const char *path)
{
	char *text = calloc(1, 65536);
	FILE *f = fopen(path, "r");

	assert_non_null(text);
	assert_non_null(f);
	assert_true(fread(text, 1, 65535, f) > 0);
	fclose(f);
	return text;
}

/* without_line - drop the line starting with PREFIX from TEXT */
static void without_line(char *text, const char *prefix)
{
	char *p = strstr(text, prefix), *next;

	assert_non_null(p);
	next = strchr(p, '\n');
	memmove(p, next + 1, strlen(next + 1) + 1);
}

static void test_contrib_files(void **state)
{
	char path[4096], *text, *defaults, *sample;
	struct config plain;

	(void)state;
	config_init(&plain);
	defaults = printed(&plain);
	config_free(&plain);
	/* the sample config is all defaults, commented out or not */
	contrib_path(path, sizeof path, "popgate.conf");
	if (config_load(&cfg, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	sample = printed(&cfg);
	assert_string_equal(sample, defaults);
	free(sample);
	config_free(&cfg);
	text = read_all(path);
	sample = uncommented(text);
	if (config_parse(&cfg, path, sample, strlen(sample), err, sizeof err))
		fail_msg("%s", err);
	free(text);
	free(sample);
	assert_int_equal(cfg.patterns.n, 1);	/* the example pattern */
	sample = printed(&cfg);
	without_line(sample, "pattern = ");
	assert_string_equal(sample, defaults);
	free(sample);
	free(defaults);
	config_free(&cfg);
	/* make run's config */
	contrib_path(path, sizeof path, "popgate-local.conf");
	if (config_load(&cfg, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.database, "var/popgate.lmdb");
	assert_string_equal(cfg.user, "");
	assert_int_equal(cfg.policy_listen.n, 1);
	assert_string_equal(cfg.policy_listen.v[0].host, "127.0.0.1");
	assert_int_equal(cfg.policy_listen.v[0].port, 10040);
	assert_int_equal(cfg.log_files.n, 1);
	assert_string_equal(cfg.log_files.v[0], "/var/log/mail.log");
	assert_int_equal(cfg.window, 1800);
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

/* ignore_networks: "/FILE" entries, their comments, their errors */
static void test_networks_file(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64], text[256];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/shared.networks", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# carrier-grade NAT (RFC 6598)\n100.64.0.0/10\n\n"
	      "  2001:db8:f00::/48   # a fetcher\n198.51.100.7\n", f);
	fclose(f);
	snprintf(text, sizeof text, "ignore_networks = 127.0.0.0/8, %s\n", path);
	parse_good(text);
	assert_int_equal(cfg.ignore_networks.n, 4);
	assert_int_equal(cfg.ignore_networks.v[1].prefix, 96 + 10);
	assert_int_equal(cfg.ignore_networks.v[2].prefix, 48);
	assert_int_equal(cfg.ignore_networks.v[3].prefix, 128);
	assert_int_equal(cfg.ignore_networks.words.n, 2);
	assert_string_equal(cfg.ignore_networks.words.v[1], path);
	config_free(&cfg);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("100.64.0.0/10\n# x\n100.64.0.1/10\n", f);
	fclose(f);
	assert_int_equal(config_parse(&cfg, "t.conf", text, strlen(text), err,
				      sizeof err), -1);
	snprintf(text, sizeof text, "t.conf:1: ignore_networks: %s:3: host "
		 "bits set in \"100.64.0.1/10\" (did you mean 100.64.0.0/10?)",
		 path);
	assert_string_equal(err, text);
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
		cmocka_unit_test_teardown(test_networks_file, teardown),
		cmocka_unit_test_teardown(test_empty_file_is_defaults, teardown),
		cmocka_unit_test_teardown(test_every_key, teardown),
		cmocka_unit_test_teardown(test_print_and_round_trip, teardown),
		cmocka_unit_test_teardown(test_round_trip_defaults_and_empties, teardown),
		cmocka_unit_test_teardown(test_lexing, teardown),
		cmocka_unit_test_teardown(test_durations, teardown),
		cmocka_unit_test_teardown(test_contrib_files, teardown),
		cmocka_unit_test_teardown(test_load_files, teardown),
		cmocka_unit_test_teardown(test_free_is_idempotent, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
