/*
 * acl/acl.h - the marking engine: ISM markings, CAPCO banners, roll-up,
 * the ISM.ACES access decision, compact labels and need-to-know
 * expressions (DESIGN.md sections 2-4).
 *
 * acl/ is pure C: it reads nothing but its two data files (the country and
 * tetragraph registry, and tetragraph membership).  Every function returns
 * 0 or a negative lsn_status and, on failure, fills the caller's lsn_err
 * (which may be NULL).  Objects are opaque; results the caller owns come
 * back through a first **out parameter and are released with the matching
 * _free function (NULL is a no-op).  An acl_data is immutable once loaded
 * and may be shared by threads; markings and principals may be read by
 * several threads but not modified concurrently.
 *
 * Everything that names countries resolves them against one acl_data: a
 * marking or principal must not outlive the acl_data it was built with.
 */
#ifndef LSN_ACL_H
#define LSN_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ------------------------------------------------------------------ */
/* Data: the country/tetragraph registry and tetragraph membership.    */

typedef struct acl_data acl_data;

/* Default file names, looked up in the data directory. */
#define ACL_REGISTRY_FILE "ismcat_2022_CVEnumISMCATRelTo.csv"
#define ACL_MEMBERSHIP_FILE "ismcat_2022nov_tetragraph_membership.tsv"

/*
 * Load the registry (ISMCAT CVEnumISMCATRelTo CSV: the releasableTo
 * tokens in CVE order) and the tetragraph membership (TSV: tetragraph,
 * decomposable Yes/No/NA, member trigraphs).  A NULL path means the default
 * file in $LIAISON_DATA_DIR, else in the compiled-in LSN_DATADIR; an
 * operator passes explicit paths to use newer files.  Each file is capped
 * at 1 MiB.
 * Returns 0 and sets *out (caller frees with acl_data_free);
 * LSN_ENOTFOUND when a file cannot be opened; LSN_EINPUT when a file is
 * malformed (unknown member country, too many tokens for the label, ...).
 */
int acl_data_load(acl_data **out, const char *registry_path,
    const char *membership_path, lsn_err *err);

void acl_data_free(acl_data *data);

/*
 * The data version, e.g. "ISMCAT V2022-NOV registry=<sha256/12>
 * membership=<sha256/12>" (the file hashes).  Borrowed; lives as long as
 * data.  The store records it.
 */
const char *acl_data_version(const acl_data *data);

/*
 * The 32-bit registry identifier bound into labels: a hash of the ordered
 * registry token list (not of the membership, which may change without
 * invalidating labels).
 */
uint32_t acl_data_registry_id(const acl_data *data);

/* ------------------------------------------------------------------ */
/* Markings: the ISM attribute model.                                  */

typedef struct acl_marking acl_marking;

/* Classification levels, in order. */
enum acl_level {
	ACL_LEVEL_NONE = 0,
	ACL_LEVEL_U = 1,
	ACL_LEVEL_R = 2,
	ACL_LEVEL_C = 3,
	ACL_LEVEL_S = 4,
	ACL_LEVEL_TS = 5,
};

/*
 * A classification level from its token (U, R, C, S, TS; any case) in
 * s[0..n): the enum acl_level, or 0 when it is none of them.  The one
 * parser for --clearance options and the query language's class:.
 */
int acl_level_parse(const char *s, size_t n);

/* The token of a level ("U" ... "TS"), "" for ACL_LEVEL_NONE.  Static. */
const char *acl_level_name(int level);

/*
 * The ISM attribute names the model covers (without the "ism:" prefix),
 * in the order the CLI prints them; NULL-terminated.  Borrowed, static.
 */
const char *const *acl_attr_names(void);

/* Create an empty marking bound to data (*out is owned by the caller). */
int acl_marking_new(acl_marking **out, const acl_data *data, lsn_err *err);
/* Let go of m: freed when its last holder lets go. */
void acl_marking_free(acl_marking *m);
/*
 * A marking equal to src, owned by the caller: src itself, shared (a count
 * of holders, safe across threads), since ingest holds one per portion and
 * most portions repeat a few markings: a 12 KB copy each was 2-3% of
 * ingest.  A shared marking cannot be changed: acl_marking_set_attr refuses
 * it.  Never fails.
 */
int acl_marking_dup(acl_marking **out, const acl_marking *src, lsn_err *err);

/*
 * Set one ISM attribute from its XML value (space-separated token list).
 * name is an attribute of acl_attr_names() (an "ism:" prefix is allowed);
 * ISM attributes that carry no access meaning (classifiedBy, declassDate,
 * createDate, ...) are accepted and ignored.  Tokens are checked against
 * the CVEs and the registry.
 * Returns 0; LSN_EINPUT for an unknown attribute or token (message names
 * it); LSN_EINTERNAL for a marking shared by acl_marking_dup.
 */
int acl_marking_set_attr(acl_marking *m, const char *name, const char *value,
    lsn_err *err);

/*
 * The value of attribute name as XML would carry it (space-separated
 * tokens in CVE order), "" when unset; *out is owned by the caller.
 * LSN_EINPUT for an unknown attribute name.
 */
int acl_marking_get_attr(char **out, const acl_marking *m, const char *name,
    lsn_err *err);

/*
 * Every attribute of acl_attr_names() that m sets, as "name=value\n" lines
 * in that order (value as acl_marking_get_attr renders it); *out is
 * NUL-terminated and owned by the caller, *len excludes the NUL.  Ingest
 * stores a portion's marking this way.  LSN_EINTERNAL when out of memory.
 */
int acl_marking_attr_lines(char **out, size_t *len, const acl_marking *m,
    lsn_err *err);

/*
 * Parse `name=value name="v1 v2" ...` (the CLI's ATTRS form) into a new
 * marking.  LSN_EINPUT on bad syntax or tokens.
 */
int acl_marking_from_attrs(acl_marking **out, const acl_data *data,
    const char *attrs, lsn_err *err);

/* Whether the marking carries excludeFromRollup="true" / resourceElement. */
int acl_marking_excluded(const acl_marking *m);
int acl_marking_is_resource(const acl_marking *m);
/* The classification level (enum acl_level). */
int acl_marking_level(const acl_marking *m);

/*
 * Whether m's releasableTo covers code: the code itself is listed, or a
 * decomposable tetragraph whose members include it (membership data).
 * Returns 1 or 0; LSN_EINPUT when code is not in the registry.
 */
int acl_marking_rel_covers(const acl_marking *m, const char *code, lsn_err *err);

/* 1 when a and b carry the same access-relevant attributes, else 0. */
int acl_marking_equal(const acl_marking *a, const acl_marking *b);

/*
 * The first attribute in which a (as written) and b (as computed) differ,
 * for a message about two markings that render alike (OC-USGOV and "OC
 * OC-USGOV" both show ORCON-USGOV): " (ism:NAME: written \"x\",
 * computed \"y\")" in out[size], or "" when none differs.
 */
void acl_marking_difference(char *out, size_t size, const acl_marking *a,
    const acl_marking *b);

/* 1 when a and b are the same in every attribute of the model (what
 * acl_marking_get_attr renders), else 0. */
int acl_marking_identical(const acl_marking *a, const acl_marking *b);

/* ------------------------------------------------------------------ */
/* Rendering and parsing CAPCO banners and portion marks.              */

enum acl_form { ACL_BANNER = 0, ACL_PORTION = 1 };

/*
 * Render m as a banner line ("SECRET//REL TO USA, GBR") or a portion mark
 * ("(S//REL TO USA, GBR)"), per CAPCO 2016 sections C.1 and D.1.
 * *out is a NUL-terminated string owned by the caller.
 * LSN_EINPUT when m has no classification.
 */
int acl_marking_render(char **out, const acl_marking *m, enum acl_form form,
    lsn_err *err);

/*
 * Parse a banner line or a portion mark (in parentheses) into a new
 * marking.  Lenient about what people type: case, extra spaces, spelled
 * out or abbreviated control markings ("ORCON" or "OC").  `banner`, when
 * not NULL, resolves the portion shorthand "(S//REL)" to the banner's REL
 * TO list; without it the shorthand is rejected.
 * Returns 0; LSN_EINPUT for what is not a marking: the message says
 * "at position N: reason", and *errpos (if not NULL) gets the 0-based byte
 * offset.
 */
int acl_marking_parse(acl_marking **out, const acl_data *data,
    const char *text, const acl_marking *banner, size_t *errpos,
    lsn_err *err);

/* ------------------------------------------------------------------ */
/* Validation and roll-up.                                             */

/*
 * Check the ISM structural rules that matter for access (REL/EYES/NF
 * exclusive, REL iff releasableTo, DISPLAYONLY iff displayOnlyTo, FOUO
 * only on U, OC and EYES need C or higher, HCS/KDK/ND/XD need NF, R only
 * non-US, JOINT owners in REL TO, ...).  Returns 0 or LSN_EINPUT with a
 * message that starts with the rule's name, e.g.
 * "ISM-REL-NF: REL, EYES and NF are mutually exclusive (CAPCO 2016 H.8)".
 */
int acl_marking_validate(const acl_marking *m, lsn_err *err);

/*
 * Compute the banner (resource marking) of portions[0..n-1] per CAPCO 2016
 * D.2 (Table 3), the precedence rules of the marking templates, and
 * ISM-Rollup 2.2.  Portions with excludeFromRollup are skipped.  *out
 * (caller-owned) is a new marking; LSN_EINPUT when no portion participates
 * or a portion has no classification.
 */
int acl_rollup(acl_marking **out, const acl_data *data,
    const acl_marking *const *portions, size_t n, lsn_err *err);

/*
 * The banner of a view: the roll-up of every portion it shows,
 * excludeFromRollup ignored, so that the banner above a reader's portions
 * covers each of them (an excluded TOP SECRET//NOFORN portion sat under
 * SECRET//REL TO USA, GBR; a reader whose readable portions were all
 * excluded got no view, and no stats or broad query either: helper-25).
 */
int acl_rollup_view(acl_marking **out, const acl_data *data,
    const acl_marking *const *portions, size_t n, lsn_err *err);

/* ------------------------------------------------------------------ */
/* Principals.                                                         */

typedef struct acl_principal acl_principal;

enum acl_role {
	ACL_ROLE_ANALYST = 1u << 0,
	ACL_ROLE_PARTNER = 1u << 1,
	ACL_ROLE_OFFICER = 1u << 2,
};

/* What a principal is made from (strings are copied). */
struct acl_principal_spec {
	const char *name;      /* 1..64 bytes of [A-Za-z0-9._@-] */
	const char *country;   /* registry trigraph, e.g. "GBR" */
	int clearance;         /* ACL_LEVEL_U, _C, _S or _TS */
	const char *accesses;  /* SCI/SAP/AEA and NATO read-ons, space or comma
	                        * separated: "SI TK SI-G SAR-ABC RD NATO-S"; may be NULL */
	int usgov;             /* 1: US government organisational affiliation */
	const char *groups;    /* need-to-know groups, space or comma separated */
	unsigned roles;        /* enum acl_role bits */
	int disabled;          /* 1: every decision denies */
};

/* A principal name: 1 to 64 of A-Z a-z 0-9 . _ @ - (the rule, and the
 * words every refusal of a name uses). */
#define ACL_PRINCIPAL_NAME_RULE "a principal name is 1-64 characters of A-Z a-z 0-9 . _ @ -"
int acl_principal_name_valid(const char *name);

/*
 * Build a principal, resolved against data.  LSN_EINPUT on a bad name,
 * unknown country, bad clearance or token.  *out owned by the caller.
 */
int acl_principal_new(acl_principal **out, const acl_data *data,
    const struct acl_principal_spec *spec, lsn_err *err);
void acl_principal_free(acl_principal *p);

/* Borrowed accessors (strings live as long as p). */
const char *acl_principal_name(const acl_principal *p);
const char *acl_principal_country(const acl_principal *p);
int acl_principal_clearance(const acl_principal *p);
const char *acl_principal_accesses(const acl_principal *p); /* space separated */
const char *acl_principal_groups(const acl_principal *p);   /* space separated */
int acl_principal_usgov(const acl_principal *p);
unsigned acl_principal_roles(const acl_principal *p);
int acl_principal_disabled(const acl_principal *p);

/*
 * Encode p as a versioned byte string for the store (format byte 1, then
 * length-prefixed fields).  *out (malloc'd, caller frees) and *len.
 */
int acl_principal_encode(uint8_t **out, size_t *len, const acl_principal *p,
    lsn_err *err);

/*
 * Decode bytes from acl_principal_encode.  LSN_EINPUT on a truncated or
 * unknown-version encoding, or a country unknown to data.
 */
int acl_principal_decode(acl_principal **out, const acl_data *data,
    const uint8_t *buf, size_t len, lsn_err *err);

/* One-line JSON object describing p; *out owned by the caller. */
int acl_principal_json(char **out, const acl_principal *p, lsn_err *err);

/* ------------------------------------------------------------------ */
/* The access decision (ISM.ACES chapter 5, DESIGN.md section 4).       */

enum acl_verdict {
	ACL_DENY = 0,  /* may not see it */
	ACL_VIEW = 1,  /* DISPLAY ONLY: may view, never export */
	ACL_ALLOW = 2, /* may view and export */
};

/* Why: one code per rule; acl_reason_text() names the rule. */
enum acl_reason {
	ACL_R_OK = 0,
	ACL_R_DISPLAY_ONLY,   /* verdict VIEW */
	ACL_R_DISABLED,
	ACL_R_INVALID,        /* marking breaks a structural rule or is empty */
	ACL_R_DATA,           /* label built with another registry, or corrupt */
	ACL_R_CLEARANCE,      /* ISM.ACES 5.1.1 */
	ACL_R_JOINT,          /* ISM.ACES 5.1.2 */
	ACL_R_NATO,           /* ISM.ACES 5.1.3 */
	ACL_R_ACCESS,         /* ISM.ACES 5.2-5.4: SCI, SAP, AEA */
	ACL_R_NOFORN,         /* ISM.ACES 5.6.6 */
	ACL_R_USGOV,          /* FOUO, FISA, OC-USGOV, DSEN, non-IC controls */
	ACL_R_NOT_RELEASABLE, /* ISM.ACES 2.2.4, Tables 30, 32, 36 */
	ACL_R_NTK,            /* need-to-know expression false */
};

struct acl_decision {
	int verdict; /* enum acl_verdict */
	int reason;  /* enum acl_reason */
};

/* A one-line explanation of a reason code, citing the rule.  Static. */
const char *acl_reason_text(int reason);

/*
 * Decide whether p may read a portion marked m.  Deny by default: a
 * marking that fails acl_marking_validate() denies (ACL_R_INVALID).
 * Returns the verdict (also in *out when out is not NULL).  Never fails.
 */
int acl_decide(const acl_principal *p, const acl_marking *m,
    struct acl_decision *out);

/* ------------------------------------------------------------------ */
/* Compact labels (DESIGN.md section 2).                               */

/*
 * A label is ACL_LABEL_SIZE bytes, format version ACL_LABEL_VERSION:
 * classification, control bitmasks, bitsets over the registry for
 * releasableTo, displayOnlyTo and ownerProducer (as written, tetragraphs
 * not expanded; a concealed owner, FGI, is the bit after the registry's
 * codes, which no principal reaches), and up to ACL_LABEL_MAX_ACCESS hashed SCI/SAP/AEA
 * requirements.  It binds the registry id, not the membership: membership
 * is applied at decision time, so a newer membership file takes effect for
 * old labels.  A label built with another registry denies (ACL_R_DATA).
 */
#define ACL_LABEL_SIZE 288
/* 2: ACCM nicknames and NATO's ATOMAL, BALK and BOHEMIA are among the
 * hashed requirements, and FGI NATO sets the NATO-information flag; a
 * version 1 label lacks them, so it denies (ACL_R_DATA) rather than be
 * decided as if they were absent. */
#define ACL_LABEL_VERSION 2
#define ACL_LABEL_MAX_ACCESS 16

/*
 * Encode m into out[ACL_LABEL_SIZE].  LSN_EINPUT when m is invalid
 * (acl_marking_validate) or needs more than ACL_LABEL_MAX_ACCESS
 * SCI/SAP/AEA tokens.
 */
int acl_label_build(uint8_t out[ACL_LABEL_SIZE], const acl_marking *m,
    lsn_err *err);

/*
 * Decide on a label: the same answer as acl_decide() on the marking it was
 * built from.  No allocation; constant time in the label size.  Returns
 * the verdict (also in *out when not NULL).
 */
int acl_label_decide(const acl_principal *p, const uint8_t *label,
    size_t len, struct acl_decision *out);

/* ------------------------------------------------------------------ */
/* Need-to-know: Apache Accumulo access expressions ("A&(B|C)").       */

/*
 * Check the syntax of expr[0..len).  Returns 0, or LSN_EINPUT with the
 * reason in err and the 0-based error offset in *errpos (if not NULL).
 */
int acl_access_check(const char *expr, size_t len, size_t *errpos,
    lsn_err *err);

/*
 * Evaluate expr against the authorizations auths[0..n) (raw, unquoted
 * strings).  *result is 1 when accessible.  The empty expression is
 * accessible to everyone.  LSN_EINPUT on bad syntax (as acl_access_check).
 */
int acl_access_eval(const char *expr, size_t len, const char *const *auths,
    size_t n, int *result, size_t *errpos, lsn_err *err);

/*
 * The distinct authorizations named by expr, unquoted and unescaped,
 * sorted bytewise, as a NULL-terminated array; free with
 * acl_access_free_list().
 */
int acl_access_auths(char ***out, const char *expr, size_t len, lsn_err *err);
void acl_access_free_list(char **list);

/*
 * Quote an authorization for use in an expression: returned as is when it
 * is made only of [A-Za-z0-9_:./-], else in double quotes with " and \
 * escaped.  LSN_EINPUT for the empty string.  *out owned by the caller.
 */
int acl_access_quote(char **out, const char *auth, size_t len, lsn_err *err);

/* Remove quotes (if any) and escapes.  LSN_EINPUT if malformed. */
int acl_access_unquote(char **out, size_t *outlen, const char *s, size_t len,
    lsn_err *err);

/* Undo \\ and \" escapes.  LSN_EINPUT on another escape or a bare quote. */
int acl_access_unescape(char **out, size_t *outlen, const char *s,
    size_t len, lsn_err *err);

/* 1 when auth is a valid authorization (non-empty valid UTF-8, no
 * control characters), else 0. */
int acl_access_auth_valid(const char *auth, size_t len);

/*
 * Evaluate a portion's need-to-know expression (ISM decision already
 * made) over p's groups.  An empty or NULL expression is true.  Returns 1
 * (true), 0 (false) or LSN_EINPUT (malformed: deny).
 */
int acl_ntk_check(const acl_principal *p, const char *expr, lsn_err *err);

#endif
