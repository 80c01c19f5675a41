/*
 * tests/unit/test_parse.c - the parser's byte checks (ingest/parse.c) and
 * libxml2's memory (ingest/xmlmem.c).
 *
 * A NUL or an invalid UTF-8 sequence is found at every offset, in and
 * around the eight-byte ASCII fast path, and named by its byte offset;
 * valid multi-byte characters pass.
 *
 * A report's date is an xs:date (white space around it, a time zone) of a
 * day that exists; a native <date> or a generic ism:createDate that is
 * not one rejects the document at its line, in one line.
 *
 * A native report, read in one validated pass of SAX events, has the
 * text, need-to-know, lines and schema error lines a tree gave it.  A
 * marking is known by its attributes as written, and no value can pass for
 * more attributes than it is.  The depth cap admits a document exactly as
 * deep as it.
 *
 * Inside a document's scope libxml2 allocates from the thread's arena;
 * at the end every byte it handed out is zero and only the first chunk is
 * kept.  Blocks from before the scope are freed and grown as malloc blocks;
 * a block grown in place keeps its content; the thread's last error, which
 * outlives a parse, no longer names arena strings; a document that fails to
 * parse leaves the arena wiped too.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#include "ingest/ingest.h"

static void
assert_clean(size_t want_chunks)
{
	size_t chunks, used;
	int wiped;

	ingest__xml_arena_stats(&chunks, &used, &wiped);
	assert_int_equal(chunks, want_chunks);
	assert_int_equal(used, 0);
	assert_true(wiped);
}

static void
test_blocks(void **state)
{
	(void)state;
	ingest__xml_mem_setup();
	char *before = xmlMalloc(64); /* a malloc block, from outside any scope */
	assert_non_null(before);
	memset(before, 'b', 64);

	ingest__xml_arena_begin();
	char *p = xmlMalloc(100);
	assert_non_null(p);
	memset(p, 'A', 100);
	/* The newest block grows in place, and keeps its bytes. */
	char *q = xmlRealloc(p, 3000);
	assert_ptr_equal(q, p);
	for (int i = 0; i < 100; i++)
		assert_int_equal(q[i], 'A');
	memset(q, 'A', 3000);
	/* An older block moves, with its bytes. */
	char *s = xmlMemStrdup("secret words");
	char *q2 = xmlRealloc(q, 6000);
	assert_ptr_not_equal(q2, q);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(q2[i], 'A');
	assert_string_equal(s, "secret words");
	/* A block from before the scope is still a malloc block. */
	before = xmlRealloc(before, 4096);
	assert_non_null(before);
	assert_int_equal(before[63], 'b');
	xmlFree(before);
	/* More than a chunk: a second, larger chunk. */
	char *big = xmlMalloc(2u << 20);
	assert_non_null(big);
	memset(big, 'Z', 2u << 20);
	size_t chunks, used;
	int wiped;
	ingest__xml_arena_stats(&chunks, &used, &wiped);
	assert_int_equal(chunks, 2);
	assert_true(used > (2u << 20));
	xmlFree(s);
	xmlFree(q2);
	ingest__xml_arena_end();
	/* Only the first chunk is kept, and nothing written is left in it. */
	assert_clean(1);

	/* Freeing the newest block gives its space back. */
	ingest__xml_arena_begin();
	void *a = xmlMalloc(40), *b = xmlMalloc(40);
	ingest__xml_arena_stats(&chunks, &used, &wiped);
	size_t two = used;
	xmlFree(b);
	ingest__xml_arena_stats(&chunks, &used, &wiped);
	assert_true(used < two);
	xmlFree(a);
	ingest__xml_arena_end();
	assert_clean(1);
}

static const char bad_doc[] = "<?xml version=\"1.0\"?>\n<r><unclosed></r>\n";
static const char good_doc[] = "<?xml version=\"1.0\"?>\n<r a=\"secret words\">text</r>\n";

static void
test_documents(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		ingest__xml_arena_begin();
		xmlParserCtxtPtr c = xmlNewParserCtxt();
		assert_non_null(c);
		xmlDocPtr d = xmlCtxtReadMemory(c, bad_doc, (int)sizeof(bad_doc) - 1, "d.xml",
		    NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		assert_null(d);
		xmlErrorPtr e = xmlGetLastError();
		assert_non_null(e);
		assert_non_null(e->message);
		xmlFreeParserCtxt(c);
		ingest__xml_arena_end();
		/* The error that outlives the parse names no arena string. */
		e = xmlGetLastError();
		assert_true(e == NULL || e->message == NULL);
		assert_clean(1);

		ingest__xml_arena_begin();
		c = xmlNewParserCtxt();
		d = xmlCtxtReadMemory(c, good_doc, (int)sizeof(good_doc) - 1, "d.xml", NULL,
		    XML_PARSE_NONET);
		assert_non_null(d);
		xmlChar *t = xmlNodeGetContent(xmlDocGetRootElement(d));
		assert_string_equal((char *)t, "text");
		xmlFree(t);
		xmlFreeDoc(d);
		xmlFreeParserCtxt(c);
		ingest__xml_arena_end();
		assert_clean(1);
	}
}

/* A parser over the shipped marking data, for each test that parses; when
 * the test is over, libxml2's arena holds nothing. */
struct fixture {
	acl_data *data;
	ingest_parser *p;
};

static int
parser_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	lsn_err err;

	if (f == NULL || acl_data_load(&f->data, NULL, NULL, &err) != 0 ||
	    ingest_parser_new(&f->p, f->data, &err) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
parser_teardown(void **state)
{
	struct fixture *f = *state;

	ingest_parser_free(f->p);
	acl_data_free(f->data);
	free(f);
	assert_clean(1);
	return 0;
}

static ingest_parser *
parser_of(void **state)
{
	return ((struct fixture *)*state)->p;
}

/* A byte problem at offset i of a 64-byte document is reported there. */
static void
test_bytes(void **state)
{
	static const char *const bad[] = { "\0", "\xc3\x28", "\xff", "\xed\xa0\x80",
		"\xe2\x82" };
	static const char *const why[] = { "a NUL byte at byte", "invalid UTF-8 at byte",
		"invalid UTF-8 at byte", "invalid UTF-8 at byte", "invalid UTF-8 at byte" };
	static const size_t blen[] = { 1, 2, 1, 3, 2 };
	lsn_err err;
	char doc[64], want[80];
	ingest_parser *p = parser_of(state);

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		for (size_t i = 0; i + blen[k] <= sizeof(doc); i++) {
			ingest_doc *d = NULL;
			unsigned line = 0;
			/* Never a complete sequence at the end of the buffer: the
			 * truncated one is the error. */
			memset(doc, 'a', sizeof(doc));
			memcpy(doc + i, bad[k], blen[k]);
			size_t len = k == 4 ? i + blen[k] : sizeof(doc);
			assert_int_equal(ingest_parse(p, doc, len, NULL, &d, &line, &err),
			    LSN_EINPUT);
			snprintf(want, sizeof(want), "%s %zu", why[k], i);
			assert_string_equal(err.msg, want);
			assert_null(d);
		}
	}
	/* Two- and four-byte characters at every offset pass the byte
	 * check (the document is then not XML). */
	for (size_t i = 0; i + 4 <= sizeof(doc); i++) {
		ingest_doc *d = NULL;
		unsigned line = 0;
		memset(doc, 'a', sizeof(doc));
		memcpy(doc + i, i % 2 ? "\xf0\x9f\x98\x80" : "\xc3\xa9\xc3\xa9", 4);
		assert_int_equal(ingest_parse(p, doc, sizeof(doc), NULL, &d, &line, &err),
		    LSN_EINPUT);
		assert_null(strstr(err.msg, "at byte"));
	}
}

/* ingest_date_read: what a report's date may be written as. */
static void
test_dates(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: not a date */
	} cases[] = {
		{ "2024-01-09", "2024-01-09" },
		{ "\n    2024-01-09\n  ", "2024-01-09" },
		{ "2024-01-09Z", "2024-01-09" },
		{ "2024-01-09+05:30", "2024-01-09" },
		{ "2024-01-09-14:00", "2024-01-09" },
		{ "2024-02-29", "2024-02-29" },
		{ "2000-02-29", "2000-02-29" },
		{ "0001-01-01", "0001-01-01" },
		{ "9999-12-31", "9999-12-31" },
		{ "2023-02-29", NULL },
		{ "1900-02-29", NULL },
		{ "2024-02-30", NULL },
		{ "2024-04-31", NULL },
		{ "2024-13-02", NULL },
		{ "2024-00-10", NULL },
		{ "2024-01-00", NULL },
		{ "0000-01-01", NULL },
		{ "12024-01-01", NULL },
		{ "-0044-03-15", NULL },
		{ "2024-01-09+14:01", NULL },
		{ "2024-01-09+05:60", NULL },
		{ "2024-01-09+0530", NULL },
		{ "2024-01-09 Z", NULL },
		{ "2024-1-9", NULL },
		{ "2024/01/09", NULL },
		{ "", NULL },
		{ "  ", NULL },
	};
	char out[INGEST_DATE_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ingest_date_read(cases[i].in, out);
		if (cases[i].out == NULL) {
			if (rc != -1)
				fail_msg("\"%s\" was read as a date, %s", cases[i].in, out);
		} else {
			if (rc != 0)
				fail_msg("\"%s\" was not read as a date", cases[i].in);
			assert_string_equal(out, cases[i].out);
		}
	}
}

static int
parse_dated(ingest_parser *p, const char *tmpl, const char *date, ingest_doc **d,
    unsigned *line, lsn_err *err)
{
	char doc[1024];
	const char *at = strchr(tmpl, '@');
	int n = snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - tmpl), tmpl, date, at + 1);

	assert_true(n > 0 && (size_t)n < sizeof(doc));
	*d = NULL;
	*line = 0;
	return ingest_parse(p, doc, (size_t)n, NULL, d, line, err);
}

/* The document tmpl with date for its '@' is stored with the date want. */
static void
dated(ingest_parser *p, const char *tmpl, const char *date, const char *want)
{
	ingest_doc *d;
	unsigned line;
	lsn_err err;

	if (parse_dated(p, tmpl, date, &d, &line, &err) != 0)
		fail_msg("%s: %s", date, err.msg);
	assert_string_equal(d->date, want);
	ingest_doc_free(d);
}

/* The document tmpl with date for its '@' is rejected, saying msg (a part of the
 * message) at line (0: any). */
static void
refused(ingest_parser *p, const char *tmpl, const char *date, const char *msg,
    unsigned want_line)
{
	ingest_doc *d;
	unsigned line;
	lsn_err err;

	assert_int_equal(parse_dated(p, tmpl, date, &d, &line, &err), LSN_EINPUT);
	assert_null(d);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", date, err.msg, msg);
	assert_null(strchr(err.msg, '\n'));
	if (want_line != 0)
		assert_int_equal(line, want_line);
}

/* A native report's <date> and a generic document's ism:createDate. */
static void
test_report_dates(void **state)
{
	static const char native[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\"\n"
	    "  id=\"DATED\" ism:resourceElement=\"true\" ism:createDate=\"2024-01-09\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <title ism:classification=\"U\" ism:ownerProducer=\"USA\">Dated</title>\n"
	    "  <date>@</date>\n"
	    "  <body><p ism:classification=\"U\" ism:ownerProducer=\"USA\">Text.</p></body>\n"
	    "</report>\n";
	static const char generic[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<r xmlns:ism=\"urn:us:gov:ic:ism\" id=\"G\" ism:resourceElement=\"true\"\n"
	    "  ism:createDate=\"@\" ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <p ism:classification=\"U\" ism:ownerProducer=\"USA\">Text.</p></r>\n";
	ingest_parser *p = parser_of(state);

	/* A time zone.  (libxml2's schema check refuses white space around
	 * an xs:date, which XML Schema would collapse.) */
	dated(p, native, "2024-02-29Z", "2024-02-29");
	/* Years xs:date allows and a report's date does not. */
	refused(p, native, "12024-01-01", "<date> \"12024-01-01\" is not a date: YYYY-MM-DD, "
	    "a day that exists, year 0001-9999", 6);
	refused(p, native, "-0044-03-15", "<date> \"-0044-03-15\" is not a date", 6);
	/* A day that does not exist: the schema says so first. */
	refused(p, native, "2024-02-30", "does not match schemas/report.xsd", 6);

	dated(p, generic, " 2024-12-02 ", "2024-12-02");
	/* Line 3: libxml2's line of an element is where its start tag ends. */
	refused(p, generic, "2024-13-02", "ism:createDate \"2024-13-02\" is not a date: "
	    "YYYY-MM-DD, a day that exists, year 0001-9999", 3);
	/* Control characters are not echoed into the one-line message. */
	refused(p, generic, "2024-01-09&#10;x", "\"2024-01-09?x\"", 3);

	/* A native report may leave its date out, as a generic document may:
	 * it is undated (the XML view of an undated report has no <date>, so
	 * that it is itself a valid report, and does not get a false one). */
	static const char undated[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\"\n"
	    "  id=\"UNDATED\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <title ism:classification=\"U\" ism:ownerProducer=\"USA\">Undated</title>\n"
	    "  <body><p ism:classification=\"U\" ism:ownerProducer=\"USA\">Text.</p></body>\n"
	    "</report>\n";
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;
	if (ingest_parse(p, undated, sizeof(undated) - 1, NULL, &d, &line, &err) != 0)
		fail_msg("%s at line %u", err.msg, line);
	assert_string_equal(d->date, "");
	ingest_doc_free(d);
}

/* Parse doc (NUL-terminated) with opts; the result, *d and *line set. */
static int
parse_text(ingest_parser *p, const char *doc, const ingest_parse_opts *o, ingest_doc **d,
    unsigned *line, lsn_err *err)
{
	*d = NULL;
	*line = 0;
	return ingest_parse(p, doc, strlen(doc), o, d, line, err);
}

/* A native report is read in one validated pass of SAX events: its text
 * with CDATA, references, comments and processing instructions, its
 * need-to-know with '&' however written, each portion's line, and the
 * line of a schema error about an element (where its start tag ends). */
static void
test_native_read(void **state)
{
	static const char doc[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<!-- a comment -->\n"
	    "<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\"\n"
	    "  xmlns:lsn=\"urn:liaison:report:1\"\n"
	    "  id=\"NATIVE-1\" ism:resourceElement=\"true\" ism:createDate=\"2024-01-09\"\n"
	    "  ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:releasableTo=\"USA GBR\"\n"
	    "  ism:disseminationControls=\"REL\">\n"
	    "  <title ism:classification=\"U\" ism:ownerProducer=\"USA\"><![CDATA[A <b> & c]]> d</title>\n"
	    "  <originator>Unit &amp; team</originator>\n"
	    "  <date>2024-01-09</date>\n"
	    "  <body>\n"
	    "    <p ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:releasableTo=\"USA GBR\"\n"
	    "       ism:disseminationControls=\"REL\"\n"
	    "       lsn:access=\"J2&amp;(OPS|PLANS)&#38;X\">One &lt;two&gt;<!-- no -->&#x41;<?pi no?>\n"
	    "three</p>\n"
	    "  </body>\n"
	    "</report>\n";
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;
	char *r = NULL;
	ingest_parser *p = parser_of(state);

	if (parse_text(p, doc, NULL, &d, &line, &err) != 0)
		fail_msg("%s at line %u", err.msg, line);
	assert_string_equal(d->id, "NATIVE-1");
	assert_string_equal(d->date, "2024-01-09");
	assert_false(d->generic);
	assert_int_equal(d->nportions, 3);
	assert_string_equal(d->portions[0].text, "A <b> & c d");
	assert_int_equal(d->portions[0].text_len, strlen("A <b> & c d"));
	assert_int_equal(d->portions[0].kind, INGEST_TITLE);
	assert_int_equal(d->portions[0].line, 8);
	assert_string_equal(d->portions[1].text, "Unit & team");
	assert_int_equal(d->portions[1].kind, INGEST_ORIGINATOR);
	assert_true(d->portions[1].inherited);
	assert_int_equal(d->portions[1].line, 9);
	assert_string_equal(d->portions[2].text, "One <two>A\nthree");
	assert_string_equal(d->portions[2].element, "p");
	assert_int_equal(d->portions[2].kind, INGEST_PARA);
	/* A start tag over two lines: where it ends. */
	assert_int_equal(d->portions[2].line, 14);
	assert_string_equal(d->portions[2].ntk, "J2&(OPS|PLANS)&X");
	assert_int_equal(acl_marking_render(&r, d->portions[1].marking, ACL_BANNER, &err), 0);
	assert_string_equal(r, "SECRET//REL TO USA, GBR");
	free(r);
	ingest_doc_free(d);

	/* The schema's complaint about an element is at that element's line,
	 * also when it is found at the element's end. */
	static const char missing[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\"\n"
	    "  id=\"NATIVE-2\" ism:resourceElement=\"true\" ism:createDate=\"2024-01-09\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <title ism:classification=\"U\" ism:ownerProducer=\"USA\">T</title>\n"
	    "  <date>2024-01-09</date>\n"
	    "</report>\n";
	assert_int_equal(parse_text(p, missing, NULL, &d, &line, &err), LSN_EINPUT);
	assert_null(d);
	assert_non_null(strstr(err.msg, "does not match schemas/report.xsd"));
	assert_non_null(strstr(err.msg, "Missing child element"));
	assert_int_equal(line, 4);

	/* A comment left open is quoted from its start (as a tree's parse
	 * quoted it), on one line.  (Its last two characters are libxml2's
	 * look-ahead, never copied.) */
	static const char open_comment[] =
	    "<report xmlns=\"urn:liaison:report:1\" id=\"NATIVE-3\"/>\n"
	    "<!-- an open\ncomment \xc3\xa9 here";
	assert_int_equal(parse_text(p, open_comment, NULL, &d, &line, &err), LSN_EINPUT);
	assert_null(d);
	assert_string_equal(err.msg,
	    "malformed XML: Comment not terminated ?<!-- an open?comment \xc3\xa9 he");
	assert_int_equal(line, 3);
}

/*
 * A generic document's text is each in exactly one portion: a marked
 * element's under its marking, less its nested marked elements' (their
 * own portions); the text outside every portion under the banner's
 * marking: an unmarked element's own text, and the resource element's own
 * text between its children, CDATA too (which was dropped).  Words on
 * either side of an element boundary stay apart (they were glued).
 */
static void
test_generic_text(void **state)
{
	static const char doc[] =
	    "<wrap xmlns:ism=\"urn:us:gov:ic:ism\">before\n"
	    "<doc id=\"G-TEXT\" ism:resourceElement=\"true\" ism:createDate=\"2024-01-09\"\n"
	    "  ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\">"
	    "lead <![CDATA[cdata]]>\n"
	    "<p ism:classification=\"U\" ism:ownerProducer=\"USA\">public <q ism:classification=\"S\""
	    " ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\">nested</q> end</p>"
	    "<section><h>heading</h></section>tail"
	    "<p ism:classification=\"U\" ism:ownerProducer=\"USA\"><l>first</l><l>second</l>"
	    "a<br/>b<q ism:classification=\"U\" ism:ownerProducer=\"USA\">cut</q>c</p></doc>"
	    "after</wrap>\n";
	static const struct {
		const char *text;
		int inherited;
		const char *marking;
	} want[] = {
		{ "before\nafter", 1, "SECRET//NOFORN" },
		/* unmarked text with its unmarked elements' text in it, in order */
		{ "lead cdata\nheading tail", 1, "SECRET//NOFORN" },
		{ "public  end", 0, "UNCLASSIFIED" },
		{ "nested", 0, "SECRET//NOFORN" },
		{ "first second a b c", 0, "UNCLASSIFIED" },
		{ "cut", 0, "UNCLASSIFIED" },
	};
	ingest_parser *p = parser_of(state);
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;

	if (parse_text(p, doc, NULL, &d, &line, &err) != 0)
		fail_msg("%s at line %u", err.msg, line);
	assert_true(d->generic);
	assert_int_equal(d->nportions, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < d->nportions; i++) {
		char *r = NULL;
		assert_string_equal(d->portions[i].text, want[i].text);
		assert_int_equal(d->portions[i].inherited, want[i].inherited);
		assert_int_equal(acl_marking_render(&r, d->portions[i].marking, ACL_BANNER, &err), 0);
		assert_string_equal(r, want[i].marking);
		free(r);
	}
	ingest_doc_free(d);
}

/* doc is refused, its one-line message saying msg at line. */
static void
refused_doc(ingest_parser *p, const char *doc, const char *msg, unsigned want_line)
{
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;

	assert_int_equal(parse_text(p, doc, NULL, &d, &line, &err), LSN_EINPUT);
	assert_null(d);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err.msg, msg);
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(line, want_line);
}

#define G_OPEN "<doc xmlns:ism=\"urn:us:gov:ic:ism\" xmlns:lsn=\"urn:liaison:report:1\" id=\"G\"" \
	" ism:resourceElement=\"true\" ism:classification=\"U\" ism:ownerProducer=\"USA\""
#define G_U "ism:classification=\"U\" ism:ownerProducer=\"USA\""

/*
 * A marking or need-to-know that would go unseen is refused, never
 * ignored (each of these was stored, its text readable by a partner the
 * writer meant to keep from it): part of a marking without
 * ism:classification (generic and native), an attribute given twice
 * through two prefixes of the ISM namespace (the later was read), a
 * marking in no namespace or in a look-alike one, an lsn:access on the
 * resource element or on an element whose text is another's portion.
 */
static void
test_unseen_markings(void **state)
{
	ingest_parser *p = parser_of(state);

	refused_doc(p, G_OPEN ">\n<p " G_U ">a <span ism:disseminationControls=\"NF\">b</span></p></doc>",
	    "<span> has ism:disseminationControls but no ism:classification", 2);
	refused_doc(p, G_OPEN ">\n<q ism:ownerProducer=\"USA\">b</q><p " G_U ">a</p></doc>",
	    "<q> has ism:ownerProducer but no ism:classification", 2);
	refused_doc(p, G_OPEN " xmlns:b=\"urn:us:gov:ic:ism\">\n<p ism:classification=\"S\" "
	    "b:classification=\"U\" ism:ownerProducer=\"USA\">a</p></doc>",
	    "malformed XML: Namespaced Attribute classification in 'urn:us:gov:ic:ism' redefined", 2);
	refused_doc(p, G_OPEN " xmlns:i=\"URN:US:GOV:IC:ISM\">\n<p " G_U ">a <span "
	    "i:classification=\"S\">b</span></p></doc>",
	    "<span> has classification in namespace \"URN:US:GOV:IC:ISM\", not urn:us:gov:ic:ism", 2);
	refused_doc(p, G_OPEN " xmlns:i=\"urn:us:gov:ic:ism \">\n<p " G_U ">a <span "
	    "i:disseminationControls=\"NF\">b</span></p></doc>",
	    "malformed XML: xmlns:i: 'urn:us:gov:ic:ism ' is not a valid URI", 1);
	refused_doc(p, G_OPEN ">\n<p " G_U ">a <span classification=\"S\">b</span></p></doc>",
	    "<span> has an attribute classification in no namespace", 2);
	refused_doc(p, G_OPEN " lsn:access=\"J2\">\n<p " G_U ">a</p></doc>",
	    "<doc> is the resource element: lsn:access belongs on the portions", 1);
	refused_doc(p, G_OPEN ">\n<p " G_U ">a <span lsn:access=\"OPS\">b</span></p></doc>",
	    "<span> has lsn:access but its text is part of another portion", 2);
	refused_doc(p, G_OPEN ">\n<p " G_U " lsn:Access=\"J2\">a</p></doc>",
	    "<p> has an unknown attribute Access in urn:liaison:report:1", 2);
	/* Another version of either namespace, and a need-to-know in none:
	 * each was ignored, and a partner read what it marked (helper-25). */
	refused_doc(p, G_OPEN " xmlns:i=\"urn:us:gov:ic:ism:v2\">\n<p " G_U ">a <span "
	    "i:classification=\"S\" i:disseminationControls=\"NF\">b</span></p></doc>",
	    "<span> has classification in namespace \"urn:us:gov:ic:ism:v2\", not urn:us:gov:ic:ism",
	    2);
	refused_doc(p, G_OPEN " xmlns:l=\"urn:liaison:report\">\n<p " G_U " l:access=\"J2\">a</p>"
	    "</doc>", "<p> has access in namespace \"urn:liaison:report\", not urn:liaison:report:1",
	    2);
	/* A case variant of liaison's namespace is named as such, whatever
	 * the attribute (it was named the ISM one for any but access). */
	refused_doc(p, G_OPEN " xmlns:l=\"URN:LIAISON:REPORT:1\">\n<p " G_U " l:foo=\"x\">a</p>"
	    "</doc>", "<p> has foo in namespace \"URN:LIAISON:REPORT:1\", not urn:liaison:report:1",
	    2);
	refused_doc(p, G_OPEN ">\n<p " G_U " access=\"J2\">a</p></doc>",
	    "<p> has an attribute access in no namespace: a need-to-know is lsn:access", 2);
	/* No marked portion, or none with text (it said "no portion takes
	 * part in the roll-up", of a document with no excluded one). */
	refused_doc(p, G_OPEN ">Hello <a>x</a></doc>",
	    "no marked portion: an element other than the resource element must carry", 1);
	refused_doc(p, G_OPEN ">\n<p " G_U "> </p></doc>", "no portion has text", 1);
	/* An id taken from the file name says so when it is refused. */
	{
		ingest_parse_opts o = { .fallback_id = "my file" };
		ingest_doc *d = NULL;
		unsigned line;
		lsn_err err;
		assert_int_equal(parse_text(p, "<doc xmlns:ism=\"urn:us:gov:ic:ism\" "
		    "ism:resourceElement=\"true\" " G_U "><p " G_U ">a</p></doc>", &o, &d, &line,
		    &err), LSN_EINPUT);
		assert_non_null(strstr(err.msg, "id \"my file\" (the file name: no id attribute)"));
		assert_null(d);
	}
	/* Two resource elements: the line of the second (it gave none). */
	refused_doc(p, "<r xmlns:ism=\"urn:us:gov:ic:ism\" id=\"T\">\n<a ism:resourceElement=\"true\" "
	    G_U "/>\n<b ism:resourceElement=\"1\" " G_U ">y</b></r>",
	    "2 elements carry ism:resourceElement=\"true\"; one may (the second: <b>)", 3);

	static const char native[] =
	    "<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\"\n"
	    "  id=\"N\" ism:resourceElement=\"true\" ism:createDate=\"2024-01-09\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <title " G_U ">T</title>\n"
	    "  <originator ism:disseminationControls=\"NF\">Unit</originator>\n"
	    "  <date>2024-01-09</date>\n"
	    "  <body><p " G_U ">Text.</p></body>\n"
	    "</report>\n";
	refused_doc(p, native, "<originator> has ism:disseminationControls but no "
	    "ism:classification", 5);

	/* What stays allowed: an unmarked element outside every portion with
	 * its own lsn:access (its text is its own portion, under it), and a
	 * generic id in no namespace next to another namespace's. */
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;
	if (parse_text(p, "<doc xmlns:ism=\"urn:us:gov:ic:ism\" xmlns:lsn=\"urn:liaison:report:1\""
	    " xmlns:f=\"urn:f\" f:id=\"OTHER\" id=\"MINE\" ism:resourceElement=\"true\" " G_U ">"
	    "<from lsn:access=\"J2\">x</from><p " G_U ">a</p></doc>", NULL, &d, &line, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(d->id, "MINE");
	assert_int_equal(d->nportions, 2);
	assert_string_equal(d->portions[0].ntk, "J2");
	assert_true(d->portions[0].inherited);
	ingest_doc_free(d);
	/* An lsn:access restricts every portion inside its element too, all
	 * of them required: on a container (marked and blank, or unmarked)
	 * it covered nothing (helper-26). */
	d = NULL;
	if (parse_text(p, G_OPEN ">\n<section lsn:access=\"OPS\"><h " G_U ">b</h>"
	    "<div " G_U " lsn:access=\"CI\">&#160;<p " G_U " lsn:access=\"J2\">c</p>&#x200B;</div></section>"
	    "<p " G_U ">d</p></doc>", NULL, &d, &line, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(d->nportions, 3); /* the blank div (U+00A0, U+200B) is no portion */
	assert_int_equal(d->nblanks, 1);
	assert_string_equal(d->portions[0].ntk, "OPS");
	assert_string_equal(d->portions[1].ntk, "((OPS)&(CI))&(J2)");
	assert_null(d->portions[2].ntk);
	ingest_doc_free(d);
	/* An xs:boolean "1" or " true ", a token with white space around it:
	 * valid ISM values, whose reports were refused (helper-25). */
	d = NULL;
	if (parse_text(p, "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"B\" ism:resourceElement=\"1\" "
	    "ism:classification=\" S \" ism:ownerProducer=\" USA \" ism:disseminationControls=\"NF\">"
	    "<p ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\" NF\" "
	    "ism:excludeFromRollup=\" false \">a</p></doc>", NULL, &d, &line, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(d->nportions, 1);
	assert_int_equal(acl_marking_level(d->banner), ACL_LEVEL_S);
	ingest_doc_free(d);
	d = NULL;
	if (parse_text(p, "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"B\" ism:resourceElement=\" true\n\" "
	    G_U "><p " G_U ">a</p></doc>", NULL, &d, &line, &err) != 0)
		fail_msg("%s", err.msg);
	ingest_doc_free(d);
}

/* --fix-banner never lowers unmarked text: it had the written banner as
 * its only marking (a TOP SECRET//NOFORN originator went to SECRET//REL TO
 * USA, GBR with the banner).  Written above the marked portions, the
 * banner stands; below them, it is raised, with the unmarked text. */
static void
test_fix_banner_keeps_unmarked_text(void **state)
{
	/* A banner above its portions stands, and the unmarked text keeps it. */
	static const char high[] =
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"H\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"TS\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\">\n"
	    "unmarked <p ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	    "ism:disseminationControls=\"REL\" ism:releasableTo=\"USA GBR\">rel</p></doc>\n";
	/* Any other is refused: no marking computed from the written and the
	 * computed banners is sure to ask all that each asks.  Each of these
	 * was fixed, and a reader the written banner denied then read the
	 * unmarked text: low went from U to SECRET//NOFORN (not lowered, but
	 * a guess), UCNI lost DOE UCNI beside SECRET, ORCON-USGOV became
	 * ORCON (a US reader outside government read it), and JOINT became
	 * FGI (a GBR partner cleared C read JOINT CONFIDENTIAL). */
	static const char *const refused[] = {
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"L\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "unmarked <p ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	    "ism:disseminationControls=\"NF\">nf</p></doc>\n",
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"D\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\" ism:atomicEnergyMarkings=\"UCNI\">\n"
	    "unmarked <p ism:classification=\"S\" ism:ownerProducer=\"USA\">s</p></doc>\n",
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"O\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	    "ism:disseminationControls=\"OC OC-USGOV NF\">\n"
	    "unmarked <p ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	    "ism:disseminationControls=\"OC NF\">s</p></doc>\n",
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"J\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"C\" ism:ownerProducer=\"GBR USA\" ism:joint=\"true\" "
	    "ism:disseminationControls=\"REL\" ism:releasableTo=\"USA GBR\">\n"
	    "unmarked <p ism:classification=\"S\" ism:ownerProducer=\"USA\" "
	    "ism:disseminationControls=\"REL\" ism:releasableTo=\"USA GBR\">s</p></doc>\n",
	};
	static const char invalid[] =
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"I\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"REL\">\n"
	    "unmarked <p " G_U ">u</p></doc>\n";
	const ingest_parse_opts fix = { .fix_banner = 1 };
	ingest_parser *p = parser_of(state);
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;
	char *r = NULL;

	if (parse_text(p, high, &fix, &d, &line, &err) != 0)
		fail_msg("%s", err.msg);
	assert_false(d->banner_fixed);
	assert_int_equal(acl_marking_render(&r, d->banner, ACL_BANNER, &err), 0);
	assert_string_equal(r, "TOP SECRET//NOFORN");
	free(r);
	assert_true(d->portions[0].inherited);
	assert_int_equal(acl_marking_render(&r, d->portions[0].marking, ACL_BANNER, &err), 0);
	assert_string_equal(r, "TOP SECRET//NOFORN");
	free(r);
	ingest_doc_free(d);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (parse_text(p, refused[i], &fix, &d, &line, &err) != LSN_EINPUT)
			fail_msg("case %zu: not refused", i);
		assert_null(d);
		if (strstr(err.msg, "and 1 unmarked portion takes it as its marking: mark it "
				    "(--fix-banner cannot)") == NULL)
			fail_msg("case %zu: %s", i, err.msg);
	}

	assert_int_equal(parse_text(p, invalid, &fix, &d, &line, &err), LSN_EINPUT);
	assert_null(d);
	assert_non_null(strstr(err.msg, "is invalid, and 1 unmarked portion would take it"));
}

/*
 * A marking is known by its ISM attributes as written, and a value cannot
 * pass for more attributes than it is: a classification holding a line
 * feed and "ownerProducer=USA" is not the marking classification="U"
 * ownerProducer="USA" met before it (it was, through the parser's shared
 * cache, when the key was "name=value" lines).  The message quoting the
 * value stays one line.  An invalid banner is named by the rule it breaks.
 */
static void
test_marking_keys(void **state)
{
	static const char one[] =
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"G1\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <para ism:classification=\"U\" ism:ownerProducer=\"USA\">One.</para></doc>\n";
	static const char two[] =
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"G2\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <para ism:classification=\"U&#10;ownerProducer=USA\">Two.</para></doc>\n";
	static const char rel[] =
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"G3\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"REL\">\n"
	    "  <para ism:classification=\"S\" ism:ownerProducer=\"USA\">Three.</para></doc>\n";
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;
	ingest_parser *p = parser_of(state);

	assert_int_equal(parse_text(p, one, NULL, &d, &line, &err), 0);
	ingest_doc_free(d);
	assert_int_equal(parse_text(p, two, NULL, &d, &line, &err), LSN_EINPUT);
	assert_null(d);
	assert_int_equal(line, 3);
	assert_string_equal(err.msg, "classification: unknown level 'U?ownerProducer=USA'");

	assert_int_equal(parse_text(p, rel, NULL, &d, &line, &err), LSN_EINPUT);
	assert_null(d);
	if (strncmp(err.msg, "banner: ISM-", 12) != 0)
		fail_msg("\"%s\" does not name the rule", err.msg);
}

/* The depth cap: a document as deep as the cap is read, one deeper is
 * not; native (report, body, p: 3) and generic alike. */
static void
test_depth_cap(void **state)
{
	static const char native[] =
	    "<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\"\n"
	    "  id=\"DEEP\" ism:resourceElement=\"true\" ism:createDate=\"2024-01-09\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\">\n"
	    "  <title ism:classification=\"U\" ism:ownerProducer=\"USA\">T</title>\n"
	    "  <date>2024-01-09</date>\n"
	    "  <body><p ism:classification=\"U\" ism:ownerProducer=\"USA\">P.</p></body>\n"
	    "</report>\n";
	static const char generic[] =
	    "<doc xmlns:ism=\"urn:us:gov:ic:ism\" id=\"G\" ism:resourceElement=\"true\"\n"
	    "  ism:classification=\"U\" ism:ownerProducer=\"USA\"><sec>\n"
	    "  <para ism:classification=\"U\" ism:ownerProducer=\"USA\">P.</para></sec></doc>\n";
	const char *docs[] = { native, generic };
	ingest_doc *d = NULL;
	unsigned line;
	lsn_err err;
	ingest_parser *p = parser_of(state);

	for (int i = 0; i < 2; i++) {
		ingest_parse_opts o = { .max_depth = 3 };
		if (parse_text(p, docs[i], &o, &d, &line, &err) != 0)
			fail_msg("%d: %s", i, err.msg);
		ingest_doc_free(d);
		o.max_depth = 2;
		assert_int_equal(parse_text(p, docs[i], &o, &d, &line, &err), LSN_EINPUT);
		assert_null(d);
		assert_string_equal(err.msg, "elements nested deeper than 2 levels");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_documents),
		cmocka_unit_test_setup_teardown(test_bytes, parser_setup, parser_teardown),
		cmocka_unit_test(test_dates),
		cmocka_unit_test_setup_teardown(test_report_dates, parser_setup, parser_teardown),
		cmocka_unit_test_setup_teardown(test_native_read, parser_setup, parser_teardown),
		cmocka_unit_test_setup_teardown(test_generic_text, parser_setup, parser_teardown),
		cmocka_unit_test_setup_teardown(test_unseen_markings, parser_setup, parser_teardown),
		cmocka_unit_test_setup_teardown(test_fix_banner_keeps_unmarked_text, parser_setup,
		    parser_teardown),
		cmocka_unit_test_setup_teardown(test_marking_keys, parser_setup, parser_teardown),
		cmocka_unit_test_setup_teardown(test_depth_cap, parser_setup, parser_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
