# acl/: the marking engine (pure C; loads only its data files).
libliaison_a_SOURCES += acl/acl.h acl/acl_int.h acl/data.c acl/marking.c \
	acl/render.c acl/parse.c acl/rollup.c acl/principal.c acl/decide.c \
	acl/access.c

# Data files: the registry and tetragraph membership, installed to
# $(pkgdatadir) (LSN_DATADIR); LIAISON_DATA_DIR or explicit paths override.
dist_pkgdata_DATA += data/ismcat_2022_CVEnumISMCATRelTo.csv \
	data/ismcat_2022nov_tetragraph_membership.tsv
EXTRA_DIST += data/README.md

# Unit tests.
ACL_TESTS = tests/unit/test_acl_render tests/unit/test_acl_validate \
	tests/unit/test_acl_rollup tests/unit/test_acl_decide \
	tests/unit/test_acl_label tests/unit/test_acl_access \
	tests/unit/test_acl_principal
check_PROGRAMS += $(ACL_TESTS)
TESTS += $(ACL_TESTS)
EXTRA_DIST += tests/data/ism_v10_render_cases.tsv tests/data/accumulo_vectors.tsv \
	tests/unit/test_acl_util.h
tests_unit_test_acl_render_SOURCES = tests/unit/test_acl_render.c tests/unit/test_acl_util.h
tests_unit_test_acl_render_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_acl_render_LDADD = $(LSN_TEST_LIBS)
tests_unit_test_acl_validate_SOURCES = tests/unit/test_acl_validate.c tests/unit/test_acl_util.h
tests_unit_test_acl_validate_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_acl_validate_LDADD = $(LSN_TEST_LIBS)
tests_unit_test_acl_rollup_SOURCES = tests/unit/test_acl_rollup.c tests/unit/test_acl_util.h \
	tests/unit/test_acl_random.h
tests_unit_test_acl_rollup_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_acl_rollup_LDADD = $(LSN_TEST_LIBS)
tests_unit_test_acl_decide_SOURCES = tests/unit/test_acl_decide.c tests/unit/test_acl_util.h
tests_unit_test_acl_decide_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_acl_decide_LDADD = $(LSN_TEST_LIBS)
tests_unit_test_acl_label_SOURCES = tests/unit/test_acl_label.c tests/unit/test_acl_util.h \
	tests/unit/test_acl_random.h
tests_unit_test_acl_label_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_acl_label_LDADD = $(LSN_TEST_LIBS)
tests_unit_test_acl_access_SOURCES = tests/unit/test_acl_access.c tests/unit/test_acl_util.h
tests_unit_test_acl_access_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_acl_access_LDADD = $(LSN_TEST_LIBS)
tests_unit_test_acl_principal_SOURCES = tests/unit/test_acl_principal.c tests/unit/test_acl_util.h
tests_unit_test_acl_principal_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_acl_principal_LDADD = $(LSN_TEST_LIBS)

# CLI scenarios.
TESTS += tests/cli/marking.sh
EXTRA_DIST += tests/cli/marking.sh

# Fuzz targets (tests/local.mk explains the lines).
FUZZ_TARGETS += banner access
check_PROGRAMS += tests/fuzz/replay-banner tests/fuzz/replay-access
TESTS += tests/fuzz/replay-banner tests/fuzz/replay-access
tests_fuzz_replay_banner_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-banner.c
tests_fuzz_replay_banner_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"banner"'
tests_fuzz_replay_banner_LDADD = $(LSN_LIBS)
tests_fuzz_replay_access_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-access.c
tests_fuzz_replay_access_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"access"'
tests_fuzz_replay_access_LDADD = $(LSN_LIBS)

# Man page.
dist_man1_MANS += doc/liaison-marking.1
