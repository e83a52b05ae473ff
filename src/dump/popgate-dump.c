/*
 * popgate-dump - show, add to and remove from popgate's database:
 *   popgate-dump [-ajPs] [-c config | -d database] [-r | -t] [-u user]
 *                [IP|CIDR ...]
 * Every argument is checked before the database is opened; a missing or
 * broken database is reported, never created (except by -t) or repaired.
 * Every change is logged (audit.c) once it is committed.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "dump_format.h"
#include "log.h"
#include "util.h"
#include "version.h"

#define DEFAULT_DATABASE "/var/lib/popgate/popgate.lmdb"
/* the man page's SYNOPSIS (tests/dump/usage.t compares them) */
#define USAGE \
	"usage: popgate-dump [-aj] [-c config | -d database] [-u user] " \
	"[address | network ...]\n" \
	"       popgate-dump [-c config | -d database] -r [-u user] " \
	"[address | network ...]\n" \
	"       popgate-dump [-c config | -d database] -t address ...\n" \
	"       popgate-dump [-c config | -d database] -s [-j | -P]\n" \
	"       popgate-dump -h | --help\n" \
	"       popgate-dump -V | --version\n"

struct options {
	int all, json, stats, remove, touch, prometheus;
	const char *config, *database, *user;
	char **args;
	int nargs;
};

/* a command-line address: a bare address (ADDR) or a network (NET) */
struct target {
	int is_net;
	struct addr addr;
	struct net net;
};

struct listing {
	const struct options *o;
	const struct target *targets;
	struct store_params params;
	time_t now;
	struct dump_table table;
	struct batch removals;
	struct dump_row *removed;	/* what the removals remove, for the log */
	size_t nremoved;
};

/* usage - the man page's SYNOPSIS; -h asks for it (stdout, 0) */
static void usage(int asked)
{
	fputs(USAGE, asked ? stdout : stderr);
	if (asked)
		fputs("  (default) the unexpired entries   -a  expired ones too\n"
		      "  -j       one JSON object per entry\n"
		      "  -s       statistics (-s -j: JSON, -s -P: Prometheus text)\n"
		      "  -r       remove the entries given (IPs, networks, -u)\n"
		      "  -t       add or refresh the addresses given, now\n"
		      "  -u USER  only that user's entries\n"
		      "  -c FILE  configuration   -d FILE  database\n"
		      "  -V, --version   -h, --help\n", stdout);
	exit(asked ? 0 : 1);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("popgate-dump: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option long_options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "ac:d:hjPrstu:V", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'a': o->all = 1; break;
		case 'c': o->config = optarg; break;
		case 'd': o->database = optarg; break;
		case 'h': usage(1); break;
		case 'j': o->json = 1; break;
		case 'P': o->prometheus = 1; break;
		case 'r': o->remove = 1; break;
		case 's': o->stats = 1; break;
		case 't': o->touch = 1; break;
		case 'u': o->user = optarg; break;
		case 'V': puts("popgate-dump " POPGATE_VERSION); exit(0);
		default: usage(0);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if ((o->config && o->database) || (o->remove && o->touch) ||
	    (o->touch && (o->nargs == 0 || o->user)) ||
	    (o->remove && o->nargs == 0 && o->user == NULL) ||
	    ((o->remove || o->touch) && o->stats) ||
	    (o->prometheus && (!o->stats || o->json)) ||
	    (o->stats && (o->user || o->nargs > 0)))
		usage(0);
}

/* parse_targets - every argument, before anything is opened */
static struct target *parse_targets(const struct options *o)
{
	struct target *t = xcalloc((size_t)o->nargs + 1, sizeof(*t));
	char shown[256];
	int i;

	for (i = 0; i < o->nargs; i++) {
		const char *arg = o->args[i];

		if (addr_parse(arg, strlen(arg), &t[i].addr) == 0)
			continue;
		t[i].is_net = 1;
		if (o->touch || net_parse(arg, &t[i].net) < 0) {
			log_escape(shown, sizeof(shown), arg, strlen(arg));
			free(t);
			die("bad address \"%s\"", shown);
		}
	}
	return t;
}

/* fit_prefix - bare IPv6 addresses become their keys; IPv6 networks
 * narrower than the keys' prefix widen to it */
static void fit_prefix(struct target *t, int n, unsigned prefix)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!t[i].is_net) {
			addr_apply_ipv6_prefix(&t[i].addr, prefix);
		} else if (!addr_is_v4(&t[i].net.addr) &&
			   t[i].net.prefix > prefix) {
			t[i].net.prefix = prefix;
			addr_mask(&t[i].net.addr, prefix);
		}
	}
}

static int matches(const struct target *t, int n, const struct addr *a)
{
	int i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		if (t[i].is_net ? net_contains(&t[i].net, a) :
		    memcmp(t[i].addr.b, a->b, sizeof(a->b)) == 0)
			return 1;
	}
	return 0;
}

/* note_removal - remove A (R) in the batch, and keep it for the log */
static void note_removal(struct listing *l, const struct dump_row *row)
{
	batch_remove(&l->removals, &row->addr);
	if ((l->nremoved & (l->nremoved + 1)) == 0)	/* 0, 1, 3, 7, ... */
		l->removed = xrealloc(l->removed, 2 * (l->nremoved + 1) *
				      sizeof(*l->removed));
	l->removed[l->nremoved++] = *row;
}

static int list_one(const struct addr *a, const struct record *r, void *ctx)
{
	struct listing *l = ctx;
	struct dump_row row;

	if (!matches(l->targets, l->o->nargs, a) ||
	    (l->o->user != NULL && !record_has_user(r, l->o->user)))
		return 0;
	row.addr = *a;
	row.rec = *r;
	row.expires = record_expires(r, &l->params);
	row.shared_users = l->now < row.expires &&
	    record_shared(r, &l->params, l->now) ?
	    record_recent_users(r, l->params.window, l->now) : 0;
	if (l->o->remove) {
		note_removal(l, &row);
		return 0;
	}
	if (!l->o->all && l->now >= row.expires)
		return 0;
	if (l->o->json)
		dump_json_row(stdout, &row, l->params.ipv6_prefix);
	else
		dump_table_add(&l->table, &row);
	return 0;
}

/* touch - -t: add or refresh each address now */
static int touch(struct store *s, const struct target *t, int n,
		 unsigned prefix)
{
	struct batch b;
	struct record r;
	char *fresh = xcalloc((size_t)n + 1, 1);
	char ip[ADDR_TEXT_MAX + 8];
	int i, added = 0, rc;

	batch_init(&b);
	b.manual = 1;
	for (i = 0; i < n; i++) {
		fresh[i] = store_get(s, &t[i].addr, &r) == 0;
		added += fresh[i];
		batch_login(&b, &t[i].addr, clock_now(), "manual", "");
	}
	rc = store_apply(s, &b);
	batch_free(&b);
	for (i = 0; rc == 0 && i < n; i++) {
		dump_addr_text(&t[i].addr, prefix, ip, sizeof(ip));
		audit_change(fresh[i] ? "added" : "refreshed", ip, NULL);
	}
	free(fresh);
	if (rc == 0)
		printf("%d added, %d refreshed\n", added, n - added);
	return rc;
}

/* log_removals - after the commit: one line per entry removed */
static void log_removals(const struct listing *l)
{
	char ip[ADDR_TEXT_MAX + 8];

	for (size_t i = 0; i < l->nremoved; i++) {
		dump_addr_text(&l->removed[i].addr, l->params.ipv6_prefix, ip,
			       sizeof(ip));
		audit_change("removed", ip, &l->removed[i].rec);
	}
}

/* show_stats - -s, -s -j, -s -P */
static int show_stats(struct store *s, const struct options *o,
		      const struct listing *l)
{
	if (o->prometheus)
		return dump_stats_prometheus(stdout, s, l->now, &l->params);
	if (o->json)
		return dump_stats_json(stdout, s, l->now, &l->params);
	return dump_stats(stdout, s, l->now, &l->params);
}

/* set_group - a database -t created belongs to the group of `user` */
static void set_group(struct store *s, const struct config *cfg)
{
	struct passwd *pw;

	if (cfg == NULL || cfg->user[0] == '\0')
		return;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		fprintf(stderr, "popgate-dump: warning: no user \"%s\": %s "
			"keeps its group\n", cfg->user, store_path(s));
		return;
	}
	if (store_set_owner(s, -1, (long)pw->pw_gid) < 0)
		fprintf(stderr, "popgate-dump: warning: %s\n", store_error(s));
}

static int run(struct store *s, const struct options *o, struct target *t,
	       const struct config *cfg)
{
	struct listing l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.targets = t;
	l.now = clock_now();
	if ((rc = store_read_params(s, &l.params)) < 0)
		return -1;
	if (cfg && rc == 0) {	/* the daemon never recorded its own */
		l.params.window = cfg->window;
		l.params.session_max = cfg->session_tracking ?
		    cfg->session_max : 0;
		l.params.shared_users = cfg->shared_address_users;
	}
	if (cfg)
		l.params.ipv6_prefix = cfg->ipv6_prefix;
	if (l.params.ipv6_prefix == 0)
		l.params.ipv6_prefix = 128;
	fit_prefix(t, o->nargs, l.params.ipv6_prefix);
	if (o->stats)
		return show_stats(s, o, &l);
	if (o->touch) {
		if (store_created(s))
			set_group(s, cfg);
		return touch(s, t, o->nargs, l.params.ipv6_prefix);
	}
	dump_table_init(&l.table);
	batch_init(&l.removals);
	l.removals.manual = 1;
	rc = store_each(s, list_one, &l);
	if (rc == 0 && o->remove && (rc = store_apply(s, &l.removals)) == 0) {
		log_removals(&l);
		printf("%zu removed\n", l.removals.n);
	}
	free(l.removed);
	if (rc == 0 && !o->json && !o->remove)
		dump_table_print(stdout, &l.table, l.params.ipv6_prefix, l.now);
	dump_table_free(&l.table);
	batch_free(&l.removals);
	return rc;
}

/* load_config - -c FILE, or the default file when it exists; NULL when
 * -d was given or there is no default file */
static struct config *load_config(const struct options *o)
{
	struct config *cfg;
	char err[CONFIG_ERR_MAX];
	const char *path = o->config ? o->config : CONFIG_DEFAULT_PATH;

	if (o->database || (!o->config && access(path, F_OK) < 0 &&
			    errno == ENOENT))
		return NULL;
	cfg = xmalloc(sizeof(*cfg));
	if (config_load(cfg, path, err, sizeof(err)) < 0) {
		config_free(cfg);
		free(cfg);
		die("%s", err);
	}
	return cfg;
}

int main(int argc, char **argv)
{
	struct options o;
	struct target *targets;
	struct config *cfg;
	struct store *s;
	char err[512];
	int flags, rc;

	parse_options(argc, argv, &o);
	targets = parse_targets(&o);
	cfg = load_config(&o);
	log_init("popgate-dump", 1, 0);
	audit_init(cfg);
	flags = o.touch ? STORE_CREATE : (o.remove ? 0 : STORE_READONLY);
	rc = store_open(&s, o.database ? o.database : cfg ? cfg->database :
			DEFAULT_DATABASE, flags, 0, err, sizeof(err));
	if (rc == STORE_OK) {
		rc = run(s, &o, targets, cfg);
		if (rc < 0)
			snprintf(err, sizeof(err), "%s", store_error(s));
		store_close(s);
	}
	if (cfg)
		config_free(cfg);
	free(cfg);
	free(targets);
	if (rc != 0)
		die("%s", err);
	if (fflush(stdout) == EOF || ferror(stdout))
		die("write error: %s", strerror(errno));
	return 0;
}
