/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes and neighbours of the DPDK gateway, on the control core: the
 * route table (fastpath/route.h) filled from fastpath.routes and changed
 * at run time (control socket: route-add, route-del; a reload applies the
 * configured routes anew), the neighbour table (fastpath/nbr.h) that
 * resolves next hops with ARP and neighbour discovery, and the control
 * core's host stack (fastpath/host.h) through which solicitations and the
 * packets that waited for them leave, IKE's messages too.
 * Control socket commands:
 *   {"cmd":"route-add","dst":"PREFIX","dev":"PORT"[,"via":"ADDR"][,"mac":"MAC"]}
 *   {"cmd":"route-del","dst":"PREFIX"}
 *   {"cmd":"routes"}      -> {"ok":true,"routes":[...]}
 *   {"cmd":"neighbours"}  -> {"ok":true,"neighbours":[...],"stats":{...}}
 * See docs/operations.md. */
#ifndef APP_GW_ROUTES_H
#define APP_GW_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/common/config_fp.h"
#include "fastpath/dp.h"
#include "fastpath/host.h"
#include "fastpath/nbr.h"

struct rte_mbuf;
struct json_t;
struct app_gw_rt;

struct app_gw_rt_cfg {
	const struct app_fp_cfg *f; /* ports (names) and routes */
	struct fp_dp *dp;           /* gets the routes */
	const uint16_t *port_ids;   /* ethdev id of f->ports[i] */
	uint32_t max_routes;
	bool host; /* a control core TX queue txq on every port */
	uint16_t txq;
	unsigned n_workers; /* fragment identifications (frag.h) */
	int socket;
};

/* Whether configuration f needs the control core's TX queue for its
 * routes (a next hop to resolve). */
bool app_gw_rt_needs_host(const struct app_fp_cfg *f);

/* The route table with f's routes, the neighbour table and, with
 * c->host, the host stack. NULL with the reason in err. */
struct app_gw_rt *app_gw_rt_create(const struct app_gw_rt_cfg *c, char *err, size_t errlen);
void app_gw_rt_free(struct app_gw_rt *x);
/* Route changes wait for the workers' grace periods from now on: 0 or
 * a negative errno. */
int app_gw_rt_set_rcu(struct app_gw_rt *x, struct rte_rcu_qsbr *v);

struct fp_routes *app_gw_rt_routes(const struct app_gw_rt *x);
struct fp_host *app_gw_rt_host(const struct app_gw_rt *x); /* NULL without */
struct fp_nbr *app_gw_rt_nbr(const struct app_gw_rt *x);

/* Control core loop: what waits for next hops, timers. Work done. */
unsigned app_gw_rt_poll(struct app_gw_rt *x);
/* A punted frame: ARP and neighbour discovery are learned from; true
 * when m was one of those (and is freed), false: not ours, m untouched. */
bool app_gw_rt_punt(struct app_gw_rt *x, struct rte_mbuf *m);

/* The configured routes of f (a reload's) replace those of the last
 * configuration; routes added with route-add stay unless f names their
 * prefix. 0, or -1 with the reason in msg (the routes applied so far
 * stay). */
int app_gw_rt_apply(struct app_gw_rt *x, const struct app_fp_cfg *f, char *msg, size_t len);

/* The control socket's route and neighbour commands (ctl_socket.h
 * app_ctlsock_ext_fn); arg: the struct app_gw_rt. */
struct json_t *app_gw_rt_ctl(void *arg, const char *cmd, struct json_t *req);

#endif
