/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway's Prometheus families: the IKE engine's (when it runs one),
 * the fast path's per port and per drop reason summed over the workers,
 * and per connection and child the counters of their current SAs. Runs on
 * the control core, which owns the SAD. */
#ifndef APP_GW_METRICS_H
#define APP_GW_METRICS_H

#include <stdint.h>

#include "app/common/config.h"
#include "app/common/prom.h"

struct fp_ctrl;
struct fp_worker;
struct ike_engine;

struct app_gw_metrics_src {
	const struct app_config *cfg;
	struct fp_ctrl *ctrl;
	struct ike_engine *engine; /* NULL: no IKE on this gateway */
	struct fp_worker *const *workers;
	unsigned n_workers;
	const uint16_t *port_ids; /* DPDK port id of each configured port */
};

void app_gw_metrics_fill(const struct app_gw_metrics_src *s, struct app_prom *p);
/* One CHILD SA's fast-path counters (ctrl: its struct fp_ctrl), for
 * metrics and for list-sas (app_ctl_list_set_counters()). */
struct ike_child_info;
struct app_metrics_child;
void app_gw_fp_child_counters(void *ctrl, const struct ike_child_info *c,
			      struct app_metrics_child *acc);

#endif
