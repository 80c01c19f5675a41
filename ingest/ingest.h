/*
 * ingest/ingest.h - XML reports in: parsed safely, validated, rolled up,
 * sealed and indexed (DESIGN.md section 6).
 *
 * Three things live here:
 *   - the safe parser that turns one XML document (native liaison report or
 *     generic ISM document) into an ingest_doc of marked portions;
 *   - the stored form of a report, shared with query/: the record's label
 *     bytes (ingest_rlabel, readable without decrypting) and its segments
 *     (segment 0 the skeleton, then one per distinct marking of its portions);
 *   - the bulk ingest run: files, directories and streams, worker threads,
 *     one LMDB writer, batches, postings, audit.
 *
 * Every function returns 0 or a negative lsn_status; messages travel in the
 * caller's lsn_err.
 */
#ifndef LSN_INGEST_H
#define LSN_INGEST_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "acl/acl.h"
#include "common/common.h"
#include "store/store.h"

/* ---- limits (defaults; ingest_opts may lower or raise them) ---- */
#define INGEST_MAX_DOC (16u << 20)    /* bytes in one document */
#define INGEST_MAX_DEPTH 64           /* element nesting */
#define INGEST_MAX_PORTIONS 4096      /* marked portions in one report */
#define INGEST_BATCH_DOCS 4000        /* documents per write transaction */
#define INGEST_MAX_BATCH_DOCS 1000000 /* the most ingest_opts.batch_docs may be */
#define INGEST_BATCH_BYTES (64u << 20) /* input bytes per write transaction */

#define INGEST_DATE_LEN 10 /* a report's date: YYYY-MM-DD */

/* What a portion is. */
enum ingest_kind {
	INGEST_TITLE = 1,
	INGEST_ORIGINATOR = 2,
	INGEST_COUNTRY = 3,
	INGEST_KEYWORDS = 4,
	INGEST_PARA = 5,
	INGEST_OTHER = 6, /* a portion of a generic ISM document */
};

/* Its name ("title", "p", ...), static. */
const char *ingest_kind_name(int kind);

/* ---- one parsed document ---- */

typedef struct ingest_portion {
	int kind;            /* enum ingest_kind */
	char *element;       /* element name (generic documents) */
	char *text;          /* the portion's text, NUL-terminated */
	size_t text_len;
	acl_marking *marking;
	char *ntk;           /* need-to-know expression (lsn:access) or NULL */
	unsigned line;       /* line in the source */
	int inherited;       /* 1: unmarked, took the banner's marking */
	int view_only;       /* in a reader's view (query_get): DISPLAY ONLY for
	                      * it, to be viewed, not exported */
	int element_static;  /* element is a string constant: not freed */
} ingest_portion;

typedef struct ingest_doc {
	char *id;
	char date[INGEST_DATE_LEN + 1]; /* YYYY-MM-DD, or "" (a generic
	                                 * document without ism:createDate) */
	acl_marking *banner; /* as stored (the computed one with --fix-banner) */
	int generic;         /* 1: a generic ISM document */
	int banner_fixed;    /* 1: --fix-banner replaced the banner */
	char *old_banner;    /* the banner as written, when fixed */
	ingest_portion *portions;
	size_t nportions;
	/* A generic document's blank marked elements (containers): in the
	 * banner's roll-up and in whether a principal may ingest it (it may
	 * read every marked element), not stored. */
	ingest_portion *blanks;
	size_t nblanks;
} ingest_doc;

/* Parser state shared by threads: the compiled schema, the marking data,
 * and the validated markings met so far (a repeat is copied, not parsed). */
typedef struct ingest_parser ingest_parser;

/*
 * Load the report schema (report.xsd from $LIAISON_SCHEMA_DIR, else
 * $LIAISON_DATA_DIR, else the installed data directory: the first that is
 * set, and no other) for parsing with data.
 * Returns 0, LSN_ENOTFOUND (no schema), LSN_EINTERNAL.
 */
int ingest_parser_new(ingest_parser **out, const acl_data *data,
    lsn_err *err);
void ingest_parser_free(ingest_parser *p);

/*
 * A stream of documents cut at its XML declarations ("<?xml" and white
 * space, with the byte order mark right before one): read with io->read
 * (as read(2), EINTR retried) io->chunk bytes at a time into a buffer of
 * io->cap + io->chunk, each document handed to io->emit in order: its
 * bytes doc[0..len), and, for one over io->cap (oversize: doc is only its
 * tail then), all its bytes and whether its end was seen (whole: 0 after a
 * read error).  A piece of white space and byte order marks alone is no
 * document.  Returns 0, what emit returned (it stops there), LSN_EIO
 * ("reading WHAT: ...") or LSN_EINTERNAL.  The buffer is wiped.
 */
typedef struct ingest_stream_io {
	ssize_t (*read)(void *ctx, char *buf, size_t n);
	int (*emit)(void *ctx, const char *doc, size_t len, int oversize, size_t bytes,
	    int whole);
	void *ctx;
	size_t cap, chunk;
} ingest_stream_io;
int ingest_stream_split(const ingest_stream_io *io, const char *what, lsn_err *err);

/* Options of one parse. */
typedef struct ingest_parse_opts {
	int fix_banner;     /* store the computed banner instead of rejecting */
	size_t max_doc;     /* 0: INGEST_MAX_DOC */
	unsigned max_depth; /* 0: INGEST_MAX_DEPTH */
	/* The id of a generic document with no id attribute (the file's name
	 * without .xml); NULL: such a document is rejected. */
	const char *fallback_id;
	/* Not NULL: where a rejected document's id goes, once it was read and
	 * is a valid id (malloc'd; else NULL), for its messages and audit. */
	char **rejected_id;
} ingest_parse_opts;

/*
 * Parse one document buf[0..len) safely: no network, no DTD, no external
 * entity, no entity expansion, size and depth caps, UTF-8 only.  A native
 * report (namespace urn:liaison:report:1) is validated against the schema;
 * any other document needs an element with ism:resourceElement="true".
 * Every portion's marking is validated, an unmarked portion is rejected,
 * and the banner must equal the roll-up of the portions (or, with
 * fix_banner, is replaced by it).
 *   *out: owned by the caller (ingest_doc_free).
 *   *line: the line of the first problem (0 when none applies).
 * Returns 0, LSN_EINPUT with a one-line reason.  Thread-safe.
 */
int ingest_parse(ingest_parser *p, const char *buf, size_t len,
    const ingest_parse_opts *opts, ingest_doc **out, unsigned *line,
    lsn_err *err);
void ingest_doc_free(ingest_doc *d);
/* Free a portion's contents (its text wiped), leaving its kind and line:
 * a portion not there, as in a view of what may be read. */
void ingest_portion_clear(ingest_portion *p);

/*
 * libxml2's memory (ingest/xmlmem.c), for ingest/ and its tests.  Once per
 * process, libxml2 is set to wipe every block it frees.  Between begin and
 * end, the calling thread's libxml2 allocations come from its arena instead,
 * and end wipes them all at once; libxml2 objects made in between must be
 * dead by end.  stats: the arena's chunks and bytes in use, and whether
 * every byte of it is zero (checked only outside begin/end).
 */
void ingest__xml_mem_setup(void);
/* For a command that parses report XML itself (marking check): libxml2
 * set to wipe every block it frees (ingest__xml_mem_setup, once per
 * process, before libxml2 is first used), and a libxml2 message with the
 * report's text it may quote (an attribute value, an entity's name)
 * withheld, as ingest's messages are, into out (cap bytes). */
void ingest_xml_mem_wiped(void);
void ingest_xml_message(const char *msg, char *out, size_t cap);
void ingest__xml_arena_begin(void);
void ingest__xml_arena_end(void);
void ingest__xml_arena_stats(size_t *chunks, size_t *used, int *wiped);

/* ---- the stored form ---- */

/* The store's marking entries during an ingest (ingest/entries.c). */
typedef struct ingest_entries ingest_entries;

/*
 * Encode d as a record: *segs and its label.  Segment 0 is the skeleton
 * (id, date, banner, generic flag, portion count); each further segment is
 * a group: the portions of one distinct (ACL label, need-to-know) pair, in
 * document order, each with its index, kind, element, marking attributes,
 * need-to-know and text.  A principal may read all of a group or none of
 * it, so a reader decrypts exactly the groups it may read, and a report
 * has a few segments (one zstd and AES-GCM call each) however many
 * portions it has.  The label's fingerprint (32 bytes) identifies the
 * content (store_blind over the segments) for duplicate detection; its
 * portions name their marking entries, numbered in entries (new ones are
 * stored by the writer: ingest_entries_queue), and their segments.
 * All buffers are owned by the caller: ingest_record_free().  Thread-safe.
 */
typedef struct ingest_record {
	store_seg *segs;
	size_t nseg;
	uint8_t *label;
	size_t label_len;
} ingest_record;
int ingest_record_build(ingest_record *out, store *st, ingest_entries *entries,
    const ingest_doc *d, lsn_err *err);
void ingest_record_free(ingest_record *r);

/*
 * A report label (the record's label bytes), viewed in place without
 * allocating.  Layout (version 2):
 *   u8 version, u32 date (YYYYMMDD or 0), fingerprint[32],
 *   u16 nportions, then per portion: u32 its marking entry (1 and up),
 *   u16 its segment (1 and up, each new one the next number).
 * Version 1 held each distinct marking's 288-byte ACL label in every
 * label (1.4 KB a report, twice: in the record and in the labels index),
 * and each portion had a segment of its own.
 */
typedef struct ingest_rlabel {
	uint32_t date;
	const uint8_t *fingerprint;
	size_t nportions;
	size_t nsegments;        /* the record's: 1 + the groups */
	const uint8_t *portions; /* INGEST_RLABEL_PORTION bytes each */
} ingest_rlabel;

#define INGEST_RLABEL_VERSION 2
#define INGEST_RLABEL_FIXED (1 + 4 + STORE_BLIND_LEN + 2)
#define INGEST_RLABEL_PORTION 6

/* Check and view buf as a report label.  Returns 0, LSN_EINPUT. */
int ingest_rlabel_view(ingest_rlabel *v, const uint8_t *buf, size_t len);

/* Only the label's date, without checking its portions (a date filter
 * over every label).  Returns 0, LSN_EINPUT. */
int ingest_rlabel_date(const uint8_t *buf, size_t len, uint32_t *date);

/* Portion i's marking entry, and the segment that holds it. */
uint32_t ingest_rlabel_entry(const ingest_rlabel *v, size_t i);
unsigned ingest_rlabel_segment(const ingest_rlabel *v, size_t i);

/*
 * Decode segment 0 (the skeleton) and the group segments back into an
 * ingest_doc.  Portions whose segment is NULL (not decrypted) are left
 * empty with marking NULL.  *out owned by the caller.  LSN_EINPUT when a
 * segment is malformed.
 */
int ingest_record_decode(ingest_doc **out, const acl_data *data,
    const store_record *r, lsn_err *err);
/*
 * The text of portion `portion` from group segment k of r alone (a query
 * hit's title: one segment opened, no marking parsed).  *text owned by the
 * caller.  LSN_EINPUT when the segment is missing or malformed,
 * LSN_ENOTFOUND when it does not hold that portion.
 */
int ingest_record_portion_text(const store_record *r, unsigned k, uint32_t portion,
    char **text, lsn_err *err);

/* ---- posting blocks (the content of store posting blocks) ---- */

/*
 * One posting: portion `portion` of the report with serial `serial`, with
 * what a query needs to decide it without reading the report's label: the
 * portion's marking entry (below) and the report's date.
 */
typedef struct ingest_posting {
	uint64_t serial;
	uint32_t portion;
	uint32_t entry;  /* the portion's marking entry, 1 and up */
	uint32_t date;   /* the report's date as YYYYMMDD, 0 if none */
	uint32_t audience; /* the entry its run is kept under (ingest_entries_queue) */
} ingest_posting;

/*
 * The order of a word's postings in a block, which is the order of a
 * query's answer: newest report first (by date, a report without one last),
 * among reports of one date the later ingested first, and a report's
 * portions in document order.  A query asking for the newest N hits reads
 * each block only until it is past the N-th hit found so far.
 * ingest_posting_before(x, y): x comes before y in that order.
 */
static inline int
ingest_posting_before(const ingest_posting *x, const ingest_posting *y)
{
	if (x->date != y->date)
		return x->date > y->date;
	if (x->serial != y->serial)
		return x->serial > y->serial;
	return x->portion < y->portion;
}

/*
 * A *run*: postings p[0..n), in that order, as segments, cut between
 * reports: the first of at least INGEST_FRAME_POSTINGS / 8 postings, each
 * other of at least INGEST_FRAME_POSTINGS but the last.  (A query for the
 * newest hits opens the first frame of every run it may read: a short
 * one, unless it needs more.)  A segment:
 *   varint n (at least 1), varint base (the segment's lowest serial),
 *   varint the date of its last posting, varint its serial minus base,
 *   varint the length of the postings that follow; then per posting
 *   varint r: 0 for another portion of the report before it, or
 *   1 + (serial - base) for the first posting of a report, followed for
 *   that first posting by varint date (the segment's first report's
 *   YYYYMMDD, then the previous report's date minus this one's); then
 *   varint(portion), varint(entry).
 *
 * A *block* (one per word and batch, the content of a store posting
 * block) keeps a word's postings in one run per *audience*: the postings
 * of portions whose marking entries share an ACL label and need-to-know
 * expression (ingest_entries_queue), which every principal may read all
 * of or none of.  A query reads only the runs its principal may read, so
 * neither what it finds nor how long it takes depends on the others
 * (DESIGN.md section 4).  Frame 0 of the block is its directory:
 *   varint the number of runs (0: a block without postings);
 *   per run, by audience ascending: varint audience (an entry number; after the first, its step
 *   from the one before),
 *   varint its frames (0: inline, in frame 0 after the directory), varint
 *   its length in bytes, and for a run that is not inline varint date and
 *   varint serial of its first posting (a reader passes by a run wholly
 *   behind its worst kept hit without opening it);
 *   the inline runs, in directory order (a run of at most
 *   INGEST_INLINE_RUN bytes: a partner decrypts it with the directory,
 *   but decodes only its own).
 * Then each other run's segments, one frame each, in directory order.
 * ingest_block_encode puts p[0..n) (in the order above, audiences set),
 * with x's buffers (from ingest_block_scratch_new, kept for the next call
 * of the same thread; NULL: its own for this call), in
 * *buf (room for *cap bytes; a smaller one is wiped, freed and replaced)
 * and the end of each frame in *ends (room for *ends_cap, grown with
 * realloc; *nends of them), which the caller keeps and wipes: the writer
 * encodes a batch's blocks one after another in one buffer.  Returns 0,
 * LSN_EINTERNAL (p out of order or without audiences, out of memory).
 */
#define INGEST_FRAME_POSTINGS 512
#define INGEST_INLINE_RUN 64
/* The frame size the encoder uses: INGEST_FRAME_POSTINGS, which tests
 * lower to cut small blocks into many frames. */
extern size_t ingest__frame_postings;
typedef struct ingest_block_scratch ingest_block_scratch;
ingest_block_scratch *ingest_block_scratch_new(void);
void ingest_block_scratch_free(ingest_block_scratch *x);
int ingest_block_encode(const ingest_posting *p, size_t n, ingest_block_scratch *x,
    uint8_t **buf, size_t *cap, size_t *len, uint32_t **ends, size_t *ends_cap,
    size_t *nends, lsn_err *err);

/*
 * Merge blocks[0..n) (at most 64, each whole, their reports distinct) into
 * one block, each audience's runs into one run, cut into segments as
 * ingest_block_encode() cuts them, into *buf and *ends as it does (grown
 * as needed): a merge of recent batches (store.h) streams the runs, so its
 * memory is its output's, not its postings'.  Returns 0, LSN_EINPUT (a
 * malformed block, or two with a report in common), LSN_EINTERNAL.
 */
int ingest_block_merge(const uint8_t *const *blocks, const size_t *lens, size_t n,
    ingest_block_scratch *x, uint8_t **buf, size_t *cap, size_t *len, uint32_t **ends,
    size_t *ends_cap, size_t *nends, lsn_err *err);

/* A run of a block, from its directory. */
typedef struct ingest_run_ref {
	uint32_t audience;
	uint32_t frames;  /* 0: inline in frame 0 */
	uint32_t frame;   /* the index of its first frame (not inline) */
	uint32_t date;    /* its first posting (not inline) */
	uint64_t serial;
	size_t at, len;   /* its bytes in the whole block's plaintext */
	/* ingest_block_read's: read; frames opened; where its next frame is
	 * in the sealed block; its frontier (what is before it is known) */
	int want;
	uint32_t opened;
	size_t next_at;
	uint32_t fd;
	uint64_t fs;
} ingest_run_ref;

/*
 * Parse the directory of block[0..len): frame 0 alone (whole 0, as a
 * reader opens it) or the whole block's plaintext (whole 1): *runs (grown
 * with realloc to *cap), *n of them, and *frame0 the length of frame 0.
 * 0, LSN_EINPUT, LSN_EINTERNAL.
 */
int ingest_block_dir(const uint8_t *block, size_t len, int whole, ingest_run_ref **runs,
    size_t *cap, size_t *n, size_t *frame0);

/*
 * Every posting of a whole block (every frame opened), appended to *p in
 * the order above, each with its run's audience (as
 * ingest_postings_decode).  0, LSN_EINPUT, LSN_EINTERNAL.
 */
int ingest_block_decode(const uint8_t *block, size_t len, ingest_posting **p, size_t *n,
    size_t *cap);

/*
 * The postings of runs buf[end[i - 1] .. end[i]) (from 0, i < k, as
 * ingest_block_read leaves them) in *out (room for *cap, grown with
 * realloc), *nout of them, newest report first: a report's postings
 * together, but those of one report in several runs one run after the
 * other (not in portion order).  0, LSN_EINPUT, LSN_EINTERNAL.
 */
int ingest_runs_decode(const uint8_t *buf, const uint32_t *end, size_t k,
    ingest_posting **out, size_t *nout, size_t *cap);

/*
 * p[0..ends[k - 1]) holds k ranges one after the other, range i ending at
 * ends[i], each in the order above: put it all in that order (pairs of
 * ranges merged, log2 k passes; ends is overwritten), through *tmp (room
 * for *tcap postings, grown as needed; the caller wipes and frees it).
 * 0, or LSN_EINTERNAL.
 */
int ingest_postings_interleave(ingest_posting *p, size_t *ends, size_t k,
    ingest_posting **tmp, size_t *tcap);

/*
 * What a query reads of a block: the runs want() says yes to (NULL: all;
 * a negative return is an error, returned), frame by frame, the next
 * always of the run known least far (so that what is known of the block
 * in answer order reaches as far as it can), until every run is known up
 * to (worst_date, worst_serial) when worst is set, or budget frames a run
 * wanted are open (budget times the runs it wants that have frames; 0:
 * no limit; then a cut), or all are.  The runs not wanted are
 * never opened (but for inline ones, decrypted with the directory and
 * wiped): their frames are skipped by offset.
 */
typedef struct ingest_block_plan {
	int (*want)(void *ctx, uint32_t audience);
	void *ctx;
	int worst;
	uint32_t worst_date;
	uint64_t worst_serial;
	unsigned budget;
} ingest_block_plan;

/* The runs ingest_block_read read: run i is buf[end[i - 1] .. end[i])
 * (from 0), each a run of segments for the cursor below. */
typedef struct ingest_block_view {
	uint32_t *end;
	size_t n, cap;
	uint64_t passed_over; /* runs not wanted, added up over reads */
	int cut;              /* the budget stopped it: what is not before */
	uint32_t cut_date;    /* (cut_date, cut_serial) in answer order is not */
	uint64_t cut_serial;  /* known */
	ingest_run_ref *runs; /* the last directory */
	size_t nruns, runs_cap;
	struct frame_got *f;  /* the frames opened, in that order */
	size_t nf, fcap;
	uint8_t *tmp;         /* where the runs are put together */
	size_t tcap;
} ingest_block_view;

/*
 * Read word term's block of batch into *buf (as store_postings_read_batch)
 * by plan: *len 0 when the batch has no block for it.  Returns 0,
 * LSN_EINPUT (malformed, or fails authentication), LSN_EIO, LSN_EINTERNAL,
 * or want()'s negative value.
 */
int ingest_block_read(store_snap *sn, const uint8_t term[STORE_BLIND_LEN], uint64_t batch,
    const ingest_block_plan *plan, uint8_t **buf, size_t *cap, size_t *len,
    ingest_block_view *v, lsn_err *err);
void ingest_block_view_free(ingest_block_view *v);

/*
 * Decode a run (or the first segments of one, as a reader opened them),
 * appending its postings to *p (*n of them in use, room for *cap; grown
 * with realloc when needed, *p owned by the caller).  A run's postings
 * come out in the order above: one that is not is malformed.  Their
 * audience is left 0.  Returns 0,
 * LSN_EINPUT (malformed block: *n is unchanged), LSN_EINTERNAL (out of
 * memory).
 */
int ingest_postings_decode(const uint8_t *block, size_t len, ingest_posting **p,
    size_t *n, size_t *cap);

/*
 * The postings of the segments in block[0..len): how many (*n) and the
 * lowest serial among them (*lo, UINT64_MAX for none), from the segments'
 * heads.  0, or LSN_EINPUT.
 */
int ingest_postings_info(const uint8_t *block, size_t len, uint64_t *n, uint64_t *lo);

/*
 * The last posting of the segment in frame[0..len) (one frame as
 * store_postings_read_batch hands it to its more function): 0 and *date,
 * *serial, or LSN_EINPUT.
 */
int ingest_postings_last(const uint8_t *frame, size_t len, uint32_t *date, uint64_t *serial);

/*
 * The same decoding one posting at a time, for a reader that keeps less
 * than the postings (query/ turns them straight into bitmaps, and stops
 * early):
 *   ingest_postings_begin: 0, or LSN_EINPUT;
 *   ingest_postings_next: 1 and *out, 0 at the end of a well-formed block,
 *   LSN_EINPUT for a malformed one (the postings before it were good).
 * ingest_postings_decode is built on these.
 */
typedef struct ingest_postings_cursor {
	const uint8_t *p, *end, *seg_end;
	uint64_t left, total, base, serial, last_serial;
	uint32_t portion, date, last_date; /* last_*: the segment head's */
} ingest_postings_cursor;

static inline __attribute__((always_inline)) int
ingest__varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
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

/* A segment's head at *p: n, base, last date, last serial, and its end. */
static inline int
ingest__segment(const uint8_t **p, const uint8_t *end, uint64_t *n, uint64_t *base,
    uint32_t *last_date, uint64_t *last_serial, const uint8_t **seg_end)
{
	uint64_t d, off, len;

	if (ingest__varint(p, end, n) != 0 || *n > (uint64_t)(end - *p))
		return LSN_EINPUT;
	if (*n == 0) { /* an empty block: that byte alone */
		*seg_end = *p;
		*base = 0;
		return *p == end ? 0 : LSN_EINPUT;
	}
	if (ingest__varint(p, end, base) != 0 || ingest__varint(p, end, &d) != 0 ||
	    ingest__varint(p, end, &off) != 0 || ingest__varint(p, end, &len) != 0 ||
	    d > UINT32_MAX || off > UINT64_MAX - *base || len > (uint64_t)(end - *p))
		return LSN_EINPUT;
	*last_date = (uint32_t)d;
	*last_serial = *base + off;
	*seg_end = *p + len;
	return 0;
}

static inline int
ingest_postings_begin(ingest_postings_cursor *c, const uint8_t *block, size_t len)
{
	c->p = block;
	c->end = block + len;
	c->serial = c->base = 0;
	c->portion = 0;
	c->date = 0;
	if (ingest__segment(&c->p, c->end, &c->left, &c->base, &c->last_date,
		&c->last_serial, &c->seg_end) != 0)
		return LSN_EINPUT;
	c->total = c->left;
	return 0;
}

static inline __attribute__((always_inline)) int
ingest_postings_next(ingest_postings_cursor *c, ingest_posting *out)
{
	uint64_t r, portion, entry, d;
	int first = 0;

	if (c->left == 0) {
		/* The segment's end: its last posting is the one its head names. */
		if (c->p != c->seg_end || (c->total > 0 && (c->date != c->last_date ||
			c->serial != c->last_serial)))
			return LSN_EINPUT;
		if (c->p == c->end)
			return 0;
		/* The next segment: its first report comes after the last one. */
		if (ingest__segment(&c->p, c->end, &c->left, &c->base, &c->last_date,
			&c->last_serial, &c->seg_end) != 0 || c->left == 0)
			return LSN_EINPUT;
		c->total = c->left;
		first = c->serial != 0 ? 2 : 1;
	} else if (c->left == c->total) {
		first = 1;
	}
	if (ingest__varint(&c->p, c->seg_end, &r) != 0)
		return LSN_EINPUT;
	if (r != 0) { /* a report's first posting: its serial and date */
		uint64_t s = c->base + (r - 1);
		if (r - 1 > UINT64_MAX - c->base || ingest__varint(&c->p, c->seg_end, &d) != 0)
			return LSN_EINPUT;
		if (first) {
			if (d > UINT32_MAX || (first == 2 && (d > c->date ||
				(d == c->date && s >= c->serial))))
				return LSN_EINPUT; /* newest first, across segments too */
			c->date = (uint32_t)d;
		} else if (d > c->date || (d == 0 && s >= c->serial)) {
			return LSN_EINPUT; /* newest first, as encoded */
		} else {
			c->date -= (uint32_t)d;
		}
		c->serial = s;
	} else if (first) {
		return LSN_EINPUT; /* no report to continue */
	}
	if (ingest__varint(&c->p, c->seg_end, &portion) != 0 ||
	    ingest__varint(&c->p, c->seg_end, &entry) != 0 || portion > UINT32_MAX ||
	    entry > UINT32_MAX || (r == 0 && portion <= c->portion))
		return LSN_EINPUT;
	c->left--;
	c->portion = (uint32_t)portion;
	out->serial = c->serial;
	out->portion = (uint32_t)portion;
	out->entry = (uint32_t)entry;
	out->date = c->date;
	return 1;
}

/*
 * The index head (store_batch_put_index_head): for each batch number b (1
 * and up), at offset INGEST_HEAD_ENTRY * (b - 1), the batch's newest report
 * in block order: u32 date, u64 serial, big-endian; zeros for a number
 * that stored no report.  A query that holds offset + limit matches passes
 * by a batch whose newest report comes after the worst of them without
 * reading its blocks: with reports ingested about as they are written,
 * that is every batch but the newest few.
 */
#define INGEST_HEAD_ENTRY 12

/*
 * Each ingest batch writes its own posting blocks, one per word, with the
 * recent batches' (store.h, "Merges"); once ingest_merge_after(batch
 * size) recent batches hold blocks, a merge, in a thread of its own
 * beside the next batches, merges them into one, so a
 * query reads one block a word for them, not one a batch: INGEST_MERGE_BATCHES,
 * or fewer (not under 2) when that many batches of the run's size would hold
 * more than INGEST_MERGE_REPORTS reports, so that a merge's memory (a slice
 * of its batches' blocks) does not grow with the batch size.  A store of
 * 1,000,000 reports then has about 31 merged batches and at most 16 recent
 * ones to read (8 at 4,000 reports a batch), not 250-500.  A batch's
 * commit waits for a merge only when the next is due before it is done.
 */
#define INGEST_MERGE_BATCHES 16
#define INGEST_MERGE_REPORTS 32000
/* INGEST_MERGE_REPORTS, which tests lower; and the merges ingest ran
 * in a thread of their own beside the batches, which tests count. */
extern size_t ingest__merge_reports, ingest__merges_beside;
/* A test's failure: 1 + the merge slice whose commit fails (0: none). */
extern unsigned ingest__merge_fail_slice;
/* Once the input has ended, whether the writer commits its batch of
 * `pending` documents before the `left` after it, of which `unprepared`
 * are still the workers' (run.c, where the rule is explained). */
int ingest__tail_commit(size_t pending, size_t left, size_t unprepared);
/* The words the writer keeps from batch to batch (their blind forms, for
 * the next batch's postings), past which it empties its table:
 * INGEST_WRITER_WORDS_KEEP, which tests lower. */
#define INGEST_WRITER_WORDS_KEEP (1u << 18)
extern size_t ingest__writer_words_keep;
size_t ingest_merge_after(size_t batch_docs);

/* Read the head: *h malloc'd (NULL and *len 0 when the store has none).
 * Returns 0, LSN_EINPUT (malformed or fails authentication), LSN_EIO. */
int ingest_head_read(store_snap *sn, uint8_t **h, size_t *len, lsn_err *err);

/* Batch b's newest report: 1 and *date, *serial; 0 when not known. */
static inline int
ingest_head_get(const uint8_t *h, size_t len, uint64_t b, uint32_t *date, uint64_t *serial)
{
	if (b == 0 || b - 1 >= len / INGEST_HEAD_ENTRY)
		return 0;
	h += INGEST_HEAD_ENTRY * (b - 1);
	*date = lsn_get_be32(h);
	*serial = lsn_get_be64(h + 4);
	return *serial != 0;
}

/*
 * A marking entry: a portion kind with its marking, as an ACL label, a
 * need-to-know expression and the marking's attributes, numbered
 * store-wide (store_batch_put_index_entry) so that a posting names its
 * portion's marking in a few bits, and a hit's banner is the roll-up of
 * its readable portions' entries, with no report opened.  Bytes: u8
 * version (2), u8 kind, ACL_LABEL_SIZE label bytes, u16 ntk length, ntk,
 * u32 marking length, the marking as a record stores it ("name=value\n"
 * per non-empty ISM attribute).
 */
#define INGEST_ENTRY_VERSION 2
#define INGEST_ENTRY_MAX_MARKING 65536
typedef struct ingest_entry {
	int kind;
	const uint8_t *label;   /* ACL_LABEL_SIZE bytes */
	const char *ntk;        /* ntk_len bytes, not NUL-terminated */
	size_t ntk_len;
	const char *marking;    /* marking_len bytes, not NUL-terminated */
	size_t marking_len;
} ingest_entry;
/* An entry's bytes: into buf when they fit in its cap bytes (*out = buf),
 * else into a new block (*out, the caller's to free). */
int ingest_entry_encode(int kind, const uint8_t *label, const char *ntk,
    size_t ntk_len, const char *mtext, size_t mlen, uint8_t *buf, size_t cap,
    uint8_t **out, size_t *len, lsn_err *err);
/* View an entry's bytes (e points into buf).  Returns 0, LSN_EINPUT. */
int ingest_entry_view(const uint8_t *buf, size_t len, ingest_entry *e);
/* Parse a marking as records and entries store it.  0, LSN_EINPUT,
 * LSN_EINTERNAL (err set). */
int ingest_marking_parse(acl_marking **out, const acl_data *data, const char *text,
    size_t len, lsn_err *err);

/*
 * The layout of posting blocks, marking entries and report labels, recorded
 * in meta "data/index-format" by every ingest.  A store whose postings were written
 * in another layout is refused by ingest and query alike (0 when the store
 * has no postings yet, or its layout is this one; else LSN_EINPUT naming
 * both).
 */
#define INGEST_INDEX_FORMAT "11"

/*
 * Every report is also posted under this pseudo-word, in its batch's block
 * like any word: the first portion of each of its marking entries, so the
 * word is in a portion a principal may read exactly when some portion of
 * the report is (layout 5).  A query that could match without any of its
 * words (NOT, or date:, class:, rel: alone) requires it, and so reads the
 * index one batch at a time, newest first, like any other: its memory is
 * one batch's postings, not every report's.  The tokenizer never cuts it
 * from text (it has spaces).
 */
#define INGEST_EVERY_REPORT " every report "
int ingest_index_format_check(store_snap *sn, lsn_err *err);

/*
 * A report with a date is also posted under its month's pseudo-word,
 * " month YYYY-MM ", with exactly the postings it has under
 * INGEST_EVERY_REPORT (layout 7).  A query whose every match needs a date
 * range of a few months (date: alone, or with NOT, class:, rel:) requires
 * one of those months' words instead of every report's: at 1M reports
 * over six years, a month's word has 1/72 of the postings.  out has room
 * for INGEST_MONTH_WORD_MAX bytes; returns the length, or 0 for no date
 * (0, or a year past 9999).
 */
#define INGEST_MONTH_WORD_MAX 16
size_t ingest_month_word(uint32_t yyyymmdd, char *out);

/*
 * A date as reports and queries have it, s[0..n) "YYYY-MM-DD" (year 1 and
 * up, month 1-12, day 1-31), as YYYYMMDD; anything else is 0, no date.  A
 * query's bound may be any day 01-31 (date:..2024-02-31 ends with
 * February); a report's date is a day that exists (ingest_date_read).
 */
uint32_t ingest_date_parse(const char *s, size_t n);

/*
 * A report's date as written, s: an xs:date, "YYYY-MM-DD" with white space
 * around it allowed and an optional time zone (Z, +hh:mm or -hh:mm, which
 * does not change the day), into out as "YYYY-MM-DD".  The day must exist
 * (not 2024-02-30) and the year be 0001-9999.  Returns 0, or -1 when s is
 * not such a date: ingest then rejects the document (a native report's
 * <date> and a generic document's ism:createDate alike), rather than store
 * a report that no date: query, order or month count could place.
 */
int ingest_date_read(const char *s, char out[INGEST_DATE_LEN + 1]);

/*
 * The blind form of an index word, as the postings tree keys it:
 * store_blind()'s HMAC, except for a month word, whose blind form is the
 * first 28 bytes of HMAC(Ki, " month ") and the first 4 of its own HMAC.
 * A batch's month blocks thus sit side by side in the tree, and a query
 * over a range of months reads a few adjacent pages of each batch, not a
 * page per month (on a cold map, a page fault each).  Two months whose 4
 * bytes collide share a block; the date: term still decides the day, so
 * that costs time, never an answer.
 */
void ingest_blind(store *st, const char *word, size_t len, uint8_t *out);

/*
 * The store's marking entries during one ingest run.  Loaded once (the
 * caller holds the store's writer lock, so numbers cannot collide); workers
 * number the entries of the reports they seal (ingest_record_build), and
 * the writer stores each new one in the batch that first stores a report
 * naming it.  Numbers a run gives but never stores (its report was a
 * duplicate, rejected, or the run failed) are simply never used: the
 * numbers in a store may have gaps.  Thread-safe.
 */
int ingest_entries_load(ingest_entries **out, store *st, lsn_err *err);
void ingest_entries_free(ingest_entries *e);
/* The number of entry (kind, label, ntk, marking): its own, or the next
 * free one. */
int ingest_entries_number(ingest_entries *e, int kind, const uint8_t *label,
    const char *ntk, size_t ntk_len, const char *mtext, size_t mlen, uint32_t *id,
    lsn_err *err);
/* Entry id is stored once b commits: it is put into b unless the store or
 * an earlier batch of this run already has it.  *audience: the entry its
 * postings' run is kept under in posting blocks (the first entry with its
 * ACL label and need-to-know expression), stored with it. */
int ingest_entries_queue(ingest_entries *e, store_batch *b, uint32_t id,
    uint32_t *audience, lsn_err *err);

/*
 * The ids a store holds, for the writer's duplicate check (ingest/idfilter.c):
 * a Bloom filter, so "not held" is certain and "may hold" is looked up.
 * ingest_idfilter_new: room for ids ids at INGEST_IDFILTER_BITS_PER_ID bits
 * each, between the two bounds; LSN_EINTERNAL when out of memory.
 * ingest_idfilter_build: one filled from the snapshot's id index (a
 * sequential scan), with room for ingest_idfilter_room(ids it holds); the
 * caller holds the writer lock, so only its own commits add ids after it
 * (it adds them), and frees the filter it had first (a build reads the
 * store, not the old filter: the two are never held at once).
 * ingest_idfilter_full: past its room and able to grow (build it again).
 * ingest_idfilter_bytes: the size of its bits.
 * ingest_idfilter_worth_building: whether a writer that has looked up
 * `lookups` ids one by one, in lookup_s seconds, since it last built a
 * filter (or began) should build one now over `stored` ids, scanned at
 * scan_s_per_id seconds each (INGEST_IDFILTER_SCAN_S until measured).
 */
#define INGEST_IDFILTER_PROBES 4
#define INGEST_IDFILTER_BITS_PER_ID 16
#define INGEST_IDFILTER_MIN_BITS ((uint64_t)1 << 20) /* 128 KiB */
#define INGEST_IDFILTER_MAX_BITS ((uint64_t)1 << 26) /* 8 MiB */
#define INGEST_IDFILTER_AFTER 256      /* ids looked up before any build */
#define INGEST_IDFILTER_SCAN_S 0.5e-6  /* a build's seconds per stored id */
typedef struct ingest_idfilter ingest_idfilter;
int ingest_idfilter_new(ingest_idfilter **out, uint64_t ids);
uint64_t ingest_idfilter_room(uint64_t stored);
size_t ingest_idfilter_bytes(const ingest_idfilter *f);
int ingest_idfilter_build(ingest_idfilter **out, store_snap *sn, lsn_err *err);
void ingest_idfilter_add(ingest_idfilter *f, const char *id, size_t len);
int ingest_idfilter_may_hold(const ingest_idfilter *f, const char *id, size_t len);
int ingest_idfilter_full(const ingest_idfilter *f);
int ingest_idfilter_worth_building(uint64_t stored, uint64_t lookups, double lookup_s,
    double scan_s_per_id);
void ingest_idfilter_free(ingest_idfilter *f);

/* ---- the words of a document (ingest/terms.c) ---- */

/* One distinct (word, portion) pair of a document: the word by its number
 * in the generation of the run's words the document was cut against. */
typedef struct ingest_term {
	uint32_t word;
	uint32_t portion;
} ingest_term;

/*
 * The blinded words of a run, shared by its workers (thread-safe): each
 * word is blinded once however many workers meet it (by the first to meet
 * it, with its own HMAC handle under the index key; more than once only
 * when several meet it at the same moment, and one blind form is kept),
 * and numbered.  They are kept a generation (ingest_words) at a time, of
 * at most max_words words (0: 262,144); a full one is retired and a new
 * one started.  NULL: out of memory.  Free after every reference to a
 * generation is released; a generation's words are wiped when it goes.
 */
typedef struct ingest_blinds ingest_blinds;
typedef struct ingest_words ingest_words;
ingest_blinds *ingest_blinds_new(size_t max_words);
void ingest_blinds_free(ingest_blinds *b);

/* The blind form of word number `word` of g, while a reference to g is
 * held; no lock. */
const uint8_t *ingest_words_blind(const ingest_words *g, uint32_t word);
/* g's number: distinct for each generation of a run, from 1. */
uint64_t ingest_words_number(const ingest_words *g);
/* How many words g holds now (at most the run's max_words, unless g is a
 * document's own: ingest/terms.c).  Thread-safe. */
size_t ingest_words_count(ingest_words *g);
/* Release the reference ingest_terms_doc gave (NULL: nothing).  Thread-safe. */
void ingest_words_release(ingest_words *g);

/*
 * A worker's word dictionary: a word is looked up in blinds (or, when
 * blinds is NULL, in a table of its own) once, not once per occurrence.
 * At most max_words words (0: 262,144) are kept; then the dictionary is
 * wiped and starts again.  Not thread-safe: one per worker.  NULL: out of
 * memory.  Free wipes the words; blinds stays the caller's.
 */
typedef struct ingest_terms ingest_terms;
ingest_terms *ingest_terms_new(store *st, ingest_blinds *blinds, size_t max_words);
void ingest_terms_free(ingest_terms *t);

/*
 * The distinct (word, portion) pairs of d's portions, words as the query
 * tokenizer cuts them, numbered in *words, a reference the caller releases
 * (ingest_words_release) once it has read their blind forms.  *out belongs
 * to t and is valid until the next call.  Returns 0, LSN_EINTERNAL.
 */
int ingest_terms_doc(ingest_terms *t, const ingest_doc *d, const ingest_term **out,
    size_t *n, ingest_words **words, lsn_err *err);

/* ---- bulk ingest ---- */

/* What happened to one document. */
enum ingest_status { INGEST_STORED = 0, INGEST_DUPLICATE = 1, INGEST_REJECTED = 2 };

typedef struct ingest_result {
	const char *source;  /* file name, or "-" with the document's number */
	unsigned line;       /* where the problem is, 0 if none */
	const char *id;      /* NULL when not known */
	int status;          /* enum ingest_status */
	const char *reason;  /* for rejections; for fixed banners, the note */
	int banner_fixed;
} ingest_result;

typedef struct ingest_opts {
	const char *principal;   /* who ingests: recorded in the audit log */
	/*
	 * Who ingests, to decide with: a document with a portion this
	 * principal may not read (acl_decide, then its need-to-know
	 * expression) is rejected, naming the portion and the rule, before
	 * the store is consulted.  Handling a report above one's accesses is
	 * a spill, and a principal that may read all it ingests learns
	 * nothing from "duplicate" against "different content" that it could
	 * not read.  NULL (in-process callers that ingest for everyone, such
	 * as the bench): no check.
	 */
	const acl_principal *reader;
	ingest_parse_opts parse;
	unsigned threads;        /* worker threads; 0: number of CPUs */
	size_t batch_docs;       /* 0: INGEST_BATCH_DOCS */
	size_t batch_bytes;      /* 0: INGEST_BATCH_BYTES */
	/*
	 * Called in input order for every document once its fate is final:
	 * a stored document only after its transaction committed.
	 */
	void (*on_result)(void *ctx, const ingest_result *r);
	/* Called now and then with counts so far (for a progress line). */
	void (*on_progress)(void *ctx, uint64_t done, uint64_t bytes);
	void *ctx;
} ingest_opts;

typedef struct ingest_summary {
	uint64_t stored, duplicates, rejected, bytes;
} ingest_summary;

/*
 * Ingest the documents named by paths[0..n): files, directories (every
 * *.xml below, recursively, in name order) and "-" for standard input (one
 * document, or a stream of documents each starting with an XML
 * declaration "<?xml").
 * Documents that fail are reported and skipped; the rest land, in
 * transactions of batch_docs documents, each with its audit entries.  A
 * transaction is also committed when it brings a store without a zstd
 * dictionary to the training threshold (the dictionary is trained beside
 * the run from there), and once more when, after the input has ended,
 * few documents are left in the workers' hands (ingest/run.c).
 * Returns 0 when every input could be read (rejections are counted, not
 * errors); LSN_ENOTFOUND when a path does not exist (nothing is ingested);
 * LSN_EIO when the store cannot be written (what was reported stored
 * stays stored).
 */
int ingest_run(store *st, const acl_data *data, ingest_parser *parser,
    const char *const *paths, size_t n, const ingest_opts *opts,
    ingest_summary *sum, lsn_err *err);

#endif
