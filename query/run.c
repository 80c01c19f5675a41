/*
 * query/run.c - running a query for a principal.
 *
 * 1. Read the postings of every word (blinded) into per-word arrays, batch
 *    by batch, the newest batch first.
 * 2. Candidates: the reports those postings name, or every report when the
 *    query could match without any word (NOT, date:, class: alone).
 * 3. Per candidate: evaluate the query over the readable portions only.  A
 *    posting names its portion's marking entry and the report's date, and
 *    each entry is decided once per query (acl/), so words and dates are
 *    evaluated without reading the report's label; id:, class:, rel: and
 *    phrases read the label (and open the readable portions) when reached.
 * 4. Keep the newest matches; for the hits asked for, read the label, open
 *    only the readable portions and build title and banner from them.
 *
 * A block holds a word's postings in answer order (newest report first,
 * ingest.h), so once offset + limit matches are kept a block is read only
 * up to the worst of them: nothing after it can be a hit, nor be withheld
 * from this answer (struct matches).
 *
 * Queries of single words, dates, AND, OR and NOT (most of them) take steps
 * 2 and 3 a batch at a time instead: each word's block is scanned straight
 * into two bitmaps over the batch's candidates (in a readable portion; in
 * any portion), the operators are bitwise, and the matches and the audit's
 * withheld reports fall out of the root's two bitmaps.  The answers are the
 * same (test_query runs both ways against a reference).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/internal.h"

#define WITHHELD_TITLE "[title withheld]"

struct word {
	char *text;
	uint8_t blind[STORE_BLIND_LEN];
	ingest_posting *p; /* in block order: newest report first (ingest.h) */
	size_t n, cap;
	size_t at, end;    /* postings_of's last answer: [at, end) ... */
	uint64_t last;     /* ... for this serial (0: none yet) ... */
	uint32_t last_date; /* ... of this date */
	uint8_t *blk;      /* the batch's block's runs read, kept as read */
	size_t blk_len, blk_cap;
	ingest_block_view view; /* where each run read is in blk */
	uint64_t *R, *A;   /* by bitmaps, a candidate word: in any portion */
	size_t bits_cap;   /* words in R and A */
	int is_cand;       /* R and A hold this batch's answer */
	uint64_t read_in;  /* by bitmaps: the batch whose block blk holds */
	size_t est;        /* postings in the last batch read (0: none read) */
	int cut;           /* blk stops at a frame budget, after (cut_date, */
	uint32_t cut_date; /* cut_serial): what follows is not known */
	uint64_t cut_serial;
};

struct run {
	store *st;
	store_snap *sn;
	const acl_data *data;
	const acl_principal *who;
	const query *q;
	struct word *words;
	size_t nwords;
	query__entries ents; /* the marking entries, decided for who */
	lsn_err *err;
	uint64_t postings;   /* postings read (query_result) */
	unsigned budget;     /* read_block opens about this many frames a run (0: no limit) */
	int all_runs;        /* read the runs of unreadable portions too (withheld) */
	uint64_t passed_over; /* runs not read (query_result) */
};

/* Everything known about one candidate while it is evaluated.  Until
 * `full` only serial and date are known (from the postings). */
struct cand {
	uint64_t serial;
	uint32_t date;
	int full;          /* id, label, v, readable and kinds are set */
	int gone;          /* the postings name a report no longer stored */
	const char *id;
	const uint8_t *label;
	size_t label_len;
	ingest_rlabel v;
	uint8_t readable[INGEST_MAX_PORTIONS];
	uint8_t kinds[INGEST_MAX_PORTIONS];
	ingest_doc *doc;   /* opened lazily (phrases) */
	int opened, failed;
};

/* ---- deciding ---- */

int
query__decide_one(const acl_principal *p, const uint8_t *label, const char *ntk,
    size_t nl)
{
	struct acl_decision d;
	int v;

	acl_label_decide(p, label, ACL_LABEL_SIZE, &d);
	v = d.verdict == ACL_ALLOW ? 1 : d.verdict == ACL_VIEW ? 2 : 0;
	if (v && nl > 0) {
		char expr[1024];
		if (nl >= sizeof(expr) ||
		    (snprintf(expr, sizeof(expr), "%.*s", (int)nl, ntk),
			acl_ntk_check(p, expr, NULL) != 1))
			v = 0; /* false or malformed: deny */
	}
	return v;
}

static int
entry_loaded(void *ctx, const uint8_t *buf, size_t len)
{
	query__entries *es = ((void **)ctx)[0];
	uint32_t id = *(const uint32_t *)((void **)ctx)[1];
	struct query__entry *e = &es->e[id];
	struct query__emark *mk = &es->mk[id];
	ingest_entry ent;

	if (ingest_entry_view(buf, len, &ent) != 0)
		return LSN_EINPUT;
	/* The marking's text, for the banners of the views it is in. */
	if ((mk->text = malloc(ent.marking_len ? ent.marking_len : 1)) == NULL)
		return LSN_EINTERNAL;
	memcpy(mk->text, ent.marking, ent.marking_len);
	mk->len = ent.marking_len;
	e->readable = (uint8_t)query__decide_one(es->who, ent.label, ent.ntk, ent.ntk_len);
	e->kind = (uint8_t)ent.kind;
	e->known = 1;
	return 0;
}

/* store_index_entry_get's callback when only whether it is there counts. */
static int
entry_exists(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

/* Room for entry number id in es's tables; 0 or -1. */
static int
entries_room(query__entries *es, uint32_t id)
{
	size_t n = es->n ? es->n : 64;
	struct query__entry *ne;
	struct query__emark *nm;

	if (id < es->n)
		return 0;
	while (n <= id)
		n *= 2;
	if ((ne = realloc(es->e, n * sizeof(*ne))) == NULL)
		return -1;
	memset(ne + es->n, 0, (n - es->n) * sizeof(*ne));
	es->e = ne;
	if ((nm = realloc(es->mk, n * sizeof(*nm))) == NULL)
		return -1; /* es->n unchanged: both hold at least that many */
	memset(nm + es->n, 0, (n - es->n) * sizeof(*nm));
	es->mk = nm;
	es->n = n;
	return 0;
}

const struct query__entry *
query__entry_load(query__entries *es, uint32_t id, lsn_err *err)
{
	int rc = LSN_EINPUT;

	if (id == 0)
		goto bad;
	/* A number past the tables is read before they grow to it: a damaged
	 * label's made them grow towards 2^32 entries (gigabytes). */
	if (id >= es->n && (rc = store_index_entry_get(es->sn, id, entry_exists, NULL,
	    err)) != 0)
		goto bad;
	if (entries_room(es, id) != 0) {
		lsn_fail(err, LSN_EINTERNAL, "out of memory");
		return NULL;
	}
	if (!es->e[id].known) {
		void *ctx[2] = { es, &id };
		if ((rc = store_index_entry_get(es->sn, id, entry_loaded, ctx, err)) != 0)
			goto bad;
	}
	return &es->e[id];
bad:
	if (rc == LSN_EINTERNAL)
		lsn_fail(err, LSN_EINTERNAL, "out of memory");
	else
		lsn_fail(err, LSN_EINPUT, "marking entry %u cannot be read (damaged store?)",
		    (unsigned)id);
	return NULL;
}

void
query__entries_clear(query__entries *es)
{
	for (size_t i = 0; es->mk != NULL && i < es->n; i++) {
		/* Opened index contents, wiped as the postings are. */
		lsn_wipe_free(es->mk[i].text, es->mk[i].len);
		acl_marking_free(es->mk[i].m);
	}
	free(es->mk);
	es->mk = NULL;
	free(es->e);
	es->e = NULL;
	es->n = 0;
	for (size_t i = 0; i < QUERY__MEMO; i++) {
		struct query__banner_memo *mo = &es->memo[i];
		free(mo->ids);
		acl_marking_free(mo->m);
		free(mo->text);
		memset(mo, 0, sizeof(*mo));
	}
	es->memo_next = 0;
}

/* Entry id's marking, parsed on first use (the entry is known). */
static const acl_marking *
entry_marking(query__entries *es, uint32_t id, lsn_err *err)
{
	struct query__emark *mk;

	if (query__entry(es, id, err) == NULL)
		return NULL;
	mk = &es->mk[id];
	if (mk->m == NULL &&
	    ingest_marking_parse(&mk->m, es->data, mk->text, mk->len, err) != 0) {
		mk->m = NULL;
		lsn_fail(err, LSN_EINPUT, "marking entry %u holds a malformed marking "
		    "(damaged store?)", (unsigned)id);
		return NULL;
	}
	return mk->m;
}

int
query__entry_seed(query__entries *es, uint32_t id, const acl_marking *m, lsn_err *err)
{
	if (query__entry(es, id, err) == NULL)
		return LSN_EINPUT;
	if (es->mk[id].m != NULL)
		return 0;
	return acl_marking_dup(&es->mk[id].m, m, err);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int
query__view_banner(query__entries *es, const ingest_rlabel *v, const uint8_t *readable,
    const acl_marking **m, const char **text, lsn_err *err)
{
	uint32_t ids[INGEST_MAX_PORTIONS];
	const acl_marking *ms[INGEST_MAX_PORTIONS];
	struct query__banner_memo *mo;
	size_t n = 0, k = 0;
	int rc;

	*m = NULL;
	if (text != NULL)
		*text = NULL;
	for (size_t i = 0; i < v->nportions && i < INGEST_MAX_PORTIONS; i++)
		if (readable[i])
			ids[n++] = ingest_rlabel_entry(v, i);
	qsort(ids, n, sizeof(*ids), cmp_u32);
	for (size_t i = 0; i < n; i++) /* each entry once */
		if (k == 0 || ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	for (size_t i = 0; i < QUERY__MEMO; i++) {
		mo = &es->memo[i];
		if (mo->m != NULL && mo->n == k && memcmp(mo->ids, ids, k * sizeof(*ids)) == 0)
			goto found;
	}
	for (size_t i = 0; i < k; i++)
		if ((ms[i] = entry_marking(es, ids[i], err)) == NULL)
			return LSN_EINPUT;
	mo = &es->memo[es->memo_next];
	es->memo_next = (es->memo_next + 1) % QUERY__MEMO;
	free(mo->ids);
	acl_marking_free(mo->m);
	free(mo->text);
	memset(mo, 0, sizeof(*mo));
	if ((mo->ids = malloc(k ? k * sizeof(*ids) : 1)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	memcpy(mo->ids, ids, k * sizeof(*ids));
	mo->n = k;
	if ((rc = acl_rollup_view(&mo->m, es->data, ms, k, err)) != 0) {
		mo->m = NULL;
		return rc;
	}
found:
	if (text != NULL && mo->text == NULL &&
	    (rc = acl_marking_render(&mo->text, mo->m, ACL_BANNER, err)) != 0)
		return rc;
	*m = mo->m;
	if (text != NULL)
		*text = mo->text;
	return 0;
}

int
query__decide(query__entries *es, const char *id, const uint8_t *label, size_t len,
    ingest_rlabel *v, uint8_t *readable, uint8_t *kinds, lsn_err *err)
{
	int n = 0;

	if (ingest_rlabel_view(v, label, len) != 0 || v->nportions > INGEST_MAX_PORTIONS)
		return lsn_fail(err, LSN_EINPUT, "report %s: malformed label", id);
	/* One decision per marking entry, made once per query. */
	for (size_t k = 0; k < v->nportions; k++) {
		const struct query__entry *e = query__entry(es, ingest_rlabel_entry(v, k), err);
		if (e == NULL)
			return LSN_EINPUT;
		readable[k] = e->readable;
		kinds[k] = e->kind;
		n += readable[k] != 0;
	}
	return n;
}

/* ---- opening ---- */

/* Open the segments of report id that want[] names (v->nsegments of them),
 * checking that the label decided on (v, viewed from label) is the one
 * sealed with the record.  0, or an lsn_status with *out NULL. */
static int
open_sealed(store_snap *sn, uint64_t serial, const char *id, const uint8_t *label,
    size_t label_len, const ingest_rlabel *v, const uint8_t *want, store_record **out,
    lsn_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = store_record_get_serial(sn, serial, id, want, v->nsegments, out, err)) != 0)
		return rc;
	if ((*out)->label_len != label_len || memcmp((*out)->label, label, label_len) != 0)
		rc = lsn_fail(err, LSN_EINPUT, "report %s: its label index entry does not "
		    "match the sealed record", id);
	else if ((*out)->nseg != v->nsegments)
		rc = lsn_fail(err, LSN_EINPUT, "report %s: its segments do not match its "
		    "label", id);
	if (rc != 0) {
		store_record_free(*out);
		*out = NULL;
	}
	return rc;
}

int
query__open(store_snap *sn, const acl_data *data, uint64_t serial, const char *id,
    const uint8_t *label, size_t label_len, const ingest_rlabel *v,
    const uint8_t *readable, const uint8_t *want, ingest_doc **out, lsn_err *err)
{
	uint8_t *seg = calloc(v->nsegments, 1);
	store_record *r = NULL;
	int rc;

	*out = NULL;
	if (seg == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if (want == NULL)
		want = readable;
	seg[0] = 1; /* the skeleton */
	for (size_t i = 0; i < v->nportions; i++)
		seg[ingest_rlabel_segment(v, i)] |= want[i] != 0;
	rc = open_sealed(sn, serial, id, label, label_len, v, seg, &r, err);
	if (rc == 0) {
		rc = ingest_record_decode(out, data, r, err);
		store_record_free(r);
	}
	if (rc != 0) {
		free(seg);
		return rc;
	}
	/* Exactly the portions of the opened segments, all readable, whatever
	 * the segments held (they are sealed with the label, so only a writer
	 * with the keys could make them disagree; deny rather than trust it);
	 * then only the wanted ones. */
	if ((*out)->nportions != v->nportions)
		goto mismatch;
	for (size_t i = 0; i < v->nportions; i++) {
		int opened = seg[ingest_rlabel_segment(v, i)];
		if (((*out)->portions[i].element != NULL) != (opened != 0) ||
		    (opened && !readable[i]))
			goto mismatch;
		if (opened && !want[i])
			ingest_portion_clear(&(*out)->portions[i]);
	}
	free(seg);
	return 0;
mismatch:
	free(seg);
	ingest_doc_free(*out);
	*out = NULL;
	return lsn_fail(err, LSN_EINPUT, "report %s: its segments do not match its label",
	    id);
}

/* Read the candidate's label and decide every portion (once).  Returns
 * 1, 0 when its report is no longer stored, -1 (r->err set). */
static int
cand_full(struct run *r, struct cand *c)
{
	const char *id;
	const uint8_t *label;
	size_t ll;

	if (c->full)
		return c->gone ? 0 : 1;
	c->full = 1;
	/* A posting whose report was deleted names nothing. */
	if (store_serial_lookup(r->sn, c->serial, &id, &label, &ll, NULL) != 0) {
		c->gone = 1;
		return 0;
	}
	c->id = id;
	c->label = label;
	c->label_len = ll;
	if (query__decide(&r->ents, id, label, ll, &c->v, c->readable, c->kinds, r->err) < 0)
		return -1;
	c->date = c->v.date;
	return 1;
}

/* Open the candidate's readable portions.  Returns 0, -1 (r->err set),
 * -2 when its report is no longer stored. */
static int
cand_open(struct run *r, struct cand *c)
{
	int rc;

	if ((rc = cand_full(r, c)) <= 0)
		return rc < 0 ? -1 : -2;
	if (c->opened)
		return c->failed ? -1 : 0;
	c->opened = 1;
	if (query__open(r->sn, r->data, c->serial, c->id, c->label, c->label_len, &c->v,
		c->readable, NULL, &c->doc, r->err) != 0) {
		c->failed = 1;
		return -1;
	}
	return 0;
}

static void
cand_clear(struct cand *c)
{
	ingest_doc_free(c->doc);
	c->doc = NULL;
	c->opened = c->failed = 0;
	c->full = c->gone = 0;
}

/* ---- postings ---- */

/* Report (xd, xs) comes before report (yd, ys) in block order: newer, or
 * as new and ingested later. */
static inline int
key_before(uint32_t xd, uint64_t xs, uint32_t yd, uint64_t ys)
{
	return xd != yd ? xd > yd : xs > ys;
}

/*
 * A block's runs are read one after the other: for (RUN_EACH(w, i, from))
 * takes run i as w->blk[from .. w->view.end[i]).
 */
#define RUN_EACH(w, i, from) \
	size_t i = 0, from = 0; i < (w)->view.n; from = (w)->view.end[i++]

/* Decode the runs read of w's block into w->p, newest report first. */
static int
decode_runs(struct run *r, struct word *w)
{
	int rc = ingest_runs_decode(w->blk, w->view.end, w->view.n, &w->p, &w->n, &w->cap);

	if (rc != 0)
		return lsn_fail(r->err, rc, rc == LSN_EINTERNAL ? "out of memory" :
		    "a malformed posting block");
	return 0;
}

/* The postings of word w for report (d, s): [*lo, *hi).  Candidates come
 * in block order, each asked about by every node of its word: the last
 * answer is kept, and the next search starts where it ended and gallops
 * forward (steps of 1, 2, 4, ...) before it bisects that span. */
static void
postings_of(struct word *w, uint32_t d, uint64_t s, size_t *lo, size_t *hi)
{
	size_t a, b = w->n;

	if (s == w->last && s != 0) {
		*lo = w->at;
		*hi = w->end;
		return;
	}
	/* Onwards from the last answer when (d, s) comes after it, else from
	 * the start. */
	a = w->last != 0 && key_before(w->last_date, w->last, d, s) && w->end <= w->n ? w->end : 0;
	size_t step = 1;
	while (a + step < b &&
	    key_before(w->p[a + step - 1].date, w->p[a + step - 1].serial, d, s)) {
		a += step;
		step *= 2;
	}
	if (a + step < b)
		b = a + step;
	while (a < b) { /* first posting not before (d, s) in [a, b) */
		size_t m = a + (b - a) / 2;
		if (key_before(w->p[m].date, w->p[m].serial, d, s))
			a = m + 1;
		else
			b = m;
	}
	*lo = w->at = a;
	while (a < w->n && w->p[a].serial == s)
		a++;
	*hi = w->end = a;
	w->last = s;
	w->last_date = d;
}

/* Register the words of every Q_WORDS node (deduplicated). */
static int
collect_words(struct run *r, struct query__node *n)
{
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = collect_words(r, n->a)) != 0 || (rc = collect_words(r, n->b)) != 0)
		return rc;
	if (n->type != Q_WORDS)
		return 0;
	if (n->word_ix == NULL && (n->word_ix = calloc(n->nwords, sizeof(size_t))) == NULL)
		return lsn_fail(r->err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < n->nwords; i++) {
		size_t k;
		for (k = 0; k < r->nwords; k++)
			if (strcmp(r->words[k].text, n->words[i]) == 0)
				break;
		if (k == r->nwords) {
			struct word *w = realloc(r->words, (r->nwords + 1) * sizeof(*w));
			if (w == NULL)
				return lsn_fail(r->err, LSN_EINTERNAL, "out of memory");
			r->words = w;
			memset(&w[k], 0, sizeof(*w));
			w[k].text = n->words[i];
			r->nwords++;
		}
		n->word_ix[i] = k;
	}
	return 0;
}

/* ---- evaluation ---- */

/* Does the phrase occur, word after word, in this text?  The last nwords
 * words are kept in a ring and compared at each word: O(words x length). */
static int
phrase_in(const struct query__node *n, const char *text, size_t len)
{
	char ring[QUERY_MAX_TERMS][LSN_TOKEN_MAX + 1];
	size_t seen = 0, wl, m = n->nwords;
	lsn_tokenizer tk;
	const char *w;
	int found = 0;

	if (lsn_token_init(&tk, text, len) != 0)
		return 0;
	while (!found && lsn_token_next(&tk, &w, &wl)) {
		memcpy(ring[seen % m], w, wl + 1);
		seen++;
		if (seen < m)
			continue;
		found = 1;
		for (size_t k = 0; k < m && found; k++)
			found = strcmp(ring[(seen - m + k) % m], n->words[k]) == 0;
	}
	lsn_wipe(ring, sizeof(ring));
	lsn_wipe(tk.word, sizeof(tk.word));
	return found;
}

static int
kind_ok(const struct query__node *n, int kind)
{
	return n->kind == 0 || n->kind == kind;
}

/*
 * A node is evaluated once for two questions, as two bits: does it match
 * on the portions the principal may read (M_READ: the answer), and would
 * it match were every portion readable (M_ALL: for the audit log's
 * withheld count only)?  `need` says which bits still matter; bits outside
 * it are not meaningful.  M_ALL never opens a portion: a phrase counts
 * there when its words are in one portion, class: and rel: as true.
 */
enum { M_READ = 1, M_ALL = 2, M_BOTH = 3 };

/*
 * A word node: every word in one portion (of the field's kind); a phrase
 * is verified on the text, which opens the portion (readable ones only).
 */
static int
eval_words(struct run *r, struct cand *c, const struct query__node *n, int need)
{
	struct word *w0 = &r->words[n->word_ix[0]];
	size_t lo, hi;
	int rc, m = 0;

	postings_of(w0, c->date, c->serial, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		uint32_t portion = w0->p[i].portion;
		int all_words = 1, kind, readable;

		if (c->full) { /* from the label */
			if (c->gone || portion >= c->v.nportions)
				continue;
			kind = c->kinds[portion];
			readable = c->readable[portion];
		} else { /* from the posting's marking entry */
			const struct query__entry *es = query__entry(&r->ents, w0->p[i].entry,
			    r->err);
			if (es == NULL)
				return -1;
			kind = es->kind;
			readable = es->readable;
		}
		if (!kind_ok(n, kind))
			continue;
		for (size_t k = 1; k < n->nwords && all_words; k++) {
			struct word *wk = &r->words[n->word_ix[k]];
			size_t a, b, j;
			postings_of(wk, c->date, c->serial, &a, &b);
			for (j = a; j < b && wk->p[j].portion != portion; j++)
				;
			all_words = j < b;
		}
		if (!all_words)
			continue;
		m = M_ALL;
		if (!(need & M_READ))
			return m;
		if (!readable)
			continue;
		if (n->nwords == 1)
			return M_BOTH;
		if ((rc = cand_open(r, c)) != 0)
			return rc == -2 ? 0 : -1;
		if (c->doc->portions[portion].text != NULL &&
		    phrase_in(n, c->doc->portions[portion].text, c->doc->portions[portion].text_len))
			return M_BOTH;
	}
	return m;
}

/* The releasable view's banner (*m NULL when no portion is readable).
 * Returns 0, -1 (r->err set), -2 when the report is no longer stored. */
static int
cand_banner(struct run *r, struct cand *c, const acl_marking **m, const char **text)
{
	int rc, any = 0;

	*m = NULL;
	if (text != NULL)
		*text = NULL;
	if ((rc = cand_full(r, c)) <= 0)
		return rc < 0 ? -1 : -2;
	for (size_t i = 0; i < c->v.nportions && !any; i++)
		any = c->readable[i] != 0;
	if (!any)
		return 0;
	return query__view_banner(&r->ents, &c->v, c->readable, m, text, r->err) != 0 ? -1 : 0;
}

/* Is country (a trigraph or group) in the releasable view's REL TO,
 * literally or through a decomposable tetragraph (REL TO USA, FVEY covers
 * GBR)? */
static int
rel_has(struct run *r, struct cand *c, const char *country)
{
	const acl_marking *m;
	int rc;

	if ((rc = cand_banner(r, c, &m, NULL)) != 0)
		return rc == -2 ? 0 : -1;
	if (m == NULL)
		return 0;
	rc = acl_marking_rel_covers(m, country, r->err);
	return rc < 0 ? -1 : rc;
}

/* A true/false answer the same for both questions. */
#define BOTH(x) ((x) ? M_BOTH : 0)

static int
eval(struct run *r, struct cand *c, const struct query__node *n, int need)
{
	int a, b;

	switch (n->type) {
	case Q_AND: /* b matters only where a is true */
		if ((a = eval(r, c, n->a, need)) < 0 || (a & need) == 0)
			return a < 0 ? a : 0;
		if ((b = eval(r, c, n->b, need & a)) < 0)
			return b;
		return a & b;
	case Q_OR: /* b matters only where a is false */
		if ((a = eval(r, c, n->a, need)) < 0 || (need & ~a) == 0)
			return a;
		if ((b = eval(r, c, n->b, need & ~a)) < 0)
			return b;
		return a | b;
	case Q_NOT:
		a = eval(r, c, n->a, need);
		return a < 0 ? a : M_BOTH & ~a;
	case Q_WORDS:
		return eval_words(r, c, n, need);
	case Q_ID:
		if ((a = cand_full(r, c)) <= 0)
			return a;
		return BOTH(strcmp(c->id, n->text) == 0);
	case Q_DATE:
		return BOTH(c->date != 0 && c->date >= n->from && c->date <= n->to);
	case Q_CLASS: /* on the releasable view's banner */
		if (!(need & M_READ))
			return M_ALL;
		{
			const acl_marking *m;
			if ((a = cand_banner(r, c, &m, NULL)) != 0)
				return a == -2 ? 0 : -1;
			b = m != NULL ? acl_marking_level(m) : 0;
		}
		switch (n->cmp) {
		case '<': return M_ALL | (b < n->level);
		case '>': return M_ALL | (b > n->level);
		case 'l': return M_ALL | (b <= n->level);
		case 'g': return M_ALL | (b >= n->level);
		default: return M_ALL | (b == n->level);
		}
	case Q_REL:
		if (!(need & M_READ))
			return M_ALL;
		if ((a = rel_has(r, c, n->text)) < 0)
			return a;
		return M_ALL | a;
	}
	return 0;
}

/* Mark in req[] (by word index) the words every match must contain: the
 * words of word nodes reached through ANDs only (under OR or NOT a word is
 * not required).  A report without one of them cannot match, readable or
 * not, so the rarest one's postings are the candidates. */
static void
required_words(const struct query__node *n, uint8_t *req)
{
	if (n == NULL)
		return;
	if (n->type == Q_AND) {
		required_words(n->a, req);
		required_words(n->b, req);
	} else if (n->type == Q_WORDS) {
		for (size_t i = 0; i < n->nwords; i++)
			req[n->word_ix[i]] = 1;
	}
}

/* Could the query match with every word absent?  Then every report is a
 * candidate, not only those the postings name: query_run() adds the
 * pseudo-word every report is posted under (ingest.h). */
static int
needs_all(const struct query__node *n, int negated)
{
	switch (n->type) {
	case Q_AND:
		return negated ? needs_all(n->a, 1) || needs_all(n->b, 1)
			       : needs_all(n->a, 0) && needs_all(n->b, 0);
	case Q_OR:
		return negated ? needs_all(n->a, 1) && needs_all(n->b, 1)
			       : needs_all(n->a, 0) || needs_all(n->b, 0);
	case Q_NOT:
		return needs_all(n->a, !negated);
	case Q_WORDS:
		return negated; /* absent word: NOT word is true */
	default:
		return 1; /* filters may be true of any report */
	}
}

/* Narrow [*from, *to] to the date ranges every match must be in: those of
 * date: nodes reached through ANDs only. */
static void
required_dates(const struct query__node *n, uint32_t *from, uint32_t *to)
{
	if (n->type == Q_AND) {
		required_dates(n->a, from, to);
		required_dates(n->b, from, to);
	} else if (n->type == Q_DATE) {
		*from = n->from > *from ? n->from : *from;
		*to = n->to < *to ? n->to : *to;
	}
}

/*
 * A query that could match with none of its words present requires the
 * pseudo-word every report is posted under, unless its every match is in
 * [from, to] (required_dates()) and that spans at most QUERY__MONTHS
 * months: then one of those months' words (ingest.h), which hold the same
 * postings for the reports of their month, OR'ed in nodes taken from m
 * (QUERY__MONTHS * 2 of them; texts in words and text).  The date: nodes
 * still decide the exact days.  The node to AND with the query.
 */
#define QUERY__MONTHS 24
static struct query__node *
candidate_words(uint32_t from, uint32_t to, struct query__node *every,
    struct query__node *m, char **words, char (*text)[INGEST_MONTH_WORD_MAX])
{
	struct query__node *t = NULL;
	long first, last;

	if (from / 10000 == 0 || to > 99991231 || from > to)
		return every; /* no range, an open one, or an empty one */
	first = (long)(from / 10000) * 12 + (long)(from / 100 % 100) - 1;
	last = (long)(to / 10000) * 12 + (long)(to / 100 % 100) - 1;
	if (last - first + 1 > QUERY__MONTHS)
		return every;
	for (long k = first; k <= last; k++) {
		size_t i = (size_t)(k - first);
		uint32_t date = (uint32_t)(k / 12) * 10000 + (uint32_t)(k % 12 + 1) * 100 + 1;
		if (ingest_month_word(date, text[i]) == 0)
			return every;
		words[i] = text[i];
		m[2 * i] = (struct query__node){ .type = Q_WORDS, .words = &words[i], .nwords = 1 };
		if (t == NULL)
			t = &m[2 * i];
		else {
			m[2 * i + 1] = (struct query__node){ .type = Q_OR, .a = t, .b = &m[2 * i] };
			t = &m[2 * i + 1];
		}
	}
	return t;
}

/* rel: names a country or tetragraph of the registry (deny by default:
 * an unknown code is an error, not an empty answer). */
static int
check_rel(struct run *r, const struct query__node *n)
{
	acl_marking *m = NULL;
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = check_rel(r, n->a)) != 0 || (rc = check_rel(r, n->b)) != 0)
		return rc;
	if (n->type != Q_REL)
		return 0;
	if ((rc = acl_marking_new(&m, r->data, r->err)) != 0)
		return rc;
	rc = acl_marking_rel_covers(m, n->text, r->err);
	acl_marking_free(m);
	return rc < 0 ? lsn_fail(r->err, LSN_EINPUT, "rel:%s: not a country or tetragraph "
	    "of the registry", n->text) : 0;
}

/* ---- the run ---- */

struct match {
	uint32_t date;
	uint64_t serial;
};

/*
 * The best k matches so far (newest first), a heap whose root is the worst
 * kept one: memory is O(offset + limit) however many reports match.  Once
 * k are kept, a report that does not come before the root can no longer be
 * a hit, and the search passes it by (the blocks are in answer order, so a
 * block is read only up to there).
 *
 * The audit log's withheld count is of the reports that would have matched
 * had every portion been readable and that rank before the last hit the
 * principal could be given (the k-th match), or all of them when fewer
 * than k match: the reports withheld from this answer.  They are kept in
 * wh (pruned as the root moves up) and counted at the end.
 */
struct kept;

struct matches {
	struct match *m;
	size_t n, k;
	struct match *wh;
	size_t nwh, cwh, prune_at;
	struct kept *save; /* the save point of the batch being taken, or NULL */
};

/*
 * The matches kept before a batch, to take it again with more frames (a
 * save point).  While the batch is taken the withheld list only grows, at
 * its end, unless the heap fills and a prune compacts it: so its first nwh
 * are copied only then (kept_copy_wh), and otherwise restoring is cutting
 * it back.  (Copied whole at every save and restore until 2026-12-05: a
 * partner's query that found nothing it may read, every report it matched
 * withheld, copied that list twice per try of every batch; on a 1M store
 * two such words took 30-40 ms, three quarters of it in those copies.)
 */
struct kept {
	struct match *m, *wh;
	size_t n, nwh, cwh, prune_at;
	int wh_copied;  /* wh holds the list's first nwh, from before a prune */
};

/* Copy the withheld list's first kp->nwh (as they were at the save point:
 * only appended to since) into kp; 0, or -1 out of memory. */
static int
kept_copy_wh(struct kept *kp, const struct matches *ms)
{
	if (kp->nwh > kp->cwh) {
		struct match *p = realloc(kp->wh, kp->nwh * sizeof(*p));
		if (p == NULL)
			return -1;
		kp->wh = p;
		kp->cwh = kp->nwh;
	}
	if (kp->nwh)
		memcpy(kp->wh, ms->wh, kp->nwh * sizeof(*kp->wh));
	kp->wh_copied = 1;
	return 0;
}

static int
cmp_match(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	if (x->date != y->date)
		return x->date > y->date ? -1 : 1;
	return x->serial > y->serial ? -1 : x->serial < y->serial;
}

/* x sorts before y: newer, or as new and ingested later. */
static int
better(const struct match *x, const struct match *y)
{
	return cmp_match(x, y) < 0;
}

static void
sift_down(struct matches *ms, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, worst = i;
		if (l < ms->n && better(&ms->m[worst], &ms->m[l]))
			worst = l;
		if (r < ms->n && better(&ms->m[worst], &ms->m[r]))
			worst = r;
		if (worst == i)
			return;
		struct match t = ms->m[i];
		ms->m[i] = ms->m[worst];
		ms->m[worst] = t;
		i = worst;
	}
}

static void
keep_match(struct matches *ms, uint32_t date, uint64_t serial)
{
	struct match m = { date, serial };

	if (ms->n < ms->k) {
		size_t i = ms->n++;
		ms->m[i] = m;
		while (i > 0 && better(&ms->m[(i - 1) / 2], &ms->m[i])) {
			struct match t = ms->m[i];
			ms->m[i] = ms->m[(i - 1) / 2];
			ms->m[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	} else if (ms->k > 0 && better(&m, &ms->m[0])) {
		ms->m[0] = m;
		sift_down(ms, 0);
	}
}

/* Could report (date, serial) still be a hit, or withheld from one? */
static inline int
ahead(const struct matches *ms, uint32_t date, uint64_t serial)
{
	return ms->n < ms->k || key_before(date, serial, ms->m[0].date, ms->m[0].serial);
}

size_t query__withheld_room = 256;
uint64_t query__withheld_prunes;

/* Keep only the withheld reports still ahead of the root. */
static void
prune_withheld(struct matches *ms)
{
	size_t n = 0;

	__atomic_fetch_add(&query__withheld_prunes, 1, __ATOMIC_RELAXED);

	for (size_t i = 0; i < ms->nwh; i++)
		if (ahead(ms, ms->wh[i].date, ms->wh[i].serial))
			ms->wh[n++] = ms->wh[i];
	ms->nwh = n;
}

/* Report (date, serial) would have matched on portions the principal may
 * not read.  0, or -1 out of memory. */
static int
note_withheld(struct matches *ms, uint32_t date, uint64_t serial)
{
	if (!ahead(ms, date, serial))
		return 0;
	if (ms->nwh == ms->cwh) {
		if (ms->n == ms->k && ms->nwh >= ms->prune_at) {
			if (ms->save != NULL && !ms->save->wh_copied &&
			    kept_copy_wh(ms->save, ms) != 0)
				return -1;
			prune_withheld(ms);
			ms->prune_at = 2 * ms->nwh;
		}
		if (ms->nwh == ms->cwh) {
			size_t cap = ms->cwh ? 2 * ms->cwh : query__withheld_room;
			struct match *p = realloc(ms->wh, cap * sizeof(*p));
			if (p == NULL)
				return -1;
			ms->wh = p;
			ms->cwh = cap;
		}
	}
	ms->wh[ms->nwh].date = date;
	ms->wh[ms->nwh].serial = serial;
	ms->nwh++;
	return 0;
}

struct iter_ctx {
	struct run *r;
	struct matches *ms;
	struct cand *c;
};

/*
 * Evaluate one candidate, from postings (its serial and date only: the
 * label is read only if the query reaches id:, class:, rel: or a phrase);
 * record a match.
 */
static int
consider(struct iter_ctx *ic, uint64_t serial, uint32_t date)
{
	struct cand *c = ic->c;
	struct matches *ms = ic->ms;
	int m;

	cand_clear(c);
	c->serial = serial;
	c->date = date;
	if ((m = eval(ic->r, c, ic->r->q->root, M_BOTH)) < 0)
		return LSN_EINPUT;
	if (!(m & M_READ)) {
		/* For the audit log only: would it have matched on everything? */
		if ((m & M_ALL) && !c->gone && note_withheld(ms, c->date, serial) != 0)
			return lsn_fail(ic->r->err, LSN_EINTERNAL, "out of memory");
		cand_clear(c);
		return 0;
	}
	keep_match(ms, c->date, serial);
	cand_clear(c);
	return 0;
}

/* ---- whole batches at once ---- */

/*
 * Most queries are single words (with or without a field), dates, AND, OR
 * and NOT.  Those are evaluated for a whole batch at once: each node gives
 * two bitmaps over the batch's candidate serials, the two questions of
 * eval() (R: matches on the readable portions; A: would match on all of
 * them), straight from the postings' marking entries, and the candidates'
 * dates come from the postings too.  The answers are exactly consider()'s
 * for every candidate; test_query runs every query by bitmaps, one at a
 * time, and by narrow bitmaps (the fallback below), against its reference.
 */
static int
bits_ok(const struct query__node *n)
{
	switch (n->type) {
	case Q_AND:
	case Q_OR:
		return bits_ok(n->a) && bits_ok(n->b);
	case Q_NOT:
		return bits_ok(n->a);
	case Q_DATE:
		return 1;
	case Q_WORDS:
		return n->nwords == 1;
	default:
		return 0; /* id:, class:, rel:, phrases: one candidate at a time */
	}
}

/* Serials one batch's bitmaps may span; a wider batch (never with the
 * default batch sizes) is evaluated one candidate at a time. */
uint64_t query__bits_max_span = 1u << 22;
#define BITS_TOO_WIDE 1

int query__one_at_a_time;
uint64_t query__batches_passed;
uint64_t query__batches_probed;

struct bits {
	size_t nodes;   /* in the query; 0: not evaluated by bitmaps */
	uint64_t lo;    /* the serial of bit 0 */
	uint32_t td;    /* blocks are read while before (td, ts) */
	uint64_t ts;
	size_t nw;      /* 64-bit words in a bitmap */
	uint64_t *cand; /* the candidates */
	uint32_t *date; /* a candidate's date, by bit */
	size_t cand_cap; /* words in cand (and dates: 64 a word) */
	uint64_t *pool; /* bitmaps for the nodes, two each */
	size_t used, cap;
};

static uint64_t *
bits_take(struct bits *b)
{
	uint64_t *m = b->pool + b->used * b->nw;

	b->used++;
	memset(m, 0, b->nw * sizeof(*m));
	return m;
}

/*
 * query__entry() for a scan that keeps the entry table in its locals *ee
 * and *en (reloaded after a load): its bitmap stores could otherwise alias
 * the table's length, which would be read again at every posting.
 */
static inline const struct query__entry *
scan_entry(struct run *r, uint32_t id, const struct query__entry **ee, size_t *en)
{
	const struct query__entry *e;

	if (id < *en && (*ee)[id].known)
		return &(*ee)[id];
	e = query__entry_load(&r->ents, id, r->err);
	*ee = r->ents.e;
	*en = r->ents.n;
	return e;
}

/* A single-word node's two bitmaps, scanned from its word's block. */
static int
bits_word(struct run *r, struct bits *b, const struct query__node *n, uint64_t *R,
    uint64_t *A)
{
	const struct word *w = &r->words[n->word_ix[0]];
	uint64_t span = (uint64_t)b->nw * 64;
	ingest_postings_cursor c;
	ingest_posting p;
	int rc;

	if (w->is_cand && n->kind == 0) { /* its answer is known already */
		memcpy(R, w->R, b->nw * sizeof(*R));
		memcpy(A, w->A, b->nw * sizeof(*A));
		return 0;
	}
	const struct query__entry *ee = r->ents.e, *e;
	size_t en = r->ents.n;
	uint64_t lo = b->lo, ts = b->ts;
	uint32_t td = b->td;
	int kind = n->kind;
	for (RUN_EACH(w, i, from)) {
		if (ingest_postings_begin(&c, w->blk + from, w->view.end[i] - from) != 0)
			return lsn_fail(r->err, LSN_EINPUT, "a malformed posting block");
		while ((rc = ingest_postings_next(&c, &p)) == 1) {
			uint64_t k = p.serial - lo; /* below lo: wraps, skipped */
			if (!key_before(p.date, p.serial, td, ts))
				break; /* in order: the rest of the run is behind too */
			if (k >= span)
				continue;
			if ((e = scan_entry(r, p.entry, &ee, &en)) == NULL)
				return -1;
			if (kind != 0 && kind != e->kind)
				continue; /* kind_ok() */
			A[k >> 6] |= 1ULL << (k & 63);
			R[k >> 6] |= (uint64_t)(e->readable != 0) << (k & 63);
		}
		if (rc < 0)
			return lsn_fail(r->err, LSN_EINPUT, "a malformed posting block");
	}
	return 0;
}

static int
bits_eval(struct run *r, struct bits *b, const struct query__node *n, uint64_t **R,
    uint64_t **A)
{
	uint64_t *ra, *aa, *rb, *ab;
	size_t nw = b->nw;

	switch (n->type) {
	case Q_AND:
	case Q_OR:
		if (bits_eval(r, b, n->a, &ra, &aa) != 0 || bits_eval(r, b, n->b, &rb, &ab) != 0)
			return -1;
		if (n->type == Q_AND)
			for (size_t i = 0; i < nw; i++) {
				ra[i] &= rb[i];
				aa[i] &= ab[i];
			}
		else
			for (size_t i = 0; i < nw; i++) {
				ra[i] |= rb[i];
				aa[i] |= ab[i];
			}
		break;
	case Q_NOT:
		if (bits_eval(r, b, n->a, &ra, &aa) != 0)
			return -1;
		for (size_t i = 0; i < nw; i++) { /* the result is masked by cand */
			ra[i] = ~ra[i];
			aa[i] = ~aa[i];
		}
		break;
	case Q_DATE:
		ra = bits_take(b);
		aa = bits_take(b);
		for (size_t i = 0; i < nw; i++)
			for (uint64_t m = b->cand[i]; m != 0; m &= m - 1) {
				size_t k = i * 64 + (size_t)__builtin_ctzll(m);
				uint32_t d = b->date[k];
				if (d != 0 && d >= n->from && d <= n->to) {
					ra[i] |= 1ULL << (k & 63);
					aa[i] |= 1ULL << (k & 63);
				}
			}
		break;
	default: /* Q_WORDS, one word */
		ra = bits_take(b);
		aa = bits_take(b);
		if (bits_word(r, b, n, ra, aa) != 0)
			return -1;
	}
	*R = ra;
	*A = aa;
	return 0;
}

/* Grow bitmap *m of *cap words to cap words, zeroed; 0 or -1. */
static int
bits_grow(uint64_t **m, size_t *have, size_t cap)
{
	uint64_t *n;

	if (cap <= *have)
		return 0;
	if ((n = realloc(*m, cap * sizeof(*n))) == NULL)
		return -1;
	memset(n + *have, 0, (cap - *have) * sizeof(*n));
	*m = n;
	*have = cap;
	return 0;
}

/* w's two bitmaps (which share bits_cap) grown to cap words; 0 or -1. */
static int
word_bits_grow(struct word *w, size_t cap)
{
	size_t have = w->bits_cap;

	if (bits_grow(&w->R, &have, cap) != 0)
		return -1;
	return bits_grow(&w->A, &w->bits_cap, cap);
}

/* Room in cand, date and w's bitmaps for bit k; 0 or -1. */
static int
bits_room(struct bits *b, struct word *w, uint64_t k)
{
	size_t need = (size_t)(k / 64) + 1, cap = b->cand_cap ? b->cand_cap : 64;
	uint32_t *d;

	while (cap < need)
		cap *= 2;
	if (cap > b->cand_cap) {
		if ((d = realloc(b->date, cap * 64 * sizeof(*d))) == NULL)
			return -1;
		b->date = d;
		if (bits_grow(&b->cand, &b->cand_cap, cap) != 0)
			return -1;
	}
	return word_bits_grow(w, b->cand_cap);
}

/* Evaluate one batch whose blocks are kept, the candidates being the
 * reports of words [from, to); 0, BITS_TOO_WIDE (nothing counted yet), or
 * an lsn_status. */
static int
bits_batch(struct run *r, struct bits *b, size_t from, size_t to, struct matches *ms,
    const struct match *horizon)
{
	uint64_t lo = UINT64_MAX, hi = 0, *R, *A;
	ingest_postings_cursor c;
	ingest_posting p;
	int rc, any = 0;

	for (size_t i = from; i < to; i++) { /* the lowest candidate serial */
		const struct word *w = &r->words[i];
		uint64_t n, wlo;
		if (w->blk_len > 0 && ingest_postings_info(w->blk, w->blk_len, &n, &wlo) == 0 &&
		    wlo < lo)
			lo = wlo;
	}
	/* Reports that do not come before (td, ts) cannot be hits (the heap
	 * is full and its root is there) nor withheld from one: a block is
	 * read up to them.  Serials are 1 and up: (0, 0) lets all through. */
	b->td = ms->n < ms->k ? 0 : ms->m[0].date;
	b->ts = ms->n < ms->k ? 0 : ms->m[0].serial;
	/* ... and so do those not before where a block's frames were cut:
	 * what follows is not known yet. */
	if (horizon != NULL && (b->ts == 0 || key_before(horizon->date, horizon->serial,
		b->td, b->ts))) {
		b->td = horizon->date;
		b->ts = horizon->serial;
	}
	if (lo == UINT64_MAX)
		return 0;
	if (b->cand_cap > 0)
		memset(b->cand, 0, b->cand_cap * sizeof(*b->cand));
	for (size_t i = 0; i < r->nwords; i++)
		r->words[i].is_cand = 0;
	/* Candidates and their dates, and each candidate word's answer in any
	 * portion, in one pass over its block. */
	for (size_t i = from; i < to; i++) {
		struct word *w = &r->words[i];
		if (w->bits_cap > 0) {
			memset(w->R, 0, w->bits_cap * sizeof(*w->R));
			memset(w->A, 0, w->bits_cap * sizeof(*w->A));
		}
		w->is_cand = 1;
		/* Locals, reloaded only after a rare call: the bitmaps' stores
		 * could otherwise alias every size_t the loop reads. */
		uint64_t *cand = b->cand, *wa = w->A, *wr = w->R, room = (uint64_t)w->bits_cap * 64;
		uint32_t *date = b->date;
		const struct query__entry *ee = r->ents.e;
		size_t en = r->ents.n;
		uint32_t td = b->td;
		uint64_t ts = b->ts;
		for (RUN_EACH(w, ri, at)) {
			if (ingest_postings_begin(&c, w->blk + at, w->view.end[ri] - at) != 0)
				return lsn_fail(r->err, LSN_EINPUT, "a malformed posting block");
			while ((rc = ingest_postings_next(&c, &p)) == 1) {
				uint64_t k = p.serial - lo;
				const struct query__entry *e;
				if (!key_before(p.date, p.serial, td, ts))
					break; /* in order: the rest of the run is behind too */
				if (k >= room) {
					if (k >= query__bits_max_span)
						return BITS_TOO_WIDE;
					if (bits_room(b, w, k) != 0)
						return lsn_fail(r->err, LSN_EINTERNAL, "out of memory");
					cand = b->cand, wa = w->A, wr = w->R, date = b->date;
					room = (uint64_t)w->bits_cap * 64;
				}
				if ((e = scan_entry(r, p.entry, &ee, &en)) == NULL)
					return LSN_EINPUT;
				cand[k >> 6] |= 1ULL << (k & 63);
				date[k] = p.date;
				wa[k >> 6] |= 1ULL << (k & 63);
				wr[k >> 6] |= (uint64_t)(e->readable != 0) << (k & 63);
				hi = k > hi ? k : hi;
				any = 1;
			}
			if (rc < 0)
				return lsn_fail(r->err, LSN_EINPUT, "a malformed posting block");
		}
	}
	if (!any)
		return 0; /* no candidate ahead of the worst kept match */
	for (size_t i = from; i < to; i++) /* all as wide as the candidates */
		if (word_bits_grow(&r->words[i], b->cand_cap) != 0)
			return lsn_fail(r->err, LSN_EINTERNAL, "out of memory");
	b->lo = lo;
	b->nw = (size_t)(hi / 64 + 1);
	if (2 * b->nodes * b->nw > b->cap) {
		free(b->pool);
		b->cap = 2 * b->nodes * b->nw;
		if ((b->pool = malloc(b->cap * sizeof(*b->pool))) == NULL)
			return lsn_fail(r->err, LSN_EINTERNAL, "out of memory");
	}
	b->used = 0;
	if (bits_eval(r, b, r->q->root, &R, &A) != 0)
		return LSN_EINPUT;
	for (size_t i = 0; i < b->nw; i++) {
		uint64_t rr = R[i] & b->cand[i], withheld = A[i] & b->cand[i] & ~rr;
		for (; rr != 0; rr &= rr - 1) {
			size_t k = i * 64 + (size_t)__builtin_ctzll(rr);
			keep_match(ms, b->date[k], lo + k);
		}
		for (; withheld != 0; withheld &= withheld - 1) {
			size_t k = i * 64 + (size_t)__builtin_ctzll(withheld);
			if (note_withheld(ms, b->date[k], lo + k) != 0)
				return lsn_fail(r->err, LSN_EINTERNAL, "out of memory");
		}
	}
	return 0;
}

/* A batch and its newest report (serial 0: not on the head). */
struct batch_head {
	uint64_t batch, serial;
	uint32_t date;
};

/* Newest report first. */
static int
cmp_batch_head(const void *a, const void *b)
{
	const struct batch_head *x = a, *y = b;

	return key_before(y->date, y->serial, x->date, x->serial) -
	    key_before(x->date, x->serial, y->date, y->serial);
}

/* The batches that hold blocks (those on the head: a number that stored
 * no report, or whose blocks a merge took, has none), in the order a
 * query takes them: *out malloc'd, *n of them.  0 or LSN_EINTERNAL. */
static int
batch_order(const uint8_t *head, size_t head_len, uint64_t batches, struct batch_head **out,
    size_t *n)
{
	size_t nb = batches > 1 ? (size_t)(batches - 1) : 0;
	struct batch_head *o = malloc((nb ? nb : 1) * sizeof(*o));

	*n = 0;
	if ((*out = o) == NULL)
		return LSN_EINTERNAL;
	for (size_t i = 0; i < nb; i++)
		if (ingest_head_get(head, head_len, i + 1, &o[*n].date, &o[*n].serial)) {
			o[*n].batch = i + 1;
			++*n;
		}
	qsort(o, *n, sizeof(*o), cmp_batch_head);
	return 0;
}

/* Whether read_block reads a run of postings: those of portions the
 * principal may read (or all of them, to count the withheld). */
static int
want_run(void *ctx, uint32_t audience)
{
	struct run *r = ctx;

	return r->all_runs ? 1 : query__audience_readable(&r->ents, audience, r->err);
}

/* Read word w's block of batch b into w->blk, once: the runs want_run
 * wants, each up to the worst match kept in ms (NULL: whole) and at most
 * r->budget frames of it. */
static int
read_block(struct run *r, struct word *w, uint64_t b, const struct matches *ms)
{
	ingest_block_plan pl = { want_run, r, 0, 0, 0, r->budget };
	uint64_t n, lo, before = w->view.passed_over;
	int rc;

	if (w->read_in == b)
		return 0;
	if (ms != NULL && ms->n == ms->k && ms->k > 0) {
		pl.worst = 1;
		pl.worst_date = ms->m[0].date;
		pl.worst_serial = ms->m[0].serial;
	}
	w->n = w->at = w->end = 0;
	w->last = 0;
	w->blk_len = 0;
	w->cut = 0;
	rc = ingest_block_read(r->sn, w->blind, b, &pl, &w->blk, &w->blk_cap, &w->blk_len,
	    &w->view, r->err);
	r->passed_over += w->view.passed_over - before;
	if (rc != 0)
		return rc;
	if (w->blk_len > 0) {
		if (ingest_postings_info(w->blk, w->blk_len, &n, &lo) != 0)
			return lsn_fail(r->err, LSN_EINPUT, "a malformed posting block");
		w->n = (size_t)n;
	}
	w->cut = w->view.cut;
	w->cut_date = w->view.cut_date;
	w->cut_serial = w->view.cut_serial;
	w->read_in = b;
	w->est = w->n;
	r->postings += w->n; /* the postings opened, counted once however scanned */
	return 0;
}

/* A save point before taking a batch (struct kept). */
static int
kept_save(struct kept *kp, struct matches *ms)
{
	if (kp->m == NULL && (kp->m = malloc(ms->k * sizeof(*kp->m))) == NULL)
		return -1;
	memcpy(kp->m, ms->m, ms->n * sizeof(*kp->m));
	kp->n = ms->n;
	kp->nwh = ms->nwh;
	kp->prune_at = ms->prune_at;
	kp->wh_copied = 0;
	ms->save = kp;
	return 0;
}

/* Back to the save point; it stays the save point. */
static void
kept_restore(struct kept *kp, struct matches *ms)
{
	memcpy(ms->m, kp->m, kp->n * sizeof(*ms->m));
	if (kp->wh_copied) { /* a prune came: ms->wh is at least as large */
		if (kp->nwh)
			memcpy(ms->wh, kp->wh, kp->nwh * sizeof(*ms->wh));
		kp->wh_copied = 0;
	}
	ms->n = kp->n;
	ms->nwh = kp->nwh;
	ms->prune_at = kp->prune_at;
}

#define PROBE_MAX 64

/*
 * With offset + limit matches kept, batch b can only add a report that
 * comes before the worst of them and holds every required word (else it
 * is neither a hit nor withheld from one).  Read the required words'
 * blocks rarest first (as of the last batch read), keep the reports ahead
 * that hold every word read so far, and stop as soon as none is left: the
 * batch is then passed by without reading the other words.  Returns 1 to
 * pass it by, 0 to evaluate it (more than PROBE_MAX reports ahead: not
 * worth tracking), or an lsn_status.
 */
static int
probe_batch(struct run *r, const struct matches *ms, const uint8_t *req, uint64_t b)
{
	size_t order[QUERY_MAX_TERMS * 4], nord = 0, nc = 0;
	uint64_t cand[PROBE_MAX];
	int rc;

	for (size_t i = 0; i < r->nwords && nord < sizeof(order) / sizeof(order[0]); i++)
		if (req[i]) {
			size_t k = nord++; /* insertion by estimate; never read first */
			size_t e = r->words[i].est ? r->words[i].est : SIZE_MAX;
			while (k > 0 && (r->words[order[k - 1]].est ? r->words[order[k - 1]].est :
						SIZE_MAX) > e) {
				order[k] = order[k - 1];
				k--;
			}
			order[k] = i;
		}
	for (size_t j = 0; j < nord; j++) {
		struct word *w = &r->words[order[j]];
		ingest_postings_cursor c;
		ingest_posting p;
		size_t kept = 0;
		uint64_t prev = 0;
		if ((rc = read_block(r, w, b, ms)) != 0)
			return rc;
		if (w->blk_len == 0)
			return 1; /* no report of the batch holds it (that it may read) */
		/* A report may have postings in several runs (of portions of
		 * different audiences): a candidate may be listed twice, which
		 * costs a look, never an answer. */
		for (RUN_EACH(w, ri, from)) {
			if (ingest_postings_begin(&c, w->blk + from, w->view.end[ri] - from) != 0)
				return lsn_fail(r->err, LSN_EINPUT, "a malformed posting block");
			prev = 0;
			while ((rc = ingest_postings_next(&c, &p)) == 1) {
				if (!ahead(ms, p.date, p.serial))
					break; /* in order: the rest of the run is behind too */
				if (p.serial == prev)
					continue; /* another portion of the same report */
				prev = p.serial;
				if (j == 0) {
					if (nc == PROBE_MAX)
						return 0;
					cand[nc++] = p.serial;
				} else {
					for (size_t k = kept; k < nc; k++)
						if (cand[k] == p.serial) {
							uint64_t t = cand[kept];
							cand[kept++] = cand[k];
							cand[k] = t;
							break;
						}
				}
			}
			if (rc < 0)
				return lsn_fail(r->err, LSN_EINPUT, "a malformed posting block");
		}
		if (j > 0)
			nc = kept;
		if (nc == 0)
			return 1;
	}
	return 0;
}

static size_t
count_nodes(const struct query__node *n)
{
	return n == NULL ? 0 : 1 + count_nodes(n->a) + count_nodes(n->b);
}

/* A report named by the postings, with its date (from the postings). */
struct named {
	uint64_t serial;
	uint32_t date;
};

static int
cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;

	return key_before(y->date, y->serial, x->date, x->serial) -
	    key_before(x->date, x->serial, y->date, y->serial);
}

static void
date_str(uint32_t d, char out[16])
{
	if (d == 0)
		out[0] = '\0';
	else
		snprintf(out, 16, "%04u-%02u-%02u", d / 10000 % 10000, d / 100 % 100, d % 100);
}

/* The hit's title: "(untitled)" when the report has none (a generic
 * document may not), the placeholder when it may not be read, else its
 * text, from the one segment that holds it (*own set to free).  A generic
 * document's unreadable title is "(untitled)" too: its title is optional,
 * so the placeholder would tell that an unreadable one exists.  (A native
 * report always has one; a generic document is one with a portion of
 * kind INGEST_OTHER.) */
static int
hit_title(struct run *r, struct cand *c, const char **title, char **own)
{
	store_record *rec = NULL;
	uint8_t *want;
	unsigned k;
	size_t i;
	int rc;

	*title = "(untitled)";
	*own = NULL;
	for (i = 0; i < c->v.nportions && c->kinds[i] != INGEST_TITLE; i++)
		;
	if (i == c->v.nportions)
		return 0;
	if (!c->readable[i]) {
		for (size_t j = 0; j < c->v.nportions; j++)
			if (c->kinds[j] == INGEST_OTHER)
				return 0; /* generic: "(untitled)" */
		*title = WITHHELD_TITLE;
		return 0;
	}
	k = ingest_rlabel_segment(&c->v, i);
	if ((want = calloc(c->v.nsegments, 1)) == NULL)
		return lsn_fail(r->err, LSN_EINTERNAL, "out of memory");
	want[k] = 1;
	rc = open_sealed(r->sn, c->serial, c->id, c->label, c->label_len, &c->v, want, &rec,
	    r->err);
	free(want);
	if (rc != 0)
		return rc;
	if (ingest_record_portion_text(rec, k, (uint32_t)i, own, r->err) != 0) {
		char why[sizeof(r->err->msg)];
		snprintf(why, sizeof(why), "%s", r->err->msg);
		rc = lsn_fail(r->err, LSN_EINPUT, "report %s: its title is not where its "
		    "label says (%s)", c->id, why);
	}
	store_record_free(rec);
	if (rc == 0)
		*title = *own;
	return rc;
}

/*
 * Build and hand over one hit.  The banner is the roll-up of the readable
 * portions' marking entries, and only the title's segment is opened: a
 * hit costs one segment's decryption, however long the report.
 */
static int
emit(struct run *r, struct cand *c, query_hit_fn fn, void *ctx)
{
	query_hit h = { 0 };
	const acl_marking *m;
	char *title = NULL, date[16];
	int rc;

	if ((rc = cand_banner(r, c, &m, &h.banner)) != 0 || m == NULL)
		return rc == -1 ? LSN_EINPUT :
		    lsn_fail(r->err, LSN_EINTERNAL, "a match changed under the query");
	h.id = c->id;
	if ((rc = hit_title(r, c, &h.title, &title)) != 0)
		return rc;
	for (size_t i = 0; i < c->v.nportions; i++)
		h.view_only |= c->readable[i] == 2;
	date_str(c->v.date, date);
	h.date = date;
	rc = fn(ctx, &h);
	lsn_wipe_free(title, title ? strlen(title) : 0);
	return rc;
}

int
query_run(store *st, const acl_data *data, const acl_principal *p, const query *q,
    const query_opts *o, query_hit_fn fn, void *ctx, query_result *res, lsn_err *err)
{
	/* A query that could match with none of its words present (NOT, or
	 * date:, class:, rel: alone) requires the pseudo-word every report is
	 * posted under (ingest.h), or those of its months, and so runs batch
	 * by batch like any other. */
	char *every_word[1] = { (char *)INGEST_EVERY_REPORT };
	struct query__node every = { .type = Q_WORDS, .words = every_word, .nwords = 1 };
	struct query__node months[QUERY__MONTHS * 2];
	char *month_word[QUERY__MONTHS], month_text[QUERY__MONTHS][INGEST_MONTH_WORD_MAX];
	struct query__node both = { .type = Q_AND, .b = q->root };
	struct query wq = { q->root };
	uint32_t date_from = 0, date_to = UINT32_MAX; /* every match is in it */
	struct run r = { st, NULL, data, p, &wq, NULL, 0, { .who = p, .data = data }, err, 0, 0,
		0, 0 };
	struct matches ms = { 0 };
	struct cand *c = calloc(1, sizeof(*c));
	struct iter_ctx ic = { &r, &ms, c };
	size_t limit = o && o->limit ? o->limit : 20, offset = o ? o->offset : 0;
	r.all_runs = o != NULL && o->count_withheld;
	struct named *serials = NULL;
	size_t nserials = 0;
	struct bits bits = { 0 };
	uint8_t *req = NULL, *head = NULL;
	size_t head_len = 0;
	struct batch_head *order = NULL;
	size_t norder = 0;
	struct kept kept = { 0 };
	int rc;

	memset(res, 0, sizeof(*res));
	memset(months, 0, sizeof(months));
	if (c == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	required_dates(q->root, &date_from, &date_to);
	if (needs_all(q->root, 0)) {
		both.a = candidate_words(date_from, date_to, &every, months, month_word,
		    month_text);
		wq.root = &both;
	}
	if ((rc = store_snap_begin(st, &r.sn, err)) != 0 ||
	    (rc = ingest_index_format_check(r.sn, err)) != 0)
		goto out;
	r.ents.sn = r.sn;
	if ((rc = collect_words(&r, wq.root)) != 0 || (rc = check_rel(&r, wq.root)) != 0)
		goto out;
	for (size_t i = 0; i < r.nwords; i++)
		ingest_blind(st, r.words[i].text, strlen(r.words[i].text), r.words[i].blind);
	if (offset > QUERY_MAX_OFFSET) {
		rc = lsn_fail(err, LSN_EUSAGE, "an offset above %d", QUERY_MAX_OFFSET);
		goto out;
	}
	ms.k = offset + limit;
	if ((ms.m = malloc(ms.k * sizeof(*ms.m))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}

	{
		/* Batch by batch: every posting of a report is in the batch that
		 * stored it, so memory holds one batch's postings of the query's
		 * words at a time, however many reports match. */
		uint64_t batches = store_postings_batches(r.sn);
		size_t cap = 0;
		if ((rc = ingest_head_read(r.sn, &head, &head_len, err)) != 0)
			goto out;
		if ((req = calloc(r.nwords ? r.nwords : 1, 1)) == NULL) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			goto out;
		}
		required_words(wq.root, req);
		if (bits_ok(wq.root) && !query__one_at_a_time)
			bits.nodes = count_nodes(wq.root);
		/* Batches in order of their newest report (on the index head;
		 * one without a head entry first): the hits are found early,
		 * and once a batch's newest report is behind the worst kept
		 * match, so is every report of it and of every batch after it. */
		if ((rc = batch_order(head, head_len, batches, &order, &norder)) != 0) {
			rc = lsn_fail(err, rc, "out of memory");
			goto out;
		}
		for (size_t ob = 0; ob < norder; ob++) {
			size_t total = 0;
			uint64_t b = order[ob].batch;
			/* ... or whose newest report is older than every match
			 * must be (and so is every report of it and after it). */
			if (order[ob].date < date_from || !ahead(&ms, order[ob].date, order[ob].serial)) {
				__atomic_fetch_add(&query__batches_passed, norder - ob,
				    __ATOMIC_RELAXED);
				break;
			}
			res->batches++;
			/* Until offset + limit matches are kept there is no worst
			 * one to stop at: a large (merged) batch's blocks are then
			 * opened a few frames at a time, the batch taken up to where
			 * they were cut, and taken again with more frames if matches
			 * could still lie beyond. */
			r.budget = bits.nodes > 0 && ms.n < ms.k ? 1 : 0;
		again:
			ms.save = NULL;
			if (r.budget != 0 && kept_save(&kept, &ms) != 0) {
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
				goto out;
			}
			if (bits.nodes > 0 && ms.n == ms.k) {
				if ((rc = probe_batch(&r, &ms, req, b)) < 0)
					goto out;
				if (rc == 1) {
					__atomic_fetch_add(&query__batches_probed, 1, __ATOMIC_RELAXED);
					continue;
				}
			}
			for (size_t i = 0; i < r.nwords; i++) {
				struct word *w = &r.words[i];
				if (bits.nodes) { /* by bitmaps: the block is kept, scanned later */
					if ((rc = read_block(&r, w, b, &ms)) != 0)
						goto out;
				} else { /* whole, decoded */
					w->read_in = 0;
					if ((rc = read_block(&r, w, b, NULL)) == 0)
						rc = decode_runs(&r, w);
				}
				if (rc != 0)
					goto out;
				total += w->n;
			}
			if (total == 0)
				continue;
			/* Candidates: the reports of the rarest required word, or
			 * else of any word. */
			size_t from = 0, to = r.nwords, best = r.nwords;
			for (size_t i = 0; i < r.nwords; i++)
				if (req[i] && (best == r.nwords || r.words[i].n < r.words[best].n))
					best = i;
			if (best < r.nwords) {
				if (r.words[best].n == 0)
					continue;
				from = best;
				to = best + 1;
			}
			if (bits.nodes > 0) {
				struct match horizon = { 0, 0 };
				int cut = 0;
				for (size_t i = 0; i < r.nwords; i++) {
					const struct word *w = &r.words[i];
					if (w->cut && (!cut || key_before(w->cut_date, w->cut_serial,
						horizon.date, horizon.serial))) {
						horizon.date = w->cut_date;
						horizon.serial = w->cut_serial;
						cut = 1;
					}
				}
				if ((rc = bits_batch(&r, &bits, from, to, &ms, cut ? &horizon : NULL)) == 0) {
					/* Matches may lie beyond the cut while fewer than
					 * offset + limit are kept, or the worst is behind it. */
					if (cut && (ms.n < ms.k || key_before(horizon.date, horizon.serial,
						ms.m[0].date, ms.m[0].serial))) {
						kept_restore(&kept, &ms);
						r.budget *= 4;
						for (size_t i = 0; i < r.nwords; i++)
							r.words[i].read_in = 0;
						total = 0;
						goto again;
					}
					continue;
				}
				if (rc != BITS_TOO_WIDE)
					goto out;
				/* Too wide for bitmaps: the blocks whole (up to the worst
				 * kept match), decoded, and this batch taken one candidate
				 * at a time. */
				if (cut) {
					r.budget = 0;
					for (size_t i = 0; i < r.nwords; i++) {
						r.words[i].read_in = 0;
						if ((rc = read_block(&r, &r.words[i], b, &ms)) != 0)
							goto out;
					}
					total = 0;
					for (size_t i = 0; i < r.nwords; i++)
						total += r.words[i].n;
				}
				for (size_t i = 0; i < r.nwords; i++)
					if ((rc = decode_runs(&r, &r.words[i])) != 0)
						goto out;
				rc = 0;
			}
			if (total > cap) {
				free(serials);
				cap = total * 2;
				if ((serials = malloc(cap * sizeof(*serials))) == NULL) {
					rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
					goto out;
				}
			}
			nserials = 0;
			int sorted = 1;
			uint64_t prev = 0; /* serials are 1 and up */
			uint32_t pd = 0;
			for (size_t i = from; i < to; i++)
				for (size_t k = 0; k < r.words[i].n; k++) {
					/* Written always, kept when it starts a report: a
					 * report's many portions cost no mispredicted
					 * branch each. */
					uint64_t sv = r.words[i].p[k].serial;
					uint32_t dv = r.words[i].p[k].date;
					serials[nserials].serial = sv;
					serials[nserials].date = dv;
					sorted &= nserials == 0 || sv == prev || key_before(pd, prev, dv, sv);
					nserials += sv != prev;
					prev = sv;
					pd = dv;
				}
			if (!sorted) /* more than one word: merge */
				qsort(serials, nserials, sizeof(*serials), cmp_named);
			for (size_t i = 0; i < nserials; i++) {
				if (i > 0 && serials[i].serial == serials[i - 1].serial)
					continue;
				if (!ahead(&ms, serials[i].date, serials[i].serial))
					break; /* in order: the rest is behind too */
				if ((rc = consider(&ic, serials[i].serial, serials[i].date)) != 0)
					goto out;
			}
		}
	}
	if (ms.n == ms.k)
		prune_withheld(&ms);
	res->matched = ms.n;
	res->passed_over = r.passed_over;
	/* Nothing passed over: every posting of the words was read, and the
	 * withheld reports counted as with all_runs. */
	res->withheld_known = r.all_runs || r.passed_over == 0;
	res->withheld = res->withheld_known ? ms.nwh : 0;
	res->postings = r.postings;
	if (ms.n > 1)
		qsort(ms.m, ms.n, sizeof(*ms.m), cmp_match);
	for (size_t i = offset; i < ms.n && i < offset + limit; i++) {
		const char *id;
		const uint8_t *label;
		size_t ll;
		if ((rc = store_serial_lookup(r.sn, ms.m[i].serial, &id, &label, &ll, err)) != 0)
			goto out;
		cand_clear(c);
		c->serial = ms.m[i].serial;
		c->id = id;
		c->label = label;
		c->label_len = ll;
		c->full = 1;
		int n = query__decide(&r.ents, id, label, ll, &c->v, c->readable, c->kinds, err);
		if (n <= 0) {
			rc = n < 0 ? n : lsn_fail(err, LSN_EINTERNAL, "a match changed under the query");
			goto out;
		}
		c->date = c->v.date;
		if ((rc = emit(&r, c, fn, ctx)) != 0)
			goto out;
		res->returned++;
	}
out:
	if (c != NULL) {
		cand_clear(c);
		free(c);
	}
	for (size_t i = 0; i < r.nwords; i++) {
		/* Opened postings, wiped as the store wipes the blocks it opens. */
		lsn_wipe_free(r.words[i].p, r.words[i].cap * sizeof(*r.words[i].p));
		lsn_wipe_free(r.words[i].blk, r.words[i].blk_cap);
		ingest_block_view_free(&r.words[i].view);
		free(r.words[i].R);
		free(r.words[i].A);
	}
	free(r.words);
	free(every.word_ix);
	for (size_t i = 0; i < QUERY__MONTHS * 2; i++)
		free(months[i].word_ix);
	query__entries_clear(&r.ents);
	free(serials);
	free(bits.pool);
	free(bits.cand);
	free(bits.date);
	free(req);
	lsn_wipe_free(head, head_len); /* opened index contents, as with the blocks */
	lsn_wipe_free(order, norder * sizeof(*order));
	free(kept.m);
	lsn_wipe_free(kept.wh, kept.cwh * sizeof(*kept.wh));
	free(ms.m);
	free(ms.wh);
	store_snap_end(r.sn);
	return rc;
}
