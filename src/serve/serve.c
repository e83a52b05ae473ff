/*
 * serve.c - the serve worker: drops privileges, then runs one epoll loop
 * over the policy, socketmap and Dovecot listeners, their connections,
 * the channel to ingest, the pipe from the master and a signalfd.
 * Bounded: at most max_clients connections, idle ones and ones whose
 * request takes longer than request_timeout closed, accepting paused on
 * EMFILE. Must never answer OK for anything the database does not
 * authorize.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "control.h"
#include "counters.h"
#include "serve.h"
#include "serve_int.h"
#include "util.h"

#define MAX_EVENTS 64
#define ACCEPTS_PER_WAKE 64
#define ACCEPT_PAUSE_MS 100
#define EMPTY_DIR "/var/empty"
#define DRAIN_MS 1000		/* after TERM: finish answering for at most this */
#define DRAIN_IDLE_MS 100	/* ... closing connections quiet this long */

struct listen_watch {
	struct watch watch;	/* first: epoll data points here */
	const struct listener *l;
};

struct server {
	const struct config *cfg;
	int ep;
	struct listen_watch *lw;
	size_t nlisteners;
	struct watch parent_watch, signal_watch, channel_watch;
	int parent_fd, sigfd;
	struct conn_list idle;	/* least recently active first */
	struct conn_list slow;	/* incomplete requests: oldest first */
	struct conn *graveyard;	/* closed, freed after the batch of events */
	size_t nconns;
	long long accept_paused_until;	/* 0 = accepting */
	long long drain_start, drain_until;	/* TERM seen: draining (0 = no) */
	int stop;
	struct lookup lookup;
	struct ratelimit rl_accept, rl_full;
};

/* drop_privileges - become USER with no supplementary groups and no way
 * back; 0 ok, -1 (logged) */
static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		log_msg(LOG_ERR, "serve: user %s: no such user", user);
		return -1;
	}
	if (geteuid() != pw->pw_uid &&
	    (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	     setuid(pw->pw_uid) != 0)) {
		log_msg(LOG_ERR, "serve: cannot switch to user %s: %m", user);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_msg(LOG_ERR, "serve: PR_SET_NO_NEW_PRIVS: %m");
		return -1;
	}
#ifdef POPGATE_SANITIZE
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);	/* LeakSanitizer needs ptrace */
#endif
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_msg(LOG_ERR, "serve: privileges could be regained; exiting");
		return -1;
	}
	log_debug(1, "serve: running as %s (uid %ld, gid %ld)", user,
		  (long)pw->pw_uid, (long)pw->pw_gid);
	return 0;
}

/* enter_removed_dir - make and enter a private directory, then remove
 * it: an empty working directory in which nothing can be created (for
 * systems without /var/empty, e.g. Debian); 0 ok, -1 */
static int enter_removed_dir(void)
{
	char dir[] = "/tmp/popgate-serve.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return -1;
	if (chdir(dir) != 0) {
		rmdir(dir);
		return -1;
	}
	return rmdir(dir);
}

static void go_to_empty_dir(void)
{
	struct stat st;

	if (stat(EMPTY_DIR, &st) == 0 && S_ISDIR(st.st_mode) &&
	    chdir(EMPTY_DIR) == 0)
		return;
	if (enter_removed_dir() == 0)
		return;
	if (chdir("/") != 0)
		log_msg(LOG_WARNING, "serve: chdir /: %m");
}

static int watch_fd(struct server *sv, int fd, unsigned events, void *ptr)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = ptr;
	return epoll_ctl(sv->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- idle list: O(1) per event ---- */

static void idle_append(struct server *sv, struct conn *c)
{
	c->last_ms = clock_mono_ms();
	conn_list_append(&sv->idle, c);
}

/* ---- incomplete requests: request_timeout, O(1) per event ---- */

static void slow_unlink(struct server *sv, struct conn *c)
{
	if (c->req_start_ms == 0)
		return;
	conn_list_remove(&sv->slow, c);
	c->req_start_ms = 0;
}

/* slow_update - start the clock at a request's first byte (or at the
 * connection), restart it when a request was answered meanwhile (a
 * pipelining client always has a partial one), stop it when no request
 * is incomplete */
static void slow_update(struct server *sv, struct conn *c)
{
	int restart = c->progressed;

	c->progressed = 0;
	if (!conn_partial(c) || restart)
		slow_unlink(sv, c);
	if (!conn_partial(c) || c->req_start_ms != 0)
		return;
	c->req_start_ms = clock_mono_ms();
	conn_list_append(&sv->slow, c);
}

/* close_conn - close C now; its memory is freed after the current batch
 * of events (an event for it may still be in the batch: an eviction or a
 * resumed wait closes connections other than the one being handled) */
static void close_conn(struct server *sv, struct conn *c)
{
	conn_list_remove(&sv->idle, c);
	slow_unlink(sv, c);
	link_forget(&sv->lookup.link, c);
	epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->closed = 1;
	c->idle_link.next = sv->graveyard;
	sv->graveyard = c;
	sv->nconns--;
}

static void bury(struct server *sv)
{
	while (sv->graveyard) {
		struct conn *c = sv->graveyard;

		sv->graveyard = c->idle_link.next;
		conn_free(c);
	}
}

/* update_conn - after an event: close it, or register what it waits for */
static void update_conn(struct server *sv, struct conn *c, int active)
{
	unsigned want;
	struct epoll_event ev;

	if (conn_finished(c)) {
		close_conn(sv, c);
		return;
	}
	if (active) {
		conn_list_remove(&sv->idle, c);
		idle_append(sv, c);
	}
	slow_update(sv, c);
	want = conn_wanted_events(c);
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof ev);
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(sv->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
		close_conn(sv, c);
		return;
	}
	c->events = want;
}

static void on_conn_event(struct server *sv, struct conn *c, unsigned events)
{
	size_t moved = 0;

	if (events & EPOLLOUT)
		moved += conn_writable(c, &sv->lookup);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		size_t n = conn_readable(c, &sv->lookup);

		moved += n;
		if (n == 0 && (events & EPOLLERR))
			c->dead = 1;
	}
	update_conn(sv, c, moved > 0 || c->eof);
}

/* ---- accepting ---- */

static void set_accepting(struct server *sv, int on)
{
	size_t i;

	for (i = 0; i < sv->nlisteners; i++) {
		if (on)
			watch_fd(sv, sv->lw[i].l->fd, EPOLLIN, &sv->lw[i]);
		else
			epoll_ctl(sv->ep, EPOLL_CTL_DEL, sv->lw[i].l->fd, NULL);
	}
	sv->accept_paused_until = on ? 0 : clock_mono_ms() + ACCEPT_PAUSE_MS;
}

static void add_conn(struct server *sv, int fd, const struct listener *l)
{
	struct conn *c = conn_new(fd, l->proto, l->name);

	c->events = EPOLLIN;
	if (watch_fd(sv, fd, EPOLLIN, c) != 0) {
		log_limited(&sv->rl_accept, LOG_ERR, "serve: epoll_ctl: %m");
		conn_free(c);
		return;
	}
	idle_append(sv, c);
	slow_update(sv, c);
	sv->nconns++;
}

/* evict_slow - at max_clients: the connection whose request has been
 * incomplete longest makes room (clients that dribble bytes, or say
 * nothing, cannot keep out a normal one, whose request comes in one
 * write); idle connections between requests are kept */
static void evict_slow(struct server *sv)
{
	if (sv->slow.head == NULL)
		return;
	log_limited(&sv->rl_full, LOG_WARNING, "serve: %s: %u clients "
		    "connected (max_clients); closing the one whose request "
		    "has been incomplete longest", sv->slow.head->listener,
		    sv->cfg->max_clients);
	counters_inc(COUNTER_CLOSED_SLOW);
	close_conn(sv, sv->slow.head);
}

static void on_accept(struct server *sv, const struct listener *l)
{
	int i;

	for (i = 0; i < ACCEPTS_PER_WAKE; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_limited(&sv->rl_accept, LOG_WARNING,
					    "serve: %s: accept: %m; pausing",
					    l->name);
				counters_inc(COUNTER_ACCEPT_PAUSED);
				set_accepting(sv, 0);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR && errno != ECONNABORTED &&
				   errno != EPROTO) {
				log_limited(&sv->rl_accept, LOG_ERR,
					    "serve: %s: accept: %m", l->name);
			}
			return;
		}
		if (sv->nconns >= sv->cfg->max_clients)
			evict_slow(sv);
		if (sv->nconns >= sv->cfg->max_clients) {
			log_limited(&sv->rl_full, LOG_WARNING,
				    "serve: %s: %u clients connected (max_clients); "
				    "refusing a connection", l->name,
				    sv->cfg->max_clients);
			counters_inc(COUNTER_REFUSED_MAX_CLIENTS);
			close(fd);
			continue;
		}
		add_conn(sv, fd, l);
	}
}

/* ---- read your writes ---- */

/* resume_waiting - answer the conns whose sync is done or whose wait is
 * over (FORCE: all of them) */
static void resume_waiting(struct server *sv, int force)
{
	long long now = clock_mono_ms();
	struct conn *c;

	while ((c = link_next_ready(&sv->lookup.link, now, force)) != NULL) {
		conn_resume(c, &sv->lookup);
		update_conn(sv, c, 1);
	}
}

static void on_channel(struct server *sv)
{
	link_readable(&sv->lookup.link);
	resume_waiting(sv, 0);
}

/* ---- the loop ---- */

/* start_drain - on TERM: accept nothing more (what waits in the backlog is
 * left to the next worker), answer what the clients already sent */
static void start_drain(struct server *sv)
{
	if (sv->accept_paused_until == 0)
		set_accepting(sv, 0);
	sv->accept_paused_until = 0;
	sv->drain_start = clock_mono_ms();
	sv->drain_until = sv->drain_start + DRAIN_MS;
	resume_waiting(sv, 1);
	log_debug(1, "serve: stopping; answering pending requests");
}

/* drain - close connections quiet since DRAIN_IDLE_MS (counted from the
 * later of their last activity and TERM); stop when none are left or the
 * time is up */
static long long drain(struct server *sv, long long now)
{
	long long quiet_since;

	while (sv->idle.head) {
		quiet_since = sv->idle.head->last_ms > sv->drain_start
			? sv->idle.head->last_ms : sv->drain_start;
		if (quiet_since + DRAIN_IDLE_MS > now)
			break;
		close_conn(sv, sv->idle.head);
	}
	if (sv->idle.head == NULL || now >= sv->drain_until) {
		sv->stop = 1;
		return now;
	}
	return quiet_since + DRAIN_IDLE_MS;
}

static void on_signal(struct server *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) &&
		    sv->drain_until == 0)
			start_drain(sv);
}

/* on_parent - a command from the master, or its hang-up (control.h) */
static void on_parent(struct server *sv, unsigned events)
{
	(void)events;
	switch (control_read(sv->parent_fd)) {
	case CONTROL_GOT_STOP:
		if (sv->drain_until == 0)
			start_drain(sv);
		break;
	case CONTROL_GONE:
		log_debug(1, "serve: the master is gone; exiting");
		sv->stop = 1;
		break;
	default:
		break;
	}
}

static void dispatch(struct server *sv, struct epoll_event *ev)
{
	struct watch *w = ev->data.ptr;

	switch (w->kind) {
	case WATCH_LISTENER:
		if (sv->drain_until == 0)
			on_accept(sv, ((struct listen_watch *)w)->l);
		break;
	case WATCH_CONN:
		if (!((struct conn *)w)->closed)
			on_conn_event(sv, (struct conn *)w, ev->events);
		break;
	case WATCH_PARENT:
		on_parent(sv, ev->events);
		break;
	case WATCH_SIGNAL:
		on_signal(sv);
		break;
	case WATCH_CHANNEL:
		on_channel(sv);
		break;
	}
}

/* close_slow - connections whose request took longer than
 * request_timeout; returns when the next one is due (or NEXT) */
static long long close_slow(struct server *sv, long long now, long long next)
{
	long long limit = 1000LL * sv->cfg->request_timeout;

	while (sv->slow.head && sv->slow.head->req_start_ms + limit <= now) {
		log_debug(2, "serve: %s: request not complete in %us; closing",
			  sv->slow.head->listener, sv->cfg->request_timeout);
		counters_inc(COUNTER_CLOSED_SLOW);
		close_conn(sv, sv->slow.head);
	}
	if (sv->slow.head && sv->slow.head->req_start_ms + limit < next)
		next = sv->slow.head->req_start_ms + limit;
	return next;
}

/* timers - answer waits that are over, close idle and slow connections,
 * resume accepting, keep the database open; returns the epoll timeout
 * until the nearest deadline */
static int timers(struct server *sv)
{
	long long now = clock_mono_ms(), idle_ms = 1000LL * sv->cfg->idle_timeout;
	long long next = now + lookup_maintain(&sv->lookup), due;

	resume_waiting(sv, 0);
	due = link_next_due(&sv->lookup.link);
	if (due >= 0 && due < next)
		next = due;

	if (sv->drain_until) {
		next = drain(sv, now);
		return next > now ? (int)(next - now) : 0;
	}
	while (sv->idle.head && sv->idle.head->last_ms + idle_ms <= now) {
		log_debug(2, "serve: %s: closing an idle connection",
			  sv->idle.head->listener);
		counters_inc(COUNTER_CLOSED_IDLE);
		close_conn(sv, sv->idle.head);
	}
	if (sv->idle.head && sv->idle.head->last_ms + idle_ms < next)
		next = sv->idle.head->last_ms + idle_ms;
	next = close_slow(sv, now, next);
	if (sv->accept_paused_until) {
		if (now >= sv->accept_paused_until)
			set_accepting(sv, 1);
		else if (sv->accept_paused_until < next)
			next = sv->accept_paused_until;
	}
	return next > now ? (int)(next - now) : 0;
}

static int setup(struct server *sv, const struct listeners *l)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	sv->ep = epoll_create1(EPOLL_CLOEXEC);
	if (sv->sigfd < 0 || sv->ep < 0) {
		log_msg(LOG_ERR, "serve: signalfd/epoll: %m");
		return -1;
	}
	sv->signal_watch.kind = WATCH_SIGNAL;
	sv->parent_watch.kind = WATCH_PARENT;
	sv->channel_watch.kind = WATCH_CHANNEL;
	if (sv->lookup.link.fd >= 0 &&
	    watch_fd(sv, sv->lookup.link.fd, EPOLLIN, &sv->channel_watch)) {
		log_msg(LOG_ERR, "serve: epoll_ctl: %m");
		return -1;
	}
	if (watch_fd(sv, sv->sigfd, EPOLLIN, &sv->signal_watch) != 0 ||
	    (sv->parent_fd >= 0 &&
	     watch_fd(sv, sv->parent_fd, EPOLLIN, &sv->parent_watch) != 0)) {
		log_msg(LOG_ERR, "serve: epoll_ctl: %m");
		return -1;
	}
	sv->nlisteners = l->n;
	sv->lw = xcalloc(l->n, sizeof *sv->lw);
	for (i = 0; i < l->n; i++) {
		sv->lw[i].watch.kind = WATCH_LISTENER;
		sv->lw[i].l = &l->v[i];
	}
	set_accepting(sv, 1);
	return 0;
}

static void teardown(struct server *sv)
{
	while (sv->idle.head)
		close_conn(sv, sv->idle.head);
	bury(sv);
	if (sv->lookup.link.fd >= 0)
		close(sv->lookup.link.fd);
	lookup_free(&sv->lookup);
	free(sv->lw);
	if (sv->ep >= 0)
		close(sv->ep);
	if (sv->sigfd >= 0)
		close(sv->sigfd);
}

int serve_run(const struct config *cfg, const struct listeners *l, int parent_fd)
{
	struct server sv;
	struct epoll_event evs[MAX_EVENTS];
	int rc = 0;

	memset(&sv, 0, sizeof sv);
	conn_list_init(&sv.idle, offsetof(struct conn, idle_link));
	conn_list_init(&sv.slow, offsetof(struct conn, slow_link));
	sv.cfg = cfg;
	sv.parent_fd = parent_fd;
	sv.ep = sv.sigfd = -1;
	tzset();
	if (cfg->user[0] != '\0' && drop_privileges(cfg->user) != 0)
		return 1;
	lookup_init(&sv.lookup, cfg);
	link_init(&sv.lookup.link, channel_take(CHANNEL_SERVE),
		  cfg->sync_wait_ms);
	go_to_empty_dir();
	if (setup(&sv, l) != 0)
		sv.stop = rc = 1;
	else
		(void)control_send(parent_fd, CONTROL_READY);
	log_debug(1, "serve: answering on %zu listener(s)", l->n);
	while (!sv.stop) {
		int i, n, timeout = timers(&sv);

		if (sv.stop)
			break;
		n = epoll_wait(sv.ep, evs, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "serve: epoll_wait: %m");
			rc = 1;
			break;
		}
		for (i = 0; i < n; i++)
			dispatch(&sv, &evs[i]);
		bury(&sv);
	}
	teardown(&sv);
	return rc;
}
