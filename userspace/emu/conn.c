// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu connections: the listening socket, one thread per connection,
 * privilege from SO_PEERCRED, and the limits (connections in all and per
 * uid, idle timeout, request deadline) that keep one client from starving
 * the others.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "emu.h"

static const struct ck_emu_chip *chip;
static const struct ck_emu_limits *limits;
/* Readers: requests in flight.  Writer: ck_conn_stop(), before the wipe. */
static pthread_rwlock_t chip_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_attr_t thread_attr;

/* Connection accounting, under count_lock: in all and per peer uid. */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int n_clients;
static struct {
	uid_t uid;
	int n;		/* 0: free slot */
} uid_slots[CK_EMU_MAX_CLIENTS];

void ck_emu_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("chipkey-emu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * Per-connection receive buffer.  A read asks for as much as fits, so a
 * request usually arrives with one system call; bytes beyond the current
 * frame (a client that does not wait for the reply) stay for the next one.
 */
struct conn {
	int fd;
	uid_t uid;		/* peer, from SO_PEERCRED at connect time */
	int privileged;
	size_t have;		/* bytes in rx */
	int64_t frame_ms;	/* when the frame in rx began (0: none yet) */
	uint8_t rx[CK_EMU_HDR_LEN + CK_EMU_MAX_PAYLOAD];
	uint8_t tx[CK_EMU_REPLY_BUF];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until the frame's deadline for more bytes: 0 when there are some,
 * -1 (logged, at most one line a second) when the deadline passed first.
 * A client that trickles a frame one byte at a time, each inside the idle
 * timeout, would otherwise hold its connection slot for ever.
 */
static int wait_in_deadline(struct conn *c)
{
	static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
	static int64_t last_log;
	int64_t idle_ms = 1000LL * limits->idle_timeout_s, wait, left;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	bool say, idle;
	int n;

	for (;;) {
		left = c->frame_ms + 1000LL * limits->request_timeout_s - now_ms();
		if (left <= 0)
			break;
		idle = idle_ms > 0 && idle_ms < left;
		wait = idle ? idle_ms : left;
		n = poll(&p, 1, (int)wait);
		if (n > 0 || (n < 0 && errno != EINTR))
			return 0;	/* bytes, or an error read() reports */
		if (n == 0 && idle)
			return -1;	/* silent for the idle timeout: hang up */
	}
	pthread_mutex_lock(&log_lock);
	say = now_ms() - last_log >= 1000;
	if (say)
		last_log = now_ms();
	pthread_mutex_unlock(&log_lock);
	if (say)
		ck_emu_log("uid %u: request not complete within %d s: connection cut",
			   (unsigned int)c->uid, limits->request_timeout_s);
	return -1;
}

/* Make sure the first @need bytes of the frame are in c->rx. */
static int fill(struct conn *c, size_t need)
{
	while (c->have < need) {
		ssize_t n;

		if (c->have && limits->request_timeout_s > 0 && wait_in_deadline(c))
			return -1;
		n = read(c->fd, c->rx + c->have, sizeof(c->rx) - c->have);
		if (n < 0 && errno == EINTR)
			continue;
		/* EAGAIN: nothing for the idle timeout (SO_RCVTIMEO); hang up */
		if (n <= 0)
			return -1;
		if (!c->have)
			c->frame_ms = now_ms();
		c->have += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_status(int fd, int status)
{
	uint8_t f[CK_EMU_HDR_LEN];

	return write_full(fd, f, ck_emu_status_frame(status, f));
}

/*
 * The peer's credentials as the kernel recorded them at connect() time.
 * Privilege is decided once, here, for the life of the connection (see
 * docs/emulator-protocol.md, "Privilege").
 */
static int peer_uid(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    len != sizeof(cr))
		return -1;
	*uid = cr.uid;
	return 0;
}

static int uid_privileged(uid_t uid)
{
	int i;

	if (uid == 0 || uid == geteuid())
		return 1;
	for (i = 0; i < limits->n_allow_uids; i++)
		if (uid == limits->allow_uids[i])
			return 1;
	return 0;
}

/*
 * Count a new connection of @uid.  0, or -EBUSY when the emulator already
 * serves CK_EMU_MAX_CLIENTS connections or @uid already has max_per_uid of
 * them.  The per-uid limit keeps one local user from taking every slot;
 * root and the emulator's own user (who can stop the emulator anyway) are
 * held only to the overall limit.
 */
static int conn_get(uid_t uid)
{
	int i, slot = -1, ret = 0;
	int limit = uid == 0 || uid == geteuid() ? CK_EMU_MAX_CLIENTS :
		    limits->max_per_uid;

	pthread_mutex_lock(&count_lock);
	for (i = 0; i < CK_EMU_MAX_CLIENTS; i++) {
		if (uid_slots[i].n && uid_slots[i].uid == uid) {
			slot = i;
			break;
		}
		if (!uid_slots[i].n && slot < 0)
			slot = i;
	}
	/* n_clients < CK_EMU_MAX_CLIENTS guarantees a free slot for a new uid. */
	if (n_clients >= CK_EMU_MAX_CLIENTS || slot < 0 ||
	    uid_slots[slot].n >= limit) {
		ret = -EBUSY;
	} else {
		uid_slots[slot].uid = uid;
		uid_slots[slot].n++;
		n_clients++;
	}
	pthread_mutex_unlock(&count_lock);
	return ret;
}

static void conn_put(uid_t uid)
{
	int i;

	pthread_mutex_lock(&count_lock);
	for (i = 0; i < CK_EMU_MAX_CLIENTS; i++) {
		if (uid_slots[i].n && uid_slots[i].uid == uid) {
			uid_slots[i].n--;
			break;
		}
	}
	n_clients--;
	pthread_mutex_unlock(&count_lock);
}

static void *client_thread(void *arg)
{
	struct conn *c = arg;
	int fd = c->fd;
	struct ck_emu_req_hdr h;

	/* Buffers are kept for the connection: no allocation per request. */
	for (;;) {
		size_t frame, reply_len;
		int ret;

		if (fill(c, CK_EMU_HDR_LEN))
			break;
		ck_emu_req_hdr_decode(c->rx, &h);
		if (h.magic != CK_EMU_REQ_MAGIC ||
		    h.version != CK_EMU_PROTO_VERSION ||
		    h.len > CK_EMU_MAX_PAYLOAD) {
			/* Cannot resynchronise on a bad frame: answer, hang up. */
			send_status(fd, -EINVAL);
			break;
		}
		frame = CK_EMU_HDR_LEN + h.len;
		if (fill(c, frame))
			break;
		pthread_rwlock_rdlock(&chip_lock);
		reply_len = ck_emu_handle(chip, c->privileged, h.cmd,
					  c->rx + CK_EMU_HDR_LEN, h.len, c->tx);
		pthread_rwlock_unlock(&chip_lock);
		OPENSSL_cleanse(c->rx + CK_EMU_HDR_LEN, h.len);
		c->have -= frame;
		if (c->have) {	/* the next frame began: its clock runs */
			memmove(c->rx, c->rx + frame, c->have);
			/* its old copy beyond the bytes now kept */
			OPENSSL_cleanse(c->rx + c->have, frame);
		}
		c->frame_ms = now_ms();
		ret = write_full(fd, c->tx, reply_len);
		OPENSSL_cleanse(c->tx, reply_len);
		if (ret)
			break;
	}
	conn_put(c->uid);
	OPENSSL_cleanse(c->rx, c->have);
	free(c);
	close(fd);
	return NULL;
}

/*
 * Refuse a connection: one status frame (the answer the client reads for
 * its first request), then hang up.  Never blocks the accept loop.
 */
static void refuse(int fd, int status, uid_t uid)
{
	static time_t last_log;
	uint8_t f[CK_EMU_HDR_LEN];
	time_t now = time(NULL);

	if (send(fd, f, ck_emu_status_frame(status, f),
		 MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client is gone already */
	}
	close(fd);
	if (now != last_log) {	/* at most one line a second */
		last_log = now;
		ck_emu_log("refusing a connection of uid %u: %s (limits: %d per uid, %d in all)",
			   (unsigned int)uid, strerror(-status), limits->max_per_uid,
			   CK_EMU_MAX_CLIENTS);
	}
}

int ck_conn_init(const struct ck_emu_chip *c, const struct ck_emu_limits *l)
{
	int ret;

	chip = c;
	limits = l;
	ret = pthread_attr_init(&thread_attr);
	if (!ret)
		ret = pthread_attr_setdetachstate(&thread_attr,
						  PTHREAD_CREATE_DETACHED);
	return -ret;
}

void ck_conn_serve(int cfd)
{
	struct timeval tv = { .tv_sec = limits->idle_timeout_s };
	struct conn *c;
	pthread_t t;
	uid_t uid;

	if (peer_uid(cfd, &uid)) {
		close(cfd);
		return;
	}
	if (conn_get(uid)) {
		refuse(cfd, -EBUSY, uid);
		return;
	}
	/*
	 * A client that sends nothing (between requests or in the middle of a
	 * frame) or reads no reply for the idle timeout is dropped, so idle
	 * connections do not hold the slots forever.
	 */
	if (limits->idle_timeout_s > 0 &&
	    (setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	     setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))))
		ck_emu_log("cannot set socket timeouts: %s", strerror(errno));
	c = malloc(sizeof(*c));
	if (!c) {
		conn_put(uid);
		refuse(cfd, -ENOMEM, uid);
		return;
	}
	c->fd = cfd;
	c->uid = uid;
	c->privileged = uid_privileged(uid);
	c->have = 0;
	c->frame_ms = 0;
	if (pthread_create(&t, &thread_attr, client_thread, c)) {
		free(c);
		conn_put(uid);
		refuse(cfd, -EAGAIN, uid);
	}
}

void ck_conn_stop(void)
{
	pthread_rwlock_wrlock(&chip_lock);
}

int ck_conn_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		ck_emu_log("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			ck_emu_log("%s exists and is not a socket; refusing to replace it",
				   path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			ck_emu_log("another emulator is already serving %s", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);	/* stale socket of a dead emulator */
	}
	/*
	 * Bind and listen on a temporary name, then rename it into place, so
	 * the socket path appears only once it accepts connections (a client
	 * that sees the path never gets ECONNREFUSED).  A path too long for the
	 * suffix is bound directly.
	 */
	snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%ld.tmp", path,
		 (long)getpid());
	if (strlen(path) + 24 >= sizeof(tmp.sun_path))
		tmp = sa;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ck_emu_log("socket: %s", strerror(errno));
		return -1;
	}
	unlink(tmp.sun_path);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0) {
		ck_emu_log("cannot bind %s: %s", tmp.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Anyone may connect and ask for info; wrap/unwrap check SO_PEERCRED. */
	if (chmod(tmp.sun_path, 0666) < 0 || listen(fd, 64) < 0 ||
	    (strcmp(tmp.sun_path, path) && rename(tmp.sun_path, path) < 0)) {
		ck_emu_log("cannot set up %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp.sun_path);
		return -1;
	}
	return fd;
}
