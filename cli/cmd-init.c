/* cli/cmd-init.c - being written. */
#include "config.h"
#include "cli/cli.h"
static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	(void)self; (void)argc; (void)argv;
	return cli_error(ctx, LSN_EINTERNAL, "init: not built yet");
}
const struct cli_cmd cli_cmd_init = { "init", NULL, "create a store", NULL, run };
