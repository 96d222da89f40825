/*
 * Formatting and parsing of instants and durations.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/timefmt.h"
#include "lockcron/util.h"

static int64_t
floor_div(int64_t a, int64_t b)
{
	return (a / b - (a % b != 0 && (a < 0) != (b < 0)));
}

char *
lc_time_utc_ms(int64_t ms, char buf[LC_TIME_BUFSZ])
{
	struct lc_civil	 c;
	int64_t		 secs = floor_div(ms, 1000);

	lc_civil_from_secs(secs, &c);
	snprintf(buf, LC_TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    c.year, c.month, c.day, c.hour, c.min, c.sec,
	    (int)(ms - secs * 1000));
	return (buf);
}

char *
lc_time_local(int64_t secs, const struct lc_tz *tz, char buf[LC_TIME_BUFSZ])
{
	struct lc_civil	 c;
	int32_t		 off;
	int		 a;

	off = lc_tz_to_civil(tz, secs, &c);
	a = off < 0 ? -off : off;
	if (a % 60 != 0)
		snprintf(buf, LC_TIME_BUFSZ,
		    "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d:%02d", c.year,
		    c.month, c.day, c.hour, c.min, c.sec, off < 0 ? '-' : '+',
		    a / 3600, a / 60 % 60, a % 60);
	else
		snprintf(buf, LC_TIME_BUFSZ,
		    "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year,
		    c.month, c.day, c.hour, c.min, c.sec, off < 0 ? '-' : '+',
		    a / 3600, a / 60 % 60);
	return (buf);
}

int64_t
lc_time_from_local(int64_t local, const struct lc_tz *tz)
{
	struct lc_tz_span	 sp;
	int32_t			 early, late;
	int64_t			 u1, u2;
	int			 ok1, ok2;

	/* The offsets a day before and after bound every reading. */
	early = lc_tz_offset(tz, local - 86400);
	late = lc_tz_offset(tz, local + 86400);
	u1 = local - early;
	u2 = local - late;
	ok1 = lc_tz_offset(tz, u1) == early;
	ok2 = lc_tz_offset(tz, u2) == late;
	if (ok1 && ok2)
		return (u1 < u2 ? u1 : u2);	/* repeated: the earlier */
	if (ok1)
		return (u1);
	if (ok2)
		return (u2);
	/* Skipped by a spring-forward gap: the first instant after it. */
	lc_tz_span(tz, u1, &sp);
	return (sp.start);
}

/* Reads exactly n digits. */
static const char *
digits(const char *p, int n, int *out)
{
	int	 v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)*p))
			return (NULL);
		v = v * 10 + (*p++ - '0');
	}
	*out = v;
	return (p);
}

int
lc_time_parse(const char *s, const struct lc_tz *tz, int64_t *ms,
    char **cause)
{
	struct lc_civil	 c;
	const char	*p = s;
	int		 frac = 0, fdig = 0, oh = 0, om = 0, has_off = 0, sign = 1;
	int64_t		 local;

	memset(&c, 0, sizeof c);
	if ((p = digits(p, 4, &c.year)) == NULL || *p++ != '-' ||
	    (p = digits(p, 2, &c.month)) == NULL || *p++ != '-' ||
	    (p = digits(p, 2, &c.day)) == NULL)
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((p = digits(p, 2, &c.hour)) == NULL || *p++ != ':' ||
		    (p = digits(p, 2, &c.min)) == NULL)
			goto bad;
		if (*p == ':' && (p = digits(p + 1, 2, &c.sec)) == NULL)
			goto bad;
		if (*p == '.' || *p == ',') {
			for (p++; isdigit((unsigned char)*p); p++, fdig++)
				if (fdig < 3)
					frac = frac * 10 + (*p - '0');
			if (fdig == 0)
				goto bad;
			for (; fdig < 3; fdig++)
				frac *= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		has_off = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		has_off = 1;
		sign = *p++ == '-' ? -1 : 1;
		if ((p = digits(p, 2, &oh)) == NULL)
			goto bad;
		if (*p == ':')
			p++;
		if (*p != '\0' && (p = digits(p, 2, &om)) == NULL)
			goto bad;
	}
	if (*p != '\0' || c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > lc_days_in_month(c.year, c.month) || c.hour > 23 ||
	    c.min > 59 || c.sec > 60 || oh > 23 || om > 59)
		goto bad;
	if (c.sec == 60)
		c.sec = 59;		/* a leap second reads as :59 */
	local = lc_civil_to_secs(&c);
	if (has_off)
		*ms = (local - sign * (oh * 3600 + om * 60)) * 1000 + frac;
	else
		*ms = lc_time_from_local(local, tz) * 1000 + frac;
	return (0);
bad:
	lc_set_cause(cause, "invalid time \"%s\" (expected ISO-8601, e.g. "
	    "2026-03-08T01:59:00Z or 2026-03-08T01:59:00-05:00)", s);
	return (-1);
}

int
lc_duration_parse(const char *s, int64_t *secs)
{
	const char	*p = s;
	int64_t		 total = 0, v, unit;
	int		 parts = 0;

	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return (-1);
		v = 0;
		while (isdigit((unsigned char)*p)) {
			if (v > INT64_MAX / 10 - 10)
				return (-1);
			v = v * 10 + (*p++ - '0');
		}
		switch (*p) {
		case 's': unit = 1; p++; break;
		case 'm': unit = 60; p++; break;
		case 'h': unit = 3600; p++; break;
		case 'd': unit = 86400; p++; break;
		case '\0':
			if (parts > 0)
				return (-1);	/* "1h30" is ambiguous */
			unit = 1;
			break;
		default:
			return (-1);
		}
		if (v > (INT64_MAX / 2 - total) / unit)
			return (-1);
		total += v * unit;
		parts++;
	}
	if (parts == 0)
		return (-1);
	*secs = total;
	return (0);
}

char *
lc_duration_format(int64_t ms, char *buf, size_t len)
{
	int64_t	 s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%dms", (int)ms);
	else if (s < 60)
		snprintf(buf, len, "%d.%ds", (int)s, (int)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600),
		    (int)(s / 60 % 60));
	else
		snprintf(buf, len, "%lldd%02dh", (long long)(s / 86400),
		    (int)(s / 3600 % 24));
	return (buf);
}
