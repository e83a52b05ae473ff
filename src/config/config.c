/*
 * config.c - popgate.conf: one table of keys drives parsing, validation,
 * defaults and config_print (popgated -n). Reports every problem as
 * "FILE:LINE: message" to its caller; never exits, never trusts a byte of
 * the input (NULs, endless lines, junk), never ignores an unknown key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_value.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define DAY 86400u
#define CONFIG_FILE_MAX (1024 * 1024)	/* a bigger config is a mistake */
#define NAME_SHOWN_MAX 256

/* enum fields are written as int by value_choice */
typedef char enums_are_ints[sizeof(enum start_at) == sizeof(int) &&
			    sizeof(enum export_format) == sizeof(int) &&
			    sizeof(enum journal_mode) == sizeof(int) &&
			    sizeof(enum unlisted_action) == sizeof(int) ? 1 : -1];

static const char *const start_at_names[] = { "end", "beginning", NULL };
static const char *const export_format_names[] = {
	"postfix", "sendmail", "exim", "tcprules", "tcprules-ipv6", NULL
};
static const char *const journal_names[] = { "no", "yes", "auto", NULL };
static const char *const no_yes[] = { "no", "yes", NULL };
static const char *const unlisted_names[] = { "DUNNO", "DEFER_IF_REJECT", NULL };
/* syslog_facility: names, and the LOG_ values in the same order */
static const char *const facility_names[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};
static const int facility_values[] = {
	LOG_MAIL, LOG_DAEMON, LOG_USER, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
	LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7
};

#define KEY(name, type, def, field, min, max, choices) \
	{ name, &type, def, offsetof(struct config, field), min, max, choices }

/* DESIGN's table, in its order: config_print follows it */
static const struct key_def keys[] = {
	KEY("database", value_string, "/var/lib/popgate/popgate.lmdb",
	    database, 1, 0, NULL),
	KEY("log_files", value_strings, "/var/log/mail.log", log_files, 0, 0, NULL),
	KEY("log_formats", value_formats, "auto", log_formats, 0, 0, NULL),
	KEY("pattern", value_pattern, NULL, patterns, 0, 0, NULL),
	KEY("window", value_duration, "30m", window, 1, 365 * DAY, NULL),
	KEY("policy_listen", value_endpoints,
	    "unix:/var/spool/postfix/private/popgate", policy_listen, 0, 0, NULL),
	KEY("policy_action", value_wire, "OK", policy_action, 1, 0, NULL),
	KEY("socketmap_value", value_wire, "OK", socketmap_value, 1, 0, NULL),
	KEY("socket_mode", value_mode, "0666", socket_mode, 0, 0777, NULL),
	KEY("socketmap_listen", value_endpoints, "", socketmap_listen, 0, 0, NULL),
	KEY("export_map", value_string, "", export_map, 0, 0, NULL),
	KEY("export_format", value_choice, "postfix", export_format, 0, 0,
	    export_format_names),
	KEY("export_prepend", value_file, "", export_prepend, 0, 0, NULL),
	KEY("export_command", value_string, "", export_command, 0, 0, NULL),
	KEY("ignore_networks", value_networks, "127.0.0.0/8, ::1/128",
	    ignore_networks, 0, 0, NULL),
	KEY("ignore_users", value_strings, "", ignore_users, 0, 0, NULL),
	KEY("shared_address_users", value_threshold, "0", shared_address_users,
	    2, SHARED_USERS_MAX, NULL),
	KEY("ipv6_prefix", value_number, "128", ipv6_prefix, 32, 128, NULL),
	KEY("unlisted_action", value_choice, "DUNNO", unlisted_action, 0, 0,
	    unlisted_names),
	KEY("unlisted_text", value_wire, "Fetch your mail first, then send again",
	    unlisted_text, 1, 400, NULL),
	KEY("request_timeout", value_duration, "10s", request_timeout, 1, DAY,
	    NULL),
	KEY("sync_wait", value_duration_ms, "200ms", sync_wait_ms, 0,
	    DAY * 1000, NULL),
	KEY("dovecot_policy_listen", value_endpoints, "", dovecot_policy_listen,
	    0, 0, NULL),
	KEY("dovecot_policy_api_header", value_api_header, "",
	    dovecot_policy_api_header, 0, 0, NULL),
	KEY("syslog_name", value_string, "popgated", syslog_name, 1, 0, NULL),
	KEY("syslog_facility", value_choice, "mail", syslog_facility, 0, 0,
	    facility_names),
	KEY("user", value_string, "popgate", user, 0, 0, NULL),
	KEY("start_at", value_choice, "end", start_at, 0, 0, start_at_names),
	KEY("rotate_wait", value_duration, "5s", rotate_wait, 1, DAY, NULL),
	KEY("sweep_interval", value_duration, "60s", sweep_interval, 1, DAY, NULL),
	KEY("max_clients", value_number, "1000", max_clients, 1, 1000000, NULL),
	KEY("idle_timeout", value_duration, "330s", idle_timeout, 1, DAY, NULL),
	KEY("journal", value_choice, "auto", journal, 0, 0, journal_names),
	KEY("journal_units", value_strings, "dovecot.service", journal_units,
	    0, 0, NULL),
	KEY("journal_directory", value_string, "", journal_directory, 0, 0, NULL),
	KEY("session_tracking", value_choice, "yes", session_tracking, 0, 0, no_yes),
	KEY("session_max", value_duration, "24h", session_max, 1, 365 * DAY, NULL),
};
#define N_KEYS (sizeof keys / sizeof keys[0])

struct parser {
	struct config *cfg;
	char name[NAME_SHOWN_MAX];	/* file name, escaped for messages */
	unsigned line;
	unsigned first_line[N_KEYS];	/* where each key was set, 0 = not yet */
	char *err;
	size_t errsize;
};

static void *field_of(struct config *cfg, const struct key_def *k)
{
	return (char *)cfg + k->offset;
}

/* fail - "FILE:LINE: message" into the caller's buffer; returns -1 */
static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->errsize == 0)
		return -1;
	n = snprintf(p->err, p->errsize, "%s:%u: ", p->name, p->line);
	if (n < 0 || (size_t)n >= p->errsize)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errsize - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* trim - drop blanks (space, tab, CR: CRLF files work) at both ends */
static void trim(const char **s, size_t *len)
{
	while (*len > 0 && is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_blank((*s)[*len - 1]))
		(*len)--;
}

static const struct key_def *find_key(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strlen(keys[i].name) == len &&
		    memcmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* set_key - parse VALUE (VLEN bytes) for key K found on the current line */
static int set_key(struct parser *p, const struct key_def *k,
		   const char *value, size_t vlen)
{
	unsigned *first = &p->first_line[k - keys];
	char msg[CONFIG_ERR_MAX];
	char *text;
	int rc;

	if (*first != 0 && !k->type->repeatable)
		return fail(p, "duplicate key \"%s\" (first set on line %u)",
			    k->name, *first);
	if (*first == 0)
		*first = p->line;
	text = xstrndup(value, vlen);
	rc = k->type->parse(k, text, p->line, field_of(p->cfg, k), msg,
			    sizeof msg);
	free(text);
	return rc == 0 ? 0 : fail(p, "%s: %s", k->name, msg);
}

static int parse_line(struct parser *p, const char *line, size_t len)
{
	const char *eq, *key, *value;
	size_t klen, vlen;
	const struct key_def *k;
	char shown[QUOTE_MAX];

	if (memchr(line, '\0', len) != NULL)
		return fail(p, "NUL byte in line");
	trim(&line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	eq = memchr(line, '=', len);
	key = line;
	klen = eq ? (size_t)(eq - line) : 0;
	trim(&key, &klen);
	if (klen == 0)
		return fail(p, "expected \"key = value\"");
	k = find_key(key, klen);
	if (k == NULL)
		return fail(p, "unknown key \"%s\"",
			    log_escape(shown, sizeof shown, key, klen));
	value = eq + 1;
	vlen = (size_t)(line + len - value);
	trim(&value, &vlen);
	return set_key(p, k, value, vlen);
}

/* is_loopback_host - an inet endpoint host only this machine reaches */
static int is_loopback_host(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* check_push_listener - dovecot_policy_listen: one inet endpoint, and an
 * API header unless it is on loopback (reported at the listen line) */
static int check_push_listener(struct parser *p)
{
	const struct endpoint_list *l = &p->cfg->dovecot_policy_listen;
	const struct key_def *k = find_key("dovecot_policy_listen",
					   strlen("dovecot_policy_listen"));

	if (l->n == 0)
		return 0;
	p->line = p->first_line[k - keys];
	if (l->n > 1)
		return fail(p, "dovecot_policy_listen: one endpoint only");
	if (l->v[0].kind != ENDPOINT_INET)
		return fail(p, "dovecot_policy_listen: expected inet:HOST:PORT "
			    "(Dovecot speaks HTTP over TCP)");
	if (p->cfg->dovecot_policy_api_header[0] == '\0' &&
	    !is_loopback_host(l->v[0].host))
		return fail(p, "dovecot_policy_listen: not on loopback, so "
			    "dovecot_policy_api_header is required");
	return 0;
}

void config_init(struct config *cfg)
{
	char msg[CONFIG_ERR_MAX];
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	for (i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];

		if (k->def != NULL &&
		    k->type->parse(k, k->def, 0, field_of(cfg, k), msg,
				   sizeof msg) != 0) {
			/* a default that fails its own check is a bug here */
			fprintf(stderr, "popgate: default of %s: %s\n",
				k->name, msg);
			abort();
		}
	}
}

int config_parse(struct config *cfg, const char *name, const char *buf,
		 size_t len, char *err, size_t errsize)
{
	struct parser p;
	size_t pos = 0;

	memset(&p, 0, sizeof p);
	p.cfg = cfg;
	p.err = err;
	p.errsize = errsize;
	log_escape(p.name, sizeof p.name, name, strlen(name));
	if (errsize > 0)
		err[0] = '\0';
	config_init(cfg);
	cfg->file = xstrdup(name);
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		p.line++;
		if (parse_line(&p, buf + pos, end - pos) != 0) {
			config_free(cfg);
			return -1;
		}
		pos = end + 1;
	}
	if (check_push_listener(&p) != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

/* read_file - the whole of PATH (at most CONFIG_FILE_MAX bytes) */
static char *read_file(const char *path, size_t *len)
{
	size_t size = 4096;
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = xmalloc(size);
	*len = 0;
	while ((n = read(fd, buf + *len, size - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (*len += (size_t)n) > CONFIG_FILE_MAX) {
			if (n >= 0)
				errno = EFBIG;
			free(buf);
			close(fd);
			return NULL;
		}
		if (*len == size)
			buf = xrealloc(buf, size *= 2);
	}
	close(fd);
	return buf;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errsize)
{
	char shown[NAME_SHOWN_MAX];
	size_t len;
	char *buf = read_file(path, &len);
	int rc;

	if (buf == NULL) {
		snprintf(err, errsize, "%s: %s",
			 log_escape(shown, sizeof shown, path, strlen(path)),
			 errno == EFBIG ? "file too large" : strerror(errno));
		memset(cfg, 0, sizeof *cfg);
		return -1;
	}
	rc = config_parse(cfg, path, buf, len, err, errsize);
	free(buf);
	return rc;
}

void config_print(const struct config *cfg, FILE *out)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		keys[i].type->print(&keys[i],
				    (const char *)cfg + keys[i].offset, out);
}

void config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		keys[i].type->free(field_of(cfg, &keys[i]));
	free(cfg->file);
	memset(cfg, 0, sizeof *cfg);
}

int config_facility(const struct config *cfg)
{
	return facility_values[cfg->syslog_facility];
}

void config_store_params(const struct config *cfg, struct store_params *p)
{
	memset(p, 0, sizeof *p);
	p->window = cfg->window;
	p->session_max = cfg->session_tracking ? cfg->session_max : 0;
	p->ipv6_prefix = cfg->ipv6_prefix;
	p->shared_users = cfg->shared_address_users;
}
