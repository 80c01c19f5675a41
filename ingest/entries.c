/*
 * ingest/entries.c - the store's marking entries during an ingest run:
 * every distinct (portion kind, ACL label, need-to-know, marking) has a
 * number, and report labels and postings carry it, so that a query decides
 * a portion without reading any ACL label but the entry's.  The run loads
 * the entries once (it holds the store's writer lock, so numbers cannot
 * collide); workers number new ones as they seal reports, and the writer
 * stores each in the batch that first stores a report naming it.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

struct ingest_entries {
	pthread_mutex_t mu;
	uint8_t **bytes;  /* entry id - 1 -> its encoded bytes, NULL for a gap */
	size_t *len;
	uint8_t *stored;  /* in the store, or queued into a batch of this run */
	size_t n, cap;    /* ids 1..n are known */
	uint32_t *slots;  /* id, 0 empty; nslots a power of two */
	size_t nslots;
	size_t count;     /* entries (ids without a gap) */
	uint32_t *aud;    /* entry id - 1 -> its audience (0 for a gap) */
	uint32_t *aslots; /* an audience's id, 0 empty; naslots as nslots */
	size_t naslots;
};

/*
 * An entry's *audience* is the first entry with its ACL label and
 * need-to-know expression (its kind and marking text may differ): every
 * principal may read both or neither, so a posting block keeps their
 * postings in one run (ingest.h).  The bytes that decide it: the label,
 * the expression's length and the expression.
 */
static int
aud_key(const uint8_t *b, size_t len, const uint8_t **k, size_t *kl)
{
	ingest_entry v;

	if (ingest_entry_view(b, len, &v) != 0)
		return -1;
	*k = b + 2;
	*kl = ACL_LABEL_SIZE + 2 + v.ntk_len;
	return 0;
}

static size_t
aud_slot(const ingest_entries *e, const uint8_t *k, size_t kl)
{
	size_t mask = e->naslots - 1, i = lsn_hash32(k, kl) & mask;

	for (; e->aslots[i] != 0; i = (i + 1) & mask) {
		const uint8_t *ok;
		size_t ol;
		uint32_t a = e->aslots[i];
		if (aud_key(e->bytes[a - 1], e->len[a - 1], &ok, &ol) == 0 && ol == kl &&
		    memcmp(ok, k, kl) == 0)
			break;
	}
	return i;
}

/* Set entry id's audience (its bytes are in place); 0 or LSN_EINTERNAL. */
static int
aud_add(ingest_entries *e, uint32_t id)
{
	const uint8_t *k;
	size_t kl, i;

	if (aud_key(e->bytes[id - 1], e->len[id - 1], &k, &kl) != 0) {
		e->aud[id - 1] = id; /* not an entry this build reads: its own */
		return 0;
	}
	if (2 * e->count > e->naslots) { /* audiences are at most entries */
		size_t n = e->naslots ? 2 * e->naslots : 256;
		uint32_t *s = lsn_table_alloc(n, sizeof(*s)), *old = e->aslots;
		if (s == NULL)
			return LSN_EINTERNAL;
		e->aslots = s;
		e->naslots = n;
		for (size_t j = 0; j + 1 < id; j++) {
			const uint8_t *ok;
			size_t ol;
			if (e->aud[j] == j + 1 &&
			    aud_key(e->bytes[j], e->len[j], &ok, &ol) == 0)
				e->aslots[aud_slot(e, ok, ol)] = (uint32_t)(j + 1);
		}
		free(old);
	}
	i = aud_slot(e, k, kl);
	if (e->aslots[i] == 0)
		e->aslots[i] = id;
	e->aud[id - 1] = e->aslots[i];
	return 0;
}

/* The slot of bytes b: where it is, or the empty slot where it would go. */
static size_t
slot_of(const ingest_entries *e, const uint8_t *b, size_t len)
{
	size_t mask = e->nslots - 1, i = lsn_hash32(b, len) & mask;

	while (e->slots[i] != 0 && (e->len[e->slots[i] - 1] != len ||
				       memcmp(e->bytes[e->slots[i] - 1], b, len) != 0))
		i = (i + 1) & mask;
	return i;
}

/* Remember entry id (above every known one) with bytes b (taken over). */
static int
add(ingest_entries *e, uint32_t id, uint8_t *b, size_t len, int stored)
{
	if (id <= e->n)
		return LSN_EINPUT; /* numbers only grow */
	if (id > e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		while (cap < id)
			cap *= 2;
		uint8_t **nb = realloc(e->bytes, cap * sizeof(*nb));
		if (nb == NULL)
			return LSN_EINTERNAL;
		e->bytes = nb;
		size_t *nl = realloc(e->len, cap * sizeof(*nl));
		if (nl == NULL)
			return LSN_EINTERNAL;
		e->len = nl;
		uint8_t *ns = realloc(e->stored, cap);
		if (ns == NULL)
			return LSN_EINTERNAL;
		e->stored = ns;
		uint32_t *na = realloc(e->aud, cap * sizeof(*na));
		if (na == NULL)
			return LSN_EINTERNAL;
		e->aud = na;
		e->cap = cap;
	}
	if (2 * (e->count + 1) > e->nslots) {
		size_t n = e->nslots ? 2 * e->nslots : 256;
		uint32_t *s = lsn_table_alloc(n, sizeof(*s)), *old = e->slots;
		if (s == NULL)
			return LSN_EINTERNAL;
		e->slots = s;
		e->nslots = n;
		for (size_t k = 0; k < e->n; k++)
			if (e->bytes[k] != NULL)
				e->slots[slot_of(e, e->bytes[k], e->len[k])] = (uint32_t)(k + 1);
		free(old);
	}
	for (size_t k = e->n; k + 1 < id; k++) { /* a gap */
		e->bytes[k] = NULL;
		e->len[k] = 0;
		e->stored[k] = 1;
		e->aud[k] = 0;
	}
	e->bytes[id - 1] = b;
	e->len[id - 1] = len;
	e->stored[id - 1] = (uint8_t)stored;
	e->slots[slot_of(e, b, len)] = id;
	e->n = id;
	e->count++;
	return aud_add(e, id);
}

static int
load_one(void *ctx, uint32_t id, const uint8_t *data, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	int rc;

	if (b == NULL)
		return LSN_EINTERNAL;
	memcpy(b, data, len);
	if (id == 0 || (rc = add(ctx, id, b, len, 1)) != 0) {
		free(b);
		return id == 0 ? LSN_EINPUT : rc;
	}
	return 0;
}

int
ingest_index_format_check(store_snap *sn, lsn_err *err)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int ok;

	if (store_postings_batches(sn) <= 1)
		return 0; /* nothing indexed yet */
	if (store_meta_get(sn, "data/index-format", &v, &len, NULL) != 0)
		len = 0;
	ok = len == strlen(INGEST_INDEX_FORMAT) &&
	    memcmp(v, INGEST_INDEX_FORMAT, len) == 0;
	if (!ok) {
		char was[16];
		snprintf(was, sizeof(was), "%.*s", len ? (int)(len < 8 ? len : 8) : 1,
		    len ? (const char *)v : "1");
		free(v);
		return lsn_fail(err, LSN_EINPUT, "this store's search index has layout %s, "
		    "and this liaison reads layout %s: ingest the reports again into a "
		    "new store", was, INGEST_INDEX_FORMAT);
	}
	free(v);
	return 0;
}

void
ingest_entries_free(ingest_entries *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->bytes[i]);
	free(e->bytes);
	free(e->len);
	free(e->stored);
	free(e->slots);
	free(e->aud);
	free(e->aslots);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

int
ingest_entries_load(ingest_entries **out, store *st, lsn_err *err)
{
	ingest_entries *e = calloc(1, sizeof(*e));
	store_snap *sn = NULL;
	int rc;

	*out = NULL;
	if (e == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	pthread_mutex_init(&e->mu, NULL);
	if ((rc = store_snap_begin(st, &sn, err)) == 0) {
		if ((rc = ingest_index_format_check(sn, err)) == 0) {
			rc = store_index_entry_iter(sn, load_one, e, err);
			if (rc == LSN_EINTERNAL)
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			else if (rc == LSN_EINPUT)
				rc = lsn_fail(err, LSN_EINPUT, "the store's marking entries "
				    "cannot be read or are not numbered 1 and up (damaged?)");
		}
		store_snap_end(sn);
	}
	if (rc != 0) {
		ingest_entries_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

int
ingest_entries_number(ingest_entries *e, int kind, const uint8_t *label,
    const char *ntk, size_t ntk_len, const char *mtext, size_t mlen, uint32_t *id,
    lsn_err *err)
{
	/* Most entries are known already: encoded on the stack to be looked
	 * up, copied only when new (a malloc and a free a portion before). */
	uint8_t local[1024], *bytes, *keep;
	size_t len, i;
	int rc;

	if ((rc = ingest_entry_encode(kind, label, ntk, ntk_len, mtext, mlen, local,
		 sizeof(local), &bytes, &len, err)) != 0)
		return rc;
	pthread_mutex_lock(&e->mu);
	if (e->nslots > 0 && e->slots[i = slot_of(e, bytes, len)] != 0) {
		*id = e->slots[i];
	} else if (e->n >= UINT32_MAX - 1) {
		rc = lsn_fail(err, LSN_EINPUT, "the store has too many marking entries");
	} else if ((keep = bytes != local ? bytes : malloc(len)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
	} else {
		if (keep != bytes)
			memcpy(keep, bytes, len);
		*id = (uint32_t)(e->n + 1);
		if (add(e, *id, keep, len, 0) != 0) {
			free(keep);
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		}
		bytes = local; /* kept: not freed below */
	}
	pthread_mutex_unlock(&e->mu);
	if (bytes != local)
		free(bytes);
	return rc;
}

/* Put entry id into b unless it is stored or queued already (locked). */
static int
queue_one(ingest_entries *e, store_batch *b, uint32_t id, lsn_err *err)
{
	int rc = 0;

	if (!e->stored[id - 1] &&
	    (rc = store_batch_put_index_entry(b, id, e->bytes[id - 1], e->len[id - 1],
		 err)) == 0)
		e->stored[id - 1] = 1;
	return rc;
}

int
ingest_entries_queue(ingest_entries *e, store_batch *b, uint32_t id, uint32_t *audience,
    lsn_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&e->mu);
	if (id == 0 || id > e->n || e->bytes[id - 1] == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "internal: a label names marking entry "
		    "%u, which was never numbered", (unsigned)id);
	} else {
		/* The audience's entry is stored too: readers decide a run by
		 * it, and it may have been numbered for a report never
		 * stored. */
		*audience = e->aud[id - 1];
		if ((rc = queue_one(e, b, id, err)) == 0 && *audience != id)
			rc = queue_one(e, b, *audience, err);
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}
