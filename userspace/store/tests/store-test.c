// SPDX-License-Identifier: GPL-2.0
/*
 * TAP tests of the chipkey store.
 *
 *   store-test luhn              Luhn / IMEI helpers only
 *   store-test URL [quick]       the store suite against a fresh, empty database
 *
 * The database must be empty (a new SQLite file or a new PostgreSQL
 * database): the tests count rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

static int ntest, nfail;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	if (!cond)
		nfail++;
	printf("%sok %d - ", cond ? "" : "not ", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *url;

static struct store *open_or_die(void)
{
	struct store *st;
	char err[256];

	if (store_open(url, &st, err, sizeof(err)) < 0) {
		printf("# open %s: %s\n", url, err);
		printf("not ok %d - open store\n", ++ntest);
		exit(1);
	}
	return st;
}

/* chip ID: tag byte + 32-bit index, rest fixed */
static void chip(uint8_t c[16], uint8_t tag, uint32_t i)
{
	memset(c, 0xc5, 16);
	c[0] = tag;
	c[12] = (uint8_t)(i >> 24);
	c[13] = (uint8_t)(i >> 16);
	c[14] = (uint8_t)(i >> 8);
	c[15] = (uint8_t)i;
}

/* identity number i with a body prefix: "35" + prefix digit + 11 digits */
static void make_identity(char out[16], int prefix, unsigned long i)
{
	char body[15];

	snprintf(body, sizeof(body), "35%01d%011lu", prefix, i);
	if (imei_complete(body, out) != 0)
		abort();
}

static int load_pool(struct store *st, int prefix, unsigned long n)
{
	char (*ids)[16] = calloc(n, 16);
	const char **v = calloc(n, sizeof(*v));
	size_t added = 0;
	unsigned long i;
	int rc;

	for (i = 0; i < n; i++) {
		make_identity(ids[i], prefix, i);
		v[i] = ids[i];
	}
	rc = store_load_identities(st, v, n, &added);
	free(ids);
	free(v);
	if (rc < 0)
		diag("load: %s", store_error(st));
	return rc < 0 ? rc : (int)added;
}

/* ---------------------------------------------------------------- Luhn */

static void test_luhn(void)
{
	/* published-format example */
	const char *imei = "490154203237518";
	char buf[16];
	int i, d, caught = 1;

	ok(luhn_valid(imei), "luhn: 490154203237518 valid");
	ok(luhn_check_digit(imei, 14) == 8, "luhn: check digit of 49015420323751 is 8");
	/* by hand: 1 2 3 4 5 6 7 8 9 0 1 2 3 4, doubling from the right:
	 * 8+3+4+1+0+9+7+7+3+5+8+3+4+1 = 63 -> check digit 7 */
	ok(luhn_check_digit("12345678901234", 14) == 7, "luhn: hand-computed 12345678901234 -> 7");
	ok(luhn_valid("123456789012347") && !luhn_valid("123456789012348"),
	   "luhn: 123456789012347 valid, ...348 not");
	/* 0 0 ... 0: sum 0 -> check digit 0 */
	ok(luhn_valid("000000000000000"), "luhn: all zeros valid");
	/* the classic 11-digit example: 7992739871 -> 3 */
	ok(luhn_check_digit("7992739871", 10) == 3 && luhn_valid("79927398713"),
	   "luhn: 7992739871 -> 3");
	ok(luhn_check_digit("12a4", 4) == -EINVAL && !luhn_valid("49015420323751x") &&
	   !luhn_valid("") && !luhn_valid("5") && luhn_check_digit("", 0) == -EINVAL,
	   "luhn: non-digits and short input rejected");
	/* every single-digit error is detected */
	for (i = 0; i < 15; i++) {
		for (d = 0; d < 10; d++) {
			memcpy(buf, imei, 16);
			if (buf[i] == '0' + d)
				continue;
			buf[i] = (char)('0' + d);
			if (luhn_valid(buf))
				caught = 0;
		}
	}
	ok(caught, "luhn: all 135 single-digit substitutions of 490154203237518 detected");
	/* adjacent transpositions (except 09 <-> 90) detected */
	caught = 1;
	for (i = 0; i < 14; i++) {
		char a = imei[i], b = imei[i + 1];

		if (a == b || (a == '0' && b == '9') || (a == '9' && b == '0'))
			continue;
		memcpy(buf, imei, 16);
		buf[i] = b;
		buf[i + 1] = a;
		if (luhn_valid(buf))
			caught = 0;
	}
	ok(caught, "luhn: adjacent transpositions detected");
	ok(imei_complete("49015420323751", buf) == 0 && !strcmp(buf, imei) &&
	   imei_complete("4901542032375", buf) == -EINVAL &&
	   store_identity_valid(imei) && !store_identity_valid("79927398713"),
	   "imei_complete / store_identity_valid");
	{
		uint8_t c[16], c2[16];
		char hex[33];

		chip(c, 0xab, 0x01020304);
		store_chip_id_format(c, hex);
		ok(store_chip_id_parse(hex, c2) == 0 && !memcmp(c, c2, 16) &&
		   !strcmp(hex, "abc5c5c5c5c5c5c5c5c5c5c501020304") &&
		   store_chip_id_parse("ABC5C5C5C5C5C5C5C5C5C5C501020304", c2) == 0 &&
		   !memcmp(c, c2, 16) &&
		   store_chip_id_parse("abc5c5c5c5c5c5c5c5c5c5c50102030", c2) == -EINVAL &&
		   store_chip_id_parse("abc5c5c5c5c5c5c5c5c5c5c50102030g", c2) == -EINVAL &&
		   store_chip_id_parse("abc5c5c5c5c5c5c5c5c5c5c5010203040", c2) == -EINVAL,
		   "chip ID hex parse/format");
	}
}

/* ------------------------------------------------------ identity pool */

static void test_pool(void)
{
	struct store *st = open_or_die();
	const char *bad[] = { "490154203237519" };
	char id1[16], id2[16], id3[16];
	uint64_t f, r, i;
	uint8_t a[16], b[16], c[16];
	int state = -1, rc, k;

	ok(load_pool(st, 1, 5) == 5, "pool: 5 identities loaded");
	ok(load_pool(st, 1, 5) == 0, "pool: reloading the same identities adds none");
	ok(store_load_identities(st, bad, 1, NULL) == -EINVAL,
	   "pool: identity with a wrong check digit refused");
	chip(a, 0x01, 1);
	chip(b, 0x01, 2);
	rc = store_claim_identity(st, a, id1, &state);
	ok(rc == 0 && state == STORE_ID_RESERVED && store_identity_valid(id1),
	   "pool: chip A claims %s", id1);
	rc = store_claim_identity(st, a, id2, &state);
	ok(rc == 0 && !strcmp(id1, id2) && state == STORE_ID_RESERVED,
	   "pool: chip A claims again, same identity");
	rc = store_claim_identity(st, b, id3, &state);
	ok(rc == 0 && strcmp(id1, id3) != 0, "pool: chip B gets another identity");
	ok(store_identity_counts(st, &f, &r, &i) == 0 && f == 3 && r == 2 && i == 0,
	   "pool: counts free 3 reserved 2 issued 0");
	for (k = 3; k <= 5; k++) {
		chip(c, 0x01, (uint32_t)k);
		rc = store_claim_identity(st, c, id2, NULL);
	}
	ok(rc == 0, "pool: last identity claimed");
	chip(c, 0x01, 6);
	rc = store_claim_identity(st, c, id2, NULL);
	ok(rc == -ENOSPC && *store_error(st), "pool: exhausted -> -ENOSPC (%s)", store_error(st));
	store_close(st);
}

/* ------------------------------------------------- public database 170 */

static uint8_t backup_a[] = "backup-A";
static uint8_t backup_b[] = "backup-B";
static uint8_t cert_x[] = "\x30\x03\x02\x01\x01";

static void test_pub(void)
{
	struct store *st = open_or_die();
	struct store_pub_record rec = { 0 }, got;
	struct store_generation *gl;
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
	ok(store_pub_insert(st, &rec) == 0 && rec.created > 0, "pub: insert generation 1");
	ok(store_pub_insert(st, &rec) == -EEXIST && strstr(store_error(st), "conflict"),
	   "pub: same generation again -> conflict (%s)", store_error(st));
	rec.generation = 0;
	ok(store_pub_insert(st, &rec) == -EINVAL, "pub: generation 0 refused");
	rec.generation = (uint64_t)INT64_MAX + 1;
	ok(store_pub_insert(st, &rec) == -EINVAL, "pub: generation 2^63 refused");
	rec.generation = 3;
	rec.backup = backup_b;
	rec.backup_len = sizeof(backup_b);
	rec.signed_record = backup_a;
	rec.signed_record_len = 3;
	ok(store_pub_insert(st, &rec) == 0, "pub: insert generation 3");
	rec.generation = 2;
	ok(store_pub_insert(st, &rec) == -EEXIST, "pub: generation 2 after 3 -> conflict");
	/* the reads below then go through the memory map on SQLite */
	ok(store_tune_reads(st, 1ull << 30, 4096) == 0, "pub: read tuning (mmap, cache) accepted");
	ok(store_pub_latest(st, a, &got) == 0 && got.generation == 3 &&
	   got.backup_len == sizeof(backup_b) && !memcmp(got.backup, backup_b, sizeof(backup_b)) &&
	   got.cert_len == sizeof(cert_x) - 1 && !strcmp(got.identity, ident) &&
	   got.signed_record_len == 3 && !memcmp(got.chip_id, a, 16) && got.created > 0,
	   "pub: latest is generation 3 with its data");
	store_pub_record_clear(&got);
	ok(store_pub_get(st, a, 1, &got) == 0 && got.generation == 1 &&
	   !memcmp(got.backup, backup_a, sizeof(backup_a)) && got.signed_record == NULL &&
	   got.signed_record_len == 0,
	   "pub: generation 1 still there, unchanged");
	store_pub_record_clear(&got);
	ok(store_pub_get(st, a, 2, &got) == -ENOENT, "pub: generation 2 absent");
	ok(store_pub_latest(st, z, &got) == -ENOENT, "pub: unknown chip -> -ENOENT");
	ok(store_pub_generations(st, a, &gl, &n) == 0 && n == 2 && gl[0].generation == 1 &&
	   gl[1].generation == 3, "pub: generations [1, 3]");
	free(gl);
	ok(store_pub_generations(st, z, &gl, &n) == -ENOENT, "pub: generations of unknown chip");
	ok(store_pub_count_chips(st, &nchips) == 0 && nchips == 1, "pub: 1 chip stored");
	store_close(st);
}

/* SQLite only: files of another schema version are refused with a clear
 * message; a new file is stamped with the current one (2). */
static void test_schema_version(void)
{
	static const struct {
		const char *sql, *want;
	} old[] = {
		{ "CREATE TABLE p170_records (chip_id BLOB NOT NULL, generation INTEGER NOT NULL,"
		  " identity TEXT NOT NULL, backup BLOB NOT NULL, cert BLOB NOT NULL,"
		  " signed_record BLOB, created INTEGER NOT NULL,"
		  " PRIMARY KEY (chip_id, generation)) WITHOUT ROWID;", "has database schema 1," },
		{ "PRAGMA user_version = 3;", "has database schema 3," },
	};
	struct store *st;
	sqlite3 *db;
	char path[600], err[256];
	size_t i;
	int ver = -1, rc;

	if (strncmp(url, "sqlite:", 7))
		return;
	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		snprintf(path, sizeof(path), "%s.v%zu", url + 7, i);
		unlink(path);
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, old[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
			ok(0, "schema: cannot make an old file %s", path);
			sqlite3_close(db);
			continue;
		}
		sqlite3_close(db);
		snprintf(path, sizeof(path), "sqlite:%s.v%zu", url + 7, i);
		err[0] = '\0';
		rc = store_open(path, &st, err, sizeof(err));
		ok(rc == -EPROTO && !st && strstr(err, old[i].want) &&
		   strstr(err, "recreate the file"), "schema: %s refused (%s)",
		   i ? "a newer schema" : "schema 1 (WITHOUT ROWID)", err);
		if (!rc)
			store_close(st);
		unlink(path + 7);
	}
	st = open_or_die();
	store_close(st);
	if (sqlite3_open(url + 7, &db) == SQLITE_OK) {
		sqlite3_stmt *s;

		if (sqlite3_prepare_v2(db, "SELECT user_version FROM pragma_user_version",
				       -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			ver = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	ok(ver == 2, "schema: the store's file has user_version 2 (%d)", ver);
}

/* ---------------------------------------------------------- commit */

static void test_commit(void)
{
	struct store *st = open_or_die();
	struct store_keypair kp, kp2;
	struct store_commit c = { 0 };
	struct store_pub_record got;
	struct store_secret_record sec;
	uint64_t kf, kr, f, r, i0, i1;
	uint8_t a[16], b[16], d[16];
	char ida[16], idb[16], id[16];
	int64_t kid;
	int state, rc;

	ok(load_pool(st, 2, 10) == 10, "commit: pool of 10 loaded");
	ok(store_add_keypair(st, (const uint8_t *)"pub1", 4, (const uint8_t *)"priv1", 5, &kid) == 0 &&
	   store_add_keypair(st, (const uint8_t *)"pub2", 4, (const uint8_t *)"priv2", 5, NULL) == 0,
	   "commit: 2 pre-generated key pairs added");
	chip(a, 0x03, 1);
	chip(b, 0x03, 2);
	chip(d, 0x03, 3);
	store_identity_counts(st, NULL, NULL, &i0);
	ok(store_claim_identity(st, a, ida, NULL) == 0 && store_claim_keypair(st, a, &kp) == 0 &&
	   kp.pub_len == 4 && kp.priv_len == 5, "commit: chip A claims identity and key pair");
	ok(store_claim_keypair(st, a, &kp2) == 0 && kp2.id == kp.id &&
	   !memcmp(kp2.priv, kp.priv, kp.priv_len), "commit: key pair claim is idempotent");
	store_keypair_clear(&kp2);
	ok(store_keypair_counts(st, &kf, &kr) == 0 && kf == 1 && kr == 1,
	   "commit: key pairs free 1 reserved 1");

	memcpy(c.chip_id, a, 16);
	c.identity = ida;
	c.generation = 1;
	c.backup = backup_a;
	c.backup_len = sizeof(backup_a);
	c.cert = cert_x;
	c.cert_len = sizeof(cert_x) - 1;
	c.secret = (const uint8_t *)"secret-A";
	c.secret_len = 8;
	c.used_pregenerated_key = true;
	rc = store_commit_provisioning(st, &c);
	ok(rc == 0, "commit: chip A committed (%s)", store_error(st));
	ok(store_keypair_counts(st, &kf, &kr) == 0 && kf == 1 && kr == 0,
	   "commit: used key pair deleted, the other kept");
	ok(store_identity_counts(st, NULL, NULL, &i1) == 0 && i1 == i0 + 1,
	   "commit: identity marked issued");
	ok(store_secret_get(st, a, &sec) == 0 && !strcmp(sec.identity, ida) &&
	   sec.data_len == 8 && !memcmp(sec.data, "secret-A", 8), "commit: secret record stored");
	store_secret_record_clear(&sec);
	ok(store_pub_latest(st, a, &got) == 0 && got.generation == 1 && !strcmp(got.identity, ida),
	   "commit: public record stored");
	store_pub_record_clear(&got);
	ok(store_commit_provisioning(st, &c) == STORE_ALREADY, "commit: same commit again -> already");
	c.backup = backup_b;
	c.backup_len = sizeof(backup_b);
	rc = store_commit_provisioning(st, &c);
	ok(rc == -EEXIST && strstr(store_error(st), "different backup"),
	   "commit: different backup for the committed chip -> -EEXIST (%s)", store_error(st));
	state = -1;
	ok(store_claim_identity(st, a, id, &state) == 0 && !strcmp(id, ida) &&
	   state == STORE_ID_ISSUED, "commit: provisioned chip claims again: same identity, issued");
	ok(store_claim_keypair(st, a, &kp2) == 0 && kp2.id != kp.id,
	   "commit: deleted key pair is never handed out again");
	store_keypair_clear(&kp2);
	store_keypair_clear(&kp);

	/* failures roll back everything */
	ok(store_claim_identity(st, b, idb, NULL) == 0, "commit: chip B claims %s", idb);
	memcpy(c.chip_id, b, 16);
	c.identity = ida;	/* not B's */
	c.used_pregenerated_key = false;
	rc = store_commit_provisioning(st, &c);
	ok(rc == -EPERM, "commit: identity of another chip -> -EPERM (%s)", store_error(st));
	c.identity = idb;
	c.used_pregenerated_key = true;	/* B has no key pair reserved */
	rc = store_commit_provisioning(st, &c);
	ok(rc == -ESTALE, "commit: no reserved key pair -> -ESTALE (%s)", store_error(st));
	ok(store_pub_latest(st, b, &got) == -ENOENT && store_secret_get(st, b, &sec) == -ENOENT &&
	   store_identity_counts(st, &f, &r, &i1) == 0 && i1 == i0 + 1,
	   "commit: failed commits left nothing behind");
	state = -1;
	ok(store_claim_identity(st, b, id, &state) == 0 && state == STORE_ID_RESERVED &&
	   !strcmp(id, idb), "commit: chip B still merely reserved");
	c.used_pregenerated_key = false;
	ok(store_commit_provisioning(st, &c) == 0, "commit: chip B commits without a key pair");
	memcpy(c.chip_id, d, 16);
	c.identity = "490154203237518";	/* not in the pool */
	ok(store_commit_provisioning(st, &c) == -EPERM, "commit: identity not in the pool -> -EPERM");
	c.identity = "490154203237519";
	ok(store_commit_provisioning(st, &c) == -EINVAL, "commit: invalid identity -> -EINVAL");
	store_close(st);
}

/* ------------------------------------------------ concurrent claimers */

#define RACE_N 200

static void race_child(int who, int fd)
{
	struct store *st = open_or_die();
	FILE *out = fdopen(fd, "w");
	uint8_t c[16];
	char id[16];
	int k;

	for (k = 0; k < RACE_N; k++) {
		/* first half: chips of both children (same order: maximal
		 * collision); second half: own chips */
		uint32_t idx = k < RACE_N / 2 ? (uint32_t)k : (uint32_t)(1000 * (who + 1) + k);
		int rc;

		chip(c, 0x04, idx);
		rc = store_claim_identity(st, c, id, NULL);
		if (rc) {
			fprintf(out, "E %d %s\n", rc, store_error(st));
			break;
		}
		fprintf(out, "%u %s\n", idx, id);
	}
	fclose(out);
	store_close(st);
	_exit(0);
}

static void test_race(void)
{
	struct store *st = open_or_die();
	static char ids[2][RACE_N][16];
	static uint32_t idx[2][RACE_N];
	int n[2] = { 0, 0 }, w, errors = 0, agree = 1, distinct = 1, k, j;
	char fname[2][64];
	pid_t pid[2];
	struct timespec t0, t1;

	uint64_t f0, r0;

	ok(load_pool(st, 3, 400) == 400, "race: pool of 400 loaded");
	store_identity_counts(st, &f0, &r0, NULL);
	store_close(st);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (w = 0; w < 2; w++) {
		int fd;

		snprintf(fname[w], sizeof(fname[w]), "/tmp/store-race-%d-%d", (int)getpid(), w);
		fd = open(fname[w], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		pid[w] = fork();
		if (pid[w] == 0)
			race_child(w, fd);
		close(fd);
	}
	for (w = 0; w < 2; w++) {
		int status;

		waitpid(pid[w], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			errors++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (w = 0; w < 2; w++) {
		FILE *f = fopen(fname[w], "r");
		char line[512];

		while (f && fgets(line, sizeof(line), f)) {
			if (line[0] == 'E') {
				diag("child %d: %s", w, line);
				errors++;
				continue;
			}
			if (n[w] < RACE_N && sscanf(line, "%u %15s", &idx[w][n[w]], ids[w][n[w]]) == 2)
				n[w]++;
		}
		if (f)
			fclose(f);
		unlink(fname[w]);
	}
	ok(errors == 0 && n[0] == RACE_N && n[1] == RACE_N,
	   "race: 2 processes x %d claims completed (%.0f claims/s)", RACE_N,
	   2.0 * RACE_N / ((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
	/* shared chips: both processes got the same identity */
	for (k = 0; k < RACE_N / 2 && k < n[0] && k < n[1]; k++)
		if (idx[0][k] != idx[1][k] || strcmp(ids[0][k], ids[1][k]))
			agree = 0;
	ok(agree, "race: a chip claimed by both processes got one identity");
	/* distinct chips never share an identity */
	for (w = 0; w < 2; w++)
		for (k = 0; k < n[w]; k++) {
			for (j = k + 1; j < n[w]; j++)
				if (!strcmp(ids[w][k], ids[w][j]))
					distinct = 0;
			if (w == 0)
				for (j = RACE_N / 2; j < n[1]; j++)
					if (!strcmp(ids[0][k], ids[1][j]))
						distinct = 0;
		}
	ok(distinct, "race: no identity handed to two chips");
	st = open_or_die();
	{
		uint64_t f, r, i;

		ok(store_identity_counts(st, &f, &r, &i) == 0 && r - r0 == RACE_N / 2 * 3 &&
		   f0 - f == RACE_N / 2 * 3, "race: exactly %d identities reserved", RACE_N / 2 * 3);
	}
	store_close(st);
}

/* ---------------------------------------------------- crash safety */

#define CRASH_CHIPS 200
#define CRASH_KEYS 80	/* the first 80 chips use pre-generated keys */

static void crash_child(void)
{
	struct store *st = open_or_die();
	uint8_t c[16], bk[32];
	char id[16];
	uint32_t k;

	for (k = 0; k < CRASH_CHIPS; k++) {
		struct store_keypair kp = { 0 };
		struct store_commit cm = { 0 };
		int state, rc, use_key;

		chip(c, 0x05, k);
		if (store_claim_identity(st, c, id, &state))
			_exit(2);
		use_key = 0;
		if (state != STORE_ID_ISSUED) {
			rc = store_claim_keypair(st, c, &kp);
			if (rc == 0)
				use_key = 1;
			else if (rc != -ENOENT)
				_exit(3);
		}
		memcpy(cm.chip_id, c, 16);
		memset(bk, 0, sizeof(bk));
		memcpy(bk, c, 16);	/* backup deterministic per chip */
		memcpy(bk + 16, "restorable-bkup", 16);
		cm.identity = id;
		cm.generation = 1;
		cm.backup = bk;
		cm.backup_len = sizeof(bk);
		cm.cert = cert_x;
		cm.cert_len = sizeof(cert_x) - 1;
		cm.secret = bk;
		cm.secret_len = 16;
		cm.used_pregenerated_key = use_key;
		rc = store_commit_provisioning(st, &cm);
		store_keypair_clear(&kp);
		if (rc < 0)
			_exit(4);
	}
	store_close(st);
	_exit(0);
}

/* Invariants after any crash; returns number of violations. */
static uint64_t base_issued, base_reserved, base_kfree, base_kres;

static int crash_check(struct store *st, int *committed)
{
	static char seen[CRASH_CHIPS][16];
	uint64_t kf, kr, f, r, i;
	int bad = 0, k, j, n = 0, with_key = 0;

	for (k = 0; k < CRASH_CHIPS; k++) {
		struct store_pub_record p;
		struct store_secret_record s;
		uint8_t c[16];
		int rp, rs;

		chip(c, 0x05, (uint32_t)k);
		rp = store_pub_latest(st, c, &p);
		rs = store_secret_get(st, c, &s);
		if ((rp == 0) != (rs == 0) || (rp && rp != -ENOENT) || (rs && rs != -ENOENT)) {
			diag("chip %d: public %d secret %d", k, rp, rs);
			bad++;
		}
		if (rp == 0) {
			/* restorable backup: exactly the chip's */
			if (p.backup_len != 32 || memcmp(p.backup, c, 16) ||
			    strcmp(p.identity, s.identity)) {
				diag("chip %d: wrong backup or identity", k);
				bad++;
			}
			for (j = 0; j < n; j++)
				if (!strcmp(seen[j], p.identity)) {
					diag("identity %s issued twice", p.identity);
					bad++;
				}
			memcpy(seen[n++], p.identity, 16);
			if (k < CRASH_KEYS)
				with_key++;
		}
		store_pub_record_clear(&p);
		store_secret_record_clear(&s);
	}
	if (store_identity_counts(st, &f, &r, &i) || i - base_issued != (uint64_t)n ||
	    r - base_reserved > 1) {
		diag("identities: free %llu reserved %llu issued %llu, committed %d",
		     (unsigned long long)f, (unsigned long long)r, (unsigned long long)i, n);
		bad++;
	}
	/* no pre-generated key lost: free + reserved + used-by-committed = all */
	if (store_keypair_counts(st, &kf, &kr) ||
	    kf - base_kfree + kr - base_kres + (uint64_t)with_key != CRASH_KEYS ||
	    kr - base_kres > 1) {
		diag("key pairs: free %llu reserved %llu used %d", (unsigned long long)kf,
		     (unsigned long long)kr, with_key);
		bad++;
	}
	*committed = n;
	return bad;
}

static void test_crash(int kills_wanted)
{
	struct store *st = open_or_die();
	int kills = 0, bad = 0, committed = 0, rounds = 0, k, done = 0;
	unsigned int seed = (unsigned int)getpid();

	store_identity_counts(st, NULL, &base_reserved, &base_issued);
	store_keypair_counts(st, &base_kfree, &base_kres);
	ok(load_pool(st, 4, CRASH_CHIPS + 10) == CRASH_CHIPS + 10, "crash: pool loaded");
	for (k = 0; k < CRASH_KEYS; k++) {
		char pub[16], priv[16];

		snprintf(pub, sizeof(pub), "pub-%d", k);
		snprintf(priv, sizeof(priv), "priv-%d", k);
		if (store_add_keypair(st, (uint8_t *)pub, strlen(pub), (uint8_t *)priv,
				      strlen(priv), NULL))
			bad++;
	}
	ok(bad == 0, "crash: %d key pairs pre-generated", CRASH_KEYS);
	store_close(st);

	while (!done && rounds < 10 * kills_wanted + 100) {
		pid_t pid = fork();
		int status;

		rounds++;
		if (pid == 0)
			crash_child();
		if (kills < kills_wanted) {
			/* 0.3..3.3 ms: lands in claims and commits alike */
			usleep(300 + rand_r(&seed) % 3000);
			if (kill(pid, SIGKILL) == 0)
				kills++;
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			done = 1;
		else if (WIFEXITED(status)) {
			diag("child failed with %d", WEXITSTATUS(status));
			bad++;
			break;
		}
		st = open_or_die();
		bad += crash_check(st, &committed);
		store_close(st);
		if (bad)
			break;
	}
	ok(kills >= kills_wanted, "crash: %d kill -9 of a provisioning loop", kills);
	ok(bad == 0, "crash: invariants held after every kill (no double issue, no record "
	   "without its backup and secret, no key pair lost)");
	ok(done && committed == CRASH_CHIPS, "crash: re-running completes all %d chips (%d committed)",
	   CRASH_CHIPS, committed);
}

/* ------------------------------------------- threads: group commit */

#define TH_N 8		/* threads, each with its own handle */
#define TH_CHIPS 24	/* chips per thread; chip k is shared by threads t, t+1 */

struct th_arg {
	int t;
	int errors, eperm_ok, committed;
	char ids[TH_CHIPS][16];
};

/* chip of thread t's k-th step: chip (t, k) for even k, (t + 1, k - 1) for
 * odd k, so every chip has two claimers (threads t and t - 1) */
static uint32_t th_chip(int t, int k)
{
	return (uint32_t)(((t + (k & 1)) % TH_N) * TH_CHIPS + (k & ~1));
}

static void *th_run(void *p)
{
	struct th_arg *a = p;
	struct store *st = open_or_die();
	static const uint8_t secret[] = "secret";
	int k;

	for (k = 0; k < TH_CHIPS; k++) {
		uint32_t idx = th_chip(a->t, k);
		struct store_commit c;
		uint8_t ch[16], bk[32];
		int state = -1, rc;

		chip(ch, 0x06, idx);
		if (store_claim_identity(st, ch, a->ids[k], &state) != 0) {
			diag("threads: claim: %s", store_error(st));
			a->errors++;
			continue;
		}
		/* a commit that must be refused: an identity not reserved for it */
		memset(&c, 0, sizeof(c));
		memcpy(c.chip_id, ch, 16);
		c.identity = "490154203237518";
		c.generation = 1;
		c.backup = bk;
		c.backup_len = sizeof(bk);
		c.cert = cert_x;
		c.cert_len = sizeof(cert_x);
		c.secret = secret;
		c.secret_len = sizeof(secret);
		memset(bk, 0xee, sizeof(bk));
		rc = store_commit_provisioning(st, &c);
		/* -EEXIST once the other claimer has committed the chip */
		if ((rc == -EPERM && strstr(store_error(st), "not reserved")) ||
		    (rc == -EEXIST && strstr(store_error(st), "different backup")))
			a->eperm_ok++;
		else
			diag("threads: wrong commit: %d %s", rc, store_error(st));
		memset(bk, (int)(idx & 0xff), sizeof(bk));
		c.identity = a->ids[k];
		rc = store_commit_provisioning(st, &c);
		if (rc == 0 || rc == STORE_ALREADY)
			a->committed++;
		else {
			diag("threads: commit: %d %s", rc, store_error(st));
			a->errors++;
		}
	}
	store_close(st);
	return NULL;
}

static void test_threads(void)
{
	static struct th_arg a[TH_N];
	struct store *st = open_or_die();
	pthread_t th[TH_N];
	int t, k, errors = 0, eperm = 0, committed = 0, agree = 1, issued = 0, distinct = 1;
	char seen[TH_N * TH_CHIPS][16];
	int nseen = 0;

	ok(load_pool(st, 5, TH_N * TH_CHIPS) == TH_N * TH_CHIPS, "threads: pool loaded");
	for (t = 0; t < TH_N; t++) {
		a[t].t = t;
		pthread_create(&th[t], NULL, th_run, &a[t]);
	}
	for (t = 0; t < TH_N; t++) {
		pthread_join(th[t], NULL);
		errors += a[t].errors;
		eperm += a[t].eperm_ok;
		committed += a[t].committed;
	}
	ok(errors == 0 && committed == TH_N * TH_CHIPS,
	   "threads: %d threads x %d claims + commits, no errors (%d committed)",
	   TH_N, TH_CHIPS, committed);
	ok(eperm == TH_N * TH_CHIPS,
	   "threads: every wrong commit refused (-EPERM/-EEXIST) among concurrent ones (%d)", eperm);
	/* both claimers of a chip got the same identity, and it is issued */
	for (t = 0; t < TH_N; t++)
		for (k = 0; k < TH_CHIPS; k++) {
			uint32_t idx = th_chip(t, k);
			struct store_secret_record sec;
			uint8_t ch[16];
			char id[16];
			int state = -1, j;

			memset(&sec, 0, sizeof(sec));
			chip(ch, 0x06, idx);
			if (store_claim_identity(st, ch, id, &state) != 0 || strcmp(id, a[t].ids[k]))
				agree = 0;
			if (state == STORE_ID_ISSUED && store_secret_get(st, ch, &sec) == 0 &&
			    !strcmp(sec.identity, id))
				issued++;
			store_secret_record_clear(&sec);
			for (j = 0; j < nseen && strcmp(seen[j], id); j++)
				;
			if (j == nseen)
				memcpy(seen[nseen++], id, 16);
		}
	/* each chip appears twice (two claimers), so TH_N*TH_CHIPS/2 identities */
	distinct = nseen == TH_N * TH_CHIPS / 2;
	ok(agree && issued == TH_N * TH_CHIPS && distinct,
	   "threads: a chip's two claimers agree, every chip issued, %d distinct identities", nseen);
	store_close(st);
}

int main(int argc, char **argv)
{
	int quick;

	if (argc < 2) {
		fprintf(stderr, "usage: %s luhn | URL [quick]\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "luhn")) {
		test_luhn();
	} else {
		url = argv[1];
		quick = argc > 2 && !strcmp(argv[2], "quick");
		test_pool();
		test_pub();
		test_schema_version();
		test_commit();
		test_race();
		test_crash(quick ? 10 : 60);
		test_threads();
	}
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
