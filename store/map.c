/*
 * store/map.c - the store's map and this process's resident set: where
 * LMDB maps the data file, dropping our mapping of its pages, and making
 * a fault map one page, not a folio.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#ifdef HAVE_LINUX_USERFAULTFD_H
#include <linux/userfaultfd.h>
#endif

#include "store/internal.h"

int
store__map_find(store *st, uint8_t **base, size_t *len)
{
	struct stat sb;
	char line[PATH_MAX + 128], path[PATH_MAX], *real;
	mdb_filehandle_t fd;
	FILE *f;
	int found = -1;

	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) != 0)
		return -1;
	/* Matched by device and inode, or by path where a stacked file system
	 * (overlayfs) shows the underlying file's numbers in the maps. */
	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	if ((real = realpath(path, NULL)) == NULL)
		return -1;
	if ((f = fopen("/proc/self/maps", "re")) == NULL) {
		free(real);
		return -1;
	}
	while (found != 0 && fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi, off, ino;
		unsigned maj, min;
		int at = 0;
		size_t n;

		if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu %n", &lo, &hi, &off, &maj, &min,
			&ino, &at) < 6 || off != 0)
			continue;
		n = strcspn(line + at, "\n");
		if ((ino == (unsigned long)sb.st_ino && makedev(maj, min) == sb.st_dev) ||
		    (at > 0 && n == strlen(real) && memcmp(line + at, real, n) == 0)) {
			*base = (uint8_t *)(uintptr_t)lo;
			*len = hi - lo;
			found = 0;
		}
	}
	fclose(f);
	free(real);
	return found;
}

/*
 * The map and this process's resident set.  A transaction reads pages
 * through LMDB's read-only shared map, and every page read that way stays
 * in this process's resident set until the map moves.  Worse, a read fault
 * maps the page's cached neighbours with it: the kernel's fault-around, 64
 * KiB by default, ignores MADV_RANDOM.  Looking records up by id in random
 * order then maps 64 KiB or more a record: in store format 1, where the
 * records were the values of the id tree, a batch of 2,000 reports whose
 * ids were not in key order added up to 128 MiB, whatever the store's
 * size, and a 100,000-report ingest peaked at 302 MiB.  Format 2 keeps
 * records by serial and ids in a small index (FORMAT.md section 4), which
 * a batch's random ids touch far fewer pages of; the bound below still
 * holds it.
 *
 * The pages are the page cache's, not ours, so we drop our mapping of them
 * (MADV_DONTNEED): after each commit that merged a slice, and whenever
 * the file pages this process maps have grown by STORE__MAP_RESIDENT since
 * the last drop, checked after each commit that stored records and every
 * STORE__MAP_CHECK records put by id or read by id through a bulk reader
 * (store_snap_bulk: ingest's duplicate check), every STORE__MAP_CHECK_SMALL
 * while faults map one page each (below).  Dropping the map after
 * every commit that stored records, as the store did until 2026-12-05,
 * made the next batch fault in again the leaves it shares with this one
 * (a 100,000-report ingest took 141,000 faults against 147,000 and 2.8%
 * less time, 4 alternated pairs, at the same peak; no difference at
 * 1,000,000, where the bound is reached between commits anyway); the
 * bound went from 32 to 16 MiB with it, and to 8 on 2026-12-07, when an
 * ingest of 3 million reports went past the 256 MiB ingest is held to
 * (these pages were up to 35 MiB of its peak; 100,000 reports took the
 * same time in 5 alternated pairs, 1,000,000 peaked 4 to 6 MiB lower).  A
 * budget in records did not
 * bound the bytes: the same 512 lookups mapped 32 MiB or 77 MiB depending
 * on what the kernel maps around a fault.  The next read maps the pages
 * again from the cache (a minor fault).  The check is a pread of
 * /proc/self/statm, 2 µs.
 *
 * How much a fault maps depends on the page cache, and so on what else
 * read the file.  Once the whole file has been read in order (a backup
 * with cp or mdb_copy; readahead then fills the cache with folios of up to
 * 2 MiB on Linux 6.x and ext4), a read fault maps the whole folio it hits,
 * whatever MADV_RANDOM says: by page table entries in fault-around, or by
 * one huge entry when the folio is 2 MiB and aligned.  On Linux 6.18, 100
 * reads of one byte at random pages of a 600 MB store so read mapped 155
 * MiB.  Checked every 64 records, a 30,000-report ingest into a store of
 * 1.3 million then peaked at 381-413 MiB against 207-218 MiB after the
 * cache was dropped; checked every 4, at 218 MiB.  No check bounds what a
 * single LMDB call maps, though: a merge slice's mdb_drop (batch.c) walks
 * its database's leaves and first overflow pages, scattered over the file,
 * and mapped 70 MiB in a millisecond.
 *
 * So an ingest turns on store_map_one_page_faults(): a fault on the map
 * then maps the page it hits and no other.  The huge entries are off under
 * MADV_NOHUGEPAGE, and fault-around is off for a mapping registered with
 * userfaultfd in write-protect mode (the kernel's uffd_disable_fault_around).
 * Asynchronous write protection (Linux 6.7, UFFD_FEATURE_WP_ASYNC) is what
 * lets a file mapping be registered, and it needs no thread to serve
 * faults: the map is never written through (no MDB_WRITEMAP), no page of
 * it is ever write-protected, and a write fault would be resolved by the
 * kernel.  The same 100 reads then mapped 400 KiB.  What the process maps
 * is then what it reads: a merge slice's pages stay mapped until its
 * commit (store_recent_slice), the walk of mdb_drop finds them there, and
 * the map is released after that commit.
 *
 * But for that listing of a slice (store__map_slice): it walks the slice's
 * leaves in key order, and each batch wrote them on neighbouring pages, so
 * a fault there that maps its neighbours maps what the walk reads next.
 * With one-page faults, the merges of a 100,000-report ingest took 92,000
 * faults, a second of the writer's time (10 µs a fault on the 2-core AMD
 * guest of 2026-12-05), against 7,000 and 0.3 s with fault-around (the
 * ingest 4 to 7% faster, 4 of 4 alternated pairs, twice); the peak did
 * not move (184-195 MiB against 188-198).  The walk counts what it reads,
 * checking the bound every STORE__MAP_CHECK_BYTES: counted by the records read
 * instead, a 30,000-report ingest into a store read in order by cat
 * peaked at 285 MiB (the packs read after a drop mapped folios again,
 * uncounted); counted, at 169, against 162-165 with one-page faults.
 * The walk copies the keys, so that the sort after it, which goes from
 * batch to batch, reads none of the map.
 *
 * The price is faults: a fault maps one page instead of 16 or a folio's
 * worth.  On the reference VM, where a fault costs about 9 µs, a fresh
 * 100,000-report ingest took 160,000 faults instead of 52,000, and 2-3%
 * longer; it peaked 24 MiB lower (191-195 MiB against 215-220), and after
 * a read in order at 184-187 MiB against 250-267.  A fresh 1,000,000-report
 * ingest took 1.96 million faults instead of 0.96, in 159 s against 166
 * (one run each: within the machine's noise), at 227 MiB against 228.
 * Where the kernel refuses (before 6.7, without userfaultfd, under a
 * seccomp filter that forbids it), the checks above are all there is.
 *
 * A query's reads do not count, nor do other commits (an audit entry, a
 * principal), which read a few pages: each query commits its audit entry,
 * and dropping the map there made the next query fault its pages in again
 * (audited one-word queries on a 100k store: 255-281 a second, 435-656
 * without the drop).  Nothing in the map is ever dirty, so nothing can be
 * lost, and a reader in another thread only faults the page in again.
 */

/* The file-backed pages resident in this process (statm's third field:
 * the store's map and the libraries' code), or -1.  The file stays open:
 * a pread costs 2 µs on the reference VM, an open, read and close 7.5. */
static long
file_pages(store *st)
{
	char buf[160];
	long size, resident, shared = -1;
	ssize_t n;

	if (st->statm_fd < 0)
		return -1;
	n = pread(st->statm_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%ld %ld %ld", &size, &resident, &shared) != 3)
		return -1;
	return shared;
}

/* Drop this process's mapping of the store's pages.  The caller holds
 * map_lock (an open transaction does), so the map cannot move meanwhile;
 * each move clears map_base, so a stale address is never advised.  (The
 * map is found by the data file's inode: LMDB forbids opening one
 * environment twice in a process, so there is one such mapping.) */
void
store__map_release(store *st)
{
	MDB_envinfo info;
	MDB_stat ms;
	uint8_t *base;
	size_t len, used;

	__atomic_store_n(&st->map_reads, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&st->map_mu);
	if (st->map_base == NULL && store__map_find(st, &st->map_base, &st->map_len) != 0)
		st->map_base = NULL;
	base = st->map_base;
	len = st->map_len;
	pthread_mutex_unlock(&st->map_mu);
	if (base == NULL || mdb_env_info(st->env, &info) != 0 ||
	    mdb_env_stat(st->env, &ms) != 0)
		return;
	used = ((size_t)info.me_last_pgno + 1) * ms.ms_psize;
	(void)madvise(base, used < len ? used : len, MADV_DONTNEED);
	__atomic_store_n(&st->map_floor, file_pages(st), __ATOMIC_RELAXED);
}

/* Drop the mapping if the file pages mapped grew by STORE__MAP_RESIDENT
 * since the last drop. */
void
store__map_check(store *st)
{
	long now, floor;

	__atomic_store_n(&st->map_reads, 0, __ATOMIC_RELAXED);
	now = file_pages(st);
	floor = __atomic_load_n(&st->map_floor, __ATOMIC_RELAXED);
	if (now < 0 || floor < 0 ||
	    now - floor > (long)(STORE__MAP_RESIDENT / (size_t)sysconf(_SC_PAGESIZE)))
		store__map_release(st);
}

void
store__map_reads(store *st, unsigned n)
{
	unsigned every = __atomic_load_n(&st->map_small, __ATOMIC_RELAXED) ?
	    STORE__MAP_CHECK_SMALL : STORE__MAP_CHECK;

	if (__atomic_add_fetch(&st->map_reads, n, __ATOMIC_RELAXED) >= every)
		store__map_check(st);
}

void
store__map_read_bytes(store *st, size_t n)
{
	size_t before = __atomic_fetch_add(&st->map_bytes, n, __ATOMIC_RELAXED);

	if ((before + n) / STORE__MAP_CHECK_BYTES != before / STORE__MAP_CHECK_BYTES)
		store__map_check(st);
}

#if defined(HAVE_LINUX_USERFAULTFD_H) && defined(SYS_userfaultfd) && defined(UFFDIO_REGISTER_MODE_WP)
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1 /* Linux 5.11 */
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15) /* Linux 6.7 */
#endif

/* Register [base, base + len) with the store's userfaultfd (made on first
 * use) for asynchronous write protection (on), or unregister it; 0 or -1. */
static int
uffd_wp(store *st, uint8_t *base, size_t len, int on)
{
	struct uffdio_register reg;

	if (st->uffd == -1 && on) {
		/* User-mode faults only: what an unprivileged process may ask
		 * for where vm.unprivileged_userfaultfd is 0. */
		int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
		struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC };

		st->uffd = -2; /* refused: not asked again */
		if (fd < 0)
			return -1;
		if (ioctl(fd, UFFDIO_API, &api) != 0 || !(api.features & UFFD_FEATURE_WP_ASYNC)) {
			close(fd);
			return -1;
		}
		st->uffd = fd;
	}
	if (st->uffd < 0)
		return -1;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)base;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	return ioctl(st->uffd, on ? UFFDIO_REGISTER : UFFDIO_UNREGISTER,
		   on ? (void *)&reg : (void *)&reg.range) == 0 ? 0 : -1;
}
#else
static int
uffd_wp(store *st, uint8_t *base, size_t len, int on)
{
	(void)st;
	(void)base;
	(void)len;
	(void)on;
	return -1;
}
#endif

/* Make the map's faults what st->small_wanted asks, but while a slice of
 * the recent postings is walked (map_mu held; the map cannot move:
 * map_lock is held). */
static void
map_apply(store *st)
{
	int want = st->small_wanted && st->map_slices == 0;

	if (want == st->map_small)
		return;
	if (st->map_base == NULL && store__map_find(st, &st->map_base, &st->map_len) != 0) {
		st->map_base = NULL;
		__atomic_store_n(&st->map_small, 0, __ATOMIC_RELAXED);
		return;
	}
	if (want) {
		int small = madvise(st->map_base, st->map_len, MADV_NOHUGEPAGE) == 0 &&
		    uffd_wp(st, st->map_base, st->map_len, 1) == 0;
		__atomic_store_n(&st->map_small, small, __ATOMIC_RELAXED);
	} else {
		/* MADV_NOHUGEPAGE stays: there is no undoing it, and without
		 * fault-around's folios it changes little. */
		(void)uffd_wp(st, st->map_base, st->map_len, 0);
		__atomic_store_n(&st->map_small, 0, __ATOMIC_RELAXED);
	}
}

void
store__map_moved(store *st)
{
	pthread_mutex_lock(&st->map_mu);
	st->map_base = NULL;
	__atomic_store_n(&st->map_small, 0, __ATOMIC_RELAXED); /* gone with the old map */
	map_apply(st);
	pthread_mutex_unlock(&st->map_mu);
}

void
store__map_slice(store *st, int on)
{
	pthread_mutex_lock(&st->map_mu);
	st->map_slices += on ? 1 : -1;
	map_apply(st);
	pthread_mutex_unlock(&st->map_mu);
}

int
store_map_one_page_faults(store *st, int on)
{
	int r;

	pthread_rwlock_rdlock(&st->map_lock);
	pthread_mutex_lock(&st->map_mu);
	st->small_wanted = on != 0;
	map_apply(st);
	r = st->map_small;
	pthread_mutex_unlock(&st->map_mu);
	pthread_rwlock_unlock(&st->map_lock);
	return r;
}

void
store__map_init(store *st)
{
	st->uffd = -1;
	st->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	st->map_floor = file_pages(st);
}

void
store__map_close(store *st)
{
	if (st->statm_fd >= 0)
		close(st->statm_fd);
	st->statm_fd = -1;
	if (st->uffd >= 0)
		close(st->uffd); /* unregisters the map */
	st->uffd = -1;
}
