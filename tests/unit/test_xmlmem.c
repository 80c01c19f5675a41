/*
 * tests/unit/test_xmlmem.c - libxml2's memory (ingest/xmlmem.c).
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_documents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
