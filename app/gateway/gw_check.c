/* SPDX-License-Identifier: BSD-3-Clause */
/* --check without the EAL; see gw_check.h. */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/common/config.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_check.h"

int app_gw_load_profile(const char *dir, const char *name, struct app_gw_profile *pr, char *err,
			size_t errlen)
{
	char path[512];
	json_error_t je;
	json_t *root, *v;

	*pr = (struct app_gw_profile){ 1, 1024, 1024, true, 2048 };
	if (name[0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	root = json_load_file(path, 0, &je);
	if (root == NULL) {
		if (je.line > 0)
			snprintf(err, errlen, "profile %s: line %d: %s", path, je.line, je.text);
		else
			snprintf(err, errlen, "profile %s: %s", path, je.text);
		return -1;
	}
	if (json_is_integer(v = json_object_get(root, "rx_queues")))
		pr->rx_queues = (uint16_t)json_integer_value(v);
	if (json_is_integer(v = json_object_get(root, "rx_desc")))
		pr->rx_desc = (uint16_t)json_integer_value(v);
	if (json_is_integer(v = json_object_get(root, "tx_desc")))
		pr->tx_desc = (uint16_t)json_integer_value(v);
	if (json_is_boolean(v = json_object_get(root, "promiscuous")))
		pr->promiscuous = json_is_true(v);
	if (json_is_integer(v = json_object_get(root, "qp_desc")) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= 65536)
		pr->qp_desc = (uint32_t)json_integer_value(v);
	json_decref(root);
	return 0;
}

int app_gw_check_profiles(const struct app_config *cfg, const char *dir, char *err, size_t errlen)
{
	const struct app_fp_cfg *f = &cfg->fastpath;
	struct app_gw_profile pr;

	for (unsigned i = 0; i < f->n_ports; i++)
		if (app_gw_load_profile(dir, f->ports[i].profile, &pr, err, errlen) != 0)
			return -1;
	if (f->crypto.backend != APP_FP_CRYPTO_IMB &&
	    app_gw_load_profile(dir, f->crypto.profile, &pr, err, errlen) != 0)
		return -1;
	return 0;
}

/* The folder a file will be created in: it must exist and take files. */
static int check_folder_of(const char *what, const char *path, char *err, size_t errlen)
{
	char copy[APP_PATH_MAX], *dir;
	struct stat st;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "%s %s: folder %s: %s", what, path, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s %s: %s is not a folder", what, path, dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "%s %s: folder %s: %s", what, path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void quiet_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)ctx;
	(void)lvl;
	(void)line;
}

/* The connections and CRLs as the running gateway's engine takes them. */
static int check_engine(const struct app_config *cfg, char *err, size_t errlen)
{
	static const struct ike_ops ops = { .log = quiet_log };
	struct ike_engine *e = ike_engine_new(&cfg->engine, &ops, NULL);
	int rc = 0;

	if (e == NULL) {
		snprintf(err, errlen, "cannot create an IKE engine");
		return -1;
	}
	if (app_config_give_creds(cfg, e, err, errlen) < 0)
		rc = -1;
	for (unsigned i = 0; i < cfg->n_conns && rc == 0; i++) {
		int r = ike_engine_add_conn(e, &cfg->conns[i]);

		if (r < 0) {
			snprintf(err, errlen, "connection '%s': %s", cfg->conns[i].name,
				 strerror(-r));
			rc = -1;
		}
	}
	ike_engine_free(e);
	return rc;
}

int app_gw_check_paths(const struct app_config *cfg, char *err, size_t errlen)
{
	if (cfg->keylog_path[0] && check_folder_of("log.keylog", cfg->keylog_path, err, errlen))
		return -1;
	if (cfg->control_socket[0] &&
	    check_folder_of("control.socket", cfg->control_socket, err, errlen))
		return -1;
	if (app_gw_check_conns(cfg, err, errlen) != 0)
		return -1;
	return check_engine(cfg, err, errlen);
}
