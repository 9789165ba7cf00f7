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
#include "app/common/privs.h"

/* A sanity bound on "connections", not a table size: the array is
 * allocated for the file's count, and names are found through an index. */
#define APP_CONNS_LIMIT 1000000
#define APP_MAX_CRLS    32
#define APP_MAX_OCSP    32
#define APP_MAX_LISTEN  8
#define APP_PATH_MAX    256
#define APP_LOG_SUBSYS  4 /* app/common/log.h: APP_LOG_NSUB */

struct app_config {
	struct ike_engine_cfg engine; /* "ike" section, defaults applied */
	uint16_t ike_port;            /* "local.ike_port", default 500 */
	uint16_t natt_port;           /* "local.natt_port", default 4500 */
	unsigned n_listen;
	ike_addr_t listen[APP_MAX_LISTEN]; /* "local.addresses" (ports unset) */
	char control_socket[APP_PATH_MAX]; /* "control.socket", "" = none */
	bool control_socket_set;           /* "control.socket" given, even "" */
	char keylog_path[APP_PATH_MAX];    /* "log.keylog", "" = off */
	struct app_privs_cfg privs;        /* "privileges" */
	char metrics_listen[64];           /* "metrics.listen", "" = off */
	enum ike_log_level log_level;      /* "log.level" */
	/* "log.levels": per subsystem (enum app_log_subsys order: ike,
	 * fastpath, eal, control), -1 = log.level */
	signed char log_levels[APP_LOG_SUBSYS];
	bool log_json; /* "log.format": "json" (default "text") */
	unsigned n_conns;
	struct ike_conn_cfg *conns;        /* n_conns of them, malloc'd */
	struct app_conn_index *conn_index; /* by name: app_config_conn() */
	struct app_fp_cfg fastpath;        /* "fastpath" (DPDK gateway), optional */
	/* "credentials" and the connections' certificates; NULL without any.
	 * The connections' local_creds point into it. */
	struct ike_creds *creds;
	unsigned n_crls; /* "credentials.crls": CRL files, given to the engine */
	char crls[APP_MAX_CRLS][APP_PATH_MAX];
	/* "credentials.ocsp_responders": a CA (its file or a DN pattern,
	 * checked against the store) and a responder asked for it */
	unsigned n_ocsp;
	struct app_ocsp {
		char ca[APP_PATH_MAX];
		char uri[APP_PATH_MAX];
	} ocsp[APP_MAX_OCSP];
	/* The file app_config_load read ("" after app_config_parse): what
	 * reload-creds reads again. */
	char path[APP_PATH_MAX];
	/* Bumped each time a reload swaps a new file in: what was derived
	 * from the running file's indexes (conns[i]) is to be derived again. */
	unsigned generation;
};

/* Parses and validates. On error returns -EINVAL (or -ENOENT/-EIO for the
 * file) and writes one line such as
 *   "connections[0].ike_proposals[1]: unknown algorithm 'aes129'"
 *   "line 12, column 5: syntax error: ..."
 * into err. cfg is left zeroed (no secret left behind) on error. */
int app_config_parse(const char *text, size_t len, struct app_config *cfg, char *err,
		     size_t errlen);
int app_config_load(const char *path, struct app_config *cfg, char *err, size_t errlen);
/* The index of connection name in cfg->conns, or -1 (a hash lookup:
 * files of 100,000 connections are compared by name on reload). */
int app_config_conn(const struct app_config *cfg, const char *name);
/* The same as a pointer into cfg->conns, or NULL (also for cfg NULL). */
const struct ike_conn_cfg *app_config_conn_cfg(const struct app_config *cfg, const char *name);
/* Gives the engine the credential store, the CRL files and the OCSP
 * responders; 0, or -1 with a line naming the file in err. */
int app_config_give_creds(const struct app_config *cfg, struct ike_engine *e, char *err,
			  size_t errlen);
/* reload-creds (strongSwan's swanctl --load-creds): reads cfg->path again
 * and, when the whole file loads and app_config_creds_check() allows it,
 * gives e the new store, CRL files and responders (fetched CRLs and OCSP
 * answers are forgotten), points the running connections at their new
 * certificates and CA constraints and keeps them in cfg. Nothing else of
 * the file is applied, and no SA is touched. 0 with a summary in msg, or
 * -1 with a line in msg (naming the file) and nothing changed. */
int app_config_reload_creds(struct app_config *cfg, struct ike_engine *e, char *msg, size_t msglen);
/* Whether next can replace the credentials of running: every connection
 * of running that uses certificates (either end) is in next under its
 * name, with the same auth methods, and still has certificates where it
 * signs. 0, or -1 with "reload-creds changes credentials only; connection
 * 'X' ..." in err. */
int app_config_creds_check(const struct app_config *running, const struct app_config *next,
			   char *err, size_t errlen);
/* Without "control.socket" in the file: APP_CTL_SOCKET_DEFAULT when its
 * folder (APP_RUN_DIR, made by the systemd units) exists, else none. */
void app_config_control_default(struct app_config *cfg);
/* log.level, log.levels and log.format to app/common/log.c, the journal's
 * "<N>" prefixes when stderr is the journal; the engine's level is the ike
 * subsystem's. */
void app_config_apply_log(struct app_config *cfg);
/* Wipes the secrets (PSKs, static SA keys) in place. */
void app_config_wipe_secrets(struct app_config *cfg);
/* Wipes the secrets, frees the connections and their index and drops
 * the credential store: cfg is empty, ready to be parsed into again. */
void app_config_clear(struct app_config *cfg);

#endif
