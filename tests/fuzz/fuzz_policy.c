/*
 * fuzz_policy.c - libFuzzer harness for the Postfix policy request parser
 * (src/policy.c). Byte 0 picks how the rest is cut into reads; every
 * reported request and every error is checked against a plain reference
 * reading of the bytes. Must never accept a NUL, a line without '=' or an
 * over-long line/request, nor report an error the bytes do not justify.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "policy.h"

#define ADDRESS_NAME "client_address="

struct ref_line {
	const char *text;
	size_t len;
	int complete;		/* ended by '\n' */
};

/* next_line - the line of S[0..N) starting at *POS; 0 when none is left */
static int next_line(const char *s, size_t n, size_t *pos, struct ref_line *l)
{
	const char *nl;

	if (*pos >= n)
		return 0;
	l->text = s + *pos;
	nl = memchr(l->text, '\n', n - *pos);
	l->complete = nl != NULL;
	l->len = nl ? (size_t)(nl - l->text) : n - *pos;
	*pos += l->len + (nl != NULL);
	return 1;
}

/* attribute_problem - why a complete non-empty line is no attribute */
static const char *attribute_problem(const struct ref_line *l)
{
	const char *eq = memchr(l->text, '=', l->len);

	if (memchr(l->text, '\0', l->len) != NULL)
		return "NUL";
	if (l->len > POLICY_LINE_MAX)
		return "line too long";
	if (eq == NULL)
		return "no '='";
	if (eq == l->text)
		return "empty name";
	return NULL;
}

/* check_request - REQ was reported for the bytes S[0..N) */
static void check_request(const char *s, size_t n,
			  const struct policy_request *req)
{
	const char *want = NULL;
	size_t want_len = 0, pos = 0;
	struct ref_line l;

	if (n == 0 || n > POLICY_REQUEST_MAX || s[n - 1] != '\n')
		fuzz_bug("policy request of %zu bytes not ended by a newline", n);
	while (next_line(s, n - 1, &pos, &l)) {
		const char *why = attribute_problem(&l);

		if (why != NULL || !l.complete)
			fuzz_bug("policy request accepted with a bad line: %s",
				 why ? why : "partial");
		if (l.len >= sizeof ADDRESS_NAME - 1 &&
		    memcmp(l.text, ADDRESS_NAME, sizeof ADDRESS_NAME - 1) == 0) {
			want_len = l.len - (sizeof ADDRESS_NAME - 1);
			want = want_len <= POLICY_ADDRESS_MAX ?
			    l.text + sizeof ADDRESS_NAME - 1 : NULL;
		}
	}
	if ((want == NULL) != (req->client_address == NULL))
		fuzz_bug("client_address presence differs from the request");
	if (want != NULL && (req->client_address_len != want_len ||
			     memcmp(req->client_address, want, want_len) != 0 ||
			     req->client_address[want_len] != '\0'))
		fuzz_bug("client_address differs from the last one sent");
}

/* check_error - the parser refused S[0..N) (the current request so far) */
static void check_error(const char *s, size_t n, const struct policy_parser *p)
{
	size_t pos = 0, request = 0;
	struct ref_line l;

	if (p->error == NULL)
		fuzz_bug("POLICY_ERROR without a reason");
	while (next_line(s, n, &pos, &l)) {
		request += l.len + l.complete;
		if (request > POLICY_REQUEST_MAX)
			return;
		if (!l.complete) {
			if (memchr(l.text, '\0', l.len) || l.len > POLICY_LINE_MAX)
				return;
		} else if (l.len == 0) {
			request = 0;
		} else if (attribute_problem(&l) != NULL) {
			return;
		}
	}
	fuzz_bug("policy error \"%s\" on acceptable input", p->error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_parser p;
	const char *s = (const char *)data + 1;
	size_t n, chunk, base = 0, fed = 0, req_start = 0;

	if (size < 1)
		return 0;
	clock_set(FUZZ_CLOCK);
	chunk = data[0] == 0 ? size : data[0];	/* bytes per read */
	n = size - 1;
	policy_init(&p);
	while (fed < n) {
		fed = n - fed < chunk ? n : fed + chunk;
		for (;;) {
			size_t len = fed - base, used = len + 1;
			char *buf = fuzz_copy(s + base, len);
			struct policy_request req;
			enum policy_result r = policy_feed(&p, buf, len, &used, &req);

			free(buf);
			if (r == POLICY_ERROR) {
				check_error(s + req_start, fed - req_start, &p);
				return 0;
			}
			if (used > len || (r == POLICY_REQUEST && used == 0))
				fuzz_bug("policy_feed used %zu of %zu bytes", used, len);
			base += used;
			if (r == POLICY_MORE)
				break;
			check_request(s + req_start, base - req_start, &req);
			req_start = base;
		}
	}
	return 0;
}
