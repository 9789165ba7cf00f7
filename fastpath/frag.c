/* SPDX-License-Identifier: BSD-3-Clause */
/* Fragmentation out, and the checks and clean-up around rte_ip_frag's
 * reassembly in. See frag.h. */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "fastpath/esp_priv.h"
#include "fastpath/frag.h"
#include "fastpath/fp_stats.h"

#define IP4_DF  0x4000u
#define IP4_MF  0x2000u
#define IP4_OFF 0x1fffu

/* Fragment payload per piece: what fits in mtu and in a new mbuf after
 * hdr bytes of header, rounded down to 8 (offsets count 8-byte units). */
static uint32_t piece_len(const struct rte_mbuf *m, uint32_t mtu, uint32_t hdr)
{
	/* A new mbuf from this pool gets the default headroom; Ethernet
	 * is prepended into it later. */
	uint32_t room = (uint32_t)rte_pktmbuf_data_room_size(m->pool) - RTE_PKTMBUF_HEADROOM;

	if (mtu > room)
		mtu = room;
	return mtu > hdr ? (mtu - hdr) & ~7u : 0;
}

/* How many pieces of *piece bytes the data bytes after a hdr-byte header
 * make at mtu, and that many new mbufs in out[]: the count, or a negative
 * worker drop reason with nothing allocated. */
static int pieces_alloc(const struct rte_mbuf *m, uint32_t mtu, uint32_t hdr, uint32_t data,
			struct rte_mbuf **out, unsigned max, uint32_t *piece)
{
	uint32_t n;

	*piece = piece_len(m, mtu, hdr);
	if (*piece == 0)
		return -FP_WD_MTU;
	n = (data + *piece - 1) / *piece;
	if (n > max || n > FP_FRAG_MAX)
		return -FP_WD_MTU;
	if (rte_pktmbuf_alloc_bulk(m->pool, out, n) != 0)
		return -FP_WD_NO_MBUF;
	return (int)n;
}

int fp_frag4(struct rte_mbuf *m, uint32_t mtu, int32_t id, struct rte_mbuf **out, unsigned max)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t hl = (ip[0] & 0xfu) * 4u, tot = rd16(ip + 2), fo = rd16(ip + 6);
	uint32_t data = tot - hl, piece;
	int n;

	/* RFC 791: later fragments carry only the options marked "copied";
	 * options are rare enough on forwarded traffic, and absent on ours,
	 * that such packets are dropped rather than walked. A forwarded
	 * fragment whose pieces would end past 65,535 bytes is malformed. */
	if (((fo & IP4_DF) && id < 0) || hl != 20 || data == 0 || (fo & IP4_OFF) * 8u + tot > 65535)
		return -FP_WD_MTU;
	if (id >= 0)
		fo &= ~IP4_DF;
	if ((n = pieces_alloc(m, mtu, hl, data, out, max, &piece)) < 0)
		return n;
	for (uint32_t i = 0, off = 0; i < (uint32_t)n; i++, off += piece) {
		uint32_t len = data - off < piece ? data - off : piece;
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(out[i], (uint16_t)(hl + len));
		/* Offsets add to the packet's own (it may be a fragment
		 * already); MF stays set on all but the last piece of the
		 * last fragment. */
		uint32_t ffo = (fo & IP4_OFF) + off / 8;
		bool more = i + 1 < (uint32_t)n || (fo & IP4_MF);

		memcpy(f, ip, hl);
		memcpy(f + hl, ip + hl + off, len);
		wr16(f + 2, (uint16_t)(hl + len));
		if (id >= 0)
			wr16(f + 4, (uint16_t)id);
		wr16(f + 6, (uint16_t)(ffo | (more ? IP4_MF : 0)));
		ip4_cksum(f, hl);
		out[i]->port = m->port;
	}
	rte_pktmbuf_free(m);
	return n;
}

static bool ip6_ext(uint8_t nh)
{
	/* RFC 8200 4: hop-by-hop, routing, fragment, destination options;
	 * AH, mobility, HIP, shim6 and the experimental types (RFC 7045). */
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135 || nh == 139 ||
	       nh == 140 || nh == 253 || nh == 254;
}

int fp_frag6(struct rte_mbuf *m, uint32_t mtu, uint32_t ident, struct rte_mbuf **out, unsigned max)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t data = rd16(ip + 4), piece;
	int n;

	if (ip6_ext(ip[6]))
		return -FP_WD_MTU;
	if ((n = pieces_alloc(m, mtu, 40 + 8, data, out, max, &piece)) < 0)
		return n;
	for (uint32_t i = 0, off = 0; i < (uint32_t)n; i++, off += piece) {
		uint32_t len = data - off < piece ? data - off : piece;
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(out[i], (uint16_t)(48 + len));

		memcpy(f, ip, 40);
		wr16(f + 4, (uint16_t)(8 + len));
		f[6] = 44;
		f[40] = ip[6]; /* next header */
		f[41] = 0;
		wr16(f + 42, (uint16_t)(off | (i + 1 < (uint32_t)n ? 1u : 0u))); /* in 8s */
		wr32(f + 44, ident);
		memcpy(f + 48, ip + 40 + off, len);
		out[i]->port = m->port;
	}
	rte_pktmbuf_free(m);
	return n;
}

static bool icmp4_forbidden(const uint8_t *ip, uint32_t tot)
{
	uint32_t hl = (ip[0] & 0xfu) * 4u;

	if ((rd16(ip + 6) & IP4_OFF) != 0 || ip[12] >= 224 || ip[12] == 0 || ip[12] == 127)
		return true;
	/* An error about an error: destination unreachable, source quench,
	 * redirect, time exceeded, parameter problem. */
	if (ip[9] == IPPROTO_ICMP) {
		uint8_t t;

		if (tot <= hl)
			return true;
		t = ip[hl];
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	}
	return false;
}

static bool icmp6_forbidden(const uint8_t *ip)
{
	static const uint8_t zero[16];

	if (ip[8] == 0xff || memcmp(ip + 8, zero, 16) == 0)
		return true;
	/* ICMPv6 errors are types 0-127 (RFC 4443 2.1). Extension headers
	 * are not walked: an error behind them is not recognised. */
	return ip[6] == IPPROTO_ICMPV6 && rd16(ip + 4) >= 1 && ip[40] < 128;
}

struct rte_mbuf *fp_icmp_too_big(const struct rte_mbuf *m, uint32_t mtu, const uint8_t *src)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	bool v6 = (ip[0] >> 4) == 6;
	uint32_t hl = v6 ? 40 : 20, quote, len;
	struct rte_mbuf *e;
	uint8_t *p, *o, *icmp;
	uint16_t ck;

	/* The IP packet, not the frame (padding is not quoted). */
	uint32_t iplen = v6 ? 40u + rd16(ip + 4) : rd16(ip + 2);

	if (iplen > m->data_len)
		iplen = m->data_len;
	if (v6 ? icmp6_forbidden(ip) : icmp4_forbidden(ip, iplen))
		return NULL;
	quote = (v6 ? 1280u : 576u) - hl - 8;
	if (quote > iplen)
		quote = iplen;
	len = hl + 8 + quote;
	e = rte_pktmbuf_alloc(m->pool);
	if (e == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(e, (uint16_t)(14 + len));
	if (p == NULL) {
		rte_pktmbuf_free(e);
		return NULL;
	}
	memset(p, 0, 14 + hl + 8);
	wr16(p + 12, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	o = p + 14;
	icmp = o + hl;
	memcpy(icmp + 8, ip, quote);
	e->port = m->port;
	if (v6) {
		o[0] = 0x60;
		wr16(o + 4, (uint16_t)(8 + quote));
		o[6] = IPPROTO_ICMPV6;
		o[7] = 64;
		memcpy(o + 8, src, 16);
		memcpy(o + 24, ip + 8, 16);
		icmp[0] = 2; /* Packet Too Big */
		wr32(icmp + 4, mtu);
		/* Sums are in memory order: stored as they come. */
		ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)o, icmp);
		memcpy(icmp + 2, &ck, 2);
		return e;
	}
	o[0] = 0x45;
	wr16(o + 2, (uint16_t)len);
	o[8] = 64;
	o[9] = IPPROTO_ICMP;
	memcpy(o + 12, src, 4);
	memcpy(o + 16, ip + 12, 4);
	ip4_cksum(o, 20);
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed, DF set */
	wr16(icmp + 6, (uint16_t)mtu);
	ck = (uint16_t)~rte_raw_cksum(icmp, 8 + quote);
	memcpy(icmp + 2, &ck, 2);
	return e;
}

int fp_frag4_check(const uint8_t *ip, uint32_t hl, uint32_t tot)
{
	uint32_t fo = rd16(ip + 6), len = tot - hl, end = (fo & IP4_OFF) * 8u + tot;

	if (len == 0 || end > 65535 || ((fo & IP4_MF) && (len & 7u) != 0))
		return -1;
	return 0;
}

int fp_frag6_check(const uint8_t *ip, uint32_t plen)
{
	uint32_t fo, len;

	if (plen <= 8)
		return -1;
	fo = rd16(ip + 42);
	len = plen - 8;
	if ((fo & ~7u) + len > 65535 || ((fo & 1u) && (len & 7u) != 0))
		return -1;
	return 0;
}

void fp_frag6_unfrag(struct rte_mbuf *m, uint32_t l2)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), nh = p[l2 + 40];

	memmove(p + 8, p, l2 + 40);
	rte_pktmbuf_adj(m, 8);
	p += 8;
	p[l2 + 6] = nh;
	wr16(p + l2 + 4, (uint16_t)(rd16(p + l2 + 4) - 8));
}

int fp_reasm_finish(struct rte_mbuf *m)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);

	if ((ip[0] >> 4) == 4)
		ip4_cksum(ip, (ip[0] & 0xfu) * 4u);
	if (m->nb_segs > 1) {
		struct rte_mbuf *s = m->next;
		uint32_t more = m->pkt_len - m->data_len;

		if (rte_pktmbuf_tailroom(m) < more)
			return -1;
		for (uint8_t *d = rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len); s != NULL;
		     s = s->next) {
			memcpy(d, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
			d += s->data_len;
		}
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
		m->data_len = (uint16_t)m->pkt_len;
	}
	return 0;
}
