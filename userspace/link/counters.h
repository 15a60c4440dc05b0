/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The persistent counters of the certificate mode (counters.c,
 * docs/service-link.md "Replay protection"): no wall clock anywhere.
 * Every change is written to a temporary file, fsync'd, renamed and the
 * directory fsync'd before the counter is used or a message accepted.
 * 0 or -errno; -ESTALE for a counter that is refused.  Thread-safe within
 * a process (one lock); one process per state directory.
 */
#ifndef CHIPKEY_LINK_COUNTERS_H
#define CHIPKEY_LINK_COUNTERS_H

#include <stdint.h>

#include <chipkey/link_messages.h>

#define CK_LINK_WINDOW		CK_LINK_COUNTER_WINDOW_BITS	/* server: out-of-order counters kept */
#define CK_LINK_RESERVE		1024	/* server: own counters per fsync */
/*
 * A counter a peer names in an AUTH is refused (-ERANGE) when it jumps more
 * than CK_LINK_COUNTER_STEP above the stored one or reaches
 * CK_LINK_COUNTER_LIMIT: a signed message with a counter near 2^64 (a
 * stolen service or device credential, or a bug) cannot exhaust the
 * counter space.  A RESYNC (the server is authoritative for the device
 * counter) may move the device counter anywhere below the limit.
 */
#define CK_LINK_COUNTER_STEP	((uint64_t)1 << 32)
#define CK_LINK_COUNTER_LIMIT	((uint64_t)1 << 62)

/* Device: its next own counter (the stored one + 1, stored first). */
int ck_link_counter_next(const char *dir, const char *name, uint64_t *out);
/* Device: set the counter @name to @c, up or down (a server's signed
 * RESYNC: the next one follows what the server has seen); -ERANGE if @c
 * reaches CK_LINK_COUNTER_LIMIT, nothing stored then. */
int ck_link_counter_set(const char *dir, const char *name, uint64_t c);
/* Device: the stored value of @name (0 if none yet). */
int ck_link_counter_get(const char *dir, const char *name, uint64_t *out);
/* Server: the highest counter of the device @identity accepted so far. */
int ck_link_window_highest(const char *dir, const char *identity, uint64_t *out);
/* Device: @c must exceed the highest stored under @name; stored then. */
int ck_link_counter_newer(const char *dir, const char *name, uint64_t c);
/*
 * Server: the device @identity's counter @c is accepted if above its
 * highest, or within the CK_LINK_WINDOW below it and not seen; the
 * highest and the window's bitmap are stored (thread-safe).
 */
int ck_link_window_accept(const char *dir, const char *identity, uint64_t c);
/*
 * Server: the counter of its answer to a device that has stored @seen: its
 * own strictly increasing counter (reserved CK_LINK_RESERVE at a time, the
 * reservation stored before any of it is used), or @seen + 1 if that is
 * higher (nothing stored for it: the device's AUTH is signed and the device
 * keeps its own highest).  -ERANGE if @seen + 1 would reach the limit.
 */
int ck_link_server_counter(const char *dir, uint64_t seen, uint64_t *out);

#endif /* CHIPKEY_LINK_COUNTERS_H */
