/*
 * Instants and durations as text: ISO-8601 in UTC or in a zone, and the
 * "90s" / "15m" / "2h" / "1d" durations of the config and the CLI.
 */
#ifndef LOCKCRON_TIMEFMT_H
#define LOCKCRON_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "lockcron/tz.h"

#define LC_TIME_BUFSZ	48

/* 2026-11-24T02:00:00.004Z */
char	*lc_time_utc_ms(int64_t ms, char buf[LC_TIME_BUFSZ]);
/* 2026-03-08T03:00:00-04:00 (UTC prints +00:00) */
char	*lc_time_local(int64_t secs, const struct lc_tz *,
	     char buf[LC_TIME_BUFSZ]);
/*
 * Parses YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM|+HHMM]. Without
 * an offset the time is read on the wall clock of zone tz (the earlier
 * instant when it is repeated, the end of the gap when it was skipped).
 */
int	 lc_time_parse(const char *, const struct lc_tz *, int64_t *ms,
	     char **cause);
/* Wall-clock local seconds in tz to an instant (see lc_time_parse). */
int64_t	 lc_time_from_local(int64_t local, const struct lc_tz *);

/* "90", "90s", "15m", "2h", "1d", "1h30m" to seconds; -1 when invalid. */
int	 lc_duration_parse(const char *, int64_t *secs);
/* 4m12s, 850ms, 2h03m, 3d04h */
char	*lc_duration_format(int64_t ms, char *buf, size_t len);

#endif
