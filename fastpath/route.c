/* SPDX-License-Identifier: BSD-3-Clause */
/* Next-hop table: rte_lpm / rte_lpm6 to an index into nh[]. See route.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "fastpath/route.h"

#define NO_DEFAULT UINT32_MAX

struct fp_routes {
	struct rte_lpm *lpm4;
	struct rte_lpm6 *lpm6;
	uint32_t n_nh, max;
	/* The default routes (/0), which rte_lpm and rte_lpm6 do not take
	 * (depth 1 at least): the next hop of a lookup that misses. */
	uint32_t def4, def6; /* index into nh[], NO_DEFAULT: none */
	struct fp_nexthop nh[];
};

struct fp_routes *fp_routes_create(const char *name, uint32_t max, int socket)
{
	struct rte_lpm_config c4 = { .max_rules = max, .number_tbl8s = 256 };
	struct rte_lpm6_config c6 = { .max_rules = max, .number_tbl8s = 1024 };
	struct fp_routes *r;
	char nm[32];

	r = rte_zmalloc_socket("fp_routes", sizeof(*r) + max * sizeof(r->nh[0]), 0, socket);
	if (r == NULL)
		return NULL;
	r->max = max;
	r->def4 = r->def6 = NO_DEFAULT;
	snprintf(nm, sizeof(nm), "%.20s_4", name);
	r->lpm4 = rte_lpm_create(nm, socket, &c4);
	snprintf(nm, sizeof(nm), "%.20s_6", name);
	r->lpm6 = rte_lpm6_create(nm, socket, &c6);
	if (r->lpm4 == NULL || r->lpm6 == NULL) {
		fp_routes_free(r);
		return NULL;
	}
	return r;
}

void fp_routes_free(struct fp_routes *r)
{
	if (r == NULL)
		return;
	rte_lpm_free(r->lpm4);
	rte_lpm6_free(r->lpm6);
	rte_free(r);
}

int fp_routes_add(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen,
		  const struct fp_nexthop *nh)
{
	uint32_t idx = r->n_nh, a;
	int rc;

	if (idx == r->max)
		return -ENOSPC;
	r->nh[idx] = *nh;
	if (family == 4) {
		if (plen > 32)
			return -EINVAL;
		memcpy(&a, prefix, 4);
		if (plen == 0) { /* a later /0 replaces an earlier one */
			r->def4 = idx;
			rc = 0;
		} else {
			rc = rte_lpm_add(r->lpm4, rte_be_to_cpu_32(a), plen, idx);
		}
	} else {
		if (plen > 128)
			return -EINVAL;
		if (plen == 0) {
			r->def6 = idx;
			rc = 0;
		} else {
			rc = rte_lpm6_add(r->lpm6, prefix, plen, idx);
		}
	}
	if (rc == 0)
		r->n_nh++;
	return rc;
}

const struct fp_nexthop *fp_routes_lookup4(const struct fp_routes *r, uint32_t dst_be)
{
	uint32_t idx;

	if (rte_lpm_lookup(r->lpm4, rte_be_to_cpu_32(dst_be), &idx) != 0)
		return r->def4 != NO_DEFAULT ? &r->nh[r->def4] : NULL;
	return &r->nh[idx];
}

const struct fp_nexthop *fp_routes_lookup6(const struct fp_routes *r, const uint8_t dst[16])
{
	uint32_t idx;

	if (rte_lpm6_lookup(r->lpm6, dst, &idx) != 0)
		return r->def6 != NO_DEFAULT ? &r->nh[r->def6] : NULL;
	return &r->nh[idx];
}
