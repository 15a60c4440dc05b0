// SPDX-License-Identifier: GPL-2.0-or-later
/* The shipment list: parse it and import it into the whitelist (whitelist.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/identity.h"
#include "ledger.h"
#include "whitelist.h"

#define LIST_MAX	(64 * 1024 * 1024)

int whitelist_parse_line(const char *line, size_t len, char identity[16],
			 char chip_hex[33])
{
	size_t i = 0, n;
	int k;

	identity[0] = chip_hex[0] = '\0';
	while (i < len) {
		if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
			i++;
			continue;
		}
		if (line[i] == '#')
			break;
		for (n = 0; i + n < len && !strchr(" \t\r#", line[i + n]); n++)
			;
		if (n == 15 && !identity[0] && ck_identity_valid_n(line + i, n)) {
			memcpy(identity, line + i, 15);
			identity[15] = '\0';
		} else if (n == 32 && !chip_hex[0]) {
			for (k = 0; k < 32; k++) {
				if (ck_hex_digit((unsigned char)line[i + k]) < 0)
					return -EINVAL;
				chip_hex[k] = (char)tolower((unsigned char)line[i + k]);
			}
			chip_hex[32] = '\0';
		} else {
			return -EINVAL;
		}
		i += n;
	}
	return identity[0] || chip_hex[0];
}

int whitelist_import(const char *dir, const char *file)
{
	char id[16], chip[33];
	uint8_t *buf = NULL;
	size_t len = 0, pos = 0, lineno = 0;
	struct ledger *l;
	int r, added, n_added = 0, n_old = 0, ret = CK_EXIT_OTHER;
	long total;

	r = ck_file_read(file, &buf, &len, LIST_MAX);
	if (r || len > LIST_MAX) {
		fprintf(stderr, "chipkey-enroll: %s: %s\n", file, strerror(r ? -r : EFBIG));
		free(buf);
		return r ? ck_exit_for_errno(r) : CK_EXIT_TOO_LARGE;
	}
	l = ledger_open(dir);
	if (!l || ledger_begin(l)) {
		ledger_close(l);
		free(buf);
		return CK_EXIT_OTHER;
	}
	while (pos < len) {
		const char *s = (const char *)buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + 1;
		lineno++;
		r = whitelist_parse_line(s, n, id, chip);
		if (r < 0) {
			fprintf(stderr, "chipkey-enroll: %s:%zu: not an identity and/or chip ID;"
				" nothing imported\n", file, lineno);
			ret = CK_EXIT_MALFORMED;
			goto fail;
		}
		if (r == 0)
			continue;
		if (ledger_whitelist_add(l, id, chip, &added))
			goto fail;
		added ? n_added++ : n_old++;
	}
	total = ledger_whitelist_count(l);
	if (total < 0 || ledger_commit(l))
		goto fail;
	printf("whitelist: %d added, %d already present; %ld entries\n", n_added, n_old, total);
	ledger_close(l);
	free(buf);
	return CK_EXIT_OK;
fail:
	ledger_rollback(l);
	ledger_close(l);
	free(buf);
	return ret;
}
