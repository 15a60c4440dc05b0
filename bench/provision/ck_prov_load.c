// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ck_prov_load: provisioning load generator (a benchmark, not a test).
 *
 *   ck_prov_load --spp HOST:PORT --emu CHIPKEY-EMU --chips DIR --count N
 *                [--concurrency C] [--spp-pid PID]
 *
 * DIR holds N fuse images 0.bin .. N-1.bin (chipkey-fuse create, the
 * factory's ROM key).  Before the clock starts, one chipkey-emu process is
 * spawned per image (each its own chip, as in a factory where every device
 * is already powered up); then C threads each take the next chip and run
 * the device side of the provisioning protocol against the SPP, with the
 * same library calls as chipkey-agent (userspace/agent/provision.c),
 * provisioning protocol 2: read the chip (ID, ROM key, attestation key Q),
 * TLS 1.3, SPP credential checked with the ROM key, HELLO, OFFER (its
 * device certificate checked with the ROM key: this chip, this Q), the
 * chip opens the sealed package and wraps it (SEALED_WRAP, context label ||
 * nonce), BACKUP with the chip's MAC, DONE.  Only the flash-store write of
 * the agent is left out (device-local).  The chips must be in the SPP's
 * chip batch (run.sh loads them).  DONE comes after the SPP's durable
 * commit and its check of the chip's MAC, so a device counted here has its
 * backup committed.
 *
 * Prints key=value lines (read by run.sh): devices/s, per-phase latency as
 * seen from the device, CPU seconds used by the SPP, the emulators and
 * this process during the timed window.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chipkey/data_package.h>
#include "common/pki.h"
#include "lib/libchipkey.h"
#include "proto/messages.h"
#include "proto/context.h"

enum { PH_CHIP, PH_TLS, PH_OFFER, PH_WRAP, PH_DONE, PH_TOTAL, NPH };
static const char *ph_name[NPH] = {
	"chip_read", "tls_connect", "hello_to_offer", "device_sealed_wrap",
	"backup_to_done", "total",
};

struct dev {
	pid_t pid;
	char sock[512];
	double t[NPH];		/* seconds spent in each phase */
	int ok;
	char why[96];
};

static struct dev *devs;
static int ndev;
static atomic_int next_dev;
static const char *spp_addr;
static SSL_CTX *cctx;

static void spawn_emulators(const char *emu, const char *dir);
static void stop_emulators(void);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_tcp(const char *spec)
{
	char host[256], port[16];
	const char *c = strrchr(spec, ':');
	struct addrinfo hints, *ai = NULL;
	int fd;

	if (!c || (size_t)(c - spec) >= sizeof(host) || strlen(c + 1) >= sizeof(port))
		return -1;
	memcpy(host, spec, (size_t)(c - spec));
	host[c - spec] = 0;
	strcpy(port, c + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		spp_set_timeouts(fd, 30);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

#define FAIL(...) do { snprintf(d->why, sizeof(d->why), __VA_ARGS__); goto out; } while (0)

/* An ERROR frame's code name, for the failure reason. */
static const char *refusal(const struct spp_frame *f)
{
	struct ck_spp_error e = { .code = 0 };

	spp_error_decode(f, &e);
	return spp_err_name(e.code);
}

/* The device side of one provisioning session (as chipkey-agent does it). */
static void provision_one(struct dev *d)
{
	char spec[600], identity[CK_DP_DEVICE_ID_LEN + 1];
	struct chipkey *ck = NULL;
	struct chipkey_info info;
	struct ck_spp_hello hello = { .flags = 0 };
	struct ck_spp_offer offer;
	struct ck_spp_backup backup = { .backup = NULL };
	struct ck_spp_done done;
	uint8_t rom[CHIPKEY_MAX_ROM_KEY], q[CHIPKEY_EC_POINT_LEN];
	uint8_t ctx[CK_SPP_WRAP_CTX_LEN];
	size_t rom_len = sizeof(rom), der_len = 0, bk_len;
	uint8_t *der = NULL, *bk = NULL;
	struct spp_conn c = { .ssl = NULL, .fd = -1 };
	struct spp_frame f = { 0 };
	EVP_PKEY *pk;
	X509 *peer = NULL, *cert = NULL, *ica = NULL;
	STACK_OF(X509) *chain;
	double t0 = now(), t;

	/* a device of its own: nothing remembered of the devices before it on
	 * this thread (the issuing CA's signature by the ROM key) */
	pki_sig_memo_forget();
	/* chip: ID, ROM key, canonical fingerprint, attestation key Q */
	snprintf(spec, sizeof(spec), "emu:%s", d->sock);
	if (chipkey_open(spec, &ck) || chipkey_get_info(ck, &info) ||
	    chipkey_get_rom_key(ck, rom, &rom_len) ||
	    chipkey_get_attest_key(ck, hello.attest_pub))
		FAIL("cannot read the chip");
	pk = pki_public_from_der(rom, rom_len);
	if (!pk || pki_public_to_der(pk, &der, &der_len) ||
	    spp_sha256(der, der_len, hello.rom_fp)) {
		EVP_PKEY_free(pk);
		FAIL("ROM key");
	}
	EVP_PKEY_free(pk);
	t = now(); d->t[PH_CHIP] = t - t0; t0 = t;

	/* TLS 1.3 + SPP credential checked with the ROM key */
	c.fd = connect_tcp(spp_addr);
	if (c.fd < 0)
		FAIL("connect: %s", strerror(errno));
	c.deadline = spp_now() + 60;
	c.ssl = SSL_new(cctx);
	if (!c.ssl || SSL_set_fd(c.ssl, c.fd) != 1 || SSL_connect(c.ssl) != 1)
		FAIL("TLS handshake");
	peer = SSL_get1_peer_certificate(c.ssl);
	/* the issuing CA is the second certificate of the SPP's chain */
	chain = SSL_get_peer_cert_chain(c.ssl);
	if (!peer || SSL_version(c.ssl) != TLS1_3_VERSION || sk_X509_num(chain) < 2 ||
	    pki_verify_spp_cert(peer, sk_X509_value(chain, 1), rom, rom_len, 0))
		FAIL("SPP credential refused");
	t = now(); d->t[PH_TLS] = t - t0; t0 = t;

	/* HELLO -> OFFER */
	memcpy(hello.chip_id, info.chip_id, CHIPKEY_CHIP_ID_LEN);
	if (spp_send_hello(&c, &hello) || spp_recv(&c, &f, CK_SPP_MAX_BODY))
		FAIL("no OFFER");
	if (f.type == CK_SPP_ERROR)
		FAIL("SPP refused: %s", refusal(&f));
	if (spp_offer_decode(&f, &offer))
		FAIL("bad OFFER (type %u)", f.type);
	t = now(); d->t[PH_OFFER] = t - t0; t0 = t;

	/* device: the certificate (ROM key, this chip, this Q), then the chip
	 * opens the sealed package and wraps it: SEALED_WRAP */
	ica = pki_cert_from_der_known(offer.ca_cert, offer.ca_cert_len,
				      SSL_get_peer_cert_chain(c.ssl));
	if (!(cert = pki_cert_from_der(offer.cert, offer.cert_len)) || !ica ||
	    pki_verify_device_cert(cert, ica, rom, rom_len, NULL, info.chip_id, 0) ||
	    pki_cert_device_identity(cert, identity) || pki_cert_attest_key(cert, q) ||
	    CRYPTO_memcmp(q, hello.attest_pub, sizeof(q)))
		FAIL("device certificate refused");
	bk_len = CHIPKEY_MAX_PACKAGE;
	bk = malloc(bk_len);
	spp_wrap_context(offer.nonce, ctx);
	if (!bk || chipkey_sealed_wrap(ck, offer.sealed, offer.sealed_len, 1, ctx, sizeof(ctx),
				       bk, &bk_len, backup.mac))
		FAIL("sealed wrap");
	backup.backup = bk;
	backup.backup_len = bk_len;
	spp_frame_clear(&f);
	t = now(); d->t[PH_WRAP] = t - t0; t0 = t;

	/* BACKUP -> DONE (after the SPP's commit) */
	if (spp_send_backup(&c, &backup) || spp_recv(&c, &f, CK_SPP_MAX_BODY))
		FAIL("no DONE");
	if (f.type == CK_SPP_ERROR)
		FAIL("SPP refused: %s", refusal(&f));
	if (spp_done_decode(&f, &done) || strcmp(done.identity, identity))
		FAIL("bad DONE");
	t = now(); d->t[PH_DONE] = t - t0;
	d->ok = 1;
out:
	for (int i = 0; i < PH_TOTAL; i++)
		d->t[PH_TOTAL] += d->t[i];
	spp_frame_clear(&f);
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	if (c.fd >= 0)
		close(c.fd);
	ERR_clear_error();
	X509_free(peer);
	X509_free(cert);
	X509_free(ica);
	OPENSSL_free(der);
	free(bk);
	OPENSSL_cleanse(backup.mac, sizeof(backup.mac));
	chipkey_close(ck);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		int i = atomic_fetch_add(&next_dev, 1);

		if (i >= ndev)
			return NULL;
		provision_one(&devs[i]);
	}
}

/*
 * CPU time of a process so far (all its threads, those that exited
 * included), seconds, in nanoseconds (its CPU-time clock); -1 if gone.
 * Not /proc/PID/stat: that counts in clock ticks (10 ms), and an emulator
 * spends less than one tick per device, so each read 0 (until 2026-12-07
 * the emulators' CPU was counted as about 0).
 */
static double proc_cpu(pid_t pid)
{
	struct timespec ts;
	clockid_t clk;

	if (clock_getcpuclockid(pid, &clk) || clock_gettime(clk, &ts))
		return -1;
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* CPU of the emulators so far (alive), seconds: their start is not in it
 * when read after they all listen. */
static double emu_cpu(void)
{
	double sum = 0;

	for (int i = 0; i < ndev; i++) {
		double c = devs[i].pid > 0 ? proc_cpu(devs[i].pid) : -1;

		if (c > 0)
			sum += c;
	}
	return sum;
}

/* Time the threads of @pid have spent runnable but waiting for a CPU
 * (run queue; /proc/PID/task/N/schedstat, field 2), seconds; -1 if
 * unknown.  Threads that exited are not counted. */
static double run_queue_wait(pid_t pid)
{
	char path[96], dir[64];
	struct dirent *e;
	double sum = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		unsigned long long run, wait;
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%.20s/schedstat", dir, e->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fscanf(fp, "%llu %llu", &run, &wait) == 2)
			sum += (double)wait / 1e9;
		fclose(fp);
	}
	closedir(d);
	return sum;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void spawn_emulators(const char *emu, const char *dir)
{
	for (int i = 0; i < ndev; i++) {
		char state[512];
		pid_t p;

		snprintf(state, sizeof(state), "%s/%d.bin", dir, i);
		snprintf(devs[i].sock, sizeof(devs[i].sock), "%s/%d.sock", dir, i);
		unlink(devs[i].sock);
		p = fork();
		if (p == 0) {
			int nul = open("/dev/null", O_WRONLY);

			if (nul >= 0)
				dup2(nul, 2);
			execl(emu, emu, "--foreground", "--state", state, "--socket",
			      devs[i].sock, (char *)NULL);
			_exit(127);
		}
		devs[i].pid = p;
	}
	for (int i = 0; i < ndev; i++) {
		struct stat sb;
		int tries = 0;

		while (stat(devs[i].sock, &sb) && tries++ < 2000)
			usleep(5000);
	}
}

static void stop_emulators(void)
{
	for (int i = 0; i < ndev; i++)
		if (devs[i].pid > 0)
			kill(devs[i].pid, SIGTERM);
	for (int i = 0; i < ndev; i++)
		if (devs[i].pid > 0)
			waitpid(devs[i].pid, NULL, 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spp", required_argument, NULL, 's' },
		{ "emu", required_argument, NULL, 'e' },
		{ "chips", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'j' },
		{ "spp-pid", required_argument, NULL, 'p' },
		{ "station-cert", required_argument, NULL, 'C' },
		{ "station-key", required_argument, NULL, 'K' },
		{ 0 }
	};
	const char *emu = NULL, *dir = NULL, *st_cert = NULL, *st_key = NULL;
	int conc = 32, opt, nok = 0;
	pid_t spp_pid = 0;
	pthread_t *th;
	double t0, t1, spp0 = 0, spp1 = 0, rq0 = -1, rq1 = -1, self0, self1, emu0, emu1, *v;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': spp_addr = optarg; break;
		case 'e': emu = optarg; break;
		case 'c': dir = optarg; break;
		case 'n': ndev = atoi(optarg); break;
		case 'j': conc = atoi(optarg); break;
		case 'p': spp_pid = (pid_t)atoi(optarg); break;
		case 'C': st_cert = optarg; break;
		case 'K': st_key = optarg; break;
		default: return 2;
		}
	}
	if (!spp_addr || !emu || !dir || ndev < 1 || conc < 1 || !st_cert != !st_key) {
		fprintf(stderr, "usage: ck_prov_load --spp HOST:PORT --emu BIN --chips DIR --count N [--concurrency C] [--spp-pid PID]\n"
			"                    [--station-cert FILE --station-key FILE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	devs = calloc((size_t)ndev, sizeof(*devs));
	th = calloc((size_t)conc, sizeof(*th));
	v = calloc((size_t)ndev, sizeof(*v));
	if (!devs || !th || !v)
		return 1;
	spawn_emulators(emu, dir);

	/* One TLS client context shared by the emulated devices (as each
	 * agent process has its own; the per-connection work is the same). */
	cctx = SSL_CTX_new(TLS_client_method());
	if (!cctx || SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION) != 1)
		return 1;
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_OFF);
	/* the factory station credential chipkey-spp requires (mutual TLS) */
	if (st_cert && (SSL_CTX_use_certificate_chain_file(cctx, st_cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(cctx, st_key, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(cctx) != 1)) {
		fprintf(stderr, "ck_prov_load: cannot load the station credential %s\n", st_cert);
		return 1;
	}

	if (spp_pid) {
		spp0 = proc_cpu(spp_pid);
		rq0 = run_queue_wait(spp_pid);
	}
	emu0 = emu_cpu();
	self0 = self_cpu();
	t0 = now();
	for (int i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	t1 = now();
	self1 = self_cpu();
	if (spp_pid) {
		spp1 = proc_cpu(spp_pid);
		rq1 = run_queue_wait(spp_pid);
	}
	emu1 = emu_cpu();
	stop_emulators();

	for (int i = 0; i < ndev; i++) {
		nok += devs[i].ok;
		if (!devs[i].ok)
			fprintf(stderr, "# device %d failed: %s\n", i, devs[i].why);
	}
	printf("devices=%d\nok=%d\nconcurrency=%d\nwall_s=%.3f\ndevices_per_s=%.1f\n",
	       ndev, nok, conc, t1 - t0, nok / (t1 - t0));
	printf("cpu_spp_s=%.2f\ncpu_emu_s=%.2f\ncpu_load_s=%.2f\nrunq_spp_s=%.2f\n",
	       spp_pid ? spp1 - spp0 : -1, emu1 - emu0, self1 - self0,
	       rq0 >= 0 && rq1 >= 0 ? rq1 - rq0 : -1);
	for (int p = 0; p < NPH; p++) {
		int n = 0;
		double sum = 0;

		for (int i = 0; i < ndev; i++)
			if (devs[i].ok) {
				v[n++] = devs[i].t[p];
				sum += devs[i].t[p];
			}
		if (!n)
			continue;
		qsort(v, (size_t)n, sizeof(*v), cmpd);
		printf("phase_%s_ms=%.2f %.2f %.2f\n", ph_name[p], 1e3 * sum / n,
		       1e3 * v[n / 2], 1e3 * v[(size_t)((n - 1) * 0.99)]);
	}
	SSL_CTX_free(cctx);
	free(devs);
	free(th);
	free(v);
	return nok == ndev ? 0 : 1;
}
