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

/* ASCII: a word byte's lower-case form, 0 for a separator. */
static const unsigned char ascii_lower[128] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e',
	['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j',
	['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o',
	['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',
	['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y',
	['z'] = 'z',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
	['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
	['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
	['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
	['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
	['Z'] = 'z',
};

/*
 * Most text is ASCII: those bytes are classified and lower-cased by table,
 * in tight loops; any other byte goes through decode / iswalnum_l /
 * towlower_l.  Both paths give the same words (tests/unit/test_token.c).
 */
int
lsn_token_next(lsn_tokenizer *t, const char **word, size_t *len)
{
	const unsigned char *p = t->p, *end = t->end;
	size_t n = 0, k = 0, m;
	long c;
	char tmp[4];
	int cut = 0;

	/* Skip separators. */
	for (;;) {
		while (p < end && *p < 0x80 && ascii_lower[*p] == 0)
			p++;
		if (p == end) {
			t->p = p;
			return 0;
		}
		if (*p < 0x80)
			break;
		k = decode(p, end, &c);
		if (is_word(c))
			break;
		p += k;
	}
	for (;;) {
		while (p < end && *p < 0x80 && ascii_lower[*p] != 0 && !cut &&
		    n < LSN_TOKEN_MAX)
			t->word[n++] = (char)ascii_lower[*p++];
		if (p == end)
			break;
		if (*p < 0x80) {
			if (ascii_lower[*p] == 0)
				break;
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
			memcpy(t->word + n, tmp, m);
			n += m;
		} else {
			cut = 1;
		}
	}
	t->p = p;
	t->word[n] = '\0';
	*word = t->word;
	*len = n;
	return 1;
}
