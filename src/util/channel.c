/*
 * channel.c - the serve <-> ingest channel: a SOCK_SEQPACKET socketpair
 * (message boundaries kept, queue bounded by the socket buffer, ordered)
 * made by the master before any fork. Never blocks: a full channel is
 * reported to the caller, who drops and counts.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "log.h"

static int pair[2] = { -1, -1 };	/* [CHANNEL_SERVE], [CHANNEL_INGEST] */

int channel_create(void)
{
	int size = CHANNEL_BUFFER;

	if (pair[0] >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, pair) != 0) {
		log_msg(LOG_ERR, "channel: socketpair: %m; Dovecot reports and "
			"waiting for the logs are off");
		pair[0] = pair[1] = -1;
		return -1;
	}
	setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	return 0;
}

int channel_take(enum channel_side side)
{
	int other = side == CHANNEL_SERVE ? CHANNEL_INGEST : CHANNEL_SERVE;
	int fd = pair[side];

	if (pair[other] >= 0)
		close(pair[other]);
	pair[0] = pair[1] = -1;
	return fd;
}

int channel_send(int fd, const struct channel_msg *m)
{
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = send(fd, m, sizeof *m, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *m ? 0 : -1;
}

int channel_recv(int fd, struct channel_msg *m)
{
	ssize_t n;

	for (;;) {
		n = recv(fd, m, sizeof *m, MSG_DONTWAIT);
		if (n == (ssize_t)sizeof *m) {
			m->user[sizeof m->user - 1] = '\0';
			m->service[sizeof m->service - 1] = '\0';
			m->session[sizeof m->session - 1] = '\0';
			return 1;
		}
		if (n == 0)
			return -1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		/* a short message cannot come from our peer: skip it */
	}
}
