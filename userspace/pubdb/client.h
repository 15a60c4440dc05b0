/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey public database: the HTTP client (libcurl), docs/pubdb-api.md.
 *
 * All functions return 0 or a negative errno-style code; where an err
 * buffer is given, a message is written to it on failure.
 */
#ifndef CHIPKEY_PUBDB_CLIENT_H
#define CHIPKEY_PUBDB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/pubdb-record.h"

/* ---- HTTP client (libcurl) ----
 * base_url: "http://host:port" (no trailing path).  *http_status receives
 * the HTTP status (0 if no response).  Return: 0 if the status is 2xx,
 * -EEXIST on 409, -ENOENT on 404, -EACCES on 401/403, -EINVAL on 400/413,
 * -EIO otherwise (including transport errors). */
int pubdb_post_record(const char *base_url, const uint8_t *rec, size_t len,
		      long *http_status, char *err, size_t errlen);
/* Posts a signed void entry of @generation (common/pubdb-void.h). */
int pubdb_post_void(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		    uint64_t generation, const uint8_t *entry, size_t len, long *http_status,
		    char *err, size_t errlen);
/* Fetches the void entry of @generation (-ENOENT: it has none). */
int pubdb_get_void(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		   uint64_t generation, uint8_t **out, size_t *out_len, long *http_status,
		   char *err, size_t errlen);
/* Fetches the binary record of a generation (0: latest); *out malloc'd. */
int pubdb_get_record(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		     uint64_t generation, uint8_t **out, size_t *out_len,
		     long *http_status, char *err, size_t errlen);
/* Fetches the raw backup package of a generation (0: latest). */
int pubdb_get_backup(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		     uint64_t generation, uint8_t **out, size_t *out_len,
		     long *http_status, char *err, size_t errlen);

#endif
