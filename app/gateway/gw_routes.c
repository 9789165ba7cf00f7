/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes and neighbours of the DPDK gateway on the control core. See
 * gw_routes.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "app/common/log.h"
#include "app/gateway/gw_routes.h"
#include "fastpath/ctrl_core.h"

struct app_gw_rt {
	struct fp_routes *routes;
	struct fp_nbr *nbr;
	struct fp_host *host;
	const struct fp_dp *dp;
	unsigned n_ports;
	char names[APP_FP_MAX_PORTS][APP_FP_NAME_MAX];
	uint16_t ids[APP_FP_MAX_PORTS];
	uint64_t tx_failed; /* solicitations and waiting packets that could not leave */
};

bool app_gw_rt_needs_host(const struct app_fp_cfg *f)
{
	for (unsigned i = 0; i < f->n_routes; i++)
		if (f->routes[i].has_via && !f->routes[i].has_mac)
			return true;
	return false;
}

/* ---- the neighbour table's ways out ---- */

static int nbr_send(void *arg, uint16_t port, const uint8_t *f, size_t len)
{
	struct app_gw_rt *x = arg;
	const char *why = x->host ? fp_host_send_frame(x->host, port, f, len)
				  : "no control core TX queue";

	if (why == NULL)
		return 0;
	x->tx_failed++;
	app_logs(APP_LOG_FASTPATH, IKE_LOG_DEBUG, "neighbour solicitation not sent: %s", why);
	return -1;
}

static void nbr_xmit(void *arg, struct rte_mbuf *m, const struct fp_nexthop *nh, bool ours)
{
	struct app_gw_rt *x = arg;

	if (x->host == NULL) {
		rte_pktmbuf_free(m);
		x->tx_failed++;
		return;
	}
	if (fp_host_send_waiting(x->host, m, nh, ours) != NULL)
		x->tx_failed++;
}

/* ---- set-up ---- */

/* k leads into tunnel interface if_id (route-based tunnels): 0 or a
 * negative errno (no SAD slot left). */
static int tunnel_key(const struct app_gw_rt *x, uint32_t if_id, struct fp_nh_key *k)
{
	int slot = fp_ctrl_if_slot(x->dp->ctrl, if_id);

	memset(k, 0, sizeof(*k));
	k->tunnel = if_id;
	k->tun_slot = slot < 0 ? 0 : (uint32_t)slot;
	return slot < 0 ? slot : 0;
}

/* The next hop of configured route r. */
static int cfg_key(const struct app_gw_rt *x, const struct app_fp_route *r, struct fp_nh_key *k)
{
	if (r->tunnel)
		return tunnel_key(x, r->tunnel, k);
	memset(k, 0, sizeof(*k));
	k->port = x->ids[r->port];
	if (r->has_via) {
		k->family = r->family;
		memcpy(k->ip, r->via, 16);
	}
	/* without via or mac: the broadcast address, as before resolution */
	k->is_static = r->has_mac || !r->has_via;
	memcpy(k->dmac.addr_bytes, r->mac, 6);
	return 0;
}

static int host_setup(struct app_gw_rt *x, const struct app_gw_rt_cfg *c, char *err, size_t errlen)
{
	struct fp_host_cfg hc = { .dp = c->dp,
				  .ports = c->port_ids,
				  .n_ports = c->f->n_ports,
				  .txq = c->txq,
				  .n_workers = c->n_workers,
				  .socket = c->socket };

	if (!c->host)
		return 0;
	x->host = fp_host_create(&hc, err, errlen);
	return x->host ? 0 : -1;
}

struct app_gw_rt *app_gw_rt_create(const struct app_gw_rt_cfg *c, char *err, size_t errlen)
{
	struct app_gw_rt *x = calloc(1, sizeof(*x));
	struct fp_nbr_cfg nc = { .dp = c->dp, .send = nbr_send, .xmit = nbr_xmit };

	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->dp = c->dp;
	x->n_ports = c->f->n_ports;
	for (unsigned i = 0; i < x->n_ports; i++) {
		snprintf(x->names[i], sizeof(x->names[i]), "%s", c->f->ports[i].name);
		x->ids[i] = c->port_ids[i];
	}
	x->routes = fp_routes_create("gw_rt", c->max_routes, c->socket);
	nc.routes = x->routes;
	nc.arg = x;
	x->nbr = x->routes ? fp_nbr_create(&nc) : NULL;
	if (x->nbr == NULL) {
		/* rte_lpm and rte_lpm6: 64 MiB each, and tbl8 groups of 1 KiB,
		 * one (IPv4) and four (IPv6) per route */
		snprintf(err, errlen,
			 "cannot create the route tables for %u routes (fastpath.max_routes): "
			 "about %u MiB of EAL memory; lower it or give the EAL more (hugepages, "
			 "--socket-mem, -m)",
			 c->max_routes, 128u + (unsigned)(((uint64_t)c->max_routes * 5) >> 10));
		app_gw_rt_free(x);
		return NULL;
	}
	c->dp->routes = x->routes;
	if (host_setup(x, c, err, errlen) != 0 || app_gw_rt_apply(x, c->f, err, errlen) != 0) {
		app_gw_rt_free(x);
		return NULL;
	}
	return x;
}

void app_gw_rt_free(struct app_gw_rt *x)
{
	if (x == NULL)
		return;
	fp_nbr_free(x->nbr);
	fp_routes_free(x->routes);
	fp_host_free(x->host);
	free(x);
}

int app_gw_rt_set_rcu(struct app_gw_rt *x, struct rte_rcu_qsbr *v)
{
	return fp_routes_set_rcu(x->routes, v);
}

struct fp_routes *app_gw_rt_routes(const struct app_gw_rt *x)
{
	return x->routes;
}

struct fp_host *app_gw_rt_host(const struct app_gw_rt *x)
{
	return x->host;
}

struct fp_nbr *app_gw_rt_nbr(const struct app_gw_rt *x)
{
	return x->nbr;
}

/* ---- running ---- */

unsigned app_gw_rt_poll(struct app_gw_rt *x)
{
	return fp_nbr_poll(x->nbr, app_mono_ms());
}

bool app_gw_rt_punt(struct app_gw_rt *x, struct rte_mbuf *m)
{
	uint8_t buf[256];
	uint32_t len = m->pkt_len < sizeof(buf) ? m->pkt_len : sizeof(buf);
	const uint8_t *f = rte_pktmbuf_read(m, 0, len, buf);

	if (f == NULL || !fp_nbr_input(x->nbr, m->port, f, len, app_mono_ms()))
		return false;
	rte_pktmbuf_free(m);
	return true;
}

/* Config routes that f no longer has go; f's are (re)written. */
int app_gw_rt_apply(struct app_gw_rt *x, const struct app_fp_cfg *f, char *msg, size_t len)
{
	struct fp_route_info ri;
	struct fp_nh_key k;
	int rc;

	for (uint32_t i = fp_routes_count(x->routes); i-- > 0;) {
		bool keep = false;

		fp_routes_get(x->routes, i, &ri);
		for (unsigned j = 0; j < f->n_routes && !keep; j++)
			keep = f->routes[j].family == ri.family && f->routes[j].plen == ri.plen &&
			       memcmp(f->routes[j].prefix, ri.prefix, ri.family == 4 ? 4 : 16) == 0;
		if ((ri.flags & FP_RT_CONFIG) && !keep &&
		    (rc = fp_routes_del(x->routes, ri.family, ri.prefix, ri.plen)) != 0) {
			snprintf(msg, len, "fastpath.routes: cannot remove a route: %s",
				 rte_strerror(-rc));
			return -1;
		}
	}
	for (unsigned i = 0; i < f->n_routes; i++) {
		const struct app_fp_route *r = &f->routes[i];

		if ((rc = cfg_key(x, r, &k)) != 0 ||
		    (rc = fp_routes_add_flags(x->routes, r->family, r->prefix, r->plen, &k,
					      FP_RT_CONFIG)) != 0) {
			snprintf(msg, len, "fastpath.routes[%u]: %s", i, rte_strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* ---- control socket ---- */

static json_t *ctl_error(const char *fmt, const char *arg)
{
	char buf[200];

	snprintf(buf, sizeof(buf), fmt, arg);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

/* "ADDR" into family and a (16 bytes, zero-filled): 0 or -1. */
static int parse_addr(const char *s, uint8_t *family, uint8_t a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, s, a) == 1)
		*family = 6;
	else
		return -1;
	return 0;
}

/* "ADDR/LEN" (LEN defaults to the whole address): 0 or -1. */
static int parse_prefix(const char *s, uint8_t *family, uint8_t a[16], uint8_t *plen)
{
	char buf[64];
	char *sl, *end;
	unsigned long n;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	sl = strchr(buf, '/');
	if (sl != NULL)
		*sl++ = '\0';
	if (parse_addr(buf, family, a) != 0)
		return -1;
	n = *family == 4 ? 32 : 128;
	if (sl != NULL) {
		unsigned long v = strtoul(sl, &end, 10);

		if (*sl == '\0' || *end != '\0' || v > n)
			return -1;
		n = v;
	}
	*plen = (uint8_t)n;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	int end = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
		   &end) != 6 ||
	    s[end] != '\0')
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static int port_index(const struct app_gw_rt *x, const char *name)
{
	for (unsigned i = 0; name && i < x->n_ports; i++)
		if (strcmp(x->names[i], name) == 0)
			return (int)i;
	return -1;
}

static const char *port_name(const struct app_gw_rt *x, uint16_t id)
{
	for (unsigned i = 0; i < x->n_ports; i++)
		if (x->ids[i] == id)
			return x->names[i];
	return "?";
}

/* route-add PREFIX tunnel N: into tunnel interface N. NULL or the error. */
static json_t *route_tunnel_key(const struct app_gw_rt *x, const char *tun, bool more,
				struct fp_nh_key *k)
{
	char *end;
	unsigned long id = strtoul(tun, &end, 10);

	if (*tun == '\0' || *end != '\0' || id == 0 || id >= UINT32_MAX)
		return ctl_error("route-add: tunnel '%.20s' is not an interface id (1-4294967294)",
				 tun);
	if (more)
		return ctl_error("route-add: %s", "a route into a tunnel takes no dev, via or mac");
	if (tunnel_key(x, (uint32_t)id, k) != 0)
		return ctl_error("route-add: %s", "no SAD slot left for the tunnel interface");
	return NULL;
}

/* route-add's next hop: dev, and via and/or mac. NULL or the error. */
static json_t *route_key(const struct app_gw_rt *x, json_t *req, uint8_t family,
			 struct fp_nh_key *k)
{
	const char *dev = json_string_value(json_object_get(req, "dev"));
	const char *via = json_string_value(json_object_get(req, "via"));
	const char *mac = json_string_value(json_object_get(req, "mac"));
	const char *tun = json_string_value(json_object_get(req, "tunnel"));
	int p = port_index(x, dev);
	uint8_t vf;

	if (tun)
		return route_tunnel_key(x, tun, dev || via || mac, k);
	memset(k, 0, sizeof(*k));
	if (p < 0)
		return ctl_error("route-add: no port named '%.40s' (dev)", dev ? dev : "");
	k->port = x->ids[p];
	if (via && (parse_addr(via, &vf, k->ip) != 0 || vf != family))
		return ctl_error("route-add: via '%.60s' is not an address of the prefix's family",
				 via);
	if (mac && parse_mac(mac, k->dmac.addr_bytes) != 0)
		return ctl_error("route-add: invalid MAC address '%.40s'", mac);
	if (!via && !mac)
		return ctl_error("route-add: %s", "give a next hop: via ADDR and/or mac MAC");
	k->family = via ? family : 0;
	k->is_static = mac != NULL;
	return NULL;
}

static json_t *ctl_route_add(struct app_gw_rt *x, json_t *req)
{
	const char *dst = json_string_value(json_object_get(req, "dst"));
	uint8_t family, a[16], plen;
	struct fp_nh_key k;
	json_t *bad;
	int rc;

	if (parse_prefix(dst, &family, a, &plen) != 0)
		return ctl_error("route-add: invalid prefix '%.60s' (dst)", dst ? dst : "");
	if ((bad = route_key(x, req, family, &k)) != NULL)
		return bad;
	if ((rc = fp_routes_add(x->routes, family, a, plen, &k)) != 0)
		return ctl_error("route-add: %s", rte_strerror(-rc));
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "route-add %s", dst);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *ctl_route_del(struct app_gw_rt *x, json_t *req)
{
	const char *dst = json_string_value(json_object_get(req, "dst"));
	uint8_t family, a[16], plen;
	int rc;

	if (parse_prefix(dst, &family, a, &plen) != 0)
		return ctl_error("route-del: invalid prefix '%.60s' (dst)", dst ? dst : "");
	if ((rc = fp_routes_del(x->routes, family, a, plen)) != 0)
		return ctl_error("route-del: %s",
				 rc == -ENOENT ? "no route of that prefix" : rte_strerror(-rc));
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "route-del %s", dst);
	return json_pack("{s:b}", "ok", 1);
}

static const char *addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	return inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len) ? buf : "?";
}

/* Next hop i as listed: dev, via, mac, state. */
static json_t *nh_json(const struct app_gw_rt *x, uint32_t i)
{
	const struct fp_nexthop *nh = fp_routes_nh(x->routes, i);
	union fp_nh_hw hw = { .w = __atomic_load_n(&nh->hw, __ATOMIC_ACQUIRE) };
	json_t *o;
	char buf[64];

	if (fp_nh_is_tunnel(nh)) /* its state is its SA's: see list-sas */
		return json_pack("{s:I}", "tunnel", (json_int_t)nh->tunnel);
	o = json_pack("{s:s, s:s}", "dev", port_name(x, nh->port), "state",
		      fp_nbr_state_name(fp_nbr_state_of(x->nbr, i)));

	if (nh->family)
		json_object_set_new(o, "via",
				    json_string(addr_str(nh->family, nh->ip, buf, sizeof(buf))));
	if (hw.b.valid || fp_nbr_state_of(x->nbr, i) == FP_NBR_FAILED) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", hw.b.mac[0],
			 hw.b.mac[1], hw.b.mac[2], hw.b.mac[3], hw.b.mac[4], hw.b.mac[5]);
		json_object_set_new(o, "mac", json_string(buf));
	}
	return o;
}

static json_t *ctl_routes(const struct app_gw_rt *x)
{
	json_t *a = json_array();
	struct fp_route_info ri;
	char buf[64], dst[80];

	for (uint32_t i = 0; i < fp_routes_count(x->routes); i++) {
		json_t *o;

		fp_routes_get(x->routes, i, &ri);
		snprintf(dst, sizeof(dst), "%s/%u",
			 addr_str(ri.family, ri.prefix, buf, sizeof(buf)), ri.plen);
		o = nh_json(x, ri.nh);
		json_object_set_new(o, "dst", json_string(dst));
		json_object_set_new(o, "origin",
				    json_string(ri.flags & FP_RT_CONFIG ? "config" : "route-add"));
		json_array_append_new(a, o);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "routes", a);
}

static json_t *nbr_stats_json(const struct app_gw_rt *x)
{
	struct fp_nbr_stats s;

	fp_nbr_get_stats(x->nbr, &s);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "solicits",
			 (json_int_t)s.solicits, "no_source", (json_int_t)s.no_source, "learned",
			 (json_int_t)s.learned, "resolved", (json_int_t)s.resolved, "failed",
			 (json_int_t)s.failed, "queued", (json_int_t)s.queued, "sent_queued",
			 (json_int_t)s.sent_queued, "dropped", (json_int_t)s.dropped, "tx_failed",
			 (json_int_t)x->tx_failed);
}

static json_t *ctl_neighbours(const struct app_gw_rt *x)
{
	uint64_t now = app_mono_ms();
	json_t *a = json_array();

	for (uint32_t i = 0; i < fp_routes_nh_max(x->routes); i++) {
		json_t *o;

		if (fp_routes_nh(x->routes, i) == NULL)
			continue;
		o = nh_json(x, i);
		json_object_set_new(o, "routes", json_integer(fp_routes_nh_refs(x->routes, i)));
		json_object_set_new(o, "waiting", json_integer(fp_nbr_waiting(x->nbr, i)));
		json_object_set_new(o, "confirmed_ms_ago",
				    json_integer((json_int_t)fp_nbr_age_ms(x->nbr, i, now)));
		json_array_append_new(a, o);
	}
	return json_pack("{s:b, s:o, s:o}", "ok", 1, "neighbours", a, "stats", nbr_stats_json(x));
}

json_t *app_gw_rt_ctl(void *arg, const char *cmd, json_t *req)
{
	struct app_gw_rt *x = arg;

	if (strcmp(cmd, "route-add") == 0)
		return ctl_route_add(x, req);
	if (strcmp(cmd, "route-del") == 0)
		return ctl_route_del(x, req);
	if (strcmp(cmd, "routes") == 0)
		return ctl_routes(x);
	if (strcmp(cmd, "neighbours") == 0 || strcmp(cmd, "neighbors") == 0)
		return ctl_neighbours(x);
	return NULL;
}
