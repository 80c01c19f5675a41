/*
 * acl/acl_int.h - what the files of acl/ share (acl__ names).  Nothing
 * outside acl/ includes this header.
 */
#ifndef LSN_ACL_INT_H
#define LSN_ACL_INT_H

#include <stdint.h>
#include <stddef.h>

#include "acl/acl.h"

#define ACL__MAXREG 384           /* registry capacity: label bitset bits */
#define ACL__WORDS (ACL__MAXREG / 64)
#define ACL__MAXTOK 32            /* tokens per SCI/SAR/AEA/ACCM list */
#define ACL__TOKLEN 64            /* bytes per token, NUL included */

/* One registry entry: a country trigraph or a group (tetragraph...). */
struct acl__entry {
	char code[24];
	int is_group;
	int decomposable; /* membership says Yes */
	uint16_t *members; /* registry indices of member countries */
	int n_members;
	uint64_t reach[ACL__WORDS]; /* for a country: itself and its groups */
};

#define ACL__SLOTS 1024 /* a power of two, over twice ACL__MAXREG */
struct acl_data {
	struct acl__entry *e;
	int n;
	uint16_t slot[ACL__SLOTS]; /* code hash -> entry index + 1 (0: empty) */
	int usa;  /* index of USA */
	int nato; /* index of NATO, -1 if absent */
	int fgi;  /* concealed FGI: index n, past the registry (data.c) */
	uint32_t registry_id;
	char version[160];
};

/* Dissemination controls, CVE (Register) order. */
enum {
	ACL__D_RS, ACL__D_FOUO, ACL__D_OC, ACL__D_OC_USGOV, ACL__D_IMC,
	ACL__D_NF, ACL__D_PR, ACL__D_REL, ACL__D_RELIDO, ACL__D_EYES,
	ACL__D_DSEN, ACL__D_FISA, ACL__D_DISPLAYONLY, ACL__D_N
};
/* Non-IC controls (fixed part; ACCM names are kept as tokens). */
enum {
	ACL__N_DS, ACL__N_XD, ACL__N_ND, ACL__N_SBU, ACL__N_SBU_NF,
	ACL__N_LES, ACL__N_LES_NF, ACL__N_SSI, ACL__N_N
};
/* Non-US controls. */
enum { ACL__U_ATOMAL, ACL__U_BALK, ACL__U_BOHEMIA, ACL__U_N };

struct acl__toks {
	int n;
	char t[ACL__MAXTOK][ACL__TOKLEN];
};

/* A country list: registry indices, ascending (= CVE order). */
struct acl__clist {
	int n;
	uint16_t v[ACL__MAXREG];
};

/* A new field must be set in acl_marking_new.  A marking is shared, not
 * copied, by acl_marking_dup: refs counts its holders (atomically: ingest's
 * workers share the parser's cache of markings), and nothing may change a
 * marking with more than one. */
struct acl_marking {
	unsigned refs;
	const acl_data *data;
	int cls; /* enum acl_level */
	struct acl__clist owners;
	int joint;
	struct acl__toks sci, sar, aea, accm;
	struct acl__clist fgi_open, fgi_prot;
	unsigned dissem;  /* 1u << ACL__D_* */
	struct acl__clist rel, disp;
	unsigned nonic;   /* 1u << ACL__N_* */
	unsigned nonus;   /* 1u << ACL__U_* */
	int exclude, resource;
};

struct acl_principal {
	const acl_data *data;
	char name[65];
	int country;
	int clearance;
	int usgov;
	unsigned roles;
	int disabled;
	int nato_readon; /* enum acl_level of the highest NATO-x read-on, 0 none */
	int five_eyes;   /* AUS, CAN, GBR or NZL: what EYES ONLY may name but USA */
	struct acl__toks acc;
	char *acc_str, *groups_str;
	char **groups;
	size_t n_groups;
	uint64_t *acc_hash; /* sorted */
	size_t n_acc;
	uint64_t reach[ACL__WORDS];
	uint32_t registry_id;
};

/* data.c */
int acl__lookup(const acl_data *d, const char *code, size_t len);
void acl__sha256(const void *p, size_t n, uint8_t out[32]);
uint64_t acl__access_hash(const char *s);
int acl__is_member(const acl_data *d, int country, int entry);

/* marking.c */
extern const char *const acl__dissem_tok[ACL__D_N];
extern const char *const acl__nonic_tok[ACL__N_N];
extern const char *const acl__nonus_tok[ACL__U_N];
void acl__clist_add(struct acl__clist *l, int idx);
int acl__clist_has(const struct acl__clist *l, int idx);
int acl__toks_add(struct acl__toks *t, const char *s, lsn_err *err);
int acl__toks_has(const struct acl__toks *t, const char *s);
void acl__toks_sort(struct acl__toks *t);
int acl__sci_valid(const char *tok);
int acl__sar_valid(const char *tok);
int acl__aea_valid(const char *tok);
int acl__accm_valid(const char *tok);
int acl__caveated(const acl_marking *m);
/* A JOINT marking: ism:joint, or several owners the United States among
 * them ("the US is always a JOINT marking owner/producer", CAPCO 2016
 * JOINT; the ISM peer case JOINT has no ism:joint).  Several owners without
 * it are foreign information from several sources: (//CAN GBR S). */
int acl__is_joint(const acl_marking *m);
/* Whether entry idx is a Second Party partner: AUS, CAN, GBR or NZL, the
 * Five Eyes but USA (ISM.ACES 5.6.10). */
int acl__second_party(const acl_data *d, int idx);
/* Whether an EYES ONLY list may name entry idx: USA, a Second Party
 * partner or a tetragraph (CAPCO 2016 EYES ONLY). */
int acl__eyes_may_name(const acl_data *d, int idx);
/* The access names a marking requires (SCI as is, SAR as "SAR-x", AEA). */
int acl__required_access(const acl_marking *m, struct acl__toks *out);

/* A growable string. */
struct acl__buf {
	char *p;
	size_t n, cap;
	int oom;
};
void acl__buf_put(struct acl__buf *b, const char *s);
void acl__buf_putn(struct acl__buf *b, const char *s, size_t n);
void acl__buf_putc(struct acl__buf *b, char c);

#endif
