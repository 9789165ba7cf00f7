/* SPDX-License-Identifier: BSD-3-Clause */
/* Connections by name (config.h, app_config_conn()): glibc's hsearch_r
 * over the names in cfg->conns, built as the file is parsed. Reload
 * compares two files by name, the control socket finds a connection by
 * name: with 100,000 connections a scan of the array each time would be
 * quadratic. The keys are the names inside cfg->conns, so the index lives
 * and moves with the array (a reload swaps both). */
#include <errno.h>
#include <search.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/config_priv.h"

struct app_conn_index {
	struct hsearch_data h;
};

int cfg_conn_index_new(struct app_config *cfg, size_t n)
{
	struct app_conn_index *x = calloc(1, sizeof(*x));

	/* glibc's table is full at nel entries: room to spare. */
	if (!x || !hcreate_r(2 * n + 8, &x->h)) {
		free(x);
		return -ENOMEM;
	}
	cfg->conn_index = x;
	return 0;
}

int cfg_conn_index_add(struct app_config *cfg, unsigned i)
{
	ENTRY want = { .key = cfg->conns[i].name, .data = (void *)(uintptr_t)(i + 1) }, *got;

	if (!hsearch_r(want, ENTER, &got, &cfg->conn_index->h))
		return -ENOMEM;
	return got->data == want.data ? 0 : -EEXIST;
}

void cfg_conn_index_free(struct app_config *cfg)
{
	if (cfg->conn_index) {
		hdestroy_r(&cfg->conn_index->h);
		free(cfg->conn_index);
		cfg->conn_index = NULL;
	}
}

int app_config_conn(const struct app_config *cfg, const char *name)
{
	ENTRY want = { .key = (char *)name }, *got;

	if (!cfg->conn_index || !hsearch_r(want, FIND, &got, &cfg->conn_index->h))
		return -1;
	return (int)((uintptr_t)got->data - 1);
}

const struct ike_conn_cfg *app_config_conn_cfg(const struct app_config *cfg, const char *name)
{
	int i = cfg && name ? app_config_conn(cfg, name) : -1;

	return i < 0 ? NULL : &cfg->conns[i];
}
