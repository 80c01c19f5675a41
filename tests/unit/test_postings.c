/*
 * tests/unit/test_postings.c - the posting block codec (ingest/postings.c).
 *
 * Random postings in block order encode and decode back to themselves, appended
 * to what the array already holds; a long block is cut into segments
 * between reports, and its first segments alone decode to its first
 * postings; every other truncation of a block, and a block whose postings
 * are out of order (within a segment or across two), is refused and leaves
 * the array as it was.  Values are drawn across the varint byte boundaries
 * (the decoder has a one-byte fast path).
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
		p[i].audience = 1;
	}
}

/* n postings in block order, of reports of 1 to 4 portions each (make()
 * may give one report most of them, which no segment can cut). */
static void
make_reports(ingest_posting *p, size_t n)
{
	uint64_t serial = 1000000 + rnd() % 1000;
	uint32_t date = 20991231, portion = 0;
	unsigned left = 0;

	for (size_t i = 0; i < n; i++) {
		if (left == 0) { /* a new report */
			left = 1 + (unsigned)(rnd() % 4);
			if (rnd() % 2)
				date -= 1 + (uint32_t)(rnd() % 40);
			serial -= 1 + rnd() % 200;
			portion = (uint32_t)(rnd() % 3);
		} else {
			portion += 1 + (uint32_t)(rnd() % 50);
		}
		left--;
		p[i].serial = serial;
		p[i].portion = portion;
		p[i].entry = (uint32_t)(1 + value() % 0xfffffffe);
		p[i].date = date;
		p[i].audience = 1;
	}
}

/* out[0..n) are want[0..n). */
static void
same_postings(const ingest_posting *out, const ingest_posting *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].serial, want[i].serial);
		assert_int_equal(out[i].portion, want[i].portion);
		assert_int_equal(out[i].entry, want[i].entry);
		assert_int_equal(out[i].date, want[i].date);
	}
}

/* Encode p[0..n) as a block with buffers of its own: the block, its
 * length in *len and its frames' ends in *ends (*nends), both malloc'd. */
static uint8_t *
encode_block(const ingest_posting *p, size_t n, size_t *len, uint32_t **ends, size_t *nends)
{
	uint8_t *block = NULL;
	size_t cap = 0, ecap = 0;
	lsn_err err;

	*ends = NULL;
	assert_int_equal(ingest_block_encode(p, n, NULL, &block, &cap, len, ends, &ecap, nends,
	    &err), 0);
	assert_true(cap >= *len && ecap >= *nends);
	return block;
}

/* Encode p[0..n) (n > 0, one audience) as a run: its bytes (malloc'd),
 * their length in *len and its segments' ends in *ends (*nends), as the
 * block ingest_block_encode makes holds them. */
static uint8_t *
encode(const ingest_posting *p, size_t n, size_t *len, uint32_t **ends, size_t *nends)
{
	size_t bl, nb, nr = 0, rcap = 0, f0;
	uint32_t *be;
	ingest_run_ref *r = NULL;
	uint8_t *b = encode_block(p, n, &bl, &be, &nb), *run;

	assert_int_equal(ingest_block_dir(b, bl, 1, &r, &rcap, &nr, &f0), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(be[0], f0); /* frame 0: the directory and inline runs */
	assert_int_equal(r[0].frames == 0, r[0].len <= INGEST_INLINE_RUN);
	assert_int_equal(nb, 1 + r[0].frames);
	*len = r[0].len;
	run = malloc(*len);
	memcpy(run, b + r[0].at, *len);
	*ends = malloc(nb * sizeof(**ends));
	*nends = 0;
	if (r[0].frames == 0)
		(*ends)[(*nends)++] = (uint32_t)*len;
	for (size_t i = 1; i < nb; i++)
		(*ends)[(*nends)++] = (uint32_t)(be[i] - r[0].at);
	free(r);
	free(b);
	free(be);
	return run;
}

static void
test_postings__roundtrip_appends(void **state)
{
	static ingest_posting a[1500], b[1500];
	ingest_posting *out = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t na = 1 + rnd() % (round % 4 ? 300 : 1500), nb = 1 + rnd() % 300, la, lb;
		size_t nea, neb;
		uint32_t *ea, *eb;
		uint8_t *ba, *bb;
		make(a, na);
		make(b, nb);
		ba = encode(a, na, &la, &ea, &nea);
		bb = encode(b, nb, &lb, &eb, &neb);
		assert_int_equal(ea[nea - 1], la);
		assert_int_equal(eb[neb - 1], lb);
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
		free(ea);
		free(eb);
	}
	free(out);
}

/* A block of more than INGEST_FRAME_POSTINGS postings is cut into
 * segments between reports; its first k segments alone (as a reader that
 * opened only the first k frames has them) decode to its first postings,
 * and each segment's head names its last posting and the block's lowest
 * serial is found from the heads. */
static void
test_postings__segments_cut_between_reports(void **state)
{
	static ingest_posting a[3000];
	ingest_posting *out = NULL;
	size_t cap = 0;

	(void)state;
	for (int round = 0; round < 20; round++) {
		size_t na = 1200 + rnd() % 1800, len, nends, n, from = 0;
		uint64_t total, lo, want_lo = UINT64_MAX;
		uint32_t *ends;
		uint8_t *block;
		make_reports(a, na);
		for (size_t i = 0; i < na; i++)
			want_lo = a[i].serial < want_lo ? a[i].serial : want_lo;
		block = encode(a, na, &len, &ends, &nends);
		assert_true(nends >= 2 && nends <= na / INGEST_FRAME_POSTINGS + 2);
		assert_int_equal(ingest_postings_info(block, len, &total, &lo), 0);
		assert_int_equal(total, na);
		assert_int_equal(lo, want_lo);
		for (size_t k = 0; k < nends; k++) {
			uint32_t ld;
			uint64_t ls;
			n = 0;
			assert_int_equal(ingest_postings_decode(block, ends[k], &out, &n, &cap), 0);
			assert_true(n >= (k + 1 < nends ? INGEST_FRAME_POSTINGS / 8 +
			    INGEST_FRAME_POSTINGS * k : na));
			assert_true(n == na || out[n - 1].serial != a[n].serial);
			same_postings(out, a, n);
			assert_int_equal(ingest_postings_last(block + from, ends[k] - from, &ld, &ls), 0);
			assert_int_equal(ld, a[n - 1].date);
			assert_int_equal(ls, a[n - 1].serial);
			from = ends[k];
		}
		free(block);
		free(ends);
	}
	free(out);
}

static int
cmp_posting(const void *a, const void *b)
{
	const ingest_posting *x = a, *y = b;

	return ingest_posting_before(x, y) ? -1 : ingest_posting_before(y, x);
}

/*
 * Block b[0..len), framed at ends[0..nends), holds p[0..n) (in answer
 * order, audiences set) as its directory says: a run per audience, in
 * audience order, each with exactly that audience's postings in order;
 * runs of at most INGEST_INLINE_RUN bytes inline in frame 0, the others a
 * frame per segment, each cut between reports and holding at least
 * INGEST_FRAME_POSTINGS postings but the last (the first, an eighth).
 */
static void
check_runs(const uint8_t *b, size_t len, const uint32_t *ends, size_t nends,
    const ingest_posting *p, size_t n)
{
	ingest_run_ref *r = NULL;
	ingest_posting *got = NULL, *pre = NULL;
	size_t nr = 0, rcap = 0, f0, cap = 0, pcap = 0, seen = 0, frame = 1;

	assert_int_equal(ingest_block_dir(b, len, 1, &r, &rcap, &nr, &f0), 0);
	assert_int_equal(ends[0], f0);
	for (size_t i = 0; i < nr; i++) {
		size_t k = 0, m = 0;
		if (i > 0)
			assert_true(r[i].audience > r[i - 1].audience);
		assert_int_equal(r[i].frames == 0, r[i].len <= INGEST_INLINE_RUN);
		assert_int_equal(ingest_postings_decode(b + r[i].at, r[i].len, &got, &k, &cap), 0);
		for (size_t j = 0; j < n; j++) /* that audience's postings, in order */
			if (p[j].audience == r[i].audience) {
				assert_true(m < k);
				assert_int_equal(got[m].serial, p[j].serial);
				assert_int_equal(got[m].portion, p[j].portion);
				assert_int_equal(got[m].entry, p[j].entry);
				assert_int_equal(got[m].date, p[j].date);
				m++;
			}
		assert_int_equal(m, k);
		assert_true(k > 0);
		seen += k;
		if (r[i].frames == 0)
			continue;
		assert_int_equal(r[i].frame, frame);
		assert_int_equal(r[i].date, got[0].date);
		assert_int_equal(r[i].serial, got[0].serial);
		/* its frames: segments cut between reports */
		size_t from = r[i].at, before = 0;
		for (uint32_t f = 0; f < r[i].frames; f++) {
			size_t c = 0;
			uint32_t ld;
			uint64_t ls;
			assert_true(frame + f < nends);
			assert_int_equal(ingest_postings_decode(b + r[i].at, ends[frame + f] - r[i].at,
			    &pre, &c, &pcap), 0);
			assert_int_equal(ingest_postings_last(b + from, ends[frame + f] - from, &ld,
			    &ls), 0);
			assert_int_equal(ls, got[c - 1].serial);
			assert_int_equal(ld, got[c - 1].date);
			if (f + 1 < r[i].frames) {
				assert_true(c - before >= (f == 0 ? INGEST_FRAME_POSTINGS / 8 :
				    INGEST_FRAME_POSTINGS));
				assert_true(got[c].serial != got[c - 1].serial);
			} else {
				assert_int_equal(c, k);
			}
			before = c;
			from = ends[frame + f];
		}
		assert_int_equal(from, r[i].at + r[i].len);
		frame += r[i].frames;
	}
	assert_int_equal(frame, nends);
	assert_int_equal(seen, n);
	free(r);
	free(got);
	free(pre);
}

/* The runs of block b[0..len), one after the other as a query reads
 * them, decode to p[0..n): reports in order, a report's portions all
 * there (in any order). */
static void
runs_decode_as(const uint8_t *b, size_t len, const ingest_posting *p, size_t n)
{
	ingest_run_ref *r = NULL;
	ingest_posting *got = NULL;
	size_t nr = 0, rcap = 0, f0, cap = 0, k = 0, at = 0;
	uint8_t *buf = malloc(len);
	uint32_t *end;

	assert_int_equal(ingest_block_dir(b, len, 1, &r, &rcap, &nr, &f0), 0);
	end = malloc((nr ? nr : 1) * sizeof(*end));
	for (size_t i = 0; i < nr; i++) {
		memcpy(buf + at, b + r[i].at, r[i].len);
		at += r[i].len;
		end[i] = (uint32_t)at;
	}
	assert_int_equal(ingest_runs_decode(buf, end, nr, &got, &k, &cap), 0);
	assert_int_equal(k, n);
	for (size_t i = 0; i < n;) {
		size_t j = i, m;
		while (j < n && p[j].serial == p[i].serial)
			j++;
		for (m = i; m < j; m++) { /* report p[i]'s postings, in any order */
			size_t x;
			assert_int_equal(got[m].serial, p[i].serial);
			assert_int_equal(got[m].date, p[i].date);
			for (x = i; x < j && p[x].portion != got[m].portion; x++)
				;
			assert_true(x < j);
			assert_int_equal(got[m].entry, p[x].entry);
		}
		i = j;
	}
	free(r);
	free(got);
	free(buf);
	free(end);
}

/* Postings of many audiences: a run each, and back whole in answer order. */
static void
test_postings__runs_by_audience(void **state)
{
	static ingest_posting a[4000];
	ingest_posting *out = NULL;
	size_t cap = 0;

	(void)state;
	for (int round = 0; round < 60; round++) {
		size_t na = 1 + rnd() % (round % 3 ? 60 : 4000), len, nends, n = 0;
		unsigned nauds = 1 + (unsigned)(rnd() % (round % 2 ? 40 : 100));
		uint32_t *ends;
		uint8_t *block;
		make_reports(a, na);
		for (size_t i = 0; i < na; i++) /* small numbers, or (every fifth
						  * round) beyond the encoder's array */
			a[i].audience = (round % 5 == 4 ? 0xfff00000u : 1) +
			    (uint32_t)(rnd() % nauds) * 7;
		block = encode_block(a, na, &len, &ends, &nends);
		check_runs(block, len, ends, nends, a, na);
		assert_int_equal(ingest_block_decode(block, len, &out, &n, &cap), 0);
		assert_int_equal(n, na);
		same_postings(out, a, na);
		for (size_t i = 0; i < na; i++)
			assert_int_equal(out[i].audience, a[i].audience);
		runs_decode_as(block, len, a, na);
		/* Truncated anywhere, or with a byte more, it is refused. */
		for (size_t cut = 0; cut < len; cut += 1 + rnd() % 97) {
			n = 3;
			assert_int_equal(ingest_block_decode(block, cut, &out, &n, &cap), LSN_EINPUT);
			assert_int_equal(n, 3);
		}
		free(block);
		free(ends);
	}
	/* A posting without an audience is not written. */
	ingest_posting none = { 5, 0, 1, 20240101, 0 };
	uint8_t *b = NULL;
	uint32_t *e = NULL;
	size_t bl, bc = 0, ec = 0, ne;
	lsn_err err;
	assert_int_equal(ingest_block_encode(&none, 1, NULL, &b, &bc, &bl, &e, &ec, &ne, &err),
	    LSN_EINTERNAL);
	free(b);
	free(e);
	free(out);
}

/* Blocks of reports with distinct serials (as of distinct batches) merge
 * into one block of all their postings in block order, cut into segments
 * as the encoder cuts them; blocks that share a report are refused. */
static void
test_postings__merge_blocks(void **state)
{
	static ingest_posting all[6400], part[16][400];
	ingest_posting *out = NULL;
	size_t cap = 0;
	lsn_err err;

	(void)state;
	for (int round = 0; round < 30; round++) {
		size_t k = 1 + rnd() % 16, total = 0, np[16], lens[16], len = 0, bcap = 0;
		size_t nends = 0, ecap = 0, n = 0;
		uint8_t *blocks[16], *merged = NULL;
		uint32_t *ends = NULL, *e;
		make_reports(all, 400 * k);
		/* Deal the reports out to k blocks, each keeping block order. */
		for (size_t i = 0; i < k; i++)
			np[i] = 0;
		for (size_t i = 0, to = 0; i < 400 * k; i++) {
			if (i == 0 || all[i].serial != all[i - 1].serial)
				to = rnd() % k;
			if (np[to] < 400)
				part[to][np[to]++] = all[i];
			else
				while (i + 1 < 400 * k && all[i + 1].serial == all[i].serial)
					i++; /* that block is full: the report is left out */
		}
		for (size_t i = 0; i < k; i++) {
			size_t ne;
			for (size_t j = 0; j < np[i]; j++) /* an audience per entry */
				part[i][j].audience = 1 + part[i][j].entry % 5;
			blocks[i] = encode_block(part[i], np[i], &lens[i], &e, &ne);
			free(e);
			total += np[i];
		}
		assert_int_equal(ingest_block_merge((const uint8_t *const *)blocks, lens, k, NULL, &merged,
		    &bcap, &len, &ends, &ecap, &nends, &err), 0);
		assert_int_equal(ends[nends - 1], len);
		assert_int_equal(ingest_block_decode(merged, len, &out, &n, &cap), 0);
		assert_int_equal(n, total);
		/* The same postings as all the blocks', sorted. */
		size_t m = 0;
		for (size_t i = 0; i < k; i++)
			for (size_t j = 0; j < np[i]; j++)
				all[m++] = part[i][j];
		qsort(all, m, sizeof(*all), cmp_posting);
		same_postings(out, all, n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i].audience, 1 + out[i].entry % 5);
		check_runs(merged, len, ends, nends, all, m);
		if (k > 1) { /* a report in two blocks */
			const uint8_t *twice[2] = { blocks[0], blocks[0] };
			size_t tl[2] = { lens[0], lens[0] };
			assert_int_equal(ingest_block_merge(twice, tl, 2, NULL, &merged, &bcap, &len, &ends,
			    &ecap, &nends, &err), LSN_EINPUT);
		}
		for (size_t i = 0; i < k; i++)
			free(blocks[i]);
		free(merged);
		free(ends);
	}
	free(out);
}

/* Merged blocks are the blocks the encoder makes of all their postings,
 * byte for byte, whether an audience's runs are few postings or many,
 * alone (copied) or not (merged); and an empty block merges as the
 * encoder writes one of no postings.  Blocks that share a report are
 * refused. */
static void
test_postings__merge_is_the_encoders_block(void **state)
{
	static ingest_posting all[16 * 300], part[16][300];
	lsn_err err;

	(void)state;
	for (int round = 0; round < 300; round++) {
		/* Few postings an audience (small runs), or many (the tournament),
		 * or a mix; 2 to 16 blocks. */
		size_t k = 2 + rnd() % 15, per = round % 3 == 0 ? 300 : 1 + rnd() % 40, total = 0;
		size_t np[16], lens[16], len = 0, bcap = 0, nends = 0, ecap = 0, wlen, wn;
		unsigned nauds = 1 + (unsigned)(rnd() % (round % 3 == 1 ? 3 : 30));
		uint8_t *blocks[16], *merged = NULL, *want;
		uint32_t *ends = NULL, *e, *wends;
		make_reports(all, per * k);
		for (size_t i = 0; i < k; i++)
			np[i] = 0;
		for (size_t i = 0, to = 0; i < per * k; i++) {
			if (i == 0 || all[i].serial != all[i - 1].serial)
				to = rnd() % k;
			all[i].audience = 1 + (uint32_t)(rnd() % nauds);
			if (np[to] < per)
				part[to][np[to]++] = all[i];
		}
		for (size_t i = 0; i < k; i++) {
			size_t ne;
			blocks[i] = encode_block(part[i], np[i], &lens[i], &e, &ne);
			free(e);
			for (size_t j = 0; j < np[i]; j++)
				all[total++] = part[i][j];
		}
		assert_int_equal(ingest_block_merge((const uint8_t *const *)blocks, lens, k, NULL,
		    &merged, &bcap, &len, &ends, &ecap, &nends, &err), 0);
		qsort(all, total, sizeof(*all), cmp_posting);
		want = encode_block(all, total, &wlen, &wends, &wn);
		assert_int_equal(len, wlen);
		assert_memory_equal(merged, want, len);
		assert_int_equal(nends, wn);
		assert_memory_equal(ends, wends, nends * sizeof(*ends));
		/* The same blocks twice: every report in two of them. */
		const uint8_t *twice[2] = { blocks[0], blocks[0] };
		size_t tl[2] = { lens[0], lens[0] };
		if (np[0] > 0)
			assert_int_equal(ingest_block_merge(twice, tl, 2, NULL, &merged, &bcap, &len,
			    &ends, &ecap, &nends, &err), LSN_EINPUT);
		for (size_t i = 0; i < k; i++)
			free(blocks[i]);
		free(want);
		free(wends);
		free(merged);
		free(ends);
	}
	/* No postings: a block of no runs (the encoder crashed on it). */
	ingest_posting *out = NULL;
	size_t len, nends, n = 0, cap = 0;
	uint32_t *ends;
	uint8_t *empty = encode_block(all, 0, &len, &ends, &nends);
	assert_int_equal(ingest_block_decode(empty, len, &out, &n, &cap), 0);
	assert_int_equal(n, 0);
	/* Two inline runs of no postings each (which the encoder never
	 * writes): refused; they were interleaved from a NULL array
	 * (undefined behaviour, found by helper-27's fuzzing). */
	static const uint8_t hollow[] = { 0x02, 0x43, 0x00, 0x01, 0x33, 0x00, 0x01, 0x00, 0x00 };
	assert_int_equal(ingest_block_decode(hollow, sizeof(hollow), &out, &n, &cap), LSN_EINPUT);
	free(empty);
	free(ends);
	free(out);
}

/* Two segments, each in order, whose reports are not in order across them
 * are refused; so is a segment whose head names another last posting. */
static void
test_postings__order_across_segments(void **state)
{
	ingest_posting a[2] = { { 9, 0, 1, 20240102, 1 }, { 8, 0, 1, 20240101, 1 } };
	ingest_posting *out = NULL;
	uint8_t buf[64];
	size_t l0, l1, n = 0, cap = 0, ne;
	uint32_t *e0, *e1;
	uint8_t *s0 = encode(&a[0], 1, &l0, &e0, &ne), *s1 = encode(&a[1], 1, &l1, &e1, &ne);

	(void)state;
	memcpy(buf, s0, l0);
	memcpy(buf + l0, s1, l1);
	assert_int_equal(ingest_postings_decode(buf, l0 + l1, &out, &n, &cap), 0);
	assert_int_equal(n, 2);
	memcpy(buf, s1, l1);
	memcpy(buf + l1, s0, l0);
	n = 0;
	assert_int_equal(ingest_postings_decode(buf, l0 + l1, &out, &n, &cap), LSN_EINPUT);
	memcpy(buf, s0, l0);
	memcpy(buf + l0, s0, l0); /* report 9 twice */
	assert_int_equal(ingest_postings_decode(buf, 2 * l0, &out, &n, &cap), LSN_EINPUT);
	/* s0's head: n 1, base 9, last date, last serial - base (0), length */
	memcpy(buf, s0, l0);
	buf[1 + 1 + 4] = 1; /* last serial 10 */
	assert_int_equal(ingest_postings_decode(buf, l0, &out, &n, &cap), LSN_EINPUT);
	assert_int_equal(n, 0);
	free(s0);
	free(s1);
	free(e0);
	free(e1);
	free(out);
}

static void
test_postings__every_truncation_refused(void **state)
{
	static ingest_posting a[1100];
	ingest_posting *out = NULL;
	size_t n, cap = 0, len, nends;
	uint32_t *ends;
	uint8_t *block;

	(void)state;
	make_reports(a, 1100);
	block = encode(a, 1100, &len, &ends, &nends);
	assert_true(nends >= 2);
	for (size_t cut = 0, k = 0; cut < len; cut++) {
		int whole = k < nends && cut == ends[k]; /* the first k + 1 segments */
		n = 7; /* what the array held before */
		assert_int_equal(ingest_postings_decode(block, cut, &out, &n, &cap),
		    whole ? 0 : LSN_EINPUT);
		if (whole)
			assert_true(n > 7 + (k++) * INGEST_FRAME_POSTINGS);
		else
			assert_int_equal(n, 7);
	}
	free(block);
	free(ends);
	free(out);
}

/* Blocks are written in answer order (newest report first, a report's
 * portions rising); the query relies on it without sorting, so the decoder
 * refuses one that is not, and the encoder will not write one. */
static void
test_postings__unsorted_block_refused(void **state)
{
	/* A segment's head, then (r 1: serial 5, date 20240101, portion 3,
	 * entry 1), then a second posting: */
#define D 0xe5, 0xad, 0xd3, 0x09 /* 20240101 */
#define FIRST 1, D, 3, 1
	/* count, base 5, last date and serial - 5, length of the rest */
	uint8_t repeat[] = { 2, 5, D, 0, 10, FIRST, 0, 3, 1 };   /* portion 3 again */
	uint8_t back[] = { 2, 5, D, 0, 10, FIRST, 0, 2, 1 };     /* portion 2 */
	uint8_t older_serial[] = { 2, 5, D, 1, 11, FIRST, 2, 0, 1, 1 }; /* same date, serial 6 */
	uint8_t same_serial[] = { 2, 5, D, 0, 11, FIRST, 1, 0, 4, 1 };  /* serial 5 again */
	uint8_t newer[] = { 2, 5, 0, 1, 8, 1, 5, 3, 1, 2, 6, 1, 1 }; /* date 5, then 5 - 6 */
	uint8_t no_report[] = { 1, 5, 0, 0, 3, 0, 3, 1 };        /* continues nothing */
	uint8_t fine[] = { 2, 5, D, 0, 10, FIRST, 0, 4, 1 };
	uint8_t fine2[] = { 2, 5, D, 0, 11, 3, D, 3, 1, 1, 0, 0, 1 };
#undef FIRST
#undef D
	ingest_posting *out = NULL, bad[2] = { { 5, 3, 1, 20240101, 1 },
		{ 6, 0, 1, 20240101, 1 } };
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
	uint32_t *ends = NULL;
	size_t bcap = 0, ecap = 0, nends;
	assert_int_equal(ingest_block_encode(bad, 2, NULL, &block, &bcap, &len, &ends, &ecap,
	    &nends, &err), LSN_EINTERNAL);
	bad[1].serial = 4;
	assert_int_equal(ingest_block_encode(bad, 2, NULL, &block, &bcap, &len, &ends, &ecap,
	    &nends, &err), 0);
	assert_int_equal(ingest_block_decode(block, len, &out, &n, &cap), 0);
	assert_int_equal(n, 6);
	assert_int_equal(out[5].serial, 4);
	bad[1].serial = 5;
	assert_int_equal(ingest_block_encode(bad, 2, NULL, &block, &bcap, &len, &ends, &ecap,
	    &nends, &err), LSN_EINTERNAL);
	bad[1].portion = 4;
	assert_int_equal(ingest_block_encode(bad, 2, NULL, &block, &bcap, &len, &ends, &ecap,
	    &nends, &err), 0);
	assert_int_equal(ingest_block_decode(block, len, &out, &n, &cap), 0);
	assert_int_equal(n, 8);
	assert_int_equal(out[7].portion, 4);
	free(block);
	free(ends);
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
		cmocka_unit_test(test_postings__segments_cut_between_reports),
		cmocka_unit_test(test_postings__order_across_segments),
		cmocka_unit_test(test_postings__runs_by_audience),
		cmocka_unit_test(test_postings__merge_blocks),
		cmocka_unit_test(test_postings__merge_is_the_encoders_block),
		cmocka_unit_test(test_postings__every_truncation_refused),
		cmocka_unit_test(test_postings__unsorted_block_refused),
		cmocka_unit_test(test_postings__empty_block_into_nothing),
	};

	return cmocka_run_group_tests_name("postings", tests, NULL, NULL);
}
