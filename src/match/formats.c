/*
 * formats.c - THE TABLE of built-in log formats: one entry per server.
 * Every regex is anchored on the syslog header and program tag (or, for a
 * file only the server writes, its own stamp) and matches the whole line
 * the server writes, and takes the address from the field the server
 * writes for the client, located by the fixed layout; user-controlled
 * text (user names, SASL methods, client IDs) must never be able to
 * supply the address, nor a cut line pass for a whole one.
 * Each entry lists every tag its regexes accept: lines with other tags
 * never reach its rules (tagset.h says where a tag may stand).
 */
#include <string.h>

#include "formats.h"

/* pieces shared by the regexes (PCRE2 source, 8-bit, no UTF). Every
 * rule matches the whole line the server writes, up to its end ($, no
 * trailing blanks the server does not write), and every free-text field
 * is capped at the server's own limit: a rule never matches a line longer
 * than about 700 bytes, so a line cut by a syslog daemon (1, 2, 4 or 8 KiB)
 * can never match by ending where the cut fell */
#define D2 "[0-9]{2}"
#define HMS D2 ":" D2 ":" D2
#define BSD_STAMP "[A-Z][a-z]{2} [ 0-9]?[0-9] " HMS
#define RFC3339_STAMP "[0-9]{4}-" D2 "-" D2 "T" HMS "(?:\\.[0-9]{1,9})?(?:Z|[+-]" D2 ":?" D2 ")"
#define ISO_LOCAL_STAMP "[0-9]{4}-" D2 "-" D2 "[ T]" HMS "(?:[.,][0-9]{1,9})?(?:Z|[+-]" D2 ":?" D2 ")?"
/* the syslog header, required: stamp, then a host name (or the address
 * a syslog daemon writes instead), then the program tag */
#define HOST "(?<host>[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_.])?" \
	"|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]{0,43}[0-9A-Fa-f])"
#define SYSLOG "^(?:" BSD_STAMP "|" RFC3339_STAMP ") " HOST " "
#define PID "(?:\\[[0-9]{1,10}\\])?"
/* the PID that ties the lines of one session together: required */
#define PIDN "\\[(?<pid>[0-9]{1,10})\\]: "
#define IP_CHARS "[0-9A-Fa-f:.]{2,45}"
#define IPV4 "[0-9]{1,3}(?:\\.[0-9]{1,3}){3}"
#define TEXT(lo, hi) "[^\\x00-\\x1f\\x7f]{" #lo "," #hi "}"	/* printable, bounded */
#define WORD(lo, hi) "[^\\x00-\\x20\\x7f]{" #lo "," #hi "}"	/* no blank either */
#define BRACKET_IP "\\[(?<ip>[^\\]\\s]{1,64})\\]"

/* Dovecot: str_sanitize() caps the user at 80 bytes and the SASL
 * mechanism at 64 (MAX_MECH_NAME); rip= must occur once in the line (the
 * marker), so user text and elements after lip= (SNI, ...) cannot offer
 * another one. Elements after lip= are as login_log_format_elements says;
 * mpid and session, where present, tie the login to its logout */
#define DOVECOT_LOGIN "Login: user=<(?<user>" TEXT(0,80) ")>, method=" TEXT(1,64) \
	", rip=(?<ip>[^,\\s]{1,64}), lip=[0-9A-Fa-f:.]{0,45}" \
	"(?:, mpid=(?<pid>[0-9]{1,10}))?(?:(?:, [^,\\x00-\\x1f]{0,256})*?" \
	", session=<(?<sid>[A-Za-z0-9+/=]{1,64})>)?(?:, " TEXT(1,512) ")?$"
#define DOVECOT_SVC "(?<svc>pop3|imap)-login"
/* the mail process's lines: "imap(USER)<PID><SESSION>: Disconnected: ..."
 * (2.3 and later), "imap(USER): Disconnected: ..." (2.2 and older); the
 * user is the authenticated one, the last ")" before the prefix's end */
#define DOVECOT_BYE "(?:Disconnected|Logged out|Connection closed|Server shutting down)\\b"
#define DOVECOT_MAIL "(?<svc>pop3|imap)\\((?<user>" TEXT(1,255) ")\\)"
#define DOVECOT_END_ID DOVECOT_MAIL "<(?<pid>[0-9]{1,10})><(?<sid>[A-Za-z0-9+/=]{1,64})>: "
#define DOVECOT_END_USER DOVECOT_MAIL ": "
#define DOVECOT_TAG SYSLOG "dovecot" PID ": "
#define DOVECOT_FILE_STAMP "^(?:(?<time>" BSD_STAMP "|" ISO_LOCAL_STAMP ") )?"

/* Courier (courierlogger passes at most 511 bytes a line): the fields in
 * the order imapd/pop3d write them; ip=[ must occur once */
#define COURIER_TAG SYSLOG "(?:courier)?(?<svc>pop3|imap)(?:d|d-ssl|login)" PID ": "
#define COURIER_ADDR "user=(?<user>" TEXT(1,256) "), ip=\\[(?<ip>[^\\]\\s]{0,64})\\]" \
	"(?:, port=\\[[0-9]{1,5}\\])?"
#define COURIER_TLS "(?:, (?:stls|starttls)=1)?$"
#define COURIER_BYE "(?:LOGOUT|DISCONNECTED|TIMEOUT|I/O error disconnect|disc)"

/* UW: user and host each "%.80s"; host is "NAME [ip]" or "[ip]" */
#define UW_TAG SYSLOG "(?<svc>ipop3s?d|ipop2d|imaps?d)" PID ": "
#define UW_USER "user=(?<user>" TEXT(1,80) ")"
#define UW_HOST " host=(?:[^\\s\\[\\]]{1,77} )?" BRACKET_IP
#define UW_END "(?:Logout|Autologout|Hangup|Killed(?: \\([a-z ]{1,40}\\))?" \
	"|[A-Z][A-Za-z' ]{2,78}, while [a-z ]{2,40})"

/* Zimbra mailbox.log (also forwarded through syslog): the context
 * [name=..;ip=PROXY;oip=CLIENT;via=..;ua=..;] - oip wins behind the proxy */
#define ZIMBRA_STAMP "(?<time>[0-9]{4}-" D2 "-" D2 " " HMS "[,.][0-9]{1,9})"
#define ZIMBRA_BODY " +INFO +\\[[A-Za-z0-9]{0,32}(?:Imap|Pop3)[A-Za-z0-9]{0,32}-[0-9]{1,10}\\] " \
	"\\[name=(?<user>[^;\\]\\x00-\\x1f]{1,128});"
#define ZIMBRA_SYSLOG SYSLOG "(?:mailboxlog|zimbramon)" PID ":? " ZIMBRA_STAMP ZIMBRA_BODY
#define ZIMBRA_FILE "^" ZIMBRA_STAMP ZIMBRA_BODY
/* server-set context keys after name=; ua= and via= (client text) end
 * the run. name= must equal the account in the message, so a name that
 * carries ";oip=..." (an extra pair) cannot match at all */
#define ZIMBRA_KEYS "aname|mid|cid|id|uid|port|ds"
#define ZIMBRA_PAIRS(keys) "(?:(?:" keys ")=[^;\\]]{0,128};)*"
#define ZIMBRA_TAIL TEXT(0,400) "\\] (?<svc>imap|pop3?) - user \\k<user> " \
	"authenticated, mechanism=[A-Za-z0-9_.-]{1,32} ?(?:\\[TLS\\])?$"
#define ZIMBRA_PROXIED ZIMBRA_PAIRS(ZIMBRA_KEYS "|ip|oip") "oip=(?<ip>[^;\\]]{1,64});" ZIMBRA_TAIL
/* direct connection: no oip= and no via= anywhere in the context, else
 * the ip= could be the proxy's */
#define ZIMBRA_DIRECT "(?![^\\]]*(?:oip|via)=)" ZIMBRA_PAIRS(ZIMBRA_KEYS "|ip") \
	"ip=(?<ip>[^;\\]]{1,64});" ZIMBRA_TAIL

/* qpopper: its failure lines start with the user's text ("USER at HOST
 * (IP): -ERR ..."), so a login line is the whole message, the user
 * quoted text of at most 64 bytes, '" at (' once */
#define QPOPPER_TAG SYSLOG "(?:in\\.)?q?popper" PID ": "
#define QPOPPER_LOGIN "\\(v[0-9][^()\\s]{0,15}\\) POP login by user \"(?<user>" TEXT(1,64) ")\" " \
	"at \\([^()\\s]{1,255}\\) (?<ip>" IP_CHARS ")(?: \\[[A-Za-z0-9_.]{1,32}:[0-9]{1,6}\\])?$"

/* the two-line formats: a first line opens (any address text: one that
 * does not parse, like a host name, clears the PID's entry), a later line
 * of the same (file, host, PID) confirms; failures and exits discard */
#define FAILED "[^\\x00-\\x1f]{0,300}?(?:[Ff]ail|[Ee]rror|[Dd]isconnect|[Tt]ime(?:d )?out" \
	"|[Cc]losed|[Ee]xit|[Dd]enied|[Ii]nvalid|[Bb]ad |[Qq]uit|[Kk]illed|[Ee]nded|Didn't)"

/* GNU pop3d (Mailutils), also its vm-pop3d fork: an optional session id
 * prefix ("0000002a: ") when mu_log_session_id is set */
#define GNU_TAG SYSLOG "(?:gnu-)?pop3d" PIDN "(?:[0-9a-f]{8}: )?"
#define VM_TAG SYSLOG "vm-pop3d" PIDN
/* user and mailbox both quoted (`name' or 'name', a count may follow) or
 * both bare: a failure line, "User `NAME': authentication failed", whose
 * NAME holds " logged in with mailbox " is neither */
#define GNU_LOGIN "(?|[`'](?<user>[^\\s`']{1,128})' logged in with mailbox " \
	"[`'][^`'\\x00-\\x1f]{1,256}'(?: \\([0-9]{1,10} [a-z]{1,10}\\))?" \
	"|(?<user>[^\\s`']{1,128}) logged in with mailbox [^\\s`']{1,256})"

/* Cyrus 3.x logfmt: event=login.good, server keys, then r.clienthost
 * (quoted when it holds "host [ip]") before any user-supplied value */
#define LOGFMT_VAL "[!#-<>-\\[\\]-~]{1,256}"
#define CYRUS_TAG SYSLOG "(?:cyrus/)?(?<svc>pop3|imap)[ds]?" PID ": "
#define CYRUS_LOGFMT CYRUS_TAG "event=login\\.good" \
	"(?: session_id=" LOGFMT_VAL ")?(?: r\\.tid=" LOGFMT_VAL ")?" \
	" r\\.clienthost=\"?(?:[^\\s\"\\\\\\[\\]]{1,255} )?\\[(?<ip>" IP_CHARS ")\\]\"?" \
	"(?: u\\.username=(?<user>\"(?:[^\"\\\\\\x00-\\x1f]|\\\\.){0,256}\"|" LOGFMT_VAL "))?" \
	"(?: [a-z][a-z._]{0,30}=(?:\"(?:[^\"\\\\\\x00-\\x1f]|\\\\.){0,256}\"|" LOGFMT_VAL "))*$"

/* Perdition: "Auth: CLIENT->SERVER ..." - only the client side counts
 * (IPv6 written without brackets: the port follows the last ':'); the
 * line ends with the server's own status="ok"; user text (unescaped,
 * quotes and all) capped at 128 bytes; status= once */
#define PERDITION_CLIENT "(?|(?<ip>[0-9A-Fa-f:.]{2,45}):[0-9]{1,5}|(?<ip>" IPV4 ")" \
	"|\\[(?<ip>[0-9A-Fa-f:.]{2,45})\\](?::[0-9]{1,5})?)"
#define PERDITION_TAG SYSLOG "perdition(?:\\.(?<svc>[a-z0-9]{1,16}))?" PID ": Auth: " \
	PERDITION_CLIENT "->[^\\s]{1,64} "
#define PERDITION_SECURE "(?:ssl|starttls|plaintext)"
#define PERDITION_QUOTED "\"" TEXT(0,128) "\""

const struct format_def format_table[] = {
	{ "dovecot", {
		{ MATCH_LOGIN, "Login: user=<",
		  DOVECOT_TAG DOVECOT_SVC ": " DOVECOT_LOGIN, NULL, STEP_LINE, "rip=" },
		{ MATCH_LOGOUT, ">: ", DOVECOT_TAG DOVECOT_END_ID "(?:Info: )?" DOVECOT_BYE,
		  NULL, STEP_CLOSE, NULL },
		{ MATCH_LOGOUT, "pop3(|imap(", DOVECOT_TAG DOVECOT_END_USER "(?:Info: )?" DOVECOT_BYE,
		  NULL, STEP_CLOSE_USER, NULL },
	}, SESSION_ID,
	  "dovecot", 0 },
	{ "dovecot-logpath", {
		{ MATCH_LOGIN, "Info: Login: user=<",
		  DOVECOT_FILE_STAMP DOVECOT_SVC ": Info: " DOVECOT_LOGIN, NULL,
		  STEP_LINE, "rip=" },
		/* Dovecot 1.x: "dovecot: STAMP Info: imap-login: Login: ..." */
		{ MATCH_LOGIN, "Login: user=<",
		  "^dovecot: (?<time>" BSD_STAMP "|" ISO_LOCAL_STAMP ") Info: "
		  DOVECOT_SVC ": " DOVECOT_LOGIN, NULL, STEP_LINE, "rip=" },
		{ MATCH_LOGOUT, ">: Info: ",
		  DOVECOT_FILE_STAMP DOVECOT_END_ID "Info: " DOVECOT_BYE, NULL,
		  STEP_CLOSE, NULL },
		{ MATCH_LOGOUT, "): Info: ",
		  DOVECOT_FILE_STAMP DOVECOT_END_USER "Info: " DOVECOT_BYE, NULL,
		  STEP_CLOSE_USER, NULL },
	}, SESSION_ID,
	  "dovecot pop3-login imap-login pop3 imap", 0 },
	{ "courier", {
		{ MATCH_LOGIN, "LOGIN, user=",
		  COURIER_TAG "LOGIN, " COURIER_ADDR "(?:, protocol=[A-Z0-9]{1,16})?"
		  COURIER_TLS, NULL, STEP_LINE, "ip=[" },
		{ MATCH_LOGOUT, ", user=",
		  COURIER_TAG COURIER_BYE ", " COURIER_ADDR
		  "(?:, [a-z]{1,10}=[0-9]{1,20}){0,10}" COURIER_TLS, NULL,
		  STEP_LINE, "ip=[" },
	}, SESSION_IP,
	  "pop3d pop3d-ssl pop3login imapd imapd-ssl imaplogin "
	  "courierpop3d courierpop3d-ssl courierpop3login courierimapd "
	  "courierimapd-ssl courierimaplogin", 0 },
	{ "cyrus", {
		{ MATCH_LOGIN, ": login: ",
		  CYRUS_TAG "login: (?:[^\\s\\[\\]]{1,255} )?\\[(?<ip>" IP_CHARS ")\\] "
		  "(?<user>" WORD(1,256) ") " WORD(1,64) " User logged in"
		  "(?: SESSIONID=<[^\\s<>]{1,128}>)?$", NULL, STEP_LINE, NULL },
		{ MATCH_LOGIN, "event=login.good ", CYRUS_LOGFMT, NULL, STEP_LINE,
		  "r.clienthost=" },
	}, SESSION_NONE,
	  "pop3 pop3d pop3s imap imapd imaps cyrus/pop3 cyrus/pop3d "
	  "cyrus/pop3s cyrus/imap cyrus/imapd cyrus/imaps", 0 },
	{ "uw", {
		{ MATCH_LOGIN, "Login user=|Auth user=|APOP user=",
		  UW_TAG "(?:(?:Admin )?Login|Auth|APOP) " UW_USER UW_HOST
		  "(?: nmsgs=[0-9]{1,10}/[0-9]{1,10}| no mailbox)?$", NULL,
		  STEP_LINE, "host=" },
		{ MATCH_LOGIN, "Authenticated user=",
		  UW_TAG "Authenticated " UW_USER UW_HOST "(?: mech=" WORD(1,80) ")?$",
		  NULL, STEP_LINE, "host=" },
		{ MATCH_LOGOUT, "ogout user=|Hangup user=|Killed|, while ",
		  UW_TAG UW_END " " UW_USER UW_HOST
		  "(?: nmsgs=[0-9]{1,10} ndele=[0-9]{1,10})?$", NULL, STEP_LINE,
		  "host=" },
	}, SESSION_IP,
	  "ipop3d ipop3sd ipop2d imapd imapsd", 0 },
	{ "qpopper", {
		{ MATCH_LOGIN, "POP login by user \"",
		  QPOPPER_TAG QPOPPER_LOGIN, "pop3", STEP_LINE, "\" at (" },
		/* qpopper's own log file (a file only it writes) */
		{ MATCH_LOGIN, "POP login by user \"",
		  "^(?<time>" BSD_STAMP ") \\[popper\\] " QPOPPER_LOGIN, "pop3",
		  STEP_LINE, "\" at (" },
		/* end of a session: "Stats: USER RETR DELE BYTES BYTES [HOST] IP" */
		{ MATCH_LOGIN, ": Stats: ",
		  QPOPPER_TAG "Stats: (?<user>" WORD(1,64) ") [0-9]{1,10} [0-9]{1,10} "
		  "[0-9]{1,20} [0-9]{1,20} (?:[^\\s\\[\\]()]{1,255} )?(?<ip>" IP_CHARS ")$",
		  "pop3", STEP_LINE, NULL },
	}, SESSION_NONE,
	  "popper qpopper in.popper in.qpopper [popper]", 0 },
	{ "popa3d", {
		{ MATCH_LOGIN, "]: Session from ",
		  SYSLOG "popa3d" PIDN "Session from (?<ip>" WORD(1,255) ")$",
		  "pop3", STEP_OPEN, NULL },
		/* the user as long as a one-line login's whole tail (128
		 * + " -- [" + 64 + "]"): a name ending in " -- [IP]" is this
		 * rule's, so a session with a first line waiting is never
		 * read as the one-line form with the name's address */
		{ MATCH_LOGIN, "]: Authentication passed for ",
		  SYSLOG "popa3d" PIDN "Authentication passed for (?<user>" TEXT(1,198) ")$",
		  "pop3", STEP_CONFIRM, NULL },
		/* patched popa3d: one line */
		{ MATCH_LOGIN, "Authentication passed for ",
		  SYSLOG "popa3d" PID ": Authentication passed for (?<user>" TEXT(1,128)
		  ") -- " BRACKET_IP "$", "pop3", STEP_LINE, " -- [" },
		{ MATCH_LOGIN, NULL, SYSLOG "popa3d" PIDN FAILED, "pop3",
		  STEP_DISCARD, NULL },
	}, SESSION_NONE,
	  "popa3d", 0 },
	{ "vm-pop3d", {
		{ MATCH_LOGIN, "]: Connect from ",
		  VM_TAG "Connect from (?<ip>" WORD(1,255) ")$", "pop3", STEP_OPEN, NULL },
		{ MATCH_LOGIN, " logged in",
		  VM_TAG "User '(?<user>" TEXT(1,128) ")'(?: of '" TEXT(0,128) "')? logged in$",
		  "pop3", STEP_CONFIRM, NULL },
		/* newer releases: one line */
		{ MATCH_LOGIN, " logged in from ",
		  VM_TAG "User (?<user>" TEXT(1,128) ") logged in from (?<ip>" IP_CHARS ")$",
		  "pop3", STEP_LINE, " logged in from " },
		{ MATCH_LOGIN, NULL, VM_TAG "(?:Session (?:ended|timed out) for no user"
		  "|Socket closed|Quitting on signal|Unknown quit|Quitting - |" FAILED ")",
		  "pop3", STEP_DISCARD, NULL },
	}, SESSION_NONE,
	  "vm-pop3d", 0 },
	{ "spop3d", {
		{ MATCH_LOGIN, "]: connect from ",
		  SYSLOG "spop3d" PIDN "connect from (?<ip>" WORD(1,255) ")$", "pop3",
		  STEP_OPEN, NULL },
		{ MATCH_LOGIN, " authenticated",
		  SYSLOG "spop3d" PIDN "user (?<user>" WORD(1,128) ") authenticated$", "pop3",
		  STEP_CONFIRM, NULL },
		/* built with --enable-logextend: one line */
		{ MATCH_LOGIN, " authenticated - ",
		  SYSLOG "spop3d" PID ": user (?<user>" WORD(1,128) ") authenticated - "
		  "(?<ip>" IP_CHARS ")$", "pop3", STEP_LINE, " authenticated - " },
		/* tcp_wrappers: "connect from ADDRESS" or "... from HOSTNAME" */
		{ MATCH_LOGIN, NULL, SYSLOG "spop3d" PIDN FAILED, "pop3",
		  STEP_DISCARD, NULL },
	}, SESSION_NONE,
	  "spop3d", 0 },
	{ "gnu-pop3d", {
		{ MATCH_LOGIN, "onnect",
		  GNU_TAG "(?:[Cc]onnect from|[Ii]ncoming connection from) "
		  "(?<ip>" WORD(1,255) ")$", "pop3", STEP_OPEN, NULL },
		{ MATCH_LOGIN, " logged in with mailbox ",
		  GNU_TAG "[Uu]ser " GNU_LOGIN "$",
		  "pop3", STEP_CONFIRM, NULL },
		{ MATCH_LOGIN, " logged in with mailbox ",
		  SYSLOG "gnu-pop3d" PID ": [Uu]ser " GNU_LOGIN " from (?<ip>" IP_CHARS ")$",
		  "pop3", STEP_LINE, NULL },
		{ MATCH_LOGIN, NULL,
		  GNU_TAG "(?:[Ss]ession ended for no user|[Uu]ser .{0,200}: authentication "
		  "failed|" FAILED ")", "pop3", STEP_DISCARD, NULL },
	}, SESSION_NONE,
	  "gnu-pop3d pop3d[", 0 },
	{ "tpop3d", {
		{ MATCH_LOGIN, ": began session for `",
		  SYSLOG "tpop3d" PID ": (?:fork_child|connections_post_select): (?:client )?"
		  "\\[[0-9]{1,10}\\](?<ip>" IPV4 ")(?:/[^\\s:]{1,64})?: "
		  "began session for `(?<user>" TEXT(1,128) ")' with [A-Za-z0-9_-]{1,32}; "
		  "child PID is [0-9]{1,10}$", "pop3", STEP_LINE, "began session for `" },
	}, SESSION_NONE,
	  "tpop3d", 0 },
	{ "cucipop", {
		/* end of a session: "USER IP msgs, bytes (n), msgs (n)" */
		{ MATCH_LOGIN, NULL,
		  SYSLOG "cucipop" PID ": (?<user>" WORD(1,64) ") (?<ip>" IP_CHARS ") "
		  "[0-9]{1,10}, [0-9]{1,20} \\([0-9]{1,20}\\), [0-9]{1,10} \\([0-9]{1,20}\\)$",
		  "pop3", STEP_LINE, NULL },
	}, SESSION_NONE,
	  "cucipop", 0 },
	{ "teapop", {
		{ MATCH_LOGIN, "Successful login for ",
		  SYSLOG "teapop" PID ": Successful login for (?<user>" WORD(1,128) ") "
		  "(?:[^\\[\\]\\x00-\\x1f]{1,300} )?\\[(?<ip>" IP_CHARS ")\\]$", "pop3",
		  STEP_LINE, NULL },
	}, SESSION_NONE,
	  "teapop", 0 },
	{ "vchkpw", {
		/* vpopmail: "vchkpw-pop3: (PLAIN) login success user@domain:IP";
		 * SMTP AUTH (vchkpw-smtp, -submission) is not a mailbox login */
		{ MATCH_LOGIN, "login success ",
		  SYSLOG "(?:vpopmail|vchkpw)" PID ": vchkpw(?:-(?<svc>pop3s?|imaps?))?: "
		  "(?:\\([A-Za-z0-9_-]{1,32}\\) )?login success "
		  "(?<user>[^\\s:@]{1,128}@[^\\s:@]{1,128}):(?<ip>" IP_CHARS ")$",
		  "pop3", STEP_LINE, NULL },
		/* vpopmail 4.x */
		{ MATCH_LOGIN, "vchkpw: login [",
		  SYSLOG "(?:vpopmail|vchkpw)" PID ": vchkpw: login \\[(?<user>[^\\]\\s]{0,128})\\] "
		  "from (?<ip>" IP_CHARS ")$", "pop3", STEP_LINE, NULL },
	}, SESSION_NONE,
	  "vpopmail vchkpw", 0 },
	{ "perdition", {
		{ MATCH_LOGIN, "status=\"ok\"",
		  PERDITION_TAG "client-secure=" PERDITION_SECURE " authorisation_id="
		  "(?:NONE|" PERDITION_QUOTED ") authentication_id=\"(?<user>" TEXT(0,128)
		  ")\"(?: passwd=" PERDITION_QUOTED ")? server=" PERDITION_QUOTED
		  " protocol=[A-Z0-9]{1,16}(?:(?:, ?| )[A-Z0-9]{1,16}){0,7}"
		  " server-secure=" PERDITION_SECURE " status=\"ok\"$", "perdition",
		  STEP_LINE, "status=" },
		/* older releases */
		{ MATCH_LOGIN, "status=\"ok\"",
		  PERDITION_TAG "user=\"(?<user>" TEXT(0,128) ")\" server=" PERDITION_QUOTED
		  " port=\"[0-9]{1,5}\" status=\"ok\"$", "perdition", STEP_LINE, "status=" },
	}, SESSION_NONE,
	  "perdition perdition.*", 0 },
	{ "binc", {
		{ MATCH_LOGIN, "> ",
		  SYSLOG "bincimap(?:-up|d)?" PID ": <(?<user>[^<>\\s]{0,128})> "
		  "(?:logged in|authenticated) from (?<ip>" IP_CHARS ")$",
		  "imap", STEP_LINE, " from " },
	}, SESSION_NONE,
	  "bincimap bincimap-up bincimapd", 0 },
	{ "zimbra", {
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_SYSLOG ZIMBRA_PROXIED, NULL, STEP_LINE, "oip=" },
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_SYSLOG ZIMBRA_DIRECT, NULL, STEP_LINE, "ip=" },
		/* mailbox.log itself (a file only Zimbra writes) */
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_FILE ZIMBRA_PROXIED, NULL, STEP_LINE, "oip=" },
		{ MATCH_LOGIN, " authenticated, mechanism=",
		  ZIMBRA_FILE ZIMBRA_DIRECT, NULL, STEP_LINE, "ip=" },
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
