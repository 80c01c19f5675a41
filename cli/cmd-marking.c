/* cli/cmd-marking.c - placeholder until the marking engine lands. */
#include "config.h"
#include "cli/cli.h"

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	(void)self; (void)argc; (void)argv;
	return cli_error(ctx, LSN_EINTERNAL, "marking: not built yet");
}

const struct cli_cmd cli_cmd_marking = { "marking", "SUBCOMMAND", "parse, render, roll up and check markings", NULL, run };
