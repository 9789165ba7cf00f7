/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus endpoint on libmicrohttpd in its external-epoll mode: one
 * descriptor in the program's poll set, MHD_run() when it is readable. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/metrics.h"

struct app_metrics {
	struct MHD_Daemon *d;
	app_metrics_fill_fn fill;
	void *arg;
};

union sa_any {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

static int parse(const char *listen, union sa_any *a, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	const char *h = listen, *he = colon;
	char *end;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;

	memset(a, 0, sizeof(*a));
	if (!colon || !colon[1] || *end || port > 65535)
		goto bad;
	if (*h == '[') {
		h++;
		if (he <= h || he[-1] != ']')
			goto bad;
		he--;
	}
	if ((size_t)(he - h) >= sizeof(host) || (h == listen && memchr(h, ':', (size_t)(he - h))))
		goto bad; /* an IPv6 address needs its brackets */
	snprintf(host, sizeof(host), "%.*s", (int)(he - h), h);
	if (inet_pton(AF_INET, host, &a->in4.sin_addr) == 1) {
		a->in4.sin_family = AF_INET;
		a->in4.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		return 0;
	}
bad:
	snprintf(err, errlen, "'%s' is not ADDRESS:PORT (\"127.0.0.1:9460\", \"[::1]:9460\")",
		 listen);
	return -1;
}

int app_metrics_parse_listen(const char *listen, char *err, size_t errlen)
{
	union sa_any a;

	return parse(listen, &a, err, errlen);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode, const char *ctype)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	static char not_found[] = "only GET /metrics here\n";
	struct app_metrics *m = cls;
	struct app_prom p = { 0 };

	(void)version;
	(void)upload;
	(void)state;
	if (*upload_len)
		return MHD_NO; /* no body is expected: drop the connection */
	if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1,
			     MHD_RESPMEM_PERSISTENT, "text/plain");
	m->fill(m->arg, &p);
	if (p.failed || !p.buf) {
		app_prom_free(&p);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, not_found, 0,
			     MHD_RESPMEM_PERSISTENT, "text/plain");
	}
	/* the buffer goes to MHD, which frees it with free() */
	return reply(c, MHD_HTTP_OK, p.buf, p.len, MHD_RESPMEM_MUST_FREE,
		     "text/plain; version=0.0.4; charset=utf-8");
}

struct app_metrics *app_metrics_open(const char *listen, app_metrics_fill_fn fill, void *arg,
				     char *err, size_t errlen)
{
	struct app_metrics *m = calloc(1, sizeof(*m));
	union sa_any a;

	if (!m || parse(listen, &a, err, errlen) < 0) {
		free(m);
		return NULL;
	}
	m->fill = fill;
	m->arg = arg;
	m->d = MHD_start_daemon(MHD_USE_EPOLL | (a.sa.sa_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0,
				NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, &a.sa,
				MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 5u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
	if (!m->d) {
		snprintf(err, errlen, "metrics: cannot listen on %s (address in use or not ours)",
			 listen);
		free(m);
		return NULL;
	}
	return m;
}

void app_metrics_close(struct app_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}

int app_metrics_fd(const struct app_metrics *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

void app_metrics_serve(struct app_metrics *m)
{
	MHD_run(m->d);
}

uint16_t app_metrics_port(const struct app_metrics *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}
