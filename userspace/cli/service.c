// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey service connect|list|get NAME OUT --server HOST:PORT
 *         --mode channel-key|cert [--sha384] [--keys DIR] [--state DIR]
 *         [--rom-key FILE] [--timeout S]
 * The device side of the secure link to chipkey-service
 * (docs/service-link.md), with the keys recovery made available in the
 * keys directory and the ROM key from the chip (or --rom-key FILE).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "link/catalogue.h"
#include "link/device-keys.h"
#include "link/link.h"
#include "cli.h"

#define USAGE "usage: chipkey service connect|list|get NAME OUT --server HOST:PORT\n" \
	"         --mode channel-key|cert [--sha384] [--keys DIR] [--state DIR]\n" \
	"         [--rom-key FILE] [--timeout S]\n"

static int usage(void)
{
	fputs(USAGE, stderr);
	return CK_EXIT_USAGE;
}

static int exit_of(int err)
{
	switch (err) {
	case -EKEYREJECTED:
	case -EKEYEXPIRED:
		return CK_EXIT_UNTRUSTED;
	case -ECONNREFUSED:
	case -EACCES:
	case -ESTALE:
	case -EBADMSG:
	case -EPROTONOSUPPORT:
		return CK_EXIT_REFUSED;
	case -EPROTO:
	case -ECONNRESET:
	case -EMSGSIZE:
		return CK_EXIT_PROTOCOL;
	case -ENOKEY:
		return CK_EXIT_NO_STORE;
	case -EAGAIN:
	case -ETIMEDOUT:
		return CK_EXIT_NETWORK;
	default:
		return CK_EXIT_OTHER;
	}
}

/* The ROM key: --rom-key FILE (DER SPKI) or the chip's. */
static int rom_key(struct ck_cli *cli, const char *path, uint8_t *out, size_t *len)
{
	struct chipkey *ck;
	uint8_t *buf = NULL;
	size_t n;
	int ret;

	if (path) {
		ret = ck_file_read(path, &buf, &n, *len);
		if (ret || n > *len) {
			free(buf);
			fprintf(stderr, "chipkey service: --rom-key %s: cannot read\n", path);
			return CK_EXIT_OTHER;
		}
		memcpy(out, buf, n);
		*len = n;
		free(buf);
		return 0;
	}
	ret = ck_cli_open(cli, &ck);
	if (ret)
		return ret;
	ret = chipkey_get_rom_key(ck, out, len);
	chipkey_close(ck);
	return ret ? ck_cli_op_error(cli, "rom-key", ret) : 0;
}

/* One catalogue request; GET writes OUT atomically. */
static int request(SSL *ssl, const char *op, const char *name, const char *out)
{
	struct ck_cat_request r = { .op = name ? CK_CAT_GET : CK_CAT_LIST };
	struct ck_cat_response_hdr h;
	uint8_t req[CK_CAT_REQ_HDR + CK_CAT_NAME_MAX], hdr[CK_CAT_RESP_HDR], *body;
	ssize_t n;
	int ret;

	if (name && !ck_cat_name_ok(name)) {
		fprintf(stderr, "chipkey service: %s: not a catalogue name\n", name);
		return CK_EXIT_USAGE;
	}
	if (name)
		snprintf(r.name, sizeof(r.name), "%s", name);
	n = ck_cat_request_encode(&r, req, sizeof(req));
	if (n < 0 || ck_ssl_write_full(ssl, req, (size_t)n) ||
	    ck_ssl_read_full(ssl, hdr, sizeof(hdr)) || ck_cat_response_hdr_decode(hdr, &h)) {
		fprintf(stderr, "chipkey service: %s: no valid answer\n", op);
		return CK_EXIT_PROTOCOL;
	}
	if (h.status != CK_CAT_OK) {
		fprintf(stderr, "chipkey service: %s: %s\n", op,
			h.status == CK_CAT_NOT_FOUND ? "not in the catalogue" :
			h.status == CK_CAT_BAD_REQUEST ? "request refused" : "server error");
		return h.status == CK_CAT_NOT_FOUND ? CK_EXIT_NOT_FOUND : CK_EXIT_REFUSED;
	}
	body = malloc(h.length ? h.length : 1);
	if (!body)
		return CK_EXIT_OTHER;
	if (ck_ssl_read_full(ssl, body, h.length)) {
		free(body);
		fprintf(stderr, "chipkey service: %s: connection lost\n", op);
		return CK_EXIT_PROTOCOL;
	}
	ret = ck_cli_write(name ? out : "-", body, h.length, 0644);
	free(body);
	return ret;
}

int cmd_service(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "sha384", no_argument, NULL, '3' },
		{ "keys", required_argument, NULL, 'k' },
		{ "state", required_argument, NULL, 'S' },
		{ "rom-key", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *keys = "/run/chipkey", *state = "/var/lib/chipkey/service";
	const char *rom_path = NULL, *what, *op;
	const struct ck_link_mode *mode = NULL;
	uint8_t rom[CHIPKEY_MAX_ROM_KEY];
	size_t rom_len = sizeof(rom);
	struct ck_link_device d;
	struct ck_link_conn c;
	int sha384 = 0, timeout = 30, ch, fd, err, ret;

	optind = 0;	/* glibc: re-initialise, so options may follow the operands */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'm':
			mode = ck_link_mode_by_name(optarg);
			if (!mode) {
				fprintf(stderr, "chipkey service: unknown mode %s\n", optarg);
				return CK_EXIT_USAGE;
			}
			break;
		case '3': sha384 = 1; break;
		case 'k': keys = optarg; break;
		case 'S': state = optarg; break;
		case 'r': rom_path = optarg; break;
		case 't': timeout = atoi(optarg); break;
		default: return usage();
		}
	}
	if (optind >= argc || !server || !mode || timeout < 1)
		return usage();
	op = argv[optind];
	if (!((!strcmp(op, "connect") || !strcmp(op, "list")) && argc - optind == 1) &&
	    !(!strcmp(op, "get") && argc - optind == 3))
		return usage();
	if (mode->id != CK_LINK_CHANNEL_KEY) {
		ret = rom_key(cli, rom_path, rom, &rom_len);
		if (ret)
			return ret;
	}
	err = ck_link_device_load(&d, keys, mode->id != CK_LINK_CHANNEL_KEY ? rom : NULL,
				  rom_len, &what);
	if (err) {
		fprintf(stderr, "chipkey service: %s/%s: %s\n", keys, what, strerror(-err));
		ck_link_device_free(&d);
		return err == -ENOENT ? CK_EXIT_NO_STORE : err == -EPERM ? CK_EXIT_PERM :
		       CK_EXIT_MALFORMED;
	}
	d.sha384 = sha384;
	d.state_dir = state;
	signal(SIGPIPE, SIG_IGN);	/* a peer that closes is an error, not a kill */
	fd = ck_link_dial(server, timeout);
	if (fd < 0) {
		fprintf(stderr, "chipkey service: %s: cannot connect\n", server);
		ck_link_device_free(&d);
		return CK_EXIT_NETWORK;
	}
	err = ck_link_device_open(&d, mode, fd, &c);
	if (err == -ERESTART) {
		/* the server's signed RESYNC raised our counter (a lost state
		 * directory): once more, on a new connection */
		fprintf(stderr, "chipkey service: %s\n", ck_link_strerror(err));
		ck_link_conn_free(&c);
		close(fd);
		fd = ck_link_dial(server, timeout);
		err = fd < 0 ? -ECONNRESET : ck_link_device_open(&d, mode, fd, &c);
	}
	ck_link_device_free(&d);
	if (err) {
		fprintf(stderr, "chipkey service: %s link to %s: %s\n", mode->name, server,
			ck_link_strerror(err));
		ret = exit_of(err);
	} else if (!strcmp(op, "connect")) {
		printf("link up: mode %s, %s, %s\n", mode->name, c.cipher, c.group);
		ret = CK_EXIT_OK;
	} else {
		ret = request(c.ssl, op, !strcmp(op, "get") ? argv[optind + 1] : NULL,
			      !strcmp(op, "get") ? argv[optind + 2] : NULL);
	}
	ck_link_conn_free(&c);
	if (fd >= 0)
		close(fd);
	return ret;
}
