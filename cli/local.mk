# cli/: the liaison program, one file per subcommand.
liaison_SOURCES += cli/cli.h cli/liaison.c cli/keysrc.c cli/cmd-init.c cli/cmd-info.c cli/cmd-ingest.c cli/cmd-query.c cli/cmd-get.c cli/cmd-stats.c cli/cmd-marking.c
liaison_SOURCES += cli/principal.c cli/cmd-principal.c
dist_man1_MANS += doc/liaison-principal.1
TESTS += tests/cli/principal.sh
EXTRA_DIST += tests/cli/principal.sh
# audit show|verify|export (issue 6)
liaison_SOURCES += cli/cmd-audit.c
dist_man1_MANS += doc/liaison-audit.1
TESTS += tests/cli/audit.sh
EXTRA_DIST += tests/cli/audit.sh
# The audit chain's rollback with a failed batch, and store_audit_entry_mac
# (store/ tests live in store/local.mk, owned elsewhere).
check_PROGRAMS += tests/unit/test_audit
TESTS += tests/unit/test_audit
tests_unit_test_audit_CFLAGS = $(LSN_TEST_CFLAGS)
tests_unit_test_audit_LDADD = $(LSN_TEST_LIBS)
