/*
 * Keystores: one fetch of the keys a job needs, from Vault KV v2, an
 * http-json service or a local JSON file, into protected memory. The token
 * and the reply live in protected memory too and are zeroed after use;
 * libcurl and jansson are given allocators that zero what they free.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lockcron/keystore.h"
#include "lockcron/log.h"

/* The reply, in protected memory; the cap is enforced as bytes arrive. */
struct body {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 too_big;
};

/* One fetch. */
struct fetch {
	const struct lc_keystore_conf	*ks;
	const char			*path;
	const char *const		*keys;
	size_t				 nkeys;
	struct lc_keystore_stats	*stats;
	char				*url;	/* normalised, for messages */
	char				*token;	/* protected, or NULL */
	size_t				 toklen;
	struct body			 body;
};

enum outcome {
	OUTCOME_DONE,
	OUTCOME_RETRY,
	OUTCOME_FAIL
};

static pthread_once_t	 init_once = PTHREAD_ONCE_INIT;
static CURLcode		 init_rc = CURLE_FAILED_INIT;

/* Allocators for libcurl and jansson: free() zeroes the block first. */
static void
zfree(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void *
zmalloc(size_t n)
{
	return (malloc(n));
}

static void *
zrealloc(void *p, size_t n)
{
	size_t	 old;
	void	*q;

	if (p == NULL)
		return (malloc(n));
	old = malloc_usable_size(p);
	if ((q = malloc(n == 0 ? 1 : n)) == NULL)
		return (NULL);
	memcpy(q, p, old < n ? old : n);
	zfree(p);
	return (q);
}

static char *
zstrdup(const char *s)
{
	return (strdup(s));
}

static void *
zcalloc(size_t n, size_t size)
{
	return (calloc(n, size));
}

static void
global_init(void)
{
	init_rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, zmalloc, zfree,
	    zrealloc, zstrdup, zcalloc);
	json_set_alloc_funcs(zmalloc, zfree);
}

int
lc_keystore_global_init(char **cause)
{
	pthread_once(&init_once, global_init);
	if (init_rc != CURLE_OK) {
		lc_set_cause(cause, "libcurl: %s", curl_easy_strerror(init_rc));
		return (-1);
	}
	return (0);
}

/* Sets *cause to 'keystore "NAME": ' and the message. */
static void LC_PRINTF(3, 4)
fail(const struct fetch *f, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	lc_set_cause(cause, "keystore \"%s\": %s", f->ks->name, msg);
	free(msg);
}

/* Checks an open file that holds a secret: ours and private. */
static int
check_private(const struct fetch *f, int fd, const char *what,
    const char *path, int owner_only, char **cause)
{
	struct stat	 sb;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fail(f, cause, "%s %s is not a regular file", what, path);
		return (-1);
	}
	if (sb.st_uid != geteuid() && (owner_only || sb.st_uid != 0)) {
		fail(f, cause, "%s %s is owned by uid %ld, not %ld", what, path,
		    (long)sb.st_uid, (long)geteuid());
		return (-1);
	}
	if (sb.st_mode & (S_IRGRP | S_IROTH)) {
		fail(f, cause, "%s %s is readable by group or others (mode "
		    "%04o); chmod 0600 it", what, path,
		    (unsigned)(sb.st_mode & 07777));
		return (-1);
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		fail(f, cause, "%s %s is writable by group or others (mode "
		    "%04o); chmod 0600 it", what, path,
		    (unsigned)(sb.st_mode & 07777));
		return (-1);
	}
	return (0);
}

/* Reads a private file of at most max bytes into protected memory. */
static char *
read_private(const struct fetch *f, const char *what, const char *path,
    int owner_only, size_t max, size_t *lenp, char **cause)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		fail(f, cause, "cannot open %s %s: %s", what, path,
		    strerror(errno));
		return (NULL);
	}
	if (check_private(f, fd, what, path, owner_only, cause) != 0)
		goto fail;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4000 : cap * 2;
			buf = lc_secure_realloc(buf, cap + 1);
		}
		if ((n = read(fd, buf + len, cap - len)) == 0)
			break;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fail(f, cause, "cannot read %s %s: %s", what, path,
			    strerror(errno));
			goto fail;
		}
		if ((len += (size_t)n) > max) {
			fail(f, cause, "%s %s is larger than %zu bytes", what,
			    path, max);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return (buf);
fail:
	close(fd);
	lc_secure_free(buf);
	return (NULL);
}

/* Reads the token (again, on every fetch: tokens rotate). */
static int
read_token(struct fetch *f, char **cause)
{
	const char	*path = f->ks->token_file;
	size_t		 len, i;
	char		*tok;

	if (path == NULL)
		return (0);
	tok = read_private(f, "token_file", path, 0, LC_KEYSTORE_MAX_TOKEN,
	    &len, cause);
	if (tok == NULL)
		return (-1);
	while (len > 0 && strchr(" \t\r\n", tok[len - 1]) != NULL)
		tok[--len] = '\0';
	for (i = 0; i < len; i++) {
		if ((unsigned char)tok[i] < 0x20 || tok[i] == 0x7f)
			break;
	}
	if (len == 0 || i < len) {
		fail(f, cause, "token_file %s %s", path, len == 0 ?
		    "is empty" : "holds control characters");
		lc_secure_free(tok);
		return (-1);
	}
	f->token = tok;
	f->toklen = len;
	return (0);
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
static char *
vault_url(struct fetch *f, char **cause)
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
	fail(f, cause, "%s", msg);
	free(msg);
	lc_buf_free(&b);
	return (NULL);
}

/* url with every "{keys}" replaced by the comma-separated encoded keys. */
static char *
http_json_url(struct fetch *f, char **cause)
{
	struct lc_buf	 keys = { 0 }, b = { 0 };
	const char	*p, *hit;
	char		*enc;
	size_t		 i;

	if (strstr(f->ks->url, "{keys}") == NULL) {
		fail(f, cause, "url has no {keys} placeholder");
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

/* 127.0.0.0/8, ::1 (also v4-mapped) or the name localhost. */
static int
is_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	char		 buf[64];
	size_t		 len;

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0)
		return (1);
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ((ntohl(a4.s_addr) >> 24) == 127);
	len = strlen(host);
	if (len < 3 || len >= sizeof buf || host[0] != '[' ||
	    host[len - 1] != ']')
		return (0);
	memcpy(buf, host + 1, len - 2);
	buf[len - 2] = '\0';
	buf[strcspn(buf, "%")] = '\0';
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return (0);
	return (IN6_IS_ADDR_LOOPBACK(&a6) ||
	    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127));
}

/*
 * Parses and vets the URL before any connection: http or https, no
 * credentials in it, plain http only to loopback. The parsed handle is what
 * libcurl is given, so what was checked is what is used.
 */
static CURLU *
check_url(struct fetch *f, const char *url, char **cause)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*scheme = NULL, *host = NULL, *user = NULL, *s = NULL;

	u = curl_url();
	if ((rc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		fail(f, cause, "invalid url: %s", curl_url_strerror(rc));
		goto fail;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		fail(f, cause, "the url holds credentials; use token_file");
		goto fail;
	}
	if (scheme == NULL || host == NULL || (strcmp(scheme, "https") != 0 &&
	    strcmp(scheme, "http") != 0)) {
		fail(f, cause, "only http and https urls are allowed");
		goto fail;
	}
	curl_url_get(u, CURLUPART_URL, &s, 0);
	free(f->url);
	f->url = xstrdup(s);
	if (strcmp(scheme, "http") == 0 && !is_loopback(host)) {
		fail(f, cause, "GET %s: plain http is allowed only to a loopback "
		    "host (127.0.0.0/8, ::1, localhost); use https", f->url);
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
	struct body	*b = arg;
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
make_headers(const struct fetch *f)
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
check_key_file(const struct fetch *f, char **cause)
{
	struct stat	 sb;

	if (f->ks->key_file == NULL)
		return (0);
	if (stat(f->ks->key_file, &sb) != 0) {
		fail(f, cause, "key_file %s: %s", f->ks->key_file,
		    strerror(errno));
		return (-1);
	}
	if (sb.st_mode & S_IROTH) {
		fail(f, cause, "key_file %s is readable by others (mode %04o)",
		    f->ks->key_file, (unsigned)(sb.st_mode & 07777));
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
easy_new(struct fetch *f, CURLU *u, struct curl_slist *hdrs, char *errbuf)
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

/* Transport failures worth another attempt; TLS trust failures are not. */
static int
retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return (1);
	default:
		return (0);
	}
}

/*
 * Text from the server for an error message: cleaned of control bytes,
 * shortened, and with the token masked should the server echo it.
 */
static char *
sanitize(const struct fetch *f, const char *s, size_t len)
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
static char *
json_error_text(const struct fetch *f, json_t *root)
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
error_detail(const struct fetch *f)
{
	json_t	*root;
	char	*s;

	if (f->body.len == 0)
		return (NULL);
	root = json_loadb(f->body.data, f->body.len, 0, NULL);
	if (root != NULL) {
		s = json_is_object(root) ? json_error_text(f, root) : NULL;
		json_decref(root);
		return (s);
	}
	return (sanitize(f, f->body.data, f->body.len));
}

/* The message for a reply with a non-2xx status. */
static char *
http_error(const struct fetch *f, long status)
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
attempt(struct fetch *f, CURL *c, char *errbuf, char **msg)
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
		if (f->body.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			xasprintf(msg, "reply larger than %d bytes",
			    LC_KEYSTORE_MAX_BODY);
			return (OUTCOME_FAIL);
		}
		xasprintf(msg, "%s", errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		return (retryable(rc) ? OUTCOME_RETRY : OUTCOME_FAIL);
	}
	if (status >= 200 && status < 300)
		return (OUTCOME_DONE);
	*msg = http_error(f, status);
	return (status >= 500 ? OUTCOME_RETRY : OUTCOME_FAIL);
}

/* Sleeps before retry n (1, 2, ...): doubling from the base, +-25%. */
static void
backoff(int n)
{
	struct timespec	 ts;
	unsigned int	 r;
	int64_t		 ms;

	ms = LC_KEYSTORE_BACKOFF_MS;
	while (--n > 0 && ms < LC_KEYSTORE_BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > LC_KEYSTORE_BACKOFF_MAX_MS)
		ms = LC_KEYSTORE_BACKOFF_MAX_MS;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (unsigned int)getpid();
	ms = ms * 3 / 4 + (int64_t)(r % (unsigned int)(ms / 2 + 1));
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ("an object");
	case JSON_ARRAY:
		return ("an array");
	case JSON_INTEGER:
	case JSON_REAL:
		return ("a number");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("a boolean");
	case JSON_NULL:
		return ("null");
	default:
		return ("a string");
	}
}

/* Copies the wanted keys out of obj; every one must be a string. */
static struct lc_secret_set *
take_keys(const struct fetch *f, json_t *obj, const char *where, char **msg)
{
	struct lc_secret_set	*set;
	json_t			*v;
	size_t			 i;

	set = lc_secret_set_new();
	for (i = 0; i < f->nkeys; i++) {
		v = json_object_get(obj, f->keys[i]);
		if (v == NULL) {
			xasprintf(msg, "key \"%s\" not found in %s",
			    f->keys[i], where);
			goto fail;
		}
		if (!json_is_string(v)) {
			xasprintf(msg, "key \"%s\" in %s is %s, not a string",
			    f->keys[i], where, json_type_name(v));
			goto fail;
		}
		lc_secret_set_add(set, f->keys[i], json_string_value(v),
		    json_string_length(v));
	}
	return (set);
fail:
	lc_secret_set_free(set);
	return (NULL);
}

/*
 * Parses text as JSON. jansson's own error text is not used: it quotes
 * the input near the error, which may be a secret.
 */
static json_t *
parse_json(const char *text, size_t len, char **msg)
{
	json_error_t	 err;
	json_t		*root;

	if (len == 0) {
		xasprintf(msg, "empty reply");
		return (NULL);
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	explicit_bzero(err.text, sizeof err.text);
	explicit_bzero(err.source, sizeof err.source);
	if (root == NULL) {
		xasprintf(msg, "not valid JSON (line %d, column %d)", err.line,
		    err.column);
		return (NULL);
	}
	if (!json_is_object(root)) {
		xasprintf(msg, "not a JSON object");
		json_decref(root);
		return (NULL);
	}
	return (root);
}

/* Vault KV v2: the values are under .data.data. */
static struct lc_secret_set *
parse_vault(const struct fetch *f, json_t *root, char **msg)
{
	struct lc_secret_set	*set;
	json_t			*data;
	char			*where;

	data = json_object_get(json_object_get(root, "data"), "data");
	if (data == NULL || json_is_null(data)) {
		xasprintf(msg, "secret not found or deleted: %s", f->path);
		return (NULL);
	}
	if (!json_is_object(data)) {
		xasprintf(msg, "reply has no .data.data object");
		return (NULL);
	}
	xasprintf(&where, "secret %s", f->path);
	set = take_keys(f, data, where, msg);
	free(where);
	return (set);
}

/* http-json: a flat object, or {"status_code": N, "answer": {...}}. */
static struct lc_secret_set *
parse_http_json(const struct fetch *f, json_t *root, char **msg)
{
	json_t		*sc, *answer;
	json_int_t	 n;
	char		*detail;

	sc = json_object_get(root, "status_code");
	if (!json_is_integer(sc))
		return (take_keys(f, root, "the reply", msg));
	n = json_integer_value(sc);
	answer = json_object_get(root, "answer");
	if (n >= 400) {
		detail = json_error_text(f, root);
		xasprintf(msg, "status_code %lld%s%s", (long long)n,
		    detail != NULL ? ": " : "", detail != NULL ? detail : "");
		free(detail);
		return (NULL);
	}
	if (!json_is_object(answer)) {
		xasprintf(msg, "reply has no \"answer\" object");
		return (NULL);
	}
	return (take_keys(f, answer, "the answer", msg));
}

/* Turns the 2xx reply in f->body into the set. */
static struct lc_secret_set *
parse_reply(const struct fetch *f, char **msg)
{
	struct lc_secret_set	*set;
	json_t			*root;

	if ((root = parse_json(f->body.data, f->body.len, msg)) == NULL)
		return (NULL);
	if (f->ks->type == LC_KEYSTORE_VAULT_KV2)
		set = parse_vault(f, root, msg);
	else
		set = parse_http_json(f, root, msg);
	json_decref(root);
	return (set);
}

/* Runs the attempts with backoff; returns the last outcome. */
static enum outcome
perform(struct fetch *f, CURL *c, char *errbuf, char **msg)
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
		if (o != OUTCOME_RETRY || n >= tries)
			break;
		log_debug("keystore \"%s\": attempt %d: %s; retrying",
		    f->ks->name, n, *msg);
		backoff(n);
	}
	return (o);
}

/* GET url, with retries, and parse the reply. */
static struct lc_secret_set *
fetch_http(struct fetch *f, const char *url, char **cause)
{
	struct lc_secret_set	*set = NULL;
	struct curl_slist	*hdrs = NULL;
	CURLU			*u;
	CURL			*c = NULL;
	char			 errbuf[CURL_ERROR_SIZE], *msg = NULL;
	enum outcome		 o;

	if ((u = check_url(f, url, cause)) == NULL)
		return (NULL);
	if (check_key_file(f, cause) != 0 || read_token(f, cause) != 0)
		goto out;
	hdrs = make_headers(f);
	if ((c = easy_new(f, u, hdrs, errbuf)) == NULL) {
		fail(f, cause, "cannot set up a libcurl handle");
		goto out;
	}
	o = perform(f, c, errbuf, &msg);
	if (o == OUTCOME_DONE)
		set = parse_reply(f, &msg);
	if (set == NULL && f->stats->attempts > 1)
		fail(f, cause, "GET %s: %s (%d attempts)", f->url, msg,
		    f->stats->attempts);
	else if (set == NULL)
		fail(f, cause, "GET %s: %s", f->url, msg);
out:
	free(msg);
	if (c != NULL)
		curl_easy_cleanup(c);
	free_headers(hdrs);
	curl_url_cleanup(u);
	return (set);
}

/* type "file": a private JSON object of strings. */
static struct lc_secret_set *
fetch_file(struct fetch *f, char **cause)
{
	struct lc_secret_set	*set = NULL;
	json_t			*root;
	char			*text, *msg = NULL, *where;
	size_t			 len;

	if (f->ks->file == NULL) {
		fail(f, cause, "no file is set");
		return (NULL);
	}
	f->stats->attempts = 1;
	text = read_private(f, "file", f->ks->file, 1, LC_KEYSTORE_MAX_BODY,
	    &len, cause);
	if (text == NULL)
		return (NULL);
	xasprintf(&where, "file %s", f->ks->file);
	if ((root = parse_json(text, len, &msg)) == NULL)
		fail(f, cause, "%s: %s", where, msg);
	else if ((set = take_keys(f, root, where, &msg)) == NULL)
		fail(f, cause, "%s", msg);
	json_decref(root);
	free(where);
	free(msg);
	lc_secure_free(text);
	return (set);
}

/* Key names go into URLs and messages: printable, not "." or "..". */
static int
check_keys(const struct fetch *f, char **cause)
{
	const char	*k, *p;
	size_t		 i;

	if (f->nkeys == 0) {
		fail(f, cause, "no keys to fetch");
		return (-1);
	}
	for (i = 0; i < f->nkeys; i++) {
		k = f->keys[i];
		for (p = k; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				break;
		}
		if (*k == '\0' || *p != '\0' || strcmp(k, ".") == 0 ||
		    strcmp(k, "..") == 0) {
			fail(f, cause, "invalid key name \"%s\"",
			    *p != '\0' ? "?" : k);
			return (-1);
		}
	}
	return (0);
}

/* Dispatches on the keystore's type. */
static struct lc_secret_set *
fetch_one(struct fetch *f, char **cause)
{
	struct lc_secret_set	*set = NULL;
	char			*url = NULL;

	if (check_keys(f, cause) != 0)
		return (NULL);
	if (f->ks->type == LC_KEYSTORE_FILE)
		return (fetch_file(f, cause));
	if (f->ks->url == NULL) {
		fail(f, cause, "no url is set");
		return (NULL);
	}
	if (f->ks->type == LC_KEYSTORE_VAULT_KV2)
		url = vault_url(f, cause);
	else
		url = http_json_url(f, cause);
	if (url != NULL)
		set = fetch_http(f, url, cause);
	free(url);
	return (set);
}

struct lc_secret_set *
lc_keystore_fetch(const struct lc_keystore_conf *ks, const char *path,
    const char *const *keys, size_t nkeys, struct lc_keystore_stats *stats,
    char **cause)
{
	struct lc_keystore_stats	 dummy;
	struct lc_secret_set		*set = NULL;
	struct fetch			 f;
	int64_t				 t0;

	t0 = lc_mono_ms();
	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	memset(&f, 0, sizeof f);
	f.ks = ks;
	f.path = path;
	f.keys = keys;
	f.nkeys = nkeys;
	f.stats = stats;
	if (lc_keystore_global_init(cause) == 0)
		set = fetch_one(&f, cause);
	lc_secure_free(f.token);
	lc_secure_free(f.body.data);
	free(f.url);
	stats->duration_ms = lc_mono_ms() - t0;
	return (set);
}

struct lc_secret_set *
lc_keystore_fetch_job(const struct lc_job_secrets *js,
    struct lc_keystore_stats *stats, char **cause)
{
	struct lc_secret_set	*set;
	const char		**keys;
	size_t			  n = 0, i, j;

	if (js->keystore == NULL) {
		lc_set_cause(cause, "the job has no keystore");
		return (NULL);
	}
	keys = xreallocarray(NULL, js->nenv + js->nfiles + 1, sizeof *keys);
	for (i = 0; i < js->nenv + js->nfiles; i++) {
		keys[n] = i < js->nenv ? js->env[i].key :
		    js->files[i - js->nenv].key;
		for (j = 0; j < n && strcmp(keys[j], keys[n]) != 0; j++)
			;
		if (j == n)
			n++;
	}
	set = lc_keystore_fetch(js->keystore, js->path, keys, n, stats, cause);
	free(keys);
	return (set);
}

char *
lc_keystore_event_detail(const struct lc_keystore_conf *ks,
    const struct lc_secret_set *set, const struct lc_keystore_stats *stats)
{
	json_t	*o, *keys;
	size_t	 i;
	char	*s, *copy;

	keys = json_array();
	for (i = 0; set != NULL && i < lc_secret_set_count(set); i++)
		json_array_append_new(keys,
		    json_string(lc_secret_set_key(set, i)));
	o = json_pack("{s:s, s:o, s:I, s:i}", "keystore",
	    ks->name != NULL ? ks->name : "", "keys", keys, "duration_ms",
	    (json_int_t)stats->duration_ms, "attempts", stats->attempts);
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return (xstrdup("{}"));
	}
	json_decref(o);
	copy = xstrdup(s);
	free(s);
	return (copy);
}
