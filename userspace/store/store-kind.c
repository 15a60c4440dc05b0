// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store: what a store holds, its kind (store.h, enum store_kind;
 * docs/databases.md, "Databases apart"): the factory's tables, the public
 * ones, or both (a single file).  Every entry point of store.c and
 * store-void.c asks store_need() for the tables it uses.
 */
#include <errno.h>
#include <stdbool.h>

#include "store-int.h"

enum store_kind store_get_kind(const struct store *st)
{
	return st ? st->kind : STORE_SINGLE;
}

static const char *const kind_names[] = {
	[STORE_SINGLE] = "single-file", [STORE_FACTORY] = "factory", [STORE_PUBLIC] = "public",
};

const char *store_kind_name(enum store_kind k)
{
	return (unsigned)k < 3 ? kind_names[k] : "unknown";
}

int store_need(struct store *st, bool factory_tables)
{
	if (factory_tables ? st->kind == STORE_PUBLIC : st->kind == STORE_FACTORY)
		return store_fail(st, -EPERM, "a %s store has no %s tables",
				  store_kind_name(st->kind), factory_tables ? "factory" : "public");
	return 0;
}
