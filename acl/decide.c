/*
 * acl/decide.c - the access decision (ODNI ISM.ACES V2021-NOV chapter 5,
 * DESIGN.md section 4), on a marking and on its compact label.
 *
 * The two implementations are deliberately separate: acl_decide() walks
 * the marking's token lists and the membership tables; acl_label_decide()
 * uses bitsets and hashes.  The property test in tests/unit/test_acl_label.c
 * holds them to the same answer.  Both check the rules in the same order,
 * so they also agree on the reason.
 *
 * Check order (first failing rule is the reason):
 *   disabled principal; label registry; structural validity;
 *   clearance (5.1.1, JOINT 5.1.2); JOINT country (5.1.2); NATO read-on
 *   (5.1.3); SCI/SAP/AEA all-of (5.2-5.4); NOFORN (5.6.6) incl. SBU-NF and
 *   LES-NF; US-government-only controls (XD, ND 5.7.2-3; OC-USGOV 5.6.4;
 *   DS 5.7.1; DSEN 5.6.11; FOUO 5.6.2, FISA on U 5.6.13, SBU 5.7.4, LES,
 *   SSI without REL/EYES/DISPLAYONLY); foreign disclosure for non-US
 *   principals (2.2.4, Tables 30, 32, 36); DISPLAY ONLY for US persons who
 *   are not US government (Table 36).
 */
#include "config.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

#define BIT(x) (1u << ACL__D_##x)
#define NBIT(x) (1u << ACL__N_##x)
#define FDR (BIT(REL) | BIT(EYES) | BIT(DISPLAYONLY))

enum { F_JOINT = 1, F_NATO_ONLY = 2, F_NATO_IN = 4, F_CAVEATED = 8 };

const char *
acl_reason_text(int r)
{
	switch (r) {
	case ACL_R_OK:
		return "allowed";
	case ACL_R_DISPLAY_ONLY:
		return "display only: may view, not export (ISM.ACES Table 36)";
	case ACL_R_DISABLED:
		return "principal is disabled";
	case ACL_R_INVALID:
		return "marking is invalid or incomplete (deny by default)";
	case ACL_R_DATA:
		return "label was built with another registry or is corrupt (deny by default)";
	case ACL_R_CLEARANCE:
		return "clearance below classification (ISM.ACES 5.1.1, 5.1.2)";
	case ACL_R_JOINT:
		return "country is not an owner of the JOINT marking (ISM.ACES 5.1.2)";
	case ACL_R_NATO:
		return "no NATO read-on at the marking's level (ISM.ACES 5.1.3)";
	case ACL_R_ACCESS:
		return "missing an SCI, SAP, ACCM or AEA access the marking requires (ISM.ACES 5.2-5.4, Table 47)";
	case ACL_R_NOFORN:
		return "NOFORN: US government US persons only (ISM.ACES 5.6.6)";
	case ACL_R_USGOV:
		return "control limited to US government (ISM.ACES 5.6.2, 5.6.4, 5.6.11, 5.7)";
	case ACL_R_NOT_RELEASABLE:
		return "not releasable to the principal's country (ISM.ACES 2.2.4, Tables 30, 32, 36)";
	case ACL_R_NTK:
		return "need-to-know expression not satisfied (the portion's lsn:access over the principal's groups)";
	default:
		return "unknown reason";
	}
}

static int
finish(struct acl_decision *out, int verdict, int reason)
{
	if (out) {
		out->verdict = verdict;
		out->reason = reason;
	}
	return verdict;
}

/* Level the principal's clearance must reach: R needs C (ISM.ACES Table 3);
 * JOINT C needs S (ISM.ACES Table 4). */
static int
needed_level(int cls, int joint)
{
	if (cls == ACL_LEVEL_R)
		return ACL_LEVEL_C;
	if (joint && cls == ACL_LEVEL_C)
		return ACL_LEVEL_S;
	return cls;
}

/* ---- on the marking ---- */

/* NATO information, which needs a NATO read-on: owned by NATO, or NATO
 * named as its foreign source (FGI NATO; ISM.ACES Table 24 wants the
 * read-on at highWaterNATO, which liaison does not keep: the portion's own
 * level stands in for it).  FGI NATO needed no read-on. */
static int
nato_information(const acl_marking *m)
{
	const acl_data *d = m->data;

	return d->nato >= 0 &&
	    (acl__clist_has(&m->owners, d->nato) || acl__clist_has(&m->fgi_open, d->nato));
}

/* NATO is the only owner: NATO's own information. */
static int
nato_own(const acl_marking *m)
{
	return m->data->nato >= 0 && m->owners.n == 1 && m->owners.v[0] == m->data->nato;
}

/* The principal's country is in l, every tetragraph fully expanded
 * (ISM.ACES 5.6.8: decomposability does not matter for access). */
static int
country_in(const acl_principal *p, const struct acl__clist *l)
{
	for (int i = 0; i < l->n; i++)
		if (acl__is_member(p->data, p->country, l->v[i]))
			return 1;
	return 0;
}

int
acl_decide(const acl_principal *p, const acl_marking *m, struct acl_decision *out)
{
	const acl_data *d = m->data;
	struct acl__toks req;
	unsigned ds = m->dissem, ni = m->nonic;
	int joint = acl__is_joint(m);
	int usa, nato_in, nato_only;

	if (p->disabled)
		return finish(out, ACL_DENY, ACL_R_DISABLED);
	if (p->registry_id != d->registry_id)
		return finish(out, ACL_DENY, ACL_R_DATA);
	if (acl_marking_validate(m, NULL) != 0 || acl__required_access(m, &req) != 0 ||
	    req.n > ACL_LABEL_MAX_ACCESS)
		return finish(out, ACL_DENY, ACL_R_INVALID);
	usa = p->country == d->usa;
	nato_in = nato_information(m);
	nato_only = nato_own(m);

	/* ISM.ACES 5.1.1, 5.1.2 */
	if (p->clearance < needed_level(m->cls, joint))
		return finish(out, ACL_DENY, ACL_R_CLEARANCE);
	/* ISM.ACES 5.1.2: the country affiliation is in [LIST] */
	if (joint && !country_in(p, &m->owners))
		return finish(out, ACL_DENY, ACL_R_JOINT);
	/* ISM.ACES 5.1.3: a NATO read-on at the level; NATO UNCLASSIFIED needs
	 * US government affiliation or any NATO read-on. */
	if (nato_in) {
		if (m->cls >= ACL_LEVEL_R ? p->nato_readon < m->cls
					  : !(p->usgov || p->nato_readon > 0))
			return finish(out, ACL_DENY, ACL_R_NATO);
	}
	/* ISM.ACES 5.2-5.4: every SCI control, SAP and AEA marking */
	for (int i = 0; i < req.n; i++)
		if (!acl__toks_has(&p->acc, req.t[i]))
			return finish(out, ACL_DENY, ACL_R_ACCESS);
	/* ISM.ACES 5.6.6; SBU-NF 5.7.5, LES-NF 5.7.7 */
	if ((ds & BIT(NF)) || (ni & (NBIT(SBU_NF) | NBIT(LES_NF))))
		if (!(usa && p->usgov))
			return finish(out, ACL_DENY, ACL_R_NOFORN);
	/* ISM.ACES 5.7.2, 5.7.3: EXDIS, NODIS */
	if ((ni & (NBIT(XD) | NBIT(ND))) && !(usa && p->usgov))
		return finish(out, ACL_DENY, ACL_R_USGOV);
	/* ISM.ACES 5.6.4 OC-USGOV, 5.6.11 DSEN, 5.7.1 LIMDIS, 5.7.6 LES (with
	 * a release marking too: Table 43 has no exception for one) */
	if (((ds & (BIT(OC_USGOV) | BIT(DSEN))) || (ni & (NBIT(DS) | NBIT(LES)))) && !p->usgov)
		return finish(out, ACL_DENY, ACL_R_USGOV);
	/* ISM.ACES 5.7.8 SSI: whoever may access classified information */
	if ((ni & NBIT(SSI)) && p->clearance < ACL_LEVEL_C)
		return finish(out, ACL_DENY, ACL_R_CLEARANCE);
	/* DESIGN.md 4 rule 4: FOUO and FISA (on U) without REL, EYES or
	 * DISPLAYONLY; likewise DSEN, LIMDIS (5.6.11, 5.7.1) and SBU, LES, SSI
	 * (5.7.4, 5.7.6, 5.7.8): US government, USA. */
	if (!(ds & FDR) &&
	    ((ds & (BIT(FOUO) | BIT(DSEN))) || ((ds & BIT(FISA)) && m->cls == ACL_LEVEL_U) ||
		(ni & (NBIT(DS) | NBIT(SBU) | NBIT(LES) | NBIT(SSI)))) &&
	    !(usa && p->usgov))
		return finish(out, ACL_DENY, ACL_R_USGOV);
	if (!usa) {
		/* ISM.ACES 2.2.4 with Tables 30 (REL), 32 (EYES), 36 (DISPLAYONLY);
		 * EYES releases to the Five Eyes trigraphs it names, no other
		 * country and no tetragraph's members (5.6.10): USA/DEU EYES
		 * ONLY went to DEU, USA/AUS/NATO EYES ONLY to every member. */
		if ((ds & BIT(REL)) && country_in(p, &m->rel))
			return finish(out, ACL_ALLOW, ACL_R_OK);
		if ((ds & BIT(EYES)) && p->five_eyes && acl__clist_has(&m->rel, p->country))
			return finish(out, ACL_ALLOW, ACL_R_OK);
		/* NATO's own information, no FD&R: the read-on (checked above)
		 * and membership govern (CAPCO 2016 Table 5, NATO rows). */
		if (nato_only && !(ds & FDR) && country_in(p, &m->owners))
			return finish(out, ACL_ALLOW, ACL_R_OK);
		if ((ds & BIT(DISPLAYONLY)) && (country_in(p, &m->disp) || country_in(p, &m->rel)))
			return finish(out, ACL_VIEW, ACL_R_DISPLAY_ONLY);
		/* Unclassified, uncaveated and the United States' own: no FD&R
		 * needed (DESIGN.md 4 rule 3, ISM-Rollup 2.2).  Another
		 * owner's (//DEU U, //NU for a non-member) is foreign
		 * information, which only its release markings release (ACES
		 * 2.2.4): it went to every partner. */
		if (m->cls == ACL_LEVEL_U && !acl__caveated(m) && m->owners.n == 1 &&
		    m->owners.v[0] == d->usa)
			return finish(out, ACL_ALLOW, ACL_R_OK);
		return finish(out, ACL_DENY, ACL_R_NOT_RELEASABLE);
	}
	/* ISM.ACES Table 36: DISPLAY ONLY binds everyone but US government US
	 * persons, unless REL TO covers them. */
	if ((ds & BIT(DISPLAYONLY)) && !p->usgov &&
	    !((ds & (BIT(REL) | BIT(EYES))) && acl__clist_has(&m->rel, d->usa)))
		return finish(out, ACL_VIEW, ACL_R_DISPLAY_ONLY);
	return finish(out, ACL_ALLOW, ACL_R_OK);
}

/* ---- the label ---- */

#define L_REL 16
#define L_DISP 64
#define L_OWN 112
#define L_ACC 160

/* The bit set at `at` (as put_bits writes it) holds bit. */
static int
has_bit(const uint8_t *at, int bit)
{
	return (at[8 * (bit / 64) + (bit % 64) / 8] >> (bit % 8)) & 1;
}

/* The bit set at `at` (as put_bits writes it) holds bit and no other:
 * the owners are the United States alone. */
static int
only_bit(const uint8_t *at, int bit)
{
	for (int i = 0; i < ACL__WORDS; i++) {
		uint64_t w;
		memcpy(&w, at + 8 * i, 8);
		if (le64toh(w) != (i == bit / 64 ? 1ull << (bit % 64) : 0))
			return 0;
	}
	return 1;
}

static void
put_bits(uint8_t *at, const struct acl__clist *l)
{
	uint64_t w[ACL__WORDS] = { 0 };

	for (int i = 0; i < l->n; i++)
		w[l->v[i] / 64] |= 1ull << (l->v[i] % 64);
	for (int i = 0; i < ACL__WORDS; i++) {
		uint64_t le = htole64(w[i]);
		memcpy(at + 8 * i, &le, 8);
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int
acl_label_build(uint8_t out[ACL_LABEL_SIZE], const acl_marking *m, lsn_err *err)
{
	const acl_data *d = m->data;
	struct acl__toks req;
	uint64_t h[ACL_LABEL_MAX_ACCESS];
	int rc, nato_in;

	memset(out, 0, ACL_LABEL_SIZE);
	if ((rc = acl_marking_validate(m, err)) != 0)
		return rc;
	if (acl__required_access(m, &req) != 0 || req.n > ACL_LABEL_MAX_ACCESS)
		return lsn_fail(err, LSN_EINPUT,
		    "the marking needs more than %d SCI/SAP/AEA accesses: label v%d cannot hold it",
		    ACL_LABEL_MAX_ACCESS, ACL_LABEL_VERSION);
	nato_in = nato_information(m);
	out[0] = 'L';
	out[1] = ACL_LABEL_VERSION;
	out[2] = (uint8_t)m->cls;
	out[3] = (uint8_t)((acl__is_joint(m) ? F_JOINT : 0) |
	    (nato_own(m) ? F_NATO_ONLY : 0) |
	    (nato_in ? F_NATO_IN : 0) |
	    (acl__caveated(m) ? F_CAVEATED : 0));
	out[4] = (uint8_t)(m->dissem >> 8);
	out[5] = (uint8_t)m->dissem;
	out[6] = (uint8_t)m->nonic;
	out[7] = (uint8_t)m->nonus;
	lsn_put_be32(out + 8, d->registry_id);
	out[12] = (uint8_t)req.n;
	put_bits(out + L_REL, &m->rel);
	put_bits(out + L_DISP, &m->disp);
	put_bits(out + L_OWN, &m->owners);
	for (int i = 0; i < req.n; i++)
		h[i] = acl__access_hash(req.t[i]);
	qsort(h, (size_t)req.n, sizeof(h[0]), cmp_u64);
	for (int i = 0; i < req.n; i++)
		lsn_put_be64(out + L_ACC + 8 * i, h[i]);
	return 0;
}

static inline int
meets(const uint64_t *reach, const uint8_t *bits)
{
	uint64_t acc = 0;

	for (int i = 0; i < ACL__WORDS; i++) {
		uint64_t w;
		memcpy(&w, bits + 8 * i, 8);
		acc |= le64toh(w) & reach[i];
	}
	return acc != 0;
}

static inline int
has_hash(const acl_principal *p, uint64_t h)
{
	size_t lo = 0, hi = p->n_acc;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->acc_hash[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n_acc && p->acc_hash[lo] == h;
}

int
acl_label_decide(const acl_principal *p, const uint8_t *l, size_t len,
    struct acl_decision *out)
{
	const acl_data *d = p->data;
	unsigned ds, ni, flags, cls, nacc;
	int usa, joint;

	if (p->disabled)
		return finish(out, ACL_DENY, ACL_R_DISABLED);
	if (l == NULL || len != ACL_LABEL_SIZE || l[0] != 'L' || l[1] != ACL_LABEL_VERSION ||
	    lsn_get_be32(l + 8) != p->registry_id || l[2] < ACL_LEVEL_U ||
	    l[2] > ACL_LEVEL_TS || l[12] > ACL_LABEL_MAX_ACCESS)
		return finish(out, ACL_DENY, ACL_R_DATA);
	cls = l[2];
	flags = l[3];
	ds = (unsigned)l[4] << 8 | l[5];
	ni = l[6];
	nacc = l[12];
	joint = (flags & F_JOINT) != 0;
	usa = p->country == d->usa;

	if (p->clearance < needed_level((int)cls, joint))
		return finish(out, ACL_DENY, ACL_R_CLEARANCE);
	if (joint && !meets(p->reach, l + L_OWN))
		return finish(out, ACL_DENY, ACL_R_JOINT);
	if (flags & F_NATO_IN) {
		if (cls >= ACL_LEVEL_R ? p->nato_readon < (int)cls
				       : !(p->usgov || p->nato_readon > 0))
			return finish(out, ACL_DENY, ACL_R_NATO);
	}
	for (unsigned i = 0; i < nacc; i++)
		if (!has_hash(p, lsn_get_be64(l + L_ACC + 8 * i)))
			return finish(out, ACL_DENY, ACL_R_ACCESS);
	if ((ds & BIT(NF)) || (ni & (NBIT(SBU_NF) | NBIT(LES_NF))))
		if (!(usa && p->usgov))
			return finish(out, ACL_DENY, ACL_R_NOFORN);
	if ((ni & (NBIT(XD) | NBIT(ND))) && !(usa && p->usgov))
		return finish(out, ACL_DENY, ACL_R_USGOV);
	if (((ds & (BIT(OC_USGOV) | BIT(DSEN))) || (ni & (NBIT(DS) | NBIT(LES)))) && !p->usgov)
		return finish(out, ACL_DENY, ACL_R_USGOV);
	if ((ni & NBIT(SSI)) && p->clearance < ACL_LEVEL_C)
		return finish(out, ACL_DENY, ACL_R_CLEARANCE);
	if (!(ds & FDR) &&
	    ((ds & (BIT(FOUO) | BIT(DSEN))) || ((ds & BIT(FISA)) && cls == ACL_LEVEL_U) ||
		(ni & (NBIT(DS) | NBIT(SBU) | NBIT(LES) | NBIT(SSI)))) &&
	    !(usa && p->usgov))
		return finish(out, ACL_DENY, ACL_R_USGOV);
	if (!usa) {
		if ((ds & BIT(REL)) && meets(p->reach, l + L_REL))
			return finish(out, ACL_ALLOW, ACL_R_OK);
		if ((ds & BIT(EYES)) && p->five_eyes && has_bit(l + L_REL, p->country))
			return finish(out, ACL_ALLOW, ACL_R_OK);
		if ((flags & F_NATO_ONLY) && !(ds & FDR) && meets(p->reach, l + L_OWN))
			return finish(out, ACL_ALLOW, ACL_R_OK);
		if ((ds & BIT(DISPLAYONLY)) &&
		    (meets(p->reach, l + L_DISP) || meets(p->reach, l + L_REL)))
			return finish(out, ACL_VIEW, ACL_R_DISPLAY_ONLY);
		if (cls == ACL_LEVEL_U && !(flags & F_CAVEATED) && only_bit(l + L_OWN, d->usa))
			return finish(out, ACL_ALLOW, ACL_R_OK);
		return finish(out, ACL_DENY, ACL_R_NOT_RELEASABLE);
	}
	if ((ds & BIT(DISPLAYONLY)) && !p->usgov &&
	    !((ds & (BIT(REL) | BIT(EYES))) && has_bit(l + L_REL, d->usa)))
		return finish(out, ACL_VIEW, ACL_R_DISPLAY_ONLY);
	return finish(out, ACL_ALLOW, ACL_R_OK);
}

int
acl_ntk_check(const acl_principal *p, const char *expr, lsn_err *err)
{
	int res = 0, rc;

	if (expr == NULL || *expr == '\0')
		return 1;
	rc = acl_access_eval(expr, strlen(expr), (const char *const *)p->groups,
	    p->n_groups, &res, NULL, err);
	if (rc != 0)
		return rc;
	return res;
}
