/*
 * Prometheus text exposition of the history. Pure: it formats what the
 * caller read, so the tests check it byte for byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lockcron/metrics.h"
#include "lockcron/output.h"
#include "lockcron/runview.h"
#include "lockcron/util.h"

/* The statuses of lockcron_last_run_status: those a finished run has. */
#define STATE_SET	LC_RUN_FINISHED_MASK

static void
family(struct lc_buf *b, const char *name, const char *type,
    const char *help)
{
	lc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* A label value: valid UTF-8, with \\, \" and \n escaped. */
static void
label_value(struct lc_buf *b, const char *s)
{
	char	*clean, *p;

	clean = lc_output_utf8(s, strlen(s));
	for (p = clean; *p != '\0'; p++) {
		if (*p == '\\')
			lc_buf_addstr(b, "\\\\");
		else if (*p == '"')
			lc_buf_addstr(b, "\\\"");
		else if (*p == '\n')
			lc_buf_addstr(b, "\\n");
		else
			lc_buf_add(b, p, 1);
	}
	free(clean);
}

/* name{job="...",status="..."} (status NULL: no such label). */
static void
series(struct lc_buf *b, const char *name, const char *job,
    const char *status)
{
	lc_buf_printf(b, "%s{job=\"", name);
	label_value(b, job);
	if (status != NULL)
		lc_buf_printf(b, "\",status=\"%s", status);
	lc_buf_addstr(b, "\"} ");
}

/* Milliseconds as seconds, exactly: 1795485600.004 */
static void
seconds(struct lc_buf *b, int64_t ms)
{
	int64_t	 s = ms / 1000 - (ms % 1000 < 0);

	lc_buf_printf(b, "%lld.%03lld\n", (long long)s,
	    (long long)(ms - s * 1000));
}

static void
last_runs(struct lc_buf *b, const struct lc_job_summary *j, size_t n)
{
	size_t	 i;

	family(b, "lockcron_last_run_timestamp_seconds", "gauge",
	    "When the newest run of the job started (its scheduled time if "
	    "it never started).");
	for (i = 0; i < n; i++) {
		if (j[i].last == NULL)
			continue;
		series(b, "lockcron_last_run_timestamp_seconds", j[i].job,
		    NULL);
		seconds(b, lc_runview_when(j[i].last));
	}
	family(b, "lockcron_last_run_duration_seconds", "gauge",
	    "How long the newest finished run of the job ran.");
	for (i = 0; i < n; i++) {
		if (j[i].last_finished == NULL ||
		    j[i].last_finished->duration_ms == LC_HISTORY_NONE)
			continue;
		series(b, "lockcron_last_run_duration_seconds", j[i].job,
		    NULL);
		seconds(b, j[i].last_finished->duration_ms);
	}
}

static void
last_status(struct lc_buf *b, const struct lc_job_summary *j, size_t n)
{
	size_t	 i;
	int	 s;

	family(b, "lockcron_last_run_status", "gauge",
	    "The status of the newest finished run of the job: 1 for its "
	    "status, 0 for the others.");
	for (i = 0; i < n; i++) {
		if (j[i].last_finished == NULL)
			continue;
		for (s = 0; s < LC_RUN_NSTATUS; s++) {
			if (!(LC_RUN_MASK(s) & STATE_SET))
				continue;
			series(b, "lockcron_last_run_status", j[i].job,
			    lc_history_status_name((enum lc_run_status)s));
			lc_buf_printf(b, "%d\n",
			    j[i].last_finished->status == (enum lc_run_status)s);
		}
	}
}

static void
successes(struct lc_buf *b, const struct lc_job_summary *j, size_t n)
{
	size_t	 i;

	family(b, "lockcron_last_success_timestamp_seconds", "gauge",
	    "When the newest successful run of the job started.");
	for (i = 0; i < n; i++) {
		if (j[i].last_success == NULL)
			continue;
		series(b, "lockcron_last_success_timestamp_seconds", j[i].job,
		    NULL);
		seconds(b, lc_runview_when(j[i].last_success));
	}
	family(b, "lockcron_consecutive_failures", "gauge",
	    "Failed runs of the job since its newest success.");
	for (i = 0; i < n; i++) {
		if (j[i].last == NULL)
			continue;
		series(b, "lockcron_consecutive_failures", j[i].job, NULL);
		lc_buf_printf(b, "%d\n", j[i].consecutive_failures);
	}
}

char *
lc_metrics_render(const struct lc_job_summary *j, size_t n,
    const struct lc_history_count *t, size_t nt)
{
	struct lc_buf	 b = { 0 };
	size_t		 i;

	lc_buf_addstr(&b, "");
	last_runs(&b, j, n);
	last_status(&b, j, n);
	successes(&b, j, n);
	family(&b, "lockcron_runs_total", "counter",
	    "Runs of the job that ended, by status (pruning the history "
	    "does not lower it).");
	for (i = 0; i < nt; i++) {
		series(&b, "lockcron_runs_total", t[i].job,
		    lc_history_status_name(t[i].status));
		lc_buf_printf(&b, "%lld\n", (long long)t[i].count);
	}
	return (lc_buf_steal(&b));
}
