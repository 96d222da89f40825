/*
 * What the keystore and the notifications share about HTTP through
 * libcurl.
 */
#ifndef LOCKCRON_HTTP_H
#define LOCKCRON_HTTP_H

#include <stdint.h>

#include <curl/curl.h>

/* Transport failures worth another attempt; TLS trust failures are not. */
int	 lc_http_retryable(CURLcode);
/*
 * Sleeps before retry n (1, 2, ...): base_ms doubling up to max_ms, each
 * +-25% at random so that many clients do not retry in step. A signal ends
 * the sleep early when stop (if not NULL) then says so.
 */
void	 lc_http_backoff(int n, int64_t base_ms, int64_t max_ms,
	     int (*stop)(void));

#endif
