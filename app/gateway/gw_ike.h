/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE in the DPDK gateway: the engine of ike/ bound to the fast path
 * instead of kernel sockets, on the control core.
 *
 *   in:  IKE datagrams the workers punt (UDP to the IKE or NAT-T port of
 *        one of the gateway's addresses; the NAT-T port only with the
 *        non-ESP marker, since the workers decrypt the rest) are checked
 *        by the control core's host stack (fastpath/host.h: IP and UDP
 *        lengths and checksums) and fed to the engine;
 *   out: the engine's messages leave through the host stack: UDP, IP and
 *        Ethernet headers for the next hop fastpath.routes names for the
 *        peer, fragments over that port's MTU, a TX queue of the control
 *        core's own (queue n_workers of every port: workers never share
 *        theirs);
 *   SAs: CHILD_UP / CHILD_REKEYED install both SAs and the policies,
 *        CHILD_DOWN removes them (app/gateway/gw.c -> fastpath/ctrl_core.c); a fast-path
 *        soft lifetime (outbound sequence numbers running out) asks the
 *        engine for a rekey, a hard one for a delete;
 *   traps: a connection with start_action trap gets, when started, trap
 *        policies for each CHILD SA configuration (behind the CHILD SA's
 *        own, which go in front when it is up), and one whose dpd_action
 *        or close_action is trap gets them when the engine says so
 *        (IKE_EV_TRAP); they stay. A worker's acquire for one comes back
 *        through app_gw_ike_acquire() and becomes ike_engine_acquire().
 * The control socket (ipsecgw-ctl) and the key log work as in ipsecgw-ike.
 * Single-threaded: everything here runs on the control core. */
#ifndef APP_GW_IKE_H
#define APP_GW_IKE_H

#include <stddef.h>
#include <stdint.h>

#include "app/common/config.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/dp.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_routes.h"

struct rte_mbuf;
struct app_gw_ike;

struct app_gw_ike_cfg {
	struct app_config *cfg;           /* connections, control socket, key log */
	const struct fp_dp *dp;           /* routes, MACs, MTUs, local addresses */
	struct app_gw_children *children; /* where CHILD SA events install (gw.h) */
	/* routes (a reload applies fastpath.routes; the control socket's
	 * route commands) and the host stack IKE's messages leave by */
	struct app_gw_rt *rt;
};

struct app_gw_ike_stats {
	uint64_t rx;               /* datagrams given to the engine */
	uint64_t rx_bad;           /* IKE-looking but malformed: lengths, checksums */
	uint64_t rx_other;         /* punted, not IKE (ARP, ICMP, other UDP): freed */
	uint64_t tx;               /* messages sent (a fragmented one counts once) */
	uint64_t tx_frags;         /* IP fragments of those */
	uint64_t tx_failed;        /* no route, no mbuf, too big, TX queue full */
	uint64_t echo_replies;     /* to echo requests for our addresses (fastpath/host.h) */
	uint64_t acquires;         /* from trap policies, given to the engine */
	uint64_t acquires_started; /* of those, ones that started an exchange */
};

/* NULL with a reason in err: a connection whose local address is not one
 * of the fast path's, no route to a connection's peer, the engine or the
 * control socket could not be set up. */
struct app_gw_ike *app_gw_ike_create(const struct app_gw_ike_cfg *c, char *err, size_t errlen);
void app_gw_ike_free(struct app_gw_ike *g);

/* fp_ctrl_cfg.on_punt's work: takes m (IKE goes to the engine, the rest is
 * counted and freed). */
void app_gw_ike_punt(struct app_gw_ike *g, struct rte_mbuf *m);
/* A fast-path lifetime event of an SA that IKE installed (others are
 * ignored). */
void app_gw_ike_fp_event(struct app_gw_ike *g, const struct fp_ctrl_event *ev);
/* Timers and the control socket; the amount of work done (0 = idle). */
unsigned app_gw_ike_poll(struct app_gw_ike *g);
/* Starts connections with "initiate": true, traps those with
 * start_action trap. */
void app_gw_ike_start(struct app_gw_ike *g);
/* fp_ctrl_cfg.on_acquire's work: a packet met trap policy trap. */
void app_gw_ike_acquire(struct app_gw_ike *g, uint32_t trap);
/* Deletes every IKE SA (the peer is told); then app_gw_ike_sa_count() falls
 * to 0 as the deletes are answered or time out. */
void app_gw_ike_shutdown(struct app_gw_ike *g);
unsigned app_gw_ike_sa_count(struct app_gw_ike *g);
/* Live reload (SIGHUP, the control socket's reload): app_config_reload()
 * with the fast path's checks; connections that use trap policies must
 * stay unchanged at their place in the file. 0 with a summary in msg, or
 * -1 with the reason and nothing changed. */
int app_gw_ike_reload(struct app_gw_ike *g, char *msg, size_t len);
void app_gw_ike_get_stats(const struct app_gw_ike *g, struct app_gw_ike_stats *s);

/* The engine, for what only reads it (metrics). */
struct ike_engine *app_gw_ike_engine(struct app_gw_ike *g);

#endif
