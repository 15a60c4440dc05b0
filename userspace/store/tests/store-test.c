// SPDX-License-Identifier: GPL-2.0
/*
 * TAP tests of the chipkey store: main() and the fixtures the suites share.
 *
 *   store-test URL [quick]       the store suite against a fresh, empty database
 *   store-test migrate URL FIXTURE [FRESH_URL]
 *                                load FIXTURE (a database of an older schema)
 *                                into the empty database URL, open it through
 *                                the store and check the migration; FRESH_URL:
 *                                a database the store created, whose schema the
 *                                migrated one must equal
 *
 * The database must be empty (a new SQLite file or a new PostgreSQL
 * database): the tests count rows.  The suites: store-test-*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "common/identity.h"
#include "store-test.h"

const char *url;

uint8_t backup_a[9] = "backup-A";
uint8_t backup_b[9] = "backup-B";
uint8_t cert_x[6] = "\x30\x03\x02\x01\x01";

struct store *open_or_die(void)
{
	struct store *st;
	char err[256];

	if (store_open(url, &st, err, sizeof(err)) < 0) {
		tap_diag("open %s: %s", url, err);
		tap_ok(0, "open store");
		exit(1);
	}
	return st;
}

void chip(uint8_t c[16], uint8_t tag, uint32_t i)
{
	memset(c, 0xc5, 16);
	c[0] = tag;
	c[12] = (uint8_t)(i >> 24);
	c[13] = (uint8_t)(i >> 16);
	c[14] = (uint8_t)(i >> 8);
	c[15] = (uint8_t)i;
}

void make_identity(char out[16], int prefix, unsigned long i)
{
	char body[40];	/* 14 digits for every i the tests use */

	snprintf(body, sizeof(body), "35%01d%011lu", prefix, i);
	if (ck_identity_complete(body, out) != 0)
		abort();
}

int load_pool(struct store *st, int prefix, unsigned long n)
{
	char (*ids)[16] = calloc(n, 16);
	const char **v = calloc(n, sizeof(*v));
	size_t added = 0;
	unsigned long i;
	int rc;

	if (!ids || !v)
		abort();
	for (i = 0; i < n; i++) {
		make_identity(ids[i], prefix, i);
		v[i] = ids[i];
	}
	rc = store_load_identities(st, v, n, &added);
	free(ids);
	free(v);
	if (rc < 0)
		tap_diag("load: %s", store_error(st));
	return rc < 0 ? rc : (int)added;
}

void make_commit(struct store_commit *cm, const uint8_t chip[16], const char *identity,
		 const uint8_t *backup, size_t backup_len, const uint8_t *secret,
		 size_t secret_len)
{
	memset(cm, 0, sizeof(*cm));
	memcpy(cm->chip_id, chip, 16);
	cm->identity = identity;
	cm->generation = 1;
	cm->backup = backup;
	cm->backup_len = backup_len;
	cm->cert = cert_x;
	cm->cert_len = sizeof(cert_x) - 1;
	cm->secret = secret;
	cm->secret_len = secret_len;
}

/* store-test kind factory|public URL: opens URL as that kind of store and
 * prints "outbox N" (factory) or "chips N" (public); exit 0, or 1 and the
 * error (run.sh, the split of a single file). */
static int open_kind_main(const char *kind, const char *u)
{
	bool fac = !strcmp(kind, "factory");
	struct store *st;
	char err[512];
	uint64_t n = 0;
	int rc = store_open_kind(u, fac ? STORE_FACTORY : STORE_PUBLIC, &st, err, sizeof(err));

	if (rc) {
		printf("%s\n", err);
		return 1;
	}
	rc = fac ? store_outbox_count(st, &n) : store_pub_count_chips(st, &n);
	printf(rc ? "%s\n" : "%s %llu\n", rc ? store_error(st) : fac ? "outbox" : "chips",
	       (unsigned long long)n);
	store_close(st);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "kind"))
		return open_kind_main(argv[2], argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "migrate")) {
		url = argv[2];
		test_migrate(argv[3], argc > 4 ? argv[4] : NULL);
	} else if (argc >= 2 && strcmp(argv[1], "migrate")) {
		int quick = argc > 2 && !strcmp(argv[2], "quick");

		url = argv[1];
		test_pool();
		test_pub();
		test_schema_version();
		test_commit();
		test_race();
		test_crash(quick ? 10 : 60);
		test_threads();
		test_wal_bounded();
		test_chips();
		test_kinds();
		test_expiry();
		test_expiry_race();
	} else {
		fprintf(stderr, "usage: %s URL [quick] | migrate URL FIXTURE [FRESH_URL]\n",
			argv[0]);
		return 2;
	}
	return tap_exit_status();
}
