/*
 * The time fields of a crontab line, read as Debian's cron(8) reads them
 * (checked against cron 3.0pl1-162), and written back as a schedule that
 * lockcron's own parser accepts with the same fire times.
 *
 * cron is lenient where lockcron is strict: it ignores whatever follows a
 * valid list in a field ("5#3" is 5, "*-5" is *), accepts a step larger
 * than its range ("*\/90" is 0) and reversed ranges that select nothing
 * ("5-3"). Such fields are rewritten from the values cron selected, and the
 * rewrite is reported.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lockcron/crontab.h"
#include "lockcron/cronexpr.h"
#include "lockcron/tz.h"
#include "lockcron/util.h"

#define NFIELDS		5
#define MAX_TOKEN	100	/* cron's MAX_TEMPSTR: longer words are errors */
#define BIG_STEP	1000	/* any step at least this selects one value */

enum { F_MIN, F_HOUR, F_DOM, F_MONTH, F_DOW };

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct {
	const char		*name;
	int			 min, max;
	const char *const	*names;
} specs[NFIELDS] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day-of-week", 0, 7, day_names },
};

/* One list item as cron read it. */
struct item {
	int	 star;
	int	 lo, hi, step;
};

/* One field as cron read it. */
struct field {
	struct item	*items;
	size_t		 nitems;
	uint64_t	 mask;
	const char	*junk;		/* text cron skipped, or NULL */
};

/*
 * cron's get_number(): a run of letters and digits that is a name of the
 * field (3 letters, any case) or all digits. Returns the text after it.
 */
static const char *
get_number(int f, int named, const char *p, int *out)
{
	const char	*start = p;
	size_t		 len, i, digits = 0;
	long		 v = 0;

	while (isalnum((unsigned char)*p))
		p++;
	len = (size_t)(p - start);
	if (len == 0 || len >= MAX_TOKEN)
		return (NULL);
	if (named && specs[f].names != NULL) {
		for (i = 0; specs[f].names[i] != NULL; i++) {
			if (len == 3 && strncasecmp(start, specs[f].names[i],
			    3) == 0) {
				*out = (int)i + (f == F_MONTH ? 1 : 0);
				return (p);
			}
		}
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)start[i]))
			return (NULL);
		if (v == 0 && start[i] == '0')
			continue;
		if (++digits <= 9)
			v = v * 10 + (start[i] - '0');
	}
	*out = digits > 9 ? BIG_STEP * 1000 : (int)v;
	return (p);
}

/* Sets the values of one item in the mask; -1 when one is out of range. */
static int
set_item(int f, const struct item *it, uint64_t *mask)
{
	long	 v;

	for (v = it->lo; v <= it->hi; v += it->step) {
		if (v < specs[f].min || v > specs[f].max)
			return (-1);
		*mask |= (uint64_t)1 << v;
	}
	return (0);
}

/* cron's get_range(): "*", "n", "n-m", each with an optional "/step". */
static const char *
get_range(int f, const char *p, struct item *it)
{
	memset(it, 0, sizeof *it);
	if (*p == '*') {
		it->star = 1;
		it->lo = specs[f].min;
		it->hi = specs[f].max;
		p++;
	} else {
		if ((p = get_number(f, 1, p, &it->lo)) == NULL)
			return (NULL);
		it->hi = it->lo;
		if (*p == '/')
			return (NULL);	/* Debian refuses "n/step" */
		if (*p != '-') {
			it->step = 1;
			return (p);
		}
		if ((p = get_number(f, 1, p + 1, &it->hi)) == NULL)
			return (NULL);
	}
	it->step = 1;
	if (*p == '/') {
		if ((p = get_number(f, 0, p + 1, &it->step)) == NULL ||
		    it->step == 0)
			return (NULL);
	}
	return (p);
}

/* cron's get_list(): items separated by commas, then anything is skipped. */
static int
get_list(int f, const char *word, struct field *fl)
{
	const char	*p = word;
	struct item	 it;

	memset(fl, 0, sizeof *fl);
	for (;;) {
		if ((p = get_range(f, p, &it)) == NULL)
			goto bad;
		if (it.step > BIG_STEP)
			it.step = BIG_STEP;
		if (set_item(f, &it, &fl->mask) != 0)
			goto bad;
		fl->items = xreallocarray(fl->items, fl->nitems + 1,
		    sizeof *fl->items);
		fl->items[fl->nitems++] = it;
		if (*p != ',')
			break;
		p++;
	}
	if (*p != '\0')
		fl->junk = p;
	return (0);
bad:
	free(fl->items);
	fl->items = NULL;
	return (-1);
}

/*
 * Writes one item with the values cron gave it, nothing if it has none. A
 * '*' stays one only first in the field, where it picks cron's day rule.
 */
static void
put_item(int f, const struct item *it, int first, struct lc_buf *b)
{
	int	 size = specs[f].max - specs[f].min + 1, last;

	if (it->lo > it->hi)
		return;
	if (b->len > 0)
		lc_buf_addstr(b, ",");
	if (it->star && first) {
		if (it->step == 1)
			lc_buf_addstr(b, "*");
		else
			lc_buf_printf(b, "*/%d", it->step < size ?
			    it->step : size);
		return;
	}
	last = it->lo + (it->hi - it->lo) / it->step * it->step;
	if (last == it->lo)
		lc_buf_printf(b, "%d", it->lo);
	else if (it->step == 1)
		lc_buf_printf(b, "%d-%d", it->lo, it->hi);
	else
		lc_buf_printf(b, "%d-%d/%d", it->lo, last, it->step);
}

/* A field rewritten from its items; "" when it selects nothing. */
static char *
render_field(int f, const struct field *fl)
{
	struct lc_buf	 b = { 0 };
	size_t		 i;

	for (i = 0; i < fl->nitems; i++)
		put_item(f, &fl->items[i], i == 0, &b);
	return (lc_buf_steal(&b));
}

/*
 * Rewrites each field from the values cron gave it. An empty day field
 * under cron's "either day" rule is "*" under lockcron's "both days" rule.
 * Returns -1 when a field selects nothing.
 */
static int
rewrite(const char *const words[NFIELDS], struct field fl[NFIELDS],
    char *out[NFIELDS], char **cause)
{
	int	 f, dom_star = words[F_DOM][0] == '*';
	int	 dow_star = words[F_DOW][0] == '*';

	for (f = 0; f < NFIELDS; f++) {
		out[f] = render_field(f, &fl[f]);
		if (*out[f] != '\0')
			continue;
		if ((f == F_DOM && !dow_star && fl[F_DOW].mask != 0) ||
		    (f == F_DOW && !dom_star && fl[F_DOM].mask != 0)) {
			free(out[f]);
			out[f] = xstrdup("*");
			fl[f].mask = ~(uint64_t)0;
			continue;
		}
		lc_set_cause(cause, "%s field \"%s\" selects no value: cron(8) "
		    "accepted the line but never ran it", specs[f].name,
		    words[f]);
		return (-1);
	}
	return (0);
}

/*
 * True when no day can match: a day field starts with '*' (so a day must
 * match both) and no selected month has a selected day of the month.
 */
static int
never_fires(const struct field fl[NFIELDS], char *const out[NFIELDS])
{
	int	 m, d;

	if (out[F_DOM][0] != '*' && out[F_DOW][0] != '*')
		return (0);
	for (m = 1; m <= 12; m++) {
		if (!(fl[F_MONTH].mask & ((uint64_t)1 << m)))
			continue;
		for (d = 1; d <= lc_days_in_month(2000, m); d++)
			if (fl[F_DOM].mask & ((uint64_t)1 << d))
				return (0);
	}
	return (1);
}

/* Joins five fields with single spaces. */
static char *
join(char *const parts[NFIELDS])
{
	char	*s;

	xasprintf(&s, "%s %s %s %s %s", parts[0], parts[1], parts[2],
	    parts[3], parts[4]);
	return (s);
}

/* Says which fields were rewritten and what cron ignored. */
static char *
describe(const char *const words[NFIELDS], const struct field fl[NFIELDS],
    char *const out[NFIELDS])
{
	struct lc_buf	 b = { 0 };
	int		 f;

	for (f = 0; f < NFIELDS; f++) {
		if (strcmp(words[f], out[f]) == 0)
			continue;
		if (b.len > 0)
			lc_buf_addstr(&b, "; ");
		lc_buf_printf(&b, "%s field \"%s\" is \"%s\"", specs[f].name,
		    words[f], out[f]);
		if (fl[f].junk != NULL)
			lc_buf_printf(&b, " (cron(8) ignored \"%s\")",
			    fl[f].junk);
	}
	return (lc_buf_steal(&b));
}

/* Checks the result with lockcron's parser; -1 with its message. */
static int
accepted(const char *text, char **cause)
{
	struct lc_cronexpr	*e;
	char			*why = NULL;

	if ((e = lc_cronexpr_parse(text, &why)) != NULL) {
		lc_cronexpr_free(e);
		return (0);
	}
	lc_set_cause(cause, "%s", why);
	free(why);
	return (-1);
}

int
lc_crontab_schedule(const char *const words[5], char **schedule, char **note,
    char **cause)
{
	struct field	 fl[NFIELDS];
	char		*out[NFIELDS] = { NULL }, *text = NULL;
	int		 f, n = 0, junk = 0, rc = -1;

	*schedule = NULL;
	if (note != NULL)
		*note = NULL;
	for (n = 0; n < NFIELDS; n++) {
		if (get_list(n, words[n], &fl[n]) != 0) {
			lc_set_cause(cause, "bad %s field \"%s\" (cron(8) "
			    "refused this line)", specs[n].name, words[n]);
			goto out;
		}
		junk |= fl[n].junk != NULL;
	}
	if (rewrite(words, fl, out, cause) != 0)
		goto out;
	if (never_fires(fl, out)) {
		lc_set_cause(cause, "no month has the day of the month this "
		    "line asks for: cron(8) accepted it but never ran it");
		goto out;
	}
	text = join((char *const *)words);
	if (junk || accepted(text, NULL) != 0) {
		free(text);
		text = join(out);
		if (accepted(text, cause) != 0)
			goto out;
		if (note != NULL)
			*note = describe(words, fl, out);
	}
	*schedule = text;
	text = NULL;
	rc = 0;
out:
	for (f = 0; f < n; f++)
		free(fl[f].items);
	for (f = 0; f < NFIELDS; f++)
		free(out[f]);
	free(text);
	return (rc);
}
