/*
 * ingest/terms.c - the distinct (word, portion) pairs of a document, with
 * each word blinded (HMAC under the index key) once per run rather than
 * once per occurrence, and named by a number.
 *
 * The run's words are kept in a shared table, a generation at a time: a
 * word is blinded once, when a worker first meets it, and its number in
 * the generation is its place there.  A document's pairs name their words
 * by number (8 bytes a pair, where the 32-byte blind form made a finished
 * document four times as large), and hold a reference to the generation,
 * whose blind forms stay where they are until the last reference goes.
 * When a generation is full it is retired, and the next word starts a new
 * one (a vocabulary is Zipf: the frequent words come straight back); a
 * document that was cut against the retired one is cut again, and one
 * with more new words than a generation holds is cut once more in a
 * generation of its own (number_of).
 *
 * A worker keeps a dictionary of the words it has seen: an open-addressing
 * table of (hash, entry) pairs over compact entries (the word's number, the
 * last document and portion the word was emitted for) and an arena of the
 * word bytes.  Portions are tokenized in order, so a (word, portion) pair
 * is a repeat exactly when the word's entry already carries this
 * document's stamp and this portion: no sort, no per-document set.  When a
 * worker's table is full it is wiped and starts again, and so it is when
 * the generation its numbers are in is retired.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#define DEFAULT_WORDS (1u << 18)

#define INLINE_LEN 15 /* words this long or shorter live in their entry */

/* Half a cache line per word: a lookup touches its slot and its entry.
 * (With the blind form in it, 64 bytes, the lookups of a 100,000-report
 * ingest missed the cache more; words of 16 to 19 letters, rare, went into
 * the arena instead.) */
struct entry {
	uint32_t number;   /* in a worker's table: the word's in its generation */
	uint32_t doc;      /* stamp of the last document that emitted it */
	uint32_t portion;  /* and the portion */
	uint32_t off;      /* a longer word: where it is in the arena */
	uint8_t len;
	char inl[INLINE_LEN];
};
_Static_assert(sizeof(struct entry) == 32, "an entry is half a cache line");

/* A table of words: open addressing over (hash, entry) pairs, compact
 * entries, and an arena for the longer words. */
struct wtab {
	size_t max_words;
	uint64_t *slots;   /* hash << 32 | (entry index + 1); 0: empty */
	size_t nslots;     /* a power of two, at least twice the words */
	struct entry *e;
	uint8_t *blind;    /* a generation's: entry i's blind form at i * STORE_BLIND_LEN
			    * (NULL in a worker's table) */
	size_t n;
	char *arena;
	size_t arena_len, arena_cap;
};

/*
 * The words of a run: libgcrypt allocates every HMAC's inner digest in
 * secure memory, a first-fit list behind one global lock, so each blind
 * costs far more than its hashing (0.3 µs alone, 0.85 µs with two threads
 * blinding at once), and workers with their own dictionaries blinded
 * every word of the shared vocabulary once each.  Here a word is blinded
 * once for all workers (more than once only when several meet it at
 * the same moment: one blind form is kept, the others wiped).
 *
 * The lock (mu) is held only to look a word up and add it: a worker
 * blinds a new word before it takes the lock to add it (number_of), and
 * the per-document bookkeeping takes no lock when nothing changes
 * (begin_doc, the docs count).  On two cores shared by four threads, a
 * worker preempted while it held the lock stopped the other for up to a
 * scheduler tick (4 ms): at 10,000 reports the workers slept on it about
 * 900 times, and 20 with these changes (two blinders now meet on
 * libgcrypt's secure-memory lock instead, as the records' fingerprints
 * did already); a 10,000-report CLI ingest took 2.7% less time (8 of 10
 * alternated pairs) and less idle CPU.
 */
struct ingest_words {
	ingest_blinds *owner;
	uint64_t number;  /* the run's generations are numbered from 1 */
	struct wtab tab;  /* entry i: word number i, its blind form */
	unsigned holders; /* workers whose dictionaries hold its numbers */
	/* Documents' pairs that name its words, not released (atomic: a
	 * holder adds one without the lock; a release that leaves it above
	 * zero takes one without it). */
	unsigned docs;
	int current;      /* new documents start in it */
	int own;          /* one document's own (number_of), never current */
};

struct ingest_blinds {
	pthread_mutex_t mu;
	size_t max_words;
	uint64_t generations;
	ingest_words *cur; /* written under mu, read by begin_doc without it */
};

struct ingest_terms {
	ingest_blinds *blinds;
	int own_blinds;    /* made by ingest_terms_new: freed with it */
	store_blinder *bl; /* this worker's keyed HMAC, for its new words */
	ingest_words *gen; /* the generation of tab's numbers (a holder) */
	int again;         /* the current document is being cut again */
	int own_next;      /* ... and in a generation of its own */
	struct wtab tab;
	uint32_t doc;      /* the current document's stamp, from 1 */
	int overflowed;    /* the dictionary was reset during this document */
	ingest_term *out;  /* the pairs of the current document */
	size_t out_cap;
};

/* Never 0: a slot's upper half 0 with a nonzero index is still taken.
 * s[n..n+8) must be readable (struct pending). */
static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = lsn_hash32_padded(s, n);

	return h ? h : 1;
}

static int
wtab_init(struct wtab *t, size_t max_words, int blinds)
{
	t->max_words = max_words ? max_words : DEFAULT_WORDS;
	t->nslots = 1u << 12; /* grows with the words: small tables stay in cache */
	t->arena_cap = t->max_words * 8 + LSN_TOKEN_MAX;
	t->slots = lsn_table_alloc(t->nslots, sizeof(*t->slots));
	t->e = malloc(t->max_words * sizeof(*t->e));
	t->blind = blinds ? malloc(t->max_words * STORE_BLIND_LEN) : NULL;
	t->arena = malloc(t->arena_cap);
	return t->slots == NULL || t->e == NULL || t->arena == NULL ||
	    (blinds && t->blind == NULL) ? -1 : 0;
}

/* Forget every word (and wipe them). */
static void
wtab_reset(struct wtab *t)
{
	memset(t->slots, 0, t->nslots * sizeof(*t->slots));
	lsn_wipe(t->e, t->n * sizeof(*t->e));
	if (t->blind != NULL)
		lsn_wipe(t->blind, t->n * STORE_BLIND_LEN);
	lsn_wipe(t->arena, t->arena_len);
	t->n = 0;
	t->arena_len = 0;
}

static void
wtab_fini(struct wtab *t)
{
	if (t->slots != NULL && t->e != NULL && t->arena != NULL)
		wtab_reset(t);
	free(t->slots);
	free(t->e);
	free(t->blind);
	free(t->arena);
}

static const char *
word_of(const struct wtab *t, const struct entry *e)
{
	return e->len <= INLINE_LEN ? e->inl : t->arena + e->off;
}

static int
same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) /* short words: no call to memcmp */
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Double the slot table; 0, or -1 when out of memory (the table stays). */
static int
grow(struct wtab *t)
{
	size_t n = t->nslots * 2, mask = n - 1;
	uint64_t *s = lsn_table_alloc(n, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t k = 0; k < t->nslots; k++) {
		uint64_t v = t->slots[k];
		size_t i;
		if (v == 0)
			continue;
		for (i = (v >> 32) & mask; s[i] != 0; i = (i + 1) & mask)
			;
		s[i] = v;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	return 0;
}

/* The entry of word w[0..n) of hash h, or NULL. */
static struct entry *
wtab_find(const struct wtab *t, const char *w, size_t n, uint32_t h)
{
	size_t mask = t->nslots - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		uint64_t s = t->slots[i];
		struct entry *e;
		if (s == 0)
			return NULL;
		if ((uint32_t)(s >> 32) != h)
			continue;
		e = &t->e[(uint32_t)s - 1];
		if (e->len == n && same(word_of(t, e), w, n))
			return e;
	}
}

static int
wtab_full(const struct wtab *t, size_t n)
{
	return t->n == t->max_words || t->arena_len + n > t->arena_cap;
}

/* A new entry for word w[0..n) of hash h (not in the table, which is not
 * full); its blind is the caller's to fill.  NULL: no memory. */
static struct entry *
wtab_add(struct wtab *t, const char *w, size_t n, uint32_t h)
{
	size_t mask, i;
	struct entry *e;

	if (2 * (t->n + 1) > t->nslots && grow(t) != 0)
		return NULL;
	mask = t->nslots - 1;
	for (i = h & mask; t->slots[i] != 0; i = (i + 1) & mask)
		;
	e = &t->e[t->n];
	e->len = (uint8_t)n;
	e->doc = 0;
	e->portion = 0;
	if (n <= INLINE_LEN) {
		memcpy(e->inl, w, n);
	} else {
		e->off = (uint32_t)t->arena_len;
		memcpy(t->arena + t->arena_len, w, n);
		t->arena_len += n;
	}
	t->slots[i] = (uint64_t)h << 32 | (uint64_t)(t->n + 1);
	t->n++;
	return e;
}

/* Double a full table's room for words (entries and arena), which must
 * not be read meanwhile; 0, or -1 when out of memory (the table stays).
 * The old blocks are wiped. */
static int
wtab_widen(struct wtab *t)
{
	size_t max = t->max_words * 2, acap = t->arena_cap * 2;
	struct entry *e = malloc(max * sizeof(*e));
	uint8_t *bl = t->blind != NULL ? malloc(max * STORE_BLIND_LEN) : NULL;
	char *a = malloc(acap);

	if (e == NULL || a == NULL || (t->blind != NULL && bl == NULL)) {
		free(e);
		free(bl);
		free(a);
		return -1;
	}
	memcpy(e, t->e, t->n * sizeof(*e));
	memcpy(a, t->arena, t->arena_len);
	lsn_wipe(t->e, t->n * sizeof(*t->e));
	lsn_wipe(t->arena, t->arena_len);
	if (bl != NULL) {
		memcpy(bl, t->blind, t->n * STORE_BLIND_LEN);
		lsn_wipe(t->blind, t->n * STORE_BLIND_LEN);
		free(t->blind);
		t->blind = bl;
	}
	free(t->e);
	free(t->arena);
	t->e = e;
	t->arena = a;
	t->max_words = max;
	t->arena_cap = acap;
	return 0;
}

/* A new generation of b's words, current or one document's own; NULL when
 * out of memory.  With b->mu held (or b not yet shared). */
static ingest_words *
gen_new(ingest_blinds *b, int own)
{
	ingest_words *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	if (wtab_init(&g->tab, b->max_words, 1) != 0) {
		wtab_fini(&g->tab);
		free(g);
		return NULL;
	}
	g->owner = b;
	g->number = ++b->generations;
	g->current = !own;
	g->own = own;
	return g;
}

/* Free g (its words wiped) once nothing refers to it.  With b->mu held. */
static void
gen_drop(ingest_words *g)
{
	if (g == NULL || g->current || g->holders > 0 ||
	    __atomic_load_n(&g->docs, __ATOMIC_ACQUIRE) > 0)
		return;
	wtab_fini(&g->tab);
	free(g);
}

ingest_blinds *
ingest_blinds_new(size_t max_words)
{
	ingest_blinds *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	b->max_words = max_words ? max_words : DEFAULT_WORDS;
	if ((b->cur = gen_new(b, 0)) == NULL) {
		ingest_blinds_free(b);
		return NULL;
	}
	return b;
}

void
ingest_blinds_free(ingest_blinds *b)
{
	if (b == NULL)
		return;
	if (b->cur != NULL) {
		ingest_words *g = b->cur;
		g->current = 0;
		if (g->holders > 0 || g->docs > 0)
			wtab_reset(&g->tab); /* kept by a reference (a leak, not a use
					      * after free), but its words wiped */
		gen_drop(g);
	}
	pthread_mutex_destroy(&b->mu);
	free(b);
}

const uint8_t *
ingest_words_blind(const ingest_words *g, uint32_t word)
{
	return g->tab.blind + (size_t)word * STORE_BLIND_LEN;
}

uint64_t
ingest_words_number(const ingest_words *g)
{
	return g->number;
}

size_t
ingest_words_count(ingest_words *g)
{
	size_t n;

	pthread_mutex_lock(&g->owner->mu);
	n = g->tab.n;
	pthread_mutex_unlock(&g->owner->mu);
	return n;
}

void
ingest_words_release(ingest_words *g)
{
	ingest_blinds *b;
	unsigned n;

	if (g == NULL)
		return;
	/* Not the last reference: g stays, whoever else lets it go. */
	n = __atomic_load_n(&g->docs, __ATOMIC_RELAXED);
	while (n > 1)
		if (__atomic_compare_exchange_n(&g->docs, &n, n - 1, 0, __ATOMIC_RELEASE,
			__ATOMIC_RELAXED))
			return;
	b = g->owner;
	pthread_mutex_lock(&b->mu);
	__atomic_sub_fetch(&g->docs, 1, __ATOMIC_ACQ_REL);
	gen_drop(g);
	pthread_mutex_unlock(&b->mu);
}

/*
 * Word w[0..n) of hash h in t's generation: its number into *number.
 * Returns 0; 1 when the document must be cut again (begin_doc); -1 when
 * out of memory.  Thread-safe.
 *
 * A new word goes into the current generation while it has room.  A full
 * one is retired, and a new one made current, for the document to be cut
 * again there; so is a document whose generation was retired meanwhile.
 * A document that finds its generation full although it was cut again
 * (more new words than a generation holds) is cut once more, in a
 * generation of its own, which grows as it needs (nothing else reads it
 * until the document is done): so a shared generation never holds more
 * than max_words, and every document ends.
 */
static int
number_of(ingest_terms *t, const char *w, size_t n, uint32_t h, uint32_t *number)
{
	ingest_blinds *b = t->blinds;
	ingest_words *g = t->gen;
	uint8_t blind[STORE_BLIND_LEN];
	int rc = 0, blinded = 0;
	struct entry *e;

	for (;;) {
		pthread_mutex_lock(&b->mu);
		if ((e = wtab_find(&g->tab, w, n, h)) != NULL) {
			*number = (uint32_t)(e - g->tab.e);
			break;
		}
		if (!g->own) {
			if (!g->current) {
				rc = 1;
				break;
			}
			if (wtab_full(&g->tab, n)) {
				if (t->again) {
					t->own_next = 1;
				} else {
					/* Retired: the documents that name its words keep it. */
					ingest_words *next = gen_new(b, 0);
					if (next == NULL) {
						rc = -1;
						break;
					}
					g->current = 0;
					__atomic_store_n(&b->cur, next, __ATOMIC_RELEASE);
				}
				rc = 1;
				break;
			}
		} else if (wtab_full(&g->tab, n) && wtab_widen(&g->tab) != 0) {
			rc = -1;
			break;
		}
		if (!blinded) {
			/* New: blinded outside the lock, then looked for again (it
			 * may have come in, or the generation gone, meanwhile). */
			pthread_mutex_unlock(&b->mu);
			store_blinder_blind(t->bl, w, n, blind);
			blinded = 1;
			continue;
		}
		if ((e = wtab_add(&g->tab, w, n, h)) == NULL) {
			rc = -1;
			break;
		}
		*number = (uint32_t)(e - g->tab.e);
		memcpy(g->tab.blind + (size_t)*number * STORE_BLIND_LEN, blind, STORE_BLIND_LEN);
		break;
	}
	pthread_mutex_unlock(&b->mu);
	if (blinded)
		lsn_wipe(blind, sizeof(blind));
	return rc;
}

/* Start cutting a document: in the current generation, or in one of its
 * own (number_of); t's table wiped when its numbers were in another.  0,
 * or -1 when out of memory. */
static int
begin_doc(ingest_terms *t)
{
	ingest_blinds *b = t->blinds;
	ingest_words *g;
	int rc = 0, moved = 0;

	/* Most documents start where the one before did: no lock. */
	if (!t->own_next && t->gen != NULL && t->gen == __atomic_load_n(&b->cur, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&b->mu);
	g = b->cur;
	if (t->own_next && (g = gen_new(b, 1)) == NULL) {
		rc = -1;
	} else if (t->gen != g) {
		if (t->gen != NULL) {
			t->gen->holders--;
			gen_drop(t->gen);
		}
		t->gen = g;
		g->holders++;
		moved = 1;
	}
	t->own_next = 0;
	pthread_mutex_unlock(&b->mu);
	if (moved)
		wtab_reset(&t->tab);
	return rc;
}

ingest_terms *
ingest_terms_new(store *st, ingest_blinds *blinds, size_t max_words)
{
	ingest_terms *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->blinds = blinds;
	if (blinds == NULL) {
		t->blinds = ingest_blinds_new(max_words);
		t->own_blinds = 1;
	}
	if (t->blinds == NULL || wtab_init(&t->tab, max_words, 0) != 0 ||
	    (t->bl = store_blinder_new(st)) == NULL) {
		ingest_terms_free(t);
		return NULL;
	}
	return t;
}

void
ingest_terms_free(ingest_terms *t)
{
	if (t == NULL)
		return;
	wtab_fini(&t->tab);
	if (t->gen != NULL) {
		pthread_mutex_lock(&t->blinds->mu);
		t->gen->holders--;
		gen_drop(t->gen);
		pthread_mutex_unlock(&t->blinds->mu);
	}
	if (t->own_blinds)
		ingest_blinds_free(t->blinds);
	store_blinder_free(t->bl);
	lsn_wipe_free(t->out, t->out_cap * sizeof(*t->out));
	free(t);
}

/* The entry of word w[0..n) of hash h, added (and numbered) if new; NULL
 * with *rc 1 when the document must be cut again (number_of), -1 when out
 * of memory. */
static struct entry *
lookup(ingest_terms *t, const char *w, size_t n, uint32_t h, int *rc)
{
	struct entry *e = wtab_find(&t->tab, w, n, h);

	if (e != NULL)
		return e;
	if (wtab_full(&t->tab, n)) {
		/* Full: start again.  Words of this document emitted before
		 * the reset are forgotten, so a pair may now repeat: the
		 * document's list is deduplicated at its end. */
		wtab_reset(&t->tab);
		t->overflowed = 1;
	}
	if ((e = wtab_add(&t->tab, w, n, h)) == NULL) {
		*rc = -1;
		return NULL;
	}
	if ((*rc = number_of(t, w, n, h, &e->number)) != 0) {
		/* The entry has no number: it must not stay for a later
		 * document to read (out of memory leaves the generation as it
		 * was, so begin_doc would not reset the table). */
		wtab_reset(&t->tab);
		return NULL;
	}
	return e;
}

/* A word cut ahead of its lookup (ingest_terms_doc). */
#define RING 8
struct pending {
	uint32_t h;
	size_t len;
	char w[LSN_TOKEN_MAX + 8]; /* 8 more: the hash reads 8 bytes at a time */
};

static int
cmp_term(const void *a, const void *b)
{
	const ingest_term *x = a, *y = b;

	if (x->word != y->word)
		return x->word < y->word ? -1 : 1;
	return (x->portion > y->portion) - (x->portion < y->portion);
}

int
ingest_terms_doc(ingest_terms *t, const ingest_doc *d, const ingest_term **out,
    size_t *nout, ingest_words **words, lsn_err *err)
{
	lsn_tokenizer tk;
	struct pending ring[RING];
	size_t n;
	int rc, again;

	*out = NULL;
	*nout = 0;
	*words = NULL;
	t->again = t->own_next = 0;
	do {
		/* Cut against the current generation; again from the start
		 * when number_of says so. */
		if (begin_doc(t) != 0)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		n = 0;
		rc = again = 0;
		t->overflowed = 0;
		if (++t->doc == 0) { /* 2^32 documents: stamps would repeat */
			wtab_reset(&t->tab);
			t->doc = 1;
		}
		for (size_t i = 0; i < d->nportions && rc == 0 && !again; i++) {
			/* A word's slot and entry are cache misses in a dictionary
			 * of tens of thousands of words: the words are cut RING
			 * ahead of their lookup, their slots fetched then, their
			 * entries half way. */
			size_t head = 0, tail = 0;
			int more = 1;
			if (lsn_token_init(&tk, d->portions[i].text, d->portions[i].text_len) != 0) {
				rc = lsn_fail(err, LSN_EINTERNAL, "no C.UTF-8 locale");
				break;
			}
			for (;;) {
				while (more && head - tail < RING) {
					struct pending *q = &ring[head % RING];
					/* Cut straight into the ring, 8 bytes at a time
					 * as hash() reads them (lsn_token_next_into). */
					if (!lsn_token_next_into(&tk, q->w, &q->len)) {
						more = 0;
						break;
					}
					q->h = hash(q->w, q->len);
					__builtin_prefetch(&t->tab.slots[q->h & (t->tab.nslots - 1)]);
					head++;
				}
				if (tail == head)
					break;
				if (tail + RING / 2 < head) {
					const struct pending *q = &ring[(tail + RING / 2) % RING];
					uint64_t sv = t->tab.slots[q->h & (t->tab.nslots - 1)];
					if (sv != 0)
						__builtin_prefetch(&t->tab.e[(uint32_t)sv - 1]);
				}
				const struct pending *q = &ring[tail++ % RING];
				int lrc = 0;
				struct entry *e = lookup(t, q->w, q->len, q->h, &lrc);
				if (e == NULL) {
					if (lrc > 0)
						again = t->again = 1;
					else
						rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
					break;
				}
				if (e->doc == t->doc && e->portion == (uint32_t)i)
					continue; /* this word already counted for this portion */
				e->doc = t->doc;
				e->portion = (uint32_t)i;
				if (n == t->out_cap) {
					size_t cap = t->out_cap ? 2 * t->out_cap : 1024;
					ingest_term *p = malloc(cap * sizeof(*p));
					if (p == NULL) {
						rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
						break;
					}
					if (n > 0)
						memcpy(p, t->out, n * sizeof(*p));
					lsn_wipe_free(t->out, t->out_cap * sizeof(*t->out));
					t->out = p;
					t->out_cap = cap;
				}
				t->out[n].word = e->number;
				t->out[n].portion = (uint32_t)i;
				n++;
			}
		}
	} while (again && rc == 0);
	lsn_wipe(ring, sizeof(ring));
	if (rc != 0)
		return rc;
	if (t->overflowed && n > 1) { /* rare: a document of a huge vocabulary */
		size_t k = 1;
		qsort(t->out, n, sizeof(*t->out), cmp_term);
		for (size_t i = 1; i < n; i++)
			if (cmp_term(&t->out[k - 1], &t->out[i]) != 0)
				t->out[k++] = t->out[i];
		n = k;
	}
	t->overflowed = 0;
	/* A holder's reference: t->gen cannot go meanwhile. */
	__atomic_add_fetch(&t->gen->docs, 1, __ATOMIC_RELAXED);
	*out = t->out;
	*nout = n;
	*words = t->gen;
	return 0;
}
