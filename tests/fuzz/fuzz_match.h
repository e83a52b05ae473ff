/*
 * fuzz_match.h - what every match result must satisfy, shared by the
 * matcher harnesses (fuzz_match.c, fuzz_pattern.c): the address is text
 * of the input (a logout may have a session key or alias from the line
 * instead), user and service are printable, the time stamp lies in
 * the line and time_parse reads it without running past it.
 */
#ifndef POPGATE_FUZZ_MATCH_H
#define POPGATE_FUZZ_MATCH_H

#include "fuzz.h"
#include "match.h"
#include "timeparse.h"

#define FUZZ_ADDR_TEXT_LONGEST 45	/* INET6_ADDRSTRLEN - 1 */

static inline int fuzz_addr_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* fuzz_text_has_addr - some piece of TEXT is the text of A (any spelling) */
static inline int fuzz_text_has_addr(const char *text, size_t len,
				     const struct addr *a)
{
	char shown[ADDR_TEXT_MAX];
	size_t i, j;
	struct addr b;

	addr_format(a, shown, sizeof shown);
	if (memmem(text, len, shown, strlen(shown)) != NULL)
		return 1;
	for (i = 0; i < len; i++)
		for (j = i; j < len && j - i < FUZZ_ADDR_TEXT_LONGEST &&
		     fuzz_addr_char(text[j]); j++)
			if (addr_parse(text + i, j - i + 1, &b) == 0 &&
			    fuzz_same_addr(a, &b))
				return 1;
	return 0;
}

/* fuzz_printable - TEXT (SIZE bytes) is terminated printable ASCII */
static inline int fuzz_printable(const char *text, size_t size)
{
	size_t i;

	for (i = 0; i < size && text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
			return 0;
	return i < size;
}

/* fuzz_alias_from_line - R's session alias, if any, is "usr:" HOST NUL
 * SERVICE NUL USER with HOST and USER text of LINE and SERVICE R's */
static inline int fuzz_alias_from_line(const char *line, size_t len,
				       const struct match_result *r)
{
	const unsigned char *a = r->session_alias, *end, *host, *svc, *user;

	if (r->session_alias_len == 0)
		return 1;
	if (r->session_alias_len > sizeof r->session_alias ||
	    r->session_alias_len < 4 || memcmp(a, "usr:", 4) != 0)
		return 0;
	end = a + r->session_alias_len;
	host = a + 4;
	if ((svc = memchr(host, '\0', (size_t)(end - host))) == NULL)
		return 0;
	svc++;
	if ((user = memchr(svc, '\0', (size_t)(end - svc))) == NULL)
		return 0;
	user++;
	return (size_t)(user - 1 - svc) == strlen(r->service) &&
	    memcmp(svc, r->service, strlen(r->service)) == 0 &&
	    (svc - 1 == host ||
	     memmem(line, len, host, (size_t)(svc - 1 - host)) != NULL) &&
	    user < end && memmem(line, len, user, (size_t)(end - user)) != NULL;
}

/* fuzz_check_session - R's session key and alias came from LINE */
static inline void fuzz_check_session(const char *line, size_t len,
				      const struct match_result *r)
{
	if (r->session_key_len > sizeof r->session_key ||
	    (r->session_key_len > 4 &&
	     memmem(line, len, r->session_key + 4,
		    r->session_key_len - 4) == NULL))
		fuzz_bug("format %s gave a session key not in the line",
			 r->format);
	if (!fuzz_alias_from_line(line, len, r))
		fuzz_bug("format %s gave a session alias not from the line",
			 r->format);
}

/* fuzz_check_match - R came from LINE[0..LEN), a line of INPUT[0..SIZE) */
static inline void fuzz_check_match(const char *line, size_t len,
				    const char *input, size_t size,
				    const struct match_result *r)
{
	char shown[ADDR_TEXT_MAX];
	time_t t;

	if (r->format == NULL || !fuzz_printable(r->service, sizeof r->service) ||
	    !fuzz_printable(r->user, sizeof r->user))
		fuzz_bug("match result without format or with raw text");
	if (r->time_len > 0 && (r->time_text < line ||
				r->time_text + r->time_len > line + len))
		fuzz_bug("match time stamp outside the line");
	if (r->time_len > 0)
		(void)time_parse(r->time_text, r->time_len, FUZZ_CLOCK, &t);
	fuzz_check_session(line, len, r);
	if (!r->has_addr) {	/* a logout known by its session key or alias */
		if (r->kind != MATCH_LOGOUT ||
		    (r->session_key_len == 0 && r->session_alias_len == 0))
			fuzz_bug("format %s gave neither address nor session",
				 r->format);
		return;
	}
	if (!fuzz_text_has_addr(input, size, &r->addr)) {
		addr_format(&r->addr, shown, sizeof shown);
		fuzz_bug("format %s gave %s, not in the input", r->format, shown);
	}
}

#endif
