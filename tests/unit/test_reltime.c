/*
 * Unit tests for lc_reltime_parse: durations ago, now, today and yesterday
 * at midnight of a zone (including a midnight skipped by DST), ISO-8601,
 * and what it refuses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lockcron/reltime.h"
#include "lockcron/timefmt.h"
#include "lockcron/tz.h"

/* 2026-03-08T12:00:00.250Z: a Sunday, New York's and Havana's DST day. */
#define NOW	1772971200250LL

/* lc_reltime_parse in zone, as UTC text, or "error: ..." */
static char *
parse(const char *s, const char *zone)
{
	struct lc_tz	*tz;
	char		 buf[LC_TIME_BUFSZ], *cause = NULL, *out;
	int64_t		 ms;

	tz = lc_tz_load(zone, &cause);
	assert_non_null(tz);
	if (lc_reltime_parse(s, tz, NOW, &ms, &cause) == 0)
		out = strdup(lc_time_utc_ms(ms, buf));
	else {
		assert_non_null(cause);
		out = strdup("error");
		free(cause);
	}
	lc_tz_free(tz);
	return (out);
}

static void
check(const char *s, const char *zone, const char *want)
{
	char	*got = parse(s, zone);

	if (strcmp(got, want) != 0)
		fail_msg("%s in %s: got %s, want %s", s, zone, got, want);
	free(got);
}

static void
test_relative(void **state)
{
	check("now", "UTC", "2026-03-08T12:00:00.250Z");
	check("1h", "UTC", "2026-03-08T11:00:00.250Z");
	check("2d", "UTC", "2026-03-06T12:00:00.250Z");
	check("90s", "UTC", "2026-03-08T11:58:30.250Z");
	check("1h30m", "UTC", "2026-03-08T10:30:00.250Z");
	check("15m", "Europe/Berlin", "2026-03-08T11:45:00.250Z");
}

static void
test_days(void **state)
{
	check("today", "UTC", "2026-03-08T00:00:00.000Z");
	check("yesterday", "UTC", "2026-03-07T00:00:00.000Z");
	check("today", "Asia/Tokyo", "2026-03-07T15:00:00.000Z");
	check("yesterday", "Asia/Tokyo", "2026-03-06T15:00:00.000Z");
	/* New York springs forward at 02:00 that day: midnight is EST. */
	check("today", "America/New_York", "2026-03-08T05:00:00.000Z");
	check("yesterday", "America/New_York", "2026-03-07T05:00:00.000Z");
	/* Havana springs forward at midnight: the day starts at 01:00 CDT. */
	check("today", "America/Havana", "2026-03-08T05:00:00.000Z");
	check("yesterday", "America/Havana", "2026-03-07T05:00:00.000Z");
}

static void
test_iso(void **state)
{
	check("2026-03-01T02:00:00Z", "Asia/Tokyo", "2026-03-01T02:00:00.000Z");
	check("2026-03-01T02:00:00.004+01:00", "UTC",
	    "2026-03-01T01:00:00.004Z");
	check("2026-03-01 02:00", "Europe/Berlin", "2026-03-01T01:00:00.000Z");
	check("2026-03-01", "UTC", "2026-03-01T00:00:00.000Z");
}

static void
test_refused(void **state)
{
	check("90", "UTC", "error");
	check("", "UTC", "error");
	check("1x", "UTC", "error");
	check("tomorrow", "UTC", "error");
	check("2026-13-01", "UTC", "error");
	check("-1h", "UTC", "error");
	check("1h ago", "UTC", "error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_refused),
	};

	return (cmocka_run_group_tests_name("reltime", tests, NULL, NULL));
}
