/*
 * bench/bench.h - what the files of liaison-bench share: timing,
 * percentiles and the results table.
 */
#ifndef LSN_BENCH_H
#define LSN_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "bench/corpus.h"

/* Seconds on the monotonic clock. */
double bench_now(void);

/* Latency percentiles of samples[0..n) in seconds (sorts them). */
typedef struct bench_pct {
	double p50, p95, p99;
	size_t n;
} bench_pct;
void bench_pct_of(bench_pct *out, double *samples, size_t n);

/* A corpus written to one stream file and mapped, with each report's
 * offset and length. */
typedef struct bench_corpus {
	uint64_t seed;
	size_t n;
	const char *path;
	const char *map;
	size_t bytes;
	size_t *off, *len;
} bench_corpus;

/* Add a row to the results table: measure, liaison value, SQLite value
 * (NULL: none), ratio (NULL: none), target, verdict.  Strings are copied. */
void bench_row(const char *measure, const char *liaison, const char *sqlite,
    const char *ratio, const char *target, const char *verdict);
/* printf into a static buffer (64 rotating slots) for bench_row(). */
const char *bench_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Stage limits (stages.c): seconds per report for each stage alone. */
typedef struct stages_result {
	size_t n;             /* reports measured */
	double parse, zstd, zstd_dict, aes, lmdb;
	double pipeline;      /* all of them together, all cores (wall) */
	double ratio, ratio_dict; /* raw / compressed */
	void *cdict;          /* the pipeline's dictionary, for stages_pipeline */
} stages_result;
int stages_run(const bench_corpus *bc, const char *tmpdir, stages_result *out);
/* One more run of the raw pipeline (seconds per report, -1 on failure),
 * so that an ingest can be set against one measured beside it. */
double stages_pipeline(const bench_corpus *bc, const char *tmpdir, const stages_result *sr);
/* Free what stages_run kept (after it failed too; sr zeroed first). */
void stages_free(stages_result *sr);

/* SQLite + FTS5 (lite.c). */
typedef struct lite_result {
	double ingest_s;      /* seconds spent in SQLite for the whole corpus */
	uint64_t db_bytes;
	bench_pct get_cleared, get_partner;
	bench_pct q[4][2];    /* query type (one, and3, phrase, date) x (partner, cleared) */
} lite_result;
/* Ingest the corpus into SQLite+FTS5; with queries, then time the queries
 * and gets too. */
int lite_run(corpus *c, const bench_corpus *bc, const char *tmpdir, int queries,
    lite_result *out);

/* The benchmark queries, shared by the SQLite and liaison measurements. */
#define BENCH_NQ 100
#define BENCH_NHIDDEN 20 /* NOFORN-only and absent words timed (bench.c) */
enum { BQ_ONE, BQ_AND3, BQ_PHRASE, BQ_DATE, BQ_NTYPES };
typedef struct bench_queries {
	char one[BENCH_NQ][32];
	char and3[BENCH_NQ][3][32];
	char phrase[BENCH_NQ][2][32];
	uint32_t date[BENCH_NQ][2]; /* YYYYMMDD inclusive range */
} bench_queries;
void bench_queries_make(bench_queries *q, corpus *c, size_t n);
extern const char *const bench_qnames[BQ_NTYPES];

/* Total size of the files under dir, in allocated bytes. */
uint64_t bench_du(const char *dir);
/* rm -rf dir (only what the bench created). */
void bench_rmrf(const char *dir);

#endif
