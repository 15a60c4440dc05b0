// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey service connect|list|get NAME OUT|install NAME --server HOST:PORT
 *         --mode channel-key|cert|cms|broadcast [--sha384] [--keys DIR]
 *         [--state DIR] [--rom-key FILE] [--timeout S]
 *         [--slot-dir DIR] [--class NAME] [--encrypted] [--crl FILE]...
 * The device side of the secure link to chipkey-service
 * (docs/service-link.md), with the keys recovery made available in the
 * keys directory and the ROM key from the chip (or --rom-key FILE).
 * Every answer is streamed (never held whole); --timeout is one deadline
 * for all the network work of the command.  install: service-install.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/hostport.h"
#include "common/lockfile.h"
#include "common/pki.h"
#include "link/catalogue.h"
#include "link/device-keys.h"
#include "link/link.h"
#include "service.h"

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
	case -EKEYREVOKED:	/* --crl */
	case -ENODATA:
		return CK_EXIT_UNTRUSTED;
	case -ECONNREFUSED:
	case -EACCES:
	case -ESTALE:
	case -ERANGE:
	case -EBADMSG:
	case -EBADE:		/* mode 3: not encrypted to this device */
	case -EPROTONOSUPPORT:
		return CK_EXIT_REFUSED;
	case -EPROTO:
	case -ECONNRESET:
	case -EPIPE:		/* the peer closed the connection */
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

/* ---- the deadline (service.h) */
static volatile sig_atomic_t deadline_fd = -1, deadline_hit;

static void on_deadline(int sig)
{
	(void)sig;
	deadline_hit = 1;
	if (deadline_fd >= 0)
		shutdown(deadline_fd, SHUT_RDWR);	/* async-signal-safe */
}

void svc_deadline_start(int seconds)
{
	struct sigaction sa = { .sa_handler = on_deadline };	/* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	deadline_hit = 0;
	alarm((unsigned int)seconds);
}

void svc_deadline_watch(int fd)
{
	deadline_fd = fd;
	if (deadline_hit && fd >= 0)	/* it passed before we watched */
		shutdown(fd, SHUT_RDWR);
}

int svc_deadline_passed(void)
{
	return deadline_hit;
}

void svc_deadline_stop(void)
{
	alarm(0);
	deadline_fd = -1;
}

int svc_fetch_exit(int err)
{
	if (svc_deadline_passed())
		return CK_EXIT_NETWORK;
	switch (err) {
	case -ENOENT: return CK_EXIT_NOT_FOUND;
	case -EPERM:
	case -EREMOTEIO: return CK_EXIT_REFUSED;
	case -EINVAL: return CK_EXIT_USAGE;
	case -EFBIG: return CK_EXIT_TOO_LARGE;
	case -EPROTO:
	case -ECONNRESET:
	case -EIO: return CK_EXIT_PROTOCOL;
	default: return CK_EXIT_OTHER;
	}
}

static const char *fetch_strerror(int err)
{
	switch (err) {
	case -ENOENT: return "not in the catalogue";
	case -EPERM: return "request refused";
	case -EREMOTEIO: return "server error";
	case -EPROTO: return "no valid answer";
	case -ECONNRESET:
	case -EIO: return "connection lost";
	default: return strerror(-err);
	}
}

/* svc_link_open without the lock. */
static int link_open(const struct svc_link *lk, int *fd, struct ck_link_conn *c)
{
	int err;

	*fd = ck_link_dial(lk->server, lk->io_timeout);
	svc_deadline_watch(*fd);
	if (*fd < 0) {
		fprintf(stderr, "chipkey service: %s: %s\n", lk->server, svc_deadline_passed() ?
			"deadline (--timeout) passed" : "cannot connect");
		return CK_EXIT_NETWORK;
	}
	err = ck_link_device_open(lk->d, lk->mode, *fd, c);
	if (err == -ERESTART) {
		fprintf(stderr, "chipkey service: %s\n", ck_link_strerror(err));
		ck_link_conn_free(c);
		close(*fd);
		*fd = ck_link_dial(lk->server, lk->io_timeout);
		svc_deadline_watch(*fd);
		err = *fd < 0 ? -ECONNRESET : ck_link_device_open(lk->d, lk->mode, *fd, c);
	}
	if (!err)
		return CK_EXIT_OK;
	if (svc_deadline_passed()) {
		fprintf(stderr, "chipkey service: %s link to %s: deadline (--timeout) passed\n",
			lk->mode->name, lk->server);
		return CK_EXIT_NETWORK;
	}
	fprintf(stderr, "chipkey service: %s link to %s: %s\n", lk->mode->name, lk->server,
		ck_link_strerror(err));
	return exit_of(err);
}

#define COUNTER_LOCK "counter.lock"

/*
 * Mode 2: one link at a time per state directory, STATE/counter.lock
 * (flock), taken before dialling and held until the link is open, so that
 * processes on one directory take their counters one after another (none
 * finds its server counter overtaken, none needs a second RESYNC).  The
 * wait counts toward --timeout (ck_lockfile_wait, polled).  Whatever is
 * planted there instead of a regular file is replaced.  *@out: the
 * locked descriptor, or -1 (another mode).  A CK_EXIT_* code.
 */
static int counter_lock(const struct svc_link *lk, int *out)
{
	const char *dir = lk->d->state_dir;
	int dfd, fd, err;

	*out = -1;
	if (lk->mode != &ck_link_mode_cert || !dir)
		return CK_EXIT_OK;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "chipkey service: %s: %s\n", dir, strerror(errno));
		return CK_EXIT_OTHER;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = dfd < 0 ? -errno : ck_lockfile_open(dfd, COUNTER_LOCK, 1);
	if (dfd >= 0)
		close(dfd);
	if (fd < 0) {
		fprintf(stderr, "chipkey service: %s/%s: %s\n", dir, COUNTER_LOCK, strerror(-fd));
		return CK_EXIT_OTHER;
	}
	if (flock(fd, LOCK_EX | LOCK_NB))
		fprintf(stderr, "chipkey service: waiting for another link on %s\n", dir);
	err = ck_lockfile_wait(fd, LOCK_EX, svc_deadline_passed);
	if (err) {
		close(fd);
		if (err != -ETIMEDOUT) {
			fprintf(stderr, "chipkey service: %s/%s: %s\n", dir, COUNTER_LOCK,
				strerror(-err));
			return CK_EXIT_OTHER;
		}
		fprintf(stderr, "chipkey service: deadline (--timeout) passed waiting for another link on %s\n",
			dir);
		return CK_EXIT_NETWORK;
	}
	*out = fd;
	return CK_EXIT_OK;
}

/* Dial SERVER and open a link in MODE (once more after the server's signed
 * RESYNC raised our counter: a lost state directory). */
int svc_link_open(const struct svc_link *lk, int *fd, struct ck_link_conn *c)
{
	int lfd, code;

	memset(c, 0, sizeof(*c));
	*fd = -1;
	code = counter_lock(lk, &lfd);
	if (code)
		return code;
	code = link_open(lk, fd, c);
	if (lfd >= 0)
		close(lfd);	/* releases the flock */
	return code;
}

static int sink_stdout(void *arg, const void *buf, size_t n)
{
	(void)arg;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -EPIPE;
}

static int sink_fd(void *arg, const void *buf, size_t n)
{
	return ck_file_write_all(*(int *)arg, buf, n);
}

/* list, or get NAME into OUT (a temporary file beside it, renamed over
 * OUT once complete). */
static int list_or_get(SSL *ssl, const char *name, const char *out)
{
	char tmp[4200];
	int fd = -1, err;

	if (name && !ck_cat_name_ok(name)) {
		fprintf(stderr, "chipkey service: %s: not a catalogue name\n", name);
		return CK_EXIT_USAGE;
	}
	if (!name) {
		err = ck_cat_fetch(ssl, NULL, CK_CAT_FILE_MAX, sink_stdout, NULL, NULL);
		if (!err && fflush(stdout))
			err = -EPIPE;
	} else {
		if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out) >= (int)sizeof(tmp))
			return CK_EXIT_USAGE;
		fd = mkstemp(tmp);
		if (fd < 0) {
			fprintf(stderr, "chipkey service: cannot write %s: %s\n", out, strerror(errno));
			return CK_EXIT_OTHER;
		}
		err = ck_cat_fetch(ssl, name, CK_CAT_FILE_MAX, sink_fd, &fd, NULL);
		if (!err && (fchmod(fd, 0644) || fsync(fd)))
			err = -errno;
		if (close(fd) && !err)
			err = -errno;
		if (!err && rename(tmp, out))
			err = -errno;
		if (err)
			unlink(tmp);
	}
	if (err)
		fprintf(stderr, "chipkey service: %s: %s\n", name ? name : "list",
			svc_deadline_passed() ? "deadline (--timeout) passed" : fetch_strerror(err));
	return err ? svc_fetch_exit(err) : CK_EXIT_OK;
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
	struct svc_install_args ia = { 0 };
	const struct ck_link_mode *mode = NULL;
	uint8_t rom[CHIPKEY_MAX_ROM_KEY];
	size_t rom_len = sizeof(rom);
	struct ck_link_device d;
	struct ck_link_conn c;
	struct svc_link lk;
	struct pki_crls *crls = NULL;
	char why[512];
	int sha384 = 0, timeout = SVC_TIMEOUT_DEFAULT, ch, fd = -1, err, ret;
	char *end;

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
		case 't':
			errno = 0;
			timeout = (int)strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || timeout < 1 || timeout > SVC_TIMEOUT_MAX)
				timeout = 0;	/* refused below */
			break;
		case 'D': ia.slot_dir = optarg; break;
		case 'C': ia.class = optarg; break;
		case 'E': ia.encrypted = 1; break;
		case 'L':
			if (ia.ncrl == SVC_CRL_MAX) {
				fprintf(stderr, "chipkey service: at most %d --crl\n", SVC_CRL_MAX);
				return CK_EXIT_USAGE;
			}
			ia.crl[ia.ncrl++] = optarg;
			break;
		default: return usage();
		}
	}
	if (optind >= argc || !server || !ck_hostport_ok(server, CK_HOSTPORT_DIAL) || !mode ||
	    timeout < 1)
		return usage();
	op = argv[optind];
	if (!((!strcmp(op, "connect") || !strcmp(op, "list")) && argc - optind == 1) &&
	    !(!strcmp(op, "get") && argc - optind == 3) &&
	    !(!strcmp(op, "install") && argc - optind == 2))
		return usage();
	if ((ia.slot_dir || ia.class || ia.encrypted) && strcmp(op, "install"))
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
	for (ch = 0; ch < ia.ncrl; ch++)	/* the link checks the server's chain too */
		if (pki_crls_add(&crls, ia.crl[ch], why, sizeof(why))) {
			fprintf(stderr, "chipkey service: --crl %s\n", why);
			pki_crls_free(crls);
			ck_link_device_free(&d);
			return CK_EXIT_OTHER;
		}
	/* CRL rollback: not older than the newest of each issuer seen here */
	if (crls) {
		char dir[4096];

		why[0] = 0;
		snprintf(dir, sizeof(dir), "%s/crl-floor", state);
		err = mkdir(state, 0700) < 0 && errno != EEXIST ? -errno :
		      pki_crls_floor(crls, dir, NULL, 0, why, sizeof(why));
		if (err) {
			if (!why[0])
				snprintf(why, sizeof(why), "%s: %s", state, strerror(-err));
			fprintf(stderr, "chipkey service: --crl %s\n", why);
			pki_crls_free(crls);
			ck_link_device_free(&d);
			return err == -ESTALE ? CK_EXIT_ROLLBACK : CK_EXIT_OTHER;
		}
	}
	d.crls = crls;
	/* every mode keeps its state there (counters, marks, CRL floor, the
	 * downloads of install): made before any network traffic */
	if (mkdir(state, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "chipkey service: state directory %s: %s\n", state, strerror(errno));
		pki_crls_free(crls);
		ck_link_device_free(&d);
		return CK_EXIT_OTHER;
	}
	lk = (struct svc_link){ .d = &d, .mode = mode, .server = server,
				.io_timeout = timeout < SVC_IO_TIMEOUT ? timeout : SVC_IO_TIMEOUT };
	signal(SIGPIPE, SIG_IGN);	/* a peer that closes is an error, not a kill */
	if (!strcmp(op, "install")) {
		ia.keys = keys;
		ia.rom_key = rom_path;
		ia.state = state;
		ia.timeout = timeout;
		ret = svc_install(cli, &lk, argv[optind + 1], &ia);
		ck_link_device_free(&d);
		pki_crls_free(crls);
		return ret;
	}
	svc_deadline_start(timeout);
	ret = svc_link_open(&lk, &fd, &c);
	if (!ret && !strcmp(op, "connect"))
		printf("link up: mode %s, %s, %s\n", mode->name, c.cipher, c.group);
	else if (!ret)
		ret = list_or_get(c.ssl, !strcmp(op, "get") ? argv[optind + 1] : NULL,
				  !strcmp(op, "get") ? argv[optind + 2] : NULL);
	svc_deadline_stop();
	ck_link_conn_free(&c);
	ck_link_device_free(&d);
	pki_crls_free(crls);
	if (fd >= 0)
		close(fd);
	return ret;
}
