/*
 * bench/corpus.h - the deterministic corpus of marked reports that the
 * benchmarks ingest (bench/liaison-gen writes it, bench/liaison-bench
 * generates it in process).
 *
 * A corpus is a function of its seed: report i is the same bytes for the
 * same seed, whichever order reports are made in.  Reports are native
 * liaison reports (schemas/report.xsd) whose banner is the CAPCO roll-up of
 * their portions:
 *   - each report has a release profile: US only (every classified
 *     portion NOFORN) or a REL TO list (USA FVEY, USA NATO, USA GBR, ...);
 *   - in a releasable report a classified portion carries the report's REL
 *     TO list or NOFORN (then the banner is NOFORN);
 *   - U portions (the title, some paragraphs) carry no control;
 *   - the classification is the highest portion's (C, S or TS);
 *   - 3 to 20 body paragraphs, 2 to 8 KB per report, dates 2020-2025;
 *   - words are drawn from a 50,000-word synthetic vocabulary with a Zipf
 *     law (s = 1.1); 1,000 further words (all starting with "q") occur only
 *     in NOFORN portions.
 */
#ifndef LSN_BENCH_CORPUS_H
#define LSN_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#define CORPUS_VOCAB 50000   /* ordinary words, by Zipf rank */
#define CORPUS_NF_VOCAB 1000 /* words found only in NOFORN portions */
#define CORPUS_MAX_PORTIONS 21 /* the title and up to 20 paragraphs */

typedef struct corpus corpus;

/* One portion as stored in the report (the title is portion 0). */
typedef struct corpus_portion {
	int level;        /* 1 U, 3 C, 4 S, 5 TS (enum acl_level) */
	int nf;           /* 1: NOFORN */
	int rel;          /* 1: REL TO the report's list */
	const char *text; /* borrowed, NUL-terminated */
	size_t len;
} corpus_portion;

/* A report, borrowed from the corpus until the next corpus_doc() call. */
typedef struct corpus_doc {
	char id[48];          /* corpus_id() */
	char date[24];        /* YYYY-MM-DD */
	uint32_t date_num;    /* YYYYMMDD */
	int level;            /* the banner's classification */
	int nf;               /* the banner is NOFORN */
	const char *rel;      /* the report's REL TO list ("USA FVEY"), NULL: US only */
	const char *rel_countries; /* " USA AUS CAN GBR NZL " (expanded), "" if US only */
	size_t nportions;     /* including the title */
	corpus_portion portions[CORPUS_MAX_PORTIONS];
	const char *xml;      /* the whole document */
	size_t xml_len;
} corpus_doc;

/* Build the vocabulary for seed.  Returns 0, -1 (out of memory). */
int corpus_new(corpus **out, uint64_t seed);
void corpus_free(corpus *c);

/* Make report number i (0-based).  The result is borrowed (see above). */
const corpus_doc *corpus_doc_make(corpus *c, uint64_t i);

/* The ordinary word of Zipf rank r (0 = most frequent), and the i-th
 * NOFORN-only word.  Borrowed. */
const char *corpus_word(const corpus *c, size_t r);
const char *corpus_nf_word(const corpus *c, size_t i);

/*
 * The id of report number i into out (48 bytes are enough): "BENCH-",
 * the seed, "-" and 16 hex digits of a one-to-one scramble of i.  Ids do
 * not come in key order: a feed of many originators does not hand them out
 * in the order the store's id tree sorts them, and in-order ids hid the
 * cost (in time and resident memory) of inserting all over that tree.
 */
void corpus_id(uint64_t seed, uint64_t i, char *out, size_t len);

/* A small deterministic generator for picking benchmark queries. */
uint64_t corpus_rand(uint64_t *state);

#endif
