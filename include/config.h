/*
 * config.h - popgate.conf: the keys, their defaults and parsed values.
 * The parser reports errors as "FILE:LINE: message" into a buffer and
 * never exits, so it can be fuzzed.
 */
#ifndef POPGATE_CONFIG_H
#define POPGATE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "addr.h"

#define CONFIG_DEFAULT_PATH "/etc/popgate/popgate.conf"
#define CONFIG_ERR_MAX 512

enum endpoint_kind { ENDPOINT_UNIX, ENDPOINT_INET };

struct endpoint {
	enum endpoint_kind kind;
	char *path;		/* unix: socket path */
	char *host;		/* inet: "127.0.0.1", "::1", "0.0.0.0", "::" (no brackets) */
	unsigned port;		/* inet: 1..65535 */
};

struct endpoint_list {
	struct endpoint *v;
	size_t n;
};

struct string_list {
	char **v;
	size_t n;
};

struct net_list {
	struct net *v;		/* every network, inline and from files */
	size_t n;
	struct string_list words;	/* as configured: networks and file
					 * names (for -n) */
};

struct pattern_spec {
	char *text;		/* the PCRE2 source */
	unsigned line;		/* config line, for error messages */
};

struct pattern_list {
	struct pattern_spec *v;
	size_t n;
};

enum start_at { START_AT_END, START_AT_BEGINNING };
enum export_format {
	EXPORT_POSTFIX, EXPORT_SENDMAIL, EXPORT_EXIM, EXPORT_TCPRULES,
	EXPORT_TCPRULES_IPV6
};
enum journal_mode { JOURNAL_NO, JOURNAL_YES, JOURNAL_AUTO };
enum unlisted_action { UNLISTED_DUNNO, UNLISTED_DEFER_IF_REJECT };

struct config {
	char *file;			/* path the config was read from */
	char *database;
	struct string_list log_files;
	struct string_list log_formats;	/* {"auto"} or format names */
	struct pattern_list patterns;
	unsigned window;		/* seconds */
	struct endpoint_list policy_listen;
	char *policy_action;
	char *socketmap_value;
	unsigned socket_mode;		/* e.g. 0666 */
	struct endpoint_list socketmap_listen;
	char *export_map;		/* "" = off */
	enum export_format export_format;
	char *export_prepend;		/* "" = none: static rules on top */
	char *export_command;		/* "" = none */
	struct net_list ignore_networks;
	struct string_list ignore_users;	/* never authorized */
	unsigned shared_address_users;	/* 0 = off, else 2..SHARED_USERS_MAX */
	unsigned ipv6_prefix;		/* 32..128 */
	enum unlisted_action unlisted_action;
	char *unlisted_text;		/* for DEFER_IF_REJECT */
	unsigned request_timeout;	/* seconds: a request must complete */
	unsigned sync_wait_ms;		/* wait for ingest before "not listed"; 0 off */
	struct endpoint_list dovecot_policy_listen;	/* at most one inet: */
	char *dovecot_policy_api_header;	/* "Name: value", "" = none */
	char *syslog_name;		/* syslog tag */
	int syslog_facility;		/* index: see config_facility() */
	char *user;			/* "" = no privilege drop */
	enum start_at start_at;
	unsigned rotate_wait;		/* seconds */
	unsigned sweep_interval;	/* seconds */
	unsigned max_clients;
	unsigned idle_timeout;		/* seconds */
	enum journal_mode journal;
	struct string_list journal_units;
	char *journal_directory;	/* "" = system journal */
	int session_tracking;		/* 0/1 */
	unsigned session_max;		/* seconds */
};

/* config_init - fill CFG with the defaults (no file read) */
void config_init(struct config *cfg);
/* config_load - config_init + read PATH. 0 ok; -1 with "FILE:LINE: msg"
 * (or "FILE: msg" when the file cannot be read) in ERR */
int config_load(struct config *cfg, const char *path, char *err, size_t errsize);
/* config_parse - config_init + parse BUF (LEN bytes, may contain NULs)
 * as if it were file NAME. Same result convention as config_load.
 * After a failure of either, CFG holds no memory and is all zero (not
 * the defaults); config_free on it is harmless */
int config_parse(struct config *cfg, const char *name, const char *buf,
		 size_t len, char *err, size_t errsize);
/* config_print - every effective setting as "key = value", in the order
 * of DESIGN's table, like postconf */
void config_print(const struct config *cfg, FILE *out);
void config_free(struct config *cfg);
/* config_facility - syslog_facility as a LOG_ value (LOG_MAIL, ...) */
int config_facility(const struct config *cfg);

struct store_params;
/* config_store_params - the parameters CFG puts in force in the database
 * (window, session_max when session_tracking, ipv6_prefix,
 * shared_address_users) */
void config_store_params(const struct config *cfg, struct store_params *p);

/* format_duration - "30m", "5s", "1d": the largest exact unit */
void format_duration(unsigned seconds, char *buf, size_t size);

#endif
