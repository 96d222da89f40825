/*
 * Runs as the history commands show them, shared by `history`, `show`,
 * `status` and `list`: rows of runs and of job summaries for the output
 * module (a table for people, the documented keys of docs/json.md for
 * JSON and CSV), a run's full record with its event timeline and output,
 * and the exit status `status` derives from the summaries.
 *
 * JSON and CSV always carry instants as ISO-8601 UTC with milliseconds and
 * durations in milliseconds, null for unknown; tables show instants on the
 * wall clock of the view's zone and durations as "4m12s".
 */
#ifndef LOCKCRON_RUNVIEW_H
#define LOCKCRON_RUNVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "lockcron/history.h"
#include "lockcron/output.h"
#include "lockcron/tz.h"

struct lc_runview {
	const struct lc_tz	*tz;		/* tables' wall clock */
	enum lc_output_format	 format;
};

/* A job of `status` or `list`: its summary (NULL: no runs) and its next
 * fire instant in ms (LC_HISTORY_NONE: none or unknown). */
struct lc_runview_job {
	const char			*name;
	const struct lc_job_summary	*summary;
	int64_t				 next_fire;
	int				 disabled; /* not in the exit status */
};

/* The exit statuses of `lockcron status`. */
#define LC_RUNVIEW_OK		0	/* every last finished run succeeded */
#define LC_RUNVIEW_FAILED	1	/* some last finished run did not */
#define LC_RUNVIEW_UNKNOWN	3	/* some job has no finished run */

/*
 * `history`: the runs in the view's format, as text to print. Tables show
 * run (the first prefix[i] characters of its id; prefix NULL: 8), job,
 * trigger, scheduled, started, duration, status, exit, fitted to style;
 * JSON is an array of runjson's objects, CSV the same keys.
 */
char			*lc_runview_runs(const struct lc_runview *,
			     const struct lc_run *, const size_t *prefix,
			     size_t n, const struct lc_output_style *);
/*
 * `show`: every field of a run, then its events with offsets from the
 * first (+0.003s lock_acquired), then its output; as text for tables, as
 * runjson's object (the run keys, events, output) otherwise.
 */
char			*lc_runview_show(const struct lc_runview *,
			     const struct lc_run *, const struct lc_event *,
			     size_t nevents);
/* `status`: name, last_status, last_run_at, last_success_at,
 * consecutive_failures, next_fire_at. */
struct lc_output	*lc_runview_status(const struct lc_runview *,
			     const struct lc_runview_job *, size_t n);
/* `list`: adds the last-run columns to o (tables: last status and when;
 * JSON and CSV also last_success_at and consecutive_failures) and returns
 * the first one's index, for lc_runview_last_cells. */
int			 lc_runview_last_columns(const struct lc_runview *,
			     struct lc_output *);
/* Fills the current row's last-run cells from a summary (NULL: no runs). */
void			 lc_runview_last_cells(const struct lc_runview *,
			     struct lc_output *, int first,
			     const struct lc_job_summary *);
/* The exit status of `status` for these jobs, disabled ones aside:
 * FAILED if any last finished run did not succeed, else UNKNOWN if any
 * job has none (or no job counts), else OK. */
int			 lc_runview_exit(const struct lc_runview_job *,
			     size_t n);

/* When a run happened: its start, else its scheduled instant. */
int64_t			 lc_runview_when(const struct lc_run *);
/* The colour of a status in tables. */
enum lc_output_colour	 lc_runview_colour(enum lc_run_status);

#endif
