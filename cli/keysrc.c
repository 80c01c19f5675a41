/*
 * cli/keysrc.c - opening and creating the store from the global options:
 * the key file, or a passphrase from an environment variable or the
 * terminal, held in libgcrypt secure memory and wiped after use.
 */
#include "config.h"

#include <fcntl.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

#define MAX_PASSPHRASE 1024

static void
warn_stderr(void *ctx, const char *msg)
{
	const struct cli_ctx *c = ctx;

	fprintf(stderr, "%s: warning: %s\n", c->prog, msg);
}

/* Read one line from the terminal with echo off into secure memory. */
static int
prompt(const char *question, char *buf, size_t cap)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	size_t n = 0;
	char ch;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &old) != 0)
		goto out;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (write(fd, question, strlen(question)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto out;
	while (read(fd, &ch, 1) == 1 && ch != '\n' && ch != '\r')
		if (n + 1 < cap)
			buf[n++] = ch;
	buf[n] = '\0';
	ch = 0;
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		goto out;
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Fill ks from the context.  A passphrase lands in secure memory (*secret,
 * freed by cli_keysrc_free); an environment variable's copy in the process
 * environment is wiped.  confirm: ask twice (at init).
 */
static int
keysrc_get(struct cli_ctx *ctx, store_keysrc *ks, char **secret, int confirm)
{
	char *again = NULL;
	const char *v;

	memset(ks, 0, sizeof(*ks));
	*secret = NULL;
	ks->key_file = ctx->key_file;
	if (ctx->passphrase_env == NULL && !ctx->passphrase_prompt)
		return 0;
	if (store_init(NULL) != 0)
		return cli_error(ctx, LSN_EINTERNAL, "libgcrypt 1.10 or newer is required");
	if ((*secret = gcry_malloc_secure(MAX_PASSPHRASE)) == NULL)
		return cli_error(ctx, LSN_EINTERNAL, "%s: out of secure memory", ctx->cmd_path);
	if (ctx->passphrase_env != NULL) {
		if ((v = getenv(ctx->passphrase_env)) == NULL)
			return cli_error(ctx, LSN_EUSAGE, "%s: environment variable %s is not set",
			    ctx->cmd_path, ctx->passphrase_env);
		if (strlen(v) >= MAX_PASSPHRASE) { /* not left in the environment */
			lsn_wipe((char *)v, strlen(v));
			unsetenv(ctx->passphrase_env);
			return cli_error(ctx, LSN_EINPUT, "%s: the passphrase is over %d bytes",
			    ctx->cmd_path, MAX_PASSPHRASE - 1);
		}
		strcpy(*secret, v);
		lsn_wipe((char *)v, strlen(v));
		unsetenv(ctx->passphrase_env);
	} else {
		if (prompt("Passphrase: ", *secret, MAX_PASSPHRASE) != 0)
			return cli_error(ctx, LSN_EUSAGE,
			    "%s: no terminal to ask for the passphrase on: use --passphrase-env VAR",
			    ctx->cmd_path);
		if (confirm) {
			if ((again = gcry_malloc_secure(MAX_PASSPHRASE)) == NULL)
				return cli_error(ctx, LSN_EINTERNAL, "out of secure memory");
			int same = prompt("Passphrase again: ", again, MAX_PASSPHRASE) == 0 &&
			    strcmp(again, *secret) == 0;
			lsn_wipe(again, MAX_PASSPHRASE);
			gcry_free(again);
			if (!same)
				return cli_error(ctx, LSN_EINPUT, "%s: the passphrases differ",
				    ctx->cmd_path);
		}
	}
	ks->passphrase = *secret;
	ks->passphrase_len = strlen(*secret);
	return 0;
}

static void
secret_free(char *secret)
{
	if (secret != NULL) {
		lsn_wipe(secret, MAX_PASSPHRASE);
		gcry_free(secret);
	}
}

static int
need_store(struct cli_ctx *ctx)
{
	if (ctx->store_dir == NULL || ctx->store_dir[0] == '\0')
		return cli_usage_error(ctx, "no store given: use --store DIR or set LIAISON_STORE");
	return 0;
}

/* Open the store (create: make it), with the key the options name; the
 * passphrase, if any, is wiped whatever happens. */
static int
store_get(struct cli_ctx *ctx, store **out, int create)
{
	store_opts opts = { .warn = warn_stderr, .warn_ctx = ctx };
	store_keysrc ks;
	char *secret = NULL;
	lsn_err err = { .msg = "" };
	int rc;

	*out = NULL;
	if ((rc = need_store(ctx)) != 0)
		return rc;
	/* keysrc_get prints its own error and returns an exit status (> 0);
	 * the store returns a negative lsn_status with its message. */
	if ((rc = keysrc_get(ctx, &ks, &secret, create)) == 0)
		rc = create ? store_create(out, ctx->store_dir, &ks, &opts, &err)
			    : store_open(out, ctx->store_dir, &ks, &opts, &err);
	secret_free(secret);
	if (rc < 0)
		return err.msg[0] ? cli_error(ctx, rc, "%s", err.msg)
				  : cli_error(ctx, rc, "%s: %s", ctx->store_dir, lsn_status_name(rc));
	return rc;
}

int
cli_store_open(struct cli_ctx *ctx, store **out)
{
	return store_get(ctx, out, 0);
}

int
cli_store_create(struct cli_ctx *ctx, store **out)
{
	return store_get(ctx, out, 1);
}
