/*
 * tests/unit/test_postings.c - the posting block codec (ingest/postings.c).
 *
 * Random postings in block order encode and decode back to themselves, appended
 * to what the array already holds; every truncation of a block, and a
 * block whose postings are out of order, is refused and leaves the array
 * as it was.  Values are drawn across the varint byte boundaries (the
 * decoder has a one-byte fast path).
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

#include "ingest/ingest.h"

static uint64_t seed = 4774;

static uint64_t
rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return seed >> 17;
}

/* A value of 1 to 5 varint bytes, small ones most often. */
static uint64_t
value(void)
{
	static const uint64_t cap[] = { 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0xffffffff };
	uint64_t c = cap[rnd() % 6];

	return rnd() % 4 == 0 ? c : rnd() % (c + 1);
}

/* n postings in block order: reports newest first (by date, then by
 * serial, both falling), each report's portions rising. */
static void
make(ingest_posting *p, size_t n)
{
	uint64_t serial = 1 + value();
	uint32_t portion = 0, date = (uint32_t)value();

	for (size_t i = 0; i < n; i++) {
		int same_date = rnd() % 3 == 0 && serial > 1;
		if (i > 0 && rnd() % 3 != 0 && (same_date || date > 0)) { /* a new report */
			if (same_date) {
				serial -= 1 + rnd() % (serial - 1 < 300 ? serial - 1 : 300);
			} else {
				date -= (uint32_t)(1 + value() % date);
				uint64_t old = serial;
				serial = 1 + value();
				serial += serial == old; /* a serial is one report */
			}
			portion = (uint32_t)(value() & 0xffff);
		} else if (i == 0) {
			portion = (uint32_t)(value() & 0xffff);
		} else {
			portion += 1 + (uint32_t)(rnd() % 200);
		}
		p[i].serial = serial;
		p[i].portion = portion;
		p[i].entry = (uint32_t)(1 + value() % 0xfffffffe);
		p[i].date = date;
	}
}

static void
test_postings__roundtrip_appends(void **state)
{
	ingest_posting a[300], b[300], *out = NULL;
	size_t n = 0, cap = 0;
	lsn_err err;

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t na = 1 + rnd() % 300, nb = 1 + rnd() % 300, la, lb;
		uint8_t *ba, *bb;
		make(a, na);
		make(b, nb);
		size_t ca = 0, cb = 0;
		ba = bb = NULL;
		assert_int_equal(ingest_postings_encode(a, na, &ba, &ca, &la, &err), 0);
		assert_int_equal(ingest_postings_encode(b, nb, &bb, &cb, &lb, &err), 0);
		assert_true(ca >= la && cb >= lb);
		n = 0;
		assert_int_equal(ingest_postings_decode(ba, la, &out, &n, &cap), 0);
		assert_int_equal(ingest_postings_decode(bb, lb, &out, &n, &cap), 0);
		assert_int_equal(n, na + nb);
		assert_true(cap >= n);
		for (size_t i = 0; i < na + nb; i++) {
			const ingest_posting *want = i < na ? &a[i] : &b[i - na];
			assert_int_equal(out[i].serial, want->serial);
			assert_int_equal(out[i].portion, want->portion);
			assert_int_equal(out[i].entry, want->entry);
			assert_int_equal(out[i].date, want->date);
		}
		free(ba);
		free(bb);
	}
	free(out);
}

static void
test_postings__every_truncation_refused(void **state)
{
	ingest_posting a[50], *out = NULL;
	size_t n, cap = 0, len;
	uint8_t *block;
	lsn_err err;

	(void)state;
	make(a, 50);
	size_t bcap = 0;
	block = NULL;
	assert_int_equal(ingest_postings_encode(a, 50, &block, &bcap, &len, &err), 0);
	for (size_t cut = 0; cut < len; cut++) {
		n = 7; /* what the array held before */
		assert_int_equal(ingest_postings_decode(block, cut, &out, &n, &cap), LSN_EINPUT);
		assert_int_equal(n, 7);
	}
	free(block);
	free(out);
}

/* Blocks are written in answer order (newest report first, a report's
 * portions rising); the query relies on it without sorting, so the decoder
 * refuses one that is not, and the encoder will not write one. */
static void
test_postings__unsorted_block_refused(void **state)
{
	/* count 2, base 5; (r 1: serial 5, date 20240101, portion 3, entry 1),
	 * then a second posting: */
#define FIRST 2, 5, 1, 0xe5, 0xad, 0xd3, 0x09, 3, 1
	uint8_t repeat[] = { FIRST, 0, 3, 1 };  /* same report, portion 3 again */
	uint8_t back[] = { FIRST, 0, 2, 1 };    /* same report, portion 2 */
	uint8_t older_serial[] = { FIRST, 2, 0, 1, 1 }; /* same date, serial 6 */
	uint8_t same_serial[] = { FIRST, 1, 0, 4, 1 };  /* serial 5 again */
	uint8_t newer[] = { 2, 5, 1, 5, 3, 1, 2, 6, 1, 1 }; /* date 5, then 5 - 6 */
	uint8_t no_report[] = { 1, 5, 0, 3, 1 };        /* continues nothing */
	uint8_t fine[] = { FIRST, 0, 4, 1 };
	uint8_t fine2[] = { 2, 5, 3, 0xe5, 0xad, 0xd3, 0x09, 3, 1, 1, 0, 0, 1 };
#undef FIRST
	ingest_posting *out = NULL, bad[2] = { { 5, 3, 1, 20240101 }, { 6, 0, 1, 20240101 } };
	size_t n = 0, cap = 0, len;
	lsn_err err;

	(void)state;
	assert_int_equal(ingest_postings_decode(repeat, sizeof(repeat), &out, &n, &cap),
	    LSN_EINPUT);
	assert_int_equal(ingest_postings_decode(back, sizeof(back), &out, &n, &cap),
	    LSN_EINPUT);
	assert_int_equal(ingest_postings_decode(older_serial, sizeof(older_serial), &out, &n,
	    &cap), LSN_EINPUT);
	assert_int_equal(ingest_postings_decode(same_serial, sizeof(same_serial), &out, &n,
	    &cap), LSN_EINPUT);
	assert_int_equal(ingest_postings_decode(newer, sizeof(newer), &out, &n, &cap),
	    LSN_EINPUT);
	assert_int_equal(ingest_postings_decode(no_report, sizeof(no_report), &out, &n, &cap),
	    LSN_EINPUT);
	assert_int_equal(n, 0);
	assert_int_equal(ingest_postings_decode(fine, sizeof(fine), &out, &n, &cap), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[1].serial, 5);
	assert_int_equal(out[1].portion, 4);
	assert_int_equal(out[1].date, 20240101);
	/* serial 7 (base 5 + 3 - 1) of 2024-01-01, then serial 5, the day
	 * before minus nothing: the same date, an earlier serial. */
	assert_int_equal(ingest_postings_decode(fine2, sizeof(fine2), &out, &n, &cap), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[2].serial, 7);
	assert_int_equal(out[3].serial, 5);
	assert_int_equal(out[3].date, 20240101);
	assert_int_equal(out[3].portion, 0);
	/* The encoder: serial 5 before serial 6 of the same date is out of
	 * order, and so is a report's portion before an earlier one.  One
	 * buffer serves every block, as in the writer. */
	uint8_t *block = NULL;
	size_t bcap = 0;
	assert_int_equal(ingest_postings_encode(bad, 2, &block, &bcap, &len, &err),
	    LSN_EINTERNAL);
	bad[1].serial = 4;
	assert_int_equal(ingest_postings_encode(bad, 2, &block, &bcap, &len, &err), 0);
	assert_int_equal(ingest_postings_decode(block, len, &out, &n, &cap), 0);
	assert_int_equal(n, 6);
	assert_int_equal(out[5].serial, 4);
	bad[1].serial = 5;
	assert_int_equal(ingest_postings_encode(bad, 2, &block, &bcap, &len, &err),
	    LSN_EINTERNAL);
	bad[1].portion = 4;
	assert_int_equal(ingest_postings_encode(bad, 2, &block, &bcap, &len, &err), 0);
	assert_int_equal(ingest_postings_decode(block, len, &out, &n, &cap), 0);
	assert_int_equal(n, 8);
	assert_int_equal(out[7].portion, 4);
	free(block);
	free(out);
}

/* An empty block appends nothing, also to an array not allocated yet (the
 * fuzzer found NULL + 0 there). */
static void
test_postings__empty_block_into_nothing(void **state)
{
	uint8_t empty[] = { 0 }, trailing[] = { 0, 7 };
	ingest_posting *out = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	assert_int_equal(ingest_postings_decode(empty, sizeof(empty), &out, &n, &cap), 0);
	assert_int_equal(n, 0);
	assert_null(out);
	assert_int_equal(ingest_postings_decode(trailing, sizeof(trailing), &out, &n, &cap),
	    LSN_EINPUT);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postings__roundtrip_appends),
		cmocka_unit_test(test_postings__every_truncation_refused),
		cmocka_unit_test(test_postings__unsorted_block_refused),
		cmocka_unit_test(test_postings__empty_block_into_nothing),
	};

	return cmocka_run_group_tests_name("postings", tests, NULL, NULL);
}
