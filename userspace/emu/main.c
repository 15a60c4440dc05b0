// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu: a userspace process that plays the chip and serves the
 * /dev/chipkey requests over a Unix socket.
 *
 *   chipkey-emu --state FILE --socket PATH [--foreground] [--allow-uid UID]
 *               [--idle-timeout S] [--max-per-uid N]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include <chipkey/emu_messages.h>
#include <openssl/crypto.h>
#include "server.h"

#define MAX_CLIENTS	256	/* connections in all */
#define DEF_PER_UID	32	/* connections of one uid (--max-per-uid) */
#define DEF_IDLE_S	30	/* drop a connection silent this long */
#define MAX_ALLOW_UIDS	16

static struct ck_chip chip;
/* Readers: requests in flight.  Writer: shutdown, before wiping the key. */
static pthread_rwlock_t chip_lock = PTHREAD_RWLOCK_INITIALIZER;
static uid_t allow_uids[MAX_ALLOW_UIDS];
static int n_allow_uids;
static int sig_pipe[2] = { -1, -1 };
static int idle_timeout_s = DEF_IDLE_S;
static int max_per_uid = DEF_PER_UID;

/* Connection accounting, under count_lock: in all and per peer uid. */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int n_clients;
static struct {
	uid_t uid;
	int n;		/* 0: free slot */
} uid_slots[MAX_CLIENTS];

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
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
	uint8_t rx[CK_EMU_HDR_LEN + CK_EMU_MAX_PAYLOAD];
	uint8_t tx[CK_EMU_REPLY_BUF];
};

/* Make sure the first @need bytes of the frame are in c->rx. */
static int fill(struct conn *c, size_t need)
{
	while (c->have < need) {
		ssize_t n = read(c->fd, c->rx + c->have, sizeof(c->rx) - c->have);

		if (n < 0 && errno == EINTR)
			continue;
		/* EAGAIN: nothing for idle_timeout_s (SO_RCVTIMEO); hang up */
		if (n <= 0)
			return -1;
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
	for (i = 0; i < n_allow_uids; i++)
		if (uid == allow_uids[i])
			return 1;
	return 0;
}

/*
 * Count a new connection of @uid.  0, or -EBUSY when the emulator already
 * serves MAX_CLIENTS connections or @uid already has max_per_uid of them.
 * The per-uid limit keeps one local user from taking every slot; root and
 * the emulator's own user (who can stop the emulator anyway) are held only
 * to the overall limit.
 */
static int conn_get(uid_t uid)
{
	int i, slot = -1, ret = 0;
	int limit = uid == 0 || uid == geteuid() ? MAX_CLIENTS : max_per_uid;

	pthread_mutex_lock(&count_lock);
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (uid_slots[i].n && uid_slots[i].uid == uid) {
			slot = i;
			break;
		}
		if (!uid_slots[i].n && slot < 0)
			slot = i;
	}
	/* n_clients < MAX_CLIENTS guarantees a free slot for a new uid. */
	if (n_clients >= MAX_CLIENTS || slot < 0 ||
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
	for (i = 0; i < MAX_CLIENTS; i++) {
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
		reply_len = ck_emu_handle(&chip, c->privileged, h.cmd,
					  c->rx + CK_EMU_HDR_LEN, h.len, c->tx);
		pthread_rwlock_unlock(&chip_lock);
		OPENSSL_cleanse(c->rx + CK_EMU_HDR_LEN, h.len);
		c->have -= frame;
		if (c->have)
			memmove(c->rx, c->rx + frame, c->have);
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
		logmsg("refusing a connection of uid %u: %s (limits: %d per uid, %d in all)",
		       (unsigned int)uid, strerror(-status), max_per_uid,
		       MAX_CLIENTS);
	}
}

/* Take one accepted connection: account, set timeouts, start its thread. */
static void serve(int cfd, const pthread_attr_t *attr)
{
	struct timeval tv = { .tv_sec = idle_timeout_s };
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
	 * frame) or reads no reply for idle_timeout_s is dropped, so idle
	 * connections do not hold the slots forever.
	 */
	if (idle_timeout_s > 0 &&
	    (setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	     setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))))
		logmsg("cannot set socket timeouts: %s", strerror(errno));
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
	if (pthread_create(&t, attr, client_thread, c)) {
		free(c);
		conn_put(uid);
		refuse(cfd, -EAGAIN, uid);
	}
}

/*
 * Keep the chip key out of swap.  Memory locks are not inherited across
 * fork(), so the daemon child calls this again.
 */
static void lock_chip(void)
{
	if (mlock(&chip, sizeof(chip)) < 0)
		logmsg("warning: cannot mlock the chip key (%s); it may be swapped out",
		       strerror(errno));
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* nothing to do: the pipe is full, a signal is pending already */
	}
	errno = saved;
}

static int make_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		logmsg("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			logmsg("%s exists and is not a socket; refusing to replace it",
			       path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			logmsg("another emulator is already serving %s", path);
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
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	unlink(tmp.sun_path);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0) {
		logmsg("cannot bind %s: %s", tmp.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Anyone may connect and ask for info; wrap/unwrap check SO_PEERCRED. */
	if (chmod(tmp.sun_path, 0666) < 0 || listen(fd, 64) < 0 ||
	    (strcmp(tmp.sun_path, path) && rename(tmp.sun_path, path) < 0)) {
		logmsg("cannot set up %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp.sun_path);
		return -1;
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chipkey-emu --state FILE --socket PATH [--foreground] [--allow-uid UID]...\n"
		"\n"
		"Plays a chip whose fuses are the 512-byte fuse image FILE (mode 0600)\n"
		"and serves the /dev/chipkey requests on the Unix socket PATH.\n"
		"  --foreground     do not detach\n"
		"  --allow-uid UID  also let UID wrap/unwrap (besides root and the\n"
		"                   emulator's own user); may be repeated\n"
		"  --idle-timeout S drop a connection that sends nothing (or reads no\n"
		"                   reply) for S seconds (default %d; 0: never)\n"
		"  --max-per-uid N  at most N connections of one user at a time\n"
		"                   (default %d; %d in all; root and the emulator's\n"
		"                   own user only count towards the overall limit)\n",
		DEF_IDLE_S, DEF_PER_UID, MAX_CLIENTS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "allow-uid", required_argument, NULL, 'u' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "max-per-uid", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL, *sock_path = NULL;
	int foreground = 0, lfd, c, ready_pipe[2] = { -1, -1 };
	struct sigaction sa;
	char err[512];
	pthread_attr_t attr;

	while ((c = getopt_long(argc, argv, "s:S:fu:i:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state = optarg;
			break;
		case 'S':
			sock_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'u': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || v >= UINT_MAX ||
			    n_allow_uids >= MAX_ALLOW_UIDS) {
				logmsg("bad --allow-uid %s", optarg);
				return 1;
			}
			allow_uids[n_allow_uids++] = (uid_t)v;
			break;
		}
		case 'i':
		case 'm': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || !*optarg ||
			    (c == 'i' && (v < 0 || v > 86400)) ||
			    (c == 'm' && (v < 1 || v > MAX_CLIENTS))) {
				logmsg(c == 'i' ?
				       "bad --idle-timeout %s (seconds, 0..86400)" :
				       "bad --max-per-uid %s (1..256)", optarg);
				return 1;
			}
			if (c == 'i')
				idle_timeout_s = (int)v;
			else
				max_per_uid = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (!state || !sock_path || optind != argc) {
		usage(stderr);
		return 1;
	}
	/*
	 * Before the key is in memory: no core dumps, no ptrace by other
	 * processes of the same user, no swapping of the key.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		logmsg("warning: PR_SET_DUMPABLE: %s", strerror(errno));
	lock_chip();
	if (ck_chip_load(state, &chip, err, sizeof(err))) {
		logmsg("%s", err);
		return 1;
	}
	/* Load the crypto now, not in the first client's request. */
	if (ck_crypto_init()) {
		logmsg("cannot load HKDF / AES-256-GCM from OpenSSL");
		return 1;
	}
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		logmsg("pipe: %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!foreground) {
		pid_t pid;

		if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
			logmsg("pipe: %s", strerror(errno));
			return 1;
		}
		pid = fork();
		if (pid < 0) {
			logmsg("fork: %s", strerror(errno));
			return 1;
		}
		if (pid > 0) {
			char ok = 0;

			/* Parent: exit once the socket is ready (or failed). */
			close(ready_pipe[1]);
			ck_chip_wipe(&chip);
			if (read(ready_pipe[0], &ok, 1) != 1 || ok != 1)
				return 1;
			return 0;
		}
		close(ready_pipe[0]);
		lock_chip();
		setsid();
		if (!freopen("/dev/null", "r", stdin))
			logmsg("cannot reopen stdin");
	}

	lfd = make_socket(sock_path);
	if (lfd < 0) {
		ck_chip_wipe(&chip);
		return 1;
	}
	logmsg("serving %s (pid %d)", sock_path, (int)getpid());
	if (ready_pipe[1] >= 0) {
		char ok = 1;

		if (write(ready_pipe[1], &ok, 1) != 1)
			logmsg("cannot notify parent");
		close(ready_pipe[1]);
	}

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
		};
		int cfd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		serve(cfd, &attr);
	}
	close(lfd);
	unlink(sock_path);
	/* Wait for requests in flight, then wipe the key for good. */
	pthread_rwlock_wrlock(&chip_lock);
	ck_chip_wipe(&chip);
	logmsg("stopped");
	fflush(stderr);
	_exit(0);
}
