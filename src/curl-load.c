/*
 * libcurl, loaded on first use (lockcron/curl-load.h says why). Each
 * curl_* function lockcron calls is defined here with libcurl's prototype
 * and forwards to the library's own, found with dlsym() after dlopen() of
 * LC_CURL_SONAME. Before the library could be loaded they fail as libcurl
 * does when it cannot initialise (NULL, CURLE_FAILED_INIT), and the
 * *_strerror functions say why it could not be loaded, so every caller's
 * existing error path reports it. The programs do not export these names
 * (no -rdynamic), so the library, loaded RTLD_LOCAL, never calls them.
 */
#include "config.h"

#define CURL_DISABLE_TYPECHECK	/* its macros would rename these below */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockcron/curl-load.h"
#include "lockcron/util.h"

/* The library's functions, in the order of names[] below. */
static struct {
	CURLcode	 (*global_init_mem)(long, curl_malloc_callback,
			     curl_free_callback, curl_realloc_callback,
			     curl_strdup_callback, curl_calloc_callback);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_perform)(CURL *);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	char		*(*easy_escape)(CURL *, const char *, int);
	void		 (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		 (*slist_free_all)(struct curl_slist *);
	CURLU		*(*url)(void);
	void		 (*url_cleanup)(CURLU *);
	CURLUcode	 (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	CURLUcode	 (*url_set)(CURLU *, CURLUPart, const char *,
			     unsigned int);
	const char	*(*url_strerror)(CURLUcode);
} fn;

static const char *const names[] = {
	"curl_global_init_mem", "curl_easy_init", "curl_easy_setopt",
	"curl_easy_perform", "curl_easy_getinfo", "curl_easy_cleanup",
	"curl_easy_strerror", "curl_easy_escape", "curl_free",
	"curl_slist_append", "curl_slist_free_all", "curl_url",
	"curl_url_cleanup", "curl_url_get", "curl_url_set", "curl_url_strerror"
};

/* load() fills fn as an array of pointers. */
_Static_assert(sizeof fn == LC_NELEM(names) * sizeof(void *),
    "fn holds exactly the functions named in names[]");

static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static int		 loaded;
static char		 load_error[512];

/* dlopen() and every dlsym(); on any failure nothing is used. */
static void
load(void)
{
	void	*lib, *sym;
	size_t	 i;

	if ((lib = dlopen(LC_CURL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(load_error, sizeof load_error, "cannot load libcurl: "
		    "%s", dlerror());
		return;
	}
	for (i = 0; i < LC_NELEM(names); i++) {
		if ((sym = dlsym(lib, names[i])) == NULL) {
			snprintf(load_error, sizeof load_error, "cannot load "
			    "libcurl: %s: no %s", LC_CURL_SONAME, names[i]);
			memset(&fn, 0, sizeof fn);
			return;
		}
		/* POSIX: an object pointer from dlsym holds the function. */
		memcpy((char *)&fn + i * sizeof sym, &sym, sizeof sym);
	}
	loaded = 1;
}

int
lc_curl_loaded(void)
{
	return (loaded);
}

int
lc_curl_load(char **cause)
{
	pthread_once(&once, load);
	if (!loaded) {
		lc_set_cause(cause, "%s", load_error);
		return (-1);
	}
	return (0);
}

/* Loads on first use; 0 when the library is there. */
static int
ready(void)
{
	return (lc_curl_load(NULL));
}

CURLcode
curl_global_init_mem(long flags, curl_malloc_callback m, curl_free_callback f,
    curl_realloc_callback r, curl_strdup_callback s, curl_calloc_callback c)
{
	if (ready() != 0)
		return (CURLE_FAILED_INIT);
	return (fn.global_init_mem(flags, m, f, r, s, c));
}

CURL *
curl_easy_init(void)
{
	return (ready() == 0 ? fn.easy_init() : NULL);
}

/* The argument's type follows from the option's range, as in libcurl. */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list		 ap;
	CURLcode	 rc;

	if (ready() != 0)
		return (CURLE_FAILED_INIT);
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = fn.easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = fn.easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = fn.easy_setopt(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = fn.easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = fn.easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return (rc);
}

CURLcode
curl_easy_perform(CURL *h)
{
	return (ready() == 0 ? fn.easy_perform(h) : CURLE_FAILED_INIT);
}

/* Every CURLINFO takes one pointer. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list		 ap;
	CURLcode	 rc;

	if (ready() != 0)
		return (CURLE_FAILED_INIT);
	va_start(ap, info);
	rc = fn.easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return (rc);
}

void
curl_easy_cleanup(CURL *h)
{
	if (loaded)
		fn.easy_cleanup(h);
}

const char *
curl_easy_strerror(CURLcode rc)
{
	return (ready() == 0 ? fn.easy_strerror(rc) : load_error);
}

char *
curl_easy_escape(CURL *h, const char *s, int len)
{
	return (ready() == 0 ? fn.easy_escape(h, s, len) : NULL);
}

void
curl_free(void *p)
{
	if (loaded)
		fn.free(p);
}

struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *s)
{
	return (ready() == 0 ? fn.slist_append(list, s) : NULL);
}

void
curl_slist_free_all(struct curl_slist *list)
{
	if (loaded)
		fn.slist_free_all(list);
}

CURLU *
curl_url(void)
{
	return (ready() == 0 ? fn.url() : NULL);
}

void
curl_url_cleanup(CURLU *u)
{
	if (loaded)
		fn.url_cleanup(u);
}

CURLUcode
curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return (ready() == 0 ? fn.url_get(u, what, part, flags) :
	    CURLUE_OUT_OF_MEMORY);
}

CURLUcode
curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return (ready() == 0 ? fn.url_set(u, what, part, flags) :
	    CURLUE_OUT_OF_MEMORY);
}

const char *
curl_url_strerror(CURLUcode rc)
{
	return (ready() == 0 ? fn.url_strerror(rc) : load_error);
}
