# store/: the encrypted LMDB store (records, postings, principals, audit).
libliaison_a_SOURCES += store/store.h store/internal.h store/keys.c \
	store/seal.c store/env.c store/map.c store/batch.c store/dict.c store/audit.c \
	store/zmem.c

check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_store_LDADD = $(LSN_TEST_LIBS)

TESTS += tests/cli/store.sh
EXTRA_DIST += tests/cli/store.sh
