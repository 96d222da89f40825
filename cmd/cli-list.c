/*
 * lockcron list: every job of the config with its schedules, zone, next
 * fire time, lock, overlap policy, user, whether it is enabled and its
 * last run (from the history, read-only), as a table, JSON (docs/json.md)
 * or CSV.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/config.h"
#include "lockcron/cronexpr.h"
#include "lockcron/history.h"
#include "lockcron/output.h"
#include "lockcron/runview.h"
#include "lockcron/timefmt.h"

enum { C_NAME, C_SCHEDULES, C_TIMEZONE, C_NEXT, C_LOCK, C_OVERLAP, C_USER,
    C_ENABLED };

/* The earliest fire of any of the job's schedules after t; -1: never. */
int
cli_job_next(const struct lc_job *job, int64_t t, int64_t *next)
{
	int64_t	 n;
	size_t	 i;
	int	 found = 0;

	for (i = 0; i < job->nschedules; i++) {
		if (lc_cronexpr_next(job->schedules[i], job->tz, t, &n) != 0)
			continue;
		if (!found || n < *next)
			*next = n;
		found = 1;
	}
	return (found ? 0 : -1);
}

static void
add_columns(struct lc_output *o)
{
	lc_output_column(o, "name", "NAME", 100, LC_OUTPUT_KEEP);
	lc_output_column(o, "schedules", "SCHEDULE", 90, 0);
	lc_output_column(o, "timezone", "ZONE", 40, 0);
	lc_output_column(o, "next_fire_at", "NEXT", 80, 0);
	lc_output_column(o, "lock", "LOCK", 10, 0);
	lc_output_column(o, "overlap", "OVERLAP", 20, 0);
	lc_output_column(o, "user", "USER", 30, 0);
	lc_output_column(o, "enabled", "ENABLED", 70, 0);
}

static void
add_job(struct lc_output *o, const struct lc_job *job, int64_t now)
{
	char	 buf[LC_TIME_BUFSZ], *t;
	int64_t	 next;
	size_t	 i;

	lc_output_row(o);
	lc_output_string(o, C_NAME, job->name);
	lc_output_array(o, C_SCHEDULES);
	for (i = 0; i < job->nschedules; i++)
		lc_output_append_string(o, C_SCHEDULES,
		    lc_cronexpr_text(job->schedules[i]));
	lc_output_string(o, C_TIMEZONE, lc_tz_name(job->tz));
	if (job->enabled && cli_job_next(job, now, &next) == 0) {
		lc_output_string(o, C_NEXT, lc_time_utc_ms(next * 1000, buf));
		lc_time_local(next, job->tz, buf);
		if ((t = strchr(buf, 'T')) != NULL)
			*t = ' ';
		lc_output_display(o, C_NEXT, buf);
	} else
		lc_output_null(o, C_NEXT);
	lc_output_string(o, C_LOCK, job->lock_path);
	lc_output_string(o, C_OVERLAP,
	    job->overlap == LC_OVERLAP_WAIT ? "wait" : "skip");
	lc_output_string(o, C_USER, job->user);
	lc_output_bool(o, C_ENABLED, job->enabled);
	if (!job->enabled)
		lc_output_colour(o, C_ENABLED, LC_OUTPUT_YELLOW);
}

/* The job's last-run cells; -1 when the history cannot be read. */
static int
add_last(struct cli_hist *ch, const struct lc_runview *v,
    struct lc_output *o, int first, const char *job)
{
	struct lc_job_summary	 s;
	char			*cause = NULL;

	if (ch->h == NULL) {
		lc_runview_last_cells(v, o, first, NULL);
		return (0);
	}
	if (lc_history_summary(ch->h, job, &s, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return (-1);
	}
	lc_runview_last_cells(v, o, first, s.last != NULL ? &s : NULL);
	lc_history_summary_clear(&s);
	return (0);
}

/* "Now", or --from read as ISO-8601 (UTC without an offset); -1 if bad. */
static int
list_now(const char *from, int64_t *now)
{
	struct lc_tz	*utc;
	char		*cause = NULL;
	int64_t		 ms;
	int		 rc;

	*now = lc_now_ms() / 1000;
	if (from == NULL)
		return (0);
	utc = lc_tz_load("UTC", NULL);
	rc = lc_time_parse(from, utc, &ms, &cause);
	lc_tz_free(utc);
	if (rc != 0) {
		cli_error("--from: %s", cause);
		free(cause);
		return (-1);
	}
	*now = ms / 1000 - (ms % 1000 < 0);	/* floor to the second */
	return (0);
}

/* Prints the jobs of cfg as of now in format, with their last runs. */
static int
list_print(const struct lc_config *cfg, int64_t now,
    enum lc_output_format format)
{
	struct lc_output_style	 style;
	struct lc_runview	 v;
	struct cli_hist		 ch;
	struct lc_output	*o;
	size_t			 i;
	int			 rc = CLI_OK, last;

	if (cli_hist_attach(&ch, cfg, CLI_HIST_QUIET | CLI_HIST_LENIENT) !=
	    CLI_OK) {
		cli_hist_close(&ch);
		return (CLI_USAGE);
	}
	v.tz = ch.tz;
	v.format = format;
	o = lc_output_new();
	add_columns(o);
	last = lc_runview_last_columns(&v, o);
	for (i = 0; i < cfg->njobs && rc == CLI_OK; i++) {
		add_job(o, &cfg->jobs[i], now);
		if (add_last(&ch, &v, o, last, cfg->jobs[i].name) != 0)
			rc = CLI_USAGE;
	}
	cli_hist_close(&ch);
	lc_output_style_detect(&style, STDOUT_FILENO);
	if (rc == CLI_OK && lc_output_print(o, stdout, format, &style) != 0) {
		cli_error("cannot write the list");
		rc = CLI_NO;
	}
	lc_output_free(o);
	return (rc);
}

int
cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*self = cli_find("list");
	enum lc_output_format		 format = LC_OUTPUT_TABLE;
	struct lc_config		*cfg;
	const char			*path = NULL, *from = NULL;
	int64_t				 now;
	int				 ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:F:f:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'F':
			if (lc_output_parse_format(optarg, &format) != 0) {
				cli_error("--format: expected table, json or "
				    "csv, got \"%s\"", optarg);
				return (CLI_USAGE);
			}
			break;
		case 'f':
			from = optarg;
			break;
		case 'h':
			cli_usage(self, 1);
			return (CLI_OK);
		default:
			cli_usage(self, 0);
			return (CLI_USAGE);
		}
	}
	if (optind != argc) {
		cli_usage(self, 0);
		return (CLI_USAGE);
	}
	if (list_now(from, &now) != 0)
		return (CLI_USAGE);
	if ((cfg = cli_config_load(path, NULL)) == NULL)
		return (CLI_USAGE);
	rc = list_print(cfg, now, format);
	lc_config_free(cfg);
	return (rc);
}
