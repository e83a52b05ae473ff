/*
 * notify.h - tell whoever started popgated how start-up and reloads go:
 * systemd (Type=notify) and the waiting parent of a daemonizing popgated.
 */
#ifndef POPGATE_NOTIFY_H
#define POPGATE_NOTIFY_H

/* notify_wanted - systemd listens for notices (status worth computing) */
int notify_wanted(void);
/* notify_set_parent - FD is the pipe to the parent waiting for start-up */
void notify_set_parent(int fd);
/* notify_forget - in a worker forked while the parent waits: drop its
 * pipe and detach stdio from it (errors then go to syslog only) */
void notify_forget(void);
/* notify_ready - started (or reloaded): READY=1 with STATUS; the first
 * call also releases the waiting parent and detaches stdio from it */
void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *status);

#endif
