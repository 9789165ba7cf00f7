/* SPDX-License-Identifier: BSD-3-Clause */
/* The Prometheus text exposition format (version 0.0.4) written into a
 * growing buffer: one HELP and TYPE line per family, then its samples with
 * labels, values escaped as the format says. Families must be written
 * whole, one after the other (the format forbids interleaving). */
#ifndef APP_PROM_H
#define APP_PROM_H

#include <stddef.h>
#include <stdint.h>

struct app_prom {
	char *buf;
	size_t len, cap;
	int failed; /* out of memory: the text is cut, the scrape answers 500 */
};

enum app_prom_type { APP_PROM_COUNTER, APP_PROM_GAUGE };

/* Starts a family: name (with "_total" for counters), help, type. */
void app_prom_family(struct app_prom *p, const char *name, enum app_prom_type t, const char *help);
/* A sample of the current family. labels: NULL-terminated name, value
 * pairs (NULL for none); values are escaped. */
void app_prom_sample(struct app_prom *p, const char *name, const char *const *labels,
		     uint64_t value);
/* A family with one sample and no label. */
void app_prom_one(struct app_prom *p, const char *name, enum app_prom_type t, const char *help,
		  uint64_t value);
void app_prom_free(struct app_prom *p);

#endif
