# bench/: `make bench` measures ingest, storage, stage limits, label
# decisions and queries against SQLite+FTS5 (bench/README.md).  The programs
# are EXTRA_PROGRAMS: built on demand by `make bench`, never by `make all`
# or `make check`.  SQLite is linked directly (-lsqlite3, libsqlite3-dev):
# it is needed by the benchmark only, so configure does not check for it.

EXTRA_PROGRAMS += bench/liaison-bench bench/liaison-gen

bench_liaison_gen_SOURCES = bench/gen.c bench/corpus.c bench/corpus.h
bench_liaison_gen_LDADD = -lm

bench_liaison_bench_SOURCES = bench/bench.c bench/bench.h bench/stages.c \
	bench/lite.c bench/corpus.c bench/corpus.h
bench_liaison_bench_LDADD = $(LSN_LIBS) -lsqlite3 -lm

EXTRA_DIST += bench/README.md bench/results
CLEANFILES += bench/liaison-bench$(EXEEXT) bench/liaison-gen$(EXEEXT)

# BENCH_SCALE=large adds the 1,000,000-report run; BENCH_FLAGS passes more
# options to liaison-bench (--seed N, --tmp DIR).
bench:
	@echo '#include <sqlite3.h>' | $(CPP) $(CPPFLAGS) - >/dev/null 2>&1 || { \
	  echo "make bench: sqlite3.h not found: install SQLite's headers" \
	       "(apt-get install libsqlite3-dev, or tools/deps)" >&2; exit 1; }
	@$(MAKE) $(AM_MAKEFLAGS) liaison$(EXEEXT) bench/liaison-bench$(EXEEXT) \
	  bench/liaison-gen$(EXEEXT)
	@$(MKDIR_P) $(srcdir)/bench/results
	@case "$$BENCH_SCALE" in \
	  large) scales="--scale 10000 --scale 100000 --scale 1000000";; \
	  ""|default) scales="--scale 10000 --scale 100000";; \
	  *) echo "make bench: BENCH_SCALE is 'large' or unset" >&2; exit 1;; \
	esac; \
	LIAISON_DATA_DIR='$(abs_top_srcdir)/data'; export LIAISON_DATA_DIR; \
	LIAISON_SCHEMA_DIR='$(abs_top_srcdir)/schemas'; export LIAISON_SCHEMA_DIR; \
	./bench/liaison-bench$(EXEEXT) --liaison ./liaison$(EXEEXT) \
	  --results $(srcdir)/bench/results $$scales $(BENCH_FLAGS)
.PHONY: bench
