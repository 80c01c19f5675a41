/*
 * tests/unit/test_ingest_run.c - where ingest_run() cuts its batches.
 *
 * A batch is committed when it holds batch_docs documents, and also,
 * whatever its size, when it brings a store without a dictionary to the
 * dictionary's training threshold, so that training starts there.  What
 * a commit held is seen from the results: a stored document is reported
 * only after its commit, so at the first result the store holds exactly
 * the first batch.
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

#include "acl/acl.h"
#include "ingest/ingest.h"
#include "store/store.h"

struct seen {
	store *st;
	uint64_t first_count; /* records stored when the first result came */
	unsigned results;
};

static void
on_result(void *ctx, const ingest_result *r)
{
	struct seen *s = ctx;
	store_snap *sn;

	(void)r;
	if (s->results++ == 0 && store_snap_begin(s->st, &sn, NULL) == 0) {
		s->first_count = store_record_count(sn);
		store_snap_end(sn);
	}
}

/* Ingest the samples into a new store of the given dictionary threshold
 * (0: the default), in batches of 1,000; what the first result saw. */
static struct seen
ingest_samples(unsigned dict_threshold, ingest_summary *sum)
{
	char dir[] = "/tmp/lsn-run-XXXXXX", path[300], key[300], samples[600], cmd[400];
	const char *src = getenv("LSN_SRCDIR"), *paths[1] = { samples };
	store_opts so = { .dict_threshold = dict_threshold };
	store_keysrc ks = { 0 };
	acl_data *data = NULL;
	ingest_parser *parser = NULL;
	struct seen s = { 0 };
	ingest_opts io = { .principal = "test", .batch_docs = 1000, .on_result = on_result,
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
	ingest_parser_free(parser);
	acl_data_free(data);
	store_close(s.st);
	s.st = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return s;
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run__batch_committed_when_the_dictionary_is_due),
		cmocka_unit_test(test_run__one_batch_when_no_dictionary_is_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
