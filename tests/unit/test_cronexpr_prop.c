/*
 * Property test for cronexpr: random expressions (lists, ranges, steps and
 * names in every field; 5 and 6 fields; macros) from random start instants
 * in seven zones, lc_cronexpr_next() against a slow brute-force matcher
 * that shares no code with the engine. The matcher walks UTC minute by
 * minute (second by second for 6 fields), reads the wall clock from glibc
 * (TZ + tzset + localtime_r, fine in a test) and applies DESIGN.md's rules:
 *
 * - a wildcard job (minute or hour field starts with '*') fires at every
 *   instant whose wall-clock reading matches;
 * - a fixed-time job fires at instant u when some matching wall time W is
 *   new: hwm < W <= wall(u), hwm being the highest reading before u. That
 *   is the plain match when the clock ticks on, nothing while a fall-back
 *   repeats readings already seen, and one fire at the first instant after
 *   a spring-forward jump over a matching time.
 *
 * The walk is bounded (3 days of minutes, 6 hours of seconds); it compares
 * up to 8 successive fires, and when it finds fewer it also checks that
 * next() finds nothing else inside the window.
 *
 * LOCKCRON_PROP_ITERS sets the 5-field cases per zone (6-field: a quarter
 * of it); LOCKCRON_PROP_SEED changes the random seed.
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

#define DAY		86400
#define MAX_CHAIN	8
#define MAX_REPORTS	10
#define DEFAULT_ITERS	1000

enum { SEC, MIN, HOUR, DOM, MON, DOW, NFIELDS };

static const struct {
	int	 lo, hi;
	int	 p_star;	/* percent of fields that are a bare '*' */
} lim[NFIELDS] = {
	{ 0, 59, 30 }, { 0, 59, 35 }, { 0, 23, 35 },
	{ 1, 31, 55 }, { 1, 12, 70 }, { 0, 7, 55 },
};

static const char *month_names[] = { "jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri",
    "sat" };

/* An expression as text, with the meaning the generator gave it. */
struct expr {
	char		 text[512];
	int		 nfields;
	uint64_t	 mask[NFIELDS];	/* DOW: 7 folded into 0 */
	int		 star[NFIELDS];	/* text starts with '*' */
};

struct stats {
	long	 cases;
	long	 cases_compared;	/* the walk found a fire */
	long	 fires_compared;
	long	 empty_windows;		/* checked: none in the window */
	long	 failures;
};

/*
 * Values worth trying when the start is near an offset change: the wall
 * readings just before and at the change, and the minutes at the edges of
 * an hour. Empty (n == 0) when the start is not near a change.
 */
static struct {
	int	 n[NFIELDS];
	int	 v[NFIELDS][12];
} hints;

/* --- random numbers (xorshift64*) ---------------------------------------- */

static uint64_t	 rng;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 2685821657736338717ULL);
}

static int
rnd_in(int lo, int hi)
{
	return (lo + (int)(rnd() % (uint64_t)(hi - lo + 1)));
}

static int64_t
rnd_in64(int64_t lo, int64_t hi)
{
	return (lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)));
}

/* --- the generator -------------------------------------------------------- */

static void
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t	 used = strlen(buf);
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* A value as text: a name in random case, sometimes, or a number. */
static void
put_value(char *buf, size_t len, int f, int v)
{
	const char	*name = NULL;
	char		 s[4];
	int		 i;

	if (f == MON && rnd() % 3 == 0)
		name = month_names[v - 1];
	else if (f == DOW && v <= 6 && rnd() % 3 == 0)
		name = day_names[v];
	if (name != NULL) {
		for (i = 0; i < 3; i++)
			s[i] = (char)(rnd() % 2 ? name[i] - 'a' + 'A' : name[i]);
		s[3] = '\0';
		append(buf, len, "%s", s);
	} else if (rnd() % 20 == 0)
		append(buf, len, "0%d", v);
	else
		append(buf, len, "%d", v);
}

static void
set_range(uint64_t *mask, int lo, int hi, int step)
{
	for (; lo <= hi; lo += step)
		*mask |= (uint64_t)1 << lo;
}

/* One list item: a, a-b, a-b/n, a/n, or rarely * or * /n. */
static void
gen_item(char *buf, size_t len, int f, uint64_t *mask)
{
	int	 lo = lim[f].lo, hi = lim[f].hi, a, b, n;

	switch (rnd() % 10) {
	case 0: case 1: case 2: case 3:
		if (hints.n[f] > 0 && rnd() % 3 != 0)
			a = hints.v[f][rnd() % (uint64_t)hints.n[f]];
		else
			a = rnd_in(lo, hi);
		put_value(buf, len, f, a);
		set_range(mask, a, a, 1);
		break;
	case 4: case 5:
		a = rnd_in(lo, hi);
		b = rnd_in(a, hi);
		put_value(buf, len, f, a);
		append(buf, len, "-");
		put_value(buf, len, f, b);
		set_range(mask, a, b, 1);
		break;
	case 6: case 7:
		a = rnd_in(lo, hi);
		b = rnd_in(a, hi);
		n = rnd_in(1, b - a + 1);
		put_value(buf, len, f, a);
		append(buf, len, "-");
		put_value(buf, len, f, b);
		append(buf, len, "/%d", n);
		set_range(mask, a, b, n);
		break;
	case 8:
		a = rnd_in(lo, hi);
		n = rnd_in(1, hi - a + 1);
		put_value(buf, len, f, a);
		append(buf, len, "/%d", n);
		set_range(mask, a, hi, n);
		break;
	default:
		if (rnd() % 2) {
			append(buf, len, "*");
			set_range(mask, lo, hi, 1);
		} else {
			n = rnd_in(1, hi - lo + 1);
			append(buf, len, "*/%d", n);
			set_range(mask, lo, hi, n);
		}
		break;
	}
}

static void
gen_field(struct expr *x, int f)
{
	char	 buf[128] = "";
	int	 r = rnd_in(0, 99), k, n;

	if (r < lim[f].p_star) {
		strcpy(buf, "*");
		set_range(&x->mask[f], lim[f].lo, lim[f].hi, 1);
	} else if (r < lim[f].p_star + 12) {
		n = rnd_in(1, lim[f].hi - lim[f].lo + 1);
		snprintf(buf, sizeof buf, "*/%d", n);
		set_range(&x->mask[f], lim[f].lo, lim[f].hi, n);
	} else {
		n = rnd() % 3 == 0 ? rnd_in(2, 4) : 1;
		for (k = 0; k < n; k++) {
			if (k > 0)
				append(buf, sizeof buf, ",");
			gen_item(buf, sizeof buf, f, &x->mask[f]);
		}
	}
	x->star[f] = buf[0] == '*';
	if (f == DOW && (x->mask[DOW] & 0x80))
		x->mask[DOW] = (x->mask[DOW] & 0x7f) | 1;
	append(x->text, sizeof x->text, "%s%s", x->text[0] ? " " : "", buf);
}

/* Fills x with a macro's meaning, from five fields given here. */
static void
gen_macro(struct expr *x)
{
	static const struct {
		const char	*name;
		int		 min, hour, dom, mon, dow;	/* -1: '*' */
	} m[] = {
		{ "@yearly", 0, 0, 1, 1, -1 },
		{ "@annually", 0, 0, 1, 1, -1 },
		{ "@monthly", 0, 0, 1, -1, -1 },
		{ "@weekly", 0, 0, -1, -1, 0 },
		{ "@daily", 0, 0, -1, -1, -1 },
		{ "@midnight", 0, 0, -1, -1, -1 },
		{ "@hourly", 0, -1, -1, -1, -1 },
	};
	int	 i = rnd_in(0, 6), v[NFIELDS], f;

	v[SEC] = 0;
	v[MIN] = m[i].min;
	v[HOUR] = m[i].hour;
	v[DOM] = m[i].dom;
	v[MON] = m[i].mon;
	v[DOW] = m[i].dow;
	for (f = 0; f < NFIELDS; f++) {
		x->star[f] = v[f] == -1;
		if (v[f] == -1)
			set_range(&x->mask[f], lim[f].lo, lim[f].hi, 1);
		else
			x->mask[f] = (uint64_t)1 << v[f];
	}
	x->mask[DOW] &= 0x7f;
	snprintf(x->text, sizeof x->text, "%s", m[i].name);
}

static void
gen_expr(struct expr *x, int nfields)
{
	int	 f;

	memset(x, 0, sizeof *x);
	x->nfields = nfields;
	if (nfields == 5 && rnd() % 30 == 0) {
		gen_macro(x);
		return;
	}
	if (nfields == 5)
		x->mask[SEC] = 1;
	for (f = nfields == 6 ? SEC : MIN; f < NFIELDS; f++)
		gen_field(x, f);
}

/* --- the brute force ------------------------------------------------------ */

static int
bit(uint64_t mask, int v)
{
	return ((mask >> v) & 1);
}

static int
wildcard(const struct expr *x)
{
	return (x->star[MIN] || x->star[HOUR]);
}

/* Does a wall-clock reading match? Vixie's day rule. */
static int
matches(const struct expr *x, const struct tm *tm)
{
	int	 dom, dow;

	if (!bit(x->mask[SEC], tm->tm_sec) || !bit(x->mask[MIN], tm->tm_min) ||
	    !bit(x->mask[HOUR], tm->tm_hour) ||
	    !bit(x->mask[MON], tm->tm_mon + 1))
		return (0);
	dom = bit(x->mask[DOM], tm->tm_mday);
	dow = bit(x->mask[DOW], tm->tm_wday);
	if (x->star[DOM] || x->star[DOW])
		return (dom && dow);
	return (dom || dow);
}

/* No real date has both an allowed month and day of month (Feb 29 is). */
static int
never(const struct expr *x)
{
	static const int	 dim[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int			 m, d;

	if (!x->star[DOM] && !x->star[DOW])
		return (0);
	for (m = 1; m <= 12; m++)
		for (d = 1; d <= dim[m - 1]; d++)
			if (bit(x->mask[MON], m) && bit(x->mask[DOM], d))
				return (0);
	return (1);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return (a / b - (a % b != 0 && (a < 0) != (b < 0)));
}

/* The offset glibc gives for instant u in the current TZ. */
static int64_t
offset(int64_t u)
{
	struct tm	 tm;
	time_t		 t = (time_t)u;

	localtime_r(&t, &tm);
	return (tm.tm_gmtoff);
}

/*
 * The highest wall-clock reading at any instant up to `after`: the reading
 * at `after`, or the one just before a fall-back in the two days before.
 */
static int64_t
high_water(int64_t after)
{
	int64_t	 hwm = after + offset(after), a, b, lo, hi, mid, oa, ob;

	for (a = after - 2 * DAY; a < after; a = b) {
		b = a + 1800 < after ? a + 1800 : after;
		oa = offset(a);
		ob = offset(b);
		if (ob >= oa)
			continue;
		/* The clock fell back in (a, b]: find the last old instant. */
		for (lo = a, hi = b; hi - lo > 1;) {
			mid = lo + (hi - lo) / 2;
			if (offset(mid) == oa)
				lo = mid;
			else
				hi = mid;
		}
		if (lo + oa > hwm)
			hwm = lo + oa;
	}
	return (hwm);
}

/*
 * The fires of x in (after, limit), at most max of them, walking UTC
 * instants on a grid of g seconds. Returns how many.
 */
static int
brute(const struct expr *x, int64_t after, int64_t limit, int64_t *out,
    int max)
{
	struct tm	 tm, wt;
	time_t		 tt;
	int64_t		 g = x->nfields == 6 ? 1 : 60, hwm, u, w, W;
	int		 n = 0, fire;

	hwm = high_water(after);
	for (u = floor_div(after, g) * g + g; u < limit; u += g) {
		tt = (time_t)u;
		localtime_r(&tt, &tm);
		w = u + tm.tm_gmtoff;
		if (wildcard(x))
			fire = matches(x, &tm);
		else {
			fire = 0;
			for (W = floor_div(hwm, g) * g + g; W <= w; W += g) {
				if (W == w)
					fire = matches(x, &tm);
				else {
					tt = (time_t)W;
					gmtime_r(&tt, &wt);
					fire = matches(x, &wt);
				}
				if (fire)
					break;
			}
		}
		if (w > hwm)
			hwm = w;
		if (fire) {
			out[n++] = u;
			if (n == max)
				break;
		}
	}
	return (n);
}

/* --- the property --------------------------------------------------------- */

static const char *
utc(int64_t t, char *buf)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (buf);
}

static void
report(struct stats *st, const struct expr *x, const char *zone,
    int64_t after, const char *what, int64_t want, int64_t got)
{
	char	 b1[32], b2[32], b3[32];

	if (++st->failures > MAX_REPORTS)
		return;
	print_error("\"%s\" (%s) in %s after %s: %s: brute force %s, "
	    "next() %s\n", x->text, wildcard(x) ? "wildcard" : "fixed", zone,
	    utc(after, b1), what, want == INT64_MIN ? "none" : utc(want, b2),
	    got == INT64_MIN ? "none" : utc(got, b3));
}

/*
 * A start instant: mostly near one of the zone's offset changes (from the
 * engine's own table, which only picks where to look), else anywhere in
 * 1950-2100, sometimes on a minute or an hour.
 */
static int64_t
pick_start(const struct lc_tz *tz, int nfields, int64_t *near)
{
	struct lc_tz_span	 sp;
	int64_t			 t, T;

	*near = INT64_MIN;
	t = rnd_in64(-631152000LL, 4102444800LL);	/* 1950 to 2100 */
	if (rnd() % 10 < 6) {
		lc_tz_span(tz, t, &sp);
		if (sp.end != INT64_MAX && sp.end < 4133980800LL) {
			T = *near = sp.end;
			switch (rnd() % 6) {
			case 0:
				return (T - rnd_in(1, 2));
			case 1:
				return (T - 60 * rnd_in(0, 3));
			default:
				return (nfields == 6 ?
				    T + rnd_in64(-3 * 3600, 3600) :
				    T + rnd_in64(-2 * DAY, 3 * 3600));
			}
		}
	}
	switch (rnd() % 4) {
	case 0:
		return (floor_div(t, 60) * 60);
	case 1:
		return (floor_div(t, 3600) * 3600 - rnd_in(0, 1));
	default:
		return (t);
	}
}

static void
add_hint(int f, int v)
{
	int	 i;

	if (v < lim[f].lo || v > lim[f].hi)
		return;
	for (i = 0; i < hints.n[f]; i++)
		if (hints.v[f][i] == v)
			return;
	if (hints.n[f] < 12)
		hints.v[f][hints.n[f]++] = v;
}

/* Hints from the wall readings (glibc's) just before and at change T. */
static void
set_hints(int64_t T)
{
	static const int	 edges[] = { 0, 59, 30, 1, 29, 31, 45 };
	struct tm		 tm;
	time_t			 tt;
	int64_t			 u;
	int			 i;

	memset(&hints, 0, sizeof hints);
	if (T == INT64_MIN)
		return;
	for (i = 0; i < 7; i++)
		add_hint(MIN, edges[i]);
	add_hint(SEC, 0);
	add_hint(SEC, 59);
	add_hint(SEC, 30);
	for (u = T - 1; u <= T; u++) {
		tt = (time_t)u;
		localtime_r(&tt, &tm);
		add_hint(SEC, tm.tm_sec);
		add_hint(MIN, tm.tm_min);
		add_hint(HOUR, tm.tm_hour);
		add_hint(HOUR, tm.tm_hour + (u < T ? 1 : -1));
		add_hint(DOM, tm.tm_mday);
		add_hint(MON, tm.tm_mon + 1);
		add_hint(DOW, tm.tm_wday);
	}
}

/* Compares next() with the brute force for one expression and start. */
static void
check_case(struct stats *st, const struct expr *x, const char *zone,
    const struct lc_tz *tz, int64_t after)
{
	struct lc_cronexpr	*e;
	char			*cause = NULL;
	int64_t			 fires[MAX_CHAIN], limit, t, next;
	int			 n, i, r;

	e = lc_cronexpr_parse(x->text, &cause);
	if (e == NULL)
		fail_msg("generated \"%s\" does not parse: %s", x->text, cause);
	assert_int_equal(lc_cronexpr_has_seconds(e), x->nfields == 6);
	if (lc_cronexpr_is_wildcard(e) != wildcard(x))
		fail_msg("\"%s\": is_wildcard %d", x->text,
		    lc_cronexpr_is_wildcard(e));
	st->cases++;

	limit = after + (x->nfields == 6 ? 6 * 3600 : 3 * DAY);
	n = brute(x, after, limit, fires, MAX_CHAIN);
	t = after;
	for (i = 0; i < n; i++) {
		r = lc_cronexpr_next(e, tz, t, &next);
		if (r != 0 || next != fires[i]) {
			report(st, x, zone, t, "next fire", fires[i],
			    r != 0 ? INT64_MIN : next);
			goto out;
		}
		t = next;
		st->fires_compared++;
	}
	if (n > 0)
		st->cases_compared++;
	r = lc_cronexpr_next(e, tz, t, &next);
	if (r != 0 && !never(x))
		report(st, x, zone, t, "never fires, but should", 0, INT64_MIN);
	else if (r == 0 && never(x))
		report(st, x, zone, t, "fires, but can never", INT64_MIN, next);
	else if (r == 0 && next <= t)
		report(st, x, zone, t, "not after the start", INT64_MIN, next);
	else if (n < MAX_CHAIN && r == 0 && next < limit)
		report(st, x, zone, t, "fire the brute force does not know",
		    INT64_MIN, next);
	else if (n < MAX_CHAIN)
		st->empty_windows++;
out:
	lc_cronexpr_free(e);
}

static long
iterations(void)
{
	const char	*s = getenv("LOCKCRON_PROP_ITERS");
	long		 n;

	if (s == NULL || (n = strtol(s, NULL, 10)) <= 0)
		return (DEFAULT_ITERS);
	return (n);
}

static uint64_t
base_seed(void)
{
	const char	*s = getenv("LOCKCRON_PROP_SEED");

	return (s != NULL ? strtoull(s, NULL, 0) : 20260308);
}

/* Each zone has its own sequence, so one zone's cases can be rerun alone. */
static uint64_t
seed_for(const char *zone)
{
	uint64_t	 seed = base_seed();

	for (; *zone != '\0'; zone++)
		seed = seed * 131 + (unsigned char)*zone;
	return (seed | 1);
}

static void
run_zone(const char *zone)
{
	struct stats	 st;
	struct expr	 x;
	struct lc_tz	*tz;
	char		*cause = NULL;
	long		 n = iterations(), i;
	int64_t		 start, near;
	int		 nfields;

	memset(&st, 0, sizeof st);
	if ((tz = lc_tz_load(zone, &cause)) == NULL)
		fail_msg("cannot load %s: %s", zone, cause);
	setenv("TZ", zone, 1);
	tzset();
	rng = seed_for(zone);
	for (i = 0; i < n + n / 4; i++) {
		nfields = i < n ? 5 : 6;
		start = pick_start(tz, nfields, &near);
		set_hints(near);
		gen_expr(&x, nfields);
		check_case(&st, &x, zone, tz, start);
	}
	print_message("# %s: %ld cases (%ld five-field, %ld six-field), %ld "
	    "with fires in the window, %ld fires compared, %ld empty windows "
	    "checked, %ld failures (LOCKCRON_PROP_SEED=%llu)\n", zone,
	    st.cases, n, n / 4, st.cases_compared, st.fires_compared,
	    st.empty_windows, st.failures, (unsigned long long)base_seed());
	lc_tz_free(tz);
	unsetenv("TZ");
	tzset();
	assert_int_equal(st.failures, 0);
}

static void test_utc(void **s) { run_zone("UTC"); }
static void test_new_york(void **s) { run_zone("America/New_York"); }
static void test_london(void **s) { run_zone("Europe/London"); }
static void test_sydney(void **s) { run_zone("Australia/Sydney"); }
static void test_lord_howe(void **s) { run_zone("Australia/Lord_Howe"); }
static void test_kolkata(void **s) { run_zone("Asia/Kolkata"); }
static void test_sao_paulo(void **s) { run_zone("America/Sao_Paulo"); }

/* The brute force itself, on cases whose answer is known by heart. */
static void
test_brute_force_knows_dst(void **state)
{
	struct expr	 x;
	int64_t		 f[MAX_CHAIN];

	setenv("TZ", "America/New_York", 1);
	tzset();
	/* 30 2 * * *: 2019-03-10 02:30 was skipped; it runs at 03:00 EDT
	 * (07:00Z), then 2019-03-11 02:30 EDT (06:30Z). */
	memset(&x, 0, sizeof x);
	x.nfields = 5;
	x.mask[SEC] = 1;
	x.mask[MIN] = (uint64_t)1 << 30;
	x.mask[HOUR] = (uint64_t)1 << 2;
	set_range(&x.mask[DOM], 1, 31, 1);
	set_range(&x.mask[MON], 1, 12, 1);
	set_range(&x.mask[DOW], 0, 6, 1);
	x.star[DOM] = x.star[MON] = x.star[DOW] = 1;
	assert_int_equal(brute(&x, 1552194000, 1552194000 + 3 * DAY, f, 2),
	    2);
	assert_int_equal(f[0], 1552201200);
	assert_int_equal(f[1], 1552285800);
	/* 30 1 * * *: 2019-11-03 01:30 EDT (05:30Z) only, not 01:30 EST. */
	x.mask[HOUR] = (uint64_t)1 << 1;
	assert_int_equal(brute(&x, 1572742800, 1572742800 + 3 * DAY, f, 2),
	    2);
	assert_int_equal(f[0], 1572759000);
	assert_int_equal(f[1], 1572849000);	/* 11-04 01:30 EST */
	/* Starting inside the repeat: the next day. */
	assert_int_equal(brute(&x, 1572760800 + 600, 1572849000 + 1, f, 2),
	    1);
	/* As a wildcard (hour '*'), 01:30 runs twice. */
	set_range(&x.mask[HOUR], 0, 23, 1);
	x.star[HOUR] = 1;
	assert_int_equal(brute(&x, 1572757200, 1572757200 + 3 * 3600, f, 3),
	    3);
	assert_int_equal(f[1] - f[0], 3600);
	assert_int_equal(f[2] - f[1], 3600);
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brute_force_knows_dst),
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_new_york),
		cmocka_unit_test(test_london),
		cmocka_unit_test(test_sydney),
		cmocka_unit_test(test_lord_howe),
		cmocka_unit_test(test_kolkata),
		cmocka_unit_test(test_sao_paulo),
	};

	return (cmocka_run_group_tests_name("cronexpr_prop", tests, NULL,
	    NULL));
}
