/*
 * ingest/idfilter.c - the ids a store holds, as a Bloom filter (ingest.h).
 *
 * Ingest checks every report's id against the store before storing it (a
 * duplicate is a no-op, a clash is refused).  Ids come in any order, so
 * each check is a lookup on a random leaf of the id index, and at a million
 * reports that leaf is rarely still mapped: the check was a third of the
 * writer's time (a page fault each, on this VM's slow paging).  Almost every
 * id of a bulk ingest is new, and a filter says so from memory: only an id
 * it may hold (a real duplicate, or one false positive in a few hundred) is
 * looked up.  A Bloom filter has no false negatives, so a duplicate is
 * never missed.
 *
 * Four probes from one 64-bit hash (h1 + i h2, Kirsch and Mitzenmacher),
 * seeded at random per process, so ids chosen to collide cost lookups,
 * never a wrong answer.  16 bits an id give about 0.24% false positives;
 * a filter is full beyond that and is then built again, twice as large,
 * up to INGEST_IDFILTER_MAX_BITS (8 MiB), past which it only fills up:
 * 2 MiB up to about a million ids, 4 up to two, 8 from there.  At 16 MiB
 * (until 2026-12-07), built past 4.2 million ids, it took a 5,000,000-report
 * ingest's peak from 237 to 255 MiB (the 16 MiB came from new heap);
 * at 8 MiB its false positives, each an id looked up in the store, are
 * 0.4% at 5 million ids, 2% at 8, 4% at 10.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

struct ingest_idfilter {
	uint64_t *bits;
	uint64_t mask; /* bit count - 1, a power of two less one */
	uint64_t n;    /* ids added */
};

int
ingest_idfilter_new(ingest_idfilter **out, uint64_t ids)
{
	ingest_idfilter *f = calloc(1, sizeof(*f));
	uint64_t nbits = INGEST_IDFILTER_MIN_BITS;

	*out = NULL;
	while (nbits < INGEST_IDFILTER_MAX_BITS && nbits / INGEST_IDFILTER_BITS_PER_ID < ids)
		nbits *= 2;
	if (f == NULL || (f->bits = lsn_table_alloc(nbits / 64, sizeof(uint64_t))) == NULL) {
		free(f);
		return LSN_EINTERNAL;
	}
	f->mask = nbits - 1;
	*out = f;
	return 0;
}

void
ingest_idfilter_free(ingest_idfilter *f)
{
	if (f == NULL)
		return;
	free(f->bits);
	free(f);
}

void
ingest_idfilter_add(ingest_idfilter *f, const char *id, size_t len)
{
	uint64_t h = lsn_hash64(id, len), h2 = (h >> 32) | 1;

	for (unsigned i = 0; i < INGEST_IDFILTER_PROBES; i++) {
		uint64_t b = (h + i * h2) & f->mask;
		f->bits[b >> 6] |= 1ULL << (b & 63);
	}
	f->n++;
}

int
ingest_idfilter_may_hold(const ingest_idfilter *f, const char *id, size_t len)
{
	uint64_t h = lsn_hash64(id, len), h2 = (h >> 32) | 1;

	for (unsigned i = 0; i < INGEST_IDFILTER_PROBES; i++) {
		uint64_t b = (h + i * h2) & f->mask;
		if (!(f->bits[b >> 6] & (1ULL << (b & 63))))
			return 0;
	}
	return 1;
}

int
ingest_idfilter_full(const ingest_idfilter *f)
{
	return f->mask + 1 < INGEST_IDFILTER_MAX_BITS &&
	    f->n > (f->mask + 1) / INGEST_IDFILTER_BITS_PER_ID;
}

/*
 * Rent or buy: look ids up one by one until the time spent on them reaches
 * what reading the whole id index would cost, then build.  The price of a
 * lookup is what decides, and it varies a hundredfold: 66 us at a million
 * reports when the index's leaves are not mapped (a page fault each, on
 * this VM), a few when they are; a build read 1M ids in 0.49-0.54 s.  A
 * fixed count (build after stored/32 lookups, until 2026-12-04) made a
 * 30,000-report run into a 1M store look up every id: a third of its
 * writer's time.  Never more than twice the cheaper choice's cost.
 */
int
ingest_idfilter_worth_building(uint64_t stored, uint64_t lookups, double lookup_s,
    double scan_s_per_id)
{
	return lookups >= INGEST_IDFILTER_AFTER && lookup_s >= (double)stored * scan_s_per_id;
}

static int
add_id(void *ctx, const char *id, size_t len)
{
	ingest_idfilter_add(ctx, id, len);
	return 0;
}

/*
 * Half as many again as the store holds, at least: the run adds to it.  A
 * filter is built again when it is full, so a store holds one more id
 * than the room of the filter before; sized for twice that, the new one
 * was four times as large, not two (8 MiB from 1,048,577 ids, where 4
 * do until 2,097,152).
 */
uint64_t
ingest_idfilter_room(uint64_t stored)
{
	return stored + stored / 2 + 1;
}

size_t
ingest_idfilter_bytes(const ingest_idfilter *f)
{
	return (size_t)((f->mask + 1) / 8);
}

int
ingest_idfilter_build(ingest_idfilter **out, store_snap *sn, lsn_err *err)
{
	int rc = ingest_idfilter_new(out, ingest_idfilter_room(store_record_count(sn)));

	if (rc != 0)
		return lsn_fail(err, rc, "out of memory");
	if ((rc = store_report_ids(sn, add_id, *out, err)) != 0) {
		ingest_idfilter_free(*out);
		*out = NULL;
	}
	return rc;
}
