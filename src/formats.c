/*
 * formats.c - THE TABLE of built-in log formats: one entry per server.
 * Every regex is anchored on the syslog program tag at the start of the
 * message and takes the address from the field the server writes for the
 * client, located by the fixed layout; user-controlled text (user names,
 * SASL methods, client IDs) must never be able to supply the address.
 */
#include <string.h>

#include "formats.h"

/* pieces shared by the regexes (PCRE2 source, 8-bit, no UTF) */
#define D2 "[0-9]{2}"
#define HMS D2 ":" D2 ":" D2
#define BSD_STAMP "[A-Z][a-z]{2} [ 0-9]?[0-9] " HMS
#define RFC3339_STAMP "[0-9]{4}-" D2 "-" D2 "T" HMS "(?:\\.[0-9]+)?(?:Z|[+-]" D2 ":?" D2 ")"
#define ISO_LOCAL_STAMP "[0-9]{4}-" D2 "-" D2 "[ T]" HMS "(?:[.,][0-9]+)?(?:Z|[+-]" D2 ":?" D2 ")?"
/* syslog header: stamp and host (a host never ends in ':', so a header-
 * less line cannot pass another program's tag off as a host) - or none */
#define SYSLOG "^(?:(?:" BSD_STAMP "|" RFC3339_STAMP ") \\S*[^\\s:] )?"
#define PID "(?:\\[[0-9]+\\])?"
#define BRACKET_IP "\\[(?<ip>[^\\]\\s]+)\\]"
#define END "\\s*$"

/* Dovecot: the user name and the SASL method both come from the client
 * and may contain anything, so user=<...>, method=... is consumed as one
 * unit up to the LAST ", rip=X, lip=" in the line: the server's own field,
 * since what follows it (lip, mpid, TLS, session) is not client text */
#define DOVECOT_LOGIN "Login: user=<(?<user>.*?)>, method=.*, rip=(?<ip>[^,\\s]+), lip="
#define DOVECOT_SVC "(?<svc>pop3|imap)-login"

/* Courier: the ip=[...] that follows user=, the last one in the line;
 * only server fields (port=, protocol=, counters) may follow it */
#define COURIER_TAG SYSLOG "(?:courier)?(?<svc>pop3|imap)(?:d|d-ssl|login)" PID ": "
#define COURIER_FIELDS "user=(?<user>.*), ip=\\[(?<ip>[^\\]]*)\\](?:, (?!ip=)[a-z]+=[^\\s,]*)*" END

/* UW: "host=NAME [ip]" or "host=[ip]" ends the line (plus nmsgs) */
#define UW_TAG SYSLOG "(?<svc>ipop3s?d|ipop2d|imaps?d)" PID ": "
#define UW_HOST " host=(?:[^\\s\\[\\]]+ )?" BRACKET_IP

/* Zimbra mailbox.log (also forwarded through syslog): the context
 * [name=..;ip=PROXY;oip=CLIENT;via=..;ua=..;] - oip wins behind the proxy */
#define ZIMBRA_HEAD SYSLOG "(?:(?:mailboxlog|zimbramon)" PID ":? )?" \
	"(?<time>[0-9]{4}-" D2 "-" D2 " " HMS "[,.][0-9]+) +INFO +" \
	"\\[[A-Za-z0-9]*(?:Imap|Pop3)[A-Za-z0-9]*-[0-9]+\\] \\[name=(?<user>[^;\\]]*);"
/* server-set context keys after name=; ua= and via= (client text) end
 * the run. name= must equal the account in the message, so a name that
 * carries ";oip=..." (an extra pair) cannot match at all */
#define ZIMBRA_KEYS "aname|mid|cid|id|uid|port|ds"
#define ZIMBRA_PAIRS(keys) "(?:(?:" keys ")=[^;\\]]*;)*"
#define ZIMBRA_TAIL ".*\\] (?<svc>imap|pop3?) - user \\k<user> " \
	"authenticated, mechanism=[A-Za-z0-9_.-]+ ?(?:\\[TLS\\])?" END

#define QPOPPER_LOGIN "\\([^()]*\\) POP login by user \"(?<user>.*)\" at \\([^()]*\\) " \
	"(?<ip>[0-9A-Fa-f:.]+)(?: \\[[A-Za-z0-9_.]+:[0-9]+\\])?" END

const struct format_def format_table[] = {
	{ "dovecot", {
		{ MATCH_LOGIN, "Login: user=<",
		  SYSLOG "(?:dovecot" PID ": )?" DOVECOT_SVC PID ": " DOVECOT_LOGIN, NULL },
	} },
	{ "dovecot-logpath", {
		{ MATCH_LOGIN, "Info: Login: user=<",
		  "^(?:(?<time>" BSD_STAMP "|" ISO_LOCAL_STAMP ") )?" DOVECOT_SVC
		  ": Info: " DOVECOT_LOGIN, NULL },
		/* Dovecot 1.x: "dovecot: STAMP Info: imap-login: Login: ..." */
		{ MATCH_LOGIN, "Login: user=<",
		  "^dovecot: (?<time>" BSD_STAMP "|" ISO_LOCAL_STAMP ") Info: "
		  DOVECOT_SVC ": " DOVECOT_LOGIN, NULL },
	} },
	{ "courier", {
		{ MATCH_LOGIN, "LOGIN, user=", COURIER_TAG "LOGIN, " COURIER_FIELDS, NULL },
		{ MATCH_LOGOUT, ", user=",
		  COURIER_TAG "(?:LOGOUT|DISCONNECTED), " COURIER_FIELDS, NULL },
	} },
	{ "cyrus", {
		{ MATCH_LOGIN, ": login: ",
		  SYSLOG "(?:cyrus/)?(?<svc>pop3|imap)[ds]?" PID ": login: "
		  "(?:[^\\s\\[\\]]+ )?" BRACKET_IP " (?<user>\\S+) \\S+ User logged in", NULL },
	} },
	{ "uw", {
		{ MATCH_LOGIN, " host=",
		  UW_TAG "(?:Admin )?(?:Login|Authenticated|Auth|APOP) user=(?<user>.*)"
		  UW_HOST "(?: nmsgs=[0-9]+/[0-9]+| no mailbox)?" END, NULL },
		{ MATCH_LOGOUT, " host=",
		  UW_TAG "(?:Logout|Autologout) user=(?<user>.*)" UW_HOST
		  "(?: nmsgs=[0-9]+ ndele=[0-9]+)?" END, NULL },
	} },
	{ "qpopper", {
		{ MATCH_LOGIN, "POP login by user \"",
		  SYSLOG "(?:in\\.)?q?popper" PID ": " QPOPPER_LOGIN, "pop3" },
		/* qpopper's own log file */
		{ MATCH_LOGIN, "POP login by user \"",
		  "^(?<time>" BSD_STAMP ") \\[popper\\] " QPOPPER_LOGIN, "pop3" },
	} },
	{ "popa3d", {
		{ MATCH_LOGIN, "Authentication passed for ",
		  SYSLOG "popa3d" PID ": Authentication passed for (?<user>.*) -- "
		  BRACKET_IP END, "pop3" },
	} },
	{ "tpop3d", {
		{ MATCH_LOGIN, ": began session for `",
		  SYSLOG "tpop3d" PID ": (?:fork_child|connections_post_select): (?:client )?"
		  "\\[[0-9]+\\](?<ip>[0-9]{1,3}(?:\\.[0-9]{1,3}){3})(?:/[^\\s:]*)?: "
		  "began session for `(?<user>.*)' with [A-Za-z0-9_-]+; child PID is [0-9]+"
		  END, "pop3" },
	} },
	{ "gnu-pop3d", {
		{ MATCH_LOGIN, " logged in with mailbox ",
		  SYSLOG "gnu-pop3d" PID ": [Uu]ser [`']?(?<user>[^\\s`']+)[`']? "
		  "logged in with mailbox .* from (?<ip>[0-9A-Fa-f:.]+)" END, "pop3" },
	} },
	{ "zimbra", {
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_HEAD ZIMBRA_PAIRS(ZIMBRA_KEYS "|ip|oip") "oip=(?<ip>[^;\\]]+);"
		  ZIMBRA_TAIL, NULL },
		/* direct connection: no oip= and no via= anywhere in the
		 * context, else the ip= could be the proxy's */
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_HEAD "(?![^\\]]*(?:oip|via)=)" ZIMBRA_PAIRS(ZIMBRA_KEYS "|ip")
		  "ip=(?<ip>[^;\\]]+);" ZIMBRA_TAIL, NULL },
	} },
};
const size_t format_count = sizeof(format_table) / sizeof(format_table[0]);

const struct format_def *format_find(const char *name)
{
	for (size_t i = 0; i < format_count; i++)
		if (strcmp(format_table[i].name, name) == 0)
			return &format_table[i];
	return NULL;
}
