/* SPDX-License-Identifier: BSD-3-Clause */
/* Control socket of the IKE daemon: a unix stream socket where a client
 * sends one JSON object ended by a newline and receives one JSON object and
 * a newline, then the server closes. Requests:
 *   {"cmd":"initiate","conn":"NAME"}   -> {"ok":true}
 *   {"cmd":"rekey-child"|"rekey-ike"|"delete-child"|"delete-ike"|"terminate"|"dpd",
 *    "conn":"NAME", "id":N, "peer":"ADDR", "peer_id":"ID", "spi":"HEX"}
 *                                        (at least one; ctl_select.h)
 *                                        -> {"ok":true,"id":N}
 *   {"cmd":"acquire","conn":"NAME"[,"child":"NAME"]} -> {"ok":true}
 *                                        (as a trap policy's first packet)
 *   {"cmd":"list-sas"[,"conn","peer","peer_id","state","limit","cursor"]}
 *                                        -> {"ok":true,"sas":[...][,"next":"C"]}
 *                                        (one page: ctl_list.h)
 *   {"cmd":"summary"}                   -> {"ok":true,"total":N,"conns":{...}}
 *   {"cmd":"stats"}                     -> {"ok":true,"stats":{...}}
 *   {"cmd":"reload-creds"}              -> {"ok":true,"loaded":"..."}
 *                                        (certificates, CRLs, responders
 *                                        read again: app_config_reload_creds)
 *   {"cmd":"reload"}                    -> {"ok":true,"loaded":"..."}
 *                                        (the whole file: app_config_reload)
 * and on any error {"ok":false,"error":"..."}. See docs/operations.md. */
#ifndef APP_CTLSOCK_H
#define APP_CTLSOCK_H

#include <stddef.h>
#include <stdint.h>
#include "ike/ike.h"
#include "app/common/config.h"

#define APP_CTLSOCK_MAX_REQUEST 65536 /* bytes, newline included */

struct app_ctlsock;

/* Creates the socket at path (a stale one is unlinked first), mode 0600,
 * listening. cfg (may be NULL) is used to tell unknown connection names from
 * connections without an SA in error texts, is what reload-creds updates
 * (cfg->creds and the connections' credentials) and must outlive the
 * control.
 * NULL with err set on failure. */
struct app_ctlsock *app_ctlsock_open(const char *path, struct ike_engine *e, struct app_config *cfg,
				     char *err, size_t errlen);
/* Closes and unlinks the socket. */
void app_ctlsock_close(struct app_ctlsock *c);
int app_ctlsock_fd(const struct app_ctlsock *c);
/* What an event loop polls: the listening fd, or -1 (poll() skips it)
 * while the socket rests after a costly request (seven times what it
 * took, at most 100 ms); then *wake_ms (may be NULL) is lowered to when
 * to poll it again (app_mono_ms()'s clock). */
int app_ctlsock_poll_fd(const struct app_ctlsock *c, uint64_t *wake_ms);
/* How long one client may take to send its request (and, per call, to
 * take the reply) before it is answered with a time-out error: 2 s by
 * default; the DPDK gateway's control core, which also serves the
 * workers, allows 100 ms. */
void app_ctlsock_set_budget(struct app_ctlsock *c, unsigned ms);

/* Accepts one pending client (listening fd readable) and serves it
 * synchronously: at most about 2 s even for a stuck client. */
void app_ctlsock_serve(struct app_ctlsock *c, uint64_t now_ms);

/* Sends all len bytes on a stream socket (no SIGPIPE, EINTR retried), for
 * both ends of the control socket: 0, or -1 with errno set. */
int app_ctlsock_send_all(int fd, const char *p, size_t len);

/* What "reload" runs instead of app_config_reload() without ops (the
 * DPDK gateway's, with its fast-path checks and trap policies): 0 with a
 * summary in msg, or -1 with the reason. One per process. */
typedef int (*app_ctlsock_reload_fn)(void *arg, char *msg, size_t len);
void app_ctlsock_set_reload(app_ctlsock_reload_fn fn, void *arg);

/* Commands a program adds (the DPDK gateway's routes and neighbours):
 * fn's reply to command cmd of request req, or NULL when cmd is not one
 * of its. One per process. */
struct json_t;
typedef struct json_t *(*app_ctlsock_ext_fn)(void *arg, const char *cmd, struct json_t *req);
void app_ctlsock_set_ext(app_ctlsock_ext_fn fn, void *arg);

/* Handles one request text (without the newline) and returns the reply
 * JSON text without newline, malloc'd (NULL only when out of memory).
 * Never fails on bad input: errors become {"ok":false,"error":...}. */
char *app_ctlsock_handle(struct ike_engine *e, struct app_config *cfg, const char *req, size_t len,
			 uint64_t now_ms);

#endif
