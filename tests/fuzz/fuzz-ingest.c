/*
 * tests/fuzz/fuzz-ingest.c - libFuzzer target for the XML ingest of one
 * document (ingest_parse): hostile bytes must be rejected cleanly, and what
 * is accepted must encode into a record and decode back.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static acl_data *acl;
static ingest_parser *parser;

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
		ingest_doc_free(d);
	} else if (d != NULL || err.msg[0] == '\0') {
		abort(); /* a rejection says why and returns nothing */
	}
	return 0;
}
