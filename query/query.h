/*
 * query/query.h - search and releasable views: the only read path to report
 * content (DESIGN.md sections 4 and 5).
 *
 * Every answer is computed for one principal: a report matches only when
 * the query matches inside portions the principal may read; only those
 * portions are decrypted; nothing returned (hits, counts, titles, banners,
 * ordering, errors) depends on a portion the principal may not read.  A
 * report the principal may not read at all answers exactly like a report
 * that does not exist.
 *
 * Functions return 0 or a negative lsn_status with a message in *err.
 */
#ifndef LSN_QUERY_H
#define LSN_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "acl/acl.h"
#include "common/common.h"
#include "ingest/ingest.h"
#include "store/store.h"

/* Limits: a query with more leaves, or longer, is refused. */
#define QUERY_MAX_TERMS 64
#define QUERY_MAX_LEN 4096
#define QUERY_MAX_LIMIT 100000
#define QUERY_MAX_OFFSET 1000000

/* ---- the query language ---- */

typedef struct query query;

/*
 * Parse a query:
 *   words (case-insensitive, the ingest tokenizer), "phrases",
 *   AND, OR, NOT (upper case), parentheses, implied AND between terms;
 *   fields title: originator: country: keyword: (words or "phrases"),
 *   id:ID, class:LEVEL with = < <= > >= (U, C, S, TS), rel:CCC,
 *   date:YYYY-MM-DD..YYYY-MM-DD (either end may be left out) or
 *   date:YYYY-MM-DD.
 * On error, *errpos (if not NULL) is the 0-based byte offset where the
 * query went wrong and the message says "at position N: ...".
 * Returns 0, LSN_EINPUT.
 */
int query_parse(query **out, const char *text, size_t *errpos, lsn_err *err);
void query_free(query *q);

/* ---- running a query ---- */

/* One hit, borrowed for the callback. */
typedef struct query_hit {
	const char *id;
	const char *title;   /* the title, or "[title withheld]" */
	const char *banner;  /* the releasable view's banner */
	const char *date;    /* YYYY-MM-DD or "" */
	int view_only;       /* some released portion is DISPLAY ONLY */
} query_hit;

typedef struct query_opts {
	size_t limit;   /* 0: 20 */
	size_t offset;
	/* 1: also count the reports withheld (query_result.withheld), which
	 * means reading the postings of portions the principal may not read:
	 * the query's time then depends on them.  0 (the answer): only the
	 * postings of readable portions are read (DESIGN.md section 4: nothing
	 * the principal receives, its timing included, depends on the
	 * others), and the count is known only when none were passed over.
	 * The CLI counts in a second run, after the answer is out. */
	int count_withheld;
} query_opts;

/*
 * What happened, for the audit log (never shown to the principal).  The
 * search stops where no further report could be among the hits asked for
 * (offset + limit of them), even were every portion readable; the figures
 * are of the answer, not of the whole store.
 */
typedef struct query_result {
	uint64_t matched;   /* hits found, up to offset + limit */
	uint64_t returned;  /* hits passed to the callback */
	uint64_t withheld;  /* reports withheld from this answer: they would
	                     * have matched on portions the principal may not
	                     * read, and rank before the (offset + limit)-th
	                     * hit (all of them when there are fewer hits);
	                     * only when withheld_known */
	int withheld_known; /* count_withheld was set, or no posting of a
	                     * portion the principal may not read was passed
	                     * over (then withheld is 0) */
	uint64_t passed_over; /* runs of such postings passed over unread */
	/* Cost figures (make bench): the index batches looked into, and the
	 * postings in the blocks read in them (each block counted once,
	 * however often it is scanned); both grow for a reader who may read
	 * fewer of the matches, whose answer reaches further back. */
	uint64_t batches;
	uint64_t postings;
} query_result;

typedef int (*query_hit_fn)(void *ctx, const query_hit *hit);

/*
 * Run q for principal p, newest first (by date, then by ingest order),
 * calling fn for hits offset..offset+limit-1.  fn returns 0 to go on.
 * Memory is bounded by offset + limit, by one ingest batch's postings of
 * the query's words, and by the withheld reports ranked before the last
 * hit (a query that can match without any word, such as date: alone, holds
 * its words' postings whole).
 * Returns 0, LSN_EINPUT (a stored record fails authentication), LSN_EIO,
 * LSN_EUSAGE (offset above QUERY_MAX_OFFSET).
 */
int query_run(store *st, const acl_data *data, const acl_principal *p,
    const query *q, const query_opts *o, query_hit_fn fn, void *ctx,
    query_result *res, lsn_err *err);

/* ---- releasable views ---- */

/*
 * The releasable view of report id for p: only the portions p may read,
 * the banner recomputed as their roll-up (*banner, caller frees), a title
 * it may not read replaced by "[title withheld]".
 *   *view: caller frees with ingest_doc_free(); portions p may not read
 *          are removed.
 *   *withheld: the number of portions removed (for the audit log only;
 *             with LSN_ENOTFOUND it is nonzero when the report exists).
 * Returns 0; LSN_ENOTFOUND when the report does not exist OR p may read
 * none of it (the same message either way: "no report ID"); LSN_EINPUT
 * when the record fails authentication.
 */
int query_get(store *st, const acl_data *data, const acl_principal *p,
    const char *id, ingest_doc **view, acl_marking **banner,
    size_t *withheld, lsn_err *err);

/* The view as text: CAPCO banner at top and bottom, portion marks before
 * each paragraph.  *out caller frees. */
int query_view_text(char **out, const ingest_doc *view,
    const acl_marking *banner, lsn_err *err);
/* The view as a native report (valid against schemas/report.xsd). */
int query_view_xml(char **out, const ingest_doc *view,
    const acl_marking *banner, lsn_err *err);
/* The view as one JSON object. */
int query_view_json(char **out, const ingest_doc *view,
    const acl_marking *banner, lsn_err *err);

/* ---- statistics ---- */

/* One counted value. */
typedef struct query_count {
	const char *key;
	uint64_t n;
} query_count;

/*
 * Count the reports p may read by classification (of their releasable
 * view's banner), by country (the country portions p may read) and by
 * month.  fn is called once per (dimension, key) in dimension order
 * ("classification", "country", "month") and key order.
 */
typedef int (*query_stats_fn)(void *ctx, const char *dimension,
    const char *key, uint64_t n);
int query_stats(store *st, const acl_data *data, const acl_principal *p,
    query_stats_fn fn, void *ctx, uint64_t *visible, lsn_err *err);

#endif
