// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey service install NAME (docs/software-update.md "Download"):
 *
 *   1. a download directory under --state, stale ones from killed runs
 *      removed first (ck_update_download_dir(), under the install's lock)
 *   2. NAME.licence over one link, at most CK_LICENCE_MAX_LEN bytes
 *   3. every check of the licence that needs no image (ck_update_accept():
 *      signature, signer chain to the ROM key, CRLs, this device, clock,
 *      sequence): a licence refused here means the image is never asked for
 *   4. NAME over a second link, streamed into DIR/image, at most the
 *      licence's image size (plus CMS overhead with --encrypted), hashed
 *      as it arrives and its SHA-256 checked against the licence
 *   5. `chipkey update install` of the two, which checks everything again
 * all within one --timeout deadline for the network; the directory is
 * removed on every path out.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/pki.h"
#include "link/catalogue.h"
#include "update/update.h"
#include "service.h"

/* What CMS adds to an --encrypted image (recipient info, IV, tag, padding). */
#define ENCRYPTED_OVERHEAD 65536

struct membuf {
	uint8_t *buf;
	size_t len, cap;
};

static int sink_mem(void *arg, const void *buf, size_t n)
{
	struct membuf *m = arg;

	if (n > m->cap - m->len)
		return -EFBIG;
	memcpy(m->buf + m->len, buf, n);
	m->len += n;
	return 0;
}

static int sink_download(void *arg, const void *buf, size_t n)
{
	return ck_update_download_write(arg, buf, n);
}

/* GET @name over a new link into @sink, at most @cap bytes.  CK_EXIT_*. */
static int fetch(const struct svc_link *lk, const char *name, uint64_t cap, ck_cat_sink *sink,
		 void *arg, const char *what)
{
	struct ck_link_conn c;
	uint64_t len = 0;
	int fd, ret, err;

	ret = svc_link_open(lk, &fd, &c);
	if (!ret) {
		err = ck_cat_fetch(c.ssl, name, cap, sink, arg, &len);
		if (err) {
			ret = svc_fetch_exit(err);
			if (svc_deadline_passed())
				fprintf(stderr, "chipkey service: install: %s: deadline (--timeout) "
					"passed\n", name);
			else if (err == -EFBIG)
				fprintf(stderr, "chipkey service: install: %s: %s is %llu bytes, "
					"more than the %llu allowed: refused\n", name, what,
					(unsigned long long)len, (unsigned long long)cap);
			else
				fprintf(stderr, "chipkey service: install: %s: %s\n", name,
					err == -ENOENT ? "not in the catalogue" :
					ret == CK_EXIT_PROTOCOL ? "connection lost" :
					ret == CK_EXIT_REFUSED ? "refused by the server" : strerror(-err));
		}
	}
	svc_deadline_watch(-1);	/* before the close: the number may be reused */
	ck_link_conn_free(&c);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* `chipkey update install` of DIR/image and DIR/licence. */
static int update_install(struct ck_cli *cli, const char *image, const char *lic,
			  const char *slots, const struct svc_install_args *ia)
{
	char *av[16 + 2 * SVC_CRL_MAX];
	int ac = 0, i;

	av[ac++] = "update";
	av[ac++] = "install";
	av[ac++] = "--image";
	av[ac++] = (char *)image;
	av[ac++] = "--licence";
	av[ac++] = (char *)lic;
	av[ac++] = "--keys";
	av[ac++] = (char *)ia->keys;
	av[ac++] = "--slot-dir";
	av[ac++] = (char *)slots;
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
	return cmd_update(cli, ac, av);
}

int svc_install(struct ck_cli *cli, const struct svc_link *lk, const char *name,
		const struct svc_install_args *ia)
{
	const char *slots = ia->slot_dir ? ia->slot_dir : CK_UPDATE_SLOT_DIR;
	char dir[PATH_MAX], image[PATH_MAX + 16], lic[PATH_MAX + 16];
	char lname[CK_CAT_NAME_MAX + 1], why[512] = "";
	uint8_t rom[CHIPKEY_MAX_ROM_KEY], chip[CK_LICENCE_CHIP_ID_LEN];
	struct membuf mb = { .cap = CK_LICENCE_MAX_LEN };
	struct ck_update_accept acc = { 0 };
	struct ck_update_download dl = { .fd = -1 };
	struct ck_licence l = { 0 };
	struct pki_crls *crls = NULL;
	size_t rom_len = sizeof(rom);
	uint64_t cap;
	int ret, err, lockfd = -1, removed = 0, has_chip = 0, i;

	if (!ck_cat_name_ok(name) ||
	    snprintf(lname, sizeof(lname), "%s.licence", name) >= (int)sizeof(lname)) {
		fprintf(stderr, "chipkey service: install %s: not a catalogue name\n", name);
		return CK_EXIT_USAGE;
	}
	if (ia->class && !ck_licence_class_valid(ia->class)) {
		fprintf(stderr, "chipkey service: install: --class %s: not a class name\n",
			ia->class);
		return CK_EXIT_USAGE;
	}
	for (i = 0; i < ia->ncrl; i++)
		if (pki_crls_add(&crls, ia->crl[i], why, sizeof(why))) {
			fprintf(stderr, "chipkey service: install: --crl %s\n", why);
			pki_crls_free(crls);
			return CK_EXIT_OTHER;
		}
	ret = ck_cli_rom_key(cli, ia->rom_key, rom, &rom_len, chip, &has_chip);
	if (ret)
		goto out_crls;
	mb.buf = malloc(mb.cap);
	if (!mb.buf) {
		ret = CK_EXIT_OTHER;
		goto out_crls;
	}
	/* 1. the download directory (what killed runs left: removed) */
	err = ck_update_download_dir(slots, ia->state, dir, &lockfd, &removed, why, sizeof(why));
	if (err) {
		fprintf(stderr, "chipkey service: install: %s\n", why);
		ret = CK_EXIT_OTHER;
		goto out_mem;
	}
	if (removed)
		fprintf(stderr, "chipkey service: removed %d download director%s a killed run "
			"left in %s\n", removed, removed == 1 ? "y" : "ies", ia->state);
	snprintf(image, sizeof(image), "%s/image", dir);
	snprintf(lic, sizeof(lic), "%s/licence", dir);
	svc_deadline_start(ia->timeout);
	/* 2. the licence, into memory (64 KiB at most) */
	ret = fetch(lk, lname, mb.cap, sink_mem, &mb, "the licence");
	if (ret)
		goto out;
	/* 3. every check that needs no image, before the image is asked for */
	acc = (struct ck_update_accept){
		.keys = ia->keys, .rom = rom, .rom_len = rom_len, .chip = has_chip ? chip : NULL,
		.device_class = ia->class, .crls = crls, .slot_dir = slots, .state_dir = ia->state,
		.clock = pki_clock_now(),
	};
	err = ck_update_accept(&acc, mb.buf, mb.len, &l, NULL, why, sizeof(why));
	if (err) {
		ret = ck_update_exit_code(err);
		fprintf(stderr, "chipkey: update refused (%s): %s (the image was not "
			"downloaded)\n", ck_exit_name(ret), why);
		goto out;
	}
	/* 4. the image, streamed into DIR/image, never past the licence's size */
	cap = l.image_size;
	if (ia->encrypted)
		cap = cap > CK_UPDATE_MAX_ENCRYPTED - ENCRYPTED_OVERHEAD ? CK_UPDATE_MAX_ENCRYPTED :
		      cap + ENCRYPTED_OVERHEAD;
	err = ck_update_download_open(&dl, image, cap);
	if (err) {
		fprintf(stderr, "chipkey service: install: %s: %s\n", image, strerror(-err));
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = fetch(lk, name, cap, sink_download, &dl, "the image");
	if (ret == CK_EXIT_TOO_LARGE)
		ret = CK_EXIT_TAMPERED;	/* not the image the licence names */
	svc_deadline_stop();
	/* the digest: the plaintext's, so only a plain image is checked here */
	err = ck_update_download_close(&dl, ret || ia->encrypted ? NULL : &l, why, sizeof(why));
	if (!ret && err) {
		ret = ck_update_exit_code(err);
		fprintf(stderr, "chipkey: update refused (%s): %s\n", ck_exit_name(ret), why);
	}
	if (!ret) {
		err = ck_file_write_atomic(lic, mb.buf, mb.len, 0600, 1);
		ret = err ? CK_EXIT_OTHER : CK_EXIT_OK;
	}
	/* 5. the install proper, which checks all of it again */
	if (!ret)
		ret = update_install(cli, image, lic, slots, ia);
out:
	svc_deadline_stop();
	if (dl.fd >= 0 || dl.md)
		ck_update_download_close(&dl, NULL, NULL, 0);
	ck_update_download_dir_remove(dir, lockfd);
	ck_licence_free(&l);
out_mem:
	free(mb.buf);
out_crls:
	pki_crls_free(crls);
	return ret;
}
