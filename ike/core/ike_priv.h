/* SPDX-License-Identifier: BSD-3-Clause */
/* Engine internals shared by the ike/ files; not part of the public API. */
#ifndef IKE_PRIV_H
#define IKE_PRIV_H

#include <stdarg.h>
#include <stdio.h>

#include "ike/ike.h"
#include "ike/crypto/ike_crypto.h"
#include "ike/v2/ikev2_payload.h"
#include "ike/v2/ikev2_wire.h"

#define IKE_NONCE_LEN   32
#define IKE_MAX_NONCE   256
#define IKE_MAX_CERTREQ 16 /* CAs a peer's CERTREQs may name that we keep */
#define IKE_MIN_NONCE   16 /* octets of a nonce compared in collisions (3.9: the least) */
#define IKE_MAX_COOKIE  64
#define IKE_MSG_MAX     8192 /* largest message we build */
/* RFC 7383 reassembly, per IKE SA and direction: fragments and octets of
 * plaintext kept at most, and how long a partial message waits. */
#define IKE_FRAG_MAX_COUNT  64
#define IKE_FRAG_MAX_BYTES  32768
#define IKE_FRAG_TIMEOUT_MS 30000

struct ike_conn {
	struct ike_conn_cfg cfg;
	/* prf(PSK, "Key Pad for IKEv2") for the PRF last used: the same for
	 * every SA of the connection, so computed once, not four times per
	 * handshake. */
	uint16_t psk_pad_prf;
	uint8_t psk_pad[IKE_MAX_PRF_LEN];
	/* A restart or retry waiting (ike_restart.c): when, attempts so far
	 * since the last IKE SA came up, the engine's list of those waiting. */
	uint64_t restart_at;
	uint32_t tries;
	bool restart_queued;
	/* Taken out by ike_engine_remove_conn(): on e->retired until its
	 * last SA is freed; its SAs' ends start nothing. */
	bool removed;
	struct ike_conn *rnext;
	/* e->conns in the order added (prev: taken out without a walk) and
	 * e->conn_hash by name: 100,000 connections are added and found
	 * without a scan of the others. By addresses: one with an exact
	 * remote address is on the chain of e->conn_addr for its local and
	 * remote address, one for a prefix of peers on e->conn_prefix; both in
	 * the order added (seq), so "the first in the file" still holds. */
	struct ike_conn *next, *prev, *nnext, *anext;
	uint64_t seq;
};

/* Why an IKE SA ended, for what its connection does next. */
enum ike_end {
	IKE_END_FAILED = 0, /* an attempt failed, or it broke (auth, resources) */
	IKE_END_DEAD,       /* no answer: retransmissions or liveness check */
	IKE_END_PEER,       /* the peer deleted it */
	IKE_END_LOCAL,      /* we were told to delete it */
	IKE_END_REPLACED,   /* rekeyed, or the peer restarted (INITIAL_CONTACT) */
};

enum ike_child_state { CHILD_INSTALLED, CHILD_REKEYED, CHILD_DELETING };

struct ike_child {
	struct ike_child_info info; /* keys live here; wiped on free */
	const struct ike_child_cfg *cfg;
	enum ike_child_state state;
	uint64_t rekey_at, expire_at; /* ms, 0 = never */
	uint64_t made;                /* ms, for listings */
	/* Lower of Ni and Nr of the creating exchange, first 16 octets (the
	 * minimum nonce length): enough to settle a rekey collision (2.8.1). */
	uint8_t min_nonce[IKE_MIN_NONCE];
	struct ike_child *next;
};

enum ike_sa_state {
	IKE_S_NEW,
	IKE_S_INIT_SENT, /* initiator: IKE_SA_INIT request out */
	IKE_S_AUTH_SENT, /* initiator: IKE_AUTH request out */
	IKE_S_HALF_OPEN, /* responder: IKE_SA_INIT answered */
	IKE_S_ESTABLISHED,
	IKE_S_REKEYED, /* replaced by a new IKE SA, awaiting delete */
	IKE_S_DELETING,
	IKE_S_DEAD, /* to be freed at the end of the current call */
};
const char *ike_sa_state_name(enum ike_sa_state s);

/* What the single outstanding request of an IKE SA is for. */
enum ike_req_kind {
	REQ_NONE,
	REQ_SA_INIT,
	REQ_AUTH,
	REQ_CHILD_NEW,
	REQ_CHILD_REKEY,
	REQ_IKE_REKEY,
	REQ_DELETE_CHILD,
	REQ_DELETE_IKE,
	REQ_DPD,
};

/* Local actions waiting for the request window (size 1), in order
 * (ike_queue.c). */
enum ike_act {
	IKE_ACT_DELETE_IKE = 1,
	IKE_ACT_REKEY_IKE,
	IKE_ACT_DELETE_CHILD,
	IKE_ACT_REKEY_CHILD,
	IKE_ACT_DPD,
	IKE_ACT_CREATE_CHILD, /* spi: index of the connection's child */
};
struct ike_action {
	uint8_t kind; /* enum ike_act */
	uint32_t spi; /* the CHILD SA's inbound SPI, for child actions */
};
/* One action per CHILD SA (old and new while rekeyed) and one of each
 * other kind: the queue never fills. */
#define IKE_MAX_ACTIONS (IKE_MAX_CHILDREN * 3 + 4)

/* State of a CREATE_CHILD_SA we initiated, kept until its response. */
struct ike_exch_ctx {
	struct ike_dh *dh;
	uint8_t nonce[IKE_NONCE_LEN]; /* ours */
	size_t nonce_len;
	uint32_t new_spi;     /* our new inbound ESP SPI */
	uint64_t new_ike_spi; /* our new IKE SPI (IKE rekey) */
	uint32_t old_spi_in;  /* child being rekeyed/deleted */
	const struct ike_child_cfg *child_cfg;
	uint16_t dh_group;
};

/* The peer's rekey of an IKE SA answered while ours was in flight (2.8.2). */
struct ike_rekey_collision {
	uint64_t spi;                     /* our SPI of the SA it made (state REKEYED) */
	uint8_t min_nonce[IKE_MIN_NONCE]; /* the lower of that exchange's nonces */
};

/* Negotiation-only state, freed when the SA is established so an idle SA
 * stays small. */
struct ike_nego {
	uint8_t ni[IKE_MAX_NONCE], nr[IKE_MAX_NONCE];
	uint8_t cookie[IKE_MAX_COOKIE];
	/* What the peer said for certificates: its CAs (CERTREQ hashes) and
	 * its signature hash algorithms (RFC 7427 4, IKE_PKI_HASH_BIT). */
	uint8_t certreq[IKE_MAX_CERTREQ * 20];
	uint16_t certreq_len;
	uint32_t peer_hashes;
};

struct ike_sa {
	struct ike_engine *e;
	struct ike_conn *conn;
	uint32_t id; /* unique, from e->last_id */
	uint64_t spi_i, spi_r;
	bool initiator; /* original initiator of this IKE SA */
	enum ike_sa_state state;
	ike_addr_t local, remote;
	bool natt;                  /* moved to the NAT-T port */
	bool nat_local, nat_remote; /* NAT detected in front of us / the peer */
	bool frag_ok;               /* RFC 7383: the peer announced it, and we did */

	struct ike_algs algs;
	struct ike_encr_info ei;
	size_t prf_len, integ_len, icv_len;
	uint8_t sk_d[IKE_MAX_PRF_LEN], sk_pi[IKE_MAX_PRF_LEN], sk_pr[IKE_MAX_PRF_LEN];
	uint8_t sk_ai[IKE_MAX_KEY_LEN], sk_ar[IKE_MAX_KEY_LEN];
	uint8_t sk_ei[IKE_MAX_KEY_LEN], sk_er[IKE_MAX_KEY_LEN];

	/* IKE_SA_INIT state, freed once authenticated. */
	struct ike_dh *dh;
	uint8_t *ni, *nr, *cookie; /* point into nego, NULL once established */
	size_t ni_len, nr_len;
	uint8_t *init_msg[2]; /* [0] request, [1] response: signed octets */
	size_t init_len[2];
	size_t cookie_len;
	struct ike_nego *nego;
	uint32_t child_spi; /* SPI offered in IKE_AUTH */
	uint16_t ke_group;  /* group used in KEi */
	unsigned ke_retries;

	/* Requests we send: window of one. */
	uint32_t msgid_out; /* next request message ID */
	enum ike_req_kind req_kind;
	struct ike_exch_ctx req_ctx;
	uint8_t *req_buf;
	size_t req_len;
	uint64_t rtx_at;
	unsigned rtx_count;
	uint64_t rtx_dropped_at; /* stats.rx_dropped_early when it was sent */
	uint8_t n_act;           /* queued actions */
	struct ike_action act[IKE_MAX_ACTIONS];

	/* Requests we answer. */
	uint32_t msgid_in; /* next request ID expected from the peer */
	uint8_t *resp_buf; /* last response, for retransmitted requests */
	size_t resp_len;
	bool resp_valid;

	/* RFC 7383: the reassembly of the peer's request [0] and of the
	 * response to ours [1], allocated only while a fragmented message is
	 * arriving (ikev2_frag.c). */
	struct ikev2_defrag *defrag[2];

	uint64_t created, last_rx, dpd_at, rekey_at, delete_at;
	uint64_t last_traffic; /* inbound ESP on a child, as the data plane says */
	uint64_t keepalive_at; /* next NAT keepalive, 0 = none due */
	uint64_t peer_id_hash; /* the peer's authenticated ID (ike_id_hash), 0 before */
	char *peer_id_txt;     /* the same as text for listings (malloc'd), NULL before */
	uint64_t up_at;        /* ms it became ESTABLISHED, for listings */
	struct ike_rekey_collision *collide; /* 2.8.2, while our IKE rekey is in flight */
	struct ike_child *children;
	struct ike_child_cfg *own_child; /* per-SA selectors (initiate_ex) */
	struct ike_sa *hnext;            /* hash chain by our SPI */
	struct ike_sa *pnext;            /* responder: chain by the peer's SPI */
	struct ike_sa *ipnext;           /* half-open only: chain by the peer's address */
	uint64_t deadline;               /* armed timer, UINT64_MAX = none */
	size_t heap_idx;                 /* position + 1 in the timer heap, 0 = absent */
	struct ike_sa *dirty_next;       /* timers to recompute at the end of a call */
	bool dirty;
	bool hashed, phashed;
	struct ike_sa *next;      /* list of all SAs */
	struct ike_sa **pprev;    /* the pointer to this one in that list */
	struct ike_sa *dead_next; /* list of SAs to free (ike_engine_reap) */
	bool dead_queued;
};

#define IKE_HASH_BUCKETS 4096u

/* Kinds of log lines that unauthenticated input causes, each limited on
 * its own (ike_log_unauth). */
enum ike_logk {
	IKE_LOGK_INIT_REFUSED, /* IKE_SA_INIT refused: no connection, proposal, KE */
	IKE_LOGK_MALFORMED,    /* datagrams or IKE_SA_INIT requests that do not parse */
	IKE_LOGK_INTEGRITY,    /* messages of an SA failing decryption */
	IKE_LOGK_N,
};
/* A token bucket in thousandths of a line: rate lines a second, as many
 * at once; what it refuses is counted for the summary line. */
struct ike_log_limit {
	uint64_t at;         /* ms of the last refill */
	uint32_t tokens;     /* 1000 per line */
	uint32_t suppressed; /* lines refused since the last summary */
	uint64_t since;      /* ms of the first of them */
	bool started;
	uint8_t lvl; /* the most severe suppressed line's level, for the summary */
};
/* true: the line may go out. rate 0: always. */
bool ike_limit_take(struct ike_log_limit *l, uint32_t rate, uint64_t now);
/* The suppressed count to report now (and reset), 0 when none is due:
 * some were suppressed and a token is there for the summary line. */
uint32_t ike_limit_summary(struct ike_log_limit *l, uint32_t rate, uint64_t now, uint64_t *since);
/* When a summary falls due, UINT64_MAX when none waits. */
uint64_t ike_limit_next(const struct ike_log_limit *l, uint32_t rate);

struct ike_engine {
	struct ike_engine_cfg cfg;
	struct ike_ops ops;
	void *ctx;
	struct ike_conn *conns, *conns_tail;
	struct ike_conn *conn_hash[IKE_HASH_BUCKETS];
	struct ike_conn *conn_addr[IKE_HASH_BUCKETS];
	struct ike_conn *conn_prefix;
	uint64_t conn_seq;
	struct ike_conn *restarts; /* connections with a restart waiting */
	struct ike_conn *retired;  /* removed, some SA still points at them */
	struct ike_sa *sas;
	struct ike_sa *dead; /* SAs that went IKE_S_DEAD since the last reap */
	struct ike_sa *hash[IKE_HASH_BUCKETS];
	struct ike_sa *phash[IKE_HASH_BUCKETS];
	struct ike_sa *iphash[IKE_HASH_BUCKETS]; /* half-open SAs by peer address */
	struct ike_sa **heap;                    /* min-heap of SAs by deadline */
	size_t heap_n, heap_cap;
	struct ike_sa *dirty;
	struct ike_creds *creds; /* ike_engine_set_creds; NULL: PSK only */
	struct ike_rev_ctx *rev; /* revocation checks, made on first use */
	uint8_t rxbuf[IKEV2_MAX_MSG];
	uint8_t txbuf[IKE_MSG_MAX + IKEV2_NON_ESP_MARKER];
	bool reap;
	struct ike_stats stats;
	uint64_t now;
	uint8_t cookie_secret[32];
	uint32_t half_open;
	uint32_t last_id; /* unique ids of IKE and CHILD SAs (ike_engine_command) */
	struct ike_log_limit log_limit[IKE_LOGK_N];
};

/* ike_sa.c, ike_engine.c, ike_control.c */
struct ike_sa *ike_sa_lookup(struct ike_engine *e, uint64_t spi);
void ike_sa_free(struct ike_sa *sa);
/* End of every entry point: re-arms timers of touched SAs, frees dead ones. */
void ike_engine_reap(struct ike_engine *e);
uint64_t ike_sa_our_spi(const struct ike_sa *sa);
void ike_sa_hash_add(struct ike_engine *e, struct ike_sa *sa);
void ike_sa_phash_add(struct ike_engine *e, struct ike_sa *sa);
struct ike_sa *ike_sa_find_half_open(struct ike_engine *e, uint64_t spi_i,
				     const ike_addr_t *remote);
struct ike_conn *ike_conn_find(struct ike_engine *e, const char *name);
/* Takes c out of e->conns and the name hash (ike_conn_remove.c). */
void ike_conn_unlink(struct ike_engine *e, struct ike_conn *c);
/* The connections on our address local that accept a peer at remote
 * (exactly or by prefix), in the order added: first the one after prev
 * (NULL: the first), NULL after the last. Only these are looked at, not
 * every connection. */
struct ike_conn *ike_conn_next_for(struct ike_engine *e, const ike_addr_t *local,
				   const ike_addr_t *remote, const struct ike_conn *prev);
/* The connection an IKE_SA_INIT from remote to local is for: the first
 * with that exact remote address, else the first whose prefix holds it. */
struct ike_conn *ike_conn_for(struct ike_engine *e, const ike_addr_t *local,
			      const ike_addr_t *remote);
/* ike_conn_index.c: c into and out of the address index. */
void ike_conn_index_add(struct ike_engine *e, struct ike_conn *c);
void ike_conn_index_del(struct ike_engine *e, struct ike_conn *c);
/* Whether another half-open SA from this address is allowed (2.6, DoS). */
bool ike_half_open_allowed(struct ike_engine *e, const ike_addr_t *remote);
/* The newest established IKE SA of c: what an operator's command on the
 * connection acts on (never a half-open one). */
struct ike_sa *ike_conn_sa(struct ike_engine *e, struct ike_conn *c);
/* The newest live IKE SA of c in any state, half-open included: for
 * initiate and acquire, which must not start a second one. */
struct ike_sa *ike_conn_sa_any(struct ike_engine *e, struct ike_conn *c);
uint32_t ike_next_id(struct ike_engine *e);
/* ike_proposal.c: the name of an IANA transform (IKEV2_TRANS_*) we never
 * accept ("modp1024", "sha1"), NULL when it has none. */
const char *ike_alg_unsupported_name(uint8_t type, uint16_t id);
/* ike_select.c: the SA an operator's selector names (ike.h struct ike_sel) */
bool ike_sel_empty(const struct ike_sel *sel);
struct ike_sa *ike_sel_sa(struct ike_engine *e, const struct ike_sel *sel);
struct ike_child *ike_sel_child(struct ike_sa *sa, const struct ike_sel *sel);
struct ike_sa *ike_sa_new(struct ike_engine *e, struct ike_conn *c, bool initiator);
void ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state st);
void ike_sa_free_nego(struct ike_sa *sa);            /* drops IKE_SA_INIT state */
void ike_sa_rehash(struct ike_sa *sa, uint64_t spi); /* sets our SPI */
int ike_sha1(const uint8_t *const data[], const size_t len[], unsigned n, uint8_t out[20]);
int ike_sha256(const uint8_t *const data[], const size_t len[], unsigned n, uint8_t out[32]);
/* Ends the SA: emits DOWN events, frees at the end of the call. */
void ike_sa_kill(struct ike_sa *sa, const char *reason); /* as IKE_END_FAILED */
void ike_sa_end(struct ike_sa *sa, enum ike_end why, const char *reason);
/* ike_restart.c: what the connection does after sa ended (was_up: it had
 * been established); restarts falling due; the next one's time. */
void ike_conn_sa_ended(struct ike_sa *sa, enum ike_end why, bool was_up);
void ike_conn_sa_up(struct ike_sa *sa);
void ike_restarts_run(struct ike_engine *e, uint64_t now);
/* Drops a waiting restart of c (an operator's delete); true if one was. */
bool ike_conn_restart_cancel(struct ike_engine *e, struct ike_conn *c);
uint64_t ike_restarts_next(const struct ike_engine *e);
/* ike_conn_remove.c: frees the removed connections no SA points at any
 * more (all: every one, when the engine goes). */
void ike_conns_free_retired(struct ike_engine *e, bool all);
uint32_t ike_spi_alloc(struct ike_engine *e);
uint64_t ike_jitter(uint64_t base_ms, uint64_t rand_ms);
void ike_sa_schedule(struct ike_sa *sa); /* arms rekey/dpd timers */
/* ike_queue.c: queue action k (for CHILD SA spi), merged with one queued
 * for the same thing; 0, or -ENOSPC with an ERR line (cannot happen within
 * IKE_MAX_CHILDREN). Runs nothing: ike_sa_run_pending() starts queued
 * actions while the window is free. */
int ike_sa_queue(struct ike_sa *sa, enum ike_act k, uint32_t spi);
void ike_sa_run_pending(struct ike_sa *sa);
/* A rekeyed IKE SA's queue goes to its successor. */
void ike_sa_queue_move(struct ike_sa *to, struct ike_sa *from);
/* ike_contact.c: INITIAL_CONTACT (2.4). Whether our IKE_AUTH request on sa
 * carries it: no other IKE SA with that peer address is alive. */
bool ike_sa_first_contact(const struct ike_sa *sa);
/* The peer of the just authenticated sa says it holds no other IKE SA with
 * us: the older IKE SAs with the same peer address and peer identity, in
 * any connection, are gone on its side, and go here too (with their CHILD
 * SAs, reported down), without a Delete. Returns how many. */
unsigned ike_sa_initial_contact(struct ike_sa *sa);
uint64_t ike_id_hash(const struct ike_id *id);
/* Records the peer's authenticated identity (hash and text). */
void ike_sa_set_peer_id(struct ike_sa *sa, const struct ike_id *id);
/* The peer of sa, on the NAT-T port, is now at to: the SA and its CHILD
 * SAs' outer addresses follow, with a CHILD_MOVED event for each. */
void ike_sa_peer_moved(struct ike_sa *sa, const ike_addr_t *to);
bool ike_sa_queued(const struct ike_sa *sa, enum ike_act k, uint32_t spi);

/* ike_timer.c: one heap entry per SA holding its earliest deadline, so a
 * tick touches only the SAs that are due. */
void ike_timer_touch(struct ike_sa *sa); /* recompute at end of call */
void ike_timer_flush(struct ike_engine *e);
void ike_timer_remove(struct ike_sa *sa);
struct ike_sa *ike_timer_pop_due(struct ike_engine *e, uint64_t now);
uint64_t ike_timer_next(const struct ike_engine *e);
uint64_t ike_sa_deadline(const struct ike_sa *sa);
void ike_timer_free(struct ike_engine *e);

/* ike_log.c */
void ike_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ike_sa_log(const struct ike_sa *sa, enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A line caused by unauthenticated input, rate-limited per kind
 * (ike_engine_cfg.log_rate); lvl is capped at IKE_LOG_WARN: anyone can
 * send what causes it. sa may be NULL. */
void ike_log_unauth(struct ike_engine *e, const struct ike_sa *sa, enum ike_logk k,
		    enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Summaries of suppressed lines that fell due (from the tick), and when
 * the next one will. */
void ike_log_limit_flush(struct ike_engine *e);
uint64_t ike_log_limit_next(const struct ike_engine *e);
void ike_emit(struct ike_engine *e, const struct ike_event *ev);
/* What every event about an IKE SA or its children carries, the rest zero. */
void ike_event_init(struct ike_event *ev, const struct ike_sa *sa, enum ike_event_type t,
		    const char *reason);
void ike_emit_sa(struct ike_sa *sa, enum ike_event_type t, const char *reason);
void ike_emit_child(struct ike_sa *sa, enum ike_event_type t, const struct ike_child *c,
		    const char *reason);
void ike_keylog_ike(struct ike_sa *sa);
void ike_keylog_child(struct ike_sa *sa, const struct ike_child *c);

/* ikev2_msg.c: framing, SK payload protection, sending, retransmission. */
struct ikev2_out {
	uint8_t buf[IKE_MSG_MAX]; /* 4 bytes for the non-ESP marker, then the message */
	struct ikev2_writer w;    /* inner payloads (plain for IKE_SA_INIT) */
	uint8_t exchange;
	bool response, encrypted;
	uint32_t msgid;
	size_t inner_off;
	const uint8_t *wire; /* after sealing: the IKE message */
	size_t wire_len;
};
/* sa NULL builds an unencrypted message (IKE_SA_INIT). */
void ikev2_out_init(struct ikev2_out *o, const struct ike_sa *sa, uint8_t exchange, bool response);
/* Writes the header, encrypts when needed; -EMSGSIZE if it did not fit. */
int ikev2_out_seal(struct ike_sa *sa, struct ikev2_out *o, uint64_t spi_i, uint64_t spi_r,
		   uint8_t flags);
/* Seals, sends and stores the message: as the outstanding request (with
 * retransmission) or as the cached response. */
int ikev2_send_request(struct ike_sa *sa, struct ikev2_out *o, enum ike_req_kind kind);
int ikev2_send_response(struct ike_sa *sa, struct ikev2_out *o, uint32_t msgid);
void ikev2_send_raw(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		    const uint8_t *buf, size_t len);
/* Decrypts the SK payload in place into a fresh chain; -EBADMSG when the ICV
 * fails. msg/len is the whole IKE message (without the non-ESP marker). */
int ikev2_decrypt(struct ike_sa *sa, uint8_t *msg, size_t len, const struct ikev2_hdr *h,
		  const struct ikev2_chain *outer, struct ikev2_chain *inner, uint8_t *bad_type);
void ikev2_retransmit(struct ike_sa *sa);
void ikev2_request_done(struct ike_sa *sa);
/* Sends a stored request or response: one message, or the fragments of
 * one back to back (each IKE header gives its length). */
void ikev2_send_stored(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		       const uint8_t *buf, size_t len);
/* Protects the encrypted (SK or SKF) payload of the message at msg whose
 * IV is at msg + iv_off, followed by inner octets of plaintext: pads, sets
 * the payload and message lengths, encrypts, appends the ICV. cap: room
 * from msg. The message's length in *wire_len. */
int ikev2_sk_seal(struct ike_sa *sa, uint8_t *msg, size_t iv_off, size_t inner, size_t cap,
		  size_t *wire_len);
/* Verifies and decrypts in place the len octets from iv (IV, ciphertext,
 * ICV) of the message at msg; the plaintext without padding in *pt and
 * *ptlen. -EBADMSG when the ICV fails. */
int ikev2_sk_open(struct ike_sa *sa, uint8_t *msg, bool from_i, uint8_t *iv, size_t len,
		  uint8_t **pt, size_t *ptlen);

/* ikev2_frag.c: IKE fragmentation (RFC 7383). */
/* Whether o, once sealed, goes out in fragments (debug line when it would
 * but the peer did not announce support). */
bool ikev2_frag_needed(const struct ike_sa *sa, const struct ikev2_out *o);
/* Seals o's inner payloads as Encrypted Fragment messages, stored back to
 * back in a new *dst (the old one freed) of *dlen octets. */
int ikev2_frag_seal(struct ike_sa *sa, const struct ikev2_out *o, uint8_t flags, uint8_t **dst,
		    size_t *dlen);
/* One fragment message: header h (its length is set), fragment num of
 * total carrying len octets of plaintext (first: the inner first payload
 * type, written in fragment 1 only). Its length, or -EMSGSIZE/-EIO. */
int ikev2_frag_build(struct ike_sa *sa, const struct ikev2_hdr *h, uint8_t first, uint16_t num,
		     uint16_t total, const uint8_t *pt, size_t len, uint8_t *out, size_t cap);
/* An authenticated fragment of the message h: 0 and the inner chain when it
 * completed the message (put together in the engine's rxbuf, which the
 * chain points into), IKEV2_FRAG_MORE when kept or ignored (a duplicate, a
 * stale Total Fragments), or an error. */
#define IKEV2_FRAG_MORE 1
int ikev2_frag_input(struct ike_sa *sa, uint8_t *msg, const struct ikev2_hdr *h,
		     const struct ikev2_pl *skf, struct ikev2_chain *inner, uint8_t *bad_type);
/* A fragment other than the first (or a malformed one): 2.6.1, it does not
 * make us send our cached response again. */
bool ikev2_frag_later(const struct ikev2_chain *outer);
void ikev2_frag_free(struct ike_sa *sa, unsigned slot); /* 0 requests, 1 responses */
void ikev2_frag_free_all(struct ike_sa *sa);
uint64_t ikev2_frag_deadline(const struct ike_sa *sa); /* 0 = none */
void ikev2_frag_expire(struct ike_sa *sa, uint64_t now);

/* ikev2_keys.c */
int ikev2_derive_ike_keys(struct ike_sa *sa, const uint8_t *shared, size_t slen,
			  const struct ike_sa *old);
int ikev2_child_keys(struct ike_sa *sa, struct ike_child *c, bool we_initiated,
		     const uint8_t *shared, size_t slen, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len);
void ikev2_natd_hash(uint64_t spi_i, uint64_t spi_r, const ike_addr_t *a, uint8_t out[20]);
void ike_sa_wipe_keys(struct ike_sa *sa);

/* ike/auth/auth_psk.c: the AUTH value of the initiator (for_initiator) or
 * the responder over its ID payload body; *outlen is the PRF's length. */
int ikev2_psk_auth(const struct ike_sa *sa, bool for_initiator, const uint8_t *id_body,
		   size_t id_len, uint8_t *out, size_t *outlen);

/* The engine's revocation context, started on first use; NULL if it
 * cannot be. */
struct ike_rev_ctx *ike_engine_rev(struct ike_engine *e);
/* An identity for log lines, a DN as text ("C=CH, O=..., CN=..."). */
const char *ike_id_text(const struct ike_id *id, char *buf, size_t len);
/* ike/auth/auth_sig.c: certificates and signatures in the exchanges. The
 * octets an AUTH covers (for the initiator's or the responder's), fresh
 * memory the caller frees. */
int ikev2_signed_octets(const struct ike_sa *sa, bool for_initiator, const uint8_t *id_body,
			size_t id_len, uint8_t **out, size_t *olen);
/* IKE_SA_INIT: N(SIGNATURE_HASH_ALGORITHMS) when the engine has
 * credentials, and in a response our CERTREQ. */
void ikev2_cert_init_write(const struct ike_sa *sa, struct ikev2_writer *w, bool response);
void ikev2_certreq_write(const struct ike_sa *sa, struct ikev2_writer *w);
/* The peer's hash algorithms and CERTREQ hashes, kept in sa->nego. */
void ikev2_cert_peer_read(struct ike_sa *sa, const struct ikev2_chain *c);
/* Our certificate for this peer (by its CERTREQ), its CERT payloads, and
 * the signature AUTH payload over our ID payload body. */
const struct ike_cred *ikev2_cred_choose(const struct ike_sa *sa);
void ikev2_cert_write(struct ikev2_writer *w, const struct ike_cred *cr);
int ikev2_sig_auth_write(const struct ike_sa *sa, bool initiator, const struct ike_cred *cr,
			 const uint8_t *id_body, size_t id_len, struct ikev2_writer *w);
/* The peer's certificate chain, identity and signature: 0, or -EACCES with
 * a line for the operator in why. */
int ikev2_sig_auth_verify(struct ike_sa *sa, bool peer_is_initiator, const struct ikev2_chain *c,
			  const struct ike_id *id, const uint8_t *id_body, size_t id_len,
			  const struct ikev2_auth *au, char *why, size_t wlen);

/* ike_proposal.c: text forms. Appends sep then s at buf[off] (buf[len] stays
 * NUL-terminated, the tail is cut); the new offset, len or more once full. */
size_t ike_str_cat(char *buf, size_t len, size_t off, const char *sep, const char *s);

/* ikev2_proposal.c: SA payload <-> configured proposals. */
unsigned ikev2_props_from_cfg(const struct ike_proposal *cfg, unsigned n, uint8_t proto,
			      const uint8_t *spi, uint8_t spi_size, bool with_dh,
			      struct ikev2_prop *out);
/* Picks the first of our proposals the peer also offers; returns the peer's
 * proposal index or -1. with_dh false ignores DH transforms (IKE_AUTH). */
int ikev2_props_select(const struct ike_proposal *ours, unsigned n_ours,
		       const struct ikev2_prop *theirs, unsigned n_theirs, uint8_t proto,
		       bool with_dh, struct ike_algs *out);
/* Checks the responder's single proposal is one we offered. */
int ikev2_props_accept(const struct ike_proposal *ours, unsigned n_ours,
		       const struct ikev2_prop *reply, uint8_t proto, bool with_dh,
		       struct ike_algs *out);
void ikev2_prop_from_algs(const struct ike_algs *a, uint8_t num, uint8_t proto, const uint8_t *spi,
			  uint8_t spi_size, struct ikev2_prop *out);
const char *ikev2_props_str(const struct ikev2_prop *p, unsigned n, char *buf, size_t len);
const char *ike_cfg_props_str(const struct ike_proposal *p, unsigned n, char *buf, size_t len);

/* ikev2_ts.c */
/* Narrows the peer's proposed selectors to ours (2.9). Returns count, 0 = none. */
unsigned ikev2_ts_narrow(const struct ike_ts *ours, unsigned n_ours, const struct ike_ts *theirs,
			 unsigned n_theirs, struct ike_ts *out);
const char *ikev2_ts_list_str(const struct ike_ts *ts, unsigned n, char *buf, size_t len);

/* Exchange handlers. */
int ikev2_sa_init_start(struct ike_sa *sa);
void ikev2_sa_init_request(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
			   const uint8_t *msg, size_t len, const struct ikev2_hdr *h,
			   const struct ikev2_chain *c);
/* Answers an IKE_SA_INIT request carrying an unknown critical payload. */
void ikev2_sa_init_unsupported(struct ike_engine *e, const ike_addr_t *local,
			       const ike_addr_t *remote, const struct ikev2_hdr *h, uint8_t type);
void ikev2_sa_init_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
			    const struct ikev2_hdr *h, const struct ikev2_chain *c);
void ikev2_auth_request(struct ike_sa *sa, const struct ikev2_chain *c);
/* The initiator's check of the responder's AUTH, made once per response:
 * ikev2_auth_response_waits() says whether it waits for a revocation
 * answer (the request then stays outstanding and is retransmitted) and
 * otherwise leaves the verdict for ikev2_auth_response(). */
struct ikev2_auth_verdict {
	bool checked;
	int r; /* 0 or why the responder is refused */
	char why[512];
};
bool ikev2_auth_response_waits(struct ike_sa *sa, const struct ikev2_chain *c,
			       struct ikev2_auth_verdict *v);
void ikev2_auth_response(struct ike_sa *sa, const struct ikev2_chain *c,
			 const struct ikev2_auth_verdict *v);
int ikev2_auth_start(struct ike_sa *sa);
void ikev2_create_child_request(struct ike_sa *sa, const struct ikev2_chain *c);
void ikev2_create_child_response(struct ike_sa *sa, enum ike_req_kind kind,
				 struct ike_exch_ctx *ctx, const struct ikev2_chain *c);
int ikev2_rekey_child_start(struct ike_sa *sa, uint32_t spi_in);
int ikev2_create_child_start(struct ike_sa *sa, const struct ike_child_cfg *cfg);
int ikev2_new_nonce(uint8_t *n, size_t *len);
/* ikev2_ike_rekey.c: the IKE SA rekey, both roles, and its collision (2.8.2). */
int ikev2_rekey_ike_start(struct ike_sa *sa);
/* Answers the peer's rekey request into o and sends it. */
void ikev2_ike_rekey_respond(struct ike_sa *sa, const struct ikev2_chain *c, struct ikev2_out *o);
/* Our rekey's answer: 0, or -EBADMSG when it was malformed. */
int ikev2_ike_rekey_done(struct ike_sa *sa, struct ike_exch_ctx *x, const struct ikev2_chain *c);
/* Ours failed, was refused, or the peer deleted the old SA while the
 * peer's crossing rekey waited: that one takes over; false if none. */
bool ikev2_ike_rekey_adopt(struct ike_sa *sa);
/* sa is ending: the peer's crossing rekey waiting on it goes too. */
void ikev2_ike_rekey_drop(struct ike_sa *sa);
void ikev2_info_request(struct ike_sa *sa, const struct ikev2_chain *c);
void ikev2_info_response(struct ike_sa *sa, enum ike_req_kind kind, struct ike_exch_ctx *ctx,
			 const struct ikev2_chain *c);
int ikev2_delete_child_start(struct ike_sa *sa, uint32_t spi_in);
int ikev2_delete_ike_start(struct ike_sa *sa);
int ikev2_dpd_start(struct ike_sa *sa);

/* Child SA helpers (ikev2_child.c). */
struct ike_child *ike_child_find_in(struct ike_sa *sa, uint32_t spi_in);
struct ike_child *ike_child_find_out(struct ike_sa *sa, uint32_t spi_out);
void ike_child_remove(struct ike_sa *sa, struct ike_child *c, const char *reason, bool emit);
/* Inputs for creating a CHILD SA from IKE_AUTH or CREATE_CHILD_SA. */
struct ikev2_child_req {
	const struct ikev2_chain *c; /* decrypted payloads */
	const char *exch;            /* for log lines */
	const uint8_t *ni, *nr;      /* nonces for KEYMAT */
	size_t ni_len, nr_len;
	const struct ike_child_cfg *cfg; /* fixed for rekeys, else NULL */
	bool pfs_allowed;                /* CREATE_CHILD_SA: DH transforms count */
	bool write_nonce;                /* responder: Nr goes after SA */
	struct ike_dh *dh;               /* initiator: our KEi key pair */
};
void ikev2_child_req_init(struct ikev2_child_req *rq, const struct ikev2_chain *c, const char *exch,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len);
/* Responder: selects proposal and selectors, writes [N(USE_TRANSPORT_MODE)]
 * SA [Nr KEr] TSi TSr into w, creates the child. Returns 0 or the error
 * notify type to send instead (written by the caller). */
int ikev2_child_respond(struct ike_sa *sa, const struct ikev2_child_req *rq, struct ikev2_writer *w,
			struct ike_child **out);
/* Initiator: checks the responder's choice and creates the child. */
int ikev2_child_complete(struct ike_sa *sa, const struct ikev2_child_req *rq, uint32_t our_spi,
			 struct ike_child **out);
/* Writes [N(USE_TRANSPORT_MODE)] SA [Ni KEi] TSi TSr for a child we propose. */
void ikev2_child_write_offer(struct ike_sa *sa, struct ikev2_writer *w,
			     const struct ike_child_cfg *cfg, uint32_t spi, bool pfs,
			     const uint8_t *nonce, size_t nonce_len, struct ike_dh *dh);
void ike_child_schedule(struct ike_sa *sa, struct ike_child *c);

/* Notify helpers. */
const struct ikev2_pl *ikev2_find_notify(const struct ikev2_chain *c, uint16_t type,
					 struct ikev2_ntf *out);
/* First error notify (type < 16384) in the chain, 0 if none. */
uint16_t ikev2_error_notify(const struct ikev2_chain *c);

#endif
