/* SPDX-License-Identifier: BSD-3-Clause */
/* Security association database of the fast path.
 *
 * Inbound: an rte_hash keyed by SPI (network order, as on the wire) with
 * lock-free readers (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF); its values are
 * pointers to struct fp_sa. Outbound: a table of SA slots; the SPD's PROTECT
 * rules name a slot, the slot holds the SA pointer, so an outbound SA is
 * replaced (rekey) or removed by one pointer store without rebuilding the
 * SPD. The control core is the only writer of both; workers only read, and
 * an entry taken out is freed by the caller after an RCU grace period
 * (ctrl.c), never here. */
#ifndef FP_SAD_H
#define FP_SAD_H

#include <stddef.h>
#include <stdint.h>

#include "fastpath/fp_sa.h"

#define FP_SAD_NO_OWNER 0xffffu

/* What SAD values and out slots point to: the runtime SA first (so a
 * struct fp_sa * and a struct fp_sad_ent * are the same address), then the
 * table's bookkeeping. Allocated and freed by ctrl.c. */
struct fp_sad_ent {
	struct fp_sa sa;
	uint16_t owner;    /* inbound: index of the worker that runs it */
	uint32_t slot;     /* outbound: its slot */
	uint32_t notified; /* FP_SA_F_* already reported to the control core */
	int32_t hash_pos;  /* inbound: key position, freed after the grace period */
	uint8_t dir;       /* enum fp_dir */
	uint32_t key;      /* inbound: the SPI; outbound: fp_sa_params.out_key or the SPI */
	uint32_t child_id; /* fp_sa_params' labels, for telemetry */
	char conn[FP_SA_NAME_MAX], child[FP_SA_NAME_MAX];
} __rte_cache_aligned;

static inline struct fp_sad_ent *fp_sad_ent(struct fp_sa *sa)
{
	return (struct fp_sad_ent *)sa;
}

struct fp_sad;

/* Memory a SAD of max_sa entries per direction takes when full: its
 * tables and 2 * max_sa SAs (an estimate to check a configuration
 * against the EAL's memory before the SAs come). */
size_t fp_sad_bytes(uint32_t max_sa);

/* max_sa entries in each direction. NULL with rte_errno set on failure. */
struct fp_sad *fp_sad_create(const char *name, uint32_t max_sa, int socket);
void fp_sad_free(struct fp_sad *s);
uint32_t fp_sad_max(const struct fp_sad *s);

/* ---- control core (single writer) ---- */

/* Adds an inbound SA under its SPI: 0, -EEXIST, -ENOSPC. */
int fp_sad_add_in(struct fp_sad *s, struct fp_sad_ent *e);
/* Removes the inbound SA with this SPI (host order) from the hash; the
 * entry is returned in *out for freeing after a grace period, and
 * fp_sad_release_in(s, (*out)->hash_pos) must be called then as well.
 * -ENOENT when absent. */
int fp_sad_del_in(struct fp_sad *s, uint32_t spi, struct fp_sad_ent **out);
void fp_sad_release_in(struct fp_sad *s, int32_t hash_pos);
/* Control-side lookup (also fine from a worker). */
struct fp_sad_ent *fp_sad_find_in(const struct fp_sad *s, uint32_t spi);

/* Slot of the outbound SPI, allocating one (empty) when create is set and
 * there is none: the SPD may name an SA before it is installed, packets
 * then count as no_sa. -ENOENT / -ENOSPC. */
int fp_sad_out_slot(struct fp_sad *s, uint32_t spi, int create);
/* The slot of trap id (FP_SPD_TRAP rules), allocating one when create is
 * set: a slot that never holds an SA, where workers find the trap's id and
 * keep the time of its last acquire. -ENOENT / -ENOSPC. */
int fp_sad_trap_slot(struct fp_sad *s, uint32_t id, int create);
/* Stores e (may be NULL) in the slot of its SPI; returns the previous entry
 * for freeing after a grace period. */
struct fp_sad_ent *fp_sad_set_out(struct fp_sad *s, uint32_t slot, struct fp_sad_ent *e);
/* Forgets the slot of spi when its SA is gone and no rule names it. */
void fp_sad_out_forget(struct fp_sad *s, uint32_t spi);
/* The slot of tunnel interface if_id (route-based tunnels), made with
 * create: -ENOENT / -ENOSPC. It is never freed; fp_sad_set_if() stores the
 * SA it sends with (NULL: none) without making it the SA's own slot. */
int fp_sad_if_slot(struct fp_sad *s, uint32_t if_id, int create);
void fp_sad_set_if(struct fp_sad *s, uint32_t slot, struct fp_sad_ent *e);
/* A slot no longer found by its SPI or trap id (both 0: never matched),
 * still not free: an old SPD generation may send packets to it until a
 * grace period has passed; then fp_sad_out_release() frees it. */
void fp_sad_out_quarantine(struct fp_sad *s, uint32_t slot);
void fp_sad_out_release(struct fp_sad *s, uint32_t slot);

/* Calls fn for every installed SA (control core; telemetry). */
typedef void (*fp_sad_visit_fn)(void *arg, struct fp_sad_ent *e);
void fp_sad_foreach(const struct fp_sad *s, fp_sad_visit_fn fn, void *arg);
/* The same a page at a time: fn for at most max SAs from cursor pos (0 at
 * first), looking at no more than FP_SAD_WALK_SLOTS outbound slots (and
 * none above the highest that ever held an SA); the
 * cursor to go on from, or FP_SAD_WALK_END when all were visited. A
 * listing of 131,072 slots costs each request a bounded slice. */
#define FP_SAD_WALK_END   UINT32_MAX
#define FP_SAD_WALK_SLOTS 16384u
uint32_t fp_sad_walk(const struct fp_sad *s, uint32_t pos, unsigned max, fp_sad_visit_fn fn,
		     void *arg);

/* ---- workers ---- */

/* Bulk lookup of n <= FP_MAX_BURST SPIs in network order; out[i] is NULL
 * on a miss. Consecutive equal SPIs are looked up once. */
void fp_sad_lookup_in(const struct fp_sad *s, const uint32_t spi_be[], uint32_t n,
		      struct fp_sa *out[]);

/* The outbound SA in a slot, or NULL. */
struct fp_sad_out {
	struct fp_sad_ent *e;
	uint32_t spi;  /* control side only */
	uint32_t used; /* control side only */
	/* A trap's slot (e stays NULL): its id, 0 in an SA's slot (workers
	 * read it), and the TSC of its last acquire (workers compare and
	 * swap it: one acquire per interval whichever worker sees the packet). */
	uint32_t trap;
	uint64_t acq_tsc;
} __rte_cache_aligned;

static inline struct fp_sa *fp_sad_get_out(struct fp_sad_out *slots, uint32_t slot)
{
	/* Pairs with the release store in fp_sad_set_out(): the SA is fully
	 * initialised before its pointer is seen. */
	return (struct fp_sa *)__atomic_load_n(&slots[slot].e, __ATOMIC_ACQUIRE);
}
struct fp_sad_out *fp_sad_out_table(const struct fp_sad *s);

#endif
