/*
 * tests/unit/test_heap.c - the heap of a bulk process: once told to, it
 * keeps the memory it frees; a table's pages are written when it is made;
 * and the kernel's transparent huge page mode as the bench reports it.
 */
#include "config.h"

#include <malloc.h>
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

/* lsn_thp_mode() against a reading of the same file by other means. */
static void
test_heap__thp_mode_is_the_bracketed_word(void **state)
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
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap__thp_mode_is_the_bracketed_word),
		cmocka_unit_test(test_heap__table_pages_are_written_up_front),
#if !LSN_OWN_ALLOCATOR
		cmocka_unit_test(test_heap__kept_after_a_batch_is_freed),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
