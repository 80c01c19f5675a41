/*
 * store/keys.c - the master key and its subkeys.
 *
 * The master key comes from a 32-byte key file or from Argon2id over a
 * passphrase (libgcrypt's KDF).  Subkeys are HKDF-SHA-256 (RFC 5869) of the
 * master key, salted with the store id, one "info" label per purpose.  All of
 * it lives in libgcrypt secure memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_ok;

/*
 * The front of the secure memory pool, kept for short-lived blocks.
 *
 * libgcrypt's secure memory is a first-fit list of blocks walked from the
 * start of the pool: an allocation walks to the first free block that
 * fits, and splitting it, like a free, walks from the start again to find
 * the block before (to merge free neighbours); all under one global lock.
 * HMAC-SHA-256 with the secure flag allocates its inner digest (32 bytes)
 * there at each final step: once a report (its fingerprint) and once a new
 * word (its blind form), hundreds of thousands of times in a bulk ingest.
 * With a run's long-lived secure blocks ahead of it (its keys, and the
 * cipher and digest contexts of every scratch, six blocks each) each step
 * walked them three times: 1.2% of a 100,000-report ingest's CPU on the
 * bench VM (perf), 0.03% with the front kept as below.
 *
 * So the pool's first SECMEM_FRONT bytes are a free block fenced off by a
 * block kept for the process's life.  First fit puts every allocation of
 * up to SECMEM_FRONT bytes there, found at once and freed without a walk,
 * and every larger one past the fence.  No long-lived secure block of
 * liaison's or of libgcrypt's contexts is that small (a scratch's data
 * key lives at the end of its key pool's block), so the front stays free
 * for the short-lived ones; two at once fit (blocks are multiples of 32
 * bytes, with an 8-byte header).  Nothing depends on it but speed.
 */
#define SECMEM_FRONT 96

static void *secmem_fence; /* kept for the process's life */

static void
reserve_front(void)
{
	void *front = gcry_malloc_secure(SECMEM_FRONT);

	secmem_fence = gcry_malloc_secure(1);
	gcry_free(front);
}

static void
lib_init_once(void)
{
	if (!gcry_check_version("1.10.0"))
		return;
	/* Secure memory for keys; it expands on demand. */
	gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
	gcry_control(GCRYCTL_INIT_SECMEM, 256 * 1024, 0);
	gcry_control(GCRYCTL_AUTO_EXPAND_SECMEM, 256 * 1024, 0);
	gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	reserve_front();
	lib_ok = 1;
}

int
store_init(lsn_err *err)
{
	pthread_once(&lib_once, lib_init_once);
	if (!lib_ok)
		return lsn_fail(err, LSN_EINTERNAL,
		    "libgcrypt 1.10 or newer is required (found %s)",
		    gcry_check_version(NULL));
	return 0;
}

int
store__hmac(const uint8_t key[STORE_KEY_LEN], const void *a, size_t alen,
    const void *b, size_t blen, uint8_t out[32])
{
	gcry_md_hd_t h = NULL;
	int rc = LSN_EINTERNAL;

	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE))
		goto out;
	if (gcry_md_setkey(h, key, STORE_KEY_LEN))
		goto out;
	if (alen)
		gcry_md_write(h, a, alen);
	if (blen)
		gcry_md_write(h, b, blen);
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), 32);
	rc = 0;
out:
	gcry_md_close(h);
	return rc;
}

/*
 * HKDF-SHA-256 (RFC 5869) producing exactly 32 bytes: one expand block,
 * T(1) = HMAC(PRK, info || 0x01).
 */
static int
hkdf32(const uint8_t *prk, const char *info, uint8_t out[32])
{
	uint8_t one = 1;

	return store__hmac(prk, info, strlen(info), &one, 1, out);
}

int
store__derive(struct store__keys *k, const uint8_t store_id[STORE__ID_LEN])
{
	uint8_t *prk = gcry_malloc_secure(32);
	gcry_md_hd_t h = NULL;
	int rc = LSN_EINTERNAL;

	if (prk == NULL)
		return LSN_EINTERNAL;
	/* Extract: PRK = HMAC(salt = store id, IKM = master key). */
	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE) ||
	    gcry_md_setkey(h, store_id, STORE__ID_LEN))
		goto out;
	gcry_md_write(h, k->master, STORE_KEY_LEN);
	memcpy(prk, gcry_md_read(h, GCRY_MD_SHA256), 32);
	if (hkdf32(prk, "liaison v1 key check", k->check) ||
	    hkdf32(prk, "liaison v1 record wrap", k->wrap) ||
	    hkdf32(prk, "liaison v1 index", k->index) ||
	    hkdf32(prk, "liaison v1 postings", k->postings) ||
	    hkdf32(prk, "liaison v1 audit mac", k->audit_mac) ||
	    hkdf32(prk, "liaison v1 audit encryption", k->audit_enc))
		goto out;
	rc = 0;
out:
	gcry_md_close(h);
	lsn_wipe(prk, 32);
	gcry_free(prk);
	return rc;
}

int
store__keyfile_create(const char *path, uint8_t key[STORE_KEY_LEN], lsn_err *err)
{
	int fd, rc = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return lsn_fail(err, LSN_EEXISTS,
			    "key file %s already exists: refusing to overwrite it", path);
		return lsn_fail(err, LSN_EIO, "cannot create key file %s: %s", path,
		    strerror(errno));
	}
	/* The long-term key comes straight from the kernel's CSPRNG (libgcrypt's
	 * VERY_STRONG level would keep a pool allocated for the process's life). */
	if (getrandom(key, STORE_KEY_LEN, 0) != STORE_KEY_LEN) {
		close(fd);
		unlink(path);
		return lsn_fail(err, LSN_EIO, "cannot draw random bytes: %s", strerror(errno));
	}
	n = write(fd, key, STORE_KEY_LEN);
	if (n != STORE_KEY_LEN || fsync(fd) != 0) {
		rc = lsn_fail(err, LSN_EIO, "cannot write key file %s: %s", path,
		    n < 0 ? strerror(errno) : "short write");
		unlink(path);
	}
	close(fd);
	return rc;
}

int
store__keyfile_read(const char *path, uint8_t key[STORE_KEY_LEN],
    const store_opts *opts, lsn_err *err)
{
	struct stat sb;
	int fd, rc = 0;
	ssize_t n;
	uint8_t extra;

	/* O_NONBLOCK: a FIFO named as the key file would block the open for
	 * ever before fstat could refuse it (helper-28). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return lsn_fail(err, LSN_ENOTFOUND, "no key file %s", path);
		if (errno == ELOOP)
			return lsn_fail(err, LSN_EDENIED,
			    "key file %s is a symbolic link: refusing to follow it", path);
		return lsn_fail(err, errno == EACCES ? LSN_EDENIED : LSN_EIO,
		    "cannot open key file %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = lsn_fail(err, LSN_EINPUT, "key file %s is not a regular file", path);
		goto out;
	}
	if (sb.st_size != STORE_KEY_LEN) {
		rc = lsn_fail(err, LSN_EINPUT,
		    "key file %s has %lld bytes, a liaison key file has %d", path,
		    (long long)sb.st_size, STORE_KEY_LEN);
		goto out;
	}
	if ((sb.st_mode & 077) != 0 && opts != NULL && opts->warn != NULL) {
		char msg[600];
		snprintf(msg, sizeof(msg),
		    "key file %s is accessible by group or others (mode %04o): "
		    "chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
		opts->warn(opts->warn_ctx, msg);
	}
	n = read(fd, key, STORE_KEY_LEN);
	if (n != STORE_KEY_LEN || read(fd, &extra, 1) != 0) {
		rc = lsn_fail(err, LSN_EIO, "cannot read key file %s", path);
		lsn_wipe(key, STORE_KEY_LEN);
	}
out:
	close(fd);
	return rc;
}

int
store__argon2id(const char *pass, size_t len, const uint8_t *salt,
    unsigned long passes, unsigned long mem_kib, uint8_t key[STORE_KEY_LEN],
    lsn_err *err)
{
	/* Parameters: tag length, passes (t), memory in KiB (m), lanes (p). */
	unsigned long param[4] = { STORE_KEY_LEN, passes, mem_kib, 1 };
	gcry_kdf_hd_t hd = NULL;
	gcry_error_t ge;

	if (len == 0)
		return lsn_fail(err, LSN_EINPUT, "the passphrase is empty");
	/* The cost is read from the store's meta, which a damaged or edited
	 * file may hold anything in: libgcrypt crashed on 2^63 KiB and ran
	 * for ever on 2^32 passes (helper-28). */
	if (passes < STORE__ARGON2_MIN_PASSES || passes > STORE__ARGON2_MAX_PASSES ||
	    mem_kib < STORE__ARGON2_MIN_KIB || mem_kib > STORE__ARGON2_MAX_KIB)
		return lsn_fail(err, LSN_EINPUT, "Argon2id cost of %lu passes and %lu KiB is "
		    "out of range (%d-%d passes, %d KiB-%d GiB): the store's meta is damaged",
		    passes, mem_kib, STORE__ARGON2_MIN_PASSES, STORE__ARGON2_MAX_PASSES,
		    STORE__ARGON2_MIN_KIB, STORE__ARGON2_MAX_KIB >> 20);
	ge = gcry_kdf_open(&hd, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, param, 4,
	    pass, len, salt, STORE__SALT_LEN, NULL, 0, NULL, 0);
	if (!ge)
		ge = gcry_kdf_compute(hd, NULL);
	if (!ge)
		ge = gcry_kdf_final(hd, STORE_KEY_LEN, key);
	if (hd)
		gcry_kdf_close(hd);
	if (ge)
		return lsn_fail(err, LSN_EINTERNAL, "Argon2id failed: %s",
		    gcry_strerror(ge));
	return 0;
}
