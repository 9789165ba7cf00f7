/* SPDX-License-Identifier: BSD-3-Clause */
/* reload-creds: certificates, keys, CRL files and OCSP responders read
 * again from the configuration file, as swanctl --load-creds, without
 * touching an SA. The new file is loaded whole into a second app_config
 * first, so a file that does not parse or whose certificates do not load
 * changes nothing. Other changes in the file are not applied: the
 * connections' credentials are; their other settings are a configuration
 * reload's (issue 18). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/config.h"
#include "app/common/log.h"
#include "ike/ike_pki.h"

static bool uses_certs(const struct ike_conn_cfg *c)
{
	return c->local_auth == IKE_AUTHBY_PUBKEY || c->remote_auth == IKE_AUTHBY_PUBKEY ||
	       c->remote_auth == IKE_AUTHBY_ANY;
}

static int refuse(char *err, size_t errlen, const char *conn, const char *what)
{
	snprintf(err, errlen, "reload-creds changes credentials only; connection '%s' %s", conn,
		 what);
	return -1;
}

int app_config_creds_check(const struct app_config *running, const struct app_config *next,
			   char *err, size_t errlen)
{
	for (unsigned i = 0; i < running->n_conns; i++) {
		const struct ike_conn_cfg *r = &running->conns[i], *n;

		if (!uses_certs(r))
			continue;
		if (!(n = app_config_conn_cfg(next, r->name)))
			return refuse(err, errlen, r->name,
				      "uses certificates and is not in the new file");
		if (n->local_auth != r->local_auth || n->remote_auth != r->remote_auth)
			return refuse(err, errlen, r->name,
				      "has other auth methods in the new file");
		if (r->local_auth == IKE_AUTHBY_PUBKEY && !n->n_local_creds)
			return refuse(err, errlen, r->name, "has no certificates in the new file");
	}
	return 0;
}

/* cfg's store, CRL files and responders to e, and each of running's
 * connections pointed at cfg's credentials of the same name. */
static int give(const struct app_config *running, const struct app_config *cfg,
		struct ike_engine *e, char *err, size_t errlen)
{
	ike_engine_set_creds(e, cfg->creds);
	for (unsigned i = 0; i < running->n_conns; i++) {
		const struct ike_conn_cfg *n = app_config_conn_cfg(cfg, running->conns[i].name);
		int rc = n ? ike_engine_set_conn_creds(e, n->name, n) : 0;

		if (rc < 0 && rc != -ENOENT) { /* -ENOENT: not in the engine */
			snprintf(err, errlen, "connection '%s': its certificates cannot be set",
				 n->name);
			return -1;
		}
	}
	ike_engine_reset_revocation(e);
	return app_config_give_creds(cfg, e, err, errlen);
}

/* next's credentials into cfg; cfg's old store goes to next (freed with it). */
static void keep(struct app_config *cfg, struct app_config *next)
{
	struct ike_creds *old = cfg->creds;

	cfg->creds = next->creds;
	next->creds = old;
	cfg->n_crls = next->n_crls;
	memcpy(cfg->crls, next->crls, sizeof(cfg->crls));
	cfg->n_ocsp = next->n_ocsp;
	memcpy(cfg->ocsp, next->ocsp, sizeof(cfg->ocsp));
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		struct ike_conn_cfg *c = &cfg->conns[i];
		const struct ike_conn_cfg *n = app_config_conn_cfg(next, c->name);

		if (!n)
			continue;
		memcpy(c->local_creds, n->local_creds, sizeof(c->local_creds));
		c->n_local_creds = n->n_local_creds;
		c->remote_ca = n->remote_ca;
		memcpy(c->remote_ca_dn, n->remote_ca_dn, sizeof(c->remote_ca_dn));
	}
}

static int load_next(const struct app_config *cfg, struct app_config *next, char *msg,
		     size_t msglen)
{
	char err[600];

	if (!cfg->path[0]) {
		snprintf(msg, msglen, "reload-creds: the configuration was not read from a file");
		return -1;
	}
	if (app_config_load(cfg->path, next, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%s: %s; nothing changed", cfg->path, err);
		return -1;
	}
	if (app_config_creds_check(cfg, next, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%s: %s; nothing changed", cfg->path, err);
		return -1;
	}
	return 0;
}

static void count_one(void *arg, const char *kind, struct x509_st *cert, const char *source)
{
	(void)kind, (void)cert, (void)source;
	(*(unsigned *)arg)++;
}

int app_config_reload_creds(struct app_config *cfg, struct ike_engine *e, char *msg, size_t msglen)
{
	struct app_config *next = calloc(1, sizeof(*next));
	char err[600], again[600];
	unsigned n_certs = 0;
	int rc = -1;

	if (!next) {
		snprintf(msg, msglen, "reload-creds: out of memory; nothing changed");
		return -1;
	}
	if (load_next(cfg, next, msg, msglen) < 0)
		goto out;
	if (give(cfg, next, e, err, sizeof(err)) < 0) {
		/* a file changed between the two reads: back to what ran */
		if (give(cfg, cfg, e, again, sizeof(again)) < 0)
			app_log(IKE_LOG_ERR, "reload-creds: restoring the old credentials: %s",
				again);
		snprintf(msg, msglen, "%s: %s; the old credentials stay", cfg->path, err);
		goto out;
	}
	keep(cfg, next);
	if (cfg->creds)
		ike_creds_foreach(cfg->creds, count_one, &n_certs);
	snprintf(msg, msglen, "%u certificates, %u CRL files, %u OCSP responders from %s", n_certs,
		 cfg->n_crls, cfg->n_ocsp, cfg->path);
	rc = 0;
out:
	app_config_clear(next);
	free(next);
	return rc;
}
