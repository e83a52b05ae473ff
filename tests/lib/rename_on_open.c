/*
 * rename_on_open.c - an LD_PRELOAD shim for the rotation suites: renames
 * files at the exact moment the program opens a given path, so that a
 * rotation falls between popgated listing a directory and opening what it
 * listed (a race a test cannot otherwise hit on purpose).
 *   ROO_WHEN   path: when this path is opened while ROO_ARMED exists ...
 *   ROO_ARMED  path: ... it is removed (one shot) and, first,
 *   ROO_RENAME "from1>to1|from2>to2|...": these renames are done in order,
 *   ROO_CREATE path: then this empty file is created (may be unset).
 * Built by the test with cc -shared -fPIC; test code only.
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
		int (*real_open)(const char *, int, ...) =
			(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
		int fd = real_open(create, O_WRONLY | O_CREAT | O_APPEND, 0644);

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

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	int (*real)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	maybe_rotate(path);
	return real(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	int (*real)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	maybe_rotate(path);
	return real(path, flags, mode);
}
