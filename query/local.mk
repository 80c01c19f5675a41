# query/: the query language, search, releasable views and stats.
libliaison_a_SOURCES += query/query.h query/internal.h query/parse.c \
	query/run.c query/view.c

TESTS += tests/cli/query.sh
EXTRA_DIST += tests/cli/query.sh

check_PROGRAMS += tests/unit/test_query
TESTS += tests/unit/test_query
tests_unit_test_query_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_query_LDADD = $(LSN_TEST_LIBS)
TESTS += tests/cli/concurrency.sh
EXTRA_DIST += tests/cli/concurrency.sh
