/*
 * cli/cmd-get.c - liaison get: the releasable view of one report.
 *
 * Exit status: 0, 64 usage, 66 no such report (also when none of it may be
 * read: the two answers are identical), 65 integrity failure, 77 not a
 * principal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "query/query.h"
#include "store/store.h"

enum { O_FORMAT = 1 };

static const struct cli_opt opts[] = {
	{ "format", 1, O_FORMAT, "FMT", "text (default), xml or json" },
	{ NULL, 0, 0, NULL, NULL },
};

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	const char *arg, *format = "text", *id;
	acl_data *data = NULL;
	acl_principal *who = NULL;
	ingest_doc *view = NULL;
	acl_marking *banner = NULL;
	store *st = NULL;
	char *out = NULL;
	size_t withheld = 0;
	lsn_err err;
	int c, rc;

	while ((c = cli_next_opt(ctx, self, argc, argv, &arg)) > 0)
		if (c == O_FORMAT)
			format = arg;
	if (c < 0)
		return 64;
	if (strcmp(format, "text") != 0 && strcmp(format, "xml") != 0 &&
	    strcmp(format, "json") != 0)
		return cli_usage_error(ctx, "--format is text, xml or json, not '%s'", format);
	if (optind + 1 != argc)
		return cli_usage_error(ctx, "give exactly one report id");
	id = argv[optind];
	/* No stored id is longer; a longer one padded every row of the
	 * officer's audit table to its width (helper-28). */
	if (id[0] == '\0' || strlen(id) > STORE_MAX_ID)
		return cli_usage_error(ctx, "a report id is 1 to %d bytes", STORE_MAX_ID);
	if ((rc = cli_store_open(ctx, &st)) != 0)
		return rc;
	if ((rc = cli_acl_load(ctx, &data)) != 0)
		goto out;
	if ((rc = cli_as_principal(ctx, st, data, 0, &who)) != 0)
		goto out;
	rc = query_get(st, data, who, id, &view, &banner, &withheld, &err);
	if (rc == 0)
		rc = strcmp(format, "xml") == 0 ? query_view_xml(&out, view, banner, &err)
		    : strcmp(format, "json") == 0 ? query_view_json(&out, view, banner, &err)
						  : query_view_text(&out, view, banner, &err);
	{
		const char *objs[1] = { id };
		store_audit_event ev = { .principal = acl_principal_name(who),
			.action = "RETRIEVE", .objects = objs, .nobjects = 1,
			.hits = -1, .withheld = (int64_t)withheld };
		/* The log says what the principal is never told. */
		if (rc == 0) {
			ev.outcome = "GRANT";
		} else if (rc == LSN_ENOTFOUND && withheld > 0) {
			ev.outcome = "DENY";
			ev.reason = "no portion may be read by this principal";
		} else {
			ev.outcome = "FAILURE";
			ev.reason = err.msg;
		}
		if (cli_audit(ctx, st, &ev) != 0) {
			rc = 74;
			goto out;
		}
	}
	if (rc != 0) {
		rc = cli_error(ctx, rc, "get: %s", err.msg);
		goto out;
	}
	fputs(out, stdout);
out:
	if (out != NULL)
		lsn_wipe_free(out, strlen(out));
	ingest_doc_free(view);
	acl_marking_free(banner);
	acl_principal_free(who);
	store_close(st);
	acl_data_free(data);
	return rc;
}

const struct cli_cmd cli_cmd_get = {
	"get", "ID", "the releasable view of one report: what you may read of it",
	opts, run,
};
