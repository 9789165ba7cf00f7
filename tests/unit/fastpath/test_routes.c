/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes (fastpath/route.c): longest prefix match and the default route,
 * IPv4 and IPv6. */
#include <arpa/inet.h>
#include <string.h>

#include "fastpath/route.h"
#include "tests/unit/test.h"
#include "tests/unit/test_eal.h"

/* Routes: longest prefix wins; a /0 is the default (rte_lpm takes depth
 * 1 at least, so the table keeps it aside), for both families. */
static void test_routes_default(void)
{
	struct fp_routes *r;
	struct fp_nh_key a = { .port = 1, .is_static = true }, b = { .port = 2, .is_static = true },
			 c = { .port = 3, .is_static = true };
	uint8_t p[16] = { 0 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint32_t d;

	CU_ASSERT_FATAL(test_eal_init() == 0);
	r = fp_routes_create("rtdef", 16, -1);
	CU_ASSERT_FATAL(r != NULL);
	inet_pton(AF_INET, "192.0.2.9", &d);
	CU_ASSERT_PTR_NULL(fp_routes_lookup4(r, d));       /* nothing yet */
	CU_ASSERT_EQUAL(fp_routes_add(r, 4, p, 0, &a), 0); /* 0.0.0.0/0 */
	inet_pton(AF_INET, "192.0.2.0", p);
	CU_ASSERT_EQUAL(fp_routes_add(r, 4, p, 24, &b), 0);
	CU_ASSERT(fp_routes_lookup4(r, d) != NULL && fp_routes_lookup4(r, d)->port == 2);
	inet_pton(AF_INET, "203.0.113.1", &d);
	CU_ASSERT(fp_routes_lookup4(r, d) != NULL && fp_routes_lookup4(r, d)->port == 1);
	CU_ASSERT_PTR_NULL(fp_routes_lookup6(r, d6)); /* no IPv6 default */
	memset(p, 0, sizeof(p));
	CU_ASSERT_EQUAL(fp_routes_add(r, 6, p, 0, &c), 0); /* ::/0 */
	CU_ASSERT(fp_routes_lookup6(r, d6) != NULL && fp_routes_lookup6(r, d6)->port == 3);
	CU_ASSERT_EQUAL(fp_routes_add(r, 4, p, 33, &c), -EINVAL);
	fp_routes_free(r);
}

static const struct test_case cases[] = {
	{ "routes_longest_prefix_and_default", test_routes_default },
	{ NULL, NULL },
};
TEST_SUITE(routes, cases)
