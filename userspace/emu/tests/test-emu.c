// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu end to end, through libchipkey and through raw frames.
 *
 *   test-emu [PATH-TO-chipkey-emu]   (or $CHIPKEY_EMU_BIN)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <chipkey/backup_package.h>
#include <chipkey/emu_messages.h>
#include "lib/libchipkey.h"
#include "emu/tests/emu-helpers.h"
#include "emu/tests/test-emu.h"
#include "common/tap.h"

static char dir[] = "/tmp/chipkey-test-emu-XXXXXX";
static char sock1[256], sock2[256], state1[256], state2[256], log1[256];
static uint8_t id1[16], id2[16];
static char dev1[300], dev2[300];

static int ck_open1(struct chipkey **ck)
{
	return chipkey_open(dev1, ck);
}

/* ---------- tests ---------- */

static void test_info(const uint8_t *rom, size_t rom_len)
{
	struct chipkey *ck;
	struct chipkey_info info;
	uint8_t key[CHIPKEY_MAX_ROM_KEY];
	size_t len;
	int ret;

	ret = ck_open1(&ck);
	if (!tap_ok(ret == 0, "open %s", dev1))
		return;
	tap_ok(!strcmp(chipkey_backend_name(ck), "emulator"),
	       "backend name is emulator");
	ret = chipkey_get_info(ck, &info);
	tap_ok(ret == 0 && info.abi_version == CHIPKEY_ABI_VERSION &&
	       info.key_source == CHIPKEY_SRC_EMULATOR &&
	       !memcmp(info.chip_id, id1, 16) &&
	       info.max_payload == CHIPKEY_MAX_PAYLOAD &&
	       info.max_package == CHIPKEY_MAX_PACKAGE &&
	       info.pkg_overhead == CHIPKEY_PKG_OVERHEAD &&
	       info.rom_key_len == rom_len && info.flags == 0,
	       "info: ABI version, source, chip ID, limits, rom key length");
	len = sizeof(key);
	ret = chipkey_get_rom_key(ck, key, &len);
	tap_ok(ret == 0 && len == rom_len && !memcmp(key, rom, len),
	       "rom-key: the DER public key of the state file");
	len = 10;
	ret = chipkey_get_rom_key(ck, key, &len);
	tap_eq_int(ret, -ENOSPC, "rom-key: small buffer -> ENOSPC");
	tap_eq_int((long long)len, (long long)rom_len,
		   "rom-key: ENOSPC reports the needed size");
	chipkey_close(ck);
}

static void test_round_trips(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 4095, 4096,
					CHIPKEY_MAX_PAYLOAD };
	struct chipkey *ck;
	size_t i;

	if (ck_open1(&ck))
		return;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], plen = ck_pkg_size(n), olen = n + 1;
		uint8_t *in = malloc(n + 1), *pkg = malloc(plen),
			*out = malloc(n + 1);
		uint64_t gen = 0, want_gen = 0x1000000000ULL + i;
		int r1, r2;

		RAND_bytes(in, (int)n + 1);
		r1 = chipkey_wrap(ck, in, n, want_gen, pkg, &plen);
		r2 = r1 ? r1 : chipkey_unwrap(ck, pkg, plen, out, &olen, &gen);
		tap_ok(r1 == 0 && r2 == 0 && plen == ck_pkg_size(n) &&
		       ck_pkg_has_magic(pkg, plen) &&
		       !memcmp(pkg + CK_PKG_OFF_CHIP_ID, id1, 16) &&
		       olen == n && !memcmp(in, out, n) && gen == want_gen,
		       "round trip %zu bytes (wrap %d, unwrap %d)", n, r1, r2);
		free(in);
		free(pkg);
		free(out);
	}
	{
		size_t n = CHIPKEY_MAX_PAYLOAD + 1, plen = ck_pkg_size(n);
		uint8_t *in = calloc(1, CHIPKEY_MAX_PACKAGE + 1),
			*pkg = malloc(plen + 1);

		tap_eq_int(chipkey_wrap(ck, in, n, 0, pkg, &plen), -EMSGSIZE,
			   "wrap max_payload + 1 -> EMSGSIZE");
		plen = n;
		tap_eq_int(chipkey_unwrap(ck, in, CHIPKEY_MAX_PACKAGE + 1, pkg,
					  &plen, NULL), -EMSGSIZE,
			   "unwrap max_package + 1 -> EMSGSIZE");
		free(in);
		free(pkg);
	}
	chipkey_close(ck);
}

static void test_flips(void)
{
	static const struct {
		const char *field;
		size_t from, to;
		int want;
	} ranges[] = {
		{ "magic", 0, 8, -EINVAL },
		{ "version", 8, 10, -EINVAL },
		{ "alg", 10, 12, -EINVAL },
		{ "flags", 12, 16, -EINVAL },
		{ "chip ID", 16, 32, -ENOKEY },
		{ "generation", 32, 40, -EBADMSG },
		{ "salt", 40, 56, -EBADMSG },
		{ "nonce", 56, 68, -EBADMSG },
		{ "payload length", 68, 72, -EINVAL },
		{ "ciphertext", 72, 72 + 16, -EBADMSG },
		{ "tag", 72 + 16, 72 + 16 + 16, -EBADMSG },
	};
	struct chipkey *ck;
	uint8_t in[16], pkg[16 + CHIPKEY_PKG_OVERHEAD], out[64];
	size_t plen = sizeof(pkg), r, i, j;

	if (ck_open1(&ck))
		return;
	RAND_bytes(in, sizeof(in));
	if (!tap_ok(chipkey_wrap(ck, in, sizeof(in), 3, pkg, &plen) == 0,
		    "flips: wrap a 16-byte package"))
		return;
	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		int bad = 0, leaked = 0;

		for (i = ranges[r].from; i < ranges[r].to; i++) {
			size_t olen = sizeof(out);
			int ret;

			pkg[i] ^= 0x01;
			memset(out, 0xa5, sizeof(out));
			ret = chipkey_unwrap(ck, pkg, plen, out, &olen, NULL);
			pkg[i] ^= 0x01;
			if (ret != ranges[r].want) {
				tap_diag("byte %zu: got %d want %d", i, ret,
					 ranges[r].want);
				bad++;
			}
			for (j = 0; j < sizeof(out); j++)
				if (out[j] != 0xa5)
					leaked = 1;
		}
		tap_ok(!bad && !leaked,
		       "flips: every flipped %s byte refused with %s, no output",
		       ranges[r].field,
		       ranges[r].want == -EINVAL ? "EINVAL" :
		       ranges[r].want == -ENOKEY ? "ENOKEY" : "EBADMSG");
	}
	{
		size_t olen = sizeof(out);

		tap_ok(chipkey_unwrap(ck, pkg, plen, out, &olen, NULL) == 0 &&
		       olen == 16 && !memcmp(out, in, 16),
		       "flips: untouched package still unwraps");
		olen = sizeof(out);
		tap_eq_int(chipkey_unwrap(ck, pkg, plen - 1, out, &olen, NULL),
			   -EINVAL, "truncated package -> EINVAL");
	}
	chipkey_close(ck);
}

static void test_other_chip(void)
{
	struct chipkey *a, *b;
	uint8_t in[32], pkg[32 + CHIPKEY_PKG_OVERHEAD], out[64];
	size_t plen = sizeof(pkg), olen = sizeof(out);

	if (ck_open1(&a))
		return;
	if (!tap_ok(chipkey_open(dev2, &b) == 0, "open the second emulator")) {
		chipkey_close(a);
		return;
	}
	RAND_bytes(in, sizeof(in));
	chipkey_wrap(a, in, sizeof(in), 1, pkg, &plen);
	tap_eq_int(chipkey_unwrap(b, pkg, plen, out, &olen, NULL), -ENOKEY,
		   "package of chip 1 on chip 2 -> ENOKEY");
	/* Same chip ID as chip 2 but chip 1's key: not decryptable. */
	memcpy(pkg + CK_PKG_OFF_CHIP_ID, id2, 16);
	olen = sizeof(out);
	tap_eq_int(chipkey_unwrap(b, pkg, plen, out, &olen, NULL), -EBADMSG,
		   "package relabelled with chip 2's ID -> EBADMSG");
	plen = sizeof(pkg);
	chipkey_wrap(b, in, sizeof(in), 1, pkg, &plen);
	olen = sizeof(out);
	tap_eq_int(chipkey_unwrap(a, pkg, plen, out, &olen, NULL), -ENOKEY,
		   "package of chip 2 on chip 1 -> ENOKEY");
	chipkey_close(a);
	chipkey_close(b);
}

static void test_enospc(void)
{
	struct chipkey *ck;
	uint8_t in[100], pkg[100 + CHIPKEY_PKG_OVERHEAD], out[100];
	size_t plen, olen;

	if (ck_open1(&ck))
		return;
	RAND_bytes(in, sizeof(in));
	plen = 50;
	tap_eq_int(chipkey_wrap(ck, in, sizeof(in), 0, pkg, &plen), -ENOSPC,
		   "wrap into a small buffer -> ENOSPC");
	tap_eq_int((long long)plen, 100 + CHIPKEY_PKG_OVERHEAD,
		   "wrap ENOSPC reports the needed size");
	plen = sizeof(pkg);
	chipkey_wrap(ck, in, sizeof(in), 0, pkg, &plen);
	olen = 99;
	tap_eq_int(chipkey_unwrap(ck, pkg, plen, out, &olen, NULL), -ENOSPC,
		   "unwrap into a small buffer -> ENOSPC");
	tap_eq_int((long long)olen, 100, "unwrap ENOSPC reports the needed size");
	chipkey_close(ck);
}

/* Run @fn as uid/gid 65534 in a child; returns its exit code bits. */
static int as_nobody(const char *device, int *info_ret, int *wrap_ret,
		     int *unwrap_ret, int *badflags_ret)
{
	int p[2];
	pid_t pid;
	int res[4] = { 99, 99, 99, 99 }, st;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct chipkey *ck;
		struct chipkey_info info;
		struct chipkey_xfer x;
		uint8_t buf[256];
		size_t len = sizeof(buf);
		int r[4];

		close(p[0]);
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (chipkey_open(device, &ck))
			_exit(3);
		r[0] = chipkey_get_info(ck, &info);
		r[1] = chipkey_wrap(ck, "abc", 3, 0, buf, &len);
		len = sizeof(buf);
		memset(buf, 0, sizeof(buf));
		r[2] = chipkey_unwrap(ck, buf, 100, buf + 100, &len, NULL);
		chipkey_close(ck);
		/* Privilege is checked before anything else. */
		memset(&x, 0, sizeof(x));
		x.flags = 1;
		r[3] = th_raw_xfer(device + 4, CHIPKEY_IOC_WRAP, &x, NULL, 0);
		if (write(p[1], r, sizeof(r)) != sizeof(r))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], res, sizeof(res)) != sizeof(res))
		res[0] = 98;
	close(p[0]);
	waitpid(pid, &st, 0);
	*info_ret = res[0];
	*wrap_ret = res[1];
	*unwrap_ret = res[2];
	*badflags_ret = res[3];
	return 0;
}

static void test_unprivileged(const char *bin)
{
	int i, w, u, f, status;
	pid_t pid;
	char sock3[300], dev3[320], log3[300];

	if (geteuid() != 0) {
		tap_skip("not root: cannot setuid to nobody", "unprivileged client: info ok");
		tap_skip("not root", "unprivileged client: wrap EPERM");
		tap_skip("not root", "unprivileged client: unwrap EPERM");
		tap_skip("not root", "unprivileged client: EPERM before EINVAL");
		tap_skip("not root", "--allow-uid lets nobody wrap");
		return;
	}
	as_nobody(dev1, &i, &w, &u, &f);
	tap_eq_int(i, 0, "unprivileged client (uid 65534): info ok");
	tap_eq_int(w, -EPERM, "unprivileged client: wrap -> EPERM");
	tap_eq_int(u, -EPERM, "unprivileged client: unwrap -> EPERM");
	tap_eq_int(f, -EPERM, "unprivileged client: EPERM before EINVAL");

	snprintf(sock3, sizeof(sock3), "%s/s3", dir);
	snprintf(dev3, sizeof(dev3), "emu:%s", sock3);
	snprintf(log3, sizeof(log3), "%s/emu3.log", dir);
	pid = th_start_emu(bin, state1, sock3, log3, "--allow-uid", "65534",
			   &status);
	as_nobody(dev3, &i, &w, &u, &f);
	tap_ok(pid > 0 && i == 0 && w == 0,
	       "--allow-uid 65534 lets nobody wrap (info %d, wrap %d)", i, w);
	th_stop_emu(pid);
}

struct worker {
	int id, failures;
};

static void *worker_fn(void *arg)
{
	struct worker *wk = arg;
	struct chipkey *ck;
	int i;

	if (ck_open1(&ck)) {
		wk->failures = 200;
		return NULL;
	}
	for (i = 0; i < 200; i++) {
		uint8_t in[300], pkg[300 + CHIPKEY_PKG_OVERHEAD], out[300];
		size_t n = (size_t)(i * 7 + wk->id) % sizeof(in);
		size_t plen = sizeof(pkg), olen = sizeof(out);
		uint64_t gen = 0;

		RAND_bytes(in, sizeof(in));
		if (chipkey_wrap(ck, in, n, (uint64_t)wk->id << 32 | (uint64_t)i,
				 pkg, &plen) ||
		    chipkey_unwrap(ck, pkg, plen, out, &olen, &gen) ||
		    olen != n || memcmp(in, out, n) ||
		    gen != ((uint64_t)wk->id << 32 | (uint64_t)i))
			wk->failures++;
	}
	chipkey_close(ck);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[4];
	struct worker w[4];
	int i, fails = 0, slow;
	struct chipkey *ck;
	struct chipkey_info info;

	/* A slow client holding a half-sent frame must not block anyone. */
	slow = th_raw_connect(sock1);
	if (send(slow, "\x43\x4b\x45\x51\x01\x00", 6, MSG_NOSIGNAL) != 6)
		tap_diag("slow client: send failed");
	for (i = 0; i < 4; i++) {
		w[i].id = i;
		w[i].failures = 0;
		pthread_create(&t[i], NULL, worker_fn, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		fails += w[i].failures;
	}
	tap_eq_int(fails, 0, "4 threads x 200 wrap+unwrap, all correct, while a client stalls mid-frame");
	/* A shared handle used from several threads is serialised. */
	ck_open1(&ck);
	tap_eq_int(chipkey_get_info(ck, &info), 0,
		   "info still answered while the slow client stalls");
	chipkey_close(ck);
	close(slow);
}

static void test_state_refused(const char *bin)
{
	static const struct {
		const char *what;
		int unprog;
		uint8_t fill;
		mode_t mode;
		const char *msg;
	} cases[] = {
		{ "all-zero chip key", 1, 0x00, 0600, "unprogrammed" },
		{ "all-ones chip key", 1, 0xff, 0600, "unprogrammed" },
		{ "world-readable (0644)", 0, 0, 0644, "0600" },
		{ "group-readable (0640)", 0, 0, 0640, "0600" },
		{ "world-writable (0602)", 0, 0, 0602, "0600" },
	};
	char st[300], sk[300], lg[300];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = 0;
		pid_t pid;

		snprintf(st, sizeof(st), "%s/bad%zu.bin", dir, i);
		snprintf(sk, sizeof(sk), "%s/bad%zu.sock", dir, i);
		snprintf(lg, sizeof(lg), "%s/bad%zu.log", dir, i);
		th_make_state(st, id1, cases[i].unprog, cases[i].fill,
			      cases[i].mode, NULL, NULL);
		pid = th_start_emu(bin, st, sk, lg, NULL, NULL, &status);
		if (pid > 0)
			th_stop_emu(pid);
		tap_ok(pid < 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		       th_file_contains(lg, cases[i].msg) &&
		       access(sk, F_OK) != 0,
		       "state file with %s refused, message names '%s'",
		       cases[i].what, cases[i].msg);
	}
	{
		/* Missing file */
		int status = 0;
		pid_t pid;

		snprintf(sk, sizeof(sk), "%s/missing.sock", dir);
		snprintf(lg, sizeof(lg), "%s/missing.log", dir);
		pid = th_start_emu(bin, "/nonexistent/state.bin", sk, lg, NULL,
				   NULL, &status);
		tap_ok(pid < 0 && th_file_contains(lg, "/nonexistent/state.bin"),
		       "missing state file refused, message names the file");
	}
}

int main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : getenv("CHIPKEY_EMU_BIN");
	uint8_t rom1[CHIPKEY_MAX_ROM_KEY];
	size_t rom1_len = 0;
	pid_t p1, p2;
	int status, st;
	char log2[300];

	if (!bin) {
		printf("not ok 1 - usage: test-emu PATH-TO-chipkey-emu\n");
		return 1;
	}
	if (!mkdtemp(dir)) {
		printf("not ok 1 - mkdtemp\n");
		return 1;
	}
	chmod(dir, 0755);	/* the unprivileged client must reach the socket */
	snprintf(sock1, sizeof(sock1), "%s/s1", dir);
	snprintf(sock2, sizeof(sock2), "%s/s2", dir);
	snprintf(state1, sizeof(state1), "%s/chip1.bin", dir);
	snprintf(state2, sizeof(state2), "%s/chip2.bin", dir);
	snprintf(log1, sizeof(log1), "%s/emu1.log", dir);
	snprintf(log2, sizeof(log2), "%s/emu2.log", dir);
	snprintf(dev1, sizeof(dev1), "emu:%s", sock1);
	snprintf(dev2, sizeof(dev2), "emu:%s", sock2);
	RAND_bytes(id1, 16);
	RAND_bytes(id2, 16);
	id2[0] = (uint8_t)~id1[0];

	tap_ok(th_make_state(state1, id1, 0, 0, 0600, rom1, &rom1_len) == 0 &&
	       th_make_state(state2, id2, 0, 0, 0600, NULL, NULL) == 0,
	       "create two 0600 state files");
	p1 = th_start_emu(bin, state1, sock1, log1, NULL, NULL, &status);
	p2 = th_start_emu(bin, state2, sock2, log2, NULL, NULL, &status);
	if (!tap_ok(p1 > 0 && p2 > 0, "start two emulators")) {
		th_stop_emu(p1);
		th_stop_emu(p2);
		return 1;
	}
	{
		struct stat sst;

		tap_ok(stat(sock1, &sst) == 0 && S_ISSOCK(sst.st_mode) &&
		       (sst.st_mode & 0666) == 0666,
		       "socket is mode 0666 (info open to all)");
	}
	test_info(rom1, rom1_len);
	test_round_trips();
	test_flips();
	test_other_chip();
	test_enospc();
	test_emu_wire(sock1, dev1, p1);
	test_unprivileged(bin);
	test_threads();
	test_state_refused(bin);

	{
		pid_t p3;
		char sock3[300], log3[300];

		/* A second emulator must not steal a live socket. */
		snprintf(log3, sizeof(log3), "%s/dup.log", dir);
		p3 = fork();
		if (p3 == 0) {
			int fd = open(log3, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			dup2(fd, 2);
			execl(bin, bin, "--state", state1, "--socket", sock1,
			      "--foreground", (char *)NULL);
			_exit(127);
		}
		for (st = 0; st < 500; st++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (waitpid(p3, &status, WNOHANG) == p3)
				break;
			nanosleep(&ts, NULL);
		}
		if (st == 500) {
			kill(p3, SIGKILL);
			waitpid(p3, &status, 0);
		}
		tap_ok(st < 500 && WIFEXITED(status) && WEXITSTATUS(status) &&
		       th_file_contains(log3, "already") &&
		       access(sock1, F_OK) == 0,
		       "refuses to take over a socket in use");
		(void)sock3;
	}

	st = th_stop_emu(p1);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && access(sock1, F_OK) != 0,
	       "SIGTERM: clean exit 0 and socket removed");
	st = th_stop_emu(p2);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && access(sock2, F_OK) != 0,
	       "second emulator: clean exit");
	if (tap_failures()) {
		tap_diag("emulator logs kept in %s", dir);
	} else {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			tap_diag("could not remove %s", dir);
	}
	return tap_exit_status();
}
