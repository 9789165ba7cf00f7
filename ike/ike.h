/* SPDX-License-Identifier: BSD-3-Clause */
/* Public interface of the IKE engine. The engine has no DPDK or socket
 * dependency: the embedder feeds it received datagrams and a monotonic clock,
 * and it answers through the callbacks in struct ike_ops. */
#ifndef IKE_H
#define IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_alg.h"

#define IKE_NAME_MAX      64
#define IKE_MAX_PROPOSALS 8
#define IKE_MAX_ALGS      8
#define IKE_MAX_TS        8
#define IKE_MAX_CHILDREN  4
#define IKE_MAX_ID        255
#define IKE_MAX_PSK       256
#define IKE_MAX_KEY_LEN   64 /* largest single derived key */

/* An address with port, in network byte order bytes. family is 4 or 6. */
typedef struct ike_addr {
	uint8_t family;
	uint16_t port;
	uint8_t a[16];
} ike_addr_t;

int ike_addr_parse(const char *s, ike_addr_t *out); /* "192.0.2.1", "2001:db8::1" */
/* Formats "192.0.2.1[500]" into buf; returns buf. */
const char *ike_addr_str(const ike_addr_t *a, char *buf, size_t len);
bool ike_addr_eq(const ike_addr_t *a, const ike_addr_t *b); /* address and port */
bool ike_addr_ip_eq(const ike_addr_t *a, const ike_addr_t *b);
/* a lies in net/plen (same family; ports not compared). */
bool ike_addr_in_prefix(const ike_addr_t *net, unsigned plen, const ike_addr_t *a);

/* Traffic selector (RFC 7296 3.13.1). Ports in host order; proto 0 = any. */
struct ike_ts {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint16_t sport, eport;
	uint8_t start[16], end[16];
};
/* "198.51.100.0/24", "2001:db8::/32", "192.0.2.1-192.0.2.9",
 * optionally followed by "[proto/port]" or "[proto/lo-hi]" e.g. "[udp/500]". */
int ike_ts_parse(const char *s, struct ike_ts *ts);
const char *ike_ts_str(const struct ike_ts *ts, char *buf, size_t len);

/* One proposal: each array lists the acceptable choices for that transform
 * type, in preference order. n_dh == 0 in a CHILD proposal means no PFS. */
struct ike_proposal {
	uint8_t n_encr, n_prf, n_integ, n_dh, n_esn;
	struct {
		uint16_t id, keybits;
	} encr[IKE_MAX_ALGS];
	uint16_t prf[IKE_MAX_ALGS];
	uint16_t integ[IKE_MAX_ALGS];
	uint16_t dh[IKE_MAX_ALGS];
	uint16_t esn[2];
};
/* The single choice a negotiation settled on. */
struct ike_algs {
	uint16_t encr, encr_keybits, prf, integ, dh, esn;
};
/* Parses strongSwan-style strings: "aes128gcm16-prfsha256-x25519",
 * "aes256-sha256-modp2048", "aes128gcm16-esn". is_ike selects IKE rules
 * (PRF required, no ESN). Returns 0 or -EINVAL and a reason in err. */
int ike_proposal_parse(const char *s, bool is_ike, struct ike_proposal *p, char *err,
		       size_t errlen);
/* "aes128gcm16/prfsha256/x25519" style rendering for logs. */
const char *ike_proposal_str(const struct ike_proposal *p, char *buf, size_t len);
const char *ike_algs_str(const struct ike_algs *a, bool is_ike, char *buf, size_t len);

struct ike_id {
	uint8_t type; /* IKEV2_ID_* */
	uint8_t len;
	uint8_t data[IKE_MAX_ID];
};
/* "192.0.2.1", "2001:db8::1", "gw.example.org" (FQDN), "user@example.org"
 * (RFC822), "keyid:hexstring" or "fqdn:..." / "email:..." prefixes. An empty
 * string or "%any" gives type 0 (match any, send own address). */
int ike_id_parse(const char *s, struct ike_id *id);
const char *ike_id_str(const struct ike_id *id, char *buf, size_t len);

enum ike_mode { IKE_MODE_TUNNEL = 0, IKE_MODE_TRANSPORT = 1 };
enum ike_conn_action { IKE_ACTION_CLEAR = 0, IKE_ACTION_RESTART = 1, IKE_ACTION_TRAP = 2 };

struct ike_child_cfg {
	char name[IKE_NAME_MAX];
	uint8_t n_local_ts, n_remote_ts, n_proposals;
	struct ike_ts local_ts[IKE_MAX_TS];
	struct ike_ts remote_ts[IKE_MAX_TS];
	struct ike_proposal proposals[IKE_MAX_PROPOSALS];
	enum ike_mode mode;
	uint32_t rekey_time_s; /* 0 = never */
	uint32_t life_time_s;  /* hard expiry; 0 = rekey_time * 1.1 */
	uint32_t rand_time_s;  /* jitter subtracted from rekey_time */
	/* A route-based tunnel (strongSwan's if_id): nonzero, the data plane
	 * installs no policies for the CHILD SAs; routes to this tunnel
	 * interface choose them. Not negotiated: ours alone. */
	uint32_t if_id;
};

/* How an end authenticates: local_auth says how we do, remote_auth what
 * we accept from the peer. */
enum ike_authby {
	IKE_AUTHBY_PSK = 0,
	IKE_AUTHBY_PUBKEY, /* an X.509 certificate and a signature (ike/ike_pki.h) */
	IKE_AUTHBY_ANY,    /* remote only: either */
};
/* Revocation of the peer's certificates (CRL, OCSP), as strongSwan's
 * policies: relaxed fails only on a known revocation, ifuri also when the
 * certificate names a source that gave no answer, strict whenever the
 * status is not known good. */
enum ike_revocation {
	IKE_REVOCATION_RELAXED = 0,
	IKE_REVOCATION_IFURI,
	IKE_REVOCATION_STRICT,
	IKE_REVOCATION_NONE, /* not checked */
};
#define IKE_MAX_LOCAL_CREDS 4
struct ike_cred;  /* ike/ike_pki.h */
struct ike_creds; /* ike/ike_pki.h */
struct x509_st;   /* OpenSSL's X509 */

struct ike_conn_cfg {
	char name[IKE_NAME_MAX];
	ike_addr_t local, remote; /* ports are IKE ports (usually 500) */
	/* Responder-only connections accept any peer whose address has the
	 * first remote_plen bits of remote (0 = any address of the family). */
	bool remote_is_prefix;
	uint8_t remote_plen;
	struct ike_id local_id, remote_id;
	uint8_t psk[IKE_MAX_PSK]; /* PSK on either side */
	size_t psk_len;
	uint8_t local_auth, remote_auth; /* enum ike_authby */
	/* local_auth pubkey: our certificates, from the engine's credential
	 * store (ike_engine_set_creds); the one sent is one that chains to a
	 * CA the peer asked for (CERTREQ). Without local_id, our identity is
	 * the subject DN of the one sent. */
	const struct ike_cred *local_creds[IKE_MAX_LOCAL_CREDS];
	uint8_t n_local_creds;
	bool sig_pss; /* RSA keys sign with RSASSA-PSS (RFC 7427) */
	/* remote_auth pubkey: the peer's chain must go through this CA
	 * certificate (NULL: any trust anchor of the store). */
	struct x509_st *remote_ca;
	char remote_ca_dn[256]; /* or a CA whose subject matches this DN pattern */
	uint8_t revocation;     /* enum ike_revocation */
	/* The peer's claimed IP address identity must be its source address
	 * (an identity of another type is then refused too). */
	bool id_is_source;
	uint8_t n_proposals, n_children;
	struct ike_proposal proposals[IKE_MAX_PROPOSALS];
	struct ike_child_cfg children[IKE_MAX_CHILDREN];
	uint32_t rekey_time_s; /* IKE SA rekey; 0 = never */
	uint32_t rand_time_s;
	uint32_t dpd_delay_s; /* liveness check interval when idle; 0 = off */
	bool force_encap;     /* UDP-encapsulate ESP even without NAT */
	bool allow_weak_dh;   /* permit MODP groups below 2048 bits */
	bool initiate;        /* start when loaded */
	/* start_action trap: nothing is started when loaded; the embedder
	 * puts the CHILD SAs' policies to trap and calls ike_engine_acquire()
	 * for the first packet one of them catches. The engine does not read
	 * it. */
	bool trap;
	/* When an IKE SA of the connection ends and no other is left
	 * (ike/core/ike_restart.c): after a failed liveness check or
	 * retransmissions (dpd_action), after the peer deleted it
	 * (close_action): IKE_ACTION_CLEAR (0) or IKE_ACTION_RESTART. */
	enum ike_conn_action dpd_action, close_action;
	/* Attempts at establishing it (ours, by initiate or restart) before
	 * giving up, with a growing delay between them; 0 counts as 1,
	 * IKE_KEYINGTRIES_FOREVER never gives up. */
	uint32_t keyingtries;
};
#define IKE_KEYINGTRIES_FOREVER UINT32_MAX

struct ike_engine_cfg {
	uint32_t retransmit_timeout_ms; /* first retransmission (default 500) */
	uint32_t retransmit_tries;      /* retransmissions before giving up (5) */
	uint32_t retransmit_base_pct;   /* backoff factor in percent (180) */
	uint32_t cookie_threshold;      /* half-open SAs before cookies (1000) */
	uint32_t half_open_per_peer;    /* half-open SAs from one address; 0 = unlimited */
	uint32_t half_open_max;         /* half-open SAs in all; 0 = unlimited */
	uint16_t natt_port;             /* 4500 */
	bool force_cookies;             /* tests: demand cookies always */
	bool keylog;                    /* emit key material through ops->keylog */
	/* Liveness check of an IKE SA whose connection has no dpd_delay, after
	 * this long without inbound IKE or CHILD SA traffic (600; 0 = never). */
	uint32_t liveness_idle_s;
	/* NAT keepalives (RFC 3948 4: one 0xFF octet to the peer's NAT-T port)
	 * while a NAT is in front of us, every natt_keepalive_s (20; 0 = off). */
	uint32_t natt_keepalive_s;
	int log_level; /* enum ike_log_level; finer lines are not even formatted */
	/* Lines caused by unauthenticated input (refused IKE_SA_INIT requests,
	 * malformed datagrams, messages failing their integrity check): at
	 * most this many a second of each kind, then one line saying how
	 * many were suppressed (10; 0 = no limit). Such lines are never at
	 * error level. */
	uint32_t log_rate;
	/* IKE fragmentation (RFC 7383): announced in IKE_SA_INIT and accepted
	 * from the peer (default on). An encrypted message whose IP datagram
	 * would be larger than fragment_size octets (IP and UDP headers
	 * counted, as strongSwan's charon.fragment_size) leaves as Encrypted
	 * Fragment payloads when the peer announced it too; 0 = 1280, values
	 * below IKE_FRAG_SIZE_MIN are raised to it. */
	bool fragmentation;
	uint16_t fragment_size;
};
#define IKE_FRAG_SIZE_DEFAULT 1280
#define IKE_FRAG_SIZE_MIN     256
#define IKE_LOG_RATE_DEFAULT  10
void ike_engine_cfg_defaults(struct ike_engine_cfg *c);

/* What the data plane needs to install one direction pair of a CHILD SA. */
struct ike_child_info {
	const char *conn, *child;
	/* Unique ids (ike_engine_command()): this CHILD SA's, and that of
	 * the IKE SA carrying it now (it changes when the IKE SA is rekeyed). */
	uint32_t id, ike_id;
	uint64_t ike_spi_i, ike_spi_r;
	uint32_t spi_in, spi_out; /* host order */
	uint32_t old_spi_in;      /* set when this replaces a rekeyed SA */
	/* A simultaneous rekey (2.8.1) settled with this CHILD_REKEYED: this
	 * new SA is the redundant one (it is deleted; traffic stays on the
	 * other), or, when ours won, redundant_in names the peer's redundant
	 * one (the peer deletes it). A data plane sends on neither. */
	bool redundant;
	uint32_t redundant_in;
	ike_addr_t local, remote; /* outer addresses; ports meaningful if encap */
	bool encap;
	enum ike_mode mode;
	uint32_t if_id;                     /* the child configuration's (route-based), 0: none */
	struct ike_algs algs;               /* encr/keybits/integ/esn (+dh if PFS) */
	uint8_t enc_key_len, integ_key_len; /* enc includes salt */
	uint8_t enc_in[IKE_MAX_KEY_LEN], enc_out[IKE_MAX_KEY_LEN];
	uint8_t integ_in[IKE_MAX_KEY_LEN], integ_out[IKE_MAX_KEY_LEN];
	uint8_t n_local_ts, n_remote_ts;
	struct ike_ts local_ts[IKE_MAX_TS], remote_ts[IKE_MAX_TS];
};

enum ike_event_type {
	IKE_EV_IKE_UP,
	IKE_EV_IKE_REKEYED,
	IKE_EV_IKE_DOWN,
	IKE_EV_CHILD_UP,
	IKE_EV_CHILD_REKEYED,
	IKE_EV_CHILD_DOWN,
	IKE_EV_FAILED,      /* negotiation failed (IKE SA, or the first CHILD SA
	                          * of an IKE SA that stands); reason set */
	IKE_EV_CHILD_MOVED, /* the peer's NAT mapping changed: the CHILD SA's
	                     * outer addresses and ports (child->local/remote)
	                     * are new; same SPIs and keys */
	IKE_EV_TRAP,        /* the connection's last IKE SA (spi_i/r) ended and
	                     * its dpd_action or close_action is trap: its CHILD
	                     * SAs' policies go (back) to trap; reason set */
};
const char *ike_event_name(enum ike_event_type t);

struct ike_event {
	enum ike_event_type type;
	const char *conn;
	uint64_t spi_i, spi_r;              /* IKE SA (new SA for IKE_REKEYED) */
	uint64_t old_spi_i, old_spi_r;      /* IKE_REKEYED only */
	uint32_t ike_id, old_ike_id;        /* unique ids of the same SAs */
	struct ike_algs algs;               /* IKE SA algorithms for IKE_UP/REKEYED */
	const struct ike_child_info *child; /* CHILD_* events */
	const char *reason;                 /* DOWN/FAILED: why (valid during the call) */
};

enum ike_log_level { IKE_LOG_ERR, IKE_LOG_WARN, IKE_LOG_INFO, IKE_LOG_DEBUG };

struct ike_ops {
	/* buf is the UDP payload, with the non-ESP marker already in front when
	 * either port is the NAT-T port. */
	void (*send)(void *ctx, const ike_addr_t *local, const ike_addr_t *remote,
		     const uint8_t *buf, size_t len);
	void (*event)(void *ctx, const struct ike_event *ev);
	void (*log)(void *ctx, enum ike_log_level lvl, const char *line);
	/* Only called when ike_engine_cfg.keylog is set. */
	void (*keylog)(void *ctx, const char *line);
	/* Data-plane SPI allocation; NULL means random non-zero SPIs >= 256. */
	uint32_t (*spi_alloc)(void *ctx);
};

struct ike_engine;
struct ike_engine *ike_engine_new(const struct ike_engine_cfg *cfg, const struct ike_ops *ops,
				  void *ctx);
void ike_engine_free(struct ike_engine *e);
/* The trust anchors, intermediates and our certificates the engine
 * verifies and signs with; it takes a reference (ike_creds_ref) and drops
 * the previous store's. Connections name credentials of this store. */
void ike_engine_set_creds(struct ike_engine *e, struct ike_creds *c);
/* Lines finer than lvl are no longer formatted (ike_engine_cfg.log_level,
 * changed at run time). */
void ike_engine_set_log_level(struct ike_engine *e, enum ike_log_level lvl);
/* The program dropped an IKE datagram before handing it over (a bad UDP
 * checksum, say): counted, and named in "peer not responding" lines of
 * requests that waited meanwhile, since the answer may be among them. */
void ike_engine_note_rx_dropped(struct ike_engine *e);
/* A CRL file (PEM or DER) for the store's CA that issued it, checked with
 * its key now. Revocation fetches (CRL distribution points, OCSP) run on a
 * thread of the engine's own and never block it; ike_engine_tick()
 * collects their answers (ike_engine_next_timer() is at most 100 ms away
 * while one runs), and an IKE_AUTH waiting for one is answered when the
 * peer retransmits it. 0, or -1 with a line in err. */
int ike_engine_add_crl_file(struct ike_engine *e, const char *path, char *err, size_t errlen);
/* An OCSP responder (http://host[:port][/path]) asked, before the AIA's,
 * about the certificates the CA `ca` issued: ca is the file of one of the
 * store's CA certificates (trust anchor or intermediate) or a DN pattern
 * that exactly one of them matches. 0, or -1 with a line in err. */
int ike_engine_add_ocsp_uri(struct ike_engine *e, const char *ca, const char *url, char *err,
			    size_t errlen);
/* Forgets the CRL files and responders given above and every fetched CRL
 * and OCSP answer (a reload, which then gives them again). */
void ike_engine_reset_revocation(struct ike_engine *e);
/* Points the running connection `name` at other credentials (a reload,
 * after ike_engine_set_creds with the new store): from's local_creds,
 * remote_ca and remote_ca_dn are taken, and its PSK when the connection
 * uses one and from has one; nothing else of it. SAs of the
 * connection stay; the next AUTH they write or check uses these.
 * -ENOENT no such connection; -EINVAL the connection signs with a
 * certificate and from has none (or too many). */
int ike_engine_set_conn_creds(struct ike_engine *e, const char *name,
			      const struct ike_conn_cfg *from);
/* The CRLs the engine holds (files and fetched), for operators. Times are
 * "YYYY-MM-DD HH:MM:SS UTC", "" when unknown. */
struct ike_crl_info {
	const char *source; /* "CRL file PATH" or "CRL URL" */
	const char *issuer; /* the CRL's issuer DN */
	char this_update[32], next_update[32];
	unsigned n_revoked;
	const char *error; /* the last failure, "" when none */
};
void ike_engine_list_crls(struct ike_engine *e, void (*fn)(void *arg, const struct ike_crl_info *),
			  void *arg);
int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *c);
/* Takes connection `name` out (a configuration reload): its established
 * IKE SAs are deleted through IKE (the peer gets a Delete; the CHILD SAs
 * go down with events as for ike_engine_delete_ike), those not yet
 * authenticated end at once, and its restart or retry is dropped; none
 * of them restarts or traps afterwards. From the call on, the name is
 * free (ike_engine_add_conn may add it again, as a changed connection)
 * and no new SA takes the old one; the engine frees it when its last SA
 * is gone. 0, or -ENOENT. */
int ike_engine_remove_conn(struct ike_engine *e, const char *name, uint64_t now_ms);
/* Whether a connection of that name was removed and still has SAs. */
bool ike_engine_conn_removing(struct ike_engine *e, const char *name);

/* now_ms is a monotonic clock in milliseconds, supplied by the embedder. */
void ike_engine_input(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		      const uint8_t *buf, size_t len, uint64_t now_ms);
void ike_engine_tick(struct ike_engine *e, uint64_t now_ms);
/* Absolute time of the next timer, or UINT64_MAX when none. */
uint64_t ike_engine_next_timer(const struct ike_engine *e);

/* Control actions on a connection by name. 0 or negative errno:
 * -ENOENT no such connection/SA; initiate: -EALREADY established, -EBUSY
 * being set up. Rekeys, deletes and liveness checks act on the newest
 * established IKE SA of the connection (ike_engine_command() with only
 * conn), are queued on it and run in order as its request window frees.
 * delete_ike also drops a waiting restart and, with no established SA,
 * forgets one we are initiating; never a half-open SA the peer started. */
int ike_engine_initiate(struct ike_engine *e, const char *conn, uint64_t now_ms);
int ike_engine_rekey_child(struct ike_engine *e, const char *conn, uint64_t now_ms);
int ike_engine_rekey_ike(struct ike_engine *e, const char *conn, uint64_t now_ms);
int ike_engine_delete_child(struct ike_engine *e, const char *conn, uint64_t now_ms);
int ike_engine_delete_ike(struct ike_engine *e, const char *conn, uint64_t now_ms);
int ike_engine_dpd(struct ike_engine *e, const char *conn, uint64_t now_ms);
/* A packet met a trap policy of the connection's CHILD SA child (index in
 * its children) with no SA to carry it (strongSwan's acquire). With an
 * established IKE SA the CHILD SA is created on it; with none, the
 * connection is initiated as by ike_engine_initiate() (keyingtries apply).
 * 0: started or queued now. -EALREADY: nothing to do, the CHILD SA is up
 * or it or its IKE SA is being set up (a retry waiting, an exchange under
 * way, the peer's IKE_SA_INIT half-open, our delete in flight): repeated
 * acquires cost a look at the connection's SAs, nothing is sent or logged
 * above debug. -ENOENT no such connection, -EINVAL no such child,
 * -EDESTADDRREQ a responder-only connection. */
int ike_engine_acquire(struct ike_engine *e, const char *conn, unsigned child, uint64_t now_ms);

/* Every IKE SA and CHILD SA gets an id from one counter of the engine
 * (1, 2, ...; never reused while the engine lives), shown in events
 * (struct ike_event, struct ike_child_info) and listings. An operator's
 * command names its SA by a selector: every field given must match, at
 * least one must be given. Commands act on established IKE SAs only (a
 * half-open SA, which one unauthenticated datagram makes, is never
 * chosen); of several matching, the newest. */
struct ike_sel {
	const char *conn;             /* connection name */
	uint32_t id;                  /* the IKE SA's id or one of its CHILD SAs' */
	const ike_addr_t *peer;       /* the peer's address (port not compared) */
	const struct ike_id *peer_id; /* the peer's authenticated identity */
	uint32_t spi;                 /* a CHILD SA's SPI, inbound or outbound */
};
enum ike_cmd {
	IKE_CMD_REKEY_IKE,
	IKE_CMD_DELETE_IKE,
	IKE_CMD_DPD,
	IKE_CMD_REKEY_CHILD,  /* CHILD SA: by id or spi, else the IKE SA's first */
	IKE_CMD_DELETE_CHILD, /* (same) */
};
/* Queues cmd on the SA sel chooses; *acted (may be NULL) gets the id of
 * the IKE SA or CHILD SA acted on. 0, -EINVAL empty selector, -ENOENT
 * no established SA (or no installed CHILD SA) matches. */
int ike_engine_command(struct ike_engine *e, enum ike_cmd cmd, const struct ike_sel *sel,
		       uint64_t now_ms, uint32_t *acted);
/* Shutdown: a Delete queued on every established IKE SA, every other
 * (half-open) one forgotten, waiting restarts dropped. Returns how many
 * Deletes were queued; ike_engine_foreach_sa() shows the ones still
 * waiting for the peer's answer (state DELETING). */
unsigned ike_engine_delete_all(struct ike_engine *e, uint64_t now_ms);

/* Load generators and multi-SA embedders: always starts a new IKE SA of the
 * connection, optionally from another local address/port and with its own
 * single pair of traffic selectors. *spi_i receives the new SA's SPI. */
struct ike_initiate_opts {
	const ike_addr_t *local;
	const struct ike_ts *local_ts, *remote_ts;
};
int ike_engine_initiate_ex(struct ike_engine *e, const char *conn,
			   const struct ike_initiate_opts *o, uint64_t now_ms, uint64_t *spi_i);
/* Actions on one IKE SA given by our SPI (spi_i for SAs we initiated). */
int ike_engine_delete_sa(struct ike_engine *e, uint64_t our_spi, uint64_t now_ms);
int ike_engine_rekey_child_sa(struct ike_engine *e, uint64_t our_spi, uint64_t now_ms);
/* Actions on one CHILD SA given by its inbound SPI (ours), for a data
 * plane that reports on SAs, not connections. 0: queued on its IKE SA,
 * started now or when the exchanges queued before it are done (an action
 * that is moot by then, the CHILD SA replaced or deleted meanwhile, is
 * dropped with a debug line); -ENOENT: no CHILD SA with that SPI (gone, or
 * never ours). Never -EAGAIN: every action is taken. */
int ike_engine_rekey_child_spi(struct ike_engine *e, uint32_t spi_in, uint64_t now_ms);
int ike_engine_delete_child_spi(struct ike_engine *e, uint32_t spi_in, uint64_t now_ms);
/* The data plane saw inbound traffic on a CHILD SA of the IKE SA with
 * these SPIs (struct ike_child_info's ike_spi_i/r): the peer is alive, and
 * its liveness check waits. 0 or -ENOENT. */
int ike_engine_sa_active(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r, uint64_t now_ms);

/* Snapshot of an SA for listing (half-open and dying ones too: state).
 * Times are engine milliseconds (the clock of now_ms), 0 = none. */
struct ike_sa_summary {
	const char *conn;
	uint32_t id; /* unique id of the IKE SA */
	uint64_t spi_i, spi_r;
	bool initiator;
	const char *state;
	struct ike_algs algs;
	ike_addr_t local, remote;
	bool nat_local, nat_remote;
	const char *peer_id;  /* authenticated identity as text, NULL before */
	uint64_t established; /* when this IKE SA came up (a rekey's new SA: then) */
	uint64_t rekey_at;    /* its next rekey (or reauthentication) */
	unsigned n_children;
	const struct ike_child_info *children[IKE_MAX_CHILDREN * 2];
	uint64_t child_up[IKE_MAX_CHILDREN * 2]; /* when each child was made */
	uint64_t child_rekey_at[IKE_MAX_CHILDREN * 2];
};
typedef void (*ike_sa_visit_fn)(void *arg, const struct ike_sa_summary *s);
void ike_engine_foreach_sa(struct ike_engine *e, ike_sa_visit_fn fn, void *arg);

/* Listing in pages, newest SA first (descending ids: an SA is put at the
 * head of the engine's list when made and ids only grow). A page resumes
 * below the id where the last one stopped, so SAs made meanwhile are not
 * shown (they are newer than the listing), SAs gone meanwhile are simply
 * missing, and every SA that lives through the whole listing is shown
 * exactly once. The hint (that SA's SPI) resumes in O(1) while the SA is
 * still there, else a walk from the head skips the newer ones. */
struct ike_sa_filter {
	const char *conn;             /* connection name, NULL: any */
	const ike_addr_t *peer;       /* the peer's IP (port not compared) */
	const struct ike_id *peer_id; /* its authenticated identity */
	const char *state;            /* ike state name ("ESTABLISHED"), NULL: any */
};
struct ike_sa_cursor {
	uint32_t below; /* 0: from the newest SA; else ids below this one */
	uint64_t hint;  /* our SPI of SA #below when it was seen, 0: none */
};
/* false: the page is full, stop after this SA. */
typedef bool (*ike_sa_page_fn)(void *arg, const struct ike_sa_summary *s);
/* Visits matching SAs from *cur on, examining at most max_scan SAs (0: no
 * bound) so that a filter that matches little still answers in bounded
 * time. *cur becomes the cursor of the next page, below 0 when the walk
 * reached the end. Returns the number of SAs examined. */
unsigned ike_engine_list_sas(struct ike_engine *e, const struct ike_sa_filter *f,
			     struct ike_sa_cursor *cur, unsigned max_scan, ike_sa_page_fn fn,
			     void *arg);
/* true when name is one of the state names listings show. */
bool ike_sa_state_valid(const char *name);
/* Counts of SAs by connection and state (name as in the listing). */
typedef void (*ike_sa_count_fn)(void *arg, const char *conn, const char *state);
void ike_engine_count_sas(struct ike_engine *e, ike_sa_count_fn fn, void *arg);

struct ike_stats {
	uint64_t rx, tx, retransmits, dup_requests, bad_messages, cookies_sent;
	uint64_t esp_dropped;  /* ESP-in-UDP reaching the IKE socket: no data plane here */
	uint64_t init_dropped; /* IKE_SA_INIT requests dropped by half-open limits */
	uint64_t keepalives;   /* NAT keepalives sent */
	uint64_t ike_up, ike_failed, child_up, half_open, established;
	/* RFC 7383: fragments sent, authenticated fragments received, and
	 * messages put together from them */
	uint64_t frag_tx, frag_rx, frag_reassembled;
	/* Datagrams the program dropped before the engine saw them (bad UDP
	 * checksums, malformed headers: ike_engine_note_rx_dropped()). */
	uint64_t rx_dropped_early;
};
void ike_engine_stats(const struct ike_engine *e, struct ike_stats *s);

#endif
