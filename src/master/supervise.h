/*
 * supervise.h - the master's loop: fork and restart the workers, forward
 * signals, apply reloads.
 */
#ifndef POPGATE_SUPERVISE_H
#define POPGATE_SUPERVISE_H

#include "config.h"

/* supervise - bind the listeners, run the workers until TERM/INT; takes
 * ownership of CFG. GID is the group for unix sockets (-1 = leave).
 * Returns the exit status */
int supervise(struct config *cfg, long gid);

#endif
