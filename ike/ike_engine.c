/* The engine object: connections, the IKE SA table, datagram dispatch,
 * timers and the control actions. Exchanges live in ikev2_*.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_priv.h"

void ike_engine_cfg_defaults(struct ike_engine_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->retransmit_timeout_ms = 500;
	c->retransmit_tries = 5;
	c->retransmit_base_pct = 180;
	c->cookie_threshold = 1000;
	c->natt_port = 4500;
	c->log_level = IKE_LOG_INFO;
}

const char *ike_event_name(enum ike_event_type t)
{
	static const char *const names[] = {
		"IKE_UP", "IKE_REKEYED", "IKE_DOWN", "CHILD_UP", "CHILD_REKEYED",
		"CHILD_DOWN", "FAILED",
	};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "UNKNOWN";
}

const char *ike_sa_state_name(enum ike_sa_state s)
{
	static const char *const names[] = {
		"NEW", "INIT_SENT", "AUTH_SENT", "HALF_OPEN", "ESTABLISHED", "REKEYED",
		"DELETING", "DEAD",
	};
	return names[s];
}

struct ike_engine *ike_engine_new(const struct ike_engine_cfg *cfg,
				  const struct ike_ops *ops, void *ctx)
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
	e->ops = *ops;
	e->ctx = ctx;
	if (ike_random(e->cookie_secret, sizeof(e->cookie_secret)) < 0) {
		free(e);
		return NULL;
	}
	return e;
}

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

static struct ike_sa *sa_lookup(struct ike_engine *e, uint64_t spi)
{
	for (struct ike_sa *sa = e->hash[bucket(spi)]; sa; sa = sa->hnext)
		if (ike_sa_our_spi(sa) == spi && sa->state != IKE_S_DEAD)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_find_half_open(struct ike_engine *e, uint64_t spi_i,
				     const ike_addr_t *remote)
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
		if (ike_random((uint8_t *)&spi, sizeof(spi)) < 0)
			return 0;
	return spi;
}

uint64_t ike_jitter(uint64_t base_ms, uint64_t rand_ms)
{
	uint32_t r = 0;

	if (!rand_ms || rand_ms >= base_ms)
		return base_ms;
	ike_random((uint8_t *)&r, sizeof(r));
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
	while (!spi || sa_lookup(e, spi))
		if (ike_random((uint8_t *)&spi, sizeof(spi)) < 0) {
			free(sa->nego);
			free(sa);
			return NULL;
		}
	sa->e = e;
	sa->conn = c;
	sa->initiator = initiator;
	if (initiator)
		sa->spi_i = spi;
	else
		sa->spi_r = spi;
	sa->created = sa->last_rx = e->now;
	sa->next = e->sas;
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
	sa->state = st;
}

void ike_sa_kill(struct ike_sa *sa, const char *reason)
{
	/* A rekeyed SA handed its children on; its end is not a tunnel going down. */
	bool was_up = sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING;

	if (sa->state == IKE_S_DEAD)
		return;
	while (sa->children)
		ike_child_remove(sa, sa->children, reason, was_up);
	if (was_up)
		ike_emit_sa(sa, IKE_EV_IKE_DOWN, reason);
	ike_sa_set_state(sa, IKE_S_DEAD);
	sa->e->reap = true;
}

static void sa_free(struct ike_sa *sa)
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
	ike_sa_free_nego(sa);
	free(sa->req_buf);
	free(sa->resp_buf);
	ike_sa_wipe_keys(sa);
	ike_wipe(sa, sizeof(*sa));
	free(sa);
}

/* End of every entry point: re-arm timers of touched SAs, free dead ones. */
static void reap(struct ike_engine *e)
{
	struct ike_sa **pp = &e->sas;

	ike_timer_flush(e);
	if (!e->reap)
		return;
	e->reap = false;
	while (*pp) {
		struct ike_sa *sa = *pp;
		if (sa->state == IKE_S_DEAD) {
			*pp = sa->next;
			sa_free(sa);
		} else {
			pp = &sa->next;
		}
	}
}

void ike_engine_free(struct ike_engine *e)
{
	if (!e)
		return;
	while (e->sas) {
		struct ike_sa *sa = e->sas;
		e->sas = sa->next;
		sa_free(sa);
	}
	while (e->conns) {
		struct ike_conn *c = e->conns;
		e->conns = c->next;
		ike_wipe(c, sizeof(*c));
		free(c);
	}
	ike_wipe(e->cookie_secret, sizeof(e->cookie_secret));
	ike_timer_free(e);
	free(e);
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *cfg)
{
	struct ike_conn *c, **tail = &e->conns;

	if (!cfg->name[0] || !cfg->n_proposals || !cfg->psk_len)
		return -EINVAL;
	if (ike_conn_find(e, cfg->name))
		return -EEXIST;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	while (*tail)
		tail = &(*tail)->next;
	*tail = c;
	return 0;
}

struct ike_conn *ike_conn_find(struct ike_engine *e, const char *name)
{
	for (struct ike_conn *c = e->conns; c; c = c->next)
		if (strcmp(c->cfg.name, name) == 0)
			return c;
	return NULL;
}

/* The newest live IKE SA of a connection. */
struct ike_sa *ike_conn_sa(struct ike_engine *e, struct ike_conn *c)
{
	struct ike_sa *best = NULL;

	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->state != IKE_S_DEAD && sa->state != IKE_S_REKEYED &&
		    (!best || sa->created >= best->created))
			best = sa;
	return best;
}

/* Strips the non-ESP marker on the NAT-T port; returns false for datagrams
 * that are not IKE (ESP-in-UDP, keepalives). */
static bool strip_marker(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
			 const uint8_t **buf, size_t *len)
{
	if (local->port != e->cfg.natt_port && remote->port != e->cfg.natt_port)
		return true;
	if (*len == 1 && (*buf)[0] == 0xff)
		return false;                      /* NAT keepalive (RFC 3948 2.3) */
	if (*len < IKEV2_NON_ESP_MARKER)
		return false;
	if (ikev2_get32(*buf) != 0) {
		e->stats.esp_dropped++;            /* ESP: the data plane's job */
		return false;
	}
	*buf += IKEV2_NON_ESP_MARKER;
	*len -= IKEV2_NON_ESP_MARKER;
	return true;
}

/* After the float to port 4500 (2.23) follow the peer's port, which a NAT
 * may change; only on authenticated messages, so a forged packet cannot
 * redirect the SA. */
static void follow_peer(struct ike_sa *sa, const ike_addr_t *local, const ike_addr_t *remote)
{
	if (local->port != sa->e->cfg.natt_port || !ike_addr_ip_eq(&sa->remote, remote))
		return;
	sa->natt = true;
	sa->local.port = local->port;
	sa->remote.port = remote->port;
}

static void resend_cached(struct ike_sa *sa)
{
	sa->e->stats.dup_requests++;
	ikev2_send_raw(sa->e, &sa->local, &sa->remote, sa->resp_buf, sa->resp_len);
}

static void dispatch_response(struct ike_sa *sa, const ike_addr_t *local, const ike_addr_t *remote,
			      uint8_t *msg, size_t len, const struct ikev2_hdr *h,
			      const struct ikev2_chain *c)
{
	struct ikev2_chain inner;
	enum ike_req_kind kind = sa->req_kind;
	struct ike_exch_ctx ctx;
	int r;

	if (kind == REQ_NONE || !sa->req_buf || h->msgid != sa->msgid_out - 1)
		return;       /* late retransmission of an answered request */
	if (h->exchange == IKEV2_EXCH_IKE_SA_INIT) {
		ikev2_sa_init_response(sa, msg, len, h, c);
		return;
	}
	r = ikev2_decrypt(sa, msg, len, h, c, &inner, NULL);
	if (r < 0) {
		ike_sa_log(sa, IKE_LOG_WARN, "%s response dropped: %s",
			   ikev2_exchange_name(h->exchange),
			   r == -EBADMSG ? "integrity check failed" : ikev2_perr_str(r));
		sa->e->stats.bad_messages++;
		return;
	}
	sa->last_rx = sa->e->now;
	follow_peer(sa, local, remote);
	ctx = sa->req_ctx;
	memset(&sa->req_ctx, 0, sizeof(sa->req_ctx));
	ikev2_request_done(sa);
	switch (kind) {
	case REQ_AUTH:
		ikev2_auth_response(sa, &inner);
		break;
	case REQ_CHILD_NEW:
	case REQ_CHILD_REKEY:
	case REQ_IKE_REKEY:
		ikev2_create_child_response(sa, kind, &ctx, &inner);
		break;
	default:
		ikev2_info_response(sa, kind, &ctx, &inner);
		break;
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
	if (r < 0) {
		ike_sa_log(sa, IKE_LOG_WARN, "%s request dropped: %s",
			   ikev2_exchange_name(h->exchange),
			   r == -EBADMSG ? "integrity check failed" : ikev2_perr_str(r));
		sa->e->stats.bad_messages++;
		return;
	}
	sa->last_rx = sa->e->now;
	follow_peer(sa, local, remote);
	switch (h->exchange) {
	case IKEV2_EXCH_IKE_AUTH:
		if (sa->state == IKE_S_HALF_OPEN)
			ikev2_auth_request(sa, &inner);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		if (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING)
			ikev2_create_child_request(sa, &inner);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		if (sa->state != IKE_S_HALF_OPEN)
			ikev2_info_request(sa, &inner);
		break;
	default:
		break;
	}
}

void ike_engine_input(struct ike_engine *e, const ike_addr_t *local,
		      const ike_addr_t *remote, const uint8_t *buf, size_t len,
		      uint64_t now_ms)
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
	memcpy(e->rxbuf, buf, len);       /* decryption works in place */
	r = ikev2_hdr_parse(e->rxbuf, len, &h);
	if (r == 0)
		r = ikev2_chain_parse(h.next_payload, e->rxbuf + IKEV2_HDR_LEN,
				      len - IKEV2_HDR_LEN, &c, &bad);
	if (r == IKEV2_E_CRITICAL && h.exchange == IKEV2_EXCH_IKE_SA_INIT &&
	    !(h.flags & IKEV2_FLAG_RESPONSE) && h.msgid == 0)
		ikev2_sa_init_unsupported(e, local, remote, &h, bad);
	if (r < 0) {
		char a[64];
		e->stats.bad_messages++;
		ike_log(e, IKE_LOG_DEBUG, "dropped datagram from %s: %s",
			ike_addr_str(remote, a, sizeof(a)), ikev2_perr_str(r));
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
		reap(e);
		return;
	}
	sa = sa_lookup(e, (h.flags & IKEV2_FLAG_INITIATOR) ? h.spi_r : h.spi_i);
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
	reap(e);
}

/* ---- timers ---- */

void ike_sa_schedule(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	uint64_t now = sa->e->now;

	if (cfg->rekey_time_s)
		sa->rekey_at = now + ike_jitter(cfg->rekey_time_s * 1000ull,
						cfg->rand_time_s * 1000ull);
	sa->dpd_at = cfg->dpd_delay_s ? sa->last_rx + cfg->dpd_delay_s * 1000ull : 0;
}

void ike_sa_run_pending(struct ike_sa *sa)
{
	if (sa->req_kind != REQ_NONE || sa->state != IKE_S_ESTABLISHED)
		return;
	if (sa->pending & PEND_DELETE_IKE) {
		sa->pending = 0;
		ikev2_delete_ike_start(sa);
	} else if (sa->pending & PEND_REKEY_IKE) {
		sa->pending &= ~PEND_REKEY_IKE;
		ikev2_rekey_ike_start(sa);
	} else if (sa->pending & PEND_DELETE_CHILD) {
		sa->pending &= ~PEND_DELETE_CHILD;
		ikev2_delete_child_start(sa, sa->pending_child_spi);
	} else if (sa->pending & PEND_REKEY_CHILD) {
		sa->pending &= ~PEND_REKEY_CHILD;
		ikev2_rekey_child_start(sa, sa->pending_child_spi);
	} else if (sa->pending & PEND_DPD) {
		sa->pending &= ~PEND_DPD;
		ikev2_dpd_start(sa);
	}
}

static void child_timers(struct ike_sa *sa, uint64_t now)
{
	for (struct ike_child *c = sa->children; c; c = c->next) {
		if (c->expire_at && now >= c->expire_at) {
			ike_sa_log(sa, IKE_LOG_INFO, "CHILD_SA %s %08x hard lifetime expired",
				   c->info.child, c->info.spi_in);
			c->expire_at = 0;
			sa->pending_child_spi = c->info.spi_in;
			sa->pending |= PEND_DELETE_CHILD;
		} else if (c->rekey_at && now >= c->rekey_at && c->state == CHILD_INSTALLED) {
			c->rekey_at = 0;
			sa->pending_child_spi = c->info.spi_in;
			sa->pending |= PEND_REKEY_CHILD;
		}
	}
}

/* Liveness check when the peer was silent for dpd_delay and we have no
 * request out (an outstanding request is itself a liveness check). */
static uint64_t dpd_due(const struct ike_sa *sa)
{
	uint64_t d = sa->conn->cfg.dpd_delay_s * 1000ull, t;

	if (!d || sa->req_kind != REQ_NONE || sa->state != IKE_S_ESTABLISHED)
		return UINT64_MAX;
	t = sa->last_rx + d;
	return t > sa->dpd_at ? t : sa->dpd_at;
}

static void sa_timers(struct ike_sa *sa, uint64_t now)
{
	if (sa->req_buf && sa->rtx_at && now >= sa->rtx_at)
		ikev2_retransmit(sa);
	if (sa->state == IKE_S_DEAD)
		return;
	if (sa->state == IKE_S_HALF_OPEN && now >= sa->created + 30000) {
		ike_sa_log(sa, IKE_LOG_INFO, "half-open IKE SA timed out waiting for IKE_AUTH");
		ike_sa_kill(sa, "half-open timeout");
		return;
	}
	if (sa->delete_at && now >= sa->delete_at) {
		ike_sa_kill(sa, "rekeyed SA not deleted by peer");
		return;
	}
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	if (sa->rekey_at && now >= sa->rekey_at) {
		sa->rekey_at = 0;
		sa->pending |= PEND_REKEY_IKE;
	}
	child_timers(sa, now);
	if (dpd_due(sa) <= now) {
		sa->pending |= PEND_DPD;
		sa->dpd_at = now + sa->conn->cfg.dpd_delay_s * 1000ull;
	}
	ike_sa_run_pending(sa);
}

void ike_engine_tick(struct ike_engine *e, uint64_t now_ms)
{
	struct ike_sa *sa;

	e->now = now_ms;
	while ((sa = ike_timer_pop_due(e, now_ms)) != NULL) {
		if (sa->state != IKE_S_DEAD)
			sa_timers(sa, now_ms);
		ike_timer_touch(sa);
	}
	reap(e);
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	if (!b)
		return a;
	return b < a ? b : a;
}

uint64_t ike_sa_deadline(const struct ike_sa *sa)
{
	uint64_t t = UINT64_MAX;

	if (sa->req_buf)
		t = min_nz(t, sa->rtx_at);
	if (sa->state == IKE_S_HALF_OPEN)
		t = min_nz(t, sa->created + 30000);
	t = min_nz(t, sa->delete_at);
	if (sa->state != IKE_S_ESTABLISHED)
		return t;
	t = min_nz(t, sa->rekey_at);
	t = min_nz(t, dpd_due(sa));
	for (const struct ike_child *c = sa->children; c; c = c->next) {
		t = min_nz(t, c->rekey_at);
		t = min_nz(t, c->expire_at);
	}
	if (sa->pending && sa->req_kind == REQ_NONE)
		t = min_nz(t, sa->e->now);
	return t;
}

uint64_t ike_engine_next_timer(const struct ike_engine *e)
{
	return ike_timer_next(e);
}

/* ---- control actions ---- */

static struct ike_sa *action_sa(struct ike_engine *e, const char *conn, uint64_t now, int *err)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;

	e->now = now;
	*err = -ENOENT;
	if (!c)
		return NULL;
	sa = ike_conn_sa(e, c);
	if (!sa || sa->state != IKE_S_ESTABLISHED)
		return NULL;
	*err = 0;
	return sa;
}

int ike_engine_initiate(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;
	int r;

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	if (c->cfg.remote_is_prefix)
		return -EDESTADDRREQ;      /* responder-only: no single peer address */
	sa = ike_conn_sa(e, c);
	if (sa)
		return sa->state == IKE_S_ESTABLISHED ? -EALREADY : -EBUSY;
	sa = ike_sa_new(e, c, true);
	if (!sa)
		return -ENOMEM;
	r = ikev2_sa_init_start(sa);
	if (r < 0)
		ike_sa_kill(sa, "could not start IKE_SA_INIT");
	reap(e);
	return r;
}

static int queue_action(struct ike_engine *e, const char *conn, uint64_t now, unsigned what)
{
	int err;
	struct ike_sa *sa = action_sa(e, conn, now, &err);

	if (!sa)
		return err;
	if (what & (PEND_REKEY_CHILD | PEND_DELETE_CHILD)) {
		struct ike_child *ch = sa->children;
		while (ch && ch->state != CHILD_INSTALLED)
			ch = ch->next;
		if (!ch)
			return -ENOENT;
		sa->pending_child_spi = ch->info.spi_in;
	}
	sa->pending |= what;
	ike_sa_run_pending(sa);
	ike_timer_touch(sa);
	reap(e);
	return 0;
}

int ike_engine_rekey_child(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return queue_action(e, conn, now_ms, PEND_REKEY_CHILD);
}

int ike_engine_rekey_ike(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return queue_action(e, conn, now_ms, PEND_REKEY_IKE);
}

int ike_engine_delete_child(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return queue_action(e, conn, now_ms, PEND_DELETE_CHILD);
}

int ike_engine_delete_ike(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	sa = ike_conn_sa(e, c);
	if (!sa)
		return -ENOENT;
	if (sa->state != IKE_S_ESTABLISHED) {
		/* Nothing authenticated to tell the peer: just forget it. */
		ike_sa_kill(sa, "deleted locally before establishment");
		ike_timer_touch(sa);
		reap(e);
		return 0;
	}
	return queue_action(e, conn, now_ms, PEND_DELETE_IKE);
}

int ike_engine_initiate_ex(struct ike_engine *e, const char *conn,
			   const struct ike_initiate_opts *o, uint64_t now_ms, uint64_t *spi_i)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;
	int r = 0;

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	if (c->cfg.remote_is_prefix || !c->cfg.n_children)
		return -EDESTADDRREQ;
	sa = ike_sa_new(e, c, true);
	if (!sa)
		return -ENOMEM;
	if (o && o->local)
		sa->local = *o->local;
	if (o && o->local_ts && o->remote_ts) {
		sa->own_child = malloc(sizeof(*sa->own_child));
		if (!sa->own_child) {
			r = -ENOMEM;
		} else {
			*sa->own_child = c->cfg.children[0];
			sa->own_child->n_local_ts = sa->own_child->n_remote_ts = 1;
			sa->own_child->local_ts[0] = *o->local_ts;
			sa->own_child->remote_ts[0] = *o->remote_ts;
		}
	}
	if (r == 0)
		r = ikev2_sa_init_start(sa);
	if (r < 0)
		ike_sa_kill(sa, "could not start IKE_SA_INIT");
	else if (spi_i)
		*spi_i = sa->spi_i;
	reap(e);
	return r;
}

static struct ike_sa *sa_by_spi(struct ike_engine *e, uint64_t spi, uint64_t now)
{
	struct ike_sa *sa = sa_lookup(e, spi);

	e->now = now;
	return sa && sa->state == IKE_S_ESTABLISHED ? sa : NULL;
}

int ike_engine_delete_sa(struct ike_engine *e, uint64_t our_spi, uint64_t now_ms)
{
	struct ike_sa *sa = sa_by_spi(e, our_spi, now_ms);

	if (!sa)
		return -ENOENT;
	sa->pending |= PEND_DELETE_IKE;
	ike_sa_run_pending(sa);
	ike_timer_touch(sa);
	reap(e);
	return 0;
}

int ike_engine_rekey_child_sa(struct ike_engine *e, uint64_t our_spi, uint64_t now_ms)
{
	struct ike_sa *sa = sa_by_spi(e, our_spi, now_ms);

	if (!sa || !sa->children)
		return -ENOENT;
	sa->pending_child_spi = sa->children->info.spi_in;
	sa->pending |= PEND_REKEY_CHILD;
	ike_sa_run_pending(sa);
	ike_timer_touch(sa);
	reap(e);
	return 0;
}

int ike_engine_dpd(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return queue_action(e, conn, now_ms, PEND_DPD);
}

void ike_engine_foreach_sa(struct ike_engine *e, ike_sa_visit_fn fn, void *arg)
{
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		struct ike_sa_summary s;

		if (sa->state == IKE_S_DEAD)
			continue;
		memset(&s, 0, sizeof(s));
		s.conn = sa->conn->cfg.name;
		s.spi_i = sa->spi_i;
		s.spi_r = sa->spi_r;
		s.initiator = sa->initiator;
		s.state = ike_sa_state_name(sa->state);
		s.algs = sa->algs;
		s.local = sa->local;
		s.remote = sa->remote;
		s.nat_local = sa->nat_local;
		s.nat_remote = sa->nat_remote;
		for (struct ike_child *c = sa->children;
		     c && s.n_children < IKE_MAX_CHILDREN * 2; c = c->next)
			s.children[s.n_children++] = &c->info;
		fn(arg, &s);
	}
}

void ike_engine_stats(const struct ike_engine *e, struct ike_stats *s)
{
	*s = e->stats;
	s->half_open = e->half_open;
	s->established = 0;
	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next)
		s->established += sa->state == IKE_S_ESTABLISHED;
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
