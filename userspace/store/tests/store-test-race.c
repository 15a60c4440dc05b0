// SPDX-License-Identifier: GPL-2.0
/*
 * Store tests of concurrency: two processes racing claims for the same
 * chips, and threads of one process (own handles: the SQLite group commit)
 * claiming and committing, with refused commits among them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store-test.h"

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

void test_race(void)
{
	struct store *st = open_or_die();
	static char ids[2][RACE_N][16];
	static uint32_t idx[2][RACE_N];
	int n[2] = { 0, 0 }, w, errors = 0, agree = 1, distinct = 1, k, j;
	char fname[2][64];
	pid_t pid[2];
	struct timespec t0, t1;

	uint64_t f0, r0;

	tap_ok(load_pool(st, 3, 400) == 400, "race: pool of 400 loaded");
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
				tap_diag("child %d: %s", w, line);
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
	tap_ok(errors == 0 && n[0] == RACE_N && n[1] == RACE_N,
	       "race: 2 processes x %d claims completed (%.0f claims/s)", RACE_N,
	       2.0 * RACE_N / ((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
	/* shared chips: both processes got the same identity */
	for (k = 0; k < RACE_N / 2 && k < n[0] && k < n[1]; k++)
		if (idx[0][k] != idx[1][k] || strcmp(ids[0][k], ids[1][k]))
			agree = 0;
	tap_ok(agree, "race: a chip claimed by both processes got one identity");
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
	tap_ok(distinct, "race: no identity handed to two chips");
	st = open_or_die();
	{
		uint64_t f, r, i;

		tap_ok(store_identity_counts(st, &f, &r, &i) == 0 && r - r0 == RACE_N / 2 * 3 &&
		       f0 - f == RACE_N / 2 * 3, "race: exactly %d identities reserved", RACE_N / 2 * 3);
	}
	store_close(st);
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
			tap_diag("threads: claim: %s", store_error(st));
			a->errors++;
			continue;
		}
		/* a commit that must be refused: an identity not reserved for it */
		make_commit(&c, ch, "490154203237518", bk, sizeof(bk), secret, sizeof(secret));
		memset(bk, 0xee, sizeof(bk));
		rc = store_commit_provisioning(st, &c);
		/* -EEXIST once the other claimer has committed the chip */
		if ((rc == -EPERM && strstr(store_error(st), "not reserved")) ||
		    (rc == -EEXIST && strstr(store_error(st), "different backup")))
			a->eperm_ok++;
		else
			tap_diag("threads: wrong commit: %d %s", rc, store_error(st));
		memset(bk, (int)(idx & 0xff), sizeof(bk));
		c.identity = a->ids[k];
		rc = store_commit_provisioning(st, &c);
		if (rc == 0 || rc == STORE_ALREADY)
			a->committed++;
		else {
			tap_diag("threads: commit: %d %s", rc, store_error(st));
			a->errors++;
		}
	}
	store_close(st);
	return NULL;
}

void test_threads(void)
{
	static struct th_arg a[TH_N];
	struct store *st = open_or_die();
	pthread_t th[TH_N];
	int t, k, errors = 0, eperm = 0, committed = 0, agree = 1, issued = 0, distinct = 1;
	char seen[TH_N * TH_CHIPS][16];
	int nseen = 0;

	tap_ok(load_pool(st, 5, TH_N * TH_CHIPS) == TH_N * TH_CHIPS, "threads: pool loaded");
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
	tap_ok(errors == 0 && committed == TH_N * TH_CHIPS,
	       "threads: %d threads x %d claims + commits, no errors (%d committed)",
	       TH_N, TH_CHIPS, committed);
	tap_ok(eperm == TH_N * TH_CHIPS,
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
	tap_ok(agree && issued == TH_N * TH_CHIPS && distinct,
	       "threads: a chip's two claimers agree, every chip issued, %d distinct identities", nseen);
	store_close(st);
}


/* ------------------------------------------- the WAL stays bounded */

#define WAL_THREADS 8
#define WAL_CHIPS 300		/* claims + commits per thread */
#define WAL_BOUND 2000		/* frames: the checkpoint's 1000, twice */

static void *wal_run(void *p)
{
	int t = *(int *)p, k, errors = 0;
	struct store *st = open_or_die();
	static const uint8_t secret[] = "secret";

	for (k = 0; k < WAL_CHIPS; k++) {
		struct store_commit c;
		uint8_t ch[16], bk[256];
		char id[16];
		int state = -1;

		chip(ch, 0x09, (uint32_t)(t * WAL_CHIPS + k));
		memset(bk, k & 0xff, sizeof(bk));
		make_commit(&c, ch, id, bk, sizeof(bk), secret, sizeof(secret));
		if (store_claim_identity(st, ch, id, &state) || store_commit_provisioning(st, &c)) {
			tap_diag("wal: %s", store_error(st));
			errors++;
		}
	}
	store_close(st);
	*(int *)p = errors;
	return NULL;
}

#define WAL_PUB 3000		/* public records inserted one by one */

/* Frames the WAL file @path has room for (its page size from its header),
 * or -1. */
static long wal_frames(const char *path)
{
	uint8_t h[32];
	struct stat sb;
	long page;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	if (fread(h, 1, sizeof(h), f) != sizeof(h) || fstat(fileno(f), &sb)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	page = (long)h[8] << 24 | (long)h[9] << 16 | (long)h[10] << 8 | h[11];
	return page > 0 ? (long)((sb.st_size - 32) / (page + 24)) : -1;
}

/*
 * Writers of one process, back to back, never let the WAL grow past about
 * twice the checkpoint's 1000 frames: each checkpoint lets SQLite start the
 * WAL over (store-sqlite-group.c).  SQLite never shrinks the file, so its
 * size at the end is the most it ever held.  No reader runs meanwhile (a
 * reader may hold the WAL, legitimately).
 */
void test_wal_bounded(void)
{
	struct store *st;
	pthread_t th[WAL_THREADS];
	int arg[WAL_THREADS], t, errors = 0;
	char wal[512];
	long frames;

	if (strncmp(url, "sqlite:", 7)) {
		tap_diag("wal: no test here (a SQLite WAL)");
		return;
	}
	st = open_or_die();
	tap_ok(load_pool(st, 9, WAL_THREADS * WAL_CHIPS) == WAL_THREADS * WAL_CHIPS,
	       "wal: pool loaded");
	/* @st stays open, idle: the last handle to close removes the WAL */
	for (t = 0; t < WAL_THREADS; t++) {
		arg[t] = t;
		pthread_create(&th[t], NULL, wal_run, &arg[t]);
	}
	for (t = 0; t < WAL_THREADS; t++) {
		pthread_join(th[t], NULL);
		errors += arg[t];
	}
	snprintf(wal, sizeof(wal), "%s-wal", url + 7);
	frames = wal_frames(wal);
	tap_ok(errors == 0, "wal: %d threads x %d claims + commits", WAL_THREADS, WAL_CHIPS);
	tap_ok(frames > 0 && frames <= WAL_BOUND,
	       "wal: the WAL stayed at most %d frames (%ld)", WAL_BOUND, frames);
	/* writes outside the group commit (public records, one handle) */
	for (t = 0; t < WAL_PUB; t++) {
		struct store_pub_record rec = {
			.generation = 1, .backup = backup_a, .backup_len = sizeof(backup_a),
			.cert = cert_x, .cert_len = sizeof(cert_x) - 1,
		};

		chip(rec.chip_id, 0x0a, (uint32_t)t);
		make_identity(rec.identity, 9, (unsigned long)t);
		if (store_pub_insert(st, &rec))
			errors++;
	}
	frames = wal_frames(wal);
	tap_ok(errors == 0 && frames > 0 && frames <= WAL_BOUND,
	       "wal: %d public records, one at a time: the WAL stayed at most %d frames (%ld)",
	       WAL_PUB, WAL_BOUND, frames);
	store_close(st);
}
