/*
 * store/dict.c - the zstd dictionary, trained on the store's own records.
 *
 * A dictionary is made of report text, so it is sealed like a record (domain
 * 'd') before it goes into meta as "dict/XXXXXXXX".  Each sealed record names
 * the dictionary it was compressed with (0: none), so records sealed before
 * a dictionary existed, or under an older one, still open.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ZDICT_trainFromBuffer_fastCover() and ZSTD_createCDict_advanced() are in
 * zstd's "static linking only" sections, but exported by libzstd since
 * 1.3.6 (configure asks for 1.4). */
#define ZDICT_STATIC_LINKING_ONLY
#define ZSTD_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include "store/internal.h"

#define DICT_SIZE (110 * 1024)
#define DICT_MAX_SAMPLES 8000
/* Training runs in the commit that crosses the threshold, stalling an
 * ingest, and its time grows with the sample bytes.  1 MiB (9 times the
 * dictionary) gave the same store size on 10,000 bench reports as 3 MiB. */
#define DICT_MAX_SAMPLE_BYTES (1u << 20)
#define DICT_MIN_SAMPLES 20
#define M_DICT_CURRENT "dict-current"

static int
dict_add(store *st, uint32_t id, const void *buf, size_t len)
{
	struct store__dict *d;
	int rc = LSN_EINTERNAL;

	pthread_mutex_lock(&st->pool_lock);
	if (st->ndicts == STORE__MAX_DICTS)
		goto out;
	d = &st->dicts[st->ndicts];
	d->id = id;
	d->cdict = NULL;
	d->ddict = NULL;
	/* One copy of the dictionary's text, wiped when freed: the DDict and
	 * the CDict (store__dict_cdict) reference it. */
	if ((d->raw = malloc(len ? len : 1)) == NULL)
		goto out;
	memcpy(d->raw, buf, len);
	d->raw_len = len;
	if ((d->ddict = ZSTD_createDDict_advanced(d->raw, len, ZSTD_dlm_byRef, ZSTD_dct_auto,
		 store__zstd_mem)) == NULL) {
		lsn_wipe_free(d->raw, len);
		d->raw = NULL;
		goto out;
	}
	st->ndicts++;
	rc = 0;
out:
	pthread_mutex_unlock(&st->pool_lock);
	return rc;
}

struct store__dict *
store__dict_find(store *st, uint32_t id)
{
	struct store__dict *d = NULL;

	pthread_mutex_lock(&st->pool_lock);
	for (unsigned i = 0; i < st->ndicts; i++)
		if (st->dicts[i].id == id)
			d = &st->dicts[i];
	pthread_mutex_unlock(&st->pool_lock);
	return d;
}

/*
 * How records are compressed with a dictionary: zstd's fast strategy, a
 * table of 2^16 positions in the dictionary, matches of 7 bytes or more.
 * A record's segments are small (1.2 KB on average on the bench's
 * reports), so most of their matches are in the dictionary, and finding
 * them is what a level costs: level 3 (double fast, 2^17 and 2^16 tables)
 * took 25 us a report, these 20, for records 3% larger (ratio 2.86
 * against 2.95 on 4,000 reports' segments).  The tables hold positions,
 * not text, and the dictionary is referenced, not copied: the CDict keeps
 * no report text of its own.
 */
static ZSTD_CDict *
cdict_new(const uint8_t *raw, size_t len)
{
	ZSTD_compressionParameters cp = {
		.windowLog = 19,
		.chainLog = 6, /* unused by the fast strategy; its minimum */
		.hashLog = 16,
		.searchLog = 1,
		.minMatch = 7,
		.targetLength = 0,
		.strategy = ZSTD_fast,
	};

	if (ZSTD_isError(ZSTD_checkCParams(cp)))
		cp = ZSTD_getCParams(STORE__ZSTD_LEVEL, 0, len);
	return ZSTD_createCDict_advanced(raw, len, ZSTD_dlm_byRef, ZSTD_dct_auto, cp,
	    store__zstd_mem);
}

ZSTD_CDict *
store__dict_cdict(store *st, struct store__dict *d)
{
	ZSTD_CDict *c;

	pthread_mutex_lock(&st->pool_lock);
	if (d->cdict == NULL)
		d->cdict = cdict_new(d->raw, d->raw_len);
	c = d->cdict;
	pthread_mutex_unlock(&st->pool_lock);
	return c;
}

void
store__dict_free_all(store *st)
{
	for (unsigned i = 0; i < st->ndicts; i++) {
		ZSTD_freeCDict(st->dicts[i].cdict);
		ZSTD_freeDDict(st->dicts[i].ddict);
		lsn_wipe_free(st->dicts[i].raw, st->dicts[i].raw_len);
	}
	st->ndicts = 0;
}

uint32_t
store_dict_current(const store *st)
{
	return st->dict_current;
}

int
store__dict_load_all(store *st, MDB_txn *txn, lsn_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k = { 5, (void *)"dict/" }, v;
	uint8_t *plain = NULL;
	size_t plen = 0;
	char name[32];
	unsigned long id;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->meta, &c)) != 0)
		return store__lmdb_err(err, rc, "reading meta");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 13 || memcmp(k.mv_data, "dict/", 5) != 0)
			break;
		memcpy(name, k.mv_data, 13);
		name[13] = '\0';
		id = strtoul(name + 5, NULL, 16);
		if (store__dict_find(st, (uint32_t)id) != NULL)
			continue; /* loaded before (store_lock_writer reloads) */
		rc = store__open1(st, 'd', name, 13, v.mv_data, v.mv_size, &plain, &plen,
		    err);
		if (rc != 0) {
			lsn_fail(err, rc, "zstd dictionary %lu fails authentication", id);
			goto out;
		}
		rc = dict_add(st, (uint32_t)id, plain, plen);
		lsn_wipe_free(plain, plen);
		if (rc != 0) {
			lsn_fail(err, rc, "cannot load zstd dictionary %lu", id);
			goto out;
		}
	}
	rc = 0;
	k.mv_size = strlen(M_DICT_CURRENT);
	k.mv_data = (void *)M_DICT_CURRENT;
	if (mdb_get(txn, st->meta, &k, &v) == 0 && v.mv_size == 4)
		st->dict_current = lsn_get_be32(v.mv_data);
out:
	mdb_cursor_close(c);
	return rc;
}

/* A training's commit condition: no dictionary of its name yet.  A record
 * sealed with a dictionary that another was then written over would never
 * open again. */
static int
dict_absent(void *ctx, store_snap *sn, lsn_err *err)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int rc = store_meta_get(sn, ctx, &v, &len, err);

	free(v);
	if (rc == 0)
		return lsn_fail(err, LSN_EINTERNAL, "zstd dictionary %s was stored by another "
		    "writer meanwhile", (const char *)ctx + 5);
	return rc == LSN_ENOTFOUND ? 0 : rc;
}

struct sample_set {
	store_snap *sn;
	uint8_t *plain[DICT_MAX_SAMPLES];
	size_t len[DICT_MAX_SAMPLES];
	size_t n, total;
	lsn_err *err;
};

/* Every segment of a record is one training sample (segments are what
 * gets compressed). */
static int
collect(void *ctx, uint64_t serial, const char *id, const uint8_t *label,
    size_t label_len)
{
	struct sample_set *s = ctx;
	store_record *r = NULL;
	int rc;

	(void)serial;
	(void)label;
	(void)label_len;
	if ((rc = store_record_get(s->sn, id, NULL, 0, &r, s->err)) != 0)
		return rc;
	for (size_t i = 0; i < r->nseg && s->n < DICT_MAX_SAMPLES &&
	     s->total < DICT_MAX_SAMPLE_BYTES; i++) {
		s->plain[s->n] = r->seg[i];
		s->len[s->n] = r->seg_len[i];
		r->seg[i] = NULL;
		r->seg_len[i] = 0;
		s->total += s->len[s->n];
		s->n++;
	}
	store_record_free(r);
	return s->n == DICT_MAX_SAMPLES || s->total >= DICT_MAX_SAMPLE_BYTES ? 1 : 0;
}

/*
 * zstd's default trainer searches fastCover's segment size k among 40
 * values: 0.18 s for 1 MiB of bench paragraphs on the bench machine.  One
 * pass at a fixed k takes 0.03 s and compressed the bench's records as
 * well (ratio 2.97 against 2.95, measured on 2,000 reports after the
 * samples).  The search remains the fallback when the one pass fails
 * (samples too few or too small for k).  A frequency table of 2^18
 * entries (zstd's default 2^20 takes 4 MiB to clear) and accel 4 (of
 * 1..10: fewer positions sampled) trained a dictionary as good in a third
 * of the time (2026-12-05, bench documents cut in four: 7.6 ms against
 * 22.4, ratio 3.003 against 2.998 on the next 2,700 documents).
 */
#define DICT_K 200
#define DICT_D 8
#define DICT_F 18
#define DICT_ACCEL 4

static size_t
train(uint8_t *dict, const uint8_t *samples, const size_t *len, unsigned n)
{
	ZDICT_fastCover_params_t p;
	size_t dlen;

	memset(&p, 0, sizeof(p));
	p.k = DICT_K;
	p.d = DICT_D;
	p.f = DICT_F;
	p.accel = DICT_ACCEL;
	p.zParams.compressionLevel = STORE__ZSTD_LEVEL;
	dlen = ZDICT_trainFromBuffer_fastCover(dict, DICT_SIZE, samples, len, n, p);
	if (ZDICT_isError(dlen))
		dlen = ZDICT_trainFromBuffer(dict, DICT_SIZE, samples, len, n);
	return dlen;
}

int
store_dict_train(store *st, lsn_err *err)
{
	struct sample_set *s = calloc(1, sizeof(*s));
	store_batch *b = NULL;
	uint8_t *samples = NULL, *dict = NULL, *sealed = NULL, idb[4];
	size_t off = 0, dlen = 0, sealed_len = 0;
	char name[32];
	uint32_t id;
	int rc;

	if (s == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	s->err = err;
	if ((rc = store_snap_begin(st, &s->sn, err)) != 0)
		goto out;
	rc = store_record_iter(s->sn, collect, s, err);
	store_snap_end(s->sn);
	if (rc < 0)
		goto out;
	if (s->n < DICT_MIN_SAMPLES) {
		rc = lsn_fail(err, LSN_ENOTFOUND, "%zu records are too few to train a "
		    "dictionary (%d needed)", s->n, DICT_MIN_SAMPLES);
		goto out;
	}
	/* One exactly-sized buffer: no realloc leaves plaintext behind. */
	samples = malloc(s->total ? s->total : 1);
	dict = malloc(DICT_SIZE);
	if (samples == NULL || dict == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		memcpy(samples + off, s->plain[i], s->len[i]);
		off += s->len[i];
	}
	dlen = train(dict, samples, s->len, (unsigned)s->n);
	if (ZDICT_isError(dlen)) {
		rc = lsn_fail(err, LSN_ENOTFOUND, "zstd could not train a dictionary: %s",
		    ZDICT_getErrorName(dlen));
		goto out;
	}
	/* Next id: one past the newest. */
	pthread_mutex_lock(&st->pool_lock);
	id = 0;
	for (unsigned i = 0; i < st->ndicts; i++)
		if (st->dicts[i].id > id)
			id = st->dicts[i].id;
	id++;
	pthread_mutex_unlock(&st->pool_lock);
	snprintf(name, sizeof(name), "dict/%08x", id);

	/* Seal the dictionary without a dictionary: it is not one yet. */
	pthread_mutex_lock(&st->pool_lock);
	uint32_t cur = st->dict_current;
	st->dict_current = 0;
	pthread_mutex_unlock(&st->pool_lock);
	rc = store__seal1(st, 'd', name, strlen(name), dict, dlen, &sealed,
	    &sealed_len, err);
	pthread_mutex_lock(&st->pool_lock);
	st->dict_current = cur;
	pthread_mutex_unlock(&st->pool_lock);
	if (rc != 0)
		goto out;

	lsn_put_be32(idb, id);
	if ((rc = store_batch_new(st, &b, err)) == 0)
		store_batch_check(b, dict_absent, name);
	if (rc != 0 ||
	    (rc = store__batch_put_meta_raw(b, name, sealed, sealed_len, err)) != 0 ||
	    (rc = store__batch_put_meta_raw(b, M_DICT_CURRENT, idb, 4, err)) != 0 ||
	    (rc = store_batch_commit(b, err)) != 0)
		goto out;
	if ((rc = dict_add(st, id, dict, dlen)) != 0) {
		lsn_fail(err, rc, "cannot load the new zstd dictionary");
		goto out;
	}
	pthread_mutex_lock(&st->pool_lock);
	st->dict_current = id;
	pthread_mutex_unlock(&st->pool_lock);
out:
	if (s != NULL) {
		for (size_t i = 0; i < s->n; i++)
			lsn_wipe_free(s->plain[i], s->len[i]);
		free(s);
	}
	lsn_wipe_free(samples, off);
	lsn_wipe_free(dict, DICT_SIZE);
	free(sealed);
	store_batch_free(b);
	return rc;
}

void
store_dict_auto(store *st, int on)
{
	pthread_mutex_lock(&st->pool_lock);
	st->dict_manual = !on;
	pthread_mutex_unlock(&st->pool_lock);
}

uint64_t
store_dict_wait(store *st)
{
	store_snap *sn = NULL;
	uint64_t n;
	int none;

	pthread_mutex_lock(&st->pool_lock);
	none = st->dict_current == 0 && !st->dict_failed;
	pthread_mutex_unlock(&st->pool_lock);
	if (!none || store_snap_begin(st, &sn, NULL) != 0)
		return UINT64_MAX;
	n = store_record_count(sn);
	store_snap_end(sn);
	return n >= st->opts.dict_threshold ? 0 : st->opts.dict_threshold - n;
}

int
store_dict_due(store *st)
{
	return store_dict_wait(st) == 0;
}

void
store_dict_train_due(store *st)
{
	if (store_dict_due(st) && store_dict_train(st, NULL) != 0) {
		pthread_mutex_lock(&st->pool_lock);
		st->dict_failed = 1;
		pthread_mutex_unlock(&st->pool_lock);
	}
}

void
store__maybe_train(store *st)
{
	int manual;

	pthread_mutex_lock(&st->pool_lock);
	manual = st->dict_manual;
	pthread_mutex_unlock(&st->pool_lock);
	if (!manual)
		store_dict_train_due(st);
}
