/* SPDX-License-Identifier: BSD-3-Clause */
/* ipsecgw-ike: the IKEv2 daemon. Binds the engine in ike/ to kernel UDP
 * sockets, a monotonic clock, a log on stderr, an optional key log and the
 * control socket. Single-threaded: one ppoll() loop. See docs/operations.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike.h"
#include "app/common/config.h"
#include "app/common/ctl_socket.h"
#include "app/common/log.h"
#include "app/common/notify.h"
#include "app/common/version.h"
#include "app/common/metrics.h"
#include "app/common/metrics_ike.h"
#include "app/common/reload.h"
#include "app/ike_daemon/udp_io.h"

#define SHUTDOWN_GRACE_MS 1000 /* time given to outgoing deletes on exit */
#define RX_BURST          64   /* datagrams read per socket per wakeup */

struct daemon {
	struct app_config *cfg;
	struct ike_engine *engine;
	struct udp_io *io;
	struct app_ctlsock *ctl;
	struct app_metrics *metrics; /* "metrics.listen", NULL = off */
	FILE *keylog;
	uint8_t rx[UDP_IO_MAX_DGRAM];
};

static volatile sig_atomic_t got_signal, got_hup;

/* ---- engine callbacks ---- */

static void op_send(void *ctx, const ike_addr_t *local, const ike_addr_t *remote,
		    const uint8_t *buf, size_t len)
{
	struct daemon *d = ctx;
	char ls[80], rs[80];
	int rc = d->io ? udp_io_send(d->io, local, remote, buf, len) : -ENOTCONN;

	if (rc < 0)
		app_log(IKE_LOG_WARN, "send %zu bytes %s -> %s failed: %s", len,
			ike_addr_str(local, ls, sizeof(ls)), ike_addr_str(remote, rs, sizeof(rs)),
			strerror(-rc));
	else if (app_log_get_level() >= IKE_LOG_DEBUG)
		app_log(IKE_LOG_DEBUG, "tx %zu bytes %s -> %s", len,
			ike_addr_str(local, ls, sizeof(ls)), ike_addr_str(remote, rs, sizeof(rs)));
}

static void op_event(void *ctx, const struct ike_event *ev)
{
	char line[APP_LOG_LINE_MAX];

	(void)ctx;
	app_log(IKE_LOG_INFO, "%s", app_log_event_str(ev, line, sizeof(line)));
}

static void op_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)ctx;
	app_log(lvl, "%s", line);
}

static void op_keylog(void *ctx, const char *line)
{
	app_keylog_write(((struct daemon *)ctx)->keylog, line);
}

static const struct ike_ops daemon_ops = {
	.send = op_send,
	.event = op_event,
	.log = op_log,
	.keylog = op_keylog,
	.spi_alloc = NULL,
};

/* ---- setup ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: ipsecgw-ike -c CONFIG.json [--check]\n"
		   "  -c, --config FILE  configuration (JSON, see docs/config.md)\n"
		   "      --check        validate the configuration and exit\n"
		   "      --version      print the version and exit\n"
		   "  -h, --help         this text\n");
}

static int add_conns(struct daemon *d)
{
	for (unsigned i = 0; i < d->cfg->n_conns; i++) {
		const struct ike_conn_cfg *c = &d->cfg->conns[i];
		int rc = ike_engine_add_conn(d->engine, c);

		if (rc < 0) {
			app_log(IKE_LOG_ERR, "cannot add connection '%s': %s", c->name,
				strerror(-rc));
			return -1;
		}
	}
	return 0;
}

static int open_sockets(struct daemon *d)
{
	const struct app_config *cfg = d->cfg;
	uint16_t ports[2] = { cfg->ike_port, cfg->natt_port };
	char err[256], name[80];

	d->io = udp_io_open(cfg->listen, cfg->n_listen, ports, 2, err, sizeof(err));
	if (!d->io) {
		app_log(IKE_LOG_ERR, "%s", err);
		return -1;
	}
	for (unsigned i = 0; i < udp_io_count(d->io); i++)
		app_log(IKE_LOG_INFO, "listening on %s", udp_io_name(d->io, i, name, sizeof(name)));
	return 0;
}

static int open_control(struct daemon *d)
{
	char err[512];

	if (!d->cfg->control_socket[0])
		return 0;
	d->ctl = app_ctlsock_open(d->cfg->control_socket, d->engine, d->cfg, err, sizeof(err));
	if (!d->ctl) {
		app_log(IKE_LOG_ERR, "%s", err);
		return -1;
	}
	app_log(IKE_LOG_INFO, "control socket %s", d->cfg->control_socket);
	return 0;
}

static void initiate_conns(struct daemon *d)
{
	for (unsigned i = 0; i < d->cfg->n_conns; i++) {
		const struct ike_conn_cfg *c = &d->cfg->conns[i];
		int rc;

		if (!c->initiate)
			continue;
		rc = ike_engine_initiate(d->engine, c->name, app_mono_ms());
		if (rc < 0)
			app_log(IKE_LOG_WARN, "cannot initiate '%s': %s", c->name, strerror(-rc));
	}
}

static const char *signame(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal";
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_signal = sig;
}

/* SIGHUP: the configuration file again (app/common/reload.h), as the
 * control socket's reload. */
static void reload(struct daemon *d)
{
	char msg[800];

	app_reload_begin();
	if (app_config_reload(d->cfg, d->engine, false, NULL, NULL, app_mono_ms(), msg,
			      sizeof(msg)) < 0)
		app_log(IKE_LOG_WARN, "SIGHUP: reload refused: %s", msg);
	else
		app_log(IKE_LOG_INFO, "SIGHUP: reload: %s", msg);
	app_reload_end();
}

/* SIGTERM/SIGINT/SIGHUP are blocked except inside ppoll(), which gets
 * *wait_mask. */
static void setup_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGHUP);
}

/* ---- event loop ---- */

/* SAs whose Delete is still going out or waiting for its answer: the
 * shutdown grace waits for these, not for a rekeyed SA's leftovers. */
static void count_sa(void *arg, const struct ike_sa_summary *s)
{
	if (strcmp(s->state, "ESTABLISHED") == 0 || strcmp(s->state, "DELETING") == 0)
		(*(unsigned *)arg)++;
}

static unsigned sa_count(struct daemon *d)
{
	unsigned n = 0;

	ike_engine_foreach_sa(d->engine, count_sa, &n);
	return n;
}

/* Every IKE SA, not one per connection: a responder connection for a
 * prefix of peers holds one per peer. */
static void delete_all(struct daemon *d)
{
	unsigned n = ike_engine_delete_all(d->engine, app_mono_ms());

	app_log(IKE_LOG_INFO, "deleting %u IKE SA%s", n, n == 1 ? "" : "s");
}

static void drain_socket(struct daemon *d, unsigned idx)
{
	ike_addr_t local, remote;
	char ls[80], rs[80];

	for (int i = 0; i < RX_BURST; i++) {
		int n = udp_io_recv(d->io, idx, &local, &remote, d->rx, sizeof(d->rx));

		if (n == -EAGAIN)
			return;
		if (n < 0) {
			app_log(IKE_LOG_DEBUG, "receive on %s: %s",
				udp_io_name(d->io, idx, ls, sizeof(ls)), strerror(-n));
			if (n == -EMSGSIZE)
				continue;
			return;
		}
		if (app_log_get_level() >= IKE_LOG_DEBUG)
			app_log(IKE_LOG_DEBUG, "rx %d bytes %s -> %s", n,
				ike_addr_str(&remote, rs, sizeof(rs)),
				ike_addr_str(&local, ls, sizeof(ls)));
		ike_engine_input(d->engine, &local, &remote, d->rx, (size_t)n, app_mono_ms());
	}
}

/* ppoll() timeout until the next engine timer or deadline (shutdown, watchdog). */
static struct timespec *loop_timeout(struct daemon *d, uint64_t now, uint64_t deadline,
				     struct timespec *ts)
{
	uint64_t next = ike_engine_next_timer(d->engine), wait;

	if (deadline < next)
		next = deadline;
	if (next == UINT64_MAX)
		return NULL;
	wait = next > now ? next - now : 1; /* 1 ms: never spin on a stale timer */
	ts->tv_sec = (time_t)(wait / 1000);
	ts->tv_nsec = (long)(wait % 1000) * 1000000L;
	return ts;
}

static void run_loop(struct daemon *d, const sigset_t *wait_mask)
{
	struct pollfd pfd[UDP_IO_MAX_SOCKS + 2];
	unsigned n_udp = udp_io_count(d->io), n_fds = n_udp;
	uint64_t deadline = UINT64_MAX;
	bool stopping = false;

	for (unsigned i = 0; i < n_udp; i++)
		pfd[i] = (struct pollfd){ .fd = udp_io_fd(d->io, i), .events = POLLIN };
	if (d->ctl)
		pfd[n_fds++] = (struct pollfd){ .fd = app_ctlsock_fd(d->ctl), .events = POLLIN };
	if (d->metrics)
		pfd[n_fds++] = (struct pollfd){ .fd = app_metrics_fd(d->metrics),
						.events = POLLIN };

	for (;;) {
		struct timespec ts, *tsp;
		uint64_t now = app_mono_ms(), wd;
		int sig = got_signal;

		if (sig) {
			got_signal = 0;
			if (stopping) {
				app_log(IKE_LOG_INFO, "%s again: exiting now", signame(sig));
				return;
			}
			app_log(IKE_LOG_INFO, "%s: deleting SAs and exiting", signame(sig));
			app_notify_stopping();
			stopping = true;
			deadline = now + SHUTDOWN_GRACE_MS;
			delete_all(d);
		}
		if (got_hup && !stopping) {
			got_hup = 0;
			reload(d);
		}
		if (stopping && (now >= deadline || sa_count(d) == 0))
			return;
		if (ike_engine_next_timer(d->engine) <= now)
			ike_engine_tick(d->engine, now);

		wd = app_notify_watchdog(now);
		if (wd > deadline)
			wd = deadline;
		if (d->ctl)
			pfd[n_udp].fd = app_ctlsock_poll_fd(d->ctl, &wd);
		tsp = loop_timeout(d, now, wd, &ts);
		app_log_flush();
		if (ppoll(pfd, n_fds, tsp, wait_mask) < 0) {
			if (errno != EINTR)
				app_log(IKE_LOG_ERR, "poll: %s", strerror(errno));
			continue;
		}
		for (unsigned i = 0; i < n_udp; i++)
			if (pfd[i].revents & (POLLIN | POLLERR))
				drain_socket(d, i);
		if (d->ctl && (pfd[n_udp].revents & POLLIN))
			app_ctlsock_serve(d->ctl, app_mono_ms());
		if (d->metrics && (pfd[n_fds - 1].revents & POLLIN))
			app_metrics_serve(d->metrics);
	}
}

/* ---- main ---- */

static int check_config(struct daemon *d)
{
	char err[512];
	int rc = 0;

	d->engine = ike_engine_new(&d->cfg->engine, &daemon_ops, d);
	if (!d->engine) {
		fprintf(stderr, "ipsecgw-ike: config error: cannot create IKE engine\n");
		return 1;
	}
	if (app_config_give_creds(d->cfg, d->engine, err, sizeof(err)) < 0) {
		fprintf(stderr, "ipsecgw-ike: config error: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < d->cfg->n_conns && !rc; i++) {
		rc = ike_engine_add_conn(d->engine, &d->cfg->conns[i]);
		if (rc < 0)
			fprintf(stderr, "ipsecgw-ike: config error: connection '%s': %s\n",
				d->cfg->conns[i].name, strerror(-rc));
	}
	if (rc < 0)
		return 1;
	printf("config OK: %u connection%s\n", d->cfg->n_conns, d->cfg->n_conns == 1 ? "" : "s");
	return 0;
}

static void fill_metrics(void *arg, struct app_prom *p)
{
	struct daemon *d = arg;

	app_metrics_ike(p, d->engine, d->cfg, NULL, NULL);
}

static int open_metrics(struct daemon *d)
{
	char err[300];

	if (!d->cfg->metrics_listen[0])
		return 0;
	d->metrics = app_metrics_open(d->cfg->metrics_listen, fill_metrics, d, err, sizeof(err));
	if (!d->metrics) {
		app_log(IKE_LOG_ERR, "%s", err);
		return -1;
	}
	app_log(IKE_LOG_INFO, "metrics on http://%s/metrics", d->cfg->metrics_listen);
	return 0;
}

/* Once the sockets are bound and the control socket and key log are open,
 * the daemon needs no capability: it reads files again only at a reload,
 * as the user it runs as (docs/operations.md, "Privileges"). */
static int drop_privileges(struct daemon *d)
{
	char info[300], err[300];

	if (app_privs_drop(&d->cfg->privs, NULL, 0, info, sizeof(info), err, sizeof(err)) < 0) {
		app_log(IKE_LOG_ERR, "privileges: %s", err);
		return -1;
	}
	app_log(IKE_LOG_INFO, "privileges: %s", info);
	return 0;
}

static int run_daemon(struct daemon *d)
{
	sigset_t wait_mask;
	char err[512];

	setup_signals(&wait_mask);
	if (d->cfg->keylog_path[0] && !(d->keylog = app_keylog_open(d->cfg->keylog_path)))
		return 1;
	d->engine = ike_engine_new(&d->cfg->engine, &daemon_ops, d);
	if (!d->engine) {
		app_log(IKE_LOG_ERR, "cannot create IKE engine");
		return 1;
	}
	if (app_config_give_creds(d->cfg, d->engine, err, sizeof(err)) < 0) {
		app_log(IKE_LOG_ERR, "%s", err);
		return 1;
	}
	if (add_conns(d) < 0 || open_sockets(d) < 0 || open_control(d) < 0 || open_metrics(d) < 0 ||
	    drop_privileges(d) < 0)
		return 1;
	app_log(IKE_LOG_INFO, "ipsecgw-ike %s started: %u connection%s", app_version(),
		d->cfg->n_conns, d->cfg->n_conns == 1 ? "" : "s");
	app_notify_ready("IKE sockets open");
	initiate_conns(d);
	app_log_set_batched(true);
	run_loop(d, &wait_mask);
	app_log_set_batched(false);
	app_log(IKE_LOG_INFO, "ipsecgw-ike stopped");
	return 0;
}

static void cleanup(struct daemon *d)
{
	if (d->engine)
		ike_engine_free(d->engine);
	app_ctlsock_close(d->ctl);
	app_metrics_close(d->metrics);
	udp_io_close(d->io);
	if (d->keylog)
		fclose(d->keylog);
	if (d->cfg) {
		app_config_clear(d->cfg);
		free(d->cfg);
	}
	free(d);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false;
	struct daemon *d;
	char err[512];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'C': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ipsecgw-ike %s\n", app_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	d = calloc(1, sizeof(*d));
	if (d)
		d->cfg = calloc(1, sizeof(*d->cfg));
	if (!d || !d->cfg) {
		fprintf(stderr, "ipsecgw-ike: out of memory\n");
		return 1;
	}
	if (app_config_load(path, d->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ipsecgw-ike: config error: %s\n", err);
		cleanup(d);
		return 1;
	}
	app_config_control_default(d->cfg);
	app_config_apply_log(d->cfg);
	/* The engine emits key lines only when there is a file to take them. */
	d->cfg->engine.keylog = d->cfg->keylog_path[0] != '\0';
	if (d->cfg->natt_port)
		d->cfg->engine.natt_port = d->cfg->natt_port;
	rc = check ? check_config(d) : run_daemon(d);
	cleanup(d);
	return rc;
}
