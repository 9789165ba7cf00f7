/* SPDX-License-Identifier: BSD-3-Clause */
/* What a configuration reload changes (app_config_diff_conns): the
 * connections of the running and of the new file compared by name and
 * field by field. Field by field, not memcmp: addresses and proposals have
 * padding that struct copies fill with whatever was on the stack, and the
 * certificates are pointers into each file's own credential store, so
 * they are compared as the certificates they stand for. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "app/common/reload.h"
#include "ike/ike_pki.h"

static bool addr_eq(const ike_addr_t *a, const ike_addr_t *b)
{
	return (!a->family && !b->family) || ike_addr_eq(a, b);
}

static bool id_eq(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static bool prop_eq(const struct ike_proposal *a, const struct ike_proposal *b)
{
	if (a->n_encr != b->n_encr || a->n_prf != b->n_prf || a->n_integ != b->n_integ ||
	    a->n_dh != b->n_dh || a->n_esn != b->n_esn)
		return false;
	for (unsigned i = 0; i < a->n_encr; i++)
		if (a->encr[i].id != b->encr[i].id || a->encr[i].keybits != b->encr[i].keybits)
			return false;
	return memcmp(a->prf, b->prf, a->n_prf * sizeof(a->prf[0])) == 0 &&
	       memcmp(a->integ, b->integ, a->n_integ * sizeof(a->integ[0])) == 0 &&
	       memcmp(a->dh, b->dh, a->n_dh * sizeof(a->dh[0])) == 0 &&
	       memcmp(a->esn, b->esn, a->n_esn * sizeof(a->esn[0])) == 0;
}

static bool props_eq(unsigned n, const struct ike_proposal *a, const struct ike_proposal *b)
{
	for (unsigned i = 0; i < n; i++)
		if (!prop_eq(&a[i], &b[i]))
			return false;
	return true;
}

/* struct ike_ts has no padding (octets and 16-bit ports). */
static bool child_eq(const struct ike_child_cfg *a, const struct ike_child_cfg *b)
{
	return strcmp(a->name, b->name) == 0 && a->n_local_ts == b->n_local_ts &&
	       a->n_remote_ts == b->n_remote_ts && a->n_proposals == b->n_proposals &&
	       memcmp(a->local_ts, b->local_ts, a->n_local_ts * sizeof(a->local_ts[0])) == 0 &&
	       memcmp(a->remote_ts, b->remote_ts, a->n_remote_ts * sizeof(a->remote_ts[0])) == 0 &&
	       props_eq(a->n_proposals, a->proposals, b->proposals) && a->mode == b->mode &&
	       a->rekey_time_s == b->rekey_time_s && a->life_time_s == b->life_time_s &&
	       a->rand_time_s == b->rand_time_s && a->if_id == b->if_id;
}

static const char *peers_diff(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b)
{
	if (!addr_eq(&a->local, &b->local))
		return "local address";
	if (!addr_eq(&a->remote, &b->remote) || a->remote_is_prefix != b->remote_is_prefix ||
	    a->remote_plen != b->remote_plen)
		return "remote address";
	if (!id_eq(&a->local_id, &b->local_id) || !id_eq(&a->remote_id, &b->remote_id) ||
	    a->id_is_source != b->id_is_source)
		return "identities";
	if (a->local_auth != b->local_auth || a->remote_auth != b->remote_auth ||
	    a->sig_pss != b->sig_pss || a->revocation != b->revocation)
		return "authentication";
	return NULL;
}

static const char *sa_diff(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b)
{
	if (a->n_proposals != b->n_proposals ||
	    !props_eq(a->n_proposals, a->proposals, b->proposals))
		return "proposals";
	if (a->n_children != b->n_children)
		return "children";
	for (unsigned i = 0; i < a->n_children; i++)
		if (!child_eq(&a->children[i], &b->children[i]))
			return "children";
	if (a->rekey_time_s != b->rekey_time_s || a->rand_time_s != b->rand_time_s ||
	    a->dpd_delay_s != b->dpd_delay_s || a->force_encap != b->force_encap ||
	    a->allow_weak_dh != b->allow_weak_dh)
		return "IKE SA settings";
	if (a->initiate != b->initiate || a->trap != b->trap || a->dpd_action != b->dpd_action ||
	    a->close_action != b->close_action || a->keyingtries != b->keyingtries)
		return "actions";
	return NULL;
}

const char *app_conn_cfg_diff(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b)
{
	const char *why = peers_diff(a, b);

	return why ? why : sa_diff(a, b);
}

static bool cert_eq(struct x509_st *a, struct x509_st *b)
{
	return a == b || (a && b && X509_cmp(a, b) == 0);
}

bool app_conn_creds_differ(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b)
{
	if (a->psk_len != b->psk_len || memcmp(a->psk, b->psk, a->psk_len) != 0 ||
	    a->n_local_creds != b->n_local_creds || !cert_eq(a->remote_ca, b->remote_ca) ||
	    strcmp(a->remote_ca_dn, b->remote_ca_dn) != 0)
		return true;
	for (unsigned i = 0; i < a->n_local_creds; i++)
		if (!cert_eq(ike_cred_cert(a->local_creds[i]), ike_cred_cert(b->local_creds[i])))
			return true;
	return false;
}

static void put(struct app_conn_diff *d, const char *name, enum app_conn_change what,
		const char *why, bool creds)
{
	struct app_conn_change_item *it = &d->item[d->n++];

	snprintf(it->name, sizeof(it->name), "%s", name);
	it->what = what;
	it->why = why;
	it->creds = creds;
	d->count[what]++;
}

int app_config_diff_conns(const struct app_config *old, const struct app_config *next,
			  struct app_conn_diff *d)
{
	memset(d, 0, sizeof(*d));
	d->item = calloc((size_t)old->n_conns + next->n_conns + 1, sizeof(*d->item));
	if (!d->item)
		return -ENOMEM;
	for (unsigned i = 0; i < old->n_conns; i++) {
		const struct ike_conn_cfg *o = &old->conns[i],
					  *n = app_config_conn_cfg(next, o->name);
		const char *why = n ? app_conn_cfg_diff(o, n) : NULL;

		if (!n)
			put(d, o->name, APP_CONN_REMOVED, NULL, false);
		else
			put(d, o->name, why ? APP_CONN_CHANGED : APP_CONN_UNCHANGED, why,
			    app_conn_creds_differ(o, n));
	}
	for (unsigned i = 0; i < next->n_conns; i++)
		if (!app_config_conn_cfg(old, next->conns[i].name))
			put(d, next->conns[i].name, APP_CONN_ADDED, NULL, false);
	return 0;
}

void app_conn_diff_free(struct app_conn_diff *d)
{
	free(d->item);
	memset(d, 0, sizeof(*d));
}

enum app_conn_change app_conn_diff_of(const struct app_conn_diff *d, const struct app_config *old,
				      const char *name)
{
	int i = app_config_conn(old, name);

	return i >= 0 && (unsigned)i < d->n ? d->item[i].what : APP_CONN_ADDED;
}

const char *app_conn_change_name(enum app_conn_change c)
{
	static const char *const names[] = { "unchanged", "added", "removed", "changed" };

	return c < APP_CONN_N_CHANGES ? names[c] : "?";
}

/* The "ike" section as parsed; main sets log_level, keylog and natt_port
 * from other sections, compared there. */
static bool engine_eq(const struct ike_engine_cfg *a, const struct ike_engine_cfg *b)
{
	return a->retransmit_timeout_ms == b->retransmit_timeout_ms &&
	       a->retransmit_tries == b->retransmit_tries &&
	       a->retransmit_base_pct == b->retransmit_base_pct &&
	       a->cookie_threshold == b->cookie_threshold &&
	       a->half_open_per_peer == b->half_open_per_peer &&
	       a->half_open_max == b->half_open_max && a->force_cookies == b->force_cookies &&
	       a->liveness_idle_s == b->liveness_idle_s &&
	       a->natt_keepalive_s == b->natt_keepalive_s && a->fragmentation == b->fragmentation &&
	       a->fragment_size == b->fragment_size;
}

static bool listen_eq(const struct app_config *a, const struct app_config *b)
{
	if (a->n_listen != b->n_listen || a->ike_port != b->ike_port ||
	    a->natt_port != b->natt_port)
		return false;
	for (unsigned i = 0; i < a->n_listen; i++)
		if (!ike_addr_ip_eq(&a->listen[i], &b->listen[i]))
			return false;
	return true;
}

static const char *daemon_diff(const struct app_config *a, const struct app_config *b)
{
	if (!listen_eq(a, b))
		return "local (addresses, ports)"; /* bound once, before privileges go */
	if (strcmp(a->control_socket, b->control_socket) != 0)
		return "control.socket";
	if (strcmp(a->keylog_path, b->keylog_path) != 0)
		return "log.keylog";
	if (strcmp(a->metrics_listen, b->metrics_listen) != 0)
		return "metrics.listen"; /* bound at start, as the sockets */
	if (a->log_level != b->log_level)
		return "log.level";
	if (strcmp(a->privs.user, b->privs.user) != 0 ||
	    strcmp(a->privs.group, b->privs.group) != 0)
		return "privileges";
	if (!engine_eq(&a->engine, &b->engine))
		return "ike";
	return NULL;
}

/* Compared as parsed into zeroed memory, entry by entry in place. */
#define FP_ARR_EQ(a, b, n, arr) \
	((a)->n == (b)->n && !memcmp((a)->arr, (b)->arr, (a)->n * sizeof((a)->arr[0])))

static const char *fastpath_diff(const struct app_fp_cfg *a, const struct app_fp_cfg *b)
{
	if (a->present != b->present || !FP_ARR_EQ(a, b, n_ports, ports))
		return "fastpath.ports";
	if (a->workers != b->workers || a->rx_burst != b->rx_burst)
		return "fastpath.workers";
	if (a->reasm_max != b->reasm_max || a->reasm_timeout_ms != b->reasm_timeout_ms)
		return "fastpath.reassembly";
	if (a->max_sas != b->max_sas) /* the tables are sized at start */
		return "fastpath.max_sas";
	if (a->max_routes != b->max_routes)
		return "fastpath.max_routes";
	if (memcmp(&a->crypto, &b->crypto, sizeof(a->crypto)) != 0)
		return "fastpath.crypto";
	return NULL;
}

bool app_config_restart_needed(const struct app_config *old, const struct app_config *next,
			       bool fastpath, char *why, size_t len)
{
	const char *what = daemon_diff(old, next);

	if (!what && fastpath)
		what = fastpath_diff(&old->fastpath, &next->fastpath);
	if (what)
		snprintf(why, len, "%s changed: needs a restart", what);
	return what != NULL;
}
