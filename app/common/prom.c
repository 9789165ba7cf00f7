/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text format writer (app/common/prom.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/prom.h"

static void grow(struct app_prom *p, size_t more)
{
	size_t cap = p->cap ? p->cap : 4096;
	char *b;

	while (cap < p->len + more + 1)
		cap *= 2;
	if (cap == p->cap)
		return;
	if (!(b = realloc(p->buf, cap))) {
		p->failed = 1;
		return;
	}
	p->buf = b;
	p->cap = cap;
}

static void put(struct app_prom *p, const char *s, size_t n)
{
	if (p->failed)
		return;
	grow(p, n);
	if (p->failed)
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = 0;
}

static void puts_(struct app_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* HELP text escapes \ and newline; label values also ". */
static void escaped(struct app_prom *p, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (*s == '"' && quote)
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

void app_prom_family(struct app_prom *p, const char *name, enum app_prom_type t, const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	escaped(p, help, 0);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, t == APP_PROM_COUNTER ? " counter\n" : " gauge\n");
}

void app_prom_sample(struct app_prom *p, const char *name, const char *const *labels,
		     uint64_t value)
{
	char v[32];

	puts_(p, name);
	for (unsigned i = 0; labels && labels[i]; i += 2) {
		puts_(p, i ? "," : "{");
		puts_(p, labels[i]);
		puts_(p, "=\"");
		escaped(p, labels[i + 1] ? labels[i + 1] : "", 1);
		puts_(p, "\"");
	}
	if (labels && labels[0])
		puts_(p, "}");
	snprintf(v, sizeof(v), " %" PRIu64 "\n", value);
	puts_(p, v);
}

void app_prom_one(struct app_prom *p, const char *name, enum app_prom_type t, const char *help,
		  uint64_t value)
{
	app_prom_family(p, name, t, help);
	app_prom_sample(p, name, NULL, value);
}

void app_prom_free(struct app_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}
