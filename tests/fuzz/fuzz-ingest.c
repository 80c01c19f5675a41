/*
 * tests/fuzz/fuzz-ingest.c - libFuzzer target for the XML ingest of one
 * document (ingest_parse): hostile bytes must be rejected cleanly, and what
 * is accepted, rendered as a reader's XML view of all of it (the banner its
 * portions roll up to, as get shows it), must ingest again with the same
 * portions: text, portion mark and need-to-know, in the view's order
 * (title, originator, countries, keywords, paragraphs), after the
 * placeholders the schema asks for.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"
#include "query/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static acl_data *acl;
static ingest_parser *parser;

/* A portion kind's place in the view (query/view.c). */
static int
rank(int kind)
{
	switch (kind) {
	case INGEST_TITLE: return 0;
	case INGEST_ORIGINATOR: return 1;
	case INGEST_COUNTRY: return 2;
	case INGEST_KEYWORDS: return 3;
	default: return 4;
	}
}

static int
same_mark(const acl_marking *a, const acl_marking *b)
{
	char *x = NULL, *y = NULL;
	int same = acl_marking_render(&x, a, ACL_PORTION, NULL) == 0 &&
	    acl_marking_render(&y, b, ACL_PORTION, NULL) == 0 && strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

/* The view of all of d ingests again as d (abort otherwise). */
static void
round_trip(const ingest_doc *d)
{
	const acl_marking *ms[INGEST_MAX_PORTIONS];
	ingest_parse_opts o = { 0 };
	ingest_doc *e = NULL;
	acl_marking *b = NULL;
	char *x = NULL;
	unsigned line;
	lsn_err err;
	size_t j = 0;
	int titled = 0, paras = 0;

	for (size_t i = 0; i < d->nportions; i++) {
		ms[i] = d->portions[i].marking;
		titled |= d->portions[i].kind == INGEST_TITLE;
		paras |= rank(d->portions[i].kind) == 4;
	}
	if (acl_rollup_view(&b, acl, ms, d->nportions, &err) != 0 ||
	    query_view_xml(&x, d, b, &err) != 0 ||
	    ingest_parse(parser, x, strlen(x), &o, &e, &line, &err) != 0)
		abort(); /* the view of an accepted document is one */
	if (e->nportions != d->nportions + !titled + !paras)
		abort();
	j = !titled; /* the "[no title]" placeholder first */
	for (int r = 0; r <= 4; r++)
		for (size_t i = 0; i < d->nportions; i++) {
			const ingest_portion *p = &d->portions[i], *q;
			if (rank(p->kind) != r)
				continue;
			q = &e->portions[j++];
			if (p->text_len != q->text_len || memcmp(p->text, q->text, p->text_len) != 0 ||
			    (p->ntk == NULL) != (q->ntk == NULL) ||
			    (p->ntk != NULL && strcmp(p->ntk, q->ntk) != 0) ||
			    !same_mark(p->marking, q->marking))
				abort();
		}
	free(x);
	acl_marking_free(b);
	ingest_doc_free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	ingest_parse_opts o = { .fix_banner = (size & 1), .fallback_id = "FUZZ-DOC" };
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;

	if (acl == NULL && (acl_data_load(&acl, NULL, NULL, &err) != 0 ||
			       ingest_parser_new(&parser, acl, &err) != 0))
		abort(); /* LIAISON_DATA_DIR and LIAISON_SCHEMA_DIR must be set */
	if (ingest_parse(parser, (const char *)buf, size, &o, &d, &line, &err) == 0) {
		/* An accepted document has an id and marked portions. */
		if (d->id == NULL || d->nportions == 0 || d->banner == NULL)
			abort();
		for (size_t i = 0; i < d->nportions; i++)
			if (d->portions[i].marking == NULL || d->portions[i].text == NULL)
				abort();
		round_trip(d);
		ingest_doc_free(d);
	} else if (d != NULL || err.msg[0] == '\0') {
		abort(); /* a rejection says why and returns nothing */
	}
	return 0;
}
