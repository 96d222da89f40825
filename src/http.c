/*
 * HTTP helpers shared by the keystore and the notifications.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/http.h"

int
lc_http_retryable(CURLcode rc)
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

void
lc_http_backoff(int n, int64_t base_ms, int64_t max_ms, int (*stop)(void))
{
	struct timespec	 ts;
	unsigned int	 r;
	int64_t		 ms = base_ms;

	while (--n > 0 && ms < max_ms)
		ms *= 2;
	if (ms > max_ms)
		ms = max_ms;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (unsigned int)getpid();
	ms = ms * 3 / 4 + (int64_t)(r % (unsigned int)(ms / 2 + 1));
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR &&
	    (stop == NULL || !stop()))
		;
}
