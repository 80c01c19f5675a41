/*
 * store/env.c - the LMDB environment: creating and opening a store, meta,
 * snapshots and record, posting and principal reads.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store/internal.h"

#define DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define DEFAULT_DICT_THRESHOLD 1000
#define DEFAULT_KDF_MEMORY 65536 /* KiB: 64 MiB */
#define DEFAULT_KDF_PASSES 3

/* meta keys */
#define M_FORMAT "format"
#define M_STORE_ID "store-id"
#define M_KDF "kdf"
#define M_KEY_CHECK "key-check"
#define M_NEXT_SERIAL "next-serial"

#define KDF_KEYFILE 0
#define KDF_ARGON2ID 1
#define KDF_LEN (1 + STORE__SALT_LEN + 8 + 8)

int
store__lmdb_err(lsn_err *err, int rc, const char *what)
{
	int code = LSN_EIO;

	if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_PAGE_NOTFOUND ||
	    rc == MDB_VERSION_MISMATCH || rc == MDB_INCOMPATIBLE)
		code = LSN_EINPUT;
	else if (rc == EACCES || rc == EPERM)
		code = LSN_EDENIED;
	return lsn_fail(err, code, "%s: %s", what,
	    code == LSN_EINPUT ? "the store is corrupted or not a liaison store"
			       : mdb_strerror(rc));
}

/* A size for a message: "12 KiB", "3.4 MiB". */
static void
human(char *out, size_t n, unsigned long long b)
{
	if (b < 10240)
		snprintf(out, n, "%llu bytes", b);
	else if (b < 10ull << 20)
		snprintf(out, n, "%llu KiB", b >> 10);
	else
		snprintf(out, n, "%.1f MiB", b / 1048576.0);
}

int
store__write_err(const store *st, lsn_err *err, int rc, const char *what)
{
	char path[4096], size[32], hint[200] = "";
	struct rlimit rl;
	struct statvfs fs;
	struct stat sb;

	if (rc != EIO && rc != ENOSPC && rc != EFBIG && rc != EDQUOT)
		return store__lmdb_err(err, rc, what);
	/* LMDB reports a short write as EIO: say what the system shows, so
	 * that a full disk does not read as a failing one. */
	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	if (stat(path, &sb) == 0 && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && (unsigned long long)sb.st_size + (1u << 20) >=
	    (unsigned long long)rl.rlim_cur) {
		human(size, sizeof(size), (unsigned long long)rl.rlim_cur);
		snprintf(hint, sizeof(hint), " (the store's file reached this process's "
		    "file-size limit, %s: see ulimit -f)", size);
	} else if (statvfs(st->dir, &fs) == 0 &&
	    (unsigned long long)fs.f_bavail * fs.f_frsize < (64ull << 20)) {
		human(size, sizeof(size), (unsigned long long)fs.f_bavail * fs.f_frsize);
		snprintf(hint, sizeof(hint), " (the file system holding the store has %s "
		    "free)", size);
	}
	return lsn_fail(err, LSN_EIO, "%s: %s%s", what, mdb_strerror(rc), hint);
}

char *
store_default_key_file(const char *dir)
{
	size_t n = strlen(dir);
	char *p;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if ((p = malloc(n + 5)) == NULL)
		return NULL;
	memcpy(p, dir, n);
	memcpy(p + n, ".key", 5);
	return p;
}

const uint8_t *
store_id(const store *st)
{
	return st->store_id;
}

int
store__txn_begin(store *st, unsigned flags, MDB_txn **txn, lsn_err *err)
{
	int rc;

	for (;;) {
		pthread_rwlock_rdlock(&st->map_lock);
		rc = mdb_txn_begin(st->env, NULL, flags, txn);
		if (rc == 0)
			return 0;
		pthread_rwlock_unlock(&st->map_lock);
		if (rc != MDB_MAP_RESIZED)
			return store__lmdb_err(err, rc, "cannot begin a transaction");
		/* Another process grew the map: adopt its size and retry. */
		pthread_rwlock_wrlock(&st->map_lock);
		mdb_env_set_mapsize(st->env, 0);
		store__map_moved(st);
		pthread_rwlock_unlock(&st->map_lock);
	}
}

void
store__txn_end(store *st, MDB_txn *txn, int commit_ok)
{
	(void)commit_ok;
	if (txn != NULL)
		mdb_txn_abort(txn);
	pthread_rwlock_unlock(&st->map_lock);
}

static store *
store_alloc(const char *dir, const store_opts *opts)
{
	store *st = calloc(1, sizeof(*st));
	pthread_rwlockattr_t ra;

	if (st == NULL)
		return NULL;
	st->statm_fd = -1;
	if (opts != NULL)
		st->opts = *opts;
	if (st->opts.map_size == 0)
		st->opts.map_size = DEFAULT_MAP_SIZE;
	if (st->opts.dict_threshold == 0)
		st->opts.dict_threshold = DEFAULT_DICT_THRESHOLD;
	if (st->opts.kdf_memory_kib == 0)
		st->opts.kdf_memory_kib = DEFAULT_KDF_MEMORY;
	if (st->opts.kdf_passes == 0)
		st->opts.kdf_passes = DEFAULT_KDF_PASSES;
	pthread_rwlockattr_init(&ra);
	/* A waiting map grower must not starve behind a stream of readers. */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&st->map_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&st->write_lock, NULL);
	pthread_mutex_init(&st->pool_lock, NULL);
	pthread_mutex_init(&st->map_mu, NULL);
	store__map_init(st);
	st->writer_fd = -1;
	st->dir = strdup(dir);
	st->keys = gcry_calloc_secure(1, sizeof(*st->keys));
	if (st->dir == NULL || st->keys == NULL) {
		store_close(st);
		return NULL;
	}
	return st;
}

void
store_close(store *st)
{
	struct store__scratch *s;

	if (st == NULL)
		return;
	while ((s = st->pool) != NULL) {
		st->pool = s->next;
		store__scratch_free(s);
	}
	store__dict_free_all(st);
	store__audit_close(st);
	if (st->writer_fd >= 0)
		close(st->writer_fd); /* releases the flock */
	if (st->env != NULL)
		mdb_env_close(st->env);
	store__map_close(st);
	if (st->keys != NULL) {
		lsn_wipe(st->keys, sizeof(*st->keys));
		gcry_free(st->keys);
	}
	pthread_rwlock_destroy(&st->map_lock);
	pthread_mutex_destroy(&st->write_lock);
	pthread_mutex_destroy(&st->pool_lock);
	pthread_mutex_destroy(&st->map_mu);
	free(st->dir);
	free(st);
}

/*
 * A data.mdb shorter than the pages LMDB's meta page claims would fault
 * (SIGBUS) on first access: check the size up front.
 */
static int
check_truncation(store *st, lsn_err *err)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	char *path;
	int rc = 0;

	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &ms) != 0)
		return lsn_fail(err, LSN_EIO, "%s: cannot stat the store", st->dir);
	if ((path = malloc(strlen(st->dir) + 10)) == NULL)
		return LSN_EINTERNAL;
	sprintf(path, "%s/data.mdb", st->dir);
	if (stat(path, &sb) != 0)
		rc = lsn_fail(err, LSN_EIO, "%s: %s", path, strerror(errno));
	else if ((unsigned long long)sb.st_size <
	    ((unsigned long long)info.me_last_pgno + 1) * ms.ms_psize)
		rc = lsn_fail(err, LSN_EINPUT,
		    "%s is truncated (%lld bytes; its pages need %llu): the store is corrupted",
		    path, (long long)sb.st_size,
		    ((unsigned long long)info.me_last_pgno + 1) * ms.ms_psize);
	free(path);
	return rc;
}

/* The records database; a layout 1 store has none (it is refused once its
 * layout is read, with a message that says so). */
static int
open_records(store *st, MDB_txn *txn, unsigned f)
{
	int rc = mdb_dbi_open(txn, "records", f, &st->records);

	st->no_records = rc == MDB_NOTFOUND && !(f & MDB_CREATE);
	return st->no_records ? 0 : rc;
}

/* The recent batches' posting blocks (store.h, "Merges") and the packs
 * of small blocks, the merged batches' and the recent ones': a store made
 * by an older liaison has none until its first ingest makes them. */
int
store__open_recent(store *st, MDB_txn *txn, unsigned f)
{
	int rc = mdb_dbi_open(txn, "packs", f, &st->packs);

	for (unsigned i = 0; i < STORE_MERGE_SLICES && rc == 0; i++) {
		char name[24];
		snprintf(name, sizeof(name), "recent-%x", i);
		if ((rc = mdb_dbi_open(txn, name, f, &st->recent[i])) == 0) {
			snprintf(name, sizeof(name), "recent-packs-%x", i);
			rc = mdb_dbi_open(txn, name, f, &st->recent_packs[i]);
		}
	}
	st->have_recent = rc == 0;
	return rc == MDB_NOTFOUND && !(f & MDB_CREATE) ? 0 : rc;
}

/*
 * LMDB met a page it cannot make sense of (a damaged file: a page zeroed or
 * overwritten) and is about to abort().  Say so in liaison's own words, as
 * any corrupted store is reported (exit 65, integrity failure), instead of
 * LMDB's assertion and a SIGABRT.  Nothing more can be done in this
 * process: LMDB's state is not to be trusted, so no transaction is
 * committed (a report not yet reported stored is not stored, as after a
 * crash).  Core dumps are off (cli/liaison.c), and the process's memory
 * goes with it.  write(2), not stdio: another thread may hold its lock
 * (lsn_clean allocates nothing).
 */
static void
on_lmdb_assert(MDB_env *env, const char *msg)
{
	const store *st = mdb_env_get_userctx(env);
	char line[1024];
	size_t n;

	snprintf(line, sizeof(line) - 1, "liaison: %s: the store is corrupted (a damaged "
	    "page: %s): restore it from a backup", st != NULL ? st->dir : "store", msg);
	lsn_clean(line); /* the directory is the user's: no control reaches the terminal */
	n = strlen(line);
	line[n++] = '\n';
	(void)!write(2, line, n);
	_exit(65);
}

/* Open the LMDB environment and its named databases. */
static int
env_open(store *st, int create, lsn_err *err)
{
	MDB_txn *txn = NULL;
	int rc;

	if ((rc = mdb_env_create(&st->env)) != 0)
		return store__lmdb_err(err, rc, "cannot create LMDB environment");
	mdb_env_set_userctx(st->env, st);
	mdb_env_set_assert(st->env, on_lmdb_assert); /* EINVAL without assertions */
	mdb_env_set_maxdbs(st->env, 9 + 2 * STORE_MERGE_SLICES);
	mdb_env_set_mapsize(st->env, st->opts.map_size);
	rc = mdb_env_open(st->env, st->dir, MDB_NOTLS, 0600);
	if (rc != 0)
		return store__lmdb_err(err, rc, st->dir);
	/* Before any page is touched: a short file would fault on access. */
	if (!create && (rc = check_truncation(st, err)) != 0)
		return rc;
	pthread_rwlock_wrlock(&st->map_lock);
	store__map_moved(st);
	pthread_rwlock_unlock(&st->map_lock);
	if ((rc = mdb_txn_begin(st->env, NULL, create ? 0 : MDB_RDONLY, &txn)) != 0)
		return store__lmdb_err(err, rc, st->dir);
	unsigned f = create ? MDB_CREATE : 0;
	if ((rc = mdb_dbi_open(txn, "meta", f, &st->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "reports", f, &st->reports)) != 0 ||
	    (rc = open_records(st, txn, f)) != 0 ||
	    (rc = mdb_dbi_open(txn, "labels", f, &st->labels)) != 0 ||
	    (rc = mdb_dbi_open(txn, "postings", f, &st->postings)) != 0 ||
	    (rc = store__open_recent(st, txn, f)) != 0 ||
	    (rc = mdb_dbi_open(txn, "principals", f, &st->principals)) != 0 ||
	    (rc = mdb_dbi_open(txn, "audit", f, &st->audit)) != 0) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
			return lsn_fail(err, LSN_EINPUT, "%s is not a liaison store", st->dir);
		return store__lmdb_err(err, rc, st->dir);
	}
	/* Commit even a read-only txn: an aborted one would close the handles. */
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store__lmdb_err(err, rc, st->dir);
	return 0;
}

static int
meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *v)
{
	MDB_val k = { strlen(name), (void *)name };

	return mdb_get(txn, dbi, &k, v);
}

static int
meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const void *p, size_t n)
{
	MDB_val k = { strlen(name), (void *)name }, v = { n, (void *)p };

	return mdb_put(txn, dbi, &k, &v, 0);
}

/* Load the master key from the key source; salt/params from kdf (open). */
static int
load_master(store *st, const store_keysrc *ks, const uint8_t *kdf, lsn_err *err)
{
	char *kf = NULL;
	int rc;

	if (kdf[0] == KDF_ARGON2ID) {
		if (ks->passphrase == NULL)
			return lsn_fail(err, LSN_EDENIED,
			    "this store is keyed by a passphrase: give --passphrase-env VAR");
		return store__argon2id(ks->passphrase, ks->passphrase_len, kdf + 1,
		    (unsigned long)lsn_get_be64(kdf + 1 + STORE__SALT_LEN),
		    (unsigned long)lsn_get_be64(kdf + 1 + STORE__SALT_LEN + 8),
		    st->keys->master, err);
	}
	if (ks->passphrase != NULL)
		return lsn_fail(err, LSN_EDENIED,
		    "this store is keyed by a key file, not a passphrase");
	kf = ks->key_file ? strdup(ks->key_file) : store_default_key_file(st->dir);
	if (kf == NULL)
		return LSN_EINTERNAL;
	rc = store__keyfile_read(kf, st->keys->master, &st->opts, err);
	free(kf);
	return rc;
}

static int
dir_has_store(const char *dir)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	return stat(path, &sb) == 0;
}

/* Whether directory dir holds no entry but . and ..: 1, 0, or -1 (errno
 * set) when it cannot be read. */
static int
dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return -1;
	errno = 0;
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	if (empty && errno != 0) {
		int e2 = errno;
		closedir(d);
		errno = e2;
		return -1;
	}
	closedir(d);
	return empty;
}

int
store_create(store **out, const char *dir, const store_keysrc *ks,
    const store_opts *opts, lsn_err *err)
{
	store *st = NULL;
	MDB_txn *txn = NULL;
	char *kf = NULL, path[4096];
	uint8_t kdf[KDF_LEN] = { 0 }, fmt[4], serial[8];
	struct stat sb;
	mode_t old_mode = 0;
	int rc, made_dir = 0, made_key = 0, dir_existed = 0, set_mode = 0, empty;

	*out = NULL;
	if ((rc = store_init(err)) != 0)
		return rc;
	if (dir_has_store(dir))
		return lsn_fail(err, LSN_EEXISTS, "%s already holds a store", dir);
	/* Only a new or an empty directory: the store's files went in beside
	 * whatever a directory held, and kept its mode (0755 for one made by
	 * mkdir), so others could list and read them. */
	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return lsn_fail(err, LSN_EEXISTS, "%s exists and is not a directory", dir);
		if ((empty = dir_is_empty(dir)) < 0)
			return lsn_fail(err, LSN_EIO, "cannot read %s: %s", dir, strerror(errno));
		if (!empty)
			return lsn_fail(err, LSN_EEXISTS,
			    "%s exists and is not empty: a store is made in a new or empty directory",
			    dir);
		dir_existed = 1;
		old_mode = sb.st_mode & 07777;
	}
	if ((st = store_alloc(dir, opts)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	gcry_randomize(st->store_id, STORE__ID_LEN, GCRY_STRONG_RANDOM);

	if (ks->passphrase != NULL) {
		if (ks->passphrase_len == 0) {
			rc = lsn_fail(err, LSN_EINPUT, "the passphrase is empty");
			goto out;
		}
		kdf[0] = KDF_ARGON2ID;
		gcry_randomize(kdf + 1, STORE__SALT_LEN, GCRY_STRONG_RANDOM);
		lsn_put_be64(kdf + 1 + STORE__SALT_LEN, st->opts.kdf_passes);
		lsn_put_be64(kdf + 1 + STORE__SALT_LEN + 8, st->opts.kdf_memory_kib);
		rc = store__argon2id(ks->passphrase, ks->passphrase_len, kdf + 1,
		    st->opts.kdf_passes, st->opts.kdf_memory_kib, st->keys->master, err);
		if (rc != 0)
			goto out;
	} else {
		kf = ks->key_file ? strdup(ks->key_file) : store_default_key_file(dir);
		if (kf == NULL) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			goto out;
		}
		if ((rc = store__keyfile_create(kf, st->keys->master, err)) != 0)
			goto out;
		made_key = 1;
	}
	if (dir_existed) {
		/* The mode a new one is made with (mkdir(2) applies the umask
		 * too, which only takes bits away). */
		if (chmod(dir, 0700) != 0) {
			rc = lsn_fail(err, LSN_EIO, "cannot set the mode of %s: %s", dir,
			    strerror(errno));
			goto out;
		}
		set_mode = old_mode != 0700;
	} else if (mkdir(dir, 0700) == 0) {
		made_dir = 1;
	} else {
		rc = lsn_fail(err, LSN_EIO, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = store__derive(st->keys, st->store_id)) != 0)
		goto out;
	if ((rc = env_open(st, 1, err)) != 0)
		goto out;

	lsn_put_be32(fmt, STORE_LAYOUT);
	lsn_put_be64(serial, 1);
	st->next_serial = 1;
	st->next_batch = 1;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0 ||
	    (rc = meta_put(txn, st->meta, M_FORMAT, fmt, 4)) != 0 ||
	    (rc = meta_put(txn, st->meta, M_STORE_ID, st->store_id, STORE__ID_LEN)) != 0 ||
	    (rc = meta_put(txn, st->meta, M_KDF, kdf, KDF_LEN)) != 0 ||
	    (rc = meta_put(txn, st->meta, M_KEY_CHECK, st->keys->check, STORE_KEY_LEN)) != 0 ||
	    (rc = meta_put(txn, st->meta, M_NEXT_SERIAL, serial, 8)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (txn != NULL && rc != 0)
			mdb_txn_abort(txn);
		rc = store__lmdb_err(err, rc, dir);
		goto out;
	}
	st->created = 1;
	*out = st;
	st = NULL;
out:
	if (st != NULL) {
		/* Leave nothing half-made behind. */
		if (st->env != NULL) {
			mdb_env_close(st->env);
			st->env = NULL;
			snprintf(path, sizeof(path), "%s/data.mdb", dir);
			unlink(path);
			snprintf(path, sizeof(path), "%s/lock.mdb", dir);
			unlink(path);
		}
		if (made_dir)
			rmdir(dir);
		if (set_mode)
			chmod(dir, old_mode);
		if (made_key)
			unlink(kf);
		store_close(st);
	}
	free(kf);
	return rc;
}

int
store_open(store **out, const char *dir, const store_keysrc *ks,
    const store_opts *opts, lsn_err *err)
{
	store *st = NULL;
	MDB_txn *txn = NULL;
	MDB_val v;
	uint8_t kdf[KDF_LEN];
	struct stat sb;
	uint32_t fmt;
	int rc;

	*out = NULL;
	if ((rc = store_init(err)) != 0)
		return rc;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return lsn_fail(err, LSN_ENOTFOUND, "no store at %s", dir);
	/* No data.mdb: nothing is there (66), as for a missing directory; "not
	 * a liaison store" (65) is for a data.mdb that is not ours. */
	if (!dir_has_store(dir))
		return lsn_fail(err, LSN_ENOTFOUND, "no store at %s: it holds no data.mdb", dir);
	if ((st = store_alloc(dir, opts)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if ((rc = env_open(st, 0, err)) != 0)
		goto out;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0) {
		rc = store__lmdb_err(err, rc, dir);
		goto out;
	}
	rc = LSN_EINPUT;
	if (meta_get(txn, st->meta, M_FORMAT, &v) != 0 || v.mv_size != 4) {
		rc = lsn_fail(err, LSN_EINPUT, "%s is not a liaison store", dir);
		goto out;
	}
	fmt = lsn_get_be32(v.mv_data);
	if (fmt > STORE_LAYOUT) {
		rc = lsn_fail(err, LSN_EINPUT,
		    "%s has store format %u, newer than the %u this liaison reads: "
		    "use a newer liaison", dir, fmt, STORE_LAYOUT);
		goto out;
	}
	if (fmt < 1)
		goto corrupt;
	if (fmt < STORE_LAYOUT) {
		rc = lsn_fail(err, LSN_EINPUT,
		    "%s has store format %u, which keeps reports by id; this liaison "
		    "reads format %u only: ingest the reports again into a new store",
		    dir, fmt, STORE_LAYOUT);
		goto out;
	}
	if (st->no_records) { /* format 2 without its records database */
		rc = lsn_fail(err, LSN_EINPUT, "%s has no records database: the store is "
		    "corrupted", dir);
		goto out;
	}
	if (meta_get(txn, st->meta, M_STORE_ID, &v) != 0 || v.mv_size != STORE__ID_LEN)
		goto corrupt;
	memcpy(st->store_id, v.mv_data, STORE__ID_LEN);
	if (meta_get(txn, st->meta, M_KDF, &v) != 0 || v.mv_size != KDF_LEN)
		goto corrupt;
	memcpy(kdf, v.mv_data, KDF_LEN);
	if (kdf[0] != KDF_KEYFILE && kdf[0] != KDF_ARGON2ID)
		goto corrupt;
	mdb_txn_abort(txn);
	txn = NULL;

	if ((rc = load_master(st, ks, kdf, err)) != 0)
		goto out;
	if ((rc = store__derive(st->keys, st->store_id)) != 0)
		goto out;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0) {
		rc = store__lmdb_err(err, rc, dir);
		goto out;
	}
	if (meta_get(txn, st->meta, M_KEY_CHECK, &v) != 0 || v.mv_size != STORE_KEY_LEN)
		goto corrupt;
	/* The key check comes before any record is read or anything written. */
	if (lsn_ct_memcmp(v.mv_data, st->keys->check, STORE_KEY_LEN) != 0) {
		rc = lsn_fail(err, LSN_EDENIED, "wrong key for the store at %s", dir);
		goto out;
	}
	if (meta_get(txn, st->meta, M_NEXT_SERIAL, &v) != 0 || v.mv_size != 8)
		goto corrupt;
	st->next_serial = lsn_get_be64(v.mv_data);
	st->next_batch = 1;
	if (meta_get(txn, st->meta, "next-batch", &v) == 0 && v.mv_size == 8)
		st->next_batch = lsn_get_be64(v.mv_data);
	if ((rc = store__dict_load_all(st, txn, err)) != 0)
		goto out;
	*out = st;
	st = NULL;
	rc = 0;
	goto out;
corrupt:
	rc = lsn_fail(err, LSN_EINPUT, "%s: the store's meta data is corrupted", dir);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	store_close(st);
	return rc;
}

/* ---- snapshots and reads ---- */

int
store_snap_begin(store *st, store_snap **out, lsn_err *err)
{
	store_snap *sn = calloc(1, sizeof(*sn));
	int rc;

	*out = NULL;
	if (sn == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	sn->st = st;
	if ((rc = store__txn_begin(st, MDB_RDONLY, &sn->txn, err)) != 0) {
		free(sn);
		return rc;
	}
	*out = sn;
	return 0;
}

void
store_snap_bulk(store_snap *sn)
{
	sn->bulk = 1;
}

void
store_snap_end(store_snap *sn)
{
	if (sn == NULL)
		return;
	store__txn_end(sn->st, sn->txn, 0);
	free(sn);
}

static int
check_name(const char *what, const char *name, lsn_err *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > STORE_MAX_ID)
		return lsn_fail(err, LSN_EINPUT, "%s must have 1 to %d bytes", what,
		    STORE_MAX_ID);
	return 0;
}

/* The sealed record stored under serial, report id's (named in errors).
 * 0, LSN_ENOTFOUND, LSN_EIO. */
static int
record_at(store_snap *sn, uint64_t serial, const char *id, MDB_val *v, lsn_err *err)
{
	uint8_t sk[8];
	MDB_val k = { 8, sk };
	int rc;

	lsn_put_be64(sk, serial);
	if ((rc = mdb_get(sn->txn, sn->st->records, &k, v)) == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "no report %s", id);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading a report");
	return 0;
}

/* The sealed record stored under id, by way of the id index (id -> serial,
 * then the record under its serial).  0, LSN_ENOTFOUND, LSN_EINPUT (an
 * index entry that is not a serial, or a bad id), LSN_EIO. */
static int
record_by_id(store_snap *sn, const char *id, MDB_val *v, lsn_err *err)
{
	MDB_val k = { strlen(id), (void *)id }, s;
	int rc;

	if ((rc = check_name("a record id", id, err)) != 0)
		return rc;
	if (sn->bulk)
		store__map_reads(sn->st, 1);
	if ((rc = mdb_get(sn->txn, sn->st->reports, &k, &s)) == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "no report %s", id);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading a report");
	if (s.mv_size != 8)
		return lsn_fail(err, LSN_EINPUT, "report %s is corrupted", id);
	return record_at(sn, lsn_get_be64(s.mv_data), id, v, err);
}

int
store_record_peek(store_snap *sn, const char *id, uint64_t *serial,
    const uint8_t **label, size_t *label_len, lsn_err *err)
{
	MDB_val v;
	int rc;

	if ((rc = record_by_id(sn, id, &v, err)) != 0)
		return rc;
	if (store__peek(v.mv_data, v.mv_size, serial, label, label_len) != 0)
		return lsn_fail(err, LSN_EINPUT, "report %s is corrupted", id);
	return 0;
}

int
store_record_peek_near(store_snap *sn, const char *id, char near[STORE_MAX_ID + 1], int *exact,
    uint64_t *serial, const uint8_t **label, size_t *label_len, lsn_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k = { strlen(id), (void *)id }, s, v;
	int rc;

	*exact = 0;
	if ((rc = check_name("a record id", id, err)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(sn->txn, sn->st->reports, &c)) != 0)
		return store__lmdb_err(err, rc, "reading a report");
	/* The id, or the one after it, or (past the last) the first. */
	rc = mdb_cursor_get(c, &k, &s, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &s, MDB_FIRST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "no report %s", id);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading a report");
	if (k.mv_size == 0 || k.mv_size > STORE_MAX_ID)
		return lsn_fail(err, LSN_EINPUT, "the id index is corrupted");
	memcpy(near, k.mv_data, k.mv_size);
	near[k.mv_size] = '\0';
	*exact = strcmp(near, id) == 0;
	if (s.mv_size != 8)
		return lsn_fail(err, LSN_EINPUT, "report %s is corrupted", near);
	if ((rc = record_at(sn, lsn_get_be64(s.mv_data), near, &v, err)) != 0)
		return rc;
	if (store__peek(v.mv_data, v.mv_size, serial, label, label_len) != 0)
		return lsn_fail(err, LSN_EINPUT, "report %s is corrupted", near);
	return 0;
}

/* Open sealed record v as report id's (store_record_get()). */
static int
open_as(store_snap *sn, const char *id, const MDB_val *v, const uint8_t *want,
    size_t nwant, store_record **out, lsn_err *err)
{
	int rc = store__open(sn->st, 'r', id, strlen(id), v->mv_data, v->mv_size, want,
	    nwant, out, err);

	if (rc == LSN_EINPUT)
		lsn_fail(err, rc, "report %s fails authentication: tampered, moved or "
		    "sealed under another key", id);
	return rc;
}

int
store_record_get(store_snap *sn, const char *id, const uint8_t *want,
    size_t nwant, store_record **out, lsn_err *err)
{
	MDB_val v;
	int rc;

	*out = NULL;
	if ((rc = record_by_id(sn, id, &v, err)) != 0)
		return rc;
	return open_as(sn, id, &v, want, nwant, out, err);
}

int
store_record_get_serial(store_snap *sn, uint64_t serial, const char *id,
    const uint8_t *want, size_t nwant, store_record **out, lsn_err *err)
{
	MDB_val v;
	uint64_t got;
	int rc;

	*out = NULL;
	if ((rc = check_name("a record id", id, err)) != 0)
		return rc;
	if (sn->bulk)
		store__map_reads(sn->st, 1);
	if ((rc = record_at(sn, serial, id, &v, err)) != 0)
		return rc;
	/* The serial is in the header, which opening authenticates. */
	if (store__peek(v.mv_data, v.mv_size, &got, NULL, NULL) != 0 || got != serial)
		return lsn_fail(err, LSN_EINPUT, "report %s: the record under serial %llu "
		    "is not sealed with that serial", id, (unsigned long long)serial);
	return open_as(sn, id, &v, want, nwant, out, err);
}

/* labels db: key = serial (8 bytes BE), value = id NUL label */
static int
parse_label_entry(const MDB_val *v, const char **id, const uint8_t **label,
    size_t *label_len)
{
	const char *nul = memchr(v->mv_data, '\0', v->mv_size);

	if (nul == NULL)
		return LSN_EINPUT;
	*id = v->mv_data;
	*label = (const uint8_t *)nul + 1;
	*label_len = v->mv_size - (size_t)(nul + 1 - (const char *)v->mv_data);
	return 0;
}

int
store_serial_lookup(store_snap *sn, uint64_t serial, const char **id,
    const uint8_t **label, size_t *label_len, lsn_err *err)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	int rc;

	lsn_put_be64(kb, serial);
	rc = mdb_get(sn->txn, sn->st->labels, &k, &v);
	if (rc == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "no report with serial %llu",
		    (unsigned long long)serial);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading the labels index");
	if (parse_label_entry(&v, id, label, label_len) != 0)
		return lsn_fail(err, LSN_EINPUT, "labels index entry %llu is corrupted",
		    (unsigned long long)serial);
	return 0;
}

int
store_record_iter(store_snap *sn, store_record_fn fn, void *ctx, lsn_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	const char *id;
	const uint8_t *label;
	size_t ll;
	int rc, op = MDB_FIRST;

	if ((rc = mdb_cursor_open(sn->txn, sn->st->labels, &c)) != 0)
		return store__lmdb_err(err, rc, "reading the labels index");
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (k.mv_size != 8 || parse_label_entry(&v, &id, &label, &ll) != 0) {
			rc = lsn_fail(err, LSN_EINPUT, "the labels index is corrupted");
			goto out;
		}
		if ((rc = fn(ctx, lsn_get_be64(k.mv_data), id, label, ll)) != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : store__lmdb_err(err, rc, "reading the labels index");
out:
	mdb_cursor_close(c);
	return rc;
}

uint64_t
store_record_count(store_snap *sn)
{
	MDB_stat s;

	if (mdb_stat(sn->txn, sn->st->reports, &s) != 0)
		return 0;
	return s.ms_entries;
}

int
store_report_ids(store_snap *sn, store_id_fn fn, void *ctx, lsn_err *err)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(sn->txn, sn->st->reports, &c)) != 0)
		return store__lmdb_err(err, rc, "reading the id index");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && r == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		/* A leaf holds some 80 ids: count one read a leaf or so. */
		if ((++n & 63) == 0)
			store__map_reads(sn->st, 1);
		r = fn(ctx, k.mv_data, k.mv_size);
	}
	mdb_cursor_close(c);
	/* What the scan mapped is of no use to the caller: drop it now, not
	 * at the next check (up to STORE__MAP_RESIDENT on top of the rest). */
	store__map_release(sn->st);
	if (r != 0)
		return r;
	if (rc != MDB_NOTFOUND)
		return store__lmdb_err(err, rc, "reading the id index");
	return 0;
}

/* Where the snapshot's postings are (meta "merged-upto" and "merging"),
 * read once, when postings are first looked up: a get or an id lookup
 * needs neither. */
static void
merge_state(store_snap *sn)
{
	MDB_val mu;

	if (sn->merge_known)
		return;
	sn->merge_known = 1;
	if (meta_get(sn->txn, sn->st->meta, "merged-upto", &mu) == 0 && mu.mv_size == 8)
		sn->merged_upto = lsn_get_be64(mu.mv_data);
	if (meta_get(sn->txn, sn->st->meta, "merging", &mu) == 0 && mu.mv_size == 9) {
		sn->merging = lsn_get_be64(mu.mv_data);
		sn->slices_done = ((const uint8_t *)mu.mv_data)[8];
	}
}

uint64_t
store_postings_merged_upto(store_snap *sn)
{
	merge_state(sn);
	return sn->merged_upto;
}

int
store_postings_merging(store_snap *sn, uint64_t *into, unsigned *slices_done)
{
	merge_state(sn);
	*into = sn->merging;
	*slices_done = sn->slices_done;
	return sn->merging != 0;
}

/*
 * A slice's blocks come off the cursor batch by batch, each batch's in
 * term order: runs, merged here into term order (a term's blocks oldest
 * first) through a heap of the runs' next blocks, ordered by the first 8
 * bytes of their term (uniformly random: they almost always decide).
 * Against sorting the whole slice, a run's next key is read in turn,
 * where a sort compares keys scattered over the slice's pages.
 */
struct run_head {
	uint64_t prefix; /* of the run's next term */
	size_t at, end;  /* the run's next entry and its end */
};

static int
run_before(const store_recent_ent *e, const struct run_head *x, const struct run_head *y)
{
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix;
	c = memcmp(e[x->at].key + 16, e[y->at].key + 16, STORE_BLIND_LEN - 8);
	if (c != 0)
		return c < 0;
	/* One term's blocks, oldest batch first (a batch's packed blocks are
	 * in runs after every batch's own). */
	c = memcmp(e[x->at].key, e[y->at].key, 8);
	return c != 0 ? c < 0 : x->at < y->at;
}

static void
run_down(const store_recent_ent *e, struct run_head *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && run_before(e, &h[l], &h[m]))
			m = l;
		if (r < n && run_before(e, &h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct run_head t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* e[0..n) in batch order into term order, in *out (malloc'd): a run
 * ends where the batch changes, and at split. */
static int
merge_runs(const store_recent_ent *e, size_t n, size_t split, store_recent_ent **out)
{
	struct run_head *h = NULL;
	store_recent_ent *o = malloc(n * sizeof(*o));
	size_t nh = 0, cap = 0, k = 0;

	*out = NULL;
	if (o == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && i != split && memcmp(e[i].key, e[i - 1].key, 8) == 0)
			continue;
		if (nh == cap) {
			size_t nc = cap ? 2 * cap : 32;
			struct run_head *nhp = realloc(h, nc * sizeof(*nhp));
			if (nhp == NULL) {
				free(h);
				free(o);
				return -1;
			}
			h = nhp;
			cap = nc;
		}
		if (nh > 0)
			h[nh - 1].end = i;
		h[nh].at = i;
		h[nh].prefix = lsn_get_be64(e[i].key + 8);
		nh++;
	}
	h[nh - 1].end = n;
	for (size_t i = nh / 2; i-- > 0;)
		run_down(e, h, nh, i);
	while (nh > 0) {
		o[k++] = e[h[0].at++];
		if (h[0].at < h[0].end)
			h[0].prefix = lsn_get_be64(e[h[0].at].key + 8);
		else
			h[0] = h[--nh];
		run_down(e, h, nh, 0);
	}
	free(h);
	*out = o;
	return 0;
}

/* Room for one more entry in *e (capacity *cap); 0 or -1. */
static int
ent_room(store_recent_ent **e, size_t n, size_t *cap)
{
	if (n == *cap) {
		size_t nc = *cap ? 2 * *cap : 1024;
		store_recent_ent *ne = realloc(*e, nc * sizeof(*ne));
		if (ne == NULL)
			return -1;
		*e = ne;
		*cap = nc;
	}
	return 0;
}

/* Open the packs pk[0..np) (sealed, as listed) and list their blocks on
 * *e, opened into r->plain: each the batch number, the term and the block,
 * so that a block's key is as a listed one's.  Every term must be of the
 * slice, in order, the first the pack's key's. */
static int
unpack_slice(store_snap *sn, unsigned slice, const store_recent_ent *packs, size_t np,
    store_recent_ent **e, size_t *n, size_t *cap, store_recent *r, lsn_err *err)
{
	size_t sealed = 0, used = 0, pcap = 0, plen;
	uint8_t *p = NULL;
	int rc = 0;

	for (size_t i = 0; i < np; i++)
		sealed += packs[i].len;
	/* An opened block takes 6 bytes more than in its pack (its key's 40
	 * against 34), and takes at least 34 of the pack: a fifth more. */
	r->plain_len = sealed + sealed / 5 + 1;
	if ((r->plain = malloc(r->plain_len)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < np && rc == 0; i++) {
		const store_recent_ent pk = packs[i];
		/* Read again if a check dropped its leaf since it was listed. */
		store__map_read_bytes(sn->st, pk.len);
		if ((rc = store__open_pack_into(sn->st, pk.key, 8 + STORE_BLIND_LEN, pk.val, pk.len,
			 &p, &pcap, &plen, err)) != 0)
			break;
		struct store__pack_it it = { p, plen, 0, NULL };
		const uint8_t *t, *b;
		size_t bl;
		int more;
		while (rc == 0 && (more = store__pack_next(&it, &t, &b, &bl)) != 0) {
			if (more < 0 || (t[0] >> 4) != slice ||
			    (t == p && memcmp(t, pk.key + 8, STORE_BLIND_LEN) != 0) ||
			    used + 8 + STORE_BLIND_LEN + bl > r->plain_len) {
				rc = lsn_fail(err, LSN_EINPUT, "a posting pack is malformed");
				break;
			}
			if (ent_room(e, *n, cap) != 0) {
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
				break;
			}
			uint8_t *o = r->plain + used;
			memcpy(o, pk.key, 8);
			memcpy(o + 8, t, STORE_BLIND_LEN);
			memcpy(o + 8 + STORE_BLIND_LEN, b, bl);
			(*e)[*n].key = o;
			(*e)[*n].val = o + 8 + STORE_BLIND_LEN;
			(*e)[*n].len = bl;
			(*e)[*n].plain = 1;
			++*n;
			used += 8 + STORE_BLIND_LEN + bl;
		}
		lsn_wipe(p, plen);
	}
	lsn_wipe_free(p, pcap);
	return rc;
}

/* Every entry of db (a slice's recent blocks or packs) of a batch before
 * `below` onto *e, their keys copied to *keys (malloc'd) if keys is not
 * NULL. */
static int
list_db(store_snap *sn, MDB_dbi db, uint64_t below, store_recent_ent **e, size_t *n,
    size_t *cap, uint8_t **keys, lsn_err *err)
{
	MDB_cursor *c = NULL;
	MDB_stat ms;
	MDB_val k, v;
	size_t nk = 0, kcap = 0;
	int rc;

	if (keys != NULL) {
		if ((rc = mdb_stat(sn->txn, db, &ms)) != 0)
			return store__lmdb_err(err, rc, "reading the recent postings");
		kcap = ms.ms_entries;
		if ((*keys = malloc(kcap * (8 + STORE_BLIND_LEN) + 1)) == NULL)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	if ((rc = mdb_cursor_open(sn->txn, db, &c)) != 0)
		return store__lmdb_err(err, rc, "reading the recent postings");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 + STORE_BLIND_LEN) {
			rc = lsn_fail(err, LSN_EINPUT, "a malformed key among the recent postings");
			break;
		}
		if (lsn_get_be64(k.mv_data) >= below) { /* keys begin with the batch */
			rc = MDB_NOTFOUND;
			break;
		}
		if (keys != NULL && nk == kcap) { /* a snapshot's count holds */
			rc = lsn_fail(err, LSN_EINTERNAL, "more recent postings than counted");
			break;
		}
		if (ent_room(e, *n, cap) != 0) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			break;
		}
		(*e)[*n].key = k.mv_data;
		if (keys != NULL) {
			uint8_t *copy = *keys + (nk++) * (8 + STORE_BLIND_LEN);
			memcpy(copy, k.mv_data, 8 + STORE_BLIND_LEN);
			(*e)[*n].key = copy;
		}
		(*e)[*n].val = v.mv_data;
		(*e)[*n].len = v.mv_size;
		(*e)[*n].plain = 0;
		++*n;
		/* The leaf's bytes: the key, and the value if LMDB keeps it in
		 * the leaf (a larger one is not read here). */
		store__map_read_bytes(sn->st, k.mv_size + (v.mv_size < 2048 ? v.mv_size : 0));
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc > 0 || rc < LSN_EEXISTS)
		return store__lmdb_err(err, rc, "reading the recent postings");
	return rc;
}

int
store_recent_slice(store_snap *sn, unsigned slice, uint64_t below, store_recent *out,
    lsn_err *err)
{
	store_recent_ent *e = NULL, *packs = NULL;
	size_t cap = 0, n = 0, nblocks, np = 0, pcap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!sn->st->have_recent || slice >= STORE_MERGE_SLICES)
		return 0;
	/* The slice's leaves are walked in order, and each batch wrote them on
	 * neighbouring pages: a fault maps its neighbours meanwhile
	 * (store__map_slice).  What the walk maps is kept for the merge, which
	 * reads the blocks in these leaves, and for its commit, which walks
	 * them again (mdb_drop) and then drops them; but for the checks of
	 * what is read, which bound it.  The keys are copied, so that the
	 * sort, which goes from batch to batch, reads none of the map. */
	store__map_slice(sn->st, 1);
	rc = list_db(sn, sn->st->recent[slice], below, &e, &n, &cap, &out->keys, err);
	nblocks = n;
	if (rc == 0)
		rc = list_db(sn, sn->st->recent_packs[slice], below, &packs, &np, &pcap, NULL, err);
	if (rc == 0 && np > 0)
		rc = unpack_slice(sn, slice, packs, np, &e, &n, &cap, out, err);
	store__map_slice(sn->st, 0);
	free(packs);
	if (rc == 0 && n > 1) {
		store_recent_ent *sorted;
		if (merge_runs(e, n, nblocks, &sorted) != 0) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		} else {
			free(e);
			e = sorted;
		}
	}
	out->e = e;
	out->n = n;
	if (rc != 0 || n == 0) /* nothing to free for an empty slice */
		store_recent_free(out);
	return rc;
}

void
store_recent_free(store_recent *r)
{
	free(r->e);
	free(r->keys); /* blind terms and batch numbers: no secret */
	lsn_wipe_free(r->plain, r->plain_len);
	memset(r, 0, sizeof(*r));
}

int
store_block_open(store *st, const store_recent_ent *e, uint8_t **buf, size_t *cap,
    size_t *len, lsn_err *err)
{
	if (e->plain) { /* a packed block, opened with its pack */
		if (store__buf_room(buf, cap, e->len) != 0)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		memcpy(*buf, e->val, e->len);
		*len = e->len;
		return 0;
	}
	return store__open_block_into(st, e->key, 8 + STORE_BLIND_LEN, e->val, e->len, buf, cap,
	    len, NULL, NULL, err);
}

uint64_t
store_postings_batches(store_snap *sn)
{
	MDB_val nb;

	if (meta_get(sn->txn, sn->st->meta, "next-batch", &nb) == 0 && nb.mv_size == 8)
		return lsn_get_be64(nb.mv_data);
	return 1;
}

/* Open the block v stored under postings key kb, hand its plaintext to fn
 * and wipe it.  Returns 0, LSN_EINPUT (fails authentication), fn's value. */
static int
with_block(store_snap *sn, const uint8_t kb[8 + STORE_BLIND_LEN], const MDB_val *v,
    store_postings_fn fn, void *ctx, lsn_err *err)
{
	uint8_t *plain = NULL;
	size_t plen = 0;
	int rc;

	if ((rc = store__open_block(sn->st, kb, 8 + STORE_BLIND_LEN, v->mv_data,
		 v->mv_size, &plain, &plen, err)) != 0)
		return rc;
	rc = fn(ctx, plain, plen);
	lsn_wipe_free(plain, plen);
	return rc;
}

/* The pack of db that would hold the block under key kb: the last pack
 * of kb's batch whose key is not after kb.  1 with its key in kb and the
 * pack in *v, 0 none, or an lsn_status. */
static int
pack_of(store_snap *sn, MDB_dbi db, uint8_t kb[8 + STORE_BLIND_LEN], MDB_val *v,
    lsn_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k = { 8 + STORE_BLIND_LEN, kb };
	int rc;

	if ((rc = mdb_cursor_open(sn->txn, db, &c)) != 0)
		return store__lmdb_err(err, rc, "reading postings");
	rc = mdb_cursor_get(c, &k, v, MDB_SET_RANGE);
	if (rc == 0 && (k.mv_size != 8 + STORE_BLIND_LEN ||
			   memcmp(k.mv_data, kb, 8 + STORE_BLIND_LEN) != 0))
		rc = mdb_cursor_get(c, &k, v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading postings");
	if (k.mv_size != 8 + STORE_BLIND_LEN || memcmp(k.mv_data, kb, 8) != 0)
		return 0; /* none of this batch comes before the term */
	memcpy(kb, k.mv_data, 8 + STORE_BLIND_LEN);
	return 1;
}

/* Look up term's block of batch into kb and *v: 1 found, 2 a pack that
 * may hold it (kb is then the pack's key), 0 none, or an lsn_status. */
static int
batch_block(store_snap *sn, const uint8_t term[STORE_BLIND_LEN], uint64_t batch,
    uint8_t kb[8 + STORE_BLIND_LEN], MDB_val *v, lsn_err *err)
{
	MDB_val k = { 8 + STORE_BLIND_LEN, kb };
	int recent, rc;

	/* Batches after the last merge are recent, but for a merge under way:
	 * a term of a slice it has done is under its number (and no longer
	 * under its batches', its slice's database emptied), any other still
	 * under its batch's. */
	merge_state(sn);
	recent = batch > sn->merged_upto && batch != sn->merging;
	lsn_put_be64(kb, batch);
	memcpy(kb + 8, term, STORE_BLIND_LEN);
	if (recent && !sn->st->have_recent)
		return 0;
	rc = mdb_get(sn->txn, recent ? STORE__RECENT(sn->st, term) : sn->st->postings, &k, v);
	if (rc == 0)
		return 1;
	if (rc != MDB_NOTFOUND)
		return store__lmdb_err(err, rc, "reading postings");
	if (!sn->st->have_recent) /* an older store: no packs */
		return 0;
	rc = pack_of(sn, recent ? STORE__RECENT_PACKS(sn->st, term) : sn->st->packs, kb, v, err);
	return rc == 1 ? 2 : rc;
}

/* Open the pack v under key kb into *buf and find term's block in it: its
 * offset in *at and length in *len (0: the pack has no such term). */
static int
open_pack_find(store_snap *sn, const uint8_t kb[8 + STORE_BLIND_LEN], const MDB_val *v,
    const uint8_t term[STORE_BLIND_LEN], uint8_t **buf, size_t *cap, size_t *at, size_t *len,
    lsn_err *err)
{
	size_t plen = 0;
	int rc = store__open_pack_into(sn->st, kb, 8 + STORE_BLIND_LEN, v->mv_data, v->mv_size,
	    buf, cap, &plen, err);

	*at = 0;
	*len = 0;
	if (rc != 0)
		return rc;
	rc = store__pack_find(*buf, plen, term, at, len);
	if (rc < 0) {
		lsn_wipe(*buf, plen);
		return lsn_fail(err, LSN_EINPUT, "a posting pack is malformed");
	}
	/* What is not the term's block is wiped: the caller keeps only it. */
	if (rc == 0) {
		lsn_wipe(*buf, plen);
	} else {
		lsn_wipe(*buf, *at);
		lsn_wipe(*buf + *at + *len, plen - *at - *len);
	}
	return 0;
}

int
store_postings_get_batch(store_snap *sn, const uint8_t term[STORE_BLIND_LEN],
    uint64_t batch, store_postings_fn fn, void *ctx, lsn_err *err)
{
	uint8_t kb[8 + STORE_BLIND_LEN], *buf = NULL;
	size_t cap = 0, at, len;
	MDB_val v;
	int rc = batch_block(sn, term, batch, kb, &v, err);

	if (rc == 1)
		return with_block(sn, kb, &v, fn, ctx, err);
	if (rc != 2)
		return rc;
	rc = open_pack_find(sn, kb, &v, term, &buf, &cap, &at, &len, err);
	if (rc == 0 && len > 0)
		rc = fn(ctx, buf + at, len);
	lsn_wipe_free(buf, cap);
	return rc;
}

int
store_postings_read_batch(store_snap *sn, const uint8_t term[STORE_BLIND_LEN],
    uint64_t batch, uint8_t **buf, size_t *cap, size_t *len, store_more_fn more,
    void *mctx, lsn_err *err)
{
	uint8_t kb[8 + STORE_BLIND_LEN];
	MDB_val v;
	int rc;

	*len = 0;
	rc = batch_block(sn, term, batch, kb, &v, err);
	if (rc == 1)
		return store__open_block_into(sn->st, kb, sizeof(kb), v.mv_data, v.mv_size, buf,
		    cap, len, more, mctx, err);
	if (rc != 2)
		return rc;
	/* A packed block is one frame: more is not asked. */
	size_t at;
	if ((rc = open_pack_find(sn, kb, &v, term, buf, cap, &at, len, err)) == 0 && at > 0)
		memmove(*buf, *buf + at, *len);
	return rc;
}

/* Index entry id (0: the index head). */
static int
entry_get(store_snap *sn, uint32_t id, store_postings_fn fn, void *ctx, lsn_err *err)
{
	uint8_t kb[8 + STORE_BLIND_LEN];
	MDB_val k = { sizeof(kb), kb }, v;
	int rc;

	store__entry_key(id, kb);
	rc = mdb_get(sn->txn, sn->st->postings, &k, &v);
	if (rc == MDB_NOTFOUND && id == 0)
		return lsn_fail(err, LSN_ENOTFOUND, "no index head");
	if (rc == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "no index entry %u", (unsigned)id);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading index entries");
	return with_block(sn, kb, &v, fn, ctx, err);
}

int
store_index_entry_get(store_snap *sn, uint32_t id, store_postings_fn fn,
    void *ctx, lsn_err *err)
{
	if (id == 0)
		return lsn_fail(err, LSN_ENOTFOUND, "no index entry 0");
	return entry_get(sn, id, fn, ctx, err);
}

int
store_index_head_get(store_snap *sn, store_postings_fn fn, void *ctx, lsn_err *err)
{
	return entry_get(sn, 0, fn, ctx, err);
}

int
store_index_entry_iter(store_snap *sn, store_entry_fn fn, void *ctx, lsn_err *err)
{
	uint8_t kb[8 + STORE_BLIND_LEN];
	MDB_cursor *c = NULL;
	MDB_val k = { sizeof(kb), kb }, v;
	uint8_t *plain = NULL;
	size_t plen = 0;
	int rc;

	store__entry_key(0, kb);
	if ((rc = mdb_cursor_open(sn->txn, sn->st->postings, &c)) != 0)
		return store__lmdb_err(err, rc, "reading index entries");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(kb) || lsn_get_be64(k.mv_data) != 0)
			break; /* past batch 0 */
		if (lsn_get_be32((const uint8_t *)k.mv_data + 8) == 0)
			continue; /* the index head */
		memcpy(kb, k.mv_data, sizeof(kb));
		if ((rc = store__open_block(sn->st, kb, sizeof(kb), v.mv_data, v.mv_size,
			 &plain, &plen, err)) != 0)
			break;
		rc = fn(ctx, lsn_get_be32(kb + 8), plain, plen);
		lsn_wipe_free(plain, plen);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc > 0 || rc < LSN_EEXISTS) /* LMDB's, not an lsn_status */
		return store__lmdb_err(err, rc, "reading index entries");
	return rc;
}

int
store_postings_get(store_snap *sn, const uint8_t term[STORE_BLIND_LEN],
    store_postings_fn fn, void *ctx, lsn_err *err)
{
	uint64_t last = store_postings_batches(sn);
	int rc;

	/* One exact lookup per batch, oldest first. */
	for (uint64_t b = 1; b < last; b++)
		if ((rc = store_postings_get_batch(sn, term, b, fn, ctx, err)) != 0)
			return rc;
	return 0;
}

int
store_principal_get(store_snap *sn, const char *name, uint8_t **data,
    size_t *len, lsn_err *err)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc;

	*data = NULL;
	if ((rc = check_name("a principal name", name, err)) != 0)
		return rc;
	rc = mdb_get(sn->txn, sn->st->principals, &k, &v);
	if (rc == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "no principal %s", name);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading principals");
	return store__open1(sn->st, 'p', name, k.mv_size, v.mv_data, v.mv_size, data,
	    len, err);
}

int
store_principal_iter(store_snap *sn, store_principal_fn fn, void *ctx,
    lsn_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint8_t *plain = NULL;
	size_t plen = 0;
	char name[STORE_MAX_ID + 1];
	int rc, op = MDB_FIRST;

	if ((rc = mdb_cursor_open(sn->txn, sn->st->principals, &c)) != 0)
		return store__lmdb_err(err, rc, "reading principals");
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (k.mv_size == 0 || k.mv_size > STORE_MAX_ID) {
			rc = lsn_fail(err, LSN_EINPUT, "the principals table is corrupted");
			goto out;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		rc = store__open1(sn->st, 'p', name, k.mv_size, v.mv_data, v.mv_size,
		    &plain, &plen, err);
		if (rc != 0)
			goto out;
		rc = fn(ctx, name, plain, plen);
		lsn_wipe_free(plain, plen);
		if (rc != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : store__lmdb_err(err, rc, "reading principals");
out:
	mdb_cursor_close(c);
	return rc;
}

int
store_meta_get(store_snap *sn, const char *name, uint8_t **value, size_t *len,
    lsn_err *err)
{
	MDB_val v;
	int rc;

	*value = NULL;
	rc = meta_get(sn->txn, sn->st->meta, name, &v);
	if (rc == MDB_NOTFOUND)
		return lsn_fail(err, LSN_ENOTFOUND, "no meta value %s", name);
	if (rc != 0)
		return store__lmdb_err(err, rc, "reading meta");
	if ((*value = malloc(v.mv_size ? v.mv_size : 1)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	memcpy(*value, v.mv_data, v.mv_size);
	*len = v.mv_size;
	return 0;
}

int
store_info_get(store_snap *sn, store_info *info, lsn_err *err)
{
	store *st = sn->st;
	MDB_stat ms;
	MDB_envinfo ei;
	MDB_val v;

	memset(info, 0, sizeof(*info));
	if (meta_get(sn->txn, st->meta, M_FORMAT, &v) == 0 && v.mv_size == 4)
		info->format = lsn_get_be32(v.mv_data);
	if (meta_get(sn->txn, st->meta, M_KDF, &v) == 0 && v.mv_size == KDF_LEN) {
		const uint8_t *k = v.mv_data;
		info->passphrase = k[0] == KDF_ARGON2ID;
		if (info->passphrase) {
			info->kdf_passes = (unsigned long)lsn_get_be64(k + 1 + STORE__SALT_LEN);
			info->kdf_memory_kib =
			    (unsigned long)lsn_get_be64(k + 1 + STORE__SALT_LEN + 8);
		}
	}
	if (meta_get(sn->txn, st->meta, M_NEXT_SERIAL, &v) == 0 && v.mv_size == 8)
		info->next_serial = lsn_get_be64(v.mv_data);
	if (mdb_stat(sn->txn, st->reports, &ms) != 0)
		return lsn_fail(err, LSN_EIO, "cannot read the store's statistics");
	info->records = ms.ms_entries;
	info->page_size = ms.ms_psize;
	if (mdb_stat(sn->txn, st->principals, &ms) == 0)
		info->principals = ms.ms_entries;
	if (mdb_stat(sn->txn, st->audit, &ms) == 0)
		info->audit_entries = ms.ms_entries;
	if (mdb_stat(sn->txn, st->postings, &ms) == 0)
		info->posting_blocks = ms.ms_entries;
	for (unsigned i = 0; st->have_recent && i < STORE_MERGE_SLICES; i++) {
		if (mdb_stat(sn->txn, st->recent[i], &ms) == 0)
			info->posting_blocks += ms.ms_entries;
		if (mdb_stat(sn->txn, st->recent_packs[i], &ms) == 0)
			info->posting_packs += ms.ms_entries;
	}
	if (st->have_recent && mdb_stat(sn->txn, st->packs, &ms) == 0)
		info->posting_packs += ms.ms_entries;
	if (mdb_env_info(st->env, &ei) == 0) {
		info->map_size = ei.me_mapsize;
		info->file_size = (ei.me_last_pgno + 1) * info->page_size;
	}
	info->dict_current = st->dict_current;
	return 0;
}

/*
 * What store_open() read of the writers' state, read again now that this
 * process holds the writer lock: the writer it waited for has committed
 * since.  With the values of before, an ingest that had waited reused the
 * other's batch number (its posting blocks went over the other's, and
 * stored reports dropped out of search) and trained a zstd dictionary
 * under the other's dictionary's id (the other's records no longer
 * opened).  Counters only move forward; dictionaries are added.
 */
static int
reload_counters(store *st, lsn_err *err)
{
	MDB_txn *txn = NULL;
	MDB_val v;
	uint64_t serial = 0, batch = 0;
	int rc;

	if ((rc = store__txn_begin(st, MDB_RDONLY, &txn, err)) != 0)
		return rc;
	if (meta_get(txn, st->meta, M_NEXT_SERIAL, &v) == 0 && v.mv_size == 8)
		serial = lsn_get_be64(v.mv_data);
	if (meta_get(txn, st->meta, "next-batch", &v) == 0 && v.mv_size == 8)
		batch = lsn_get_be64(v.mv_data);
	pthread_mutex_lock(&st->pool_lock);
	if (serial > st->next_serial)
		st->next_serial = serial;
	if (batch > st->next_batch)
		st->next_batch = batch;
	pthread_mutex_unlock(&st->pool_lock);
	rc = store__dict_load_all(st, txn, err);
	store__txn_end(st, txn, 0);
	return rc;
}

int
store_lock_writer(store *st, lsn_err *err)
{
	char path[4096];
	int fd;

	if (st->writer_fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/writer.lock", st->dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return lsn_fail(err, LSN_EIO, "cannot open %s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return lsn_fail(err, LSN_EIO, "cannot lock %s: %s", path, strerror(errno));
		}
	}
	st->writer_fd = fd;
	return reload_counters(st, err);
}
