/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the configuration parser shared by config.c (top level and
 * global sections), config_conn.c (connections and children) and
 * config_json.c (typed access to Jansson values).
 *
 * Every error is written once, as "<JSON path>: <reason>", by cfg_fail();
 * the helpers return 0 or -EINVAL. Paths are built on the stack with
 * cfg_path_key()/cfg_path_idx(); the top-level object has the path "". */
#ifndef APP_CONFIG_PRIV_H
#define APP_CONFIG_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"
#include "app/common/config.h"

#define CFG_PATH_MAX 160

struct cfg_ctx {
	char *err;
	size_t errlen;
};

/* config_auth.c: a connection's "auth" and "remote_auth" (certificates go
 * into *store, made on first use); the "credentials" section. */
int cfg_auth(struct cfg_ctx *c, const char *path, json_t *o, struct ike_conn_cfg *conn,
	     struct ike_creds **store);
int cfg_credentials(struct cfg_ctx *c, json_t *root, struct app_config *cfg);

/* config_index.c: the name index of cfg->conns (room for n), a name
 * added (-EEXIST: the name is there already; -ENOMEM), and freed. */
int cfg_conn_index_new(struct app_config *cfg, size_t n);
int cfg_conn_index_add(struct app_config *cfg, unsigned i);
void cfg_conn_index_free(struct app_config *cfg);

/* Writes "path: reason" (control characters replaced) and returns -EINVAL. */
int cfg_fail(struct cfg_ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_path_key(char out[CFG_PATH_MAX], const char *path, const char *key);
void cfg_path_idx(char out[CFG_PATH_MAX], const char *path, size_t i);
const char *cfg_type_name(const json_t *v);

/* v must be an object whose keys are all in keys[] (NULL-terminated). */
int cfg_check_object(struct cfg_ctx *c, const char *path, json_t *v, const char *const keys[]);
/* Optional member object: *out is NULL when absent. */
int cfg_get_object(struct cfg_ctx *c, const char *path, json_t *obj, const char *key,
		   const char *const keys[], json_t **out);
/* Member that must be present: "path: missing 'key'" otherwise. */
int cfg_require(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, json_t **out);

/* Optional typed members: *out is left unchanged when the key is absent. */
int cfg_get_uint(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, uint32_t lo,
		 uint32_t hi, uint32_t *out);
int cfg_get_u16(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, uint16_t lo,
		uint16_t hi, uint16_t *out);
int cfg_get_bool(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, bool *out);
int cfg_get_number(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, double lo,
		   double hi, double *out);
/* *out is NULL when absent; required adds "missing 'key'". */
int cfg_get_string(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, bool required,
		   const char **out);
/* Copies a string member into out[outlen] (too long is an error). */
int cfg_get_strbuf(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, char *out,
		   size_t outlen);
/* Array member with at most max entries; *out is NULL when absent. */
int cfg_get_array(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, size_t max,
		  json_t **out);
/* Element i of an array that must be a string; path is the array's. */
int cfg_elem_string(struct cfg_ctx *c, const char *path, json_t *arr, size_t i, const char **out);
/* A name (1 to max - 1 characters of A-Z a-z 0-9 _ . -) into out[max];
 * out is left unchanged when the key is absent and not required. */
int cfg_get_name(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, bool required,
		 size_t max, char *out);
/* Optional string member that must be one of names[] (NULL-terminated):
 * *out is its index, unchanged when the key is absent. */
int cfg_get_enum(struct cfg_ctx *c, const char *path, json_t *obj, const char *key,
		 const char *const names[], int *out);
/* Required member holding one address (no prefix); out->port is set to port. */
int cfg_get_addr(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, uint16_t port,
		 ike_addr_t *out);

/* "connections" (config_conn.c). Needs cfg->ike_port already set. */
int cfg_connections(struct cfg_ctx *c, json_t *root, struct app_config *cfg);
/* Overwrites PSK strings still held by the Jansson tree. */
void cfg_scrub_json(json_t *root);
/* "fastpath" (config_fp.c). Needs cfg->natt_port already set. */
int cfg_fastpath(struct cfg_ctx *c, json_t *root, struct app_config *cfg);
/* Overwrites the static SA keys still held by the Jansson tree. */
void cfg_fp_scrub_json(json_t *root);

#endif
