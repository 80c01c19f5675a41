/*
 * cli/cmd-principal.c - `liaison principal add|list|show|disable`: the
 * readers and writers the store knows (DESIGN.md sections 2 and 9).
 *
 * Every subcommand needs an enabled officer (--as).  Principals are never
 * deleted: `disable` keeps the record, so the names in the audit trail
 * stay meaningful.  Each change is audited in the same batch as the
 * principal write (CREATE or MODIFY, SUCCESS); each read is audited too
 * (READ), before anything is printed.  What a change depends on is read
 * again in its commit (struct still): another process may have changed
 * it since this one read it.
 *
 * Exit status: 0 ok, 64 usage, 65 bad input (unknown country, clearance
 * or role; disabling the last enabled officer), 66 no such principal,
 * 73 the principal already exists, 74 I/O, 77 not an enabled officer.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "store/store.h"

enum { O_COUNTRY = 1, O_CLEARANCE, O_SCI, O_USGOV, O_GROUPS, O_ROLE, O_JSON };

static const struct cli_opt add_opts[] = {
	{ "country", 1, O_COUNTRY, "CCC", "country of affiliation, a registry trigraph (required)" },
	{ "clearance", 1, O_CLEARANCE, "LEVEL", "U, C, S or TS (required)" },
	{ "sci", 1, O_SCI, "A,B", "SCI controls, SAR-PROGRAM, ACCM-NICKNAME, AEA, NATO-x and NATO-ATOMAL read-ons held" },
	{ "usgov", 0, O_USGOV, NULL, "the principal is US government (USA only)" },
	{ "groups", 1, O_GROUPS, "G,H", "need-to-know groups" },
	{ "role", 1, O_ROLE, "ROLE",
	    "analyst, partner or officer; repeatable (default: analyst for USA, else partner)" },
	{ NULL, 0, 0, NULL, NULL },
};
static const struct cli_opt json_opts[] = {
	{ "json", 0, O_JSON, NULL, "one JSON object per principal, one per line" },
	{ NULL, 0, 0, NULL, NULL },
};
static const struct cli_opt no_opts[] = {
	{ NULL, 0, 0, NULL, NULL },
};

static int run_add(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_list(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_show(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_disable(struct cli_ctx *, const struct cli_cmd *, int, char **);

static const struct cli_cmd sub_add = { "add", "NAME",
	"add a principal (officer only; an existing name is refused)", add_opts, run_add };
static const struct cli_cmd sub_list = { "list", NULL,
	"list every principal (officer only)", json_opts, run_list };
static const struct cli_cmd sub_show = { "show", "NAME",
	"show one principal (officer only)", json_opts, run_show };
static const struct cli_cmd sub_disable = { "disable", "NAME",
	"disable a principal, keeping its record (officer only)", no_opts, run_disable };

static const struct cli_cmd *const subs[] = { &sub_add, &sub_list, &sub_show,
	&sub_disable, NULL };

struct opts {
	const char *name, *country, *clearance, *sci, *groups, *bad_role;
	unsigned roles;
	int usgov, json;
};


/* Add the comma-separated roles in s to o->roles; remember a bad one. */
static void
add_roles(struct opts *o, const char *s)
{
	static const char *const names[] = { "analyst", "partner", "officer" };
	static const unsigned bits[] = { ACL_ROLE_ANALYST, ACL_ROLE_PARTNER,
		ACL_ROLE_OFFICER };

	while (*s != '\0') {
		size_t n = strcspn(s, ",");
		int found = 0;

		for (size_t i = 0; i < 3; i++)
			if (n == strlen(names[i]) && strncmp(s, names[i], n) == 0) {
				o->roles |= bits[i];
				found = 1;
			}
		if (!found && o->bad_role == NULL)
			o->bad_role = s;
		s += n;
		if (*s == ',')
			s++;
	}
}

/*
 * Parse a subcommand's options and its NAME operand (when sub->args says
 * it takes one), before or after the options.  Returns 0 or 64 (printed).
 */
static int
get_opts(struct cli_ctx *ctx, const struct cli_cmd *sub, int argc, char **argv,
    struct opts *o)
{
	const char *arg;
	int id;

	memset(o, 0, sizeof(*o));
	/* "principal add NAME --country ...": take NAME first, then options. */
	if (sub->args != NULL && argc > 1 && argv[1][0] != '-') {
		o->name = argv[1];
		argc--;
		argv++;
	}
	while ((id = cli_next_opt(ctx, sub, argc, argv, &arg)) > 0) {
		switch (id) {
		case O_COUNTRY:
			o->country = arg;
			break;
		case O_CLEARANCE:
			o->clearance = arg;
			break;
		case O_SCI:
			o->sci = arg;
			break;
		case O_USGOV:
			o->usgov = 1;
			break;
		case O_GROUPS:
			o->groups = arg;
			break;
		case O_ROLE:
			add_roles(o, arg);
			if (arg[0] == '\0' && o->bad_role == NULL)
				o->bad_role = arg;
			break;
		case O_JSON:
			o->json = 1;
			break;
		}
	}
	if (id < 0)
		return 64;
	if (sub->args != NULL && o->name == NULL) {
		if (optind >= argc)
			return cli_usage_error(ctx, "which principal? give NAME");
		o->name = argv[optind++];
	}
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (sub == &sub_add && o->country == NULL)
		return cli_usage_error(ctx, "--country CCC is required");
	if (sub == &sub_add && o->clearance == NULL)
		return cli_usage_error(ctx, "--clearance U|C|S|TS is required");
	return 0;
}

/* Load the data, open the store, and check that --as is an officer. */
static int
begin(struct cli_ctx *ctx, acl_data **data, store **st, acl_principal **me)
{
	int rc;

	if ((rc = cli_acl_load(ctx, data)) != 0 || (rc = cli_store_open(ctx, st)) != 0)
		return rc;
	return cli_as_principal(ctx, *st, *data, ACL_ROLE_OFFICER, me);
}

/* Read and decode one principal in sn: 0, LSN_ENOTFOUND, another status. */
static int
snap_principal(store_snap *sn, const acl_data *data, const char *name, acl_principal **out,
    lsn_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	lsn_err why;
	int rc;

	*out = NULL;
	if ((rc = store_principal_get(sn, name, &buf, &len, err)) != 0)
		return rc;
	if ((rc = acl_principal_decode(out, data, buf, len, &why)) != 0)
		lsn_fail(err, rc, "principal %s: %.400s", name, why.msg);
	lsn_wipe_free(buf, len);
	return rc;
}

/*
 * Read and decode the principal name in a snapshot of its own.  Returns 0
 * with *out set, or LSN_ENOTFOUND / another status with the reason in err.
 */
static int
load_one(store *st, const acl_data *data, const char *name, acl_principal **out,
    lsn_err *err)
{
	store_snap *sn = NULL;
	int rc;

	*out = NULL;
	if ((rc = store_snap_begin(st, &sn, err)) != 0)
		return rc;
	rc = snap_principal(sn, data, name, out, err);
	store_snap_end(sn);
	return rc;
}

/* Every principal, decoded, in name order. */
struct plist {
	const acl_data *data;
	acl_principal **v;
	size_t n, cap;
	lsn_err err;
};

static int
collect(void *vctx, const char *name, const uint8_t *d, size_t len)
{
	struct plist *l = vctx;
	acl_principal *p = NULL;
	lsn_err why;
	int rc;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		acl_principal **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return lsn_fail(&l->err, LSN_EINTERNAL, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	if ((rc = acl_principal_decode(&p, l->data, d, len, &why)) != 0)
		return lsn_fail(&l->err, rc, "principal %.64s: %.400s", name, why.msg);
	l->v[l->n++] = p;
	return 0;
}

static void
plist_free(struct plist *l)
{
	for (size_t i = 0; i < l->n; i++)
		acl_principal_free(l->v[i]);
	free(l->v);
}

static int
load_all(store *st, struct plist *l)
{
	store_snap *sn = NULL;
	int rc;

	if ((rc = store_snap_begin(st, &sn, &l->err)) != 0)
		return rc;
	rc = store_principal_iter(sn, collect, l, &l->err);
	store_snap_end(sn);
	return rc;
}

static void
print_json(const acl_principal *p)
{
	char *j = NULL;

	if (acl_principal_json(&j, p, NULL) == 0)
		printf("%s\n", j);
	free(j);
}

static const char *
or_dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

/* The audit event an officer's action on objects leaves. */
static store_audit_event
event(const struct cli_ctx *ctx, const acl_principal *me, const char *action,
    const char *outcome, const char *const *objects, size_t nobjects)
{
	return (store_audit_event){ .principal = acl_principal_name(me),
		.action = action, .outcome = outcome, .objects = objects,
		.nobjects = nobjects, .detail = ctx->cmd_path, .hits = -1,
		.withheld = -1 };
}

/*
 * What an officer's change must find true when it commits, read again in
 * its write transaction: what was read before may have changed since,
 * when another process committed in between (two officers disabling each
 * other at once, two adds of one name, an officer disabled while acting).
 */
struct still {
	const acl_data *data;
	const char *actor;  /* still an enabled officer */
	const char *name;   /* the principal written */
	int absent;         /* add: no principal of that name */
	int enabled;        /* disable: it is not disabled yet */
	int other_officer;  /* disable: another enabled officer remains */
	int failed;         /* the check said no (not an I/O error) */
};

static int
enabled_officer(const acl_principal *p)
{
	return (acl_principal_roles(p) & ACL_ROLE_OFFICER) && !acl_principal_disabled(p);
}

/* The check said no: c->failed tells a reason from an I/O error. */
#define REFUSE(status, ...) (c->failed = 1, lsn_fail(err, (status), __VA_ARGS__))

static int
recheck(void *vctx, store_snap *sn, lsn_err *err)
{
	struct still *c = vctx;
	struct plist l = { .data = c->data };
	acl_principal *p = NULL;
	const char *clash = NULL;
	size_t officers = 0;
	int rc, ok;

	rc = snap_principal(sn, c->data, c->actor, &p, err);
	ok = rc == 0 && enabled_officer(p);
	acl_principal_free(p);
	if (rc != 0 && rc != LSN_ENOTFOUND && rc != LSN_EINPUT)
		return rc;
	if (!ok)
		return REFUSE(LSN_EDENIED, "%s is no longer an enabled officer", c->actor);
	if (c->absent) {
		rc = snap_principal(sn, c->data, c->name, &p, err);
		acl_principal_free(p);
		/* Never overwrite, even a record this data cannot decode. */
		if (rc == 0 || rc == LSN_EINPUT)
			return REFUSE(LSN_EEXISTS, "principal %s already exists", c->name);
		if (rc != LSN_ENOTFOUND)
			return rc;
	}
	if (c->enabled) {
		rc = snap_principal(sn, c->data, c->name, &p, err);
		ok = rc == 0 && !acl_principal_disabled(p);
		acl_principal_free(p);
		if (rc != 0)
			return rc;
		if (!ok)
			return REFUSE(LSN_EINPUT, "principal %s is already disabled", c->name);
	}
	if (!c->absent && !c->other_officer)
		return 0;
	if ((rc = store_principal_iter(sn, collect, &l, &l.err)) != 0) {
		*err = l.err;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *name = acl_principal_name(l.v[i]);
		/* add: nor one that differs only in case ("Ana" beside "ana"
		 * would pass for the other in a listing or the audit log) */
		if (c->absent && clash == NULL && strcasecmp(name, c->name) == 0)
			clash = name;
		if (enabled_officer(l.v[i]) && strcmp(name, c->name) != 0)
			officers++;
	}
	if (clash != NULL)
		rc = REFUSE(LSN_EEXISTS, "principal %s already exists as %s (names differing only "
		    "in case would pass for each other)", c->name, clash);
	/* disable: a store with no enabled officer could never be managed again */
	else if (c->other_officer && officers == 0)
		rc = REFUSE(LSN_EINPUT, "%s is the last enabled officer: add another officer first",
		    c->name);
out:
	plist_free(&l);
	return rc;
}
#undef REFUSE

/* Audit ev (a FAILURE) with reason why, then report why with status. */
static int
refuse(struct cli_ctx *ctx, store *st, store_audit_event *ev, int status, const char *why)
{
	int rc;

	ev->reason = why;
	if ((rc = cli_audit(ctx, st, ev)) != 0)
		return rc;
	return cli_error(ctx, status, "%s: %s", ctx->cmd_path, why);
}

/*
 * Queue p and ev in one batch and commit them together if what c asks
 * still holds then.  When it does not, nothing is written, and ev is
 * audited as a FAILURE with the reason instead.
 */
static int
write_principal(struct cli_ctx *ctx, store *st, const acl_principal *p,
    store_audit_event *ev, struct still *c)
{
	store_batch *b = NULL;
	uint8_t *enc = NULL;
	size_t len = 0;
	lsn_err err;
	int rc;

	if ((rc = acl_principal_encode(&enc, &len, p, &err)) == 0 &&
	    (rc = store_batch_new(st, &b, &err)) == 0) {
		store_batch_check(b, recheck, c);
		if ((rc = store_batch_put_principal(b, acl_principal_name(p), enc, len, &err)) == 0 &&
		    (rc = store_batch_audit_event(b, ev, &err)) == 0)
			rc = store_batch_commit(b, &err);
	}
	store_batch_free(b);
	free(enc);
	if (rc != 0 && c->failed) {
		ev->outcome = "FAILURE";
		return refuse(ctx, st, ev, rc, err.msg);
	}
	return rc != 0 ? cli_error(ctx, rc, "%s: %s", ctx->cmd_path, err.msg) : 0;
}

/* A clearance: a level, but never R (RESTRICTED is not a US clearance). */
static int
parse_level(const char *s)
{
	int l = acl_level_parse(s, strlen(s));

	return l == ACL_LEVEL_R ? 0 : l;
}

static int
run_add(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *data = NULL;
	store *st = NULL;
	acl_principal *me = NULL, *p = NULL;
	struct acl_principal_spec spec;
	struct still still;
	store_audit_event ev;
	const char *obj[1];
	char roles[32], granted[1200];
	lsn_err err;
	int rc, level;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if ((rc = begin(ctx, &data, &st, &me)) != 0)
		goto out;
	/* Only an officer learns what is wrong with the request; the log
	 * keeps the refusal (FAILURE) as it keeps the add. */
	obj[0] = o.name;
	ev = event(ctx, me, "CREATE", "FAILURE", obj, cli_name_valid(o.name) ? 1 : 0);
	if ((level = parse_level(o.clearance)) == 0) {
		snprintf(err.msg, sizeof(err.msg), "clearance must be U, C, S or TS, not '%.20s'",
		    o.clearance);
		rc = refuse(ctx, st, &ev, LSN_EINPUT, err.msg);
		goto out;
	}
	if (o.bad_role != NULL) {
		snprintf(err.msg, sizeof(err.msg), "unknown role '%.*s' (analyst, partner or officer)",
		    (int)(strcspn(o.bad_role, ",") > 20 ? 20 : strcspn(o.bad_role, ",")),
		    o.bad_role);
		rc = refuse(ctx, st, &ev, LSN_EINPUT, err.msg);
		goto out;
	}
	if (o.roles == 0)
		/* The host nation's people analyse; everyone else reads as a partner. */
		o.roles = strcmp(o.country, "USA") == 0 ? ACL_ROLE_ANALYST : ACL_ROLE_PARTNER;
	spec = (struct acl_principal_spec){ .name = o.name, .country = o.country,
		.clearance = level, .accesses = o.sci, .usgov = o.usgov,
		.groups = o.groups, .roles = o.roles };
	if ((rc = acl_principal_new(&p, data, &spec, &err)) != 0) {
		rc = refuse(ctx, st, &ev, rc, err.msg);
		goto out;
	}
	obj[0] = acl_principal_name(p);
	still = (struct still){ .data = data, .actor = acl_principal_name(me), .name = o.name,
		.absent = 1 };
	ev = event(ctx, me, "CREATE", "SUCCESS", obj, 1);
	/* What was granted: the officer's decision, which the log keeps. */
	snprintf(granted, sizeof(granted), "granted country %s, clearance %s, roles %s, "
	    "accesses %s, groups %s, %s", acl_principal_country(p), acl_level_name(level),
	    cli_role_names(acl_principal_roles(p), roles, sizeof(roles)),
	    or_dash(acl_principal_accesses(p)), or_dash(acl_principal_groups(p)),
	    acl_principal_usgov(p) ? "US government" : "not US government");
	ev.reason = granted;
	if ((rc = write_principal(ctx, st, p, &ev, &still)) != 0)
		goto out;
	printf("added principal %s: country %s, clearance %s, roles %s\n", o.name,
	    acl_principal_country(p), acl_level_name(level),
	    cli_role_names(acl_principal_roles(p), roles, sizeof(roles)));
out:
	acl_principal_free(p);
	acl_principal_free(me);
	store_close(st);
	acl_data_free(data);
	return rc;
}

/* The cells of p's line in `principal list`; roles is the role buffer. */
enum { NCOL = 8 };
static void
row(const acl_principal *p, const char *cell[NCOL], char *roles, size_t cap)
{
	cell[0] = acl_principal_name(p);
	cell[1] = acl_principal_country(p);
	cell[2] = acl_level_name(acl_principal_clearance(p));
	cell[3] = cli_role_names(acl_principal_roles(p), roles, cap);
	cell[4] = acl_principal_disabled(p) ? "disabled" : "enabled";
	cell[5] = acl_principal_usgov(p) ? "yes" : "no";
	cell[6] = or_dash(acl_principal_accesses(p));
	cell[7] = or_dash(acl_principal_groups(p));
}

static int
run_list(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const head[NCOL] = { "NAME", "COUNTRY", "CLEARANCE",
		"ROLES", "STATUS", "USGOV", "ACCESSES", "GROUPS" };
	const char *cell[NCOL];
	struct opts o;
	acl_data *data = NULL;
	store *st = NULL;
	acl_principal *me = NULL;
	struct plist l = { 0 };
	store_audit_event ev;
	size_t w[NCOL];
	char roles[32];
	int rc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if ((rc = begin(ctx, &data, &st, &me)) != 0)
		goto out;
	l.data = data;
	if ((rc = load_all(st, &l)) != 0) {
		rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, l.err.msg);
		goto out;
	}
	ev = event(ctx, me, "READ", "SUCCESS", NULL, 0);
	if ((rc = cli_audit(ctx, st, &ev)) != 0)
		goto out;
	if (o.json) {
		for (size_t i = 0; i < l.n; i++)
			print_json(l.v[i]);
		goto out;
	}
	for (size_t c = 0; c < NCOL; c++)
		w[c] = strlen(head[c]);
	for (size_t i = 0; i < l.n; i++) {
		row(l.v[i], cell, roles, sizeof(roles));
		for (size_t c = 0; c < NCOL; c++)
			if (strlen(cell[c]) > w[c])
				w[c] = strlen(cell[c]);
	}
	for (size_t i = 0; i <= l.n; i++) {
		const char *const *line = head;

		if (i > 0) {
			row(l.v[i - 1], cell, roles, sizeof(roles));
			line = cell;
		}
		for (size_t c = 0; c + 1 < NCOL; c++)
			printf("%-*s  ", (int)w[c], line[c]);
		printf("%s\n", line[NCOL - 1]);
	}
out:
	plist_free(&l);
	acl_principal_free(me);
	store_close(st);
	acl_data_free(data);
	return rc;
}

/* The name rule (cli_name_valid) as a failure in *err. */
static int
valid_name(const char *name, lsn_err *err)
{
	if (cli_name_valid(name))
		return 0;
	return lsn_fail(err, LSN_EINPUT, "%s", ACL_PRINCIPAL_NAME_RULE);
}

static int
run_show(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *data = NULL;
	store *st = NULL;
	acl_principal *me = NULL, *p = NULL;
	store_audit_event ev;
	const char *obj[1];
	char roles[32];
	lsn_err err;
	int rc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if ((rc = begin(ctx, &data, &st, &me)) != 0)
		goto out;
	obj[0] = o.name;
	/* A malformed name is refused as a missing one is: audited (add
	 * audits it too; show and disable did not: helper-28). */
	if ((rc = valid_name(o.name, &err)) != 0 ||
	    (rc = load_one(st, data, o.name, &p, &err)) != 0) {
		int status = rc;

		ev = event(ctx, me, "READ", "FAILURE", obj, cli_name_valid(o.name) ? 1 : 0);
		ev.reason = err.msg;
		if ((rc = cli_audit(ctx, st, &ev)) == 0)
			rc = cli_error(ctx, status, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	ev = event(ctx, me, "READ", "SUCCESS", obj, 1);
	if ((rc = cli_audit(ctx, st, &ev)) != 0)
		goto out;
	if (o.json) {
		print_json(p);
		goto out;
	}
	printf("name: %s\n", acl_principal_name(p));
	printf("country: %s\n", acl_principal_country(p));
	printf("clearance: %s\n", acl_level_name(acl_principal_clearance(p)));
	printf("accesses: %s\n", acl_principal_accesses(p));
	printf("usgov: %s\n", acl_principal_usgov(p) ? "yes" : "no");
	printf("groups: %s\n", acl_principal_groups(p));
	printf("roles: %s\n", cli_role_names(acl_principal_roles(p), roles, sizeof(roles)));
	printf("status: %s\n", acl_principal_disabled(p) ? "disabled" : "enabled");
out:
	acl_principal_free(p);
	acl_principal_free(me);
	store_close(st);
	acl_data_free(data);
	return rc;
}

static int
run_disable(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *data = NULL;
	store *st = NULL;
	acl_principal *me = NULL, *p = NULL, *off = NULL;
	struct acl_principal_spec spec;
	struct still still;
	store_audit_event ev;
	const char *obj[1];
	lsn_err err;
	int rc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if ((rc = begin(ctx, &data, &st, &me)) != 0)
		goto out;
	obj[0] = o.name;
	if ((rc = valid_name(o.name, &err)) != 0 ||
	    (rc = load_one(st, data, o.name, &p, &err)) != 0) {
		int status = rc;

		ev = event(ctx, me, "MODIFY", "FAILURE", obj, cli_name_valid(o.name) ? 1 : 0);
		ev.reason = err.msg;
		if ((rc = cli_audit(ctx, st, &ev)) == 0)
			rc = cli_error(ctx, status, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	if (acl_principal_disabled(p)) { /* nothing changes; the request is audited */
		ev = event(ctx, me, "MODIFY", "SUCCESS", obj, 1);
		ev.reason = "already disabled: nothing changed";
		if ((rc = cli_audit(ctx, st, &ev)) == 0)
			printf("principal %s is already disabled\n", o.name);
		goto out;
	}
	spec = (struct acl_principal_spec){ .name = acl_principal_name(p),
		.country = acl_principal_country(p),
		.clearance = acl_principal_clearance(p),
		.accesses = acl_principal_accesses(p), .usgov = acl_principal_usgov(p),
		.groups = acl_principal_groups(p), .roles = acl_principal_roles(p),
		.disabled = 1 };
	if ((rc = acl_principal_new(&off, data, &spec, &err)) != 0) {
		rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	still = (struct still){ .data = data, .actor = acl_principal_name(me), .name = o.name,
		.enabled = 1, .other_officer = (acl_principal_roles(p) & ACL_ROLE_OFFICER) != 0 };
	ev = event(ctx, me, "MODIFY", "SUCCESS", obj, 1);
	ev.reason = "disabled";
	if ((rc = write_principal(ctx, st, off, &ev, &still)) != 0)
		goto out;
	printf("disabled principal %s\n", o.name);
out:
	acl_principal_free(off);
	acl_principal_free(p);
	acl_principal_free(me);
	store_close(st);
	acl_data_free(data);
	return rc;
}

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_dispatch(ctx, self, subs, argc, argv);
}

const struct cli_cmd cli_cmd_principal = {
	"principal", "add|list|show|disable ...",
	"manage principals: add, list, show, disable (officer only)", NULL, run,
};
