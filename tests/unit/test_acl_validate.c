/*
 * tests/unit/test_acl_validate.c - the ISM structural rules: for each, a
 * marking that keeps it (accepted) and one that breaks it (rejected with a
 * message naming the rule); and a validated marking shared, not changed.
 */
#include "config.h"

#include <pthread.h>

#include "tests/unit/test_acl_util.h"

static void
ok(const char *attrs)
{
	acl_marking *m = t_attrs(attrs);
	lsn_err err;

	if (acl_marking_validate(m, &err) != 0)
		fail_msg("'%s' should be valid: %s", attrs, err.msg);
	acl_marking_free(m);
}

static void
bad(const char *attrs, const char *rule)
{
	acl_marking *m = t_attrs(attrs);
	lsn_err err;

	if (acl_marking_validate(m, &err) != LSN_EINPUT)
		fail_msg("'%s' should break %s", attrs, rule);
	if (strncmp(err.msg, rule, strlen(rule)) != 0)
		fail_msg("'%s': message '%s' does not name %s", attrs, err.msg, rule);
	acl_marking_free(m);
}

#define US "ownerProducer=USA "

static void
test_acl_validate__rel_eyes_nf_exclusive(void **state)
{
	(void)state;
	ok("classification=S " US "disseminationControls=NF");
	ok("classification=S " US "disseminationControls=REL releasableTo=\"USA GBR\"");
	bad("classification=S " US "disseminationControls=\"REL NF\" releasableTo=\"USA GBR\"",
	    "ISM-REL-EYES-NF");
	bad("classification=S " US "disseminationControls=\"EYES NF\" releasableTo=\"USA GBR\"",
	    "ISM-REL-EYES-NF");
	bad("classification=S " US "disseminationControls=\"REL EYES\" releasableTo=\"USA GBR\"",
	    "ISM-REL-EYES-NF");
}

static void
test_acl_validate__rel_exactly_with_releasable_to(void **state)
{
	(void)state;
	ok("classification=S " US "disseminationControls=EYES releasableTo=\"USA GBR\"");
	bad("classification=S " US "disseminationControls=REL", "ISM-REL-LIST");
	bad("classification=S " US "releasableTo=\"USA GBR\"", "ISM-REL-LIST");
	bad("classification=S " US "disseminationControls=REL releasableTo=\"GBR\"",
	    "ISM-REL-USA");
}

static void
test_acl_validate__displayonly_exactly_with_list(void **state)
{
	(void)state;
	ok("classification=S " US "disseminationControls=DISPLAYONLY displayOnlyTo=AFG");
	bad("classification=S " US "disseminationControls=DISPLAYONLY", "ISM-DISPLAYONLY-LIST");
	bad("classification=S " US "displayOnlyTo=AFG", "ISM-DISPLAYONLY-LIST");
}

static void
test_acl_validate__fouo_only_on_u(void **state)
{
	(void)state;
	ok("classification=U " US "disseminationControls=FOUO");
	bad("classification=C " US "disseminationControls=FOUO", "ISM-FOUO-U");
}

static void
test_acl_validate__oc_and_eyes_need_c(void **state)
{
	(void)state;
	ok("classification=C " US "disseminationControls=\"OC NF\"");
	bad("classification=U " US "disseminationControls=OC", "ISM-OC-CLASSIFIED");
	ok("classification=C " US "disseminationControls=EYES releasableTo=\"USA GBR\"");
	bad("classification=U " US "disseminationControls=EYES releasableTo=\"USA GBR\"",
	    "ISM-EYES-CLASSIFIED");
}

static void
test_acl_validate__hcs_kdk_nd_xd_need_nf(void **state)
{
	(void)state;
	ok("classification=TS " US "SCIcontrols=HCS disseminationControls=NF");
	bad("classification=TS " US "SCIcontrols=HCS", "ISM-SCI-NF");
	bad("classification=TS " US "SCIcontrols=\"KDK KDK-BLFH\"", "ISM-SCI-NF");
	ok("classification=S " US "nonICmarkings=ND disseminationControls=NF");
	bad("classification=S " US "nonICmarkings=ND", "ISM-NONIC-NF");
	bad("classification=S " US "nonICmarkings=XD", "ISM-NONIC-NF");
}

/* A SIGMA or CNWDI without its family rendered as RD but never required
 * the RD access (CAPCO 2016: "Requires RD", "Requires FRD"). */
static void
test_acl_validate__sigma_cnwdi_need_their_family(void **state)
{
	(void)state;
	ok("classification=S " US "atomicEnergyMarkings=\"RD RD-SG-20\" disseminationControls=NF");
	ok("classification=S " US "atomicEnergyMarkings=\"RD RD-CNWDI\" disseminationControls=NF");
	ok("classification=S " US "atomicEnergyMarkings=\"FRD FRD-SG-14\" disseminationControls=NF");
	bad("classification=S " US "atomicEnergyMarkings=RD-SG-20 disseminationControls=NF",
	    "ISM-AEA-RD");
	bad("classification=S " US "atomicEnergyMarkings=RD-CNWDI disseminationControls=NF",
	    "ISM-AEA-RD");
	bad("classification=S " US "atomicEnergyMarkings=\"FRD-SG-14 RD\" disseminationControls=NF",
	    "ISM-AEA-FRD");
}

/* The templates' "Relationship(s) to Other Markings" (CAPCO 2016). */
static void
test_acl_validate__template_relationships(void **state)
{
	(void)state;
	ok("classification=U " US "nonICmarkings=SBU");
	bad("classification=S " US "nonICmarkings=SBU", "ISM-NONIC-U");
	bad("classification=C " US "nonICmarkings=DS", "ISM-NONIC-U");
	bad("classification=S " US "nonICmarkings=SBU-NF disseminationControls=NF", "ISM-NONIC-U");
	bad("classification=U " US "nonICmarkings=\"XD ND\" disseminationControls=NF",
	    "ISM-NONIC-XD-ND");
	ok("classification=C " US "atomicEnergyMarkings=RD disseminationControls=NF");
	bad("classification=U " US "atomicEnergyMarkings=RD disseminationControls=NF",
	    "ISM-AEA-LEVEL");
	bad("classification=U " US "atomicEnergyMarkings=TFNI", "ISM-AEA-LEVEL");
	bad("classification=C " US "atomicEnergyMarkings=\"RD RD-CNWDI\" disseminationControls=NF",
	    "ISM-AEA-LEVEL");
	ok("classification=U " US "atomicEnergyMarkings=UCNI");
	/* LES NOFORN and SBU NOFORN are NOFORN: not beside a release marking */
	ok("classification=U " US "nonICmarkings=LES-NF");
	ok("classification=U " US "nonICmarkings=LES disseminationControls=REL releasableTo=\"USA GBR\"");
	bad("classification=U " US "nonICmarkings=LES-NF disseminationControls=REL "
	    "releasableTo=\"USA GBR\"", "ISM-NONIC-NF-REL");
	bad("classification=U " US "nonICmarkings=SBU-NF disseminationControls=DISPLAYONLY "
	    "displayOnlyTo=AFG", "ISM-NONIC-NF-REL");
	bad("classification=S " US "nonICmarkings=LES-NF disseminationControls=RELIDO",
	    "ISM-NONIC-NF-REL");
}

/* The SCI control systems' templates (CAPCO 2016): levels, the controls
 * each requires, and a compartment written with its system. */
static void
test_acl_validate__sci_levels_and_requirements(void **state)
{
	(void)state;
	/* SPECIAL INTELLIGENCE: classified; its compartments TOP SECRET */
	ok("classification=C " US "SCIcontrols=SI");
	bad("classification=U " US "SCIcontrols=SI", "ISM-SCI-LEVEL");
	bad("classification=R ownerProducer=GBR SCIcontrols=SI", "ISM-SCI-LEVEL");
	ok("classification=TS " US "SCIcontrols=\"SI SI-NK\"");
	bad("classification=S " US "SCIcontrols=\"SI SI-NK\"", "ISM-SCI-LEVEL");
	bad("classification=S " US "SCIcontrols=\"SI SI-ECRU\"", "ISM-SCI-LEVEL");
	/* GAMMA: TOP SECRET, ORCON, not ORCON-USGOV */
	ok("classification=TS " US "SCIcontrols=\"SI SI-G SI-G-ABCD\" disseminationControls=OC");
	bad("classification=S " US "SCIcontrols=\"SI SI-G\" disseminationControls=\"OC NF\"",
	    "ISM-SCI-LEVEL");
	bad("classification=TS " US "SCIcontrols=\"SI SI-G\" disseminationControls=NF",
	    "ISM-SCI-OC");
	bad("classification=TS " US "SCIcontrols=\"SI SI-G SI-G-ABCD\" "
	    "disseminationControls=\"OC OC-USGOV\"", "ISM-SCI-OC-USGOV");
	/* TALENT KEYHOLE: SECRET; BLUEFISH TOP SECRET; its compartments NOFORN */
	ok("classification=S " US "SCIcontrols=TK");
	bad("classification=C " US "SCIcontrols=TK", "ISM-SCI-LEVEL");
	ok("classification=S " US "SCIcontrols=\"TK TK-IDIT TK-IDIT-ABC\" disseminationControls=NF");
	bad("classification=S " US "SCIcontrols=\"TK TK-KAND\"", "ISM-SCI-NF");
	bad("classification=S " US "SCIcontrols=\"TK TK-BLFH\" disseminationControls=NF",
	    "ISM-SCI-LEVEL");
	ok("classification=TS " US "SCIcontrols=\"TK TK-BLFH\" disseminationControls=NF");
	/* HCS: legacy HCS classified; HCS-O ORCON and NOFORN; HCS-P's
	 * sub-compartments TOP SECRET */
	ok("classification=C " US "SCIcontrols=HCS disseminationControls=NF");
	ok("classification=S " US "SCIcontrols=\"HCS HCS-O\" disseminationControls=\"OC NF\"");
	bad("classification=S " US "SCIcontrols=\"HCS HCS-O\" disseminationControls=NF",
	    "ISM-SCI-OC");
	bad("classification=C " US "SCIcontrols=\"HCS HCS-P\" disseminationControls=NF",
	    "ISM-SCI-LEVEL");
	ok("classification=S " US "SCIcontrols=\"HCS HCS-P\" disseminationControls=NF");
	bad("classification=S " US "SCIcontrols=\"HCS HCS-P HCS-P-ABCDEF\" "
	    "disseminationControls=\"OC NF\"", "ISM-SCI-LEVEL");
	bad("classification=TS " US "SCIcontrols=\"HCS HCS-P HCS-P-ABCDEF\" "
	    "disseminationControls=NF", "ISM-SCI-OC");
	/* RESERVE: SECRET, and only with a compartment */
	ok("classification=S " US "SCIcontrols=\"RSV RSV-ABC\"");
	bad("classification=S " US "SCIcontrols=RSV", "ISM-SCI-RSV");
	bad("classification=C " US "SCIcontrols=\"RSV RSV-ABC\"", "ISM-SCI-LEVEL");
	/* a compartment with what it is part of, or it would require less */
	bad("classification=TS " US "SCIcontrols=SI-G disseminationControls=OC",
	    "ISM-SCI-PARENT");
	bad("classification=TS " US "SCIcontrols=\"SI SI-G-ABCD\" disseminationControls=OC",
	    "ISM-SCI-PARENT");
	bad("classification=S " US "SCIcontrols=RSV-ABC", "ISM-SCI-PARENT");
	/* compartment names (helper-19): RSV 3, SI 2-3 letters, GAMMA's 4
	 * letters, BLUEFISH's and HCS-P's up to 6; no ECI */
	bad("classification=S " US "SCIcontrols=\"RSV RSV-ABCD\"", "ISM-SCI-NAME");
	bad("classification=TS " US "SCIcontrols=\"SI SI-A\"", "ISM-SCI-NAME");
	bad("classification=TS " US "SCIcontrols=\"SI SI-ECI\"", "ISM-SCI-NAME");
	bad("classification=TS " US "SCIcontrols=\"SI SI-G SI-G-ABC\" disseminationControls=OC",
	    "ISM-SCI-NAME");
	bad("classification=TS " US "SCIcontrols=\"HCS HCS-P HCS-P-ABCDEFG\" "
	    "disseminationControls=\"OC NF\"", "ISM-SCI-NAME");
	ok("classification=TS " US "SCIcontrols=\"SI SI-ABC\"");
	/* SAR classified; IMCON and RSEN SECRET */
	ok("classification=C " US "SARIdentifier=ABC");
	bad("classification=U " US "SARIdentifier=ABC", "ISM-SAR-LEVEL");
	ok("classification=S " US "disseminationControls=\"IMC NF\"");
	bad("classification=C " US "disseminationControls=\"IMC NF\"", "ISM-DISSEM-LEVEL");
	bad("classification=C " US "disseminationControls=RS", "ISM-DISSEM-LEVEL");
}

/* The templates' "Cannot be used with", JOINT's owners and lists (CAPCO
 * 2016; found by helper-19 against the manual's templates). */
static void
test_acl_validate__fdr_joint_and_fgi_rules(void **state)
{
	(void)state;
	bad("classification=S " US "disseminationControls=\"NF DISPLAYONLY\" displayOnlyTo=IRQ",
	    "ISM-DISPLAYONLY-NF-RELIDO");
	bad("classification=S " US "disseminationControls=\"RELIDO DISPLAYONLY\" "
	    "displayOnlyTo=IRQ", "ISM-DISPLAYONLY-NF-RELIDO");
	ok("classification=S " US "disseminationControls=\"REL RELIDO\" releasableTo=\"USA GBR\"");
	bad("classification=S " US "disseminationControls=\"OC RELIDO\"", "ISM-OC-RELIDO");
	bad("classification=S " US "disseminationControls=\"OC OC-USGOV RELIDO\"",
	    "ISM-OC-RELIDO");
	bad("classification=S " US "disseminationControls=REL releasableTo=USA", "ISM-REL-LIST");
	ok("classification=S " US "disseminationControls=EYES releasableTo=\"USA GBR NZL\"");
	ok("classification=S " US "disseminationControls=EYES releasableTo=\"USA AUS NATO\"");
	bad("classification=S " US "disseminationControls=EYES releasableTo=\"USA DEU\"",
	    "ISM-EYES-LIST");
	bad("classification=S " US "FGIsourceOpen=USA", "ISM-FGI-USA");
	/* NATO's controls on NATO information only */
	ok("classification=S ownerProducer=NATO nonUSControls=ATOMAL");
	ok("classification=S " US "FGIsourceOpen=NATO nonUSControls=ATOMAL disseminationControls=NF");
	bad("classification=S " US "nonUSControls=ATOMAL disseminationControls=NF",
	    "ISM-NONUS-NATO");
	bad("classification=S ownerProducer=GBR nonUSControls=BOHEMIA", "ISM-NONUS-NATO");
	/* JOINT: USA always among the owners, and REL TO, not EYES */
	ok("classification=S ownerProducer=\"USA CAN\" joint=true disseminationControls=REL "
	   "releasableTo=\"USA CAN\"");
	bad("classification=S ownerProducer=\"CAN GBR\" joint=true disseminationControls=REL "
	    "releasableTo=\"USA CAN GBR\"", "ISM-JOINT-USA");
	bad("classification=S ownerProducer=\"USA CAN\" joint=true disseminationControls=EYES "
	    "releasableTo=\"USA CAN\"", "ISM-JOINT-EYES");
	/* several foreign owners without USA: foreign information, not
	 * JOINT, and no REL TO needed (CAPCO 2016 FGI: (//CAN GBR S)) */
	ok("classification=S ownerProducer=\"CAN GBR\"");
	/* SIGMA 14, 15, 18, 20 and the obsolete 1-5, 9-13 */
	ok("classification=S " US "atomicEnergyMarkings=\"RD RD-SG-13\" disseminationControls=NF");
}

static void
test_acl_validate__r_only_non_us(void **state)
{
	(void)state;
	ok("classification=R ownerProducer=GBR");
	ok("classification=R ownerProducer=NATO");
	bad("classification=R " US, "ISM-R-NONUS");
}

static void
test_acl_validate__joint_owners_in_rel(void **state)
{
	(void)state;
	ok("classification=S ownerProducer=\"DEU USA\" disseminationControls=REL "
	   "releasableTo=\"USA DEU NATO\"");
	/* A decomposable tetragraph covers its members: CAPCO 2016 H.3's own
	 * example is (//JOINT S CAN GBR USA//REL TO USA, FVEY). */
	ok("classification=S ownerProducer=\"CAN GBR USA\" joint=true "
	   "disseminationControls=REL releasableTo=\"USA FVEY\"");
	ok("classification=S ownerProducer=\"DEU USA\" disseminationControls=REL "
	   "releasableTo=\"USA NATO\"");
	bad("classification=S ownerProducer=\"DEU USA\" disseminationControls=REL "
	    "releasableTo=\"USA FVEY\"", "ISM-JOINT-REL");
	bad("classification=S ownerProducer=\"CAN USA\"", "ISM-JOINT-REL");
	bad("classification=S ownerProducer=USA joint=true", "ISM-JOINT-OWNERS");
}

static void
test_acl_validate__classification_and_owner_required(void **state)
{
	(void)state;
	bad("ownerProducer=USA", "ISM-CLASSIFICATION");
	bad("classification=S", "ISM-OWNER");
}

static void
test_acl_validate__unknown_country_rejected_on_input(void **state)
{
	acl_marking *m = NULL;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_marking_from_attrs(&m, T_data,
			     "classification=S ownerProducer=USA releasableTo=\"USA QQQ\"", &err),
	    LSN_EINPUT);
	assert_non_null(strstr(err.msg, "QQQ"));
}

/* Concealed FGI (ISM rules ID-00099, -00219, -00217; CAPCO 2016 FGI):
 * the token FGI as the only owner, with FGIsourceProtected FGI; FGI
 * alone in FGIsourceProtected; not mixed with named sources in a
 * portion; and no other list takes it. */
static void
test_acl_validate__concealed_fgi(void **state)
{
	acl_marking *m = NULL;
	lsn_err err;

	(void)state;
	ok("classification=S ownerProducer=FGI FGIsourceProtected=FGI");
	ok("classification=S ownerProducer=FGI FGIsourceProtected=FGI "
	   "disseminationControls=REL releasableTo=\"USA GBR\"");
	ok("classification=S " US "FGIsourceProtected=FGI disseminationControls=NF");
	/* a named protected source showed in every XML view */
	bad("classification=S " US "FGIsourceProtected=DEU", "ISM-FGI-ONLY");
	bad("classification=S ownerProducer=\"GBR FGI\" FGIsourceProtected=FGI",
	    "ISM-FGI-OWNER");
	bad("classification=S ownerProducer=\"USA FGI\" joint=true FGIsourceProtected=FGI "
	    "disseminationControls=REL releasableTo=\"USA GBR\"", "ISM-FGI-OWNER");
	bad("classification=S ownerProducer=FGI", "ISM-FGI-PROTECTED");
	bad("classification=S ownerProducer=FGI FGIsourceProtected=DEU", "ISM-FGI-PROTECTED");
	bad("classification=S " US "FGIsourceProtected=\"DEU FGI\"", "ISM-FGI-ONLY");
	bad("classification=S ownerProducer=FGI FGIsourceProtected=FGI FGIsourceOpen=DEU",
	    "ISM-FGI-MIX");
	bad("classification=S ownerProducer=DEU FGIsourceProtected=FGI", "ISM-FGI-MIX");
	bad("classification=S ownerProducer=NATO FGIsourceProtected=FGI", "ISM-FGI-MIX");
	bad("classification=S " US "FGIsourceProtected=FGI FGIsourceOpen=DEU", "ISM-FGI-MIX");
	bad("classification=S " US "FGIsourceProtected=FGI FGIsourceOpen=DEU "
	    "resourceElement=true", "ISM-FGI-MIX");
	/* a banner with a concealed source names none, NATO's for ATOMAL
	 * neither; a portion does */
	ok("classification=S " US "FGIsourceProtected=FGI nonUSControls=ATOMAL "
	   "resourceElement=true disseminationControls=NF");
	bad("classification=S " US "FGIsourceProtected=FGI nonUSControls=ATOMAL "
	    "disseminationControls=NF", "ISM-NONUS-NATO");
	const char *const elsewhere[] = { "releasableTo=\"USA FGI\"", "displayOnlyTo=FGI",
		"FGIsourceOpen=FGI" };
	for (size_t i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++) {
		char a[128];
		snprintf(a, sizeof(a), "classification=S ownerProducer=USA %s", elsewhere[i]);
		assert_int_equal(acl_marking_from_attrs(&m, T_data, a, &err), LSN_EINPUT);
		assert_non_null(strstr(err.msg, "'FGI'"));
	}
}

/* Two markings that render alike are told apart by the attribute that
 * differs (a banner refusal quoted two equal banners: helper-24). */
static void
test_acl_marking__difference_names_the_attribute(void **state)
{
	acl_marking *a = t_attrs("classification=S " US "disseminationControls=OC-USGOV");
	acl_marking *b = t_attrs("classification=S " US "disseminationControls=\"OC OC-USGOV\"");
	char out[128];

	(void)state;
	assert_string_equal(t_banner(a), t_banner(b));
	acl_marking_difference(out, sizeof(out), a, b);
	assert_string_equal(out, " (ism:disseminationControls: written \"OC-USGOV\", "
				 "computed \"OC OC-USGOV\")");
	acl_marking_difference(out, sizeof(out), a, a);
	assert_string_equal(out, "");
	acl_marking_free(a);
	acl_marking_free(b);
}

static void *
hold_and_let_go(void *arg)
{
	for (int i = 0; i < 100000; i++) {
		acl_marking *c = NULL;
		assert_int_equal(acl_marking_dup(&c, arg, NULL), 0);
		acl_marking_free(c);
	}
	return NULL;
}

/* acl_marking_dup shares: the copy is the marking, neither can be changed
 * while both are held, the last holder frees it (ASan and valgrind see a
 * double free or a leak), and holders in two threads keep the count. */
static void
test_acl_marking__dup_shares_and_a_shared_marking_cannot_change(void **state)
{
	acl_marking *m = t_attrs("classification=S " US "disseminationControls=NF"), *c = NULL;
	pthread_t th[2];
	lsn_err err;

	(void)state;
	assert_int_equal(acl_marking_dup(&c, m, &err), 0);
	assert_ptr_equal(c, m);
	assert_int_equal(acl_marking_set_attr(c, "classification", "TS", &err), LSN_EINTERNAL);
	assert_int_equal(acl_marking_set_attr(m, "classification", "TS", &err), LSN_EINTERNAL);
	assert_int_equal(acl_marking_level(m), ACL_LEVEL_S);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hold_and_let_go, m), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	acl_marking_free(c); /* m is the only holder again: it can change */
	assert_int_equal(acl_marking_set_attr(m, "classification", "TS", &err), 0);
	assert_int_equal(acl_marking_level(m), ACL_LEVEL_TS);
	acl_marking_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_validate__rel_eyes_nf_exclusive),
		cmocka_unit_test(test_acl_validate__rel_exactly_with_releasable_to),
		cmocka_unit_test(test_acl_validate__displayonly_exactly_with_list),
		cmocka_unit_test(test_acl_validate__fouo_only_on_u),
		cmocka_unit_test(test_acl_validate__oc_and_eyes_need_c),
		cmocka_unit_test(test_acl_validate__hcs_kdk_nd_xd_need_nf),
		cmocka_unit_test(test_acl_validate__sigma_cnwdi_need_their_family),
		cmocka_unit_test(test_acl_validate__template_relationships),
		cmocka_unit_test(test_acl_validate__sci_levels_and_requirements),
		cmocka_unit_test(test_acl_validate__fdr_joint_and_fgi_rules),
		cmocka_unit_test(test_acl_validate__r_only_non_us),
		cmocka_unit_test(test_acl_validate__joint_owners_in_rel),
		cmocka_unit_test(test_acl_validate__classification_and_owner_required),
		cmocka_unit_test(test_acl_validate__unknown_country_rejected_on_input),
		cmocka_unit_test(test_acl_validate__concealed_fgi),
		cmocka_unit_test(test_acl_marking__difference_names_the_attribute),
		cmocka_unit_test(test_acl_marking__dup_shares_and_a_shared_marking_cannot_change),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
