/*
 * Instants relative to now, for the history filters, beside the ISO-8601
 * that timefmt reads. "now" is injected so that the tests control it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lockcron/reltime.h"
#include "lockcron/timefmt.h"
#include "lockcron/tz.h"
#include "lockcron/util.h"

/* Midnight at the start of the day days after now's day, in tz. */
static int64_t
midnight(const struct lc_tz *tz, int64_t now_ms, int days)
{
	struct lc_civil	 c;
	int64_t		 secs = now_ms / 1000 - (now_ms % 1000 < 0);

	lc_tz_to_civil(tz, secs, &c);
	c.hour = c.min = c.sec = 0;
	return (lc_time_from_local(lc_civil_to_secs(&c) + (int64_t)days * 86400,
	    tz) * 1000);
}

/* Only digits: a number without a unit. */
static int
bare_number(const char *s)
{
	return (*s != '\0' && strspn(s, "0123456789") == strlen(s));
}

int
lc_reltime_parse(const char *s, const struct lc_tz *tz, int64_t now_ms,
    int64_t *ms, char **cause)
{
	int64_t	 secs;
	char	*why = NULL;

	if (strcmp(s, "now") == 0)
		*ms = now_ms;
	else if (strcmp(s, "today") == 0)
		*ms = midnight(tz, now_ms, 0);
	else if (strcmp(s, "yesterday") == 0)
		*ms = midnight(tz, now_ms, -1);
	else if (!bare_number(s) && lc_duration_parse(s, &secs) == 0)
		*ms = now_ms - secs * 1000;
	else if (strchr(s, '-') != NULL && lc_time_parse(s, tz, ms, &why) == 0)
		return (0);
	else {
		free(why);
		lc_set_cause(cause, "invalid time \"%s\" (expected ISO-8601 "
		    "such as 2026-11-24T02:00:00Z, a duration ago such as 1h "
		    "or 2d, today or yesterday)", s);
		return (-1);
	}
	return (0);
}
