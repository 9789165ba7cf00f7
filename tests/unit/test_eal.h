/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK EAL for unit tests: initialised once, on first use, inside a suite
 * (never from a constructor, so suites without DPDK are unaffected). No
 * hugepages, no PCI, lcores 0-2 (all on CPUs 0-1). */
#ifndef TEST_EAL_H
#define TEST_EAL_H

struct rte_mempool;

/* 0 when the EAL and the mbuf pool are up (idempotent), -1 otherwise. */
int test_eal_init(void);
/* Pool of 2048-byte mbufs, after a successful test_eal_init(). */
struct rte_mempool *test_eal_pool(void);

#endif
