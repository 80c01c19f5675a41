# common/: status codes, error messages, wiping, large tables.
libliaison_a_SOURCES += common/common.h common/common.c common/token.c

check_PROGRAMS += tests/unit/test_common
TESTS += tests/unit/test_common
tests_unit_test_common_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_common_LDADD = $(LSN_TEST_LIBS)
