/*
 * cli/cmd-ingest.c - liaison ingest: XML reports into the store.
 *
 * Exit status: 0 every document stored (or already there), 65 at least one
 * document rejected (the others are stored), 66 a path does not exist,
 * 74 the store could not be written, 77 the principal may not ingest.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "store/store.h"

enum { O_JSON = 1, O_QUIET, O_FIX, O_THREADS, O_BATCH, O_MAXDOC };

static const struct cli_opt opts[] = {
	{ "json", 0, O_JSON, NULL,
	    "one JSON object per document as its fate is final, then a summary object" },
	{ "quiet", 0, O_QUIET, NULL, "print nothing but errors" },
	{ "fix-banner", 0, O_FIX, NULL,
	    "store the computed roll-up when a banner does not match its portions (not with unmarked text, which keeps the written banner)" },
	{ "threads", 1, O_THREADS, "N", "worker threads (default: the number of CPUs)" },
	{ "batch", 1, O_BATCH, "N", "at most N documents per write transaction (default 4000)" },
	{ "max-doc-size", 1, O_MAXDOC, "BYTES", "largest document accepted (default 16 MiB)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct out {
	struct cli_ctx *ctx;
	int json, quiet, progress;
	FILE *rejects;  /* JSON rejections, gathered for the summary */
	char *rejects_buf;
	size_t rejects_len;
	int nrejects;
	struct timespec start;
	int progress_shown;
};

static double
elapsed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static void
clear_progress(struct out *o)
{
	if (o->progress_shown) {
		fputs("\r\033[K", stderr);
		o->progress_shown = 0;
	}
}

static const char *const status_names[] = { "stored", "duplicate", "rejected" };

/* With --json, one object per document, in input order, as soon as its fate
 * is final (a stored document only after its transaction committed). */
static void
json_result(const ingest_result *r)
{
	printf("{\"source\":");
	lsn_json_fputs(stdout, r->source);
	printf(",\"id\":");
	if (r->id)
		lsn_json_fputs(stdout, r->id);
	else
		fputs("null", stdout);
	printf(",\"status\":\"%s\"", status_names[r->status]);
	if (r->line)
		printf(",\"line\":%u", r->line);
	if (r->reason) {
		printf(",\"%s\":", r->status == INGEST_REJECTED ? "reason" : "note");
		lsn_json_fputs(stdout, r->reason);
	}
	printf("}\n");
	fflush(stdout);
}

static void
on_result(void *ctx, const ingest_result *r)
{
	struct out *o = ctx;

	if (o->json)
		json_result(r);

	if (r->status == INGEST_REJECTED) {
		clear_progress(o);
		/* The source is a name found in a directory: any bytes. */
		fprintf(stderr, "%s: ", o->ctx->prog);
		lsn_fputs_safe(stderr, r->source);
		if (r->line)
			fprintf(stderr, ":%u", r->line);
		fprintf(stderr, ": %s\n", r->reason);
		if (o->json) {
			fprintf(o->rejects, "%s{\"source\":", o->nrejects++ ? "," : "");
			lsn_json_fputs(o->rejects, r->source);
			if (r->line) /* as in the document's own object */
				fprintf(o->rejects, ",\"line\":%u", r->line);
			fputs(",\"id\":", o->rejects);
			if (r->id)
				lsn_json_fputs(o->rejects, r->id);
			else
				fputs("null", o->rejects);
			fputs(",\"reason\":", o->rejects);
			lsn_json_fputs(o->rejects, r->reason);
			fputc('}', o->rejects);
		}
	} else if (r->banner_fixed && r->reason != NULL && !o->quiet) {
		clear_progress(o);
		fprintf(stderr, "%s: ", o->ctx->prog);
		lsn_fputs_safe(stderr, r->source);
		fprintf(stderr, ": %s\n", r->reason);
	}
}

static void
on_progress(void *ctx, uint64_t done, uint64_t bytes)
{
	struct out *o = ctx;
	double t = elapsed(&o->start);

	if (!o->progress)
		return;
	fprintf(stderr, "\r\033[Kingest: %llu documents, %.1f MB, %.0f docs/s",
	    (unsigned long long)done, bytes / 1e6, t > 0 ? done / t : 0.0);
	o->progress_shown = 1;
}

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	const char *arg;
	struct out o = { .ctx = ctx };
	ingest_opts io = { 0 };
	ingest_summary sum = { 0 };
	acl_data *data = NULL;
	acl_principal *who = NULL;
	ingest_parser *parser = NULL;
	store *st = NULL;
	lsn_err err;
	long v;
	int c, rc;

	while ((c = cli_next_opt(ctx, self, argc, argv, &arg)) > 0) {
		switch (c) {
		case O_JSON:
			o.json = 1;
			break;
		case O_QUIET:
			o.quiet = 1;
			break;
		case O_FIX:
			io.parse.fix_banner = 1;
			break;
		case O_THREADS:
			if (cli_parse_long(ctx, "threads", arg, 1, 16, &v) != 0)
				return 64;
			io.threads = (unsigned)v;
			break;
		case O_BATCH:
			if (cli_parse_long(ctx, "batch", arg, 1, INGEST_MAX_BATCH_DOCS, &v) != 0)
				return 64;
			io.batch_docs = (size_t)v;
			break;
		case O_MAXDOC:
			if (cli_parse_long(ctx, "max-doc-size", arg, 1, 1L << 30, &v) != 0)
				return 64;
			io.parse.max_doc = (size_t)v;
			break;
		}
	}
	if (c < 0)
		return 64;
	if (optind >= argc)
		return cli_usage_error(ctx, "nothing to ingest: give files, directories or -");
	/* Standard input is read to its end once: a second - would find
	 * nothing and be rejected as an empty document under the first's
	 * name. */
	for (int i = optind, seen = 0; i < argc; i++)
		if (strcmp(argv[i], "-") == 0 && seen++)
			return cli_usage_error(ctx, "- (standard input) is given more than once");
	/* Before the store, the key and the input are touched: the memory a
	 * batch frees is kept for the next (common/heap.c). */
	lsn_heap_keep();
	if ((rc = cli_store_open(ctx, &st)) != 0)
		return rc;
	if ((rc = cli_acl_load(ctx, &data)) != 0)
		goto out;
	if ((rc = cli_as_principal(ctx, st, data, ACL_ROLE_ANALYST, &who)) != 0)
		goto out;
	if ((rc = ingest_parser_new(&parser, data, &err)) != 0) {
		rc = cli_error(ctx, rc, "ingest: %s", err.msg);
		goto out;
	}
	if (o.json && (o.rejects = open_memstream(&o.rejects_buf, &o.rejects_len)) == NULL) {
		rc = cli_error(ctx, LSN_EINTERNAL, "ingest: out of memory");
		goto out;
	}
	o.progress = !o.quiet && !o.json && isatty(2);
	clock_gettime(CLOCK_MONOTONIC, &o.start);
	io.principal = acl_principal_name(who);
	io.reader = who;
	io.on_result = on_result;
	io.on_progress = on_progress;
	io.ctx = &o;
	rc = ingest_run(st, data, parser, (const char *const *)argv + optind,
	    (size_t)(argc - optind), &io, &sum, &err);
	clear_progress(&o);
	/* The summary also when the run stopped (an I/O error): what was
	 * reported stored is, the rest of what was read is reported not
	 * stored, and "error" says why input after it was not read. */
	if (o.json) {
		fclose(o.rejects);
		o.rejects = NULL;
		printf("{\"stored\":%llu,\"duplicates\":%llu,\"rejected\":%llu,"
		       "\"bytes\":%llu,\"seconds\":%.3f,\"rejections\":[%s]",
		    (unsigned long long)sum.stored, (unsigned long long)sum.duplicates,
		    (unsigned long long)sum.rejected, (unsigned long long)sum.bytes,
		    elapsed(&o.start), o.rejects_buf ? o.rejects_buf : "");
		if (rc != 0) {
			fputs(",\"error\":", stdout);
			lsn_json_fputs(stdout, err.msg);
		}
		fputs("}\n", stdout);
	}
	if (rc != 0) {
		rc = cli_error(ctx, rc, "ingest: %s", err.msg);
		goto out;
	}
	if (!o.json && !o.quiet) {
		double t = elapsed(&o.start);
		fprintf(stderr, "ingest: %llu stored, %llu already there, %llu rejected "
				"(%.1f MB in %.2f s, %.0f docs/s)\n",
		    (unsigned long long)sum.stored, (unsigned long long)sum.duplicates,
		    (unsigned long long)sum.rejected, sum.bytes / 1e6, t,
		    t > 0 ? (sum.stored + sum.duplicates + sum.rejected) / t : 0.0);
	}
	rc = sum.rejected ? 65 : 0;
out:
	if (o.rejects)
		fclose(o.rejects);
	free(o.rejects_buf);
	ingest_parser_free(parser);
	acl_principal_free(who);
	store_close(st);
	acl_data_free(data);
	return rc;
}

const struct cli_cmd cli_cmd_ingest = {
	"ingest", "PATH...",
	"ingest XML reports: files, directories (recursive, *.xml) and - for stdin",
	opts, run,
};
