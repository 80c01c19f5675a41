/*
 * acl/principal.c - principals: who reads, resolved against the registry
 * and membership so that decisions on labels are bit operations.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

#define ENC_VERSION 1
#define MAX_FIELD 4096

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int
acl_principal_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("._@-", s[i])))
			return 0;
	return 1;
}

/* Split on spaces and commas into a NULL-free list of copies. */
static int
split(const char *s, char ***out, size_t *n, lsn_err *err)
{
	char **v = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return 0;
	if (strlen(s) > MAX_FIELD)
		return lsn_fail(err, LSN_EINPUT, "list longer than %d bytes", MAX_FIELD);
	while (*s) {
		size_t len;
		char **nv;

		while (*s == ' ' || *s == ',' || *s == '\t')
			s++;
		if (!*s)
			break;
		len = strcspn(s, " ,\t");
		if ((nv = realloc(v, (k + 1) * sizeof(*v))) == NULL ||
		    (nv[k] = strndup(s, len)) == NULL) {
			if (nv)
				v = nv;
			for (size_t i = 0; i < k; i++)
				free(v[i]);
			free(v);
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		}
		v = nv;
		k++;
		s += len;
	}
	*out = v;
	*n = k;
	return 0;
}

static char *
join(char **v, size_t n)
{
	struct acl__buf b = { 0 };

	acl__buf_put(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (i)
			acl__buf_putc(&b, ' ');
		acl__buf_put(&b, v[i]);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static int
nato_level(const char *a)
{
	static const char *const r[] = { "", "", "NATO-R", "NATO-C", "NATO-S", "NATO-TS" };

	for (int i = 2; i <= 5; i++)
		if (strcmp(a, r[i]) == 0)
			return i;
	return 0;
}

/* A read-on for a NATO control (ISM.ACES Tables 48-50): NATO-ATOMAL,
 * NATO-BALK, NATO-BOHEMIA. */
static int
nato_control(const char *a)
{
	if (strncmp(a, "NATO-", 5) != 0)
		return 0;
	for (int i = 0; i < ACL__U_N; i++)
		if (strcmp(a + 5, acl__nonus_tok[i]) == 0)
			return 1;
	return 0;
}

int
acl_principal_new(acl_principal **out, const acl_data *data,
    const struct acl_principal_spec *spec, lsn_err *err)
{
	acl_principal *p = NULL;
	char **acc = NULL;
	size_t nacc = 0;
	int rc = 0;

	*out = NULL;
	if (!acl_principal_name_valid(spec->name))
		return lsn_fail(err, LSN_EINPUT, "%s", ACL_PRINCIPAL_NAME_RULE);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	p->data = data;
	p->registry_id = data->registry_id;
	snprintf(p->name, sizeof(p->name), "%s", spec->name);
	p->country = spec->country ? acl__lookup(data, spec->country, strlen(spec->country)) : -1;
	if (p->country < 0 || data->e[p->country].is_group) {
		rc = lsn_fail(err, LSN_EINPUT, "unknown country '%.40s' (a registry trigraph)",
		    spec->country ? spec->country : "");
		goto out;
	}
	if (spec->clearance != ACL_LEVEL_U && spec->clearance != ACL_LEVEL_C &&
	    spec->clearance != ACL_LEVEL_S && spec->clearance != ACL_LEVEL_TS) {
		rc = lsn_fail(err, LSN_EINPUT, "clearance must be U, C, S or TS");
		goto out;
	}
	p->clearance = spec->clearance;
	/* US government affiliation is a US person's (ISM.ACES 5.6.4, 5.7): a
	 * partner holding it read ORCON-USGOV, DSEN, LIMDIS and LES portions
	 * released to its country, and NATO UNCLASSIFIED without a read-on. */
	if (spec->usgov && p->country != data->usa) {
		rc = lsn_fail(err, LSN_EINPUT,
		    "US government affiliation (--usgov) is for a USA principal only, not %s",
		    data->e[p->country].code);
		goto out;
	}
	p->usgov = spec->usgov ? 1 : 0;
	/* An officer reads the audit log, which is not filtered by reader: it
	 * names every report, withheld or not, and every principal's query
	 * text, and an officer makes principals.  A partner holding the role
	 * read through it what its country may not (helper-28). */
	if ((spec->roles & ACL_ROLE_OFFICER) && p->country != data->usa) {
		rc = lsn_fail(err, LSN_EINPUT,
		    "the officer role is for a USA principal only, not %s (the audit log it "
		    "reads names every report)", data->e[p->country].code);
		goto out;
	}
	p->roles = spec->roles & (ACL_ROLE_ANALYST | ACL_ROLE_PARTNER | ACL_ROLE_OFFICER);
	p->disabled = spec->disabled ? 1 : 0;
	memcpy(p->reach, data->e[p->country].reach, sizeof(p->reach));
	/* ISM.ACES 5.6.10: EYES ONLY names USA and the Second Party partners. */
	p->five_eyes = acl__second_party(data, p->country);
	if ((rc = split(spec->accesses, &acc, &nacc, err)) != 0)
		goto out;
	for (size_t i = 0; i < nacc; i++) {
		const char *a = acc[i];
		int lv = nato_level(a);

		if (lv) {
			if (lv > p->nato_readon)
				p->nato_readon = lv;
		} else if (!(acl__sci_valid(a) || acl__aea_valid(a) ||
		    (strncmp(a, "SAR-", 4) == 0 && acl__sar_valid(a + 4)) ||
		    (strncmp(a, "ACCM-", 5) == 0 && acl__accm_valid(a)) || nato_control(a))) {
			rc = lsn_fail(err, LSN_EINPUT,
			    "unknown access '%.40s' (SCI control, SAR-PROGRAM, ACCM-NICKNAME, AEA, "
			    "NATO-R/C/S/TS or NATO-ATOMAL/BALK/BOHEMIA)",
			    a);
			goto out;
		}
		if ((rc = acl__toks_add(&p->acc, a, err)) != 0)
			goto out;
	}
	acl__toks_sort(&p->acc);
	if ((p->acc_hash = calloc((size_t)p->acc.n + 1, sizeof(uint64_t))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	for (int i = 0; i < p->acc.n; i++)
		p->acc_hash[i] = acl__access_hash(p->acc.t[i]);
	p->n_acc = (size_t)p->acc.n;
	qsort(p->acc_hash, p->n_acc, sizeof(uint64_t), cmp_u64);
	if ((rc = split(spec->groups, &p->groups, &p->n_groups, err)) != 0)
		goto out;
	for (size_t i = 0; i < p->n_groups; i++)
		if (!acl_access_auth_valid(p->groups[i], strlen(p->groups[i]))) {
			rc = lsn_fail(err, LSN_EINPUT, "invalid group name '%.40s'", p->groups[i]);
			goto out;
		}
	{
		char *tmp[ACL__MAXTOK];
		for (int i = 0; i < p->acc.n; i++)
			tmp[i] = p->acc.t[i];
		p->acc_str = join(tmp, (size_t)p->acc.n);
	}
	p->groups_str = join(p->groups, p->n_groups);
	if (p->acc_str == NULL || p->groups_str == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	*out = p;
	p = NULL;
out:
	for (size_t i = 0; i < nacc; i++)
		free(acc[i]);
	free(acc);
	acl_principal_free(p);
	return rc;
}

void
acl_principal_free(acl_principal *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_groups; i++)
		free(p->groups[i]);
	free(p->groups);
	free(p->acc_str);
	free(p->groups_str);
	free(p->acc_hash);
	free(p);
}

const char *acl_principal_name(const acl_principal *p) { return p->name; }
const char *acl_principal_country(const acl_principal *p) { return p->data->e[p->country].code; }
int acl_principal_clearance(const acl_principal *p) { return p->clearance; }
const char *acl_principal_accesses(const acl_principal *p) { return p->acc_str; }
const char *acl_principal_groups(const acl_principal *p) { return p->groups_str; }
int acl_principal_usgov(const acl_principal *p) { return p->usgov; }
unsigned acl_principal_roles(const acl_principal *p) { return p->roles; }
int acl_principal_disabled(const acl_principal *p) { return p->disabled; }

/*
 * Encoding, version 1:
 *   u8 version (1), u8 clearance, u8 flags (1 usgov, 2 disabled), u8 roles,
 *   then four fields, each u16 big-endian length + bytes:
 *   name, country, accesses (space separated), groups (space separated).
 */
static void
put_field(struct acl__buf *b, const char *s)
{
	size_t n = strlen(s);
	char l[2] = { (char)(n >> 8), (char)(n & 0xff) };

	acl__buf_putn(b, l, 2);
	acl__buf_putn(b, s, n);
}

int
acl_principal_encode(uint8_t **out, size_t *len, const acl_principal *p,
    lsn_err *err)
{
	struct acl__buf b = { 0 };
	char head[4] = { ENC_VERSION, (char)p->clearance,
		(char)((p->usgov ? 1 : 0) | (p->disabled ? 2 : 0)), (char)p->roles };

	*out = NULL;
	*len = 0;
	acl__buf_putn(&b, head, 4);
	put_field(&b, p->name);
	put_field(&b, acl_principal_country(p));
	put_field(&b, p->acc_str);
	put_field(&b, p->groups_str);
	if (b.oom) {
		free(b.p);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	*out = (uint8_t *)b.p;
	*len = b.n;
	return 0;
}

static int
get_field(const uint8_t **pp, const uint8_t *end, char **out, lsn_err *err)
{
	const uint8_t *p = *pp;
	size_t n;

	if (end - p < 2)
		return lsn_fail(err, LSN_EINPUT, "principal encoding truncated");
	n = (size_t)p[0] << 8 | p[1];
	p += 2;
	if ((size_t)(end - p) < n || n > MAX_FIELD)
		return lsn_fail(err, LSN_EINPUT, "principal encoding truncated");
	if (memchr(p, '\0', n) != NULL)
		return lsn_fail(err, LSN_EINPUT, "principal encoding holds a NUL byte");
	if ((*out = strndup((const char *)p, n)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	*pp = p + n;
	return 0;
}

int
acl_principal_decode(acl_principal **out, const acl_data *data,
    const uint8_t *buf, size_t len, lsn_err *err)
{
	char *f[4] = { NULL, NULL, NULL, NULL };
	const uint8_t *p = buf + 4, *end = buf + len;
	struct acl_principal_spec s;
	int rc = 0;

	*out = NULL;
	if (len < 4)
		return lsn_fail(err, LSN_EINPUT, "principal encoding truncated");
	if (buf[0] != ENC_VERSION)
		return lsn_fail(err, LSN_EINPUT, "principal encoding version %u is not known",
		    buf[0]);
	for (int i = 0; i < 4; i++)
		if ((rc = get_field(&p, end, &f[i], err)) != 0)
			goto out;
	if (p != end) {
		rc = lsn_fail(err, LSN_EINPUT, "principal encoding has trailing bytes");
		goto out;
	}
	if (buf[2] & ~3u) {
		rc = lsn_fail(err, LSN_EINPUT, "principal encoding has unknown flags");
		goto out;
	}
	s = (struct acl_principal_spec){ .name = f[0], .country = f[1],
		.clearance = buf[1], .accesses = f[2], .usgov = buf[2] & 1,
		.groups = f[3], .roles = buf[3], .disabled = (buf[2] & 2) != 0 };
	rc = acl_principal_new(out, data, &s, err);
out:
	for (int i = 0; i < 4; i++)
		free(f[i]);
	return rc;
}

/* s JSON-escaped as everywhere else (common: controls, U+2028, bidi
 * controls escaped; invalid UTF-8 as U+FFFD), in quotes. */
static void
json_str(struct acl__buf *b, const char *s)
{
	char *e = malloc(lsn_json_escaped_len(s) + 1);

	if (e == NULL) {
		b->oom = 1;
		return;
	}
	acl__buf_putc(b, '"');
	lsn_json_escape(e, s);
	acl__buf_put(b, e);
	acl__buf_putc(b, '"');
	free(e);
}

/* A space-separated list as a JSON array of strings: every item, however
 * long (a fixed buffer left out a group of 256 bytes or more, which the
 * text output showed: helper-28). */
static void
json_list(struct acl__buf *b, const char *s)
{
	int first = 1;

	acl__buf_putc(b, '[');
	while (*s) {
		size_t n = strcspn(s, " ");
		if (n > 0) {
			char *tok = strndup(s, n);
			if (tok == NULL) {
				b->oom = 1;
				return;
			}
			if (!first)
				acl__buf_putc(b, ',');
			json_str(b, tok);
			free(tok);
			first = 0;
		}
		s += n;
		while (*s == ' ')
			s++;
	}
	acl__buf_putc(b, ']');
}

int
acl_principal_json(char **out, const acl_principal *p, lsn_err *err)
{
	static const char *const lv[] = { "", "U", "R", "C", "S", "TS" };
	struct acl__buf b = { 0 };

	*out = NULL;
	acl__buf_put(&b, "{\"name\":");
	json_str(&b, p->name);
	acl__buf_put(&b, ",\"country\":");
	json_str(&b, acl_principal_country(p));
	acl__buf_put(&b, ",\"clearance\":");
	json_str(&b, lv[p->clearance]);
	acl__buf_put(&b, ",\"accesses\":");
	json_list(&b, p->acc_str);
	acl__buf_put(&b, ",\"usgov\":");
	acl__buf_put(&b, p->usgov ? "true" : "false");
	acl__buf_put(&b, ",\"groups\":");
	json_list(&b, p->groups_str);
	acl__buf_put(&b, ",\"roles\":[");
	acl__buf_put(&b, (p->roles & ACL_ROLE_ANALYST) ? "\"analyst\"" : "");
	if ((p->roles & ACL_ROLE_PARTNER)) {
		acl__buf_put(&b, (p->roles & ACL_ROLE_ANALYST) ? "," : "");
		acl__buf_put(&b, "\"partner\"");
	}
	if ((p->roles & ACL_ROLE_OFFICER)) {
		acl__buf_put(&b, (p->roles & (ACL_ROLE_ANALYST | ACL_ROLE_PARTNER)) ? "," : "");
		acl__buf_put(&b, "\"officer\"");
	}
	acl__buf_put(&b, "],\"disabled\":");
	acl__buf_put(&b, p->disabled ? "true" : "false");
	acl__buf_putc(&b, '}');
	if (b.oom) {
		free(b.p);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	*out = b.p;
	return 0;
}
