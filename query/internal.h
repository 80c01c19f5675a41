/*
 * query/internal.h - what the files of query/ share.
 */
#ifndef LSN_QUERY_INTERNAL_H
#define LSN_QUERY_INTERNAL_H

#include "query/query.h"

enum { Q_AND = 1, Q_OR, Q_NOT, Q_WORDS, Q_ID, Q_CLASS, Q_REL, Q_DATE };

struct query__node {
	int type;
	struct query__node *a, *b;
	/* Q_WORDS: one word, or a phrase of several, in portions of kind
	 * (0: any) */
	char **words;
	size_t nwords;
	int kind;
	char *text;        /* Q_ID: the id; Q_REL: the country */
	int cmp, level;    /* Q_CLASS: '=', '<', '>', 'l' (<=), 'g' (>=) */
	uint32_t from, to; /* Q_DATE: YYYYMMDD, inclusive */
	size_t *word_ix;   /* at run time: each word's index in the word table */
};

struct query {
	struct query__node *root;
};

void query__node_free(struct query__node *n);

/* Tests: nonzero evaluates every candidate on its own, never a batch's
 * candidates at once by bitmaps (query/run.c); both must agree. */
extern int query__one_at_a_time;
/* The widest batch (in serials) evaluated by bitmaps; tests lower it to
 * send batches one candidate at a time. */
extern uint64_t query__bits_max_span;
/* The withheld list's first room (query/run.c); tests lower it so that
 * the list is pruned, and a batch taken again after a prune, with a few
 * reports.  Tests also count those prunes. */
extern size_t query__withheld_room;
extern uint64_t query__withheld_prunes;
/* Tests: batches passed by on the index head, all queries together. */
extern uint64_t query__batches_passed;
/* Tests: batches passed by after reading some of their required words. */
extern uint64_t query__batches_probed;

/* One marking (ACL label and need-to-know expression): 0 unreadable, 1
 * readable, 2 view only. */
int query__decide_one(const acl_principal *p, const uint8_t *label, const char *ntk,
    size_t ntk_len);

/* The store's marking entries as decided for one principal, each read and
 * decided on first use, from snapshot sn. */
struct query__entry {
	uint8_t known;
	uint8_t readable; /* 0 no, 1 yes, 2 view only */
	uint8_t kind;     /* the portion kind (INGEST_TITLE ...) */
};
/* A known entry's marking: its text, and once a banner needs it, parsed. */
struct query__emark {
	char *text;
	size_t len;
	acl_marking *m;
};
/* A view's banner, kept for the next view with the same readable entries. */
struct query__banner_memo {
	uint32_t *ids;  /* the distinct readable entries, ascending */
	size_t n;
	acl_marking *m; /* their roll-up */
	char *text;     /* rendered as a banner line */
};
#define QUERY__MEMO 16
typedef struct query__entries {
	store_snap *sn;
	const acl_principal *who;
	struct query__entry *e; /* by entry number */
	size_t n;
	struct query__emark *mk; /* by entry number, as e */
	const acl_data *data;   /* for markings (query__view_banner) */
	struct query__banner_memo memo[QUERY__MEMO];
	size_t memo_next;       /* the slot replaced next */
} query__entries;

/* Entry id as decided; NULL (err set) when it cannot be read.  Postings
 * ask for entries once each, so the decided case is inline. */
const struct query__entry *query__entry_load(query__entries *es, uint32_t id,
    lsn_err *err);
static inline const struct query__entry *
query__entry(query__entries *es, uint32_t id, lsn_err *err)
{
	return id < es->n && es->e[id].known ? &es->e[id] : query__entry_load(es, id, err);
}
void query__entries_clear(query__entries *es);

/* Whether es->who may read the run of postings of an audience (posting
 * blocks, ingest.h), decided by the audience's own entry: 1, 0, or
 * LSN_EINPUT (err set) when the entry cannot be read.  The reader's
 * want() for ingest_block_read. */
static inline int
query__audience_readable(query__entries *es, uint32_t audience, lsn_err *err)
{
	const struct query__entry *e = query__entry(es, audience, err);

	return e == NULL ? LSN_EINPUT : e->readable != 0;
}

/*
 * What es->who may read of report id, from its label: readable[i] for each
 * portion (1 view and export, 2 view only), kinds[i].  Returns the number
 * of readable portions, or LSN_EINPUT (err set) when the label is malformed
 * or names an entry that cannot be read.  readable and kinds have room for
 * INGEST_MAX_PORTIONS entries.
 */
int query__decide(query__entries *es, const char *id, const uint8_t *label,
    size_t len, ingest_rlabel *v, uint8_t *readable, uint8_t *kinds, lsn_err *err);

/*
 * Open portions of a report (and its skeleton), checking that the label
 * decided on (v, viewed from label) is the authenticated one, and decode
 * them: the portions want[] names, all of them readable[] (NULL: every
 * readable portion).  Only the segments holding wanted portions are
 * decrypted; a portion they hold that is not readable fails the report
 * (deny), and the result holds exactly the wanted portions.  serial is
 * the report's (its record is read by serial: one lookup, not two).
 * Returns 0, LSN_EINPUT, LSN_ENOTFOUND.
 */
int query__open(store_snap *sn, const acl_data *data, uint64_t serial, const char *id,
    const uint8_t *label, size_t label_len, const ingest_rlabel *v,
    const uint8_t *readable, const uint8_t *want, ingest_doc **out, lsn_err *err);

/*
 * The banner of a releasable view: the roll-up of the markings of the
 * readable portions (readable[i] nonzero for portion i of v), taken from
 * their marking entries, so no report is opened.  Views with the same
 * readable entries share one roll-up: *m and *text (rendered as a banner
 * line; text may be NULL when only *m is wanted) belong to es and last
 * until query__entries_clear().  Returns 0, LSN_EINPUT (a damaged entry,
 * or no readable portion takes part in the roll-up), LSN_EINTERNAL.
 */
/* Give entry id (read and decided here if it was not) the marking m, as
 * decoded from a report that names it, unless it has one: views opened
 * anyway (stats) need not parse their entries' markings again. */
int query__entry_seed(query__entries *es, uint32_t id, const acl_marking *m,
    lsn_err *err);
int query__view_banner(query__entries *es, const ingest_rlabel *v,
    const uint8_t *readable, const acl_marking **m, const char **text, lsn_err *err);

#endif
