// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey service connect|list|get NAME OUT|install NAME --server HOST:PORT
 *         --mode channel-key|cert|cms|broadcast [--sha384] [--keys DIR]
 *         [--state DIR] [--rom-key FILE] [--timeout S]
 *         [--slot-dir DIR] [--class NAME] [--encrypted] [--crl FILE]...
 * The device side of the secure link to chipkey-service
 * (docs/service-link.md), with the keys recovery made available in the
 * keys directory and the ROM key from the chip (or --rom-key FILE).
 * install: NAME and NAME.licence over one link into a private directory
 * under the state directory, then `chipkey update install` of them
 * (docs/software-update.md), which checks everything before installing.
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

#define USAGE "usage: chipkey service connect|list|get NAME OUT|install NAME --server HOST:PORT\n" \
	"         --mode channel-key|cert|cms|broadcast [--sha384] [--keys DIR] [--state DIR]\n" \
	"         [--rom-key FILE] [--timeout S] [--slot-dir DIR] [--class NAME] [--encrypted]\n" \
	"         [--crl FILE]...\n"

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
	case -ERANGE:
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

/* Dial SERVER and open a link in MODE (once more after the server's signed
 * RESYNC raised our counter: a lost state directory).  0 with *fd and *c
 * set, or a negative errno (-ECONNREFUSED when no connection at all). */
static int link_open(struct ck_link_device *d, const struct ck_link_mode *mode,
		     const char *server, int timeout, int *fd, struct ck_link_conn *c)
{
	int err;

	*fd = ck_link_dial(server, timeout);
	if (*fd < 0) {
		memset(c, 0, sizeof(*c));
		return -ENOTCONN;
	}
	err = ck_link_device_open(d, mode, *fd, c);
	if (err == -ERESTART) {
		fprintf(stderr, "chipkey service: %s\n", ck_link_strerror(err));
		ck_link_conn_free(c);
		close(*fd);
		*fd = ck_link_dial(server, timeout);
		err = *fd < 0 ? -ECONNRESET : ck_link_device_open(d, mode, *fd, c);
	}
	return err;
}

#define CRL_MAX 8

struct install_args {
	const char *slot_dir, *class, *keys, *rom_key;
	const char *crl[CRL_MAX];	/* passed on: update install --crl */
	int encrypted, ncrl;
	/* the link for the licence (one request per connection) */
	struct ck_link_device *d;
	const struct ck_link_mode *mode;
	const char *server;
	int timeout;
};

/* install: NAME (over the link @ssl) and NAME.licence (over a second link:
 * one request per connection) into DIR (mkdtemp under the state directory,
 * mode 0700), then `chipkey update install` of the two; DIR is removed
 * whatever the outcome. */
static int install(struct ck_cli *cli, SSL *ssl, const char *state, const char *name,
		   const struct install_args *ia)
{
	char dir[4096], image[4200], lic[4200], lname[CK_CAT_NAME_MAX + 1];
	char *av[16 + 2 * CRL_MAX];
	int ac = 0, ret, i;

	if (snprintf(lname, sizeof(lname), "%s.licence", name) >= (int)sizeof(lname) ||
	    snprintf(dir, sizeof(dir), "%s/download.XXXXXX", state) >= (int)sizeof(dir)) {
		fprintf(stderr, "chipkey service: install %s: name too long\n", name);
		return CK_EXIT_USAGE;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "chipkey service: install: %s: %s\n", dir, strerror(errno));
		return CK_EXIT_OTHER;
	}
	snprintf(image, sizeof(image), "%s/image", dir);
	snprintf(lic, sizeof(lic), "%s/licence", dir);
	ret = request(ssl, "install", name, image);
	if (!ret) {
		struct ck_link_conn c2;
		int fd2, err = link_open(ia->d, ia->mode, ia->server, ia->timeout, &fd2, &c2);

		if (err) {
			fprintf(stderr, "chipkey service: %s link to %s: %s\n", ia->mode->name,
				ia->server, err == -ENOTCONN ? "cannot connect" : ck_link_strerror(err));
			ret = err == -ENOTCONN ? CK_EXIT_NETWORK : exit_of(err);
		} else {
			ret = request(c2.ssl, "install", lname, lic);
		}
		ck_link_conn_free(&c2);
		if (fd2 >= 0)
			close(fd2);
	}
	if (!ret) {
		av[ac++] = "update";
		av[ac++] = "install";
		av[ac++] = "--image";
		av[ac++] = image;
		av[ac++] = "--licence";
		av[ac++] = lic;
		av[ac++] = "--keys";
		av[ac++] = (char *)ia->keys;
		if (ia->slot_dir) {
			av[ac++] = "--slot-dir";
			av[ac++] = (char *)ia->slot_dir;
		}
		if (ia->class) {
			av[ac++] = "--class";
			av[ac++] = (char *)ia->class;
		}
		if (ia->rom_key) {
			av[ac++] = "--rom-key";
			av[ac++] = (char *)ia->rom_key;
		}
		if (ia->encrypted)
			av[ac++] = "--encrypted";
		for (i = 0; i < ia->ncrl; i++) {
			av[ac++] = "--crl";
			av[ac++] = (char *)ia->crl[i];
		}
		av[ac] = NULL;
		optind = 0;	/* glibc: a fresh getopt scan of av */
		ret = cmd_update(cli, ac, av);
	}
	unlink(image);
	unlink(lic);
	rmdir(dir);
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
		{ "slot-dir", required_argument, NULL, 'D' },
		{ "class", required_argument, NULL, 'C' },
		{ "encrypted", no_argument, NULL, 'E' },
		{ "crl", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *keys = "/run/chipkey", *state = "/var/lib/chipkey/service";
	const char *rom_path = NULL, *what, *op;
	struct install_args ia = { 0 };
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
		case 'D': ia.slot_dir = optarg; break;
		case 'C': ia.class = optarg; break;
		case 'E': ia.encrypted = 1; break;
		case 'L':
			if (ia.ncrl == CRL_MAX) {
				fprintf(stderr, "chipkey service: at most %d --crl\n", CRL_MAX);
				return CK_EXIT_USAGE;
			}
			ia.crl[ia.ncrl++] = optarg;
			break;
		default: return usage();
		}
	}
	if (optind >= argc || !server || !mode || timeout < 1)
		return usage();
	op = argv[optind];
	if (!((!strcmp(op, "connect") || !strcmp(op, "list")) && argc - optind == 1) &&
	    !(!strcmp(op, "get") && argc - optind == 3) &&
	    !(!strcmp(op, "install") && argc - optind == 2))
		return usage();
	if ((ia.slot_dir || ia.class || ia.encrypted || ia.ncrl) && strcmp(op, "install"))
		return usage();
	if (mode->id != CK_LINK_CHANNEL_KEY) {
		ret = ck_cli_rom_key(cli, rom_path, rom, &rom_len, NULL, NULL);
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
	err = link_open(&d, mode, server, timeout, &fd, &c);
	if (err == -ENOTCONN) {
		fprintf(stderr, "chipkey service: %s: cannot connect\n", server);
		ck_link_device_free(&d);
		return CK_EXIT_NETWORK;
	}
	if (err) {
		fprintf(stderr, "chipkey service: %s link to %s: %s\n", mode->name, server,
			ck_link_strerror(err));
		ret = exit_of(err);
	} else if (!strcmp(op, "install")) {
		ia.keys = keys;
		ia.rom_key = rom_path;
		ia.d = &d;
		ia.mode = mode;
		ia.server = server;
		ia.timeout = timeout;
		ret = install(cli, c.ssl, state, argv[optind + 1], &ia);
	} else if (!strcmp(op, "connect")) {
		printf("link up: mode %s, %s, %s\n", mode->name, c.cipher, c.group);
		ret = CK_EXIT_OK;
	} else {
		ret = request(c.ssl, op, !strcmp(op, "get") ? argv[optind + 1] : NULL,
			      !strcmp(op, "get") ? argv[optind + 2] : NULL);
	}
	ck_link_conn_free(&c);
	ck_link_device_free(&d);
	if (fd >= 0)
		close(fd);
	return ret;
}
