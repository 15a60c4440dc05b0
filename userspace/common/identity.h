/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device identities: 15 decimal digits, the last a Luhn check digit over
 * the first 14 (the IMEI rule).  The one home of the Luhn algorithm.
 */
#ifndef CHIPKEY_COMMON_IDENTITY_H
#define CHIPKEY_COMMON_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#define CK_IDENTITY_LEN 15

/*
 * The Luhn check digit (0..9) that completes the @n digits at @digits, or
 * -EINVAL if @n is 0 or a character is not a decimal digit.
 */
int ck_luhn_digit(const char *digits, size_t n);

/* Whether the NUL-terminated @s (at least 2 digits) ends in its check digit. */
bool ck_luhn_valid(const char *s);

/* Whether @s is a device identity: exactly 15 digits, Luhn-valid. */
bool ck_identity_valid(const char *s);

/* Same for @n bytes that need not be NUL-terminated. */
bool ck_identity_valid_n(const char *s, size_t n);

/* Append the check digit to the 14 digits @body: 0 or -EINVAL. */
int ck_identity_complete(const char *body, char out[CK_IDENTITY_LEN + 1]);

#endif /* CHIPKEY_COMMON_IDENTITY_H */
