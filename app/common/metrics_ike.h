/* SPDX-License-Identifier: BSD-3-Clause */
/* The IKE engine's counters as Prometheus families, with the SAs of each
 * configured connection and child; a data plane adds its counters of each
 * CHILD SA through child_fn (the gateway's fast path). */
#ifndef APP_METRICS_IKE_H
#define APP_METRICS_IKE_H

#include <stdint.h>

#include "app/common/config.h"
#include "app/common/prom.h"

/* What a data plane counted on one CHILD SA, summed per (connection,
 * child) by app_metrics_ike(). */
struct app_metrics_child {
	uint64_t packets[2], bytes[2], drops[2]; /* [0] inbound, [1] outbound */
};
typedef void (*app_metrics_child_fn)(void *arg, const struct ike_child_info *c,
				     struct app_metrics_child *acc);

void app_metrics_ike(struct app_prom *p, struct ike_engine *e, const struct app_config *cfg,
		     app_metrics_child_fn child_fn, void *arg);

#endif
