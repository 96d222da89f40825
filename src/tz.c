/*
 * Time zones. A zone is read once from its TZif file (RFC 8536, version 2+
 * 64-bit data) and its POSIX-TZ footer rule is expanded into further
 * transitions, so that every lookup is a binary search in one table.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockcron/tz.h"
#include "lockcron/util.h"

#define TZ_DEFAULT_DIR	"/usr/share/zoneinfo"
#define TZ_MAX_FILE	(1024 * 1024)
/*
 * The footer rule is expanded through this year. A rule repeats every 400
 * Gregorian years (146097 days, a whole number of weeks), so later instants
 * are folded back by whole cycles into the expanded table.
 */
#define TZ_LAST_YEAR	2600
#define TZ_CYCLE	((int64_t)146097 * 86400)

struct transition {
	int64_t	 at;		/* first instant of this offset */
	int32_t	 offset;
};

struct lc_tz {
	char			*name;
	struct transition	*tr;	/* tr[0].at is INT64_MIN */
	size_t			 ntr;
	size_t			 cap;
	int64_t			 fold_at;	/* INT64_MAX: no rule */
};

/* One date rule of a POSIX TZ string: Jn, n or Mm.w.d, plus a time. */
struct posix_date {
	char	 kind;		/* 'J', 'n' or 'M' */
	int	 a, b, c;	/* day; or month, week, weekday */
	int32_t	 time;		/* seconds after local midnight */
};

struct posix_rule {
	int32_t			 std_offset;
	int32_t			 dst_offset;
	int			 has_dst;
	struct posix_date	 start, end;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t
lc_days_from_civil(int64_t y, int m, int d)
{
	int64_t		 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static int
is_leap(int64_t y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

int
lc_days_in_month(int64_t y, int m)
{
	static const int days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && is_leap(y))
		return (29);
	return (days[m - 1]);
}

int64_t
lc_civil_to_secs(const struct lc_civil *c)
{
	return (lc_days_from_civil(c->year, c->month, c->day) * 86400 +
	    c->hour * 3600 + c->min * 60 + c->sec);
}

void
lc_civil_from_secs(int64_t t, struct lc_civil *c)
{
	int64_t	 days, secs, era, doe, yoe, y, doy, mp;

	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	c->wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01 was a Thursday */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = (int)(y + (c->month <= 2));
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
}

static void
tz_push(struct lc_tz *tz, int64_t at, int32_t offset)
{
	/* Transitions that keep the offset (abbreviation or isdst changes
	 * only) do not matter to wall-clock arithmetic. */
	if (tz->ntr > 0 && tz->tr[tz->ntr - 1].offset == offset)
		return;
	if (tz->ntr > 0 && at <= tz->tr[tz->ntr - 1].at)
		return;
	if (tz->ntr == tz->cap) {
		tz->cap = tz->cap ? tz->cap * 2 : 64;
		tz->tr = xreallocarray(tz->tr, tz->cap, sizeof *tz->tr);
	}
	tz->tr[tz->ntr].at = at;
	tz->tr[tz->ntr].offset = offset;
	tz->ntr++;
}

static struct lc_tz *
tz_new(const char *name)
{
	struct lc_tz	*tz;

	tz = xcalloc(1, sizeof *tz);
	tz->name = xstrdup(name);
	tz->fold_at = INT64_MAX;
	return (tz);
}

void
lc_tz_free(struct lc_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->tr);
	free(tz);
}

const char *
lc_tz_name(const struct lc_tz *tz)
{
	return (tz->name);
}

/* --- POSIX TZ rules ---------------------------------------------------- */

/* Skips a zone abbreviation: letters, or anything between < and >. */
static const char *
posix_name(const char *p)
{
	const char	*s = p;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return (*p == '>' && p - s > 1 ? p + 1 : NULL);
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return (p - s >= 3 ? p : NULL);
}

/* Parses [+-]hh[:mm[:ss]] with hours up to max; returns seconds. */
static const char *
posix_hms(const char *p, int max_hours, int32_t *out)
{
	int	 sign = 1, part, i;
	int32_t	 v = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != ':')
				break;
			p++;
		}
		if (*p < '0' || *p > '9')
			return (NULL);
		part = 0;
		while (*p >= '0' && *p <= '9' && part <= 1000)
			part = part * 10 + (*p++ - '0');
		if ((i == 0 && part > max_hours) || (i > 0 && part > 59))
			return (NULL);
		v += part * (i == 0 ? 3600 : i == 1 ? 60 : 1);
	}
	*out = sign * v;
	return (p);
}

static const char *
posix_num(const char *p, int min, int max, int *out)
{
	int	 v = 0;

	if (*p < '0' || *p > '9')
		return (NULL);
	while (*p >= '0' && *p <= '9' && v <= max)
		v = v * 10 + (*p++ - '0');
	if (v < min || v > max)
		return (NULL);
	*out = v;
	return (p);
}

static const char *
posix_date(const char *p, struct posix_date *d)
{
	d->time = 7200;
	if (*p == 'J') {
		d->kind = 'J';
		p = posix_num(p + 1, 1, 365, &d->a);
	} else if (*p == 'M') {
		d->kind = 'M';
		if ((p = posix_num(p + 1, 1, 12, &d->a)) == NULL || *p++ != '.')
			return (NULL);
		if ((p = posix_num(p, 1, 5, &d->b)) == NULL || *p++ != '.')
			return (NULL);
		p = posix_num(p, 0, 6, &d->c);
	} else {
		d->kind = 'n';
		p = posix_num(p, 0, 365, &d->a);
	}
	if (p != NULL && *p == '/')
		p = posix_hms(p + 1, 167, &d->time);
	return (p);
}

/* Parses a POSIX TZ string (with RFC 8536's extended hours); 0 if valid. */
static int
posix_parse(const char *s, struct posix_rule *r)
{
	const char	*p;
	int32_t		 off;

	memset(r, 0, sizeof *r);
	if ((p = posix_name(s)) == NULL || (p = posix_hms(p, 24, &off)) == NULL)
		return (-1);
	r->std_offset = -off;		/* POSIX counts west as positive */
	if (*p == '\0')
		return (0);
	if ((p = posix_name(p)) == NULL)
		return (-1);
	r->has_dst = 1;
	r->dst_offset = r->std_offset + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = posix_hms(p, 24, &off)) == NULL)
			return (-1);
		r->dst_offset = -off;
	}
	if (*p == '\0') {		/* the US rules, as POSIX says */
		p = "M3.2.0,M11.1.0";
	} else if (*p++ != ',')
		return (-1);
	if ((p = posix_date(p, &r->start)) == NULL || *p++ != ',')
		return (-1);
	if ((p = posix_date(p, &r->end)) == NULL || *p != '\0')
		return (-1);
	return (0);
}

/* Local midnight (as local seconds) of a rule's day in year y. */
static int64_t
posix_day(const struct posix_date *d, int64_t y)
{
	int64_t	 first;
	int	 day, wday;

	switch (d->kind) {
	case 'J':		/* 1-365, February 29th never counted */
		day = d->a - 1;
		if (is_leap(y) && d->a >= 60)
			day++;
		return ((lc_days_from_civil(y, 1, 1) + day) * 86400);
	case 'n':		/* 0-365, February 29th counted */
		return ((lc_days_from_civil(y, 1, 1) + d->a) * 86400);
	default:		/* Mm.w.d: weekday d of week w (5 = last) */
		first = lc_days_from_civil(y, d->a, 1);
		wday = (int)((first % 7 + 11) % 7);
		day = (d->c - wday + 7) % 7 + (d->b - 1) * 7;
		while (day >= lc_days_in_month(y, d->a))
			day -= 7;
		return ((first + day) * 86400);
	}
}

/* Appends the rule's transitions for the years [from, to] after `after`. */
static void
posix_expand(struct lc_tz *tz, const struct posix_rule *r, int64_t after,
    int64_t from, int64_t to)
{
	int64_t	 y, start, end;

	if (!r->has_dst) {
		tz_push(tz, after == INT64_MIN ? INT64_MIN : after + 1,
		    r->std_offset);
		return;
	}
	/*
	 * From the start of the last year on, instants fold back one or more
	 * cycles, into years the rule alone decides (the table ends ~2037).
	 */
	if (from + 401 < to)
		tz->fold_at = lc_days_from_civil(to, 1, 1) * 86400;
	for (y = from; y <= to; y++) {
		/* Each change is given in the wall time in force before it. */
		start = posix_day(&r->start, y) + r->start.time - r->std_offset;
		end = posix_day(&r->end, y) + r->end.time - r->dst_offset;
		if (start < end) {
			if (start > after)
				tz_push(tz, start, r->dst_offset);
			if (end > after)
				tz_push(tz, end, r->std_offset);
		} else {
			if (end > after)
				tz_push(tz, end, r->std_offset);
			if (start > after)
				tz_push(tz, start, r->dst_offset);
		}
	}
}

struct lc_tz *
lc_tz_load_posix(const char *rule, char **cause)
{
	struct posix_rule	 r;
	struct lc_tz		*tz;

	if (posix_parse(rule, &r) != 0) {
		lc_set_cause(cause, "invalid POSIX time zone rule: %s", rule);
		return (NULL);
	}
	tz = tz_new(rule);
	/* Before the first rule change: standard time. */
	tz_push(tz, INT64_MIN, r.std_offset);
	if (r.has_dst)
		posix_expand(tz, &r, INT64_MIN, 1800, TZ_LAST_YEAR);
	return (tz);
}

/* --- TZif -------------------------------------------------------------- */

static int64_t
be_int(const unsigned char *p, int size)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < size; i++)
		v = (v << 8) | p[i];
	if (size == 4)
		return ((int32_t)(uint32_t)v);
	return ((int64_t)v);
}

struct tzif_header {
	uint32_t	 isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int
tzif_header(const unsigned char *p, size_t len, struct tzif_header *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return (-1);
	h->isutcnt = (uint32_t)be_int(p + 20, 4);
	h->isstdcnt = (uint32_t)be_int(p + 24, 4);
	h->leapcnt = (uint32_t)be_int(p + 28, 4);
	h->timecnt = (uint32_t)be_int(p + 32, 4);
	h->typecnt = (uint32_t)be_int(p + 36, 4);
	h->charcnt = (uint32_t)be_int(p + 40, 4);
	if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > 100000 ||
	    h->leapcnt > 100000 || h->charcnt > 100000 ||
	    h->isutcnt > 256 || h->isstdcnt > 256)
		return (-1);
	return (0);
}

static size_t
tzif_block_size(const struct tzif_header *h, int tsize)
{
	return ((size_t)h->timecnt * (tsize + 1) + (size_t)h->typecnt * 6 +
	    h->charcnt + (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	    h->isutcnt);
}

struct lc_tz *
lc_tz_load_data(const char *name, const unsigned char *data, size_t len,
    char **cause)
{
	struct tzif_header	 h1, h;
	struct posix_rule	 rule;
	struct lc_tz		*tz;
	const unsigned char	*p, *times, *idx, *types, *end;
	size_t			 off, i;
	int64_t			 last;
	struct lc_civil		 c;
	char			*footer;

	if (tzif_header(data, len, &h1) != 0 || data[4] < '2') {
		lc_set_cause(cause, "time zone %s: not a TZif file of "
		    "version 2 or later", name);
		return (NULL);
	}
	off = 44 + tzif_block_size(&h1, 4);
	if (off > len || tzif_header(data + off, len - off, &h) != 0 ||
	    off + 44 + tzif_block_size(&h, 8) > len) {
		lc_set_cause(cause, "time zone %s: truncated TZif file", name);
		return (NULL);
	}
	if (h.leapcnt != 0) {
		lc_set_cause(cause, "time zone %s has leap seconds, which "
		    "lockcron does not model; use the zone without \"right/\"",
		    name);
		return (NULL);
	}
	times = data + off + 44;
	idx = times + (size_t)h.timecnt * 8;
	types = idx + h.timecnt;
	p = times + tzif_block_size(&h, 8);
	end = data + len;

	tz = tz_new(name);
	/* Before the first transition, the first time type applies. */
	tz_push(tz, INT64_MIN, (int32_t)be_int(types, 4));
	last = INT64_MIN;
	for (i = 0; i < h.timecnt; i++) {
		if (idx[i] >= h.typecnt) {
			lc_set_cause(cause, "time zone %s: bad type index",
			    name);
			lc_tz_free(tz);
			return (NULL);
		}
		last = be_int(times + i * 8, 8);
		tz_push(tz, last, (int32_t)be_int(types + idx[i] * 6, 4));
	}

	/* The footer: "\n<POSIX TZ>\n", for instants after the table. */
	if (p < end && *p == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));

		if (nl != NULL && nl > p + 1) {
			footer = xstrndup((const char *)p + 1, (size_t)(nl - p - 1));
			if (posix_parse(footer, &rule) == 0) {
				lc_civil_from_secs(last == INT64_MIN ? 0 : last, &c);
				posix_expand(tz, &rule, last, c.year, TZ_LAST_YEAR);
			}
			free(footer);
		}
	}
	return (tz);
}

/* A zone name must stay inside the zone directory. */
static int
valid_name(const char *name)
{
	const char	*p;

	if (name[0] == '/' || name[0] == '\0' || strlen(name) > 255)
		return (0);
	for (p = name; *p != '\0'; p++) {
		if (*p == '.' && (p == name || p[-1] == '/'))
			return (0);
		if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			return (0);
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return (0);
	}
	return (1);
}

static struct lc_tz *
load_file(const char *name, const char *path, char **cause)
{
	struct stat	 st;
	unsigned char	*data;
	struct lc_tz	*tz;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			lc_set_cause(cause, "unknown time zone \"%s\" (no %s)",
			    name, path);
		else
			lc_set_cause(cause, "time zone %s: %s: %s", name, path,
			    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TZ_MAX_FILE) {
		lc_set_cause(cause, "unknown time zone \"%s\" (%s is not a "
		    "zone file)", name, path);
		close(fd);
		return (NULL);
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, data + got, (size_t)st.st_size - got);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	tz = lc_tz_load_data(name, data, got, cause);
	free(data);
	return (tz);
}

static const char *
zone_dir(void)
{
	const char	*d = getenv("TZDIR");

	return (d != NULL && *d == '/' ? d : TZ_DEFAULT_DIR);
}

/* The system zone: $TZ as glibc reads it, else /etc/localtime. */
static struct lc_tz *
load_system(char **cause)
{
	const char	*tzenv = getenv("TZ");
	char		 link[PATH_MAX], *p;
	ssize_t		 n;

	if (tzenv != NULL && *tzenv != '\0') {
		if (*tzenv == ':')
			tzenv++;
		if (*tzenv == '/')
			return (load_file(tzenv, tzenv, cause));
		if (valid_name(tzenv)) {
			struct lc_tz	*tz;
			char		*path;

			xasprintf(&path, "%s/%s", zone_dir(), tzenv);
			tz = load_file(tzenv, path, NULL);
			free(path);
			if (tz != NULL)
				return (tz);
		}
		return (lc_tz_load_posix(tzenv, cause));
	}
	n = readlink("/etc/localtime", link, sizeof link - 1);
	if (n > 0) {
		link[n] = '\0';
		if ((p = strstr(link, "zoneinfo/")) != NULL &&
		    valid_name(p + 9))
			return (load_file(p + 9, "/etc/localtime", cause));
	}
	if (access("/etc/localtime", F_OK) == 0)
		return (load_file("localtime", "/etc/localtime", cause));
	return (lc_tz_load_posix("UTC0", cause));
}

struct lc_tz *
lc_tz_load(const char *name, char **cause)
{
	struct lc_tz	*tz;
	char		*path;

	if (name == NULL || *name == '\0')
		return (load_system(cause));
	if (!valid_name(name)) {
		lc_set_cause(cause, "invalid time zone name \"%s\"", name);
		return (NULL);
	}
	xasprintf(&path, "%s/%s", zone_dir(), name);
	tz = load_file(name, path, cause);
	free(path);
	if (tz == NULL && (strcmp(name, "UTC") == 0 ||
	    strcmp(name, "Etc/UTC") == 0)) {
		/* A minimal system without tzdata still knows UTC. */
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
		tz = lc_tz_load_posix("UTC0", cause);
		free(tz->name);
		tz->name = xstrdup(name);
	}
	return (tz);
}

/* --- lookups ----------------------------------------------------------- */

/*
 * Folds an instant past the expanded table back by whole 400-year cycles;
 * *shift is what was taken off.
 */
static int64_t
fold(const struct lc_tz *tz, int64_t t, int64_t *shift)
{
	*shift = 0;
	if (t >= tz->fold_at)
		*shift = ((t - tz->fold_at) / TZ_CYCLE + 1) * TZ_CYCLE;
	return (t - *shift);
}

/* Index of the last transition at or before t. */
static size_t
find(const struct lc_tz *tz, int64_t t)
{
	size_t	 lo = 0, hi = tz->ntr;

	while (hi - lo > 1) {
		size_t	 mid = lo + (hi - lo) / 2;

		if (tz->tr[mid].at <= t)
			lo = mid;
		else
			hi = mid;
	}
	return (lo);
}

int32_t
lc_tz_offset(const struct lc_tz *tz, int64_t t)
{
	int64_t	 shift;

	return (tz->tr[find(tz, fold(tz, t, &shift))].offset);
}

void
lc_tz_span(const struct lc_tz *tz, int64_t t, struct lc_tz_span *s)
{
	int64_t	 shift;
	size_t	 i = find(tz, fold(tz, t, &shift));

	/* Folded instants fall in 2200-2599, so i > 0 and tr[i + 1] exists. */
	s->start = i > 0 ? tz->tr[i].at + shift : INT64_MIN;
	s->end = INT64_MAX;
	if (i + 1 < tz->ntr && tz->tr[i + 1].at <= INT64_MAX - shift)
		s->end = tz->tr[i + 1].at + shift;
	s->offset = tz->tr[i].offset;
	s->prev_offset = i > 0 ? tz->tr[i - 1].offset : s->offset;
}

int32_t
lc_tz_to_civil(const struct lc_tz *tz, int64_t t, struct lc_civil *c)
{
	int32_t	 off = lc_tz_offset(tz, t);

	lc_civil_from_secs(t + off, c);
	return (off);
}
