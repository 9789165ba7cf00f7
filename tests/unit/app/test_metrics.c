/* SPDX-License-Identifier: BSD-3-Clause */
/* app/common/prom.c (the text format) and app/common/metrics.c (the HTTP
 * endpoint, driven here as the programs drive it: poll its descriptor,
 * serve). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/common/metrics.h"
#include "app/common/prom.h"
#include "tests/unit/test.h"

static void test_prom_text(void)
{
	struct app_prom p = { 0 };
	const char *l[] = { "conn", "a\"b\\c\nd", "child", "net", NULL };

	app_prom_family(&p, "x_total", APP_PROM_COUNTER, "help with \\ and\nnewline");
	app_prom_sample(&p, "x_total", l, 42);
	app_prom_sample(&p, "x_total", NULL, 18446744073709551615ull);
	app_prom_one(&p, "y", APP_PROM_GAUGE, "a gauge", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.buf);
	CU_ASSERT_STRING_EQUAL(p.buf, "# HELP x_total help with \\\\ and\\nnewline\n"
				      "# TYPE x_total counter\n"
				      "x_total{conn=\"a\\\"b\\\\c\\nd\",child=\"net\"} 42\n"
				      "x_total 18446744073709551615\n"
				      "# HELP y a gauge\n"
				      "# TYPE y gauge\n"
				      "y 0\n");
	CU_ASSERT_FALSE(p.failed);
	app_prom_free(&p);
}

static void fill(void *arg, struct app_prom *p)
{
	(*(int *)arg)++;
	app_prom_one(p, "test_scrapes_total", APP_PROM_COUNTER, "scrapes", 7);
}

/* One request on a fresh connection, served by polling the endpoint's
 * descriptor; the whole answer, NUL-terminated. */
static void request(struct app_metrics *m, const char *req, char *out, size_t cap)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(app_metrics_port(m)) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t len = 0;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (int i = 0; i < 200 && len + 1 < cap; i++) {
		struct pollfd p[2] = { { .fd = app_metrics_fd(m), .events = POLLIN },
				       { .fd = fd, .events = POLLIN } };
		ssize_t n;

		poll(p, 2, 20);
		app_metrics_serve(m);
		if (!(p[1].revents & POLLIN))
			continue;
		if ((n = read(fd, out + len, cap - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = 0;
	close(fd);
}

static void test_endpoint(void)
{
	char err[200], out[4096];
	int scrapes = 0;
	struct app_metrics *m = app_metrics_open("127.0.0.1:0", fill, &scrapes, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(app_metrics_port(m) > 0);
	request(m, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof(out));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " 200 OK\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\r\n\r\n# HELP test_scrapes_total scrapes\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "test_scrapes_total 7\n"));
	CU_ASSERT_EQUAL(scrapes, 1);
	request(m, "GET / HTTP/1.0\r\n\r\n", out, sizeof(out));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " 404 "));
	request(m, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", out, sizeof(out));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " 404 "));
	CU_ASSERT_EQUAL(scrapes, 1);
	app_metrics_close(m);
}

static void test_listen_forms(void)
{
	char err[200];

	CU_ASSERT_EQUAL(app_metrics_parse_listen("127.0.0.1:9460", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(app_metrics_parse_listen("[::1]:9460", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(app_metrics_parse_listen("[2001:db8::1]:0", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(app_metrics_parse_listen("127.0.0.1", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not ADDRESS:PORT"));
	CU_ASSERT_EQUAL(app_metrics_parse_listen("127.0.0.1:65536", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(app_metrics_parse_listen("::1:9460", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(app_metrics_parse_listen("localhost:9460", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(app_metrics_parse_listen("127.0.0.1:", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(app_metrics_parse_listen("[::1:9460", err, sizeof(err)), -1);
}

static const struct test_case cases[] = {
	{ "text format: families, labels, escaping", test_prom_text },
	{ "endpoint: GET /metrics, 404 otherwise", test_endpoint },
	{ "listen address forms", test_listen_forms },
	{ NULL, NULL },
};
TEST_SUITE(metrics, cases)
