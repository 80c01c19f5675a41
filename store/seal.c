/*
 * store/seal.c - sealed records: zstd, then AES-256-GCM under a fresh data
 * key wrapped into key slots.  doc/FORMAT.md describes the layout:
 *
 *   "LSR" version domain flags dict_id serial label_len label
 *   nslots { type generation wrapped_key[40] }... nonce[12]
 *   nseg { ciphertext_len }...   then per segment: ciphertext tag[16]
 *
 * Each segment is compressed and encrypted on its own (nonce = base nonce
 * XOR its index), so a reader decrypts only the segments it may read.  The
 * AAD of every segment is the whole header, the record's name (its LMDB
 * key) and the segment's index, so a label, slot, segment or whole record
 * moved elsewhere fails authentication.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define HDR_FIXED 22 /* magic..label_len */
#define SLOT_LEN (1 + 4 + STORE__WRAPPED_LEN)
#define FLAG_ZSTD 0x01

struct store__scratch *
store__scratch_get(store *st)
{
	struct store__scratch *s;

	pthread_mutex_lock(&st->pool_lock);
	s = st->pool;
	if (s != NULL)
		st->pool = s->next;
	pthread_mutex_unlock(&st->pool_lock);
	if (s != NULL)
		return s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cctx = store__zstd_cctx();
	s->dctx = store__zstd_dctx();
	/* The data key at the end of the key pool's block: no long-lived
	 * secure block is small enough for the pool's front (keys.c). */
	s->keypool = gcry_malloc_secure((STORE__KEYPOOL + 1) * STORE_KEY_LEN);
	if (s->keypool != NULL)
		s->dkey = s->keypool + STORE__KEYPOOL * STORE_KEY_LEN;
	if (s->cctx == NULL || s->dctx == NULL || s->keypool == NULL ||
	    gcry_cipher_open(&s->gcm, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
		GCRY_CIPHER_SECURE) ||
	    gcry_cipher_open(&s->kw, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_AESWRAP,
		GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(s->kw, st->keys->wrap, STORE_KEY_LEN) ||
	    gcry_md_open(&s->blind, GCRY_MD_SHA256,
		GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE) ||
	    gcry_md_setkey(s->blind, st->keys->index, STORE_KEY_LEN) ||
	    gcry_cipher_open(&s->pgcm, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
		GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(s->pgcm, st->keys->postings, STORE_KEY_LEN)) {
		store__scratch_free(s);
		return NULL;
	}
	return s;
}

void
store__scratch_put(store *st, struct store__scratch *s)
{
	if (s == NULL)
		return;
	lsn_wipe(s->dkey, STORE_KEY_LEN);
	pthread_mutex_lock(&st->pool_lock);
	s->next = st->pool;
	st->pool = s;
	pthread_mutex_unlock(&st->pool_lock);
}

void
store__scratch_free(struct store__scratch *s)
{
	if (s == NULL)
		return;
	ZSTD_freeCCtx(s->cctx);
	ZSTD_freeDCtx(s->dctx);
	gcry_cipher_close(s->gcm);
	gcry_cipher_close(s->kw);
	gcry_md_close(s->blind);
	gcry_cipher_close(s->pgcm);
	if (s->keypool != NULL) { /* the data key with it */
		lsn_wipe(s->keypool, (STORE__KEYPOOL + 1) * STORE_KEY_LEN);
		gcry_free(s->keypool);
	}
	free(s);
}

void
store__new_data_key(struct store__scratch *s)
{
	uint8_t *k;

	if (s->keys_left == 0) {
		gcry_randomize(s->keypool, STORE__KEYPOOL * STORE_KEY_LEN, GCRY_STRONG_RANDOM);
		s->keys_left = STORE__KEYPOOL;
	}
	k = s->keypool + (size_t)--s->keys_left * STORE_KEY_LEN;
	memcpy(s->dkey, k, STORE_KEY_LEN);
	lsn_wipe(k, STORE_KEY_LEN); /* used once */
}

void
store_blind(store *st, const void *term, size_t len, uint8_t out[STORE_BLIND_LEN])
{
	struct store__scratch *s = store__scratch_get(st);

	if (s == NULL) {
		/* Out of memory: fall back to a one-shot HMAC. */
		store__hmac(st->keys->index, term, len, NULL, 0, out);
		return;
	}
	gcry_md_reset(s->blind);
	gcry_md_write(s->blind, term, len);
	memcpy(out, gcry_md_read(s->blind, GCRY_MD_SHA256), STORE_BLIND_LEN);
	store__scratch_put(st, s);
}

void
store_fingerprint(store *st, const store_seg *segs, size_t nseg,
    uint8_t out[STORE_BLIND_LEN])
{
	struct store__scratch *s = store__scratch_get(st);
	gcry_md_hd_t h = NULL;
	uint8_t lb[8];

	if (s != NULL) {
		h = s->blind;
		gcry_md_reset(h);
	} else if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE) ||
	    gcry_md_setkey(h, st->keys->index, STORE_KEY_LEN)) {
		memset(out, 0, STORE_BLIND_LEN); /* out of memory: never equal by chance */
		gcry_create_nonce(out, STORE_BLIND_LEN);
		gcry_md_close(h);
		return;
	}
	gcry_md_write(h, "liaison fingerprint", 20); /* includes the NUL */
	for (size_t i = 0; i < nseg; i++) {
		lsn_put_be64(lb, segs[i].len);
		gcry_md_write(h, lb, 8);
		gcry_md_write(h, segs[i].data, segs[i].len);
	}
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), STORE_BLIND_LEN);
	if (s != NULL)
		store__scratch_put(st, s);
	else
		gcry_md_close(h);
}

struct store_blinder {
	gcry_md_hd_t h;
};

store_blinder *
store_blinder_new(store *st)
{
	store_blinder *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	if (gcry_md_open(&b->h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE) ||
	    gcry_md_setkey(b->h, st->keys->index, STORE_KEY_LEN)) {
		store_blinder_free(b);
		return NULL;
	}
	return b;
}

void
store_blinder_blind(store_blinder *b, const void *term, size_t len,
    uint8_t out[STORE_BLIND_LEN])
{
	/* The same HMAC as store_blind(): reset keeps the key. */
	gcry_md_reset(b->h);
	gcry_md_write(b->h, term, len);
	memcpy(out, gcry_md_read(b->h, GCRY_MD_SHA256), STORE_BLIND_LEN);
}

void
store_blinder_free(store_blinder *b)
{
	if (b == NULL)
		return;
	gcry_md_close(b->h); /* secure memory: wiped by libgcrypt */
	free(b);
}

/*
 * The AAD of segment i: every header byte (segment table included), the
 * domain, the name with its length, and the segment's index.
 */
static int
gcm_aad(gcry_cipher_hd_t h, const uint8_t *hdr, size_t hdr_len, char domain,
    const void *name, size_t name_len, uint32_t seg)
{
	uint8_t nl[5], sb[4];

	nl[0] = (uint8_t)domain;
	lsn_put_be32(nl + 1, (uint32_t)name_len);
	lsn_put_be32(sb, seg);
	if (gcry_cipher_authenticate(h, hdr, hdr_len) ||
	    gcry_cipher_authenticate(h, nl, sizeof(nl)) ||
	    (name_len && gcry_cipher_authenticate(h, name, name_len)) ||
	    gcry_cipher_authenticate(h, sb, 4))
		return -1;
	return 0;
}

/* Segment i's nonce: the base nonce with its last 4 bytes XOR i. */
static void
seg_nonce(const uint8_t *base, uint32_t i, uint8_t out[STORE__NONCE_LEN])
{
	memcpy(out, base, STORE__NONCE_LEN);
	out[8] ^= (uint8_t)(i >> 24);
	out[9] ^= (uint8_t)(i >> 16);
	out[10] ^= (uint8_t)(i >> 8);
	out[11] ^= (uint8_t)i;
}

int
store__seal(store *st, char domain, const void *name, size_t name_len,
    uint64_t serial, const void *label, size_t label_len,
    const store_seg *segs, size_t nseg, uint8_t **out, size_t *out_len,
    lsn_err *err)
{
	struct store__scratch *s = NULL;
	struct store__dict *d = NULL;
	ZSTD_CDict *cdict = NULL;
	uint8_t *rec = NULL, *p, *nonce, *table, iv[STORE__NONCE_LEN];
	size_t hdr_len, total = 0, cap = 0, off;
	uint32_t dict_id;
	int rc = LSN_EINTERNAL;

	*out = NULL;
	if (nseg == 0 || nseg > STORE_MAX_SEGMENTS)
		return lsn_fail(err, LSN_EINPUT, "a record has 1 to %u segments, not %zu",
		    STORE_MAX_SEGMENTS, nseg);
	for (size_t i = 0; i < nseg; i++) {
		if (segs[i].len > STORE_MAX_RECORD - total)
			return lsn_fail(err, LSN_EINPUT, "record is over the %u-byte cap",
			    STORE_MAX_RECORD);
		total += segs[i].len;
	}
	if (label_len > STORE_MAX_RECORD)
		return lsn_fail(err, LSN_EINPUT, "label too large");
	if ((s = store__scratch_get(st)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");

	pthread_mutex_lock(&st->pool_lock);
	dict_id = st->dict_current;
	pthread_mutex_unlock(&st->pool_lock);
	if (dict_id != 0 && (d = store__dict_find(st, dict_id)) == NULL)
		dict_id = 0;
	if (d != NULL && (cdict = store__dict_cdict(st, d)) == NULL) {
		store__scratch_put(st, s);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}

	hdr_len = HDR_FIXED + label_len + 1 + SLOT_LEN + STORE__NONCE_LEN + 4 + 4 * nseg;
	cap = hdr_len;
	for (size_t i = 0; i < nseg; i++)
		cap += ZSTD_compressBound(segs[i].len) + STORE__TAG_LEN;
	if ((rec = malloc(cap)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	memcpy(rec, "LSR", 3);
	rec[3] = STORE_FORMAT_VERSION;
	rec[4] = (uint8_t)domain;
	rec[5] = FLAG_ZSTD;
	lsn_put_be32(rec + 6, dict_id);
	lsn_put_be64(rec + 10, serial);
	lsn_put_be32(rec + 18, (uint32_t)label_len);
	if (label_len)
		memcpy(rec + HDR_FIXED, label, label_len);
	p = rec + HDR_FIXED + label_len;
	*p++ = 1; /* one slot: the store's record-wrapping key */
	*p++ = STORE__SLOT_STORE;
	lsn_put_be32(p, 1); /* key generation */
	p += 4;

	/* A fresh data key per record; each segment has its own nonce under it. */
	store__new_data_key(s);
	if (gcry_cipher_encrypt(s->kw, p, STORE__WRAPPED_LEN, s->dkey, STORE_KEY_LEN))
		goto out;
	p += STORE__WRAPPED_LEN;
	nonce = p;
	store__nonce_next(&s->nonces, nonce);
	p += STORE__NONCE_LEN;
	lsn_put_be32(p, (uint32_t)nseg);
	table = p + 4;

	/* Compress every segment first: the lengths go into the header, which
	 * every segment's AAD covers. */
	off = hdr_len;
	for (size_t i = 0; i < nseg; i++) {
		size_t bound = ZSTD_compressBound(segs[i].len), clen;

		clen = d ? ZSTD_compress_usingCDict(s->cctx, rec + off, bound,
				segs[i].data, segs[i].len, cdict)
			 : ZSTD_compressCCtx(s->cctx, rec + off, bound, segs[i].data,
				segs[i].len, STORE__ZSTD_LEVEL_PLAIN);
		if (ZSTD_isError(clen)) {
			rc = lsn_fail(err, LSN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(clen));
			goto out;
		}
		lsn_put_be32(table + 4 * i, (uint32_t)clen);
		off += clen + STORE__TAG_LEN;
	}
	/* Then encrypt each packed segment in place, under the record's key
	 * (set once: a reset keeps it). */
	off = hdr_len;
	if (gcry_cipher_setkey(s->gcm, s->dkey, STORE_KEY_LEN)) {
		rc = lsn_fail(err, LSN_EINTERNAL, "AES-GCM encryption failed");
		goto out;
	}
	for (size_t i = 0; i < nseg; i++) {
		size_t clen = lsn_get_be32(table + 4 * i);

		seg_nonce(nonce, (uint32_t)i, iv);
		if (gcry_cipher_reset(s->gcm) ||
		    gcry_cipher_setiv(s->gcm, iv, STORE__NONCE_LEN) ||
		    gcm_aad(s->gcm, rec, hdr_len, domain, name, name_len, (uint32_t)i) ||
		    gcry_cipher_final(s->gcm) ||
		    gcry_cipher_encrypt(s->gcm, rec + off, clen, NULL, 0) ||
		    gcry_cipher_gettag(s->gcm, rec + off + clen, STORE__TAG_LEN)) {
			rc = lsn_fail(err, LSN_EINTERNAL, "AES-GCM encryption failed");
			goto out;
		}
		off += clen + STORE__TAG_LEN;
	}
	/* The buffer was sized for segments that do not compress at all,
	 * and records wait in the queue and the batch until their commit:
	 * given back, the rest of it took 10-14 MiB off a 100,000-report
	 * ingest's peak.  zstd may have left a discarded attempt there
	 * (compressed plaintext): wiped first. */
	lsn_wipe(rec + off, cap - off);
	uint8_t *fit = realloc(rec, off);
	if (fit != NULL)
		rec = fit;
	*out_len = off;
	*out = rec;
	rec = NULL;
	rc = 0;
out:
	if (rec != NULL)
		lsn_wipe_free(rec, cap); /* may hold compressed plaintext */
	store__scratch_put(st, s);
	return rc;
}

int
store__peek(const uint8_t *rec, size_t rec_len, uint64_t *serial,
    const uint8_t **label, size_t *label_len)
{
	uint32_t ll;

	if (rec_len < HDR_FIXED || memcmp(rec, "LSR", 3) != 0)
		return LSN_EINPUT;
	ll = lsn_get_be32(rec + 18);
	if (ll > rec_len - HDR_FIXED)
		return LSN_EINPUT;
	if (serial)
		*serial = lsn_get_be64(rec + 10);
	if (label)
		*label = rec + HDR_FIXED;
	if (label_len)
		*label_len = ll;
	return 0;
}

void
store_record_free(store_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nseg; i++)
		lsn_wipe_free(r->seg[i], r->seg_len[i]);
	free(r->seg);
	free(r->seg_len);
	free(r->label);
	free(r);
}

/* Decrypt and decompress one segment into a new buffer. */
static int
open_segment(store *st, struct store__scratch *s, struct store__dict *d,
    const uint8_t *rec, size_t hdr_len, char domain, const void *name,
    size_t name_len, const uint8_t *nonce, uint32_t i, const uint8_t *ct,
    size_t clen, uint8_t **plain, size_t *plain_len)
{
	uint8_t iv[STORE__NONCE_LEN], *buf = NULL, *out = NULL;
	unsigned long long fsize;
	size_t n;
	int rc = LSN_EINPUT;

	(void)st;
	if ((buf = malloc(clen ? clen : 1)) == NULL)
		return LSN_EINTERNAL;
	seg_nonce(nonce, i, iv);
	if (gcry_cipher_reset(s->gcm) ||
	    gcry_cipher_setkey(s->gcm, s->dkey, STORE_KEY_LEN) ||
	    gcry_cipher_setiv(s->gcm, iv, STORE__NONCE_LEN) ||
	    gcm_aad(s->gcm, rec, hdr_len, domain, name, name_len, i) ||
	    gcry_cipher_final(s->gcm) ||
	    gcry_cipher_decrypt(s->gcm, buf, clen, ct, clen) ||
	    gcry_cipher_checktag(s->gcm, ct + clen, STORE__TAG_LEN))
		goto out;
	/* Authenticated: now the zstd frame is ours, but stay careful. */
	fsize = ZSTD_getFrameContentSize(buf, clen);
	if (fsize == ZSTD_CONTENTSIZE_ERROR || fsize == ZSTD_CONTENTSIZE_UNKNOWN ||
	    fsize > STORE_MAX_RECORD)
		goto out;
	if ((out = malloc(fsize ? fsize : 1)) == NULL) {
		rc = LSN_EINTERNAL;
		goto out;
	}
	n = d ? ZSTD_decompress_usingDDict(s->dctx, out, fsize, buf, clen, d->ddict)
	      : ZSTD_decompressDCtx(s->dctx, out, fsize, buf, clen);
	if (ZSTD_isError(n) || n != fsize) {
		lsn_wipe_free(out, fsize);
		out = NULL;
		goto out;
	}
	*plain = out;
	*plain_len = n;
	rc = 0;
out:
	lsn_wipe_free(buf, clen);
	return rc;
}

int
store__open(store *st, char domain, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, const uint8_t *want, size_t nwant,
    store_record **out, lsn_err *err)
{
	struct store__scratch *s = NULL;
	struct store__dict *d = NULL;
	const uint8_t *p, *end = rec + rec_len, *slot = NULL, *nonce, *table;
	store_record *r = NULL;
	size_t hdr_len, ll, nslots, off;
	uint32_t dict_id, nseg;
	int rc = LSN_EINPUT;

	*out = NULL;
	/* Structure first: every length is checked against the record's end. */
	if (rec_len < HDR_FIXED || memcmp(rec, "LSR", 3) != 0)
		return lsn_fail(err, LSN_EINPUT, "not a sealed record");
	if (rec[3] != STORE_FORMAT_VERSION)
		return lsn_fail(err, LSN_EINPUT, "sealed record version %u is not supported",
		    rec[3]);
	if (rec[4] != (uint8_t)domain || rec[5] != FLAG_ZSTD)
		goto corrupt;
	dict_id = lsn_get_be32(rec + 6);
	ll = lsn_get_be32(rec + 18);
	if (ll > rec_len - HDR_FIXED)
		goto corrupt;
	p = rec + HDR_FIXED + ll;
	if (p >= end)
		goto corrupt;
	nslots = *p++;
	if (nslots == 0 || (size_t)(end - p) < nslots * SLOT_LEN)
		goto corrupt;
	for (size_t i = 0; i < nslots; i++, p += SLOT_LEN)
		if (slot == NULL && p[0] == STORE__SLOT_STORE && lsn_get_be32(p + 1) == 1)
			slot = p + 5;
	if (slot == NULL || (size_t)(end - p) < STORE__NONCE_LEN + 4)
		goto corrupt;
	nonce = p;
	p += STORE__NONCE_LEN;
	nseg = lsn_get_be32(p);
	p += 4;
	if (nseg == 0 || nseg > STORE_MAX_SEGMENTS || (size_t)(end - p) / 4 < nseg)
		goto corrupt;
	table = p;
	hdr_len = (size_t)(p + 4 * (size_t)nseg - rec);
	/* The segments must exactly fill the rest of the record. */
	off = hdr_len;
	for (uint32_t i = 0; i < nseg; i++) {
		size_t clen = lsn_get_be32(table + 4 * i);
		if (clen > rec_len - off || rec_len - off - clen < STORE__TAG_LEN)
			goto corrupt;
		off += clen + STORE__TAG_LEN;
	}
	if (off != rec_len)
		goto corrupt;
	if (dict_id != 0 && (d = store__dict_find(st, dict_id)) == NULL)
		return lsn_fail(err, LSN_EINPUT, "record names zstd dictionary %u, "
		    "which the store does not have", dict_id);

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->seg = calloc(nseg, sizeof(*r->seg))) == NULL ||
	    (r->seg_len = calloc(nseg, sizeof(*r->seg_len))) == NULL ||
	    (r->label = malloc(ll ? ll : 1)) == NULL ||
	    (s = store__scratch_get(st)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	r->nseg = nseg;
	if (gcry_cipher_decrypt(s->kw, s->dkey, STORE_KEY_LEN, slot, STORE__WRAPPED_LEN))
		goto corrupt; /* the wrapped key fails its integrity check */
	off = hdr_len;
	for (uint32_t i = 0; i < nseg; i++) {
		size_t clen = lsn_get_be32(table + 4 * i);

		if (want == NULL || (i < nwant && want[i])) {
			rc = open_segment(st, s, d, rec, hdr_len, domain, name, name_len,
			    nonce, i, rec + off, clen, &r->seg[i], &r->seg_len[i]);
			if (rc == LSN_EINTERNAL) {
				lsn_fail(err, rc, "out of memory");
				goto out;
			}
			if (rc != 0)
				goto corrupt;
		}
		off += clen + STORE__TAG_LEN;
	}
	memcpy(r->label, rec + HDR_FIXED, ll);
	r->label_len = ll;
	r->serial = lsn_get_be64(rec + 10);
	*out = r;
	r = NULL;
	rc = 0;
	goto out;
corrupt:
	rc = lsn_fail(err, LSN_EINPUT, "sealed record fails authentication");
out:
	store_record_free(r);
	store__scratch_put(st, s);
	return rc;
}

int
store__open1(store *st, char domain, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, uint8_t **plain, size_t *plain_len,
    lsn_err *err)
{
	store_record *r = NULL;
	int rc;

	*plain = NULL;
	*plain_len = 0;
	if ((rc = store__open(st, domain, name, name_len, rec, rec_len, NULL, 0, &r,
		 err)) != 0)
		return rc;
	if (r->nseg != 1) {
		store_record_free(r);
		return lsn_fail(err, LSN_EINPUT, "sealed record fails authentication");
	}
	*plain = r->seg[0];
	*plain_len = r->seg_len[0];
	r->seg[0] = NULL;
	r->seg_len[0] = 0;
	store_record_free(r);
	return 0;
}

int
store__seal1(store *st, char domain, const void *name, size_t name_len,
    const void *plain, size_t len, uint8_t **out, size_t *out_len, lsn_err *err)
{
	store_seg seg = { plain, len };

	return store__seal(st, domain, name, name_len, 0, NULL, 0, &seg, 1, out,
	    out_len, err);
}

void
store__nonce_next(struct store__nonces *n, uint8_t out[STORE__NONCE_LEN])
{
	if (n->count == 0)
		gcry_create_nonce(n->base, STORE__NONCE_LEN);
	memcpy(out, n->base, STORE__NONCE_LEN);
	lsn_put_be32(out + 8, lsn_get_be32(n->base + 8) ^ n->count);
	n->count++;
}

int
store__aead_seal(gcry_cipher_hd_t h, struct store__nonces *ns, const void *aad,
    size_t aad_len, const void *plain, size_t len, uint8_t *out)
{
	store__nonce_next(ns, out);
	if (gcry_cipher_reset(h) || /* keeps the key */
	    gcry_cipher_setiv(h, out, STORE__NONCE_LEN) ||
	    gcry_cipher_authenticate(h, aad, aad_len) ||
	    gcry_cipher_final(h) ||
	    gcry_cipher_encrypt(h, out + STORE__NONCE_LEN, len, plain, len) ||
	    gcry_cipher_gettag(h, out + STORE__NONCE_LEN + len, STORE__TAG_LEN))
		return LSN_EINTERNAL;
	return 0;
}

int
store__aead_open(const uint8_t key[STORE_KEY_LEN], const void *aad,
    size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *plain)
{
	gcry_cipher_hd_t h = NULL;
	size_t len;
	int rc = LSN_EINPUT;

	if (in_len < STORE__NONCE_LEN + STORE__TAG_LEN)
		return LSN_EINPUT;
	len = in_len - STORE__NONCE_LEN - STORE__TAG_LEN;
	if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
		GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(h, key, STORE_KEY_LEN) ||
	    gcry_cipher_setiv(h, in, STORE__NONCE_LEN) ||
	    gcry_cipher_authenticate(h, aad, aad_len) ||
	    gcry_cipher_final(h) ||
	    gcry_cipher_decrypt(h, plain, len, in + STORE__NONCE_LEN, len) ||
	    gcry_cipher_checktag(h, in + STORE__NONCE_LEN + len, STORE__TAG_LEN)) {
		lsn_wipe(plain, len);
		goto out;
	}
	rc = 0;
out:
	gcry_cipher_close(h);
	return rc;
}

/* ---- posting blocks ---- */

#define BLOCK_HDR STORE__BLOCK_HDR
_Static_assert(STORE__BLOCK_SEALED_LEN(0, 1) == STORE_FRAME_OVERHEAD,
    "store.h's frame overhead is the sealed frame's");
#define FRAME_MORE 0x01
/*
 * A block is one or more frames, each sealed on its own, so that a reader
 * may open a long block's first frames and stop (query/ stops at its worst
 * kept hit): "LSB", version (2), flags (bit 0: another frame follows;
 * bit 1: a pack of small blocks, which is one frame; any other bit is
 * refused), u32 ciphertext length, nonce, ciphertext, tag.  A reader of
 * a block refuses a pack and a reader of a pack a block, so neither can
 * stand in for the other under the same key.
 * The AAD is the frame's header and nonce, then "i", the name's length and
 * the name (the LMDB key), then the frame's index (u32): a frame moved to
 * another key or place fails, and so does a block cut after a frame that
 * says another follows.  Frames are not compressed: their content is
 * varints already, and zstd saved 6% of a store for 5-7% of ingest's CPU.
 */

static int
block_aad(gcry_cipher_hd_t h, const uint8_t *hdr, const void *name, size_t name_len,
    uint32_t index)
{
	/* Assembled for one call to libgcrypt, which costs about 20 ns a
	 * call: a block's name is its key (8 + 32 bytes). */
	enum { HN = BLOCK_HDR + STORE__NONCE_LEN, NAME = 8 + STORE_BLIND_LEN };
	uint8_t a[HN + 5 + NAME + 4], *p = a;

	if (name_len != NAME)
		return -1;
	memcpy(p, hdr, HN);
	p += HN;
	*p++ = 'i';
	lsn_put_be32(p, (uint32_t)name_len);
	p += 4;
	memcpy(p, name, name_len);
	p += name_len;
	lsn_put_be32(p, index);
	p += 4;
	return gcry_cipher_authenticate(h, a, (size_t)(p - a)) ? -1 : 0;
}

/* Seal plain in frames ending at ends[0..nends), flagged pack (0 or
 * STORE__FRAME_PACK) as well. */
static int
seal_frames(struct store__scratch *s, const void *name, size_t name_len, const void *plain,
    size_t len, const uint32_t *ends, size_t nends, uint8_t pack, uint8_t *out, lsn_err *err)
{
	const uint8_t *pt = plain;
	uint32_t one = (uint32_t)len;
	size_t from = 0, nf = nends ? nends : 1;
	uint8_t *o = out;

	if (len > STORE_MAX_RECORD)
		return lsn_fail(err, LSN_EINPUT, "posting block too large");
	if (nends == 0)
		ends = &one;
	for (size_t i = 0; i < nf; i++) {
		size_t fl;
		uint8_t *nonce = o + BLOCK_HDR;
		if (ends[i] < from || ends[i] > len || (i + 1 == nf && ends[i] != len)) {
			lsn_wipe(out, (size_t)(o - out));
			return lsn_fail(err, LSN_EINTERNAL, "posting block frames out of order");
		}
		fl = ends[i] - from;
		memcpy(o, "LSB", 3);
		o[3] = STORE__BLOCK_VERSION;
		o[4] = (uint8_t)((i + 1 < nf ? FRAME_MORE : 0) | pack);
		lsn_put_be32(o + 5, (uint32_t)fl);
		store__nonce_next(&s->nonces, nonce);
		memcpy(nonce + STORE__NONCE_LEN, pt + from, fl);
		if (gcry_cipher_reset(s->pgcm) ||
		    gcry_cipher_setiv(s->pgcm, nonce, STORE__NONCE_LEN) ||
		    block_aad(s->pgcm, o, name, name_len, (uint32_t)i) ||
		    gcry_cipher_final(s->pgcm) ||
		    gcry_cipher_encrypt(s->pgcm, nonce + STORE__NONCE_LEN, fl, NULL, 0) ||
		    gcry_cipher_gettag(s->pgcm, nonce + STORE__NONCE_LEN + fl, STORE__TAG_LEN)) {
			lsn_wipe(out, (size_t)(o - out) + STORE__BLOCK_SEALED_LEN(fl, 1));
			return lsn_fail(err, LSN_EINTERNAL, "AES-GCM encryption failed");
		}
		o += STORE__BLOCK_SEALED_LEN(fl, 1);
		from = ends[i];
	}
	return 0;
}

int
store__seal_block(struct store__scratch *s, const void *name, size_t name_len,
    const void *plain, size_t len, const uint32_t *ends, size_t nends, uint8_t *out,
    lsn_err *err)
{
	return seal_frames(s, name, name_len, plain, len, ends, nends, 0, out, err);
}

int
store__seal_pack(struct store__scratch *s, const void *name, size_t name_len,
    const void *plain, size_t len, uint8_t *out, lsn_err *err)
{
	return seal_frames(s, name, name_len, plain, len, NULL, 0, STORE__FRAME_PACK, out, err);
}

/* Open the frames of a block (pack 0) or a pack (STORE__FRAME_PACK): a
 * frame flagged otherwise is refused. */
static int
open_frames(store *st, const void *name, size_t name_len, const uint8_t *rec,
    size_t rec_len, uint8_t **buf, size_t *cap, size_t *plain_len,
    store_more_fn more, void *mctx, uint8_t pack, lsn_err *err)
{
	struct store__scratch *s = NULL;
	size_t at = 0, out = 0;
	int rc = 0;

	*plain_len = 0;
	if (store__buf_room(buf, cap, rec_len) != 0) /* every frame's plaintext */
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if ((s = store__scratch_get(st)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	for (uint32_t i = 0;;) {
		const uint8_t *f = rec + at;
		size_t fl;
		if (rec_len - at < STORE__BLOCK_SEALED_LEN(0, 1) || memcmp(f, "LSB", 3) != 0 ||
		    f[3] != STORE__BLOCK_VERSION || (f[4] & ~FRAME_MORE) != pack ||
		    (pack && (f[4] & FRAME_MORE)) ||
		    (fl = lsn_get_be32(f + 5)) > rec_len - at - STORE__BLOCK_SEALED_LEN(0, 1) ||
		    fl > rec_len - out || /* room in *buf: a frame opened twice would pass it */
		    ((f[4] & FRAME_MORE) == 0) != (at + STORE__BLOCK_SEALED_LEN(fl, 1) == rec_len)) {
			rc = LSN_EINPUT;
			break;
		}
		if (gcry_cipher_reset(s->pgcm) ||
		    gcry_cipher_setiv(s->pgcm, f + BLOCK_HDR, STORE__NONCE_LEN) ||
		    block_aad(s->pgcm, f, name, name_len, i) ||
		    gcry_cipher_final(s->pgcm) ||
		    gcry_cipher_decrypt(s->pgcm, *buf + out, fl,
			f + BLOCK_HDR + STORE__NONCE_LEN, fl) ||
		    gcry_cipher_checktag(s->pgcm, f + BLOCK_HDR + STORE__NONCE_LEN + fl,
			STORE__TAG_LEN)) {
			lsn_wipe(*buf + out, fl); /* unauthenticated plaintext */
			rc = LSN_EINPUT;
			break;
		}
		out += fl;
		at += STORE__BLOCK_SEALED_LEN(fl, 1);
		if (more == NULL) {
			if (at == rec_len)
				break;
			i++;
			continue;
		}
		uint32_t next = i + 1;
		size_t next_at = at;
		if (!more(mctx, *buf + out - fl, fl, &next, &next_at) || next_at == rec_len)
			break; /* stopped, or on past the last frame: the end */
		if (next_at > rec_len) {
			rc = LSN_EINPUT;
			break;
		}
		i = next;
		at = next_at;
	}
	store__scratch_put(st, s);
	if (rc != 0) {
		lsn_wipe(*buf, out);
		return lsn_fail(err, LSN_EINPUT, "posting block fails authentication");
	}
	*plain_len = out;
	return 0;
}

int
store__open_block_into(store *st, const void *name, size_t name_len, const uint8_t *rec,
    size_t rec_len, uint8_t **buf, size_t *cap, size_t *plain_len,
    store_more_fn more, void *mctx, lsn_err *err)
{
	return open_frames(st, name, name_len, rec, rec_len, buf, cap, plain_len, more, mctx, 0,
	    err);
}

int
store__open_pack_into(store *st, const void *name, size_t name_len, const uint8_t *rec,
    size_t rec_len, uint8_t **buf, size_t *cap, size_t *plain_len, lsn_err *err)
{
	return open_frames(st, name, name_len, rec, rec_len, buf, cap, plain_len, NULL, NULL,
	    STORE__FRAME_PACK, err);
}

int
store__pack_next(struct store__pack_it *it, const uint8_t **term, const uint8_t **block,
    size_t *blen)
{
	const uint8_t *t = it->p + it->at;
	size_t left = it->len - it->at, n;

	if (left == 0)
		return 0;
	/* Authenticated, yet not what a writer makes: refused all the same. */
	if (left < STORE__PACK_ENTRY ||
	    (n = (size_t)t[STORE_BLIND_LEN] << 8 | t[STORE_BLIND_LEN + 1]) >
		left - STORE__PACK_ENTRY ||
	    (it->prev != NULL && memcmp(it->prev, t, STORE_BLIND_LEN) >= 0))
		return -1;
	*term = t;
	*block = t + STORE__PACK_ENTRY;
	*blen = n;
	it->prev = t;
	it->at += STORE__PACK_ENTRY + n;
	return 1;
}

int
store__pack_find(const uint8_t *p, size_t len, const uint8_t term[STORE_BLIND_LEN],
    size_t *at, size_t *blen)
{
	struct store__pack_it it = { p, len, 0, NULL };
	const uint8_t *t, *b;
	size_t n;
	int rc;

	while ((rc = store__pack_next(&it, &t, &b, &n)) == 1) {
		int c = memcmp(t, term, STORE_BLIND_LEN);
		if (c == 0) {
			*at = (size_t)(b - p);
			*blen = n;
			return 1;
		}
		if (c > 0)
			return 0; /* in term order: it would have come */
	}
	return rc;
}

int
store__buf_room(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *nb;

	if (need <= *cap && *buf != NULL)
		return 0;
	if ((nb = malloc(need ? need : 1)) == NULL)
		return -1;
	lsn_wipe_free(*buf, *cap);
	*buf = nb;
	*cap = need ? need : 1;
	return 0;
}

int
store__open_block(store *st, const void *name, size_t name_len, const uint8_t *rec,
    size_t rec_len, uint8_t **plain, size_t *plain_len, lsn_err *err)
{
	size_t cap = 0;
	int rc;

	*plain = NULL;
	rc = store__open_block_into(st, name, name_len, rec, rec_len, plain, &cap, plain_len,
	    NULL, NULL, err);
	if (rc != 0) {
		lsn_wipe_free(*plain, cap);
		*plain = NULL;
	}
	return rc;
}
