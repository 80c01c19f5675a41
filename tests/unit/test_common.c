/*
 * tests/unit/test_common.c - text for terminals and JSON (common.h): what
 * any bytes come out as.
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

#include "common/common.h"

static char *
json_of(const char *s)
{
	size_t n = lsn_json_escaped_len(s);
	char *out = malloc(n + 1);

	assert_non_null(out);
	assert_ptr_equal(lsn_json_escape(out, s), out + n);
	return out;
}

/* lsn_json_fputs(s) as a string. */
static char *
fputs_of(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* JSON escapes what it must, passes valid UTF-8 through, and gives a byte
 * that begins no valid sequence as \ufffd (overlong forms, surrogates,
 * past U+10FFFF, cut short), so that any file name makes JSON. */
static void
test_json(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "q\"b\\n\nr\rt\t", "q\\\"b\\\\n\\nr\\rt\\t" },
		{ "\x01\x1b\x7f", "\\u0001\\u001b\\u007f" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xffz", "a\\ufffdz" },
		{ "\xc0\xaf", "\\ufffd\\ufffd" },         /* overlong '/' */
		{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" }, /* a surrogate */
		{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* past U+10FFFF */
		{ "\xe2\x82", "\\ufffd\\ufffd" },         /* cut short */
		/* What a reader takes for a line end, or reorders: escaped. */
		{ "a\xc2\x85" "b", "a\\u0085b" },              /* NEL, a C1 control */
		{ "\xc2\x9b" "2J", "\\u009b2J" },              /* the C1 CSI */
		{ "x\xe2\x80\xa8y\xe2\x80\xa9z", "x\\u2028y\\u2029z" },
		{ "\xe2\x80\xae" "cba \xe2\x81\xa6 \xd8\x9c", "\\u202ecba \\u2066 \\u061c" },
		{ "\xe2\x80\xa7 \xe2\x80\xaf", "\xe2\x80\xa7 \xe2\x80\xaf" }, /* beside them: text */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json_of(cases[i].in), *quoted = fputs_of(lsn_json_fputs, cases[i].in);
		char want[128];
		assert_string_equal(got, cases[i].out);
		snprintf(want, sizeof(want), "\"%s\"", cases[i].out);
		assert_string_equal(quoted, want);
		free(got);
		free(quoted);
	}
}

/* For a terminal: controls (C0, DEL, C1) and bytes that begin no valid
 * UTF-8 sequence are '?', one for each byte in place (lsn_clean), one for
 * each character written (lsn_fputs_safe); other text passes. */
static void
test_terminal(void **state)
{
	static const struct {
		const char *in, *written, *cleaned;
	} cases[] = {
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" },
		{ "a\nb\x1b[2J\x7f", "a?b?[2J?", "a?b?[2J?" },
		{ "x\xc2\x9b" "1m", "x?1m", "x??1m" }, /* U+009B, the C1 CSI */
		{ "\xff\xc3", "??", "??" },
		{ "\xc2\xa0nbsp", "\xc2\xa0nbsp", "\xc2\xa0nbsp" }, /* U+00A0 is text */
		/* a right-to-left override, a line separator: one '?' a byte */
		{ "f\xe2\x80\xae" "exe.txt", "f?exe.txt", "f???exe.txt" },
		{ "a\xe2\x80\xa8" "b", "a?b", "a???b" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *w = fputs_of(lsn_fputs_safe, cases[i].in), *c = strdup(cases[i].in);
		assert_non_null(c);
		lsn_clean(c);
		assert_string_equal(w, cases[i].written);
		assert_string_equal(c, cases[i].cleaned);
		free(w);
		free(c);
	}
	/* One line (lsn_fputs_line): white space runs are one space, so a
	 * report's text cannot start a line that reads as a portion mark or
	 * a banner; other controls are '?' as above. */
	static const struct {
		const char *in, *line;
	} lines[] = {
		{ "line1\r(S//NF) FAKE\n\nUNCLASSIFIED", "line1 (S//NF) FAKE UNCLASSIFIED" },
		{ " a\t\tb \x0b\x0c c \n", " a b c " },
		{ "x\x1b[2J\xc2\x9b" "1m caf\xc3\xa9", "x?[2J?1m caf\xc3\xa9" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *w = fputs_of(lsn_fputs_line, lines[i].in);
		assert_string_equal(w, lines[i].line);
		free(w);
	}
	/* lsn_fail cleans what it formats. */
	lsn_err err;
	assert_int_equal(lsn_fail(&err, LSN_EINPUT, "value '%s'", "a\n\xc2\x9b\xff"), LSN_EINPUT);
	assert_string_equal(err.msg, "value 'a???" "?'"); /* (no trigraph) */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
