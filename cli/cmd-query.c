/*
 * cli/cmd-query.c - liaison query: search what the principal may read.
 *
 * Exit status: 0 (also for zero hits), 64 usage, 65 a query that does not
 * parse (the message gives the position), 74 an audit entry that cannot be
 * written, 77 not a principal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "query/query.h"
#include "store/store.h"

enum { O_JSON = 1, O_LIMIT, O_OFFSET };

static const struct cli_opt opts[] = {
	{ "json", 0, O_JSON, NULL, "one JSON object per hit: id, title, banner, date" },
	{ "limit", 1, O_LIMIT, "N", "at most N hits (default 20, at most 100000)" },
	{ "offset", 1, O_OFFSET, "N", "skip the first N hits (at most 1000000)" },
	{ NULL, 0, 0, NULL, NULL },
};

/* Hits are kept until the audit entry is written, then printed. */
struct kept {
	char *id, *title, *banner, *date;
	int view_only;
};

struct out {
	int json;
	struct kept *hits;
	size_t n, cap;
};

static int
on_hit(void *ctx, const query_hit *h)
{
	struct out *o = ctx;
	struct kept *k;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 32;
		struct kept *p = calloc(cap, sizeof(*p));
		if (p == NULL)
			return LSN_EINTERNAL;
		if (o->n)
			memcpy(p, o->hits, o->n * sizeof(*p));
		free(o->hits); /* holds pointers only, no text */
		o->hits = p;
		o->cap = cap;
	}
	k = &o->hits[o->n];
	k->id = strdup(h->id);
	k->title = strdup(h->title);
	k->banner = strdup(h->banner);
	k->date = strdup(h->date);
	k->view_only = h->view_only;
	if (!k->id || !k->title || !k->banner || !k->date) { /* wiped, not left */
		o->n++;
		return LSN_EINTERNAL;
	}
	o->n++;
	return 0;
}

static void
print_hit(const struct out *o, const struct kept *h)
{
	if (o->json) {
		fputs("{\"id\":", stdout);
		lsn_json_fputs(stdout, h->id);
		fputs(",\"title\":", stdout);
		lsn_json_fputs(stdout, h->title);
		fputs(",\"banner\":", stdout);
		lsn_json_fputs(stdout, h->banner);
		fputs(",\"date\":", stdout);
		lsn_json_fputs(stdout, h->date);
		if (h->view_only)
			fputs(",\"display_only\":true", stdout);
		fputs("}\n", stdout);
	} else {
		printf("%-16s %-10s ", h->id, h->date);
		lsn_fputs_line(stdout, h->title); /* a title cannot start a line */
		printf("\n%16s %s\n", "", h->banner);
	}
}

static void
kept_free(struct out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->hits[i].id);
		lsn_wipe_free(o->hits[i].title, o->hits[i].title ? strlen(o->hits[i].title) : 0);
		free(o->hits[i].banner);
		free(o->hits[i].date);
	}
	free(o->hits);
}

/* What both runs of a query share: the store, who asks, what, and the page. */
struct search {
	store *st;
	const acl_data *data;
	const acl_principal *who;
	const query *q;
	query_opts qo;
};

/*
 * Run the search, counting the withheld reports (which reads the postings
 * of portions s->who may not read) or not (only the readable portions'
 * postings: the answer).
 */
static int
search_run(const struct search *s, int count_withheld, query_hit_fn fn,
    void *fctx, query_result *res, lsn_err *err)
{
	query_opts qo = s->qo;

	qo.count_withheld = count_withheld;
	return query_run(s->st, s->data, s->who, s->q, &qo, fn, fctx, res, err);
}

static int
discard(void *ctx, const query_hit *h)
{
	(void)ctx;
	(void)h;
	return 0;
}

/* The reason of the second entry, which names the entry it completes. */
#define WITHHELD_NOTE "withheld count of the query audited before it"

/*
 * After the answer is out: count the reports withheld from it in a second
 * run and audit the count in an entry of its own (ev is the answer's entry).
 * The count's time depends on postings the principal may not read, so it
 * must not delay the answer; nothing else of this run reaches the
 * principal either: a run that fails is the log's business alone (its
 * error could depend on an unreadable posting), and the exit status stays
 * the answer's.  Returns 0, or 74 when the entry cannot be written.
 */
static int
audit_withheld(struct cli_ctx *ctx, const struct search *s,
    store_audit_event ev)
{
	char why[sizeof(WITHHELD_NOTE) + sizeof(((lsn_err *)0)->msg) + 2];
	query_result res;
	lsn_err err;

	ev.hits = -1;
	if (search_run(s, 1, discard, NULL, &res, &err) == 0) {
		ev.outcome = "SUCCESS";
		ev.reason = WITHHELD_NOTE;
		ev.withheld = (int64_t)res.withheld;
	} else {
		snprintf(why, sizeof(why), "%s: %s", WITHHELD_NOTE, err.msg);
		ev.outcome = "FAILURE";
		ev.reason = why;
		ev.withheld = -1;
	}
	/* The answer is already out: all a failure here can do is say that
	 * its count is missing from the log, and exit 74. */
	return cli_audit(ctx, s->st, &ev) != 0 ? 74 : 0;
}

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	const char *arg;
	struct out o = { 0 };
	query_opts qo = { .limit = 20 };
	query_result res;
	acl_data *data = NULL;
	acl_principal *who = NULL;
	query *q = NULL;
	store *st = NULL;
	char *text = NULL;
	size_t len = 0, errpos = 0;
	lsn_err err;
	long v;
	int c, rc;

	while ((c = cli_next_opt(ctx, self, argc, argv, &arg)) > 0) {
		switch (c) {
		case O_JSON:
			o.json = 1;
			break;
		case O_LIMIT:
			if (cli_parse_long(ctx, "limit", arg, 1, QUERY_MAX_LIMIT, &v) != 0)
				return 64;
			qo.limit = (size_t)v;
			break;
		case O_OFFSET:
			if (cli_parse_long(ctx, "offset", arg, 0, QUERY_MAX_OFFSET, &v) != 0)
				return 64;
			qo.offset = (size_t)v;
			break;
		}
	}
	if (c < 0)
		return 64;
	if (optind >= argc)
		return cli_usage_error(ctx, "no query given");
	/* The words of the command line, joined by spaces, are the query. */
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((text = calloc(len + 1, 1)) == NULL)
		return cli_error(ctx, LSN_EINTERNAL, "query: out of memory");
	for (int i = optind; i < argc; i++) {
		strcat(text, argv[i]);
		if (i + 1 < argc)
			strcat(text, " ");
	}
	/* A query's words can be sensitive: not left for ps(1) and
	 * /proc/PID/cmdline to show other local users while it runs. */
	for (int i = optind; i < argc; i++)
		lsn_wipe(argv[i], strlen(argv[i]));
	/* The entry's detail: the text, and the page asked for when it is not
	 * the first 20 hits, without which its counts cannot be read (the
	 * withheld count depends on offset + limit: helper-28). */
	char *detail = text, *paged = NULL;
	if ((qo.limit != 20 || qo.offset != 0) &&
	    asprintf(&paged, "%s [limit %zu, offset %zu]", text, qo.limit, qo.offset) > 0)
		detail = paged;
	else
		paged = NULL;
	if ((rc = cli_store_open(ctx, &st)) != 0)
		goto out;
	if ((rc = cli_acl_load(ctx, &data)) != 0)
		goto out;
	if ((rc = cli_as_principal(ctx, st, data, 0, &who)) != 0)
		goto out;
	store_audit_event ev = { .principal = acl_principal_name(who), .action = "READ",
		.detail = detail, .hits = -1, .withheld = -1 };
	if ((rc = query_parse(&q, text, &errpos, &err)) != 0) {
		ev.outcome = "FAILURE";
		ev.reason = err.msg;
		if ((rc = cli_audit(ctx, st, &ev)) == 0)
			rc = cli_error(ctx, LSN_EINPUT, "query: %s", err.msg);
		goto out;
	}
	struct search s = { st, data, who, q, qo };
	/* The answer reads only the readable portions' postings.  Its entry
	 * leaves the withheld count to the second, always: were the count
	 * there when the answer passed nothing over, and a second entry (its
	 * search and its durable commit) only otherwise, the number of
	 * fdatasync calls, and the time before exit, would tell the principal
	 * whether its words are in portions it may not read. */
	rc = search_run(&s, 0, on_hit, &o, &res, &err);
	ev.outcome = rc == 0 ? "SUCCESS" : "FAILURE";
	ev.reason = rc == 0 ? NULL : err.msg;
	ev.hits = (int64_t)res.returned;
	ev.withheld = -1;
	/* Nothing is shown before its audit entry is written (else exit 74). */
	if (cli_audit(ctx, st, &ev) != 0) {
		rc = 74;
		goto out;
	}
	if (rc != 0) {
		rc = cli_error(ctx, rc, "query: %s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < o.n; i++)
		print_hit(&o, &o.hits[i]);
	kept_free(&o); /* the titles are not kept through the count below */
	o = (struct out){ 0 };
	/* Out before the count below starts, not at exit. */
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = cli_error(ctx, LSN_EIO, "%s: cannot write the output", ctx->cmd_path);
	/* Counted even when the answer could not be written: the query was
	 * audited as answered, and its entry still lacks the count. */
	if (audit_withheld(ctx, &s, ev) != 0)
		rc = 74;
out:
	kept_free(&o);
	if (paged != NULL)
		lsn_wipe_free(paged, strlen(paged));
	lsn_wipe_free(text, len + 1);
	query_free(q);
	acl_principal_free(who);
	store_close(st);
	acl_data_free(data);
	return rc;
}

const struct cli_cmd cli_cmd_query = {
	"query", "QUERY...",
	"search what you may read: words, \"phrases\", AND OR NOT, fields (see liaison-query(1))",
	opts, run,
};
