/*
 * Cron expressions. A parsed expression is one bit mask per field; next()
 * walks a zone's spans of constant UTC offset and, inside each, jumps field
 * by field on the wall clock to the first match (never minute by minute).
 *
 * Daylight-saving rules, as cronie's cron(8): a wildcard job (minute or hour
 * field starts with '*') fires at each wall-clock match, so skipped times do
 * not happen and repeated times happen twice. A fixed-time job whose time is
 * skipped by a spring-forward gap fires once at the first instant after the
 * gap, and in a repeated hour only at the first occurrence.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lockcron/cronexpr.h"
#include "lockcron/util.h"

#define NONE		INT64_MIN
/* No UTC offset is larger, either way (the tz database tops at 25:59). */
#define MAX_OFFSET	((int64_t)26 * 3600)
/* One Gregorian cycle: every calendar pattern repeats within it. */
#define CYCLE_SECS	((int64_t)146097 * 86400)
/*
 * Instants from -2^55 to 2^55 s (about a billion years either way): beyond
 * that, the year of struct lc_civil no longer fits in an int.
 */
#define MAX_INSTANT	((int64_t)1 << 55)

enum field { F_SEC, F_MIN, F_HOUR, F_DOM, F_MONTH, F_DOW, F_COUNT };

struct lc_cronexpr {
	char		*text;
	int		 reboot;
	int		 has_seconds;
	int		 wildcard;
	int		 dom_star;
	int		 dow_star;
	int		 never;
	uint64_t	 mask[F_COUNT];	/* bit v set: value v matches */
};

static const struct {
	const char	*name;
	int		 min, max;
} fields[F_COUNT] = {
	{ "second", 0, 59 },
	{ "minute", 0, 59 },
	{ "hour", 0, 23 },
	{ "day-of-month", 1, 31 },
	{ "month", 1, 12 },
	{ "day-of-week", 0, 7 },
};

static const char *month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};
static const char *day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static const struct {
	const char	*name;
	const char	*fields;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* Reads a number or a name; returns the text after it, NULL on error. */
/*
 * Reads a run of digits; values above 1000 saturate, so they stay out of
 * every range without overflowing. Returns the text after the digits.
 */
static const char *
read_digits(const char *p, long *out)
{
	long	 v = 0;

	for (; isdigit((unsigned char)*p); p++)
		if (v <= 1000)
			v = v * 10 + (*p - '0');
	*out = v;
	return (p);
}

static const char *
parse_value(enum field f, const char *p, int *out, char **cause)
{
	const char	**names = NULL, *start = p;
	size_t		 nnames = 0, i, len;
	long		 v;

	if (isdigit((unsigned char)*p)) {
		p = read_digits(p, &v);
		if (v < fields[f].min || v > fields[f].max) {
			lc_set_cause(cause, "%s field: %.*s is out of range "
			    "(%d-%d)", fields[f].name, (int)(p - start), start,
			    fields[f].min, fields[f].max);
			return (NULL);
		}
		*out = (int)v;
		return (p);
	}
	if (f == F_MONTH) {
		names = month_names;
		nnames = LC_NELEM(month_names);
	} else if (f == F_DOW) {
		names = day_names;
		nnames = LC_NELEM(day_names);
	}
	for (len = 0; isalpha((unsigned char)p[len]); len++)
		;
	if (len == 0) {
		if (*p == '\0' || *p == ',')
			lc_set_cause(cause, "%s field: empty list item",
			    fields[f].name);
		else
			lc_set_cause(cause, "%s field: unexpected \"%c\"",
			    fields[f].name, *p);
		return (NULL);
	}
	for (i = 0; i < nnames; i++) {
		if (len == 3 && strncasecmp(p, names[i], 3) == 0) {
			*out = (int)i + (f == F_MONTH ? 1 : 0);
			return (p + 3);
		}
	}
	if (names == NULL)
		lc_set_cause(cause, "%s field: names are not allowed here "
		    "(\"%.*s\")", fields[f].name, (int)len, p);
	else
		lc_set_cause(cause, "%s field: unknown name \"%.*s\"",
		    fields[f].name, (int)len, p);
	return (NULL);
}

/* Parses one list item: *, a, a-b, with an optional /step. */
static const char *
parse_item(enum field f, const char *p, uint64_t *mask, char **cause)
{
	const char	*digits;
	int		 lo, hi, step = 1, v, explicit_range = 0;
	long		 s;

	if (*p == '*') {
		lo = fields[f].min;
		hi = fields[f].max;
		p++;
	} else {
		if ((p = parse_value(f, p, &lo, cause)) == NULL)
			return (NULL);
		hi = lo;
		if (*p == '-' && (p[1] == '\0' || p[1] == ',')) {
			lc_set_cause(cause, "%s field: a range needs a value "
			    "after \"-\"", fields[f].name);
			return (NULL);
		}
		if (*p == '-') {
			if ((p = parse_value(f, p + 1, &hi, cause)) == NULL)
				return (NULL);
			if (hi < lo) {
				lc_set_cause(cause, "%s field: range %d-%d is "
				    "reversed", fields[f].name, lo, hi);
				return (NULL);
			}
			explicit_range = 1;
		}
	}
	if (*p == '/') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			lc_set_cause(cause, "%s field: a step needs a number "
			    "after \"/\"", fields[f].name);
			return (NULL);
		}
		digits = p;
		p = read_digits(p, &s);
		if (!explicit_range && hi == lo)	/* "a/n": a to the max */
			hi = fields[f].max;
		if (s == 0 || s > hi - lo + 1) {
			lc_set_cause(cause, "%s field: step %.*s must be from "
			    "1 to %d, the size of the range %d-%d",
			    fields[f].name, (int)(p - digits), digits,
			    hi - lo + 1, lo, hi);
			return (NULL);
		}
		step = (int)s;
	}
	if (*p != '\0' && *p != ',') {
		lc_set_cause(cause, "%s field: unexpected \"%c\"",
		    fields[f].name, *p);
		return (NULL);
	}
	for (v = lo; v <= hi; v += step)
		*mask |= (uint64_t)1 << v;
	return (p);
}

static int
parse_field(struct lc_cronexpr *e, enum field f, const char *text,
    char **cause)
{
	const char	*p = text;

	if (*p == '\0') {
		lc_set_cause(cause, "%s field is empty", fields[f].name);
		return (-1);
	}
	for (;;) {
		if ((p = parse_item(f, p, &e->mask[f], cause)) == NULL)
			return (-1);
		if (*p == '\0')
			break;
		p++;			/* the comma */
		if (*p == '\0' || *p == ',') {
			lc_set_cause(cause, "%s field: empty list item",
			    fields[f].name);
			return (-1);
		}
	}
	if (f == F_DOW && (e->mask[F_DOW] & (1 << 7))) {
		e->mask[F_DOW] &= ~(uint64_t)(1 << 7);	/* 7 is Sunday too */
		e->mask[F_DOW] |= 1;
	}
	return (0);
}

/* Splits on runs of blanks into at most max words; returns the count. */
static int
split_fields(char *s, char **words, int max)
{
	int	 n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return (n);
		if (n == max)
			return (max + 1);
		words[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

/* True when no (month, day-of-month) pair in the masks is a real date. */
static int
never_fires(const struct lc_cronexpr *e)
{
	int	 m, d;

	if (!e->dom_star && !e->dow_star)
		return (0);		/* either day rule matches some day */
	for (m = 1; m <= 12; m++) {
		if (!(e->mask[F_MONTH] & ((uint64_t)1 << m)))
			continue;
		for (d = 1; d <= lc_days_in_month(2000, m); d++)
			if (e->mask[F_DOM] & ((uint64_t)1 << d))
				return (0);
	}
	return (1);
}

/*
 * Names the blank-separated field that holds byte pos of text: by its name
 * when there are 5 or 6 fields, else by its number.
 */
static void
field_at(const char *text, size_t pos, char *buf, size_t len)
{
	size_t	 i;
	int	 n = 0, which = 1, in_word = 0;

	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == ' ' || text[i] == '\t')
			in_word = 0;
		else if (!in_word) {
			in_word = 1;
			n++;
		}
		if (i == pos)
			which = n;
	}
	if (n == 5 || n == 6)
		snprintf(buf, len, "%s field",
		    fields[(n == 5 ? F_MIN : F_SEC) + which - 1].name);
	else
		snprintf(buf, len, "field %d", which);
}

/* Refuses bytes outside printable ASCII (tabs are blanks). */
static int
check_ascii(const char *text, char **cause)
{
	const unsigned char	*p;
	size_t			 pos;
	char			 where[32];

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p < 0x80 && (*p >= 0x20 || *p == '\t'))
			continue;
		pos = (size_t)(p - (const unsigned char *)text);
		field_at(text, pos, where, sizeof where);
		lc_set_cause(cause, "%s: %s 0x%02x at position %zu", where,
		    *p >= 0x80 ? "non-ASCII byte" : "control character", *p,
		    pos + 1);
		return (-1);
	}
	return (0);
}

/* Expands a macro into its fields; returns NULL (with a cause) if unknown. */
static const char *
expand_macro(const char *word, char **cause)
{
	size_t	 i;

	for (i = 0; i < LC_NELEM(macros); i++)
		if (strcmp(word, macros[i].name) == 0)
			return (macros[i].fields);
	lc_set_cause(cause, "unknown macro \"%s\" (use @yearly, @annually, "
	    "@monthly, @weekly, @daily, @midnight, @hourly or @reboot)", word);
	return (NULL);
}

struct lc_cronexpr *
lc_cronexpr_parse(const char *text, char **cause)
{
	struct lc_cronexpr	*e;
	char			*copy, *words[7];
	const char		*src;
	int			 n, i, first;

	if (text == NULL || check_ascii(text, cause) != 0)
		return (NULL);
	e = xcalloc(1, sizeof *e);
	copy = xstrdup(text);
	n = split_fields(copy, words, 6);
	if (n > 1 && words[0][0] == '@') {
		lc_set_cause(cause, "%s must stand alone, without other "
		    "fields", words[0]);
		goto fail;
	}
	if (n == 1 && words[0][0] == '@') {
		if (strcmp(words[0], "@reboot") == 0) {
			e->reboot = 1;
			e->text = xstrdup(words[0]);
			free(copy);
			return (e);
		}
		if ((src = expand_macro(words[0], cause)) == NULL)
			goto fail;
		free(copy);
		copy = xstrdup(src);
		n = split_fields(copy, words, 6);
	}
	if (n != 5 && n != 6) {
		if (n == 0)
			lc_set_cause(cause, "empty schedule");
		else
			lc_set_cause(cause, "expected 5 fields (minute hour "
			    "day-of-month month day-of-week) or 6 with seconds "
			    "first, found %s%d", n > 6 ? "more than " : "",
			    n > 6 ? 6 : n);
		goto fail;
	}
	e->has_seconds = (n == 6);
	first = e->has_seconds ? F_SEC : F_MIN;
	if (!e->has_seconds)
		e->mask[F_SEC] = 1;
	for (i = 0; i < n; i++)
		if (parse_field(e, (enum field)(first + i), words[i], cause) != 0)
			goto fail;
	e->wildcard = words[F_MIN - first][0] == '*' ||
	    words[F_HOUR - first][0] == '*';
	e->dom_star = words[F_DOM - first][0] == '*';
	e->dow_star = words[F_DOW - first][0] == '*';
	e->never = never_fires(e);
	e->text = xstrdup(text);
	free(copy);
	return (e);

fail:
	free(copy);
	free(e);
	return (NULL);
}

void
lc_cronexpr_free(struct lc_cronexpr *e)
{
	if (e == NULL)
		return;
	free(e->text);
	free(e);
}

const char *
lc_cronexpr_text(const struct lc_cronexpr *e)
{
	return (e->text);
}

int
lc_cronexpr_is_reboot(const struct lc_cronexpr *e)
{
	return (e->reboot);
}

int
lc_cronexpr_has_seconds(const struct lc_cronexpr *e)
{
	return (e->has_seconds);
}

int
lc_cronexpr_is_wildcard(const struct lc_cronexpr *e)
{
	return (e->wildcard);
}

/* The first set bit at or above `from`, or -1. */
static int
next_bit(uint64_t mask, int from)
{
	if (from > 63)
		return (-1);
	mask &= ~(uint64_t)0 << from;
	return (mask == 0 ? -1 : __builtin_ctzll(mask));
}

/* Days from weekday wday to the next allowed weekday (0 if it is one). */
static int
dow_distance(uint64_t dow, int wday)
{
	uint64_t	 rot;

	rot = ((dow >> wday) | (dow << (7 - wday))) & 0x7f;
	return (rot == 0 ? 99 : __builtin_ctzll(rot));
}

/*
 * The first day at or after d (weekday wday) in a month of dim days that
 * matches, or -1. Vixie cron's rule: a '*' in either day field means both
 * fields must match, otherwise either one.
 */
static int
next_day(const struct lc_cronexpr *e, int d, int wday, int dim)
{
	int	 a, b;

	for (;;) {
		if (d > dim)
			return (-1);
		a = next_bit(e->mask[F_DOM], d);
		b = d + dow_distance(e->mask[F_DOW], wday);
		if (a == -1 || a > dim)
			a = 99;
		if (!e->dom_star && !e->dow_star) {
			a = a < b ? a : b;
			return (a > dim ? -1 : a);
		}
		if (a == b)
			return (a > dim ? -1 : a);
		/* Move to the later candidate and check both again. */
		wday = (wday + (a > b ? a : b) - d) % 7;
		d = a > b ? a : b;
	}
}

/*
 * The first wall-clock time L in [from, limit) that matches, as "local
 * seconds", or NONE. Each step moves one field to its next allowed value
 * and resets the smaller ones.
 */
static int64_t
match_from(const struct lc_cronexpr *e, int64_t from, int64_t limit)
{
	struct lc_civil	 c;
	int64_t		 day, last_day, y;
	int		 mo, d, h, mi, s, v, wday;

	lc_civil_from_secs(from, &c);
	y = c.year;
	mo = c.month;
	d = c.day;
	h = c.hour;
	mi = c.min;
	s = c.sec;
	last_day = limit / 86400 + 1;

	for (;;) {
		if ((v = next_bit(e->mask[F_MONTH], mo)) == -1) {
			y++;
			mo = next_bit(e->mask[F_MONTH], 1);
			d = 1;
			h = mi = s = 0;
		} else if (v != mo) {
			mo = v;
			d = 1;
			h = mi = s = 0;
		}
		day = lc_days_from_civil(y, mo, d);
		if (day > last_day)
			return (NONE);
		wday = (int)((day % 7 + 11) % 7);
		if ((v = next_day(e, d, wday, lc_days_in_month(y, mo))) != d) {
			d = v;
			h = mi = s = 0;
		}
		if (d == -1) {
			if (++mo > 12) {
				mo = 1;
				y++;
			}
			d = 1;
			h = mi = s = 0;
			continue;
		}
		if ((v = next_bit(e->mask[F_HOUR], h)) == -1) {
			d++;
			goto next_day;
		}
		if (v != h) {
			h = v;
			mi = s = 0;
		}
		if ((v = next_bit(e->mask[F_MIN], mi)) == -1) {
			h++;
			mi = s = 0;
			if (h > 23) {
				d++;
				goto next_day;
			}
			continue;
		}
		if (v != mi) {
			mi = v;
			s = 0;
		}
		if ((v = next_bit(e->mask[F_SEC], s)) == -1) {
			mi++;
			s = 0;
			if (mi > 59) {
				mi = 0;
				if (++h > 23) {
					d++;
					goto next_day;
				}
			}
			continue;
		}
		s = v;
		day = lc_days_from_civil(y, mo, d) * 86400 + h * 3600 +
		    mi * 60 + s;
		return (day < limit ? day : NONE);
next_day:
		h = mi = s = 0;
		if (d > lc_days_in_month(y, mo)) {
			d = 1;
			if (++mo > 12) {
				mo = 1;
				y++;
			}
		}
	}
}

int
lc_cronexpr_next(const struct lc_cronexpr *e, const struct lc_tz *tz,
    int64_t after, int64_t *next)
{
	struct lc_tz_span	 sp;
	int64_t			 t, horizon, from, end, l;

	if (e->reboot || e->never || after >= MAX_INSTANT ||
	    after < -MAX_INSTANT)
		return (-1);
	t = after + 1;
	horizon = t + CYCLE_SECS + 2 * 86400;
	lc_tz_span(tz, t, &sp);
	for (;;) {
		/*
		 * A fixed-time job due inside a spring-forward gap fires once,
		 * at the first instant after the gap.
		 */
		if (!e->wildcard && sp.start == t && sp.offset > sp.prev_offset &&
		    match_from(e, sp.start + sp.prev_offset,
		    sp.start + sp.offset) != NONE) {
			*next = sp.start;
			return (0);
		}
		from = t + sp.offset;
		/* After a fall-back, a fixed-time job skips the repeat. */
		if (!e->wildcard && sp.offset < sp.prev_offset &&
		    sp.start != INT64_MIN && from < sp.start + sp.prev_offset)
			from = sp.start + sp.prev_offset;
		end = (sp.end > horizon ? horizon : sp.end) + sp.offset;
		if ((l = match_from(e, from, end)) != NONE) {
			*next = l - sp.offset;
			return (0);
		}
		if (sp.end >= horizon)
			return (-1);
		t = sp.end;
		/*
		 * Skip the spans that cannot hold a fire: no instant from t on
		 * reads a wall clock below t - MAX_OFFSET, so none before
		 * (first match from there) - MAX_OFFSET can match, not even in
		 * a gap or a repeat.
		 */
		l = match_from(e, t - MAX_OFFSET, horizon + MAX_OFFSET);
		if (l == NONE)
			return (-1);
		if (l - MAX_OFFSET > t)
			t = l - MAX_OFFSET;
		lc_tz_span(tz, t, &sp);
	}
}
