/*
 * worker_thread.h - the ingest worker's helper threads (journal reader,
 * inbox): started with every signal blocked, so signals meant for the
 * worker reach its main loop, and stopped through a pipe.
 */
#ifndef POPGATE_WORKER_THREAD_H
#define POPGATE_WORKER_THREAD_H

#include <pthread.h>

/* worker_thread_start - run FN(ARG) in *T with every signal blocked;
 * logs "WHAT: cannot start a thread" on failure. 0 or -1 */
int worker_thread_start(pthread_t *t, void *(*fn)(void *), void *arg,
			const char *what);
/* worker_thread_stop - one byte to STOP_FD (the thread's stop pipe), then
 * wait for T to end */
void worker_thread_stop(pthread_t t, int stop_fd);

#endif
