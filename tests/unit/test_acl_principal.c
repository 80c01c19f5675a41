/*
 * tests/unit/test_acl_principal.c - principals: construction checks, the
 * versioned byte encoding round trip, and rejection of malformed encodings.
 */
#include "config.h"

#include "tests/unit/test_acl_util.h"

static void
test_acl_principal__encode_decode_round_trip(void **state)
{
	struct acl_principal_spec s = { .name = "alice.j2", .country = "GBR",
		.clearance = ACL_LEVEL_TS, .accesses = "SI,TK SAR-ABC NATO-S",
		.usgov = 0, .groups = "J2,OPS", .roles = ACL_ROLE_PARTNER | ACL_ROLE_ANALYST,
		.disabled = 1 };
	acl_principal *p = NULL, *q = NULL;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t len, len2;
	char *json = NULL;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), 0);
	assert_int_equal(acl_principal_encode(&buf, &len, p, &err), 0);
	assert_int_equal(buf[0], 1); /* format version */
	assert_int_equal(acl_principal_decode(&q, T_data, buf, len, &err), 0);
	assert_string_equal(acl_principal_name(q), "alice.j2");
	assert_string_equal(acl_principal_country(q), "GBR");
	assert_int_equal(acl_principal_clearance(q), ACL_LEVEL_TS);
	assert_string_equal(acl_principal_accesses(q), "NATO-S SAR-ABC SI TK");
	assert_string_equal(acl_principal_groups(q), "J2 OPS");
	assert_int_equal(acl_principal_usgov(q), 0);
	assert_int_equal(acl_principal_roles(q), ACL_ROLE_PARTNER | ACL_ROLE_ANALYST);
	assert_int_equal(acl_principal_disabled(q), 1);
	assert_int_equal(acl_principal_encode(&buf2, &len2, q, &err), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	assert_int_equal(acl_principal_json(&json, q, &err), 0);
	assert_string_equal(json, "{\"name\":\"alice.j2\",\"country\":\"GBR\",\"clearance\":\"TS\","
				  "\"accesses\":[\"NATO-S\",\"SAR-ABC\",\"SI\",\"TK\"],\"usgov\":false,"
				  "\"groups\":[\"J2\",\"OPS\"],\"roles\":[\"analyst\",\"partner\"],"
				  "\"disabled\":true}");
	free(json);
	free(buf);
	free(buf2);
	acl_principal_free(p);
	acl_principal_free(q);
}

static void
test_acl_principal__malformed_encodings_rejected(void **state)
{
	acl_principal *p = t_principal("USA", ACL_LEVEL_S, "SI", 1, "J2");
	acl_principal *q = NULL;
	uint8_t *buf = NULL;
	size_t len;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_principal_encode(&buf, &len, p, &err), 0);
	for (size_t cut = 0; cut < len; cut++)
		if (acl_principal_decode(&q, T_data, buf, cut, &err) != LSN_EINPUT)
			fail_msg("truncated at %zu accepted", cut);
	buf[0] = 2;
	assert_int_equal(acl_principal_decode(&q, T_data, buf, len, &err), LSN_EINPUT);
	assert_non_null(strstr(err.msg, "version"));
	buf[0] = 1;
	buf[1] = 2; /* clearance R is not a clearance */
	assert_int_equal(acl_principal_decode(&q, T_data, buf, len, &err), LSN_EINPUT);
	assert_null(q);
	free(buf);
	acl_principal_free(p);
}

static void
test_acl_principal__bad_fields_rejected(void **state)
{
	struct acl_principal_spec s = { .name = "bob", .country = "USA", .clearance = ACL_LEVEL_S };
	acl_principal *p = NULL;
	lsn_err err;

	(void)state;
	s.country = "XYZ";
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), LSN_EINPUT);
	s.country = "NATO"; /* a group is not a country of affiliation */
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), LSN_EINPUT);
	s.country = "USA";
	s.name = "bad name";
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), LSN_EINPUT);
	s.name = "bob";
	s.accesses = "SI BOGUS";
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), LSN_EINPUT);
	s.accesses = NULL;
	s.clearance = ACL_LEVEL_R;
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), LSN_EINPUT);
	assert_null(p);
}

/* US government affiliation is a US person's: a GBR principal holding it
 * read ORCON-USGOV, LES and LIMDIS portions released to GBR, and NATO
 * UNCLASSIFIED without a read-on. */
static void
test_acl_principal__usgov_only_for_usa(void **state)
{
	struct acl_principal_spec s = { .name = "bob", .country = "GBR",
		.clearance = ACL_LEVEL_S, .usgov = 1 };
	acl_principal *p = NULL;
	lsn_err err;

	(void)state;
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), LSN_EINPUT);
	assert_null(p);
	assert_non_null(strstr(err.msg, "--usgov"));
	assert_non_null(strstr(err.msg, "GBR"));
	s.usgov = 0;
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), 0);
	acl_principal_free(p);
	s.country = "USA";
	s.usgov = 1;
	assert_int_equal(acl_principal_new(&p, T_data, &s, &err), 0);
	acl_principal_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_principal__encode_decode_round_trip),
		cmocka_unit_test(test_acl_principal__malformed_encodings_rejected),
		cmocka_unit_test(test_acl_principal__bad_fields_rejected),
		cmocka_unit_test(test_acl_principal__usgov_only_for_usa),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
