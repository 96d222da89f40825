/*
 * Keystore tests through the real libcurl path: a python keystore server
 * (tests/keystore_server.py) on 127.0.0.1 over HTTP, TLS, TLS with a
 * certificate for another name, and mutual TLS; certificates generated per
 * run. Every error message is checked to hold no secret value or token.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "lockcron/keystore.h"
#include "ksserver.h"

#define TOKEN	"s.tok-0123456789abcdef"
#define TOKEN2	"s.rotated-fedcba9876543210"
#define SECRET	"etl/warehouse"

static const char *values_json =
    "{\"db_host\": \"db.internal.example\", \"db_user\": \"etl_loader\","
    " \"db_password\": \"S3cr3t-Pa55w0rd!\","
    " \"pgpass\": \"db:5432:wh:etl:S3cr3t-Pa55w0rd!\","
    " \"api_key\": \"ak_live_0123456789abcdef\", \"pin\": \"123\","
    " \"weird key/\\u00e4\": \"weird-value-42\"}";

/* Everything that must never appear in an error message. */
static const char *secrets[] = {
	"db.internal.example", "etl_loader", "S3cr3t-Pa55w0rd!",
	"ak_live_0123456789abcdef", "weird-value-42", TOKEN, TOKEN2,
	"0123456789abcdef"
};

static const char *keys3[] = { "db_host", "db_password", "pgpass" };
static const char *keys5[] = {
	"db_host", "db_user", "db_password", "pgpass", "api_key"
};

static struct ks_server		 srv;
static struct lc_keystore_conf	 ks;
static char			 ks_url[1024];
static char			 path_buf[256];
static char			 tag_buf[64];
static int			 ntags;

static int
setup(void **state)
{
	char	*cause = NULL;

	if (lc_keystore_global_init(&cause) != 0)
		return (-1);
	return (ks_server_start(&srv, SECRET, values_json, TOKEN));
}

static int
teardown(void **state)
{
	ks_server_stop(&srv);
	return (0);
}

/* A fresh tag, so each test's request counts are its own. */
static const char *
tag(void)
{
	snprintf(tag_buf, sizeof tag_buf, "t%d-%ld", ++ntags, (long)getpid());
	return (tag_buf);
}

/* The Vault path of scenario NAME under a fresh tag. */
static const char *
scenario(const char *name)
{
	snprintf(path_buf, sizeof path_buf, "scenario/%s/%s", name, tag());
	return (path_buf);
}

static struct lc_keystore_conf *
vault(const char *scheme, int port)
{
	memset(&ks, 0, sizeof ks);
	ks.name = (char *)"vault";
	ks.type = LC_KEYSTORE_VAULT_KV2;
	snprintf(ks_url, sizeof ks_url, "%s://127.0.0.1:%d", scheme, port);
	ks.url = ks_url;
	ks.token_file = srv.token_file;
	ks.ca_file = srv.ca;
	ks.timeout_ms = 5000;
	ks.connect_timeout_ms = 2000;
	ks.retries = 2;
	return (&ks);
}

/* http-json at scheme://127.0.0.1:port + path ({keys} in path). */
static struct lc_keystore_conf *
http_json(const char *scheme, int port, const char *path)
{
	vault(scheme, port);
	ks.name = (char *)"svc";
	ks.type = LC_KEYSTORE_HTTP_JSON;
	snprintf(ks_url, sizeof ks_url, "%s://127.0.0.1:%d%s", scheme, port,
	    path);
	return (&ks);
}

static void
assert_contains(const char *s, const char *sub)
{
	if (strstr(s, sub) == NULL)
		fail_msg("\"%s\" not found in \"%s\"", sub, s);
}

static void
assert_no_secret(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		if (strstr(s, secrets[i]) != NULL)
			fail_msg("secret \"%s\" leaked into \"%s\"", secrets[i],
			    s);
	}
}

static struct lc_secret_set *
fetch_ok(const char *path, const char **keys, size_t n,
    struct lc_keystore_stats *st)
{
	struct lc_secret_set	*set;
	char			*cause = NULL;

	set = lc_keystore_fetch(&ks, path, keys, n, st, &cause);
	if (set == NULL)
		fail_msg("fetch failed: %s", cause);
	return (set);
}

/* Fetches, expects failure; returns the (checked) message to free. */
static char *
fetch_err(const char *path, const char **keys, size_t n,
    struct lc_keystore_stats *st)
{
	struct lc_secret_set	*set;
	char			*cause = NULL, prefix[64];

	set = lc_keystore_fetch(&ks, path, keys, n, st, &cause);
	if (set != NULL) {
		lc_secret_set_free(set);
		fail_msg("fetch of %s unexpectedly succeeded", path);
	}
	assert_non_null(cause);
	assert_no_secret(cause);
	snprintf(prefix, sizeof prefix, "keystore \"%s\": ", ks.name);
	assert_int_equal(strncmp(cause, prefix, strlen(prefix)), 0);
	return (cause);
}

static void
assert_value(const struct lc_secret_set *set, const char *key,
    const char *want)
{
	const char	*v;
	size_t		 len;

	v = lc_secret_set_get(set, key, &len);
	if (v == NULL)
		fail_msg("key %s missing", key);
	assert_string_equal(v, want);
	assert_int_equal(len, strlen(want));
}

static void
assert_three(const struct lc_secret_set *set)
{
	assert_int_equal(lc_secret_set_count(set), 3);
	assert_value(set, "db_host", "db.internal.example");
	assert_value(set, "db_password", "S3cr3t-Pa55w0rd!");
	assert_value(set, "pgpass", "db:5432:wh:etl:S3cr3t-Pa55w0rd!");
}

static void
test_vault_http(void **state)
{
	struct lc_keystore_stats	 st;
	struct lc_secret_set		*set;

	vault("http", srv.plain);
	set = fetch_ok(SECRET, keys3, 3, &st);
	assert_three(set);
	assert_int_equal(st.attempts, 1);
	assert_int_equal(st.http_status, 200);
	assert_true(st.duration_ms >= 0 && st.duration_ms < 5000);
	lc_secret_set_free(set);
}

static void
test_vault_https(void **state)
{
	struct lc_keystore_stats	 st;
	struct lc_secret_set		*set;

	vault("https", srv.tls);
	set = fetch_ok(SECRET, keys3, 3, &st);
	assert_three(set);
	assert_int_equal(st.attempts, 1);
	lc_secret_set_free(set);

	/* mount default, trailing slash on the url, slashes round the path */
	snprintf(ks_url, sizeof ks_url, "https://127.0.0.1:%d/", srv.tls);
	ks.mount = NULL;
	set = fetch_ok("/" SECRET "/", keys3, 3, &st);
	assert_three(set);
	lc_secret_set_free(set);
}

static void
test_vault_namespace(void **state)
{
	struct lc_secret_set	*set;
	const char		*path;
	char			*ns = NULL;

	vault("https", srv.tls);
	ks.vault_namespace = (char *)"team-a";
	path = scenario("ok");
	set = fetch_ok(path, keys3, 3, NULL);
	assert_three(set);
	lc_secret_set_free(set);
	assert_int_equal(ks_server_count(&srv, "ok", tag_buf, &ns), 1);
	assert_non_null(ns);
	assert_string_equal(ns, "team-a");
	free(ns);
}

static void
test_http_json(void **state)
{
	struct lc_keystore_stats	 st;
	struct lc_secret_set		*set;
	const char			*weird[] = { "db_host", "weird key/\xc3\xa4" };

	http_json("http", srv.plain, "/keys/{keys}");
	set = fetch_ok(NULL, keys3, 3, &st);
	assert_three(set);
	assert_int_equal(st.attempts, 1);
	lc_secret_set_free(set);

	http_json("https", srv.tls, "/keys/{keys}");
	set = fetch_ok(NULL, keys3, 3, &st);
	assert_three(set);
	lc_secret_set_free(set);

	/* the wrapped shape, {"status_code": 200, "answer": {...}} */
	http_json("https", srv.tls, "/wrapped/keys/{keys}");
	set = fetch_ok(NULL, keys3, 3, &st);
	assert_three(set);
	lc_secret_set_free(set);

	/* key names are URL-encoded one by one, joined by commas */
	http_json("http", srv.plain, "/keys/{keys}");
	set = fetch_ok(NULL, weird, 2, &st);
	assert_value(set, "weird key/\xc3\xa4", "weird-value-42");
	lc_secret_set_free(set);
}

static void
test_http_json_errors(void **state)
{
	char	*e, path[256];

	snprintf(path, sizeof path, "/scenario/wrapped-error/%s/keys/{keys}",
	    tag());
	http_json("http", srv.plain, path);
	e = fetch_err(NULL, keys3, 3, NULL);
	assert_contains(e, "status_code 403: access denied");
	free(e);

	snprintf(path, sizeof path, "/scenario/403/%s/keys/{keys}", tag());
	http_json("http", srv.plain, path);
	e = fetch_err(NULL, keys3, 3, NULL);
	assert_contains(e, "HTTP 403: permission denied");
	free(e);

	snprintf(path, sizeof path, "/scenario/missing-key/%s/keys/{keys}",
	    tag());
	http_json("http", srv.plain, path);
	e = fetch_err(NULL, keys3, 3, NULL);
	assert_contains(e, "key \"db_password\" not found in the reply");
	free(e);

	/* a bad token */
	http_json("http", srv.plain, "/keys/{keys}");
	ks.token_file = NULL;
	e = fetch_err(NULL, keys3, 3, NULL);
	assert_contains(e, "HTTP 403: invalid token");
	free(e);

	http_json("http", srv.plain, "/nothing/here");
	e = fetch_err(NULL, keys3, 3, NULL);
	assert_contains(e, "url has no {keys} placeholder");
	free(e);
}

static void
test_tls_verification(void **state)
{
	struct lc_keystore_stats	 st;
	char				*e;

	/* no CA: the system store does not know the test CA */
	vault("https", srv.tls);
	ks.ca_file = NULL;
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "SSL certificate problem");
	assert_int_equal(st.attempts, 1);	/* trust is not retried */
	free(e);

	/* the right CA, a certificate for another name */
	vault("https", srv.wrong);
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "127.0.0.1");
	assert_contains(e, "SSL");
	assert_int_equal(st.attempts, 1);
	free(e);
}

static void
test_mtls(void **state)
{
	struct lc_secret_set	*set;
	char			*e;

	vault("https", srv.mtls);
	ks.retries = 0;
	e = fetch_err(SECRET, keys3, 3, NULL);
	free(e);

	ks.cert_file = srv.client_cert;
	ks.key_file = srv.client_key;
	set = fetch_ok(SECRET, keys3, 3, NULL);
	assert_three(set);
	lc_secret_set_free(set);

	chmod(srv.client_key, 0644);
	e = fetch_err(SECRET, keys3, 3, NULL);
	assert_contains(e, "key_file");
	assert_contains(e, "readable by others");
	free(e);
	chmod(srv.client_key, 0600);
}

/* The token file is read on every fetch: rotate it between two. */
static void
test_token_rotation(void **state)
{
	struct lc_secret_set	*set;
	char			 other[PATH_MAX], *e;

	vault("http", srv.plain);
	set = fetch_ok(SECRET, keys3, 3, NULL);
	lc_secret_set_free(set);

	/* the server accepts only what the file holds now */
	assert_int_equal(ks_write_file(srv.token_file, TOKEN2 "\n", 0600), 0);
	set = fetch_ok(SECRET, keys3, 3, NULL);
	assert_three(set);
	lc_secret_set_free(set);

	/* a stale token in another file is refused by the server */
	ks_path(other, sizeof other, srv.dir, "stale-token");
	assert_int_equal(ks_write_file(other, TOKEN, 0600), 0);
	ks.token_file = other;
	e = fetch_err(SECRET, keys3, 3, NULL);
	assert_contains(e, "HTTP 403: permission denied");
	free(e);
	assert_int_equal(ks_write_file(srv.token_file, TOKEN, 0600), 0);
}

static void
test_token_file_checks(void **state)
{
	struct lc_keystore_stats	 st;
	char				 bad[PATH_MAX], *e;

	vault("http", srv.plain);
	ks_path(bad, sizeof bad, srv.dir, "loose-token");

	assert_int_equal(ks_write_file(bad, TOKEN, 0640), 0);
	ks.token_file = bad;
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, bad);
	assert_contains(e, "readable by group or others");
	assert_int_equal(st.attempts, 0);
	free(e);

	assert_int_equal(ks_write_file(bad, TOKEN, 0602), 0);
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "writable by group or others");
	free(e);

	assert_int_equal(ks_write_file(bad, "\n", 0600), 0);
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "is empty");
	free(e);

	assert_int_equal(ks_write_file(bad, "abc\r\nX-Evil: 1", 0600), 0);
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "control characters");
	free(e);

	unlink(bad);
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "cannot open token_file");
	assert_contains(e, bad);
	free(e);
}

/* Plain http leaves the host only to loopback; refused before connecting. */
static void
test_url_rules(void **state)
{
	static const char *refused[] = {
		"http://192.0.2.1:8200", "http://localhost.example.com:8200",
		"http://127.0.0.1.nip.io", "http://[2001:db8::1]:8200",
	};
	static const char *bad[] = {
		"ftp://127.0.0.1/", "file:///etc/passwd", "gopher://127.0.0.1",
		"not a url",
	};
	struct lc_keystore_stats	 st;
	struct lc_secret_set		*set;
	size_t				 i;
	char				*e;

	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		vault("http", 1);
		ks.url = (char *)refused[i];
		e = fetch_err(SECRET, keys3, 3, &st);
		assert_contains(e, "plain http is allowed only to a loopback");
		assert_int_equal(st.attempts, 0);
		assert_true(st.duration_ms < 1000);
		free(e);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		vault("http", 1);
		ks.url = (char *)bad[i];
		e = fetch_err(SECRET, keys3, 3, &st);
		assert_int_equal(st.attempts, 0);
		free(e);
	}
	/* credentials in the url: refused, and not repeated */
	vault("https", srv.tls);
	snprintf(ks_url, sizeof ks_url, "https://me:%s@127.0.0.1:%d", TOKEN,
	    srv.tls);
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "credentials");
	free(e);

	/* localhost and 0x7f000001 are loopback */
	vault("http", srv.plain);
	snprintf(ks_url, sizeof ks_url, "http://localhost:%d", srv.plain);
	set = fetch_ok(SECRET, keys3, 3, NULL);
	lc_secret_set_free(set);
	snprintf(ks_url, sizeof ks_url, "http://0x7f000001:%d", srv.plain);
	set = fetch_ok(SECRET, keys3, 3, NULL);
	lc_secret_set_free(set);

	/* dot segments cannot walk out of the mount */
	vault("http", srv.plain);
	e = fetch_err("../../sys/seal", keys3, 3, &st);
	assert_contains(e, "\"..\" segment");
	assert_int_equal(st.attempts, 0);
	free(e);
}

static void
test_retry_503_then_200(void **state)
{
	struct lc_keystore_stats	 st;
	struct lc_secret_set		*set;
	const char			*path;

	vault("http", srv.plain);
	path = scenario("503-then-200");
	set = fetch_ok(path, keys3, 3, &st);
	assert_three(set);
	assert_int_equal(st.attempts, 2);
	assert_int_equal(st.http_status, 200);
	assert_int_equal(ks_server_count(&srv, "503-then-200", tag_buf, NULL),
	    2);
	lc_secret_set_free(set);
}

static void
test_retry_500(void **state)
{
	struct lc_keystore_stats	 st;
	const char			*path;
	char				*e;

	vault("http", srv.plain);
	path = scenario("500");
	e = fetch_err(path, keys3, 3, &st);
	assert_contains(e, "HTTP 500: internal error (3 attempts)");
	assert_int_equal(st.attempts, 3);
	assert_int_equal(ks_server_count(&srv, "500", tag_buf, NULL), 3);
	free(e);
}

static void
test_no_retry_403(void **state)
{
	struct lc_keystore_stats	 st;
	const char			*path;
	char				*e, want[512];

	vault("http", srv.plain);
	path = scenario("403");
	e = fetch_err(path, keys3, 3, &st);
	snprintf(want, sizeof want, "keystore \"vault\": GET "
	    "http://127.0.0.1:%d/v1/secret/data/%s: HTTP 403: permission "
	    "denied", srv.plain, path);
	assert_string_equal(e, want);
	assert_int_equal(st.attempts, 1);
	assert_int_equal(st.http_status, 403);
	assert_int_equal(ks_server_count(&srv, "403", tag_buf, NULL), 1);
	free(e);
}

static void
test_not_found(void **state)
{
	static const char *names[] = { "404", "deleted", "null-data" };
	struct lc_keystore_stats	 st;
	size_t				 i;
	char				*e;

	vault("https", srv.tls);
	for (i = 0; i < 3; i++) {
		e = fetch_err(scenario(names[i]), keys3, 3, &st);
		assert_contains(e, "secret not found or deleted");
		assert_contains(e, path_buf);
		assert_int_equal(st.attempts, 1);
		free(e);
	}
	e = fetch_err("etl/nowhere", keys3, 3, &st);
	assert_contains(e, "HTTP 404: secret not found or deleted: "
	    "etl/nowhere");
	free(e);
}

static void
test_bad_answers(void **state)
{
	struct lc_keystore_stats	 st;
	char				*e, want[512];

	vault("http", srv.plain);
	e = fetch_err(scenario("missing-key"), keys3, 3, &st);
	snprintf(want, sizeof want, "key \"db_password\" not found in secret "
	    "%s", path_buf);
	assert_contains(e, want);
	free(e);

	e = fetch_err(scenario("non-string"), keys3, 3, &st);
	assert_contains(e, "key \"db_password\"");
	assert_contains(e, "is a number, not a string");
	free(e);

	e = fetch_err(scenario("malformed"), keys3, 3, &st);
	assert_contains(e, "not valid JSON (line 1, column");
	free(e);

	e = fetch_err(scenario("empty"), keys3, 3, &st);
	assert_contains(e, "empty reply");
	free(e);

	e = fetch_err(scenario("not-object"), keys3, 3, &st);
	assert_contains(e, "not a JSON object");
	free(e);

	e = fetch_err(scenario("redirect"), keys3, 3, &st);
	assert_contains(e, "HTTP 302: redirects are not followed");
	assert_int_equal(st.attempts, 1);
	free(e);
}

static void
test_body_cap(void **state)
{
	struct lc_keystore_stats	 st;
	char				*e;

	vault("http", srv.plain);
	e = fetch_err(scenario("oversized"), keys3, 3, &st);	/* chunked */
	assert_contains(e, "reply larger than 1048576 bytes");
	assert_int_equal(st.attempts, 1);
	free(e);

	vault("https", srv.tls);
	e = fetch_err(scenario("oversized"), keys3, 3, &st);
	assert_contains(e, "reply larger than 1048576 bytes");
	free(e);

	e = fetch_err(scenario("oversized-cl"), keys3, 3, &st);
	assert_contains(e, "reply larger than 1048576 bytes");
	free(e);
}

static void
test_timeout(void **state)
{
	struct lc_keystore_stats	 st;
	char				*e;

	vault("http", srv.plain);
	ks.timeout_ms = 300;
	ks.retries = 0;
	e = fetch_err(scenario("slow"), keys3, 3, &st);
	assert_contains(e, "timed out");
	assert_int_equal(st.attempts, 1);
	assert_true(st.duration_ms >= 250 && st.duration_ms < 2500);
	free(e);

	/* timeouts are retried */
	ks.retries = 1;
	e = fetch_err(scenario("slow"), keys3, 3, &st);
	assert_int_equal(st.attempts, 2);
	assert_int_equal(ks_server_count(&srv, "slow", tag_buf, NULL), 2);
	free(e);
}

static volatile sig_atomic_t	 cancel_flag;

static void
cancel_handler(int sig)
{
	cancel_flag = sig;
}

/* A signal (no SA_RESTART) ends a fetch at once: no retry, no wait. */
static void
test_cancel(void **state)
{
	struct lc_keystore_stats	 st;
	struct lc_secret_set		*set;
	struct itimerval		 it;
	struct sigaction		 sa, old;
	char				*e;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cancel_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	lc_keystore_set_cancel(&cancel_flag);
	vault("http", srv.plain);
	ks.timeout_ms = 10000;
	ks.retries = 3;
	cancel_flag = 0;
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 300 * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
	e = fetch_err(scenario("slow"), keys3, 3, &st);
	assert_int_equal(cancel_flag, SIGALRM);
	assert_contains(e, ": cancelled");
	assert_int_equal(st.attempts, 1);
	assert_int_equal(ks_server_count(&srv, "slow", tag_buf, NULL), 1);
	assert_true(st.duration_ms < 2500);	/* the reply takes 3 s */
	free(e);

	/* Already cancelled: nothing is fetched. */
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, ": cancelled");
	free(e);

	lc_keystore_set_cancel(NULL);
	sigaction(SIGALRM, &old, NULL);
	set = fetch_ok(SECRET, keys3, 3, &st);
	assert_three(set);
	lc_secret_set_free(set);
}

/* A closed port: refused connections are retried, then reported. */
static void
test_connection_refused(void **state)
{
	struct lc_keystore_stats	 st;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof sin;
	char				*e;
	int				 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);		/* bound, never listened: nothing there now */

	vault("http", ntohs(sin.sin_port));
	ks.retries = 1;
	e = fetch_err(SECRET, keys3, 3, &st);
	assert_contains(e, "(2 attempts)");
	assert_int_equal(st.attempts, 2);
	assert_int_equal(st.http_status, 0);
	free(e);

	/* a server that closes without answering is retried too */
	vault("http", srv.plain);
	ks.retries = 1;
	e = fetch_err(scenario("close"), keys3, 3, &st);
	assert_int_equal(st.attempts, 2);
	assert_int_equal(ks_server_count(&srv, "close", tag_buf, NULL), 2);
	free(e);
}

/* Servers that echo the token in errors: it is masked in our message. */
static void
test_token_not_echoed(void **state)
{
	struct lc_keystore_stats	 st;
	char				*e;

	vault("http", srv.plain);
	e = fetch_err(scenario("leaky"), keys3, 3, &st);
	assert_contains(e, "HTTP 400: token ****");
	free(e);

	ks.retries = 0;
	e = fetch_err(scenario("leaky-text"), keys3, 3, &st);
	assert_contains(e, "HTTP 500: <html>bad token ****");
	free(e);

	http_json("http", srv.plain, "/scenario/leaky/x/keys/{keys}");
	e = fetch_err(NULL, keys3, 3, &st);
	assert_contains(e, "HTTP 400: token Bearer ****");
	free(e);
}

/* Every failure mode at once: no message carries a value or the token. */
static void
test_no_secret_in_errors(void **state)
{
	static const char *names[] = {
		"500", "403", "404", "deleted", "missing-key", "non-string",
		"malformed", "oversized", "redirect", "leaky", "leaky-text",
		"empty", "not-object", "close", "null-data", "oversized-cl",
	};
	char	*e, path[256];
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		vault("https", srv.tls);
		ks.retries = 0;
		e = fetch_err(scenario(names[i]), keys5, 5, NULL);
		free(e);	/* fetch_err checked it */

		snprintf(path, sizeof path, "/scenario/%s/%s/keys/{keys}",
		    names[i], tag());
		http_json("http", srv.plain, path);
		ks.retries = 0;
		e = fetch_err(NULL, keys5, 5, NULL);
		free(e);
	}
}

static void
test_file_keystore(void **state)
{
	struct lc_keystore_stats	 st;
	struct lc_secret_set		*set;
	char				 file[PATH_MAX], *e;

	ks_path(file, sizeof file, srv.dir, "secrets.json");
	assert_int_equal(ks_write_file(file, values_json, 0600), 0);
	memset(&ks, 0, sizeof ks);
	ks.name = (char *)"local";
	ks.type = LC_KEYSTORE_FILE;
	ks.file = file;
	set = fetch_ok(NULL, keys3, 3, &st);
	assert_three(set);
	assert_int_equal(st.attempts, 1);
	lc_secret_set_free(set);

	chmod(file, 0640);
	e = fetch_err(NULL, keys3, 3, &st);
	assert_contains(e, file);
	assert_contains(e, "readable by group or others");
	free(e);
	chmod(file, 0600);

	if (geteuid() == 0) {
		assert_int_equal(chown(file, 65534, 65534), 0);
		e = fetch_err(NULL, keys3, 3, &st);
		assert_contains(e, "is owned by uid 65534");
		free(e);
		assert_int_equal(chown(file, 0, 0), 0);
	}

	assert_int_equal(ks_write_file(file, "{\"db_host\": \"db.internal."
	    "example\", \"db_password\": [\"S3cr3t-Pa55w0rd!\"]}", 0600), 0);
	e = fetch_err(NULL, keys3, 3, &st);
	assert_contains(e, "key \"db_password\" in file");
	assert_contains(e, "is an array, not a string");
	free(e);

	assert_int_equal(ks_write_file(file, "{\"db_host\": \"S3cr3t-Pa55w0rd!"
	    , 0600), 0);
	e = fetch_err(NULL, keys3, 3, &st);
	assert_contains(e, "not valid JSON");
	free(e);
	unlink(file);
}

/* The supervisor's path: job keys deduplicated, env built, event detail. */
static void
test_fetch_job(void **state)
{
	struct lc_secret_env	 env[] = {
		{ (char *)"DB_HOST", (char *)"db_host" },
		{ (char *)"DB_PASSWORD", (char *)"db_password" },
		{ (char *)"PGPASSWORD", (char *)"db_password" },
	};
	struct lc_secret_file	 files[] = {
		{ (char *)"pgpass", (char *)"pgpass", 0400 },
	};
	struct lc_job_secrets	 js = { &ks, (char *)SECRET, env, 3, files, 1 };
	struct lc_keystore_stats st;
	struct lc_secret_set	*set;
	char *const		*envp;
	char			*cause = NULL, *detail;
	json_t			*o;

	vault("https", srv.tls);
	set = lc_keystore_fetch_job(&js, &st, &cause);
	assert_non_null(set);
	assert_int_equal(lc_secret_set_count(set), 3);
	envp = lc_secret_set_env(set, &js, &cause);
	assert_non_null(envp);
	assert_string_equal(envp[0], "DB_HOST=db.internal.example");
	assert_string_equal(envp[1], "DB_PASSWORD=S3cr3t-Pa55w0rd!");
	assert_string_equal(envp[2], "PGPASSWORD=S3cr3t-Pa55w0rd!");
	assert_null(envp[3]);

	detail = lc_keystore_event_detail(&ks, set, &st);
	assert_no_secret(detail);
	o = json_loads(detail, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "keystore")),
	    "vault");
	assert_int_equal(json_array_size(json_object_get(o, "keys")), 3);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(o, "keys"), 2)), "pgpass");
	assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 1);
	assert_true(json_is_integer(json_object_get(o, "duration_ms")));
	json_decref(o);
	free(detail);
	lc_secret_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vault_http),
		cmocka_unit_test(test_vault_https),
		cmocka_unit_test(test_vault_namespace),
		cmocka_unit_test(test_http_json),
		cmocka_unit_test(test_http_json_errors),
		cmocka_unit_test(test_tls_verification),
		cmocka_unit_test(test_mtls),
		cmocka_unit_test(test_token_rotation),
		cmocka_unit_test(test_token_file_checks),
		cmocka_unit_test(test_url_rules),
		cmocka_unit_test(test_retry_503_then_200),
		cmocka_unit_test(test_retry_500),
		cmocka_unit_test(test_no_retry_403),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_token_not_echoed),
		cmocka_unit_test(test_no_secret_in_errors),
		cmocka_unit_test(test_file_keystore),
		cmocka_unit_test(test_fetch_job),
	};

	return (cmocka_run_group_tests_name("keystore", tests, setup,
	    teardown));
}
