# common/: status codes, error messages, wiping, the heap of bulk processes.
libliaison_a_SOURCES += common/common.h common/common.c common/heap.c \
	common/token.c

check_PROGRAMS += tests/unit/test_heap
TESTS += tests/unit/test_heap
tests_unit_test_heap_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_heap_LDADD = $(LSN_TEST_LIBS)

check_PROGRAMS += tests/unit/test_common
TESTS += tests/unit/test_common
tests_unit_test_common_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_common_LDADD = $(LSN_TEST_LIBS)
