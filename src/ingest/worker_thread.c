/*
 * worker_thread.c - start and stop the ingest worker's helper threads
 * (journal reader, inbox) the same way: every signal blocked in the
 * thread, a byte on its stop pipe to end it.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "worker_thread.h"

int worker_thread_start(pthread_t *t, void *(*fn)(void *), void *arg,
			const char *what)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		log_msg(LOG_ERR, "%s: cannot start a thread: %s", what,
			strerror(rc));
	return rc == 0 ? 0 : -1;
}

void worker_thread_stop(pthread_t t, int stop_fd)
{
	while (write(stop_fd, "s", 1) < 0 && errno == EINTR)
		;
	pthread_join(t, NULL);
}
