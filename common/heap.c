/*
 * common/heap.c - the heap of a bulk process (ingest, the bench).
 *
 * Three settings, made once at the start by lsn_bulk_heap():
 *
 * Huge pages.  On a kernel whose transparent huge page mode is "madvise",
 * heap memory gets huge pages only if the C library asks for them, and
 * glibc (2.35 and later) asks only when the tunable glibc.malloc.hugetlb=1
 * is set.  glibc reads its tunables once, when the process starts, so a
 * process that wants them must execute itself again with the tunable in
 * its environment.  On the 2-core reference VM this made bulk ingests
 * 7-16% faster, with half the page faults, for about 11 MiB more resident
 * memory (bench/README.md).
 *
 * Memory kept.  By default glibc gives the top of a heap back to the
 * kernel once 128 KiB or more of it is free, and serves blocks of 128 KiB
 * and more (up to a threshold that only grows as they are freed) from
 * mappings of their own, unmapped on free.  An ingest frees most of a
 * batch's memory at each commit and needs it again for the next batch:
 * each time the kernel zeroes the pages afresh, 2 MiB at a time on huge
 * pages.  On the reference VM, where a first touch is slow, perf put 5-7%
 * of a 10,000-report ingest's samples there, most of them the writer's;
 * keeping the memory took 2-4% off its time.  A bulk process keeps what it has
 * touched instead: no trimming below 1 GiB free, and blocks under 32 MiB
 * (glibc's largest threshold) come from the heap.  The peak is what it
 * was; the process does not shrink again before it exits.
 *
 * Threads' heaps made whole at once.  A thread other than the main one
 * allocates from a heap of its own (a glibc arena): 64 MiB of address
 * space reserved, of which glibc makes writable only what is asked for,
 * then grows it a few pages at a time (an mprotect each), and advises huge
 * pages only for the part made writable at the start.  So the workers'
 * heaps, where documents are parsed, sealed and cut into words, were
 * touched one 4 KiB page at a time: at 10,000 reports, 17,000 of the
 * 19,000 page faults were theirs (one arena for every thread took them to
 * 1,700, but cost more in contention).  Padding the top of a heap by
 * 32 MiB (M_TOP_PAD) makes a new thread heap's first 32 MiB writable, and
 * advised, at once; the main heap grows by 32 MiB steps of address space.
 * On the reference VM (alternated runs): 10,000 reports 10% faster and
 * 100,000 about 3%, the faults 19,000 to 2,000 and 52,000 to 32,000, for
 * about 14 MiB more at the peak (1,000,000 reports: 237 against 223 MiB).
 */
#include "config.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "common/common.h"

#define TUNABLE "glibc.malloc.hugetlb"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define THREAD_HEAP_START (32 << 20) /* a new thread heap's writable start */

extern char **environ;

/* Whether the colon-separated name=value list `tunables` names `name`. */
static int
names_tunable(const char *tunables, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = tunables; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ":=");

		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p = strchr(p, ':');
		if (p != NULL)
			p++;
	}
	return 0;
}

char *
lsn_huge_pages_tunables(const char *tunables, const char *opt_out, const char *thp_mode)
{
	char *out;
	size_t len;

	if (opt_out != NULL && strcmp(opt_out, "0") == 0)
		return NULL;
	if (thp_mode == NULL || strcmp(thp_mode, "madvise") != 0)
		return NULL; /* "always" needs no advice; "never" takes none */
	if (tunables != NULL && names_tunable(tunables, TUNABLE))
		return NULL; /* the user's own choice stands, either way */
	len = sizeof(TUNABLE "=1") + (tunables != NULL && *tunables ? strlen(tunables) + 1 : 0);
	if ((out = malloc(len)) == NULL)
		return NULL;
	if (tunables != NULL && *tunables)
		snprintf(out, len, "%s:" TUNABLE "=1", tunables);
	else
		snprintf(out, len, TUNABLE "=1");
	return out;
}

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

/* Execute this program again with glibc.malloc.hugetlb=1, when that gives
 * its heap huge pages; return only when it did not. */
static void
huge_pages_reexec(char **argv)
{
	char mode[32], *tunables, *setting, **envp;
	size_t n = 0, k = 0;

	/* A set-id process runs with the environment cut down for it: it
	 * must not put back what the loader took away. */
	if (getauxval(AT_SECURE) != 0)
		return;
	(void)lsn_thp_mode(mode, sizeof(mode));
	tunables = lsn_huge_pages_tunables(getenv("GLIBC_TUNABLES"),
	    getenv("LIAISON_HUGE_PAGES"), mode);
	if (tunables == NULL)
		return;
	while (environ[n] != NULL)
		n++;
	setting = malloc(sizeof("GLIBC_TUNABLES=") + strlen(tunables));
	envp = malloc((n + 2) * sizeof(*envp));
	if (setting != NULL && envp != NULL) {
		/* The new process has the tunable in its environment, so it
		 * does not come back here a second time. */
		sprintf(setting, "GLIBC_TUNABLES=%s", tunables);
		for (size_t i = 0; i < n; i++)
			if (strncmp(environ[i], "GLIBC_TUNABLES=", sizeof("GLIBC_TUNABLES=") - 1) != 0)
				envp[k++] = environ[i];
		envp[k++] = setting;
		envp[k] = NULL;
		execve("/proc/self/exe", argv, envp);
		/* No /proc, or no exec: run on as we are, only slower. */
	}
	free(envp);
	free(setting);
	free(tunables);
}

void
lsn_heap_keep(void)
{
#ifdef M_TRIM_THRESHOLD
	(void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
#ifdef M_TOP_PAD
	(void)mallopt(M_TOP_PAD, THREAD_HEAP_START);
#endif
}

void
lsn_bulk_heap(char **argv)
{
	huge_pages_reexec(argv);
	lsn_heap_keep();
}
