/*
 * lockcron history: runs newest first, filtered by job, status, trigger
 * and time, as a table, JSON or CSV (docs/json.md).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/history.h"
#include "lockcron/reltime.h"
#include "lockcron/runview.h"

#define DEFAULT_LIMIT	100
#define PREFIX_MIN	8

struct history_args {
	const char		*config;
	const char		*since;
	const char		*until;
	enum lc_output_format	 format;
	struct lc_history_filter f;
	int			 limit_set;
};

/* "a,b,c" into a mask of names parse() knows. */
static int
parse_list(const char *opt, const char *arg, unsigned *mask,
    int (*parse)(const char *, int *), const char *expected)
{
	char	*copy, *p, *word;
	int	 v, rc = 0;

	copy = p = xstrdup(arg);
	while (rc == 0 && (word = strsep(&p, ",")) != NULL) {
		if (parse(word, &v) != 0)
			rc = cli_bad_usage("history", "%s: unknown value \"%s\" "
			    "(expected %s)", opt, word, expected);
		else
			*mask |= 1u << v;
	}
	free(copy);
	return (rc);
}

static int
status_cb(const char *s, int *v)
{
	enum lc_run_status	 st;

	if (lc_history_status_parse(s, &st) != 0)
		return (-1);
	*v = (int)st;
	return (0);
}

static int
trigger_cb(const char *s, int *v)
{
	enum lc_run_trigger	 t;

	if (lc_history_trigger_parse(s, &t) != 0)
		return (-1);
	*v = (int)t;
	return (0);
}

/* Parses the options; CLI_OK, or the exit status. */
static int
parse_args(int argc, char **argv, struct history_args *a)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "status", required_argument, NULL, 's' },
		{ "trigger", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	long long	 n;
	int		 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:n:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c': a->config = optarg; break;
		case 'S': a->since = optarg; break;
		case 'U': a->until = optarg; break;
		case 's':
			if (parse_list("--status", optarg, &a->f.statuses,
			    status_cb, "queued, running, succeeded, failed, "
			    "timed_out, killed, cancelled, skipped, "
			    "secret_error, launch_error, missed or lost") != 0)
				return (CLI_USAGE);
			break;
		case 't':
			if (parse_list("--trigger", optarg, &a->f.triggers,
			    trigger_cb, "schedule, manual, retry, catch_up or "
			    "reboot") != 0)
				return (CLI_USAGE);
			break;
		case 'n':
			if (lc_parse_int(optarg, 0, 1000000000, &n) != 0)
				return (cli_bad_usage("history", "--limit: "
				    "expected a number of runs, got \"%s\"",
				    optarg));
			a->f.limit = (size_t)n;
			a->limit_set = 1;
			break;
		case 'F':
			if (cli_parse_format(optarg, &a->format) != 0) {
				cli_usage(cli_find("history"), 0);
				return (CLI_USAGE);
			}
			break;
		case 'h':
			cli_usage(cli_find("history"), 1);
			return (-1);
		default:
			cli_usage(cli_find("history"), 0);
			return (CLI_USAGE);
		}
	}
	a->f.jobs = (const char *const *)argv + optind;
	a->f.njobs = (size_t)(argc - optind);
	if (!a->limit_set)
		a->f.limit = DEFAULT_LIMIT;
	return (CLI_OK);
}

/* --since and --until, read in the tables' zone. */
static int
parse_times(struct history_args *a, const struct lc_tz *tz)
{
	int64_t	 now = lc_now_ms();
	char	*cause = NULL;

	if (a->since != NULL && lc_reltime_parse(a->since, tz, now,
	    &a->f.since, &cause) != 0) {
		cli_bad_usage("history", "--since: %s", cause);
		free(cause);
		return (CLI_USAGE);
	}
	if (a->until != NULL && lc_reltime_parse(a->until, tz, now,
	    &a->f.until, &cause) != 0) {
		cli_bad_usage("history", "--until: %s", cause);
		free(cause);
		return (CLI_USAGE);
	}
	return (CLI_OK);
}

/* The unique prefix of each run's id, for the table's RUN column. */
static int
prefixes(struct lc_history *h, const struct lc_run *runs, size_t n,
    size_t **out)
{
	char	*cause = NULL;
	size_t	 i;

	*out = xcalloc(n > 0 ? n : 1, sizeof **out);
	for (i = 0; i < n; i++) {
		if (lc_history_unique_prefix(h, runs[i].id, PREFIX_MIN,
		    &(*out)[i], &cause) != 0) {
			cli_error("%s", cause);
			free(cause);
			return (-1);
		}
	}
	return (0);
}

/* Queries and prints; the exit status. */
static int
print_runs(struct cli_hist *ch, struct history_args *a)
{
	struct lc_runview	 v = { ch->tz, a->format };
	struct lc_output_style	 style;
	struct lc_run		*runs = NULL;
	size_t			 n = 0, *prefix = NULL;
	char			*cause = NULL, *text;
	int			 rc = CLI_OK;

	if (ch->h != NULL && lc_history_list(ch->h, &a->f, &runs, &n,
	    &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return (CLI_USAGE);
	}
	if (a->format == LC_OUTPUT_TABLE && n > 0 &&
	    prefixes(ch->h, runs, n, &prefix) != 0)
		rc = CLI_USAGE;
	if (rc == CLI_OK && (n > 0 || a->format != LC_OUTPUT_TABLE)) {
		lc_output_style_detect(&style, STDOUT_FILENO);
		text = lc_runview_runs(&v, runs, prefix, n, &style);
		if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
			cli_error("cannot write the history");
			rc = CLI_NO;
		}
		free(text);
	} else if (rc == CLI_OK && ch->h != NULL)
		cli_error("no run matches");
	if (rc == CLI_OK && !a->limit_set && n == DEFAULT_LIMIT)
		cli_error("the newest %d runs; --limit 0 shows them all",
		    DEFAULT_LIMIT);
	free(prefix);
	lc_history_runs_free(runs, n);
	return (rc);
}

int
cmd_history(int argc, char **argv)
{
	struct history_args	 a;
	struct cli_hist		 ch;
	int			 rc;

	memset(&a, 0, sizeof a);
	lc_history_filter_init(&a.f);
	if ((rc = parse_args(argc, argv, &a)) != CLI_OK)
		return (rc == -1 ? CLI_OK : rc);
	if ((rc = cli_hist_open(&ch, a.config, CLI_HIST_QUIET)) == CLI_OK &&
	    (rc = parse_times(&a, ch.tz)) == CLI_OK) {
		if (ch.h == NULL)
			cli_error("%s", ch.missing);
		rc = print_runs(&ch, &a);
	}
	cli_hist_close(&ch);
	return (rc);
}
