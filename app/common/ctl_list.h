/* SPDX-License-Identifier: BSD-3-Clause */
/* list-sas and summary on the control socket: SAs in pages, filtered, each
 * page built within a bounded count and time so that the event loop that
 * serves the socket (IKE, and on the gateway the fast path's control core)
 * never waits long; the client asks for the next page with the cursor the
 * last one returned. See docs/operations.md. */
#ifndef APP_CTL_LIST_H
#define APP_CTL_LIST_H

#include <jansson.h>
#include <stdint.h>

#include "ike/ike.h"
#include "app/common/metrics_ike.h"

#define APP_LIST_PAGE_DEFAULT 1000u        /* SAs a page holds without "limit" */
#define APP_LIST_PAGE_MAX     5000u        /* the most "limit" may ask for */
#define APP_LIST_SCAN_MAX     8192u        /* SAs examined per page (filters) */
#define APP_LIST_BUDGET_US    500u         /* building one page, then it ends early */
#define APP_LIST_PAGE_BYTES   (192u << 10) /* a page's JSON text, about */

/* {"cmd":"list-sas"[,"conn","peer","peer_id","state","limit","cursor"]}
 * -> {"ok":true,"sas":[...][,"next":"CURSOR"]}: "next" while more may
 * follow. The reply's text (malloc'd; NULL: out of memory), written as
 * the page is built. */
char *app_ctl_list_sas(struct ike_engine *e, json_t *req, uint64_t now_ms);
/* {"cmd":"summary"} -> {"ok":true,"total":N,"conns":{"NAME":{"STATE":n}}} */
json_t *app_ctl_summary(struct ike_engine *e);

/* A data plane's counters of each CHILD SA in listings (the gateway's
 * fast path), NULL: none. One per process. */
void app_ctl_list_set_counters(app_metrics_child_fn fn, void *arg);

/* Cursor text "ID-SPI" <-> struct ike_sa_cursor; parse: 0 or -1. */
void app_ctl_cursor_str(const struct ike_sa_cursor *c, char *buf, size_t len);
int app_ctl_cursor_parse(const char *s, struct ike_sa_cursor *c);

#endif
