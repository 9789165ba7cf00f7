/* SPDX-License-Identifier: BSD-3-Clause */
/* Log lines of the daemon: "YYYY-mm-ddTHH:MM:SS.mmm LEVEL message", local
 * time, one line per call, flushed at once so that tests can tail it, or in
 * batched mode once per event-loop round (and at once for WARN and ERR). Control
 * characters in messages are replaced by '?' so that a peer-supplied string
 * cannot forge a line. Event lines are formatted here as well, so that their
 * exact text can be unit-tested. Single-threaded: no locking. */
#ifndef APP_LOG_H
#define APP_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "ike/ike.h"

#define APP_LOG_LINE_MAX 2048

/* Lines above lvl are dropped. Default IKE_LOG_INFO. */
void app_log_set_level(enum ike_log_level lvl);
enum ike_log_level app_log_get_level(void);
/* Destination; default stderr (NULL restores it). */
void app_log_set_output(FILE *f);
/* Batched mode: lines are held (32 KiB at most) until app_log_flush(),
 * except WARN and ERR lines, which flush everything held. The daemon turns
 * it on and flushes before every wait, so a line is never held longer than
 * one round of its event loop; turning it off flushes. */
void app_log_set_batched(bool on);
void app_log_flush(void);

/* CLOCK_MONOTONIC in milliseconds: the clock the IKE engine is driven by. */
uint64_t app_mono_ms(void);

/* The key log (log.keylog): opened for appending, mode 0600, not through a
 * symbolic link, with a warning that secrets are written in clear; NULL
 * with an error line when it cannot be opened. */
FILE *app_keylog_open(const char *path);
/* One key log line, flushed at once (a reader may be decrypting live);
 * nothing when f is NULL. */
void app_keylog_write(FILE *f, const char *line);

/* "ERR", "WARN", "INFO", "DEBUG". */
const char *app_log_level_name(enum ike_log_level lvl);

void app_log(enum ike_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats one complete line (with '\n') for the wall-clock time ts into buf;
 * returns its length. Exposed for tests. */
size_t app_log_format(char *buf, size_t len, const struct timespec *ts, enum ike_log_level lvl,
		      const char *msg);

/* "event CHILD_UP conn=c1 child=net spi_in=... ..." without level or newline.
 * Never contains key material. Returns buf. */
const char *app_log_event_str(const struct ike_event *ev, char *buf, size_t len);

#endif
