/*
 * query/view.c - releasable views (get), their renderings, and stats.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/internal.h"

#define WITHHELD_TITLE "[title withheld]"
/* An XML view's placeholders where the schema wants an element that the
 * view does not hold: a generic document's title, any paragraph. */
#define UNTITLED "[no title]"
#define NO_PARAGRAPH "[no paragraph in this view]"

/* The one answer for "missing" and "not yours to read". */
static int
no_report(lsn_err *err, const char *id)
{
	return lsn_fail(err, LSN_ENOTFOUND, "no report %.255s", id);
}

/*
 * The roll-up of the markings of d's portions (the placeholder of a
 * withheld title has none).  A view that was decoded whole (get) rolls up
 * what it decoded: the same markings as its entries', which hits roll up
 * (query__view_banner) without opening the report; test_query checks both
 * against one reference.
 */
static int
doc_banner(const acl_data *data, const ingest_doc *d, acl_marking **out, lsn_err *err)
{
	const acl_marking *m[INGEST_MAX_PORTIONS];
	size_t n = 0;

	for (size_t i = 0; i < d->nportions && n < INGEST_MAX_PORTIONS; i++)
		if (d->portions[i].marking != NULL)
			m[n++] = d->portions[i].marking;
	return acl_rollup_view(out, data, m, n, err);
}

/* The markings stats decoded, for the entries they belong to: the view's
 * banner is rolled up from those, with no marking parsed twice. */
static int
seed(query__entries *es, const ingest_rlabel *v, const uint8_t *readable,
    const ingest_doc *d, lsn_err *err)
{
	int rc;

	for (size_t i = 0; i < v->nportions; i++)
		if (readable[i] && (rc = query__entry_seed(es, ingest_rlabel_entry(v, i),
					d->portions[i].marking, err)) != 0)
			return rc;
	return 0;
}

int
query_get(store *st, const acl_data *data, const acl_principal *p, const char *id,
    ingest_doc **view, acl_marking **banner, size_t *withheld, lsn_err *err)
{
	store_snap *sn = NULL;
	ingest_doc *d = NULL;
	ingest_rlabel v;
	query__entries ents = { .who = p, .data = data };
	uint8_t *readable = NULL, *kinds = NULL;
	const uint8_t *label;
	uint64_t serial = 0;
	size_t ll, k = 0;
	int n, rc, title_withheld = 0;

	*view = NULL;
	*banner = NULL;
	*withheld = 0;
	if ((readable = malloc(INGEST_MAX_PORTIONS)) == NULL ||
	    (kinds = malloc(INGEST_MAX_PORTIONS)) == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	if ((rc = store_snap_begin(st, &sn, err)) != 0 ||
	    (rc = ingest_index_format_check(sn, err)) != 0)
		goto out;
	/* A missing id costs what one p may not read costs: the same lookups
	 * (store_record_peek_near), and a label decided (the next report's),
	 * before the same answer (DESIGN.md section 4).  Measured before: 0.9
	 * against 4.2 us, the report's existence told by the clock. */
	char near[STORE_MAX_ID + 1];
	int exact = 0;
	rc = store_record_peek_near(sn, id, near, &exact, &serial, &label, &ll, NULL);
	/* Another report's damage is not this answer's: p asked for an id
	 * that is not there. */
	if (rc == LSN_ENOTFOUND || (rc == LSN_EINPUT && (!exact || strlen(id) > STORE_MAX_ID))) {
		rc = no_report(err, id);
		goto out;
	}
	if (rc != 0) {
		rc = lsn_fail(err, rc, "report %s is corrupted", id);
		goto out;
	}
	ents.sn = sn;
	n = query__decide(&ents, near, label, ll, &v, readable, kinds, exact ? err : NULL);
	if (!exact) { /* decided only to take the time it takes */
		rc = no_report(err, id);
		goto out;
	}
	if (n < 0) {
		rc = n;
		goto out;
	}
	if (n == 0) {
		/* Exactly as if it did not exist (DESIGN.md section 4); only
		 * *withheld, for the audit log, tells the two apart. */
		*withheld = v.nportions;
		rc = no_report(err, id);
		goto out;
	}
	if ((rc = query__open(sn, data, serial, id, label, ll, &v, readable, NULL, &d, err)) != 0)
		goto out;
	/* Keep what may be read; a title that may not becomes a placeholder,
	 * in a native report, which always has one (a generic document's is
	 * optional: the placeholder would tell that an unreadable one exists). */
	for (size_t i = 0; i < d->nportions; i++) {
		ingest_portion *pt = &d->portions[i];
		if (readable[i]) {
			pt->view_only = readable[i] == 2;
			d->portions[k++] = *pt;
			continue;
		}
		(*withheld)++;
		if (kinds[i] == INGEST_TITLE && !title_withheld && !d->generic) {
			title_withheld = 1;
			memset(pt, 0, sizeof(*pt));
			pt->kind = INGEST_TITLE;
			pt->element = strdup("title");
			pt->text = strdup(WITHHELD_TITLE);
			if (pt->element == NULL || pt->text == NULL) {
				free(pt->element);
				free(pt->text);
				d->nportions = k;
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
				goto out;
			}
			pt->text_len = strlen(pt->text);
			d->portions[k++] = *pt;
		}
	}
	d->nportions = k;
	/* The stored banner describes everything: the view's is recomputed. */
	acl_marking_free(d->banner);
	d->banner = NULL;
	if ((rc = doc_banner(data, d, banner, err)) != 0)
		goto out;
	*view = d;
	d = NULL;
out:
	ingest_doc_free(d);
	query__entries_clear(&ents);
	store_snap_end(sn);
	free(readable);
	free(kinds);
	return rc;
}

/* ---- renderings ---- */

/* Write text into f with XML escapes (attr: an attribute's value). */
static void
xml_escaped(FILE *f, const char *s, int attr)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		/* a parser reads a raw CR as LF, and a tab or LF in an
		 * attribute as a space: kept as they are */
		case '\r': fputs("&#13;", f); break;
		case '\t': fputs("&#9;", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		default: fputc(*s, f);
		}
	}
}

static void
xml_text(FILE *f, const char *s)
{
	xml_escaped(f, s, 0);
}

static void
xml_attr(FILE *f, const char *s)
{
	xml_escaped(f, s, 1);
}

static void
json_str(FILE *f, const char *s)
{
	size_t n = lsn_json_escaped_len(s);
	char *buf = malloc(n + 1);

	fputc('"', f);
	if (buf != NULL) {
		lsn_json_escape(buf, s);
		fputs(buf, f);
		lsn_wipe_free(buf, n + 1);
	}
	fputc('"', f);
}

/* A FILE that keeps nothing: it counts what is written to it. */
static ssize_t
count_write(void *cookie, const char *buf, size_t n)
{
	(void)buf;
	*(size_t *)cookie += n;
	return (ssize_t)n;
}

/*
 * Render into an exactly sized buffer: run the writer once through a FILE
 * that only counts (unbuffered, so no stdio buffer holds report text),
 * then into the buffer with fmemopen, so report text never sits in a
 * buffer that realloc grew.  (A count taken with ftell on /dev/null, as
 * before, was only what stdio still held: any view over 4 KiB came out
 * cut.)
 */
static int
render(char **out, int (*fn)(FILE *, const ingest_doc *, const acl_marking *),
    const ingest_doc *v, const acl_marking *b, lsn_err *err)
{
	cookie_io_functions_t io = { .write = count_write };
	size_t n = 0;
	FILE *f = fopencookie(&n, "w", io);
	char *buf;
	int rc;

	*out = NULL;
	if (f == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	setvbuf(f, NULL, _IONBF, 0);
	rc = fn(f, v, b);
	if (fclose(f) != 0 || rc != 0)
		return lsn_fail(err, LSN_EINTERNAL, "cannot render the view");
	if ((buf = calloc(n + 1, 1)) == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if ((f = fmemopen(buf, n + 1, "w")) == NULL) {
		free(buf);
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	setvbuf(f, NULL, _IONBF, 0);
	rc = fn(f, v, b);
	if (fclose(f) != 0 || rc != 0) {
		lsn_wipe_free(buf, n + 1);
		return lsn_fail(err, LSN_EINTERNAL, "cannot render the view");
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static char *
mark(const acl_marking *m, enum acl_form form)
{
	char *s = NULL;

	if (m == NULL || acl_marking_render(&s, m, form, NULL) != 0)
		return NULL;
	return s;
}

static int
text_fn(FILE *f, const ingest_doc *v, const acl_marking *b)
{
	char *banner = mark(b, ACL_BANNER);

	if (banner == NULL)
		return -1;
	fprintf(f, "%s\n\n", banner);
	fprintf(f, "%s", v->id);
	if (v->date[0])
		fprintf(f, "    %s", v->date);
	fputs("\n\n", f);
	for (size_t i = 0; i < v->nportions; i++) {
		const ingest_portion *p = &v->portions[i];
		char *pm = mark(p->marking, ACL_PORTION);
		const char *label = p->kind == INGEST_ORIGINATOR ? "Originator: "
		    : p->kind == INGEST_COUNTRY ? "Country: "
		    : p->kind == INGEST_KEYWORDS ? "Keywords: " : "";
		/* One line a portion: its text cannot start a line of its own
		 * that reads as a portion mark or a banner. */
		if (p->marking != NULL)
			fprintf(f, "%s %s", pm ? pm : "(?)", label);
		lsn_fputs_line(f, p->text); /* the withheld title has no marking */
		fputs("\n\n", f);
		free(pm);
	}
	fprintf(f, "%s\n", banner);
	free(banner);
	return 0;
}

/* The ISM attributes of m as XML attributes. */
static void
xml_marking(FILE *f, const acl_marking *m)
{
	const char *const *names = acl_attr_names();

	for (size_t i = 0; names[i] != NULL; i++) {
		char *val = NULL;
		/* A view's banner covers every portion it shows
		 * (acl_rollup_view): none is written as excluded, so that the
		 * view ingests under the banner it shows. */
		if (strcmp(names[i], "resourceElement") == 0 ||
		    strcmp(names[i], "excludeFromRollup") == 0)
			continue;
		if (acl_marking_get_attr(&val, m, names[i], NULL) == 0 && val[0] != '\0') {
			fprintf(f, " ism:%s=\"", names[i]);
			xml_attr(f, val);
			fputc('"', f);
		}
		free(val);
	}
}

static void
xml_portion(FILE *f, const char *el, const ingest_portion *p)
{
	fprintf(f, "  <%s", el);
	if (p->marking != NULL)
		xml_marking(f, p->marking);
	else /* a placeholder (a withheld title, UNTITLED, NO_PARAGRAPH):
	      * unclassified, kept out of the roll-up */
		fputs(" ism:classification=\"U\" ism:ownerProducer=\"USA\" "
		      "ism:excludeFromRollup=\"true\"", f);
	if (p->ntk != NULL) {
		fputs(" lsn:access=\"", f);
		xml_attr(f, p->ntk);
		fputc('"', f);
	}
	fputc('>', f);
	xml_text(f, p->text);
	fprintf(f, "</%s>\n", el);
}

static int
xml_fn(FILE *f, const ingest_doc *v, const acl_marking *b)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fputs("<report xmlns=\"urn:liaison:report:1\" xmlns:lsn=\"urn:liaison:report:1\" "
	      "xmlns:ism=\"urn:us:gov:ic:ism\" id=\"", f);
	xml_attr(f, v->id);
	fputs("\" ism:resourceElement=\"true\"", f);
	if (v->date[0])
		fprintf(f, " ism:createDate=\"%s\"", v->date);
	xml_marking(f, b);
	fputs(">\n", f);
	/* Schema order: title, originator, date, country*, keywords, body.
	 * The schema wants a title, which a generic document may lack, or
	 * hold unreadable (no placeholder says so, above): the same one for
	 * both, so that a valid report tells neither. */
	int titled = 0;
	for (size_t i = 0; i < v->nportions; i++)
		if (v->portions[i].kind == INGEST_TITLE) {
			xml_portion(f, "title", &v->portions[i]);
			titled = 1;
		}
	if (!titled) {
		const ingest_portion untitled = { .kind = INGEST_TITLE, .text = (char *)UNTITLED,
			.text_len = sizeof(UNTITLED) - 1 };
		xml_portion(f, "title", &untitled);
	}
	for (size_t i = 0; i < v->nportions; i++)
		if (v->portions[i].kind == INGEST_ORIGINATOR)
			xml_portion(f, "originator", &v->portions[i]);
	if (v->date[0]) /* an undated report's view has none (no false date) */
		fprintf(f, "  <date>%s</date>\n", v->date);
	for (size_t i = 0; i < v->nportions; i++)
		if (v->portions[i].kind == INGEST_COUNTRY)
			xml_portion(f, "country", &v->portions[i]);
	for (size_t i = 0; i < v->nportions; i++)
		if (v->portions[i].kind == INGEST_KEYWORDS)
			xml_portion(f, "keywords", &v->portions[i]);
	/* The schema wants a paragraph too, which a view of the title alone
	 * lacks: a placeholder as for the title (every native report has
	 * one, so it tells nothing). */
	int paras = 0;
	fputs("  <body>\n", f);
	for (size_t i = 0; i < v->nportions; i++)
		if (v->portions[i].kind == INGEST_PARA || v->portions[i].kind == INGEST_OTHER) {
			fputs("  ", f);
			xml_portion(f, "p", &v->portions[i]);
			paras = 1;
		}
	if (!paras) {
		const ingest_portion none = { .kind = INGEST_PARA, .text = (char *)NO_PARAGRAPH,
			.text_len = sizeof(NO_PARAGRAPH) - 1 };
		fputs("  ", f);
		xml_portion(f, "p", &none);
	}
	fputs("  </body>\n</report>\n", f);
	return 0;
}

static int
json_fn(FILE *f, const ingest_doc *v, const acl_marking *b)
{
	char *banner = mark(b, ACL_BANNER);
	size_t n = 0;

	if (banner == NULL)
		return -1;
	fputs("{\"id\":", f);
	json_str(f, v->id);
	fputs(",\"date\":", f);
	json_str(f, v->date);
	fputs(",\"banner\":", f);
	json_str(f, banner);
	/* As a query's hit: DISPLAY ONLY for the reader, on the view and on
	 * each such portion. */
	for (size_t i = 0; i < v->nportions; i++)
		if (v->portions[i].view_only) {
			fputs(",\"display_only\":true", f);
			break;
		}
	fputs(",\"portions\":[", f);
	for (size_t i = 0; i < v->nportions; i++) {
		const ingest_portion *p = &v->portions[i];
		char *pm = mark(p->marking, ACL_PORTION);
		fprintf(f, "%s{\"kind\":\"%s\",\"portion\":", n++ ? "," : "",
		    ingest_kind_name(p->kind));
		if (pm)
			json_str(f, pm);
		else
			fputs("null", f);
		fputs(",\"text\":", f);
		json_str(f, p->text);
		if (p->view_only)
			fputs(",\"display_only\":true", f);
		fputc('}', f);
		free(pm);
	}
	fputs("]}\n", f);
	free(banner);
	return 0;
}

int
query_view_text(char **out, const ingest_doc *v, const acl_marking *b, lsn_err *err)
{
	return render(out, text_fn, v, b, err);
}

int
query_view_xml(char **out, const ingest_doc *v, const acl_marking *b, lsn_err *err)
{
	return render(out, xml_fn, v, b, err);
}

int
query_view_json(char **out, const ingest_doc *v, const acl_marking *b, lsn_err *err)
{
	return render(out, json_fn, v, b, err);
}

/* ---- stats ---- */

#define MAX_KEYS 4096

struct counter {
	char *key[MAX_KEYS];
	uint64_t n[MAX_KEYS];
	size_t len;
};

static void
count(struct counter *c, const char *key)
{
	for (size_t i = 0; i < c->len; i++)
		if (strcmp(c->key[i], key) == 0) {
			c->n[i]++;
			return;
		}
	if (c->len < MAX_KEYS && (c->key[c->len] = strdup(key)) != NULL)
		c->n[c->len++] = 1;
}

/* Classifications sort by level, other keys by bytes. */
static int
key_cmp(const char *dim, const char *a, const char *b)
{
	if (strcmp(dim, "classification") == 0)
		return acl_level_parse(a, strlen(a)) - acl_level_parse(b, strlen(b));
	return strcmp(a, b);
}

static int
report_counts(struct counter *c, const char *dim, query_stats_fn fn, void *ctx)
{
	int rc = 0;

	/* Key order: a simple selection sort; MAX_KEYS is small. */
	for (size_t i = 0; i < c->len; i++)
		for (size_t j = i + 1; j < c->len; j++)
			if (key_cmp(dim, c->key[j], c->key[i]) < 0) {
				char *k = c->key[i];
				uint64_t n = c->n[i];
				c->key[i] = c->key[j];
				c->n[i] = c->n[j];
				c->key[j] = k;
				c->n[j] = n;
			}
	for (size_t i = 0; i < c->len && rc == 0; i++)
		rc = fn(ctx, dim, c->key[i], c->n[i]);
	return rc;
}

struct stats_ctx {
	store_snap *sn;
	const acl_data *data;
	const acl_principal *p;
	query__entries ents; /* decided for p */
	struct counter cls, country, month;
	uint8_t readable[INGEST_MAX_PORTIONS], kinds[INGEST_MAX_PORTIONS];
	uint8_t want[INGEST_MAX_PORTIONS]; /* the readable country portions */
	uint64_t visible;
	lsn_err *err;
};

static int
stats_one(void *ctx, uint64_t serial, const char *id, const uint8_t *label, size_t ll)
{
	struct stats_ctx *s = ctx;
	ingest_rlabel v;
	ingest_doc *d = NULL;
	const acl_marking *b;
	char month[16];
	int n, rc;

	n = query__decide(&s->ents, id, label, ll, &v, s->readable, s->kinds, s->err);
	if (n < 0)
		return n;
	if (n == 0)
		return 0;
	/* Only the readable country portions are opened (the segments that
	 * hold them): the banner is the roll-up of the readable portions'
	 * marking entries, and the month is on the label.  Opening every
	 * readable portion, decompressed and its markings parsed, was four
	 * fifths of the time. */
	uint8_t *want = s->want;
	int any = 0;
	for (size_t i = 0; i < v.nportions; i++)
		any |= want[i] = s->readable[i] && s->kinds[i] == INGEST_COUNTRY;
	if (any && ((rc = query__open(s->sn, s->data, serial, id, label, ll, &v, s->readable,
			 want, &d, s->err)) != 0 ||
		       (rc = seed(&s->ents, &v, want, d, s->err)) != 0)) {
		ingest_doc_free(d);
		return rc;
	}
	if ((rc = query__view_banner(&s->ents, &v, s->readable, &b, NULL, s->err)) == 0) {
		int lv = acl_marking_level(b);
		s->visible++;
		count(&s->cls, lv ? acl_level_name(lv) : "none");
		/* Each country once per report, however often it is named. */
		for (size_t i = 0; d != NULL && i < d->nportions; i++) {
			int dup = 0;
			if (d->portions[i].marking == NULL || !want[i])
				continue;
			for (size_t j = 0; j < i && !dup; j++)
				dup = d->portions[j].marking != NULL && want[j] &&
				    strcmp(d->portions[j].text, d->portions[i].text) == 0;
			if (!dup)
				count(&s->country, d->portions[i].text);
		}
		if (v.date) {
			snprintf(month, sizeof(month), "%04u-%02u", v.date / 10000 % 10000,
			    v.date / 100 % 100);
			count(&s->month, month);
		}
	}
	ingest_doc_free(d);
	return rc;
}

/* Whether stats reads a run of the every-report word: p may read it. */
static int
stats_want(void *ctx, uint32_t audience)
{
	struct stats_ctx *s = ctx;

	return query__audience_readable(&s->ents, audience, s->err);
}

static int
cmp_serial(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The reports p may read, from the runs it may read of the word every
 * report is posted under (a posting for each of its marking entries): a
 * report is visible exactly when one of its entries is readable.  So stats
 * reads nothing of the reports p may read nothing of, and its time does
 * not tell how many there are (until layout 10 it decided every label).
 * Their labels are then read in serial order, as the labels lie.
 */
static int
stats_reports(store *st, struct stats_ctx *s)
{
	uint8_t blind[STORE_BLIND_LEN], *blk = NULL;
	ingest_block_plan pl = { stats_want, s, 0, 0, 0, 0 };
	ingest_block_view view = { 0 };
	ingest_posting *p = NULL;
	uint64_t *serials = NULL, batches = store_postings_batches(s->sn);
	size_t cap = 0, len = 0, pcap = 0, n = 0, ns = 0, scap = 0;
	int rc = 0;

	ingest_blind(st, INGEST_EVERY_REPORT, strlen(INGEST_EVERY_REPORT), blind);
	for (uint64_t b = 1; b < batches && rc == 0; b++) {
		if ((rc = ingest_block_read(s->sn, blind, b, &pl, &blk, &cap, &len, &view,
			 s->err)) != 0 || len == 0)
			continue;
		if ((rc = ingest_runs_decode(blk, view.end, view.n, &p, &n, &pcap)) != 0) {
			rc = lsn_fail(s->err, rc, rc == LSN_EINTERNAL ? "out of memory" :
			    "a malformed posting block");
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (i > 0 && p[i].serial == p[i - 1].serial)
				continue; /* a report's postings come together */
			if (ns == scap) {
				size_t c = scap ? 2 * scap : 4096;
				uint64_t *ns2 = realloc(serials, c * sizeof(*ns2));
				if (ns2 == NULL) {
					rc = lsn_fail(s->err, LSN_EINTERNAL, "out of memory");
					break;
				}
				serials = ns2;
				scap = c;
			}
			serials[ns++] = p[i].serial;
		}
	}
	if (rc == 0 && ns > 1)
		qsort(serials, ns, sizeof(*serials), cmp_serial);
	for (size_t i = 0; i < ns && rc == 0; i++) {
		const char *id;
		const uint8_t *label;
		size_t ll;
		if ((rc = store_serial_lookup(s->sn, serials[i], &id, &label, &ll, s->err)) == 0)
			rc = stats_one(s, serials[i], id, label, ll);
		else if (rc == LSN_ENOTFOUND)
			rc = 0; /* a posting of a report no longer stored */
	}
	lsn_wipe_free(blk, cap);
	lsn_wipe_free(p, pcap * sizeof(*p));
	free(serials);
	ingest_block_view_free(&view);
	return rc;
}

int
query_stats(store *st, const acl_data *data, const acl_principal *p,
    query_stats_fn fn, void *ctx, uint64_t *visible, lsn_err *err)
{
	struct stats_ctx *s = calloc(1, sizeof(*s));
	int rc;

	*visible = 0;
	if (s == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	s->data = data;
	s->p = p;
	s->err = err;
	if ((rc = store_snap_begin(st, &s->sn, err)) != 0 ||
	    (rc = ingest_index_format_check(s->sn, err)) != 0)
		goto out;
	s->ents.sn = s->sn;
	s->ents.who = p;
	s->ents.data = data;
	if ((rc = stats_reports(st, s)) != 0)
		goto out;
	*visible = s->visible;
	if ((rc = report_counts(&s->cls, "classification", fn, ctx)) == 0 &&
	    (rc = report_counts(&s->country, "country", fn, ctx)) == 0)
		rc = report_counts(&s->month, "month", fn, ctx);
out:
	query__entries_clear(&s->ents);
	store_snap_end(s->sn);
	for (size_t i = 0; i < s->cls.len; i++)
		free(s->cls.key[i]);
	for (size_t i = 0; i < s->country.len; i++) /* portion text */
		lsn_wipe_free(s->country.key[i], strlen(s->country.key[i]));
	for (size_t i = 0; i < s->month.len; i++)
		free(s->month.key[i]);
	free(s);
	return rc;
}
