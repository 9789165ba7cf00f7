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

#include "ike/ike.h"
#include "app/common/log.h"
#include "app/gateway/gw.h"

struct gw_child {
	uint32_t spi_in, spi_out;
	/* A rekeyed child waiting for its predecessor's CHILD_DOWN: the
	 * predecessor's outbound SPI, whose policies it then takes over. */
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
#define GW_DYING_MAX 1024u

struct app_gw_children {
	struct fp_ctrl *ctrl;
	struct gw_child *v;
	unsigned n, cap;
	struct gw_dying dying[GW_DYING_MAX];
	unsigned n_dying;
};

struct app_gw_children *app_gw_children_new(struct fp_ctrl *c)
{
	struct app_gw_children *ch = calloc(1, sizeof(*ch));

	if (ch)
		ch->ctrl = c;
	return ch;
}

void app_gw_children_free(struct app_gw_children *ch)
{
	if (ch) {
		app_gw_children_reap(ch, UINT64_MAX);
		free(ch->v);
		free(ch);
	}
}

static int child_find(const struct app_gw_children *ch, uint32_t spi_in, uint32_t spi_out)
{
	for (unsigned i = 0; i < ch->n; i++)
		if (ch->v[i].spi_in == spi_in && ch->v[i].spi_out == spi_out)
			return (int)i;
	return -1;
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
	uint64_t h = ts_hash(ci);

	for (unsigned i = 0; ci->old_spi_in && i < ch->n; i++)
		if (ch->v[i].spi_in == ci->old_spi_in && ch->v[i].ts_hash == h)
			return &ch->v[i];
	return NULL;
}

/* The peer's new SA lost the simultaneous rekey to ours, win (2.8.1): it
 * never carries traffic. If the old SA's policies went to it already (the
 * old one went down first), they move on to ours now. */
static void demote(struct app_gw_children *ch, uint32_t spi_in, struct gw_child *win)
{
	char err[160];

	for (unsigned i = 0; i < ch->n; i++) {
		struct gw_child *r = &ch->v[i];

		if (r->spi_in != spi_in || r == win)
			continue;
		r->redundant = true;
		if (win->prev_out != r->spi_out)
			return;
		if (fp_ctrl_spd_retarget(ch->ctrl, r->spi_out, win->spi_out, err, sizeof(err)) == 0)
			win->prev_out = 0;
		else
			app_log(IKE_LOG_ERR, "fastpath: policies of %08x not moved to %08x: %s",
				r->spi_out, win->spi_out, err);
		return;
	}
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
		    !ci->redundant &&
		    (rc = fp_ctrl_spd_prepend(ch->ctrl, rules, n, err, errlen)) != 0)
			fp_ctrl_del_sa(ch->ctrl, FP_DIR_OUT, ci->spi_out, e2, sizeof(e2));
		if (rc != 0)
			fp_ctrl_del_sa(ch->ctrl, FP_DIR_IN, ci->spi_in, e2, sizeof(e2));
	}
	if (rc == 0)
		ch->v[ch->n++] = (struct gw_child){ .spi_in = ci->spi_in,
						    .spi_out = ci->spi_out,
						    .prev_out = prev ? prev->spi_out : 0,
						    .ts_hash = ts_hash(ci),
						    .ike_spi_i = ci->ike_spi_i,
						    .ike_spi_r = ci->ike_spi_r,
						    .redundant = ci->redundant };
	if (rc == 0 && ci->redundant_in)
		demote(ch, ci->redundant_in, &ch->v[ch->n - 1]);
	ike_wipe(&in, sizeof(in));
	ike_wipe(&out, sizeof(out));
	return rc;
}

static struct gw_child *successor(struct app_gw_children *ch, uint32_t spi_out)
{
	for (unsigned i = 0; i < ch->n; i++)
		if (ch->v[i].prev_out == spi_out && !ch->v[i].redundant)
			return &ch->v[i];
	return NULL;
}

/* The inbound SA stays GW_INBOUND_GRACE_MS; false: no room, remove now. */
static bool dying_add(struct app_gw_children *ch, uint32_t spi_in)
{
	if (ch->n_dying == GW_DYING_MAX)
		return false;
	ch->dying[ch->n_dying++] = (struct gw_dying){ spi_in, app_mono_ms() + GW_INBOUND_GRACE_MS };
	return true;
}

unsigned app_gw_children_reap(struct app_gw_children *ch, uint64_t now)
{
	unsigned n = 0;
	char err[160];

	for (unsigned i = 0; i < ch->n_dying;) {
		if (ch->dying[i].at > now) {
			i++;
			continue;
		}
		fp_ctrl_del_sa(ch->ctrl, FP_DIR_IN, ch->dying[i].spi_in, err, sizeof(err));
		ch->dying[i] = ch->dying[--ch->n_dying];
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
	next = successor(ch, ci->spi_out);
	rc = next ? fp_ctrl_spd_retarget(ch->ctrl, ci->spi_out, next->spi_out, err, errlen)
		  : fp_ctrl_spd_del_sa(ch->ctrl, ci->spi_out, err, errlen);
	if (rc != 0)
		return rc;
	if (next) {
		/* In a rekey collision both new CHILD SAs wait for the old one;
		 * the other now waits for the one that got the policies (the
		 * redundant one's CHILD_DOWN hands them on). */
		for (unsigned k = 0; k < ch->n; k++)
			if (&ch->v[k] != next && ch->v[k].prev_out == ci->spi_out)
				ch->v[k].prev_out = next->spi_out;
		next->prev_out = 0;
	}
	ch->v[i] = ch->v[--ch->n];
	if (fp_ctrl_del_sa(ch->ctrl, FP_DIR_OUT, ci->spi_out, err, errlen) != 0)
		rc = -ENOENT;
	if (!dying_add(ch, ci->spi_in) &&
	    fp_ctrl_del_sa(ch->ctrl, FP_DIR_IN, ci->spi_in, err, errlen) != 0)
		rc = -ENOENT;
	return rc;
}

bool app_gw_child_of(const struct app_gw_children *ch, enum fp_dir dir, uint32_t spi,
		     uint32_t *spi_in)
{
	for (unsigned i = 0; i < ch->n; i++)
		if ((dir == FP_DIR_IN ? ch->v[i].spi_in : ch->v[i].spi_out) == spi) {
			*spi_in = ch->v[i].spi_in;
			return true;
		}
	return false;
}

bool app_gw_spi_in_use(const struct app_gw_children *ch, uint32_t spi)
{
	return ch->ctrl != NULL && fp_ctrl_has_in_sa(ch->ctrl, spi);
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
