/*
 * acl/render.c - ISM attributes to a CAPCO banner line or portion mark
 * (CAPCO 2016 C.1 and D.1: categories separated by "//", entries within a
 * category by "/", in Register order).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

static const char *const level_word[] = { "", "UNCLASSIFIED", "RESTRICTED",
	"CONFIDENTIAL", "SECRET", "TOP SECRET" };
static const char *const level_abbr[] = { "", "U", "R", "C", "S", "TS" };
/* CAPCO 2016 Register section 2: NATO protective markings. */
static const char *const nato_word[] = { "", "NATO UNCLASSIFIED",
	"NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET", "COSMIC TOP SECRET" };
static const char *const nato_abbr[] = { "", "NU", "NR", "NC", "NS", "CTS" };

/* Banner and portion forms of the dissemination controls (Register 8).  DEA
 * SENSITIVE has no banner abbreviation (its template). */
static const char *const dissem_banner[ACL__D_N] = { "RSEN", "FOUO", "ORCON",
	"ORCON-USGOV", "IMCON", "NOFORN", "PROPIN", NULL, "RELIDO", NULL, "DEA SENSITIVE",
	"FISA", NULL };
static const char *const nonic_banner[ACL__N_N] = { "LIMDIS", "EXDIS", "NODIS",
	"SBU", "SBU NOFORN", "LES", "LES NOFORN", "SSI" };

struct cat {
	struct acl__buf *b;
	int first_in_cat;
};

static void
cat_begin(struct acl__buf *b, struct cat *c)
{
	c->b = b;
	c->first_in_cat = 1;
}

static void
cat_item(struct cat *c, const char *s)
{
	if (c->first_in_cat)
		acl__buf_put(c->b, "//");
	else
		acl__buf_putc(c->b, '/');
	c->first_in_cat = 0;
	acl__buf_put(c->b, s);
}

static void
put_country_list(struct acl__buf *b, const acl_data *d,
    const struct acl__clist *l, const char *sep)
{
	for (int i = 0; i < l->n; i++) {
		if (i)
			acl__buf_put(b, sep);
		acl__buf_put(b, d->e[l->v[i]].code);
	}
}

static int
cmp_code(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The owners' codes in alphabetical order, separated by spaces (JOINT's
 * list, and several foreign owners'). */
static void
put_owners(struct acl__buf *b, const acl_data *d, const struct acl__clist *owners)
{
	const char *codes[ACL__MAXREG];

	for (int i = 0; i < owners->n; i++)
		codes[i] = d->e[owners->v[i]].code;
	qsort(codes, (size_t)owners->n, sizeof(codes[0]), cmp_code);
	for (int i = 0; i < owners->n; i++) {
		if (i > 0)
			acl__buf_putc(b, ' ');
		acl__buf_put(b, codes[i]);
	}
}

/* Underscores in program names are spaces on the page. */
static void
put_spaced(struct acl__buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acl__buf_putc(b, s[i] == '_' ? ' ' : s[i]);
}

/*
 * SCI control systems and SAPs share a shape: SYSTEM-COMP SUB SUB-COMP2.
 * Tokens are sorted, so a system's tokens are adjacent and compartments
 * precede their sub-compartments.
 */
static void
put_hier(struct cat *c, const struct acl__toks *t, const char *prefix)
{
	struct acl__buf item = { 0 };
	int i = 0;

	while (i < t->n) {
		const char *sys = t->t[i];
		size_t sl = strcspn(sys, "-");
		char lastcomp[ACL__TOKLEN] = "";

		item.n = 0;
		acl__buf_put(&item, "");
		if (prefix && c->first_in_cat)
			acl__buf_put(&item, prefix);
		put_spaced(&item, sys, sl);
		for (; i < t->n && strncmp(t->t[i], sys, sl) == 0 &&
		    (t->t[i][sl] == '\0' || t->t[i][sl] == '-'); i++) {
			const char *comp = t->t[i] + sl, *sub;
			size_t cl;

			if (*comp == '\0')
				continue;
			comp++;
			cl = strcspn(comp, "-");
			if (strlen(lastcomp) != cl || strncmp(lastcomp, comp, cl) != 0) {
				acl__buf_putc(&item, '-');
				acl__buf_putn(&item, comp, cl);
				memcpy(lastcomp, comp, cl);
				lastcomp[cl] = '\0';
			}
			sub = comp + cl;
			if (*sub == '-') {
				acl__buf_putc(&item, ' ');
				acl__buf_put(&item, sub + 1);
			}
		}
		if (!item.oom)
			cat_item(c, item.p);
		else
			c->b->oom = 1;
	}
	free(item.p);
}

static void
put_aea_family(struct cat *c, const struct acl__toks *t, const char *fam,
    int portion)
{
	struct acl__buf item = { 0 };
	size_t fl = strlen(fam);
	int any = 0, cnwdi = 0, sigma = 0;

	acl__buf_put(&item, fam);
	for (int i = 0; i < t->n; i++) {
		if (strncmp(t->t[i], fam, fl) != 0 || (t->t[i][fl] && t->t[i][fl] != '-'))
			continue;
		any = 1;
		if (strcmp(t->t[i] + fl, "-CNWDI") == 0)
			cnwdi = 1;
	}
	if (cnwdi)
		acl__buf_put(&item, "-CNWDI");
	for (int i = 0; i < t->n; i++) {
		if (strncmp(t->t[i], fam, fl) != 0 || strncmp(t->t[i] + fl, "-SG-", 4) != 0)
			continue;
		acl__buf_put(&item, sigma ? " " : (portion ? "-SG " : "-SIGMA "));
		acl__buf_put(&item, t->t[i] + fl + 4);
		sigma = 1;
	}
	if (any && !item.oom)
		cat_item(c, item.p);
	free(item.p);
}

int
acl_marking_render(char **out, const acl_marking *m, enum acl_form form,
    lsn_err *err)
{
	const acl_data *d = m->data;
	int portion = form == ACL_PORTION;
	struct acl__buf b = { 0 };
	struct cat c;
	int usonly = m->owners.n == 1 && m->owners.v[0] == d->usa;
	int joint = acl__is_joint(m);

	*out = NULL;
	if (m->cls == ACL_LEVEL_NONE || m->owners.n == 0)
		return lsn_fail(err, LSN_EINPUT,
		    "cannot render: the marking needs a classification and an ownerProducer");
	if (portion)
		acl__buf_putc(&b, '(');
	/* Classification (CAPCO 2016 H.1-H.3). */
	if (usonly) {
		acl__buf_put(&b, portion ? level_abbr[m->cls] : level_word[m->cls]);
	} else if (joint) {
		acl__buf_put(&b, "//JOINT ");
		acl__buf_put(&b, portion ? level_abbr[m->cls] : level_word[m->cls]);
		acl__buf_putc(&b, ' ');
		put_owners(&b, d, &m->owners);
	} else if (m->owners.n == 1 && m->owners.v[0] == d->nato) {
		acl__buf_put(&b, "//");
		acl__buf_put(&b, portion ? nato_abbr[m->cls] : nato_word[m->cls]);
	} else {
		/* One foreign owner, or several: (//CAN GBR S), CAPCO 2016
		 * FGI, "with multiple foreign sources". */
		acl__buf_put(&b, "//");
		put_owners(&b, d, &m->owners);
		acl__buf_putc(&b, ' ');
		acl__buf_put(&b, portion ? level_abbr[m->cls] : level_word[m->cls]);
	}
	/* Non-US (NATO) controls follow the non-US classification. */
	cat_begin(&b, &c);
	for (int i = 0; i < ACL__U_N; i++)
		if (m->nonus & (1u << i))
			cat_item(&c, acl__nonus_tok[i]);
	/* SCI, SAP, AEA (Register sections 4-6). */
	cat_begin(&b, &c);
	put_hier(&c, &m->sci, NULL);
	cat_begin(&b, &c);
	put_hier(&c, &m->sar, "SAR-");
	cat_begin(&b, &c);
	put_aea_family(&c, &m->aea, "RD", portion);
	put_aea_family(&c, &m->aea, "FRD", portion);
	if (acl__toks_has(&m->aea, "DCNI"))
		cat_item(&c, portion ? "DCNI" : "DOD UCNI");
	if (acl__toks_has(&m->aea, "UCNI"))
		cat_item(&c, portion ? "UCNI" : "DOE UCNI");
	if (acl__toks_has(&m->aea, "TFNI"))
		cat_item(&c, "TFNI");
	/* FGI (Register section 7): concealed sources show "FGI" alone; a
	 * concealed owner's portion has said it already ("//FGI S"). */
	cat_begin(&b, &c);
	if (m->owners.n == 1 && m->owners.v[0] == d->fgi) {
		/* nothing more */
	} else if (m->fgi_prot.n > 0) {
		cat_item(&c, "FGI");
	} else if (m->fgi_open.n > 0) {
		struct acl__buf item = { 0 };
		acl__buf_put(&item, "FGI ");
		put_country_list(&item, d, &m->fgi_open, " ");
		if (!item.oom)
			cat_item(&c, item.p);
		free(item.p);
	}
	/* Dissemination controls (Register section 8). */
	cat_begin(&b, &c);
	for (int i = 0; i < ACL__D_N; i++) {
		struct acl__buf item = { 0 };

		if (!(m->dissem & (1u << i)))
			continue;
		/* ORCON-USGOV carries ORCON. */
		if (i == ACL__D_OC && (m->dissem & (1u << ACL__D_OC_USGOV)))
			continue;
		switch (i) {
		case ACL__D_REL:
			acl__buf_put(&item, "REL TO ");
			put_country_list(&item, d, &m->rel, ", ");
			break;
		case ACL__D_EYES:
			put_country_list(&item, d, &m->rel, "/");
			acl__buf_put(&item, " EYES ONLY");
			break;
		case ACL__D_DISPLAYONLY:
			acl__buf_put(&item, "DISPLAY ONLY ");
			put_country_list(&item, d, &m->disp, ", ");
			break;
		default:
			acl__buf_put(&item, portion ? acl__dissem_tok[i] : dissem_banner[i]);
		}
		if (!item.oom)
			cat_item(&c, item.p);
		else
			b.oom = 1;
		free(item.p);
	}
	/* Non-IC dissemination controls (Register section 9), then ACCMs. */
	cat_begin(&b, &c);
	for (int i = 0; i < ACL__N_N; i++)
		if (m->nonic & (1u << i))
			cat_item(&c, portion ? acl__nonic_tok[i] : nonic_banner[i]);
	for (int i = 0; i < m->accm.n; i++) {
		struct acl__buf item = { 0 };
		put_spaced(&item, m->accm.t[i] + 5, strlen(m->accm.t[i] + 5));
		if (!item.oom)
			cat_item(&c, item.p);
		free(item.p);
	}
	if (portion)
		acl__buf_putc(&b, ')');
	if (b.oom) {
		free(b.p);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	*out = b.p;
	return 0;
}
