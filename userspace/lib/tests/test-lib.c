// SPDX-License-Identifier: GPL-2.0
/*
 * libchipkey backend selection and errors (no emulator needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/libchipkey.h"
#include "common/tap.h"

int main(void)
{
	struct chipkey *ck = (struct chipkey *)0x1;
	struct chipkey_info info;
	char path[300], longp[200];
	int ret;

	unsetenv(CHIPKEY_DEVICE_ENV);
	ret = chipkey_open("/nonexistent/chipkey", &ck);
	tap_ok(ret == -ENOENT && ck == NULL,
	       "missing kernel device -> -ENOENT, no handle");

	if (access(CHIPKEY_DEFAULT_DEVICE, F_OK) == 0) {
		tap_skip("/dev/chipkey exists here", "default device absent -> -ENOENT");
	} else {
		ret = chipkey_open(NULL, &ck);
		tap_eq_int(ret, -ENOENT,
			   "no device string, no $CHIPKEY_DEVICE, no /dev/chipkey -> -ENOENT (no fallback to an emulator)");
	}

	setenv(CHIPKEY_DEVICE_ENV, "emu:/nonexistent/chipkey.sock", 1);
	tap_eq_int(chipkey_open(NULL, &ck), -ENOENT,
		   "$CHIPKEY_DEVICE=emu:missing socket -> -ENOENT");
	ret = chipkey_open("/dev/null", &ck);
	tap_ok(ret == 0 && !strcmp(chipkey_backend_name(ck), "kernel"),
	       "explicit device string beats $CHIPKEY_DEVICE (kernel backend)");
	if (!ret) {
		tap_eq_int(chipkey_get_info(ck, &info), -ENOTTY,
			   "info on a non-chipkey node -> -ENOTTY");
		chipkey_close(ck);
	}
	setenv(CHIPKEY_DEVICE_ENV, "/dev/null", 1);
	ret = chipkey_open(NULL, &ck);
	tap_ok(ret == 0 && !strcmp(chipkey_backend_name(ck), "kernel"),
	       "$CHIPKEY_DEVICE picks the kernel device when no string is given");
	if (!ret)
		chipkey_close(ck);
	unsetenv(CHIPKEY_DEVICE_ENV);

	tap_eq_int(chipkey_open("emu:", &ck), -EINVAL, "emu: with empty path -> -EINVAL");
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	snprintf(path, sizeof(path), "emu:/tmp/%s", longp);
	tap_eq_int(chipkey_open(path, &ck), -ENAMETOOLONG,
		   "emu: path longer than sun_path -> -ENAMETOOLONG");
	{
		char tmpl[] = "/tmp/ck-notsock-XXXXXX";
		int fd = mkstemp(tmpl);

		close(fd);
		snprintf(path, sizeof(path), "emu:%s", tmpl);
		tap_eq_int(chipkey_open(path, &ck), -ECONNREFUSED,
			   "emu: path to a regular file -> -ECONNREFUSED");
		unlink(tmpl);
	}
	tap_eq_int(chipkey_open("", &ck), -EINVAL, "empty device string -> -EINVAL");
	tap_eq_int(chipkey_open("/dev/null", NULL), -EINVAL, "NULL out -> -EINVAL");

	{
		static const int errs[] = { EPERM, EINVAL, EMSGSIZE, ENOSPC,
					    ENOKEY, EBADMSG, ENOENT, ECONNREFUSED };
		size_t i, j;
		int distinct = 1;

		for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
			for (j = i + 1; j < sizeof(errs) / sizeof(errs[0]); j++)
				if (!strcmp(chipkey_strerror(-errs[i]),
					    chipkey_strerror(-errs[j])))
					distinct = 0;
		tap_ok(distinct, "chipkey_strerror: distinct text per error class");
		tap_ok(strstr(chipkey_strerror(-ENOKEY), "another chip") &&
		       strstr(chipkey_strerror(-EBADMSG), "tamper"),
		       "chipkey_strerror: not-ours and tampered are explained");
		tap_ok(chipkey_strerror(-EIO) && *chipkey_strerror(-EIO) &&
		       strcmp(chipkey_strerror(-EIO), "unknown error"),
		       "chipkey_strerror: other errno values get the libc text");
	}
	{
		size_t len = 10;
		uint8_t b[10];

		tap_eq_int(chipkey_wrap(NULL, b, 1, 0, b, &len), -EINVAL,
			   "NULL handle -> -EINVAL");
	}
	{
		uint8_t pub[CHIPKEY_EC_POINT_LEN] = { 4 }, mac[CHIPKEY_MAC_LEN], b[10];
		size_t len = sizeof(b);
		int bad = 0;

		bad += chipkey_get_attest_key(NULL, pub) != -EINVAL;
		bad += chipkey_attest(NULL, pub, "x", 1, mac) != -EINVAL;
		bad += chipkey_sealed_wrap(NULL, b, 1, 0, NULL, 0, b, &len, mac) != -EINVAL;
		bad += chipkey_chip_mac(NULL, 1, b, 1, mac) != -EINVAL;
		tap_eq_int(bad, 0, "attestation calls: NULL handle -> -EINVAL");
		ret = chipkey_open("/dev/null", &ck);
		if (ret == 0) {
			tap_eq_int(chipkey_get_attest_key(ck, NULL), -EINVAL,
				   "chipkey_get_attest_key: NULL buffer -> -EINVAL");
			tap_eq_int(chipkey_attest(ck, pub, NULL, 1, mac), -EINVAL,
				   "chipkey_attest: NULL context with a length -> -EINVAL");
			tap_eq_int(chipkey_sealed_wrap(ck, NULL, 1, 0, NULL, 0, b, &len, mac),
				   -EINVAL, "chipkey_sealed_wrap: NULL input with a length -> -EINVAL");
			tap_eq_int(chipkey_sealed_wrap(ck, b, 1, 0, NULL, 2, b, &len, mac),
				   -EINVAL, "chipkey_sealed_wrap: NULL context with a length -> -EINVAL");
			tap_eq_int(chipkey_chip_mac(ck, 1, NULL, 3, mac), -EINVAL,
				   "chipkey_chip_mac: NULL input with a length -> -EINVAL");
			/* the kernel backend passes them to ioctl(2) */
			tap_eq_int(chipkey_get_attest_key(ck, pub), -ENOTTY,
				   "kernel backend: ATTEST_KEY on a non-chipkey node -> -ENOTTY");
			tap_eq_int(chipkey_attest(ck, pub, "x", 1, mac), -ENOTTY,
				   "kernel backend: ATTEST on a non-chipkey node -> -ENOTTY");
			tap_eq_int(chipkey_sealed_wrap(ck, b, 1, 0, NULL, 0, b, &len, mac), -ENOTTY,
				   "kernel backend: SEALED_WRAP on a non-chipkey node -> -ENOTTY");
			tap_eq_int(chipkey_chip_mac(ck, 1, b, 1, mac), -ENOTTY,
				   "kernel backend: CHIP_MAC on a non-chipkey node -> -ENOTTY");
			chipkey_close(ck);
		}
	}
	return tap_exit_status();
}
