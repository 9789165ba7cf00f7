/* SPDX-License-Identifier: BSD-3-Clause */
/* Where the peer is: INITIAL_CONTACT (RFC 7296 2.4), a peer that restarted
 * has lost its IKE SAs; told so in its first IKE_AUTH, we drop ours at once
 * rather than keep them until a liveness check fails (or forever without
 * one). And a peer behind a NAT whose mapping changed (2.23). */
#include <string.h>

#include "ike/core/ike_priv.h"

/* FNV-1a over the ID type and body: SAs compare authenticated peers by it
 * (a collision could at worst drop one SA of another peer at the same
 * address and connection). */
uint64_t ike_id_hash(const struct ike_id *id)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ id->type) * 0x100000001b3ull;
	for (unsigned i = 0; i < id->len; i++)
		h = (h ^ id->data[i]) * 0x100000001b3ull;
	return h ? h : 1;
}

static bool alive(const struct ike_sa *sa)
{
	return sa->state != IKE_S_DEAD;
}

static bool same_id(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* INITIAL_CONTACT speaks for the IKE SAs between the same two ends (2.4:
 * between the authenticated identities), whatever the connection: the
 * same peer address, and our same address and identity. A box with two
 * addresses (or identities), one connection on each, is two ends: its
 * connections must not drop each other's SAs. */
static bool same_ends(const struct ike_sa *o, const struct ike_sa *sa)
{
	return ike_addr_ip_eq(&o->remote, &sa->remote) && ike_addr_ip_eq(&o->local, &sa->local) &&
	       same_id(&o->conn->cfg.local_id, &sa->conn->cfg.local_id);
}

/* Sent only when we hold no other IKE SA between the same ends. */
bool ike_sa_first_contact(const struct ike_sa *sa)
{
	for (const struct ike_sa *o = sa->e->sas; o; o = o->next)
		if (o != sa && alive(o) && same_ends(o, sa))
			return false;
	return true;
}

unsigned ike_sa_initial_contact(struct ike_sa *sa)
{
	unsigned n = 0;

	for (struct ike_sa *o = sa->e->sas; o; o = o->next) {
		if (o == sa || !alive(o) || o->peer_id_hash != sa->peer_id_hash ||
		    !same_ends(o, sa))
			continue;
		ike_sa_log(o, IKE_LOG_INFO,
			   "IKE SA replaced: the peer restarted (INITIAL_CONTACT "
			   "on %016llx_i %016llx_r)",
			   (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
		ike_sa_end(o, IKE_END_REPLACED, "peer restarted (INITIAL_CONTACT)");
		n++;
	}
	return n;
}

void ike_sa_peer_moved(struct ike_sa *sa, const ike_addr_t *to)
{
	char a[64], b[64];

	ike_sa_log(sa, IKE_LOG_INFO, "peer moved from %s to %s (NAT mapping changed)",
		   ike_addr_str(&sa->remote, a, sizeof(a)), ike_addr_str(to, b, sizeof(b)));
	sa->remote = *to;
	for (struct ike_child *c = sa->children; c; c = c->next) {
		if (!c->info.encap)
			continue;
		c->info.local = sa->local;
		c->info.remote = sa->remote;
		/* A rekeyed one too: it carries the traffic until its delete
		 * (make before break). */
		ike_emit_child(sa, IKE_EV_CHILD_MOVED, c, NULL);
	}
}
