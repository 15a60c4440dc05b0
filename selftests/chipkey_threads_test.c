// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey concurrency: 4 threads x many wrap/unwrap/info operations, on a
 * shared fd and on private fds, every result checked.
 */
#include "chipkey_common.h"
#include <pthread.h>

#include "kselftest_harness.h"

#define NTHREADS	4
#define NOPS		150

struct worker {
	int fd;
	unsigned int id;
	unsigned int bad;	/* operations with a wrong result */
	unsigned int done;
	char why[128];
};

static void *work(void *arg)
{
	static const size_t sizes[] = { 0, 1, 17, 64, 1000, 4096, 9000 };
	struct worker *w = arg;
	uint8_t *in = malloc(9000), *pkg = malloc(9000 + CHIPKEY_PKG_OVERHEAD);
	uint8_t *out = malloc(9000);
	struct chipkey_info info;
	unsigned int i;

	if (!in || !pkg || !out) {
		w->bad++;
		goto done;
	}
	for (i = 0; i < NOPS; i++) {
		size_t len = sizes[(i + w->id) % (sizeof(sizes) / sizeof(sizes[0]))];
		size_t plen = len + CHIPKEY_PKG_OVERHEAD, olen = 9000;
		uint64_t gen = ((uint64_t)w->id << 32) | i, got = 0;
		int r;

		ck_fill(in, len, w->id * 100000 + i);
		r = ck_wrap(w->fd, in, len, gen, pkg, &plen);
		if (r || plen != ck_pkg_size(len)) {
			snprintf(w->why, sizeof(w->why), "wrap %zu: %d", len, r);
			w->bad++;
			continue;
		}
		r = ck_unwrap(w->fd, pkg, plen, out, &olen, &got);
		if (r || olen != len || memcmp(in, out, len) || got != gen) {
			snprintf(w->why, sizeof(w->why), "unwrap %zu: %d", len, r);
			w->bad++;
			continue;
		}
		if ((i & 7) == 0 && ck_info(w->fd, &info)) {
			snprintf(w->why, sizeof(w->why), "info failed");
			w->bad++;
			continue;
		}
		/* a tampered package must still fail under load */
		if ((i & 15) == 3 && len) {
			pkg[CHIPKEY_PKG_HEADER_LEN] ^= 1;
			olen = 9000;
			if (ck_unwrap(w->fd, pkg, plen, out, &olen, NULL) != -EBADMSG) {
				snprintf(w->why, sizeof(w->why), "tamper accepted");
				w->bad++;
				continue;
			}
		}
		w->done++;
	}
done:
	free(in);
	free(pkg);
	free(out);
	return NULL;
}

static void run_threads(struct __test_metadata *_metadata, int shared)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	int fd = -1, k;

	if (shared) {
		fd = ck_open();
		ASSERT_LE(0, fd);
	}
	for (k = 0; k < NTHREADS; k++) {
		memset(&w[k], 0, sizeof(w[k]));
		w[k].id = k + 1 + shared * 10;
		w[k].fd = shared ? fd : ck_open();
		ASSERT_LE(0, w[k].fd);
	}
	for (k = 0; k < NTHREADS; k++)
		ASSERT_EQ(0, pthread_create(&t[k], NULL, work, &w[k]));
	for (k = 0; k < NTHREADS; k++) {
		pthread_join(t[k], NULL);
		EXPECT_EQ(0, w[k].bad) TH_LOG("thread %d: %s", k, w[k].why);
		EXPECT_EQ(NOPS, w[k].done);
		if (!shared)
			close(w[k].fd);
	}
	if (shared)
		close(fd);
}

FIXTURE(thr)
{
	int unused;
};

FIXTURE_SETUP(thr)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(thr)
{
}

TEST_F_TIMEOUT(thr, shared_fd, 300)
{
	run_threads(_metadata, 1);
}

TEST_F_TIMEOUT(thr, private_fds, 300)
{
	run_threads(_metadata, 0);
}

TEST_HARNESS_MAIN
