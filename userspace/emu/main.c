// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu: a userspace process that plays the chip and serves the
 * /dev/chipkey requests over a Unix socket.
 *
 *   chipkey-emu --state FILE --socket PATH [--foreground] [--allow-uid UID]
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chipkey/emu_messages.h>
#include <openssl/crypto.h>
#include "server.h"

#define MAX_CLIENTS	256
#define MAX_ALLOW_UIDS	16

static struct ck_chip chip;
/* Readers: requests in flight.  Writer: shutdown, before wiping the key. */
static pthread_rwlock_t chip_lock = PTHREAD_RWLOCK_INITIALIZER;
static uid_t allow_uids[MAX_ALLOW_UIDS];
static int n_allow_uids;
static int sig_pipe[2] = { -1, -1 };
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int n_clients;

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

static int peer_privileged(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	if (cr.uid == 0 || cr.uid == geteuid())
		return 1;
	for (i = 0; i < n_allow_uids; i++)
		if (cr.uid == allow_uids[i])
			return 1;
	return 0;
}

static void *client_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	int privileged = peer_privileged(fd);
	struct ck_emu_req_hdr h;
	struct conn *c;

	/* Buffers are kept for the connection: no allocation per request. */
	c = malloc(sizeof(*c));
	if (!c)
		send_status(fd, -ENOMEM);
	else {
		c->fd = fd;
		c->have = 0;
	}
	while (c) {
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
		reply_len = ck_emu_handle(&chip, privileged, h.cmd,
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
	if (c) {
		OPENSSL_cleanse(c->rx, c->have);
		free(c);
	}
	close(fd);
	pthread_mutex_lock(&count_lock);
	n_clients--;
	pthread_mutex_unlock(&count_lock);
	return NULL;
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		logmsg("cannot bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Anyone may connect and ask for info; wrap/unwrap check SO_PEERCRED. */
	if (chmod(path, 0666) < 0 || listen(fd, 64) < 0) {
		logmsg("cannot set up %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
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
		"                   emulator's own user); may be repeated\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "allow-uid", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL, *sock_path = NULL;
	int foreground = 0, lfd, c, ready_pipe[2] = { -1, -1 };
	struct sigaction sa;
	char err[512];
	pthread_attr_t attr;

	while ((c = getopt_long(argc, argv, "s:S:fu:h", opts, NULL)) != -1) {
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
	if (ck_chip_load(state, &chip, err, sizeof(err))) {
		logmsg("%s", err);
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
		pthread_t t;
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
		pthread_mutex_lock(&count_lock);
		if (n_clients >= MAX_CLIENTS) {
			pthread_mutex_unlock(&count_lock);
			close(cfd);
			continue;
		}
		n_clients++;
		pthread_mutex_unlock(&count_lock);
		if (pthread_create(&t, &attr, client_thread,
				   (void *)(intptr_t)cfd)) {
			close(cfd);
			pthread_mutex_lock(&count_lock);
			n_clients--;
			pthread_mutex_unlock(&count_lock);
		}
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
