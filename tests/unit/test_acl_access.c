/*
 * tests/unit/test_acl_access.c - need-to-know expressions against the Apache
 * accumulo-access conformance vectors (tests/data/accumulo_vectors.tsv):
 * EVAL, SYNTAX, ERRPOS, AUTHS_IN, QUOTE, QUOTE_ERROR, UNQUOTE_ERROR,
 * UNESCAPE, UNESCAPE_ERROR, AUTH_INVALID.  One test per record type; a
 * failure names the vector's line.  NORMALIZE records are not applicable:
 * liaison evaluates expressions as written and never rewrites them.
 */
#include "config.h"

#include "tests/unit/test_acl_util.h"

#define MAXF 8

struct rec {
	int line;
	char *f[MAXF];
	int nf;
};

static struct rec *recs;
static size_t nrecs;

static void
load(void)
{
	FILE *f = fopen(t_datafile("accumulo_vectors.tsv"), "r");
	char buf[16384];
	int line = 0;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", t_datafile("accumulo_vectors.tsv"));
		exit(1);
	}
	while (fgets(buf, sizeof(buf), f)) {
		struct rec r = { .line = ++line };
		char *save = NULL, *t;

		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '#' || buf[0] == '\0')
			continue;
		for (t = strtok_r(buf, "\t", &save); t && r.nf < MAXF; t = strtok_r(NULL, "\t", &save))
			r.f[r.nf++] = strdup(t);
		recs = realloc(recs, (nrecs + 1) * sizeof(*recs));
		recs[nrecs++] = r;
	}
	fclose(f);
}

/* Decode a JSON string literal at *p into out (UTF-8); returns its length. */
static size_t
jstr(const char **p, char *out)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == ',')
		s++;
	assert_true(*s == '"');
	s++;
	while (*s && *s != '"') {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': out[n++] = '\n'; s++; break;
		case 't': out[n++] = '\t'; s++; break;
		case 'r': out[n++] = '\r'; s++; break;
		case 'f': out[n++] = '\f'; s++; break;
		case 'b': out[n++] = '\b'; s++; break;
		case 'u': {
			unsigned v = (unsigned)strtoul((char[]){ s[1], s[2], s[3], s[4], 0 }, NULL, 16);
			s += 5;
			if (v >= 0xD800 && v < 0xDC00 && s[0] == '\\' && s[1] == 'u') {
				unsigned lo = (unsigned)strtoul((char[]){ s[2], s[3], s[4], s[5], 0 }, NULL, 16);
				v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			}
			if (v < 0x80)
				out[n++] = (char)v;
			else if (v < 0x800) {
				out[n++] = (char)(0xC0 | v >> 6);
				out[n++] = (char)(0x80 | (v & 0x3F));
			} else if (v < 0x10000) {
				out[n++] = (char)(0xE0 | v >> 12);
				out[n++] = (char)(0x80 | ((v >> 6) & 0x3F));
				out[n++] = (char)(0x80 | (v & 0x3F));
			} else {
				out[n++] = (char)(0xF0 | v >> 18);
				out[n++] = (char)(0x80 | ((v >> 12) & 0x3F));
				out[n++] = (char)(0x80 | ((v >> 6) & 0x3F));
				out[n++] = (char)(0x80 | (v & 0x3F));
			}
			break;
		}
		default: out[n++] = *s++;
		}
	}
	assert_true(*s == '"');
	*p = s + 1;
	out[n] = '\0';
	return n;
}

static char *
field(const struct rec *r, int i, size_t *len)
{
	static char buf[4][4096];
	const char *p = r->f[i];
	size_t n = jstr(&p, buf[i % 4]);
	if (len)
		*len = n;
	return buf[i % 4];
}

/* Parse a JSON list of strings at *p ("[...]"); returns a NULL-terminated
 * array (strings malloc'd). */
static char **
jlist(const char **p)
{
	char **v = calloc(64, sizeof(*v)), tmp[1024];
	size_t n = 0;
	const char *s = *p;

	while (*s == ' ' || *s == ',')
		s++;
	assert_true(*s == '[');
	s++;
	while (*s == ' ')
		s++;
	while (*s != ']') {
		jstr(&s, tmp);
		v[n++] = strdup(tmp);
		while (*s == ' ' || *s == ',')
			s++;
	}
	*p = s + 1;
	return v;
}

static void
free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int
is(const struct rec *r, const char *type)
{
	return strcmp(r->f[0], type) == 0;
}

static void
test_acl_access__eval_vectors(void **state)
{
	int n = 0;

	(void)state;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		size_t len;
		char *expr;
		const char *p;
		int all = 1, rc = 0;

		if (!is(r, "EVAL"))
			continue;
		n++;
		expr = field(r, 2, &len);
		p = r->f[3];
		while (*p == ' ')
			p++;
		assert_true(*p == '[');
		p++;
		while (*p == ' ' || *p == ',')
			p++;
		while (*p == '[') {
			char **set = jlist(&p);
			size_t ns = 0;
			int res = 0;
			lsn_err err;

			while (set[ns])
				ns++;
			rc = acl_access_eval(expr, len, (const char *const *)set, ns, &res, NULL, &err);
			all = all && rc == 0 && res;
			free_list(set);
			while (*p == ' ' || *p == ',')
				p++;
		}
		if (strcmp(r->f[1], "ERROR") == 0) {
			if (rc == 0)
				fail_msg("line %d: '%s' should be rejected", r->line, expr);
		} else if (rc != 0) {
			fail_msg("line %d: '%s' rejected", r->line, expr);
		} else if (all != (strcmp(r->f[1], "ACCESSIBLE") == 0)) {
			fail_msg("line %d: '%s' should be %s", r->line, expr, r->f[1]);
		}
	}
	assert_true(n > 200);
}

static void
test_acl_access__syntax_vectors(void **state)
{
	int n = 0;

	(void)state;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		size_t len;
		char *expr;
		int rc;
		lsn_err err;

		if (!is(r, "SYNTAX"))
			continue;
		n++;
		expr = field(r, 2, &len);
		rc = acl_access_check(expr, len, NULL, &err);
		if ((rc == 0) != (strcmp(r->f[1], "VALID") == 0))
			fail_msg("line %d: '%s' should be %s", r->line, expr, r->f[1]);
	}
	assert_true(n > 50);
}

static void
test_acl_access__errpos_vectors(void **state)
{
	int n = 0;

	(void)state;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		size_t len, pos = 999;
		char *expr, *msg;
		lsn_err err;

		if (!is(r, "ERRPOS"))
			continue;
		n++;
		expr = field(r, 1, &len);
		msg = field(r, 3, NULL);
		if (acl_access_check(expr, len, &pos, &err) == 0)
			fail_msg("line %d: '%s' accepted", r->line, expr);
		if (pos != (size_t)atoi(r->f[2]) || strstr(err.msg, msg) == NULL)
			fail_msg("line %d: '%s': got %zu '%s', want %s '%s'", r->line, expr, pos,
			    err.msg, r->f[2], msg);
	}
	assert_true(n > 20);
}

static void
test_acl_access__auths_in_vectors(void **state)
{
	int n = 0;

	(void)state;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		size_t len, k;
		char *expr, **want, **got = NULL;
		const char *p;
		lsn_err err;

		if (!is(r, "AUTHS_IN"))
			continue;
		n++;
		expr = field(r, 1, &len);
		p = r->f[2];
		want = jlist(&p);
		if (acl_access_auths(&got, expr, len, &err) != 0)
			fail_msg("line %d: '%s' rejected: %s", r->line, expr, err.msg);
		for (k = 0; want[k] && got[k]; k++)
			if (strcmp(want[k], got[k]) != 0)
				fail_msg("line %d: auth %zu is '%s', want '%s'", r->line, k, got[k], want[k]);
		if (want[k] || got[k])
			fail_msg("line %d: wrong number of authorizations", r->line);
		free_list(want);
		acl_access_free_list(got);
	}
	assert_true(n >= 10);
}

static void
test_acl_access__quote_unquote_unescape_vectors(void **state)
{
	int n = 0;

	(void)state;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		size_t len, olen;
		char *a, *b, *out = NULL;
		lsn_err err;

		if (is(r, "QUOTE")) {
			a = field(r, 1, &len);
			b = field(r, 2, NULL);
			if (acl_access_quote(&out, a, len, &err) != 0 || strcmp(out, b) != 0)
				fail_msg("line %d: quote gave '%s', want '%s'", r->line, out ? out : "error", b);
			free(out);
			/* and back */
			assert_int_equal(acl_access_unquote(&out, &olen, b, strlen(b), &err), 0);
			assert_int_equal(olen, len);
			assert_memory_equal(out, a, len);
			free(out);
		} else if (is(r, "QUOTE_ERROR")) {
			a = field(r, 1, &len);
			if (acl_access_quote(&out, a, len, &err) == 0 ||
			    strstr(err.msg, field(r, 2, NULL)) == NULL)
				fail_msg("line %d: quote error expected", r->line);
		} else if (is(r, "UNQUOTE_ERROR")) {
			a = field(r, 1, &len);
			b = field(r, 2, NULL);
			if (acl_access_unquote(&out, &olen, a, len, &err) == 0 || strstr(err.msg, b) == NULL)
				fail_msg("line %d: unquote of '%s' should fail with '%s'", r->line, a, b);
		} else if (is(r, "UNESCAPE")) {
			a = field(r, 1, &len);
			b = field(r, 2, NULL);
			if (acl_access_unescape(&out, &olen, a, len, &err) != 0 || strcmp(out, b) != 0)
				fail_msg("line %d: unescape of '%s' failed", r->line, a);
			free(out);
		} else if (is(r, "UNESCAPE_ERROR")) {
			a = field(r, 1, &len);
			b = field(r, 2, NULL);
			if (acl_access_unescape(&out, &olen, a, len, &err) == 0 || strstr(err.msg, b) == NULL)
				fail_msg("line %d: unescape of '%s' should fail with '%s'", r->line, a, b);
		} else if (is(r, "AUTH_INVALID")) {
			a = field(r, 1, &len);
			if (acl_access_auth_valid(a, len))
				fail_msg("line %d: authorization should be invalid", r->line);
		} else
			continue;
		n++;
	}
	assert_true(n > 40);
}

static void
test_acl_access__deep_nesting_rejected_not_crashed(void **state)
{
	char expr[2 * 5000 + 2];
	size_t pos;
	lsn_err err;

	(void)state;
	memset(expr, '(', 5000);
	expr[5000] = 'a';
	memset(expr + 5001, ')', 5000);
	expr[10001] = '\0';
	assert_int_equal(acl_access_check(expr, strlen(expr), &pos, &err), LSN_EINPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_access__eval_vectors),
		cmocka_unit_test(test_acl_access__syntax_vectors),
		cmocka_unit_test(test_acl_access__errpos_vectors),
		cmocka_unit_test(test_acl_access__auths_in_vectors),
		cmocka_unit_test(test_acl_access__quote_unquote_unescape_vectors),
		cmocka_unit_test(test_acl_access__deep_nesting_rejected_not_crashed),
	};
	load();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
