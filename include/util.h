/*
 * util.h - memory functions that never return NULL, and the one clock.
 * Every piece of time-dependent code asks clock_now(); tests set it.
 */
#ifndef POPGATE_UTIL_H
#define POPGATE_UTIL_H

#include <stddef.h>
#include <time.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* clock_now - wall-clock seconds; the value set by clock_set() if non-zero */
time_t clock_now(void);
/* clock_set - tests only: pin the clock (0 restores the real clock) */
void clock_set(time_t t);
/* clock_mono_ms - monotonic milliseconds, for timeouts and back-off */
long long clock_mono_ms(void);

/* strlcpy-like: copies at most size-1 bytes, always terminates, returns strlen(src) */
size_t copy_string(char *dst, const char *src, size_t size);

#endif
