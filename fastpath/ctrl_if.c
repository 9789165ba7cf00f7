/* SPDX-License-Identifier: BSD-3-Clause */
/* Tunnel interfaces of route-based tunnels (ctrl_core.h, fp_ctrl_if_*):
 * an interface is an outbound SAD slot that holds the SA it sends with,
 * the same entry as in the SA's own slot. Routes into the interface name
 * the slot (fastpath/route.h, fp_nexthop.tun_slot); a worker protects a
 * packet no policy took with whatever the slot holds, as for a PROTECT
 * result. The SA's own slot owns the entry: when the SA goes or is
 * replaced, the interfaces follow it first (fp_ctrl_if_follow()). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fastpath/ctrl_core_priv.h"

int fp_ctrl_if_slot(struct fp_ctrl *c, uint32_t if_id)
{
	int slot = fp_sad_if_slot(c->sad, if_id, 0);

	if (slot >= 0)
		return slot;
	if (c->n_ifs == c->cap_ifs) {
		unsigned cap = c->cap_ifs ? 2 * c->cap_ifs : 8;
		struct fp_ctrl_if *v = realloc(c->ifs, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->ifs = v;
		c->cap_ifs = cap;
	}
	slot = fp_sad_if_slot(c->sad, if_id, 1);
	if (slot >= 0)
		c->ifs[c->n_ifs++] = (struct fp_ctrl_if){ if_id, (uint32_t)slot };
	return slot;
}

int fp_ctrl_if_bind(struct fp_ctrl *c, uint32_t if_id, uint32_t spi, char *err, size_t errlen)
{
	int own = fp_sad_out_slot(c->sad, spi, 0), slot;

	if (own < 0 || c->out[own].e == NULL) {
		snprintf(err, errlen, "outbound SA 0x%08x not installed", spi);
		return -ENOENT;
	}
	slot = fp_ctrl_if_slot(c, if_id);
	if (slot < 0) {
		snprintf(err, errlen, "tunnel interface %u: no free SAD slot", if_id);
		return slot;
	}
	/* The entry another SA's interface binding held needs no grace: it
	 * is still installed in its own slot. */
	fp_sad_set_if(c->sad, (uint32_t)slot, c->out[own].e);
	return 0;
}

int fp_ctrl_if_unbind(struct fp_ctrl *c, uint32_t if_id, uint32_t spi)
{
	int slot = fp_sad_if_slot(c->sad, if_id, 0);
	const struct fp_sad_ent *e = slot >= 0 ? c->out[slot].e : NULL;

	if (e == NULL || e->key != spi)
		return -ENOENT;
	fp_sad_set_if(c->sad, (uint32_t)slot, NULL);
	return 0;
}

struct fp_sa *fp_ctrl_if_sa(const struct fp_ctrl *c, uint32_t if_id)
{
	int slot = fp_sad_if_slot(c->sad, if_id, 0);

	return slot >= 0 && c->out[slot].e ? &c->out[slot].e->sa : NULL;
}

void fp_ctrl_if_follow(struct fp_ctrl *c, const struct fp_sad_ent *old, struct fp_sad_ent *e)
{
	for (unsigned i = 0; i < c->n_ifs; i++)
		if (c->out[c->ifs[i].slot].e == old)
			fp_sad_set_if(c->sad, c->ifs[i].slot, e);
}

void fp_ctrl_if_free(struct fp_ctrl *c)
{
	free(c->ifs);
	c->ifs = NULL;
	c->n_ifs = c->cap_ifs = 0;
}
