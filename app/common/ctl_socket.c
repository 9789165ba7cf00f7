/* SPDX-License-Identifier: BSD-3-Clause */
/* Control socket server; see control.h for the protocol. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike_pki.h"
#include "app/common/ctl_socket.h"
#include "app/common/ctl_select.h"
#include "app/common/ctl_list.h"
#include "app/common/log.h"
#include "app/common/version.h"
#include "app/common/reload.h"

#define CONTROL_CLIENT_TIMEOUT_MS 1000 /* per receive / send */
#define CONTROL_CLIENT_BUDGET_MS  2000 /* whole request */
/* After a request whose handling took t, the socket rests 7t (at most
 * 100 ms): back-to-back list-sas pages take at most an eighth of the
 * event loop's time, and IKE keeps the rest. */
#define CONTROL_PACE        7
#define CONTROL_PACE_MAX_US 100000u

struct app_ctlsock {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ike_engine *engine;
	struct app_config *cfg;
	unsigned budget_ms;     /* one client, request to reply */
	uint64_t rest_until_us; /* CONTROL_PACE */
	char buf[APP_CTLSOCK_MAX_REQUEST + 1];
};

/* ---- request handling ---- */

typedef int (*conn_action_fn)(struct ike_engine *e, const char *conn, uint64_t now_ms);

static const struct {
	const char *cmd;
	conn_action_fn fn;
} conn_cmds[] = {
	{ "initiate", ike_engine_initiate },     { "rekey-child", ike_engine_rekey_child },
	{ "rekey-ike", ike_engine_rekey_ike },   { "delete-child", ike_engine_delete_child },
	{ "delete-ike", ike_engine_delete_ike }, { "dpd", ike_engine_dpd },
	{ "terminate", ike_engine_delete_ike },
};

static json_t *reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *reply_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *reply_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static bool conn_known(const struct app_config *cfg, const char *name)
{
	if (!cfg)
		return true; /* cannot tell: let the engine decide */
	return app_config_conn(cfg, name) >= 0;
}

static json_t *conn_action_error(const char *cmd, const char *conn, int rc,
				 const struct app_config *cfg)
{
	switch (rc) {
	case -ENOENT:
		if (!cfg || strcmp(cmd, "initiate") == 0)
			return reply_error("no such connection '%.64s'", conn);
		return reply_error("connection '%.64s' has no established SA", conn);
	case -EBUSY:
		return reply_error("connection '%.64s' is busy: an exchange is "
				   "already in progress, try again later",
				   conn);
	case -EDESTADDRREQ:
		return reply_error("connection '%.64s' only answers (its remote_addr is %%any or a "
				   "prefix): there is no single peer to initiate to",
				   conn);
	case -EALREADY:
	case -EEXIST:
		return reply_error("connection '%.64s' is already up or being "
				   "initiated",
				   conn);
	default:
		return reply_error("%s on connection '%.64s' failed: %s", cmd, conn,
				   strerror(rc < 0 ? -rc : rc));
	}
}

/* A command on an SA named by a selector (ctl_select.h); a connection
 * name alone keeps its old meaning: the connection's newest established
 * IKE SA, and for delete-ike also a waiting retry or our own attempt. */
static json_t *do_sel_cmd(struct ike_engine *e, const struct app_config *cfg, conn_action_fn fn,
			  const char *cmd, json_t *req, uint64_t now_ms)
{
	struct app_ctl_sel s;
	char err[256], what[512];
	uint32_t acted = 0;
	bool conn_only;
	int rc;

	if (app_ctl_sel_parse(req, &s, err, sizeof(err)) < 0)
		return reply_error("%s", err);
	conn_only = !s.sel.id && !s.sel.peer && !s.sel.peer_id && !s.sel.spi;
	if (conn_only && !s.sel.conn)
		return reply_error("command '%s' needs \"conn\", \"id\", \"peer\", \"peer_id\" or "
				   "\"spi\"",
				   cmd);
	if (s.sel.conn && !conn_known(cfg, s.sel.conn))
		return reply_error("no such connection '%.64s'", s.sel.conn);
	app_ctl_sel_str(&s, what, sizeof(what));
	rc = ike_engine_command(e, (enum ike_cmd)app_ctl_cmd_of(cmd), &s.sel, now_ms, &acted);
	if (rc == -ENOENT && conn_only && fn == ike_engine_delete_ike)
		rc = fn(e, s.sel.conn, now_ms);
	if (rc < 0) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "%s %s failed: %s", cmd, what,
			 strerror(-rc));
		if (conn_only)
			return conn_action_error(cmd, s.sel.conn, rc, cfg);
		return rc == -ENOENT ? reply_error("no established SA matches %s", what)
				     : reply_error("%s on %s failed: %s", cmd, what, strerror(-rc));
	}
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "%s %s: SA #%u", cmd, what, acted);
	return acted ? json_pack("{s:b, s:I}", "ok", 1, "id", (json_int_t)acted) : reply_ok();
}

static json_t *do_conn_cmd(struct ike_engine *e, const struct app_config *cfg, conn_action_fn fn,
			   const char *cmd, json_t *req, uint64_t now_ms)
{
	const char *conn = json_string_value(json_object_get(req, "conn"));
	json_t *reply;
	int rc;

	if (app_ctl_cmd_of(cmd) >= 0)
		return do_sel_cmd(e, cfg, fn, cmd, req, now_ms);
	if (!conn || !*conn)
		return reply_error("command '%s' needs \"conn\": a connection name", cmd);
	if (!conn_known(cfg, conn))
		return reply_error("no such connection '%.64s'", conn);
	rc = fn(e, conn, now_ms);
	if (rc == 0) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "%s %s", cmd, conn);
		return reply_ok();
	}
	reply = conn_action_error(cmd, conn, rc, cfg);
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "%s %.64s failed: %s", cmd, conn,
		 json_string_value(json_object_get(reply, "error")));
	return reply;
}

/* The child's index in connection cc by name (NULL: the first), -1 when
 * there is none; without a configuration only the first is known. */
static int child_index(const struct ike_conn_cfg *cc, const char *child)
{
	if (!child)
		return 0;
	for (unsigned k = 0; cc && k < cc->n_children; k++)
		if (strcmp(cc->children[k].name, child) == 0)
			return (int)k;
	return -1;
}

static json_t *acquire_error(const char *conn, const char *child, int rc)
{
	switch (rc) {
	case -ENOENT: return reply_error("no such connection '%.64s'", conn);
	case -EINVAL: return reply_error("connection '%.64s' has no child '%.64s'", conn, child);
	case -EALREADY:
		return reply_error("CHILD_SA %.64s/%.64s is already up or being set up", conn,
				   child);
	case -EDESTADDRREQ:
		return reply_error("connection '%.64s' has no single peer to initiate to", conn);
	default:
		return reply_error("acquire on connection '%.64s' failed: %s", conn,
				   strerror(rc < 0 ? -rc : rc));
	}
}

/* What a trap policy does on its first packet (ike_engine_acquire()), by
 * hand: for ipsecgw-ike, which has no data plane to trap with; and
 * `initiate CONN CHILD`, one CHILD SA brought up (on the established IKE SA,
 * or with a new one), as swanctl --initiate --child. */
static json_t *do_acquire(struct ike_engine *e, const struct app_config *cfg, const char *cmd,
			  json_t *req, uint64_t now_ms)
{
	const char *conn = json_string_value(json_object_get(req, "conn"));
	json_t *jchild = json_object_get(req, "child");
	const char *child = json_string_value(jchild);
	const struct ike_conn_cfg *cc;
	int idx, rc;

	if (!conn || !*conn)
		return reply_error("command '%s' needs \"conn\": a connection name", cmd);
	if (jchild && !child)
		return reply_error("\"child\" must be a string: a child name");
	if (!conn_known(cfg, conn))
		return reply_error("no such connection '%.64s'", conn);
	cc = app_config_conn_cfg(cfg, conn);
	idx = child_index(cc, child);
	if (idx < 0)
		return acquire_error(conn, child, -EINVAL);
	if (cc)
		child = cc->children[idx].name;
	rc = ike_engine_acquire(e, conn, (unsigned)idx, now_ms);
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "%s %s/%s: %s", cmd, conn, child ? child : "#0",
		 rc == 0 ? "started" : strerror(-rc));
	return rc == 0 ? reply_ok() : acquire_error(conn, child ? child : "#0", rc);
}

static json_t *do_stats(struct ike_engine *e)
{
	struct ike_stats st;

	memset(&st, 0, sizeof(st));
	ike_engine_stats(e, &st);
#define STAT(f) #f, (json_int_t)st.f
	return json_pack(
		"{s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I}}",
		"ok", 1, "stats", STAT(rx), STAT(tx), STAT(retransmits), STAT(dup_requests),
		STAT(bad_messages), STAT(cookies_sent), STAT(ike_up), STAT(ike_failed),
		STAT(child_up), STAT(half_open), STAT(established), STAT(esp_dropped),
		STAT(init_dropped), STAT(frag_tx), STAT(frag_rx), STAT(frag_reassembled));
#undef STAT
}

static void cert_visit(void *arg, const char *kind, struct x509_st *cert, const char *source)
{
	struct ike_pki_cert_info i;

	ike_pki_cert_info(cert, &i);
	json_array_append_new(arg,
			      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind", kind,
					"subject", i.subject, "issuer", i.issuer, "sans", i.sans,
					"not_before", i.not_before, "not_after", i.not_after, "key",
					i.key, "source", source ? source : ""));
}

/* Every certificate of the store: our own, intermediates, trust anchors. */
static json_t *do_list_certs(const struct app_config *cfg)
{
	json_t *certs = json_array();

	if (cfg && cfg->creds)
		ike_creds_foreach(cfg->creds, cert_visit, certs);
	return json_pack("{s:b, s:o}", "ok", 1, "certs", certs);
}

static void crl_visit(void *arg, const struct ike_crl_info *ci)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "source", ci->source,
					     "issuer", ci->issuer, "this_update", ci->this_update,
					     "next_update", ci->next_update, "revoked",
					     (json_int_t)ci->n_revoked, "error", ci->error));
}

static json_t *do_list_crls(struct ike_engine *e)
{
	json_t *crls = json_array();

	ike_engine_list_crls(e, crl_visit, crls);
	return json_pack("{s:b, s:o}", "ok", 1, "crls", crls);
}

/* reload-creds: the credentials of the file the program started with. */
static json_t *do_reload_creds(struct ike_engine *e, struct app_config *cfg)
{
	char msg[800];

	if (!cfg)
		return reply_error("reload-creds: no configuration to read again");
	if (app_config_reload_creds(cfg, e, msg, sizeof(msg)) < 0) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_WARN, "reload-creds refused: %s", msg);
		return reply_error("%s", msg);
	}
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "reload-creds: %s", msg);
	return json_pack("{s:b, s:s}", "ok", 1, "loaded", msg);
}

static app_ctlsock_reload_fn reload_hook;
static void *reload_arg;

void app_ctlsock_set_reload(app_ctlsock_reload_fn fn, void *arg)
{
	reload_hook = fn;
	reload_arg = arg;
}

/* reload: the whole file the program started with (app/common/reload.h). */
static json_t *do_reload(struct ike_engine *e, struct app_config *cfg, uint64_t now_ms)
{
	char msg[800];
	int rc;

	if (!cfg)
		return reply_error("reload: no configuration to read again");
	app_reload_begin();
	rc = reload_hook ? reload_hook(reload_arg, msg, sizeof(msg))
			 : app_config_reload(cfg, e, false, NULL, NULL, now_ms, msg, sizeof(msg));
	app_reload_end();
	if (rc < 0) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_WARN, "reload refused: %s", msg);
		return reply_error("%s", msg);
	}
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "reload: %s", msg);
	return json_pack("{s:b, s:s}", "ok", 1, "loaded", msg);
}

/* {"subsys": NAME|"all", "level": LEVEL} sets a level (the ike
 * subsystem's is the engine's too); without them the levels are listed. */
static json_t *do_log_level(struct ike_engine *e, json_t *req)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	const char *s = json_string_value(json_object_get(req, "subsys"));
	const char *l = json_string_value(json_object_get(req, "level"));
	enum ike_log_level lvl;
	json_t *levels;
	int sub;

	if (s || l) {
		if (!s || !l)
			return reply_error("log-level takes a subsystem and a level");
		if ((sub = app_log_parse_subsys(s)) < 0)
			return reply_error("unknown subsystem '%.32s' (ike, fastpath, eal, "
					   "control, all)",
					   s);
		if (app_log_parse_level(l, &lvl) < 0)
			return reply_error("unknown level '%.32s' (error, warning, info, debug)",
					   l);
		for (int i = 0; i < APP_LOG_NSUB; i++)
			if (sub == APP_LOG_NSUB || sub == i)
				app_log_set_subsys_level((enum app_log_subsys)i, lvl);
		if (e && (sub == APP_LOG_IKE || sub == APP_LOG_NSUB))
			ike_engine_set_log_level(e, lvl);
		app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "log level of %s set to %s", s, names[lvl]);
	}
	levels = json_object();
	for (int i = 0; i < APP_LOG_NSUB; i++)
		json_object_set_new(levels, app_log_subsys_name((enum app_log_subsys)i),
				    json_string(
					    names[app_log_subsys_level((enum app_log_subsys)i)]));
	return json_pack("{s:b, s:o}", "ok", 1, "levels", levels);
}

static app_ctlsock_ext_fn ext_hook;
static void *ext_arg;

void app_ctlsock_set_ext(app_ctlsock_ext_fn fn, void *arg)
{
	ext_hook = fn;
	ext_arg = arg;
}

static json_t *dispatch(struct ike_engine *e, struct app_config *cfg, json_t *req, uint64_t now_ms)
{
	json_t *ext;
	json_t *jcmd;
	const char *cmd;

	if (!json_is_object(req))
		return reply_error("request must be a JSON object");
	jcmd = json_object_get(req, "cmd");
	if (!jcmd)
		return reply_error("missing \"cmd\"");
	cmd = json_string_value(jcmd);
	if (!cmd)
		return reply_error("\"cmd\" must be a string");
	if (strcmp(cmd, "acquire") == 0 ||
	    (strcmp(cmd, "initiate") == 0 && json_object_get(req, "child")))
		return do_acquire(e, cfg, cmd, req, now_ms);
	for (size_t i = 0; i < sizeof(conn_cmds) / sizeof(conn_cmds[0]); i++)
		if (strcmp(cmd, conn_cmds[i].cmd) == 0)
			return do_conn_cmd(e, cfg, conn_cmds[i].fn, cmd, req, now_ms);
	if (strcmp(cmd, "summary") == 0)
		return app_ctl_summary(e);
	if (strcmp(cmd, "stats") == 0)
		return do_stats(e);
	if (strcmp(cmd, "list-certs") == 0)
		return do_list_certs(cfg);
	if (strcmp(cmd, "list-crls") == 0)
		return do_list_crls(e);
	if (strcmp(cmd, "reload-creds") == 0)
		return do_reload_creds(e, cfg);
	if (strcmp(cmd, "version") == 0)
		return json_pack("{s:b, s:s, s:s}", "ok", 1, "program",
				 program_invocation_short_name, "version", app_version());
	if (strcmp(cmd, "reload") == 0)
		return do_reload(e, cfg, now_ms);
	if (strcmp(cmd, "log-level") == 0)
		return do_log_level(e, req);
	if (ext_hook && (ext = ext_hook(ext_arg, cmd, req)) != NULL)
		return ext;
	return reply_error("unknown command '%.64s'", cmd);
}

char *app_ctlsock_handle(struct ike_engine *e, struct app_config *cfg, const char *req, size_t len,
			 uint64_t now_ms)
{
	json_error_t jerr;
	json_t *jreq, *reply;
	char *out;

	while (len > 0 && (req[len - 1] == '\r' || req[len - 1] == ' '))
		len--;
	if (len == 0) {
		reply = reply_error("empty request: send one JSON object and a newline");
	} else if (len > APP_CTLSOCK_MAX_REQUEST) {
		reply = reply_error("request too large (limit %u bytes)", APP_CTLSOCK_MAX_REQUEST);
	} else if (!(jreq = json_loadb(req, len, JSON_REJECT_DUPLICATES, &jerr))) {
		reply = reply_error("bad JSON: %s (line %d, column %d)", jerr.text, jerr.line,
				    jerr.column);
	} else if (json_is_string(json_object_get(jreq, "cmd")) &&
		   strcmp(json_string_value(json_object_get(jreq, "cmd")), "list-sas") == 0) {
		out = app_ctl_list_sas(e, jreq, now_ms); /* text as it is built */
		json_decref(jreq);
		return out;
	} else {
		reply = dispatch(e, cfg, jreq, now_ms);
		json_decref(jreq);
	}
	if (!reply)
		reply = reply_error("out of memory");
	out = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	return out;
}

/* ---- socket ---- */

/* A socket file left by a previous run is removed; a live one or a
 * non-socket file is an error. */
static int remove_stale(const char *path, const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : (snprintf(err, errlen, "cannot stat %s: %s", path,
						   strerror(errno)),
					  -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
		close(fd);
		snprintf(err, errlen, "%s is in use by another running daemon", path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long (max %zu): %s",
			 sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (remove_stale(path, &sun, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177); /* no window where the socket is group/world usable */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on control socket %s: %s", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct app_ctlsock *app_ctlsock_open(const char *path, struct ike_engine *e, struct app_config *cfg,
				     char *err, size_t errlen)
{
	struct app_ctlsock *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->budget_ms = CONTROL_CLIENT_BUDGET_MS;
	c->fd = listen_unix(path, err, errlen);
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->engine = e;
	c->cfg = cfg;
	return c;
}

void app_ctlsock_close(struct app_ctlsock *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}

void app_ctlsock_set_budget(struct app_ctlsock *c, unsigned ms)
{
	c->budget_ms = ms ? ms : 1;
}

int app_ctlsock_fd(const struct app_ctlsock *c)
{
	return c ? c->fd : -1;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int app_ctlsock_poll_fd(const struct app_ctlsock *c, uint64_t *wake_ms)
{
	uint64_t now;

	if (!c)
		return -1;
	now = mono_us();
	if (now >= c->rest_until_us)
		return c->fd;
	if (wake_ms && (c->rest_until_us + 999) / 1000 < *wake_ms)
		*wake_ms = (c->rest_until_us + 999) / 1000;
	return -1;
}

static void rest_after(struct app_ctlsock *c, uint64_t t0)
{
	uint64_t now = mono_us(), rest = (now - t0) * CONTROL_PACE;

	c->rest_until_us = now + (rest < CONTROL_PACE_MAX_US ? rest : CONTROL_PACE_MAX_US);
}

static void set_timeouts(int fd, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	/* A list-sas page (APP_LIST_PAGE_BYTES) fits at once, with the
	 * kernel's default net.core.wmem_max: sent without waiting for the
	 * client to read. */
	int sndbuf = 2 * APP_LIST_PAGE_BYTES;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
}

/* Reads up to the first newline (or EOF). Returns the request length,
 * -EMSGSIZE when over the limit, or another negative errno. */
static ssize_t read_request(struct app_ctlsock *c, int fd)
{
	uint64_t deadline = app_mono_ms() + c->budget_ms;
	size_t n = 0;

	for (;;) {
		ssize_t r;
		char *nl;

		if (n == APP_CTLSOCK_MAX_REQUEST)
			return -EMSGSIZE;
		if (app_mono_ms() > deadline)
			return -ETIMEDOUT;
		r = recv(fd, c->buf + n, APP_CTLSOCK_MAX_REQUEST - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		if (r == 0)
			return (ssize_t)n; /* EOF without newline: take what came */
		nl = memchr(c->buf + n, '\n', (size_t)r);
		if (nl)
			return nl - c->buf;
		n += (size_t)r;
	}
}

int app_ctlsock_send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

void app_ctlsock_serve(struct app_ctlsock *c, uint64_t now_ms)
{
	uint64_t t0 = 0;
	char *reply = NULL;
	ssize_t n;
	int fd;

	fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			app_logs(APP_LOG_CONTROL, IKE_LOG_WARN, "accept: %s", strerror(errno));
		return;
	}
	set_timeouts(fd, c->budget_ms < CONTROL_CLIENT_TIMEOUT_MS ? c->budget_ms
								  : CONTROL_CLIENT_TIMEOUT_MS);
	n = read_request(c, fd);
	if (n == -EMSGSIZE || n == -ETIMEDOUT) {
		json_t *j = n == -EMSGSIZE ? reply_error("request too large (limit %u bytes)",
							 APP_CTLSOCK_MAX_REQUEST)
					   : reply_error("timed out waiting for the request "
							 "(one JSON object and a newline)");

		reply = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
	} else if (n < 0) {
		app_logs(APP_LOG_CONTROL, IKE_LOG_DEBUG, "client dropped: %s", strerror((int)-n));
		close(fd);
		return;
	} else {
		t0 = mono_us(); /* the work, not the wait for the client's request */
		reply = app_ctlsock_handle(c->engine, c->cfg, c->buf, (size_t)n, now_ms);
	}
	if (reply) { /* a client gone before the reply is its own loss */
		app_ctlsock_send_all(fd, reply, strlen(reply));
		app_ctlsock_send_all(fd, "\n", 1);
	}
	free(reply);
	close(fd);
	if (t0)
		rest_after(c, t0);
}
