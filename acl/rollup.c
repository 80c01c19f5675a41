/*
 * acl/rollup.c - the banner from its portions: CAPCO 2016 D.2 (Table 3,
 * FD&R precedence), the precedence rules of each marking's template in
 * the Register and Manual, and ODNI ISM-Rollup V2021-NOV section 2.2.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

#define D(m, x) ((m)->dissem & (1u << ACL__D_##x))
#define BIT(x) (1u << ACL__D_##x)

/* The FD&R controls of Table 3. */
#define FDR_BITS (BIT(NF) | BIT(REL) | BIT(RELIDO) | BIT(EYES) | BIT(DISPLAYONLY))

/* Countries a list reaches when its decomposable tetragraphs are expanded
 * (ISM-Rollup 2.2; CAPCO 2016 Table 3 rule 23).  Non-decomposable ones
 * stay as themselves. */
static void
expand(const acl_data *d, const struct acl__clist *l, uint8_t *set)
{
	memset(set, 0, ACL__MAXREG);
	for (int i = 0; i < l->n; i++) {
		const struct acl__entry *e = &d->e[l->v[i]];
		set[l->v[i]] = 1;
		if (e->is_group && e->decomposable)
			for (int k = 0; k < e->n_members; k++)
				set[e->members[k]] = 1;
	}
}

/*
 * The intersection of lists[0..n): tokens every list carries literally,
 * plus countries every list reaches through decomposable tetragraphs
 * (unless a kept decomposable tetragraph already covers them).
 */
static void
intersect(const acl_data *d, const struct acl__clist *const *lists, int n,
    struct acl__clist *out)
{
	uint8_t *all = calloc(ACL__MAXREG, 1), *one = calloc(ACL__MAXREG, 1);

	out->n = 0;
	if (all == NULL || one == NULL || n == 0)
		goto out;
	/* literal common tokens */
	for (int k = 0; k < lists[0]->n; k++) {
		int t = lists[0]->v[k], every = 1;
		for (int j = 1; j < n && every; j++)
			every = acl__clist_has(lists[j], t);
		if (every)
			acl__clist_add(out, t);
	}
	/* countries common after expansion */
	expand(d, lists[0], all);
	for (int j = 1; j < n; j++) {
		expand(d, lists[j], one);
		for (int i = 0; i < d->n; i++)
			all[i] &= one[i];
	}
	for (int i = 0; i < d->n; i++) {
		int covered = 0;
		if (!all[i] || d->e[i].is_group || acl__clist_has(out, i))
			continue;
		for (int k = 0; k < out->n && !covered; k++) {
			const struct acl__entry *g = &d->e[out->v[k]];
			covered = g->is_group && g->decomposable && acl__is_member(d, i, out->v[k]);
		}
		if (!covered)
			acl__clist_add(out, i);
	}
out:
	free(all);
	free(one);
}

static void
union_toks(struct acl__toks *to, const struct acl__toks *from)
{
	for (int i = 0; i < from->n; i++)
		(void)acl__toks_add(to, from->t[i], NULL);
}

static void
union_clist(struct acl__clist *to, const struct acl__clist *from)
{
	for (int i = 0; i < from->n; i++)
		acl__clist_add(to, from->v[i]);
}

/*
 * AEA precedence (CAPCO 2016 marking templates, section 6): RD over FRD
 * and TFNI, FRD over TFNI; with RD, every SIGMA number goes under
 * RD-SIGMA ("regardless of whether the information was RD or FRD"); DOD
 * and DOE UCNI leave a classified banner (a UCNI portion without a
 * release marking of its own makes the banner NOFORN by Table 3 already).
 */
static void
aea_precedence(struct acl__toks *t, int classified)
{
	struct acl__toks out = { 0 };
	/* (validation puts RD beside any RD-x, FRD beside any FRD-x) */
	int rd = acl__toks_has(t, "RD"), frd = acl__toks_has(t, "FRD");
	char sg[ACL__TOKLEN];

	for (int i = 0; i < t->n; i++) {
		const char *k = t->t[i];
		if ((rd || frd) && strcmp(k, "TFNI") == 0)
			continue;
		if (rd && strcmp(k, "FRD") == 0)
			continue;
		if (rd && strncmp(k, "FRD-SG-", 7) == 0) {
			(void)snprintf(sg, sizeof(sg), "RD-SG-%s", k + 7);
			k = sg;
		}
		if (classified && (strcmp(k, "DCNI") == 0 || strcmp(k, "UCNI") == 0))
			continue;
		(void)acl__toks_add(&out, k, NULL);
	}
	*t = out;
}

#define N(x) (1u << ACL__N_##x)

/*
 * The other controls' precedence, once the FD&R is known (nf: the banner
 * carries NOFORN), from CAPCO 2016's marking templates:
 *   - with NOFORN in the banner, SBU NOFORN and LES NOFORN convey it as
 *     the IC control and become SBU and LES ("SECRET//NOFORN//LES");
 *   - a classified banner drops FOUO, LIMDIS and SBU (the classification
 *     protects them); LES and SSI stay at any level;
 *   - NODIS over EXDIS; EXDIS or NODIS over SBU, SBU NOFORN and FOUO;
 *     SBU NOFORN over SBU, and LES NOFORN over LES (the most restrictive,
 *     D.2; LES NOFORN "is the LES marking" in its template);
 *   - an unclassified banner drops FOUO beside any other dissemination
 *     control, FD&R aside (PROPIN, DSEN, LIMDIS, SBU, LES, SSI ... over
 *     FOUO).
 */
static void
control_precedence(acl_marking *r, int nf)
{
	if (nf && (r->nonic & N(SBU_NF)))
		r->nonic = (r->nonic & ~N(SBU_NF)) | N(SBU);
	if (nf && (r->nonic & N(LES_NF)))
		r->nonic = (r->nonic & ~N(LES_NF)) | N(LES);
	if (r->cls > ACL_LEVEL_U) {
		r->dissem &= ~BIT(FOUO);
		r->nonic &= ~(N(DS) | N(SBU) | N(SBU_NF));
	}
	if (r->nonic & N(ND))
		r->nonic &= ~N(XD);
	if (r->nonic & (N(XD) | N(ND)))
		r->nonic &= ~(N(SBU) | N(SBU_NF));
	if (r->nonic & N(SBU_NF))
		r->nonic &= ~N(SBU);
	if (r->nonic & N(LES_NF))
		r->nonic &= ~N(LES);
	if ((r->dissem & ~(FDR_BITS | BIT(FOUO))) || r->nonic)
		r->dissem &= ~BIT(FOUO);
}

static int
same_owners(const acl_marking *a, const acl_marking *b)
{
	return a->owners.n == b->owners.n &&
	    memcmp(a->owners.v, b->owners.v, (size_t)a->owners.n * sizeof(a->owners.v[0])) == 0;
}

static int rollup(acl_marking **out, const acl_data *d, const acl_marking *const *p,
    size_t n, int all, lsn_err *err);

int
acl_rollup(acl_marking **out, const acl_data *d, const acl_marking *const *p, size_t n,
    lsn_err *err)
{
	return rollup(out, d, p, n, 0, err);
}

int
acl_rollup_view(acl_marking **out, const acl_data *d, const acl_marking *const *p,
    size_t n, lsn_err *err)
{
	return rollup(out, d, p, n, 1, err);
}

/* all: excludeFromRollup ignored (a view's banner). */
static int
rollup(acl_marking **out, const acl_data *d, const acl_marking *const *p, size_t n, int all,
    lsn_err *err)
{
	acl_marking *r = NULL;
	const acl_marking **part = NULL;
	const struct acl__clist **lists = NULL;
	size_t np = 0, nall = 0;
	const acl_marking *first = NULL;
	int rc = 0, mixed_owner = 0, nf = 0, oc_all_usgov = 1;

	*out = NULL;
	if ((rc = acl_marking_new(&r, d, err)) != 0)
		goto out;
	if ((part = calloc(n + 1, sizeof(*part))) == NULL ||
	    (lists = calloc(n + 1, sizeof(*lists))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const acl_marking *m = p[i];

		if (m->exclude && !all) /* ISM excludeFromRollup */
			continue;
		if (m->cls == ACL_LEVEL_NONE || m->owners.n == 0) {
			rc = lsn_fail(err, LSN_EINPUT,
			    "portion %zu has no classification or ownerProducer", i + 1);
			goto out;
		}
		nall++;
		if (first == NULL)
			first = m;
		else if (!same_owners(first, m))
			mixed_owner = 1;
		/* Classification is the highest (CAPCO 2016 D.2). */
		if (m->cls > r->cls)
			r->cls = m->cls;
		/* SCI, SAP, AEA: all unique markings (CAPCO 2016 D.2). */
		union_toks(&r->sci, &m->sci);
		union_toks(&r->sar, &m->sar);
		union_toks(&r->aea, &m->aea);
		union_toks(&r->accm, &m->accm);
		union_clist(&r->fgi_open, &m->fgi_open);
		union_clist(&r->fgi_prot, &m->fgi_prot);
		r->nonic |= m->nonic;
		r->nonus |= m->nonus;
		/* Non-FD&R dissemination controls: all unique ones. */
		r->dissem |= m->dissem & ~FDR_BITS;
		if (D(m, OC) && !D(m, OC_USGOV))
			oc_all_usgov = 0;
		/* ISM-Rollup 2.2: unclassified uncaveated portions do not take
		 * part in the FD&R roll-up. */
		if (m->cls == ACL_LEVEL_U && !acl__caveated(m))
			continue;
		part[np++] = m;
	}
	if (nall == 0) {
		rc = lsn_fail(err, LSN_EINPUT, "no portion takes part in the roll-up");
		goto out;
	}
	/* Owners: one owner set for all portions keeps it (non-US, NATO,
	 * JOINT); a mixture is a US document carrying FGI (CAPCO 2016 D.2,
	 * FGI bullet), and so are a concealed source's portions ("TOP
	 * SECRET//FGI"): no banner names FGI as its owner. */
	if (!mixed_owner && !acl__clist_has(&first->owners, d->fgi)) {
		r->owners = first->owners;
		r->joint = acl__is_joint(first);
	} else {
		acl__clist_add(&r->owners, d->usa);
		for (size_t i = 0; i < n; i++) {
			if (p[i]->exclude && !all)
				continue;
			for (int k = 0; k < p[i]->owners.n; k++)
				if (p[i]->owners.v[k] != d->usa)
					acl__clist_add(p[i]->owners.v[k] == d->fgi ? &r->fgi_prot
										   : &r->fgi_open,
					    p[i]->owners.v[k]);
		}
	}
	/* Concealed FGI anywhere: "only the FGI marking without the source
	 * trigraph(s)" (CAPCO 2016 FGI, the most restrictive form), in the
	 * attributes too, so that the banner is what "SECRET//FGI" parses to
	 * and no XML view of it names a source. */
	if (r->fgi_prot.n > 0)
		r->fgi_open.n = 0;
	/* An R portion becomes C in a US banner (CAPCO 2016 Register 1;
	 * standards README). */
	if (r->cls == ACL_LEVEL_R && acl__clist_has(&r->owners, d->usa))
		r->cls = ACL_LEVEL_C;
	aea_precedence(&r->aea, r->cls > ACL_LEVEL_U);
	/* OC-USGOV survives only if every OC portion has it (CAPCO 2016 H.8). */
	if (!oc_all_usgov)
		r->dissem &= ~BIT(OC_USGOV);

	/* ---- FD&R: CAPCO 2016 Table 3 ---- */
	for (size_t i = 0; i < np; i++) {
		/* rules 1-8, 14, 15: NF anywhere; SBU-NF, LES-NF anywhere in a
		 * classified document.  In an unclassified one they are
		 * conveyed as SBU NOFORN and LES NOFORN (their templates:
		 * FOUO + LES-NF is LES NOFORN), and other portions' FD&R
		 * beside them comes to NOFORN below. */
		if (D(part[i], NF))
			nf = 1;
		if ((part[i]->nonic & (N(SBU_NF) | N(LES_NF))) && r->cls > ACL_LEVEL_U)
			nf = 1;
	}
	if (!nf && np > 0) {
		size_t none = 0, relido_only = 0, with_rel = 0, with_disp = 0, relido = 0,
		       eyes = 0;

		for (size_t i = 0; i < np; i++) {
			const acl_marking *m = part[i];
			int rel = D(m, REL) || D(m, EYES);
			if (!(m->dissem & FDR_BITS))
				none++;
			if (D(m, RELIDO))
				relido++;
			if (D(m, RELIDO) && !rel && !D(m, DISPLAYONLY))
				relido_only++;
			if (rel)
				with_rel++;
			if (D(m, EYES))
				eyes++;
			if (D(m, DISPLAYONLY))
				with_disp++;
		}
		if (none == np) {
			/* No portion has FD&R: none in the banner either. */
		} else if (none > 0) {
			/* rules 12, 16, 17, 19: FD&R mixed with unmarked portions */
			nf = 1;
		} else if (relido > 0 && with_disp > 0 && with_rel < np) {
			/* rule 18: RELIDO beside DISPLAY ONLY without REL TO (with
			 * REL TO on every portion, rule 27 below: a JOINT
			 * document's portions all carry one, and its banner
			 * cannot be NOFORN) */
			nf = 1;
		} else if (relido == np && relido_only > 0) {
			/* rule 24: RELIDO on every portion is carried to the
			 * banner, and with it no NOFORN (the manual's own page:
			 * (S//RELIDO) with (S//REL TO USA, AUS, CAN/RELIDO) is
			 * SECRET//RELIDO); a REL TO list on some portions only
			 * does not carry. */
			r->dissem |= BIT(RELIDO);
		} else if (relido_only > 0) {
			nf = 1; /* rule 10 */
		} else if (with_rel == np) {
			/* rules 9, 13, 21, 22, 23 */
			size_t k = 0;
			for (size_t i = 0; i < np; i++)
				lists[k++] = &part[i]->rel;
			intersect(d, lists, (int)k, &r->rel);
			if (eyes == np) {
				/* EYES ONLY releases to the trigraphs it names, and
				 * to no member of a tetragraph (ISM.ACES 5.6.10): the
				 * common list is what every portion names, unexpanded
				 * (USA/AUS/NATO with USA/AUS/NZL/NSG is USA/AUS, not
				 * also the CAN and GBR that NATO and NSG share). */
				struct acl__clist keep = { 0 };
				for (int i = 0; i < part[0]->rel.n; i++) {
					int v = part[0]->rel.v[i], every = 1;
					for (size_t j = 1; j < np && every; j++)
						every = acl__clist_has(&part[j]->rel, v);
					if (every)
						acl__clist_add(&keep, v);
				}
				r->rel = keep;
			}
			if ((!acl__clist_has(&r->rel, d->usa) || r->rel.n < 2) && relido == np) {
				/* rule 24 over rule 9: no common list, RELIDO on
				 * every portion: RELIDO, not NOFORN */
				r->rel.n = 0;
				r->dissem |= BIT(RELIDO);
			} else if (!acl__clist_has(&r->rel, d->usa) || r->rel.n < 2) {
				nf = 1;
			} else {
				r->dissem |= eyes == np ? BIT(EYES) : BIT(REL);
				if (with_disp > 0) {
					/* rule 27: DISPLAY ONLY common to every portion, a
					 * REL TO country counting as displayable */
					struct acl__clist *u = calloc(np, sizeof(*u));
					if (u == NULL) {
						rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
						goto out;
					}
					for (size_t i = 0; i < np; i++) {
						u[i] = part[i]->disp;
						union_clist(&u[i], &part[i]->rel);
						lists[i] = &u[i];
					}
					intersect(d, lists, (int)np, &r->disp);
					free(u);
					{
						struct acl__clist keep = { 0 };
						for (int i = 0; i < r->disp.n; i++)
							if (!acl__clist_has(&r->rel, r->disp.v[i]) &&
							    r->disp.v[i] != d->usa)
								acl__clist_add(&keep, r->disp.v[i]);
						r->disp = keep;
					}
					if (r->disp.n > 0)
						r->dissem |= BIT(DISPLAYONLY);
				}
				if (relido == np)
					r->dissem |= BIT(RELIDO); /* RELIDO only if on all */
			}
		} else {
			/* rules 11, 20, 25, 26: some DISPLAY ONLY without REL */
			struct acl__clist *u = calloc(np, sizeof(*u));
			struct acl__clist keep = { 0 };
			if (u == NULL) {
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
				goto out;
			}
			for (size_t i = 0; i < np; i++) {
				u[i] = part[i]->disp;
				union_clist(&u[i], &part[i]->rel);
				lists[i] = &u[i];
			}
			intersect(d, lists, (int)np, &r->disp);
			free(u);
			for (int i = 0; i < r->disp.n; i++)
				if (r->disp.v[i] != d->usa)
					acl__clist_add(&keep, r->disp.v[i]);
			r->disp = keep;
			if (r->disp.n == 0)
				nf = 1;
			else
				r->dissem |= BIT(DISPLAYONLY);
			if (!nf && relido == np)
				r->dissem |= BIT(RELIDO);
		}
	}
	if (nf) {
		r->dissem &= ~(BIT(REL) | BIT(EYES) | BIT(RELIDO) | BIT(DISPLAYONLY));
		r->dissem |= BIT(NF);
		r->rel.n = 0;
		r->disp.n = 0;
	}
	control_precedence(r, nf);
	acl__toks_sort(&r->sci);
	acl__toks_sort(&r->sar);
	{
		char *v = NULL;
		if (acl_marking_get_attr(&v, r, "atomicEnergyMarkings", NULL) == 0)
			(void)acl_marking_set_attr(r, "atomicEnergyMarkings", v, NULL);
		free(v);
	}
	r->resource = 1;
	*out = r;
	r = NULL;
out:
	free(part);
	free(lists);
	acl_marking_free(r);
	return rc;
}
