/*
 * Internals shared by keystore.c (providers, parsing, the API) and
 * keystore-http.c (libcurl: URLs, the request, retries, error text).
 */
#ifndef KEYSTORE_INT_H
#define KEYSTORE_INT_H

#include <jansson.h>

#include "lockcron/keystore.h"

/* The reply, in protected memory; the cap is enforced as bytes arrive. */
struct keystore_body {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 too_big;
};

/* One fetch. */
struct keystore_fetch {
	const struct lc_keystore_conf	*ks;
	const char			*path;
	const char *const		*keys;
	size_t				 nkeys;
	struct lc_keystore_stats	*stats;
	char				*url;	/* normalised, for messages */
	char				*token;	/* protected, or NULL */
	size_t				 toklen;
	struct keystore_body		 body;
};

/* keystore.c */
void			 keystore_fail(const struct keystore_fetch *,
			     char **cause, const char *fmt, ...)
			     LC_PRINTF(3, 4);
int			 keystore_read_token(struct keystore_fetch *,
			     char **cause);
struct lc_secret_set	*keystore_parse_reply(const struct keystore_fetch *,
			     char **msg);

/* keystore-http.c */
char			*keystore_vault_url(struct keystore_fetch *,
			     char **cause);
char			*keystore_http_json_url(struct keystore_fetch *,
			     char **cause);
char			*keystore_error_text(const struct keystore_fetch *,
			     json_t *root);
struct lc_secret_set	*keystore_fetch_http(struct keystore_fetch *,
			     const char *url, char **cause);

#endif
