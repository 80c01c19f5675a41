/*
 * query/parse.c - the query language (query.h) into a tree.
 *
 *   expr    := and { "OR" and }
 *   and     := unary { ["AND"] unary }
 *   unary   := "NOT" unary | "(" expr ")" | term
 *   term    := WORD | "PHRASE" | FIELD ":" (WORD | "PHRASE" | VALUE)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/internal.h"

struct parser {
	const char *s;
	size_t pos, len;
	int leaves;
	lsn_err *err;
	size_t *errpos;
};

static int
fail_at(struct parser *p, size_t pos, const char *why)
{
	if (p->errpos)
		*p->errpos = pos;
	return lsn_fail(p->err, LSN_EINPUT, "at position %zu: %s", pos, why);
}

void
query__node_free(struct query__node *n)
{
	if (n == NULL)
		return;
	query__node_free(n->a);
	query__node_free(n->b);
	for (size_t i = 0; i < n->nwords; i++) /* a query's words are sensitive */
		lsn_wipe_free(n->words[i], strlen(n->words[i]));
	free(n->words);
	free(n->word_ix);
	if (n->text != NULL)
		lsn_wipe_free(n->text, strlen(n->text));
	free(n);
}

void
query_free(query *q)
{
	if (q == NULL)
		return;
	query__node_free(q->root);
	free(q);
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				      p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static struct query__node *
new_node(int type)
{
	struct query__node *n = calloc(1, sizeof(*n));

	if (n != NULL)
		n->type = type;
	return n;
}

/* Is the next token the operator word op (upper case, a whole token)? */
static int
at_op(struct parser *p, const char *op)
{
	size_t n = strlen(op), e = p->pos + n;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, op, n) != 0)
		return 0;
	return e == p->len || strchr(" \t\r\n()\"", p->s[e]) != NULL;
}

/* Tokenize text into words; 0 words is an error at pos. */
static int
words_of(struct parser *p, const char *text, size_t len, size_t pos,
    struct query__node *n)
{
	lsn_tokenizer tk;
	const char *w;
	size_t wl, cap = 0;

	if (lsn_token_init(&tk, text, len) != 0)
		return lsn_fail(p->err, LSN_EINTERNAL, "no C.UTF-8 locale");
	int oom = 0;
	while (!oom && lsn_token_next(&tk, &w, &wl)) {
		if (n->nwords == cap) {
			cap = cap ? cap * 2 : 4;
			char **nw = realloc(n->words, cap * sizeof(*nw));
			if (nw == NULL) {
				oom = 1;
				break;
			}
			n->words = nw;
		}
		if ((n->words[n->nwords] = strndup(w, wl)) == NULL)
			oom = 1;
		else
			n->nwords++;
	}
	lsn_wipe(&tk, sizeof(tk)); /* its buffer holds the last word */
	if (oom)
		return lsn_fail(p->err, LSN_EINTERNAL, "out of memory");
	if (n->nwords == 0)
		return fail_at(p, pos, "no word to search for here");
	if (n->nwords > QUERY_MAX_TERMS)
		return fail_at(p, pos, "a phrase of more than 64 words");
	return 0;
}

static const struct {
	const char *name;
	int kind; /* enum ingest_kind, 0: any */
	int type;
} fields[] = {
	{ "title", INGEST_TITLE, Q_WORDS },
	{ "originator", INGEST_ORIGINATOR, Q_WORDS },
	{ "country", INGEST_COUNTRY, Q_WORDS },
	{ "keyword", INGEST_KEYWORDS, Q_WORDS },
	{ "keywords", INGEST_KEYWORDS, Q_WORDS },
	{ "id", 0, Q_ID },
	{ "class", 0, Q_CLASS },
	{ "rel", 0, Q_REL },
	{ "date", 0, Q_DATE },
};

/* A field's value: a bare value up to white space or ")", or a phrase. */
static int
field_value(struct parser *p, struct query__node *n, int type, size_t vpos)
{
	const char *v = p->s + p->pos;
	size_t vl = 0;

	if (p->pos < p->len && p->s[p->pos] == '"') {
		const char *q = memchr(p->s + p->pos + 1, '"', p->len - p->pos - 1);
		if (q == NULL)
			return fail_at(p, p->pos, "unterminated \"phrase\"");
		if (type != Q_WORDS)
			return fail_at(p, p->pos, "this field takes a single value, not a phrase");
		v = p->s + p->pos + 1;
		vl = (size_t)(q - v);
		p->pos = (size_t)(q - p->s) + 1;
	} else {
		while (p->pos + vl < p->len && !strchr(" \t\r\n()\"", p->s[p->pos + vl]))
			vl++;
		p->pos += vl;
	}
	if (vl == 0)
		return fail_at(p, vpos, "a value is missing after the field name");
	switch (type) {
	case Q_WORDS:
		return words_of(p, v, vl, vpos, n);
	case Q_ID:
		if ((n->text = strndup(v, vl)) == NULL)
			return lsn_fail(p->err, LSN_EINTERNAL, "out of memory");
		return 0;
	case Q_REL:
		if (vl != 3 && vl != 4)
			return fail_at(p, vpos, "rel: takes a country trigraph or tetragraph");
		if ((n->text = strndup(v, vl)) == NULL)
			return lsn_fail(p->err, LSN_EINTERNAL, "out of memory");
		for (char *c = n->text; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 32);
		return 0;
	case Q_CLASS: {
		size_t k = 0;
		n->cmp = '=';
		if (vl >= 2 && (v[0] == '<' || v[0] == '>') && v[1] == '=') {
			n->cmp = v[0] == '<' ? 'l' : 'g';
			k = 2;
		} else if (v[0] == '<' || v[0] == '>' || v[0] == '=') {
			n->cmp = v[0];
			k = 1;
		}
		if ((n->level = acl_level_parse(v + k, vl - k)) == 0)
			return fail_at(p, vpos + k, "class: takes U, R, C, S or TS");
		return 0;
	}
	case Q_DATE: {
		const char *dots = NULL;
		for (size_t i = 0; i + 1 < vl; i++)
			if (v[i] == '.' && v[i + 1] == '.') {
				dots = v + i;
				break;
			}
		if (dots == NULL) {
			if ((n->from = n->to = ingest_date_parse(v, vl)) == 0)
				return fail_at(p, vpos, "date: takes YYYY-MM-DD or FROM..TO");
			return 0;
		}
		size_t a = (size_t)(dots - v), b = vl - a - 2;
		n->from = a ? ingest_date_parse(v, a) : 1;
		n->to = b ? ingest_date_parse(dots + 2, b) : 99991231;
		if (n->from == 0)
			return fail_at(p, vpos, "date: the start is not YYYY-MM-DD");
		if (n->to == 0)
			return fail_at(p, vpos + a + 2, "date: the end is not YYYY-MM-DD");
		if (n->from > n->to)
			return fail_at(p, vpos, "date: the range ends before it starts");
		return 0;
	}
	}
	return LSN_EINTERNAL;
}

static int parse_or(struct parser *p, struct query__node **out);

static int
leaf(struct parser *p, struct query__node *n)
{
	if (++p->leaves > QUERY_MAX_TERMS)
		return fail_at(p, p->pos, "more than 64 terms: narrow the query");
	(void)n;
	return 0;
}

static int
parse_term(struct parser *p, struct query__node **out)
{
	struct query__node *n = NULL;
	size_t start = p->pos;
	int rc;

	if (p->pos >= p->len)
		return fail_at(p, p->pos, "the query ends where a term was expected");
	if (p->s[p->pos] == ')')
		return fail_at(p, p->pos, "unexpected \")\"");
	if ((n = new_node(Q_WORDS)) == NULL)
		return lsn_fail(p->err, LSN_EINTERNAL, "out of memory");
	if ((rc = leaf(p, n)) != 0)
		goto out;
	if (p->s[p->pos] == '"') {
		const char *q = memchr(p->s + p->pos + 1, '"', p->len - p->pos - 1);
		if (q == NULL) {
			rc = fail_at(p, p->pos, "unterminated \"phrase\"");
			goto out;
		}
		rc = words_of(p, p->s + p->pos + 1, (size_t)(q - p->s) - p->pos - 1, p->pos, n);
		p->pos = (size_t)(q - p->s) + 1;
		goto out;
	}
	/* A field is a known name followed by ':'. */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t fl = strlen(fields[i].name);
		if (p->len - p->pos > fl && strncasecmp(p->s + p->pos, fields[i].name, fl) == 0 &&
		    p->s[p->pos + fl] == ':') {
			n->type = fields[i].type;
			n->kind = fields[i].kind;
			p->pos += fl + 1;
			rc = field_value(p, n, n->type, p->pos);
			goto out;
		}
	}
	/* A plain word (several, if the tokenizer splits it: a phrase). */
	size_t wl = 0;
	while (p->pos + wl < p->len && !strchr(" \t\r\n()\"", p->s[p->pos + wl]))
		wl++;
	const char *colon = memchr(p->s + p->pos, ':', wl);
	if (colon != NULL && colon > p->s + p->pos) {
		char why[160];
		int nl = (int)(colon - p->s - p->pos);
		snprintf(why, sizeof(why), "unknown field \"%.*s\" (fields: title originator "
		    "country keyword id class rel date)", nl > 32 ? 32 : nl, p->s + p->pos);
		rc = fail_at(p, start, why);
		goto out;
	}
	rc = words_of(p, p->s + p->pos, wl, start, n);
	p->pos += wl;
out:
	if (rc != 0) {
		query__node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

static int
parse_unary(struct parser *p, struct query__node **out)
{
	struct query__node *n = NULL;
	size_t at;
	int rc;

	skip_ws(p);
	at = p->pos;
	if (at_op(p, "NOT")) {
		p->pos += 3;
		if ((n = new_node(Q_NOT)) == NULL)
			return lsn_fail(p->err, LSN_EINTERNAL, "out of memory");
		if ((rc = parse_unary(p, &n->a)) != 0) {
			query__node_free(n);
			return rc;
		}
		*out = n;
		return 0;
	}
	if (at_op(p, "AND") || at_op(p, "OR"))
		return fail_at(p, at, "an operator where a term was expected");
	if (p->pos < p->len && p->s[p->pos] == '(') {
		p->pos++;
		if ((rc = parse_or(p, &n)) != 0)
			return rc;
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ')') {
			query__node_free(n);
			return fail_at(p, p->pos, "\")\" expected");
		}
		p->pos++;
		*out = n;
		return 0;
	}
	return parse_term(p, out);
}

static int
join(struct parser *p, int type, struct query__node **left, struct query__node *right)
{
	struct query__node *n = new_node(type);

	if (n == NULL) {
		query__node_free(right);
		return lsn_fail(p->err, LSN_EINTERNAL, "out of memory");
	}
	n->a = *left;
	n->b = right;
	*left = n;
	return 0;
}

static int
parse_and(struct parser *p, struct query__node **out)
{
	struct query__node *left = NULL, *right = NULL;
	int rc;

	if ((rc = parse_unary(p, &left)) != 0)
		return rc;
	for (;;) {
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] == ')' || at_op(p, "OR"))
			break;
		if (at_op(p, "AND"))
			p->pos += 3; /* explicit; otherwise implied */
		if ((rc = parse_unary(p, &right)) != 0 ||
		    (rc = join(p, Q_AND, &left, right)) != 0) {
			query__node_free(left);
			return rc;
		}
	}
	*out = left;
	return 0;
}

static int
parse_or(struct parser *p, struct query__node **out)
{
	struct query__node *left = NULL, *right = NULL;
	int rc;

	if ((rc = parse_and(p, &left)) != 0)
		return rc;
	for (;;) {
		skip_ws(p);
		if (!at_op(p, "OR"))
			break;
		p->pos += 2;
		if ((rc = parse_and(p, &right)) != 0 || (rc = join(p, Q_OR, &left, right)) != 0) {
			query__node_free(left);
			return rc;
		}
	}
	*out = left;
	return 0;
}

int
query_parse(query **out, const char *text, size_t *errpos, lsn_err *err)
{
	struct parser p = { text, 0, strlen(text), 0, err, errpos };
	query *q = NULL;
	int rc;

	*out = NULL;
	if (p.len > QUERY_MAX_LEN)
		return fail_at(&p, QUERY_MAX_LEN, "the query is longer than 4096 bytes");
	skip_ws(&p);
	if (p.pos == p.len)
		return fail_at(&p, 0, "the query is empty");
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if ((rc = parse_or(&p, &q->root)) != 0) {
		free(q);
		return rc;
	}
	skip_ws(&p);
	if (p.pos < p.len) {
		query_free(q);
		return fail_at(&p, p.pos, "unexpected \")\"");
	}
	*out = q;
	return 0;
}
