// SPDX-License-Identifier: GPL-2.0-or-later
/* chipkey-service: connection limits and deadlines (conns.h). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conns.h"

struct slot {
	int fd;			/* -1: free */
	int64_t deadline_ms;
	char addr[64];
};

static struct slot *slots;
static int nslots, max_per_addr;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t wd;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
	const struct timespec tick = { 0, 100 * 1000000 };
	int i;

	(void)arg;
	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&lock);
		for (i = 0; i < nslots; i++)
			if (slots[i].fd >= 0 && slots[i].deadline_ms && now_ms() > slots[i].deadline_ms) {
				shutdown(slots[i].fd, SHUT_RDWR);
				slots[i].deadline_ms = 0;	/* once */
			}
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int svc_conns_init(int max, int per_addr)
{
	int i;

	slots = calloc((size_t)max, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < max; i++)
		slots[i].fd = -1;
	nslots = max;
	max_per_addr = per_addr;
	return -pthread_create(&wd, NULL, watchdog, NULL);
}

int svc_conn_enter(int fd, const char *addr, int seconds)
{
	int i, free_slot = -1, same = 0;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nslots; i++) {
		if (slots[i].fd < 0 && free_slot < 0)
			free_slot = i;
		else if (slots[i].fd >= 0 && !strcmp(slots[i].addr, addr))
			same++;
	}
	if (free_slot >= 0 && same < max_per_addr) {
		slots[free_slot].fd = fd;
		slots[free_slot].deadline_ms = now_ms() + (int64_t)seconds * 1000;
		snprintf(slots[free_slot].addr, sizeof(slots[free_slot].addr), "%s", addr);
	} else {
		free_slot = -EBUSY;
	}
	pthread_mutex_unlock(&lock);
	return free_slot;
}

void svc_conn_rearm(int slot, int seconds)
{
	pthread_mutex_lock(&lock);
	slots[slot].deadline_ms = now_ms() + (int64_t)seconds * 1000;
	pthread_mutex_unlock(&lock);
}

void svc_conn_leave(int slot)
{
	pthread_mutex_lock(&lock);
	slots[slot].fd = -1;
	slots[slot].addr[0] = 0;
	pthread_mutex_unlock(&lock);
}
