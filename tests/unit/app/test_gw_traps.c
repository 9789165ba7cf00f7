/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway's trap ids (app/gateway/gw_traps.c): named by connection
 * and child, found again by index after a reload moved the connections,
 * released ids answer no acquire and are reused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/config.h"
#include "app/gateway/gw_traps.h"
#include "tests/unit/test.h"

#define CONN_JSON(name)                                                                      \
	"{\"name\":\"" name "\",\"local_addr\":\"192.0.2.1\",\"remote_addr\":\"192.0.2.2\"," \
	"\"auth\":{\"method\":\"psk\",\"psk\":\"0123456789abcdef0123\"},\"children\":["      \
	"{\"name\":\"x\",\"local_ts\":[\"0.0.0.0/0\"],\"remote_ts\":[\"0.0.0.0/0\"]},"       \
	"{\"name\":\"y\",\"local_ts\":[\"0.0.0.0/0\"],\"remote_ts\":[\"0.0.0.0/0\"]}]}"

static struct app_config *parse(const char *text, unsigned generation)
{
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	char err[256];

	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL_FATAL(app_config_parse(text, strlen(text), cfg, err, sizeof(err)), 0);
	cfg->generation = generation;
	return cfg;
}

static void drop(struct app_config *cfg)
{
	app_config_clear(cfg);
	free(cfg);
}

static void test_traps(void)
{
	struct app_config *a = parse("{\"connections\":[" CONN_JSON("p") "," CONN_JSON("q") "]}",
				     0);
	/* the next file: r first, q moved up, p gone */
	struct app_config *b = parse("{\"connections\":[" CONN_JSON("r") "," CONN_JSON("q") "]}",
				     1);
	struct gw_traps t;
	uint32_t q1, p0;

	memset(&t, 0, sizeof(t));
	p0 = gw_traps_new(&t, a, 0, 0);
	q1 = gw_traps_new(&t, a, 1, 1);
	CU_ASSERT(p0 != 0 && q1 != 0 && p0 != q1);
	CU_ASSERT_EQUAL(gw_traps_find(&t, a, 1, 1), q1);
	CU_ASSERT_EQUAL(gw_traps_find(&t, a, 1, 0), 0);
	CU_ASSERT_STRING_EQUAL(gw_traps_get(&t, q1)->conn, "q");
	CU_ASSERT_EQUAL(gw_traps_get(&t, q1)->child, 1);

	/* p removed by the reload: its id answers nothing, and comes back */
	gw_traps_release(&t, p0);
	CU_ASSERT_PTR_NULL(gw_traps_get(&t, p0));
	CU_ASSERT_EQUAL(gw_traps_find(&t, a, 0, 0), 0);
	CU_ASSERT_PTR_NULL(gw_traps_get(&t, 0));
	CU_ASSERT_PTR_NULL(gw_traps_get(&t, 99));
	/* the new file: q is index 1 there too, r (index 0) has no trap */
	CU_ASSERT_EQUAL(gw_traps_find(&t, b, 1, 1), q1);
	CU_ASSERT_EQUAL(gw_traps_find(&t, b, 0, 0), 0);
	CU_ASSERT_EQUAL(gw_traps_new(&t, b, 0, 0), p0); /* the released number */
	CU_ASSERT_STRING_EQUAL(gw_traps_get(&t, p0)->conn, "r");
	gw_traps_free(&t);
	drop(a);
	drop(b);
}

/* The same connection at another index in a file of the same size: the
 * generation, not the count, says the indexes are stale. */
static void test_traps_moved(void)
{
	struct app_config *a = parse("{\"connections\":[" CONN_JSON("p") "," CONN_JSON("q") "]}",
				     4);
	struct app_config *b = parse("{\"connections\":[" CONN_JSON("q") "," CONN_JSON("p") "]}",
				     5);
	struct gw_traps t;
	uint32_t q;

	memset(&t, 0, sizeof(t));
	q = gw_traps_new(&t, a, 1, 0);
	CU_ASSERT_EQUAL(gw_traps_find(&t, b, 0, 0), q);
	CU_ASSERT_EQUAL(gw_traps_find(&t, b, 1, 0), 0);
	gw_traps_free(&t);
	drop(a);
	drop(b);
}

static const struct test_case cases[] = {
	{ "ids by name, released and reused", test_traps },
	{ "a reload that moves a connection", test_traps_moved },
	{ NULL, NULL },
};
TEST_SUITE(gw_traps, cases)
