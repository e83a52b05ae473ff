/*
 * serve.h - the serve worker (policy, socketmap, Dovecot's auth policy), answering on the
 * listening sockets the master bound for it (listeners.h).
 */
#ifndef POPGATE_SERVE_H
#define POPGATE_SERVE_H

#include "config.h"
#include "listeners.h"

/* serve_run - in the forked serve child: drop privileges to CFG->user,
 * open the database read-only, answer on L until SIGTERM or until
 * PARENT_FD hangs up. Returns the exit status */
int serve_run(const struct config *cfg, const struct listeners *l, int parent_fd);

#endif
