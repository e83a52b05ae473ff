/*
 * audit.c - popgate-dump's record of its own changes: one line per added,
 * refreshed or removed entry, sent through popgated's log channel (its
 * syslog_name and syslog_facility) and naming who ran it: the real uid
 * and its name, and under sudo the SUDO_USER/SUDO_UID that sudo set.
 * Environment text is escaped and bounded; nothing goes to stderr.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "util.h"

#define CALLER_MAX 300
#define IDENT_MAX 64

static char caller[CALLER_MAX];
static char ident[IDENT_MAX] = "popgated";	/* popgated's defaults */
static int facility = LOG_MAIL;

void audit_init(const struct config *cfg)
{
	if (cfg == NULL)
		return;
	copy_string(ident, cfg->syslog_name, sizeof ident);
	facility = config_facility(cfg);
}

/* describe_caller - "uid=0(root)" plus " sudo_user=bob sudo_uid=1000" */
static void describe_caller(void)
{
	char name[80] = "?", sudo[80], sudo_uid[40];
	const char *su = getenv("SUDO_USER"), *suid = getenv("SUDO_UID");
	struct passwd *pw = getpwuid(getuid());
	int n;

	if (pw != NULL)
		log_escape(name, sizeof name, pw->pw_name, strlen(pw->pw_name));
	n = snprintf(caller, sizeof caller, "uid=%lu(%s)",
		     (unsigned long)getuid(), name);
	if (su == NULL || n < 0)
		return;
	log_escape(sudo, sizeof sudo, su, strlen(su));
	log_escape(sudo_uid, sizeof sudo_uid, suid ? suid : "?",
		   strlen(suid ? suid : "?"));
	snprintf(caller + n, sizeof caller - (size_t)n,
		 " sudo_user=%s sudo_uid=%s", sudo, sudo_uid);
}

const char *audit_caller(void)
{
	if (caller[0] == '\0')
		describe_caller();
	return caller;
}

void audit_change(const char *what, const char *ip, const struct record *r)
{
	char user[RECORD_USER_MAX * 4] = "";

	if (r != NULL)
		log_escape(user, sizeof user, r->user, strlen(r->user));
	log_stderr(0);			/* syslog only, as popgated */
	log_syslog(ident, facility);
	log_msg(LOG_NOTICE, "popgate-dump: %s %s%s%s by %s", what, ip,
		r != NULL ? " user=" : "", user, audit_caller());
	log_syslog("popgate-dump", LOG_MAIL);
	log_stderr(1);
}
