/*
 * Runs, summaries and timelines for the history commands. A run as JSON
 * is runjson's object, the one the notifications send too; CSV carries
 * the same keys in the same order (run_value), and a test checks that
 * the two agree.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/runjson.h"
#include "lockcron/runview.h"
#include "lockcron/timefmt.h"
#include "lockcron/util.h"

/* The run keys of docs/json.md, in runjson's order. */
enum {
	K_RUN_ID, K_FIRE_ID, K_JOB, K_TRIGGER, K_ATTEMPT, K_STATUS, K_EXIT,
	K_SIGNAL, K_SCHEDULED, K_STARTED, K_FINISHED, K_DURATION, K_HOST,
	K_ERROR, K_NKEYS
};
static const char *const run_keys[K_NKEYS] = {
	"run_id", "fire_id", "job", "trigger", "attempt", "status",
	"exit_code", "signal", "scheduled_at", "started_at", "finished_at",
	"duration_ms", "host", "error"
};

/* One field's value: null, an integer or a string. */
struct value {
	enum { V_NULL, V_INT, V_STRING } type;
	int64_t		 i;
	const char	*s;
	char		 buf[LC_TIME_BUFSZ];
};

static void
value_instant(struct value *v, int64_t ms)
{
	if (ms == LC_HISTORY_NONE)
		return;
	v->type = V_STRING;
	v->s = lc_time_utc_ms(ms, v->buf);
}

static void
value_int(struct value *v, int64_t i, int present)
{
	if (present) {
		v->type = V_INT;
		v->i = i;
	}
}

static void
value_string(struct value *v, const char *s)
{
	if (s != NULL) {
		v->type = V_STRING;
		v->s = s;
	}
}

/* Field k of run r, as JSON and CSV carry it. */
static void
run_value(const struct lc_run *r, int k, struct value *v)
{
	memset(v, 0, sizeof *v);
	switch (k) {
	case K_RUN_ID: value_string(v, r->id); break;
	case K_FIRE_ID: value_string(v, r->fire_id); break;
	case K_JOB: value_string(v, r->job); break;
	case K_TRIGGER: value_string(v, lc_history_trigger_name(r->trigger));
		break;
	case K_ATTEMPT: value_int(v, r->attempt, 1); break;
	case K_STATUS: value_string(v, lc_history_status_name(r->status));
		break;
	case K_EXIT: value_int(v, r->exit_code, r->exit_code != -1); break;
	case K_SIGNAL: value_int(v, r->signal, r->signal != 0); break;
	case K_SCHEDULED: value_instant(v, r->scheduled_at); break;
	case K_STARTED: value_instant(v, r->started_at); break;
	case K_FINISHED: value_instant(v, r->finished_at); break;
	case K_DURATION: value_int(v, r->duration_ms,
		    r->duration_ms != LC_HISTORY_NONE); break;
	case K_HOST: value_string(v, r->host); break;
	case K_ERROR: value_string(v, r->error); break;
	}
}

static void
cell_value(struct lc_output *o, int col, const struct value *v)
{
	if (v->type == V_INT)
		lc_output_int(o, col, v->i);
	else if (v->type == V_STRING)
		lc_output_string(o, col, v->s);
	else
		lc_output_null(o, col);
}

int64_t
lc_runview_when(const struct lc_run *r)
{
	return (r->started_at != LC_HISTORY_NONE ? r->started_at :
	    r->scheduled_at);
}

enum lc_output_colour
lc_runview_colour(enum lc_run_status s)
{
	if (s == LC_RUN_SUCCEEDED)
		return (LC_OUTPUT_GREEN);
	if (LC_RUN_MASK(s) & LC_RUN_FAILURE_MASK)
		return (LC_OUTPUT_RED);
	if (s == LC_RUN_QUEUED || s == LC_RUN_RUNNING)
		return (LC_OUTPUT_BLUE);
	return (LC_OUTPUT_YELLOW);
}

/* "2026-11-24 02:00:00", or with ms and the offset: ".004 +01:00". */
static char *
local_time(const struct lc_tz *tz, int64_t ms, int full, char *buf,
    size_t len)
{
	struct lc_civil	 c;
	int64_t		 secs = ms / 1000 - (ms % 1000 < 0);
	int32_t		 off;
	int		 frac = (int)(ms - secs * 1000);

	off = lc_tz_to_civil(tz, secs, &c);
	if (!full)
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", c.year,
		    c.month, c.day, c.hour, c.min, c.sec);
	else
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03d "
		    "%c%02d:%02d", c.year, c.month, c.day, c.hour, c.min,
		    c.sec, frac, off < 0 ? '-' : '+', abs(off) / 3600,
		    abs(off) / 60 % 60);
	return (buf);
}

/* An instant cell: UTC for JSON and CSV, local for tables. */
static void
cell_instant(const struct lc_runview *v, struct lc_output *o, int col,
    int64_t ms)
{
	char	 buf[LC_TIME_BUFSZ];

	if (ms == LC_HISTORY_NONE) {
		lc_output_null(o, col);
		return;
	}
	lc_output_string(o, col, lc_time_utc_ms(ms, buf));
	lc_output_display(o, col, local_time(v->tz, ms, 0, buf, sizeof buf));
}

/* "12", "SIGKILL" or "-". */
static void
exit_text(const struct lc_run *r, char *buf, size_t len)
{
	const char	*name;

	if (r->exit_code != -1)
		snprintf(buf, len, "%d", r->exit_code);
	else if (r->signal != 0 && (name = sigabbrev_np(r->signal)) != NULL)
		snprintf(buf, len, "SIG%s", name);
	else if (r->signal != 0)
		snprintf(buf, len, "signal %d", r->signal);
	else
		snprintf(buf, len, "-");
}

/* --- history -------------------------------------------------------------- */

enum { T_RUN, T_JOB, T_TRIGGER, T_SCHEDULED, T_STARTED, T_DURATION,
    T_STATUS, T_EXIT };

static void
table_columns(struct lc_output *o)
{
	lc_output_column(o, "run_id", "RUN", 100, LC_OUTPUT_KEEP);
	lc_output_column(o, "job", "JOB", 100, LC_OUTPUT_KEEP);
	lc_output_column(o, "trigger", "TRIGGER", 40, 0);
	lc_output_column(o, "scheduled_at", "SCHEDULED", 90, 0);
	lc_output_column(o, "started_at", "STARTED", 30, 0);
	lc_output_column(o, "duration_ms", "DURATION", 80, LC_OUTPUT_RIGHT);
	lc_output_column(o, "status", "STATUS", 100, LC_OUTPUT_KEEP);
	lc_output_column(o, "exit_code", "EXIT", 60, LC_OUTPUT_RIGHT);
}

static void
table_row(const struct lc_runview *v, struct lc_output *o,
    const struct lc_run *r, size_t prefix)
{
	char	 buf[LC_TIME_BUFSZ];

	lc_output_row(o);
	snprintf(buf, sizeof buf, "%.*s", (int)prefix, r->id);
	lc_output_string(o, T_RUN, buf);
	lc_output_string(o, T_JOB, r->job);
	lc_output_string(o, T_TRIGGER, lc_history_trigger_name(r->trigger));
	cell_instant(v, o, T_SCHEDULED, r->scheduled_at);
	cell_instant(v, o, T_STARTED, r->started_at);
	if (r->duration_ms != LC_HISTORY_NONE) {
		lc_output_int(o, T_DURATION, r->duration_ms);
		lc_output_display(o, T_DURATION, lc_duration_format(
		    r->duration_ms, buf, sizeof buf));
	} else
		lc_output_null(o, T_DURATION);
	lc_output_string(o, T_STATUS, lc_history_status_name(r->status));
	lc_output_colour(o, T_STATUS, lc_runview_colour(r->status));
	exit_text(r, buf, sizeof buf);
	lc_output_string(o, T_EXIT, buf);
}

/* JSON as the CLI prints it: indented, with a final newline. */
static char *
dump(json_t *v)
{
	char	*s, *out;

	if ((s = json_dumps(v, JSON_INDENT(2))) == NULL)
		abort();	/* only on OOM */
	json_decref(v);
	xasprintf(&out, "%s\n", s);
	free(s);
	return (out);
}

char *
lc_runview_runs(const struct lc_runview *v, const struct lc_run *runs,
    const size_t *prefix, size_t n, const struct lc_output_style *style)
{
	struct lc_output	*o;
	struct value		 val;
	json_t			*a;
	size_t			 i;
	char			*text;
	int			 k;

	if (v->format == LC_OUTPUT_JSON) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, lc_runjson_run(&runs[i]));
		return (dump(a));
	}
	o = lc_output_new();
	if (v->format == LC_OUTPUT_TABLE) {
		table_columns(o);
		for (i = 0; i < n; i++)
			table_row(v, o, &runs[i], prefix != NULL ? prefix[i] :
			    8);
	} else {
		for (k = 0; k < K_NKEYS; k++)
			lc_output_column(o, run_keys[k], run_keys[k], 0, 0);
		for (i = 0; i < n; i++) {
			lc_output_row(o);
			for (k = 0; k < K_NKEYS; k++) {
				run_value(&runs[i], k, &val);
				cell_value(o, k, &val);
			}
		}
	}
	text = lc_output_render(o, v->format, style);
	lc_output_free(o);
	return (text);
}

/* --- show ----------------------------------------------------------------- */

/* Bytes for a terminal: \n and \t kept, other control bytes as \xHH. */
static void
add_safe(struct lc_buf *b, const char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)p[i] < 0x20 && p[i] != '\n' &&
		    p[i] != '\t') || p[i] == 0x7f)
			lc_buf_printf(b, "\\x%02x", (unsigned char)p[i]);
		else
			lc_buf_add(b, &p[i], 1);
	}
}

static void
show_line(struct lc_buf *b, const char *name, const char *value)
{
	lc_buf_printf(b, "%-12s", name);
	add_safe(b, value, strlen(value));
	lc_buf_addstr(b, "\n");
}

static void
show_instant(const struct lc_runview *v, struct lc_buf *b, const char *name,
    int64_t ms)
{
	char	 loc[LC_TIME_BUFSZ], utc[LC_TIME_BUFSZ], *s;

	if (ms == LC_HISTORY_NONE) {
		show_line(b, name, "-");
		return;
	}
	xasprintf(&s, "%s (%s)", local_time(v->tz, ms, 1, loc, sizeof loc),
	    lc_time_utc_ms(ms, utc));
	show_line(b, name, s);
	free(s);
}

/* The fields of a run, one per line. */
static void
show_fields(const struct lc_runview *v, struct lc_buf *b,
    const struct lc_run *r)
{
	char	 buf[64], dur[32];

	show_line(b, "run", r->id);
	show_line(b, "fire", r->fire_id != NULL ? r->fire_id : "-");
	show_line(b, "job", r->job);
	show_line(b, "trigger", lc_history_trigger_name(r->trigger));
	snprintf(buf, sizeof buf, "%d", r->attempt);
	show_line(b, "attempt", buf);
	show_line(b, "status", lc_history_status_name(r->status));
	exit_text(r, buf, sizeof buf);
	show_line(b, "exit", buf);
	show_instant(v, b, "scheduled", r->scheduled_at);
	show_instant(v, b, "started", r->started_at);
	show_instant(v, b, "finished", r->finished_at);
	if (r->duration_ms != LC_HISTORY_NONE) {
		snprintf(buf, sizeof buf, "%s (%lld ms)", lc_duration_format(
		    r->duration_ms, dur, sizeof dur), (long long)r->duration_ms);
		show_line(b, "duration", buf);
	} else
		show_line(b, "duration", "-");
	show_line(b, "host", r->host != NULL ? r->host : "-");
	show_line(b, "boot", r->boot_id != NULL ? r->boot_id : "-");
	if (r->supervisor_pid != 0) {
		snprintf(buf, sizeof buf, "pid %ld", (long)r->supervisor_pid);
		show_line(b, "supervisor", buf);
	} else
		show_line(b, "supervisor", "-");
	show_line(b, "error", r->error != NULL ? r->error : "-");
}

/* "+0.003s" from the first event. */
static void
offset_text(int64_t d, char *buf, size_t len)
{
	snprintf(buf, len, "%c%lld.%03llds", d < 0 ? '-' : '+',
	    (long long)(d < 0 ? -d : d) / 1000,
	    (long long)(d < 0 ? -d : d) % 1000);
}

static void
show_events(struct lc_buf *b, const struct lc_event *ev, size_t n)
{
	char	 off[32];
	size_t	 i;

	lc_buf_addstr(b, "\nevents:\n");
	if (n == 0)
		lc_buf_addstr(b, "  (none)\n");
	for (i = 0; i < n; i++) {
		offset_text(ev[i].at - ev[0].at, off, sizeof off);
		lc_buf_printf(b, "  %9s  %-18s", off,
		    lc_history_event_name(ev[i].kind));
		if (ev[i].detail != NULL)
			add_safe(b, ev[i].detail, strlen(ev[i].detail));
		while (b->len > 0 && b->data[b->len - 1] == ' ')
			b->len--;
		lc_buf_addstr(b, "\n");
	}
}

static char *
show_text(const struct lc_runview *v, const struct lc_run *r,
    const struct lc_event *ev, size_t n)
{
	struct lc_buf	 b = { 0 };

	show_fields(v, &b, r);
	show_events(&b, ev, n);
	if (r->output == NULL) {
		lc_buf_addstr(&b, "\noutput: (none)\n");
		return (lc_buf_steal(&b));
	}
	lc_buf_printf(&b, "\noutput (%zu bytes kept):\n", r->output_len);
	add_safe(&b, r->output, r->output_len);
	if (r->output_len > 0 && r->output[r->output_len - 1] != '\n')
		lc_buf_addstr(&b, "\n");
	return (lc_buf_steal(&b));
}

char *
lc_runview_show(const struct lc_runview *v, const struct lc_run *r,
    const struct lc_event *ev, size_t n)
{
	if (v->format == LC_OUTPUT_TABLE)
		return (show_text(v, r, ev, n));
	return (dump(lc_runjson_show(r, ev, n)));
}

/* --- status and list ------------------------------------------------------ */

enum { S_NAME, S_LAST_STATUS, S_LAST_RUN, S_LAST_SUCCESS, S_FAILURES,
    S_NEXT };

int
lc_runview_last_columns(const struct lc_runview *v, struct lc_output *o)
{
	int	 first;

	first = lc_output_column(o, "last_status", "LAST", 65, 0);
	lc_output_column(o, "last_run_at", "LAST RUN", 55, 0);
	if (v->format != LC_OUTPUT_TABLE) {
		lc_output_column(o, "last_success_at", "LAST SUCCESS", 45, 0);
		lc_output_column(o, "consecutive_failures", "FAILURES", 60,
		    LC_OUTPUT_RIGHT);
	}
	return (first);
}

void
lc_runview_last_cells(const struct lc_runview *v, struct lc_output *o,
    int first, const struct lc_job_summary *s)
{
	const struct lc_run	*last = s != NULL ? s->last : NULL;

	if (last != NULL) {
		lc_output_string(o, first, lc_history_status_name(last->status));
		lc_output_colour(o, first, lc_runview_colour(last->status));
		cell_instant(v, o, first + 1, lc_runview_when(last));
	} else {
		lc_output_null(o, first);
		lc_output_null(o, first + 1);
	}
	if (v->format == LC_OUTPUT_TABLE)
		return;
	if (s != NULL && s->last_success != NULL)
		cell_instant(v, o, first + 2, lc_runview_when(s->last_success));
	else
		lc_output_null(o, first + 2);
	lc_output_int(o, first + 3, s != NULL ? s->consecutive_failures : 0);
}

struct lc_output *
lc_runview_status(const struct lc_runview *v, const struct lc_runview_job *j,
    size_t n)
{
	struct lc_output	*o = lc_output_new();
	struct lc_runview	 all = *v;
	const struct lc_job_summary *s;
	size_t			 i;

	all.format = LC_OUTPUT_JSON;	/* every last-run column */
	lc_output_column(o, "name", "JOB", 100, LC_OUTPUT_KEEP);
	lc_runview_last_columns(&all, o);
	lc_output_column(o, "next_fire_at", "NEXT", 40, 0);
	for (i = 0; i < n; i++) {
		lc_output_row(o);
		lc_output_string(o, S_NAME, j[i].name);
		lc_runview_last_cells(v, o, S_LAST_STATUS, j[i].summary);
		if (v->format == LC_OUTPUT_TABLE) {
			s = j[i].summary;
			if (s != NULL && s->last_success != NULL)
				cell_instant(v, o, S_LAST_SUCCESS,
				    lc_runview_when(s->last_success));
			else
				lc_output_null(o, S_LAST_SUCCESS);
			lc_output_int(o, S_FAILURES, s != NULL ?
			    s->consecutive_failures : 0);
			if (s != NULL && s->consecutive_failures > 0)
				lc_output_colour(o, S_FAILURES, LC_OUTPUT_RED);
		}
		cell_instant(v, o, S_NEXT, j[i].next_fire);
	}
	return (o);
}

int
lc_runview_exit(const struct lc_runview_job *j, size_t n)
{
	const struct lc_run	*f;
	size_t			 i, counted = 0;
	int			 unknown = 0;

	for (i = 0; i < n; i++) {
		if (j[i].disabled)
			continue;
		counted++;
		f = j[i].summary != NULL ? j[i].summary->last_finished : NULL;
		if (f == NULL)
			unknown = 1;
		else if (f->status != LC_RUN_SUCCEEDED)
			return (LC_RUNVIEW_FAILED);
	}
	return (unknown || counted == 0 ? LC_RUNVIEW_UNKNOWN : LC_RUNVIEW_OK);
}
