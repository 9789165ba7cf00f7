/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON configuration (Jansson), validated strictly: every error names the
 * JSON path and the reason, syntax errors also the line and column.
 * The format is documented in docs/config.md. */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "ike/ike.h"
#include "app/common/config_fp.h"

#define APP_MAX_CONNS  64
#define APP_MAX_CRLS   32
#define APP_MAX_LISTEN 8
#define APP_PATH_MAX   256

struct app_config {
	struct ike_engine_cfg engine; /* "ike" section, defaults applied */
	uint16_t ike_port;            /* "local.ike_port", default 500 */
	uint16_t natt_port;           /* "local.natt_port", default 4500 */
	unsigned n_listen;
	ike_addr_t listen[APP_MAX_LISTEN]; /* "local.addresses" (ports unset) */
	char control_socket[APP_PATH_MAX]; /* "control.socket", "" = none */
	bool control_socket_set;           /* "control.socket" given, even "" */
	char keylog_path[APP_PATH_MAX];    /* "log.keylog", "" = off */
	enum ike_log_level log_level;      /* "log.level" */
	unsigned n_conns;
	struct ike_conn_cfg conns[APP_MAX_CONNS];
	struct app_fp_cfg fastpath; /* "fastpath" (DPDK gateway), optional */
	/* "credentials" and the connections' certificates; NULL without any.
	 * The connections' local_creds point into it. */
	struct ike_creds *creds;
	unsigned n_crls; /* "credentials.crls": CRL files, given to the engine */
	char crls[APP_MAX_CRLS][APP_PATH_MAX];
};

/* Parses and validates. On error returns -EINVAL (or -ENOENT/-EIO for the
 * file) and writes one line such as
 *   "connections[0].ike_proposals[1]: unknown algorithm 'aes129'"
 *   "line 12, column 5: syntax error: ..."
 * into err. cfg is left zeroed (no secret left behind) on error. */
int app_config_parse(const char *text, size_t len, struct app_config *cfg, char *err,
		     size_t errlen);
int app_config_load(const char *path, struct app_config *cfg, char *err, size_t errlen);
/* Gives the engine the credential store and the CRL files; 0, or -1 with
 * a line naming the file in err. */
int app_config_give_creds(const struct app_config *cfg, struct ike_engine *e, char *err,
			  size_t errlen);
/* Without "control.socket" in the file: APP_CTL_SOCKET_DEFAULT when its
 * folder (APP_RUN_DIR, made by the systemd units) exists, else none. */
void app_config_control_default(struct app_config *cfg);
/* Wipes secrets (PSKs) and drops the credential store. */
void app_config_clear(struct app_config *cfg);

#endif
