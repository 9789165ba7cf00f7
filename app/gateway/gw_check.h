/* SPDX-License-Identifier: BSD-3-Clause */
/* What `ipsecgw --check` validates without starting the EAL (no hugepages,
 * no NIC, no runtime folder): driver profiles, files and folders the
 * configuration names, and the IKE connections against a scratch engine.
 * The driver profiles are read here for the running gateway as well. */
#ifndef APP_GW_CHECK_H
#define APP_GW_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_config;

/* drivers-config/<name>.json: the keys the gateway uses. */
struct app_gw_profile {
	uint16_t rx_queues, rx_desc, tx_desc;
	bool promiscuous;
	uint32_t qp_desc; /* cryptodev profiles */
};

/* Defaults for an empty name; -1 with "profile DIR/NAME.json: reason" in
 * err when the file is missing or is not JSON. */
int app_gw_load_profile(const char *dir, const char *name, struct app_gw_profile *pr, char *err,
			size_t errlen);
/* Every profile the configuration names (ports, crypto). */
int app_gw_check_profiles(const struct app_config *cfg, const char *dir, char *err, size_t errlen);
/* CRL files parse against the store, the key log's folder and the control
 * socket's folder exist and are folders we may write in; the connections
 * fit the ports and routes and an IKE engine takes them. -1 with one line
 * naming the file or connection in err. */
int app_gw_check_paths(const struct app_config *cfg, char *err, size_t errlen);

#endif
