/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What chipkey service (service.c) and its install (service-install.c)
 * share: opening a link, the exit code of a link or catalogue error, and
 * the one deadline of the command's network part.
 */
#ifndef CHIPKEY_CLI_SERVICE_H
#define CHIPKEY_CLI_SERVICE_H

#include "link/link.h"
#include "cli.h"

/* --timeout: the deadline of the network part, seconds (default, bound);
 * each socket operation also gives up after SVC_IO_TIMEOUT of silence. */
#define SVC_TIMEOUT_DEFAULT	300
#define SVC_TIMEOUT_MAX		86400
#define SVC_IO_TIMEOUT		30

/* The link settings of one run. */
struct svc_link {
	struct ck_link_device *d;
	const struct ck_link_mode *mode;
	const char *server;
	int io_timeout;			/* per socket operation, seconds */
};

/* Dial and open a link: 0 with *@fd and @c set (ck_link_conn_free() and
 * close() them, also after an error), or a CK_EXIT_* code with a message. */
int svc_link_open(const struct svc_link *lk, int *fd, struct ck_link_conn *c);
/* The exit code of a ck_cat_fetch() error (a passed deadline: network). */
int svc_fetch_exit(int err);

/*
 * The deadline: from svc_deadline_start() on, @seconds for everything on
 * the network (connects, handshakes, transfers; every link of the run):
 * when it passes, the sockets being watched are shut down, so whatever
 * waits on them fails at once, and svc_deadline_passed() says why.
 */
void svc_deadline_start(int seconds);
void svc_deadline_watch(int fd);	/* -1: none */
int svc_deadline_passed(void);
void svc_deadline_stop(void);

/* `chipkey service install` (service-install.c). */
#define SVC_CRL_MAX 8
struct svc_install_args {
	const char *slot_dir, *class, *keys, *rom_key, *state;
	const char *crl[SVC_CRL_MAX];
	int encrypted, ncrl, timeout;
};
int svc_install(struct ck_cli *cli, const struct svc_link *lk, const char *name,
		const struct svc_install_args *ia);

/* update.c: the exit code of a licence or install error (docs/software-update.md). */
int ck_update_exit_code(int err);

#endif /* CHIPKEY_CLI_SERVICE_H */
