/*
 * tests/fuzz/fuzz-access.c - libFuzzer target for the need-to-know
 * (Accumulo access expression) parser and evaluator.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	static const char *const auths[] = { "A", "B", "J2", "OPS", "a b", "\xe4\xba\x94" };
	const char *expr = (const char *)buf;
	size_t pos = 0;
	int r1 = 0, r2 = 0, c;
	char **list = NULL;
	lsn_err err;

	c = acl_access_check(expr, size, &pos, &err);
	if (c != 0 && pos > size)
		abort();
	/* Syntax check, evaluation and listing agree on validity. */
	if ((acl_access_eval(expr, size, auths, 6, &r1, NULL, &err) == 0) != (c == 0))
		abort();
	if ((acl_access_auths(&list, expr, size, &err) == 0) != (c == 0))
		abort();
	/* Holding every named authorization makes a valid expression true. */
	if (c == 0 && list != NULL) {
		size_t n = 0;
		while (list[n])
			n++;
		if (acl_access_eval(expr, size, (const char *const *)list, n, &r2, NULL, &err) != 0 ||
		    r2 != 1)
			abort();
	}
	acl_access_free_list(list);
	(void)r1;
	return 0;
}
