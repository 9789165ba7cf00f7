/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores of the fast path.
 *
 * Each worker polls its RX queues in bursts and classifies every packet:
 *   - inbound ESP, or UDP-encapsulated ESP (RFC 3948, the NAT-T port, a
 *     non-zero first word), addressed to one of the gateway's addresses ->
 *     SAD lookup by SPI -> the SA's owner worker (hand-off ring if that is
 *     another worker) -> decrypt, verify, anti-replay, decapsulate, inner
 *     policy check (fp_esp_process) -> route the inner packet;
 *   - a fragment addressed to the gateway -> reassembly (rte_ip_frag, per
 *     worker), the datagram then classified like a received frame;
 *   - ARP requests and IPv6 neighbour solicitations for our addresses ->
 *     answered in place (fastpath/neigh.h);
 *   - IKE (UDP 500, and the NAT-T port with the non-ESP marker), NAT
 *     keepalives, other ARP and ND, multicast/broadcast and anything else
 *     for our own addresses -> punted to the control core (ring);
 *   - everything else is outbound plaintext -> TTL -> SPD (rte_acl) ->
 *     PROTECT (encrypt, encapsulate) / BYPASS / DISCARD -> route -> TX;
 *     a trap policy (PROTECT of a slot with a trap and no SA) drops the
 *     packet and raises an acquire on the control core's ring, at most one
 *     per trap per interval, never waiting (ring full: counted, lost).
 * Packets of one SA that are consecutive in a burst go to fp_esp_process()
 * in one call. Packets over the egress MTU are fragmented or dropped
 * (tx.h, frag.h). No locks, no allocation (but mbufs for fragments), no system
 * calls; every drop is
 * counted under one reason; a quiescent state is reported once per loop. */
#ifndef FP_WORKER_H
#define FP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "fastpath/crypto.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/dp.h"
#include "fastpath/fp_stats.h"

#define FP_MAX_RXQ 16u
/* Packets asked of an RX queue per poll: cfg.rx_burst, default
 * FP_RX_BURST, at most FP_RX_BURST_MAX (the ESP layer's FP_MAX_BURST). */
#define FP_RX_BURST     32u
#define FP_RX_BURST_MAX 64u
_Static_assert(FP_RX_BURST_MAX <= FP_MAX_BURST, "process() takes at most FP_MAX_BURST");

/* Name of a drop reason of enum fp_wdrop (fp_stats.h). */
const char *fp_wdrop_name(unsigned r);

struct fp_worker_cfg {
	unsigned id; /* 0..n_workers-1 */
	const struct fp_dp *dp;
	unsigned n_rxq;
	struct {
		uint16_t port, queue;
	} rxq[FP_MAX_RXQ];
	uint16_t txq;      /* this worker's TX queue on every port */
	uint16_t rx_burst; /* 0 = FP_RX_BURST; 1..FP_RX_BURST_MAX */
	/* Reassembly of fragments addressed to the gateway (ESP, IKE):
	 * datagrams in progress at once (0: none, fragments are dropped as
	 * `frag`) and how long one may take. */
	uint32_t reasm_max;
	uint32_t reasm_timeout_ms; /* 0 = FP_REASM_TIMEOUT_MS */
	int socket;
};

#define FP_REASM_MAX_DEFAULT 256u
#define FP_REASM_TIMEOUT_MS  2000u

struct fp_port_stats {
	uint64_t rx, rx_bytes, tx, tx_bytes, tx_drop;
};

/* Single writer (the worker); readers may see values one loop old. */
struct fp_worker_stats {
	uint64_t rx, tx, esp_in, esp_out, bypass, punt, handoff_out, handoff_in;
	uint64_t notes, notes_lost, loops, idle_loops;
	/* fragments received for us, datagrams reassembled from them,
	 * fragments we sent (their packets exceeded the egress MTU), ICMP
	 * "too big" errors made for packets dropped as `mtu` */
	uint64_t frag_in, reassembled, frag_out, icmp_too_big;
	/* ARP requests and neighbour solicitations for our addresses answered */
	uint64_t neigh_replies;
	/* packets handed to the control core to wait for their next hop's
	 * MAC (route.h; those beyond its queue count as drop `unresolved`) */
	uint64_t unresolved_queued;
	/* acquires raised for trap policies (spd.h FP_SPD_TRAP; the packets
	 * count as drop `trap`), and those lost to a full acquire ring */
	uint64_t acquires, acquires_lost;
	uint64_t drops[FP_WD_MAX];
	struct fp_port_stats port[FP_MAX_PORTS];
};

struct fp_worker;

struct fp_worker *fp_worker_create(const struct fp_worker_cfg *cfg);
void fp_worker_free(struct fp_worker *w);

/* lcore entry point (rte_eal_remote_launch): joins RCU, polls until
 * fp_worker_stop(), leaves. */
int fp_worker_run(void *w);
void fp_worker_stop(struct fp_worker *w);

/* One loop iteration: the hand-off ring; per RX queue, receive a burst
 * (loading its first lines) and process the one received in the previous iteration;
 * TX flush; quiescent state. Returns the packets processed. Between
 * fp_ctrl_worker_join() and fp_ctrl_worker_leave(); fp_worker_run()
 * processes what is still held when it stops. */
unsigned fp_worker_poll(struct fp_worker *w);
/* Processes packets as if received (tests, benchmarks), then flushes TX. */
void fp_worker_input(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n);

#ifdef FP_AB
/* perf/ab.sh builds: 0 or 1, the variant of the change to run now. */
extern unsigned fp_ab_mode;
#endif

const struct fp_worker_stats *fp_worker_stats(const struct fp_worker *w);
/* The worker's crypto engine counters (zero for a backend without any). */
void fp_worker_crypto_stats(const struct fp_worker *w, struct fp_crypto_stats *out);

#endif
