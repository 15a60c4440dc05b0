// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse: the --subject of "chipkey-fuse ca", "/TYPE=VALUE/...", as
 * an X509_NAME.  (Issuing the certificates: common/x509-issue.h.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "fuse-tool.h"

/* Copy one component part of @*r up to an unescaped @stop (or '/'). */
static void name_part(const char **r, char stop, char *out)
{
	const char *p = *r;

	while (*p && *p != stop && *p != '/') {
		if (*p == '\\' && p[1])
			p++;
		*out++ = *p++;
	}
	*out = '\0';
	*r = p;
}

X509_NAME *fimg_subject_parse(const char *s)
{
	size_t len = strlen(s) + 1;
	char *type = malloc(len), *value = malloc(len);
	X509_NAME *n = X509_NAME_new();
	const char *r = s;
	int ok = type && value && n;

	while (ok && *r == '/') {
		r++;
		name_part(&r, '=', type);
		if (*r != '=' || !*type) {
			fprintf(stderr, FIMG_PROG ": subject \"%s\": each part is /TYPE=VALUE\n",
				s);
			ok = 0;
			break;
		}
		r++;
		name_part(&r, '\0', value);
		if (!*value) {
			fprintf(stderr, FIMG_PROG ": subject \"%s\": %s has no value\n",
				s, type);
			ok = 0;
		} else if (!X509_NAME_add_entry_by_txt(n, type, MBSTRING_UTF8,
						       (const unsigned char *)value,
						       -1, -1, 0)) {
			fprintf(stderr, FIMG_PROG ": subject \"%s\": unknown attribute type %s, or a bad value\n",
				s, type);
			ok = 0;
		}
	}
	if (ok && (*r || X509_NAME_entry_count(n) == 0)) {
		fprintf(stderr, FIMG_PROG ": subject \"%s\": want /TYPE=VALUE[/TYPE=VALUE...]\n",
			s);
		ok = 0;
	}
	free(type);
	free(value);
	if (!ok) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}
