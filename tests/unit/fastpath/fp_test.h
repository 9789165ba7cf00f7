/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the fast path's unit tests (test_sad_spd.c,
 * test_ctrl_core.c, test_worker.c, test_frag.c): the EAL and an mbuf pool,
 * SAs and policies, gateways on net_ring ports and packets for them. */
#ifndef FP_TEST_H
#define FP_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/ctrl_core.h"
#include "fastpath/worker.h"
#include "tests/unit/test.h"
#include "tests/unit/test_eal.h"

/* The mbuf pool of these tests (16k mbufs), after fpt_setup(). */
extern struct rte_mempool *fpt_pool;

/* 0 once the EAL and fpt_pool are up (first call does it), -1 otherwise:
 * every suite calls it first, so none depends on running after another. */
int fpt_setup(void);
#define FPT_SETUP() CU_ASSERT_FATAL(fpt_setup() == 0)

/* Text address to bytes (IPv6: fails the test on a bad one). */
void fpt_ip4(const char *s, uint8_t *out);
void fpt_ip6(const char *s, uint8_t *out);

/* AES-GCM-128 tunnel SA between 192.0.2.1 (gateway A) and 192.0.2.2 (B);
 * fpt_gcm6 the same with IPv6 outer addresses 2001:db8::1 (A) and ::2 (B). */
void fpt_gcm(struct fp_sa_params *p, enum fp_dir dir, uint32_t spi, bool a_side);
void fpt_gcm6(struct fp_sa_params *p, enum fp_dir dir, uint32_t spi, bool a_side);

/* A control core for nw workers (fatal on failure). */
struct fp_ctrl *fpt_ctrl_new(const char *name, unsigned nw);
/* fp_ctrl_add_sa(), asserted to succeed. */
void fpt_add_sa(struct fp_ctrl *c, const struct fp_sa_params *p);
/* An IPv4 policy over address ranges, any ports and protocol. */
void fpt_rule4(struct fp_spd_rule *r, const char *slo, const char *shi, const char *dlo,
	       const char *dhi, enum fp_spd_action a, uint32_t spi);
/* The same from the one address src to any destination. */
void fpt_rule4_from(struct fp_spd_rule *r, const char *src, enum fp_spd_action a, uint32_t spi);

/* ---- gateways on net_ring ports ---- */

#define FPT_NQ 2

/* A gateway: port 0 faces the plaintext side (198.51.100.0/24 and
 * 203.0.113.0/24), port 1 the peer gateway. */
struct fpt_gw {
	struct fp_ctrl *c;
	struct fp_dp dp;
	struct fp_routes *routes;
	struct fp_worker *w[FPT_NQ];
	uint16_t port[2];
	struct rte_ring *rx[2][FPT_NQ], *tx[2][FPT_NQ];
	unsigned nw;
};

/* Gateway g with address addr and nw workers (worker i polls queue i of
 * both ports), routes to both sides; fpt_gw_fini frees it all. */
void fpt_gw_init(struct fpt_gw *g, const char *name, const char *addr, unsigned nw);
void fpt_gw_fini(struct fpt_gw *g);
/* Worker 0 of g made again with an MTU on port 1 (the peer side) and a
 * reassembly table of reasm datagrams (0: none), and joined. */
void fpt_gw_rework(struct fpt_gw *g, uint16_t mtu1, uint32_t reasm);

/* Ethernet + IPv4 + UDP with a 32-bit id in the payload. */
struct rte_mbuf *fpt_udp_pkt(const char *src, const char *dst, uint16_t sport, uint16_t dport,
			     uint32_t id, uint8_t ttl, size_t paylen);
/* Up to max packets off ring r. */
unsigned fpt_ring_take(struct rte_ring *r, struct rte_mbuf **out, unsigned max);
/* Drops for reason over g's workers. */
uint64_t fpt_wdrops(struct fpt_gw *g, unsigned reason);
/* The big-endian 16 bits at off in m's first segment. */
uint16_t fpt_be16at(const struct rte_mbuf *m, uint32_t off);
/* Puts an IPv6 Fragment header (offset/M field fo) after the fixed
 * header of Ethernet + IPv6 frame m. */
void fpt_ins_frag6(struct rte_mbuf *m, uint16_t fo);

#endif
