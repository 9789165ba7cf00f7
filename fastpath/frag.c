/* Fragmentation out, and the checks and clean-up around rte_ip_frag's
 * reassembly in. See frag.h. */
#include <string.h>

#include <rte_ip.h>

#include "fastpath/esp_priv.h"
#include "fastpath/frag.h"
#include "fastpath/worker.h"

#define IP4_DF 0x4000u
#define IP4_MF 0x2000u
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

int fp_frag4(struct rte_mbuf *m, uint32_t mtu, int32_t id, struct rte_mbuf **out, unsigned max)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t hl = (ip[0] & 0xfu) * 4u, tot = rd16(ip + 2), fo = rd16(ip + 6);
	uint32_t data = tot - hl, piece, n;

	/* RFC 791: later fragments carry only the options marked "copied";
	 * options are rare enough on forwarded traffic, and absent on ours,
	 * that such packets are dropped rather than walked. */
	if ((fo & IP4_DF) || hl != 20)
		return -FP_WD_MTU;
	piece = piece_len(m, mtu, hl);
	if (piece == 0)
		return -FP_WD_MTU;
	n = (data + piece - 1) / piece;
	if (n > max || n > FP_FRAG_MAX)
		return -FP_WD_MTU;
	if (rte_pktmbuf_alloc_bulk(m->pool, out, n) != 0)
		return -FP_WD_NO_MBUF;
	for (uint32_t i = 0, off = 0; i < n; i++, off += piece) {
		uint32_t len = data - off < piece ? data - off : piece;
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(out[i], (uint16_t)(hl + len));
		/* Offsets add to the packet's own (it may be a fragment
		 * already); MF stays set on all but the last piece of the
		 * last fragment. */
		uint32_t ffo = (fo & IP4_OFF) + off / 8;
		bool more = i + 1 < n || (fo & IP4_MF);

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
	return (int)n;
}

static bool ip6_ext(uint8_t nh)
{
	/* RFC 8200 4: hop-by-hop, routing, fragment, destination options;
	 * AH, mobility, HIP, shim6 and the experimental types (RFC 7045). */
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135 ||
	       nh == 139 || nh == 140 || nh == 253 || nh == 254;
}

int fp_frag6(struct rte_mbuf *m, uint32_t mtu, uint32_t ident, struct rte_mbuf **out,
	     unsigned max)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t data = rd16(ip + 4), piece, n;

	if (ip6_ext(ip[6]))
		return -FP_WD_MTU;
	piece = piece_len(m, mtu, 40 + 8);
	if (piece == 0)
		return -FP_WD_MTU;
	n = (data + piece - 1) / piece;
	if (n > max || n > FP_FRAG_MAX)
		return -FP_WD_MTU;
	if (rte_pktmbuf_alloc_bulk(m->pool, out, n) != 0)
		return -FP_WD_NO_MBUF;
	for (uint32_t i = 0, off = 0; i < n; i++, off += piece) {
		uint32_t len = data - off < piece ? data - off : piece;
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(out[i], (uint16_t)(48 + len));

		memcpy(f, ip, 40);
		wr16(f + 4, (uint16_t)(8 + len));
		f[6] = 44;
		f[40] = ip[6];                 /* next header */
		f[41] = 0;
		wr16(f + 42, (uint16_t)(off | (i + 1 < n ? 1u : 0u)));   /* offset is in 8s */
		wr32(f + 44, ident);
		memcpy(f + 48, ip + 40 + off, len);
		out[i]->port = m->port;
	}
	rte_pktmbuf_free(m);
	return (int)n;
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
	uint8_t *ip;

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
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	if ((ip[0] >> 4) == 4)
		ip4_cksum(ip, (ip[0] & 0xfu) * 4u);
	return 0;
}
