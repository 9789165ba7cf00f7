/* SPDX-License-Identifier: BSD-3-Clause */
/* Next-hop table of the fast path: longest-prefix match (rte_lpm for IPv4,
 * rte_lpm6 for IPv6) to a next hop = output port + destination MAC. Built
 * from the configuration before the workers start and read-only after that
 * (changing routes at run time would follow the SPD: build a new table,
 * swap, free after a grace period). */
#ifndef FP_ROUTE_H
#define FP_ROUTE_H

#include <stdint.h>

#include <rte_ether.h>

struct fp_nexthop {
	uint16_t port;
	struct rte_ether_addr dmac;
};

struct fp_routes;

struct fp_routes *fp_routes_create(const char *name, uint32_t max, int socket);
void fp_routes_free(struct fp_routes *r);
/* prefix in network order bytes (4 or 16); 0 or negative errno. */
int fp_routes_add(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen,
		  const struct fp_nexthop *nh);
/* Next hop for a destination (network order bytes), NULL when none. */
const struct fp_nexthop *fp_routes_lookup4(const struct fp_routes *r, uint32_t dst_be);
const struct fp_nexthop *fp_routes_lookup6(const struct fp_routes *r, const uint8_t dst[16]);

#endif
