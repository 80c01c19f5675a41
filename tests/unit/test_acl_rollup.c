/*
 * tests/unit/test_acl_rollup.c - the banner from its portions: one test per
 * rule of CAPCO 2016 Table 3 (FD&R precedence, the manual's examples), the
 * precedence rules of the marking templates (AEA, UCNI, non-IC controls,
 * FOUO), and the other roll-up rules of CAPCO 2016 D.2 and ISM-Rollup 2.2.
 * In a classified banner, SBU NOFORN's NOFORN is the IC control and SBU
 * leaves it (SBU template); LES stays at every level (LES NOFORN template:
 * "SECRET//NOFORN//LES").
 */
#include "config.h"

#include "tests/unit/test_acl_random.h"

struct rcase {
	const char *name;
	const char *portions[4]; /* banners or portion marks */
	const char *want;
};

static void
check_rollup(const char *name, const char *const *portions, const char *want)
{
	const acl_marking *p[4];
	acl_marking *r = NULL;
	size_t n = 0;
	lsn_err err;

	for (; n < 4 && portions[n]; n++)
		p[n] = t_parse(portions[n]);
	if (acl_rollup(&r, T_data, p, n, &err) != 0)
		fail_msg("%s: roll-up failed: %s", name, err.msg);
	if (strcmp(t_banner(r), want) != 0)
		fail_msg("%s: got '%s', want '%s'", name, t_banner(r), want);
	for (size_t i = 0; i < n; i++)
		acl_marking_free((acl_marking *)p[i]);
	acl_marking_free(r);
}

static void
run_case(void **state)
{
	const struct rcase *c = *state;
	check_rollup(c->name, c->portions, c->want);
}

#define NF_BANNER "SECRET//NOFORN"

static const struct rcase table3[] = {
	{ "test_acl_rollup__table3_rule_01_nf_alone",
	    { "(S//NF)", "(S)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_02_nf_dominates_rel",
	    { "(S//NF)", "(S//REL TO USA, GBR)", "(S//RELIDO)", "(S//USA/AUS EYES ONLY)" },
	    NF_BANNER },
	{ "test_acl_rollup__table3_rule_03_nf_with_sbu_nf",
	    { "(S//NF)", "(U//SBU-NF)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_04_unmarked_with_sbu_nf",
	    { "(S)", "(U//SBU-NF)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_05_mixture_with_sbu_nf",
	    { "(S//REL TO USA, GBR)", "(S)", "(U//SBU-NF)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_06_nf_with_les_nf",
	    { "(S//NF)", "(U//LES-NF)", NULL }, "SECRET//NOFORN//LES" },
	{ "test_acl_rollup__table3_rule_07_unmarked_with_les_nf",
	    { "(S)", "(U//LES-NF)", NULL }, "SECRET//NOFORN//LES" },
	{ "test_acl_rollup__table3_rule_08_mixture_with_les_nf",
	    { "(S//REL TO USA, GBR)", "(S)", "(U//LES-NF)", NULL }, "SECRET//NOFORN//LES" },
	{ "test_acl_rollup__table3_rule_09_rel_lists_without_common_country",
	    { "(S//REL TO USA, GBR)", "(S//REL TO USA, AUS)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_10_rel_with_relido",
	    { "(S//REL TO USA, GBR)", "(S//RELIDO)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_11_rel_with_display_only_no_common",
	    { "(S//REL TO USA, GBR)", "(S//DISPLAY ONLY AFG)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_12_rel_relido_with_unmarked",
	    { "(S//REL TO USA, GBR/RELIDO)", "(S)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_13_rel_with_eyes_no_common",
	    { "(S//REL TO USA, GBR)", "(S//USA/AUS EYES ONLY)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_14_rel_with_sbu_nf",
	    { "(S//REL TO USA, GBR)", "(U//SBU-NF)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_15_rel_with_les_nf",
	    { "(S//REL TO USA, GBR)", "(U//LES-NF)", NULL }, "SECRET//NOFORN//LES" },
	{ "test_acl_rollup__table3_rule_16_rel_with_unmarked",
	    { "(S//REL TO USA, GBR)", "(C)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_17_relido_with_unmarked",
	    { "(S//RELIDO)", "(C)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_18_relido_with_display_only",
	    { "(S//RELIDO)", "(S//DISPLAY ONLY AFG)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_19_display_only_with_unmarked",
	    { "(S//DISPLAY ONLY AFG)", "(S)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_20_display_only_no_common",
	    { "(S//DISPLAY ONLY AFG)", "(S//DISPLAY ONLY IRQ)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_21_rel_common_countries",
	    { "(S//REL TO USA, AUS, GBR)", "(C//REL TO USA, GBR, NZL)", NULL },
	    "SECRET//REL TO USA, GBR" },
	{ "test_acl_rollup__table3_rule_22_rel_with_eyes_common",
	    { "(S//REL TO USA, AUS, GBR)", "(S//USA/GBR EYES ONLY)", NULL },
	    "SECRET//REL TO USA, GBR" },
	{ "test_acl_rollup__table3_rule_23_fvey_expanded",
	    { "(S//REL TO USA, FVEY)", "(S//REL TO USA, FRA, GBR)", NULL },
	    "SECRET//REL TO USA, GBR" },
	{ "test_acl_rollup__table3_rule_24_relido_on_all",
	    { "(S//RELIDO)", "(C//RELIDO)", NULL }, "SECRET//RELIDO" },
	/* The manual's page under RELIDO: "carried forward to the banner
	 * line because it appears on all portions... NOFORN would not be
	 * added" (helper-19; it was NOFORN, and the manual's banner refused). */
	{ "test_acl_rollup__table3_rule_24_relido_on_all_one_with_rel",
	    { "(S//RELIDO)", "(S//REL TO USA, AUS, CAN/RELIDO)", NULL }, "SECRET//RELIDO" },
	{ "test_acl_rollup__table3_rule_24_relido_on_all_no_common_rel",
	    { "(S//REL TO USA, AUS/RELIDO)", "(S//REL TO USA, CAN/RELIDO)", NULL },
	    "SECRET//RELIDO" },
	/* Rule 18 with a REL TO beside the RELIDO (it was DISPLAY ONLY IRQ). */
	{ "test_acl_rollup__table3_rule_18_rel_relido_with_display_only",
	    { "(S//REL TO USA, IRQ/RELIDO)", "(S//DISPLAY ONLY IRQ)", NULL }, NF_BANNER },
	{ "test_acl_rollup__table3_rule_25_display_only_common",
	    { "(S//DISPLAY ONLY AFG, IRQ)", "(S//DISPLAY ONLY AFG)", NULL },
	    "SECRET//DISPLAY ONLY AFG" },
	{ "test_acl_rollup__table3_rule_26_display_only_with_rel_common",
	    { "(S//DISPLAY ONLY AFG)", "(S//REL TO USA, AFG, GBR)", NULL },
	    "SECRET//DISPLAY ONLY AFG" },
	{ "test_acl_rollup__table3_rule_27_rel_and_display_only",
	    { "(S//REL TO USA, AUS, GBR/DISPLAY ONLY AFG)",
		"(S//REL TO USA, GBR/DISPLAY ONLY AFG, IRQ)", NULL },
	    "SECRET//REL TO USA, GBR/DISPLAY ONLY AFG" },
};

static const struct rcase other[] = {
	{ "test_acl_rollup__classification_is_max",
	    { "(U)", "(C//NF)", "(TS//NF)", NULL }, "TOP SECRET//NOFORN" },
	/* Foreign information from several sources (CAPCO 2016 FGI,
	 * "(//CAN GBR S)"): not JOINT; beside a US portion, FGI of each. */
	{ "test_acl_rollup__several_foreign_owners_keep_their_marking",
	    { "(//CAN GBR S//REL TO USA, CAN, GBR)", "(//CAN GBR C//REL TO USA, CAN, GBR)", NULL },
	    "//CAN GBR SECRET//REL TO USA, CAN, GBR" },
	{ "test_acl_rollup__several_foreign_owners_beside_us_are_fgi",
	    { "(//CAN GBR S)", "(S//NF)", NULL }, "SECRET//FGI CAN GBR//NOFORN" },
	{ "test_acl_rollup__eyes_common_countries_are_second_party_only",
	    { "(S//USA/AUS/NATO EYES ONLY)", "(C//USA/AUS/NZL/NSG EYES ONLY)", NULL },
	    "SECRET//USA/AUS EYES ONLY" },
	{ "test_acl_rollup__r_portion_becomes_c_in_us_banner",
	    { "(//GBR R)", "(U)", NULL }, "CONFIDENTIAL//FGI GBR" },
	{ "test_acl_rollup__sci_sap_aea_union",
	    { "(TS//SI-G ABCD//OC/NF)", "(S//TK//SAR-ABC//RD//NF)", "(TS//SI-G ACDE//OC/NF)", NULL },
	    "TOP SECRET//SI-G ABCD ACDE/TK//SAR-ABC//RD//ORCON/NOFORN" },
	{ "test_acl_rollup__rel_relido_survives_only_on_all",
	    { "(S//REL TO USA, GBR/RELIDO)", "(S//REL TO USA, GBR)", NULL },
	    "SECRET//REL TO USA, GBR" },
	{ "test_acl_rollup__relido_kept_when_every_portion_has_it",
	    { "(S//REL TO USA, GBR/RELIDO)", "(S//REL TO USA, GBR/RELIDO)", NULL },
	    "SECRET//REL TO USA, GBR/RELIDO" },
	{ "test_acl_rollup__decomposable_tetragraph_expanded_frme",
	    { "(S//REL TO USA, AUS, CAN, FRA, YEM)", "(S//REL TO USA, FRME)", NULL },
	    "SECRET//REL TO USA, AUS, CAN, FRA" },
	{ "test_acl_rollup__non_decomposable_tetragraph_kept_when_on_all",
	    { "(S//REL TO USA, AUS, CAN, GFNX)", "(S//REL TO USA, GFNX)", NULL },
	    "SECRET//REL TO USA, GFNX" },
	{ "test_acl_rollup__non_decomposable_tetragraph_not_on_all_is_nf",
	    { "(S//REL TO USA, GFNX)", "(S//REL TO USA, GBR)", NULL }, NF_BANNER },
	{ "test_acl_rollup__unclassified_uncaveated_does_not_take_part",
	    { "(U)", "(S//REL TO USA, GFNX)", NULL }, "SECRET//REL TO USA, GFNX" },
	{ "test_acl_rollup__unclassified_caveated_counts_as_unmarked",
	    { "(U//FOUO)", "(S//REL TO USA, GFNX)", NULL }, NF_BANNER },
	{ "test_acl_rollup__fouo_dropped_when_classified",
	    { "(U//FOUO)", "(C//NF)", NULL }, "CONFIDENTIAL//NOFORN" },
	{ "test_acl_rollup__fouo_kept_when_unclassified",
	    { "(U//FOUO)", "(U)", NULL }, "UNCLASSIFIED//FOUO" },
	{ "test_acl_rollup__oc_usgov_only_if_every_oc_portion",
	    { "(S//OC-USGOV/NF)", "(S//OC/NF)", NULL }, "SECRET//ORCON/NOFORN" },
	{ "test_acl_rollup__oc_usgov_kept_when_every_oc_portion",
	    { "(S//OC-USGOV/NF)", "(C//OC-USGOV/NF)", "(S//NF)", NULL },
	    "SECRET//ORCON-USGOV/NOFORN" },
	{ "test_acl_rollup__fgi_from_foreign_portions",
	    { "(//GBR S)", "(S//NF)", "(//AUS C)", NULL }, "SECRET//FGI AUS GBR//NOFORN" },
	/* Concealed FGI (CAPCO 2016 FGI): "FGI" alone in a US banner, even
	 * beside a named source (the manual's notional page 3, with a REL
	 * TO portion for the sources' names), and for a document of
	 * concealed portions only. */
	{ "test_acl_rollup__concealed_fgi_hides_named_sources",
	    { "(S//RELIDO)", "(//DEU S//NF)", "(//DEU C//REL TO USA, CAN, DEU)", "(//FGI S//NF)" },
	    "SECRET//FGI//NOFORN" },
	{ "test_acl_rollup__concealed_fgi_alone_is_a_us_banner",
	    { "(//FGI TS)", "(//FGI S)", NULL }, "TOP SECRET//FGI" },
	{ "test_acl_rollup__concealed_fgi_keeps_a_common_release",
	    { "(U)", "(//FGI S//REL TO USA, GBR)", "(S//FGI//REL TO USA, GBR)", NULL },
	    "SECRET//FGI//REL TO USA, GBR" },
	/* A foreign owner is a caveat (ISM-Rollup 2.2): an unclassified
	 * foreign portion without a release marking goes to no partner, so
	 * the banner cannot keep the others' REL TO; it did for (//DEU U),
	 * not for (U//FGI DEU). */
	{ "test_acl_rollup__foreign_unclassified_is_caveated",
	    { "(//DEU U)", "(S//REL TO USA, GBR)", NULL }, "SECRET//FGI DEU//NOFORN" },
	{ "test_acl_rollup__concealed_unclassified_is_caveated",
	    { "(//FGI U)", "(S//REL TO USA, GBR)", NULL }, "SECRET//FGI//NOFORN" },
	{ "test_acl_rollup__foreign_unclassified_with_the_release_keeps_it",
	    { "(//DEU U//REL TO USA, GBR)", "(S//REL TO USA, GBR)", NULL },
	    "SECRET//FGI DEU//REL TO USA, GBR" },
	{ "test_acl_rollup__nato_only_document_stays_nato",
	    { "(//NS)", "(//NC)", NULL }, "//NATO SECRET" },
	{ "test_acl_rollup__joint_document_stays_joint",
	    { "(//JOINT S CAN USA//REL TO USA, CAN, GBR)", "(//JOINT C CAN USA//REL TO USA, CAN)",
		NULL },
	    "//JOINT SECRET CAN USA//REL TO USA, CAN" },
};

/* The templates' "Precedence Rules for Banner Line Guidance" (CAPCO 2016). */
static const struct rcase precedence[] = {
	{ "test_acl_rollup__rd_over_frd_and_tfni",
	    { "(S//RD)", "(S//FRD)", "(S//TFNI)", NULL }, "SECRET//RD" },
	{ "test_acl_rollup__frd_over_tfni",
	    { "(S//FRD)", "(C//TFNI)", NULL }, "SECRET//FRD" },
	{ "test_acl_rollup__tfni_alone_stays",
	    { "(S//TFNI)", "(C)", NULL }, "SECRET//TFNI" },
	{ "test_acl_rollup__rd_sigma_takes_frd_sigma_numbers",
	    { "(S//RD-SG 14)", "(S//FRD-SG 20)", NULL }, "SECRET//RD-SIGMA 14 20" },
	{ "test_acl_rollup__frd_sigma_without_rd_stays",
	    { "(S//FRD-SG 14)", "(S//FRD-SG 20)", NULL }, "SECRET//FRD-SIGMA 14 20" },
	{ "test_acl_rollup__cnwdi_stays_beside_frd",
	    { "(S//RD-CNWDI)", "(S//FRD)", NULL }, "SECRET//RD-CNWDI" },
	{ "test_acl_rollup__dod_ucni_stays_when_unclassified",
	    { "(U//DCNI)", "(U)", NULL }, "UNCLASSIFIED//DOD UCNI" },
	{ "test_acl_rollup__dod_ucni_leaves_classified_banner",
	    { "(U//DCNI)", "(S//NF)", NULL }, NF_BANNER },
	{ "test_acl_rollup__doe_ucni_leaves_classified_banner_no_fdr",
	    { "(U//UCNI)", "(S)", NULL }, "SECRET" },
	{ "test_acl_rollup__ucni_with_its_own_release_keeps_it",
	    { "(U//UCNI//REL TO USA, GBR)", "(S//REL TO USA, GBR)", NULL },
	    "SECRET//REL TO USA, GBR" },
	{ "test_acl_rollup__ucni_without_release_beside_one_is_noforn",
	    { "(U//UCNI)", "(S//REL TO USA, GBR)", NULL }, NF_BANNER },
	{ "test_acl_rollup__rd_sigma_family_takes_frd_sigma_numbers",
	    { "(S//RD-SG 20//NF)", "(S//FRD-SG 14//NF)", NULL }, "SECRET//RD-SIGMA 14 20//NOFORN" },
	{ "test_acl_rollup__les_nf_alone_unclassified",
	    { "(U//LES-NF)", NULL }, "UNCLASSIFIED//LES NOFORN" },
	{ "test_acl_rollup__les_nf_over_fouo",
	    { "(U//FOUO)", "(U//LES-NF)", NULL }, "UNCLASSIFIED//LES NOFORN" },
	{ "test_acl_rollup__les_over_fouo",
	    { "(U//FOUO)", "(U//LES)", NULL }, "UNCLASSIFIED//LES" },
	{ "test_acl_rollup__les_stays_when_classified",
	    { "(U//LES)", "(S//NF)", NULL }, "SECRET//NOFORN//LES" },
	{ "test_acl_rollup__sbu_nf_alone_unclassified",
	    { "(U//SBU-NF)", "(U)", NULL }, "UNCLASSIFIED//SBU NOFORN" },
	{ "test_acl_rollup__sbu_nf_over_sbu_and_fouo",
	    { "(U//SBU)", "(U//SBU-NF)", "(U//FOUO)", NULL }, "UNCLASSIFIED//SBU NOFORN" },
	{ "test_acl_rollup__sbu_nf_beside_a_release_is_ic_noforn",
	    { "(U//SBU-NF)", "(U//FOUO//REL TO USA, GBR)", NULL },
	    "UNCLASSIFIED//NOFORN//SBU" },
	{ "test_acl_rollup__sbu_over_fouo",
	    { "(U//SBU)", "(U//FOUO)", NULL }, "UNCLASSIFIED//SBU" },
	{ "test_acl_rollup__sbu_leaves_classified_banner",
	    { "(U//SBU)", "(C//NF)", NULL }, "CONFIDENTIAL//NOFORN" },
	{ "test_acl_rollup__limdis_over_fouo",
	    { "(U//DS)", "(U//FOUO)", NULL }, "UNCLASSIFIED//LIMDIS" },
	{ "test_acl_rollup__limdis_leaves_classified_banner",
	    { "(U//DS)", "(S//NF)", NULL }, NF_BANNER },
	{ "test_acl_rollup__nodis_over_exdis",
	    { "(U//NF//XD)", "(U//NF//ND)", NULL }, "UNCLASSIFIED//NOFORN//NODIS" },
	{ "test_acl_rollup__exdis_over_sbu_and_fouo",
	    { "(U//NF//XD)", "(U//SBU)", "(U//FOUO)", NULL }, "UNCLASSIFIED//NOFORN//EXDIS" },
	{ "test_acl_rollup__exdis_stays_when_classified",
	    { "(S//XD//NF)", "(C//NF)", NULL }, "SECRET//NOFORN//EXDIS" },
	{ "test_acl_rollup__les_nf_over_les",
	    { "(U//LES-NF)", "(U//LES)", NULL }, "UNCLASSIFIED//LES NOFORN" },
	{ "test_acl_rollup__ssi_over_fouo",
	    { "(U//SSI)", "(U//FOUO)", NULL }, "UNCLASSIFIED//SSI" },
	{ "test_acl_rollup__propin_over_fouo",
	    { "(U//PR)", "(U//FOUO)", NULL }, "UNCLASSIFIED//PROPIN" },
	{ "test_acl_rollup__dsen_over_fouo",
	    { "(U//DSEN)", "(U//FOUO)", NULL }, "UNCLASSIFIED//DEA SENSITIVE" },
	{ "test_acl_rollup__fouo_kept_beside_fdr",
	    { "(U//FOUO//REL TO USA, GBR)", "(U//FOUO//REL TO USA, GBR)", NULL },
	    "UNCLASSIFIED//FOUO/REL TO USA, GBR" },
};

static void
test_acl_rollup__exclude_from_rollup_honoured(void **state)
{
	const acl_marking *p[2];
	acl_marking *r = NULL;
	lsn_err err;

	(void)state;
	p[0] = t_attrs("classification=S ownerProducer=USA disseminationControls=REL "
		       "releasableTo=\"USA GBR\"");
	p[1] = t_attrs("classification=TS ownerProducer=USA disseminationControls=NF "
		       "excludeFromRollup=true");
	assert_int_equal(acl_rollup(&r, T_data, p, 2, &err), 0);
	assert_string_equal(t_banner(r), "SECRET//REL TO USA, GBR");
	acl_marking_free(r);
	/* A view's banner covers every portion it shows, excluded or not,
	 * and a view of excluded portions only has one. */
	assert_int_equal(acl_rollup_view(&r, T_data, p, 2, &err), 0);
	assert_string_equal(t_banner(r), "TOP SECRET//NOFORN");
	acl_marking_free(r);
	assert_int_equal(acl_rollup(&r, T_data, p + 1, 1, &err), LSN_EINPUT);
	assert_int_equal(acl_rollup_view(&r, T_data, p + 1, 1, &err), 0);
	assert_string_equal(t_banner(r), "TOP SECRET//NOFORN");
	acl_marking_free(r);
	acl_marking_free((acl_marking *)p[0]);
	acl_marking_free((acl_marking *)p[1]);
}

/* The roll-up's attributes with a concealed source: FGIsourceProtected
 * FGI, no named source (CAPCO 2016 FGI: "only the FGI marking without
 * the source trigraph(s)"), the owner the United States; it is what its
 * banner parses to. */
static void
test_acl_rollup__concealed_fgi_attributes(void **state)
{
	const acl_marking *p[3];
	acl_marking *r = NULL;
	char *v = NULL;
	lsn_err err;

	(void)state;
	p[0] = t_parse("(//FGI S//NF)");
	p[1] = t_parse("(//DEU C//NF)");
	p[2] = t_parse("(C//FGI GBR//NF)");
	assert_int_equal(acl_rollup(&r, T_data, p, 3, &err), 0);
	assert_int_equal(acl_marking_get_attr(&v, r, "FGIsourceProtected", &err), 0);
	assert_string_equal(v, "FGI");
	free(v);
	assert_int_equal(acl_marking_get_attr(&v, r, "FGIsourceOpen", &err), 0);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(acl_marking_get_attr(&v, r, "ownerProducer", &err), 0);
	assert_string_equal(v, "USA");
	free(v);
	assert_string_equal(t_banner(r), "SECRET//FGI//NOFORN");
	assert_int_equal(acl_marking_validate(r, &err), 0);
	acl_marking *back = t_parse(t_banner(r));
	acl_marking_set_attr(back, "resourceElement", "true", &err);
	assert_true(acl_marking_equal(back, r));
	acl_marking_free(back);
	for (int i = 0; i < 3; i++)
		acl_marking_free((acl_marking *)p[i]);
	acl_marking_free(r);
}

static void
test_acl_rollup__no_portion_is_an_error(void **state)
{
	acl_marking *r = NULL;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_rollup(&r, T_data, NULL, 0, &err), LSN_EINPUT);
	assert_null(r);
}

/*
 * Property: the roll-up of valid portions is a valid banner.  Ingest
 * validates the banner, so valid portions whose roll-up broke a rule made a
 * report that could be stored with no banner at all, even with
 * --fix-banner: a lost report.  20,000 sets of 1-5 random valid markings
 * (fixed seed); each roll-up must validate and parse back from its banner.
 */
static void
test_acl_rollup__valid_portions_roll_up_to_a_valid_banner(void **state)
{
	size_t sets = 0, valid = 0;

	(void)state;
	while (sets < 20000) {
		acl_marking *p[5], *r = NULL, *back = NULL;
		size_t n = 1 + pick(5), k = 0;
		char *banner = NULL;
		lsn_err err;

		while (k < n) {
			acl_marking *m = t_random_marking();
			if (acl_marking_validate(m, &err) == 0) {
				p[k++] = m;
				valid++;
			} else {
				acl_marking_free(m);
			}
		}
		sets++;
		int rc = acl_rollup(&r, T_data, (const acl_marking *const *)p, n, &err);
		if (rc == 0 && acl_marking_validate(r, &err) != 0) {
			char *pm[5] = { NULL };
			for (size_t i = 0; i < n; i++)
				acl_marking_render(&pm[i], p[i], ACL_PORTION, NULL);
			fail_msg("the roll-up of %s %s %s %s %s breaks a rule: %s",
			    pm[0] ? pm[0] : "", pm[1] ? pm[1] : "", pm[2] ? pm[2] : "",
			    pm[3] ? pm[3] : "", pm[4] ? pm[4] : "", err.msg);
		}
		/* The banner parses back; a concealed FGI source makes it say
		 * "FGI" alone, so the named sources stay behind (the parse
		 * then has none). */
		if (rc == 0) {
			assert_int_equal(acl_marking_render(&banner, r, ACL_BANNER, &err), 0);
			if (acl_marking_parse(&back, T_data, banner, NULL, NULL, &err) != 0)
				fail_msg("rolled-up banner '%s' does not parse: %s", banner, err.msg);
			free(banner);
			acl_marking_free(back);
		}
		acl_marking_free(r);
		for (size_t i = 0; i < n; i++)
			acl_marking_free(p[i]);
	}
	assert_true(valid >= sets);
}

int
main(void)
{
	struct CMUnitTest tests[128];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(table3) / sizeof(table3[0]); i++)
		tests[n++] = (struct CMUnitTest){ table3[i].name, run_case, NULL, NULL,
			(void *)&table3[i] };
	for (size_t i = 0; i < sizeof(precedence) / sizeof(precedence[0]); i++)
		tests[n++] = (struct CMUnitTest){ precedence[i].name, run_case, NULL, NULL,
			(void *)&precedence[i] };
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		tests[n++] = (struct CMUnitTest){ other[i].name, run_case, NULL, NULL,
			(void *)&other[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_rollup__exclude_from_rollup_honoured);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_rollup__no_portion_is_an_error);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_acl_rollup__concealed_fgi_attributes);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_acl_rollup__valid_portions_roll_up_to_a_valid_banner);
	return _cmocka_run_group_tests("acl_rollup", tests, n, t_setup, t_teardown);
}
