/*
 * ingest.h - the ingest worker: its sources (files, journal) feed the
 * login sink (sink.h), which writes the store.
 */
#ifndef POPGATE_INGEST_H
#define POPGATE_INGEST_H

#include "config.h"

/* ingest_run - runs in the forked ingest child until SIGTERM/SIGINT (then
 * commits and returns 0) or until PARENT_FD (read end of a pipe from the
 * master) hangs up. Writes one byte to READY_FD (then closes it) once the
 * database is open and the watches are set. Returns the exit status */
int ingest_run(const struct config *cfg, int ready_fd, int parent_fd);

#endif
