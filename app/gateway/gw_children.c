/* SPDX-License-Identifier: BSD-3-Clause */
/* The CHILD SAs the gateway installed in the fast path for IKE, by inbound
 * SPI (ours, unique in the SAD). Only these are taken out again: the
 * outbound SPI is the peer's choice, and a CHILD_DOWN for a child whose
 * install failed (another peer already uses that outbound SPI) must not
 * remove that peer's SA and policies. See gw.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "ike/ike.h"
#include "app/common/log.h"
#include "app/gateway/gw.h"

struct gw_child {
	uint32_t spi_in, spi_out;
	uint32_t if_id; /* route-based: its tunnel interface, not policies */
	/* A rekeyed child waiting for its predecessor's CHILD_DOWN: the
	 * predecessor's outbound SA (its key: the predecessor's inbound SPI,
	 * gw.c), whose policies it then takes over. */
	uint32_t prev_out;
	uint64_t ts_hash;              /* its selectors (same: a plain rekey) */
	uint64_t ike_spi_i, ike_spi_r; /* its IKE SA, followed over IKE rekeys */
	uint64_t packets;              /* inbound packets when last looked at */
	/* The loser of a simultaneous rekey (2.8.1): it is deleted soon and
	 * never takes the policies (inbound only until then). */
	bool redundant;
};

/* An inbound SA of a child that went down, kept a little for the packets
 * the peer sent before it heard of the delete. */
struct gw_dying {
	uint32_t spi_in;
	uint64_t at; /* app_mono_ms() when it goes */
};
/* Room for the removals of a quarter of the SAD's size within the grace
 * period (1,000 rekeys a second need 2,000), at least this many. */
#define GW_DYING_MIN 1024u

/* The children are found by their inbound SPI (ours, unique in the SAD)
 * through an index of positions in v, not by a scan: at 100,000 tunnels
 * every event would cost a walk of all of them. The fast path names a
 * child's outbound SA by that SPI too (its key, gw.c): the outbound SPI is
 * the peer's choice, and two peers may choose the same. Children waiting for a predecessor's
 * policies (prev_out set) exist only for the moment of a rekey: those
 * few are kept in pend (their inbound SPIs) and scanned. */
struct app_gw_children {
	struct fp_ctrl *ctrl;
	struct gw_child *v;
	unsigned n, cap;
	struct rte_hash *by_in;
	uint32_t *pend;
	unsigned n_pend, cap_pend;
	/* a FIFO (all wait the same time): the oldest at head */
	struct gw_dying *dying;
	unsigned dying_cap, dying_head, n_dying;
};

static struct rte_hash *index_new(const char *what, uint32_t entries)
{
	static unsigned seq;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries < 64 ? 64 : entries,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
	};

	snprintf(name, sizeof(name), "gwch_%s_%u", what, seq++);
	return rte_hash_create(&hp);
}

struct app_gw_children *app_gw_children_new(struct fp_ctrl *c)
{
	struct app_gw_children *ch = calloc(1, sizeof(*ch));

	if (!ch || !c)
		return ch;
	ch->ctrl = c;
	/* a child holds an SA of each direction: no more than the SAD */
	ch->by_in = index_new("in", fp_ctrl_max_sa(c));
	ch->dying_cap = RTE_MAX(GW_DYING_MIN, fp_ctrl_max_sa(c) / 4);
	ch->dying = calloc(ch->dying_cap, sizeof(*ch->dying));
	if (!ch->by_in || !ch->dying) {
		app_gw_children_free(ch);
		return NULL;
	}
	return ch;
}

void app_gw_children_free(struct app_gw_children *ch)
{
	if (ch) {
		app_gw_children_reap(ch, UINT64_MAX);
		rte_hash_free(ch->by_in);
		free(ch->dying);
		free(ch->pend);
		free(ch->v);
		free(ch);
	}
}

/* Position of the child whose inbound SA has this SPI (also the key of
 * its outbound SA), or -1. */
static int child_at(const struct app_gw_children *ch, uint32_t spi)
{
	void *pos;

	if (rte_hash_lookup_data(ch->by_in, &spi, &pos) < 0)
		return -1;
	return (int)(uintptr_t)pos;
}

static int child_find(const struct app_gw_children *ch, uint32_t spi_in, uint32_t spi_out)
{
	int i = ch->by_in ? child_at(ch, spi_in) : -1;

	return i >= 0 && ch->v[i].spi_out == spi_out ? i : -1;
}

/* v[i] is where it is (added or moved): the indexes say so. */
static int index_put(struct app_gw_children *ch, unsigned i)
{
	void *pos = (void *)(uintptr_t)i;

	return rte_hash_add_key_data(ch->by_in, &ch->v[i].spi_in, pos) != 0 ? -ENOSPC : 0;
}

static void pend_add(struct app_gw_children *ch, uint32_t spi_in)
{
	if (ch->n_pend == ch->cap_pend) {
		unsigned cap = ch->cap_pend ? 2 * ch->cap_pend : 16;
		uint32_t *p = realloc(ch->pend, cap * sizeof(*p));

		if (!p) /* it just never takes the old policies: they go with the old SA */
			return;
		ch->pend = p;
		ch->cap_pend = cap;
	}
	ch->pend[ch->n_pend++] = spi_in;
}

static void pend_del(struct app_gw_children *ch, uint32_t spi_in)
{
	for (unsigned k = 0; k < ch->n_pend; k++)
		if (ch->pend[k] == spi_in) {
			ch->pend[k] = ch->pend[--ch->n_pend];
			return;
		}
}

/* The pending child k, or NULL when it is gone. */
static struct gw_child *pend_child(struct app_gw_children *ch, unsigned k)
{
	int i = child_at(ch, ch->pend[k]);

	return i >= 0 ? &ch->v[i] : NULL;
}

/* v[i] leaves: the last one takes its place. */
static void child_drop(struct app_gw_children *ch, unsigned i)
{
	struct gw_child *c = &ch->v[i];

	rte_hash_del_key(ch->by_in, &c->spi_in);
	if (c->prev_out)
		pend_del(ch, c->spi_in);
	*c = ch->v[--ch->n];
	if (i < ch->n)
		index_put(ch, i); /* keys already there: only their data changes */
}

/* FNV-1a over the child's selectors. */
static uint64_t ts_hash(const struct ike_child_info *ci)
{
	const uint8_t *p[2] = { (const uint8_t *)ci->local_ts, (const uint8_t *)ci->remote_ts };
	size_t len[2] = { ci->n_local_ts * sizeof(ci->local_ts[0]),
			  ci->n_remote_ts * sizeof(ci->remote_ts[0]) };
	uint64_t h = 0xcbf29ce484222325ull ^ ci->n_local_ts;

	for (unsigned k = 0; k < 2; k++)
		for (size_t i = 0; i < len[k]; i++)
			h = (h ^ p[k][i]) * 0x100000001b3ull;
	return h;
}

/* The installed child a rekeyed ci replaces with the same selectors (and
 * whose policies it will take over), or NULL. */
static const struct gw_child *predecessor(const struct app_gw_children *ch,
					  const struct ike_child_info *ci)
{
	int i = ci->old_spi_in ? child_at(ch, ci->old_spi_in) : -1;

	return i >= 0 && ch->v[i].ts_hash == ts_hash(ci) ? &ch->v[i] : NULL;
}

/* How a child's traffic reaches its outbound SA: its policies in the SPD,
 * or, route-based (if_id), the tunnel interface routes lead into. These
 * three put them in place, move them from one SA to another (make before
 * break: a rekey), and take them out. */
static int sel_take(struct app_gw_children *ch, const struct ike_child_info *ci,
		    const struct fp_spd_rule *rules, unsigned n, char *err, size_t errlen)
{
	if (ci->if_id)
		return fp_ctrl_if_bind(ch->ctrl, ci->if_id, ci->spi_in, err, errlen);
	return fp_ctrl_spd_prepend(ch->ctrl, rules, n, err, errlen);
}

static int sel_move(struct app_gw_children *ch, uint32_t if_id, uint32_t from, uint32_t to,
		    char *err, size_t errlen)
{
	if (if_id)
		return fp_ctrl_if_bind(ch->ctrl, if_id, to, err, errlen);
	return fp_ctrl_spd_retarget(ch->ctrl, from, to, err, errlen);
}

/* -ENOENT of an interface: another child sends on it now, nothing to do. */
static int sel_drop(struct app_gw_children *ch, uint32_t if_id, uint32_t key, char *err,
		    size_t errlen)
{
	if (if_id) {
		fp_ctrl_if_unbind(ch->ctrl, if_id, key);
		return 0;
	}
	return fp_ctrl_spd_del_sa(ch->ctrl, key, err, errlen);
}

/* The peer's new SA lost the simultaneous rekey to ours, win (2.8.1): it
 * never carries traffic. If the old SA's policies went to it already (the
 * old one went down first), they move on to ours now. */
static void demote(struct app_gw_children *ch, uint32_t spi_in, struct gw_child *win)
{
	int i = child_at(ch, spi_in);
	struct gw_child *r = i >= 0 ? &ch->v[i] : NULL;
	char err[160];

	if (!r || r == win)
		return;
	r->redundant = true;
	if (win->prev_out != r->spi_in)
		return;
	if (sel_move(ch, win->if_id, r->spi_in, win->spi_in, err, sizeof(err)) == 0) {
		win->prev_out = 0;
		pend_del(ch, win->spi_in);
	} else {
		app_log(IKE_LOG_ERR,
			"fastpath: policies of CHILD_SA in 0x%08x not moved to in 0x%08x: %s",
			r->spi_in, win->spi_in, err);
	}
}

/* The child just installed in the fast path goes into v and the indexes;
 * when that cannot be (out of memory), out of the fast path again. */
static int child_keep(struct app_gw_children *ch, const struct ike_child_info *ci,
		      const struct gw_child *prev, unsigned n_rules, char *err, size_t errlen)
{
	char e2[160];

	ch->v[ch->n] = (struct gw_child){ .spi_in = ci->spi_in,
					  .spi_out = ci->spi_out,
					  .if_id = ci->if_id,
					  .prev_out = prev ? prev->spi_in : 0,
					  .ts_hash = ts_hash(ci),
					  .ike_spi_i = ci->ike_spi_i,
					  .ike_spi_r = ci->ike_spi_r,
					  .redundant = ci->redundant };
	if (index_put(ch, ch->n) == 0) {
		if (ch->v[ch->n].prev_out)
			pend_add(ch, ci->spi_in);
		ch->n++;
		return 0;
	}
	if (!prev && !ci->redundant && (n_rules || ci->if_id))
		sel_drop(ch, ci->if_id, ci->spi_in, e2, sizeof(e2));
	fp_ctrl_del_sa(ch->ctrl, FP_DIR_OUT, ci->spi_in, e2, sizeof(e2));
	fp_ctrl_del_sa(ch->ctrl, FP_DIR_IN, ci->spi_in, e2, sizeof(e2));
	snprintf(err, errlen, "the gateway's index of CHILD SAs is full");
	return -ENOSPC;
}

int app_gw_install_child(struct app_gw_children *ch, const struct ike_child_info *ci, char *err,
			 size_t errlen)
{
	struct fp_sa_params in, out;
	struct fp_spd_rule rules[IKE_MAX_TS * IKE_MAX_TS];
	const struct gw_child *prev;
	char e2[160];
	unsigned n;
	int rc;

	if (ch->ctrl == NULL) {
		snprintf(err, errlen, "no fast path");
		return -ENODEV;
	}
	if (ch->n == ch->cap) {
		unsigned cap = ch->cap ? 2 * ch->cap : 64;
		struct gw_child *c = realloc(ch->v, cap * sizeof(*c));

		if (c == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		ch->v = c;
		ch->cap = cap;
	}
	rc = app_gw_child_params(ci, &in, &out, rules, RTE_DIM(rules), &n, err, errlen);
	prev = rc == 0 ? predecessor(ch, ci) : NULL;
	if (rc == 0 && (rc = fp_ctrl_add_sa(ch->ctrl, &in, err, errlen)) == 0) {
		/* Fail closed: without its outbound SA or its policies, no part
		 * of the child stays (the caller deletes it through IKE). A
		 * plain rekey (same selectors) takes no policies yet: traffic
		 * stays on the old SA until its CHILD_DOWN, when the peer has
		 * the new one for certain (make before break). Otherwise the
		 * new policies go in front. */
		if ((rc = fp_ctrl_add_sa(ch->ctrl, &out, err, errlen)) == 0 && !prev &&
		    !ci->redundant && (rc = sel_take(ch, ci, rules, n, err, errlen)) != 0)
			fp_ctrl_del_sa(ch->ctrl, FP_DIR_OUT, ci->spi_in, e2, sizeof(e2));
		if (rc != 0)
			fp_ctrl_del_sa(ch->ctrl, FP_DIR_IN, ci->spi_in, e2, sizeof(e2));
	}
	if (rc == 0)
		rc = child_keep(ch, ci, prev, n, err, errlen);
	if (rc == 0 && ci->redundant_in)
		demote(ch, ci->redundant_in, &ch->v[ch->n - 1]);
	ike_wipe(&in, sizeof(in));
	ike_wipe(&out, sizeof(out));
	return rc;
}

static struct gw_child *successor(struct app_gw_children *ch, uint32_t key)
{
	for (unsigned k = 0; k < ch->n_pend; k++) {
		struct gw_child *c = pend_child(ch, k);

		if (c && c->prev_out == key && !c->redundant)
			return c;
	}
	return NULL;
}

/* The inbound SA stays GW_INBOUND_GRACE_MS; false: no room, remove now. */
static bool dying_add(struct app_gw_children *ch, uint32_t spi_in)
{
	if (ch->n_dying == ch->dying_cap)
		return false;
	ch->dying[(ch->dying_head + ch->n_dying++) % ch->dying_cap] =
		(struct gw_dying){ spi_in, app_mono_ms() + GW_INBOUND_GRACE_MS };
	return true;
}

/* From the head only: the entries are in the order they fall due. */
unsigned app_gw_children_reap(struct app_gw_children *ch, uint64_t now)
{
	unsigned n = 0;
	char err[160];

	while (ch->n_dying && ch->dying[ch->dying_head].at <= now) {
		fp_ctrl_del_sa(ch->ctrl, FP_DIR_IN, ch->dying[ch->dying_head].spi_in, err,
			       sizeof(err));
		ch->dying_head = (ch->dying_head + 1) % ch->dying_cap;
		ch->n_dying--;
		n++;
	}
	return n;
}

int app_gw_remove_child(struct app_gw_children *ch, const struct ike_child_info *ci, char *err,
			size_t errlen)
{
	int i = child_find(ch, ci->spi_in, ci->spi_out), rc;
	struct gw_child *next;

	if (ch->ctrl == NULL) {
		snprintf(err, errlen, "no fast path");
		return -ENODEV;
	}
	if (i < 0) {
		snprintf(err, errlen, "not installed here");
		return -ENOENT;
	}
	/* Policies first: while one names the outbound SPI, the SA stays
	 * (its traffic is dropped rather than sent where another child with
	 * that SPI would take it), and so does the entry, for a retry. A
	 * successor waiting for them takes them over. */
	next = successor(ch, ci->spi_in);
	rc = next ? sel_move(ch, ci->if_id, ci->spi_in, next->spi_in, err, errlen)
		  : sel_drop(ch, ci->if_id, ci->spi_in, err, errlen);
	if (rc != 0)
		return rc;
	if (next) {
		/* In a rekey collision both new CHILD SAs wait for the old one;
		 * the other now waits for the one that got the policies (the
		 * redundant one's CHILD_DOWN hands them on). */
		for (unsigned k = 0; k < ch->n_pend; k++) {
			struct gw_child *c = pend_child(ch, k);

			if (c && c != next && c->prev_out == ci->spi_in)
				c->prev_out = next->spi_in;
		}
		next->prev_out = 0;
		pend_del(ch, next->spi_in);
	}
	child_drop(ch, (unsigned)i);
	if (fp_ctrl_del_sa(ch->ctrl, FP_DIR_OUT, ci->spi_in, err, errlen) != 0)
		rc = -ENOENT;
	if (!dying_add(ch, ci->spi_in) &&
	    fp_ctrl_del_sa(ch->ctrl, FP_DIR_IN, ci->spi_in, err, errlen) != 0)
		rc = -ENOENT;
	return rc;
}

bool app_gw_child_of(const struct app_gw_children *ch, enum fp_dir dir, uint32_t spi,
		     uint32_t *spi_in)
{
	/* either dir: an outbound SA's key is its child's inbound SPI */
	int i = ch->by_in ? child_at(ch, spi) : -1;

	(void)dir;
	if (i >= 0)
		*spi_in = ch->v[i].spi_in;
	return i >= 0;
}

bool app_gw_spi_in_use(const struct app_gw_children *ch, uint32_t spi)
{
	/* an inbound SPI of ours names the child's outbound SA too (gw.c):
	 * not one a static outbound SA is named by either */
	return ch->ctrl != NULL &&
	       (fp_ctrl_has_in_sa(ch->ctrl, spi) || fp_ctrl_out_sa(ch->ctrl, spi) != NULL);
}

int app_gw_move_child(struct app_gw_children *ch, const struct ike_child_info *ci, char *err,
		      size_t errlen)
{
	struct fp_sa_params in, out;
	struct fp_spd_rule rules[IKE_MAX_TS * IKE_MAX_TS];
	unsigned n;
	int rc;

	if (child_find(ch, ci->spi_in, ci->spi_out) < 0) {
		snprintf(err, errlen, "not installed here");
		return -ENOENT;
	}
	rc = app_gw_child_params(ci, &in, &out, rules, RTE_DIM(rules), &n, err, errlen);
	if (rc == 0)
		rc = fp_ctrl_move_out_sa(ch->ctrl, &out, err, errlen);
	ike_wipe(&in, sizeof(in));
	ike_wipe(&out, sizeof(out));
	return rc;
}

void app_gw_children_ike_rekeyed(struct app_gw_children *ch, const struct ike_event *ev)
{
	for (unsigned i = 0; i < ch->n; i++)
		if (ch->v[i].ike_spi_i == ev->old_spi_i && ch->v[i].ike_spi_r == ev->old_spi_r) {
			ch->v[i].ike_spi_i = ev->spi_i;
			ch->v[i].ike_spi_r = ev->spi_r;
		}
}

unsigned app_gw_children_active(struct app_gw_children *ch, app_gw_active_fn fn, void *arg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ch->n; i++) {
		const struct fp_sa *sa = fp_ctrl_in_sa(ch->ctrl, ch->v[i].spi_in);
		/* The owner worker's counter, read without a lock: at worst
		 * one burst old, which only delays the report. */
		uint64_t p = sa ? __atomic_load_n(&sa->stats.packets, __ATOMIC_RELAXED) : 0;

		if (sa && p != ch->v[i].packets) {
			ch->v[i].packets = p;
			fn(arg, ch->v[i].ike_spi_i, ch->v[i].ike_spi_r);
			n++;
		}
	}
	return n;
}
