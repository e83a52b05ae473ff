/*
 * tagset.h - the matcher's per-line dispatch: where a log line's program
 * tag may stand (after an optional stamp and host, found without regex or
 * allocation) and a small hash set mapping each known tag to the formats
 * that accept it. It only ever narrows which rules run; never a match.
 */
#ifndef POPGATE_TAGSET_H
#define POPGATE_TAGSET_H

#include <stddef.h>
#include <stdint.h>

#define TAG_POSITIONS_MAX 3
#define TAG_LEN_MAX 32		/* longer tags are never stored */

/* tag_positions - offsets in LINE where a program tag may start: 0; after
 * a leading stamp (BSD "Mmm dd hh:mm:ss", or ISO 8601 / RFC 3339) and one
 * space; after that, one host word (not ending in ':') and one space.
 * Returns how many (1 to 3), in increasing order */
size_t tag_positions(const char *line, size_t len,
		     size_t pos[TAG_POSITIONS_MAX]);

struct tagset;

struct tagset *tagset_new(void);
void tagset_free(struct tagset *s);

/* tagset_add - lines with TAG (LEN bytes, case-sensitive; "name.*" is
 * every tag starting "name."; "name[" is name followed by a PID) concern
 * the formats in BITS; -1 if the tag is empty, too long, holds a byte
 * that ends a tag (whitespace [ ] : ( ) or the set is full */
int tagset_add(struct tagset *s, const char *tag, size_t len, uint64_t bits);
/* tagset_add_dated - a tag position holding "YYYY-MM-DD " also concerns
 * BITS (formats whose lines may carry no tag, only their own date) */
void tagset_add_dated(struct tagset *s, uint64_t bits);

/* tagset_line - the union of the bits of every tag (or date) found at one
 * of LINE's tag positions; 0 if the line concerns no format */
uint64_t tagset_line(const struct tagset *s, const char *line, size_t len);

#endif
