/*
 * formats.c - THE TABLE of built-in log formats: one entry per server.
 * Every regex is anchored on the syslog program tag at the start of the
 * message and takes the address from the field the server writes for the
 * client, located by the fixed layout; user-controlled text (user names,
 * SASL methods, client IDs) must never be able to supply the address.
 * Each entry lists every tag its regexes accept: lines with other tags
 * never reach its rules (tagset.h says where a tag may stand).
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
#define SYSLOG "^(?:(?:" BSD_STAMP "|" RFC3339_STAMP ") (?<host>\\S*[^\\s:]) )?"
#define PID "(?:\\[[0-9]+\\])?"
/* the PID that ties the lines of one session together: required */
#define PIDN "\\[(?<pid>[0-9]{1,10})\\]: "
#define IP_CHARS "[0-9A-Fa-f:.]+"
#define BRACKET_IP "\\[(?<ip>[^\\]\\s]+)\\]"
#define END "\\s*$"

/* Dovecot: the user name and the SASL method both come from the client
 * and may contain anything, so user=<...>, method=... is consumed as one
 * unit up to the LAST ", rip=X, lip=" in the line: the server's own field,
 * since what follows it (lip, mpid, TLS, session) is not client text */
#define DOVECOT_LOGIN "Login: user=<(?<user>.*?)>, method=.*, rip=(?<ip>[^,\\s]+), lip=" \
	"[^,\\s]*(?:, mpid=(?<pid>[0-9]{1,10})(?:, [^,<>]*)*?, session=<(?<sid>[A-Za-z0-9+/=]{1,64})>)?"
#define DOVECOT_SVC "(?<svc>pop3|imap)-login"
/* the mail process's lines: "imap(USER)<PID><SESSION>: Disconnected: ..."
 * (the user name is client text: the last ")<pid><session>: " counts) */
#define DOVECOT_END "(?<svc>pop3|imap)\\((?<user>.*)\\)<(?<pid>[0-9]{1,10})>" \
	"<(?<sid>[A-Za-z0-9+/=]{1,64})>: (?:Info: )?(?:Disconnected|Logged out)\\b"

/* Courier: the ip=[...] that follows user=, the last one in the line;
 * only server fields (port=, protocol=, counters) may follow it */
#define COURIER_TAG SYSLOG "(?:courier)?(?<svc>pop3|imap)(?:d|d-ssl|login)" PID ": "
#define COURIER_FIELDS "user=(?<user>.*), ip=\\[(?<ip>[^\\]]*)\\](?:, (?!ip=)[a-z]+=[^\\s,]*)*" END

/* UW: "host=NAME [ip]" or "host=[ip]" ends the line (plus nmsgs) */
#define UW_TAG SYSLOG "(?<svc>ipop3s?d|ipop2d|imaps?d)" PID ": "
#define UW_HOST " host=(?:[^\\s\\[\\]]+ )?" BRACKET_IP
#define UW_END "(?:Logout|Autologout|Killed \\([^()]*\\)|Command stream end of file" \
	"|Connection (?:broken|reset by peer|timed out))(?:,? while [a-z ]+)?"

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

#define QPOPPER_TAG SYSLOG "(?:in\\.)?q?popper" PID ": "
#define QPOPPER_LOGIN "\\([^()]*\\) POP login by user \"(?<user>.*)\" at \\([^()]*\\) " \
	"(?<ip>" IP_CHARS ")(?: \\[[A-Za-z0-9_.]+:[0-9]+\\])?" END

/* GNU pop3d (Mailutils), also its vm-pop3d fork: an optional session id
 * prefix ("0000002a: ") when mu_log_session_id is set */
#define GNU_TAG SYSLOG "(?:gnu-)?pop3d" PIDN "(?:[0-9a-f]{8}: )?"
#define VM_TAG SYSLOG "vm-pop3d" PIDN

/* Cyrus 3.x logfmt: event=login.good, server keys, then r.clienthost
 * (quoted when it holds "host [ip]") before any user-supplied value */
#define LOGFMT_VAL "[!#-<>-\\[\\]-~]+"
#define CYRUS_LOGFMT SYSLOG "(?:cyrus/)?(?<svc>pop3|imap)[ds]?" PID ": event=login\\.good" \
	"(?: session_id=" LOGFMT_VAL ")?(?: r\\.tid=" LOGFMT_VAL ")?" \
	" r\\.clienthost=\"?(?:[^\\s\"\\\\\\[\\]]+ )?\\[(?<ip>" IP_CHARS ")\\]\"?" \
	"(?: u\\.username=(?<user>\"(?:[^\"\\\\]|\\\\.)*\"|" LOGFMT_VAL "))?(?: |$)"

/* Perdition: "Auth: CLIENT->SERVER ..." - only the client side counts;
 * the line must end with the server's own status="ok" */
#define PERDITION_CLIENT "(?|(?<ip>[0-9]{1,3}(?:\\.[0-9]{1,3}){3})(?::[0-9]+)?" \
	"|\\[(?<ip>[0-9A-Fa-f:.]+)\\](?::[0-9]+)?)"

const struct format_def format_table[] = {
	{ "dovecot", {
		{ MATCH_LOGIN, "Login: user=<",
		  SYSLOG "(?:dovecot" PID ": )?" DOVECOT_SVC PID ": " DOVECOT_LOGIN,
		  NULL, STEP_LINE },
		{ MATCH_LOGOUT, ">: ",
		  SYSLOG "(?:dovecot" PID ": )?" DOVECOT_END, NULL, STEP_CLOSE },
	}, SESSION_ID,
	  "dovecot pop3-login imap-login pop3 imap", 0 },
	{ "dovecot-logpath", {
		{ MATCH_LOGIN, "Info: Login: user=<",
		  "^(?:(?<time>" BSD_STAMP "|" ISO_LOCAL_STAMP ") )?" DOVECOT_SVC
		  ": Info: " DOVECOT_LOGIN, NULL, STEP_LINE },
		/* Dovecot 1.x: "dovecot: STAMP Info: imap-login: Login: ..." */
		{ MATCH_LOGIN, "Login: user=<",
		  "^dovecot: (?<time>" BSD_STAMP "|" ISO_LOCAL_STAMP ") Info: "
		  DOVECOT_SVC ": " DOVECOT_LOGIN, NULL, STEP_LINE },
		{ MATCH_LOGOUT, ">: Info: ",
		  "^(?:(?<time>" BSD_STAMP "|" ISO_LOCAL_STAMP ") )?" DOVECOT_END,
		  NULL, STEP_CLOSE },
	}, SESSION_ID,
	  "dovecot pop3-login imap-login pop3 imap", 0 },
	{ "courier", {
		{ MATCH_LOGIN, "LOGIN, user=", COURIER_TAG "LOGIN, " COURIER_FIELDS,
		  NULL, STEP_LINE },
		{ MATCH_LOGOUT, ", user=",
		  COURIER_TAG "(?:LOGOUT|DISCONNECTED), " COURIER_FIELDS, NULL, STEP_LINE },
	}, SESSION_IP,
	  "pop3d pop3d-ssl pop3login imapd imapd-ssl imaplogin "
	  "courierpop3d courierpop3d-ssl courierpop3login courierimapd "
	  "courierimapd-ssl courierimaplogin", 0 },
	{ "cyrus", {
		{ MATCH_LOGIN, ": login: ",
		  SYSLOG "(?:cyrus/)?(?<svc>pop3|imap)[ds]?" PID ": login: "
		  "(?:[^\\s\\[\\]]+ )?" BRACKET_IP " (?<user>\\S+) \\S+ User logged in",
		  NULL, STEP_LINE },
		{ MATCH_LOGIN, "event=login.good ", CYRUS_LOGFMT, NULL, STEP_LINE },
	}, SESSION_NONE,
	  "pop3 pop3d pop3s imap imapd imaps cyrus/pop3 cyrus/pop3d "
	  "cyrus/pop3s cyrus/imap cyrus/imapd cyrus/imaps", 0 },
	{ "uw", {
		{ MATCH_LOGIN, " host=",
		  UW_TAG "(?:Admin )?(?:Login|Authenticated|Auth|APOP) user=(?<user>.*)"
		  UW_HOST "(?: nmsgs=[0-9]+/[0-9]+| no mailbox)?" END, NULL, STEP_LINE },
		{ MATCH_LOGOUT, " host=",
		  UW_TAG UW_END " user=(?<user>.*)" UW_HOST
		  "(?: nmsgs=[0-9]+ ndele=[0-9]+)?" END, NULL, STEP_LINE },
	}, SESSION_IP,
	  "ipop3d ipop3sd ipop2d imapd imapsd", 0 },
	{ "qpopper", {
		{ MATCH_LOGIN, "POP login by user \"",
		  QPOPPER_TAG QPOPPER_LOGIN, "pop3", STEP_LINE },
		/* qpopper's own log file */
		{ MATCH_LOGIN, "POP login by user \"",
		  "^(?<time>" BSD_STAMP ") \\[popper\\] " QPOPPER_LOGIN, "pop3", STEP_LINE },
		/* end of a session: "Stats: USER RETR DELE BYTES BYTES [HOST] IP" */
		{ MATCH_LOGIN, ": Stats: ",
		  QPOPPER_TAG "Stats: (?<user>\\S+) [0-9]+ [0-9]+ [0-9]+ [0-9]+ "
		  "(?:[^\\s\\[\\]()]+ )?(?<ip>" IP_CHARS ")" END, "pop3", STEP_LINE },
	}, SESSION_NONE,
	  "popper qpopper in.popper in.qpopper [popper]", 0 },
	{ "popa3d", {
		/* patched popa3d: one line */
		{ MATCH_LOGIN, "Authentication passed for ",
		  SYSLOG "popa3d" PID ": Authentication passed for (?<user>.*) -- "
		  BRACKET_IP END, "pop3", STEP_LINE },
		{ MATCH_LOGIN, "]: Session from ",
		  SYSLOG "popa3d" PIDN "Session from (?<ip>" IP_CHARS ")" END,
		  "pop3", STEP_OPEN },
		{ MATCH_LOGIN, "]: Authentication passed for ",
		  SYSLOG "popa3d" PIDN "Authentication passed for (?<user>.+)$",
		  "pop3", STEP_CONFIRM },
		{ MATCH_LOGIN, NULL,
		  SYSLOG "popa3d" PIDN "(?:Authentication failed for |Didn't attempt)",
		  "pop3", STEP_DISCARD },
	}, SESSION_NONE,
	  "popa3d", 0 },
	{ "vm-pop3d", {
		/* newer releases: one line */
		{ MATCH_LOGIN, " logged in from ",
		  VM_TAG "User (?<user>.*) logged in from (?<ip>" IP_CHARS ")" END,
		  "pop3", STEP_LINE },
		{ MATCH_LOGIN, "]: Connect from ",
		  VM_TAG "Connect from (?<ip>" IP_CHARS ")" END, "pop3", STEP_OPEN },
		{ MATCH_LOGIN, " logged in",
		  VM_TAG "User '(?<user>.*)'(?: of '[^']*')? logged in" END, "pop3",
		  STEP_CONFIRM },
		{ MATCH_LOGIN, NULL,
		  VM_TAG "(?:Session (?:ended|timed out) for no user|Socket closed"
		  "|Quitting on signal|Unknown quit|Quitting - )", "pop3", STEP_DISCARD },
	}, SESSION_NONE,
	  "vm-pop3d", 0 },
	{ "spop3d", {
		/* built with --enable-logextend: one line */
		{ MATCH_LOGIN, " authenticated - ",
		  SYSLOG "spop3d" PID ": user (?<user>\\S+) authenticated - (?<ip>" IP_CHARS ")"
		  END, "pop3", STEP_LINE },
		{ MATCH_LOGIN, "]: connect from ",
		  SYSLOG "spop3d" PIDN "connect from (?<ip>" IP_CHARS ")" END, "pop3",
		  STEP_OPEN },
		{ MATCH_LOGIN, " authenticated",
		  SYSLOG "spop3d" PIDN "user (?<user>\\S+) authenticated" END, "pop3",
		  STEP_CONFIRM },
	}, SESSION_NONE,
	  "spop3d", 0 },
	{ "gnu-pop3d", {
		{ MATCH_LOGIN, " logged in with mailbox ",
		  SYSLOG "gnu-pop3d" PID ": [Uu]ser [`']?(?<user>[^\\s`']+)[`']? "
		  "logged in with mailbox .* from (?<ip>" IP_CHARS ")" END, "pop3", STEP_LINE },
		{ MATCH_LOGIN, "onnect",
		  GNU_TAG "(?:[Cc]onnect from|[Ii]ncoming connection from) (?<ip>" IP_CHARS ")"
		  END, "pop3", STEP_OPEN },
		{ MATCH_LOGIN, " logged in with mailbox ",
		  GNU_TAG "[Uu]ser [`']?(?<user>[^\\s`']+)[`']? logged in with mailbox ",
		  "pop3", STEP_CONFIRM },
		{ MATCH_LOGIN, NULL,
		  GNU_TAG "(?:[Ss]ession ended for no user|[Uu]ser .*: authentication failed)",
		  "pop3", STEP_DISCARD },
	}, SESSION_NONE,
	  "gnu-pop3d pop3d[", 0 },
	{ "tpop3d", {
		{ MATCH_LOGIN, ": began session for `",
		  SYSLOG "tpop3d" PID ": (?:fork_child|connections_post_select): (?:client )?"
		  "\\[[0-9]+\\](?<ip>[0-9]{1,3}(?:\\.[0-9]{1,3}){3})(?:/[^\\s:]*)?: "
		  "began session for `(?<user>.*)' with [A-Za-z0-9_-]+; child PID is [0-9]+"
		  END, "pop3", STEP_LINE },
	}, SESSION_NONE,
	  "tpop3d", 0 },
	{ "cucipop", {
		/* end of a session: "USER IP msgs, bytes (n), msgs (n)" */
		{ MATCH_LOGIN, NULL,
		  SYSLOG "cucipop" PID ": (?<user>\\S+) (?<ip>" IP_CHARS ") [0-9]+, "
		  "[0-9]+ \\([0-9]+\\), [0-9]+ \\([0-9]+\\)" END, "pop3", STEP_LINE },
	}, SESSION_NONE,
	  "cucipop", 0 },
	{ "teapop", {
		{ MATCH_LOGIN, "Successful login for ",
		  SYSLOG "teapop" PID ": Successful login for (?<user>\\S+) [^\\[\\]]*"
		  "\\[(?<ip>" IP_CHARS ")\\]" END, "pop3", STEP_LINE },
	}, SESSION_NONE,
	  "teapop", 0 },
	{ "vchkpw", {
		/* vpopmail: "vchkpw-pop3: (PLAIN) login success user@domain:IP";
		 * SMTP AUTH (vchkpw-smtp, -submission) is not a mailbox login */
		{ MATCH_LOGIN, "login success ",
		  SYSLOG "(?:vpopmail|vchkpw)" PID ": vchkpw(?:-(?<svc>pop3s?|imaps?))?: "
		  "(?:\\([A-Za-z0-9_-]+\\) )?login success (?<user>[^\\s:@]+@[^\\s:@]+):"
		  "(?<ip>" IP_CHARS ")" END, "pop3", STEP_LINE },
		/* vpopmail 4.x */
		{ MATCH_LOGIN, "vchkpw: login [",
		  SYSLOG "(?:vpopmail|vchkpw)" PID ": vchkpw: login \\[(?<user>[^\\]\\s]*)\\] "
		  "from (?<ip>" IP_CHARS ")" END, "pop3", STEP_LINE },
	}, SESSION_NONE,
	  "vpopmail vchkpw", 0 },
	{ "perdition", {
		{ MATCH_LOGIN, "status=\"ok\"",
		  SYSLOG "perdition(?:\\.(?<svc>[a-z0-9]+))?" PID ": Auth: " PERDITION_CLIENT
		  "->\\S+ (?:.* )?status=\"ok\"" END, "perdition", STEP_LINE },
	}, SESSION_NONE,
	  "perdition perdition.*", 0 },
	{ "binc", {
		{ MATCH_LOGIN, "> ",
		  SYSLOG "bincimap(?:-up|d)?" PID ": <(?<user>[^<>\\s]*)> "
		  "(?:logged in|authenticated) (?:from )?\\[?(?<ip>" IP_CHARS ")\\]?" END,
		  "imap", STEP_LINE },
	}, SESSION_NONE,
	  "bincimap bincimap-up bincimapd", 0 },
	{ "zimbra", {
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_HEAD ZIMBRA_PAIRS(ZIMBRA_KEYS "|ip|oip") "oip=(?<ip>[^;\\]]+);"
		  ZIMBRA_TAIL, NULL, STEP_LINE },
		/* direct connection: no oip= and no via= anywhere in the
		 * context, else the ip= could be the proxy's */
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_HEAD "(?![^\\]]*(?:oip|via)=)" ZIMBRA_PAIRS(ZIMBRA_KEYS "|ip")
		  "ip=(?<ip>[^;\\]]+);" ZIMBRA_TAIL, NULL, STEP_LINE },
	}, SESSION_NONE,
	  "mailboxlog zimbramon", 1 },
};
const size_t format_count = sizeof(format_table) / sizeof(format_table[0]);

const struct format_def *format_find(const char *name)
{
	for (size_t i = 0; i < format_count; i++)
		if (strcmp(format_table[i].name, name) == 0)
			return &format_table[i];
	return NULL;
}
