/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libcurl loaded with dlopen on first use, the one copy for recovery's
 * https:// (recovery/http.c) and chipkey enroll (cli/enroll-http.c): no
 * chipkey program links libcurl, so every command that makes no HTTPS
 * request starts without it.  Only a program that calls ck_curl() pulls
 * this object out of libck-common.a (chipkey-load does not).
 */
#ifndef CHIPKEY_COMMON_CURL_DL_H
#define CHIPKEY_COMMON_CURL_DL_H

#include <stddef.h>

#include <curl/curl.h>	/* types only */

struct ck_curl {
	CURLcode (*global_init)(long);
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	void (*cleanup)(CURL *);
	const char *(*strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
};

/*
 * libcurl.so.4's functions, loaded and curl_global_init'ed on the first
 * call; NULL if it cannot be loaded or lacks one, the reason in @err
 * ("@who needs libcurl (libcurl.so.4): ...").
 */
const struct ck_curl *ck_curl(const char *who, char *err, size_t n);

#endif
