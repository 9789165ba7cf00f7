/* SPDX-License-Identifier: BSD-3-Clause */
/* Live reload of the configuration file (SIGHUP, `ipsecgw-ctl reload`),
 * as strongSwan's swanctl --load-all: connections added, removed, changed
 * or untouched (app_config_diff_conns), credentials in place, and what
 * needs a restart refused. See docs/config.md, "Reloading". */
#ifndef APP_RELOAD_H
#define APP_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/common/config.h"

enum app_conn_change {
	APP_CONN_UNCHANGED,
	APP_CONN_ADDED,
	APP_CONN_REMOVED,
	APP_CONN_CHANGED,
	APP_CONN_N_CHANGES
};

struct app_conn_change_item {
	char name[IKE_NAME_MAX];
	enum app_conn_change what;
	const char *why; /* CHANGED: the first setting that differs ("proposals") */
	bool creds;      /* UNCHANGED: its PSK or certificates differ (updated in place) */
};

struct app_conn_diff {
	unsigned n, count[APP_CONN_N_CHANGES];
	struct app_conn_change_item *item; /* n; app_conn_diff_free() */
};

/* Compares the connections of old and next by name: those of old first
 * (in old's order: removed, changed or unchanged; item[i] is old's
 * conns[i]), then those only in next (added). A PSK or certificate change
 * alone leaves a connection unchanged with creds set: credentials are
 * swapped under running SAs, as swanctl --load-creds does. Pure: reads
 * both, changes nothing. 0, or -ENOMEM with d empty. */
int app_config_diff_conns(const struct app_config *old, const struct app_config *next,
			  struct app_conn_diff *d);
void app_conn_diff_free(struct app_conn_diff *d);
/* What d says of connection name of old (the running file); ADDED for a
 * name old does not have. */
enum app_conn_change app_conn_diff_of(const struct app_conn_diff *d, const struct app_config *old,
				      const char *name);
/* The first setting other than credentials in which a and b differ, as a
 * few words ("proposals", "remote address"), or NULL. */
const char *app_conn_cfg_diff(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b);
/* Whether the PSK, our certificates (compared as certificates, not as
 * pointers into two stores) or the CA constraint differ. */
bool app_conn_creds_differ(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b);
const char *app_conn_change_name(enum app_conn_change c);
/* Settings read only at start (sockets, control socket, key log, metrics, user,
 * the "ike" section, log.level) and, with fastpath, the "fastpath"
 * section but its static SAs and policies (app/gateway/gw_reload.h): true with "X changed: needs a restart" in why when next
 * differs from old in one of them. */
bool app_config_restart_needed(const struct app_config *old, const struct app_config *next,
			       bool fastpath, char *why, size_t len);

/* What an embedder adds to a reload (the DPDK gateway: trap policies and
 * its fast-path checks). Every member may be NULL. */
struct app_reload_ops {
	/* next may replace running: 0, or -1 with the reason in err */
	int (*check)(void *arg, const struct app_config *running, const struct app_config *next,
		     const struct app_conn_diff *d, char *err, size_t errlen);
	/* after the check and the credentials, before the connections: what
	 * the embedder holds of the file (the gateway's static SAs, policies
	 * and traps); a summary for the reply in note ("" for none) */
	void (*apply)(void *arg, const struct app_config *running, const struct app_config *next,
		      const struct app_conn_diff *d, char *note, size_t notelen);
	/* a connection added or changed is in the engine: start it per its
	 * start action (default: initiate when "initiate" is set) */
	void (*start)(void *arg, const struct ike_conn_cfg *c, uint64_t now_ms);
};

/* Reads cfg->path again; when the whole file loads and nothing in it needs
 * a restart: the credentials go to e (as reload-creds), ops->apply runs, removed and changed
 * connections are taken out through IKE (ike_engine_remove_conn: Delete
 * sent), added and changed ones added and started, untouched ones keep
 * their SAs (their PSK and certificates updated in place), and cfg becomes
 * the new file. 0 with a summary in msg, or -1 with a line naming the file
 * in msg and nothing changed. fastpath: the caller runs the fast path.
 * e NULL: a gateway without IKE (no connections at start): the file must
 * have none either, and only ops->apply acts. */
int app_config_reload(struct app_config *cfg, struct ike_engine *e, bool fastpath,
		      const struct app_reload_ops *ops, void *arg, uint64_t now_ms, char *msg,
		      size_t msglen);

/* Around a reload, for a service manager to hear of it (systemd's
 * RELOADING=1 / READY=1 through sd_notify, once the programs speak it):
 * the one place to call it from. */
void app_reload_begin(void);
void app_reload_end(void);

#endif
