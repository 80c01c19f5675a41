/*
 * tests/fuzz/fuzz-banner.c - libFuzzer target for the banner and portion
 * mark parser (acl_marking_parse) and what follows a successful parse:
 * validation, rendering, re-parsing the rendering, label building.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static acl_data *data;

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	acl_marking *m = NULL, *again = NULL;
	char *text, *banner = NULL;
	uint8_t label[ACL_LABEL_SIZE];
	size_t pos;
	lsn_err err;

	if (data == NULL && acl_data_load(&data, NULL, NULL, &err) != 0)
		abort(); /* the data files must be found (LIAISON_DATA_DIR) */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, buf, size);
	text[size] = '\0';
	if (acl_marking_parse(&m, data, text, NULL, &pos, &err) == 0) {
		if (acl_marking_validate(m, &err) == 0) {
			/* A valid marking renders, and the rendering parses back to it. */
			if (acl_marking_render(&banner, m, ACL_BANNER, &err) != 0)
				abort();
			if (acl_marking_parse(&again, data, banner, NULL, &pos, &err) != 0 ||
			    !acl_marking_equal(m, again))
				abort();
			(void)acl_label_build(label, m, &err);
		}
	} else if (pos > size) {
		abort(); /* the error position lies inside the input */
	}
	acl_marking_free(again);
	acl_marking_free(m);
	free(banner);
	free(text);
	return 0;
}
