/*
 * ingest/stream.c - a stream of XML documents cut into documents
 * (ingest.h, ingest_stream_split): at each XML declaration.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ingest/ingest.h"

/* An XML declaration at p (len bytes there): "<?xml" and white space, not
 * a processing instruction such as <?xml-stylesheet ...?>. */
#define DECL_LEN 6
static int
is_decl(const char *p, size_t len)
{
	return len >= DECL_LEN && memcmp(p, "<?xml", 5) == 0 &&
	    (p[5] == ' ' || p[5] == '\t' || p[5] == '\n' || p[5] == '\r');
}

/* A UTF-8 byte order mark at p (len bytes there). */
#define BOM_LEN 3
static int
is_bom(const char *p, size_t len)
{
	return len >= BOM_LEN && memcmp(p, "\xef\xbb\xbf", BOM_LEN) == 0;
}

/* Where the next document starts: the next XML declaration in
 * buf[from..len) (it can begin nowhere else in a well-formed document, but
 * for a comment, a CDATA section or a processing instruction quoting one,
 * so a truncated document does not swallow the next one), with the byte
 * order mark right before it if there is one at lo or after.  Returns len
 * if none. */
static size_t
next_decl(const char *buf, size_t lo, size_t from, size_t len)
{
	for (size_t i = from; i + DECL_LEN <= len; i++) {
		const char *q = memchr(buf + i, '<', len - i);
		if (q == NULL)
			return len;
		i = (size_t)(q - buf);
		if (is_decl(q, len - i))
			return i >= lo + BOM_LEN && is_bom(q - BOM_LEN, BOM_LEN) ? i - BOM_LEN : i;
	}
	return len;
}

/* buf[0..len) holds nothing but white space and byte order marks. */
static int
blank_piece(const char *buf, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		if (is_bom(buf + k, len - k))
			k += BOM_LEN - 1;
		else if (buf[k] != ' ' && buf[k] != '\n' && buf[k] != '\r' && buf[k] != '\t')
			return 0;
	}
	return 1;
}

/* The last piece, after the input's end or a read error (rc): its end
 * was seen when the read did not fail. */
static int
emit_last(const ingest_stream_io *io, const char *buf, size_t len, int oversize,
    size_t dropped, int rc)
{
	int erc = io->emit(io->ctx, buf, len, oversize, len + (oversize ? dropped : 0), rc == 0);

	return rc != 0 ? rc : erc;
}

/*
 * One document, or documents each beginning with an XML declaration.  The
 * buffer is fixed (cap + a partial declaration + one read): no realloc
 * leaves report text behind.
 * It is filled io->chunk at a time, so that only as much of it as the
 * longest document needs is ever touched (reads of up to the whole 16 MiB
 * made all of it resident: a 100,000-report ingest peaked 8-14 MiB higher)
 * and what is read, searched and copied out is still in the cache.  Each
 * read writes over what the documents before left, and all of the buffer
 * that was ever read into is wiped at the end (wiping each chunk as it was
 * used up cost the reader a third of its time).  The search for the next
 * declaration resumes where the last one gave up, so a document read in
 * many chunks is searched once.
 */
int
ingest_stream_split(const ingest_stream_io *io, const char *what, lsn_err *err)
{
	/* What may follow a document in the buffer, not yet seen to be the
	 * next one's start: a byte order mark and a declaration but a byte. */
	const size_t tail = BOM_LEN + DECL_LEN - 1;
	size_t cap = io->cap, size = cap + tail + BOM_LEN + io->chunk, len = 0, start, scan = 0;
	size_t used = 0; /* the most of buf ever read into: what is wiped */
	size_t dropped = 0; /* of an over-size document, the bytes let go */
	char *buf = malloc(size);
	int oversize = 0, rc = 0;
	int blank = 1; /* the piece so far, dropped bytes too, is white space */
	ssize_t n;

	if (buf == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	for (;;) {
		n = io->read(io->ctx, buf + len, size - len < io->chunk ? size - len : io->chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = lsn_fail(err, LSN_EIO, "reading %s: %s", what, strerror(errno));
			break;
		}
		len += (size_t)n;
		used = len > used ? len : used;
		/* Emit every complete document: one followed by another
		 * declaration.  What comes before the first is a document only
		 * if it is more than white space and byte order marks (a file
		 * saved with one, a blank line before it). */
		start = 0;
		for (;;) {
			/* After an over-size document was dropped, a declaration at
			 * offset 0 is the next document's; else past this one's own
			 * (and its byte order mark). */
			size_t from = oversize && start == 0 ? 0 :
			    start + 1 + (is_bom(buf + start, len - start) ? BOM_LEN : 0);
			size_t next = next_decl(buf, from, scan > from ? scan : from, len);
			if (next == len)
				break;
			if (!(blank && blank_piece(buf + start, next - start)))
				rc = io->emit(io->ctx, buf + start, next - start, oversize,
				    next - start + (oversize ? dropped : 0), 1);
			oversize = 0;
			dropped = 0;
			blank = 1;
			start = next;
			scan = 0;
			if (rc != 0)
				goto out;
		}
		/* No declaration begins before the last DECL_LEN - 1 bytes. */
		scan = len > DECL_LEN - 1 ? len - (DECL_LEN - 1) : 0;
		if (start > 0) {
			/* What is left behind is read over next, and wiped
			 * at the end with the rest of what was read. */
			memmove(buf, buf + start, len - start);
			len -= start;
			scan = scan > start ? scan - start : 0;
		}
		if (n == 0)
			break;
		/* Over the cap, not counting what may be the next document's
		 * start (a document of exactly the cap was cut as over it). */
		if (len > cap + tail) {
			/* Over the cap: drop what we have, keep looking for the
			 * next document. */
			/* A split declaration, with its byte order mark; and
			 * never half of a byte order mark. */
			size_t keep = tail;
			for (size_t k = 1; k < BOM_LEN; k++)
				if (is_bom(buf + len - keep - k, BOM_LEN)) {
					keep += k;
					break;
				}
			/* White space before the first declaration, however long,
			 * is still no document. */
			blank = blank && blank_piece(buf, len - keep);
			oversize = 1;
			dropped += len - keep;
			memmove(buf, buf + len - keep, keep);
			lsn_wipe(buf + keep, len - keep);
			len = keep;
			scan = 0;
		}
	}
	/* The last (or only) document; white space alone is nothing. */
	if (!(blank && blank_piece(buf, len)))
		rc = emit_last(io, buf, len, oversize, dropped, rc);
out:
	/* Not the whole buffer: its pages past what was read were never
	 * touched, and wiping them faulted in the document cap (16 MiB). */
	lsn_wipe_free(buf, used);
	return rc;
}

