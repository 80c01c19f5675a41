# ingest/: XML reports in (parse, validate, roll up, seal, index).
libliaison_a_SOURCES += ingest/ingest.h ingest/parse.c ingest/record.c \
	ingest/postings.c ingest/run.c ingest/terms.c ingest/entries.c \
	ingest/xmlmem.c ingest/idfilter.c ingest/stream.c
dist_pkgdata_DATA += schemas/report.xsd schemas/ism.xsd

TESTS += tests/cli/ingest.sh
EXTRA_DIST += tests/cli/ingest.sh tests/bad-input
TESTS += tests/cli/crash.sh tests/cli/ioerror.sh
EXTRA_DIST += tests/cli/crash.sh tests/cli/ioerror.sh

check_PROGRAMS += tests/unit/test_token
TESTS += tests/unit/test_token
tests_unit_test_token_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_token_LDADD = $(LSN_TEST_LIBS)

check_PROGRAMS += tests/unit/test_ingest_run
TESTS += tests/unit/test_ingest_run
tests_unit_test_ingest_run_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_ingest_run_LDADD = $(LSN_TEST_LIBS)

check_PROGRAMS += tests/unit/test_postings
TESTS += tests/unit/test_postings
tests_unit_test_postings_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_postings_LDADD = $(LSN_TEST_LIBS)

check_PROGRAMS += tests/unit/test_idfilter
TESTS += tests/unit/test_idfilter
tests_unit_test_idfilter_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_idfilter_LDADD = $(LSN_TEST_LIBS)

check_PROGRAMS += tests/unit/test_parse
TESTS += tests/unit/test_parse
tests_unit_test_parse_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_parse_LDADD = $(LSN_TEST_LIBS)
