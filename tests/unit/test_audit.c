/*
 * tests/unit/test_audit.c - the audit chain as the CLI relies on it: entries
 * queued with a batch that fails roll back with it, and
 * store_audit_entry_mac() returns the MACs the chain holds.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

struct fx {
	char tmp[64], dir[128], key[128];
	store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	store_keysrc ks = { 0 };
	lsn_err err;

	if (f == NULL)
		return -1;
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/lsn-audit-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/s", f->tmp);
	snprintf(f->key, sizeof(f->key), "%s/s.key", f->tmp);
	ks.key_file = f->key;
	if (store_create(&f->st, f->dir, &ks, NULL, &err) != 0) {
		fprintf(stderr, "store_create: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[200];

	store_close(f->st);
	snprintf(p, sizeof(p), "%s/data.mdb", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/writer.lock", f->dir);
	unlink(p);
	rmdir(f->dir);
	unlink(f->key);
	rmdir(f->tmp);
	free(f);
	return 0;
}

/* An ingest-like event for report id. */
static store_audit_event
create_event(const char *const *id)
{
	return (store_audit_event){ .principal = "ana", .action = "CREATE",
		.outcome = "SUCCESS", .objects = id, .nobjects = 1, .detail = "unit",
		.hits = -1, .withheld = -1 };
}

/* Commit one batch: a record id (NULL: none) and n audit events. */
static int
commit(store *st, const char *id, int n)
{
	const char *obj[1] = { id ? id : "none" };
	store_audit_event ev = create_event(obj);
	store_seg seg = { "text", 4 };
	store_batch *b = NULL;
	lsn_err err;
	int rc;

	assert_int_equal(store_batch_new(st, &b, &err), 0);
	if (id != NULL)
		assert_int_equal(store_batch_put_record(b, id, &seg, 1, "L", 1, NULL, &err), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(store_batch_audit_event(b, &ev, &err), 0);
	rc = store_batch_commit(b, &err);
	store_batch_free(b);
	return rc;
}

static uint64_t
audit_count(store *st)
{
	store_snap *sn = NULL;
	store_info info;
	lsn_err err;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	assert_int_equal(store_info_get(sn, &info, &err), 0);
	store_snap_end(sn);
	return info.audit_entries;
}

/* Verify the chain; returns the first bad seq (0: whole), head in *head. */
static uint64_t
verify(store *st, uint64_t *head, uint8_t mac[STORE_MAC_LEN])
{
	store_snap *sn = NULL;
	uint64_t bad = 0, h = 0;
	uint8_t m[STORE_MAC_LEN];
	lsn_err err;

	assert_int_equal(store_snap_begin(st, &sn, &err), 0);
	store_audit_verify(sn, &bad, &h, mac ? mac : m, &err);
	store_snap_end(sn);
	if (head != NULL)
		*head = h;
	return bad;
}

static void
test_audit_batch__failed_commit_leaves_no_entries(void **state)
{
	struct fx *f = *state;
	uint64_t head;

	assert_int_equal(commit(f->st, "R-1", 1), 0);
	assert_int_equal(audit_count(f->st), 1);
	/* An ingest batch whose record already exists fails as a whole. */
	assert_int_equal(commit(f->st, "R-1", 3), LSN_EEXISTS);
	assert_int_equal(audit_count(f->st), 1);
	assert_int_equal(verify(f->st, &head, NULL), 0);
	assert_int_equal(head, 1);
	/* The chain goes on from the last committed entry. */
	assert_int_equal(commit(f->st, "R-2", 2), 0);
	assert_int_equal(audit_count(f->st), 3);
	assert_int_equal(verify(f->st, &head, NULL), 0);
	assert_int_equal(head, 3);
}

/* Collect every entry's MAC in order. */
struct macs {
	uint8_t mac[8][STORE_MAC_LEN];
	size_t n;
};

static int
collect(void *ctx, const store_audit_entry *e)
{
	struct macs *m = ctx;

	assert_true(m->n < 8);
	assert_int_equal(e->seq, m->n + 1);
	memcpy(m->mac[m->n++], e->mac, STORE_MAC_LEN);
	return 0;
}

static void
test_audit_entry_mac__matches_chain_and_head(void **state)
{
	struct fx *f = *state;
	uint8_t mac[STORE_MAC_LEN], head_mac[STORE_MAC_LEN];
	struct macs m = { 0 };
	store_snap *sn = NULL;
	uint64_t head;
	lsn_err err;

	/* An empty log: seq 0 is the genesis MAC, which verify reports. */
	assert_int_equal(verify(f->st, &head, head_mac), 0);
	assert_int_equal(head, 0);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_audit_entry_mac(sn, 0, mac, &err), 0);
	assert_memory_equal(mac, head_mac, STORE_MAC_LEN);
	assert_int_equal(store_audit_entry_mac(sn, 1, mac, &err), LSN_ENOTFOUND);
	store_snap_end(sn);

	assert_int_equal(commit(f->st, NULL, 3), 0);
	assert_int_equal(commit(f->st, NULL, 2), 0);
	assert_int_equal(verify(f->st, &head, head_mac), 0);
	assert_int_equal(head, 5);
	assert_int_equal(store_snap_begin(f->st, &sn, &err), 0);
	assert_int_equal(store_audit_iter(sn, 1, collect, &m, &err), 0);
	assert_int_equal(m.n, 5);
	for (uint64_t s = 1; s <= 5; s++) {
		assert_int_equal(store_audit_entry_mac(sn, s, mac, &err), 0);
		assert_memory_equal(mac, m.mac[s - 1], STORE_MAC_LEN);
	}
	assert_memory_equal(mac, head_mac, STORE_MAC_LEN);
	/* Entries differ: the MAC is not a constant. */
	assert_memory_not_equal(m.mac[0], m.mac[1], STORE_MAC_LEN);
	assert_int_equal(store_audit_entry_mac(sn, 6, mac, &err), LSN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no entry 6"));
	store_snap_end(sn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_audit_batch__failed_commit_leaves_no_entries),
		T(test_audit_entry_mac__matches_chain_and_head),
#undef T
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
