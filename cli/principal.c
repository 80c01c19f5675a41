/*
 * cli/principal.c - what every command that acts for a principal shares:
 * loading the marking data, resolving --as to a stored principal with the
 * roles the command needs, and auditing the refusals (DESIGN.md sections
 * 8 and 9).
 *
 * A refusal is audited in its own small batch, before the refusal is
 * printed, so that a caller who is turned away still leaves a trace.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "store/store.h"

int
cli_acl_load(struct cli_ctx *ctx, acl_data **out)
{
	lsn_err err;
	int rc;

	*out = NULL;
	if ((rc = acl_data_load(out, NULL, NULL, &err)) != 0)
		return cli_error(ctx, rc, "%s: marking data: %s", ctx->cmd_path, err.msg);
	return 0;
}

int
cli_name_valid(const char *name)
{
	return acl_principal_name_valid(name); /* checked before any lookup */
}

const char *
cli_role_names(unsigned roles, char *buf, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *name;
	} r[] = {
		{ ACL_ROLE_ANALYST, "analyst" },
		{ ACL_ROLE_PARTNER, "partner" },
		{ ACL_ROLE_OFFICER, "officer" },
	};
	size_t n = 0;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (!(roles & r[i].bit))
			continue;
		int k = snprintf(buf + n, cap - n, "%s%s", n ? "," : "", r[i].name);
		if (k < 0 || (size_t)k >= cap - n)
			break;
		n += (size_t)k;
	}
	if (n == 0)
		snprintf(buf, cap, "none");
	return buf;
}

int
cli_audit(struct cli_ctx *ctx, store *st, const store_audit_event *ev)
{
	store_batch *b = NULL;
	lsn_err err;
	int rc;

	if ((rc = store_batch_new(st, &b, &err)) != 0 ||
	    (rc = store_batch_audit_event(b, ev, &err)) != 0 ||
	    (rc = store_batch_commit(b, &err)) != 0)
		rc = cli_error(ctx, rc, "%s: cannot write the audit entry: %s",
		    ctx->cmd_path, err.msg);
	store_batch_free(b);
	return rc;
}

/*
 * The command as typed from its name on ("principal disable off", "ingest
 * /srv/feed"), at most cap - 1 bytes ("..." when cut): what a refused
 * principal tried to do, for the officers.  The command's name alone when
 * the line is not known.
 */
static const char *
command_line(const struct cli_ctx *ctx, char *buf, size_t cap)
{
	size_t first = strcspn(ctx->cmd_path, " "), n = 0;
	int i = 1;

	if (ctx->argv == NULL)
		return ctx->cmd_path;
	while (ctx->argv[i] != NULL && (strlen(ctx->argv[i]) != first ||
					   strncmp(ctx->argv[i], ctx->cmd_path, first) != 0))
		i++;
	if (ctx->argv[i] == NULL)
		return ctx->cmd_path;
	buf[0] = '\0';
	for (; ctx->argv[i] != NULL; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", n ? " " : "", ctx->argv[i]);
		if (w < 0 || (size_t)w >= cap - n) {
			memcpy(buf + (cap > 4 ? cap - 4 : 0), "...", cap > 4 ? 4 : 0);
			break;
		}
		n += (size_t)w;
	}
	return buf;
}

/*
 * Audit a refusal of name (ACCESS_DECISION, DENY, reason) and print it as
 * "liaison: MSG".  Returns 77, or the audit failure's status: a refusal
 * that cannot be recorded is reported as that failure.
 */
static int
refuse(struct cli_ctx *ctx, store *st, const char *name, const char *reason,
    const char *msg)
{
	char line[1024];
	store_audit_event ev = { .principal = name, .action = "ACCESS_DECISION",
		.outcome = "DENY", .reason = reason,
		.detail = command_line(ctx, line, sizeof(line)), .hits = -1, .withheld = -1 };
	store_batch *b = NULL;
	lsn_err err;
	int rc;

	if ((rc = store_batch_new(st, &b, &err)) != 0 ||
	    (rc = store_batch_audit_event(b, &ev, &err)) != 0 ||
	    (rc = store_batch_commit(b, &err)) != 0) {
		rc = cli_error(ctx, rc, "%s: refused, and the refusal could not be audited: %s",
		    ctx->cmd_path, err.msg);
		goto out;
	}
	rc = cli_error(ctx, LSN_EDENIED, "%s", msg);
out:
	store_batch_free(b);
	return rc;
}

int
cli_as_principal(struct cli_ctx *ctx, store *st, const acl_data *data,
    unsigned need_roles, acl_principal **out)
{
	const char *name = ctx->principal;
	store_snap *sn = NULL;
	acl_principal *p = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char msg[256], reason[96], need[48];
	unsigned roles;
	lsn_err err;
	int rc;

	*out = NULL;
	if (name == NULL || name[0] == '\0')
		return cli_usage_error(ctx,
		    "no principal given: use --as NAME or set LIAISON_PRINCIPAL");
	if (!cli_name_valid(name))
		return cli_usage_error(ctx,
		    "--as: %s", ACL_PRINCIPAL_NAME_RULE);
	if ((rc = store_snap_begin(st, &sn, &err)) != 0) {
		rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	/* Principals put back from an older copy of the store (a disabled
	 * principal enabled again) are refused before any is believed, and
	 * without an entry: an entry would carry their digest, and so pass
	 * them (helper-28). */
	int broken = 0;
	if ((rc = store_principals_check(sn, &broken, &err)) != 0 &&
	    !(broken && ctx->walks_chain)) {
		store_snap_end(sn);
		rc = cli_error(ctx, rc, "%s: %s%s", ctx->cmd_path, err.msg,
		    broken ? " (liaison audit verify names where)" : "");
		goto out;
	}
	rc = store_principal_get(sn, name, &buf, &len, &err);
	store_snap_end(sn);
	if (rc == LSN_ENOTFOUND) {
		/* Told as a disabled one is: whoever runs a command does not
		 * learn which names exist (helper-28); the log says which. */
		snprintf(msg, sizeof(msg), "%s: unknown or disabled principal %s",
		    ctx->cmd_path, name);
		rc = refuse(ctx, st, name, "unknown principal", msg);
		goto out;
	}
	if (rc != 0) {
		rc = cli_error(ctx, rc, "%s: principal %s: %s", ctx->cmd_path, name, err.msg);
		goto out;
	}
	if ((rc = acl_principal_decode(&p, data, buf, len, &err)) != 0) {
		rc = cli_error(ctx, rc, "%s: principal %s: %s", ctx->cmd_path, name, err.msg);
		goto out;
	}
	if (acl_principal_disabled(p)) {
		snprintf(msg, sizeof(msg), "%s: unknown or disabled principal %s",
		    ctx->cmd_path, name);
		rc = refuse(ctx, st, name, "principal disabled", msg);
		goto out;
	}
	roles = acl_principal_roles(p);
	/* need_roles 0: any one role will do; a principal with none does nothing. */
	if ((need_roles == 0 && roles == 0) || (roles & need_roles) != need_roles) {
		if (need_roles == 0) {
			snprintf(reason, sizeof(reason), "holds no role");
			snprintf(msg, sizeof(msg), "%s may not run %s: it holds no role", name,
			    ctx->cmd_path);
		} else {
			cli_role_names(need_roles, need, sizeof(need));
			snprintf(reason, sizeof(reason), "lacks role %s", need);
			snprintf(msg, sizeof(msg), "%s may not run %s: it needs the %s role",
			    name, ctx->cmd_path, need);
		}
		rc = refuse(ctx, st, name, reason, msg);
		goto out;
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	lsn_wipe_free(buf, len);
	acl_principal_free(p);
	return rc;
}
