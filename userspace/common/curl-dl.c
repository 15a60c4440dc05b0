// SPDX-License-Identifier: GPL-2.0-or-later
/* libcurl through dlopen (curl-dl.h). */
#include <dlfcn.h>
#include <stdio.h>

#include "curl-dl.h"

const struct ck_curl *ck_curl(const char *who, char *err, size_t n)
{
	static struct ck_curl c;
	static void *lib;
	void *l;

	if (lib)
		return &c;
	l = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!l) {
		snprintf(err, n, "%s needs libcurl (libcurl.so.4): %s", who, dlerror());
		return NULL;
	}
	*(void **)&c.global_init = dlsym(l, "curl_global_init");
	*(void **)&c.init = dlsym(l, "curl_easy_init");
	*(void **)&c.setopt = dlsym(l, "curl_easy_setopt");
	*(void **)&c.perform = dlsym(l, "curl_easy_perform");
	*(void **)&c.getinfo = dlsym(l, "curl_easy_getinfo");
	*(void **)&c.cleanup = dlsym(l, "curl_easy_cleanup");
	*(void **)&c.strerror = dlsym(l, "curl_easy_strerror");
	*(void **)&c.slist_append = dlsym(l, "curl_slist_append");
	*(void **)&c.slist_free_all = dlsym(l, "curl_slist_free_all");
	if (!c.global_init || !c.init || !c.setopt || !c.perform || !c.getinfo || !c.cleanup ||
	    !c.strerror || !c.slist_append || !c.slist_free_all) {
		snprintf(err, n, "%s: libcurl.so.4 lacks a function", who);
		dlclose(l);
		return NULL;
	}
	c.global_init(CURL_GLOBAL_DEFAULT);
	lib = l;
	return &c;
}
