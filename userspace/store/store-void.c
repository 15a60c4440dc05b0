// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store: the void entries of database 170 (public_voids, schema 5;
 * docs/pubdb-api.md "Voiding a generation"), argument checks and dispatch
 * to the backend (store-sqlite-void.c, store-pg-void.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

int store_pub_void_insert(struct store *st, struct store_pub_void *v)
{
	size_t n;
	int rc;

	CHECK_ST(st);
	NEED_PUBLIC(st);
	if (!v || !v->entry || !v->entry_len || v->entry_len > STORE_MAX_BLOB)
		return store_fail(st, -EINVAL, "bad arguments");
	rc = store_check_generation(st, v->generation);
	if (rc)
		return rc;
	n = strnlen(v->reason, sizeof(v->reason));
	if (!n || n > STORE_VOID_REASON_MAX)
		return store_fail(st, -EINVAL, "void reason empty or too long");
	return st->ops->pub_void_insert(st, v);
}

int store_pub_void_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		       uint64_t generation, struct store_pub_void *v)
{
	int rc;

	CHECK_ST(st);
	NEED_PUBLIC(st);
	if (!chip_id || !v)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(v, 0, sizeof(*v));
	rc = store_check_generation(st, generation);
	return rc ? rc : st->ops->pub_void_get(st, chip_id, generation, v);
}

void store_pub_void_clear(struct store_pub_void *v)
{
	if (!v)
		return;
	free(v->entry);
	memset(v, 0, sizeof(*v));
}
