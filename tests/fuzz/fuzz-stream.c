/*
 * tests/fuzz/fuzz-stream.c - libFuzzer target for the cutting of a stdin
 * stream into documents (ingest_stream_split): the first two bytes choose a
 * read size (1-64) and a document cap (8-1031 bytes); the rest is the
 * stream.  Read in one go and read in small chunks, it must give the same
 * documents: the same bytes, or the same over-the-cap verdict and size (a
 * document over the cap met whole in one read is the parser's to refuse,
 * so it counts as over the cap here).  Each document but the first begins
 * with a declaration ("<?xml" and white space), after a byte order mark
 * if one was before it; no byte of the stream is counted twice.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct piece {
	char *doc; /* NULL: over the cap */
	size_t bytes;
};

struct cut {
	const uint8_t *in;
	size_t len, at, cap;
	struct piece p[512];
	size_t n;
	int overflow;
};

static ssize_t
from_buf(void *ctx, char *buf, size_t n)
{
	struct cut *c = ctx;
	size_t k = c->len - c->at < n ? c->len - c->at : n;

	memcpy(buf, c->in + c->at, k);
	c->at += k;
	return (ssize_t)k;
}

static int
keep(void *ctx, const char *doc, size_t len, int oversize, size_t bytes, int whole)
{
	struct cut *c = ctx;

	if (!whole || bytes < len || (!oversize && bytes != len))
		abort();
	if (c->n == sizeof(c->p) / sizeof(c->p[0])) {
		c->overflow = 1;
		return 0;
	}
	c->p[c->n].bytes = bytes;
	c->p[c->n].doc = NULL;
	if (!oversize && len <= c->cap) {
		if ((c->p[c->n].doc = malloc(len + 1)) == NULL)
			abort();
		memcpy(c->p[c->n].doc, doc, len);
		c->p[c->n].doc[len] = '\0';
	}
	c->n++;
	return 0;
}

static void
cut(struct cut *c, const uint8_t *in, size_t len, size_t cap, size_t chunk)
{
	ingest_stream_io io = { .read = from_buf, .emit = keep, .ctx = c, .cap = cap,
		.chunk = chunk };
	lsn_err err;

	memset(c, 0, sizeof(*c));
	c->in = in;
	c->len = len;
	c->cap = cap;
	if (ingest_stream_split(&io, "the stream", &err) != 0)
		abort();
}

static void
drop(struct cut *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->p[i].doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cut whole, chunked;
	size_t chunk, cap, total = 0;

	if (size < 2)
		return 0;
	chunk = 1 + data[0] % 64;
	cap = 8 + (size_t)data[1] * 4;
	data += 2;
	size -= 2;
	cut(&whole, data, size, cap, size + 1);
	cut(&chunked, data, size, cap, chunk);
	if (whole.overflow || chunked.overflow)
		goto out;
	if (whole.n != chunked.n)
		abort();
	for (size_t i = 0; i < whole.n; i++) {
		const struct piece *a = &whole.p[i], *b = &chunked.p[i];
		if (a->bytes != b->bytes || (a->doc == NULL) != (b->doc == NULL) ||
		    (a->doc != NULL && memcmp(a->doc, b->doc, a->bytes) != 0))
			abort();
		total += a->bytes;
		if (i > 0 && a->doc != NULL) {
			const char *d = a->doc;
			size_t k = a->bytes;
			if (k >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0) {
				d += 3;
				k -= 3;
			}
			if (k < 6 || memcmp(d, "<?xml", 5) != 0 ||
			    strchr(" \t\r\n", d[5]) == NULL || d[5] == '\0')
				abort();
		}
	}
	if (total > size)
		abort();
out:
	drop(&whole);
	drop(&chunked);
	return 0;
}
