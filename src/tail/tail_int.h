/*
 * tail_int.h - the tailer's private state and the functions its files
 * share. Layers, each calling only those above it: tail_state.c (helpers
 * over this state), tail_stream.c (reading one open file), tail_watch.c
 * (inotify and rotation detection), tail_resume.c (start), tail.c (the
 * public face). Not a public interface.
 */
#ifndef POPGATE_TAIL_INT_H
#define POPGATE_TAIL_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "log.h"
#include "tail.h"

#define TAIL_CHECK_MAX 256	/* checkpoint: hash of the last bytes of a line */
#define TAIL_CHECKS 4096	/* checkpoints kept per open file (its last lines) */
#define TAIL_TICK_SLACK_NS 1000000000ull	/* a file time this far past the
					 * coarse clock is a clock set back,
					 * not a finer time of the same tick */

struct tail_input;

/* one open file being read: the file now at a configured path, or a
 * rotated one still draining under its own position name */
struct stream {
	int fd;
	struct tail_input *in;	/* a compressed rotated file, or NULL */
	uint64_t dev, ino;
	uint64_t read_off;	/* file offset of the next read() */
	uint64_t consumed;	/* offset just past the last line delivered */
	char *buf;		/* undelivered bytes [start, end) */
	size_t start, end;
	int skipping;		/* discarding an overlong line up to its \n */
	size_t hit;		/* tail_skip_fn's answer for [start, end) ... */
	int hit_known;		/* ... while set: lines ending before it go */
	int at_eof;		/* the last read() reached the end of file */
	int buf_live;		/* lines in buf came from a live read */
	int pending;		/* may have data: read it at the next delivery */
	uint64_t fp;		/* fingerprint of the first line ... */
	uint32_t fp_len;	/* ... over this many bytes */
	int fp_final;		/* first line complete (or 1 KiB): fp fixed */
	long long last_data_ms;	/* when data last arrived (rotated: quiet) */
	struct position_check *ck;	/* ring of the last lines' checkpoints */
	size_t ck_first, ck_n;
	int nul_run;		/* inside a run of NUL padding */
	uint64_t size_seen;	/* largest size fstat showed */
	int cut;		/* cut back or rewritten: find a copy of ... */
	struct position lost;	/* ... what it held (offset: read so far) */
	int lost_unknown;	/* ... changed while stopped: unread bytes? */
	long long copy_wait_ms;	/* since when a copy being made is awaited */
	uint64_t cut_size;	/* size_seen when it was cut */
	int rotated;
	int report;		/* position changed since the last report */
	char *name;		/* position name */
	unsigned source;	/* its configured path's number (tail_line_fn) */
	struct stream *next;	/* in the rotated list */
};

/* a directory as it was when its siblings were last listed unchanged */
struct dir_stamp {
	uint64_t dev, ino, mtime_ns, ctime_ns;
	int valid;
};

struct tail_file {
	char *path;		/* as configured */
	char *base;		/* its last component */
	char *real_base;	/* last component of a symlink's target, or NULL */
	char *real_path;	/* a symlink's resolved target, or NULL */
	struct stream *cur;	/* the file now at path, or NULL */
	int del_main;		/* delete path's position at the next report */
	int dir_watched;	/* the directory itself is watched */
	int alias_noted;	/* "same file as ..." logged */
	uint64_t settled_ns;	/* siblings changed before this were seen
				 * (start, or the last sweep) */
	struct dir_stamp stamp[2];	/* its directory's (and a symlink
					 * target's): siblings are listed again
					 * once one changed */
	long long retry_ms;	/* open failed: not before this time */
	unsigned backoff_ms;
	struct ratelimit rl;
};

struct saved_position {
	char *name;
	struct position pos;
	int used;
};

struct watched_dir {
	char *path;
	uint64_t dev, ino;
	int needed;		/* some file's directory (or its ancestor) */
};

/* a file no longer followed: met again under a followed name, it goes on
 * where it stopped instead of being read twice */
struct retired {
	uint64_t dev, ino;
	struct position pos;
};
#define TAIL_RETIRED_MAX 256

struct tailer {
	struct tail_options opt;
	struct tail_file *files;
	size_t nfiles;
	struct stream *rotated;		/* draining, oldest first */
	char **deleted;			/* position names to delete */
	size_t ndeleted;
	struct saved_position *saved;
	size_t nsaved;
	uint64_t saved_at_max;		/* the last save's sweep (resume) */
	uint64_t swept_ns;		/* the last sweep (tail_sweep.c) */
	int undecided;			/* it left a sibling for the next one */
	struct watched_dir *dirs;
	size_t ndirs;
	int dirs_missing;		/* some file's directory is not watched */
	int inotify_ok;			/* 0: poll on the scan timer only */
	long long next_scan_ms;
	struct tail_counters count;
	tail_skip_fn skip;		/* lines no one wants, or NULL */
	void *skip_ctx;
	struct retired retired[TAIL_RETIRED_MAX];	/* ring */
	size_t nretired;
	struct ratelimit rl_read, rl_watch, rl_overflow;
};

/* tail_state.c */
/* tail_file_source - the source number of F: 1 + its index */
unsigned tail_file_source(const struct tailer *t, const struct tail_file *f);
/* tail_rotated_name - "PATH\001rotated:INO", the position name of a
 * rotated file still draining */
char *tail_rotated_name(const char *path, uint64_t ino);
void tail_delete_position_later(struct tailer *t, const char *name);
/* tail_wall_ns - the wall clock (ns) that file mtimes are taken from */
uint64_t tail_wall_ns(void);
/* tail_ns - TS in nanoseconds since the epoch (file times, the clock) */
uint64_t tail_ns(const struct timespec *ts);
/* tail_rotated_append - drain S after every rotated file queued */
void tail_rotated_append(struct tailer *t, struct stream *s);
/* tail_stream_by_id - the open stream of file (DEV, INO), or NULL */
struct stream *tail_stream_by_id(struct tailer *t, uint64_t dev,
				 uint64_t ino);

/* tail_input.c */
/* tail_input_codec - 0 (plain), or the compression FD's first bytes show */
int tail_input_codec(int fd);
const char *tail_input_codec_name(int codec);
/* tail_input_new - a decoder for FD (NULL for codec 0) */
struct tail_input *tail_input_new(int fd, int codec);
void tail_input_free(struct tail_input *in);
/* tail_pread - N bytes at OFF of the file's (decompressed) content */
ssize_t tail_pread(int fd, struct tail_input *in, void *buf, size_t n,
		   uint64_t off);

/* tail_check.c */
/* tail_check_hash - hash of a checkpoint's bytes (and of a position's
 * bytes before its offset) */
uint64_t tail_check_hash(const void *data, size_t len);
/* tail_fp_is_hole - FP is that of LEN NUL bytes (no first line yet) */
int tail_fp_is_hole(uint64_t fp, uint32_t len);
/* tail_fp_matches - the first P->fingerprint_len bytes hash to P's */
int tail_fp_matches(int fd, struct tail_input *in, const struct position *p);
int tail_check_matches(int fd, struct tail_input *in,
		       const struct position_check *c);
/* tail_content_matches - first line and bytes before P's offset match */
int tail_content_matches(int fd, struct tail_input *in,
			 const struct position *p);
/* tail_first_line_is - FD's first line is the whole line P's
 * fingerprint covers (part of a line, as a writer left it between two
 * writes, is shared by every file started in the same second: never
 * taken for the same content) */
int tail_first_line_is(int fd, struct tail_input *in,
		       const struct position *p);
/* tail_copy_of - FD starts with what P's file held: its whole first
 * line, or when that is a NUL hole, the bytes before P's offset too */
int tail_copy_of(int fd, struct tail_input *in, const struct position *p);
/* tail_check_add - a line ended at END; BYTES_END: just past its newline
 * in memory, with AVAIL bytes of the line before it */
void tail_check_add(struct stream *s, uint64_t end, const char *bytes_end,
		    size_t avail);
/* tail_check_seed - a saved position's checkpoints, to verify it later */
void tail_check_seed(struct stream *s, const struct position *p);
/* tail_check_save - into P: checkpoints before P->offset, the last lines
 * and then ever farther back */
void tail_check_save(const struct stream *s, struct position *p);
const struct position_check *tail_check_last(const struct stream *s);
uint64_t tail_check_find(struct stream *s, uint64_t size);
void tail_check_clear(struct stream *s);

/* tail_lines.c */
/* a run of whole lines in a span of the buffer */
struct tail_run {
	size_t lines;		/* newlines in the span */
	size_t last;		/* offset of the last one (when lines > 0) */
};
/* tail_run_scan - count the newlines of the N bytes at P (a line start)
 * into R; 0 when the span holds a NUL byte or a line longer than
 * TAIL_LINE_MAX, the bytes after its last newline included (the
 * line-by-line path must take them) */
int tail_run_scan(const char *p, size_t n, struct tail_run *r);
/* tail_run_scan_scalar - the same without SIMD (what tests compare) */
int tail_run_scan_scalar(const char *p, size_t n, struct tail_run *r);

/* tail_stream.c */
struct stream *tail_stream_new(int fd, const struct stat *st,
			       uint64_t offset, int live, const char *name);
void tail_stream_free(struct stream *s);
/* tail_stream_deliver - 1 if FN asked to stop or *BUDGET ran out, else 0 */
int tail_stream_deliver(struct tailer *t, struct stream *s,
			tail_line_fn fn, void *ctx, size_t *budget);
/* tail_stream_skip_partial - start mid-line: drop bytes up to the next \n */
void tail_stream_skip_partial(struct stream *s);
void tail_stream_position(struct stream *s, struct position *p);
/* tail_stream_take_input - read S through the decoder IN (owned now) */
void tail_stream_take_input(struct stream *s, struct tail_input *in);
/* tail_stream_verify - the file was cut back or rewritten (fstat, and
 * when CHECK_FP its first line and last checkpoint): go on from the last
 * line it still holds, as backlog, S->lost saying what it held. 1 if so */
int tail_stream_verify(struct tailer *t, struct stream *s, int check_fp);

/* tail_sibling.c */
/* one rotated sibling of a followed file, open */
struct tail_sibling {
	char *path;
	struct stat st;
	int fd;			/* -1 once taken or closed */
	int codec;
	struct tail_input *in;
	long rank;		/* its number (mail.log.2: 2), else 0 */
	int used;		/* resume: the file of a saved position */
};
struct tail_sibling_list {
	struct tail_sibling *v;	/* oldest first (mtime, then number) */
	size_t n;
	int busy;		/* one was being compressed, or vanished */
	int changing;		/* the directory changed as it was listed,
				 * or just before: one may be missing */
};
void tail_siblings(struct tailer *t, const struct tail_file *f,
		   struct tail_sibling_list *l);
void tail_sibling_close(struct tail_sibling *sb);
void tail_siblings_free(struct tail_sibling_list *l);
/* tail_sibling_follow - read SB (taken from the list) from OFFSET as
 * backlog, drained after the rotated files already queued */
struct stream *tail_sibling_follow(struct tailer *t, struct tail_file *f,
				   struct tail_sibling *sb, uint64_t offset,
				   const char *why);
/* tail_sibling_catch_up - follow from 0 every sibling in L newer than
 * AFTER that is not followed, not retired and not a copy of FP */
void tail_sibling_catch_up(struct tailer *t, struct tail_file *f,
			   struct tail_sibling_list *l,
			   const struct timespec *after,
			   const struct position *fp);
void tail_sibling_after_rotation(struct tailer *t, struct tail_file *f,
				 struct stream *s);
void tail_sibling_copy(struct tailer *t, struct tail_file *f,
		       struct stream *s);
/* tail_sibling_is_copy - SB starts with what a followed file holds or
 * held before it was cut back, or what a retired file held (a copy, a
 * compressed copy: read already, or read through the file itself) */
int tail_sibling_is_copy(struct tailer *t, const struct tail_sibling *sb);
/* tail_retired_find - (DEV, INO) was retired; *P where it ended */
int tail_retired_find(const struct tailer *t, uint64_t dev, uint64_t ino,
		      struct position *p);

/* tail_siblings_changed - some sibling of F that is not followed and was
 * not retired changed at or after SINCE (ns): a fstatat per name only;
 * F's directory stamps are taken from the listing */
int tail_siblings_changed(struct tailer *t, struct tail_file *f,
			  uint64_t since);
/* tail_siblings_quiet - no entry of F's directories was added, removed or
 * renamed since tail_siblings_changed listed them unchanged: a stat each */
int tail_siblings_quiet(const struct tail_file *f);

/* tail_sweep.c */
/* tail_sweep - before positions are reported: follow every sibling of
 * every file that changed since the last sweep and is neither followed,
 * retired nor a copy of a followed file; the time of the sweep (held
 * back to the oldest sibling still being written, left for the next
 * sweep) goes into every position reported with it */
void tail_sweep(struct tailer *t);

/* tail_watch.c */
void tail_watch_all(struct tailer *t);
void tail_check_path(struct tailer *t, struct tail_file *f, int force);
void tail_handle_event(struct tailer *t, const struct inotify_event *ev);
void tail_scan_all(struct tailer *t);
void tail_rotate_out(struct tailer *t, struct tail_file *f);
void tail_note_symlink(struct tailer *t, struct tail_file *f);
/* tail_note_alias - F's path leads to the file OTHER already follows:
 * read it once, say so once */
void tail_note_alias(struct tailer *t, struct tail_file *f,
		     const struct stream *other);

#endif
