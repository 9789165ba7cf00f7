/* SPDX-License-Identifier: BSD-3-Clause */
/* rte_telemetry commands of the gateway (read with dpdk-telemetry.py):
 *   /ipsecgw/stats           totals over all workers + control-core counters
 *   /ipsecgw/drops           packets dropped, per reason, over all workers
 *   /ipsecgw/workers         worker ids
 *   /ipsecgw/worker,<id>     one worker's counters and drops
 *   /ipsecgw/ports           port ids
 *   /ipsecgw/port,<id>       one port: its configured name, ethdev name ("device"),
 *                            our counters summed over workers + ethdev's
 *   /ipsecgw/sa/list         installed SAs as "in:0x..." / "out:0x..."
 *   /ipsecgw/sa/info,<spi>[,in|out]   one SA: SPI in hex, its IKE connection,
 *                            child and CHILD SA id ("static" for a configured
 *                            SA), counters, drops, lifetime flags
 * Callbacks run on telemetry threads; they read the SAD inside an RCU
 * read-side section (their own RCU thread id), so no SA is freed under them. */
#ifndef FP_TELEMETRY_H
#define FP_TELEMETRY_H

#include <stdint.h>

struct fp_ctrl;

#define FP_TEL_PORT_NAME_MAX 32

/* Registers the commands (once per process) and points them at c. */
int fp_telemetry_init(struct fp_ctrl *c);
/* The name port (an ethdev id) has in the configuration: shown by
 * /ipsecgw/port as "name". */
void fp_telemetry_port_name(uint16_t port, const char *name);
/* Detaches them (commands then answer with an error) before c is freed. */
void fp_telemetry_fini(void);

#endif
