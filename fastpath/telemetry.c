/* SPDX-License-Identifier: BSD-3-Clause */
/* rte_telemetry commands; see telemetry.h. Not on the fast path: a mutex
 * serialises the callbacks (several clients may ask at once). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "fastpath/ctrl_core_priv.h"
#include "fastpath/telemetry.h"
#include "fastpath/worker.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fp_ctrl *tel_ctrl;
static bool tel_registered;
/* The configured names of the ports (fp_telemetry_port_name()). */
static char tel_port_name[FP_MAX_PORTS][FP_TEL_PORT_NAME_MAX];

/* Read-side section for SA pointers: the telemetry RCU thread id is
 * n_workers (ctrl.c registers it, offline). */
static void rd_begin(struct fp_ctrl *c)
{
	rte_rcu_qsbr_thread_online(c->rcu, c->n_workers);
}

static void rd_end(struct fp_ctrl *c)
{
	rte_rcu_qsbr_thread_offline(c->rcu, c->n_workers);
}

static void sum_workers(const struct fp_ctrl *c, struct fp_worker_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < c->n_workers; i++) {
		const struct fp_worker *w = c->workers[i];
		const uint64_t *s;
		uint64_t *d = (uint64_t *)t;

		if (w == NULL)
			continue;
		s = (const uint64_t *)fp_worker_stats(w);
		for (size_t k = 0; k < sizeof(*t) / sizeof(uint64_t); k++)
			d[k] += s[k];
	}
}

#define U64(d, s, f) rte_tel_data_add_dict_u64(d, #f, (s)->f)

static void add_worker_fields(struct rte_tel_data *d, const struct fp_worker_stats *s)
{
	U64(d, s, rx);
	U64(d, s, tx);
	U64(d, s, esp_in);
	U64(d, s, esp_out);
	U64(d, s, bypass);
	U64(d, s, punt);
	U64(d, s, handoff_out);
	U64(d, s, handoff_in);
	U64(d, s, notes);
	U64(d, s, notes_lost);
	U64(d, s, loops);
	U64(d, s, idle_loops);
	U64(d, s, frag_in);
	U64(d, s, reassembled);
	U64(d, s, frag_out);
	U64(d, s, icmp_too_big);
	U64(d, s, neigh_replies);
	U64(d, s, unresolved_queued);
	U64(d, s, acquires);
	U64(d, s, acquires_lost);
}

/* Crypto engine counters (cryptodev: bursts the device did not finish in
 * time, docs/fastpath.md). */
static void add_crypto(struct rte_tel_data *d, const struct fp_crypto_stats *t)
{
	rte_tel_data_add_dict_u64(d, "crypto_timeouts", t->timeouts);
	rte_tel_data_add_dict_u64(d, "crypto_abandoned", t->abandoned);
	rte_tel_data_add_dict_u64(d, "crypto_late", t->late);
	rte_tel_data_add_dict_u64(d, "crypto_no_op", t->no_op);
	rte_tel_data_add_dict_u64(d, "crypto_orphans", t->orphans);
	rte_tel_data_add_dict_u64(d, "crypto_short_jobs", t->short_jobs);
}

/* The same over all workers (every field is a uint64_t, as in
 * sum_workers()). */
static void sum_crypto(const struct fp_ctrl *c, struct fp_crypto_stats *t)
{
	struct fp_crypto_stats x;

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < c->n_workers; i++) {
		const uint64_t *s = (const uint64_t *)&x;
		uint64_t *d = (uint64_t *)t;

		if (c->workers[i] == NULL)
			continue;
		fp_worker_crypto_stats(c->workers[i], &x);
		for (size_t k = 0; k < sizeof(x) / sizeof(uint64_t); k++)
			d[k] += s[k];
	}
}

static void add_drops(struct rte_tel_data *d, const uint64_t *drops, unsigned n, const char *pfx,
		      const char *(*name)(unsigned))
{
	char k[64];

	for (unsigned r = 1; r < n; r++) {
		snprintf(k, sizeof(k), "%s%s", pfx, name(r));
		rte_tel_data_add_dict_u64(d, k, drops[r]);
	}
}

static const char *esp_name(unsigned r)
{
	return fp_drop_name((enum fp_drop)r);
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fp_worker_stats *t = malloc(sizeof(*t));
	struct fp_crypto_stats cst;
	struct fp_ctrl_stats cs;
	uint64_t drops = 0;

	(void)cmd;
	(void)params;
	if (t == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	sum_workers(tel_ctrl, t);
	for (unsigned r = 0; r < FP_WD_MAX; r++)
		drops += t->drops[r];
	add_worker_fields(d, t);
	rte_tel_data_add_dict_u64(d, "dropped", drops);
	rte_tel_data_add_dict_u64(d, "workers", tel_ctrl->n_workers);
	sum_crypto(tel_ctrl, &cst);
	add_crypto(d, &cst);
	fp_ctrl_get_stats(tel_ctrl, &cs);
	U64(d, &cs, sa_in);
	U64(d, &cs, sa_out);
	U64(d, &cs, spd_rules);
	U64(d, &cs, spd_acl_rules);
	U64(d, &cs, spd_scan_rules);
	U64(d, &cs, spd_exact_rules);
	U64(d, &cs, spd_generation);
	U64(d, &cs, req_ok);
	U64(d, &cs, req_failed);
	U64(d, &cs, events);
	U64(d, &cs, punted);
	U64(d, &cs, freed);
	U64(d, &cs, defer_pending);
	U64(d, &cs, acquires);
	free(t);
	return 0;
}

static int cmd_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fp_worker_stats *t = malloc(sizeof(*t));

	(void)cmd;
	(void)params;
	if (t == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	sum_workers(tel_ctrl, t);
	add_drops(d, t->drops, FP_WD_MAX, "", fp_wdrop_name);
	free(t);
	return 0;
}

static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (unsigned i = 0; i < tel_ctrl->n_workers; i++)
		if (tel_ctrl->workers[i] != NULL)
			rte_tel_data_add_array_int(d, (int)i);
	return 0;
}

static int parse_uint(const char *params, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	v = strtoul(params, &end, 0);
	if (*end != '\0' && *end != ',')
		return -EINVAL;
	if (v >= max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int cmd_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct fp_worker_stats *s;
	struct fp_crypto_stats cst;
	unsigned id;

	(void)cmd;
	if (parse_uint(params, tel_ctrl->n_workers, &id) != 0 || tel_ctrl->workers[id] == NULL)
		return -EINVAL;
	s = fp_worker_stats(tel_ctrl->workers[id]);
	rte_tel_data_start_dict(d);
	add_worker_fields(d, s);
	fp_worker_crypto_stats(tel_ctrl->workers[id], &cst);
	add_crypto(d, &cst);
	add_drops(d, s->drops, FP_WD_MAX, "drop_", fp_wdrop_name);
	return 0;
}

static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint16_t p;

	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	RTE_ETH_FOREACH_DEV(p)
		rte_tel_data_add_array_int(d, p);
	return 0;
}

static int cmd_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fp_worker_stats *t;
	struct rte_eth_stats es;
	char name[RTE_ETH_NAME_MAX_LEN];
	unsigned p;

	(void)cmd;
	if (parse_uint(params, FP_MAX_PORTS, &p) != 0 || !rte_eth_dev_is_valid_port((uint16_t)p))
		return -EINVAL;
	t = malloc(sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	sum_workers(tel_ctrl, t);
	rte_tel_data_start_dict(d);
	/* "name" is the operator's (fastpath.ports[].name), "device" the
	 * ethdev's; without a configured one both are the ethdev's. */
	if (rte_eth_dev_get_name_by_port((uint16_t)p, name) != 0)
		name[0] = '\0';
	rte_tel_data_add_dict_string(d, "name", tel_port_name[p][0] ? tel_port_name[p] : name);
	rte_tel_data_add_dict_string(d, "device", name);
	U64(d, &t->port[p], rx);
	U64(d, &t->port[p], rx_bytes);
	U64(d, &t->port[p], tx);
	U64(d, &t->port[p], tx_bytes);
	U64(d, &t->port[p], tx_drop);
	if (rte_eth_stats_get((uint16_t)p, &es) == 0) {
		rte_tel_data_add_dict_u64(d, "eth_ipackets", es.ipackets);
		rte_tel_data_add_dict_u64(d, "eth_opackets", es.opackets);
		rte_tel_data_add_dict_u64(d, "eth_imissed", es.imissed);
		rte_tel_data_add_dict_u64(d, "eth_ierrors", es.ierrors);
		rte_tel_data_add_dict_u64(d, "eth_oerrors", es.oerrors);
		rte_tel_data_add_dict_u64(d, "eth_rx_nombuf", es.rx_nombuf);
	}
	free(t);
	return 0;
}

static void list_one(void *arg, struct fp_sad_ent *e)
{
	char s[32];

	snprintf(s, sizeof(s), "%s:0x%08x", e->dir == FP_DIR_IN ? "in" : "out", e->sa.spi);
	rte_tel_data_add_array_string(arg, s);
}

/* SAs a /ipsecgw/sa/list answer holds (RTE_TEL_MAX_ARRAY_ENTRIES less
 * one for the cursor). */
#define SA_LIST_PAGE 256u

/* A page of the installed SAs; the param is the cursor a page before
 * ended with ("next:N", its last element when more may follow). */
static int cmd_sa_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned long pos = 0;
	char *end, next[32];

	(void)cmd;
	if (params != NULL && *params != '\0') {
		errno = 0;
		pos = strtoul(params, &end, 10);
		if (*end != '\0' || errno || pos >= FP_SAD_WALK_END)
			return -EINVAL;
	}
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	rd_begin(tel_ctrl);
	pos = fp_sad_walk(tel_ctrl->sad, (uint32_t)pos, SA_LIST_PAGE, list_one, d);
	rd_end(tel_ctrl);
	if (pos != FP_SAD_WALK_END) {
		snprintf(next, sizeof(next), "next:%lu", pos);
		rte_tel_data_add_array_string(d, next);
	}
	return 0;
}

static struct fp_sad_ent *find_sa(struct fp_ctrl *c, uint32_t spi, int dir)
{
	struct fp_sad_ent *e = NULL;
	int slot;

	if (dir != FP_DIR_OUT)
		e = fp_sad_find_in(c->sad, spi);
	if (e == NULL && dir != FP_DIR_IN) {
		for (slot = 0; slot < (int)fp_sad_max(c->sad); slot++) {
			struct fp_sad_ent *o = __atomic_load_n(&c->out[slot].e, __ATOMIC_ACQUIRE);

			if (o != NULL && o->sa.spi == spi)
				return o;
		}
	}
	return e;
}

static int cmd_sa_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const char *comma;
	struct fp_sad_ent *e;
	unsigned long spi;
	char *end, hex[16];
	int dir = -1;

	(void)cmd;
	if (params == NULL)
		return -EINVAL;
	spi = strtoul(params, &end, 0);
	if (end == params || (*end != '\0' && *end != ',') || spi > UINT32_MAX)
		return -EINVAL;
	comma = strchr(params, ',');
	if (comma != NULL)
		dir = strcmp(comma + 1, "in") == 0    ? FP_DIR_IN
		      : strcmp(comma + 1, "out") == 0 ? FP_DIR_OUT
						      : -2;
	if (dir == -2)
		return -EINVAL;
	rd_begin(tel_ctrl);
	e = find_sa(tel_ctrl, (uint32_t)spi, dir);
	if (e == NULL) {
		rd_end(tel_ctrl);
		return -ENOENT;
	}
	rte_tel_data_start_dict(d);
	snprintf(hex, sizeof(hex), "0x%08x", e->sa.spi);
	rte_tel_data_add_dict_string(d, "spi", hex);
	rte_tel_data_add_dict_string(d, "dir", e->dir == FP_DIR_IN ? "in" : "out");
	rte_tel_data_add_dict_string(d, "conn", e->conn);
	rte_tel_data_add_dict_string(d, "child", e->child);
	rte_tel_data_add_dict_u64(d, "child_id", e->child_id);
	if (e->dir == FP_DIR_IN)
		rte_tel_data_add_dict_int(d, "owner_worker", e->owner);
	rte_tel_data_add_dict_u64(d, "packets", e->sa.stats.packets);
	rte_tel_data_add_dict_u64(d, "bytes", e->sa.stats.bytes);
	rte_tel_data_add_dict_u64(d, "seq", e->dir == FP_DIR_IN ? e->sa.replay.top : e->sa.h.seq);
	rte_tel_data_add_dict_int(d, "soft_expired", !!(e->sa.life & FP_SA_F_SOFT_EXPIRED));
	rte_tel_data_add_dict_int(d, "hard_expired", !!(e->sa.life & FP_SA_F_HARD_EXPIRED));
	rte_tel_data_add_dict_int(d, "seq_overflow", !!(e->sa.life & FP_SA_F_SEQ_OVERFLOW));
	add_drops(d, e->sa.stats.drops, FP_DROP_MAX, "drop_", esp_name);
	rd_end(tel_ctrl);
	return 0;
}

/* Every command: take the lock, answer an error when detached. */
#define WRAP(fn)                                                                            \
	static int fn##_locked(const char *cmd, const char *params, struct rte_tel_data *d) \
	{                                                                                   \
		int rc = -ENODEV;                                                           \
		pthread_mutex_lock(&tel_lock);                                              \
		if (tel_ctrl != NULL)                                                       \
			rc = fn(cmd, params, d);                                            \
		pthread_mutex_unlock(&tel_lock);                                            \
		return rc;                                                                  \
	}
WRAP(cmd_stats)
WRAP(cmd_drops)
WRAP(cmd_workers)
WRAP(cmd_worker)
WRAP(cmd_ports)
WRAP(cmd_port)
WRAP(cmd_sa_list)
WRAP(cmd_sa_info)

static const struct tel_cmd {
	const char *path;
	telemetry_cb fn;
	const char *help;
} tel_cmds[] = {
	{ "/ipsecgw/stats", cmd_stats_locked,
	  "Totals over all workers and control-core counters. No parameters" },
	{ "/ipsecgw/drops", cmd_drops_locked,
	  "Dropped packets per reason, all workers. No parameters" },
	{ "/ipsecgw/workers", cmd_workers_locked, "Worker ids. No parameters" },
	{ "/ipsecgw/worker", cmd_worker_locked, "One worker's counters. Parameter: worker id" },
	{ "/ipsecgw/ports", cmd_ports_locked, "Port ids. No parameters" },
	{ "/ipsecgw/port", cmd_port_locked, "One port's counters. Parameter: port id" },
	{ "/ipsecgw/sa/list", cmd_sa_list_locked, "Installed SAs. No parameters" },
	{ "/ipsecgw/sa/info", cmd_sa_info_locked, "One SA's counters. Parameters: spi[,in|out]" },
};

int fp_telemetry_init(struct fp_ctrl *c)
{
	int rc = 0;

	pthread_mutex_lock(&tel_lock);
	tel_ctrl = c;
	if (!tel_registered) {
		tel_registered = true;
		for (size_t i = 0; i < RTE_DIM(tel_cmds); i++)
			rc |= rte_telemetry_register_cmd(tel_cmds[i].path, tel_cmds[i].fn,
							 tel_cmds[i].help);
	}
	pthread_mutex_unlock(&tel_lock);
	return rc ? -EINVAL : 0;
}

void fp_telemetry_port_name(uint16_t port, const char *name)
{
	if (port >= FP_MAX_PORTS)
		return;
	pthread_mutex_lock(&tel_lock);
	snprintf(tel_port_name[port], sizeof(tel_port_name[port]), "%s", name ? name : "");
	pthread_mutex_unlock(&tel_lock);
}

void fp_telemetry_fini(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_ctrl = NULL;
	pthread_mutex_unlock(&tel_lock);
}
