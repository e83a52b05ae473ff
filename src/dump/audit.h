/*
 * audit.h - popgate-dump's log of every change it makes (audit.c).
 */
#ifndef POPGATE_AUDIT_H
#define POPGATE_AUDIT_H

#include "store.h"

/* audit_caller - "uid=N(name)", plus sudo's SUDO_USER and SUDO_UID */
const char *audit_caller(void);
/* audit_change - "popgate-dump: WHAT IP[ user=U] by CALLER" (R may be
 * NULL) to syslog, facility mail, under popgated's tag */
void audit_change(const char *what, const char *ip, const struct record *r);

#endif
