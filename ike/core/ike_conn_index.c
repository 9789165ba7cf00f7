/* SPDX-License-Identifier: BSD-3-Clause */
/* Connections by address (ike_priv.h): which connections a datagram from
 * a peer may be for, without a walk of every connection. A concentrator
 * with 100,000 site-to-site connections would otherwise compare 100,000
 * address pairs per IKE_SA_INIT. Exact peers hash by our address and the
 * peer's; connections for a prefix of peers are few and kept in a list.
 * Both in the order added, so the file's order still decides a tie. */
#include <string.h>

#include "ike/core/ike_priv.h"

static unsigned addr_bucket(const ike_addr_t *local, const ike_addr_t *remote)
{
	const ike_addr_t *a[2] = { local, remote };
	uint32_t h = 2166136261u; /* FNV-1a over both addresses */

	for (unsigned k = 0; k < 2; k++) {
		size_t n = a[k]->family == 6 ? 16 : 4;

		h = (h ^ a[k]->family) * 16777619u;
		for (size_t i = 0; i < n; i++)
			h = (h ^ a[k]->a[i]) * 16777619u;
	}
	return h % IKE_HASH_BUCKETS;
}

static struct ike_conn **chain_of(struct ike_engine *e, const struct ike_conn *c)
{
	return c->cfg.remote_is_prefix ? &e->conn_prefix
				       : &e->conn_addr[addr_bucket(&c->cfg.local, &c->cfg.remote)];
}

void ike_conn_index_add(struct ike_engine *e, struct ike_conn *c)
{
	struct ike_conn **pp = chain_of(e, c);

	c->seq = ++e->conn_seq;
	while (*pp) /* at the end: the chains stay in the order added */
		pp = &(*pp)->anext;
	c->anext = NULL;
	*pp = c;
}

void ike_conn_index_del(struct ike_engine *e, struct ike_conn *c)
{
	struct ike_conn **pp = chain_of(e, c);

	while (*pp && *pp != c)
		pp = &(*pp)->anext;
	if (*pp)
		*pp = c->anext;
	c->anext = NULL;
}

static bool accepts(const struct ike_conn *c, const ike_addr_t *local, const ike_addr_t *remote)
{
	if (!ike_addr_ip_eq(&c->cfg.local, local))
		return false;
	return c->cfg.remote_is_prefix
		       ? ike_addr_in_prefix(&c->cfg.remote, c->cfg.remote_plen, remote)
		       : ike_addr_ip_eq(&c->cfg.remote, remote);
}

/* The first on chain c that accepts the addresses and came after seq. */
static struct ike_conn *first_after(struct ike_conn *c, uint64_t seq, const ike_addr_t *local,
				    const ike_addr_t *remote)
{
	for (; c; c = c->anext)
		if (c->seq > seq && accepts(c, local, remote))
			return c;
	return NULL;
}

struct ike_conn *ike_conn_next_for(struct ike_engine *e, const ike_addr_t *local,
				   const ike_addr_t *remote, const struct ike_conn *prev)
{
	uint64_t seq = prev ? prev->seq : 0;
	struct ike_conn *x = e->conn_addr[addr_bucket(local, remote)], *p = e->conn_prefix;

	/* resumed where prev is: its own chain needs no walk from the start */
	if (prev && !prev->removed && prev->cfg.remote_is_prefix)
		p = prev->anext;
	else if (prev && !prev->removed)
		x = prev->anext;
	x = first_after(x, seq, local, remote);
	p = first_after(p, seq, local, remote);
	if (!x || !p)
		return x ? x : p;
	return x->seq < p->seq ? x : p;
}

struct ike_conn *ike_conn_for(struct ike_engine *e, const ike_addr_t *local,
			      const ike_addr_t *remote)
{
	struct ike_conn *x = first_after(e->conn_addr[addr_bucket(local, remote)], 0, local,
					 remote);

	return x ? x : first_after(e->conn_prefix, 0, local, remote);
}
