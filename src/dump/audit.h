/*
 * audit.h - popgate-dump's log of every change it makes (audit.c).
 */
#ifndef POPGATE_AUDIT_H
#define POPGATE_AUDIT_H

#include "config.h"
#include "store.h"

/* audit_init - log through CFG's syslog_name and syslog_facility (NULL:
 * popgated's defaults, tag popgated, facility mail) */
void audit_init(const struct config *cfg);
/* audit_caller - "uid=N(name)", plus sudo's SUDO_USER and SUDO_UID */
const char *audit_caller(void);
/* audit_change - "popgate-dump: WHAT IP[ user=U] by CALLER" (R may be
 * NULL) to syslog only, with popgated's tag and facility */
void audit_change(const char *what, const char *ip, const struct record *r);

#endif
