/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP outbound: encapsulate and encrypt a burst of packets for one SA.
 *
 * Packets arrive as plain IP (the mbuf data starts at the IPv4/IPv6 header,
 * no L2) in one segment with room around them: headroom for the outer
 * header, UDP, ESP header and IV, tailroom for padding, trailer and ICV.
 * esp_outb() is one always-inline body; the constants tunnel/outer6/udp/aead
 * make the compiler emit a thin handler per SA kind, and fp_sa_init() picks
 * one through fp_esp_outbound_handler().
 *
 *   tunnel:    [outer IP][UDP][ESP][IV][inner IP packet][pad][pl][nh][ICV]
 *   transport: [IP hdr  ][UDP][ESP][IV][IP payload     ][pad][pl][nh][ICV]
 */
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_prefetch.h>

#include "fastpath/esp_priv.h"

/* Validates the IP packet; *hlen = its header length, *nh = what ESP's next
 * header says, *tos = DSCP/ECN to copy to the outer header. */
static __rte_always_inline enum fp_drop outb_parse(struct rte_mbuf *m, const bool tunnel,
						   const bool outer6, uint32_t *hlen, uint8_t *nh,
						   uint8_t *tos)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->pkt_len, tot;

	if (unlikely(m->nb_segs != 1))
		return FP_DROP_NO_ROOM;
	if (unlikely(len < 20))
		return FP_DROP_MALFORMED;
	if (likely((ip[0] >> 4) == 4)) {
		*hlen = (ip[0] & 0xfu) * 4u;
		tot = rd16(ip + 2);
		if (unlikely(*hlen < 20 || tot < *hlen || tot > len))
			return FP_DROP_MALFORMED;
		*nh = tunnel ? IPPROTO_IPIP : ip[9];
		*tos = ip[1];
	} else if ((ip[0] >> 4) == 6 && len >= 40) {
		*hlen = 40;
		tot = 40u + rd16(ip + 4);
		if (unlikely(tot > len))
			return FP_DROP_MALFORMED;
		*nh = tunnel ? IPPROTO_IPV6 : ip[6];
		*tos = (uint8_t)(rd16(ip) >> 4);
	} else {
		return FP_DROP_MALFORMED;
	}
	if (!tunnel && (*hlen == 40) != outer6)
		return FP_DROP_MALFORMED; /* transport: family of the SA */
	if (unlikely(tot < len))
		rte_pktmbuf_trim(m, (uint16_t)(len - tot)); /* L2 padding */
	return FP_DROP_NONE;
}

/* Ones' complement sum of the outer IPv4 template without the fields each
 * packet sets (TOS, total length, ID; the checksum itself): computed once per
 * burst, then each packet's checksum is three additions (RFC 1624). */
static inline uint32_t tmpl4_sum(const uint8_t *t)
{
	uint32_t sum = (uint32_t)t[0] << 8; /* version/IHL, not TOS */

	for (unsigned i = 6; i < 20; i += 2)
		if (i != 10)
			sum += rd16(t + i);
	return sum;
}

/* Fills the outer IP header (tunnel) or fixes the packet's own (transport),
 * and the UDP header; len = final packet length. tsum = tmpl4_sum(). */
static __rte_always_inline void outb_headers(const struct fp_sa *sa, uint8_t *ip, uint32_t hlen,
					     uint32_t len, uint8_t tos, uint64_t seq, uint32_t tsum,
					     const bool tunnel, const bool outer6, const bool udp)
{
	const uint8_t proto = udp ? IPPROTO_UDP : IPPROTO_ESP;
	/* tunnel: template length known from the handler's constants */
	const uint32_t tlen = (outer6 ? 40u : 20u) + (udp ? 8u : 0u);

	if (tunnel)
		memcpy(ip, sa->tmpl, tlen);
	if (outer6) {
		if (tunnel)
			wr32(ip, 6u << 28 | (uint32_t)tos << 20);
		else
			ip[6] = proto;
		wr16(ip + 4, (uint16_t)(len - 40));
	} else if (tunnel) {
		uint16_t id = (uint16_t)seq; /* IP ID */

		ip[1] = tos;
		wr16(ip + 2, (uint16_t)len);
		wr16(ip + 4, id);
		wr16(ip + 10, (uint16_t)~csum_fold(tsum + tos + len + id));
	} else {
		ip[9] = proto;
		wr16(ip + 2, (uint16_t)len);
		ip4_cksum(ip, hlen);
	}
	if (udp) {
		uint8_t *u = ip + hlen;

		if (!tunnel)
			memcpy(u, sa->tmpl, 8);
		wr16(u + 4, (uint16_t)(len - hlen));
		u[6] = u[7] = 0; /* RFC 3948 2.1: checksum 0 (IPv6: set after crypto) */
	}
}

/* Several workers may run one outbound SA (docs/fastpath.md, "Several
 * workers per SA"): the sequence number counter, the counters and the
 * lifetime flags are shared, so they are updated with atomics, once per
 * burst (per packet only for drops). Sequence numbers are reserved once per
 * burst, after the checks, for exactly the packets that passed them: no
 * gap, and without ESN never past 2^32 - 1. */
static inline void outb_drop(struct fp_sa *sa, struct rte_mbuf *m, uint8_t *rsn, enum fp_drop r)
{
	__atomic_fetch_add(&sa->stats.drops[r], 1, __ATOMIC_RELAXED);
	*fp_mbuf_drop(m) = (uint8_t)r;
	*rsn = (uint8_t)r;
}

static inline void outb_life_set(struct fp_sa *sa, uint32_t f)
{
	__atomic_fetch_or(&sa->life, f, __ATOMIC_RELAXED);
}

/* Reserves up to k sequence numbers; the first is *base + 1. Returns how
 * many were granted (fewer only when the space runs out). Relaxed order is
 * enough: only the counter's atomicity matters, nothing is published. */
static __rte_always_inline uint32_t outb_reserve(struct fp_sa *sa, uint32_t k, bool esn,
						 uint64_t *base)
{
	const uint64_t lim = esn ? UINT64_MAX : UINT32_MAX;
	uint64_t old = __atomic_load_n(&sa->h.seq, __ATOMIC_RELAXED);
	uint32_t got;

	do {
		got = old >= lim ? 0 : (uint32_t)RTE_MIN((uint64_t)k, lim - old);
	} while (got != 0 && !__atomic_compare_exchange_n(&sa->h.seq, &old, old + got, true,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	*base = old;
	return got;
}

/* What the check pass found out about a packet. */
struct outb_chk {
	uint16_t hlen, plen, clen, add, tail;
	uint8_t nh, tos, padn;
	uint8_t idx; /* position in the caller's burst */
};

/* Parse and room checks; nothing in the packet changes yet (but trailing
 * L2 padding is trimmed). */
static __rte_always_inline enum fp_drop
outb_check(const struct fp_sa *sa, struct rte_mbuf *m, struct outb_chk *c, const bool tunnel,
	   const bool outer6, const bool udp, const bool aead)
{
	const uint32_t sqh = ((sa->h.flags & FP_SAF_ESN) && !aead) ? 4 : 0;
	const uint32_t iv = aead ? 8u : sa->h.iv_len;
	const uint32_t align = aead ? 4u : sa->h.pad_align;
	uint32_t hlen, plen, clen, add, tail;
	enum fp_drop r;

	r = outb_parse(m, tunnel, outer6, &hlen, &c->nh, &c->tos);
	if (unlikely(r != FP_DROP_NONE))
		return r;
	plen = tunnel ? m->pkt_len : m->pkt_len - hlen;
	clen = RTE_ALIGN_CEIL(plen + 2, align);
	/* Outer header (tunnel) or UDP only (transport), ESP header, IV. */
	add = (tunnel ? (outer6 ? 40u : 20u) : 0u) + (udp ? 8u : 0u) + ESP_HDR_LEN + iv;
	tail = clen - plen + (aead ? 16u : sa->h.icv_len) + sqh;
	if (unlikely(rte_pktmbuf_headroom(m) < add || rte_pktmbuf_tailroom(m) < tail))
		return FP_DROP_NO_ROOM;
	c->hlen = (uint16_t)hlen;
	c->plen = (uint16_t)plen;
	c->clen = (uint16_t)clen;
	c->padn = (uint8_t)(clen - plen - 2);
	c->add = (uint16_t)add;
	c->tail = (uint16_t)tail;
	return FP_DROP_NONE;
}

/* RFC 4303 2.4 default padding 1, 2, 3, ...: at most 15 bytes here (block
 * 16), written as one 16-byte store; the tail has room (ICV >= 16 after). */
static const uint8_t pad_bytes[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* Builds the ESP packet around a checked packet with sequence number seq
 * and fills its crypto op. */
static __rte_always_inline void outb_build(const struct fp_sa *sa, struct rte_mbuf *m,
					   const struct outb_chk *c, uint64_t seq, uint32_t tsum,
					   struct fp_crypto_op *op, const bool tunnel,
					   const bool outer6, const bool udp, const bool aead)
{
	const bool esn = sa->h.flags & FP_SAF_ESN;
	const uint32_t sqh = (esn && !aead) ? 4 : 0;
	const uint32_t iv = aead ? 8u : sa->h.iv_len;
	uint32_t hlen = c->hlen, padn = c->padn;
	uint8_t *ip, *esp, *t;

	ip = mbuf_grow(m, c->add, c->tail);
	t = ip + c->add + c->plen + (tunnel ? 0 : hlen); /* trailer */
	memcpy(t, pad_bytes, 16);
	t[padn] = (uint8_t)padn;
	t[padn + 1] = c->nh;
	if (tunnel)
		hlen = outer6 ? 40 : 20;
	else
		memmove(ip, ip + c->add, hlen);
	esp = ip + hlen + (udp ? 8 : 0);
	memcpy(esp, &sa->h.spi_be, 4);
	wr32(esp + 4, (uint32_t)seq);
	outb_headers(sa, ip, hlen, m->pkt_len - sqh, c->tos, seq, tsum, tunnel, outer6, udp);

	op->buf = esp;
	op->m = m;
	op->seq = seq;
	op->cipher_off = ESP_HDR_LEN + iv;
	op->cipher_len = c->clen;
	op->digest = t + padn + 2; /* the ICV's place */
	if (aead) {
		/* RFC 4106 3.1/5: IV = 64-bit seq, unique per key; AAD with ESN
		 * is SPI || seq_hi || seq_lo. Built from registers, not read
		 * back from the packet: an 8-byte load of the two 4-byte stores
		 * just made there cannot be store-forwarded, and stalled outb at
		 * 64 bytes (docs/performance.md). */
		wr64(esp + 8, seq);
		memcpy(op->nonce, sa->h.salt, 4);
		wr64(op->nonce + 4, seq);
		memcpy(op->aad, &sa->h.spi_be, 4);
		if (esn) {
			wr64(op->aad + 4, seq);
			op->aad_len = 12;
		} else {
			wr32(op->aad + 4, (uint32_t)seq);
			op->aad_len = 8;
		}
		return;
	}
	op->iv = esp + 8; /* CBC: backend fills it */
	op->auth_len = ESP_HDR_LEN + iv + c->clen;
	if (esn) {
		/* RFC 4303 2.2.1: seq_hi is authenticated but not sent. */
		wr32(op->digest, (uint32_t)(seq >> 32));
		op->auth_len += 4;
		op->digest = op->digest_buf;
	}
}

/* Lifetimes for the k encrypted packets (np good ones, nb bytes): one
 * atomic add per counter per burst; the packets that cross the hard limit
 * are dropped and taken back out of the counters. Returns how many. */
static __rte_always_inline uint16_t outb_account(struct fp_sa *sa, struct rte_mbuf *mb[],
						 uint8_t rsn[], const struct outb_chk chk[],
						 uint16_t k, uint64_t np, uint64_t nb)
{
	uint64_t p, b, back_p = 0, back_b = 0;

	if (np == 0)
		return 0;
	p = __atomic_fetch_add(&sa->stats.packets, np, __ATOMIC_RELAXED);
	b = __atomic_fetch_add(&sa->stats.bytes, nb, __ATOMIC_RELAXED);
	/* Both limits: a hard limit may be set without a soft one. */
	if (likely(p + np < sa->h.soft_packets && b + nb < sa->h.soft_bytes &&
		   p + np <= sa->h.hard_packets && b + nb <= sa->h.hard_bytes))
		return 0;
	for (uint16_t i = 0; i < k; i++) {
		const struct outb_chk *c = &chk[i];

		if (rsn[c->idx] != FP_DROP_NONE)
			continue;
		p++;
		b += c->plen;
		if (unlikely(p > sa->h.hard_packets || b > sa->h.hard_bytes)) {
			outb_life_set(sa, FP_SA_F_HARD_EXPIRED);
			outb_drop(sa, mb[c->idx], &rsn[c->idx], FP_DROP_EXPIRED);
			back_p++;
			back_b += c->plen;
		} else if (p >= sa->h.soft_packets || b >= sa->h.soft_bytes) {
			outb_life_set(sa, FP_SA_F_SOFT_EXPIRED);
		}
	}
	if (back_p != 0) {
		__atomic_fetch_sub(&sa->stats.packets, back_p, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&sa->stats.bytes, back_b, __ATOMIC_RELAXED);
	}
	return (uint16_t)back_p;
}

/* UDP-encapsulated ESP over IPv6: RFC 3948's zero UDP checksum is an IPv4
 * allowance; an IPv6 receiver discards a zero checksum (RFC 8200 8.1, and
 * the RFC 6935/6936 exception needs configuring on the peer), so the
 * checksum is computed over the finished packet. Only SAs of this kind pay
 * it. The UDP header follows the 40-byte IPv6 header (no extension headers
 * are built, either mode) and its checksum field is still 0. */
static __rte_noinline void udp6_cksum(struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip6 + 1);

	u->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, u); /* never 0: 0xffff instead */
}

/* A dead SA (hard lifetime or sequence overflow): every packet is dropped. */
static __rte_noinline uint16_t outb_dead(struct fp_sa *sa, struct rte_mbuf *mb[], uint16_t n,
					 uint32_t life)
{
	enum fp_drop r = (life & FP_SA_F_SEQ_OVERFLOW) ? FP_DROP_SEQ_OVERFLOW : FP_DROP_EXPIRED;

	for (uint16_t i = 0; i < n; i++)
		*fp_mbuf_drop(mb[i]) = (uint8_t)r;
	__atomic_fetch_add(&sa->stats.drops[r], n, __ATOMIC_RELAXED);
	return 0;
}

/* Passes: prefetch; check every packet; reserve sequence numbers for those
 * that passed; build headers and crypto ops; one backend call; account.
 * Good packets leave their mbuf drop field untouched; dropped ones get
 * their reason there, and only then is the burst partitioned. */
static __rte_always_inline uint16_t esp_outb(struct fp_sa *sa, struct fp_crypto_engine *eng,
					     struct rte_mbuf *mb[], uint16_t n, const bool tunnel,
					     const bool outer6, const bool udp, const bool aead)
{
	struct fp_crypto_op *ops = eng->ops;
	struct outb_chk chk[FP_MAX_BURST];
	uint8_t rsn[FP_MAX_BURST];
	uint16_t k = 0, ndrop = 0, ncry = 0;
	uint32_t got, tsum = 0;
	uint64_t base, nb = 0;
	uint32_t life = __atomic_load_n(&sa->life, __ATOMIC_RELAXED);

	if (unlikely(life & FP_SA_F_HARD_EXPIRED))
		return outb_dead(sa, mb, n, life);
	/* Both ends of every packet: the outer header goes in front of the
	 * data and the trailer after it, and each first touch of those lines
	 * is a miss when the packet was written on another core (a NIC's DMA,
	 * the bench's generator). Issued for the whole burst so they overlap. */
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(mb[i], const uint8_t *);

		rte_prefetch0(d);
		/* [d - add, d), add <= 64 but IPv6 + UDP + CBC, lies in the
		 * lines of d - 64 and d: the headroom line is written, never read */
		__builtin_prefetch(d - 64, 1, 3); /* rte_prefetch0_write: experimental in 22.11 */
		rte_prefetch0(d + mb[i]->data_len + 15);
	}
	for (uint16_t i = 0; i < n; i++) {
		enum fp_drop r = outb_check(sa, mb[i], &chk[k], tunnel, outer6, udp, aead);

		rsn[i] = FP_DROP_NONE;
		if (unlikely(r != FP_DROP_NONE)) {
			outb_drop(sa, mb[i], &rsn[i], r);
			ndrop++;
			continue;
		}
		chk[k++].idx = (uint8_t)i;
	}
	got = k != 0 ? outb_reserve(sa, k, sa->h.flags & FP_SAF_ESN, &base) : 0;
	if (unlikely(got < k)) { /* RFC 4303 3.3.3: no wrap; the SA ends */
		outb_life_set(sa, FP_SA_F_HARD_EXPIRED | FP_SA_F_SEQ_OVERFLOW);
		/* Packets past the granted numbers are the last ones. */
		for (uint16_t i = (uint16_t)got; i < k; i++)
			outb_drop(sa, mb[chk[i].idx], &rsn[chk[i].idx], FP_DROP_SEQ_OVERFLOW);
		ndrop = (uint16_t)(ndrop + k - got);
		k = (uint16_t)got;
	}
	if (tunnel && !outer6)
		tsum = tmpl4_sum(sa->tmpl);
	for (uint16_t i = 0; i < k; i++) {
		outb_build(sa, mb[chk[i].idx], &chk[i], base + 1 + i, tsum, &ops[i], tunnel, outer6,
			   udp, aead);
		nb += chk[i].plen;
	}
	if (k == 0)
		return 0; /* all dropped, order unchanged */
	eng->be->process(eng->ctx, sa->sess, ops, k, true);
	for (uint16_t i = 0; i < k; i++) {
		struct fp_crypto_op *op = &ops[i];
		struct rte_mbuf *m = mb[chk[i].idx];

		if (unlikely(op->status != FP_CRYPTO_OK)) {
			outb_drop(sa, m, &rsn[chk[i].idx], FP_DROP_CRYPTO);
			ndrop++;
			ncry++;
			nb -= chk[i].plen;
			continue;
		}
		if (!aead && (sa->h.flags & FP_SAF_ESN)) {
			/* ICV over seq_hi into scratch; now over seq_hi's place */
			memcpy(op->buf + op->cipher_off + op->cipher_len, op->digest_buf,
			       sa->h.icv_len);
			m->data_len -= 4;
			m->pkt_len -= 4;
		}
		if (outer6 && udp)
			udp6_cksum(m);
	}
	ndrop = (uint16_t)(ndrop + outb_account(sa, mb, rsn, chk, k, k - ncry, nb));
	return likely(ndrop == 0) ? n : esp_partition(mb, rsn, n);
}

ESP_VARIANTS(outb, esp_outb);

fp_esp_fn fp_esp_outbound_handler(uint8_t f)
{
	return outb_fns[esp_variant(f)];
}
