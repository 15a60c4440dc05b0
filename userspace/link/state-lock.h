/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lock of a device's link state directory (link-cms-state.c):
 * flock(LOCK_EX) on @dir/CK_LINK_LOCK_FILE, held across read, compare and
 * write of a high-water mark (modes 3 and 4) and across a broadcast
 * renewal, between processes and threads; never across network I/O.
 */
#ifndef CHIPKEY_LINK_STATE_LOCK_H
#define CHIPKEY_LINK_STATE_LOCK_H

#define CK_LINK_LOCK_FILE	"link.lock"

/* The locked descriptor, or a negative errno. */
int ck_link_state_lock(const char *dir);
/* Release it (@fd < 0: nothing). */
void ck_link_state_unlock(int fd);

#endif /* CHIPKEY_LINK_STATE_LOCK_H */
