/*
 * tests/fuzz/fuzz-record.c - libFuzzer target for the sealed-record and
 * posting-block openers: random bytes given as a record, a block or a pack must be refused
 * (they can only open if they forge AES-GCM), never read out of bounds.  The first bytes choose
 * which segments to ask for.  The same bytes then go, as if they had been
 * opened, through the decoders of what blocks, labels and records hold:
 * packs, posting blocks, marking entries, report labels, and a report's group
 * segment after a valid skeleton (bounds only: any verdict).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static store *st;
static acl_data *acl;

/* A skeleton: LSK1, generic 0, id "F", date "", 8 portions, no banner. */
static const uint8_t skeleton[] = { 'L', 'S', 'K', '1', 0, 0, 0, 0, 1, 'F', 0, 0, 0, 0,
	0, 0, 0, 8, 0, 0, 0, 0 };

static char dir[] = "/tmp/lsn-fuzz-record-XXXXXX", path[64], key[80];

/* At exit: the store, its key file and their directory go. */
static void
remove_store(void)
{
	static const char *const files[] = { "data.mdb", "lock.mdb", "writer.lock" };
	char p[96];

	store_close(st);
	st = NULL;
	acl_data_free(acl);
	acl = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", path, files[i]);
		unlink(p);
	}
	rmdir(path);
	unlink(key);
	rmdir(dir);
}

static void
make_store(void)
{
	store_keysrc ks = { 0 };
	lsn_err err;

	if (acl_data_load(&acl, NULL, NULL, &err) != 0 || mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(key, sizeof(key), "%s/s.key", dir);
	ks.key_file = key;
	if (atexit(remove_store) != 0 || store_create(&st, path, &ks, NULL, &err) != 0)
		abort();
}


int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	store_record *r = NULL;
	uint8_t want[4] = { 1, 1, 1, 1 };
	int rc;

	if (st == NULL)
		make_store();
	if (size > 0)
		for (int i = 0; i < 4; i++)
			want[i] = (uint8_t)((buf[0] >> i) & 1);
	rc = store__open(st, 'r', "FUZZ", 4, buf, size, size > 1 ? want : NULL, 4, &r, NULL);
	if (rc == 0) {
		/* Only a real seal opens: random bytes never should. */
		store_record_free(r);
		abort();
	}
	if (r != NULL)
		abort();
	/* The same bytes as a posting block. */
	uint8_t *plain = NULL;
	size_t plen = 0;
	if (store__open_block(st, "FUZZ", 4, buf, size, &plain, &plen, NULL) == 0 ||
	    plain != NULL)
		abort();
	/* And as a pack, sealed and opened: a term's block found in it lies
	 * inside it. */
	size_t pcap = 0, at, blen;
	if (store__open_pack_into(st, "FUZZ", 4, buf, size, &plain, &pcap, &plen, NULL) == 0)
		abort();
	free(plain);
	plain = NULL;
	uint8_t term[STORE_BLIND_LEN] = { 0 };
	if (size >= STORE_BLIND_LEN)
		memcpy(term, buf + size - STORE_BLIND_LEN, STORE_BLIND_LEN);
	if (store__pack_find(buf, size, term, &at, &blen) == 1 &&
	    (at > size || blen > size - at))
		abort();
	/* The plaintext decoders, on the bytes as they are. */
	ingest_posting *po = NULL;
	size_t npo = 0, cap = 0;
	if (ingest_postings_decode(buf, size, &po, &npo, &cap) == 0 && npo > size)
		abort(); /* at least a byte a posting */
	npo = 0;
	if (ingest_block_decode(buf, size, &po, &npo, &cap) == 0 && npo > size)
		abort(); /* a block: its directory and runs */
	free(po);
	ingest_run_ref *runs = NULL;
	size_t nruns = 0, rcap = 0, f0;
	for (int whole = 0; whole < 2; whole++)
		if (ingest_block_dir(buf, size, whole, &runs, &rcap, &nruns, &f0) == 0) {
			if (f0 > size)
				abort();
			for (size_t i = 0; i < nruns; i++) /* every run within the bytes */
				if (runs[i].frames == 0 && (runs[i].at > f0 ||
					runs[i].len > f0 - runs[i].at))
					abort();
		}
	free(runs);
	ingest_entry ent;
	if (ingest_entry_view(buf, size, &ent) == 0) {
		if (ent.label + ACL_LABEL_SIZE > buf + size ||
		    ent.marking + ent.marking_len != (const char *)buf + size)
			abort();
		acl_marking *m = NULL;
		if (ingest_marking_parse(&m, acl, ent.marking, ent.marking_len, NULL) == 0)
			acl_marking_free(m);
	}
	/* The same bytes as a report's group segment. */
	uint8_t *segs[2] = { (uint8_t *)skeleton, (uint8_t *)buf };
	size_t lens[2] = { sizeof(skeleton), size };
	store_record fake = { 1, 2, segs, lens, NULL, 0 };
	ingest_doc *doc = NULL;
	int decoded = ingest_record_decode(&doc, acl, &fake, NULL) == 0;
	if (decoded && doc->nportions != 8)
		abort();
	if (!decoded && doc != NULL)
		abort();
	/* A hit's title, from the group segment alone: a portion the full
	 * decode found has the same text here. */
	for (uint32_t i = 0; i < 9; i++) {
		char *text = NULL;
		int got = ingest_record_portion_text(&fake, 1, i, &text, NULL);
		if ((got == 0) != (text != NULL))
			abort();
		if (decoded && i < 8 && doc->portions[i].text != NULL &&
		    (text == NULL || strcmp(text, doc->portions[i].text) != 0))
			abort();
		free(text);
	}
	ingest_doc_free(doc);
	ingest_rlabel v;
	if (ingest_rlabel_view(&v, buf, size) == 0) {
		if (v.portions + INGEST_RLABEL_PORTION * v.nportions != buf + size ||
		    v.nsegments > v.nportions + 1)
			abort();
		for (size_t i = 0; i < v.nportions; i++)
			if (ingest_rlabel_entry(&v, i) == 0 || ingest_rlabel_segment(&v, i) == 0 ||
			    ingest_rlabel_segment(&v, i) >= v.nsegments)
				abort();
	}
	return 0;
}
