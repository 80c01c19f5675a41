/*
 * acl/data.c - the country/tetragraph registry and tetragraph membership,
 * loaded from the data files (DESIGN.md section 3: membership is dated
 * data, shipped as files, never C literals).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

#define MAX_FILE (1024 * 1024)

/* ---- SHA-256 (FIPS 180-4), for the data version and access hashes ---- */

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (int i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
		    K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

void
acl__sha256(const void *data, size_t n, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const uint8_t *p = data;
	uint8_t tail[128];
	size_t rest = n % 64, tl;
	uint64_t bits = (uint64_t)n * 8;

	for (size_t i = 0; i + 64 <= n; i += 64)
		sha_block(h, p + i);
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, p + n - rest, rest);
	tail[rest] = 0x80;
	tl = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha_block(h, tail);
	if (tl == 128)
		sha_block(h, tail + 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

uint64_t
acl__access_hash(const char *s)
{
	uint8_t d[32];
	uint64_t v = 0;
	char buf[ACL__TOKLEN + 8];

	/* Domain-separated, so the label format owns its hash space. */
	snprintf(buf, sizeof(buf), "acl1:%s", s);
	acl__sha256(buf, strlen(buf), d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return v;
}

/* ---- loading ---- */

static int
read_file(char **out, size_t *len, const char *path, lsn_err *err)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0;
	int rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		rc = lsn_fail(err, LSN_ENOTFOUND, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(MAX_FILE + 1)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	n = fread(buf, 1, MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = lsn_fail(err, LSN_EIO, "%s: read error", path);
		goto out;
	}
	if (n > MAX_FILE) {
		rc = lsn_fail(err, LSN_EINPUT, "%s: larger than %d bytes", path, MAX_FILE);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

int
acl__lookup(const acl_data *d, const char *code, size_t len)
{
	/* Used when parsing markings (decisions use bitsets): by every
	 * country of every marking a query rolls up or ingest reads. */
	size_t i = lsn_hash32(code, len) & (ACL__SLOTS - 1);

	for (; d->slot[i] != 0; i = (i + 1) & (ACL__SLOTS - 1)) {
		const char *c = d->e[d->slot[i] - 1].code;
		if (strncmp(c, code, len) == 0 && c[len] == '\0')
			return d->slot[i] - 1;
	}
	return -1;
}

/* Enter code d->e[k] into the lookup table (once: its caller checked). */
static void
slot_add(acl_data *d, int k)
{
	const char *c = d->e[k].code;
	size_t i = lsn_hash32(c, strlen(c)) & (ACL__SLOTS - 1);

	while (d->slot[i] != 0)
		i = (i + 1) & (ACL__SLOTS - 1);
	d->slot[i] = (uint16_t)(k + 1);
}

int
acl__is_member(const acl_data *d, int country, int entry)
{
	const struct acl__entry *e = &d->e[entry];

	if (country == entry)
		return 1;
	for (int i = 0; i < e->n_members; i++)
		if (e->members[i] == country)
			return 1;
	return 0;
}

static int
valid_code(const char *s, size_t n)
{
	if (n == 0 || n >= sizeof(((struct acl__entry *)0)->code))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			return 0;
	return 1;
}

/*
 * The registry CSV: "ValueClassification","Value","DescriptionClassification",
 * "Description","DeprecationDate".  Values that are patterns
 * ("NATO:[a-zA-Z...]", the NATO/NAC special words) are not codes: NAC
 * markings are not supported and so deny by default.
 */
static int
load_registry(acl_data *d, const char *text, const char *path, lsn_err *err)
{
	const char *p = text;
	int line = 0;

	if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF)
		p += 3;
	while (*p) {
		const char *eol = strchr(p, '\n'), *q, *v, *ve;
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);

		line++;
		/* the second quoted field */
		q = memchr(p, ',', ll);
		if (line == 1 || q == NULL || q + 1 >= p + ll || q[1] != '"')
			goto next;
		v = q + 2;
		ve = memchr(v, '"', (size_t)(p + ll - v));
		if (ve == NULL)
			return lsn_fail(err, LSN_EINPUT, "%s:%d: malformed line", path, line);
		if (!valid_code(v, (size_t)(ve - v)))
			goto next;
		if (ve - v == 3 && memcmp(v, "FGI", 3) == 0) /* concealed FGI's, below */
			return lsn_fail(err, LSN_EINPUT, "%s:%d: FGI is not a country code: "
			    "ISM reserves it for a concealed source", path, line);
		if (acl__lookup(d, v, (size_t)(ve - v)) >= 0)
			return lsn_fail(err, LSN_EINPUT, "%s:%d: duplicate code %.*s", path,
			    line, (int)(ve - v), v);
		if (d->n == ACL__MAXREG - 1) /* the last bit is concealed FGI's */
			return lsn_fail(err, LSN_EINPUT,
			    "%s: more than %d codes: the label format cannot hold them",
			    path, ACL__MAXREG - 1);
		memcpy(d->e[d->n].code, v, (size_t)(ve - v));
		d->e[d->n].code[ve - v] = '\0';
		/* A group is anything that is not a three-letter code; three-letter
		 * groups (NSG) are marked by the membership file. */
		d->e[d->n].is_group = (ve - v) != 3;
		slot_add(d, d->n);
		d->n++;
	next:
		p += ll;
		if (*p == '\n')
			p++;
	}
	if (d->n == 0)
		return lsn_fail(err, LSN_EINPUT, "%s: no codes", path);
	return 0;
}

static int
load_membership(acl_data *d, char *text, const char *path, lsn_err *err)
{
	char *save = NULL, *ln;
	int line = 0;

	for (ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *f1, *f2, *f3, *tok, *s2 = NULL;
		int g;
		struct acl__entry *e;

		line++;
		if (ln[strlen(ln) - 1] == '\r')
			ln[strlen(ln) - 1] = '\0';
		if (line == 1 || ln[0] == '#' || ln[0] == '\0')
			continue;
		f1 = ln;
		if ((f2 = strchr(f1, '\t')) == NULL)
			return lsn_fail(err, LSN_EINPUT, "%s:%d: expected 3 tab-separated fields",
			    path, line);
		*f2++ = '\0';
		if ((f3 = strchr(f2, '\t')) != NULL)
			*f3++ = '\0';
		else
			f3 = "";
		if ((g = acl__lookup(d, f1, strlen(f1))) < 0)
			return lsn_fail(err, LSN_EINPUT, "%s:%d: %s is not in the registry",
			    path, line, f1);
		e = &d->e[g];
		if (e->members != NULL)
			return lsn_fail(err, LSN_EINPUT, "%s:%d: %s listed twice", path, line, f1);
		e->is_group = 1;
		e->decomposable = strcmp(f2, "Yes") == 0;
		if ((e->members = calloc((size_t)d->n, sizeof(*e->members))) == NULL)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		/* "(suppressed)" and empty: membership not machine processable,
		 * ignored for access (ISM.ACES 5.6.8 note). */
		if (f3[0] == '(')
			continue;
		for (tok = strtok_r(f3, " ", &s2); tok; tok = strtok_r(NULL, " ", &s2)) {
			int c = acl__lookup(d, tok, strlen(tok));

			if (c < 0 || d->e[c].is_group)
				return lsn_fail(err, LSN_EINPUT,
				    "%s:%d: member %s of %s is not a registry country", path,
				    line, tok, f1);
			if (!acl__is_member(d, c, g) && e->n_members < d->n)
				e->members[e->n_members++] = (uint16_t)c;
		}
	}
	return 0;
}

static const char *
default_dir(void)
{
	const char *dir = getenv("LIAISON_DATA_DIR");

	return dir && *dir ? dir : LSN_DATADIR;
}

static void
hex12(char *out, const uint8_t *d)
{
	for (int i = 0; i < 6; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

int
acl_data_load(acl_data **out, const char *registry_path,
    const char *membership_path, lsn_err *err)
{
	acl_data *d = NULL;
	char *rtext = NULL, *mtext = NULL, rpath[4096], mpath[4096];
	size_t rlen = 0, mlen = 0;
	uint8_t h[32];
	char rh[13], mh[13];
	struct acl__buf ids = { 0 };
	int rc;

	*out = NULL;
	if (registry_path == NULL) {
		snprintf(rpath, sizeof(rpath), "%s/%s", default_dir(), ACL_REGISTRY_FILE);
		registry_path = rpath;
	}
	if (membership_path == NULL) {
		snprintf(mpath, sizeof(mpath), "%s/%s", default_dir(), ACL_MEMBERSHIP_FILE);
		membership_path = mpath;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->e = calloc(ACL__MAXREG, sizeof(*d->e))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	if ((rc = read_file(&rtext, &rlen, registry_path, err)) != 0 ||
	    (rc = read_file(&mtext, &mlen, membership_path, err)) != 0)
		goto out;
	acl__sha256(rtext, rlen, h);
	hex12(rh, h);
	acl__sha256(mtext, mlen, h);
	hex12(mh, h);
	if ((rc = load_registry(d, rtext, registry_path, err)) != 0 ||
	    (rc = load_membership(d, mtext, membership_path, err)) != 0)
		goto out;
	d->usa = acl__lookup(d, "USA", 3);
	d->nato = acl__lookup(d, "NATO", 4);
	if (d->usa < 0) {
		rc = lsn_fail(err, LSN_EINPUT, "%s: USA is missing", registry_path);
		goto out;
	}
	/* Each country's reach: itself and every group that lists it. */
	for (int c = 0; c < d->n; c++) {
		if (d->e[c].is_group)
			continue;
		for (int g = 0; g < d->n; g++)
			if (acl__is_member(d, c, g))
				d->e[c].reach[g / 64] |= 1ull << (g % 64);
	}
	/* The registry id hashes the ordered code list: label bit positions. */
	for (int i = 0; i < d->n; i++) {
		acl__buf_put(&ids, d->e[i].code);
		acl__buf_putc(&ids, '\n');
	}
	if (ids.oom) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	acl__sha256(ids.p, ids.n, h);
	/* Concealed FGI (CAPCO 2016 FGI: "//FGI S", "SECRET//FGI"; ISM's
	 * ownerProducer and FGIsourceProtected token FGI): an owner and a
	 * source that is no country.  It sits after the registry, outside
	 * its lookup table and its id, so that no list but those two takes
	 * it (the marking parsers add it by name) and no principal reaches
	 * it: a partner reads such a portion only through its release
	 * markings. */
	d->fgi = d->n;
	memcpy(d->e[d->fgi].code, "FGI", 4);
	d->registry_id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	snprintf(d->version, sizeof(d->version),
	    "ISMCAT V2022-NOV registry=%s membership=%s registry-id=%08x", rh, mh,
	    (unsigned)d->registry_id);
	*out = d;
	d = NULL;
	rc = 0;
out:
	free(ids.p);
	free(rtext);
	free(mtext);
	acl_data_free(d);
	return rc;
}

void
acl_data_free(acl_data *d)
{
	if (d == NULL)
		return;
	if (d->e)
		for (int i = 0; i < ACL__MAXREG; i++)
			free(d->e[i].members);
	free(d->e);
	free(d);
}

const char *
acl_data_version(const acl_data *d)
{
	return d->version;
}

uint32_t
acl_data_registry_id(const acl_data *d)
{
	return d->registry_id;
}

/* ---- growable strings ---- */

void
acl__buf_putn(struct acl__buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		/* 256 to start: a marking's attribute lines fit, where from 64
		 * they took three reallocs (ten a report at ingest). */
		size_t cap = (b->cap ? b->cap * 2 : 256);
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
acl__buf_put(struct acl__buf *b, const char *s)
{
	acl__buf_putn(b, s, strlen(s));
}

void
acl__buf_putc(struct acl__buf *b, char c)
{
	acl__buf_putn(b, &c, 1);
}
