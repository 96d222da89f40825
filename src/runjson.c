/*
 * A run as JSON: the object `lockcron show --format json` prints and the
 * notifications send. One builder, so a webhook receiver and a script
 * reading show's output parse the same keys.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lockcron/runjson.h"
#include "lockcron/timefmt.h"
#include "lockcron/util.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t		 len, i;
	unsigned char	 lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF */
	} else
		return (0);
	if (n < len || p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return (0);
	return (len);
}

json_t *
lc_runjson_string(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct lc_buf		 b = { 0 };
	json_t			*v;
	size_t			 i, n, start = 0;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_len(p + i, len - i)) != 0)
			continue;
		lc_buf_add(&b, s + start, i - start);
		lc_buf_addstr(&b, "\xef\xbf\xbd");
		n = 1;
		start = i + 1;
	}
	if (b.data == NULL)
		return (json_stringn(s != NULL ? s : "", len));
	lc_buf_add(&b, s + start, len - start);
	v = json_stringn(b.data, b.len);
	lc_buf_free(&b);
	return (v);
}

static json_t *
str_or_null(const char *s)
{
	return (s != NULL ? lc_runjson_string(s, strlen(s)) : json_null());
}

static json_t *
instant(int64_t ms)
{
	char	 buf[LC_TIME_BUFSZ];

	if (ms == LC_HISTORY_NONE)
		return (json_null());
	return (json_string(lc_time_utc_ms(ms, buf)));
}

json_t *
lc_runjson_run(const struct lc_run *r)
{
	json_t	*o = json_object();

	json_object_set_new(o, "run_id", json_string(r->id));
	json_object_set_new(o, "fire_id", str_or_null(r->fire_id));
	json_object_set_new(o, "job", str_or_null(r->job));
	json_object_set_new(o, "trigger",
	    json_string(lc_history_trigger_name(r->trigger)));
	json_object_set_new(o, "attempt", json_integer(r->attempt));
	json_object_set_new(o, "status",
	    json_string(lc_history_status_name(r->status)));
	json_object_set_new(o, "exit_code", r->exit_code >= 0 ?
	    json_integer(r->exit_code) : json_null());
	json_object_set_new(o, "signal", r->signal > 0 ?
	    json_integer(r->signal) : json_null());
	json_object_set_new(o, "scheduled_at", instant(r->scheduled_at));
	json_object_set_new(o, "started_at", instant(r->started_at));
	json_object_set_new(o, "finished_at", instant(r->finished_at));
	json_object_set_new(o, "duration_ms",
	    r->duration_ms != LC_HISTORY_NONE ? json_integer(r->duration_ms) :
	    json_null());
	json_object_set_new(o, "host", str_or_null(r->host));
	json_object_set_new(o, "error", str_or_null(r->error));
	return (o);
}

json_t *
lc_runjson_show(const struct lc_run *r, const struct lc_event *ev,
    size_t nev)
{
	json_t	*o, *a, *e;
	size_t	 i;

	o = lc_runjson_run(r);
	a = json_array();
	for (i = 0; i < nev; i++) {
		e = json_object();
		json_object_set_new(e, "at", instant(ev[i].at));
		json_object_set_new(e, "kind",
		    json_string(lc_history_event_name(ev[i].kind)));
		json_object_set_new(e, "detail", str_or_null(ev[i].detail));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "events", a);
	json_object_set_new(o, "output", r->output != NULL ?
	    lc_runjson_string(r->output, r->output_len) : json_null());
	return (o);
}

json_t *
lc_runjson_load(struct lc_history *h, const char *id, char **cause)
{
	struct lc_run	 row;
	struct lc_event	*ev = NULL;
	size_t		 nev = 0;
	json_t		*o = NULL;

	lc_history_run_init(&row);
	if (lc_history_run_get(h, id, &row, NULL, NULL, cause) == 0 &&
	    lc_history_events(h, row.id, &ev, &nev, cause) == 0)
		o = lc_runjson_show(&row, ev, nev);
	lc_history_events_free(ev, nev);
	lc_history_run_clear(&row);
	return (o);
}
