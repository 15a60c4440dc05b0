/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The catalogue requests of chipkey-service, sent inside the TLS 1.3 link
 * once it is up (docs/service-link.md "Catalogue").  Encoder/decoder:
 * userspace/link/catalogue.c.  Integers big endian.
 *
 *   request:  op u8, name_len u8, name (LIST: name_len 0)
 *   response: status u8, length u64, then length bytes
 *             (LIST: file names, each followed by '\n'; GET: the file)
 * One request per connection; the server closes after its response.
 */
#ifndef _CHIPKEY_SERVICE_CATALOGUE_H
#define _CHIPKEY_SERVICE_CATALOGUE_H

#include <stdint.h>

enum ck_cat_op {
	CK_CAT_LIST	= 1,
	CK_CAT_GET	= 2,
};

enum ck_cat_status {
	CK_CAT_OK		= 0,
	CK_CAT_NOT_FOUND	= 1,	/* no such file in the catalogue */
	CK_CAT_BAD_REQUEST	= 2,	/* unknown op, bad name (path traversal) */
	CK_CAT_ERROR		= 3,	/* the server could not read it */
};

enum ck_cat_lengths {
	CK_CAT_REQ_HDR		= 2,
	CK_CAT_NAME_MAX		= 128,		/* [A-Za-z0-9._-], not starting with '.' */
	CK_CAT_RESP_HDR		= 9,
	CK_CAT_FILE_MAX		= 1u << 30,	/* larger files are not served */
};

struct ck_cat_request {
	uint8_t op;
	char name[CK_CAT_NAME_MAX + 1];
};

struct ck_cat_response_hdr {
	uint8_t status;
	uint64_t length;
};

#endif /* _CHIPKEY_SERVICE_CATALOGUE_H */
