/*
 * trivial_policy.c - the baseline for the serve benchmark: a policy server
 * on a unix socket that answers "action=DUNNO" to every request without
 * parsing or looking anything up. A test helper only.
 *   trivial_policy PATH   (runs until killed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char answer[] = "action=DUNNO\n\n";

/* serve_bytes - answer every empty line; *LAST_NL carries across reads */
static void serve_bytes(int fd, const char *buf, ssize_t n, char *last_nl)
{
	ssize_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n' && *last_nl) {
			if (send(fd, answer, sizeof answer - 1, MSG_NOSIGNAL) < 0)
				return;
			*last_nl = 0;
		} else {
			*last_nl = buf[i] == '\n';
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	char *last_nl = calloc(65536, 1);
	int lfd, ep;

	if (argc != 2 || strlen(argv[1]) >= sizeof sun.sun_path)
		return 2;
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(lfd, 128) != 0) {
		perror(argv[1]);
		return 1;
	}
	ep = epoll_create1(0);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		struct epoll_event evs[64];
		int i, n = epoll_wait(ep, evs, 64, -1);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char buf[4096];
			ssize_t r;

			if (fd == lfd) {
				int c = accept(lfd, NULL, NULL);

				if (c >= 0 && c < 65536) {
					ev.data.fd = c;
					last_nl[c] = 0;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				} else if (c >= 0) {
					close(c);
				}
				continue;
			}
			r = recv(fd, buf, sizeof buf, 0);
			if (r <= 0)
				close(fd);
			else
				serve_bytes(fd, buf, r, &last_nl[fd]);
		}
	}
}
