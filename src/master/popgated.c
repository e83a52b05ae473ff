/*
 * popgated.c - main: options, the configuration (-n prints it), the
 * user check, the database created (a broken one moved aside) and closed
 * again before any fork; without -f, daemonizing with the parent waiting
 * until the daemon is ready (exit 1 if start-up failed); then hands over
 * to supervise(). Never keeps LMDB open into the supervisor's forks.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "linetest.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "supervise.h"
#include "util.h"
#include "version.h"


#ifdef POPGATE_SANITIZE
/* libinotifytools 3.22 leaks ~115 bytes each time a watched directory is
 * deleted and re-created; not ours to fix, not worth failing a test run */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libinotifytools\n";
}
#endif

/* the man page's SYNOPSIS (tests/dump/usage.t compares them) */
#define USAGE "usage: popgated [-fvV] [-c config]\n" \
	"       popgated -n [-q] [-c config]\n" \
	"       popgated [-v] [-c config] -T file\n" \
	"       popgated -h | --help\n" \
	"       popgated -V | --version\n"

/* usage - the man page's SYNOPSIS; -h asks for it (stdout, 0) */
static void usage(int asked)
{
	fputs(USAGE, asked ? stdout : stderr);
	if (asked)
		fputs("  -c FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
		      "  -f       stay in the foreground\n"
		      "  -n       check the configuration, print every setting "
		      "(-q: print nothing)\n"
		      "  -T FILE  line tester (- = standard input): what popgated "
		      "would do with each line\n"
		      "  -v       more logging (-v: each policy decision and why)\n"
		      "  -V, --version   -h, --help\n", stdout);
	exit(asked ? 0 : 1);
}

/* database_gid - the group of USER (for the lock file and unix sockets) */
static long database_gid(const struct config *cfg)
{
	struct passwd *pw;

	if (cfg->user[0] == '\0' || geteuid() != 0)
		return -1;
	pw = getpwnam(cfg->user);
	return pw ? (long)pw->pw_gid : -1;
}

/* check_user - as root, refuse to start if the unprivileged user is missing */
static void check_user(struct config *cfg)
{
	if (cfg->user[0] == '\0')
		return;
	if (geteuid() != 0) {
		log_msg(LOG_NOTICE, "not running as root: user \"%s\" ignored, "
			"no privilege drop", cfg->user);
		free(cfg->user);
		cfg->user = xstrdup("");
		return;
	}
	if (getpwnam(cfg->user) == NULL) {
		log_msg(LOG_ERR, "%s: user \"%s\" does not exist", cfg->file,
			cfg->user);
		exit(1);
	}
}

/* move_aside - rename a broken database (and its lock file) out of the way */
static void move_aside(const char *path)
{
	char aside[4096], lock[4200], lock_aside[4200];
	time_t now = clock_now();
	struct tm tm;

	localtime_r(&now, &tm);
	snprintf(aside, sizeof aside, "%s.broken-%04d%02d%02d%02d%02d%02d", path,
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	snprintf(lock, sizeof lock, "%s-lock", path);
	snprintf(lock_aside, sizeof lock_aside, "%s-lock", aside);
	if (rename(path, aside) != 0) {
		log_msg(LOG_ERR, "%s: cannot move broken database aside: %m", path);
		exit(1);
	}
	(void)rename(lock, lock_aside);
	log_msg(LOG_ERR, "%s: database is broken, moved to %s; a new one is "
		"created and the logs are read again from their beginning",
		path, aside);
}

/* prepare_database - create a missing database, replace a broken one.
 * Returns 1 when a fresh database replaced a broken one */
static int prepare_database(const struct config *cfg, long gid)
{
	char err[CONFIG_ERR_MAX];
	struct store *s;
	int fresh = 0, rc;

	rc = store_open(&s, cfg->database, STORE_CREATE, 0, err, sizeof err);
	if (rc == STORE_EBROKEN) {
		log_msg(LOG_ERR, "%s", err);
		move_aside(cfg->database);
		fresh = 1;
		rc = store_open(&s, cfg->database, STORE_CREATE, 0, err, sizeof err);
	}
	if (rc != STORE_OK) {
		log_msg(LOG_ERR, "%s", err);
		exit(1);
	}
	if (store_set_owner(s, gid >= 0 ? 0 : -1, gid) != 0)
		log_msg(LOG_WARNING, "%s", store_error(s));
	store_close(s);
	return fresh;
}

/* wait_for_child - the parent of a daemonizing popgated: exit 0 once the
 * daemon says it is ready, 1 when it fails (its pipe closes first) */
static void wait_for_child(int fd)
{
	char byte;
	ssize_t n;

	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	_exit(n == 1 ? 0 : 1);
}

/* daemonize - detach; the parent stays until start-up is over (stdio,
 * still the caller's, shows why it failed) */
static void daemonize(void)
{
	int p[2], fd;

	if (pipe2(p, O_CLOEXEC) != 0) {
		log_msg(LOG_ERR, "pipe: %m");
		exit(1);
	}
	switch (fork()) {
	case -1:
		log_msg(LOG_ERR, "fork: %m");
		exit(1);
	case 0:
		break;
	default:
		close(p[1]);
		wait_for_child(p[0]);
	}
	close(p[0]);
	notify_set_parent(p[1]);
	setsid();
	if (chdir("/") != 0)
		log_msg(LOG_WARNING, "chdir /: %m");
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
}

/* config_failed - FILE:LINE on stderr; in syslog too, unless stderr is
 * the journal already (one copy of each message) or this is only -n */
static int config_failed(const char *err, int check_only)
{
	fprintf(stderr, "%s\n", err);
	if (!check_only && !log_stderr_is_journal()) {
		log_init("popgated", 0, 0);
		log_msg(LOG_ERR, "%s", err);
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONFIG_DEFAULT_PATH, *test_file = NULL;
	int foreground = 0, check_only = 0, quiet = 0, verbosity = 0, ch;
	char err[CONFIG_ERR_MAX];
	struct config cfg;
	long gid;

	while ((ch = getopt_long(argc, argv, "c:fhnqT:vV", long_options,
				 NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'h':
			usage(1);
			break;
		case 'T':
			test_file = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbosity++;
			break;
		case 'V':
			printf("popgated %s\n", POPGATE_VERSION);
			return 0;
		default:
			usage(0);
		}
	}
	if (optind != argc || (quiet && !check_only) || (test_file && check_only))
		usage(0);
	if (config_load(&cfg, path, err, sizeof err) != 0) {
		if (!test_file)
			return config_failed(err, check_only);
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (test_file) {
		int rc;

		log_init(cfg.syslog_name, 1, verbosity);
		log_syslog(cfg.syslog_name, config_facility(&cfg));
		rc = linetest_run(&cfg, test_file, verbosity);
		config_free(&cfg);
		return rc;
	}
	if (check_only) {
		if (!quiet)
			config_print(&cfg, stdout);
		config_free(&cfg);
		return 0;
	}
	/* stderr until start-up is over (it is the caller's terminal) */
	log_init(cfg.syslog_name, 1, verbosity);
	log_syslog(cfg.syslog_name, config_facility(&cfg));
	check_user(&cfg);
	gid = database_gid(&cfg);
	if (prepare_database(&cfg, gid))
		cfg.start_at = START_AT_BEGINNING;
	if (!foreground)
		daemonize();
	return supervise(&cfg, gid);
}
