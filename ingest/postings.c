/*
 * ingest/postings.c - the posting block codec (ingest.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	if (v < 0x80) { /* most fields: one byte */
		*p = (uint8_t)v;
		return 1;
	}
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

size_t ingest__frame_postings = INGEST_FRAME_POSTINGS;

/* A run's first segment: an eighth of the others (ingest.h). */
static inline size_t
first_segment(size_t fp)
{
	return fp >= 8 ? fp / 8 : 1;
}

/* Encode p[0..n) (whole reports) as one segment at q, which has room for
 * SEGMENT_HEAD + 30 n bytes; returns its end.  The postings are written
 * first, after room for the head, and moved up to it once their length is
 * known. */
#define SEGMENT_HEAD 50 /* five varints */
static uint8_t *
put_segment(uint8_t *q, const ingest_posting *p, size_t n)
{
	uint64_t base = UINT64_MAX;
	uint8_t head[SEGMENT_HEAD], *body = q + SEGMENT_HEAD, *w = body;
	size_t hl = 0;

	for (size_t i = 0; i < n; i++)
		base = p[i].serial < base ? p[i].serial : base;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || p[i].serial != p[i - 1].serial) {
			w += put_varint(w, 1 + (p[i].serial - base));
			w += put_varint(w, i == 0 ? p[i].date : p[i - 1].date - p[i].date);
		} else {
			*w++ = 0;
		}
		w += put_varint(w, p[i].portion);
		w += put_varint(w, p[i].entry);
	}
	hl += put_varint(head + hl, n);
	hl += put_varint(head + hl, base);
	hl += put_varint(head + hl, p[n - 1].date);
	hl += put_varint(head + hl, p[n - 1].serial - base);
	hl += put_varint(head + hl, (uint64_t)(w - body));
	memcpy(q, head, hl);
	memmove(q + hl, body, (size_t)(w - body));
	return q + hl + (w - body);
}

/* Room for `more` bytes after *len in *buf (grown by doubling). */
static int
room(uint8_t **buf, size_t *cap, size_t len, size_t more)
{
	size_t c = *cap ? *cap : 4096;
	uint8_t *nb;

	if (*buf != NULL && *cap - len >= more)
		return 0;
	while (c - len < more)
		c *= 2;
	if ((nb = malloc(c)) == NULL)
		return -1;
	if (len)
		memcpy(nb, *buf, len);
	lsn_wipe_free(*buf, *cap);
	*buf = nb;
	*cap = c;
	return 0;
}

/* Room for one more end in *ends. */
static int
end_room(uint32_t **ends, size_t *ends_cap, size_t nends)
{
	size_t ec = *ends_cap ? 2 * *ends_cap : 16;
	uint32_t *ne;

	if (*ends != NULL && nends < *ends_cap)
		return 0;
	if ((ne = realloc(*ends, ec * sizeof(*ne))) == NULL)
		return -1;
	*ends = ne;
	*ends_cap = ec;
	return 0;
}

/*
 * A merge's order as one 128-bit number: a cursor's next report (date,
 * then serial: newest greatest), with bit 96 set while the cursor has
 * postings; 0 once it is done, after every report.
 */
__extension__ typedef unsigned __int128 mkey;

static inline mkey
mkey_of(const ingest_posting *p)
{
	return (mkey)((uint64_t)1 << 32 | p->date) << 64 | p->serial;
}

/*
 * The merge is a tournament (a loser tree) over the cursors, padded to m
 * leaves, a power of two: node i (1 to m-1) holds the loser of the match
 * between its children's winners, key and cursor, and win / wkey the
 * overall winner.  A new next report of the winner plays once per level
 * back to the root: log2(m) comparisons, against about twice as many,
 * with less predictable branches, for sifting a binary heap (measured:
 * 16 blocks merged at 38 ns a posting with a heap).  Each node keeps its
 * loser's key beside it, so that a level is one load, not a load of the
 * loser's cursor and then of its key.
 */
#define MERGE_MAXIN 64
struct ltree {
	size_t m, win;
	mkey wkey;
	mkey key[MERGE_MAXIN];
	size_t who[MERGE_MAXIN];
};

static void
tree_build(struct ltree *t, size_t m, const mkey *leaf)
{
	size_t win[2 * MERGE_MAXIN];

	t->m = m;
	for (size_t i = 0; i < m; i++)
		win[m + i] = i;
	for (size_t i = m - 1; i >= 1; i--) {
		size_t a = win[2 * i], b = win[2 * i + 1];
		int bw = leaf[b] > leaf[a];
		win[i] = bw ? b : a;
		t->who[i] = bw ? a : b;
		t->key[i] = leaf[t->who[i]];
	}
	t->win = win[1];
	t->wkey = leaf[win[1]];
}

/* The winner's cursor moved on to key k: play it back to the root. */
static inline void
tree_replay(struct ltree *t, mkey k)
{
	size_t w = t->win;

	for (size_t node = (t->m + w) >> 1; node >= 1; node >>= 1) {
		mkey lk = t->key[node];
		size_t l = t->who[node];
		int lw = lk > k;
		/* the pair swapped when the loser wins, without a branch */
		t->key[node] = lw ? k : lk;
		t->who[node] = lw ? w : l;
		k = lw ? lk : k;
		w = lw ? l : w;
	}
	t->win = w;
	t->wkey = k;
}

/* Merge runs[0..n) (at most 64, their reports distinct) into one run
 * appended at *len of *buf, its segments' ends appended to *ends. */
static int
merge_runs(const uint8_t *const *blocks, const size_t *lens, size_t n,
    uint8_t **buf, size_t *cap, size_t *len, uint32_t **ends, size_t *ends_cap, size_t *nends,
    ingest_posting **segp, size_t *segcapp, ingest_posting *first, lsn_err *err)
{
	enum { MAXIN = MERGE_MAXIN };
	ingest_postings_cursor c[MAXIN];
	ingest_posting cur[MAXIN], *seg = *segp;
	mkey key[MAXIN];
	struct ltree tree;
	size_t m = 1;
	size_t fp = ingest__frame_postings ? ingest__frame_postings : 1, nseg = 0, segcap = *segcapp;
	uint64_t last = 0;
	int rc = 0, r = 0;
	size_t e0 = *nends;

	if (n > MAXIN)
		return lsn_fail(err, LSN_EINTERNAL, "too many blocks to merge");
	while (m < n)
		m <<= 1;
	for (size_t i = 0; i < m; i++) {
		key[i] = 0;
		if (i >= n)
			continue;
		if (ingest_postings_begin(&c[i], blocks[i], lens[i]) != 0 ||
		    (r = ingest_postings_next(&c[i], &cur[i])) < 0)
			return lsn_fail(err, LSN_EINPUT, "a malformed posting block to merge");
		if (r == 1)
			key[i] = mkey_of(&cur[i]);
	}
	tree_build(&tree, m, key);
	if (tree.wkey != 0)
		*first = cur[tree.win];
	/* A report at a time: the newest among the blocks' next, all its
	 * postings (one block holds them), then the winner's next plays. */
	while (tree.wkey != 0 && rc == 0) {
		size_t b = tree.win;
		uint64_t serial = cur[b].serial;
		if (serial == last) {
			rc = lsn_fail(err, LSN_EINPUT, "posting blocks to merge share a report");
			break;
		}
		/* A segment is written once it is long enough and a report ends. */
		if (nseg >= (*nends > e0 ? fp : first_segment(fp))) {
			if (room(buf, cap, *len, SEGMENT_HEAD + nseg * 30) != 0 ||
			    end_room(ends, ends_cap, *nends) != 0) {
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
				break;
			}
			*len = (size_t)(put_segment(*buf + *len, seg, nseg) - *buf);
			(*ends)[(*nends)++] = (uint32_t)*len;
			nseg = 0;
		}
		do {
			if (nseg == segcap) {
				size_t sc = segcap ? 2 * segcap : fp + 64;
				ingest_posting *ns = malloc(sc * sizeof(*ns));
				if (ns == NULL) {
					rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
					break;
				}
				if (nseg > 0)
					memcpy(ns, seg, nseg * sizeof(*ns));
				lsn_wipe_free(seg, segcap * sizeof(*seg));
				seg = ns;
				segcap = sc;
			}
			seg[nseg++] = cur[b];
			if ((r = ingest_postings_next(&c[b], &cur[b])) < 0)
				rc = lsn_fail(err, LSN_EINPUT, "a malformed posting block to merge");
		} while (rc == 0 && r == 1 && cur[b].serial == serial);
		last = serial;
		tree_replay(&tree, r == 1 ? mkey_of(&cur[b]) : 0);
	}
	if (rc == 0 && nseg > 0) {
		if (room(buf, cap, *len, SEGMENT_HEAD + nseg * 30) != 0 ||
		    end_room(ends, ends_cap, *nends) != 0) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		} else {
			*len = (size_t)(put_segment(*buf + *len, seg, nseg) - *buf);
			(*ends)[(*nends)++] = (uint32_t)*len;
		}
	}
	*segp = seg; /* kept for the next run, wiped with the scratch */
	*segcapp = segcap;
	return rc;
}

int
ingest_postings_info(const uint8_t *block, size_t len, uint64_t *n, uint64_t *lo)
{
	const uint8_t *p = block, *end = block + len, *seg_end;

	*n = 0;
	*lo = UINT64_MAX;
	do {
		uint64_t k, base, ls;
		uint32_t ld;
		if (ingest__segment(&p, end, &k, &base, &ld, &ls, &seg_end) != 0)
			return LSN_EINPUT;
		if (k > 0 && base < *lo)
			*lo = base;
		*n += k;
		p = seg_end;
	} while (p < end);
	return 0;
}

int
ingest_postings_last(const uint8_t *frame, size_t len, uint32_t *date, uint64_t *serial)
{
	const uint8_t *p = frame, *seg_end;
	uint64_t n, base;

	if (ingest__segment(&p, frame + len, &n, &base, date, serial, &seg_end) != 0 ||
	    n == 0 || seg_end != frame + len)
		return LSN_EINPUT;
	return 0;
}

int
ingest_postings_decode(const uint8_t *block, size_t len, ingest_posting **out,
    size_t *nout, size_t *cap)
{
	ingest_postings_cursor c;
	ingest_posting *o, tail;
	uint64_t total, lo;

	if (ingest_postings_info(block, len, &total, &lo) != 0 ||
	    ingest_postings_begin(&c, block, len) != 0)
		return LSN_EINPUT;
	if (total == 0) /* nothing to append (and *out may still be NULL) */
		return c.p == c.end ? 0 : LSN_EINPUT;
	if (*nout + total > *cap) { /* room for all of them, once */
		size_t cap2 = *cap ? *cap : 256;
		while (cap2 < *nout + total)
			cap2 *= 2;
		/* The callers wipe what they read (opened index content): so
		 * is the copy a growth leaves behind. */
		if ((o = lsn_wipe_realloc(*out, *cap * sizeof(*o), cap2 * sizeof(*o))) == NULL)
			return LSN_EINTERNAL;
		*out = o;
		*cap = cap2;
	}
	/* Straight into the array, appended only once the block is whole. */
	o = *out + *nout;
	size_t n = 0;
	while (n < total && ingest_postings_next(&c, &o[n]) == 1)
		o[n++].audience = 0;
	if (n < total || ingest_postings_next(&c, &tail) != 0) /* and no more */
		return LSN_EINPUT;
	*nout += n;
	return 0;
}

/* ---- blocks: a directory, then a run of postings per audience ---- */

/* A run while a block is put together: its bytes at t->b + at, the ends
 * of its segments t->e[e0 .. e0 + ne) (offsets in t->b), its first
 * posting. */
struct brun {
	uint32_t aud, date;
	uint64_t serial;
	size_t at, len, e0, ne;
};

/* Runs being put together (ingest_block_scratch's part). */
struct bscratch {
	uint8_t *b;
	size_t cap, len;
	uint32_t *e;
	size_t ecap, ne;
	struct brun *r;
	size_t rcap, nr;
};

struct ingest_block_scratch {
	struct bscratch t;
	uint32_t *aud;       /* a block's audiences, ascending */
	size_t *at;          /* and where each one's postings go in g */
	size_t acap;
	ingest_posting *g;   /* the postings grouped by audience */
	size_t gcap;
	/* By audience number (entry numbers are small and dense): mark[a] is
	 * gen when a is among this block's, ix[a] its index then. */
	uint32_t *mark, *ix;
	size_t mcap;
	uint32_t gen;
	ingest_posting *seg; /* a merge's segment being put together */
	size_t segcap;
	/* A merge's blocks' directories (ingest_block_merge), kept for the
	 * next: a merge reads one for each of a term's blocks. */
	ingest_run_ref *dir[MERGE_MAXIN];
	size_t dircap[MERGE_MAXIN];
};

ingest_block_scratch *
ingest_block_scratch_new(void)
{
	return calloc(1, sizeof(ingest_block_scratch));
}

void
ingest_block_scratch_free(ingest_block_scratch *x)
{
	if (x == NULL)
		return;
	lsn_wipe_free(x->t.b, x->t.cap);
	free(x->t.e);
	lsn_wipe_free(x->t.r, x->t.rcap * sizeof(*x->t.r));
	free(x->aud);
	free(x->at);
	free(x->mark);
	free(x->ix);
	lsn_wipe_free(x->g, x->gcap * sizeof(*x->g));
	lsn_wipe_free(x->seg, x->segcap * sizeof(*x->seg));
	for (size_t i = 0; i < MERGE_MAXIN; i++) /* opened blocks' dates and serials */
		lsn_wipe_free(x->dir[i], x->dircap[i] * sizeof(*x->dir[i]));
	free(x);
}

/* Note the run just appended to t (from byte at and end e0) under aud,
 * first its first posting. */
static int
brun_add(struct bscratch *t, uint32_t aud, size_t at, size_t e0, const ingest_posting *first)
{
	if (t->nr == t->rcap) {
		size_t rc = t->rcap ? 2 * t->rcap : 16;
		struct brun *nr = realloc(t->r, rc * sizeof(*nr));
		if (nr == NULL)
			return LSN_EINTERNAL;
		t->r = nr;
		t->rcap = rc;
	}
	t->r[t->nr++] = (struct brun){ aud, first->date, first->serial, at, t->len - at, e0,
		t->ne - e0 };
	return 0;
}

/* Append p[0..n) (n > 0, in order) to t as a run of segments. */
static int
put_run(struct bscratch *t, const ingest_posting *p, size_t n)
{
	size_t fp = ingest__frame_postings ? ingest__frame_postings : 1;
	size_t at = t->len, e0 = t->ne;

	if (room(&t->b, &t->cap, t->len, (n / fp + 1) * SEGMENT_HEAD + n * 30) != 0)
		return LSN_EINTERNAL;
	for (size_t from = 0; from < n;) {
		size_t k = from == 0 ? first_segment(fp) : fp, to = from + k < n ? from + k : n;
		while (to < n && p[to].serial == p[to - 1].serial)
			to++; /* a report's postings stay in one segment */
		t->len = (size_t)(put_segment(t->b + t->len, p + from, to - from) - t->b);
		if (end_room(&t->e, &t->ecap, t->ne) != 0)
			return LSN_EINTERNAL;
		t->e[t->ne++] = (uint32_t)t->len;
		from = to;
	}
	return brun_add(t, p[0].audience, at, e0, &p[0]);
}

/*
 * The block of t's runs (in audience order): the directory and the inline
 * runs as frame 0, then each other run's segments, a frame each.
 */
static int
assemble(const struct bscratch *t, uint8_t **buf, size_t *cap, size_t *len, uint32_t **ends,
    size_t *ends_cap, size_t *nends)
{
	uint8_t *q;

	*len = 0;
	*nends = 0;
	if (room(buf, cap, 0, 10 + t->nr * 50 + t->len) != 0)
		return LSN_EINTERNAL;
	q = *buf;
	q += put_varint(q, t->nr);
	for (size_t i = 0; i < t->nr; i++) {
		const struct brun *r = &t->r[i];
		int inl = r->len <= INGEST_INLINE_RUN;
		q += put_varint(q, r->aud - (i > 0 ? t->r[i - 1].aud : 0));
		q += put_varint(q, inl ? 0 : r->ne);
		q += put_varint(q, r->len);
		if (!inl) {
			q += put_varint(q, r->date);
			q += put_varint(q, r->serial);
		}
	}
	for (size_t i = 0; i < t->nr; i++)
		if (t->r[i].len <= INGEST_INLINE_RUN) {
			memcpy(q, t->b + t->r[i].at, t->r[i].len);
			q += t->r[i].len;
		}
	if (end_room(ends, ends_cap, 0) != 0)
		return LSN_EINTERNAL;
	(*ends)[(*nends)++] = (uint32_t)(q - *buf);
	for (size_t i = 0; i < t->nr; i++) {
		const struct brun *r = &t->r[i];
		size_t d = (size_t)(q - *buf);
		if (r->len <= INGEST_INLINE_RUN)
			continue;
		memcpy(q, t->b + r->at, r->len);
		q += r->len;
		for (size_t e = r->e0; e < r->e0 + r->ne; e++) {
			if (end_room(ends, ends_cap, *nends) != 0)
				return LSN_EINTERNAL;
			(*ends)[(*nends)++] = (uint32_t)(t->e[e] - r->at + d);
		}
	}
	*len = (size_t)(q - *buf);
	return 0;
}

/* Audience numbers below this are mapped by an array (ingest_block_scratch),
 * larger ones looked up in the sorted list. */
#define AUD_DIRECT (1u << 22)

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The index of audience a in x->aud[0..n) (ascending), or where it would go. */
static inline size_t
aud_find(const uint32_t *aud, size_t n, uint32_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (aud[m] < a)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/* Room for n audiences in x; 0 or -1. */
static int
aud_room(ingest_block_scratch *x, size_t n)
{
	size_t c = x->acap ? x->acap : 64;
	uint32_t *a;
	size_t *at;

	if (n <= x->acap)
		return 0;
	while (c < n)
		c *= 2;
	if ((a = realloc(x->aud, c * sizeof(*a))) == NULL)
		return -1;
	x->aud = a;
	if ((at = realloc(x->at, (c + 1) * sizeof(*at))) == NULL)
		return -1;
	x->at = at;
	x->acap = c;
	return 0;
}

static int
encode(const ingest_posting *p, size_t n, ingest_block_scratch *x, uint8_t **buf, size_t *cap,
    size_t *len, uint32_t **ends, size_t *ends_cap, size_t *nends)
{
	struct bscratch *t = &x->t;
	size_t na = 0, i;

	t->len = t->ne = t->nr = 0;
	if (n == 0) /* a block of no runs (it was a crash: no audience array) */
		return assemble(t, buf, cap, len, ends, ends_cap, nends);
	for (i = 1; i < n && p[i].audience == p[0].audience; i++)
		;
	if (i == n) { /* one audience, as most words of a batch */
		if (put_run(t, p, n) != 0)
			return -1;
		return assemble(t, buf, cap, len, ends, ends_cap, nends);
	}
	/* The audiences (few: a sorted array), then the postings grouped by
	 * them, in order within each. */
	uint32_t top = 0;
	for (i = 0; i < n; i++)
		top = p[i].audience > top ? p[i].audience : top;
	if (top < AUD_DIRECT && top >= x->mcap) {
		size_t c = x->mcap ? x->mcap : 1024;
		while (c <= top)
			c *= 2;
		uint32_t *m = realloc(x->mark, c * sizeof(*m)), *ix;
		if (m == NULL)
			return -1;
		memset(m + x->mcap, 0, (c - x->mcap) * sizeof(*m));
		x->mark = m;
		if ((ix = realloc(x->ix, c * sizeof(*ix))) == NULL)
			return -1;
		x->ix = ix;
		x->mcap = c;
	}
	int direct = top < x->mcap;
	if (direct && ++x->gen == 0) { /* a new stamp; after 2^32, all cleared */
		memset(x->mark, 0, x->mcap * sizeof(*x->mark));
		x->gen = 1;
	}
	for (i = 0; i < n; i++) {
		uint32_t a = p[i].audience;
		size_t k;
		if (i > 0 && a == p[i - 1].audience)
			continue;
		if (direct) {
			if (x->mark[a] == x->gen)
				continue;
			x->mark[a] = x->gen;
			k = na;
		} else {
			k = aud_find(x->aud, na, a);
			if (k < na && x->aud[k] == a)
				continue;
		}
		if (aud_room(x, na + 1) != 0)
			return -1;
		memmove(x->aud + k + 1, x->aud + k, (na - k) * sizeof(*x->aud));
		x->aud[k] = a;
		na++;
	}
	if (direct) {
		qsort(x->aud, na, sizeof(*x->aud), cmp_u32);
		for (size_t k = 0; k < na; k++)
			x->ix[x->aud[k]] = (uint32_t)k;
	}
	if (n > x->gcap) {
		ingest_posting *g = malloc(n * sizeof(*g));
		if (g == NULL)
			return -1;
		lsn_wipe_free(x->g, x->gcap * sizeof(*x->g));
		x->g = g;
		x->gcap = n;
	}
	memset(x->at, 0, (na + 1) * sizeof(*x->at));
#define IX(a) (direct ? x->ix[a] : aud_find(x->aud, na, (a)))
	for (i = 0; i < n; i++)
		x->at[IX(p[i].audience) + 1]++;
	for (i = 0; i < na; i++)
		x->at[i + 1] += x->at[i];
	for (i = 0; i < n; i++)
		x->g[x->at[IX(p[i].audience)]++] = p[i];
#undef IX
	for (size_t k = 0, from = 0; k < na; k++) { /* at[k]: run k's end */
		if (put_run(t, x->g + from, x->at[k] - from) != 0)
			return -1;
		from = x->at[k];
	}
	return assemble(t, buf, cap, len, ends, ends_cap, nends);
}

int
ingest_block_encode(const ingest_posting *p, size_t n, ingest_block_scratch *x, uint8_t **buf,
    size_t *cap, size_t *len, uint32_t **ends, size_t *ends_cap, size_t *nends, lsn_err *err)
{
	ingest_block_scratch *own = NULL;
	int rc, ok = n == 0 || (p[0].serial != UINT64_MAX && p[0].audience != 0);

	/* Every posting checked without a branch (the dates of consecutive
	 * reports are a coin toss for a predictor); the message after. */
	for (size_t i = 1; i < n; i++) {
		const ingest_posting *a = &p[i - 1], *b = &p[i];
		int s_eq = a->serial == b->serial;
		ok &= ((a->date > b->date) & !s_eq) |
		    ((a->date == b->date) & ((a->serial > b->serial) | (s_eq & (a->portion < b->portion))));
		ok &= (b->serial != UINT64_MAX) & (b->audience != 0);
	}
	for (size_t i = 0; i < n && !ok; i++) {
		if (i > 0 && (!ingest_posting_before(&p[i - 1], &p[i]) ||
			(p[i].serial == p[i - 1].serial && p[i].date != p[i - 1].date)))
			return lsn_fail(err, LSN_EINTERNAL, "postings out of order");
		if (p[i].serial == UINT64_MAX)
			return lsn_fail(err, LSN_EINTERNAL, "serials too far apart");
		if (p[i].audience == 0)
			return lsn_fail(err, LSN_EINTERNAL, "a posting without an audience");
	}
	if (!ok) /* cannot be: the loop above names what the first one did */
		return lsn_fail(err, LSN_EINTERNAL, "postings out of order");
	if (x == NULL && (x = own = ingest_block_scratch_new()) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	rc = encode(p, n, x, buf, cap, len, ends, ends_cap, nends);
	ingest_block_scratch_free(own);
	return rc == 0 ? 0 : lsn_fail(err, LSN_EINTERNAL, "out of memory");
}

int
ingest_block_dir(const uint8_t *b, size_t len, int whole, ingest_run_ref **runs, size_t *cap,
    size_t *n, size_t *frame0)
{
	const uint8_t *p = b, *end = b + len;
	uint64_t nr, v[5];
	size_t inl = 0, framed = 0, frames = 0;

	*n = 0;
	if (ingest__varint(&p, end, &nr) != 0 || nr > len / 3)
		return LSN_EINPUT;
	if (nr > *cap) {
		ingest_run_ref *r = realloc(*runs, nr * sizeof(*r));
		if (r == NULL)
			return LSN_EINTERNAL;
		*runs = r;
		*cap = nr;
	}
	for (size_t i = 0; i < nr; i++) {
		ingest_run_ref *r = &(*runs)[i];
		memset(r, 0, sizeof(*r));
		uint64_t prev = i > 0 ? (*runs)[i - 1].audience : 0;
		if (ingest__varint(&p, end, &v[0]) != 0 || ingest__varint(&p, end, &v[1]) != 0 ||
		    ingest__varint(&p, end, &v[2]) != 0 || v[0] == 0 || v[0] > UINT32_MAX - prev ||
		    v[1] > UINT32_MAX || v[2] == 0 || v[2] > STORE_MAX_RECORD ||
		    (v[1] > 0 && v[2] < v[1]))
			return LSN_EINPUT;
		v[0] += prev; /* audiences rise: each is a step from the one before */
		if (v[1] > 0 && (ingest__varint(&p, end, &v[3]) != 0 ||
				    ingest__varint(&p, end, &v[4]) != 0 || v[3] > UINT32_MAX))
			return LSN_EINPUT;
		r->audience = (uint32_t)v[0];
		r->frames = (uint32_t)v[1];
		r->len = (size_t)v[2];
		if (r->frames > 0) {
			r->date = (uint32_t)v[3];
			r->serial = v[4];
		}
	}
	/* The inline runs follow the directory in frame 0; then the others,
	 * a frame per segment. */
	for (size_t i = 0; i < nr; i++) {
		ingest_run_ref *r = &(*runs)[i];
		if (r->frames > 0)
			continue;
		r->at = (size_t)(p - b) + inl;
		if ((inl += r->len) > (size_t)(end - p))
			return LSN_EINPUT;
	}
	*frame0 = (size_t)(p - b) + inl;
	for (size_t i = 0; i < nr; i++) {
		ingest_run_ref *r = &(*runs)[i];
		if (r->frames == 0)
			continue;
		r->at = *frame0 + framed;
		r->frame = (uint32_t)(1 + frames);
		framed += r->len;
		frames += r->frames;
		if (framed > STORE_MAX_RECORD || frames > UINT32_MAX - 1)
			return LSN_EINPUT;
	}
	if (whole ? *frame0 + framed != len : *frame0 != len)
		return LSN_EINPUT;
	*n = (size_t)nr;
	return 0;
}

/*
 * Append run[0..len) of a block to t as it is, its segments' ends too: a
 * run alone in a merge is cut into the same segments whether copied or
 * decoded and encoded again (the same rule cuts them, put_run's and
 * merge_runs'), and two thirds of a merge's runs are alone (2026-12-05:
 * 295,000 of 792,000 in a merge of 16 bench batches; their postings 2%).
 * Its segment heads are checked as it is walked; its postings are read as
 * any block's are, when it is decoded.
 */
static int
copy_run(const uint8_t *run, size_t len, struct bscratch *t, lsn_err *err)
{
	const uint8_t *p = run, *end = run + len, *seg_end;
	uint64_t n, base, last_serial;
	uint32_t last_date;
	size_t at;

	if (len == 0)
		return lsn_fail(err, LSN_EINPUT, "a malformed posting block to merge");
	if (room(&t->b, &t->cap, t->len, len) != 0)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	at = t->len;
	memcpy(t->b + at, run, len);
	t->len += len;
	while (p < end) {
		if (ingest__segment(&p, end, &n, &base, &last_date, &last_serial, &seg_end) != 0 ||
		    n == 0)
			return lsn_fail(err, LSN_EINPUT, "a malformed posting block to merge");
		p = seg_end;
		if (end_room(&t->e, &t->ecap, t->ne) != 0)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		t->e[t->ne++] = (uint32_t)(at + (size_t)(p - run));
	}
	return 0;
}

int
ingest_block_merge(const uint8_t *const *blocks, const size_t *lens, size_t n,
    ingest_block_scratch *x, uint8_t **buf, size_t *cap, size_t *len, uint32_t **ends,
    size_t *ends_cap, size_t *nends, lsn_err *err)
{
	enum { MAXIN = MERGE_MAXIN };
	size_t nd[MAXIN], pos[MAXIN] = { 0 }, f0;
	ingest_block_scratch *own = NULL;
	int rc = 0;

	if (n > MAXIN)
		return lsn_fail(err, LSN_EINTERNAL, "too many blocks to merge");
	if (x == NULL && (x = own = ingest_block_scratch_new()) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	ingest_run_ref **d = x->dir;
	struct bscratch t = x->t;
	t.len = t.ne = t.nr = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ingest_block_dir(blocks[i], lens[i], 1, &d[i], &x->dircap[i], &nd[i], &f0);
	if (rc != 0)
		rc = lsn_fail(err, rc, rc == LSN_EINTERNAL ? "out of memory" :
		    "a malformed posting block to merge");
	/* Audience by audience, lowest first: each directory is in that
	 * order, so a cursor per block walks them.  Each block's next
	 * audience is kept side by side (UINT64_MAX once it has no more), so
	 * that finding the lowest reads one array, not every directory. */
	uint64_t next[MAXIN];
	for (size_t i = 0; i < n; i++)
		next[i] = rc == 0 && nd[i] > 0 ? d[i][0].audience : UINT64_MAX;
	while (rc == 0) {
		const uint8_t *rp[MAXIN];
		size_t rl[MAXIN], k = 0, at = t.len, e0 = t.ne;
		uint64_t low = UINT64_MAX;
		for (size_t i = 0; i < n; i++)
			low = next[i] < low ? next[i] : low;
		if (low == UINT64_MAX)
			break;
		uint32_t aud = (uint32_t)low;
		for (size_t i = 0; i < n; i++)
			if (next[i] == low) {
				rp[k] = blocks[i] + d[i][pos[i]].at;
				rl[k++] = d[i][pos[i]].len;
				pos[i]++;
				next[i] = pos[i] < nd[i] ? d[i][pos[i]].audience : UINT64_MAX;
			}
		/* The merged run's first posting: the newest of theirs. */
		ingest_posting first;
		if (k == 1) { /* a run of one block: cut as merge_runs would cut it */
			ingest_postings_cursor c;
			rc = copy_run(rp[0], rl[0], &t, err);
			if (rc == 0 &&
			    (ingest_postings_begin(&c, t.b + at, t.len - at) != 0 ||
				ingest_postings_next(&c, &first) != 1))
				rc = lsn_fail(err, LSN_EINPUT, "a malformed posting block to merge");
		} else {
			rc = merge_runs(rp, rl, k, &t.b, &t.cap, &t.len, &t.e, &t.ecap, &t.ne,
			    &x->seg, &x->segcap, &first, err);
			if (rc == 0 && t.len == at) /* no postings: the encoder writes none */
				rc = lsn_fail(err, LSN_EINPUT, "a malformed posting block to merge");
		}
		if (rc == 0 && brun_add(&t, aud, at, e0, &first) != 0)
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	if (rc == 0 && assemble(&t, buf, cap, len, ends, ends_cap, nends) != 0)
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
	x->t = t; /* its buffers, grown, for the next */
	ingest_block_scratch_free(own);
	return rc;
}

int
ingest_runs_decode(const uint8_t *buf, const uint32_t *end, size_t k, ingest_posting **out,
    size_t *nout, size_t *cap)
{
	enum { MAXIN = MERGE_MAXIN };
	ingest_postings_cursor c[MAXIN];
	ingest_posting cur[MAXIN];
	mkey key[MAXIN];
	struct ltree tree;
	size_t m = 1, n = 0;
	uint64_t total = 0, lo;
	int r;

	*nout = 0;
	if (k == 0)
		return 0;
	if (ingest_postings_info(buf, end[k - 1], &total, &lo) != 0)
		return LSN_EINPUT;
	if (total > *cap) {
		ingest_posting *o = lsn_wipe_realloc(*out, *cap * sizeof(*o),
		    total * sizeof(*o)); /* no unwiped copy left */
		if (o == NULL)
			return LSN_EINTERNAL;
		*out = o;
		*cap = total;
	}
	if (k > MAXIN) { /* more runs than the tree takes: decode, then merge */
		size_t *e = malloc(k * sizeof(*e)), tcap = 0;
		ingest_posting *tmp = NULL;
		int rc = e == NULL ? LSN_EINTERNAL : 0;
		for (size_t i = 0; i < k && rc == 0; i++) {
			size_t from = i ? end[i - 1] : 0;
			rc = ingest_postings_decode(buf + from, end[i] - from, out, nout, cap);
			if (rc == 0)
				e[i] = *nout;
		}
		if (rc == 0)
			rc = ingest_postings_interleave(*out, e, k, &tmp, &tcap);
		free(e);
		lsn_wipe_free(tmp, tcap * sizeof(*tmp));
		if (rc != 0)
			*nout = 0;
		return rc;
	}
	while (m < k)
		m <<= 1;
	for (size_t i = 0; i < m; i++) {
		key[i] = 0;
		if (i >= k)
			continue;
		size_t from = i ? end[i - 1] : 0;
		if (ingest_postings_begin(&c[i], buf + from, end[i] - from) != 0 ||
		    (r = ingest_postings_next(&c[i], &cur[i])) < 0)
			return LSN_EINPUT;
		if (r == 1)
			key[i] = mkey_of(&cur[i]);
	}
	tree_build(&tree, m, key);
	/* A report at a time, as the merge of blocks: its postings in one run
	 * come together; in several runs, run after run. */
	while (tree.wkey != 0) {
		size_t b = tree.win;
		uint64_t serial = cur[b].serial;
		do {
			if (n == total)
				return LSN_EINPUT; /* more than the heads said */
			cur[b].audience = 0;
			(*out)[n++] = cur[b];
			if ((r = ingest_postings_next(&c[b], &cur[b])) < 0)
				return LSN_EINPUT;
		} while (r == 1 && cur[b].serial == serial);
		tree_replay(&tree, r == 1 ? mkey_of(&cur[b]) : 0);
	}
	if (n != total)
		return LSN_EINPUT;
	*nout = n;
	return 0;
}

int
ingest_postings_interleave(ingest_posting *p, size_t *ends, size_t k, ingest_posting **tmp,
    size_t *tcap)
{
	size_t n = k ? ends[k - 1] : 0;
	ingest_posting *a = p, *b;

	if (k <= 1 || n == 0) /* nothing to order (and p may be NULL) */
		return 0;
	if (*tcap < n) {
		ingest_posting *t = malloc(n * sizeof(*t));
		if (t == NULL)
			return LSN_EINTERNAL;
		lsn_wipe_free(*tmp, *tcap * sizeof(**tmp));
		*tmp = t;
		*tcap = n;
	}
	b = *tmp;
	/* Pairs of ranges merged into the other buffer, until one is left. */
	while (k > 1) {
		size_t m = 0, from = 0;
		for (size_t i = 0; i < k; i += 2) {
			size_t mid = ends[i], to = i + 1 < k ? ends[i + 1] : mid, x = from, y = mid;
			ingest_posting *o = b + from;
			while (x < mid && y < to)
				*o++ = ingest_posting_before(&a[y], &a[x]) ? a[y++] : a[x++];
			memcpy(o, a + x, (mid - x) * sizeof(*o));
			o += mid - x;
			memcpy(o, a + y, (to - y) * sizeof(*o));
			ends[m++] = to;
			from = to;
		}
		k = m;
		ingest_posting *t = a;
		a = b;
		b = t;
	}
	if (a != p)
		memcpy(p, a, n * sizeof(*p));
	return 0;
}

int
ingest_block_decode(const uint8_t *block, size_t len, ingest_posting **p, size_t *n,
    size_t *cap)
{
	ingest_run_ref *d = NULL;
	ingest_posting *tmp = NULL;
	size_t nd = 0, dcap = 0, f0, from = *n, *ends = NULL, tcap = 0;
	int rc = ingest_block_dir(block, len, 1, &d, &dcap, &nd, &f0);

	if (rc == 0 && nd > 1 && (ends = malloc(nd * sizeof(*ends))) == NULL)
		rc = LSN_EINTERNAL;
	for (size_t i = 0; i < nd && rc == 0; i++) {
		size_t k = *n;
		if ((rc = ingest_postings_decode(block + d[i].at, d[i].len, p, n, cap)) == 0 &&
		    *n == k)
			rc = LSN_EINPUT; /* a run of no postings: the encoder writes none */
		for (; rc == 0 && k < *n; k++)
			(*p)[k].audience = d[i].audience;
		if (ends != NULL)
			ends[i] = *n - from;
	}
	/* The runs follow each other: back into answer order. */
	if (rc == 0 && nd > 1)
		rc = ingest_postings_interleave(*p + from, ends, nd, &tmp, &tcap);
	free(d);
	free(ends);
	lsn_wipe_free(tmp, tcap * sizeof(*tmp));
	if (rc != 0)
		*n = from;
	return rc;
}

/* ---- reading a block for a query ---- */

/*
 * The frames a query opens, in the order that keeps the block's horizon
 * (the first point in answer order that is not known yet) as far on as
 * it can: each wanted run has a frontier, its first posting while none of
 * it is open, then the last posting of its last open frame; everything
 * before the newest frontier of the runs not wholly open is known.  The
 * next frame is always the run's with that frontier.  It stops when every
 * frontier is behind the worst kept match (all that could count is
 * known), or at the budget (a cut at the newest frontier), or when all is
 * open.
 */
struct frame_got {
	uint32_t run;     /* index in v->runs */
	size_t at, len;   /* its plaintext in the buffer */
};

struct reader {
	const ingest_block_plan *pl;
	ingest_block_view *v;
	int seen0, bad;
	size_t f0len, sealed0; /* frame 0: plaintext and sealed lengths */
	size_t cur;            /* the run whose frame is being opened */
	size_t opened;         /* frames opened after frame 0 */
	size_t framed;         /* wanted runs not inline */
	size_t out;            /* plaintext bytes handed over so far */
};

static inline int
before(uint32_t xd, uint64_t xs, uint32_t yd, uint64_t ys)
{
	return xd != yd ? xd > yd : xs > ys;
}

/* Note a frame opened (run cur), wiping nothing: 0 or -1. */
static int
frame_note(ingest_block_view *v, uint32_t run, size_t at, size_t len)
{
	if (v->nf == v->fcap) {
		size_t c = v->fcap ? 2 * v->fcap : 64;
		struct frame_got *f = realloc(v->f, c * sizeof(*f));
		if (f == NULL)
			return -1;
		v->f = f;
		v->fcap = c;
	}
	v->f[v->nf++] = (struct frame_got){ run, at, len };
	return 0;
}

/* Choose the next frame: 1 and where it is, or 0 to stop. */
static int
next_frame(struct reader *c, uint32_t *next, size_t *at)
{
	const ingest_block_plan *pl = c->pl;
	ingest_block_view *v = c->v;
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < v->nruns; i++) {
		const ingest_run_ref *r = &v->runs[i];
		if (!r->want || r->frames == 0 || r->opened == r->frames)
			continue;
		if (best == SIZE_MAX || before(r->fd, r->fs, v->runs[best].fd, v->runs[best].fs))
			best = i;
	}
	if (best == SIZE_MAX)
		return 0; /* all open */
	const ingest_run_ref *r = &v->runs[best];
	if (pl->worst && !before(r->fd, r->fs, pl->worst_date, pl->worst_serial))
		return 0; /* every frontier behind the worst kept match */
	if (pl->budget != 0 && c->opened >= (size_t)pl->budget * c->framed) {
		v->cut = 1; /* what is before the newest frontier is known */
		v->cut_date = r->fd;
		v->cut_serial = r->fs;
		return 0;
	}
	c->cur = best;
	*next = r->frame + r->opened;
	*at = r->next_at;
	return 1;
}

/* Frame 0: the directory; decide the runs. */
static int
read_dir(struct reader *c, const uint8_t *f, size_t len, uint32_t *next, size_t *at)
{
	const ingest_block_plan *pl = c->pl;
	ingest_block_view *v = c->v;
	int rc;

	c->seen0 = 1;
	if ((rc = ingest_block_dir(f, len, 0, &v->runs, &v->runs_cap, &v->nruns, &c->f0len)) != 0) {
		c->bad = rc;
		return 0;
	}
	c->out = len;
	c->sealed0 = len + STORE_FRAME_OVERHEAD;
	for (size_t i = 0; i < v->nruns; i++) {
		ingest_run_ref *r = &v->runs[i];
		int w = pl->want != NULL ? pl->want(pl->ctx, r->audience) : 1;
		if (w < 0) {
			c->bad = w;
			return 0;
		}
		r->want = w > 0;
		v->passed_over += !r->want;
		c->framed += r->want && r->frames > 0;
		if (r->want && r->frames == 0 && frame_note(v, (uint32_t)i, r->at, r->len) != 0) {
			c->bad = LSN_EINTERNAL; /* inline: in frame 0, where it is */
			return 0;
		}
		r->fd = r->date;
		r->fs = r->serial;
		r->next_at = c->sealed0 + (r->at - c->f0len) +
		    (size_t)(r->frame - 1) * STORE_FRAME_OVERHEAD;
	}
	return next_frame(c, next, at);
}

static int
read_more(void *ctx, const uint8_t *f, size_t len, uint32_t *next, size_t *at)
{
	struct reader *c = ctx;
	ingest_run_ref *r;

	if (!c->seen0)
		return read_dir(c, f, len, next, at);
	r = &c->v->runs[c->cur];
	if (frame_note(c->v, (uint32_t)c->cur, c->out, len) != 0) {
		c->bad = LSN_EINTERNAL;
		return 0;
	}
	c->out += len;
	c->opened++;
	r->opened++;
	r->next_at += len + STORE_FRAME_OVERHEAD;
	if (ingest_postings_last(f, len, &r->fd, &r->fs) != 0) {
		c->bad = LSN_EINPUT;
		return 0;
	}
	return next_frame(c, next, at);
}

int
ingest_block_read(store_snap *sn, const uint8_t term[STORE_BLIND_LEN], uint64_t batch,
    const ingest_block_plan *pl, uint8_t **buf, size_t *cap, size_t *len, ingest_block_view *v,
    lsn_err *err)
{
	struct reader c = { pl, v, 0, 0, 0, 0, SIZE_MAX, 0, 0, 0 };
	uint32_t nx;
	size_t nat;
	int rc;

	v->n = 0;
	v->nruns = 0;
	v->nf = 0;
	v->cut = 0;
	*len = 0;
	rc = store_postings_read_batch(sn, term, batch, buf, cap, len, read_more, &c, err);
	if (rc != 0 || *len == 0)
		return rc;
	if (!c.seen0 && read_dir(&c, *buf, *len, &nx, &nat) != 0 && c.bad == 0)
		c.bad = LSN_EINPUT; /* a block of one frame has no other runs */
	if (c.bad == 0 && (v->nruns > v->cap || *len > v->tcap)) {
		uint32_t *e = v->nruns > v->cap ? realloc(v->end, v->nruns * sizeof(*e)) : v->end;
		uint8_t *t = *len > v->tcap ? malloc(*len) : v->tmp;
		if (e != NULL) {
			v->end = e;
			v->cap = v->nruns > v->cap ? v->nruns : v->cap;
		}
		if (t != NULL && t != v->tmp) {
			lsn_wipe_free(v->tmp, v->tcap);
			v->tmp = t;
			v->tcap = *len;
		}
		if (e == NULL || t == NULL)
			c.bad = LSN_EINTERNAL;
	}
	if (c.bad != 0) {
		lsn_wipe(*buf, *len);
		*len = 0;
		return c.bad == LSN_EINTERNAL ? lsn_fail(err, LSN_EINTERNAL, "out of memory") :
		    c.bad == LSN_EINPUT ? lsn_fail(err, LSN_EINPUT, "a malformed posting block") :
		    c.bad;
	}
	/* The runs read, each its frames in order (noted in the order they
	 * were opened, each run's in its order), one after the other; the
	 * rest (the directory, others' inline runs) wiped. */
	size_t o = 0;
	for (size_t i = 0; i < v->nruns; i++) {
		size_t before_run = o;
		for (size_t k = 0; k < v->nf; k++)
			if (v->f[k].run == i) {
				memcpy(v->tmp + o, *buf + v->f[k].at, v->f[k].len);
				o += v->f[k].len;
			}
		if (o > before_run)
			v->end[v->n++] = (uint32_t)o;
	}
	lsn_wipe(*buf, *len);
	uint8_t *t = *buf;
	size_t tc = *cap;
	*buf = v->tmp;
	*cap = v->tcap;
	v->tmp = t;
	v->tcap = tc;
	*len = o;
	return 0;
}

void
ingest_block_view_free(ingest_block_view *v)
{
	free(v->end);
	free(v->runs);
	free(v->f);
	lsn_wipe_free(v->tmp, v->tcap);
	memset(v, 0, sizeof(*v));
}

int
ingest_entry_encode(int kind, const uint8_t *label, const char *ntk, size_t ntk_len,
    const char *mtext, size_t mlen, uint8_t *buf, size_t cap, uint8_t **out, size_t *len,
    lsn_err *err)
{
	uint8_t *b;
	size_t n = 2 + ACL_LABEL_SIZE + 2 + ntk_len + 4 + mlen;

	*out = NULL;
	if (ntk_len > 0xffff)
		return lsn_fail(err, LSN_EINPUT, "need-to-know expression too long");
	if (mlen > INGEST_ENTRY_MAX_MARKING)
		return lsn_fail(err, LSN_EINPUT, "marking too long for a marking entry");
	if ((b = n <= cap ? buf : malloc(n)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	b[0] = INGEST_ENTRY_VERSION;
	b[1] = (uint8_t)kind;
	memcpy(b + 2, label, ACL_LABEL_SIZE);
	b[2 + ACL_LABEL_SIZE] = (uint8_t)(ntk_len >> 8);
	b[3 + ACL_LABEL_SIZE] = (uint8_t)ntk_len;
	if (ntk_len)
		memcpy(b + 4 + ACL_LABEL_SIZE, ntk, ntk_len);
	lsn_put_be32(b + 4 + ACL_LABEL_SIZE + ntk_len, (uint32_t)mlen);
	if (mlen)
		memcpy(b + 8 + ACL_LABEL_SIZE + ntk_len, mtext, mlen);
	*out = b;
	*len = n;
	return 0;
}

int
ingest_entry_view(const uint8_t *buf, size_t len, ingest_entry *e)
{
	size_t nl, ml;

	memset(e, 0, sizeof(*e));
	if (len < 8 + ACL_LABEL_SIZE || buf[0] != INGEST_ENTRY_VERSION)
		return LSN_EINPUT;
	nl = (size_t)buf[2 + ACL_LABEL_SIZE] << 8 | buf[3 + ACL_LABEL_SIZE];
	if (len < 8 + ACL_LABEL_SIZE + nl)
		return LSN_EINPUT;
	ml = lsn_get_be32(buf + 4 + ACL_LABEL_SIZE + nl);
	if (ml > INGEST_ENTRY_MAX_MARKING || len != 8 + ACL_LABEL_SIZE + nl + ml)
		return LSN_EINPUT;
	e->kind = buf[1];
	e->label = buf + 2;
	e->ntk = (const char *)buf + 4 + ACL_LABEL_SIZE;
	e->ntk_len = nl;
	e->marking = (const char *)buf + 8 + ACL_LABEL_SIZE + nl;
	e->marking_len = ml;
	return 0;
}

struct head_buf {
	uint8_t *h;
	size_t len;
};

static int
head_copy(void *ctx, const uint8_t *data, size_t len)
{
	struct head_buf *hb = ctx;

	if (len % INGEST_HEAD_ENTRY != 0)
		return LSN_EINPUT;
	if ((hb->h = malloc(len ? len : 1)) == NULL)
		return LSN_EINTERNAL;
	memcpy(hb->h, data, len);
	hb->len = len;
	return 0;
}

int
ingest_head_read(store_snap *sn, uint8_t **h, size_t *len, lsn_err *err)
{
	struct head_buf hb = { NULL, 0 };
	int rc = store_index_head_get(sn, head_copy, &hb, err);

	*h = NULL;
	*len = 0;
	if (rc == LSN_ENOTFOUND)
		return 0;
	if (rc == LSN_EINPUT || rc == LSN_EINTERNAL) {
		free(hb.h);
		return lsn_fail(err, rc, rc == LSN_EINPUT ? "a malformed search index head" :
		    "out of memory");
	}
	if (rc != 0)
		return rc;
	*h = hb.h;
	*len = hb.len;
	return 0;
}

#define MONTH_WORD " month " /* then YYYY-MM and a space */

size_t
ingest_month_word(uint32_t yyyymmdd, char *out)
{
	uint32_t y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100;

	if (y == 0 || y > 9999 || m == 0 || m > 12)
		return 0;
	return (size_t)snprintf(out, INGEST_MONTH_WORD_MAX, MONTH_WORD "%04u-%02u ", (unsigned)y,
	    (unsigned)m);
}

void
ingest_blind(store *st, const char *word, size_t len, uint8_t *out)
{
	uint8_t own[STORE_BLIND_LEN];

	if (len + 1 != INGEST_MONTH_WORD_MAX || memcmp(word, MONTH_WORD, strlen(MONTH_WORD)) != 0) {
		store_blind(st, word, len, out);
		return;
	}
	store_blind(st, MONTH_WORD, strlen(MONTH_WORD), out);
	store_blind(st, word, len, own);
	memcpy(out + STORE_BLIND_LEN - 4, own, 4);
}
