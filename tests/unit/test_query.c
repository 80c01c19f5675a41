/*
 * tests/unit/test_query.c - query results against a brute-force reference.
 *
 * A generated corpus with random portion markings is ingested; for random
 * principals and random queries, query_run() must return exactly the
 * reports a naive reference finds by deciding every portion on its full
 * marking (acl_decide, not the labels the query uses) and matching words
 * and phrases in the readable portions' text.  Zero extra hits, zero
 * missing hits.  Also: NOFORN-only words never reach a partner, and
 * query_get() answers an unreadable report exactly like a missing one.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "query/internal.h"
#include "query/query.h"

#define NDOCS 150
#define MAXP_GEN 7 /* title and paragraphs */
#define MAXC 2     /* country portions */
#define MAXP (MAXP_GEN + MAXC)
#define NWORDS 24
#define NQUERIES 80

static const char *const vocab[NWORDS] = { "convoy", "route", "fuel", "depot",
	"bridge", "river", "patrol", "sector", "border", "vessel", "harbour", "drone",
	"militia", "courier", "radar", "signal", "airfield", "ammunition", "checkpoint",
	"battalion", "smuggling", "cache", "launch", "noforna" };

/* Portion markings: XML attributes, and the same as ATTRS for acl. */
static const struct {
	const char *xml, *attrs;
} pool[] = {
	{ "ism:classification=\"U\" ism:ownerProducer=\"USA\"",
	    "classification=U ownerProducer=USA" },
	{ "ism:classification=\"C\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\"",
	    "classification=C ownerProducer=USA disseminationControls=NF" },
	{ "ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\"",
	    "classification=S ownerProducer=USA disseminationControls=NF" },
	{ "ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"REL\" "
	  "ism:releasableTo=\"USA GBR\"",
	    "classification=S ownerProducer=USA disseminationControls=REL releasableTo=\"USA GBR\"" },
	{ "ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"REL\" "
	  "ism:releasableTo=\"USA FVEY\"",
	    "classification=S ownerProducer=USA disseminationControls=REL releasableTo=\"USA FVEY\"" },
	{ "ism:classification=\"C\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"REL\" "
	  "ism:releasableTo=\"USA NATO\"",
	    "classification=C ownerProducer=USA disseminationControls=REL releasableTo=\"USA NATO\"" },
	{ "ism:classification=\"TS\" ism:ownerProducer=\"USA\" ism:SCIcontrols=\"SI\" "
	  "ism:disseminationControls=\"REL\" ism:releasableTo=\"USA FVEY\"",
	    "classification=TS ownerProducer=USA SCIcontrols=SI disseminationControls=REL "
	    "releasableTo=\"USA FVEY\"" },
	{ "ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"REL\" "
	  "ism:releasableTo=\"USA AUS\"",
	    "classification=S ownerProducer=USA disseminationControls=REL releasableTo=\"USA AUS\"" },
	{ "ism:classification=\"U\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"FOUO\"",
	    "classification=U ownerProducer=USA disseminationControls=FOUO" },
	/* The ACL label of the REL TO USA, GBR one above (FGI is not in
	 * labels), but not its banner: entries must tell them apart. */
	{ "ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:FGIsourceOpen=\"GBR\" "
	  "ism:disseminationControls=\"REL\" ism:releasableTo=\"USA GBR\"",
	    "classification=S ownerProducer=USA FGIsourceOpen=GBR disseminationControls=REL "
	    "releasableTo=\"USA GBR\"" },
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

struct portion {
	int kind;
	int mark;
	int ntk;  /* carries lsn:access="J2&OPS" */
	char text[256];
};

struct doc {
	char id[32];
	char date[11];
	int np;
	struct portion p[MAXP];
	int stored;
	uint64_t serial;  /* the store's, once stored */
};

static struct {
	char dir[256];
	store *st;
	acl_data *data;
	acl_marking *marks[NPOOL];
	struct doc docs[NDOCS];
	acl_principal *who[8];
	size_t nwho;
	unsigned seed;
	size_t batch_docs; /* 0: 70 */
} G;

static unsigned
rnd(unsigned n)
{
	G.seed = G.seed * 1103515245u + 12345u;
	return (G.seed >> 8) % n;
}

static void
on_result(void *ctx, const ingest_result *r)
{
	(void)ctx;
	if (r->status == INGEST_STORED && r->id != NULL)
		for (int i = 0; i < NDOCS; i++)
			if (strcmp(G.docs[i].id, r->id) == 0)
				G.docs[i].stored = 1;
}

static int
note_serial(void *ctx, uint64_t serial, const char *id, const uint8_t *label, size_t len)
{
	(void)ctx;
	(void)label;
	(void)len;
	for (int i = 0; i < NDOCS; i++)
		if (strcmp(G.docs[i].id, id) == 0)
			G.docs[i].serial = serial;
	return 0;
}

static void
write_doc(const struct doc *d, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	/* The banner is left to --fix-banner: it becomes the roll-up. */
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<report xmlns=\"urn:liaison:report:1\" xmlns:lsn=\"urn:liaison:report:1\" "
		   "xmlns:ism=\"urn:us:gov:ic:ism\" id=\"%s\" ism:resourceElement=\"true\" "
		   "ism:classification=\"U\" ism:ownerProducer=\"USA\">\n", d->id);
	for (int i = 0; i < d->np; i++) {
		const struct portion *p = &d->p[i];
		const char *el = i == 0 ? "title" : p->kind == INGEST_COUNTRY ? "country" : "p";
		if (i == 1)
			fprintf(f, "<date>%s</date>\n", d->date);
		if (i > 0 && p->kind != INGEST_COUNTRY && d->p[i - 1].kind != INGEST_PARA)
			fprintf(f, "<body>\n");
		fprintf(f, "<%s %s%s>%s</%s>\n", el, pool[p->mark].xml,
		    p->ntk ? " lsn:access=\"J2&amp;OPS\"" : "", p->text, el);
	}
	fprintf(f, "</body>\n</report>\n");
	fclose(f);
}

static int
setup(void **state)
{
	char tmpl[] = "/tmp/lsn-query-XXXXXX", path[400], docs[300];
	store_keysrc ks = { 0 };
	ingest_parser *parser = NULL;
	ingest_opts io = { 0 };
	ingest_summary sum;
	const char *paths[1];
	lsn_err err;

	(void)state;
	G.seed = 4774;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(G.dir, sizeof(G.dir), "%s", tmpl);
	snprintf(path, sizeof(path), "%s/s", G.dir);
	snprintf(docs, sizeof(docs), "%s/docs", G.dir);
	char kf[400];
	snprintf(kf, sizeof(kf), "%s/s.key", G.dir);
	ks.key_file = kf;
	if (store_create(&G.st, path, &ks, NULL, &err) != 0 ||
	    acl_data_load(&G.data, NULL, NULL, &err) != 0 ||
	    ingest_parser_new(&parser, G.data, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	for (size_t i = 0; i < NPOOL; i++)
		if (acl_marking_from_attrs(&G.marks[i], G.data, pool[i].attrs, &err) != 0) {
			fprintf(stderr, "pool %zu: %s\n", i, err.msg);
			return -1;
		}
	if (mkdir(docs, 0700) != 0)
		return -1;
	for (int i = 0; i < NDOCS; i++) {
		struct doc *d = &G.docs[i];
		snprintf(d->id, sizeof(d->id), "GEN-%04d", i);
		/* Batch by batch (70 reports each, below) the newest months
		 * first, then the oldest, then those between, so that the
		 * order of the batches' newest reports (which queries follow,
		 * and pass by the rest) is not the order of the batches; one
		 * report in eight of the first batch is from any month, and one
		 * in three of the last from the newest months. */
		unsigned month = i < 70 ? 9 + (unsigned)i * 4 / 70 : i < 140 ?
		    1 + (unsigned)(i - 70) * 4 / 70 : 5 + (unsigned)(i - 140) * 4 / (NDOCS - 140);
		if (i < 70 && rnd(8) == 0)
			month = 1 + rnd(12);
		if (i >= 140 && rnd(3) == 0) /* late reports of the newest months */
			month = 9 + rnd(4);
		snprintf(d->date, sizeof(d->date), "2024-%02u-%02u", month, 1 + rnd(28));
		d->np = 2 + (int)rnd(MAXP_GEN - 1);
		for (int k = 0; k < d->np; k++) {
			struct portion *p = &d->p[k];
			size_t n = 0, words = 2 + rnd(8);
			p->kind = k == 0 ? INGEST_TITLE : INGEST_PARA;
			p->mark = (int)rnd(NPOOL);
			p->ntk = rnd(10) == 0;
			for (size_t w = 0; w < words; w++) {
				/* "noforna" only ever in NOFORN portions */
				unsigned x = rnd(NWORDS - 1);
				if ((p->mark == 1 || p->mark == 2) && rnd(4) == 0)
					x = NWORDS - 1;
				n += (size_t)snprintf(p->text + n, sizeof(p->text) - n, "%s%s",
				    w ? (rnd(5) ? " " : ", ") : "", vocab[x]);
			}
		}
		/* 0-2 country portions after the title, each marked on its own
		 * (drawn without rnd(): the words and markings above stay those
		 * every other test was written against). */
		int nc = i % (MAXC + 1);
		memmove(&d->p[1 + nc], &d->p[1], (size_t)(d->np - 1) * sizeof(d->p[0]));
		for (int k = 0; k < nc; k++) {
			static const char *const codes[] = { "AFG", "IRQ", "SYR", "YEM", "UKR" };
			struct portion *c = &d->p[1 + k];
			memset(c, 0, sizeof(*c));
			c->kind = INGEST_COUNTRY;
			c->mark = (i * 3 + k) % (int)NPOOL;
			snprintf(c->text, sizeof(c->text), "%s", codes[(i + 2 * k) % 5]);
		}
		d->np += nc;
		snprintf(path, sizeof(path), "%s/%s.xml", docs, d->id);
		write_doc(d, path);
	}
	paths[0] = docs;
	io.parse.fix_banner = 1;
	io.on_result = on_result;
	/* three batches, of more than 64 reports: bitmaps of two words */
	io.batch_docs = G.batch_docs ? G.batch_docs : 70;
	if (ingest_run(G.st, G.data, parser, paths, 1, &io, &sum, &err) != 0) {
		fprintf(stderr, "ingest: %s\n", err.msg);
		return -1;
	}
	ingest_parser_free(parser);
	store_snap *sn;
	if (store_snap_begin(G.st, &sn, &err) != 0 ||
	    store_record_iter(sn, note_serial, NULL, &err) != 0) {
		fprintf(stderr, "serials: %s\n", err.msg);
		return -1;
	}
	store_snap_end(sn);
	if (sum.stored < NDOCS * 3 / 4) {
		fprintf(stderr, "only %llu of %d generated documents stored\n",
		    (unsigned long long)sum.stored, NDOCS);
		return -1;
	}

	static const struct acl_principal_spec specs[] = {
		{ "us-cleared", "USA", ACL_LEVEL_TS, "SI", 1, "J2 OPS", ACL_ROLE_ANALYST, 0 },
		{ "us-contractor", "USA", ACL_LEVEL_S, NULL, 0, NULL, ACL_ROLE_ANALYST, 0 },
		{ "gbr", "GBR", ACL_LEVEL_S, NULL, 0, "J2 OPS", ACL_ROLE_PARTNER, 0 },
		{ "aus", "AUS", ACL_LEVEL_TS, "SI", 0, NULL, ACL_ROLE_PARTNER, 0 },
		{ "deu", "DEU", ACL_LEVEL_S, NULL, 0, NULL, ACL_ROLE_PARTNER, 0 },
		{ "nzl", "NZL", ACL_LEVEL_C, NULL, 0, NULL, ACL_ROLE_PARTNER, 0 },
		{ "ind", "IND", ACL_LEVEL_TS, NULL, 0, NULL, ACL_ROLE_PARTNER, 0 },
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (acl_principal_new(&G.who[i], G.data, &specs[i], &err) != 0) {
			fprintf(stderr, "principal: %s\n", err.msg);
			return -1;
		}
		G.nwho++;
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	for (size_t i = 0; i < G.nwho; i++)
		acl_principal_free(G.who[i]);
	for (size_t i = 0; i < NPOOL; i++)
		acl_marking_free(G.marks[i]);
	store_close(G.st);
	acl_data_free(G.data);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", G.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the reference ---- */

static int
readable(const acl_principal *who, const struct portion *p)
{
	struct acl_decision d;

	if (acl_decide(who, G.marks[p->mark], &d) == ACL_DENY)
		return 0;
	return !p->ntk || acl_ntk_check(who, "J2&OPS", NULL) == 1;
}

/* Do the words w[0..n) occur consecutively in text? */
static int
has_phrase(const char *text, const char *const *w, size_t n)
{
	char toks[64][LSN_TOKEN_MAX + 1];
	size_t nt = 0, wl;
	lsn_tokenizer tk;
	const char *t;

	lsn_token_init(&tk, text, strlen(text));
	while (nt < 64 && lsn_token_next(&tk, &t, &wl))
		memcpy(toks[nt++], t, wl + 1);
	for (size_t i = 0; i + n <= nt; i++) {
		size_t k;
		for (k = 0; k < n && strcmp(toks[i + k], w[k]) == 0; k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

enum { R_WORD, R_AND, R_OR, R_ANDNOT, R_PHRASE, R_TITLE, R_OR_AND, R_NOT, R_DATE, R_NOTDATE,
	R_DATEONLY, R_DATENOT, R_DATEOR, R_NTYPES };

struct rq {
	int type;
	const char *w[3];
	char from[11], to[11]; /* R_DATE, R_NOTDATE */
	char text[200];
};

static int
date_in(const struct doc *d, const struct rq *q)
{
	return strcmp(d->date, q->from) >= 0 && strcmp(d->date, q->to) <= 0;
}

static int
word_in(const struct doc *d, const uint8_t *ok, const char *w, int kind)
{
	const char *one[1] = { w };

	for (int i = 0; i < d->np; i++)
		if (ok[i] && (kind == 0 || d->p[i].kind == kind) && has_phrase(d->p[i].text, one, 1))
			return 1;
	return 0;
}

/* Does q match d on the portions ok[] marks?  all: the audit log's "as if
 * every portion were readable", which never decrypts to verify a phrase:
 * its words in one portion count. */
static int
ref_eval(const struct doc *d, const uint8_t *ok, const struct rq *q, int all)
{
	switch (q->type) {
	case R_WORD:
		return word_in(d, ok, q->w[0], 0);
	case R_AND:
		return word_in(d, ok, q->w[0], 0) && word_in(d, ok, q->w[1], 0);
	case R_OR:
		return word_in(d, ok, q->w[0], 0) || word_in(d, ok, q->w[1], 0);
	case R_ANDNOT:
		return word_in(d, ok, q->w[0], 0) && !word_in(d, ok, q->w[1], 0);
	case R_NOT:
		return !word_in(d, ok, q->w[0], 0);
	case R_TITLE:
		return word_in(d, ok, q->w[0], INGEST_TITLE);
	case R_OR_AND:
		return (word_in(d, ok, q->w[0], 0) || word_in(d, ok, q->w[1], 0)) &&
		    word_in(d, ok, q->w[2], 0);
	case R_DATE:
		return word_in(d, ok, q->w[0], 0) && date_in(d, q);
	case R_NOTDATE:
		return (word_in(d, ok, q->w[0], 0) || word_in(d, ok, q->w[1], 0)) && !date_in(d, q);
	case R_DATEONLY:
		return date_in(d, q);
	case R_DATENOT:
		return date_in(d, q) && !word_in(d, ok, q->w[0], 0);
	case R_DATEOR:
		return date_in(d, q) || word_in(d, ok, q->w[0], 0);
	case R_PHRASE:
		for (int i = 0; i < d->np; i++) {
			const char *one[2][1] = { { q->w[0] }, { q->w[1] } };
			if (!ok[i])
				continue;
			if (all ? has_phrase(d->p[i].text, one[0], 1) &&
				has_phrase(d->p[i].text, one[1], 1)
				: has_phrase(d->p[i].text, q->w, 2))
				return 1;
		}
		return 0;
	}
	return 0;
}

static int
ref_match(const struct doc *d, const acl_principal *who, const struct rq *q)
{
	uint8_t ok[MAXP];
	int any = 0;

	for (int i = 0; i < d->np; i++)
		any |= ok[i] = (uint8_t)readable(who, &d->p[i]);
	return any && ref_eval(d, ok, q, 0);
}

/* Would d have matched had every portion been readable (and did not)? */
static int
ref_withheld(const struct doc *d, const acl_principal *who, const struct rq *q)
{
	uint8_t all[MAXP];

	memset(all, 1, sizeof(all));
	return !ref_match(d, who, q) && ref_eval(d, all, q, 1);
}

static void
random_query(struct rq *q)
{
	const char *a, *b, *c;

	q->type = (int)rnd(R_NTYPES);
	for (int i = 0; i < 3; i++)
		q->w[i] = vocab[rnd(NWORDS)];
	unsigned m = 1 + rnd(12), m2 = m + rnd(13 - m);
	snprintf(q->from, sizeof(q->from), "2024-%02u-%02u", m, 1 + rnd(28));
	snprintf(q->to, sizeof(q->to), "2024-%02u-28", m2);
	a = q->w[0];
	b = q->w[1];
	c = q->w[2];
	switch (q->type) {
	case R_WORD: snprintf(q->text, sizeof(q->text), "%s", a); break;
	case R_AND: snprintf(q->text, sizeof(q->text), "%s %s", a, b); break;
	case R_OR: snprintf(q->text, sizeof(q->text), "%s OR %s", a, b); break;
	case R_ANDNOT: snprintf(q->text, sizeof(q->text), "%s AND NOT %s", a, b); break;
	case R_PHRASE: snprintf(q->text, sizeof(q->text), "\"%s %s\"", a, b); break;
	case R_TITLE: snprintf(q->text, sizeof(q->text), "title:%s", a); break;
	case R_OR_AND: snprintf(q->text, sizeof(q->text), "(%s OR %s) AND %s", a, b, c); break;
	case R_DATE: snprintf(q->text, sizeof(q->text), "%s date:%s..%s", a, q->from, q->to); break;
	case R_NOTDATE:
		snprintf(q->text, sizeof(q->text), "(%s OR %s) NOT date:%s..%s", a, b, q->from, q->to);
		break;
	case R_DATEONLY: snprintf(q->text, sizeof(q->text), "date:%s..%s", q->from, q->to); break;
	case R_DATENOT:
		snprintf(q->text, sizeof(q->text), "date:%s..%s NOT %s", q->from, q->to, a);
		break;
	case R_DATEOR:
		snprintf(q->text, sizeof(q->text), "date:%s..%s OR %s", q->from, q->to, a);
		break;
	default: snprintf(q->text, sizeof(q->text), "NOT %s", a); break;
	}
}

struct got {
	char ids[NDOCS][32];
	char dates[NDOCS][11];
	char titles[NDOCS][64];
	char banners[NDOCS][160];
	int n;
};

static int
collect(void *ctx, const query_hit *h)
{
	struct got *g = ctx;

	if (g->n < NDOCS) {
		snprintf(g->ids[g->n], 32, "%s", h->id);
		snprintf(g->dates[g->n], 11, "%s", h->date);
		snprintf(g->titles[g->n], 64, "%s", h->title);
		snprintf(g->banners[g->n], 160, "%s", h->banner);
	}
	g->n++;
	return 0;
}

/*
 * Run text for who four ways: a batch's candidates at once by bitmaps (the
 * default, for the queries it covers), one candidate at a time, by
 * bitmaps that may span only 16 serials (wider batches fall back to one at
 * a time, the narrow last batch does not), and reading the postings of
 * every portion to count the withheld (the audit's second run).  Hits,
 * order and counts must be identical, and so must the withheld count
 * wherever a run knows it; *res gets the fourth run's.
 */
static void
run_both(const char *text, const acl_principal *who, const query_opts *o, struct got *got,
    query_result *res)
{
	struct got other = { .n = 0 };
	query_result res1;
	query_opts all = *o;
	query *q = NULL;
	lsn_err err;
	uint64_t span = query__bits_max_span, known = 0, wh = 0;

	all.count_withheld = 1;
	for (int way = 0; way < 4; way++) {
		query__one_at_a_time = way == 1;
		query__bits_max_span = way == 2 ? 16 : span;
		other.n = 0;
		assert_int_equal(query_parse(&q, text, NULL, &err), 0);
		if (query_run(G.st, G.data, who, q, way == 3 ? &all : o, collect,
			way ? &other : got, way ? &res1 : res, &err) != 0)
			fail_msg("query %s: %s", text, err.msg);
		query_result *r = way ? &res1 : res;
		if (way < 3 && r->withheld_known != (r->passed_over == 0))
			fail_msg("query %s: the withheld count is known with %llu runs passed "
				 "over", text, (unsigned long long)r->passed_over);
		if (way == 3 && (!r->withheld_known || r->passed_over != 0))
			fail_msg("query %s: counting the withheld passed runs over", text);
		if (r->withheld_known) { /* every run that knows it agrees */
			if (known && r->withheld != wh)
				fail_msg("principal %s, query [%s]: %llu withheld, %llu in "
					 "another way", acl_principal_name(who), text,
				    (unsigned long long)r->withheld, (unsigned long long)wh);
			known = 1;
			wh = r->withheld;
		}
		query_free(q);
		query__one_at_a_time = 0;
		query__bits_max_span = span;
		/* The cost figures: a hit was read from some batch's postings. */
		if (way == 0 && got->n > 0 && (res->batches == 0 || res->postings < (uint64_t)got->n))
			fail_msg("query %s: %d hits from %llu batches, %llu postings", text, got->n,
			    (unsigned long long)res->batches, (unsigned long long)res->postings);
		if (way == 0)
			continue;
		if (other.n != got->n || res1.matched != res->matched ||
		    res1.returned != res->returned)
			fail_msg("principal %s, query [%s]: %d hits, %llu withheld by bitmaps; "
				 "%d, %llu %s", acl_principal_name(who), text, got->n,
			    (unsigned long long)res->withheld, other.n,
			    (unsigned long long)res1.withheld,
			    way == 1 ? "one at a time" : "by narrow bitmaps");
		for (int k = 0; k < got->n && k < NDOCS; k++) {
			assert_string_equal(other.ids[k], got->ids[k]);
			assert_string_equal(other.titles[k], got->titles[k]);
			assert_string_equal(other.banners[k], got->banners[k]);
		}
		if (way == 1 || way == 2) /* what the answer read: readable runs */
			continue;
		if (way == 3) { /* the audit's count, and what reading all cost */
			res->withheld = res1.withheld;
			res->withheld_known = 1;
		}
	}
}

/* What a hit on doc shows who: the title (or its placeholder) and the
 * roll-up of the portions who may read, computed here from the generated
 * markings, not from anything the store kept. */
static void
ref_hit(const struct doc *doc, const acl_principal *who, char *title, size_t tlen,
    char *banner, size_t blen)
{
	const acl_marking *m[MAXP];
	acl_marking *b = NULL;
	char *text = NULL;
	size_t n = 0;
	lsn_err err;

	snprintf(title, tlen, "%s", readable(who, &doc->p[0]) ? doc->p[0].text :
	    "[title withheld]");
	for (int i = 0; i < doc->np; i++)
		if (readable(who, &doc->p[i]))
			m[n++] = G.marks[doc->p[i].mark];
	if (acl_rollup(&b, G.data, m, n, &err) != 0 ||
	    acl_marking_render(&text, b, ACL_BANNER, &err) != 0)
		fail_msg("reference banner of %s: %s", doc->id, err.msg);
	snprintf(banner, blen, "%s", text);
	free(text);
	acl_marking_free(b);
}

/* Doc x ranks before doc y in an answer: newer, or as new and ingested
 * later. */
static int
ranks_before(int x, int y)
{
	int c = strcmp(G.docs[x].date, G.docs[y].date);

	return c != 0 ? c > 0 : G.docs[x].serial > G.docs[y].serial;
}

/*
 * The reference answer of rq for who: its hits in answer order (*nhits of
 * them into hits[]), and for a run that keeps k = offset + limit matches,
 * the audit's figures: matched = min(hits, k), and withheld = the reports
 * that would have matched with every portion readable and rank before the
 * k-th hit (all of them when there are fewer than k hits).
 */
static void
ref_answer(const acl_principal *who, const struct rq *rq, size_t k, int *hits, int *nhits,
    uint64_t *matched, uint64_t *withheld)
{
	int wh[NDOCS], nwh = 0;

	*nhits = 0;
	for (int d = 0; d < NDOCS; d++) {
		const struct doc *doc = &G.docs[d];
		if (!doc->stored)
			continue;
		if (ref_match(doc, who, rq))
			hits[(*nhits)++] = d;
		else if (ref_withheld(doc, who, rq))
			wh[nwh++] = d;
	}
	for (int i = 1; i < *nhits; i++) /* insertion sort into answer order */
		for (int j = i; j > 0 && ranks_before(hits[j], hits[j - 1]); j--) {
			int t = hits[j];
			hits[j] = hits[j - 1];
			hits[j - 1] = t;
		}
	*matched = (uint64_t)*nhits < k ? (uint64_t)*nhits : k;
	*withheld = 0;
	for (int i = 0; i < nwh; i++)
		*withheld += (size_t)*nhits < k || ranks_before(wh[i], hits[k - 1]);
}

static void
test_query__equals_brute_force_reference(void **state)
{
	/* The whole answer, a page of it, and the first hit only. */
	static const query_opts pages[] = { { QUERY_MAX_LIMIT, 0, 0 }, { 3, 2, 0 },
		{ 1, 0, 0 } };
	query_result res;
	int compared = 0, nonempty = 0, nwithheld = 0, cut = 0, titled = 0, fgi = 0;

	(void)state;
	for (size_t w = 0; w < G.nwho; w++) {
		for (int i = 0; i < NQUERIES; i++) {
			struct rq rq;
			random_query(&rq);
			for (size_t pg = 0; pg < sizeof(pages) / sizeof(pages[0]); pg++) {
				const query_opts *o = &pages[pg];
				struct got got = { .n = 0 };
				int hits[NDOCS], nhits, want;
				uint64_t matched, withheld;
				run_both(rq.text, G.who[w], o, &got, &res);
				ref_answer(G.who[w], &rq, o->offset + o->limit, hits, &nhits, &matched,
				    &withheld);
				want = nhits <= (int)o->offset ? 0 :
				    nhits - (int)o->offset < (int)o->limit ? nhits - (int)o->offset :
									     (int)o->limit;
				if (got.n != want)
					fail_msg("principal %s, query [%s], limit %zu offset %zu: %d hits, "
						 "the reference says %d", acl_principal_name(G.who[w]), rq.text,
					    o->limit, o->offset, got.n, want);
				for (int k = 0; k < got.n; k++)
					if (strcmp(got.ids[k], G.docs[hits[o->offset + (size_t)k]].id) != 0)
						fail_msg("principal %s, query [%s], limit %zu offset %zu: "
							 "hit %d is %s, the reference says %s",
						    acl_principal_name(G.who[w]), rq.text, o->limit, o->offset,
						    k, got.ids[k], G.docs[hits[o->offset + (size_t)k]].id);
				if (res.withheld != withheld || res.matched != matched)
					fail_msg("principal %s, query [%s], limit %zu offset %zu: %llu "
						 "withheld, %llu matched; the reference says %llu, %llu",
					    acl_principal_name(G.who[w]), rq.text, o->limit, o->offset,
					    (unsigned long long)res.withheld, (unsigned long long)res.matched,
					    (unsigned long long)withheld, (unsigned long long)matched);
				for (int k = 0; k < got.n; k++) {
					const struct doc *doc = &G.docs[hits[o->offset + (size_t)k]];
					char title[256], banner[160];
					ref_hit(doc, G.who[w], title, sizeof(title), banner, sizeof(banner));
					if (strncmp(got.titles[k], title, 63) != 0 ||
					    strcmp(got.banners[k], banner) != 0)
						fail_msg("principal %s, query [%s]: hit %s shows \"%s\" "
							 "under %s; the reference says \"%s\" under %s",
						    acl_principal_name(G.who[w]), rq.text, doc->id,
						    got.titles[k], got.banners[k], title, banner);
					titled += strcmp(title, "[title withheld]") != 0;
					fgi += strstr(banner, "FGI") != NULL;
				}
				if (pg > 0)
					continue;
				compared++;
				nonempty += nhits > 0;
				nwithheld += withheld > 0;
			}
			/* The first hit's answer counts fewer withheld reports than
			 * the whole one, often: the figure is about this answer. */
			{
				int hits[NDOCS], nhits;
				uint64_t m, w1, wall;
				ref_answer(G.who[w], &rq, 1, hits, &nhits, &m, &w1);
				ref_answer(G.who[w], &rq, NDOCS, hits, &nhits, &m, &wall);
				cut += w1 < wall;
			}
		}
	}
	/* The comparison must have had something to compare. */
	assert_true(compared == (int)G.nwho * NQUERIES);
	assert_true(nonempty > compared / 4);
	assert_true(nwithheld > compared / 4); /* the audit count was exercised */
	assert_true(cut > compared / 8);        /* and its cut at the last hit */
	assert_true(titled > 0);                /* titles were shown */
	assert_true(fgi > 0);                   /* and FGI banners */
	assert_true(query__batches_passed > 0); /* batches were passed by */
	assert_true(query__batches_probed > 0); /* also on their words */
}

static int
count_block(void *ctx, const uint8_t *block, size_t len)
{
	ingest_posting *p = NULL;
	size_t n = 0, cap = 0;
	int rc = ingest_block_decode(block, len, &p, &n, &cap);

	*(size_t *)ctx += n;
	free(p);
	return rc;
}

/* Every stored report is posted under the pseudo-word once for each of
 * its marking entries (kind, marking, need-to-know), and a query that could
 * match with none of its words reads the index batch by batch like any
 * other: it passes batches by once its hits are kept (reading every
 * report's label, it never did). */
static void
test_query__word_free_queries_read_batch_by_batch(void **state)
{
	static const char *const texts[] = { "NOT zzqqxx", "date:1900-01-01..2999-12-31",
		"class:<=TS", "NOT convoy OR rel:GBR" };
	uint8_t every[STORE_BLIND_LEN];
	store_snap *sn;
	size_t entries = 0, posted = 0;
	lsn_err err;

	(void)state;
	for (size_t i = 0; i < NDOCS; i++) {
		const struct doc *d = &G.docs[i];
		for (int k = 0; d->stored && k < d->np; k++) {
			int first = 1;
			for (int j = 0; j < k && first; j++)
				first = d->p[j].kind != d->p[k].kind || d->p[j].mark != d->p[k].mark ||
				    d->p[j].ntk != d->p[k].ntk;
			entries += (size_t)first;
		}
	}
	store_blind(G.st, INGEST_EVERY_REPORT, strlen(INGEST_EVERY_REPORT), every);
	assert_int_equal(store_snap_begin(G.st, &sn, &err), 0);
	assert_int_equal(store_postings_get(sn, every, count_block, &posted, &err), 0);
	store_snap_end(sn);
	assert_true(entries > 0);
	assert_int_equal(posted, entries);

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		query_opts o = { 1, 0, 0 };
		query_result res;
		struct got got = { .n = 0 };
		uint64_t before = query__batches_passed;
		run_both(texts[i], G.who[0], &o, &got, &res);
		assert_int_equal(got.n, 1);
		if (query__batches_passed == before)
			fail_msg("[%s] with one hit passed no batch by", texts[i]);
	}
}

/* A dated report is posted under its month's pseudo-word exactly as under
 * every report's, and a date: range of a few months reads those months'
 * words, not every report's; batches whose newest report is before the
 * range are passed by however many hits are asked for. */
static void
test_query__date_ranges_read_their_months(void **state)
{
	uint8_t every[STORE_BLIND_LEN];
	char word[INGEST_MONTH_WORD_MAX];
	size_t posted = 0, in_months = 0, in_range = 0;
	store_snap *sn;
	lsn_err err;

	(void)state;
	store_blind(G.st, INGEST_EVERY_REPORT, strlen(INGEST_EVERY_REPORT), every);
	assert_int_equal(store_snap_begin(G.st, &sn, &err), 0);
	assert_int_equal(store_postings_get(sn, every, count_block, &posted, &err), 0);
	uint8_t jan[STORE_BLIND_LEN];
	for (uint32_t m = 1; m <= 12; m++) {
		uint8_t blind[STORE_BLIND_LEN], plain[STORE_BLIND_LEN];
		size_t n = 0, len = ingest_month_word(20240000 + m * 100 + 1, word);
		assert_true(len > 0);
		ingest_blind(G.st, word, len, blind);
		store_blind(G.st, word, len, plain);
		/* Months are keyed side by side; ingest_blind() of a word is
		 * store_blind()'s. */
		assert_memory_not_equal(blind, plain, STORE_BLIND_LEN);
		assert_memory_equal(blind + STORE_BLIND_LEN - 4, plain, 4);
		if (m == 1)
			memcpy(jan, blind, sizeof(jan));
		else
			assert_memory_equal(blind, jan, STORE_BLIND_LEN - 4);
		uint8_t wb[STORE_BLIND_LEN];
		ingest_blind(G.st, vocab[m], strlen(vocab[m]), wb);
		store_blind(G.st, vocab[m], strlen(vocab[m]), plain);
		assert_memory_equal(wb, plain, STORE_BLIND_LEN);
		assert_int_equal(store_postings_get(sn, blind, count_block, &n, &err), 0);
		in_months += n;
		if (m >= 10)
			in_range += n;
	}
	store_snap_end(sn);
	assert_true(posted > 0);
	assert_int_equal(in_months, posted); /* every test report has a 2024 date */
	assert_int_equal(ingest_month_word(0, word), 0);
	assert_int_equal(ingest_month_word(20241301, word), 0);

	/* The last three months, every hit: their words' postings are read,
	 * fewer than every report's, and the answer is the reference's. */
	struct rq rq = { .type = R_DATEONLY, .from = "2024-10-01", .to = "2024-12-31" };
	query_opts o = { QUERY_MAX_LIMIT, 0, 0 };
	query_result res;
	struct got got = { .n = 0 };
	uint64_t before = query__batches_passed;
	int want = 0;
	for (size_t i = 0; i < NDOCS; i++)
		want += G.docs[i].stored && ref_match(&G.docs[i], G.who[0], &rq);
	run_both("date:2024-10-01..2024-12-31", G.who[0], &o, &got, &res);
	assert_true(want > 0);
	assert_int_equal(got.n, want);
	/* The blocks read, each counted once; fewer when a batch is passed by. */
	assert_true(res.postings > 0 && res.postings <= in_range);
	assert_true(res.postings < posted);

	/* A range that starts after some batch's newest report (on the index
	 * head; which reports share a batch depends on the workers' timing)
	 * passes that batch by, however many hits are asked for. */
	uint8_t *head = NULL;
	size_t head_len = 0;
	uint32_t oldest = UINT32_MAX, newest = 0;
	char from[16], text[64];
	assert_int_equal(store_snap_begin(G.st, &sn, &err), 0);
	assert_int_equal(ingest_head_read(sn, &head, &head_len, &err), 0);
	for (uint64_t b = 1; b < store_postings_batches(sn); b++) {
		uint32_t d;
		uint64_t serial;
		if (ingest_head_get(head, head_len, b, &d, &serial)) {
			oldest = d < oldest ? d : oldest;
			newest = d > newest ? d : newest;
		}
	}
	free(head);
	store_snap_end(sn);
	assert_true(oldest < newest); /* the test corpus's batches differ */
	snprintf(from, sizeof(from), "%04u-%02u-%02u", oldest / 10000, oldest / 100 % 100,
	    oldest % 100 + 1); /* test dates have days 1-28 */
	assert_int_equal(strlen(from), 10);
	memcpy(rq.from, from, sizeof(rq.from)); /* YYYY-MM-DD and its NUL */
	snprintf(text, sizeof(text), "date:%s..2024-12-31", from);
	want = 0;
	for (size_t i = 0; i < NDOCS; i++)
		want += G.docs[i].stored && ref_match(&G.docs[i], G.who[0], &rq);
	got.n = 0;
	run_both(text, G.who[0], &o, &got, &res);
	assert_int_equal(got.n, want);
	if (query__batches_passed == before)
		fail_msg("[%s] passed no batch by", text);
	/* More than QUERY__MONTHS months: every report's word, as before. */
	got.n = 0;
	run_both("date:2022-01-01..2024-12-31", G.who[0], &o, &got, &res);
	assert_true(res.postings >= posted);
}

/* query_stats() for each principal, against counts made here from the
 * generated documents: a report counts if some portion is readable, under
 * the level of its readable portions' roll-up, each readable country
 * portion's country once, and its month. */
struct stat_row {
	char dim[16], key[16];
	uint64_t n;
};
struct stat_rows {
	struct stat_row r[128];
	size_t n;
};

static void
stat_add(struct stat_rows *t, const char *dim, const char *key, uint64_t n)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->r[i].dim, dim) == 0 && strcmp(t->r[i].key, key) == 0) {
			t->r[i].n += n;
			return;
		}
	assert_true(t->n < sizeof(t->r) / sizeof(t->r[0]));
	snprintf(t->r[t->n].dim, sizeof(t->r[t->n].dim), "%s", dim);
	snprintf(t->r[t->n].key, sizeof(t->r[t->n].key), "%s", key);
	t->r[t->n++].n = n;
}

static int
stat_got(void *ctx, const char *dim, const char *key, uint64_t n)
{
	stat_add(ctx, dim, key, n);
	return 0;
}

static void
test_query__stats_count_what_is_readable(void **state)
{
	size_t countries = 0, hidden = 0;

	(void)state;
	for (size_t w = 0; w < G.nwho; w++) {
		struct stat_rows want = { .n = 0 }, got = { .n = 0 };
		uint64_t visible = 0, want_visible = 0;
		lsn_err err;
		for (int d = 0; d < NDOCS; d++) {
			const struct doc *doc = &G.docs[d];
			const acl_marking *m[MAXP];
			acl_marking *b = NULL;
			size_t n = 0;
			if (!doc->stored)
				continue;
			for (int i = 0; i < doc->np; i++)
				if (readable(G.who[w], &doc->p[i]))
					m[n++] = G.marks[doc->p[i].mark];
			if (n == 0)
				continue;
			want_visible++;
			assert_int_equal(acl_rollup(&b, G.data, m, n, &err), 0);
			int lv = acl_marking_level(b);
			stat_add(&want, "classification", lv ? acl_level_name(lv) : "none", 1);
			acl_marking_free(b);
			for (int i = 0; i < doc->np; i++) {
				int dup = 0;
				if (doc->p[i].kind != INGEST_COUNTRY)
					continue;
				if (!readable(G.who[w], &doc->p[i])) {
					hidden++;
					continue;
				}
				for (int j = 1; j < i && !dup; j++)
					dup = doc->p[j].kind == INGEST_COUNTRY &&
					    readable(G.who[w], &doc->p[j]) &&
					    strcmp(doc->p[j].text, doc->p[i].text) == 0;
				if (!dup) {
					stat_add(&want, "country", doc->p[i].text, 1);
					countries++;
				}
			}
			char month[8];
			memcpy(month, doc->date, 7);
			month[7] = '\0';
			stat_add(&want, "month", month, 1);
		}
		if (query_stats(G.st, G.data, G.who[w], stat_got, &got, &visible, &err) != 0)
			fail_msg("stats for %s: %s", acl_principal_name(G.who[w]), err.msg);
		assert_int_equal(visible, want_visible);
		assert_int_equal(got.n, want.n);
		for (size_t i = 0; i < want.n; i++) {
			size_t k = 0;
			while (k < got.n && (strcmp(got.r[k].dim, want.r[i].dim) != 0 ||
						strcmp(got.r[k].key, want.r[i].key) != 0))
				k++;
			if (k == got.n || got.r[k].n != want.r[i].n)
				fail_msg("stats for %s: %s %s: %llu, want %llu",
				    acl_principal_name(G.who[w]), want.r[i].dim, want.r[i].key,
				    k == got.n ? 0ULL : (unsigned long long)got.r[k].n,
				    (unsigned long long)want.r[i].n);
		}
	}
	assert_true(countries > 0); /* countries were counted */
	assert_true(hidden > 0);    /* and some were not readable */
}

static void
test_query__noforn_words_never_reach_partners(void **state)
{
	query_opts o = { QUERY_MAX_LIMIT, 0, 0 };
	query_result res;
	struct got got;
	query *q = NULL;
	lsn_err err;

	(void)state;
	assert_int_equal(query_parse(&q, "noforna", NULL, &err), 0);
	for (size_t w = 2; w < G.nwho; w++) { /* the partners */
		got.n = 0;
		assert_int_equal(query_run(G.st, G.data, G.who[w], q, &o, collect, &got, &res,
		    &err), 0);
		assert_int_equal(got.n, 0);
		/* ... and the answer read none of its postings (all of them in
		 * portions the partner may not read): its time does not depend
		 * on how many there are.  Only the audit's count reads them. */
		assert_int_equal(res.postings, 0);
		assert_true(res.passed_over > 0);
		assert_false(res.withheld_known);
		query_opts all = o;
		all.count_withheld = 1;
		assert_int_equal(query_run(G.st, G.data, G.who[w], q, &all, collect, &got, &res,
		    &err), 0);
		assert_int_equal(got.n, 0);
		assert_true(res.postings > 0 && res.withheld > 0 && res.withheld_known);
	}
	got.n = 0;
	assert_int_equal(query_run(G.st, G.data, G.who[0], q, &o, collect, &got, &res, &err), 0);
	assert_true(got.n > 0); /* the test can fail: the word is there */
	query_free(q);
}

static void
test_query__unreadable_answers_like_missing(void **state)
{
	ingest_doc *view = NULL;
	acl_marking *banner = NULL;
	size_t withheld = 0;
	lsn_err e1, e2;
	int r1, r2, found = 0;

	(void)state;
	/* A stored report IND may read nothing of. */
	for (int d = 0; d < NDOCS && !found; d++) {
		const struct doc *doc = &G.docs[d];
		int any = 0;
		if (!doc->stored)
			continue;
		for (int i = 0; i < doc->np; i++)
			any |= readable(G.who[6], &doc->p[i]);
		if (any)
			continue;
		found = 1;
		r1 = query_get(G.st, G.data, G.who[6], doc->id, &view, &banner, &withheld, &e1);
		assert_null(view);
		assert_true(withheld > 0); /* the audit log knows */
		char missing[32];
		snprintf(missing, sizeof(missing), "%s", doc->id);
		missing[0] = 'X'; /* same length, never stored */
		r2 = query_get(G.st, G.data, G.who[6], missing, &view, &banner, &withheld, &e2);
		assert_int_equal(r1, LSN_ENOTFOUND);
		assert_int_equal(r2, LSN_ENOTFOUND);
		/* The same message, but for the id asked about. */
		char want1[64], want2[64];
		snprintf(want1, sizeof(want1), "no report %s", doc->id);
		snprintf(want2, sizeof(want2), "no report %s", missing);
		assert_string_equal(e1.msg, want1);
		assert_string_equal(e2.msg, want2);
		/* A missing id decides another report's label to take the time
		 * an unreadable one takes (store_record_peek_near): before every
		 * id, between two, past the last (the first is decided), for a
		 * reader that may read that report or not: the same answer,
		 * nothing withheld. */
		const char *others[] = { "!", "ZZZZ", "~~~", missing, doc->id };
		for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++)
			for (size_t w = 0; w < G.nwho; w++) {
				char want[64], ask[40];
				snprintf(ask, sizeof(ask), "%s%s", others[k], k == 4 ? "x" : "");
				withheld = 7;
				assert_int_equal(query_get(G.st, G.data, G.who[w], ask, &view, &banner,
				    &withheld, &e2), LSN_ENOTFOUND);
				assert_null(view);
				assert_int_equal(withheld, 0);
				snprintf(want, sizeof(want), "no report %s", ask);
				assert_string_equal(e2.msg, want);
			}
	}
	assert_true(found);
}

/* Every principal's view of every report holds exactly the portions the
 * reference lets it read, in order, with their text (portions are stored
 * in segments grouped by marking, and only those a principal may read are
 * decrypted: a wrong grouping or a missing filter shows here). */
static void
test_query__views_hold_exactly_the_readable_portions(void **state)
{
	int checked = 0, partial = 0;

	(void)state;
	for (size_t w = 0; w < G.nwho; w++) {
		for (int d = 0; d < NDOCS; d++) {
			const struct doc *doc = &G.docs[d];
			ingest_doc *view = NULL;
			acl_marking *banner = NULL;
			size_t withheld = 0, k = 0, nread = 0;
			lsn_err err;
			int rc;

			if (!doc->stored)
				continue;
			for (int i = 0; i < doc->np; i++)
				nread += (size_t)readable(G.who[w], &doc->p[i]);
			rc = query_get(G.st, G.data, G.who[w], doc->id, &view, &banner, &withheld,
			    &err);
			if (nread == 0) {
				assert_int_equal(rc, LSN_ENOTFOUND);
				continue;
			}
			if (rc != 0)
				fail_msg("%s for %s: %s", doc->id, acl_principal_name(G.who[w]), err.msg);
			assert_int_equal(withheld, (size_t)doc->np - nread);
			partial += withheld > 0;
			for (int i = 0; i < doc->np; i++) {
				if (!readable(G.who[w], &doc->p[i])) {
					/* An unreadable title shows as a placeholder. */
					if (i == 0) {
						assert_true(k < view->nportions);
						assert_string_equal(view->portions[k].text, "[title withheld]");
						k++;
					}
					continue;
				}
				assert_true(k < view->nportions);
				assert_string_equal(view->portions[k].text, doc->p[i].text);
				assert_non_null(view->portions[k].marking);
				k++;
			}
			assert_int_equal(k, view->nportions);
			/* The view's banner is the roll-up of what it shows. */
			{
				char title[256], want[160], *got = NULL;
				ref_hit(doc, G.who[w], title, sizeof(title), want, sizeof(want));
				assert_int_equal(acl_marking_render(&got, banner, ACL_BANNER, &err), 0);
				assert_string_equal(got, want);
				free(got);
			}
			ingest_doc_free(view);
			acl_marking_free(banner);
			checked++;
		}
	}
	assert_true(checked > NDOCS);     /* the test had views to check */
	assert_true(partial > NDOCS / 4); /* many of them partial */
}

static int
count_head(void *ctx, const uint8_t *block, size_t len)
{
	(void)block;
	*(size_t *)ctx = len / INGEST_HEAD_ENTRY;
	return 0;
}

/*
 * The reference again, on a store of 50 batches of 3 reports, whose recent
 * batches were merged every INGEST_MERGE_BATCHES, and whose blocks are
 * cut in frames of 2 postings, written by a writer that empties its word
 * table whenever it holds more than 8 words: a query opens a few frames at a time until
 * offset + limit matches are kept, then up to the worst of them, and
 * reads one block a word for 16 batches.  (Last: the group's teardown
 * closes this store.)
 */
static void
test_query__merged_batches_and_small_frames(void **state)
{
	store_snap *sn;
	uint8_t *head = NULL;
	size_t head_len = 0, entries = 0;
	lsn_err err;

	assert_int_equal(teardown(NULL), 0);
	G.nwho = 0;
	G.batch_docs = 3;
	ingest__frame_postings = 2;
	ingest__writer_words_keep = 8; /* the writer's word table emptied every batch */
	assert_int_equal(setup(NULL), 0);
	ingest__frame_postings = INGEST_FRAME_POSTINGS;
	ingest__writer_words_keep = INGEST_WRITER_WORDS_KEEP;
	assert_int_equal(store_snap_begin(G.st, &sn, &err), 0);
	/* About 50 batches (a batch may be cut short when input stalls):
	 * 3 merges, and fewer than 16 recent batches after the last. */
	uint64_t upto = store_postings_merged_upto(sn), into;
	unsigned done;
	size_t merges = 0, recent = 0;
	assert_false(store_postings_merging(sn, &into, &done));
	assert_int_equal(store_index_head_get(sn, count_head, &entries, &err), 0);
	assert_int_equal(ingest_head_read(sn, &head, &head_len, &err), 0);
	for (uint64_t b = 1; b <= head_len / INGEST_HEAD_ENTRY; b++) {
		uint32_t d;
		uint64_t serial;
		if (ingest_head_get(head, head_len, b, &d, &serial))
			++*(b <= upto ? &merges : &recent);
	}
	assert_int_equal(merges, 3);
	assert_true(recent >= 1 && recent < INGEST_MERGE_BATCHES);
	assert_true(entries >= 3 * (INGEST_MERGE_BATCHES + 1));
	free(head);
	store_snap_end(sn);
	test_query__equals_brute_force_reference(state);
	/* Again with a withheld list of one report's room: it is pruned as
	 * soon as offset + limit matches are kept, also while a batch is
	 * taken that is then taken again with more frames. */
	uint64_t prunes = query__withheld_prunes;
	query__withheld_room = 1;
	test_query__equals_brute_force_reference(state);
	query__withheld_room = 256;
	assert_true(query__withheld_prunes > prunes);
	test_query__noforn_words_never_reach_partners(state);
	test_query__unreadable_answers_like_missing(state);
	test_query__views_hold_exactly_the_readable_portions(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query__equals_brute_force_reference),
		cmocka_unit_test(test_query__word_free_queries_read_batch_by_batch),
		cmocka_unit_test(test_query__date_ranges_read_their_months),
		cmocka_unit_test(test_query__stats_count_what_is_readable),
		cmocka_unit_test(test_query__noforn_words_never_reach_partners),
		cmocka_unit_test(test_query__unreadable_answers_like_missing),
		cmocka_unit_test(test_query__views_hold_exactly_the_readable_portions),
		cmocka_unit_test(test_query__merged_batches_and_small_frames),
	};

	return cmocka_run_group_tests_name("query", tests, setup, teardown);
}
