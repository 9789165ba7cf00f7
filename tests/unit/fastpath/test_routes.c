/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes (fastpath/route.c): longest prefix match and the default route,
 * IPv4 and IPv6. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_rcu_qsbr.h>

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

/* A sender looking routes up while the control core changes them. */
struct reader {
	struct fp_routes *r;
	struct rte_rcu_qsbr *v;
	volatile int stop;
	unsigned long lookups, wrong, kept_missing; /* lookups: atomic */
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint32_t fixed, moving;

	inet_pton(AF_INET, "203.0.113.7", &fixed);
	inet_pton(AF_INET, "198.51.100.7", &moving);
	rte_rcu_qsbr_thread_register(rd->v, 0);
	rte_rcu_qsbr_thread_online(rd->v, 0);
	while (!rd->stop) {
		const struct fp_nexthop *a = fp_routes_lookup4(rd->r, fixed);
		const struct fp_nexthop *b = fp_routes_lookup4(rd->r, moving);

		/* the route that never changes is always there; the one added
		 * and removed is there with its next hop or not at all (a
		 * freed next hop would be zeroed or reused: port 7 only) */
		if (a == NULL || a->port != 2)
			rd->kept_missing++;
		if (b != NULL && (b->port != 5 || b->family != 4))
			rd->wrong++;
		__atomic_fetch_add(&rd->lookups, 1, __ATOMIC_RELAXED);
		rte_rcu_qsbr_quiescent(rd->v, 0);
	}
	rte_rcu_qsbr_thread_offline(rd->v, 0);
	rte_rcu_qsbr_thread_unregister(rd->v, 0);
	return NULL;
}

/* Routes added and deleted 2,000 times while a reader looks up: the
 * other routes never vanish, nothing freed is seen, the grace queue
 * drains, and a deleted route is gone. */
static void test_routes_change_while_reading(void)
{
	struct fp_nh_key fixed = { .port = 2, .is_static = true };
	struct fp_nh_key mov = { .port = 5, .family = 4 };
	struct reader rd = { 0 };
	uint8_t p1[16] = { 0 }, p2[16] = { 0 };
	pthread_t th;
	uint32_t d;

	CU_ASSERT_FATAL(test_eal_init() == 0);
	rd.r = fp_routes_create("rtmov", 64, -1);
	rd.v = calloc(1, rte_rcu_qsbr_get_memsize(1));
	CU_ASSERT_FATAL(rd.r != NULL && rd.v != NULL);
	rte_rcu_qsbr_init(rd.v, 1);
	fp_routes_set_rcu(rd.r, rd.v);
	inet_pton(AF_INET, "203.0.113.0", p1);
	inet_pton(AF_INET, "198.51.100.0", p2);
	inet_pton(AF_INET, "192.0.2.5", mov.ip);
	CU_ASSERT_FATAL(fp_routes_add(rd.r, 4, p1, 24, &fixed) == 0);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, reader_main, &rd) == 0);
	while (__atomic_load_n(&rd.lookups, __ATOMIC_RELAXED) == 0)
		sched_yield();
	for (unsigned i = 0; i < 2000; i++) {
		CU_ASSERT(fp_routes_add(rd.r, 4, p2, 24, &mov) == 0);
		CU_ASSERT(fp_routes_del(rd.r, 4, p2, 24) == 0);
		fp_routes_reclaim(rd.r);
	}
	rd.stop = 1;
	pthread_join(th, NULL);
	CU_ASSERT(rd.lookups > 0 && rd.wrong == 0 && rd.kept_missing == 0);
	CU_ASSERT_EQUAL(fp_routes_reclaim(rd.r), 0); /* the reader is offline */
	inet_pton(AF_INET, "198.51.100.7", &d);
	CU_ASSERT_PTR_NULL(fp_routes_lookup4(rd.r, d));
	CU_ASSERT_EQUAL(fp_routes_del(rd.r, 4, p2, 24), -ENOENT);
	CU_ASSERT_EQUAL(fp_routes_count(rd.r), 1);
	fp_routes_free(rd.r);
	free(rd.v);
}

/* A next hop each (route-based tunnels: one interface per route), many
 * added, half removed, as many added again: every route finds its own,
 * the slots are reused (the table never grows past its size). */
static void test_routes_many_next_hops(void)
{
	enum { N = 20000 };
	struct fp_routes *r;
	unsigned bad = 0;
	uint8_t a[4];

	CU_ASSERT_FATAL(test_eal_init() == 0);
	r = fp_routes_create("rtmany", N, -1);
	CU_ASSERT_FATAL(r != NULL);
	for (uint32_t i = 0; i < N; i++) {
		struct fp_nh_key k = { .tunnel = i + 1 };
		uint32_t be = rte_cpu_to_be_32(0xc6336400u + (i << 8)); /* spread over /24s */

		memcpy(a, &be, 4);
		bad += fp_routes_add(r, 4, a, 32, &k) != 0;
	}
	for (uint32_t i = 0; i < N; i += 2) {
		uint32_t be = rte_cpu_to_be_32(0xc6336400u + (i << 8));

		memcpy(a, &be, 4);
		bad += fp_routes_del(r, 4, a, 32) != 0;
	}
	for (uint32_t i = 0; i < N; i += 2) {
		struct fp_nh_key k = { .tunnel = N + i + 1 };
		uint32_t be = rte_cpu_to_be_32(0xc6336400u + (i << 8));

		memcpy(a, &be, 4);
		bad += fp_routes_add(r, 4, a, 32, &k) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (uint32_t i = 0; i < N; i++) {
		const struct fp_nexthop *nh =
			fp_routes_lookup4(r, rte_cpu_to_be_32(0xc6336400u + (i << 8)));

		bad += !nh || nh->tunnel != (i % 2 ? i + 1 : N + i + 1);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(fp_routes_nh_top(r) <= N);
	fp_routes_free(r);
}

static const struct test_case cases[] = {
	{ "many_next_hops", test_routes_many_next_hops },
	{ "routes_longest_prefix_and_default", test_routes_default },
	{ "routes_change_while_reading", test_routes_change_while_reading },
	{ NULL, NULL },
};
TEST_SUITE(routes, cases)
