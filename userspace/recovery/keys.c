// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Make a device's keys available to applications after boot: a root-only
 * directory on tmpfs (default /run/chipkey).  docs/flash-store.md explains
 * the choice and its threat model.
 *
 *   identity          0644  15 digits + newline
 *   generation        0644  decimal + newline
 *   device-cert.der   0644  device certificate
 *   device-cert.pem   0644  the same, PEM
 *   mfr-ca.pem        0644  manufacturer CA certificate (if in the package)
 *   device-key.pem    0600  device private key, PKCS#8 PEM (secret)
 *   channel.key       0600  32-byte channel key, raw (secret)
 *
 * The directory itself is 0700, so nothing in it is reachable by other
 * users whatever the file modes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "flash.h"
#include "recovery.h"

static int pem(const char *label, const uint8_t *der, size_t len, char **out,
	       size_t *out_len)
{
	size_t b64len = 4 * ((len + 2) / 3), cap, n = 0, i;
	unsigned char *b64 = malloc(b64len + 1);
	char *p;

	if (!b64)
		return -ENOMEM;
	EVP_EncodeBlock(b64, der, (int)len);
	cap = b64len + b64len / 64 + 2 + 2 * (strlen(label) + 32);
	p = malloc(cap);
	if (!p) {
		OPENSSL_cleanse(b64, b64len);
		free(b64);
		return -ENOMEM;
	}
	n += (size_t)snprintf(p + n, cap - n, "-----BEGIN %s-----\n", label);
	for (i = 0; i < b64len; i += 64) {
		size_t l = b64len - i < 64 ? b64len - i : 64;

		memcpy(p + n, b64 + i, l);
		n += l;
		p[n++] = '\n';
	}
	n += (size_t)snprintf(p + n, cap - n, "-----END %s-----\n", label);
	OPENSSL_cleanse(b64, b64len);
	free(b64);
	*out = p;
	*out_len = n;
	return 0;
}

static int put_pem(int dfd, const char *name, const char *label,
		   const uint8_t *der, size_t len, unsigned int mode)
{
	char *p;
	size_t n;
	int err = pem(label, der, len, &p, &n);

	if (err)
		return err;
	err = flash_write_file(dfd, name, p, n, mode);
	OPENSSL_cleanse(p, n);
	free(p);
	return err;
}

int rec_write_keys(struct rec_ctx *ctx, const char *keys_dir,
		   const struct ck_dp *dp, uint64_t generation)
{
	const uint8_t *v;
	size_t len;
	char id[CK_DP_DEVICE_ID_LEN + 1], line[32];
	struct stat st;
	int dfd, err = 0;

	if (mkdir(keys_dir, 0700) && errno != EEXIST)
		goto sys;
	dfd = open(keys_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		goto sys;
	if (fstat(dfd, &st) || st.st_uid != geteuid()) {
		close(dfd);
		snprintf(ctx->msg, sizeof(ctx->msg), "%s: not owned by this user, refusing to put keys there",
			 keys_dir);
		return REC_KEYS;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(dfd, 0700)) {
		close(dfd);
		goto sys;
	}
	/* secrets first, 0600 from creation */
	if (!ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &len))
		err = put_pem(dfd, "device-key.pem", "PRIVATE KEY", v, len, 0600);
	else
		unlinkat(dfd, "device-key.pem", 0);
	if (!err && !ck_dp_get(dp, CK_DP_CHANNEL_KEY, &v, &len))
		err = flash_write_file(dfd, "channel.key", v, len, 0600);
	else if (!err)
		unlinkat(dfd, "channel.key", 0);
	if (!err && !ck_dp_get(dp, CK_DP_DEVICE_CERT, &v, &len)) {
		err = flash_write_file(dfd, "device-cert.der", v, len, 0644);
		if (!err)
			err = put_pem(dfd, "device-cert.pem", "CERTIFICATE", v, len, 0644);
	}
	if (!err && !ck_dp_get(dp, CK_DP_MFR_CA_CERT, &v, &len))
		err = put_pem(dfd, "mfr-ca.pem", "CERTIFICATE", v, len, 0644);
	if (!err && !ck_dp_device_id(dp, id)) {
		snprintf(line, sizeof(line), "%s\n", id);
		err = flash_write_file(dfd, "identity", line, strlen(line), 0644);
	}
	if (!err) {
		snprintf(line, sizeof(line), "%llu\n", (unsigned long long)generation);
		err = flash_write_file(dfd, "generation", line, strlen(line), 0644);
	}
	if (!err && fsync(dfd))
		err = -errno;
	close(dfd);
	if (err) {
		snprintf(ctx->msg, sizeof(ctx->msg), "%s: cannot write keys: %s", keys_dir,
			 strerror(-err));
		return REC_KEYS;
	}
	return REC_OK;
sys:
	snprintf(ctx->msg, sizeof(ctx->msg), "%s: %s", keys_dir, strerror(errno));
	return REC_KEYS;
}
