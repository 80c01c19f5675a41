/* common/common.c - see common.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/common.h"

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
		for (char *c = err->msg; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
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

static const char *
json_esc(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, 8, "\\u%04x", c);
			return tmp;
		}
		return NULL;
	}
}

size_t
lsn_json_escaped_len(const char *s)
{
	char tmp[8];
	const char *e;
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (e = json_esc(*p, tmp)) ? strlen(e) : 1;
	return n;
}

char *
lsn_json_escape(char *out, const char *s)
{
	char tmp[8];
	const char *e;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((e = json_esc(*p, tmp)) != NULL) {
			size_t n = strlen(e);
			memcpy(out, e, n);
			out += n;
		} else {
			*out++ = (char)*p;
		}
	}
	*out = '\0';
	return out;
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

