/*
 * control.c - the one-byte protocol between the master and a worker over
 * a socketpair (see control.h). Never blocks and never signals another
 * process: a wake-up is the kernel's own notice to the reading process.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"

int control_pair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0, fds);
}

int control_send(int fd, char cmd)
{
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = send(fd, &cmd, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

enum control_event control_read(int fd)
{
	enum control_event ev = CONTROL_NONE;
	char buf[64];
	ssize_t n, i;

	if (fd < 0)
		return CONTROL_NONE;
	for (;;) {
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return CONTROL_GONE;
		if (n < 0)
			return ev;
		for (i = 0; i < n; i++) {
			if (buf[i] == CONTROL_STOP)
				ev = CONTROL_GOT_STOP;
			else if (buf[i] == CONTROL_READY && ev == CONTROL_NONE)
				ev = CONTROL_GOT_READY;
		}
	}
}

int control_wake(int fd, int sig)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETOWN, getpid()) != 0 ||
	    fcntl(fd, F_SETSIG, sig) != 0 ||
	    fcntl(fd, F_SETFL, fl | O_ASYNC) != 0)
		return -1;
	return 0;
}
