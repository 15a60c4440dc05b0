// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-agent: the device side of factory provisioning.
 *
 *   chipkey-agent provision --spp HOST:PORT [--device DEV|emu:SOCK] --store DIR
 *                 [--timeout S] [--station-cert FILE --station-key FILE]
 *
 * --station-cert/--station-key: the factory line station's TLS client
 * credential (chipkey-factory init: station-cert.pem, station-key.pem),
 * which chipkey-spp requires unless it runs with --no-station-auth.
 *
 * Exit status: 0 provisioned (or already provisioned: store rewritten from
 * the SPP's record), 1 usage or local error, 2 chip error, 3 SPP not trusted
 * (credential does not chain to the ROM key), 4 the SPP refused (ERROR
 * reply), 5 connection or protocol failure.  See docs/provisioning-protocol.md.
 *
 * Built with -DCK_AGENT_FAULTS (tests only), --fault KIND makes it misbehave
 * on purpose: other-chip (with --other-device), truncate, tamper, bad-proof,
 * oversize, short-hello, bad-version, wrong-type.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "libchipkey.h"
#include "pki.h"
#include "wire.h"
#include "flash.h"

enum { EX_OK = 0, EX_LOCAL = 1, EX_CHIP = 2, EX_UNTRUSTED = 3, EX_REFUSED = 4,
       EX_PROTO = 5 };

static const char *prog = "chipkey-agent";
#ifdef CK_AGENT_FAULTS
static const char *fault = "";
static const char *other_dev;
#endif

struct agent {
	struct chipkey *ck;
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	uint8_t rom[CHIPKEY_MAX_ROM_KEY];
	size_t rom_len;
	uint8_t fp[32];
	struct spp_conn c;
	const char *store_dir;
};

static int die(int code, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return code;
}

static int connect_tcp(const char *spec, int timeout)
{
	char host[256], port[16];
	const char *c = strrchr(spec, ':');
	struct addrinfo hints, *ai = NULL, *p;
	int fd = -1;

	if (!c || (size_t)(c - spec) >= sizeof(host) || strlen(c + 1) >= sizeof(port))
		return -EINVAL;
	memcpy(host, spec, (size_t)(c - spec));
	host[c - spec] = 0;
	strcpy(port, c + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai))
		return -EHOSTUNREACH;
	for (p = ai; p; p = p->ai_next) {
		fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		spp_set_timeouts(fd, timeout);
		if (!connect(fd, p->ai_addr, p->ai_addrlen))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd < 0 ? -ECONNREFUSED : fd;
}

/* Read the chip: ID, ROM key and its canonical fingerprint. */
static int read_chip(struct agent *a, const char *dev)
{
	struct chipkey_info info;
	EVP_PKEY *pk;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int err;

	err = chipkey_open(dev, &a->ck);
	if (!err)
		err = chipkey_get_info(a->ck, &info);
	if (err)
		return err;
	memcpy(a->chip_id, info.chip_id, CHIPKEY_CHIP_ID_LEN);
	a->rom_len = sizeof(a->rom);
	err = chipkey_get_rom_key(a->ck, a->rom, &a->rom_len);
	if (err)
		return err;
	pk = pki_public_from_der(a->rom, a->rom_len);
	if (!pk)
		return -EINVAL;
	err = pki_public_to_der(pk, &der, &der_len);
	EVP_PKEY_free(pk);
	if (err)
		return err;
	err = spp_sha256(der, der_len, a->fp);
	OPENSSL_free(der);
	return err;
}

/* TLS 1.3 to the SPP; the server certificate must verify with the ROM key. */
static int tls_connect(struct agent *a, SSL_CTX **ctxp, const char *spec,
		       int timeout, const char *st_cert, const char *st_key)
{
	SSL_CTX *ctx;
	X509 *peer;
	time_t now;
	int fd, err;

	fd = connect_tcp(spec, timeout);
	if (fd < 0)
		return die(EX_PROTO, "cannot connect to the SPP %s", spec);
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		close(fd);
		SSL_CTX_free(ctx);
		return die(EX_LOCAL, "TLS setup failed%s", "");
	}
	/*
	 * The device has no CA certificate, only the manufacturer public key
	 * in ROM: the chain is checked below with that key; the handshake
	 * itself (CertificateVerify) proves the SPP holds the private key of
	 * the certificate it presented.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	*ctxp = ctx;
	/* The factory station credential (mutual TLS): what lets the SPP
	 * tell a station of this factory line from any other client. */
	if (st_cert && (SSL_CTX_use_certificate_chain_file(ctx, st_cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(ctx, st_key, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(ctx) != 1)) {
		ERR_print_errors_fp(stderr);
		close(fd);
		return die(EX_LOCAL, "cannot load the station credential %s", st_cert);
	}
	a->c.fd = fd;
	a->c.ssl = SSL_new(ctx);
	if (!a->c.ssl || SSL_set_fd(a->c.ssl, fd) != 1 ||
	    SSL_connect(a->c.ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return die(EX_PROTO, "TLS handshake with %s failed", spec);
	}
	if (SSL_version(a->c.ssl) != TLS1_3_VERSION)
		return die(EX_UNTRUSTED, "SPP did not negotiate TLS 1.3%s", "");
	peer = SSL_get1_peer_certificate(a->c.ssl);
	if (!peer)
		return die(EX_UNTRUSTED, "SPP presented no certificate%s", "");
	/*
	 * A device fresh off the line may have no clock yet (1970): then the
	 * SPP certificate's validity cannot be checked and only its signature
	 * by the ROM key, its role and the handshake count (pki_clock_now()).
	 */
	now = pki_clock_now();
	if (now == PKI_TIME_IGNORE)
		fprintf(stderr, "chipkey-agent: warning: the clock is not set; "
			"not checking the SPP certificate's validity period\n");
	err = pki_verify_spp_cert(peer, a->rom, a->rom_len, now);
	X509_free(peer);
	if (err)
		return die(EX_UNTRUSTED,
			   "SPP credential does not chain to the manufacturer key in ROM (%s): refused",
			   strerror(-err));
	return 0;
}

static int report_error(struct spp_frame *f)
{
	uint16_t code = 0;
	char text[CK_SPP_MAX_ERROR_TEXT + 1];

	if (spp_parse_error(f, &code, text))
		return die(EX_PROTO, "malformed ERROR from the SPP%s", "");
	fprintf(stderr, "%s: SPP refused: %s: %s\n", prog, spp_err_name(code), text);
	return EX_REFUSED;
}

/* Unwrap @bk on this chip and decode it: the data package as the device sees it. */
static int unwrap_dp(struct agent *a, const uint8_t *bk, size_t bk_len,
		     uint8_t **dp_out, size_t *dp_len, uint64_t *gen)
{
	uint8_t *buf = malloc(CHIPKEY_MAX_PAYLOAD);
	size_t len = CHIPKEY_MAX_PAYLOAD;
	int err;

	if (!buf)
		return -ENOMEM;
	err = chipkey_unwrap(a->ck, bk, bk_len, buf, &len, gen);
	if (err) {
		OPENSSL_cleanse(buf, CHIPKEY_MAX_PAYLOAD);
		free(buf);
		return err;
	}
	*dp_out = buf;
	*dp_len = len;
	return 0;
}

static void free_dp(uint8_t *dp)
{
	if (dp) {
		OPENSSL_cleanse(dp, CHIPKEY_MAX_PAYLOAD);
		free(dp);
	}
}

/* Checks of a data package (for this chip, certificate from our manufacturer). */
static int check_dp(struct agent *a, const uint8_t *buf, size_t len,
		    struct ck_dp **out, char identity[CK_DP_DEVICE_ID_LEN + 1])
{
	struct ck_dp *dp = NULL;
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	const uint8_t *cder;
	size_t clen;
	X509 *cert;
	int err;

	err = ck_dp_decode(buf, len, &dp);
	if (!err)
		err = ck_dp_chip_id(dp, chip);
	if (!err && memcmp(chip, a->chip_id, sizeof(chip)))
		err = -EXDEV;
	if (!err)
		err = ck_dp_device_id(dp, identity);
	if (!err)
		err = ck_dp_get(dp, CK_DP_DEVICE_CERT, &cder, &clen);
	if (!err) {
		cert = pki_cert_from_der(cder, clen);
		/* As at recovery: the device's clock may be unset or behind. */
		err = cert ? pki_verify_device_cert(cert, a->rom, a->rom_len,
						    identity, a->chip_id,
						    PKI_TIME_IGNORE)
			   : -EINVAL;
		X509_free(cert);
	}
	if (err) {
		ck_dp_free(dp);
		return err;
	}
	*out = dp;
	return 0;
}

static int finish_store(struct agent *a, const char *identity, uint64_t gen,
			const uint8_t *bk, size_t bk_len, struct ck_dp *dp)
{
	struct flash_contents fc;
	const uint8_t *cder;
	size_t clen;
	int err;

	if (ck_dp_get(dp, CK_DP_DEVICE_CERT, &cder, &clen))
		return die(EX_LOCAL, "data package has no certificate%s", "");
	memset(&fc, 0, sizeof(fc));
	memcpy(fc.chip_id, a->chip_id, sizeof(fc.chip_id));
	fc.identity = identity;
	fc.generation = gen;
	fc.backup = bk;
	fc.backup_len = bk_len;
	fc.cert = cder;
	fc.cert_len = clen;
	err = flash_write_store(a->store_dir, &fc);
	if (err)
		return die(EX_LOCAL, "cannot write the flash store: %s", strerror(-err));
	return 0;
}

static int handle_already(struct agent *a, struct spp_frame *f)
{
	char want_id[CK_SPP_IDENTITY_LEN + 1], identity[CK_DP_DEVICE_ID_LEN + 1];
	uint32_t bl, cl;
	const uint8_t *bk;
	uint8_t *dpb = NULL;
	size_t dpl;
	struct ck_dp *dp = NULL;
	uint64_t gen = 0;
	int err;

	if (f->len < CK_SPP_ALREADY_FIXED)
		return die(EX_PROTO, "malformed ALREADY%s", "");
	bl = spp_get32(f->body + 23);
	if (bl > f->len - CK_SPP_ALREADY_FIXED)
		return die(EX_PROTO, "malformed ALREADY%s", "");
	cl = spp_get32(f->body + 27 + bl);
	if ((size_t)CK_SPP_ALREADY_FIXED + bl + cl != f->len)
		return die(EX_PROTO, "malformed ALREADY%s", "");
	memcpy(want_id, f->body, CK_SPP_IDENTITY_LEN);
	want_id[CK_SPP_IDENTITY_LEN] = 0;
	bk = f->body + 27;
	err = unwrap_dp(a, bk, bl, &dpb, &dpl, &gen);
	if (err)
		return die(EX_CHIP, "the SPP's record does not unwrap on this chip: %s",
			   chipkey_strerror(err));
	/* The flash store records the generation of the backup itself (the
	 * chip authenticated it in the unwrap), never the SPP's word for it. */
	if (gen != spp_get64(f->body + 15)) {
		free_dp(dpb);
		return die(EX_PROTO, "the SPP's record is inconsistent: ALREADY names another generation than its backup%s", "");
	}
	err = check_dp(a, dpb, dpl, &dp, identity);
	free_dp(dpb);
	if (err || strcmp(identity, want_id)) {
		ck_dp_free(dp);
		return die(EX_PROTO, "the SPP's record is inconsistent%s", "");
	}
	err = finish_store(a, identity, gen, bk, bl, dp);
	ck_dp_free(dp);
	if (!err)
		printf("already provisioned: identity %s (store rewritten)\n", identity);
	return err;
}

#ifdef CK_AGENT_FAULTS
static int send_raw(struct agent *a, uint32_t len, uint16_t type, uint16_t ver,
		    const void *body, size_t blen)
{
	uint8_t hdr[8];
	size_t w;

	spp_put32(hdr, len);
	spp_put16(hdr + 4, type);
	spp_put16(hdr + 6, ver);
	if (SSL_write_ex(a->c.ssl, hdr, 8, &w) != 1)
		return -EIO;
	if (blen && SSL_write_ex(a->c.ssl, body, blen, &w) != 1)
		return -EIO;
	return 0;
}

/* Frame-level faults: send a bad first frame, then read the reply. */
static int frame_fault(struct agent *a, const uint8_t *hello)
{
	struct spp_frame f;
	int err;

	if (!strcmp(fault, "oversize"))
		err = send_raw(a, CK_SPP_MAX_BODY + 1, CK_SPP_HELLO, CK_SPP_VERSION, NULL, 0);
	else if (!strcmp(fault, "short-hello"))
		err = send_raw(a, 10, CK_SPP_HELLO, CK_SPP_VERSION, hello, 10);
	else if (!strcmp(fault, "bad-version"))
		err = send_raw(a, CK_SPP_HELLO_LEN, CK_SPP_HELLO, 99, hello, CK_SPP_HELLO_LEN);
	else if (!strcmp(fault, "wrong-type"))
		err = send_raw(a, CK_SPP_HELLO_LEN, CK_SPP_BACKUP, CK_SPP_VERSION, hello, CK_SPP_HELLO_LEN);
	else
		return -1;
	if (err)
		return die(EX_PROTO, "send failed%s", "");
	err = spp_recv(&a->c, &f, CK_SPP_MAX_BODY);
	if (err)
		return die(EX_PROTO, "no reply: %s", strerror(-err));
	err = f.type == CK_SPP_ERROR ? report_error(&f) :
	      die(EX_PROTO, "unexpected %s", spp_type_name(f.type));
	spp_frame_clear(&f);
	return err;
}
#endif

static int provision(struct agent *a)
{
	uint8_t hello[CK_SPP_HELLO_LEN], nonce[CK_SPP_NONCE_LEN];
	uint8_t proof[CK_SPP_PROOF_LEN];
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	struct spp_frame f;
	struct ck_dp *dp = NULL, *dp2 = NULL;
	uint8_t *bk = NULL, *dpb = NULL, *body = NULL;
	size_t bk_len, dpl = 0, dp_len, blen;
	const uint8_t *dp_sent, *chan;
	size_t chan_len;
	struct chipkey *wrapper = a->ck;
	uint64_t gen = 0;
	int err, ret = EX_PROTO;

	memcpy(hello, a->chip_id, CHIPKEY_CHIP_ID_LEN);
	memcpy(hello + 16, a->fp, CK_SPP_FP_LEN);
	spp_put32(hello + 48, 0);
#ifdef CK_AGENT_FAULTS
	err = frame_fault(a, hello);
	if (err >= 0)
		return err;
#endif
	if (spp_send(&a->c, CK_SPP_HELLO, hello, sizeof(hello)))
		return die(EX_PROTO, "cannot send HELLO%s", "");
	err = spp_recv(&a->c, &f, CK_SPP_MAX_BODY);
	if (err) {
		spp_frame_clear(&f);
		return die(EX_PROTO, "no OFFER: %s", strerror(-err));
	}
	if (f.type == CK_SPP_ERROR) {
		ret = report_error(&f);
		goto out;
	}
	if (f.type == CK_SPP_ALREADY) {
		ret = handle_already(a, &f);
		goto out;
	}
	if (f.type != CK_SPP_OFFER || f.len < CK_SPP_OFFER_FIXED ||
	    spp_get32(f.body + CK_SPP_NONCE_LEN) != f.len - CK_SPP_OFFER_FIXED) {
		spp_send_error(&a->c, CK_SPP_E_MALFORMED, "bad OFFER");
		ret = die(EX_PROTO, "malformed OFFER%s", "");
		goto out;
	}
	memcpy(nonce, f.body, CK_SPP_NONCE_LEN);
	dp_sent = f.body + CK_SPP_OFFER_FIXED;
	dp_len = f.len - CK_SPP_OFFER_FIXED;
	err = check_dp(a, dp_sent, dp_len, &dp, identity);
	if (err) {
		spp_send_error(&a->c, CK_SPP_E_MALFORMED, "data package refused");
		ret = die(EX_PROTO, "data package refused: %s", strerror(-err));
		goto out;
	}
#ifdef CK_AGENT_FAULTS
	if (!strcmp(fault, "other-chip") &&
	    (!other_dev || chipkey_open(other_dev, &wrapper))) {
		ret = die(EX_LOCAL, "--fault other-chip needs a working --other-device%s", "");
		goto out;
	}
#endif
	/* Wrap (generation 1), then unwrap our own backup for the proof. */
	bk_len = ck_pkg_size(dp_len);
	bk = malloc(bk_len);
	if (!bk)
		goto out;
	err = chipkey_wrap(wrapper, dp_sent, dp_len, 1, bk, &bk_len);
	if (!err) {
		struct chipkey *saved = a->ck;

		a->ck = wrapper;
		err = unwrap_dp(a, bk, bk_len, &dpb, &dpl, &gen);
		a->ck = saved;
	}
	if (err) {
		spp_send_error(&a->c, CK_SPP_E_DEVICE, "wrap failed");
		ret = die(EX_CHIP, "wrap/unwrap failed: %s", chipkey_strerror(err));
		goto out;
	}
	if (gen != 1 || dpl != dp_len || memcmp(dpb, dp_sent, dp_len) ||
	    ck_dp_decode(dpb, dpl, &dp2) ||
	    ck_dp_get(dp2, CK_DP_CHANNEL_KEY, &chan, &chan_len) ||
	    spp_proof(chan, chan_len, nonce, a->chip_id, dpb, dpl, bk, bk_len,
		      proof)) {
		spp_send_error(&a->c, CK_SPP_E_DEVICE, "unwrap mismatch");
		ret = die(EX_CHIP, "own backup does not unwrap to the package%s", "");
		goto out;
	}
#ifdef CK_AGENT_FAULTS
	/* Damage after the proof: the proof covers the backup as it was. */
	if (!strcmp(fault, "truncate"))
		bk_len--;
	if (!strcmp(fault, "tamper"))
		bk[CHIPKEY_PKG_HEADER_LEN + 3] ^= 0x40;
	if (!strcmp(fault, "bad-proof"))
		proof[0] ^= 1;
#endif
	blen = CK_SPP_BACKUP_FIXED + bk_len;
	body = malloc(blen);
	if (!body)
		goto out;
	spp_put32(body, (uint32_t)bk_len);
	memcpy(body + 4, bk, bk_len);
	memcpy(body + 4 + bk_len, proof, CK_SPP_PROOF_LEN);
	OPENSSL_cleanse(proof, sizeof(proof));
	spp_frame_clear(&f);
	if (spp_send(&a->c, CK_SPP_BACKUP, body, blen)) {
		ret = die(EX_PROTO, "cannot send BACKUP%s", "");
		goto out;
	}
	err = spp_recv(&a->c, &f, CK_SPP_MAX_BODY);
	if (err) {
		ret = die(EX_PROTO, "no DONE: %s", strerror(-err));
		goto out;
	}
	if (f.type == CK_SPP_ERROR) {
		ret = report_error(&f);
		goto out;
	}
	if (f.type != CK_SPP_DONE || f.len != CK_SPP_DONE_LEN ||
	    memcmp(f.body, identity, CK_SPP_IDENTITY_LEN)) {
		ret = die(EX_PROTO, "bad DONE%s", "");
		goto out;
	}
	/* The generation recorded is the one wrapped (1), not the SPP's word. */
	if (spp_get64(f.body + CK_SPP_IDENTITY_LEN) != gen) {
		ret = die(EX_PROTO, "bad DONE: the SPP names another generation than the backup it committed%s", "");
		goto out;
	}
	ret = finish_store(a, identity, gen, bk, bk_len, dp);
	if (!ret)
		printf("provisioned: identity %s\n", identity);
out:
	spp_frame_clear(&f);
	free(body);
	free(bk);
	free_dp(dpb);
	ck_dp_free(dp);
	ck_dp_free(dp2);
	if (wrapper != a->ck)
		chipkey_close(wrapper);
	return ret;
}

static void usage(FILE *o)
{
	fprintf(o,
"usage: %s provision --spp HOST:PORT [--device DEV|emu:SOCK] --store DIR\n"
"                    [--timeout S] [--station-cert FILE --station-key FILE]\n"
"  --station-cert/--station-key  the factory station TLS client credential\n"
"                    (chipkey-factory init: station-cert.pem, station-key.pem)\n"
"exit: 0 provisioned, 1 local error, 2 chip error, 3 SPP not trusted,\n"
"      4 SPP refused, 5 connection/protocol failure\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spp", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "fault", required_argument, NULL, 'F' },
		{ "other-device", required_argument, NULL, 'O' },
		{ "station-cert", required_argument, NULL, 'c' },
		{ "station-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *spp = NULL, *dev = NULL, *st_cert = NULL, *st_key = NULL;
	struct agent a;
	SSL_CTX *ctx = NULL;
	int c, timeout = CK_SPP_TIMEOUT_STEP, ret, err;

	memset(&a, 0, sizeof(a));
	if (argc < 2 || strcmp(argv[1], "provision")) {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : EX_LOCAL;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': spp = optarg; break;
		case 'd': dev = optarg; break;
		case 'o': a.store_dir = optarg; break;
		case 't': timeout = atoi(optarg); break;
		case 'c': st_cert = optarg; break;
		case 'k': st_key = optarg; break;
#ifdef CK_AGENT_FAULTS
		case 'F': fault = optarg; break;
		case 'O': other_dev = optarg; break;
#endif
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_LOCAL;
		}
	}
	if (!spp || !a.store_dir || optind != argc || timeout < 1 ||
	    !st_cert != !st_key) {
		usage(stderr);
		return EX_LOCAL;
	}
	err = read_chip(&a, dev);
	if (err) {
		chipkey_close(a.ck);
		return die(EX_CHIP, "cannot read the chip: %s", chipkey_strerror(err));
	}
	a.c.deadline = spp_now() + CK_SPP_TIMEOUT_SESSION;
	ret = tls_connect(&a, &ctx, spp, timeout, st_cert, st_key);
	if (!ret)
		ret = provision(&a);
	if (a.c.ssl) {
		if (ret != EX_PROTO)
			SSL_shutdown(a.c.ssl);
		SSL_free(a.c.ssl);
	}
	if (a.c.fd > 0)
		close(a.c.fd);
	SSL_CTX_free(ctx);
	chipkey_close(a.ck);
	return ret;
}
