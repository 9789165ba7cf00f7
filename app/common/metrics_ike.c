/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE metrics (app/common/metrics_ike.h). Every configured connection and
 * child gets its series, zero when nothing is up, so that dashboards and
 * alerts see a tunnel go down rather than vanish. */
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "app/common/metrics_ike.h"

#define PFX "ipsecgw_ike_"

/* Per connection i: its IKE SAs, and per child k its CHILD SAs and
 * fast-path counters (one array each, n_conns long). */
struct walk_conn {
	uint64_t ike;
	uint64_t child[IKE_MAX_CHILDREN];
	struct app_metrics_child fp[IKE_MAX_CHILDREN];
};

struct walk {
	const struct app_config *cfg;
	struct walk_conn *c;
	app_metrics_child_fn fn;
	void *arg;
	/* The SAs of one connection share its name and children's names
	 * (pointers into the engine's copy): the last ones found are looked
	 * up again by pointer, not by hash and string compares, so a scrape
	 * of 100,000 SAs costs the event loop little. */
	const char *last_conn, *last_child;
	int last_ci, last_k;
	const char *established;
};

static int conn_index(const struct app_config *cfg, const char *name)
{
	return name ? app_config_conn(cfg, name) : -1;
}

static int child_index(const struct ike_conn_cfg *c, const char *name)
{
	for (unsigned i = 0; name && i < c->n_children; i++)
		if (strcmp(c->children[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int conn_of(struct walk *w, const char *name)
{
	if (name != w->last_conn) {
		w->last_conn = name;
		w->last_ci = conn_index(w->cfg, name);
		w->last_child = NULL;
	}
	return w->last_ci;
}

static int child_of(struct walk *w, int ci, const char *name)
{
	if (name != w->last_child) {
		w->last_child = name;
		w->last_k = child_index(&w->cfg->conns[ci], name);
	}
	return w->last_k;
}

static void visit(void *arg, const struct ike_sa_summary *s)
{
	struct walk *w = arg;
	int ci = conn_of(w, s->conn);

	if (ci < 0)
		return;
	/* state names are the engine's constants: one pointer compare */
	if (s->state == w->established || strcmp(s->state, "ESTABLISHED") == 0) {
		w->established = s->state;
		w->c[ci].ike++;
	}
	for (unsigned i = 0; i < s->n_children; i++) {
		const struct ike_child_info *c = s->children[i];
		int k = child_of(w, ci, c->child);

		if (k < 0)
			continue;
		w->c[ci].child[k]++;
		if (w->fn)
			w->fn(w->arg, c, &w->c[ci].fp[k]);
	}
}

static void globals(struct app_prom *p, struct ike_engine *e)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} c[] = {
#define C(f, n, h) { PFX n, h, offsetof(struct ike_stats, f) }
		C(rx, "messages_received_total", "IKE datagrams received"),
		C(tx, "messages_sent_total", "IKE datagrams sent"),
		C(retransmits, "retransmits_total", "requests sent again"),
		C(dup_requests, "duplicate_requests_total",
		  "retransmitted requests answered again"),
		C(bad_messages, "bad_messages_total",
		  "datagrams refused (malformed, bad ICV, ...)"),
		C(cookies_sent, "cookies_sent_total", "COOKIE notifies sent"),
		C(esp_dropped, "esp_dropped_total", "ESP-in-UDP reaching the IKE socket"),
		C(init_dropped, "init_dropped_total", "IKE_SA_INIT dropped by half-open limits"),
		C(keepalives, "nat_keepalives_total", "NAT keepalives sent"),
		C(ike_up, "ike_sa_up_total", "IKE SAs established"),
		C(ike_failed, "ike_sa_failed_total", "IKE SA negotiations failed"),
		C(child_up, "child_sa_up_total", "CHILD SAs established"),
		C(frag_tx, "fragments_sent_total", "IKE fragments sent (RFC 7383)"),
		C(frag_rx, "fragments_received_total", "authenticated IKE fragments received"),
		C(frag_reassembled, "messages_reassembled_total",
		  "messages put together from fragments"),
#undef C
	};
	struct ike_stats st;

	memset(&st, 0, sizeof(st));
	ike_engine_stats(e, &st);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		app_prom_one(p, c[i].name, APP_PROM_COUNTER, c[i].help,
			     *(const uint64_t *)((const char *)&st + c[i].off));
	app_prom_one(p, PFX "sas_half_open", APP_PROM_GAUGE, "IKE SAs being negotiated",
		     st.half_open);
	app_prom_one(p, PFX "sas_established", APP_PROM_GAUGE, "IKE SAs up", st.established);
}

static void per_conn(struct app_prom *p, const struct walk *w)
{
	const struct app_config *cfg = w->cfg;

	app_prom_family(p, PFX "conn_sas", APP_PROM_GAUGE, "established IKE SAs of a connection");
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const char *l[] = { "conn", cfg->conns[i].name, NULL };
		app_prom_sample(p, PFX "conn_sas", l, w->c[i].ike);
	}
	app_prom_family(p, PFX "child_sas", APP_PROM_GAUGE, "CHILD SAs of a connection's child");
	for (unsigned i = 0; i < cfg->n_conns; i++)
		for (unsigned k = 0; k < cfg->conns[i].n_children; k++) {
			const char *l[] = { "conn", cfg->conns[i].name, "child",
					    cfg->conns[i].children[k].name, NULL };
			app_prom_sample(p, PFX "child_sas", l, w->c[i].child[k]);
		}
}

static void fp_family(struct app_prom *p, const struct walk *w, const char *name, const char *help,
		      size_t off)
{
	static const char *const dirs[] = { "in", "out" };

	app_prom_family(p, name, APP_PROM_COUNTER, help);
	for (unsigned i = 0; i < w->cfg->n_conns; i++)
		for (unsigned k = 0; k < w->cfg->conns[i].n_children; k++)
			for (unsigned d = 0; d < 2; d++) {
				const char *l[] = { "conn",  w->cfg->conns[i].name,
						    "child", w->cfg->conns[i].children[k].name,
						    "dir",   dirs[d],
						    NULL };
				const uint64_t *v =
					(const uint64_t *)((const char *)&w->c[i].fp[k] + off);
				app_prom_sample(p, name, l, v[d]);
			}
}

void app_metrics_ike(struct app_prom *p, struct ike_engine *e, const struct app_config *cfg,
		     app_metrics_child_fn child_fn, void *arg)
{
	struct walk *w = calloc(1, sizeof(*w));

	if (w)
		w->c = calloc(cfg->n_conns + 1, sizeof(*w->c));
	if (!w || !w->c) {
		free(w);
		p->failed = 1;
		return;
	}
	w->cfg = cfg;
	w->fn = child_fn;
	w->arg = arg;
	globals(p, e);
	ike_engine_foreach_sa(e, visit, w);
	per_conn(p, w);
	if (child_fn) {
		fp_family(p, w, "ipsecgw_fastpath_child_packets_total",
			  "packets through the fast path's SAs of a child (current SAs)",
			  offsetof(struct app_metrics_child, packets));
		fp_family(p, w, "ipsecgw_fastpath_child_bytes_total",
			  "payload bytes through the fast path's SAs of a child (current SAs)",
			  offsetof(struct app_metrics_child, bytes));
		fp_family(p, w, "ipsecgw_fastpath_child_drops_total",
			  "packets the fast path's SAs of a child dropped (current SAs)",
			  offsetof(struct app_metrics_child, drops));
	}
	free(w->c);
	free(w);
}
