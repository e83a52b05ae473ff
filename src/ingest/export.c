/*
 * export.c - the access-map export for MTAs without policy or socketmap
 * support: the unexpired allow-list as a text file, replaced atomically
 * (temp file, fsync, rename, fsync of the directory), then export_command
 * through /bin/sh. Runs in the ingest worker. A reader must never see a
 * partial file, and the command never blocks the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "export.h"
#include "log.h"
#include "util.h"

#define COALESCE_MS 1000	/* at most one rewrite per second */
#define POLL_MS 1000		/* how soon outside writes are noticed */
#define CHILD_POLL_MS 100	/* while export_command runs */
#define COMMAND_TIMEOUT_MS 60000
#define FREE_WAIT_MS 5000	/* exporter_free waits this long for the command */

struct exporter {
	char *path;
	char *command;		/* NULL = none */
	char *prepend;		/* export_prepend, NULL = none */
	char *value;		/* right-hand side: policy_action or RELAY */
	struct export_style style;
	struct store_params params;
	char *last;		/* content of the file we last wrote */
	size_t last_len;
	int written;
	size_t last_txn;
	int dirty;
	time_t next_expiry;	/* 0 = no entry */
	long long last_build_ms;	/* 0 = never built */
	pid_t child;		/* export_command running, 0 = none */
	long long child_deadline_ms;
	int command_pending;
	struct ratelimit rl_write, rl_command, rl_format;
};

struct buffer {
	char *data;
	size_t len, cap;
};

static void buffer_add(struct buffer *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, s, n + 1);
	b->len += n;
}

struct exporter *exporter_new(const struct config *cfg)
{
	struct exporter *e;

	if (cfg->export_map == NULL || cfg->export_map[0] == '\0')
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->path = xstrdup(cfg->export_map);
	if (cfg->export_command && cfg->export_command[0] != '\0')
		e->command = xstrdup(cfg->export_command);
	if (cfg->export_prepend && cfg->export_prepend[0] != '\0')
		e->prepend = xstrdup(cfg->export_prepend);
	if (cfg->export_format != EXPORT_SENDMAIL)
		e->value = xstrdup(cfg->policy_action);
	else if (strcmp(cfg->socketmap_value, "OK") == 0)
		e->value = xstrdup("RELAY");
	else
		e->value = xstrdup(cfg->socketmap_value);
	e->style.format = cfg->export_format;
	e->style.value = e->value;
	e->style.ipv6_prefix = cfg->ipv6_prefix;
	config_store_params(cfg, &e->params);
	e->dirty = 1;
	return e;
}

struct build_ctx {
	struct exporter *e;
	struct buffer *b;
	time_t now;
	size_t left_out;	/* entries the format cannot express */
};

static void add_line(const char *line, void *arg)
{
	buffer_add(arg, line);
}

static int add_entry(const struct addr *a, const struct record *r, void *arg)
{
	struct build_ctx *c = arg;
	time_t expires = record_expires(r, &c->e->params);

	if (c->now >= expires)
		return 0;
	if (record_shared(r, &c->e->params, c->now))	/* left out until */
		expires = record_users_next_expiry(r, c->e->params.window,
						   c->now);
	if (c->e->next_expiry == 0 || expires < c->e->next_expiry)
		c->e->next_expiry = expires;
	if (record_shared(r, &c->e->params, c->now))
		return 0;
	if (export_entry(&c->e->style, a, add_line, c->b) == 0)
		c->left_out++;
	return 0;
}

/* add_prepend - the site's static rules, verbatim, ending in a newline.
 * 0 ok; -1 (logged) when the file cannot be read: then no map is written
 * rather than one without them */
static int add_prepend(struct exporter *e, struct buffer *b)
{
	FILE *f;
	char chunk[4096];
	size_t n;
	int failed;

	if (e->prepend == NULL)
		return 0;
	if ((f = fopen(e->prepend, "re")) == NULL) {
		log_limited(&e->rl_write, LOG_ERR, "export: export_prepend %s: %m",
			    e->prepend);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
		chunk[n] = '\0';
		if (memchr(chunk, '\0', n) != NULL)
			break;	/* a NUL byte: not a text file */
		buffer_add(b, chunk);
	}
	failed = ferror(f) || !feof(f);
	fclose(f);
	if (failed) {
		log_limited(&e->rl_write, LOG_ERR, "export: export_prepend %s: "
			    "unreadable or not text", e->prepend);
		return -1;
	}
	if (b->len > 0 && b->data[b->len - 1] != '\n')
		buffer_add(b, "\n");
	return 0;
}

/* fsync_dir - make a rename in DIR (of PATH) durable */
static void fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* write_temp - DATA into a new file beside PATH; its name, or NULL */
static char *write_temp(const char *path, const char *data, size_t len,
			char *err, size_t errsize)
{
	size_t plen = strlen(path);
	char *tmp = xmalloc(plen + 8);
	int fd, failed;

	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", 8);
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return NULL;
	}
	failed = fchmod(fd, 0644) != 0 || write_all(fd, data, len) != 0 ||
		 fsync(fd) != 0;
	if (close(fd) != 0)
		failed = 1;
	if (failed) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

int export_replace_file(const char *path, const char *data, size_t len,
			char *err, size_t errsize)
{
	char *tmp = write_temp(path, data, len, err, errsize);

	if (tmp == NULL)
		return -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errsize, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	fsync_dir(path);
	free(tmp);
	return 0;
}

/* ---- export_command ---- */

static void start_command(struct exporter *e)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_limited(&e->rl_command, LOG_ERR, "export: fork: %m");
		return;
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (null >= 0)
			dup2(null, 0);
		execl("/bin/sh", "sh", "-c", e->command, (char *)NULL);
		_exit(127);
	}
	e->child = pid;
	e->command_pending = 0;
	e->child_deadline_ms = clock_mono_ms() + COMMAND_TIMEOUT_MS;
}

static void report_status(struct exporter *e, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFEXITED(status))
		log_limited(&e->rl_command, LOG_ERR,
			    "export: export_command exited with status %d",
			    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_limited(&e->rl_command, LOG_ERR,
			    "export: export_command killed by signal %d",
			    WTERMSIG(status));
}

/* reap_command - collect a finished command; kill one past its deadline
 * (or at once when FORCE) */
static void reap_command(struct exporter *e, int force)
{
	int status;
	pid_t r;

	if (e->child == 0)
		return;
	r = waitpid(e->child, &status, WNOHANG);
	if (r == 0 && (force || clock_mono_ms() >= e->child_deadline_ms)) {
		log_limited(&e->rl_command, LOG_ERR,
			    "export: export_command still running; killing it");
		kill(-e->child, SIGKILL);
		kill(e->child, SIGKILL);
		r = waitpid(e->child, &status, 0);
	}
	if (r == 0)
		return;
	if (r == e->child)
		report_status(e, status);
	e->child = 0;
}

/* ---- ticks ---- */

/* rebuild - read the allow-list; rewrite the file if it changed */
static void rebuild(struct exporter *e, struct store *s, time_t now)
{
	struct buffer b = { NULL, 0, 0 };
	struct build_ctx c = { e, &b, now, 0 };
	char err[512];

	e->last_build_ms = clock_mono_ms();
	e->next_expiry = 0;
	buffer_add(&b, "");
	if (add_prepend(e, &b) != 0) {
		free(b.data);
		return;		/* still dirty: retried after COALESCE_MS */
	}
	if (store_each(s, add_entry, &c) != 0) {
		log_limited(&e->rl_write, LOG_ERR, "export: reading the database: %s",
			    store_error(s));
		free(b.data);
		return;
	}
	/* the snapshot read, not the newest id seen before: a commit that
	 * landed in between is noticed at the next tick */
	e->last_txn = store_each_txn_id(s);
	e->dirty = 0;
	if (c.left_out > 0)
		log_limited(&e->rl_format, LOG_NOTICE, "export: %zu entries left "
			    "out of %s: the format cannot express them",
			    c.left_out, e->path);
	if (e->written && b.len == e->last_len &&
	    memcmp(b.data, e->last, b.len) == 0) {
		free(b.data);
		return;
	}
	if (export_replace_file(e->path, b.data, b.len, err, sizeof err) != 0) {
		log_limited(&e->rl_write, LOG_ERR, "export: %s", err);
		e->dirty = 1;
		free(b.data);
		return;
	}
	log_debug(1, "export: wrote %s (%zu bytes)", e->path, b.len);
	free(e->last);
	e->last = b.data;
	e->last_len = b.len;
	e->written = 1;
	e->command_pending = e->command != NULL;
}

static long min_wait(long a, long b)
{
	return a < b ? a : b;
}

long exporter_tick(struct exporter *e, struct store *s, time_t now, int changed)
{
	size_t txn = store_txn_id(s);
	long wait = POLL_MS;
	long long mono = clock_mono_ms();

	reap_command(e, 0);
	if (changed || txn != e->last_txn || !e->written ||
	    (e->next_expiry != 0 && now >= e->next_expiry))
		e->dirty = 1;
	if (e->dirty && e->last_build_ms != 0 &&
	    mono - e->last_build_ms < COALESCE_MS)
		wait = (long)(e->last_build_ms + COALESCE_MS - mono);
	else if (e->dirty)
		rebuild(e, s, now);
	if (e->dirty)
		wait = min_wait(wait, COALESCE_MS);
	if (e->command_pending && e->child == 0)
		start_command(e);
	if (e->child != 0 || e->command_pending)
		wait = min_wait(wait, CHILD_POLL_MS);
	if (e->next_expiry != 0)
		wait = min_wait(wait, e->next_expiry > now
				? (long)(e->next_expiry - now) * 1000 : 0);
	return wait > 0 ? wait : 0;
}

void exporter_free(struct exporter *e)
{
	long long until = clock_mono_ms() + FREE_WAIT_MS;

	if (e == NULL)
		return;
	while (e->child != 0 && clock_mono_ms() < until) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		reap_command(e, 0);
		if (e->child != 0)
			nanosleep(&ts, NULL);
	}
	reap_command(e, 1);
	free(e->path);
	free(e->command);
	free(e->prepend);
	free(e->value);
	free(e->last);
	free(e);
}
