/*
 * common/heap.c - the heap of a bulk process (ingest, the bench).
 *
 * Memory kept.  By default glibc gives the top of a heap back to the
 * kernel once 128 KiB or more of it is free, and serves blocks of 128 KiB
 * and more (up to a threshold that only grows as they are freed) from
 * mappings of their own, unmapped on free.  An ingest frees most of a
 * batch's memory at each commit and needs it again for the next batch:
 * each time the kernel zeroes the pages afresh.  A bulk process keeps what
 * it has touched instead: no trimming below 1 GiB free, and blocks under
 * 32 MiB (glibc's largest threshold) come from the heap.  The peak is what
 * it was; the process does not shrink again before it exits.  On the
 * 2-core reference VM (one run each, 2026-12-08) a 1,000,000-report CLI
 * ingest took 92 s with it and 97 s without, peaks 210 and 208 MiB;
 * 10,000 and 100,000 reports, alternated runs, the same time either way.
 *
 * Huge pages are not asked for.  Until 2026-12-08 ingest and the bench
 * started themselves again with glibc.malloc.hugetlb=1 in GLIBC_TUNABLES
 * where the kernel's transparent huge page mode is madvise, and made each
 * thread's heap writable 32 MiB at once so that the workers' heaps were
 * on huge pages too.  On a virtual machine that reports its free memory to
 * the host (virtio-balloon free page reporting, which reports free blocks
 * of 2 MiB and more), a huge page is such a block, and the host has taken
 * its memory back: zeroing it then costs many times what zeroing a page
 * freed a moment before costs.  A new process of 4 KiB pages mostly gets
 * small free blocks, which are not reported.  On the reference VM, runs
 * started 4 s apart (alternated): 10,000 reports 0.84-0.89 s with huge
 * pages against 0.68-0.73 s without (5 pairs; 0.40-0.47 s of system time
 * against 0.11-0.17), 100,000 the same time (3 pairs), 1,000,000 90 s
 * against 92 s (one pair); peaks 21-25 MiB higher with them at every size
 * (1,000,000: 235 against 210 MiB).  Who wants them sets GLIBC_TUNABLES
 * themselves; ingest leaves the setting as it finds it.
 */
#include "config.h"

#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

int
lsn_thp_mode(char *out, size_t len)
{
	char line[128], *lb, *rb;
	int fd = open(THP_ENABLED, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, line, sizeof(line) - 1);

	if (fd >= 0)
		close(fd);
	line[n > 0 ? n : 0] = '\0';
	out[0] = '\0';
	/* "always [madvise] never": the bracketed word is the mode. */
	if ((lb = strchr(line, '[')) == NULL || (rb = strchr(lb, ']')) == NULL ||
	    (size_t)(rb - lb - 1) >= len)
		return -1;
	memcpy(out, lb + 1, (size_t)(rb - lb - 1));
	out[rb - lb - 1] = '\0';
	return 0;
}

void
lsn_heap_keep(void)
{
#ifdef M_TRIM_THRESHOLD
	(void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
