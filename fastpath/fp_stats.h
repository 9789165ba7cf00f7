/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters of the fast path: per SA, and the reasons a worker drops a
 * packet for.
 *
 * One worker owns an SA (see docs/fastpath.md), so these are plain counters
 * with a single writer; the control core reads them without a lock and may
 * see a value one burst old. Every packet the ESP layer refuses is counted
 * under exactly one reason, and the same reason is left in the mbuf
 * (fp_mbuf_drop_reason()) for the caller that frees it. */
#ifndef FP_STATS_H
#define FP_STATS_H

#include <stdint.h>

enum fp_drop {
	FP_DROP_NONE = 0,
	FP_DROP_NO_SA,        /* SPI is not this SA's */
	FP_DROP_REPLAY,       /* duplicate or left of the window */
	FP_DROP_AUTH,         /* ICV mismatch */
	FP_DROP_PAD,          /* padding not 1,2,3... or longer than payload */
	FP_DROP_MALFORMED,    /* short packet, bad IP version or lengths */
	FP_DROP_NEXT_HDR,     /* tunnel: not IPv4/IPv6; either mode: 59, a dummy packet */
	FP_DROP_POLICY,       /* inner packet outside the SA's selectors */
	FP_DROP_SEQ_OVERFLOW, /* outbound: sequence number space used up */
	FP_DROP_EXPIRED,      /* SA already ended (hard lifetime, overflow) */
	FP_DROP_NO_ROOM,      /* mbuf headroom/tailroom too small, chained */
	FP_DROP_CRYPTO,       /* backend refused or failed the job */
	FP_DROP_ECN,          /* tunnel: outer CE over a not-ECT inner packet (RFC 6040) */
	FP_DROP_MAX
};

/* Lifetime flags, set by the worker, read and cleared by the control core. */
#define FP_SA_F_SOFT_EXPIRED 0x1u /* soft bytes/packets reached: rekey */
#define FP_SA_F_HARD_EXPIRED 0x2u /* hard limit or seq overflow: SA is dead */
#define FP_SA_F_SEQ_OVERFLOW 0x4u

struct fp_sa_stats {
	uint64_t packets; /* good packets through the SA */
	uint64_t bytes;   /* their payload bytes (inner packet / ESP payload) */
	uint64_t drops[FP_DROP_MAX];
};

const char *fp_drop_name(enum fp_drop r);

/* Worker drop reasons: the ESP layer's (enum fp_drop, same numbers) and
 * these. */
enum fp_wdrop {
	FP_WD_NO_POLICY = FP_DROP_MAX, /* outbound: no SPD rule matched */
	FP_WD_DISCARD,                 /* SPD rule says DISCARD */
	FP_WD_TTL,                     /* TTL / hop limit would reach 0 */
	FP_WD_NO_ROUTE,
	FP_WD_RING_FULL,  /* punt or hand-off ring full */
	FP_WD_TX_FULL,    /* TX queue did not take it */
	FP_WD_NOT_IP,     /* not IPv4/IPv6/ARP, or runt frame */
	FP_WD_MTU,        /* over the egress MTU and not ours to fragment */
	FP_WD_FRAG,       /* fragment to us not reassembled (timeout,
					 * table full, overlap, too big, malformed) */
	FP_WD_NO_MBUF,    /* no mbuf for a fragment we had to make */
	FP_WD_TRAP,       /* met a trap policy: its SA is not there yet */
	FP_WD_UNRESOLVED, /* its next hop's MAC unknown and FP_NH_QUEUE_MAX
			   * packets already waiting for it (route.h) */
	FP_WD_MAX
};

#endif
