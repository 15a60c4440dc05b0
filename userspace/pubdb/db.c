// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: the database side.  Each HTTP pool thread owns one store
 * connection, with its prepared statements, for its lifetime; on SQLite
 * it memory-maps the file (--mmap-mib), so a read copies no pages.  A
 * connection the database server closed (a restart) is opened again by
 * the next request that takes it (store_reconnect); while none can be
 * opened, requests get 503 and each tries again.
 */
#include <pthread.h>
#include <stdio.h>

#include "pubdb.h"

static pthread_key_t store_key;

static void store_destructor(void *p)
{
	store_close(p);
}

int pubdb_db_init(char *err, size_t errlen)
{
	struct store *st;
	int rc;

	rc = store_open_kind(pubdb_cfg.db_url, STORE_PUBLIC, &st, err, errlen);
	if (rc < 0)
		return rc;
	store_close(st);
	rc = pthread_key_create(&store_key, store_destructor);
	if (rc) {
		snprintf(err, errlen, "pthread_key_create failed");
		return -rc;
	}
	return 0;
}

struct store *pubdb_db(char *err, size_t errlen)
{
	struct store *st = pthread_getspecific(store_key);

	if (st) {
		/* here rather than inside the first store call: a request
		 * that finds no database is answered 503, not 500 */
		if (store_reconnect(st) < 0) {
			snprintf(err, errlen, "%s", store_error(st));
			return NULL;
		}
		return st;
	}
	if (store_open_kind(pubdb_cfg.db_url, STORE_PUBLIC, &st, err, errlen) < 0)
		return NULL;
	if (store_tune_reads(st, pubdb_cfg.mmap_mib << 20, pubdb_cfg.cache_mib << 10) < 0)
		fprintf(stderr, "chipkey-pubdb: read tuning: %s\n", store_error(st));
	pthread_setspecific(store_key, st);
	return st;
}
