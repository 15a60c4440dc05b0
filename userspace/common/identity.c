// SPDX-License-Identifier: GPL-2.0
/*
 * Device identities and the Luhn check digit: see identity.h.
 */
#include <errno.h>
#include <string.h>

#include "identity.h"

int ck_luhn_digit(const char *digits, size_t n)
{
	unsigned int sum = 0;
	size_t i;

	if (!digits || n == 0)
		return -EINVAL;
	/* From the right: the digit next to the check digit is doubled. */
	for (i = 0; i < n; i++) {
		char c = digits[n - 1 - i];
		unsigned int d;

		if (c < '0' || c > '9')
			return -EINVAL;
		d = (unsigned int)(c - '0');
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (int)((10 - sum % 10) % 10);
}

static bool luhn_valid_n(const char *s, size_t n)
{
	int cd;

	if (n < 2)
		return false;
	cd = ck_luhn_digit(s, n - 1);
	if (cd < 0 || s[n - 1] < '0' || s[n - 1] > '9')
		return false;
	return cd == s[n - 1] - '0';
}

bool ck_luhn_valid(const char *s)
{
	return s && luhn_valid_n(s, strlen(s));
}

bool ck_identity_valid_n(const char *s, size_t n)
{
	return s && n == CK_IDENTITY_LEN && luhn_valid_n(s, n);
}

bool ck_identity_valid(const char *s)
{
	return s && ck_identity_valid_n(s, strlen(s));
}

int ck_identity_complete(const char *body, char out[CK_IDENTITY_LEN + 1])
{
	int cd;

	if (!body || strlen(body) != CK_IDENTITY_LEN - 1)
		return -EINVAL;
	cd = ck_luhn_digit(body, CK_IDENTITY_LEN - 1);
	if (cd < 0)
		return cd;
	memcpy(out, body, CK_IDENTITY_LEN - 1);
	out[CK_IDENTITY_LEN - 1] = (char)('0' + cd);
	out[CK_IDENTITY_LEN] = '\0';
	return 0;
}
