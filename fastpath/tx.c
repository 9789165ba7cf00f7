/* SPDX-License-Identifier: BSD-3-Clause */
/* The way out for packets of any size. See tx.h. */
#include <rte_byteorder.h>

#include "fastpath/bytes.h"
#include "fastpath/tx.h"

void fp_tx_init(struct fp_tx *t, const struct fp_dp *dp, unsigned src, unsigned nsrc, uint32_t seq)
{
	t->dp = dp;
	for (unsigned p = 0; p < FP_MAX_PORTS; p++)
		t->mtu[p] = dp->mtu[p] != 0 ? dp->mtu[p] : UINT32_MAX;
	t->id_src = src;
	t->id_srcs = nsrc;
	t->id_seq = seq;
}

/* Ethernet on each of the n fragments in f[]: new mbufs of the packet's
 * pool, whose headroom is whole (frag.c), so it always fits; one that
 * would not is freed rather than sent bare. Returns those kept. */
static int frame_all(const struct fp_tx *t, struct rte_mbuf **f, int n, const struct fp_nexthop *nh,
		     uint16_t et)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (likely(fp_tx_eth(t, f[i], nh, et)))
			f[k++] = f[i];
		else
			rte_pktmbuf_free(f[i]);
	}
	return k;
}

/* m over the MTU of nh's port: fragmented as `how` allows. */
static int frag(struct fp_tx *t, struct rte_mbuf *m, const struct fp_nexthop *nh, uint16_t et,
		enum fp_tx_frag how, struct rte_mbuf **out)
{
	const uint32_t mtu = t->mtu[nh->port];
	int n;

	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		n = fp_frag4(m, mtu, how == FP_TX_NEW_ID ? (int32_t)fp_tx_id4(t) : -1, out,
			     FP_FRAG_MAX);
	else if (how == FP_TX_NEW_ID)
		n = fp_frag6(m, mtu, fp_tx_id6(t), out, FP_FRAG_MAX);
	else
		n = -FP_WD_MTU;
	return n < 0 ? n : frame_all(t, out, n, nh, et);
}

int fp_tx_frames(struct fp_tx *t, struct rte_mbuf *m, const struct fp_nexthop *nh, uint16_t et,
		 enum fp_tx_frag how, struct rte_mbuf **out)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	int n = fp_tx_frame(t, m, nh, et);

	if (n == 0) {
		/* The frame was longer than its IP packet (Ethernet
		 * padding, or trailing bytes): the packet itself may fit. */
		uint32_t iplen = et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ? rd16(ip + 2)
									     : 40u + rd16(ip + 4);

		if (iplen > t->mtu[nh->port])
			return frag(t, m, nh, et, how, out);
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - iplen));
		n = fp_tx_frame(t, m, nh, et);
	}
	if (n == 1)
		out[0] = m;
	return n;
}
