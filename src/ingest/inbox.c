/*
 * inbox.c - a thread of the ingest worker on its end of the channel from
 * serve. A pushed login goes to the login sink like every source's
 * (window, ignore_networks, ipv6_prefix, sessions), committed at once. A sync request is answered once the main loop
 * (files) and the journal thread have each read to their end and
 * committed, or after SYNC_GIVE_UP: a stuck source never keeps serve
 * waiting past its own sync_wait, and the thread never blocks on serve.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "inbox.h"
#include "log.h"
#include "util.h"
#include "worker_thread.h"

#define KICK_MS 5		/* re-wake the main loop this often */
#define SYNC_GIVE_UP_MS 2000	/* report a sync done after this anyway */
#define LOGINS_PER_COMMIT 256

struct inbox {
	const struct config *cfg;
	struct sink *sink;
	int sessions;		/* pushed logins open sessions */
	int fd;
	int stop_pipe[2];
	int wake_pipe[2];	/* journal thread: a sync is asked for */
	pthread_t thread, main_thread;
	pthread_mutex_t mu;	/* guards the sync fields below */
	pthread_cond_t cv;
	uint32_t asked;		/* syncs asked for so far */
	uint32_t done[SYNC_SOURCES];
	int on[SYNC_SOURCES];
	struct ratelimit rl_log;
};

/* ---- what the sources call ---- */

void inbox_source(struct inbox *ib, enum sync_source src, int on)
{
	if (ib == NULL)
		return;
	pthread_mutex_lock(&ib->mu);
	ib->on[src] = on;
	ib->done[src] = ib->asked;
	pthread_cond_broadcast(&ib->cv);	/* a sync waiting for it ends */
	pthread_mutex_unlock(&ib->mu);
}

int inbox_sync_wanted(struct inbox *ib, enum sync_source src, uint32_t *gen)
{
	int wanted;

	if (ib == NULL)
		return 0;
	pthread_mutex_lock(&ib->mu);
	*gen = ib->asked;
	wanted = ib->done[src] != ib->asked;
	pthread_mutex_unlock(&ib->mu);
	return wanted;
}

void inbox_synced(struct inbox *ib, enum sync_source src, uint32_t gen)
{
	if (ib == NULL)
		return;
	pthread_mutex_lock(&ib->mu);
	if ((int32_t)(gen - ib->done[src]) > 0)
		ib->done[src] = gen;
	pthread_cond_broadcast(&ib->cv);
	pthread_mutex_unlock(&ib->mu);
}

int inbox_wake_fd(struct inbox *ib)
{
	return ib ? ib->wake_pipe[0] : -1;
}

/* ---- pushed logins ---- */

static void login(struct inbox *ib, const struct channel_msg *m)
{
	char key[sizeof SINK_DOVECOT_KEY_PREFIX + CHANNEL_SESSION_MAX];
	struct sink_event e;
	size_t n = strlen(m->session);

	memset(&e, 0, sizeof e);
	e.addr = m->addr;
	e.has_addr = 1;
	e.user = m->user;
	e.service = m->service;
	e.format = "dovecot-policy";
	e.time = (time_t)m->time;
	e.live = 1;
	if (ib->sessions && n > 0 &&
	    n + sizeof SINK_DOVECOT_KEY_PREFIX - 1 <= SINK_SESSION_KEY_MAX) {
		memcpy(key, SINK_DOVECOT_KEY_PREFIX,
		       sizeof SINK_DOVECOT_KEY_PREFIX - 1);
		memcpy(key + sizeof SINK_DOVECOT_KEY_PREFIX - 1, m->session, n);
		e.session = 1;
		e.session_key = key;
		e.session_key_len = n + sizeof SINK_DOVECOT_KEY_PREFIX - 1;
	}
	sink_login(ib->sink, "push", &e);
}

/* ---- syncs ---- */

static int all_done(const struct inbox *ib, uint32_t gen)
{
	for (int s = 0; s < SYNC_SOURCES; s++)
		if (ib->on[s] && (int32_t)(ib->done[s] - gen) < 0)
			return 0;
	return 1;
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

/* run_sync - ask every source, wake them until they report done */
static void run_sync(struct inbox *ib)
{
	long long give_up = clock_mono_ms() + SYNC_GIVE_UP_MS;
	struct timespec ts;
	uint32_t gen;

	pthread_mutex_lock(&ib->mu);
	gen = ++ib->asked;
	if (ib->on[SYNC_JOURNAL] && write(ib->wake_pipe[1], "s", 1) < 0 &&
	    errno != EAGAIN)
		log_limited(&ib->rl_log, LOG_ERR, "sync: wake pipe: %m");
	while (!all_done(ib, gen) && clock_mono_ms() < give_up) {
		if (ib->on[SYNC_FILES] && (int32_t)(ib->done[SYNC_FILES] - gen) < 0)
			pthread_kill(ib->main_thread, SIGUSR1);
		deadline_in(&ts, KICK_MS);
		pthread_cond_timedwait(&ib->cv, &ib->mu, &ts);
	}
	pthread_mutex_unlock(&ib->mu);
}

static void reply_synced(struct inbox *ib, uint32_t seq)
{
	struct channel_msg m;

	memset(&m, 0, sizeof m);
	m.type = CHANNEL_SYNCED;
	m.seq = seq;
	if (channel_send(ib->fd, &m) != 0)
		log_limited(&ib->rl_log, LOG_WARNING, "sync: the channel to "
			    "serve is full; a waiting answer times out");
}

/* ---- the thread ---- */

/* take_messages - everything queued now: logins into the batch, the
 * highest sync asked for into *SEQ; -1 when the channel is gone */
static int take_messages(struct inbox *ib, int *want_sync, uint32_t *seq)
{
	struct channel_msg m;
	int rc, n = 0;

	while (n < LOGINS_PER_COMMIT && (rc = channel_recv(ib->fd, &m)) == 1) {
		if (m.type == CHANNEL_LOGIN) {
			login(ib, &m);
			n++;
		} else if (m.type == CHANNEL_SYNC) {
			*want_sync = 1;
			*seq = m.seq;
		}
	}
	return n < LOGINS_PER_COMMIT && rc < 0 ? -1 : 0;
}

static void *inbox_main(void *arg)
{
	struct inbox *ib = arg;

	for (;;) {
		struct pollfd p[2] = { { ib->stop_pipe[0], POLLIN, 0 },
				       { ib->fd, POLLIN, 0 } };
		int want_sync = 0, gone;
		uint32_t seq = 0;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		gone = take_messages(ib, &want_sync, &seq);
		sink_commit(ib->sink);
		if (want_sync) {
			run_sync(ib);
			reply_synced(ib, seq);
		}
		if (gone)
			break;
	}
	sink_commit(ib->sink);
	return NULL;
}

static void inbox_free(struct inbox *ib)
{
	for (int i = 0; i < 2; i++) {
		if (ib->stop_pipe[i] >= 0)
			close(ib->stop_pipe[i]);
		if (ib->wake_pipe[i] >= 0)
			close(ib->wake_pipe[i]);
	}
	close(ib->fd);
	pthread_cond_destroy(&ib->cv);
	pthread_mutex_destroy(&ib->mu);
	free(ib);
}

struct inbox *inbox_start(const struct config *cfg, struct sink *sink,
			  int sessions, int fd)
{
	struct inbox *ib;

	if (fd < 0)
		return NULL;
	ib = xcalloc(1, sizeof *ib);
	ib->cfg = cfg;
	ib->sink = sink;
	ib->sessions = sessions;
	ib->fd = fd;
	ib->main_thread = pthread_self();
	ib->on[SYNC_FILES] = 1;
	pthread_mutex_init(&ib->mu, NULL);
	pthread_cond_init(&ib->cv, NULL);
	ib->stop_pipe[0] = ib->stop_pipe[1] = -1;
	ib->wake_pipe[0] = ib->wake_pipe[1] = -1;
	if (pipe2(ib->stop_pipe, O_CLOEXEC) != 0 ||
	    pipe2(ib->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_msg(LOG_ERR, "sync: pipe: %m");
		inbox_free(ib);
		return NULL;
	}
	if (worker_thread_start(&ib->thread, inbox_main, ib, "sync") != 0) {
		inbox_free(ib);
		return NULL;
	}
	return ib;
}

void inbox_stop(struct inbox *ib)
{
	if (ib == NULL)
		return;
	worker_thread_stop(ib->thread, ib->stop_pipe[1]);
	inbox_free(ib);
}
