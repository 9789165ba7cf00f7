/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE in the DPDK gateway, on the control core. See gw_ike.h. */
#include <errno.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_telemetry.h>

#include "app/common/ctl_list.h"
#include "app/common/ctl_socket.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_ike.h"
#include "app/gateway/gw_metrics.h"
#include "app/gateway/gw_reload.h"
#include "app/gateway/gw_traps.h"
#include "app/common/log.h"
#include "app/common/reload.h"
#include "fastpath/host.h"

/* How long a control client may take (app_ctlsock_set_budget()). */
#define GW_CTL_BUDGET_MS 100u
/* Deletes of CHILD SAs the fast path refused, asked for inside the
 * engine's event callback and so run from app_gw_ike_poll(): the engine is
 * not called back into. It queues every action it is given. */
#define DEFERRED_MAX 64u
/* How often CHILD SA traffic is told to the engine: well inside any
 * sensible dpd_delay. */
#define GW_ACTIVITY_MS 5000u

struct app_gw_ike {
	struct app_config *cfg;
	const struct fp_dp *dp;
	struct ike_engine *engine;
	struct app_ctlsock *ctl;
	FILE *keylog;
	struct fp_host *host;             /* punts in, messages and echo replies out (rt's) */
	struct app_gw_rt *rt;             /* routes: a reload applies fastpath.routes */
	struct app_gw_children *children; /* what CHILD SA events installed */
	uint32_t deferred[DEFERRED_MAX];  /* inbound SPIs of CHILD SAs to delete */
	unsigned n_deferred;
	uint64_t activity_at;
	struct app_gw_ike_stats st;
	struct app_log_limit drop_limit; /* warnings for dropped datagrams */
	struct gw_traps traps;           /* trap policies in the fast path */
};

/* The engine's addresses to the host stack's and back: the same fields,
 * two types, since the fast path does not depend on ike/. */
static struct fp_host_addr host_addr(const ike_addr_t *a)
{
	struct fp_host_addr h = { .family = a->family, .port = a->port };

	memcpy(h.a, a->a, sizeof(h.a));
	return h;
}

static ike_addr_t ike_addr(const struct fp_host_addr *h)
{
	ike_addr_t a = { .family = h->family, .port = h->port };

	memcpy(a.a, h->a, sizeof(a.a));
	return a;
}

/* ---- engine callbacks ---- */

static void send_fail(struct app_gw_ike *g, const ike_addr_t *remote, size_t len, const char *why)
{
	char rs[80];

	g->st.tx_failed++;
	app_log(IKE_LOG_WARN, "IKE message of %zu bytes to %s not sent: %s", len,
		ike_addr_str(remote, rs, sizeof(rs)), why);
}

static void op_send(void *ctx, const ike_addr_t *local, const ike_addr_t *remote,
		    const uint8_t *buf, size_t len)
{
	struct app_gw_ike *g = ctx;
	const struct fp_host_addr l = host_addr(local), r = host_addr(remote);
	struct fp_host_sent s;
	const char *why = fp_host_send_udp(g->host, &l, &r, buf, len, &s);

	if (why != NULL) {
		send_fail(g, remote, len, why);
		return;
	}
	g->st.tx++;
	if (s.frames > 1)
		g->st.tx_frags += (uint64_t)s.frames;
	if (app_log_get_level() >= IKE_LOG_DEBUG) {
		char ls[80], rs[80];

		app_log(IKE_LOG_DEBUG, "tx %zu bytes %s -> %s, port %u%s", len,
			ike_addr_str(local, ls, sizeof(ls)), ike_addr_str(remote, rs, sizeof(rs)),
			s.port, s.frames > 1 ? ", fragmented" : "");
	}
}

static void defer_delete(struct app_gw_ike *g, uint32_t spi_in);

/* The CHILD SA configurations of connection ci get their trap policies,
 * once. In front of the SPD: nothing of the connection is up when this
 * runs (started, or its last IKE SA gone), and a CHILD SA's own policies
 * go in front of them when it comes. */
static void trap_conn(struct app_gw_ike *g, unsigned ci)
{
	const struct ike_conn_cfg *c = &g->cfg->conns[ci];
	struct fp_spd_rule rules[IKE_MAX_TS * IKE_MAX_TS];
	char err[160] = "no selector pair of one family";

	for (unsigned k = 0; k < c->n_children; k++) {
		uint32_t id;
		unsigned n;
		bool ok;

		if (gw_traps_find(&g->traps, g->cfg, ci, k))
			continue;
		if (!(id = gw_traps_new(&g->traps, g->cfg, ci, k))) {
			app_log(IKE_LOG_ERR, "fastpath: CHILD_SA %s/%s not trapped: out of memory",
				c->name, c->children[k].name);
			continue;
		}
		n = app_gw_trap_rules(&c->children[k], id, rules, RTE_DIM(rules));
		ok = n && fp_ctrl_spd_prepend(g->dp->ctrl, rules, n, err, sizeof(err)) == 0;
		if (!ok)
			gw_traps_release(&g->traps, id);
		if (ok)
			app_log(IKE_LOG_INFO, "fastpath: CHILD_SA %s/%s trapped: %u polic%s",
				c->name, c->children[k].name, n, n == 1 ? "y" : "ies");
		else
			app_log(IKE_LOG_ERR, "fastpath: CHILD_SA %s/%s not trapped: %s", c->name,
				c->children[k].name, err);
	}
}

static void trap_event(struct app_gw_ike *g, const char *conn)
{
	int i = app_config_conn(g->cfg, conn);

	if (i >= 0)
		trap_conn(g, (unsigned)i);
}

static void op_event(void *ctx, const struct ike_event *ev)
{
	struct app_gw_ike *g = ctx;
	const struct ike_child_info *ci = ev->child;
	char line[APP_LOG_LINE_MAX], err[160];

	app_log(IKE_LOG_INFO, "%s", app_log_event_str(ev, line, sizeof(line)));
	if (ev->type == IKE_EV_IKE_REKEYED)
		app_gw_children_ike_rekeyed(g->children, ev);
	if (ev->type == IKE_EV_TRAP)
		trap_event(g, ev->conn);
	if (ci == NULL)
		return;
	if (ev->type == IKE_EV_CHILD_UP || ev->type == IKE_EV_CHILD_REKEYED) {
		if (app_gw_install_child(g->children, ci, err, sizeof(err)) == 0) {
			app_log(IKE_LOG_INFO,
				"fastpath: CHILD_SA %s/%s installed, SAs in 0x%08x "
				"out 0x%08x",
				ci->conn, ci->child, ci->spi_in, ci->spi_out);
			return;
		}
		/* A tunnel the peer believes up but that drops everything
		 * would fail silently: it is deleted, and the peer told. */
		app_log(IKE_LOG_ERR,
			"fastpath: CHILD_SA %s/%s (SAs in 0x%08x out 0x%08x) not "
			"installed: %s; deleting it",
			ci->conn, ci->child, ci->spi_in, ci->spi_out, err);
		defer_delete(g, ci->spi_in);
	} else if (ev->type == IKE_EV_CHILD_MOVED) {
		if (app_gw_move_child(g->children, ci, err, sizeof(err)) == 0)
			app_log(IKE_LOG_INFO,
				"fastpath: CHILD_SA %s/%s: outbound SA 0x%08x now to %s", ci->conn,
				ci->child, ci->spi_out,
				ike_addr_str(&ci->remote, line, sizeof(line)));
		else
			app_log(IKE_LOG_ERR,
				"fastpath: CHILD_SA %s/%s: outbound SA 0x%08x not moved: %s",
				ci->conn, ci->child, ci->spi_out, err);
	} else if (ev->type == IKE_EV_CHILD_DOWN) {
		int rc = app_gw_remove_child(g->children, ci, err, sizeof(err));

		if (rc == 0)
			app_log(IKE_LOG_INFO,
				"fastpath: CHILD_SA %s/%s removed, SAs in 0x%08x "
				"out 0x%08x",
				ci->conn, ci->child, ci->spi_in, ci->spi_out);
		else /* -ENOENT: its install had been refused */
			app_log(rc == -ENOENT ? IKE_LOG_DEBUG : IKE_LOG_ERR,
				"fastpath: CHILD_SA %s/%s (in 0x%08x out 0x%08x) not removed: %s",
				ci->conn, ci->child, ci->spi_in, ci->spi_out, err);
	}
}

/* Inbound SPIs are ours: random, and never one the fast path holds. */
static uint32_t op_spi_alloc(void *ctx)
{
	const struct app_gw_ike *g = ctx;
	uint32_t spi;

	do
		spi = (uint32_t)rte_rand();
	while (spi < 256 || app_gw_spi_in_use(g->children, spi));
	return spi;
}

static void op_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)ctx;
	app_log(lvl, "%s", line);
}

static void op_keylog(void *ctx, const char *line)
{
	app_keylog_write(((struct app_gw_ike *)ctx)->keylog, line);
}

static const struct ike_ops gw_ike_ops = {
	.send = op_send,
	.event = op_event,
	.log = op_log,
	.keylog = op_keylog,
	.spi_alloc = op_spi_alloc,
};

/* ---- telemetry: /ipsecgw/ike ---- */

/* The telemetry thread reads the counters while the control core writes
 * them (aligned 64-bit words: no torn values); the lock only keeps the
 * object from going away under a reader. */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct app_gw_ike *tel_ike;
static bool tel_registered;

static int cmd_ike(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const names[] = { "rx",           "rx_bad",   "rx_other",
					     "tx",           "tx_frags", "tx_failed",
					     "echo_replies", "acquires", "acquires_started" };
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_ike != NULL) {
		const uint64_t *v = &tel_ike->st.rx;

		_Static_assert(sizeof(struct app_gw_ike_stats) == 9 * sizeof(uint64_t),
			       "one name per counter");
		rte_tel_data_start_dict(d);
		for (unsigned i = 0; i < RTE_DIM(names); i++)
			rte_tel_data_add_dict_u64(d, names[i],
						  __atomic_load_n(&v[i], __ATOMIC_RELAXED));
		rte_tel_data_add_dict_int(d, "actions_waiting", (int)tel_ike->n_deferred);
		rc = 0;
	}
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

static void telemetry_attach(const struct app_gw_ike *g)
{
	pthread_mutex_lock(&tel_lock);
	tel_ike = g;
	if (g != NULL && !tel_registered &&
	    rte_telemetry_register_cmd("/ipsecgw/ike", cmd_ike,
				       "IKE datagrams on the control core. No parameters") == 0)
		tel_registered = true;
	pthread_mutex_unlock(&tel_lock);
}

/* ---- setup ---- */

/* ---- live reload (app/common/reload.h) ---- */

static int reload_check(void *arg, const struct app_config *run, const struct app_config *next,
			const struct app_conn_diff *d, char *err, size_t errlen)
{
	struct app_gw_ike *g = arg;

	(void)d;
	if (app_gw_check_conns(next, err, errlen) != 0)
		return -1;
	return app_gw_fp_reload_check(g->dp->ctrl, &run->fastpath, &next->fastpath, err, errlen);
}

/* The traps of connections removed or changed leave the SPD (a changed
 * one is trapped again, as it is now, when it starts). */
static void untrap_changed(struct app_gw_ike *g, const struct app_config *run,
			   const struct app_conn_diff *d)
{
	char err[160];

	for (uint32_t id = 1; id <= g->traps.n; id++) {
		const struct gw_trap *t = gw_traps_get(&g->traps, id);
		const struct ike_conn_cfg *c;
		enum app_conn_change what = t ? app_conn_diff_of(d, run, t->conn)
					      : APP_CONN_UNCHANGED;

		if (what != APP_CONN_REMOVED && what != APP_CONN_CHANGED)
			continue;
		if (fp_ctrl_spd_del_trap(g->dp->ctrl, id, err, sizeof(err)) != 0) {
			app_log(IKE_LOG_ERR, "reload: trap policies of %s not removed: %s", t->conn,
				err);
			continue;
		}
		c = app_config_conn_cfg(run, t->conn);
		app_log(IKE_LOG_INFO, "fastpath: CHILD_SA %s/%s untrapped: its connection %s",
			t->conn, c && t->child < c->n_children ? c->children[t->child].name : "?",
			app_conn_change_name(what));
		gw_traps_release(&g->traps, id);
	}
}

static void reload_apply(void *arg, const struct app_config *run, const struct app_config *next,
			 const struct app_conn_diff *d, char *note, size_t len)
{
	struct app_gw_ike *g = arg;

	char err[200];

	untrap_changed(g, run, d);
	app_gw_fp_reload_apply(g->dp->ctrl, &run->fastpath, &next->fastpath, note, len);
	/* The configured routes as the file now says (route-add's stay). */
	if (app_gw_rt_apply(g->rt, &next->fastpath, err, sizeof(err)) != 0)
		app_log(IKE_LOG_WARN, "reload: %s", err);
}

static void reload_start(void *arg, const struct ike_conn_cfg *c, uint64_t now)
{
	struct app_gw_ike *g = arg;
	int rc;

	if (c->trap) /* c is one of g->cfg->conns (config_live.c start_conns) */
		trap_conn(g, (unsigned)(c - g->cfg->conns));
	if (c->initiate && (rc = ike_engine_initiate(g->engine, c->name, now)) < 0)
		app_log(IKE_LOG_WARN, "reload: cannot initiate '%s': %s", c->name, strerror(-rc));
}

int app_gw_ike_reload(struct app_gw_ike *g, char *msg, size_t len)
{
	static const struct app_reload_ops ops = { .check = reload_check,
						   .apply = reload_apply,
						   .start = reload_start };

	return app_config_reload(g->cfg, g->engine, true, &ops, g, app_mono_ms(), msg, len);
}

static int ctl_reload(void *arg, char *msg, size_t len)
{
	return app_gw_ike_reload(arg, msg, len);
}

struct app_gw_ike *app_gw_ike_create(const struct app_gw_ike_cfg *c, char *err, size_t errlen)
{
	struct app_gw_ike *g = calloc(1, sizeof(*g));
	char cerr[512];
	int rc;

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->cfg = c->cfg;
	g->dp = c->dp;
	g->children = c->children;
	if (app_gw_check_conns(c->cfg, err, errlen) != 0)
		goto fail;
	g->rt = c->rt;
	if ((g->host = app_gw_rt_host(c->rt)) == NULL) {
		snprintf(err, errlen, "no control core TX queue");
		goto fail;
	}
	app_config_apply_log(c->cfg);
	c->cfg->engine.keylog = c->cfg->keylog_path[0] != '\0';
	if (c->cfg->natt_port)
		c->cfg->engine.natt_port = c->cfg->natt_port;
	if (c->cfg->keylog_path[0] && (g->keylog = app_keylog_open(c->cfg->keylog_path)) == NULL) {
		snprintf(err, errlen, "cannot open the key log %s", c->cfg->keylog_path);
		goto fail;
	}
	if ((g->engine = ike_engine_new(&c->cfg->engine, &gw_ike_ops, g)) == NULL) {
		snprintf(err, errlen, "cannot create the IKE engine");
		goto fail;
	}
	if (app_config_give_creds(c->cfg, g->engine, err, errlen) < 0)
		goto fail;
	for (unsigned i = 0; i < c->cfg->n_conns; i++)
		if ((rc = ike_engine_add_conn(g->engine, &c->cfg->conns[i])) < 0) {
			snprintf(err, errlen, "connection '%s': %s", c->cfg->conns[i].name,
				 strerror(-rc));
			goto fail;
		}
	if (c->cfg->control_socket[0]) {
		g->ctl = app_ctlsock_open(c->cfg->control_socket, g->engine, c->cfg, cerr,
					  sizeof(cerr));
		if (g->ctl == NULL) {
			snprintf(err, errlen, "%s", cerr);
			goto fail;
		}
		/* Served on the control core: a client that stalls it stalls
		 * SA installs, punts and RCU reclamation with it. */
		app_ctlsock_set_budget(g->ctl, GW_CTL_BUDGET_MS);
		app_ctlsock_set_reload(ctl_reload, g);
		app_ctlsock_set_ext(app_gw_rt_ctl, c->rt);
		app_ctl_list_set_counters(app_gw_fp_child_counters, g->dp->ctrl);
	}
	telemetry_attach(g);
	app_log(IKE_LOG_INFO,
		"IKE on the fast path: %u connection%s, ports %u/%u, control "
		"core TX queue %u%s%s",
		c->cfg->n_conns, c->cfg->n_conns == 1 ? "" : "s", c->dp->local.ike_port,
		c->dp->local.natt_port, fp_ctrl_n_workers(c->dp->ctrl),
		g->ctl ? ", control socket " : "", g->ctl ? c->cfg->control_socket : "");
	return g;
fail:
	app_gw_ike_free(g);
	return NULL;
}

void app_gw_ike_free(struct app_gw_ike *g)
{
	if (g == NULL)
		return;
	telemetry_attach(NULL);
	if (g->ctl) { /* the fast path it reads goes with us */
		app_ctl_list_set_counters(NULL, NULL);
		app_ctlsock_set_ext(NULL, NULL);
	}
	app_ctlsock_close(g->ctl);
	if (g->engine)
		ike_engine_free(g->engine);
	if (g->keylog)
		fclose(g->keylog);
	gw_traps_free(&g->traps);
	app_log_flush();
	free(g);
}

/* ---- running ---- */

/* An echo request to one of our addresses gets its reply (fastpath/host.h);
 * anything else punted that is not IKE is only counted. */
static void echo_reply(struct app_gw_ike *g, const uint8_t *f, size_t len)
{
	const char *why;
	int rc = fp_host_echo(g->host, f, len, app_mono_ms(), &why);

	if (rc > 0)
		g->st.echo_replies++;
	else if (rc < 0)
		app_log(IKE_LOG_DEBUG, "echo reply not sent: %s", why);
}

/* The IPv4 or IPv6 source of an Ethernet frame, "?" when there is none. */
static const char *frame_src(const uint8_t *f, size_t len, char *buf, size_t blen)
{
	uint16_t et = len >= 14 ? (uint16_t)(f[12] << 8 | f[13]) : 0;

	if (et == 0x0800 && len >= 14 + 20 && inet_ntop(AF_INET, f + 26, buf, (socklen_t)blen))
		return buf;
	if (et == 0x86dd && len >= 14 + 40 && inet_ntop(AF_INET6, f + 22, buf, (socklen_t)blen))
		return buf;
	return "?";
}

/* Each datagram an IKE peer sent that we drop may be the answer a request
 * waits for (a veth's checksum offload leaves every one unfinished:
 * docs/deploy.md): a warning, at most GW_DROP_LINES per GW_DROP_WINDOW_MS
 * with the count of those left out, and the engine counts it for its "peer
 * not responding" line. */
#define GW_DROP_LINES     5u
#define GW_DROP_WINDOW_MS 10000u

static void punt_dropped(struct app_gw_ike *g, const uint8_t *f, size_t len, const char *why)
{
	char src[INET6_ADDRSTRLEN];
	unsigned held;

	ike_engine_note_rx_dropped(g->engine);
	if (!app_log_limit_take(&g->drop_limit, app_mono_ms(), GW_DROP_LINES, GW_DROP_WINDOW_MS,
				&held))
		return;
	if (held)
		app_log(IKE_LOG_WARN,
			"IKE datagram from %s dropped: %s (and %u more since the last such line, "
			"not logged)",
			frame_src(f, len, src, sizeof(src)), why, held);
	else
		app_log(IKE_LOG_WARN, "IKE datagram from %s dropped: %s",
			frame_src(f, len, src, sizeof(src)), why);
}

void app_gw_ike_punt(struct app_gw_ike *g, struct rte_mbuf *m)
{
	size_t len;
	const uint8_t *f = fp_host_frame(g->host, m, &len);
	struct fp_host_udp d;
	const char *why;
	int rc;

	rc = f ? fp_host_parse_udp(f, len, &g->dp->local, &d, &why) : 0;
	if (rc == 0) {
		g->st.rx_other++;
		if (f != NULL)
			echo_reply(g, f, len);
	} else if (rc < 0) {
		g->st.rx_bad++;
		punt_dropped(g, f, len, why);
	} else {
		const ike_addr_t local = ike_addr(&d.local), remote = ike_addr(&d.remote);

		g->st.rx++;
		if (app_log_get_level() >= IKE_LOG_DEBUG) {
			char ls[80], rs[80];

			app_log(IKE_LOG_DEBUG, "rx %zu bytes %s -> %s, port %u", d.len,
				ike_addr_str(&remote, rs, sizeof(rs)),
				ike_addr_str(&local, ls, sizeof(ls)), m->port);
		}
		/* The payload may point into m: the engine copies what it
		 * keeps. */
		ike_engine_input(g->engine, &local, &remote, d.payload, d.len, app_mono_ms());
	}
	rte_pktmbuf_free(m);
}

static void defer_delete(struct app_gw_ike *g, uint32_t spi_in)
{
	for (unsigned i = 0; i < g->n_deferred; i++)
		if (g->deferred[i] == spi_in)
			return;
	if (g->n_deferred == DEFERRED_MAX) {
		app_log(IKE_LOG_ERR,
			"fastpath: too many refused CHILD_SAs at once: SA 0x%08x "
			"not deleted",
			spi_in);
		return;
	}
	g->deferred[g->n_deferred++] = spi_in;
}

/* A rekey or delete of the CHILD SA with inbound SPI spi_in, queued by
 * the engine and run as soon as its IKE SA's window is free. */
static void child_action(struct app_gw_ike *g, uint32_t spi_in, bool rekey, uint64_t now)
{
	int rc = rekey ? ike_engine_rekey_child_spi(g->engine, spi_in, now)
		       : ike_engine_delete_child_spi(g->engine, spi_in, now);

	if (rc == 0)
		app_log(IKE_LOG_INFO, "fastpath: CHILD_SA with SA in 0x%08x: %s queued", spi_in,
			rekey ? "rekey" : "delete");
	else if (rc != -ENOENT) /* -ENOENT: gone already, nothing to do */
		app_log(IKE_LOG_ERR, "fastpath: CHILD_SA with SA in 0x%08x: %s refused: %s", spi_in,
			rekey ? "rekey" : "delete", strerror(-rc));
}

static unsigned run_deferred(struct app_gw_ike *g, uint64_t now)
{
	unsigned n = g->n_deferred;

	g->n_deferred = 0;
	for (unsigned i = 0; i < n; i++)
		child_action(g, g->deferred[i], false, now);
	return n;
}

void app_gw_ike_fp_event(struct app_gw_ike *g, const struct fp_ctrl_event *ev)
{
	uint32_t spi_in;

	/* Only children installed here (not static SAs). An outbound SA is
	 * named by its key, the child's inbound SPI (gw.c), in ev->spi. */
	if (ev->type == FP_EV_REQ_FAILED ||
	    !app_gw_child_of(g->children, ev->dir, ev->spi, &spi_in))
		return;
	if (ev->type == FP_EV_SOFT_EXPIRED) {
		app_log(IKE_LOG_INFO,
			"fastpath: %s SA of the CHILD_SA with inbound SPI 0x%08x reached its "
			"soft limit: rekeying the CHILD_SA",
			ev->dir == FP_DIR_IN ? "inbound" : "outbound", spi_in);
		child_action(g, spi_in, true, app_mono_ms());
	} else {
		app_log(IKE_LOG_WARN,
			"fastpath: %s SA of the CHILD_SA with inbound SPI 0x%08x %s: deleting "
			"the CHILD_SA",
			ev->dir == FP_DIR_IN ? "inbound" : "outbound", spi_in,
			ev->type == FP_EV_SEQ_OVERFLOW ? "ran out of sequence numbers"
						       : "reached its hard limit");
		child_action(g, spi_in, false, app_mono_ms());
	}
}

static void sa_active(void *arg, uint64_t spi_i, uint64_t spi_r)
{
	struct app_gw_ike *g = arg;

	ike_engine_sa_active(g->engine, spi_i, spi_r, app_mono_ms());
}

unsigned app_gw_ike_poll(struct app_gw_ike *g)
{
	uint64_t now = app_mono_ms();
	unsigned work = 0;

	/* Tunnels carrying traffic need no liveness check (ike.h). */
	if (now >= g->activity_at) {
		g->activity_at = now + GW_ACTIVITY_MS;
		work += app_gw_children_active(g->children, sa_active, g) != 0;
	}
	if (ike_engine_next_timer(g->engine) <= now) {
		ike_engine_tick(g->engine, now);
		work++;
	}
	if (g->n_deferred)
		work += run_deferred(g, now);
	work += app_gw_children_reap(g->children, now);
	if (g->ctl) {
		struct pollfd p = { .fd = app_ctlsock_poll_fd(g->ctl, NULL), .events = POLLIN };

		if (p.fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
			app_ctlsock_serve(g->ctl, now);
			work++;
		}
	}
	app_log_flush();
	return work;
}

void app_gw_ike_start(struct app_gw_ike *g)
{
	for (unsigned i = 0; i < g->cfg->n_conns; i++) {
		const struct ike_conn_cfg *c = &g->cfg->conns[i];
		int rc;

		if (c->trap)
			trap_conn(g, i);
		if (c->initiate &&
		    (rc = ike_engine_initiate(g->engine, c->name, app_mono_ms())) < 0)
			app_log(IKE_LOG_WARN, "cannot initiate '%s': %s", c->name, strerror(-rc));
	}
	app_log_flush();
}

void app_gw_ike_acquire(struct app_gw_ike *g, uint32_t trap)
{
	const struct gw_trap *t = gw_traps_get(&g->traps, trap);
	const struct ike_conn_cfg *c = t ? app_config_conn_cfg(g->cfg, t->conn) : NULL;
	unsigned k = t ? t->child : 0;
	int rc;

	/* A trap removed by a reload can still catch a packet in an SPD
	 * generation the workers have not left yet. */
	if (c == NULL || k >= c->n_children)
		return;
	g->st.acquires++;
	rc = ike_engine_acquire(g->engine, c->name, k, app_mono_ms());
	if (rc == 0) {
		g->st.acquires_started++;
		app_log(IKE_LOG_INFO, "fastpath: acquire for CHILD_SA %s/%s: setting it up",
			c->name, c->children[k].name);
	} else {
		app_log(rc == -EALREADY ? IKE_LOG_DEBUG : IKE_LOG_WARN,
			"fastpath: acquire for CHILD_SA %s/%s: %s", c->name, c->children[k].name,
			rc == -EALREADY ? "already under way" : strerror(-rc));
	}
}

/* Every IKE SA, not one per connection: a responder connection for a
 * prefix of peers holds one per peer. */
void app_gw_ike_shutdown(struct app_gw_ike *g)
{
	unsigned n = ike_engine_delete_all(g->engine, app_mono_ms());

	app_log(IKE_LOG_INFO, "deleting %u IKE SA%s", n, n == 1 ? "" : "s");
	app_log_flush();
}

/* SAs that a delete can still be sent or answered for: the shutdown
 * grace waits for these, not for negotiations that die with the engine. */
static void count_sa(void *arg, const struct ike_sa_summary *s)
{
	if (strcmp(s->state, "ESTABLISHED") == 0 || strcmp(s->state, "DELETING") == 0)
		(*(unsigned *)arg)++;
}

unsigned app_gw_ike_sa_count(struct app_gw_ike *g)
{
	unsigned n = 0;

	ike_engine_foreach_sa(g->engine, count_sa, &n);
	return n;
}

void app_gw_ike_get_stats(const struct app_gw_ike *g, struct app_gw_ike_stats *s)
{
	*s = g->st;
}

struct ike_engine *app_gw_ike_engine(struct app_gw_ike *g)
{
	return g->engine;
}
