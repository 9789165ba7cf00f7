/* SPDX-License-Identifier: BSD-3-Clause */
/* The fetch thread: plain HTTP over non-blocking sockets, several fetches
 * at once in one poll() loop, each bounded in time (connect to last byte)
 * and in size. Jobs come in through a locked list and an eventfd, and go
 * back the same way; the caller's thread never waits on a socket.
 * Host names are resolved with getaddrinfo() here, which blocks this
 * thread (not the caller's) for as long as the resolver takes: addresses
 * in URLs need no resolver. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ike/pki/rev_priv.h"

#define RF_MAX_CONNS 16
#define RF_READ      65536

enum rf_state { RF_CONNECTING, RF_SENDING, RF_RECEIVING };

struct rf_conn {
	struct rev_job *job;
	int fd;
	enum rf_state state;
	struct addrinfo *ai, *cur;
	uint8_t *out;
	size_t out_len, sent;
	uint8_t *in;
	size_t in_len, in_cap, in_max;
	uint64_t deadline_ms;
};

struct rev_fetcher {
	pthread_t thr;
	pthread_mutex_t mu;
	struct rev_job *in_head, *in_tail, *done_head, *done_tail;
	int wake_fd; /* jobs in, or stop */
	int done_fd; /* jobs out */
	bool stop;
	bool started; /* the thread runs (from the first job on) */
	struct rf_conn conns[RF_MAX_CONNS];
	unsigned n_conns;
};

static uint64_t rf_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rf_push(struct rev_job **head, struct rev_job **tail, struct rev_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static void rf_signal(int fd)
{
	uint64_t one = 1;

	/* An eventfd write fails only when the counter would overflow,
	 * and then it is already readable. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("revocation: eventfd");
}

static void rf_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		perror("revocation: eventfd");
}

/* Hands a finished job back to the caller's thread. */
static void rf_done(struct rev_fetcher *f, struct rev_job *j)
{
	pthread_mutex_lock(&f->mu);
	rf_push(&f->done_head, &f->done_tail, j);
	pthread_mutex_unlock(&f->mu);
	rf_signal(f->done_fd);
}

static void rf_close(struct rf_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->ai)
		freeaddrinfo(c->ai);
	free(c->out);
	free(c->in);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Ends conn i with an error or a body, and hands its job back. */
static void rf_end(struct rev_fetcher *f, unsigned i, const char *err, const uint8_t *body,
		   size_t len)
{
	struct rf_conn *c = &f->conns[i];
	struct rev_job *j = c->job;

	if (err)
		snprintf(j->err, sizeof(j->err), "%s", err);
	else
		rev_job_process(j, body, len);
	rf_close(c);
	f->conns[i] = f->conns[--f->n_conns];
	rf_done(f, j);
}

/* Connects to the next address of c; -1 when none is left. */
static int rf_connect_next(struct rf_conn *c)
{
	for (; c->cur; c->cur = c->cur->ai_next) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = socket(c->cur->ai_family,
			       c->cur->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       c->cur->ai_protocol);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, c->cur->ai_addr, c->cur->ai_addrlen) == 0) {
			c->state = RF_SENDING;
			return 0;
		}
		if (errno == EINPROGRESS) {
			c->state = RF_CONNECTING;
			return 0;
		}
	}
	return -1;
}

static int rf_request(struct rf_conn *c, const struct ike_rev_url *u)
{
	struct rev_job *j = c->job;
	char head[2048];
	int n = ike_rev_http_request(head, sizeof(head), u,
				     j->body ? "application/ocsp-request" : NULL, j->body_len);

	if (n < 0)
		return -1;
	c->out = malloc((size_t)n + j->body_len);
	if (!c->out)
		return -1;
	memcpy(c->out, head, (size_t)n);
	if (j->body_len)
		memcpy(c->out + n, j->body, j->body_len);
	c->out_len = (size_t)n + j->body_len;
	c->in_max = IKE_REV_HTTP_MAX_HDR + j->max_body + 1;
	return 0;
}

/* Opens a fetch for job j in a new conn. */
static void rf_open(struct rev_fetcher *f, struct rev_job *j)
{
	struct rf_conn *c = &f->conns[f->n_conns++];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct ike_rev_url u;
	char err[400];
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->job = j;
	c->deadline_ms = rf_ms() + j->timeout_ms;
	if (ike_rev_url_parse(j->url, &u, err, sizeof(err)) != 0) {
		rf_end(f, f->n_conns - 1, err, NULL, 0);
		return;
	}
	if (rf_request(c, &u) != 0) {
		rf_end(f, f->n_conns - 1, "cannot build the request", NULL, 0);
		return;
	}
	rc = getaddrinfo(u.host, u.port, &hints, &c->ai);
	if (rc != 0) {
		snprintf(err, sizeof(err), "cannot resolve %s: %s", u.host, gai_strerror(rc));
		rf_end(f, f->n_conns - 1, err, NULL, 0);
		return;
	}
	c->cur = c->ai;
	if (rf_connect_next(c) != 0)
		rf_end(f, f->n_conns - 1, strerror(errno), NULL, 0);
}

/* Moves submitted jobs into free conns. */
static void rf_admit(struct rev_fetcher *f)
{
	struct rev_job *j;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		j = f->n_conns < RF_MAX_CONNS ? f->in_head : NULL;
		if (j) {
			f->in_head = j->next;
			if (!f->in_head)
				f->in_tail = NULL;
		}
		pthread_mutex_unlock(&f->mu);
		if (!j)
			return;
		rf_open(f, j);
	}
}

static const char *rf_connected(struct rf_conn *c)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		soerr = errno;
	if (soerr == 0) {
		c->state = RF_SENDING;
		return NULL;
	}
	c->cur = c->cur->ai_next;
	errno = soerr;
	return rf_connect_next(c) == 0 ? NULL : strerror(soerr);
}

static const char *rf_send(struct rf_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->sent, c->out_len - c->sent, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? NULL : strerror(errno);
	c->sent += (size_t)n;
	if (c->sent == c->out_len)
		c->state = RF_RECEIVING;
	return NULL;
}

/* Grows the input buffer towards in_max; -1 when it is full. */
static int rf_room(struct rf_conn *c)
{
	size_t cap;
	uint8_t *p;

	if (c->in_len < c->in_cap)
		return 0;
	if (c->in_cap >= c->in_max)
		return -1;
	cap = c->in_cap ? c->in_cap * 2 : RF_READ;
	if (cap > c->in_max)
		cap = c->in_max;
	p = realloc(c->in, cap);
	if (!p)
		return -1;
	c->in = p;
	c->in_cap = cap;
	return 0;
}

/* Reads what is there and parses all of it; 1 when conn i ended. */
static int rf_receive(struct rev_fetcher *f, unsigned i)
{
	struct rf_conn *c = &f->conns[i];
	struct ike_rev_http_resp r;
	char err[200];
	ssize_t n;
	int rc;

	if (rf_room(c) != 0) {
		snprintf(err, sizeof(err), "answer over %zu bytes", c->in_max - 1);
		rf_end(f, i, err, NULL, 0);
		return 1;
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0) {
		rf_end(f, i, strerror(errno), NULL, 0);
		return 1;
	}
	c->in_len += (size_t)n;
	rc = ike_rev_http_parse(c->in, c->in_len, n == 0, c->job->max_body, &r, err, sizeof(err));
	if (rc == IKE_REV_HTTP_MORE)
		return 0;
	rf_end(f, i, rc == IKE_REV_HTTP_DONE ? NULL : err, c->in + r.body_off, r.body_len);
	return 1;
}

/* Handles poll's events on conn i; 1 when it ended. */
static int rf_event(struct rev_fetcher *f, unsigned i, short revents)
{
	struct rf_conn *c = &f->conns[i];
	const char *err = NULL;

	if (c->state == RF_RECEIVING && (revents & (POLLIN | POLLHUP | POLLERR)))
		return rf_receive(f, i);
	if (c->state == RF_CONNECTING && revents)
		err = rf_connected(c);
	else if (c->state == RF_SENDING && revents)
		err = (revents & POLLERR) ? "connection failed" : rf_send(c);
	if (err) {
		rf_end(f, i, err, NULL, 0);
		return 1;
	}
	return 0;
}

static void rf_expire(struct rev_fetcher *f, uint64_t now)
{
	char err[100];

	for (unsigned i = 0; i < f->n_conns;) {
		if (f->conns[i].deadline_ms > now) {
			i++;
			continue;
		}
		snprintf(err, sizeof(err), "no complete answer within %u ms",
			 f->conns[i].job->timeout_ms);
		rf_end(f, i, err, NULL, 0);
	}
}

/* One poll() over the wake fd and the open conns, and what it found. */
static void rf_poll_once(struct rev_fetcher *f)
{
	struct pollfd pfd[RF_MAX_CONNS + 1];
	unsigned n = f->n_conns;
	uint64_t now = rf_ms(), first = now + 60000;

	pfd[0] = (struct pollfd){ .fd = f->wake_fd, .events = POLLIN };
	for (unsigned i = 0; i < n; i++) {
		struct rf_conn *c = &f->conns[i];

		pfd[i + 1] = (struct pollfd){ .fd = c->fd,
					      .events = c->state == RF_RECEIVING ? POLLIN
										 : POLLOUT };
		if (c->deadline_ms < first)
			first = c->deadline_ms;
	}
	if (poll(pfd, n + 1, first > now ? (int)(first - now) : 0) < 0 && errno != EINTR)
		perror("revocation: poll");
	if (pfd[0].revents & POLLIN)
		rf_drain(f->wake_fd);
	/* Backwards: rf_end moves the last conn into the ended one's place. */
	for (unsigned i = n; i-- > 0;)
		if (pfd[i + 1].revents)
			rf_event(f, i, pfd[i + 1].revents);
	rf_expire(f, rf_ms());
}

static void *rf_main(void *arg)
{
	struct rev_fetcher *f = arg;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		stop = f->stop;
		pthread_mutex_unlock(&f->mu);
		if (stop)
			break;
		rf_admit(f);
		rf_poll_once(f);
	}
	while (f->n_conns) {
		struct rev_job *j = f->conns[0].job;

		rf_close(&f->conns[0]);
		f->conns[0] = f->conns[--f->n_conns];
		rev_job_free(j);
	}
	return NULL;
}

struct rev_fetcher *rev_fetch_start(void)
{
	struct rev_fetcher *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->wake_fd < 0 || f->done_fd < 0) {
		if (f->wake_fd >= 0)
			close(f->wake_fd);
		if (f->done_fd >= 0)
			close(f->done_fd);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return NULL;
	}
	return f;
}

static void rf_free_list(struct rev_job *j)
{
	while (j) {
		struct rev_job *next = j->next;

		rev_job_free(j);
		j = next;
	}
}

void rev_fetch_stop(struct rev_fetcher *f)
{
	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->mu);
		f->stop = true;
		pthread_mutex_unlock(&f->mu);
		rf_signal(f->wake_fd);
		pthread_join(f->thr, NULL);
	}
	rf_free_list(f->in_head);
	rf_free_list(f->done_head);
	close(f->wake_fd);
	close(f->done_fd);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* The thread starts with the first job, not with the context: a program
 * that never fetches has none, and one that drops its privileges after
 * setting up (app/common/privs.c) starts it without them, since a thread
 * keeps the capabilities it was created with. */
int rev_fetch_submit(struct rev_fetcher *f, struct rev_job *job)
{
	if (!f->started && pthread_create(&f->thr, NULL, rf_main, f) != 0)
		return -1;
	f->started = true;
	pthread_mutex_lock(&f->mu);
	rf_push(&f->in_head, &f->in_tail, job);
	pthread_mutex_unlock(&f->mu);
	rf_signal(f->wake_fd);
	return 0;
}

struct rev_job *rev_fetch_take(struct rev_fetcher *f)
{
	struct rev_job *j;

	rf_drain(f->done_fd);
	pthread_mutex_lock(&f->mu);
	j = f->done_head;
	f->done_head = f->done_tail = NULL;
	pthread_mutex_unlock(&f->mu);
	return j;
}

int rev_fetch_fd(const struct rev_fetcher *f)
{
	return f->done_fd;
}

void rev_fetch_kick(struct rev_fetcher *f)
{
	rf_signal(f->done_fd);
}

void rev_job_free(struct rev_job *job)
{
	if (!job)
		return;
	free(job->key);
	X509_free(job->cert);
	X509_free(job->issuer);
	OCSP_REQUEST_free(job->req);
	OPENSSL_free(job->body);
	X509_CRL_free(job->crl);
	free(job);
}

void rev_job_process(struct rev_job *job, const uint8_t *body, size_t len)
{
	char err[300];

	if (job->kind == REV_OCSP) {
		job->ok = ike_rev_ocsp_check(job->req, body, len, job->cert, job->issuer, job->now,
					     &job->ans) == 0;
		if (!job->ok)
			snprintf(job->err, sizeof(job->err), "%s", job->ans.err);
		return;
	}
	job->crl = ike_rev_crl_parse(body, len, err, sizeof(err));
	if (job->crl && ike_rev_crl_verify(job->crl, job->issuer, err, sizeof(err)) != 0) {
		X509_CRL_free(job->crl);
		job->crl = NULL;
	}
	job->ok = job->crl != NULL;
	if (!job->ok)
		snprintf(job->err, sizeof(job->err), "%s", err);
}
