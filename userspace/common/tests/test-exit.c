// SPDX-License-Identifier: GPL-2.0
/*
 * The one exit-code table (common/exit.h) against its documentation: every
 * code has a row "| N | name | ... | errno |" in docs/cli.md with the name
 * the programs print, no row names an unknown code, and every errno the
 * table lists maps to that row's code.
 *
 *   test-exit DOCS/cli.md
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/tap.h"

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "ENOENT", ENOENT }, { "ENODEV", ENODEV }, { "ENXIO", ENXIO },
	{ "ECONNREFUSED", ECONNREFUSED }, { "ENOTTY", ENOTTY }, { "EPROTO", EPROTO },
	{ "ENOTSOCK", ENOTSOCK }, { "ECONNRESET", ECONNRESET }, { "EPIPE", EPIPE },
	{ "EPERM", EPERM }, { "EACCES", EACCES }, { "ENOKEY", ENOKEY },
	{ "EBADMSG", EBADMSG }, { "EINVAL", EINVAL }, { "EMSGSIZE", EMSGSIZE },
	{ "EFBIG", EFBIG }, { "ENOMEM", ENOMEM }, { "EINTR", EINTR },
};

/* Check the errno column of the row of @code: each listed errno maps to it. */
static int errnos_map(const char *col, int code)
{
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		const char *p = strstr(col, errnos[i].name);
		size_t n = strlen(errnos[i].name);

		if (!p || (p[n] >= 'A' && p[n] <= 'Z'))
			continue;
		if (ck_exit_for_errno(-errnos[i].err) != code ||
		    ck_exit_for_errno(errnos[i].err) != code) {
			tap_diag("%s maps to %d, the doc says %d", errnos[i].name,
				 ck_exit_for_errno(-errnos[i].err), code);
			ok = 0;
		}
	}
	return ok;
}

int main(int argc, char **argv)
{
	char seen[CK_EXIT_MAX + 1] = { 0 };
	int names_ok = 1, errno_ok = 1, unknown = 0, code;
	uint8_t *buf;
	size_t len;
	char *line, *save;

	if (argc != 2 || ck_file_read(argv[1], &buf, &len, 1 << 20) || len > 1 << 20) {
		tap_ok(0, "exit table: read %s", argc == 2 ? argv[1] : "(no docs/cli.md given)");
		return tap_exit_status();
	}
	buf = realloc(buf, len + 1);
	if (!buf)
		return 1;
	buf[len] = 0;
	for (line = strtok_r((char *)buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], rest[1024];

		/* "| 13 | rollback | meaning | errno |" */
		if (sscanf(line, "| %d | %63[a-z-] |%1023[^\n]", &code, name, rest) != 3)
			continue;
		if (code < 0 || code > CK_EXIT_MAX) {
			tap_diag("docs row for unknown code %d", code);
			unknown++;
			continue;
		}
		seen[code] = 1;
		if (strcmp(name, ck_exit_name(code))) {
			tap_diag("code %d: doc says '%s', programs print '%s'", code, name,
				 ck_exit_name(code));
			names_ok = 0;
		}
		if (!errnos_map(rest, code))
			errno_ok = 0;
	}
	free(buf);
	for (code = 0; code <= CK_EXIT_MAX; code++)
		if (!seen[code]) {
			tap_diag("code %d (%s) has no row in the doc", code, ck_exit_name(code));
			names_ok = 0;
		}
	tap_ok(names_ok, "exit table: every code 0..%d documented with the name programs print",
	       CK_EXIT_MAX);
	tap_ok(!unknown, "exit table: the doc names no code outside the table");
	tap_ok(errno_ok, "exit table: every errno the doc lists maps to its row's code");
	tap_ok(ck_exit_for_errno(0) == CK_EXIT_OK && ck_exit_for_errno(-ENOMEM) == CK_EXIT_OTHER &&
	       ck_exit_for_open(-ENOENT) == CK_EXIT_NODEV &&
	       ck_exit_for_open(-EACCES) == CK_EXIT_PERM &&
	       ck_exit_for_open(-ENOMEM) == CK_EXIT_OTHER &&
	       !strcmp(ck_exit_name(CK_EXIT_MAX + 1), "?") && !strcmp(ck_exit_name(-1), "?"),
	       "exit table: success, other errors, device open, out-of-range names");
	return tap_exit_status();
}
