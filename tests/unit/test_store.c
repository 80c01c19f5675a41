/*
 * tests/unit/test_store.c - the store core: sealing, tamper detection, keys,
 * batches and map growth, dictionaries, postings, principals, audit chain,
 * and that no plaintext reaches the files.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/internal.h"

/* One-segment arguments for store_batch_put_record. */
#define SEGN(p, n) (&(store_seg){ (p), (n) }), 1
#define SEG(str) SEGN((str), strlen(str))

struct fx {
	char dir[256];
	char key[300];
	store *st;
};

static void
rm_store(const char *dir, const char *key)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
	unlink(key);
}

/* rm_store, and the temporary directory make_store() put the store in. */
static void
rm_fixture(struct fx *f)
{
	char parent[256];

	rm_store(f->dir, f->key);
	snprintf(parent, sizeof(parent), "%s", f->dir);
	*strrchr(parent, '/') = '\0';
	rmdir(parent);
}

static int
make_store(struct fx *f, const store_opts *opts)
{
	store_keysrc ks = { 0 };
	char tmpl[] = "/tmp/lsn-store-XXXXXX";
	lsn_err err;

	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/s", tmpl);
	snprintf(f->key, sizeof(f->key), "%s/s.key", tmpl);
	ks.key_file = f->key;
	if (store_create(&f->st, f->dir, &ks, opts, &err) != 0) {
		fprintf(stderr, "store_create: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || make_store(f, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rm_fixture(f);
	free(f);
	return 0;
}

static int
reopen(struct fx *f, const store_opts *opts)
{
	store_keysrc ks = { .key_file = f->key };
	lsn_err err;

	store_close(f->st);
	f->st = NULL;
	return store_open(&f->st, f->dir, &ks, opts, &err);
}

/* Put records in one batch. */
static void
put_records(store *st, const char *prefix, int n, const uint8_t *data, size_t len)
{
	store_batch *b = NULL;
	char id[64];
	lsn_err err;

	assert_int_equal(store_batch_new(st, &b, &err), 0);
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s-%06d", prefix, i);
		store_seg seg = { data, len };
		assert_int_equal(store_batch_put_record(b, id, &seg, 1, "L", 1, NULL, &err), 0);
	}
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
}

static void
expect_record(store *st, const char *id, const uint8_t *data, size_t len)
{
	store_snap *sn = NULL;
	store_record *r = NULL;
	lsn_err err;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	int rc = store_record_get(sn, id, NULL, 0, &r, &err);
	if (rc != 0)
		fail_msg("record %s: %s", id, err.msg);
	assert_int_equal(r->nseg, 1);
	assert_int_equal(r->seg_len[0], len);
	if (len)
		assert_memory_equal(r->seg[0], data, len);
	assert_int_equal(r->label_len, 1);
	store_record_free(r);
	store_snap_end(sn);
}

static void
roundtrip(void **state, size_t len, int random)
{
	struct fx *f = *state;
	uint8_t *data = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		data[i] = random ? (uint8_t)rand() : (uint8_t)("convoy route "[i % 13]);
	if (random)
		gcry_randomize(data, len, GCRY_WEAK_RANDOM);
	put_records(f->st, "rt", 1, data, len);
	expect_record(f->st, "rt-000000", data, len);
	/* ...and again after closing and reopening the store. */
	assert_int_equal(reopen(f, NULL), 0);
	expect_record(f->st, "rt-000000", data, len);
	free(data);
}

static void test_store_seal__roundtrip_empty(void **s) { roundtrip(s, 0, 0); }
static void test_store_seal__roundtrip_one_byte(void **s) { roundtrip(s, 1, 0); }
static void test_store_seal__roundtrip_1mib(void **s) { roundtrip(s, 1 << 20, 0); }
static void test_store_seal__roundtrip_incompressible(void **s) { roundtrip(s, 300000, 1); }

static void
test_store_seal__over_cap_rejected(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	lsn_err err;
	static const uint8_t one = 1;

	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	/* The size check comes before any byte is read. */
	store_seg big = { &one, STORE_MAX_RECORD + 1 };
	assert_int_equal(store_batch_put_record(b, "big", &big, 1, NULL, 0, NULL, &err),
	    LSN_EINPUT);
	assert_int_equal(store_batch_put_record(b, "none", &big, 0, NULL, 0, NULL, &err),
	    LSN_EINPUT);
	store_batch_free(b);
}

static int
seal(store *st, const char *name, const char *label, const char *text,
    uint8_t **out, size_t *len)
{
	store_seg seg = { text, strlen(text) };

	return store__seal(st, 'r', name, strlen(name), 7, label, strlen(label), &seg,
	    1, out, len, NULL);
}

static int
open_rec(store *st, const char *name, const uint8_t *rec, size_t len)
{
	store_record *r = NULL;
	int rc = store__open(st, 'r', name, strlen(name), rec, len, NULL, 0, &r, NULL);

	store_record_free(r);
	return rc;
}

static void
test_store_seal__every_bit_flip_detected(void **state)
{
	struct fx *f = *state;
	uint8_t *rec = NULL;
	size_t len = 0;

	assert_int_equal(seal(f->st, "IIR-1", "label-bytes", "the convoy moved at dawn",
	    &rec, &len), 0);
	assert_int_equal(open_rec(f->st, "IIR-1", rec, len), 0);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			rec[i] ^= (uint8_t)(1u << bit);
			if (open_rec(f->st, "IIR-1", rec, len) == 0)
				fail_msg("flipping bit %d of byte %zu of %zu went undetected", bit, i, len);
			rec[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Truncation at every length is detected too. */
	for (size_t n = 0; n < len; n++)
		if (open_rec(f->st, "IIR-1", rec, n) == 0)
			fail_msg("truncation to %zu bytes went undetected", n);
	free(rec);
}

static void
test_store_seal__record_bound_to_its_id(void **state)
{
	struct fx *f = *state;
	uint8_t *rec = NULL;
	size_t len = 0;

	assert_int_equal(seal(f->st, "IIR-1", "L", "text", &rec, &len), 0);
	assert_int_not_equal(open_rec(f->st, "IIR-2", rec, len), 0);
	free(rec);
}

/* A sealed record keeps no more memory than it is long: its buffer was
 * sized for text that does not compress, and records wait for their
 * commit by the thousand.  (malloc_usable_size rounds up to the
 * allocator's granule and may add a word.) */
static void
test_store_seal__buffer_fits_the_record(void **state)
{
	struct fx *f = *state;
	char text[8192];
	uint8_t *rec = NULL;
	size_t len = 0;

	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = "the convoy moved at dawn "[i % 25];
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(seal(f->st, "IIR-1", "L", text, &rec, &len), 0);
	assert_true(len < sizeof(text) / 4); /* it compressed */
	assert_true(malloc_usable_size(rec) < len + 64);
	assert_int_equal(open_rec(f->st, "IIR-1", rec, len), 0);
	free(rec);
}

/* Offsets in the v1 layout: label at 22; one slot after it. */
#define LABEL_OFF 22

static void
test_store_seal__swapped_labels_detected(void **state)
{
	struct fx *f = *state;
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;

	assert_int_equal(seal(f->st, "A", "NF-portion", "alpha text", &a, &alen), 0);
	assert_int_equal(seal(f->st, "B", "REL-portion", "bravo text", &b, &blen), 0);
	/* Same label length on purpose: move B's label into A. */
	memcpy(a + LABEL_OFF, "REL-portio", 10);
	assert_int_not_equal(open_rec(f->st, "A", a, alen), 0);
	free(a);
	free(b);
	/* And a label swapped wholesale between equal-length labels. */
	assert_int_equal(seal(f->st, "A", "LABEL-A", "alpha", &a, &alen), 0);
	assert_int_equal(seal(f->st, "B", "LABEL-B", "bravo", &b, &blen), 0);
	uint8_t tmp[7];
	memcpy(tmp, a + LABEL_OFF, 7);
	memcpy(a + LABEL_OFF, b + LABEL_OFF, 7);
	memcpy(b + LABEL_OFF, tmp, 7);
	assert_int_not_equal(open_rec(f->st, "A", a, alen), 0);
	assert_int_not_equal(open_rec(f->st, "B", b, blen), 0);
	free(a);
	free(b);
}

static void
test_store_seal__swapped_key_slots_detected(void **state)
{
	struct fx *f = *state;
	uint8_t *a = NULL, *b = NULL, tmp[45];
	size_t alen = 0, blen = 0, off = LABEL_OFF + 1 + 1; /* label "L", count */

	assert_int_equal(seal(f->st, "A", "L", "alpha text", &a, &alen), 0);
	assert_int_equal(seal(f->st, "B", "L", "bravo text", &b, &blen), 0);
	assert_int_equal(a[LABEL_OFF + 1], 1); /* one slot */
	memcpy(tmp, a + off, 45);
	memcpy(a + off, b + off, 45);
	memcpy(b + off, tmp, 45);
	assert_int_not_equal(open_rec(f->st, "A", a, alen), 0);
	assert_int_not_equal(open_rec(f->st, "B", b, blen), 0);
	free(a);
	free(b);
}

static void
test_store_keys__record_from_another_store_fails(void **state)
{
	struct fx *f = *state, g;
	uint8_t *rec = NULL;
	size_t len = 0;

	assert_int_equal(make_store(&g, NULL), 0);
	assert_int_equal(seal(g.st, "IIR-1", "L", "other store", &rec, &len), 0);
	assert_int_equal(open_rec(g.st, "IIR-1", rec, len), 0);
	assert_int_equal(open_rec(f->st, "IIR-1", rec, len), LSN_EINPUT);
	free(rec);
	store_close(g.st);
	rm_fixture(&g);
}

static void
test_store_keys__wrong_key_file_denied(void **state)
{
	struct fx *f = *state;
	char other[320];
	store_keysrc ks = { .key_file = other };
	store *st = NULL;
	uint8_t k[32];
	lsn_err err;
	FILE *fp;

	snprintf(other, sizeof(other), "%s.other", f->key);
	gcry_randomize(k, 32, GCRY_WEAK_RANDOM);
	fp = fopen(other, "wb");
	assert_non_null(fp);
	fwrite(k, 1, 32, fp);
	fclose(fp);
	chmod(other, 0600);
	assert_int_equal(store_open(&st, f->dir, &ks, NULL, &err), LSN_EDENIED);
	assert_non_null(strstr(err.msg, "wrong key"));
	assert_null(st);
	unlink(other);
}

static void
test_store_keys__passphrase_roundtrip_and_wrong_passphrase(void **state)
{
	struct fx *f = *state;
	char dir[300];
	store_opts opts = { .kdf_memory_kib = 1024, .kdf_passes = 1 };
	store_keysrc ks = { .passphrase = "correct horse", .passphrase_len = 13 };
	store *st = NULL;
	lsn_err err;

	snprintf(dir, sizeof(dir), "%s.pass", f->dir);
	assert_int_equal(store_create(&st, dir, &ks, &opts, &err), 0);
	put_records(st, "p", 1, (const uint8_t *)"x", 1);
	store_close(st);
	st = NULL;
	assert_int_equal(store_open(&st, dir, &ks, NULL, &err), 0);
	expect_record(st, "p-000000", (const uint8_t *)"x", 1);
	store_close(st);
	st = NULL;
	ks.passphrase = "correct horsf";
	assert_int_equal(store_open(&st, dir, &ks, NULL, &err), LSN_EDENIED);
	ks.passphrase_len = 0;
	assert_int_equal(store_create(&st, dir, &ks, &opts, &err), LSN_EEXISTS);
	rm_store(dir, "");
}

/* Set a passphrase store's Argon2id cost in its meta, as a damaged or
 * edited file may hold it. */
static void
set_kdf_cost(const char *dir, uint64_t passes, uint64_t kib)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 3, (void *)"kdf" }, v;
	uint8_t kdf[1 + STORE__SALT_LEN + 16];

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 64), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	assert_int_equal(v.mv_size, sizeof(kdf));
	memcpy(kdf, v.mv_data, sizeof(kdf));
	lsn_put_be64(kdf + 1 + STORE__SALT_LEN, passes);
	lsn_put_be64(kdf + 1 + STORE__SALT_LEN + 8, kib);
	v.mv_data = kdf;
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* The Argon2id cost read from meta is checked before libgcrypt gets it:
 * 2^63 KiB crashed every command and 2^32 passes hung it (helper-28). */
static void
test_store_keys__argon2_cost_out_of_range_refused(void **state)
{
	struct fx *f = *state;
	char dir[300];
	store_opts opts = { .kdf_memory_kib = 1024, .kdf_passes = 1 };
	store_keysrc ks = { .passphrase = "correct horse", .passphrase_len = 13 };
	store *st = NULL;
	lsn_err err;

	snprintf(dir, sizeof(dir), "%s.cost", f->dir);
	assert_int_equal(store_create(&st, dir, &ks, &opts, &err), 0);
	store_close(st);
	st = NULL;
	set_kdf_cost(dir, 0xffffffffu, 1024);
	alarm(60); /* a hang fails the test */
	assert_int_equal(store_open(&st, dir, &ks, NULL, &err), LSN_EINPUT);
	alarm(0);
	assert_non_null(strstr(err.msg, "out of range"));
	assert_null(st);
	set_kdf_cost(dir, 1, UINT64_C(0x7fffffffffffffff));
	assert_int_equal(store_open(&st, dir, &ks, NULL, &err), LSN_EINPUT);
	assert_non_null(strstr(err.msg, "the store's meta is damaged"));
	set_kdf_cost(dir, 1, 1024);
	assert_int_equal(store_open(&st, dir, &ks, NULL, &err), 0);
	store_close(st);
	rm_store(dir, "");
	opts.kdf_passes = STORE__ARGON2_MAX_PASSES + 1; /* and at creation */
	assert_int_equal(store_create(&st, dir, &ks, &opts, &err), LSN_EINPUT);
	assert_null(st);
}

/* A FIFO named as the key file is refused, not waited on for ever. */
static void
test_store_keys__fifo_key_file_refused(void **state)
{
	struct fx *f = *state;
	char fifo[320];
	store_keysrc ks = { .key_file = fifo };
	store *st = NULL;
	lsn_err err;

	snprintf(fifo, sizeof(fifo), "%s.fifo", f->key);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(20); /* a hang fails the test */
	assert_int_equal(store_open(&st, f->dir, &ks, NULL, &err), LSN_EINPUT);
	alarm(0);
	assert_non_null(strstr(err.msg, "not a regular file"));
	unlink(fifo);
}

static void
test_store_keys__empty_passphrase_rejected(void **state)
{
	struct fx *f = *state;
	char dir[300];
	store_keysrc ks = { .passphrase = "", .passphrase_len = 0 };
	store *st = NULL;
	lsn_err err;
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s.empty", f->dir);
	assert_int_equal(store_create(&st, dir, &ks, NULL, &err), LSN_EINPUT);
	assert_int_not_equal(stat(dir, &sb), 0); /* nothing half-made */
}

static void
test_store_keys__key_file_never_overwritten(void **state)
{
	struct fx *f = *state;
	char dir[300];
	store_keysrc ks = { .key_file = f->key };
	store *st = NULL;
	uint8_t before[32], after[32];
	lsn_err err;
	FILE *fp;

	fp = fopen(f->key, "rb");
	assert_int_equal(fread(before, 1, 32, fp), 32);
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s.second", f->dir);
	assert_int_equal(store_create(&st, dir, &ks, NULL, &err), LSN_EEXISTS);
	fp = fopen(f->key, "rb");
	assert_int_equal(fread(after, 1, 32, fp), 32);
	fclose(fp);
	assert_memory_equal(before, after, 32);
}

static void
test_store_seal__segments_open_selectively(void **state)
{
	struct fx *f = *state;
	store_seg segs[3] = { { "skeleton", 8 }, { "REL paragraph", 13 },
		{ "NOFORN paragraph", 16 } };
	uint8_t *rec = NULL, want[3] = { 1, 1, 0 };
	size_t len = 0;
	store_record *r = NULL;

	assert_int_equal(store__seal(f->st, 'r', "IIR-9", 5, 9, "LBL", 3, segs, 3, &rec,
	    &len, NULL), 0);
	assert_int_equal(store__open(f->st, 'r', "IIR-9", 5, rec, len, want, 3, &r, NULL), 0);
	assert_int_equal(r->nseg, 3);
	assert_memory_equal(r->seg[1], "REL paragraph", 13);
	assert_null(r->seg[2]); /* never decrypted */
	assert_int_equal(r->serial, 9);
	assert_memory_equal(r->label, "LBL", 3);
	store_record_free(r);
	/* Damage the last segment: readers that skip it are unaffected,
	 * readers that ask for it are refused. */
	rec[len - 20] ^= 0x40;
	assert_int_equal(store__open(f->st, 'r', "IIR-9", 5, rec, len, want, 3, &r, NULL), 0);
	store_record_free(r);
	assert_int_equal(store__open(f->st, 'r', "IIR-9", 5, rec, len, NULL, 0, &r, NULL),
	    LSN_EINPUT);
	assert_null(r);
	free(rec);
}

static void
test_store_seal__swapped_segments_detected(void **state)
{
	struct fx *f = *state;
	store_seg segs[2] = { { "AAAAAAAAAAAAAAAAAAAA", 20 }, { "BBBBBBBBBBBBBBBBBBBB", 20 } };
	uint8_t *rec = NULL, tmp[64];
	size_t len = 0, seglen;
	store_record *r = NULL;

	assert_int_equal(store__seal(f->st, 'r', "X", 1, 1, "L", 1, segs, 2, &rec, &len,
	    NULL), 0);
	/* Both segments compress to the same size: swap their bytes. */
	seglen = (len - (LABEL_OFF + 1 + 1 + 45 + 12 + 4 + 8)) / 2;
	assert_true(seglen <= sizeof(tmp));
	memcpy(tmp, rec + len - 2 * seglen, seglen);
	memcpy(rec + len - 2 * seglen, rec + len - seglen, seglen);
	memcpy(rec + len - seglen, tmp, seglen);
	assert_int_equal(store__open(f->st, 'r', "X", 1, rec, len, NULL, 0, &r, NULL),
	    LSN_EINPUT);
	free(rec);
}

static int
cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, STORE__NONCE_LEN);
}

static void
test_store_seal__no_nonce_repeats_in_100000_seals(void **state)
{
	struct fx *f = *state;
	enum { N = 100000 };
	uint8_t *nonces = malloc((size_t)N * STORE__NONCE_LEN), *rec = NULL;
	size_t len = 0;
	/* header 22 + label 1 + count 1 + slot 45 = 69 */
	const size_t off = LABEL_OFF + 1 + 1 + 45;

	assert_non_null(nonces);
	for (int i = 0; i < N; i++) {
		assert_int_equal(seal(f->st, "n", "L", "x", &rec, &len), 0);
		memcpy(nonces + (size_t)i * STORE__NONCE_LEN, rec + off, STORE__NONCE_LEN);
		free(rec);
	}
	qsort(nonces, N, STORE__NONCE_LEN, cmp_nonce);
	for (int i = 1; i < N; i++)
		if (memcmp(nonces + (size_t)(i - 1) * STORE__NONCE_LEN,
			nonces + (size_t)i * STORE__NONCE_LEN, STORE__NONCE_LEN) == 0)
			fail_msg("a nonce repeated");
	free(nonces);
}

/* The counter behind records', blocks' and audit entries' nonces: a base
 * with the count XORed into its last 4 bytes, and a new random base when
 * the count wraps rather than the first nonce again. */
static void
test_store_seal__nonce_counter_draws_a_new_base_when_it_wraps(void **state)
{
	struct store__nonces n = { { 0 }, 0 };
	uint8_t first[STORE__NONCE_LEN], second[STORE__NONCE_LEN], x[STORE__NONCE_LEN];

	(void)state;
	store__nonce_next(&n, first);
	store__nonce_next(&n, second);
	assert_memory_equal(first, second, 8);
	assert_int_equal(lsn_get_be32(first + 8) ^ lsn_get_be32(second + 8), 1);
	n.count = UINT32_MAX;
	store__nonce_next(&n, x); /* the last of this base */
	assert_memory_equal(x, first, 8);
	assert_int_equal(lsn_get_be32(x + 8) ^ lsn_get_be32(first + 8), UINT32_MAX);
	assert_int_equal(n.count, 0);
	store__nonce_next(&n, x); /* a new base: 2^-96 to equal the old one */
	assert_int_equal(n.count, 1);
	assert_memory_not_equal(x, first, STORE__NONCE_LEN);
}

static void
test_store_batch__map_grows_from_tiny(void **state)
{
	struct fx *f = *state;
	store_opts opts = { .map_size = 64 * 1024 };
	uint8_t data[2048];
	char id[64];
	store_info info;
	store_snap *sn;
	lsn_err err;

	gcry_randomize(data, sizeof(data), GCRY_WEAK_RANDOM); /* incompressible */
	assert_int_equal(reopen(f, &opts), 0);
	for (int b = 0; b < 4; b++) {
		snprintf(id, sizeof(id), "grow%d", b);
		put_records(f->st, id, 500, data, sizeof(data));
	}
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_info_get(sn, &info, &err), 0);
	assert_int_equal(info.records, 2000);
	assert_true(info.map_size > 64 * 1024 * 16);
	store_snap_end(sn);
	expect_record(f->st, "grow3-000499", data, sizeof(data));
	expect_record(f->st, "grow0-000000", data, sizeof(data));
}

/* Resident KiB of this process's mapping of the store's data file: every
 * area of it (an madvise over part of it splits it). */
static long
map_rss_kib(store *st)
{
	uint8_t *base;
	size_t len;
	char line[512];
	unsigned long lo, hi, b;
	long kib = 0, k;
	int in = 0, found = 0;
	FILE *f;

	assert_int_equal(store__map_find(st, &base, &len), 0);
	b = (unsigned long)(uintptr_t)base;
	assert_non_null(f = fopen("/proc/self/smaps", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ':') != NULL) {
			in = lo >= b && lo < b + len;
			found |= in;
		} else if (in && sscanf(line, "Rss: %ld kB", &k) == 1) {
			kib += k;
		}
	}
	fclose(f);
	assert_true(found);
	return kib;
}

/* nb batches of per records "<prefix>BB-IIIIII", each of len random bytes of
 * its own (a trained dictionary would shrink equal records to a few bytes
 * each); data holds the last one's. */
static void
put_random_records(store *st, const char *prefix, int nb, int per, uint8_t *data, size_t len)
{
	char id[64];
	lsn_err err;

	for (int b = 0; b < nb; b++) {
		store_batch *bt = NULL;
		assert_int_equal(store_batch_new(st, &bt, &err), 0);
		for (int i = 0; i < per; i++) {
			store_seg seg = { data, len };
			gcry_randomize(data, len, GCRY_WEAK_RANDOM);
			snprintf(id, sizeof(id), "%s%02d-%06d", prefix, b, i);
			assert_int_equal(store_batch_put_record(bt, id, &seg, 1, "L", 1, NULL,
			    &err), 0);
		}
		assert_int_equal(store_batch_commit(bt, &err), 0);
		store_batch_free(bt);
	}
}

/* A commit that stores records drops this process's mapping of the pages it
 * (and earlier reads) touched once they have grown by STORE__MAP_RESIDENT,
 * so a long ingest's resident set does not grow with the store, and keeps
 * them below that, for the next batch to find mapped; one that stores none
 * keeps them too.  Records of random bytes each: a trained dictionary would
 * shrink equal ones to a few bytes. */
static void
read_records_back(store *st, int from, int to)
{
	store_snap *sn = NULL;
	store_record *r = NULL;
	char id[64];
	lsn_err err;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	for (int b = from; b < to; b++)
		for (int i = 0; i < 500; i++) {
			snprintf(id, sizeof(id), "rss%02d-%06d", b, i);
			assert_int_equal(store_record_get(sn, id, NULL, 0, &r, &err), 0);
			store_record_free(r);
		}
	store_snap_end(sn);
}

static void
test_store_batch__commit_releases_mapped_pages(void **state)
{
	struct fx *f = *state;
	uint8_t data[3000];
	int nb = (int)(2 * STORE__MAP_RESIDENT / (500 * 4096)) + 4;
	int under = (int)(STORE__MAP_RESIDENT / (2 * 500 * 4096)); /* half the bound */

	put_random_records(f->st, "rss", nb, 500, data, sizeof(data));
	/* Records of one 4 KiB page each, all read through the map: half the
	 * bound's worth. */
	store__map_release(f->st);
	read_records_back(f->st, 0, under);
	long before = map_rss_kib(f->st);
	if (before < under * 500 * 4 / 2)
		fail_msg("reading %d records mapped only %ld KiB", under * 500, before);
	/* A batch without records (an audit entry) keeps the mapping: the
	 * next query need not fault its pages in again. */
	store_batch *b = NULL;
	store_audit_event ev = { .principal = "ana", .action = "READ", .outcome = "SUCCESS" };
	lsn_err err;
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_audit_event(b, &ev, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	long kept = map_rss_kib(f->st);
	if (kept < before / 2)
		fail_msg("an audit entry's commit dropped the map to %ld KiB (was %ld)", kept,
		    before);
	/* Nor does one that stores records while the map is under the bound. */
	put_records(f->st, "rss-small", 1, data, sizeof(data));
	kept = map_rss_kib(f->st);
	if (kept < before / 2)
		fail_msg("a commit under the bound dropped the map to %ld KiB (was %ld)", kept,
		    before);
	/* Past it, the next commit that stores records drops it. */
	read_records_back(f->st, under, nb);
	before = map_rss_kib(f->st);
	if (before < (long)(STORE__MAP_RESIDENT >> 10))
		fail_msg("reading %d records mapped only %ld KiB", nb * 500, before);
	put_records(f->st, "rss-after", 1, data, sizeof(data));
	long after = map_rss_kib(f->st);
	if (after > 256)
		fail_msg("after a commit %ld KiB of the map stay resident (was %ld)", after,
		    before);
}

/* Read the store's data file as a backup copy (cp, mdb_copy) reads it: out
 * of the page cache (its pages are clean: commits are durable), then back
 * in, by readahead, in the largest folios it makes. */
static void
read_in_order(const char *dir)
{
	char path[4200], *chunk = malloc(1 << 20);
	int fd;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_non_null(chunk);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	while (read(fd, chunk, 1 << 20) > 0)
		;
	close(fd);
	free(chunk);
}

/* Whether faults on st's map map one page now (store/map.c). */
static int
st_map_small(store *st)
{
	return __atomic_load_n(&st->map_small, __ATOMIC_RELAXED);
}

/* With one-page faults on (ingest), reading through the map maps the pages
 * read and no others, whatever the page cache holds: here after a read of
 * the file in order, where a fault of the kernel's default maps the whole
 * folio it hits (up to 2 MiB; 155 MiB for 100 one-byte reads of a 600 MB
 * store on the reference VM).  The setting outlives the map's moves as
 * the store grows, and turning it off leaves the reads as they were.
 * Skipped where the kernel refuses it (before Linux 6.7, or without
 * userfaultfd). */
static void
test_store_map__one_page_faults_map_only_what_is_read(void **state)
{
	struct fx *f = *state;
	store_opts opts = { .map_size = 64 * 1024 }; /* moves as it grows */
	uint8_t data[3000];
	char id[64];
	const int n = 4000, k = 200;
	store_snap *sn = NULL;
	store_record *r = NULL;
	lsn_err err;

	assert_int_equal(reopen(f, &opts), 0);
	if (!store_map_one_page_faults(f->st, 1)) {
		store_map_one_page_faults(f->st, 0);
		skip(); /* the kernel refused: what it maps is what it maps */
	}
	put_random_records(f->st, "op", n / 1000, 1000, data, sizeof(data));
	/* The map moved a dozen times on the way (64 KiB to some 32 MiB). */
	assert_true(st_map_small(f->st));
	put_records(f->st, "op-drop", 1, data, sizeof(data));
	store__map_release(f->st); /* start from nothing mapped */
	read_in_order(f->dir);
	long before = map_rss_kib(f->st);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	for (int i = 0; i < k; i++) {
		int j = (int)(((long)i * 7919) % n); /* scattered */
		snprintf(id, sizeof(id), "op%02d-%06d", j / 1000, j % 1000);
		assert_int_equal(store_record_get(sn, id, NULL, 0, &r, &err), 0);
		store_record_free(r);
		r = NULL;
	}
	store_snap_end(sn);
	/* Per record: its id's leaf, its serial's leaf, its page; and the two
	 * trees' branch pages once. */
	long grew = map_rss_kib(f->st) - before, bound = k * 3 * 4 + 256;
	if (grew > bound)
		fail_msg("%d records read with one-page faults mapped %ld KiB (bound %ld KiB)",
		    k, grew, bound);
	assert_int_equal(store_map_one_page_faults(f->st, 0), 0);
	assert_false(st_map_small(f->st));
	expect_record(f->st, "op-drop-000000", data, sizeof(data));
}

/* Faults this thread has taken. */
static long
thread_faults(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
	return ru.ru_minflt + ru.ru_majflt;
}

/* Put nbatch batches of slice 0's blocks (terms whose first 4 bits are
 * 0): big ones of len bytes, which LMDB keeps in its leaves, and small
 * ones, which go into packs. */
static void
put_slice_blocks(store *st, int nbatch, int big, int small, size_t len)
{
	uint8_t term[STORE_BLIND_LEN] = { 0 }, *val = malloc(len);
	store_batch *b = NULL;
	lsn_err err;

	assert_non_null(val);
	assert_int_equal(store_batch_new(st, &b, &err), 0);
	for (int nb = 0; nb < nbatch; nb++) {
		for (int i = 0; i < big + small; i++) {
			term[1] = (uint8_t)(i >> 8);
			term[2] = (uint8_t)i;
			gcry_create_nonce(val, len); /* as incompressible as sealed */
			assert_int_equal(store_batch_put_postings(b, term, val, i < big ? len : 60,
						 &err), 0);
		}
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	store_batch_free(b);
	free(val);
}

/* List slice 0 from nothing mapped: n entries; the faults it took and the
 * KiB of the map it left mapped in *faults and *kib, its leaves in *leaves. */
static void
list_slice0(store *st, size_t n, long *faults, long *kib, size_t *leaves)
{
	store_snap *sn = NULL;
	store_recent rs = { 0 };
	MDB_stat ms;
	lsn_err err;

	store__map_release(st);
	long before = map_rss_kib(st);
	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	assert_int_equal(mdb_stat(sn->txn, st->recent[0], &ms), 0);
	*leaves = ms.ms_leaf_pages;
	*faults = thread_faults();
	assert_int_equal(store_recent_slice(sn, 0, UINT64_MAX, &rs, &err), 0);
	*faults = thread_faults() - *faults;
	*kib = map_rss_kib(st) - before;
	assert_int_equal(rs.n, n);
	store_recent_free(&rs);
	store_snap_end(sn);
}

/*
 * A merge lists a slice of the recent postings, leaf after leaf, and each
 * batch wrote that slice's leaves on neighbouring pages: with one-page
 * faults on (ingest), the listing's faults still map their neighbours.
 * With them, the merges' listings in a 100,000-report ingest took 7,000
 * faults instead of 92,000, and 0.3 s instead of 1.0.  What they map
 * stays bounded (STORE__MAP_RESIDENT, and what four faults of a 2 MiB
 * folio map) even after a read of the file in order, and faults map one
 * page again afterwards.  Skipped where the kernel refuses one-page faults.
 */
static void
test_store_map__slice_listing_maps_neighbours_bounded(void **state)
{
	struct fx *f = *state;
	long faults, kib, bound = (STORE__MAP_RESIDENT >> 10) + 4 * 2048 + 2048;
	size_t leaves;

	if (!store_map_one_page_faults(f->st, 1)) {
		store_map_one_page_faults(f->st, 0);
		skip();
	}
	/* About a merge's slice: 16 batches, 6.4 MB of blocks. */
	put_slice_blocks(f->st, 16, 400, 100, 1000);
	list_slice0(f->st, 16 * 500, &faults, &kib, &leaves);
	/* A fault a leaf with one-page faults; here about one in 16, and the
	 * listing's own arrays (more under AddressSanitizer: 630 against 108;
	 * not counted under ThreadSanitizer, whose shadow memory faults as
	 * the listing reads: 1,263 for 2,192 leaves). */
	if (!LSN_TSAN && faults * 2 > (long)leaves)
		fail_msg("listing %zu leaves took %ld faults", leaves, faults);
	assert_true(st_map_small(f->st)); /* one-page faults again */

	/* Three times the bound, after a read in order (a fault of the
	 * kernel's maps its folio then): what the listing maps stays under
	 * the bound. */
	put_slice_blocks(f->st, 16, 2500, 100, 1000);
	read_in_order(f->dir);
	list_slice0(f->st, 16 * 500 + 16 * 2600, &faults, &kib, &leaves);
	assert_true((long)leaves * 4 > bound + bound / 2); /* else nothing is bounded */
	if (kib > bound)
		fail_msg("listing %zu leaves mapped %ld KiB (bound %ld KiB)", leaves, kib, bound);
	assert_true(st_map_small(f->st));
	assert_int_equal(store_map_one_page_faults(f->st, 0), 0);
}

/* Records read by id through a bulk reader (ingest's duplicate check), or
 * put by id, in between commits: once the file pages this process maps
 * have grown by STORE__MAP_RESIDENT, the mapping is dropped.  Each lookup
 * of an id out of key order maps its page and, by the kernel's
 * fault-around, the cached pages around it: a batch of 2,000 such ids
 * mapped 128 MiB before.  A plain reader (a query) keeps its pages mapped. */
static void
test_store_batch__bulk_reads_keep_the_map_bounded(void **state)
{
	struct fx *f = *state;
	uint8_t data[3000];
	char id[64];
	const int n = 20000; /* a page each: 78 MiB, over twice the bound */
	const long bound = STORE__MAP_RESIDENT / 1024, slack = 16 * 1024;
	store_snap *sn = NULL;
	store_record *r = NULL;
	long most = 0;
	lsn_err err;

	put_random_records(f->st, "bk", n / 2000, 2000, data, sizeof(data));
	/* A query's snapshot reading every record keeps them all mapped. */
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	for (int i = 0; i < n; i++) {
		int k = (int)(((long)i * 7919) % n); /* not in key order */
		snprintf(id, sizeof(id), "bk%02d-%06d", k / 2000, k % 2000);
		assert_int_equal(store_record_get(sn, id, NULL, 0, &r, &err), 0);
		store_record_free(r);
		r = NULL;
	}
	store_snap_end(sn);
	long plain = map_rss_kib(f->st);
	if (plain < bound + 2 * slack)
		fail_msg("a query reading %d records keeps only %ld KiB mapped", n, plain);
	put_records(f->st, "bk-drop", 1, data, sizeof(data));
	store__map_release(f->st); /* start from nothing mapped */
	/* A bulk reader: never more than the bound (and one check's worth). */
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	store_snap_bulk(sn);
	for (int i = 0; i < n; i++) {
		int k = (int)(((long)i * 7919) % n);
		snprintf(id, sizeof(id), "bk%02d-%06d", k / 2000, k % 2000);
		if (i % 2)
			assert_int_equal(store_record_get(sn, id, NULL, 0, &r, &err), 0);
		else
			assert_int_equal(store_record_peek(sn, id, NULL, NULL, NULL, &err), 0);
		store_record_free(r);
		r = NULL;
		if (i % 250 == 249) {
			long now = map_rss_kib(f->st);
			most = now > most ? now : most;
		}
	}
	store_snap_end(sn);
	if (most > bound + slack)
		fail_msg("a bulk reader had %ld KiB of the map resident (bound %ld KiB)", most,
		    bound);

	/* Again once the whole file has been read through the page cache,
	 * as a backup copy (cp, mdb_copy) reads it: on a kernel and file
	 * system with large folios (Linux 6.x, ext4 and others) the cache
	 * then holds the file in folios of up to 2 MiB, and a fault on the
	 * map maps the whole folio it hits, not 4 KiB (824 KiB a fault on
	 * average, measured on the reference VM), so the same reads map
	 * hundreds of times more between two checks. */
	put_records(f->st, "bk-drop2", 1, data, sizeof(data));
	store__map_release(f->st); /* start from nothing mapped */
	read_in_order(f->dir);
	most = 0;
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	store_snap_bulk(sn);
	for (int i = 0; i < n; i++) {
		int k = (int)(((long)i * 7919) % n);
		snprintf(id, sizeof(id), "bk%02d-%06d", k / 2000, k % 2000);
		assert_int_equal(store_record_peek(sn, id, NULL, NULL, NULL, &err), 0);
		if (i % 50 == 49) {
			long now = map_rss_kib(f->st);
			most = now > most ? now : most;
		}
	}
	store_snap_end(sn);
	if (most > bound + slack)
		fail_msg("over a page cache of large folios, a bulk reader had %ld KiB of the "
		    "map resident (bound %ld KiB)", most, bound);
}

static void
test_store_batch__existing_id_fails_whole_batch(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	lsn_err err;

	put_records(f->st, "dup", 1, (const uint8_t *)"first", 5);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_record(b, "fresh", SEG("new"), "L", 1, NULL, &err), 0);
	assert_int_equal(store_batch_put_record(b, "dup-000000", SEG("second"), "L", 1, NULL,
	    &err), 0);
	assert_int_equal(store_batch_commit(b, &err), LSN_EEXISTS);
	store_batch_free(b);
	expect_record(f->st, "dup-000000", (const uint8_t *)"first", 5);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_record_peek(sn, "fresh", NULL, NULL, NULL, &err), LSN_ENOTFOUND);
	store_snap_end(sn);
}

static void
test_store_batch__serials_index_and_delete(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	uint64_t s1, s2, s3 = 0;
	const char *id;
	const uint8_t *label;
	size_t ll;
	lsn_err err;

	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_record(b, "one", SEG("1"), "LAB1", 4, &s1, &err), 0);
	assert_int_equal(store_batch_put_record(b, "two", SEG("2"), "LAB2", 4, &s2, &err), 0);
	assert_true(s2 > s1);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_serial_lookup(sn, s2, &id, &label, &ll, &err), 0);
	assert_string_equal(id, "two");
	assert_int_equal(ll, 4);
	assert_memory_equal(label, "LAB2", 4);
	store_snap_end(sn);

	assert_int_equal(store_batch_del_record(b, "two", &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	/* A deleted record's serial is never handed out again. */
	assert_int_equal(reopen(f, NULL), 0);
	store_batch_free(b);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_record(b, "three", SEG("3"), "L", 1, &s3, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_true(s3 > s2);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_serial_lookup(sn, s2, &id, &label, &ll, &err), LSN_ENOTFOUND);
	assert_int_equal(store_record_peek(sn, "two", NULL, NULL, NULL, &err), LSN_ENOTFOUND);
	store_snap_end(sn);
	store_batch_free(b);
}

/*
 * Records and labels are put under growing serials, so they are appended:
 * 100 records of about 1.5 KB sealed (incompressible) fill two to a page
 * (split in halves, as an ordinary put splits them, they took 64 pages).
 * A batch whose serials come before a committed one's still lands: the
 * serials are handed out at put time, and batches may commit in any order.
 */
static void
test_store_batch__records_appended_and_out_of_order_batches_land(void **state)
{
	struct fx *f = *state;
	store_batch *early = NULL, *late = NULL;
	uint8_t data[1500];
	uint64_t s_early, s_late;
	MDB_txn *txn;
	MDB_stat ms;
	lsn_err err;

	gcry_randomize(data, sizeof(data), GCRY_WEAK_RANDOM);
	put_records(f->st, "packed", 100, data, sizeof(data));
	assert_int_equal(mdb_txn_begin(f->st->env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_stat(txn, f->st->records, &ms), 0);
	mdb_txn_abort(txn);
	assert_int_equal(ms.ms_entries, 100);
	assert_true(ms.ms_leaf_pages <= 52);
	expect_record(f->st, "packed-000099", data, sizeof(data));

	assert_int_equal(store_batch_new(f->st, &early, &err), 0);
	assert_int_equal(store_batch_new(f->st, &late, &err), 0);
	assert_int_equal(store_batch_put_record(early, "early", SEG("e"), "L", 1, &s_early,
	    &err), 0);
	assert_int_equal(store_batch_put_record(late, "late", SEG("l"), "L", 1, &s_late,
	    &err), 0);
	assert_true(s_late > s_early);
	assert_int_equal(store_batch_commit(late, &err), 0);
	assert_int_equal(store_batch_commit(early, &err), 0);
	store_batch_free(early);
	store_batch_free(late);
	expect_record(f->st, "early", (const uint8_t *)"e", 1);
	expect_record(f->st, "late", (const uint8_t *)"l", 1);
}

struct ids_seen {
	size_t n, stop_at;
	char last[64];
	int in_order;
};

static int
on_id(void *ctx, const char *id, size_t len)
{
	struct ids_seen *s = ctx;
	char cur[64];

	assert_true(len > 0 && len < sizeof(cur));
	memcpy(cur, id, len);
	cur[len] = '\0';
	if (s->n > 0 && strcmp(s->last, cur) >= 0)
		s->in_order = 0;
	memcpy(s->last, cur, len + 1);
	return ++s->n == s->stop_at ? 42 : 0;
}

/* store_report_ids: every id of the snapshot, in key order, none of a
 * deleted report, and fn's nonzero value stops the scan and is returned. */
static void
test_store_report_ids__every_id_in_order(void **state)
{
	struct fx *f = *state;
	struct ids_seen s = { 0, 0, "", 1 };
	store_batch *b = NULL;
	store_snap *sn = NULL;
	lsn_err err;

	put_records(f->st, "Z", 150, (const uint8_t *)"z", 1);
	put_records(f->st, "A", 150, (const uint8_t *)"a", 1);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_del_record(b, "A-000007", &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_report_ids(sn, on_id, &s, &err), 0);
	assert_int_equal(s.n, 299);
	assert_true(s.in_order);
	assert_string_equal(s.last, "Z-000149");
	memset(&s, 0, sizeof(s));
	s.in_order = 1;
	s.stop_at = 10;
	assert_int_equal(store_report_ids(sn, on_id, &s, &err), 42);
	assert_int_equal(s.n, 10);
	assert_string_equal(s.last, "A-000010"); /* A-000007 is gone */
	store_snap_end(sn);
}

/* Records are kept by serial and found by id through the id index; a
 * record opened by serial must be that serial's and that id's, and an
 * index entry pointed at another report's record opens nothing. */
static void
test_store_batch__id_index_and_open_by_serial(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	store_record *r = NULL;
	uint64_t s1, s2, got;
	uint8_t sk[8];
	MDB_val k = { 3, "one" }, v = { 8, sk };
	MDB_txn *txn;
	MDB_stat ms;
	lsn_err err;

	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_record(b, "one", SEG("first"), "LAB1", 4, &s1, &err), 0);
	assert_int_equal(store_batch_put_record(b, "two", SEG("second"), "LAB2", 4, &s2, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);

	/* The index holds serials, the records database the records. */
	assert_int_equal(mdb_txn_begin(f->st->env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_get(txn, f->st->reports, &k, &v), 0);
	assert_int_equal(v.mv_size, 8);
	assert_int_equal(lsn_get_be64(v.mv_data), s1);
	assert_int_equal(mdb_stat(txn, f->st->records, &ms), 0);
	assert_int_equal(ms.ms_entries, 2);
	mdb_txn_abort(txn);

	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_record_peek(sn, "two", &got, NULL, NULL, &err), 0);
	assert_int_equal(got, s2);
	assert_int_equal(store_record_get_serial(sn, s2, "two", NULL, 0, &r, &err), 0);
	assert_int_equal(r->seg_len[0], 6);
	assert_memory_equal(r->seg[0], "second", 6);
	store_record_free(r);
	/* Another report's id for the serial: sealed under "two", not "one". */
	assert_int_equal(store_record_get_serial(sn, s2, "one", NULL, 0, &r, &err), LSN_EINPUT);
	assert_null(r);
	assert_int_equal(store_record_get_serial(sn, s2 + 100, "two", NULL, 0, &r, &err),
	    LSN_ENOTFOUND);
	store_snap_end(sn);

	/* The index entry of "one" pointed at the record of "two". */
	lsn_put_be64(sk, s2);
	v.mv_size = 8;
	v.mv_data = sk;
	assert_int_equal(mdb_txn_begin(f->st->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, f->st->reports, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_record_get(sn, "one", NULL, 0, &r, &err), LSN_EINPUT);
	assert_non_null(strstr(err.msg, "fails authentication"));
	assert_null(r);
	store_snap_end(sn);

	/* The record of "two" copied under the serial of "one": its header
	 * names serial s2, so opening it as s1 fails before decryption. */
	assert_int_equal(mdb_txn_begin(f->st->env, NULL, 0, &txn), 0);
	lsn_put_be64(sk, s2);
	k.mv_size = 8;
	k.mv_data = sk;
	assert_int_equal(mdb_get(txn, f->st->records, &k, &v), 0);
	{
		uint8_t *copy = malloc(v.mv_size), s1k[8];
		MDB_val k1 = { 8, s1k }, v1 = { v.mv_size, copy };
		assert_non_null(copy);
		memcpy(copy, v.mv_data, v.mv_size);
		lsn_put_be64(s1k, s1);
		assert_int_equal(mdb_put(txn, f->st->records, &k1, &v1, 0), 0);
		free(copy);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_record_get_serial(sn, s1, "two", NULL, 0, &r, &err), LSN_EINPUT);
	assert_non_null(strstr(err.msg, "not sealed with that serial"));
	assert_null(r);
	store_snap_end(sn);
}

/* A store without its records database: damaged if its format is 2, and
 * of format 1 (which had none) if it says so; both refused, each with its
 * own message. */
static void
test_store_open__missing_records_database_refused(void **state)
{
	struct fx *f = *state;
	store_keysrc ks = { .key_file = f->key };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	uint8_t one[4];
	MDB_val k = { 6, "format" }, v = { 4, one };
	lsn_err err;

	assert_int_equal(mdb_txn_begin(f->st->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_drop(txn, f->st->records, 1), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(&f->st, f->dir, &ks, NULL, &err), LSN_EINPUT);
	assert_null(f->st);
	assert_non_null(strstr(err.msg, "has no records database: the store is corrupted"));

	lsn_put_be32(one, 1);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->st, f->dir, &ks, NULL, &err), LSN_EINPUT);
	assert_null(f->st);
	assert_non_null(strstr(err.msg, "has store format 1, which keeps reports by id"));
}

static const char *const words[] = { "convoy", "route", "checkpoint", "battalion",
	"logistics", "fuel", "depot", "bridge", "river", "patrol", "northern", "sector",
	"observed", "vehicles", "moving", "toward", "border", "crossing", "reported" };

static size_t
prose(char *buf, size_t cap, unsigned seed)
{
	size_t n = 0;

	while (n + 16 < cap) {
		seed = seed * 1103515245u + 12345u;
		n += (size_t)snprintf(buf + n, cap - n, "%s ", words[(seed >> 16) % 19]);
	}
	return n;
}

/* Records of prose(from), prose(from + 1), ... as ids PREFIX-0, -1, ... */
static void
put_prose(store_batch *b, const char *prefix, unsigned from, unsigned n)
{
	char text[3000], id[32];
	lsn_err err;

	for (unsigned i = 0; i < n; i++) {
		size_t len = prose(text, sizeof(text), from + i);
		snprintf(id, sizeof(id), "%s-%u", prefix, i);
		assert_int_equal(store_batch_put_record(b, id, SEGN(text, len), "L", 1, NULL, &err), 0);
	}
}

/* With commits' own training off (ingest trains beside its run), a commit
 * past the threshold leaves the dictionary due; store_dict_train_due trains
 * it; and a failed try (too few samples) is not made again. */
static void
test_store_dict__trained_when_due_by_the_caller(void **state)
{
	struct fx *f = *state;
	store_opts opts = { .dict_threshold = 5 };
	store_batch *b = NULL;
	lsn_err err;

	assert_int_equal(reopen(f, &opts), 0);
	store_dict_auto(f->st, 0);
	assert_int_equal(store_dict_wait(f->st), 5); /* records short of due */
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	put_prose(b, "few", 0, 3);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(store_dict_wait(f->st), 2);
	assert_false(store_dict_due(f->st));
	put_prose(b, "more", 3, 2); /* due, but too few to train (20) */
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(store_dict_current(f->st), 0);
	assert_true(store_dict_due(f->st));
	assert_int_equal(store_dict_wait(f->st), 0);
	store_dict_train_due(f->st); /* fails: remembered */
	assert_int_equal(store_dict_current(f->st), 0);
	assert_false(store_dict_due(f->st));
	assert_true(store_dict_wait(f->st) == UINT64_MAX); /* none will be */

	store_batch_free(b);
	assert_int_equal(reopen(f, &opts), 0); /* a new open tries again */
	store_dict_auto(f->st, 0);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	put_prose(b, "many", 100, 80);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(store_dict_current(f->st), 0); /* the commit did not train */
	assert_true(store_dict_due(f->st));
	store_dict_train_due(f->st);
	assert_int_not_equal(store_dict_current(f->st), 0);
	assert_false(store_dict_due(f->st));
	assert_true(store_dict_wait(f->st) == UINT64_MAX); /* one there */
	store_batch_free(b);
}

static void
test_store_dict__trained_old_and_new_records_open(void **state)
{
	struct fx *f = *state;
	store_opts opts = { .dict_threshold = 60 };
	char text[3000], id[32];
	size_t len;
	store_batch *b = NULL;
	lsn_err err;

	assert_int_equal(reopen(f, &opts), 0);
	assert_int_equal(store_dict_current(f->st), 0);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	put_prose(b, "before", 0, 80);
	assert_int_equal(store_batch_commit(b, &err), 0);
	uint32_t d = store_dict_current(f->st);
	assert_int_not_equal(d, 0);
	put_prose(b, "after", 1000, 20);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	/* The new records name the dictionary; the old ones name none. */
	assert_int_equal(reopen(f, NULL), 0);
	assert_int_equal(store_dict_current(f->st), d);
	for (unsigned i = 0; i < 80; i++) {
		len = prose(text, sizeof(text), i);
		snprintf(id, sizeof(id), "before-%u", i);
		expect_record(f->st, id, (uint8_t *)text, len);
	}
	for (unsigned i = 0; i < 20; i++) {
		len = prose(text, sizeof(text), 1000 + i);
		snprintf(id, sizeof(id), "after-%u", i);
		expect_record(f->st, id, (uint8_t *)text, len);
	}
}

struct collect {
	int blocks;
	char text[4][32];
};

static int
on_block(void *ctx, const uint8_t *block, size_t len)
{
	struct collect *c = ctx;

	snprintf(c->text[c->blocks], 32, "%.*s", (int)len, (const char *)block);
	c->blocks++;
	return 0;
}

static void
test_store_postings__blocks_in_order_per_term(void **state)
{
	struct fx *f = *state;
	uint8_t t1[STORE_BLIND_LEN], t2[STORE_BLIND_LEN], t1b[STORE_BLIND_LEN];
	store_batch *b = NULL;
	store_snap *sn = NULL;
	struct collect c = { 0 };
	lsn_err err;

	store_blind(f->st, "convoy", 6, t1);
	store_blind(f->st, "convoy", 6, t1b);
	store_blind(f->st, "convoz", 6, t2);
	assert_memory_equal(t1, t1b, STORE_BLIND_LEN);
	assert_memory_not_equal(t1, t2, STORE_BLIND_LEN);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_postings(b, t1, "early", 5, &err), 0);
	assert_int_equal(store_batch_put_postings(b, t2, "other", 5, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	/* A failed commit burns its batch number: later blocks still follow. */
	assert_int_equal(store_batch_put_postings(b, t1, "lost", 4, &err), 0);
	assert_int_equal(store_batch_put_record(b, "x", SEG("x"), "L", 1, NULL, &err), 0);
	assert_int_equal(store_batch_put_record(b, "x", SEG("x"), "L", 1, NULL, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), LSN_EEXISTS);
	store_batch_free(b);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_postings(b, t1, "late", 4, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	assert_int_equal(reopen(f, NULL), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_postings_get(sn, t1, on_block, &c, &err), 0);
	assert_int_equal(c.blocks, 2);
	assert_string_equal(c.text[0], "early");
	assert_string_equal(c.text[1], "late");
	store_snap_end(sn);
}

/* Fill a block for term i of a batch: its bytes say which. */
static size_t
block_of(uint8_t *out, unsigned batch, unsigned i)
{
	size_t n = 1000 + (i * 37) % 6000;

	for (size_t k = 0; k < n; k++)
		out[k] = (uint8_t)(batch * 31 + i * 7 + k);
	return n;
}

/* Every block_of() of both batches, read back under terms[0..n). */
static void
read_back(store_snap *sn, uint8_t (*terms)[STORE_BLIND_LEN], unsigned n,
    const uint64_t number[2])
{
	static uint8_t want[7000];
	uint8_t *buf = NULL;
	size_t cap = 0, len, wl;
	lsn_err err;

	for (unsigned batch = 0; batch < 2; batch++)
		for (unsigned i = 0; i < n; i++) {
			wl = block_of(want, batch, i);
			assert_int_equal(store_postings_read_batch(sn, terms[i], number[batch], &buf,
			    &cap, &len, NULL, NULL, &err), 0);
			assert_int_equal(len, wl);
			assert_memory_equal(buf, want, wl);
		}
	free(buf);
}

/* Blind n words "<prefix><i>" into terms[i]; order: their indexes by
 * key, ascending (dir 1) or descending (dir -1). */
static void
blind_sorted(store *st, const char *prefix, unsigned n, uint8_t (*terms)[STORE_BLIND_LEN],
    unsigned *order, int dir)
{
	char word[16];

	for (unsigned i = 0; i < n; i++) {
		snprintf(word, sizeof(word), "%s%u", prefix, i);
		store_blind(st, word, strlen(word), terms[i]);
		order[i] = i;
	}
	for (unsigned i = 1; i < n; i++)
		for (unsigned k = i; k > 0 && dir * memcmp(terms[order[k - 1]], terms[order[k]],
						STORE_BLIND_LEN) > 0; k--) {
			unsigned t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
}

/* A batch's blocks are appended at the end of the posting tree when they
 * come in key order and put the ordinary way when they do not: 300 blocks
 * (over a megabyte: the batch's block buffer grows) in descending key order
 * with an index entry and the head between them, then 300 in ascending
 * order, all read back. */
static void
test_store_postings__many_blocks_any_order(void **state)
{
	struct fx *f = *state;
	enum { NT = 300 };
	static uint8_t terms[NT][STORE_BLIND_LEN], want[7000];
	unsigned order[NT];
	uint64_t number[2];
	size_t wl;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	struct collect c = { 0 };
	lsn_err err;

	blind_sorted(f->st, "w", NT, terms, order, -1);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	for (unsigned batch = 0; batch < 2; batch++) {
		for (unsigned j = 0; j < NT; j++) {
			unsigned i = batch == 0 ? order[j] : order[NT - 1 - j];
			wl = block_of(want, batch, i);
			assert_int_equal(store_batch_put_postings(b, terms[i], want, wl, &err), 0);
			if (j == NT / 2) {
				assert_int_equal(store_batch_put_index_entry(b, 7 + batch, "entry", 5,
				    &err), 0);
				assert_int_equal(store_batch_put_index_head(b, "head", 4, &err), 0);
			}
		}
		number[batch] = store_batch_number(b);
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	store_batch_free(b);
	assert_int_equal(reopen(f, NULL), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	read_back(sn, terms, NT, number);
	assert_int_equal(store_index_entry_get(sn, 8, on_block, &c, &err), 0);
	assert_int_equal(store_index_head_get(sn, on_block, &c, &err), 0);
	assert_int_equal(c.blocks, 2);
	assert_string_equal(c.text[0], "entry");
	assert_string_equal(c.text[1], "head");
	store_snap_end(sn);
}

/* A share of a batch's blocks, sealed in a thread of its own. */
struct share {
	store_blocks *bl;
	uint64_t number;
	const uint8_t (*terms)[STORE_BLIND_LEN];
	const unsigned *order;
	unsigned from, to, batch;
	int rc;
};

static void *
seal_share(void *arg)
{
	struct share *sh = arg;
	static _Thread_local uint8_t block[7000];
	lsn_err err;

	sh->rc = 0;
	for (unsigned j = sh->from; j < sh->to && sh->rc == 0; j++) {
		unsigned i = sh->order[j];
		size_t n = block_of(block, sh->batch, i);
		sh->rc = store_blocks_put(sh->bl, sh->number, sh->terms[i], block, n, NULL, 0, &err);
	}
	return NULL;
}

/* A batch's blocks sealed apart, in three shares by three threads at once,
 * and added to the batch in key order beside an index entry of its own:
 * all read back, in two batches that reuse the same store_blocks.  Blocks
 * of batch number 0 or of another batch are refused. */
static void
test_store_postings__blocks_sealed_apart_in_shares(void **state)
{
	struct fx *f = *state;
	enum { NT = 300, NS = 3 };
	static uint8_t terms[NT][STORE_BLIND_LEN];
	unsigned order[NT];
	uint64_t number[2];
	store_blocks *bl[NS];
	struct share sh[NS];
	pthread_t th[NS];
	store_batch *b = NULL;
	store_snap *sn = NULL;
	struct collect c = { 0 };
	lsn_err err;

	blind_sorted(f->st, "s", NT, terms, order, 1);
	for (unsigned s = 0; s < NS; s++)
		assert_non_null(bl[s] = store_blocks_new(f->st));
	assert_int_equal(store_blocks_put(bl[0], 0, terms[0], "x", 1, NULL, 0, &err), LSN_EINTERNAL);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	for (unsigned batch = 0; batch < 2; batch++) {
		number[batch] = store_batch_postings_number(b);
		assert_true(number[batch] > 0);
		assert_int_equal(store_batch_number(b), number[batch]);
		for (unsigned s = 0; s < NS; s++) {
			store_blocks_clear(bl[s]);
			sh[s] = (struct share){ bl[s], number[batch], (const uint8_t (*)[STORE_BLIND_LEN])terms,
				order, s * NT / NS, (s + 1) * NT / NS, batch, -1 };
			assert_int_equal(pthread_create(&th[s], NULL, seal_share, &sh[s]), 0);
		}
		for (unsigned s = 0; s < NS; s++) {
			assert_int_equal(pthread_join(th[s], NULL), 0);
			assert_int_equal(sh[s].rc, 0);
		}
		assert_int_equal(store_batch_put_index_entry(b, 20 + batch, "entry", 5, &err), 0);
		for (unsigned s = 0; s < NS; s++)
			assert_int_equal(store_batch_add_blocks(b, bl[s], &err), 0);
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	/* Blocks made for an earlier batch number go into no other batch. */
	store_blocks_clear(bl[0]);
	assert_int_equal(store_blocks_put(bl[0], number[1], terms[0], "x", 1, NULL, 0, &err), 0);
	assert_int_equal(store_batch_put_postings(b, terms[1], "y", 1, &err), 0);
	assert_int_not_equal(store_batch_number(b), number[1]);
	assert_int_equal(store_batch_add_blocks(b, bl[0], &err), LSN_EINTERNAL);
	store_batch_free(b);
	for (unsigned s = 0; s < NS; s++)
		store_blocks_free(bl[s]);
	assert_int_equal(reopen(f, NULL), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	read_back(sn, terms, NT, number);
	assert_int_equal(store_index_entry_get(sn, 21, on_block, &c, &err), 0);
	assert_int_equal(c.blocks, 1);
	assert_string_equal(c.text[0], "entry");
	store_snap_end(sn);
}

/* A block read into the caller's buffer: grown when too small, nothing for
 * a batch without one, and a tampered block refused with no plaintext of
 * it left in the buffer. */
static void
test_store_postings__read_into_caller_buffer(void **state)
{
	struct fx *f = *state;
	uint8_t t[STORE_BLIND_LEN], big[3000], *buf = NULL, kb[8 + STORE_BLIND_LEN];
	size_t cap = 0, len = 99;
	uint64_t n1, n2;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	MDB_txn *txn;
	MDB_val k = { sizeof(kb), kb }, v;
	uint8_t copy[4096];
	lsn_err err;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(1 + i % 251);
	store_blind(f->st, "convoy", 6, t);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_postings(b, t, "short", 5, &err), 0);
	n1 = store_batch_number(b);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(store_batch_put_postings(b, t, big, sizeof(big), &err), 0);
	n2 = store_batch_number(b);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_postings_read_batch(sn, t, n1, &buf, &cap, &len, NULL, NULL, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "short", 5);
	assert_int_equal(store_postings_read_batch(sn, t, n2, &buf, &cap, &len, NULL, NULL, &err), 0);
	assert_int_equal(len, sizeof(big));
	assert_true(cap >= sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	assert_int_equal(store_postings_read_batch(sn, t, n2 + 1, &buf, &cap, &len, NULL, NULL, &err), 0);
	assert_int_equal(len, 0);
	store_snap_end(sn);
	/* One ciphertext byte of the big block changed, as with the files. */
	lsn_put_be64(kb, n2);
	memcpy(kb + 8, t, STORE_BLIND_LEN);
	assert_int_equal(mdb_txn_begin(f->st->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_get(txn, STORE__RECENT(f->st, t), &k, &v), 0);
	assert_true(v.mv_size <= sizeof(copy));
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size / 2] ^= 1;
	v.mv_data = copy;
	assert_int_equal(mdb_put(txn, STORE__RECENT(f->st, t), &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_postings_read_batch(sn, t, n2, &buf, &cap, &len, NULL, NULL, &err), LSN_EINPUT);
	assert_int_equal(len, 0);
	for (size_t i = 0; i < sizeof(big); i++)
		assert_int_equal(buf[i], 0);
	store_snap_end(sn);
	lsn_wipe_free(buf, cap);
}

/* After frame 0, go to frame `to` at byte `at`; after that, go back to
 * frame 0 when `back`, else read on. */
struct skip {
	int calls, back;
	uint32_t to;
	size_t at;
};

static int
skip_more(void *ctx, const uint8_t *frame, size_t len, uint32_t *next, size_t *at)
{
	struct skip *s = ctx;

	(void)frame;
	(void)len;
	if (s->calls++ == 0) {
		*next = s->to;
		*at = s->at;
	} else if (s->back) {
		*next = 0;
		*at = 0;
	}
	return 1;
}

/* A reader skips frames by their offset (frame 0's and 37 bytes of framing
 * a frame): what it opens follows in its buffer.  A wrong offset, another
 * frame's index at that offset, or opening frames again until they are
 * more than the block holds is refused, and nothing opened is left. */
static void
test_store_postings__frames_skipped_by_offset(void **state)
{
	struct fx *f = *state;
	uint8_t t[STORE_BLIND_LEN], plain[400], *buf = NULL;
	uint32_t ends[4] = { 100, 200, 300, 400 };
	size_t cap = 0, len = 0, two = 2 * (100 + STORE_FRAME_OVERHEAD);
	store_batch *b = NULL;
	store_blocks *bl = store_blocks_new(f->st);
	store_snap *sn = NULL;
	uint64_t n;
	lsn_err err;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(1 + i % 251);
	store_blind(f->st, "skip", 4, t);
	assert_non_null(bl);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	n = store_batch_postings_number(b);
	assert_int_equal(store_blocks_put(bl, n, t, plain, sizeof(plain), ends, 4, &err), 0);
	assert_int_equal(store_batch_add_blocks(b, bl, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	store_blocks_free(bl);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	struct skip s = { 0, 0, 2, two };
	assert_int_equal(store_postings_read_batch(sn, t, n, &buf, &cap, &len, skip_more, &s,
	    &err), 0);
	assert_int_equal(len, 300); /* frames 0, 2 and 3 */
	assert_memory_equal(buf, plain, 100);
	assert_memory_equal(buf + 100, plain + 200, 200);
	s = (struct skip){ 0, 0, 2, two + 1 };
	assert_int_equal(store_postings_read_batch(sn, t, n, &buf, &cap, &len, skip_more, &s,
	    &err), LSN_EINPUT);
	assert_int_equal(len, 0);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(buf[i], 0);
	s = (struct skip){ 0, 0, 3, two };
	assert_int_equal(store_postings_read_batch(sn, t, n, &buf, &cap, &len, skip_more, &s,
	    &err), LSN_EINPUT);
	s = (struct skip){ 0, 1, 2, two };
	assert_int_equal(store_postings_read_batch(sn, t, n, &buf, &cap, &len, skip_more, &s,
	    &err), LSN_EINPUT);
	assert_int_equal(len, 0);
	store_snap_end(sn);
	lsn_wipe_free(buf, cap);
}

static int
count_entry(void *ctx, uint32_t id, const uint8_t *data, size_t len)
{
	struct collect *c = ctx;

	snprintf(c->text[c->blocks], 32, "%u:%.*s", (unsigned)id, (int)len, (const char *)data);
	c->blocks++;
	return 0;
}

/* The index head sits beside the index entries, sealed like them, replaced
 * by each put, and is never listed as an entry; a batch's number is known
 * once it has a block. */
/* The block of term t in batch b as a string ("" for none). */
static const char *
block_of_batch(store *st, const uint8_t *t, uint64_t b)
{
	static char out[64];
	store_snap *sn = NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;
	lsn_err err;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	assert_int_equal(store_postings_read_batch(sn, t, b, &buf, &cap, &len, NULL, NULL, &err), 0);
	assert_true(len < sizeof(out));
	if (len)
		memcpy(out, buf, len);
	out[len] = '\0';
	free(buf);
	store_snap_end(sn);
	return out;
}

/*
 * A merge moves the recent batches' blocks into one batch slice by slice
 * of the term space, each slice committed on its own: at every moment a
 * term's blocks are found in exactly one place (the merge's number for a
 * slice done, its batches' for any other), and once the last slice is
 * done the recent batches hold none and new ones are recent again.
 */
static void
test_store_postings__merge_slices_read_from_one_place(void **state)
{
	struct fx *f = *state;
	uint8_t ta[STORE_BLIND_LEN] = { 0x05 }, tb[STORE_BLIND_LEN] = { 0x95 };
	uint64_t nb[3], into = 0, got_into;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	store_recent rs = { 0 };
	store_recent_ent *e = NULL;
	size_t n = 0;
	unsigned done;
	lsn_err err;

	memset(ta + 1, 0xaa, sizeof(ta) - 1);
	memset(tb + 1, 0xbb, sizeof(tb) - 1);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	for (int i = 0; i < 3; i++) {
		char a[3] = { 'a', (char)('1' + i), 0 }, bb[3] = { 'b', (char)('1' + i), 0 };
		assert_int_equal(store_batch_put_postings(b, ta, a, 2, &err), 0);
		assert_int_equal(store_batch_put_postings(b, tb, bb, 2, &err), 0);
		nb[i] = store_batch_number(b);
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	/* Slice 0 holds ta's blocks, oldest batch first; slice 9 tb's. */
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_recent_slice(sn, 0, UINT64_MAX, &rs, &err), 0);
	e = rs.e;
	n = rs.n;
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		uint8_t *buf = NULL;
		size_t cap = 0, len = 0;
		assert_int_equal(lsn_get_be64(e[i].key), nb[i]);
		assert_memory_equal(e[i].key + 8, ta, STORE_BLIND_LEN);
		assert_int_equal(store_block_open(f->st, &e[i], &buf, &cap, &len, &err), 0);
		assert_int_equal(len, 2);
		assert_int_equal(buf[1], '1' + i);
		free(buf);
	}
	store_recent_free(&rs);
	assert_int_equal(store_recent_slice(sn, 1, UINT64_MAX, &rs, &err), 0);
	e = rs.e;
	n = rs.n;
	assert_int_equal(n, 0);
	store_snap_end(sn);
	/* Slice 0 merged: ta under the merge's number only, tb as it was. */
	assert_int_equal(store_batch_merge_slice(b, &into, 0, &err), 0);
	assert_true(into > nb[2]);
	assert_int_equal(store_batch_put_postings(b, ta, "A", 1, &err), LSN_EINTERNAL);
	{
		store_blocks *bl = store_blocks_new(f->st);
		assert_int_equal(store_blocks_put(bl, into, ta, "A", 1, NULL, 0, &err), 0);
		assert_int_equal(store_batch_add_blocks(b, bl, &err), 0);
		assert_int_equal(store_batch_commit(b, &err), 0);
		store_blocks_free(bl);
	}
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_true(store_postings_merging(sn, &got_into, &done));
	assert_int_equal(got_into, into);
	assert_int_equal(done, 1);
	store_snap_end(sn);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(block_of_batch(f->st, ta, nb[i]), "");
		assert_int_equal(block_of_batch(f->st, tb, nb[i])[1], '1' + i);
	}
	assert_string_equal(block_of_batch(f->st, ta, into), "A");
	assert_string_equal(block_of_batch(f->st, tb, into), "");
	/* The other slices: tb's in slice 9. */
	for (unsigned s = 1; s < STORE_MERGE_SLICES; s++) {
		store_blocks *bl = store_blocks_new(f->st);
		assert_int_equal(store_batch_merge_slice(b, &into, s, &err), 0);
		if (s == 9) {
			assert_int_equal(store_blocks_put(bl, into, tb, "B", 1, NULL, 0, &err), 0);
			assert_int_equal(store_batch_add_blocks(b, bl, &err), 0);
		}
		assert_int_equal(store_batch_commit(b, &err), 0);
		store_blocks_free(bl);
	}
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_false(store_postings_merging(sn, &got_into, &done));
	assert_int_equal(store_postings_merged_upto(sn), into);
	assert_int_equal(store_recent_slice(sn, 9, UINT64_MAX, &rs, &err), 0);
	e = rs.e;
	n = rs.n;
	assert_int_equal(n, 0);
	store_snap_end(sn);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(block_of_batch(f->st, ta, nb[i]), "");
		assert_string_equal(block_of_batch(f->st, tb, nb[i]), "");
	}
	assert_string_equal(block_of_batch(f->st, ta, into), "A");
	assert_string_equal(block_of_batch(f->st, tb, into), "B");
	/* A batch after it is recent again. */
	assert_int_equal(store_batch_put_postings(b, ta, "a4", 2, &err), 0);
	nb[0] = store_batch_number(b);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_true(nb[0] > into);
	assert_string_equal(block_of_batch(f->st, ta, nb[0]), "a4");
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_recent_slice(sn, 0, UINT64_MAX, &rs, &err), 0);
	e = rs.e;
	n = rs.n;
	assert_int_equal(n, 1);
	store_recent_free(&rs);
	store_snap_end(sn);
	store_batch_free(b);
}

/* The recent entries of slice `slice` of batches before `below`. */
static size_t
recent_count(store *st, unsigned slice, uint64_t below)
{
	store_snap *sn = NULL;
	store_recent rs = { 0 };
	size_t n;
	lsn_err err;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	assert_int_equal(store_recent_slice(sn, slice, below, &rs, &err), 0);
	n = rs.n;
	store_recent_free(&rs);
	store_snap_end(sn);
	return n;
}

/*
 * Batches committed while a merge goes on (numbered after it) are not
 * the merge's: a slice's commit empties its recent databases of the
 * batches before the merge's number only, and the later batches' blocks,
 * whole or in packs, stay found under their own numbers, before, during
 * and after the merge, and are listed for the next merge.
 */
static void
test_store_postings__a_merge_keeps_the_batches_after_it(void **state)
{
	struct fx *f = *state;
	uint8_t ta[STORE_BLIND_LEN] = { 0x05 }, tc[STORE_BLIND_LEN] = { 0x06 };
	uint8_t tb[STORE_BLIND_LEN] = { 0x95 };
	uint64_t nb[3], into, into2, got;
	store_batch *b = NULL;
	store_blocks *bl = store_blocks_new(f->st);
	store_snap *sn = NULL;
	unsigned done;
	lsn_err err;

	memset(ta + 1, 0xaa, sizeof(ta) - 1);
	memset(tc + 1, 0xcc, sizeof(tc) - 1);
	memset(tb + 1, 0xbb, sizeof(tb) - 1);
	assert_non_null(bl);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	/* Each batch: ta's block whole, tc's in a pack (small), tb's whole. */
	for (int i = 0; i < 3; i++) {
		char a[3] = { 'a', (char)('1' + i), 0 }, c[3] = { 'c', (char)('1' + i), 0 };
		char bb[3] = { 'b', (char)('1' + i), 0 };
		if (i == 2) { /* the merge's number is taken before the third */
			into = store_merge_number(f->st);
			assert_true(into > nb[1]);
		}
		assert_int_equal(store_batch_put_postings(b, ta, a, 2, &err), 0);
		assert_int_equal(store_batch_put_postings(b, tb, bb, 2, &err), 0);
		nb[i] = store_batch_postings_number(b);
		store_blocks_clear(bl);
		assert_int_equal(store_blocks_put(bl, nb[i], tc, c, 2, NULL, 0, &err), 0);
		assert_int_equal(store_batch_add_blocks(b, bl, &err), 0);
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	assert_true(nb[2] > into);
	/* The merge lists the two batches before it, every block of slice 0. */
	assert_int_equal(recent_count(f->st, 0, into), 4);
	assert_int_equal(recent_count(f->st, 0, UINT64_MAX), 6);
	/* Slice 0 merged: ta and tc of the first two under its number, the
	 * third batch's where they were. */
	store_blocks_clear(bl);
	assert_int_equal(store_batch_merge_slice(b, &into, 0, &err), 0);
	assert_int_equal(store_blocks_put(bl, into, ta, "A", 1, NULL, 0, &err), 0);
	assert_int_equal(store_blocks_put(bl, into, tc, "C", 1, NULL, 0, &err), 0);
	assert_int_equal(store_batch_add_blocks(b, bl, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(recent_count(f->st, 0, into), 0);
	assert_int_equal(recent_count(f->st, 0, UINT64_MAX), 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(block_of_batch(f->st, ta, nb[i]), "");
		assert_string_equal(block_of_batch(f->st, tc, nb[i]), "");
		assert_int_equal(block_of_batch(f->st, tb, nb[i])[1], '1' + i);
	}
	assert_string_equal(block_of_batch(f->st, ta, into), "A");
	assert_string_equal(block_of_batch(f->st, tc, into), "C");
	assert_string_equal(block_of_batch(f->st, ta, nb[2]), "a3");
	assert_string_equal(block_of_batch(f->st, tc, nb[2]), "c3");
	assert_string_equal(block_of_batch(f->st, tb, nb[2]), "b3");
	/* The other slices (tb's is 9). */
	for (unsigned s = 1; s < STORE_MERGE_SLICES; s++) {
		store_blocks_clear(bl);
		assert_int_equal(store_batch_merge_slice(b, &into, s, &err), 0);
		if (s == 9) {
			assert_int_equal(store_blocks_put(bl, into, tb, "B", 1, NULL, 0, &err), 0);
			assert_int_equal(store_batch_add_blocks(b, bl, &err), 0);
		}
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_false(store_postings_merging(sn, &got, &done));
	assert_int_equal(store_postings_merged_upto(sn), into);
	store_snap_end(sn);
	assert_string_equal(block_of_batch(f->st, tb, nb[1]), "");
	assert_string_equal(block_of_batch(f->st, tb, into), "B");
	assert_string_equal(block_of_batch(f->st, ta, nb[2]), "a3");
	assert_string_equal(block_of_batch(f->st, tc, nb[2]), "c3");
	assert_string_equal(block_of_batch(f->st, tb, nb[2]), "b3");
	/* The next merge finds the third batch's, and only them. */
	into2 = store_merge_number(f->st);
	assert_true(into2 > nb[2]);
	assert_int_equal(recent_count(f->st, 0, into2), 2);
	assert_int_equal(recent_count(f->st, 9, into2), 1);
	assert_int_equal(recent_count(f->st, 0, nb[2]), 0);
	store_blocks_free(bl);
	store_batch_free(b);
}

/* Term i's block in batch k of the packing test (0: none): every third
 * term's is over STORE__PACK_SMALL bytes (a block of its own), and an
 * eleventh of the others' in batch 1 only, the rest at most that
 * (packed); a fifth of the terms are in neither batch and a seventh of
 * the rest in batch 0 only. */
static size_t
packed_block_of(uint8_t *out, unsigned k, unsigned i)
{
	size_t n = i % 3 == 0 || (k == 1 && i % 11 == 1) ? STORE__PACK_SMALL + 1 + i % 200 :
	    1 + (i * 13) % STORE__PACK_SMALL;

	if (i % 5 == 4 || (k == 1 && i % 7 == 0))
		return 0;
	for (size_t j = 0; j < n; j++)
		out[j] = (uint8_t)(k * 31 + i * 7 + j);
	return n;
}

struct got {
	int calls;
	size_t len;
	uint8_t bytes[512];
};

static int
on_got(void *ctx, const uint8_t *block, size_t len)
{
	struct got *g = ctx;

	g->calls++;
	g->len = len;
	memcpy(g->bytes, block, len < sizeof(g->bytes) ? len : sizeof(g->bytes));
	return 0;
}

/*
 * Small blocks go into packs (store/internal.h) that readers open as if
 * each were a block: 600 terms over all slices in two batches, their
 * blocks large and small mixed, every pack's small blocks more than one
 * pack holds.  Every term reads back from each batch, by
 * store_postings_read_batch and store_postings_get_batch; a term in
 * neither batch (before, between and after the packs of its slice) or in
 * the other only reads nothing.  The packs are few, a recent slice lists
 * each term's block once a batch in term order (oldest batch first) with
 * its bytes, a small block out of term order is refused, and a pack and a
 * block cannot stand in for each other.
 */
static void
test_store_postings__small_blocks_packed(void **state)
{
	struct fx *f = *state;
	enum { NT = 600 };
	static uint8_t terms[NT][STORE_BLIND_LEN];
	static uint8_t block[512];
	unsigned order[NT];
	uint64_t number[2];
	size_t nsmall = 0, npacks = 0, listed = 0;
	store_blocks *bl = store_blocks_new(f->st);
	store_batch *b = NULL;
	store_snap *sn = NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, len;
	lsn_err err;

	assert_non_null(bl);
	blind_sorted(f->st, "pk", NT, terms, order, 1);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	for (unsigned k = 0; k < 2; k++) {
		number[k] = store_batch_postings_number(b);
		store_blocks_clear(bl);
		for (unsigned j = 0; j < NT; j++) {
			unsigned i = order[j];
			size_t n = packed_block_of(block, k, i);
			if (n == 0)
				continue;
			nsmall += n <= STORE__PACK_SMALL;
			assert_int_equal(store_blocks_put(bl, number[k], terms[i], block, n, NULL, 0,
			    &err), 0);
		}
		assert_int_equal(store_batch_add_blocks(b, bl, &err), 0);
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	store_blocks_free(bl); /* they hold the store's scratch */
	store_batch_free(b);
	assert_int_equal(reopen(f, NULL), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < NT; i++) {
			size_t want = packed_block_of(block, k, i);
			struct got g = { 0 };
			assert_int_equal(store_postings_read_batch(sn, terms[i], number[k], &buf, &cap,
			    &len, NULL, NULL, &err), 0);
			assert_int_equal(len, want);
			assert_memory_equal(buf, block, want);
			assert_int_equal(store_postings_get_batch(sn, terms[i], number[k], on_got, &g,
			    &err), 0);
			assert_int_equal(g.calls, want > 0);
			assert_int_equal(g.len, want);
			assert_memory_equal(g.bytes, block, want);
		}
	/* Few packs: about 10 of these small blocks each (1 to 128 bytes, 34
	 * of key and length each, in packs of up to 1,536 bytes). */
	for (unsigned s = 0; s < STORE_MERGE_SLICES; s++) {
		MDB_stat ms;
		assert_int_equal(mdb_stat(sn->txn, f->st->recent_packs[s], &ms), 0);
		npacks += ms.ms_entries;
	}
	assert_true(nsmall > 300);
	assert_true(npacks > STORE_MERGE_SLICES && npacks * 8 < nsmall);
	/* The merge's view: every block, term by term, oldest batch first. */
	for (unsigned s = 0; s < STORE_MERGE_SLICES; s++) {
		store_recent rs;
		assert_int_equal(store_recent_slice(sn, s, UINT64_MAX, &rs, &err), 0);
		for (size_t e = 0; e < rs.n; e++) {
			unsigned i = NT, k = lsn_get_be64(rs.e[e].key) == number[1];
			size_t want;
			for (unsigned t = 0; t < NT && i == NT; t++)
				if (memcmp(terms[t], rs.e[e].key + 8, STORE_BLIND_LEN) == 0)
					i = t;
			assert_true(i < NT);
			assert_int_equal(terms[i][0] >> 4, s);
			want = packed_block_of(block, k, i);
			assert_true(want > 0);
			assert_int_equal(rs.e[e].plain, want <= STORE__PACK_SMALL);
			assert_int_equal(store_block_open(f->st, &rs.e[e], &buf, &cap, &len, &err), 0);
			assert_int_equal(len, want);
			assert_memory_equal(buf, block, want);
			if (e > 0) {
				int c = memcmp(rs.e[e - 1].key + 8, rs.e[e].key + 8, STORE_BLIND_LEN);
				assert_true(c < 0 || (c == 0 && lsn_get_be64(rs.e[e - 1].key) <
				    lsn_get_be64(rs.e[e].key)));
			}
		}
		listed += rs.n;
		store_recent_free(&rs);
	}
	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < NT; i++)
			listed -= packed_block_of(block, k, i) > 0;
	assert_int_equal(listed, 0);
	store_snap_end(sn);
	/* Small blocks out of term order are refused. */
	assert_non_null(bl = store_blocks_new(f->st));
	assert_int_equal(store_blocks_put(bl, 1, terms[order[1]], "b", 1, NULL, 0, &err), 0);
	assert_int_equal(store_blocks_put(bl, 1, terms[order[0]], "a", 1, NULL, 0, &err),
	    LSN_EINTERNAL);
	store_blocks_free(bl);
	/* A pack is no block, and a block no pack, under the same name. */
	{
		struct store__scratch *sc = store__scratch_get(f->st);
		uint8_t name[8 + STORE_BLIND_LEN] = { 0, 0, 0, 0, 0, 0, 0, 1 };
		uint8_t sealed[STORE__BLOCK_SEALED_LEN(4, 1)], *plain = NULL;
		size_t plen;
		assert_non_null(sc);
		assert_int_equal(store__seal_pack(sc, name, sizeof(name), "pack", 4, sealed, &err), 0);
		assert_int_equal(store__open_pack_into(f->st, name, sizeof(name), sealed,
		    sizeof(sealed), &buf, &cap, &len, &err), 0);
		assert_memory_equal(buf, "pack", 4);
		assert_int_equal(store__open_block(f->st, name, sizeof(name), sealed, sizeof(sealed),
		    &plain, &plen, &err), LSN_EINPUT);
		assert_int_equal(store__seal_block(sc, name, sizeof(name), "blok", 4, NULL, 0, sealed,
		    &err), 0);
		assert_int_equal(store__open_pack_into(f->st, name, sizeof(name), sealed,
		    sizeof(sealed), &buf, &cap, &len, &err), LSN_EINPUT);
		store__scratch_put(f->st, sc);
	}
	free(buf);
}

static int
cmp_blind(const void *a, const void *b)
{
	return memcmp(a, b, STORE_BLIND_LEN);
}

/*
 * A slice's blocks come out term by term, a term's blocks oldest batch
 * first, whatever batches hold them: here 6 batches of terms drawn from 40,
 * all in slice 0, half of them alike in their first 8 bytes.
 */
static void
test_store_postings__slice_in_term_order(void **state)
{
	struct fx *f = *state;
	uint8_t terms[40][STORE_BLIND_LEN];
	int held[6][40] = { { 0 } }, count = 0;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	store_recent rs = { 0 };
	store_recent_ent *e = NULL;
	uint64_t nb[6];
	size_t n = 0;
	lsn_err err;

	srand(7);
	for (int t = 0; t < 40; t++) {
		for (size_t i = 0; i < STORE_BLIND_LEN; i++)
			terms[t][i] = (uint8_t)rand();
		terms[t][0] &= 0x0f; /* slice 0 */
		if (t % 2 == 1) /* the first 8 bytes of the term before it */
			memcpy(terms[t], terms[t - 1], 8);
	}
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	for (int i = 0; i < 6; i++) {
		/* A batch's blocks go in in term order, as ingest writes them. */
		uint8_t sorted[40][STORE_BLIND_LEN];
		int k = 0;
		for (int t = 0; t < 40; t++)
			if (rand() % 3 == 0) {
				held[i][t] = 1;
				memcpy(sorted[k++], terms[t], STORE_BLIND_LEN);
				count++;
			}
		qsort(sorted, (size_t)k, STORE_BLIND_LEN, cmp_blind);
		for (int j = 0; j < k; j++)
			assert_int_equal(store_batch_put_postings(b, sorted[j], "x", 1, &err), 0);
		nb[i] = store_batch_number(b);
		assert_int_equal(store_batch_commit(b, &err), 0);
	}
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_recent_slice(sn, 0, UINT64_MAX, &rs, &err), 0);
	e = rs.e;
	n = rs.n;
	assert_int_equal(n, (size_t)count);
	for (size_t i = 1; i < n; i++) {
		int c = memcmp(e[i - 1].key + 8, e[i].key + 8, STORE_BLIND_LEN);
		assert_true(c < 0 || (c == 0 && lsn_get_be64(e[i - 1].key) < lsn_get_be64(e[i].key)));
	}
	/* Each held (batch, term) exactly once: in order, so no repeats. */
	for (size_t i = 0; i < n; i++) {
		int bi = -1, ti = -1;
		for (int k = 0; k < 6; k++)
			if (lsn_get_be64(e[i].key) == nb[k])
				bi = k;
		for (int t = 0; t < 40; t++)
			if (memcmp(e[i].key + 8, terms[t], STORE_BLIND_LEN) == 0)
				ti = t;
		assert_true(bi >= 0 && ti >= 0 && held[bi][ti]);
	}
	store_recent_free(&rs);
	store_snap_end(sn);
	store_batch_free(b);
}

static void
test_store_postings__index_head_beside_entries(void **state)
{
	struct fx *f = *state;
	uint8_t t[STORE_BLIND_LEN];
	store_batch *b = NULL;
	store_snap *sn = NULL;
	struct collect c = { 0 };
	lsn_err err;
	uint64_t n;

	store_blind(f->st, "convoy", 6, t);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_index_head_get(sn, on_block, &c, &err), LSN_ENOTFOUND);
	store_snap_end(sn);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_number(b), 0);
	assert_int_equal(store_batch_put_postings(b, t, "block", 5, &err), 0);
	n = store_batch_number(b);
	assert_true(n >= 1);
	assert_int_equal(store_batch_put_index_entry(b, 1, "one", 3, &err), 0);
	assert_int_equal(store_batch_put_index_entry(b, 2, "two", 3, &err), 0);
	assert_int_equal(store_batch_put_index_head(b, "head-1", 6, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(store_batch_put_postings(b, t, "block", 5, &err), 0);
	assert_true(store_batch_number(b) > n); /* numbers are never reused */
	assert_int_equal(store_batch_put_index_head(b, "head-2", 6, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	assert_int_equal(reopen(f, NULL), 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_index_head_get(sn, on_block, &c, &err), 0);
	assert_int_equal(c.blocks, 1);
	assert_string_equal(c.text[0], "head-2");
	c.blocks = 0;
	assert_int_equal(store_index_entry_iter(sn, count_entry, &c, &err), 0);
	assert_int_equal(c.blocks, 2);
	assert_string_equal(c.text[0], "1:one");
	assert_string_equal(c.text[1], "2:two");
	assert_int_equal(store_index_entry_get(sn, 0, on_block, &c, &err), LSN_ENOTFOUND);
	store_snap_end(sn);
}

static int
count_principal(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	(void)name;
	(void)data;
	(void)len;
	(*(int *)ctx)++;
	return 0;
}

static void
test_store_principals__put_get_replace_iter(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int n = 0;
	lsn_err err;

	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_principal(b, "alice", "v1", 2, &err), 0);
	assert_int_equal(store_batch_put_principal(b, "bob", "b", 1, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(store_batch_put_principal(b, "alice", "v2", 2, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_principal_get(sn, "alice", &data, &len, &err), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(data, "v2", 2);
	lsn_wipe_free(data, len);
	assert_int_equal(store_principal_get(sn, "carol", &data, &len, &err), LSN_ENOTFOUND);
	assert_int_equal(store_principal_iter(sn, count_principal, &n, &err), 0);
	assert_int_equal(n, 2);
	store_snap_end(sn);
}

/* A commit's condition: "no principal of this name", read in the commit. */
static int
no_principal(void *ctx, store_snap *sn, lsn_err *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = store_principal_get(sn, ctx, &data, &len, err);

	lsn_wipe_free(data, len);
	if (rc == 0)
		return lsn_fail(err, LSN_EEXISTS, "principal %s already exists", (char *)ctx);
	return rc == LSN_ENOTFOUND ? 0 : rc;
}

static void
test_store_batch__check_reads_the_commit_not_a_snapshot(void **state)
{
	struct fx *f = *state;
	store_batch *a = NULL, *b = NULL;
	store_snap *sn = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	lsn_err err;

	/* b decides on a snapshot in which carol is absent ... */
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_principal_get(sn, "carol", &data, &len, &err), LSN_ENOTFOUND);
	store_snap_end(sn);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	store_batch_check(b, no_principal, "carol");
	assert_int_equal(store_batch_put_principal(b, "carol", "b", 1, &err), 0);
	assert_int_equal(store_batch_put_principal(b, "dave", "b", 1, &err), 0);
	/* ... then another writer adds her before b commits. */
	assert_int_equal(store_batch_new(f->st, &a, &err), 0);
	store_batch_check(a, no_principal, "carol");
	assert_int_equal(store_batch_put_principal(a, "carol", "a", 1, &err), 0);
	assert_int_equal(store_batch_commit(a, &err), 0);
	store_batch_free(a);
	assert_int_equal(store_batch_commit(b, &err), LSN_EEXISTS);
	assert_string_equal(err.msg, "principal carol already exists");
	store_batch_free(b);
	/* Nothing of b was written: carol is a's, dave absent. */
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_principal_get(sn, "carol", &data, &len, &err), 0);
	assert_memory_equal(data, "a", 1);
	lsn_wipe_free(data, len);
	assert_int_equal(store_principal_get(sn, "dave", &data, &len, &err), LSN_ENOTFOUND);
	store_snap_end(sn);
}

static int
collect_audit(void *ctx, const store_audit_entry *e)
{
	char *out = ctx;

	strncat(out, (const char *)e->payload, e->payload_len);
	strcat(out, ";");
	return 0;
}

static void
audit_entries(store *st, int n)
{
	store_batch *b = NULL;
	char payload[32];
	lsn_err err;

	assert_int_equal(store_batch_new(st, &b, &err), 0);
	for (int i = 0; i < n; i++) {
		snprintf(payload, sizeof(payload), "e%d", i + 1);
		assert_int_equal(store_batch_audit(b, 1000 + (uint64_t)i, payload,
		    strlen(payload), &err), 0);
	}
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
}

static uint64_t
verify(store *st, uint64_t *head)
{
	store_snap *sn = NULL;
	uint64_t bad = 0, h = 0;
	uint8_t mac[STORE_MAC_LEN];
	lsn_err err;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	store_audit_verify(sn, &bad, &h, mac, &err);
	store_snap_end(sn);
	if (head)
		*head = h;
	return bad;
}

static void
test_store_audit__chain_appends_reads_and_verifies(void **state)
{
	struct fx *f = *state;
	store_snap *sn = NULL;
	char out[256] = "";
	uint64_t head;
	lsn_err err;

	audit_entries(f->st, 3);
	audit_entries(f->st, 2);
	assert_int_equal(verify(f->st, &head), 0);
	assert_int_equal(head, 5);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_audit_iter(sn, 2, collect_audit, out, &err), 0);
	store_snap_end(sn);
	assert_string_equal(out, "e2;e3;e1;e2;");
}

/* Raw LMDB surgery on the audit table, as an attacker with the files would. */
static void
raw_audit(store *st, void (*edit)(MDB_txn *, MDB_dbi))
{
	MDB_txn *txn;

	assert_int_equal(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
	edit(txn, st->audit);
	assert_int_equal(mdb_txn_commit(txn), 0);
}

static MDB_val
key_of(uint64_t seq, uint8_t *buf)
{
	MDB_val k = { 8, buf };

	lsn_put_be64(buf, seq);
	return k;
}

static void
edit_entry3(MDB_txn *txn, MDB_dbi dbi)
{
	uint8_t kb[8], copy[256];
	MDB_val k = key_of(3, kb), v;

	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[12] ^= 1; /* a ciphertext byte */
	v.mv_data = copy;
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

static void
delete_entry3(MDB_txn *txn, MDB_dbi dbi)
{
	uint8_t kb[8];
	MDB_val k = key_of(3, kb);

	assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
}

static void
edit_last_mac(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t kb[8], copy[1024];

	assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
	assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
	memcpy(kb, k.mv_data, 8);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size - 1] ^= 1;
	k.mv_data = kb;
	v.mv_data = copy;
	mdb_cursor_close(c);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

static void
swap_entries_3_4(MDB_txn *txn, MDB_dbi dbi)
{
	uint8_t k3b[8], k4b[8], c3[256], c4[256];
	MDB_val k3 = key_of(3, k3b), k4 = key_of(4, k4b), v3, v4;
	size_t n3, n4;

	assert_int_equal(mdb_get(txn, dbi, &k3, &v3), 0);
	n3 = v3.mv_size;
	memcpy(c3, v3.mv_data, n3);
	assert_int_equal(mdb_get(txn, dbi, &k4, &v4), 0);
	n4 = v4.mv_size;
	memcpy(c4, v4.mv_data, n4);
	v3.mv_data = c4;
	v3.mv_size = n4;
	v4.mv_data = c3;
	v4.mv_size = n3;
	assert_int_equal(mdb_put(txn, dbi, &k3, &v3, 0), 0);
	assert_int_equal(mdb_put(txn, dbi, &k4, &v4, 0), 0);
}

static void
flip_mac_entry3(MDB_txn *txn, MDB_dbi dbi)
{
	uint8_t kb[8], copy[256];
	MDB_val k = key_of(3, kb), v;

	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size - 1] ^= 1; /* its chain MAC: the ciphertext still opens */
	v.mv_data = copy;
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

/*
 * Damage entry 3 of five with edit: verify names it, and the iterator
 * hands over entries 1 and 2 and then stops with the same words, also when
 * asked to start past the damage (it checks the chain from entry 1).
 */
static void
tamper(void **state, void (*edit)(MDB_txn *, MDB_dbi))
{
	struct fx *f = *state;
	store_snap *sn = NULL;
	char out[256] = "";
	lsn_err err;

	audit_entries(f->st, 5);
	assert_int_equal(verify(f->st, NULL), 0);
	raw_audit(f->st, edit);
	assert_int_equal(verify(f->st, NULL), 3);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_audit_iter(sn, 1, collect_audit, out, &err), LSN_EINPUT);
	assert_string_equal(out, "e1;e2;");
	assert_string_equal(err.msg, "the chain breaks at entry 3: it was edited, "
	    "deleted, reordered or inserted");
	out[0] = '\0';
	assert_int_equal(store_audit_iter(sn, 4, collect_audit, out, &err), LSN_EINPUT);
	assert_string_equal(out, "");
	assert_non_null(strstr(err.msg, "breaks at entry 3:"));
	store_snap_end(sn);
}

static void test_store_audit__edit_named(void **s) { tamper(s, edit_entry3); }
static void test_store_audit__mac_edit_named(void **s) { tamper(s, flip_mac_entry3); }
static void test_store_audit__delete_named(void **s) { tamper(s, delete_entry3); }
static void test_store_audit__swap_named(void **s) { tamper(s, swap_entries_3_4); }

static void
drop_audit(MDB_txn *txn, MDB_dbi dbi)
{
	assert_int_equal(mdb_drop(txn, dbi, 0), 0);
}

/* Raw LMDB: the sealed principal record of name, read or written. */
static size_t
raw_principal(store *st, const char *name, uint8_t *buf, size_t cap, int write, size_t len)
{
	MDB_txn *txn;
	MDB_val k = { strlen(name), (void *)name }, v;

	assert_int_equal(mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &txn), 0);
	if (write) {
		v.mv_size = len;
		v.mv_data = buf;
		assert_int_equal(mdb_put(txn, st->principals, &k, &v, 0), 0);
		assert_int_equal(mdb_txn_commit(txn), 0);
		return len;
	}
	assert_int_equal(mdb_get(txn, st->principals, &k, &v), 0);
	assert_true(v.mv_size <= cap);
	memcpy(buf, v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	return v.mv_size;
}

static int
principals_check(store *st, int *broken)
{
	store_snap *sn = NULL;
	lsn_err err;
	int rc;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	rc = store_principals_check(sn, broken, &err);
	store_snap_end(sn);
	return rc;
}

/* Each audit entry carries the digest of the principals its commit left:
 * a principal record put back from an older copy of the store (a disabled
 * principal enabled again) no longer matches the log's last entry, and a
 * last entry that does not verify is told apart (helper-28). */
static void
test_store_audit__principals_bound_to_the_log(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	uint8_t old[512], cur[512];
	size_t olen, clen;
	int broken = -1;
	lsn_err err;

	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_principal(b, "alice", "enabled", 7, &err), 0);
	assert_int_equal(store_batch_audit(b, 1000, "add alice", 9, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(principals_check(f->st, &broken), 0);
	olen = raw_principal(f->st, "alice", old, sizeof(old), 0, 0);
	assert_int_equal(store_batch_put_principal(b, "alice", "disabled", 8, &err), 0);
	assert_int_equal(store_batch_audit(b, 2000, "disable alice", 13, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	assert_int_equal(principals_check(f->st, &broken), 0);
	audit_entries(f->st, 2); /* later entries carry the same digest */
	assert_int_equal(principals_check(f->st, &broken), 0);
	/* Put back: refused, and not as a broken log. */
	clen = raw_principal(f->st, "alice", cur, sizeof(cur), 0, 0);
	raw_principal(f->st, "alice", old, 0, 1, olen);
	assert_int_equal(principals_check(f->st, &broken), LSN_EINPUT);
	assert_int_equal(broken, 0);
	/* As it was: passes again. */
	raw_principal(f->st, "alice", cur, 0, 1, clen);
	assert_int_equal(principals_check(f->st, &broken), 0);
	/* A last entry whose MAC is changed: told as such. */
	raw_audit(f->st, edit_last_mac);
	assert_int_equal(principals_check(f->st, &broken), LSN_EINPUT);
	assert_int_equal(broken, 1);
	store_batch_free(b);
}

/* Entry 1 is written with the store: a log emptied since is refused, not
 * started again from entry 1 (after which verify passed: helper-28). */
static void
test_store_audit__emptied_log_refuses_entries(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	lsn_err err;

	audit_entries(f->st, 2);
	assert_int_equal(reopen(f, NULL), 0);
	audit_entries(f->st, 1); /* a store opened again appends */
	raw_audit(f->st, drop_audit);
	assert_int_equal(reopen(f, NULL), 0);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_audit(b, 2000, "x", 1, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), LSN_EINPUT);
	assert_non_null(strstr(err.msg, "the audit log holds no entry"));
	store_batch_free(b);
	assert_int_equal(verify(f->st, NULL), 0); /* nothing was written */
}

static int
collect_times(void *ctx, const store_audit_entry *e)
{
	char *out = ctx;
	char t[32];

	snprintf(t, sizeof(t), "%llu;", (unsigned long long)e->time_us);
	strcat(out, t);
	return 0;
}

/* A time before the last entry's is written as the last entry's. */
static void
test_store_audit__times_never_go_back(void **state)
{
	struct fx *f = *state;
	store_batch *b = NULL;
	store_snap *sn = NULL;
	char out[256] = "";
	uint64_t t[] = { 5000, 1000, 7000, 6999 };
	lsn_err err;

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(store_batch_new(f->st, &b, &err), 0);
		assert_int_equal(store_batch_audit(b, t[i], "x", 1, &err), 0);
		assert_int_equal(store_batch_commit(b, &err), 0);
		store_batch_free(b);
	}
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_audit_iter(sn, 1, collect_times, out, &err), 0);
	store_snap_end(sn);
	assert_string_equal(out, "5000;5000;7000;7000;");
}

/* Search a file for a byte string. */
static int
file_contains(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	size_t n = strlen(needle), len;
	char *buf;
	int found = 0;

	if (fp == NULL)
		return 0;
	fseek(fp, 0, SEEK_END);
	len = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(len + 1);
	if (fread(buf, 1, len, fp) == len)
		for (size_t i = 0; i + n <= len && !found; i++)
			found = memcmp(buf + i, needle, n) == 0;
	free(buf);
	fclose(fp);
	return found;
}

static void
test_store_files__hold_no_plaintext(void **state)
{
	struct fx *f = *state;
	static const char marker[] = "ZEBRAFINCH-MARKER-7731";
	char text[4096], path[400];
	uint8_t term[STORE_BLIND_LEN];
	store_batch *b = NULL;
	size_t n;
	lsn_err err;

	/* The marker in records (plain and compressible), a principal, a posting
	 * block, a term, and an audit entry. */
	n = (size_t)snprintf(text, sizeof(text), "%s ", marker);
	n += prose(text + n, sizeof(text) - n, 3);
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_record(b, "rec", SEGN(text, n), "L", 1, NULL,
	    &err), 0);
	assert_int_equal(store_batch_put_record(b, "rec2", SEG(marker), "L", 1, NULL,
	    &err), 0);
	assert_int_equal(store_batch_put_principal(b, "p", marker, strlen(marker), &err), 0);
	store_blind(f->st, marker, strlen(marker), term);
	assert_int_equal(store_batch_put_postings(b, term, marker, strlen(marker), &err), 0);
	assert_int_equal(store_batch_audit(b, 1, marker, strlen(marker), &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	/* Make sure the marker test itself can fail: it finds a plain write. */
	assert_int_equal(store_batch_new(f->st, &b, &err), 0);
	assert_int_equal(store_batch_put_meta(b, "data/canary", "CANARY-IN-CLEAR", 15, &err), 0);
	assert_int_equal(store_batch_commit(b, &err), 0);
	store_batch_free(b);
	store_close(f->st);
	f->st = NULL;
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	assert_true(file_contains(path, "CANARY-IN-CLEAR"));
	assert_false(file_contains(path, marker));
	assert_false(file_contains(path, "ZEBRAFINCH"));
	snprintf(path, sizeof(path), "%s/lock.mdb", f->dir);
	assert_false(file_contains(path, "ZEBRAFINCH"));
	assert_int_equal(reopen(f, NULL), 0);
}

/* Short-lived secure blocks (an HMAC's inner digest, 32 bytes) take the
 * front of libgcrypt's secure pool, ahead of every long-lived one, so that
 * allocating and freeing them walks no list (store/keys.c): two at once,
 * again after a blind form was made, and with scratches held. */
static void
test_store_keys__short_lived_secure_blocks_take_the_front(void **state)
{
	struct fx *f = *state;
	struct store__scratch *sc[3];
	uint8_t out[STORE_BLIND_LEN];
	uint8_t *a, *b, *big;

	for (size_t i = 0; i < 3; i++)
		assert_non_null(sc[i] = store__scratch_get(f->st));
	big = gcry_malloc_secure(256);
	assert_non_null(big);
	store_blind(f->st, "word", 4, out); /* an HMAC's final step, freed again */
	a = gcry_malloc_secure(32);
	b = gcry_malloc_secure(32);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(gcry_is_secure(a) && gcry_is_secure(b));
	assert_true(a != b);
	for (size_t k = 0; k < 2; k++) {
		const uint8_t *p = k ? b : a;
		assert_true(p < (const uint8_t *)f->st->keys);
		assert_true(p < big);
		for (size_t i = 0; i < 3; i++)
			assert_true(p < sc[i]->keypool);
	}
	gcry_free(a);
	gcry_free(b);
	gcry_free(big);
	for (size_t i = 0; i < 3; i++)
		store__scratch_put(f->st, sc[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_store_seal__roundtrip_empty),
		T(test_store_seal__roundtrip_one_byte),
		T(test_store_seal__roundtrip_1mib),
		T(test_store_seal__roundtrip_incompressible),
		T(test_store_seal__over_cap_rejected),
		T(test_store_seal__every_bit_flip_detected),
		T(test_store_seal__buffer_fits_the_record),
		T(test_store_seal__record_bound_to_its_id),
		T(test_store_seal__swapped_labels_detected),
		T(test_store_seal__swapped_key_slots_detected),
		T(test_store_seal__no_nonce_repeats_in_100000_seals),
		T(test_store_seal__nonce_counter_draws_a_new_base_when_it_wraps),
		T(test_store_seal__segments_open_selectively),
		T(test_store_seal__swapped_segments_detected),
		T(test_store_keys__record_from_another_store_fails),
		T(test_store_keys__wrong_key_file_denied),
		T(test_store_keys__passphrase_roundtrip_and_wrong_passphrase),
		T(test_store_keys__empty_passphrase_rejected),
		T(test_store_keys__argon2_cost_out_of_range_refused),
		T(test_store_keys__fifo_key_file_refused),
		T(test_store_keys__key_file_never_overwritten),
		T(test_store_batch__map_grows_from_tiny),
		T(test_store_batch__commit_releases_mapped_pages),
		T(test_store_batch__bulk_reads_keep_the_map_bounded),
		T(test_store_map__one_page_faults_map_only_what_is_read),
		T(test_store_map__slice_listing_maps_neighbours_bounded),
		T(test_store_batch__existing_id_fails_whole_batch),
		T(test_store_batch__records_appended_and_out_of_order_batches_land),
		T(test_store_batch__serials_index_and_delete),
		T(test_store_batch__id_index_and_open_by_serial),
		T(test_store_report_ids__every_id_in_order),
		T(test_store_open__missing_records_database_refused),
		T(test_store_dict__trained_old_and_new_records_open),
		T(test_store_dict__trained_when_due_by_the_caller),
		T(test_store_postings__blocks_in_order_per_term),
		T(test_store_postings__many_blocks_any_order),
		T(test_store_postings__blocks_sealed_apart_in_shares),
		T(test_store_postings__index_head_beside_entries),
		T(test_store_postings__merge_slices_read_from_one_place),
		T(test_store_postings__a_merge_keeps_the_batches_after_it),
		T(test_store_postings__slice_in_term_order),
		T(test_store_postings__small_blocks_packed),
		T(test_store_postings__read_into_caller_buffer),
		T(test_store_postings__frames_skipped_by_offset),
		T(test_store_principals__put_get_replace_iter),
		T(test_store_batch__check_reads_the_commit_not_a_snapshot),
		T(test_store_audit__chain_appends_reads_and_verifies),
		T(test_store_audit__edit_named),
		T(test_store_audit__mac_edit_named),
		T(test_store_audit__delete_named),
		T(test_store_audit__swap_named),
		T(test_store_audit__emptied_log_refuses_entries),
		T(test_store_audit__principals_bound_to_the_log),
		T(test_store_audit__times_never_go_back),
		T(test_store_files__hold_no_plaintext),
		T(test_store_keys__short_lived_secure_blocks_take_the_front),
#undef T
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
