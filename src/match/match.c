/*
 * match.c - the PCRE2 engine: compiles the built-in formats and custom
 * patterns once (JIT when available), runs them over raw log lines (bytes,
 * NULs allowed) and extracts address, user and time; ties two-line logins
 * by PID in a bounded table and names a session by its id and its user
 * (the sink keeps the open ones). A built-in rule runs only on lines with
 * one of its format's program tags (tagset.h) and its literal, each
 * distinct literal searched at most once per line. A line holding its
 * format's address field twice is ambiguous and yields nothing. Never authorizes an address that did not come from the field
 * its format defines; never lets a hostile line crash, hang or grow it
 * without bound.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "formats.h"
#include "litset.h"
#include "log.h"
#include "match.h"
#include "pending.h"
#include "tagset.h"
#include "util.h"

#define MATCH_LIMIT 200000	/* backtracking budget per regex and line */
#define DEPTH_LIMIT 10000
#define JIT_STACK_MIN (32 * 1024)
#define JIT_STACK_MAX (1024 * 1024)
#define TIME_TEXT_MAX 64	/* a stamp at the start is never longer */

struct rule {
	enum match_kind kind;
	uint64_t format_bit;		/* its format's tag bit; 0 = every line */
	int literal;			/* index in matcher.lits, <0 = none */
	int custom;			/* a pattern from the configuration */
	pcre2_code *re;
	int jit_tried;			/* JIT-compiled (or tried) at first use */
	const char *format;		/* table name or "custom" */
	const char *service;		/* when group svc is unset */
	enum rule_step step;
	const char *marker;		/* address field: once per line, or NULL */
	enum session_kind session;	/* of the rule's format */
	int g_ip, g_user, g_svc, g_time;	/* group numbers, <0 = none */
	int g_host, g_pid, g_sid;
	size_t format_end;		/* index after its format's last rule */
};

struct matcher {
	struct rule *v;
	size_t n;
	size_t ncustom;
	struct tagset *tags;		/* program tag -> format bits */
	struct litset *lits;		/* the rules' literals */
	unsigned long long rules_run;	/* regexes tried */
	unsigned long long ambiguous;	/* lines with two address fields */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	struct ratelimit rl_error, rl_ambiguous;
	struct pending_table *pending;	/* (source, host, pid) -> first line */
	enum match_note note;		/* why the last feed returned 0 */
	uint64_t note_formats;		/* the line's formats by tag */
	const char *note_format;
	struct addr note_addr;
};

static int group_number(const pcre2_code *re, const char *name)
{
	return pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
}

/* compile_regex - NULL with a message (without FILE:LINE) in ERR */
static pcre2_code *compile_regex(const char *src, char *err, size_t errsize)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
				       0, &code, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errsize, "pattern error at offset %zu: %s",
			 (size_t)off, (const char *)msg);
	}
	return re;
}

int match_format_known(const char *name)
{
	return strcmp(name, "auto") == 0 || format_find(name) != NULL;
}

int match_check_pattern(const char *pattern, char *err, size_t errsize)
{
	pcre2_code *re = compile_regex(pattern, err, errsize);
	if (re == NULL)
		return -1;
	int ip = group_number(re, "ip");
	pcre2_code_free(re);
	if (ip < 0) {
		snprintf(err, errsize, "pattern has no named group (?<ip>...)");
		return -1;
	}
	return 0;
}

const char *match_format_names(void)
{
	static char *names;

	if (names == NULL) {	/* sized to fit: never truncated */
		size_t size = 1, used = 0;
		for (size_t i = 0; i < format_count; i++)
			size += strlen(format_table[i].name) + 2;
		names = xmalloc(size);
		for (size_t i = 0; i < format_count; i++) {
			if (i > 0)
				used += copy_string(names + used, ", ", size - used);
			used += copy_string(names + used, format_table[i].name,
					    size - used);
		}
		names[used] = '\0';
	}
	return names;
}

/* add_rule - append a compiled rule; its regex is JIT-compiled when a
 * line first reaches it (a log holds one or two of the formats) */
static struct rule *add_rule(struct matcher *m, pcre2_code *re,
			     enum match_kind kind, const char *format,
			     const char *service)
{
	struct rule *r;

	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	r = &m->v[m->n++];
	r->kind = kind;
	r->format_bit = 0;
	r->literal = -1;
	r->custom = 0;
	r->re = re;
	r->jit_tried = 0;
	r->format = format;
	r->service = service;
	r->g_ip = group_number(re, "ip");
	r->g_user = group_number(re, "user");
	r->g_svc = group_number(re, "svc");
	r->g_time = group_number(re, "time");
	r->g_host = group_number(re, "host");
	r->g_pid = group_number(re, "pid");
	r->g_sid = group_number(re, "sid");
	r->step = STEP_LINE;
	r->marker = NULL;
	r->session = SESSION_NONE;
	return r;
}

/* add_format_tags - F's tags into the tag set, for format bit BIT */
static int add_format_tags(struct matcher *m, const struct format_def *f,
			   uint64_t bit, char *err, size_t errsize)
{
	const char *p = f->tags ? f->tags : "";

	if (*p == '\0' && !f->dated) {	/* no line would ever reach it */
		snprintf(err, errsize, "built-in format %s: no program tags", f->name);
		return -1;
	}
	if (f->dated)
		tagset_add_dated(m->tags, bit);
	while (*p != '\0') {
		size_t n = strcspn(p, " ");
		if (n > 0 && tagset_add(m->tags, p, n, bit) < 0) {
			snprintf(err, errsize, "built-in format %s: bad tag \"%.*s\"",
				 f->name, (int)n, p);
			return -1;
		}
		p += n + (p[n] == ' ');
	}
	return 0;
}

static int add_format(struct matcher *m, const struct format_def *f,
		      char *err, size_t errsize)
{
	size_t index = (size_t)(f - format_table);
	uint64_t bit;

	if (index >= FORMATS_MAX) {
		snprintf(err, errsize, "built-in format %s: more than %d formats",
			 f->name, FORMATS_MAX);
		return -1;
	}
	bit = (uint64_t)1 << index;
	if (add_format_tags(m, f, bit, err, errsize) < 0)
		return -1;
	for (size_t i = 0; i < FORMAT_RULES_MAX && f->rules[i].re != NULL; i++) {
		const struct format_rule *fr = &f->rules[i];
		char msg[300];
		pcre2_code *re = compile_regex(fr->re, msg, sizeof(msg));
		if (re == NULL) {	/* a bug in the table: say which */
			snprintf(err, errsize, "built-in format %s: %s", f->name, msg);
			return -1;
		}
		struct rule *r = add_rule(m, re, fr->kind, f->name, fr->service);
		r->format_bit = bit;
		r->literal = fr->prefilter != NULL && fr->prefilter[0] != '\0' ?
		    litset_add(m->lits, fr->prefilter) : -1;
		r->step = fr->step;
		r->marker = fr->marker;
		r->session = f->session;
	}
	return 0;
}

static int add_formats(struct matcher *m, const struct config *cfg,
		       char *err, size_t errsize)
{
	const struct string_list *names = &cfg->log_formats;
	int all = names->n == 0;

	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i], "auto") == 0)
			all = 1;
	if (all) {
		for (size_t i = 0; i < format_count; i++)
			if (add_format(m, &format_table[i], err, errsize) < 0)
				return -1;
		return 0;
	}
	for (size_t i = 0; i < names->n; i++) {
		const struct format_def *f = format_find(names->v[i]);
		if (f == NULL) {
			snprintf(err, errsize, "%s: unknown log format \"%s\" (known: %s)",
				 cfg->file ? cfg->file : "config", names->v[i],
				 match_format_names());
			return -1;
		}
		if (add_format(m, f, err, errsize) < 0)
			return -1;
	}
	return 0;
}

static int add_patterns(struct matcher *m, const struct config *cfg,
			char *err, size_t errsize)
{
	for (size_t i = 0; i < cfg->patterns.n; i++) {
		const struct pattern_spec *p = &cfg->patterns.v[i];
		char msg[300];
		pcre2_code *re = NULL;

		if (match_check_pattern(p->text, msg, sizeof(msg)) == 0)
			re = compile_regex(p->text, msg, sizeof(msg));
		if (re == NULL) {
			snprintf(err, errsize, "%s:%u: %s",
				 cfg->file ? cfg->file : "config", p->line, msg);
			return -1;
		}
		add_rule(m, re, MATCH_LOGIN, "custom", "custom")->custom = 1;
		m->ncustom++;
	}
	return 0;
}

/* note_format_ends - each rule's format_end, so that a line skips all
 * the rules of a format it does not concern with one test */
static void note_format_ends(struct matcher *m)
{
	for (size_t i = m->n; i-- > 0;)
		m->v[i].format_end = i + 1 < m->n && !m->v[i + 1].custom &&
		    m->v[i + 1].format_bit == m->v[i].format_bit ?
		    m->v[i + 1].format_end : i + 1;
}

struct matcher *matcher_new(const struct config *cfg, char *err, size_t errsize)
{
	struct matcher *m = xcalloc(1, sizeof(*m));

	m->tags = tagset_new();
	m->lits = litset_new();
	if (add_formats(m, cfg, err, errsize) < 0 ||
	    add_patterns(m, cfg, err, errsize) < 0) {
		matcher_free(m);
		return NULL;
	}
	m->pending = pending_new(MATCH_PENDING_MAX, MATCH_PENDING_TTL);
	m->md = pcre2_match_data_create(16, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	m->jit_stack = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
	if (m->md == NULL || m->mctx == NULL) {
		snprintf(err, errsize, "out of memory for PCRE2 match data");
		matcher_free(m);
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++) {	/* room for the largest pattern */
		uint32_t count;
		pcre2_pattern_info(m->v[i].re, PCRE2_INFO_CAPTURECOUNT, &count);
		if (count + 1 > pcre2_get_ovector_count(m->md)) {
			pcre2_match_data_free(m->md);
			m->md = pcre2_match_data_create(count + 1, NULL);
			if (m->md == NULL) {
				snprintf(err, errsize, "out of memory for PCRE2 match data");
				matcher_free(m);
				return NULL;
			}
		}
	}
	note_format_ends(m);
	pcre2_set_match_limit(m->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, DEPTH_LIMIT);
	if (m->jit_stack != NULL)
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
	return m;
}

void matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		pcre2_code_free(m->v[i].re);
	free(m->v);
	litset_free(m->lits);
	tagset_free(m->tags);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jit_stack);
	pending_free(m->pending);
	free(m);
}

/* group_span - start and length of group G in the last match, 0 if unset */
static int group_span(const struct matcher *m, int g, size_t *start, size_t *len)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);

	if (g < 0 || (uint32_t)g >= pcre2_get_ovector_count(m->md) ||
	    ov[2 * g] == PCRE2_UNSET)
		return 0;
	*start = ov[2 * g];
	*len = ov[2 * g + 1] - ov[2 * g];
	return 1;
}

/* parse_client_addr - address text as a server writes it: "[...]" is
 * stripped; a zone id ("fe80::1%eth0") is rejected, since the MTA never
 * sees one; ::ffff:a.b.c.d becomes the IPv4 key (addr_parse) */
static int parse_client_addr(const char *text, size_t len, struct addr *out)
{
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	if (len == 0 || len >= ADDR_TEXT_MAX || memchr(text, '%', len) != NULL)
		return -1;
	return addr_parse(text, len, out);
}

static int is_word_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

void match_copy_text(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
}

/* set_service - "pop3"/"imap" from the tag text (any case), else the
 * text itself */
static void set_service(char *dst, const char *text, size_t len)
{
	char low[RECORD_SERVICE_MAX];
	size_t n = len < sizeof(low) - 1 ? len : sizeof(low) - 1;

	for (size_t i = 0; i < n; i++)
		low[i] = (text[i] >= 'A' && text[i] <= 'Z') ? (char)(text[i] + 32) : text[i];
	if (memmem(low, n, "pop", 3) != NULL)
		copy_string(dst, "pop3", RECORD_SERVICE_MAX);
	else if (memmem(low, n, "imap", 4) != NULL)
		copy_string(dst, "imap", RECORD_SERVICE_MAX);
	else
		match_copy_text(dst, RECORD_SERVICE_MAX, text, len);
}

/* fill_fields - everything of *R but the address, from the last match */
static void fill_fields(const struct matcher *m, const struct rule *rule,
			const char *line, size_t len, struct match_result *r)
{
	size_t s, n;

	r->kind = rule->kind;
	r->format = rule->format;
	r->has_addr = 1;
	r->session = 0;
	r->session_key_len = 0;
	r->session_alias_len = 0;
	r->user[0] = '\0';
	if (group_span(m, rule->g_user, &s, &n))
		match_copy_text(r->user, sizeof(r->user), line + s, n);
	r->service[0] = '\0';
	if (group_span(m, rule->g_svc, &s, &n))
		set_service(r->service, line + s, n);
	else if (rule->service != NULL)
		copy_string(r->service, rule->service, sizeof(r->service));
	if (rule->g_time >= 0) {	/* the rule says where its stamp is */
		if (!group_span(m, rule->g_time, &s, &n))
			s = n = 0;
		r->time_text = line + s;
		r->time_len = n;
	} else if (rule->custom) {	/* custom pattern, no time group */
		r->time_text = line;
		r->time_len = 0;
	} else {
		r->time_text = line;
		r->time_len = len < TIME_TEXT_MAX ? len : TIME_TEXT_MAX;
	}
}

/* line_addr - the address in the line's ip group; 0 if none or invalid */
static int line_addr(const struct matcher *m, const struct rule *rule,
		     const char *line, struct addr *out)
{
	size_t s, n;

	return group_span(m, rule->g_ip, &s, &n) &&
	    parse_client_addr(line + s, n, out) == 0;
}

/* key_part - append group G's text and a NUL separator; -1 if no room */
static int key_part(const struct matcher *m, int g, const char *line,
		    unsigned char *key, size_t *used)
{
	size_t s = 0, n = 0;

	if (g >= 0)
		(void)group_span(m, g, &s, &n);
	if (*used + n + 1 > PENDING_KEY_MAX)
		return -1;
	memcpy(key + *used, line + s, n);
	*used += n;
	key[(*used)++] = '\0';
	return 0;
}

/* state_key - (source, format, host, pid) of the last match as bytes in
 * KEY; 0 if the line has no pid or the key is too long */
static size_t state_key(const struct matcher *m, const struct rule *rule,
			unsigned source, const char *line,
			unsigned char key[PENDING_KEY_MAX])
{
	size_t used = 0, s, n;

	if (!group_span(m, rule->g_pid, &s, &n))
		return 0;
	memcpy(key, &source, sizeof(source));
	used += sizeof(source);
	memcpy(key + used, &rule->format, sizeof(rule->format));
	used += sizeof(rule->format);
	if (key_part(m, rule->g_host, line, key, &used) < 0 ||
	    key_part(m, rule->g_pid, line, key, &used) < 0)
		return 0;
	return used;
}

/* session_key - "sid:" and the line's session id into R: the key the
 * sink keeps an open session under (by no means the line's source, host
 * or pid: the same after a restart, and the same in a report pushed by
 * Dovecot); 0 when the line has none */
static int session_key(const struct matcher *m, const struct rule *rule,
		       const char *line, struct match_result *r)
{
	size_t s, n;

	if (!group_span(m, rule->g_sid, &s, &n) ||
	    n + 4 > sizeof r->session_key)
		return 0;
	memcpy(r->session_key, "sid:", 4);
	memcpy(r->session_key + 4, line + s, n);
	r->session_key_len = n + 4;
	return 1;
}

/* session_alias - "usr:" host NUL service NUL user of the last match
 * into R (the Dovecot login and its 2.2-style logout both carry them;
 * header-less log_path lines have an empty host); 0 when the line lacks
 * the service or user or the alias is too long */
static int session_alias(const struct matcher *m, const struct rule *rule,
			 const char *line, struct match_result *r)
{
	size_t hs = 0, hn = 0, us, un, vn = strlen(r->service);
	unsigned char *p = r->session_alias;

	r->session_alias_len = 0;
	if (rule->g_host >= 0)
		(void)group_span(m, rule->g_host, &hs, &hn);
	if (vn == 0 || !group_span(m, rule->g_user, &us, &un) || un == 0 ||
	    4 + hn + 1 + vn + 1 + un > sizeof r->session_alias)
		return 0;
	memcpy(p, "usr:", 4);
	memcpy(p += 4, line + hs, hn);
	*(p += hn) = '\0';
	memcpy(++p, r->service, vn);
	*(p += vn) = '\0';
	memcpy(++p, line + us, un);
	r->session_alias_len = 4 + hn + 1 + vn + 1 + un;
	return 1;
}

/* line_result - a rule whose line carries the address; a login that
 * logged its session id carries the key of its session */
static int line_result(struct matcher *m, const struct rule *rule,
		       unsigned source, const char *line, size_t len,
		       time_t now, struct match_result *r)
{
	(void)source;
	(void)now;
	if (!line_addr(m, rule, line, &r->addr)) {
		m->note = MATCH_NOTE_BAD_ADDR;
		m->note_format = rule->format;
		return 0;
	}
	fill_fields(m, rule, line, len, r);
	if (rule->kind != MATCH_LOGIN)
		return 1;
	if (rule->session == SESSION_IP)
		r->session = 1;
	else if (rule->session == SESSION_ID &&
		 (r->session = session_key(m, rule, line, r)))
		session_alias(m, rule, line, r);
	return 1;
}

#define STATE_NOT_MINE 2	/* a confirming line without a first line */

/* the pending entry of a first line that gave no address, or of a
 * session that failed: "::", never a client's address */
static const struct addr tombstone;

/* state_result - a rule of a multi-line format: the address comes from
 * the table, filled by an earlier line of the same file and process; 1
 * hit, 0 nothing, STATE_NOT_MINE when a later rule may take the line */
static int state_result(struct matcher *m, const struct rule *rule,
			unsigned source, const char *line, size_t len,
			time_t now, struct match_result *r)
{
	unsigned char key[PENDING_KEY_MAX];
	size_t klen;
	struct addr addr;

	m->note_format = rule->format;
	m->note = MATCH_NOTE_BAD_ADDR;
	if (rule->step == STEP_CLOSE || rule->step == STEP_CLOSE_USER) {
		fill_fields(m, rule, line, len, r);	/* the sink knows */
		memset(&r->addr, 0, sizeof r->addr);	/* the address */
		r->has_addr = 0;
		return rule->step == STEP_CLOSE ? session_key(m, rule, line, r) :
		    session_alias(m, rule, line, r);
	}
	klen = state_key(m, rule, source, line, key);
	if (klen == 0)
		return 0;
	switch (rule->step) {
	case STEP_OPEN:		/* a reused PID replaces the old entry; a
				 * first line without an address leaves a
				 * tombstone: its login confirms nothing */
		if (!line_addr(m, rule, line, &addr))
			addr = tombstone;
		else
			m->note = MATCH_NOTE_PENDING;
		m->note_addr = addr;
		(void)pending_put(m->pending, key, klen, &addr, now);
		return 0;
	case STEP_DISCARD:	/* and the login line that may follow */
		(void)pending_put(m->pending, key, klen, &tombstone, now);
		m->note = MATCH_NOTE_DISCARDED;
		return 0;
	case STEP_CONFIRM:	/* no first line: maybe a one-line login */
		m->note = MATCH_NOTE_NO_FIRST;
		if (!pending_take(m->pending, key, klen, now, &addr))
			return STATE_NOT_MINE;
		if (memcmp(&addr, &tombstone, sizeof addr) == 0) {
			m->note = MATCH_NOTE_CANCELLED;
			return 0;
		}
		break;
	default:
		return 0;
	}
	fill_fields(m, rule, line, len, r);
	r->addr = addr;
	m->note = MATCH_NOTE_NONE;
	return 1;
}

static int run_rule(struct matcher *m, struct rule *rule, const char *line,
		    size_t len)
{
	int rc;

	if (!rule->jit_tried) {	/* the interpreter when JIT fails */
		(void)pcre2_jit_compile(rule->re, PCRE2_JIT_COMPLETE);
		rule->jit_tried = 1;
	}
	rc = pcre2_match(rule->re, (PCRE2_SPTR)line, len, 0, 0, m->md, m->mctx);

	m->rules_run++;
	if (rc >= 0)
		return 1;
	if (rc != PCRE2_ERROR_NOMATCH)
		log_limited(&m->rl_error, LOG_WARNING,
			    "format %s: line of %zu bytes not matched (PCRE2 error %d)",
			    rule->format, len, rc);
	return 0;
}

/* marker_count - how many times MARKER stands in LINE where a field
 * starts (an alphanumeric marker not right after a letter, digit or '_'),
 * counting at most 2 */
static int marker_count(const char *line, size_t len, const char *marker)
{
	size_t n = strlen(marker), pos = 0;
	int count = 0, word = is_word_byte(marker[0]);
	const char *p;

	while (count < 2 && pos < len &&
	       (p = memmem(line + pos, len - pos, marker, n)) != NULL) {
		size_t at = (size_t)(p - line);
		if (!word || at == 0 || !is_word_byte(line[at - 1]))
			count++;
		pos = at + 1;
	}
	return count;
}

/* ambiguous - the line RULE matched holds its address field twice: no
 * reading of it can be trusted; counted and logged */
static int ambiguous(struct matcher *m, const struct rule *rule,
		     const char *line, size_t len)
{
	if (rule->marker == NULL || marker_count(line, len, rule->marker) < 2)
		return 0;
	m->ambiguous++;
	counters_inc(COUNTER_LINES_AMBIGUOUS);
	log_limited(&m->rl_ambiguous, LOG_WARNING, "format %s: line of %zu "
		    "bytes holds \"%s\" twice: ambiguous, nothing recorded",
		    rule->format, len, rule->marker);
	return 1;
}

int matcher_feed(struct matcher *m, unsigned source, const char *line,
		 size_t len, time_t now, struct match_result *r)
{
	uint64_t formats;

	if (line == NULL)
		line = "";
	formats = tagset_line(m->tags, line, len);
	m->note = formats == 0 ? MATCH_NOTE_NO_TAG : MATCH_NOTE_UNMATCHED;
	m->note_format = NULL;
	m->note_formats = formats;
	if (formats == 0 && m->ncustom == 0)
		return 0;	/* no format's tag: no rule can match */
	litset_next_line(m->lits);
	for (size_t i = 0; i < m->n; i++) {
		struct rule *rule = &m->v[i];

		if ((rule->format_bit & formats) == 0 && !rule->custom) {
			i = rule->format_end - 1;	/* and the rest of it */
			continue;
		}
		if (rule->literal >= 0 && !litset_has(m->lits, rule->literal, line, len))
			continue;
		if (!run_rule(m, rule, line, len))
			continue;
		if (rule->step != STEP_LINE) {
			/* the line is this rule's; a confirming line with no
			 * first line waiting may still be a one-line login */
			int hit = state_result(m, rule, source, line, len, now, r);
			if (hit != STATE_NOT_MINE)
				return hit;
			continue;
		}
		if (ambiguous(m, rule, line, len)) {
			m->note = MATCH_NOTE_AMBIGUOUS;
			m->note_format = rule->format;
			return 0;
		}
		if (line_result(m, rule, source, line, len, now, r)) {
			m->note = MATCH_NOTE_NONE;
			return 1;
		}
	}
	return 0;
}

enum match_note matcher_note(const struct matcher *m, const char **format,
			     struct addr *addr)
{
	if (format != NULL)	/* unmatched: the first format by its tag */
		*format = m->note_format != NULL || m->note_formats == 0 ?
		    m->note_format :
		    format_table[__builtin_ctzll(m->note_formats)].name;
	if (addr != NULL && m->note == MATCH_NOTE_PENDING)
		*addr = m->note_addr;
	return m->note;
}

int matcher_match(struct matcher *m, const char *line, size_t len,
		  struct match_result *r)
{
	return matcher_feed(m, 0, line, len, clock_now(), r);
}

size_t matcher_pending(const struct matcher *m)
{
	return pending_count(m->pending);
}

unsigned long long matcher_rules_run(const struct matcher *m)
{
	return m->rules_run;
}

unsigned long long matcher_ambiguous(const struct matcher *m)
{
	return m->ambiguous;
}
