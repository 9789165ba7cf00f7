/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine object: connections, the IKE SA table, datagram dispatch,
 * timers and the control actions. Exchanges live in ikev2_*.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"
#include "ike/ike_pki.h"
#include "ike/pki/pki_rev_link.h"

void ike_engine_cfg_defaults(struct ike_engine_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->retransmit_timeout_ms = 500;
	c->retransmit_tries = 5;
	c->retransmit_base_pct = 180;
	c->cookie_threshold = 1000;
	c->liveness_idle_s = 600;
	c->natt_keepalive_s = 20;
	c->natt_port = 4500;
	c->log_level = IKE_LOG_INFO;
	c->log_rate = IKE_LOG_RATE_DEFAULT;
	c->fragmentation = true;
	c->fragment_size = IKE_FRAG_SIZE_DEFAULT;
}

const char *ike_event_name(enum ike_event_type t)
{
	static const char *const names[] = {
		"IKE_UP",     "IKE_REKEYED", "IKE_DOWN",    "CHILD_UP", "CHILD_REKEYED",
		"CHILD_DOWN", "FAILED",      "CHILD_MOVED", "TRAP",
	};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "UNKNOWN";
}

const char *ike_sa_state_name(enum ike_sa_state s)
{
	static const char *const names[] = {
		"NEW",         "INIT_SENT", "AUTH_SENT", "HALF_OPEN",
		"ESTABLISHED", "REKEYED",   "DELETING",  "DEAD",
	};
	return names[s];
}

struct ike_engine *ike_engine_new(const struct ike_engine_cfg *cfg, const struct ike_ops *ops,
				  void *ctx)
{
	struct ike_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->cfg = *cfg;
	if (!e->cfg.natt_port)
		e->cfg.natt_port = 4500;
	if (!e->cfg.retransmit_timeout_ms)
		e->cfg.retransmit_timeout_ms = 500;
	if (!e->cfg.retransmit_base_pct)
		e->cfg.retransmit_base_pct = 180;
	if (!e->cfg.fragment_size)
		e->cfg.fragment_size = IKE_FRAG_SIZE_DEFAULT;
	if (e->cfg.fragment_size < IKE_FRAG_SIZE_MIN)
		e->cfg.fragment_size = IKE_FRAG_SIZE_MIN;
	e->ops = *ops;
	e->ctx = ctx;
	if (ike_random(e->cookie_secret, sizeof(e->cookie_secret)) < 0) {
		free(e);
		return NULL;
	}
	return e;
}

void ike_engine_free(struct ike_engine *e)
{
	if (!e)
		return;
	while (e->sas) {
		struct ike_sa *sa = e->sas;
		e->sas = sa->next;
		ike_sa_free(sa);
	}
	while (e->conns) {
		struct ike_conn *c = e->conns;
		e->conns = c->next;
		ike_wipe(c, sizeof(*c));
		free(c);
	}
	ike_conns_free_retired(e, true);
	ike_wipe(e->cookie_secret, sizeof(e->cookie_secret));
	ike_timer_free(e);
	ike_creds_unref(e->creds);
	ike_pki_rev_free(e->rev);
	free(e);
}

struct ike_rev_ctx *ike_engine_rev(struct ike_engine *e)
{
	if (!e->rev)
		e->rev = ike_pki_rev_new();
	return e->rev;
}

void ike_engine_list_crls(struct ike_engine *e, void (*fn)(void *arg, const struct ike_crl_info *),
			  void *arg)
{
	if (e->rev)
		ike_pki_rev_list(e->rev, fn, arg);
}

int ike_engine_add_crl_file(struct ike_engine *e, const char *path, char *err, size_t errlen)
{
	if (!ike_engine_rev(e)) {
		snprintf(err, errlen, "%s: revocation checking cannot start", path);
		return -1;
	}
	return ike_pki_rev_add_crl(e->rev, e->creds, path, err, errlen);
}

int ike_engine_add_ocsp_uri(struct ike_engine *e, const char *ca, const char *url, char *err,
			    size_t errlen)
{
	if (!ike_engine_rev(e)) {
		snprintf(err, errlen, "%s: revocation checking cannot start", url);
		return -1;
	}
	return ike_pki_rev_add_ocsp(e->rev, e->creds, ca, url, err, errlen);
}

void ike_engine_reset_revocation(struct ike_engine *e)
{
	if (e->rev)
		ike_pki_rev_reset(e->rev);
}

/* A connection that signs keeps signing: a reload that takes its
 * certificates away is a configuration change, not a credential one. */
int ike_engine_set_conn_creds(struct ike_engine *e, const char *name,
			      const struct ike_conn_cfg *from)
{
	struct ike_conn *c = ike_conn_find(e, name);

	if (!c)
		return -ENOENT;
	if (from->n_local_creds > IKE_MAX_LOCAL_CREDS ||
	    (c->cfg.local_auth == IKE_AUTHBY_PUBKEY && !from->n_local_creds))
		return -EINVAL;
	/* A new PSK serves the next authentication; SAs up keep theirs. */
	if ((c->cfg.local_auth == IKE_AUTHBY_PSK || c->cfg.remote_auth == IKE_AUTHBY_PSK) &&
	    from->psk_len) {
		memcpy(c->cfg.psk, from->psk, sizeof(c->cfg.psk));
		c->cfg.psk_len = from->psk_len;
		c->psk_pad_prf = 0; /* the padded key is of the old PSK */
	}
	memcpy(c->cfg.local_creds, from->local_creds, sizeof(c->cfg.local_creds));
	c->cfg.n_local_creds = from->n_local_creds;
	c->cfg.remote_ca = from->remote_ca;
	memcpy(c->cfg.remote_ca_dn, from->remote_ca_dn, sizeof(c->cfg.remote_ca_dn));
	return 0;
}

void ike_engine_set_log_level(struct ike_engine *e, enum ike_log_level lvl)
{
	e->cfg.log_level = (int)lvl;
}

void ike_engine_note_rx_dropped(struct ike_engine *e)
{
	e->stats.rx_dropped_early++;
}

void ike_engine_set_creds(struct ike_engine *e, struct ike_creds *c)
{
	struct ike_creds *old = e->creds;

	e->creds = c ? ike_creds_ref(c) : NULL;
	ike_creds_unref(old);
}

static unsigned name_bucket(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	return h % IKE_HASH_BUCKETS;
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *cfg)
{
	struct ike_conn *c;
	unsigned b;

	bool psk = cfg->local_auth == IKE_AUTHBY_PSK || cfg->remote_auth == IKE_AUTHBY_PSK;

	if (!cfg->name[0] || !cfg->n_proposals || (psk && !cfg->psk_len) ||
	    (cfg->local_auth == IKE_AUTHBY_PUBKEY && !cfg->n_local_creds) ||
	    cfg->local_auth == IKE_AUTHBY_ANY || cfg->n_local_creds > IKE_MAX_LOCAL_CREDS)
		return -EINVAL;
	if (ike_conn_find(e, cfg->name))
		return -EEXIST;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->prev = e->conns_tail;
	if (e->conns_tail)
		e->conns_tail->next = c;
	else
		e->conns = c;
	e->conns_tail = c;
	b = name_bucket(c->cfg.name);
	c->nnext = e->conn_hash[b];
	e->conn_hash[b] = c;
	ike_conn_index_add(e, c);
	return 0;
}

struct ike_conn *ike_conn_find(struct ike_engine *e, const char *name)
{
	for (struct ike_conn *c = e->conn_hash[name_bucket(name)]; c; c = c->nnext)
		if (strcmp(c->cfg.name, name) == 0)
			return c;
	return NULL;
}

void ike_conn_unlink(struct ike_engine *e, struct ike_conn *c)
{
	struct ike_conn **pp = &e->conn_hash[name_bucket(c->cfg.name)];

	while (*pp && *pp != c)
		pp = &(*pp)->nnext;
	if (*pp)
		*pp = c->nnext;
	ike_conn_index_del(e, c);
	*(c->prev ? &c->prev->next : &e->conns) = c->next;
	*(c->next ? &c->next->prev : &e->conns_tail) = c->prev;
	c->next = c->prev = c->nnext = NULL;
}

uint32_t ike_next_id(struct ike_engine *e)
{
	if (++e->last_id == 0) /* 2^32 SAs later: 0 means "none" */
		e->last_id = 1;
	return e->last_id;
}

/* Ids grow with creation, so the highest id is the newest SA. */
static struct ike_sa *conn_newest(struct ike_engine *e, struct ike_conn *c, bool established)
{
	struct ike_sa *best = NULL;

	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		if (sa->conn != c || sa->state == IKE_S_DEAD || sa->state == IKE_S_REKEYED)
			continue;
		if (established && sa->state != IKE_S_ESTABLISHED)
			continue;
		if (!best || sa->id > best->id)
			best = sa;
	}
	return best;
}

struct ike_sa *ike_conn_sa(struct ike_engine *e, struct ike_conn *c)
{
	return conn_newest(e, c, true);
}

struct ike_sa *ike_conn_sa_any(struct ike_engine *e, struct ike_conn *c)
{
	return conn_newest(e, c, false);
}

/* Strips the non-ESP marker on the NAT-T port; returns false for datagrams
 * that are not IKE (ESP-in-UDP, keepalives). */
static bool strip_marker(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
			 const uint8_t **buf, size_t *len)
{
	if (local->port != e->cfg.natt_port && remote->port != e->cfg.natt_port)
		return true;
	if (*len == 1 && (*buf)[0] == 0xff)
		return false; /* NAT keepalive (RFC 3948 2.3) */
	if (*len < IKEV2_NON_ESP_MARKER)
		return false;
	if (ikev2_get32(*buf) != 0) {
		e->stats.esp_dropped++; /* ESP: the data plane's job */
		return false;
	}
	*buf += IKEV2_NON_ESP_MARKER;
	*len -= IKEV2_NON_ESP_MARKER;
	return true;
}

/* After the float to port 4500 (2.23) follow the peer's port, which a NAT
 * may change; only on authenticated messages, so a forged packet cannot
 * redirect the SA. */
/* 2.23: on the NAT-T port an authenticated message says where the peer is
 * now: its port (a NAT's new mapping), and its address too when it is
 * behind a NAT. The CHILD SAs of an SA already floated move with it. */
static void follow_peer(struct ike_sa *sa, const ike_addr_t *local, const ike_addr_t *remote)
{
	bool moved;

	if (local->port != sa->e->cfg.natt_port ||
	    (!ike_addr_ip_eq(&sa->remote, remote) && !sa->nat_remote))
		return;
	moved = sa->natt && !ike_addr_eq(&sa->remote, remote);
	sa->natt = true;
	sa->local.port = local->port;
	if (moved)
		ike_sa_peer_moved(sa, remote);
	else
		sa->remote.port = remote->port;
}

static void resend_cached(struct ike_sa *sa)
{
	sa->e->stats.dup_requests++;
	ikev2_send_stored(sa->e, &sa->local, &sa->remote, sa->resp_buf, sa->resp_len);
}

/* Requests and responses alike: a message that failed decryption is logged
 * and counted; one that passed is authenticated, so it counts as life from
 * the peer and may move the SA's ports. false to drop the message, also
 * for a fragment kept until the rest of its message (r > 0). */
static bool decrypted(struct ike_sa *sa, const ike_addr_t *local, const ike_addr_t *remote,
		      const struct ikev2_hdr *h, int r, const char *what)
{
	if (r < 0) {
		ike_log_unauth(sa->e, sa, IKE_LOGK_INTEGRITY, IKE_LOG_WARN, "%s %s dropped: %s",
			       ikev2_exchange_name(h->exchange), what,
			       r == -EBADMSG ? "integrity check failed" : ikev2_perr_str(r));
		sa->e->stats.bad_messages++;
		return false;
	}
	sa->last_rx = sa->e->now;
	follow_peer(sa, local, remote);
	return r == 0;
}

static void dispatch_response(struct ike_sa *sa, const ike_addr_t *local, const ike_addr_t *remote,
			      uint8_t *msg, size_t len, const struct ikev2_hdr *h,
			      const struct ikev2_chain *c)
{
	struct ikev2_chain inner;
	enum ike_req_kind kind = sa->req_kind;
	struct ike_exch_ctx ctx;
	struct ikev2_auth_verdict av = { .checked = false };
	int r;

	if (kind == REQ_NONE || !sa->req_buf || h->msgid != sa->msgid_out - 1)
		return; /* late retransmission of an answered request */
	if (h->exchange == IKEV2_EXCH_IKE_SA_INIT) {
		ikev2_sa_init_response(sa, msg, len, h, c);
		return;
	}
	r = ikev2_decrypt(sa, msg, len, h, c, &inner, NULL);
	if (!decrypted(sa, local, remote, h, r, "response"))
		return;
	if (kind == REQ_AUTH && ikev2_auth_response_waits(sa, &inner, &av))
		return;
	ctx = sa->req_ctx;
	memset(&sa->req_ctx, 0, sizeof(sa->req_ctx));
	ikev2_request_done(sa);
	switch (kind) {
	case REQ_AUTH: ikev2_auth_response(sa, &inner, &av); break;
	case REQ_CHILD_NEW:
	case REQ_CHILD_REKEY:
	case REQ_IKE_REKEY: ikev2_create_child_response(sa, kind, &ctx, &inner); break;
	default: ikev2_info_response(sa, kind, &ctx, &inner); break;
	}
	ike_dh_free(ctx.dh);
	ike_wipe(&ctx, sizeof(ctx));
	if (sa->state != IKE_S_DEAD && sa->req_kind == REQ_NONE)
		ike_sa_run_pending(sa);
}

/* 2.5: a request with a critical payload we do not know is refused whole. */
static void unsupported_critical(struct ike_sa *sa, const struct ikev2_hdr *h, uint8_t type)
{
	struct ikev2_out *o = malloc(sizeof(*o));

	ike_sa_log(sa, IKE_LOG_WARN, "%s request refused: unsupported critical payload type %u",
		   ikev2_exchange_name(h->exchange), type);
	if (!o)
		return;
	ikev2_out_init(o, sa, h->exchange, true);
	ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
	ikev2_send_response(sa, o, h->msgid);
	free(o);
}

static void dispatch_request(struct ike_sa *sa, const ike_addr_t *local, const ike_addr_t *remote,
			     uint8_t *msg, size_t len, const struct ikev2_hdr *h,
			     const struct ikev2_chain *c)
{
	struct ikev2_chain inner;
	uint8_t bad = 0;
	int r;

	if (sa->resp_valid && h->msgid + 1 == sa->msgid_in) {
		/* RFC 7383 2.6.1: once per retransmission, on its first fragment. */
		if (!ikev2_frag_later(c))
			resend_cached(sa);
		return;
	}
	if (h->msgid != sa->msgid_in)
		return;
	r = ikev2_decrypt(sa, msg, len, h, c, &inner, &bad);
	if (r == IKEV2_E_CRITICAL) {
		unsupported_critical(sa, h, bad);
		return;
	}
	if (!decrypted(sa, local, remote, h, r, "request"))
		return;
	switch (h->exchange) {
	case IKEV2_EXCH_IKE_AUTH:
		if (sa->state == IKE_S_HALF_OPEN)
			ikev2_auth_request(sa, &inner);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA: /* refused for now unless established (2.25) */
		if (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING ||
		    sa->state == IKE_S_REKEYED)
			ikev2_create_child_request(sa, &inner);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		if (sa->state != IKE_S_HALF_OPEN)
			ikev2_info_request(sa, &inner);
		break;
	default: break;
	}
}

void ike_engine_input(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		      const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct ikev2_hdr h;
	struct ikev2_chain c;
	struct ike_sa *sa;
	uint8_t bad = 0;
	int r;

	e->now = now_ms;
	e->stats.rx++;
	if (!strip_marker(e, local, remote, &buf, &len))
		return;
	if (len > sizeof(e->rxbuf)) {
		e->stats.bad_messages++;
		return;
	}
	memcpy(e->rxbuf, buf, len); /* decryption works in place */
	r = ikev2_hdr_parse(e->rxbuf, len, &h);
	if (r == 0)
		r = ikev2_chain_parse(h.next_payload, e->rxbuf + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN,
				      &c, &bad);
	if (r == IKEV2_E_CRITICAL && h.exchange == IKEV2_EXCH_IKE_SA_INIT &&
	    !(h.flags & IKEV2_FLAG_RESPONSE) && h.msgid == 0)
		ikev2_sa_init_unsupported(e, local, remote, &h, bad);
	if (r < 0) {
		char a[64];
		e->stats.bad_messages++;
		ike_log_unauth(e, NULL, IKE_LOGK_MALFORMED, IKE_LOG_DEBUG,
			       "dropped datagram from %s: %s", ike_addr_str(remote, a, sizeof(a)),
			       ikev2_perr_str(r));
		return;
	}
	if (h.exchange == IKEV2_EXCH_IKE_SA_INIT && !(h.flags & IKEV2_FLAG_RESPONSE)) {
		if ((h.flags & IKEV2_FLAG_INITIATOR) && h.spi_r == 0 && h.msgid == 0) {
			sa = ike_sa_find_half_open(e, h.spi_i, remote);
			if (sa && sa->resp_valid && sa->state == IKE_S_HALF_OPEN)
				resend_cached(sa);
			else if (!sa)
				ikev2_sa_init_request(e, local, remote, e->rxbuf, len, &h, &c);
		}
		ike_engine_reap(e);
		return;
	}
	sa = ike_sa_lookup(e, (h.flags & IKEV2_FLAG_INITIATOR) ? h.spi_r : h.spi_i);
	if (!sa || (h.flags & IKEV2_FLAG_INITIATOR) == sa->initiator * IKEV2_FLAG_INITIATOR ||
	    (sa->initiator ? (sa->spi_r && sa->spi_r != h.spi_r) : sa->spi_i != h.spi_i)) {
		e->stats.bad_messages++;
		return;
	}
	ike_timer_touch(sa);
	if (h.flags & IKEV2_FLAG_RESPONSE)
		dispatch_response(sa, local, remote, e->rxbuf, len, &h, &c);
	else
		dispatch_request(sa, local, remote, e->rxbuf, len, &h, &c);
	ike_engine_reap(e);
}
