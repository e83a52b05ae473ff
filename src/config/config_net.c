/*
 * config_net.c - the popgate.conf values that name sockets and networks:
 * endpoint lists (unix:PATH, inet:IPV4:PORT, inet:[IPV6]:PORT) and CIDR
 * lists (inline, or "/FILE" entries naming files of networks, one a
 * line, read again with every reload). Host parts must be numeric (never
 * resolved); a network with host bits set is refused rather than
 * silently widened or narrowed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "config_value.h"
#include "util.h"

/* ---- endpoints ---- */

static void free_endpoint(struct endpoint *e)
{
	free(e->path);
	free(e->host);
}

/* numeric_host - LEN bytes of HOST are an address of FAMILY */
static int numeric_host(const char *host, size_t len, int family)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];

	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	return inet_pton(family, buf, bin) == 1;
}

/* parse_inet - HP is what follows "inet:" in WORD */
static int parse_inet(const char *word, const char *hp, struct endpoint *e,
		      char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];
	const char *host = hp, *port;
	size_t host_len;
	int family = AF_INET;

	if (*hp == '[') {
		const char *close = strchr(hp, ']');

		if (close == NULL || close[1] != ':')
			return value_say(msg, msgsize, "bad endpoint \"%s\" "
					 "(expected inet:[IPV6]:PORT)",
					 value_shown(word, buf));
		host = hp + 1;
		host_len = (size_t)(close - host);
		port = close + 2;
		family = AF_INET6;
	} else {
		port = strrchr(hp, ':');
		if (port == NULL)
			return value_say(msg, msgsize, "bad endpoint \"%s\" "
					 "(expected inet:ADDRESS:PORT)",
					 value_shown(word, buf));
		host_len = (size_t)(port++ - hp);
	}
	if (!numeric_host(host, host_len, family))
		return value_say(msg, msgsize, "bad address in \"%s\" (expected "
				 "a numeric IPv4 address or a bracketed IPv6 "
				 "address)", value_shown(word, buf));
	if (value_parse_unsigned(port, 10, &e->port) != 0 || e->port < 1 ||
	    e->port > 65535)
		return value_say(msg, msgsize, "bad port in \"%s\" (expected "
				 "1 to 65535)", value_shown(word, buf));
	e->kind = ENDPOINT_INET;
	e->host = xstrndup(host, host_len);
	return 0;
}

static int parse_endpoint(const char *word, struct endpoint *e,
			  char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];

	memset(e, 0, sizeof *e);
	if (strncmp(word, "inet:", 5) == 0)
		return parse_inet(word, word + 5, e, msg, msgsize);
	if (strncmp(word, "unix:", 5) == 0 && word[5] != '\0') {
		e->kind = ENDPOINT_UNIX;
		e->path = xstrdup(word + 5);
		return 0;
	}
	return value_say(msg, msgsize, "bad endpoint \"%s\" (expected "
			 "unix:PATH, inet:ADDRESS:PORT or inet:[IPV6]:PORT)",
			 value_shown(word, buf));
}

static int add_endpoint(const char *word, void *list, char *msg, size_t msgsize)
{
	struct endpoint_list *l = list;
	struct endpoint e;

	if (parse_endpoint(word, &e, msg, msgsize) != 0)
		return -1;
	l->v = value_grow(l->v, l->n, sizeof *l->v);
	l->v[l->n++] = e;
	return 0;
}

static void free_endpoints(void *field)
{
	struct endpoint_list *l = field;
	size_t i;

	for (i = 0; i < l->n; i++)
		free_endpoint(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int parse_endpoints(const struct key_def *k, const char *value,
			   unsigned line, void *field, char *msg, size_t msgsize)
{
	(void)k;
	(void)line;
	return value_parse_list(value, add_endpoint, free_endpoints, field,
				sizeof(struct endpoint_list), msg, msgsize);
}

static void print_endpoints(const struct key_def *k, const void *field,
			    FILE *out)
{
	const struct endpoint_list *l = field;
	size_t i;

	value_print_key(k, out);
	for (i = 0; i < l->n; i++) {
		const struct endpoint *e = &l->v[i];

		value_print_item(out, i, e->kind == ENDPOINT_UNIX ? "unix:" : "inet:");
		if (e->kind == ENDPOINT_UNIX)
			fputs(e->path, out);
		else if (strchr(e->host, ':') != NULL)
			fprintf(out, "[%s]:%u", e->host, e->port);
		else
			fprintf(out, "%s:%u", e->host, e->port);
	}
	fputc('\n', out);
}

const struct value_type value_endpoints = {
	parse_endpoints, print_endpoints, free_endpoints, 0
};

/* ---- networks ---- */

#define NETWORKS_FILE_MAX (4 * 1024 * 1024)	/* bytes in one file */

/* push_word - keep WORD as configured, for config_print */
static void push_word(struct net_list *l, const char *word)
{
	struct string_list *w = &l->words;

	w->v = value_grow(w->v, w->n, sizeof *w->v);
	w->v[w->n++] = xstrdup(word);
}

/* push_network - WORD parsed into L; host bits set are an error */
static int push_network(struct net_list *l, const char *word, char *msg,
			size_t msgsize)
{
	char buf[QUOTE_MAX], masked[ADDR_TEXT_MAX];
	struct net n;
	int host_bits;

	if (net_parse_loose(word, &n, &host_bits) != 0)
		return value_say(msg, msgsize, "bad network \"%s\" (expected "
				 "ADDRESS or ADDRESS/PREFIX)",
				 value_shown(word, buf));
	if (host_bits) {
		net_format(&n, masked, sizeof masked);
		return value_say(msg, msgsize, "host bits set in \"%s\" (did "
				 "you mean %s?)", value_shown(word, buf), masked);
	}
	l->v = value_grow(l->v, l->n, sizeof *l->v);
	l->v[l->n++] = n;
	return 0;
}

/* file_line - one line of a networks file: "#" starts a comment, blanks
 * around the network are ignored, an empty line is skipped */
static int file_line(struct net_list *l, char *line, char *msg,
		     size_t msgsize)
{
	char *end;

	line[strcspn(line, "#\r\n")] = '\0';
	line += strspn(line, " \t");
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*line == '\0')
		return 0;
	return push_network(l, line, msg, msgsize);
}

/* add_networks_file - every network of PATH (one a line); errors name
 * the file and its line */
static int add_networks_file(struct net_list *l, const char *path,
			     char *msg, size_t msgsize)
{
	char shown[QUOTE_MAX], inner[CONFIG_ERR_MAX];
	/* O_NONBLOCK: a FIFO or device never blocks the reload */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	struct stat st;
	ssize_t n;
	int rc = 0;

	value_shown(path, shown);
	if (fd < 0)
		return value_say(msg, msgsize, "%s: %s", shown, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > NETWORKS_FILE_MAX || (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return value_say(msg, msgsize, "%s: not a regular file of at "
				 "most %d bytes", shown, NETWORKS_FILE_MAX);
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL)
			rc = value_say(inner, sizeof inner, "NUL byte in line");
		else
			rc = file_line(l, line, inner, sizeof inner);
		if (rc != 0)
			value_say(msg, msgsize, "%s:%u: %s", shown, lineno, inner);
	}
	free(line);
	fclose(f);
	return rc;
}

static int add_network(const char *word, void *list, char *msg, size_t msgsize)
{
	struct net_list *l = list;
	char text[ADDR_TEXT_MAX];

	if (word[0] == '/') {
		if (add_networks_file(l, word, msg, msgsize) != 0)
			return -1;
		push_word(l, word);
		return 0;
	}
	if (push_network(l, word, msg, msgsize) != 0)
		return -1;
	net_format(&l->v[l->n - 1], text, sizeof text);
	push_word(l, text);
	return 0;
}

static void free_networks(void *field)
{
	struct net_list *l = field;

	for (size_t i = 0; i < l->words.n; i++)
		free(l->words.v[i]);
	free(l->words.v);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int parse_networks(const struct key_def *k, const char *value,
			  unsigned line, void *field, char *msg, size_t msgsize)
{
	(void)k;
	(void)line;
	return value_parse_list(value, add_network, free_networks, field,
				sizeof(struct net_list), msg, msgsize);
}

static void print_networks(const struct key_def *k, const void *field,
			   FILE *out)
{
	const struct net_list *l = field;
	size_t i;

	value_print_key(k, out);
	for (i = 0; i < l->words.n; i++)
		value_print_item(out, i, l->words.v[i]);
	fputc('\n', out);
}

const struct value_type value_networks = {
	parse_networks, print_networks, free_networks, 0
};
