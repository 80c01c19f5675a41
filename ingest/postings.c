/*
 * ingest/postings.c - the posting block codec (ingest.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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

static inline int
get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	if (*p < end && **p < 0x80) { /* most fields are one byte */
		*v = *(*p)++;
		return 0;
	}

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
	uint8_t *buf = malloc(10 + n * 30), *q;
	uint64_t prev = 0;

	*out = NULL;
	if (buf == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	q = buf + put_varint(buf, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i].serial < prev || (i > 0 && p[i].serial == prev &&
					      p[i].portion <= p[i - 1].portion)) {
			free(buf);
			return lsn_fail(err, LSN_EINTERNAL, "postings out of order");
		}
		q += put_varint(q, p[i].serial - prev);
		q += put_varint(q, p[i].portion);
		q += put_varint(q, p[i].entry);
		if (i == 0 || p[i].serial != prev)
			q += put_varint(q, p[i].date);
		prev = p[i].serial;
	}
	*out = buf;
	*len = (size_t)(q - buf);
	return 0;
}

int
ingest_postings_decode(const uint8_t *block, size_t len, ingest_posting **out,
    size_t *nout, size_t *cap)
{
	const uint8_t *p = block, *end = block + len;
	uint64_t n, d, portion, entry, date = 0, serial = 0;
	ingest_posting *o;

	if (get_varint(&p, end, &n) != 0 || n > len)
		return LSN_EINPUT;
	if (n == 0) /* nothing to append (and *out may still be NULL) */
		return p == end ? 0 : LSN_EINPUT;
	if (*nout + n > *cap) { /* room for all of them, once */
		size_t c = *cap ? *cap : 256;
		while (c < *nout + n)
			c *= 2;
		if ((o = realloc(*out, c * sizeof(*o))) == NULL)
			return LSN_EINTERNAL;
		*out = o;
		*cap = c;
	}
	/* Straight into the array: no posting struct handed over (a copy of
	 * one just written field by field stalled on store forwarding). */
	o = *out + *nout;
	for (uint64_t i = 0; i < n; i++) {
		if (get_varint(&p, end, &d) != 0 || get_varint(&p, end, &portion) != 0 ||
		    get_varint(&p, end, &entry) != 0 || portion > UINT32_MAX ||
		    entry > UINT32_MAX || d > UINT64_MAX - serial ||
		    ((i == 0 || d > 0) && (get_varint(&p, end, &date) != 0 ||
					     date > UINT32_MAX)))
			return LSN_EINPUT;
		if (i > 0 && d == 0 && portion <= o[i - 1].portion)
			return LSN_EINPUT; /* sorted by (serial, portion), as encoded */
		serial += d;
		o[i].serial = serial;
		o[i].portion = (uint32_t)portion;
		o[i].entry = (uint32_t)entry;
		o[i].date = (uint32_t)date;
	}
	if (p != end)
		return LSN_EINPUT;
	*nout += n;
	return 0;
}

int
ingest_entry_encode(int kind, const uint8_t *label, const char *ntk, size_t ntk_len,
    uint8_t **out, size_t *len, lsn_err *err)
{
	uint8_t *b;

	*out = NULL;
	if (ntk_len > 0xffff)
		return lsn_fail(err, LSN_EINPUT, "need-to-know expression too long");
	if ((b = malloc(2 + ACL_LABEL_SIZE + 2 + ntk_len)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	b[0] = INGEST_ENTRY_VERSION;
	b[1] = (uint8_t)kind;
	memcpy(b + 2, label, ACL_LABEL_SIZE);
	b[2 + ACL_LABEL_SIZE] = (uint8_t)(ntk_len >> 8);
	b[3 + ACL_LABEL_SIZE] = (uint8_t)ntk_len;
	if (ntk_len)
		memcpy(b + 4 + ACL_LABEL_SIZE, ntk, ntk_len);
	*out = b;
	*len = 4 + ACL_LABEL_SIZE + ntk_len;
	return 0;
}

int
ingest_entry_view(const uint8_t *buf, size_t len, int *kind, const uint8_t **label,
    const char **ntk, size_t *ntk_len)
{
	size_t nl;

	if (len < 4 + ACL_LABEL_SIZE || buf[0] != INGEST_ENTRY_VERSION)
		return LSN_EINPUT;
	nl = (size_t)buf[2 + ACL_LABEL_SIZE] << 8 | buf[3 + ACL_LABEL_SIZE];
	if (len != 4 + ACL_LABEL_SIZE + nl)
		return LSN_EINPUT;
	*kind = buf[1];
	*label = buf + 2;
	*ntk = (const char *)buf + 4 + ACL_LABEL_SIZE;
	*ntk_len = nl;
	return 0;
}
