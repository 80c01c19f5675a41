# tests/: unit tests (cmocka, tests/unit/), CLI scenarios (tests/cli/),
# fuzz-corpus replays (tests/fuzz/).  Folder-specific tests are declared in
# the folder's own local.mk; this file holds what they share.

EXTRA_DIST += tests/cli/lib.sh

# Fuzz targets: each tests/fuzz/fuzz-NAME.c defines LLVMFuzzerTestOneInput
# and has a seed corpus in tests/fuzz/corpus/NAME/.  `make check` replays the
# corpus through tests/fuzz/replay.c; `make fuzz` runs libFuzzer (clang).
FUZZ_SECONDS = 60

EXTRA_DIST += tests/fuzz/corpus
# A target NAME adds to its folder's local.mk:
#   FUZZ_TARGETS += NAME
#   check_PROGRAMS += tests/fuzz/replay-NAME
#   TESTS += tests/fuzz/replay-NAME
#   tests_fuzz_replay_NAME_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-NAME.c
#   tests_fuzz_replay_NAME_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"NAME"'
#   tests_fuzz_replay_NAME_LDADD = $(LSN_LIBS)

fuzz:
	@test -n "$(CLANG)" || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzzing $$t for $(FUZZ_SECONDS)s"; \
	  $(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$(top_srcdir) -I$(top_builddir) \
	    -DLSN_DATADIR='"$(abs_top_srcdir)/data"' \
	    $(LMDB_CFLAGS) $(GCRYPT_CFLAGS) $(XML_CFLAGS) $(ZSTD_CFLAGS) \
	    -o fuzz-$$t $(top_srcdir)/tests/fuzz/fuzz-$$t.c \
	    $(addprefix $(top_srcdir)/,$(filter %.c,$(libliaison_a_SOURCES))) \
	    $(LMDB_LIBS) $(GCRYPT_LIBS) $(XML_LIBS) $(ZSTD_LIBS) -pthread; \
	  mkdir -p fuzz-work/$$t; \
	  LIAISON_DATA_DIR=$(abs_top_srcdir)/data LIAISON_SCHEMA_DIR=$(abs_top_srcdir)/schemas \
	    ./fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=fuzz-work/$$t- fuzz-work/$$t $(top_srcdir)/tests/fuzz/corpus/$$t; \
	done
.PHONY: fuzz
CLEANFILES += $(addprefix fuzz-,$(FUZZ_TARGETS))

# Fuzz targets of ingest/, query/ and store/ (acl/'s are in acl/local.mk).
FUZZ_TARGETS += ingest query record stream
check_PROGRAMS += tests/fuzz/replay-ingest tests/fuzz/replay-query tests/fuzz/replay-record \
	tests/fuzz/replay-stream
TESTS += tests/fuzz/replay-ingest tests/fuzz/replay-query tests/fuzz/replay-record \
	tests/fuzz/replay-stream
tests_fuzz_replay_ingest_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-ingest.c
tests_fuzz_replay_ingest_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"ingest"'
tests_fuzz_replay_ingest_LDADD = $(LSN_LIBS)
tests_fuzz_replay_query_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-query.c
tests_fuzz_replay_query_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"query"'
tests_fuzz_replay_query_LDADD = $(LSN_LIBS)
tests_fuzz_replay_record_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-record.c
tests_fuzz_replay_record_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"record"'
tests_fuzz_replay_record_LDADD = $(LSN_LIBS)
tests_fuzz_replay_stream_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-stream.c
tests_fuzz_replay_stream_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"stream"'
tests_fuzz_replay_stream_LDADD = $(LSN_LIBS)

# The CLI scenarios once under valgrind memcheck (slow: not in make check;
# tools/test runs it).  The passphrase and crash scenarios are left out:
# Argon2id's 64 MiB and SIGKILL timing make no sense under valgrind.
VALGRIND_SCENARIOS = tests/cli/principal.sh tests/cli/query.sh tests/cli/marking.sh
EXTRA_DIST += tests/valgrind-liaison
check-valgrind: liaison
	@command -v valgrind >/dev/null || { echo "check-valgrind needs valgrind (apt-get install valgrind)"; exit 1; }
	@fail=0; for t in $(VALGRIND_SCENARIOS); do \
	  echo "== $$t under valgrind"; \
	  LIAISON='$(abs_top_srcdir)/tests/valgrind-liaison' LSN_SRCDIR='$(abs_top_srcdir)' \
	  LSN_BUILDDIR='$(abs_top_builddir)' LIAISON_DATA_DIR='$(abs_top_srcdir)/data' \
	  LIAISON_SCHEMA_DIR='$(abs_top_srcdir)/schemas' \
	    $(SHELL) $(top_srcdir)/$$t > $$(basename $$t).valgrind.log 2>&1; \
	  grep -E '^(ok|not ok)' $$(basename $$t).valgrind.log | sed 's/^/   /' | grep -E 'not ok' ; \
	  p=$$(grep -c '^ok' $$(basename $$t).valgrind.log); f=$$(grep -c '^not ok' $$(basename $$t).valgrind.log); \
	  echo "# PASS: $$p"; echo "# FAIL: $$f"; [ $$f -eq 0 ] || fail=1; \
	done; exit $$fail
.PHONY: check-valgrind
CLEANFILES += *.valgrind.log

# A query's withheld count in the audit log: its own entry, or a second one
# after the answer (cli/cmd-query.c).
TESTS += tests/cli/withheld.sh
EXTRA_DIST += tests/cli/withheld.sh
