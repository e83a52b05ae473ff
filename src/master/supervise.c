/*
 * supervise.c - the master process: forks ingest, then (once ingest is
 * ready) serve; announces readiness once both said so; restarts a worker
 * that dies, with back-off; on TERM and HUP tells the workers to stop
 * through their control channel (never a signal: the serve worker is
 * another user and the unit has no CAP_KILL); on HUP re-reads the
 * configuration and restarts the workers with it, keeping the old one
 * when the new is invalid. Single-threaded, holds no LMDB environment
 * across a fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "control.h"
#include "counters.h"
#include "ingest.h"
#include "log.h"
#include "listeners.h"
#include "notify.h"
#include "serve.h"
#include "store.h"
#include "supervise.h"
#include "util.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 10000		/* a worker up this long resets its back-off */
#define STOP_HANGUP_MS 2000	/* stopping: then hang up the channels */
#define SHUTDOWN_GRACE_MS 4000	/* stopping: then exit without them */
#define STATUS_EVERY_MS 60000	/* STATUS= refreshed this often */

struct worker {
	const char *name;
	pid_t pid;		/* 0 = not running */
	int ctl;		/* our end of its control channel, -1 */
	int ready;		/* it said CONTROL_READY since it started */
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
	int ingest_was_ready;
	int announced;		/* READY=1 sent since start or reload */
	long long next_status_ms;
	long long stopping_since;	/* 0 = running */
	int hung_up;		/* stopping: control channels closed */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* child_setup - in a new worker: forget the master's fds and signals;
 * TERM/INT stay blocked until the worker has its own handling */
static void child_setup(struct supervisor *sv, int keep_listeners)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_SETMASK, &set, NULL);
	signal(SIGHUP, SIG_IGN);
	close_fd(&sv->sigfd);
	close_fd(&sv->ingest.ctl);
	close_fd(&sv->serve.ctl);
	notify_forget();
	if (!keep_listeners) {
		for (i = 0; i < sv->listeners.n; i++)
			close_fd(&sv->listeners.v[i].fd);
	}
}

/* run_ingest - in the ingest child: it reports readiness on a copy of its
 * control end, and the kernel wakes it (TERM, which it handles as a stop
 * request) when the master writes or hangs up, even inside its waits */
static int run_ingest(struct supervisor *sv, int ctl)
{
	int ready = fcntl(ctl, F_DUPFD_CLOEXEC, 0);

	if (control_wake(ctl, SIGTERM) != 0)
		log_msg(LOG_WARNING, "ingest: control channel wake-up: %m");
	return ingest_run(&sv->cfg, ready, ctl);
}

static void spawn(struct supervisor *sv, struct worker *w)
{
	int is_ingest = (w == &sv->ingest);
	int ctl[2];
	pid_t pid;

	w->restart_at_ms = 0;
	if (control_pair(ctl) != 0) {
		log_msg(LOG_ERR, "socketpair: %m");
		w->restart_at_ms = clock_mono_ms() + BACKOFF_MAX_MS;
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERR, "fork %s: %m", w->name);
		close(ctl[0]);
		close(ctl[1]);
		w->restart_at_ms = clock_mono_ms() + w->backoff_ms;
		return;
	}
	if (pid == 0) {
		close(ctl[0]);
		child_setup(sv, !is_ingest);
		if (is_ingest)
			exit(run_ingest(sv, ctl[1]));
		exit(serve_run(&sv->cfg, &sv->listeners, ctl[1]));
	}
	close(ctl[1]);
	w->ctl = ctl[0];
	w->pid = pid;
	w->ready = 0;
	w->started_ms = clock_mono_ms();
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
	w->ready = 0;
	close_fd(&w->ctl);
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

/* command_workers - CMD to every running worker, through its channel */
static void command_workers(struct supervisor *sv, char cmd)
{
	if (sv->ingest.pid > 0 && control_send(sv->ingest.ctl, cmd) != 0)
		log_debug(1, "ingest worker: control channel: %m");
	if (sv->serve.pid > 0 && control_send(sv->serve.ctl, cmd) != 0)
		log_debug(1, "serve worker: control channel: %m");
}

/* status_text - "serving, N entries" for STATUS= (the database is opened
 * read-only and closed again: the master never holds it across a fork) */
static void status_text(const struct supervisor *sv, char *buf, size_t size)
{
	char err[CONFIG_ERR_MAX];
	struct store_stats st;
	struct store *s;

	snprintf(buf, size, "serving");
	if (!notify_wanted() ||
	    store_open(&s, sv->cfg.database, STORE_READONLY, 0, err,
		       sizeof err) != STORE_OK)
		return;
	if (store_stats(s, clock_now(), &st) == 0)
		snprintf(buf, size, "serving, %zu entries (%zu expired)",
			 st.entries, st.expired);
	store_close(s);
}

/* check_ready - both workers up: tell systemd (and a waiting parent) */
static void check_ready(struct supervisor *sv)
{
	char status[256];

	if (sv->announced || sv->stopping_since || !sv->ingest.ready ||
	    !sv->serve.ready)
		return;
	status_text(sv, status, sizeof status);
	notify_ready(status);
	sv->announced = 1;
	sv->next_status_ms = clock_mono_ms() + STATUS_EVERY_MS;
	log_msg(LOG_INFO, "ready: %s", status);
}

static void worker_ready(struct supervisor *sv, struct worker *w)
{
	w->ready = 1;
	if (w == &sv->ingest) {
		sv->ingest_was_ready = 1;
		if (sv->serve.pid == 0 && sv->serve.restart_at_ms == 0 &&
		    !sv->stopping_since)
			spawn(sv, &sv->serve);
	}
	check_ready(sv);
}

/* on_control - a worker wrote to its channel, or hung up (it is exiting:
 * reaped when SIGCHLD comes) */
static void on_control(struct supervisor *sv, struct worker *w)
{
	switch (control_read(w->ctl)) {
	case CONTROL_GOT_READY:
		worker_ready(sv, w);
		break;
	case CONTROL_GONE:
		close_fd(&w->ctl);
		break;
	default:
		break;
	}
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

/* reload_failed - the running configuration stays: ready again, unless
 * start-up is not over yet (then readiness comes when it is) */
static void reload_failed(struct supervisor *sv)
{
	char status[256];

	if (!sv->announced)
		return;
	status_text(sv, status, sizeof status);
	notify_ready(status);
}

static void reload(struct supervisor *sv)
{
	char err[CONFIG_ERR_MAX];
	struct config new;

	if (sv->announced)
		notify_reloading();
	if (config_load(&new, sv->cfg.file, err, sizeof err) != 0) {
		log_msg(LOG_ERR, "reload: %s; keeping the running configuration",
			err);
		reload_failed(sv);
		return;
	}
	keep_fixed_keys(&sv->cfg, &new);
	new.start_at = sv->cfg.start_at;
	if (reopen_listeners(sv, &new) != 0) {
		config_free(&new);
		reload_failed(sv);
		return;
	}
	config_free(&sv->cfg);
	sv->cfg = new;
	log_syslog(sv->cfg.syslog_name, config_facility(&sv->cfg));
	log_msg(LOG_INFO, "reloaded %s, restarting the workers", sv->cfg.file);
	sv->ingest.restart_now = sv->ingest.pid > 0;
	sv->serve.restart_now = sv->serve.pid > 0;
	sv->announced = 0;	/* READY=1 again once both are back */
	command_workers(sv, CONTROL_STOP);
}

static void start_stopping(struct supervisor *sv)
{
	if (sv->stopping_since)
		return;
	log_msg(LOG_INFO, "shutting down");
	notify_stopping();
	sv->stopping_since = clock_mono_ms();
	command_workers(sv, CONTROL_STOP);
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
			start_stopping(sv);
		}
	}
}

/* stop_overdue - workers slow to stop: hang up their channels (the serve
 * worker then exits at once); past the grace, give up on them. Returns 1
 * when the master should exit now */
static int stop_overdue(struct supervisor *sv, long long now)
{
	if (!sv->hung_up && now - sv->stopping_since >= STOP_HANGUP_MS) {
		log_msg(LOG_WARNING, "workers still running %d ms after the "
			"stop request: closing their control channels",
			STOP_HANGUP_MS);
		close_fd(&sv->ingest.ctl);
		close_fd(&sv->serve.ctl);
		sv->hung_up = 1;
	}
	if (now - sv->stopping_since < SHUTDOWN_GRACE_MS)
		return 0;
	log_msg(LOG_ERR, "workers did not stop within %d ms; exiting without "
		"them", SHUTDOWN_GRACE_MS);
	return 1;
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

static void periodic_status(struct supervisor *sv, long long now)
{
	char status[256];

	if (!sv->announced || now < sv->next_status_ms)
		return;
	sv->next_status_ms = now + STATUS_EVERY_MS;
	status_text(sv, status, sizeof status);
	notify_status(status);
}

static void loop(struct supervisor *sv)
{
	while (!sv->stopping_since || sv->ingest.pid || sv->serve.pid) {
		struct pollfd pfd[3] = {
			{ .fd = sv->sigfd, .events = POLLIN },
			{ .fd = sv->ingest.ctl, .events = POLLIN },
			{ .fd = sv->serve.ctl, .events = POLLIN },
		};
		long long now = clock_mono_ms();

		if (sv->stopping_since && stop_overdue(sv, now))
			break;
		if (poll(pfd, 3, poll_timeout(sv, now)) < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %m");
			sleep(1);
			continue;
		}
		if (pfd[1].revents && sv->ingest.ctl >= 0)
			on_control(sv, &sv->ingest);
		if (pfd[2].revents && sv->serve.ctl >= 0)
			on_control(sv, &sv->serve);
		if (pfd[0].revents)
			handle_signal(sv);
		if (!sv->stopping_since) {
			run_due_restarts(sv, clock_mono_ms());
			periodic_status(sv, clock_mono_ms());
		}
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
	sv.ingest = (struct worker){ .name = "ingest", .ctl = -1,
				     .backoff_ms = BACKOFF_FIRST_MS };
	sv.serve = (struct worker){ .name = "serve", .ctl = -1,
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
