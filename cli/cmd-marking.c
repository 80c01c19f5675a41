/*
 * cli/cmd-marking.c - `liaison marking parse|render|rollup|check|decide`:
 * the marking engine (acl/) on the command line (DESIGN.md section 9).
 *
 * Exit status: 0 ok (decide: allowed, or view-only for DISPLAY ONLY),
 * 64 usage, 65 marking rejected or check failed, 66 no such file,
 * 70 internal, 77 decide: denied.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "ingest/ingest.h"

#define ISM_NS "urn:us:gov:ic:ism"
#define MAX_XML (16 * 1024 * 1024)

enum { O_JSON = 1, O_REGISTRY, O_MEMBERSHIP, O_BANNER, O_COUNTRY, O_CLEARANCE,
	O_SCI, O_USGOV, O_GROUPS, O_ACCESS };

#define DATA_OPTS \
	{ "registry", 1, O_REGISTRY, "FILE", "country/tetragraph registry CSV (newer ISMCAT)" }, \
	{ "membership", 1, O_MEMBERSHIP, "FILE", "tetragraph membership TSV (newer ISMCAT)" }

static const struct cli_opt parse_opts[] = {
	{ "json", 0, O_JSON, NULL, "print one JSON object" },
	{ "banner", 1, O_BANNER, "BANNER", "the banner, to resolve the (S//REL) shorthand" },
	DATA_OPTS,
	{ NULL, 0, 0, NULL, NULL },
};
static const struct cli_opt render_opts[] = {
	{ "json", 0, O_JSON, NULL, "print one JSON object" },
	DATA_OPTS,
	{ NULL, 0, 0, NULL, NULL },
};
static const struct cli_opt check_opts[] = {
	{ "json", 0, O_JSON, NULL, "print one JSON object a problem, then the result" },
	DATA_OPTS,
	{ NULL, 0, 0, NULL, NULL },
};
static const struct cli_opt decide_opts[] = {
	{ "country", 1, O_COUNTRY, "CCC", "the reader's country trigraph (required)" },
	{ "clearance", 1, O_CLEARANCE, "LEVEL", "U, C, S or TS (required)" },
	{ "sci", 1, O_SCI, "A,B", "SCI controls, SAR-PROGRAM, ACCM-NICKNAME, AEA, NATO-x and NATO-ATOMAL read-ons held" },
	{ "usgov", 0, O_USGOV, NULL, "the reader is US government" },
	{ "groups", 1, O_GROUPS, "G,H", "need-to-know groups" },
	{ "access", 1, O_ACCESS, "EXPR", "the portion's need-to-know expression" },
	{ "json", 0, O_JSON, NULL, "print one JSON object" },
	DATA_OPTS,
	{ NULL, 0, 0, NULL, NULL },
};

static int run_parse(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_render(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_rollup(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_check(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_decide(struct cli_ctx *, const struct cli_cmd *, int, char **);

static const struct cli_cmd sub_parse = { "parse", "BANNER",
	"parse a banner line or portion mark into ISM attributes", parse_opts, run_parse };
static const struct cli_cmd sub_render = { "render", "ATTRS...",
	"render ISM attributes (classification=S releasableTo=\"USA GBR\") as banner and portion",
	render_opts, run_render };
static const struct cli_cmd sub_rollup = { "rollup", "FILE",
	"compute the resource marking of an ISM XML file from its portions", render_opts,
	run_rollup };
static const struct cli_cmd sub_check = { "check", "FILE",
	"validate every portion of an ISM XML file and its banner against the roll-up",
	check_opts, run_check };
static const struct cli_cmd sub_decide = { "decide", "BANNER",
	"explain the access decision for a reader and a marking (exit 77: denied)",
	decide_opts, run_decide };

static const struct cli_cmd *const subs[] = { &sub_parse, &sub_render, &sub_rollup,
	&sub_check, &sub_decide, NULL };

struct opts {
	int json, usgov, clearance;
	const char *registry, *membership, *banner, *country, *sci, *groups, *access;
};

static int
get_opts(struct cli_ctx *ctx, const struct cli_cmd *sub, int argc, char **argv,
    struct opts *o)
{
	const char *arg;
	int id;

	memset(o, 0, sizeof(*o));
	while ((id = cli_next_opt(ctx, sub, argc, argv, &arg)) > 0) {
		switch (id) {
		case O_JSON:
			o->json = 1;
			break;
		case O_REGISTRY:
			o->registry = arg;
			break;
		case O_MEMBERSHIP:
			o->membership = arg;
			break;
		case O_BANNER:
			o->banner = arg;
			break;
		case O_COUNTRY:
			o->country = arg;
			break;
		case O_CLEARANCE:
			o->clearance = acl_level_parse(arg, strlen(arg));
			if (o->clearance == 0 || o->clearance == ACL_LEVEL_R)
				return cli_usage_error(ctx, "--clearance must be U, C, S or TS, not '%s'",
				    arg);
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
		case O_ACCESS:
			o->access = arg;
			break;
		}
	}
	return id < 0 ? 64 : 0;
}

static int
load_data(struct cli_ctx *ctx, const struct opts *o, acl_data **d)
{
	lsn_err err;
	int rc = acl_data_load(d, o->registry, o->membership, &err);

	if (rc != 0)
		return cli_error(ctx, rc, "%s: marking data: %s", ctx->cmd_path, err.msg);
	return 0;
}

static int
is_bool_attr(const char *n)
{
	return strcmp(n, "joint") == 0 || strcmp(n, "excludeFromRollup") == 0 ||
	    strcmp(n, "resourceElement") == 0;
}

/* Print m as ISM attributes plus banner and portion, text or JSON. */
static int
print_marking(struct cli_ctx *ctx, const acl_marking *m, int json)
{
	const char *const *names = acl_attr_names();
	char *banner = NULL, *portion = NULL, *v = NULL;
	lsn_err err;
	int rc = 0, first = 1;

	if ((rc = acl_marking_render(&banner, m, ACL_BANNER, &err)) != 0 ||
	    (rc = acl_marking_render(&portion, m, ACL_PORTION, &err)) != 0) {
		rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	if (json)
		putchar('{');
	for (int i = 0; names[i]; i++) {
		if ((rc = acl_marking_get_attr(&v, m, names[i], &err)) != 0) {
			rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, err.msg);
			goto out;
		}
		if (v[0] != '\0') {
			if (!json) {
				printf("%s: %s\n", names[i], v);
			} else {
				if (!first)
					putchar(',');
				first = 0;
				lsn_json_fputs(stdout, names[i]);
				putchar(':');
				if (strcmp(names[i], "classification") == 0) {
					lsn_json_fputs(stdout, v);
				} else if (is_bool_attr(names[i])) {
					fputs("true", stdout);
				} else {
					char *save = NULL, *t;
					int f2 = 1;
					putchar('[');
					for (t = strtok_r(v, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
						if (!f2)
							putchar(',');
						f2 = 0;
						lsn_json_fputs(stdout, t);
					}
					putchar(']');
				}
			}
		}
		free(v);
		v = NULL;
	}
	if (json) {
		if (!first)
			putchar(',');
		fputs("\"banner\":", stdout);
		lsn_json_fputs(stdout, banner);
		fputs(",\"portion\":", stdout);
		lsn_json_fputs(stdout, portion);
		fputs("}\n", stdout);
	} else {
		printf("banner: %s\nportion: %s\n", banner, portion);
	}
out:
	free(v);
	free(banner);
	free(portion);
	return rc;
}

static int
run_parse(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *d = NULL;
	acl_marking *m = NULL, *b = NULL;
	lsn_err err;
	int rc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(ctx, "expected one BANNER (quote it)");
	if ((rc = load_data(ctx, &o, &d)) != 0)
		return rc;
	if (o.banner && acl_marking_parse(&b, d, o.banner, NULL, NULL, &err) != 0) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: --banner: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	if (acl_marking_parse(&m, d, argv[optind], b, NULL, &err) != 0) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	if (acl_marking_validate(m, &err) != 0) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	rc = print_marking(ctx, m, o.json);
out:
	acl_marking_free(m);
	acl_marking_free(b);
	acl_data_free(d);
	return rc;
}

static int
run_render(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *d = NULL;
	acl_marking *m = NULL;
	lsn_err err;
	char *attrs = NULL;
	size_t len = 1;
	int rc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if (argc - optind < 1)
		return cli_usage_error(ctx, "expected ATTRS, e.g. classification=S ownerProducer=USA");
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 4;
	if ((attrs = calloc(1, len)) == NULL)
		return cli_error(ctx, LSN_EINTERNAL, "%s: out of memory", ctx->cmd_path);
	/* Each word is name=value (the shell removed the quotes: re-quote the
	 * value); a word holding several pairs or quotes is taken as is. */
	for (int i = optind; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (eq == NULL || strpbrk(eq + 1, "=\"'") != NULL) {
			strcat(attrs, argv[i]);
		} else {
			strncat(attrs, argv[i], (size_t)(eq - argv[i]) + 1);
			strcat(attrs, "\"");
			strcat(attrs, eq + 1);
			strcat(attrs, "\"");
		}
		strcat(attrs, " ");
	}
	if ((rc = load_data(ctx, &o, &d)) != 0)
		goto out;
	if (acl_marking_from_attrs(&m, d, attrs, &err) != 0 ||
	    acl_marking_validate(m, &err) != 0) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	rc = print_marking(ctx, m, o.json);
out:
	free(attrs);
	acl_marking_free(m);
	acl_data_free(d);
	return rc;
}

/* ---- XML ---- */

/* What read_xml does with a marking it cannot read: stop at it (rollup),
 * or report it and go on (check), as text or as JSON. */
enum { REPORT_NONE, REPORT_TEXT, REPORT_JSON };

/* One problem check found: "FILE:LINE: <ELEM>: PROBLEM", or as JSON
 * {"file","line","element","problem"} (line 0 and elem NULL: the whole
 * file's, null in JSON). */
static void
report_problem(int report, const char *file, long line, const char *elem, const char *msg)
{
	if (report == REPORT_JSON) {
		fputs("{\"file\":", stdout);
		lsn_json_fputs(stdout, file);
		if (line > 0)
			printf(",\"line\":%ld,\"element\":", line);
		else
			fputs(",\"line\":null,\"element\":", stdout);
		if (elem != NULL)
			lsn_json_fputs(stdout, elem);
		else
			fputs("null", stdout);
		fputs(",\"problem\":", stdout);
		lsn_json_fputs(stdout, msg);
		fputs("}\n", stdout);
	} else if (elem != NULL) {
		printf("%s:%ld: <%s>: %s\n", file, line, elem, msg);
	} else if (line > 0) {
		printf("%s:%ld: %s\n", file, line, msg);
	} else {
		printf("%s: %s\n", file, msg);
	}
}

struct xdoc {
	xmlDocPtr doc;
	acl_marking **m;  /* every marked element */
	long *line;
	const char **elem;
	size_t n, cap;
	int resource;     /* index into m, -1 none */
	int bad;          /* problems found while reading (check reports them) */
};

static void
quiet(void *ctx, const xmlError *e)
{
	(void)ctx;
	(void)e;
}

static int
collect(struct cli_ctx *ctx, const char *file, acl_data *d, xmlNodePtr n,
    struct xdoc *x, int report)
{
	for (; n; n = n->next) {
		xmlAttrPtr a;
		xmlChar *cls;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		cls = xmlGetNsProp(n, (const xmlChar *)"classification", (const xmlChar *)ISM_NS);
		if (cls != NULL) {
			acl_marking *m = NULL;
			lsn_err err;
			int ok = 1;

			xmlFree(cls);
			if (acl_marking_new(&m, d, &err) != 0)
				return cli_error(ctx, LSN_EINTERNAL, "%s: %s", ctx->cmd_path, err.msg);
			for (a = n->properties; a; a = a->next) {
				xmlChar *v;
				if (a->ns == NULL || strcmp((const char *)a->ns->href, ISM_NS) != 0)
					continue;
				v = xmlNodeListGetString(x->doc, a->children, 1);
				if (acl_marking_set_attr(m, (const char *)a->name,
					v ? (const char *)v : "", &err) != 0) {
					ok = 0;
					x->bad++;
					if (report != REPORT_NONE)
						report_problem(report, file, xmlGetLineNo(n),
						    (const char *)n->name, err.msg);
				}
				xmlFree(v);
			}
			if (!ok && report == REPORT_NONE) {
				acl_marking_free(m);
				return cli_error(ctx, LSN_EINPUT, "%s: %s:%ld: %s", ctx->cmd_path, file,
				    xmlGetLineNo(n), err.msg);
			}
			if (x->n == x->cap) {
				size_t cap = x->cap ? x->cap * 2 : 16;
				void *p1 = realloc(x->m, cap * sizeof(*x->m));
				if (p1)
					x->m = p1;
				void *p2 = realloc(x->line, cap * sizeof(*x->line));
				if (p2)
					x->line = p2;
				void *p3 = realloc(x->elem, cap * sizeof(*x->elem));
				if (p3)
					x->elem = p3;
				if (!p1 || !p2 || !p3) {
					acl_marking_free(m);
					return cli_error(ctx, LSN_EINTERNAL, "%s: out of memory", ctx->cmd_path);
				}
				x->cap = cap;
			}
			if (acl_marking_is_resource(m) && x->resource < 0)
				x->resource = (int)x->n;
			x->m[x->n] = m;
			x->line[x->n] = xmlGetLineNo(n);
			x->elem[x->n] = (const char *)n->name;
			x->n++;
		}
		if (collect(ctx, file, d, n->children, x, report) != 0)
			return 65;
	}
	return 0;
}

/*
 * Read an ISM XML file safely: size cap, no network, no DTD loading, no
 * entity substitution (XML_PARSE_NOENT and XML_PARSE_DTDLOAD are never
 * passed), and a document with a DTD is refused outright.
 */
static int
read_xml(struct cli_ctx *ctx, const char *file, acl_data *d, struct xdoc *x,
    int report)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n, size = 0;
	struct stat st;
	int rc = 0;

	memset(x, 0, sizeof(*x));
	x->resource = -1;
	if ((f = fopen(file, "rb")) == NULL) {
		rc = cli_error(ctx, LSN_ENOTFOUND, "%s: %s: no such file or not readable",
		    ctx->cmd_path, file);
		goto out;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s: not a regular file", ctx->cmd_path, file);
		goto out;
	}
	if (st.st_size > MAX_XML) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s: larger than %d bytes", ctx->cmd_path,
		    file, MAX_XML);
		goto out;
	}
	/* A report file: read straight into buf (no stdio buffer keeps a
	 * copy), wiped when done, and libxml2's copies wiped as it frees
	 * them (helper-29). */
	setvbuf(f, NULL, _IONBF, 0);
	ingest_xml_mem_wiped();
	size = (size_t)st.st_size + 1;
	if ((buf = malloc(size)) == NULL) {
		rc = cli_error(ctx, LSN_EINTERNAL, "%s: out of memory", ctx->cmd_path);
		goto out;
	}
	n = fread(buf, 1, size, f);
	if (n > (size_t)st.st_size || n > MAX_XML) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s: file grew while reading", ctx->cmd_path,
		    file);
		goto out;
	}
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)quiet);
	x->doc = xmlReadMemory(buf, (int)n, file, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (x->doc == NULL) {
		const xmlError *e = xmlGetLastError();
		char msg[256] = "parse error";
		if (e != NULL && e->message != NULL) /* no word of the text quoted */
			ingest_xml_message(strtok(e->message, "\n"), msg, sizeof(msg));
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s:%d: malformed XML: %s", ctx->cmd_path,
		    file, e ? e->line : 0, msg);
		goto out;
	}
	if (x->doc->intSubset != NULL || x->doc->extSubset != NULL) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s: DTDs are not accepted", ctx->cmd_path, file);
		goto out;
	}
	if ((rc = collect(ctx, file, d, xmlDocGetRootElement(x->doc), x, report)) != 0)
		goto out;
	if (x->n == 0) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s: no element carries ism:classification",
		    ctx->cmd_path, file);
		goto out;
	}
out:
	lsn_wipe_free(buf, size);
	if (f)
		fclose(f);
	return rc;
}

static void
free_xml(struct xdoc *x)
{
	for (size_t i = 0; i < x->n; i++)
		acl_marking_free(x->m[i]);
	free(x->m);
	free(x->line);
	free(x->elem);
	if (x->doc)
		xmlFreeDoc(x->doc);
}

/* Portions: the marked elements other than the resource element; those
 * with excludeFromRollup are skipped by acl_rollup(). */
static int
rollup_of(struct cli_ctx *ctx, acl_data *d, struct xdoc *x, acl_marking **out)
{
	const acl_marking **p = calloc(x->n + 1, sizeof(*p));
	size_t np = 0;
	lsn_err err;
	int rc = 0;

	if (p == NULL)
		return cli_error(ctx, LSN_EINTERNAL, "%s: out of memory", ctx->cmd_path);
	for (size_t i = 0; i < x->n; i++)
		if ((int)i != x->resource)
			p[np++] = x->m[i];
	if (acl_rollup(out, d, p, np, &err) != 0)
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s", ctx->cmd_path, err.msg);
	free(p);
	return rc;
}

static int
run_rollup(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *d = NULL;
	acl_marking *r = NULL;
	struct xdoc x = { 0 };
	int rc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(ctx, "expected one FILE");
	if ((rc = load_data(ctx, &o, &d)) != 0)
		return rc;
	if ((rc = read_xml(ctx, argv[optind], d, &x, REPORT_NONE)) != 0 ||
	    (rc = rollup_of(ctx, d, &x, &r)) != 0)
		goto out;
	rc = print_marking(ctx, r, o.json);
out:
	acl_marking_free(r);
	free_xml(&x);
	acl_data_free(d);
	return rc;
}

static int
run_check(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *d = NULL;
	acl_marking *r = NULL;
	struct xdoc x = { 0 };
	const char *file;
	char *want = NULL, *have = NULL, *msg = NULL;
	lsn_err err;
	int rc, bad, report;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(ctx, "expected one FILE");
	file = argv[optind];
	if ((rc = load_data(ctx, &o, &d)) != 0)
		return rc;
	report = o.json ? REPORT_JSON : REPORT_TEXT;
	if ((rc = read_xml(ctx, file, d, &x, report)) != 0)
		goto out;
	bad = x.bad;
	for (size_t i = 0; i < x.n; i++)
		if (acl_marking_validate(x.m[i], &err) != 0) {
			report_problem(report, file, x.line[i], x.elem[i], err.msg);
			bad++;
		}
	if (x.resource < 0) {
		report_problem(report, file, 0, NULL,
		    "no element has ism:resourceElement=\"true\"");
		bad++;
	} else if (bad == 0) {
		if ((rc = rollup_of(ctx, d, &x, &r)) != 0)
			goto out;
		if (!acl_marking_equal(r, x.m[x.resource])) {
			if (acl_marking_render(&want, r, ACL_BANNER, &err) != 0 ||
			    acl_marking_render(&have, x.m[x.resource], ACL_BANNER, &err) != 0) {
				rc = cli_error(ctx, LSN_EINPUT, "%s: %s", ctx->cmd_path, err.msg);
				goto out;
			}
			char diff[256] = "";
			if (strcmp(have, want) == 0)
				acl_marking_difference(diff, sizeof(diff), x.m[x.resource], r);
			if (asprintf(&msg, "banner %s does not equal the roll-up of its portions %s"
					   "%s (CAPCO 2016 D.2)", have, want, diff) < 0) {
				msg = NULL;
				rc = cli_error(ctx, LSN_EINTERNAL, "%s: out of memory", ctx->cmd_path);
				goto out;
			}
			/* As text: FILE:LINE: banner ... (no element), as before. */
			report_problem(report, file, x.line[x.resource],
			    report == REPORT_JSON ? x.elem[x.resource] : NULL, msg);
			bad++;
		}
	}
	if (report == REPORT_JSON) {
		/* The result, last: the banner as written, when it could be
		 * read (null: none, or one with problems of its own). */
		free(have);
		have = NULL;
		if (x.resource >= 0)
			acl_marking_render(&have, x.m[x.resource], ACL_BANNER, &err);
		fputs("{\"file\":", stdout);
		lsn_json_fputs(stdout, file);
		printf(",\"ok\":%s,\"problems\":%d,\"banner\":", bad ? "false" : "true", bad);
		if (have != NULL)
			lsn_json_fputs(stdout, have);
		else
			fputs("null", stdout);
		fputs("}\n", stdout);
	}
	if (bad) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s: %d problem%s", ctx->cmd_path, file, bad,
		    bad == 1 ? "" : "s");
		goto out;
	}
	if (report == REPORT_TEXT &&
	    acl_marking_render(&have, x.m[x.resource], ACL_BANNER, &err) == 0)
		printf("%s: ok: %s\n", file, have);
	rc = 0;
out:
	free(msg);
	free(want);
	free(have);
	acl_marking_free(r);
	free_xml(&x);
	acl_data_free(d);
	return rc;
}

static int
run_decide(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const verdicts[] = { "deny", "view", "allow" };
	struct opts o;
	acl_data *d = NULL;
	acl_marking *m = NULL;
	acl_principal *p = NULL;
	struct acl_decision dec;
	struct acl_principal_spec spec;
	lsn_err err;
	int rc, ntk = 1;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(ctx, "expected one BANNER (quote it)");
	if (o.country == NULL || o.clearance == 0)
		return cli_usage_error(ctx, "--country and --clearance are required");
	if ((rc = load_data(ctx, &o, &d)) != 0)
		return rc;
	spec = (struct acl_principal_spec){ .name = "cli", .country = o.country,
		.clearance = o.clearance, .accesses = o.sci, .usgov = o.usgov,
		.groups = o.groups };
	if (acl_principal_new(&p, d, &spec, &err) != 0) {
		rc = cli_error(ctx, LSN_EUSAGE, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	if (acl_marking_parse(&m, d, argv[optind], NULL, NULL, &err) != 0) {
		rc = cli_error(ctx, LSN_EINPUT, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	/* The expression is checked whatever the marking decides: a malformed
	 * one was reported only when the marking allowed. */
	if (o.access && (ntk = acl_ntk_check(p, o.access, &err)) < 0) {
		rc = cli_error(ctx, LSN_EUSAGE, "%s: --access: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	acl_decide(p, m, &dec);
	if (dec.verdict != ACL_DENY && ntk == 0)
		dec = (struct acl_decision){ ACL_DENY, ACL_R_NTK };
	if (o.json) {
		printf("{\"decision\":\"%s\",\"reason\":", verdicts[dec.verdict]);
		lsn_json_fputs(stdout, acl_reason_text(dec.reason));
		printf(",\"export\":%s}\n", dec.verdict == ACL_ALLOW ? "true" : "false");
	} else {
		printf("%s: %s\n", verdicts[dec.verdict], acl_reason_text(dec.reason));
	}
	rc = dec.verdict == ACL_DENY ? 77 : 0;
out:
	acl_principal_free(p);
	acl_marking_free(m);
	acl_data_free(d);
	return rc;
}

static int
run(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_dispatch(ctx, self, subs, argc, argv);
}

const struct cli_cmd cli_cmd_marking = { "marking", "SUBCOMMAND [ARGS]",
	"parse, render, roll up, check markings and explain decisions", NULL, run };
