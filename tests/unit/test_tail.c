/*
 * test_tail.c - the tailer alone, on real files in a temp directory with
 * real inotify: partial lines, overlong lines, every kind of rotation,
 * missing files and directories, duplicates, symlinks, odd bytes,
 * positions and restart. Waits for outcomes, never asserts timings.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include "unit.h"
#include "tail_fixture.h"

#include "tail.h"
#include "util.h"

#define MAX_LINES 200000

struct got {
	char **line;
	size_t *len;
	int *live;
	size_t n;
	size_t stop_every;	/* ask the tailer to stop every N lines */
};

struct saved {
	char name[600];
	struct position pos;
	int deleted;
};

struct fx {
	char dir[64];
	char *paths[128];
	size_t npaths;
	struct tailer *t;
	struct got got;
	struct saved pos[256];
	size_t npos;
};

static int collect(const char *line, size_t len, int live,
		   unsigned source, void *ctx)
{
	struct got *g = ctx;

	(void)source;
	assert_true(g->n < MAX_LINES);
	if (g->line == NULL) {
		g->line = xcalloc(MAX_LINES, sizeof *g->line);
		g->len = xcalloc(MAX_LINES, sizeof *g->len);
		g->live = xcalloc(MAX_LINES, sizeof *g->live);
	}
	g->line[g->n] = xstrndup(line, len);
	g->len[g->n] = len;
	g->live[g->n] = live;
	g->n++;
	return g->stop_every && g->n % g->stop_every == 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->line[i]);
	free(g->line);
	free(g->len);
	free(g->live);
	memset(g, 0, sizeof *g);
}

static void on_position(const char *name, const struct position *p, void *ctx)
{
	struct fx *x = ctx;
	size_t i;

	for (i = 0; i < x->npos; i++)
		if (strcmp(x->pos[i].name, name) == 0)
			break;
	if (i == x->npos) {
		assert_true(x->npos < 256);
		x->npos++;
		copy_string(x->pos[i].name, name, sizeof x->pos[i].name);
	}
	x->pos[i].deleted = p == NULL;
	if (p != NULL)
		x->pos[i].pos = *p;
}

/* pump - deliver and wait until at least N lines arrived (or MS passed
 * when N is 0); 1 if reached */
static int pump(struct fx *x, size_t n, long long ms)
{
	long long end = clock_mono_ms() + (n ? DEADLINE_MS : ms);

	for (;;) {
		while (tail_deliver(x->t, collect, &x->got))
			tail_positions(x->t, on_position, x);
		tail_positions(x->t, on_position, x);
		if (n && x->got.n >= n)
			return 1;
		if (clock_mono_ms() >= end)
			return n == 0;
		tail_wait(x->t, 1);
	}
}

/* path_in - X's directory + NAME; the same string for the same name */
static const char *path_in(struct fx *x, const char *name)
{
	char buf[600];

	snprintf(buf, sizeof buf, "%s/%s", x->dir, name);
	for (size_t i = 0; i < x->npaths; i++)
		if (strcmp(x->paths[i], buf) == 0)
			return x->paths[i];
	assert_true(x->npaths < 128);
	x->paths[x->npaths] = xstrdup(buf);
	return x->paths[x->npaths++];
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void put_fd(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* file_perms - as root, turn permission checks on (0) or off again (1)
 * by dropping or restoring CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH */
static void file_perms_bypass(int on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t bits = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);

	if (syscall(SYS_capget, &h, d) != 0)
		return;
	if (on)
		d[0].effective |= bits & d[0].permitted;
	else
		d[0].effective &= ~bits;
	syscall(SYS_capset, &h, d);
}

static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof *x);

	strcpy(x->dir, "/tmp/test_tail.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	file_perms_bypass(1);
	tail_free(x->t);
	got_free(&x->got);
	nftw(x->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < x->npaths; i++)
		free(x->paths[i]);
	free(x);
	return 0;
}

static void start(struct fx *x, int beginning, unsigned rotate_wait,
		  const char *const *paths)
{
	struct tail_options o = { rotate_wait, beginning };

	x->t = tail_new(&o);
	for (; *paths; paths++)
		tail_add(x->t, *paths);
	for (size_t i = 0; i < x->npos; i++)
		if (!x->pos[i].deleted)
			tail_restore(x->t, x->pos[i].name, &x->pos[i].pos);
	tail_start(x->t);
	pump(x, 0, 0);
}

/* restart - a new tailer resuming from the positions reported so far */
static void restart(struct fx *x, int beginning, const char *const *paths)
{
	tail_free(x->t);
	got_free(&x->got);
	start(x, beginning, 1, paths);
}

static void start1(struct fx *x, int beginning, const char *name)
{
	const char *paths[] = { path_in(x, name), NULL };

	start(x, beginning, 1, paths);
}

/* start_on_empty_log - an empty file "log" in X's directory, followed
 * from its end; its path */
static const char *start_on_empty_log(struct fx *x)
{
	const char *log = path_in(x, "log");

	put(log, "");
	start1(x, 0, "log");
	return log;
}

/* put_and_wait - append TEXT to PATH; wait until N lines arrived in all */
static void put_and_wait(struct fx *x, const char *path, const char *text,
			 size_t n)
{
	put(path, text);
	assert_true(pump(x, n, 0));
}

/* expect_count - as many lines as WANT has arrived, and no more; N */
static size_t expect_count(struct fx *x, const char *const *want)
{
	size_t n = 0;

	while (want[n])
		n++;
	assert_true(pump(x, n, 0));
	pump(x, 0, 300);	/* nothing more may come */
	assert_int_equal(x->got.n, n);
	return n;
}

static void expect_lines(struct fx *x, const char *const *want)
{
	size_t n = expect_count(x, want);

	for (size_t i = 0; i < n; i++)
		assert_string_equal(x->got.line[i], want[i]);
}

static struct saved *find_pos(struct fx *x, const char *name)
{
	for (size_t i = 0; i < x->npos; i++)
		if (strcmp(x->pos[i].name, name) == 0)
			return &x->pos[i];
	return NULL;
}

static void test_partial_line(void **state)
{
	struct fx *x = *state;
	const char *want[] = { "first", "second half", NULL };

	put(path_in(x, "log"), "old line\n");
	start1(x, 0, "log");
	put(path_in(x, "log"), "first\nsecond");
	assert_true(pump(x, 1, 0));
	pump(x, 0, 300);
	assert_int_equal(x->got.n, 1);
	put(path_in(x, "log"), " half\n");
	expect_lines(x, want);
	assert_int_equal(x->got.live[0], 1);
}

static void test_overlong_line(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	char *big = xmalloc(TAIL_LINE_MAX * 2 + 2);
	struct tail_counters c;

	put_and_wait(x, log, "before\n", 1);
	memset(big, 'x', TAIL_LINE_MAX * 2);
	big[TAIL_LINE_MAX * 2] = '\0';
	put(log, big);		/* 32 KiB, no newline yet */
	pump(x, 0, 200);
	put(log, big);
	put(log, "\nafter\n");
	big[TAIL_LINE_MAX + 1] = '\n';	/* one byte over the limit */
	big[TAIL_LINE_MAX + 2] = '\0';
	put(log, big);
	big[TAIL_LINE_MAX] = '\n';	/* exactly at the limit */
	big[TAIL_LINE_MAX + 1] = '\0';
	put(log, big);
	put_and_wait(x, log, "tail\n", 4);
	pump(x, 0, 300);
	tail_take_counters(x->t, &c);
	assert_int_equal(c.lines_overlong, 2);
	assert_int_equal(x->got.n, 4);
	assert_string_equal(x->got.line[0], "before");
	assert_string_equal(x->got.line[1], "after");
	assert_int_equal(x->got.len[2], TAIL_LINE_MAX);
	assert_string_equal(x->got.line[3], "tail");
	free(big);
}

static void test_rename_rotation(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	char rotated[600];
	int old;
	const char *want[] = { "a1", "a2", "a3", "b1", NULL };

	old = open(log, O_WRONLY | O_APPEND);
	put_fd(old, "a1\n");
	assert_true(pump(x, 1, 0));
	assert_int_equal(rename(log, path_in(x, "log.1")), 0);
	put_fd(old, "a2\n");	/* the writer has not noticed yet */
	put(log, "");		/* the new file, empty */
	assert_true(pump(x, 2, 0));
	put_fd(old, "a3\n");
	close(old);		/* the writer reopens */
	assert_true(pump(x, 3, 0));
	put(log, "b1\n");
	expect_lines(x, want);
	snprintf(rotated, sizeof rotated, "%s%s", log, TAIL_ROTATED_TAG);
	/* after rotate_wait the old file is retired, its position deleted */
	assert_true(pump(x, 0, 1500));
	for (size_t i = 0; i < x->npos; i++)
		if (strncmp(x->pos[i].name, rotated, strlen(rotated)) == 0)
			assert_true(x->pos[i].deleted);
	assert_int_equal(find_pos(x, log)->pos.offset, 3);
}

static void test_copytruncate(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	struct tail_counters c;
	const char *want[] = { "one", "two", "three", NULL };

	put_and_wait(x, log, "one\ntwo\n", 2);
	assert_int_equal(truncate(log, 0), 0);
	pump(x, 0, 100);
	put(log, "three\n");
	expect_lines(x, want);
	tail_take_counters(x->t, &c);
	assert_int_equal(c.truncations, 1);
	assert_int_equal(find_pos(x, log)->pos.offset, 6);
}

static void test_rm_recreate(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	const char *want[] = { "one", "two", NULL };

	put_and_wait(x, log, "one\n", 1);
	assert_int_equal(unlink(log), 0);
	put(log, "two\n");
	expect_lines(x, want);
}

static void test_rename_delayed_create(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	const char *want[] = { "one", "two", NULL };

	put_and_wait(x, log, "one\n", 1);
	assert_int_equal(rename(log, path_in(x, "log.1")), 0);
	pump(x, 0, 1500);	/* longer than rotate_wait: old one retired */
	assert_true(find_pos(x, log)->deleted);
	put(log, "two\n");
	expect_lines(x, want);
}

static void test_permission_denied(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	const char *want[] = { "one", "two", NULL };
	int fd;

	put_and_wait(x, log, "one\n", 1);
	file_perms_bypass(0);
	assert_int_equal(rename(log, path_in(x, "log.1")), 0);
	fd = open(log, O_WRONLY | O_CREAT | O_EXCL, 0);	/* unreadable */
	assert_true(fd >= 0);
	put_fd(fd, "two\n");
	pump(x, 0, 500);
	assert_int_equal(x->got.n, 1);
	assert_int_equal(fchmod(fd, 0644), 0);	/* IN_ATTRIB: retried now */
	close(fd);
	expect_lines(x, want);
}

static void test_missing_file(void **state)
{
	struct fx *x = *state;
	const char *want[] = { "one", "two", NULL };

	start1(x, 0, "log");
	pump(x, 0, 200);
	put(path_in(x, "log"), "one\ntwo\n");
	expect_lines(x, want);
	/* already in the file when it appeared: backlog (own time stamps) */
	assert_int_equal(x->got.live[0], 0);
	put_and_wait(x, path_in(x, "log"), "three\n", 3);
	assert_int_equal(x->got.live[2], 1);	/* appended later: live */
}

static void test_missing_directory(void **state)
{
	struct fx *x = *state;
	const char *want[] = { "one", "two", NULL };
	char d[600];

	start1(x, 0, "a/b/log");
	pump(x, 0, 200);
	snprintf(d, sizeof d, "%s/a", x->dir);
	assert_int_equal(mkdir(d, 0755), 0);
	strcat(d, "/b");
	assert_int_equal(mkdir(d, 0755), 0);
	put(path_in(x, "a/b/log"), "one\n");
	assert_true(pump(x, 1, 0));
	/* the directory goes away and comes back */
	assert_int_equal(unlink(path_in(x, "a/b/log")), 0);
	assert_int_equal(rmdir(d), 0);
	pump(x, 0, 200);
	assert_int_equal(mkdir(d, 0755), 0);
	put(path_in(x, "a/b/log"), "two\n");
	expect_lines(x, want);
}

static void test_same_file_twice(void **state)
{
	struct fx *x = *state;
	const char *paths[] = { path_in(x, "log"), path_in(x, "./log"),
				path_in(x, "hard"), NULL };
	const char *want[] = { "one", "two", NULL };

	put(paths[0], "");
	assert_int_equal(link(paths[0], paths[2]), 0);
	start(x, 0, 1, paths);
	put(paths[0], "one\n");
	put(paths[2], "two\n");
	expect_lines(x, want);
}

static void test_symlink(void **state)
{
	struct fx *x = *state;
	const char *real = path_in(x, "real/mail.log");
	const char *want[] = { "one", "two", NULL };
	char d[600];

	snprintf(d, sizeof d, "%s/real", x->dir);
	assert_int_equal(mkdir(d, 0755), 0);
	put(real, "");
	assert_int_equal(symlink(real, path_in(x, "link")), 0);
	start1(x, 0, "link");
	put_and_wait(x, real, "one\n", 1);
	assert_int_equal(rename(real, path_in(x, "real/mail.log.1")), 0);
	put(real, "two\n");
	expect_lines(x, want);
}

static void test_nul_and_bad_utf8(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	int fd;

	fd = open(log, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "a\0b\n\xff\xfe\xc3\n\0\n", 10), 10);
	close(fd);
	put_and_wait(x, log, "last\n", 4);
	assert_int_equal(x->got.len[0], 3);
	assert_memory_equal(x->got.line[0], "a\0b", 3);
	assert_memory_equal(x->got.line[1], "\xff\xfe\xc3", 3);
	assert_int_equal(x->got.len[2], 0);	/* its NUL: padding */
	assert_string_equal(x->got.line[3], "last");
}

static void test_start_at(void **state)
{
	struct fx *x = *state;
	const char *want_end[] = { "partial end", "new", NULL };
	const char *want_begin[] = { "old1", "old2", NULL };

	put(path_in(x, "a"), "old1\nold2\npartial");
	put(path_in(x, "b"), "old1\nold2\n");
	start1(x, 0, "a");
	put(path_in(x, "a"), " end\nnew\n");
	expect_lines(x, want_end);
	tail_free(x->t);
	got_free(&x->got);
	x->npos = 0;
	start1(x, 1, "b");
	expect_lines(x, want_begin);
	assert_int_equal(x->got.live[0], 0);	/* backlog */
}

static void test_restart_resume(void **state)
{
	struct fx *x = *state;
	const char *log = path_in(x, "log");
	const char *paths[] = { log, NULL };
	const char *want[] = { "three", NULL };
	const char *want2[] = { "new1", NULL };

	put(log, "one\n");
	start1(x, 0, "log");
	put_and_wait(x, log, "two\n", 1);
	put(log, "three\n");	/* written while we are down */
	restart(x, 0, paths);
	expect_lines(x, want);
	assert_int_equal(x->got.live[0], 0);	/* backlog */
	restart(x, 0, paths);	/* nothing new: nothing re-read */
	pump(x, 0, 300);
	assert_int_equal(x->got.n, 0);
	/* same name, new content: fingerprint differs, read from 0 */
	tail_free(x->t);
	x->t = NULL;
	assert_int_equal(truncate(log, 0), 0);
	put(log, "new1\n");
	restart(x, 0, paths);
	expect_lines(x, want2);
}

/* down_after - lines in LOG up to FIRST_TEXT read and their position
 * saved; then the tailer is stopped (the daemon is down) */
static const char *down_after(struct fx *x, const char *first_text,
			      size_t lines)
{
	const char *log = start_on_empty_log(x);

	put_and_wait(x, log, first_text, lines);
	tail_free(x->t);
	x->t = NULL;
	return log;
}

static void test_restart_rotated(void **state)
{
	struct fx *x = *state;
	const char *log = down_after(x, "a1\n", 1);
	const char *paths[] = { log, NULL };
	const char *want[] = { "a2", "b1", NULL };

	put(log, "a2\n");	/* while down: more lines, rotation */
	assert_int_equal(rename(log, path_in(x, "log.1")), 0);
	put(log, "b1\n");
	restart(x, 0, paths);
	expect_lines(x, want);
}

/* refill_and_rotate - while down: the file at LOG (the inode of the saved
 * position) is truncated and refilled with REFILL, renamed to log.1, and
 * a new LOG gets NEW_TEXT */
static void refill_and_rotate(struct fx *x, const char *log,
			      const char *refill, const char *new_text)
{
	assert_int_equal(truncate(log, 0), 0);
	put(log, refill);
	assert_int_equal(rename(log, path_in(x, "log.1")), 0);
	put(log, new_text);
}

static void test_restart_rotated_rewritten(void **state)
{
	struct fx *x = *state;
	const char *log = down_after(x, "a1\na2\n", 2);
	const char *paths[] = { log, NULL };
	const char *want[] = { "b1", "b2", "b3", "c1", NULL };

	/* new first line, longer than the saved offset */
	refill_and_rotate(x, log, "b1\nb2\nb3\n", "c1\n");
	restart(x, 0, paths);
	expect_lines(x, want);
	for (size_t i = 0; i < x->got.n; i++)
		assert_int_equal(x->got.live[i], 0);	/* backlog */
}

static void test_restart_rotated_shrunk(void **state)
{
	struct fx *x = *state;
	const char *log = down_after(x, "a1\na2\na3\n", 3);
	const char *paths[] = { log, NULL };
	const char *want[] = { "a4", "c1", NULL };

	/* the same first line, shorter than the saved offset: cut back to
	 * its first line (read before), then a4 appended */
	refill_and_rotate(x, log, "a1\na4\n", "c1\n");
	restart(x, 0, paths);
	expect_lines(x, want);
	assert_int_equal(x->got.live[0], 0);	/* backlog */
}

/* expect_once - every line of WANT arrived exactly once (any order), and
 * nothing else */
static void expect_once(struct fx *x, const char *const *want)
{
	size_t n = expect_count(x, want);

	for (size_t i = 0; i < n; i++) {
		size_t seen = 0;

		for (size_t j = 0; j < x->got.n; j++)
			seen += strcmp(x->got.line[j], want[i]) == 0;
		assert_int_equal(seen, 1);
	}
}

/* copytruncate_unread - LOG (followed, nothing read yet) gets A_TEXT, is
 * copied to log.1 and truncated, then gets B_TEXT: the copy's mtime is
 * then older than anything saved after */
static void copytruncate_unread(struct fx *x, const char *log,
				const char *a_text, const char *b_text)
{
	put(path_in(x, "log.1"), a_text);
	assert_int_equal(truncate(log, 0), 0);
	put(log, b_text);
	usleep(30000);		/* the copy is older than the next save */
}

/* a copy made before the file was read at all (it was empty when
 * opened): nothing tells the truncation, only the copy beside it */
static void test_copy_of_unread_file(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	const char *want[] = { "a1", "a2", "b1", NULL };

	put(log, "a1\na2\n");
	copytruncate_unread(x, log, "a1\na2\n", "b1\n");
	expect_once(x, want);
}

/* the same, saved before the copy was noticed and stopped then: the
 * restart must not take the copy for one read before that save */
static void test_copy_saved_unseen(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	const char *paths[] = { log, NULL };
	const char *want[] = { "a1", "a2", NULL };

	put(log, "a1\na2\n");
	copytruncate_unread(x, log, "a1\na2\n", "b1\n");
	tail_catch_up(x->t);	/* b1 read before any event is */
	while (tail_deliver(x->t, collect, &x->got))
		;
	assert_int_equal(x->got.n, 1);
	tail_positions(x->t, on_position, x);	/* saved, then down */
	restart(x, 0, paths);
	expect_once(x, want);
}

/* lines read from offset 0, then the file is copied and truncated before
 * the position is reported: the position's first line is the one read,
 * so the truncation is seen and the copy is not read again */
static void test_fingerprint_as_read(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	const char *want[] = { "a1", "a2", "b1", NULL };

	put(log, "a1\na2\n");
	while (x->got.n < 2) {
		tail_wait(x->t, 1);
		while (tail_deliver(x->t, collect, &x->got))
			;
	}
	copytruncate_unread(x, log, "a1\na2\n", "b1\n");
	expect_once(x, want);
}

/* a rotated file read to its end and retired after later lines than the
 * current file's last save: a restart does not read it again */
static void test_retired_not_reread(void **state)
{
	struct fx *x = *state;
	const char *log = path_in(x, "log");
	const char *paths[] = { log, NULL };
	const char *none[] = { NULL };

	put(log, "");
	start(x, 0, 2, paths);	/* rotate_wait 2 s: a pump waits up to 1 s */
	put_and_wait(x, log, "a1\n", 1);
	assert_int_equal(rename(log, path_in(x, "log.1")), 0);
	put(log, "");
	pump(x, 0, 300);	/* the new file's position saved */
	usleep(30000);
	put_and_wait(x, path_in(x, "log.1"), "a2\n", 2);	/* late writer */
	pump(x, 0, 3500);	/* quiet for rotate_wait: retired */
	assert_int_equal(x->got.n, 2);
	restart(x, 0, paths);
	expect_once(x, none);
}

/* lines - N lines "<TAG><i> ..." of about 50 bytes, as one text */
static char *lines(char tag, size_t n)
{
	char *text = xmalloc(n * 64 + 1), *p = text;

	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%c%05zu the line's padding, to fill 64 KiB\n",
			     tag, i);
	*p = '\0';
	return text;
}

/* cut_during - deliver, and after line AT copy LOG to log.1, truncate
 * it and refill it past the offset being read */
struct cut_during {
	struct fx *x;
	const char *log;
	size_t at;
	const char *refill;
};

static int collect_and_cut(const char *line, size_t len, int live,
			   unsigned source, void *ctx)
{
	struct cut_during *c = ctx;
	int stop = collect(line, len, live, source, &c->x->got);
	int in, out;
	char buf[65536];
	ssize_t n;

	if (c->x->got.n != c->at)
		return stop;
	in = open(c->log, O_RDONLY);
	out = open(path_in(c->x, "log.1"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof buf)) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	assert_int_equal(truncate(c->log, 0), 0);
	put(c->log, c->refill);
	return stop;
}

/* a copytruncate and a refill past our offset between two reads of one
 * delivery: the bytes read after it are not taken for the old file's */
static void test_refilled_while_reading(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	char *a = lines('a', 1500), *b = lines('b', 2500);
	struct cut_during c = { x, log, 10, b };
	const char **want = xcalloc(4001, sizeof *want);
	size_t n = 0;

	for (char *p = a; *p; p = strchr(p, '\n') + 1)
		want[n++] = xstrndup(p, (size_t)(strchr(p, '\n') - p));
	for (char *p = b; *p; p = strchr(p, '\n') + 1)
		want[n++] = xstrndup(p, (size_t)(strchr(p, '\n') - p));
	put(log, a);
	tail_catch_up(x->t);
	while (tail_deliver(x->t, collect_and_cut, &c))
		tail_positions(x->t, on_position, x);
	tail_positions(x->t, on_position, x);
	expect_once(x, want);
	for (size_t i = 0; i < n; i++)
		free((char *)want[i]);
	free(want);
	free(a);
	free(b);
}

/* a file opened with lines, then copied, truncated and written by a
 * writer without O_APPEND (a NUL hole) before anything was read: what
 * it held is read from the copy, the line after the hole once */
static void test_rewritten_before_read(void **state)
{
	struct fx *x = *state;
	const char *log = path_in(x, "log");
	struct tail_options o = { 1, 1 };
	const char *want[] = { "a1", "a2", "b1", NULL };
	int fd;

	put(log, "a1\na2\n");
	x->t = tail_new(&o);
	tail_add(x->t, log);
	tail_start(x->t);	/* opened, its first line taken, not read */
	put(path_in(x, "log.1"), "a1\na2\n");
	assert_int_equal(truncate(log, 0), 0);
	fd = open(log, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "b1\n", 3, 6), 3);
	close(fd);
	expect_once(x, want);
}

/* a file saved at offset 0 once it had lines (another file's lines were
 * saved), then renamed and compressed (a new inode with its content)
 * while stopped: the saved position finds it by its first line */
static void test_saved_unread_then_compressed(void **state)
{
	struct fx *x = *state;
	const char *log = path_in(x, "log"), *log2 = path_in(x, "log2");
	const char *paths[] = { log2, log, NULL };
	const char *want[] = { "a1", "a2", NULL };
	int held;

	put(log, "");
	put(log2, "");
	start(x, 0, 1, paths);
	put(log, "a1\na2\n");
	put(log2, "x1\n");
	x->got.stop_every = 1;	/* log2 is read first: stop after x1 */
	tail_catch_up(x->t);
	assert_int_equal(tail_deliver(x->t, collect, &x->got), 1);
	tail_positions(x->t, on_position, x);
	assert_int_equal(find_pos(x, log)->pos.offset, 0);
	tail_free(x->t);	/* down */
	x->t = NULL;
	put(path_in(x, "log.1"), "a1\na2\n");	/* as compressed: a new inode */
	held = open(log, O_RDONLY);	/* its inode is not reused at once */
	assert_int_equal(unlink(log), 0);
	put(log, "");
	restart(x, 0, paths);
	expect_once(x, want);
	close(held);
}

/* a copytruncate seen while its copy is still being compressed (the .gz
 * not yet readable): the copy is looked for again until it is there */
static void test_copy_being_compressed(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	const char *gz = path_in(x, "log.1.gz"), *tmp = path_in(x, "tmp");
	const char *want[] = { "a1", "a2", NULL };
	gzFile g;

	put_and_wait(x, log, "a1\n", 1);
	put(log, "a2\n");
	put(gz, "not yet");	/* being written: not gzip yet */
	assert_int_equal(truncate(log, 0), 0);
	pump(x, 0, 300);	/* the cut is seen, no copy yet */
	g = gzopen(tmp, "wb");
	assert_non_null(g);
	assert_int_equal(gzputs(g, "a1\na2\n"), 6);
	gzclose(g);
	assert_int_equal(rename(tmp, gz), 0);
	expect_once(x, want);
}

static void test_stop_and_positions(void **state)
{
	struct fx *x = *state;
	const char *log = start_on_empty_log(x);
	char buf[64];

	x->got.stop_every = 3;
	for (int i = 0; i < 10; i++) {
		snprintf(buf, sizeof buf, "line%d\n", i);
		put(log, buf);
	}
	pump(x, 0, 300);
	assert_int_equal(tail_deliver(x->t, collect, &x->got), 0);
	assert_int_equal(x->got.n, 10);
	x->got.stop_every = 0;
	/* stop after 2 lines: the position is exactly after line 2 */
	put(log, "x1\nx2\nx3\n");
	x->got.stop_every = 2;
	while (x->got.n < 12) {
		tail_wait(x->t, 1);
		tail_deliver(x->t, collect, &x->got);
	}
	tail_positions(x->t, on_position, x);
	assert_int_equal(find_pos(x, log)->pos.offset, 60 + 6);
	x->got.stop_every = 0;
}

static void test_overflow(void **state)
{
	struct fx *x = *state;
	const char *log = path_in(x, "log");
	struct tail_counters c;
	char name[600];
	int files = 9000;
	FILE *fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");

	if (fp != NULL) {	/* 3 events a file: overflow the queue */
		if (fscanf(fp, "%d", &files) == 1)
			files = files / 2 + 1000;
		fclose(fp);
	}
	if (files > 100000)
		files = 100000;
	put(log, "");
	start1(x, 0, "log");
	for (int i = 0; i < files; i++) {
		snprintf(name, sizeof name, "%s/f%d", x->dir, i);
		put(name, "");
		unlink(name);
	}
	put_and_wait(x, log, "after overflow\n", 1);
	pump(x, 0, 500);	/* the overflow event may come after the line */
	tail_take_counters(x->t, &c);
	assert_true(c.overflows >= 1);
	assert_string_equal(x->got.line[0], "after overflow");
}

/* skip_to_login - tail_skip_fn: only lines holding "LOGIN" are wanted */
static size_t skip_to_login(const char *buf, size_t len, void *ctx)
{
	const char *hit = memmem(buf, len, "LOGIN", 5);

	(void)ctx;
	return hit != NULL ? (size_t)(hit - buf) : len;
}

/* a file cut back inside a run of lines the skip function passed over
 * (which get no checkpoint of their own) is read again from the end of
 * the wanted line before the run; cut back to a wanted line's end, from
 * there: no wanted line twice, none lost */
static void test_cut_back_between_wanted_lines(void **state)
{
	struct fx *x = *state;
	const char *log = path_in(x, "log");
	const char *text = "n1\nLOGIN a\nn2\nn3\nn4\nLOGIN b\nn5\n";
	const char *want[] = { "LOGIN a", "LOGIN b", "LOGIN c", "LOGIN d",
			       NULL };
	struct tail_options o = { 1, 1 };

	put(log, text);
	x->t = tail_new(&o);
	tail_add(x->t, log);
	tail_set_skip(x->t, skip_to_login, NULL);
	tail_start(x->t);
	assert_true(pump(x, 2, 0));
	/* cut inside the run n2..n4 (after n3): back to LOGIN a's end */
	assert_int_equal(truncate(log, (off_t)(strstr(text, "n4") - text)), 0);
	put_and_wait(x, log, "LOGIN c\n", 3);
	/* "n1 LOGIN a n2 n3 LOGIN c n6", cut back to LOGIN c's end */
	put(log, "n6\n");
	pump(x, 0, 300);
	assert_int_equal(truncate(log, (off_t)(strstr(text, "n4") - text +
					       strlen("LOGIN c\n"))), 0);
	put_and_wait(x, log, "LOGIN d\n", 4);
	expect_lines(x, want);
}

static void test_many_files(void **state)
{
	struct fx *x = *state;
	const char *paths[101];
	char names[100][32];

	for (int i = 0; i < 100; i++) {
		snprintf(names[i], sizeof names[i], "log%d", i);
		paths[i] = xstrdup(path_in(x, names[i]));
		put(paths[i], "");
	}
	paths[100] = NULL;
	start(x, 0, 1, paths);
	for (int i = 0; i < 100; i++)
		put(paths[i], "line\n");
	assert_true(pump(x, 100, 0));
	pump(x, 0, 300);
	assert_int_equal(x->got.n, 100);
	for (int i = 0; i < 100; i++)
		free((char *)paths[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_partial_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rm_recreate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_delayed_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_file_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_and_bad_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_rotated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_rotated_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_rotated_shrunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_of_unread_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_saved_unseen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint_as_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retired_not_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refilled_while_reading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewritten_before_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saved_unread_then_compressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_being_compressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_back_between_wanted_lines, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
