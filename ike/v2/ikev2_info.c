/* SPDX-License-Identifier: BSD-3-Clause */
/* INFORMATIONAL exchanges (RFC 7296 1.4, 1.5): deletes of IKE and CHILD SAs,
 * liveness checks (empty messages) and error notifies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

const struct ikev2_pl *ikev2_find_notify(const struct ikev2_chain *c, uint16_t type,
					 struct ikev2_ntf *out)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->pl[i].type == IKEV2_PL_NOTIFY &&
		    ikev2_notify_parse(c->pl[i].body, c->pl[i].len, out) == 0 && out->type == type)
			return &c->pl[i];
	return NULL;
}

uint16_t ikev2_error_notify(const struct ikev2_chain *c)
{
	struct ikev2_ntf n;

	for (unsigned i = 0; i < c->n; i++)
		if (c->pl[i].type == IKEV2_PL_NOTIFY &&
		    ikev2_notify_parse(c->pl[i].body, c->pl[i].len, &n) == 0 && n.type < 16384)
			return n.type;
	return 0;
}

static int start_info(struct ike_sa *sa, enum ike_req_kind kind, uint8_t proto, uint32_t spi)
{
	struct ikev2_out *o = malloc(sizeof(*o));
	uint8_t s[4];
	int r;

	if (!o)
		return -ENOMEM;
	ikev2_out_init(o, sa, IKEV2_EXCH_INFORMATIONAL, false);
	if (proto == IKEV2_PROTO_IKE)
		ikev2_w_delete(&o->w, IKEV2_PROTO_IKE, 0, NULL, 0);
	else if (proto == IKEV2_PROTO_ESP) {
		ikev2_put32(s, spi);
		ikev2_w_delete(&o->w, IKEV2_PROTO_ESP, 4, s, 1);
	}
	r = ikev2_send_request(sa, o, kind);
	free(o);
	return r;
}

int ikev2_delete_ike_start(struct ike_sa *sa)
{
	int r = start_info(sa, REQ_DELETE_IKE, IKEV2_PROTO_IKE, 0);

	if (r == 0) {
		ike_sa_log(sa, IKE_LOG_INFO, "deleting IKE SA");
		if (sa->state == IKE_S_ESTABLISHED)
			ike_sa_set_state(sa, IKE_S_DELETING);
	}
	return r;
}

int ikev2_delete_child_start(struct ike_sa *sa, uint32_t spi_in)
{
	struct ike_child *c = ike_child_find_in(sa, spi_in);
	int r;

	if (!c)
		return -ENOENT;
	r = start_info(sa, REQ_DELETE_CHILD, IKEV2_PROTO_ESP, spi_in);
	if (r == 0) {
		sa->req_ctx.old_spi_in = spi_in;
		c->state = CHILD_DELETING;
		ike_sa_log(sa, IKE_LOG_INFO, "deleting CHILD_SA %s %08x_i %08x_o", c->info.child,
			   c->info.spi_in, c->info.spi_out);
	}
	return r;
}

int ikev2_dpd_start(struct ike_sa *sa)
{
	ike_sa_log(sa, IKE_LOG_DEBUG, "liveness check");
	return start_info(sa, REQ_DPD, 0, 0);
}

/* Peer deletes CHILD SAs by its inbound SPIs (our outbound); we answer with
 * our inbound SPIs of the same pairs, except those we are deleting already. */
static void peer_deletes_children(struct ike_sa *sa, const struct ikev2_delete *d,
				  struct ikev2_writer *w)
{
	uint8_t ours[4 * 64];
	uint16_t n = 0;

	for (uint16_t i = 0; i < d->n_spi; i++) {
		struct ike_child *c = ike_child_find_out(sa, ikev2_get32(d->spis + 4 * i));

		if (!c)
			continue;
		if (c->state != CHILD_DELETING && n < 64)
			ikev2_put32(ours + 4 * n++, c->info.spi_in);
		ike_sa_log(sa, IKE_LOG_INFO, "CHILD_SA %s %08x_i %08x_o deleted by peer",
			   c->info.child, c->info.spi_in, c->info.spi_out);
		ike_child_remove(sa, c, c->state == CHILD_REKEYED ? "rekeyed" : "deleted by peer",
				 true);
	}
	if (n)
		ikev2_w_delete(w, IKEV2_PROTO_ESP, 4, ours, n);
}

void ikev2_info_request(struct ike_sa *sa, const struct ikev2_chain *c)
{
	struct ikev2_out *o = malloc(sizeof(*o));
	bool delete_ike = false, auth_failed = false;

	if (!o)
		return;
	ikev2_out_init(o, sa, IKEV2_EXCH_INFORMATIONAL, true);
	for (unsigned i = 0; i < c->n; i++) {
		const struct ikev2_pl *p = &c->pl[i];
		struct ikev2_delete d;
		struct ikev2_ntf n;

		if (p->type == IKEV2_PL_DELETE && ikev2_delete_parse(p->body, p->len, &d) == 0) {
			if (d.proto == IKEV2_PROTO_IKE)
				delete_ike = true;
			else if (d.proto == IKEV2_PROTO_ESP)
				peer_deletes_children(sa, &d, &o->w);
		} else if (p->type == IKEV2_PL_NOTIFY &&
			   ikev2_notify_parse(p->body, p->len, &n) == 0 && n.type < 16384) {
			auth_failed |= n.type == IKEV2_N_AUTHENTICATION_FAILED;
			if (n.type != IKEV2_N_AUTHENTICATION_FAILED)
				ike_sa_log(sa, IKE_LOG_WARN, "peer reports %s",
					   ikev2_notify_name(n.type));
		}
	}
	if (delete_ike)
		o->w.len = o->inner_off; /* answer a delete of the IKE SA empty */
	ikev2_send_response(sa, o, sa->msgid_in);
	free(o);
	if (auth_failed && !delete_ike) {
		/* 2.21.2: the peer did not accept our authentication (or its
		 * policy refused our identity) after IKE_AUTH looked complete
		 * here: it has destroyed the SA on its side. */
		ike_sa_log(sa, IKE_LOG_ERR,
			   "peer reports AUTHENTICATION_FAILED after IKE_AUTH: it "
			   "rejected our authentication or identity; IKE SA deleted");
		ike_sa_kill(sa, "peer reports AUTHENTICATION_FAILED");
	} else if (delete_ike) {
		ike_sa_log(sa, IKE_LOG_INFO, "IKE SA deleted by peer");
		/* 2.8.2: with its rekey crossing ours, the peer deletes the old
		 * SA only if its new one won (or ours never reached it). */
		if (sa->state == IKE_S_ESTABLISHED)
			ikev2_ike_rekey_adopt(sa);
		if (sa->state == IKE_S_REKEYED)
			ike_sa_set_state(sa, IKE_S_DEAD), sa->e->reap = true;
		else
			ike_sa_end(sa, IKE_END_PEER, "deleted by peer");
	}
}

void ikev2_info_response(struct ike_sa *sa, enum ike_req_kind kind, struct ike_exch_ctx *x,
			 const struct ikev2_chain *c)
{
	struct ike_child *ch;

	switch (kind) {
	case REQ_DELETE_IKE:
		if (sa->state == IKE_S_REKEYED) {
			ike_sa_set_state(sa, IKE_S_DEAD);
			sa->e->reap = true;
		} else {
			ike_sa_end(sa, IKE_END_LOCAL, "deleted locally");
		}
		break;
	case REQ_DELETE_CHILD:
		ch = ike_child_find_in(sa, x->old_spi_in);
		if (ch)
			ike_child_remove(sa, ch,
					 ch->state == CHILD_REKEYED ? "rekeyed" : "deleted locally",
					 true);
		break;
	default: break;
	}
	(void)c;
}
