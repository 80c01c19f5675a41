/*
 * tests/unit/test_hugepages.c - when a bulk process restarts itself with
 * glibc's heap on huge pages, and with what GLIBC_TUNABLES.
 *
 * The restart itself (the exec, and that the new process does not restart
 * again) is checked on the real binary by tests/cli/ingest.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/common.h"

#define MADVISE "always [madvise] never\n"

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
	expect(NULL, NULL, "[always] madvise never\n", NULL);
	expect(NULL, NULL, "always madvise [never]\n", NULL);
	expect(NULL, NULL, "", NULL); /* no THP in this kernel, or no /sys */
	expect(NULL, NULL, NULL, NULL);
	expect(NULL, NULL, "madvise\n", NULL); /* not the kernel's form */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugepages__added_when_the_kernel_waits_for_advice),
		cmocka_unit_test(test_hugepages__not_when_the_user_chose),
		cmocka_unit_test(test_hugepages__not_when_advice_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
