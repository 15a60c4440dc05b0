/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shipment list (docs/enrollment.md, "Whitelist"): one device a line,
 * its identity (15 digits, Luhn), its chip ID (32 hex digits) or both,
 * separated by blanks; '#' starts a comment; blank lines are skipped.
 */
#ifndef CHIPKEY_ENROLL_WHITELIST_H
#define CHIPKEY_ENROLL_WHITELIST_H

#include <stddef.h>

/*
 * Parse one line (@len bytes, no newline) into @identity and @chip_hex
 * (lowercase; "" when absent): 1 for an entry, 0 for a blank or comment
 * line, -EINVAL if malformed.
 */
int whitelist_parse_line(const char *line, size_t len, char identity[16],
			 char chip_hex[33]);

/* chipkey-enroll whitelist DIR FILE: import the whole file or nothing. */
int whitelist_import(const char *dir, const char *file);

#endif /* CHIPKEY_ENROLL_WHITELIST_H */
