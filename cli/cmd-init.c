/*
 * cli/cmd-init.c - liaison init: create a store and its master key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "store/store.h"

enum { O_COUNTRY = 1 };

static const struct cli_opt opts[] = {
	{ "country", 1, O_COUNTRY, "CCC",
	    "country (trigraph) of the first officer named by --as" },
	{ NULL, 0, 0, NULL, NULL },
};

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	const char *arg, *country = NULL;
	store *st = NULL;
	char *kf = NULL;
	int c, rc;

	while ((c = cli_next_opt(ctx, self, argc, argv, &arg)) > 0)
		if (c == O_COUNTRY)
			country = arg;
	if (c < 0)
		return 64;
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	(void)country;
	if ((rc = cli_store_create(ctx, &st)) != 0)
		return rc;
	if (ctx->passphrase_env == NULL && !ctx->passphrase_prompt) {
		kf = ctx->key_file ? NULL : store_default_key_file(ctx->store_dir);
		printf("created store %s with key file %s\n", ctx->store_dir,
		    ctx->key_file ? ctx->key_file : kf);
		printf("keep the key file apart from the store: whoever holds both reads everything\n");
	} else {
		printf("created store %s keyed by a passphrase (Argon2id)\n", ctx->store_dir);
	}
	free(kf);
	store_close(st);
	return 0;
}

const struct cli_cmd cli_cmd_init = {
	"init", NULL,
	"create the store and its key file (or passphrase-derived key)",
	opts, run,
};
