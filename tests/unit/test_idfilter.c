/*
 * tests/unit/test_idfilter.c - the filter of stored ids (ingest/idfilter.c).
 *
 * A Bloom filter may say an id is held when it is not, never the reverse:
 * every id added is held, however many; ids never added are reported
 * held at about the rate its bits per id give while it has room; it says
 * it is full once past that room, and not at its largest size, which only
 * fills up.
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

static void
id_of(const char *prefix, size_t i, char *out, size_t len)
{
	/* Ids as a feed has them: a prefix and a number, scrambled. */
	snprintf(out, len, "%s-%016llx", prefix,
	    (unsigned long long)((i + 1) * 0x9e3779b97f4a7c15ULL));
}

static void
test_idfilter__no_false_negatives(void **state)
{
	ingest_idfilter *f = NULL;
	char id[64];
	size_t n = 200000;

	(void)state;
	assert_int_equal(ingest_idfilter_new(&f, 1000), 0); /* far too small */
	for (size_t i = 0; i < n; i++) {
		id_of("IIR", i, id, sizeof(id));
		ingest_idfilter_add(f, id, strlen(id));
	}
	for (size_t i = 0; i < n; i++) {
		id_of("IIR", i, id, sizeof(id));
		if (!ingest_idfilter_may_hold(f, id, strlen(id)))
			fail_msg("id %s was added but is not held", id);
	}
	ingest_idfilter_free(f);
}

static void
test_idfilter__false_positives_at_room(void **state)
{
	uint64_t room = INGEST_IDFILTER_MIN_BITS / INGEST_IDFILTER_BITS_PER_ID;
	ingest_idfilter *f = NULL;
	size_t fp = 0, trials = 100000;
	char id[64];

	(void)state;
	assert_int_equal(ingest_idfilter_new(&f, room), 0);
	for (uint64_t i = 0; i < room; i++) {
		id_of("IIR", i, id, sizeof(id));
		ingest_idfilter_add(f, id, strlen(id));
	}
	assert_false(ingest_idfilter_full(f));
	for (size_t i = 0; i < trials; i++) {
		id_of("NEW", i, id, sizeof(id));
		fp += (size_t)ingest_idfilter_may_hold(f, id, strlen(id));
	}
	/* 16 bits an id and four probes: 0.24% expected; a filter that held
	 * nothing back (every id "held") or hashed badly fails this. */
	if (fp > trials / 200)
		fail_msg("%zu false positives in %zu (over 0.5%%)", fp, trials);
	id_of("IIR", room, id, sizeof(id));
	ingest_idfilter_add(f, id, strlen(id));
	assert_true(ingest_idfilter_full(f));
	ingest_idfilter_free(f);
}

static void
test_idfilter__sizes(void **state)
{
	uint64_t max_room = INGEST_IDFILTER_MAX_BITS / INGEST_IDFILTER_BITS_PER_ID;
	ingest_idfilter *f = NULL;
	char id[64];

	(void)state;
	/* Room for what it is asked: a filter for twice the smallest room is
	 * not full at 1.5 times it. */
	uint64_t room = INGEST_IDFILTER_MIN_BITS / INGEST_IDFILTER_BITS_PER_ID;
	assert_int_equal(ingest_idfilter_new(&f, 2 * room), 0);
	for (uint64_t i = 0; i < room + room / 2; i++) {
		id_of("IIR", i, id, sizeof(id));
		ingest_idfilter_add(f, id, strlen(id));
	}
	assert_false(ingest_idfilter_full(f));
	ingest_idfilter_free(f);
	/* At its largest it is never full, even past its room: it cannot be
	 * built larger, and only its false positives grow.  (Ids of 8 bytes,
	 * the counter itself: millions of them are quick.) */
	assert_int_equal(ingest_idfilter_new(&f, 4 * max_room), 0);
	for (uint64_t i = 0; i <= max_room; i++)
		ingest_idfilter_add(f, (const char *)&i, sizeof(i));
	assert_false(ingest_idfilter_full(f));
	for (uint64_t i = 0; i <= max_room; i += 997)
		assert_true(ingest_idfilter_may_hold(f, (const char *)&i, sizeof(i)));
	ingest_idfilter_free(f);
	/* One size below it, the same count is full. */
	assert_int_equal(ingest_idfilter_new(&f, max_room / 2), 0);
	for (uint64_t i = 0; i <= max_room / 2; i++)
		ingest_idfilter_add(f, (const char *)&i, sizeof(i));
	assert_true(ingest_idfilter_full(f));
	ingest_idfilter_free(f);
}

/* A filter built again because the one before is full is twice its size,
 * not four times: the store then holds one id more than the old room, and
 * the new room is half as many again as the store holds. */
static void
test_idfilter__built_again_twice_as_large(void **state)
{
	uint64_t room = INGEST_IDFILTER_MIN_BITS / INGEST_IDFILTER_BITS_PER_ID;
	ingest_idfilter *f = NULL, *g = NULL;

	(void)state;
	/* From the smallest filter to the largest, one build at a time. */
	assert_int_equal(ingest_idfilter_new(&f, room), 0);
	assert_int_equal(ingest_idfilter_bytes(f), INGEST_IDFILTER_MIN_BITS / 8);
	while (ingest_idfilter_bytes(f) < INGEST_IDFILTER_MAX_BITS / 8) {
		uint64_t held = ingest_idfilter_bytes(f) * 8 / INGEST_IDFILTER_BITS_PER_ID + 1;
		assert_int_equal(ingest_idfilter_new(&g, ingest_idfilter_room(held)), 0);
		assert_int_equal(ingest_idfilter_bytes(g), 2 * ingest_idfilter_bytes(f));
		/* and not full with what the store holds */
		assert_true(ingest_idfilter_room(held) * INGEST_IDFILTER_BITS_PER_ID <=
		    ingest_idfilter_bytes(g) * 8);
		ingest_idfilter_free(f);
		f = g;
	}
	/* Built over a million ids: 4 MiB; over three million: 8, the
	 * largest, which no count goes past. */
	ingest_idfilter_free(f);
	assert_int_equal(ingest_idfilter_new(&f, ingest_idfilter_room(1000000)), 0);
	assert_int_equal(ingest_idfilter_bytes(f), 4u << 20);
	ingest_idfilter_free(f);
	assert_int_equal(ingest_idfilter_new(&f, ingest_idfilter_room(3000000)), 0);
	assert_int_equal(ingest_idfilter_bytes(f), 8u << 20);
	ingest_idfilter_free(f);
	assert_int_equal(ingest_idfilter_new(&f, ingest_idfilter_room(100000000)), 0);
	assert_int_equal(ingest_idfilter_bytes(f), INGEST_IDFILTER_MAX_BITS / 8);
	ingest_idfilter_free(f);
}

/* Rent or buy: build once the lookups have cost what a scan would, never
 * before INGEST_IDFILTER_AFTER lookups, and sooner the dearer they are. */
static void
test_idfilter__built_when_lookups_have_cost_a_scan(void **state)
{
	const double scan = INGEST_IDFILTER_SCAN_S, mil = 1000000;

	(void)state;
	/* An empty or small store: after the first INGEST_IDFILTER_AFTER. */
	assert_false(ingest_idfilter_worth_building(0, INGEST_IDFILTER_AFTER - 1, 1.0, scan));
	assert_true(ingest_idfilter_worth_building(0, INGEST_IDFILTER_AFTER, 0.0, scan));
	assert_true(ingest_idfilter_worth_building(1000, INGEST_IDFILTER_AFTER, 512e-6, scan));
	/* A million ids (a 0.5 s scan): 66 us lookups build after ~7,600 of
	 * them; 2 us lookups only after 250,000. */
	assert_false(ingest_idfilter_worth_building(mil, 7000, 7000 * 66e-6, scan));
	assert_true(ingest_idfilter_worth_building(mil, 7600, 7600 * 66e-6, scan));
	assert_false(ingest_idfilter_worth_building(mil, 200000, 200000 * 2e-6, scan));
	assert_true(ingest_idfilter_worth_building(mil, 250000, 250000 * 2e-6, scan));
	/* A measured scan rate moves the point. */
	assert_true(ingest_idfilter_worth_building(mil, 7600, 7600 * 66e-6, scan / 2));
	assert_false(ingest_idfilter_worth_building(mil, 7600, 7600 * 66e-6, scan * 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idfilter__no_false_negatives),
		cmocka_unit_test(test_idfilter__false_positives_at_room),
		cmocka_unit_test(test_idfilter__sizes),
		cmocka_unit_test(test_idfilter__built_again_twice_as_large),
		cmocka_unit_test(test_idfilter__built_when_lookups_have_cost_a_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
