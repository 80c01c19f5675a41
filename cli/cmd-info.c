/*
 * cli/cmd-info.c - liaison info: what the store is, without reading any
 * report: format, key source, sizes and counts.  Officers only: the counts
 * are of everything stored (reports and audit entries a partner may not
 * see; a query that passed over withheld postings adds an audit entry), and
 * DESIGN.md section 4 tells a principal no count of what it may not read.
 */
#include "config.h"

#include <stdio.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "store/store.h"

enum { O_JSON = 1 };

static const struct cli_opt opts[] = {
	{ "json", 0, O_JSON, NULL, "print one JSON object" },
	{ NULL, 0, 0, NULL, NULL },
};

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	const char *arg;
	store *st = NULL;
	store_snap *sn = NULL;
	acl_data *data = NULL;
	acl_principal *me = NULL;
	store_info in;
	lsn_err err;
	int c, rc, json = 0;

	while ((c = cli_next_opt(ctx, self, argc, argv, &arg)) > 0)
		if (c == O_JSON)
			json = 1;
	if (c < 0)
		return 64;
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_acl_load(ctx, &data)) != 0)
		return rc;
	if ((rc = cli_store_open(ctx, &st)) != 0 ||
	    (rc = cli_as_principal(ctx, st, data, ACL_ROLE_OFFICER, &me)) != 0)
		goto out;
	if ((rc = store_snap_begin(st, &sn, &err)) != 0 ||
	    (rc = store_info_get(sn, &in, &err)) != 0) {
		rc = cli_error(ctx, rc, "info: %s", err.msg);
		goto out;
	}
	if (json) {
		printf("{\"format\":%u,\"key\":\"%s\",\"records\":%llu,\"principals\":%llu,"
		       "\"audit_entries\":%llu,\"posting_blocks\":%llu,\"posting_packs\":%llu,"
		       "\"dictionary\":%u,"
		       "\"file_bytes\":%zu,\"map_bytes\":%zu}\n",
		    in.format, in.passphrase ? "passphrase" : "key-file",
		    (unsigned long long)in.records, (unsigned long long)in.principals,
		    (unsigned long long)in.audit_entries,
		    (unsigned long long)in.posting_blocks, (unsigned long long)in.posting_packs,
		    in.dict_current,
		    in.file_size, in.map_size);
	} else {
		printf("store          %s\n", ctx->store_dir);
		printf("format         %u\n", in.format);
		if (in.passphrase)
			printf("key            passphrase (Argon2id, %lu passes, %lu KiB)\n",
			    in.kdf_passes, in.kdf_memory_kib);
		else
			printf("key            key file\n");
		printf("records        %llu\n", (unsigned long long)in.records);
		printf("principals     %llu\n", (unsigned long long)in.principals);
		printf("audit entries  %llu\n", (unsigned long long)in.audit_entries);
		printf("posting blocks %llu\n", (unsigned long long)in.posting_blocks);
		printf("posting packs  %llu\n", (unsigned long long)in.posting_packs);
		if (in.dict_current)
			printf("dictionary     %u\n", in.dict_current);
		else
			printf("dictionary     none yet\n");
		printf("file size      %zu bytes (map %zu)\n", in.file_size, in.map_size);
	}
	rc = 0;
out:
	store_snap_end(sn);
	acl_principal_free(me);
	store_close(st);
	acl_data_free(data);
	return rc;
}

const struct cli_cmd cli_cmd_info = {
	"info", NULL, "describe the store: format, key source, counts and sizes (officer only)",
	opts, run,
};
