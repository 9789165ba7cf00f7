/* SPDX-License-Identifier: BSD-3-Clause */
/* The optional Prometheus endpoint ("metrics.listen"): HTTP through
 * libmicrohttpd, driven by the program's own event loop (no thread: the
 * counters it reads belong to that loop). GET /metrics asks the program's
 * fill callback for the text; anything else is 404. */
#ifndef APP_METRICS_H
#define APP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "app/common/prom.h"

struct app_metrics;
typedef void (*app_metrics_fill_fn)(void *arg, struct app_prom *p);

/* listen: "ADDR:PORT" or "[IPv6]:PORT" (port 0: any, see app_metrics_port).
 * NULL with one line in err. */
struct app_metrics *app_metrics_open(const char *listen, app_metrics_fill_fn fill, void *arg,
				     char *err, size_t errlen);
void app_metrics_close(struct app_metrics *m);
/* Readable when app_metrics_serve() has work (an epoll descriptor). */
int app_metrics_fd(const struct app_metrics *m);
/* Accepts, reads and answers what is ready; never blocks. */
void app_metrics_serve(struct app_metrics *m);
uint16_t app_metrics_port(const struct app_metrics *m);
/* "ADDR:PORT" form check, for the configuration: 0, or -1 with err set. */
int app_metrics_parse_listen(const char *listen, char *err, size_t errlen);

#endif
