// SPDX-License-Identifier: GPL-2.0
/*
 * The void entry's codec (common/pubdb-void.h): its fixed binary body and
 * the CMS SignedData around it (pubdb-cms.c).  Who may sign one is
 * pubdb_void_verify() in pubdb-validate.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/pubdb-cms.h"
#include "common/pubdb-void.h"

#define VOID_MAGIC	"CKVD"
#define VOID_VERSION	1
#define VOID_HEAD	31	/* bytes before the reason */

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* 1..PUBDB_VOID_REASON_MAX printable ASCII characters */
static int reason_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PUBDB_VOID_REASON_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

int pubdb_void_build(const uint8_t chip_id[PUBDB_CHIP_ID_LEN], uint64_t generation,
		     const char *reason, EVP_PKEY *key, X509 *signer, uint8_t **out,
		     size_t *out_len, char *err, size_t errlen)
{
	uint8_t body[VOID_HEAD + PUBDB_VOID_REASON_MAX];
	size_t n = reason ? strlen(reason) : 0;

	*out = NULL;
	*out_len = 0;
	if (generation == 0 || generation > (uint64_t)INT64_MAX)
		return pubdb_fail(err, errlen, -EINVAL, "generation must be 1..2^63-1");
	if (!reason_ok(reason, n))
		return pubdb_fail(err, errlen, -EINVAL,
				  "reason must be 1..%d printable ASCII characters",
				  PUBDB_VOID_REASON_MAX);
	if (!key || !signer)
		return pubdb_fail(err, errlen, -EINVAL, "a void entry must be signed");
	memcpy(body, VOID_MAGIC, 4);
	put_be(body + 4, VOID_VERSION, 2);
	memcpy(body + 6, chip_id, PUBDB_CHIP_ID_LEN);
	put_be(body + 22, generation, 8);
	body[30] = (uint8_t)n;
	memcpy(body + VOID_HEAD, reason, n);
	return pubdb_cms_sign(PUBDB_VOID_OID, body, VOID_HEAD + n, key, signer, out, out_len,
			      err, errlen);
}

int pubdb_void_parse(const uint8_t *buf, size_t len, struct pubdb_void *v,
		     char *err, size_t errlen)
{
	const uint8_t *b;
	size_t n;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = pubdb_cms_unwrap(buf, len, PUBDB_VOID_OID, "id-ct-chipkeyVoid", &v->sig, &b, &n,
			      err, errlen);
	if (rc)
		return rc;
	if (n < VOID_HEAD || memcmp(b, VOID_MAGIC, 4) || get_be(b + 4, 2) != VOID_VERSION) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "content is not a version-1 \"CKVD\" body");
		goto bad;
	}
	memcpy(v->chip_id, b + 6, PUBDB_CHIP_ID_LEN);
	v->generation = get_be(b + 22, 8);
	if (v->generation == 0 || v->generation > (uint64_t)INT64_MAX) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "generation out of range");
		goto bad;
	}
	if (n != VOID_HEAD + (size_t)b[30] || !reason_ok((const char *)b + VOID_HEAD, b[30])) {
		rc = pubdb_fail(err, errlen, -EBADMSG,
				"reason length wrong or not 1..%d printable ASCII characters",
				PUBDB_VOID_REASON_MAX);
		goto bad;
	}
	memcpy(v->reason, b + VOID_HEAD, b[30]);
	v->reason[b[30]] = '\0';
	return 0;
bad:
	memset(v, 0, sizeof(*v));
	return rc;
}
