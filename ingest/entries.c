/*
 * ingest/entries.c - the store's marking entries as the ingest writer sees
 * them: every distinct (portion kind, ACL label, need-to-know) triple has
 * a number, and postings carry it, so that a query decides a posting
 * without reading its report's label.  The writer loads the entries once
 * (it holds the store's writer lock, so numbers cannot collide) and adds
 * new ones to the batch that first uses them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

struct ingest_entries {
	uint8_t **bytes;  /* entry id - 1 -> its encoded bytes */
	size_t *len;
	size_t n, cap;
	uint32_t *slots;  /* id, 0 empty; nslots a power of two */
	size_t nslots;
};

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

/* Remember entry id (= e->n + 1) with bytes b (taken over). */
static int
add(ingest_entries *e, uint32_t id, uint8_t *b, size_t len)
{
	if (id != e->n + 1)
		return LSN_EINPUT; /* numbers are dense from 1 */
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		uint8_t **nb = realloc(e->bytes, cap * sizeof(*nb));
		if (nb == NULL)
			return LSN_EINTERNAL;
		e->bytes = nb;
		size_t *nl = realloc(e->len, cap * sizeof(*nl));
		if (nl == NULL)
			return LSN_EINTERNAL;
		e->len = nl;
		e->cap = cap;
	}
	if (2 * (e->n + 1) > e->nslots) {
		size_t n = e->nslots ? 2 * e->nslots : 256;
		uint32_t *s = calloc(n, sizeof(*s)), *old = e->slots;
		if (s == NULL)
			return LSN_EINTERNAL;
		e->slots = s;
		e->nslots = n;
		for (size_t k = 0; k < e->n; k++)
			e->slots[slot_of(e, e->bytes[k], e->len[k])] = (uint32_t)(k + 1);
		free(old);
	}
	e->bytes[e->n] = b;
	e->len[e->n] = len;
	e->slots[slot_of(e, b, len)] = id;
	e->n++;
	return 0;
}

static int
load_one(void *ctx, uint32_t id, const uint8_t *data, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	int rc;

	if (b == NULL)
		return LSN_EINTERNAL;
	memcpy(b, data, len);
	if ((rc = add(ctx, id, b, len)) != 0)
		free(b);
	return rc;
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
	free(e->slots);
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
	if ((rc = store_snap_begin(st, &sn, err)) == 0) {
		if ((rc = ingest_index_format_check(sn, err)) == 0) {
			rc = store_index_entry_iter(sn, load_one, e, err);
			if (rc == LSN_EINTERNAL)
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			else if (rc == LSN_EINPUT)
				rc = lsn_fail(err, LSN_EINPUT, "the store's marking entries "
				    "cannot be read or are not numbered 1, 2, ... (damaged?)");
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
ingest_entries_id(ingest_entries *e, store_batch *b, int kind, const uint8_t *label,
    const char *ntk, size_t ntk_len, uint32_t *id, lsn_err *err)
{
	uint8_t *bytes;
	size_t len, i;
	int rc;

	if ((rc = ingest_entry_encode(kind, label, ntk, ntk_len, &bytes, &len, err)) != 0)
		return rc;
	if (e->nslots > 0 && e->slots[i = slot_of(e, bytes, len)] != 0) {
		*id = e->slots[i];
		free(bytes);
		return 0;
	}
	*id = (uint32_t)(e->n + 1);
	if ((rc = store_batch_put_index_entry(b, *id, bytes, len, err)) != 0) {
		free(bytes);
		return rc;
	}
	if (add(e, *id, bytes, len) != 0) {
		free(bytes);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	return 0;
}
