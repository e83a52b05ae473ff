/*
 * config_value.c - the kinds of value a popgate.conf key holds: how each
 * is parsed (strictly: no trailing bytes, no silent clamping), printed
 * back in a form that parses to the same setting, and freed. Never
 * copies unbounded or unescaped input text into an error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_value.h"
#include "log.h"
#include "match.h"
#include "util.h"

int value_say(char *msg, size_t msgsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msgsize, fmt, ap);
	va_end(ap);
	return -1;
}

/* value_shown - VALUE escaped and bounded for a message */
const char *value_shown(const char *value, char buf[QUOTE_MAX])
{
	return log_escape(buf, QUOTE_MAX, value, strlen(value));
}

/* value_grow - room for element N of an array that grows by doubling */
void *value_grow(void *v, size_t n, size_t elemsize)
{
	if (n == 0 || (n & (n - 1)) == 0)
		v = xrealloc(v, (n ? 2 * n : 1) * elemsize);
	return v;
}

/* value_parse_unsigned - digits of BASE only, no sign, no blanks, no overflow */
int value_parse_unsigned(const char *text, unsigned base, unsigned *out)
{
	unsigned long long value = 0;
	const char *p;

	if (*text == '\0')
		return -1;
	for (p = text; *p; p++) {
		if (*p < '0' || *p >= (char)('0' + base))
			return -1;
		value = value * base + (unsigned)(*p - '0');
		if (value > UINT_MAX)
			return -1;
	}
	*out = (unsigned)value;
	return 0;
}

void value_print_key(const struct key_def *k, FILE *out)
{
	fputs(k->name, out);
	fputs(" =", out);
}

/* value_print_item - " text" for the first item of a line, ", text" after */
void value_print_item(FILE *out, size_t i, const char *text)
{
	fputs(i ? ", " : " ", out);
	fputs(text, out);
}

void value_print_scalar(const struct key_def *k, const char *text, FILE *out)
{
	value_print_key(k, out);
	if (*text)
		value_print_item(out, 0, text);
	fputc('\n', out);
}

/* ---- strings ---- */

static int parse_string(const struct key_def *k, const char *value,
			unsigned line, void *field, char *msg, size_t msgsize)
{
	char **p = field;

	(void)line;
	if (strlen(value) < k->min)
		return value_say(msg, msgsize, "must not be empty");
	free(*p);
	*p = xstrdup(value);
	return 0;
}

static int parse_wire(const struct key_def *k, const char *value,
		      unsigned line, void *field, char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];
	const char *c;

	for (c = value; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			break;
	if (*value == '\0' || *c != '\0')
		return value_say(msg, msgsize, "bad value \"%s\" (expected "
				 "non-empty printable ASCII text)",
				 value_shown(value, buf));
	if (k->max > 0 && strlen(value) > k->max)
		return value_say(msg, msgsize, "longer than %u characters",
				 k->max);
	return parse_string(k, value, line, field, msg, msgsize);
}

/* parse_api_header - empty, or "Name: value" as an HTTP header line: a
 * token name, a colon, a non-empty printable value */
static int parse_api_header(const struct key_def *k, const char *value,
			    unsigned line, void *field, char *msg,
			    size_t msgsize)
{
	static const char token[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
	char buf[QUOTE_MAX];
	size_t name = strspn(value, token);
	const char *v = value + name, *c;

	if (*value == '\0')
		return parse_string(k, value, line, field, msg, msgsize);
	if (*v == ':')
		v += 1 + strspn(v + 1, " \t");
	for (c = v; *c >= 0x20 && *c <= 0x7e; c++)
		;
	if (name == 0 || value[name] != ':' || *v == '\0' || *c != '\0')
		return value_say(msg, msgsize, "bad header \"%s\" (expected "
				 "\"Name: value\" as Dovecot's "
				 "auth_policy_server_api_header sends it)",
				 value_shown(value, buf));
	return parse_string(k, value, line, field, msg, msgsize);
}

static void print_string(const struct key_def *k, const void *field, FILE *out)
{
	value_print_scalar(k, *(char *const *)field, out);
}

static void free_string(void *field)
{
	char **p = field;

	free(*p);
	*p = NULL;
}

/* parse_file - a path that must name a readable regular file (or "") */
static int parse_file(const struct key_def *k, const char *value,
		      unsigned line, void *field, char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];
	struct stat st;
	int fd, regular;

	if (*value != '\0') {
		fd = open(value, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return value_say(msg, msgsize, "%s: %s",
					 value_shown(value, buf), strerror(errno));
		regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		close(fd);
		if (!regular)
			return value_say(msg, msgsize, "%s: not a regular file",
					 value_shown(value, buf));
	}
	return parse_string(k, value, line, field, msg, msgsize);
}

const struct value_type value_string = {
	parse_string, print_string, free_string, 0
};
const struct value_type value_file = {
	parse_file, print_string, free_string, 0
};
const struct value_type value_wire = {
	parse_wire, print_string, free_string, 0
};
const struct value_type value_api_header = {
	parse_api_header, print_string, free_string, 0
};

/* ---- lists of words ---- */

/* value_for_each_word - ADD each run of bytes between blanks and commas */
int value_for_each_word(const char *value, add_word_fn *add, void *list,
			 char *msg, size_t msgsize)
{
	static const char separators[] = " \t,";
	const char *p = value;

	while (*(p += strspn(p, separators)) != '\0') {
		size_t len = strcspn(p, separators);
		char *word = xstrndup(p, len);
		int rc = add(word, list, msg, msgsize);

		free(word);
		if (rc != 0)
			return -1;
		p += len;
	}
	return 0;
}

static int add_string(const char *word, void *list, char *msg, size_t msgsize)
{
	struct string_list *l = list;

	(void)msg;
	(void)msgsize;
	l->v = value_grow(l->v, l->n, sizeof *l->v);
	l->v[l->n++] = xstrdup(word);
	return 0;
}

static int add_format(const char *word, void *list, char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];

	if (!match_format_known(word))
		return value_say(msg, msgsize, "unknown format \"%s\" (expected "
				 "auto or built-in formats: %s)",
				 value_shown(word, buf), match_format_names());
	return add_string(word, list, msg, msgsize);
}

static void free_strings(void *field)
{
	struct string_list *l = field;
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

union any_list {
	struct string_list strings;
	struct endpoint_list endpoints;
	struct net_list networks;
};

int value_parse_list(const char *value, add_word_fn *add,
		     void (*free_list)(void *), void *field, size_t size,
		     char *msg, size_t msgsize)
{
	union any_list old;

	memcpy(&old, field, size);
	memset(field, 0, size);
	if (value_for_each_word(value, add, field, msg, msgsize) != 0) {
		free_list(field);
		memcpy(field, &old, size);
		return -1;
	}
	free_list(&old);
	return 0;
}

static int parse_strings(const struct key_def *k, const char *value,
			 unsigned line, void *field, char *msg, size_t msgsize)
{
	(void)k;
	(void)line;
	return value_parse_list(value, add_string, free_strings, field,
				sizeof(struct string_list), msg, msgsize);
}

static int parse_formats(const struct key_def *k, const char *value,
			 unsigned line, void *field, char *msg, size_t msgsize)
{
	(void)k;
	(void)line;
	return value_parse_list(value, add_format, free_strings, field,
				sizeof(struct string_list), msg, msgsize);
}

static void print_strings(const struct key_def *k, const void *field, FILE *out)
{
	const struct string_list *l = field;
	size_t i;

	value_print_key(k, out);
	for (i = 0; i < l->n; i++)
		value_print_item(out, i, l->v[i]);
	fputc('\n', out);
}

static void print_formats(const struct key_def *k, const void *field, FILE *out)
{
	fprintf(out, "# built-in formats: %s\n", match_format_names());
	print_strings(k, field, out);
}

const struct value_type value_strings = {
	parse_strings, print_strings, free_strings, 0
};
const struct value_type value_formats = {
	parse_formats, print_formats, free_strings, 0
};

/* ---- pattern (repeatable) ---- */

static int parse_pattern(const struct key_def *k, const char *value,
			 unsigned line, void *field, char *msg, size_t msgsize)
{
	struct pattern_list *l = field;

	(void)k;
	if (match_check_pattern(value, msg, msgsize) != 0)
		return -1;
	l->v = value_grow(l->v, l->n, sizeof *l->v);
	l->v[l->n].text = xstrdup(value);
	l->v[l->n].line = line;
	l->n++;
	return 0;
}

static void print_patterns(const struct key_def *k, const void *field, FILE *out)
{
	const struct pattern_list *l = field;
	size_t i;

	for (i = 0; i < l->n; i++)
		value_print_scalar(k, l->v[i].text, out);
}

static void free_patterns(void *field)
{
	struct pattern_list *l = field;
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct value_type value_pattern = {
	parse_pattern, print_patterns, free_patterns, 1
};

/* ---- numbers ---- */

static const struct {
	char suffix;
	unsigned seconds;
} duration_units[] = {
	{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};
#define N_UNITS (sizeof duration_units / sizeof duration_units[0])

void format_duration(unsigned seconds, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < N_UNITS; i++) {
		unsigned u = duration_units[i].seconds;

		if (seconds % u == 0 && (seconds > 0 || u == 1)) {
			snprintf(buf, size, "%u%c", seconds / u,
				 duration_units[i].suffix);
			return;
		}
	}
}

/* parse_duration_text - 0 ok, -1 bad syntax, -2 does not fit */
static int parse_duration_text(const char *value, unsigned *out)
{
	size_t digits = strspn(value, "0123456789"), i;
	unsigned long long n = 0, multiplier = 0;

	if (digits == 0)
		return -1;
	if (value[digits] == '\0')
		multiplier = 1;
	for (i = 0; i < N_UNITS && multiplier == 0; i++)
		if (value[digits] == duration_units[i].suffix &&
		    value[digits + 1] == '\0')
			multiplier = duration_units[i].seconds;
	if (multiplier == 0)
		return -1;
	for (i = 0; i < digits; i++) {
		n = n * 10 + (unsigned)(value[i] - '0');
		if (n * multiplier > UINT_MAX)
			return -2;
	}
	*out = (unsigned)(n * multiplier);
	return 0;
}

/* duration_fail - the message for a duration VALUE that parse_duration_text
 * refused (RC -1: syntax, UNITS its suffixes) or that is out of LO..HI */
static int duration_fail(char *msg, size_t msgsize, const char *value, int rc,
			 const char *units, const char *lo, const char *hi)
{
	char buf[QUOTE_MAX];

	if (rc == -1)
		return value_say(msg, msgsize, "bad duration \"%s\" (expected a "
				 "number with an optional %s suffix)",
				 value_shown(value, buf), units);
	return value_say(msg, msgsize, "duration \"%s\" out of range "
			 "(expected %s to %s)", value_shown(value, buf), lo, hi);
}

static int parse_duration(const struct key_def *k, const char *value,
			  unsigned line, void *field, char *msg, size_t msgsize)
{
	char lo[16], hi[16];
	unsigned seconds;
	int rc = parse_duration_text(value, &seconds);

	(void)line;
	format_duration(k->min, lo, sizeof lo);
	format_duration(k->max, hi, sizeof hi);
	if (rc != 0 || seconds < k->min || seconds > k->max)
		return duration_fail(msg, msgsize, value, rc, "s, m, h or d", lo,
				     hi);
	*(unsigned *)field = seconds;
	return 0;
}

static void print_duration(const struct key_def *k, const void *field, FILE *out)
{
	char buf[16];

	format_duration(*(const unsigned *)field, buf, sizeof buf);
	value_print_scalar(k, buf, out);
}

/* format_duration_ms - "200ms", "1s", "2m": the largest exact unit */
static void format_duration_ms(unsigned ms, char *buf, size_t size)
{
	if (ms % 1000 != 0 || ms == 0)
		snprintf(buf, size, "%ums", ms);
	else
		format_duration(ms / 1000, buf, size);
}

/* parse_duration_ms - "N" (seconds), "Nms", or a duration in seconds;
 * k->min and k->max are milliseconds */
static int parse_duration_ms(const struct key_def *k, const char *value,
			     unsigned line, void *field, char *msg,
			     size_t msgsize)
{
	char lo[16], hi[16];
	size_t digits = strspn(value, "0123456789");
	unsigned n = 0;
	int rc = 0;

	(void)line;
	if (digits > 0 && strcmp(value + digits, "ms") == 0) {
		unsigned long long v = 0;

		for (size_t i = 0; i < digits && rc == 0; i++)
			if ((v = v * 10 + (unsigned)(value[i] - '0')) > UINT_MAX)
				rc = -2;
		n = (unsigned)v;
	} else if ((rc = parse_duration_text(value, &n)) == 0) {
		rc = n > UINT_MAX / 1000 ? -2 : 0;
		n *= 1000;
	}
	format_duration_ms(k->min, lo, sizeof lo);
	format_duration_ms(k->max, hi, sizeof hi);
	if (rc != 0 || n < k->min || n > k->max)
		return duration_fail(msg, msgsize, value, rc, "ms, s, m, h or d",
				     lo, hi);
	*(unsigned *)field = n;
	return 0;
}

static void print_duration_ms(const struct key_def *k, const void *field,
			      FILE *out)
{
	char buf[24];

	format_duration_ms(*(const unsigned *)field, buf, sizeof buf);
	value_print_scalar(k, buf, out);
}

static int parse_number(const struct key_def *k, const char *value,
			unsigned line, void *field, char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];
	unsigned n;

	(void)line;
	if (value_parse_unsigned(value, 10, &n) != 0 || n < k->min || n > k->max)
		return value_say(msg, msgsize, "bad number \"%s\" (expected an "
				 "integer from %u to %u)", value_shown(value, buf),
				 k->min, k->max);
	*(unsigned *)field = n;
	return 0;
}

/* parse_threshold - 0 (off) or a number from k->min to k->max */
static int parse_threshold(const struct key_def *k, const char *value,
			   unsigned line, void *field, char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];
	unsigned n;

	(void)line;
	if (value_parse_unsigned(value, 10, &n) != 0 ||
	    (n != 0 && (n < k->min || n > k->max)))
		return value_say(msg, msgsize, "bad number \"%s\" (expected 0 "
				 "for off, or an integer from %u to %u)",
				 value_shown(value, buf), k->min, k->max);
	*(unsigned *)field = n;
	return 0;
}

static void print_number(const struct key_def *k, const void *field, FILE *out)
{
	char buf[16];

	snprintf(buf, sizeof buf, "%u", *(const unsigned *)field);
	value_print_scalar(k, buf, out);
}

static int parse_mode(const struct key_def *k, const char *value,
		      unsigned line, void *field, char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX];
	unsigned n;

	(void)line;
	if (value_parse_unsigned(value, 8, &n) != 0 || n < k->min || n > k->max)
		return value_say(msg, msgsize, "bad mode \"%s\" (expected an octal "
				 "number from %o to 0%o)", value_shown(value, buf),
				 k->min, k->max);
	*(unsigned *)field = n;
	return 0;
}

static void print_mode(const struct key_def *k, const void *field, FILE *out)
{
	char buf[16];

	snprintf(buf, sizeof buf, "%04o", *(const unsigned *)field);
	value_print_scalar(k, buf, out);
}

static void free_nothing(void *field)
{
	(void)field;
}

const struct value_type value_duration = {
	parse_duration, print_duration, free_nothing, 0
};
const struct value_type value_duration_ms = {
	parse_duration_ms, print_duration_ms, free_nothing, 0
};
const struct value_type value_number = {
	parse_number, print_number, free_nothing, 0
};
const struct value_type value_threshold = {
	parse_threshold, print_number, free_nothing, 0
};
const struct value_type value_mode = {
	parse_mode, print_mode, free_nothing, 0
};

/* ---- enums: the index in k->choices is the value ---- */

/* choice_list - "a, b or c" */
static void choice_list(const char *const *choices, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; choices[i] != NULL && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s",
				      i == 0 ? "" : choices[i + 1] ? ", " : " or ",
				      choices[i]);
}

static int parse_choice(const struct key_def *k, const char *value,
			unsigned line, void *field, char *msg, size_t msgsize)
{
	char buf[QUOTE_MAX], expected[128];
	int i;

	(void)line;
	for (i = 0; k->choices[i] != NULL; i++)
		if (strcmp(value, k->choices[i]) == 0) {
			*(int *)field = i;
			return 0;
		}
	choice_list(k->choices, expected, sizeof expected);
	return value_say(msg, msgsize, "bad value \"%s\" (expected %s)",
			 value_shown(value, buf), expected);
}

static void print_choice(const struct key_def *k, const void *field, FILE *out)
{
	value_print_scalar(k, k->choices[*(const int *)field], out);
}

const struct value_type value_choice = {
	parse_choice, print_choice, free_nothing, 0
};
