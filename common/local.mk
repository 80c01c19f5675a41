# common/: status codes, error messages, wiping, huge pages for bulk work.
libliaison_a_SOURCES += common/common.h common/common.c common/hugepages.c \
	common/token.c

check_PROGRAMS += tests/unit/test_hugepages
TESTS += tests/unit/test_hugepages
tests_unit_test_hugepages_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_hugepages_LDADD = $(LSN_TEST_LIBS)
