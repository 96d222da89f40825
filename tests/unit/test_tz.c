/*
 * Unit tests for tz: TZif reading, POSIX rules, spans, and a comparison with
 * glibc's localtime_r for every zone of the tz database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lockcron/tz.h"

static void
test_civil(void **state)
{
	struct lc_civil	 c;
	int64_t		 t;

	for (t = -5000LL * 86400; t < 200000LL * 86400; t += 86400 * 7 + 3601) {
		struct tm	 tm;
		time_t		 tt = (time_t)t;

		gmtime_r(&tt, &tm);
		lc_civil_from_secs(t, &c);
		assert_int_equal(c.year, tm.tm_year + 1900);
		assert_int_equal(c.month, tm.tm_mon + 1);
		assert_int_equal(c.day, tm.tm_mday);
		assert_int_equal(c.hour, tm.tm_hour);
		assert_int_equal(c.min, tm.tm_min);
		assert_int_equal(c.sec, tm.tm_sec);
		assert_int_equal(c.wday, tm.tm_wday);
		assert_int_equal(lc_civil_to_secs(&c), t);
	}
	assert_int_equal(lc_days_in_month(2000, 2), 29);
	assert_int_equal(lc_days_in_month(2100, 2), 28);
	assert_int_equal(lc_days_in_month(2024, 2), 29);
	assert_int_equal(lc_days_in_month(2023, 12), 31);
}

static void
test_load_errors(void **state)
{
	char	*cause = NULL;

	assert_null(lc_tz_load("Mars/Olympus_Mons", &cause));
	assert_non_null(strstr(cause, "unknown time zone \"Mars/Olympus_Mons\""));
	free(cause);
	cause = NULL;
	assert_null(lc_tz_load("../../etc/passwd", &cause));
	assert_non_null(strstr(cause, "invalid time zone name"));
	free(cause);
	cause = NULL;
	assert_null(lc_tz_load("/etc/passwd", &cause));
	free(cause);
	cause = NULL;
	assert_null(lc_tz_load("America", &cause));	/* a directory */
	free(cause);
	cause = NULL;
	assert_null(lc_tz_load("right/UTC", &cause));
	assert_non_null(strstr(cause, "leap seconds"));
	free(cause);
	cause = NULL;
	assert_null(lc_tz_load_posix("EST5EDT,M3.2.0", &cause));
	free(cause);
	assert_null(lc_tz_load_data("x", (const unsigned char *)"TZif2", 5, NULL));
}

static void
test_spans(void **state)
{
	struct lc_tz		*ny = lc_tz_load("America/New_York", NULL);
	struct lc_tz_span	 sp;

	assert_non_null(ny);
	/* 2019-03-10 07:00:00Z: EST -> EDT */
	lc_tz_span(ny, 1552201200, &sp);
	assert_int_equal(sp.start, 1552201200);
	assert_int_equal(sp.offset, -4 * 3600);
	assert_int_equal(sp.prev_offset, -5 * 3600);
	assert_int_equal(sp.end, 1572760800);	/* 2019-11-03 06:00:00Z */
	lc_tz_span(ny, 1552201199, &sp);
	assert_int_equal(sp.offset, -5 * 3600);
	/* far future: from the footer rule */
	assert_int_equal(lc_tz_offset(ny, 4102444800LL + 180 * 86400),
	    -4 * 3600);		/* 2100-06-29 */
	assert_int_equal(lc_tz_offset(ny, 4102444800LL), -5 * 3600);
	lc_tz_free(ny);
}

static void
test_posix(void **state)
{
	struct lc_tz	*tz;

	tz = lc_tz_load_posix("EST5EDT,M3.2.0,M11.1.0", NULL);
	assert_non_null(tz);
	assert_int_equal(lc_tz_offset(tz, 1552201199), -5 * 3600);
	assert_int_equal(lc_tz_offset(tz, 1552201200), -4 * 3600);
	lc_tz_free(tz);
	/* southern hemisphere, DST across the new year */
	tz = lc_tz_load_posix("AEST-10AEDT,M10.1.0,M4.1.0/3", NULL);
	assert_non_null(tz);
	assert_int_equal(lc_tz_offset(tz, 1577836800), 11 * 3600);	/* Jan */
	assert_int_equal(lc_tz_offset(tz, 1593561600), 10 * 3600);	/* Jul */
	lc_tz_free(tz);
	/* negative DST (Europe/Dublin) and <+nn> names */
	tz = lc_tz_load_posix("IST-1GMT0,M10.5.0,M3.5.0/1", NULL);
	assert_non_null(tz);
	assert_int_equal(lc_tz_offset(tz, 1577836800), 0);
	assert_int_equal(lc_tz_offset(tz, 1593561600), 3600);
	lc_tz_free(tz);
	tz = lc_tz_load_posix("<+0545>-5:45", NULL);
	assert_non_null(tz);
	assert_int_equal(lc_tz_offset(tz, 0), 5 * 3600 + 45 * 60);
	lc_tz_free(tz);
	/* extended hours (RFC 8536): America/Nuuk */
	tz = lc_tz_load_posix("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", NULL);
	assert_non_null(tz);
	assert_int_equal(lc_tz_offset(tz, 1593561600), -3600);
	lc_tz_free(tz);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

/* Compares one zone with glibc over random instants; returns mismatches. */
static int
compare_zone(const char *name, int samples)
{
	struct lc_tz	*tz;
	char		*cause = NULL;
	int		 i, bad = 0;

	if ((tz = lc_tz_load(name, &cause)) == NULL) {
		print_error("%s: %s\n", name, cause);
		free(cause);
		return (1);
	}
	setenv("TZ", name, 1);
	tzset();
	for (i = 0; i < samples; i++) {
		/* 1970 .. 2100 */
		int64_t		 t = (int64_t)(rnd() % 4102444800ULL);
		time_t		 tt = (time_t)t;
		struct tm	 tm;
		struct lc_civil	 c;
		int32_t		 off;

		localtime_r(&tt, &tm);
		off = lc_tz_to_civil(tz, t, &c);
		if (off != tm.tm_gmtoff || c.hour != tm.tm_hour ||
		    c.day != tm.tm_mday || c.year != tm.tm_year + 1900) {
			if (bad++ < 3)
				print_error("%s at %lld: ours %d, glibc %ld\n",
				    name, (long long)t, off, tm.tm_gmtoff);
		}
	}
	lc_tz_free(tz);
	return (bad);
}

/* Every zone named in tzdata.zi ("Z name ..." and "L target name" lines). */
static void
test_all_zones_match_glibc(void **state)
{
	FILE	*f = fopen("/usr/share/zoneinfo/tzdata.zi", "r");
	char	 line[1024], a[256], b[256];
	int	 zones = 0, bad = 0;

	if (f == NULL)
		skip();
	while (fgets(line, sizeof line, f) != NULL) {
		if (line[0] == 'Z' && sscanf(line, "Z %255s", a) == 1) {
			bad += compare_zone(a, 10000) != 0;
			zones++;
		} else if (line[0] == 'L' &&
		    sscanf(line, "L %255s %255s", a, b) == 2) {
			bad += compare_zone(b, 10000) != 0;
			zones++;
		}
	}
	fclose(f);
	unsetenv("TZ");
	print_message("# compared %d zones x 10000 instants with glibc\n",
	    zones);
	assert_true(zones > 300);
	assert_int_equal(bad, 0);
}

/*
 * Past the transitions expanded from the footer rule (year 2600), the rule
 * still holds, as glibc applies it: offsets and spans up to year 9999.
 */
static void
test_far_future_matches_glibc(void **state)
{
	static const char	*zones[] = { "America/New_York", "Europe/London",
	    "Australia/Sydney", "Australia/Lord_Howe", "Europe/Dublin",
	    "America/Santiago", "America/Nuuk", "Asia/Kolkata" };
	struct lc_tz		*tz;
	struct lc_tz_span	 sp;
	struct tm		 tm;
	time_t			 tt;
	int64_t			 t;
	size_t			 z;
	int			 i, bad = 0;

	for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		tz = lc_tz_load(zones[z], NULL);
		assert_non_null(tz);
		setenv("TZ", zones[z], 1);
		tzset();
		for (i = 0; i < 20000; i++) {
			/* 2100 .. 9999, and every 6 hours of 2599 .. 2602 */
			if (i < 6000)
				t = 19845216000LL + (int64_t)i * 6 * 3600;
			else
				t = 4102444800LL + (int64_t)(rnd() %
				    (253402300799ULL - 4102444800ULL));
			tt = (time_t)t;
			localtime_r(&tt, &tm);
			lc_tz_span(tz, t, &sp);
			if (lc_tz_offset(tz, t) != tm.tm_gmtoff ||
			    sp.offset != tm.tm_gmtoff || t < sp.start ||
			    t >= sp.end) {
				if (bad++ < 5)
					print_error("%s at %lld: ours %d, span "
					    "[%lld, %lld) %d, glibc %ld\n",
					    zones[z], (long long)t,
					    lc_tz_offset(tz, t),
					    (long long)sp.start,
					    (long long)sp.end, sp.offset,
					    tm.tm_gmtoff);
				continue;
			}
			/* A span's ends are real changes of offset. */
			tt = (time_t)(sp.end - 1);
			localtime_r(&tt, &tm);
			if (sp.end != INT64_MAX && tm.tm_gmtoff != sp.offset)
				bad++;
			tt = (time_t)sp.end;
			localtime_r(&tt, &tm);
			if (sp.end != INT64_MAX && tm.tm_gmtoff == sp.offset)
				bad++;
		}
		lc_tz_free(tz);
	}
	unsetenv("TZ");
	tzset();
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_posix),
		cmocka_unit_test(test_all_zones_match_glibc),
		cmocka_unit_test(test_far_future_matches_glibc),
	};

	return (cmocka_run_group_tests_name("tz", tests, NULL, NULL));
}
