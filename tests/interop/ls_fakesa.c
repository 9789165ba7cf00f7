// SPDX-License-Identifier: BSD-3-Clause
/*
 * LD_PRELOAD shim for Libreswan's pluto in tests/interop/ls_run.sh.
 *
 * The test kernel has no ESP: XFRM_MSG_NEWSA for an ESP state fails with
 * ENOSYS, and pluto then treats the CHILD SA as failed (as initiator it even
 * deletes the IKE SA without a Delete, as responder it answers
 * TS_UNACCEPTABLE). To test IKE and CHILD SA lifecycles against pluto, this
 * shim answers pluto's state requests (SPI allocation, new, update, delete,
 * query) on its XFRM netlink socket itself, as the kernel would, keeping a
 * table of the states pluto believes installed; everything else (policies)
 * reaches the kernel.
 * No packet is ever protected: it is for the IKE side only.
 *
 * Each handled request is counted in a line "ls_fakesa: TYPE spi=... " on
 * stderr (pluto's log) so the test can see that states were installed.
 *
 * pluto sends a request with write() and reads the answer with recvfrom()
 * on the same descriptor before sending the next one (send_netlink_msg in
 * its kernel_xfrm.c); one pending answer a descriptor is enough.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define LSF_MAX_FD 1024

/* An answer: an acknowledgement, or a state for XFRM_MSG_GETSA. */
struct lsf_reply {
	struct nlmsghdr hdr;
	union {
		struct nlmsgerr err;
		struct xfrm_usersa_info sa;
	} u;
};

/* The states pluto believes installed, so that GETSA finds them. */
#define LSF_MAX_SA 256
static struct xfrm_usersa_info lsf_sa[LSF_MAX_SA];
static unsigned char lsf_sa_used[LSF_MAX_SA];

static unsigned char lsf_xfrm_fd[LSF_MAX_FD];
static struct lsf_reply lsf_pending[LSF_MAX_FD];
static unsigned char lsf_has_pending[LSF_MAX_FD];

int socket(int domain, int type, int protocol);
ssize_t write(int fd, const void *buf, size_t len);
ssize_t send(int fd, const void *buf, size_t len, int flags);
ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen);
ssize_t recv(int fd, void *buf, size_t len, int flags);
ssize_t read(int fd, void *buf, size_t len);
int close(int fd);

static void *lsf_next(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (fn == NULL) {
		fprintf(stderr, "ls_fakesa: no %s in the next library\n", name);
		_exit(127);
	}
	return fn;
}

static int lsf_is_xfrm(int fd)
{
	return fd >= 0 && fd < LSF_MAX_FD && lsf_xfrm_fd[fd];
}

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	int fd;

	if (real == NULL)
		real = lsf_next("socket");
	fd = real(domain, type, protocol);
	if (fd >= 0 && fd < LSF_MAX_FD) {
		lsf_xfrm_fd[fd] = domain == AF_NETLINK && protocol == NETLINK_XFRM;
		lsf_has_pending[fd] = 0;
	}
	return fd;
}

static int lsf_same(const struct xfrm_usersa_info *sa, const struct xfrm_usersa_id *id)
{
	return sa->id.spi == id->spi && sa->id.proto == id->proto && sa->family == id->family &&
	       memcmp(&sa->id.daddr, &id->daddr, sizeof(id->daddr)) == 0;
}

static int lsf_find(const struct xfrm_usersa_id *id)
{
	for (int i = 0; i < LSF_MAX_SA; i++)
		if (lsf_sa_used[i] && lsf_same(&lsf_sa[i], id))
			return i;
	return -1;
}

static struct xfrm_usersa_id lsf_id_of(const struct xfrm_usersa_info *sa)
{
	struct xfrm_usersa_id id = { .daddr = sa->id.daddr,
				     .spi = sa->id.spi,
				     .family = sa->family,
				     .proto = sa->id.proto };
	return id;
}

/* NEWSA / UPDSA: remember the state (an update replaces it); errno or 0. */
static int lsf_add(const struct xfrm_usersa_info *sa)
{
	struct xfrm_usersa_id id = lsf_id_of(sa);
	int i = lsf_find(&id);

	for (int j = 0; i < 0 && j < LSF_MAX_SA; j++)
		if (!lsf_sa_used[j])
			i = j;
	if (i < 0)
		return ENOBUFS;
	lsf_sa[i] = *sa;
	memset(&lsf_sa[i].curlft, 0, sizeof(lsf_sa[i].curlft));
	memset(&lsf_sa[i].stats, 0, sizeof(lsf_sa[i].stats));
	lsf_sa_used[i] = 1;
	return 0;
}

static void lsf_ack(struct lsf_reply *r, const struct nlmsghdr *req, int err)
{
	r->hdr.nlmsg_len = NLMSG_LENGTH(sizeof(r->u.err));
	r->hdr.nlmsg_type = NLMSG_ERROR;
	r->u.err.error = -err;
	r->u.err.msg = *req;
}

/*
 * ALLOCSPI: a free SPI in [min, max]. Not left to the kernel: it would keep
 * a larval state that expires after net.core.xfrm_acq_expires (30 s) with a
 * hard expire, on which pluto deletes the CHILD SA.
 */
static void lsf_alloc_spi(struct lsf_reply *r, const struct xfrm_userspi_info *req)
{
	struct xfrm_usersa_id id;
	uint32_t span = req->max - req->min, spi;

	r->hdr.nlmsg_len = NLMSG_LENGTH(sizeof(r->u.sa));
	r->hdr.nlmsg_type = XFRM_MSG_NEWSA;
	r->u.sa = req->info;
	id = lsf_id_of(&req->info);
	do {
		if (getrandom(&spi, sizeof(spi), 0) != sizeof(spi))
			spi = (uint32_t)rand();
		spi = req->min + (span == UINT32_MAX ? spi : spi % (span + 1));
		id.spi = htonl(spi);
	} while (lsf_find(&id) >= 0);
	r->u.sa.id.spi = id.spi;
	/* the larval state, for a DELSA of a rekey that failed */
	lsf_add(&r->u.sa);
}

/* Answers one state request into R; 0 if the request is not one. */
static int lsf_answer(struct lsf_reply *r, const struct nlmsghdr *h, size_t len)
{
	const void *body = NLMSG_DATA(h);
	const struct xfrm_usersa_id *id = body;
	int i;

	switch (h->nlmsg_type) {
	case XFRM_MSG_ALLOCSPI:
		if (len < NLMSG_LENGTH(sizeof(struct xfrm_userspi_info)))
			return 0;
		lsf_alloc_spi(r, body);
		return 1;
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		if (len < NLMSG_LENGTH(sizeof(struct xfrm_usersa_info)))
			return 0;
		lsf_ack(r, h, lsf_add(body));
		return 1;
	case XFRM_MSG_DELSA:
	case XFRM_MSG_GETSA:
		if (len < NLMSG_LENGTH(sizeof(*id)))
			return 0;
		i = lsf_find(id);
		if (i < 0) {
			lsf_ack(r, h, ESRCH);
		} else if (h->nlmsg_type == XFRM_MSG_DELSA) {
			lsf_sa_used[i] = 0;
			lsf_ack(r, h, 0);
		} else {
			r->hdr.nlmsg_len = NLMSG_LENGTH(sizeof(r->u.sa));
			r->hdr.nlmsg_type = XFRM_MSG_NEWSA;
			r->u.sa = lsf_sa[i];
		}
		return 1;
	default: return 0;
	}
}

static const char *lsf_type_name(uint16_t type)
{
	switch (type) {
	case XFRM_MSG_NEWSA: return "NEWSA";
	case XFRM_MSG_UPDSA: return "UPDSA";
	case XFRM_MSG_DELSA: return "DELSA";
	case XFRM_MSG_ALLOCSPI: return "ALLOCSPI";
	default: return "GETSA";
	}
}

/* One line a request, in pluto's log, for the test to count. */
static void lsf_log(const struct nlmsghdr *h, const struct lsf_reply *r)
{
	const char *how = "done";
	uint32_t spi;
	unsigned proto;

	if (h->nlmsg_type == XFRM_MSG_ALLOCSPI) {
		spi = r->u.sa.id.spi;
		proto = r->u.sa.id.proto;
	} else if (h->nlmsg_type == XFRM_MSG_NEWSA || h->nlmsg_type == XFRM_MSG_UPDSA) {
		const struct xfrm_usersa_info *sa = NLMSG_DATA(h);

		spi = sa->id.spi;
		proto = sa->id.proto;
	} else {
		const struct xfrm_usersa_id *id = NLMSG_DATA(h);

		spi = id->spi;
		proto = id->proto;
	}
	if (r->hdr.nlmsg_type == NLMSG_ERROR && r->u.err.error != 0)
		how = strerror(-r->u.err.error);
	fprintf(stderr, "ls_fakesa: %s spi=%08x proto=%u: %s\n", lsf_type_name(h->nlmsg_type),
		ntohl(spi), proto, how);
}

/* Queues the answer to a state request; 0 if BUF is not one. */
static int lsf_take(int fd, const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	struct lsf_reply *r;

	if (!lsf_is_xfrm(fd) || len < sizeof(*h))
		return 0;
	r = &lsf_pending[fd];
	memset(r, 0, sizeof(*r));
	if (!lsf_answer(r, h, len))
		return 0;
	r->hdr.nlmsg_seq = h->nlmsg_seq;
	lsf_has_pending[fd] = 1;
	lsf_log(h, r);
	return 1;
}

/* Hands out the pending acknowledgement, as if from the kernel (pid 0). */
static ssize_t lsf_give(int fd, void *buf, size_t len, struct sockaddr *addr, socklen_t *alen)
{
	size_t n = lsf_pending[fd].hdr.nlmsg_len;

	if (n > len)
		n = len;
	memcpy(buf, &lsf_pending[fd], n);
	lsf_has_pending[fd] = 0;
	if (addr != NULL && alen != NULL && *alen >= sizeof(struct sockaddr_nl)) {
		struct sockaddr_nl nl = { .nl_family = AF_NETLINK };

		memcpy(addr, &nl, sizeof(nl));
		*alen = sizeof(nl);
	}
	return (ssize_t)n;
}

static int lsf_ready(int fd)
{
	return lsf_is_xfrm(fd) && lsf_has_pending[fd];
}

ssize_t write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (lsf_take(fd, buf, len))
		return (ssize_t)len;
	if (real == NULL)
		real = lsf_next("write");
	return real(fd, buf, len);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);

	if (lsf_take(fd, buf, len))
		return (ssize_t)len;
	if (real == NULL)
		real = lsf_next("send");
	return real(fd, buf, len, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen)
{
	static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *);

	if (lsf_ready(fd))
		return lsf_give(fd, buf, len, addr, alen);
	if (real == NULL)
		real = lsf_next("recvfrom");
	return real(fd, buf, len, flags, addr, alen);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);

	if (lsf_ready(fd))
		return lsf_give(fd, buf, len, NULL, NULL);
	if (real == NULL)
		real = lsf_next("recv");
	return real(fd, buf, len, flags);
}

ssize_t read(int fd, void *buf, size_t len)
{
	static ssize_t (*real)(int, void *, size_t);

	if (lsf_ready(fd))
		return lsf_give(fd, buf, len, NULL, NULL);
	if (real == NULL)
		real = lsf_next("read");
	return real(fd, buf, len);
}

int close(int fd)
{
	static int (*real)(int);

	if (fd >= 0 && fd < LSF_MAX_FD) {
		lsf_xfrm_fd[fd] = 0;
		lsf_has_pending[fd] = 0;
	}
	if (real == NULL)
		real = lsf_next("close");
	return real(fd);
}
