/*
 * tests/unit/test_acl_label.c - the compact label: decisions on labels equal
 * decisions on markings (property test, 100,000 random markings and
 * principals, fixed seed), the encoding is stable (golden bytes), labels
 * from another registry or corrupted deny, a newer membership file takes
 * effect for old labels, and a label decision is fast.
 */
#include "config.h"

#include <time.h>
#include <unistd.h>

#include "tests/unit/test_acl_random.h"

static acl_principal *
random_principal(void)
{
	static const int lv[] = { ACL_LEVEL_U, ACL_LEVEL_C, ACL_LEVEL_S, ACL_LEVEL_TS };
	static const char *const acc[] = { "SI", "TK", "SI-G", "SI-G-ABCD", "HCS", "RSV-ABC",
		"SAR-ABC", "SAR-DEF", "SAR-PROM_TUX", "RD", "FRD", "DCNI", "RD-CNWDI", "UCNI",
		"NATO-R", "NATO-C", "NATO-S", "NATO-TS" };
	char a[512] = "";
	const char *c = pick(3) == 0 ? "USA" : countries[pick(NC)];

	for (int i = 0; i < 18; i++)
		if (pick(3) == 0) {
			strcat(a, acc[i]);
			strcat(a, " ");
		}
	int level = lv[pick(4)], usgov = (int)pick(2);
	/* US government affiliation is a USA principal's only */
	return t_principal(c, level, a, usgov && strcmp(c, "USA") == 0, NULL);
}

static void
test_acl_label__decisions_equal_marking_decisions(void **state)
{
	acl_principal *p[64];
	size_t valid = 0, allowed = 0, viewed = 0;

	(void)state;
	for (int i = 0; i < 64; i++)
		p[i] = random_principal();
	for (int i = 0; i < 100000; i++) {
		acl_marking *m = t_random_marking();
		acl_principal *pp = p[pick(64)];
		uint8_t label[ACL_LABEL_SIZE];
		struct acl_decision d, dl;
		lsn_err err;
		int built = acl_label_build(label, m, &err) == 0;

		acl_decide(pp, m, &d);
		if (!built) {
			/* No label for an invalid marking; the marking decision denies. */
			if (d.verdict != ACL_DENY || d.reason != ACL_R_INVALID)
				fail_msg("case %d: no label but the marking decision is %d", i, d.verdict);
		} else {
			valid++;
			acl_label_decide(pp, label, sizeof(label), &dl);
			if (d.verdict != dl.verdict || d.reason != dl.reason) {
				char *b = NULL;
				acl_marking_render(&b, m, ACL_BANNER, &err);
				fail_msg("case %d: %s for %s/%d: marking %d (%s), label %d (%s)", i, b,
				    acl_principal_country(pp), acl_principal_clearance(pp), d.verdict,
				    acl_reason_text(d.reason), dl.verdict, acl_reason_text(dl.reason));
			}
			allowed += d.verdict == ACL_ALLOW;
			viewed += d.verdict == ACL_VIEW;
		}
		acl_marking_free(m);
	}
	print_message("valid %zu, allowed %zu, view-only %zu of 100000\n", valid, allowed, viewed);
	/* The generator must exercise every outcome, or the test proves little. */
	/* about a fifth of the random markings keep every rule */
	assert_true(valid > 15000);
	assert_true(allowed > 1000);
	assert_true(viewed > 100);
	for (int i = 0; i < 64; i++)
		acl_principal_free(p[i]);
}

static void
test_acl_label__encoding_is_stable(void **state)
{
	acl_marking *m = t_parse("TOP SECRET//SI-G ABCD/TK//ORCON/REL TO USA, GBR, FVEY");
	uint8_t label[ACL_LABEL_SIZE];
	char hex[2 * 32 + 1];
	lsn_err err;

	(void)state;
	assert_int_equal(acl_label_build(label, m, &err), 0);
	/* Header: 'L', version 2, TS, flags 8 (caveated), dissem OC (bit 2) and REL (bit 7), non-IC 0,
	 * non-US 0, registry id, 4 accesses.  A change here breaks sealed
	 * records: bump ACL_LABEL_VERSION instead. */
	for (int i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", label[i]);
	assert_string_equal(hex, "4c02050800840000" "8ed44cfe04000000");
	/* releasableTo bitset: USA (index 0), GBR and FVEY bits set. */
	assert_int_equal(label[16] & 1, 1);
	acl_marking_free(m);
}

static void
test_acl_label__corrupt_or_foreign_registry_denies(void **state)
{
	acl_marking *m = t_parse("UNCLASSIFIED");
	acl_principal *p = t_principal("USA", ACL_LEVEL_TS, NULL, 1, NULL);
	uint8_t label[ACL_LABEL_SIZE];
	struct acl_decision d;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_label_build(label, m, &err), 0);
	assert_int_equal(acl_label_decide(p, label, sizeof(label), &d), ACL_ALLOW);
	assert_int_equal(acl_label_decide(p, label, sizeof(label) - 1, &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_DATA);
	label[9] ^= 1; /* registry id */
	assert_int_equal(acl_label_decide(p, label, sizeof(label), &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_DATA);
	label[9] ^= 1;
	label[1] = ACL_LABEL_VERSION + 1; /* unknown version */
	assert_int_equal(acl_label_decide(p, label, sizeof(label), &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_DATA);
	/* Version 1 lacked the ACCM, NATO control and FGI NATO requirements:
	 * such a label is not decided as if they were absent. */
	label[1] = 1;
	assert_int_equal(acl_label_decide(p, label, sizeof(label), &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_DATA);
	acl_principal_free(p);
	acl_marking_free(m);
}

static void
test_acl_label__newer_membership_applies_to_old_labels(void **state)
{
	char dir[] = "/tmp/acl-label-XXXXXX", path[256], line[8192];
	const char *src = getenv("LIAISON_DATA_DIR");
	acl_data *newer = NULL;
	acl_marking *m = t_parse("SECRET//REL TO USA, NATO");
	acl_principal *fin_old = t_principal("FIN", ACL_LEVEL_S, NULL, 0, NULL), *fin_new = NULL;
	struct acl_principal_spec s = { .name = "fin", .country = "FIN", .clearance = ACL_LEVEL_S };
	uint8_t label[ACL_LABEL_SIZE];
	char inpath[4096];
	FILE *in, *out;
	lsn_err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(inpath, sizeof(inpath), "%s/%s", src ? src : LSN_DATADIR, ACL_MEMBERSHIP_FILE);
	snprintf(path, sizeof(path), "%s/membership.tsv", dir);
	assert_non_null(in = fopen(inpath, "r"));
	assert_non_null(out = fopen(path, "w"));
	/* Finland joined NATO in 2023, after ISMCAT V2022-NOV. */
	while (fgets(line, sizeof(line), in)) {
		if (strncmp(line, "NATO\t", 5) == 0)
			line[strcspn(line, "\n")] = '\0', strcat(line, " FIN\n");
		fputs(line, out);
	}
	fclose(in);
	fclose(out);
	assert_int_equal(acl_data_load(&newer, NULL, path, &err), 0);
	assert_int_equal(acl_data_registry_id(newer), acl_data_registry_id(T_data));
	assert_string_not_equal(acl_data_version(newer), acl_data_version(T_data));
	assert_int_equal(acl_label_build(label, m, &err), 0);
	assert_int_equal(acl_principal_new(&fin_new, newer, &s, &err), 0);
	assert_int_equal(acl_label_decide(fin_old, label, sizeof(label), NULL), ACL_DENY);
	assert_int_equal(acl_label_decide(fin_new, label, sizeof(label), NULL), ACL_ALLOW);
	unlink(path);
	rmdir(dir);
	acl_principal_free(fin_old);
	acl_principal_free(fin_new);
	acl_marking_free(m);
	acl_data_free(newer);
}

static void
test_acl_label__decision_is_fast(void **state)
{
	acl_marking *m = t_parse("TOP SECRET//SI/TK//REL TO USA, GBR, FVEY, NATO");
	acl_principal *p = t_principal("DEU", ACL_LEVEL_TS, "SI TK", 0, NULL);
	uint8_t label[ACL_LABEL_SIZE];
	struct timespec a, b;
	volatile int sink = 0;
	double ns;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_label_build(label, m, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 1000000; i++)
		sink += acl_label_decide(p, label, sizeof(label), NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e6;
	print_message("label decision: %.1f ns\n", ns);
	assert_int_equal(sink, 2 * 1000000);
	assert_true(ns < 1000.0); /* well under a microsecond, even under ASan */
	acl_principal_free(p);
	acl_marking_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_label__decisions_equal_marking_decisions),
		cmocka_unit_test(test_acl_label__encoding_is_stable),
		cmocka_unit_test(test_acl_label__corrupt_or_foreign_registry_denies),
		cmocka_unit_test(test_acl_label__newer_membership_applies_to_old_labels),
		cmocka_unit_test(test_acl_label__decision_is_fast),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
