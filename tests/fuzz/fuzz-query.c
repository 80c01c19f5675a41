/*
 * tests/fuzz/fuzz-query.c - libFuzzer target for the query parser: any
 * bytes either parse or are refused with a position inside the query.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	char *text = malloc(size + 1);
	query *q = NULL;
	size_t pos = (size_t)-1;
	lsn_err err;

	if (text == NULL)
		return 0;
	memcpy(text, buf, size);
	text[size] = '\0'; /* an embedded NUL ends the query, as on a command line */
	if (query_parse(&q, text, &pos, &err) == 0) {
		if (q == NULL)
			abort();
		query_free(q);
	} else if (q != NULL || pos > strlen(text) + 1 || strstr(err.msg, "at position") == NULL) {
		abort();
	}
	free(text);
	return 0;
}
