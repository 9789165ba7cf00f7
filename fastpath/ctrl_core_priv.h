/* SPDX-License-Identifier: BSD-3-Clause */
/* The parts of struct fp_ctrl workers and telemetry read directly.
 * Not a public header: ctrl.c, worker.c, telemetry.c. */
#ifndef FP_CTRL_PRIV_H
#define FP_CTRL_PRIV_H

#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "fastpath/ctrl_core.h"
#include "fastpath/sad.h"
#include "fastpath/spd.h"

/* Worker -> control lifetime note (rte_ring element, 8 bytes). */
struct fp_note {
	uint32_t spi;
	uint16_t flags; /* FP_SA_F_* newly set */
	uint8_t dir;
	uint8_t rsvd;
};

struct fp_defer;

/* Reassembled datagrams of several mbufs (up to 8 each) waiting on the
 * punt ring at once: the mbuf pool has slack for these, not for a ring
 * full of them (1,024 x 8). */
#define FP_PUNT_CHAINS 64u

struct fp_ctrl {
	/* Read by workers. */
	struct fp_sad *sad;
	struct fp_sad_out *out;   /* outbound slots */
	struct fp_spd *spd;       /* current generation (atomic pointer) */
	struct rte_rcu_qsbr *rcu; /* thread ids: workers 0..n-1, telemetry n */
	struct rte_ring *req, *note, *punt;
	/* Acquires: trap ids (uint32_t elements), many workers, the control
	 * core consumes; at most one per trap per acq_interval (TSC cycles). */
	struct rte_ring *acq;
	uint64_t acq_interval;
	struct rte_ring *handoff[FP_MAX_WORKERS];
	struct fp_worker *workers[FP_MAX_WORKERS];
	unsigned n_workers;
	/* Chains (reassembled datagrams over one mbuf) on the punt ring:
	 * workers add, the control core takes off; at most FP_PUNT_CHAINS. */
	uint32_t punt_chains;

	/* Control core only. */
	struct fp_ctrl_cfg cfg;
	const struct fp_crypto_backend *be;
	struct fp_spd_db *spd_db;    /* the rules; publishes spd */
	bool spd_batch, spd_pending; /* fp_ctrl_poll(): one commit a batch */
	struct fp_defer *dq_head, *dq_tail;
	unsigned n_defer;
	struct fp_ctrl_stats st;
	/* Tunnel interfaces (ctrl_if.c): their SAD slots, made on first use
	 * and kept; each holds the SA the interface sends with, or NULL. */
	struct fp_ctrl_if {
		uint32_t if_id, slot;
	} * ifs;
	unsigned n_ifs, cap_ifs;
};

/* ctrl_if.c: the interfaces that send with SA old send with new (NULL:
 * with nothing) - an SA replaced in its slot or taken out. */
void fp_ctrl_if_follow(struct fp_ctrl *c, const struct fp_sad_ent *old, struct fp_sad_ent *e);
void fp_ctrl_if_free(struct fp_ctrl *c);

/* The current SPD generation, for one burst (pairs with the release store
 * of the control core's swap). */
static inline const struct fp_spd *fp_ctrl_spd(const struct fp_ctrl *c)
{
	return __atomic_load_n(&c->spd, __ATOMIC_ACQUIRE);
}

#endif
