/*
 * supervise.c - the master process: forks ingest, then (once ingest is
 * ready) serve; restarts a worker that dies, with back-off; forwards
 * TERM; on HUP re-reads the configuration and restarts the workers with
 * it, keeping the old one when the new is invalid. Single-threaded, holds
 * no LMDB environment.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "counters.h"
#include "ingest.h"
#include "log.h"
#include "serve.h"
#include "supervise.h"
#include "util.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 10000		/* a worker up this long resets its back-off */
#define SHUTDOWN_GRACE_MS 15000

struct worker {
	const char *name;
	pid_t pid;		/* 0 = not running */
	int parent_w;		/* our end of its hang-up pipe, -1 */
	long long started_ms;
	long long restart_at_ms;	/* 0 = no restart scheduled */
	long backoff_ms;
	int restart_now;	/* stopped on purpose (reload): no back-off */
	struct ratelimit rl_exit;	/* a worker dying in a loop */
};

struct supervisor {
	struct config cfg;
	long gid;
	struct listeners listeners;
	struct worker ingest, serve;
	int sigfd;
	int ready_r;		/* ingest's readiness pipe, -1 */
	int ingest_was_ready;
	long long stopping_since;	/* 0 = running */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* child_setup - in a new worker: forget the master's fds and signal set */
static void child_setup(struct supervisor *sv, int keep_listeners)
{
	sigset_t none;
	size_t i;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGHUP, SIG_IGN);
	close_fd(&sv->sigfd);
	close_fd(&sv->ingest.parent_w);
	close_fd(&sv->serve.parent_w);
	close_fd(&sv->ready_r);
	if (!keep_listeners) {
		for (i = 0; i < sv->listeners.n; i++)
			close_fd(&sv->listeners.v[i].fd);
	}
}

static void spawn(struct supervisor *sv, struct worker *w)
{
	int hangup[2], ready[2] = { -1, -1 };
	int is_ingest = (w == &sv->ingest);
	pid_t pid;

	w->restart_at_ms = 0;
	if (pipe(hangup) != 0 || (is_ingest && pipe(ready) != 0)) {
		log_msg(LOG_ERR, "pipe: %m");
		w->restart_at_ms = clock_mono_ms() + BACKOFF_MAX_MS;
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERR, "fork %s: %m", w->name);
		close(hangup[0]);
		close(hangup[1]);
		close_fd(&ready[0]);
		close_fd(&ready[1]);
		w->restart_at_ms = clock_mono_ms() + w->backoff_ms;
		return;
	}
	if (pid == 0) {
		close(hangup[1]);
		if (is_ingest) {
			close(ready[0]);
			child_setup(sv, 0);
			exit(ingest_run(&sv->cfg, ready[1], hangup[0]));
		}
		child_setup(sv, 1);
		exit(serve_run(&sv->cfg, &sv->listeners, hangup[0]));
	}
	close(hangup[0]);
	w->parent_w = hangup[1];
	w->pid = pid;
	w->started_ms = clock_mono_ms();
	if (is_ingest) {
		close(ready[1]);
		close_fd(&sv->ready_r);
		sv->ready_r = ready[0];
	}
	log_debug(1, "started %s worker, pid %ld", w->name, (long)pid);
}

static void describe_exit(struct worker *w, int status)
{
	if (WIFEXITED(status))
		log_limited(&w->rl_exit, WEXITSTATUS(status) ? LOG_ERR : LOG_INFO,
			    "%s worker (pid %ld) exited with status %d", w->name,
			    (long)w->pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_limited(&w->rl_exit, LOG_ERR,
			    "%s worker (pid %ld) killed by signal %d", w->name,
			    (long)w->pid, WTERMSIG(status));
}

/* worker_exited - reap bookkeeping and schedule the restart */
static void worker_exited(struct supervisor *sv, struct worker *w, int status)
{
	long long now = clock_mono_ms();

	describe_exit(w, status);
	w->pid = 0;
	close_fd(&w->parent_w);
	if (sv->stopping_since)
		return;
	if (w == &sv->serve && !sv->ingest_was_ready)
		return;		/* serve starts when ingest is ready */
	if (w->restart_now) {
		w->restart_now = 0;
		w->restart_at_ms = now;
		return;
	}
	if (now - w->started_ms >= STABLE_MS)
		w->backoff_ms = BACKOFF_FIRST_MS;
	w->restart_at_ms = now + w->backoff_ms;
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							    : w->backoff_ms * 2;
}

static void reap(struct supervisor *sv)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == sv->ingest.pid)
			worker_exited(sv, &sv->ingest, status);
		else if (pid == sv->serve.pid)
			worker_exited(sv, &sv->serve, status);
	}
}

static void signal_workers(struct supervisor *sv, int sig)
{
	if (sv->ingest.pid > 0)
		kill(sv->ingest.pid, sig);
	if (sv->serve.pid > 0)
		kill(sv->serve.pid, sig);
}

static void ingest_ready(struct supervisor *sv)
{
	char byte;
	ssize_t n = read(sv->ready_r, &byte, 1);

	if (n < 0 && errno == EINTR)
		return;
	close_fd(&sv->ready_r);
	if (n != 1)
		return;		/* died before it was ready: reaped later */
	if (!sv->ingest_was_ready)
		log_msg(LOG_INFO, "ingest ready, serving");
	sv->ingest_was_ready = 1;
	if (sv->serve.pid == 0 && sv->serve.restart_at_ms == 0 &&
	    !sv->stopping_since)
		spawn(sv, &sv->serve);
}

static int endpoints_equal(const struct endpoint_list *a,
			   const struct endpoint_list *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct endpoint *x = &a->v[i], *y = &b->v[i];

		if (x->kind != y->kind || x->port != y->port ||
		    strcmp(x->path ? x->path : "", y->path ? y->path : "") ||
		    strcmp(x->host ? x->host : "", y->host ? y->host : ""))
			return 0;
	}
	return 1;
}

/* keep_fixed_keys - HUP cannot change database or user */
static void keep_fixed_keys(const struct config *old, struct config *new)
{
	if (strcmp(old->database, new->database) != 0) {
		log_msg(LOG_WARNING, "reload: database cannot change without a "
			"restart; still using %s", old->database);
		free(new->database);
		new->database = xstrdup(old->database);
	}
	if (strcmp(old->user, new->user) != 0) {
		log_msg(LOG_WARNING, "reload: user cannot change without a "
			"restart; still using \"%s\"", old->user);
		free(new->user);
		new->user = xstrdup(old->user);
	}
}

/* reopen_listeners - bind the new endpoints; 0 ok, -1 (old ones kept) */
static int reopen_listeners(struct supervisor *sv, const struct config *new)
{
	char err[CONFIG_ERR_MAX];
	struct listeners fresh;

	if (endpoints_equal(&sv->cfg.policy_listen, &new->policy_listen) &&
	    endpoints_equal(&sv->cfg.socketmap_listen, &new->socketmap_listen) &&
	    endpoints_equal(&sv->cfg.dovecot_policy_listen,
			    &new->dovecot_policy_listen) &&
	    sv->cfg.socket_mode == new->socket_mode)
		return 0;
	listeners_close(&sv->listeners);
	if (listeners_open(new, sv->gid, &fresh, err, sizeof err) != 0) {
		log_msg(LOG_ERR, "reload: %s; keeping the running configuration",
			err);
		if (listeners_open(&sv->cfg, sv->gid, &sv->listeners, err,
				   sizeof err) != 0)
			log_msg(LOG_ERR, "reload: %s", err);
		return -1;
	}
	sv->listeners = fresh;
	return 0;
}

static void reload(struct supervisor *sv)
{
	char err[CONFIG_ERR_MAX];
	struct config new;

	if (config_load(&new, sv->cfg.file, err, sizeof err) != 0) {
		log_msg(LOG_ERR, "reload: %s; keeping the running configuration",
			err);
		return;
	}
	keep_fixed_keys(&sv->cfg, &new);
	new.start_at = sv->cfg.start_at;
	if (reopen_listeners(sv, &new) != 0) {
		config_free(&new);
		return;
	}
	config_free(&sv->cfg);
	sv->cfg = new;
	log_msg(LOG_INFO, "reloaded %s, restarting the workers", sv->cfg.file);
	sv->ingest.restart_now = sv->ingest.pid > 0;
	sv->serve.restart_now = sv->serve.pid > 0;
	signal_workers(sv, SIGTERM);
}

static void handle_signal(struct supervisor *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(sv);
			break;
		case SIGHUP:
			if (!sv->stopping_since)
				reload(sv);
			break;
		default:	/* TERM, INT */
			if (!sv->stopping_since) {
				log_msg(LOG_INFO, "shutting down");
				sv->stopping_since = clock_mono_ms();
			}
			signal_workers(sv, SIGTERM);
		}
	}
}

static void run_due_restarts(struct supervisor *sv, long long now)
{
	struct worker *w[2] = { &sv->ingest, &sv->serve };
	int i;

	for (i = 0; i < 2; i++)
		if (w[i]->pid == 0 && w[i]->restart_at_ms &&
		    now >= w[i]->restart_at_ms)
			spawn(sv, w[i]);
}

static int poll_timeout(const struct supervisor *sv, long long now)
{
	const struct worker *w[2] = { &sv->ingest, &sv->serve };
	long long next = now + 1000;
	int i;

	for (i = 0; i < 2; i++)
		if (w[i]->pid == 0 && w[i]->restart_at_ms &&
		    w[i]->restart_at_ms < next)
			next = w[i]->restart_at_ms;
	return next > now ? (int)(next - now) : 0;
}

static void loop(struct supervisor *sv)
{
	while (!sv->stopping_since || sv->ingest.pid || sv->serve.pid) {
		struct pollfd pfd[2] = {
			{ .fd = sv->sigfd, .events = POLLIN },
			{ .fd = sv->ready_r, .events = POLLIN },
		};
		long long now = clock_mono_ms();

		if (sv->stopping_since &&
		    now - sv->stopping_since > SHUTDOWN_GRACE_MS)
			signal_workers(sv, SIGKILL);
		if (poll(pfd, 2, poll_timeout(sv, now)) < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %m");
			sleep(1);
			continue;
		}
		if (pfd[0].revents)
			handle_signal(sv);
		if (sv->ready_r >= 0 && pfd[1].revents)
			ingest_ready(sv);
		if (!sv->stopping_since)
			run_due_restarts(sv, clock_mono_ms());
	}
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int supervise(struct config *cfg, long gid)
{
	static struct supervisor sv;
	char err[CONFIG_ERR_MAX];

	sv.cfg = *cfg;
	sv.gid = gid;
	sv.ready_r = -1;
	sv.ingest = (struct worker){ .name = "ingest", .parent_w = -1,
				     .backoff_ms = BACKOFF_FIRST_MS };
	sv.serve = (struct worker){ .name = "serve", .parent_w = -1,
				    .backoff_ms = BACKOFF_FIRST_MS };
	sv.sigfd = block_signals();
	if (sv.sigfd < 0) {
		log_msg(LOG_ERR, "signalfd: %m");
		return 1;
	}
	if (listeners_open(&sv.cfg, gid, &sv.listeners, err, sizeof err) != 0) {
		log_msg(LOG_ERR, "%s", err);
		return 1;
	}
	log_msg(LOG_INFO, "starting (config %s, database %s)", sv.cfg.file,
		sv.cfg.database);
	counters_create();	/* shared with every worker forked from here */
	channel_create();	/* serve <-> ingest, kept across restarts */
	spawn(&sv, &sv.ingest);
	loop(&sv);
	listeners_close(&sv.listeners);
	config_free(&sv.cfg);
	log_msg(LOG_INFO, "stopped");
	return 0;
}
