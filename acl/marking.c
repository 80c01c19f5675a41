/*
 * acl/marking.c - the ISM attribute model: tokens and their CVE order,
 * attribute get/set, structural validation.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

/* CAPCO 2016 Register (Table 4) section 8 order. */
const char *const acl__dissem_tok[ACL__D_N] = {
	"RS", "FOUO", "OC", "OC-USGOV", "IMC", "NF", "PR", "REL", "RELIDO",
	"EYES", "DSEN", "FISA", "DISPLAYONLY",
};
/* CAPCO 2016 Register section 9 order. */
const char *const acl__nonic_tok[ACL__N_N] = {
	"DS", "XD", "ND", "SBU", "SBU-NF", "LES", "LES-NF", "SSI",
};
/* CAPCO 2016 Register section 2 (NATO) order. */
const char *const acl__nonus_tok[ACL__U_N] = { "ATOMAL", "BALK", "BOHEMIA" };

static const char *const attr_names[] = {
	"classification", "ownerProducer", "joint", "SCIcontrols",
	"SARIdentifier", "atomicEnergyMarkings", "FGIsourceOpen",
	"FGIsourceProtected", "disseminationControls", "releasableTo",
	"displayOnlyTo", "nonICmarkings", "nonUSControls", "excludeFromRollup",
	"resourceElement", NULL,
};

/* ISM attributes with no meaning for access: accepted and ignored. */
static const char *const ignored_attrs[] = {
	"classifiedBy", "classificationReason", "declassException", "derivedFrom",
	"declassDate", "declassEvent", "derivativelyClassifiedBy", "createDate",
	"DESVersion", "ISMCATCESVersion", "compliesWith", "noticeType", "noticeDate",
	"noticeReason", "noticeProse", "pocType", "externalNotice",
	"unregisteredNoticeType", "hasApproximateMarkings", "highWaterNATO",
	"secondBannerLine", "typeOfExemptedSource", "dateOfExemptedSource", NULL,
};

const char *const *
acl_attr_names(void)
{
	return attr_names;
}

int
acl_marking_new(acl_marking **out, const acl_data *data, lsn_err *err)
{
	/* Not calloc: the struct is over 12 KB of fixed arrays, and ingest
	 * makes one per portion.  Every field is set here; array entries past
	 * their count are never read (valgrind runs in tools/test). */
	acl_marking *m = malloc(sizeof(*m));

	*out = NULL;
	if (m == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	m->refs = 1;
	m->data = data;
	m->cls = 0;
	m->owners.n = 0;
	m->joint = 0;
	m->sci.n = m->sar.n = m->aea.n = m->accm.n = 0;
	m->fgi_open.n = m->fgi_prot.n = 0;
	m->dissem = 0;
	m->rel.n = m->disp.n = 0;
	m->nonic = m->nonus = 0;
	m->exclude = m->resource = 0;
	*out = m;
	return 0;
}

void
acl_marking_free(acl_marking *m)
{
	if (m != NULL && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(m);
}

int
acl_marking_dup(acl_marking **out, const acl_marking *src, lsn_err *err)
{
	acl_marking *m = (acl_marking *)src; /* only its count changes */

	(void)err;
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	*out = m;
	return 0;
}

int
acl_marking_excluded(const acl_marking *m)
{
	return m->exclude;
}

int
acl_marking_is_resource(const acl_marking *m)
{
	return m->resource;
}

static const char *const level_tokens[] = { "", "U", "R", "C", "S", "TS" };

int
acl_level_parse(const char *s, size_t n)
{
	for (int i = ACL_LEVEL_U; i <= ACL_LEVEL_TS; i++)
		if (strlen(level_tokens[i]) == n && strncasecmp(s, level_tokens[i], n) == 0)
			return i;
	return 0;
}

const char *
acl_level_name(int level)
{
	return level >= ACL_LEVEL_U && level <= ACL_LEVEL_TS ? level_tokens[level] : "";
}

int
acl_marking_level(const acl_marking *m)
{
	return m->cls;
}

/* ---- lists ---- */

void
acl__clist_add(struct acl__clist *l, int idx)
{
	int i;

	for (i = 0; i < l->n && l->v[i] < idx; i++)
		;
	if (i < l->n && l->v[i] == idx)
		return;
	memmove(&l->v[i + 1], &l->v[i], (size_t)(l->n - i) * sizeof(l->v[0]));
	l->v[i] = (uint16_t)idx;
	l->n++;
}

int
acl__clist_has(const struct acl__clist *l, int idx)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i] == idx)
			return 1;
	return 0;
}

int
acl__second_party(const acl_data *d, int idx)
{
	static const char *const second[] = { "AUS", "CAN", "GBR", "NZL" };

	for (size_t i = 0; i < sizeof(second) / sizeof(second[0]); i++)
		if (idx >= 0 && strcmp(d->e[idx].code, second[i]) == 0)
			return 1;
	return 0;
}

int
acl__eyes_may_name(const acl_data *d, int idx)
{
	return d->e[idx].is_group || idx == d->usa || acl__second_party(d, idx);
}

int
acl__is_joint(const acl_marking *m)
{
	return m->joint || (m->owners.n > 1 && acl__clist_has(&m->owners, m->data->usa));
}

int
acl__toks_has(const struct acl__toks *t, const char *s)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->t[i], s) == 0)
			return 1;
	return 0;
}

int
acl__toks_add(struct acl__toks *t, const char *s, lsn_err *err)
{
	if (acl__toks_has(t, s))
		return 0;
	if (strlen(s) >= ACL__TOKLEN)
		return lsn_fail(err, LSN_EINPUT, "token too long: %.40s...", s);
	if (t->n == ACL__MAXTOK)
		return lsn_fail(err, LSN_EINPUT, "more than %d tokens in one attribute",
		    ACL__MAXTOK);
	strcpy(t->t[t->n++], s);
	return 0;
}

static int
cmp_tok(const void *a, const void *b)
{
	return strcmp(a, b);
}

void
acl__toks_sort(struct acl__toks *t)
{
	qsort(t->t, (size_t)t->n, sizeof(t->t[0]), cmp_tok);
}

/* AEA order: CAPCO 2016 Register section 6 (RD family, FRD family,
 * DOD UCNI, DOE UCNI, TFNI). */
static int
aea_rank(const char *t)
{
	if (strncmp(t, "RD", 2) == 0)
		return 0;
	if (strncmp(t, "FRD", 3) == 0)
		return 1;
	if (strcmp(t, "DCNI") == 0)
		return 2;
	if (strcmp(t, "UCNI") == 0)
		return 3;
	return 4;
}

static int
cmp_aea(const void *a, const void *b)
{
	int ra = aea_rank(a), rb = aea_rank(b);
	const char *sa = a, *sb = b;

	if (ra != rb)
		return ra - rb;
	/* RD < RD-CNWDI < RD-SG-N, sigma numbers numerically */
	if (strstr(sa, "-SG-") && strstr(sb, "-SG-"))
		return atoi(strstr(sa, "-SG-") + 4) - atoi(strstr(sb, "-SG-") + 4);
	if (strstr(sa, "-SG-") && !strstr(sb, "-SG-"))
		return 1;
	if (!strstr(sa, "-SG-") && strstr(sb, "-SG-"))
		return -1;
	return strcmp(sa, sb);
}

/* ---- token syntax ---- */

static int
word_ok(const char *s, size_t n, size_t max, int underscore)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		    (underscore && s[i] == '_')))
			return 0;
	return 1;
}

/* SYSTEM[-COMPARTMENT[-SUBCOMPARTMENT]] (CAPCO 2016 Register section 4). */
static const char *const sci_systems[] = { "EL", "HCS", "KDK", "RSV", "SI", "TK", NULL };

int
acl__sci_valid(const char *tok)
{
	const char *d1 = strchr(tok, '-'), *d2;
	size_t sl = d1 ? (size_t)(d1 - tok) : strlen(tok);
	int known = 0;

	/* "EYES" and "ONLY" as compartment names would make a banner that
	 * ends "...-SR EYES ONLY" read back as an EYES ONLY control (found by
	 * fuzz-banner): refuse them rather than render what parses otherwise. */
	for (const char *w = d1; w != NULL; w = strchr(w + 1, '-')) {
		const char *e = strchr(w + 1, '-');
		size_t n = e ? (size_t)(e - w - 1) : strlen(w + 1);
		if ((n == 4 && strncmp(w + 1, "EYES", 4) == 0) ||
		    (n == 4 && strncmp(w + 1, "ONLY", 4) == 0))
			return 0;
	}

	for (int i = 0; sci_systems[i]; i++)
		if (strlen(sci_systems[i]) == sl && strncmp(tok, sci_systems[i], sl) == 0)
			known = 1;
	if (!known)
		return 0;
	if (d1 == NULL)
		return 1;
	d2 = strchr(d1 + 1, '-');
	if (!word_ok(d1 + 1, d2 ? (size_t)(d2 - d1 - 1) : strlen(d1 + 1), 8, 0))
		return 0;
	if (d2 == NULL)
		return 1;
	return word_ok(d2 + 1, strlen(d2 + 1), 8, 0);
}

/* Words joined by single underscores (spaces on the page): no leading,
 * trailing or doubled underscore, so rendering parses back the same. */
static int
words_ok(const char *s, size_t n, size_t max)
{
	if (!word_ok(s, n, max, 1) || s[0] == '_' || s[n - 1] == '_')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '_' && s[i - 1] == '_')
			return 0;
	return 1;
}

/* PROGRAM[-COMPARTMENT[-SUB]] (CAPCO 2016 Register section 5). */
int
acl__sar_valid(const char *tok)
{
	const char *d1 = strchr(tok, '-'), *d2;

	if (!words_ok(tok, d1 ? (size_t)(d1 - tok) : strlen(tok), 40))
		return 0;
	if (d1 == NULL)
		return 1;
	d2 = strchr(d1 + 1, '-');
	if (!word_ok(d1 + 1, d2 ? (size_t)(d2 - d1 - 1) : strlen(d1 + 1), 16, 0))
		return 0;
	return d2 == NULL || word_ok(d2 + 1, strlen(d2 + 1), 16, 0);
}

/* CAPCO 2016 Register section 6. */
int
acl__aea_valid(const char *tok)
{
	static const char *const fixed[] = { "RD", "RD-CNWDI", "FRD", "DCNI",
		"UCNI", "TFNI", NULL };
	const char *sg;

	for (int i = 0; fixed[i]; i++)
		if (strcmp(tok, fixed[i]) == 0)
			return 1;
	if ((strncmp(tok, "RD-SG-", 6) == 0 && (sg = tok + 6)) ||
	    (strncmp(tok, "FRD-SG-", 7) == 0 && (sg = tok + 7))) {
		/* SIGMA 14, 15, 18 and 20, and the obsolete 1-5 and 9-13 that
		 * information at rest may still carry (CAPCO 2016 SIGMA). */
		size_t n = strlen(sg);
		int v = atoi(sg);
		return n >= 1 && n <= 2 && word_ok(sg, n, 2, 0) && sg[0] != '0' &&
		    isdigit((unsigned char)sg[0]) && isdigit((unsigned char)sg[n - 1]) &&
		    ((v >= 1 && v <= 5) || (v >= 9 && v <= 15) || v == 18 || v == 20);
	}
	return 0;
}

int
acl__accm_valid(const char *tok)
{
	return strncmp(tok, "ACCM-", 5) == 0 && words_ok(tok + 5, strlen(tok + 5), 40);
}

/* ---- attributes ---- */

static int
flag_value(const char *name, const char *v, int *out, lsn_err *err)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || v[0] == '\0')
		*out = 0;
	else
		return lsn_fail(err, LSN_EINPUT, "%s: expected true or false, not '%.40s'",
		    name, v);
	return 0;
}

static int
find(const char *const *tab, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(tab[i], s) == 0)
			return i;
	return -1;
}

/* Split v on whitespace and hand each token to fn. */
static int
each_token(acl_marking *m, const char *name, const char *v,
    int (*fn)(acl_marking *, const char *, const char *, lsn_err *), lsn_err *err)
{
	char tok[ACL__TOKLEN];
	int rc;

	while (*v) {
		size_t n;

		while (isspace((unsigned char)*v))
			v++;
		if (!*v)
			break;
		for (n = 0; v[n] && !isspace((unsigned char)v[n]); n++)
			;
		if (n >= sizeof(tok))
			return lsn_fail(err, LSN_EINPUT, "%s: token too long: '%.40s...'", name, v);
		memcpy(tok, v, n);
		tok[n] = '\0';
		if ((rc = fn(m, name, tok, err)) != 0)
			return rc;
		v += n;
	}
	return 0;
}

static int
add_country(acl_marking *m, struct acl__clist *l, const char *name,
    const char *tok, lsn_err *err)
{
	int i = acl__lookup(m->data, tok, strlen(tok));

	if (i < 0)
		return lsn_fail(err, LSN_EINPUT, "%s: unknown country or tetragraph '%s'",
		    name, tok);
	acl__clist_add(l, i);
	return 0;
}

static int
tok_cb(acl_marking *m, const char *name, const char *tok, lsn_err *err)
{
	int i;

	/* The token FGI, a concealed source, is an owner and a protected
	 * source (ISM CVEs), in no other list. */
	if (strcmp(tok, "FGI") == 0 && (strcmp(name, "ownerProducer") == 0 ||
	    strcmp(name, "FGIsourceProtected") == 0)) {
		acl__clist_add(name[0] == 'o' ? &m->owners : &m->fgi_prot, m->data->fgi);
		return 0;
	}
	if (strcmp(name, "ownerProducer") == 0)
		return add_country(m, &m->owners, name, tok, err);
	if (strcmp(name, "FGIsourceOpen") == 0)
		return add_country(m, &m->fgi_open, name, tok, err);
	if (strcmp(name, "FGIsourceProtected") == 0)
		return add_country(m, &m->fgi_prot, name, tok, err);
	if (strcmp(name, "releasableTo") == 0)
		return add_country(m, &m->rel, name, tok, err);
	if (strcmp(name, "displayOnlyTo") == 0)
		return add_country(m, &m->disp, name, tok, err);
	if (strcmp(name, "SCIcontrols") == 0) {
		if (!acl__sci_valid(tok))
			return lsn_fail(err, LSN_EINPUT, "%s: unknown SCI control '%s'", name, tok);
		return acl__toks_add(&m->sci, tok, err);
	}
	if (strcmp(name, "SARIdentifier") == 0) {
		if (!acl__sar_valid(tok))
			return lsn_fail(err, LSN_EINPUT, "%s: malformed SAP identifier '%s'",
			    name, tok);
		return acl__toks_add(&m->sar, tok, err);
	}
	if (strcmp(name, "atomicEnergyMarkings") == 0) {
		if (!acl__aea_valid(tok))
			return lsn_fail(err, LSN_EINPUT, "%s: unknown AEA marking '%s'", name, tok);
		return acl__toks_add(&m->aea, tok, err);
	}
	if (strcmp(name, "disseminationControls") == 0) {
		if ((i = find(acl__dissem_tok, ACL__D_N, tok)) < 0)
			return lsn_fail(err, LSN_EINPUT, "%s: unknown dissemination control '%s'",
			    name, tok);
		m->dissem |= 1u << i;
		return 0;
	}
	if (strcmp(name, "nonICmarkings") == 0) {
		if ((i = find(acl__nonic_tok, ACL__N_N, tok)) >= 0) {
			m->nonic |= 1u << i;
			return 0;
		}
		if (!acl__accm_valid(tok))
			return lsn_fail(err, LSN_EINPUT, "%s: unknown non-IC marking '%s'", name,
			    tok);
		return acl__toks_add(&m->accm, tok, err);
	}
	if (strcmp(name, "nonUSControls") == 0) {
		if ((i = find(acl__nonus_tok, ACL__U_N, tok)) < 0)
			return lsn_fail(err, LSN_EINPUT, "%s: unknown non-US control '%s'", name,
			    tok);
		m->nonus |= 1u << i;
		return 0;
	}
	return lsn_fail(err, LSN_EINTERNAL, "no token handler for %s", name);
}

int
acl_marking_set_attr(acl_marking *m, const char *name, const char *value,
    lsn_err *err)
{
	const char *const *levels = level_tokens;
	int i, rc;

	if (__atomic_load_n(&m->refs, __ATOMIC_RELAXED) != 1)
		return lsn_fail(err, LSN_EINTERNAL, "a shared marking cannot be changed");
	if (strncmp(name, "ism:", 4) == 0)
		name += 4;
	for (i = 0; ignored_attrs[i]; i++)
		if (strcmp(name, ignored_attrs[i]) == 0)
			return 0;
	/* A single token or an xs:boolean, white space around it allowed
	 * (XML Schema's collapse): " S " and " true " were refused, and so
	 * the reports carrying them (helper-25).  Lists skip it already. */
	char one[16];
	size_t lead = strspn(value, " \t\n\r"), len = strlen(value + lead);
	while (len > 0 && strchr(" \t\n\r", value[lead + len - 1]) != NULL)
		len--;
	if (len < sizeof(one) && (lead > 0 || value[lead + len] != '\0')) {
		memcpy(one, value + lead, len);
		one[len] = '\0';
		value = one;
	}
	if (strcmp(name, "classification") == 0) {
		for (i = 1; i <= 5; i++)
			if (strcmp(value, levels[i]) == 0) {
				m->cls = i;
				return 0;
			}
		return lsn_fail(err, LSN_EINPUT, "classification: unknown level '%.40s'",
		    value);
	}
	if (strcmp(name, "joint") == 0)
		return flag_value(name, value, &m->joint, err);
	if (strcmp(name, "excludeFromRollup") == 0)
		return flag_value(name, value, &m->exclude, err);
	if (strcmp(name, "resourceElement") == 0)
		return flag_value(name, value, &m->resource, err);
	/* Token lists replace the previous value. */
	if (strcmp(name, "ownerProducer") == 0)
		m->owners.n = 0;
	else if (strcmp(name, "FGIsourceOpen") == 0)
		m->fgi_open.n = 0;
	else if (strcmp(name, "FGIsourceProtected") == 0)
		m->fgi_prot.n = 0;
	else if (strcmp(name, "releasableTo") == 0)
		m->rel.n = 0;
	else if (strcmp(name, "displayOnlyTo") == 0)
		m->disp.n = 0;
	else if (strcmp(name, "SCIcontrols") == 0)
		m->sci.n = 0;
	else if (strcmp(name, "SARIdentifier") == 0)
		m->sar.n = 0;
	else if (strcmp(name, "atomicEnergyMarkings") == 0)
		m->aea.n = 0;
	else if (strcmp(name, "disseminationControls") == 0)
		m->dissem = 0;
	else if (strcmp(name, "nonICmarkings") == 0) {
		m->nonic = 0;
		m->accm.n = 0;
	} else if (strcmp(name, "nonUSControls") == 0)
		m->nonus = 0;
	else
		return lsn_fail(err, LSN_EINPUT, "unknown ISM attribute '%.60s'", name);
	if ((rc = each_token(m, name, value, tok_cb, err)) != 0)
		return rc;
	acl__toks_sort(&m->sci);
	acl__toks_sort(&m->sar);
	qsort(m->aea.t, (size_t)m->aea.n, sizeof(m->aea.t[0]), cmp_aea);
	return 0;
}

static void
put_clist(struct acl__buf *b, const acl_data *d, const struct acl__clist *l)
{
	for (int i = 0; i < l->n; i++) {
		if (i)
			acl__buf_putc(b, ' ');
		acl__buf_put(b, d->e[l->v[i]].code);
	}
}

static void
put_toks(struct acl__buf *b, const struct acl__toks *t, int sep)
{
	for (int i = 0; i < t->n; i++) {
		if (sep || i)
			acl__buf_putc(b, ' ');
		acl__buf_put(b, t->t[i]);
	}
}

static void
put_bits(struct acl__buf *b, const char *const *tab, int n, unsigned bits, size_t at)
{
	for (int i = 0; i < n; i++)
		if (bits & (1u << i)) {
			if (b->n > at)
				acl__buf_putc(b, ' ');
			acl__buf_put(b, tab[i]);
		}
}

/* The attributes, in the order of attr_names. */
enum { A_CLS, A_OWNERS, A_JOINT, A_SCI, A_SAR, A_AEA, A_FGI_OPEN, A_FGI_PROT,
	A_DISSEM, A_REL, A_DISP, A_NONIC, A_NONUS, A_EXCLUDE, A_RESOURCE, A_N };

/* Attribute a of m as XML carries it (nothing when unset), appended to b. */
static void
put_attr(struct acl__buf *b, const acl_marking *m, int a)
{
	size_t at = b->n;

	switch (a) {
	case A_CLS:
		acl__buf_put(b, level_tokens[m->cls]);
		break;
	case A_OWNERS:
		put_clist(b, m->data, &m->owners);
		break;
	case A_JOINT:
		acl__buf_put(b, m->joint ? "true" : "");
		break;
	case A_SCI:
		put_toks(b, &m->sci, 0);
		break;
	case A_SAR:
		put_toks(b, &m->sar, 0);
		break;
	case A_AEA:
		put_toks(b, &m->aea, 0);
		break;
	case A_FGI_OPEN:
		put_clist(b, m->data, &m->fgi_open);
		break;
	case A_FGI_PROT:
		put_clist(b, m->data, &m->fgi_prot);
		break;
	case A_DISSEM:
		put_bits(b, acl__dissem_tok, ACL__D_N, m->dissem, at);
		break;
	case A_REL:
		put_clist(b, m->data, &m->rel);
		break;
	case A_DISP:
		put_clist(b, m->data, &m->disp);
		break;
	case A_NONIC:
		put_bits(b, acl__nonic_tok, ACL__N_N, m->nonic, at);
		put_toks(b, &m->accm, b->n > at);
		break;
	case A_NONUS:
		put_bits(b, acl__nonus_tok, ACL__U_N, m->nonus, at);
		break;
	case A_EXCLUDE:
		acl__buf_put(b, m->exclude ? "true" : "");
		break;
	case A_RESOURCE:
		acl__buf_put(b, m->resource ? "true" : "");
		break;
	}
}

int
acl_marking_get_attr(char **out, const acl_marking *m, const char *name,
    lsn_err *err)
{
	struct acl__buf b = { 0 };
	int a = 0;

	*out = NULL;
	if (strncmp(name, "ism:", 4) == 0)
		name += 4;
	while (a < A_N && strcmp(attr_names[a], name) != 0)
		a++;
	if (a == A_N)
		return lsn_fail(err, LSN_EINPUT, "unknown ISM attribute '%.60s'", name);
	acl__buf_put(&b, "");
	put_attr(&b, m, a);
	if (b.oom) {
		free(b.p);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	*out = b.p;
	return 0;
}

int
acl_marking_attr_lines(char **out, size_t *len, const acl_marking *m, lsn_err *err)
{
	struct acl__buf b = { 0 };

	*out = NULL;
	*len = 0;
	acl__buf_put(&b, "");
	for (int a = 0; a < A_N; a++) {
		size_t line = b.n, value;
		acl__buf_put(&b, attr_names[a]);
		acl__buf_putc(&b, '=');
		value = b.n;
		put_attr(&b, m, a);
		if (b.oom)
			break;
		if (b.n == value) { /* unset: no line */
			b.n = line;
			b.p[line] = '\0';
		} else {
			acl__buf_putc(&b, '\n');
		}
	}
	if (b.oom) {
		free(b.p);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	*out = b.p;
	*len = b.n;
	return 0;
}

int
acl_marking_from_attrs(acl_marking **out, const acl_data *data,
    const char *s, lsn_err *err)
{
	acl_marking *m = NULL;
	char name[64], *val = NULL;
	size_t len = strlen(s);
	int rc;

	*out = NULL;
	if ((rc = acl_marking_new(&m, data, err)) != 0)
		goto out;
	if ((val = malloc(len + 1)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	while (*s) {
		size_t n = 0, vn = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		while (s[n] && s[n] != '=' && !isspace((unsigned char)s[n]))
			n++;
		if (s[n] != '=' || n == 0 || n >= sizeof(name)) {
			rc = lsn_fail(err, LSN_EINPUT,
			    "expected name=value at '%.30s'", s);
			goto out;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		s += n + 1;
		if (*s == '"' || *s == '\'') {
			char q = *s++;
			while (*s && *s != q)
				val[vn++] = *s++;
			if (*s != q) {
				rc = lsn_fail(err, LSN_EINPUT, "%s: unterminated quote", name);
				goto out;
			}
			s++;
		} else {
			while (*s && !isspace((unsigned char)*s))
				val[vn++] = *s++;
		}
		val[vn] = '\0';
		if ((rc = acl_marking_set_attr(m, name, val, err)) != 0)
			goto out;
	}
	*out = m;
	m = NULL;
out:
	free(val);
	acl_marking_free(m);
	return rc;
}

static int
clist_eq(const struct acl__clist *a, const struct acl__clist *b)
{
	return a->n == b->n && memcmp(a->v, b->v, (size_t)a->n * sizeof(a->v[0])) == 0;
}

static int
toks_eq(const struct acl__toks *a, const struct acl__toks *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (!acl__toks_has(b, a->t[i]))
			return 0;
	return 1;
}

int
acl_marking_equal(const acl_marking *a, const acl_marking *b)
{
	return a->cls == b->cls && clist_eq(&a->owners, &b->owners) &&
	    acl__is_joint(a) == acl__is_joint(b) &&
	    toks_eq(&a->sci, &b->sci) && toks_eq(&a->sar, &b->sar) &&
	    toks_eq(&a->aea, &b->aea) && toks_eq(&a->accm, &b->accm) &&
	    clist_eq(&a->fgi_open, &b->fgi_open) &&
	    clist_eq(&a->fgi_prot, &b->fgi_prot) && a->dissem == b->dissem &&
	    clist_eq(&a->rel, &b->rel) && clist_eq(&a->disp, &b->disp) &&
	    a->nonic == b->nonic && a->nonus == b->nonus;
}

int
acl_marking_identical(const acl_marking *a, const acl_marking *b)
{
	return acl_marking_equal(a, b) && a->joint == b->joint &&
	    a->exclude == b->exclude && a->resource == b->resource;
}

void
acl_marking_difference(char *out, size_t size, const acl_marking *a, const acl_marking *b)
{
	const char *const *names = acl_attr_names();

	if (size > 0)
		out[0] = '\0';
	for (size_t i = 0; names[i] != NULL && size > 0 && out[0] == '\0'; i++) {
		char *x = NULL, *y = NULL;
		if (acl_marking_get_attr(&x, a, names[i], NULL) == 0 &&
		    acl_marking_get_attr(&y, b, names[i], NULL) == 0 && strcmp(x, y) != 0)
			snprintf(out, size, " (ism:%s: written \"%s\", computed \"%s\")",
			    names[i], x, y);
		free(x);
		free(y);
	}
}

/* Any control marking at all, or an owner other than the United States
 * alone, whose portion is FGI in a US banner (ISM-Rollup 2.2: "caveated";
 * "(//DEU U)" beside REL TO portions kept their release in the banner,
 * though it went to no partner, while "(U//FGI DEU)" made it NOFORN). */
int
acl__caveated(const acl_marking *m)
{
	return m->sci.n || m->sar.n || m->aea.n || m->accm.n || m->dissem ||
	    m->nonic || m->nonus || m->fgi_open.n || m->fgi_prot.n ||
	    m->owners.n != 1 || m->owners.v[0] != m->data->usa;
}

int
acl__required_access(const acl_marking *m, struct acl__toks *out)
{
	char buf[ACL__TOKLEN + 8];
	int rc;

	out->n = 0;
	for (int i = 0; i < m->sci.n; i++)
		if ((rc = acl__toks_add(out, m->sci.t[i], NULL)) != 0)
			return rc;
	for (int i = 0; i < m->sar.n; i++) {
		snprintf(buf, sizeof(buf), "SAR-%s", m->sar.t[i]);
		if ((rc = acl__toks_add(out, buf, NULL)) != 0)
			return rc;
	}
	for (int i = 0; i < m->aea.n; i++)
		if ((rc = acl__toks_add(out, m->aea.t[i], NULL)) != 0)
			return rc;
	/* An ACCM needs accreditation that ISM.ACES leaves uncodified (Table
	 * 47): its own read-on, "ACCM-NICKNAME", or no access (it required
	 * none, and a word the parser took for a nickname released what it
	 * marked to anyone the rest allowed). */
	for (int i = 0; i < m->accm.n; i++)
		if ((rc = acl__toks_add(out, m->accm.t[i], NULL)) != 0)
			return rc;
	/* NATO's ATOMAL, BALK and BOHEMIA: read into each (ISM.ACES Tables
	 * 48-50); they were marked and never enforced. */
	for (int i = 0; i < ACL__U_N; i++)
		if (m->nonus & (1u << i)) {
			snprintf(buf, sizeof(buf), "NATO-%s", acl__nonus_tok[i]);
			if ((rc = acl__toks_add(out, buf, NULL)) != 0)
				return rc;
		}
	return 0;
}

/* ---- validation ---- */

#define D(x) (m->dissem & (1u << ACL__D_##x))
#define N(x) (m->nonic & (1u << ACL__N_##x))

/*
 * Whether a REL TO list names country c, literally or through a
 * decomposable tetragraph: CAPCO 2016 H.3's own example releases a JOINT
 * CAN GBR USA portion "REL TO USA, FVEY".
 */
static int
rel_covers(const acl_data *d, const struct acl__clist *rel, int c)
{
	if (acl__clist_has(rel, c))
		return 1;
	for (int i = 0; i < rel->n; i++)
		if (d->e[rel->v[i]].is_group && d->e[rel->v[i]].decomposable &&
		    acl__is_member(d, c, rel->v[i]))
			return 1;
	return 0;
}

int
acl_marking_rel_covers(const acl_marking *m, const char *code, lsn_err *err)
{
	int c = acl__lookup(m->data, code, strlen(code));

	if (c < 0)
		return lsn_fail(err, LSN_EINPUT, "unknown country or tetragraph '%s'", code);
	return rel_covers(m->data, &m->rel, c);
}

/*
 * SCI controls (CAPCO 2016 Register section 4 and the control systems'
 * templates, "Relationship(s) to Other Markings").  A token takes the first
 * rule that covers it: a rule "X" covers X and its compartments and
 * sub-compartments (X-...), a rule "X-" only those, so the more particular
 * rules come first.
 */
#define LV(x) ACL_LEVEL_##x
#define DB(x) (1u << ACL__D_##x)
static const struct sci_rule {
	const char *tok;  /* a token, or "X-" for X's compartments only */
	int min;          /* the lowest classification it is used with */
	unsigned need;    /* dissemination controls it requires */
	int no_usgov;     /* not with ORCON-USGOV */
	const char *tmpl; /* its template */
} sci_rules[] = {
	{ "SI-G", LV(TS), DB(OC), 1, "GAMMA" },
	{ "SI-", LV(TS), 0, 0, "SI-[COMPARTMENT], SI-ECRU, SI-NONBOOK" },
	{ "SI", LV(C), 0, 0, "SPECIAL INTELLIGENCE" },
	{ "TK-BLFH", LV(TS), DB(NF), 0, "BLUEFISH" },
	{ "TK-IDIT", LV(S), DB(NF), 0, "IDITAROD" },
	{ "TK-KAND", LV(S), DB(NF), 0, "KANDIK" },
	{ "TK", LV(S), 0, 0, "TALENT KEYHOLE" },
	{ "HCS-O", LV(S), DB(OC) | DB(NF), 1, "OPERATIONS" },
	{ "HCS-P-", LV(TS), DB(OC) | DB(NF), 1, "PRODUCT [SUB-COMPARTMENT]" },
	{ "HCS-P", LV(S), DB(NF), 0, "PRODUCT" },
	{ "HCS-", LV(S), DB(NF), 0, "HCS" },
	{ "HCS", LV(C), DB(NF), 0, "HCS (legacy: classified information only)" },
	{ "RSV", LV(S), 0, 0, "RESERVE" },
	{ "KDK", LV(S), DB(NF), 0, "TALENT KEYHOLE (legacy KLONDIKE)" },
	{ "EL", LV(C), 0, 0, "SCI (classified information only)" },
};
#undef LV
#undef DB

static const struct sci_rule *
sci_rule_of(const char *tok)
{
	for (size_t i = 0; i < sizeof(sci_rules) / sizeof(sci_rules[0]); i++) {
		const char *r = sci_rules[i].tok;
		size_t n = strlen(r);
		if (strncmp(tok, r, n) == 0 &&
		    (r[n - 1] == '-' || tok[n] == '\0' || tok[n] == '-'))
			return &sci_rules[i];
	}
	return NULL; /* acl__sci_valid() knows no other system */
}

static const char *
levels_from(int min)
{
	return min >= ACL_LEVEL_TS ? "TOP SECRET" :
	    min >= ACL_LEVEL_S ? "TOP SECRET or SECRET" : "TOP SECRET, SECRET or CONFIDENTIAL";
}

/* Every character of s is an upper-case letter, or (alnum) a digit. */
static int
all_of(const char *s, int alnum)
{
	for (; *s; s++)
		if (!(isupper((unsigned char)*s) || (alnum && isdigit((unsigned char)*s))))
			return 0;
	return 1;
}

/* The names a compartment or sub-compartment of parent takes (CAPCO 2016,
 * the templates' "Authorized Banner Line Marking Title"), in words. */
static const char *
sci_name_rule(const char *parent)
{
	if (strcmp(parent, "RSV") == 0)
		return "RESERVE-[COMPARTMENT]: 3 letters or digits";
	if (strcmp(parent, "SI") == 0)
		return "SI-[COMPARTMENT]: 2-3 letters, or G, ECRU, NK; never a type such as ECI";
	if (strcmp(parent, "SI-G") == 0)
		return "GAMMA [SUB-COMPARTMENT]: 4 letters";
	return "[SUB-COMPARTMENT]: up to 6 letters or digits";
}

static int
sci_name_ok(const char *parent, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(name, "ECI") == 0)
		return 0; /* a type indicator, never written (CAPCO 2016 SCI) */
	if (strcmp(parent, "RSV") == 0)
		return n == 3 && all_of(name, 1);
	if (strcmp(parent, "SI") == 0)
		return strcmp(name, "G") == 0 || strcmp(name, "ECRU") == 0 ||
		    strcmp(name, "NK") == 0 || (n >= 2 && n <= 3 && all_of(name, 0));
	if (strcmp(parent, "SI-G") == 0)
		return n == 4 && all_of(name, 0);
	if (strcmp(parent, "TK-BLFH") == 0 || strcmp(parent, "TK-IDIT") == 0 ||
	    strcmp(parent, "TK-KAND") == 0 || strcmp(parent, "HCS-P") == 0)
		return n >= 1 && n <= 6 && all_of(name, 1);
	return 1; /* no template says more */
}

/*
 * Each SCI token within its levels, with the controls it requires, and
 * written with what it is part of: SI-G-ABCD with SI-G and SI, as a banner
 * parses ("SI-G ABCD"), so that reading it requires each of those accesses
 * ("Requires SI", "Requires TK-BLFH").  RESERVE holds nothing of its own:
 * it is used only with a compartment.
 */
static int
sci_validate(const acl_marking *m, lsn_err *err)
{
	char parent[64];

	for (int i = 0; i < m->sci.n; i++) {
		const char *t = m->sci.t[i], *dash = strrchr(t, '-');
		const struct sci_rule *r = sci_rule_of(t);

		if (dash != NULL) {
			size_t n = (size_t)(dash - t);
			if (n >= sizeof(parent))
				return lsn_fail(err, LSN_EINPUT, "ISM-SCI: an SCI control too long");
			memcpy(parent, t, n);
			parent[n] = '\0';
			if (!acl__toks_has(&m->sci, parent))
				return lsn_fail(err, LSN_EINPUT,
				    "ISM-SCI-PARENT: %s needs %s beside it (CAPCO 2016 Register "
				    "section 4: a compartment is written with its control system)",
				    t, parent);
		}
		if (dash != NULL && !sci_name_ok(parent, dash + 1))
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-SCI-NAME: %s: %s is not a name %s takes (CAPCO 2016 %s)", t,
			    dash + 1, parent, sci_name_rule(parent));
		if (r == NULL)
			continue;
		if (m->cls < r->min)
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-SCI-LEVEL: %s is used only with %s (CAPCO 2016 %s)", t,
			    levels_from(r->min), r->tmpl);
		if ((r->need & (1u << ACL__D_NF)) && !D(NF))
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-SCI-NF: %s requires NOFORN (CAPCO 2016 %s)", t, r->tmpl);
		if ((r->need & (1u << ACL__D_OC)) && !D(OC))
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-SCI-OC: %s requires ORCON (CAPCO 2016 %s)", t, r->tmpl);
		if (r->no_usgov && D(OC_USGOV))
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-SCI-OC-USGOV: %s may not be used with ORCON-USGOV (CAPCO 2016 %s)",
			    t, r->tmpl);
		if (strcmp(t, "RSV") == 0) {
			int comp = 0;
			for (int j = 0; j < m->sci.n; j++)
				comp |= strncmp(m->sci.t[j], "RSV-", 4) == 0;
			if (!comp)
				return lsn_fail(err, LSN_EINPUT,
				    "ISM-SCI-RSV: RSV is used only with a compartment (CAPCO 2016 "
				    "RESERVE)");
		}
	}
	return 0;
}

int
acl_marking_validate(const acl_marking *m, lsn_err *err)
{
	const acl_data *d = m->data;
	int usowned = acl__clist_has(&m->owners, d->usa);

	if (m->cls == ACL_LEVEL_NONE)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-CLASSIFICATION: a marking needs a classification (CAPCO 2016 B.8)");
	if (m->owners.n == 0)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-OWNER: a marking needs an ownerProducer (ISM ownerProducer)");
	if ((D(REL) && D(NF)) || (D(EYES) && D(NF)) || (D(REL) && D(EYES)))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-REL-EYES-NF: REL, EYES and NF are mutually exclusive (CAPCO 2016 H.8)");
	if (D(RELIDO) && D(NF))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-RELIDO-NF: RELIDO may not be used with NOFORN (CAPCO 2016 H.8)");
	/* The templates' "Cannot be used with" (CAPCO 2016 NOFORN, RELIDO,
	 * ORCON, ORCON-USGOV, DISPLAY ONLY). */
	if (D(DISPLAYONLY) && (D(NF) || D(RELIDO)))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-DISPLAYONLY-NF-RELIDO: DISPLAY ONLY may not be used with %s (CAPCO "
		    "2016 DISPLAY ONLY)", D(NF) ? "NOFORN" : "RELIDO");
	if (D(RELIDO) && (D(OC) || D(OC_USGOV)))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-OC-RELIDO: %s may not be used with RELIDO (CAPCO 2016 %s)",
		    D(OC_USGOV) ? "ORCON-USGOV" : "ORCON", D(OC_USGOV) ? "ORCON-USGOV" : "ORCON");
	/* LES NOFORN and SBU NOFORN "may not be released or disclosed to
	 * foreign persons": in a banner they are NOFORN (CAPCO 2016 D.2
	 * Table 3), so beside a release marking in one portion they made a
	 * JOINT portion whose own banner (JOINT with NOFORN) broke
	 * ISM-JOINT-REL: a report that could not be stored. */
	if ((N(LES_NF) || N(SBU_NF)) && (D(REL) || D(EYES) || D(RELIDO) || D(DISPLAYONLY)))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-NONIC-NF-REL: %s may not be used with REL TO, EYES ONLY, RELIDO or "
		    "DISPLAY ONLY (CAPCO 2016 %s)", N(LES_NF) ? "LES NOFORN" : "SBU NOFORN",
		    N(LES_NF) ? "LES NOFORN" : "SBU NOFORN");
	if ((D(REL) || D(EYES)) != (m->rel.n > 0) /* both as 0 or 1 */)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-REL-LIST: REL (or EYES) is present exactly when releasableTo is "
		    "(CAPCO 2016 H.8 REL TO)");
	if (m->rel.n > 0 && !acl__clist_has(&m->rel, d->usa))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-REL-USA: releasableTo must include USA (CAPCO 2016 Register note **)");
	if (m->rel.n == 1)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-REL-LIST: REL TO (or EYES ONLY) names USA and at least one other "
		    "country or tetragraph (CAPCO 2016 REL TO [USA, LIST])");
	/* EYES ONLY is for the Second Party partners (CAPCO 2016 Register
	 * section 8 and EYES ONLY); a tetragraph stays (the ISM peer case
	 * USA/AUS/NATO EYES ONLY), and decide releases it only to the
	 * Five Eyes trigraphs it names. */
	if (D(EYES))
		for (int i = 0; i < m->rel.n; i++)
			if (!acl__eyes_may_name(d, m->rel.v[i]))
				return lsn_fail(err, LSN_EINPUT,
				    "ISM-EYES-LIST: EYES ONLY names USA and the Second Party partners "
				    "(AUS, CAN, GBR, NZL), not %s (CAPCO 2016 EYES ONLY)",
				    d->e[m->rel.v[i]].code);
	/* ATOMAL, BALK and BOHEMIA are NATO's: on a marking whose NATO
	 * source is not named, no NATO read-on was required and the ATOMAL
	 * read-on alone opened SECRET//ATOMAL (helper-19). */
	if (m->nonus != 0 && !(d->nato >= 0 && (acl__clist_has(&m->owners, d->nato) ||
	    acl__clist_has(&m->fgi_open, d->nato))) &&
	    !(m->resource && acl__clist_has(&m->fgi_prot, d->fgi))) /* a banner names no source */
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-NONUS-NATO: ATOMAL, BALK and BOHEMIA mark NATO information: NATO "
		    "must be an owner or a named FGI source (CAPCO 2016 FGI NATO)");
	if (acl__clist_has(&m->fgi_open, d->usa) || acl__clist_has(&m->fgi_prot, d->usa))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-FGI-USA: FGI names the foreign sources, not USA (CAPCO 2016 FGI)");
	/* Concealed FGI: "//FGI S" is ownerProducer and FGIsourceProtected
	 * FGI, "S//FGI" FGIsourceProtected FGI (ISM rules ID-00099, -00219
	 * and -00217; CAPCO 2016 FGI). */
	if (acl__clist_has(&m->owners, d->fgi)) {
		if (m->owners.n > 1)
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-FGI-OWNER: a concealed source (//FGI) is the only owner, "
			    "not beside named ones (ISM ownerProducer; CAPCO 2016 FGI)");
		if (!acl__clist_has(&m->fgi_prot, d->fgi))
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-FGI-PROTECTED: ownerProducer FGI needs FGIsourceProtected FGI "
			    "(ISM; CAPCO 2016 FGI)");
	}
	/* A protected source named in FGIsourceProtected ("DEU") showed in
	 * every XML view, a partner's too, where the banner said "FGI";
	 * ISM.ACES (Table 23) leaves any value but FGI to the data owner. */
	if (m->fgi_prot.n > 0 && (m->fgi_prot.n > 1 || m->fgi_prot.v[0] != d->fgi))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-FGI-ONLY: FGIsourceProtected is FGI alone: a concealed source is "
		    "not named (ISM; ISM.ACES Table 23)");
	/* "Do not mix concealed FGI, e.g., (//FGI S//REL TO USA, ACGU) with
	 * acknowledged FGI, e.g., (//GBR S//NF) within the same portion"
	 * (CAPCO 2016 FGI): a concealed source goes with no named one, as a
	 * foreign owner or in FGIsourceOpen; the roll-up of portions of
	 * both kinds names none, the most restrictive form (acl_rollup). */
	if (m->fgi_prot.n > 0 && (m->fgi_open.n > 0 || m->owners.n != 1 ||
	    (m->owners.v[0] != d->usa && m->owners.v[0] != d->fgi)))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-FGI-MIX: a concealed FGI source goes with no named one, as an owner "
		    "or in FGIsourceOpen (CAPCO 2016 FGI)");
	if (!!D(DISPLAYONLY) != (m->disp.n > 0))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-DISPLAYONLY-LIST: DISPLAYONLY is present exactly when displayOnlyTo "
		    "is (CAPCO 2016 H.8 DISPLAY ONLY)");
	if (D(FOUO) && m->cls != ACL_LEVEL_U)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-FOUO-U: FOUO is used only on UNCLASSIFIED information (CAPCO 2016 H.8 FOUO)");
	if (D(OC) && m->cls < ACL_LEVEL_C)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-OC-CLASSIFIED: ORCON needs CONFIDENTIAL or higher (CAPCO 2016 H.8 ORCON)");
	if (D(OC_USGOV) && !D(OC))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-OC-USGOV: OC-USGOV is used with OC (ISM.ACES Table 27)");
	if (D(EYES) && m->cls < ACL_LEVEL_C)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-EYES-CLASSIFIED: EYES ONLY needs CONFIDENTIAL or higher (CAPCO 2016 H.8 EYES)");
	if (sci_validate(m, err) != 0)
		return LSN_EINPUT;
	if (m->sar.n > 0 && m->cls < ACL_LEVEL_C)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-SAR-LEVEL: SAR is used only with TOP SECRET, SECRET or CONFIDENTIAL "
		    "(CAPCO 2016 SPECIAL ACCESS REQUIRED)");
	if ((D(IMC) || D(RS)) && m->cls < ACL_LEVEL_S)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-DISSEM-LEVEL: %s is used only with TOP SECRET or SECRET (CAPCO 2016 %s)",
		    D(IMC) ? "IMCON" : "RSEN", D(IMC) ? "CONTROLLED IMAGERY" : "RISK SENSITIVE");
	/* The templates' "Relationship(s) to Other Markings" (CAPCO 2016).  A
	 * SIGMA or CNWDI is a subset of its family, written beside it (the
	 * banner "RD-SIGMA 20" is RD and RD-SG-20): alone, RD-SG-20 rendered
	 * as RD but never required the RD access. */
	for (int i = 0; i < m->aea.n; i++) {
		const char *t = m->aea.t[i];
		int family = strcmp(t, "RD") == 0 || strcmp(t, "FRD") == 0 ||
		    strcmp(t, "TFNI") == 0;
		int subset = strncmp(t, "RD-", 3) == 0 || strncmp(t, "FRD-", 4) == 0;
		if (strncmp(t, "RD-", 3) == 0 && !acl__toks_has(&m->aea, "RD"))
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-AEA-RD: %s needs RD beside it (CAPCO 2016 CNWDI and SIGMA: "
			    "\"Requires RD\")", t);
		if (strncmp(t, "FRD-", 4) == 0 && !acl__toks_has(&m->aea, "FRD"))
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-AEA-FRD: %s needs FRD beside it (CAPCO 2016 FRD SIGMA: "
			    "\"Requires FRD\")", t);
		if (family && m->cls < ACL_LEVEL_C)
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-AEA-LEVEL: %s is used only with TOP SECRET, SECRET or "
			    "CONFIDENTIAL (CAPCO 2016 %s)", t, t);
		if (subset && m->cls < ACL_LEVEL_S)
			return lsn_fail(err, LSN_EINPUT,
			    "ISM-AEA-LEVEL: %s is used only with TOP SECRET or SECRET (CAPCO 2016 "
			    "CNWDI and SIGMA)", t);
	}
	if ((N(DS) || N(SBU) || N(SBU_NF)) && m->cls != ACL_LEVEL_U)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-NONIC-U: %s is used only with UNCLASSIFIED (CAPCO 2016 %s)",
		    N(DS) ? "LIMDIS" : N(SBU) ? "SBU" : "SBU NOFORN",
		    N(DS) ? "LIMDIS" : N(SBU) ? "SBU" : "SBU NOFORN");
	if (N(XD) && N(ND))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-NONIC-XD-ND: EXDIS and NODIS cannot be used together (CAPCO 2016 EXDIS)");
	if ((N(ND) || N(XD)) && !D(NF))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-NONIC-NF: %s requires NOFORN (CAPCO 2016 H.9)",
		    N(ND) ? "NODIS" : "EXDIS");
	if (m->cls == ACL_LEVEL_R && usowned)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-R-NONUS: RESTRICTED is only for non-US markings (CAPCO 2016 Register "
		    "sections 1-2)");
	if (m->joint && m->owners.n < 2)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-JOINT-OWNERS: JOINT needs two or more owners (CAPCO 2016 H.3)");
	if (m->joint && !usowned)
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-JOINT-USA: USA is always a JOINT owner (CAPCO 2016 JOINT); foreign "
		    "information from several countries is written without JOINT, as "
		    "(//CAN GBR S)");
	if (acl__is_joint(m) && D(EYES))
		return lsn_fail(err, LSN_EINPUT,
		    "ISM-JOINT-EYES: JOINT requires REL TO, not EYES ONLY (CAPCO 2016 JOINT)");
	if (acl__is_joint(m)) {
		for (int i = 0; i < m->owners.n; i++)
			if (!rel_covers(d, &m->rel, m->owners.v[i]))
				return lsn_fail(err, LSN_EINPUT,
				    "ISM-JOINT-REL: JOINT owner %s must be in releasableTo "
				    "(CAPCO 2016 H.3)", d->e[m->owners.v[i]].code);
	}
	return 0;
}
