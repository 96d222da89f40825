/*
 * Keystores: one fetch of the keys a job needs, from Vault KV v2, an
 * http-json service or a local JSON file, into protected memory. The token
 * and the reply live in protected memory too and are zeroed after use;
 * libcurl and jansson are given allocators that zero what they free. This
 * file has the providers, the parsing and the API; the HTTP transport is in
 * keystore-http.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lockcron/keystore.h"
#include "keystore-int.h"

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
void
keystore_fail(const struct keystore_fetch *f, char **cause, const char *fmt,
    ...)
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
check_private(const struct keystore_fetch *f, int fd, const char *what,
    const char *path, int owner_only, char **cause)
{
	struct stat	 sb;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		keystore_fail(f, cause, "%s %s is not a regular file", what,
		    path);
		return (-1);
	}
	if (sb.st_uid != geteuid() && (owner_only || sb.st_uid != 0)) {
		keystore_fail(f, cause, "%s %s is owned by uid %ld, not %ld",
		    what, path, (long)sb.st_uid, (long)geteuid());
		return (-1);
	}
	if (sb.st_mode & (S_IRGRP | S_IROTH)) {
		keystore_fail(f, cause, "%s %s is readable by group or others "
		    "(mode %04o); chmod 0600 it", what, path,
		    (unsigned)(sb.st_mode & 07777));
		return (-1);
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		keystore_fail(f, cause, "%s %s is writable by group or others "
		    "(mode %04o); chmod 0600 it", what, path,
		    (unsigned)(sb.st_mode & 07777));
		return (-1);
	}
	return (0);
}

/* Reads a private file of at most max bytes into protected memory. */
static char *
read_private(const struct keystore_fetch *f, const char *what, const char *path,
    int owner_only, size_t max, size_t *lenp, char **cause)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		keystore_fail(f, cause, "cannot open %s %s: %s", what, path,
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
			keystore_fail(f, cause, "cannot read %s %s: %s", what,
			    path, strerror(errno));
			goto fail;
		}
		if ((len += (size_t)n) > max) {
			keystore_fail(f, cause, "%s %s is larger than %zu "
			    "bytes", what, path, max);
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
int
keystore_read_token(struct keystore_fetch *f, char **cause)
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
		keystore_fail(f, cause, "token_file %s %s", path, len == 0 ?
		    "is empty" : "holds control characters");
		lc_secure_free(tok);
		return (-1);
	}
	f->token = tok;
	f->toklen = len;
	return (0);
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
take_keys(const struct keystore_fetch *f, json_t *obj, const char *where,
    char **msg)
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
parse_vault(const struct keystore_fetch *f, json_t *root, char **msg)
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
parse_http_json(const struct keystore_fetch *f, json_t *root, char **msg)
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
		detail = keystore_error_text(f, root);
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
struct lc_secret_set *
keystore_parse_reply(const struct keystore_fetch *f, char **msg)
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

/* type "file": a private JSON object of strings. */
static struct lc_secret_set *
fetch_file(struct keystore_fetch *f, char **cause)
{
	struct lc_secret_set	*set = NULL;
	json_t			*root;
	char			*text, *msg = NULL, *where;
	size_t			 len;

	if (f->ks->file == NULL) {
		keystore_fail(f, cause, "no file is set");
		return (NULL);
	}
	f->stats->attempts = 1;
	text = read_private(f, "file", f->ks->file, 1, LC_KEYSTORE_MAX_BODY,
	    &len, cause);
	if (text == NULL)
		return (NULL);
	xasprintf(&where, "file %s", f->ks->file);
	if ((root = parse_json(text, len, &msg)) == NULL)
		keystore_fail(f, cause, "%s: %s", where, msg);
	else if ((set = take_keys(f, root, where, &msg)) == NULL)
		keystore_fail(f, cause, "%s", msg);
	json_decref(root);
	free(where);
	free(msg);
	lc_secure_free(text);
	return (set);
}

/* Key names go into URLs and messages: printable, not "." or "..". */
static int
check_keys(const struct keystore_fetch *f, char **cause)
{
	const char	*k, *p;
	size_t		 i;

	if (f->nkeys == 0) {
		keystore_fail(f, cause, "no keys to fetch");
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
			keystore_fail(f, cause, "invalid key name \"%s\"",
			    *p != '\0' ? "?" : k);
			return (-1);
		}
	}
	return (0);
}

/* Dispatches on the keystore's type. */
static struct lc_secret_set *
fetch_one(struct keystore_fetch *f, char **cause)
{
	struct lc_secret_set	*set = NULL;
	char			*url = NULL;

	if (check_keys(f, cause) != 0)
		return (NULL);
	if (f->ks->type == LC_KEYSTORE_FILE)
		return (fetch_file(f, cause));
	if (f->ks->url == NULL) {
		keystore_fail(f, cause, "no url is set");
		return (NULL);
	}
	if (f->ks->type == LC_KEYSTORE_VAULT_KV2)
		url = keystore_vault_url(f, cause);
	else
		url = keystore_http_json_url(f, cause);
	if (url != NULL)
		set = keystore_fetch_http(f, url, cause);
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
	struct keystore_fetch			 f;
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
