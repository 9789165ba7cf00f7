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
#include <rte_prefetch.h>

#include "fastpath/esp_priv.h"

struct outb_pkt {
	uint32_t plen;      /* bytes protected: inner packet or IP payload */
	uint8_t *icv;       /* ICV position in the packet */
};

/* Validates the IP packet; *hlen = its header length, *nh = what ESP's next
 * header says, *tos = DSCP/ECN to copy to the outer header. */
static __rte_always_inline enum fp_drop
outb_parse(struct rte_mbuf *m, const bool tunnel, const bool outer6,
	   uint32_t *hlen, uint8_t *nh, uint8_t *tos)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->pkt_len, tot;

	if (unlikely(m->nb_segs != 1))
		return FP_DROP_NO_ROOM;
	if (unlikely(len < 20))
		return FP_DROP_MALFORMED;
	if ((ip[0] >> 4) == 4) {
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
		return FP_DROP_MALFORMED;      /* transport: family of the SA */
	if (tot < len)
		rte_pktmbuf_trim(m, (uint16_t)(len - tot));  /* L2 padding */
	return FP_DROP_NONE;
}

/* Fills the outer IP header (tunnel) or fixes the packet's own (transport),
 * and the UDP header; len = final packet length. */
static __rte_always_inline void
outb_headers(const struct fp_sa *sa, uint8_t *ip, uint32_t hlen, uint32_t len,
	     uint8_t tos, uint64_t seq, const bool tunnel, const bool outer6, const bool udp)
{
	uint8_t proto = udp ? IPPROTO_UDP : IPPROTO_ESP;

	if (tunnel)
		memcpy(ip, sa->tmpl, sa->h.tmpl_len);
	if (outer6) {
		if (tunnel)
			wr32(ip, 6u << 28 | (uint32_t)tos << 20);
		else
			ip[6] = proto;
		wr16(ip + 4, (uint16_t)(len - 40));
	} else {
		if (tunnel) {
			ip[1] = tos;
			wr16(ip + 4, (uint16_t)seq);   /* IP ID */
		} else {
			ip[9] = proto;
		}
		wr16(ip + 2, (uint16_t)len);
		ip4_cksum(ip, hlen);
	}
	if (udp) {
		uint8_t *u = ip + hlen;

		if (!tunnel)
			memcpy(u, sa->tmpl, 8);
		wr16(u + 4, (uint16_t)(len - hlen));
		u[6] = u[7] = 0;                 /* RFC 3948 2.1: checksum 0 */
	}
}

/* Several workers may run one outbound SA (docs/fastpath.md, "Several
 * workers per SA"): the sequence number counter, the counters and the
 * lifetime flags are shared, so they are updated with atomics. Sequence
 * numbers are reserved once per burst, after the checks, for exactly the
 * packets that passed them: no gap, and without ESN never past 2^32 - 1. */
static inline void outb_drop(struct fp_sa *sa, struct rte_mbuf *m, enum fp_drop r)
{
	__atomic_fetch_add(&sa->stats.drops[r], 1, __ATOMIC_RELAXED);
	*fp_mbuf_drop(m) = (uint8_t)r;
}

static inline void outb_life_set(struct fp_sa *sa, uint32_t f)
{
	__atomic_fetch_or(&sa->life, f, __ATOMIC_RELAXED);
}

/* Reserves up to k sequence numbers; the first is *base + 1. Returns how
 * many were granted (fewer only when the space runs out). Relaxed order is
 * enough: only the counter's atomicity matters, nothing is published. */
static __rte_always_inline uint32_t
outb_reserve(struct fp_sa *sa, uint32_t k, bool esn, uint64_t *base)
{
	const uint64_t lim = esn ? UINT64_MAX : UINT32_MAX;
	uint64_t old = __atomic_load_n(&sa->h.seq, __ATOMIC_RELAXED);
	uint32_t got;

	do {
		got = old >= lim ? 0 : (uint32_t)RTE_MIN((uint64_t)k, lim - old);
	} while (got != 0 && !__atomic_compare_exchange_n(&sa->h.seq, &old, old + got,
			true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	*base = old;
	return got;
}

struct outb_chk {
	uint32_t hlen, plen, padn, clen, add, tail;
	uint8_t nh, tos;
};

/* Parse and room checks; nothing in the packet changes yet. */
static __rte_always_inline enum fp_drop
outb_check(struct fp_sa *sa, struct rte_mbuf *m, struct outb_chk *c,
	   const bool tunnel, const bool outer6, const bool udp, const bool aead)
{
	const uint32_t sqh = ((sa->h.flags & FP_SAF_ESN) && !aead) ? 4 : 0;
	uint32_t life = __atomic_load_n(&sa->life, __ATOMIC_RELAXED);
	enum fp_drop r;

	if (unlikely(life & FP_SA_F_HARD_EXPIRED))
		return (life & FP_SA_F_SEQ_OVERFLOW) ? FP_DROP_SEQ_OVERFLOW : FP_DROP_EXPIRED;
	r = outb_parse(m, tunnel, outer6, &c->hlen, &c->nh, &c->tos);
	if (unlikely(r != FP_DROP_NONE))
		return r;
	c->plen = tunnel ? m->pkt_len : m->pkt_len - c->hlen;
	c->clen = RTE_ALIGN_CEIL(c->plen + 2, sa->h.pad_align);
	c->padn = c->clen - c->plen - 2;
	/* Outer header (tunnel) or UDP only (transport), ESP header, IV. */
	c->add = (tunnel ? sa->h.tmpl_len : (udp ? 8u : 0u)) + ESP_HDR_LEN + sa->h.iv_len;
	c->tail = c->padn + 2 + sa->h.icv_len + sqh;
	if (unlikely(rte_pktmbuf_headroom(m) < c->add || rte_pktmbuf_tailroom(m) < c->tail))
		return FP_DROP_NO_ROOM;
	return FP_DROP_NONE;
}

/* Builds the ESP packet around a checked packet with sequence number seq. */
static __rte_always_inline void
outb_build(struct fp_sa *sa, struct rte_mbuf *m, const struct outb_chk *c, uint64_t seq,
	   struct fp_crypto_op *op, struct outb_pkt *st, const bool tunnel,
	   const bool outer6, const bool udp, const bool aead)
{
	const bool esn = sa->h.flags & FP_SAF_ESN;
	const uint32_t sqh = (esn && !aead) ? 4 : 0;
	uint32_t hlen = c->hlen, padn = c->padn;
	uint8_t *ip, *esp, *t;

	t = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)c->tail);
	for (uint32_t i = 0; i < padn; i++)
		t[i] = (uint8_t)(i + 1);         /* RFC 4303 2.4 default padding */
	t[padn] = (uint8_t)padn;
	t[padn + 1] = c->nh;
	ip = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)c->add);
	if (tunnel)
		hlen = outer6 ? 40 : 20;
	else
		memmove(ip, ip + c->add, hlen);
	esp = ip + hlen + (udp ? 8 : 0);
	memcpy(esp, &sa->h.spi_be, 4);
	wr32(esp + 4, (uint32_t)seq);
	outb_headers(sa, ip, hlen, m->pkt_len - sqh, c->tos, seq, tunnel, outer6, udp);

	st->plen = c->plen;
	st->icv = t + padn + 2;
	op->buf = esp;
	op->seq = seq;
	op->cipher_off = ESP_HDR_LEN + sa->h.iv_len;
	op->cipher_len = c->clen;
	if (aead) {
		/* RFC 4106 3.1/5: IV = 64-bit seq, unique per key; AAD with ESN
		 * is SPI || seq_hi || seq_lo. */
		wr64(esp + 8, seq);
		memcpy(op->nonce, sa->h.salt, 4);
		memcpy(op->nonce + 4, esp + 8, 8);
		memcpy(op->aad, esp, 4);
		if (esn) {
			wr64(op->aad + 4, seq);
			op->aad_len = 12;
		} else {
			memcpy(op->aad + 4, esp + 4, 4);
			op->aad_len = 8;
		}
		op->digest = st->icv;
		return;
	}
	op->iv = esp + 8;                        /* CBC: backend fills it */
	op->auth_len = ESP_HDR_LEN + sa->h.iv_len + c->clen;
	if (esn) {
		/* RFC 4303 2.2.1: seq_hi is authenticated but not sent. */
		wr32(st->icv, (uint32_t)(seq >> 32));
		op->auth_len += 4;
		op->digest = op->digest_buf;
	} else {
		op->digest = st->icv;
	}
}

/* Lifetimes for the k encrypted packets cm[0..k): one atomic add per
 * counter per burst; the packets that cross the hard limit are dropped and
 * taken back out of the counters. */
static __rte_always_inline void
outb_account(struct fp_sa *sa, struct rte_mbuf *cm[], const struct outb_pkt st[],
	     const bool ok[], uint16_t k)
{
	uint64_t np = 0, nb = 0, p, b, back_p = 0, back_b = 0;

	for (uint16_t i = 0; i < k; i++) {
		if (ok[i]) {
			np++;
			nb += st[i].plen;
		}
	}
	if (np == 0)
		return;
	p = __atomic_fetch_add(&sa->stats.packets, np, __ATOMIC_RELAXED);
	b = __atomic_fetch_add(&sa->stats.bytes, nb, __ATOMIC_RELAXED);
	if (likely(p + np < sa->h.soft_packets && b + nb < sa->h.soft_bytes))
		return;
	for (uint16_t i = 0; i < k; i++) {
		if (!ok[i])
			continue;
		p++;
		b += st[i].plen;
		if (unlikely(p > sa->h.hard_packets || b > sa->h.hard_bytes)) {
			outb_life_set(sa, FP_SA_F_HARD_EXPIRED);
			outb_drop(sa, cm[i], FP_DROP_EXPIRED);
			back_p++;
			back_b += st[i].plen;
		} else if (p >= sa->h.soft_packets || b >= sa->h.soft_bytes) {
			outb_life_set(sa, FP_SA_F_SOFT_EXPIRED);
		}
	}
	if (back_p != 0) {
		__atomic_fetch_sub(&sa->stats.packets, back_p, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&sa->stats.bytes, back_b, __ATOMIC_RELAXED);
	}
}

static __rte_always_inline uint16_t
esp_outb(struct fp_sa *sa, struct fp_crypto_engine *eng, struct rte_mbuf *mb[],
	 uint16_t n, const bool tunnel, const bool outer6, const bool udp, const bool aead)
{
	struct fp_crypto_op *ops = eng->ops;
	struct rte_mbuf *cm[FP_MAX_BURST];
	struct outb_chk chk[FP_MAX_BURST];
	struct outb_pkt st[FP_MAX_BURST];
	bool ok[FP_MAX_BURST];
	uint16_t k = 0;
	uint32_t got;
	uint64_t base;

	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(mb[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		enum fp_drop r = outb_check(sa, mb[i], &chk[k], tunnel, outer6, udp, aead);

		*fp_mbuf_drop(mb[i]) = FP_DROP_NONE;
		if (unlikely(r != FP_DROP_NONE))
			outb_drop(sa, mb[i], r);
		else
			cm[k++] = mb[i];
	}
	got = k != 0 ? outb_reserve(sa, k, sa->h.flags & FP_SAF_ESN, &base) : 0;
	if (unlikely(got < k))      /* RFC 4303 3.3.3: no wrap; the SA ends */
		outb_life_set(sa, FP_SA_F_HARD_EXPIRED | FP_SA_F_SEQ_OVERFLOW);
	/* Packets past the granted numbers are the last ones: i == op index. */
	for (uint16_t i = 0; i < k; i++) {
		if (unlikely(i >= got)) {
			outb_drop(sa, cm[i], FP_DROP_SEQ_OVERFLOW);
			continue;
		}
		outb_build(sa, cm[i], &chk[i], base + 1 + i, &ops[i], &st[i],
			   tunnel, outer6, udp, aead);
	}
	k = (uint16_t)got;
	if (k != 0)
		eng->be->process(eng->ctx, sa->sess, ops, k, true);
	for (uint16_t i = 0; i < k; i++) {
		struct rte_mbuf *m = cm[i];

		ok[i] = ops[i].status == 0;
		if (unlikely(!ok[i])) {
			outb_drop(sa, m, FP_DROP_CRYPTO);
			continue;
		}
		if (!aead && (sa->h.flags & FP_SAF_ESN)) {
			memcpy(st[i].icv, ops[i].digest_buf, sa->h.icv_len);
			rte_pktmbuf_trim(m, 4);
		}
	}
	outb_account(sa, cm, st, ok, k);
	return esp_partition(mb, n);
}

#define OUTB_FN(t, o6, u, a)                                                   \
	static uint16_t outb_##t##o6##u##a(struct fp_sa *sa,                   \
		struct fp_crypto_engine *e, struct rte_mbuf *mb[], uint16_t n) \
	{ return esp_outb(sa, e, mb, n, t, o6, u, a); }
#define OUTB_FN2(t, o6) OUTB_FN(t, o6, 0, 0) OUTB_FN(t, o6, 0, 1) \
			OUTB_FN(t, o6, 1, 0) OUTB_FN(t, o6, 1, 1)
OUTB_FN2(0, 0)
OUTB_FN2(0, 1)
OUTB_FN2(1, 0)
OUTB_FN2(1, 1)

/* Index: tunnel | outer6 << 1 | udp << 2 | aead << 3. */
static const fp_esp_fn outb_fns[16] = {
	outb_0000, outb_1000, outb_0100, outb_1100,
	outb_0010, outb_1010, outb_0110, outb_1110,
	outb_0001, outb_1001, outb_0101, outb_1101,
	outb_0011, outb_1011, outb_0111, outb_1111,
};

fp_esp_fn fp_esp_outbound_handler(uint8_t f)
{
	unsigned i = (unsigned)!!(f & FP_SAF_TUNNEL) | (unsigned)!!(f & FP_SAF_OUTER6) << 1 |
		     (unsigned)!!(f & FP_SAF_UDP) << 2 | (unsigned)!!(f & FP_SAF_AEAD) << 3;

	return outb_fns[i];
}
