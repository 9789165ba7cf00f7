/* SPDX-License-Identifier: BSD-3-Clause */
/* Answers to neighbour discovery for the gateway's own addresses, made by
 * the worker that receives the request, in place: an ARP request (RFC 826)
 * becomes the ARP reply, an IPv6 Neighbor Solicitation (RFC 4861 7.2.4)
 * the Neighbor Advertisement, sent back on the port it came in on. Without
 * them a router in front of the gateway cannot resolve its addresses
 * unless an operator pins them. Anything else of ARP and ND (replies,
 * router messages, requests for other addresses) is punted to the
 * control core, whose neighbour table (nbr.h) learns the next hops' MACs
 * from it. */
#ifndef FP_NEIGH_H
#define FP_NEIGH_H

#include <stdbool.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fastpath/dp.h"

/* m: an Ethernet frame (one segment) carrying ARP or an IPv6 NS, received
 * on m->port whose MAC is mac. true: m has been rewritten into the answer,
 * to be sent on m->port; false: m is untouched (not a request for one of
 * l's addresses on that port, or malformed: the NS checks of RFC 4861
 * 7.1.1, hop limit 255, code 0, checksum, target not multicast). */
bool fp_neigh_answer(struct rte_mbuf *m, const struct fp_local *l,
		     const struct rte_ether_addr *mac);

#endif
