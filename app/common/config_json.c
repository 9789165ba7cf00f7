/* SPDX-License-Identifier: BSD-3-Clause */
/* Typed access to Jansson values for the configuration parser. Each helper
 * checks type and range and, on failure, writes one error line naming the
 * JSON path. Values are echoed only by callers that know they are not
 * secret; these helpers never echo a string value. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app/common/config_priv.h"

int cfg_fail(struct cfg_ctx *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!c->errlen)
		return -EINVAL;
	snprintf(c->err, c->errlen, "%s: %s", *path ? path : "top level", msg);
	for (char *p = c->err; *p; p++) /* keep it one printable line */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

void cfg_path_key(char out[CFG_PATH_MAX], const char *path, const char *key)
{
	snprintf(out, CFG_PATH_MAX, "%s%s%s", path, *path ? "." : "", key);
}

void cfg_path_idx(char out[CFG_PATH_MAX], const char *path, size_t i)
{
	snprintf(out, CFG_PATH_MAX, "%s[%zu]", path, i);
}

const char *cfg_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "real number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static bool key_known(const char *key, const char *const keys[])
{
	for (; *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

int cfg_check_object(struct cfg_ctx *c, const char *path, json_t *v, const char *const keys[])
{
	const char *key;
	json_t *val;
	char p[CFG_PATH_MAX];

	if (!json_is_object(v))
		return cfg_fail(c, path, "expected object, got %s", cfg_type_name(v));
	json_object_foreach(v, key, val) {
		if (!key_known(key, keys)) {
			cfg_path_key(p, path, key);
			return cfg_fail(c, p, "unknown key");
		}
	}
	return 0;
}

int cfg_get_object(struct cfg_ctx *c, const char *path, json_t *obj, const char *key,
		   const char *const keys[], json_t **out)
{
	char p[CFG_PATH_MAX];

	*out = json_object_get(obj, key);
	if (!*out)
		return 0;
	cfg_path_key(p, path, key);
	return cfg_check_object(c, p, *out, keys);
}

int cfg_require(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, json_t **out)
{
	*out = json_object_get(obj, key);
	return *out ? 0 : cfg_fail(c, path, "missing '%s'", key);
}

int cfg_get_uint(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, uint32_t lo,
		 uint32_t hi, uint32_t *out)
{
	json_t *v = json_object_get(obj, key);
	char p[CFG_PATH_MAX];

	if (!v)
		return 0;
	cfg_path_key(p, path, key);
	if (!json_is_integer(v))
		return cfg_fail(c, p, "expected integer %u-%u, got %s", lo, hi, cfg_type_name(v));
	json_int_t n = json_integer_value(v);
	if (n < (json_int_t)lo || n > (json_int_t)hi)
		return cfg_fail(c, p, "expected integer %u-%u, got %lld", lo, hi, (long long)n);
	*out = (uint32_t)n;
	return 0;
}

int cfg_get_u16(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, uint16_t lo,
		uint16_t hi, uint16_t *out)
{
	uint32_t v = *out;
	int rc = cfg_get_uint(c, path, obj, key, lo, hi, &v);

	if (rc == 0)
		*out = (uint16_t)v;
	return rc;
}

int cfg_get_bool(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	char p[CFG_PATH_MAX];

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		cfg_path_key(p, path, key);
		return cfg_fail(c, p, "expected boolean, got %s", cfg_type_name(v));
	}
	*out = json_is_true(v);
	return 0;
}

int cfg_get_number(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, double lo,
		   double hi, double *out)
{
	json_t *v = json_object_get(obj, key);
	char p[CFG_PATH_MAX];

	if (!v)
		return 0;
	cfg_path_key(p, path, key);
	if (!json_is_number(v))
		return cfg_fail(c, p, "expected number %g-%g, got %s", lo, hi, cfg_type_name(v));
	double d = json_number_value(v);
	if (!(d >= lo && d <= hi))
		return cfg_fail(c, p, "expected number %g-%g, got %g", lo, hi, d);
	*out = d;
	return 0;
}

int cfg_get_string(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, bool required,
		   const char **out)
{
	json_t *v = json_object_get(obj, key);
	char p[CFG_PATH_MAX];

	*out = NULL;
	if (!v)
		return required ? cfg_fail(c, path, "missing '%s'", key) : 0;
	if (!json_is_string(v)) {
		cfg_path_key(p, path, key);
		return cfg_fail(c, p, "expected string, got %s", cfg_type_name(v));
	}
	*out = json_string_value(v);
	return 0;
}

int cfg_get_strbuf(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, char *out,
		   size_t outlen)
{
	const char *s;
	char p[CFG_PATH_MAX];
	int rc = cfg_get_string(c, path, obj, key, false, &s);

	if (rc || !s)
		return rc;
	if (strlen(s) >= outlen) {
		cfg_path_key(p, path, key);
		return cfg_fail(c, p, "too long (at most %zu characters)", outlen - 1);
	}
	strcpy(out, s);
	return 0;
}

int cfg_get_array(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, size_t max,
		  json_t **out)
{
	json_t *v = json_object_get(obj, key);
	char p[CFG_PATH_MAX];

	*out = NULL;
	if (!v)
		return 0;
	cfg_path_key(p, path, key);
	if (!json_is_array(v))
		return cfg_fail(c, p, "expected array, got %s", cfg_type_name(v));
	if (json_array_size(v) > max)
		return cfg_fail(c, p, "too many entries (at most %zu)", max);
	*out = v;
	return 0;
}

int cfg_elem_string(struct cfg_ctx *c, const char *path, json_t *arr, size_t i, const char **out)
{
	json_t *v = json_array_get(arr, i);
	char p[CFG_PATH_MAX];

	if (!json_is_string(v)) {
		cfg_path_idx(p, path, i);
		return cfg_fail(c, p, "expected string, got %s", cfg_type_name(v));
	}
	*out = json_string_value(v);
	return 0;
}

int cfg_get_addr(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, uint16_t port,
		 ike_addr_t *out)
{
	char p[CFG_PATH_MAX];
	const char *s;
	int rc = cfg_get_string(c, path, obj, key, true, &s);

	if (rc)
		return rc;
	if (ike_addr_parse(s, out) != 0) {
		cfg_path_key(p, path, key);
		return cfg_fail(c, p, "invalid address '%s'", s);
	}
	out->port = port;
	return 0;
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

int cfg_get_name(struct cfg_ctx *c, const char *path, json_t *obj, const char *key, bool required,
		 size_t max, char *out)
{
	char p[CFG_PATH_MAX];
	const char *s;
	int rc = cfg_get_string(c, path, obj, key, required, &s);

	if (rc || !s)
		return rc;
	if (!name_ok(s, max)) {
		cfg_path_key(p, path, key);
		return cfg_fail(c, p, "invalid name '%s' (1-%d characters of A-Z a-z 0-9 _ . -)", s,
				(int)max - 1);
	}
	strcpy(out, s);
	return 0;
}

int cfg_get_enum(struct cfg_ctx *c, const char *path, json_t *o, const char *key,
		 const char *const names[], int *out)
{
	char p[CFG_PATH_MAX], want[160] = "";
	const char *s;
	int rc = cfg_get_string(c, path, o, key, false, &s);

	if (rc || !s)
		return rc;
	for (int i = 0; names[i]; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\"%s\"",
			 i ? ", " : "", names[i]);
	}
	cfg_path_key(p, path, key);
	return cfg_fail(c, p, "unknown value '%s' (expected %s)", s, want);
}
