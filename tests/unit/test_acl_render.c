/*
 * tests/unit/test_acl_render.c - rendering to CAPCO banners and portion
 * marks and parsing them back: the 57 ISM v10 rendering cases (one test
 * each), lenient parsing, and rejection with position and reason.
 */
#include "config.h"

#include "tests/unit/test_acl_util.h"

#define MAX_CASES 80

struct rcase {
	char name[96];
	char attrs[1024], banner[512], portion[512];
};

static struct rcase cases[MAX_CASES];
static size_t ncases;

static void
load_cases(void)
{
	FILE *f = fopen(t_datafile("ism_v10_render_cases.tsv"), "r");
	char line[4096];

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", t_datafile("ism_v10_render_cases.tsv"));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) && ncases < MAX_CASES) {
		char *fld[4] = { NULL, NULL, NULL, NULL }, *p = line;
		line[strcspn(line, "\r\n")] = '\0';
		for (int i = 0; i < 4; i++) {
			fld[i] = p;
			p = p ? strchr(p, '\t') : NULL;
			if (p)
				*p++ = '\0';
		}
		if (strcmp(fld[0], "name") == 0 || fld[2] == NULL)
			continue;
		snprintf(cases[ncases].name, sizeof(cases[0].name), "test_acl_render__case_%02zu_%s",
		    ncases + 1, fld[0]);
		snprintf(cases[ncases].attrs, sizeof(cases[0].attrs), "%s", fld[1]);
		snprintf(cases[ncases].banner, sizeof(cases[0].banner), "%s", fld[2]);
		snprintf(cases[ncases].portion, sizeof(cases[0].portion), "%s", fld[3] ? fld[3] : "");
		ncases++;
	}
	fclose(f);
}

/* Render the attributes, compare with the expected banner and portion, and
 * parse both back to the same attributes. */
static void
test_render_case(void **state)
{
	const struct rcase *c = *state;
	acl_marking *m = t_attrs(c->attrs), *b = NULL, *p = NULL;
	char *banner = NULL, *portion = NULL;
	lsn_err err;

	assert_int_equal(acl_marking_validate(m, &err), 0);
	assert_int_equal(acl_marking_render(&banner, m, ACL_BANNER, &err), 0);
	assert_int_equal(acl_marking_render(&portion, m, ACL_PORTION, &err), 0);
	assert_string_equal(banner, c->banner);
	if (c->portion[0] != '\0') /* one case gives no portion mark */
		assert_string_equal(portion, c->portion);
	if (acl_marking_parse(&b, T_data, c->banner, NULL, NULL, &err) != 0)
		fail_msg("%s: banner '%s' rejected: %s", c->name, c->banner, err.msg);
	assert_true(acl_marking_equal(m, b));
	if (acl_marking_parse(&p, T_data, portion, NULL, NULL, &err) != 0)
		fail_msg("%s: portion '%s' rejected: %s", c->name, portion, err.msg);
	assert_true(acl_marking_equal(m, p));
	free(banner);
	free(portion);
	acl_marking_free(m);
	acl_marking_free(b);
	acl_marking_free(p);
}

static void
check_normalises(const char *typed, const char *want)
{
	acl_marking *m = t_parse(typed);
	assert_string_equal(t_banner(m), want);
	acl_marking_free(m);
}

static void
test_acl_parse__lenient_case_spaces_abbreviations(void **state)
{
	(void)state;
	check_normalises("secret // rel to usa,gbr", "SECRET//REL TO USA, GBR");
	check_normalises("  SECRET//NF  ", "SECRET//NOFORN");
	check_normalises("S//OC/NF", "SECRET//ORCON/NOFORN");
	check_normalises("TOP SECRET//TALENT KEYHOLE//NOT RELEASABLE TO FOREIGN NATIONALS",
	    "TOP SECRET//TK//NOFORN");
	check_normalises("SECRET//REL TO USA GBR AUS", "SECRET//REL TO USA, AUS, GBR");
	check_normalises("(u//fouo)", "UNCLASSIFIED//FOUO");
	check_normalises("//nato secret", "//NATO SECRET");
	check_normalises("(//NS)", "//NATO SECRET");
	check_normalises("//GBR S", "//GBR SECRET");
	check_normalises("//joint secret can gbr usa//rel to usa, can, gbr",
	    "//JOINT SECRET CAN GBR USA//REL TO USA, CAN, GBR");
	check_normalises("SECRET//ORCON-USGOV/NOFORN", "SECRET//ORCON-USGOV/NOFORN");
	check_normalises("TOP SECRET//HCS-P ABCDEF//NOFORN", "TOP SECRET//HCS-P ABCDEF//NOFORN");
	check_normalises("SECRET//SBU NOFORN", "SECRET//SBU NOFORN");
	/* several foreign sources, not JOINT (CAPCO 2016 FGI) */
	check_normalises("(//CAN GBR S)", "//CAN GBR SECRET");
	check_normalises("(//DEU CAN S//REL TO USA, CAN, DEU)", "//CAN DEU SECRET//REL TO USA, CAN, DEU");
	/* concealed sources (CAPCO 2016 FGI's examples; they were refused) */
	check_normalises("(//FGI TS)", "//FGI TOP SECRET");
	check_normalises("(//FGI S//NF)", "//FGI SECRET//NOFORN");
	check_normalises("(TS//FGI)", "TOP SECRET//FGI");
	check_normalises("SECRET//FOREIGN GOVERNMENT INFORMATION//NOFORN", "SECRET//FGI//NOFORN");
	check_normalises("(//FGI S//REL TO USA, GBR)", "//FGI SECRET//REL TO USA, GBR");
}

static void
test_acl_parse__rel_shorthand_needs_banner(void **state)
{
	acl_marking *b = t_parse("SECRET//REL TO USA, GBR"), *m = NULL;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_marking_parse(&m, T_data, "(S//REL)", NULL, NULL, &err), LSN_EINPUT);
	assert_non_null(strstr(err.msg, "shorthand"));
	assert_int_equal(acl_marking_parse(&m, T_data, "(S//REL)", b, NULL, &err), 0);
	assert_string_equal(t_banner(m), "SECRET//REL TO USA, GBR");
	/* The shorthand is a portion-mark form only. */
	acl_marking_free(m);
	assert_int_equal(acl_marking_parse(&m, T_data, "SECRET//REL", b, NULL, &err), LSN_EINPUT);
	acl_marking_free(b);
	/* (//JOINT S//REL) takes the owners and the list from its JOINT
	 * banner (CAPCO 2016 JOINT's examples; it was refused: helper-19). */
	b = t_parse("//JOINT SECRET CAN GBR USA//REL TO USA, CAN, GBR");
	assert_int_equal(acl_marking_parse(&m, T_data, "(//JOINT S//REL)", b, NULL, &err), 0);
	assert_string_equal(t_banner(m), "//JOINT SECRET CAN GBR USA//REL TO USA, CAN, GBR");
	acl_marking_free(m);
	m = NULL;
	acl_marking_free(b);
	b = t_parse("SECRET//REL TO USA, GBR");
	assert_int_equal(acl_marking_parse(&m, T_data, "(//JOINT S//REL)", b, NULL, &err),
	    LSN_EINPUT);
	assert_non_null(strstr(err.msg, "JOINT banner"));
	assert_int_equal(acl_marking_parse(&m, T_data, "//JOINT SECRET", b, NULL, &err),
	    LSN_EINPUT);
	acl_marking_free(b);
}

struct bad {
	const char *text;
	size_t pos;
	const char *why;
};

static void
test_acl_parse__rejects_with_position_and_reason(void **state)
{
	static const struct bad bad[] = {
		{ "", 0, "empty" },
		{ "SECRET//NOFORM", 8, "did you mean NOFORN" },
		{ "SECRET//REL TO USA, XYZ", 20, "unknown country" },
		{ "SECERT", 0, "US classification" },
		{ "(S//NF", 6, "closing" },
		{ "SECRET////NF", 8, "empty category" },
		{ "SECRET//", 8, "empty category" },
		{ "RESTRICTED", 0, "not a US classification" },
		{ "//XYZ SECRET", 2, "unknown country" },
		{ "SECRET//ZZ-TOP", 8, "unknown marking" },
		{ "SECRET//USA/GBR", 8, "EYES ONLY" },
		{ "SECRET//REL TO USA,", 19, "trailing" },
		{ "SECRET\x01", 6, "unexpected byte" },
		{ "//JOINT SECRET USA", 15, "two or more owners" },
		{ "SECRET//SI-", 11, "compartment" },
		{ "SECRET//RD-SIGMA 999", 17, "SIGMA" },
		/* ORCON was dropped: ISM writes ORCON-USGOV as OC OC-USGOV */
		{ "SECRET//ORCON/ORCON-USGOV", 14, "not written together" },
		{ "//GBR USA S", 6, "JOINT" },
		/* a word of another marking: "did you mean CNWDI?" for CNWDI */
		{ "SECRET//CNWDI", 8, "RD-CNWDI" },
		{ "SECRET//SIGMA 20", 8, "RD-SIGMA" },
		{ "//CAN GBR SECRETX", 10, "classification level" },
		/* a concealed source names no country, and is no named one's */
		{ "//FGI DEU SECRET", 6, "names no country" },
		{ "//DEU FGI SECRET", 6, "classification level, or a country" },
		{ "SECRET//REL TO USA, FGI", 20, "unknown country" },
		/* Two lists were merged, the least restrictive reading. */
		{ "SECRET//REL TO USA, AUS/REL TO USA, GBR", 24, "a second REL TO list" },
		{ "SECRET//REL TO USA, GBR//REL TO USA, AUS", 25, "a second REL TO list" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		acl_marking *m = NULL;
		size_t pos = 999;
		lsn_err err;

		if (acl_marking_parse(&m, T_data, bad[i].text, NULL, &pos, &err) != LSN_EINPUT)
			fail_msg("'%s' was accepted", bad[i].text);
		if (pos != bad[i].pos || strstr(err.msg, bad[i].why) == NULL)
			fail_msg("'%s': got position %zu '%s', want %zu and '%s'", bad[i].text, pos,
			    err.msg, bad[i].pos, bad[i].why);
		assert_null(m);
	}
}

static void
test_acl_attrs__unknown_tokens_rejected(void **state)
{
	static const char *const bad[] = {
		"classification=X",
		"ownerProducer=XYZ",
		"releasableTo=\"USA ZZZ\"",
		"disseminationControls=NOFORM",
		"SCIcontrols=ZZ",
		"atomicEnergyMarkings=RD-SG-100",
		"atomicEnergyMarkings=RD-SG-7", /* SIGMA 14, 15, 18, 20; 1-5, 9-13 obsolete */
		"atomicEnergyMarkings=FRD-SG-99",
		"nonICmarkings=FOO",
		"nonUSControls=SECRET",
		"bogusAttribute=1",
		"ownerProducer=NATO:Partnership_for_Peace",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		acl_marking *m = NULL;
		lsn_err err;
		if (acl_marking_from_attrs(&m, T_data, bad[i], &err) != LSN_EINPUT)
			fail_msg("'%s' was accepted", bad[i]);
	}
}

static void
test_acl_render__rel_to_in_cve_order(void **state)
{
	acl_marking *m = t_attrs("classification=S ownerProducer=USA disseminationControls=REL "
				 "releasableTo=\"NATO GBR FVEY AUS USA\"");
	(void)state;
	/* USA first, trigraphs A-Z, then tetragraphs (CAPCO 2016 H.8 REL TO). */
	assert_string_equal(t_banner(m), "SECRET//REL TO USA, AUS, GBR, FVEY, NATO");
	acl_marking_free(m);
}

/* acl_marking_attr_lines: the set attributes, each as acl_marking_get_attr
 * renders it, one "name=value" line each in acl_attr_names() order; the
 * markings below set every attribute between them. */
static void
test_acl_attrs__lines_are_the_set_attributes_in_order(void **state)
{
	static const char *const attrs[] = {
		"classification=TS ownerProducer=USA SCIcontrols=\"SI TK\" "
		"disseminationControls=\"OC NF\"",
		"classification=S ownerProducer=\"GBR USA\" joint=true "
		"disseminationControls=REL releasableTo=\"USA GBR\"",
		"classification=S ownerProducer=USA FGIsourceOpen=GBR FGIsourceProtected=DEU "
		"disseminationControls=REL releasableTo=\"NATO USA FVEY\"",
		"classification=C ownerProducer=USA disseminationControls=DISPLAYONLY "
		"displayOnlyTo=\"AUS NZL\"",
		"classification=S ownerProducer=USA SARIdentifier=BP atomicEnergyMarkings=RD "
		"disseminationControls=NF",
		"classification=U ownerProducer=USA nonICmarkings=\"ACCM-ALPHA LES\" "
		"excludeFromRollup=true",
		"classification=C ownerProducer=NATO nonUSControls=ATOMAL resourceElement=true",
	};
	const char *const *names = acl_attr_names();
	int seen[64] = { 0 }, k;
	(void)state;

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		acl_marking *m = t_attrs(attrs[i]);
		char want[2048] = "", *got = NULL, *v = NULL;
		size_t len = 0, n = 0;
		lsn_err err;
		for (k = 0; names[k] != NULL; k++) {
			assert_true(k < 64);
			assert_int_equal(acl_marking_get_attr(&v, m, names[k], &err), 0);
			if (v[0] != '\0') {
				n += (size_t)snprintf(want + n, sizeof(want) - n, "%s=%s\n",
				    names[k], v);
				seen[k] = 1;
			}
			free(v);
		}
		assert_true(n < sizeof(want));
		assert_int_equal(acl_marking_attr_lines(&got, &len, m, &err), 0);
		assert_string_equal(got, want);
		assert_int_equal(len, n);
		free(got);
		acl_marking_free(m);
	}
	for (k = 0; names[k] != NULL; k++)
		if (!seen[k])
			fail_msg("no marking here sets %s", names[k]);
}

int
main(void)
{
	static struct CMUnitTest tests[MAX_CASES + 8];
	size_t n = 0;
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_acl_parse__lenient_case_spaces_abbreviations),
		cmocka_unit_test(test_acl_parse__rel_shorthand_needs_banner),
		cmocka_unit_test(test_acl_parse__rejects_with_position_and_reason),
		cmocka_unit_test(test_acl_attrs__unknown_tokens_rejected),
		cmocka_unit_test(test_acl_render__rel_to_in_cve_order),
		cmocka_unit_test(test_acl_attrs__lines_are_the_set_attributes_in_order),
	};

	load_cases();
	for (size_t i = 0; i < ncases; i++)
		tests[n++] = (struct CMUnitTest){ cases[i].name, test_render_case, NULL, NULL,
			&cases[i] };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("acl_render", tests, n, t_setup, t_teardown);
}
