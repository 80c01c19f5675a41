/*
 * tests/unit/test_acl_util.h - what the acl unit tests share: the data
 * files (via LIAISON_DATA_DIR, set by make check), markings from attribute
 * strings or banners, and principals.
 */
#ifndef TEST_ACL_UTIL_H
#define TEST_ACL_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acl/acl.h"

static acl_data *T_data;

static inline int
t_setup(void **state)
{
	lsn_err err;

	(void)state;
	if (acl_data_load(&T_data, NULL, NULL, &err) != 0) {
		fprintf(stderr, "cannot load data: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static inline int
t_teardown(void **state)
{
	(void)state;
	acl_data_free(T_data);
	T_data = NULL;
	return 0;
}

/* A marking from ISM attributes; fails the test if they are rejected. */
static inline acl_marking *
t_attrs(const char *attrs)
{
	acl_marking *m = NULL;
	lsn_err err;

	if (acl_marking_from_attrs(&m, T_data, attrs, &err) != 0)
		fail_msg("attributes '%s' rejected: %s", attrs, err.msg);
	return m;
}

/* A marking from a banner or portion mark; fails the test if rejected. */
static inline acl_marking *
t_parse(const char *text)
{
	acl_marking *m = NULL;
	lsn_err err;

	if (acl_marking_parse(&m, T_data, text, NULL, NULL, &err) != 0)
		fail_msg("'%s' rejected: %s", text, err.msg);
	return m;
}

/* The banner of m (static buffer, for assertions). */
static inline const char *
t_banner(const acl_marking *m)
{
	static char buf[1024];
	char *s = NULL;
	lsn_err err;

	if (acl_marking_render(&s, m, ACL_BANNER, &err) != 0)
		fail_msg("render failed: %s", err.msg);
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

static inline acl_principal *
t_principal(const char *country, int clearance, const char *accesses, int usgov,
    const char *groups)
{
	struct acl_principal_spec s = { .name = "t", .country = country,
		.clearance = clearance, .accesses = accesses, .usgov = usgov,
		.groups = groups };
	acl_principal *p = NULL;
	lsn_err err;

	if (acl_principal_new(&p, T_data, &s, &err) != 0)
		fail_msg("principal rejected: %s", err.msg);
	return p;
}

/* The path of a test data file under $LSN_SRCDIR/tests/data. */
static inline const char *
t_datafile(const char *name)
{
	static char path[4096];
	const char *src = getenv("LSN_SRCDIR");

	snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : LSN_SRCDIR, name);
	return path;
}

#endif
