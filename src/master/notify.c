/*
 * notify.c - start-up and reload notices from the master: sd_notify
 * (READY=1, RELOADING=1, STOPPING=1, STATUS=) when built with libsystemd
 * (HAVE_SYSTEMD), and one byte on a pipe to the parent of a daemonizing
 * popgated, which exits 0 on it and 1 when the pipe closes without it.
 * Never fails the daemon: a notice that cannot be sent is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

static int parent_fd = -1;

static void send_state(const char *state)
{
#ifdef HAVE_SYSTEMD
	(void)sd_notify(0, state);
#else
	(void)state;
#endif
}

int notify_wanted(void)
{
#ifdef HAVE_SYSTEMD
	return getenv("NOTIFY_SOCKET") != NULL;
#else
	return 0;
#endif
}

void notify_set_parent(int fd)
{
	parent_fd = fd;
}

/* detach_stdio - stdio to /dev/null: the caller's terminal or pipe must
 * not be held open by a daemon it no longer waits for */
static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	log_stderr(0);
}

void notify_forget(void)
{
	if (parent_fd < 0)
		return;
	close(parent_fd);
	parent_fd = -1;
	detach_stdio();		/* a worker forked while the parent waits */
}

/* release_parent - the parent exits 0; stdio no longer reaches it */
static void release_parent(void)
{
	if (parent_fd < 0)
		return;
	while (write(parent_fd, "r", 1) < 0 && errno == EINTR)
		;
	notify_forget();
}

void notify_ready(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof buf, "READY=1\nSTATUS=%s", status);
	send_state(buf);
	release_parent();
}

void notify_reloading(void)
{
	send_state("RELOADING=1\nSTATUS=reloading the configuration");
}

void notify_stopping(void)
{
	send_state("STOPPING=1\nSTATUS=stopping");
}

void notify_status(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof buf, "STATUS=%s", status);
	send_state(buf);
}
