/*
 * cli/cmd-stats.c - liaison stats: counts over what the principal may read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "query/query.h"
#include "store/store.h"

enum { O_JSON = 1 };

static const struct cli_opt opts[] = {
	{ "json", 0, O_JSON, NULL, "one JSON object per count: dimension, key, count" },
	{ NULL, 0, 0, NULL, NULL },
};

/* Counts are kept until the audit entry is written, then printed. */
struct count {
	const char *dim;
	char *key;
	uint64_t n;
};

struct out {
	int json;
	const char *last;
	struct count *c;
	size_t n, cap;
};

static int
keep(void *ctx, const char *dim, const char *key, uint64_t n)
{
	struct out *o = ctx;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct count *p = realloc(o->c, cap * sizeof(*p));
		if (p == NULL)
			return LSN_EINTERNAL;
		o->c = p;
		o->cap = cap;
	}
	o->c[o->n].dim = dim; /* static strings */
	if ((o->c[o->n].key = strdup(key)) == NULL)
		return LSN_EINTERNAL;
	o->c[o->n++].n = n;
	return 0;
}

static int
on_count(struct out *o, const char *dim, const char *key, uint64_t n)
{
	if (o->json) {
		printf("{\"dimension\":\"%s\",\"key\":", dim);
		lsn_json_fputs(stdout, key);
		printf(",\"count\":%llu}\n", (unsigned long long)n);
		return 0;
	}
	if (o->last == NULL || strcmp(o->last, dim) != 0)
		printf("%s%s\n", o->last ? "\n" : "", dim);
	o->last = dim;
	printf("  %-20s %llu\n", key, (unsigned long long)n);
	return 0;
}

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	const char *arg;
	struct out o = { 0 };
	acl_data *data = NULL;
	acl_principal *who = NULL;
	store *st = NULL;
	uint64_t visible = 0;
	lsn_err err;
	int c, rc;

	while ((c = cli_next_opt(ctx, self, argc, argv, &arg)) > 0)
		if (c == O_JSON)
			o.json = 1;
	if (c < 0)
		return 64;
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_store_open(ctx, &st)) != 0)
		return rc;
	if ((rc = cli_acl_load(ctx, &data)) != 0)
		goto out;
	if ((rc = cli_as_principal(ctx, st, data, 0, &who)) != 0)
		goto out;
	{
		store_audit_event ev = { .principal = acl_principal_name(who),
			.action = "READ", .detail = "stats", .hits = -1, .withheld = -1 };
		rc = query_stats(st, data, who, keep, &o, &visible, &err);
		ev.outcome = rc == 0 ? "SUCCESS" : "FAILURE";
		ev.reason = rc == 0 ? NULL : err.msg;
		ev.hits = (int64_t)visible;
		if (cli_audit(ctx, st, &ev) != 0) {
			rc = 74;
			goto out;
		}
	}
	if (rc != 0) {
		rc = cli_error(ctx, rc, "stats: %s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < o.n; i++)
		on_count(&o, o.c[i].dim, o.c[i].key, o.c[i].n);
out:
	for (size_t i = 0; i < o.n; i++) /* a country key is portion text */
		lsn_wipe_free(o.c[i].key, strlen(o.c[i].key));
	free(o.c);
	acl_principal_free(who);
	store_close(st);
	acl_data_free(data);
	return rc;
}

const struct cli_cmd cli_cmd_stats = {
	"stats", NULL, "counts by classification, country and month of what you may read",
	opts, run,
};
