// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-service --crl (crls.h): the current set of CRLs, reference
 * counted so that a re-read never frees a set a handshake is using.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/pki.h"
#include "crls.h"

struct svc_crls_set {
	struct pki_crls *crls;		/* NULL: a file could not be read */
	int refs;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const *paths;
static int npaths;
static struct stat seen[SVC_CRL_FILES_MAX];
static struct svc_crls_set *cur;
static char floor_dir[4096];		/* <state>/crl-floor */

static void drop(struct svc_crls_set *s)
{
	if (s && --s->refs == 0) {
		pki_crls_free(s->crls);
		free(s);
	}
}

static int same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Under @lock: a new current set from the files (its crls NULL if one
 * cannot be read: @why says which).  A CRL older than the newest of its
 * issuer accepted before (the CRL floor in the state directory, or the set
 * in force) is refused at start (-ESTALE); later the newer one stays, and
 * @note says so.
 */
static int reload(int started, char *why, size_t whylen, char *note, size_t notelen)
{
	struct svc_crls_set *s = calloc(1, sizeof(*s));
	int i, err = 0;

	if (!s)
		return -ENOMEM;
	s->refs = 1;
	for (i = 0; i < npaths && !err; i++) {
		if (stat(paths[i], &seen[i])) {
			err = -errno;
			snprintf(why, whylen, "%s: %s", paths[i], strerror(errno));
			memset(&seen[i], 0, sizeof(seen[i]));
		} else {
			err = pki_crls_add(&s->crls, paths[i], why, whylen);
		}
	}
	if (!err) {
		err = pki_crls_floor(s->crls, floor_dir, cur ? cur->crls : NULL, started,
				     started ? note : why, started ? notelen : whylen);
		if (err > 0)
			err = 0;
	}
	if (err) {
		pki_crls_free(s->crls);
		s->crls = NULL;
	}
	drop(cur);
	cur = s;
	return err;
}

int svc_crls_init(const char *const *p, int n, const char *state_dir, char *why,
		  size_t whylen)
{
	int err;

	if (n > SVC_CRL_FILES_MAX)
		return -E2BIG;
	paths = p;
	npaths = n;
	if (!n)
		return 0;
	if ((size_t)snprintf(floor_dir, sizeof(floor_dir), "%s/crl-floor", state_dir) >=
	    sizeof(floor_dir))
		return -ENAMETOOLONG;
	pthread_mutex_lock(&lock);
	err = reload(0, why, whylen, NULL, 0);
	pthread_mutex_unlock(&lock);
	return err;
}

int svc_crls_get(const struct pki_crls **crls, struct svc_crls_set **ref)
{
	char why[320] = "", note[700] = "";
	struct stat st;
	int i, changed = 0;

	*crls = NULL;
	*ref = NULL;
	if (!npaths)
		return 0;
	pthread_mutex_lock(&lock);
	for (i = 0; i < npaths && !changed; i++)
		changed = stat(paths[i], &st) || !same(&st, &seen[i]);
	if ((changed || !cur->crls) && reload(1, why, sizeof(why), note, sizeof(note)))
		fprintf(stderr, "chipkey-service: --crl %s: refusing every device until it "
			"can be read\n", why);
	else if (changed)
		fprintf(stderr, "chipkey-service: --crl: CRLs read again (a file changed)\n");
	if (note[0])
		fprintf(stderr, "chipkey-service: --crl: %s\n", note);
	*ref = cur;
	cur->refs++;
	*crls = cur->crls;
	pthread_mutex_unlock(&lock);
	return *crls ? 0 : -EKEYREJECTED;
}

void svc_crls_put(struct svc_crls_set *ref)
{
	pthread_mutex_lock(&lock);
	drop(ref);
	pthread_mutex_unlock(&lock);
}
