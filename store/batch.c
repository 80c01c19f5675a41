/*
 * store/batch.c - batched writes: sealed in the caller's thread, applied in
 * one LMDB write transaction that grows the map and retries on MDB_MAP_FULL.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

enum op_type { OP_RECORD, OP_DELETE, OP_POSTINGS, OP_PACK, OP_PRINCIPAL, OP_META,
	OP_AUDIT, OP_MERGE };

/*
 * Sealed posting-tree values, key then sealed block, one after another: a
 * batch has tens of thousands (a word's block per batch), and three
 * allocations each cost more than sealing them.  Ciphertext only.  A
 * batch has one of its own; store_blocks are more, filled by any thread.
 */
struct store_blocks {
	store *st;
	struct store__scratch *s; /* held from the first put to clear or free:
	                           * one pool lock a share, not one a block */
	uint8_t *buf;
	size_t len, cap;
	struct blocks_ent { /* for store_batch_add_blocks */
		size_t off, val_len;
		int pack;
	} *ent;
	size_t n, ncap;
	/* The pack being filled (internal.h): plaintext, wiped when sealed. */
	uint8_t *pack;
	size_t pack_len, pack_last; /* its length, where its last term is */
	uint64_t pack_number;       /* its batch */
};

/* Give back the scratch a store_blocks holds. */
static void
blocks_release(store_blocks *bl)
{
	if (bl->s != NULL)
		store__scratch_put(bl->st, bl->s);
	bl->s = NULL;
}

struct op {
	enum op_type type;
	uint8_t *key; /* OP_POSTINGS, OP_PACK: NULL, the key is at src->buf + off */
	size_t key_len;
	uint8_t *val; /* sealed bytes, meta value, or audit plaintext (wiped);
	               * OP_POSTINGS, OP_PACK: NULL, the sealed block or pack
	               * follows its key */
	size_t val_len;
	uint64_t serial;  /* OP_RECORD; OP_AUDIT: time */
	size_t off;       /* OP_POSTINGS, OP_PACK */
	const store_blocks *src; /* OP_POSTINGS, OP_PACK: the batch's own or borrowed */
};

struct store_batch {
	store *st;
	struct op *ops;
	size_t n, cap;
	uint64_t max_serial; /* highest serial handed out by this batch */
	uint64_t number;     /* posting batch number, 0 until one is needed */
	uint64_t merged;     /* the number of a merge it holds, or 0 */
	store_blocks blocks; /* its own sealed blocks */
	store_batch_check_fn check; /* store_batch_check() */
	void *check_ctx;
};

void
store_batch_check(store_batch *b, store_batch_check_fn fn, void *ctx)
{
	b->check = fn;
	b->check_ctx = ctx;
}

int
store_batch_new(store *st, store_batch **out, lsn_err *err)
{
	store_batch *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (b == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	b->st = st;
	b->blocks.st = st;
	*out = b;
	return 0;
}

static void
op_free(struct op *o)
{
	free(o->key);
	if (o->type == OP_AUDIT)
		lsn_wipe_free(o->val, o->val_len);
	else
		free(o->val);
}

static void
batch_clear(store_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		op_free(&b->ops[i]);
	b->n = 0;
	b->max_serial = 0;
	b->number = 0;
	b->merged = 0;
	store_blocks_clear(&b->blocks);
}

void
store_batch_free(store_batch *b)
{
	if (b == NULL)
		return;
	batch_clear(b);
	free(b->ops);
	blocks_release(&b->blocks);
	free(b->blocks.buf);
	free(b);
}

size_t
store_batch_size(const store_batch *b)
{
	return b->n;
}

/* Append an op taking ownership of key and val (freed on failure too). */
static int
push(store_batch *b, enum op_type t, uint8_t *key, size_t key_len, uint8_t *val,
    size_t val_len, uint64_t serial, lsn_err *err)
{
	struct op o = { t, key, key_len, val, val_len, serial, 0, NULL };

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct op *p = realloc(b->ops, cap * sizeof(*p));
		if (p == NULL) {
			op_free(&o);
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		}
		b->ops = p;
		b->cap = cap;
	}
	b->ops[b->n++] = o;
	return 0;
}

static uint8_t *
dup_bytes(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d != NULL && n)
		memcpy(d, p, n);
	return d;
}

static int
check_id(const char *what, const char *id, lsn_err *err)
{
	size_t n = strlen(id);

	if (n == 0 || n > STORE_MAX_ID)
		return lsn_fail(err, LSN_EINPUT, "%s must have 1 to %d bytes", what,
		    STORE_MAX_ID);
	return 0;
}

struct store_sealed {
	uint8_t *id;
	size_t id_len;
	uint8_t *rec;
	size_t rec_len;
	uint64_t serial;
};

void
store_sealed_free(store_sealed *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->rec);
	free(s);
}

uint64_t
store_serial_take(store *st)
{
	uint64_t s;

	/* Serials are never reused, even when a commit fails (DESIGN: a stale
	 * posting must never point at another report). */
	pthread_mutex_lock(&st->pool_lock);
	s = st->next_serial++;
	pthread_mutex_unlock(&st->pool_lock);
	return s;
}

int
store_seal_record(store *st, const char *id, const store_seg *segs, size_t nseg,
    const void *label, size_t label_len, store_sealed **out, uint64_t *serial,
    lsn_err *err)
{
	store_sealed *s;
	int rc;

	*out = NULL;
	if ((rc = check_id("a record id", id, err)) != 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->id = dup_bytes(id, strlen(id))) == NULL) {
		store_sealed_free(s);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	s->id_len = strlen(id);
	s->serial = serial != NULL && *serial != 0 ? *serial : store_serial_take(st);
	rc = store__seal(st, 'r', id, s->id_len, s->serial, label, label_len, segs,
	    nseg, &s->rec, &s->rec_len, err);
	if (rc != 0) {
		store_sealed_free(s);
		return rc;
	}
	if (serial)
		*serial = s->serial;
	*out = s;
	return 0;
}

int
store_batch_put_sealed(store_batch *b, store_sealed *s, lsn_err *err)
{
	int rc = push(b, OP_RECORD, s->id, s->id_len, s->rec, s->rec_len, s->serial, err);

	if (rc == 0 && s->serial > b->max_serial)
		b->max_serial = s->serial;
	/* push() took (or freed) the buffers. */
	free(s);
	return rc;
}

int
store_batch_put_record(store_batch *b, const char *id, const store_seg *segs,
    size_t nseg, const void *label, size_t label_len, uint64_t *serial,
    lsn_err *err)
{
	store_sealed *s = NULL;
	uint64_t taken = 0; /* store_seal_record takes one */
	int rc;

	if ((rc = store_seal_record(b->st, id, segs, nseg, label, label_len, &s,
		 &taken, err)) != 0)
		return rc;
	if (serial != NULL)
		*serial = taken;
	return store_batch_put_sealed(b, s, err);
}

int
store_batch_del_record(store_batch *b, const char *id, lsn_err *err)
{
	uint8_t *key;
	int rc;

	if ((rc = check_id("a record id", id, err)) != 0)
		return rc;
	if ((key = dup_bytes(id, strlen(id))) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	return push(b, OP_DELETE, key, strlen(id), NULL, 0, 0, err);
}

/* Seal block data (a pack: pack 1) under the postings key `key` at the end
 * of bl; *off is where the key is. */
static int
seal_into(store_blocks *bl, const uint8_t key[8 + STORE_BLIND_LEN], const void *data,
    size_t len, const uint32_t *ends, size_t nends, int pack, size_t *off, lsn_err *err)
{
	size_t klen = 8 + STORE_BLIND_LEN, need;
	int rc;

	if (len > STORE_MAX_RECORD || nends > STORE_MAX_RECORD)
		return lsn_fail(err, LSN_EINPUT, "posting block too large");
	need = klen + STORE__BLOCK_SEALED_LEN(len, nends ? nends : 1);
	if (bl->cap - bl->len < need) {
		/* A quarter more than needed, not twice: a set of blocks is
		 * filled again and again (a share of each batch, of each merge
		 * slice), so its buffer soon holds the largest, and sixteen of
		 * them are kept at once (a commit's shares and a merge's). */
		size_t cap = bl->len + need;
		cap += cap / 4;
		cap = cap < (256u << 10) ? 256u << 10 : (cap + 0xffff) & ~(size_t)0xffff;
		uint8_t *p = realloc(bl->buf, cap);
		if (p == NULL)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		bl->buf = p;
		bl->cap = cap;
	}
	memcpy(bl->buf + bl->len, key, klen);
	if (bl->s == NULL && (bl->s = store__scratch_get(bl->st)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	rc = pack ? store__seal_pack(bl->s, key, klen, data, len, bl->buf + bl->len + klen, err) :
		    store__seal_block(bl->s, key, klen, data, len, ends, nends,
			bl->buf + bl->len + klen, err);
	if (rc != 0)
		return rc;
	*off = bl->len;
	bl->len += need;
	return 0;
}

/* Queue the sealed value at src->buf + off (its key first). */
static int
push_block(store_batch *b, const store_blocks *src, size_t off, size_t val_len, int pack,
    lsn_err *err)
{
	int rc = push(b, pack ? OP_PACK : OP_POSTINGS, NULL, 8 + STORE_BLIND_LEN, NULL, val_len, 0,
	    err);

	if (rc != 0)
		return rc;
	b->ops[b->n - 1].off = off;
	b->ops[b->n - 1].src = src;
	return 0;
}

/* Seal block data under the postings key `key` into the batch's blocks
 * and queue it. */
static int
put_block(store_batch *b, const uint8_t key[8 + STORE_BLIND_LEN], const void *data,
    size_t len, lsn_err *err)
{
	size_t off;
	int rc = seal_into(&b->blocks, key, data, len, NULL, 0, 0, &off, err);

	if (rc != 0)
		return rc;
	return push_block(b, &b->blocks, off, STORE__BLOCK_SEALED_LEN(len, 1), 0, err);
}

store_blocks *
store_blocks_new(store *st)
{
	store_blocks *bl = calloc(1, sizeof(*bl));

	if (bl != NULL)
		bl->st = st;
	return bl;
}

void
store_blocks_clear(store_blocks *bl)
{
	blocks_release(bl);
	if (bl->pack != NULL)
		lsn_wipe(bl->pack, bl->pack_len);
	bl->pack_len = 0;
	bl->len = 0;
	bl->n = 0;
}

void
store_blocks_free(store_blocks *bl)
{
	if (bl == NULL)
		return;
	blocks_release(bl);
	lsn_wipe_free(bl->pack, bl->pack_len);
	free(bl->buf);
	free(bl->ent);
	free(bl);
}

/* Room for one more sealed value in bl's list; 0 or -1. */
static int
ent_room(store_blocks *bl)
{
	if (bl->n == bl->ncap) {
		size_t cap = bl->ncap ? bl->ncap * 2 : 1024;
		struct blocks_ent *p = realloc(bl->ent, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		bl->ent = p;
		bl->ncap = cap;
	}
	return 0;
}

/* Seal the pack being filled, if any, and list it. */
static int
pack_seal(store_blocks *bl, lsn_err *err)
{
	uint8_t key[8 + STORE_BLIND_LEN];
	size_t off, len = bl->pack_len;
	int rc;

	if (len == 0)
		return 0;
	if (ent_room(bl) != 0)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	/* The key: the batch's number and the first term. */
	lsn_put_be64(key, bl->pack_number);
	memcpy(key + 8, bl->pack, STORE_BLIND_LEN);
	rc = seal_into(bl, key, bl->pack, len, NULL, 0, 1, &off, err);
	lsn_wipe(bl->pack, len);
	bl->pack_len = 0;
	if (rc != 0)
		return rc;
	bl->ent[bl->n].off = off;
	bl->ent[bl->n].val_len = STORE__BLOCK_SEALED_LEN(len, 1);
	bl->ent[bl->n].pack = 1;
	bl->n++;
	return 0;
}

/* Add term's small block to the pack being filled, sealing it first when
 * the block is of another batch or slice or would not fit. */
static int
pack_add(store_blocks *bl, uint64_t number, const uint8_t term[STORE_BLIND_LEN],
    const void *block, size_t len, lsn_err *err)
{
	size_t need = STORE__PACK_ENTRY + len;
	uint8_t *p;
	int rc;

	if (bl->pack_len > 0) {
		if (memcmp(bl->pack + bl->pack_last, term, STORE_BLIND_LEN) >= 0 &&
		    bl->pack_number == number)
			return lsn_fail(err, LSN_EINTERNAL, "posting blocks out of term order");
		if ((bl->pack_number != number ||
			bl->pack[0] >> 4 != term[0] >> 4 || bl->pack_len + need > STORE__PACK_MAX) &&
		    (rc = pack_seal(bl, err)) != 0)
			return rc;
	}
	if (bl->pack == NULL && (bl->pack = malloc(STORE__PACK_MAX)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if (bl->pack_len == 0)
		bl->pack_number = number;
	p = bl->pack + bl->pack_len;
	memcpy(p, term, STORE_BLIND_LEN);
	p[STORE_BLIND_LEN] = (uint8_t)(len >> 8);
	p[STORE_BLIND_LEN + 1] = (uint8_t)len;
	memcpy(p + STORE__PACK_ENTRY, block, len);
	bl->pack_last = bl->pack_len;
	bl->pack_len += need;
	return 0;
}

int
store_blocks_put(store_blocks *bl, uint64_t number, const uint8_t term[STORE_BLIND_LEN],
    const void *block, size_t len, const uint32_t *ends, size_t nends, lsn_err *err)
{
	uint8_t key[8 + STORE_BLIND_LEN];
	size_t off;
	int rc;

	if (number == 0)
		return lsn_fail(err, LSN_EINTERNAL, "posting blocks of batch number 0");
	if (len <= STORE__PACK_SMALL && nends <= 1)
		return pack_add(bl, number, term, block, len, err);
	if (ent_room(bl) != 0)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	lsn_put_be64(key, number);
	memcpy(key + 8, term, STORE_BLIND_LEN);
	if ((rc = seal_into(bl, key, block, len, ends, nends, 0, &off, err)) != 0)
		return rc;
	bl->ent[bl->n].off = off;
	bl->ent[bl->n].val_len = STORE__BLOCK_SEALED_LEN(len, nends ? nends : 1);
	bl->ent[bl->n].pack = 0;
	bl->n++;
	return 0;
}

int
store_batch_add_blocks(store_batch *b, store_blocks *bl, lsn_err *err)
{
	int rc;

	if ((rc = pack_seal(bl, err)) != 0)
		return rc;
	if (bl->n > 0 && (lsn_get_be64(bl->buf + bl->ent[0].off) == 0 ||
		(lsn_get_be64(bl->buf + bl->ent[0].off) != b->number &&
		    lsn_get_be64(bl->buf + bl->ent[0].off) != b->merged)))
		return lsn_fail(err, LSN_EINTERNAL, "posting blocks of another batch");
	for (size_t i = 0; i < bl->n && rc == 0; i++)
		rc = push_block(b, bl, bl->ent[i].off, bl->ent[i].val_len, bl->ent[i].pack, err);
	return rc;
}

/* A batch's or a merge's number: like serials, never reused. */
static uint64_t
take_batch_number(store *st)
{
	uint64_t n;

	pthread_mutex_lock(&st->pool_lock);
	n = st->next_batch++;
	pthread_mutex_unlock(&st->pool_lock);
	return n;
}

uint64_t
store_batch_postings_number(store_batch *b)
{
	if (b->number == 0)
		b->number = take_batch_number(b->st);
	return b->number;
}

int
store_batch_put_postings(store_batch *b, const uint8_t term[STORE_BLIND_LEN],
    const void *block, size_t len, lsn_err *err)
{
	uint8_t key[8 + STORE_BLIND_LEN];

	if (b->merged != 0)
		return lsn_fail(err, LSN_EINTERNAL, "a merge's batch holds no blocks of its own");
	lsn_put_be64(key, store_batch_postings_number(b));
	memcpy(key + 8, term, STORE_BLIND_LEN);
	return put_block(b, key, block, len, err);
}

uint64_t
store_merge_number(store *st)
{
	return take_batch_number(st);
}

int
store_batch_merge_slice(store_batch *b, uint64_t *into, unsigned slice, lsn_err *err)
{
	int rc;

	if (slice >= STORE_MERGE_SLICES || b->number != 0 || (b->merged != 0 && b->merged != *into))
		return lsn_fail(err, LSN_EINTERNAL, "a merge slice out of place");
	if (*into == 0) /* a new merge */
		*into = store_merge_number(b->st);
	if ((rc = push(b, OP_MERGE, NULL, 0, NULL, 0, *into, err)) != 0)
		return rc;
	b->ops[b->n - 1].off = slice;
	b->merged = *into;
	return 0;
}

/* The postings key of index entry id: batch 0, the id, zeros. */
void
store__entry_key(uint32_t id, uint8_t key[8 + STORE_BLIND_LEN])
{
	memset(key, 0, 8 + STORE_BLIND_LEN);
	lsn_put_be32(key + 8, id);
}

int
store_batch_put_index_entry(store_batch *b, uint32_t id, const void *data,
    size_t len, lsn_err *err)
{
	uint8_t key[8 + STORE_BLIND_LEN];

	if (id == 0)
		return lsn_fail(err, LSN_EINTERNAL, "index entry 0");
	store__entry_key(id, key);
	return put_block(b, key, data, len, err);
}

uint64_t
store_batch_number(const store_batch *b)
{
	return b->number;
}

int
store_batch_put_index_head(store_batch *b, const void *data, size_t len, lsn_err *err)
{
	uint8_t key[8 + STORE_BLIND_LEN];

	store__entry_key(0, key); /* entry 0: no index entry has it */
	return put_block(b, key, data, len, err);
}

int
store_batch_put_principal(store_batch *b, const char *name, const void *data,
    size_t len, lsn_err *err)
{
	uint8_t *key, *sealed = NULL;
	size_t sealed_len = 0;
	int rc;

	if ((rc = check_id("a principal name", name, err)) != 0)
		return rc;
	rc = store__seal1(b->st, 'p', name, strlen(name), data, len, &sealed,
	    &sealed_len, err);
	if (rc != 0)
		return rc;
	if ((key = dup_bytes(name, strlen(name))) == NULL) {
		free(sealed);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	return push(b, OP_PRINCIPAL, key, strlen(name), sealed, sealed_len, 0, err);
}

int
store_batch_put_meta(store_batch *b, const char *name, const void *value,
    size_t len, lsn_err *err)
{
	/* Names store/ itself keeps are not writable from outside. */
	if (strncmp(name, "data/", 5) != 0 || strlen(name) > STORE_MAX_ID)
		return lsn_fail(err, LSN_EINPUT, "meta names written from outside "
		    "the store start with \"data/\"");
	return store__batch_put_meta_raw(b, name, value, len, err);
}

int
store__batch_put_meta_raw(store_batch *b, const char *name, const void *value,
    size_t len, lsn_err *err)
{
	uint8_t *key, *val;

	key = dup_bytes(name, strlen(name));
	val = dup_bytes(value, len);
	if (key == NULL || val == NULL) {
		free(key);
		free(val);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	return push(b, OP_META, key, strlen(name), val, len, 0, err);
}

int
store_batch_audit(store_batch *b, uint64_t time_us, const void *payload,
    size_t len, lsn_err *err)
{
	uint8_t *val;

	if (len > STORE_MAX_RECORD)
		return lsn_fail(err, LSN_EINPUT, "audit entry too large");
	if ((val = dup_bytes(payload, len)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	return push(b, OP_AUDIT, NULL, 0, val, len, time_us, err);
}

/*
 * Put under a serial.  Serials grow, so the key is normally after every
 * other: append it (no search, and a full page stays full rather than
 * splitting in halves that are never filled again, which left the records'
 * and labels' pages half empty).  A key that is not the last is put the
 * ordinary way; an existing one is refused either way.
 */
static int
put_serial(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags)
{
	int rc = mdb_put(txn, dbi, k, v, flags | MDB_APPEND);

	if (rc != MDB_KEYEXIST)
		return rc;
	return mdb_put(txn, dbi, k, v, flags | MDB_NOOVERWRITE);
}

/*
 * The entries of a slice's recent database (blocks or packs) of batches
 * after `after`: committed beside the merge into `after`, they are not
 * its to empty.  Copied out (sealed: no plaintext) before the database is
 * emptied and put back after, in key order; a few batches' sixteenths of
 * a batch's blocks, where walking the merged ones to delete them one by
 * one would rewrite every leaf they are in.
 */
struct kept {
	uint8_t *buf; /* value length (8), key, value; one after another */
	size_t len, cap;
};

static int
keep_after(MDB_txn *txn, MDB_dbi db, uint64_t after, struct kept *kp)
{
	MDB_cursor *c;
	uint8_t from[8];
	MDB_val k, v;
	int rc;

	lsn_put_be64(from, after + 1);
	if ((rc = mdb_cursor_open(txn, db, &c)) != 0)
		return rc;
	/* Measured, then copied: a few megabytes, allocated once. */
	for (int copy = 0; copy < 2 && rc == 0; copy++) {
		k.mv_size = 8;
		k.mv_data = from;
		for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			size_t need = 8 + k.mv_size + v.mv_size;
			if (k.mv_size != 8 + STORE_BLIND_LEN ||
			    (copy && kp->len + need > kp->cap)) {
				rc = MDB_CORRUPTED;
				break;
			}
			if (copy) {
				lsn_put_be64(kp->buf + kp->len, v.mv_size);
				memcpy(kp->buf + kp->len + 8, k.mv_data, k.mv_size);
				memcpy(kp->buf + kp->len + 8 + k.mv_size, v.mv_data, v.mv_size);
				kp->len += need;
			} else {
				kp->cap += need;
			}
		}
		if (rc == MDB_NOTFOUND)
			rc = 0;
		if (rc == 0 && !copy && kp->cap > 0 && (kp->buf = malloc(kp->cap)) == NULL)
			rc = ENOMEM;
	}
	mdb_cursor_close(c);
	return rc;
}

static int
put_kept(MDB_txn *txn, MDB_dbi db, const struct kept *kp)
{
	int rc = 0;

	for (size_t at = 0; at < kp->len && rc == 0;) {
		MDB_val k = { 8 + STORE_BLIND_LEN, kp->buf + at + 8 };
		MDB_val v = { lsn_get_be64(kp->buf + at), kp->buf + at + 8 + k.mv_size };
		rc = mdb_put(txn, db, &k, &v, MDB_APPEND);
		at += 8 + k.mv_size + v.mv_size;
	}
	return rc;
}

/* Empty db but for its entries of batches after `after`. */
static int
empty_upto(MDB_txn *txn, MDB_dbi db, uint64_t after)
{
	struct kept kp = { 0 };
	int rc;

	if ((rc = keep_after(txn, db, after, &kp)) == 0 &&
	    (rc = mdb_drop(txn, db, 0)) == 0)
		rc = put_kept(txn, db, &kp);
	free(kp.buf);
	return rc;
}

/*
 * OP_MERGE: slice o->off of the term space has been merged into batch
 * o->serial (its blocks are in this batch): its recent database is
 * emptied of the batches before that number, and meta "merging" says so
 * (that number, then the slices done), or after the last slice
 * "merged-upto" moves to it.  Batches after it, committed while the merge
 * went on, stay recent.
 */
static int
merge_slice(store_batch *b, MDB_txn *txn, const struct op *o)
{
	store *st = b->st;
	uint8_t mv[9], mu[8];
	MDB_val mk = { 7, (void *)"merging" }, v = { sizeof(mv), mv };
	MDB_val muk = { 11, (void *)"merged-upto" }, muv = { sizeof(mu), mu };
	int rc;

	/* The slice's merged blocks are emptied (LMDB walks the slice's pages
	 * to free them, a sixteenth of the recent ones). */
	if ((rc = empty_upto(txn, st->recent[o->off], o->serial)) != 0 ||
	    (rc = empty_upto(txn, st->recent_packs[o->off], o->serial)) != 0)
		return rc;
	if (o->off + 1 < STORE_MERGE_SLICES) {
		lsn_put_be64(mv, o->serial);
		mv[8] = (uint8_t)(o->off + 1);
		return mdb_put(txn, st->meta, &mk, &v, 0);
	}
	if ((rc = mdb_del(txn, st->meta, &mk, NULL)) != 0 && rc != MDB_NOTFOUND)
		return rc;
	lsn_put_be64(mu, o->serial);
	return mdb_put(txn, st->meta, &muk, &muv, 0);
}

/* Apply one op in txn.  Returns 0, an LMDB error code, or an lsn_status. */
static int
apply(store_batch *b, MDB_txn *txn, const struct op *o, const uint8_t *digest, lsn_err *err)
{
	store *st = b->st;
	MDB_val k = { o->key_len, o->key }, v = { o->val_len, o->val }, old;
	uint8_t sk[8];
	MDB_val lk = { 8, sk }, lv;
	const uint8_t *label;
	size_t ll;
	int rc;

	switch (o->type) {
	case OP_RECORD:
		/* The id index (id -> serial), then the record under its serial:
		 * serials grow, so records are appended near the tree's right
		 * edge, and ids out of key order touch only the small index. */
		store__map_reads(st, 1);
		lsn_put_be64(sk, o->serial);
		rc = mdb_put(txn, st->reports, &k, &lk, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST)
			return lsn_fail(err, LSN_EEXISTS, "report %.*s already exists",
			    (int)o->key_len, (const char *)o->key);
		if (rc != 0 || (rc = put_serial(txn, st->records, &lk, &v, 0)) != 0)
			return rc;
		/* labels index: serial -> id NUL label, reserved in place. */
		store__peek(o->val, o->val_len, NULL, &label, &ll);
		lv.mv_size = o->key_len + 1 + ll;
		if ((rc = put_serial(txn, st->labels, &lk, &lv, MDB_RESERVE)) != 0)
			return rc;
		memcpy(lv.mv_data, o->key, o->key_len);
		((uint8_t *)lv.mv_data)[o->key_len] = '\0';
		memcpy((uint8_t *)lv.mv_data + o->key_len + 1, label, ll);
		return 0;
	case OP_DELETE:
		rc = mdb_get(txn, st->reports, &k, &old);
		if (rc == MDB_NOTFOUND)
			return 0;
		if (rc != 0)
			return rc;
		if (old.mv_size == 8) {
			memcpy(sk, old.mv_data, 8);
			if ((rc = mdb_del(txn, st->records, &lk, NULL)) != 0 && rc != MDB_NOTFOUND)
				return rc;
			if ((rc = mdb_del(txn, st->labels, &lk, NULL)) != 0 && rc != MDB_NOTFOUND)
				return rc;
		}
		return mdb_del(txn, st->reports, &k, NULL);
	case OP_POSTINGS:
	case OP_PACK:
		k.mv_data = o->src->buf + o->off;
		v.mv_data = o->src->buf + o->off + o->key_len;
		/* Index entries and the head (batch 0) are kept with the merged
		 * blocks; a batch's blocks go with the recent ones, until a merge.
		 * A batch's blocks come in key order after every older key: append
		 * them (no search, and full pages rather than split halves).  A key
		 * that is not the tree's last is put the ordinary way. */
		if (lsn_get_be64(k.mv_data) != 0) {
			MDB_dbi db = lsn_get_be64(k.mv_data) == b->merged ? st->postings :
			    STORE__RECENT(st, (const uint8_t *)k.mv_data + 8);
			if (o->type == OP_PACK)
				db = lsn_get_be64(k.mv_data) == b->merged ? st->packs :
				    STORE__RECENT_PACKS(st, (const uint8_t *)k.mv_data + 8);
			rc = mdb_put(txn, db, &k, &v, MDB_APPEND);
			if (rc != MDB_KEYEXIST)
				return rc;
			/* A batch's own blocks never replace a block: its number
			 * is new.  (A merge's may: a slice redone.) */
			return mdb_put(txn, db, &k, &v,
			    lsn_get_be64(k.mv_data) == b->merged ? 0 : MDB_NOOVERWRITE);
		}
		return mdb_put(txn, st->postings, &k, &v, 0);
	case OP_MERGE:
		return merge_slice(b, txn, o);
	case OP_PRINCIPAL:
		return mdb_put(txn, st->principals, &k, &v, 0);
	case OP_META:
		return mdb_put(txn, st->meta, &k, &v, 0);
	case OP_AUDIT:
		return store__audit_apply(st, txn, o->serial, digest, o->val, o->val_len, err);
	}
	return LSN_EINTERNAL;
}

/* Double the map.  Waits until no transaction of this process is open. */
static int
grow_map(store *st, lsn_err *err)
{
	MDB_envinfo info;
	int rc;

	pthread_rwlock_wrlock(&st->map_lock);
	mdb_env_info(st->env, &info);
	rc = mdb_env_set_mapsize(st->env, info.me_mapsize * 2);
	store__map_moved(st);
	pthread_rwlock_unlock(&st->map_lock);
	if (rc != 0)
		return store__lmdb_err(err, rc, "cannot grow the store's map");
	return 0;
}

int
store_batch_commit(store_batch *b, lsn_err *err)
{
	store *st = b->st;
	MDB_txn *txn = NULL;
	uint8_t ns[8], nb[8];
	MDB_val nk = { 11, (void *)"next-serial" }, nv = { 8, ns };
	MDB_val bk = { 10, (void *)"next-batch" }, bv = { 8, nb };
	int rc;

	pthread_mutex_lock(&st->write_lock);
	for (;;) {
		if ((rc = store__txn_begin(st, 0, &txn, err)) != 0)
			break;
		rc = 0;
		/* A store made before the recent postings had their own
		 * databases gets them with its first batch (their handles last
		 * only if it commits). */
		int opened = !st->have_recent;
		if (opened && (rc = store__open_recent(st, txn, MDB_CREATE)) != 0) {
			st->have_recent = 0;
			store__txn_end(st, txn, 0);
			break;
		}
		if (b->check != NULL) {
			/* The condition, read in this transaction: no other
			 * writer can change it before the commit. */
			struct store_snap sn = { .st = st, .txn = txn };
			if ((rc = b->check(b->check_ctx, &sn, err)) != 0) {
				if (opened)
					st->have_recent = 0;
				store__txn_end(st, txn, 0);
				break;
			}
		}
		/* The audit entries last, each with the digest of the
		 * principals as this commit leaves them (one for the batch). */
		uint8_t digest[STORE_MAC_LEN];
		int audits = 0;
		for (size_t i = 0; i < b->n && rc == 0; i++)
			if (b->ops[i].type == OP_AUDIT)
				audits = 1;
			else
				rc = apply(b, txn, &b->ops[i], NULL, err);
		if (rc == 0 && audits)
			rc = store__principals_digest(st, txn, digest);
		for (size_t i = 0; i < b->n && rc == 0 && audits; i++)
			if (b->ops[i].type == OP_AUDIT)
				rc = apply(b, txn, &b->ops[i], digest, err);
		if (rc == 0 && b->max_serial != 0) {
			MDB_val cur;
			/* next-serial only moves forward. */
			if (mdb_get(txn, st->meta, &nk, &cur) == 0 && cur.mv_size == 8 &&
			    lsn_get_be64(cur.mv_data) > b->max_serial)
				lsn_put_be64(ns, lsn_get_be64(cur.mv_data));
			else
				lsn_put_be64(ns, b->max_serial + 1);
			rc = mdb_put(txn, st->meta, &nk, &nv, 0);
		}
		if (rc == 0 && (b->number != 0 || b->merged != 0)) {
			MDB_val cur;
			uint64_t top = b->merged > b->number ? b->merged : b->number;
			lsn_put_be64(nb, top + 1);
			if (mdb_get(txn, st->meta, &bk, &cur) == 0 && cur.mv_size == 8 &&
			    lsn_get_be64(cur.mv_data) > top)
				memcpy(nb, cur.mv_data, 8);
			rc = mdb_put(txn, st->meta, &bk, &bv, 0);
		}
		if (rc == 0) {
			rc = mdb_txn_commit(txn);
			txn = NULL;
			/* It merged a slice: emptying the slice's recent database
			 * walked every page of it, of no use to anyone now.  It
			 * stored records: what it read (the leaves its keys went
			 * into) the next batch mostly reads again, so it stays
			 * mapped up to the bound (map.c). */
			if (rc == 0 && b->merged != 0)
				store__map_release(st);
			else if (rc == 0 && b->max_serial != 0)
				store__map_check(st);
		}
		if (rc != 0 && opened)
			st->have_recent = 0;
		store__txn_end(st, txn, 0); /* aborts txn if still open */
		txn = NULL;
		if (rc == MDB_MAP_FULL) {
			if ((rc = grow_map(st, err)) != 0)
				break;
			continue;
		}
		/* LMDB's codes (errno values and MDB_*) are outside lsn_status. */
		if (rc != 0 && (rc > 0 || rc < LSN_EEXISTS))
			rc = store__write_err(st, err, rc, "cannot write to the store");
		break;
	}
	pthread_mutex_unlock(&st->write_lock);
	if (rc == 0) {
		/* Only batches that add records can reach the training threshold
		 * (and the dictionary's own batch must not recurse). */
		int added = b->max_serial != 0;
		batch_clear(b);
		if (added)
			store__maybe_train(st);
	}
	return rc;
}
