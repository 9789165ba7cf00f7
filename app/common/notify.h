/* SPDX-License-Identifier: BSD-3-Clause */
/* The systemd service protocol (sd_notify through libsystemd): READY=1 once
 * the sockets are open, STOPPING=1 when shutdown starts, WATCHDOG=1 from the
 * main loop when the unit sets WatchdogSec. Every call does nothing when the
 * program was not started by systemd (no $NOTIFY_SOCKET) or was built
 * without libsystemd. */
#ifndef APP_NOTIFY_H
#define APP_NOTIFY_H

#include <stdint.h>

void app_notify_ready(const char *status);
void app_notify_stopping(void);
/* RELOADING=1 while the configuration is read again; app_notify_ready()
 * when it is done. */
void app_notify_reloading(void);
/* Sends WATCHDOG=1 when half the watchdog interval has passed since the
 * last one; returns when it is next due (ms, the clock of now_ms), or
 * UINT64_MAX when there is no watchdog. */
uint64_t app_notify_watchdog(uint64_t now_ms);

#endif
