/*
 * config_net.c - the popgate.conf values that name sockets and networks:
 * endpoint lists (unix:PATH, inet:IPV4:PORT, inet:[IPV6]:PORT) and CIDR
 * lists. Host parts must be numeric (never resolved); a network with host
 * bits set is refused rather than silently widened or narrowed.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

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

static int add_network(const char *word, void *list, char *msg, size_t msgsize)
{
	struct net_list *l = list;
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

static void free_networks(void *field)
{
	struct net_list *l = field;

	free(l->v);
	l->v = NULL;
	l->n = 0;
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
	char buf[ADDR_TEXT_MAX];
	size_t i;

	value_print_key(k, out);
	for (i = 0; i < l->n; i++) {
		net_format(&l->v[i], buf, sizeof buf);
		value_print_item(out, i, buf);
	}
	fputc('\n', out);
}

const struct value_type value_networks = {
	parse_networks, print_networks, free_networks, 0
};
