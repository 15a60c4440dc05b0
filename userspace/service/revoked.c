// SPDX-License-Identifier: GPL-2.0-or-later
/* chipkey-service --revoked-ids (revoked.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/identity.h"
#include "revoked.h"

#define ID_LEN		15
#define FILE_MAX	(16 * 1024 * 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *path;
static struct stat seen;
static char (*ids)[ID_LEN + 1];	/* sorted; NULL with ok == 0: unusable */
static size_t nids;
static int ok;

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Under @lock: the list from @path, or ok = 0 and -errno with @why. */
static int reload(char *why, size_t whylen)
{
	char (*n)[ID_LEN + 1] = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, count = 0, i = 0, line = 1;
	int err;

	free(ids);
	ids = NULL;
	nids = 0;
	ok = 0;
	if (stat(path, &seen)) {
		err = -errno;
		memset(&seen, 0, sizeof(seen));
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISREG(seen.st_mode)) {	/* never block on a FIFO */
		snprintf(why, whylen, "%s: not a regular file", path);
		return -EINVAL;
	}
	err = ck_file_read(path, &buf, &len, FILE_MAX);
	if (err) {
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	for (i = 0; i < len; i++)
		count += buf[i] == '\n';
	n = calloc(count + 1, sizeof(*n));
	if (!n) {
		free(buf);
		return -ENOMEM;
	}
	for (i = 0; i < len; line++) {
		size_t e = i;

		while (e < len && buf[e] != '\n')
			e++;
		if (e > i && buf[i] != '#') {
			if (e - i != ID_LEN) {
				err = -EINVAL;
				break;
			}
			memcpy(n[nids], buf + i, ID_LEN);
			n[nids][ID_LEN] = 0;
			if (!ck_identity_valid(n[nids])) {
				err = -EINVAL;
				break;
			}
			nids++;
		}
		i = e + 1;
	}
	free(buf);
	if (err) {
		snprintf(why, whylen, "%s line %zu: not a 15-digit identity (Luhn-valid), "
			 "a '#' comment or empty", path, line);
		free(n);
		nids = 0;
		return err;
	}
	qsort(n, nids, sizeof(*n), cmp);
	ids = n;
	ok = 1;
	return 0;
}

int svc_revoked_init(const char *p, char *why, size_t whylen)
{
	int err;

	path = p;
	pthread_mutex_lock(&lock);
	err = reload(why, whylen);
	pthread_mutex_unlock(&lock);
	return err;
}

int svc_revoked_refresh(void)
{
	char why[320] = "";
	struct stat st;
	int changed, was_ok, err = 0;

	if (!path)
		return 0;
	pthread_mutex_lock(&lock);
	/* a file still missing (reload() zeroed @seen) has not changed */
	changed = stat(path, &st) ? seen.st_ino || seen.st_dev : !same(&st, &seen);
	was_ok = ok;
	if (changed || !ok) {
		err = reload(why, sizeof(why));
		/* said once per change, not at every connection while it lasts */
		if (err && (was_ok || changed))
			fprintf(stderr, "chipkey-service: --revoked-ids %s: refusing every "
				"device until it can be read\n", why);
		else
			fprintf(stderr, "chipkey-service: --revoked-ids: read again (%zu "
				"identities)\n", nids);
	}
	pthread_mutex_unlock(&lock);
	return err ? -EKEYREJECTED : 0;
}

int svc_revoked_check(const char *id)
{
	int hit;

	if (!path)
		return 0;
	pthread_mutex_lock(&lock);
	/* unusable since the connection started: refuse (fail closed) */
	hit = !ok || (nids && bsearch(id, ids, nids, sizeof(*ids), cmp));
	pthread_mutex_unlock(&lock);
	return hit ? -EKEYREVOKED : 0;
}
