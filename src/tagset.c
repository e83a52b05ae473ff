/*
 * tagset.c - finds where a log line's program tag may stand and looks the
 * tag up in a fixed-size open-addressing hash of the built-in formats'
 * tags. Costs a few dozen byte compares per line: no regex, no allocation,
 * no search through the line. Must only ever narrow the rules the matcher
 * runs: every tag position a format's regex accepts is one found here.
 */
#include <stdlib.h>
#include <string.h>

#include "tagset.h"
#include "util.h"

#define SLOTS 256		/* a power of two, well above the tag count */
#define SLOTS_USED_MAX (SLOTS / 2)
#define PREFIXES_MAX 8
#define DATE_LEN 11		/* "YYYY-MM-DD " */
#define STARTS_BITS 4096	/* filter on a tag's first three bytes */

struct tag_slot {
	uint64_t bits;		/* 0 = empty slot */
	unsigned char len;
	char text[TAG_LEN_MAX];
};

struct tagset {
	struct tag_slot slot[SLOTS];
	size_t used;
	uint64_t lengths[256];	/* by first byte: bit L = a tag of L bytes */
	unsigned char prefix_first[256];	/* a prefix starts with it */
	unsigned char starts[STARTS_BITS / 8];	/* bit start_key(tag) */
	unsigned char short_first[256];	/* a tag of < 3 bytes starts so */
	struct tag_slot prefix[PREFIXES_MAX];	/* "name." of "name.*" */
	size_t nprefix;
	uint64_t dated;
};

/* byte classes: SPACE is PCRE2's \s in 8-bit mode without UCP; a tag
 * ends at a space, '[' (PID), ':' or '(' in every regex */
enum { SPACE = 1, ENDS_TAG = 2 };
static const unsigned char byte_class[256] = {
	['\t'] = SPACE | ENDS_TAG, ['\n'] = SPACE | ENDS_TAG,
	['\v'] = SPACE | ENDS_TAG, ['\f'] = SPACE | ENDS_TAG,
	['\r'] = SPACE | ENDS_TAG, [' '] = SPACE | ENDS_TAG,
	['['] = ENDS_TAG, [':'] = ENDS_TAG, ['('] = ENDS_TAG,
};

static int is_space(char c)
{
	return byte_class[(unsigned char)c] & SPACE;
}

static int ends_tag(char c)
{
	return byte_class[(unsigned char)c] & ENDS_TAG;
}

static int is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* is_hms - "hh:mm:ss" (digits only checked, as the regexes do) */
static int is_hms(const char *s)
{
	return all_digits(s, 2) && s[2] == ':' && all_digits(s + 3, 2) &&
	    s[5] == ':' && all_digits(s + 6, 2);
}

/* bsd_stamp - length of a leading "Mmm dd hh:mm:ss" ("[A-Z][a-z]{2}
 * [ 0-9]?[0-9] hh:mm:ss": a day of one digit may be bare), or 0 */
static size_t bsd_stamp(const char *s, size_t n)
{
	size_t day_end;

	if (n < 14 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'a' || s[1] > 'z' ||
	    s[2] < 'a' || s[2] > 'z' || s[3] != ' ')
		return 0;
	if (is_digit(s[5]) && (s[4] == ' ' || is_digit(s[4])))
		day_end = 6;
	else if (is_digit(s[4]))
		day_end = 5;
	else
		return 0;
	if (n < day_end + 9 || s[day_end] != ' ' || !is_hms(s + day_end + 1))
		return 0;
	return day_end + 9;
}

/* iso_date - "YYYY-MM-DD" at S (N bytes available) */
static int iso_date(const char *s, size_t n)
{
	return n >= 10 && all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) &&
	    s[7] == '-' && all_digits(s + 8, 2);
}

/* iso_stamp - length of a leading "YYYY-MM-DD[ T]hh:mm:ss[.,frac][zone]"
 * (a superset of RFC 3339), longest form, or 0. Where one of the regexes
 * accepts a stamp followed by a space, this ends at that same space */
static size_t iso_stamp(const char *s, size_t n)
{
	size_t i = 19;

	if (n < 19 || !iso_date(s, n) || (s[10] != ' ' && s[10] != 'T') ||
	    !is_hms(s + 11))
		return 0;
	if (i + 1 < n && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1]))
		for (i += 2; i < n && is_digit(s[i]); i++)
			;
	if (i < n && s[i] == 'Z')
		i++;
	else if (i + 3 <= n && (s[i] == '+' || s[i] == '-') && all_digits(s + i + 1, 2)) {
		if (i + 6 <= n && s[i + 3] == ':' && all_digits(s + i + 4, 2))
			i += 6;
		else if (i + 5 <= n && all_digits(s + i + 3, 2))
			i += 5;
	}
	return i;
}

size_t tag_positions(const char *line, size_t len, size_t pos[TAG_POSITIONS_MAX])
{
	size_t n = 0, end, host;

	pos[n++] = 0;
	end = bsd_stamp(line, len);
	if (end == 0)
		end = iso_stamp(line, len);
	if (end == 0 || end >= len || line[end] != ' ')
		return n;
	pos[n++] = ++end;	/* "STAMP tag: ...": no host */
	for (host = end; host < len && !is_space(line[host]); host++)
		;
	if (host > end && line[host - 1] != ':' && host < len && line[host] == ' ')
		pos[n++] = host + 1;
	return n;
}

/* tag_fits - whether S (N bytes) may start with a tag of exactly LEN
 * bytes: a "[word]", a "word[", or a word ended by the line or by what
 * ends a tag. A stored word holds no such byte: if S starts with it, it
 * is the whole word */
static int tag_fits(const char *s, size_t n, size_t len)
{
	return len <= n && (s[0] == '[' || s[len - 1] == '[' || len == n ||
			    ends_tag(s[len]));
}

/* starts_with - S (N bytes) begins with PREFIX (a short literal) */
static int starts_with(const char *s, size_t n, const struct tag_slot *prefix)
{
	if (n < prefix->len)
		return 0;
	for (size_t i = 0; i < prefix->len; i++)
		if (s[i] != prefix->text[i])
			return 0;
	return 1;
}

static uint32_t tag_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* slot_index - the slot holding TAG, or the empty one where it belongs */
static size_t slot_index(const struct tagset *s, const char *tag, size_t len)
{
	size_t i = tag_hash(tag, len) & (SLOTS - 1);

	while (s->slot[i].bits != 0 &&
	       (s->slot[i].len != len || memcmp(s->slot[i].text, tag, len) != 0))
		i = (i + 1) & (SLOTS - 1);
	return i;
}

struct tagset *tagset_new(void)
{
	return xcalloc(1, sizeof(struct tagset));
}

void tagset_free(struct tagset *s)
{
	free(s);
}

/* valid_tag - a word without what ends a tag, "[word]" or "word[" */
static int valid_tag(const char *tag, size_t len)
{
	size_t from = 0, to = len;

	if (len == 0 || len > TAG_LEN_MAX)
		return 0;
	if (len >= 3 && tag[0] == '[' && tag[len - 1] == ']')
		from = 1, to = len - 1;
	else if (len >= 2 && tag[len - 1] == '[')
		to = len - 1;
	for (size_t i = from; i < to; i++)
		if (ends_tag(tag[i]) || tag[i] == ']')
			return 0;
	return 1;
}

/* prefix_slot - the slot for prefix "name." (TAG, LEN), NULL if full */
static struct tag_slot *prefix_slot(struct tagset *s, const char *tag, size_t len)
{
	for (size_t i = 0; i < s->nprefix; i++)
		if (s->prefix[i].len == len && memcmp(s->prefix[i].text, tag, len) == 0)
			return &s->prefix[i];
	return s->nprefix < PREFIXES_MAX ? &s->prefix[s->nprefix++] : NULL;
}

static unsigned start_key(const char *p)
{
	return ((unsigned char)p[0] * 961u + (unsigned char)p[1] * 31u +
		(unsigned char)p[2]) % STARTS_BITS;
}

/* may_start - whether a tag or prefix may start at P (N bytes): its
 * first three bytes (or its first one, for a shorter tag) are known */
static int may_start(const struct tagset *s, const char *p, size_t n)
{
	unsigned key;

	if (s->short_first[(unsigned char)p[0]])
		return 1;
	if (n < 3)
		return 0;
	key = start_key(p);
	return s->starts[key / 8] >> (key % 8) & 1;
}

/* note_start - let may_start pass for TAG (LEN bytes) */
static void note_start(struct tagset *s, const char *tag, size_t len)
{
	unsigned key;

	if (len < 3) {
		s->short_first[(unsigned char)tag[0]] = 1;
		return;
	}
	key = start_key(tag);
	s->starts[key / 8] |= (unsigned char)(1u << (key % 8));
}

int tagset_add(struct tagset *s, const char *tag, size_t len, uint64_t bits)
{
	struct tag_slot *slot;
	int prefix = len >= 2 && tag[len - 2] == '.' && tag[len - 1] == '*';

	if (prefix)
		len--;		/* "name.*": keep "name." */
	if (bits == 0 || !valid_tag(tag, len))
		return -1;
	if (prefix) {
		slot = prefix_slot(s, tag, len);
		s->prefix_first[(unsigned char)tag[0]] = 1;
	} else {
		slot = &s->slot[slot_index(s, tag, len)];
		if (slot->bits == 0 && s->used++ == SLOTS_USED_MAX)
			slot = NULL;
		s->lengths[(unsigned char)tag[0]] |= (uint64_t)1 << len;
	}
	if (slot == NULL)
		return -1;
	note_start(s, tag, len);
	slot->len = (unsigned char)len;
	memcpy(slot->text, tag, len);
	slot->bits |= bits;
	return 0;
}

void tagset_add_dated(struct tagset *s, uint64_t bits)
{
	s->dated |= bits;
}

/* bits_at - the formats concerned by what stands at S (N bytes) */
static uint64_t bits_at(const struct tagset *s, const char *p, size_t n)
{
	unsigned char first;
	uint64_t bits = 0, lengths;

	if (n == 0)
		return 0;
	first = (unsigned char)p[0];
	if (may_start(s, p, n)) {
		/* each length some tag starting with this byte has */
		for (lengths = s->lengths[first]; lengths != 0; lengths &= lengths - 1) {
			size_t len = (size_t)__builtin_ctzll(lengths);
			if (tag_fits(p, n, len))
				bits |= s->slot[slot_index(s, p, len)].bits;
		}
		if (s->prefix_first[first])
			for (size_t i = 0; i < s->nprefix; i++)
				if (starts_with(p, n, &s->prefix[i]))
					bits |= s->prefix[i].bits;
	}
	if (s->dated != 0 && n >= DATE_LEN && p[10] == ' ' && iso_date(p, n))
		bits |= s->dated;
	return bits;
}

uint64_t tagset_line(const struct tagset *s, const char *line, size_t len)
{
	size_t pos[TAG_POSITIONS_MAX];
	size_t n = tag_positions(line, len, pos);
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++)
		bits |= bits_at(s, line + pos[i], len - pos[i]);
	return bits;
}
