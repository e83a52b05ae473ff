/*
 * control.h - the channel between the master and each worker: one
 * socketpair per worker, one byte per message. The master sends commands
 * (never signals: the serve worker runs as another user and the unit has
 * no CAP_KILL); a worker sends its readiness. A hang-up means the other
 * side is gone.
 */
#ifndef POPGATE_CONTROL_H
#define POPGATE_CONTROL_H

/* master -> worker */
#define CONTROL_STOP 's'	/* finish what is in hand, then exit 0 */
/* worker -> master */
#define CONTROL_READY 'r'	/* started: serving (serve), reading (ingest) */

/* what control_read found */
enum control_event {
	CONTROL_NONE = 0,	/* nothing (or only unknown bytes) */
	CONTROL_GOT_STOP,	/* a CONTROL_STOP byte */
	CONTROL_GOT_READY,	/* a CONTROL_READY byte */
	CONTROL_GONE		/* the other side hung up */
};

/* control_pair - FDS[0] for the master, FDS[1] for the worker; both
 * non-blocking and close-on-exec. 0 ok, -1 (errno) */
int control_pair(int fds[2]);
/* control_send - write one command byte; 0 ok, -1 (peer gone, or full) */
int control_send(int fd, char cmd);
/* control_read - consume what is waiting on FD (never blocks) and report
 * the most important event: GONE > STOP > READY > NONE */
enum control_event control_read(int fd);
/* control_wake - in the worker: have the kernel send SIG to this process
 * when something arrives on FD (or the master hangs up), so a worker that
 * sleeps in a call it cannot add FD to still wakes at once */
int control_wake(int fd, int sig);

#endif
