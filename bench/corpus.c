/*
 * bench/corpus.c - the deterministic benchmark corpus (corpus.h).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/corpus.h"

#define XML_CAP (16u << 10)
#define TEXT_CAP (12u << 10)

struct corpus {
	uint64_t seed;
	char *words;               /* all words, NUL-separated */
	const char *word[CORPUS_VOCAB];
	const char *nf_word[CORPUS_NF_VOCAB];
	double cdf[CORPUS_VOCAB];  /* Zipf cumulative distribution */
	double nf_cdf[CORPUS_NF_VOCAB];
	corpus_doc doc;
	char text[TEXT_CAP];
	char xml[XML_CAP];
};

uint64_t
corpus_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
corpus_id(uint64_t seed, uint64_t i, char *out, size_t len)
{
	/* splitmix64's finalizer: each step is invertible, so ids are unique. */
	uint64_t z = i;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	snprintf(out, len, "BENCH-%llu-%016llx", (unsigned long long)seed,
	    (unsigned long long)z);
}

static double
unit(uint64_t *s)
{
	return (corpus_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

static unsigned
pick(uint64_t *s, unsigned n)
{
	return (unsigned)(corpus_rand(s) % n);
}

/* Words are made of consonant-vowel syllables without 'q', so that the
 * NOFORN-only words (which start with 'q') can never collide with them. */
static const char cons[] = "bcdfghjklmnprstvwz";
static const char vows[] = "aeiou";

static size_t
make_word(uint64_t *s, char *out, unsigned syl)
{
	size_t n = 0;

	for (unsigned i = 0; i < syl; i++) {
		out[n++] = cons[pick(s, sizeof(cons) - 1)];
		out[n++] = vows[pick(s, sizeof(vows) - 1)];
		if (pick(s, 4) == 0)
			out[n++] = cons[pick(s, sizeof(cons) - 1)];
	}
	out[n] = '\0';
	return n;
}

/* Open-addressing set of word hashes to keep the vocabulary distinct. */
static uint64_t
hash_str(const char *p)
{
	uint64_t h = 1469598103934665603ull;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h | 1;
}

static int
set_add(uint64_t *set, size_t cap, uint64_t h)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (set[i] == h)
			return 0;
		if (set[i] == 0) {
			set[i] = h;
			return 1;
		}
	}
}

static void
zipf_cdf(double *cdf, size_t n, double s)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		cdf[i] = (sum += 1.0 / pow((double)(i + 1), s));
	for (size_t i = 0; i < n; i++)
		cdf[i] /= sum;
}

static size_t
zipf_draw(const double *cdf, size_t n, uint64_t *s)
{
	double u = unit(s);
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
corpus_new(corpus **out, uint64_t seed)
{
	corpus *c = calloc(1, sizeof(*c));
	size_t cap = 1u << 17, used = 0;
	uint64_t *set = calloc(cap, sizeof(*set));
	uint64_t s = seed * 0x2545f4914f6cdd1dull + 17;
	int rc = -1;

	if (c == NULL || set == NULL ||
	    (c->words = malloc((CORPUS_VOCAB + CORPUS_NF_VOCAB) * 24)) == NULL)
		goto out;
	c->seed = seed;
	for (size_t i = 0; i < CORPUS_VOCAB + CORPUS_NF_VOCAB;) {
		char *w = c->words + used;
		size_t n;
		int nf = i >= CORPUS_VOCAB;
		/* Frequent words are short, as in prose. */
		unsigned syl = nf ? 2 + pick(&s, 2) :
		    i < 100 ? 1 + pick(&s, 2) : i < 5000 ? 2 + pick(&s, 2) : 2 + pick(&s, 3);

		if (nf) {
			w[0] = 'q';
			n = 1 + make_word(&s, w + 1, syl);
		} else {
			n = make_word(&s, w, syl);
		}
		if (n < 2 || !set_add(set, cap, hash_str(w)))
			continue;
		if (nf)
			c->nf_word[i - CORPUS_VOCAB] = w;
		else
			c->word[i] = w;
		used += n + 1;
		i++;
	}
	zipf_cdf(c->cdf, CORPUS_VOCAB, 1.1);
	zipf_cdf(c->nf_cdf, CORPUS_NF_VOCAB, 1.1);
	*out = c;
	c = NULL;
	rc = 0;
out:
	free(set);
	corpus_free(c);
	return rc;
}

void
corpus_free(corpus *c)
{
	if (c == NULL)
		return;
	free(c->words);
	free(c);
}

const char *
corpus_word(const corpus *c, size_t r)
{
	return c->word[r % CORPUS_VOCAB];
}

const char *
corpus_nf_word(const corpus *c, size_t i)
{
	return c->nf_word[i % CORPUS_NF_VOCAB];
}

/* Release profiles: a REL TO list (in registry order) and its countries. */
static const struct profile {
	const char *rel;        /* NULL: US only */
	const char *countries;
	unsigned weight;
} profiles[] = {
	{ NULL, "", 15 },
	{ "USA FVEY", " USA AUS CAN NZL GBR ", 32 },
	{ "USA NATO",
	    " USA ALB BEL BGR CAN HRV CZE DNK EST FRA DEU GRC HUN ISL ITA LVA LTU LUX"
	    " MKD MNE NLD NOR POL PRT ROU SVK SVN ESP TUR GBR ", 15 },
	{ "USA GBR", " USA GBR ", 12 },
	{ "USA AUS", " USA AUS ", 8 },
	{ "USA CAN GBR", " USA CAN GBR ", 8 },
	{ "USA AUS GBR", " USA AUS GBR ", 5 },
	{ "USA CAN", " USA CAN ", 5 },
};

static const char *const level_abbr[] = { "", "U", "R", "C", "S", "TS" };

static const char *const originators[] = {
	"J2 Task Force North", "Defense Attache Office", "Joint Analysis Center",
	"Regional Fusion Cell", "Maritime Intelligence Detachment",
	"Counterterrorism Center Liaison Desk", "Embassy Political Section",
};
static const char *const countries[] = {
	"AFG", "IRQ", "SYR", "YEM", "SOM", "LBY", "MLI", "NER", "UKR", "IRN",
};

/* Append text with bounds: the caps are far above what a report needs. */
struct buf {
	char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap)
		n = b->cap - b->n - 1;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->n += (size_t)n < b->cap - b->n ? (size_t)n : b->cap - b->n - 1;
}

/* Prose: sentences of 6-22 Zipf words, about budget bytes; nf_words adds
 * NOFORN-only words. */
static void
prose(corpus *c, uint64_t *s, struct buf *t, size_t budget, int nf_words)
{
	size_t start = t->n;
	int nq = nf_words ? 1 + (int)pick(s, 3) : 0;

	while (t->n - start < budget) {
		unsigned nw = 6 + pick(s, 17);
		for (unsigned k = 0; k < nw; k++) {
			const char *w;
			if (nq > 0 && pick(s, 8) == 0) {
				w = c->nf_word[zipf_draw(c->nf_cdf, CORPUS_NF_VOCAB, s)];
				nq--;
			} else {
				w = c->word[zipf_draw(c->cdf, CORPUS_VOCAB, s)];
			}
			if (t->n > start)
				puts_(t, " ");
			if (k == 0) {
				char up = (char)(w[0] - 'a' + 'A');
				put(t, &up, 1);
				puts_(t, w + 1);
			} else {
				puts_(t, w);
			}
			if (k + 1 < nw && pick(s, 12) == 0)
				puts_(t, ",");
		}
		puts_(t, ".");
	}
	while (nq-- > 0) {
		puts_(t, " ");
		puts_(t, c->nf_word[zipf_draw(c->nf_cdf, CORPUS_NF_VOCAB, s)]);
	}
}

static void
mark_attrs(struct buf *x, const corpus_portion *p, const char *rel)
{
	putf(x, " ism:classification=\"%s\" ism:ownerProducer=\"USA\"", level_abbr[p->level]);
	if (p->nf)
		puts_(x, " ism:disseminationControls=\"NF\"");
	else if (p->rel)
		putf(x, " ism:disseminationControls=\"REL\" ism:releasableTo=\"%s\"", rel);
}

const corpus_doc *
corpus_doc_make(corpus *c, uint64_t i)
{
	corpus_doc *d = &c->doc;
	uint64_t s = c->seed ^ (i * 0xd1342543de82ef95ull) ^ 0x5bd1e995ull;
	struct buf t = { c->text, 0, TEXT_CAP }, x = { c->xml, 0, XML_CAP };
	size_t offs[CORPUS_MAX_PORTIONS], target, npara, budget;
	unsigned w = 0, total = 0, y, m, dd;
	const struct profile *pr = profiles;
	int has_nf_portions;
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	corpus_rand(&s);
	memset(d, 0, sizeof(*d));
	corpus_id(c->seed, i, d->id, sizeof(d->id));
	y = 2020 + pick(&s, 6);
	m = 1 + pick(&s, 12);
	dd = 1 + pick(&s, mdays[m - 1]);
	snprintf(d->date, sizeof(d->date), "%04u-%02u-%02u", y, m, dd);
	d->date_num = y * 10000 + m * 100 + dd;

	for (size_t k = 0; k < sizeof(profiles) / sizeof(profiles[0]); k++)
		total += profiles[k].weight;
	w = pick(&s, total);
	for (size_t k = 0;; k++) {
		if (w < profiles[k].weight) {
			pr = &profiles[k];
			break;
		}
		w -= profiles[k].weight;
	}
	d->rel = pr->rel;
	d->rel_countries = pr->countries;
	/* Level of the report: C 25%, S 55%, TS 20%. */
	w = pick(&s, 100);
	d->level = w < 25 ? 3 : w < 80 ? 4 : 5;
	/* Size: triangular over 2-8 KB with its mode at 5 KB. */
	target = (size_t)(2048 + (unit(&s) + unit(&s)) * 3072);
	npara = 3 + pick(&s, 18);
	/* Markup costs about 200 bytes per paragraph and 700 per report. */
	while (npara > 3 && target < 700 + npara * 260)
		npara--;
	budget = (target - 700 - npara * 200) / npara;
	has_nf_portions = pr->rel == NULL || pick(&s, 100) < 30;

	/* The title: U, no control. */
	d->portions[0].level = 1;
	offs[0] = t.n;
	{
		unsigned nw = 4 + pick(&s, 7);
		for (unsigned k = 0; k < nw; k++) {
			const char *wd = c->word[zipf_draw(c->cdf, CORPUS_VOCAB, &s)];
			char up = (char)(wd[0] - 'a' + 'A');
			if (k)
				puts_(&t, " ");
			put(&t, &up, 1);
			puts_(&t, wd + 1);
		}
		t.n++; /* keep the NUL */
	}
	for (size_t k = 1; k <= npara; k++) {
		corpus_portion *p = &d->portions[k];
		unsigned r = pick(&s, 100);

		p->level = k == 1 || r < 60 ? d->level : r < 85 ? 1 + (int)pick(&s, (unsigned)d->level) : 1;
		if (p->level == 2)
			p->level = 3; /* R is for non-US originators only */
		if (p->level > 1) {
			if (pr->rel == NULL)
				p->nf = 1;
			else if (has_nf_portions && (k == 2 || pick(&s, 100) < 15))
				p->nf = 1;
			else
				p->rel = 1;
		}
		offs[k] = t.n;
		prose(c, &s, &t, budget > 40 ? budget : 40, p->nf);
		t.n++; /* keep the NUL */
	}
	d->nportions = npara + 1;
	for (size_t k = 0; k < d->nportions; k++) {
		corpus_portion *p = &d->portions[k];
		p->text = c->text + offs[k];
		p->len = strlen(p->text);
		if (p->nf)
			d->nf = 1;
		if (p->level > d->level)
			d->level = p->level;
	}

	/* The document. */
	puts_(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	puts_(&x, "<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\"\n");
	putf(&x, "        id=\"%s\" ism:resourceElement=\"true\" ism:createDate=\"%s\"\n       ",
	    d->id, d->date);
	{
		corpus_portion banner = { .level = d->level, .nf = d->nf, .rel = !d->nf };
		mark_attrs(&x, &banner, pr->rel);
	}
	puts_(&x, ">\n  <title");
	mark_attrs(&x, &d->portions[0], pr->rel);
	putf(&x, ">%s</title>\n", d->portions[0].text);
	putf(&x, "  <originator>%s</originator>\n", originators[pick(&s, 7)]);
	putf(&x, "  <date>%s</date>\n", d->date);
	putf(&x, "  <country>%s</country>\n", countries[pick(&s, 10)]);
	putf(&x, "  <keywords>%s %s %s</keywords>\n", c->word[zipf_draw(c->cdf, CORPUS_VOCAB, &s)],
	    c->word[zipf_draw(c->cdf, CORPUS_VOCAB, &s)], c->word[zipf_draw(c->cdf, CORPUS_VOCAB, &s)]);
	puts_(&x, "  <body>\n");
	for (size_t k = 1; k < d->nportions; k++) {
		puts_(&x, "    <p");
		mark_attrs(&x, &d->portions[k], pr->rel);
		putf(&x, ">%s</p>\n", d->portions[k].text);
	}
	puts_(&x, "  </body>\n</report>\n");
	d->xml = c->xml;
	d->xml_len = x.n;
	return d;
}
