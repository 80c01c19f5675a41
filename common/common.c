/* common/common.c - see common.h. */
#include "config.h"

#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/common.h"

/* The length of the valid UTF-8 sequence at p (up to its NUL), or 0:
 * no overlong forms, surrogates or code points past U+10FFFF. */
static size_t
utf8_len(const unsigned char *p)
{
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		unsigned lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		unsigned lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
			(p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

int
lsn_fail(lsn_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		/* One line, and nothing a terminal acts on: a message may quote
		 * an input's value, and a value may hold any character. */
		lsn_clean(err->msg);
	}
	return code;
}

int
lsn_exit_code(int status)
{
	switch (status) {
	case LSN_OK:
		return 0;
	case LSN_EUSAGE:
		return 64;
	case LSN_EINPUT:
		return 65;
	case LSN_ENOTFOUND:
		return 66;
	case LSN_EEXISTS:
		return 73;
	case LSN_EIO:
		return 74;
	case LSN_EDENIED:
		return 77;
	default:
		return 70;
	}
}

const char *
lsn_status_name(int status)
{
	switch (status) {
	case LSN_OK:
		return "ok";
	case LSN_ENOTFOUND:
		return "not found";
	case LSN_EDENIED:
		return "permission denied";
	case LSN_EINPUT:
		return "bad input";
	case LSN_EIO:
		return "I/O error";
	case LSN_EUSAGE:
		return "usage";
	case LSN_EEXISTS:
		return "already exists";
	default:
		return "internal error";
	}
}

void
lsn_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
lsn_wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	lsn_wipe(p, n);
	free(p);
}

void
lsn_wipe_free_block(void *p)
{
	if (p == NULL)
		return;
	lsn_wipe(p, malloc_usable_size(p));
	free(p);
}

void *
lsn_wipe_realloc(void *p, size_t old_size, size_t new_size)
{
	void *q = malloc(new_size ? new_size : 1);

	if (q == NULL)
		return NULL;
	if (p != NULL)
		memcpy(q, p, old_size < new_size ? old_size : new_size);
	lsn_wipe_free(p, old_size);
	return q;
}

void *
lsn_table_alloc(size_t n, size_t size)
{
	size_t len;
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	len = n * size;
	if ((p = malloc(len > 0 ? len : 1)) != NULL)
		memset(p, 0, len);
	return p;
}

int
lsn_ct_memcmp(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

/*
 * Whether the valid UTF-8 character p[0..n) is one that reorders or breaks
 * lines where it is shown: U+2028 and U+2029 (line and paragraph
 * separators, which JavaScript and Python's splitlines() take for line
 * ends), and the bidirectional controls U+061C, U+200E, U+200F,
 * U+202A-U+202E and U+2066-U+2069 (a right-to-left override reorders
 * what follows it on a terminal).  C1 controls are C2 80-9F, tested apart.
 */
static int
layout_char(const unsigned char *p, size_t n)
{
	if (n == 2)
		return p[0] == 0xd8 && p[1] == 0x9c;
	if (n != 3 || p[0] != 0xe2)
		return 0;
	return (p[1] == 0x80 && ((p[2] >= 0xa8 && p[2] <= 0xae) || p[2] == 0x8e ||
		   p[2] == 0x8f)) ||
	    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
}

/* The JSON for the character at p: in *piece (*len bytes), *adv bytes of
 * s.  A byte that begins no valid UTF-8 sequence (a file name can hold
 * any) is U+FFFD, so that the output stays JSON; a C1 control or a
 * layout_char() is escaped (\u0085, \u2028), so that no reader splits a
 * line at it or shows it reordered. */
static void
json_piece(const unsigned char *p, char tmp[8], const char **piece, size_t *len, size_t *adv)
{
	*adv = 1;
	*piece = tmp;
	switch (*p) {
	case '"':
		*piece = "\\\"";
		break;
	case '\\':
		*piece = "\\\\";
		break;
	case '\n':
		*piece = "\\n";
		break;
	case '\r':
		*piece = "\\r";
		break;
	case '\t':
		*piece = "\\t";
		break;
	default:
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(tmp, 8, "\\u%04x", *p);
		} else if (*p < 0x80) {
			*piece = (const char *)p;
			*len = 1;
			return;
		} else if ((*adv = utf8_len(p)) != 0) {
			if ((*adv == 2 && p[0] == 0xc2 && p[1] < 0xa0) || layout_char(p, *adv)) {
				unsigned cp = *adv == 2 ? ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu)
				    : ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
				snprintf(tmp, 8, "\\u%04x", cp);
				*len = strlen(tmp);
				return;
			}
			*piece = (const char *)p;
			*len = *adv;
			return;
		} else {
			*adv = 1;
			*piece = "\\ufffd";
		}
	}
	*len = strlen(*piece);
}

size_t
lsn_json_escaped_len(const char *s)
{
	char tmp[8];
	const char *e;
	size_t n = 0, len, adv;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += adv) {
		json_piece(p, tmp, &e, &len, &adv);
		n += len;
	}
	return n;
}

char *
lsn_json_escape(char *out, const char *s)
{
	char tmp[8];
	const char *e;
	size_t len, adv;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += adv) {
		json_piece(p, tmp, &e, &len, &adv);
		memcpy(out, e, len);
		out += len;
	}
	*out = '\0';
	return out;
}

void
lsn_json_fputs(FILE *f, const char *s)
{
	char tmp[8];
	const char *e;
	size_t len, adv;

	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p += adv) {
		json_piece(p, tmp, &e, &len, &adv);
		fwrite(e, 1, len, f);
	}
	fputc('"', f);
}

/* How many bytes of s are one character a terminal may be shown (*n of
 * them), or 0 for *n bytes that must not be: C0 and C1 controls (U+0080-
 * U+009F: C2 80-9F), DEL, a layout_char(), and a byte that begins no valid
 * UTF-8 sequence. */
static int
safe_char(const unsigned char *p, size_t *n)
{
	*n = *p < 0x80 ? 1 : utf8_len(p);
	if (*n == 0) {
		*n = 1;
		return 0;
	}
	return !(*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] < 0xa0) || layout_char(p, *n));
}

void
lsn_fputs_safe(FILE *f, const char *s)
{
	size_t n;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += n) {
		if (safe_char(p, &n))
			fwrite(p, 1, n, f);
		else
			fputc('?', f);
	}
}

void
lsn_fputs_line(FILE *f, const char *s)
{
	size_t n;
	int space = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += n) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r')) { /* \t \n \v \f \r */
			n = 1;
			space = 1;
			continue;
		}
		if (space)
			fputc(' ', f);
		space = 0;
		if (safe_char(p, &n))
			fwrite(p, 1, n, f);
		else
			fputc('?', f);
	}
	if (space)
		fputc(' ', f);
}

void
lsn_clean(char *s)
{
	size_t n;

	for (unsigned char *p = (unsigned char *)s; *p; p += n)
		if (!safe_char(p, &n))
			memset(p, '?', n);
}

/* Chosen at start-up, so that report text cannot be written to collide in
 * ingest's tables (which would make every lookup a long probe). */
uint64_t lsn_hash_seed = 0x9e3779b97f4a7c15ULL;

__attribute__((constructor)) static void
hash_seed_init(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		lsn_hash_seed ^= s;
}

