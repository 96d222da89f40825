/*
 * The keystore's HTTP transport: URLs built and vetted before any
 * connection, one locked-down libcurl handle per fetch, attempts with
 * jittered exponential backoff, the reply into protected memory, and error
 * messages that quote the server without ever quoting the token.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lockcron/http.h"
#include "lockcron/keystore.h"
#include "lockcron/log.h"
#include "keystore-int.h"

enum outcome {
	OUTCOME_DONE,
	OUTCOME_RETRY,
	OUTCOME_FAIL
};

/* Set by lc_keystore_set_cancel; *cancel_flag != 0 ends a fetch. */
static volatile sig_atomic_t	*cancel_flag;

void
lc_keystore_set_cancel(volatile sig_atomic_t *flag)
{
	cancel_flag = flag;
}

static int
cancelled(void)
{
	return (cancel_flag != NULL && *cancel_flag != 0);
}

/* libcurl calls it at every turn of its loop, also after a signal
 * interrupted its wait; non-zero aborts the transfer. */
static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	return (cancelled());
}

/* Appends "/"-separated segments of s, each URL-encoded. */
static int
add_segments(struct lc_buf *b, const char *s, const char *what, char **msg)
{
	const char	*p, *end;
	char		*enc;
	size_t		 len;

	while (*s == '/')
		s++;
	if (*s == '\0') {
		xasprintf(msg, "%s is empty", what);
		return (-1);
	}
	for (p = s; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0 && *end == '\0')
			break;	/* a trailing "/" */
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			xasprintf(msg, "%s \"%s\" has an empty, \".\" or "
			    "\"..\" segment", what, s);
			return (-1);
		}
		enc = curl_easy_escape(NULL, p, (int)len);
		lc_buf_printf(b, "/%s", enc);
		curl_free(enc);
	}
	return (0);
}

/* {url}/v1/{mount}/data/{path} */
char *
keystore_vault_url(struct keystore_fetch *f, char **cause)
{
	struct lc_buf	 b = { 0 };
	const char	*url = f->ks->url;
	char		*msg = NULL;
	size_t		 len;

	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	lc_buf_add(&b, url, len);
	lc_buf_addstr(&b, "/v1");
	if (add_segments(&b, f->ks->mount != NULL ? f->ks->mount : "secret",
	    "mount", &msg) != 0)
		goto fail;
	lc_buf_addstr(&b, "/data");
	if (add_segments(&b, f->path != NULL ? f->path : "", "path",
	    &msg) != 0)
		goto fail;
	return (lc_buf_steal(&b));
fail:
	keystore_fail(f, cause, "%s", msg);
	free(msg);
	lc_buf_free(&b);
	return (NULL);
}

/* url with every "{keys}" replaced by the comma-separated encoded keys. */
char *
keystore_http_json_url(struct keystore_fetch *f, char **cause)
{
	struct lc_buf	 keys = { 0 }, b = { 0 };
	const char	*p, *hit;
	char		*enc;
	size_t		 i;

	if (strstr(f->ks->url, "{keys}") == NULL) {
		keystore_fail(f, cause, "url has no {keys} placeholder");
		return (NULL);
	}
	for (i = 0; i < f->nkeys; i++) {
		enc = curl_easy_escape(NULL, f->keys[i], 0);
		lc_buf_printf(&keys, "%s%s", i == 0 ? "" : ",", enc);
		curl_free(enc);
	}
	for (p = f->ks->url; (hit = strstr(p, "{keys}")) != NULL; p = hit + 6) {
		lc_buf_add(&b, p, (size_t)(hit - p));
		lc_buf_add(&b, keys.data, keys.len);
	}
	lc_buf_addstr(&b, p);
	lc_buf_free(&keys);
	return (lc_buf_steal(&b));
}

/*
 * Parses and vets the URL before any connection: http or https, no
 * credentials in it, plain http only to loopback. The parsed handle is what
 * libcurl is given, so what was checked is what is used.
 */
static CURLU *
check_url(struct keystore_fetch *f, const char *url, char **cause)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*scheme = NULL, *host = NULL, *user = NULL, *s = NULL;

	u = curl_url();
	if ((rc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		keystore_fail(f, cause, "invalid url: %s",
		    curl_url_strerror(rc));
		goto fail;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		keystore_fail(f, cause, "the url holds credentials; use "
		    "token_file");
		goto fail;
	}
	if (scheme == NULL || host == NULL || (strcmp(scheme, "https") != 0 &&
	    strcmp(scheme, "http") != 0)) {
		keystore_fail(f, cause, "only http and https urls are allowed");
		goto fail;
	}
	curl_url_get(u, CURLUPART_URL, &s, 0);
	free(f->url);
	f->url = xstrdup(s);
	if (strcmp(scheme, "http") == 0 && !lc_host_is_loopback(host)) {
		keystore_fail(f, cause, "GET %s: plain http is allowed only to "
		    "a loopback host (127.0.0.0/8, ::1, localhost); use https",
		    f->url);
		goto fail;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(s);
	return (u);
fail:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(s);
	curl_url_cleanup(u);
	return (NULL);
}

static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct keystore_body	*b = arg;
	size_t		 n = size * nmemb, cap;

	if (n > LC_KEYSTORE_MAX_BODY - b->len) {
		b->too_big = 1;
		return (0);	/* libcurl aborts: CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 16384 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > LC_KEYSTORE_MAX_BODY + 1)
			cap = LC_KEYSTORE_MAX_BODY + 1;
		b->data = lc_secure_realloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return (n);
}

/* The request headers; the token is copied in and our copy zeroed. */
static struct curl_slist *
make_headers(const struct keystore_fetch *f)
{
	struct curl_slist	*h = NULL;
	const char		*name;
	char			*line;
	size_t			 nlen;

	h = curl_slist_append(h, "Accept: application/json");
	if (f->ks->type == LC_KEYSTORE_VAULT_KV2 &&
	    f->ks->vault_namespace != NULL) {
		xasprintf(&line, "X-Vault-Namespace: %s",
		    f->ks->vault_namespace);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (f->token != NULL) {
		name = f->ks->type == LC_KEYSTORE_VAULT_KV2 ?
		    "X-Vault-Token: " : "Authorization: Bearer ";
		nlen = strlen(name);
		line = lc_secure_alloc(nlen + f->toklen + 1);
		memcpy(line, name, nlen);
		memcpy(line + nlen, f->token, f->toklen + 1);
		h = curl_slist_append(h, line);
		lc_secure_free(line);
	}
	return (h);
}

/* Zeroes every header (one holds the token) before freeing the list. */
static void
free_headers(struct curl_slist *h)
{
	struct curl_slist	*l;

	for (l = h; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(h);
}

/* A client key anyone may read is refused, as a token would be. */
static int
check_key_file(const struct keystore_fetch *f, char **cause)
{
	struct stat	 sb;

	if (f->ks->key_file == NULL)
		return (0);
	if (stat(f->ks->key_file, &sb) != 0) {
		keystore_fail(f, cause, "key_file %s: %s", f->ks->key_file,
		    strerror(errno));
		return (-1);
	}
	if (sb.st_mode & S_IROTH) {
		keystore_fail(f, cause, "key_file %s is readable by others "
		    "(mode %04o)", f->ks->key_file,
		    (unsigned)(sb.st_mode & 07777));
		return (-1);
	}
	return (0);
}

static int64_t
ms_or(int64_t ms, int64_t def)
{
	return (ms > 0 ? ms : def);
}

/*
 * Without ca_file, trust the system's hashed CA directory rather than its
 * bundle: OpenSSL then loads only the issuer it needs, where parsing the
 * whole bundle costs ~18 ms on every run (docs/performance.md).
 */
static int
use_system_capath(CURL *c)
{
#if LIBCURL_VERSION_NUM >= 0x075400
	struct stat	 sb;
	char		*capath = NULL;

	if (curl_easy_getinfo(c, CURLINFO_CAPATH, &capath) != CURLE_OK ||
	    capath == NULL || stat(capath, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return (0);	/* keep libcurl's default bundle */
	return (curl_easy_setopt(c, CURLOPT_CAINFO, NULL) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_CAPATH, capath) == CURLE_OK ? 0 : -1);
#else
	return (0);
#endif
}

/* A handle locked down to one GET of u: no redirects, no proxy, TLS on. */
static CURL *
easy_new(struct keystore_fetch *f, CURLU *u, struct curl_slist *hdrs,
    char *errbuf)
{
	const struct lc_keystore_conf	*ks = f->ks;
	CURL				*c;
	int				 ok;

	if ((c = curl_easy_init()) == NULL)
		return (NULL);
	ok = curl_easy_setopt(c, CURLOPT_CURLU, u) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == 0 &&
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ==
	    0 && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == 0 &&
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb) == 0 &&
	    curl_easy_setopt(c, CURLOPT_PROXY, "") == 0 &&
	    curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) == 0 &&
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    (long)ms_or(ks->timeout_ms, LC_KEYSTORE_TIMEOUT_MS)) == 0 &&
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)ms_or(ks->connect_timeout_ms,
	    LC_KEYSTORE_CONNECT_TIMEOUT_MS)) == 0 &&
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == 0 &&
	    curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) == 0 &&
	    (ks->ca_file == NULL ? use_system_capath(c) == 0 :
	    curl_easy_setopt(c, CURLOPT_CAINFO, ks->ca_file) == 0) &&
	    (ks->cert_file == NULL ||
	    curl_easy_setopt(c, CURLOPT_SSLCERT, ks->cert_file) == 0) &&
	    (ks->key_file == NULL ||
	    curl_easy_setopt(c, CURLOPT_SSLKEY, ks->key_file) == 0) &&
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)LC_KEYSTORE_MAX_BODY) == 0 &&
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb) == 0 &&
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f->body) == 0 &&
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == 0 &&
	    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/"
	    PACKAGE_VERSION) == 0;
	if (!ok) {
		curl_easy_cleanup(c);
		return (NULL);
	}
	return (c);
}

/*
 * Text from the server for an error message: cleaned of control bytes,
 * shortened, and with the token masked should the server echo it.
 */
static char *
sanitize(const struct keystore_fetch *f, const char *s, size_t len)
{
	struct lc_buf	 b = { 0 };
	size_t		 i;

	for (i = 0; i < len && b.len < 300; i++) {
		if (f->toklen >= LC_MASK_MIN_LEN && len - i >= f->toklen &&
		    memcmp(s + i, f->token, f->toklen) == 0) {
			lc_buf_addstr(&b, LC_MASK_TEXT);
			i += f->toklen - 1;
		} else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			lc_buf_addstr(&b, " ");
		else
			lc_buf_add(&b, s + i, 1);
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	if (i < len)
		lc_buf_addstr(&b, "...");
	return (lc_buf_steal(&b));
}

/* Joins Vault's {"errors": [...]} (or a message field) into one line. */
char *
keystore_error_text(const struct keystore_fetch *f, json_t *root)
{
	struct lc_buf	 b = { 0 };
	json_t		*v, *e;
	size_t		 i;
	char		*s;

	if (json_is_array(v = json_object_get(root, "errors"))) {
		json_array_foreach(v, i, e) {
			if (json_is_string(e))
				lc_buf_printf(&b, "%s%s", b.len ? "; " : "",
				    json_string_value(e));
		}
	} else {
		if (json_is_object(v = json_object_get(root, "answer")))
			root = v;
		else if (json_is_string(v))
			lc_buf_addstr(&b, json_string_value(v));
		if (!json_is_string(v = json_object_get(root, "message")))
			v = json_object_get(root, "error");
		if (b.len == 0 && json_is_string(v))
			lc_buf_addstr(&b, json_string_value(v));
	}
	if (b.len == 0) {
		lc_buf_free(&b);
		return (NULL);
	}
	s = sanitize(f, b.data, b.len);
	lc_buf_free(&b);
	return (s);
}

/* What an error reply says about itself, or NULL. */
static char *
error_detail(const struct keystore_fetch *f)
{
	json_t	*root;
	char	*s;

	if (f->body.len == 0)
		return (NULL);
	root = json_loadb(f->body.data, f->body.len, 0, NULL);
	if (root != NULL) {
		s = json_is_object(root) ? keystore_error_text(f, root) : NULL;
		json_decref(root);
		return (s);
	}
	return (sanitize(f, f->body.data, f->body.len));
}

/* The message for a reply with a non-2xx status. */
static char *
http_error(const struct keystore_fetch *f, long status)
{
	char	*detail, *msg;

	if (status >= 300 && status < 400) {
		xasprintf(&msg, "HTTP %ld: redirects are not followed", status);
		return (msg);
	}
	if (status == 404 && f->ks->type == LC_KEYSTORE_VAULT_KV2) {
		xasprintf(&msg, "HTTP 404: secret not found or deleted: %s",
		    f->path);
		return (msg);
	}
	detail = error_detail(f);
	if (detail != NULL && *detail != '\0')
		xasprintf(&msg, "HTTP %ld: %s", status, detail);
	else
		xasprintf(&msg, "HTTP %ld", status);
	free(detail);
	return (msg);
}

/* One request. *msg says why when the outcome is not DONE. */
static enum outcome
attempt(struct keystore_fetch *f, CURL *c, char *errbuf, char **msg)
{
	CURLcode	 rc;
	long		 status = 0;

	if (f->body.data != NULL)
		explicit_bzero(f->body.data, f->body.cap);
	f->body.len = 0;
	f->body.too_big = 0;
	errbuf[0] = '\0';
	rc = curl_easy_perform(c);
	f->stats->attempts++;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	f->stats->http_status = status;
	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK) {
			xasprintf(msg, "cancelled");
			return (OUTCOME_FAIL);
		}
		if (f->body.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			xasprintf(msg, "reply larger than %d bytes",
			    LC_KEYSTORE_MAX_BODY);
			return (OUTCOME_FAIL);
		}
		xasprintf(msg, "%s", errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		return (lc_http_retryable(rc) ? OUTCOME_RETRY : OUTCOME_FAIL);
	}
	if (status >= 200 && status < 300)
		return (OUTCOME_DONE);
	*msg = http_error(f, status);
	return (status >= 500 ? OUTCOME_RETRY : OUTCOME_FAIL);
}

/* Runs the attempts with backoff; returns the last outcome. */
static enum outcome
perform(struct keystore_fetch *f, CURL *c, char *errbuf, char **msg)
{
	enum outcome	 o;
	int		 tries, n;

	tries = f->ks->retries < 0 ? 0 : f->ks->retries;
	if (tries > LC_KEYSTORE_MAX_RETRIES)
		tries = LC_KEYSTORE_MAX_RETRIES;
	tries++;
	for (n = 1;; n++) {
		free(*msg);
		*msg = NULL;
		o = attempt(f, c, errbuf, msg);
		if (o != OUTCOME_RETRY || n >= tries || cancelled())
			break;
		log_debug("keystore \"%s\": attempt %d: %s; retrying",
		    f->ks->name, n, *msg);
		lc_http_backoff(n, LC_KEYSTORE_BACKOFF_MS,
		    LC_KEYSTORE_BACKOFF_MAX_MS, cancelled);
		if (cancelled()) {
			free(*msg);
			xasprintf(msg, "cancelled");
			return (OUTCOME_FAIL);
		}
	}
	return (o);
}

/* GET url, with retries, and parse the reply. */
struct lc_secret_set *
keystore_fetch_http(struct keystore_fetch *f, const char *url, char **cause)
{
	struct lc_secret_set	*set = NULL;
	struct curl_slist	*hdrs = NULL;
	CURLU			*u;
	CURL			*c = NULL;
	char			 errbuf[CURL_ERROR_SIZE], *msg = NULL;
	enum outcome		 o;

	if ((u = check_url(f, url, cause)) == NULL)
		return (NULL);
	if (check_key_file(f, cause) != 0 || keystore_read_token(f, cause) != 0)
		goto out;
	hdrs = make_headers(f);
	if ((c = easy_new(f, u, hdrs, errbuf)) == NULL) {
		keystore_fail(f, cause, "cannot set up a libcurl handle");
		goto out;
	}
	o = perform(f, c, errbuf, &msg);
	if (o == OUTCOME_DONE)
		set = keystore_parse_reply(f, &msg);
	if (set == NULL && f->stats->attempts > 1)
		keystore_fail(f, cause, "GET %s: %s (%d attempts)", f->url, msg,
		    f->stats->attempts);
	else if (set == NULL)
		keystore_fail(f, cause, "GET %s: %s", f->url, msg);
out:
	free(msg);
	if (c != NULL)
		curl_easy_cleanup(c);
	free_headers(hdrs);
	curl_url_cleanup(u);
	return (set);
}

