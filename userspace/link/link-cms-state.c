// SPDX-License-Identifier: GPL-2.0
/*
 * What modes 3 and 4 keep between messages: the reason of the last
 * failure, the device's persisted high-water marks (seq of mode 3,
 * broadcast version of mode 4) and the validity rule of a signed time
 * on a device that may have no clock (docs/service-link-cms.md "Validity").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>

#include <chipkey/byteorder.h>
#include "common/file.h"
#include "common/lockfile.h"
#include "common/pki.h"
#include "link/link-cms.h"

static __thread char why[256];

const char *ck_link_cms_why(void)
{
	return why;
}

int ck_link_fail(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return rc;
}

int ck_link_state_lock(const char *dir)
{
	int dfd, fd, err;

	if (!dir)
		return ck_link_fail(-EINVAL, "no state directory");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ck_link_fail(-errno, "state directory %s: cannot open", dir);
	/* the state directory is root's (0700); still, what is planted
	 * there instead of the lock file is replaced, not obeyed */
	fd = ck_lockfile_open(dfd, CK_LINK_LOCK_FILE, 1);
	close(dfd);
	if (fd < 0)
		return ck_link_fail(fd, "%s/%s: cannot open", dir, CK_LINK_LOCK_FILE);
	err = ck_lockfile_wait(fd, LOCK_EX, NULL);
	if (err) {
		close(fd);
		return ck_link_fail(err, "%s/%s: cannot lock", dir, CK_LINK_LOCK_FILE);
	}
	return fd;
}

void ck_link_state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

int ck_link_hw_read(const char *dir, const char *name, uint64_t *v)
{
	uint8_t buf[CK_LINK_HW_LEN];
	int err;

	*v = 0;
	if (!dir)
		return ck_link_fail(-EINVAL, "no state directory");
	err = ck_file_state_read(dir, name, buf, sizeof(buf));	/* common/file.h */
	if (err == -ENOENT)	/* the mark, or the directory itself */
		return access(dir, F_OK) ? ck_link_fail(err, "state directory %s: cannot open", dir)
					 : 0;	/* nothing accepted yet */
	if (err == -EBADMSG)	/* fail closed: a damaged mark must not reset to 0 */
		return ck_link_fail(-EUCLEAN, "%s/%s: not %d bytes", dir, name, CK_LINK_HW_LEN);
	if (err)
		return ck_link_fail(err, "%s/%s: cannot read", dir, name);
	*v = ck_get_be64(buf);
	return 0;
}

int ck_link_hw_write(const char *dir, const char *name, uint64_t v)
{
	uint8_t buf[CK_LINK_HW_LEN];
	int err;

	ck_put_be64(buf, v);
	err = ck_file_state_write(dir, name, buf, sizeof(buf));
	return err ? ck_link_fail(err, "%s/%s: cannot write", dir, name) : 0;
}

int ck_link_validity_check(uint64_t issued_at, uint32_t valid_for, time_t now)
{
	if (now == PKI_TIME_IGNORE)
		return 0;	/* no clock: the high-water mark decides */
	if (issued_at > (uint64_t)now + CK_LINK_CMS_SKEW)
		return ck_link_fail(-EKEYEXPIRED, "issued %llu s in the future",
				    (unsigned long long)(issued_at - (uint64_t)now));
	if ((uint64_t)now >= issued_at + valid_for)
		return ck_link_fail(-EKEYEXPIRED, "expired %llu s ago",
				    (unsigned long long)((uint64_t)now - issued_at - valid_for));
	return 0;
}
