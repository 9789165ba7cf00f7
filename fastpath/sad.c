/* SPDX-License-Identifier: BSD-3-Clause */
/* SAD: inbound rte_hash with lock-free readers, outbound slot table.
 * See sad.h. Only the control core writes; it frees what it takes out after
 * an RCU grace period (ctrl.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "fastpath/sad.h"

struct fp_sad {
	struct rte_hash *in;
	uint32_t max;
	struct fp_sad_out *out; /* max slots */
	/* Control core only: the slot of an SPI or a trap id (out_key()), and
	 * the free slots, so that a slot is found or taken without a scan of
	 * all of them (131,072 by default). */
	struct rte_hash *out_idx;
	uint32_t *free_slots, n_free;
	/* Above it no slot has held an SA (the free slots go lowest first):
	 * where listings stop. Read by telemetry's thread. */
	uint32_t out_hw;
};

static uint64_t out_key(uint32_t spi, uint32_t trap)
{
	return (uint64_t)trap << 32 | spi;
}

/* Interfaces: the low word 1, which neither an SA's key (high word 0) nor
 * a trap's (low word 0) has. */
static uint64_t if_key(uint32_t if_id)
{
	return (uint64_t)if_id << 32 | 1;
}

/* rte_hash compares keys of sizes it has no routine for (4 bytes among
 * them) with memcmp() through a pointer: an SPI is one integer compare
 * (docs/performance.md). The pointer lives in the table, so only this
 * process may look up in it. */
static int spi_cmp(const void *a, const void *b, size_t len)
{
	uint32_t x, y;

	(void)len;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

/* rte_hash's buckets, key store and free rings per entry, about */
#define SAD_HASH_BYTES_PER_ENTRY 64u

size_t fp_sad_bytes(uint32_t max_sa)
{
	return (size_t)max_sa * (sizeof(struct fp_sad_out) + SAD_HASH_BYTES_PER_ENTRY +
				 2 * sizeof(struct fp_sad_ent));
}

struct fp_sad *fp_sad_create(const char *name, uint32_t max_sa, int socket)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.entries = max_sa < 8 ? 8 : max_sa,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		/* Readers never lock; the single writer is the control core. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct fp_sad *s = rte_zmalloc_socket(NULL, sizeof(*s), 0, socket);

	if (s == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(hname, sizeof(hname), "%s_in", name);
	hp.name = hname;
	s->max = max_sa;
	s->in = rte_hash_create(&hp);
	s->out = rte_zmalloc_socket(NULL, sizeof(s->out[0]) * max_sa, RTE_CACHE_LINE_SIZE, socket);
	if (s->in != NULL)
		rte_hash_set_cmp_func(s->in, spi_cmp);
	snprintf(hname, sizeof(hname), "%s_oi", name);
	hp.key_len = sizeof(uint64_t);
	hp.hash_func = NULL; /* the default (jhash) for 8 bytes */
	hp.extra_flag = 0;   /* the control core alone */
	s->out_idx = rte_hash_create(&hp);
	s->free_slots = rte_malloc_socket(NULL, sizeof(uint32_t) * (max_sa + 1), 0, socket);
	for (uint32_t i = 0; s->free_slots && i < max_sa; i++)
		s->free_slots[i] = max_sa - 1 - i; /* slot 0 first */
	s->n_free = max_sa;
	if (s->in == NULL || s->out == NULL || s->out_idx == NULL || s->free_slots == NULL) {
		fp_sad_free(s);
		rte_errno = ENOMEM;
		return NULL;
	}
	return s;
}

void fp_sad_free(struct fp_sad *s)
{
	if (s == NULL)
		return;
	rte_hash_free(s->in);
	rte_hash_free(s->out_idx);
	rte_free(s->free_slots);
	rte_free(s->out);
	rte_free(s);
}

uint32_t fp_sad_max(const struct fp_sad *s)
{
	return s->max;
}

int fp_sad_add_in(struct fp_sad *s, struct fp_sad_ent *e)
{
	uint32_t key = e->sa.h.spi_be;
	int rc;

	if (rte_hash_lookup(s->in, &key) >= 0)
		return -EEXIST;
	/* rte_hash publishes the data pointer with a release store; the
	 * reader's acquire load sees the SA fully built. */
	rc = rte_hash_add_key_data(s->in, &key, e);
	if (rc < 0)
		return rc == -ENOSPC ? -ENOSPC : rc;
	e->hash_pos = rte_hash_lookup(s->in, &key);
	return 0;
}

struct fp_sad_ent *fp_sad_find_in(const struct fp_sad *s, uint32_t spi)
{
	uint32_t key = rte_cpu_to_be_32(spi);
	void *d;

	return rte_hash_lookup_data(s->in, &key, &d) >= 0 ? d : NULL;
}

int fp_sad_del_in(struct fp_sad *s, uint32_t spi, struct fp_sad_ent **out)
{
	uint32_t key = rte_cpu_to_be_32(spi);
	struct fp_sad_ent *e = fp_sad_find_in(s, spi);
	int32_t pos;

	if (e == NULL)
		return -ENOENT;
	/* With RW_CONCURRENCY_LF the key's slot is not reused until
	 * fp_sad_release_in(), after the grace period. */
	pos = rte_hash_del_key(s->in, &key);
	if (pos < 0)
		return pos;
	e->hash_pos = pos;
	*out = e;
	return 0;
}

void fp_sad_release_in(struct fp_sad *s, int32_t hash_pos)
{
	rte_hash_free_key_with_position(s->in, hash_pos);
}

void fp_sad_lookup_in(const struct fp_sad *s, const uint32_t spi_be[], uint32_t n,
		      struct fp_sa *out[])
{
	const void *keys[FP_MAX_BURST];
	void *data[FP_MAX_BURST];
	uint8_t key_of[FP_MAX_BURST];
	uint32_t nk = 0;
	uint64_t hit = 0;

	/* A burst holds runs of one SA's packets (a tunnel's flow, a peer's
	 * own bursts): each run's SPI is looked up once (docs/performance.md);
	 * a burst without runs pays one compare per packet more. */
	for (uint32_t i = 0; i < n; i++) {
		if (i == 0 || spi_be[i] != spi_be[i - 1])
			keys[nk++] = &spi_be[i];
		key_of[i] = (uint8_t)(nk - 1);
	}
	if (nk != 0)
		rte_hash_lookup_bulk_data(s->in, keys, nk, &hit, data);
	for (uint32_t i = 0; i < n; i++)
		out[i] = (hit >> key_of[i]) & 1 ? data[key_of[i]] : NULL;
}

/* The outbound slot of SA spi (trap 0) or of trap id trap, or with create
 * a free one taken for it; -ENOENT / -ENOSPC. */
static int slot_by_key(struct fp_sad *s, uint64_t key, uint32_t spi, uint32_t trap, int create);

static int out_slot(struct fp_sad *s, uint32_t spi, uint32_t trap, int create)
{
	return slot_by_key(s, out_key(trap ? 0 : spi, trap), spi, trap, create);
}

int fp_sad_if_slot(struct fp_sad *s, uint32_t if_id, int create)
{
	return if_id == 0 ? -EINVAL : slot_by_key(s, if_key(if_id), 0, 0, create);
}

void fp_sad_set_if(struct fp_sad *s, uint32_t slot, struct fp_sad_ent *e)
{
	if (slot >= s->out_hw)
		__atomic_store_n(&s->out_hw, slot + 1, __ATOMIC_RELEASE);
	/* Release: pairs with the acquire load in fp_sad_get_out(). */
	__atomic_store_n(&s->out[slot].e, e, __ATOMIC_RELEASE);
}

static int slot_by_key(struct fp_sad *s, uint64_t key, uint32_t spi, uint32_t trap, int create)
{
	void *data;
	uint32_t free_slot;

	if (rte_hash_lookup_data(s->out_idx, &key, &data) >= 0)
		return (int)(uintptr_t)data;
	if (!create)
		return -ENOENT;
	if (s->n_free == 0)
		return -ENOSPC;
	free_slot = s->free_slots[s->n_free - 1];
	if (rte_hash_add_key_data(s->out_idx, &key, (void *)(uintptr_t)free_slot) != 0)
		return -ENOSPC;
	s->n_free--;
	s->out[free_slot].used = 1;
	s->out[free_slot].spi = spi;
	s->out[free_slot].acq_tsc = 0;
	/* Seen by workers only through an SPD generation published after. */
	__atomic_store_n(&s->out[free_slot].trap, trap, __ATOMIC_RELAXED);
	return (int)free_slot;
}

void fp_sad_out_quarantine(struct fp_sad *s, uint32_t slot)
{
	struct fp_sad_out *o = &s->out[slot];
	uint64_t key = out_key(o->trap ? 0 : o->spi, o->trap);

	rte_hash_del_key(s->out_idx, &key);
	o->spi = 0;
	/* Workers read it: an acquire from the slot stops. */
	__atomic_store_n(&o->trap, 0, __ATOMIC_RELAXED);
}

void fp_sad_out_release(struct fp_sad *s, uint32_t slot)
{
	struct fp_sad_out *o = &s->out[slot];

	if (!o->used)
		return;
	if (o->spi || o->trap) /* not quarantined first */
		fp_sad_out_quarantine(s, slot);
	o->used = 0;
	s->free_slots[s->n_free++] = slot;
}

int fp_sad_out_slot(struct fp_sad *s, uint32_t spi, int create)
{
	return out_slot(s, spi, 0, create);
}

int fp_sad_trap_slot(struct fp_sad *s, uint32_t id, int create)
{
	return id == 0 ? -EINVAL : out_slot(s, 0, id, create);
}

struct fp_sad_ent *fp_sad_set_out(struct fp_sad *s, uint32_t slot, struct fp_sad_ent *e)
{
	struct fp_sad_ent *old = s->out[slot].e;

	if (e != NULL)
		e->slot = slot;
	if (slot >= s->out_hw)
		__atomic_store_n(&s->out_hw, slot + 1, __ATOMIC_RELEASE);
	/* Release: pairs with the acquire load in fp_sad_get_out(). */
	__atomic_store_n(&s->out[slot].e, e, __ATOMIC_RELEASE);
	return old;
}

void fp_sad_out_forget(struct fp_sad *s, uint32_t spi)
{
	int slot = fp_sad_out_slot(s, spi, 0);

	if (slot >= 0 && s->out[slot].e == NULL)
		fp_sad_out_release(s, (uint32_t)slot);
}

struct fp_sad_out *fp_sad_out_table(const struct fp_sad *s)
{
	return s->out;
}

/* Cursor: rte_hash_iterate()'s position in the inbound hash, then, with
 * WALK_OUT set, an outbound slot. */
#define WALK_OUT 0x80000000u

static uint32_t walk_out(const struct fp_sad *s, uint32_t slot, unsigned max, fp_sad_visit_fn fn,
			 void *arg)
{
	uint32_t hw = __atomic_load_n(&s->out_hw, __ATOMIC_ACQUIRE);
	uint32_t end = slot + FP_SAD_WALK_SLOTS < hw ? slot + FP_SAD_WALK_SLOTS : hw;
	unsigned n = 0;

	for (; slot < end && n < max; slot++) {
		struct fp_sad_ent *e = __atomic_load_n(&s->out[slot].e, __ATOMIC_ACQUIRE);

		if (e != NULL && e->slot == slot) { /* not a tunnel interface's */
			fn(arg, e);
			n++;
		}
	}
	return slot < hw ? slot | WALK_OUT : FP_SAD_WALK_END;
}

uint32_t fp_sad_walk(const struct fp_sad *s, uint32_t pos, unsigned max, fp_sad_visit_fn fn,
		     void *arg)
{
	const void *key;
	void *data;
	unsigned n = 0;

	if (pos == FP_SAD_WALK_END)
		return pos;
	if (pos & WALK_OUT)
		return walk_out(s, pos & ~WALK_OUT, max, fn, arg);
	while (n < max && rte_hash_iterate(s->in, &key, &data, &pos) >= 0) {
		fn(arg, data);
		n++;
	}
	if (n == max) /* perhaps more inbound ones */
		return pos;
	return walk_out(s, 0, max - n, fn, arg);
}

void fp_sad_foreach(const struct fp_sad *s, fp_sad_visit_fn fn, void *arg)
{
	const void *key;
	void *data;
	uint32_t next = 0;

	while (rte_hash_iterate(s->in, &key, &data, &next) >= 0)
		fn(arg, data);
	for (uint32_t i = 0; i < __atomic_load_n(&s->out_hw, __ATOMIC_ACQUIRE); i++) {
		struct fp_sad_ent *e = __atomic_load_n(&s->out[i].e, __ATOMIC_ACQUIRE);

		if (e != NULL && e->slot == i) /* each SA once: not an interface's */
			fn(arg, e);
	}
}
