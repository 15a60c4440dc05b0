// SPDX-License-Identifier: GPL-2.0
/*
 * A program outside the tree, built against the installed libchipkey
 * (pkg-config chipkey) by test-install.sh: wrap ARGV[2] bytes of a pattern
 * on DEVICE (ARGV[1]), unwrap, compare.  Prints "roundtrip ok BACKEND".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libchipkey.h>

int main(int argc, char **argv)
{
	static unsigned char in[4096], pkg[4096 + CHIPKEY_PKG_OVERHEAD], out[4096];
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 0) : 64, plen = sizeof(pkg), olen = sizeof(out);
	struct chipkey *ck;
	uint64_t gen = 0;
	int ret;

	if (argc < 2 || n > sizeof(in))
		return 2;
	for (size_t i = 0; i < n; i++)
		in[i] = (unsigned char)(i * 7 + 1);
	ret = chipkey_open(argv[1], &ck);
	if (ret) {
		fprintf(stderr, "open %s: %s\n", argv[1], chipkey_strerror(ret));
		return 1;
	}
	ret = chipkey_wrap(ck, in, n, 5, pkg, &plen);
	if (!ret)
		ret = chipkey_unwrap(ck, pkg, plen, out, &olen, &gen);
	if (ret)
		fprintf(stderr, "wrap/unwrap: %s\n", chipkey_strerror(ret));
	else if (olen != n || memcmp(in, out, n) || gen != 5 || !memcmp(pkg, in, n))
		ret = -1;
	else
		printf("roundtrip ok %s\n", chipkey_backend_name(ck));
	chipkey_close(ck);
	return ret ? 1 : 0;
}
