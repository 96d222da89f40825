/*
 * What the keystore and the notifications share about HTTP through
 * libcurl.
 */
#ifndef LOCKCRON_HTTP_H
#define LOCKCRON_HTTP_H

#include <curl/curl.h>

/* Transport failures worth another attempt; TLS trust failures are not. */
int	 lc_http_retryable(CURLcode);

#endif
