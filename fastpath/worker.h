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
 *     PROTECT (encrypt, encapsulate) / BYPASS / DISCARD -> route -> TX.
 * Packets of one SA that are consecutive in a burst go to fp_esp_process()
 * in one call. Packets over the egress MTU are fragmented or dropped
 * (frag.h). No locks, no allocation (but mbufs for fragments), no system
 * calls; every drop is
 * counted under one reason; a quiescent state is reported once per loop. */
#ifndef FP_WORKER_H
#define FP_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>

#include "fastpath/crypto.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/fp_stats.h"
#include "fastpath/route.h"

#define FP_MAX_PORTS  RTE_MAX_ETHPORTS
#define FP_MAX_RXQ    16u
#define FP_MAX_LOCAL  16u
/* Packets asked of an RX queue per poll: cfg.rx_burst, default
 * FP_RX_BURST, at most FP_RX_BURST_MAX (the ESP layer's FP_MAX_BURST). */
#define FP_RX_BURST   32u
#define FP_RX_BURST_MAX 64u
_Static_assert(FP_RX_BURST_MAX <= FP_MAX_BURST, "process() takes at most FP_MAX_BURST");

/* Worker drop reasons: the ESP layer's (enum fp_drop, same numbers) and
 * these. */
enum fp_wdrop {
	FP_WD_NO_POLICY = FP_DROP_MAX,  /* outbound: no SPD rule matched */
	FP_WD_DISCARD,                  /* SPD rule says DISCARD */
	FP_WD_TTL,                      /* TTL / hop limit would reach 0 */
	FP_WD_NO_ROUTE,
	FP_WD_RING_FULL,                /* punt or hand-off ring full */
	FP_WD_TX_FULL,                  /* TX queue did not take it */
	FP_WD_NOT_IP,                   /* not IPv4/IPv6/ARP, or runt frame */
	FP_WD_MTU,                      /* over the egress MTU and not ours to fragment */
	FP_WD_FRAG,                     /* fragment to us not reassembled (timeout,
					 * table full, overlap, too big, malformed) */
	FP_WD_NO_MBUF,                  /* no mbuf for a fragment we had to make */
	FP_WD_MAX
};
const char *fp_wdrop_name(unsigned r);

/* The gateway's own addresses: ESP to them is decrypted, anything else to
 * them is punted. */
struct fp_local {
	uint16_t n4, n6;
	uint32_t a4[FP_MAX_LOCAL];          /* network order */
	uint8_t  a6[FP_MAX_LOCAL][16];
	uint16_t natt_port;                 /* host order, normally 4500 */
	uint16_t ike_port;                  /* host order, normally 500 */
	/* 1 + the port id each address is on, 0 for any port: ARP requests
	 * and neighbour solicitations for it are answered on that port only
	 * (fastpath/neigh.h); a port's first address of a family is the
	 * source of ICMP errors sent on its side (a4[0] / a6[0] without). */
	uint8_t  a4_port1[FP_MAX_LOCAL], a6_port1[FP_MAX_LOCAL];
};

/* Whether a (network order / 16 bytes) is one of the gateway's addresses. */
static inline bool fp_local4(const struct fp_local *l, uint32_t a)
{
	for (unsigned i = 0; i < l->n4; i++)
		if (l->a4[i] == a)
			return true;
	return false;
}

static inline bool fp_local6(const struct fp_local *l, const uint8_t *a)
{
	for (unsigned i = 0; i < l->n6; i++)
		if (memcmp(l->a6[i], a, 16) == 0)
			return true;
	return false;
}

/* Shared by all workers, read-only while they run. */
struct fp_dp {
	struct fp_ctrl *ctrl;
	const struct fp_routes *routes;
	struct fp_local local;
	struct rte_ether_addr mac[FP_MAX_PORTS];   /* source MAC per port id */
	/* IP MTU per port id (bytes of IP packet, Ethernet not counted);
	 * 0: no limit. Larger packets leave fragmented where that is
	 * allowed (fastpath/frag.h), else are dropped as `mtu`. */
	uint16_t mtu[FP_MAX_PORTS];
};

struct fp_worker_cfg {
	unsigned id;                        /* 0..n_workers-1 */
	const struct fp_dp *dp;
	unsigned n_rxq;
	struct { uint16_t port, queue; } rxq[FP_MAX_RXQ];
	uint16_t txq;                       /* this worker's TX queue on every port */
	uint16_t rx_burst;                  /* 0 = FP_RX_BURST; 1..FP_RX_BURST_MAX */
	/* Reassembly of fragments addressed to the gateway (ESP, IKE):
	 * datagrams in progress at once (0: none, fragments are dropped as
	 * `frag`) and how long one may take. */
	uint32_t reasm_max;
	uint32_t reasm_timeout_ms;          /* 0 = FP_REASM_TIMEOUT_MS */
	int socket;
};

#define FP_REASM_MAX_DEFAULT   256u
#define FP_REASM_TIMEOUT_MS    2000u

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
