/*
 * ingest/parse.c - one XML document in, safely: caps, no DTD, no entities,
 * no network, UTF-8 only; native reports validated against the schema;
 * markings validated; the banner checked against the roll-up.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "ingest/ingest.h"

#define ISM_NS "urn:us:gov:ic:ism"
#define LSN_NS "urn:liaison:report:1"
#define SCHEMA_FILE "report.xsd"

/*
 * Markings repeat across a corpus far more than within a report: the
 * parser keeps the validated markings it has seen, keyed by their ISM
 * attributes as written ("name=value\n" lines in document order), shared
 * by the worker threads.  A report asks once per distinct marking (the
 * build's own cache takes its repeats), so the lock is taken a few times a
 * report.
 */
#define SHARED_MARKINGS 256

struct shared_marking {
	uint32_t hash; /* lsn_hash32 of key: most entries are passed by on it */
	char *key;
	acl_marking *m; /* validated */
};

struct ingest_parser {
	const acl_data *data;
	xmlSchemaPtr schema;
	pthread_rwlock_t lock;
	struct shared_marking marks[SHARED_MARKINGS];
	size_t nmarks;
};

/* A copy of the validated marking written as key, or 1 when there is none
 * (or no memory: the caller parses). */
static int
shared_find(ingest_parser *p, const char *key, acl_marking **out)
{
	uint32_t h = lsn_hash32(key, strlen(key));
	int rc = 1;

	pthread_rwlock_rdlock(&p->lock);
	for (size_t i = 0; i < p->nmarks; i++)
		if (p->marks[i].hash == h && strcmp(p->marks[i].key, key) == 0) {
			rc = acl_marking_dup(out, p->marks[i].m, NULL) == 0 ? 0 : 1;
			break;
		}
	pthread_rwlock_unlock(&p->lock);
	return rc;
}

/* Remember a validated marking (until the table is full). */
static void
shared_add(ingest_parser *p, const char *key, const acl_marking *m)
{
	uint32_t h = lsn_hash32(key, strlen(key));
	acl_marking *copy = NULL;
	char *k = NULL;

	pthread_rwlock_wrlock(&p->lock);
	if (p->nmarks < SHARED_MARKINGS && (k = strdup(key)) != NULL &&
	    acl_marking_dup(&copy, m, NULL) == 0) {
		for (size_t i = 0; i < p->nmarks; i++)
			if (p->marks[i].hash == h && strcmp(p->marks[i].key, key) == 0)
				goto out; /* the other thread was first */
		p->marks[p->nmarks].hash = h;
		p->marks[p->nmarks].key = k;
		p->marks[p->nmarks++].m = copy;
		k = NULL;
		copy = NULL;
	}
out:
	pthread_rwlock_unlock(&p->lock);
	free(k);
	acl_marking_free(copy);
}

static const char *const kind_names[] = { "?", "title", "originator", "country",
	"keywords", "p", "portion" };

const char *
ingest_kind_name(int kind)
{
	return kind >= 1 && kind <= 6 ? kind_names[kind] : "?";
}

static void
silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
silent_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

/* libxml2's error handlers are per thread: silence them in each thread. */
static void
quiet_libxml(void)
{
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(NULL, silent_structured);
}

int
ingest_parser_new(ingest_parser **out, const acl_data *data, lsn_err *err)
{
	ingest_parser *p = NULL;
	xmlSchemaParserCtxtPtr pc = NULL;
	const char *dirs[] = { getenv("LIAISON_SCHEMA_DIR"), getenv("LIAISON_DATA_DIR"),
		LSN_DATADIR };
	char path[4096] = "";
	FILE *f = NULL;
	int rc = 0;

	*out = NULL;
	ingest__xml_mem_setup();
	quiet_libxml();
	/* $LIAISON_SCHEMA_DIR, else $LIAISON_DATA_DIR, else the installed
	 * copy: the first that is set is the only one looked in, as for the
	 * marking data.  Falling back past a directory the user named used a
	 * schema they did not choose, and the error named the installed path
	 * instead of theirs. */
	size_t i = 0;
	while (i < 2 && (dirs[i] == NULL || dirs[i][0] == '\0'))
		i++;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dirs[i], SCHEMA_FILE) >=
	    sizeof(path))
		return lsn_fail(err, LSN_ENOTFOUND, "cannot open the report schema %s/%s: %s",
		    dirs[i], SCHEMA_FILE, strerror(ENAMETOOLONG));
	if ((f = fopen(path, "r")) == NULL)
		return lsn_fail(err, LSN_ENOTFOUND, "cannot open the report schema %s: %s", path,
		    strerror(errno));
	fclose(f);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if (pthread_rwlock_init(&p->lock, NULL) != 0) {
		free(p);
		return lsn_fail(err, LSN_EINTERNAL, "cannot create a lock");
	}
	p->data = data;
	if ((pc = xmlSchemaNewParserCtxt(path)) == NULL ||
	    (p->schema = xmlSchemaParse(pc)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "cannot load the report schema %s", path);
		ingest_parser_free(p);
		p = NULL;
	}
	xmlSchemaFreeParserCtxt(pc);
	*out = p;
	return rc;
}

void
ingest_parser_free(ingest_parser *p)
{
	if (p == NULL)
		return;
	if (p->schema != NULL)
		xmlSchemaFree(p->schema);
	for (size_t i = 0; i < p->nmarks; i++) {
		free(p->marks[i].key);
		acl_marking_free(p->marks[i].m);
	}
	pthread_rwlock_destroy(&p->lock);
	free(p);
}

void
ingest_portion_clear(ingest_portion *p)
{
	if (!p->element_static)
		free(p->element);
	p->element_static = 0;
	lsn_wipe_free(p->text, p->text_len);
	acl_marking_free(p->marking);
	free(p->ntk);
	p->element = p->text = p->ntk = NULL;
	p->text_len = 0;
	p->marking = NULL;
}

void
ingest_doc_free(ingest_doc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nportions; i++)
		ingest_portion_clear(&d->portions[i]);
	free(d->portions);
	for (size_t i = 0; i < d->nblanks; i++)
		ingest_portion_clear(&d->blanks[i]);
	free(d->blanks);
	acl_marking_free(d->banner);
	free(d->old_banner);
	free(d->id);
	free(d);
}

/* ---- byte-level checks, before libxml2 sees anything ---- */

static unsigned
line_at(const char *buf, size_t off)
{
	unsigned line = 1;

	for (size_t i = 0; i < off; i++)
		line += buf[i] == '\n';
	return line;
}

/* Valid UTF-8 without NUL; else the offset of the first bad byte. */
static int
check_bytes(const char *buf, size_t len, size_t *bad, const char **why)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		size_t n;
		unsigned long v;

		/* Eight ASCII bytes, none of them NUL, at a time. */
		while (end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (((w | ((w - 0x0101010101010101ULL) & ~w)) & 0x8080808080808080ULL) != 0)
				break;
			p += 8;
		}
		if (p == end)
			break;
		c = *p;

		if (c == 0) {
			*why = "a NUL byte";
			goto bad;
		}
		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 2, v = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 3, v = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 4, v = c & 0x07;
		else
			goto invalid;
		if ((size_t)(end - p) < n)
			goto invalid;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				goto invalid;
			v = (v << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) ||
		    (n == 4 && v < 0x10000) || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
			goto invalid;
		p += n;
	}
	return 0;
invalid:
	*why = "invalid UTF-8";
bad:
	*bad = (size_t)(p - (const unsigned char *)buf);
	return -1;
}

/* ---- tree helpers ---- */

/* ---- an element's ISM attributes, as written ---- */

/*
 * A marking is read from an element's ism:* attributes, and is also known
 * by them: the same attributes written the same way are the same marking,
 * validated once (the build's cache, then the parser's).  The key lists
 * them in document order as name US value RS, US and RS being the control
 * characters 0x1f and 0x1e.  XML 1.0 allows neither in a document, raw or
 * as a character reference (libxml2 rejects both), so no value can forge a
 * separator: "name=value" lines could, with a value holding &#10;.
 */
struct attrs {
	char *s; /* NUL-terminated */
	size_t len, cap;
};

#define ATTR_US '\x1f'
#define ATTR_RS '\x1e'

static void
attrs_free(struct attrs *a)
{
	free(a->s);
	a->s = NULL;
	a->len = a->cap = 0;
}

/* Make room for need more bytes and the NUL. */
static int
attrs_room(struct attrs *a, size_t need)
{
	if (a->len + need + 1 <= a->cap)
		return 0;
	size_t cap = 2 * (a->len + need + 1);
	char *s = realloc(a->s, cap < 256 ? 256 : cap);
	if (s == NULL)
		return -1;
	a->s = s;
	a->cap = cap < 256 ? 256 : cap;
	return 0;
}

/* v[0..vl) into out (room for vl bytes), its length returned.  With amp,
 * v is as libxml2 hands attribute values to SAX handlers without entity
 * substitution: each '&' the document wrote (as &amp; or &#38;) arrives as
 * the five bytes "&#38;", read back to '&' here.  A value cannot hold a raw
 * '&', so every "&#38;" is one. */
static size_t
value_copy(char *out, const char *v, size_t vl, int amp)
{
	size_t n = 0;

	for (size_t i = 0; i < vl; i++) {
		out[n++] = v[i];
		if (amp && v[i] == '&' && vl - i >= 5 && memcmp(v + i, "&#38;", 5) == 0)
			i += 4;
	}
	return n;
}

/* A SAX attribute value v[0..vl), read back (value_copy), NUL-terminated;
 * NULL when out of memory. */
static char *
sax_value(const xmlChar *v, const xmlChar *end)
{
	size_t vl = (size_t)(end - v);
	char *s = malloc(vl + 1);

	if (s != NULL)
		s[value_copy(s, (const char *)v, vl, 1)] = '\0';
	return s;
}

/* Append one attribute (value_copy: amp as there). */
static int
attrs_add(struct attrs *a, const char *name, const char *v, size_t vl, int amp)
{
	size_t nl = strlen(name);

	if (attrs_room(a, nl + vl + 2) != 0)
		return -1;
	memcpy(a->s + a->len, name, nl);
	a->len += nl;
	a->s[a->len++] = ATTR_US;
	a->len += value_copy(a->s + a->len, v, vl, amp);
	a->s[a->len++] = ATTR_RS;
	a->s[a->len] = '\0';
	return 0;
}

/* The marking the attributes a describe (not yet validated). */
static int
attrs_marking(const acl_data *data, const struct attrs *a, acl_marking **out, lsn_err *err)
{
	acl_marking *m = NULL;
	char local[512], *copy = local, *s;
	int rc;

	*out = NULL;
	/* One copy of the list, each name and value ended in place (a pair
	 * of strndup an attribute was a tenth of a report's mallocs). */
	if (a->len >= sizeof(local) && (copy = malloc(a->len + 1)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if (a->len)
		memcpy(copy, a->s, a->len);
	copy[a->len] = '\0';
	if ((rc = acl_marking_new(&m, data, err)) != 0)
		goto out;
	for (s = copy; *s != '\0';) {
		char *us = strchr(s, ATTR_US), *rs = strchr(us, ATTR_RS);
		*us = *rs = '\0';
		if ((rc = acl_marking_set_attr(m, s, us + 1, err)) != 0) {
			acl_marking_free(m);
			goto out;
		}
		s = rs + 1;
	}
	*out = m;
out:
	if (copy != local)
		free(copy);
	return rc;
}

/* ---- tree helpers (generic ISM documents) ---- */

static xmlAttrPtr
ns_attr(xmlNodePtr n, const char *ns, const char *name)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
		if (a->ns != NULL && xmlStrcmp(a->ns->href, BAD_CAST ns) == 0 &&
		    xmlStrcmp(a->name, BAD_CAST name) == 0)
			return a;
	return NULL;
}

static char *
attr_value(xmlAttrPtr a)
{
	xmlChar *v = xmlNodeListGetString(a->doc, a->children, 1);
	char *s = strdup(v ? (char *)v : "");

	xmlFree(v);
	return s;
}

static int
has_marking(xmlNodePtr n)
{
	return ns_attr(n, ISM_NS, "classification") != NULL;
}

/* n's ism:* attributes into a (emptied first). */
static int
node_attrs(xmlNodePtr n, struct attrs *a, lsn_err *err)
{
	a->len = 0;
	for (xmlAttrPtr at = n->properties; at != NULL; at = at->next) {
		if (at->ns == NULL || xmlStrcmp(at->ns->href, BAD_CAST ISM_NS) != 0)
			continue;
		char *v = attr_value(at);
		int rc = v == NULL ? -1 : attrs_add(a, (const char *)at->name, v, strlen(v), 0);
		free(v);
		if (rc != 0)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	return 0;
}

/* The marking an element's ism:* attributes describe. */
static int
element_marking(const acl_data *data, xmlNodePtr n, acl_marking **out, lsn_err *err)
{
	struct attrs a = { 0 };
	int rc;

	*out = NULL;
	if ((rc = node_attrs(n, &a, err)) == 0)
		rc = attrs_marking(data, &a, out, err);
	attrs_free(&a);
	return rc;
}

/* Where own_text writes: out (NULL: only counted) and how far. */
struct text_out {
	char *out;
	size_t len;
	int gap; /* an element boundary since the last text */
	char last;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
text_put(struct text_out *t, const char *s, size_t k)
{
	if (k == 0)
		return;
	/* Words on either side of an element boundary stay two words
	 * (<line>one</line><line>two</line>, a<br/>b, a nested portion cut
	 * out): one space between them. */
	if (t->gap && t->len > 0 && !is_space(t->last) && !is_space(s[0])) {
		if (t->out)
			t->out[t->len] = ' ';
		t->len++;
	}
	t->gap = 0;
	if (t->out)
		memcpy(t->out + t->len, s, k);
	t->len += k;
	t->last = s[k - 1];
}

/* The text of n that belongs to it: descendants' text, except inside
 * nested marked elements (their own portions); with direct, only its own
 * text children. */
static void
own_text_into(xmlNodePtr n, struct text_out *t, int top, int direct)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		text_put(t, (const char *)n->content, n->content ? strlen((const char *)n->content) : 0);
		return;
	}
	if (n->type != XML_ELEMENT_NODE)
		return;
	if (!top)
		t->gap = 1;
	if (top || !(direct || has_marking(n)))
		for (xmlNodePtr c = n->children; c != NULL; c = c->next)
			own_text_into(c, t, 0, direct);
	if (!top)
		t->gap = 1;
}

/* own_text_into n: sized (out NULL), then filled; the length. */
static size_t
own_text(xmlNodePtr n, char *out, int direct)
{
	struct text_out t = { .out = out };

	own_text_into(n, &t, 1, direct);
	return t.len;
}

/* ---- building the document ---- */

#define MARK_CACHE 8

struct build {
	ingest_parser *parser;
	const acl_data *data;
	ingest_doc *doc;
	size_t cap;
	unsigned line;
	lsn_err *err;
	/* Portions of a report mostly repeat a few markings: the ISM
	 * attributes as written (key) and the portion that already has that
	 * marking, parsed and validated. */
	struct {
		char *key;
		size_t portion;
	} seen[MARK_CACHE];
	size_t nseen;
};

static void
build_clear(struct build *b)
{
	for (size_t i = 0; i < b->nseen; i++)
		free(b->seen[i].key);
	b->nseen = 0;
}

/* p's marking from the attributes a: a copy of an earlier portion's when
 * they are written the same, else parsed and validated. */
static int
portion_marking(struct build *b, const struct attrs *a, ingest_portion *p)
{
	const char *key = a->s;
	int rc;

	for (size_t i = 0; i < b->nseen; i++)
		if (strcmp(b->seen[i].key, key) == 0)
			return acl_marking_dup(&p->marking,
			    b->doc->portions[b->seen[i].portion].marking, b->err);
	if (shared_find(b->parser, key, &p->marking) == 0) {
		/* validated when it was first seen */
	} else if ((rc = attrs_marking(b->data, a, &p->marking, b->err)) != 0 ||
	    (rc = acl_marking_validate(p->marking, b->err)) != 0) {
		return rc;
	} else {
		shared_add(b->parser, key, p->marking);
	}
	if (b->nseen < MARK_CACHE) {
		if ((b->seen[b->nseen].key = strdup(key)) == NULL)
			return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
		b->seen[b->nseen++].portion = (size_t)(p - b->doc->portions);
	}
	return 0;
}

/* The length of the white space or invisible format character at p (of
 * n bytes), or 0: XML's four, and Unicode's (no-break and other spaces,
 * zero-width ones, line and paragraph separators, the BOM), so that a
 * portion of U+00A0 or U+200B is as blank as one of spaces (helper-26). */
static size_t
space_len(const unsigned char *p, size_t n)
{
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		return 1;
	if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0) /* U+00A0 */
		return 2;
	if (n < 3)
		return 0;
	if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||	/* U+1680 */
	    (p[0] == 0xe1 && p[1] == 0xa0 && p[2] == 0x8e) ||	/* U+180E */
	    (p[0] == 0xe2 && p[1] == 0x80 && (p[2] <= 0x8f || (p[2] >= 0xa8 && p[2] <= 0xaf))) ||
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0x9f && p[2] <= 0xa4) ||
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||	/* U+3000 */
	    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))	/* U+FEFF */
		return 3;
	return 0;
}

/* Nothing but white space and invisible format characters (space_len). */
static int
blank(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if ((n = space_len((const unsigned char *)s + i, len - i)) == 0)
			return 0;
	return 1;
}

/* What a portion is made from, however the document was read. */
struct portion_src {
	int kind;
	const char *element;
	int element_static; /* element is a string constant, kept as it is */
	char *text; /* malloc'd, NUL-terminated; the portion takes it */
	size_t len;
	const struct attrs *marking; /* its ism:* attributes; NULL: unmarked */
	const char *ntk;             /* lsn:access, or NULL */
	unsigned line;
};

/* Add a portion, checked: not blank (native reports), its marking valid,
 * its need-to-know expression well formed.  src->text is taken, or wiped
 * and freed on error. */
static int
add_portion(struct build *b, struct portion_src *src)
{
	ingest_doc *d = b->doc;
	ingest_portion *p;
	int rc;

	b->line = src->line;
	if (d->nportions == INGEST_MAX_PORTIONS) {
		rc = lsn_fail(b->err, LSN_EINPUT, "more than %d portions",
		    INGEST_MAX_PORTIONS);
		goto fail;
	}
	if (d->nportions == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		ingest_portion *np = realloc(d->portions, cap * sizeof(*np));
		if (np == NULL) {
			rc = lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
			goto fail;
		}
		d->portions = np;
		b->cap = cap;
	}
	p = &d->portions[d->nportions];
	memset(p, 0, sizeof(*p));
	d->nportions++;
	p->kind = src->kind;
	p->line = src->line;
	p->text = src->text;
	p->text_len = src->len;
	src->text = NULL;
	if (src->element_static) { /* a native field's: no copy a portion */
		p->element = (char *)src->element;
		p->element_static = 1;
	} else if ((p->element = strdup(src->element)) == NULL) {
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	}
	/* report.xsd types the text xs:string: collapsing and counting every
	 * paragraph as xs:token with minLength 1 was a third of validation. */
	if (!d->generic && blank(p->text, p->text_len))
		return lsn_fail(b->err, LSN_EINPUT, "<%s> has no text: a portion must not "
		    "be blank", src->element);
	if (src->marking != NULL) {
		if ((rc = portion_marking(b, src->marking, p)) != 0)
			return rc;
	} else {
		/* Unmarked originator, country or keywords: the banner's marking
		 * (deny by default, DESIGN.md section 6). */
		p->inherited = 1;
		if ((rc = acl_marking_dup(&p->marking, d->banner, b->err)) != 0)
			return rc;
	}
	if (src->ntk != NULL) {
		size_t pos = 0;
		if ((p->ntk = strdup(src->ntk)) == NULL)
			return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
		if (acl_access_check(p->ntk, strlen(p->ntk), &pos, b->err) != 0) {
			char why[sizeof(b->err->msg)];
			snprintf(why, sizeof(why), "%s", b->err->msg);
			return lsn_fail(b->err, LSN_EINPUT,
			    "need-to-know expression \"%.80s\" at position %zu: %s",
			    p->ntk, pos, why);
		}
	}
	return 0;
fail:
	lsn_wipe_free(src->text, src->len);
	src->text = NULL;
	return rc;
}

/*
 * A report's date from v, the text or attribute value of an element at
 * line (what names it in a message), into out; a value that is not a date
 * (ingest_date_read) rejects the document, at that line, quoting at most 40
 * bytes of the value without the white space around it (lsn_fail shows
 * its control characters as '?').
 */
static int
read_date(struct build *b, unsigned line, const char *what, const char *v, char *out)
{
	size_t len;

	if (ingest_date_read(v, out) == 0)
		return 0;
	v += strspn(v, " \t\n\r");
	len = strlen(v);
	while (len > 0 && strchr(" \t\n\r", v[len - 1]) != NULL)
		len--;
	b->line = line;
	return lsn_fail(b->err, LSN_EINPUT, "%s \"%.*s%s\" is not a date: YYYY-MM-DD, a day "
	    "that exists, year 0001-9999", what, (int)(len < 40 ? len : 40), v,
	    len > 40 ? "..." : "");
}

/* ---- native reports: one pass of SAX events, validated as they come ---- */

/*
 * A native report is read without a tree: libxml2's streaming schema
 * validator is plugged in front of these handlers (xmlSchemaSAXPlug), so
 * one pass both validates it and builds the document, in about two thirds
 * of the time of a tree validated afterwards.  The schema fixes the
 * structure: a portion is title, originator, country or keywords under the
 * root, or p under body; date is the only other field read.
 *
 * The handlers see an invalid document before the validator has said so,
 * and must not act on it: they only record the first error of their own,
 * and ingest_parse reports the errors in the order the tree gave them:
 * not well formed, then a DTD, the encoding, the depth, the schema, and
 * only then the markings.
 */
enum { FIELD_NONE = 0, FIELD_DATE = 100 };

struct native {
	struct build *b;
	xmlParserCtxtPtr ctxt;
	unsigned depth, deepest;
	/* The line of each open element's start tag (libxml2 stops at depth
	 * 256 without XML_PARSE_HUGE), and the line of the element the
	 * validator is looking at: the plug calls these handlers first, then
	 * the validator, which asks native_locate where it is. */
	unsigned lines[258];
	unsigned err_line;
	int root;     /* 0 before the root element; 1 native; -1 not (stopped) */
	int dtd;      /* an internal subset was met */
	int rc;       /* the first building error (b->err, b->line), or 0 */
	int in_body;  /* the open element under the root is body */
	/* The field being read: a portion's kind, or FIELD_DATE. */
	int field;
	unsigned field_depth, field_line;
	const char *field_name;
	char *text;
	size_t len, cap;
	struct attrs marking; /* its ism:* attributes */
	int marked;           /* ... with ism:classification */
	char *ntk;
};

/* The validator's next error, if any, is about the open element. */
static void
native_here(struct native *s)
{
	if (s->depth < sizeof(s->lines) / sizeof(s->lines[0]))
		s->err_line = s->lines[s->depth];
	else
		s->err_line = (unsigned)xmlSAX2GetLineNumber(s->ctxt);
}

/* The validator's locator: the line of the element it is looking at, the
 * line a tree's validation would give (where the start tag ends). */
static int
native_locate(void *ctx, const char **file, unsigned long *line)
{
	struct native *s = ctx;

	if (file != NULL)
		*file = NULL;
	if (line != NULL)
		*line = s->err_line;
	return 0;
}

static int
native_fail(struct native *s, int rc)
{
	if (s->rc == 0)
		s->rc = rc;
	return rc;
}

static int
is_ns(const xmlChar *uri, const char *ns)
{
	return uri != NULL && strcmp((const char *)uri, ns) == 0;
}

/* A marking attribute (acl_attr_names) other than ism:classification and
 * ism:resourceElement, or NULL. */
static const char *
marking_attr(const char *name)
{
	for (const char *const *a = acl_attr_names(); *a != NULL; a++)
		if (strcmp(name, *a) == 0)
			return strcmp(name, "classification") != 0 &&
			    strcmp(name, "resourceElement") != 0 ? *a : NULL;
	return NULL;
}

/* The attributes of a start tag: localname, prefix, URI, value, end. */
static void
native_open(struct native *s, int field, const char *name, int nattrs,
    const xmlChar **attrs)
{
	struct build *b = s->b;

	s->field = field;
	s->field_depth = s->depth;
	s->field_line = (unsigned)xmlSAX2GetLineNumber(s->ctxt);
	s->field_name = name; /* a constant */
	s->len = 0;
	s->marked = 0;
	s->marking.len = 0;
	free(s->ntk);
	s->ntk = NULL;
	for (int i = 0; i < nattrs && field != FIELD_DATE; i++) {
		const xmlChar **a = attrs + 5 * i;
		size_t vl = (size_t)(a[4] - a[3]);
		if (is_ns(a[2], ISM_NS)) {
			if (attrs_add(&s->marking, (const char *)a[0], (const char *)a[3], vl, 1) != 0)
				goto nomem;
			s->marked |= strcmp((const char *)a[0], "classification") == 0;
		} else if (is_ns(a[2], LSN_NS) && strcmp((const char *)a[0], "access") == 0) {
			if ((s->ntk = sax_value(a[3], a[4])) == NULL)
				goto nomem;
		}
	}
	/* The schema lets an unmarked field carry part of a marking: refused,
	 * not ignored (the field would take the banner's marking). */
	for (int i = 0; i < nattrs && field != FIELD_DATE && !s->marked; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (is_ns(a[2], ISM_NS) && marking_attr((const char *)a[0]) != NULL) {
			b->line = s->field_line;
			native_fail(s, lsn_fail(b->err, LSN_EINPUT, "<%s> has ism:%s but no "
			    "ism:classification: a marking needs one", name,
			    (const char *)a[0]));
			return;
		}
	}
	return;
nomem:
	native_fail(s, lsn_fail(b->err, LSN_EINTERNAL, "out of memory"));
}

static void
native_root(struct native *s, int nattrs, const xmlChar **attrs)
{
	struct build *b = s->b;
	struct attrs banner = { 0 };
	int rc = 0;

	b->line = s->lines[1];
	for (int i = 0; i < nattrs && rc == 0; i++) {
		const xmlChar **a = attrs + 5 * i;
		size_t vl = (size_t)(a[4] - a[3]);
		if (is_ns(a[2], ISM_NS))
			rc = attrs_add(&banner, (const char *)a[0], (const char *)a[3], vl, 1);
		else if (a[2] == NULL && strcmp((const char *)a[0], "id") == 0 &&
		    b->doc->id == NULL)
			rc = (b->doc->id = sax_value(a[3], a[4])) == NULL ? -1 : 0;
	}
	if (rc != 0)
		rc = lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	else if ((rc = attrs_marking(b->data, &banner, &b->doc->banner, b->err)) == 0 &&
	    b->doc->id == NULL)
		rc = lsn_fail(b->err, LSN_EINPUT, "the report has no id");
	attrs_free(&banner);
	if (rc != 0)
		native_fail(s, rc);
}

static void
native_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
    int nns, const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
	struct native *s = ctx;

	(void)prefix;
	(void)nns;
	(void)ns;
	(void)ndefaulted;
	if (++s->depth > s->deepest)
		s->deepest = s->depth;
	s->err_line = (unsigned)xmlSAX2GetLineNumber(s->ctxt);
	if (s->depth < sizeof(s->lines) / sizeof(s->lines[0]))
		s->lines[s->depth] = s->err_line;
	if (s->depth == 1) {
		if (!is_ns(uri, LSN_NS)) {
			/* A generic document: read again as a tree. */
			s->root = -1;
			xmlStopParser(s->ctxt);
			return;
		}
		s->root = 1;
		native_root(s, nattrs, attrs);
		return;
	}
	if (s->rc != 0 || s->field != FIELD_NONE || !is_ns(uri, LSN_NS))
		return;
	const char *n = (const char *)name;
	if (s->depth == 2) {
		/* The names as constants: a portion keeps its element's
		 * without a copy (field_name). */
		if (strcmp(n, "title") == 0)
			native_open(s, INGEST_TITLE, "title", nattrs, attrs);
		else if (strcmp(n, "originator") == 0)
			native_open(s, INGEST_ORIGINATOR, "originator", nattrs, attrs);
		else if (strcmp(n, "country") == 0)
			native_open(s, INGEST_COUNTRY, "country", nattrs, attrs);
		else if (strcmp(n, "keywords") == 0)
			native_open(s, INGEST_KEYWORDS, "keywords", nattrs, attrs);
		else if (strcmp(n, "date") == 0)
			native_open(s, FIELD_DATE, "date", nattrs, attrs);
		else if (strcmp(n, "body") == 0)
			s->in_body = 1;
	} else if (s->depth == 3 && s->in_body && strcmp(n, "p") == 0) {
		native_open(s, INGEST_PARA, "p", nattrs, attrs);
	}
}

/* Text inside the open field (CDATA sections included). */
static void
native_text(void *ctx, const xmlChar *ch, int n)
{
	struct native *s = ctx;

	native_here(s);
	if (s->field == FIELD_NONE || s->rc != 0 || n <= 0)
		return;
	if (s->len + (size_t)n + 1 > s->cap) {
		/* Grown by hand: realloc would leave the old copy unwiped. */
		size_t cap = 2 * (s->len + (size_t)n + 1);
		char *t = malloc(cap < 256 ? 256 : cap);
		if (t == NULL) {
			native_fail(s, lsn_fail(s->b->err, LSN_EINTERNAL, "out of memory"));
			return;
		}
		if (s->len)
			memcpy(t, s->text, s->len);
		lsn_wipe_free(s->text, s->len);
		s->text = t;
		s->cap = cap < 256 ? 256 : cap;
	}
	memcpy(s->text + s->len, ch, (size_t)n);
	s->len += (size_t)n;
}

static void
native_close(struct native *s)
{
	struct build *b = s->b;
	int field = s->field;

	s->field = FIELD_NONE;
	if (s->rc != 0)
		return;
	if (s->text == NULL) { /* no text at all */
		if ((s->text = malloc(256)) == NULL) {
			native_fail(s, lsn_fail(b->err, LSN_EINTERNAL, "out of memory"));
			return;
		}
		s->cap = 256;
	}
	s->text[s->len] = '\0';
	if (field == FIELD_DATE) {
		native_fail(s, read_date(b, s->field_line, "<date>", s->text, b->doc->date));
		lsn_wipe(s->text, s->len); /* the buffer is used again, wiped to len */
		s->len = 0;
		return;
	}
	/* The portion takes the text. */
	struct portion_src src = { .kind = field, .element = s->field_name, .element_static = 1,
		.text = s->text, .len = s->len, .marking = s->marked ? &s->marking : NULL,
		.ntk = s->ntk, .line = s->field_line };
	s->text = NULL;
	s->len = s->cap = 0;
	native_fail(s, add_portion(b, &src));
}

static void
native_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct native *s = ctx;

	(void)name;
	(void)prefix;
	(void)uri;
	native_here(s);
	if (s->field != FIELD_NONE && s->depth == s->field_depth)
		native_close(s);
	if (s->depth == 2)
		s->in_body = 0;
	if (s->depth > 0)
		s->depth--;
}

/* Comments are skipped; but with no handler for them libxml2 keeps no copy
 * of one, and the message for one left open quotes only its tail. */
static void
native_comment(void *ctx, const xmlChar *text)
{
	(void)ctx;
	(void)text;
}

static void
native_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	struct native *s = ctx;

	(void)name;
	(void)ext;
	(void)sys;
	s->dtd = 1;
	xmlStopParser(s->ctxt);
}


/* ---- what libxml2 reports ---- */

/* NONET; and deliberately not NOENT, DTDLOAD, DTDATTR, XINCLUDE, HUGE.
 * NOCDATA: a CDATA section is text.  COMPACT keeps short text (the blanks
 * between elements) inside its node instead of a string of its own: a
 * tree is only read. */
#define PARSE_OPTIONS                                                               \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | \
	    XML_PARSE_COMPACT | XML_PARSE_BIG_LINES)

struct verr {
	char msg[300];
	unsigned line;
	int set;
};

/*
 * libxml2's message, fit for our own (one line, at most cap - 1 bytes)
 * with the document's text taken out: its messages quote text that would
 * go to the terminal, the JSON summary and the audit log that every
 * officer reads, whatever the portion's marking.
 *   - The validator quotes the value it refused ("The value 'Source
 *     BLUEHERON inside the ministry' is not accepted by the pattern
 *     '[A-Z]{3}'", "Element 'x': 'value' is not a valid value ..."): the
 *     value starts after "The value '" or "': '" and ends at the last
 *     "' is ", "' has " or "' does " (the text may hold quotes of its own,
 *     and only libxml2's own words follow it); with no end found, all
 *     after its start goes.
 *   - The parser names an undefined entity ("Entity 'BLUEHERON' not
 *     defined"), a word of the text where the reference was; an XML name
 *     holds no quote.
 * Either becomes "...".  The whole message is redacted before it is cut to
 * fit (a cut value has no end).
 */
void
ingest_xml_message(const char *msg, char *out, size_t cap)
{
	static const char *const ends[] = { "' is ", "' has ", "' does ", NULL };
	const char *a = strstr(msg, "The value '"), *b = strstr(msg, "': '");
	const char *ent = strstr(msg, "Entity '"), *start, *end = NULL;
	size_t n;

	if (a != NULL)
		a += strlen("The value '");
	if (b != NULL)
		b += strlen("': '");
	start = a == NULL ? b : b == NULL ? a : a < b ? a : b;
	if (start != NULL) {
		for (int k = 0; ends[k] != NULL; k++)
			for (const char *p = start; (p = strstr(p, ends[k])) != NULL; p++)
				if (end == NULL || p > end)
					end = p;
	} else if (ent != NULL) {
		start = ent + strlen("Entity '");
		end = strchr(start, '\'');
	}
	if (start == NULL)
		snprintf(out, cap, "%s", msg);
	else if (end == NULL)
		snprintf(out, cap, "%.*s...' (the rest withheld)", (int)(start - msg), msg);
	else
		snprintf(out, cap, "%.*s...%s", (int)(start - msg), msg, end);
	for (n = strlen(out); n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ');)
		out[--n] = '\0';
}

static void
schema_error(void *ctx, xmlErrorPtr e)
{
	struct verr *v = ctx;

	if (v->set || e == NULL)
		return;
	v->set = 1;
	v->line = (unsigned)e->line;
	ingest_xml_message(e->message ? e->message : "invalid", v->msg, sizeof(v->msg));
}

/* A document that is not well formed: libxml2's reason, at its line. */
static int
malformed(xmlParserCtxtPtr ctxt, unsigned depth_cap, unsigned *line, lsn_err *err)
{
	xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
	char msg[300] = "malformed XML";

	if (e != NULL && e->message != NULL) {
		ingest_xml_message(e->message, msg, sizeof(msg));
		*line = (unsigned)e->line;
	}
	if (strstr(msg, "Excessive depth") != NULL)
		return lsn_fail(err, LSN_EINPUT, "elements nested deeper than %u levels",
		    depth_cap);
	return lsn_fail(err, LSN_EINPUT, "malformed XML: %s", msg);
}

/* The encoding the XML declaration names, if any, must be UTF-8. */
static int
check_encoding(const xmlChar *enc, lsn_err *err)
{
	if (enc != NULL && xmlStrcasecmp(enc, BAD_CAST "UTF-8") != 0)
		return lsn_fail(err, LSN_EINPUT, "encoding %s: only UTF-8 is accepted",
		    (const char *)enc);
	return 0;
}

/*
 * Read buf as a native report in one validated pass.  Returns 0 with *b's
 * document built and checked but for its banner; 1 when the root element
 * is not a native report's (the caller reads it as a generic document);
 * else an error, with *line set.
 */
static int
native_parse(ingest_parser *p, struct build *b, const char *buf, size_t len,
    unsigned depth_cap, unsigned *line)
{
	xmlSAXHandler sax;
	xmlSAXHandlerPtr saved = NULL;
	xmlParserCtxtPtr ctxt;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	xmlSchemaSAXPlugPtr plug = NULL;
	struct native s = { .b = b };
	struct verr ve = { .set = 0 };
	lsn_err *err = b->err;
	int rc;

	if ((ctxt = xmlCreateMemoryParserCtxt(buf, (int)len)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	/* Set on libxml2's own handlers, which are then put aside for these. */
	xmlCtxtUseOptions(ctxt, PARSE_OPTIONS);
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = native_start;
	sax.endElementNs = native_end;
	sax.characters = native_text;
	sax.ignorableWhitespace = native_text;
	/* The validator passes CDATA on to cdataBlock only. */
	sax.cdataBlock = native_text;
	sax.internalSubset = native_subset;
	sax.comment = native_comment;
	saved = ctxt->sax;
	ctxt->sax = &sax;
	ctxt->userData = &s;
	s.ctxt = ctxt;
	if ((vctxt = xmlSchemaNewValidCtxt(p->schema)) != NULL) {
		xmlSchemaSetValidStructuredErrors(vctxt, schema_error, &ve);
		xmlSchemaValidateSetLocator(vctxt, native_locate, &s);
		plug = xmlSchemaSAXPlug(vctxt, &ctxt->sax, &ctxt->userData);
	}
	if (plug == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	xmlParseDocument(ctxt);
	xmlSchemaSAXUnplug(plug);
	if (s.root < 0) {
		rc = 1;
		goto out;
	}
	if (!ctxt->wellFormed || !ctxt->nsWellFormed) {
		rc = malformed(ctxt, depth_cap, line, err);
		goto out;
	}
	if (s.dtd) {
		rc = lsn_fail(err, LSN_EINPUT, "a DTD is not accepted");
		goto out;
	}
	if ((rc = check_encoding(ctxt->input != NULL ? ctxt->input->encoding : NULL, err)) != 0)
		goto out;
	if (s.deepest > depth_cap) {
		rc = lsn_fail(err, LSN_EINPUT, "elements nested deeper than %u levels",
		    depth_cap);
		goto out;
	}
	if (ve.set || xmlSchemaIsValid(vctxt) != 1) {
		*line = ve.line;
		rc = lsn_fail(err, LSN_EINPUT, "does not match schemas/report.xsd: %s",
		    ve.set ? ve.msg : "invalid");
		goto out;
	}
	if ((rc = s.rc) != 0) {
		*line = b->line;
		goto out;
	}
	b->line = s.lines[1]; /* the banner's, for check_banner */
out:
	lsn_wipe_free(s.text, s.len);
	attrs_free(&s.marking);
	free(s.ntk);
	if (vctxt != NULL)
		xmlSchemaFreeValidCtxt(vctxt);
	ctxt->sax = saved;
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/* ---- generic ISM documents: a tree ---- */

/* Add n as a portion of kind, with the text of its descendants outside
 * nested marked elements: marked, under its marking; else under the
 * banner's. */
static int
tree_portion(struct build *b, xmlNodePtr n, int kind, int marked, const char *ntk)
{
	struct attrs marking = { 0 };
	struct portion_src src = { .kind = kind, .element = (const char *)n->name,
		.line = (unsigned)xmlGetLineNo(n), .ntk = ntk };
	int rc;

	b->line = src.line;
	src.len = own_text(n, NULL, 0);
	if ((src.text = malloc(src.len + 1)) == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	own_text(n, src.text, 0);
	src.text[src.len] = '\0';
	if (marked) {
		if ((rc = node_attrs(n, &marking, b->err)) != 0) {
			lsn_wipe_free(src.text, src.len);
			return rc;
		}
		src.marking = &marking;
	}
	rc = add_portion(b, &src);
	attrs_free(&marking);
	return rc;
}

/*
 * The need-to-know of what is inside n: n's lsn:access and every
 * ancestor's (anc), all required ("(A)&(B)").  *out is NULL for none, anc
 * itself when n has none, else malloc'd (*owned set).  An lsn:access on
 * an ancestor covered nothing marked inside it, and on a blank container
 * nothing at all: a partner without the group read what it held
 * (helper-26).
 */
static int
inner_ntk(struct build *b, xmlNodePtr n, const char *anc, const char **out, char **owned)
{
	xmlAttrPtr a = ns_attr(n, LSN_NS, "access");
	char *v;

	*out = anc;
	*owned = NULL;
	if (a == NULL)
		return 0;
	if ((v = attr_value(a)) == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	if (anc != NULL) {
		char *both = NULL;
		if (asprintf(&both, "(%s)&(%s)", anc, v) < 0)
			both = NULL;
		free(v);
		if ((v = both) == NULL)
			return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	}
	*out = *owned = v;
	return 0;
}

static int
valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || ((c == '.' || c == '_' || c == ':' || c == '-') && i > 0)))
			return 0;
	}
	return 1;
}

/* An xs:boolean that is true: "true" or "1", white space around it
 * allowed ("1" and " true " found no resource element: helper-25). */
static int
xs_true(const char *v)
{
	size_t lead = strspn(v, " \t\n\r"), n = strcspn(v + lead, " \t\n\r");

	return v[lead + n + strspn(v + lead + n, " \t\n\r")] == '\0' &&
	    ((n == 4 && memcmp(v + lead, "true", 4) == 0) || (n == 1 && v[lead] == '1'));
}

/* Find the resource element (exactly one) below n: found[0], and the
 * second in found[1] when there are more. */
static int
find_resource(xmlNodePtr n, xmlNodePtr *found, int *count)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlAttrPtr a = ns_attr(n, ISM_NS, "resourceElement");
		if (a != NULL) {
			char *v = attr_value(a);
			if (v != NULL && xs_true(v)) {
				if (*count < 2) /* the first, then the one too many */
					found[*count] = n;
				(*count)++;
			}
			free(v);
		}
		find_resource(n->children, found, count);
	}
	return 0;
}

static int
blank_text(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		if (c->content != NULL &&
		    !blank((const char *)c->content, strlen((const char *)c->content)))
			return 0;
	}
	return 1;
}

/* uri is ns but for letter case or white space around it. */
static int
looks_like(const xmlChar *uri, const char *ns)
{
	const char *u = (const char *)uri;
	size_t n = strlen(ns), k;

	while (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r')
		u++;
	if (strncasecmp(u, ns, n) != 0)
		return 0;
	for (k = n; u[k] == ' ' || u[k] == '\t' || u[k] == '\n' || u[k] == '\r';)
		k++;
	return u[k] == '\0' && strcmp((const char *)uri, ns) != 0;
}

/* uri is another version or variant of the namespace ns (prefix):
 * "urn:us:gov:ic:ism:v2" for ISM, "urn:liaison:report" for liaison's. */
static int
variant_of(const xmlChar *uri, const char *prefix, const char *ns)
{
	const char *u = (const char *)uri;

	while (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r')
		u++;
	return strncasecmp(u, prefix, strlen(prefix)) == 0 && strcmp((const char *)uri, ns) != 0;
}

/*
 * What would make a marking or a need-to-know on n go unseen is refused,
 * never ignored (a partner would read what the writer meant to keep from
 * it): a marking attribute in no namespace, or in a variant of the ISM
 * namespace (case, spaces, another version: urn:us:gov:ic:ism:v2); an
 * access attribute in a variant of the liaison namespace, or in none on a
 * portion, and any other attribute in liaison's; a marking attribute
 * without ism:classification; an lsn:access on the resource element
 * (is_res) or on an element whose text is part of another portion
 * (inside, and not a portion: 1 when n's text is a portion of its own).
 * An lsn:access elsewhere restricts every portion inside the element too.
 */
static int
check_element(struct build *b, xmlNodePtr n, int portion, int inside, int is_res)
{
	const char *name = (const char *)n->name;

	b->line = (unsigned)xmlGetLineNo(n);
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		const char *an = (const char *)a->name;
		int ism = marking_attr(an) != NULL || strcmp(an, "classification") == 0;
		if (a->ns == NULL) {
			if (ism)
				return lsn_fail(b->err, LSN_EINPUT, "<%.60s> has an attribute %s in no "
				    "namespace: an ISM marking is in %s", name, an, ISM_NS);
			if (strcmp(an, "access") == 0 && portion)
				return lsn_fail(b->err, LSN_EINPUT, "<%.60s> has an attribute access in "
				    "no namespace: a need-to-know is lsn:access, in %s", name, LSN_NS);
			continue;
		}
		/* lsn:Access, lsn:acces: a need-to-know mistyped went unseen */
		if (strcmp((const char *)a->ns->href, LSN_NS) == 0 && strcmp(an, "access") != 0)
			return lsn_fail(b->err, LSN_EINPUT, "<%.60s> has an unknown attribute %s in "
			    "%s: the need-to-know is lsn:access", name, an, LSN_NS);
		int near_ism = looks_like(a->ns->href, ISM_NS) ||
		    (ism && variant_of(a->ns->href, "urn:us:gov:ic:ism", ISM_NS));
		if (near_ism || looks_like(a->ns->href, LSN_NS) ||
		    (strcmp(an, "access") == 0 && variant_of(a->ns->href, "urn:liaison", LSN_NS)))
			return lsn_fail(b->err, LSN_EINPUT, "<%.60s> has %s in namespace \"%.60s\", "
			    "not %s", name, an, (const char *)a->ns->href, near_ism ? ISM_NS : LSN_NS);
		if (!has_marking(n) && strcmp((const char *)a->ns->href, ISM_NS) == 0 &&
		    marking_attr(an) != NULL)
			return lsn_fail(b->err, LSN_EINPUT, "<%.60s> has ism:%s but no "
			    "ism:classification: a marking needs one", name, an);
	}
	if (ns_attr(n, LSN_NS, "access") != NULL && (is_res || (inside && !portion)))
		return lsn_fail(b->err, LSN_EINPUT, is_res ? "<%.60s> is the resource element: "
		    "lsn:access belongs on the portions it restricts" : "<%.60s> has lsn:access "
		    "but its text is part of another portion: put it on a marked element", name);
	return 0;
}

/*
 * Generic ISM document: portions are the marked elements in document
 * order.  Text outside every portion is a portion too, under the banner's
 * marking (deny by default, as for a native report's unmarked
 * originator): an unmarked element that has text of its own, with its
 * unmarked descendants' text flowing into it as into a marked element's
 * ("at <place>the pier</place> at noon" is one sentence), and so under
 * its lsn:access; the resource element likewise.  An unmarked element
 * with no text of its own (a container) leaves its children to be
 * portions of their own.  Nothing is dropped, and nothing unmarked is
 * shown to a reader the banner does not admit.  (Unmarked text split
 * into one portion per element lost its order, and an lsn:access on an
 * unmarked element covered its own text and not its children's, which
 * every partner read: helper-25.)
 */
static int
walk_generic(struct build *b, xmlNodePtr n, xmlNodePtr res, int marked, const char *anc,
    int *titled)
{
	int rc = 0;

	for (; n != NULL && rc == 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		int here = marked;
		int own = !marked && !has_marking(n) && !blank_text(n);
		const char *ntk;
		char *owned;
		if ((rc = check_element(b, n, own || (n != res && has_marking(n)), marked,
			 n == res)) != 0 ||
		    (rc = inner_ntk(b, n, anc, &ntk, &owned)) != 0)
			return rc;
		if (own) {
			rc = tree_portion(b, n, INGEST_OTHER, 0, ntk);
			here = 1; /* its unmarked descendants are in it */
		} else if (n != res && has_marking(n)) {
			int kind = INGEST_OTHER;
			if (!*titled && xmlStrcasecmp(n->name, BAD_CAST "title") == 0) {
				kind = INGEST_TITLE;
				*titled = 1;
			}
			rc = tree_portion(b, n, kind, 1, ntk);
			here = 1;
		} else if (n == res) {
			/* Its marking is the banner; its own text is in no
			 * portion, even inside a marked ancestor (whose text
			 * leaves out every marked element's). */
			here = !blank_text(n);
			if (here)
				rc = tree_portion(b, n, INGEST_OTHER, 0, ntk);
		}
		if (rc == 0)
			rc = walk_generic(b, n->children, res, here, ntk, titled);
		free(owned);
	}
	return rc;
}

static int
build_generic(struct build *b, xmlNodePtr root, const char *fallback_id)
{
	ingest_doc *d = b->doc;
	xmlNodePtr found[2] = { NULL, NULL }, res;
	xmlAttrPtr a;
	int count = 0, titled = 0, rc;

	find_resource(root, found, &count);
	res = found[0];
	if (count == 0)
		return lsn_fail(b->err, LSN_EINPUT, "not a liaison report and no element "
		    "carries ism:resourceElement=\"true\"");
	if (count > 1) {
		b->line = (unsigned)xmlGetLineNo(found[1]);
		return lsn_fail(b->err, LSN_EINPUT, "%d elements carry ism:resourceElement="
		    "\"true\"; one may (the second: <%.60s>)", count, (const char *)found[1]->name);
	}
	b->line = (unsigned)xmlGetLineNo(res);
	d->generic = 1;
	if (!has_marking(res))
		return lsn_fail(b->err, LSN_EINPUT, "the resource element <%s> has no "
		    "ism:classification", (const char *)res->name);
	if ((rc = element_marking(b->data, res, &d->banner, b->err)) != 0)
		return rc;
	/* An id in no namespace: f:id is another attribute. */
	int named = 0; /* the id is the file name's */
	if ((a = xmlHasNsProp(res, BAD_CAST "id", NULL)) != NULL ||
	    (a = xmlHasNsProp(root, BAD_CAST "id", NULL)) != NULL) {
		d->id = attr_value(a);
	} else if (fallback_id != NULL) {
		d->id = strdup(fallback_id);
		named = 1;
	} else {
		return lsn_fail(b->err, LSN_EINPUT, "a generic ISM document needs an id "
		    "attribute on its resource element");
	}
	if (d->id == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	if (!valid_id(d->id))
		return lsn_fail(b->err, LSN_EINPUT, "id \"%.80s\"%s is not 1-64 letters, "
		    "digits and . _ : -%s", d->id, named ? " (the file name: no id attribute)" : "",
		    named ? "; give the resource element an id" : "");
	if ((a = ns_attr(res, ISM_NS, "createDate")) != NULL) {
		char *v = attr_value(a);
		rc = v == NULL ? lsn_fail(b->err, LSN_EINTERNAL, "out of memory") :
		    read_date(b, (unsigned)xmlGetLineNo(res), "ism:createDate", v, d->date);
		free(v);
		if (rc != 0)
			return rc;
	}
	return walk_generic(b, root, res, 0, NULL, &titled);
}

/* The deepest level of an element in the sibling list n, at level depth
 * (the root is at 1); 0 when it holds none.  Stops past cap. */
static unsigned
max_depth(xmlNodePtr n, unsigned depth, unsigned cap)
{
	unsigned m = 0;

	for (; n != NULL && m <= cap; n = n->next)
		if (n->type == XML_ELEMENT_NODE) {
			unsigned d = max_depth(n->children, depth + 1, cap);
			if (d < depth)
				d = depth;
			if (d > m)
				m = d;
		}
	return m;
}

/*
 * A generic document's blank portion (a marked element whose text is all
 * in the marked elements inside it) has marked the banner (check_banner)
 * but holds nothing to read: it is not stored (d->blanks keeps it for
 * the ingesting principal's check).  Stored, a (U) section
 * around NOFORN paragraphs listed the report to every partner, its white
 * space telling how many elements were withheld (helper-25).
 */
static int
drop_blank(struct build *b)
{
	ingest_doc *d = b->doc;
	size_t k = 0, nb = 0;

	for (size_t i = 0; i < d->nportions; i++)
		nb += blank(d->portions[i].text, d->portions[i].text_len);
	if (nb > 0 && (d->blanks = calloc(nb, sizeof(*d->blanks))) == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < d->nportions; i++) {
		if (blank(d->portions[i].text, d->portions[i].text_len))
			d->blanks[d->nblanks++] = d->portions[i]; /* may_ingest reads them */
		else
			d->portions[k++] = d->portions[i];
	}
	d->nportions = k;
	if (k == 0)
		return lsn_fail(b->err, LSN_EINPUT, "no portion has text: every marked element "
		    "is blank");
	return 0;
}

/* Roll the portions up and hold the banner to it. */
static int
check_banner(struct build *b, const ingest_parse_opts *o, unsigned line)
{
	ingest_doc *d = b->doc;
	const acl_marking **parts = NULL;
	acl_marking *computed = NULL;
	char *want = NULL, *have = NULL;
	size_t n = 0;
	int rc;

	b->line = line;
	if ((rc = acl_marking_validate(d->banner, b->err)) != 0 && !o->fix_banner) {
		/* Not formatted from and into the same buffer. */
		char why[sizeof(b->err->msg)];
		snprintf(why, sizeof(why), "%s", b->err->msg);
		return lsn_fail(b->err, rc, "banner: %s", why);
	}
	if (d->nportions == 0)
		return lsn_fail(b->err, LSN_EINPUT, "the report has no marked portion");
	if ((parts = calloc(d->nportions, sizeof(*parts))) == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < d->nportions; i++)
		if (!d->portions[i].inherited)
			parts[n++] = d->portions[i].marking;
	if (n == 0) { /* it said "no portion takes part in the roll-up" */
		free(parts);
		return lsn_fail(b->err, LSN_EINPUT, "no marked portion: an element other than "
		    "the resource element must carry ism:classification");
	}
	rc = acl_rollup(&computed, b->data, parts, n, b->err);
	free(parts);
	if (rc != 0)
		return rc;
	if (acl_marking_equal(computed, d->banner))
		goto out;
	if ((rc = acl_marking_render(&want, computed, ACL_BANNER, b->err)) != 0)
		goto out;
	if (acl_marking_render(&have, d->banner, ACL_BANNER, NULL) != 0)
		have = strdup("(invalid)");
	if (!o->fix_banner) {
		char diff[256] = "";
		if (have != NULL && strcmp(have, want) == 0)
			acl_marking_difference(diff, sizeof(diff), d->banner, computed);
		rc = lsn_fail(b->err, LSN_EINPUT, "banner %s does not equal the roll-up of "
		    "its portions, %s%s (--fix-banner stores the computed one)",
		    have ? have : "?", want, diff);
		goto out;
	}
	/*
	 * --fix-banner: the computed banner.  Unmarked text has the written
	 * banner as its only marking, so where there is some, the banner is
	 * fixed only upwards of nothing: a written banner at least as high as
	 * its portions (their roll-up with it is the written one) stands, and
	 * the text keeps it; any other is refused, since no marking computed
	 * from two others is sure to ask all that each asks (a roll-up drops
	 * LIMDIS beside SECRET, turns JOINT into FGI, ORCON-USGOV beside
	 * ORCON into ORCON: each let a reader the written banner denied read
	 * the text).
	 */
	size_t inherited = 0;
	for (size_t i = 0; i < d->nportions; i++)
		inherited += d->portions[i].inherited != 0;
	if (inherited > 0) {
		const acl_marking *both[2] = { d->banner, computed };
		acl_marking *up = NULL;
		int stands;
		if (acl_marking_validate(d->banner, NULL) != 0) {
			rc = lsn_fail(b->err, LSN_EINPUT, "banner %s is invalid, and %zu unmarked "
			    "portion%s would take it: mark %s (--fix-banner cannot)",
			    have ? have : "?", inherited, inherited == 1 ? "" : "s",
			    inherited == 1 ? "it" : "them");
			goto out;
		}
		if ((rc = acl_rollup(&up, b->data, both, 2, b->err)) != 0)
			goto out;
		stands = acl_marking_equal(up, d->banner);
		acl_marking_free(up);
		if (stands)
			goto out; /* the written banner stands: unmarked text holds it */
		rc = lsn_fail(b->err, LSN_EINPUT, "banner %s is not the roll-up of its portions, "
		    "%s, and %zu unmarked portion%s take%s it as %s marking: mark %s (--fix-banner "
		    "cannot)", have ? have : "?", want, inherited, inherited == 1 ? "" : "s",
		    inherited == 1 ? "s" : "", inherited == 1 ? "its" : "their",
		    inherited == 1 ? "it" : "them");
		goto out;
	}
	d->old_banner = have;
	have = NULL;
	d->banner_fixed = 1;
	acl_marking_free(d->banner);
	d->banner = computed;
	computed = NULL;
out:
	acl_marking_free(computed);
	free(want);
	free(have);
	return rc;
}

/* Read buf as a generic ISM document, through a tree. */
static int
generic_parse(struct build *b, const char *buf, size_t len, const ingest_parse_opts *o,
    unsigned depth_cap, unsigned *line)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, res = NULL, found[2] = { NULL, NULL };
	lsn_err *err = b->err;
	int count = 0, rc;

	if ((ctxt = xmlNewParserCtxt()) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "document.xml", NULL, PARSE_OPTIONS);
	/* Not namespace-well-formed either: an attribute given twice through
	 * two prefixes of one namespace, of which one would be read. */
	if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed) {
		rc = malformed(ctxt, depth_cap, line, err);
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = lsn_fail(err, LSN_EINPUT, "a DTD is not accepted");
		goto out;
	}
	if ((rc = check_encoding(doc->encoding, err)) != 0)
		goto out;
	if ((root = xmlDocGetRootElement(doc)) == NULL) {
		rc = lsn_fail(err, LSN_EINPUT, "no root element");
		goto out;
	}
	if (max_depth(root, 1, depth_cap) > depth_cap) {
		rc = lsn_fail(err, LSN_EINPUT, "elements nested deeper than %u levels",
		    depth_cap);
		goto out;
	}
	if ((rc = build_generic(b, root, o->fallback_id)) != 0) {
		*line = b->line;
		goto out;
	}
	find_resource(root, found, &count);
	res = found[0];
	if ((rc = check_banner(b, o, res ? (unsigned)xmlGetLineNo(res) : 1)) != 0 ||
	    (rc = drop_blank(b)) != 0)
		*line = b->line;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

int
ingest_parse(ingest_parser *p, const char *buf, size_t len,
    const ingest_parse_opts *opts, ingest_doc **out, unsigned *line, lsn_err *err)
{
	static const ingest_parse_opts defaults;
	const ingest_parse_opts *o = opts ? opts : &defaults;
	size_t cap = o->max_doc ? o->max_doc : INGEST_MAX_DOC;
	unsigned depth_cap = o->max_depth ? o->max_depth : INGEST_MAX_DEPTH;
	struct build b = { 0 };
	const char *why;
	size_t bad;
	int rc;

	*out = NULL;
	*line = 0;
	if (o->rejected_id != NULL)
		*o->rejected_id = NULL;
	b.err = err;
	b.parser = p;
	b.data = p->data;
	quiet_libxml();
	if (len > cap)
		return lsn_fail(err, LSN_EINPUT, "document of %zu bytes is over the %zu-byte cap",
		    len, cap);
	if (len == 0)
		return lsn_fail(err, LSN_EINPUT, "empty document");
	if (check_bytes(buf, len, &bad, &why) != 0) {
		*line = line_at(buf, bad);
		return lsn_fail(err, LSN_EINPUT, "%s at byte %zu", why, bad);
	}
	/* No DTD at all: this is what stops XXE, billion laughs and quadratic
	 * blowup before the parser could expand anything. */
	const char *dt = memmem(buf, len, "<!DOCTYPE", 9);
	if (dt != NULL) {
		*line = line_at(buf, (size_t)(dt - buf));
		return lsn_fail(err, LSN_EINPUT, "a DOCTYPE (DTD) is not accepted: no DTDs, "
		    "no entities");
	}
	if ((b.doc = calloc(1, sizeof(*b.doc))) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	/* From here to the end, libxml2 allocates from this thread's arena
	 * (ingest/xmlmem.c): its contexts, dictionary, validation and tree. */
	ingest__xml_arena_begin();
	rc = native_parse(p, &b, buf, len, depth_cap, line);
	if (rc == 0 && (rc = check_banner(&b, o, b.line)) != 0)
		*line = b.line;
	if (rc == 1)
		rc = generic_parse(&b, buf, len, o, depth_cap, line);
	if (rc == 0) {
		*out = b.doc;
		b.doc = NULL;
	} else if (o->rejected_id != NULL && b.doc->id != NULL && valid_id(b.doc->id)) {
		*o->rejected_id = strdup(b.doc->id); /* NULL too when out of memory */
	}
	build_clear(&b);
	ingest_doc_free(b.doc);
	ingest__xml_arena_end();
	return rc;
}
