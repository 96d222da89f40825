/*
 * Webhooks and pings over HTTP: the URL vetted before any connection, one
 * libcurl handle locked down like the keystore's (no redirects, no proxy,
 * TLS verified), a timeout per attempt and a few attempts with jittered
 * exponential backoff. The reply is read and dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lockcron/http.h"
#include "lockcron/keystore.h"
#include "lockcron/log.h"
#include "lockcron/util.h"
#include "notify-int.h"

enum outcome {
	OUTCOME_DONE,
	OUTCOME_RETRY,
	OUTCOME_FAIL
};

/* Per-attempt timeout: LOCKCRON_NOTIFY_TIMEOUT_MS (a test hook) or ours. */
static long
attempt_timeout_ms(void)
{
	const char	*v = getenv("LOCKCRON_NOTIFY_TIMEOUT_MS");
	long long	 n;

	if (v != NULL && lc_parse_int(v, 100, 600000, &n) == 0)
		return ((long)n);
	return (LC_NOTIFY_TIMEOUT_MS);
}

/* Parses and vets url: http(s), no credentials, plain http to loopback. */
static CURLU *
check_url(const char *url, char **detail)
{
	CURLU		*u;
	char		*scheme = NULL, *host = NULL, *user = NULL;
	const char	*why = NULL;

	u = curl_url();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		why = "invalid url";
	else {
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
		curl_url_get(u, CURLUPART_HOST, &host, 0);
		if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
			why = "the url holds credentials";
		else if (scheme == NULL || host == NULL ||
		    (strcmp(scheme, "https") != 0 &&
		    strcmp(scheme, "http") != 0))
			why = "only http and https urls are allowed";
		else if (strcmp(scheme, "http") == 0 &&
		    !lc_host_is_loopback(host))
			why = "plain http is allowed only to a loopback host";
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	if (why == NULL)
		return (u);
	*detail = xstrdup(why);
	curl_url_cleanup(u);
	return (NULL);
}

static size_t
discard_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return (size * nmemb);
}

/* A handle for one request to u: no redirects, no proxy, TLS verified. */
static CURL *
easy_new(CURLU *u, const char *method, struct curl_slist *hdrs,
    const char *body, size_t len, char *errbuf)
{
	CURL	*c;
	long	 timeout = attempt_timeout_ms();
	int	 ok;

	if ((c = curl_easy_init()) == NULL)
		return (NULL);
	ok = curl_easy_setopt(c, CURLOPT_CURLU, u) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == 0 &&
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ==
	    0 && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == 0 &&
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_PROXY, "") == 0 &&
	    curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) == 0 &&
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout) == 0 &&
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout < LC_NOTIFY_CONNECT_TIMEOUT_MS ? timeout :
	    (long)LC_NOTIFY_CONNECT_TIMEOUT_MS) == 0 &&
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) == 0 &&
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb) == 0 &&
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == 0 &&
	    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/"
	    PACKAGE_VERSION) == 0;
	if (ok && strcmp(method, "POST") == 0)
		ok = curl_easy_setopt(c, CURLOPT_POST, 1L) == 0 &&
		    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len) == 0 &&
		    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) == 0;
	else if (ok)
		ok = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == 0;
	if (!ok) {
		curl_easy_cleanup(c);
		return (NULL);
	}
	return (c);
}

/* One request; *msg says what happened. */
static enum outcome
attempt(CURL *c, char *errbuf, long *status, char **msg)
{
	CURLcode	 rc;

	errbuf[0] = '\0';
	*status = 0;
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	free(*msg);
	if (rc != CURLE_OK) {
		*msg = xstrdup(errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		return (lc_http_retryable(rc) ? OUTCOME_RETRY : OUTCOME_FAIL);
	}
	if (*status >= 300 && *status < 400)
		xasprintf(msg, "HTTP %ld: redirects are not followed", *status);
	else
		xasprintf(msg, "HTTP %ld", *status);
	if (*status >= 200 && *status < 300)
		return (OUTCOME_DONE);
	return (*status >= 500 || *status == 429 ? OUTCOME_RETRY :
	    OUTCOME_FAIL);
}

/* The attempts; returns 0 on success, -1 after the last failure. */
static int
perform(CURL *c, char *errbuf, char **detail)
{
	enum outcome	 o;
	char		*msg = NULL;
	long		 status;
	int		 n;

	for (n = 1;; n++) {
		o = attempt(c, errbuf, &status, &msg);
		if (o != OUTCOME_RETRY || n > LC_NOTIFY_RETRIES)
			break;
		log_debug("attempt %d: %s; retrying", n, msg);
		lc_http_backoff(n, LC_NOTIFY_BACKOFF_MS,
		    LC_NOTIFY_BACKOFF_MAX_MS, NULL);
	}
	if (n == 1)
		*detail = msg;
	else {
		xasprintf(detail, o == OUTCOME_DONE ? "%s after %d attempts" :
		    "%s (%d attempts)", msg, n);
		free(msg);
	}
	return (o == OUTCOME_DONE ? 0 : -1);
}

int
notify_http(const char *method, const char *url, const char *ctype,
    const char *body, size_t len, char **detail)
{
	struct curl_slist	*hdrs = NULL;
	CURLU			*u;
	CURL			*c;
	char			 errbuf[CURL_ERROR_SIZE], *line;
	int			 rc;

	*detail = NULL;
	if (lc_keystore_global_init(NULL) != 0) {
		*detail = xstrdup("cannot initialise libcurl");
		return (-1);
	}
	if ((u = check_url(url, detail)) == NULL)
		return (-1);
	if (ctype != NULL) {
		xasprintf(&line, "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, line);
		free(line);
	}
	/* No "Expect: 100-continue" round trip before the body. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if ((c = easy_new(u, method, hdrs, body, len, errbuf)) == NULL) {
		*detail = xstrdup("cannot set up a libcurl handle");
		rc = -1;
	} else
		rc = perform(c, errbuf, detail);
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	curl_url_cleanup(u);
	return (rc);
}
