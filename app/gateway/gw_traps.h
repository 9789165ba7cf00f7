/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway's trap ids (private to app/gateway/): one per CHILD SA
 * configuration whose trap policies are in the fast path, named by
 * connection and child rather than by place in the file, so that a
 * reload that removes or reorders connections leaves the others' traps
 * and ids alone. Found by id (an acquire from the fast path) and by
 * connection index and child (trapping, through a table indexed like the
 * running file, rebuilt by name after a reload): no scan of all traps or
 * all connections, which at 100,000 trapped connections would be
 * quadratic. Control core only. */
#ifndef APP_GW_TRAPS_H
#define APP_GW_TRAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "app/common/config.h"

struct gw_trap {
	bool used;
	unsigned child; /* index in the connection's children */
	char conn[IKE_NAME_MAX];
};

struct gw_traps {
	struct gw_trap *v; /* by id - 1 */
	unsigned n, cap;
	uint32_t *free_ids; /* ids released, reused first */
	unsigned n_free;
	uint32_t *of; /* [connection * IKE_MAX_CHILDREN + child] -> id, 0: none */
	/* the file 'of' was built for (app_config.generation); stale: to be
	 * built again (a trap released) */
	unsigned of_conns, of_generation;
	bool stale;
};

/* The id of the trap of child k of connection ci of cfg (the running file),
 * 0 when there is none. */
uint32_t gw_traps_find(struct gw_traps *t, const struct app_config *cfg, unsigned ci, unsigned k);
/* A new id for that child (its entry used), 0 when out of memory. */
uint32_t gw_traps_new(struct gw_traps *t, const struct app_config *cfg, unsigned ci, unsigned k);
/* The entry of an id in use, else NULL (an acquire from an SPD generation
 * older than the trap's removal). */
const struct gw_trap *gw_traps_get(const struct gw_traps *t, uint32_t id);
/* id no longer in use; its number may come back. After a reload the
 * connection indexes are taken again from the new file, by name. */
void gw_traps_release(struct gw_traps *t, uint32_t id);
void gw_traps_free(struct gw_traps *t);

#endif
