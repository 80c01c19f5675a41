/*
 * bench/bench.c - liaison-bench: ingest, storage, stage limits, label
 * decisions and query latency, liaison against SQLite+FTS5 in one run
 * (bench/README.md explains every row).
 *
 *   liaison-bench [--scale N]... [--seed N] [--liaison PATH]
 *                 [--results DIR] [--tmp DIR]
 *
 * Environment: LIAISON_DATA_DIR and LIAISON_SCHEMA_DIR as for liaison.
 * No timed assertion anywhere: it measures and reports.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gcrypt.h>
#include <getopt.h>
#include <libxml/xmlversion.h>
#include <limits.h>
#include <math.h>
#include <lmdb.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "acl/acl.h"
#include "bench/bench.h"
#include "ingest/ingest.h"
#include "store/store.h"

/* query/ arrived after the bench: measure it when its header is there. */
#if defined(__has_include)
#if __has_include("query/query.h")
#define BENCH_QUERY_HEADER 1
#include "query/query.h"
#endif
#endif

const char *const bench_qnames[BQ_NTYPES] = { "one term", "three-term AND", "phrase",
	"date range (30 days)" };

/* ---- small helpers ---- */

double
bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void
bench_pct_of(bench_pct *out, double *s, size_t n)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n == 0)
		return;
	qsort(s, n, sizeof(*s), cmp_double);
	out->p50 = s[(n - 1) * 50 / 100];
	out->p95 = s[(n - 1) * 95 / 100];
	out->p99 = s[(n - 1) * 99 / 100];
}

const char *
bench_fmt(const char *fmt, ...)
{
	static char slot[64][256];
	static unsigned next;
	char *b = slot[next++ % 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(slot[0]), fmt, ap);
	va_end(ap);
	return b;
}

static uint64_t du_total;

static int
du_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)p;
	(void)f;
	if (flag == FTW_F)
		du_total += (uint64_t)sb->st_blocks * 512;
	return 0;
}

uint64_t
bench_du(const char *dir)
{
	du_total = 0;
	nftw(dir, du_one, 16, FTW_PHYS);
	return du_total;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

void
bench_rmrf(const char *dir)
{
	if (dir && *dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the table ---- */

static FILE *table;
static char *table_buf;
static size_t table_len;

void
bench_row(const char *measure, const char *liaison, const char *sqlite, const char *ratio,
    const char *target, const char *verdict)
{
	fprintf(table, "| %s | %s | %s | %s | %s | %s |\n", measure, liaison,
	    sqlite ? sqlite : "", ratio ? ratio : "", target ? target : "", verdict ? verdict : "");
	printf("| %s | %s | %s | %s | %s | %s |\n", measure, liaison, sqlite ? sqlite : "",
	    ratio ? ratio : "", target ? target : "", verdict ? verdict : "");
	fflush(stdout);
}

static void
section(const char *title)
{
	static const char head[] = "| Measure | liaison | SQLite+FTS5 | liaison/SQLite | target | met? |\n"
	                           "|---|---|---|---|---|---|\n";
	fprintf(table, "\n### %s\n\n%s", title, head);
	printf("\n### %s\n\n%s", title, head);
}

static const char *
us(double s)
{
	return s >= 1e-3 ? bench_fmt("%.2f ms", s * 1e3) : bench_fmt("%.1f µs", s * 1e6);
}

static const char *
pct3(const bench_pct *p)
{
	if (p->n == 0)
		return "n/a";
	return bench_fmt("%s / %s / %s", us(p->p50), us(p->p95), us(p->p99));
}

static const char *
yes(int ok)
{
	return ok ? "met" : "**missed**";
}

/* ---- queries ---- */

void
bench_queries_make(bench_queries *q, corpus *c, size_t n)
{
	uint64_t s = 4242;

	for (size_t i = 0; i < BENCH_NQ; i++) {
		/* Log-uniform ranks: from very common to rare words. */
		size_t r = (size_t)(5 * pow(1000.0, (corpus_rand(&s) >> 11) / 9007199254740992.0));
		snprintf(q->one[i], sizeof(q->one[i]), "%s", corpus_word(c, r));
		for (int k = 0; k < 3; k++)
			snprintf(q->and3[i][k], sizeof(q->and3[i][k]), "%s",
			    corpus_word(c, 5 + corpus_rand(&s) % 300));
		{
			uint32_t y = 2020 + (uint32_t)(corpus_rand(&s) % 6), m = 1 + (uint32_t)(corpus_rand(&s) % 11);
			q->date[i][0] = y * 10000 + m * 100 + 1;
			q->date[i][1] = y * 10000 + (m + 1) * 100 + 1;
		}
		/* A phrase: two adjacent words of a generated paragraph. */
		{
			const corpus_doc *d = corpus_doc_make(c, corpus_rand(&s) % n);
			const corpus_portion *p = &d->portions[1 + corpus_rand(&s) % (d->nportions - 1)];
			const char *t = p->text;
			char w[2][32];
			int k = 0;
			size_t skip = corpus_rand(&s) % 4;
			while (*t && k < 2) {
				size_t l = 0;
				while (*t && (*t == ' ' || *t == ',' || *t == '.'))
					t++;
				while (t[l] && t[l] != ' ' && t[l] != ',' && t[l] != '.' && l < 31)
					l++;
				if (skip > 0 && t[l] == ' ') {
					skip--;
					t += l;
					continue;
				}
				for (size_t j = 0; j < l; j++)
					w[k][j] = (char)(t[j] >= 'A' && t[j] <= 'Z' ? t[j] + 32 : t[j]);
				w[k][l] = '\0';
				k++;
				t += l;
			}
			snprintf(q->phrase[i][0], 32, "%s", w[0]);
			snprintf(q->phrase[i][1], 32, "%s", k > 1 ? w[1] : w[0]);
		}
	}
}

/* ---- the corpus file ---- */

static int
corpus_file(corpus *c, uint64_t seed, size_t n, const char *tmpdir, bench_corpus *bc, double *secs)
{
	static char path[4096];
	FILE *f;
	int fd;
	size_t off = 0;
	double t = bench_now();

	memset(bc, 0, sizeof(*bc));
	snprintf(path, sizeof(path), "%s/corpus-%zu.xml", tmpdir, n);
	bc->seed = seed;
	bc->n = n;
	bc->path = path;
	if ((bc->off = malloc(n * sizeof(size_t))) == NULL ||
	    (bc->len = malloc(n * sizeof(size_t))) == NULL || (f = fopen(path, "w")) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const corpus_doc *d = corpus_doc_make(c, i);
		bc->off[i] = off;
		bc->len[i] = d->xml_len;
		off += d->xml_len;
		if (fwrite(d->xml, 1, d->xml_len, f) != d->xml_len) {
			fclose(f);
			return -1;
		}
	}
	if (fclose(f) != 0 || (fd = open(path, O_RDONLY)) < 0)
		return -1;
	bc->bytes = off;
	bc->map = mmap(NULL, off, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	*secs = bench_now() - t;
	return bc->map == MAP_FAILED ? -1 : 0;
}

static void
corpus_file_free(bench_corpus *bc)
{
	if (bc->map && bc->map != MAP_FAILED)
		munmap((void *)bc->map, bc->bytes);
	if (bc->path)
		unlink(bc->path);
	free(bc->off);
	free(bc->len);
}

/* ---- liaison in process ---- */

struct counts {
	uint64_t rejected;
};

static void
on_result(void *ctx, const ingest_result *r)
{
	struct counts *k = ctx;
	if (r->status == INGEST_REJECTED && k->rejected++ < 3)
		fprintf(stderr, "liaison-bench: rejected %s: %s\n", r->source, r->reason);
}

struct inproc {
	double secs;
	double cpu_secs;      /* user and system time of the ingest, all threads */
	long minflt;          /* and its minor page faults */
	uint64_t stored, rejected, bytes;
	bench_pct get;
	int have_q;           /* query/ measured */
	bench_pct q[BQ_NTYPES][2], qget[2]; /* [partner, cleared] */
	bench_pct qwarm[BQ_NTYPES][2]; /* the same, each query run once untimed first */
	double batches[BQ_NTYPES][2]; /* index batches looked into, summed */
	double postings[BQ_NTYPES][2]; /* postings read, summed */
	double qsecs[BQ_NTYPES][2];   /* and the time the queries took, summed */
	size_t nq[BQ_NTYPES];         /* queries run of each type */
	double qps_plain, qps_audited; /* one-term queries/s, partner */
	/* The partner's time for a word found only in NOFORN portions and for
	 * a word found nowhere, warm (both answer 0 hits); the postings the
	 * first read; how many of those words the cleared principal finds. */
	bench_pct hidden, absent;
	double hidden_postings;
	size_t hidden_found;
};

static int
principals(const acl_data *data, acl_principal *p[2])
{
	struct acl_principal_spec ps = { .name = "partner", .country = "GBR",
		.clearance = ACL_LEVEL_S, .roles = ACL_ROLE_PARTNER };
	struct acl_principal_spec cs = { .name = "cleared", .country = "USA",
		.clearance = ACL_LEVEL_TS, .usgov = 1, .roles = ACL_ROLE_ANALYST };
	lsn_err err;

	if (acl_principal_new(&p[0], data, &ps, &err) != 0 ||
	    acl_principal_new(&p[1], data, &cs, &err) != 0) {
		fprintf(stderr, "liaison-bench: principal: %s\n", err.msg);
		return -1;
	}
	return 0;
}

#ifdef BENCH_QUERY_HEADER
static int
count_hit(void *ctx, const query_hit *h)
{
	(void)h;
	++*(size_t *)ctx;
	return 0;
}

/* The same queries as SQLite's, through query_run() and query_get(). */
/* Query i of type t as liaison's query language has it. */
static void
query_text(const bench_queries *q, int t, size_t i, char *text, size_t size)
{
	switch (t) {
	case BQ_ONE:
		snprintf(text, size, "%s", q->one[i]);
		break;
	case BQ_AND3:
		snprintf(text, size, "%s %s %s", q->and3[i][0], q->and3[i][1], q->and3[i][2]);
		break;
	case BQ_PHRASE:
		snprintf(text, size, "\"%s %s\"", q->phrase[i][0], q->phrase[i][1]);
		break;
	default:
		snprintf(text, size, "date:%04u-%02u-%02u..%04u-%02u-%02u", q->date[i][0] / 10000,
		    q->date[i][0] / 100 % 100, q->date[i][0] % 100, q->date[i][1] / 10000,
		    q->date[i][1] / 100 % 100, q->date[i][1] % 100);
	}
}

/* Parse and run one query as principal p: its result in *res and the
 * seconds both took in *secs.  0, or -1 (said on stderr). */
static int
one_query(store *st, const acl_data *data, const acl_principal *p, const char *text,
    const query_opts *qo, query_result *res, double *secs)
{
	query *pq = NULL;
	size_t hits = 0, errpos;
	lsn_err err;
	double t0 = bench_now();
	int rc = 0;

	if (query_parse(&pq, text, &errpos, &err) != 0 ||
	    query_run(st, data, p, pq, qo, count_hit, &hits, res, &err) != 0) {
		fprintf(stderr, "liaison-bench: query %s: %s\n", text, err.msg);
		rc = -1;
	}
	*secs = bench_now() - t0;
	query_free(pq);
	return rc;
}

static int
query_bench(store *st, const acl_data *data, corpus *c, const bench_corpus *bc,
    struct inproc *out)
{
	static double lat[2000];
	acl_principal *p[2] = { NULL, NULL };
	bench_queries *q = malloc(sizeof(*q));
	query_opts qo = { .limit = 20 };
	lsn_err err;
	int rc = -1;

	if (q == NULL || principals(data, p) != 0)
		goto out;
	bench_queries_make(q, c, bc->n);
	/* Each query runs for both principals, one after the other, the one
	 * first alternating: both see the same cache and page-mapping state
	 * (run partner-first, the partner paid for mapping the postings of
	 * every query, which the overhead row then counted as filtering). */
	for (int t = 0; t < BQ_NTYPES; t++) {
		static double lat2[2][BENCH_NQ];
		double start = bench_now();
		size_t n = 0;
		for (size_t i = 0; i < BENCH_NQ && bench_now() - start < 20.0; i++) {
			char text[256];
			query_text(q, t, i, text, sizeof(text));
			for (int k = 0; k < 2; k++) {
				int who = (int)((i + (size_t)k) % 2);
				query_result res;
				if (one_query(st, data, p[who], text, &qo, &res, &lat2[who][n]) != 0)
					goto out;
				out->batches[t][who] += (double)res.batches;
				out->postings[t][who] += (double)res.postings;
				out->qsecs[t][who] += lat2[who][n];
			}
			n++;
		}
		out->nq[t] = n;
		for (int who = 0; who < 2; who++) {
			memcpy(lat, lat2[who], n * sizeof(*lat));
			bench_pct_of(&out->q[t][who], lat, n);
		}
		/* Warm: each query run once untimed, then timed, for each
		 * principal in turn.  Whichever principal runs a query first
		 * above pays for mapping the index pages both read (about 70%
		 * of a cold one-word query at 1M is page faults), so that
		 * row's overhead moves with the order; here neither pays, and
		 * what is left is the cost of reading further back. */
		for (size_t i = 0; i < n; i++) {
			char text[256];
			query_text(q, t, i, text, sizeof(text));
			for (int who = 0; who < 2; who++)
				for (int timed = 0; timed < 2; timed++) { /* the second counts */
					query_result res;
					if (one_query(st, data, p[who], text, &qo, &res, &lat2[who][i]) != 0)
						goto out;
				}
		}
		for (int who = 0; who < 2; who++) {
			memcpy(lat, lat2[who], n * sizeof(*lat));
			bench_pct_of(&out->qwarm[t][who], lat, n);
		}
	}
	for (int who = 0; who < 2; who++) {
		/* Ids of their own, not the whole-record get's (seed 99): re-read,
		 * those were in pages already mapped, and every get here read
		 * only pages that earlier gets had faulted in. */
		uint64_t s = 1000 + (uint64_t)who;
		for (size_t i = 0; i < 2000; i++) {
			char id[64];
			ingest_doc *v = NULL;
			acl_marking *b = NULL;
			size_t withheld;
			double t0;
			int r;
			corpus_id(bc->seed, corpus_rand(&s) % bc->n, id, sizeof(id));
			t0 = bench_now();
			r = query_get(st, data, p[who], id, &v, &b, &withheld, &err);
			lat[i] = bench_now() - t0;
			ingest_doc_free(v);
			acl_marking_free(b);
			if (r != 0 && r != LSN_ENOTFOUND) {
				fprintf(stderr, "liaison-bench: query_get %s: %s\n", id, err.msg);
				goto out;
			}
		}
		bench_pct_of(&out->qget[who], lat, 2000);
	}
	/* Queries per second with and without an audit entry committed per
	 * query (as the CLI does), one-term queries as the partner.  The same
	 * queries both ways, each run once untimed first (until 2026-12-04 the
	 * audited pass ran them warm and the plain one cold), and after a
	 * sync(): an audit entry's fdatasync otherwise waits for the
	 * write-back of whatever the bench wrote before (the stores, SQLite's
	 * database), which measured the file system, not the audit: 3 ms an
	 * entry at 100k against 0.5 ms at 10k. */
	size_t nq = 0;
	sync();
	for (double start = bench_now(); bench_now() - start < 5.0 && nq < BENCH_NQ; nq++) {
		query_result res;
		double secs;
		if (one_query(st, data, p[0], q->one[nq], &qo, &res, &secs) != 0)
			goto out;
	}
	for (int audited = 0; audited < 2; audited++) {
		size_t n = 0;
		double start = bench_now();
		for (; n < nq; n++) {
			query_result res;
			double secs;
			if (one_query(st, data, p[0], q->one[n], &qo, &res, &secs) != 0)
				goto out;
			if (audited) {
				store_batch *b = NULL;
				store_audit_event ev = { .principal = "partner", .action = "READ",
					.outcome = "SUCCESS", .detail = q->one[n],
					.hits = (int64_t)res.returned, .withheld = (int64_t)res.withheld };
				if (store_batch_new(st, &b, &err) != 0 ||
				    store_batch_audit_event(b, &ev, &err) != 0 ||
				    store_batch_commit(b, &err) != 0) {
					fprintf(stderr, "liaison-bench: audit: %s\n", err.msg);
					store_batch_free(b);
					goto out;
				}
				store_batch_free(b);
			}
		}
		*(audited ? &out->qps_audited : &out->qps_plain) = n / (bench_now() - start);
	}
	/* What a partner's time tells it (DESIGN.md section 4: nothing it
	 * receives may depend on a portion it cannot read).  The most common
	 * words found only in NOFORN portions against words found nowhere:
	 * both answer the partner 0 hits; each query is run once untimed,
	 * then timed.  The cleared principal must find the first kind, or the
	 * row would compare two absent words. */
	{
		static double tl[2][BENCH_NHIDDEN];
		for (size_t i = 0; i < BENCH_NHIDDEN; i++) {
			char text[2][64];
			query_result res;
			double secs;
			snprintf(text[0], sizeof(text[0]), "%s", corpus_nf_word(c, i));
			snprintf(text[1], sizeof(text[1]), "absentword%zu", i);
			for (int g = 0; g < 2; g++) {
				for (int timed = 0; timed < 2; timed++)
					if (one_query(st, data, p[0], text[g], &qo, &res, &tl[g][i]) != 0)
						goto out;
				if (res.matched != 0) {
					fprintf(stderr, "liaison-bench: the partner found %s\n", text[g]);
					goto out;
				}
				if (g == 0)
					out->hidden_postings += (double)res.postings;
			}
			if (one_query(st, data, p[1], text[0], &qo, &res, &secs) != 0)
				goto out;
			out->hidden_found += res.matched > 0;
		}
		bench_pct_of(&out->hidden, tl[0], BENCH_NHIDDEN);
		bench_pct_of(&out->absent, tl[1], BENCH_NHIDDEN);
	}
	out->have_q = 1;
	rc = 0;
out:
	acl_principal_free(p[0]);
	acl_principal_free(p[1]);
	free(q);
	return rc;
}
#endif

/*
 * Ingest the corpus stream through ingest_run() ("-", standard input
 * pointed at the corpus file), into a new store at dir.
 */
static int
ingest_inproc(corpus *c, const bench_corpus *bc, const acl_data *data,
    ingest_parser *parser, const char *dir, unsigned dict_threshold, int queries,
    struct inproc *out)
{
	char key[4200];
	store_keysrc ks = { .key_file = key };
	store_opts so = { .dict_threshold = dict_threshold };
	ingest_opts io = { .principal = "bench", .on_result = on_result };
	ingest_summary sum;
	struct counts k = { 0 };
	const char *paths[] = { "-" };
	store *st = NULL;
	lsn_err err;
	int in = -1, saved = -1, rc = -1;
	double t;

	memset(out, 0, sizeof(*out));
	snprintf(key, sizeof(key), "%s.key", dir);
	bench_rmrf(dir);
	unlink(key);
	io.ctx = &k;
	if (store_create(&st, dir, &ks, &so, &err) != 0) {
		fprintf(stderr, "liaison-bench: %s: %s\n", dir, err.msg);
		goto out;
	}
	if ((in = open(bc->path, O_RDONLY)) < 0 || (saved = dup(0)) < 0 || dup2(in, 0) < 0)
		goto out;
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	t = bench_now();
	rc = ingest_run(st, data, parser, paths, 1, &io, &sum, &err);
	out->secs = bench_now() - t;
	getrusage(RUSAGE_SELF, &r1);
	out->cpu_secs = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
	    (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
	    (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	    (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
	out->minflt = r1.ru_minflt - r0.ru_minflt;
	dup2(saved, 0);
	if (rc != 0) {
		fprintf(stderr, "liaison-bench: ingest: %s\n", err.msg);
		goto out;
	}
	out->stored = sum.stored;
	out->rejected = sum.rejected;
	out->bytes = sum.bytes;

#ifdef BENCH_QUERY_HEADER
	if (queries && query_bench(st, data, c, bc, out) != 0)
		goto out;
#else
	(void)c;
	(void)queries;
#endif
	/* get: open a whole record (every segment) by id.  After the queries,
	 * like query_get's rows: timed first thing after the ingest (until
	 * 2026-12-04-vm-7), a 1M store's gets took 58 µs at p50 and 2.6 ms at
	 * p99 against 27-30 µs for the releasable views timed later, the same
	 * work but the views' segment choice. */
	{
		enum { N = 2000 };
		static double lat[N];
		store_snap *sn = NULL;
		uint64_t s = 99;
		if (store_snap_begin(st, &sn, &err) != 0)
			goto out;
		for (size_t i = 0; i < N; i++) {
			char id[64];
			store_record *r = NULL;
			double t0;
			corpus_id(bc->seed, corpus_rand(&s) % bc->n, id, sizeof(id));
			t0 = bench_now();
			if (store_record_get(sn, id, NULL, 0, &r, &err) != 0) {
				fprintf(stderr, "liaison-bench: get %s: %s\n", id, err.msg);
				store_snap_end(sn);
				goto out;
			}
			store_record_free(r);
			lat[i] = bench_now() - t0;
		}
		store_snap_end(sn);
		bench_pct_of(&out->get, lat, N);
	}
	rc = 0;
out:
	if (saved >= 0)
		close(saved);
	if (in >= 0)
		close(in);
	store_close(st);
	return rc;
}

/* ---- liaison through the CLI ---- */

/* The peak resident set of the memory that process pid runs in now
 * (VmHWM: its own since its exec), in KiB, or -1. */
static long
vm_hwm_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Run liaison with argv, standard input from in_path (or none), and wait.
 * *hwm_kib (when not NULL): the child's peak resident set.  Not wait4's
 * ru_maxrss: a child forked from this process counts this process's
 * resident pages as its own until it execs, and the kernel keeps that
 * high-water mark across the exec, so up to -vm-10 the row read the
 * bench's own size whenever it was the larger (at 10k: 191 MiB, against
 * the ingest's 147).  VmHWM, the high-water mark of the memory the child
 * runs in since its exec, is read every 10 ms from the exec until the
 * child exits; the last reading misses only a peak in its last 10 ms.
 */
static int
run_cmd(const char *liaison, char *const argv[], const char *in_path, long *hwm_kib,
    double *secs)
{
	pid_t pid;
	int status, ex[2];
	char byte;
	double t = bench_now();

	/* ex closes in the child when it execs: reading it to its end waits
	 * for that, so that no reading of VmHWM is the fork's copy of this
	 * process. */
	if (pipe2(ex, O_CLOEXEC) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(ex[0]);
		close(ex[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		if (in_path) {
			int fd = open(in_path, O_RDONLY);
			if (fd < 0 || dup2(fd, 0) < 0)
				_exit(127);
		}
		if (nul >= 0)
			dup2(nul, 1);
		execv(liaison, argv);
		_exit(127);
	}
	close(ex[1]);
	while (read(ex[0], &byte, 1) < 0 && errno == EINTR)
		;
	close(ex[0]);
	if (hwm_kib != NULL) {
		pid_t r;
		*hwm_kib = -1;
		while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
			long k = vm_hwm_kib(pid);
			if (k > *hwm_kib)
				*hwm_kib = k;
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		}
		if (r < 0)
			return -1;
	} else if (waitpid(pid, &status, 0) < 0) {
		return -1;
	}
	if (secs)
		*secs = bench_now() - t;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "liaison-bench: %s %s: exit status %d\n", liaison, argv[5],
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

/* One-term queries through the CLI (process start, store open, audit
 * entry included), as the partner and as the analyst. */
/* Every query type through the CLI, CLI_NQ queries each, the principals
 * alternating which goes first (as query_bench()). */
#define CLI_NQ 30
static void
cli_queries(const char *liaison, const char *dir, const bench_queries *q,
    bench_pct out[BQ_NTYPES][2])
{
	static double lat[2][CLI_NQ];

	for (int t = 0; t < BQ_NTYPES; t++) {
		size_t n = 0;
		for (size_t i = 0; i < CLI_NQ; i++) {
			char text[256];
			double tt[2];
			int ok = 1;
			query_text(q, t, i, text, sizeof(text));
			for (int k = 0; k < 2 && ok; k++) {
				int who = (int)((i + (size_t)k) % 2);
				char *argv[] = { (char *)liaison, "--store", (char *)dir, "--as",
					who ? "ana" : "gbr", "query", "--limit", "20", "--", text, NULL };
				ok = run_cmd(liaison, argv, NULL, NULL, &tt[who]) == 0;
			}
			if (!ok)
				break;
			lat[0][n] = tt[0];
			lat[1][n++] = tt[1];
		}
		for (int who = 0; who < 2; who++)
			bench_pct_of(&out[t][who], lat[who], n);
	}
}

/* Read the store's file as a backup (cp, mdb_copy) does: out of the page
 * cache, then in order, so that readahead fills the cache with the largest
 * folios it makes (a fault on the map then maps a whole folio: FORMAT.md
 * section 8). */
static void
read_in_order(const char *dir)
{
	char path[4200], *buf = malloc(1 << 20);
	int fd = -1;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (buf != NULL && (fd = open(path, O_RDONLY)) >= 0) {
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		while (read(fd, buf, 1 << 20) > 0)
			;
		close(fd);
	}
	free(buf);
}

/* Reports from .. from + count - 1 of the corpus, as one stream in path. */
static int
corpus_more(corpus *c, size_t from, size_t count, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	for (size_t i = from; i < from + count; i++) {
		const corpus_doc *d = corpus_doc_make(c, i);
		if (fwrite(d->xml, 1, d->xml_len, f) != d->xml_len) {
			fclose(f);
			return -1;
		}
	}
	return fclose(f);
}

/* Reports to ingest after the store's file was read in order: more->n of
 * them from the corpus c, after the ones already in; peak_kib, that
 * ingest's peak RSS, or -1 when it failed. */
struct cli_more {
	corpus *c;
	size_t n;
	long peak_kib;
};

/* The CLI ingest of bc into a new store (its time and peak RSS), the CLI
 * queries, then, when more is not NULL, the ingest of more reports just
 * after the store's file was read in order. */
static int
ingest_cli(const bench_corpus *bc, const char *liaison, const char *dir, double *secs,
    long *peak_kib, const bench_queries *q, bench_pct cliq[BQ_NTYPES][2],
    struct cli_more *more)
{
	char key[4200];
	char *init[] = { (char *)liaison, "--store", (char *)dir, "--as", "officer1", "init",
		"--country", "USA", "--clearance", "TS", "--usgov", NULL };
	char *add[] = { (char *)liaison, "--store", (char *)dir, "--as", "officer1", "principal",
		"add", "ana", "--country", "USA", "--clearance", "TS", "--usgov", "--role",
		"analyst", NULL };
	char *ing[] = { (char *)liaison, "--store", (char *)dir, "--as", "ana", "ingest",
		"--quiet", "-", NULL };
	int rc;

	snprintf(key, sizeof(key), "%s.key", dir);
	bench_rmrf(dir);
	unlink(key);
	if (run_cmd(liaison, init, NULL, NULL, NULL) != 0 ||
	    run_cmd(liaison, add, NULL, NULL, NULL) != 0)
		return -1;
	rc = run_cmd(liaison, ing, bc->path, peak_kib, secs);
	if (rc == 0 && q != NULL) {
		char *gbr[] = { (char *)liaison, "--store", (char *)dir, "--as", "officer1",
			"principal", "add", "gbr", "--country", "GBR", "--clearance", "S", NULL };
		if (run_cmd(liaison, gbr, NULL, NULL, NULL) == 0)
			cli_queries(liaison, dir, q, cliq);
	}
	if (rc == 0 && more != NULL) {
		char path[4200];
		snprintf(path, sizeof(path), "%s-more.xml", dir);
		more->peak_kib = -1;
		fprintf(stderr, "liaison-bench: %zu reports: %zu more through the CLI, after a "
		    "read of the store in order\n", bc->n, more->n);
		if (corpus_more(more->c, bc->n, more->n, path) == 0) {
			read_in_order(dir);
			if (run_cmd(liaison, ing, path, &more->peak_kib, NULL) != 0)
				more->peak_kib = -1;
		}
		unlink(path);
	}
	bench_rmrf(dir);
	unlink(key);
	return rc;
}

/* ---- label decisions ---- */

static int
label_cost(const acl_data *data, double *partner_ns, double *cleared_ns)
{
	static const char *const attrs[] = {
		"classification=S ownerProducer=USA disseminationControls=REL releasableTo=\"USA FVEY\"",
		"classification=TS ownerProducer=USA disseminationControls=NF",
		"classification=C ownerProducer=USA disseminationControls=REL releasableTo=\"USA NATO\"",
		"classification=U ownerProducer=USA",
	};
	uint8_t labels[4][ACL_LABEL_SIZE];
	acl_principal *p[2] = { NULL, NULL };
	volatile int sink = 0;
	lsn_err err;
	int rc = -1;

	for (int i = 0; i < 4; i++) {
		acl_marking *m = NULL;
		if (acl_marking_from_attrs(&m, data, attrs[i], &err) != 0 ||
		    acl_label_build(labels[i], m, &err) != 0) {
			fprintf(stderr, "liaison-bench: label: %s\n", err.msg);
			acl_marking_free(m);
			goto out;
		}
		acl_marking_free(m);
	}
	if (principals(data, p) != 0)
		goto out;
	for (int w = 0; w < 2; w++) {
		enum { N = 4000000 };
		double t = bench_now();
		for (unsigned i = 0; i < N; i++)
			sink += acl_label_decide(p[w], labels[i & 3], ACL_LABEL_SIZE, NULL);
		*(w ? cleared_ns : partner_ns) = (bench_now() - t) / N * 1e9;
	}
	(void)sink;
	rc = 0;
out:
	acl_principal_free(p[0]);
	acl_principal_free(p[1]);
	return rc;
}

/* ---- one scale ---- */

#define NA "n/a (query/ not built yet)"

static const char *
mib(uint64_t b)
{
	return bench_fmt("%.1f MiB", b / 1048576.0);
}

/* Rounds of the ingests for corpora of up to BENCH_ROUNDS_UPTO reports:
 * 10k and 100k (a single 100k run moved by a quarter from one bench to the
 * next, 6,988 to 9,159 reports/s in process, 2026-12-06-vm and -vm-2),
 * not 1M, whose ingest alone takes minutes. */
#define BENCH_ROUNDS 3
#define BENCH_ROUNDS_UPTO 100000

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
run_scale(corpus *c, uint64_t seed, size_t n, const char *tmpdir, const char *liaison,
    const acl_data *data, ingest_parser *parser)
{
	bench_corpus bc;
	stages_result sr = { 0 };
	lite_result lr;
	struct inproc dict, nodict;
	char dir[4096];
	double gen_s, cli_s = 0, raw1, raw2, raw_meas, rate, lite_rate, cli_rate = 0;
	long rss = 0;
	uint64_t size_dict, size_nodict;
	int cli_ok;

	fprintf(stderr, "liaison-bench: %zu reports: generating the corpus\n", n);
	if (corpus_file(c, seed, n, tmpdir, &bc, &gen_s) != 0) {
		fprintf(stderr, "liaison-bench: cannot write the corpus in %s\n", tmpdir);
		return -1;
	}
	fprintf(stderr, "liaison-bench: %zu reports: stage limits\n", n);
	sync(); /* the corpus just written: its writeback is not the stages' */
	if (stages_run(&bc, tmpdir, &sr) != 0)
		goto fail;
	/*
	 * A run of a few seconds is at the mercy of whatever else the machine
	 * does then, and the first one also pays for warming it up (at 10k the
	 * in-process ingest, measured first, lost to the same ingest without a
	 * dictionary in 12 runs of 13, and never did when the two alternated).
	 * So corpora up to 100k go through BENCH_ROUNDS rounds of liaison with and
	 * without a dictionary and SQLite, in turn, and the rows give each
	 * one's median; the queries run on the last round's stores.
	 */
	int rounds = n <= BENCH_ROUNDS_UPTO ? BENCH_ROUNDS : 1;
	double t_dict[BENCH_ROUNDS], t_nodict[BENCH_ROUNDS], t_lite[BENCH_ROUNDS];
	/* Each round's in-process ingest: the cores it kept busy (its CPU
	 * time over its wall time), and its minor faults a report. */
	double busy[BENCH_ROUNDS], faults[BENCH_ROUNDS];
	double r_raw[BENCH_ROUNDS]; /* each round's ingest over its raw pipeline */
	/* Through the CLI as in process: the median of the rounds' times (and
	 * the largest of their peaks); the queries and the ingest of more run
	 * on the last round's store.  One run moved by a tenth from one bench
	 * to the next (7,644 to 9,061 reports/s at 10k, vm-11 to vm-14).  Its
	 * rounds are taken in turn with the others: run after them, they met
	 * the VM in another mood (2026-12-06-vm-3 and -vm-4, 100k: in process
	 * 7,312 and 8,660, through the CLI 8,605 and 7,322, each group's three
	 * rounds within a tenth). */
	double t_cli[BENCH_ROUNDS];
	bench_queries *bq = malloc(sizeof(*bq));
	bench_pct cliq[BQ_NTYPES][2];
	memset(cliq, 0, sizeof(cliq));
	if (bq != NULL)
		bench_queries_make(bq, c, bc.n);
	/* 3% more, 1,000 to 30,000 reports. */
	struct cli_more more = { c, n * 3 / 100 < 1000 ? 1000 : n * 3 / 100 > 30000 ? 30000 :
		n * 3 / 100, -1 };
	/* Each timed run starts with the page cache clean (sync(), not
	 * timed): the one before it wrote up to a store's size, and its
	 * writeback would otherwise take the cores from the next, most of all
	 * from the short raw pipeline right after an ingest. */
	cli_ok = 1;
	for (int round = 0; round < rounds; round++) {
		int last = round == rounds - 1;
		sync();
		fprintf(stderr, "liaison-bench: %zu reports: ingest in process (dictionary), "
		    "round %d of %d\n", n, round + 1, rounds);
		snprintf(dir, sizeof(dir), "%s/store-dict", tmpdir);
		if (ingest_inproc(c, &bc, data, parser, dir, 0, last, &dict) != 0)
			goto fail_bq;
		t_dict[round] = dict.secs;
		busy[round] = dict.cpu_secs / dict.secs;
		faults[round] = (double)dict.minflt / n;
		size_dict = bench_du(dir);
		bench_rmrf(dir);
		/* The raw pipeline again, beside this round's ingest: the ratio
		 * of the two is the round's, whatever mood the VM is in. */
		fprintf(stderr, "liaison-bench: %zu reports: the raw pipeline\n", n);
		sync();
		double pipe = stages_pipeline(&bc, tmpdir, &sr);
		if (pipe <= 0)
			goto fail_bq;
		r_raw[round] = pipe * n / t_dict[round];
		sync();
		fprintf(stderr, "liaison-bench: %zu reports: ingest in process (no dictionary)\n", n);
		snprintf(dir, sizeof(dir), "%s/store-nodict", tmpdir);
		if (ingest_inproc(c, &bc, data, parser, dir, UINT_MAX, 0, &nodict) != 0)
			goto fail_bq;
		t_nodict[round] = nodict.secs;
		size_nodict = bench_du(dir);
		bench_rmrf(dir);
		sync();
		fprintf(stderr, "liaison-bench: %zu reports: SQLite+FTS5%s\n", n,
		    last ? " (and its queries)" : "");
		if (lite_run(c, &bc, tmpdir, last, &lr) != 0)
			goto fail_bq;
		t_lite[round] = lr.ingest_s;
		if (cli_ok) {
			long round_rss = -1;
			sync();
			fprintf(stderr, "liaison-bench: %zu reports: ingest through the CLI%s\n", n,
			    last ? " (and its queries)" : "");
			snprintf(dir, sizeof(dir), "%s/store-cli", tmpdir);
			cli_ok = ingest_cli(&bc, liaison, dir, &t_cli[round], &round_rss,
			    last ? bq : NULL, cliq, last ? &more : NULL) == 0;
			if (round_rss > rss)
				rss = round_rss;
		}
	}
	double ratio_raw = median(r_raw, rounds);
	dict.secs = median(t_dict, rounds);
	nodict.secs = median(t_nodict, rounds);
	lr.ingest_s = median(t_lite, rounds);
	if (cli_ok)
		cli_s = median(t_cli, rounds);
	free(bq);
	if (cli_ok)
		cli_rate = n / cli_s;

	rate = n / dict.secs;
	lite_rate = n / lr.ingest_s;
	raw1 = 1.0 / (sr.parse + sr.zstd_dict + sr.aes + sr.lmdb);
	{
		/* The stages' sum spread perfectly over the cores, capped by the
		 * one writer: what the cores would give if threads scaled. */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		raw2 = (cores > 0 ? cores : 1) / (sr.parse + sr.zstd_dict + sr.aes + sr.lmdb);
		if (raw2 > 1.0 / sr.lmdb)
			raw2 = 1.0 / sr.lmdb;
	}
	raw_meas = 1.0 / sr.pipeline;

	section(bench_fmt("%zu reports (%.1f MB of XML, %.2f KB per report, seed %llu)", n,
	    bc.bytes / 1e6, bc.bytes / 1e3 / n, (unsigned long long)seed));
	bench_row("ingest in process (ingest_run, all cores)",
	    bench_fmt("%.0f reports/s, %.1f MB/s", rate, bc.bytes / 1e6 / dict.secs),
	    bench_fmt("%.0f reports/s, %.1f MB/s", lite_rate, bc.bytes / 1e6 / lr.ingest_s),
	    bench_fmt("%.2f×", rate / lite_rate), "≥ 10,000 reports/s; ≥ 1.5× SQLite",
	    bench_fmt("%s; %s", yes(rate >= 10000), yes(rate >= 1.5 * lite_rate)));
	if (dict.rejected || dict.stored != n)
		bench_row("  reports stored / rejected", bench_fmt("%llu / %llu",
		    (unsigned long long)dict.stored, (unsigned long long)dict.rejected), NULL, NULL,
		    NULL, NULL);
	bench_row("ingest through the CLI (liaison ingest - < corpus)",
	    cli_ok ? bench_fmt("%.0f reports/s, %.1f MB/s", cli_rate, bc.bytes / 1e6 / cli_s) : "failed",
	    NULL, cli_ok ? bench_fmt("%.2f×", cli_rate / lite_rate) : NULL, "≥ 10,000 reports/s",
	    cli_ok ? yes(cli_rate >= 10000) : NULL);
	if (rounds > 1) {
		/* The spread behind the medians (median() sorted the times). */
		char in[64] = "", cl[64] = "", li[64] = "";
		for (int i = rounds - 1; i >= 0; i--) {
			const char *sep = i == rounds - 1 ? "" : " / ";
			snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%.0f", sep, n / t_dict[i]);
			snprintf(li + strlen(li), sizeof(li) - strlen(li), "%s%.0f", sep, n / t_lite[i]);
			if (cli_ok)
				snprintf(cl + strlen(cl), sizeof(cl) - strlen(cl), "%s%.0f", sep,
				    n / t_cli[i]);
		}
		bench_row("  the rounds, slowest to fastest (reports/s): in process; through the CLI",
		    bench_fmt("%s; %s", in, cli_ok ? cl : "failed"), li, NULL, NULL, NULL);
	}
	{
		/* Where a change removes waiting (a core idle while the other
		 * works), the cores kept busy show it whatever the VM's speed:
		 * the rate moves with the VM's mood, this much less. */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		double b = median(busy, rounds), f = median(faults, rounds);
		bench_row("  cores kept busy by the ingest in process (its CPU time over its wall "
		    "time), median round; its minor page faults a report",
		    bench_fmt("%.2f of %ld; %.2f", b, cores > 0 ? cores : 1, f), NULL, NULL, NULL,
		    NULL);
	}
	bench_row("ingest in process, no zstd dictionary",
	    bench_fmt("%.0f reports/s", n / nodict.secs), NULL, NULL, NULL, NULL);
	bench_row("peak RSS of the CLI ingest", cli_ok ? bench_fmt("%.1f MiB", rss / 1024.0) : "n/a",
	    NULL, NULL, "< 256 MiB", cli_ok ? yes(rss < 256 * 1024) : NULL);
	bench_row(bench_fmt("peak RSS of the CLI ingest of %zu more, just after the store's file "
	    "was read in order (as a backup reads it)", more.n),
	    more.peak_kib >= 0 ? bench_fmt("%.1f MiB", more.peak_kib / 1024.0) : "n/a",
	    NULL, NULL, "< 256 MiB", more.peak_kib >= 0 ? yes(more.peak_kib < 256 * 1024) : NULL);
	bench_row("store size / raw XML, with dictionary",
	    bench_fmt("%s (%.2f)", mib(size_dict), (double)size_dict / bc.bytes),
	    bench_fmt("%s (%.2f)", mib(lr.db_bytes), (double)lr.db_bytes / bc.bytes),
	    bench_fmt("%.2f", (double)size_dict / lr.db_bytes), NULL, NULL);
	bench_row("store size / raw XML, no dictionary",
	    bench_fmt("%s (%.2f)", mib(size_nodict), (double)size_nodict / bc.bytes), NULL, NULL,
	    NULL, NULL);
	bench_row(bench_fmt("stage: libxml2 parse (%zu reports)", sr.n), bench_fmt("%s/report", us(sr.parse)),
	    NULL, NULL, NULL, NULL);
	bench_row("stage: zstd level 3, no dictionary",
	    bench_fmt("%s/report, ratio %.2f", us(sr.zstd), sr.ratio), NULL, NULL, NULL, NULL);
	bench_row("stage: zstd level 3, 110 KiB dictionary",
	    bench_fmt("%s/report, ratio %.2f", us(sr.zstd_dict), sr.ratio_dict), NULL, NULL, NULL,
	    NULL);
	bench_row("stage: AES-256-GCM (libgcrypt)", bench_fmt("%s/report", us(sr.aes)), NULL, NULL,
	    NULL, NULL);
	bench_row("stage: LMDB put, 1,000 per transaction", bench_fmt("%s/report", us(sr.lmdb)),
	    NULL, NULL, NULL, NULL);
	bench_row("raw pipeline ceiling computed from the stages, 1 core / all cores",
	    bench_fmt("%.0f / %.0f reports/s", raw1, raw2), NULL, NULL, NULL, NULL);
	bench_row("raw pipeline measured on all cores (no indexing)",
	    bench_fmt("%.0f reports/s", raw_meas), NULL, NULL, NULL, NULL);
	{
		char each[64] = "";
		for (int i = 0; i < rounds; i++) /* median() sorted them */
			snprintf(each + strlen(each), sizeof(each) - strlen(each), "%s%.2f",
			    i ? " / " : "", r_raw[i]);
		bench_row("ingest / raw pipeline measured beside it, each round (computed ceiling); "
		          "the rounds, lowest to highest",
		    bench_fmt("%.2f (%.2f); %s", ratio_raw, rate / raw2, each), NULL, NULL, "≥ 0.33",
		    yes(ratio_raw >= 1.0 / 3));
	}
	bench_row("get by id (store_record_get, whole record), p50/p95/p99", pct3(&dict.get),
	    pct3(&lr.get_cleared), bench_fmt("%.2f", dict.get.p50 / lr.get_cleared.p50),
	    n >= 1000000 ? "p50 < 50 µs (1M)" : "p50 < 50 µs (on 1M)", yes(dict.get.p50 < 50e-6));
	for (int who = 0; who < 2; who++) {
		const bench_pct *lg = who ? &lr.get_cleared : &lr.get_partner;
		bench_row(bench_fmt("get, releasable view (query_get), %s, p50/p95/p99",
		              who ? "fully cleared" : "partner GBR/S"),
		    dict.have_q ? pct3(&dict.qget[who]) : NA, pct3(lg),
		    dict.have_q ? bench_fmt("%.2f", dict.qget[who].p50 / lg->p50) : NULL,
		    "p50 < 50 µs (1M)", dict.have_q ? yes(dict.qget[who].p50 < 50e-6) : NULL);
	}
	for (int t = 0; t < BQ_NTYPES; t++) {
		static const char *const target[BQ_NTYPES] = { "p50 < 2 ms (1M)", "p50 < 10 ms (1M)",
			NULL, NULL };
		for (int who = 0; who < 2; who++)
			bench_row(bench_fmt("query: %s, newest 20, %s, p50/p95/p99", bench_qnames[t],
			              who ? "fully cleared" : "partner GBR/S"),
			    dict.have_q ? pct3(&dict.q[t][who]) : NA, pct3(&lr.q[t][who]),
			    dict.have_q ? bench_fmt("%.2f", dict.q[t][who].p50 / lr.q[t][who].p50) : NULL,
			    target[t], dict.have_q && target[t] ?
			        yes(dict.q[t][who].p50 < (t == BQ_ONE ? 2e-3 : 10e-3)) : NULL);
		bench_row(bench_fmt("query: %s, partner filtering overhead (p50)", bench_qnames[t]),
		    dict.have_q ? bench_fmt("%+.0f%%", (dict.q[t][0].p50 / dict.q[t][1].p50 - 1) * 100) : NA,
		    bench_fmt("%+.0f%%", (lr.q[t][0].p50 / lr.q[t][1].p50 - 1) * 100), NULL, "< 10%",
		    dict.have_q ? yes(dict.q[t][0].p50 < 1.1 * dict.q[t][1].p50) : NULL);
		bench_row(bench_fmt("query: %s, partner filtering overhead, warm (each query "
		              "run once untimed first; p50 partner / cleared)", bench_qnames[t]),
		    dict.have_q ? bench_fmt("%+.0f%% (%s / %s)",
		                      (dict.qwarm[t][0].p50 / dict.qwarm[t][1].p50 - 1) * 100,
		                      us(dict.qwarm[t][0].p50), us(dict.qwarm[t][1].p50)) : NA,
		    NULL, NULL, "< 10%",
		    dict.have_q ? yes(dict.qwarm[t][0].p50 < 1.1 * dict.qwarm[t][1].p50) : NULL);
		/* How much further back the partner's answer reaches, and its
		 * time per posting read against the cleared principal's. */
		if (dict.have_q && dict.postings[t][0] > 0 && dict.postings[t][1] > 0)
			bench_row(bench_fmt("  %s: index read per query (batches, postings), partner "
			              "/ cleared; partner time per posting over cleared's", bench_qnames[t]),
			    bench_fmt("%.1f / %.1f batches, %.0f / %.0f postings (×%.2f); %+.0f%%",
			        dict.batches[t][0] / dict.nq[t], dict.batches[t][1] / dict.nq[t],
			        dict.postings[t][0] / dict.nq[t], dict.postings[t][1] / dict.nq[t],
			        dict.postings[t][0] / dict.postings[t][1],
			        (dict.qsecs[t][0] / dict.postings[t][0] /
			            (dict.qsecs[t][1] / dict.postings[t][1]) - 1) * 100),
			    NULL, NULL, NULL, NULL);
	}
	if (dict.have_q) {
		double ratio = dict.hidden.p50 / dict.absent.p50;
		bench_row(bench_fmt("query: one term found only in NOFORN portions, partner GBR/S (0 "
		              "hits; the cleared principal finds %zu of %d), warm, p50/p95/p99",
		              dict.hidden_found, BENCH_NHIDDEN),
		    pct3(&dict.hidden), NULL, NULL, NULL, NULL);
		bench_row("query: one term found nowhere, partner GBR/S (0 hits), warm, p50/p95/p99",
		    pct3(&dict.absent), NULL, NULL, NULL, NULL);
		bench_row("  the first over the second (p50): what the partner's time tells it of "
		          "portions it may not read; postings read for the first, a query",
		    bench_fmt("×%.1f; %.0f", ratio, dict.hidden_postings / BENCH_NHIDDEN), NULL, NULL,
		    "≈ 1 (DESIGN.md §4)", yes(ratio < 1.5));
	}
	for (int t = 0; t < BQ_NTYPES; t++)
		for (int who = 0; who < 2; who++)
			bench_row(bench_fmt("query through the CLI (liaison query), %s, %s, "
			              "p50/p95/p99", bench_qnames[t], who ? "fully cleared" : "partner GBR/S"),
			    cli_ok && cliq[t][who].p50 > 0 ? pct3(&cliq[t][who]) : "n/a", NULL, NULL,
			    NULL, NULL);
	/* Audited over unaudited, in the liaison column: the ratio column is
	 * liaison's over SQLite's. */
	bench_row("one-term queries/s in process, partner: without / with an audit entry each "
	          "(audited / unaudited)",
	    dict.have_q && dict.qps_plain > 0
	        ? bench_fmt("%.0f / %.0f (%.2f)", dict.qps_plain, dict.qps_audited,
	              dict.qps_audited / dict.qps_plain) : NA, NULL, NULL,
	    "audited ≥ 0.5× (issue 6)",
	    dict.have_q ? yes(dict.qps_audited >= dict.qps_plain / 2) : NULL);
	/* The same entry in a query as users run it: its durable commit (the
	 * difference of the two rates above) within a CLI query's time.  A
	 * CLI query cannot be run unaudited, so its unaudited rate is computed:
	 * the CLI p50 less the commit. */
	if (dict.have_q && cli_ok && cliq[0][0].p50 > 0 && dict.qps_audited > 0) {
		double commit = 1 / dict.qps_audited - 1 / dict.qps_plain;
		double share = commit / cliq[0][0].p50;
		bench_row("one-term queries through the CLI, partner: the audit entry's commit "
		          "(from the row above) within a query's p50 (audited / unaudited rate)",
		    bench_fmt("%s of %s, %.1f%% (%.2f)", us(commit), us(cliq[0][0].p50),
		        share * 100, 1 - share), NULL, NULL, "audited ≥ 0.5× (issue 6)",
		    yes(share <= 0.5));
	}
	bench_row("(corpus generation, not part of any figure)", bench_fmt("%.1f s", gen_s), NULL,
	    NULL, NULL, NULL);
	stages_free(&sr);
	corpus_file_free(&bc);
	return 0;
fail_bq:
	free(bq);
fail:
	stages_free(&sr);
	corpus_file_free(&bc);
	return -1;
}

/* ---- the machine ---- */

static void
cpu_model(char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, len, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *p;
		if (strncmp(line, "model name", 10) == 0 && (p = strchr(line, ':'))) {
			p += 2;
			p[strcspn(p, "\n")] = '\0';
			snprintf(out, len, "%s", p);
			break;
		}
	}
	if (f)
		fclose(f);
}

static void
usage(FILE *f)
{
	fputs("usage: liaison-bench [--scale N]... [--seed N] [--liaison PATH] [--results DIR] "
	      "[--tmp DIR]\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "scale", 1, NULL, 'n' }, { "seed", 1, NULL, 's' }, { "liaison", 1, NULL, 'l' },
		{ "results", 1, NULL, 'r' }, { "tmp", 1, NULL, 't' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t scales[8], nscales = 0;
	unsigned long long seed = 1;
	const char *liaison = "./liaison", *results = NULL, *tmpbase = "/tmp";
	char tmpdir[1024], cpu[256], host[256], date[32], path[8192], cmdline[4096] = "";
	char thp[32];
	acl_data *data = NULL;
	ingest_parser *parser = NULL;
	corpus *c = NULL;
	lsn_err err;
	double part_ns = 0, clr_ns = 0, t0 = bench_now();
	time_t now = time(NULL);
	int ch, rc = 1;
	FILE *f;

	/* As `liaison ingest` does: the in-process figures are then taken
	 * with the heap the CLI has (memory kept). */
	lsn_heap_keep();
	while ((ch = getopt_long(argc, argv, "n:s:l:r:t:h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (nscales < 8 && (scales[nscales] = strtoull(optarg, NULL, 10)) >= 1000)
				nscales++;
			else {
				fprintf(stderr, "liaison-bench: --scale: at least 1000\n");
				return 64;
			}
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			liaison = optarg;
			break;
		case 'r':
			results = optarg;
			break;
		case 't':
			tmpbase = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (nscales == 0) {
		scales[nscales++] = 10000;
		scales[nscales++] = 100000;
	}
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(cmdline);
		snprintf(cmdline + l, sizeof(cmdline) - l, "%s%s", i ? " " : "", argv[i]);
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/liaison-bench-XXXXXX", tmpbase);
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "liaison-bench: %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	if ((table = open_memstream(&table_buf, &table_len)) == NULL)
		goto out;
	if (store_init(&err) != 0 || acl_data_load(&data, NULL, NULL, &err) != 0 ||
	    ingest_parser_new(&parser, data, &err) != 0) {
		fprintf(stderr, "liaison-bench: %s\n", err.msg);
		goto out;
	}
	if (corpus_new(&c, seed) != 0)
		goto out;
	cpu_model(cpu, sizeof(cpu));
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	strftime(date, sizeof(date), "%Y-%m-%d", localtime(&now));
	printf("liaison-bench on %s: %ld cores, %s\n", host, sysconf(_SC_NPROCESSORS_ONLN), cpu);

	if (label_cost(data, &part_ns, &clr_ns) != 0)
		goto out;
	section("Independent of the corpus size");
	bench_row("label decision (acl_label_decide), partner GBR/S",
	    bench_fmt("%.1f ns/decision", part_ns), NULL, NULL, "well under 1 µs", yes(part_ns < 1000));
	bench_row("label decision (acl_label_decide), fully cleared USA/TS",
	    bench_fmt("%.1f ns/decision", clr_ns), NULL, NULL, "well under 1 µs", yes(clr_ns < 1000));
	for (size_t i = 0; i < nscales; i++)
		if (run_scale(c, seed, scales[i], tmpdir, liaison, data, parser) != 0)
			goto out;
	fclose(table);
	table = NULL;
	printf("\ntotal %.0f s\n", bench_now() - t0);

	if (results) {
		/* A day's later runs are -2, -3, ...: an earlier result is never
		 * overwritten (O_EXCL: nor raced). */
		int fd = -1;
		for (unsigned k = 1; fd < 0 && k < 1000; k++) {
			if (k == 1)
				snprintf(path, sizeof(path), "%s/%s-%s.md", results, date, host);
			else
				snprintf(path, sizeof(path), "%s/%s-%s-%u.md", results, date, host, k);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "liaison-bench: %s: %s\n", path, strerror(errno));
			goto out;
		}
		fprintf(f, "# liaison bench, %s on %s\n\n", date, host);
		if (lsn_thp_mode(thp, sizeof(thp)) != 0)
			snprintf(thp, sizeof(thp), "unknown");
		fprintf(f, "## Machine\n\n- cores: %ld\n- CPU: %s\n- memory: %.1f GiB\n"
		           "- transparent huge pages: %s; GLIBC_TUNABLES: %s\n\n",
		    sysconf(_SC_NPROCESSORS_ONLN), cpu,
		    (double)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / (1 << 30), thp,
		    getenv("GLIBC_TUNABLES") ? getenv("GLIBC_TUNABLES") : "(not set)");
		fprintf(f, "## Libraries\n\n- lmdb: %s\n- libgcrypt: %s\n- libxml2: %s\n- zstd: %s\n"
		           "- sqlite3: %s\n\n",
		    mdb_version(NULL, NULL, NULL), gcry_check_version(NULL), LIBXML_DOTTED_VERSION,
		    ZSTD_versionString(), sqlite3_libversion());
		fprintf(f, "## Command\n\n    %s%s\n\n(run by `make bench`%s; %.0f s in all)\n\n",
		    getenv("BENCH_SCALE") ? bench_fmt("BENCH_SCALE=%s ", getenv("BENCH_SCALE")) : "",
		    cmdline, getenv("BENCH_SCALE") ? "" : " at the default scale",
		    bench_now() - t0);
		fprintf(f, "## Results\n\nLatencies are p50 / p95 / p99.  Ratios are liaison "
		           "over SQLite: above 1 is better for rates, below 1 for latencies and "
		           "sizes.  bench/README.md explains each row.\n%s", table_buf);
		if (fclose(f) != 0)
			goto out;
		printf("results: %s\n", path);
	}
	rc = 0;
out:
	if (table)
		fclose(table);
	free(table_buf);
	bench_rmrf(tmpdir);
	corpus_free(c);
	ingest_parser_free(parser);
	acl_data_free(data);
	return rc;
}
