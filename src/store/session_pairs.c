/*
 * session_pairs.c - the keyed sessions of one batch that open and close
 * inside it. Such a session need not pass through the session table: its
 * login and logout change only its address's record, which saves the
 * table's B-tree writes (three entries in, three out) per session, and
 * a catch-up of a Dovecot log is mostly such sessions. A pair is only
 * proposed where skipping the table cannot change any outcome: no alias
 * close between the two (it could have taken the session: Dovecot 2.2
 * closes by user name), and a close pairs with the key's latest open.
 * The caller uses the pairs only when no open of the batch can find the
 * table full, and takes the table's way when the key is in it already at
 * the open (a replay, or an earlier open of the key in the batch).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_priv.h"
#include "util.h"

/* a key seen opening in this batch: its latest open */
struct open_key {
	size_t op;		/* index of the open, +1; 0: free slot */
	unsigned epoch;		/* alias closes seen before it */
	int pending;		/* not closed yet */
};

static size_t key_len(const struct batch_op *op)
{
	return op->nbytes - op->nalias;
}

static int same_key(const struct batch_op *a, const struct batch_op *b)
{
	return key_len(a) == key_len(b) &&
	       memcmp(a->bytes, b->bytes, key_len(a)) == 0;
}

/* slot_of - the slot of OP's key in V (N slots, a power of 2): its
 * entry, or the free slot where it goes */
static struct open_key *slot_of(struct open_key *v, size_t n,
				const struct batch *b, const struct batch_op *op)
{
	const unsigned char *p = op->bytes;
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (size_t k = 0; k < key_len(op); k++)
		h = (h ^ p[k]) * 16777619u;
	for (i = h & (n - 1); v[i].op != 0; i = (i + 1) & (n - 1))
		if (same_key(&b->ops[v[i].op - 1], op))
			break;
	return &v[i];
}

static void on_open(struct open_key *k, size_t i, unsigned epoch)
{
	k->op = i + 1;
	k->epoch = epoch;
	k->pending = 1;
}

/* on_close - close I of a key last opened as K: paired, or not */
static void on_close(struct open_key *k, size_t i, unsigned epoch,
		     size_t *partner)
{
	if (k->op == 0 || !k->pending)
		return;
	k->pending = 0;
	if (k->epoch != epoch)
		return;
	partner[k->op - 1] = i;
	partner[i] = k->op - 1;
}

size_t *session_pairs(const struct batch *b, size_t opens)
{
	size_t n = 16, *partner = NULL;
	struct open_key *v;
	unsigned epoch = 0;

	while (n < 2 * opens)
		n *= 2;
	v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_op *op = &b->ops[i];

		if (op->kind != BATCH_SESSION_KEY_OPEN &&
		    op->kind != BATCH_SESSION_KEY_CLOSE)
			continue;
		if (key_len(op) == 0) {
			epoch += op->kind == BATCH_SESSION_KEY_CLOSE;
			continue;	/* an alias close, or no key */
		}
		if (partner == NULL) {
			partner = xmalloc(b->n * sizeof *partner);
			for (size_t k = 0; k < b->n; k++)
				partner[k] = SESSION_UNPAIRED;
		}
		if (op->kind == BATCH_SESSION_KEY_OPEN)
			on_open(slot_of(v, n, b, op), i, epoch);
		else
			on_close(slot_of(v, n, b, op), i, epoch, partner);
	}
	free(v);
	return partner;
}
