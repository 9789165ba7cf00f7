/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP replies and Neighbor Advertisements for the gateway's addresses,
 * made in place from the request. See neigh.h. */
#include <string.h>

#include <rte_ip.h>

#include "fastpath/esp_priv.h"
#include "fastpath/neigh.h"

#define ARP_LEN   28u
#define NA_LEN    32u /* ICMPv6 NA + target link-layer address option */
#define MIN_FRAME 60u /* Ethernet minimum, FCS not counted */

_Static_assert(FP_MAX_PORTS < 256, "fp_local.a4_port1 holds 1 + a port id in a byte");

/* A request may come to the broadcast or a multicast address, or to us;
 * a port in promiscuous mode also sees others' unicast, not ours to answer. */
static bool for_us(const uint8_t *e, const struct rte_ether_addr *mac)
{
	return (e[0] & 1) || memcmp(e, mac, 6) == 0;
}

static bool on_port(uint8_t port1, uint16_t port)
{
	return port1 == 0 || port1 == port + 1u;
}

/* RFC 826: an Ethernet/IPv4 request for one of our addresses. A probe
 * (sender 0.0.0.0, RFC 5227) is answered too: the owner defends. A request
 * whose sender claims one of our addresses (a conflict, RFC 5227 2.4) or
 * our MAC, or comes from a multicast source, goes to the control core. */
static bool arp_answer(struct rte_mbuf *m, const struct fp_local *l,
		       const struct rte_ether_addr *mac)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *), *a = e + 14;
	uint32_t tpa, spa;
	unsigned i;

	if (m->data_len < 14 + ARP_LEN || rd16(a) != 1 || rd16(a + 2) != RTE_ETHER_TYPE_IPV4 ||
	    a[4] != 6 || a[5] != 4 || rd16(a + 6) != 1 || !for_us(e, mac) || (e[6] & 1) ||
	    (a[8] & 1) || memcmp(a + 8, mac, 6) == 0)
		return false;
	memcpy(&tpa, a + 24, 4);
	memcpy(&spa, a + 14, 4);
	if (fp_local4(l, spa))
		return false;
	for (i = 0; i < l->n4; i++)
		if (l->a4[i] == tpa && on_port(l->a4_port1[i], m->port))
			break;
	if (i == l->n4)
		return false;
	memcpy(a + 18, a + 8, 10); /* target hardware + IP: the sender's */
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, &tpa, 4);
	wr16(a + 6, 2); /* reply */
	memcpy(e, e + 6, 6);
	memcpy(e + 6, mac, 6);
	/* A full minimum frame, zero-padded: not every PMD pads runts. */
	if (m->data_len > MIN_FRAME)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - MIN_FRAME));
	else if (m->data_len < MIN_FRAME &&
		 rte_pktmbuf_append(m, (uint16_t)(MIN_FRAME - m->data_len)) == NULL)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - (14 + ARP_LEN)));
	memset(e + 14 + ARP_LEN, 0, m->data_len - (14 + ARP_LEN));
	return true;
}

/* Pseudo-header (RFC 8200 8.1) and message sum to all ones. */
static bool icmp6_sum_ok(const uint8_t *ip, const uint8_t *ic, uint32_t plen)
{
	uint32_t sum = rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)ip, 0) +
		       rte_raw_cksum(ic, plen);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* RFC 4861 7.1.1, the checks that need the options: each has a non-zero
 * length inside the message; from the unspecified address, no source
 * link-layer address option, and the destination is the target's
 * solicited-node address (the prefix ff02::1:ff00:0/104 followed by the
 * target's last 24 bits). */
static bool ns_options_ok(const uint8_t *ip, const uint8_t *ic, uint32_t plen, bool dad)
{
	static const uint8_t snm[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };

	for (uint32_t o = 24; o < plen; o += ic[o + 1] * 8u) {
		if (o + 2 > plen || ic[o + 1] == 0 || o + ic[o + 1] * 8u > plen)
			return false;
		if (dad && ic[o] == 1)
			return false;
	}
	return !dad || (memcmp(ip + 24, snm, 13) == 0 && memcmp(ip + 37, ic + 21, 3) == 0);
}

/* RFC 4861 7.2.4: a valid solicitation (7.1.1) for one of our addresses
 * gets a solicited advertisement with our link-layer address; one from
 * the unspecified address (duplicate address detection) an unsolicited
 * one to all nodes. The gateway forwards IPv6, so R is set (a host that
 * saw R clear from its router would drop it from its default routers,
 * 7.2.5). A source that is multicast or one of ours is not answered. */
static bool ns_answer(struct rte_mbuf *m, const struct fp_local *l,
		      const struct rte_ether_addr *mac)
{
	static const uint8_t unspec[16];
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *), *ip = e + 14, *ic = ip + 40;
	uint32_t plen;
	uint16_t ck;
	unsigned i;
	bool dad;

	if (m->data_len < 14 + 40 + 24)
		return false;
	plen = rd16(ip + 4);
	if (14u + 40 + plen > m->data_len || plen < 24 || ip[6] != IPPROTO_ICMPV6 || ip[7] != 255 ||
	    ic[0] != 135 || ic[1] != 0 || ic[8] == 0xff || !for_us(e, mac) || ip[8] == 0xff ||
	    fp_local6(l, ip + 8) || !icmp6_sum_ok(ip, ic, plen))
		return false;
	dad = memcmp(ip + 8, unspec, 16) == 0;
	if (!ns_options_ok(ip, ic, plen, dad))
		return false;
	for (i = 0; i < l->n6; i++)
		if (memcmp(l->a6[i], ic + 8, 16) == 0 && on_port(l->a6_port1[i], m->port))
			break;
	if (i == l->n6)
		return false;
	if (m->data_len < 14 + 40 + NA_LEN &&
	    rte_pktmbuf_append(m, (uint16_t)(14 + 40 + NA_LEN - m->data_len)) == NULL)
		return false;
	if (dad) {
		static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };

		memcpy(e, mc, 6);
		memcpy(ip + 24, all_nodes, 16);
	} else {
		memcpy(e, e + 6, 6);
		memcpy(ip + 24, ip + 8, 16);
	}
	memcpy(e + 6, mac, 6);
	memcpy(ip + 8, l->a6[i], 16);
	wr32(ip, 6u << 28);
	wr16(ip + 4, NA_LEN);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	ic[0] = 136;
	ic[1] = 0;
	ic[2] = ic[3] = 0;
	wr32(ic + 4, 0x80000000u | (dad ? 0u : 0x40000000u) | 0x20000000u); /* R, S (not DAD), O */
	/* ic + 8: the target, already ours */
	ic[24] = 2; /* target link-layer address */
	ic[25] = 1;
	memcpy(ic + 26, mac, 6);
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - (14 + 40 + NA_LEN)));
	return true;
}

bool fp_neigh_answer(struct rte_mbuf *m, const struct fp_local *l, const struct rte_ether_addr *mac)
{
	const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);

	if (m->port >= FP_MAX_PORTS || m->data_len < 14)
		return false;
	if (rd16(e + 12) == RTE_ETHER_TYPE_ARP)
		return arp_answer(m, l, mac);
	if (rd16(e + 12) == RTE_ETHER_TYPE_IPV6)
		return ns_answer(m, l, mac);
	return false;
}
