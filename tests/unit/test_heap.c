/*
 * tests/unit/test_heap.c - the heap of a bulk process: when it restarts
 * itself with glibc's heap on huge pages, and with what GLIBC_TUNABLES;
 * and that, once told to, it keeps the memory it frees and makes a new
 * thread's heap writable 32 MiB at once.
 *
 * The restart itself (the exec, and that the new process does not restart
 * again) is checked on the real binary by tests/cli/ingest.sh.
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/common.h"

#define MADVISE "madvise"

/* The decision for (tunables, opt_out, mode) is `want` (NULL: no restart). */
static void
expect(const char *tunables, const char *opt_out, const char *mode, const char *want)
{
	char *got = lsn_huge_pages_tunables(tunables, opt_out, mode);

	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static void
test_hugepages__added_when_the_kernel_waits_for_advice(void **state)
{
	(void)state;
	expect(NULL, NULL, MADVISE, "glibc.malloc.hugetlb=1");
	expect("", NULL, MADVISE, "glibc.malloc.hugetlb=1");
	expect(NULL, "1", MADVISE, "glibc.malloc.hugetlb=1");
	/* Other tunables are kept, in their order. */
	expect("glibc.malloc.arena_max=2", NULL, MADVISE,
	    "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
	expect("glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0", NULL, MADVISE,
	    "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0:glibc.malloc.hugetlb=1");
	/* A longer name that starts with ours is another tunable. */
	expect("glibc.malloc.hugetlbx=0", NULL, MADVISE,
	    "glibc.malloc.hugetlbx=0:glibc.malloc.hugetlb=1");
}

static void
test_hugepages__not_when_the_user_chose(void **state)
{
	(void)state;
	expect(NULL, "0", MADVISE, NULL);
	expect("glibc.malloc.arena_max=2", "0", MADVISE, NULL);
	/* The user's own value, either way, anywhere in the list. */
	expect("glibc.malloc.hugetlb=0", NULL, MADVISE, NULL);
	expect("glibc.malloc.hugetlb=1", NULL, MADVISE, NULL);
	expect("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2", NULL, MADVISE, NULL);
	expect("glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2", NULL, MADVISE, NULL);
}

static void
test_hugepages__not_when_advice_changes_nothing(void **state)
{
	(void)state;
	expect(NULL, NULL, "always", NULL);
	expect(NULL, NULL, "never", NULL);
	expect(NULL, NULL, "", NULL); /* no THP in this kernel, or no /sys */
	expect(NULL, NULL, NULL, NULL);
	/* The kernel's line is not a mode: lsn_thp_mode() picks the word. */
	expect(NULL, NULL, "always [madvise] never\n", NULL);
	expect(NULL, NULL, "madvise\n", NULL);
}

/* lsn_thp_mode() against a reading of the same file by other means. */
static void
test_hugepages__thp_mode_is_the_bracketed_word(void **state)
{
	char mode[32], want[32] = "", tiny[4];
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	int rc;

	(void)state;
	if (f != NULL) {
		char w[32];
		while (fscanf(f, "%31s", w) == 1)
			if (w[0] == '[' && strlen(w) > 2 && w[strlen(w) - 1] == ']')
				snprintf(want, sizeof(want), "%.*s", (int)strlen(w) - 2, w + 1);
		fclose(f);
	}
	rc = lsn_thp_mode(mode, sizeof(mode));
	assert_int_equal(rc, want[0] ? 0 : -1);
	assert_string_equal(mode, want);
	/* A buffer too small for the word: no mode, and no overflow. */
	if (want[0] != '\0' && strlen(want) >= sizeof(tiny)) {
		assert_int_equal(lsn_thp_mode(tiny, sizeof(tiny)), -1);
		assert_string_equal(tiny, "");
	}
}

/* A table's pages are all written when it is made: storing into them
 * later faults no page in.  Made by calloc, the reads below would map the
 * shared zero page, and each first store would fault (copy on write).
 * Before test_heap__kept_after_a_batch_is_freed, whose memory, kept by
 * the heap and already written, would make this pass whatever made it. */
static void
test_heap__table_pages_are_written_up_front(void **state)
{
	enum { PAGES = 2048 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct rusage before, after;
	volatile uint8_t *t;
	unsigned zero = 1;

	(void)state;
	t = lsn_table_alloc(PAGES, page);
	assert_non_null(t);
	for (size_t i = 0; i < PAGES * page; i += 64)
		zero &= t[i] == 0;
	assert_true(zero);
	assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
	for (size_t i = 0; i < PAGES; i++)
		t[i * page + i % page] = 1;
	assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
	assert_true(after.ru_minflt - before.ru_minflt < PAGES / 16);
	free((void *)t);
	/* n * size overflows: nothing. */
	assert_null(lsn_table_alloc(SIZE_MAX / 2, 4));
}

/* A batch's worth of memory, freed, stays this process's for the next
 * batch: it came from the heap (not a mapping of its own, unmapped on
 * free), and freeing it did not give the heap's top back to the kernel.
 * Not under AddressSanitizer or ThreadSanitizer, whose allocators are
 * their own (and a skipped cmocka test reads as a failure to automake's
 * TAP driver). */
#if !LSN_OWN_ALLOCATOR
static void
test_heap__kept_after_a_batch_is_freed(void **state)
{
	const size_t batch = 8u << 20;
	struct mallinfo2 before, held, after;
	char *p;

	(void)state;
	lsn_heap_keep();
	before = mallinfo2();
	p = malloc(batch);
	assert_non_null(p);
	memset(p, 0x5a, batch);
	held = mallinfo2();
	assert_int_equal(held.hblkhd, before.hblkhd);
	assert_true(held.arena >= before.arena + batch);
	free(p);
	after = mallinfo2();
	assert_int_equal(after.arena, held.arena);
	assert_true(after.fordblks >= batch);
}

/* The writable mapping holding address p, from /proc/self/maps: its
 * length into *len and whether it is the main heap ("[heap]") into
 * *main_heap; 0, or -1 when no mapping holds p writable. */
static int
writable_mapping(uintptr_t p, size_t *len, int *main_heap)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (p >= lo && p < hi && perms[1] == 'w') {
			*len = hi - lo;
			*main_heap = strstr(line, "[heap]") != NULL;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

struct first_allocation {
	int found, main_heap;
	size_t len;
};

/* A new thread's first allocation, and the mapping it came from. */
static void *
first_allocation(void *arg)
{
	struct first_allocation *fa = arg;
	void *p = malloc(64);

	fa->found = p != NULL && writable_mapping((uintptr_t)p, &fa->len, &fa->main_heap) == 0;
	free(p);
	return NULL;
}

/* A thread's heap (a glibc arena of its own, not the main heap) is made
 * writable 32 MiB at once, not a few pages at a time as it fills, so that
 * huge pages can back it from the start (common/heap.c).  Without
 * lsn_heap_keep its first allocation makes 132 KiB writable. */
static void
test_heap__thread_heap_made_writable_at_once(void **state)
{
	struct first_allocation fa = { 0, 0, 0 };
	pthread_t t;

	(void)state;
	lsn_heap_keep();
	assert_int_equal(pthread_create(&t, NULL, first_allocation, &fa), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(fa.found);
	assert_false(fa.main_heap);
	assert_true(fa.len >= (size_t)32 << 20);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugepages__added_when_the_kernel_waits_for_advice),
		cmocka_unit_test(test_hugepages__not_when_the_user_chose),
		cmocka_unit_test(test_hugepages__not_when_advice_changes_nothing),
		cmocka_unit_test(test_hugepages__thp_mode_is_the_bracketed_word),
		cmocka_unit_test(test_heap__table_pages_are_written_up_front),
#if !LSN_OWN_ALLOCATOR
		cmocka_unit_test(test_heap__kept_after_a_batch_is_freed),
		cmocka_unit_test(test_heap__thread_heap_made_writable_at_once),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
