/*
 * acl/parse.c - CAPCO banner lines and portion marks back to ISM
 * attributes.  Lenient about what a person types (case, spacing, titles or
 * authorised abbreviations, CAPCO 2016 D.1), strict about what it means:
 * every word must be a registered marking or country, else the parse fails
 * with the position and the reason.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

#define MAX_TEXT 4096

struct pctx {
	const acl_data *d;
	acl_marking *m;
	char s[MAX_TEXT + 1]; /* normalised text */
	size_t pos[MAX_TEXT + 1]; /* offset in the original text */
	size_t n;
	int portion;
	int rel_short, eyes_short;
	int joint_short; /* (//JOINT S//REL): the owners are the banner's */
	int wrote_oc, wrote_oc_usgov; /* the words, not the attributes */
	size_t errpos;
	lsn_err *err;
};

static int
fail_at(struct pctx *c, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail_at(struct pctx *c, size_t i, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->errpos = i <= c->n ? c->pos[i] : c->pos[c->n];
	return lsn_fail(c->err, LSN_EINPUT, "at position %zu: %s", c->errpos, why);
}

/* Upper-case, one space between words, none around / , - ( ). */
static int
normalise(struct pctx *c, const char *t)
{
	size_t len = strlen(t), k = 0;
	int space = 0;

	if (len > MAX_TEXT) {
		c->n = 0;
		c->pos[0] = 0;
		return fail_at(c, 0, "longer than %d bytes", MAX_TEXT);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			space = 1;
			continue;
		}
		if (ch < 0x20 || ch >= 0x7f) {
			c->n = k;
			c->pos[k] = i;
			return fail_at(c, k, "unexpected byte 0x%02x", ch);
		}
		if (space && k > 0 && !strchr("/,-()", c->s[k - 1]) && !strchr("/,-)", ch)) {
			c->s[k] = ' ';
			c->pos[k++] = i - 1;
		}
		space = 0;
		c->s[k] = (char)toupper(ch);
		c->pos[k++] = i;
	}
	c->s[k] = '\0';
	c->pos[k] = len;
	c->n = k;
	return 0;
}

/* ---- small helpers over [b, e) of c->s ---- */

static int
eq(const struct pctx *c, size_t b, size_t e, const char *w)
{
	return strlen(w) == e - b && strncmp(c->s + b, w, e - b) == 0;
}

static int
starts(const struct pctx *c, size_t b, size_t e, const char *w)
{
	size_t n = strlen(w);
	return e - b >= n && strncmp(c->s + b, w, n) == 0;
}

static int
lookup(const struct pctx *c, size_t b, size_t e)
{
	return acl__lookup(c->d, c->s + b, e - b);
}

static int
lev(const char *a, size_t na, const char *b, size_t nb)
{
	int row[72], prev, tmp;

	if (na > 64 || nb > 64)
		return 99;
	for (size_t j = 0; j <= nb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= na; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= nb; j++) {
			tmp = row[j];
			row[j] = a[i - 1] == b[j - 1] ? prev :
			    1 + (prev < row[j] ? (prev < row[j - 1] ? prev : row[j - 1]) :
				(row[j] < row[j - 1] ? row[j] : row[j - 1]));
			prev = tmp;
		}
	}
	return row[nb];
}

static int
add_tok(struct pctx *c, size_t at, const char *attr, const char *tok)
{
	lsn_err e2;
	int rc;

	if ((rc = acl__toks_add(strcmp(attr, "SCIcontrols") == 0 ? &c->m->sci :
		    strcmp(attr, "SARIdentifier") == 0 ? &c->m->sar :
		    strcmp(attr, "atomicEnergyMarkings") == 0 ? &c->m->aea : &c->m->accm,
		    tok, &e2)) != 0)
		return fail_at(c, at, "%s", e2.msg);
	return 0;
}

/* A country list "USA, GBR" (commas or spaces). */
static int
countries(struct pctx *c, size_t b, size_t e, struct acl__clist *l,
    const char *what)
{
	size_t i = b;

	if (b >= e)
		return fail_at(c, b, "%s needs a country list", what);
	while (i < e) {
		size_t j = i;
		int idx;

		while (j < e && c->s[j] != ',' && c->s[j] != ' ')
			j++;
		if (j == i)
			return fail_at(c, i, "empty entry in the %s list", what);
		if ((idx = lookup(c, i, j)) < 0)
			return fail_at(c, i, "unknown country or tetragraph '%.*s' in %s",
			    (int)(j - i), c->s + i, what);
		acl__clist_add(l, idx);
		i = j;
		if (i < e && (c->s[i] == ',' || c->s[i] == ' ')) {
			i++;
			if (i < e && c->s[i] == ' ')
				i++;
			if (i >= e)
				return fail_at(c, i, "trailing separator in the %s list", what);
		}
	}
	return 0;
}

/* ---- classification ---- */

static int
level_word(const struct pctx *c, size_t b, size_t e)
{
	static const char *const full[] = { "", "UNCLASSIFIED", "RESTRICTED",
		"CONFIDENTIAL", "SECRET", "TOP SECRET" };
	static const char *const abbr[] = { "", "U", "R", "C", "S", "TS" };

	for (int i = 1; i <= 5; i++)
		if (eq(c, b, e, full[i]) || eq(c, b, e, abbr[i]))
			return i;
	return 0;
}

/* The level at the start of [b, e): returns its end in *end. */
static int
level_prefix(const struct pctx *c, size_t b, size_t e, size_t *end)
{
	static const char *const words[] = { "TOP SECRET", "UNCLASSIFIED",
		"RESTRICTED", "CONFIDENTIAL", "SECRET", "TS", "U", "R", "C", "S", NULL };

	for (int i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);
		if (starts(c, b, e, words[i]) && (b + n == e || c->s[b + n] == ' ')) {
			*end = b + n;
			return level_word(c, b, b + n);
		}
	}
	return 0;
}

static int
classification(struct pctx *c, size_t b, size_t e, int nonus)
{
	static const char *const nato[] = { "", "NATO UNCLASSIFIED", "NATO RESTRICTED",
		"NATO CONFIDENTIAL", "NATO SECRET", "COSMIC TOP SECRET" };
	static const char *const nato_abbr[] = { "", "NU", "NR", "NC", "NS", "CTS" };
	acl_marking *m = c->m;
	size_t le;
	int lv;

	if (!nonus) {
		if ((lv = level_word(c, b, e)) == 0)
			return fail_at(c, b, "expected a US classification (TOP SECRET, SECRET, "
			    "CONFIDENTIAL, UNCLASSIFIED) or // for non-US");
		if (lv == ACL_LEVEL_R)
			return fail_at(c, b, "RESTRICTED is not a US classification (ISM-R-NONUS)");
		m->cls = lv;
		acl__clist_add(&m->owners, c->d->usa);
		return 0;
	}
	for (int i = 1; i <= 5; i++)
		if (eq(c, b, e, nato[i]) || eq(c, b, e, nato_abbr[i])) {
			if (c->d->nato < 0)
				return fail_at(c, b, "NATO is not in the registry");
			m->cls = i;
			acl__clist_add(&m->owners, c->d->nato);
			return 0;
		}
	if (starts(c, b, e, "JOINT ")) {
		size_t i = b + 6;
		if ((lv = level_prefix(c, i, e, &le)) == 0 || lv == ACL_LEVEL_R)
			return fail_at(c, i, "expected a JOINT classification level");
		m->cls = lv;
		m->joint = 1;
		if (le >= e && c->portion) {
			/* the portion shorthand (CAPCO 2016 JOINT: "(//JOINT
			 * S//REL)" under its banner) */
			c->joint_short = 1;
			return 0;
		}
		if (le >= e)
			return fail_at(c, le, "JOINT needs its owner countries");
		if (countries(c, le + 1, e, &m->owners, "JOINT") != 0)
			return LSN_EINPUT;
		if (m->owners.n < 2)
			return fail_at(c, le + 1, "JOINT needs two or more owners");
		return 0;
	}
	if (starts(c, b, e, "FGI ")) {
		/* Concealed source (CAPCO 2016 FGI: "(//FGI TS)"): ISM's
		 * ownerProducer and FGIsourceProtected FGI. */
		if ((lv = level_word(c, b + 4, e)) == 0)
			return fail_at(c, b + 4, "expected a classification level after //FGI "
			    "(a concealed source names no country)");
		m->cls = lv;
		acl__clist_add(&m->owners, c->d->fgi);
		acl__clist_add(&m->fgi_prot, c->d->fgi);
		return 0;
	}
	/* COUNTRY [COUNTRY...] LEVEL: one foreign owner, or several (CAPCO
	 * 2016 FGI: "(//CAN GBR S)", with multiple foreign sources). */
	for (size_t w = b;;) {
		size_t j = w;
		int idx;

		while (j < e && c->s[j] != ' ')
			j++;
		if (j >= e)
			return w == b ? fail_at(c, b, "expected a non-US classification: COUNTRY "
					    "LEVEL, NATO or JOINT")
				      : fail_at(c, w, "expected a classification level");
		if ((idx = lookup(c, w, j)) < 0)
			return w == b ? fail_at(c, w, "unknown country or tetragraph '%.*s'",
					    (int)(j - w), c->s + w)
				      : fail_at(c, w, "expected a classification level, or a "
					    "country: not '%.*s'", (int)(j - w), c->s + w);
		if (idx == c->d->usa)
			return fail_at(c, w, w == b ? "a US classification is written without "
			    "//USA" : "USA beside other owners is JOINT: //JOINT LEVEL ... USA");
		if (acl__clist_has(&m->owners, idx))
			return fail_at(c, w, "owner '%.*s' given twice", (int)(j - w), c->s + w);
		acl__clist_add(&m->owners, idx);
		if ((lv = level_word(c, j + 1, e)) != 0) {
			m->cls = lv;
			return 0;
		}
		w = j + 1;
	}
}

/* ---- control markings ---- */

struct word {
	const char *text;
	int kind; /* 'D' dissem, 'N' non-IC, 'U' non-US, 'A' AEA */
	int bit;
	const char *tok;
};

static const struct word words[] = {
	{ "RSEN", 'D', ACL__D_RS, NULL }, { "RS", 'D', ACL__D_RS, NULL },
	{ "RISK SENSITIVE", 'D', ACL__D_RS, NULL },
	{ "FOUO", 'D', ACL__D_FOUO, NULL },
	{ "FOR OFFICIAL USE ONLY", 'D', ACL__D_FOUO, NULL },
	{ "ORCON", 'D', ACL__D_OC, NULL }, { "OC", 'D', ACL__D_OC, NULL },
	{ "ORIGINATOR CONTROLLED", 'D', ACL__D_OC, NULL },
	{ "ORCON-USGOV", 'D', ACL__D_OC_USGOV, NULL },
	{ "OC-USGOV", 'D', ACL__D_OC_USGOV, NULL },
	{ "ORIGINATOR CONTROLLED-USGOV", 'D', ACL__D_OC_USGOV, NULL },
	{ "IMCON", 'D', ACL__D_IMC, NULL }, { "IMC", 'D', ACL__D_IMC, NULL },
	{ "CONTROLLED IMAGERY", 'D', ACL__D_IMC, NULL },
	{ "NOFORN", 'D', ACL__D_NF, NULL }, { "NF", 'D', ACL__D_NF, NULL },
	{ "NOT RELEASABLE TO FOREIGN NATIONALS", 'D', ACL__D_NF, NULL },
	{ "PROPIN", 'D', ACL__D_PR, NULL }, { "PR", 'D', ACL__D_PR, NULL },
	{ "CAUTION-PROPRIETARY INFORMATION INVOLVED", 'D', ACL__D_PR, NULL },
	{ "RELIDO", 'D', ACL__D_RELIDO, NULL },
	{ "RELEASABLE BY INFORMATION DISCLOSURE OFFICIAL", 'D', ACL__D_RELIDO, NULL },
	{ "DSEN", 'D', ACL__D_DSEN, NULL }, { "DEA SENSITIVE", 'D', ACL__D_DSEN, NULL },
	{ "FISA", 'D', ACL__D_FISA, NULL },
	{ "FOREIGN INTELLIGENCE SURVEILLANCE ACT", 'D', ACL__D_FISA, NULL },
	{ "LIMDIS", 'N', ACL__N_DS, NULL }, { "DS", 'N', ACL__N_DS, NULL },
	{ "LIMITED DISTRIBUTION", 'N', ACL__N_DS, NULL },
	{ "EXDIS", 'N', ACL__N_XD, NULL }, { "XD", 'N', ACL__N_XD, NULL },
	{ "EXCLUSIVE DISTRIBUTION", 'N', ACL__N_XD, NULL },
	{ "NODIS", 'N', ACL__N_ND, NULL }, { "ND", 'N', ACL__N_ND, NULL },
	{ "NO DISTRIBUTION", 'N', ACL__N_ND, NULL },
	{ "SBU", 'N', ACL__N_SBU, NULL },
	{ "SENSITIVE BUT UNCLASSIFIED", 'N', ACL__N_SBU, NULL },
	{ "SBU NOFORN", 'N', ACL__N_SBU_NF, NULL }, { "SBU-NF", 'N', ACL__N_SBU_NF, NULL },
	{ "SENSITIVE BUT UNCLASSIFIED NOFORN", 'N', ACL__N_SBU_NF, NULL },
	{ "LES", 'N', ACL__N_LES, NULL },
	{ "LAW ENFORCEMENT SENSITIVE", 'N', ACL__N_LES, NULL },
	{ "LES NOFORN", 'N', ACL__N_LES_NF, NULL }, { "LES-NF", 'N', ACL__N_LES_NF, NULL },
	{ "LAW ENFORCEMENT SENSITIVE NOFORN", 'N', ACL__N_LES_NF, NULL },
	{ "SSI", 'N', ACL__N_SSI, NULL },
	{ "SENSITIVE SECURITY INFORMATION", 'N', ACL__N_SSI, NULL },
	{ "ATOMAL", 'U', ACL__U_ATOMAL, NULL }, { "BALK", 'U', ACL__U_BALK, NULL },
	{ "BOHEMIA", 'U', ACL__U_BOHEMIA, NULL },
	{ "DOD UCNI", 'A', 0, "DCNI" }, { "DCNI", 'A', 0, "DCNI" },
	{ "DOD UNCLASSIFIED CONTROLLED NUCLEAR INFORMATION", 'A', 0, "DCNI" },
	{ "DOE UCNI", 'A', 0, "UCNI" }, { "UCNI", 'A', 0, "UCNI" },
	{ "DOE UNCLASSIFIED CONTROLLED NUCLEAR INFORMATION", 'A', 0, "UCNI" },
	{ "TFNI", 'A', 0, "TFNI" },
	{ "TRANSCLASSIFIED FOREIGN NUCLEAR INFORMATION", 'A', 0, "TFNI" },
	{ NULL, 0, 0, NULL },
};

/* Spelled-out SCI control systems (CAPCO 2016 Register section 4). */
static const char *
sci_system(const struct pctx *c, size_t b, size_t e)
{
	static const char *const map[][2] = { { "HCS", "HCS" }, { "RSV", "RSV" },
		{ "RESERVE", "RSV" }, { "SI", "SI" }, { "TK", "TK" },
		{ "TALENT KEYHOLE", "TK" }, { "KDK", "KDK" }, { "KANDIK", "KDK" },
		{ "EL", "EL" }, { "ECRU", "EL" }, { NULL, NULL } };

	for (int i = 0; map[i][0]; i++)
		if (eq(c, b, e, map[i][0]))
			return map[i][1];
	return NULL;
}

/*
 * SYSTEM-COMP SUB SUB-COMP2 ... into SYSTEM, SYSTEM-COMP, SYSTEM-COMP-SUB
 * tokens; `sar` keeps spaces of the program name as underscores.
 */
static int
hier(struct pctx *c, size_t b, size_t e, const char *sys, const char *attr)
{
	char base[ACL__TOKLEN], sub[ACL__TOKLEN], tok[ACL__TOKLEN * 3 + 4];
	size_t i = b;
	int sar = strcmp(attr, "SARIdentifier") == 0;

	while (i < e && c->s[i] != '-')
		i++;
	if (sys)
		snprintf(base, sizeof(base), "%s", sys);
	else {
		if (i - b >= sizeof(base))
			return fail_at(c, b, "program identifier too long");
		for (size_t k = b; k < i; k++)
			base[k - b] = c->s[k] == ' ' ? '_' : c->s[k];
		base[i - b] = '\0';
	}
	if (!(sar ? acl__sar_valid(base) : acl__sci_valid(base)))
		return fail_at(c, b, "malformed %s '%.*s'", sar ? "SAP identifier" :
		    "SCI control", (int)(i - b), c->s + b);
	if (add_tok(c, b, attr, base) != 0)
		return LSN_EINPUT;
	while (i < e) {
		size_t cb = ++i, ce, w;
		char comp[ACL__TOKLEN];

		while (i < e && c->s[i] != '-')
			i++;
		ce = i;
		for (w = cb; w < ce && c->s[w] != ' '; w++)
			;
		if (w == cb || w - cb >= sizeof(comp))
			return fail_at(c, cb, "empty or overlong compartment");
		snprintf(comp, sizeof(comp), "%.*s", (int)(w - cb), c->s + cb);
		snprintf(tok, sizeof(tok), "%s-%s", base, comp);
		if (strlen(tok) >= ACL__TOKLEN ||
		    !(sar ? acl__sar_valid(tok) : acl__sci_valid(tok)))
			return fail_at(c, cb, "malformed compartment '%s'", comp);
		if (add_tok(c, cb, attr, tok) != 0)
			return LSN_EINPUT;
		while (w < ce) {
			size_t sb = ++w;
			while (w < ce && c->s[w] != ' ')
				w++;
			if (w - sb >= sizeof(sub))
				return fail_at(c, sb, "sub-compartment too long");
			memcpy(sub, c->s + sb, w - sb);
			sub[w - sb] = '\0';
			snprintf(tok, sizeof(tok), "%s-%s-%s", base, comp, sub);
			if (strlen(tok) >= ACL__TOKLEN ||
			    !(sar ? acl__sar_valid(tok) : acl__sci_valid(tok)))
				return fail_at(c, sb, "malformed sub-compartment '%.*s'",
				    (int)(w - sb), c->s + sb);
			if (add_tok(c, sb, attr, tok) != 0)
				return LSN_EINPUT;
		}
	}
	return 0;
}

/* RD[-CNWDI][-SIGMA n n] and FRD[-SIGMA n] (CAPCO 2016 Register section 6). */
static int
aea(struct pctx *c, size_t b, size_t e, const char *fam)
{
	size_t i = b;
	char tok[ACL__TOKLEN];

	while (i < e && c->s[i] != '-')
		i++;
	if (add_tok(c, b, "atomicEnergyMarkings", fam) != 0)
		return LSN_EINPUT;
	while (i < e) {
		size_t pb = ++i;
		while (i < e && c->s[i] != '-')
			i++;
		if (strcmp(fam, "RD") == 0 && eq(c, pb, i, "CNWDI")) {
			if (add_tok(c, pb, "atomicEnergyMarkings", "RD-CNWDI") != 0)
				return LSN_EINPUT;
			continue;
		}
		if (starts(c, pb, i, "SIGMA ") || starts(c, pb, i, "SG ")) {
			size_t w = pb + (c->s[pb + 1] == 'I' ? 6 : 3);
			while (w < i) {
				size_t nb = w;
				while (w < i && c->s[w] != ' ')
					w++;
				snprintf(tok, sizeof(tok), "%s-SG-%.*s", fam, (int)(w - nb), c->s + nb);
				if (!acl__aea_valid(tok))
					return fail_at(c, nb, "bad SIGMA number '%.*s'", (int)(w - nb),
					    c->s + nb);
				if (add_tok(c, nb, "atomicEnergyMarkings", tok) != 0)
					return LSN_EINPUT;
				w++;
			}
			continue;
		}
		return fail_at(c, pb, "unknown %s sub-marking '%.*s'", fam, (int)(i - pb),
		    c->s + pb);
	}
	return 0;
}

static const char *const near_words[] = { "NOFORN", "ORCON", "RELIDO", "PROPIN",
	"IMCON", "RSEN", "FOUO", "LIMDIS", "EXDIS", "NODIS", "DSEN", "FISA",
	"SECRET", "CONFIDENTIAL", "UNCLASSIFIED", "REL TO", "DISPLAY ONLY",
	"EYES ONLY", "ATOMAL", "BOHEMIA", "BALK", "CNWDI", "SIGMA", "NF", "OC",
	"REL", "TK", "SI", "HCS", "RSV", "KDK", "SBU", "LES", "SSI", "FGI", "RD",
	"FRD", NULL };

/* One entry of a control category, e.g. "NOFORN" or "REL TO USA, GBR". */
static int
item(struct pctx *c, size_t b, size_t e)
{
	acl_marking *m = c->m;
	const char *sys;

	for (const struct word *w = words; w->text; w++) {
		if (!eq(c, b, e, w->text))
			continue;
		switch (w->kind) {
		case 'D':
			/* ISM writes ORCON-USGOV as "OC OC-USGOV"; on the page
			 * the two are never written together (CAPCO 2016
			 * ORCON), and taken together ORCON was dropped. */
			c->wrote_oc |= w->bit == ACL__D_OC;
			c->wrote_oc_usgov |= w->bit == ACL__D_OC_USGOV;
			if (c->wrote_oc && c->wrote_oc_usgov)
				return fail_at(c, b, "ORCON and ORCON-USGOV are not written together "
				    "(CAPCO 2016 ORCON): ORCON-USGOV is ORCON for US government only");
			m->dissem |= 1u << w->bit;
			if (w->bit == ACL__D_OC_USGOV)
				m->dissem |= 1u << ACL__D_OC;
			return 0;
		case 'N':
			m->nonic |= 1u << w->bit;
			return 0;
		case 'U':
			m->nonus |= 1u << w->bit;
			return 0;
		default:
			return add_tok(c, b, "atomicEnergyMarkings", w->tok);
		}
	}
	if (starts(c, b, e, "REL TO ") || starts(c, b, e, "AUTHORIZED FOR RELEASE TO ")) {
		size_t lb = b + (c->s[b + 3] == ' ' ? 7 : 26);
		/* A second list was merged into the first: the union, the
		 * least restrictive reading of a malformed marking. */
		if (m->dissem & (1u << ACL__D_REL))
			return fail_at(c, b, "a second REL TO list: a marking has one");
		m->dissem |= 1u << ACL__D_REL;
		return countries(c, lb, e, &m->rel, "REL TO");
	}
	if (eq(c, b, e, "REL")) {
		if (!c->portion)
			return fail_at(c, b, "REL without TO is the portion-mark shorthand; a "
			    "banner lists the countries");
		m->dissem |= 1u << ACL__D_REL;
		c->rel_short = 1;
		return 0;
	}
	if (eq(c, b, e, "EYES")) {
		if (!c->portion)
			return fail_at(c, b, "EYES alone is the portion-mark shorthand");
		m->dissem |= 1u << ACL__D_EYES;
		c->eyes_short = 1;
		return 0;
	}
	if (starts(c, b, e, "DISPLAY ONLY ")) {
		m->dissem |= 1u << ACL__D_DISPLAYONLY;
		return countries(c, b + 13, e, &m->disp, "DISPLAY ONLY");
	}
	if (starts(c, b, e, "FGI") || starts(c, b, e, "FOREIGN GOVERNMENT INFORMATION")) {
		size_t lb = b + (c->s[b + 1] == 'G' ? 3 : 30);
		if (lb == e) { /* concealed sources: FGIsourceProtected FGI */
			acl__clist_add(&m->fgi_prot, c->d->fgi);
			return 0;
		}
		if (c->s[lb] != ' ')
			return fail_at(c, b, "unknown marking '%.*s'", (int)(e - b), c->s + b);
		return countries(c, lb + 1, e, &m->fgi_open, "FGI");
	}
	if (starts(c, b, e, "SAR-") || starts(c, b, e, "SPECIAL ACCESS REQUIRED-"))
		return hier(c, b + (c->s[b + 3] == '-' ? 4 : 24), e, NULL, "SARIdentifier");
	if (starts(c, b, e, "FRD") && (b + 3 == e || c->s[b + 3] == '-'))
		return aea(c, b, e, "FRD");
	if (starts(c, b, e, "FORMERLY RESTRICTED DATA"))
		return aea(c, b, e, "FRD");
	if (starts(c, b, e, "RD") && (b + 2 == e || c->s[b + 2] == '-'))
		return aea(c, b, e, "RD");
	if (starts(c, b, e, "RESTRICTED DATA"))
		return aea(c, b, e, "RD");
	{
		size_t se = b;
		while (se < e && c->s[se] != '-')
			se++;
		if ((sys = sci_system(c, b, se)) != NULL)
			return hier(c, b, e, sys, "SCIcontrols");
	}
	if (starts(c, b, e, "SIGMA "))
		return fail_at(c, b, "SIGMA is written RD-SIGMA # or FRD-SIGMA # (it needs RD or "
		    "FRD), not as a nickname");
	/* Last resort: an ACCM nickname ("TEA LEAF"), unless it looks like a
	 * mistyped registered marking: a typo must not silently become a
	 * nickname (NOFORM is rejected, not an ACCM). */
	{
		char tok[ACL__TOKLEN];
		size_t k = 0;

		for (size_t i = b; i < e; i++)
			if (!(isupper((unsigned char)c->s[i]) || isdigit((unsigned char)c->s[i]) ||
			    c->s[i] == ' '))
				return fail_at(c, b, "unknown marking '%.*s'", (int)(e - b), c->s + b);
		for (int i = 0; near_words[i]; i++) {
			size_t d = lev(c->s + b, e - b, near_words[i], strlen(near_words[i]));
			/* CNWDI, SIGMA: a word of another marking, out of place
			 * ("did you mean CNWDI?" for CNWDI said nothing) */
			if (d == 0 && (eq(c, b, e, "CNWDI") || eq(c, b, e, "SIGMA")))
				return fail_at(c, b, "%s is written as part of RD (RD-%s), and "
				    "needs RD", near_words[i], eq(c, b, e, "CNWDI") ? "CNWDI" :
				    "SIGMA #");
			if (d == 0)
				return fail_at(c, b, "'%.*s' is not a marking in this place",
				    (int)(e - b), c->s + b);
			if (d <= 2)
				return fail_at(c, b, "unknown marking '%.*s' (did you mean %s?)",
				    (int)(e - b), c->s + b, near_words[i]);
		}
		if (e - b + 6 > sizeof(tok))
			return fail_at(c, b, "unknown marking '%.*s'", (int)(e - b), c->s + b);
		k = (size_t)snprintf(tok, sizeof(tok), "ACCM-");
		for (size_t i = b; i < e; i++)
			tok[k++] = c->s[i] == ' ' ? '_' : c->s[i];
		tok[k] = '\0';
		if (!acl__accm_valid(tok))
			return fail_at(c, b, "unknown marking '%.*s'", (int)(e - b), c->s + b);
		return add_tok(c, b, "nonICmarkings", tok);
	}
}

static int
is_code_piece(const struct pctx *c, size_t b, size_t e)
{
	return lookup(c, b, e) >= 0;
}

/* One "//"-separated category: entries separated by "/". */
static int
category(struct pctx *c, size_t b, size_t e)
{
	size_t i = b;
	int sar = 0;

	if (b == e)
		return fail_at(c, b, "empty category (\"////\" or a trailing \"//\")");
	while (i < e) {
		size_t j = i;

		while (j < e && c->s[j] != '/')
			j++;
		if (j == i)
			return fail_at(c, i, "empty entry");
		/* USA/AUS/NATO EYES ONLY: country pieces up to "X EYES ONLY"
		 * (not in a SAP category, where ARG is a program, not Argentina). */
		if (!sar && (starts(c, i, j, "SAR-") ||
		    starts(c, i, j, "SPECIAL ACCESS REQUIRED-"))) {
			if (item(c, i, j) != 0)
				return LSN_EINPUT;
			sar = 1;
			goto next;
		}
		if (!sar && is_code_piece(c, i, j)) {
			size_t k = j;
			while (k < e) {
				size_t kb = k + 1, ke = kb;
				while (ke < e && c->s[ke] != '/')
					ke++;
				if (ke - kb > 10 && strncmp(c->s + ke - 10, " EYES ONLY", 10) == 0) {
					j = ke;
					break;
				}
				if (!is_code_piece(c, kb, ke))
					return fail_at(c, i, "a country list separated by / must end "
					    "in EYES ONLY");
				k = ke;
			}
			if (k >= e)
				return fail_at(c, i, "country code '%.*s' out of place (a list "
				    "separated by / must end in EYES ONLY)", (int)(j - i), c->s + i);
		}
		if (sar) {
			if (hier(c, i, j, NULL, "SARIdentifier") != 0)
				return LSN_EINPUT;
		} else if (j - i > 10 && strncmp(c->s + j - 10, " EYES ONLY", 10) == 0) {
			size_t p = i;
			c->m->dissem |= 1u << ACL__D_EYES;
			while (p < j - 10) {
				size_t q = p;
				int idx;
				while (q < j - 10 && c->s[q] != '/')
					q++;
				if ((idx = lookup(c, p, q)) < 0)
					return fail_at(c, p, "unknown country '%.*s' in EYES ONLY",
					    (int)(q - p), c->s + p);
				acl__clist_add(&c->m->rel, idx);
				p = q + 1;
			}
		} else {
			if (item(c, i, j) != 0)
				return LSN_EINPUT;
		}
	next:
		i = j < e ? j + 1 : j;
		if (j < e && i == e)
			return fail_at(c, i, "trailing /");
	}
	return 0;
}

int
acl_marking_parse(acl_marking **out, const acl_data *data, const char *text,
    const acl_marking *banner, size_t *errpos, lsn_err *err)
{
	struct pctx *c = NULL;
	size_t b, e, i;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	c->d = data;
	c->err = err;
	if ((rc = acl_marking_new(&c->m, data, err)) != 0)
		goto out;
	if ((rc = normalise(c, text)) != 0)
		goto out;
	b = 0;
	e = c->n;
	if (e == 0) {
		rc = fail_at(c, 0, "empty marking");
		goto out;
	}
	if (c->s[0] == '(') {
		if (c->s[e - 1] != ')') {
			rc = fail_at(c, e, "portion mark without a closing ')'");
			goto out;
		}
		c->portion = 1;
		b = 1;
		e--;
	} else if (c->s[e - 1] == ')') {
		rc = fail_at(c, e - 1, "')' without '('");
		goto out;
	}
	for (i = b; i < e; i++)
		if (strchr("()", c->s[i])) {
			rc = fail_at(c, i, "unexpected '%c'", c->s[i]);
			goto out;
		}
	/* Classification category. */
	{
		int nonus = e - b >= 2 && c->s[b] == '/' && c->s[b + 1] == '/';
		size_t cb = nonus ? b + 2 : b, ce = cb;

		while (ce < e && !(c->s[ce] == '/' && ce + 1 < e && c->s[ce + 1] == '/'))
			ce++;
		if (ce == cb) {
			rc = fail_at(c, cb, "expected a classification");
			goto out;
		}
		if ((rc = classification(c, cb, ce, nonus)) != 0)
			goto out;
		i = ce;
	}
	while (i < e) {
		size_t cb = i + 2, ce = cb;

		if (!(c->s[i] == '/' && i + 1 < e && c->s[i + 1] == '/')) {
			rc = fail_at(c, i, "expected //");
			goto out;
		}
		while (ce < e && !(c->s[ce] == '/' && ce + 1 < e && c->s[ce + 1] == '/'))
			ce++;
		if ((rc = category(c, cb, ce)) != 0)
			goto out;
		i = ce;
	}
	if (c->joint_short) {
		if (banner == NULL || !acl__is_joint(banner)) {
			rc = fail_at(c, b, "JOINT needs its owner countries (the portion shorthand "
			    "(//JOINT LEVEL) needs a JOINT banner)");
			goto out;
		}
		for (int k = 0; k < banner->owners.n; k++)
			acl__clist_add(&c->m->owners, banner->owners.v[k]);
	}
	if (c->rel_short || c->eyes_short) {
		if (banner == NULL || banner->rel.n == 0) {
			rc = fail_at(c, b, "the portion shorthand (%s) needs the banner's REL TO "
			    "list", c->rel_short ? "REL" : "EYES");
			goto out;
		}
		for (int k = 0; k < banner->rel.n; k++)
			acl__clist_add(&c->m->rel, banner->rel.v[k]);
	}
	acl__toks_sort(&c->m->sci);
	acl__toks_sort(&c->m->sar);
	{
		/* canonical AEA order via the attribute setter */
		char *v = NULL;
		lsn_err e2;
		if (acl_marking_get_attr(&v, c->m, "atomicEnergyMarkings", &e2) == 0)
			acl_marking_set_attr(c->m, "atomicEnergyMarkings", v, &e2);
		free(v);
	}
	*out = c->m;
	c->m = NULL;
	rc = 0;
out:
	if (rc != 0 && errpos != NULL)
		*errpos = c->errpos;
	acl_marking_free(c->m);
	free(c);
	return rc;
}
