/*
 * A run as JSON, the one shape every consumer sees: `lockcron show
 * --format json`, the notification webhook's body and the mail's JSON part.
 * Keys as docs/json.md lists them: run_id, fire_id, job, trigger, attempt,
 * status, exit_code, signal, scheduled_at, started_at, finished_at,
 * duration_ms, host, error; show adds events (at, kind, detail) and output.
 * Instants are ISO-8601 UTC with milliseconds, unknown values null, and
 * text that is not UTF-8 (job output) has its bad bytes replaced by U+FFFD,
 * so the object always serialises.
 */
#ifndef LOCKCRON_RUNJSON_H
#define LOCKCRON_RUNJSON_H

#include <stddef.h>

#include <jansson.h>

#include "lockcron/history.h"

/* The 14 run fields (a history list's element). */
json_t	*lc_runjson_run(const struct lc_run *);
/* The run with its events and output (show's object). */
json_t	*lc_runjson_show(const struct lc_run *, const struct lc_event *,
	     size_t nevents);
/* Reads run id (a full id) and its events from h: show's object, or NULL
 * with *cause. */
json_t	*lc_runjson_load(struct lc_history *, const char *id, char **cause);
/* A JSON string of len bytes; each byte that is not part of valid UTF-8
 * becomes U+FFFD (a NUL stays, as \u0000). */
json_t	*lc_runjson_string(const char *, size_t len);

#endif
