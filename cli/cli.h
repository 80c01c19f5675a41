/*
 * cli/cli.h - what the subcommand files of the liaison program share:
 * the global context, the option-table driven parser and error output.
 *
 * Each subcommand lives in cli/cmd-NAME.c and exports one struct cli_cmd
 * (cli_cmd_NAME) listed in the table in cli/liaison.c.  Its option table
 * drives both getopt_long parsing and the --help text, so the two cannot
 * drift apart.  Nothing outside cli/ includes this header.
 */
#ifndef LSN_CLI_H
#define LSN_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "common/common.h"

/* Global options, resolved from the command line and the environment. */
struct cli_ctx {
	const char *prog;       /* "liaison" */
	const char *store_dir;  /* --store, LIAISON_STORE */
	const char *key_file;   /* --key-file, LIAISON_KEY_FILE; NULL: <store>.key */
	const char *principal;  /* --as, LIAISON_PRINCIPAL; may be NULL */
	const char *passphrase_env; /* --passphrase-env VAR; NULL: use key file */
	int passphrase_prompt;  /* --passphrase: ask on the terminal */
	const char *cmd_path;   /* "init", "marking parse", ... for messages */
	char **argv;            /* the whole command line, as main() got it */
	/* audit show, verify, export: they walk the chain and name where it
	 * breaks, so a last entry that does not verify does not stop them
	 * (cli_as_principal); it stops every other command. */
	int walks_chain;
};

/* One option of a subcommand.  id is returned by cli_next_opt(). */
struct cli_opt {
	const char *name;  /* long name without "--" */
	int has_arg;       /* 0 no argument, 1 required */
	int id;            /* a positive value unique in the table */
	const char *arg;   /* metavariable for --help ("N"), NULL if none */
	const char *help;  /* one line */
};

struct cli_cmd {
	const char *name;     /* "init" */
	const char *args;     /* positional synopsis for --help ("FILE...") */
	const char *summary;  /* one line for `liaison --help` */
	const struct cli_opt *opts; /* terminated by an entry with name NULL */
	/*
	 * Run the command.  argv[0] is the command name; options are parsed
	 * with cli_next_opt().  Returns the process exit status.
	 */
	int (*run)(struct cli_ctx *ctx, const struct cli_cmd *self, int argc,
	    char **argv);
};

/*
 * Return the id of the next option of cmd in argv, setting *arg to its
 * argument (or NULL); 0 when options end (then optind indexes the first
 * operand); -1 after printing a usage error.  --help and --version are
 * handled here: help is printed and the process exits 0.
 */
int cli_next_opt(const struct cli_ctx *ctx, const struct cli_cmd *cmd,
    int argc, char **argv, const char **arg);

/*
 * Run a command made of subcommands ("principal add", "audit show", ...):
 * subs is NULL-terminated; the subcommand named by argv[1] runs with
 * argv shifted, ctx->cmd_path set to "GROUP SUB" and getopt reset.  --help
 * lists the subcommands from the table.  Returns the exit status.
 */
int cli_dispatch(struct cli_ctx *ctx, const struct cli_cmd *group,
    const struct cli_cmd *const *subs, int argc, char **argv);

/* Print cmd's usage and option table to f. */
void cli_usage(const struct cli_ctx *ctx, const struct cli_cmd *cmd, FILE *f);

/*
 * Print "liaison: WHAT: WHY" (one line) to stderr and return the exit
 * status for status.  WHAT defaults to the command path.
 */
int cli_error(const struct cli_ctx *ctx, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print a usage error ("liaison CMD: ...; try --help") and return 64. */
int cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse a decimal in [min, max]; 0 ok, -1 on error (message printed). */
int cli_parse_long(const struct cli_ctx *ctx, const char *opt, const char *s,
    long min, long max, long *out);

/*
 * Open (or, at init, create) the store named by the global options, asking
 * for the key as they say.  On failure the error is printed and the exit
 * status returned; 0 on success with *out set.  (cli/keysrc.c)
 */
struct store;
int cli_store_open(struct cli_ctx *ctx, struct store **out);
int cli_store_create(struct cli_ctx *ctx, struct store **out);

/* ---- acting as a principal (cli/principal.c) ---- */

struct acl_data;
struct acl_principal;
struct store_audit_event;

/*
 * Load the marking data (registry and membership) from $LIAISON_DATA_DIR,
 * else the installed data directory.  Returns 0 with *out set (the caller
 * frees it with acl_data_free()), or prints one line and returns the exit
 * status (66 missing file, 65 malformed).
 */
int cli_acl_load(struct cli_ctx *ctx, struct acl_data **out);

/*
 * Resolve --as (ctx->principal) to the principal stored in st, decoded
 * against data, and check that it is enabled and holds every role in
 * need_roles (enum acl_role bits; 0: any one role).  Returns 0 with *out
 * set (the caller frees it with acl_principal_free()), or prints one line
 * and returns the exit status: 64 no --as, or a malformed name; 77 unknown
 * or disabled principal, or a missing role; 65 a corrupted principal
 * record; 74/70 store failures.  Every 77 is first audited in its own
 * batch (action ACCESS_DECISION, outcome DENY, the reason, detail the
 * command path); if that audit entry cannot be written, its failure is
 * reported and returned instead.  Opens and ends its own snapshot.
 */
int cli_as_principal(struct cli_ctx *ctx, struct store *st,
    const struct acl_data *data, unsigned need_roles,
    struct acl_principal **out);

/*
 * Write one audit event in its own batch.  Returns 0, or prints one line
 * and returns the exit status (74, 70).
 */
int cli_audit(struct cli_ctx *ctx, struct store *st,
    const struct store_audit_event *ev);

/* 1 when name is a valid principal name (1-64 of [A-Za-z0-9._@-]). */
int cli_name_valid(const char *name);

/*
 * Role bits as "analyst,partner,officer" ("none" when there are none) in
 * buf (cap bytes, 32 suffice); returns buf.
 */
const char *cli_role_names(unsigned roles, char *buf, size_t cap);

/* The subcommands. */
extern const struct cli_cmd cli_cmd_init;
extern const struct cli_cmd cli_cmd_info;
extern const struct cli_cmd cli_cmd_ingest;
extern const struct cli_cmd cli_cmd_query;
extern const struct cli_cmd cli_cmd_get;
extern const struct cli_cmd cli_cmd_stats;
extern const struct cli_cmd cli_cmd_marking;
extern const struct cli_cmd cli_cmd_principal;
extern const struct cli_cmd cli_cmd_audit;

#endif
