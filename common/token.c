/*
 * common/token.c - the word tokenizer shared by ingest and query.
 */
#include "config.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

#include "common/common.h"

static locale_t utf8;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void
utf8_init(void)
{
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int
lsn_token_init(lsn_tokenizer *t, const char *text, size_t len)
{
	pthread_once(&utf8_once, utf8_init);
	t->p = (const unsigned char *)text;
	t->end = t->p + len;
	t->win = NULL;
	t->win_words = 0;
	return utf8 == (locale_t)0 ? LSN_EINTERNAL : 0;
}

/* Decode one UTF-8 character; returns its length (0 at end), *c = -1 when
 * the bytes are not valid UTF-8 (the length is then 1). */
static size_t
decode(const unsigned char *p, const unsigned char *end, long *c)
{
	size_t n, i;
	long v;

	if (p >= end)
		return 0;
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
		goto bad;
	if ((size_t)(end - p) < n)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		goto bad;
	*c = v;
	return n;
bad:
	*c = -1;
	return 1;
}

static size_t
encode(long c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static int
is_word(long c)
{
	if (c < 0)
		return 0;
	if (c < 0x80) /* fast path */
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
	return iswalnum_l((wint_t)c, utf8) != 0;
}

/* A byte's class: for ASCII its lower-case form when it is a word byte, 0
 * for a separator; NONASCII for every byte of a longer UTF-8 character. */
#define NONASCII 0x80
#define A(c) [c] = c
#define U(c) [c] = c + ('a' - 'A')
static const unsigned char byte_class[256] = {
	A('0'), A('1'), A('2'), A('3'), A('4'), A('5'), A('6'), A('7'), A('8'), A('9'),
	A('a'), A('b'), A('c'), A('d'), A('e'), A('f'), A('g'), A('h'), A('i'),
	A('j'), A('k'), A('l'), A('m'), A('n'), A('o'), A('p'), A('q'), A('r'),
	A('s'), A('t'), A('u'), A('v'), A('w'), A('x'), A('y'), A('z'),
	U('A'), U('B'), U('C'), U('D'), U('E'), U('F'), U('G'), U('H'), U('I'),
	U('J'), U('K'), U('L'), U('M'), U('N'), U('O'), U('P'), U('Q'), U('R'),
	U('S'), U('T'), U('U'), U('V'), U('W'), U('X'), U('Y'), U('Z'),
	[0x80 ... 0xff] = NONASCII,
};
#undef A
#undef U

/* An ASCII word byte: class 1..127. */
static inline int
ascii_word(unsigned char cls)
{
	return (unsigned char)(cls - 1) < 0x7f;
}

/*
 * Eight ASCII bytes at a time (a little-endian load): each byte of x that
 * is an ASCII letter or digit has its top bit set in the result, every
 * other byte (a separator, or a byte of a longer UTF-8 character) has it
 * clear; *lower is x with A-Z lower-cased.  Each byte's range test adds
 * without a carry into the next byte, because the top bits are cleared
 * first and put back as "not ASCII" at the end.
 */
#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL
#define AT_LEAST(x, lo) ((x) + (0x80 - (lo)) * ONES)
#define IN_RANGE(x, lo, hi) (AT_LEAST(x, lo) & ~AT_LEAST(x, (hi) + 1))

static inline uint64_t
word_bytes8(uint64_t x, uint64_t *lower)
{
	uint64_t a = x & ~HIGH, upper = IN_RANGE(a, 'A', 'Z') & HIGH;
	uint64_t w = (IN_RANGE(a, '0', '9') | IN_RANGE(a, 'a', 'z')) & HIGH;

	*lower = x | upper >> 2; /* 0x80 >> 2 is 'a' - 'A' */
	return (w | upper) & ~x;
}

/* How many bytes lead a group of eight before the first with its top bit
 * set in m (8 if none). */
static inline size_t
lead8(uint64_t m)
{
	return m == 0 ? 8 : (size_t)__builtin_ctzll(m) / 8;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
#else
#define SWAR 0 /* the byte loops alone */
#endif

/*
 * The word bytes of the 64 at p as a mask (bit i: p[i] is an ASCII letter
 * or digit), *ascii 0 when any of them is not ASCII.  The top bit of each
 * byte of a group of eight is gathered into one byte by a multiplication:
 * byte k's bit lands in bit 56 + k alone.
 */
#define WINDOW 64
static inline uint64_t
window_words(const unsigned char *p, int *ascii)
{
	uint64_t m = 0, any = 0, x, lower;

	for (unsigned g = 0; g < WINDOW / 8; g++) {
		memcpy(&x, p + 8 * g, 8);
		any |= x;
		m |= (((word_bytes8(x, &lower) & HIGH) >> 7) * 0x0102040810204080ULL) >> 56
		    << (8 * g);
	}
	*ascii = (any & HIGH) == 0;
	return m;
}

/*
 * The next word from the window (the 64 bytes at t->win, all ASCII, every
 * one of them and 16 more inside the text): 1 and the word in out, as
 * lsn_token_next_into writes it; 0 when the window cannot say (it holds
 * no more words, or the next one may run past it or is longer than 16
 * bytes), with *p moved to where the byte loops go on: past the window's
 * separators, at the start of such a word.
 */
static inline int
window_next(lsn_tokenizer *t, const unsigned char **p, char *out, size_t *len)
{
	size_t off = (size_t)(*p - t->win), s, n;
	uint64_t m = t->win_words >> off, rest, x, lower, keep;

	if (m == 0) {
		*p = t->win + WINDOW; /* separators to the window's end */
		return 0;
	}
	s = (size_t)__builtin_ctzll(m);
	rest = ~(m >> s);
	n = rest == 0 ? WINDOW : (size_t)__builtin_ctzll(rest);
	*p += s;
	if (off + s + n >= WINDOW || n > 16)
		return 0;
	memcpy(&x, *p, 8);
	(void)word_bytes8(x, &lower);
	if (n < 8) {
		keep = (1ULL << (8 * n)) - 1;
		lower &= keep;
		memcpy(out, &lower, 8);
	} else {
		memcpy(out, &lower, 8);
		memcpy(&x, *p + 8, 8);
		(void)word_bytes8(x, &lower);
		keep = n == 8 ? 0 : n == 16 ? ~0ULL : (1ULL << (8 * (n - 8))) - 1;
		lower &= keep;
		memcpy(out + 8, &lower, 8);
		if (n == 16) {
			lower = 0;
			memcpy(out + 16, &lower, 8);
		}
	}
	*p += n;
	*len = n;
	return 1;
}

/*
 * Most text is ASCII: those bytes are classified and lower-cased eight at
 * a time where eight remain (word_bytes8), else by table, one at a time;
 * any other byte goes through decode / iswalnum_l / towlower_l.  All paths
 * give the same words (tests/unit/test_token.c).
 *
 * A word is written 8 bytes at a time from out's start, its last group
 * zero-filled past its end: a caller that reads it 8 bytes at a time (the
 * hash of ingest's dictionary) then loads exactly what was stored, which
 * the processor forwards from its store buffer; a load that spans
 * narrower stores waits for them to reach the cache.
 */
int
lsn_token_next_into(lsn_tokenizer *t, char out[LSN_TOKEN_MAX + 8], size_t *len)
{
	const unsigned char *p = t->p, *end = t->end, *stop;
	size_t n = 0, k = 0, m, zero_at = SIZE_MAX;
	unsigned char cls;
	uint64_t x, lower;
	long c;
	char tmp[4];
	int cut = 0;

	/* Most words: from a window of 64 bytes classified at once. */
	while (SWAR && end - p >= WINDOW + 16) {
		if (t->win == NULL || p < t->win || p >= t->win + WINDOW) {
			t->win = p;
			t->win_words = window_words(p, &t->win_ascii);
		}
		if (!t->win_ascii)
			break; /* the byte loops, up to the window's end */
		if (window_next(t, &p, out, len)) {
			t->p = p;
			return 1;
		}
		if (p < t->win + WINDOW) {
			if (p == t->win)
				break; /* a word of 64 bytes or more, or over 16 */
			t->win = NULL; /* a word that may run on: a window from it */
		}
	}
	/* Skip separators. */
	for (;;) {
		while (SWAR && end - p >= 8) {
			memcpy(&x, p, 8);
			m = lead8((word_bytes8(x, &lower) | x) & HIGH);
			p += m;
			if (m < 8)
				break;
		}
		while (p < end && byte_class[*p] == 0)
			p++;
		if (p == end) {
			t->p = p;
			return 0;
		}
		if (byte_class[*p] != NONASCII)
			break;
		k = decode(p, end, &c);
		if (is_word(c))
			break;
		p += k;
	}
	for (;;) {
		/* ASCII word bytes, eight at a time while eight fit. */
		while (SWAR && !cut && end - p >= 8 && n + 8 <= LSN_TOKEN_MAX) {
			memcpy(&x, p, 8);
			m = lead8(~word_bytes8(x, &lower) & HIGH);
			lower &= m == 8 ? ~0ULL : (1ULL << (8 * m)) - 1;
			memcpy(out + n, &lower, 8);
			n += m;
			p += m;
			if (m < 8) {
				zero_at = n;
				break;
			}
		}
		/* Then one at a time, up to the cap. */
		stop = cut ? p : (size_t)(end - p) > LSN_TOKEN_MAX - n ? p + (LSN_TOKEN_MAX - n) : end;
		while (p < stop && ascii_word(cls = byte_class[*p])) {
			out[n++] = (char)cls;
			p++;
		}
		if (p == end)
			break;
		cls = byte_class[*p];
		if (cls == 0)
			break;
		if (cls != NONASCII) {
			cut = 1; /* at the cap: the rest of the word is dropped */
			p++;
			continue;
		}
		if ((k = decode(p, end, &c)) == 0 || !is_word(c))
			break;
		p += k;
		m = encode((long)towlower_l((wint_t)c, utf8), tmp);
		/* Past the cap the word is cut on a character boundary; the rest
		 * of it is consumed and dropped. */
		if (!cut && n + m <= LSN_TOKEN_MAX) {
			memcpy(out + n, tmp, m);
			n += m;
		} else {
			cut = 1;
		}
	}
	t->p = p;
	if (zero_at != n) /* else the last group stored ended in zeros */
		out[n] = '\0';
	*len = n;
	return 1;
}

int
lsn_token_next(lsn_tokenizer *t, const char **word, size_t *len)
{
	*word = t->word;
	return lsn_token_next_into(t, t->word, len);
}
