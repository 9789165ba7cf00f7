/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP inbound: check, decrypt and decapsulate a burst for one SA.
 *
 * Packets arrive with the mbuf data at the outer IPv4/IPv6 header (no L2),
 * in one segment. Per packet, in this order (DPDK lib/ipsec):
 *   parse outer IP (+UDP for NAT-T), SPI, lengths  -> malformed / no_sa
 *   replay check (before any crypto)              -> replay
 *   crypto burst: decrypt and compute the ICV
 *   ICV compare                                   -> auth
 *   replay window update (only now)               -> replay (dup in burst)
 *   padding 1,2,3.. and next header               -> bad_padding / next_header
 *   strip: tunnel leaves the inner packet, transport rebuilds the IP header
 *   inner packet against the SA's selectors       -> policy
 */
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "fastpath/esp_priv.h"

struct inb_pkt {
	uint64_t seq;
	uint16_t hlen;    /* outer IP header */
	uint16_t esp_off; /* hlen (+ 8 with UDP) */
	uint16_t clen;    /* ciphertext: payload + padding + trailer */
	uint8_t idx;      /* position in the caller's burst */
	uint8_t ecn;      /* outer header's ECN field */
};

static __rte_always_inline enum fp_drop inb_parse_outer(struct rte_mbuf *m, struct inb_pkt *st,
							const bool outer6, const bool udp)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->pkt_len, tot;
	uint8_t proto;

	if (unlikely(m->nb_segs != 1))
		return FP_DROP_NO_ROOM;
	if (outer6) {
		if (unlikely(len < 40 || (ip[0] >> 4) != 6))
			return FP_DROP_MALFORMED;
		st->hlen = 40;
		st->ecn = (ip[1] >> 4) & 3;
		tot = 40u + rd16(ip + 4);
		proto = ip[6]; /* extension headers: not handled */
	} else {
		if (unlikely(len < 20 || (ip[0] >> 4) != 4))
			return FP_DROP_MALFORMED;
		st->hlen = (ip[0] & 0xfu) * 4u;
		st->ecn = ip[1] & 3;
		tot = rd16(ip + 2);
		proto = ip[9];
		if (unlikely(st->hlen < 20 || tot < st->hlen))
			return FP_DROP_MALFORMED;
		if (unlikely(rd16(ip + 6) & 0x3fff))
			return FP_DROP_MALFORMED; /* fragment: reassemble first */
	}
	if (unlikely(tot > len))
		return FP_DROP_MALFORMED;
	if (unlikely(tot < len))
		rte_pktmbuf_trim(m, (uint16_t)(len - tot));
	st->esp_off = st->hlen;
	if (udp) {
		const uint8_t *u = ip + st->hlen;

		if (unlikely(proto != IPPROTO_UDP || tot < st->hlen + 8u + 4u ||
			     rd16(u + 4) != tot - st->hlen))
			return FP_DROP_MALFORMED;
		if (unlikely(rd32(u + 8) == 0))
			return FP_DROP_MALFORMED; /* non-ESP marker: IKE, not ours */
		st->esp_off = (uint16_t)(st->esp_off + 8);
	} else if (unlikely(proto != IPPROTO_ESP)) {
		return FP_DROP_MALFORMED;
	}
	return FP_DROP_NONE;
}

static __rte_always_inline enum fp_drop inb_prep(struct fp_sa *sa, struct rte_mbuf *m,
						 struct fp_crypto_op *op, struct inb_pkt *st,
						 const bool outer6, const bool udp, const bool aead)
{
	const bool esn = sa->h.flags & FP_SAF_ESN;
	/* AEAD: IV 8, ICV 16, 4-byte alignment (sa.c), as constants */
	const uint32_t icv = aead ? 16u : sa->h.icv_len, iv = aead ? 8u : sa->h.iv_len;
	const uint32_t align = aead ? 4u : sa->h.pad_align;
	uint32_t esp_len, clen;
	uint8_t *esp, *icvp;
	enum fp_drop r;

	r = inb_parse_outer(m, st, outer6, udp);
	if (unlikely(r != FP_DROP_NONE))
		return r;
	esp = rte_pktmbuf_mtod_offset(m, uint8_t *, st->esp_off);
	esp_len = m->pkt_len - st->esp_off;
	if (unlikely(esp_len < ESP_HDR_LEN + iv + 4 + icv))
		return FP_DROP_MALFORMED;
	clen = esp_len - ESP_HDR_LEN - iv - icv;
	if (unlikely(clen % align))
		return FP_DROP_MALFORMED;
	st->clen = (uint16_t)clen;
	if (unlikely(memcmp(esp, &sa->h.spi_be, 4) != 0))
		return FP_DROP_NO_SA;
	if (fp_replay_check(&sa->replay, rd32(esp + 4), esn, &st->seq) != 0)
		return FP_DROP_REPLAY;

	icvp = esp + ESP_HDR_LEN + iv + st->clen;
	memcpy(op->icv_rx, icvp, icv); /* a constant 16 with AEAD */
	op->buf = esp;
	op->m = m;
	op->seq = st->seq;
	op->cipher_off = ESP_HDR_LEN + iv;
	op->cipher_len = st->clen;
	op->digest = op->digest_buf;
	if (aead) {
		memcpy(op->nonce, sa->h.salt, 4);
		memcpy(op->nonce + 4, esp + 8, 8);
		if (esn) {
			memcpy(op->aad, esp, 4);
			wr64(op->aad + 4, st->seq);
			op->aad_len = 12;
		} else {
			memcpy(op->aad, esp, 8);
			op->aad_len = 8;
		}
		return FP_DROP_NONE;
	}
	op->auth_len = ESP_HDR_LEN + iv + st->clen;
	if (esn) {
		/* seq_hi goes where the ICV was (saved above), RFC 4303 2.2.1 */
		wr32(icvp, (uint32_t)(st->seq >> 32));
		op->auth_len += 4;
	}
	return FP_DROP_NONE;
}

/* a <= x <= b for big-endian addresses, as integers: libc's memcmp()
 * with a run-time length was a tenth of the inbound worker's time. */
static inline uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return rte_be_to_cpu_64(v);
}

static inline bool in_range6(const uint8_t *x, const uint8_t *a, const uint8_t *b)
{
	uint64_t xh = be64_at(x), xl = be64_at(x + 8);
	uint64_t ah = be64_at(a), al = be64_at(a + 8);
	uint64_t bh = be64_at(b), bl = be64_at(b + 8);

	return (xh > ah || (xh == ah && xl >= al)) && (xh < bh || (xh == bh && xl <= bl));
}

static inline bool in_range4(const uint8_t *x, const uint8_t *a, const uint8_t *b)
{
	uint32_t xv = rd32(x);

	return xv >= rd32(a) && xv <= rd32(b);
}

/* Inner packet (or rebuilt transport packet) against the selectors. */
static bool sel_match(const struct fp_selector *s, const uint8_t *ip, uint32_t len)
{
	bool v6 = (ip[0] >> 4) == 6;
	uint32_t alen = v6 ? 16 : 4, l4 = v6 ? 40 : (ip[0] & 0xfu) * 4u;
	const uint8_t *src = ip + (v6 ? 8 : 12), *dst = src + alen;
	uint8_t proto = v6 ? ip[6] : ip[9];

	if (s->family != (v6 ? 6 : 4))
		return false;
	if (v6 ? !in_range6(src, s->src_lo, s->src_hi) || !in_range6(dst, s->dst_lo, s->dst_hi)
	       : !in_range4(src, s->src_lo, s->src_hi) || !in_range4(dst, s->dst_lo, s->dst_hi))
		return false;
	if (s->proto != 0 && s->proto != proto)
		return false;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP)
		return true;
	/* ANY: 0-0 (the config's "none given") or 0-65535 (IKE's TS_ALL) */
	bool any_s = s->sport_lo == 0 && (s->sport_hi == 0 || s->sport_hi == 65535);
	bool any_d = s->dport_lo == 0 && (s->dport_hi == 0 || s->dport_hi == 65535);
	/* A non-initial IPv4 fragment has no ports, only data where they would
	 * be: it fits a selector with ANY ports only (RFC 4301 section 7). */
	if (!v6 && (rd16(ip + 6) & 0x1fff) != 0)
		return any_s && any_d;
	if (len < l4 + 4)
		return false;
	uint16_t sp = rd16(ip + l4), dp = rd16(ip + l4 + 2);
	return (any_s || (sp >= s->sport_lo && sp <= s->sport_hi)) &&
	       (any_d || (dp >= s->dport_lo && dp <= s->dport_hi));
}

static bool policy_ok(const struct fp_sa *sa, const uint8_t *ip, uint32_t len)
{
	if (sa->n_sel == 0)
		return true;
	for (unsigned i = 0; i < sa->n_sel; i++)
		if (sel_match(&sa->sel[i], ip, len))
			return true;
	return false;
}

/* RFC 6040 section 4.2 (RFC 4301 5.1.2.1 refers to it): the ECN field of
 * the inner header after decapsulation, from the outer one's. A CE mark
 * the path put on the outer header reaches the inner one (which must then
 * be ECN-capable, or the packet is dropped), and ECT(1) outside wins over
 * ECT(0) inside. Returns false to drop. ip: the inner header (nh 4 / 41),
 * its IPv4 checksum recomputed (only marked packets get here). */
static inline bool ecn_decap(uint8_t *ip, uint8_t nh, uint8_t outer)
{
	const bool v4 = nh == IPPROTO_IPIP;
	uint8_t inner = v4 ? ip[1] & 3 : (ip[1] >> 4) & 3, to;

	if (outer != 3 && !(outer == 1 && inner == 2))
		return true;
	if (outer == 3 && inner == 0)
		return false; /* CE for a transport that has no ECN */
	to = outer == 3 ? 3 : 1;
	if (inner == to)
		return true;
	if (v4) {
		ip[1] = (uint8_t)((ip[1] & ~3u) | to);
		ip4_cksum(ip, (ip[0] & 0xfu) * 4u); /* inner_len() checked the IHL */
	} else {
		ip[1] = (uint8_t)((ip[1] & ~0x30u) | to << 4);
	}
	return true;
}

/* Transport mode under UDP encapsulation (NAT-T): the sender computed its
 * TCP/UDP checksum over the addresses it knew, and a NAT between us
 * rewrote them, so the packet now fails its checksum. RFC 3948 3.1.2 lets
 * the receiver recompute it when ESP has verified the packet (the ICV
 * did); recomputed over the header as it now stands. Only these SAs pay.
 * ip: the rebuilt header (hlen bytes), then len bytes of nh. */
static __rte_noinline void natt_l4_cksum(uint8_t *ip, uint32_t hlen, uint32_t len, uint8_t nh,
					 bool v6)
{
	uint8_t *l4 = ip + hlen;
	uint32_t at;

	if (nh == IPPROTO_TCP && len >= 20)
		at = 16;
	else if (nh == IPPROTO_UDP && len >= 8 && (l4[6] | l4[7]) != 0)
		at = 6; /* (a zero UDP checksum: none was sent) */
	else
		return; /* other protocols, or too short: as they are */
	l4[at] = l4[at + 1] = 0;
	uint16_t c = v6 ? rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, l4)
			: rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)ip, l4);
	memcpy(l4 + at, &c, 2);
}

/* Checks the inner packet's IP header against the plen bytes decrypted;
 * returns its length (shorter than plen with TFC padding) or 0. */
static inline uint32_t inner_len(const uint8_t *ip, uint32_t plen, uint8_t nh)
{
	uint32_t tot;

	if (nh == IPPROTO_IPIP) {
		if (plen < 20 || (ip[0] >> 4) != 4 || (ip[0] & 0xfu) < 5)
			return 0;
		tot = rd16(ip + 2);
		return (tot >= (ip[0] & 0xfu) * 4u && tot <= plen) ? tot : 0;
	}
	if (plen < 40 || (ip[0] >> 4) != 6)
		return 0;
	tot = 40u + rd16(ip + 4);
	return tot <= plen ? tot : 0;
}

static __rte_always_inline enum fp_drop
inb_finish(struct fp_sa *sa, struct rte_mbuf *m, const struct fp_crypto_op *op, struct inb_pkt *st,
	   const bool tunnel, const bool outer6, const bool udp, const bool aead)
{
	uint8_t *pt = op->buf + op->cipher_off, *ip, padn, nh;
	uint32_t plen, shift, tot;

	if (unlikely(op->status != FP_CRYPTO_OK))
		return op->status == FP_CRYPTO_AUTH_FAILED ? FP_DROP_AUTH : FP_DROP_CRYPTO;
	if (unlikely(!icv_equal(op->digest, op->icv_rx, aead ? 16u : sa->h.icv_len)))
		return FP_DROP_AUTH;
	if (unlikely(fp_replay_update(&sa->replay, st->seq) != 0))
		return FP_DROP_REPLAY;
	padn = pt[st->clen - 2];
	nh = pt[st->clen - 1];
	if (unlikely(padn + 2u > st->clen))
		return FP_DROP_PAD;
	plen = st->clen - 2 - padn;
	for (uint32_t i = 0; i < padn; i++)
		if (unlikely(pt[plen + i] != i + 1))
			return FP_DROP_PAD;
	shift = st->esp_off + op->cipher_off; /* outer IP .. end of IV */
	if (tunnel) {
		if (unlikely(nh != IPPROTO_IPIP && nh != IPPROTO_IPV6))
			return FP_DROP_NEXT_HDR;
		tot = inner_len(pt, plen, nh);
		if (unlikely(tot == 0))
			return FP_DROP_MALFORMED;
		if (unlikely(!policy_ok(sa, pt, tot)))
			return FP_DROP_POLICY;
		/* outer ECT(1) or CE: the two that change the inner field */
		if (unlikely(st->ecn & 1) && !ecn_decap(pt, nh, st->ecn))
			return FP_DROP_ECN;
		mbuf_cut(m, shift, tot);
	} else {
		uint32_t hlen = st->hlen;

		/* RFC 4303 2.6: a dummy packet (TFC) is discarded; tunnel
		 * mode refuses it above with every other non-IP protocol. */
		if (unlikely(nh == IPPROTO_NONE))
			return FP_DROP_NEXT_HDR;
		shift -= hlen; /* keep the IP header, move it up */
		ip = rte_pktmbuf_mtod(m, uint8_t *);
		memmove(ip + shift, ip, hlen);
		tot = hlen + plen;
		ip = mbuf_cut(m, shift, tot);
		if (outer6) {
			ip[6] = nh;
			wr16(ip + 4, (uint16_t)plen);
		} else {
			ip[9] = nh;
			wr16(ip + 2, (uint16_t)tot);
			ip4_cksum(ip, hlen);
		}
		if (udp)
			natt_l4_cksum(ip, hlen, plen, nh, outer6);
		if (unlikely(!policy_ok(sa, ip, tot)))
			return FP_DROP_POLICY;
	}
	if (unlikely(!esp_life_ok(sa, plen)))
		return FP_DROP_EXPIRED;
	return FP_DROP_NONE;
}

/* The SA has ended: every packet is dropped. */
static __rte_noinline uint16_t inb_dead(struct fp_sa *sa, struct rte_mbuf *mb[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		*fp_mbuf_drop(mb[i]) = FP_DROP_EXPIRED;
	sa->stats.drops[FP_DROP_EXPIRED] += n;
	return 0;
}

/* Passes: prefetch; check every packet and fill its op; one backend call;
 * finish. Good packets leave their mbuf drop field untouched; dropped ones
 * get their reason there, and only then is the burst partitioned. */
static __rte_always_inline uint16_t esp_inb(struct fp_sa *sa, struct fp_crypto_engine *eng,
					    struct rte_mbuf *mb[], uint16_t n, const bool tunnel,
					    const bool outer6, const bool udp, const bool aead)
{
	struct fp_crypto_op *ops = eng->ops;
	struct inb_pkt st[FP_MAX_BURST];
	uint8_t rsn[FP_MAX_BURST];
	uint16_t k = 0, ndrop = 0;

	if (unlikely(sa->life & FP_SA_F_HARD_EXPIRED))
		return inb_dead(sa, mb, n);
	/* The ICV at the packet's end is read first in inb_prep(), long
	 * before the decryption streams through the rest: fetch both ends of
	 * every packet of the burst at once so the misses overlap (with a
	 * source on another core each one is a cross-core transfer; this was
	 * a fifth of the worker's time at 64 bytes). */
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(mb[i], const uint8_t *);

		rte_prefetch0(d);
		/* the ICV's first and last byte: at some sizes it straddles
		 * two lines (512 bytes inner, IPv4 tunnel: bytes 694..709 of
		 * a frame that starts at offset 142 of its buffer) */
		rte_prefetch0(d + mb[i]->data_len - 16);
		rte_prefetch0(d + mb[i]->data_len - 1);
		if (!aead && mb[i]->data_len <= FP_PREFETCH_LONG)
			fp_prefetch_mid_lines(d, mb[i]->data_len); /* see fp_sa.h */
	}

	for (uint16_t i = 0; i < n; i++) {
		enum fp_drop r = inb_prep(sa, mb[i], &ops[k], &st[k], outer6, udp, aead);

		rsn[i] = (uint8_t)r;
		if (unlikely(r != FP_DROP_NONE)) {
			esp_drop(sa, mb[i], r);
			ndrop++;
			continue;
		}
		st[k++].idx = (uint8_t)i;
	}
	if (k == 0)
		return 0; /* all dropped, order unchanged */
	eng->be->process(eng->ctx, sa->sess, ops, k, false);
	for (uint16_t i = 0; i < k; i++) {
		struct rte_mbuf *m = mb[st[i].idx];
		enum fp_drop r = inb_finish(sa, m, &ops[i], &st[i], tunnel, outer6, udp, aead);

		if (unlikely(r != FP_DROP_NONE)) {
			esp_drop(sa, m, r);
			rsn[st[i].idx] = (uint8_t)r;
			ndrop++;
		}
	}
	return likely(ndrop == 0) ? n : esp_partition(mb, rsn, n);
}

ESP_VARIANTS(inb, esp_inb);

fp_esp_fn fp_esp_inbound_handler(uint8_t f)
{
	return inb_fns[esp_variant(f)];
}
