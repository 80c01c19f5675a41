/*
 * cli/liaison.c - the liaison program: global options, the command table,
 * and the option-table driven parser every subcommand uses.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/cli.h"

static const struct cli_cmd *const commands[] = {
	&cli_cmd_init,
	&cli_cmd_info,
	&cli_cmd_ingest,
	&cli_cmd_query,
	&cli_cmd_get,
	&cli_cmd_stats,
	&cli_cmd_marking,
	&cli_cmd_principal,
	&cli_cmd_audit,
	NULL,
};

enum { G_STORE = 1, G_KEYFILE, G_AS, G_PASSENV, G_PASSPROMPT, G_HELP, G_VERSION };

static const struct cli_opt global_opts[] = {
	{ "store", 1, G_STORE, "DIR", "store directory (default $LIAISON_STORE)" },
	{ "key-file", 1, G_KEYFILE, "FILE",
	    "master key file (default $LIAISON_KEY_FILE, else DIR.key; not with a passphrase)" },
	{ "passphrase-env", 1, G_PASSENV, "VAR",
	    "derive the master key from the passphrase in environment VAR" },
	{ "passphrase", 0, G_PASSPROMPT, NULL,
	    "derive the master key from a passphrase asked on the terminal" },
	{ "as", 1, G_AS, "NAME", "act as this principal (default $LIAISON_PRINCIPAL)" },
	{ "help", 0, G_HELP, NULL, "show this help and exit" },
	{ "version", 0, G_VERSION, NULL, "show the version and exit" },
	{ NULL, 0, 0, NULL, NULL },
};

static void
print_opts(FILE *f, const struct cli_opt *opts)
{
	char left[64];

	for (const struct cli_opt *o = opts; o != NULL && o->name != NULL; o++) {
		snprintf(left, sizeof(left), "--%s%s%s", o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

static void
global_usage(FILE *f)
{
	fprintf(f,
	    "Usage: liaison [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	    "An intelligence-sharing document store: encrypted, filtered by "
	    "releasability, audited.\n\nGlobal options:\n");
	print_opts(f, global_opts);
	fprintf(f, "\nCommands:\n");
	for (int i = 0; commands[i] != NULL; i++)
		fprintf(f, "  %-26s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n`liaison COMMAND --help` describes one command; "
		   "man liaison(1) describes them all.\n");
}

void
cli_usage(const struct cli_ctx *ctx, const struct cli_cmd *cmd, FILE *f)
{
	fprintf(f, "Usage: %s %s [OPTIONS]%s%s\n%s\n", ctx->prog, ctx->cmd_path,
	    cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
	fprintf(f, "\nOptions:\n");
	print_opts(f, cmd->opts);
	fprintf(f, "  %-26s %s\n", "--help", "show this help and exit");
	fprintf(f, "  %-26s %s\n", "--version", "show the version and exit");
}

/* Build a getopt_long table from an option table, plus --help/--version. */
#define MAX_OPTS 40
enum { OPT_HELP = 1000, OPT_VERSION };

int
cli_next_opt(const struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc,
    char **argv, const char **arg)
{
	struct option lo[MAX_OPTS + 3];
	int n = 0, c;

	for (const struct cli_opt *o = cmd->opts; o && o->name; o++) {
		if (n == MAX_OPTS)
			break;
		lo[n++] = (struct option){ o->name,
			o->has_arg ? required_argument : no_argument, NULL, o->id };
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	lo[n++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };

	/* Options may follow the arguments (GNU order): "query convoy --json"
	 * took "--json" for a word to search, and "get ID --format json" for a
	 * second id.  "--" ends the options. */
	opterr = 0;
	c = getopt_long(argc, argv, ":", lo, NULL);
	*arg = optarg;
	switch (c) {
	case -1:
		return 0;
	case OPT_HELP:
		cli_usage(ctx, cmd, stdout);
		exit(0);
	case OPT_VERSION:
		printf("liaison %s\n", PACKAGE_VERSION);
		exit(0);
	case ':': {
		const char *name = "?";
		for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
			if (o->id == optopt)
				name = o->name;
		cli_usage_error(ctx, "option --%s needs an argument", name);
		return -1;
	}
	case '?':
		/* optopt is the letter of an unknown short option, 0 for an
		 * unknown long one (then the last argument read). */
		if (optopt > 0 && optopt < 128)
			cli_usage_error(ctx, "unknown option '-%c'", optopt);
		else
			cli_usage_error(ctx, "unknown option '%s'", argv[optind - 1]);
		return -1;
	default:
		return c;
	}
}

static void
group_usage(const struct cli_ctx *ctx, const struct cli_cmd *group,
    const struct cli_cmd *const *subs, FILE *f)
{
	fprintf(f, "Usage: %s %s SUBCOMMAND [OPTIONS] [ARGS]\n%s\n\nSubcommands:\n",
	    ctx->prog, group->name, group->summary);
	for (int i = 0; subs[i] != NULL; i++)
		fprintf(f, "  %-8s %-12s %s\n", subs[i]->name,
		    subs[i]->args ? subs[i]->args : "", subs[i]->summary);
	fprintf(f, "\n`%s %s SUBCOMMAND --help` describes one subcommand.\n", ctx->prog,
	    group->name);
}

int
cli_dispatch(struct cli_ctx *ctx, const struct cli_cmd *group,
    const struct cli_cmd *const *subs, int argc, char **argv)
{
	static char path[64];

	if (argc < 2) {
		group_usage(ctx, group, subs, stderr);
		return 64;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		group_usage(ctx, group, subs, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("liaison %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (int i = 0; subs[i] != NULL; i++) {
		if (strcmp(argv[1], subs[i]->name) != 0)
			continue;
		snprintf(path, sizeof(path), "%s %s", group->name, subs[i]->name);
		ctx->cmd_path = path;
		optind = 0; /* a full getopt reset for the subcommand's options */
		return subs[i]->run(ctx, subs[i], argc - 1, argv + 1);
	}
	return cli_usage_error(ctx, "unknown subcommand '%s'", argv[1]);
}

int
cli_error(const struct cli_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return lsn_exit_code(status);
}

int
cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	/* liaison: <what>: <why>, as every other error (DESIGN.md section 9) */
	if (ctx->cmd_path != NULL && ctx->cmd_path[0] != '\0')
		fprintf(stderr, "%s: %s: ", ctx->prog, ctx->cmd_path);
	else
		fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	return 64;
}

int
cli_parse_long(const struct cli_ctx *ctx, const char *opt, const char *s,
    long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		cli_usage_error(ctx, "--%s must be a whole number from %ld to %ld, not '%s'",
		    opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* No core file may hold key material or plaintext (STYLE.md). */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* stdout's buffer carries report text and decrypted audit entries: it is
 * ours, and wiped when the command is done. */
static char outbuf[1 << 16];

static int
run_command(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
	int rc;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	rc = cmd->run(ctx, cmd, argc, argv);
	if (fflush(stdout) != 0 && rc == 0)
		rc = cli_error(ctx, LSN_EIO, "%s: cannot write the output", ctx->cmd_path);
	lsn_wipe(outbuf, sizeof(outbuf));
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli_ctx ctx = { .prog = "liaison", .argv = argv };
	struct option lo[10];
	int n = 0, c, key_file_opt = 0;

	no_core_dumps();
	ctx.store_dir = getenv("LIAISON_STORE");
	ctx.key_file = getenv("LIAISON_KEY_FILE");
	ctx.principal = getenv("LIAISON_PRINCIPAL");
	ctx.cmd_path = "";

	for (const struct cli_opt *o = global_opts; o->name; o++)
		lo[n++] = (struct option){ o->name,
			o->has_arg ? required_argument : no_argument, NULL, o->id };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };

	opterr = 0;
	/* "+": stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case G_STORE:
			ctx.store_dir = optarg;
			break;
		case G_KEYFILE:
			ctx.key_file = optarg;
			key_file_opt = 1;
			break;
		case G_AS:
			ctx.principal = optarg;
			break;
		case G_PASSENV:
			ctx.passphrase_env = optarg;
			break;
		case G_PASSPROMPT:
			ctx.passphrase_prompt = 1;
			break;
		case G_HELP:
			global_usage(stdout);
			return 0;
		case G_VERSION:
			printf("liaison %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "liaison: unknown or incomplete option '%s' (try --help)\n",
			    argv[optind - 1]);
			return 64;
		}
	}
	/* A store is keyed by a key file or by a passphrase, never both: the
	 * key file given beside a passphrase was ignored without a word.
	 * LIAISON_KEY_FILE, a default, gives way to a passphrase option. */
	if (key_file_opt && (ctx.passphrase_env != NULL || ctx.passphrase_prompt)) {
		fprintf(stderr, "liaison: --key-file and %s cannot be given together: a store "
				"is keyed by one or the other (try --help)\n",
		    ctx.passphrase_env != NULL ? "--passphrase-env" : "--passphrase");
		return 64;
	}
	if (ctx.passphrase_env != NULL && ctx.passphrase_prompt) {
		fprintf(stderr, "liaison: --passphrase-env and --passphrase cannot be given "
				"together (try --help)\n");
		return 64;
	}
	if (optind >= argc) {
		global_usage(stderr);
		return 64;
	}
	for (int i = 0; commands[i] != NULL; i++) {
		if (strcmp(argv[optind], commands[i]->name) == 0) {
			ctx.cmd_path = commands[i]->name;
			argc -= optind;
			argv += optind;
			optind = 0; /* full getopt reset for the command's own options */
			return run_command(&ctx, commands[i], argc, argv);
		}
	}
	fprintf(stderr, "liaison: unknown command '%s' (try --help)\n", argv[optind]);
	return 64;
}
