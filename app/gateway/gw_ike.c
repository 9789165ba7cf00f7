/* IKE in the DPDK gateway, on the control core. See gw_ike.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_telemetry.h>

#include "app/common/ctl_socket.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_icmp.h"
#include "app/gateway/gw_ike.h"
#include "app/common/log.h"
#include "fastpath/frag.h"
#include "fastpath/route.h"

#define ETH_LEN 14u
/* The engine's messages are built in mbufs of their own pool, one segment
 * each: strongSwan sends at most 10,000 bytes (charon.max_packet), and an
 * IKE_AUTH with a certificate chain fits well below this room. */
#define IKE_MBUF_ROOM (16384u + RTE_PKTMBUF_HEADROOM)
/* Drivers such as i40e or virtio free sent mbufs only when their ring runs
 * low: the control core's queue is short (GW_IKE_TX_DESC) and the pool
 * holds more than a few such rings; on exhaustion the queues are asked to
 * give back what they sent (rte_eth_tx_done_cleanup). */
#define IKE_MBUFS     511u
#define PUNT_BUF      65536u
/* How long a control client may take (app_ctlsock_set_budget()). */
#define GW_CTL_BUDGET_MS 100u
/* Engine actions asked for by fast-path events, run from gw_ike_poll():
 * never from inside the engine's own callbacks, and again a second later
 * while the engine says "not now". */
#define ACTIONS_MAX   64u
#define ACTION_TRIES  30u

_Static_assert(RTE_PKTMBUF_HEADROOM >= ETH_LEN, "Ethernet goes into the headroom");

enum action { ACT_REKEY, ACT_DELETE };

struct gw_ike {
	struct app_config *cfg;
	const struct fp_dp *dp;
	uint16_t txq;
	struct ike_engine *engine;
	struct app_ctlsock *ctl;
	FILE *keylog;
	struct rte_mempool *pool;
	/* Identifications (fp_frag_id4/6(): the control core's sequence is
	 * the last): every IPv4 message takes one, since with DF clear a
	 * router may fragment it; IPv6 only when we fragment. */
	uint32_t id_seq;
	unsigned id_src, id_srcs;
	uint16_t tx_ports[FP_MAX_PORTS];
	unsigned n_tx_ports;
	struct {
		uint32_t spi_in;
		uint8_t what, tries;
		uint64_t at;
	} act[ACTIONS_MAX];
	unsigned n_act;
	uint64_t echo_t0;         /* this second's start, and its replies */
	unsigned echo_n;
	struct gw_ike_stats st;
	uint8_t frame[PUNT_BUF];  /* a punted frame in more than one segment */
	uint8_t reply[PUNT_BUF];  /* an echo reply, built before a buffer is taken */
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One's-complement sum of the UDP pseudo-header (RFC 768, RFC 8200 8.1)
 * and the datagram, folded: 0xffff when the checksum in it is right. */
static uint16_t udp_sum(const uint8_t *src, const uint8_t *dst, size_t alen,
			const uint8_t *udp, uint16_t ulen)
{
	uint8_t tail[4] = { 0, IPPROTO_UDP, (uint8_t)(ulen >> 8), (uint8_t)ulen };
	uint32_t s = __rte_raw_cksum(src, alen, 0);

	s = __rte_raw_cksum(dst, alen, s);
	s = __rte_raw_cksum(tail, sizeof(tail), s);
	s = __rte_raw_cksum(udp, ulen, s);
	return __rte_raw_cksum_reduce(s);
}

int gw_ike_parse(const uint8_t *f, size_t len, const struct fp_local *l, ike_addr_t *local,
		 ike_addr_t *remote, const uint8_t **pl, size_t *pll, const char **why)
{
	const uint8_t *ip = f + ETH_LEN, *udp, *src, *dst;
	size_t alen, iplen;
	uint16_t et, ulen, dport;
	uint32_t d4;

	*why = NULL;
	if (len < ETH_LEN)
		return 0;
	et = rd16(f + 12);
	len -= ETH_LEN;
	if (et == RTE_ETHER_TYPE_IPV4) {
		size_t hl;

		if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP)
			return 0;
		hl = (ip[0] & 0xfu) * 4u;
		iplen = rd16(ip + 2);
		memcpy(&d4, ip + 16, 4);
		if (!fp_local4(l, d4))
			return 0;
		/* Fragments were put together by the worker; one that is
		 * still here did not come from there. */
		if (hl < 20 || iplen > len || iplen < hl + 8 || (rd16(ip + 6) & 0x3fff)) {
			*why = "bad IPv4 header";
			return -1;
		}
		if (rte_raw_cksum(ip, hl) != 0xffff) {
			*why = "bad IPv4 header checksum";
			return -1;
		}
		/* A source no host may have: multicast, broadcast, 0/8,
		 * loopback, or one of ours (a kernel drops such martians). */
		memcpy(&d4, ip + 12, 4);
		if (ip[12] >= 224 || ip[12] == 0 || ip[12] == 127 || fp_local4(l, d4)) {
			*why = "martian IPv4 source";
			return -1;
		}
		udp = ip + hl;
		iplen -= hl;
		src = ip + 12;
		dst = ip + 16;
		alen = 4;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		/* Extension headers in front of UDP are not IKE's habit: such
		 * a packet is left to the punt count. */
		if (len < 40 || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_UDP || !fp_local6(l, ip + 24))
			return 0;
		static const uint8_t any6[16], lo6[16] = { [15] = 1 };

		if (ip[8] == 0xff || memcmp(ip + 8, any6, 16) == 0 || memcmp(ip + 8, lo6, 16) == 0 ||
		    fp_local6(l, ip + 8)) {
			*why = "martian IPv6 source";
			return -1;
		}
		iplen = rd16(ip + 4);
		if (iplen > len - 40 || iplen < 8) {
			*why = "bad IPv6 payload length";
			return -1;
		}
		udp = ip + 40;
		src = ip + 8;
		dst = ip + 24;
		alen = 16;
	} else {
		return 0;
	}
	dport = rd16(udp + 2);
	if (dport != l->ike_port && dport != l->natt_port)
		return 0;
	ulen = rd16(udp + 4);
	if (ulen < 8 || ulen > iplen) {
		*why = "bad UDP length";
		return -1;
	}
	/* IPv4 may leave the checksum out (0); IPv6 may not (RFC 8200 8.1). */
	if ((alen == 16 || rd16(udp + 6) != 0) && udp_sum(src, dst, alen, udp, ulen) != 0xffff) {
		*why = alen == 16 && rd16(udp + 6) == 0 ? "IPv6 UDP without checksum"
							: "bad UDP checksum";
		return -1;
	}
	local->family = remote->family = alen == 4 ? 4 : 6;
	memset(local->a, 0, sizeof(local->a));
	memset(remote->a, 0, sizeof(remote->a));
	memcpy(local->a, dst, alen);
	memcpy(remote->a, src, alen);
	local->port = dport;
	remote->port = rd16(udp);
	*pl = udp + 8;
	*pll = ulen - 8u;
	return 1;
}

size_t gw_ike_build_ip(const ike_addr_t *local, const ike_addr_t *remote, const uint8_t *buf,
		       size_t len, uint16_t ip_id, uint8_t *out, size_t cap)
{
	const size_t hl = local->family == 4 ? 20 : 40, alen = local->family == 4 ? 4 : 16;
	const size_t tot = hl + 8 + len;
	uint8_t *udp = out + hl;
	uint16_t sum;

	if (local->family != remote->family || tot > cap || tot > 65535 ||
	    (local->family == 6 && tot - hl > 65535))
		return 0;
	memset(out, 0, hl + 8);
	if (local->family == 4) {
		out[0] = 0x45;
		wr16(out + 2, (uint16_t)tot);
		wr16(out + 4, ip_id);
		/* DF clear: a router on the way may fragment a message that
		 * outgrows its link, as for kernel UDP sockets without PMTU
		 * discovery. */
		out[8] = 64;
		out[9] = IPPROTO_UDP;
		memcpy(out + 12, local->a, 4);
		memcpy(out + 16, remote->a, 4);
		sum = (uint16_t)~rte_raw_cksum(out, 20);
		memcpy(out + 10, &sum, 2);
	} else {
		out[0] = 0x60;
		wr16(out + 4, (uint16_t)(tot - hl));
		out[6] = IPPROTO_UDP;
		out[7] = 64;
		memcpy(out + 8, local->a, 16);
		memcpy(out + 24, remote->a, 16);
	}
	wr16(udp, local->port);
	wr16(udp + 2, remote->port);
	wr16(udp + 4, (uint16_t)(8 + len));
	memcpy(udp + 8, buf, len);
	sum = (uint16_t)~udp_sum(local->a, remote->a, alen, udp, (uint16_t)(8 + len));
	if (sum == 0)
		sum = 0xffff;   /* 0 means "no checksum" */
	memcpy(udp + 6, &sum, 2);
	return tot;
}

static const struct fp_nexthop *next_hop(const struct gw_ike *g, uint8_t family,
					  const uint8_t *a)
{
	uint32_t d4;

	if (family == 6)
		return fp_routes_lookup6(g->dp->routes, a);
	memcpy(&d4, a, 4);
	return fp_routes_lookup4(g->dp->routes, d4);
}

/* A buffer of IKE's pool; on exhaustion the queues are asked first to
 * give back what they sent. */
static struct rte_mbuf *ctl_alloc(struct gw_ike *g)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);

	if (m == NULL) {
		for (unsigned i = 0; i < g->n_tx_ports; i++)
			rte_eth_tx_done_cleanup(g->tx_ports[i], g->txq, 0);
		m = rte_pktmbuf_alloc(g->pool);
	}
	return m;
}

/* Sends IP packet m (one segment, data at the IP header, n bytes) to dst
 * from the control core's queue: the route's next hop, fragments over its
 * port's MTU (an IPv4 packet keeps the identification it has), Ethernet.
 * m is consumed. NULL, or why it could not leave; *pieces: how many
 * frames left (1 unless fragmented), *port: through which port. */
static const char *ctl_tx(struct gw_ike *g, uint8_t family, const uint8_t *dst,
			  struct rte_mbuf *m, size_t n, int *pieces, uint16_t *port)
{
	const struct fp_nexthop *nh = next_hop(g, family, dst);
	struct rte_mbuf *pk[FP_FRAG_MAX];
	uint16_t mtu, sent;
	int k = 1;

	if (nh == NULL) {
		rte_pktmbuf_free(m);
		return "no route to the peer in fastpath.routes";
	}
	mtu = g->dp->mtu[nh->port];
	pk[0] = m;
	if (mtu != 0 && n > mtu) {
		k = family == 4 ? fp_frag4(m, mtu, rd16(rte_pktmbuf_mtod(m, uint8_t *) + 4), pk,
					   FP_FRAG_MAX) :
			fp_frag6(m, mtu, fp_frag_id6(g->id_src, g->id_srcs, g->id_seq++), pk,
				 FP_FRAG_MAX);
		if (k < 0) {
			rte_pktmbuf_free(m);
			return k == -FP_WD_NO_MBUF ? "no mbuf for fragments"
						   : "more fragments than allowed";
		}
	}
	for (int i = 0; i < k; i++) {
		/* A new mbuf of this pool: the headroom is whole. */
		struct rte_ether_hdr *eth =
			(struct rte_ether_hdr *)rte_pktmbuf_prepend(pk[i], ETH_LEN);

		eth->dst_addr = nh->dmac;
		eth->src_addr = g->dp->mac[nh->port];
		eth->ether_type = rte_cpu_to_be_16(family == 4 ? RTE_ETHER_TYPE_IPV4
							       : RTE_ETHER_TYPE_IPV6);
	}
	sent = rte_eth_tx_burst(nh->port, g->txq, pk, (uint16_t)k);
	if (sent < k) {
		rte_pktmbuf_free_bulk(pk + sent, (unsigned)(k - sent));
		return "TX queue full";
	}
	*pieces = k;
	*port = nh->port;
	return NULL;
}

/* ---- engine callbacks ---- */

static void send_fail(struct gw_ike *g, const ike_addr_t *remote, size_t len, const char *why)
{
	char rs[80];

	g->st.tx_failed++;
	app_log(IKE_LOG_WARN, "IKE message of %zu bytes to %s not sent: %s", len,
		ike_addr_str(remote, rs, sizeof(rs)), why);
}

static void op_send(void *ctx, const ike_addr_t *local, const ike_addr_t *remote,
		    const uint8_t *buf, size_t len)
{
	struct gw_ike *g = ctx;
	struct rte_mbuf *m = ctl_alloc(g);
	const char *why;
	uint16_t port = 0;
	int k = 0;
	size_t n;

	if (m == NULL) {
		send_fail(g, remote, len, "no mbuf");
		return;
	}
	/* Every IPv4 message takes an identification of the control core's
	 * sequence: with DF clear a router may fragment it. */
	n = gw_ike_build_ip(local, remote, buf, len,
			    fp_frag_id4(g->id_src, g->id_srcs, g->id_seq++),
			    rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m));
	if (n == 0) {
		rte_pktmbuf_free(m);
		send_fail(g, remote, len, local->family != remote->family ?
			  "local and remote address families differ" :
			  "larger than an IKE buffer (16 KiB)");
		return;
	}
	rte_pktmbuf_append(m, (uint16_t)n);
	if ((why = ctl_tx(g, remote->family, remote->a, m, n, &k, &port)) != NULL) {
		send_fail(g, remote, len, why);
		return;
	}
	g->st.tx++;
	if (k > 1)
		g->st.tx_frags += (uint64_t)k;
	if (app_log_get_level() >= IKE_LOG_DEBUG) {
		char ls[80], rs[80];

		app_log(IKE_LOG_DEBUG, "tx %zu bytes %s -> %s, port %u%s", len,
			ike_addr_str(local, ls, sizeof(ls)), ike_addr_str(remote, rs, sizeof(rs)),
			port, k > 1 ? ", fragmented" : "");
	}
}

static void queue_action(struct gw_ike *g, uint32_t spi_in, enum action what);

static void op_event(void *ctx, const struct ike_event *ev)
{
	struct gw_ike *g = ctx;
	const struct ike_child_info *ci = ev->child;
	char line[APP_LOG_LINE_MAX], err[160];

	app_log(IKE_LOG_INFO, "%s", app_log_event_str(ev, line, sizeof(line)));
	if (ci == NULL)
		return;
	if (ev->type == IKE_EV_CHILD_UP || ev->type == IKE_EV_CHILD_REKEYED) {
		if (app_gw_install_child(ci, err, sizeof(err)) == 0) {
			app_log(IKE_LOG_INFO, "fastpath: CHILD_SA %s/%s installed, SAs in 0x%08x "
				"out 0x%08x", ci->conn, ci->child, ci->spi_in, ci->spi_out);
			return;
		}
		/* A tunnel the peer believes up but that drops everything
		 * would fail silently: it is deleted, and the peer told. */
		app_log(IKE_LOG_ERR, "fastpath: CHILD_SA %s/%s (SAs in 0x%08x out 0x%08x) not "
			"installed: %s; deleting it", ci->conn, ci->child, ci->spi_in,
			ci->spi_out, err);
		queue_action(g, ci->spi_in, ACT_DELETE);
	} else if (ev->type == IKE_EV_CHILD_DOWN) {
		int rc = app_gw_remove_child(ci, err, sizeof(err));

		if (rc == 0)
			app_log(IKE_LOG_INFO, "fastpath: CHILD_SA %s/%s removed, SAs in 0x%08x "
				"out 0x%08x", ci->conn, ci->child, ci->spi_in, ci->spi_out);
		else    /* -ENOENT: its install had been refused */
			app_log(rc == -ENOENT ? IKE_LOG_DEBUG : IKE_LOG_ERR,
				"fastpath: CHILD_SA %s/%s (in 0x%08x out 0x%08x) not removed: %s",
				ci->conn, ci->child, ci->spi_in, ci->spi_out, err);
	}
}

/* Inbound SPIs are ours: random, and never one the fast path holds. */
static uint32_t op_spi_alloc(void *ctx)
{
	uint32_t spi;

	(void)ctx;
	do
		spi = (uint32_t)rte_rand();
	while (spi < 256 || app_gw_spi_in_use(spi));
	return spi;
}

static void op_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)ctx;
	app_log(lvl, "%s", line);
}

static void op_keylog(void *ctx, const char *line)
{
	app_keylog_write(((struct gw_ike *)ctx)->keylog, line);
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
static const struct gw_ike *tel_ike;
static bool tel_registered;

static int cmd_ike(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const names[] = { "rx", "rx_bad", "rx_other", "tx", "tx_frags",
					     "tx_failed", "echo_replies" };
	int rc = -ENODEV;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_ike != NULL) {
		const uint64_t *v = &tel_ike->st.rx;

		_Static_assert(sizeof(struct gw_ike_stats) == 7 * sizeof(uint64_t),
			       "one name per counter");
		rte_tel_data_start_dict(d);
		for (unsigned i = 0; i < RTE_DIM(names); i++)
			rte_tel_data_add_dict_u64(d, names[i], __atomic_load_n(&v[i],
									 __ATOMIC_RELAXED));
		rte_tel_data_add_dict_int(d, "actions_waiting", (int)tel_ike->n_act);
		rc = 0;
	}
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

static void telemetry_attach(const struct gw_ike *g)
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

struct gw_ike *gw_ike_create(const struct gw_ike_cfg *c, char *err, size_t errlen)
{
	struct gw_ike *g = calloc(1, sizeof(*g));
	char cerr[512];
	int rc;

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->cfg = c->cfg;
	g->dp = c->dp;
	g->txq = c->txq;
	for (unsigned i = 0; i < c->n_ports && i < FP_MAX_PORTS; i++)
		g->tx_ports[g->n_tx_ports++] = c->ports[i];
	g->id_seq = (uint32_t)rte_rand();
	g->id_src = c->n_workers;
	g->id_srcs = c->n_workers + 1;
	if (app_gw_check_conns(c->cfg, err, errlen) != 0)
		goto fail;
	g->pool = rte_pktmbuf_pool_create("gw_ike_mbufs", IKE_MBUFS, 0, 0, IKE_MBUF_ROOM,
					  c->socket);
	if (g->pool == NULL) {
		snprintf(err, errlen, "cannot create the IKE mbuf pool");
		goto fail;
	}
	app_log_set_level(c->cfg->log_level);
	c->cfg->engine.log_level = c->cfg->log_level;
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
	}
	telemetry_attach(g);
	app_log(IKE_LOG_INFO, "IKE on the fast path: %u connection%s, ports %u/%u, control "
		"core TX queue %u%s%s", c->cfg->n_conns, c->cfg->n_conns == 1 ? "" : "s",
		c->dp->local.ike_port, c->dp->local.natt_port, c->txq,
		g->ctl ? ", control socket " : "", g->ctl ? c->cfg->control_socket : "");
	return g;
fail:
	gw_ike_free(g);
	return NULL;
}

void gw_ike_free(struct gw_ike *g)
{
	if (g == NULL)
		return;
	telemetry_attach(NULL);
	app_ctlsock_close(g->ctl);
	if (g->engine)
		ike_engine_free(g->engine);
	if (g->keylog)
		fclose(g->keylog);
	rte_mempool_free(g->pool);
	app_log_flush();
	free(g);
}

/* ---- running ---- */

/* An echo request to one of our addresses gets its reply (GW_ICMP_ECHO_PER_S
 * a second at most); anything else punted that is not IKE is only
 * counted. */
static void echo_reply(struct gw_ike *g, const uint8_t *f, size_t len)
{
	static const uint8_t zero_mac[6];
	uint64_t now = app_mono_ms();
	uint8_t family, dst[16];
	enum fp_spd_action a;
	struct rte_mbuf *m;
	const char *why;
	uint16_t port;
	size_t n;
	int k;

	/* One that came out of a tunnel (the workers give decrypted packets
	 * for us a zero Ethernet header) is not answered: the reply would
	 * leave in clear by route, carrying what arrived encrypted. */
	if (len <= ETH_LEN || memcmp(f + 6, zero_mac, 6) == 0)
		return;
	n = gw_icmp_echo_reply(f + ETH_LEN, len - ETH_LEN, &g->dp->local, g->reply,
			       sizeof(g->reply), &family, dst);
	if (n == 0)
		return;
	if (now - g->echo_t0 >= 1000) {
		g->echo_t0 = now;
		g->echo_n = 0;
	}
	if (g->echo_n >= GW_ICMP_ECHO_PER_S)
		return;
	/* The SPD decides like for any packet we send (RFC 4301 5.1): one
	 * that a policy protects or discards does not leave in clear. */
	a = fp_ctrl_spd_lookup(g->dp->ctrl, family, family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			       g->reply + (family == 4 ? 12 : 8), dst, 0, 0);
	if (a == FP_SPD_PROTECT || a == FP_SPD_DISCARD) {
		app_log(IKE_LOG_DEBUG, "echo reply not sent: the SPD %s it",
			a == FP_SPD_PROTECT ? "protects" : "discards");
		return;
	}
	if (family == 4) {            /* the identification: ours (frag.h) */
		uint16_t id = fp_frag_id4(g->id_src, g->id_srcs, g->id_seq++);

		g->reply[4] = (uint8_t)(id >> 8);
		g->reply[5] = (uint8_t)id;
		g->reply[10] = g->reply[11] = 0;
		id = (uint16_t)~rte_raw_cksum(g->reply, 20);
		memcpy(g->reply + 10, &id, 2);
	}
	if (n > IKE_MBUF_ROOM - RTE_PKTMBUF_HEADROOM || (m = ctl_alloc(g)) == NULL)
		return;
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), g->reply, n);
	g->echo_n++;
	if ((why = ctl_tx(g, family, dst, m, n, &k, &port)) == NULL)
		g->st.echo_replies++;
	else
		app_log(IKE_LOG_DEBUG, "echo reply not sent: %s", why);
}

void gw_ike_punt(struct gw_ike *g, struct rte_mbuf *m)
{
	size_t len = RTE_MIN(m->pkt_len, PUNT_BUF);
	const uint8_t *f = rte_pktmbuf_read(m, 0, len, g->frame);
	ike_addr_t local, remote;
	const uint8_t *pl;
	const char *why;
	size_t pll;
	int rc;

	rc = f ? gw_ike_parse(f, len, &g->dp->local, &local, &remote, &pl, &pll, &why) : 0;
	if (rc == 0) {
		g->st.rx_other++;
		if (f != NULL)
			echo_reply(g, f, len);
	} else if (rc < 0) {
		g->st.rx_bad++;
		app_log(IKE_LOG_DEBUG, "punted IKE datagram dropped: %s", why);
	} else {
		g->st.rx++;
		if (app_log_get_level() >= IKE_LOG_DEBUG) {
			char ls[80], rs[80];

			app_log(IKE_LOG_DEBUG, "rx %zu bytes %s -> %s, port %u", pll,
				ike_addr_str(&remote, rs, sizeof(rs)),
				ike_addr_str(&local, ls, sizeof(ls)), m->port);
		}
		/* pl may point into m: the engine copies what it keeps. */
		ike_engine_input(g->engine, &local, &remote, pl, pll, app_mono_ms());
	}
	rte_pktmbuf_free(m);
}

static void queue_action(struct gw_ike *g, uint32_t spi_in, enum action what)
{
	for (unsigned i = 0; i < g->n_act; i++)
		if (g->act[i].spi_in == spi_in) {
			if (what == ACT_DELETE && g->act[i].what != ACT_DELETE) {
				g->act[i].what = ACT_DELETE;    /* a delete wins, now */
				g->act[i].tries = 0;
				g->act[i].at = 0;
			}
			return;
		}
	if (g->n_act == ACTIONS_MAX) {
		app_log(IKE_LOG_WARN, "fastpath: too many CHILD_SA actions waiting: %s of SA "
			"0x%08x dropped", what == ACT_REKEY ? "rekey" : "delete", spi_in);
		return;
	}
	g->act[g->n_act].spi_in = spi_in;
	g->act[g->n_act].what = (uint8_t)what;
	g->act[g->n_act].tries = 0;
	g->act[g->n_act++].at = 0;
}

/* Runs what is due; an action the engine cannot take now is tried again
 * a second later, ACTION_TRIES times. */
static unsigned run_actions(struct gw_ike *g, uint64_t now)
{
	unsigned work = 0;

	for (unsigned i = 0; i < g->n_act;) {
		uint32_t spi = g->act[i].spi_in;
		bool rekey = g->act[i].what == ACT_REKEY;
		int rc;

		if (g->act[i].at > now) {
			i++;
			continue;
		}
		work++;
		rc = rekey ? ike_engine_rekey_child_spi(g->engine, spi, now)
			   : ike_engine_delete_child_spi(g->engine, spi, now);
		if (rc == -EAGAIN && ++g->act[i].tries < ACTION_TRIES) {
			g->act[i++].at = now + 1000;
			continue;
		}
		if (rc == 0)
			app_log(IKE_LOG_INFO, "fastpath: CHILD_SA with SA in 0x%08x: %s started",
				spi, rekey ? "rekey" : "delete");
		else if (rc != -ENOENT)       /* gone already: nothing to do */
			app_log(IKE_LOG_WARN, "fastpath: CHILD_SA with SA in 0x%08x: %s not "
				"possible after %u tries", spi, rekey ? "rekey" : "delete",
				(unsigned)g->act[i].tries);
		g->act[i] = g->act[--g->n_act];
	}
	return work;
}

void gw_ike_fp_event(struct gw_ike *g, const struct fp_ctrl_event *ev)
{
	uint32_t spi_in;

	/* Only children installed here (not static SAs, not a child whose
	 * install was refused and that shares the outbound SPI). */
	if (ev->type == FP_EV_REQ_FAILED || !app_gw_child_of(ev->dir, ev->spi, &spi_in))
		return;
	if (ev->type == FP_EV_SOFT_EXPIRED) {
		app_log(IKE_LOG_INFO, "fastpath: %s SA 0x%08x reached its soft limit: rekeying "
			"its CHILD_SA", ev->dir == FP_DIR_IN ? "inbound" : "outbound", ev->spi);
		queue_action(g, spi_in, ACT_REKEY);
	} else {
		app_log(IKE_LOG_WARN, "fastpath: %s SA 0x%08x %s: deleting its CHILD_SA",
			ev->dir == FP_DIR_IN ? "inbound" : "outbound", ev->spi,
			ev->type == FP_EV_SEQ_OVERFLOW ? "ran out of sequence numbers"
						       : "reached its hard limit");
		queue_action(g, spi_in, ACT_DELETE);
	}
}

unsigned gw_ike_poll(struct gw_ike *g)
{
	uint64_t now = app_mono_ms();
	unsigned work = 0;

	if (ike_engine_next_timer(g->engine) <= now) {
		ike_engine_tick(g->engine, now);
		work++;
	}
	if (g->n_act)
		work += run_actions(g, now);
	if (g->ctl) {
		struct pollfd p = { .fd = app_ctlsock_fd(g->ctl), .events = POLLIN };

		if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
			app_ctlsock_serve(g->ctl, now);
			work++;
		}
	}
	app_log_flush();
	return work;
}

void gw_ike_start(struct gw_ike *g)
{
	for (unsigned i = 0; i < g->cfg->n_conns; i++) {
		const struct ike_conn_cfg *c = &g->cfg->conns[i];
		int rc;

		if (c->initiate && (rc = ike_engine_initiate(g->engine, c->name, app_mono_ms())) < 0)
			app_log(IKE_LOG_WARN, "cannot initiate '%s': %s", c->name, strerror(-rc));
	}
	app_log_flush();
}

struct spi_list {
	uint64_t *spi;
	unsigned n, cap;
};

static void collect_sa(void *arg, const struct ike_sa_summary *s)
{
	struct spi_list *l = arg;

	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 64;
		uint64_t *p = realloc(l->spi, cap * sizeof(*p));

		if (p == NULL)
			return;
		l->spi = p;
		l->cap = cap;
	}
	l->spi[l->n++] = s->initiator ? s->spi_i : s->spi_r;
}

/* Every IKE SA, not one per connection: a responder connection for a
 * prefix of peers holds one per peer. Collected first: a delete may free
 * SAs of the list being walked. */
void gw_ike_shutdown(struct gw_ike *g)
{
	struct spi_list l = { NULL, 0, 0 };

	ike_engine_foreach_sa(g->engine, collect_sa, &l);
	for (unsigned i = 0; i < l.n; i++) {
		int rc = ike_engine_delete_sa(g->engine, l.spi[i], app_mono_ms());

		if (rc < 0 && rc != -ENOENT)
			app_log(IKE_LOG_WARN, "cannot delete IKE SA %016llx: %s",
				(unsigned long long)l.spi[i], strerror(-rc));
	}
	free(l.spi);
	app_log_flush();
}

/* SAs that a delete can still be sent or answered for: the shutdown
 * grace waits for these, not for negotiations that die with the engine. */
static void count_sa(void *arg, const struct ike_sa_summary *s)
{
	if (strcmp(s->state, "ESTABLISHED") == 0 || strcmp(s->state, "DELETING") == 0)
		(*(unsigned *)arg)++;
}

unsigned gw_ike_sa_count(struct gw_ike *g)
{
	unsigned n = 0;

	ike_engine_foreach_sa(g->engine, count_sa, &n);
	return n;
}

void gw_ike_get_stats(const struct gw_ike *g, struct gw_ike_stats *s)
{
	*s = g->st;
}
