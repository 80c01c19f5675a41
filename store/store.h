/*
 * store/store.h - the encrypted LMDB store: sealed records, postings,
 * principals and the audit chain.
 *
 * store/ knows nothing of XML or of what markings mean.  It keeps:
 *   - sealed records: zstd-compressed, AES-256-GCM-encrypted blobs, each
 *     under its own random data key wrapped (AES key wrap) into a list of key
 *     slots; the AAD binds the record's id, serial number, label bytes and
 *     slots (doc/FORMAT.md describes every byte);
 *   - label bytes it binds but does not interpret;
 *   - posting blocks under blinded terms (HMAC-SHA-256 under the index key);
 *   - principals, as opaque sealed bytes;
 *   - the audit log: encrypted entries in a keyed hash chain.
 *
 * Keys: a 256-bit master key (key file or Argon2id passphrase) from which
 * HKDF-SHA-256 derives the record-wrapping, index, audit-MAC, audit-
 * encryption and key-check subkeys.  All key material lives in libgcrypt
 * secure memory and is wiped on every path.
 *
 * Threads: a store handle may be shared by threads.  store_seal(),
 * store_blind() and the read functions may run concurrently.  A snapshot
 * (store_snap) is used by one thread at a time.  Batches are committed by
 * one writer thread at a time (commits are serialised internally).
 *
 * Every function returns 0 or a negative lsn_status (common/common.h) and,
 * on failure, leaves a one-line reason in *err when err is not NULL.
 */
#ifndef LSN_STORE_H
#define LSN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* The version byte of sealed records and blocks this build reads and
 * writes. */
#define STORE_FORMAT_VERSION 1u

/* The store's layout (meta "format"): 2 keeps records by serial, with the
 * reports database an index from id to serial (doc/FORMAT.md section 4);
 * layout 1 kept the records themselves under their ids. */
#define STORE_LAYOUT 2u

/* Sizes of the public pieces of the format. */
#define STORE_KEY_LEN 32    /* master key and subkeys */
#define STORE_BLIND_LEN 32  /* a blinded term */
#define STORE_MAC_LEN 32    /* an audit chain MAC */
#define STORE_MAX_RECORD (64u << 20) /* plaintext cap of one record */
#define STORE_MAX_ID 255    /* bytes in a record id or principal name */
#define STORE_MAX_SEGMENTS 65535u /* segments in one record */

typedef struct store store;

/*
 * A record's plaintext is a list of segments, each compressed and
 * encrypted on its own, so that a reader decrypts only what it may read
 * (ingest/ puts a report's skeleton in segment 0 and each portion in its
 * own segment).
 */
typedef struct store_seg {
	const void *data;
	size_t len;
} store_seg;
typedef struct store_snap store_snap;
typedef struct store_batch store_batch;

/* Where the master key comes from. */
typedef struct store_keysrc {
	/*
	 * The key file (32 raw bytes).  NULL means "<store dir>.key".
	 * Ignored when passphrase is set.
	 */
	const char *key_file;
	/* A passphrase for Argon2id, or NULL to use the key file. */
	const char *passphrase;
	size_t passphrase_len;
} store_keysrc;

/* Options for store_create() and store_open(); zero means the default. */
typedef struct store_opts {
	/* Initial LMDB map size in bytes (default 1 GiB); it grows on demand. */
	size_t map_size;
	/* Train a zstd dictionary once this many records exist (default 1000). */
	unsigned dict_threshold;
	/* Argon2id cost at create time: memory in KiB (default 65536), passes (3). */
	unsigned long kdf_memory_kib;
	unsigned long kdf_passes;
	/*
	 * Called with a one-line warning (a key file readable by others, ...);
	 * may be NULL.
	 */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
} store_opts;

/*
 * Initialise libgcrypt (version check, secure memory).  store_create() and
 * store_open() call it; call it yourself before allocating secure memory
 * with gcry_malloc_secure() ahead of them.  Idempotent and thread-safe.
 * Returns 0, LSN_EINTERNAL (libgcrypt too old).
 */
int store_init(lsn_err *err);

/*
 * Make a read fault on st's map map one page (on), not the folio of the
 * page cache it falls in (up to 2 MiB once a backup has read the file in
 * order), or go back to what the kernel does by default (off): for a
 * process that reads much of a large store scattered and must stay small
 * (ingest).  It takes more faults, one a page read (store/map.c); but
 * while a merge walks a slice of the recent postings (store_recent_slice),
 * whose leaves lie side by side, a fault maps its neighbours, under the
 * same bound of pages mapped.  Returns
 * 1 when faults map one page, 0 when they do not (off, or the kernel
 * refused: Linux before 6.7, or userfaultfd unavailable).
 */
int store_map_one_page_faults(store *st, int on);

/*
 * Create a new store in directory dir (created with mode 0700 if missing;
 * an existing one must be an empty directory, and its mode is set to 0700)
 * and its master key:
 *   - with ks->passphrase: derive the key with Argon2id under a random salt
 *     and keep the salt and cost parameters in meta;
 *   - otherwise create the key file with O_EXCL|O_NOFOLLOW, mode 0600, from
 *     32 bytes of strong randomness, never overwriting an existing file.
 * Records the format version, a random store id and the key check value.
 * On failure nothing created by this call is left behind.
 *
 * out:  receives the open store, to be closed with store_close().
 * Returns 0, LSN_EEXISTS (a store or key file is already there, or dir
 * is not an empty directory), LSN_EINPUT (empty passphrase), LSN_EIO.
 */
int store_create(store **out, const char *dir, const store_keysrc *ks,
    const store_opts *opts, lsn_err *err);

/*
 * Open an existing store.  The key is checked against meta's key check
 * value before any record is read or anything is written.
 * Returns 0, LSN_ENOTFOUND (no store at dir: no directory, or no data.mdb
 * in it; or no key file),
 * LSN_EDENIED (wrong key), LSN_EINPUT (not a liaison store, corrupted,
 * key file of the wrong size, format version newer than this build),
 * LSN_EIO.
 */
int store_open(store **out, const char *dir, const store_keysrc *ks,
    const store_opts *opts, lsn_err *err);

/* Close the store and wipe its keys.  NULL is a no-op. */
void store_close(store *st);

/* The default key file path for dir ("<dir>.key", dir without trailing
 * slashes); the caller frees the result.  NULL on allocation failure. */
char *store_default_key_file(const char *dir);

/* The store's random 16-byte id (borrowed, lives as long as st). */
const uint8_t *store_id(const store *st);

/* ---- sealing (thread-safe, no LMDB access) ---- */

/*
 * Blind a search term: HMAC-SHA-256 under the index subkey.
 * out receives STORE_BLIND_LEN bytes.  Cannot fail.
 */
void store_blind(store *st, const void *term, size_t len,
    uint8_t out[STORE_BLIND_LEN]);

/*
 * A blinder: store_blind() for one thread, holding its own keyed HMAC
 * state (no lock, no pool).  Free with store_blinder_free(), which wipes it.
 * NULL from store_blinder_new() means out of memory.
 */
typedef struct store_blinder store_blinder;
store_blinder *store_blinder_new(store *st);
void store_blinder_blind(store_blinder *b, const void *term, size_t len,
    uint8_t out[STORE_BLIND_LEN]);
void store_blinder_free(store_blinder *b);

/*
 * A keyed fingerprint of a record's content: HMAC-SHA-256 under the index
 * subkey over the segments (each with its length), domain-separated from
 * store_blind().  Equal content gives equal fingerprints in one store;
 * nothing about the content can be learned from it without the key.
 */
void store_fingerprint(store *st, const store_seg *segs, size_t nseg,
    uint8_t out[STORE_BLIND_LEN]);

/* ---- reading ---- */

/*
 * Begin a consistent read snapshot (an LMDB read transaction).  All reads
 * through it see the store as of this moment.  End it with store_snap_end().
 * Returns 0, LSN_EIO.
 */
int store_snap_begin(store *st, store_snap **out, lsn_err *err);
void store_snap_end(store_snap *sn);
/*
 * Mark sn as a bulk reader: it will look up many records by id in no
 * particular order (ingest's check for reports already stored).  Its
 * lookups then count, like records written, toward dropping this process's
 * mapping of the store once the mapped pages have grown by 8 MiB, so that
 * its resident set stays bounded (doc/FORMAT.md section 8).  A query keeps
 * its pages mapped.
 */
void store_snap_bulk(store_snap *sn);

/* An opened record.  Free with store_record_free(), which wipes it. */
typedef struct store_record {
	uint64_t serial;
	size_t nseg;
	uint8_t **seg;      /* seg[i]: segment i's plaintext, NULL if not asked for */
	size_t *seg_len;
	uint8_t *label;     /* the authenticated label bytes */
	size_t label_len;
} store_record;

/*
 * Open the record with this id, decrypting only the segments i for which
 * want[i] is nonzero (i < nwant); want NULL decrypts them all.  Every
 * decrypted segment is authenticated, and so is the label (with the whole
 * header) whenever at least one segment is decrypted.
 *   out: owned by the caller; release with store_record_free().
 * Returns 0, LSN_ENOTFOUND, LSN_EINPUT (the record fails authentication:
 * tampered, moved, or sealed under another key), LSN_EIO.
 */
int store_record_get(store_snap *sn, const char *id, const uint8_t *want,
    size_t nwant, store_record **out, lsn_err *err);

/*
 * The same, for the record stored under serial, which must be report id's:
 * a record is sealed under its id, so one of another report fails
 * authentication (LSN_EINPUT).  For a caller that has the serial already
 * (from store_record_peek(), store_serial_lookup() or the postings): one
 * lookup, not the id index's and then the record's.
 */
int store_record_get_serial(store_snap *sn, uint64_t serial, const char *id,
    const uint8_t *want, size_t nwant, store_record **out, lsn_err *err);

/* Wipe and free an opened record.  NULL is a no-op. */
void store_record_free(store_record *r);

/*
 * Look up a record's serial number and label without decrypting it.  The
 * label is NOT authenticated here: decide on it, then store_record_get()
 * authenticates the same bytes before anything is shown.
 *   label: borrowed; valid until the snapshot ends.
 * Returns 0, LSN_ENOTFOUND, LSN_EINPUT (corrupted entry).
 */
int store_record_peek(store_snap *sn, const char *id, uint64_t *serial,
    const uint8_t **label, size_t *label_len, lsn_err *err);

/*
 * The same for report id if it is stored (*exact 1), else for the report
 * whose id follows it in the id index, or the first one past the last
 * (*exact 0), with that report's id in near: the same lookups either way,
 * so that a reader can answer a missing id in the time it takes to answer
 * one it may not read (query_get decides near's label, then says no
 * report).  Returns 0, LSN_ENOTFOUND (the store holds no report),
 * LSN_EINPUT (a bad id, a corrupted entry).
 */
int store_record_peek_near(store_snap *sn, const char *id, char near[STORE_MAX_ID + 1],
    int *exact, uint64_t *serial, const uint8_t **label, size_t *label_len, lsn_err *err);

/*
 * Find a record by serial number (the labels index).
 *   id:    borrowed, NUL-terminated, valid until the snapshot ends.
 *   label: borrowed, as for store_record_peek().
 * Returns 0, LSN_ENOTFOUND, LSN_EINPUT.
 */
int store_serial_lookup(store_snap *sn, uint64_t serial, const char **id,
    const uint8_t **label, size_t *label_len, lsn_err *err);

/*
 * Call fn for every record in serial order, without decrypting.  fn returns
 * 0 to continue, anything else to stop (that value is returned).  id and
 * label are borrowed for the duration of the call.
 */
typedef int (*store_record_fn)(void *ctx, uint64_t serial, const char *id,
    const uint8_t *label, size_t label_len);
int store_record_iter(store_snap *sn, store_record_fn fn, void *ctx,
    lsn_err *err);

/* Number of records in the snapshot. */
uint64_t store_record_count(store_snap *sn);

/*
 * Call fn with every report id in the snapshot, in key order (the id index
 * alone: no record is read).  id is borrowed for the call and is not
 * NUL-terminated.  The pages read are dropped from the map as a bulk
 * reader's are (store_snap_bulk), and all of them when the scan ends, so a
 * scan of a large store does not stay resident.  fn returns 0 to go on,
 * nonzero to stop (returned).
 * Returns 0, LSN_EIO, or fn's value.
 */
typedef int (*store_id_fn)(void *ctx, const char *id, size_t len);
int store_report_ids(store_snap *sn, store_id_fn fn, void *ctx, lsn_err *err);

/* What an operator may know about a store without reading any record. */
typedef struct store_info {
	uint32_t format;          /* on-disk format version */
	int passphrase;           /* 1: Argon2id passphrase, 0: key file */
	unsigned long kdf_memory_kib, kdf_passes; /* Argon2id cost */
	uint64_t records, principals, audit_entries, posting_blocks;
	uint64_t posting_packs; /* packs of small blocks, counted apart */
	uint64_t next_serial;
	uint32_t dict_current;    /* 0: no zstd dictionary yet */
	size_t map_size, file_size, page_size;
} store_info;

/* Fill info from the snapshot.  Returns 0, LSN_EIO. */
int store_info_get(store_snap *sn, store_info *info, lsn_err *err);

/*
 * Call fn for each posting block of a blinded term, oldest batch first.
 * block is the opened plaintext, borrowed for the call (wiped afterwards).
 * fn returns 0 to continue, nonzero to stop.
 * Returns 0 (also when the term has no postings), LSN_EINPUT (a block
 * fails authentication), or fn's nonzero value.
 */
typedef int (*store_postings_fn)(void *ctx, const uint8_t *block, size_t len);
/* After each frame (store_postings_read_batch): 0 to stop, 1 to open
 * frame *next, which begins at byte *at of the sealed block; both are
 * preset to the frame that follows (past the last frame: the end, as 0;
 * a reader skips the frames it has no
 * use for, and opens the others in the order it needs them).  A frame's
 * sealed length is its plaintext's plus STORE_FRAME_OVERHEAD; a frame is
 * authenticated with its index, and one that is not at *at or not frame
 * *next is refused, and so is more plaintext than the block holds (a
 * frame opened twice). */
typedef int (*store_more_fn)(void *ctx, const uint8_t *frame, size_t len, uint32_t *next,
    size_t *at);
#define STORE_FRAME_OVERHEAD 37
int store_postings_get(store_snap *sn, const uint8_t term[STORE_BLIND_LEN],
    store_postings_fn fn, void *ctx, lsn_err *err);

/*
 * The same, one batch at a time, for readers that work batch by batch
 * (every posting of a report is in the batch that stored it).  Batches are
 * numbered from 1 to store_postings_batches() - 1; a batch may hold no
 * block for the term (fn is then not called).
 */
uint64_t store_postings_batches(store_snap *sn);
/* The number of the last merge (store_batch_merge_slice), 0 for none:
 * the batches after it are the recent ones. */
uint64_t store_postings_merged_upto(store_snap *sn);
int store_postings_get_batch(store_snap *sn, const uint8_t term[STORE_BLIND_LEN],
    uint64_t batch, store_postings_fn fn, void *ctx, lsn_err *err);
/*
 * The same opened straight into the caller's buffer *buf (room for *cap
 * bytes; one too small is wiped, freed and replaced), for a reader that
 * keeps the block: *len is its length, 0 when the batch holds no block for
 * the term.  A block is one or more frames (store_blocks_put), opened in
 * order: after each, more(mctx, frame, length, ...) says which to open
 * next or to stop there (store_more_fn); NULL opens them all, in order.
 * The opened frames' plaintexts follow each other in *buf, in the order
 * they were opened.  The caller wipes and frees *buf (lsn_wipe_free(*buf, *cap)).
 * Returns 0, LSN_EINPUT (fails authentication: nothing of it is left in
 * *buf), LSN_EIO, LSN_EINTERNAL.
 */
int store_postings_read_batch(store_snap *sn, const uint8_t term[STORE_BLIND_LEN],
    uint64_t batch, uint8_t **buf, size_t *cap, size_t *len, store_more_fn more,
    void *mctx, lsn_err *err);

/*
 * Index entries: small blocks numbered from 1 that postings refer to (for
 * ingest/ and query/, the distinct portion markings).  Kept beside the
 * posting blocks under batch number 0, sealed the same way.
 * store_index_entry_get: fn is called once with the opened bytes; returns
 * 0, LSN_ENOTFOUND, LSN_EINPUT (fails authentication) or fn's value.
 * store_index_entry_iter: every entry in id order, as above.
 */
int store_index_entry_get(store_snap *sn, uint32_t id, store_postings_fn fn,
    void *ctx, lsn_err *err);
/* The index head, as store_index_entry_get (LSN_ENOTFOUND: none yet). */
int store_index_head_get(store_snap *sn, store_postings_fn fn, void *ctx, lsn_err *err);
typedef int (*store_entry_fn)(void *ctx, uint32_t id, const uint8_t *data, size_t len);
int store_index_entry_iter(store_snap *sn, store_entry_fn fn, void *ctx, lsn_err *err);

/*
 * Open a principal's bytes by name.
 *   data: owned by the caller; release with lsn_wipe_free(data, len).
 * Returns 0, LSN_ENOTFOUND, LSN_EINPUT.
 */
int store_principal_get(store_snap *sn, const char *name, uint8_t **data,
    size_t *len, lsn_err *err);

/* Call fn for every principal, in name order; data borrowed for the call. */
typedef int (*store_principal_fn)(void *ctx, const char *name,
    const uint8_t *data, size_t len);
int store_principal_iter(store_snap *sn, store_principal_fn fn, void *ctx,
    lsn_err *err);

/*
 * Read a meta value that a higher layer stored with store_batch_put_meta()
 * (names are namespaced: "data/...").  value is malloc'd, caller frees.
 * Returns 0, LSN_ENOTFOUND.
 */
int store_meta_get(store_snap *sn, const char *name, uint8_t **value,
    size_t *len, lsn_err *err);

/* ---- the audit chain ---- */

/* One audit entry as read back. */
typedef struct store_audit_entry {
	uint64_t seq;       /* 1, 2, ... */
	uint64_t time_us;   /* UTC microseconds since the epoch */
	const uint8_t *payload; /* decrypted; borrowed for the callback */
	size_t payload_len;
	uint8_t mac[STORE_MAC_LEN];
} store_audit_entry;

/*
 * Call fn for each audit entry with seq >= from_seq, decrypted, in order.
 * The chain is recomputed from entry 1 as store_audit_verify() does, over
 * the entries before from_seq too, and an entry reaches fn only once its
 * MAC verifies: the walk stops at the first entry that is edited, missing,
 * reordered or inserted, after fn has had the ones before it.  e->mac is
 * the entry's verified chain MAC.  fn returns 0 to continue.
 * Returns 0, LSN_EINPUT (the chain breaks: err says "the chain breaks at
 * entry N: ...", as store_audit_verify's; or an entry fails decryption),
 * LSN_EIO, LSN_EINTERNAL, or fn's value.
 */
typedef int (*store_audit_fn)(void *ctx, const store_audit_entry *e);
int store_audit_iter(store_snap *sn, uint64_t from_seq, store_audit_fn fn,
    void *ctx, lsn_err *err);

/*
 * Recompute the audit chain without decrypting anything.
 *   bad_seq:  receives the first sequence number whose entry is edited,
 *             missing, reordered or inserted (0 when the chain is whole).
 *   head_seq, head_mac: receive the last entry's sequence and MAC
 *             (0 and the genesis MAC for an empty log).
 * Returns 0 when the chain verifies, LSN_EINPUT when it does not (bad_seq
 * set; err says "the chain breaks at entry N: it was edited, deleted,
 * reordered or inserted"), LSN_EIO, LSN_EINTERNAL.
 */
/*
 * The principals are as the audit log's last entry says its commit left
 * them (its digest of them, under the chain's MAC): 0; LSN_EINPUT when
 * they are not (a principal record put back from an older copy of the
 * store would enable a disabled principal again), and LSN_EINPUT with
 * *last_broken set when the last entry does not verify against the one
 * before it (then nothing is known of the principals; audit verify names
 * the first broken entry).  A store whose last entry was written before
 * entries carried the digest passes.
 */
int store_principals_check(store_snap *sn, int *last_broken, lsn_err *err);
int store_audit_verify(store_snap *sn, uint64_t *bad_seq, uint64_t *head_seq,
    uint8_t head_mac[STORE_MAC_LEN], lsn_err *err);

/*
 * The chain MAC stored with audit entry seq, without decrypting or
 * verifying anything (compare it with a head noted earlier, after
 * store_audit_verify() has checked the chain up to there).  seq 0 gives the
 * genesis MAC, which the first entry chains to.
 *   mac: receives STORE_MAC_LEN bytes.
 * Returns 0, LSN_ENOTFOUND (no entry seq), LSN_EINPUT (the entry is too
 * short to hold a MAC), LSN_EIO.
 */
int store_audit_entry_mac(store_snap *sn, uint64_t seq,
    uint8_t mac[STORE_MAC_LEN], lsn_err *err);

/* ---- writing ---- */

/*
 * Begin a batch of writes.  Puts seal their data immediately (in the
 * calling thread) and queue the sealed bytes; store_batch_commit() applies
 * them all in one LMDB write transaction, growing the map and retrying on
 * MDB_MAP_FULL, so either every queued write lands or none does.
 * Returns 0, LSN_EINTERNAL (out of memory).
 */
int store_batch_new(store *st, store_batch **out, lsn_err *err);

/* Free a batch; uncommitted writes are dropped.  NULL is a no-op. */
void store_batch_free(store_batch *b);

/*
 * Queue a new record: seal segs[0..nseg) under a fresh data key, binding
 * id, its serial number and label.  The record gets the next serial number,
 * returned in *serial (may be NULL).  Putting an id that already exists
 * makes the commit fail with LSN_EEXISTS: records are never overwritten,
 * so a caller checks with store_record_peek() first.
 * Returns 0, LSN_EINPUT (id empty or too long, no segment or too many,
 * plaintext over the cap), LSN_EINTERNAL.
 */
int store_batch_put_record(store_batch *b, const char *id,
    const store_seg *segs, size_t nseg, const void *label, size_t label_len,
    uint64_t *serial, lsn_err *err);

/*
 * Seal a record outside any batch (thread-safe: ingest's workers do this),
 * for store_batch_put_sealed() later, under serial number *serial: one
 * store_serial_take() gave, or, when *serial is 0, one taken now (and set
 * in *serial).  *out owned by the caller until put.
 * Returns as store_batch_put_record().
 */
typedef struct store_sealed store_sealed;
int store_seal_record(store *st, const char *id, const store_seg *segs,
    size_t nseg, const void *label, size_t label_len, store_sealed **out,
    uint64_t *serial, lsn_err *err);
/* Take the next serial number (thread-safe; never given again, whether or
 * not a record is stored under it).  Serials order reports of one date
 * ("ingest order"), so a caller that seals in parallel takes them in the
 * order of its input, not as sealing finishes. */
uint64_t store_serial_take(store *st);
void store_sealed_free(store_sealed *s);

/* Queue a sealed record; takes ownership of s, also on failure. */
int store_batch_put_sealed(store_batch *b, store_sealed *s, lsn_err *err);

/*
 * Take the store's record-writer lock (an flock on DIR/writer.lock), held
 * until store_close().  Writers of records take it for their whole run so
 * that their duplicate checks cannot race another process's commits.
 * Blocks while another process holds it.  Returns 0, LSN_EIO.
 */
int store_lock_writer(store *st, lsn_err *err);

/* Queue the deletion of a record (no-op at commit if it does not exist). */
int store_batch_del_record(store_batch *b, const char *id, lsn_err *err);

/*
 * Queue the posting block of a blinded term for this batch (one block per
 * term and batch: a second put for the same term replaces the first).
 * Blocks are keyed (batch number, term): a batch's blocks are appended
 * after every earlier batch's, so a commit touches only the end of the
 * postings tree however large the store is, and a term's blocks are found
 * with one exact lookup per batch.  The block is sealed under the postings
 * subkey; its content is the caller's (ingest/ and query/ agree on it).
 */
int store_batch_put_postings(store_batch *b,
    const uint8_t term[STORE_BLIND_LEN], const void *block, size_t len,
    lsn_err *err);

/*
 * The number of b's posting blocks (store_postings_get_batch): given by
 * its first store_batch_put_postings (or store_batch_postings_number), 0
 * before.
 */
uint64_t store_batch_number(const store_batch *b);

/* b's posting batch number, given now if it has none yet. */
uint64_t store_batch_postings_number(store_batch *b);

/*
 * Posting blocks sealed apart from a batch, by any thread (one thread per
 * store_blocks at a time), so that a batch's blocks can be sealed in
 * parallel: put a batch's blocks into several store_blocks, each in term
 * order and each after the one before, then add them to the batch in that
 * order.  The batch borrows bl's blocks: bl must stay unchanged until the
 * batch is committed or freed.  store_blocks_clear() empties bl for reuse
 * (its memory stays); it holds ciphertext only, but for the pack being
 * filled (wiped).  A block is sealed in frames that end at ends[0..nends)
 * (the last at len; nends 0: one frame), so that a reader can open its
 * first frames only (store_postings_read_batch).  A block of one frame and
 * at most 128 bytes is not sealed on its own: it goes into a pack with the
 * next terms' small blocks of its batch and slice, about 15 a pack,
 * sealed by store_batch_add_blocks.  Readers find it as any block.
 */
typedef struct store_blocks store_blocks;
store_blocks *store_blocks_new(store *st);
void store_blocks_clear(store_blocks *bl);
void store_blocks_free(store_blocks *bl);
int store_blocks_put(store_blocks *bl, uint64_t number,
    const uint8_t term[STORE_BLIND_LEN], const void *block, size_t len,
    const uint32_t *ends, size_t nends, lsn_err *err);
int store_batch_add_blocks(store_batch *b, store_blocks *bl, lsn_err *err);

/*
 * Merges.  A batch's posting blocks are kept with the other recent
 * batches' (in databases of their own, one per slice below) until a merge
 * moves them all into one batch, so that a query reads one block a term
 * for many batches.  A merge goes slice by slice of the term space
 * (STORE_MERGE_SLICES of them, by the first 4 bits of the blinded term),
 * each slice in a batch of its own, which holds no blocks of its own
 * (store_batch_put_postings refuses them), so that its memory is a
 * slice's:
 *   - its number, above every batch it merges, comes first:
 *     store_merge_number() (or store_batch_merge_slice with *into 0);
 *     batches numbered after it may be committed while it goes on, and
 *     are not its;
 *   - store_recent_slice(sn, slice, into, ...) lists the recent blocks of
 *     a slice of the batches before into, term by term, each term's
 *     oldest batch first (pointing into the snapshot);
 *   - the caller opens them (store_block_open), merges each term's into
 *     one block and puts it with store_blocks_put() under batch number
 *     into;
 *   - store_batch_merge_slice(b, &into, slice) and store_batch_add_blocks
 *     queue them; the commit records the slices done and empties the
 *     slice's recent databases of the batches before into.  After the
 *     last, only batches after into hold recent blocks.
 * A reader finds each term's blocks in exactly one place meanwhile: those
 * of a slice done under the merge's number, the others under their
 * batches'.  A merge left unfinished (a crash) is finished by the next
 * (store_postings_merging), with the same number.
 */
#define STORE_MERGE_SLICES 16
typedef struct store_recent_ent {
	const uint8_t *key; /* batch number (8) and term (a copy) */
	const uint8_t *val; /* the sealed block, or (plain) the block */
	size_t len;
	int plain;          /* a small block, opened with its pack */
} store_recent_ent;
typedef struct store_recent {
	store_recent_ent *e;
	size_t n;
	uint8_t *plain;     /* the opened packs' blocks */
	size_t plain_len;
	uint8_t *keys;      /* the sealed blocks' keys */
} store_recent;
int store_recent_slice(store_snap *sn, unsigned slice, uint64_t below, store_recent *out,
    lsn_err *err);
/* Free what store_recent_slice() gave (the opened blocks wiped). */
void store_recent_free(store_recent *r);
/* Open a block found by store_recent_slice() (any thread): as
 * store_postings_read_batch, every frame. */
int store_block_open(store *st, const store_recent_ent *e, uint8_t **buf, size_t *cap,
    size_t *len, lsn_err *err);
int store_batch_merge_slice(store_batch *b, uint64_t *into, unsigned slice, lsn_err *err);
/* A new merge's number: above every batch numbered so far (any thread). */
uint64_t store_merge_number(store *st);
/* A merge under way: 1 and its number and the slices done, or 0. */
int store_postings_merging(store_snap *sn, uint64_t *into, unsigned *slices_done);

/*
 * The index head: one value beside the index entries (kept as entry 0,
 * sealed the same way) that ingest/ rewrites with each batch and query/
 * reads once per query.  Its content is theirs.
 */
int store_batch_put_index_head(store_batch *b, const void *data, size_t len,
    lsn_err *err);

/* Queue index entry id (1 and up; see store_index_entry_get), sealed. */
int store_batch_put_index_entry(store_batch *b, uint32_t id, const void *data,
    size_t len, lsn_err *err);

/*
 * A condition the commit checks first, inside its write transaction (under
 * LMDB's one-writer lock, across processes): fn reads the store through sn
 * (valid during the call only; every store_snap reader works on it) and
 * returns 0 to go on, or a status with err set, which the commit returns
 * having written nothing.  For a decision made on what a snapshot read,
 * which another process may have changed before the commit (two officers
 * disabling each other, two adds of one name).  One per batch; NULL: none.
 */
typedef int (*store_batch_check_fn)(void *ctx, store_snap *sn, lsn_err *err);
void store_batch_check(store_batch *b, store_batch_check_fn fn, void *ctx);

/* Queue a principal (insert or replace), sealed. */
int store_batch_put_principal(store_batch *b, const char *name,
    const void *data, size_t len, lsn_err *err);

/* Queue a meta value (insert or replace), stored in clear: no secrets. */
int store_batch_put_meta(store_batch *b, const char *name, const void *value,
    size_t len, lsn_err *err);

/*
 * Queue an audit entry.  At commit it is encrypted under the audit key,
 * numbered after the current head and chained to it, in the same
 * transaction as the batch's other writes.
 */
int store_batch_audit(store_batch *b, uint64_t time_us, const void *payload,
    size_t len, lsn_err *err);

/*
 * An audit event: what higher layers record.  Strings may be NULL (left
 * out).  Actions and outcomes use the ODNI AUDIT vocabulary where it fits
 * (actions READ, RETRIEVE, ACCESS_DECISION, EXPORT, CREATE, MODIFY, ...;
 * outcomes SUCCESS, FAILURE, GRANT, DENY).
 */
typedef struct store_audit_event {
	uint64_t time_us;        /* 0: now */
	const char *principal;   /* who */
	const char *action;      /* what was done */
	const char *outcome;     /* how it ended */
	const char *const *objects; /* report ids, principal names, ... */
	size_t nobjects;
	const char *reason;      /* why (a denial's rule, an error) */
	const char *detail;      /* e.g. the query text */
	int64_t hits, withheld;  /* query results; -1: not applicable */
} store_audit_event;

/*
 * Queue an audit event: encoded as one JSON object (keys principal,
 * action, outcome, objects, reason, detail, hits, withheld), then as
 * store_batch_audit().  Returns 0, LSN_EINTERNAL.
 */
int store_batch_audit_event(store_batch *b, const store_audit_event *e,
    lsn_err *err);

/* The current time in microseconds since the epoch (UTC). */
uint64_t store_now_us(void);

/* Number of writes queued. */
size_t store_batch_size(const store_batch *b);

/*
 * Apply every queued write in one transaction, durably.  After a successful
 * commit the batch is empty and may be reused.  When the store has no zstd
 * dictionary and has reached the training threshold, one is trained after
 * the commit (a failure to train is not an error: records still seal).
 * Returns 0, LSN_EEXISTS (a put_record id exists; nothing was written),
 * LSN_EIO (disk full, ...; nothing was written).
 */
int store_batch_commit(store_batch *b, lsn_err *err);

/*
 * Train a zstd dictionary from up to 8,000 segments of the store's records
 * and make it the one new records use.  Records sealed earlier keep naming the
 * dictionary (or none) they were sealed with, and still open.
 * Returns 0, LSN_ENOTFOUND (too few records to train), LSN_EIO.
 */
int store_dict_train(store *st, lsn_err *err);

/* The id of the dictionary new records use (0: none). */
uint32_t store_dict_current(const store *st);

/*
 * Whether store_batch_commit() trains the dictionary itself when one is due
 * (on when a store is opened).  Ingest turns it off and trains in a thread
 * of its own (store_dict_train_due), so that its writer does not spend the
 * 50-75 ms of training inside a commit while its workers wait on a full
 * queue.
 */
void store_dict_auto(store *st, int on);
/* Whether a dictionary is due: none yet, no failed try, and at least the
 * training threshold of records (store_opts.dict_threshold). */
int store_dict_due(store *st);
/* How many more records make one due: 0 when it is, UINT64_MAX when none
 * will be (there is one, or a try failed). */
uint64_t store_dict_wait(store *st);
/* Train one if it is due; a failure is remembered and not tried again
 * (records still seal, without one).  May run while other threads seal and
 * commit. */
void store_dict_train_due(store *st);

#endif
