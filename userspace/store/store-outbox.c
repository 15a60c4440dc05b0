// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store: a factory store's issued records and their outbox, and
 * the publication of the outbox into the public store (docs/databases.md,
 * "Databases apart").  Backend-neutral: the backends list and mark the
 * outbox (struct store_ops), the public store is written through
 * store_pub_insert().
 *
 * Order of a publication, per batch: list the outbox (factory), ask the
 * caller's vet about each record, insert each vetted record into the public store (each its own transaction there), then mark
 * the inserted ones published (one factory transaction).  A kill anywhere
 * leaves each record either in the outbox (published again at the next
 * run: the record already in the public store is then recognised byte for
 * byte) or published; never lost, never a second copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "common/crashpoint.h"

static int need_outbox(struct store *st)
{
	if (st->kind != STORE_FACTORY || !st->ops->outbox_list)
		return store_fail(st, -EPERM, "a %s store on %s has no outbox",
				  store_kind_name(st->kind), st->ops->name);
	return 0;
}

int store_issued_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_pub_record *rec)
{
	CHECK_ST(st);
	if (!chip_id || !rec)
		return store_fail(st, -EINVAL, "bad arguments");
	if (st->kind == STORE_SINGLE || !st->ops->issued_get)
		return store_pub_latest(st, chip_id, rec);
	NEED_FACTORY(st);
	memset(rec, 0, sizeof(*rec));
	return st->ops->issued_get(st, chip_id, rec);
}

int store_outbox_count(struct store *st, uint64_t *n)
{
	CHECK_ST(st);
	if (!n)
		return store_fail(st, -EINVAL, "bad arguments");
	*n = 0;
	if (st->kind == STORE_SINGLE || !st->ops->outbox_count)
		return 0;
	NEED_FACTORY(st);
	return st->ops->outbox_count(st, n);
}

static bool same_blob(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && (!al || memcmp(a, b, al) == 0);
}

/* After store_pub_insert(@rec) returned @rc: 0 if inserted now or already
 * there identically, else the error (message in @factory). */
static int check_published(struct store *factory, struct store *pub, struct store_pub_record *rec,
		     int rc)
{
	struct store_pub_record have;

	if (rc != -EEXIST) {
		if (rc)
			return store_fail(factory, rc, "publish: public store: %.200s",
					  store_error(pub));
		return 0;
	}
	if (store_pub_get(pub, rec->chip_id, rec->generation, &have) == 0 &&
	    !strcmp(have.identity, rec->identity) &&
	    same_blob(have.backup, have.backup_len, rec->backup, rec->backup_len) &&
	    same_blob(have.cert, have.cert_len, rec->cert, rec->cert_len) &&
	    same_blob(have.signed_record, have.signed_record_len,
		      rec->signed_record, rec->signed_record_len))
		rc = 0;
	store_pub_record_clear(&have);
	if (rc)
		return store_fail(factory, rc,
				  "publish: the public store holds another record of this chip"
				  " (generation %llu or newer): left in the outbox",
				  (unsigned long long)rec->generation);
	return 0;
}

/* The public inserts of @recs[0..n): rc[i] as store_pub_insert() returns;
 * one transaction when the backend can. */
static void insert_all(struct store *pub, struct store_pub_record *recs, size_t n, int *rc)
{
	if (pub->ops->pub_insert_batch && n > 1 &&
	    pub->ops->pub_insert_batch(pub, recs, n, rc) == 0)
		return;
	for (size_t i = 0; i < n; i++)
		rc[i] = store_pub_insert(pub, &recs[i]);
}

/* Moves recs[i] to recs[*to] (the front part), rc with it. */
static void to_front(struct store_pub_record *recs, int *rcv, size_t i, size_t *to)
{
	if (*to != i) {
		struct store_pub_record t = recs[*to];
		int r = rcv[*to];

		recs[*to] = recs[i];
		recs[i] = t;
		rcv[*to] = rcv[i];
		rcv[i] = r;
	}
	(*to)++;
}

/* The vet of @pass over @recs[0..n): accepted ones move to the front
 * (their number returned), refused ones get -EACCES and are told. */
static size_t vet_all(struct store *factory, struct store_publish_pass *pass,
		      struct store_pub_record *recs, size_t n, int *rcv, int *first)
{
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		char why[200] = "";

		if (!pass || !pass->vet || !pass->vet(pass->arg, &recs[i], why, sizeof(why))) {
			to_front(recs, rcv, i, &ok);
			continue;
		}
		rcv[i] = store_fail(factory, -EACCES, "publish: refused: %s: left in the outbox",
				    why);
		if (!*first)
			*first = rcv[i];
		if (pass->fate)
			pass->fate(pass->arg, &recs[i], rcv[i], store_error(factory));
	}
	return ok;
}

int store_publish(struct store *factory, struct store *pub, size_t max, size_t *published,
		  struct store_publish_pass *pass)
{
	struct store_pub_record *recs = NULL;
	size_t n = 0, m, ok = 0, i;
	int rc, first = 0, *rcv = NULL;

	if (published)
		*published = 0;
	if (pass)
		pass->listed = 0;
	CHECK_ST(factory);
	CHECK_ST(pub);
	rc = need_outbox(factory);
	if (rc)
		return rc;
	NEED_PUBLIC(pub);
	if (!max)
		return 0;
	rc = factory->ops->outbox_list(factory, max, pass && pass->paging ? pass->after : NULL,
				       &recs, &n);
	if (rc)
		return rc;
	if (pass && n) {
		pass->listed = n;
		pass->paging = true;
		memcpy(pass->after, recs[n - 1].chip_id, STORE_CHIP_ID_LEN);
	}
	rcv = calloc(n ? n : 1, sizeof(*rcv));
	if (!rcv) {
		rc = store_oom(factory);
		goto out;
	}
	/* Vetted ones move to the front, are inserted; of them, the
	 * published ones move to the front; the rest stay in the outbox. */
	m = vet_all(factory, pass, recs, n, rcv, &first);
	insert_all(pub, recs, m, rcv);
	for (i = 0; i < m; i++) {
		rcv[i] = check_published(factory, pub, &recs[i], rcv[i]);
		if (rcv[i]) {
			if (!first)
				first = rcv[i];
			if (pass && pass->fate)
				pass->fate(pass->arg, &recs[i], rcv[i], store_error(factory));
			continue;
		}
		to_front(recs, rcv, i, &ok);
	}
	if (ok) {
		char keep[sizeof(factory->err)];

		CK_CRASH_POINT("store:publish-inserted");
		memcpy(keep, factory->err, sizeof(keep));
		rc = factory->ops->outbox_done(factory, recs, ok);
		if (rc) {
			first = rc;
		} else {
			memcpy(factory->err, keep, sizeof(keep));
			if (published)
				*published = ok;
		}
		for (i = 0; pass && pass->fate && i < ok; i++)
			pass->fate(pass->arg, &recs[i], rc, rc ? store_error(factory) : "");
	}
out:
	for (i = 0; i < n; i++)
		store_pub_record_clear(&recs[i]);
	free(recs);
	free(rcv);
	return first ? first : rc;
}
