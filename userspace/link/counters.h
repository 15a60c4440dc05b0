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
 * Every counter a peer names is refused (-ERANGE) when it jumps more than
 * CK_LINK_COUNTER_STEP above the stored one or reaches CK_LINK_COUNTER_LIMIT:
 * a signed message with a counter near 2^64 (a stolen service or device
 * credential, or a bug) cannot exhaust the counter space and lock the other
 * side out for good.
 */
#define CK_LINK_COUNTER_STEP	((uint64_t)1 << 32)
#define CK_LINK_COUNTER_LIMIT	((uint64_t)1 << 62)

/* Device: its next own counter (the stored one + 1, stored first). */
int ck_link_counter_next(const char *dir, const char *name, uint64_t *out);
/* Device: raise the counter @name to at least @c (a server's signed
 * RESYNC: the next one is above what the server has seen). */
int ck_link_counter_raise(const char *dir, const char *name, uint64_t c);
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
/* Server: its own strictly increasing counter, reserved CK_LINK_RESERVE at
 * a time (the reservation is stored before any of it is used). */
int ck_link_server_counter(const char *dir, uint64_t *out);

#endif /* CHIPKEY_LINK_COUNTERS_H */
