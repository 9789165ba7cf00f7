/* SPDX-License-Identifier: BSD-3-Clause */
/* Connections by name and by address (ike/core/ike_engine.c,
 * ike_conn_index.c) among many: the connection an IKE_SA_INIT is for (an
 * exact peer before a prefix, the file's order in a tie), the candidates
 * IKE_AUTH tries in the file's order, and both after removals. */
#include <stdio.h>
#include <string.h>

#include "ike/core/ike_priv.h"
#include "tests/unit/ike/conn_fixture.h"
#include "tests/unit/test.h"

static void quiet(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)ctx, (void)lvl, (void)line;
}

static void noop_send(void *ctx, const ike_addr_t *l, const ike_addr_t *r, const uint8_t *b,
		      size_t n)
{
	(void)ctx, (void)l, (void)r, (void)b, (void)n;
}

static const struct ike_ops ops = { .send = noop_send, .log = quiet };

/* name: local address, remote address or prefix (plen > 0) */
static void add(struct ike_engine *e, const char *name, const char *local, const char *remote,
		unsigned plen)
{
	struct ike_conn_cfg c;

	test_psk_conn(&c);
	snprintf(c.name, sizeof(c.name), "%s", name);
	CU_ASSERT_FATAL(ike_addr_parse(local, &c.local) == 0);
	CU_ASSERT_FATAL(ike_addr_parse(remote, &c.remote) == 0);
	c.remote_is_prefix = plen > 0;
	c.remote_plen = (uint8_t)plen;
	CU_ASSERT_FATAL(ike_engine_add_conn(e, &c) == 0);
}

static const char *name_for(struct ike_engine *e, const char *local, const char *remote)
{
	ike_addr_t l, r;
	struct ike_conn *c;

	ike_addr_parse(local, &l);
	ike_addr_parse(remote, &r);
	c = ike_conn_for(e, &l, &r);
	return c ? c->cfg.name : "-";
}

/* The candidates in order, names joined by spaces. */
static const char *order(struct ike_engine *e, const char *local, const char *remote)
{
	static char out[256];
	const struct ike_conn *c = NULL;
	ike_addr_t l, r;

	ike_addr_parse(local, &l);
	ike_addr_parse(remote, &r);
	out[0] = '\0';
	while ((c = ike_conn_next_for(e, &l, &r, c)) != NULL)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? " " : "",
			 c->cfg.name);
	return out;
}

static void test_by_address(void)
{
	struct ike_engine_cfg ec;
	struct ike_engine *e;
	char name[32], addr[48];

	ike_engine_cfg_defaults(&ec);
	e = ike_engine_new(&ec, &ops, NULL);
	CU_ASSERT_FATAL(e != NULL);
	add(e, "p24", "192.0.2.1", "198.51.100.0", 24);
	add(e, "x7", "192.0.2.1", "198.51.100.7", 0);
	/* 20,000 others, each an exact peer of its own */
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		snprintf(addr, sizeof(addr), "2001:db8:%x::%x", i >> 8, (i & 255) + 1);
		add(e, name, "2001:db8:ffff::1", addr, 0);
	}
	add(e, "p25", "192.0.2.1", "198.51.100.0", 25);
	add(e, "y7", "192.0.2.9", "198.51.100.7", 0);
	add(e, "x7b", "192.0.2.1", "198.51.100.7", 0);

	CU_ASSERT_STRING_EQUAL(name_for(e, "192.0.2.1", "198.51.100.7"), "x7");
	CU_ASSERT_STRING_EQUAL(name_for(e, "192.0.2.1", "198.51.100.9"), "p24");
	CU_ASSERT_STRING_EQUAL(name_for(e, "192.0.2.9", "198.51.100.7"), "y7");
	CU_ASSERT_STRING_EQUAL(name_for(e, "192.0.2.9", "198.51.100.9"), "-");
	CU_ASSERT_STRING_EQUAL(name_for(e, "2001:db8:ffff::1", "2001:db8:4e::20"), "f19999");
	CU_ASSERT_STRING_EQUAL(order(e, "192.0.2.1", "198.51.100.7"), "p24 x7 p25 x7b");
	CU_ASSERT_STRING_EQUAL(order(e, "192.0.2.1", "198.51.100.200"), "p24");
	CU_ASSERT_PTR_NOT_NULL(ike_conn_find(e, "f12345"));

	CU_ASSERT_EQUAL(ike_engine_remove_conn(e, "x7", 0), 0);
	CU_ASSERT_EQUAL(ike_engine_remove_conn(e, "p24", 0), 0);
	CU_ASSERT_EQUAL(ike_engine_remove_conn(e, "f12345", 0), 0);
	CU_ASSERT_EQUAL(ike_engine_remove_conn(e, "f12345", 0), -ENOENT);
	CU_ASSERT_PTR_NULL(ike_conn_find(e, "f12345"));
	CU_ASSERT_STRING_EQUAL(name_for(e, "192.0.2.1", "198.51.100.7"), "x7b");
	CU_ASSERT_STRING_EQUAL(name_for(e, "192.0.2.1", "198.51.100.9"), "p25");
	CU_ASSERT_STRING_EQUAL(order(e, "192.0.2.1", "198.51.100.7"), "p25 x7b");
	CU_ASSERT_STRING_EQUAL(name_for(e, "2001:db8:ffff::1", "2001:db8:30::3a"), "-");
	/* added again: last in the file's order now */
	add(e, "x7", "192.0.2.1", "198.51.100.7", 0);
	CU_ASSERT_STRING_EQUAL(order(e, "192.0.2.1", "198.51.100.7"), "p25 x7b x7");
	ike_engine_free(e);
}

static const struct test_case cases[] = {
	{ "connections by address among 20,000", test_by_address },
	{ NULL, NULL },
};
TEST_SUITE(conn_index, cases)
