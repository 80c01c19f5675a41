/*
 * store/internal.h - what the files of store/ share.  Not for use outside
 * store/ (store/store.h is the public interface).
 */
#ifndef LSN_STORE_INTERNAL_H
#define LSN_STORE_INTERNAL_H

#include <gcrypt.h>
#include <lmdb.h>
#include <pthread.h>
#include <zstd.h>

#include "store/store.h"

#define STORE__ID_LEN 16      /* store id, also the HKDF salt */
#define STORE__SALT_LEN 16    /* Argon2id salt */
#define STORE__NONCE_LEN 12   /* AES-GCM nonce */
#define STORE__TAG_LEN 16     /* AES-GCM tag */
#define STORE__WRAPPED_LEN 40 /* AES key wrap of a 32-byte key */
#define STORE__MAX_DICTS 64
/* Records with a dictionary use the parameters of store/dict.c's
 * cdict_new(); this level is the one training tries dictionaries at, and
 * the fallback should those parameters be refused. */
#define STORE__ZSTD_LEVEL 3
/* and without one (no dictionary trained yet, or none could be): on the
 * bench's paragraphs level 1 compressed as well as 3 (ratio 1.907 against
 * 1.909) in three quarters of the time (50 µs a report against 65); with
 * a dictionary, 3 compresses a tenth better (3.00 against 2.73). */
#define STORE__ZSTD_LEVEL_PLAIN 1

/* Key slot types (doc/FORMAT.md).  Slots are a list so that later slot
 * types (per country and level) can sit beside the store slot. */
#define STORE__SLOT_STORE 1

/* Subkeys, in one secure-memory block. */
struct store__keys {
	uint8_t master[STORE_KEY_LEN];
	uint8_t check[STORE_KEY_LEN];
	uint8_t wrap[STORE_KEY_LEN];      /* KEK for record data keys */
	uint8_t index[STORE_KEY_LEN];     /* term blinding */
	uint8_t postings[STORE_KEY_LEN];  /* posting block encryption */
	uint8_t audit_mac[STORE_KEY_LEN]; /* audit chain */
	uint8_t audit_enc[STORE_KEY_LEN]; /* audit payload encryption */
};

/*
 * Unique 96-bit GCM nonces without an RNG call each: a random base from
 * gcry_create_nonce(), then the base with its last 32 bits XORed with a
 * counter, and a fresh base every 2^32 nonces.  Posting blocks are all
 * sealed under the one postings key and audit entries under the audit key;
 * a record's key is its own, so its nonce need only be unique under that.
 */
struct store__nonces {
	uint8_t base[STORE__NONCE_LEN];
	uint32_t count;
};
void store__nonce_next(struct store__nonces *n, uint8_t out[STORE__NONCE_LEN]);

/* Per-thread working state, pooled: zstd contexts and cipher handles. */
struct store__scratch {
	struct store__scratch *next;
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	gcry_cipher_hd_t gcm;   /* key set per record */
	gcry_cipher_hd_t kw;    /* keyed with the wrapping KEK */
	gcry_md_hd_t blind;     /* HMAC keyed with the index key */
	gcry_cipher_hd_t pgcm;  /* GCM keyed with the postings key */
	struct store__nonces nonces; /* records' and posting blocks' */
	uint8_t *dkey;          /* STORE_KEY_LEN bytes, after keypool's keys */
	/* Fresh data keys, drawn from the strong RNG STORE__KEYPOOL at a time
	 * (one 32-byte draw costs about as much as 15 in one call); secure
	 * memory, each key wiped as it is taken. */
	uint8_t *keypool;
	unsigned keys_left;
};

#define STORE__KEYPOOL 64

/* The postings-tree key of index entry id (batch 0). */
void store__entry_key(uint32_t id, uint8_t key[8 + STORE_BLIND_LEN]);

/* A fresh random data key into s->dkey.  Cannot fail. */
void store__new_data_key(struct store__scratch *s);

struct store__dict {
	uint32_t id;
	ZSTD_CDict *cdict; /* made on first use (store__dict_cdict): readers never
	                    * compress, and it costs about a millisecond */
	ZSTD_DDict *ddict;
	uint8_t *raw;      /* the dictionary (report text: wiped when freed) */
	size_t raw_len;
};

struct store {
	MDB_env *env;
	MDB_dbi meta, reports, records, labels, postings, principals, audit;
	/* The posting blocks of the batches since the last merge, a database
	 * per slice of the term space (store_batch_merge_slice). */
	MDB_dbi recent[STORE_MERGE_SLICES];
	/* Packs of small blocks (store_blocks_put): the merged batches' and,
	 * per slice, the recent ones'. */
	MDB_dbi packs, recent_packs[STORE_MERGE_SLICES];
	int no_records; /* a layout 1 store: no records database */
	int created;    /* made by store_create: only it writes audit entry 1 */
	int have_recent; /* recent is open (a store made before it has none) */
#define STORE__RECENT(st, term) ((st)->recent[(term)[0] >> 4])
#define STORE__RECENT_PACKS(st, term) ((st)->recent_packs[(term)[0] >> 4])
	char *dir;
	struct store__keys *keys; /* secure memory */
	uint8_t store_id[STORE__ID_LEN];
	store_opts opts;

	/* Held for reading by every transaction, for writing to grow the map. */
	pthread_rwlock_t map_lock;
	pthread_mutex_t write_lock;  /* one committer at a time */
	pthread_mutex_t pool_lock;   /* scratch pool, dictionaries */
	/* Where the map is (found once, cleared when it moves, with map_lock
	 * held for writing); the records put or bulk-read by id since the
	 * resident set was last checked; the file pages resident after the
	 * last drop (env.c: the map and this process's resident set). */
	pthread_mutex_t map_mu;
	uint8_t *map_base;
	size_t map_len;
	unsigned map_reads;
	long map_floor;
	int statm_fd;                /* /proc/self/statm, read with pread */
	/* The userfaultfd that the map is registered with (map.c), -1 before
	 * it is made, -2 when the kernel refused it; whether faults on the
	 * map should map one page, and whether they do. */
	int uffd;
	int small_wanted, map_small;
	/* Walks of a slice of the recent postings (store__map_slice) under way:
	 * while there are any, faults map their neighbours too. */
	unsigned map_slices;
	size_t map_bytes; /* bytes read through them (store__map_read_bytes) */
	struct store__scratch *pool;

	struct store__dict dicts[STORE__MAX_DICTS];
	unsigned ndicts;
	uint32_t dict_current;
	int dict_failed; /* training was tried and failed: do not retry */
	int dict_manual; /* store_dict_auto(st, 0): commits do not train */

	uint64_t next_serial; /* under pool_lock */
	uint64_t next_batch;  /* posting batch numbers, under pool_lock */
	int writer_fd;        /* store_lock_writer(), or -1 */

	/* The audit writer's keyed handles (audit.c), or NULL. */
	gcry_md_hd_t audit_mac_h;
	gcry_cipher_hd_t audit_gcm_h;
	struct store__nonces audit_nonces; /* under the write transaction */
};

struct store_snap {
	store *st;
	MDB_txn *txn;
	int bulk; /* store_snap_bulk() */
	int merge_known;      /* the three below are read (merge_state) */
	uint64_t merged_upto; /* meta "merged-upto": batches after it are recent */
	uint64_t merging;     /* meta "merging": a merge's number, or 0 ... */
	unsigned slices_done; /* ... and the slices it has done */
};

/* keys.c */
int store__derive(struct store__keys *k, const uint8_t store_id[STORE__ID_LEN]);
int store__keyfile_create(const char *path, uint8_t key[STORE_KEY_LEN],
    lsn_err *err);
int store__keyfile_read(const char *path, uint8_t key[STORE_KEY_LEN],
    const store_opts *opts, lsn_err *err);
/* The Argon2id costs accepted (RFC 9106 allows more; a store never needs
 * it, and a damaged meta must not make a command crash or run for ever). */
#define STORE__ARGON2_MIN_PASSES 1
#define STORE__ARGON2_MAX_PASSES 64
#define STORE__ARGON2_MIN_KIB 8
#define STORE__ARGON2_MAX_KIB (4 << 20) /* 4 GiB */
int store__argon2id(const char *pass, size_t len, const uint8_t *salt,
    unsigned long passes, unsigned long mem_kib, uint8_t key[STORE_KEY_LEN],
    lsn_err *err);
int store__hmac(const uint8_t key[STORE_KEY_LEN], const void *a, size_t alen,
    const void *b, size_t blen, uint8_t out[32]);

/* seal.c */
struct store__scratch *store__scratch_get(store *st);
void store__scratch_put(store *st, struct store__scratch *s);
void store__scratch_free(struct store__scratch *s);
/*
 * Seal segs[0..nseg) as the record named (domain, name) with serial and
 * label.  *out is malloc'd (not secret: ciphertext).
 */
int store__seal(store *st, char domain, const void *name, size_t name_len,
    uint64_t serial, const void *label, size_t label_len,
    const store_seg *segs, size_t nseg, uint8_t **out, size_t *out_len,
    lsn_err *err);
/* Seal one plaintext (principals, posting blocks, dictionaries). */
int store__seal1(store *st, char domain, const void *name, size_t name_len,
    const void *plain, size_t len, uint8_t **out, size_t *out_len, lsn_err *err);
/*
 * Open a sealed record named (domain, name): the segments i with want[i]
 * nonzero (all when want is NULL).
 */
int store__open(store *st, char domain, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, const uint8_t *want, size_t nwant,
    store_record **out, lsn_err *err);
/* Open a one-segment record; *plain is released with lsn_wipe_free. */
int store__open1(store *st, char domain, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, uint8_t **plain, size_t *plain_len,
    lsn_err *err);
/*
 * Posting blocks: frames, each one AES-256-GCM under the postings subkey
 * with a random per-context nonce base plus a counter (seal.c):
 *   "LSB" version flags u32-length nonce[12] ciphertext tag[16]
 * The AAD binds the frame's header, the block's name (its LMDB key) and
 * the frame's index.
 */
#define STORE__BLOCK_VERSION 2
#define STORE__BLOCK_HDR 9 /* "LSB" version flags length */
#define STORE__BLOCK_SEALED_LEN(len, frames) \
	((len) + (size_t)(frames) * (STORE__BLOCK_HDR + STORE__NONCE_LEN + STORE__TAG_LEN))
/*
 * A pack: the small blocks (one frame of at most STORE__PACK_SMALL bytes)
 * of consecutive terms of one batch and slice, sealed as one frame with
 * flag STORE__FRAME_PACK under the key of its first term, in a packs
 * database beside the blocks' (FORMAT.md section 5).  Its plaintext is,
 * per term in term order: the term (32 bytes), the block's length
 * (2 bytes), the block; at most STORE__PACK_MAX bytes, so that a pack
 * stays on its leaf page (LMDB moves a value over about half a page to
 * overflow pages of its own).
 */
#define STORE__FRAME_PACK 0x02
#define STORE__PACK_SMALL 128
#define STORE__PACK_ENTRY (STORE_BLIND_LEN + 2)
#define STORE__PACK_MAX 1536
/* Seal len bytes of plain into out, which has room for
 * STORE__BLOCK_SEALED_LEN(len, frames) (left wiped on failure), with a
 * scratch the caller holds (a store_blocks keeps one for all its blocks):
 * one frame per ends[i] (the end of frame i in plain, the last len), or
 * one frame for all when nends is 0. */
int store__seal_block(struct store__scratch *s, const void *name, size_t name_len,
    const void *plain, size_t len, const uint32_t *ends, size_t nends, uint8_t *out,
    lsn_err *err);
/* A pack (one frame, flagged STORE__FRAME_PACK): as store__seal_block. */
int store__seal_pack(struct store__scratch *s, const void *name, size_t name_len,
    const void *plain, size_t len, uint8_t *out, lsn_err *err);
/* Open every frame: *plain is released with lsn_wipe_free. */
int store__open_block(store *st, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, uint8_t **plain, size_t *plain_len,
    lsn_err *err);
/* The frames' plaintext one after another into *buf (room for *cap bytes;
 * a smaller one is wiped, freed and replaced), which the caller keeps;
 * after each frame that another follows, more (when not NULL) is asked
 * whether to open it.  A pack is refused. */
int store__open_block_into(store *st, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, uint8_t **buf, size_t *cap, size_t *plain_len,
    store_more_fn more, void *mctx, lsn_err *err);
/* Open a pack into *buf, as store__open_block_into; a block is refused. */
int store__open_pack_into(store *st, const void *name, size_t name_len,
    const uint8_t *rec, size_t rec_len, uint8_t **buf, size_t *cap, size_t *plain_len,
    lsn_err *err);
/* The entries of pack plaintext, one after another: store__pack_next
 * gives the next one's term and block (1), 0 at the end, -1 when the pack
 * is malformed (an entry cut short, or a term not after the one before). */
struct store__pack_it {
	const uint8_t *p;
	size_t len, at;
	const uint8_t *prev; /* the term before */
};
int store__pack_next(struct store__pack_it *it, const uint8_t **term, const uint8_t **block,
    size_t *blen);
/* In pack plaintext p[0..len), term's block: 1 with *at and *blen, 0 when
 * the pack has no such term, -1 when the pack is malformed. */
int store__pack_find(const uint8_t *p, size_t len, const uint8_t term[STORE_BLIND_LEN],
    size_t *at, size_t *blen);
/* Room for need bytes in *buf (capacity *cap): a smaller buffer is wiped,
 * freed and replaced.  0, or -1 when out of memory (the old one stays). */
int store__buf_room(uint8_t **buf, size_t *cap, size_t need);

/* Parse a sealed record's header: serial and label (unauthenticated). */
int store__peek(const uint8_t *rec, size_t rec_len, uint64_t *serial,
    const uint8_t **label, size_t *label_len);
/* AES-256-GCM under h (an AES-256-GCM handle with its key set) with the
 * next nonce of ns; out = nonce || ct || tag. */
int store__aead_seal(gcry_cipher_hd_t h, struct store__nonces *ns, const void *aad,
    size_t aad_len, const void *plain, size_t len, uint8_t *out);
int store__aead_open(const uint8_t key[STORE_KEY_LEN], const void *aad,
    size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *plain);

/* dict.c */
int store__dict_load_all(store *st, MDB_txn *txn, lsn_err *err);
struct store__dict *store__dict_find(store *st, uint32_t id);
/* d's compression dictionary, made on first use; NULL when out of memory. */
ZSTD_CDict *store__dict_cdict(store *st, struct store__dict *d);

/* zstd contexts whose memory is wiped as zstd frees it (store/zmem.c):
 * their workspaces hold the text they last handled.  Dictionaries take
 * store__zstd_mem too (with ZSTD_STATIC_LINKING_ONLY defined). */
ZSTD_CCtx *store__zstd_cctx(void);
ZSTD_DCtx *store__zstd_dctx(void);
#ifdef ZSTD_STATIC_LINKING_ONLY
extern const ZSTD_customMem store__zstd_mem;
#endif
void store__dict_free_all(store *st);
void store__maybe_train(store *st);

/* env.c */
int store__txn_begin(store *st, unsigned flags, MDB_txn **txn, lsn_err *err);
void store__txn_end(store *st, MDB_txn *txn, int commit_ok);
/* Open the recent databases in txn (flags: MDB_CREATE or 0). */
int store__open_recent(store *st, MDB_txn *txn, unsigned f);

/* map.c: the map and this process's resident set. */
/* Where this process maps the store's data file (LMDB does not say:
 * me_mapaddr is set only with MDB_FIXEDMAP).  Returns 0, -1 if not found. */
int store__map_find(store *st, uint8_t **base, size_t *len);
/* Drop this process's mapping of the store's pages (the caller holds
 * map_lock); and count n records put or bulk-read by id, checking every
 * STORE__MAP_CHECK of them whether the file pages mapped have grown by
 * STORE__MAP_RESIDENT since the last drop, and dropping them if so.  A
 * record read or put by id faults in a leaf or two, and a fault may map a
 * whole folio of the page cache, up to 2 MiB (map.c), so between two checks
 * the mapping may pass the bound by STORE__MAP_CHECK times a few MiB. */
#define STORE__MAP_CHECK 4
/* ... and every STORE__MAP_CHECK_SMALL while each fault maps one page
 * (store_map_one_page_faults): a record then maps a few pages at most, so
 * the bound is passed by well under a MiB, and the writer of a
 * 100,000-report ingest reads /proc/self/statm 1,600 times instead of
 * 25,000 (a merge's listing counts bytes instead: store__map_read_bytes). */
#define STORE__MAP_CHECK_SMALL 64
#define STORE__MAP_RESIDENT (8u << 20)
void store__map_release(store *st);
void store__map_check(store *st);
void store__map_reads(store *st, unsigned n);
/* A merge walks a slice of the recent postings in key order
 * (store_recent_slice), and each batch wrote that slice's leaves on
 * neighbouring pages: while a walk does (on: one more, off: one fewer), a
 * fault maps its neighbours too (the kernel's fault-around) even if
 * one-page faults were asked.  The walk counts the bytes it reads with
 * store__map_read_bytes(), which checks every STORE__MAP_CHECK_BYTES
 * (about four leaves: four faults, each of up to a 2 MiB folio) whether
 * the pages mapped have grown by STORE__MAP_RESIDENT.  The caller holds
 * map_lock. */
#define STORE__MAP_CHECK_BYTES (16u << 10)
void store__map_slice(store *st, int on);
void store__map_read_bytes(store *st, size_t n);
/* The map was made or moved (mdb_env_open, mdb_env_set_mapsize; the
 * caller holds map_lock for writing): forget where it was, and make a
 * fault on the new one map one page if store_map_one_page_faults() asked. */
void store__map_moved(store *st);
/* At store_alloc and store_close. */
void store__map_init(store *st);
void store__map_close(store *st);
int store__lmdb_err(lsn_err *err, int rc, const char *what);
/* store__lmdb_err() for a failed write; when it is an I/O error, with what
 * the system shows of why: the file-size limit reached, or the file system
 * nearly full. */
int store__write_err(const store *st, lsn_err *err, int rc, const char *what);

/* batch.c: a meta put without the "data/" restriction, for store/ itself. */
int store__batch_put_meta_raw(store_batch *b, const char *name,
    const void *value, size_t len, lsn_err *err);

/* audit.c */
int store__audit_apply(store *st, MDB_txn *txn, uint64_t time_us,
    const uint8_t digest[STORE_MAC_LEN], const void *payload, size_t len, lsn_err *err);
/* The keyed digest of every principal record in txn, which each audit
 * entry written by a commit carries (store/audit.c).  0 or an LMDB code. */
int store__principals_digest(store *st, MDB_txn *txn, uint8_t out[STORE_MAC_LEN]);
void store__audit_genesis(store *st, uint8_t mac[STORE_MAC_LEN]);
/* Close the audit writer's handles (store_close). */
void store__audit_close(store *st);

#endif
