// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Persistent counters (counters.h).  The file format is
 * include/chipkey/link_messages.h's (CK_LINK_COUNTER_FILE_LEN bytes: the
 * highest value and, for the server's per-device files, the bitmap of the
 * CK_LINK_WINDOW values below it already seen).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chipkey/byteorder.h>
#include <chipkey/link_messages.h>
#include "common/file.h"
#include "counters.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* 0 with *@hi = *@bits = 0 if the file does not exist yet; -EUCLEAN for a
 * damaged one (never accept a damaged counter as 0).  The file I/O is
 * common/file.h's state-file helper, shared with modes 3 and 4. */
static int load(const char *dir, const char *name, uint64_t *hi, uint64_t *bits)
{
	uint8_t buf[CK_LINK_COUNTER_FILE_LEN];
	int err = ck_file_state_read(dir, name, buf, sizeof(buf));

	*hi = *bits = 0;
	if (err == -ENOENT)
		return 0;	/* nothing stored yet (not even the directory) */
	if (err)
		return err == -EBADMSG ? -EUCLEAN : err;
	*hi = ck_get_be64(buf);
	*bits = ck_get_be64(buf + 8);
	return 0;
}

static int store(const char *dir, const char *name, uint64_t hi, uint64_t bits)
{
	uint8_t buf[CK_LINK_COUNTER_FILE_LEN];

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	ck_put_be64(buf, hi);
	ck_put_be64(buf + 8, bits);
	return ck_file_state_write(dir, name, buf, sizeof(buf));
}

/* @c may follow @hi: not beyond the step, not at the limit (-ERANGE). */
static int in_range(uint64_t hi, uint64_t c)
{
	if (c >= CK_LINK_COUNTER_LIMIT || (c > hi && c - hi > CK_LINK_COUNTER_STEP))
		return -ERANGE;
	return 0;
}

int ck_link_counter_next(const char *dir, const char *name, uint64_t *out)
{
	uint64_t hi, bits;
	int err;

	pthread_mutex_lock(&lock);
	err = load(dir, name, &hi, &bits);
	if (!err && hi == UINT64_MAX)
		err = -EOVERFLOW;
	if (!err)
		err = store(dir, name, hi + 1, 0);
	if (!err)
		*out = hi + 1;
	pthread_mutex_unlock(&lock);
	return err;
}

int ck_link_counter_newer(const char *dir, const char *name, uint64_t c)
{
	uint64_t hi, bits;
	int err;

	pthread_mutex_lock(&lock);
	err = load(dir, name, &hi, &bits);
	if (!err && c <= hi)
		err = -ESTALE;
	if (!err)
		err = in_range(hi, c);
	if (!err)
		err = store(dir, name, c, 0);
	pthread_mutex_unlock(&lock);
	return err;
}

int ck_link_counter_set(const char *dir, const char *name, uint64_t c)
{
	uint64_t hi, bits;
	int err;

	if (c >= CK_LINK_COUNTER_LIMIT)
		return -ERANGE;
	pthread_mutex_lock(&lock);
	err = load(dir, name, &hi, &bits);
	if (!err && c != hi)
		err = store(dir, name, c, 0);
	pthread_mutex_unlock(&lock);
	return err;
}

int ck_link_counter_get(const char *dir, const char *name, uint64_t *out)
{
	uint64_t bits;
	int err;

	pthread_mutex_lock(&lock);
	err = load(dir, name, out, &bits);
	pthread_mutex_unlock(&lock);
	return err;
}

int ck_link_window_highest(const char *dir, const char *identity, uint64_t *out)
{
	char name[64];
	uint64_t bits;
	int err;

	snprintf(name, sizeof(name), "device-%s", identity);
	pthread_mutex_lock(&lock);
	err = load(dir, name, out, &bits);
	pthread_mutex_unlock(&lock);
	return err;
}

int ck_link_window_accept(const char *dir, const char *identity, uint64_t c)
{
	char name[64];
	uint64_t hi, bits, d;
	int err;

	snprintf(name, sizeof(name), "device-%s", identity);
	pthread_mutex_lock(&lock);
	err = load(dir, name, &hi, &bits);
	if (!err)
		err = in_range(hi, c);
	if (err)
		goto out;
	if (c > hi) {
		d = c - hi;	/* hi itself moves into the window at bit d-1 */
		bits = d > CK_LINK_WINDOW ? 0 : d == CK_LINK_WINDOW ? 0 : bits << d;
		if (hi && d <= CK_LINK_WINDOW)
			bits |= (uint64_t)1 << (d - 1);
		hi = c;
	} else {
		d = hi - c;	/* >= 0; 0: hi itself */
		if (d == 0 || d > CK_LINK_WINDOW || (bits & ((uint64_t)1 << (d - 1)))) {
			err = -ESTALE;
			goto out;
		}
		bits |= (uint64_t)1 << (d - 1);
	}
	err = store(dir, name, hi, bits);
out:
	pthread_mutex_unlock(&lock);
	return err;
}

int ck_link_server_counter(const char *dir, uint64_t seen, uint64_t *out)
{
	static uint64_t next, limit;
	static int loaded;
	uint64_t hi, bits;
	int err = 0;

	if (seen >= CK_LINK_COUNTER_LIMIT - 1)
		return -ERANGE;
	pthread_mutex_lock(&lock);
	if (!loaded || next >= limit) {
		err = load(dir, "server-counter", &hi, &bits);
		if (!err && hi > UINT64_MAX - CK_LINK_RESERVE)
			err = -EOVERFLOW;
		if (!err)
			err = store(dir, "server-counter", hi + CK_LINK_RESERVE, 0);
		if (!err) {
			next = hi + 1;
			limit = hi + CK_LINK_RESERVE + 1;
			loaded = 1;
		}
	}
	if (!err) {
		/*
		 * Above what the device has, and within the step it accepts:
		 * the server's own counter only if it is at most
		 * CK_LINK_COUNTER_STEP above @seen (a new device, or one that
		 * lost its state or stayed away while the server counted on,
		 * gets @seen + 1; the transcript already stops a replay).
		 */
		*out = next > seen && next - seen <= CK_LINK_COUNTER_STEP ? next : seen + 1;
		next++;
	}
	pthread_mutex_unlock(&lock);
	return err;
}
