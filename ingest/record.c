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
w_u16(struct w *w, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	w_bytes(w, b, 2);
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

/* A group segment: the portions of one (ACL label, need-to-know) pair,
 * each preceded by its index: all readable to a principal, or none. */
struct group_arg {
	const ingest_doc *d;
	const uint16_t *seg; /* each portion's segment */
	unsigned s;          /* this one */
	char *const *mtext;  /* each portion's marking text */
	const size_t *mlen;
};

#define GROUP_MAGIC "LSG1"

static int
group(struct w *w, const struct group_arg *a)
{
	uint32_t n = 0;

	for (size_t i = 0; i < a->d->nportions; i++)
		n += a->seg[i] == a->s;
	w_bytes(w, GROUP_MAGIC, 4);
	w_u32(w, n);
	for (size_t i = 0; i < a->d->nportions; i++) {
		if (a->seg[i] != a->s)
			continue;
		struct portion_arg pa = { &a->d->portions[i], a->mtext[i], a->mlen[i] };
		w_u32(w, (uint32_t)i);
		portion(w, &pa);
	}
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
group_fn(struct w *w, const void *arg, lsn_err *err)
{
	(void)err;
	return group(w, arg);
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

uint32_t
ingest_date_parse(const char *s, size_t n)
{
	uint32_t y = 0, m, d;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	for (size_t i = 0; i < 4; i++)
		y = y * 10 + (uint32_t)(s[i] - '0');
	m = (uint32_t)(s[5] - '0') * 10 + (uint32_t)(s[6] - '0');
	d = (uint32_t)(s[8] - '0') * 10 + (uint32_t)(s[9] - '0');
	if (y == 0 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	return y * 10000 + m * 100 + d;
}

static int
xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
two_digits(const char *s, unsigned *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return 0;
	*v = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	return 1;
}

int
ingest_date_read(const char *s, char out[INGEST_DATE_LEN + 1])
{
	static const uint8_t mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *tz;
	size_t n, tn;
	uint32_t ymd, y, m, d;
	unsigned hh, mm;

	while (xml_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && xml_space(s[n - 1]))
		n--;
	if (n < INGEST_DATE_LEN || (ymd = ingest_date_parse(s, INGEST_DATE_LEN)) == 0)
		return -1;
	/* A time zone (xs:date's Z or +hh:mm, -14:00 to +14:00) does not
	 * change which day it is. */
	tz = s + INGEST_DATE_LEN;
	tn = n - INGEST_DATE_LEN;
	if (!(tn == 0 || (tn == 1 && tz[0] == 'Z') ||
	      (tn == 6 && (tz[0] == '+' || tz[0] == '-') && two_digits(tz + 1, &hh) &&
	       tz[3] == ':' && two_digits(tz + 4, &mm) && mm < 60 && hh * 60 + mm <= 14 * 60)))
		return -1;
	y = ymd / 10000;
	m = ymd / 100 % 100;
	d = ymd % 100;
	if (d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return -1;
	memcpy(out, s, INGEST_DATE_LEN);
	out[INGEST_DATE_LEN] = '\0';
	return 0;
}

int
ingest_record_build(ingest_record *out, store *st, ingest_entries *entries,
    const ingest_doc *d, lsn_err *err)
{
	size_t np = d->nportions ? d->nportions : 1, nseg = 1;
	uint8_t (*labels)[ACL_LABEL_SIZE] = NULL;
	uint32_t *num = NULL;
	uint16_t *seg = NULL;
	size_t *first = NULL;
	uint8_t *own = NULL; /* mtext[i] was rendered for portion i */
	char **mtext = NULL;
	size_t *mlen = NULL;
	struct w w = { NULL, 0 };
	uint8_t fp[STORE_BLIND_LEN];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* The portions' scratch arrays in one block, each aligned for the
	 * next (seven callocs a report before). */
	uint8_t *block = calloc(np, sizeof(*mtext) + sizeof(*mlen) + sizeof(*first) +
	    sizeof(*num) + sizeof(*seg) + sizeof(*labels) + 1);
	if (block == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	mtext = (char **)(void *)block;
	mlen = (size_t *)(void *)(mtext + np);
	first = (size_t *)(void *)(mlen + np);
	num = (uint32_t *)(void *)(first + np);
	seg = (uint16_t *)(void *)(num + np);
	labels = (uint8_t(*)[ACL_LABEL_SIZE])(void *)(seg + np);
	own = (uint8_t *)(labels + np);
	/* Each portion: its marking rendered (once per distinct marking), its
	 * ACL label, its marking entry and its segment: portions of the same
	 * (label, need-to-know) pair share a segment, which every principal
	 * may read all of or none of.  first[] lists the portions that began
	 * something new (a marking, a segment or an entry), so each portion
	 * is compared with those only: O(portions x distinct), not squared. */
	size_t nfirst = 0;
	for (size_t i = 0; i < d->nportions && rc == 0; i++) {
		const ingest_portion *p = &d->portions[i];
		const char *ntk = p->ntk ? p->ntk : "";
		size_t k, same_m = i, same_s = i, same_e = i;
		for (k = 0; k < nfirst; k++) {
			const ingest_portion *q = &d->portions[first[k]];
			if (same_m == i && acl_marking_identical(q->marking, p->marking))
				same_m = first[k];
		}
		if (same_m < i) { /* the same marking: the same text and label */
			mtext[i] = mtext[same_m];
			mlen[i] = mlen[same_m];
			memcpy(labels[i], labels[same_m], ACL_LABEL_SIZE);
		} else if ((own[i] = 1, rc = acl_marking_attr_lines(&mtext[i], &mlen[i],
				p->marking, err)) != 0 ||
		    (rc = acl_label_build(labels[i], p->marking, err)) != 0) {
			break;
		}
		for (k = 0; k < nfirst && same_s == i; k++) {
			const ingest_portion *q = &d->portions[first[k]];
			if (memcmp(labels[first[k]], labels[i], ACL_LABEL_SIZE) == 0 &&
			    strcmp(q->ntk ? q->ntk : "", ntk) == 0)
				same_s = first[k];
		}
		seg[i] = same_s < i ? seg[same_s] : (uint16_t)nseg++;
		/* The entry: an earlier portion's of the same segment, kind and
		 * marking (equal markings share one text). */
		for (k = 0; k < nfirst && same_e == i; k++)
			if (seg[first[k]] == seg[i] && d->portions[first[k]].kind == p->kind &&
			    mtext[first[k]] == mtext[i])
				same_e = first[k];
		if (same_e < i)
			num[i] = num[same_e];
		else
			rc = ingest_entries_number(entries, (int)p->kind, labels[i], ntk,
			    strlen(ntk), mtext[i], mlen[i], &num[i], err);
		if (same_m == i || same_s == i || same_e == i)
			first[nfirst++] = i;
	}
	if (rc != 0)
		goto out;

	out->nseg = nseg;
	if ((out->segs = calloc(nseg, sizeof(*out->segs))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	struct skel_arg sa = { d, NULL, 0 };
	char *bt = NULL;
	if ((rc = acl_marking_attr_lines(&bt, &sa.mlen, d->banner, err)) != 0)
		goto out;
	sa.mtext = bt;
	rc = encode(skeleton_fn, &sa, (uint8_t **)&out->segs[0].data, &out->segs[0].len, err);
	lsn_wipe_free(bt, sa.mlen);
	for (unsigned k = 1; k < nseg && rc == 0; k++) {
		struct group_arg ga = { d, seg, k, mtext, mlen };
		rc = encode(group_fn, &ga, (uint8_t **)&out->segs[k].data, &out->segs[k].len, err);
	}
	if (rc != 0)
		goto out;
	store_fingerprint(st, out->segs, out->nseg, fp);

	/* The label: version, date, fingerprint, each portion's entry and
	 * segment. */
	w.n = INGEST_RLABEL_FIXED + INGEST_RLABEL_PORTION * d->nportions;
	if ((w.p = malloc(w.n)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	w.n = 0;
	w_u8(&w, INGEST_RLABEL_VERSION);
	w_u32(&w, ingest_date_parse(d->date, strlen(d->date)));
	w_bytes(&w, fp, sizeof(fp));
	w_u16(&w, (unsigned)d->nportions);
	for (size_t i = 0; i < d->nportions; i++) {
		w_u32(&w, num[i]);
		w_u16(&w, seg[i]);
	}
	out->label = w.p;
	out->label_len = w.n;
	w.p = NULL;
out:
	for (size_t i = 0; own != NULL && i < d->nportions; i++)
		if (own[i]) /* each distinct text once */
			lsn_wipe_free(mtext[i], mlen[i]);
	free(mtext); /* the block */
	free(w.p);
	if (rc != 0)
		ingest_record_free(out);
	return rc;
}

/* ---- reading labels ---- */

int
ingest_rlabel_date(const uint8_t *buf, size_t len, uint32_t *date)
{
	if (len < INGEST_RLABEL_FIXED || buf[0] != INGEST_RLABEL_VERSION)
		return LSN_EINPUT;
	*date = lsn_get_be32(buf + 1);
	return 0;
}

int
ingest_rlabel_view(ingest_rlabel *v, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf;

	memset(v, 0, sizeof(*v));
	if (ingest_rlabel_date(buf, len, &v->date) != 0)
		return LSN_EINPUT;
	v->fingerprint = p + 5;
	p += 5 + STORE_BLIND_LEN;
	v->nportions = ((size_t)p[0] << 8) | p[1];
	p += 2;
	if (len - INGEST_RLABEL_FIXED != INGEST_RLABEL_PORTION * v->nportions)
		return LSN_EINPUT;
	v->portions = p;
	v->nsegments = 1;
	for (size_t i = 0; i < v->nportions; i++) {
		unsigned s = ingest_rlabel_segment(v, i);
		if (ingest_rlabel_entry(v, i) == 0 || s == 0 || s > v->nsegments)
			return LSN_EINPUT; /* entries from 1; segments from 1, in order */
		if (s == v->nsegments)
			v->nsegments++;
	}
	return 0;
}

uint32_t
ingest_rlabel_entry(const ingest_rlabel *v, size_t i)
{
	return lsn_get_be32(v->portions + INGEST_RLABEL_PORTION * i);
}

unsigned
ingest_rlabel_segment(const ingest_rlabel *v, size_t i)
{
	const uint8_t *p = v->portions + INGEST_RLABEL_PORTION * i + 4;

	return ((unsigned)p[0] << 8) | p[1];
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

/* The markings a record decode has parsed: a report's portions mostly
 * repeat a few, so a repeat is a copy, not a second parse. */
#define SEEN_MARKINGS 8
struct seen {
	struct {
		const uint8_t *bytes;
		uint32_t len;
		const acl_marking *m;
	} e[SEEN_MARKINGS];
	size_t n;
};

int
ingest_marking_parse(acl_marking **out, const acl_data *data, const char *text,
    size_t len, lsn_err *err)
{
	const char *p = text, *end = text + len;
	acl_marking *m = NULL;
	char name[64], *val;
	int rc;

	*out = NULL;
	if ((rc = acl_marking_new(&m, data, err)) != 0)
		return rc;
	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (eq == NULL || nl == NULL || eq > nl || (size_t)(eq - p) >= sizeof(name)) {
			acl_marking_free(m);
			return lsn_fail(err, LSN_EINPUT, "stored marking is malformed");
		}
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		if ((val = strndup(eq + 1, (size_t)(nl - eq - 1))) == NULL) {
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

static int
r_marking(struct rd *r, const acl_data *data, struct seen *seen, acl_marking **out,
    lsn_err *err)
{
	uint32_t n = r_u32(r);
	const uint8_t *p = r_bytes(r, n);
	int rc;

	*out = NULL;
	if (p == NULL)
		return lsn_fail(err, LSN_EINPUT, "stored marking is truncated");
	for (size_t i = 0; i < seen->n; i++)
		if (seen->e[i].len == n && memcmp(seen->e[i].bytes, p, n) == 0)
			return acl_marking_dup(out, seen->e[i].m, err);
	if ((rc = ingest_marking_parse(out, data, (const char *)p, n, err)) != 0)
		return rc;
	if (seen->n < SEEN_MARKINGS) {
		/* The decoded doc owns *out; it outlives the decode. */
		seen->e[seen->n].bytes = p;
		seen->e[seen->n].len = n;
		seen->e[seen->n++].m = *out;
	}
	return 0;
}

int
ingest_record_decode(ingest_doc **out, const acl_data *data, const store_record *r,
    lsn_err *err)
{
	ingest_doc *d = NULL;
	struct rd rd;
	struct seen seen = { .n = 0 };
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
	if (rd.bad || d->id == NULL || date == NULL || n > INGEST_MAX_PORTIONS ||
	    r->nseg > (size_t)n + 1) {
		rc = lsn_fail(err, LSN_EINPUT, "stored report skeleton is malformed");
		goto out;
	}
	snprintf(d->date, sizeof(d->date), "%s", date);
	if ((rc = r_marking(&rd, data, &seen, &d->banner, err)) != 0)
		goto out;
	if ((d->portions = calloc(n ? n : 1, sizeof(*d->portions))) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	d->nportions = n;
	/* The group segments that were decrypted: each names its portions. */
	for (size_t k = 1; k < r->nseg; k++) {
		const uint8_t *s = r->seg[k];
		uint32_t count;
		if (s == NULL)
			continue; /* not decrypted: not the reader's to see */
		if (r->seg_len[k] < 8 || memcmp(s, GROUP_MAGIC, 4) != 0) {
			rc = lsn_fail(err, LSN_EINPUT, "stored segment %zu is malformed", k);
			goto out;
		}
		rd = (struct rd){ s + 4, s + r->seg_len[k], 0 };
		count = r_u32(&rd);
		for (uint32_t c = 0; c < count && !rd.bad; c++) {
			uint32_t i = r_u32(&rd);
			const uint8_t *magic = r_bytes(&rd, 4);
			ingest_portion *p;
			if (rd.bad || i >= n || d->portions[i].element != NULL ||
			    memcmp(magic, PORT_MAGIC, 4) != 0) {
				rc = lsn_fail(err, LSN_EINPUT, "stored segment %zu is malformed", k);
				goto out;
			}
			p = &d->portions[i];
			p->kind = (int)r_u8(&rd);
			p->inherited = (int)r_u8(&rd);
			p->element = r_str(&rd, 0);
			p->ntk = r_str(&rd, 1);
			if (rd.bad || (rc = r_marking(&rd, data, &seen, &p->marking, err)) != 0) {
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
		if (rd.bad || rd.p != rd.end) {
			rc = lsn_fail(err, LSN_EINPUT, "stored segment %zu is malformed", k);
			goto out;
		}
	}
	*out = d;
	d = NULL;
	rc = 0;
out:
	free(date);
	ingest_doc_free(d);
	return rc;
}

/* Skip a length-prefixed field. */
static void
r_skip(struct rd *r)
{
	uint32_t n = r_u32(r);

	(void)r_bytes(r, n);
}

int
ingest_record_portion_text(const store_record *r, unsigned k, uint32_t portion,
    char **text, lsn_err *err)
{
	const uint8_t *s;
	struct rd rd;
	uint32_t count;

	*text = NULL;
	if (k == 0 || k >= r->nseg || (s = r->seg[k]) == NULL || r->seg_len[k] < 8 ||
	    memcmp(s, GROUP_MAGIC, 4) != 0)
		return lsn_fail(err, LSN_EINPUT, "stored segment %u is malformed", k);
	rd = (struct rd){ s + 4, s + r->seg_len[k], 0 };
	count = r_u32(&rd);
	for (uint32_t c = 0; c < count && !rd.bad; c++) {
		uint32_t i = r_u32(&rd);
		const uint8_t *magic = r_bytes(&rd, 4);
		if (rd.bad || memcmp(magic, PORT_MAGIC, 4) != 0)
			break;
		(void)r_u8(&rd); /* kind */
		(void)r_u8(&rd); /* inherited */
		r_skip(&rd);     /* element */
		r_skip(&rd);     /* need-to-know */
		r_skip(&rd);     /* marking */
		if (i != portion) {
			r_skip(&rd);
			continue;
		}
		if ((*text = r_str(&rd, 0)) == NULL)
			break;
		return 0;
	}
	return lsn_fail(err, rd.bad ? LSN_EINPUT : LSN_ENOTFOUND, rd.bad ?
	    "stored segment %u is malformed" : "stored segment %u lacks portion %u", k,
	    (unsigned)portion);
}
