/*
 * batch.c - an in-memory list of database changes that store_apply()
 * commits in one write transaction. It never touches the database and
 * owns copies of every name and byte string it is given.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

void batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
}

static void free_op(struct batch_op *op)
{
	free(op->name);
	free(op->bytes);
}

void batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free_op(&b->ops[i]);
	b->n = 0;
	b->logins = 0;
}

void batch_free(struct batch *b)
{
	batch_clear(b);
	free(b->ops);
	batch_init(b);
}

/* new_op - append a zeroed op of KIND */
static struct batch_op *new_op(struct batch *b, enum batch_op_kind kind)
{
	struct batch_op *op;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->ops = xrealloc(b->ops, b->cap * sizeof(*b->ops));
	}
	op = &b->ops[b->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

void batch_login(struct batch *b, const struct addr *a, time_t t,
		 const char *service, const char *user)
{
	struct batch_op *op = new_op(b, BATCH_LOGIN);

	op->addr = *a;
	op->time = t;
	copy_string(op->service, service ? service : "", RECORD_SERVICE_MAX);
	copy_string(op->user, user ? user : "", RECORD_USER_MAX);
	b->logins++;
}

void batch_remove(struct batch *b, const struct addr *a)
{
	new_op(b, BATCH_REMOVE)->addr = *a;
}

void batch_session(struct batch *b, const struct addr *a, time_t t, int open)
{
	struct batch_op *op = new_op(b, open ? BATCH_SESSION_OPEN :
				     BATCH_SESSION_CLOSE);

	op->addr = *a;
	op->time = t;
}

void batch_session_key(struct batch *b, const void *key, size_t klen,
		       const void *alias, size_t alen, const struct addr *a,
		       time_t t, int open, size_t cap)
{
	struct batch_op *op = new_op(b, open ? BATCH_SESSION_KEY_OPEN :
				     BATCH_SESSION_KEY_CLOSE);

	if (a != NULL)
		op->addr = *a;
	op->time = t;
	op->value = cap;
	op->bytes = xmalloc(klen + alen ? klen + alen : 1);
	if (klen)
		memcpy(op->bytes, key, klen);
	if (alen)
		memcpy((char *)op->bytes + klen, alias, alen);
	op->nbytes = klen + alen;
	op->nalias = alen;
}

void batch_put_position(struct batch *b, const char *name,
			const struct position *p)
{
	struct batch_op *op = new_op(b, BATCH_PUT_POSITION);

	op->name = xstrdup(name);
	op->bytes = xmalloc(sizeof *p);	/* not in every op: few have one */
	memcpy(op->bytes, p, sizeof *p);
	op->nbytes = sizeof *p;
}

void batch_del_position(struct batch *b, const char *name)
{
	new_op(b, BATCH_DEL_POSITION)->name = xstrdup(name);
}

void batch_counter_add(struct batch *b, const char *name, uint64_t delta)
{
	struct batch_op *op = new_op(b, BATCH_COUNTER_ADD);

	op->name = xstrdup(name);
	op->value = delta;
}

void batch_set_params(struct batch *b, const struct store_params *p)
{
	new_op(b, BATCH_SET_PARAMS)->params = *p;
}

void batch_put_meta(struct batch *b, const char *name, const void *bytes,
		    size_t n)
{
	struct batch_op *op = new_op(b, BATCH_PUT_META);

	op->name = xstrdup(name);
	op->bytes = xmalloc(n);
	if (n)
		memcpy(op->bytes, bytes, n);
	op->nbytes = n;
}
