/*
 * tests/unit/test_acl_decide.c - the ISM.ACES access decision: a matrix of
 * principals (US government, US contractor, FVEY partner, NATO partner,
 * non-member) against markings (NF, REL TO with a trigraph, a decomposable
 * and a non-decomposable tetragraph, RELIDO, FOUO with and without REL,
 * DISPLAY ONLY, SCI, JOINT, NATO), each cell checked on the marking and on
 * its label, with the reason.
 */
#include "config.h"

#include "tests/unit/test_acl_util.h"

enum { USGOV, CONTRACTOR, FVEY, NATO, OTHER, NP };
static const char *const pname[NP] = { "US government", "US contractor", "FVEY partner (GBR)",
	"NATO partner (DEU)", "non-member (IND)" };
static acl_principal *P[NP];

#define A ACL_ALLOW, ACL_R_OK
#define V ACL_VIEW, ACL_R_DISPLAY_ONLY
#define D(r) ACL_DENY, ACL_R_##r

struct cell {
	int verdict, reason;
};

struct row {
	const char *name;
	const char *marking;
	struct cell c[NP];
};

static const struct row rows[] = {
	{ "test_acl_decide__nf_us_government_only", "SECRET//NOFORN",
	    { { A }, { D(NOFORN) }, { D(NOFORN) }, { D(NOFORN) }, { D(NOFORN) } } },
	{ "test_acl_decide__rel_to_trigraph", "SECRET//REL TO USA, GBR",
	    { { A }, { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__rel_to_decomposable_tetragraph", "SECRET//REL TO USA, FVEY",
	    { { A }, { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__rel_to_nato_expanded_for_access", "SECRET//REL TO USA, NATO",
	    { { A }, { A }, { A }, { A }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__rel_to_non_decomposable_tetragraph", "SECRET//REL TO USA, GFNX",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__rel_to_tetragraph_not_applicable_membership", "SECRET//REL TO USA, BHTF",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__relido_is_us_only", "SECRET//RELIDO",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__fouo_without_rel_us_government", "UNCLASSIFIED//FOUO",
	    { { A }, { D(USGOV) }, { D(USGOV) }, { D(USGOV) }, { D(USGOV) } } },
	{ "test_acl_decide__fouo_with_rel", "UNCLASSIFIED//FOUO//REL TO USA, GBR",
	    { { A }, { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__display_only_view_not_export", "SECRET//DISPLAY ONLY DEU",
	    { { A }, { V }, { D(NOT_RELEASABLE) }, { V }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__rel_supersedes_display_only", "SECRET//REL TO USA, GBR/DISPLAY ONLY DEU",
	    { { A }, { A }, { A }, { V }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__sci_all_of", "TOP SECRET//SI/TK//REL TO USA, GBR",
	    { { A }, { A }, { A }, { D(CLEARANCE) }, { D(CLEARANCE) } } },
	{ "test_acl_decide__sci_missing_compartment", "TOP SECRET//SI-G ABCD//ORCON/NOFORN",
	    { { D(ACCESS) }, { D(ACCESS) }, { D(ACCESS) }, { D(CLEARANCE) }, { D(CLEARANCE) } } },
	{ "test_acl_decide__joint_owner_countries", "//JOINT SECRET DEU USA//REL TO USA, DEU",
	    { { A }, { A }, { D(JOINT) }, { A }, { D(JOINT) } } },
	{ "test_acl_decide__nato_secret_needs_read_on", "//NATO SECRET",
	    { { D(NATO) }, { D(NATO) }, { D(NATO) }, { A }, { D(NATO) } } },
	{ "test_acl_decide__cosmic_top_secret_needs_clearance", "//COSMIC TOP SECRET",
	    { { D(NATO) }, { D(NATO) }, { D(NATO) }, { D(CLEARANCE) }, { D(CLEARANCE) } } },
	{ "test_acl_decide__nato_unclassified", "//NATO UNCLASSIFIED",
	    { { A }, { D(NATO) }, { D(NATO) }, { A }, { D(NATO) } } },
	{ "test_acl_decide__classified_without_fdr_is_us_only", "SECRET",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__unclassified_uncaveated_for_all", "UNCLASSIFIED",
	    { { A }, { A }, { A }, { A }, { A } } },
	/* Another owner's unclassified portion is foreign information: it
	 * went to every partner, as if it were the United States' own. */
	{ "test_acl_decide__foreign_owned_unclassified_needs_rel", "//DEU UNCLASSIFIED",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__fgi_unclassified_needs_rel", "UNCLASSIFIED//FGI DEU",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__foreign_owned_unclassified_with_rel",
	    "//DEU UNCLASSIFIED//REL TO USA, GBR, DEU",
	    { { A }, { A }, { A }, { A }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__foreign_owned_needs_rel", "//GBR SECRET",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__foreign_owned_with_rel", "//GBR SECRET//REL TO USA, GBR",
	    { { A }, { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	/* A concealed source (ownerProducer FGI) is foreign information no
	 * partner owns: only its release markings release it, and no
	 * principal's country is FGI. */
	{ "test_acl_decide__concealed_fgi_needs_rel", "(//FGI S)",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__concealed_fgi_unclassified_needs_rel", "(//FGI U)",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__concealed_fgi_with_rel", "(//FGI S//REL TO USA, GBR)",
	    { { A }, { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__concealed_fgi_in_us_portion", "SECRET//FGI//REL TO USA, NATO",
	    { { A }, { A }, { A }, { A }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__oc_usgov", "SECRET//ORCON-USGOV/NOFORN",
	    { { A }, { D(NOFORN) }, { D(NOFORN) }, { D(NOFORN) }, { D(NOFORN) } } },
	{ "test_acl_decide__eyes_only", "SECRET//USA/GBR EYES ONLY",
	    { { A }, { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	/* An ACCM needs its read-on, which no principal here holds: it needed
	 * none, and any word the parser took for a nickname (NOFOREIGN,
	 * CAPCO's unpublished AUNPUB) released what it marked. */
	{ "test_acl_decide__accm_needs_its_read_on", "SECRET//REL TO USA, GBR//TEA LEAF",
	    { { D(ACCESS) }, { D(ACCESS) }, { D(ACCESS) }, { D(ACCESS) }, { D(ACCESS) } } },
	{ "test_acl_decide__unknown_word_is_no_release", "SECRET//NOFOREIGN",
	    { { D(ACCESS) }, { D(ACCESS) }, { D(ACCESS) }, { D(ACCESS) }, { D(ACCESS) } } },
	/* LES needs US government affiliation, a release marking or not
	 * (ISM.ACES Table 43): a GBR reader and a US contractor read it. */
	{ "test_acl_decide__les_needs_us_government_even_with_rel",
	    "SECRET//REL TO USA, GBR//LES",
	    { { A }, { D(USGOV) }, { D(USGOV) }, { D(USGOV) }, { D(USGOV) } } },
	/* NATO as the foreign source needs the read-on too (ISM.ACES Table 24). */
	{ "test_acl_decide__fgi_nato_needs_read_on", "SECRET//FGI NATO//NOFORN",
	    { { D(NATO) }, { D(NATO) }, { D(NATO) }, { D(NOFORN) }, { D(NATO) } } },
	/* ATOMAL, BALK and BOHEMIA need their read-ons (ISM.ACES Tables
	 * 48-50): DEU read NATO SECRET//ATOMAL with NATO-S alone. */
	{ "test_acl_decide__atomal_needs_its_read_on", "//NATO SECRET//ATOMAL",
	    { { D(NATO) }, { D(NATO) }, { D(NATO) }, { D(ACCESS) }, { D(NATO) } } },
	/* EYES ONLY releases to the Five Eyes trigraphs it names (ISM.ACES
	 * 5.6.10): not to another country it names, nor through a tetragraph
	 * (DEU read both, GBR the second, as if they were REL TO). */
	/* USA/DEU EYES ONLY is refused (ISM-EYES-LIST, test_acl_validate). */
	{ "test_acl_decide__eyes_only_names_five_eyes_only", "SECRET//USA/GBR EYES ONLY",
	    { { A }, { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
	{ "test_acl_decide__eyes_only_expands_no_tetragraph", "SECRET//USA/AUS/NATO EYES ONLY",
	    { { A }, { A }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) }, { D(NOT_RELEASABLE) } } },
};

static int
p_setup(void **state)
{
	if (t_setup(state) != 0)
		return -1;
	P[USGOV] = t_principal("USA", ACL_LEVEL_TS, "SI TK", 1, NULL);
	P[CONTRACTOR] = t_principal("USA", ACL_LEVEL_TS, "SI TK", 0, NULL);
	P[FVEY] = t_principal("GBR", ACL_LEVEL_TS, "SI TK", 0, NULL);
	P[NATO] = t_principal("DEU", ACL_LEVEL_S, "NATO-S", 0, NULL);
	P[OTHER] = t_principal("IND", ACL_LEVEL_S, NULL, 0, NULL);
	return 0;
}

static int
p_teardown(void **state)
{
	for (int i = 0; i < NP; i++)
		acl_principal_free(P[i]);
	return t_teardown(state);
}

static void
run_row(void **state)
{
	const struct row *r = *state;
	acl_marking *m = t_parse(r->marking);
	uint8_t label[ACL_LABEL_SIZE];
	lsn_err err;

	assert_int_equal(acl_label_build(label, m, &err), 0);
	for (int i = 0; i < NP; i++) {
		struct acl_decision d, dl;
		acl_decide(P[i], m, &d);
		acl_label_decide(P[i], label, sizeof(label), &dl);
		if (d.verdict != r->c[i].verdict || d.reason != r->c[i].reason)
			fail_msg("%s for %s: got %d (%s), want %d (%s)", r->marking, pname[i],
			    d.verdict, acl_reason_text(d.reason), r->c[i].verdict,
			    acl_reason_text(r->c[i].reason));
		if (dl.verdict != d.verdict || dl.reason != d.reason)
			fail_msg("%s for %s: label says %d (%s), marking %d", r->marking, pname[i],
			    dl.verdict, acl_reason_text(dl.reason), d.verdict);
	}
	acl_marking_free(m);
}

static void
test_acl_decide__disabled_principal_denied(void **state)
{
	struct acl_principal_spec s = { .name = "x", .country = "USA",
		.clearance = ACL_LEVEL_TS, .usgov = 1, .disabled = 1 };
	acl_principal *p = NULL;
	acl_marking *m = t_parse("UNCLASSIFIED");
	struct acl_decision d;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), 0);
	assert_int_equal(acl_decide(p, m, &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_DISABLED);
	acl_principal_free(p);
	acl_marking_free(m);
}

/* NATO UNCLASSIFIED goes to members (with a read-on), not to a non-member
 * that holds one: it went to any, by the rule for the United States' own
 * unclassified information. */
static void
test_acl_decide__nato_unclassified_non_member_with_read_on(void **state)
{
	acl_principal *aus = t_principal("AUS", ACL_LEVEL_TS, "NATO-S", 0, NULL);
	acl_marking *m = t_parse("//NATO UNCLASSIFIED");
	uint8_t label[ACL_LABEL_SIZE];
	struct acl_decision d;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_label_build(label, m, &err), 0);
	assert_int_equal(acl_decide(aus, m, &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_NOT_RELEASABLE);
	assert_int_equal(acl_label_decide(aus, label, sizeof(label), &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_NOT_RELEASABLE);
	assert_int_equal(acl_decide(P[NATO], m, &d), ACL_ALLOW);
	acl_principal_free(aus);
	acl_marking_free(m);
}

/* A principal with the ACCM's read-on reads it, and one read into ATOMAL
 * reads that, on the marking and the label: each read-on is a principal's
 * access like an SCI control's. */
static void
test_acl_decide__accm_read_on_held(void **state)
{
	acl_principal *gbr = t_principal("GBR", ACL_LEVEL_S, "ACCM-TEA_LEAF", 0, NULL);
	acl_principal *deu = t_principal("DEU", ACL_LEVEL_S, "NATO-S NATO-ATOMAL", 0, NULL);
	acl_marking *atomal = t_parse("//NATO SECRET//ATOMAL");
	acl_marking *m = t_parse("SECRET//REL TO USA, GBR//TEA LEAF");
	uint8_t label[ACL_LABEL_SIZE];
	struct acl_decision d;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_label_build(label, m, &err), 0);
	assert_int_equal(acl_decide(gbr, m, &d), ACL_ALLOW);
	assert_int_equal(acl_label_decide(gbr, label, sizeof(label), &d), ACL_ALLOW);
	assert_int_equal(acl_label_build(label, atomal, &err), 0);
	assert_int_equal(acl_decide(deu, atomal, &d), ACL_ALLOW);
	assert_int_equal(acl_label_decide(deu, label, sizeof(label), &d), ACL_ALLOW);
	acl_principal_free(gbr);
	acl_principal_free(deu);
	acl_marking_free(m);
	acl_marking_free(atomal);
}

/* SSI goes to whoever may access classified information (ISM.ACES Table
 * 45): an UNCLASSIFIED-cleared US government reader read it. */
static void
test_acl_decide__ssi_needs_a_clearance(void **state)
{
	acl_principal *u = t_principal("USA", ACL_LEVEL_U, NULL, 1, NULL);
	acl_principal *c = t_principal("USA", ACL_LEVEL_C, NULL, 1, NULL);
	acl_marking *m = t_parse("UNCLASSIFIED//SSI");
	uint8_t label[ACL_LABEL_SIZE];
	struct acl_decision d;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_label_build(label, m, &err), 0);
	assert_int_equal(acl_decide(u, m, &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_CLEARANCE);
	assert_int_equal(acl_label_decide(u, label, sizeof(label), &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_CLEARANCE);
	assert_int_equal(acl_decide(c, m, &d), ACL_ALLOW);
	assert_int_equal(acl_label_decide(c, label, sizeof(label), &d), ACL_ALLOW);
	acl_principal_free(u);
	acl_principal_free(c);
	acl_marking_free(m);
}

static void
test_acl_decide__invalid_marking_denied(void **state)
{
	acl_marking *m = t_attrs("classification=S ownerProducer=USA "
				 "disseminationControls=\"REL NF\" releasableTo=\"USA GBR\"");
	acl_marking *e = NULL;
	struct acl_decision d;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_decide(P[USGOV], m, &d), ACL_DENY);
	assert_int_equal(d.reason, ACL_R_INVALID);
	assert_int_equal(acl_marking_new(&e, T_data, &err), 0);
	assert_int_equal(acl_decide(P[USGOV], e, &d), ACL_DENY); /* empty marking */
	acl_marking_free(m);
	acl_marking_free(e);
}

static void
test_acl_decide__clearance_levels(void **state)
{
	acl_principal *c = t_principal("USA", ACL_LEVEL_C, NULL, 1, NULL);
	acl_marking *s = t_parse("SECRET//NOFORN"), *cm = t_parse("CONFIDENTIAL//NOFORN"),
		    *r = t_parse("//GBR RESTRICTED//REL TO USA, GBR");
	acl_principal *u = t_principal("USA", ACL_LEVEL_U, NULL, 1, NULL);

	(void)state;
	assert_int_equal(acl_decide(c, s, NULL), ACL_DENY);
	assert_int_equal(acl_decide(c, cm, NULL), ACL_ALLOW);
	/* R needs at least C (ISM.ACES Table 3). */
	assert_int_equal(acl_decide(c, r, NULL), ACL_ALLOW);
	assert_int_equal(acl_decide(u, r, NULL), ACL_DENY);
	acl_principal_free(c);
	acl_principal_free(u);
	acl_marking_free(s);
	acl_marking_free(cm);
	acl_marking_free(r);
}

static void
test_acl_decide__need_to_know_expression(void **state)
{
	acl_principal *p = t_principal("USA", ACL_LEVEL_S, NULL, 1, "J2,OPS");
	lsn_err err;

	(void)state;
	assert_int_equal(acl_ntk_check(p, "J2&(OPS|PLANS)", &err), 1);
	assert_int_equal(acl_ntk_check(p, "J2&PLANS", &err), 0);
	assert_int_equal(acl_ntk_check(p, "", &err), 1);
	assert_int_equal(acl_ntk_check(p, "J2&|", &err), LSN_EINPUT);
	acl_principal_free(p);
}

int
main(void)
{
	struct CMUnitTest tests[64];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		tests[n++] = (struct CMUnitTest){ rows[i].name, run_row, NULL, NULL, (void *)&rows[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_decide__disabled_principal_denied);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_decide__invalid_marking_denied);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_decide__ssi_needs_a_clearance);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_decide__accm_read_on_held);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_acl_decide__nato_unclassified_non_member_with_read_on);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_decide__clearance_levels);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_decide__need_to_know_expression);
	return _cmocka_run_group_tests("acl_decide", tests, n, p_setup, p_teardown);
}
