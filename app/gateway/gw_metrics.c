/* SPDX-License-Identifier: BSD-3-Clause */
/* Gateway metrics (app/gateway/gw_metrics.h). Ports are labelled with
 * their configured names, as in the configuration and the logs. */
#include <stdlib.h>
#include <string.h>

#include "app/common/metrics_ike.h"
#include "app/gateway/gw_metrics.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/fp_sa.h"
#include "fastpath/worker.h"

#define PFX "ipsecgw_fastpath_"

static void sum_workers(const struct app_gw_metrics_src *s, struct fp_worker_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < s->n_workers; i++) {
		const struct fp_worker_stats *w = fp_worker_stats(s->workers[i]);
		const uint64_t *src = (const uint64_t *)w;
		uint64_t *dst = (uint64_t *)t;

		/* every field is a uint64_t counter */
		for (size_t k = 0; k < sizeof(*t) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
}

static void ports(const struct app_gw_metrics_src *s, const struct fp_worker_stats *t,
		  struct app_prom *p)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
#define F(m, n, h) { PFX "port_" n, h, offsetof(struct fp_port_stats, m) }
		F(rx, "rx_packets_total", "packets received on the port by the workers"),
		F(rx_bytes, "rx_bytes_total", "bytes received on the port by the workers"),
		F(tx, "tx_packets_total", "packets the workers sent on the port"),
		F(tx_bytes, "tx_bytes_total", "bytes the workers sent on the port"),
		F(tx_drop, "tx_dropped_total", "packets the port's TX queues did not take"),
#undef F
	};
	const struct app_fp_cfg *fc = &s->cfg->fastpath;

	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		app_prom_family(p, f[k].name, APP_PROM_COUNTER, f[k].help);
		for (unsigned i = 0; i < fc->n_ports; i++) {
			const char *l[] = { "port", fc->ports[i].name, NULL };
			app_prom_sample(p, f[k].name, l,
					*(const uint64_t *)((const char *)&t->port[s->port_ids[i]] +
							    f[k].off));
		}
	}
}

static void drops(const struct fp_worker_stats *t, struct app_prom *p)
{
	app_prom_family(p, PFX "drops_total", APP_PROM_COUNTER,
			"packets the workers dropped, by reason");
	for (unsigned r = 1; r < FP_WD_MAX; r++) {
		const char *l[] = { "reason", fp_wdrop_name(r), NULL };
		app_prom_sample(p, PFX "drops_total", l, t->drops[r]);
	}
}

static void totals(const struct app_gw_metrics_src *s, const struct fp_worker_stats *t,
		   struct app_prom *p)
{
	struct fp_ctrl_stats c;

	fp_ctrl_get_stats(s->ctrl, &c);
	app_prom_one(p, PFX "esp_in_packets_total", APP_PROM_COUNTER, "ESP packets decrypted",
		     t->esp_in);
	app_prom_one(p, PFX "esp_out_packets_total", APP_PROM_COUNTER, "packets encrypted",
		     t->esp_out);
	app_prom_one(p, PFX "bypass_packets_total", APP_PROM_COUNTER,
		     "packets forwarded in clear by policy", t->bypass);
	app_prom_one(p, PFX "punted_packets_total", APP_PROM_COUNTER,
		     "packets handed to the control core (IKE, ...)", t->punt);
	app_prom_one(p, PFX "sas_in", APP_PROM_GAUGE, "inbound SAs installed", c.sa_in);
	app_prom_one(p, PFX "sas_out", APP_PROM_GAUGE, "outbound SAs installed", c.sa_out);
	app_prom_one(p, PFX "spd_rules", APP_PROM_GAUGE, "policies installed", c.spd_rules);
}

static void add_sa(struct app_metrics_child *acc, int dir, const struct fp_sa *sa)
{
	if (!sa)
		return;
	acc->packets[dir] += sa->stats.packets;
	acc->bytes[dir] += sa->stats.bytes;
	for (unsigned r = 1; r < FP_DROP_MAX; r++)
		acc->drops[dir] += sa->stats.drops[r];
}

void app_gw_fp_child_counters(void *ctrl, const struct ike_child_info *c,
			      struct app_metrics_child *acc)
{
	add_sa(acc, 0, fp_ctrl_in_sa(ctrl, c->spi_in));
	add_sa(acc, 1, fp_ctrl_out_sa(ctrl, c->spi_in)); /* its key (gw.c) */
}

static void child_counters(void *arg, const struct ike_child_info *c, struct app_metrics_child *acc)
{
	const struct app_gw_metrics_src *s = arg;

	app_gw_fp_child_counters(s->ctrl, c, acc);
}

void app_gw_metrics_fill(const struct app_gw_metrics_src *s, struct app_prom *p)
{
	struct fp_worker_stats *t = malloc(sizeof(*t));

	if (!t) {
		p->failed = 1;
		return;
	}
	sum_workers(s, t);
	totals(s, t, p);
	ports(s, t, p);
	drops(t, p);
	free(t);
	if (s->engine)
		app_metrics_ike(p, s->engine, s->cfg, child_counters, (void *)s);
}
