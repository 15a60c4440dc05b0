/* SPDX-License-Identifier: GPL-2.0-or-later */
/* chipkey-factory: the chip batch (database 140), loaded from chip certificates. */
#ifndef CHIPKEY_FACTORY_CHIP_BATCH_H
#define CHIPKEY_FACTORY_CHIP_BATCH_H

#include <stddef.h>

/*
 * Reads the chip certificates of @files (PEM, one or more each), checks
 * every one against the chip-vendor CA certificate @ca_path (the one trust
 * anchor) and the chip certificate profile (docs/chip-certificates.md), and
 * only then loads them all into the chip batch of @url in one transaction.
 * Reports what it refuses on stderr and the counts on stdout.  Returns an
 * exit code (common/exit.h): 6 malformed input, 11 a certificate refused,
 * 22 a chip already loaded with another attestation key, ...
 */
int chip_batch_load(const char *url, const char *ca_path, const char *const *files,
		    size_t n);

#endif
