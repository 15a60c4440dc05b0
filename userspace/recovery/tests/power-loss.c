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
 * After each run: flash_read_store must report an intact store whose files
 * and manifest are byte-identical to the A or to the B store.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flash.h"
#include "recovery.h"

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

/* Fork a recovery of @archive; kill it after @delay_us (< 0: never).
 * Returns the wait status. */
static int one(const char *archive, long delay_us)
{
	int st = 0;
	pid_t p = fork();

	if (p == 0)
		run_child(archive);
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

static int take(struct snap *s)
{
	struct flash_store fs;
	int err = flash_read_store(store, &fs);

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
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | grep -c '^store-') -le 2", store);
	return system(cmd);
}

int main(int argc, char **argv)
{
	const char *arch[2];
	struct snap s[2];
	int runs, n = 0, failed = 0, cur, w, counts[2] = { 0, 0 }, killed = 0;
	unsigned int k;
	double t0, full;

	if (argc != 6) {
		fprintf(stderr, "usage: power-loss DEVICE STORE ARCHIVE_A ARCHIVE_B RUNS\n");
		return 2;
	}
	dev = argv[1];
	store = argv[2];
	arch[0] = argv[3];
	arch[1] = argv[4];
	runs = atoi(argv[5]);

	unsetenv("CHIPKEY_FLASH_KILL_AT");
	if (one(arch[0], -1) || take(&s[0]) || one(arch[1], -1) || take(&s[1]) || same(&s[0], &s[1])) {
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
			printf("# kill at step %u: store %s\n", k, w < 0 ? "torn or unreadable" : "not switched");
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
	w = leftovers();
	printf("%s %d - interrupted writes leave at most one stale store directory behind\n",
	       w ? "not ok" : "ok", ++n);
	printf("1..%d\n", n);
	return failed || w ? 1 : 0;
}
