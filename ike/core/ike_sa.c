/* SPDX-License-Identifier: BSD-3-Clause */
/* The IKE SA table and an SA's life: creation, hashing by our SPI (and, for
 * half-open SAs, by the peer's SPI and address), state changes, the end of
 * an SA and freeing it at the end of an engine call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

static unsigned bucket(uint64_t spi)
{
	return (unsigned)((spi ^ (spi >> 29) ^ (spi >> 47)) & (IKE_HASH_BUCKETS - 1));
}

uint64_t ike_sa_our_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

void ike_sa_hash_add(struct ike_engine *e, struct ike_sa *sa)
{
	unsigned b = bucket(ike_sa_our_spi(sa));

	sa->hnext = e->hash[b];
	e->hash[b] = sa;
	sa->hashed = true;
}

void ike_sa_phash_add(struct ike_engine *e, struct ike_sa *sa)
{
	unsigned b = bucket(sa->spi_i);

	sa->pnext = e->phash[b];
	e->phash[b] = sa;
	sa->phashed = true;
}

static void unlink_chain(struct ike_sa **head, struct ike_sa *sa, bool peer)
{
	for (struct ike_sa **pp = head; *pp; pp = peer ? &(*pp)->pnext : &(*pp)->hnext)
		if (*pp == sa) {
			*pp = peer ? sa->pnext : sa->hnext;
			return;
		}
}

struct ike_sa *ike_sa_lookup(struct ike_engine *e, uint64_t spi)
{
	for (struct ike_sa *sa = e->hash[bucket(spi)]; sa; sa = sa->hnext)
		if (ike_sa_our_spi(sa) == spi && sa->state != IKE_S_DEAD)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_find_half_open(struct ike_engine *e, uint64_t spi_i, const ike_addr_t *remote)
{
	for (struct ike_sa *sa = e->phash[bucket(spi_i)]; sa; sa = sa->pnext)
		if (sa->spi_i == spi_i && ike_addr_ip_eq(&sa->remote, remote) &&
		    sa->state != IKE_S_DEAD)
			return sa;
	return NULL;
}

uint32_t ike_spi_alloc(struct ike_engine *e)
{
	uint32_t spi = 0;

	if (e->ops.spi_alloc)
		return e->ops.spi_alloc(e->ctx);
	while (spi < 256)
		if (ike_random_public((uint8_t *)&spi, sizeof(spi)) < 0)
			return 0;
	return spi;
}

uint64_t ike_jitter(uint64_t base_ms, uint64_t rand_ms)
{
	uint32_t r = 0;

	if (!rand_ms || rand_ms >= base_ms)
		return base_ms;
	ike_random_public((uint8_t *)&r, sizeof(r));
	return base_ms - (r % rand_ms);
}

struct ike_sa *ike_sa_new(struct ike_engine *e, struct ike_conn *c, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	uint64_t spi = 0;

	if (!sa)
		return NULL;
	sa->nego = calloc(1, sizeof(*sa->nego));
	if (!sa->nego) {
		free(sa);
		return NULL;
	}
	sa->ni = sa->nego->ni;
	sa->nr = sa->nego->nr;
	sa->cookie = sa->nego->cookie;
	while (!spi || ike_sa_lookup(e, spi))
		if (ike_random_public((uint8_t *)&spi, sizeof(spi)) < 0) {
			free(sa->nego);
			free(sa);
			return NULL;
		}
	sa->e = e;
	sa->conn = c;
	sa->id = ike_next_id(e);
	sa->initiator = initiator;
	if (initiator)
		sa->spi_i = spi;
	else
		sa->spi_r = spi;
	sa->created = sa->last_rx = e->now;
	sa->next = e->sas;
	if (e->sas)
		e->sas->pprev = &sa->next;
	sa->pprev = &e->sas;
	e->sas = sa;
	ike_sa_hash_add(e, sa);
	ike_timer_touch(sa);
	return sa;
}

static unsigned ip_bucket(const ike_addr_t *a)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (unsigned i = 0; i < (a->family == 4 ? 4u : 16u); i++)
		h = (h ^ a->a[i]) * 0x100000001b3ull;
	return (unsigned)(h ^ (h >> 32)) & (IKE_HASH_BUCKETS - 1);
}

static void half_open_track(struct ike_sa *sa, bool add)
{
	struct ike_engine *e = sa->e;
	struct ike_sa **pp = &e->iphash[ip_bucket(&sa->remote)];

	if (add) {
		sa->ipnext = *pp;
		*pp = sa;
		e->half_open++;
		return;
	}
	for (; *pp; pp = &(*pp)->ipnext)
		if (*pp == sa) {
			*pp = sa->ipnext;
			e->half_open--;
			return;
		}
}

bool ike_half_open_allowed(struct ike_engine *e, const ike_addr_t *remote)
{
	uint32_t n = 0;

	if (e->cfg.half_open_max && e->half_open >= e->cfg.half_open_max)
		return false;
	if (!e->cfg.half_open_per_peer)
		return true;
	for (struct ike_sa *sa = e->iphash[ip_bucket(remote)]; sa; sa = sa->ipnext)
		if (ike_addr_ip_eq(&sa->remote, remote) && ++n >= e->cfg.half_open_per_peer)
			return false;
	return true;
}

void ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state st)
{
	if (sa->state == st)
		return;
	ike_sa_log(sa, IKE_LOG_DEBUG, "state %s -> %s", ike_sa_state_name(sa->state),
		   ike_sa_state_name(st));
	if (sa->state == IKE_S_HALF_OPEN)
		half_open_track(sa, false);
	if (st == IKE_S_HALF_OPEN)
		half_open_track(sa, true);
	if (st == IKE_S_ESTABLISHED && !sa->up_at)
		sa->up_at = sa->e->now;
	if (st == IKE_S_DEAD && !sa->dead_queued) {
		sa->dead_queued = true;
		sa->dead_next = sa->e->dead;
		sa->e->dead = sa;
	}
	sa->state = st;
}

void ike_sa_kill(struct ike_sa *sa, const char *reason)
{
	ike_sa_end(sa, IKE_END_FAILED, reason);
}

void ike_sa_end(struct ike_sa *sa, enum ike_end why, const char *reason)
{
	/* A rekeyed SA handed its children on; its end is not a tunnel going down. */
	bool was_up = sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING;

	if (sa->state == IKE_S_DEAD)
		return;
	ikev2_ike_rekey_drop(sa);
	/* Every child left goes down with an event, whatever the SA's state:
	 * one created on an SA that was rekeyed meanwhile (a CREATE_CHILD_SA
	 * answered after the takeover) was reported up, and a data plane
	 * holding it must hear of its end. */
	while (sa->children)
		ike_child_remove(sa, sa->children, reason, true);
	if (was_up)
		ike_emit_sa(sa, IKE_EV_IKE_DOWN, reason);
	ike_sa_set_state(sa, IKE_S_DEAD);
	sa->e->reap = true;
	ike_conn_sa_ended(sa, why, was_up);
}

void ike_sa_free(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	if (sa->hashed)
		unlink_chain(&e->hash[bucket(ike_sa_our_spi(sa))], sa, false);
	if (sa->phashed)
		unlink_chain(&e->phash[bucket(sa->spi_i)], sa, true);
	ike_timer_remove(sa);
	while (sa->children)
		ike_child_remove(sa, sa->children, NULL, false);
	ike_dh_free(sa->dh);
	ike_dh_free(sa->req_ctx.dh);
	free(sa->own_child);
	free(sa->collide);
	free(sa->peer_id_txt);
	ike_sa_free_nego(sa);
	free(sa->req_buf);
	free(sa->resp_buf);
	ikev2_frag_free_all(sa);
	ike_sa_wipe_keys(sa);
	ike_wipe(sa, sizeof(*sa));
	free(sa);
}

/* End of every entry point: re-arm timers of touched SAs, free dead ones.
 * The dead ones come from their own list and leave the list of all SAs
 * through their back pointer: a walk of every SA per Delete made deleting
 * 100,000 SAs quadratic (50 Deletes a second at 100,000 SAs). */
void ike_engine_reap(struct ike_engine *e)
{
	ike_timer_flush(e);
	if (!e->reap)
		return;
	e->reap = false;
	while (e->dead) {
		struct ike_sa *sa = e->dead;

		e->dead = sa->dead_next;
		sa->dead_queued = false;
		if (sa->state != IKE_S_DEAD)
			continue;
		*sa->pprev = sa->next;
		if (sa->next)
			sa->next->pprev = sa->pprev;
		ike_sa_free(sa);
	}
	if (e->retired)
		ike_conns_free_retired(e, false);
}

void ike_sa_rehash(struct ike_sa *sa, uint64_t spi)
{
	struct ike_engine *e = sa->e;

	if (sa->hashed)
		unlink_chain(&e->hash[bucket(ike_sa_our_spi(sa))], sa, false);
	if (sa->initiator)
		sa->spi_i = spi;
	else
		sa->spi_r = spi;
	ike_sa_hash_add(e, sa);
}

void ike_sa_free_nego(struct ike_sa *sa)
{
	free(sa->init_msg[0]);
	free(sa->init_msg[1]);
	sa->init_msg[0] = sa->init_msg[1] = NULL;
	if (sa->nego) {
		ike_wipe(sa->nego, sizeof(*sa->nego));
		free(sa->nego);
	}
	sa->nego = NULL;
	sa->ni = sa->nr = sa->cookie = NULL;
	sa->ni_len = sa->nr_len = sa->cookie_len = 0;
}

void ike_sa_set_peer_id(struct ike_sa *sa, const struct ike_id *id)
{
	char txt[IKE_MAX_ID * 3 + 16];

	sa->peer_id_hash = ike_id_hash(id);
	free(sa->peer_id_txt);
	/* out of memory: listed without it, selectors use the hash */
	sa->peer_id_txt = strdup(ike_id_text(id, txt, sizeof(txt)));
}
