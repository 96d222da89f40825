/*
 * Unit tests for cronexpr: every feature of the grammar and every error, the
 * Vixie day rule, calendars (leap years, month ends, year rollover), the
 * daylight-saving rules of DESIGN.md in several zones, and the regression
 * cases of issue 2. Every test names its zone and its dates; main() sets the
 * host's TZ to a zone no test uses, so that the host's zone cannot leak in.
 * Expected instants are written with their offset and read by a parser of
 * this file (sscanf + timegm), not by lockcron's own.
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

#include "lockcron/cronexpr.h"
#include "lockcron/tz.h"

#define DAY	86400

/* --- helpers ----------------------------------------------------------- */

static struct {
	const char	*name;
	struct lc_tz	*tz;
} zones[16];

/* A zone, loaded once; the test fails if it cannot be loaded. */
static struct lc_tz *
zone(const char *name)
{
	char	*cause = NULL;
	size_t	 i;

	for (i = 0; i < 16 && zones[i].name != NULL; i++)
		if (strcmp(zones[i].name, name) == 0)
			return (zones[i].tz);
	assert_true(i < 16);
	zones[i].tz = lc_tz_load(name, &cause);
	if (zones[i].tz == NULL)
		fail_msg("cannot load zone %s: %s", name, cause);
	zones[i].name = name;
	return (zones[i].tz);
}

static int
free_zones(void **state)
{
	size_t	 i;

	for (i = 0; i < 16 && zones[i].name != NULL; i++) {
		lc_tz_free(zones[i].tz);
		zones[i].name = NULL;
	}
	return (0);
}

/* "YYYY-MM-DDTHH:MM:SS" then "Z" or "+HH:MM"/"-HH:MM", to UTC seconds. */
static int64_t
iso(const char *s)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
	char		 sign;

	if (sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec,
	    &n) != 6)
		fail_msg("bad instant in test: %s", s);
	if (strcmp(s + n, "Z") == 0)
		sign = '+';
	else if (sscanf(s + n, "%c%d:%d", &sign, &oh, &om) != 3 ||
	    (sign != '+' && sign != '-'))
		fail_msg("bad offset in test: %s", s);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return ((int64_t)timegm(&tm) -
	    (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60));
}

/* An instant as UTC text, for failure messages. */
static const char *
utc(int64_t t, char *buf)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (buf);
}

static struct lc_cronexpr *
parse_ok(const char *text)
{
	struct lc_cronexpr	*e;
	char			*cause = NULL;

	e = lc_cronexpr_parse(text, &cause);
	if (e == NULL)
		fail_msg("\"%s\" should parse: %s", text, cause);
	assert_null(cause);
	return (e);
}

/*
 * Asserts that, from instant `from`, expr in zone fires at exactly the
 * instants of the NULL-terminated list, in order.
 */
static void
expect_fires(const char *expr, const char *zname, const char *from, ...)
{
	struct lc_cronexpr	*e = parse_ok(expr);
	struct lc_tz		*tz = zone(zname);
	const char		*want;
	int64_t			 t = iso(from), next;
	char			 b1[32], b2[32];
	va_list			 ap;

	va_start(ap, from);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (lc_cronexpr_next(e, tz, t, &next) != 0)
			fail_msg("%s in %s after %s: no fire, expected %s",
			    expr, zname, utc(t, b1), want);
		if (next != iso(want))
			fail_msg("%s in %s after %s: fired at %s, expected %s "
			    "(%s)", expr, zname, utc(t, b1), utc(next, b2),
			    want, utc(iso(want), b1));
		t = next;
	}
	va_end(ap);
	lc_cronexpr_free(e);
}

/* Asserts that expr never fires after `from` in zone. */
static void
expect_never(const char *expr, const char *zname, const char *from)
{
	struct lc_cronexpr	*e = parse_ok(expr);
	int64_t			 next = 0;
	char			 buf[32];

	if (lc_cronexpr_next(e, zone(zname), iso(from), &next) != -1)
		fail_msg("%s in %s should never fire, fired at %s", expr,
		    zname, utc(next, buf));
	lc_cronexpr_free(e);
}

/* Every fire of expr in [from, from + span) in zone; returns the count. */
static size_t
fires_in(const char *expr, const char *zname, int64_t from, int64_t span,
    int64_t *out, size_t max)
{
	struct lc_cronexpr	*e = parse_ok(expr);
	struct lc_tz		*tz = zone(zname);
	int64_t			 t = from - 1, next;
	size_t			 n = 0;

	while (lc_cronexpr_next(e, tz, t, &next) == 0 && next < from + span) {
		assert_true(next > t);
		assert_true(n < max);
		out[n++] = next;
		t = next;
	}
	lc_cronexpr_free(e);
	return (n);
}

enum unit { SEC, MIN, HOUR, DOM, MON, DOW };

/*
 * The set of values one calendar field takes over the fires of expr in UTC
 * during [from, from + span): a bit mask (bit 0 is Sunday for DOW).
 */
static uint64_t
values(const char *expr, const char *from, int64_t span, enum unit u)
{
	static int64_t	 t[100000];
	struct tm	 tm;
	time_t		 tt;
	uint64_t	 mask = 0;
	size_t		 i, n;
	int		 v;

	n = fires_in(expr, "UTC", iso(from), span, t, 100000);
	for (i = 0; i < n; i++) {
		tt = (time_t)t[i];
		gmtime_r(&tt, &tm);
		switch (u) {
		case SEC:	v = tm.tm_sec; break;
		case MIN:	v = tm.tm_min; break;
		case HOUR:	v = tm.tm_hour; break;
		case DOM:	v = tm.tm_mday; break;
		case MON:	v = tm.tm_mon + 1; break;
		default:	v = tm.tm_wday; break;
		}
		mask |= (uint64_t)1 << v;
	}
	return (mask);
}

/* A bit mask of the values given, ended by -1. */
static uint64_t
bits(int v, ...)
{
	uint64_t	 mask = 0;
	va_list		 ap;

	va_start(ap, v);
	for (; v != -1; v = va_arg(ap, int))
		mask |= (uint64_t)1 << v;
	va_end(ap);
	return (mask);
}

/* Bits lo..hi stepping by step. */
static uint64_t
span_bits(int lo, int hi, int step)
{
	uint64_t	 mask = 0;

	for (; lo <= hi; lo += step)
		mask |= (uint64_t)1 << lo;
	return (mask);
}

/* Field values over a whole cycle of each field, from a fixed start. */
#define SECS(x)		values(x, "2024-01-01T00:00:00Z", 60, SEC)
#define MINS(x)		values(x, "2024-01-01T00:00:00Z", 3600, MIN)
#define HOURS(x)	values(x, "2024-01-01T00:00:00Z", DAY, HOUR)
#define DOMS(x)		values(x, "2024-01-01T00:00:00Z", 31 * DAY, DOM)
#define MONS(x)		values(x, "2024-01-01T00:00:00Z", 366 * DAY, MON)
/* 2024-01-07 is a Sunday. */
#define DOWS(x)		values(x, "2024-01-07T00:00:00Z", 7 * DAY, DOW)

/* --- grammar ----------------------------------------------------------- */

static void
test_star(void **state)
{
	assert_int_equal(SECS("* * * * * *"), span_bits(0, 59, 1));
	assert_int_equal(MINS("* * * * *"), span_bits(0, 59, 1));
	assert_int_equal(HOURS("0 * * * *"), span_bits(0, 23, 1));
	assert_int_equal(DOMS("0 0 * * *"), span_bits(1, 31, 1));
	assert_int_equal(MONS("0 0 1 * *"), span_bits(1, 12, 1));
	assert_int_equal(DOWS("0 0 * * *"), span_bits(0, 6, 1));
	/* Every minute, one after the other. */
	expect_fires("* * * * *", "UTC", "2024-05-05T10:00:30Z",
	    "2024-05-05T10:01:00Z", "2024-05-05T10:02:00Z",
	    "2024-05-05T10:03:00Z", NULL);
}

static void
test_numbers(void **state)
{
	assert_int_equal(SECS("7 * * * * *"), bits(7, -1));
	assert_int_equal(SECS("59 * * * * *"), bits(59, -1));
	assert_int_equal(MINS("0 * * * *"), bits(0, -1));
	assert_int_equal(MINS("59 * * * *"), bits(59, -1));
	assert_int_equal(MINS("07 * * * *"), bits(7, -1));	/* leading 0 */
	assert_int_equal(HOURS("0 0 * * *"), bits(0, -1));
	assert_int_equal(HOURS("0 23 * * *"), bits(23, -1));
	assert_int_equal(DOMS("0 0 1 * *"), bits(1, -1));
	assert_int_equal(DOMS("0 0 31 * *"), bits(31, -1));
	assert_int_equal(MONS("0 0 1 1 *"), bits(1, -1));
	assert_int_equal(MONS("0 0 1 12 *"), bits(12, -1));
	assert_int_equal(DOWS("0 0 * * 3"), bits(3, -1));
	expect_fires("5 4 3 2 *", "UTC", "2024-01-01T00:00:00Z",
	    "2024-02-03T04:05:00Z", "2025-02-03T04:05:00Z", NULL);
}

static void
test_ranges(void **state)
{
	assert_int_equal(SECS("58-59 * * * * *"), bits(58, 59, -1));
	assert_int_equal(MINS("10-14 * * * *"), span_bits(10, 14, 1));
	assert_int_equal(MINS("5-5 * * * *"), bits(5, -1));
	assert_int_equal(MINS("0-59 * * * *"), span_bits(0, 59, 1));
	assert_int_equal(HOURS("0 9-17 * * *"), span_bits(9, 17, 1));
	assert_int_equal(DOMS("0 0 1-3 * *"), bits(1, 2, 3, -1));
	assert_int_equal(DOMS("0 0 29-31 * *"), bits(29, 30, 31, -1));
	assert_int_equal(MONS("0 0 1 11-12 *"), bits(11, 12, -1));
	assert_int_equal(DOWS("0 0 * * 1-5"), span_bits(1, 5, 1));
}

static void
test_lists(void **state)
{
	assert_int_equal(MINS("1,5-7,30 * * * *"), bits(1, 5, 6, 7, 30, -1));
	assert_int_equal(MINS("59,0 * * * *"), bits(0, 59, -1));
	assert_int_equal(MINS("3,3,3 * * * *"), bits(3, -1));
	assert_int_equal(MINS("1-10/3,50-59/5 * * * *"),
	    bits(1, 4, 7, 10, 50, 55, -1));
	assert_int_equal(SECS("0,30 * * * * *"), bits(0, 30, -1));
	assert_int_equal(HOURS("0 0,12,23 * * *"), bits(0, 12, 23, -1));
	assert_int_equal(DOMS("0 0 1,15,31 * *"), bits(1, 15, 31, -1));
	assert_int_equal(MONS("0 0 1 1,7,dec *"), bits(1, 7, 12, -1));
	assert_int_equal(DOWS("0 0 * * 0,6"), bits(0, 6, -1));
	assert_int_equal(DOWS("0 0 * * mon,wed-fri"), bits(1, 3, 4, 5, -1));
}

static void
test_steps(void **state)
{
	assert_int_equal(MINS("*/15 * * * *"), bits(0, 15, 30, 45, -1));
	assert_int_equal(MINS("*/7 * * * *"), span_bits(0, 59, 7));
	assert_int_equal(MINS("*/1 * * * *"), span_bits(0, 59, 1));
	assert_int_equal(MINS("10-30/10 * * * *"), bits(10, 20, 30, -1));
	assert_int_equal(MINS("10-31/10 * * * *"), bits(10, 20, 30, -1));
	/* a/n runs from a to the field's maximum. */
	assert_int_equal(MINS("50/4 * * * *"), bits(50, 54, 58, -1));
	assert_int_equal(MINS("0/20 * * * *"), bits(0, 20, 40, -1));
	/* A step as large as the range keeps only its first value. */
	assert_int_equal(MINS("*/60 * * * *"), bits(0, -1));
	assert_int_equal(MINS("5-9/5 * * * *"), bits(5, -1));
	assert_int_equal(SECS("*/10 * * * * *"), span_bits(0, 50, 10));
	assert_int_equal(HOURS("0 2/4 * * *"), bits(2, 6, 10, 14, 18, 22, -1));
	assert_int_equal(HOURS("0 */6 * * *"), bits(0, 6, 12, 18, -1));
	assert_int_equal(DOMS("0 0 1/5 * *"), span_bits(1, 31, 5));
	assert_int_equal(DOMS("0 0 */10 * *"), bits(1, 11, 21, 31, -1));
	assert_int_equal(MONS("0 0 1 */3 *"), bits(1, 4, 7, 10, -1));
	assert_int_equal(MONS("0 0 1 jan-dec/4 *"), bits(1, 5, 9, -1));
	assert_int_equal(MONS("0 0 1 feb/5 *"), bits(2, 7, 12, -1));
	/* dow runs over 0-7: star-slash-2 is 0,2,4,6; 1/2 ends on 7, Sunday. */
	assert_int_equal(DOWS("0 0 * * */2"), bits(0, 2, 4, 6, -1));
	assert_int_equal(DOWS("0 0 * * 1/2"), bits(0, 1, 3, 5, -1));
	assert_int_equal(DOWS("0 0 * * mon-fri/2"), bits(1, 3, 5, -1));
}

static void
test_month_names(void **state)
{
	static const char	*names[] = { "jan", "feb", "mar", "apr", "may",
	    "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	char			 expr[64], up[4], mixed[4];
	int			 m, i;

	for (m = 0; m < 12; m++) {
		for (i = 0; i < 3; i++) {
			up[i] = (char)(names[m][i] - 'a' + 'A');
			mixed[i] = i == 0 ? up[i] : names[m][i];
		}
		up[3] = mixed[3] = '\0';
		snprintf(expr, sizeof expr, "0 0 1 %s *", names[m]);
		assert_int_equal(MONS(expr), bits(m + 1, -1));
		snprintf(expr, sizeof expr, "0 0 1 %s *", up);
		assert_int_equal(MONS(expr), bits(m + 1, -1));
		snprintf(expr, sizeof expr, "0 0 1 %s *", mixed);
		assert_int_equal(MONS(expr), bits(m + 1, -1));
	}
	assert_int_equal(MONS("0 0 1 mar-MAY *"), bits(3, 4, 5, -1));
	assert_int_equal(MONS("0 0 1 jan-3 *"), bits(1, 2, 3, -1));
	assert_int_equal(MONS("0 0 1 nOv,Jan *"), bits(1, 11, -1));
}

static void
test_day_names(void **state)
{
	static const char	*names[] = { "sun", "mon", "tue", "wed", "thu",
	    "fri", "sat" };
	char			 expr[64], up[4], mixed[4];
	int			 d, i;

	for (d = 0; d < 7; d++) {
		for (i = 0; i < 3; i++) {
			up[i] = (char)(names[d][i] - 'a' + 'A');
			mixed[i] = i == 1 ? up[i] : names[d][i];
		}
		up[3] = mixed[3] = '\0';
		snprintf(expr, sizeof expr, "0 0 * * %s", names[d]);
		assert_int_equal(DOWS(expr), bits(d, -1));
		snprintf(expr, sizeof expr, "0 0 * * %s", up);
		assert_int_equal(DOWS(expr), bits(d, -1));
		snprintf(expr, sizeof expr, "0 0 * * %s", mixed);
		assert_int_equal(DOWS(expr), bits(d, -1));
	}
	assert_int_equal(DOWS("0 0 * * Mon-FRI"), span_bits(1, 5, 1));
	assert_int_equal(DOWS("0 0 * * sun-sat"), span_bits(0, 6, 1));
}

static void
test_dow_sunday_is_0_and_7(void **state)
{
	assert_int_equal(DOWS("0 0 * * 0"), bits(0, -1));
	assert_int_equal(DOWS("0 0 * * 7"), bits(0, -1));
	assert_int_equal(DOWS("0 0 * * 0,7"), bits(0, -1));
	assert_int_equal(DOWS("0 0 * * 5-7"), bits(5, 6, 0, -1));
	assert_int_equal(DOWS("0 0 * * 0-7"), span_bits(0, 6, 1));
	assert_int_equal(DOWS("0 0 * * fri-7"), bits(5, 6, 0, -1));
	/* 2024-01-07 was a Sunday: both spellings fire on it. */
	expect_fires("0 12 * * 7", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-07T12:00:00Z", "2024-01-14T12:00:00Z", NULL);
	expect_fires("0 12 * * 0", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-07T12:00:00Z", "2024-01-14T12:00:00Z", NULL);
}

static void
test_blanks(void **state)
{
	static const char	*forms[] = {
		"30 2 * * 1",
		"30  2 * * 1",
		"30\t2\t*\t*\t1",
		"  30 \t 2\t\t*   *\t 1  ",
		"\t30 2 * * 1\t",
	};
	size_t			 i;

	for (i = 0; i < 5; i++)
		expect_fires(forms[i], "UTC", "2024-01-01T00:00:00Z",
		    "2024-01-01T02:30:00Z", "2024-01-08T02:30:00Z", NULL);
	expect_fires("\t0  30 \t2 * * *", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-01T02:30:00Z", NULL);
}

static void
test_seconds_field(void **state)
{
	struct lc_cronexpr	*e;

	e = parse_ok("*/10 * * * * *");
	assert_true(lc_cronexpr_has_seconds(e));
	lc_cronexpr_free(e);
	e = parse_ok("* * * * *");
	assert_false(lc_cronexpr_has_seconds(e));
	lc_cronexpr_free(e);

	expect_fires("*/10 * * * * *", "UTC", "2024-01-01T23:59:35Z",
	    "2024-01-01T23:59:40Z", "2024-01-01T23:59:50Z",
	    "2024-01-02T00:00:00Z", NULL);
	expect_fires("30 0 12 * * *", "UTC", "2024-01-01T12:00:30Z",
	    "2024-01-02T12:00:30Z", NULL);
	expect_fires("15,45 30 2 1 1 *", "UTC", "2023-06-01T00:00:00Z",
	    "2024-01-01T02:30:15Z", "2024-01-01T02:30:45Z",
	    "2025-01-01T02:30:15Z", NULL);
	/* Five fields fire at second 0 only, even from mid-minute. */
	expect_fires("* * * * *", "UTC", "2024-01-01T00:00:01Z",
	    "2024-01-01T00:01:00Z", NULL);
	expect_fires("* * * * * *", "UTC", "2024-01-01T00:00:59Z",
	    "2024-01-01T00:01:00Z", "2024-01-01T00:01:01Z", NULL);
}

static void
test_macros(void **state)
{
	static const struct {
		const char	*macro, *fields;
	} m[] = {
		{ "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" },
		{ "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
	};
	static const char	*zs[] = { "UTC", "America/New_York" };
	struct lc_cronexpr	*a, *b;
	int64_t			 ta, tb, na, nb;
	size_t			 i, z, k;

	for (i = 0; i < 7; i++) {
		a = parse_ok(m[i].macro);
		b = parse_ok(m[i].fields);
		assert_string_equal(lc_cronexpr_text(a), m[i].macro);
		assert_false(lc_cronexpr_is_reboot(a));
		assert_false(lc_cronexpr_has_seconds(a));
		assert_int_equal(lc_cronexpr_is_wildcard(a),
		    lc_cronexpr_is_wildcard(b));
		for (z = 0; z < 2; z++) {
			ta = tb = iso("2019-02-20T13:14:15Z");
			for (k = 0; k < 40; k++) {
				assert_int_equal(lc_cronexpr_next(a,
				    zone(zs[z]), ta, &na), 0);
				assert_int_equal(lc_cronexpr_next(b,
				    zone(zs[z]), tb, &nb), 0);
				assert_int_equal(na, nb);
				ta = tb = na;
			}
		}
		lc_cronexpr_free(a);
		lc_cronexpr_free(b);
	}
	expect_fires("@yearly", "UTC", "2024-06-01T00:00:00Z",
	    "2025-01-01T00:00:00Z", NULL);
	expect_fires("@monthly", "UTC", "2024-01-31T00:00:00Z",
	    "2024-02-01T00:00:00Z", NULL);
	expect_fires("@weekly", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-07T00:00:00Z", NULL);
	expect_fires("@daily", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-02T00:00:00Z", NULL);
	expect_fires("@hourly", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-01T01:00:00Z", NULL);
	expect_fires(" @daily\t", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-02T00:00:00Z", NULL);
}

static void
test_reboot_has_no_next(void **state)
{
	static const char	*zs[] = { "UTC", "America/New_York",
	    "Australia/Sydney" };
	struct lc_cronexpr	*e;
	int64_t			 next = 12345;
	size_t			 i;

	e = parse_ok("@reboot");
	assert_true(lc_cronexpr_is_reboot(e));
	assert_false(lc_cronexpr_has_seconds(e));
	assert_string_equal(lc_cronexpr_text(e), "@reboot");
	for (i = 0; i < 3; i++) {
		assert_int_equal(lc_cronexpr_next(e, zone(zs[i]), 0, &next),
		    -1);
		assert_int_equal(lc_cronexpr_next(e, zone(zs[i]),
		    iso("2026-03-08T01:59:00Z"), &next), -1);
	}
	assert_int_equal(next, 12345);	/* untouched */
	lc_cronexpr_free(e);
	e = parse_ok("0 0 * * *");
	assert_false(lc_cronexpr_is_reboot(e));
	lc_cronexpr_free(e);
}

static void
test_wildcard_flag(void **state)
{
	static const struct {
		const char	*expr;
		int		 wildcard;
	} c[] = {
		{ "* * * * *", 1 },
		{ "*/5 2 * * *", 1 },	/* minute starts with * */
		{ "5 * * * *", 1 },	/* hour starts with * */
		{ "5 */2 * * *", 1 },
		{ "0 2 * * *", 0 },
		{ "0 2/4 * * *", 0 },
		{ "0 0-23 * * *", 0 },	/* every hour, but not a '*' */
		{ "0,30 1,2 * * *", 0 },
		{ "0 2 */2 * *", 0 },	/* day fields do not count */
		{ "* 0 2 * * *", 0 },	/* nor does the seconds field */
		{ "0 * 2 * * *", 1 },
		{ "0 0 * * * *", 1 },
		{ "@hourly", 1 },
		{ "@daily", 0 },
		{ "@weekly", 0 },
	};
	struct lc_cronexpr	*e;
	size_t			 i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		e = parse_ok(c[i].expr);
		if (lc_cronexpr_is_wildcard(e) != c[i].wildcard)
			fail_msg("%s: wildcard should be %d", c[i].expr,
			    c[i].wildcard);
		lc_cronexpr_free(e);
	}
}

static void
test_text_kept(void **state)
{
	struct lc_cronexpr	*e;

	e = parse_ok("*/5  2 * * mon");
	assert_string_equal(lc_cronexpr_text(e), "*/5  2 * * mon");
	lc_cronexpr_free(e);
	lc_cronexpr_free(NULL);		/* a no-op */
}

/* --- errors ------------------------------------------------------------ */

static void
test_errors(void **state)
{
	static const struct {
		const char	*expr;
		const char	*field;	/* must appear in the message */
		const char	*why;	/* so must this */
	} c[] = {
		/* out of range, in every field */
		{ "60 * * * * *", "second field", "60 is out of range" },
		{ "60 * * * *", "minute field", "60 is out of range" },
		{ "0 60 * * * *", "minute field", "out of range" },
		{ "* 24 * * *", "hour field", "24 is out of range" },
		{ "* * 0 * *", "day-of-month field", "0 is out of range" },
		{ "* * 32 * *", "day-of-month field", "32 is out of range" },
		{ "* * * 0 *", "month field", "0 is out of range" },
		{ "* * * 13 *", "month field", "13 is out of range" },
		{ "* * * * 8", "day-of-week field", "8 is out of range" },
		{ "0-60 * * * *", "minute field", "60 is out of range" },
		{ "1,2,99 * * * *", "minute field", "99 is out of range" },
		{ "99999 * * * *", "minute field", "99999 is out of range" },
		{ "* 1000000 * * *", "hour field", "1000000 is out of range" },
		/* reversed ranges */
		{ "5-1 * * * *", "minute field", "reversed" },
		{ "* 23-0 * * *", "hour field", "reversed" },
		{ "* * * dec-jan *", "month field", "reversed" },
		{ "* * * * sat-sun", "day-of-week field", "reversed" },
		{ "* * * * 7-1", "day-of-week field", "reversed" },
		/* steps */
		{ "*/0 * * * *", "minute field", "step 0" },
		{ "* */0 * * *", "hour field", "step 0" },
		{ "* * * * mon/0", "day-of-week field", "step 0" },
		{ "*/61 * * * *", "minute field", "step 61" },
		{ "* 0-5/7 * * *", "hour field", "step 7" },
		{ "* * 20/13 * *", "day-of-month field", "step 13" },
		{ "* * * */13 *", "month field", "step 13" },
		{ "* * * * */9", "day-of-week field", "step 9" },
		{ "*/99999 * * * *", "minute field", "step 99999" },
		{ "*/ * * * *", "minute field", "step needs a number" },
		{ "*/mon * * * *", "minute field", "step needs a number" },
		/* names */
		{ "* * * foo *", "month field", "unknown name \"foo\"" },
		{ "* * * january *", "month field", "unknown name \"january\"" },
		{ "* * * ja *", "month field", "unknown name \"ja\"" },
		{ "* * * * funday", "day-of-week field", "unknown name" },
		{ "* * * * mon-xyz", "day-of-week field",
		    "unknown name \"xyz\"" },
		{ "jan * * * *", "minute field", "names are not allowed" },
		{ "* * mon * *", "day-of-month field", "names are not allowed" },
		{ "0 0 L * *", "day-of-month field", "names are not allowed" },
		/* field count */
		{ "* * * *", "5 fields", "found 4" },
		{ "*", "5 fields", "found 1" },
		{ "* * * * * * *", "5 fields", "more than 6" },
		{ "0 0 1 1 * 2024 x", "5 fields", "more than 6" },
		/* empty */
		{ "", "schedule", "empty" },
		{ " \t  ", "schedule", "empty" },
		{ "0 0 , * *", "day-of-month field", "empty list item" },
		{ "1,,2 * * * *", "minute field", "empty list item" },
		{ "1, * * * *", "minute field", "empty list item" },
		{ ",1 * * * *", "minute field", "empty list item" },
		{ "5- * * * *", "minute field", "after \"-\"" },
		{ "* 1-,3 * * *", "hour field", "after \"-\"" },
		/* trailing garbage */
		{ "5x * * * *", "minute field", "unexpected \"x\"" },
		{ "*/5x * * * *", "minute field", "unexpected \"x\"" },
		{ "0 0 * * 1x", "day-of-week field", "unexpected \"x\"" },
		{ "0 0 * * mon1", "day-of-week field", "unexpected \"1\"" },
		{ "1-2-3 * * * *", "minute field", "unexpected \"-\"" },
		{ "*-5 * * * *", "minute field", "unexpected \"-\"" },
		{ "** * * * *", "minute field", "unexpected \"*\"" },
		{ "0 0 ? * *", "day-of-month field", "unexpected \"?\"" },
		{ "-5 * * * *", "minute field", "unexpected \"-\"" },
		/* macros */
		{ "@DAILY", "macro", "unknown macro \"@DAILY\"" },
		{ "@fortnightly", "macro", "unknown macro" },
		{ "@daily 0", "@daily", "alone" },
		{ "@reboot now", "@reboot", "alone" },
		/* bytes that are not printable ASCII */
		{ "0 0 * * m\xc3\xb6n", "day-of-week field",
		    "non-ASCII byte 0xc3" },
		{ "\xc3\xa9 * * * *", "minute field", "non-ASCII byte 0xc3" },
		{ "0 0 1 \xe2\x80\x94 *", "month field", "non-ASCII byte 0xe2" },
		{ "0\xc2\xa0" "0 * * *", "field 1", "non-ASCII byte 0xc2" },
		{ "0 0 * * *\n", "day-of-week field",
		    "control character 0x0a" },
		{ "0 0\r * * *", "hour field", "control character 0x0d" },
	};
	struct lc_cronexpr	*e;
	char			*cause;
	size_t			 i;
	int			 bad = 0;

	/* Every case is checked, so that one run lists every wrong message. */
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		cause = NULL;
		e = lc_cronexpr_parse(c[i].expr, &cause);
		if (e != NULL || cause == NULL) {
			print_error("\"%s\" should not parse, with a message\n",
			    c[i].expr);
			lc_cronexpr_free(e);
			bad++;
		} else if (strstr(cause, c[i].field) == NULL ||
		    strstr(cause, c[i].why) == NULL ||
		    strchr(cause, '\n') != NULL) {
			print_error("\"%s\": message \"%s\" should name \"%s\" "
			    "and say \"%s\" on one line\n", c[i].expr, cause,
			    c[i].field, c[i].why);
			bad++;
		}
		free(cause);
		/* A NULL cause is allowed too. */
		assert_null(lc_cronexpr_parse(c[i].expr, NULL));
	}
	assert_null(lc_cronexpr_parse(NULL, NULL));
	assert_int_equal(bad, 0);
}

/* --- the day rule ------------------------------------------------------ */

typedef int (*day_pred)(int mday, int wday);

/*
 * Asserts that "0 0 DOM * DOW" fires on exactly the days of `year` for
 * which pred holds (calendar from glibc's gmtime).
 */
static void
check_days(const char *expr, int year, day_pred pred)
{
	struct lc_cronexpr	*e = parse_ok(expr);
	struct tm		 tm;
	char			 from[32], b1[32], b2[32];
	int64_t			 day, end, t, next;
	time_t			 tt;
	int			 n = 0;

	snprintf(from, sizeof from, "%04d-01-01T00:00:00Z", year);
	day = iso(from);
	snprintf(from, sizeof from, "%04d-01-01T00:00:00Z", year + 1);
	end = iso(from);
	t = day - 1;
	for (; day < end; day += DAY) {
		tt = (time_t)day;
		gmtime_r(&tt, &tm);
		if (!pred(tm.tm_mday, tm.tm_wday))
			continue;
		assert_int_equal(lc_cronexpr_next(e, zone("UTC"), t, &next),
		    0);
		if (next != day)
			fail_msg("%s after %s: fired at %s, expected %s", expr,
			    utc(t, b1), utc(next, b2), utc(day, b1));
		t = next;
		n++;
	}
	assert_int_equal(lc_cronexpr_next(e, zone("UTC"), t, &next), 0);
	assert_true(next >= end);
	assert_true(n > 0);
	lc_cronexpr_free(e);
}

static int p_13_or_fri(int d, int w) { return (d == 13 || w == 5); }
static int p_fri(int d, int w) { return (w == 5); }
static int p_13(int d, int w) { return (d == 13); }
static int p_odd_fri(int d, int w) { return (d % 2 == 1 && w == 5); }
static int p_13_and_even_dow(int d, int w) { return (d == 13 && w % 2 == 0); }
static int p_first7_or_mon(int d, int w) { return (d <= 7 || w == 1); }
static int p_every(int d, int w) { return (1); }

static void
test_day_rule(void **state)
{
	/* Neither field starts with '*': either one matches. */
	check_days("0 0 13 * 5", 2023, p_13_or_fri);
	check_days("0 0 13 * fri", 2024, p_13_or_fri);
	check_days("0 0 1-7 * 1", 2023, p_first7_or_mon);
	/* A '*' in either field: both must match. */
	check_days("0 0 * * 5", 2023, p_fri);
	check_days("0 0 13 * *", 2023, p_13);
	check_days("0 0 */2 * 5", 2023, p_odd_fri);	/* "*" + step too */
	check_days("0 0 13 * */2", 2024, p_13_and_even_dow);
	check_days("0 0 * * *", 2024, p_every);
}

static int p_first7_sun(int d, int w) { return (d <= 7 && w == 0); }

static void
test_day_rule_star_step_dow(void **state)
{
	/* "*" + "/7" in dow is {0, 7}: Sunday; both must match. */
	check_days("0 0 1-7 * */7", 2023, p_first7_sun);
	check_days("0 0 1-7 * */7", 2024, p_first7_sun);
}

/* --- calendars --------------------------------------------------------- */

static void
test_leap_years(void **state)
{
	expect_fires("0 0 29 2 *", "UTC", "2023-01-01T00:00:00Z",
	    "2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z",
	    "2032-02-29T00:00:00Z", NULL);
	/* 2000 is a leap year (divisible by 400), 2100 is not. */
	expect_fires("0 0 29 2 *", "UTC", "1997-03-01T00:00:00Z",
	    "2000-02-29T00:00:00Z", "2004-02-29T00:00:00Z", NULL);
	expect_fires("0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z",
	    "2104-02-29T00:00:00Z", "2108-02-29T00:00:00Z", NULL);
	expect_fires("0 0 29 2 *", "America/New_York",
	    "2096-03-01T00:00:00-05:00",
	    "2104-02-29T00:00:00-05:00", NULL);
	expect_fires("0 0 29 2 *", "Australia/Sydney",
	    "2096-03-01T00:00:00+11:00",
	    "2104-02-29T00:00:00+11:00", NULL);
	/* Days around February's end. */
	expect_fires("0 0 * 2,3 *", "UTC", "2100-02-27T12:00:00Z",
	    "2100-02-28T00:00:00Z", "2100-03-01T00:00:00Z", NULL);
	expect_fires("0 0 * 2,3 *", "UTC", "2000-02-27T12:00:00Z",
	    "2000-02-28T00:00:00Z", "2000-02-29T00:00:00Z",
	    "2000-03-01T00:00:00Z", NULL);
	/* Feb 29th on a Sunday: 2004, then 28 years later, then across
	 * 2100 (not leap) 40 years later. */
	expect_fires("0 0 29 2 */7", "UTC", "2004-03-01T00:00:00Z",
	    "2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z",
	    "2088-02-29T00:00:00Z", "2128-02-29T00:00:00Z", NULL);
}

static void
test_month_ends(void **state)
{
	int64_t		 t[64];

	/* The 31st exists only in the long months. */
	expect_fires("0 0 31 * *", "UTC", "2024-01-01T00:00:00Z",
	    "2024-01-31T00:00:00Z", "2024-03-31T00:00:00Z",
	    "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z",
	    "2024-08-31T00:00:00Z", "2024-10-31T00:00:00Z",
	    "2024-12-31T00:00:00Z", "2025-01-31T00:00:00Z", NULL);
	assert_int_equal(fires_in("0 0 31 * *", "UTC",
	    iso("2023-01-01T00:00:00Z"), 365 * DAY, t, 64), 7);
	assert_int_equal(fires_in("0 0 30 * *", "UTC",
	    iso("2023-01-01T00:00:00Z"), 365 * DAY, t, 64), 11);
	assert_int_equal(fires_in("0 0 29 * *", "UTC",
	    iso("2023-01-01T00:00:00Z"), 365 * DAY, t, 64), 11);
	assert_int_equal(fires_in("0 0 29 * *", "UTC",
	    iso("2024-01-01T00:00:00Z"), 366 * DAY, t, 64), 12);
	expect_fires("0 0 30,31 4-6 *", "UTC", "2024-04-01T00:00:00Z",
	    "2024-04-30T00:00:00Z", "2024-05-30T00:00:00Z",
	    "2024-05-31T00:00:00Z", "2024-06-30T00:00:00Z",
	    "2025-04-30T00:00:00Z", NULL);
	/* The last minute of a month and the first of the next. */
	expect_fires("59 23 * * *", "UTC", "2024-04-30T00:00:00Z",
	    "2024-04-30T23:59:00Z", "2024-05-01T23:59:00Z", NULL);
	expect_fires("* * 1 * *", "UTC", "2024-04-30T23:58:30Z",
	    "2024-05-01T00:00:00Z", NULL);
}

static void
test_year_rollover(void **state)
{
	expect_fires("59 23 31 12 *", "UTC", "2024-12-31T23:59:00Z",
	    "2025-12-31T23:59:00Z", NULL);
	expect_fires("0 0 1 1 *", "UTC", "2024-12-31T23:59:59Z",
	    "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z", NULL);
	expect_fires("* * * * *", "UTC", "2024-12-31T23:58:00Z",
	    "2024-12-31T23:59:00Z", "2025-01-01T00:00:00Z",
	    "2025-01-01T00:01:00Z", NULL);
	expect_fires("* * * * * *", "UTC", "2024-12-31T23:59:58Z",
	    "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", NULL);
	expect_fires("0 12 * 12 *", "UTC", "2024-12-31T13:00:00Z",
	    "2025-12-01T12:00:00Z", NULL);
	expect_fires("0 0 * * 3", "UTC", "2024-12-29T00:00:00Z",
	    "2025-01-01T00:00:00Z", NULL);
	/* New Year in a zone ahead of UTC happens the day before in UTC. */
	expect_fires("0 0 1 1 *", "Australia/Sydney",
	    "2024-06-01T00:00:00+10:00",
	    "2025-01-01T00:00:00+11:00", NULL);
	assert_int_equal(iso("2025-01-01T00:00:00+11:00"),
	    iso("2024-12-31T13:00:00Z"));
}

static void
test_never_fires(void **state)
{
	expect_never("0 0 30 2 *", "UTC", "2024-01-01T00:00:00Z");
	expect_never("0 0 30 2 *", "America/New_York", "2024-01-01T00:00:00Z");
	expect_never("0 0 30 2 *", "Australia/Lord_Howe",
	    "1999-01-01T00:00:00Z");
	expect_never("0 0 31 2,4,6,9,11 *", "UTC", "2024-01-01T00:00:00Z");
	expect_never("0 0 30-31 feb *", "Europe/London",
	    "2024-01-01T00:00:00Z");
	expect_never("0 0 0 31 4 *", "UTC", "2024-01-01T00:00:00Z");
	expect_never("0 0 30 2 */2", "UTC", "2024-01-01T00:00:00Z");
	/* With a day of week that is not '*', either field matches: the
	 * Mondays of February. */
	expect_fires("0 0 30 2 mon", "UTC", "2024-01-01T00:00:00Z",
	    "2024-02-05T00:00:00Z", "2024-02-12T00:00:00Z", NULL);
}

static void
test_strictly_after(void **state)
{
	struct lc_cronexpr	*e = parse_ok("0 2 * * *");
	int64_t			 fire = iso("2024-01-02T02:00:00Z"), next;

	assert_int_equal(lc_cronexpr_next(e, zone("UTC"), fire - 1, &next),
	    0);
	assert_int_equal(next, fire);
	assert_int_equal(lc_cronexpr_next(e, zone("UTC"), fire, &next), 0);
	assert_int_equal(next, fire + DAY);
	lc_cronexpr_free(e);
}

/* Far instants: a fire is after the start, or there is none. */
static void
test_far_instants(void **state)
{
	static const int64_t	 starts[] = {
		INT64_MAX, INT64_MAX / 2, INT64_MAX / 4, 100000000000000000LL,
		36028797018963968LL, 1000000000000000LL, 253402300799LL,
		-1, 0, -2208988800LL, -1000000000000000LL,
		-100000000000000000LL, INT64_MIN / 2, INT64_MIN,
	};
	static const char	*exprs[] = { "0 0 1 1 *", "* * * * *",
	    "*/7 * * * * *", "0 0 29 2 *" };
	static const char	*zs[] = { "UTC", "America/New_York" };
	struct lc_cronexpr	*e;
	int64_t			 next;
	size_t			 i, j, z;

	for (j = 0; j < 4; j++) {
		e = parse_ok(exprs[j]);
		for (z = 0; z < 2; z++)
			for (i = 0; i < sizeof starts / sizeof starts[0]; i++) {
				if (lc_cronexpr_next(e, zone(zs[z]), starts[i],
				    &next) != 0)
					continue;
				if (next <= starts[i])
					fail_msg("%s in %s after %lld: fired "
					    "at %lld, not after", exprs[j],
					    zs[z], (long long)starts[i],
					    (long long)next);
			}
		lc_cronexpr_free(e);
	}
	/* DST rules still apply centuries ahead (the zone's footer rule). */
	expect_fires("0 2 * * *", "America/New_York",
	    "3000-03-08T12:00:00-05:00",
	    "3000-03-09T03:00:00-04:00", "3000-03-10T02:00:00-04:00", NULL);
	expect_fires("30 1 * * *", "America/New_York",
	    "3000-11-01T12:00:00-04:00",
	    "3000-11-02T01:30:00-04:00", "3000-11-03T01:30:00-05:00", NULL);
	expect_fires("0 12 1 7 *", "Australia/Sydney",
	    "9000-01-01T00:00:00Z",
	    "9000-07-01T12:00:00+10:00", NULL);
	/* Year 9999 still works, and the one after it. */
	expect_fires("0 0 1 1 *", "UTC", "9999-06-01T00:00:00Z",
	    "10000-01-01T00:00:00Z", NULL);
}

/* --- daylight saving: America/New_York ---------------------------------- */

static void
test_dst_new_york_gap(void **state)
{
	/* 2019-03-10: 02:00 EST became 03:00 EDT. */
	expect_fires("30 * * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-10T00:30:00-05:00", "2019-03-10T01:30:00-05:00",
	    "2019-03-10T03:30:00-04:00", "2019-03-10T04:30:00-04:00", NULL);
	expect_fires("*/30 * * * *", "America/New_York",
	    "2019-03-10T00:45:00-05:00",
	    "2019-03-10T01:00:00-05:00", "2019-03-10T01:30:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2019-03-10T03:30:00-04:00", NULL);
	/* A wildcard job whose times are all skipped does not fire. */
	expect_fires("* 2 * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-11T02:00:00-04:00", "2019-03-11T02:01:00-04:00", NULL);
	/* Fixed jobs in the gap fire once, at its end. */
	expect_fires("30 2 * * *", "America/New_York",
	    "2019-03-09T03:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2019-03-11T02:30:00-04:00", NULL);
	expect_fires("0,15,30,45 2 * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2019-03-11T02:00:00-04:00",
	    "2019-03-11T02:15:00-04:00", NULL);
	expect_fires("30 2 10 3 *", "America/New_York",
	    "2019-01-01T00:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2020-03-10T02:30:00-04:00", NULL);
	/* Times around the gap are not moved. */
	expect_fires("59 1 * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-10T01:59:00-05:00", "2019-03-11T01:59:00-04:00", NULL);
	expect_fires("0 3 * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2019-03-11T03:00:00-04:00", NULL);
	expect_fires("0 2,3 * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2019-03-11T02:00:00-04:00", NULL);
	/* From the very second before the gap, and from its end. */
	expect_fires("30 2 * * *", "America/New_York",
	    "2019-03-10T01:59:59-05:00",
	    "2019-03-10T03:00:00-04:00", NULL);
	expect_fires("30 2 * * *", "America/New_York",
	    "2019-03-10T03:00:00-04:00",
	    "2019-03-11T02:30:00-04:00", NULL);
	/* Seconds: fixed and wildcard; the gap's very last second too. */
	expect_fires("0 30 2 * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", NULL);
	expect_fires("59 59 2 * * *", "America/New_York",
	    "2019-03-10T00:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2019-03-11T02:59:59-04:00", NULL);
	expect_fires("*/20 * * * * *", "America/New_York",
	    "2019-03-10T01:59:30-05:00",
	    "2019-03-10T01:59:40-05:00", "2019-03-10T03:00:00-04:00",
	    "2019-03-10T03:00:20-04:00", NULL);
}

static void
test_dst_new_york_overlap(void **state)
{
	/* 2019-11-03: 02:00 EDT became 01:00 EST; 01:xx happened twice. */
	expect_fires("30 * * * *", "America/New_York",
	    "2019-11-03T00:00:00-04:00",
	    "2019-11-03T00:30:00-04:00", "2019-11-03T01:30:00-04:00",
	    "2019-11-03T01:30:00-05:00", "2019-11-03T02:30:00-05:00", NULL);
	expect_fires("*/20 1 * * *", "America/New_York",
	    "2019-11-03T00:00:00-04:00",
	    "2019-11-03T01:00:00-04:00", "2019-11-03T01:20:00-04:00",
	    "2019-11-03T01:40:00-04:00", "2019-11-03T01:00:00-05:00",
	    "2019-11-03T01:20:00-05:00", "2019-11-03T01:40:00-05:00",
	    "2019-11-04T01:00:00-05:00", NULL);
	/* Fixed jobs: the first occurrence only. */
	expect_fires("30 1 * * *", "America/New_York",
	    "2019-11-02T12:00:00-04:00",
	    "2019-11-03T01:30:00-04:00", "2019-11-04T01:30:00-05:00", NULL);
	expect_fires("0 1 * * *", "America/New_York",
	    "2019-11-03T01:00:00-04:00",
	    "2019-11-04T01:00:00-05:00", NULL);
	expect_fires("0 2 * * *", "America/New_York",
	    "2019-11-03T00:00:00-04:00",
	    "2019-11-03T02:00:00-05:00", "2019-11-04T02:00:00-05:00", NULL);
	/* Starting inside the repeat, or just after the first pass. */
	expect_fires("30 1 * * *", "America/New_York",
	    "2019-11-03T01:10:00-05:00",
	    "2019-11-04T01:30:00-05:00", NULL);
	expect_fires("45 1 * * *", "America/New_York",
	    "2019-11-03T01:50:00-04:00",
	    "2019-11-04T01:45:00-05:00", NULL);
	expect_fires("45 1 * * *", "America/New_York",
	    "2019-11-03T01:59:59-04:00",
	    "2019-11-04T01:45:00-05:00", NULL);
	/* The seconds field does not make a job a wildcard one... */
	expect_fires("*/20 59 1 * * *", "America/New_York",
	    "2019-11-03T01:58:00-04:00",
	    "2019-11-03T01:59:00-04:00", "2019-11-03T01:59:20-04:00",
	    "2019-11-03T01:59:40-04:00", "2019-11-04T01:59:00-05:00", NULL);
	/* ...the minute field does. */
	expect_fires("*/20 * 1 * * *", "America/New_York",
	    "2019-11-03T01:59:30-04:00",
	    "2019-11-03T01:59:40-04:00", "2019-11-03T01:00:00-05:00", NULL);
}

/* --- daylight saving: Europe/London ------------------------------------- */

static void
test_dst_london_gap(void **state)
{
	/* 2022-03-27: 01:00 GMT became 02:00 BST. */
	expect_fires("30 * * * *", "Europe/London",
	    "2022-03-27T00:00:00+00:00",
	    "2022-03-27T00:30:00+00:00", "2022-03-27T02:30:00+01:00",
	    "2022-03-27T03:30:00+01:00", NULL);
	expect_fires("30 1 * * *", "Europe/London",
	    "2022-03-26T12:00:00+00:00",
	    "2022-03-27T02:00:00+01:00", "2022-03-28T01:30:00+01:00", NULL);
	expect_fires("0 1 * * *", "Europe/London",
	    "2022-03-26T12:00:00+00:00",
	    "2022-03-27T02:00:00+01:00", "2022-03-28T01:00:00+01:00", NULL);
	expect_fires("* 1 * * *", "Europe/London",
	    "2022-03-27T00:00:00+00:00",
	    "2022-03-28T01:00:00+01:00", NULL);
}

static void
test_dst_london_overlap(void **state)
{
	/* 2022-10-30: 02:00 BST became 01:00 GMT. */
	expect_fires("0,30 * * * *", "Europe/London",
	    "2022-10-30T00:45:00+01:00",
	    "2022-10-30T01:00:00+01:00", "2022-10-30T01:30:00+01:00",
	    "2022-10-30T01:00:00+00:00", "2022-10-30T01:30:00+00:00",
	    "2022-10-30T02:00:00+00:00", NULL);
	expect_fires("30 1 * * *", "Europe/London",
	    "2022-10-29T12:00:00+01:00",
	    "2022-10-30T01:30:00+01:00", "2022-10-31T01:30:00+00:00", NULL);
	expect_fires("0 1 * * 0", "Europe/London",
	    "2022-10-29T12:00:00+01:00",
	    "2022-10-30T01:00:00+01:00", "2022-11-06T01:00:00+00:00", NULL);
}

/* --- daylight saving: Australia/Sydney ---------------------------------- */

static void
test_dst_sydney_gap(void **state)
{
	/* 2019-10-06: 02:00 AEST became 03:00 AEDT. */
	expect_fires("30 * * * *", "Australia/Sydney",
	    "2019-10-06T01:00:00+10:00",
	    "2019-10-06T01:30:00+10:00", "2019-10-06T03:30:00+11:00", NULL);
	expect_fires("30 2 * * *", "Australia/Sydney",
	    "2019-10-05T12:00:00+10:00",
	    "2019-10-06T03:00:00+11:00", "2019-10-07T02:30:00+11:00", NULL);
	expect_fires("0 2 * * 0", "Australia/Sydney",
	    "2019-10-01T12:00:00+10:00",
	    "2019-10-06T03:00:00+11:00", "2019-10-13T02:00:00+11:00", NULL);
}

static void
test_dst_sydney_overlap(void **state)
{
	/* 2019-04-07: 03:00 AEDT became 02:00 AEST. */
	expect_fires("15 * * * *", "Australia/Sydney",
	    "2019-04-07T01:00:00+11:00",
	    "2019-04-07T01:15:00+11:00", "2019-04-07T02:15:00+11:00",
	    "2019-04-07T02:15:00+10:00", "2019-04-07T03:15:00+10:00", NULL);
	expect_fires("15 2 * * *", "Australia/Sydney",
	    "2019-04-06T12:00:00+11:00",
	    "2019-04-07T02:15:00+11:00", "2019-04-08T02:15:00+10:00", NULL);
	expect_fires("0 3 * * *", "Australia/Sydney",
	    "2019-04-06T12:00:00+11:00",
	    "2019-04-07T03:00:00+10:00", NULL);
}

/* --- daylight saving: other shapes ------------------------------------- */

static void
test_dst_half_hour_lord_howe(void **state)
{
	/* 2019-10-06: 02:00 +10:30 became 02:30 +11. */
	expect_fires("0 2 * * *", "Australia/Lord_Howe",
	    "2019-10-05T12:00:00+10:30",
	    "2019-10-06T02:30:00+11:00", "2019-10-07T02:00:00+11:00", NULL);
	expect_fires("*/20 2 * * *", "Australia/Lord_Howe",
	    "2019-10-06T01:00:00+10:30",
	    "2019-10-06T02:40:00+11:00", NULL);
	/* 2019-04-07: 02:00 +11 became 01:30 +10:30. */
	expect_fires("45 * * * *", "Australia/Lord_Howe",
	    "2019-04-07T01:00:00+11:00",
	    "2019-04-07T01:45:00+11:00", "2019-04-07T01:45:00+10:30",
	    "2019-04-07T02:45:00+10:30", NULL);
	expect_fires("45 1 * * *", "Australia/Lord_Howe",
	    "2019-04-07T01:00:00+11:00",
	    "2019-04-07T01:45:00+11:00", "2019-04-08T01:45:00+10:30", NULL);
}

static void
test_dst_midnight_sao_paulo(void **state)
{
	/* 2018-11-04: midnight -03 became 01:00 -02; that day had no
	 * midnight, and a daily job ran at 01:00. */
	expect_fires("0 0 * * *", "America/Sao_Paulo",
	    "2018-11-03T12:00:00-03:00",
	    "2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00", NULL);
	expect_fires("0 0 4 11 *", "America/Sao_Paulo",
	    "2018-01-01T00:00:00-02:00",
	    "2018-11-04T01:00:00-02:00", "2019-11-04T00:00:00-03:00", NULL);
	/* 2019-02-17: midnight -02 became 23:00 -03 on the 16th. */
	expect_fires("30 23 * * *", "America/Sao_Paulo",
	    "2019-02-16T12:00:00-02:00",
	    "2019-02-16T23:30:00-02:00", "2019-02-17T23:30:00-03:00", NULL);
	expect_fires("30 * * * *", "America/Sao_Paulo",
	    "2019-02-16T22:00:00-02:00",
	    "2019-02-16T22:30:00-02:00", "2019-02-16T23:30:00-02:00",
	    "2019-02-16T23:30:00-03:00", "2019-02-17T00:30:00-03:00", NULL);
}

static void
test_dst_skipped_day_apia(void **state)
{
	/* Samoa skipped 2011-12-30 entirely: the daily noon job runs at the
	 * first instant after the gap, then at noon again. */
	expect_fires("0 12 * * *", "Pacific/Apia",
	    "2011-12-29T00:00:00-10:00",
	    "2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00",
	    "2011-12-31T12:00:00+14:00", NULL);
}

/* --- regressions of issue 2 -------------------------------------------- */

/* Counts fires whose local date in zone is `date` (YYYY-MM-DD). */
static int
fires_on_local_date(const char *expr, const char *zname, const char *date,
    int64_t *first)
{
	struct lc_cronexpr	*e = parse_ok(expr);
	struct lc_tz		*tz = zone(zname);
	struct lc_civil		 c;
	char			 from[32], d[16];
	int64_t			 t, next;
	int			 n = 0;

	/* From 36 h before UTC midnight of that date to 36 h after. */
	snprintf(from, sizeof from, "%sT00:00:00Z", date);
	t = iso(from) - 36 * 3600;
	while (lc_cronexpr_next(e, tz, t, &next) == 0 &&
	    next < iso(from) + 60 * 3600) {
		lc_tz_to_civil(tz, next, &c);
		snprintf(d, sizeof d, "%04d-%02d-%02d", c.year, c.month,
		    c.day);
		if (strcmp(d, date) == 0 && n++ == 0)
			*first = next;
		t = next;
	}
	lc_cronexpr_free(e);
	return (n);
}

static void
test_regress_ny_0200_on_spring_forward(void **state)
{
	int64_t	 first = 0;

	assert_int_equal(fires_on_local_date("0 2 * * *", "America/New_York",
	    "2019-03-10", &first), 1);
	assert_int_equal(first, iso("2019-03-10T03:00:00-04:00"));
	expect_fires("0 2 * * *", "America/New_York",
	    "2019-03-09T12:00:00-05:00",
	    "2019-03-10T03:00:00-04:00", "2019-03-11T02:00:00-04:00", NULL);
}

static void
test_regress_ny_0130_on_fall_back(void **state)
{
	int64_t	 first = 0;

	assert_int_equal(fires_on_local_date("30 1 * * *", "America/New_York",
	    "2019-11-03", &first), 1);
	assert_int_equal(first, iso("2019-11-03T01:30:00-04:00"));
	expect_fires("30 1 * * *", "America/New_York",
	    "2019-11-02T12:00:00-04:00",
	    "2019-11-03T01:30:00-04:00", "2019-11-04T01:30:00-05:00", NULL);
	/* Not at 01:30-05:00, even when asked from just before it. */
	expect_fires("30 1 * * *", "America/New_York",
	    "2019-11-03T01:29:59-05:00",
	    "2019-11-04T01:30:00-05:00", NULL);
}

static void
test_regress_berlin_0200_on_fall_back(void **state)
{
	int64_t	 first = 0;

	/* 2023-10-29: 03:00 CEST became 02:00 CET; 02:xx happened twice. */
	assert_int_equal(fires_on_local_date("0 2 * * *", "Europe/Berlin",
	    "2023-10-29", &first), 1);
	assert_int_equal(first, iso("2023-10-29T02:00:00+02:00"));
	expect_fires("0 2 * * *", "Europe/Berlin",
	    "2023-10-28T12:00:00+02:00",
	    "2023-10-29T02:00:00+02:00", "2023-10-30T02:00:00+01:00", NULL);
}

static void
test_regress_sydney_2_every_4_no_27h_gap(void **state)
{
	int64_t	 first = 0;

	/* 02:30 falls in the gap; the rest of the day must still fire. */
	expect_fires("30 2/4 * * *", "Australia/Sydney",
	    "2019-10-05T23:00:00+10:00",
	    "2019-10-06T03:00:00+11:00", "2019-10-06T06:30:00+11:00",
	    "2019-10-06T10:30:00+11:00", "2019-10-06T14:30:00+11:00",
	    "2019-10-06T18:30:00+11:00", "2019-10-06T22:30:00+11:00",
	    "2019-10-07T02:30:00+11:00", NULL);
	assert_int_equal(fires_on_local_date("30 2/4 * * *",
	    "Australia/Sydney", "2019-10-06", &first), 6);
}

static void
test_regress_utc_every_15_while_london_falls_back(void **state)
{
	int64_t	 t[32];
	size_t	 n, i;

	/* Even with the host in London, a UTC job never notices. */
	setenv("TZ", "Europe/London", 1);
	tzset();
	expect_fires("*/15 * * * *", "UTC", "2022-10-30T00:00:00Z",
	    "2022-10-30T00:15:00Z", "2022-10-30T00:30:00Z",
	    "2022-10-30T00:45:00Z", "2022-10-30T01:00:00Z",
	    "2022-10-30T01:15:00Z", "2022-10-30T01:30:00Z",
	    "2022-10-30T01:45:00Z", "2022-10-30T02:00:00Z", NULL);
	n = fires_in("*/15 * * * *", "UTC", iso("2022-10-29T22:00:00Z"),
	    6 * 3600, t, 32);
	assert_int_equal(n, 24);
	for (i = 1; i < n; i++)
		assert_int_equal(t[i] - t[i - 1], 900);
	setenv("TZ", "Pacific/Chatham", 1);
	tzset();
}

static void
test_regress_dom_1_every_5_feb_to_mar(void **state)
{
	expect_fires("0 4 1/5 * *", "UTC", "2023-02-20T00:00:00Z",
	    "2023-02-21T04:00:00Z", "2023-02-26T04:00:00Z",
	    "2023-03-01T04:00:00Z", "2023-03-06T04:00:00Z", NULL);
	expect_fires("0 4 1/5 * *", "UTC", "2024-02-20T00:00:00Z",
	    "2024-02-21T04:00:00Z", "2024-02-26T04:00:00Z",
	    "2024-03-01T04:00:00Z", NULL);
	expect_fires("0 4 1/5 * *", "America/New_York",
	    "2023-02-26T05:00:00-05:00",
	    "2023-03-01T04:00:00-05:00", NULL);
	/* And January 31st (31 = 1 + 6 * 5) to February 1st. */
	expect_fires("0 4 1/5 * *", "UTC", "2023-01-27T00:00:00Z",
	    "2023-01-31T04:00:00Z", "2023-02-01T04:00:00Z", NULL);
}

/* The UTC offset glibc gives for instant t in the current TZ. */
static long
glibc_offset(int64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	localtime_r(&tt, &tm);
	return (tm.tm_gmtoff);
}

/*
 * "* * * * *" over a whole year in five zones: each UTC minute fires
 * exactly once, so no minute is fired twice and none that exists is
 * skipped. glibc counts the year's offset changes, so the test knows it
 * crossed them.
 */
static void
test_regress_every_minute_through_a_year_of_dst(void **state)
{
	static const char	*zs[] = { "America/New_York", "Europe/London",
	    "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo" };
	struct lc_cronexpr	*e = parse_ok("* * * * *");
	struct lc_cronexpr	*e6 = parse_ok("* * * * * *");
	int64_t			 start, end, t, next, h;
	char			 buf[32];
	size_t			 z;
	int			 changes, k;
	long			 off, prev;

	start = iso("2018-01-01T00:00:00Z");
	end = iso("2019-01-01T00:00:00Z");
	for (z = 0; z < 5; z++) {
		setenv("TZ", zs[z], 1);
		tzset();
		changes = 0;
		prev = glibc_offset(start);
		for (t = start; t < end; t += 60) {
			assert_int_equal(lc_cronexpr_next(e, zone(zs[z]), t,
			    &next), 0);
			if (next != t + 60)
				fail_msg("%s: after %s fired at %lld s later",
				    zs[z], utc(t, buf), (long long)(next - t));
			if (t % 3600 == 0) {
				off = glibc_offset(t);
				if (off != prev) {
					changes++;
					/* Seconds around the change too. */
					for (h = t - 7200, k = 0; k < 4 * 3600;
					    h++, k++) {
						assert_int_equal(
						    lc_cronexpr_next(e6,
						    zone(zs[z]), h, &next), 0);
						assert_int_equal(next, h + 1);
					}
				}
				prev = off;
			}
		}
		if (changes != 2)
			fail_msg("%s: expected 2 offset changes in 2018, saw %d",
			    zs[z], changes);
	}
	setenv("TZ", "Pacific/Chatham", 1);
	tzset();
	lc_cronexpr_free(e);
	lc_cronexpr_free(e6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_month_names),
		cmocka_unit_test(test_day_names),
		cmocka_unit_test(test_dow_sunday_is_0_and_7),
		cmocka_unit_test(test_blanks),
		cmocka_unit_test(test_seconds_field),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_reboot_has_no_next),
		cmocka_unit_test(test_wildcard_flag),
		cmocka_unit_test(test_text_kept),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_day_rule),
		cmocka_unit_test(test_day_rule_star_step_dow),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_month_ends),
		cmocka_unit_test(test_year_rollover),
		cmocka_unit_test(test_never_fires),
		cmocka_unit_test(test_strictly_after),
		cmocka_unit_test(test_far_instants),
		cmocka_unit_test(test_dst_new_york_gap),
		cmocka_unit_test(test_dst_new_york_overlap),
		cmocka_unit_test(test_dst_london_gap),
		cmocka_unit_test(test_dst_london_overlap),
		cmocka_unit_test(test_dst_sydney_gap),
		cmocka_unit_test(test_dst_sydney_overlap),
		cmocka_unit_test(test_dst_half_hour_lord_howe),
		cmocka_unit_test(test_dst_midnight_sao_paulo),
		cmocka_unit_test(test_dst_skipped_day_apia),
		cmocka_unit_test(test_regress_ny_0200_on_spring_forward),
		cmocka_unit_test(test_regress_ny_0130_on_fall_back),
		cmocka_unit_test(test_regress_berlin_0200_on_fall_back),
		cmocka_unit_test(test_regress_sydney_2_every_4_no_27h_gap),
		cmocka_unit_test(
		    test_regress_utc_every_15_while_london_falls_back),
		cmocka_unit_test(test_regress_dom_1_every_5_feb_to_mar),
		cmocka_unit_test(
		    test_regress_every_minute_through_a_year_of_dst),
	};

	/* A zone no test uses: were the host's zone to leak into the engine,
	 * the results would be off by 12:45 or 13:45. */
	setenv("TZ", "Pacific/Chatham", 1);
	tzset();
	return (cmocka_run_group_tests_name("cronexpr", tests, NULL,
	    free_zones));
}
