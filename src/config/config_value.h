/*
 * config_value.h - private to config.c and config_value.c: the kinds of
 * value a popgate.conf key can hold, and the key table entry that names
 * one. Each kind parses, prints and frees its own field of struct config.
 */
#ifndef POPGATE_CONFIG_VALUE_H
#define POPGATE_CONFIG_VALUE_H

#include <stddef.h>
#include <stdio.h>

struct key_def;

struct value_type {
	/* parse - VALUE (trimmed, NUL-terminated) into FIELD, replacing
	 * what was there; on error -1 and a message without "FILE:LINE:
	 * key: " in MSG, FIELD untouched */
	int (*parse)(const struct key_def *k, const char *value, unsigned line,
		     void *field, char *msg, size_t msgsize);
	/* print - whole "key = value" line(s) */
	void (*print)(const struct key_def *k, const void *field, FILE *out);
	void (*free)(void *field);
	int repeatable;		/* may be given more than once (pattern) */
};

/* one popgate.conf key: {name, type, default, offset, min, max} */
struct key_def {
	const char *name;
	const struct value_type *type;
	const char *def;		/* default, in config syntax; NULL = none */
	size_t offset;			/* of the field in struct config */
	unsigned min, max;		/* numbers, durations, string lengths */
	const char *const *choices;	/* enums: the name of each value */
};

extern const struct value_type value_string;	/* min = minimum length */
extern const struct value_type value_file;	/* "" or a readable file */
extern const struct value_type value_wire;	/* non-empty printable ASCII */
extern const struct value_type value_api_header;	/* "" or "Name: value" */
extern const struct value_type value_strings;	/* list of words */
extern const struct value_type value_formats;	/* list of format names */
extern const struct value_type value_pattern;	/* repeatable PCRE2 */
extern const struct value_type value_duration;	/* N, Ns, Nm, Nh, Nd */
extern const struct value_type value_duration_ms;	/* Nms or a duration; min, max in ms */
extern const struct value_type value_number;	/* decimal, min..max */
extern const struct value_type value_threshold;	/* 0 = off, or min..max */
extern const struct value_type value_mode;	/* octal, min..max */
extern const struct value_type value_choice;	/* one of k->choices */
extern const struct value_type value_endpoints;	/* unix:/inet: list */
extern const struct value_type value_networks;	/* CIDR list; "/FILE" entries
						 * name files of networks */

/* helpers shared by the value kinds */
#define QUOTE_MAX 84		/* escaped input text shown in a message */
typedef int add_word_fn(const char *word, void *list, char *msg, size_t msgsize);

/* value_say - format MSG; returns -1 so a parser can "return value_say()" */
int value_say(char *msg, size_t msgsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* value_shown - VALUE escaped (log_escape) and bounded, for a message */
const char *value_shown(const char *value, char buf[QUOTE_MAX]);
/* value_grow - make room for element N of an array grown by doubling */
void *value_grow(void *v, size_t n, size_t elemsize);
/* value_parse_unsigned - digits of BASE only (no sign, no blanks), no overflow */
int value_parse_unsigned(const char *text, unsigned base, unsigned *out);
/* value_for_each_word - ADD each run of bytes between blanks and commas */
int value_for_each_word(const char *value, add_word_fn *add, void *list,
			char *msg, size_t msgsize);
/* value_parse_list - build a list of SIZE bytes in FIELD from the words of
 * VALUE with ADD; on success the old list is freed with FREE_LIST, on
 * failure the new one is, and FIELD is left as it was */
int value_parse_list(const char *value, add_word_fn *add,
		     void (*free_list)(void *), void *field, size_t size,
		     char *msg, size_t msgsize);
void value_print_key(const struct key_def *k, FILE *out);
void value_print_item(FILE *out, size_t i, const char *text);
void value_print_scalar(const struct key_def *k, const char *text, FILE *out);

#endif
