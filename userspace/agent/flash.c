// SPDX-License-Identifier: GPL-2.0-or-later
/* The device flash store, written atomically (docs/flash-store.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "flash.h"

int flash_write_file(int dirfd, const char *name, const void *buf, size_t len,
		     unsigned int mode)
{
	char tmp[256];
	const uint8_t *p = buf;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", name, (long)getpid());
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
}

static void sha_hex(const void *buf, size_t len, char out[65])
{
	uint8_t d[32];
	unsigned int n = 32;

	EVP_Digest(buf, len, d, &n, EVP_sha256(), NULL);
	hex(d, 32, out);
}

int flash_write_store(const char *dir, const struct flash_contents *c)
{
	char chip[33], hb[65], hc[65], man[1024], idl[32];
	int dfd, err, n;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	hex(c->chip_id, 16, chip);
	sha_hex(c->backup, c->backup_len, hb);
	sha_hex(c->cert, c->cert_len, hc);
	snprintf(idl, sizeof(idl), "%s\n", c->identity);
	err = flash_write_file(dfd, FLASH_BACKUP, c->backup, c->backup_len, 0644);
	if (!err)
		err = flash_write_file(dfd, FLASH_CERT, c->cert, c->cert_len, 0644);
	if (!err)
		err = flash_write_file(dfd, FLASH_IDENTITY, idl, strlen(idl), 0644);
	if (!err) {
		n = snprintf(man, sizeof(man),
			"{\n"
			"  \"format\": %d,\n"
			"  \"chip_id\": \"%s\",\n"
			"  \"identity\": \"%s\",\n"
			"  \"generation\": %llu,\n"
			"  \"backup\": { \"file\": \"%s\", \"size\": %zu, \"sha256\": \"%s\" },\n"
			"  \"device_cert\": { \"file\": \"%s\", \"size\": %zu, \"sha256\": \"%s\" }\n"
			"}\n", FLASH_FORMAT, chip, c->identity,
			(unsigned long long)c->generation, FLASH_BACKUP,
			c->backup_len, hb, FLASH_CERT, c->cert_len, hc);
		err = flash_write_file(dfd, FLASH_MANIFEST, man, (size_t)n, 0644);
	}
	if (!err && fsync(dfd))
		err = -errno;
	close(dfd);
	return err;
}
