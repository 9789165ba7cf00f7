/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes: rte_lpm / rte_lpm6 to an index into nh[], the next hops. See
 * route.h. */
#ifndef ALLOW_EXPERIMENTAL_API
/* rte_lpm_rcu_qsbr_add() is experimental in 22.11; without it a delete
 * while workers look up could recycle a tbl8 group under a reader. */
#define ALLOW_EXPERIMENTAL_API
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "fastpath/route.h"

#define NO_DEFAULT UINT32_MAX
#define NAME_MAX_  20u /* of the caller's name in table names (32 bytes) */

struct rule {
	uint8_t family, plen;
	uint8_t prefix[16];
	unsigned flags;
	uint32_t nh;
};

/* The hash key of a next hop (struct fp_nh_key without padding). */
struct nh_hkey {
	uint16_t port;
	uint8_t family, is_static;
	uint8_t ip[16];
	uint8_t mac[6];
	uint8_t pad[2];
	uint32_t tunnel;
};

enum nh_slot { SLOT_FREE, SLOT_USED, SLOT_GRACE };

/* Something taken out, freed once the senders passed token. */
struct grace {
	struct grace *next;
	uint64_t token;
	struct rte_lpm6 *lpm6; /* or NULL */
	uint32_t nh;           /* or UINT32_MAX */
};

struct fp_routes {
	struct rte_lpm *lpm4;  /* changed in place (rte_lpm_rcu_qsbr_add) */
	struct rte_lpm6 *lpm6; /* rebuilt on a delete, atomic */
	/* The default routes (/0), which rte_lpm and rte_lpm6 do not take
	 * (depth 1 at least): the next hop of a lookup that misses. */
	uint32_t def4, def6; /* index into nh[], NO_DEFAULT: none; atomic */
	char name[NAME_MAX_ + 1];
	int socket;
	uint32_t gen, max;
	struct rule *rules;
	uint32_t n_rules;
	struct rte_hash *nh_hash;
	uint32_t *nh_refs;
	uint8_t *nh_slot;
	/* No free slot below hint; none used at or above top: a route-based
	 * tunnel each has a next hop of its own, and 100,000 of them must not
	 * cost a scan of every slot per add, or per neighbour tick. */
	uint32_t nh_hint, nh_top;
	struct nh_hkey *keys; /* each next hop's */
	struct rte_ring *unres;
	struct rte_rcu_qsbr *rcu;
	void (*on_release)(void *arg, uint32_t nh);
	void *release_arg;
	struct grace *gq_head, *gq_tail;
	unsigned n_grace;
	struct fp_nexthop nh[];
};

static struct rte_lpm *lpm4_new(struct fp_routes *r)
{
	struct rte_lpm_config c4 = { .max_rules = r->max,
				     .number_tbl8s = r->max < 256 ? 256 : r->max };
	char nm[32];

	snprintf(nm, sizeof(nm), "%s_4", r->name);
	return rte_lpm_create(nm, r->socket, &c4);
}

/* A new generation of the IPv6 table (names must differ while the old
 * one waits for its grace period). */
static struct rte_lpm6 *lpm6_new(struct fp_routes *r)
{
	struct rte_lpm6_config c6 = { .max_rules = r->max,
				      .number_tbl8s = r->max < 256 ? 1024 : 4 * r->max };
	char nm[32];

	r->gen = (r->gen + 1) & 0xfffff; /* the old ones went long before */
	snprintf(nm, sizeof(nm), "%s_%x_6", r->name, r->gen);
	return rte_lpm6_create(nm, r->socket, &c6);
}

static struct rte_hash *nh_hash_new(const struct fp_routes *r)
{
	char nm[32];
	struct rte_hash_parameters hp = { .name = nm,
					  .entries = r->max < 8 ? 8 : r->max,
					  .key_len = sizeof(struct nh_hkey),
					  .hash_func = rte_jhash,
					  .socket_id = r->socket };

	snprintf(nm, sizeof(nm), "%s_nh", r->name);
	return rte_hash_create(&hp);
}

static struct rte_ring *unres_new(const struct fp_routes *r, uint32_t max)
{
	char nm[32];
	unsigned n = rte_align32pow2(max * FP_NH_QUEUE_MAX + 1);

	snprintf(nm, sizeof(nm), "%s_unres", r->name);
	return rte_ring_create(nm, n < 64 ? 64 : n, r->socket, RING_F_SC_DEQ);
}

struct fp_routes *fp_routes_create(const char *name, uint32_t max, int socket)
{
	struct fp_routes *r;

	if (max == 0)
		return NULL;
	r = rte_zmalloc_socket("fp_routes", sizeof(*r) + max * sizeof(r->nh[0]), 0, socket);
	if (r == NULL)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->socket = socket;
	r->max = max;
	r->rules = calloc(max, sizeof(*r->rules));
	r->nh_refs = calloc(max, sizeof(*r->nh_refs));
	r->nh_slot = calloc(max, sizeof(*r->nh_slot));
	r->keys = calloc(max, sizeof(*r->keys));
	r->def4 = r->def6 = NO_DEFAULT;
	r->lpm4 = lpm4_new(r);
	r->lpm6 = lpm6_new(r);
	r->nh_hash = nh_hash_new(r);
	r->unres = unres_new(r, max);
	if (!r->rules || !r->nh_refs || !r->nh_slot || !r->keys || !r->lpm4 || !r->lpm6 ||
	    !r->nh_hash || !r->unres) {
		fp_routes_free(r);
		return NULL;
	}
	return r;
}

static void grace_run(struct fp_routes *r, bool force);

void fp_routes_free(struct fp_routes *r)
{
	struct rte_mbuf *m;

	if (r == NULL)
		return;
	grace_run(r, true);
	while (r->unres != NULL && rte_ring_sc_dequeue(r->unres, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r->unres);
	rte_hash_free(r->nh_hash);
	rte_lpm_free(r->lpm4);
	rte_lpm6_free(r->lpm6);
	free(r->rules);
	free(r->nh_refs);
	free(r->nh_slot);
	free(r->keys);
	rte_free(r);
}

int fp_routes_set_rcu(struct fp_routes *r, struct rte_rcu_qsbr *v)
{
	/* rte_lpm frees a deleted route's tbl8 group after the grace
	 * period (defer queue); IPv6 deletes swap whole tables (below). */
	struct rte_lpm_rcu_config rc = { .v = v, .mode = RTE_LPM_QSBR_MODE_DQ };

	r->rcu = v;
	return v ? rte_lpm_rcu_qsbr_add(r->lpm4, &rc) : 0;
}

void fp_routes_set_release(struct fp_routes *r, void (*fn)(void *arg, uint32_t nh), void *arg)
{
	r->on_release = fn;
	r->release_arg = arg;
}

/* ---- grace periods ---- */

static void grace_free(struct fp_routes *r, struct rte_lpm6 *tab, uint32_t nh)
{
	rte_lpm6_free(tab);
	if (nh != UINT32_MAX) {
		r->nh_slot[nh] = SLOT_FREE;
		if (nh < r->nh_hint)
			r->nh_hint = nh;
	}
}

static void grace_run(struct fp_routes *r, bool force)
{
	while (r->gq_head != NULL &&
	       (force || rte_rcu_qsbr_check(r->rcu, r->gq_head->token, false) == 1)) {
		struct grace *g = r->gq_head;

		r->gq_head = g->next;
		if (r->gq_head == NULL)
			r->gq_tail = NULL;
		r->n_grace--;
		grace_free(r, g->lpm6, g->nh);
		free(g);
	}
}

unsigned fp_routes_reclaim(struct fp_routes *r)
{
	grace_run(r, false);
	return r->n_grace;
}

/* tab and/or next hop nh (UINT32_MAX: none) leave once the senders
 * cannot hold them; at once without RCU. */
static void grace_add(struct fp_routes *r, struct rte_lpm6 *tab, uint32_t nh)
{
	struct grace *g;

	if (r->rcu == NULL) {
		grace_free(r, tab, nh);
		return;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) { /* no memory for the note: wait here instead */
		rte_rcu_qsbr_synchronize(r->rcu, RTE_QSBR_THRID_INVALID);
		grace_free(r, tab, nh);
		return;
	}
	*g = (struct grace){ .lpm6 = tab, .nh = nh, .token = rte_rcu_qsbr_start(r->rcu) };
	if (r->gq_tail)
		r->gq_tail->next = g;
	else
		r->gq_head = g;
	r->gq_tail = g;
	r->n_grace++;
}

/* ---- next hops ---- */

static struct nh_hkey hkey(const struct fp_nh_key *k)
{
	struct nh_hkey h;

	memset(&h, 0, sizeof(h));
	h.port = k->port;
	h.family = k->family;
	h.is_static = k->is_static;
	if (k->family)
		memcpy(h.ip, k->ip, k->family == 4 ? 4 : 16);
	if (k->is_static)
		memcpy(h.mac, k->dmac.addr_bytes, 6);
	h.tunnel = k->tunnel;
	return h;
}

int32_t fp_routes_nh_find(const struct fp_routes *r, const struct fp_nh_key *k)
{
	struct nh_hkey h = hkey(k);
	void *v;

	if (rte_hash_lookup_data(r->nh_hash, &h, &v) < 0)
		return -1;
	return (int32_t)(uintptr_t)v;
}

static void nh_init(struct fp_nexthop *nh, const struct fp_nh_key *k)
{
	union fp_nh_hw hw = { .w = 0 };

	if (k->is_static) {
		memcpy(hw.b.mac, k->dmac.addr_bytes, 6);
		hw.b.valid = 1;
	}
	nh->tunnel = k->tunnel;
	nh->tun_slot = k->tun_slot;
	if (k->tunnel) /* nothing to resolve */
		hw.b.valid = 1;
	nh->port = k->port;
	nh->family = k->family;
	nh->used = 0;
	memset(nh->ip, 0, sizeof(nh->ip));
	if (k->family)
		memcpy(nh->ip, k->ip, k->family == 4 ? 4 : 16);
	__atomic_store_n(&nh->queued, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nh->hw, hw.w, __ATOMIC_RELEASE);
}

/* A free next hop slot, or max: when all are used or waiting for their
 * grace period, waits for the senders to pass one (microseconds for
 * workers that loop) rather than refuse a route. */
static uint32_t nh_free_slot(struct fp_routes *r)
{
	uint32_t i;

	for (int pass = 0; pass < 2; pass++) {
		for (i = r->nh_hint; i < r->max && r->nh_slot[i] != SLOT_FREE; i++)
			;
		r->nh_hint = i;
		if (i < r->max || r->n_grace == 0)
			return i;
		rte_rcu_qsbr_synchronize(r->rcu, RTE_QSBR_THRID_INVALID);
		grace_run(r, false);
	}
	return i;
}

/* The next hop for k, made when there is none; a reference taken. */
static int nh_get(struct fp_routes *r, const struct fp_nh_key *k, uint32_t *idx)
{
	int32_t f = fp_routes_nh_find(r, k);
	struct nh_hkey h;
	uint32_t i;

	if (f >= 0) {
		*idx = (uint32_t)f;
		r->nh_refs[*idx]++;
		return 0;
	}
	i = nh_free_slot(r);
	if (i == r->max)
		return -ENOSPC;
	h = hkey(k);
	if (rte_hash_add_key_data(r->nh_hash, &h, (void *)(uintptr_t)i) < 0)
		return -ENOSPC;
	nh_init(&r->nh[i], k);
	r->keys[i] = h;
	r->nh_slot[i] = SLOT_USED;
	r->nh_hint = i + 1;
	if (i >= r->nh_top)
		r->nh_top = i + 1;
	r->nh_refs[i] = 1;
	*idx = i;
	return 0;
}

/* A reference dropped; the last one frees the next hop after the
 * senders' grace period (their lookups of old tables may still find it). */
static void nh_put(struct fp_routes *r, uint32_t i)
{
	if (--r->nh_refs[i] != 0)
		return;
	rte_hash_del_key(r->nh_hash, &r->keys[i]);
	if (r->on_release)
		r->on_release(r->release_arg, i);
	r->nh_slot[i] = SLOT_GRACE;
	grace_add(r, NULL, i);
}

bool fp_routes_nh_static(const struct fp_routes *r, uint32_t i)
{
	return r->keys[i].is_static;
}

/* ---- routes ---- */

/* ru into the tables; IPv6 into lpm6 (the current one or one being
 * built). */
static int tab_add(struct fp_routes *r, struct rte_lpm6 *lpm6, const struct rule *ru)
{
	uint32_t a;

	if (ru->plen == 0) { /* a later /0 replaces an earlier one */
		__atomic_store_n(ru->family == 4 ? &r->def4 : &r->def6, ru->nh, __ATOMIC_RELEASE);
		return 0;
	}
	if (ru->family == 4) {
		memcpy(&a, ru->prefix, 4);
		return rte_lpm_add(r->lpm4, rte_be_to_cpu_32(a), ru->plen, ru->nh);
	}
	return rte_lpm6_add(lpm6, ru->prefix, ru->plen, ru->nh);
}

/* IPv6 without rule i: a new table swapped in, the old one freed after
 * the grace period (rte_lpm6 has no RCU of its own: a delete in place
 * would recycle tbl8 groups a reader may be in). */
static int lpm6_without(struct fp_routes *r, uint32_t i)
{
	struct rte_lpm6 *t = lpm6_new(r), *old;
	int rc;

	if (t == NULL)
		return -ENOMEM;
	for (uint32_t j = 0; j < r->n_rules; j++)
		if (j != i && r->rules[j].family == 6 && r->rules[j].plen != 0 &&
		    (rc = rte_lpm6_add(t, r->rules[j].prefix, r->rules[j].plen, r->rules[j].nh)) !=
			    0) {
			rte_lpm6_free(t);
			return rc;
		}
	old = __atomic_exchange_n(&r->lpm6, t, __ATOMIC_ACQ_REL);
	grace_add(r, old, UINT32_MAX);
	return 0;
}

/* Rule i out of the tables. */
static int tab_del(struct fp_routes *r, uint32_t i)
{
	const struct rule *ru = &r->rules[i];
	uint32_t a;

	if (ru->plen == 0) {
		__atomic_store_n(ru->family == 4 ? &r->def4 : &r->def6, NO_DEFAULT,
				 __ATOMIC_RELEASE);
		return 0;
	}
	if (ru->family == 6)
		return lpm6_without(r, i);
	memcpy(&a, ru->prefix, 4);
	return rte_lpm_delete(r->lpm4, rte_be_to_cpu_32(a), ru->plen);
}

/* The rule of exactly family/prefix/plen (prefix masked), or n_rules. */
static uint32_t rule_find(const struct fp_routes *r, uint8_t family, const uint8_t *pfx,
			  uint8_t plen)
{
	uint32_t i;

	for (i = 0; i < r->n_rules; i++)
		if (r->rules[i].family == family && r->rules[i].plen == plen &&
		    memcmp(r->rules[i].prefix, pfx, 16) == 0)
			break;
	return i;
}

/* family/prefix/plen checked, prefix copied into out with its host bits
 * cleared (the same route however it was written). */
static int rule_key(uint8_t family, const uint8_t *prefix, uint8_t plen, uint8_t out[16])
{
	unsigned alen = family == 4 ? 4 : 16;

	if ((family != 4 && family != 6) || plen > alen * 8)
		return -EINVAL;
	memset(out, 0, 16);
	memcpy(out, prefix, alen);
	for (unsigned b = plen; b < alen * 8; b++)
		out[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	return 0;
}

static bool key_ok(const struct fp_nh_key *k)
{
	if (k->tunnel) /* nothing to send on or resolve */
		return k->family == 0 && !k->is_static;
	return k->port < RTE_MAX_ETHPORTS &&
	       (k->family == 4 || k->family == 6 || (k->family == 0 && k->is_static));
}

int fp_routes_add_flags(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen,
			const struct fp_nh_key *k, unsigned flags)
{
	struct rule ru = { .family = family, .plen = plen, .flags = flags };
	uint32_t i;
	int rc;

	if ((rc = rule_key(family, prefix, plen, ru.prefix)) != 0 || !key_ok(k))
		return -EINVAL;
	i = rule_find(r, family, ru.prefix, plen);
	if (i == r->n_rules && r->n_rules == r->max)
		return -ENOSPC;
	if ((rc = nh_get(r, k, &ru.nh)) != 0)
		return rc;
	if ((rc = tab_add(r, r->lpm6, &ru)) != 0) {
		nh_put(r, ru.nh);
		return rc;
	}
	if (i < r->n_rules) { /* replaced: the old next hop loses a route */
		uint32_t old = r->rules[i].nh;

		r->rules[i] = ru;
		nh_put(r, old);
	} else {
		r->rules[r->n_rules++] = ru;
	}
	return 0;
}

int fp_routes_add(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen,
		  const struct fp_nh_key *k)
{
	return fp_routes_add_flags(r, family, prefix, plen, k, 0);
}

int fp_routes_del(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen)
{
	uint8_t pfx[16];
	uint32_t i, nh;
	int rc;

	if ((rc = rule_key(family, prefix, plen, pfx)) != 0)
		return rc;
	if ((i = rule_find(r, family, pfx, plen)) == r->n_rules)
		return -ENOENT;
	if ((rc = tab_del(r, i)) != 0)
		return rc;
	nh = r->rules[i].nh;
	r->rules[i] = r->rules[--r->n_rules];
	nh_put(r, nh);
	return 0;
}

uint32_t fp_routes_count(const struct fp_routes *r)
{
	return r->n_rules;
}

void fp_routes_get(const struct fp_routes *r, uint32_t i, struct fp_route_info *ri)
{
	const struct rule *ru = &r->rules[i];

	ri->family = ru->family;
	ri->plen = ru->plen;
	memcpy(ri->prefix, ru->prefix, 16);
	ri->flags = ru->flags;
	ri->nh = ru->nh;
}

const struct fp_nexthop *fp_routes_nh(const struct fp_routes *r, uint32_t i)
{
	return i < r->max && r->nh_slot[i] == SLOT_USED ? &r->nh[i] : NULL;
}

struct fp_nexthop *fp_routes_nh_w(struct fp_routes *r, uint32_t i)
{
	return i < r->max && r->nh_slot[i] == SLOT_USED ? &r->nh[i] : NULL;
}

uint32_t fp_routes_nh_top(const struct fp_routes *r)
{
	return r->nh_top;
}

uint32_t fp_routes_nh_max(const struct fp_routes *r)
{
	return r->max;
}

uint32_t fp_routes_nh_refs(const struct fp_routes *r, uint32_t i)
{
	return i < r->max ? r->nh_refs[i] : 0;
}

struct rte_ring *fp_routes_unres_ring(const struct fp_routes *r)
{
	return r->unres;
}

uint32_t fp_routes_nh_index(const struct fp_routes *r, const struct fp_nexthop *nh)
{
	return (uint32_t)(nh - r->nh);
}

/* ---- senders ---- */

static const struct fp_nexthop *deflt(const struct fp_routes *r, const uint32_t *def)
{
	uint32_t idx = __atomic_load_n(def, __ATOMIC_ACQUIRE);

	return idx != NO_DEFAULT ? &r->nh[idx] : NULL;
}

const struct fp_nexthop *fp_routes_lookup4(const struct fp_routes *r, uint32_t dst_be)
{
	uint32_t idx;

	if (rte_lpm_lookup(r->lpm4, rte_be_to_cpu_32(dst_be), &idx) != 0)
		return deflt(r, &r->def4);
	return &r->nh[idx];
}

const struct fp_nexthop *fp_routes_lookup6(const struct fp_routes *r, const uint8_t dst[16])
{
	const struct rte_lpm6 *t = __atomic_load_n(&r->lpm6, __ATOMIC_ACQUIRE);
	uint32_t idx;

	if (rte_lpm6_lookup(t, dst, &idx) != 0)
		return deflt(r, &r->def6);
	return &r->nh[idx];
}

bool fp_routes_unresolved(const struct fp_routes *r, const struct fp_nexthop *nh,
			  struct rte_mbuf *m, bool ours)
{
	/* queued is the senders' to count up, the control core's down */
	uint32_t *q = (uint32_t *)(uintptr_t)&nh->queued;

	if (__atomic_fetch_add(q, 1, __ATOMIC_RELAXED) >= FP_NH_QUEUE_MAX) {
		__atomic_fetch_sub(q, 1, __ATOMIC_RELAXED);
		return false;
	}
	m->hash.usr = fp_routes_nh_index(r, nh) | (ours ? FP_NH_MBUF_OURS : 0);
	if (rte_ring_mp_enqueue(r->unres, m) != 0) {
		__atomic_fetch_sub(q, 1, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}
