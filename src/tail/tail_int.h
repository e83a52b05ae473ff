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
#include <sys/inotify.h>
#include <sys/stat.h>

#include "log.h"
#include "tail.h"

/* one open file being read: the file now at a configured path, or a
 * rotated one still draining under its own position name */
struct stream {
	int fd;
	uint64_t dev, ino;
	uint64_t read_off;	/* file offset of the next read() */
	uint64_t consumed;	/* offset just past the last line delivered */
	char *buf;		/* undelivered bytes [start, end) */
	size_t start, end;
	int skipping;		/* discarding an overlong line up to its \n */
	int at_eof;		/* the last read() reached the end of file */
	int buf_live;		/* lines in buf came from a live read */
	int pending;		/* may have data: read it at the next delivery */
	uint64_t fp;		/* fingerprint of the first line ... */
	uint32_t fp_len;	/* ... over this many bytes */
	int fp_final;		/* first line complete (or 1 KiB): fp fixed */
	long long last_data_ms;	/* when data last arrived (rotated: quiet) */
	int rotated;
	int report;		/* position changed since the last report */
	char *name;		/* position name */
	unsigned source;	/* its configured path's number (tail_line_fn) */
	struct stream *next;	/* in the rotated list */
};

struct tail_file {
	char *path;		/* as configured */
	char *base;		/* its last component */
	char *real_base;	/* last component of a symlink's target, or NULL */
	char *real_path;	/* a symlink's resolved target, or NULL */
	struct stream *cur;	/* the file now at path, or NULL */
	int del_main;		/* delete path's position at the next report */
	int dir_watched;	/* the directory itself is watched */
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

struct tailer {
	struct tail_options opt;
	struct tail_file *files;
	size_t nfiles;
	struct stream *rotated;		/* draining, oldest first */
	char **deleted;			/* position names to delete */
	size_t ndeleted;
	struct saved_position *saved;
	size_t nsaved;
	struct watched_dir *dirs;
	size_t ndirs;
	int dirs_missing;		/* some file's directory is not watched */
	int inotify_ok;			/* 0: poll on the scan timer only */
	long long next_scan_ms;
	struct tail_counters count;
	struct ratelimit rl_read, rl_watch, rl_overflow;
};

/* tail_state.c */
/* tail_file_source - the source number of F: 1 + its index */
unsigned tail_file_source(const struct tailer *t, const struct tail_file *f);
/* tail_rotated_name - "PATH\001rotated:INO", the position name of a
 * rotated file still draining */
char *tail_rotated_name(const char *path, uint64_t ino);
void tail_delete_position_later(struct tailer *t, const char *name);
/* tail_stream_by_id - the open stream of file (DEV, INO), or NULL */
struct stream *tail_stream_by_id(struct tailer *t, uint64_t dev,
				 uint64_t ino);

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
/* tail_fp_matches - the first P->fingerprint_len bytes of FD hash to P's */
int tail_fp_matches(int fd, const struct position *p);
/* tail_stream_verify - 1 if the file was truncated/rewritten and we rewound */
int tail_stream_verify(struct tailer *t, struct stream *s, int check_fp);

/* tail_watch.c */
void tail_watch_all(struct tailer *t);
void tail_check_path(struct tailer *t, struct tail_file *f, int force);
void tail_handle_event(struct tailer *t, const struct inotify_event *ev);
void tail_scan_all(struct tailer *t);
void tail_rotate_out(struct tailer *t, struct tail_file *f);
void tail_note_symlink(struct tailer *t, struct tail_file *f);

#endif
