/*
 * Keystores: fetch the keys one job needs, right before it starts, from
 * HashiCorp Vault (KV v2), a generic HTTP JSON service, or a local JSON
 * file. Values land in a struct lc_secret_set (protected memory, see
 * secret.h). Neither the values nor the token ever appear in an error
 * message or in the statistics; errors name the keystore, the request, the
 * key or HTTP status, and why:
 *
 *   keystore "vault": GET https://127.0.0.1:8201/v1/secret/data/etl/warehouse:
 *   HTTP 403: permission denied
 *
 * Transport rules: http and https only, no redirects, plain http only to a
 * loopback host, TLS peer and host verification always on (without ca_file:
 * the system's CA directory), replies capped at LC_KEYSTORE_MAX_BODY,
 * environment proxies and .netrc ignored. The token file is read again on
 * every fetch and must be readable by its owner only.
 *
 * Fetching blocks (it is meant for the run's supervisor, one fetch per
 * run); lc_keystore_set_cancel lets a signal end it early. libcurl runs
 * with CURLOPT_NOSIGNAL: callers should ignore or block SIGPIPE, as a
 * process writing to pipes does anyway.
 */
#ifndef LOCKCRON_KEYSTORE_H
#define LOCKCRON_KEYSTORE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lockcron/config.h"
#include "lockcron/secret.h"

#define LC_KEYSTORE_MAX_BODY		(1024 * 1024)
#define LC_KEYSTORE_MAX_TOKEN		(16 * 1024)
#define LC_KEYSTORE_TIMEOUT_MS		10000	/* when timeout_ms is 0 */
#define LC_KEYSTORE_CONNECT_TIMEOUT_MS	3000	/* connect_timeout_ms 0 */
#define LC_KEYSTORE_BACKOFF_MS		200	/* before the first retry */
#define LC_KEYSTORE_BACKOFF_MAX_MS	5000
#define LC_KEYSTORE_MAX_RETRIES		10

/* What one fetch cost; for the run's secrets_fetched event. */
struct lc_keystore_stats {
	int64_t	 duration_ms;	/* the whole fetch, backoff included */
	int	 attempts;	/* requests (or file reads) made; 0: refused
				   before any connection */
	long	 http_status;	/* of the last reply; 0: none */
};

/*
 * Process-wide set-up: libcurl's global init with allocators that zero
 * memory before freeing it, and the same for jansson. Call it early in
 * main (before any other libcurl use); lc_keystore_fetch calls it on first
 * use otherwise. Idempotent.
 */
int			 lc_keystore_global_init(char **cause);
/*
 * From now on a fetch gives up, failing with "cancelled", as soon as
 * *flag is non-zero: a request in progress is aborted, no retry is made,
 * a backoff is cut short. flag is set by a signal handler installed
 * without SA_RESTART, so that the signal interrupts libcurl's wait.
 * NULL: never. Process-wide, like the handler.
 */
void			 lc_keystore_set_cancel(volatile sig_atomic_t *flag);

/*
 * Fetches keys[0..nkeys) from the keystore ks. path is the Vault secret
 * path (vault-kv2) and is ignored by the other types. Every key must be in
 * the answer and be a string. Returns NULL with *cause on failure; stats
 * (when not NULL) is filled in either way.
 */
struct lc_secret_set	*lc_keystore_fetch(const struct lc_keystore_conf *ks,
			     const char *path, const char *const *keys,
			     size_t nkeys, struct lc_keystore_stats *stats,
			     char **cause);
/* Fetches the distinct keys named by a job's env and files. */
struct lc_secret_set	*lc_keystore_fetch_job(const struct lc_job_secrets *,
			     struct lc_keystore_stats *, char **cause);
/*
 * The secrets_fetched event's detail, a JSON object: {"keystore": NAME,
 * "keys": [...], "duration_ms": N, "attempts": N}. Key names only.
 */
char			*lc_keystore_event_detail(
			     const struct lc_keystore_conf *,
			     const struct lc_secret_set *,
			     const struct lc_keystore_stats *);

#endif
