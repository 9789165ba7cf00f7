/* SPDX-License-Identifier: BSD-3-Clause */
/* "fastpath" section of the configuration: ports, workers, crypto backend,
 * static (manually keyed) SAs, outbound policies and routes of the DPDK gateway
 * (build/ipsecgw). Plain structs, no DPDK header: app/gateway/gw.c converts them to
 * fastpath/ types. Documented in docs/config.md. */
#ifndef APP_CONFIG_FP_H
#define APP_CONFIG_FP_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/ike.h"

#define APP_FP_MAX_PORTS     8
#define APP_FP_MAX_ADDRS     8
#define APP_FP_MAX_SAS       128
#define APP_FP_MAX_POLICIES  256
#define APP_FP_MAX_ROUTES    64
#define APP_FP_MAX_SEL       4
#define APP_FP_NAME_MAX      32
#define APP_FP_DEVARGS_MAX   256
#define APP_FP_MAX_WORKERS   16
#define APP_FP_MAX_RX_BURST  64 /* FP_RX_BURST_MAX (app/ does not include fastpath/ here) */
#define APP_FP_CDEV_NAME_MAX 64 /* RTE_CRYPTODEV_NAME_MAX_LEN */

struct app_fp_port {
	char name[APP_FP_NAME_MAX];
	char profile[APP_FP_NAME_MAX];    /* drivers-config/<profile>.json, "" = none */
	char devargs[APP_FP_DEVARGS_MAX]; /* probed at start; "" = an existing ethdev */
	char device[APP_FP_NAME_MAX];     /* ethdev name (e.g. from --vdev); "" = name */
	unsigned n_addr;
	ike_addr_t addr[APP_FP_MAX_ADDRS];    /* the gateway's own addresses (ports 0) */
	uint16_t rx_queues, rx_desc, tx_desc; /* 0 = from the profile / defaults */
	uint16_t mtu;                         /* IP MTU; default APP_FP_MTU */
};

/* 100,000 tunnels with their rekeys under way (two SAs each for a
 * moment) and the inbound SAs kept after one. */
#define APP_FP_SAS_DEFAULT 131072u
#define APP_FP_SAS_MIN     64u
#define APP_FP_SAS_MAX     (1u << 22)
/* the 64 of the file and 1,024 by route-add; a route-based tunnel each
 * needs one, so a concentrator sets more (docs/config.md: memory) */
#define APP_FP_ROUTES_DEFAULT (APP_FP_MAX_ROUTES + 1024u)
#define APP_FP_ROUTES_MAX     (1u << 20)
#define APP_FP_MTU            1500
#define APP_FP_REASM_MAX      256 /* FP_REASM_MAX_DEFAULT */
#define APP_FP_REASM_LIMIT    16384
#define APP_FP_REASM_TIMEOUT  2000 /* ms, FP_REASM_TIMEOUT_MS */

/* Algorithms as IKEv2 transform IDs (RFC 7296 3.3.2), the form IKE CHILD
 * SAs come in, so both take the same conversion. */
struct app_fp_sa {
	uint32_t spi;
	bool out; /* dir "out" */
	enum ike_mode mode;
	ike_addr_t local, remote; /* outer addresses */
	bool encap;
	uint16_t encap_local_port, encap_remote_port;
	uint16_t encr, encr_keybits, integ;
	uint8_t key_len, auth_key_len; /* key includes the 4-byte salt for AEAD */
	uint8_t key[IKE_MAX_KEY_LEN], auth_key[IKE_MAX_KEY_LEN];
	bool esn;
	uint32_t replay_window;
	uint64_t soft_packets, hard_packets, soft_bytes, hard_bytes;
	uint8_t n_sel;
	struct ike_ts sel_src[APP_FP_MAX_SEL], sel_dst[APP_FP_MAX_SEL];
};

enum app_fp_action { APP_FP_DISCARD = 1, APP_FP_BYPASS = 2, APP_FP_PROTECT = 3 };

struct app_fp_policy {
	struct ike_ts src, dst; /* ranges; proto/ports below */
	uint8_t proto;          /* 0 = any */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	enum app_fp_action action;
	uint32_t spi; /* PROTECT: outbound SA */
};

struct app_fp_route {
	uint8_t family, plen;
	uint8_t prefix[16];
	unsigned port; /* index into ports[] */
	bool has_via;  /* via: the next hop's address (resolved unless has_mac) */
	bool has_mac;  /* mac given */
	uint8_t via[16];
	uint8_t mac[6];  /* next hop's MAC; default broadcast */
	uint32_t tunnel; /* a tunnel interface (children[].if_id) instead of a port, 0: none */
};

enum app_fp_crypto_backend {
	APP_FP_CRYPTO_IMB = 0,   /* intel-ipsec-mb, called directly */
	APP_FP_CRYPTO_CRYPTODEV, /* DPDK cryptodev lookaside */
};

/* "imb_short_arch": intel-ipsec-mb code for short HMAC-SHA-256 jobs
 * (fastpath/crypto.h, enum fp_imb_short: same order). */
enum app_fp_imb_short {
	APP_FP_IMB_SHORT_AUTO = 0,
	APP_FP_IMB_SHORT_OFF,
	APP_FP_IMB_SHORT_SSE,
	APP_FP_IMB_SHORT_AVX,
	APP_FP_IMB_SHORT_AVX2,
};

/* "crypto": which backend the workers use. */
struct app_fp_crypto {
	enum app_fp_crypto_backend backend;
	char device[APP_FP_CDEV_NAME_MAX]; /* cryptodev name; "" = devargs up to ',' */
	char devargs[APP_FP_DEVARGS_MAX];  /* probed at start; "" = an existing device */
	char profile[APP_FP_NAME_MAX];     /* drivers-config/<profile>.json, "" = none */
	uint32_t qp_desc;                  /* 0 = from the profile / default */
	uint32_t timeout_us;               /* 0 = FP_CDEV_TIMEOUT_US */
	enum app_fp_imb_short imb_short;   /* imb only */
	uint32_t imb_short_max;            /* 0 = FP_IMB_SHORT_MAX_DEFAULT */
};

struct app_fp_cfg {
	bool present;     /* the "fastpath" key was given */
	unsigned workers; /* default 1 */
	/* "max_sas": SAs per direction the fast path makes room for; 0 (not
	 * given): as many as the EAL's memory holds, up to APP_FP_SAS_DEFAULT */
	unsigned max_sas;
	/* "max_routes": routes (and next hops) the table holds, configured
	 * and added at run time; 0 (not given): APP_FP_ROUTES_DEFAULT */
	unsigned max_routes;
	unsigned rx_burst; /* 0 = the worker's default (FP_RX_BURST) */
	/* "reassembly": datagrams in progress per worker (0: fragments to
	 * the gateway are dropped) and the time one may take */
	unsigned reasm_max, reasm_timeout_ms;
	uint16_t natt_port; /* from local.natt_port */
	struct app_fp_crypto crypto;
	unsigned n_ports, n_sas, n_policies, n_routes;
	struct app_fp_port ports[APP_FP_MAX_PORTS];
	struct app_fp_sa sas[APP_FP_MAX_SAS];
	struct app_fp_policy policies[APP_FP_MAX_POLICIES];
	struct app_fp_route routes[APP_FP_MAX_ROUTES];
};

#endif
