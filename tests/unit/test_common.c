/*
 * tests/unit/test_common.c - large tables (common/common.c lsn_big_*).
 *
 * A table comes zeroed at any size; growing it keeps its contents whether
 * it stays under LSN_BIG_MIN, crosses it, or grows as a mapping; shrinking
 * across it keeps what fits; a mapping's pages are advised huge where the
 * kernel offers them.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"

static void
fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed);
}

static int
holds(const uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 131 + seed))
			return 0;
	return 1;
}

static int
zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
test_big__alloc_zeroed_small_and_big(void **state)
{
	size_t sizes[] = { 0, 1, 4096, LSN_BIG_MIN - 1, LSN_BIG_MIN, 3 * LSN_BIG_MIN + 5 };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint8_t *p = lsn_big_alloc(sizes[k]);
		assert_non_null(p);
		assert_true(zero(p, sizes[k]));
		fill(p, sizes[k], 7);
		lsn_big_free(p, sizes[k]);
	}
	lsn_big_free(NULL, 0);
	lsn_big_free(NULL, LSN_BIG_MIN);
}

/* One table grown through every case and shrunk back across the line. */
static void
test_big__realloc_keeps_contents(void **state)
{
	size_t steps[] = { 1000, LSN_BIG_MIN / 2, LSN_BIG_MIN + 1, LSN_BIG_MIN + 2,
		4 * LSN_BIG_MIN, 9 * LSN_BIG_MIN + 3, LSN_BIG_MIN / 4 };
	size_t n = 100;
	uint8_t *p = lsn_big_realloc(NULL, 0, n);

	(void)state;
	assert_non_null(p);
	assert_true(zero(p, n));
	fill(p, n, 1);
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		size_t keep = n < steps[k] ? n : steps[k];
		uint8_t *q = lsn_big_realloc(p, n, steps[k]);
		assert_non_null(q);
		assert_true(holds(q, keep, 1));
		fill(q, steps[k], 1); /* all of it, for the next step */
		p = q;
		n = steps[k];
	}
	lsn_big_free(p, n);
}

/* Where the kernel has transparent huge pages, a big table asks for them. */
static void
test_big__mapping_advised_huge(void **state)
{
	char line[256], mode[256] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	size_t n = 8 * (size_t)LSN_BIG_MIN;
	uint8_t *p;
	int found = 0;

	(void)state;
	if (f == NULL || fgets(mode, sizeof(mode), f) == NULL || strstr(mode, "[never]")) {
		if (f != NULL)
			fclose(f);
		skip();
	}
	fclose(f);
	assert_non_null(p = lsn_big_alloc(n));
	memset(p, 1, n);
	f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	/* The mapping that holds p: its VmFlags include "hg" (MADV_HUGEPAGE). */
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			found = (uintptr_t)p >= lo && (uintptr_t)p < hi ? 1 : found == 1 ? 2 : found;
			continue;
		}
		if (found == 1 && strncmp(line, "VmFlags:", 8) == 0) {
			assert_non_null(strstr(line, " hg"));
			found = 3;
		}
	}
	fclose(f);
	assert_int_equal(found, 3);
	lsn_big_free(p, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big__alloc_zeroed_small_and_big),
		cmocka_unit_test(test_big__realloc_keeps_contents),
		cmocka_unit_test(test_big__mapping_advised_huge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
