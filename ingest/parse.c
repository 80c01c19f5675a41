/*
 * ingest/parse.c - one XML document in, safely: caps, no DTD, no entities,
 * no network, UTF-8 only; native reports validated against the schema;
 * markings validated; the banner checked against the roll-up.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
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
	/* $LIAISON_SCHEMA_DIR, else $LIAISON_DATA_DIR, else the installed copy. */
	for (size_t i = 0; i < 3 && f == NULL; i++) {
		if (dirs[i] == NULL || dirs[i][0] == '\0')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirs[i], SCHEMA_FILE);
		f = fopen(path, "r");
	}
	if (f == NULL)
		return lsn_fail(err, LSN_ENOTFOUND, "cannot open the report schema %s", path);
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
	free(p->element);
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

static int
is_el(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0 &&
	    ((ns == NULL && n->ns == NULL) ||
		(ns != NULL && n->ns != NULL && xmlStrcmp(n->ns->href, BAD_CAST ns) == 0));
}

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

/* Build the marking an element's ism:* attributes describe. */
static int
element_marking(const acl_data *data, xmlNodePtr n, acl_marking **out, lsn_err *err)
{
	acl_marking *m = NULL;
	int rc;

	*out = NULL;
	if ((rc = acl_marking_new(&m, data, err)) != 0)
		return rc;
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		if (a->ns == NULL || xmlStrcmp(a->ns->href, BAD_CAST ISM_NS) != 0)
			continue;
		char *v = attr_value(a);
		rc = v ? acl_marking_set_attr(m, (const char *)a->name, v, err) : LSN_EINTERNAL;
		free(v);
		if (rc != 0) {
			acl_marking_free(m);
			return rc;
		}
	}
	*out = m;
	return 0;
}

/* The text of n that belongs to it: descendants' text, except inside
 * nested marked elements (their own portions); with direct, only its own
 * text children.  Sized (out NULL), then filled. */
static size_t
own_text(xmlNodePtr n, char *out, int top, int direct)
{
	size_t len = 0;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		size_t k = n->content ? strlen((const char *)n->content) : 0;
		if (out)
			memcpy(out, n->content, k);
		return k;
	}
	if (n->type != XML_ELEMENT_NODE || (!top && (direct || has_marking(n))))
		return 0;
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		len += own_text(c, out ? out + len : NULL, 0, direct);
	return len;
}

/* ---- building the document ---- */

#define MARK_CACHE 8

struct build {
	ingest_parser *parser;
	const acl_data *data;
	ingest_doc *doc;
	size_t cap;
	unsigned line;
	unsigned max_depth;
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

/* An element's ism:* attributes as "name=value\n" lines, in document
 * order; NULL when out of memory. */
static char *
marking_key(xmlNodePtr n)
{
	size_t len = 0, cap = 256;
	char *k = malloc(cap);

	for (xmlAttrPtr a = n->properties; a != NULL && k != NULL; a = a->next) {
		if (a->ns == NULL || xmlStrcmp(a->ns->href, BAD_CAST ISM_NS) != 0)
			continue;
		/* A value that is one text node is read in place. */
		int one = a->children != NULL && a->children->next == NULL &&
		    a->children->type == XML_TEXT_NODE && a->children->content != NULL;
		char *v = one ? (char *)a->children->content : attr_value(a);
		if (v == NULL) {
			free(k);
			return NULL;
		}
		size_t nl = strlen((const char *)a->name), vl = strlen(v);
		size_t need = nl + vl + 3;
		if (len + need > cap) {
			char *nk = realloc(k, cap = 2 * (len + need));
			if (nk == NULL) {
				if (!one)
					free(v);
				free(k);
				return NULL;
			}
			k = nk;
		}
		memcpy(k + len, a->name, nl); /* name=value\n, no printf per attribute */
		k[len + nl] = '=';
		memcpy(k + len + nl + 1, v, vl);
		k[len + nl + 1 + vl] = '\n';
		len += nl + vl + 2;
		if (!one)
			free(v);
	}
	if (k != NULL)
		k[len] = '\0';
	return k;
}

static void
build_clear(struct build *b)
{
	for (size_t i = 0; i < b->nseen; i++)
		free(b->seen[i].key);
	b->nseen = 0;
}

/* p's marking from element n's attributes: a copy of an earlier portion's
 * when they are written the same, else parsed and validated. */
static int
portion_marking(struct build *b, xmlNodePtr n, ingest_portion *p)
{
	char *key = marking_key(n);
	int rc;

	if (key == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < b->nseen; i++)
		if (strcmp(b->seen[i].key, key) == 0) {
			free(key);
			return acl_marking_dup(&p->marking,
			    b->doc->portions[b->seen[i].portion].marking, b->err);
		}
	if (shared_find(b->parser, key, &p->marking) == 0) {
		/* validated when it was first seen */
	} else if ((rc = element_marking(b->data, n, &p->marking, b->err)) != 0 ||
	    (rc = acl_marking_validate(p->marking, b->err)) != 0) {
		free(key);
		return rc;
	} else {
		shared_add(b->parser, key, p->marking);
	}
	if (b->nseen < MARK_CACHE) {
		b->seen[b->nseen].key = key;
		b->seen[b->nseen++].portion = (size_t)(p - b->doc->portions);
	} else {
		free(key);
	}
	return 0;
}

/* Nothing but XML white space (space, tab, CR, LF). */
static int
blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

static int
add_portion(struct build *b, xmlNodePtr n, int kind)
{
	ingest_doc *d = b->doc;
	ingest_portion *p;
	xmlAttrPtr ntk;
	size_t len;
	int rc;

	b->line = (unsigned)xmlGetLineNo(n);
	if (d->nportions == INGEST_MAX_PORTIONS)
		return lsn_fail(b->err, LSN_EINPUT, "more than %d marked portions",
		    INGEST_MAX_PORTIONS);
	if (d->nportions == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		ingest_portion *np = realloc(d->portions, cap * sizeof(*np));
		if (np == NULL)
			return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
		d->portions = np;
		b->cap = cap;
	}
	p = &d->portions[d->nportions];
	memset(p, 0, sizeof(*p));
	d->nportions++;
	p->kind = kind;
	p->line = b->line;
	if ((p->element = strdup((const char *)n->name)) == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	/* An unmarked element of a generic document holds only its own text:
	 * its child elements are visited on their own. */
	int direct = b->doc->generic && !has_marking(n);
	len = own_text(n, NULL, 1, direct);
	if ((p->text = malloc(len + 1)) == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	own_text(n, p->text, 1, direct);
	p->text[len] = '\0';
	p->text_len = len;
	/* report.xsd types the text xs:string: collapsing and counting every
	 * paragraph as xs:token with minLength 1 was a third of validation. */
	if (!b->doc->generic && blank(p->text, len))
		return lsn_fail(b->err, LSN_EINPUT, "<%s> has no text: a portion must not "
		    "be blank", (const char *)n->name);
	if (has_marking(n)) {
		if ((rc = portion_marking(b, n, p)) != 0)
			return rc;
	} else {
		/* Unmarked originator, country or keywords: the banner's marking
		 * (deny by default, DESIGN.md section 6). */
		p->inherited = 1;
		if ((rc = acl_marking_dup(&p->marking, d->banner, b->err)) != 0)
			return rc;
	}
	if ((ntk = ns_attr(n, LSN_NS, "access")) != NULL) {
		size_t pos = 0;
		if ((p->ntk = attr_value(ntk)) == NULL)
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
}

/*
 * A report's date from v, the text or attribute value of n (what names it
 * in a message), into out; a value that is not a date (ingest_date_read)
 * rejects the document, at n's line, quoting the value with its control
 * characters shown as '?' so the message stays one line.
 */
static int
read_date(struct build *b, xmlNodePtr n, const char *what, const char *v, char *out)
{
	char shown[41];
	size_t len, i;

	if (ingest_date_read(v, out) == 0)
		return 0;
	v += strspn(v, " \t\n\r");
	len = strlen(v);
	while (len > 0 && strchr(" \t\n\r", v[len - 1]) != NULL)
		len--;
	for (i = 0; i + 1 < sizeof(shown) && i < len; i++)
		shown[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	shown[i] = '\0';
	b->line = (unsigned)xmlGetLineNo(n);
	return lsn_fail(b->err, LSN_EINPUT, "%s \"%s%s\" is not a date: YYYY-MM-DD, a day "
	    "that exists, year 0001-9999", what, shown, i < len ? "..." : "");
}

/* Native report: the schema has fixed the structure already. */
static int
build_native(struct build *b, xmlNodePtr root)
{
	ingest_doc *d = b->doc;
	xmlAttrPtr id = xmlHasProp(root, BAD_CAST "id");
	int rc;

	if (id == NULL || (d->id = attr_value(id)) == NULL)
		return lsn_fail(b->err, LSN_EINPUT, "the report has no id");
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, LSN_NS, "title"))
			rc = add_portion(b, c, INGEST_TITLE);
		else if (is_el(c, LSN_NS, "originator"))
			rc = add_portion(b, c, INGEST_ORIGINATOR);
		else if (is_el(c, LSN_NS, "country"))
			rc = add_portion(b, c, INGEST_COUNTRY);
		else if (is_el(c, LSN_NS, "keywords"))
			rc = add_portion(b, c, INGEST_KEYWORDS);
		else if (is_el(c, LSN_NS, "date")) {
			xmlChar *t = xmlNodeGetContent(c);
			rc = t == NULL ? lsn_fail(b->err, LSN_EINTERNAL, "out of memory") :
			    read_date(b, c, "<date>", (const char *)t, d->date);
			xmlFree(t);
		} else if (is_el(c, LSN_NS, "body")) {
			rc = 0;
			for (xmlNodePtr p = c->children; p != NULL && rc == 0; p = p->next)
				if (is_el(p, LSN_NS, "p"))
					rc = add_portion(b, p, INGEST_PARA);
		} else
			rc = 0;
		if (rc != 0)
			return rc;
	}
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

/* Find the resource element (exactly one) below n. */
static int
find_resource(xmlNodePtr n, xmlNodePtr *found, int *count)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlAttrPtr a = ns_attr(n, ISM_NS, "resourceElement");
		if (a != NULL) {
			char *v = attr_value(a);
			if (v != NULL && strcmp(v, "true") == 0) {
				if (*count == 0)
					*found = n;
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
		for (const unsigned char *t = c->content; t && *t; t++)
			if (*t != ' ' && *t != '\t' && *t != '\n' && *t != '\r')
				return 0;
	}
	return 1;
}

/*
 * Generic ISM document: portions are the marked elements in document
 * order.  An unmarked element outside every portion that holds text is a
 * portion too, under the banner's marking (deny by default, as for a
 * native report's unmarked originator): nothing is dropped, and nothing
 * unmarked is shown to a reader the banner does not admit.
 */
static int
walk_generic(struct build *b, xmlNodePtr n, xmlNodePtr res, int marked, int *titled)
{
	int rc;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		int here = marked;
		if (!marked && !has_marking(n) && !blank_text(n)) {
			if ((rc = add_portion(b, n, INGEST_OTHER)) != 0)
				return rc;
		} else if (n != res && has_marking(n)) {
			int kind = INGEST_OTHER;
			if (!*titled && xmlStrcasecmp(n->name, BAD_CAST "title") == 0) {
				kind = INGEST_TITLE;
				*titled = 1;
			}
			if ((rc = add_portion(b, n, kind)) != 0)
				return rc;
			here = 1;
		} else if (n == res) {
			here = 0;
		}
		if ((rc = walk_generic(b, n->children, res, here, titled)) != 0)
			return rc;
	}
	return 0;
}

static int
build_generic(struct build *b, xmlNodePtr root, const char *fallback_id)
{
	ingest_doc *d = b->doc;
	xmlNodePtr res = NULL;
	xmlAttrPtr a;
	int count = 0, titled = 0, rc;

	find_resource(root, &res, &count);
	if (count == 0)
		return lsn_fail(b->err, LSN_EINPUT, "not a liaison report and no element "
		    "carries ism:resourceElement=\"true\"");
	if (count > 1)
		return lsn_fail(b->err, LSN_EINPUT,
		    "%d elements carry ism:resourceElement=\"true\"; one may", count);
	b->line = (unsigned)xmlGetLineNo(res);
	d->generic = 1;
	if (!has_marking(res))
		return lsn_fail(b->err, LSN_EINPUT, "the resource element <%s> has no "
		    "ism:classification", (const char *)res->name);
	if ((rc = element_marking(b->data, res, &d->banner, b->err)) != 0)
		return rc;
	if ((a = xmlHasProp(res, BAD_CAST "id")) != NULL || (a = xmlHasProp(root, BAD_CAST "id")) != NULL)
		d->id = attr_value(a);
	else if (fallback_id != NULL)
		d->id = strdup(fallback_id);
	else
		return lsn_fail(b->err, LSN_EINPUT, "a generic ISM document needs an id "
		    "attribute on its resource element");
	if (d->id == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	if (!valid_id(d->id))
		return lsn_fail(b->err, LSN_EINPUT, "id \"%.80s\" is not 1-64 letters, "
		    "digits and . _ : -", d->id);
	if ((a = ns_attr(res, ISM_NS, "createDate")) != NULL) {
		char *v = attr_value(a);
		rc = v == NULL ? lsn_fail(b->err, LSN_EINTERNAL, "out of memory") :
		    read_date(b, res, "ism:createDate", v, d->date);
		free(v);
		if (rc != 0)
			return rc;
	}
	return walk_generic(b, root, res, 0, &titled);
}

static unsigned
max_depth(xmlNodePtr n, unsigned depth, unsigned cap)
{
	unsigned m = depth;

	for (; n != NULL && m <= cap; n = n->next)
		if (n->type == XML_ELEMENT_NODE) {
			unsigned d = max_depth(n->children, depth + 1, cap);
			if (d > m)
				m = d;
		}
	return m;
}

struct verr {
	char msg[300];
	unsigned line;
	int set;
};

static void
schema_error(void *ctx, xmlErrorPtr e)
{
	struct verr *v = ctx;
	size_t n;

	if (v->set || e == NULL)
		return;
	v->set = 1;
	v->line = (unsigned)e->line;
	snprintf(v->msg, sizeof(v->msg), "%s", e->message ? e->message : "invalid");
	n = strlen(v->msg);
	while (n > 0 && (v->msg[n - 1] == '\n' || v->msg[n - 1] == ' '))
		v->msg[--n] = '\0';
}

/* Roll the portions up and hold the banner to it. */
static int
check_banner(struct build *b, const ingest_parse_opts *o, xmlNodePtr res_node)
{
	ingest_doc *d = b->doc;
	const acl_marking **parts = NULL;
	acl_marking *computed = NULL;
	char *want = NULL, *have = NULL;
	size_t n = 0;
	int rc;

	b->line = res_node ? (unsigned)xmlGetLineNo(res_node) : 1;
	if ((rc = acl_marking_validate(d->banner, b->err)) != 0 && !o->fix_banner)
		return lsn_fail(b->err, rc, "banner: %s", b->err->msg);
	if (d->nportions == 0)
		return lsn_fail(b->err, LSN_EINPUT, "the report has no marked portion");
	if ((parts = calloc(d->nportions, sizeof(*parts))) == NULL)
		return lsn_fail(b->err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < d->nportions; i++)
		if (!d->portions[i].inherited)
			parts[n++] = d->portions[i].marking;
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
		rc = lsn_fail(b->err, LSN_EINPUT, "banner %s does not equal the roll-up of "
		    "its portions, %s (--fix-banner stores the computed one)",
		    have ? have : "?", want);
		goto out;
	}
	/* --fix-banner: the computed banner, also for portions that took it. */
	d->old_banner = have;
	have = NULL;
	d->banner_fixed = 1;
	acl_marking_free(d->banner);
	d->banner = computed;
	computed = NULL;
	for (size_t i = 0; i < d->nportions; i++) {
		if (!d->portions[i].inherited)
			continue;
		acl_marking_free(d->portions[i].marking);
		d->portions[i].marking = NULL;
		if ((rc = acl_marking_dup(&d->portions[i].marking, d->banner, b->err)) != 0)
			goto out;
	}
out:
	acl_marking_free(computed);
	free(want);
	free(have);
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
	xmlParserCtxtPtr ctxt = NULL;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	struct build b = { 0 };
	struct verr ve = { .set = 0 };
	const char *why;
	size_t bad;
	int rc = LSN_EINPUT;

	*out = NULL;
	*line = 0;
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
	/* From here to the end, libxml2 allocates from this thread's arena
	 * (ingest/xmlmem.c): its context, dictionary, tree and validation. */
	ingest__xml_arena_begin();
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	/* NONET; and deliberately not NOENT, DTDLOAD, DTDATTR, XINCLUDE, HUGE.
	 * COMPACT keeps short text (the blanks between elements) inside its
	 * node instead of a string of its own: the tree is only read. */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "document.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
		XML_PARSE_NOCDATA | XML_PARSE_COMPACT);
	if (doc == NULL || !ctxt->wellFormed) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
		char msg[300] = "malformed XML";
		if (e != NULL && e->message != NULL) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			for (size_t n = strlen(msg); n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ');)
				msg[--n] = '\0';
			*line = (unsigned)e->line;
		}
		if (strstr(msg, "Excessive depth") != NULL)
			rc = lsn_fail(err, LSN_EINPUT, "elements nested deeper than %u levels",
			    depth_cap);
		else
			rc = lsn_fail(err, LSN_EINPUT, "malformed XML: %s", msg);
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = lsn_fail(err, LSN_EINPUT, "a DTD is not accepted");
		goto out;
	}
	if (doc->encoding != NULL && xmlStrcasecmp(doc->encoding, BAD_CAST "UTF-8") != 0) {
		rc = lsn_fail(err, LSN_EINPUT, "encoding %s: only UTF-8 is accepted",
		    (const char *)doc->encoding);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		rc = lsn_fail(err, LSN_EINPUT, "no root element");
		goto out;
	}
	if (max_depth(root, 1, depth_cap) > depth_cap) {
		rc = lsn_fail(err, LSN_EINPUT, "elements nested deeper than %u levels",
		    depth_cap);
		goto out;
	}
	if ((b.doc = calloc(1, sizeof(*b.doc))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	if (root->ns != NULL && xmlStrcmp(root->ns->href, BAD_CAST LSN_NS) == 0) {
		/* A native report: the schema decides its structure. */
		if ((vctxt = xmlSchemaNewValidCtxt(p->schema)) == NULL) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			goto out;
		}
		xmlSchemaSetValidStructuredErrors(vctxt, schema_error, &ve);
		if (xmlSchemaValidateDoc(vctxt, doc) != 0) {
			*line = ve.line;
			rc = lsn_fail(err, LSN_EINPUT, "does not match schemas/report.xsd: %s",
			    ve.set ? ve.msg : "invalid");
			goto out;
		}
		if ((rc = element_marking(p->data, root, &b.doc->banner, err)) != 0) {
			*line = (unsigned)xmlGetLineNo(root);
			goto out;
		}
		if ((rc = build_native(&b, root)) != 0) {
			*line = b.line;
			goto out;
		}
		rc = check_banner(&b, o, root);
	} else {
		xmlNodePtr res = NULL;
		int count = 0;
		if ((rc = build_generic(&b, root, o->fallback_id)) != 0) {
			*line = b.line;
			goto out;
		}
		find_resource(root, &res, &count);
		rc = check_banner(&b, o, res);
	}
	if (rc != 0) {
		*line = b.line;
		goto out;
	}
	*out = b.doc;
	b.doc = NULL;
out:
	build_clear(&b);
	ingest_doc_free(b.doc);
	if (vctxt != NULL)
		xmlSchemaFreeValidCtxt(vctxt);
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	ingest__xml_arena_end();
	return rc;
}
