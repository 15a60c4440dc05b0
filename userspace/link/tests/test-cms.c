// SPDX-License-Identifier: GPL-2.0
/*
 * The driver of the mode-3 and mode-4 tests (run-modes34.sh): runs the
 * real server() and device() of a mode in two processes joined through a
 * relay that can record, tamper with, truncate, replace or inflate any
 * frame, and the device-side checks of a single message file.
 *
 *   test-cms run cms|bcast OPTS        server + device; prints each side's
 *                                      result, exit 0 iff both keys agree
 *   test-cms accept OPTS FILE          device accepts a mode-3 SECRET
 *   test-cms bcast-accept OPTS FILE    device accepts a broadcast
 *   test-cms publish OPTS VERSION SECS a broadcast into --srv-state
 * OPTS: --rom DER --ica PEM --svc-key PEM --svc-cert PEM --dev-key PEM
 *       --dev-cert PEM --dev-state DIR --srv-state DIR --dump DIR
 *       --flip K:OFF --trunc K:LEN --replace K:FILE --oversize K
 *       --hdr K:I:V (header byte I, 0 type or 1 reserved, set to V)
 *       --stall K:LEN (announce frame K, send LEN bytes of it, then send
 *       nothing more and keep the connection open until the receiver
 *       hangs up) --timeout-ms N (both sides' frame deadline)
 * (K: the K-th frame through the relay, from 1).  The server process
 * runs without LD_PRELOAD (re-executed), so a fake device clock
 * (recovery/tests/fake-clock.so) stays on the device side.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/pki.h"
#include "link/link-bcast.h"

struct opts {
	const char *rom, *ica, *svc_key, *svc_cert, *dev_key, *dev_cert;
	const char *dev_state, *srv_state, *dump, *replace_file;
	int flip_k, flip_off, trunc_k, trunc_len, replace_k, oversize_k;
	int hdr_k, hdr_i, hdr_v, stall_k, stall_len;
};

struct result {
	int rc;
	char why[256];
	struct ck_link_secret sec;
};

static void die(const char *what)
{
	fprintf(stderr, "test-cms: %s\n", what);
	exit(2);
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	if (!k)
		die("cannot read a private key");
	return k;
}

static STACK_OF(X509) *load_certs(const char *path)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	FILE *f = path ? fopen(path, "r") : NULL;
	X509 *x;

	if (!f)
		die("cannot read a certificate file");
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)))
		sk_X509_push(sk, x);
	fclose(f);
	if (!sk_X509_num(sk))
		die("no certificate in a file");
	return sk;
}

static EVP_PKEY *load_rom(const char *path)
{
	uint8_t *buf;
	size_t len;
	EVP_PKEY *k;

	if (!path || ck_file_read(path, &buf, &len, 4096))
		die("cannot read the ROM key");
	k = pki_public_from_der(buf, len);
	free(buf);
	if (!k)
		die("bad ROM key");
	return k;
}

static int parse_kv(const char *s, int *k, int *v)
{
	return sscanf(s, "%d:%d", k, v) == 2 ? 0 : -1;
}

static int parse_opts(int argc, char **argv, int i, struct opts *o)
{
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		const char *n = argv[i] + 2, *v = argv[i + 1];

		if (!strcmp(n, "rom")) o->rom = v;
		else if (!strcmp(n, "ica")) o->ica = v;
		else if (!strcmp(n, "svc-key")) o->svc_key = v;
		else if (!strcmp(n, "svc-cert")) o->svc_cert = v;
		else if (!strcmp(n, "dev-key")) o->dev_key = v;
		else if (!strcmp(n, "dev-cert")) o->dev_cert = v;
		else if (!strcmp(n, "dev-state")) o->dev_state = v;
		else if (!strcmp(n, "srv-state")) o->srv_state = v;
		else if (!strcmp(n, "dump")) o->dump = v;
		else if (!strcmp(n, "flip")) { if (parse_kv(v, &o->flip_k, &o->flip_off)) die("--flip K:OFF"); }
		else if (!strcmp(n, "trunc")) { if (parse_kv(v, &o->trunc_k, &o->trunc_len)) die("--trunc K:LEN"); }
		else if (!strcmp(n, "stall")) { if (parse_kv(v, &o->stall_k, &o->stall_len)) die("--stall K:LEN"); }
		else if (!strcmp(n, "timeout-ms")) ck_link_frame_timeout_ms = atoi(v);
		else if (!strcmp(n, "replace")) {
			static char file[4096];

			if (sscanf(v, "%d:%4095s", &o->replace_k, file) != 2)
				die("--replace K:FILE");
			o->replace_file = file;
		} else if (!strcmp(n, "oversize")) o->oversize_k = atoi(v);
		else if (!strcmp(n, "hdr")) {
			if (sscanf(v, "%d:%d:%i", &o->hdr_k, &o->hdr_i, &o->hdr_v) != 3 ||
			    o->hdr_i < 0 || o->hdr_i > 1)
				die("--hdr K:I:V (I 0 type, 1 reserved)");
		}
		else die("unknown option");
	}
	return i;
}

static void server_side(const struct opts *o, struct ck_link_server *s)
{
	STACK_OF(X509) *c = load_certs(o->svc_cert);

	memset(s, 0, sizeof(*s));
	s->key = load_key(o->svc_key);
	s->cert = sk_X509_shift(c);
	sk_X509_pop_free(c, X509_free);
	s->chain = load_certs(o->ica);
	s->rom_key = load_rom(o->rom);
	s->state_dir = o->srv_state;
}

static void device_side(const struct opts *o, struct ck_link_device *d)
{
	STACK_OF(X509) *c = load_certs(o->dev_cert);

	memset(d, 0, sizeof(*d));
	d->key = load_key(o->dev_key);
	d->cert = sk_X509_shift(c);
	sk_X509_pop_free(c, X509_free);
	d->rom_key = load_rom(o->rom);
	d->state_dir = o->dev_state;
	if (pki_cert_device_identity(d->cert, d->identity))
		die("the device certificate names no identity");
}

static void device_free(struct ck_link_device *d)
{
	EVP_PKEY_free(d->key);
	X509_free(d->cert);
	EVP_PKEY_free(d->rom_key);
}

static void server_free(struct ck_link_server *s)
{
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	EVP_PKEY_free(s->rom_key);
}

static const struct ck_link_mode *mode_of(const char *name)
{
	if (!strcmp(name, "cms"))
		return &ck_link_mode_cms;
	if (!strcmp(name, "bcast"))
		return &ck_link_mode_bcast;
	die("mode: cms or bcast");
	return NULL;
}

static void report(const char *who, const struct result *r)
{
	printf("%s: rc=%d %s%s%s\n", who, r->rc, r->rc ? strerrorname_np(-r->rc) : "ok",
	       r->rc ? ": " : "", r->rc ? r->why : "");
}

static int accept_file(const struct opts *o, const char *path, int bcast)
{
	struct ck_link_device d;
	struct result r = { 0 };
	uint8_t *buf;
	size_t len;

	device_side(o, &d);
	if (ck_file_read(path, &buf, &len, 1 << 20))
		die("cannot read the message file");
	if (bcast) {
		struct ck_link_bcast_body b;

		r.rc = ck_link_bcast_device_accept(&d, buf, len, &b);
		if (!r.rc)
			printf("version=%llu\n", (unsigned long long)b.version);
	} else {
		struct ck_link_cms_body b;
		X509 *server = NULL;

		r.rc = ck_link_cms_device_accept(&d, buf, len, &b, &server);
		if (!r.rc)
			printf("seq=%llu\n", (unsigned long long)b.seq);
		X509_free(server);
	}
	snprintf(r.why, sizeof(r.why), "%s", ck_link_cms_why());
	report("device", &r);
	free(buf);
	device_free(&d);
	return r.rc ? 1 : 0;
}

/* ---- the relay ---- */

static int read_full(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t k = read(fd, b, n);

		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One frame from @from to @to, altered as the options say; -1 at EOF. */
static int relay_frame(const struct opts *o, int from, int to, int k)
{
	uint8_t hdr[4], *body;
	size_t len;
	char path[4200];

	if (read_full(from, hdr, 4))
		return -1;
	len = (size_t)hdr[2] << 8 | hdr[3];
	body = malloc(len + 1);
	if (!body || read_full(from, body, len))
		return -1;
	if (o->dump) {
		snprintf(path, sizeof(path), "%s/frame-%d.bin", o->dump, k);
		ck_file_write_atomic(path, body, len, 0644, 1);
	}
	if (o->flip_k == k && (size_t)o->flip_off < len)
		body[o->flip_off] ^= 0x01;
	if (o->trunc_k == k && (size_t)o->trunc_len < len) {
		/* announce the whole frame, send part of it, then hang up */
		ck_file_write_all(to, hdr, 4);
		ck_file_write_all(to, body, (size_t)o->trunc_len);
		free(body);
		return -1;
	}
	if (o->stall_k == k && (size_t)o->stall_len < len) {
		/* a peer that stalls mid-frame: the receiver's deadline must
		 * end it (a safety limit of 120 s here, then a hang-up) */
		struct pollfd p = { .fd = to, .events = POLLIN };

		ck_file_write_all(to, hdr, 4);
		ck_file_write_all(to, body, (size_t)o->stall_len);
		free(body);
		poll(&p, 1, 120000);
		return -1;
	}
	if (o->replace_k == k) {
		uint8_t *nb;
		size_t nl;

		if (ck_file_read(o->replace_file, &nb, &nl, 65535))
			die("cannot read the replacement");
		free(body);
		body = nb;
		len = nl;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
	}
	if (o->oversize_k == k) {
		free(body);
		len = CK_LINK_FRAME_MAX + 1;
		body = calloc(1, len);
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
	}
	if (o->hdr_k == k)
		hdr[o->hdr_i] = (uint8_t)o->hdr_v;
	ck_file_write_all(to, hdr, 4);
	ck_file_write_all(to, body, len);
	free(body);
	return 0;
}

static void relay(const struct opts *o, int s, int d)
{
	struct pollfd p[2] = { { .fd = s, .events = POLLIN }, { .fd = d, .events = POLLIN } };
	int k = 1;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			break;
		if (p[0].revents && relay_frame(o, s, d, k++))
			break;
		if (p[1].revents && relay_frame(o, d, s, k++))
			break;
	}
	/* one side is done: the other sees the end of the connection */
	shutdown(s, SHUT_RDWR);
	shutdown(d, SHUT_RDWR);
}

static void run_server(const struct opts *o, const char *mode, int fd, int res)
{
	struct ck_link_server s;
	struct result r = { 0 };

	server_side(o, &s);
	r.rc = mode_of(mode)->server(&s, fd, &r.sec);
	snprintf(r.why, sizeof(r.why), "%s", ck_link_cms_why());
	ck_file_write_all(res, &r, sizeof(r));
	server_free(&s);
	exit(0);	/* (exit: the ASan build checks for leaks) */
}

static int exited_cleanly(pid_t pid, const char *who)
{
	int st = 0;

	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	printf("%s process: abnormal end, status 0x%x\n", who, st);
	return 0;
}

static int run(int argc, char **argv, const struct opts *o, const char *mode)
{
	int ss[2], ds[2], rs[2], rd[2];
	struct result r_s = { .rc = -EPIPE }, r_d = { .rc = -EPIPE };
	pid_t ps, pd;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, ss) || socketpair(AF_UNIX, SOCK_STREAM, 0, ds) ||
	    pipe(rs) || pipe(rd))
		die("socketpair");
	ps = fork();
	if (ps == 0) {
		char fd[16], res[16];
		char **av;
		int i, n = 0;

		close(ds[0]);
		close(ds[1]);
		close(ss[0]);
		snprintf(fd, sizeof(fd), "%d", ss[1]);
		snprintf(res, sizeof(res), "%d", rs[1]);
		if (!getenv("LD_PRELOAD"))
			run_server(o, mode, ss[1], rs[1]);
		/* the server keeps the real clock */
		unsetenv("LD_PRELOAD");
		av = calloc((size_t)argc + 4, sizeof(*av));
		if (!av)
			_exit(127);
		av[n++] = argv[0];
		av[n++] = "--as-server";
		av[n++] = fd;
		av[n++] = res;
		for (i = 2; i < argc; i++)
			av[n++] = argv[i];
		execv("/proc/self/exe", av);
		_exit(127);
	}
	pd = fork();
	if (pd == 0) {
		struct ck_link_device d;
		struct result r = { 0 };

		close(ss[0]);
		close(ss[1]);
		close(ds[0]);
		device_side(o, &d);
		r.rc = mode_of(mode)->device(&d, ds[1], &r.sec);
		snprintf(r.why, sizeof(r.why), "%s", ck_link_cms_why());
		ck_file_write_all(rd[1], &r, sizeof(r));
		shutdown(ds[1], SHUT_RDWR);
		device_free(&d);
		exit(0);
	}
	close(ss[1]);
	close(ds[1]);
	close(rs[1]);
	close(rd[1]);
	relay(o, ss[0], ds[0]);
	if (read_full(rs[0], (uint8_t *)&r_s, sizeof(r_s)))
		r_s.rc = -EPIPE;
	if (read_full(rd[0], (uint8_t *)&r_d, sizeof(r_d)))
		r_d.rc = -EPIPE;
	report("server", &r_s);
	report("device", &r_d);
	/* a crash, or a leak in the ASan build, fails the run whatever else */
	if (!exited_cleanly(ps, "server") + !exited_cleanly(pd, "device") || r_s.rc || r_d.rc)
		return 1;
	if (r_s.sec.key_len != 32 || r_d.sec.key_len != 32 ||
	    memcmp(r_s.sec.key, r_d.sec.key, 32) ||
	    strcmp(r_s.sec.psk_identity, r_d.sec.psk_identity)) {
		printf("keys: differ\n");
		return 1;
	}
	printf("keys: equal, psk_identity %s, peer %s\n", r_s.sec.psk_identity, r_s.sec.peer);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int i;

	signal(SIGPIPE, SIG_IGN);	/* a side that hangs up is an error code */
	if (argc >= 5 && !strcmp(argv[1], "--as-server")) {
		parse_opts(argc, argv, 5, &o);
		run_server(&o, argv[4], atoi(argv[2]), atoi(argv[3]));
	}
	if (argc < 3)
		die("usage: see the head of test-cms.c");
	if (!strcmp(argv[1], "run")) {
		if (parse_opts(argc, argv, 3, &o) != argc)
			die("bad arguments");
		return run(argc, argv, &o, argv[2]);
	}
	i = parse_opts(argc, argv, 2, &o);
	if (!strcmp(argv[1], "accept") && i == argc - 1)
		return accept_file(&o, argv[i], 0);
	if (!strcmp(argv[1], "bcast-accept") && i == argc - 1)
		return accept_file(&o, argv[i], 1);
	if (!strcmp(argv[1], "publish") && i == argc - 2) {
		struct ck_link_server s;
		int rc;

		server_side(&o, &s);
		rc = ck_link_bcast_publish(s.state_dir, s.key, s.cert, s.chain,
					   strtoull(argv[i], NULL, 10),
					   (uint32_t)strtoul(argv[i + 1], NULL, 10));
		if (rc)
			printf("publish: rc=%d %s\n", rc, ck_link_cms_why());
		server_free(&s);
		return rc ? 1 : 0;
	}
	die("bad arguments");
	return 2;
}
