/* SPDX-License-Identifier: BSD-3-Clause */
/* The DPDK gateway's glue between app/ and fastpath/: configuration and
 * IKE CHILD SA events -> fp_sa_params and SPD rules -> control-core
 * requests (fastpath/ctrl_core.h). Compiled with DPDK headers (libgw, not
 * libapp, so build/ipsecgw-ike stays free of DPDK). */
#ifndef APP_GW_H
#define APP_GW_H

#include <stdbool.h>
#include <stddef.h>

#include "app/common/config.h"
#include "app/common/config_fp.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/spd.h"
#include "ike/ike.h"

/* IKEv2 transform IDs and keys -> the fast path's cipher/auth. */
int app_gw_algs(uint16_t encr, uint16_t keybits, uint16_t integ, uint8_t key_len,
		uint8_t auth_key_len, struct fp_sa_params *p, char *err, size_t errlen);

/* SAs per direction for fastpath.max_sas want (0: as many as half of the
 * have bytes free hold, up to APP_FP_SAS_DEFAULT; the other half is for
 * SPD builds, reassembly, telemetry): 0 with *max and a line saying so in
 * msg, or -1 with the reason in msg when want (or APP_FP_SAS_MIN) SAs do
 * not fit in have bytes when every one is in use (fp_sad_bytes()). */
int app_gw_sa_room(unsigned want, size_t have, uint32_t *max, char *msg, size_t len);

/* A static SA from the configuration. 0 or -EINVAL with a reason. */
int app_gw_static_sa(const struct app_fp_sa *s, struct fp_sa_params *p, char *err, size_t errlen);
/* A configured policy. */
void app_gw_policy(const struct app_fp_policy *pol, struct fp_spd_rule *r);

/* An IKE CHILD SA -> inbound and outbound SA params and the outbound
 * policies (one PROTECT rule per local_ts x remote_ts pair of one family,
 * at most max). The inbound SA's inner selectors are the same pairs seen
 * from the peer (at most 4). 0 or -EINVAL / -E2BIG with a reason. */
int app_gw_child_params(const struct ike_child_info *ci, struct fp_sa_params *in,
			struct fp_sa_params *out, struct fp_spd_rule *rules, unsigned max,
			unsigned *n_rules, char *err, size_t errlen);

/* The trap policies of a CHILD SA configuration (start_action trap and the
 * like): one FP_SPD_TRAP rule with spi = trap per local_ts x remote_ts
 * pair of one family, at most max (IKE_MAX_TS^2 is enough); the count. */
unsigned app_gw_trap_rules(const struct ike_child_cfg *cc, uint32_t trap, struct fp_spd_rule *rules,
			   unsigned max);

/* The registry of CHILD SAs installed for IKE on control core c
 * (gw_children.c); freeing it leaves the fast path as it is. */
struct app_gw_children;
struct app_gw_children *app_gw_children_new(struct fp_ctrl *c);
void app_gw_children_free(struct app_gw_children *ch);
/* Control core only, applied at once (fastpath/ctrl_core.h synchronous calls).
 * CHILD_UP / CHILD_REKEYED: adds both SAs and puts the policies in front
 * of the current SPD, all or nothing: 0, or a negative errno with a reason
 * in err and nothing left installed (an SPI already in use, a table full).
 * CHILD_DOWN: takes out what app_gw_install_child() installed for that
 * child, and only that (-ENOENT: nothing was). */
int app_gw_install_child(struct app_gw_children *ch, const struct ike_child_info *ci, char *err,
			 size_t errlen);
int app_gw_remove_child(struct app_gw_children *ch, const struct ike_child_info *ci, char *err,
			size_t errlen);
/* The connections fit the fast path: each local_addr is an address of a
 * port, each remote_addr (unless a prefix of peers) has a route. 0 or
 * -EINVAL with the connection and the reason in err. */
int app_gw_check_conns(const struct app_config *cfg, char *err, size_t errlen);
/* The installed child whose SA of direction dir the fast path names spi
 * (inbound: its SPI; outbound: its key, the child's inbound SPI): true
 * with its inbound SPI (how IKE names it) in *spi_in. */
bool app_gw_child_of(const struct app_gw_children *ch, enum fp_dir dir, uint32_t spi,
		     uint32_t *spi_in);
/* CHILD_MOVED: the installed child's outbound SA takes its new outer
 * addresses and ports in place (fp_ctrl_move_out_sa()); -ENOENT when not
 * installed here. Inbound SAs are found by SPI whatever the source. */
int app_gw_move_child(struct app_gw_children *ch, const struct ike_child_info *ci, char *err,
		      size_t errlen);
/* Inbound SAs of children that went down stay this long (packets the peer
 * sent before it heard of the delete); app_gw_children_reap() removes the
 * due ones (all with UINT64_MAX), returning how many. */
#define GW_INBOUND_GRACE_MS 2000u
unsigned app_gw_children_reap(struct app_gw_children *ch, uint64_t now_ms);
/* The children's IKE SA after an IKE_REKEYED event (they moved to it). */
void app_gw_children_ike_rekeyed(struct app_gw_children *ch, const struct ike_event *ev);
/* Calls fn with the IKE SA's SPIs of each child whose inbound SA received
 * packets since the last call (the engine's liveness clock); the count. */
typedef void (*app_gw_active_fn)(void *arg, uint64_t ike_spi_i, uint64_t ike_spi_r);
unsigned app_gw_children_active(struct app_gw_children *ch, app_gw_active_fn fn, void *arg);
/* Whether this SPI names an installed inbound SA or an outbound one (SPI
 * allocation: ours name both SAs of a child). */
bool app_gw_spi_in_use(const struct app_gw_children *ch, uint32_t spi);

#endif
