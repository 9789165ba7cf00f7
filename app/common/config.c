/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON configuration: entry points, the global sections ("local", "log",
 * "control", "ike") and file loading. Connections are in config_conn.c.
 * The format is documented in docs/config.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/common/config_priv.h"
#include "app/common/log.h"
#include "app/common/version.h"
#include "app/common/metrics.h"
#include "ike/ike_pki.h"

/* larger files are refused: 100,000 connections of a few lines each fit */
#define CFG_FILE_MAX (256u << 20)
#define CFG_SUN_PATH sizeof(((struct sockaddr_un *)0)->sun_path)

static const char *const root_keys[] = { "local",       "log",      "control",     "ike",
					 "connections", "fastpath", "credentials", "privileges",
					 "metrics",     NULL };
static const char *const local_keys[] = { "addresses", "ike_port", "natt_port", NULL };
static const char *const log_keys[] = { "level", "keylog", "format", "levels", NULL };
static const char *const control_keys[] = { "socket", NULL };
static const char *const privs_keys[] = { "user", "group", NULL };
static const char *const metrics_keys[] = { "listen", NULL };
static const char *const ike_keys[] = {
	"retransmit_timeout_ms", "retransmit_tries", "retransmit_base", "cookie_threshold",
	"half_open_per_peer",    "half_open_max",    "force_cookies",   "liveness_idle",
	"natt_keepalive",        "fragmentation",    "fragment_size",   NULL
};

static void cfg_defaults(struct app_config *cfg)
{
	ike_engine_cfg_defaults(&cfg->engine);
	cfg->ike_port = 500;
	cfg->natt_port = 4500;
	cfg->log_level = IKE_LOG_INFO;
	memset(cfg->log_levels, -1, sizeof(cfg->log_levels));
}

static int cfg_listen_one(struct cfg_ctx *c, json_t *arr, size_t i, struct app_config *cfg)
{
	char p[CFG_PATH_MAX];
	const char *s;
	ike_addr_t *a = &cfg->listen[i];
	int rc = cfg_elem_string(c, "local.addresses", arr, i, &s);

	if (rc)
		return rc;
	cfg_path_idx(p, "local.addresses", i);
	if (ike_addr_parse(s, a) != 0)
		return cfg_fail(c, p, "invalid address '%s'", s);
	a->port = 0;
	for (size_t j = 0; j < i; j++)
		if (ike_addr_ip_eq(&cfg->listen[j], a))
			return cfg_fail(c, p, "duplicate address '%s'", s);
	return 0;
}

static int cfg_local(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	json_t *o, *arr;
	int rc = cfg_get_object(c, "", root, "local", local_keys, &o);

	if (rc || !o)
		return rc;
	if ((rc = cfg_get_u16(c, "local", o, "ike_port", 1, 65535, &cfg->ike_port)) ||
	    (rc = cfg_get_u16(c, "local", o, "natt_port", 1, 65535, &cfg->natt_port)) ||
	    (rc = cfg_get_array(c, "local", o, "addresses", APP_MAX_LISTEN, &arr)))
		return rc;
	if (cfg->ike_port == cfg->natt_port)
		return cfg_fail(c, "local.natt_port", "must differ from ike_port (%u)",
				cfg->ike_port);
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		if ((rc = cfg_listen_one(c, arr, i, cfg)))
			return rc;
		cfg->n_listen = (unsigned)i + 1;
	}
	return 0;
}

static int cfg_log_level(struct cfg_ctx *c, json_t *o, enum ike_log_level *out)
{
	static const char *const names[] = { [IKE_LOG_ERR] = "error",
					     [IKE_LOG_WARN] = "warn",
					     [IKE_LOG_INFO] = "info",
					     [IKE_LOG_DEBUG] = "debug" };
	const char *s;
	int rc = cfg_get_string(c, "log", o, "level", false, &s);

	if (rc || !s)
		return rc;
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum ike_log_level)i;
			return 0;
		}
	}
	return cfg_fail(c, "log.level",
			"expected \"error\", \"warn\", \"info\" or \"debug\", got '%s'", s);
}

/* "log.levels": {"fastpath": "debug", ...}, each overriding log.level. */
static int cfg_log_levels(struct cfg_ctx *c, json_t *o, struct app_config *cfg)
{
	json_t *levels = json_object_get(o, "levels"), *v;
	enum ike_log_level lvl;
	const char *k;
	int sub;

	if (!levels)
		return 0;
	if (!json_is_object(levels))
		return cfg_fail(c, "log.levels", "expected an object");
	json_object_foreach(levels, k, v) {
		if ((sub = app_log_parse_subsys(k)) < 0 || sub >= APP_LOG_NSUB)
			return cfg_fail(c, "log.levels",
					"unknown subsystem '%s' (ike, fastpath, eal, control)", k);
		if (!json_is_string(v) || app_log_parse_level(json_string_value(v), &lvl) < 0)
			return cfg_fail(c, "log.levels",
					"%s: expected \"error\", \"warn\", \"info\" or \"debug\"",
					k);
		cfg->log_levels[sub] = (signed char)lvl;
	}
	return 0;
}

static int cfg_log(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	const char *fmt = NULL;
	json_t *o;
	int rc = cfg_get_object(c, "", root, "log", log_keys, &o);

	if (rc || !o)
		return rc;
	if ((rc = cfg_log_level(c, o, &cfg->log_level)) ||
	    (rc = cfg_get_strbuf(c, "log", o, "keylog", cfg->keylog_path,
				 sizeof cfg->keylog_path)) ||
	    (rc = cfg_get_string(c, "log", o, "format", false, &fmt)) ||
	    (rc = cfg_log_levels(c, o, cfg)))
		return rc;
	if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0)
		return cfg_fail(c, "log.format", "expected \"text\" or \"json\", got '%s'", fmt);
	cfg->log_json = fmt && strcmp(fmt, "json") == 0;
	return 0;
}

static int cfg_control(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	json_t *o;
	size_t max = CFG_SUN_PATH < APP_PATH_MAX ? CFG_SUN_PATH : APP_PATH_MAX;
	int rc = cfg_get_object(c, "", root, "control", control_keys, &o);

	if (rc || !o)
		return rc;
	cfg->control_socket_set = json_object_get(o, "socket") != NULL;
	/* The path must fit a sockaddr_un. */
	return cfg_get_strbuf(c, "control", o, "socket", cfg->control_socket, max);
}

/* "privileges": whom the program runs as once set up (app/common/privs.h). */
static int cfg_privileges(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	struct app_privs_cfg *p = &cfg->privs;
	json_t *o;
	int rc = cfg_get_object(c, "", root, "privileges", privs_keys, &o);

	if (rc || !o)
		return rc;
	if ((rc = cfg_get_strbuf(c, "privileges", o, "user", p->user, sizeof(p->user))) ||
	    (rc = cfg_get_strbuf(c, "privileges", o, "group", p->group, sizeof(p->group))))
		return rc;
	if (p->group[0] && !p->user[0])
		return cfg_fail(c, "privileges.group", "needs 'user'");
	return 0;
}

void app_config_control_default(struct app_config *cfg)
{
	struct stat st;

	if (cfg->control_socket_set || stat(APP_RUN_DIR, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", APP_CTL_SOCKET_DEFAULT);
}

/* "metrics": the Prometheus endpoint (app/common/metrics.h), off unless set. */
static int cfg_metrics(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	char err[200];
	json_t *o;
	int rc = cfg_get_object(c, "", root, "metrics", metrics_keys, &o);

	if (rc || !o)
		return rc;
	if ((rc = cfg_get_strbuf(c, "metrics", o, "listen", cfg->metrics_listen,
				 sizeof(cfg->metrics_listen))))
		return rc;
	if (cfg->metrics_listen[0] &&
	    app_metrics_parse_listen(cfg->metrics_listen, err, sizeof(err)) < 0)
		return cfg_fail(c, "metrics.listen", "%s", err);
	return 0;
}

/* RFC 7383: on or off, and the largest IP datagram of a fragment. */
static int cfg_ike_frag(struct cfg_ctx *c, json_t *o, struct ike_engine_cfg *e)
{
	uint32_t size = e->fragment_size;
	int rc;

	if ((rc = cfg_get_bool(c, "ike", o, "fragmentation", &e->fragmentation)) ||
	    (rc = cfg_get_uint(c, "ike", o, "fragment_size", IKE_FRAG_SIZE_MIN, 65535, &size)))
		return rc;
	e->fragment_size = (uint16_t)size;
	return 0;
}

static int cfg_ike(struct cfg_ctx *c, json_t *root, struct ike_engine_cfg *e)
{
	json_t *o;
	double base = e->retransmit_base_pct / 100.0;
	int rc = cfg_get_object(c, "", root, "ike", ike_keys, &o);

	if (rc || !o)
		return rc;
	if ((rc = cfg_ike_frag(c, o, e)))
		return rc;
	if ((rc = cfg_get_uint(c, "ike", o, "retransmit_timeout_ms", 1, 60000,
			       &e->retransmit_timeout_ms)) ||
	    (rc = cfg_get_uint(c, "ike", o, "retransmit_tries", 0, 100, &e->retransmit_tries)) ||
	    (rc = cfg_get_number(c, "ike", o, "retransmit_base", 1.0, 10.0, &base)) ||
	    (rc = cfg_get_uint(c, "ike", o, "cookie_threshold", 0, UINT32_MAX,
			       &e->cookie_threshold)) ||
	    (rc = cfg_get_uint(c, "ike", o, "half_open_per_peer", 0, UINT32_MAX,
			       &e->half_open_per_peer)) ||
	    (rc = cfg_get_uint(c, "ike", o, "half_open_max", 0, UINT32_MAX, &e->half_open_max)) ||
	    (rc = cfg_get_bool(c, "ike", o, "force_cookies", &e->force_cookies)) ||
	    (rc = cfg_get_uint(c, "ike", o, "liveness_idle", 0, 86400, &e->liveness_idle_s)) ||
	    (rc = cfg_get_uint(c, "ike", o, "natt_keepalive", 0, 3600, &e->natt_keepalive_s)))
		return rc;
	e->retransmit_base_pct = (uint32_t)(base * 100.0 + 0.5);
	return 0;
}

/* Without "local.addresses", listen on the connections' local addresses;
 * with it, every connection's local_addr must be one of them. */
static int cfg_listen(struct cfg_ctx *c, struct app_config *cfg)
{
	bool given = cfg->n_listen > 0;
	char p[CFG_PATH_MAX];

	for (unsigned i = 0; i < cfg->n_conns; i++) {
		ike_addr_t a = cfg->conns[i].local;
		unsigned j = 0;

		a.port = 0;
		while (j < cfg->n_listen && !ike_addr_ip_eq(&cfg->listen[j], &a))
			j++;
		if (j < cfg->n_listen)
			continue;
		cfg_path_idx(p, "connections", i);
		if (given)
			return cfg_fail(c, p, "local_addr is not one of local.addresses");
		if (cfg->n_listen == APP_MAX_LISTEN)
			return cfg_fail(c, p,
					"more than %u distinct local addresses; "
					"list them in local.addresses",
					APP_MAX_LISTEN);
		cfg->listen[cfg->n_listen++] = a;
	}
	return 0;
}

static int cfg_root(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	int rc;

	cfg_defaults(cfg);
	if ((rc = cfg_check_object(c, "", root, root_keys)) || (rc = cfg_local(c, root, cfg)) ||
	    (rc = cfg_log(c, root, cfg)) || (rc = cfg_control(c, root, cfg)) ||
	    (rc = cfg_privileges(c, root, cfg)) || (rc = cfg_metrics(c, root, cfg)) ||
	    (rc = cfg_ike(c, root, &cfg->engine)) || (rc = cfg_credentials(c, root, cfg)) ||
	    /* A gateway with static SAs only needs no connection. */
	    (rc = (json_object_get(root, "connections") || !json_object_get(root, "fastpath"))
			  ? cfg_connections(c, root, cfg)
			  : 0) ||
	    (rc = cfg_listen(c, cfg)) || (rc = cfg_fastpath(c, root, cfg)))
		return rc;
	cfg->engine.natt_port = cfg->natt_port;
	cfg->engine.keylog = cfg->keylog_path[0] != '\0';
	return 0;
}

/* Jansson's text may quote the offending token ("near '...'"), which could
 * be a PSK; keep only the reason and the position. A duplicate key's token
 * is the key itself, which is safe and worth showing. */
static int cfg_syntax(struct cfg_ctx *c, const json_error_t *je)
{
	char text[JSON_ERROR_TEXT_LENGTH];
	char *near;

	snprintf(text, sizeof text, "%s", je->text);
	near = strstr(text, " near '");
	if (near && json_error_code(je) != json_error_duplicate_key)
		*near = '\0';
	if (c->errlen)
		snprintf(c->err, c->errlen, "line %d, column %d: %s", je->line, je->column, text);
	return -EINVAL;
}

static void cfg_wipe(struct app_config *cfg)
{
	app_config_clear(cfg);
	ike_wipe(cfg, sizeof *cfg);
	memset(cfg, 0, sizeof *cfg);
}

int app_config_parse(const char *text, size_t len, struct app_config *cfg, char *err, size_t errlen)
{
	struct cfg_ctx c = { err, errlen };
	json_error_t je;
	json_t *root;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	if (errlen)
		err[0] = '\0';
	if (!text)
		return cfg_fail(&c, "", "no configuration text");
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return cfg_syntax(&c, &je);
	rc = cfg_root(&c, root, cfg);
	cfg_scrub_json(root);
	cfg_fp_scrub_json(root);
	json_decref(root);
	if (rc)
		cfg_wipe(cfg);
	return rc;
}

/* Reads the whole file into one buffer (never reallocated, so no stray
 * copy of a PSK is left in freed memory). */
static int cfg_read(int fd, char **out, size_t *len)
{
	struct stat st;
	size_t cap = CFG_FILE_MAX + 1;
	ssize_t n;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < CFG_FILE_MAX)
		cap = (size_t)st.st_size + 1;
	*out = malloc(cap);
	if (!*out)
		return -ENOMEM;
	*len = 0;
	while (*len < cap && (n = read(fd, *out + *len, cap - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		*len += (size_t)n;
	}
	return *len == cap ? -EFBIG : 0;
}

static int cfg_read_file(const char *path, char **text, size_t *len, struct cfg_ctx *c)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	*text = NULL;
	*len = 0;
	if (fd < 0) {
		rc = -errno;
		snprintf(c->err, c->errlen, "cannot open '%s': %s", path, strerror(-rc));
		return rc;
	}
	rc = cfg_read(fd, text, len);
	close(fd);
	if (rc == -EFBIG)
		snprintf(c->err, c->errlen, "'%s' is larger than %u bytes", path, CFG_FILE_MAX);
	else if (rc)
		snprintf(c->err, c->errlen, "cannot read '%s': %s", path, strerror(-rc));
	return rc;
}

int app_config_load(const char *path, struct app_config *cfg, char *err, size_t errlen)
{
	struct cfg_ctx c = { err, errlen };
	char *text;
	size_t len;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	if (errlen)
		err[0] = '\0';
	if (strlen(path) >= sizeof(cfg->path))
		return cfg_fail(&c, "", "file name '%.64s...' too long", path);
	rc = cfg_read_file(path, &text, &len, &c);
	if (rc == 0)
		rc = app_config_parse(text, len, cfg, err, errlen);
	if (rc == 0)
		snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (text) {
		ike_wipe(text, len);
		free(text);
	}
	return rc;
}

int app_config_give_creds(const struct app_config *cfg, struct ike_engine *e, char *err,
			  size_t errlen)
{
	ike_engine_set_creds(e, cfg->creds);
	for (unsigned i = 0; i < cfg->n_crls; i++)
		if (ike_engine_add_crl_file(e, cfg->crls[i], err, errlen) < 0)
			return -1;
	for (unsigned i = 0; i < cfg->n_ocsp; i++)
		if (ike_engine_add_ocsp_uri(e, cfg->ocsp[i].ca, cfg->ocsp[i].uri, err, errlen) < 0)
			return -1;
	return 0;
}

void app_config_apply_log(struct app_config *cfg)
{
	_Static_assert(APP_LOG_SUBSYS == APP_LOG_NSUB, "log subsystems");
	app_log_set_level(cfg->log_level);
	for (unsigned i = 0; i < APP_LOG_NSUB; i++)
		if (cfg->log_levels[i] >= 0)
			app_log_set_subsys_level((enum app_log_subsys)i,
						 (enum ike_log_level)cfg->log_levels[i]);
	app_log_set_format(cfg->log_json ? APP_LOG_FMT_JSON : APP_LOG_FMT_TEXT);
	app_log_set_journal(app_log_stderr_is_journal());
	cfg->engine.log_level = (int)app_log_subsys_level(APP_LOG_IKE);
}

void app_config_wipe_secrets(struct app_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		ike_wipe(cfg->conns[i].psk, sizeof cfg->conns[i].psk);
		cfg->conns[i].psk_len = 0;
	}
	ike_wipe(cfg->fastpath.sas, sizeof cfg->fastpath.sas);
}

void app_config_clear(struct app_config *cfg)
{
	app_config_wipe_secrets(cfg);
	if (cfg->conns)
		ike_wipe(cfg->conns, cfg->n_conns * sizeof(*cfg->conns));
	free(cfg->conns);
	cfg->conns = NULL;
	cfg->n_conns = 0;
	cfg_conn_index_free(cfg);
	ike_creds_unref(cfg->creds);
	cfg->creds = NULL;
}
