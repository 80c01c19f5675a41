/*
 * cli/cmd-init.c - liaison init: create a store, its master key and its
 * first officer (DESIGN.md section 9).
 *
 * The officer named by --as is checked before anything is created, and
 * written in the store's first batch together with the marking data
 * version and the audit entry that records the creation.  If that batch
 * fails, the store and the key file this run created are removed again:
 * a store nobody may manage is worse than none.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "store/store.h"

enum { O_COUNTRY = 1, O_CLEARANCE, O_USGOV };

static const struct cli_opt opts[] = {
	{ "country", 1, O_COUNTRY, "CCC",
	    "country (trigraph) of the first officer named by --as (required)" },
	{ "clearance", 1, O_CLEARANCE, "LEVEL",
	    "the officer's clearance: U, C, S or TS (default U)" },
	{ "usgov", 0, O_USGOV, NULL, "the officer is US government" },
	{ NULL, 0, 0, NULL, NULL },
};

/*
 * Remove what store_create() made: the LMDB files, the directory when it
 * did not exist before, and the key file when one was created.
 */
static void
unmake(const struct cli_ctx *ctx, int dir_existed)
{
	char path[4096], *kf = NULL;

	snprintf(path, sizeof(path), "%s/data.mdb", ctx->store_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", ctx->store_dir);
	unlink(path);
	if (!dir_existed)
		rmdir(ctx->store_dir);
	if (ctx->passphrase_env == NULL && !ctx->passphrase_prompt) {
		kf = ctx->key_file ? NULL : store_default_key_file(ctx->store_dir);
		if (ctx->key_file != NULL || kf != NULL)
			unlink(ctx->key_file ? ctx->key_file : kf);
		free(kf);
	}
}

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	const char *arg, *country = NULL, *clearance = "U", *version;
	struct acl_principal_spec spec;
	acl_data *data = NULL;
	acl_principal *officer = NULL;
	store *st = NULL;
	store_batch *b = NULL;
	store_audit_event ev;
	const char *obj[1];
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	char *kf = NULL;
	struct stat sb;
	int c, rc, usgov = 0, level = 0, dir_existed;
	lsn_err err = { "" };

	while ((c = cli_next_opt(ctx, self, argc, argv, &arg)) > 0) {
		if (c == O_COUNTRY)
			country = arg;
		else if (c == O_CLEARANCE)
			clearance = arg;
		else if (c == O_USGOV)
			usgov = 1;
	}
	if (c < 0)
		return 64;
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (ctx->principal == NULL || ctx->principal[0] == '\0')
		return cli_usage_error(ctx,
		    "name the first officer: use --as NAME (or set LIAISON_PRINCIPAL)");
	if (country == NULL)
		return cli_usage_error(ctx, "--country CCC is required (the first officer's country)");
	level = acl_level_parse(clearance, strlen(clearance));
	if (level == 0 || level == ACL_LEVEL_R)
		return cli_error(ctx, LSN_EINPUT, "%s: clearance must be U, C, S or TS, not '%.20s'",
		    ctx->cmd_path, clearance);

	/* Check the officer before creating anything. */
	if ((rc = cli_acl_load(ctx, &data)) != 0)
		goto out;
	spec = (struct acl_principal_spec){ .name = ctx->principal, .country = country,
		.clearance = level, .usgov = usgov, .roles = ACL_ROLE_OFFICER };
	if ((rc = acl_principal_new(&officer, data, &spec, &err)) != 0 ||
	    (rc = acl_principal_encode(&enc, &enc_len, officer, &err)) != 0) {
		rc = cli_error(ctx, rc, "%s: --as: %s", ctx->cmd_path, err.msg);
		goto out;
	}

	dir_existed = ctx->store_dir != NULL && stat(ctx->store_dir, &sb) == 0;
	if ((rc = cli_store_create(ctx, &st)) != 0)
		goto out;
	obj[0] = acl_principal_name(officer);
	version = acl_data_version(data);
	ev = (store_audit_event){ .principal = obj[0], .action = "CREATE",
		.outcome = "SUCCESS", .objects = obj, .nobjects = 1,
		.detail = "store created", .hits = -1, .withheld = -1 };
	if ((rc = store_batch_new(st, &b, &err)) != 0 ||
	    (rc = store_batch_put_principal(b, obj[0], enc, enc_len, &err)) != 0 ||
	    (rc = store_batch_put_meta(b, "data/acl-version", version, strlen(version),
	         &err)) != 0 ||
	    (rc = store_batch_audit_event(b, &ev, &err)) != 0 ||
	    (rc = store_batch_commit(b, &err)) != 0) {
		store_batch_free(b);
		b = NULL;
		store_close(st);
		st = NULL;
		unmake(ctx, dir_existed);
		rc = cli_error(ctx, rc, "%s: cannot record the first officer, store removed: %s",
		    ctx->cmd_path, err.msg);
		goto out;
	}
	if (ctx->passphrase_env == NULL && !ctx->passphrase_prompt) {
		kf = ctx->key_file ? NULL : store_default_key_file(ctx->store_dir);
		printf("created store %s with key file %s\n", ctx->store_dir,
		    ctx->key_file ? ctx->key_file : kf);
		printf("keep the key file apart from the store: whoever holds both reads everything\n");
	} else {
		printf("created store %s keyed by a passphrase (Argon2id)\n", ctx->store_dir);
	}
	printf("created officer %s (%s, clearance %s)\n", obj[0],
	    acl_principal_country(officer), acl_level_name(level));
	rc = 0;
out:
	free(kf);
	store_batch_free(b);
	store_close(st);
	free(enc);
	acl_principal_free(officer);
	acl_data_free(data);
	return rc;
}

const struct cli_cmd cli_cmd_init = {
	"init", NULL,
	"create the store, its key file (or passphrase-derived key) and its first officer",
	opts, run,
};
