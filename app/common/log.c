/* SPDX-License-Identifier: BSD-3-Clause */
/* Log line formatting and output; see log.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/common/log.h"

static enum ike_log_level sub_level[APP_LOG_NSUB] = { IKE_LOG_INFO, IKE_LOG_INFO, IKE_LOG_INFO,
						      IKE_LOG_INFO };
static FILE *log_out;
static struct app_log_style style;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const sub_names[APP_LOG_NSUB] = { "ike", "fastpath", "eal", "control" };

void app_log_set_level(enum ike_log_level lvl)
{
	for (unsigned i = 0; i < APP_LOG_NSUB; i++)
		sub_level[i] = lvl;
}

enum ike_log_level app_log_get_level(void)
{
	return sub_level[APP_LOG_IKE];
}

void app_log_set_subsys_level(enum app_log_subsys sub, enum ike_log_level lvl)
{
	if ((unsigned)sub < APP_LOG_NSUB)
		sub_level[sub] = lvl;
}

enum ike_log_level app_log_subsys_level(enum app_log_subsys sub)
{
	return (unsigned)sub < APP_LOG_NSUB ? sub_level[sub] : IKE_LOG_INFO;
}

const char *app_log_subsys_name(enum app_log_subsys sub)
{
	return (unsigned)sub < APP_LOG_NSUB ? sub_names[sub] : "?";
}

int app_log_parse_subsys(const char *name)
{
	if (strcmp(name, "all") == 0)
		return APP_LOG_NSUB;
	for (unsigned i = 0; i < APP_LOG_NSUB; i++)
		if (strcmp(name, sub_names[i]) == 0)
			return (int)i;
	return -1;
}

int app_log_parse_level(const char *name, enum ike_log_level *lvl)
{
	static const struct {
		const char *name;
		enum ike_log_level lvl;
	} names[] = { { "error", IKE_LOG_ERR },    { "err", IKE_LOG_ERR },
		      { "warning", IKE_LOG_WARN }, { "warn", IKE_LOG_WARN },
		      { "info", IKE_LOG_INFO },    { "debug", IKE_LOG_DEBUG } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			*lvl = names[i].lvl;
			return 0;
		}
	return -1;
}

int app_log_priority(enum ike_log_level lvl)
{
	switch (lvl) {
	case IKE_LOG_ERR: return 3;
	case IKE_LOG_WARN: return 4;
	case IKE_LOG_INFO: return 6;
	case IKE_LOG_DEBUG: return 7;
	}
	return 6;
}

void app_log_set_format(enum app_log_format fmt)
{
	style.format = fmt;
}

void app_log_set_journal(bool on)
{
	style.journal = on;
}

bool app_log_stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void app_log_set_output(FILE *f)
{
	log_out = f;
}

const char *app_log_level_name(enum ike_log_level lvl)
{
	switch (lvl) {
	case IKE_LOG_ERR: return "ERR";
	case IKE_LOG_WARN: return "WARN";
	case IKE_LOG_INFO: return "INFO";
	case IKE_LOG_DEBUG: return "DEBUG";
	}
	return "?";
}

/* The date and time part changes once a second; a responder under load
 * writes thousands of lines a second, so keep the last one. */
static struct {
	time_t sec;
	char text[32];
	size_t len;
} stamp_cache = { .sec = -1 };

static size_t format_stamp(char *buf, size_t len, time_t sec)
{
	struct tm tm;

	if (sec != stamp_cache.sec) {
		if (!localtime_r(&sec, &tm))
			memset(&tm, 0, sizeof(tm));
		stamp_cache.len = strftime(stamp_cache.text, sizeof(stamp_cache.text),
					   "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_cache.sec = sec;
	}
	if (stamp_cache.len >= len)
		return 0;
	memcpy(buf, stamp_cache.text, stamp_cache.len + 1);
	return stamp_cache.len;
}

/* The message, control characters neutralised ('?' in text, \u00XX in
 * JSON, where '"' and '\' are escaped too); stops at room. */
static size_t put_msg(char *buf, size_t n, size_t room, const char *msg, bool json)
{
	for (; *msg && n < room; msg++) {
		unsigned char c = (unsigned char)*msg;

		if (!json) {
			buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			if (n + 6 > room)
				break;
			n += (size_t)snprintf(buf + n, 7, "\\u%04x", c);
		} else if (c == '"' || c == '\\') {
			if (n + 2 > room)
				break;
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else {
			buf[n++] = (char)c;
		}
	}
	return n;
}

size_t app_log_format(char *buf, size_t len, const struct app_log_style *st,
		      const struct timespec *ts, enum app_log_subsys sub, enum ike_log_level lvl,
		      const char *msg)
{
	bool json = st->format == APP_LOG_FMT_JSON;
	char stamp[40];
	size_t n = 0, room;

	if (len < 128)
		return 0;
	if (st->journal)
		n += (size_t)snprintf(buf, len, "<%d>", app_log_priority(lvl));
	format_stamp(stamp, 32, ts->tv_sec);
	snprintf(stamp + strlen(stamp), 8, ".%03ld", (long)(ts->tv_nsec / 1000000) % 1000);
	if (json)
		n += (size_t)snprintf(
			buf + n, len - n,
			"{\"time\":\"%s\",\"level\":\"%s\",\"subsys\":\"%s\",\"msg\":\"", stamp,
			app_log_level_name(lvl), app_log_subsys_name(sub));
	else
		n += (size_t)snprintf(buf + n, len - n, "%s%s%s %s: ", st->journal ? "" : stamp,
				      st->journal ? "" : " ", app_log_level_name(lvl),
				      app_log_subsys_name(sub));
	/* Keep room for the closing '"}' and '\n'. */
	room = len - 4;
	n = put_msg(buf, n, room, msg, json);
	if (json) {
		buf[n++] = '"';
		buf[n++] = '}';
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

bool app_log_limit_take(struct app_log_limit *l, uint64_t now_ms, unsigned burst,
			uint64_t window_ms, unsigned *suppressed)
{
	*suppressed = 0;
	if (l->n == 0 || now_ms - l->start_ms >= window_ms) {
		*suppressed = l->suppressed;
		l->start_ms = now_ms;
		l->n = 0;
		l->suppressed = 0;
	}
	if (l->n >= burst) {
		l->suppressed++;
		return false;
	}
	l->n++;
	return true;
}

/* Batched output (app_log_set_batched): lines collect here and go out in
 * one write per event-loop round instead of one per line. */
static struct {
	bool on;
	size_t n;
	char buf[32768];
} batch;

static void flush_locked(void)
{
	FILE *f = log_out ? log_out : stderr;

	if (batch.n) {
		fwrite(batch.buf, 1, batch.n, f);
		batch.n = 0;
	}
	fflush(f);
}

void app_log_flush(void)
{
	pthread_mutex_lock(&log_lock);
	flush_locked();
	pthread_mutex_unlock(&log_lock);
}

void app_log_set_batched(bool on)
{
	pthread_mutex_lock(&log_lock);
	if (!on)
		flush_locked();
	batch.on = on;
	pthread_mutex_unlock(&log_lock);
}

static void emit(enum app_log_subsys sub, enum ike_log_level lvl, const char *msg)
{
	char line[APP_LOG_LINE_MAX * 2 + 128];
	struct timespec ts;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&log_lock);
	n = app_log_format(line, sizeof(line), &style, &ts, sub, lvl, msg);
	if (batch.on && batch.n + n > sizeof(batch.buf))
		flush_locked();
	if (batch.on && n <= sizeof(batch.buf)) {
		memcpy(batch.buf + batch.n, line, n);
		batch.n += n;
	} else {
		fwrite(line, 1, n, log_out ? log_out : stderr);
	}
	/* Warnings and errors are out before anything else happens: they
	 * are what an operator reads after a crash. */
	if (!batch.on || lvl <= IKE_LOG_WARN)
		flush_locked();
	pthread_mutex_unlock(&log_lock);
}

static void vlogs(enum app_log_subsys sub, enum ike_log_level lvl, const char *fmt, va_list ap)
{
	char msg[APP_LOG_LINE_MAX];

	if (lvl > app_log_subsys_level(sub))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(sub, lvl, msg);
}

void app_log(enum ike_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogs(APP_LOG_IKE, lvl, fmt, ap);
	va_end(ap);
}

void app_logs(enum app_log_subsys sub, enum ike_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogs(sub, lvl, fmt, ap);
	va_end(ap);
}

void app_log_dpdk_line(enum ike_log_level lvl, const char *text, size_t len)
{
	char msg[APP_LOG_LINE_MAX];

	if (lvl > sub_level[APP_LOG_EAL])
		return;
	while (len > 0) {
		size_t k = 0;

		while (k < len && text[k] != '\n')
			k++;
		if (k > 0) {
			snprintf(msg, sizeof(msg), "%.*s", (int)k, text);
			emit(APP_LOG_EAL, lvl, msg);
		}
		text += k < len ? k + 1 : k;
		len -= k < len ? k + 1 : k;
	}
}

/* ---- event lines ---- */

/* Appending writer that truncates silently and stays NUL-terminated. */
struct sbuf {
	char *p;
	size_t len, n;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (b->n >= b->len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(b->p + b->n, b->len - b->n, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	b->n += (size_t)r;
	if (b->n >= b->len)
		b->n = b->len - 1;
}

/* reason="..." with '"' and '\' escaped. */
static void sb_reason(struct sbuf *b, const char *reason)
{
	sb_add(b, " reason=\"");
	for (; reason && *reason; reason++) {
		if (*reason == '"' || *reason == '\\')
			sb_add(b, "\\%c", *reason);
		else
			sb_add(b, "%c", *reason);
	}
	sb_add(b, "\"");
}

static void sb_ts_list(struct sbuf *b, const char *key, const struct ike_ts *ts, unsigned n)
{
	char tmp[128];

	sb_add(b, " %s=", key);
	if (n == 0)
		sb_add(b, "-");
	for (unsigned i = 0; i < n && i < IKE_MAX_TS; i++)
		sb_add(b, "%s%s", i ? "," : "", ike_ts_str(&ts[i], tmp, sizeof(tmp)));
}

static const char *event_type_name(enum ike_event_type t)
{
	switch (t) {
	case IKE_EV_IKE_UP: return "IKE_UP";
	case IKE_EV_IKE_REKEYED: return "IKE_REKEYED";
	case IKE_EV_IKE_DOWN: return "IKE_DOWN";
	case IKE_EV_CHILD_UP: return "CHILD_UP";
	case IKE_EV_CHILD_REKEYED: return "CHILD_REKEYED";
	case IKE_EV_CHILD_DOWN: return "CHILD_DOWN";
	case IKE_EV_FAILED: return "FAILED";
	case IKE_EV_CHILD_MOVED: return "CHILD_MOVED";
	case IKE_EV_TRAP: return "TRAP";
	}
	return "UNKNOWN";
}

/* full: the whole SA (UP/REKEYED); otherwise just its name and SPIs. */
static void sb_child(struct sbuf *b, const struct ike_child_info *c, bool full, bool rekeyed)
{
	char tmp[128], a1[64], a2[64];

	sb_add(b, " child=%s child_id=%u spi_in=%08x spi_out=%08x", c->child ? c->child : "-",
	       c->id, c->spi_in, c->spi_out);
	if (rekeyed)
		sb_add(b, " old_spi_in=%08x", c->old_spi_in);
	if (!full)
		return;
	sb_add(b, " algs=%s mode=%s encap=%s", ike_algs_str(&c->algs, false, tmp, sizeof(tmp)),
	       c->mode == IKE_MODE_TRANSPORT ? "transport" : "tunnel", c->encap ? "yes" : "no");
	sb_ts_list(b, "local_ts", c->local_ts, c->n_local_ts);
	sb_ts_list(b, "remote_ts", c->remote_ts, c->n_remote_ts);
	sb_add(b, " local=%s remote=%s", ike_addr_str(&c->local, a1, sizeof(a1)),
	       ike_addr_str(&c->remote, a2, sizeof(a2)));
}

const char *app_log_event_str(const struct ike_event *ev, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	char tmp[128];

	if (len == 0)
		return buf;
	buf[0] = '\0';
	sb_add(&b, "event %s conn=%s", event_type_name(ev->type), ev->conn ? ev->conn : "-");
	if (ev->ike_id)
		sb_add(&b, " ike_id=%u", ev->ike_id);
	if (ev->old_ike_id)
		sb_add(&b, " old_ike_id=%u", ev->old_ike_id);
	switch (ev->type) {
	case IKE_EV_IKE_UP:
	case IKE_EV_IKE_REKEYED:
		sb_add(&b, " spi_i=%016llx spi_r=%016llx", (unsigned long long)ev->spi_i,
		       (unsigned long long)ev->spi_r);
		if (ev->type == IKE_EV_IKE_REKEYED)
			sb_add(&b, " old_spi_i=%016llx old_spi_r=%016llx",
			       (unsigned long long)ev->old_spi_i,
			       (unsigned long long)ev->old_spi_r);
		sb_add(&b, " algs=%s", ike_algs_str(&ev->algs, true, tmp, sizeof(tmp)));
		break;
	case IKE_EV_CHILD_UP:
	case IKE_EV_CHILD_REKEYED:
	case IKE_EV_CHILD_DOWN:
	case IKE_EV_CHILD_MOVED:
		if (ev->child)
			sb_child(&b, ev->child, ev->type != IKE_EV_CHILD_DOWN,
				 ev->type == IKE_EV_CHILD_REKEYED);
		if (ev->type == IKE_EV_CHILD_DOWN)
			sb_reason(&b, ev->reason);
		break;
	case IKE_EV_IKE_DOWN:
	case IKE_EV_FAILED:
	case IKE_EV_TRAP:
		if (ev->spi_i || ev->spi_r)
			sb_add(&b, " spi_i=%016llx spi_r=%016llx", (unsigned long long)ev->spi_i,
			       (unsigned long long)ev->spi_r);
		if (ev->type == IKE_EV_FAILED && ev->child && ev->child->child)
			sb_add(&b, " child=%s", ev->child->child);
		sb_reason(&b, ev->reason);
		break;
	}
	return buf;
}

/* An existing key log is appended to only when it is ours and no one
 * else may read it: a file another user made (or left readable) would
 * hand the session keys to them. */
static int keylog_check(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		app_log(IKE_LOG_ERR, "key log %s: not a regular file", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		app_log(IKE_LOG_ERR, "key log %s: owned by uid %u, not by us (uid %u): refused",
			path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & 077) {
		app_log(IKE_LOG_ERR,
			"key log %s: mode %04o lets others read it: refused (chmod 600)", path,
			(unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

FILE *app_keylog_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f = NULL;

	if (fd < 0 && errno == EEXIST) {
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0 && keylog_check(fd, path) < 0) {
			close(fd);
			return NULL;
		}
	}
	if (fd < 0 || !(f = fdopen(fd, "a"))) {
		app_log(IKE_LOG_ERR, "cannot open key log %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	app_log(IKE_LOG_WARN, "key logging enabled to %s: secrets are written in clear", path);
	return f;
}

void app_keylog_write(FILE *f, const char *line)
{
	if (f == NULL)
		return;
	fputs(line, f);
	fputc('\n', f);
	fflush(f);
}

uint64_t app_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
