/*
 * tests/unit/test_ingest_run.c - where ingest_run() cuts its batches.
 *
 * A batch is committed when it holds batch_docs documents, and also,
 * whatever its size, when it brings a store without a dictionary to the
 * dictionary's training threshold, so that training starts there.  What
 * a commit held is seen from the results: a stored document is reported
 * only after its commit, so at the first result the store holds exactly
 * the first batch.
 *
 * The recent batches' blocks are merged once ingest_merge_after(batch
 * size) of them hold blocks: 16, or fewer when 16 would hold more than
 * INGEST_MERGE_REPORTS reports, in a thread of their own beside the
 * next batch when documents follow.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "acl/acl.h"
#include "ingest/ingest.h"
#include "store/store.h"

struct seen {
	store *st;
	uint64_t first_count; /* records stored when the first result came */
	unsigned results;
};

/* A test's look at the run from its first result (the caller's thread,
 * with every thread of the run still there), or NULL. */
static void (*at_first_result)(void);

static void
on_result(void *ctx, const ingest_result *r)
{
	struct seen *s = ctx;
	store_snap *sn;

	(void)r;
	if (s->results == 0 && at_first_result != NULL)
		at_first_result();
	if (s->results++ == 0 && store_snap_begin(s->st, &sn, NULL) == 0) {
		s->first_count = store_record_count(sn);
		store_snap_end(sn);
	}
}

/* Ingest the samples into a new store of the given dictionary threshold
 * (0: the default), in batches of batch_docs, then let inspect (if not
 * NULL) look at the store; what the first result saw. */
static struct seen
ingest_samples_into(unsigned dict_threshold, size_t batch_docs, void (*inspect)(store *),
    ingest_summary *sum)
{
	char dir[] = "/tmp/lsn-run-XXXXXX", path[300], key[300], samples[600], cmd[400];
	const char *src = getenv("LSN_SRCDIR"), *paths[1] = { samples };
	store_opts so = { .dict_threshold = dict_threshold };
	store_keysrc ks = { 0 };
	acl_data *data = NULL;
	ingest_parser *parser = NULL;
	struct seen s = { 0 };
	ingest_opts io = { .principal = "test", .batch_docs = batch_docs, .on_result = on_result,
		.ctx = &s };
	lsn_err err;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(key, sizeof(key), "%s/s.key", dir);
	snprintf(samples, sizeof(samples), "%s/samples", src ? src : ".");
	ks.key_file = key;
	assert_int_equal(store_create(&s.st, path, &ks, &so, &err), 0);
	assert_int_equal(acl_data_load(&data, NULL, NULL, &err), 0);
	assert_int_equal(ingest_parser_new(&parser, data, &err), 0);
	assert_int_equal(ingest_run(s.st, data, parser, paths, 1, &io, sum, &err), 0);
	if (inspect != NULL)
		inspect(s.st);
	ingest_parser_free(parser);
	acl_data_free(data);
	store_close(s.st);
	s.st = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return s;
}

static struct seen
ingest_samples(unsigned dict_threshold, ingest_summary *sum)
{
	return ingest_samples_into(dict_threshold, 1000, NULL, sum);
}

static size_t merges_seen, recent_seen;

/* Count the index head's merged and recent batches that hold blocks. */
static void
count_batches(store *st)
{
	store_snap *sn;
	uint8_t *head = NULL;
	size_t head_len = 0;
	uint64_t upto;
	lsn_err err;

	merges_seen = recent_seen = 0;
	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	upto = store_postings_merged_upto(sn);
	assert_int_equal(ingest_head_read(sn, &head, &head_len, &err), 0);
	for (uint64_t b = 1; b <= head_len / INGEST_HEAD_ENTRY; b++) {
		uint32_t d;
		uint64_t serial;
		if (ingest_head_get(head, head_len, b, &d, &serial))
			++*(b <= upto ? &merges_seen : &recent_seen);
	}
	free(head);
	store_snap_end(sn);
}

static void
test_run__merge_cadence(void **state)
{
	(void)state;
	/* 16 batches hold at most INGEST_MERGE_REPORTS: every 16; more: as
	 * many as hold that many reports, but never under 2. */
	for (size_t b = 1; b <= 2 * INGEST_MERGE_REPORTS; b += b < 64 ? 1 : 997) {
		size_t n = ingest_merge_after(b);
		assert_true(n >= 2 && n <= INGEST_MERGE_BATCHES);
		if (INGEST_MERGE_BATCHES * b <= INGEST_MERGE_REPORTS)
			assert_int_equal(n, INGEST_MERGE_BATCHES);
		else if (n > 2)
			assert_true(n * b <= INGEST_MERGE_REPORTS &&
			    (n + 1) * b > INGEST_MERGE_REPORTS);
	}
	assert_int_equal(ingest_merge_after(INGEST_BATCH_DOCS) * INGEST_BATCH_DOCS,
	    INGEST_MERGE_REPORTS);
}

static void
test_run__merges_after_as_many_reports_whatever_the_batch_size(void **state)
{
	ingest_summary sum;

	(void)state;
	/* Batches of 3 and merges of 12 reports: every 4 batches, where 16
	 * batches of 3 would never merge the samples' 16 or so batches. */
	size_t beside = ingest__merges_beside;
	ingest__merge_reports = 12;
	(void)ingest_samples_into(0, 3, count_batches, &sum);
	ingest__merge_reports = INGEST_MERGE_REPORTS;
	assert_true(sum.stored >= 45);
	assert_true(merges_seen >= 3);
	assert_true(recent_seen >= 1 && recent_seen <= 4);
	/* Every merge ran beside the next batch; none was started after the
	 * last batch of the input (no document follows to go beside it). */
	assert_int_equal(ingest__merges_beside - beside, merges_seen);
}

static void
test_run__batch_committed_when_the_dictionary_is_due(void **state)
{
	ingest_summary sum;
	struct seen s;

	(void)state;
	s = ingest_samples(12, &sum);
	assert_true(sum.stored > 12);
	assert_int_equal(s.results, sum.stored + sum.duplicates + sum.rejected);
	assert_int_equal(s.first_count, 12);
}

static void
test_run__one_batch_when_no_dictionary_is_due(void **state)
{
	ingest_summary sum;
	struct seen s;

	(void)state;
	s = ingest_samples(0, &sum); /* 1,000: more than the samples */
	assert_true(sum.stored > 12);
	assert_int_equal(s.first_count, sum.stored);
}

/* The results of a run: how many were stored, and how many were said to
 * be not stored because the store could not be written. */
struct fates {
	unsigned stored, unwritten, other;
};

static void
on_fate(void *ctx, const ingest_result *r)
{
	struct fates *f = ctx;

	if (r->status == INGEST_STORED)
		f->stored++;
	else if (r->reason != NULL && strstr(r->reason, "not stored") != NULL)
		f->unwritten++;
	else
		f->other++;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The reports the index finds under INGEST_EVERY_REPORT, over every batch
 * on the head (merged or recent): each stored report, each of its
 * portions once, however the merges and batches around them went. */
static void
assert_every_report_once(store *st)
{
	uint8_t every[STORE_BLIND_LEN], *head = NULL, *buf = NULL;
	size_t head_len = 0, cap = 0, len, n = 0, pcap = 0;
	uint64_t *serials = NULL, into = 0;
	unsigned done = 0;
	int merging;
	ingest_posting *p = NULL;
	store_snap *sn;
	lsn_err err;

	store_blind(st, INGEST_EVERY_REPORT, strlen(INGEST_EVERY_REPORT), every);
	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	merging = store_postings_merging(sn, &into, &done);
	assert_int_equal(ingest_head_read(sn, &head, &head_len, &err), 0);
	for (uint64_t b = 1; b <= head_len / INGEST_HEAD_ENTRY; b++) {
		uint32_t d;
		uint64_t serial;
		if (!ingest_head_get(head, head_len, b, &d, &serial))
			continue;
		assert_int_equal(store_postings_read_batch(sn, every, b, &buf, &cap, &len, NULL,
				     NULL, &err), 0);
		/* A batch on the head has reports; but a merge under way has
		 * the word's only if its slice is done, and its batches only
		 * if not. */
		assert_true(len > 0 || (merging && b > store_postings_merged_upto(sn) && b <= into));
		if (len > 0)
			assert_int_equal(ingest_block_decode(buf, len, &p, &n, &pcap), 0);
	}
	serials = malloc((n + 1) * sizeof(*serials));
	assert_non_null(serials);
	for (size_t i = 0; i < n; i++) /* a posting a portion */
		serials[i] = p[i].serial << 16 | p[i].portion;
	qsort(serials, n, sizeof(*serials), cmp_u64);
	size_t reports = n > 0;
	for (size_t i = 1; i < n; i++) {
		assert_true(serials[i] != serials[i - 1]);
		reports += serials[i] >> 16 != serials[i - 1] >> 16;
	}
	assert_int_equal(reports, store_record_count(sn));
	store_snap_end(sn);
	free(serials);
	free(p);
	free(buf);
	free(head);
}

static void
test_run__a_failed_merge_beside_a_batch_loses_nothing(void **state)
{
	char dir[] = "/tmp/lsn-run-XXXXXX", path[300], key[300], samples[600], cmd[400];
	const char *src = getenv("LSN_SRCDIR"), *paths[1] = { samples };
	store_keysrc ks = { 0 };
	acl_data *data = NULL;
	ingest_parser *parser = NULL;
	struct fates f1 = { 0 }, f2 = { 0 };
	ingest_opts io = { .principal = "test", .batch_docs = 3, .on_result = on_fate };
	ingest_summary sum;
	store *st = NULL;
	store_snap *sn;
	uint64_t into;
	unsigned done;
	lsn_err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(key, sizeof(key), "%s/s.key", dir);
	snprintf(samples, sizeof(samples), "%s/samples", src ? src : ".");
	ks.key_file = key;
	assert_int_equal(store_create(&st, path, &ks, NULL, &err), 0);
	assert_int_equal(acl_data_load(&data, NULL, NULL, &err), 0);
	assert_int_equal(ingest_parser_new(&parser, data, &err), 0);

	/* Merges every 4 batches of 3; the first one's third slice fails, in
	 * its thread, while the next batches are taken and committed (up to
	 * four, numbered after it, recent): the first commit to begin after
	 * it is not stored, the run stops, and every report it said was
	 * stored is, and found once by the index. */
	ingest__merge_reports = 12;
	ingest__merge_fail_slice = 3;
	io.ctx = &f1;
	assert_int_equal(ingest_run(st, data, parser, paths, 1, &io, &sum, &err), LSN_EIO);
	ingest__merge_fail_slice = 0;
	assert_non_null(strstr(err.msg, "merge slice 2"));
	assert_true(f1.stored >= 4 && f1.stored <= 24);
	assert_true(f1.unwritten >= 1);
	assert_int_equal(f1.other, 0);
	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	assert_int_equal(store_record_count(sn), f1.stored);
	assert_true(store_postings_merging(sn, &into, &done)); /* two slices of it done */
	assert_int_equal(done, 2);
	store_snap_end(sn);
	assert_every_report_once(st);

	/* The same input again: the merge is finished (beside the batches
	 * after it), the rest stored, what was stored found already there. */
	io.ctx = &f2;
	assert_int_equal(ingest_run(st, data, parser, paths, 1, &io, &sum, &err), 0);
	ingest__merge_reports = INGEST_MERGE_REPORTS;
	assert_int_equal(sum.duplicates, f1.stored);
	assert_int_equal(f2.unwritten, 0);
	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	assert_int_equal(store_record_count(sn), f1.stored + sum.stored);
	assert_false(store_postings_merging(sn, &into, &done));
	store_snap_end(sn);
	count_batches(st);
	assert_true(merges_seen >= 3);
	assert_every_report_once(st);

	ingest_parser_free(parser);
	acl_data_free(data);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The niceness of thread tid of this process (its stat's 19th field), or
 * -1000 (no niceness is) if it cannot be read; its name in comm. */
static int
thread_nice(const char *tid, char *comm, size_t comm_len)
{
	char path[300], buf[1024];
	FILE *f;
	size_t n;
	int nice = -1000;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(comm, (int)comm_len, f) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
	if ((f = fopen(path, "r")) == NULL)
		return -1000;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the name in parentheses: state (field 3) ... nice (19). */
	char *p = strrchr(buf, ')'), *save = NULL;
	if (p == NULL)
		return -1000;
	p = strtok_r(p + 1, " ", &save);
	for (int field = 3; p != NULL; field++, p = strtok_r(NULL, " ", &save))
		if (field == 19) {
			nice = atoi(p);
			break;
		}
	return nice;
}

static unsigned workers_seen;

/* Every worker runs 15 steps nicer than the caller (at most 19), the
 * caller as it was. */
static void
check_workers_nicer(void)
{
	id_t self = (id_t)syscall(SYS_gettid);
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char comm[64];
	int mine;

	assert_non_null(d);
	errno = 0;
	mine = getpriority(PRIO_PROCESS, self);
	assert_int_equal(errno, 0);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		int nice = thread_nice(e->d_name, comm, sizeof(comm));
		if (strcmp(comm, "lsn-worker") == 0) {
			assert_int_equal(nice, mine + 15 < 19 ? mine + 15 : 19);
			workers_seen++;
		} else if ((id_t)atol(e->d_name) == self) {
			assert_int_equal(nice, mine);
		}
	}
	closedir(d);
}

static void
test_run__workers_run_nicer_than_the_caller(void **state)
{
	ingest_summary sum;

	(void)state;
	workers_seen = 0;
	at_first_result = check_workers_nicer;
	(void)ingest_samples(0, &sum);
	at_first_result = NULL;
	assert_true(sum.stored > 12);
	assert_true(workers_seen >= 1);
}

/* After the input's end, the batch is committed once more only while the
 * workers have enough left to prepare for the commit to overlap. */
static void
test_run__a_commit_before_the_last_documents_only_while_they_are_prepared(void **state)
{
	(void)state;
	/* A full batch and the last 400, still to prepare: commit now. */
	assert_true(ingest__tail_commit(4000, 400, 400));
	/* The same 400 prepared already (the input ended during a commit):
	 * one commit for all of them. */
	assert_false(ingest__tail_commit(4000, 400, 0));
	assert_false(ingest__tail_commit(512, 488, 100));
	/* Too many still to take, or too few pending to be worth a commit. */
	assert_false(ingest__tail_commit(4000, 2000, 2000));
	assert_false(ingest__tail_commit(100, 100, 100));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run__batch_committed_when_the_dictionary_is_due),
		cmocka_unit_test(test_run__one_batch_when_no_dictionary_is_due),
		cmocka_unit_test(test_run__merge_cadence),
		cmocka_unit_test(test_run__merges_after_as_many_reports_whatever_the_batch_size),
		cmocka_unit_test(test_run__a_failed_merge_beside_a_batch_loses_nothing),
		cmocka_unit_test(test_run__a_commit_before_the_last_documents_only_while_they_are_prepared),
		cmocka_unit_test(test_run__workers_run_nicer_than_the_caller),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
