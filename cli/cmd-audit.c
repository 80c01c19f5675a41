/*
 * cli/cmd-audit.c - `liaison audit show|verify|export`: security officers
 * read, verify and export the audit trail (DESIGN.md section 8, issue 6).
 *
 * Every subcommand needs an enabled officer (--as).  Reading the log is
 * itself audited, in its own batch, before anything is printed:
 *   audit show    action READ,   outcome SUCCESS
 *   audit export  action EXPORT, outcome SUCCESS (FAILURE: OUT unusable)
 *   audit verify  action READ,   outcome SUCCESS, or FAILURE with the
 *                 reason (verify reads the log without decrypting it; the
 *                 ODNI AUDIT vocabulary has no VERIFY, and READ is what it
 *                 does);
 * each with detail = the command line (filters, OUT, --head).  show and
 * export read a snapshot taken after their own entry, so they list it.
 *
 * Actions and outcomes are shown and exported in the ODNI AUDIT vocabulary
 * (map_word() below); the writers already use it, so today it is the
 * identity, and it maps the words DESIGN.md section 8 uses (ingest, query,
 * get, deny, ...) should a writer record them.
 *
 * Decrypted payloads live only in per-entry buffers that are wiped; the
 * output stream's buffer is ours and is wiped after the last flush.
 *
 * show and export walk the log with store_audit_iter(), which recomputes
 * the chain as verify does (over every entry, filtered out or not) and
 * stops at the first break: they print the entries before it, then the
 * break in verify's words, and exit 65.
 *
 * Exit status: 0 ok, 64 usage, 65 the chain is broken or does not extend
 * --head (or an entry fails authentication), 73 OUT exists, 74 I/O,
 * 77 not an enabled officer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "acl/acl.h"
#include "cli/cli.h"
#include "store/store.h"

enum { O_SINCE = 1, O_UNTIL, O_PRINCIPAL, O_ACTION, O_DENIED, O_REPORT, O_JSON,
	O_HEAD };

static const struct cli_opt show_opts[] = {
	{ "since", 1, O_SINCE, "T", "entries at or after T (2026-11-23T10:00:00Z or 2026-11-23)" },
	{ "until", 1, O_UNTIL, "T", "entries up to T, inclusive (a date: its whole day)" },
	{ "principal", 1, O_PRINCIPAL, "NAME", "entries of this principal" },
	{ "action", 1, O_ACTION, "A", "entries with this action (READ, CREATE, ACCESS_DECISION, ...)" },
	{ "denied", 0, O_DENIED, NULL, "entries with outcome DENY or FAILURE" },
	{ "report", 1, O_REPORT, "ID", "entries whose objects include ID" },
	{ "json", 0, O_JSON, NULL, "one JSON object per entry, one per line (as export)" },
	{ NULL, 0, 0, NULL, NULL },
};
static const struct cli_opt verify_opts[] = {
	{ "head", 1, O_HEAD, "SEQ:MAC", "also check the log still holds this head, noted earlier" },
	{ NULL, 0, 0, NULL, NULL },
};
static const struct cli_opt export_opts[] = {
	{ "since", 1, O_SINCE, "T", "entries at or after T (2026-11-23T10:00:00Z or 2026-11-23)" },
	{ "until", 1, O_UNTIL, "T", "entries up to T, inclusive (a date: its whole day)" },
	{ NULL, 0, 0, NULL, NULL },
};

static int run_show(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_verify(struct cli_ctx *, const struct cli_cmd *, int, char **);
static int run_export(struct cli_ctx *, const struct cli_cmd *, int, char **);

static const struct cli_cmd sub_show = { "show", NULL,
	"print audit entries as a table, filtered, up to a break in the chain (officer only)",
	show_opts, run_show };
static const struct cli_cmd sub_verify = { "verify", NULL,
	"recompute the audit chain and print its head SEQ:MAC (officer only)",
	verify_opts, run_verify };
static const struct cli_cmd sub_export = { "export", "[OUT]",
	"write audit entries as JSON Lines to OUT (mode 0600) or stdout, up to a break in "
	"the chain (officer only)", export_opts, run_export };

static const struct cli_cmd *const subs[] = { &sub_show, &sub_verify, &sub_export,
	NULL };

struct opts {
	uint64_t since, until;  /* inclusive bounds, microseconds */
	const char *principal, *action, *report, *out;
	int denied, json, has_head;
	uint64_t head_seq;
	uint8_t head_mac[STORE_MAC_LEN];
	char request[400];      /* the command line, for the audit entry */
};

/* ---- parsing the command line ---- */

/* n decimal digits at s into *v; 0 ok, -1 otherwise. */
static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * An ISO 8601 UTC time, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.ffffff]Z, as
 * microseconds.  upper: the last microsecond the text names (a date: its
 * whole day; seconds: the whole second), for an inclusive --until.
 * Returns 0, or -1 for anything else.
 */
static int
parse_time(const char *s, int upper, uint64_t *out)
{
	struct tm tm = { 0 }, back;
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0, nfrac = 0;
	uint64_t span = 86400000000ull;
	time_t t;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	s += 10;
	if (*s != '\0') {
		if ((*s != 'T' && *s != 't') || strlen(s) < 10 || digits(s + 1, 2, &h) ||
		    s[3] != ':' || digits(s + 4, 2, &mi) || s[6] != ':' ||
		    digits(s + 7, 2, &se))
			return -1;
		s += 9;
		span = 1000000;
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, nfrac++) {
				if (nfrac == 6)
					return -1;
				frac = frac * 10 + (*s - '0');
			}
			if (nfrac == 0)
				return -1;
			span = 1;
			for (int i = nfrac; i < 6; i++) {
				frac *= 10;
				span *= 10;
			}
		}
		if ((*s != 'Z' && *s != 'z') || s[1] != '\0')
			return -1;
	}
	if (y < 1970 || h > 23 || mi > 59 || se > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	/* timegm() normalises 2026-02-30 to March: refuse what does not round-trip. */
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
	    back.tm_mon != mo - 1 || back.tm_mday != d)
		return -1;
	*out = (uint64_t)t * 1000000u + (uint64_t)frac + (upper ? span - 1 : 0);
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* SEQ:MAC as `audit verify` prints it.  0 ok, -1 malformed. */
static int
parse_head(const char *s, uint64_t *seq, uint8_t mac[STORE_MAC_LEN])
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*seq = strtoull(s, &end, 10);
	if (errno != 0 || *end != ':' || strlen(end + 1) != 2 * STORE_MAC_LEN)
		return -1;
	end++;
	for (size_t i = 0; i < STORE_MAC_LEN; i++) {
		int hi = hexval(end[2 * i]), lo = hexval(end[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* The command line, cut to fit, for the audit entry's detail. */
static void
describe(struct opts *o, const struct cli_ctx *ctx, int argc, char **argv)
{
	size_t n = (size_t)snprintf(o->request, sizeof(o->request), "%s", ctx->cmd_path);

	for (int i = 1; i < argc && n < sizeof(o->request); i++)
		n += (size_t)snprintf(o->request + n, sizeof(o->request) - n, " %s", argv[i]);
	if (n >= sizeof(o->request))
		memcpy(o->request + sizeof(o->request) - 4, "...", 4);
}

/* Parse a subcommand's options and operand.  Returns 0 or 64 (printed). */
static int
get_opts(struct cli_ctx *ctx, const struct cli_cmd *sub, int argc, char **argv,
    struct opts *o)
{
	const char *arg;
	int id;

	memset(o, 0, sizeof(*o));
	o->until = UINT64_MAX;
	describe(o, ctx, argc, argv);
	/* "audit export OUT --since T": take OUT first, then the options. */
	if (sub->args != NULL && argc > 1 && argv[1][0] != '-') {
		o->out = argv[1];
		argc--;
		argv++;
	}
	while ((id = cli_next_opt(ctx, sub, argc, argv, &arg)) > 0) {
		switch (id) {
		case O_SINCE:
		case O_UNTIL:
			if (parse_time(arg, id == O_UNTIL, id == O_SINCE ? &o->since : &o->until))
				return cli_usage_error(ctx, "--%s: not a UTC time "
				    "(2026-11-23T10:00:00Z or 2026-11-23): '%.40s'",
				    id == O_SINCE ? "since" : "until", arg);
			break;
		case O_PRINCIPAL:
			o->principal = arg;
			break;
		case O_ACTION:
			o->action = arg;
			break;
		case O_DENIED:
			o->denied = 1;
			break;
		case O_REPORT:
			o->report = arg;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_HEAD:
			if (parse_head(arg, &o->head_seq, o->head_mac))
				return cli_usage_error(ctx, "--head: expected SEQ:MAC as `audit "
				    "verify` prints it (MAC: 64 hex digits), not '%.100s'", arg);
			o->has_head = 1;
			break;
		}
	}
	if (id < 0)
		return 64;
	if (sub->args != NULL && o->out == NULL && optind < argc)
		o->out = argv[optind++];
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (o->since > o->until)
		return cli_usage_error(ctx, "--since is after --until");
	if (o->out != NULL && strcmp(o->out, "-") == 0)
		o->out = NULL;
	return 0;
}

/* ---- one decoded entry ---- */

/* An entry's payload, decoded.  Strings point into buf (wiped). */
struct ev {
	char *buf;
	size_t cap;
	const char *principal, *action, *outcome, *reason, *detail;
	const char *objects;   /* nobjects NUL-terminated strings, back to back */
	size_t nobjects;
	int64_t hits, withheld; /* -1: absent */
};

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Append code point c as UTF-8 at *w. */
static void
put_utf8(char **w, unsigned c)
{
	char *q = *w;

	if (c < 0x80) {
		*q++ = (char)c;
	} else if (c < 0x800) {
		*q++ = (char)(0xc0 | c >> 6);
		*q++ = (char)(0x80 | (c & 0x3f));
	} else {
		*q++ = (char)(0xe0 | c >> 12);
		*q++ = (char)(0x80 | (c >> 6 & 0x3f));
		*q++ = (char)(0x80 | (c & 0x3f));
	}
	*w = q;
}

/*
 * The JSON string at *pp, unescaped to *w and NUL-terminated (it never
 * grows: an escape is longer than what it stands for, and the quotes pay
 * for the NUL).  Returns the string, or NULL when malformed.
 */
static const char *
json_str(const char **pp, const char *end, char **w)
{
	const char *p = *pp;
	char *start = *w, *q = *w;

	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		if (*p != '\\') {
			if ((unsigned char)*p < 0x20 || *p == '\0')
				return NULL;
			*q++ = *p++;
			continue;
		}
		if (++p >= end)
			return NULL;
		switch (*p++) {
		case '"': *q++ = '"'; break;
		case '\\': *q++ = '\\'; break;
		case '/': *q++ = '/'; break;
		case 'b': *q++ = '\b'; break;
		case 'f': *q++ = '\f'; break;
		case 'n': *q++ = '\n'; break;
		case 'r': *q++ = '\r'; break;
		case 't': *q++ = '\t'; break;
		case 'u': {
			unsigned c = 0;
			if (end - p < 4)
				return NULL;
			for (int i = 0; i < 4; i++) {
				int h = hexval(p[i]);
				if (h < 0)
					return NULL;
				c = c << 4 | (unsigned)h;
			}
			p += 4;
			if (c == 0)
				return NULL; /* would cut the string short */
			put_utf8(&q, c);
			break;
		}
		default:
			return NULL;
		}
	}
	if (p >= end)
		return NULL;
	*q++ = '\0';
	*w = q;
	*pp = p + 1;
	return start;
}

/* A JSON integer at *pp.  0 ok, -1 malformed. */
static int
json_int(const char **pp, const char *end, int64_t *v)
{
	const char *p = *pp;
	int neg = 0;

	*v = 0;
	if (p < end && *p == '-')
		neg = 1, p++;
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		if (*v > (INT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (*p++ - '0');
	}
	*v = neg ? -*v : *v;
	*pp = p;
	return 0;
}

/*
 * Skip a JSON value of a key this build does not know (a later writer's),
 * so that old readers still read new entries.  depth caps nesting.
 */
static int
json_skip(const char **pp, const char *end, char **w, int depth)
{
	const char *p = skip_ws(*pp, end);
	char *mark = *w;
	int64_t n;

	if (p >= end || depth > 16)
		return -1;
	if (*p == '"') {
		if (json_str(&p, end, w) == NULL)
			return -1;
		*w = mark;
	} else if (*p == '[' || *p == '{') {
		char close = *p == '[' ? ']' : '}';
		p = skip_ws(p + 1, end);
		while (p < end && *p != close) {
			if (close == '}') {
				if (json_str(&p, end, w) == NULL)
					return -1;
				*w = mark;
				p = skip_ws(p, end);
				if (p >= end || *p++ != ':')
					return -1;
			}
			if (json_skip(&p, end, w, depth + 1) != 0)
				return -1;
			p = skip_ws(p, end);
			if (p < end && *p == ',')
				p = skip_ws(p + 1, end);
			else if (p >= end || *p != close)
				return -1;
		}
		if (p >= end)
			return -1;
		p++;
	} else if (end - p >= 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) {
		p += 4;
	} else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
		p += 5;
	} else {
		if (json_int(&p, end, &n) != 0)
			return -1;
		/* fractions and exponents of a later writer's numbers */
		while (p < end && strchr("0123456789.eE+-", *p) != NULL)
			p++;
	}
	*pp = p;
	return 0;
}

/*
 * Decode a payload (the object store_batch_audit_event() writes) into ev,
 * whose buf must hold len + 1 bytes.  Returns 0, -1 when malformed.
 */
static int
ev_parse(struct ev *ev, const uint8_t *payload, size_t len)
{
	const char *p = (const char *)payload, *end = p + len, *key, *s;
	const char **slot;
	char *w = ev->buf;

	ev->principal = ev->action = ev->outcome = ev->reason = ev->detail = NULL;
	ev->objects = NULL;
	ev->nobjects = 0;
	ev->hits = ev->withheld = -1;
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	for (p = skip_ws(p, end); p < end && *p != '}';) {
		char *mark = w;

		if ((key = json_str(&p, end, &w)) == NULL)
			return -1;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return -1;
		p = skip_ws(p, end);
		slot = strcmp(key, "principal") == 0 ? &ev->principal :
		    strcmp(key, "action") == 0 ? &ev->action :
		    strcmp(key, "outcome") == 0 ? &ev->outcome :
		    strcmp(key, "reason") == 0 ? &ev->reason :
		    strcmp(key, "detail") == 0 ? &ev->detail : NULL;
		if (slot != NULL) {
			w = mark; /* the key's bytes are not needed any more */
			if ((*slot = json_str(&p, end, &w)) == NULL)
				return -1;
		} else if (strcmp(key, "objects") == 0) {
			w = mark;
			if (p >= end || *p++ != '[')
				return -1;
			ev->objects = w;
			for (p = skip_ws(p, end); p < end && *p != ']';) {
				if ((s = json_str(&p, end, &w)) == NULL)
					return -1;
				ev->nobjects++;
				p = skip_ws(p, end);
				if (p < end && *p == ',')
					p = skip_ws(p + 1, end);
				else if (p >= end || *p != ']')
					return -1;
			}
			if (p >= end)
				return -1;
			p++;
		} else if (strcmp(key, "hits") == 0 || strcmp(key, "withheld") == 0) {
			int64_t *v = key[0] == 'h' ? &ev->hits : &ev->withheld;
			w = mark;
			if (json_int(&p, end, v) != 0)
				return -1;
		} else {
			w = mark;
			if (json_skip(&p, end, &w, 0) != 0)
				return -1;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		else if (p >= end || *p != '}')
			return -1;
	}
	if (p >= end)
		return -1;
	return skip_ws(p + 1, end) == end ? 0 : -1;
}

/*
 * The ODNI AUDIT word for an action or outcome.  The writers record these
 * words already; the table maps the plain words of DESIGN.md section 8,
 * should a writer use them.  Unknown words pass through unchanged.
 */
static const char *
map_word(const char *w, int outcome)
{
	static const char *const actions[][2] = {
		{ "ingest", "CREATE" }, { "add", "CREATE" }, { "import", "CREATE" },
		{ "query", "READ" }, { "search", "READ" }, { "list", "READ" },
		{ "verify", "READ" }, { "audit-verify", "READ" },
		{ "get", "RETRIEVE" }, { "view", "RETRIEVE" },
		{ "deny", "ACCESS_DECISION" }, { "decide", "ACCESS_DECISION" },
		{ "principal-change", "MODIFY" }, { "disable", "MODIFY" },
		{ "key", "MODIFY" }, { "rekey", "MODIFY" }, { "remove", "DELETE" },
	};
	static const char *const outcomes[][2] = {
		{ "ok", "SUCCESS" }, { "error", "FAILURE" }, { "fail", "FAILURE" },
		{ "failed", "FAILURE" }, { "denied", "DENY" }, { "refused", "DENY" },
		{ "allow", "GRANT" }, { "allowed", "GRANT" }, { "granted", "GRANT" },
		{ "permit", "GRANT" },
	};
	const char *const(*t)[2] = outcome ? outcomes : actions;
	size_t n = outcome ? sizeof(outcomes) / sizeof(outcomes[0]) :
			     sizeof(actions) / sizeof(actions[0]);

	if (w == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(w, t[i][0]) == 0)
			return t[i][1];
	return w;
}

/* ---- output ---- */

/* OUT's stdio buffer, ours so that the plaintext it held can be wiped
 * (stdout's is wiped by cli/liaison.c for every command). */
static char filebuf[1 << 16];

static void
time_iso(uint64_t us, int micro, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000u);
	struct tm tm;
	size_t n;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, cap, "?");
		return;
	}
	n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(buf + n, cap - n, ".%06uZ", (unsigned)(us % 1000000u));
	else
		snprintf(buf + n, cap - n, "Z");
}

static void
json_or_null(FILE *f, const char *s)
{
	if (s != NULL)
		lsn_json_fputs(f, s);
	else
		fputs("null", f);
}

static void
json_num(FILE *f, int64_t v)
{
	if (v >= 0)
		fprintf(f, "%" PRId64, v);
	else
		fputs("null", f);
}

/* One entry as the stable JSON object of `audit export` (the man page). */
static void
print_json(FILE *f, const store_audit_entry *e, const struct ev *ev)
{
	char t[40];
	const char *o = ev->objects;

	time_iso(e->time_us, 1, t, sizeof(t));
	fprintf(f, "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"principal\":", e->seq, t);
	json_or_null(f, ev->principal);
	fputs(",\"action\":", f);
	json_or_null(f, map_word(ev->action, 0));
	fputs(",\"outcome\":", f);
	json_or_null(f, map_word(ev->outcome, 1));
	fputs(",\"objects\":[", f);
	for (size_t i = 0; i < ev->nobjects; i++, o += strlen(o) + 1) {
		if (i)
			fputc(',', f);
		lsn_json_fputs(f, o);
	}
	fputs("],\"reason\":", f);
	json_or_null(f, ev->reason);
	fputs(",\"detail\":", f);
	json_or_null(f, ev->detail);
	fputs(",\"hits\":", f);
	json_num(f, ev->hits);
	fputs(",\"withheld\":", f);
	json_num(f, ev->withheld);
	fputs(",\"mac\":\"", f);
	for (size_t i = 0; i < STORE_MAC_LEN; i++)
		fprintf(f, "%02x", e->mac[i]);
	fputs("\"}\n", f);
}

/* The table's columns; the free text goes last so it needs no padding. */
enum { C_SEQ, C_TIME, C_PRINCIPAL, C_ACTION, C_OUTCOME, C_HITS, C_OBJECTS, C_DETAIL,
	NCOL };
static const char *const heads[NCOL] = { "SEQ", "TIME", "PRINCIPAL", "ACTION",
	"OUTCOME", "HITS/WITHHELD", "OBJECTS", "REASON (DETAIL)" };
#define MAX_OBJECTS_SHOWN 3
#define MAX_OBJECT_WIDTH 64 /* characters of one object shown, then "..." */

/*
 * Print (f not NULL) or measure s: control characters (C0, DEL and C1, as
 * lsn_clean) and bytes of no valid UTF-8 character become '?' so that a
 * hostile report id, file name or query text cannot forge table lines or
 * drive the terminal (C1's CSI is an escape on its own).  Returns the width
 * in characters.
 */
static size_t
cell_put_max(FILE *f, const char *s, size_t max)
{
	size_t n = strlen(s), w = 0;
	char *c = malloc(n + 4); /* room for the "..." of a cut */

	if (c == NULL) /* out of memory: nothing of s rather than raw s */
		return f != NULL ? (fputs("?", f), 1) : 1;
	memcpy(c, s, n + 1);
	lsn_clean(c);
	for (unsigned char *p = (unsigned char *)c; *p; p++)
		if ((*p & 0xc0) != 0x80 && ++w > max) { /* cut at a character */
			strcpy((char *)p, "...");
			w += 2;
			break;
		}
	if (f != NULL)
		fputs(c, f);
	free(c);
	return w;
}

static size_t
cell_put(FILE *f, const char *s)
{
	return cell_put_max(f, s, SIZE_MAX);
}

/* Print or measure cell c of entry e; returns its width. */
static size_t
cell(FILE *f, int c, const store_audit_entry *e, const struct ev *ev)
{
	char buf[64];
	const char *o = ev->objects;
	size_t w = 0;

	switch (c) {
	case C_SEQ:
		snprintf(buf, sizeof(buf), "%" PRIu64, e->seq);
		return cell_put(f, buf);
	case C_TIME:
		time_iso(e->time_us, 0, buf, sizeof(buf));
		return cell_put(f, buf);
	case C_PRINCIPAL:
		return cell_put(f, ev->principal ? ev->principal : "-");
	case C_ACTION:
		return cell_put(f, ev->action ? map_word(ev->action, 0) : "-");
	case C_OUTCOME:
		return cell_put(f, ev->outcome ? map_word(ev->outcome, 1) : "-");
	case C_HITS:
		if (ev->hits < 0 && ev->withheld < 0)
			return cell_put(f, "-");
		if (ev->withheld < 0)
			snprintf(buf, sizeof(buf), "%" PRId64, ev->hits);
		else if (ev->hits < 0)
			snprintf(buf, sizeof(buf), "-/%" PRId64, ev->withheld);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 "/%" PRId64, ev->hits,
			    ev->withheld);
		return cell_put(f, buf);
	case C_OBJECTS:
		if (ev->nobjects == 0)
			return cell_put(f, "-");
		for (size_t i = 0; i < ev->nobjects && i < MAX_OBJECTS_SHOWN;
		     i++, o += strlen(o) + 1)
			w += (i ? cell_put(f, ",") : 0) + cell_put_max(f, o, MAX_OBJECT_WIDTH);
		if (ev->nobjects > MAX_OBJECTS_SHOWN) {
			snprintf(buf, sizeof(buf), ",+%zu more", ev->nobjects - MAX_OBJECTS_SHOWN);
			w += cell_put(f, buf);
		}
		return w;
	default:
		if (ev->reason != NULL && ev->detail != NULL) {
			w = cell_put(f, ev->reason) + cell_put(f, " (");
			return w + cell_put(f, ev->detail) + cell_put(f, ")");
		}
		return cell_put(f, ev->reason ? ev->reason : ev->detail ? ev->detail : "-");
	}
}

/* ---- reading the log ---- */

enum { MODE_MEASURE, MODE_TABLE, MODE_JSON };

struct walk {
	const struct opts *o;
	FILE *f;
	int mode;
	size_t w[NCOL];
	uint64_t matched;
	lsn_err err;
};

static int
matches(const struct opts *o, const store_audit_entry *e, const struct ev *ev)
{
	const char *obj = ev->objects, *outcome = map_word(ev->outcome, 1);
	int found = 0;

	if (e->time_us < o->since || e->time_us > o->until)
		return 0;
	if (o->principal != NULL &&
	    (ev->principal == NULL || strcmp(ev->principal, o->principal) != 0))
		return 0;
	if (o->action != NULL && (ev->action == NULL ||
	    (strcasecmp(ev->action, o->action) != 0 &&
	     strcasecmp(map_word(ev->action, 0), o->action) != 0)))
		return 0;
	if (o->denied && (outcome == NULL ||
	    (strcmp(outcome, "DENY") != 0 && strcmp(outcome, "FAILURE") != 0)))
		return 0;
	if (o->report != NULL) {
		for (size_t i = 0; i < ev->nobjects && !found; i++, obj += strlen(obj) + 1)
			found = strcmp(obj, o->report) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

static int
visit(void *vctx, const store_audit_entry *e)
{
	struct walk *wk = vctx;
	struct ev ev = { 0 };
	int rc = 0;

	/* Cheap filters first: no need to decode what the time range drops. */
	if (e->time_us < wk->o->since || e->time_us > wk->o->until)
		return 0;
	ev.cap = e->payload_len + 1;
	if ((ev.buf = malloc(ev.cap)) == NULL)
		return lsn_fail(&wk->err, LSN_EINTERNAL, "out of memory");
	if (ev_parse(&ev, e->payload, e->payload_len) != 0) {
		rc = lsn_fail(&wk->err, LSN_EINPUT, "audit entry %" PRIu64
		    " holds no audit event", e->seq);
		goto out;
	}
	if (!matches(wk->o, e, &ev))
		goto out;
	wk->matched++;
	if (wk->mode == MODE_JSON) {
		print_json(wk->f, e, &ev);
	} else {
		for (int c = 0; c < NCOL; c++) {
			FILE *f = wk->mode == MODE_TABLE ? wk->f : NULL;
			size_t w = cell(f, c, e, &ev);
			if (wk->mode == MODE_MEASURE && w > wk->w[c])
				wk->w[c] = w;
			if (f != NULL && c + 1 < NCOL)
				fprintf(f, "%*s", (int)(wk->w[c] - w + 2), "");
		}
		if (wk->mode == MODE_TABLE)
			fputc('\n', wk->f);
	}
	if (ferror(wk->f))
		rc = lsn_fail(&wk->err, LSN_EIO, "cannot write: %s", strerror(errno));
out:
	lsn_wipe_free(ev.buf, ev.cap);
	return rc;
}

/* Load the data, open the store, and check that --as is an officer. */
static int
begin(struct cli_ctx *ctx, acl_data **data, store **st, acl_principal **me)
{
	int rc;

	if ((rc = cli_acl_load(ctx, data)) != 0 || (rc = cli_store_open(ctx, st)) != 0)
		return rc;
	ctx->walks_chain = 1;
	return cli_as_principal(ctx, *st, *data, ACL_ROLE_OFFICER, me);
}

static store_audit_event
event(const acl_principal *me, const char *action, const char *outcome,
    const char *reason, const struct opts *o)
{
	return (store_audit_event){ .principal = acl_principal_name(me),
		.action = action, .outcome = outcome, .reason = reason,
		.detail = o->request, .hits = -1, .withheld = -1 };
}

/* Walk the log in a fresh snapshot in mode.  Returns 0 or a status (wk->err). */
static int
walk_log(store *st, struct walk *wk, int mode)
{
	store_snap *sn = NULL;
	int rc;

	wk->mode = mode;
	wk->matched = 0;
	if ((rc = store_snap_begin(st, &sn, &wk->err)) != 0)
		return rc;
	rc = store_audit_iter(sn, 1, visit, wk, &wk->err);
	store_snap_end(sn);
	return rc;
}

static int
run_show(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *data = NULL;
	store *st = NULL;
	acl_principal *me = NULL;
	store_audit_event ev;
	store_snap *sn = NULL;
	struct walk wk = { 0 };
	int rc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if ((rc = begin(ctx, &data, &st, &me)) != 0)
		goto out;
	ev = event(me, "READ", "SUCCESS", NULL, &o);
	if ((rc = cli_audit(ctx, st, &ev)) != 0)
		goto out;
	wk.o = &o;
	wk.f = stdout;
	if (o.json) {
		rc = walk_log(st, &wk, MODE_JSON);
	} else {
		/* Two passes over one snapshot: widths, then the table. */
		for (int c = 0; c < NCOL; c++)
			wk.w[c] = strlen(heads[c]);
		if ((rc = store_snap_begin(st, &sn, &wk.err)) == 0) {
			wk.mode = MODE_MEASURE;
			rc = store_audit_iter(sn, 1, visit, &wk, &wk.err);
		}
		/* A break stops both passes at the same entry of the one
		 * snapshot: print the entries before it, as --json and export
		 * do, and report it after them. */
		if (rc == 0 || rc == LSN_EINPUT) {
			for (int c = 0; c < NCOL; c++)
				printf("%-*s%s", c + 1 < NCOL ? (int)wk.w[c] : 0, heads[c],
				    c + 1 < NCOL ? "  " : "\n");
			wk.mode = MODE_TABLE;
			rc = store_audit_iter(sn, 1, visit, &wk, &wk.err);
		}
		store_snap_end(sn);
	}
	if (rc == 0 && fflush(stdout) != 0)
		rc = lsn_fail(&wk.err, LSN_EIO, "cannot write: %s", strerror(errno));
	if (rc != 0)
		rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, wk.err.msg);
out:
	acl_principal_free(me);
	store_close(st);
	acl_data_free(data);
	return rc;
}

static int
run_verify(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *data = NULL;
	store *st = NULL;
	acl_principal *me = NULL;
	store_snap *sn = NULL;
	store_audit_event ev;
	store_batch *b = NULL;
	uint8_t head_mac[STORE_MAC_LEN], mac[STORE_MAC_LEN];
	uint64_t bad = 0, head = 0;
	char why[600] = "";
	lsn_err err, aerr;
	int rc, status = 0, arc;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if ((rc = begin(ctx, &data, &st, &me)) != 0)
		goto out;
	if ((rc = store_snap_begin(st, &sn, &err)) != 0) {
		rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	rc = store_audit_verify(sn, &bad, &head, head_mac, &err);
	if (rc != 0 && bad == 0) {
		store_snap_end(sn);
		rc = cli_error(ctx, rc, "%s: %s", ctx->cmd_path, err.msg);
		goto out;
	}
	if (bad != 0) {
		/* The store's words, which show and export print too. */
		status = LSN_EINPUT;
		snprintf(why, sizeof(why), "%s", err.msg);
	} else if (head == 0) {
		/* init writes the first entry: a log without one lost them all. */
		status = LSN_EINPUT;
		snprintf(why, sizeof(why), "the log holds no entry, and init writes one: every "
		    "entry was removed");
	} else if (o.has_head && o.head_seq > head) {
		status = LSN_EINPUT;
		snprintf(why, sizeof(why), "the log ends at entry %" PRIu64 ", before the "
		    "noted head %" PRIu64 ": it was truncated", head, o.head_seq);
	} else if (o.has_head) {
		/* The chain verifies up to head, so a matching MAC at head_seq
		 * means every entry up to it is the one noted. */
		if ((status = store_audit_entry_mac(sn, o.head_seq, mac, &err)) != 0)
			snprintf(why, sizeof(why), "%s", err.msg);
		else if (lsn_ct_memcmp(mac, o.head_mac, STORE_MAC_LEN) != 0) {
			status = LSN_EINPUT;
			snprintf(why, sizeof(why), "entry %" PRIu64 " does not match the noted "
			    "head: the log was truncated or rewritten after it", o.head_seq);
		}
	}
	store_snap_end(sn);
	/* Record the verification and its result before printing either. */
	ev = event(me, "READ", status ? "FAILURE" : "SUCCESS", status ? why : NULL, &o);
	if ((arc = store_batch_new(st, &b, &aerr)) != 0 ||
	    (arc = store_batch_audit_event(b, &ev, &aerr)) != 0 ||
	    (arc = store_batch_commit(b, &aerr)) != 0) {
		/* A broken log may refuse the entry; the break matters more. */
		if (status != 0)
			rc = cli_error(ctx, status, "%s: %s (and this verification could not "
			    "be audited: %s)", ctx->cmd_path, why, aerr.msg);
		else
			rc = cli_error(ctx, arc, "%s: cannot write the audit entry: %s",
			    ctx->cmd_path, aerr.msg);
		goto out;
	}
	if (status != 0) {
		rc = cli_error(ctx, status, "%s: %s", ctx->cmd_path, why);
		goto out;
	}
	printf("%" PRIu64 ":", head);
	for (size_t i = 0; i < STORE_MAC_LEN; i++)
		printf("%02x", head_mac[i]);
	printf("\n");
	rc = 0;
out:
	store_batch_free(b);
	acl_principal_free(me);
	store_close(st);
	acl_data_free(data);
	return rc;
}

static int
run_export(struct cli_ctx *ctx, const struct cli_cmd *self, int argc, char **argv)
{
	struct opts o;
	acl_data *data = NULL;
	store *st = NULL;
	acl_principal *me = NULL;
	store_audit_event ev;
	struct walk wk = { 0 };
	FILE *f = NULL;
	int rc, fd = -1, created = 0;

	if ((rc = get_opts(ctx, self, argc, argv, &o)) != 0)
		return rc;
	if ((rc = begin(ctx, &data, &st, &me)) != 0)
		goto out;
	if (o.out != NULL) {
		/* Query text is sensitive: a new file only its owner reads. */
		fd = open(o.out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
			int e = errno, status = e == EEXIST ? LSN_EEXISTS :
			    e == ENOENT ? LSN_ENOTFOUND : LSN_EIO;
			if (fd >= 0) {
				close(fd);
				unlink(o.out);
			}
			ev = event(me, "EXPORT", "FAILURE", strerror(e), &o);
			if ((rc = cli_audit(ctx, st, &ev)) == 0)
				rc = cli_error(ctx, status, "%s: %s: %s", ctx->cmd_path, o.out,
				    strerror(e));
			goto out;
		}
		created = 1;
		setvbuf(f, filebuf, _IOFBF, sizeof(filebuf));
	}
	ev = event(me, "EXPORT", "SUCCESS", NULL, &o);
	if ((rc = cli_audit(ctx, st, &ev)) != 0)
		goto out;
	wk.o = &o;
	wk.f = f != NULL ? f : stdout;
	rc = walk_log(st, &wk, MODE_JSON);
	if (rc == 0 && (fflush(wk.f) != 0 || (f != NULL && fsync(fileno(f)) != 0)))
		rc = lsn_fail(&wk.err, LSN_EIO, "cannot write: %s", strerror(errno));
	if (f != NULL) {
		if (fclose(f) != 0 && rc == 0)
			rc = lsn_fail(&wk.err, LSN_EIO, "cannot write: %s", strerror(errno));
		f = NULL;
	}
	if (rc != 0) {
		rc = cli_error(ctx, rc, "%s: %s%s%s", ctx->cmd_path, o.out ? o.out : "",
		    o.out ? ": " : "", wk.err.msg);
		goto out;
	}
	created = 0;
	if (o.out != NULL)
		printf("exported %" PRIu64 " audit entries to %s\n", wk.matched, o.out);
out:
	if (f != NULL)
		fclose(f);
	if (created)
		unlink(o.out); /* never leave half an export behind */
	lsn_wipe(filebuf, sizeof(filebuf));
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

const struct cli_cmd cli_cmd_audit = {
	"audit", "show|verify|export ...",
	"read, verify and export the audit trail (officer only)", NULL, run,
};
