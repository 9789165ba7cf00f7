/* SPDX-License-Identifier: BSD-3-Clause */
/* Control core of the fast path: the only writer of the SAD and the SPD.
 *
 * Any thread (the IKE engine, the config loader, the CLI) asks for changes
 * with fp_ctrl_req_*(): a message on an rte_ring (multi-producer, the
 * control core is the single consumer). fp_ctrl_poll(), run in the control
 * core's loop, applies them: builds the runtime SA, inserts it in the SAD
 * (rte_hash with lock-free readers) or its outbound slot, rebuilds and swaps
 * the SPD, and frees what was taken out only after an RCU grace period
 * (rte_rcu_qsbr: each worker reports a quiescent state once per loop).
 *
 * The other direction: workers report soft/hard lifetime and sequence
 * overflow on a second ring, and punt packets (IKE, ARP, ND, traffic to
 * our own addresses) on a third, and raise acquires (a packet met a trap
 * policy: FP_SPD_TRAP) on a fourth; fp_ctrl_poll() hands them to callbacks.
 * An outbound SA is named by its key (fp_sa_params.out_key, else its SPI)
 * wherever a call, an SPD rule or an event names one: the `spi` of
 * del_sa(FP_DIR_OUT), spd_del_sa, spd_retarget, out_sa, out_slot,
 * if_bind/unbind, PROTECT rules and outbound events; two peers may choose
 * the same SPI, the keys differ.
 * Inbound SAs are owned by one worker each (spi % n_workers); other workers
 * pass their packets to the owner on a per-worker hand-off ring. */
#ifndef FP_CTRL_H
#define FP_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastpath/fp_sa.h"
#include "fastpath/spd.h"

#define FP_MAX_WORKERS 16u

struct rte_mbuf;
struct rte_rcu_qsbr;
struct fp_ctrl;
struct fp_worker;

enum fp_ctrl_ev_type {
	FP_EV_SOFT_EXPIRED, /* rekey now */
	FP_EV_HARD_EXPIRED, /* SA dead: every packet dropped */
	FP_EV_SEQ_OVERFLOW, /* outbound sequence space used up (also hard) */
	FP_EV_REQ_FAILED,   /* a queued request could not be applied */
};

struct fp_ctrl_event {
	enum fp_ctrl_ev_type type;
	enum fp_dir dir;
	uint32_t spi;
	int rc;          /* REQ_FAILED: negative errno */
	const char *why; /* REQ_FAILED: reason */
};

struct fp_ctrl_cfg {
	const char *name;   /* prefix of ring/table names */
	unsigned n_workers; /* 1..FP_MAX_WORKERS */
	uint32_t max_sa;    /* per direction; 0 = 1024 */
	uint32_t max_rules; /* SPD rules; 0 = 4 per SA, at least FP_SPD_MAX_RULES */
	unsigned ring_size; /* power of two; 0 = 1024 */
	int socket;
	const struct fp_crypto_backend *be; /* NULL = intel-ipsec-mb */
	/* Control core callbacks (may be NULL). on_punt owns the mbuf; without
	 * it punted packets are counted and freed. */
	void (*on_event)(void *arg, const struct fp_ctrl_event *ev);
	void (*on_punt)(void *arg, struct rte_mbuf *m);
	/* A packet met the TRAP rules of this id (spd.h) with no SA: the
	 * packet is dropped (worker drop `trap`), this is called at most once
	 * per acquire_interval_ms per trap, whatever the workers. */
	void (*on_acquire)(void *arg, uint32_t trap);
	void *arg;
	uint32_t acquire_interval_ms; /* 0 = 1000 */
	unsigned acquire_ring_size;   /* power of two; 0 = 256; full: the acquire
				       * is dropped (worker acquires_lost) */
};

struct fp_ctrl_stats {
	uint64_t req_ok, req_failed, events, punted, freed, defer_pending, acquires;
	uint64_t sa_in, sa_out, spd_rules, spd_acl_rules, spd_scan_rules, spd_generation;
	uint64_t spd_exact_rules; /* rules in the exact tier (spd.h) */
};

/* Control core. NULL with a reason in err. */
struct fp_ctrl *fp_ctrl_create(const struct fp_ctrl_cfg *cfg, char *err, size_t errlen);
/* Workers must be stopped; frees SAs (keys wiped), SPD, rings, tables. */
void fp_ctrl_free(struct fp_ctrl *c);

/* ---- requests: any thread; 0, -ENOMEM or -ENOBUFS (ring full) ---- */
int fp_ctrl_req_add_sa(struct fp_ctrl *c, const struct fp_sa_params *p);
int fp_ctrl_req_del_sa(struct fp_ctrl *c, enum fp_dir dir, uint32_t spi);
int fp_ctrl_req_replace_spd(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n);
/* Puts rules in front of the current ones (IKE CHILD SA policies go before
 * the configured catch-alls). */
int fp_ctrl_req_spd_prepend(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n);
/* Removes every PROTECT rule that names this outbound SPI. */
int fp_ctrl_req_spd_del_sa(struct fp_ctrl *c, uint32_t spi);

/* ---- control core only ---- */

/* Applies queued requests, reclaims after grace periods, delivers events
 * and punted packets. Returns the amount of work done (0 = idle). */
unsigned fp_ctrl_poll(struct fp_ctrl *c);

/* The same changes, applied at once (the requests above end up here).
 * 0 or negative errno with a reason in err. */
int fp_ctrl_add_sa(struct fp_ctrl *c, const struct fp_sa_params *p, char *err, size_t errlen);
int fp_ctrl_del_sa(struct fp_ctrl *c, enum fp_dir dir, uint32_t spi, char *err, size_t errlen);
/* An installed outbound SA with new outer addresses or ports (the peer's
 * NAT mapping moved): a new SA takes its slot at once, with its counters
 * and its sequence numbers continued (a few skipped), and the old one is
 * freed after the grace period. -ENOENT when not installed. */
int fp_ctrl_move_out_sa(struct fp_ctrl *c, const struct fp_sa_params *p, char *err, size_t errlen);
int fp_ctrl_replace_spd(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n, char *err,
			size_t errlen);
int fp_ctrl_spd_prepend(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n, char *err,
			size_t errlen);
int fp_ctrl_spd_del_sa(struct fp_ctrl *c, uint32_t spi, char *err, size_t errlen);
/* The configured rules (origin FP_SPD_CONFIG) become r[0..n), marked so,
 * behind every other rule, which keeps its place: a configuration reload
 * under running CHILD SAs and traps. */
int fp_ctrl_spd_replace_config(struct fp_ctrl *c, const struct fp_spd_rule *r, uint32_t n,
			       char *err, size_t errlen);
/* Removes every TRAP rule of trap id (a connection reloaded or removed). */
int fp_ctrl_spd_del_trap(struct fp_ctrl *c, uint32_t id, char *err, size_t errlen);
/* fn(ptr) once every worker has passed a quiescent state (a table the
 * workers read, swapped out by the caller): 0 or -ENOMEM, in which case
 * nothing is called and the caller keeps ptr. */
int fp_ctrl_defer_free(struct fp_ctrl *c, void (*fn)(void *), void *ptr);
/* Route-based tunnels (ctrl_if.c): tunnel interface if_id is an outbound
 * SAD slot, made on first use and kept, that routes into the interface
 * name (fastpath/route.h, tun_slot): the slot, or -ENOSPC / -ENOMEM. A
 * packet no policy matched (or one a BYPASS let through) whose route goes
 * into the interface is protected by the SA bound to it; with none bound
 * it is dropped as no_sa. Binding names an installed outbound SA: 0 or
 * -ENOENT / -ENOSPC with a reason. Unbinding clears the interface if it
 * sends with that SA: 0 or -ENOENT. An SA taken out or replaced
 * (fp_ctrl_del_sa(), fp_ctrl_move_out_sa()) is followed by the interfaces
 * that send with it. */
int fp_ctrl_if_slot(struct fp_ctrl *c, uint32_t if_id);
int fp_ctrl_if_bind(struct fp_ctrl *c, uint32_t if_id, uint32_t spi, char *err, size_t errlen);
int fp_ctrl_if_unbind(struct fp_ctrl *c, uint32_t if_id, uint32_t spi);
/* The SA interface if_id sends with, NULL: none (control core). */
struct fp_sa *fp_ctrl_if_sa(const struct fp_ctrl *c, uint32_t if_id);
/* The PROTECT rules of outbound SA old_spi protect with new_spi instead, in
 * one new SPD generation (a rekeyed CHILD SA's traffic moves at once). */
int fp_ctrl_spd_retarget(struct fp_ctrl *c, uint32_t old_spi, uint32_t new_spi, char *err,
			 size_t errlen);
/* What the current SPD says of a packet the control core itself sends
 * (addresses in network order bytes, 4 or 16 of them; ports host order). */
enum fp_spd_action fp_ctrl_spd_lookup(const struct fp_ctrl *c, uint8_t family, uint8_t proto,
				      const uint8_t *src, const uint8_t *dst, uint16_t sport,
				      uint16_t dport);
/* The same lookup's raw result (fp_spd_action(), fp_spd_slot()). */
uint32_t fp_ctrl_spd_result(const struct fp_ctrl *c, uint8_t family, uint8_t proto,
			    const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport);
/* Whether an inbound SA with this SPI is installed. */
bool fp_ctrl_has_in_sa(const struct fp_ctrl *c, uint32_t spi);
/* Control core (and tests, benchmarks) only: the inbound SA with this SPI
 * or NULL; the outbound slot of an installed outbound SA or -ENOENT; the
 * number of SPD rules. */
struct fp_sa *fp_ctrl_in_sa(const struct fp_ctrl *c, uint32_t spi);
int fp_ctrl_out_slot(const struct fp_ctrl *c, uint32_t spi);
/* The installed outbound SA of this SPI, or NULL (its counters). */
struct fp_sa *fp_ctrl_out_sa(const struct fp_ctrl *c, uint32_t spi);
uint32_t fp_ctrl_n_rules(const struct fp_ctrl *c);
/* SAs per direction the tables have room for; SPD rules. */
uint32_t fp_ctrl_max_sa(const struct fp_ctrl *c);
uint32_t fp_ctrl_max_rules(const struct fp_ctrl *c);

void fp_ctrl_get_stats(const struct fp_ctrl *c, struct fp_ctrl_stats *s);
/* The workers' RCU variable (other tables the workers read, such as the
 * routes, wait on it too). */
struct rte_rcu_qsbr *fp_ctrl_rcu(const struct fp_ctrl *c);
/* Deferred frees still waiting for a grace period. */
unsigned fp_ctrl_pending(const struct fp_ctrl *c);

/* ---- workers ---- */

/* Called on the worker's lcore before its loop: RCU registration (online)
 * and the table of workers telemetry reads. fp_ctrl_worker_leave() at exit. */
int fp_ctrl_worker_join(struct fp_ctrl *c, unsigned id, struct fp_worker *w);
void fp_ctrl_worker_leave(struct fp_ctrl *c, unsigned id);
unsigned fp_ctrl_n_workers(const struct fp_ctrl *c);

#endif
