/*
 * The instants the history commands take (--since, --until): ISO-8601, or
 * relative to now: a duration ago ("90s", "15m", "1h", "2d", "1h30m"),
 * "now", "today" and "yesterday" (midnight on the wall clock of a zone).
 */
#ifndef LOCKCRON_RELTIME_H
#define LOCKCRON_RELTIME_H

#include <stdint.h>

#include "lockcron/tz.h"

/*
 * Parses s into *ms (milliseconds since the epoch), now_ms being now.
 * ISO-8601 without an offset, "today" and "yesterday" are read on the wall
 * clock of tz (a midnight skipped by a DST change is the first instant
 * after the gap). A duration needs its unit: a bare number is refused.
 */
int	 lc_reltime_parse(const char *s, const struct lc_tz *tz,
	     int64_t now_ms, int64_t *ms, char **cause);

#endif
