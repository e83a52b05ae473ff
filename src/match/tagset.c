/*
 * tagset.c - finds where a log line's program tag may stand and looks the
 * tag up in a fixed hash of the formats' tags, behind cheap filters (stamps
 * checked a word at a time, tables on a position's first bytes): no regex,
 * no allocation, no search through the line. Must only ever narrow the
 * rules the matcher runs: every tag a format's regex accepts is found.
 */
#include <stdlib.h>
#include <string.h>

#include "tagset.h"
#include "util.h"

#define SLOTS 256		/* a power of two, well above the tag count */
#define SLOTS_USED_MAX (SLOTS / 2)
#define PREFIXES_MAX 8
#define DATE_LEN 11		/* "YYYY-MM-DD " */
#define HEADS_BITS 4096		/* filter on a tag's first (up to) 8 bytes */
#define STARTS_BITS HEADS_BITS	/* filter on a tag's first three bytes */

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
	unsigned char starts[STARTS_BITS / 8];	/* bit head_key(its first 3) */
	unsigned char short_first[256];	/* a tag of < 3 bytes starts so */
	unsigned char first[256];	/* FIRST_* flags: what may start so */
	unsigned char head_lens[256];	/* bit K-1: a tag of K bytes (K < 8)
					 * or K = 8 (8 or more) starts so */
	unsigned char heads[HEADS_BITS / 8];	/* bit head_key(tag) */
	unsigned char word_max[256];	/* longest word (a "word[" without
					 * its '[') of a tag starting so */
	struct tag_slot prefix[PREFIXES_MAX];	/* "name." of "name.*" */
	size_t nprefix;
	uint64_t dated;
};

enum { FIRST_TAG = 1, FIRST_DATED = 2, FIRST_SHORT = 4 };

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

/* load8 - the 8 bytes at S as one word (host order) */
static uint64_t load8(const char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

/* word_fits - the 8 bytes at S follow a template given as three 8-byte
 * strings: MASK keeps 0xF0 of a digit's byte, all of a fixed byte and
 * nothing of a free one; VALUE is '0' or the fixed byte; ADD is 6 at a
 * digit (a '0'..'9' plus 6 keeps its high nibble 3, nothing above does) */
static int word_fits(const char *s, const char *mask, const char *value,
		     const char *add)
{
	uint64_t w = load8(s), m = load8(mask), v = load8(value);

	return (w & m) == v && ((w + load8(add)) & m) == v;
}

/* bsd_stamp16 - S (at least 16 bytes) starts with the usual BSD form
 * "Mmm dd hh:mm:ss " (day " d" or "dd"); a few word compares */
static int bsd_stamp16(const char *s)
{
	return (unsigned char)(s[0] - 'A') < 26 &&
	    (unsigned char)(s[1] - 'a') < 26 && (unsigned char)(s[2] - 'a') < 26 &&
	    (s[4] == ' ' || is_digit(s[4])) &&
	    word_fits(s, "\0\0\0\xFF\0\xF0\xFF\xF0", "\0\0\0 \0" "0 0",
		      "\0\0\0\0\0\x06\0\x06") &&
	    word_fits(s + 8, "\xF0\xFF\xF0\xF0\xFF\xF0\xF0\xFF", "0:00:00 ",
		      "\x06\0\x06\x06\0\x06\x06\0");
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

/* iso_head - S (N bytes) starts "YYYY-MM-DD[ T]hh:mm:ss" (19 bytes) */
static int iso_head(const char *s, size_t n)
{
	return n >= 19 && word_fits(s, "\xF0\xF0\xF0\xF0\xFF\xF0\xF0\xFF", "0000-00-",
			 "\x06\x06\x06\x06\0\x06\x06\0") &&
	    word_fits(s + 8, "\xF0\xF0\0\xF0\xF0\xFF\xF0\xF0", "00\0" "00:00",
		      "\x06\x06\0\x06\x06\0\x06\x06") &&
	    (s[10] == ' ' || s[10] == 'T') && s[16] == ':' &&
	    is_digit(s[17]) && is_digit(s[18]);
}

/* iso_stamp - length of a leading "YYYY-MM-DD[ T]hh:mm:ss[.,frac][zone]"
 * (a superset of RFC 3339), longest form, or 0. Where one of the regexes
 * accepts a stamp followed by a space, this ends at that same space */
static size_t iso_stamp(const char *s, size_t n)
{
	size_t i = 19;

	if (!iso_head(s, n))
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

/* stamp_end - length of a leading stamp (BSD or ISO), or 0 */
static size_t stamp_end(const char *line, size_t len)
{
	if (len >= 16 && bsd_stamp16(line))
		return 15;
	return line[0] >= 'A' ? bsd_stamp(line, len) : iso_stamp(line, len);
}

/* first_space_or_control - offset of the first byte <= ' ' in S from
 * FROM on (N if none): eight bytes a step while eight remain */
static size_t first_space_or_control(const char *s, size_t from, size_t n)
{
	const uint64_t ones = (uint64_t)-1 / 255, highs = ones * 0x80;

	for (; from + 8 <= n; from += 8) {
		uint64_t w = load8(s + from);
		/* a byte < 0x21 sets its high bit here; only those above the
		 * first one may be wrong (borrow): the lowest set is exact */
		uint64_t low = (w - ones * 0x21) & ~w & highs;
		if (low != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return from + (size_t)__builtin_ctzll(low) / 8;
#else
			break;
#endif
		}
	}
	for (; from < n && (unsigned char)s[from] > ' '; from++)
		;
	return from;
}

/* host_end - end of the host word starting at FROM: its first space
 * (PCRE2's \s), or LEN */
static size_t host_end(const char *line, size_t from, size_t len)
{
	size_t i = first_space_or_control(line, from, len);

	while (i < len && !is_space(line[i]))	/* a control byte: go on */
		i = first_space_or_control(line, i + 1, len);
	return i;
}

/* after_stamp - where a tag may stand after a leading stamp and one
 * space ("STAMP tag: ..."), or 0 */
static inline size_t after_stamp(const char *line, size_t len)
{
	size_t end = len > 0 ? stamp_end(line, len) : 0;

	return end != 0 && end < len && line[end] == ' ' ? end + 1 : 0;
}

/* after_host - where a tag may stand after the host word starting at
 * FROM (not ending in ':') and one space, or 0 */
static inline size_t after_host(const char *line, size_t from, size_t len)
{
	size_t host = host_end(line, from, len);

	return host > from && line[host - 1] != ':' && host < len &&
	    line[host] == ' ' ? host + 1 : 0;
}

size_t tag_positions(const char *line, size_t len, size_t pos[TAG_POSITIONS_MAX])
{
	size_t n = 0;

	pos[n++] = 0;
	if ((pos[n] = after_stamp(line, len)) != 0 &&
	    (pos[n + 1] = after_host(line, pos[n], len)) != 0)
		n++;
	return pos[n] != 0 ? n + 1 : n;
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

/* head_key - a hash of the first K (1 to 8) bytes of HEAD */
static unsigned head_key(uint64_t head, unsigned k)
{
	if (k < 8) {	/* keep the bytes that came first in memory */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		head &= ((uint64_t)1 << (8 * k)) - 1;
#else
		head &= ~(((uint64_t)1 << (8 * (8 - k))) - 1);
#endif
	}
	return (unsigned)((head * 0x9E3779B97F4A7C15u) >> 52) % HEADS_BITS;
}

/* short_head - the N (< 8) bytes at P and zeros, as load8 gives them */
static uint64_t short_head(const char *p, size_t n)
{
	char buf[8] = { 0 };

	memcpy(buf, p, n);
	return load8(buf);
}

/* head_of - the first 8 bytes at P (N bytes), zeros past the end */
static inline uint64_t head_of(const char *p, size_t n)
{
	return n >= 8 ? load8(p) : short_head(p, n);
}

static int bit_is_set(const unsigned char *bits, unsigned key)
{
	return bits[key / 8] >> (key % 8) & 1;
}

static void set_bit(unsigned char *bits, unsigned key)
{
	bits[key / 8] |= (unsigned char)(1u << (key % 8));
}

/* may_start - whether a tag or prefix may start at P (N bytes): its
 * first three bytes (or its first one, for a shorter tag) are known,
 * then its first K bytes for some K a tag starting so has (its length,
 * or 8 for a longer one) */
static inline int may_start(const struct tagset *s, const char *p, size_t n)
{
	uint64_t head;
	unsigned lens = s->head_lens[(unsigned char)p[0]];

	if (n < 3 && !s->short_first[(unsigned char)p[0]])
		return 0;
	head = head_of(p, n);
	if (!s->short_first[(unsigned char)p[0]] &&
	    !bit_is_set(s->starts, head_key(head, 3)))
		return 0;
	for (; lens != 0; lens &= lens - 1) {
		unsigned k = (unsigned)__builtin_ctz(lens) + 1;
		if (k <= n && bit_is_set(s->heads, head_key(head, k)))
			return 1;
	}
	return 0;
}

/* note_start - let may_start pass for TAG (LEN bytes) */
static void note_start(struct tagset *s, const char *tag, size_t len)
{
	unsigned k = len < 8 ? (unsigned)len : 8;
	uint64_t head = head_of(tag, len);

	s->head_lens[(unsigned char)tag[0]] |= (unsigned char)(1u << (k - 1));
	set_bit(s->heads, head_key(head, k));
	if (len < 3) {
		s->short_first[(unsigned char)tag[0]] = 1;
		s->first[(unsigned char)tag[0]] |= FIRST_SHORT;
	} else
		set_bit(s->starts, head_key(head, 3));
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
	s->first[(unsigned char)tag[0]] |= FIRST_TAG;
	if (!prefix && tag[0] != '[') {
		size_t word = tag[len - 1] == '[' ? len - 1 : len;
		if (word > s->word_max[(unsigned char)tag[0]])
			s->word_max[(unsigned char)tag[0]] = (unsigned char)word;
	}
	slot->len = (unsigned char)len;
	memcpy(slot->text, tag, len);
	slot->bits |= bits;
	return 0;
}

void tagset_add_dated(struct tagset *s, uint64_t bits)
{
	s->dated |= bits;
	for (char c = '0'; c <= '9'; c++)
		s->first[(unsigned char)c] |= FIRST_DATED;
}

/* lookup - the bits of the stored tag P (LEN bytes), 0 if none; the
 * lengths filter spares most hashes */
static uint64_t lookup(const struct tagset *s, const char *p, size_t len)
{
	if (len > TAG_LEN_MAX || !(s->lengths[(unsigned char)p[0]] >> len & 1))
		return 0;
	return s->slot[slot_index(s, p, len)].bits;
}

/* bracket_bits - a "[word]" tag at P (N bytes, P[0] is '['): its inner
 * word holds nothing that ends a tag and no ']', so it ends at the first
 * such byte, which must be the ']' */
static uint64_t bracket_bits(const struct tagset *s, const char *p, size_t n)
{
	size_t i = 1;

	while (i < n && i < TAG_LEN_MAX && !ends_tag(p[i]) && p[i] != ']')
		i++;
	return i < n && p[i] == ']' ? lookup(s, p, i + 1) : 0;
}

/* word_bits - the tags at P (N bytes): a stored word holds nothing that
 * ends a tag, so the only one that may stand here is the word W up to the
 * first such byte (the line or what ends a tag follows it), or "W[";
 * a W longer than every stored word needs no measuring to its end */
static uint64_t word_bits(const struct tagset *s, const char *p, size_t n)
{
	size_t w = 0, w_max = s->word_max[(unsigned char)p[0]];
	uint64_t bits = 0;

	while (w < n && w <= w_max && !ends_tag(p[w]))
		w++;
	if (w < n && p[w] == '[')
		bits |= lookup(s, p, w + 1);
	if (w > 0 && (w == n || ends_tag(p[w])))
		bits |= lookup(s, p, w);
	if (s->prefix_first[(unsigned char)p[0]])
		for (size_t i = 0; i < s->nprefix; i++)
			if (starts_with(p, n, &s->prefix[i]))
				bits |= s->prefix[i].bits;
	return bits;
}

/* tag_bits - the tags at P (N bytes), past the filters: kept out of
 * line so that the filters' path stays short */
__attribute__((noinline))
static uint64_t tag_bits(const struct tagset *s, const char *p, size_t n)
{
	return p[0] == '[' ? bracket_bits(s, p, n) : word_bits(s, p, n);
}

/* bits_from - the formats concerned by what stands at P (N > 0 bytes),
 * whose first byte has the FIRST_* flags FIRST: most starts are filtered
 * on a few bytes; only then is the word measured and hashed */
static uint64_t bits_from(const struct tagset *s, const char *p, size_t n,
			  unsigned first)
{
	uint64_t bits = 0;

	if ((first & FIRST_TAG) && may_start(s, p, n))
		bits = tag_bits(s, p, n);
	if ((first & FIRST_DATED) && n >= DATE_LEN && p[10] == ' ' && iso_date(p, n))
		bits |= s->dated;
	return bits;
}

/* bits_at - bits_from, after one table look that rejects most bytes
 * and, for a tag's first byte, the first test of may_start: in line,
 * as nearly every line fails them */
static inline uint64_t bits_at(const struct tagset *s, const char *p, size_t n)
{
	unsigned first = n > 0 ? s->first[(unsigned char)p[0]] : 0;

	if (first == 0 || (first == FIRST_TAG && n >= 8 &&
			   !bit_is_set(s->starts, head_key(load8(p), 3))))
		return 0;
	return bits_from(s, p, n, first);
}

uint64_t tagset_line(const struct tagset *s, const char *line, size_t len)
{
	uint64_t bits = bits_at(s, line, len);
	size_t tag = after_stamp(line, len);

	if (tag == 0)
		return bits;
	bits |= bits_at(s, line + tag, len - tag);
	tag = after_host(line, tag, len);
	return tag == 0 ? bits : bits | bits_at(s, line + tag, len - tag);
}
