/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "app/common/log.h"
#include "app/common/notify.h"

#ifdef APP_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

static struct {
	bool probed;
	uint64_t interval_ms; /* 0: no watchdog */
	uint64_t next_ms;
} wd;

static void notify(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0)
		app_log(IKE_LOG_WARN, "sd_notify(%s) failed: error %d", state, -rc);
}

void app_notify_ready(const char *status)
{
	char line[256];

	snprintf(line, sizeof(line), "READY=1\nSTATUS=%s", status ? status : "running");
	notify(line);
}

void app_notify_stopping(void)
{
	notify("STOPPING=1");
}

void app_notify_reloading(void)
{
	struct timespec ts;
	char line[96];

	/* systemd 253 and later want the time the reload began */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(line, sizeof(line), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
			 (unsigned long long)ts.tv_nsec / 1000);
	notify(line);
}

uint64_t app_notify_watchdog(uint64_t now_ms)
{
	uint64_t usec = 0;

	if (!wd.probed) {
		wd.probed = true;
		/* Pinged at half the interval, as sd_watchdog_enabled(3) advises:
		 * a loop that is merely slow is not taken for a hung one. */
		if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
			wd.interval_ms = usec / 2000;
		wd.next_ms = now_ms;
	}
	if (!wd.interval_ms)
		return UINT64_MAX;
	if (now_ms >= wd.next_ms) {
		notify("WATCHDOG=1");
		wd.next_ms = now_ms + wd.interval_ms;
	}
	return wd.next_ms;
}

#else /* built without libsystemd: not a systemd service */

void app_notify_ready(const char *status)
{
	(void)status;
}

void app_notify_stopping(void)
{
}

void app_notify_reloading(void)
{
}

uint64_t app_notify_watchdog(uint64_t now_ms)
{
	(void)now_ms;
	return UINT64_MAX;
}

#endif
