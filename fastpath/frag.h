/* SPDX-License-Identifier: BSD-3-Clause */
/* IP fragmentation on the way out, and what reassembly needs around
 * DPDK's rte_ip_frag on the way in. Only packets that do not fit the
 * egress MTU or arrive in pieces come here; the hot path tests one length.
 *
 * Out: our ESP packets leave with outer DF clear (IPv4) and are fragmented
 * by us when they exceed the port's MTU, as Linux, strongSwan and VPP do
 * after ESP; the peer reassembles before decrypting (RFC 4303 3.4.1). A
 * forwarded IPv4 packet without DF is fragmented like a router would
 * (RFC 791); a forwarded IPv4 packet with DF, or a forwarded IPv6 packet,
 * is dropped and counted as `mtu`, and its source gets an ICMP "too big"
 * error (fp_icmp_too_big()).
 *
 * Fragments are copies in new single-segment mbufs from the packet's own
 * pool, so every port sees plain frames (no multi-segment TX offload
 * needed); it costs a copy, on packets that are already the exception. */
#ifndef FP_FRAG_H
#define FP_FRAG_H

#include <stdint.h>

#include <rte_mbuf.h>

/* Most fragments one packet is cut into (a 9000-byte packet at MTU 1280
 * needs 8; rte_ip_frag reassembles at most RTE_LIBRTE_IP_FRAG_MAX_FRAG). */
#define FP_FRAG_MAX 16u

/* m: one segment, data at the IPv4 header, total length validated and
 * over mtu. Cuts it into fragments of at most mtu bytes (IP header
 * included), in out[]. id >= 0: a packet we originate (our ESP, in tunnel
 * or transport mode): the identification is replaced by id (unique per
 * fragmented packet) and DF, which in transport mode the original sender
 * may have set, is cleared, since the ESP packet is ours to fragment;
 * id < 0: forwarded, identification kept, DF honoured. Returns the number
 * of fragments (m has been freed), or a negative worker drop reason
 * (-FP_WD_MTU: DF set on a forwarded packet, IP options, an offset that
 * would pass 65,535 bytes, or more than max fragments; -FP_WD_NO_MBUF)
 * with m untouched. */
int fp_frag4(struct rte_mbuf *m, uint32_t mtu, int32_t id, struct rte_mbuf **out, unsigned max);

/* The same for an IPv6 packet we originate whose next header is not an
 * extension header: a Fragment header (RFC 8200 4.5) with identification
 * ident goes after the fixed header. */
int fp_frag6(struct rte_mbuf *m, uint32_t mtu, uint32_t ident, struct rte_mbuf **out, unsigned max);

/* Identifications of the packets the gateway fragments as their source
 * (RFC 6864 4.1, RFC 8200 4.5): nsrc disjoint sequences, one per worker
 * (src 0 .. n_workers - 1) and the last for the control core's IKE
 * messages (src n_workers), since with NAT-T both send UDP between the
 * same addresses. (Unfragmented ESP keeps its sequence-derived IPv4
 * identification, outside these ranges.) IPv4's 16 bits are cut into ranges (no source reuses
 * another's, even when nsrc does not divide 65,536); IPv6's 32 are
 * interleaved, wrapped before 2^32 for the same reason. seq: the
 * source's count of fragmented packets. */
static inline uint16_t fp_frag_id4(unsigned src, unsigned nsrc, uint32_t seq)
{
	uint32_t span = 65536u / nsrc;

	return (uint16_t)(src * span + seq % span);
}

static inline uint32_t fp_frag_id6(unsigned src, unsigned nsrc, uint32_t seq)
{
	return (seq % (UINT32_MAX / nsrc)) * nsrc + src;
}

/* ICMP errors per second a worker sends at most (RFC 1812 4.3.2.8,
 * RFC 4443 2.4(f): rate-limited). */
#define FP_ICMP_PER_S 100u

/* The "too big" error for forwarded packet m (data at its IP header; it
 * exceeded an MTU of mtu and may not be fragmented): ICMP type 3 code 4
 * with the next-hop MTU (RFC 1191) or ICMPv6 Packet Too Big (RFC 4443
 * 3.2), from our address src (4 or 16 bytes) to m's source, quoting as
 * much of m as fits in 576 / 1280 bytes. Returned as an Ethernet frame
 * (addresses zero) in a new mbuf from m's pool, to be classified like a
 * received one (so it meets the SPD: RFC 4301 6). NULL when RFC 1812
 * 4.3.2.7 / RFC 4443 2.4(e) forbid an error about m (an ICMP error, a
 * non-initial fragment, a multicast or unspecified source) or no mbuf. */
struct rte_mbuf *fp_icmp_too_big(const struct rte_mbuf *m, uint32_t mtu, const uint8_t *src);

/* Checks an IPv4 fragment (hl = header length, tot = total length, both
 * validated against the frame) before rte_ip_frag sees it: a payload of at
 * least one byte, a multiple of 8 unless it is the last, and an end inside
 * 65,535 bytes. 0 or -1. */
int fp_frag4_check(const uint8_t *ip, uint32_t hl, uint32_t tot);

/* The same for an IPv6 packet whose Fragment header follows the fixed
 * header; plen = payload length, validated against the frame. */
int fp_frag6_check(const uint8_t *ip, uint32_t plen);

/* An IPv6 atomic fragment (offset 0, M clear: RFC 6946 says to process it
 * alone, rte_ip_frag would wait for more): removes its Fragment header
 * in place. m starts at l2 bytes of link header; plen validated >= 8. */
void fp_frag6_unfrag(struct rte_mbuf *m, uint32_t l2);

/* A datagram rte_ip_frag put together (data at the Ethernet header of
 * its first fragment, l2_len set): copies the chain into the first
 * segment and frees the others, since the ESP layer takes one segment,
 * and sets the IPv4 header checksum rte_ip_frag left at 0. 0, or -1 when
 * the first segment's buffer is too small: m stays a chain (for the
 * control core, which reads chains), its IPv4 checksum set all the same. */
int fp_reasm_finish(struct rte_mbuf *m);

#endif
