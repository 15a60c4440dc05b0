// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-service: the catalogue (catalogue.h).  Serves the regular files
 * of one directory by name: LIST names them, GET sends one.  Names follow
 * ck_cat_name_ok() (no '/', no leading '.'), and the file is opened with
 * openat(O_NOFOLLOW) in the directory: nothing outside it is reachable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link/catalogue.h"
#include "catalogue.h"

static int answer(SSL *ssl, uint8_t status, uint64_t len)
{
	struct ck_cat_response_hdr h = { status, len };
	uint8_t b[CK_CAT_RESP_HDR];

	ck_cat_response_hdr_encode(&h, b);
	return ck_ssl_write_full(ssl, b, sizeof(b));
}

static int list(SSL *ssl, int dfd)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	struct stat st;
	int err;

	if (!d || !m) {
		if (d)
			closedir(d);
		if (m)
			fclose(m);
		free(out);
		return answer(ssl, CK_CAT_ERROR, 0);
	}
	while ((e = readdir(d)))
		if (ck_cat_name_ok(e->d_name) &&
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			fprintf(m, "%s\n", e->d_name);
	closedir(d);
	fclose(m);
	err = answer(ssl, CK_CAT_OK, len);
	if (!err)
		err = ck_ssl_write_full(ssl, out, len);
	free(out);
	return err;
}

static int get(SSL *ssl, int dfd, const char *name)
{
	/* O_NONBLOCK: a FIFO in the catalogue must not block this thread in
	 * open(2); only a regular file is served (its reads ignore the flag) */
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	uint8_t buf[16384];
	struct stat st;
	uint64_t left;
	ssize_t n;
	int err;

	if (fd < 0)
		return answer(ssl, CK_CAT_NOT_FOUND, 0);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > CK_CAT_FILE_MAX) {
		close(fd);
		return answer(ssl, CK_CAT_NOT_FOUND, 0);
	}
	left = (uint64_t)st.st_size;
	err = answer(ssl, CK_CAT_OK, left);
	while (!err && left) {
		n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n <= 0) {
			err = -EIO;	/* the file shrank: the device sees a short body */
			break;
		}
		err = ck_ssl_write_full(ssl, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	close(fd);
	return err;
}

int svc_catalogue_serve(SSL *ssl, const char *dir, const char *peer)
{
	struct ck_cat_request r;
	int dfd, err = ck_cat_request_read(ssl, &r);

	if (err == -EPROTO) {
		fprintf(stderr, "chipkey-service: %s: bad catalogue request refused\n", peer);
		return answer(ssl, CK_CAT_BAD_REQUEST, 0);
	}
	if (err)
		return err;
	if (!dir)
		return answer(ssl, CK_CAT_NOT_FOUND, 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return answer(ssl, CK_CAT_ERROR, 0);
	err = r.op == CK_CAT_LIST ? list(ssl, dfd) : get(ssl, dfd, r.name);
	close(dfd);
	return err;
}
