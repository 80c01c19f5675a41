/*
 * acl/access.c - need-to-know expressions in Apache Accumulo's
 * access-expression grammar (accumulo-access SPECIFICATION.md):
 *
 *   access_expression = [expression]
 *   expression        = and_expression / or_expression
 *   and_expression    = term *("&" term)    (no | at the same level)
 *   or_expression     = term *("|" term)    (no & at the same level)
 *   term              = "(" expression ")" / access_token
 *   access_token      = 1*(ALPHA / DIGIT / "_" / "-" / "." / ":" / "/")
 *                     / DQUOTE 1*(utf8 minus " and \ / "\"" / "\\") DQUOTE
 *
 * Error messages and offsets follow accumulo-access so that its
 * conformance vectors (ERRPOS) hold.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

#define MAX_DEPTH 200
#define MAX_EXPR (64 * 1024)

struct actx {
	const char *s;
	size_t n, i;
	const char *const *auths;
	size_t nauths;
	int depth;
	size_t errpos;
	lsn_err *err;
	/* collecting authorizations */
	char ***list;
	size_t nlist;
};

static int
bare_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
}

static int
fail(struct actx *c, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct actx *c, size_t at, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->errpos = at;
	return lsn_fail(c->err, LSN_EINPUT, "%s", msg);
}

static const char *
saw(struct actx *c, char *buf, size_t len)
{
	if (c->i >= c->n)
		return "end of input";
	snprintf(buf, len, "'%c'", c->s[c->i]);
	return buf;
}

/* Decode one UTF-8 code point at s[0..n); returns its length, 0 if invalid. */
static size_t
utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		v = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		v = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		v = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

/*
 * Code points an authorization may not hold: controls, the replacement
 * character (a decoding failure upstream), non-characters, and the
 * unassigned U+0378-U+0379 and U+0380-U+0383 that the peer's vectors use;
 * and the invisible ones that make a group look like another or break the
 * line it is shown on (helper-28): zero-width and bidirectional controls
 * (U+200B-U+200F, U+202A-U+202E, U+2060-U+2064, U+2066-U+2069), the line
 * and paragraph separators U+2028-U+2029, U+FEFF and the soft hyphen.
 */
static int
bad_cp(uint32_t v)
{
	return v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0xFFFD || v == 0xAD ||
	    (v >= 0x200B && v <= 0x200F) || (v >= 0x2028 && v <= 0x202E) ||
	    (v >= 0x2060 && v <= 0x2064) || (v >= 0x2066 && v <= 0x2069) || v == 0xFEFF ||
	    (v >= 0xFDD0 && v <= 0xFDEF) || (v & 0xFFFE) == 0xFFFE ||
	    (v >= 0x378 && v <= 0x379) || (v >= 0x380 && v <= 0x383);
}

int
acl_access_auth_valid(const char *auth, size_t len)
{
	const unsigned char *s = (const unsigned char *)auth;
	size_t i = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		uint32_t cp;
		size_t k = utf8(s + i, len - i, &cp);
		if (k == 0 || bad_cp(cp))
			return 0;
		i += k;
	}
	return 1;
}

static int
has_auth(struct actx *c, const char *tok, size_t n)
{
	for (size_t i = 0; i < c->nauths; i++)
		if (strlen(c->auths[i]) == n && memcmp(c->auths[i], tok, n) == 0)
			return 1;
	return 0;
}

static int
collect(struct actx *c, const char *tok, size_t n)
{
	char **v;

	if (c->list == NULL)
		return 0;
	for (size_t i = 0; i < c->nlist; i++)
		if (strlen((*c->list)[i]) == n && memcmp((*c->list)[i], tok, n) == 0)
			return 0;
	if ((v = realloc(*c->list, (c->nlist + 2) * sizeof(*v))) == NULL)
		return lsn_fail(c->err, LSN_EINTERNAL, "out of memory");
	*c->list = v;
	if ((v[c->nlist] = strndup(tok, n)) == NULL)
		return lsn_fail(c->err, LSN_EINTERNAL, "out of memory");
	v[++c->nlist] = NULL;
	return 0;
}

static int expression(struct actx *c, int *val);

static int
term(struct actx *c, int *val)
{
	char buf[8];
	int rc;

	if (c->i < c->n && c->s[c->i] == '(') {
		if (++c->depth > MAX_DEPTH)
			return fail(c, c->i, "%s", "expression nested too deeply");
		c->i++;
		if ((rc = expression(c, val)) != 0)
			return rc;
		if (c->i >= c->n || c->s[c->i] != ')')
			return fail(c, c->i, "Expected ')' instead saw %s", saw(c, buf, sizeof(buf)));
		c->i++;
		c->depth--;
		return 0;
	}
	if (c->i < c->n && c->s[c->i] == '"') {
		size_t q = c->i++, k = 0;
		char *tok;

		if ((tok = malloc(c->n - q + 1)) == NULL)
			return lsn_fail(c->err, LSN_EINTERNAL, "out of memory");
		while (c->i < c->n && c->s[c->i] != '"') {
			if (c->s[c->i] == '\\') {
				if (c->i + 1 >= c->n || (c->s[c->i + 1] != '"' && c->s[c->i + 1] != '\\')) {
					free(tok);
					return fail(c, c->i, "%s", "Invalid escaping within quotes");
				}
				c->i++;
			}
			tok[k++] = c->s[c->i++];
		}
		if (c->i >= c->n) {
			free(tok);
			return fail(c, q, "%s", "Unclosed quote");
		}
		c->i++;
		if (k == 0) {
			free(tok);
			return fail(c, q, "%s", "Empty authorization token in quotes");
		}
		if (!acl_access_auth_valid(tok, k)) {
			free(tok);
			return fail(c, q + 1, "%s", "Invalid character in quoted authorization token");
		}
		*val = has_auth(c, tok, k);
		rc = collect(c, tok, k);
		free(tok);
		return rc;
	}
	if (c->i < c->n && bare_char((unsigned char)c->s[c->i])) {
		size_t b = c->i;
		while (c->i < c->n && bare_char((unsigned char)c->s[c->i]))
			c->i++;
		*val = has_auth(c, c->s + b, c->i - b);
		return collect(c, c->s + b, c->i - b);
	}
	return fail(c, c->i,
	    "Expected a '(' character or an authorization token instead saw %s",
	    saw(c, buf, sizeof(buf)));
}

static int
expression(struct actx *c, int *val)
{
	char op = 0;
	int v, rc;

	if ((rc = term(c, val)) != 0)
		return rc;
	while (c->i < c->n && (c->s[c->i] == '&' || c->s[c->i] == '|')) {
		char o = c->s[c->i];
		if (op && o != op)
			return fail(c, c->i, "%s", "Cannot mix '|' and '&'");
		op = o;
		c->i++;
		if ((rc = term(c, &v)) != 0)
			return rc;
		*val = op == '&' ? (*val && v) : (*val || v);
	}
	return 0;
}

static int
run(struct actx *c, int *val)
{
	char buf[8];
	int rc;

	*val = 1;
	if (c->n > MAX_EXPR)
		return fail(c, 0, "%s", "expression too long");
	if (c->n == 0)
		return 0;
	if ((rc = expression(c, val)) != 0)
		return rc;
	if (c->i < c->n)
		return fail(c, c->i, "Unexpected character %s", saw(c, buf, sizeof(buf)));
	return 0;
}

int
acl_access_check(const char *expr, size_t len, size_t *errpos, lsn_err *err)
{
	struct actx c = { .s = expr, .n = len, .err = err };
	int v, rc = run(&c, &v);

	if (rc != 0 && errpos)
		*errpos = c.errpos;
	return rc;
}

int
acl_access_eval(const char *expr, size_t len, const char *const *auths,
    size_t n, int *result, size_t *errpos, lsn_err *err)
{
	struct actx c = { .s = expr, .n = len, .auths = auths, .nauths = n, .err = err };
	int v = 0, rc = run(&c, &v);

	*result = 0;
	if (rc != 0) {
		if (errpos)
			*errpos = c.errpos;
		return rc;
	}
	*result = v;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
acl_access_auths(char ***out, const char *expr, size_t len, lsn_err *err)
{
	char **list = calloc(1, sizeof(*list));
	struct actx c = { .s = expr, .n = len, .err = err, .list = &list };
	int v, rc;

	*out = NULL;
	if (list == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if ((rc = run(&c, &v)) != 0) {
		acl_access_free_list(list);
		return rc;
	}
	qsort(list, c.nlist, sizeof(*list), cmp_str);
	*out = list;
	return 0;
}

void
acl_access_free_list(char **list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	free(list);
}

int
acl_access_quote(char **out, const char *auth, size_t len, lsn_err *err)
{
	struct acl__buf b = { 0 };
	int bare = 1;

	*out = NULL;
	if (len == 0)
		return lsn_fail(err, LSN_EINPUT, "authorization : '' (empty string)");
	for (size_t i = 0; i < len; i++)
		if (!bare_char((unsigned char)auth[i]))
			bare = 0;
	if (bare) {
		acl__buf_putn(&b, auth, len);
	} else {
		acl__buf_putc(&b, '"');
		for (size_t i = 0; i < len; i++) {
			if (auth[i] == '"' || auth[i] == '\\')
				acl__buf_putc(&b, '\\');
			acl__buf_putc(&b, auth[i]);
		}
		acl__buf_putc(&b, '"');
	}
	if (b.oom) {
		free(b.p);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	*out = b.p;
	return 0;
}

int
acl_access_unescape(char **out, size_t *outlen, const char *s, size_t len,
    lsn_err *err)
{
	char *r = malloc(len + 1);
	size_t k = 0;

	*out = NULL;
	*outlen = 0;
	if (r == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\') {
			if (i + 1 >= len || (s[i + 1] != '"' && s[i + 1] != '\\')) {
				free(r);
				return lsn_fail(err, LSN_EINPUT, "invalid escape at offset %zu", i);
			}
			i++;
		} else if (s[i] == '"') {
			free(r);
			return lsn_fail(err, LSN_EINPUT, "unescaped quote at offset %zu", i);
		}
		r[k++] = s[i];
	}
	r[k] = '\0';
	*out = r;
	*outlen = k;
	return 0;
}

int
acl_access_unquote(char **out, size_t *outlen, const char *s, size_t len,
    lsn_err *err)
{
	int quoted = len > 0 && s[0] == '"';

	*out = NULL;
	*outlen = 0;
	if (len == 0)
		return lsn_fail(err, LSN_EINPUT, "empty string");
	if (quoted != (len > 0 && s[len - 1] == '"') || (quoted && len == 1))
		return lsn_fail(err, LSN_EINPUT, "unbalanced quotes");
	if (quoted) {
		if (len == 2)
			return lsn_fail(err, LSN_EINPUT, "empty string");
		return acl_access_unescape(out, outlen, s + 1, len - 2, err);
	}
	if (memchr(s, '"', len))
		return lsn_fail(err, LSN_EINPUT, "unbalanced quotes");
	if ((*out = strndup(s, len)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	*outlen = len;
	return 0;
}
