// SPDX-License-Identifier: LGPL-2.1-or-later
/* The records of a pairing store (pair.h), for `chipkey pairs`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/file.h"
#include "pair.h"

static int by_identity(const void *a, const void *b)
{
	return strcmp(((const struct ck_pair_record *)a)->identity,
		      ((const struct ck_pair_record *)b)->identity);
}

int ck_pair_record_list(const char *dir, struct ck_pair_record **out, size_t *n)
{
	struct ck_pair_record *v = NULL, *grown;
	size_t cap = 0, len;
	struct dirent *e;
	uint8_t *buf;
	DIR *d;
	int dfd, err = 0;

	*out = NULL;
	*n = 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;	/* no store: no pairings */
	d = fs_opendir_at(dfd);
	if (!d) {
		err = -errno;
		close(dfd);
		return err;
	}
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);

		/* temporary files of an interrupted write are not records */
		if (nl != 20 || strcmp(e->d_name + 15, ".pair"))
			continue;
		err = ck_file_read_secret_at(dfd, e->d_name, 64 * 1024, &buf, &len);
		if (err) {
			fprintf(stderr, "chipkey: %s/%s: %s (skipped)\n", dir, e->d_name,
				strerror(-err));
			err = 0;
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				OPENSSL_clear_free(buf, len);
				err = -ENOMEM;
				break;
			}
			v = grown;
		}
		if (ck_pair_record_decode((const char *)buf, len, &v[*n]) ||
		    strncmp(v[*n].identity, e->d_name, 15)) {
			fprintf(stderr, "chipkey: %s/%s: not a pairing record (skipped)\n",
				dir, e->d_name);
			ck_pair_record_free(&v[*n]);
		} else {
			++*n;
		}
		OPENSSL_clear_free(buf, len);
	}
	closedir(d);
	close(dfd);
	if (err) {
		while (*n)
			ck_pair_record_free(&v[--*n]);
		free(v);
		return err;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), by_identity);
	*out = v;
	return 0;
}
