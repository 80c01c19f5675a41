/*
 * store/seal.c - sealed records: zstd, then AES-256-GCM under a fresh data
 * key wrapped into key slots.  doc/FORMAT.md describes the layout:
 *
 *   "LSR" version domain flags dict_id serial label_len label
 *   nslots { type generation wrapped_key[40] }... nonce[12] ciphertext tag[16]
 *
 * The AAD is every header byte up to and including the nonce, followed by
 * the record's name (its LMDB key), so a label, slot or whole record moved
 * to another name fails authentication.
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
	s->cctx = ZSTD_createCCtx();
	s->dctx = ZSTD_createDCtx();
	s->dkey = gcry_malloc_secure(STORE_KEY_LEN);
	if (s->cctx == NULL || s->dctx == NULL || s->dkey == NULL ||
	    gcry_cipher_open(&s->gcm, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
		GCRY_CIPHER_SECURE) ||
	    gcry_cipher_open(&s->kw, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_AESWRAP,
		GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(s->kw, st->keys->wrap, STORE_KEY_LEN) ||
	    gcry_md_open(&s->blind, GCRY_MD_SHA256,
		GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE) ||
	    gcry_md_setkey(s->blind, st->keys->index, STORE_KEY_LEN)) {
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
	if (s->dkey != NULL) {
		lsn_wipe(s->dkey, STORE_KEY_LEN);
		gcry_free(s->dkey);
	}
	free(s);
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

/* The AAD: header bytes, then the name with its length. */
static int
gcm_aad(gcry_cipher_hd_t h, const uint8_t *hdr, size_t hdr_len, char domain,
    const void *name, size_t name_len)
{
	uint8_t nl[5];

	nl[0] = (uint8_t)domain;
	lsn_put_be32(nl + 1, (uint32_t)name_len);
	if (gcry_cipher_authenticate(h, hdr, hdr_len) ||
	    gcry_cipher_authenticate(h, nl, sizeof(nl)) ||
	    (name_len && gcry_cipher_authenticate(h, name, name_len)))
		return -1;
	return 0;
}

int
store__seal(store *st, char domain, const void *name, size_t name_len,
    uint64_t serial, const void *label, size_t label_len, const void *plain,
    size_t plain_len, uint8_t **out, size_t *out_len, lsn_err *err)
{
	struct store__scratch *s = NULL;
	struct store__dict *d = NULL;
	uint8_t *rec = NULL, *p;
	size_t hdr_len, bound, clen = 0, cap = 0;
	uint32_t dict_id;
	int rc = LSN_EINTERNAL;

	*out = NULL;
	if (plain_len > STORE_MAX_RECORD)
		return lsn_fail(err, LSN_EINPUT, "record of %zu bytes is over the %u-byte cap",
		    plain_len, STORE_MAX_RECORD);
	if (label_len > UINT32_MAX / 2)
		return lsn_fail(err, LSN_EINPUT, "label too large");
	if ((s = store__scratch_get(st)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");

	pthread_mutex_lock(&st->pool_lock);
	dict_id = st->dict_current;
	pthread_mutex_unlock(&st->pool_lock);
	if (dict_id != 0 && (d = store__dict_find(st, dict_id)) == NULL)
		dict_id = 0;

	hdr_len = HDR_FIXED + label_len + 1 + SLOT_LEN + STORE__NONCE_LEN;
	bound = ZSTD_compressBound(plain_len);
	cap = hdr_len + bound + STORE__TAG_LEN;
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

	/* A fresh data key per record: each key encrypts exactly once. */
	gcry_randomize(s->dkey, STORE_KEY_LEN, GCRY_STRONG_RANDOM);
	if (gcry_cipher_encrypt(s->kw, p, STORE__WRAPPED_LEN, s->dkey, STORE_KEY_LEN))
		goto out;
	p += STORE__WRAPPED_LEN;
	gcry_create_nonce(p, STORE__NONCE_LEN);

	/* Compress straight into the ciphertext area, then encrypt in place. */
	if (d != NULL)
		clen = ZSTD_compress_usingCDict(s->cctx, rec + hdr_len, bound, plain,
		    plain_len, d->cdict);
	else
		clen = ZSTD_compressCCtx(s->cctx, rec + hdr_len, bound, plain,
		    plain_len, 3);
	if (ZSTD_isError(clen)) {
		rc = lsn_fail(err, LSN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(clen));
		goto out;
	}
	if (gcry_cipher_reset(s->gcm) ||
	    gcry_cipher_setkey(s->gcm, s->dkey, STORE_KEY_LEN) ||
	    gcry_cipher_setiv(s->gcm, p, STORE__NONCE_LEN) ||
	    gcm_aad(s->gcm, rec, hdr_len, domain, name, name_len) ||
	    gcry_cipher_final(s->gcm) ||
	    gcry_cipher_encrypt(s->gcm, rec + hdr_len, clen, NULL, 0) ||
	    gcry_cipher_gettag(s->gcm, rec + hdr_len + clen, STORE__TAG_LEN)) {
		rc = lsn_fail(err, LSN_EINTERNAL, "AES-GCM encryption failed");
		goto out;
	}
	*out_len = hdr_len + clen + STORE__TAG_LEN;
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

int
store__open(store *st, char domain, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, uint64_t *serial, uint8_t **plain,
    size_t *plain_len, const uint8_t **label, size_t *label_len, lsn_err *err)
{
	struct store__scratch *s = NULL;
	struct store__dict *d = NULL;
	const uint8_t *p, *end = rec + rec_len, *slot = NULL, *nonce;
	uint8_t *buf = NULL, *out = NULL;
	size_t hdr_len, clen = 0, ll, nslots;
	unsigned long long fsize = 0;
	uint32_t dict_id;
	size_t n;
	int rc = LSN_EINPUT;

	*plain = NULL;
	*plain_len = 0;
	/* Structure first: every length is checked against the record's end. */
	if (rec_len < HDR_FIXED || memcmp(rec, "LSR", 3) != 0)
		return lsn_fail(err, LSN_EINPUT, "not a sealed record");
	if (rec[3] != STORE_FORMAT_VERSION)
		return lsn_fail(err, LSN_EINPUT, "sealed record version %u is not supported",
		    rec[3]);
	if (rec[4] != (uint8_t)domain || rec[5] != FLAG_ZSTD)
		return lsn_fail(err, LSN_EINPUT, "sealed record fails authentication");
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
	if (slot == NULL || (size_t)(end - p) < STORE__NONCE_LEN + STORE__TAG_LEN)
		goto corrupt;
	nonce = p;
	hdr_len = (size_t)(p + STORE__NONCE_LEN - rec);
	clen = rec_len - hdr_len - STORE__TAG_LEN;

	if ((s = store__scratch_get(st)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	if (gcry_cipher_decrypt(s->kw, s->dkey, STORE_KEY_LEN, slot,
		STORE__WRAPPED_LEN))
		goto corrupt; /* the wrapped key fails its integrity check */
	if ((buf = malloc(clen ? clen : 1)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	if (gcry_cipher_reset(s->gcm) ||
	    gcry_cipher_setkey(s->gcm, s->dkey, STORE_KEY_LEN) ||
	    gcry_cipher_setiv(s->gcm, nonce, STORE__NONCE_LEN) ||
	    gcm_aad(s->gcm, rec, hdr_len, domain, name, name_len) ||
	    gcry_cipher_final(s->gcm) ||
	    gcry_cipher_decrypt(s->gcm, buf, clen, rec + hdr_len, clen) ||
	    gcry_cipher_checktag(s->gcm, rec + hdr_len + clen, STORE__TAG_LEN))
		goto corrupt;

	/* Authenticated: now the zstd frame is ours and may be trusted. */
	if (dict_id != 0 && (d = store__dict_find(st, dict_id)) == NULL) {
		rc = lsn_fail(err, LSN_EINPUT, "record names zstd dictionary %u, "
		    "which the store does not have", dict_id);
		goto out;
	}
	fsize = ZSTD_getFrameContentSize(buf, clen);
	if (fsize == ZSTD_CONTENTSIZE_ERROR || fsize == ZSTD_CONTENTSIZE_UNKNOWN ||
	    fsize > STORE_MAX_RECORD)
		goto corrupt;
	if ((out = malloc(fsize ? fsize : 1)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	n = d ? ZSTD_decompress_usingDDict(s->dctx, out, fsize, buf, clen, d->ddict)
	      : ZSTD_decompressDCtx(s->dctx, out, fsize, buf, clen);
	if (ZSTD_isError(n) || n != fsize) {
		lsn_wipe_free(out, fsize);
		out = NULL;
		goto corrupt;
	}
	*plain = out;
	*plain_len = n;
	if (serial)
		*serial = lsn_get_be64(rec + 10);
	if (label)
		*label = rec + HDR_FIXED;
	if (label_len)
		*label_len = ll;
	rc = 0;
	goto out;
corrupt:
	rc = lsn_fail(err, LSN_EINPUT, "sealed record fails authentication");
out:
	lsn_wipe_free(buf, clen);
	store__scratch_put(st, s);
	return rc;
}

int
store__aead_seal(const uint8_t key[STORE_KEY_LEN], const void *aad,
    size_t aad_len, const void *plain, size_t len, uint8_t *out)
{
	gcry_cipher_hd_t h = NULL;
	int rc = LSN_EINTERNAL;

	gcry_create_nonce(out, STORE__NONCE_LEN);
	if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
		GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(h, key, STORE_KEY_LEN) ||
	    gcry_cipher_setiv(h, out, STORE__NONCE_LEN) ||
	    gcry_cipher_authenticate(h, aad, aad_len) ||
	    gcry_cipher_final(h) ||
	    gcry_cipher_encrypt(h, out + STORE__NONCE_LEN, len, plain, len) ||
	    gcry_cipher_gettag(h, out + STORE__NONCE_LEN + len, STORE__TAG_LEN))
		goto out;
	rc = 0;
out:
	gcry_cipher_close(h);
	return rc;
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
