/* SPDX-License-Identifier: BSD-3-Clause */
/* Log lines of both programs, one format: "YYYY-mm-ddTHH:MM:SS.mmm LEVEL
 * subsys: message" (local time), or one JSON object a line
 * ({"time":..,"level":..,"subsys":..,"msg":..}, log.format "json"); when
 * stderr is the journal (JOURNAL_STREAM, sd-daemon(3)) each line starts
 * with its syslog priority "<N>" and the journal keeps the time. The
 * subsystems (ike, fastpath, eal, control) have a level each, settable at
 * run time (ipsecgw-ctl log-level). One line per call, flushed at once so
 * that tests can tail it, or in batched mode once per event-loop round (and
 * at once for WARN and ERR). Control characters in messages are replaced
 * by '?' (escaped in JSON) so that a peer-supplied string cannot forge a
 * line. Event lines are formatted here as well, so that their exact text
 * can be unit-tested. A mutex serialises output: DPDK writes its lines from
 * its own threads (app_log_dpdk_line()). */
#ifndef APP_LOG_H
#define APP_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "ike/ike.h"

#define APP_LOG_LINE_MAX 2048

enum app_log_subsys { APP_LOG_IKE, APP_LOG_FASTPATH, APP_LOG_EAL, APP_LOG_CONTROL, APP_LOG_NSUB };

enum app_log_format { APP_LOG_FMT_TEXT, APP_LOG_FMT_JSON };

/* Lines above lvl are dropped, in every subsystem. Default IKE_LOG_INFO. */
void app_log_set_level(enum ike_log_level lvl);
/* The IKE subsystem's level. */
enum ike_log_level app_log_get_level(void);
void app_log_set_subsys_level(enum app_log_subsys sub, enum ike_log_level lvl);
enum ike_log_level app_log_subsys_level(enum app_log_subsys sub);
/* "ike", "fastpath", "eal", "control". */
const char *app_log_subsys_name(enum app_log_subsys sub);
/* A subsystem by name, APP_LOG_NSUB for "all"; -1 when unknown. */
int app_log_parse_subsys(const char *name);
/* "error"/"err", "warning"/"warn", "info", "debug": 0, or -1 when unknown. */
int app_log_parse_level(const char *name, enum ike_log_level *lvl);
/* Syslog priority of a level (sd-daemon(3)): 3, 4, 6, 7. */
int app_log_priority(enum ike_log_level lvl);
void app_log_set_format(enum app_log_format fmt);
/* "<N>" priority prefixes and no time stamp (the journal has its own). */
void app_log_set_journal(bool on);
/* True when stderr is the journal: JOURNAL_STREAM names its device and
 * inode (systemd.exec(5)). */
bool app_log_stderr_is_journal(void);
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

/* A line of the IKE subsystem. */
void app_log(enum ike_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line of subsystem sub. */
void app_logs(enum app_log_subsys sub, enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A line DPDK wrote (one or more '\n'-ended lines, without formatting). */
void app_log_dpdk_line(enum ike_log_level lvl, const char *text, size_t len);

/* The line's shape, for app_log_format(). */
struct app_log_style {
	enum app_log_format format;
	bool journal;
};

/* Formats one complete line (with '\n') for the wall-clock time ts into buf;
 * returns its length. Exposed for tests. */
size_t app_log_format(char *buf, size_t len, const struct app_log_style *st,
		      const struct timespec *ts, enum app_log_subsys sub, enum ike_log_level lvl,
		      const char *msg);

/* At most burst lines per window_ms; a line let through after some were
 * held back reports how many in *suppressed. Single-threaded. */
struct app_log_limit {
	uint64_t start_ms;
	unsigned n, suppressed;
};
bool app_log_limit_take(struct app_log_limit *l, uint64_t now_ms, unsigned burst,
			uint64_t window_ms, unsigned *suppressed);

/* "event CHILD_UP conn=c1 child=net spi_in=... ..." without level or newline.
 * Never contains key material. Returns buf. */
const char *app_log_event_str(const struct ike_event *ev, char *buf, size_t len);

#endif
