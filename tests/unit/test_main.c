/* SPDX-License-Identifier: BSD-3-Clause */
/* CUnit runner. Each test file registers its suite from a constructor with
 * TEST_SUITE(), so adding a file needs no edit here. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test.h"

#define MAX_SUITES 64
static const struct test_suite *suites[MAX_SUITES];
static unsigned n_suites;

void test_suite_add(const struct test_suite *s)
{
	if (n_suites < MAX_SUITES)
		suites[n_suites++] = s;
	else
		fprintf(stderr, "too many test suites; raise MAX_SUITES\n");
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (unsigned i = 0; i < n_suites; i++) {
		if (only && strcmp(only, suites[i]->name) != 0)
			continue;
		CU_pSuite s = CU_add_suite(suites[i]->name, NULL, NULL);
		for (const struct test_case *t = suites[i]->cases; t->name; t++)
			CU_add_test(s, t->name, t->fn);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0) {
		fprintf(stderr, "no tests ran\n");
		return 1;
	}
	return failed ? 1 : 0;
}
