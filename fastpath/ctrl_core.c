/* SPDX-License-Identifier: BSD-3-Clause */
/* Control core: the single writer of the SAD and SPD, RCU reclamation,
 * worker notifications and punted packets. See ctrl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fastpath/ctrl_core_priv.h"

enum msg_type { MSG_ADD_SA, MSG_DEL_SA, MSG_SPD_REPLACE, MSG_SPD_PREPEND, MSG_SPD_DEL_SA };

/* A request on the ring: allocated by the sender, freed (wiped: it may
 * hold keys) by the control core. */
struct fp_msg {
	enum msg_type type;
	enum fp_dir dir;
	uint32_t spi;
	uint32_t n;
	struct fp_sa_params p;
	struct fp_spd_rule rules[];
};

enum defer_kind { D_SA_IN, D_SA_OUT, D_SLOT, D_FN };

/* Something taken out of a table, freed once every worker has passed a
 * quiescent state after token. */
struct fp_defer {
	struct fp_defer *next;
	uint64_t token;
	enum defer_kind kind;
	void *ptr;
	uint32_t slot;
	void (*fn)(void *); /* D_FN */
};

static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

static void msg_free(struct fp_msg *m)
{
	wipe(&m->p, sizeof(m->p));
	free(m);
}

static void ctrl_event(struct fp_ctrl *c, const struct fp_ctrl_event *ev)
{
	c->st.events++;
	if (c->cfg.on_event != NULL)
		c->cfg.on_event(c->cfg.arg, ev);
}

/* ---- deferred free ---- */

static int defer(struct fp_ctrl *c, enum defer_kind kind, void *ptr, uint32_t slot)
{
	struct fp_defer *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -ENOMEM;
	d->kind = kind;
	d->ptr = ptr;
	d->slot = slot;
	/* Workers that saw the old pointer hold it at most until their next
	 * quiescent state, which is after this token. */
	d->token = rte_rcu_qsbr_start(c->rcu);
	if (c->dq_tail != NULL)
		c->dq_tail->next = d;
	else
		c->dq_head = d;
	c->dq_tail = d;
	c->n_defer++;
	return 0;
}

int fp_ctrl_defer_free(struct fp_ctrl *c, void (*fn)(void *), void *ptr)
{
	int rc = defer(c, D_FN, ptr, 0);

	if (rc == 0)
		c->dq_tail->fn = fn;
	return rc;
}

static void sa_release(struct fp_sad_ent *e)
{
	fp_sa_fini(&e->sa);
	rte_free(e);
}

static void defer_run(struct fp_ctrl *c, struct fp_defer *d)
{
	switch (d->kind) {
	case D_SA_IN:
		fp_sad_release_in(c->sad, ((struct fp_sad_ent *)d->ptr)->hash_pos);
		sa_release(d->ptr);
		break;
	case D_SA_OUT: sa_release(d->ptr); break;
	case D_SLOT: fp_sad_out_release(c->sad, d->slot); break;
	case D_FN: d->fn(d->ptr); break;
	}
	c->st.freed++;
}

static unsigned reclaim(struct fp_ctrl *c, bool force)
{
	unsigned n = 0;

	while (c->dq_head != NULL &&
	       (force || rte_rcu_qsbr_check(c->rcu, c->dq_head->token, false) == 1)) {
		struct fp_defer *d = c->dq_head;

		c->dq_head = d->next;
		if (c->dq_head == NULL)
			c->dq_tail = NULL;
		defer_run(c, d);
		free(d);
		c->n_defer--;
		n++;
	}
	return n;
}

/* ---- outbound slots ---- */

/* Whether slot o is in use: an SA's, or named by a rule (an SA's PROTECT
 * rules, a trap's TRAP rules). Quarantined slots (SPI 0, no trap) are not. */
static bool slot_named(const struct fp_ctrl *c, const struct fp_sad_out *o)
{
	if (o->e != NULL)
		return true;
	if (o->trap)
		return fp_spd_db_names(c->spd_db, FP_SPD_TRAP, o->trap);
	return o->spi == 0 || fp_spd_db_names(c->spd_db, FP_SPD_PROTECT, o->spi);
}

/* A slot with no SA and no rule naming it is quarantined (SPI 0 and trap 0
 * never match) and freed after a grace period: an old SPD generation or
 * bucket may still send packets to the slot number until then (a trap's
 * then count as no_sa). Only the slots a change may have freed are looked
 * at: the SA's that went, the SPIs the SPD reports unnamed. */
static void slot_gc(struct fp_ctrl *c, int slot)
{
	struct fp_sad_out *o;

	if (slot < 0)
		return;
	o = &c->out[slot];
	if (!o->used || slot_named(c, o))
		return;
	fp_sad_out_quarantine(c->sad, (uint32_t)slot);
	if (defer(c, D_SLOT, NULL, (uint32_t)slot) != 0)
		fp_sad_out_release(c->sad, (uint32_t)slot); /* no memory: nothing better to do */
}

static void spd_unnamed(void *arg, enum fp_spd_action a, uint32_t spi)
{
	struct fp_ctrl *c = arg;

	slot_gc(c, a == FP_SPD_TRAP ? fp_sad_trap_slot(c->sad, spi, 0)
				    : fp_sad_out_slot(c->sad, spi, 0));
}

static int spd_retire(void *arg, void (*fn)(void *), void *p)
{
	return fp_ctrl_defer_free(arg, fn, p);
}

static int slot_of(void *arg, const struct fp_spd_rule *r)
{
	struct fp_ctrl *c = arg;

	if (r->action == FP_SPD_TRAP)
		return fp_sad_trap_slot(c->sad, r->spi, 1);
	return fp_sad_out_slot(c->sad, r->spi, 1);
}

/* ---- table changes (control core) ---- */

/* A new SAD entry for p, its SA initialised (keys expanded, header built). */
static int sa_entry_new(struct fp_ctrl *c, const struct fp_sa_params *p, struct fp_sad_ent **out,
			char *err, size_t errlen)
{
	struct fp_sad_ent *e = rte_zmalloc_socket("fp_sa", sizeof(*e), RTE_CACHE_LINE_SIZE,
						  c->cfg.socket);
	int rc;

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = fp_sa_init(&e->sa, p, c->be, err, errlen);
	if (rc != 0) {
		rte_free(e);
		return rc;
	}
	e->dir = (uint8_t)p->dir;
	e->key = fp_sa_key(p);
	e->child_id = p->child_id;
	memcpy(e->conn, p->conn, sizeof(e->conn));
	memcpy(e->child, p->child, sizeof(e->child));
	e->conn[sizeof(e->conn) - 1] = e->child[sizeof(e->child) - 1] = '\0';
	*out = e;
	return 0;
}

int fp_ctrl_add_sa(struct fp_ctrl *c, const struct fp_sa_params *p, char *err, size_t errlen)
{
	struct fp_sad_ent *e;
	int rc, slot;

	rc = sa_entry_new(c, p, &e, err, errlen);
	if (rc != 0)
		return rc;
	if (p->dir == FP_DIR_IN) {
		e->owner = (uint16_t)(p->spi % c->n_workers);
		rc = fp_sad_add_in(c->sad, e);
		if (rc == 0)
			c->st.sa_in++;
		else
			snprintf(err, errlen, "inbound SA 0x%08x: %s", p->spi,
				 rc == -EEXIST ? "SPI already installed" : "SAD full");
	} else {
		e->owner = FP_SAD_NO_OWNER;
		slot = fp_sad_out_slot(c->sad, e->key, 1);
		rc = slot < 0 ? slot : c->out[slot].e != NULL ? -EEXIST : 0;
		if (rc == 0) {
			fp_sad_set_out(c->sad, (uint32_t)slot, e);
			c->st.sa_out++;
		} else {
			snprintf(err, errlen, "outbound SA 0x%08x: %s", e->key,
				 rc == -EEXIST ? "already installed" : "no free slot");
		}
	}
	if (rc != 0)
		sa_release(e);
	return rc;
}

/* Sequence numbers a replaced outbound SA skips: more than its workers can
 * still take from the old SA during the grace period (a few bursts), so no
 * number goes out twice; the receiver's window takes the gap. */
#define FP_MOVE_SEQ_SKIP 65536u

int fp_ctrl_move_out_sa(struct fp_ctrl *c, const struct fp_sa_params *p, char *err, size_t errlen)
{
	int slot = fp_sad_out_slot(c->sad, fp_sa_key(p), 0);
	struct fp_sad_ent *e, *old;
	int rc;

	if (p->dir != FP_DIR_OUT || slot < 0 || c->out[slot].e == NULL) {
		snprintf(err, errlen, "outbound SA 0x%08x not installed", fp_sa_key(p));
		return -ENOENT;
	}
	rc = sa_entry_new(c, p, &e, err, errlen);
	if (rc != 0)
		return rc;
	e->owner = FP_SAD_NO_OWNER;
	old = c->out[slot].e;
	e->sa.stats = old->sa.stats;
	e->sa.life = old->sa.life; /* lifetime limits already reported */
	fp_sa_set_seq(&e->sa, __atomic_load_n(&old->sa.h.seq, __ATOMIC_RELAXED) + FP_MOVE_SEQ_SKIP);
	old = fp_sad_set_out(c->sad, (uint32_t)slot, e);
	fp_ctrl_if_follow(c, old, e);
	rc = defer(c, D_SA_OUT, old, 0);
	if (rc != 0) {
		/* No grace period to be had (out of memory): the old SA goes
		 * back, and the new one, which a worker may have seen, is left
		 * unfreed rather than freed under it. */
		fp_sad_set_out(c->sad, (uint32_t)slot, old);
		snprintf(err, errlen, "out of memory");
	}
	return rc;
}

int fp_ctrl_del_sa(struct fp_ctrl *c, enum fp_dir dir, uint32_t spi, char *err, size_t errlen)
{
	struct fp_sad_ent *e = NULL;
	int slot, rc;

	if (dir == FP_DIR_IN) {
		rc = fp_sad_del_in(c->sad, spi, &e);
		if (rc == 0) {
			c->st.sa_in--;
			return defer(c, D_SA_IN, e, 0);
		}
	} else {
		slot = fp_sad_out_slot(c->sad, spi, 0);
		if (slot >= 0 && c->out[slot].e != NULL) {
			fp_ctrl_if_follow(c, c->out[slot].e, NULL);
			e = fp_sad_set_out(c->sad, (uint32_t)slot, NULL);
			c->st.sa_out--;
			rc = defer(c, D_SA_OUT, e, 0);
			slot_gc(c, slot);
			return rc;
		}
		rc = -ENOENT;
	}
	snprintf(err, errlen, "%s SA 0x%08x not installed",
		 dir == FP_DIR_IN ? "inbound" : "outbound", spi);
	return rc;
}

/* After each SPD change: publishes it (or, for a batch of requests, leaves
 * that to fp_ctrl_poll(), once for the batch) and keeps the counters. */
static int spd_commit(struct fp_ctrl *c, int rc, char *err, size_t errlen)
{
	const struct fp_spd *before = c->spd;
	int crc;

	if (c->spd_batch) {
		c->spd_pending = true;
		return rc;
	}
	crc = fp_spd_db_commit(c->spd_db, rc ? NULL : err, rc ? 0 : errlen);
	c->st.spd_rules = fp_spd_db_count(c->spd_db);
	c->st.spd_acl_rules = fp_spd_rule_count(c->spd);
	c->st.spd_scan_rules = fp_spd_scan_count(c->spd);
	c->st.spd_exact_rules = fp_spd_exact_count(c->spd);
	c->st.spd_generation += c->spd != before;
	return rc ? rc : crc;
}

int fp_ctrl_replace_spd(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n, char *err,
			size_t errlen)
{
	return spd_commit(c, fp_spd_db_replace(c->spd_db, r, n, err, errlen), err, errlen);
}

int fp_ctrl_spd_prepend(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n, char *err,
			size_t errlen)
{
	return spd_commit(c, fp_spd_db_prepend(c->spd_db, r, n, err, errlen), err, errlen);
}

int fp_ctrl_spd_del_sa(struct fp_ctrl *c, uint32_t spi, char *err, size_t errlen)
{
	fp_spd_db_del(c->spd_db, FP_SPD_PROTECT, spi);
	return spd_commit(c, 0, err, errlen);
}

int fp_ctrl_spd_del_trap(struct fp_ctrl *c, uint32_t id, char *err, size_t errlen)
{
	fp_spd_db_del(c->spd_db, FP_SPD_TRAP, id);
	return spd_commit(c, 0, err, errlen);
}

/* A reload: rare, so a full replace of the list (O(rules)) that swaps
 * every tier at once. */
int fp_ctrl_spd_replace_config(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n,
			       char *err, size_t errlen)
{
	uint32_t have = fp_spd_db_count(c->spd_db), k = 0;
	struct fp_spd_rule *all = malloc((have + n + 1) * sizeof(*all));
	int rc;

	if (all == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	have = fp_spd_db_list(c->spd_db, all, have);
	for (uint32_t i = 0; i < have; i++)
		if (all[i].origin != FP_SPD_CONFIG)
			all[k++] = all[i];
	for (uint32_t i = 0; i < n; i++) {
		all[k] = r[i];
		all[k++].origin = FP_SPD_CONFIG;
	}
	rc = fp_ctrl_replace_spd(c, all, k, err, errlen);
	free(all);
	return rc;
}

int fp_ctrl_spd_retarget(struct fp_ctrl *c, uint32_t old_spi, uint32_t new_spi, char *err,
			 size_t errlen)
{
	return spd_commit(c, fp_spd_db_retarget(c->spd_db, old_spi, new_spi, err, errlen), err,
			  errlen);
}

/* ---- requests ---- */

static int req_send(struct fp_ctrl *c, struct fp_msg *m)
{
	if (rte_ring_mp_enqueue(c->req, m) != 0) {
		msg_free(m);
		return -ENOBUFS;
	}
	return 0;
}

static struct fp_msg *msg_new(enum msg_type t, uint32_t nrules)
{
	struct fp_msg *m = calloc(1, sizeof(*m) + nrules * sizeof(struct fp_spd_rule));

	if (m != NULL) {
		m->type = t;
		m->n = nrules;
	}
	return m;
}

int fp_ctrl_req_add_sa(struct fp_ctrl *c, const struct fp_sa_params *p)
{
	struct fp_msg *m = msg_new(MSG_ADD_SA, 0);

	if (m == NULL)
		return -ENOMEM;
	m->p = *p;
	m->dir = p->dir;
	m->spi = p->spi;
	return req_send(c, m);
}

int fp_ctrl_req_del_sa(struct fp_ctrl *c, enum fp_dir dir, uint32_t spi)
{
	struct fp_msg *m = msg_new(MSG_DEL_SA, 0);

	if (m == NULL)
		return -ENOMEM;
	m->dir = dir;
	m->spi = spi;
	return req_send(c, m);
}

static int req_rules(struct fp_ctrl *c, enum msg_type t, const struct fp_spd_rule *r, uint32_t n)
{
	struct fp_msg *m;

	if (n > FP_SPD_MAX_RULES)
		return -E2BIG;
	m = msg_new(t, n);
	if (m == NULL)
		return -ENOMEM;
	if (n != 0)
		memcpy(m->rules, r, n * sizeof(*r));
	return req_send(c, m);
}

int fp_ctrl_req_replace_spd(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n)
{
	return req_rules(c, MSG_SPD_REPLACE, r, n);
}

int fp_ctrl_req_spd_prepend(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n)
{
	return req_rules(c, MSG_SPD_PREPEND, r, n);
}

int fp_ctrl_req_spd_del_sa(struct fp_ctrl *c, uint32_t spi)
{
	struct fp_msg *m = msg_new(MSG_SPD_DEL_SA, 0);

	if (m == NULL)
		return -ENOMEM;
	m->spi = spi;
	return req_send(c, m);
}

static void msg_apply(struct fp_ctrl *c, struct fp_msg *m)
{
	char err[160] = "";
	int rc = -EINVAL;

	switch (m->type) {
	case MSG_ADD_SA: rc = fp_ctrl_add_sa(c, &m->p, err, sizeof(err)); break;
	case MSG_DEL_SA: rc = fp_ctrl_del_sa(c, m->dir, m->spi, err, sizeof(err)); break;
	case MSG_SPD_REPLACE: rc = fp_ctrl_replace_spd(c, m->rules, m->n, err, sizeof(err)); break;
	case MSG_SPD_PREPEND: rc = fp_ctrl_spd_prepend(c, m->rules, m->n, err, sizeof(err)); break;
	case MSG_SPD_DEL_SA: rc = fp_ctrl_spd_del_sa(c, m->spi, err, sizeof(err)); break;
	}
	if (rc == 0) {
		c->st.req_ok++;
	} else {
		struct fp_ctrl_event ev = {
			.type = FP_EV_REQ_FAILED,
			.dir = m->dir,
			.spi = m->spi,
			.rc = rc,
			.why = err,
		};
		c->st.req_failed++;
		ctrl_event(c, &ev);
	}
	msg_free(m);
}

/* ---- the control loop ---- */

static void spd_batch_commit(struct fp_ctrl *c)
{
	char err[160] = "";
	int rc;

	c->spd_pending = false;
	rc = spd_commit(c, 0, err, sizeof(err));
	if (rc != 0) {
		struct fp_ctrl_event ev = { .type = FP_EV_REQ_FAILED, .rc = rc, .why = err };

		c->st.req_failed++;
		ctrl_event(c, &ev);
	}
}

static unsigned notes_drain(struct fp_ctrl *c)
{
	struct fp_note nb[32];
	unsigned n = rte_ring_sc_dequeue_burst_elem(c->note, nb, sizeof(nb[0]), 32, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct fp_ctrl_event ev = { .dir = (enum fp_dir)nb[i].dir, .spi = nb[i].spi };

		if (nb[i].flags & FP_SA_F_SEQ_OVERFLOW)
			ev.type = FP_EV_SEQ_OVERFLOW;
		else if (nb[i].flags & FP_SA_F_HARD_EXPIRED)
			ev.type = FP_EV_HARD_EXPIRED;
		else
			ev.type = FP_EV_SOFT_EXPIRED;
		ctrl_event(c, &ev);
		/* A hard expiry may arrive together with the soft one. */
		if ((nb[i].flags & FP_SA_F_SOFT_EXPIRED) && ev.type != FP_EV_SOFT_EXPIRED) {
			ev.type = FP_EV_SOFT_EXPIRED;
			ctrl_event(c, &ev);
		}
	}
	return n;
}

static unsigned punts_drain(struct fp_ctrl *c)
{
	void *mb[32];
	unsigned n = rte_ring_sc_dequeue_burst(c->punt, mb, 32, NULL);

	for (unsigned i = 0; i < n; i++) {
		c->st.punted++;
		if (((struct rte_mbuf *)mb[i])->nb_segs > 1)
			__atomic_sub_fetch(&c->punt_chains, 1, __ATOMIC_RELAXED);
		if (c->cfg.on_punt != NULL)
			c->cfg.on_punt(c->cfg.arg, mb[i]);
		else
			rte_pktmbuf_free(mb[i]);
	}
	return n;
}

static unsigned acquires_drain(struct fp_ctrl *c)
{
	uint32_t ids[32];
	unsigned n = rte_ring_sc_dequeue_burst_elem(c->acq, ids, sizeof(ids[0]), 32, NULL);

	c->st.acquires += n;
	for (unsigned i = 0; i < n && c->cfg.on_acquire != NULL; i++)
		c->cfg.on_acquire(c->cfg.arg, ids[i]);
	return n;
}

unsigned fp_ctrl_poll(struct fp_ctrl *c)
{
	void *msgs[16];
	unsigned n = rte_ring_sc_dequeue_burst(c->req, msgs, 16, NULL), work = n;

	/* One SPD commit for the batch: a rest tier rebuilt once, not per
	 * message (a batch is at most 16 messages: the delay is bounded). */
	c->spd_batch = true;
	for (unsigned i = 0; i < n; i++)
		msg_apply(c, msgs[i]);
	c->spd_batch = false;
	if (c->spd_pending)
		spd_batch_commit(c);
	work += reclaim(c, false);
	work += notes_drain(c);
	work += punts_drain(c);
	work += acquires_drain(c);
	return work;
}

uint32_t fp_ctrl_spd_result(const struct fp_ctrl *c, uint8_t family, uint8_t proto,
			    const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	uint32_t res = 0;

	if (family == 4) {
		struct fp_spd_key4 k = { .proto = proto,
					 .sport = rte_cpu_to_be_16(sport),
					 .dport = rte_cpu_to_be_16(dport) };
		const struct fp_spd_key4 *kp = &k;

		memcpy(&k.src, src, 4);
		memcpy(&k.dst, dst, 4);
		fp_spd_classify4(c->spd, &kp, &res, 1);
	} else {
		struct fp_spd_key6 k = { .proto = proto,
					 .sport = rte_cpu_to_be_16(sport),
					 .dport = rte_cpu_to_be_16(dport) };
		const struct fp_spd_key6 *kp = &k;

		memcpy(k.src, src, 16);
		memcpy(k.dst, dst, 16);
		fp_spd_classify6(c->spd, &kp, &res, 1);
	}
	return res;
}

enum fp_spd_action fp_ctrl_spd_lookup(const struct fp_ctrl *c, uint8_t family, uint8_t proto,
				      const uint8_t *src, const uint8_t *dst, uint16_t sport,
				      uint16_t dport)
{
	return fp_spd_action(fp_ctrl_spd_result(c, family, proto, src, dst, sport, dport));
}

bool fp_ctrl_has_in_sa(const struct fp_ctrl *c, uint32_t spi)
{
	return fp_ctrl_in_sa(c, spi) != NULL;
}

struct fp_sa *fp_ctrl_in_sa(const struct fp_ctrl *c, uint32_t spi)
{
	struct fp_sad_ent *e = fp_sad_find_in(c->sad, spi);

	return e ? &e->sa : NULL;
}

int fp_ctrl_out_slot(const struct fp_ctrl *c, uint32_t spi)
{
	int slot = fp_sad_out_slot(c->sad, spi, 0);

	return slot >= 0 && fp_sad_get_out(c->out, (uint32_t)slot) ? slot : -ENOENT;
}

struct fp_sa *fp_ctrl_out_sa(const struct fp_ctrl *c, uint32_t spi)
{
	int slot = fp_sad_out_slot(c->sad, spi, 0);

	return slot >= 0 ? fp_sad_get_out(c->out, (uint32_t)slot) : NULL;
}

uint32_t fp_ctrl_n_rules(const struct fp_ctrl *c)
{
	return fp_spd_db_count(c->spd_db);
}

uint32_t fp_ctrl_max_sa(const struct fp_ctrl *c)
{
	return fp_sad_max(c->sad);
}

uint32_t fp_ctrl_max_rules(const struct fp_ctrl *c)
{
	return c->cfg.max_rules ? c->cfg.max_rules
				: RTE_MAX(FP_SPD_MAX_RULES, 4 * fp_sad_max(c->sad));
}

void fp_ctrl_get_stats(const struct fp_ctrl *c, struct fp_ctrl_stats *s)
{
	*s = c->st;
	s->defer_pending = c->n_defer;
}

unsigned fp_ctrl_pending(const struct fp_ctrl *c)
{
	return c->n_defer;
}

/* ---- workers ---- */

int fp_ctrl_worker_join(struct fp_ctrl *c, unsigned id, struct fp_worker *w)
{
	int rc;

	if (id >= c->n_workers)
		return -EINVAL;
	rc = rte_rcu_qsbr_thread_register(c->rcu, id);
	if (rc == 0)
		rte_rcu_qsbr_thread_online(c->rcu, id);
	c->workers[id] = w;
	return rc;
}

void fp_ctrl_worker_leave(struct fp_ctrl *c, unsigned id)
{
	if (id >= c->n_workers)
		return;
	rte_rcu_qsbr_thread_offline(c->rcu, id);
	rte_rcu_qsbr_thread_unregister(c->rcu, id);
}

unsigned fp_ctrl_n_workers(const struct fp_ctrl *c)
{
	return c->n_workers;
}

/* ---- create / free ---- */

static struct rte_ring *ring_new(const char *pfx, const char *what, unsigned size, int socket,
				 unsigned flags, unsigned esize)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "%.12s_%.8s", pfx, what);
	return esize ? rte_ring_create_elem(name, esize, size, socket, flags)
		     : rte_ring_create(name, size, socket, flags);
}

struct fp_ctrl *fp_ctrl_create(const struct fp_ctrl_cfg *cfg, char *err, size_t errlen)
{
	unsigned nw = cfg->n_workers, rs = cfg->ring_size ? cfg->ring_size : 1024;
	const char *pfx = cfg->name ? cfg->name : "fp";
	struct fp_ctrl *c;
	size_t sz;
	char nm[32];

	if (nw == 0 || nw > FP_MAX_WORKERS || !rte_is_power_of_2(rs)) {
		snprintf(err, errlen, "workers 1..%u, ring size a power of two", FP_MAX_WORKERS);
		return NULL;
	}
	c = rte_zmalloc_socket("fp_ctrl", sizeof(*c), RTE_CACHE_LINE_SIZE, cfg->socket);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->n_workers = nw;
	c->be = cfg->be ? cfg->be : &fp_crypto_imb;
	snprintf(nm, sizeof(nm), "%.12s_sad", pfx);
	c->sad = fp_sad_create(nm, cfg->max_sa ? cfg->max_sa : 1024, cfg->socket);
	if (c->sad != NULL)
		c->out = fp_sad_out_table(c->sad);
	/* One RCU thread per worker plus one for telemetry readers. */
	sz = rte_rcu_qsbr_get_memsize(nw + 1);
	c->rcu = rte_zmalloc_socket("fp_rcu", sz, RTE_CACHE_LINE_SIZE, cfg->socket);
	if (c->rcu != NULL)
		rte_rcu_qsbr_init(c->rcu, nw + 1);
	/* Requests and notes: many producers, the control core consumes. */
	c->req = ring_new(pfx, "req", rs, cfg->socket, RING_F_SC_DEQ, 0);
	c->note = ring_new(pfx, "note", rs, cfg->socket, RING_F_SC_DEQ, sizeof(struct fp_note));
	c->punt = ring_new(pfx, "punt", rs, cfg->socket, RING_F_SC_DEQ, 0);
	c->acq = ring_new(pfx, "acq", cfg->acquire_ring_size ? cfg->acquire_ring_size : 256,
			  cfg->socket, RING_F_SC_DEQ, sizeof(uint32_t));
	c->acq_interval = rte_get_tsc_hz() / 1000 *
			  (cfg->acquire_interval_ms ? cfg->acquire_interval_ms : 1000);
	for (unsigned i = 0; i < nw; i++) {
		snprintf(nm, sizeof(nm), "ho%u", i);
		c->handoff[i] = ring_new(pfx, nm, rs, cfg->socket, RING_F_SC_DEQ, 0);
	}
	struct fp_spd_db_cfg sc = {
		.max_rules = c->sad ? fp_ctrl_max_rules(c) : FP_SPD_MAX_RULES,
		.socket = cfg->socket,
		.slot_of = slot_of,
		.retire = spd_retire,
		.unnamed = spd_unnamed,
		.arg = c,
		.publish = &c->spd,
	};
	c->spd_db = fp_spd_db_create(&sc, err, errlen);
	bool ok = c->sad && c->rcu && c->req && c->note && c->punt && c->acq && c->spd_db;
	for (unsigned i = 0; i < nw; i++)
		ok = ok && c->handoff[i] != NULL;
	if (!ok || rte_rcu_qsbr_thread_register(c->rcu, nw) != 0) {
		snprintf(err, errlen, "cannot create tables/rings: %s", rte_strerror(rte_errno));
		fp_ctrl_free(c);
		return NULL;
	}
	return c;
}

static void free_all_sa(void *arg, struct fp_sad_ent *e)
{
	(void)arg;
	sa_release(e);
}

void fp_ctrl_free(struct fp_ctrl *c)
{
	void *p;

	if (c == NULL)
		return;
	while (c->req && rte_ring_sc_dequeue(c->req, &p) == 0)
		msg_free(p);
	while (c->punt && rte_ring_sc_dequeue(c->punt, &p) == 0)
		rte_pktmbuf_free(p);
	for (unsigned i = 0; i < c->n_workers; i++) {
		while (c->handoff[i] && rte_ring_sc_dequeue(c->handoff[i], &p) == 0)
			rte_pktmbuf_free(p);
		rte_ring_free(c->handoff[i]);
	}
	reclaim(c, true);
	if (c->sad != NULL) {
		fp_sad_foreach(c->sad, free_all_sa, NULL);
		fp_sad_free(c->sad);
	}
	fp_spd_db_free(c->spd_db); /* after the deferred frees: it owns the rest */
	fp_ctrl_if_free(c);
	rte_ring_free(c->req);
	rte_ring_free(c->note);
	rte_ring_free(c->punt);
	rte_ring_free(c->acq);
	rte_free(c->rcu);
	rte_free(c);
}

struct rte_rcu_qsbr *fp_ctrl_rcu(const struct fp_ctrl *c)
{
	return c->rcu;
}
