// SPDX-License-Identifier: GPL-2.0
/*
 * Store tests of database 170, the public records: insert-only
 * generations, conflicts, reads, read tuning; void entries (schema 5).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-test.h"

void test_pub(void)
{
	struct store *st = open_or_die();
	struct store_pub_record rec = { 0 }, got;
	struct store_generation *gl;
	struct store_pub_void vd, vg;
	char ident[16];
	uint8_t a[16], z[16];
	size_t n;
	uint64_t nchips;

	make_identity(ident, 9, 1);
	chip(a, 0x02, 1);
	chip(z, 0x02, 99);
	memcpy(rec.chip_id, a, 16);
	memcpy(rec.identity, ident, 16);
	rec.backup = backup_a;
	rec.backup_len = sizeof(backup_a);
	rec.cert = cert_x;
	rec.cert_len = sizeof(cert_x) - 1;
	rec.generation = 1;
	tap_ok(store_pub_insert(st, &rec) == 0 && rec.created > 0, "pub: insert generation 1");
	tap_ok(store_pub_insert(st, &rec) == -EEXIST && strstr(store_error(st), "conflict"),
	       "pub: same generation again -> conflict (%s)", store_error(st));
	rec.generation = 0;
	tap_ok(store_pub_insert(st, &rec) == -EINVAL, "pub: generation 0 refused");
	rec.generation = (uint64_t)INT64_MAX + 1;
	tap_ok(store_pub_insert(st, &rec) == -EINVAL, "pub: generation 2^63 refused");
	rec.generation = 3;
	rec.backup = backup_b;
	rec.backup_len = sizeof(backup_b);
	rec.signed_record = backup_a;
	rec.signed_record_len = 3;
	tap_ok(store_pub_insert(st, &rec) == 0, "pub: insert generation 3");
	rec.generation = 2;
	tap_ok(store_pub_insert(st, &rec) == -EEXIST, "pub: generation 2 after 3 -> conflict");
	/* the reads below then go through the memory map on SQLite */
	tap_ok(store_tune_reads(st, 1ull << 30, 4096) == 0, "pub: read tuning (mmap, cache) accepted");
	tap_ok(store_pub_latest(st, a, &got) == 0 && got.generation == 3 &&
	       got.backup_len == sizeof(backup_b) && !memcmp(got.backup, backup_b, sizeof(backup_b)) &&
	       got.cert_len == sizeof(cert_x) - 1 && !strcmp(got.identity, ident) &&
	       got.signed_record_len == 3 && !memcmp(got.chip_id, a, 16) && got.created > 0,
	       "pub: latest is generation 3 with its data");
	store_pub_record_clear(&got);
	tap_ok(store_pub_get(st, a, 1, &got) == 0 && got.generation == 1 &&
	       !memcmp(got.backup, backup_a, sizeof(backup_a)) && got.signed_record == NULL &&
	       got.signed_record_len == 0,
	       "pub: generation 1 still there, unchanged");
	store_pub_record_clear(&got);
	tap_ok(store_pub_get(st, a, 2, &got) == -ENOENT, "pub: generation 2 absent");
	tap_ok(store_pub_latest(st, z, &got) == -ENOENT, "pub: unknown chip -> -ENOENT");
	tap_ok(store_pub_generations(st, a, &gl, &n) == 0 && n == 2 && gl[0].generation == 1 &&
	       gl[1].generation == 3, "pub: generations [1, 3]");
	free(gl);
	tap_ok(store_pub_generations(st, z, &gl, &n) == -ENOENT, "pub: generations of unknown chip");
	tap_ok(store_pub_count_chips(st, &nchips) == 0 && nchips == 1, "pub: 1 chip stored");

	/* void entries: one per existing generation, insert-only */
	memset(&vd, 0, sizeof(vd));
	memcpy(vd.chip_id, a, 16);
	strcpy(vd.reason, "test: bad");
	vd.entry = backup_b;
	vd.entry_len = sizeof(backup_b);
	vd.generation = 2;
	tap_ok(store_pub_void_insert(st, &vd) == -ENOENT, "void: a generation that does not exist -> -ENOENT");
	tap_ok(store_pub_current(st, a, &got) == 0 && got.generation == 3,
	       "void: before any void the current generation is the latest, 3");
	store_pub_record_clear(&got);
	vd.generation = 3;
	tap_ok(store_pub_void_insert(st, &vd) == 0 && vd.created > 0, "void: generation 3 voided");
	tap_ok(store_pub_void_insert(st, &vd) == -EEXIST, "void: a second void of it -> -EEXIST");
	tap_ok(store_pub_current(st, a, &got) == 0 && got.generation == 1,
	       "void: the current generation is now 1");
	store_pub_record_clear(&got);
	tap_ok(store_pub_latest(st, a, &got) == 0 && got.generation == 3,
	       "void: the latest stored is still 3 (nothing deleted)");
	store_pub_record_clear(&got);
	tap_ok(store_pub_generations(st, a, &gl, &n) == 0 && n == 2 && !gl[0].voided &&
	       !gl[0].reason[0] && gl[1].voided && !strcmp(gl[1].reason, "test: bad"),
	       "void: generations mark 3 void with its reason");
	free(gl);
	tap_ok(store_pub_void_get(st, a, 3, &vg) == 0 && vg.entry_len == sizeof(backup_b) &&
	       !memcmp(vg.entry, backup_b, sizeof(backup_b)) && !strcmp(vg.reason, "test: bad") &&
	       vg.generation == 3, "void: the entry reads back byte for byte");
	store_pub_void_clear(&vg);
	tap_ok(store_pub_void_get(st, a, 1, &vg) == -ENOENT, "void: generation 1 has no void entry");
	rec.generation = 3;
	tap_ok(store_pub_insert(st, &rec) == -EEXIST,
	       "void: the voided generation 3 cannot be stored again");
	vd.generation = 1;
	tap_ok(store_pub_void_insert(st, &vd) == 0 && store_pub_current(st, a, &got) == -ENOENT,
	       "void: every generation voided -> no current one");
	store_close(st);
}
