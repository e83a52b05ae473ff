/*
 * tail_fixture.h - what the unit tests running a real tailer share: how
 * long to wait for an outcome (never a timing assertion) and the
 * LeakSanitizer suppression for libinotifytools' own leak. Defines a
 * function: include it from one .c file per test binary only.
 */
#ifndef POPGATE_TAIL_FIXTURE_H
#define POPGATE_TAIL_FIXTURE_H

#define DEADLINE_MS 10000

/* libinotifytools 3.22 leaks its watch record (create_watch) when a path
 * is watched again after the kernel dropped the old watch (the directory
 * was deleted and re-created): a library bug, not ours */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:create_watch\n";
}

#endif
