/*
 * tests/unit/test_acl_random.h - random markings for the acl property tests
 * (test_acl_label, test_acl_rollup): attributes drawn from the tokens of
 * every category, valid or not (a caller keeps what it needs), from a fixed
 * seed, so that a failure reproduces.
 */
#ifndef TEST_ACL_RANDOM_H
#define TEST_ACL_RANDOM_H

#include "tests/unit/test_acl_util.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull; /* fixed seed: reproducible */

static inline uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static inline unsigned
pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static const char *const countries[] = { "USA", "GBR", "AUS", "CAN", "NZL", "DEU", "FRA",
	"IND", "AFG", "IRQ", "FIN", "SWE", "TUR", "BHR", "JPN", "KOR", "NOR", "POL" };
static const char *const groups[] = { "FVEY", "NATO", "TEYE", "ACGU", "GFNX", "FRME",
	"TFTC", "BHTF", "EU", "NSG" };
#define NC (sizeof(countries) / sizeof(countries[0]))
#define NG (sizeof(groups) / sizeof(groups[0]))

/* A list of countries and tetragraphs; an EYES ONLY list names the Second
 * Party partners (the first 5 countries) and tetragraphs. */
static inline void
add_list(char *buf, size_t len, const char *name, int with_usa, int eyes)
{
	char v[256] = "";
	unsigned n = 1 + pick(4);

	if (with_usa)
		strcat(v, "USA ");
	for (unsigned i = 0; i < n; i++) {
		strcat(v, pick(3) ? countries[pick(eyes ? 5 : NC)] : groups[pick(NG)]);
		strcat(v, " ");
	}
	snprintf(buf + strlen(buf), len - strlen(buf), " %s=\"%s\"", name, v);
}

static inline acl_marking *
t_random_marking(void)
{
	static const char *const cls[] = { "U", "R", "C", "S", "TS" };
	/* several foreign owners without USA: foreign information, not JOINT */
	static const char *const owners[] = { "USA", "USA", "USA", "GBR", "NATO", "DEU USA",
		"USA NATO", "CAN GBR USA", "CAN GBR", "DEU FRA NATO", "FGI" };
	static const char *const dissem[] = { "RS", "FOUO", "OC", "OC-USGOV", "IMC", "PR",
		"RELIDO", "DSEN", "FISA" };
	/* SCI as written: a compartment with its system (SI-G with SI) */
	static const char *const sci[] = { "SI", "TK", "SI SI-G", "SI SI-G SI-G-ABCD", "HCS",
		"RSV RSV-ABC", "TK TK-BLFH", "HCS HCS-O" };
	static const char *const sar[] = { "ABC", "DEF", "PROM_TUX" };
	static const char *const aea[] = { "RD", "FRD", "DCNI", "RD-CNWDI", "UCNI" };
	static const char *const nonic[] = { "DS", "XD", "ND", "SBU", "SBU-NF", "LES", "LES-NF",
		"SSI", "ACCM-TEA_LEAF" };
	static const char *const nonus_[] = { "ATOMAL", "BALK", "BOHEMIA" };
	char a[2048], ds[256] = "";
	acl_marking *m = NULL;
	lsn_err err;
	unsigned fdr = pick(7);

	unsigned own = pick(11);
	snprintf(a, sizeof(a), "classification=%s ownerProducer=\"%s\"%s", cls[pick(5)],
	    owners[own], strchr(owners[own], ' ') && pick(2) ? " joint=true" : "");
	for (int i = 0; i < 9; i++)
		if (pick(8) == 0) {
			strcat(ds, dissem[i]);
			strcat(ds, " ");
		}
	if (fdr == 1)
		strcat(ds, "NF ");
	if (fdr == 2 || fdr == 5) {
		strcat(ds, "REL ");
		add_list(a, sizeof(a), "releasableTo", 1, 0);
	}
	if (fdr == 3) {
		strcat(ds, "EYES ");
		add_list(a, sizeof(a), "releasableTo", 1, 1);
	}
	if (fdr == 4 || fdr == 5) {
		strcat(ds, "DISPLAYONLY ");
		add_list(a, sizeof(a), "displayOnlyTo", 0, 0);
	}
	snprintf(a + strlen(a), sizeof(a) - strlen(a), " disseminationControls=\"%s\"", ds);
	if (pick(3) == 0)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), " SCIcontrols=\"%s %s\"",
		    sci[pick(8)], sci[pick(8)]);
	if (pick(6) == 0)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), " SARIdentifier=%s", sar[pick(3)]);
	if (pick(6) == 0)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), " atomicEnergyMarkings=%s",
		    aea[pick(5)]);
	if (pick(6) == 0)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), " nonICmarkings=%s", nonic[pick(9)]);
	/* NATO's controls mostly on NATO information (FGI NATO otherwise) */
	int nonus = pick(8) == 0, fgi_nato = nonus && !strstr(owners[own], "NATO") && pick(4);
	if (nonus)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), " nonUSControls=%s", nonus_[pick(3)]);
	/* a concealed source: "//FGI S" (its protected source mostly given,
	 * as ISM requires), "S//FGI" */
	if (strcmp(owners[own], "FGI") == 0 ? pick(4) != 0 : pick(20) == 0)
		strcat(a, " FGIsourceProtected=FGI");
	else if (pick(10) == 0)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), " %s=\"%s%s\"",
		    fgi_nato || pick(2) ? "FGIsourceOpen" : "FGIsourceProtected",
		    countries[1 + pick(NC - 1)], fgi_nato ? " NATO" : "");
	else if (fgi_nato)
		strcat(a, " FGIsourceOpen=NATO");
	if (acl_marking_from_attrs(&m, T_data, a, &err) != 0)
		fail_msg("generator made bad attributes '%s': %s", a, err.msg);
	return m;
}

#endif
