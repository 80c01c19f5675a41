/*
 * store/audit.c - the audit log: AES-256-GCM-encrypted entries in a keyed
 * hash chain (doc/FORMAT.md, "Audit entries").
 *
 *   key   = sequence number, 8 bytes big-endian, from 1
 *   value = version(1) time_us(8) nonce(12) ciphertext tag(16) mac(32)
 *   mac   = HMAC-SHA-256(audit MAC key,
 *               "liaison audit v1" || seq || previous mac || value sans mac)
 *
 * The chain covers the ciphertext, so verifying needs no decryption; the
 * first entry chains to a genesis MAC bound to the store id.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/internal.h"

/* An entry's header: version, time; version 2 adds the digest of the
 * principals as its commit left them (store__principals_digest), which the
 * chain MAC covers, so that principals put back from an older copy of the
 * store do not match the log's last entry (helper-28).  Version 1 entries
 * (stores written before) have none. */
#define ENTRY_HDR1 9
#define ENTRY_HDR2 (9 + STORE_MAC_LEN)
#define ENTRY_HDR_MAX ENTRY_HDR2
#define ENTRY_TAIL (STORE__NONCE_LEN + STORE__TAG_LEN + STORE_MAC_LEN)
#define CHAIN_LABEL "liaison audit v1"
#define PRINCIPALS_LABEL "liaison principals v1"

/* The header length of an entry of n bytes, 0 when malformed. */
static size_t
entry_hdr(const uint8_t *e, size_t n)
{
	size_t h = n < 1 ? 0 : e[0] == 1 ? ENTRY_HDR1 : e[0] == 2 ? ENTRY_HDR2 : 0;

	return h != 0 && n >= h + ENTRY_TAIL ? h : 0;
}

void
store__audit_genesis(store *st, uint8_t mac[STORE_MAC_LEN])
{
	static const char g[] = "liaison audit genesis";

	store__hmac(st->keys->audit_mac, g, sizeof(g) - 1, st->store_id,
	    STORE__ID_LEN, mac);
}

/* The audit MAC key in a new keyed handle, or NULL (no memory). */
static gcry_md_hd_t
mac_handle(store *st)
{
	gcry_md_hd_t h = NULL;

	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE) ||
	    gcry_md_setkey(h, st->keys->audit_mac, STORE_KEY_LEN)) {
		gcry_md_close(h);
		return NULL;
	}
	return h;
}

/* The principals' keyed digest (internal.h). */
int
store__principals_digest(store *st, MDB_txn *txn, uint8_t out[STORE_MAC_LEN])
{
	gcry_md_hd_t h;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint8_t len[8];
	int rc, op = MDB_FIRST;

	if ((h = mac_handle(st)) == NULL)
		return LSN_EINTERNAL;
	gcry_md_write(h, PRINCIPALS_LABEL, sizeof(PRINCIPALS_LABEL) - 1);
	if ((rc = mdb_cursor_open(txn, st->principals, &c)) != 0)
		goto out;
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		lsn_put_be32(len, (uint32_t)k.mv_size);
		lsn_put_be32(len + 4, (uint32_t)v.mv_size);
		gcry_md_write(h, len, 8);
		gcry_md_write(h, k.mv_data, k.mv_size);
		gcry_md_write(h, v.mv_data, v.mv_size);
	}
	if (rc == MDB_NOTFOUND) {
		rc = 0;
		memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), STORE_MAC_LEN);
	}
out:
	mdb_cursor_close(c);
	gcry_md_close(h);
	return rc;
}

/* mac over (seq, prev, body), with h (from mac_handle(); reset here) */
static void
chain_mac(gcry_md_hd_t h, uint64_t seq, const uint8_t prev[STORE_MAC_LEN],
    const uint8_t *body, size_t body_len, uint8_t out[STORE_MAC_LEN])
{
	uint8_t sb[8];

	gcry_md_reset(h); /* keeps the key */
	lsn_put_be64(sb, seq);
	gcry_md_write(h, CHAIN_LABEL, sizeof(CHAIN_LABEL) - 1);
	gcry_md_write(h, sb, 8);
	gcry_md_write(h, prev, STORE_MAC_LEN);
	gcry_md_write(h, body, body_len);
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), STORE_MAC_LEN);
}

/* The writer's keyed handles, opened with the first entry it appends (only
 * a write transaction appends, and there is one at a time). */
static int
writer_handles(store *st)
{
	if (st->audit_mac_h == NULL && (st->audit_mac_h = mac_handle(st)) == NULL)
		return LSN_EINTERNAL;
	if (st->audit_gcm_h == NULL &&
	    (gcry_cipher_open(&st->audit_gcm_h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
		 GCRY_CIPHER_SECURE) ||
		gcry_cipher_setkey(st->audit_gcm_h, st->keys->audit_enc, STORE_KEY_LEN))) {
		gcry_cipher_close(st->audit_gcm_h);
		st->audit_gcm_h = NULL;
		return LSN_EINTERNAL;
	}
	return 0;
}

void
store__audit_close(store *st)
{
	gcry_md_close(st->audit_mac_h); /* secure memory: wiped by libgcrypt */
	gcry_cipher_close(st->audit_gcm_h);
	st->audit_mac_h = NULL;
	st->audit_gcm_h = NULL;
}

/* The GCM AAD of an entry: store id, sequence number and its header (hl
 * bytes); its length. */
static size_t
entry_aad(store *st, uint64_t seq, const uint8_t *hdr, size_t hl,
    uint8_t aad[STORE__ID_LEN + 8 + ENTRY_HDR_MAX])
{
	memcpy(aad, st->store_id, STORE__ID_LEN);
	lsn_put_be64(aad + STORE__ID_LEN, seq);
	memcpy(aad + STORE__ID_LEN + 8, hdr, hl);
	return STORE__ID_LEN + 8 + hl;
}

int
store__audit_apply(store *st, MDB_txn *txn, uint64_t time_us,
    const uint8_t digest[STORE_MAC_LEN], const void *payload, size_t len, lsn_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint8_t prev[STORE_MAC_LEN], kb[8], aad[STORE__ID_LEN + 8 + ENTRY_HDR_MAX];
	uint8_t *e;
	uint64_t seq = 0;
	size_t elen = ENTRY_HDR2 + ENTRY_TAIL + len, alen;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->audit, &c)) != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND && !st->created) {
		/* Entry 1 is the store's creation, written with it: a log
		 * emptied since would otherwise start again, and verify pass
		 * (helper-28).  Nothing is done without an entry. */
		rc = lsn_fail(err, LSN_EINPUT, "the audit log holds no entry, though the "
		    "store was created with one: it was removed");
		goto out;
	} else if (rc == MDB_NOTFOUND) {
		store__audit_genesis(st, prev);
	} else if (rc != 0) {
		goto out;
	} else if (k.mv_size != 8 || entry_hdr(v.mv_data, v.mv_size) == 0) {
		rc = lsn_fail(err, LSN_EINPUT, "the audit log's last entry is corrupted");
		goto out;
	} else {
		seq = lsn_get_be64(k.mv_data);
		memcpy(prev, (uint8_t *)v.mv_data + v.mv_size - STORE_MAC_LEN, STORE_MAC_LEN);
		/* Times never go back in the log: a clock stepped (or set)
		 * back gives the last entry's time, so that "audit show
		 * --since" cannot pass over an entry (helper-28). */
		uint64_t last = lsn_get_be64((uint8_t *)v.mv_data + 1);
		if (time_us < last)
			time_us = last;
	}
	seq++;
	lsn_put_be64(kb, seq);
	k.mv_size = 8;
	k.mv_data = kb;
	v.mv_size = elen;
	if ((rc = mdb_cursor_put(c, &k, &v, MDB_APPEND | MDB_RESERVE)) != 0)
		goto out;
	e = v.mv_data;
	e[0] = 2;
	lsn_put_be64(e + 1, time_us);
	memcpy(e + ENTRY_HDR1, digest, STORE_MAC_LEN);
	alen = entry_aad(st, seq, e, ENTRY_HDR2, aad);
	if (writer_handles(st) != 0 ||
	    store__aead_seal(st->audit_gcm_h, &st->audit_nonces, aad, alen, payload, len,
		e + ENTRY_HDR2) != 0) {
		rc = lsn_fail(err, LSN_EINTERNAL, "cannot seal an audit entry");
		goto out;
	}
	chain_mac(st->audit_mac_h, seq, prev, e, elen - STORE_MAC_LEN, e + elen - STORE_MAC_LEN);
out:
	mdb_cursor_close(c);
	return rc;
}

/*
 * The one walk over the log that verify, show and export share: from entry
 * 1, recompute each entry's chain MAC and, for entries at or after from_seq
 * when fn is not NULL, decrypt the entry and hand it to fn.  An entry is
 * handed over only once its MAC verifies, so a reader never gets an entry
 * past a break, and the chain is checked over every entry whether or not
 * the caller wants it (a filter, a later from_seq).  Stops at the first
 * break: *bad_seq is the entry expected there, and the status LSN_EINPUT.
 * head_seq and head_mac receive the last entry that verified (0 and the
 * genesis MAC before the first).
 */
static int
chain_walk(store_snap *sn, uint64_t from_seq, store_audit_fn fn, void *ctx,
    uint64_t *bad_seq, uint64_t *head_seq, uint8_t head_mac[STORE_MAC_LEN],
    lsn_err *err)
{
	store *st = sn->st;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	gcry_md_hd_t h = NULL;
	uint8_t prev[STORE_MAC_LEN], mac[STORE_MAC_LEN];
	uint8_t aad[STORE__ID_LEN + 8 + ENTRY_HDR_MAX], *plain = NULL;
	size_t plen = 0, hl, alen;
	store_audit_entry e;
	uint64_t expect = 1;
	int rc, op = MDB_FIRST;

	*bad_seq = 0;
	store__audit_genesis(st, prev);
	/* One keyed handle for the walk rather than one per entry; the
	 * writer's belongs to the write transaction, and readers run beside it. */
	if ((h = mac_handle(st)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "cannot compute a MAC");
		goto out;
	}
	if ((rc = mdb_cursor_open(sn->txn, st->audit, &c)) != 0) {
		rc = store__lmdb_err(err, rc, "reading the audit log");
		goto out;
	}
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		e.seq = k.mv_size == 8 ? lsn_get_be64(k.mv_data) : 0;
		/* A gap or a strange key: the expected entry is missing. */
		if (e.seq != expect || (hl = entry_hdr(v.mv_data, v.mv_size)) == 0) {
			*bad_seq = expect;
			break;
		}
		chain_mac(h, e.seq, prev, v.mv_data, v.mv_size - STORE_MAC_LEN, mac);
		if (lsn_ct_memcmp(mac, (uint8_t *)v.mv_data + v.mv_size - STORE_MAC_LEN,
			STORE_MAC_LEN) != 0) {
			*bad_seq = e.seq;
			break;
		}
		memcpy(prev, mac, STORE_MAC_LEN);
		expect++;
		if (fn == NULL || e.seq < from_seq)
			continue;
		e.time_us = lsn_get_be64((uint8_t *)v.mv_data + 1);
		plen = v.mv_size - hl - ENTRY_TAIL;
		if ((plain = malloc(plen ? plen : 1)) == NULL) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			goto out;
		}
		/* The chain held, so the entry is as written; GCM still binds
		 * its payload to its number and to this store. */
		alen = entry_aad(st, e.seq, v.mv_data, hl, aad);
		if (store__aead_open(st->keys->audit_enc, aad, alen,
			(uint8_t *)v.mv_data + hl, v.mv_size - hl - STORE_MAC_LEN,
			plain) != 0) {
			rc = lsn_fail(err, LSN_EINPUT, "audit entry %llu fails authentication",
			    (unsigned long long)e.seq);
			goto out;
		}
		memcpy(e.mac, mac, STORE_MAC_LEN);
		e.payload = plain;
		e.payload_len = plen;
		rc = fn(ctx, &e);
		lsn_wipe_free(plain, plen);
		plain = NULL;
		if (rc != 0)
			goto out;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = store__lmdb_err(err, rc, "reading the audit log");
		goto out;
	}
	rc = 0;
	if (*bad_seq != 0)
		rc = lsn_fail(err, LSN_EINPUT, "the chain breaks at entry %llu: it was "
		    "edited, deleted, reordered or inserted", (unsigned long long)*bad_seq);
out:
	*head_seq = expect - 1;
	memcpy(head_mac, prev, STORE_MAC_LEN);
	lsn_wipe_free(plain, plen);
	mdb_cursor_close(c);
	gcry_md_close(h);
	return rc;
}

int
store_audit_iter(store_snap *sn, uint64_t from_seq, store_audit_fn fn, void *ctx,
    lsn_err *err)
{
	uint8_t head_mac[STORE_MAC_LEN];
	uint64_t bad, head;

	return chain_walk(sn, from_seq, fn, ctx, &bad, &head, head_mac, err);
}

int
store_audit_verify(store_snap *sn, uint64_t *bad_seq, uint64_t *head_seq,
    uint8_t head_mac[STORE_MAC_LEN], lsn_err *err)
{
	return chain_walk(sn, 1, NULL, NULL, bad_seq, head_seq, head_mac, err);
}

int
store_principals_check(store_snap *sn, int *last_broken, lsn_err *err)
{
	store *st = sn->st;
	MDB_cursor *c = NULL;
	MDB_val k, v, pk, pv;
	gcry_md_hd_t h = NULL;
	uint8_t prev[STORE_MAC_LEN], mac[STORE_MAC_LEN], now[STORE_MAC_LEN];
	uint64_t seq;
	int rc;

	*last_broken = 0;
	if ((rc = mdb_cursor_open(sn->txn, st->audit, &c)) != 0)
		return store__lmdb_err(err, rc, "reading the audit log");
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND) { /* a log emptied is refused at its next entry */
		rc = 0;
		goto out;
	}
	if (rc != 0) {
		rc = store__lmdb_err(err, rc, "reading the audit log");
		goto out;
	}
	if (k.mv_size != 8 || entry_hdr(v.mv_data, v.mv_size) == 0) {
		*last_broken = 1;
		rc = lsn_fail(err, LSN_EINPUT, "the audit log's last entry is corrupted");
		goto out;
	}
	if (((const uint8_t *)v.mv_data)[0] == 1) /* written before digests */
		goto out;
	/* The entry is as written (its MAC, from the one before it), so its
	 * digest is the one its commit computed. */
	seq = lsn_get_be64(k.mv_data);
	if (seq == 1) {
		store__audit_genesis(st, prev);
	} else if ((rc = mdb_cursor_get(c, &pk, &pv, MDB_PREV)) != 0 || pk.mv_size != 8 ||
	    lsn_get_be64(pk.mv_data) != seq - 1 || pv.mv_size < STORE_MAC_LEN) {
		*last_broken = 1;
		rc = lsn_fail(err, LSN_EINPUT, "the audit log breaks before its last entry");
		goto out;
	} else {
		memcpy(prev, (uint8_t *)pv.mv_data + pv.mv_size - STORE_MAC_LEN, STORE_MAC_LEN);
	}
	if ((h = mac_handle(st)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "cannot compute a MAC");
		goto out;
	}
	chain_mac(h, seq, prev, v.mv_data, v.mv_size - STORE_MAC_LEN, mac);
	if (lsn_ct_memcmp(mac, (uint8_t *)v.mv_data + v.mv_size - STORE_MAC_LEN,
		STORE_MAC_LEN) != 0) {
		*last_broken = 1;
		rc = lsn_fail(err, LSN_EINPUT, "the audit log's last entry (%llu) does not "
		    "verify: it was edited, deleted, reordered or inserted",
		    (unsigned long long)seq);
		goto out;
	}
	if ((rc = store__principals_digest(st, sn->txn, now)) != 0) {
		rc = store__lmdb_err(err, rc, "reading principals");
		goto out;
	}
	if (lsn_ct_memcmp(now, (uint8_t *)v.mv_data + ENTRY_HDR1, STORE_MAC_LEN) != 0)
		rc = lsn_fail(err, LSN_EINPUT, "the principals do not match the audit log "
		    "(entry %llu): they were changed outside liaison, perhaps put back from "
		    "an older copy of the store", (unsigned long long)seq);
out:
	gcry_md_close(h);
	mdb_cursor_close(c);
	return rc;
}

int
store_audit_entry_mac(store_snap *sn, uint64_t seq, uint8_t mac[STORE_MAC_LEN],
    lsn_err *err)
{
	MDB_val k, v;
	uint8_t kb[8];
	int rc;

	if (seq == 0) {
		store__audit_genesis(sn->st, mac);
		return 0;
	}
	lsn_put_be64(kb, seq);
	k.mv_size = 8;
	k.mv_data = kb;
	if ((rc = mdb_get(sn->txn, sn->st->audit, &k, &v)) == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "the audit log has no entry %llu",
		    (unsigned long long)seq);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading the audit log");
	if (entry_hdr(v.mv_data, v.mv_size) == 0)
		return lsn_fail(err, LSN_EINPUT, "audit entry %llu is corrupted",
		    (unsigned long long)seq);
	memcpy(mac, (uint8_t *)v.mv_data + v.mv_size - STORE_MAC_LEN, STORE_MAC_LEN);
	return 0;
}

uint64_t
store_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Append "key":"escaped" (with a leading comma unless first). */
static char *
put_str(char *p, const char *key, const char *val, int *first)
{
	p += sprintf(p, "%s\"%s\":\"", *first ? "" : ",", key);
	p = lsn_json_escape(p, val);
	*p++ = '"';
	*first = 0;
	return p;
}

int
store_batch_audit_event(store_batch *b, const store_audit_event *e, lsn_err *err)
{
	const char *keys[] = { "principal", "action", "outcome", "reason", "detail" };
	const char *vals[] = { e->principal, e->action, e->outcome, e->reason, e->detail };
	size_t n = 64; /* braces, numbers, objects key */
	char *buf, *p;
	int first = 1, rc;

	/* Size exactly, then fill: the payload may hold sensitive query text. */
	for (size_t i = 0; i < 5; i++)
		if (vals[i] != NULL)
			n += strlen(keys[i]) + 6 + lsn_json_escaped_len(vals[i]);
	for (size_t i = 0; i < e->nobjects; i++)
		n += 3 + lsn_json_escaped_len(e->objects[i]);
	n += 2 * 32;
	if ((buf = malloc(n)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	p = buf;
	*p++ = '{';
	for (size_t i = 0; i < 5; i++)
		if (vals[i] != NULL)
			p = put_str(p, keys[i], vals[i], &first);
	if (e->nobjects > 0) {
		p += sprintf(p, "%s\"objects\":[", first ? "" : ",");
		first = 0;
		for (size_t i = 0; i < e->nobjects; i++) {
			p += sprintf(p, "%s\"", i ? "," : "");
			p = lsn_json_escape(p, e->objects[i]);
			*p++ = '"';
		}
		*p++ = ']';
	}
	if (e->hits >= 0)
		p += sprintf(p, "%s\"hits\":%" PRId64, first ? "" : ",", e->hits), first = 0;
	if (e->withheld >= 0)
		p += sprintf(p, "%s\"withheld\":%" PRId64, first ? "" : ",", e->withheld);
	*p++ = '}';
	*p = '\0';
	rc = store_batch_audit(b, e->time_us ? e->time_us : store_now_us(), buf,
	    (size_t)(p - buf), err);
	lsn_wipe_free(buf, n);
	return rc;
}
