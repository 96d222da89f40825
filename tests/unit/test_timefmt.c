/* Unit tests for timefmt: ISO-8601 instants and durations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lockcron/timefmt.h"

static struct lc_tz *utc, *ny;

static int
setup(void **state)
{
	utc = lc_tz_load("UTC", NULL);
	ny = lc_tz_load("America/New_York", NULL);
	return (utc == NULL || ny == NULL);
}

static int
teardown(void **state)
{
	lc_tz_free(utc);
	lc_tz_free(ny);
	return (0);
}

static int64_t
parse_ok(const char *s, const struct lc_tz *tz)
{
	int64_t	 ms;
	char	*cause = NULL;

	if (lc_time_parse(s, tz, &ms, &cause) != 0)
		fail_msg("%s: %s", s, cause);
	return (ms);
}

static void
test_utc_ms(void **state)
{
	char	 buf[LC_TIME_BUFSZ];

	assert_string_equal(lc_time_utc_ms(1795485600004LL, buf),
	    "2026-11-24T02:00:00.004Z");
	assert_string_equal(lc_time_utc_ms(0, buf), "1970-01-01T00:00:00.000Z");
	assert_string_equal(lc_time_utc_ms(-1, buf), "1969-12-31T23:59:59.999Z");
}

static void
test_local(void **state)
{
	char	 buf[LC_TIME_BUFSZ];

	assert_string_equal(lc_time_local(1552201200, ny, buf),
	    "2019-03-10T03:00:00-04:00");
	assert_string_equal(lc_time_local(1552201200, utc, buf),
	    "2019-03-10T07:00:00+00:00");
}

static void
test_parse(void **state)
{
	char	*cause = NULL;
	int64_t	 ms;

	assert_int_equal(parse_ok("2026-03-08T01:59:00Z", utc), 1772935140000LL);
	assert_int_equal(parse_ok("2026-03-08T01:59:00-05:00", utc),
	    1772935140000LL + 5 * 3600000LL);
	assert_int_equal(parse_ok("2026-03-08T01:59:00+0530", utc),
	    1772935140000LL - 19800000LL);
	assert_int_equal(parse_ok("2026-11-24T02:00:00.004Z", utc),
	    1795485600004LL);
	assert_int_equal(parse_ok("2026-11-24 02:00Z", utc), 1795485600000LL);
	assert_int_equal(parse_ok("2026-11-24", utc), 1795478400000LL);
	/* no offset: the zone's wall clock */
	assert_int_equal(parse_ok("2019-03-10T01:00:00", ny), 1552197600000LL);
	/* repeated hour: the first reading (EDT) */
	assert_int_equal(parse_ok("2019-11-03T01:30:00", ny), 1572759000000LL);
	/* skipped hour: the end of the gap */
	assert_int_equal(parse_ok("2019-03-10T02:30:00", ny), 1552201200000LL);

	assert_int_not_equal(lc_time_parse("2026-02-30T00:00:00Z", utc, &ms,
	    &cause), 0);
	assert_non_null(strstr(cause, "2026-02-30"));
	free(cause);
	assert_int_not_equal(lc_time_parse("yesterday", utc, &ms, NULL), 0);
	assert_int_not_equal(lc_time_parse("2026-01-01T25:00Z", utc, &ms,
	    NULL), 0);
	assert_int_not_equal(lc_time_parse("2026-01-01T10:00Zjunk", utc, &ms,
	    NULL), 0);
}

static void
test_duration(void **state)
{
	int64_t	 s;
	char	 buf[32];

	assert_int_equal(lc_duration_parse("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(lc_duration_parse("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(lc_duration_parse("15m", &s), 0);
	assert_int_equal(s, 900);
	assert_int_equal(lc_duration_parse("2h", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(lc_duration_parse("1d", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(lc_duration_parse("1h30m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(lc_duration_parse("", &s), -1);
	assert_int_equal(lc_duration_parse("5x", &s), -1);
	assert_int_equal(lc_duration_parse("-5", &s), -1);
	assert_int_equal(lc_duration_parse("1h30", &s), -1);
	assert_int_equal(lc_duration_parse("99999999999999999999", &s), -1);

	assert_string_equal(lc_duration_format(252000, buf, sizeof buf), "4m12s");
	assert_string_equal(lc_duration_format(850, buf, sizeof buf), "850ms");
	assert_string_equal(lc_duration_format(1500, buf, sizeof buf), "1.5s");
	assert_string_equal(lc_duration_format(7380000, buf, sizeof buf), "2h03m");
	assert_string_equal(lc_duration_format(273600000, buf, sizeof buf),
	    "3d04h");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc_ms),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_duration),
	};

	return (cmocka_run_group_tests_name("timefmt", tests, setup, teardown));
}
