/*
 * Time zones read once from the system's TZif files into a table of our own,
 * so that converting between UTC and a zone's wall clock needs no TZ, tzset,
 * localtime_r or mktime (global state that reloads files behind our back).
 */
#ifndef LOCKCRON_TZ_H
#define LOCKCRON_TZ_H

#include <stdint.h>

struct lc_tz;

/* A broken-down wall-clock time. */
struct lc_civil {
	int	 year;
	int	 month;		/* 1-12 */
	int	 day;		/* 1-31 */
	int	 hour;
	int	 min;
	int	 sec;
	int	 wday;		/* 0 = Sunday */
};

/*
 * A stretch of time [start, end) with one UTC offset. prev_offset is the
 * offset just before start: larger means the clock fell back at start,
 * smaller means it sprang forward.
 */
struct lc_tz_span {
	int64_t	 start;		/* INT64_MIN when unbounded */
	int64_t	 end;		/* INT64_MAX when unbounded */
	int32_t	 offset;
	int32_t	 prev_offset;
};

/*
 * Loads a zone by IANA name ("UTC", "Europe/Berlin") from $TZDIR or
 * /usr/share/zoneinfo. NULL or "" means the system zone: $TZ, else
 * /etc/localtime. Zones with leap seconds (right/) are refused.
 */
struct lc_tz	*lc_tz_load(const char *name, char **cause);
/* Loads a zone from TZif bytes (for fuzzing and tests). */
struct lc_tz	*lc_tz_load_data(const char *name, const unsigned char *,
		     size_t, char **cause);
/* Builds a zone from a POSIX TZ rule alone ("EST5EDT,M3.2.0,M11.1.0"). */
struct lc_tz	*lc_tz_load_posix(const char *rule, char **cause);
void		 lc_tz_free(struct lc_tz *);
const char	*lc_tz_name(const struct lc_tz *);

/* The UTC offset in seconds in force at instant t. */
int32_t		 lc_tz_offset(const struct lc_tz *, int64_t t);
/* The span of constant offset that contains t. */
void		 lc_tz_span(const struct lc_tz *, int64_t t, struct lc_tz_span *);
/* Instant t as wall-clock time in the zone; returns the offset used. */
int32_t		 lc_tz_to_civil(const struct lc_tz *, int64_t t,
		     struct lc_civil *);

/* Calendar arithmetic on "local seconds" (wall clock read as if UTC). */
int64_t		 lc_civil_to_secs(const struct lc_civil *);
void		 lc_civil_from_secs(int64_t, struct lc_civil *);
int64_t		 lc_days_from_civil(int64_t y, int m, int d);
int		 lc_days_in_month(int64_t y, int m);

#endif
