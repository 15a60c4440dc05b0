// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu: a userspace process that plays the chip and serves the
 * /dev/chipkey requests over a Unix socket.  This file: the options, the
 * start (state file, memory protection, daemon), the signals and the
 * accept loop; exit codes from common/exit.h.
 *
 *   chipkey-emu --state FILE --socket PATH [--foreground] [--allow-uid UID]
 *               [--idle-timeout S] [--request-timeout S] [--max-per-uid N]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/exit.h"
#include "emu.h"

static struct ck_emu_chip chip;
static struct ck_emu_limits limits = {
	.idle_timeout_s = CK_EMU_DEF_IDLE_S,
	.request_timeout_s = CK_EMU_DEF_REQUEST_S,
	.max_per_uid = CK_EMU_DEF_PER_UID,
};
static int sig_pipe[2] = { -1, -1 };

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
		"  --request-timeout S  drop a connection whose request frame is not\n"
		"                   complete S seconds after its first byte, however\n"
		"                   steadily it trickles in (default %d; 0: never)\n"
		"  --max-per-uid N  at most N connections of one user at a time\n"
		"                   (default %d; %d in all; root and the emulator's\n"
		"                   own user only count towards the overall limit)\n",
		CK_EMU_DEF_IDLE_S, CK_EMU_DEF_REQUEST_S, CK_EMU_DEF_PER_UID, CK_EMU_MAX_CLIENTS);
}

/* A decimal number in [min, max], the whole string.  0 or -EINVAL. */
static int parse_num(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || *end || !*s || *v < min || *v > max)
		return -EINVAL;
	return 0;
}

/* The options into limits, *state and *sock_path.  CK_EXIT_OK or USAGE. */
static int parse_options(int argc, char **argv, const char **state,
			 const char **sock_path, int *foreground)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "allow-uid", required_argument, NULL, 'u' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "request-timeout", required_argument, NULL, 'r' },
		{ "max-per-uid", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "s:S:fu:i:r:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			*state = optarg;
			break;
		case 'S':
			*sock_path = optarg;
			break;
		case 'f':
			*foreground = 1;
			break;
		case 'u':
			if (parse_num(optarg, 0, (long)UINT_MAX - 1, &v) ||
			    limits.n_allow_uids >= CK_EMU_MAX_ALLOW_UIDS) {
				ck_emu_log("bad --allow-uid %s", optarg);
				return CK_EXIT_USAGE;
			}
			limits.allow_uids[limits.n_allow_uids++] = (uid_t)v;
			break;
		case 'i':
			if (parse_num(optarg, 0, CK_EMU_MAX_IDLE_S, &v)) {
				ck_emu_log("bad --idle-timeout %s (seconds, 0..%d)",
					   optarg, CK_EMU_MAX_IDLE_S);
				return CK_EXIT_USAGE;
			}
			limits.idle_timeout_s = (int)v;
			break;
		case 'r':
			if (parse_num(optarg, 0, CK_EMU_MAX_IDLE_S, &v)) {
				ck_emu_log("bad --request-timeout %s (seconds, 0..%d)",
					   optarg, CK_EMU_MAX_IDLE_S);
				return CK_EXIT_USAGE;
			}
			limits.request_timeout_s = (int)v;
			break;
		case 'm':
			if (parse_num(optarg, 1, CK_EMU_MAX_CLIENTS, &v)) {
				ck_emu_log("bad --max-per-uid %s (1..%d)", optarg,
					   CK_EMU_MAX_CLIENTS);
				return CK_EXIT_USAGE;
			}
			limits.max_per_uid = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(CK_EXIT_OK);
		default:
			usage(stderr);
			return CK_EXIT_USAGE;
		}
	}
	if (!*state || !*sock_path || optind != argc) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	return CK_EXIT_OK;
}

/*
 * Keep the chip key out of swap.  Memory locks are not inherited across
 * fork(), so the daemon child calls this again.
 */
static void lock_chip(void)
{
	if (mlock(&chip, sizeof(chip)) < 0)
		ck_emu_log("warning: cannot mlock the chip key (%s); it may be swapped out",
			   strerror(errno));
}

/*
 * Exit code for a state file that cannot be used: missing (not-found),
 * not the owner's alone (permission), not a usable fuse image, including
 * an unprogrammed chip (malformed), else other.
 */
static int state_exit_code(int err)
{
	if (err == -ENOENT)
		return CK_EXIT_NOT_FOUND;
	if (err == -ENOKEY)
		return CK_EXIT_MALFORMED;
	return ck_exit_for_errno(err);
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

static int catch_signals(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		ck_emu_log("pipe: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/*
 * Detach.  The parent exits only once the child's socket is ready, with
 * the child's start-up exit code (one byte on *ready_fd; none: other).
 * Returns in the child.
 */
static void daemonize(int *ready_fd)
{
	int ready_pipe[2];
	pid_t pid;
	char code = CK_EXIT_OTHER;

	if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
		ck_emu_log("pipe: %s", strerror(errno));
		exit(CK_EXIT_OTHER);
	}
	pid = fork();
	if (pid < 0) {
		ck_emu_log("fork: %s", strerror(errno));
		exit(CK_EXIT_OTHER);
	}
	if (pid > 0) {
		close(ready_pipe[1]);
		ck_chip_wipe(&chip);
		if (read(ready_pipe[0], &code, 1) != 1)
			code = CK_EXIT_OTHER;
		exit(code);
	}
	close(ready_pipe[0]);
	*ready_fd = ready_pipe[1];
	lock_chip();
	setsid();
	if (!freopen("/dev/null", "r", stdin))
		ck_emu_log("cannot reopen stdin");
}

/* Tell a waiting parent (if any) how the start ended. */
static void notify_parent(int *ready_fd, char code)
{
	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, &code, 1) != 1)
		ck_emu_log("cannot notify parent");
	close(*ready_fd);
	*ready_fd = -1;
}

/* Accept connections until a signal arrives. */
static void accept_loop(int lfd)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
		};
		int cfd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ck_emu_log("poll: %s", strerror(errno));
			return;
		}
		if (pfd[1].revents)
			return;
		if (!(pfd[0].revents & POLLIN))
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd >= 0)
			ck_conn_serve(cfd);
	}
}

int main(int argc, char **argv)
{
	const char *state = NULL, *sock_path = NULL;
	int foreground = 0, lfd, ready_fd = -1, ret;
	char err[512];

	ret = parse_options(argc, argv, &state, &sock_path, &foreground);
	if (ret)
		return ret;
	/*
	 * One malloc arena: each connection has a thread of its own, and
	 * glibc gave each new thread a new arena (a 64 MiB reservation,
	 * mprotect, munmap when it ended): about 8% of the emulator's CPU in
	 * bench/provision; a chip serves few connections at a time.
	 */
	mallopt(M_ARENA_MAX, 1);
	/*
	 * A connection's buffers (132 KiB) from the heap, kept when freed.
	 * They are above glibc's initial mmap threshold (128 KiB), which it
	 * raises only once such a block was freed: the first connection cost
	 * an mmap, page faults and an munmap with a TLB shootdown on every
	 * CPU (bench/provision, one device per emulator: 0.48 instead of
	 * 0.50-0.51 ms of emulator CPU per device).
	 */
	mallopt(M_MMAP_THRESHOLD, 512 * 1024);
	mallopt(M_TRIM_THRESHOLD, 2 * 1024 * 1024);
	/*
	 * Before the key is in memory: no core dumps, no ptrace by other
	 * processes of the same user, no swapping of the key.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		ck_emu_log("warning: PR_SET_DUMPABLE: %s", strerror(errno));
	lock_chip();
	ret = ck_chip_load(state, &chip, err, sizeof(err));
	if (ret) {
		ck_emu_log("%s", err);
		return state_exit_code(ret);
	}
	/* Load the crypto now, not in the first client's request. */
	if (ck_crypto_init()) {
		ck_emu_log("cannot load HKDF / AES-256-GCM from OpenSSL");
		ret = CK_EXIT_OTHER;
		goto err_wipe;
	}
	ret = ck_emu_self_test(&chip);
	if (ret) {
		ck_emu_log("self-test failed: %s", strerror(-ret));
		ret = CK_EXIT_OTHER;
		goto err_wipe;
	}
	if (catch_signals() || ck_conn_init(&chip, &limits)) {
		ret = CK_EXIT_OTHER;
		goto err_wipe;
	}
	if (!foreground)
		daemonize(&ready_fd);

	lfd = ck_conn_listen(sock_path);
	if (lfd < 0) {
		ret = CK_EXIT_OTHER;
		notify_parent(&ready_fd, (char)ret);
		goto err_wipe;
	}
	ck_emu_log("serving %s (pid %d)", sock_path, (int)getpid());
	notify_parent(&ready_fd, CK_EXIT_OK);

	accept_loop(lfd);
	close(lfd);
	unlink(sock_path);
	/* Wait for requests in flight, then wipe the key for good. */
	ck_conn_stop();
	ck_chip_wipe(&chip);
	ck_emu_log("stopped");
	fflush(stderr);
	_exit(CK_EXIT_OK);

err_wipe:
	ck_chip_wipe(&chip);
	return ret;
}
