/*
 * rename_on_open.c - an LD_PRELOAD shim for the rotation suites: renames
 * files at the exact moment the program opens a given path, so that a
 * rotation falls between popgated listing a directory and opening what it
 * listed (a race a test cannot otherwise hit on purpose).
 *   ROO_WHEN   path: when this path is opened while ROO_ARMED exists ...
 *   ROO_ARMED  path: ... it is removed (one shot) and, first,
 *   ROO_RENAME "from1>to1|from2>to2|...": these renames are done in order,
 *   ROO_CREATE path: then this empty file is created (may be unset).
 * Wraps open (and open64, the same on 64-bit glibc). Built by the test
 * with cc -shared -fPIC; test code only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rotate_now(void)
{
	const char *spec = getenv("ROO_RENAME");
	const char *create = getenv("ROO_CREATE");
	char buf[8192], *save = NULL, *pair;

	snprintf(buf, sizeof buf, "%s", spec ? spec : "");
	for (pair = strtok_r(buf, "|", &save); pair != NULL;
	     pair = strtok_r(NULL, "|", &save)) {
		char *to = strchr(pair, '>');

		if (to == NULL)
			continue;
		*to++ = '\0';
		rename(pair, to);
	}
	if (create != NULL && *create != '\0') {
		int (*real)(const char *, int, ...) =
			(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
		int fd = real(create, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0)
			close(fd);
	}
}

static void maybe_rotate(const char *path)
{
	const char *when = getenv("ROO_WHEN");
	const char *armed = getenv("ROO_ARMED");

	if (when == NULL || armed == NULL || strcmp(path, when) != 0)
		return;
	if (unlink(armed) == 0)		/* one shot */
		rotate_now();
}

/* real_open - maybe rotate, then the next definition of SYM */
static int real_open(const char *sym, const char *path, int flags,
		     va_list ap)
{
	int (*real)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, sym);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int)
						      : 0;

	maybe_rotate(path);
	return real(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = real_open("open", path, flags, ap);
	va_end(ap);
	return fd;
}

/* 64-bit glibc: open64 is open */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
