/*
 * lockcron status: per job, the last run, its status and when, the last
 * success, the failure streak and the next fire time. Its exit status
 * answers monitoring checks: 0 every selected job's last finished run
 * succeeded, 1 one did not, 3 unknown (no finished run).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/config.h"
#include "lockcron/history.h"
#include "lockcron/runview.h"

struct status_set {
	struct lc_runview_job	*jobs;
	struct lc_job_summary	*sums;
	char			**names;	/* owned */
	size_t			 n;
};

static void
add_job(struct status_set *s, const char *name, const struct lc_job *job,
    int64_t now)
{
	struct lc_runview_job	*j;
	int64_t			 next;

	s->jobs = xreallocarray(s->jobs, s->n + 1, sizeof *s->jobs);
	s->names = xreallocarray(s->names, s->n + 1, sizeof *s->names);
	j = &s->jobs[s->n];
	j->name = s->names[s->n++] = xstrdup(name);
	j->summary = NULL;
	j->next_fire = LC_HISTORY_NONE;
	j->disabled = job != NULL && !job->enabled;
	if (job != NULL && job->enabled && cli_job_next(job, now / 1000,
	    &next) == 0)
		j->next_fire = next * 1000;
}

/* In the history? */
static int
has_runs(char **jobs, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(jobs[i], name) == 0)
			return (1);
	return (0);
}

/*
 * The jobs: those named, else the config's, else (no usable config)
 * those in the history. A named job that is in neither is an error.
 */
static int
select_jobs(struct cli_hist *ch, char **names, size_t nnames,
    struct status_set *s)
{
	const struct lc_job	*job;
	char			**hist = NULL, *cause = NULL;
	size_t			 nhist = 0, i;
	int64_t			 now = lc_now_ms();
	int			 rc = CLI_OK;

	if (ch->h != NULL && (ch->cfg == NULL || nnames > 0) &&
	    lc_history_jobs(ch->h, &hist, &nhist, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return (CLI_USAGE);
	}
	for (i = 0; i < nnames && rc == CLI_OK; i++) {
		job = ch->cfg != NULL ? lc_config_find_job(ch->cfg, names[i]) :
		    NULL;
		if (job == NULL && ch->cfg != NULL && !has_runs(hist, nhist,
		    names[i]))
			rc = cli_bad_usage("status", "no job \"%s\" in the "
			    "config or the history", names[i]);
		else
			add_job(s, names[i], job, now);
	}
	for (i = 0; nnames == 0 && ch->cfg != NULL && i < ch->cfg->njobs; i++)
		add_job(s, ch->cfg->jobs[i].name, &ch->cfg->jobs[i], now);
	for (i = 0; nnames == 0 && ch->cfg == NULL && i < nhist; i++)
		add_job(s, hist[i], NULL, now);
	lc_history_jobs_free(hist, nhist);
	return (rc);
}

/* Reads each job's summary. */
static int
summarise(struct cli_hist *ch, struct status_set *s)
{
	char	*cause = NULL;
	size_t	 i;

	s->sums = xcalloc(s->n > 0 ? s->n : 1, sizeof *s->sums);
	for (i = 0; i < s->n; i++) {
		if (ch->h == NULL)
			continue;
		if (lc_history_summary(ch->h, s->names[i], &s->sums[i],
		    &cause) != 0) {
			cli_error("%s", cause);
			free(cause);
			return (-1);
		}
		if (s->sums[i].last != NULL)
			s->jobs[i].summary = &s->sums[i];
	}
	return (0);
}

static void
free_set(struct status_set *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++) {
		if (s->sums != NULL)
			lc_history_summary_clear(&s->sums[i]);
		free(s->names[i]);
	}
	free(s->sums);
	free(s->names);
	free(s->jobs);
}

static int
print_status(struct cli_hist *ch, struct status_set *s,
    enum lc_output_format format)
{
	struct lc_runview	 v = { ch->tz, format };
	struct lc_output_style	 style;
	struct lc_output	*o;
	int			 rc;

	o = lc_runview_status(&v, s->jobs, s->n);
	lc_output_style_detect(&style, STDOUT_FILENO);
	rc = lc_output_print(o, stdout, format, &style);
	lc_output_free(o);
	if (rc != 0) {
		cli_error("cannot write the status");
		return (CLI_USAGE);
	}
	return (lc_runview_exit(s->jobs, s->n));
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum lc_output_format	 format = LC_OUTPUT_TABLE;
	struct status_set	 s;
	struct cli_hist		 ch;
	const char		*config = NULL;
	int			 c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'F':
			if (cli_parse_format(optarg, &format) != 0) {
				cli_usage(cli_find("status"), 0);
				return (CLI_USAGE);
			}
			break;
		case 'h':
			cli_usage(cli_find("status"), 1);
			return (CLI_OK);
		default:
			cli_usage(cli_find("status"), 0);
			return (CLI_USAGE);
		}
	}
	memset(&s, 0, sizeof s);
	if ((rc = cli_hist_open(&ch, config, CLI_HIST_JOBS)) == CLI_OK &&
	    (rc = select_jobs(&ch, argv + optind, (size_t)(argc - optind),
	    &s)) == CLI_OK)
		rc = summarise(&ch, &s) == 0 ? print_status(&ch, &s, format) :
		    CLI_USAGE;
	free_set(&s);
	cli_hist_close(&ch);
	return (rc);
}
