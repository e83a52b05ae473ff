/*
 * record.c - the on-disk layouts of records, positions and parameters:
 * fixed size, little-endian, version byte first, built and read byte by
 * byte. It must never cast a pointer into database memory, trust a value
 * of the wrong size or an unknown version, or return an unterminated
 * string, whatever bytes the file holds.
 */
#include <string.h>

#include "store.h"
#include "util.h"

/* record layout: version, 3 pad, count, first, last, session_start,
 * open_sessions, service[16], user[64]; version 2 adds flags and
 * SHARED_USERS_MAX (user hash, last login) pairs */
#define REC_COUNT 4
#define REC_FIRST 8
#define REC_LAST 16
#define REC_SESSION_START 24
#define REC_OPEN 32
#define REC_SERVICE 36
#define REC_USER (REC_SERVICE + RECORD_SERVICE_MAX)
#define REC_FLAGS (REC_USER + RECORD_USER_MAX)
#define REC_USERS (REC_FLAGS + 4)
#define POSITION_VERSION 2
#define PARAMS_VERSION 2

typedef char record_layout_fits[REC_FLAGS == RECORD_V1_SIZE &&
				REC_USERS + 16 * SHARED_USERS_MAX ==
				RECORD_VALUE_SIZE ? 1 : -1];

void u64_encode(uint64_t v, unsigned char *buf)
{
	int i;

	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(v >> (8 * i));
}

uint64_t u64_decode(const unsigned char *buf)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | buf[i];
	return v;
}

static void u32_encode(uint32_t v, unsigned char *buf)
{
	int i;

	for (i = 0; i < 4; i++)
		buf[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t u32_decode(const unsigned char *buf)
{
	return (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
	    (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
}

/* copy_field - fixed-size string field into DST, always terminated */
static void copy_field(char *dst, const unsigned char *src, size_t size)
{
	memcpy(dst, src, size);
	dst[size - 1] = '\0';
}

void record_encode(const struct record *r, unsigned char *buf)
{
	memset(buf, 0, RECORD_VALUE_SIZE);
	buf[0] = RECORD_VERSION;
	u32_encode(r->count, buf + REC_COUNT);
	u64_encode((uint64_t)r->first_seen, buf + REC_FIRST);
	u64_encode((uint64_t)r->last_seen, buf + REC_LAST);
	u64_encode((uint64_t)r->session_start, buf + REC_SESSION_START);
	u32_encode(r->open_sessions, buf + REC_OPEN);
	copy_string((char *)buf + REC_SERVICE, r->service, RECORD_SERVICE_MAX);
	copy_string((char *)buf + REC_USER, r->user, RECORD_USER_MAX);
	u32_encode(r->flags, buf + REC_FLAGS);
	for (int i = 0; i < SHARED_USERS_MAX; i++) {
		u64_encode(r->users[i].hash, buf + REC_USERS + 16 * i);
		u64_encode((uint64_t)r->users[i].last, buf + REC_USERS + 16 * i + 8);
	}
}

int record_decode(const void *val, size_t len, struct record *r)
{
	unsigned char buf[RECORD_VALUE_SIZE];

	if (!(len == RECORD_VALUE_SIZE && ((const unsigned char *)val)[0] ==
	      RECORD_VERSION) &&
	    !(len == RECORD_V1_SIZE && ((const unsigned char *)val)[0] == 1))
		return -1;
	memset(buf, 0, sizeof buf);	/* version 1: no flags, no users */
	memcpy(buf, val, len);
	r->count = u32_decode(buf + REC_COUNT);
	r->first_seen = (int64_t)u64_decode(buf + REC_FIRST);
	r->last_seen = (int64_t)u64_decode(buf + REC_LAST);
	r->session_start = (int64_t)u64_decode(buf + REC_SESSION_START);
	r->open_sessions = u32_decode(buf + REC_OPEN);
	copy_field(r->service, buf + REC_SERVICE, RECORD_SERVICE_MAX);
	copy_field(r->user, buf + REC_USER, RECORD_USER_MAX);
	r->flags = u32_decode(buf + REC_FLAGS);
	for (int i = 0; i < SHARED_USERS_MAX; i++) {
		r->users[i].hash = u64_decode(buf + REC_USERS + 16 * i);
		r->users[i].last = (int64_t)u64_decode(buf + REC_USERS + 16 * i + 8);
	}
	return 0;
}

/* position layout: version, 3 pad, fingerprint_len, dev, ino, offset,
 * fingerprint; version 2 adds tail_len, 4 pad, tail_fp, nchecks, 4 pad,
 * saved_at, then POSITION_CHECKS times (end, hash, len). A version 1 value (40
 * bytes) reads with tail_len 0 and no checks */
void position_encode(const struct position *p, unsigned char *buf)
{
	memset(buf, 0, POSITION_VALUE_SIZE);
	buf[0] = POSITION_VERSION;
	u32_encode(p->fingerprint_len, buf + 4);
	u64_encode(p->dev, buf + 8);
	u64_encode(p->ino, buf + 16);
	u64_encode(p->offset, buf + 24);
	u64_encode(p->fingerprint, buf + 32);
	u32_encode(p->tail_len, buf + 40);
	u64_encode(p->tail_fp, buf + 48);
	u32_encode(p->nchecks, buf + 56);
	u64_encode(p->saved_at, buf + 64);
	for (uint32_t i = 0; i < p->nchecks && i < POSITION_CHECKS; i++) {
		unsigned char *c = buf + 72 + 20 * i;

		u64_encode(p->checks[i].end, c);
		u64_encode(p->checks[i].hash, c + 8);
		u32_encode(p->checks[i].len, c + 16);
	}
}

int position_decode(const void *val, size_t len, struct position *p)
{
	unsigned char buf[POSITION_VALUE_SIZE];

	if (len != POSITION_VALUE_SIZE && len != POSITION_V1_SIZE)
		return -1;
	memset(buf, 0, sizeof buf);
	memcpy(buf, val, len);
	if (buf[0] != (len == POSITION_V1_SIZE ? 1 : POSITION_VERSION))
		return -1;
	p->fingerprint_len = u32_decode(buf + 4);
	p->dev = u64_decode(buf + 8);
	p->ino = u64_decode(buf + 16);
	p->offset = u64_decode(buf + 24);
	p->fingerprint = u64_decode(buf + 32);
	p->tail_len = u32_decode(buf + 40);
	p->tail_fp = u64_decode(buf + 48);
	p->nchecks = u32_decode(buf + 56);
	if (p->nchecks > POSITION_CHECKS)
		p->nchecks = POSITION_CHECKS;
	p->saved_at = u64_decode(buf + 64);
	for (uint32_t i = 0; i < p->nchecks; i++) {
		const unsigned char *c = buf + 72 + 20 * i;

		p->checks[i].end = u64_decode(c);
		p->checks[i].hash = u64_decode(c + 8);
		p->checks[i].len = u32_decode(c + 16);
	}
	return 0;
}

/* params layout: version, 3 pad, window, session_max, ipv6_prefix;
 * version 2 adds shared_users */
void params_encode(const struct store_params *p, unsigned char *buf)
{
	memset(buf, 0, PARAMS_VALUE_SIZE);
	buf[0] = PARAMS_VERSION;
	u32_encode(p->window, buf + 4);
	u32_encode(p->session_max, buf + 8);
	u32_encode(p->ipv6_prefix, buf + 12);
	u32_encode(p->shared_users, buf + 16);
}

int params_decode(const void *val, size_t len, struct store_params *p)
{
	unsigned char buf[PARAMS_VALUE_SIZE];
	const unsigned char *v = val;

	if (!(len == PARAMS_VALUE_SIZE && v[0] == PARAMS_VERSION) &&
	    !(len == 16 && v[0] == 1))
		return -1;
	memset(buf, 0, sizeof buf);	/* version 1: no shared_users */
	memcpy(buf, val, len);
	p->window = u32_decode(buf + 4);
	p->session_max = u32_decode(buf + 8);
	p->ipv6_prefix = u32_decode(buf + 12);
	if (p->ipv6_prefix > 128)
		p->ipv6_prefix = 0;
	p->shared_users = u32_decode(buf + 16);
	if (p->shared_users > SHARED_USERS_MAX)
		p->shared_users = 0;
	return 0;
}

/* add_seconds - T + N without overflowing on hostile values */
static int64_t add_seconds(int64_t t, unsigned n)
{
	return t > INT64_MAX - (int64_t)n ? INT64_MAX : t + (int64_t)n;
}

time_t record_expires(const struct record *r, const struct store_params *p)
{
	int64_t until = add_seconds(r->last_seen, p->window);

	if (p->session_max > 0 && r->open_sessions > 0) {
		int64_t session_until = add_seconds(r->session_start,
						    p->session_max);

		if (session_until > until)
			until = session_until;
	}
	return (time_t)until;
}

void record_login(struct record *r, int existed, int64_t t,
		  const char *service, const char *user)
{
	if (!existed) {
		memset(r, 0, sizeof(*r));
		r->first_seen = t;
		r->last_seen = t;
	}
	if (r->count < UINT32_MAX)
		r->count++;
	if (t < r->first_seen)
		r->first_seen = t;
	if (t >= r->last_seen || !existed) {
		r->last_seen = t;
		copy_string(r->service, service ? service : "",
			    RECORD_SERVICE_MAX);
		copy_string(r->user, user ? user : "", RECORD_USER_MAX);
	}
	if (user != NULL && user[0] != '\0')
		record_note_user(r, user, t);
}

void record_session(struct record *r, int64_t t, int open)
{
	if (open) {
		if (r->open_sessions == 0 || r->session_start == 0)
			r->session_start = t;
		if (r->open_sessions < UINT32_MAX)
			r->open_sessions++;
		return;
	}
	if (r->open_sessions == 0)
		return;	/* its login was never counted (e.g. older than the window) */
	r->open_sessions--;
	if (r->open_sessions == 0)
		r->session_start = 0;
	if (t > r->last_seen)
		r->last_seen = t;
}
