/*
 * tests/fuzz/fuzz-banner.c - libFuzzer target for the banner and portion
 * mark parser (acl_marking_parse) and what follows a successful parse:
 * validation, rendering, re-parsing the rendering, and the label built
 * from it, which must decide as the marking does (acl.h) for principals of
 * several countries, clearances and accesses: queries decide on labels.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static acl_data *data;
static acl_principal *who[12];
static size_t nwho;

/* A reader of each kind the label's bits tell apart. */
static void
readers(void)
{
	static const struct {
		const char *name, *country, *acc;
		int level, usgov;
		unsigned roles;
	} r[] = {
		{ "us-ts", "USA", "SI TK SI-G HCS HCS-P SAR-ABC NATO-TS NATO-ATOMAL", ACL_LEVEL_TS, 1,
		  ACL_ROLE_ANALYST },
		{ "us-s", "USA", NULL, ACL_LEVEL_S, 0, ACL_ROLE_ANALYST },
		{ "us-s-gov", "USA", "SI", ACL_LEVEL_S, 1, ACL_ROLE_ANALYST },
		{ "gbr-ts", "GBR", "SI TK NATO-TS", ACL_LEVEL_TS, 0, ACL_ROLE_PARTNER },
		{ "gbr-s", "GBR", NULL, ACL_LEVEL_S, 0, ACL_ROLE_PARTNER },
		{ "aus-s", "AUS", "SI", ACL_LEVEL_S, 0, ACL_ROLE_PARTNER },
		{ "can-c", "CAN", NULL, ACL_LEVEL_C, 0, ACL_ROLE_PARTNER },
		{ "fra-s", "FRA", "NATO-S", ACL_LEVEL_S, 0, ACL_ROLE_PARTNER },
		{ "deu-ts", "DEU", "NATO-TS NATO-ATOMAL", ACL_LEVEL_TS, 0, ACL_ROLE_PARTNER },
		{ "nzl-u", "NZL", NULL, ACL_LEVEL_U, 0, ACL_ROLE_PARTNER },
		{ "afg-s", "AFG", NULL, ACL_LEVEL_S, 0, ACL_ROLE_PARTNER },
	};
	lsn_err err;

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct acl_principal_spec s = { .name = r[i].name, .country = r[i].country,
			.clearance = r[i].level, .accesses = r[i].acc, .usgov = r[i].usgov,
			.roles = r[i].roles };
		if (acl_principal_new(&who[nwho++], data, &s, &err) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	acl_marking *m = NULL, *again = NULL;
	char *text, *banner = NULL;
	uint8_t label[ACL_LABEL_SIZE];
	size_t pos;
	lsn_err err;

	if (data == NULL) {
		if (acl_data_load(&data, NULL, NULL, &err) != 0)
			abort(); /* the data files must be found (LIAISON_DATA_DIR) */
		readers();
	}
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
			if (acl_label_build(label, m, &err) == 0)
				for (size_t i = 0; i < nwho; i++) {
					struct acl_decision a, b;
					acl_decide(who[i], m, &a);
					acl_label_decide(who[i], label, sizeof(label), &b);
					if (a.verdict != b.verdict)
						abort(); /* the label decides otherwise */
				}
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
