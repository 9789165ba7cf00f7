/* SPDX-License-Identifier: BSD-3-Clause */
/* build/ipsecgw: the DPDK IPsec gateway.
 *
 *   ipsecgw [EAL options] -- -c config.json [--duration SEC] [--idle-exit MS]
 *           [--stats FILE] [--profiles DIR] [--check]
 *
 * The main lcore is the control core (fastpath/ctrl_core.c); every other lcore
 * of the EAL core list runs a worker (fastpath/worker.c), as many as
 * "fastpath.workers". Ports, static SAs, policies and routes come from the
 * "fastpath" section of the configuration; port defaults from
 * drivers-config/<profile>.json. With "connections" the control core also
 * runs IKE (app/gateway/gw_ike.c): its CHILD SAs are installed in the fast path.
 * See docs/fastpath.md for command lines. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/capability.h>

#include <rte_bus_vdev.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ike/ike.h"
#include "app/common/config.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_check.h"
#include "app/gateway/gw_eal.h"
#include "app/gateway/gw_ike.h"
#include "app/gateway/gw_reload.h"
#include "app/gateway/gw_metrics.h"
#include "app/common/metrics.h"
#include "app/common/log.h"
#include "app/common/notify.h"
#include "app/common/version.h"
#include "app/common/reload.h"
#include "app/gateway/gw_routes.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/sad.h"
#include "fastpath/telemetry.h"
#include "fastpath/worker.h"

/* SAs per direction: fastpath.max_sas, or what the memory holds (sa_room) */
/* Device sessions: every SA of both directions, plus room for SAs that
 * were replaced and wait out an RCU grace period before they are freed. */
#define GW_SESSIONS(max_sa) (2 * (max_sa) + 1024)

struct opts {
	const char *config, *stats, *profiles;
	double duration;       /* seconds, 0 = until a signal */
	unsigned idle_exit_ms; /* 0 = off */
	bool check;
};

struct port_rt {
	uint16_t id;
	uint16_t nrxq;
	bool found; /* id is the port's: stopped and closed at exit */
};

struct gw {
	struct app_config *cfg;
	struct opts o;
	struct rte_mempool *pool;
	struct fp_ctrl *ctrl;
	struct app_gw_rt *rt; /* routes, neighbours, the control core's host stack */
	struct fp_dp dp;
	struct fp_worker *w[FP_MAX_WORKERS];
	unsigned lcore[FP_MAX_WORKERS];
	unsigned nw;
	uint32_t max_sa; /* per direction (sa_room) */
	struct port_rt port[APP_FP_MAX_PORTS];
	uint64_t events[4];
	struct app_gw_ike *ike;           /* NULL without "connections" */
	struct app_gw_children *children; /* CHILD SAs IKE installed */
	uint16_t ntxq;                    /* TX queues per port: one per worker (+1 for IKE) */
	struct app_metrics *metrics;      /* "metrics.listen", NULL = off */
	struct app_gw_metrics_src msrc;
	uint16_t port_ids[APP_FP_MAX_PORTS];
};

/* Time the IKE SAs get at exit for their deletes to be answered. */
#define IKE_SHUTDOWN_GRACE_MS 1000u
#define GW_IKE_TX_DESC        64u

static volatile sig_atomic_t quit, hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else
		quit = 1;
}

/* SIGHUP: the configuration file again (app_gw_ike_reload()); without IKE
 * at start only the fast path's static SAs, policies (gw_reload.h) and
 * routes (gw_routes.h). */
static void reload(struct gw *g)
{
	char msg[800], err[200];
	int rc;

	hup = 0;
	app_reload_begin();
	rc = g->ike ? app_gw_ike_reload(g->ike, msg, sizeof(msg))
		    : app_gw_fp_reload(g->cfg, g->ctrl, app_mono_ms(), msg, sizeof(msg));
	/* with IKE its reload applies the routes (gw_ike.c reload_apply) */
	if (rc == 0 && !g->ike && app_gw_rt_apply(g->rt, &g->cfg->fastpath, err, sizeof(err)) != 0)
		app_log(IKE_LOG_WARN, "SIGHUP: reload: %s", err);
	if (rc < 0)
		app_log(IKE_LOG_WARN, "SIGHUP: reload refused: %s", msg);
	else
		app_log(IKE_LOG_INFO, "SIGHUP: reload: %s", msg);
	app_reload_end();
	fflush(stdout);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- -c config.json [--duration SEC] [--idle-exit MS]\n"
		"          [--stats FILE] [--profiles DIR] [--check]\n"
		"  -c, --config FILE   JSON configuration with a \"fastpath\" section\n"
		"  --duration SEC      stop after SEC seconds (default: on SIGINT/SIGTERM)\n"
		"  --idle-exit MS      stop when no packet was received for MS milliseconds\n"
		"  --stats FILE        write final counters as JSON to FILE ('-' = stdout)\n"
		"  --profiles DIR      driver profiles (default ./drivers-config if it\n"
		"                      exists, else %s/drivers-config)\n"
		"  --check             validate the configuration and exit\n"
		"  --version           print the version and exit (no EAL options)\n",
		app_datadir(), prog);
}

/* A checkout's drivers-config (make demo, the tests) before the installed one. */
static const char *profiles_default(void)
{
	static char dir[512];
	struct stat st;

	if (stat("drivers-config", &st) == 0 && S_ISDIR(st.st_mode))
		return "drivers-config";
	snprintf(dir, sizeof(dir), "%s/drivers-config", app_datadir());
	return dir;
}

/* Before the EAL, which would take --version for one of its own options. */
static bool want_version(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--version") == 0)
			return true;
	return false;
}

/* --check needs no EAL: our options follow "--", or are every argument
 * when no EAL option is given. */
static bool want_check(int argc, char **argv, int *first)
{
	bool check = false;

	*first = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0 && *first == 0)
			*first = i;
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
	}
	return check;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "stats", required_argument, NULL, 's' },
		{ "profiles", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'd': o->duration = atof(optarg); break;
		case 'i': o->idle_exit_ms = (unsigned)atoi(optarg); break;
		case 's': o->stats = optarg; break;
		case 'p': o->profiles = optarg; break;
		case 'k': o->check = true; break;
		default: return -1;
		}
	}
	if (!o->profiles)
		o->profiles = profiles_default();
	return o->config ? 0 : -1;
}

/* ---- ports ---- */

static int port_find(const struct app_fp_port *pc, uint16_t *id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *n = pc->device[0] ? pc->device : pc->name;

	if (pc->devargs[0]) {
		size_t k = strcspn(pc->devargs, ",");

		snprintf(name, sizeof(name), "%.*s", (int)k, pc->devargs);
		if (rte_eth_dev_get_port_by_name(name, id) != 0 &&
		    rte_dev_probe(pc->devargs) != 0) {
			char why[300] = "";
			bool known = app_gw_pci_cause(pc->devargs, why, sizeof(why));

			app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "port %s: cannot probe '%s'%s%s",
				 pc->name, pc->devargs, known ? ": " : "", why);
			return -1;
		}
		n = name;
	}
	if (rte_eth_dev_get_port_by_name(n, id) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR,
			 "port %s: no ethdev named '%s' (give --vdev or \"devargs\")", pc->name, n);
		return -1;
	}
	return 0;
}

static int port_setup(struct gw *g, unsigned i)
{
	const struct app_fp_port *pc = &g->cfg->fastpath.ports[i];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct app_gw_profile pr;
	char err[600];
	uint16_t id, nrx;
	int rc;

	if (app_gw_load_profile(g->o.profiles, pc->profile, &pr, err, sizeof(err)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "%s", err);
		return -1;
	}
	if (port_find(pc, &id) != 0)
		return -1;
	g->port[i].id = id;
	g->port[i].found = true;
	nrx = pc->rx_queues ? pc->rx_queues : pr.rx_queues;
	if ((rc = rte_eth_dev_info_get(id, &info)) != 0)
		return rc;
	/* net_af_packet makes one socket per queue pair and spreads what
	 * the interface receives over all of them (PACKET_FANOUT, by flow):
	 * a queue nobody polls would lose its flows without a trace. */
	if (strcmp(info.driver_name, "net_af_packet") == 0 && nrx < info.max_rx_queues) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO,
			 "port %s: net_af_packet spreads received frames over all %u queue pairs: "
			 "polling %u RX queues, not %u",
			 pc->name, info.max_rx_queues, info.max_rx_queues, nrx);
		nrx = info.max_rx_queues;
	}
	if (info.max_tx_queues < g->ntxq || info.max_rx_queues < nrx) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR,
			 "port %s: %u RX / %u TX queues needed (one TX queue per worker%s), "
			 "the device has %u / %u%s",
			 pc->name, nrx, g->ntxq, g->ntxq > g->nw ? " and one for IKE" : "",
			 info.max_rx_queues, info.max_tx_queues,
			 strcmp(info.driver_name, "net_af_packet") == 0
				 ? " (net_af_packet: raise qpairs= in its devargs)"
				 : "");
		return -1;
	}
	if ((rc = rte_eth_dev_configure(id, nrx, g->ntxq, &conf)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "port %s: configure: %s", pc->name,
			 rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < nrx; q++)
		if ((rc = rte_eth_rx_queue_setup(id, q, pc->rx_desc ? pc->rx_desc : pr.rx_desc,
						 rte_eth_dev_socket_id(id), NULL, g->pool)) != 0)
			return rc;
	for (uint16_t q = 0; q < g->ntxq; q++) {
		uint16_t nd = pc->tx_desc ? pc->tx_desc : pr.tx_desc;

		/* IKE's queue: short, since some drivers free sent mbufs only
		 * when a ring runs low, and IKE's pool is small. */
		if (q == g->nw && (nd = GW_IKE_TX_DESC) &&
		    rte_eth_dev_adjust_nb_rx_tx_desc(id, NULL, &nd) != 0)
			nd = GW_IKE_TX_DESC;
		if ((rc = rte_eth_tx_queue_setup(id, q, nd, rte_eth_dev_socket_id(id), NULL)) != 0)
			return rc;
	}
	/* The device's own MTU follows ours where the driver lets it set one
	 * (not net_ring, net_pcap, net_null); ours is what the workers keep
	 * to when they send either way. */
	rc = rte_eth_dev_set_mtu(id, pc->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		app_logs(APP_LOG_FASTPATH, IKE_LOG_WARN,
			 "port %s: the device did not take MTU %u (%s); packets over it are "
			 "still fragmented or dropped by the workers",
			 pc->name, pc->mtu, rte_strerror(-rc));
	g->dp.mtu[id] = pc->mtu;
	if ((rc = rte_eth_dev_start(id)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "port %s: start: %s", pc->name,
			 rte_strerror(-rc));
		return rc;
	}
	if (pr.promiscuous)
		rte_eth_promiscuous_enable(id); /* not every PMD has it */
	rte_eth_macaddr_get(id, &g->dp.mac[id]);
	g->port[i].id = id;
	g->port[i].nrxq = nrx;
	for (unsigned a = 0; a < pc->n_addr; a++) {
		struct fp_local *l = &g->dp.local;

		if ((pc->addr[a].family == 4 ? l->n4 : l->n6) == FP_MAX_LOCAL) {
			app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR,
				 "port %s: more than %u IPv%u addresses over all ports (the "
				 "fast path holds %u per family)",
				 pc->name, FP_MAX_LOCAL, pc->addr[a].family, FP_MAX_LOCAL);
			return -1;
		}
		if (pc->addr[a].family == 4) {
			l->a4_port1[l->n4] = (uint8_t)(id + 1);
			memcpy(&l->a4[l->n4++], pc->addr[a].a, 4);
		} else {
			l->a6_port1[l->n6] = (uint8_t)(id + 1);
			memcpy(l->a6[l->n6++], pc->addr[a].a, 16);
		}
	}
	app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO,
		 "port %s: ethdev %u, %u RX queue(s), %u TX queue(s), MTU %u", pc->name, id, nrx,
		 g->ntxq, pc->mtu);
	return 0;
}

/* ---- crypto ---- */

/* fastpath.crypto: intel-ipsec-mb needs nothing; cryptodev probes the
 * device when devargs are given (a vdev such as crypto_aesni_mb0, or a PCI
 * address), then attaches it with one queue pair per worker. Before the
 * control core exists, since static SAs take their sessions from it. */
static int crypto_setup(struct gw *g, const struct fp_crypto_backend **be)
{
	const struct app_fp_crypto *cc = &g->cfg->fastpath.crypto;
	char name[APP_FP_CDEV_NAME_MAX], err[600];
	struct fp_cdev_cfg c = { .device = name,
				 .n_qp = (uint16_t)g->nw,
				 .max_sessions = GW_SESSIONS(g->max_sa),
				 .socket = (int)rte_socket_id() };
	struct app_gw_profile pr;

	*be = &fp_crypto_imb;
	if (cc->backend == APP_FP_CRYPTO_IMB) {
		char desc[128];

		_Static_assert((int)APP_FP_IMB_SHORT_AVX2 == (int)FP_IMB_SHORT_AVX2 &&
				       (int)APP_FP_IMB_SHORT_OFF == (int)FP_IMB_SHORT_OFF,
			       "imb_short_arch values");
		fp_imb_configure((enum fp_imb_short)cc->imb_short,
				 cc->imb_short_max ? cc->imb_short_max : FP_IMB_SHORT_MAX_DEFAULT,
				 desc, sizeof(desc));
		app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO, "crypto: intel-ipsec-mb, %s", desc);
		return 0;
	}
	if (cc->device[0])
		snprintf(name, sizeof(name), "%s", cc->device);
	else
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(cc->devargs, ","), cc->devargs);
	if (app_gw_load_profile(g->o.profiles, cc->profile, &pr, err, sizeof(err)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "%s", err);
		return -1;
	}
	if (cc->devargs[0] && rte_cryptodev_get_dev_id(name) < 0 &&
	    rte_dev_probe(cc->devargs) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "crypto: cannot probe '%s'", cc->devargs);
		return -1;
	}
	c.qp_desc = cc->qp_desc ? cc->qp_desc : pr.qp_desc;
	c.timeout_us = cc->timeout_us;
	if (fp_crypto_cdev_attach(&c, err, sizeof(err)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "crypto: %s", err);
		return -1;
	}
	*be = &fp_crypto_cdev;
	app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO,
		 "crypto: cryptodev %s, %u queue pair(s) of %u descriptors, burst wait bound %u us",
		 name, g->nw, c.qp_desc, c.timeout_us ? c.timeout_us : FP_CDEV_TIMEOUT_US);
	return 0;
}

/* ---- tables ---- */

static void on_event(void *arg, const struct fp_ctrl_event *ev)
{
	static const char *const names[] = { "soft_expired", "hard_expired", "seq_overflow",
					     "request_failed" };
	struct gw *g = arg;

	g->events[ev->type]++;
	app_logs(APP_LOG_FASTPATH, ev->type == FP_EV_SOFT_EXPIRED ? IKE_LOG_INFO : IKE_LOG_WARN,
		 "fastpath event: %s %s %s=0x%08x%s%s", names[ev->type],
		 ev->dir == FP_DIR_IN ? "in" : "out",
		 ev->dir == FP_DIR_IN ? "spi" : "key", /* outbound: an IKE child's inbound SPI */
		 ev->spi, ev->why ? ": " : "", ev->why ? ev->why : "");
	if (g->ike)
		app_gw_ike_fp_event(g->ike, ev);
}

/* Neighbour discovery learns from ARP and ND; IKE takes the rest, which
 * without it is freed. */
static void on_punt(void *arg, struct rte_mbuf *m)
{
	struct gw *g = arg;

	if (g->rt && app_gw_rt_punt(g->rt, m))
		return; /* ARP, neighbour discovery */
	if (g->ike)
		app_gw_ike_punt(g->ike, m);
	else
		rte_pktmbuf_free(m); /* the short window before IKE exists */
}

/* A trap policy's acquire (fastpath/ctrl_core.h): IKE sets the tunnel up. */
static void on_acquire(void *arg, uint32_t trap)
{
	struct gw *g = arg;

	if (g->ike)
		app_gw_ike_acquire(g->ike, trap);
}

/* Routes, neighbours and, where IKE or a next hop to resolve needs it,
 * the control core's host stack on TX queue nw. */
static int routes_setup(struct gw *g)
{
	const struct app_fp_cfg *f = &g->cfg->fastpath;
	struct app_gw_rt_cfg rc = { .f = f,
				    .dp = &g->dp,
				    .port_ids = g->port_ids,
				    .max_routes = f->max_routes ? f->max_routes
								: APP_FP_ROUTES_DEFAULT,
				    .host = g->ntxq > g->nw,
				    .txq = (uint16_t)g->nw,
				    .n_workers = g->nw,
				    .socket = (int)rte_socket_id() };
	char err[200];

	for (unsigned i = 0; i < f->n_ports; i++)
		g->port_ids[i] = g->port[i].id;
	if ((g->rt = app_gw_rt_create(&rc, err, sizeof(err))) == NULL) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "%s", err);
		return -EINVAL;
	}
	if (app_gw_rt_set_rcu(g->rt, fp_ctrl_rcu(g->ctrl)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "routes: cannot attach RCU");
		return -ENOMEM;
	}
	return 0;
}

static int tables_setup(struct gw *g)
{
	const struct app_fp_cfg *f = &g->cfg->fastpath;
	struct fp_spd_rule *rules;
	struct fp_sa_params p;
	char err[160];
	int rc = 0;

	if ((rc = routes_setup(g)) != 0)
		return rc;
	for (unsigned i = 0; i < f->n_sas; i++) {
		if ((rc = app_gw_static_sa(&f->sas[i], &p, err, sizeof(err))) == 0)
			rc = fp_ctrl_add_sa(g->ctrl, &p, err, sizeof(err));
		ike_wipe(&p, sizeof(p));
		if (rc != 0) {
			app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "fastpath.static_sas[%u]: %s", i,
				 err);
			return rc;
		}
	}
	rules = calloc(f->n_policies + 1, sizeof(*rules));
	if (rules == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < f->n_policies; i++)
		app_gw_policy(&f->policies[i], &rules[i]);
	rc = fp_ctrl_spd_replace_config(g->ctrl, rules, f->n_policies, err, sizeof(err));
	if (rc != 0)
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "fastpath.policies: %s", err);
	free(rules);
	return rc;
}

_Static_assert(APP_FP_MAX_RX_BURST == FP_RX_BURST_MAX, "fastpath.rx_burst's bound");

static int workers_setup(struct gw *g)
{
	const struct app_fp_cfg *f = &g->cfg->fastpath;
	struct fp_worker_cfg wc[FP_MAX_WORKERS];
	unsigned k = 0, lc = rte_get_next_lcore(-1, 1, 0);

	memset(wc, 0, sizeof(wc));
	/* RX queues round-robin over the workers; TX queue i is worker i's. */
	for (unsigned i = 0; i < f->n_ports; i++)
		for (uint16_t q = 0; q < g->port[i].nrxq; q++, k++) {
			struct fp_worker_cfg *c = &wc[k % g->nw];

			if (c->n_rxq == FP_MAX_RXQ)
				return -E2BIG;
			c->rxq[c->n_rxq].port = g->port[i].id;
			c->rxq[c->n_rxq++].queue = q;
		}
	for (unsigned i = 0; i < g->nw; i++) {
		wc[i].id = i;
		wc[i].dp = &g->dp;
		wc[i].txq = (uint16_t)i;
		wc[i].rx_burst = (uint16_t)f->rx_burst;
		wc[i].reasm_max = f->reasm_max;
		wc[i].reasm_timeout_ms = f->reasm_timeout_ms;
		wc[i].socket = (int)rte_lcore_to_socket_id(lc);
		g->w[i] = fp_worker_create(&wc[i]);
		if (g->w[i] == NULL)
			return -ENOMEM;
		g->lcore[i] = lc;
		app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO, "worker %u: lcore %u, %u RX queue(s)", i,
			 lc, wc[i].n_rxq);
		lc = rte_get_next_lcore(lc, 1, 0);
	}
	return 0;
}

/* ---- run ---- */

static uint64_t rx_total(const struct gw *g)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < g->nw; i++)
		n += fp_worker_stats(g->w[i])->rx + fp_worker_stats(g->w[i])->handoff_in;
	return n;
}

/* The control core sleeps between polls, longer while nothing arrives
 * (100 us doubling to 2 ms): a fixed 100 us nap cost ~12 % of a core and
 * thousands of context switches a second on an idle gateway, taken from
 * whatever shares that core. The workers' counters are read only for
 * --idle-exit, and at most every 10 ms: each read pulls cache lines the
 * workers are writing. */
#define CTRL_NAP_MIN_US 100u
#define CTRL_NAP_MAX_US 2000u

static void fill_metrics(void *arg, struct app_prom *p)
{
	app_gw_metrics_fill(arg, p);
}

static int open_metrics(struct gw *g)
{
	char err[300];

	if (!g->cfg->metrics_listen[0])
		return 0;
	for (unsigned i = 0; i < g->cfg->fastpath.n_ports; i++)
		g->port_ids[i] = g->port[i].id;
	g->msrc = (struct app_gw_metrics_src){ .cfg = g->cfg,
					       .ctrl = g->ctrl,
					       .engine = g->ike ? app_gw_ike_engine(g->ike) : NULL,
					       .workers = g->w,
					       .n_workers = g->nw,
					       .port_ids = g->port_ids };
	g->metrics = app_metrics_open(g->cfg->metrics_listen, fill_metrics, &g->msrc, err,
				      sizeof(err));
	if (!g->metrics) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_ERR, "%s", err);
		return -1;
	}
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "metrics on http://%s/metrics",
		 g->cfg->metrics_listen);
	return 0;
}

/* Scrapes are served between polls, at most every 10 ms: the control
 * core's loop has no poll() of its own. */
static void serve_metrics(struct gw *g, uint64_t now, uint64_t *last, uint64_t hz)
{
	struct pollfd p;

	if (!g->metrics || now - *last < hz / 100)
		return;
	*last = now;
	p = (struct pollfd){ .fd = app_metrics_fd(g->metrics), .events = POLLIN };
	if (poll(&p, 1, 0) > 0)
		app_metrics_serve(g->metrics);
}

static void control_loop(struct gw *g)
{
	uint64_t hz = rte_get_timer_hz(), start = rte_get_timer_cycles(), last_rx = 0;
	uint64_t last_change = start, last_check = start, last_metrics = start;
	unsigned nap = CTRL_NAP_MIN_US;

	while (!quit) {
		uint64_t now = rte_get_timer_cycles(), rx;
		unsigned work = fp_ctrl_poll(g->ctrl) + app_gw_rt_poll(g->rt);

		app_notify_watchdog(app_mono_ms());
		if (g->ike)
			work += app_gw_ike_poll(g->ike);
		serve_metrics(g, now, &last_metrics, hz);
		if (hup)
			reload(g);
		if (work == 0) {
			usleep(nap);
			nap = nap * 2 > CTRL_NAP_MAX_US ? CTRL_NAP_MAX_US : nap * 2;
		} else {
			nap = CTRL_NAP_MIN_US;
		}
		if (g->o.duration > 0 && now - start > (uint64_t)(g->o.duration * (double)hz))
			break;
		if (!g->o.idle_exit_ms || now - last_check < hz / 100)
			continue;
		last_check = now;
		rx = rx_total(g);
		if (rx != last_rx) {
			last_rx = rx;
			last_change = now;
		}
		if (now - last_change > g->o.idle_exit_ms * hz / 1000)
			break;
	}
	app_notify_stopping();
	/* The peers are told the SAs end; the workers still run, so their
	 * answers come in and the deletes go out. */
	if (g->ike) {
		uint64_t end = rte_get_timer_cycles() + IKE_SHUTDOWN_GRACE_MS * hz / 1000;

		app_gw_ike_shutdown(g->ike);
		while (app_gw_ike_sa_count(g->ike) > 0 && rte_get_timer_cycles() < end) {
			if (fp_ctrl_poll(g->ctrl) + app_gw_ike_poll(g->ike) == 0)
				usleep(CTRL_NAP_MIN_US);
		}
	}
	/* Requests and punts of the last loops are applied and counted; a poll
	 * takes a bounded batch, so until nothing is left (the workers still
	 * run: what they punt after this is freed with the control core). */
	for (unsigned i = 0; i < 1024 && fp_ctrl_poll(g->ctrl) != 0; i++)
		;
}

static json_t *stats_json(const struct gw *g)
{
	json_t *root = json_object(), *ws = json_array(), *drops = json_object();
	json_t *ports = json_object();
	uint64_t tot[FP_WD_MAX] = { 0 };
	struct fp_ctrl_stats cs;

	for (unsigned i = 0; i < g->nw; i++) {
		const struct fp_worker_stats *s = fp_worker_stats(g->w[i]);
		json_t *w = json_pack("{sIsIsIsIsIsIsIsI}", "rx", (json_int_t)s->rx, "tx",
				      (json_int_t)s->tx, "esp_in", (json_int_t)s->esp_in, "esp_out",
				      (json_int_t)s->esp_out, "bypass", (json_int_t)s->bypass,
				      "punt", (json_int_t)s->punt, "handoff_out",
				      (json_int_t)s->handoff_out, "handoff_in",
				      (json_int_t)s->handoff_in);
		struct fp_crypto_stats cst;

		/* crypto_timeouts..orphans: non-zero only with a cryptodev that missed
		 * the wait bound; crypto_short_jobs: intel-ipsec-mb, second manager. */
		fp_worker_crypto_stats(g->w[i], &cst);
		json_object_update_new(
			w, json_pack("{sIsIsIsIsIsI}", "crypto_timeouts", (json_int_t)cst.timeouts,
				     "crypto_abandoned", (json_int_t)cst.abandoned, "crypto_late",
				     (json_int_t)cst.late, "crypto_no_op", (json_int_t)cst.no_op,
				     "crypto_orphans", (json_int_t)cst.orphans, "crypto_short_jobs",
				     (json_int_t)cst.short_jobs));
		json_object_update_new(w,
				       json_pack("{sIsIsIsIsI}", "frag_in", (json_int_t)s->frag_in,
						 "reassembled", (json_int_t)s->reassembled,
						 "frag_out", (json_int_t)s->frag_out,
						 "icmp_too_big", (json_int_t)s->icmp_too_big,
						 "neigh_replies", (json_int_t)s->neigh_replies));
		json_object_update_new(w, json_pack("{sIsIsI}", "acquires", (json_int_t)s->acquires,
						    "acquires_lost", (json_int_t)s->acquires_lost,
						    "unresolved_queued",
						    (json_int_t)s->unresolved_queued));
		for (unsigned r = 1; r < FP_WD_MAX; r++)
			tot[r] += s->drops[r];
		json_array_append_new(ws, w);
	}
	for (unsigned r = 1; r < FP_WD_MAX; r++)
		json_object_set_new(drops, fp_wdrop_name(r), json_integer((json_int_t)tot[r]));
	for (unsigned i = 0; i < g->cfg->fastpath.n_ports; i++) {
		uint16_t id = g->port[i].id;
		uint64_t v[5] = { 0 };

		for (unsigned k = 0; k < g->nw; k++) {
			const struct fp_port_stats *p = &fp_worker_stats(g->w[k])->port[id];
			v[0] += p->rx;
			v[1] += p->rx_bytes;
			v[2] += p->tx;
			v[3] += p->tx_bytes;
			v[4] += p->tx_drop;
		}
		json_object_set_new(ports, g->cfg->fastpath.ports[i].name,
				    json_pack("{sIsIsIsIsI}", "rx", (json_int_t)v[0], "rx_bytes",
					      (json_int_t)v[1], "tx", (json_int_t)v[2], "tx_bytes",
					      (json_int_t)v[3], "tx_drop", (json_int_t)v[4]));
	}
	fp_ctrl_get_stats(g->ctrl, &cs);
	json_object_set_new(root, "workers", ws);
	json_object_set_new(root, "drops", drops);
	json_object_set_new(root, "ports", ports);
	json_object_set_new(root, "control",
			    json_pack("{sIsIsIsIsIsIsI}", "sa_in", (json_int_t)cs.sa_in, "sa_out",
				      (json_int_t)cs.sa_out, "spd_rules", (json_int_t)cs.spd_rules,
				      "spd_scan_rules", (json_int_t)cs.spd_scan_rules,
				      "spd_acl_rules", (json_int_t)cs.spd_acl_rules, "punted",
				      (json_int_t)cs.punted, "req_failed",
				      (json_int_t)cs.req_failed));
	if (g->ike) {
		struct app_gw_ike_stats is;

		app_gw_ike_get_stats(g->ike, &is);
		json_object_set_new(root, "ike",
				    json_pack("{sIsIsIsIsIsIsIsI}", "rx", (json_int_t)is.rx,
					      "rx_bad", (json_int_t)is.rx_bad, "rx_other",
					      (json_int_t)is.rx_other, "tx", (json_int_t)is.tx,
					      "tx_frags", (json_int_t)is.tx_frags, "tx_failed",
					      (json_int_t)is.tx_failed, "echo_replies",
					      (json_int_t)is.echo_replies, "sas",
					      (json_int_t)app_gw_ike_sa_count(g->ike)));
		json_object_update_new(json_object_get(root, "ike"),
				       json_pack("{sIsI}", "acquires", (json_int_t)is.acquires,
						 "acquires_started",
						 (json_int_t)is.acquires_started));
	}
	return root;
}

static void write_stats(const struct gw *g)
{
	json_t *j = stats_json(g);

	if (strcmp(g->o.stats, "-") == 0)
		json_dumpf(j, stdout, JSON_INDENT(2));
	else if (json_dump_file(j, g->o.stats, JSON_INDENT(2)) != 0)
		app_logs(APP_LOG_CONTROL, IKE_LOG_ERR, "cannot write %s", g->o.stats);
	json_decref(j);
}

static void teardown(struct gw *g)
{
	fp_telemetry_fini();
	app_metrics_close(g->metrics);
	g->metrics = NULL;
	app_gw_children_free(g->children);
	g->children = NULL;
	for (unsigned i = 0; i < g->nw; i++)
		fp_worker_free(g->w[i]);
	/* Closing flushes PMD state (net_pcap writes its file). */
	for (unsigned i = 0; i < g->cfg->fastpath.n_ports; i++) {
		if (!g->port[i].found)
			continue; /* start failed before this one */
		rte_eth_dev_stop(g->port[i].id);
		rte_eth_dev_close(g->port[i].id);
	}
	/* After the ports: a TX queue may still hold IKE's mbufs. */
	app_gw_ike_free(g->ike);
	g->ike = NULL;
	fp_ctrl_free(g->ctrl);
	app_gw_rt_free(g->rt);
	g->rt = NULL;
	/* Last: the SAs freed above gave their device sessions back. */
	if (fp_crypto_cdev_detach() != 0)
		app_logs(APP_LOG_FASTPATH, IKE_LOG_WARN, "crypto: device still in use at exit");
}

/* Once DPDK runs and the ports, workers and control socket are set up.
 * What the EAL and the PMDs may still do on the control core at run time
 * (docs/operations.md, "Privileges"): lock and map memory that grows
 * (IPC_LOCK; SYS_ADMIN for the physical addresses of drivers that use
 * them), and link operations of kernel-backed ports such as net_tap and
 * net_af_packet (NET_ADMIN, NET_RAW). */
static int drop_privileges(struct gw *g)
{
	static const int keep[] = { CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW };
	char info[300], err[300];

	if (app_privs_drop(&g->cfg->privs, keep, sizeof(keep) / sizeof(keep[0]), info, sizeof(info),
			   err, sizeof(err)) < 0) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_ERR, "privileges: %s", err);
		return -1;
	}
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "privileges: %s", info);
	return 0;
}

/* SAs per direction (app_gw_sa_room()), counted after the mbuf pool. */
static int sa_room(struct gw *g)
{
	struct rte_malloc_socket_stats st = { 0 };
	unsigned want = g->cfg->fastpath.max_sas, sock = rte_socket_id();
	char msg[400];

	rte_malloc_get_socket_stats((int)sock, &st);
	if (app_gw_sa_room(want, st.heap_freesz_bytes, &g->max_sa, msg, sizeof(msg)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "%s (socket %u)", msg, sock);
		return -1;
	}
	app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO, "%s", msg);
	return 0;
}

/* The mbuf pool, the crypto backend and the control core. */
static int ctrl_setup(struct gw *g)
{
	const struct app_fp_cfg *f = &g->cfg->fastpath;
	struct fp_ctrl_cfg cc = {
		.name = "gw",
		.n_workers = g->nw,
		.max_sa = 0, /* sa_room() */
		.socket = (int)rte_socket_id(),
		.on_event = on_event,
		.arg = g,
		.on_punt = on_punt,
		.on_acquire = on_acquire,
	};
	char err[160];

	/* Each datagram being reassembled may hold RTE_LIBRTE_IP_FRAG_MAX_FRAG
	 * mbufs until it expires: room for all of them, so spoofed fragments
	 * cannot take the buffers RX needs. */
	g->pool = rte_pktmbuf_pool_create(
		"gw_mbufs", 16383 + (4096 + f->reasm_max * RTE_LIBRTE_IP_FRAG_MAX_FRAG) * g->nw,
		256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!g->pool || sa_room(g) != 0 || crypto_setup(g, &cc.be) != 0) {
		if (!g->pool)
			app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "cannot create the mbuf pool");
		return -1;
	}
	cc.max_sa = g->max_sa;
	g->ctrl = g->pool ? fp_ctrl_create(&cc, err, sizeof(err)) : NULL;
	if (g->ctrl == NULL) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "%s",
			 g->pool ? err : "cannot create the mbuf pool");
		return -1;
	}
	g->dp.ctrl = g->ctrl;
	g->dp.local.natt_port = g->cfg->natt_port;
	g->dp.local.ike_port = g->cfg->ike_port;
	return 0;
}

/* IKE on the control core, when the configuration has connections. */
static int ike_setup(struct gw *g)
{
	struct app_gw_ike_cfg ic = {
		.cfg = g->cfg, .dp = &g->dp, .children = g->children, .rt = g->rt
	};
	char err[160];

	if (!g->cfg->n_conns)
		return 0;
	if ((g->ike = app_gw_ike_create(&ic, err, sizeof(err))) == NULL) {
		app_logs(APP_LOG_IKE, IKE_LOG_ERR, "IKE: %s", err);
		return -1;
	}
	return 0;
}

/* Ports, tables, the CHILD SA registry, IKE and the workers (not started). */
static int setup(struct gw *g)
{
	if (ctrl_setup(g) != 0)
		return -1;
	for (unsigned i = 0; i < g->cfg->fastpath.n_ports; i++)
		if (port_setup(g, i) != 0)
			return -1;
	if (tables_setup(g) != 0)
		return -1;
	if ((g->children = app_gw_children_new(g->ctrl)) == NULL) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "ipsecgw: out of memory");
		return -1;
	}
	if (ike_setup(g) != 0)
		return -1;
	if (workers_setup(g) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "cannot create workers");
		return -1;
	}
	return 0;
}

/* Telemetry, the workers launched, the start-up line. */
static void start_workers(struct gw *g)
{
	const struct app_fp_cfg *f = &g->cfg->fastpath;
	int rc = fp_telemetry_init(g->ctrl);

	if (rc != 0)
		app_logs(APP_LOG_FASTPATH, IKE_LOG_WARN, "telemetry commands not registered: %d",
			 rc);
	for (unsigned i = 0; i < f->n_ports; i++)
		fp_telemetry_port_name(g->port[i].id, f->ports[i].name);
	for (unsigned i = 0; i < g->nw; i++)
		rte_eal_remote_launch(fp_worker_run, g->w[i], g->lcore[i]);
	app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO,
		 "running: ipsecgw %s, %u worker(s), %u static SA(s), %u polic%s, %u route(s), "
		 "%u IKE connection(s)",
		 app_version(), g->nw, f->n_sas, f->n_policies, f->n_policies == 1 ? "y" : "ies",
		 f->n_routes, g->cfg->n_conns);
}

static int run(struct gw *g)
{
	int rc = 0;

	if (setup(g) != 0)
		return 1;
	start_workers(g);
	if (open_metrics(g) < 0 || drop_privileges(g) < 0) {
		quit = 1; /* the workers run: stop them as at a signal */
		rc = 1;
	}
	fflush(stdout);
	if (g->ike && !quit)
		app_gw_ike_start(g->ike);
	app_notify_ready("ports and IKE sockets open");
	control_loop(g);
	for (unsigned i = 0; i < g->nw; i++)
		fp_worker_stop(g->w[i]);
	rte_eal_mp_wait_lcore();
	/* Nothing more arrives: the inbound SAs kept for late packets go. */
	app_gw_children_reap(g->children, UINT64_MAX);
	if (g->o.stats)
		write_stats(g);
	return rc;
}

/* The checks a running gateway would fail at start, short of the
 * devices themselves: 0 valid, 1 not (one line naming the file). */
static int check_config(const struct opts *o)
{
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	char err[800];
	int rc = 1;

	if (cfg == NULL || app_config_load(o->config, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", o->config, cfg ? err : "out of memory");
		free(cfg);
		return 1;
	}
	app_config_control_default(cfg);
	if (!cfg->fastpath.present)
		snprintf(err, sizeof(err), "%s: no \"fastpath\" section", o->config);
	else if (app_gw_check_profiles(cfg, o->profiles, err, sizeof(err)) == 0 &&
		 app_gw_check_paths(cfg, err, sizeof(err)) == 0)
		rc = 0;
	if (rc == 0)
		printf("config OK: %u port(s), %u static SA(s), %u policies, %u route(s), "
		       "%u IKE connection(s), %u worker(s)\n",
		       cfg->fastpath.n_ports, cfg->fastpath.n_sas, cfg->fastpath.n_policies,
		       cfg->fastpath.n_routes, cfg->n_conns, cfg->fastpath.workers);
	else if (strncmp(err, o->config, strlen(o->config)) == 0)
		fprintf(stderr, "%s\n", err);
	else
		fprintf(stderr, "%s: %s\n", o->config, err);
	app_config_clear(cfg);
	free(cfg);
	return rc;
}

/* EAL options, when given, are not looked at: --check runs beside a
 * gateway without disturbing it (systemd's ExecStartPre). */
static int check_main(int argc, char **argv, int first)
{
	struct opts o;

	memset(&o, 0, sizeof(o));
	if (parse_opts(argc - first, argv + first, &o) != 0) {
		usage("ipsecgw");
		return 2;
	}
	return check_config(&o);
}

/* rte_errno alone says "Permission denied" for missing hugepages and
 * "Success" for a busy runtime folder: name the likely cause. */
static void eal_failed(int argc, char **argv, int err)
{
	struct app_gw_eal_facts f;
	char why[600];

	app_gw_eal_facts(argc, argv, &f);
	app_logs(APP_LOG_EAL, IKE_LOG_ERR, "rte_eal_init: %s: %s",
		 err ? rte_strerror(err) : "failed", app_gw_eal_cause(&f, err, why, sizeof(why)));
}

/* DPDK's own lines in our format, as subsystem eal, at the level DPDK
 * gave the message (its --log-level filters first). */
static ssize_t dpdk_log_write(void *cookie, const char *buf, size_t len)
{
	int l = rte_log_cur_msg_loglevel();
	enum ike_log_level lvl = l <= 0                      ? IKE_LOG_INFO
				 : l <= (int)RTE_LOG_ERR     ? IKE_LOG_ERR
				 : l == (int)RTE_LOG_WARNING ? IKE_LOG_WARN
				 : l >= (int)RTE_LOG_DEBUG   ? IKE_LOG_DEBUG
							     : IKE_LOG_INFO;

	(void)cookie;
	app_log_dpdk_line(lvl, buf, len);
	return (ssize_t)len;
}

static void dpdk_log_open(void)
{
	static const cookie_io_functions_t io = { .write = dpdk_log_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (f == NULL)
		return;
	/* rte_log() flushes after each message: one write per message. */
	setvbuf(f, NULL, _IOFBF, 4096);
	rte_openlog_stream(f);
}

/* Our options and the configuration before the EAL, so that its lines
 * come out in the configured format and a bad file costs no EAL start. */
static int load_before_eal(struct gw *g, int argc, char **argv, int first)
{
	char err[800];

	if (first == 0 || parse_opts(argc - first, argv + first, &g->o) != 0) {
		usage("ipsecgw");
		return 2;
	}
	g->cfg = calloc(1, sizeof(*g->cfg));
	if (g->cfg == NULL || app_config_load(g->o.config, g->cfg, err, sizeof(err)) != 0) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_ERR, "%s: %s", g->o.config,
			 g->cfg ? err : "out of memory");
		free(g->cfg);
		g->cfg = NULL;
		return 1;
	}
	app_config_control_default(g->cfg);
	app_config_apply_log(g->cfg);
	dpdk_log_open();
	optind = 0; /* the EAL's getopt starts afresh */
	return 0;
}

int main(int argc, char **argv)
{
	struct gw g;
	int first, n, rc;

	memset(&g, 0, sizeof(g));
	if (want_version(argc, argv)) {
		printf("ipsecgw %s\n", app_version());
		return 0;
	}
	if (want_check(argc, argv, &first))
		return check_main(argc, argv, first);
	if ((rc = load_before_eal(&g, argc, argv, first)) != 0)
		return rc;
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		eal_failed(argc, argv, rte_errno);
		app_config_clear(g.cfg);
		free(g.cfg);
		return 1;
	}
	if (!g.cfg->fastpath.present) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_ERR, "%s: no \"fastpath\" section", g.o.config);
		rc = 1;
		goto out;
	}
	g.nw = g.cfg->fastpath.workers;
	g.ntxq = (uint16_t)(g.nw + (g.cfg->n_conns || app_gw_rt_needs_host(&g.cfg->fastpath)));
	if (rte_lcore_count() < g.nw + 1) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR,
			 "%u worker(s) need %u lcores (one control core), EAL has %u: "
			 "use -l or --lcores",
			 g.nw, g.nw + 1, rte_lcore_count());
		rc = 1;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	rc = run(&g);
	teardown(&g);
out:
	app_config_clear(g.cfg);
	free(g.cfg);
	rte_eal_cleanup();
	return rc;
}
