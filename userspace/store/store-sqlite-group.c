// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: the group commit.
 *
 * Claims and provisioning commits of all handles of one process on the
 * same database file go through one queue.  The first writer that finds no
 * transaction running becomes the leader: it takes every request queued so
 * far, runs them in ONE write transaction (each in its own savepoint, so a
 * refused request changes nothing) and commits once, i.e. one WAL append
 * and one fsync (synchronous=FULL) for the whole batch.  Every request's
 * caller returns only after that COMMIT has returned, so each of them is as
 * durable as before; writers that arrive meanwhile form the next batch.
 *
 * The queue is also the in-process writer lock: threads of this process
 * never wait in SQLite's busy handler (which sleeps 1..100 ms even when the
 * lock has just been freed) for each other.  The busy timeout stays for
 * other processes on the same file (two SPPs, chipkey-factory).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store-sqlite.h"
#include "common/crashpoint.h"

#define GROUP_MAX 64
#define CKPT_FRAMES 1000	/* SQLite's default automatic checkpoint */

struct sq_req {
	int (*fn)(struct store *st, void *arg);	/* runs inside the transaction */
	void *arg;
	bool is_commit;
	bool done;
	int rc;
	char err[sizeof(((struct store *)0)->err)];
	struct sq_req *next;
};

struct sq_group {
	dev_t dev;
	ino_t ino;
	int refs;
	struct sq_group *next;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool busy;			/* a leader is running a batch or
					 * its checkpoint */
	int ckpt_at;			/* WAL frames that call for one */
	int ckpt_last;			/* WAL frames at the last one */
	struct sq_req *head, **tail;
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sq_group *groups;

static struct sq_group *group_get(sqlite3 *db)
{
	const char *fn = sqlite3_db_filename(db, "main");
	struct sq_group *g;
	struct stat sb;

	if (!fn || !*fn || stat(fn, &sb))
		return NULL;	/* no file: every write is its own batch */
	pthread_mutex_lock(&groups_lock);
	for (g = groups; g; g = g->next)
		if (g->dev == sb.st_dev && g->ino == sb.st_ino)
			break;
	if (!g && (g = calloc(1, sizeof(*g)))) {
		g->dev = sb.st_dev;
		g->ino = sb.st_ino;
		pthread_mutex_init(&g->lock, NULL);
		pthread_cond_init(&g->cond, NULL);
		g->tail = &g->head;
		g->ckpt_at = CKPT_FRAMES;
		g->next = groups;
		groups = g;
	}
	if (g)
		g->refs++;
	pthread_mutex_unlock(&groups_lock);
	return g;
}

static void group_put(struct sq_group *g)
{
	struct sq_group **pp;

	if (!g)
		return;
	pthread_mutex_lock(&groups_lock);
	if (--g->refs == 0) {
		for (pp = &groups; *pp; pp = &(*pp)->next)
			if (*pp == g) {
				*pp = g->next;
				break;
			}
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->cond);
		free(g);
	}
	pthread_mutex_unlock(&groups_lock);
}

static void req_fail(struct store *st, struct sq_req *r, int rc)
{
	r->rc = rc;
	snprintf(r->err, sizeof(r->err), "%s", st->err);
}

/* One write transaction for v[0..n-1] on the leader's handle @st. */
static void run_batch_tx(struct store *st, struct sq_req **v, size_t n)
{
	sqlite3 *db = SQ(st)->db;
	bool sp = n > 1;
	size_t i, j;
	int rc;

	st->err[0] = '\0';
	rc = sq_begin(st);
	if (rc) {
		for (i = 0; i < n; i++)
			req_fail(st, v[i], rc);
		return;
	}
	for (i = 0; i < n; i++) {
		st->err[0] = '\0';
		if (sp && sq_exec(st, "SAVEPOINT w")) {
			req_fail(st, v[i], -EIO);
			continue;
		}
		rc = v[i]->fn(st, v[i]->arg);
		if (rc < 0)
			req_fail(st, v[i], rc);
		else
			v[i]->rc = rc;
		if (sqlite3_get_autocommit(db)) {
			/* SQLite rolled the whole transaction back (I/O error,
			 * disk full): nothing of this batch is stored. */
			if (!st->err[0])
				store_fail(st, -EIO, "sqlite: transaction rolled back");
			for (j = 0; j < n; j++)
				if (j > i || v[j]->rc >= 0)
					req_fail(st, v[j], -EIO);
			return;
		}
		if (sp) {
			if ((rc < 0 && sq_exec(st, "ROLLBACK TO w")) || sq_exec(st, "RELEASE w")) {
				for (j = 0; j < n; j++)
					if (j >= i || v[j]->rc >= 0)
						req_fail(st, v[j], -EIO);
				sq_rollback(st);
				return;
			}
		}
	}
	if (n == 1 && v[0]->rc < 0) {
		sq_rollback(st);
		return;
	}
	st->err[0] = '\0';
	rc = sq_commit_tx(st);
	if (rc) {
		sq_rollback(st);
		for (i = 0; i < n; i++)
			if (v[i]->rc >= 0)
				req_fail(st, v[i], rc);
		return;
	}
	for (i = 0; i < n; i++)
		if (v[i]->is_commit && v[i]->rc == 0)
			CK_CRASH_POINT("store:committed");
}

/* run_batch_tx, its COMMIT's checkpoint left to sq_group_write */
static void run_batch(struct store *st, struct sq_req **v, size_t n)
{
	SQ(st)->in_batch = true;
	run_batch_tx(st, v, n);
	SQ(st)->in_batch = false;
}

/*
 * Checkpoints (WAL -> database file) of grouped handles run here instead of
 * inside a COMMIT (SQLite's automatic checkpoint): the leader that found the
 * WAL at CKPT_FRAMES or more hands its batch back first, then checkpoints
 * before the next batch starts.  That order matters: SQLite starts the WAL
 * over from its beginning only in a write transaction that began after
 * every frame was copied back.  A checkpoint that ran while the next batch
 * already wrote never got there, so the WAL kept growing and every later
 * batch checkpointed again (bench/provision: 89-141 checkpoints and a WAL of
 * 2000-2700 frames for 1000 devices; now 14-15 and about 1050).  PASSIVE:
 * readers are never blocked; writers of this process wait at most once per
 * CKPT_FRAMES frames.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sq *q = arg;

	q->wal_frames = frames;
	/* a commit outside the group (public records, void entries, chips,
	 * the pool): SQLite's own automatic checkpoint, which this hook
	 * replaces for every handle; without it their WAL only grew */
	if (!q->in_batch && frames >= CKPT_FRAMES) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		q->wal_frames = 0;
	}
	return SQLITE_OK;
}

static void checkpoint(struct store *st)
{
	sqlite3_wal_checkpoint_v2(SQ(st)->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	SQ(st)->wal_frames = 0;
}


int sq_group_write(struct store *st, int (*fn)(struct store *, void *), void *arg,
		   bool is_commit)
{
	struct sq_group *g = SQ(st)->grp;
	struct sq_req r, *batch[GROUP_MAX], *self = &r;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.fn = fn;
	r.arg = arg;
	r.is_commit = is_commit;
	if (!g) {
		run_batch(st, &self, 1);
		goto out;
	}
	pthread_mutex_lock(&g->lock);
	*g->tail = &r;
	g->tail = &r.next;
	while (!r.done) {
		if (g->busy) {
			pthread_cond_wait(&g->cond, &g->lock);
			continue;
		}
		g->busy = true;
		for (n = 0; g->head && n < GROUP_MAX; n++) {
			batch[n] = g->head;
			g->head = g->head->next;
		}
		if (!g->head)
			g->tail = &g->head;
		pthread_mutex_unlock(&g->lock);
		run_batch(st, batch, n);
		pthread_mutex_lock(&g->lock);
		for (size_t i = 0; i < n; i++)
			batch[i]->done = true;
		/* a WAL shorter than at the last checkpoint: it started over */
		if (SQ(st)->wal_frames < g->ckpt_last)
			g->ckpt_at = CKPT_FRAMES;
		if (SQ(st)->wal_frames >= g->ckpt_at) {
			/* the batch's callers go on; the next batch waits.  If
			 * the WAL cannot start over after it (another process
			 * wrote meanwhile, a reader held an older snapshot), the
			 * next one comes CKPT_FRAMES later, not after every
			 * batch */
			g->ckpt_last = SQ(st)->wal_frames;
			g->ckpt_at = g->ckpt_last + CKPT_FRAMES;
			pthread_cond_broadcast(&g->cond);
			pthread_mutex_unlock(&g->lock);
			checkpoint(st);
			pthread_mutex_lock(&g->lock);
		}
		g->busy = false;
		pthread_cond_broadcast(&g->cond);
	}
	pthread_mutex_unlock(&g->lock);
out:
	if (r.rc < 0)
		snprintf(st->err, sizeof(st->err), "%s", r.err);
	return r.rc;
}

void sq_group_join(struct store *st)
{
	struct sq *q = SQ(st);

	q->grp = group_get(q->db);
	if (q->grp)
		sqlite3_wal_hook(q->db, wal_hook, q);
}

void sq_group_leave(struct store *st)
{
	group_put(SQ(st)->grp);
	SQ(st)->grp = NULL;
}
