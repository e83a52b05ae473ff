/*
 * listen.c - bind the policy and socketmap listeners in the master before
 * it forks the serve worker: unix sockets (stale socket removed, mode and
 * group set) and numeric inet endpoints. Never removes a file that is not
 * a socket; every fd is non-blocking and close-on-exec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listeners.h"
#include "util.h"

#define LISTEN_BACKLOG 256

static void endpoint_name(const struct endpoint *ep, char *buf, size_t size)
{
	if (ep->kind == ENDPOINT_UNIX)
		snprintf(buf, size, "unix:%s", ep->path);
	else if (strchr(ep->host, ':') != NULL)
		snprintf(buf, size, "inet:[%s]:%u", ep->host, ep->port);
	else
		snprintf(buf, size, "inet:%s:%u", ep->host, ep->port);
}

/* fail - "NAME: WHAT: strerror", closing FD if open */
static int fail(int fd, const char *name, const char *what, char *err,
		size_t errsize)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	snprintf(err, errsize, "%s: %s: %s", name, what, strerror(saved));
	return -1;
}

/* remove_stale_socket - unlink PATH only when it is a socket */
static int remove_stale_socket(const char *path, const char *name, char *err,
			       size_t errsize)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : fail(-1, name, "lstat", err, errsize);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsize, "%s: exists and is not a socket", name);
		return -1;
	}
	if (unlink(path) != 0)
		return fail(-1, name, "unlink", err, errsize);
	return 0;
}

static int open_unix(const struct config *cfg, const struct endpoint *ep,
		     long gid, const char *name, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(ep->path) >= sizeof sun.sun_path) {
		snprintf(err, errsize, "%s: socket path too long", name);
		return -1;
	}
	copy_string(sun.sun_path, ep->path, sizeof sun.sun_path);
	if (remove_stale_socket(ep->path, name, err, errsize) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-1, name, "socket", err, errsize);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		return fail(fd, name, "bind", err, errsize);
	if (chmod(ep->path, (mode_t)cfg->socket_mode) != 0)
		return fail(fd, name, "chmod", err, errsize);
	if (gid >= 0 && chown(ep->path, (uid_t)-1, (gid_t)gid) != 0)
		return fail(fd, name, "chown", err, errsize);
	if (listen(fd, LISTEN_BACKLOG) != 0)
		return fail(fd, name, "listen", err, errsize);
	return fd;
}

/* inet_address - numeric HOST:PORT into SS; 0 ok, -1 not numeric */
static int inet_address(const struct endpoint *ep, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, ep->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)ep->port);
		*len = sizeof *sin;
		return 0;
	}
	if (inet_pton(AF_INET6, ep->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)ep->port);
		*len = sizeof *sin6;
		return 0;
	}
	return -1;
}

static int open_inet(const struct endpoint *ep, const char *name, char *err,
		     size_t errsize)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	if (inet_address(ep, &ss, &len) != 0) {
		snprintf(err, errsize, "%s: not a numeric address", name);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-1, name, "socket", err, errsize);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
		return fail(fd, name, "setsockopt SO_REUSEADDR", err, errsize);
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
		return fail(fd, name, "setsockopt IPV6_V6ONLY", err, errsize);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0)
		return fail(fd, name, "bind", err, errsize);
	if (listen(fd, LISTEN_BACKLOG) != 0)
		return fail(fd, name, "listen", err, errsize);
	return fd;
}

static int open_list(const struct config *cfg, const struct endpoint_list *eps,
		     enum listen_proto proto, long gid, struct listeners *l, char *err,
		     size_t errsize)
{
	size_t i;

	for (i = 0; i < eps->n; i++) {
		const struct endpoint *ep = &eps->v[i];
		char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
		int fd;

		endpoint_name(ep, name, sizeof name);
		fd = ep->kind == ENDPOINT_UNIX
			? open_unix(cfg, ep, gid, name, err, errsize)
			: open_inet(ep, name, err, errsize);
		if (fd < 0)
			return -1;
		l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
		l->v[l->n].fd = fd;
		l->v[l->n].proto = proto;
		l->v[l->n].name = xstrdup(name);
		l->n++;
	}
	return 0;
}

int listeners_open(const struct config *cfg, long gid, struct listeners *l,
		   char *err, size_t errsize)
{
	l->v = NULL;
	l->n = 0;
	if (open_list(cfg, &cfg->policy_listen, PROTO_POLICY, gid, l, err,
		      errsize) != 0 ||
	    open_list(cfg, &cfg->socketmap_listen, PROTO_SOCKETMAP, gid, l, err,
		      errsize) != 0 ||
	    open_list(cfg, &cfg->dovecot_policy_listen, PROTO_DOVECOT, gid, l,
		      err, errsize) != 0) {
		listeners_close(l);
		return -1;
	}
	return 0;
}

/* unlink_socket - remove a unix listener's path, if it is (still) a socket */
static void unlink_socket(const struct listener *ln)
{
	struct stat st;

	if (strncmp(ln->name, "unix:", 5) == 0 &&
	    lstat(ln->name + 5, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(ln->name + 5);
}

void listeners_close(struct listeners *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		unlink_socket(&l->v[i]);
		close(l->v[i].fd);
		free(l->v[i].name);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
