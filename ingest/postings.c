/*
 * ingest/postings.c - the posting block codec (ingest.h).
 */
#include "config.h"

#include <stdlib.h>

#include "ingest/ingest.h"

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static int
get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		uint8_t b = *(*p)++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

int
ingest_postings_encode(const ingest_posting *p, size_t n, uint8_t **out,
    size_t *len, lsn_err *err)
{
	uint8_t *buf = malloc(10 + n * 15), *q;
	uint64_t prev = 0;

	*out = NULL;
	if (buf == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	q = buf + put_varint(buf, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i].serial < prev) {
			free(buf);
			return lsn_fail(err, LSN_EINTERNAL, "postings out of order");
		}
		q += put_varint(q, p[i].serial - prev);
		q += put_varint(q, p[i].portion);
		prev = p[i].serial;
	}
	*out = buf;
	*len = (size_t)(q - buf);
	return 0;
}

int
ingest_postings_decode(const uint8_t *block, size_t len,
    int (*fn)(void *ctx, uint64_t serial, uint32_t portion), void *ctx)
{
	const uint8_t *p = block, *end = block + len;
	uint64_t n, d, portion, serial = 0;
	int rc;

	if (get_varint(&p, end, &n) != 0 || n > len)
		return LSN_EINPUT;
	for (uint64_t i = 0; i < n; i++) {
		if (get_varint(&p, end, &d) != 0 || get_varint(&p, end, &portion) != 0 ||
		    portion > UINT32_MAX || d > UINT64_MAX - serial)
			return LSN_EINPUT;
		serial += d;
		if ((rc = fn(ctx, serial, (uint32_t)portion)) != 0)
			return rc;
	}
	return p == end ? 0 : LSN_EINPUT;
}
