// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power-loss test driver: kill -9 a recovery at random points and check that
 * the store is always either the complete old one or the complete new one.
 *
 *   power-loss DEVICE STORE ARCHIVE_A ARCHIVE_B RUNS
 *
 * Two phases, TAP on stdout:
 *  1. every step boundary of the store write (CHIPKEY_FLASH_KILL_AT=1..N,
 *     until a run completes): SIGKILL exactly there;
 *  2. RUNS runs: the recovery is forked and SIGKILLed after a random delay
 *     (microseconds, uniform over 0 .. 1.5 x a measured full run).
 * Each run restores the archive that is *not* current (with --force, since
 * one of them is an older generation), so every run is a real switch.
 * After each run: flash_read_store must report a healthy store (its manifest
 * MAC recomputed by the chip) whose files
 * and manifest are byte-identical to the A or to the B store.
 *
 *   power-loss keys DEVICE STORE_A STORE_B KEYSDIR RUNS
 *
 * The same for the keys directory: chipkey load of store A or B (different
 * generations, and B's package lacks mfr-ca.pem) into KEYSDIR, killed at
 * every step boundary of the keys switch ($CHIPKEY_KEYS_KILL_AT) and at
 * random delays.  After each run KEYSDIR must hold exactly the file set,
 * modes and contents of A or of B: no mix, no stale file.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "flash/flash.h"
#include "recovery/recovery.h"

static const char *dev, *store;

struct snap {
	uint8_t *backup, *cert;
	size_t bl, cl;
	char identity[16];
	uint64_t gen;
};

static void run_child(const char *archive)
{
	struct rec_ctx ctx = { .prog = "power-loss" };
	struct rec_opts o = { .store_dir = store, .from_file = archive, .force = 1 };
	struct rec_result r;
	int code = rec_open(&ctx, dev);

	if (!code)
		code = rec_recover(&ctx, &o, &r);
	if (code)
		fprintf(stderr, "# child: %s\n", ctx.msg);
	rec_close(&ctx);
	_exit(code);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fork @child(@arg); kill it after @delay_us (< 0: never).  Returns the
 * wait status. */
static int run_killed(void (*child)(const char *), const char *arg, long delay_us)
{
	int st = 0;
	pid_t p = fork();

	if (p == 0)
		child(arg);
	if (p < 0)
		return -1;
	if (delay_us >= 0) {
		struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };

		nanosleep(&ts, NULL);
		kill(p, SIGKILL);
	}
	waitpid(p, &st, 0);
	return st;
}

/* A recovery of @archive, killed after @delay_us (< 0: never). */
static int one(const char *archive, long delay_us)
{
	return run_killed(run_child, archive, delay_us);
}

static int take(struct snap *s)
{
	struct flash_store fs;
	struct chipkey *ck = NULL;
	int err = chipkey_open(dev, &ck);

	/* healthy means: this chip authenticates the manifest's MAC */
	if (!err)
		err = flash_read_store(store, ck, &fs);
	else
		memset(&fs, 0, sizeof(fs));
	if (ck)
		chipkey_close(ck);
	if (err) {
		printf("# store not intact: %s (%s)\n", strerror(-err), fs.why);
		flash_store_release(&fs);
		return -1;
	}
	s->backup = fs.backup;
	s->bl = fs.backup_len;
	s->cert = fs.cert;
	s->cl = fs.cert_len;
	memcpy(s->identity, fs.identity, sizeof(s->identity));
	s->gen = fs.generation;
	return 0;
}

static int same(const struct snap *a, const struct snap *b)
{
	return a->bl == b->bl && a->cl == b->cl && a->gen == b->gen &&
	       !memcmp(a->backup, b->backup, a->bl) && !memcmp(a->cert, b->cert, a->cl) &&
	       !strcmp(a->identity, b->identity);
}

/* Which one is current: 0 = A, 1 = B, -1 = neither (torn or broken). */
static int which(const struct snap *a, const struct snap *b)
{
	struct snap s;
	int r = -1;

	if (take(&s))
		return -1;
	if (same(&s, a))
		r = 0;
	else if (same(&s, b))
		r = 1;
	free(s.backup);
	free(s.cert);
	return r;
}

static int leftovers(void)
{
	char cmd[8600];

	snprintf(cmd, sizeof(cmd),
		 "test $(ls -A '%s' | grep -c '^store-') -eq 1 && ! ls -A '%s' | grep -q '^\\.new-'",
		 store, store);
	return system(cmd);
}

/* ---- the keys directory ---- */

static const char *keys_dir;

static void load_child(const char *st)
{
	struct rec_ctx ctx = { .prog = "power-loss" };
	struct rec_result r;
	int code = rec_open(&ctx, dev);

	if (!code)
		code = rec_load(&ctx, st, keys_dir, &r);
	if (code)
		fprintf(stderr, "# child: %s\n", ctx.msg);
	rec_close(&ctx);
	_exit(code);
}

/* A load of the store @st, killed after @delay_us (< 0: never). */
static int load_one(const char *st, long delay_us)
{
	return run_killed(load_child, st, delay_us);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 of the keys directory: sorted names, modes, contents.  -1 if it
 * is missing, not a 0700 directory, or holds anything but regular files. */
static int keys_digest(uint8_t out[32])
{
	char *names[64], path[4600];
	size_t n = 0, i;
	struct dirent *e;
	struct stat st;
	EVP_MD_CTX *md;
	DIR *d;
	int bad = 0;
	unsigned int ol = 32;

	if (lstat(keys_dir, &st) || !S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0700)
		return -1;
	d = opendir(keys_dir);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && n < 64)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < n; i++) {
		static uint8_t buf[65536];
		FILE *f;
		size_t r;
		unsigned int mode;

		snprintf(path, sizeof(path), "%s/%s", keys_dir, names[i]);
		if (lstat(path, &st) || !S_ISREG(st.st_mode) || !(f = fopen(path, "rb"))) {
			bad = 1;
			continue;
		}
		mode = st.st_mode & 07777;
		EVP_DigestUpdate(md, names[i], strlen(names[i]) + 1);
		EVP_DigestUpdate(md, &mode, sizeof(mode));
		while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
			EVP_DigestUpdate(md, buf, r);
		EVP_DigestUpdate(md, "\0end", 4);
		fclose(f);
	}
	EVP_DigestFinal_ex(md, out, &ol);
	EVP_MD_CTX_free(md);
	for (i = 0; i < n; i++)
		free(names[i]);
	return bad ? -1 : 0;
}

/* 0 = A, 1 = B, -1 = neither */
static int keys_which(const uint8_t a[32], const uint8_t b[32])
{
	uint8_t d[32];

	if (keys_digest(d))
		return -1;
	return !memcmp(d, a, 32) ? 0 : !memcmp(d, b, 32) ? 1 : -1;
}

/* Temporary directories of the keys switch left next to KEYSDIR. */
static int keys_leftovers(void)
{
	char parent[4096], base[256], pre_new[300], pre_old[300];
	struct dirent *e;
	int c = 0;
	DIR *d;

	snprintf(parent, sizeof(parent), "%s", keys_dir);
	snprintf(base, sizeof(base), "%s", basename(parent));
	snprintf(parent, sizeof(parent), "%s", keys_dir);
	snprintf(pre_new, sizeof(pre_new), ".%s.new-", base);
	snprintf(pre_old, sizeof(pre_old), ".%s.old-", base);
	d = opendir(dirname(parent));
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, pre_new, strlen(pre_new)) ||
		    !strncmp(e->d_name, pre_old, strlen(pre_old)))
			c++;
	closedir(d);
	return c;
}

static int keys_main(const char *sa, const char *sb, int runs)
{
	const char *stores[2] = { sa, sb };
	uint8_t dg[2][32];
	char path[4600];
	struct stat st;
	int n = 0, failed = 0, cur, w, st_, counts[2] = { 0, 0 }, bad = 0, killed = 0, left;
	unsigned int k;
	double t0, full;

	unsetenv("CHIPKEY_KEYS_KILL_AT");
	if (load_one(sa, -1) || keys_digest(dg[0]) || load_one(sb, -1) || keys_digest(dg[1]) ||
	    !memcmp(dg[0], dg[1], 32)) {
		printf("not ok 1 - keys power-loss: set-up (load A, load B, distinct)\n1..1\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/mfr-ca.pem", keys_dir);
	printf("%s %d - keys switch: B's keys directory has no stale mfr-ca.pem left from A\n",
	       stat(path, &st) ? "ok" : "not ok", ++n);
	if (!stat(path, &st))
		failed++;
	left = keys_leftovers();
	printf("%s %d - keys switch: no temporary directory left after a completed switch\n",
	       left == 0 ? "ok" : "not ok", ++n);
	failed += left != 0;
	cur = 1;

	/* every step boundary */
	for (k = 1; k < 100; k++) {
		char v[16];
		int want_new;

		snprintf(v, sizeof(v), "%u", k);
		setenv("CHIPKEY_KEYS_KILL_AT", v, 1);
		st_ = load_one(stores[!cur], -1);
		want_new = WIFEXITED(st_) && WEXITSTATUS(st_) == 0;
		w = keys_which(dg[0], dg[1]);
		if (w < 0 || (want_new && w == cur)) {
			bad++;
			printf("# keys: kill at step %u: keys directory %s\n", k,
			       w < 0 ? "mixed, missing or unexpected" : "not switched");
		}
		if (w >= 0)
			cur = w;
		if (want_new)
			break;
	}
	unsetenv("CHIPKEY_KEYS_KILL_AT");
	printf("%s %d - keys: kill -9 at each of the %u step boundaries of a keys switch: always the complete old or new directory\n",
	       bad ? "not ok" : "ok", ++n, k - 1);
	failed += bad;
	left = keys_leftovers();
	printf("%s %d - keys: the next switch removes what an interrupted one left (%d left)\n",
	       left == 0 ? "ok" : "not ok", ++n, left);
	failed += left != 0;

	/* random delays */
	t0 = now();
	for (int i = 0; i < 5; i++) {
		load_one(stores[!cur], -1);
		cur = !cur;
	}
	full = (now() - t0) / 5;
	printf("# keys: a full load takes %.0f us; random kills over 0..%.0f us\n",
	       full * 1e6, full * 1.2e6);
	bad = 0;
	for (int i = 0; i < runs; i++) {
		uint32_t r;
		long delay;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)rand();
		delay = (long)((double)r / 4294967296.0 * full * 1.2e6);
		st_ = load_one(stores[!cur], delay);
		if (WIFSIGNALED(st_))
			killed++;
		w = keys_which(dg[0], dg[1]);
		if (w < 0) {
			bad++;
			printf("# keys run %d (kill after %ld us): keys directory mixed or missing\n", i, delay);
			load_one(stores[0], -1);
			w = 0;
		}
		counts[w == cur ? 0 : 1]++;
		cur = w;
		if (keys_leftovers() > 1) {
			bad++;
			printf("# keys run %d: more than one temporary directory left\n", i);
		}
	}
	printf("# keys: %d runs, %d killed; afterwards old %d, new %d, mixed %d\n",
	       runs, killed, counts[0], counts[1], bad);
	printf("%s %d - keys: kill -9 at random points over %d runs: always the complete old or new keys directory, no stale file\n",
	       bad ? "not ok" : "ok", ++n, runs);
	printf("%s %d - keys: the random kills hit both outcomes (old %d, new %d)\n",
	       counts[0] && counts[1] ? "ok" : "not ok", ++n, counts[0], counts[1]);
	failed += bad + !(counts[0] && counts[1]);
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *arch[2];
	struct snap s[2];
	int runs, n = 0, failed = 0, cur, w, counts[2] = { 0, 0 }, killed = 0;
	unsigned int k;
	double t0, full;

	if (argc == 7 && !strcmp(argv[1], "keys")) {
		dev = argv[2];
		keys_dir = argv[5];
		return keys_main(argv[3], argv[4], atoi(argv[6]));
	}
	if (argc != 6) {
		fprintf(stderr, "usage: power-loss DEVICE STORE ARCHIVE_A ARCHIVE_B RUNS\n"
			"       power-loss keys DEVICE STORE_A STORE_B KEYSDIR RUNS\n");
		return 2;
	}
	dev = argv[1];
	store = argv[2];
	arch[0] = argv[3];
	arch[1] = argv[4];
	runs = atoi(argv[5]);

	unsetenv("CHIPKEY_FLASH_KILL_AT");
	if (one(arch[0], -1) || take(&s[0]) || one(arch[1], -1) || take(&s[1]) ||
	    same(&s[0], &s[1])) {
		printf("not ok 1 - power-loss: set-up (restore A, restore B, distinct)\n1..1\n");
		return 1;
	}
	cur = 1;

	/* phase 1: every step boundary */
	for (k = 1; k < 200; k++) {
		char v[16];
		int st, want_new;

		snprintf(v, sizeof(v), "%u", k);
		setenv("CHIPKEY_FLASH_KILL_AT", v, 1);
		st = one(arch[!cur], -1);
		want_new = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		w = which(&s[0], &s[1]);
		if (w < 0 || (want_new && w == cur)) {
			failed++;
			printf("# kill at step %u: store %s\n", k,
			       w < 0 ? "torn or unreadable" : "not switched");
		}
		if (w >= 0)
			cur = w;
		if (want_new)
			break;
	}
	unsetenv("CHIPKEY_FLASH_KILL_AT");
	printf("%s %d - power loss at each of the %u step boundaries of a store switch: always the old or the new store\n",
	       failed ? "not ok" : "ok", ++n, k - 1);

	/* phase 2: random delays */
	t0 = now();
	for (int i = 0; i < 5; i++) {
		one(arch[!cur], -1);
		cur = !cur;
	}
	full = (now() - t0) / 5;
	printf("# a full recovery takes %.0f us; random kills over 0..%.0f us\n",
	       full * 1e6, full * 1.5e6);
	{
		int bad = 0;

		for (int i = 0; i < runs; i++) {
			uint32_t r;
			long delay;
			int st;

			if (getrandom(&r, sizeof(r), 0) != sizeof(r))
				r = (uint32_t)rand();
			delay = (long)((double)r / 4294967296.0 * full * 1.5e6);
			st = one(arch[!cur], delay);
			if (WIFSIGNALED(st))
				killed++;
			w = which(&s[0], &s[1]);
			if (w < 0) {
				bad++;
				printf("# run %d (kill after %ld us): store torn or unreadable\n", i, delay);
				/* repair so the next runs test something */
				unsetenv("CHIPKEY_FLASH_KILL_AT");
				one(arch[0], -1);
				w = 0;
			}
			counts[w == cur ? 0 : 1]++;
			cur = w;
		}
		printf("# %d runs: %d killed before exiting; store afterwards old %d, new %d, torn %d\n",
		       runs, killed, counts[0], counts[1], bad);
		printf("%s %d - kill -9 at random points over %d runs: always the complete old or the complete new store\n",
		       bad ? "not ok" : "ok", ++n, runs);
		printf("%s %d - the random kills hit both outcomes (old %d, new %d)\n",
		       counts[0] && counts[1] ? "ok" : "not ok", ++n, counts[0], counts[1]);
		failed += bad;
	}
	/* consecutive interrupted writes may each leave one directory; the
	 * next completed write removes them all */
	unsetenv("CHIPKEY_FLASH_KILL_AT");
	w = one(arch[!cur], -1) != 0 || leftovers() != 0;
	printf("%s %d - the next completed write removes what interrupted writes left (one store directory, no .new-*)\n",
	       w ? "not ok" : "ok", ++n);
	printf("1..%d\n", n);
	return failed || w ? 1 : 0;
}
