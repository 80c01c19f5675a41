/*
 * ingest/record.c - the stored form of a report: its segments (skeleton and
 * one per portion) and its label bytes (ingest.h describes both).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#define SKEL_MAGIC "LSK1"
#define PORT_MAGIC "LSP1"

/* ---- a sized writer: measure first, then fill (no realloc of plaintext) ---- */

struct w {
	uint8_t *p;  /* NULL while measuring */
	size_t n;
};

static void
w_bytes(struct w *w, const void *b, size_t n)
{
	if (w->p && n)
		memcpy(w->p + w->n, b, n);
	w->n += n;
}

static void
w_u8(struct w *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	w_bytes(w, &b, 1);
}

static void
w_u32(struct w *w, uint32_t v)
{
	uint8_t b[4];

	lsn_put_be32(b, v);
	w_bytes(w, b, 4);
}

static void
w_str(struct w *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	w_u32(w, (uint32_t)n);
	w_bytes(w, s, n);
}

/* A marking as "name=value\n" lines of its non-empty ISM attributes, once
 * into *out (malloc'd, caller wipes and frees). */
static int
marking_text(const acl_marking *m, char **out, size_t *len, lsn_err *err)
{
	const char *const *names = acl_attr_names();
	char *v[64] = { NULL };
	size_t n = 0, k;
	int rc = 0;

	*out = NULL;
	*len = 0;
	for (k = 0; names[k] != NULL && k < 64 && rc == 0; k++) {
		if ((rc = acl_marking_get_attr(&v[k], m, names[k], err)) == 0 && v[k][0] != '\0')
			n += strlen(names[k]) + strlen(v[k]) + 2;
	}
	if (rc == 0 && names[k] != NULL) /* never drop an attribute silently */
		rc = lsn_fail(err, LSN_EINTERNAL, "more ISM attributes than marking_text holds");
	if (rc == 0 && (*out = malloc(n ? n : 1)) == NULL)
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < k; i++) {
		if (rc == 0 && v[i][0] != '\0') {
			size_t a = strlen(names[i]), b = strlen(v[i]);
			memcpy(*out + *len, names[i], a);
			(*out)[*len + a] = '=';
			memcpy(*out + *len + a + 1, v[i], b);
			(*out)[*len + a + 1 + b] = '\n';
			*len += a + b + 2;
		}
		free(v[i]);
	}
	return rc;
}

static void
w_marking(struct w *w, const char *text, size_t len)
{
	w_u32(w, (uint32_t)len);
	w_bytes(w, text, len);
}

/* What the skeleton and a portion segment are written from. */
struct skel_arg {
	const ingest_doc *d;
	const char *mtext;
	size_t mlen;
};

struct portion_arg {
	const ingest_portion *p;
	const char *mtext;
	size_t mlen;
};

static int
skeleton(struct w *w, const struct skel_arg *a)
{
	w_bytes(w, SKEL_MAGIC, 4);
	w_u8(w, (unsigned)a->d->generic);
	w_str(w, a->d->id);
	w_str(w, a->d->date);
	w_u32(w, (uint32_t)a->d->nportions);
	w_marking(w, a->mtext, a->mlen);
	return 0;
}

static int
portion(struct w *w, const struct portion_arg *a)
{
	const ingest_portion *p = a->p;

	w_bytes(w, PORT_MAGIC, 4);
	w_u8(w, (unsigned)p->kind);
	w_u8(w, (unsigned)p->inherited);
	w_str(w, p->element);
	w_str(w, p->ntk);
	w_marking(w, a->mtext, a->mlen);
	w_u32(w, (uint32_t)p->text_len);
	w_bytes(w, p->text, p->text_len);
	return 0;
}

/* Measure, allocate, fill. */
static int
encode(int (*fn)(struct w *, const void *, lsn_err *), const void *arg,
    uint8_t **out, size_t *len, lsn_err *err)
{
	struct w w = { NULL, 0 };
	int rc;

	if ((rc = fn(&w, arg, err)) != 0)
		return rc;
	if ((w.p = malloc(w.n ? w.n : 1)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	*len = w.n;
	w.n = 0;
	if ((rc = fn(&w, arg, err)) != 0) {
		lsn_wipe_free(w.p, *len);
		return rc;
	}
	*out = w.p;
	return 0;
}

static int
skeleton_fn(struct w *w, const void *arg, lsn_err *err)
{
	(void)err;
	return skeleton(w, arg);
}

static int
portion_fn(struct w *w, const void *arg, lsn_err *err)
{
	(void)err;
	return portion(w, arg);
}

void
ingest_record_free(ingest_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nseg; i++)
		lsn_wipe_free((void *)r->segs[i].data, r->segs[i].len);
	free(r->segs);
	free(r->label);
	memset(r, 0, sizeof(*r));
}

static uint32_t
date_number(const char *s)
{
	/* YYYY-MM-DD -> YYYYMMDD; anything else -> 0 */
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return (uint32_t)(atoi(s) * 10000 + atoi(s + 5) * 100 + atoi(s + 8));
}

int
ingest_record_build(ingest_record *out, store *st, ingest_entries *entries,
    const ingest_doc *d, lsn_err *err)
{
	uint8_t (*labels)[ACL_LABEL_SIZE] = NULL;
	uint32_t *num = NULL;
	struct w w = { NULL, 0 };
	uint8_t fp[STORE_BLIND_LEN];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->nseg = 1 + d->nportions;
	if ((out->segs = calloc(out->nseg, sizeof(*out->segs))) == NULL ||
	    (labels = calloc(d->nportions ? d->nportions : 1, sizeof(*labels))) == NULL ||
	    (num = calloc(d->nportions ? d->nportions : 1, sizeof(*num))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	struct skel_arg sa = { d, NULL, 0 };
	char *mt = NULL;
	if ((rc = marking_text(d->banner, &mt, &sa.mlen, err)) != 0)
		goto out;
	sa.mtext = mt;
	rc = encode(skeleton_fn, &sa, (uint8_t **)&out->segs[0].data, &out->segs[0].len, err);
	lsn_wipe_free(mt, sa.mlen);
	if (rc != 0)
		goto out;
	/* Portions mostly repeat a few markings: each distinct one is
	 * rendered once and its text reused (seen[]: up to 8 of them). */
	struct {
		size_t portion;
		char *text;
		size_t len;
	} seen[8];
	size_t nseen = 0;
	for (size_t i = 0; i < d->nportions && rc == 0; i++) {
		const ingest_portion *p = &d->portions[i];
		struct portion_arg pa = { p, NULL, 0 };
		size_t k, reuse;
		for (k = 0; k < nseen; k++)
			if (acl_marking_identical(d->portions[seen[k].portion].marking, p->marking))
				break;
		reuse = k < nseen;
		if (reuse) {
			pa.mtext = seen[k].text;
			pa.mlen = seen[k].len;
			mt = NULL;
		} else if ((rc = marking_text(p->marking, &mt, &pa.mlen, err)) == 0) {
			pa.mtext = mt;
			if (nseen < sizeof(seen) / sizeof(seen[0])) {
				seen[nseen].portion = i;
				seen[nseen].text = mt;
				seen[nseen++].len = pa.mlen;
				mt = NULL; /* kept: freed below */
			}
		}
		if (rc == 0)
			rc = encode(portion_fn, &pa, (uint8_t **)&out->segs[i + 1].data,
			    &out->segs[i + 1].len, err);
		lsn_wipe_free(mt, pa.mlen);
		if (rc != 0)
			break;
		if (reuse) /* the same marking: the same label */
			memcpy(labels[i], labels[seen[k].portion], ACL_LABEL_SIZE);
		else if ((rc = acl_label_build(labels[i], p->marking, err)) != 0)
			break;
		/* The portion's marking entry: an earlier portion's with the same
		 * (kind, label, need-to-know), else the store-wide number. */
		const char *ntk = p->ntk ? p->ntk : "";
		size_t j;
		for (j = 0; j < i; j++) {
			const ingest_portion *q = &d->portions[j];
			if (q->kind == p->kind &&
			    memcmp(labels[j], labels[i], ACL_LABEL_SIZE) == 0 &&
			    strcmp(q->ntk ? q->ntk : "", ntk) == 0)
				break;
		}
		if (j < i)
			num[i] = num[j];
		else
			rc = ingest_entries_number(entries, (int)p->kind, labels[i], ntk,
			    strlen(ntk), &num[i], err);
	}
	for (size_t k = 0; k < nseen; k++)
		lsn_wipe_free(seen[k].text, seen[k].len);
	if (rc != 0)
		goto out;
	store_fingerprint(st, out->segs, out->nseg, fp);

	/* The label: version, date, fingerprint, each portion's entry. */
	w.n = INGEST_RLABEL_FIXED + 4 * d->nportions;
	if ((w.p = malloc(w.n)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	w.n = 0;
	w_u8(&w, INGEST_RLABEL_VERSION);
	w_u32(&w, date_number(d->date));
	w_bytes(&w, fp, sizeof(fp));
	uint8_t b2[2] = { (uint8_t)(d->nportions >> 8), (uint8_t)d->nportions };
	w_bytes(&w, b2, 2);
	for (size_t i = 0; i < d->nportions; i++)
		w_u32(&w, num[i]);
	out->label = w.p;
	out->label_len = w.n;
	w.p = NULL;
out:
	free(labels);
	free(num);
	free(w.p);
	if (rc != 0)
		ingest_record_free(out);
	return rc;
}

/* ---- reading labels ---- */

int
ingest_rlabel_view(ingest_rlabel *v, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf;

	memset(v, 0, sizeof(*v));
	if (len < INGEST_RLABEL_FIXED || p[0] != INGEST_RLABEL_VERSION)
		return LSN_EINPUT;
	v->date = lsn_get_be32(p + 1);
	v->fingerprint = p + 5;
	p += 5 + STORE_BLIND_LEN;
	v->nportions = ((size_t)p[0] << 8) | p[1];
	p += 2;
	if (len - INGEST_RLABEL_FIXED != 4 * v->nportions)
		return LSN_EINPUT;
	v->portions = p;
	for (size_t i = 0; i < v->nportions; i++)
		if (lsn_get_be32(p + 4 * i) == 0)
			return LSN_EINPUT; /* entries are numbered from 1 */
	return 0;
}

uint32_t
ingest_rlabel_entry(const ingest_rlabel *v, size_t i)
{
	return lsn_get_be32(v->portions + 4 * i);
}

/* ---- decoding segments ---- */

struct rd {
	const uint8_t *p, *end;
	int bad;
};

static const uint8_t *
r_bytes(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return p;
}

static unsigned
r_u8(struct rd *r)
{
	const uint8_t *p = r_bytes(r, 1);

	return p ? *p : 0;
}

static uint32_t
r_u32(struct rd *r)
{
	const uint8_t *p = r_bytes(r, 4);

	return p ? lsn_get_be32(p) : 0;
}

/* A length-prefixed string, copied and NUL-terminated (NULL when empty
 * and null_if_empty). */
static char *
r_str(struct rd *r, int null_if_empty)
{
	uint32_t n = r_u32(r);
	const uint8_t *p = r_bytes(r, n);
	char *s;

	if (p == NULL || (n == 0 && null_if_empty))
		return NULL;
	if ((s = malloc(n + 1)) == NULL) {
		r->bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int
r_marking(struct rd *r, const acl_data *data, acl_marking **out, lsn_err *err)
{
	uint32_t n = r_u32(r);
	const uint8_t *p = r_bytes(r, n), *end;
	acl_marking *m = NULL;
	char name[64], *val;
	int rc;

	*out = NULL;
	if (p == NULL)
		return lsn_fail(err, LSN_EINPUT, "stored marking is truncated");
	if ((rc = acl_marking_new(&m, data, err)) != 0)
		return rc;
	end = p + n;
	while (p < end) {
		const uint8_t *eq = memchr(p, '=', (size_t)(end - p));
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		if (eq == NULL || nl == NULL || eq > nl || (size_t)(eq - p) >= sizeof(name)) {
			acl_marking_free(m);
			return lsn_fail(err, LSN_EINPUT, "stored marking is malformed");
		}
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		if ((val = strndup((const char *)eq + 1, (size_t)(nl - eq - 1))) == NULL) {
			acl_marking_free(m);
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		}
		rc = acl_marking_set_attr(m, name, val, err);
		free(val);
		if (rc != 0) {
			acl_marking_free(m);
			return rc;
		}
		p = nl + 1;
	}
	*out = m;
	return 0;
}

int
ingest_record_decode(ingest_doc **out, const acl_data *data, const store_record *r,
    lsn_err *err)
{
	ingest_doc *d = NULL;
	struct rd rd;
	char *date = NULL;
	uint32_t n;
	int rc = LSN_EINPUT;

	*out = NULL;
	if (r->nseg < 1 || r->seg[0] == NULL || r->seg_len[0] < 4 ||
	    memcmp(r->seg[0], SKEL_MAGIC, 4) != 0)
		return lsn_fail(err, LSN_EINPUT, "stored report skeleton is malformed");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	rd = (struct rd){ r->seg[0] + 4, r->seg[0] + r->seg_len[0], 0 };
	d->generic = (int)r_u8(&rd);
	d->id = r_str(&rd, 0);
	date = r_str(&rd, 0);
	n = r_u32(&rd);
	if (rd.bad || d->id == NULL || date == NULL || n != r->nseg - 1) {
		rc = lsn_fail(err, LSN_EINPUT, "stored report skeleton is malformed");
		goto out;
	}
	snprintf(d->date, sizeof(d->date), "%s", date);
	if ((rc = r_marking(&rd, data, &d->banner, err)) != 0)
		goto out;
	if ((d->portions = calloc(n ? n : 1, sizeof(*d->portions))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	d->nportions = n;
	for (uint32_t i = 0; i < n; i++) {
		ingest_portion *p = &d->portions[i];
		const uint8_t *s = r->seg[i + 1];
		size_t len = r->seg_len[i + 1];
		if (s == NULL)
			continue; /* not decrypted: not the reader's to see */
		if (len < 4 || memcmp(s, PORT_MAGIC, 4) != 0) {
			rc = lsn_fail(err, LSN_EINPUT, "stored portion %u is malformed", i);
			goto out;
		}
		rd = (struct rd){ s + 4, s + len, 0 };
		p->kind = (int)r_u8(&rd);
		p->inherited = (int)r_u8(&rd);
		p->element = r_str(&rd, 0);
		p->ntk = r_str(&rd, 1);
		if (rd.bad || (rc = r_marking(&rd, data, &p->marking, err)) != 0) {
			rc = lsn_fail(err, LSN_EINPUT, "stored portion %u is malformed", i);
			goto out;
		}
		p->text = r_str(&rd, 0);
		if (rd.bad || p->text == NULL || p->element == NULL) {
			rc = lsn_fail(err, LSN_EINPUT, "stored portion %u is malformed", i);
			goto out;
		}
		p->text_len = strlen(p->text);
	}
	*out = d;
	d = NULL;
	rc = 0;
out:
	free(date);
	ingest_doc_free(d);
	return rc;
}
