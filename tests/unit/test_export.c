/*
 * test_export.c - the access-map export: line formats (Postfix, Sendmail,
 * Exim, tcprules, IPv6 prefixes), export_prepend, the file built from a real LMDB store (expired entries
 * left out, outside writes noticed, rewrites coalesced), export_command,
 * and atomic replacement under a reader that runs during 1000 rewrites.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "export.h"
#include "store.h"
#include "util.h"

#define T0 1700000000

static char dir[] = "/tmp/test_export.XXXXXX";
static char db[256], map[256], ran[256];

static void path_in_dir(char *out, const char *name)
{
	snprintf(out, 256, "%s/%s", dir, name);
}

static struct addr A(const char *text)
{
	struct addr a;

	assert_int_equal(addr_parse(text, strlen(text), &a), 0);
	return a;
}

static void collect(const char *l, void *ctx)
{
	strcat(ctx, l);
}

static void lines(enum export_format f, const char *value, unsigned prefix,
		  const char *ip, const char *want)
{
	struct export_style st = { f, value, prefix };
	struct addr a = A(ip);
	static char out[1 << 16];
	size_t n, newlines = 0;
	const char *c;

	if (prefix < 128)
		addr_apply_ipv6_prefix(&a, prefix);
	out[0] = '\0';
	n = export_entry(&st, &a, collect, out);
	for (c = out; *c; c++)
		newlines += *c == '\n';
	assert_int_equal(n, newlines);
	assert_string_equal(out, want);
}

static void test_lines(void **state)
{
	(void)state;
	lines(EXPORT_POSTFIX, "OK", 128, "192.0.2.7", "192.0.2.7 OK\n");
	lines(EXPORT_POSTFIX, "OK", 128, "2001:db8::1", "2001:db8::1 OK\n");
	lines(EXPORT_POSTFIX, "OK", 64, "2001:db8:1:2:3::1", "2001:db8:1:2::/64 OK\n");
	lines(EXPORT_POSTFIX, "OK", 64, "192.0.2.7", "192.0.2.7 OK\n");
	lines(EXPORT_EXIM, "OK", 128, "192.0.2.7", "192.0.2.7 OK\n");
	lines(EXPORT_EXIM, "OK", 128, "2001:db8::1", "\"2001:db8::1\" OK\n");
	lines(EXPORT_EXIM, "OK", 64, "2001:db8:1:2:3::1",
	      "\"2001:db8:1:2::/64\" OK\n");
	lines(EXPORT_SENDMAIL, "RELAY", 128, "192.0.2.7", "Connect:192.0.2.7 RELAY\n");
	/* IPV6_FULL first, then the compressed form of other builds */
	lines(EXPORT_SENDMAIL, "RELAY", 128, "2001:db8::1",
	      "Connect:IPv6:2001:db8:0:0:0:0:0:1 RELAY\n"
	      "Connect:IPv6:2001:db8::1 RELAY\n");
	lines(EXPORT_SENDMAIL, "RELAY", 128, "2001:db8:1:2:3:4:5:6",
	      "Connect:IPv6:2001:db8:1:2:3:4:5:6 RELAY\n");
	lines(EXPORT_SENDMAIL, "RELAY", 64, "2001:db8:1:2:3::1",
	      "Connect:IPv6:2001:db8:1:2 RELAY\n");
	lines(EXPORT_SENDMAIL, "RELAY", 64, "2001:db8::1",
	      "Connect:IPv6:2001:db8:0:0 RELAY\n");
	lines(EXPORT_SENDMAIL, "RELAY", 62, "2001:db8:1:7::1",
	      "Connect:IPv6:2001:db8:1:4 RELAY\nConnect:IPv6:2001:db8:1:5 RELAY\n"
	      "Connect:IPv6:2001:db8:1:6 RELAY\nConnect:IPv6:2001:db8:1:7 RELAY\n");
	lines(EXPORT_TCPRULES, "OK", 128, "192.0.2.7",
	      "192.0.2.7:allow,RELAYCLIENT=\"\"\n");
	lines(EXPORT_TCPRULES, "OK", 128, "2001:db8::1", "");
	lines(EXPORT_TCPRULES, "OK", 64, "2001:db8:1:2::", "");
	lines(EXPORT_TCPRULES_IPV6, "OK", 128, "192.0.2.7",
	      "192.0.2.7:allow,RELAYCLIENT=\"\"\n");
	lines(EXPORT_TCPRULES_IPV6, "OK", 128, "2001:db8::1",
	      "2001:db8::1:allow,RELAYCLIENT=\"\"\n");
	lines(EXPORT_TCPRULES_IPV6, "OK", 128, "::1", "::1:allow,RELAYCLIENT=\"\"\n");
	/* the IPv6 patch also shortens a single zero group */
	lines(EXPORT_TCPRULES_IPV6, "OK", 128, "2001:db8:0:1:2:3:4:5",
	      "2001:db8::1:2:3:4:5:allow,RELAYCLIENT=\"\"\n"
	      "2001:db8:0:1:2:3:4:5:allow,RELAYCLIENT=\"\"\n");
	lines(EXPORT_TCPRULES_IPV6, "OK", 128, "2001:0:0:1:0:0:0:5",
	      "2001:0:0:1::5:allow,RELAYCLIENT=\"\"\n");
	lines(EXPORT_TCPRULES_IPV6, "OK", 64, "2001:db8:1:2:3::1",
	      "2001:db8:1:2::allow,RELAYCLIENT=\"\"\n");
	/* a zero group in the prefix has no sure text: left out */
	lines(EXPORT_TCPRULES_IPV6, "OK", 64, "2001:db8::1", "");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (f == NULL) {
		free(buf);
		return NULL;
	}
	buf[fread(buf, 1, 65535, f)] = '\0';
	fclose(f);
	return buf;
}

static void expect_file(const char *want)
{
	char *got = slurp(map);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void login(struct store *s, const char *ip, time_t t)
{
	struct batch b;
	struct addr a = A(ip);

	batch_init(&b);
	batch_login(&b, &a, t, "pop3", "alice");
	assert_int_equal(store_apply(s, &b), 0);
	batch_free(&b);
}

static struct store *open_db(void)
{
	struct store *s = NULL;
	char err[512];

	assert_int_equal(store_open(&s, db, STORE_CREATE, 0, err, sizeof err),
			 STORE_OK);
	return s;
}

static void config_for(struct config *cfg, enum export_format f,
		       const char *command)
{
	config_init(cfg);
	free(cfg->export_map);
	cfg->export_map = xstrdup(map);
	free(cfg->export_command);
	cfg->export_command = xstrdup(command);
	cfg->export_format = f;
	cfg->window = 600;
	cfg->session_tracking = 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_off(void **state)
{
	struct config cfg;

	(void)state;
	config_init(&cfg);
	assert_null(exporter_new(&cfg));
	config_free(&cfg);
}

static void test_content_and_updates(void **state)
{
	struct config cfg;
	struct store *s = open_db(), *other = open_db();
	struct exporter *e;
	long wait;

	(void)state;
	config_for(&cfg, EXPORT_POSTFIX, "");
	e = exporter_new(&cfg);
	assert_non_null(e);
	login(s, "192.0.2.9", T0);
	login(s, "192.0.2.7", T0 - 300);
	login(s, "2001:db8::1", T0);
	login(s, "198.51.100.1", T0 - 900);	/* already expired */
	wait = exporter_tick(e, s, T0, 1);
	assert_true(wait >= 0 && wait <= 1000);
	expect_file("192.0.2.7 OK\n192.0.2.9 OK\n2001:db8::1 OK\n");

	/* a change right away waits for the coalescing second */
	login(s, "203.0.113.5", T0);
	wait = exporter_tick(e, s, T0, 1);
	assert_true(wait > 0 && wait <= 1000);
	expect_file("192.0.2.7 OK\n192.0.2.9 OK\n2001:db8::1 OK\n");
	sleep_ms(wait + 20);
	exporter_tick(e, s, T0, 0);
	expect_file("192.0.2.7 OK\n192.0.2.9 OK\n203.0.113.5 OK\n2001:db8::1 OK\n");

	/* the first expiry (192.0.2.7 at T0 + 300) */
	sleep_ms(1020);
	exporter_tick(e, s, T0 + 300, 0);
	expect_file("192.0.2.9 OK\n203.0.113.5 OK\n2001:db8::1 OK\n");

	/* an outside writer (popgate-dump -r): no "changed" from the caller */
	{
		struct batch b;
		struct addr a = A("192.0.2.9");

		batch_init(&b);
		batch_remove(&b, &a);
		assert_int_equal(store_apply(other, &b), 0);
		batch_free(&b);
	}
	sleep_ms(1020);
	exporter_tick(e, s, T0 + 300, 0);
	expect_file("203.0.113.5 OK\n2001:db8::1 OK\n");

	exporter_free(e);
	config_free(&cfg);
	store_close(other);
	store_close(s);
	unlink(db);
}

static void test_sendmail_and_command(void **state)
{
	struct config cfg;
	struct store *s = open_db();
	struct exporter *e;
	char cmd[1024];
	char *got = NULL;
	int i;

	(void)state;
	unlink(ran);
	snprintf(cmd, sizeof cmd, "cat '%s' >> '%s'; exit 3", map, ran);
	config_for(&cfg, EXPORT_SENDMAIL, cmd);
	e = exporter_new(&cfg);
	login(s, "192.0.2.7", T0);
	login(s, "2001:db8:1:2:3:4:5:6", T0);
	exporter_tick(e, s, T0, 1);
	expect_file("Connect:192.0.2.7 RELAY\n"
		    "Connect:IPv6:2001:db8:1:2:3:4:5:6 RELAY\n");
	for (i = 0; i < 500 && (got == NULL || got[0] == '\0'); i++) {
		free(got);
		sleep_ms(10);
		exporter_tick(e, s, T0, 0);
		got = slurp(ran);
	}
	assert_non_null(got);
	assert_string_equal(got, "Connect:192.0.2.7 RELAY\n"
			    "Connect:IPv6:2001:db8:1:2:3:4:5:6 RELAY\n");
	free(got);
	/* same content: neither rewritten nor the command run again */
	sleep_ms(1020);
	exporter_tick(e, s, T0, 1);
	exporter_free(e);
	got = slurp(ran);
	assert_string_equal(got, "Connect:192.0.2.7 RELAY\n"
			    "Connect:IPv6:2001:db8:1:2:3:4:5:6 RELAY\n");
	free(got);
	config_free(&cfg);
	store_close(s);
	unlink(db);
	unlink(ran);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* export_prepend: the static rules on top (a newline added), re-read at
 * each rewrite; unreadable -> the old map stays rather than one without
 * them. tcprules: an IPv6 entry is left out, never a line tcprules rejects */
static void test_prepend_and_left_out(void **state)
{
	struct config cfg;
	struct store *s = open_db();
	struct exporter *e;
	char prepend[256];

	(void)state;
	path_in_dir(prepend, "static");
	write_file(prepend, "127.:allow,RELAYCLIENT=\"\"\n:allow");
	config_for(&cfg, EXPORT_TCPRULES, "");
	free(cfg.export_prepend);
	cfg.export_prepend = xstrdup(prepend);
	e = exporter_new(&cfg);
	login(s, "192.0.2.7", T0);
	login(s, "2001:db8::1", T0);
	exporter_tick(e, s, T0, 1);
	expect_file("127.:allow,RELAYCLIENT=\"\"\n:allow\n"
		    "192.0.2.7:allow,RELAYCLIENT=\"\"\n");
	unlink(prepend);
	login(s, "192.0.2.9", T0);
	sleep_ms(1020);
	exporter_tick(e, s, T0, 1);
	expect_file("127.:allow,RELAYCLIENT=\"\"\n:allow\n"
		    "192.0.2.7:allow,RELAYCLIENT=\"\"\n");
	write_file(prepend, ":deny\n");
	sleep_ms(1020);
	exporter_tick(e, s, T0, 0);	/* still due: the failed rewrite */
	expect_file(":deny\n192.0.2.7:allow,RELAYCLIENT=\"\"\n"
		    "192.0.2.9:allow,RELAYCLIENT=\"\"\n");
	exporter_free(e);
	config_free(&cfg);
	store_close(s);
	unlink(prepend);
	unlink(db);
}

/* ---- atomic replacement ---- */

static volatile int rewriting;
static const char *content_a, *content_b;

static void *reader(void *arg)
{
	long *bad = arg;

	while (rewriting) {
		char *got = slurp(map);

		if (got == NULL || (strcmp(got, content_a) != 0 &&
				    strcmp(got, content_b) != 0))
			(*bad)++;
		free(got);
	}
	return NULL;
}

static char *repeat(const char *lineText, int n)
{
	size_t len = strlen(lineText);
	char *s = malloc(len * (size_t)n + 1);
	int i;

	for (i = 0; i < n; i++)
		memcpy(s + len * (size_t)i, lineText, len);
	s[len * (size_t)n] = '\0';
	return s;
}

static void test_atomic_replace(void **state)
{
	pthread_t t;
	long bad = 0;
	char err[512];
	int i;

	(void)state;
	content_a = repeat("192.0.2.1 OK\n", 2000);
	content_b = repeat("2001:db8::77 OK\n", 700);
	assert_int_equal(export_replace_file(map, content_a, strlen(content_a),
					     err, sizeof err), 0);
	rewriting = 1;
	assert_int_equal(pthread_create(&t, NULL, reader, &bad), 0);
	for (i = 0; i < 1000; i++) {
		const char *c = i % 2 ? content_a : content_b;

		assert_int_equal(export_replace_file(map, c, strlen(c), err,
						     sizeof err), 0);
	}
	rewriting = 0;
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
	free((char *)content_a);
	free((char *)content_b);
	/* no temp file left behind */
	{
		char cmd[512];

		snprintf(cmd, sizeof cmd, "test $(ls '%s' | grep -c XXX) = 0 && "
			 "test $(ls '%s' | wc -l) -le 2", dir, dir);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_not_equal(export_replace_file("/nonexistent/dir/map", "x", 1,
						 err, sizeof err), 0);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	path_in_dir(db, "popgate.lmdb");
	path_in_dir(map, "access");
	path_in_dir(ran, "ran");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_content_and_updates),
		cmocka_unit_test(test_sendmail_and_command),
		cmocka_unit_test(test_prepend_and_left_out),
		cmocka_unit_test(test_atomic_replace),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
