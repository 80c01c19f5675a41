/*
 * tests/unit/test_token.c - the word tokenizer and the ingest word
 * dictionary against naive references.
 *
 * The tokenizer has an ASCII fast path; the reference here decodes every
 * character and asks iswalnum_l / towlower_l, with the same 64-byte cut.
 * ingest_terms_doc() must give exactly the set of distinct (blinded word,
 * portion) pairs that tokenizing and blinding every occurrence gives, also
 * when its dictionary is tiny and is wiped in the middle of a document,
 * and when workers on threads share one table of blinds.
 */
#include "config.h"

#include <locale.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <cmocka.h>

#include "ingest/ingest.h"

static locale_t utf8;

/* ---- the reference tokenizer ---- */

/* One character: its length, *c = -1 for bytes that are not UTF-8. */
static size_t
ref_decode(const unsigned char *p, const unsigned char *end, long *c)
{
	size_t n;
	long v;

	if (p[0] < 0x80) {
		*c = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, v = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, v = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, v = p[0] & 0x07;
	else
		return *c = -1, 1;
	if ((size_t)(end - p) < n)
		return *c = -1, 1;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return *c = -1, 1;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return *c = -1, 1;
	*c = v;
	return n;
}

static size_t
ref_encode(long c, char *o)
{
	if (c < 0x80)
		return o[0] = (char)c, 1;
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Words of s[0..len) as "w1 w2 ..." in out (NUL-separated, counted). */
static size_t
ref_words(const char *s, size_t len, char words[][LSN_TOKEN_MAX + 1], size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t nw = 0;

	while (p < end) {
		long c;
		size_t k = ref_decode(p, end, &c);
		if (c < 0 || !iswalnum_l((wint_t)c, utf8)) {
			p += k;
			continue;
		}
		size_t n = 0;
		int cut = 0;
		while (p < end) {
			k = ref_decode(p, end, &c);
			if (c < 0 || !iswalnum_l((wint_t)c, utf8))
				break;
			p += k;
			char tmp[4];
			size_t m = ref_encode((long)towlower_l((wint_t)c, utf8), tmp);
			if (!cut && n + m <= LSN_TOKEN_MAX) {
				memcpy(words[nw] + n, tmp, m);
				n += m;
			} else {
				cut = 1;
			}
		}
		words[nw][n] = '\0';
		if (++nw == max)
			break;
	}
	return nw;
}

/* A random text: ASCII words and separators, letters of other scripts,
 * invalid bytes, and now and then a word over the 64-byte cap. */
static size_t
random_text(unsigned *seed, char *buf, size_t cap)
{
	static const char *const pieces[] = { "a", "Z", "q", "7", "0", " ", ",", ".",
		"-", "\n", "\xc3\xa9" /* é */, "\xc3\x89" /* É */, "\xd0\x96" /* Ж */,
		"\xe4\xb8\xad" /* 中 */, "\xf0\x9d\x90\x80" /* 𝐀 */,
		"\xe2\x80\x94" /* — */, "\xff", "\x80", "\xc3", "\xe4\xb8",
		"\xc0\xaf" /* overlong */, "\xed\xa0\x80" /* surrogate */, "_", "'" };
	size_t n = 0, len = (size_t)(rand_r(seed) % 200);

	for (size_t i = 0; i < len; i++) {
		const char *p;
		if (rand_r(seed) % 50 == 0) { /* a long word */
			size_t run = 55 + (size_t)(rand_r(seed) % 20);
			for (size_t k = 0; k < run && n + 4 < cap; k++) {
				p = rand_r(seed) % 5 ? "x" : "\xc3\xa9";
				memcpy(buf + n, p, strlen(p));
				n += strlen(p);
			}
			continue;
		}
		p = pieces[(size_t)rand_r(seed) % (sizeof(pieces) / sizeof(pieces[0]))];
		if (n + strlen(p) >= cap)
			break;
		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
	}
	return n;
}

static void
check_text(const char *s, size_t len)
{
	static char want[512][LSN_TOKEN_MAX + 1];
	size_t nw = ref_words(s, len, want, 512), k = 0;
	lsn_tokenizer tk;
	const char *w;
	size_t wl;

	assert_int_equal(lsn_token_init(&tk, s, len), 0);
	while (lsn_token_next(&tk, &w, &wl)) {
		assert_true(k < nw);
		assert_int_equal(wl, strlen(want[k]));
		assert_memory_equal(w, want[k], wl);
		assert_true(wl <= LSN_TOKEN_MAX);
		k++;
	}
	assert_int_equal(k, nw);
}

static void
test_token__fixed_cases(void **state)
{
	static const char *const cases[] = { "", " ", "Convoy", "ROUTE 66, fuel-depot.",
		"Ünïcödé WORDS Straße ΣΊΣΥΦΟΣ", "日本語のテキスト", "bad\xff" "bytes\x80here",
		"trunc\xc3", "a\xe2\x80\x94" "b", "x",
		"0123456789012345678901234567890123456789012345678901234567890123456789",
		/* 63 ASCII bytes, then a 2-byte letter that does not fit */
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk\xc3\xa9xyz next",
		/* 64 ASCII bytes exactly, then more */
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl after",
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9" "ABC done" };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_text(cases[i], strlen(cases[i]));
}

/* The dictionary's hash reads words 8 bytes at a time past their end:
 * whatever follows a word must not change its hash. */
static void
test_hash__padded_equals_plain(void **state)
{
	unsigned char buf[LSN_TOKEN_MAX + 8], copy[LSN_TOKEN_MAX + 8];
	unsigned seed = 3;

	(void)state;
	for (size_t n = 0; n <= LSN_TOKEN_MAX; n++) {
		for (int k = 0; k < 20; k++) {
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = (unsigned char)rand_r(&seed);
			memcpy(copy, buf, n);
			for (size_t i = n; i < sizeof(copy); i++)
				copy[i] = (unsigned char)~buf[i];
			assert_int_equal(lsn_hash32_padded(buf, n), lsn_hash32(buf, n));
			assert_int_equal(lsn_hash32_padded(copy, n), lsn_hash32(buf, n));
		}
	}
}

static void
test_token__random_texts_match_reference(void **state)
{
	unsigned seed = 20261202;
	char buf[4096];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t n = random_text(&seed, buf, sizeof(buf));
		check_text(buf, n);
	}
}

/*
 * Texts for the 8-bytes-at-a-time path: long runs of ASCII word bytes,
 * the bytes on either side of each range it tests ('/' ':' '@' '[' '`'
 * '{', DEL, NUL), bytes of longer characters, all at every alignment.
 */
static size_t
random_ascii_text(unsigned *seed, char *buf, size_t cap)
{
	static const char edges[] = "/09:@AZ[`az{\x7f";
	static const char *const other[] = { "\xc3\xa9", "\xc3\x89", "\xe4\xb8\xad",
		"\xff", "\x80", " ", "\n" };
	size_t n = 0, len = (size_t)(rand_r(seed) % 300);

	while (n + 4 < cap && len-- > 0) {
		unsigned r = (unsigned)rand_r(seed) % 100;
		if (r < 70) { /* a run of word bytes, some over the cap */
			size_t run = (size_t)rand_r(seed) % (r < 5 ? 90 : 20);
			for (size_t k = 0; k < run && n + 1 < cap; k++) {
				unsigned c = (unsigned)rand_r(seed) % 62;
				buf[n++] = (char)(c < 10 ? '0' + c : c < 36 ? 'A' + c - 10 : 'a' + c - 36);
			}
		} else if (r < 90) {
			buf[n++] = edges[(size_t)rand_r(seed) % (sizeof(edges) - 1)];
		} else if (r < 92) {
			buf[n++] = '\0';
		} else {
			const char *p = other[(size_t)rand_r(seed) % (sizeof(other) / sizeof(other[0]))];
			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		}
	}
	return n;
}

static void
test_token__ascii_runs_match_reference(void **state)
{
	unsigned seed = 20261205;
	char buf[4096 + 8];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t n = random_ascii_text(&seed, buf + i % 8, sizeof(buf) - 8);
		check_text(buf + i % 8, n);
	}
}

/* lsn_token_next_into gives the same words, NUL-terminated. */
static void
test_token__into_equals_next(void **state)
{
	unsigned seed = 7;
	char buf[4096], out[LSN_TOKEN_MAX + 8];

	(void)state;
	for (int i = 0; i < 2000; i++) {
		size_t n = i % 2 ? random_ascii_text(&seed, buf, sizeof(buf))
				 : random_text(&seed, buf, sizeof(buf));
		lsn_tokenizer a, b;
		const char *w;
		size_t wl, ol;
		int ra, rb;
		assert_int_equal(lsn_token_init(&a, buf, n), 0);
		assert_int_equal(lsn_token_init(&b, buf, n), 0);
		do {
			memset(out, 0x5a, sizeof(out));
			ra = lsn_token_next(&a, &w, &wl);
			rb = lsn_token_next_into(&b, out, &ol);
			assert_int_equal(ra, rb);
			if (ra) {
				assert_int_equal(wl, ol);
				assert_memory_equal(w, out, wl);
				assert_int_equal(out[ol], '\0');
				assert_int_equal(w[wl], '\0');
			}
		} while (ra);
	}
}

/* ---- the ingest word dictionary ---- */

struct pair {
	uint8_t blind[STORE_BLIND_LEN];
	uint32_t portion;
};

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = memcmp(x->blind, y->blind, STORE_BLIND_LEN);

	return c ? c : (x->portion > y->portion) - (x->portion < y->portion);
}

static store *st;
static char dir[64];

static int
setup(void **state)
{
	char path[128], kf[128];
	store_keysrc ks = { 0 };
	lsn_err err;

	(void)state;
	if ((utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == (locale_t)0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/lsn-token-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(kf, sizeof(kf), "%s/s.key", dir);
	ks.key_file = kf;
	if (store_create(&st, path, &ks, NULL, &err) != 0) {
		fprintf(stderr, "store_create: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(st);
	freelocale(utf8);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * The last HELD documents' word references, as a run's queue holds them
 * while more documents are cut: each with its pairs' numbers and their
 * blind forms then, which must not change until it is released.
 */
#define HELD 4
struct held {
	ingest_words *g[HELD];
	uint32_t *num[HELD];
	uint8_t (*blind)[STORE_BLIND_LEN];
	size_t n[HELD];
	unsigned next;
};

/* Release slot i, checking its blind forms; 1 when they held. */
static int
held_release(struct held *h, unsigned i)
{
	int ok = 1;

	if (h->g[i] == NULL)
		return 1;
	for (size_t k = 0; k < h->n[i]; k++)
		if (memcmp(ingest_words_blind(h->g[i], h->num[i][k]), h->blind[i * 4096 + k],
			STORE_BLIND_LEN) != 0)
			ok = 0;
	ingest_words_release(h->g[i]);
	free(h->num[i]);
	h->g[i] = NULL;
	h->num[i] = NULL;
	return ok;
}

/* Whether the pairs the dictionary gives for a document equal the
 * reference (1) or not (0); no cmocka assertion, so threads may call it.
 * The document's words are kept in h, the oldest kept released. */
static int
doc_matches(ingest_terms *t, store_blinder *bl, char texts[][2048], size_t np, struct held *h)
{
	char words[512][LSN_TOKEN_MAX + 1];
	ingest_portion ps[8];
	ingest_doc d = { 0 };
	struct pair *want = NULL, *got = NULL;
	size_t nwant = 0, k = 0, ngot;
	const ingest_term *out;
	ingest_words *g = NULL;
	lsn_err err;
	int ok = 0;
	unsigned slot = h->next++ % HELD;

	memset(ps, 0, sizeof(ps));
	for (size_t i = 0; i < np; i++) {
		ps[i].text = texts[i];
		ps[i].text_len = strlen(texts[i]);
		size_t nw = ref_words(texts[i], ps[i].text_len, words, 512);
		struct pair *nwp = realloc(want, (nwant + nw + 1) * sizeof(*want));
		if (nwp == NULL)
			goto out;
		want = nwp;
		for (size_t w = 0; w < nw; w++, nwant++) {
			store_blinder_blind(bl, words[w], strlen(words[w]), want[nwant].blind);
			want[nwant].portion = (uint32_t)i;
		}
	}
	d.portions = ps;
	d.nportions = np;
	if (want != NULL)
		qsort(want, nwant, sizeof(*want), cmp_pair);
	for (size_t i = 0; i < nwant; i++) /* distinct */
		if (k == 0 || cmp_pair(&want[k - 1], &want[i]) != 0)
			want[k++] = want[i];
	nwant = k;

	if (!held_release(h, slot))
		goto out;
	if (ingest_terms_doc(t, &d, &out, &ngot, &g, &err) != 0 || g == NULL ||
	    (got = malloc((ngot + 1) * sizeof(*got))) == NULL)
		goto out;
	for (size_t i = 0; i < ngot; i++) {
		memcpy(got[i].blind, ingest_words_blind(g, out[i].word), STORE_BLIND_LEN);
		got[i].portion = out[i].portion;
	}
	/* Kept: the numbers and what they name now. */
	if (ngot <= 4096 && (h->num[slot] = malloc((ngot + 1) * sizeof(uint32_t))) != NULL) {
		for (size_t i = 0; i < ngot; i++) {
			h->num[slot][i] = out[i].word;
			memcpy(h->blind[slot * 4096 + i], got[i].blind, STORE_BLIND_LEN);
		}
		h->n[slot] = ngot;
		h->g[slot] = g;
		g = NULL;
	}
	qsort(got, ngot, sizeof(*got), cmp_pair);
	for (size_t i = 1; i < ngot; i++) /* no pair twice */
		if (cmp_pair(&got[i - 1], &got[i]) == 0)
			goto out;
	if (ngot != nwant)
		goto out;
	for (size_t i = 0; i < ngot; i++)
		if (cmp_pair(&got[i], &want[i]) != 0)
			goto out;
	ok = 1;
out:
	ingest_words_release(g);
	free(want);
	free(got);
	return ok;
}

/* 400 random documents through t; the number that matched the reference
 * (and whose words held while kept). */
static int
docs_matching(ingest_terms *t, store_blinder *bl, unsigned seed)
{
	char (*texts)[2048] = malloc(8 * sizeof(*texts));
	struct held h = { .blind = malloc(HELD * 4096 * STORE_BLIND_LEN) };
	int ok = 0;

	if (texts == NULL || h.blind == NULL) {
		free(texts);
		free(h.blind);
		return 0;
	}
	for (int doc = 0; doc < 400; doc++) {
		size_t np = 1 + (size_t)(rand_r(&seed) % 8);
		for (size_t i = 0; i < np; i++) {
			size_t n = random_text(&seed, texts[i], 2047);
			texts[i][n] = '\0';
		}
		ok += doc_matches(t, bl, texts, np, &h);
	}
	for (unsigned i = 0; i < HELD; i++)
		if (!held_release(&h, i))
			ok--;
	free(texts);
	free(h.blind);
	return ok;
}

static void
run_docs(size_t max_words)
{
	ingest_terms *t = ingest_terms_new(st, NULL, max_words);
	store_blinder *bl = store_blinder_new(st);

	assert_non_null(t);
	assert_non_null(bl);
	assert_int_equal(docs_matching(t, bl, (unsigned)max_words + 7), 400);
	ingest_terms_free(t);
	store_blinder_free(bl);
}

/* Workers of one run: each its own dictionary, the blinds shared. */
struct worker {
	ingest_blinds *blinds;
	size_t max_words;
	unsigned seed;
	int matched;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	ingest_terms *t = ingest_terms_new(st, w->blinds, w->max_words);
	store_blinder *bl = store_blinder_new(st);

	if (t != NULL && bl != NULL)
		w->matched = docs_matching(t, bl, w->seed);
	ingest_terms_free(t);
	store_blinder_free(bl);
	return NULL;
}

static void
run_workers(size_t shared_words, size_t max_words)
{
	ingest_blinds *b = ingest_blinds_new(shared_words);
	struct worker w[3];
	pthread_t th[3];

	assert_non_null(b);
	for (int i = 0; i < 3; i++) {
		/* Two workers see the same documents, so that they meet the
		 * same words at about the same time. */
		w[i] = (struct worker){ b, max_words, i == 2 ? 99u : 11u, -1 };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].matched, 400);
	}
	ingest_blinds_free(b);
}

static void
test_terms__distinct_pairs_match_reference(void **state)
{
	(void)state;
	run_docs(0); /* the default dictionary: never full here */
}

static void
test_terms__tiny_dictionary_wiped_mid_document(void **state)
{
	(void)state;
	run_docs(5); /* full every few words: wiped inside documents */
}

static void
test_terms__workers_share_blinds(void **state)
{
	(void)state;
	run_workers(0, 64); /* small dictionaries: many words go to the shared one */
}

static void
test_terms__shared_blinds_wiped_while_in_use(void **state)
{
	(void)state;
	run_workers(7, 5); /* both tables full every few words */
}

/*
 * A vocabulary far larger than the shared table, documents of a few words
 * each, every document's words released at once (so that no finished
 * document ever names a full generation): a shared generation still never
 * holds more than max_words, and every document's pairs name the right
 * blind forms.
 */
static void
test_terms__shared_generation_stays_bounded(void **state)
{
	enum { MAX = 64, DOCS = 3000, WORDS = 8 };
	ingest_blinds *b = ingest_blinds_new(MAX);
	ingest_terms *t = ingest_terms_new(st, b, 0);
	store_blinder *bl = store_blinder_new(st);
	unsigned seed = 5;
	uint64_t last = 0, generations = 0;

	(void)state;
	assert_non_null(b);
	assert_non_null(t);
	assert_non_null(bl);
	for (int doc = 0; doc < DOCS; doc++) {
		char text[WORDS * 8 + 1], word[8];
		ingest_portion p = { 0 };
		ingest_doc d = { 0 };
		const ingest_term *out;
		ingest_words *g = NULL;
		size_t n = 0, nout;
		lsn_err err;
		for (int i = 0; i < WORDS; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "w%u ",
			    (unsigned)rand_r(&seed) % 20000);
		p.text = text;
		p.text_len = n;
		d.portions = &p;
		d.nportions = 1;
		assert_int_equal(ingest_terms_doc(t, &d, &out, &nout, &g, &err), 0);
		assert_non_null(g);
		assert_true(ingest_words_count(g) <= MAX);
		if (ingest_words_number(g) != last)
			generations++;
		last = ingest_words_number(g);
		for (size_t i = 0; i < nout; i++) {
			/* each pair's blind form is its word's */
			const char *w = text;
			uint8_t want[STORE_BLIND_LEN];
			int found = 0;
			for (int k = 0; k < WORDS && !found; k++) {
				size_t wl = strcspn(w, " ");
				memcpy(word, w, wl);
				store_blinder_blind(bl, word, wl, want);
				found = memcmp(want, ingest_words_blind(g, out[i].word),
				    STORE_BLIND_LEN) == 0;
				w += wl + 1;
			}
			assert_true(found);
		}
		ingest_words_release(g);
	}
	assert_true(generations > DOCS * WORDS / 4 / MAX); /* it did retire them */
	ingest_terms_free(t);
	ingest_blinds_free(b);
	store_blinder_free(bl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token__fixed_cases),
		cmocka_unit_test(test_token__random_texts_match_reference),
		cmocka_unit_test(test_token__ascii_runs_match_reference),
		cmocka_unit_test(test_token__into_equals_next),
		cmocka_unit_test(test_hash__padded_equals_plain),
		cmocka_unit_test(test_terms__distinct_pairs_match_reference),
		cmocka_unit_test(test_terms__tiny_dictionary_wiped_mid_document),
		cmocka_unit_test(test_terms__workers_share_blinds),
		cmocka_unit_test(test_terms__shared_blinds_wiped_while_in_use),
		cmocka_unit_test(test_terms__shared_generation_stays_bounded),
	};

	return cmocka_run_group_tests_name("token", tests, setup, teardown);
}
