/*
 * Benchmark: the launch delay secrets add. Fetches 5 secrets from the test
 * keystore server (tests/keystore_server.py) on 127.0.0.1, FETCHES times
 * per case, each fetch on a new handle and a new connection as the
 * supervisor does (one fetch per run), and prints p50/p90/p99/max in ms.
 * A bare libcurl GET of the same URL (no token file, no JSON, no protected
 * memory) is measured beside it, so the keystore's own share shows; and
 * the output masker's throughput.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "lockcron/keystore.h"
#include "ksserver.h"

#define FETCHES	200
#define WARMUP	10

static const char *keys[] = {
	"db_host", "db_user", "db_password", "pgpass", "api_key"
};
static const char *values =
    "{\"db_host\": \"db.internal.example\", \"db_user\": \"etl_loader\","
    " \"db_password\": \"S3cr3t-Pa55w0rd!\","
    " \"pgpass\": \"db:5432:wh:etl:S3cr3t-Pa55w0rd!\","
    " \"api_key\": \"ak_live_0123456789abcdef\"}";

static struct ks_server	 srv;

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static void
report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	printf("%-28s p50 %6.2f  p90 %6.2f  p99 %6.2f  max %6.2f ms\n", name,
	    v[n / 2], v[n * 90 / 100], v[n * 99 / 100], v[n - 1]);
}

static int
bench_fetch(const char *name, const struct lc_keystore_conf *ks,
    const char *path)
{
	struct lc_secret_set	*set;
	double			 t[FETCHES], t0;
	char			*cause = NULL;
	int			 i;

	for (i = -WARMUP; i < FETCHES; i++) {
		t0 = now_ms();
		set = lc_keystore_fetch(ks, path, keys, 5, NULL, &cause);
		if (set == NULL) {
			fprintf(stderr, "%s: %s\n", name, cause);
			free(cause);
			return (-1);
		}
		lc_secret_set_free(set);
		if (i >= 0)
			t[i] = now_ms() - t0;
	}
	report(name, t, FETCHES);
	return (0);
}

/*
 * Time to a TLS verification failure with no ca_file: the handshake plus
 * loading the system trust store, which is what a run without ca_file
 * pays on top of a fetch from a CA in that store.
 */
static int
bench_system_store(const char *name, const struct lc_keystore_conf *ks)
{
	struct lc_secret_set	*set;
	double			 t[FETCHES], t0;
	char			*cause = NULL;
	int			 i;

	for (i = -WARMUP; i < FETCHES; i++) {
		t0 = now_ms();
		set = lc_keystore_fetch(ks, "etl/warehouse", keys, 5, NULL,
		    &cause);
		if (set != NULL || strstr(cause, "SSL certificate") == NULL) {
			fprintf(stderr, "%s: %s\n", name, set != NULL ?
			    "unexpectedly trusted" : cause);
			lc_secret_set_free(set);
			free(cause);
			return (-1);
		}
		free(cause);
		cause = NULL;
		if (i >= 0)
			t[i] = now_ms() - t0;
	}
	report(name, t, FETCHES);
	return (0);
}

static size_t
discard_cb(char *p, size_t size, size_t n, void *arg)
{
	return (size * n);
}

/* Median of n microsecond samples, in ms. */
static double
median_us(curl_off_t *v, int n)
{
	double	 d[FETCHES];
	int	 i;

	for (i = 0; i < n; i++)
		d[i] = (double)v[i] / 1000.0;
	qsort(d, (size_t)n, sizeof *d, cmp_double);
	return (d[n / 2]);
}

/*
 * The floor: one plain libcurl GET per fetch, same server, same URL; also
 * where its time goes (TCP connect, TLS handshake, server's answer).
 */
static int
bench_raw(const char *name, const char *url, const char *header)
{
	struct curl_slist	*h;
	curl_off_t		 conn[FETCHES], tls[FETCHES], first[FETCHES];
	double			 t[FETCHES], t0;
	CURL			*c;
	int			 i, rc;

	h = curl_slist_append(NULL, header);
	for (i = -WARMUP; i < FETCHES; i++) {
		t0 = now_ms();
		c = curl_easy_init();
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_CAINFO, srv.ca);
		curl_easy_setopt(c, CURLOPT_PROXY, "");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
		rc = curl_easy_perform(c);
		if (i >= 0) {
			curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &conn[i]);
			curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &tls[i]);
			curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME_T,
			    &first[i]);
		}
		curl_easy_cleanup(c);
		if (rc != CURLE_OK) {
			fprintf(stderr, "%s: %s\n", name, curl_easy_strerror(rc));
			curl_slist_free_all(h);
			return (-1);
		}
		if (i >= 0)
			t[i] = now_ms() - t0;
	}
	curl_slist_free_all(h);
	report(name, t, FETCHES);
	printf("%-28s connected %.2f, TLS done %.2f, first byte %.2f ms "
	    "(medians)\n", "", median_us(conn, FETCHES),
	    median_us(tls, FETCHES), median_us(first, FETCHES));
	return (0);
}

/*
 * The masker on the output path: 64 MiB of log-like text holding a secret
 * now and then, fed in 4 KiB and 64 KiB reads (pipe-sized chunks), with
 * the 5 values above. Prints MiB/s of input.
 */
static void
bench_masker(void)
{
	static const char	*vals[] = {
		"db.internal.example", "etl_loader", "S3cr3t-Pa55w0rd!",
		"db:5432:wh:etl:S3cr3t-Pa55w0rd!", "ak_live_0123456789abcdef"
	};
	static const size_t	 chunks[] = { 4096, 65536 };
	struct lc_secret_set	*set;
	struct lc_masker	*m;
	struct lc_buf		 out = { 0 };
	char			*text, line[128];
	size_t			 len = 64 << 20, at, n, i, c;
	double			 t0, ms;

	set = lc_secret_set_new();
	for (i = 0; i < 5; i++)
		lc_secret_set_add(set, keys[i], vals[i], strlen(vals[i]));
	m = lc_masker_new(set);
	text = malloc(len);
	for (at = 0, i = 0; at < len; at += n, i++) {
		n = (size_t)snprintf(line, sizeof line, "2026-01-01T00:00:%02zu "
		    "row %zu loaded into warehouse%s\n", i % 60, i,
		    i % 1000 == 0 ? " as etl_loader" : "");
		if (n > len - at)
			n = len - at;
		memcpy(text + at, line, n);
	}
	for (c = 0; c < 2; c++) {
		t0 = now_ms();
		for (at = 0; at < len; at += n) {
			n = len - at < chunks[c] ? len - at : chunks[c];
			out.len = 0;
			lc_masker_feed(m, text + at, n, &out);
		}
		lc_masker_flush(m, &out);
		ms = now_ms() - t0;
		printf("masker, %2zu KiB reads           %7.0f MiB/s\n",
		    chunks[c] / 1024, 64 / (ms / 1000));
	}
	lc_buf_free(&out);
	free(text);
	lc_masker_free(m);
	lc_secret_set_free(set);
}

static void
conf(struct lc_keystore_conf *ks, enum lc_keystore_type type, char *url)
{
	memset(ks, 0, sizeof *ks);
	ks->name = (char *)"bench";
	ks->type = type;
	ks->url = url;
	ks->token_file = srv.token_file;
	ks->ca_file = srv.ca;
}

static int
run(void)
{
	struct lc_keystore_conf	 ks;
	char			 url[256], raw[512], hdr[256], file[PATH_MAX];
	const char		*tok = "s.bench-token-0123456789";
	static const char	*scheme[] = { "http", "https" };
	int			 i, port;

	snprintf(hdr, sizeof hdr, "X-Vault-Token: %s", tok);
	for (i = 0; i < 2; i++) {
		port = i == 0 ? srv.plain : srv.tls;
		snprintf(url, sizeof url, "%s://127.0.0.1:%d", scheme[i], port);
		snprintf(raw, sizeof raw, "%s/v1/secret/data/etl/warehouse",
		    url);
		printf("-- %s\n", scheme[i]);
		if (bench_raw("bare libcurl GET", raw, hdr) != 0)
			return (-1);
		conf(&ks, LC_KEYSTORE_VAULT_KV2, url);
		if (bench_fetch("vault-kv2, 5 keys", &ks, "etl/warehouse") != 0)
			return (-1);
		snprintf(url, sizeof url, "%s://127.0.0.1:%d/keys/{keys}",
		    scheme[i], port);
		conf(&ks, LC_KEYSTORE_HTTP_JSON, url);
		if (bench_fetch("http-json, 5 keys", &ks, NULL) != 0)
			return (-1);
	}
	snprintf(url, sizeof url, "https://127.0.0.1:%d", srv.tls);
	conf(&ks, LC_KEYSTORE_VAULT_KV2, url);
	ks.ca_file = NULL;
	ks.retries = 0;
	if (bench_system_store("no ca_file, to TLS failure", &ks) != 0)
		return (-1);
	printf("-- file\n");
	ks_path(file, sizeof file, srv.dir, "secrets.json");
	if (ks_write_file(file, values, 0600) != 0)
		return (-1);
	conf(&ks, LC_KEYSTORE_FILE, NULL);
	ks.file = file;
	return (bench_fetch("file, 5 keys", &ks, NULL));
}

int
main(void)
{
	char	*cause = NULL;
	int	 rc;

	if (lc_keystore_global_init(&cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return (1);
	}
	if (ks_server_start(&srv, "etl/warehouse", values,
	    "s.bench-token-0123456789") != 0) {
		fprintf(stderr, "bench_keystore: cannot start the test server "
		    "(python3 and openssl are needed)\n");
		return (1);
	}
	printf("secrets fetch: %d fetches per case after %d warm-up, a new "
	    "connection each\n", FETCHES, WARMUP);
	rc = run();
	ks_server_stop(&srv);
	printf("-- output masking\n");
	bench_masker();
	return (rc == 0 ? 0 : 1);
}
