/* SPDX-License-Identifier: BSD-3-Clause */
/* Live reload (app/common/reload.h): the new file is loaded whole into a
 * second app_config and checked before anything is touched; then the
 * credentials, then the connections, then the running app_config takes
 * the new file's contents (the control socket and the gateway hold a
 * pointer to it, so it is swapped in place, not replaced). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/log.h"
#include "app/common/notify.h"
#include "app/common/reload.h"

void app_reload_begin(void)
{
	app_notify_reloading();
}

void app_reload_end(void)
{
	app_notify_ready("running");
}

static int load_checked(const struct app_config *cfg, struct app_config *next,
			const struct ike_engine *e, bool fastpath, const struct app_reload_ops *ops,
			void *arg, struct app_conn_diff *d, char *msg, size_t msglen)
{
	char err[600];

	if (!cfg->path[0]) {
		snprintf(msg, msglen, "reload: the configuration was not read from a file");
		return -1;
	}
	if (app_config_load(cfg->path, next, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%s: %s; nothing changed", cfg->path, err);
		return -1;
	}
	if (!e && next->n_conns) {
		snprintf(msg, msglen,
			 "%s: connections need the IKE engine, which the gateway starts only "
			 "with connections: adding some needs a restart; nothing changed",
			 cfg->path);
		return -1;
	}
	if (app_config_restart_needed(cfg, next, fastpath, err, sizeof(err))) {
		snprintf(msg, msglen, "%s: %s; nothing changed", cfg->path, err);
		return -1;
	}
	if (app_config_diff_conns(cfg, next, d) < 0) {
		snprintf(msg, msglen, "reload: out of memory; nothing changed");
		return -1;
	}
	if (ops && ops->check && ops->check(arg, cfg, next, d, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%s: %s; nothing changed", cfg->path, err);
		return -1;
	}
	return 0;
}

/* next's credentials to e, or back to cfg's when they fail. */
static int give_creds(const struct app_config *cfg, const struct app_config *next,
		      struct ike_engine *e, char *msg, size_t msglen)
{
	char err[600], again[600];

	ike_engine_reset_revocation(e);
	if (app_config_give_creds(next, e, err, sizeof(err)) == 0)
		return 0;
	if (app_config_give_creds(cfg, e, again, sizeof(again)) < 0)
		app_log(IKE_LOG_ERR, "reload: restoring the old credentials: %s", again);
	snprintf(msg, msglen, "%s: %s; nothing changed", cfg->path, err);
	return -1;
}

/* The connections first out of the engine, then in: a changed one is
 * removed (Delete sent) and added again under the same name. */
static void apply_conns(const struct app_config *next, struct ike_engine *e,
			const struct app_conn_diff *d, uint64_t now)
{
	for (unsigned i = 0; i < d->n; i++) {
		const struct app_conn_change_item *it = &d->item[i];
		const struct ike_conn_cfg *n = app_config_conn_cfg(next, it->name);
		int rc = 0;

		if (it->what == APP_CONN_REMOVED || it->what == APP_CONN_CHANGED)
			rc = ike_engine_remove_conn(e, it->name, now);
		if (rc == 0 && (it->what == APP_CONN_ADDED || it->what == APP_CONN_CHANGED))
			rc = ike_engine_add_conn(e, n);
		if (rc == 0 && it->what == APP_CONN_UNCHANGED)
			rc = ike_engine_set_conn_creds(e, it->name, n);
		if (rc < 0)
			app_log(IKE_LOG_ERR, "reload: connection '%s' (%s): %s", it->name,
				app_conn_change_name(it->what), strerror(-rc));
		else if (it->what != APP_CONN_UNCHANGED || it->creds)
			app_log(IKE_LOG_INFO, "reload: connection '%s' %s%s%s", it->name,
				it->creds ? "credentials updated" : app_conn_change_name(it->what),
				it->why ? ": " : "", it->why ? it->why : "");
	}
}

static void start_conns(const struct app_config *cfg, struct ike_engine *e,
			const struct app_conn_diff *d, const struct app_reload_ops *ops, void *arg,
			uint64_t now)
{
	for (unsigned i = 0; i < d->n; i++) {
		const struct app_conn_change_item *it = &d->item[i];
		const struct ike_conn_cfg *c = app_config_conn_cfg(cfg, it->name);
		int rc;

		if (it->what != APP_CONN_ADDED && it->what != APP_CONN_CHANGED)
			continue;
		if (ops && ops->start) {
			ops->start(arg, c, now);
		} else if (c->initiate && (rc = ike_engine_initiate(e, c->name, now)) < 0) {
			app_log(IKE_LOG_WARN, "reload: cannot initiate '%s': %s", c->name,
				strerror(-rc));
		}
	}
}

/* cfg takes next's contents; next gets cfg's (freed by the caller). What
 * main derived from the file at start is carried over. */
static void swap_in(struct app_config *cfg, struct app_config *next)
{
	struct app_config *old = malloc(sizeof(*old));

	if (!old) { /* the connections are in; cfg stays the old text */
		app_log(IKE_LOG_ERR, "reload: out of memory keeping the new configuration");
		return;
	}
	next->engine.log_level = cfg->engine.log_level;
	next->engine.keylog = cfg->engine.keylog;
	next->engine.natt_port = cfg->engine.natt_port;
	next->generation = cfg->generation + 1;
	*old = *cfg;
	*cfg = *next;
	*next = *old;
	ike_wipe(old, sizeof(*old));
	free(old);
}

int app_config_reload(struct app_config *cfg, struct ike_engine *e, bool fastpath,
		      const struct app_reload_ops *ops, void *arg, uint64_t now_ms, char *msg,
		      size_t msglen)
{
	struct app_config *next = calloc(1, sizeof(*next));
	struct app_conn_diff *d = calloc(1, sizeof(*d));
	char note[300] = "";
	int rc = -1;

	if (!next || !d) {
		snprintf(msg, msglen, "reload: out of memory; nothing changed");
		goto out;
	}
	if (load_checked(cfg, next, e, fastpath, ops, arg, d, msg, msglen) < 0)
		goto out;
	if (e && give_creds(cfg, next, e, msg, msglen) < 0)
		goto out;
	if (ops && ops->apply)
		ops->apply(arg, cfg, next, d, note, sizeof(note));
	if (e)
		apply_conns(next, e, d, now_ms);
	swap_in(cfg, next);
	if (e)
		start_conns(cfg, e, d, ops, arg, now_ms);
	snprintf(msg, msglen, "%s: %u added, %u removed, %u changed, %u unchanged%s%s", cfg->path,
		 d->count[APP_CONN_ADDED], d->count[APP_CONN_REMOVED], d->count[APP_CONN_CHANGED],
		 d->count[APP_CONN_UNCHANGED], note[0] ? "; " : "", note);
	rc = 0;
out:
	if (next)
		app_config_clear(next);
	free(next);
	if (d)
		app_conn_diff_free(d);
	free(d);
	return rc;
}
