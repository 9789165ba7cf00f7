/* SPDX-License-Identifier: BSD-3-Clause */
/* One EAL per test process; see test_eal.h. */
#include <stdio.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "tests/unit/test_eal.h"

static int eal_state; /* 0 not tried, 1 up, -1 failed */
static struct rte_mempool *pool;

int test_eal_init(void)
{
	char *argv[] = {
		"unit_tests",
		"--no-huge",
		"-m",
		"512",
		"--no-pci",
		"--no-shconf",
		"--no-telemetry",
		/* Three lcores on whatever CPUs there are: the table tests run a
		 * control core and two workers. */
		"--lcores",
		"(0-2)@(0-1)",
		"--log-level=lib.eal:error",
		NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	if (eal_state != 0)
		return eal_state > 0 ? 0 : -1;
	eal_state = -1;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	pool = rte_pktmbuf_pool_create("unit_mbufs", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	eal_state = 1;
	return 0;
}

struct rte_mempool *test_eal_pool(void)
{
	return pool;
}
