/*
 * tests/fuzz/fuzz-record.c - libFuzzer target for the sealed-record and
 * posting-block openers: random bytes given as a record must be refused (they can only open if
 * they forge AES-GCM), never read out of bounds.  The first bytes choose
 * which segments to ask for.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static store *st;

static void
make_store(void)
{
	char dir[] = "/tmp/lsn-fuzz-record-XXXXXX", path[64], key[80];
	store_keysrc ks = { 0 };
	lsn_err err;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(key, sizeof(key), "%s/s.key", dir);
	ks.key_file = key;
	if (store_create(&st, path, &ks, NULL, &err) != 0)
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
	return 0;
}
